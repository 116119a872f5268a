//! [`AsyncResult`]: a result the thread pool is still working on (Python's
//! `multiprocessing.pool.AsyncResult`).

use std::fmt;
use std::time::Duration;

use super::error::GetTimeoutError;
use crate::futures::{Future, FutureError};

/// What [`ThreadPool::apply_async`](crate::ThreadPool::apply_async),
/// [`map_async`](crate::ThreadPool::map_async) and
/// [`starmap_async`](crate::ThreadPool::starmap_async) return: Python's `AsyncResult`
/// (`get`, `wait`, `ready`, `successful`).
///
/// # Examples
///
/// ```
/// let pool = potok::ThreadPool::new(2);
/// let pending = pool.map_async(|x: u32| x + 1, vec![1, 2, 3]);
/// pending.wait();
/// assert!(pending.ready());
/// assert_eq!(pending.successful(), Some(true));
/// assert_eq!(pending.get().unwrap(), [2, 3, 4]);
/// ```
pub struct AsyncResult<R: Send + 'static> {
    future: Future<R>,
}

impl<R: Send + 'static> AsyncResult<R> {
    pub(crate) fn new(future: Future<R>) -> Self {
        AsyncResult { future }
    }

    /// Waits for the result and returns it: Python's `get()`.
    ///
    /// # Errors
    ///
    /// The [`FutureError`]: a task panicked (for a map, the first failed chunk in input
    /// order), or the pool was closed or terminated before the work ran.
    #[track_caller]
    pub fn get(self) -> Result<R, FutureError> {
        self.future.take()
    }

    /// Waits at most `timeout`: Python's `get(timeout)`.
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] with this handle if it is not ready; otherwise as
    /// [`get`](Self::get).
    #[track_caller]
    pub fn get_timeout(self, timeout: Duration) -> Result<R, GetTimeoutError<R>> {
        if self.future.wait_timeout(timeout) {
            self.future.take().map_err(GetTimeoutError::Failed)
        } else {
            Err(GetTimeoutError::Timeout(self))
        }
    }

    /// Waits until the result is ready: Python's `wait()`.
    #[track_caller]
    pub fn wait(&self) {
        self.future.wait_until(None);
    }

    /// Waits at most `timeout`; returns whether it is ready: Python's `wait(timeout)`.
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.future.wait_timeout(timeout)
    }

    /// Whether it is ready: Python's `ready()`.
    pub fn ready(&self) -> bool {
        self.future.done()
    }

    /// Whether the work succeeded, once ready (`None` before: Python's `ValueError`).
    pub fn successful(&self) -> Option<bool> {
        self.future.succeeded()
    }
}

impl<R: Send + 'static> fmt::Debug for AsyncResult<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .finish()
    }
}
