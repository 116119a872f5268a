//! [`as_completed`] and [`as_completed_timeout`]: futures in the order they finish.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::collector::Collector;
use super::error::FutureError;
use super::future::Future;
use super::wait::unique;

/// The state both iterators share: the futures, the collector registered on the pending ones,
/// and those that were finished before the iteration began (yielded first, as Python does).
struct Completion<T: Send + 'static> {
    futures: Vec<Future<T>>,
    collector: Arc<Collector>,
    finished_before: VecDeque<usize>,
    /// Futures not yet yielded.
    left: usize,
}

impl<T: Send + 'static> Completion<T> {
    fn new(fs: &[Future<T>]) -> Self {
        let futures = unique(fs);
        // The consumer keeps up with the workers: it waits awake a moment for the next one.
        let spin = futures.iter().all(Future::spins);
        let collector = Arc::new(Collector::new(
            format!("any of {} futures", futures.len()),
            spin,
        ));
        let mut finished_before = VecDeque::new();
        for (index, future) in futures.iter().enumerate() {
            // A finished future needs no lock here (most are, after a burst of submits).
            if future.finished() || future.watch(&collector, index).is_err() {
                finished_before.push_back(index);
            }
        }
        let left = futures.len();
        Completion {
            futures,
            collector,
            finished_before,
            left,
        }
    }

    /// The next finished future; `Ok(None)` when all were yielded, `Err(())` at the deadline.
    #[track_caller]
    fn next(&mut self, deadline: Option<Instant>) -> Result<Option<Future<T>>, ()> {
        if self.left == 0 {
            return Ok(None);
        }
        let index = match self.finished_before.pop_front() {
            Some(index) => Some(index),
            None => {
                self.collector
                    .wait_for(deadline, |h| !h.ready.is_empty(), |h| h.ready.pop_front())
            }
        };
        match index {
            Some(index) => {
                self.left -= 1;
                Ok(Some(self.futures[index].clone()))
            }
            None => Err(()),
        }
    }
}

impl<T: Send + 'static> Drop for Completion<T> {
    fn drop(&mut self) {
        if self.left > 0 {
            for future in &self.futures {
                future.unwatch(&self.collector);
            }
        }
    }
}

/// Yields the futures `fs` as they finish (the ones already finished first): Python's
/// `concurrent.futures.as_completed(fs)`. Each future is yielded once, even if given twice.
///
/// No polling: one collector is registered on every pending future at the start (so the
/// cost is one registration per future, then one wake-up per finished future), which keeps
/// it cheap over tens of thousands of futures.
///
/// # Panics
///
/// `next()` panics with a [`DeadlockError`](crate::DeadlockError) when no future left can
/// ever finish (see [`crate::deadlock`]).
///
/// # Examples
///
/// ```
/// use potok::futures::{as_completed, ThreadPoolExecutor};
///
/// let executor = ThreadPoolExecutor::new(2);
/// let fs: Vec<_> = (1..=3).map(|i| executor.submit(move || i)).collect();
/// let mut total = 0;
/// for f in as_completed(&fs) {
///     total += f.result().unwrap();
/// }
/// assert_eq!(total, 6);
/// ```
pub fn as_completed<T: Send + 'static>(fs: &[Future<T>]) -> AsCompleted<T> {
    AsCompleted {
        inner: Completion::new(fs),
    }
}

/// [`as_completed`] with an overall time limit: Python's `as_completed(fs, timeout)`. Yields
/// `Ok(future)` as they finish; when `timeout` (from this call) passes with futures left, yields
/// `Err(FutureError::Timeout)` once, then ends.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use potok::futures::{as_completed_timeout, FutureError, ThreadPoolExecutor};
///
/// let executor = ThreadPoolExecutor::new(1);
/// let gate = std::sync::Arc::new(potok::Event::new());
/// let open = std::sync::Arc::clone(&gate);
/// let fs = vec![executor.submit(|| 1), executor.submit(move || { open.wait(); 2 })];
/// let seen: Vec<_> = as_completed_timeout(&fs, Duration::from_millis(50)).collect();
/// assert_eq!(seen.len(), 2);
/// assert_eq!(seen[0].as_ref().unwrap().result(), Ok(1));
/// assert_eq!(seen[1].as_ref().unwrap_err(), &FutureError::Timeout);
/// gate.set();
/// ```
pub fn as_completed_timeout<T: Send + 'static>(
    fs: &[Future<T>],
    timeout: Duration,
) -> AsCompletedTimeout<T> {
    AsCompletedTimeout {
        deadline: Instant::now().checked_add(timeout),
        inner: Completion::new(fs),
        timed_out: false,
    }
}

/// The iterator of [`as_completed`].
pub struct AsCompleted<T: Send + 'static> {
    inner: Completion<T>,
}

impl<T: Send + 'static> Iterator for AsCompleted<T> {
    type Item = Future<T>;

    #[track_caller]
    fn next(&mut self) -> Option<Future<T>> {
        self.inner
            .next(None)
            .expect("an untimed wait has no deadline")
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.inner.left, Some(self.inner.left))
    }
}

impl<T: Send + 'static> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("left", &self.inner.left)
            .finish_non_exhaustive()
    }
}

/// The iterator of [`as_completed_timeout`].
pub struct AsCompletedTimeout<T: Send + 'static> {
    inner: Completion<T>,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl<T: Send + 'static> Iterator for AsCompletedTimeout<T> {
    type Item = Result<Future<T>, FutureError>;

    #[track_caller]
    fn next(&mut self) -> Option<Self::Item> {
        if self.timed_out {
            return None;
        }
        match self.inner.next(self.deadline) {
            Ok(next) => next.map(Ok),
            Err(()) => {
                self.timed_out = true;
                Some(Err(FutureError::Timeout))
            }
        }
    }
}

impl<T: Send + 'static> fmt::Debug for AsCompletedTimeout<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedTimeout")
            .field("left", &self.inner.left)
            .field("timed_out", &self.timed_out)
            .finish_non_exhaustive()
    }
}
