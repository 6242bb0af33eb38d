//! The web layer's shared state and the constants every handler module may read.

use crate::app::App;
use std::sync::Arc;

/// Times are stored in UTC and shown in China Standard Time (UTC+8), the users' clock.
pub fn local_time(t: &chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::FixedOffset> {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset"))
}

/// Largest request body read in full; uploads have tighter limits of their own.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Shared state: the whole application behind one `Arc`.
pub type AppState = Arc<App>;
