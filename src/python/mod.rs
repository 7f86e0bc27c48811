//! The only code that touches PyO3: the `galleryshare._core` module.

mod client;
mod credential;
mod emulator;
mod errors;
mod runtime;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust `log` records (and azure_core's `tracing` events, via tracing's log feature) go to Python logging.
    // The transport crates' own debug chatter (HTTP/2 frames, TLS, connection pools) stays out: a DEBUG
    // capture shows galleryshare's request lines, and a request does not pay for dozens of skipped records.
    let mut logger = pyo3_log::Logger::new(m.py(), pyo3_log::Caching::LoggersAndLevels)?;
    for quiet in [
        "h2",
        "hyper",
        "hyper_util",
        "rustls",
        "tokio_rustls",
        "reqwest",
        "tower",
        "mio",
    ] {
        logger = logger.filter_target(quiet.to_string(), log::LevelFilter::Info);
    }
    let _ = logger.install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::Poller>()?;
    m.add_class::<client::Pages>()?;
    m.add_function(wrap_pyfunction!(client::cloud_named, m)?)?;
    m.add_function(wrap_pyfunction!(client::shape_pwsh, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_panic_for_test, m)?)?;
    emulator::register(m)?;
    Ok(())
}
