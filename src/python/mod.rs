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

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    crate::lazy_arena_commit();
    logging::install(m.py());
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Caller>()?;
    m.add_class::<client::Poller>()?;
    m.add_class::<client::Pages>()?;
    m.add_function(wrap_pyfunction!(client::cloud_named, m)?)?;
    m.add_function(wrap_pyfunction!(client::shape_pwsh, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_panic_for_test, m)?)?;
    m.add_function(wrap_pyfunction!(convert::_shape_for_test, m)?)?;
    emulator::register(m)?;
    Ok(())
}
