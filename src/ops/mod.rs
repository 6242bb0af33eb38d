//! Operations: backups and restores of the store, the control socket a running server takes
//! backup requests on, Prometheus metrics, and the log format.

pub mod backup;
#[cfg(unix)]
pub mod control;
pub mod logs;
pub mod metrics;
pub mod restore;
