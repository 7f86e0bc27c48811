//! galleryshare — table of contents.
//!
//! The client (pure Rust: `cloud`, `ids`, `credentials`, `pipeline`, `ops`, `shape`) and the embedded
//! Azure emulator (`emulator`) live in one crate; `python` is the only module that touches PyO3.

/// Every Rust allocation in the module — client and emulator — goes to mimalloc: glibc's malloc/free
/// were ~9 % of a blocking call's CPU on the calling thread (`perf`, benches/PROFILE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_arena_eager_commit` (the enum's value in the pinned libmimalloc-sys).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Makes mimalloc commit its arenas as pages are used, as glibc does: its Linux default commits them
/// eagerly, which cost ~7 MiB of RSS from the first allocation on. Called when the Python module is
/// initialised, before it allocates anything.
pub(crate) fn lazy_arena_commit() {
    // SAFETY: sets a plain option value; nothing else is using mimalloc's options yet.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) }
}

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
