//! The only code that touches PyO3: the `galleryshare._core` module.

mod client;
mod credential;
mod emulator;
mod errors;
mod runtime;

use pyo3::prelude::*;

/// The transport crates' own debug chatter (HTTP/2 frames, TLS, connection pools, the server's
/// middleware) stays out of Python logging: a DEBUG capture shows galleryshare's request lines. The
/// check is a match on the target's first segment, made before pyo3-log's per-target lookup (which
/// splits and hashes the target): h2 alone asks dozens of times per request.
struct Quiet(pyo3_log::Logger);

const QUIET: [&str; 9] = [
    "h2",
    "hyper",
    "hyper_util",
    "rustls",
    "tokio_rustls",
    "reqwest",
    "tower",
    "mio",
    "tracing",
];

impl Quiet {
    fn install(logger: pyo3_log::Logger) -> Result<(), log::SetLoggerError> {
        log::set_boxed_logger(Box::new(Quiet(logger)))?;
        log::set_max_level(log::LevelFilter::Debug);
        Ok(())
    }

    fn chatter(meta: &log::Metadata<'_>) -> bool {
        meta.level() > log::Level::Info && {
            let target = meta.target();
            let first = target.split(':').next().unwrap_or(target);
            QUIET.contains(&first)
        }
    }
}

impl log::Log for Quiet {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        !Self::chatter(meta) && self.0.enabled(meta)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !Self::chatter(record.metadata()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {}
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust `log` records (and azure_core's `tracing` events, via tracing's log feature) go to Python logging.
    let _ = Quiet::install(pyo3_log::Logger::new(
        m.py(),
        pyo3_log::Caching::LoggersAndLevels,
    )?);
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
