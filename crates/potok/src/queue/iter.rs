//! Iterators that take items from a queue until it is shut down: [`Iter`] and [`IntoIter`].

use std::fmt;
use std::sync::Arc;

use super::core::{Block, Core};
use super::store::Store;

/// A queue seen by its iterators: a blocking get that ends with `None` at shutdown.
pub(crate) trait Source<T>: Send + Sync {
    fn next_item(&self) -> Option<T>;
}

impl<T, S: Store<T>> Source<T> for Core<T, S> {
    fn next_item(&self) -> Option<T> {
        self.get(Block::Until(None)).ok()
    }
}

/// Takes items with a blocking get until the queue is shut down and empty; made by
/// [`Queue::iter`](crate::Queue::iter) and the other queues' `iter`.
pub struct Iter<'a, T> {
    source: &'a dyn Source<T>,
}

impl<'a, T> Iter<'a, T> {
    pub(crate) fn new(source: &'a dyn Source<T>) -> Self {
        Iter { source }
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.source.next_item()
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iter { .. }")
    }
}

/// Takes items with a blocking get until the queue is shut down and empty, owning a handle to
/// the queue; made by `into_iter()` on a queue.
pub struct IntoIter<T> {
    source: Arc<dyn Source<T>>,
}

impl<T> IntoIter<T> {
    pub(crate) fn new(source: Arc<dyn Source<T>>) -> Self {
        IntoIter { source }
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.source.next_item()
    }
}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntoIter { .. }")
    }
}
