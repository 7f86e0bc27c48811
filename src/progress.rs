//! What a blocking caller shows while it waits: the status of the long-running operation in flight.
//! The poller reports into a task-local slot; the waiting thread reads it between its signal checks.
//! Outside a tracked call (`track`), reporting does nothing.

use parking_lot::Mutex;
use std::future::Future;
use std::sync::Arc;

/// The latest status of the operation a call is waiting for (`None` until a poll is under way).
pub type Slot = Arc<Mutex<Option<String>>>;

tokio::task_local! {
    static CURRENT: Slot;
}

/// Runs `fut` with `slot` receiving the statuses it reports.
pub async fn track<F: Future>(slot: Slot, fut: F) -> F::Output {
    CURRENT.scope(slot, fut).await
}

/// Records the status of a long-running operation (called by the poller before each wait).
pub fn report(status: &str) {
    let _ = CURRENT.try_with(|slot| *slot.lock() = Some(status.to_string()));
}
