//! [`Map`]: the results of [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map), in
//! input order.

use std::collections::VecDeque;
use std::fmt;

use super::error::FutureError;
use super::future::Future;

/// One task of a map: a run of consecutive items, each with its own outcome.
pub(crate) type Chunk<R> = Vec<Result<R, FutureError>>;

/// The iterator [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map) returns: each
/// item's result, in input order, as soon as it (and its chunk) is ready. Dropping it cancels
/// the chunks that have not started, as Python's `map` cancels its remaining futures.
pub struct Map<R: Send + 'static> {
    chunks: VecDeque<Future<Chunk<R>>>,
    current: std::vec::IntoIter<Result<R, FutureError>>,
    left: usize,
}

impl<R: Send + 'static> Map<R> {
    pub(crate) fn new(chunks: VecDeque<Future<Chunk<R>>>, len: usize) -> Self {
        Map {
            chunks,
            current: Vec::new().into_iter(),
            left: len,
        }
    }
}

impl<R: Send + 'static> Iterator for Map<R> {
    type Item = Result<R, FutureError>;

    #[track_caller]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                self.left -= 1;
                return Some(item);
            }
            let chunk = self.chunks.pop_front()?;
            match chunk.take() {
                Ok(items) => self.current = items.into_iter(),
                // The chunk never ran (cancelled, shut down, broken): each of its items fails
                // the same way. Its length is unknown here, so one error stands for the rest.
                Err(err) => {
                    self.left = self.left.saturating_sub(1);
                    return Some(Err(err));
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

impl<R: Send + 'static> Drop for Map<R> {
    fn drop(&mut self) {
        for chunk in &self.chunks {
            let _ = chunk.cancel();
        }
    }
}

impl<R: Send + 'static> fmt::Debug for Map<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map").field("left", &self.left).finish()
    }
}
