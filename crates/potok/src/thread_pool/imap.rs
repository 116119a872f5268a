//! [`IMap`] and [`IMapUnordered`]: results one at a time, reading the input lazily.
//!
//! Python's `imap` reads its whole input before the first result (a known complaint: an
//! endless generator never yields). These keep at most a window of tasks in flight and read
//! the next item only when a result is taken, so an endless iterator works.

use std::collections::VecDeque;
use std::fmt;

use crate::futures::{Future, FutureError};
use crate::SimpleQueue;

/// Submits the next item, if there is one.
pub(crate) type Feed<'a, R> = Box<dyn FnMut() -> Option<Future<R>> + 'a>;

/// What [`ThreadPool::imap`](crate::ThreadPool::imap) returns: each result in input order.
pub struct IMap<'a, R: Send + 'static> {
    feed: Feed<'a, R>,
    window: usize,
    in_flight: VecDeque<Future<R>>,
    exhausted: bool,
}

impl<'a, R: Send + 'static> IMap<'a, R> {
    pub(crate) fn new(feed: Feed<'a, R>, window: usize) -> Self {
        IMap {
            feed,
            window,
            in_flight: VecDeque::new(),
            exhausted: false,
        }
    }

    fn fill(&mut self) {
        while !self.exhausted && self.in_flight.len() < self.window {
            match (self.feed)() {
                Some(future) => self.in_flight.push_back(future),
                None => self.exhausted = true,
            }
        }
    }
}

impl<R: Send + 'static> Iterator for IMap<'_, R> {
    type Item = Result<R, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.fill();
        let next = self.in_flight.pop_front()?;
        // Keep the workers busy while this result is waited for.
        self.fill();
        Some(next.take())
    }
}

impl<R: Send + 'static> fmt::Debug for IMap<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMap")
            .field("in_flight", &self.in_flight.len())
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}

/// What [`ThreadPool::imap_unordered`](crate::ThreadPool::imap_unordered) returns: each result
/// as soon as it is ready, in the order they finish.
pub struct IMapUnordered<'a, R: Send + 'static> {
    feed: Feed<'a, R>,
    window: usize,
    in_flight: usize,
    exhausted: bool,
    done: SimpleQueue<Result<R, FutureError>>,
}

impl<'a, R: Send + 'static> IMapUnordered<'a, R> {
    pub(crate) fn new(feed: Feed<'a, R>, window: usize) -> Self {
        IMapUnordered {
            feed,
            window,
            in_flight: 0,
            exhausted: false,
            done: SimpleQueue::named("imap_unordered results"),
        }
    }

    fn fill(&mut self) {
        while !self.exhausted && self.in_flight < self.window {
            match (self.feed)() {
                Some(future) => {
                    let done = self.done.clone();
                    future.add_done_callback(move |f| done.put(f.take_finished()));
                    self.in_flight += 1;
                }
                None => self.exhausted = true,
            }
        }
    }
}

impl<R: Send + 'static> Iterator for IMapUnordered<'_, R> {
    type Item = Result<R, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.fill();
        if self.in_flight == 0 {
            return None;
        }
        let result = self.done.get();
        self.in_flight -= 1;
        Some(result)
    }
}

impl<R: Send + 'static> fmt::Debug for IMapUnordered<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMapUnordered")
            .field("in_flight", &self.in_flight)
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}
