//! The only code that touches PyO3: the `galleryshare._core` module.

mod client;
mod convert;
mod credential;
mod emulator;
mod errors;
mod logging;
mod runtime;

use pyo3::prelude::*;

pub(crate) use logging::connect_if_loaded;

/// mimalloc's `mi_option_arena_eager_commit` (the enum's value in the pinned libmimalloc-sys).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// mimalloc (the module's allocator, see lib.rs) commits its arenas as pages are used, as glibc does:
/// its Linux default commits them eagerly, which cost ~7 MiB of RSS from the first allocation on.
/// Set before the module allocates anything.
fn lazy_arena_commit() {
    // SAFETY: sets a plain option value; nothing else is using mimalloc's options yet.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    lazy_arena_commit();
    logging::install(m.py());
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Poller>()?;
    m.add_class::<client::Pages>()?;
    m.add_function(wrap_pyfunction!(client::cloud_named, m)?)?;
    m.add_function(wrap_pyfunction!(client::shape_pwsh, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(convert::_shape_for_test, m)?)?;
    emulator::register(m)?;
    Ok(())
}
