//! galleryshare — table of contents.
//!
//! The client (pure Rust: `cloud`, `ids`, `credentials`, `pipeline`, `ops`, `shape`) and the embedded
//! Azure emulator (`emulator`) live in one crate; `python` is the only module that touches PyO3.

/// Every Rust allocation in the module — client and emulator — goes to mimalloc: glibc's malloc/free
/// were ~9 % of a blocking call's CPU on the calling thread (`perf`, benches/PROFILE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
