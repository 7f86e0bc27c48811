//! Rust `log` records (and azure_core's `tracing` events, via tracing's log feature) to Python logging,
//! through pyo3-log, connected once Python's `logging` is loaded.
//!
//! Importing `logging` is ~15 ms of a ~55 ms start (it brings traceback, tokenize, threading, …). Until
//! a program has imported it, nobody can have configured a handler or a level, so Python would drop any
//! record below WARNING: those are dropped here, and a WARNING or ERROR (which Python's last-resort
//! handler prints) connects pyo3-log on the spot. Every call into the core checks `sys.modules` (one
//! dict lookup, until connected) and connects as soon as `logging` is there.
//!
//! The transport crates' own debug chatter (HTTP/2 frames, TLS, connection pools, the server's
//! middleware) stays out: a DEBUG capture shows galleryshare's request lines. That check is a match on
//! the target's first segment, made before pyo3-log's per-target lookup (which splits and hashes the
//! target): h2 alone asks dozens of times per request.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

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

/// pyo3-log once connected; `None` inside if Python's logging could not be set up (records are dropped).
static CONNECTED: OnceLock<Option<pyo3_log::Logger>> = OnceLock::new();

struct Bridge;

/// Installs the bridge as Rust's logger (once per process). Until Python's logging is loaded only
/// WARNING and above can be shown (see `Bridge::enabled`), so that is the level `log` lets through.
pub fn install(py: Python<'_>) {
    if log::set_boxed_logger(Box::new(Bridge)).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
    connect_if_loaded(py);
}

/// Set when a record went to pyo3-log, whose cache of Python's levels only changes then: the next call
/// brings `log`'s level in step (a cache lookup that every call would otherwise pay).
static RESYNC: AtomicBool = AtomicBool::new(false);

/// Connects to Python logging if a program has imported it, and keeps `log`'s level in step with it.
pub fn connect_if_loaded(py: Python<'_>) {
    if let Some(connected) = CONNECTED.get() {
        if RESYNC.swap(false, Ordering::Relaxed) {
            sync_max_level(connected.as_ref());
        }
        return;
    }
    static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let modules = MODULES.get_or_try_init(py, || -> PyResult<Py<PyDict>> {
        Ok(py
            .import("sys")?
            .getattr("modules")?
            .cast_into::<PyDict>()?
            .unbind())
    });
    if let Ok(modules) = modules {
        if modules.bind(py).contains("logging").unwrap_or(false) {
            sync_max_level(connect(py));
        }
    }
}

/// The level Rust's `log` lets through: DEBUG while Python takes galleryshare's DEBUG records (per
/// pyo3-log's cached view of the logging configuration, as for the records themselves), else INFO. The
/// transport crates' `tracing` spans (dozens per request, h2 above all) compare their level with this
/// before anything else; at INFO they stop there instead of asking the bridge, ~5 % of a short call's
/// instructions (benches/PROFILE.md).
fn sync_max_level(logger: Option<&pyo3_log::Logger>) {
    let probe = log::Metadata::builder()
        .level(log::Level::Debug)
        .target(crate::pipeline::LOG_TARGET)
        .build();
    let debug = logger.is_some_and(|l| log::Log::enabled(l, &probe));
    log::set_max_level(if debug {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    });
}

fn connect(py: Python<'_>) -> Option<&'static pyo3_log::Logger> {
    CONNECTED
        .get_or_init(|| pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels).ok())
        .as_ref()
}

fn chatter(meta: &log::Metadata<'_>) -> bool {
    meta.level() > log::Level::Info && {
        let target = meta.target();
        let first = target.split(':').next().unwrap_or(target);
        QUIET.contains(&first)
    }
}

impl log::Log for Bridge {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        if chatter(meta) {
            return false;
        }
        match CONNECTED.get() {
            Some(Some(logger)) => logger.enabled(meta),
            Some(None) => false,
            None => meta.level() <= log::Level::Warn,
        }
    }

    fn log(&self, record: &log::Record<'_>) {
        if chatter(record.metadata()) {
            return;
        }
        let logger = match CONNECTED.get() {
            Some(logger) => logger.as_ref(),
            None if record.level() <= log::Level::Warn => Python::attach(connect),
            None => None,
        };
        if let Some(logger) = logger {
            logger.log(record);
            RESYNC.store(true, Ordering::Relaxed);
        }
    }

    fn flush(&self) {}
}
