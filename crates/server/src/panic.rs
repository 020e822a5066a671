//! A panic while answering one request becomes a 500 for that request only.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

static REQUEST_IDS: AtomicU64 = AtomicU64::new(1);

/// A process-wide request number, for tying log lines to a request.
pub fn next_request_id() -> u64 {
    REQUEST_IDS.fetch_add(1, Ordering::Relaxed)
}

pin_project_lite::pin_project! {
    /// Polls a future, catching a panic as `Err(message)`.
    ///
    /// The future is not used again after a panic, and everything it borrowed belongs to one
    /// request, so observing broken invariants afterwards is impossible: asserting unwind
    /// safety is sound here.
    pub struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> CatchUnwind<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> CatchUnwind<F> {
        CatchUnwind { inner }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".into());
                Poll::Ready(Err(message))
            }
        }
    }
}

/// Debug builds only: a request for the path named by `METHODICAL_PANIC_PATH` panics, so the
/// tests can prove a panic stays inside one request.
#[cfg(debug_assertions)]
pub fn debug_trigger(path: &str) {
    static PATH: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if PATH.get_or_init(|| std::env::var("METHODICAL_PANIC_PATH").ok()).as_deref() == Some(path) {
        panic!("METHODICAL_PANIC_PATH {path} was requested");
    }
}
