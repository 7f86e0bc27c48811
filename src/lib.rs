//! galleryshare — table of contents.
//!
//! The client (pure Rust: `cloud`, `ids`, `credentials`, `pipeline`, `ops`, `shape`) and the embedded
//! Azure emulator (`emulator`) live in one crate; `python` is the only module that touches PyO3.

pub mod emulator;
pub mod error;
