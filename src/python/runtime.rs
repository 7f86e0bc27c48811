//! The runtimes: one shared multi-thread runtime (the one pyo3-async-runtimes drives, for asyncio) and, for
//! blocking calls, a current-thread runtime per calling thread with its own connection pool; a blocking
//! wait that releases the GIL and still answers Ctrl-C promptly; and the awaitable form.

use crate::pipeline::{in_local_pool, LocalPool};
use crate::progress::{self, Slot};
use futures::FutureExt;
use pyo3::prelude::*;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

const SLICE: Duration = Duration::from_millis(100);

/// A thread's own runtime for its blocking calls, and the connections opened on it. A blocking call
/// then runs its request, the connection's task and the I/O on the caller's thread, as a raw client
/// loop does: no wake-up crosses threads (see `pipeline/http.rs`).
struct Local {
    rt: Option<tokio::runtime::Runtime>,
    pool: Arc<LocalPool>,
}

impl Local {
    fn new() -> Local {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime builds");
        Local {
            rt: Some(rt),
            pool: Arc::default(),
        }
    }
}

impl Drop for Local {
    /// At thread exit: no waiting for blocking tasks (a token callback, say) that may still run.
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

thread_local! {
    static LOCAL: Local = Local::new();
}

/// Polls `fut` on this thread's runtime for up to `slice`: its output, or `fut` back if it is not done.
fn poll_here<F: Future + Unpin>(fut: &mut F, slice: Duration) -> Option<F::Output> {
    LOCAL.with(|local| {
        let rt = local
            .rt
            .as_ref()
            .expect("the runtime lives as long as the thread");
        let fut = in_local_pool(local.pool.clone(), fut);
        // The timer is made inside `block_on`: it needs the runtime's context.
        rt.block_on(async { tokio::time::timeout(slice, fut).await })
            .ok()
    })
}

/// `wait` for a thread already inside the runtime (which cannot `block_on`): spawns `fut` on a worker
/// and waits on a channel, with the same slices, progress, timeout and panic handling.
fn wait_spawned<F, T>(
    py: Python<'_>,
    fut: F,
    timeout: Option<Duration>,
    progress: Option<Progress<'_, '_>>,
) -> PyResult<Option<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let slot = Slot::default();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let task = runtime().spawn(progress::track(slot.clone(), async move {
        let _ = tx.send(AssertUnwindSafe(fut).catch_unwind().await);
    }));
    let outcome = in_slices(py, timeout, &slot, progress, rx, |rx, slice| {
        use std::sync::mpsc::RecvTimeoutError;
        let got = match rx.recv_timeout(slice) {
            Ok(v) => Some(v),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Err(Box::new(
                "the operation's task ended without a result",
            ) as Panic)),
        };
        (got, rx)
    });
    if !matches!(outcome, Ok(Some(_))) {
        task.abort();
    }
    outcome
}

/// What `catch_unwind` gives back from a panicking future.
type Panic = Box<dyn std::any::Any + Send>;

/// One GIL-free wait of up to a slice: the outcome if it came, and the state back.
type Step<S, T> = fn(S, Duration) -> (Option<Result<T, Panic>>, S);

/// The wait both paths share: `step(state, slice)` waits up to `slice` without the GIL and returns the
/// outcome once there is one; between slices, signals are checked (Ctrl-C) and progress is shown.
/// `state` (the future or the receiver) moves into each GIL-free step and back, as `&mut` is not Send.
fn in_slices<T, S>(
    py: Python<'_>,
    timeout: Option<Duration>,
    slot: &Slot,
    progress: Option<Progress<'_, '_>>,
    mut state: S,
    step: Step<S, T>,
) -> PyResult<Option<T>>
where
    T: Send,
    S: Send,
{
    let mut display = Display::new(progress);
    let start = Instant::now();
    let outcome = loop {
        let slice = match timeout {
            Some(t) => match t.checked_sub(start.elapsed()) {
                Some(left) => left.min(SLICE),
                None => break Ok(None),
            },
            None => SLICE,
        };
        let (got, back) = py.detach(move || step(state, slice));
        state = back;
        match got {
            Some(Ok(v)) => break Ok(Some(v)),
            Some(Err(panic)) => break Err(super::errors::from_panic(panic)),
            None => {
                if let Err(e) = py.check_signals() {
                    break Err(e);
                }
                let status = slot.lock().clone();
                if let Some(status) = status {
                    display.update(&status, start.elapsed());
                }
            }
        }
    };
    display.close();
    outcome
}

/// A call's progress display: `factory(label)` makes it at the first status (most calls never have
/// one); a display that raises is dropped rather than failing the call, and one that was made is
/// closed once at the end.
#[derive(Clone, Copy)]
pub struct Progress<'a, 'py> {
    pub factory: &'a Bound<'py, PyAny>,
    pub label: &'a str,
}

struct Display<'a, 'py> {
    progress: Option<Progress<'a, 'py>>,
    shown: Option<Bound<'py, PyAny>>,
}

impl<'a, 'py> Display<'a, 'py> {
    fn new(progress: Option<Progress<'a, 'py>>) -> Self {
        Display {
            progress,
            shown: None,
        }
    }

    fn update(&mut self, status: &str, elapsed: Duration) {
        if self.shown.is_none() {
            // Made once: a factory that raises leaves the call without a display.
            self.shown = self
                .progress
                .take()
                .and_then(|p| p.factory.call1((p.label,)).ok());
        }
        if let Some(d) = &self.shown {
            if d.call_method1("update", (status, elapsed.as_secs_f64()))
                .is_err()
            {
                self.shown = None;
            }
        }
    }

    fn close(&mut self) {
        if let Some(d) = self.shown.take() {
            let _ = d.call_method0("close");
        }
    }
}

/// `wait` without a timeout or progress.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Ok(wait(py, fut, None, None)?.expect("no timeout was set"))
}

/// `block_on` for work that leaves tasks behind it (the emulator's server): runs `fut` on the shared
/// runtime, whose workers keep those tasks going after the call returns.
pub fn block_on_shared<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    Ok(wait_spawned(py, fut, None, None)?.expect("no timeout was set"))
}

/// An asyncio awaitable for `fut`, driven by the same runtime: no thread per call. Cancelling the
/// asyncio task drops the Rust future.
pub fn awaitable<'py, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<Py<PyAny>>> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(result) => result,
            Err(panic) => Err(super::errors::from_panic(panic)),
        }
    })
}

/// Test hook: panics in a plain call (`"call"`), in a future waited on (`"wait"`), or in an awaitable
/// (`"await"`, returned), to prove a panic arrives as an exception and never aborts the interpreter.
#[pyfunction]
pub fn _panic_for_test(py: Python<'_>, place: &str) -> PyResult<Py<PyAny>> {
    match place {
        "call" => panic!("test panic in a call"),
        "wait" => block_on(py, async { panic!("test panic in a waited future") }),
        "await" => Ok(awaitable(py, async { panic!("test panic in an awaitable") })?.unbind()),
        _ => Err(pyo3::exceptions::PyValueError::new_err(
            "place must be 'call', 'wait' or 'await'",
        )),
    }
}

/// Runs `fut` and waits for it without holding the GIL, in 100 ms slices with a signal check between
/// them, so KeyboardInterrupt arrives within a slice and cancels it. `fut` is polled on the calling
/// thread, on that thread's own runtime, with its connections: a cross-thread hand-off each way would
/// be most of a short call's overhead over a raw GET. `progress` makes a display (an object with
/// `update(status, elapsed)` and `close()`) told the status of a long-running operation while one is
/// being polled. `Ok(None)` means the timeout passed first; `fut` is dropped (an Azure operation
/// it started goes on and can be resumed).
pub fn wait<F, T>(
    py: Python<'_>,
    fut: F,
    timeout: Option<Duration>,
    progress: Option<Progress<'_, '_>>,
) -> PyResult<Option<T>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    // A thread already inside a runtime cannot `block_on`; it keeps the spawn-and-wait path.
    if tokio::runtime::Handle::try_current().is_ok() {
        return wait_spawned(py, fut, timeout, progress);
    }
    let slot = Slot::default();
    let fut = Box::pin(AssertUnwindSafe(progress::track(slot.clone(), fut)).catch_unwind());
    in_slices(py, timeout, &slot, progress, fut, |mut fut, slice| {
        let polled = poll_here(&mut fut, slice);
        (polled, fut)
    })
}
