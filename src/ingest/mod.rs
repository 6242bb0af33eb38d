//! Files in and out: the `indicators/` library files, external corpora, exports, and uploaded
//! spreadsheets and CSV (read within limits by `sheet`).

pub mod corpus;
pub mod csv_safe;
pub mod examples;
pub mod export;
pub mod library;
pub mod sheet;
pub mod table;
pub mod xlsx;

pub use crate::domain::Library;
pub use library::{FileError, LoadError};
