//! Files in and out: the `indicators/` library files (`library`), external corpora (`corpus`), the
//! worked examples of `training/examples/` (`examples`), library exports (`export`), target tables
//! as spreadsheets (`xlsx`), plain tables (`table`), and uploaded spreadsheets and CSV read within
//! limits (`sheet`); every CSV written goes through `csv_safe`.

pub mod corpus;
pub mod csv_safe;
pub mod examples;
pub mod export;
pub mod library;
pub mod review_rules;
pub mod sheet;
pub mod table;
pub mod xlsx;

pub use library::{FileError, Library, LoadError};
