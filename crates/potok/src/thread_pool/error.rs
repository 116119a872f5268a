//! The thread pool's own errors: [`StillRunning`] and [`GetTimeoutError`].

use std::fmt;

use super::async_result::AsyncResult;
use crate::futures::FutureError;

/// [`ThreadPool::join`](crate::ThreadPool::join) before `close()` or `terminate()` (Python's
/// `ValueError: Pool is still running`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StillRunning;

impl fmt::Display for StillRunning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pool is still running: close() or terminate() it before join()")
    }
}

impl std::error::Error for StillRunning {}

/// Why [`AsyncResult::get_timeout`] gave no value.
pub enum GetTimeoutError<R: Send + 'static> {
    /// Not ready in time: the handle, to wait again.
    Timeout(AsyncResult<R>),
    /// The work failed (a task panicked, the pool was closed or terminated first).
    Failed(FutureError),
}

impl<R: Send + 'static> fmt::Debug for GetTimeoutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Timeout(_) => f.write_str("Timeout(..)"),
            GetTimeoutError::Failed(e) => f.debug_tuple("Failed").field(e).finish(),
        }
    }
}

impl<R: Send + 'static> fmt::Display for GetTimeoutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Timeout(_) => f.write_str("timed out waiting for the result"),
            GetTimeoutError::Failed(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl<R: Send + 'static> std::error::Error for GetTimeoutError<R> {}
