//! galleryshare — table of contents.
//!
//! The client (pure Rust: `cloud`, `ids`, `credentials`, `pipeline`, `ops`, `shape`) and the embedded
//! Azure emulator (`emulator`) live in one crate; `python` is the only module that touches PyO3.

pub mod client;
pub mod cloud;
pub mod credentials;
pub mod emulator;
pub mod error;
#[cfg(test)]
mod fuzz;
pub mod ids;
pub mod ops;
pub mod pipeline;
pub mod progress;
pub mod python;
pub mod shape;
