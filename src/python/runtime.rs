//! One tokio runtime per process (the one pyo3-async-runtimes drives, so sync and asyncio share it), and
//! a blocking wait that releases the GIL and still answers Ctrl-C promptly.

use pyo3::prelude::*;
use std::future::Future;
use std::time::{Duration, Instant};

pub fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

const SLICE: Duration = Duration::from_millis(100);

/// Runs `fut` on the runtime and waits for it without holding the GIL, in 100 ms slices with a signal
/// check between them, so KeyboardInterrupt arrives within a slice and cancels the task.
/// `Ok(None)` means the timeout passed first (the task goes on; the caller decides).
pub fn wait<F, T>(py: Python<'_>, fut: F, timeout: Option<Duration>) -> PyResult<Option<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, mut rx) = std::sync::mpsc::sync_channel(1);
    let task = runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    let start = Instant::now();
    loop {
        let slice = match timeout {
            Some(t) => match t.checked_sub(start.elapsed()) {
                Some(left) => left.min(SLICE),
                None => return Ok(None),
            },
            None => SLICE,
        };
        // The receiver moves into the GIL-free closure and back: `&Receiver` is not Send.
        let (received, back) = py.detach(move || (rx.recv_timeout(slice), rx));
        rx = back;
        match received {
            Ok(v) => return Ok(Some(v)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    task.abort();
                    return Err(e);
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "the operation's task ended without a result (it panicked)",
                ));
            }
        }
    }
}

/// `wait` without a timeout.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Ok(wait(py, fut, None)?.expect("no timeout was set"))
}
