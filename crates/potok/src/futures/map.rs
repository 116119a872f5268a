//! [`Map`]: the results of [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map), in
//! input order.

use std::collections::VecDeque;
use std::fmt;

use super::error::FutureError;
use super::future::Future;

/// The iterator [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map) returns: each
/// item's result, in input order, as soon as it is ready. Dropping it does not cancel the
/// tasks that are left (they still run, as in Python).
pub struct Map<R: Send + 'static> {
    futures: VecDeque<Future<R>>,
}

impl<R: Send + 'static> Map<R> {
    pub(crate) fn new(futures: VecDeque<Future<R>>) -> Self {
        Map { futures }
    }
}

impl<R: Send + 'static> Iterator for Map<R> {
    type Item = Result<R, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.futures.pop_front().map(Future::take)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.futures.len(), Some(self.futures.len()))
    }
}

impl<R: Send + 'static> ExactSizeIterator for Map<R> {}

impl<R: Send + 'static> fmt::Debug for Map<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("left", &self.futures.len())
            .finish()
    }
}
