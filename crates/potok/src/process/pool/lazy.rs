//! [`IMap`] and [`IMapUnordered`]: a pool's results one at a time, reading the input lazily.
//!
//! Python's `imap` reads its whole input before the first result comes back (a known
//! complaint: an endless generator never yields, and a long one is held in memory whole).
//! These read the input a chunk at a time, in the caller's thread, and keep at most a window
//! of chunks read but not yet taken ([`window_chunks`]): the next chunk is read when a result
//! is taken. So an endless iterator works, and memory stays bounded.
//!
//! Each chunk is a call of its own (its own [`Results`], numbered from the chunk's first
//! index), dropped once its results are taken. The unordered form learns which chunk finished
//! from an [`OnComplete`] sink that pushes the chunk's number to [`Arrivals`].

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::job::Sink;
use super::on_complete::OnComplete;
use super::results::{Results, Taken};
use super::state::Shared;
use super::submit::submit;

use crate::process::data::Data;
use crate::process::error::{TaskError, TaskErrorKind, TimedOut};
use crate::process::task::TaskId;
use crate::process::timeout::deadline;

/// How many chunks an `imap` keeps read ahead of the results taken, for `processes` workers
/// (8 each: enough that a worker's next job is written while it runs the current one, as
/// `map`'s jobs are).
pub(super) fn window_chunks(processes: usize) -> usize {
    8 * processes.max(1)
}

/// One chunk of the input, queued.
pub(super) struct Chunk<R> {
    /// Its number (the order it was read in).
    id: usize,
    results: Arc<Results<R>>,
    /// The index of its next item to take, and the end of its indices.
    next: usize,
    end: usize,
}

/// The chunk numbers whose results are complete, in that order (for `imap_unordered`).
pub(super) struct Arrivals {
    done: Mutex<VecDeque<usize>>,
    changed: Condvar,
    /// Bumped after every push, so a waiter can watch for one awake before it sleeps.
    pushes: AtomicUsize,
}

/// How long a waiter stays awake before it sleeps (as `AsyncResult` does, for the same
/// reason: a short task's answer comes back sooner than a sleeping thread wakes on a VM).
const SPIN: Duration = Duration::from_micros(60);

impl Arrivals {
    fn push(&self, id: usize) {
        self.done.lock().push_back(id);
        self.pushes.fetch_add(1, Ordering::Release);
        self.changed.notify_one();
    }

    /// The next finished chunk's number, waiting until `deadline`.
    fn pop(&self, deadline: Option<Instant>) -> Option<usize> {
        let seen = self.pushes.load(Ordering::Acquire);
        if let Some(id) = self.done.lock().pop_front() {
            return Some(id);
        }
        let mut until = Instant::now() + SPIN;
        if let Some(d) = deadline {
            until = until.min(d);
        }
        while self.pushes.load(Ordering::Acquire) == seen && Instant::now() < until {
            std::hint::spin_loop();
        }
        let mut done = self.done.lock();
        let _traced = crate::trace::pool_results();
        loop {
            if let Some(id) = done.pop_front() {
                return Some(id);
            }
            match deadline {
                Some(d) => {
                    if self.changed.wait_until(&mut done, d).timed_out() {
                        return done.pop_front();
                    }
                }
                None => self.changed.wait(&mut done),
            }
        }
    }
}

/// Reads the input a chunk at a time and queues each chunk: the part of the iterators that
/// knows the item type.
pub(super) trait Feed<R> {
    /// Reads and queues the next chunk; `None` once the input is exhausted, or after the pool
    /// refused a chunk (whose items then fail as terminated).
    fn next_chunk(&mut self, arrivals: Option<&Arc<Arrivals>>) -> Option<Chunk<R>>;
}

struct Feeder<I, T, R> {
    shared: Arc<Shared>,
    task: TaskId,
    items: I,
    chunksize: usize,
    /// The index of the next item read, and the next chunk's number.
    index: usize,
    id: usize,
    stopped: bool,
    _result: PhantomData<fn() -> (T, R)>,
}

impl<I: Iterator<Item = T>, T: Data, R: Data> Feed<R> for Feeder<I, T, R> {
    fn next_chunk(&mut self, arrivals: Option<&Arc<Arrivals>>) -> Option<Chunk<R>> {
        if self.stopped {
            return None;
        }
        let items: Vec<T> = self.items.by_ref().take(self.chunksize).collect();
        if items.is_empty() {
            self.stopped = true;
            return None;
        }
        let (first, id, len) = (self.index, self.id, items.len());
        self.index += len;
        self.id += 1;
        let taken = if arrivals.is_some() {
            Taken::ByArrival
        } else {
            Taken::ByIndex
        };
        let wrap = |results: &Arc<Results<R>>| -> Arc<dyn Sink> {
            match arrivals {
                Some(arrivals) => {
                    let arrivals = Arc::clone(arrivals);
                    OnComplete::sink(results, Box::new(move |_| arrivals.push(id)))
                }
                None => Arc::clone(results) as Arc<dyn Sink>,
            }
        };
        let results = match submit(
            &self.shared,
            self.task,
            items,
            first,
            self.chunksize,
            taken,
            wrap,
        ) {
            Ok(results) => results,
            Err(_) => {
                // Closed or terminated while the input was being read: these items fail, and
                // no more are read.
                self.stopped = true;
                let results = Results::new(len, taken);
                let sink = wrap(&results);
                for index in first..first + len {
                    sink.fail(index, TaskErrorKind::Terminated);
                }
                results
            }
        };
        Some(Chunk {
            id,
            results,
            next: first,
            end: first + len,
        })
    }
}

/// Makes the feed of an `imap` call.
pub(super) fn feed<'a, T: Data, R: Data>(
    shared: &Arc<Shared>,
    task: TaskId,
    items: impl IntoIterator<Item = T> + 'a,
    chunksize: usize,
) -> Box<dyn Feed<R> + 'a> {
    Box::new(Feeder {
        shared: Arc::clone(shared),
        task,
        items: items.into_iter(),
        chunksize: chunksize.max(1),
        index: 0,
        id: 0,
        stopped: false,
        _result: PhantomData,
    })
}

/// The results of [`Pool::imap`](super::Pool::imap), in the order of the items, each as soon
/// as it and all before it are done. The input is read lazily, at most a window of chunks
/// (8 per worker process) ahead of the results taken.
pub struct IMap<'a, R> {
    feed: Box<dyn Feed<R> + 'a>,
    window: usize,
    in_flight: VecDeque<Chunk<R>>,
    exhausted: bool,
}

impl<'a, R: Data> IMap<'a, R> {
    pub(super) fn new(feed: Box<dyn Feed<R> + 'a>, window: usize) -> Self {
        IMap {
            feed,
            window: window.max(1),
            in_flight: VecDeque::new(),
            exhausted: false,
        }
    }

    fn fill(&mut self) {
        while !self.exhausted && self.in_flight.len() < self.window {
            match self.feed.next_chunk(None) {
                Some(chunk) => self.in_flight.push_back(chunk),
                None => self.exhausted = true,
            }
        }
    }

    /// The next outcome, waiting until `deadline`: `Some(None)` at the end, `None` on timeout.
    fn next_until(&mut self, deadline: Option<Instant>) -> Option<Option<Result<R, TaskError>>> {
        self.fill();
        let Some(chunk) = self.in_flight.front_mut() else {
            return Some(None);
        };
        let outcome = chunk.results.take(chunk.next, deadline)?;
        chunk.next += 1;
        if chunk.next == chunk.end {
            self.in_flight.pop_front();
        }
        // Keep the workers busy while the caller looks at this result.
        self.fill();
        Some(Some(outcome))
    }

    /// The next result, waiting at most `timeout` (Python's `next(timeout)`); `Err(TimedOut)` on
    /// timeout, `Ok(None)` at the end.
    ///
    /// # Errors
    ///
    /// [`TimedOut`] if the next result is not ready within `timeout` (call again to go on
    /// waiting for it).
    pub fn next_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<R, TaskError>>, TimedOut> {
        self.next_until(deadline(timeout)).ok_or(TimedOut)
    }
}

impl<R: Data> Iterator for IMap<'_, R> {
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_until(None)
            .expect("waiting without a deadline returns the outcome")
    }
}

impl<R> fmt::Debug for IMap<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMap")
            .field("chunks_in_flight", &self.in_flight.len())
            .field("window", &self.window)
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}

/// The results of [`Pool::imap_unordered`](super::Pool::imap_unordered), in the order their
/// chunks finish. The input is read lazily, as for [`IMap`].
pub struct IMapUnordered<'a, R> {
    feed: Box<dyn Feed<R> + 'a>,
    window: usize,
    /// Queued chunks not finished yet, and finished ones being taken.
    pending: Vec<Chunk<R>>,
    ready: VecDeque<Chunk<R>>,
    arrivals: Arc<Arrivals>,
    exhausted: bool,
}

impl<'a, R: Data> IMapUnordered<'a, R> {
    pub(super) fn new(feed: Box<dyn Feed<R> + 'a>, window: usize) -> Self {
        IMapUnordered {
            feed,
            window: window.max(1),
            pending: Vec::new(),
            ready: VecDeque::new(),
            arrivals: Arc::new(Arrivals {
                done: Mutex::new(VecDeque::new()),
                changed: Condvar::new(),
                pushes: AtomicUsize::new(0),
            }),
            exhausted: false,
        }
    }

    fn fill(&mut self) {
        while !self.exhausted && self.pending.len() + self.ready.len() < self.window {
            match self.feed.next_chunk(Some(&self.arrivals)) {
                Some(chunk) => self.pending.push(chunk),
                None => self.exhausted = true,
            }
        }
    }

    fn next_until(&mut self, deadline: Option<Instant>) -> Option<Option<Result<R, TaskError>>> {
        self.fill();
        loop {
            if let Some(chunk) = self.ready.front_mut() {
                let outcome = chunk
                    .results
                    .take_arrived(None)
                    .expect("a finished chunk has every outcome");
                chunk.next += 1;
                if chunk.next == chunk.end {
                    self.ready.pop_front();
                }
                self.fill();
                return Some(Some(outcome));
            }
            if self.pending.is_empty() {
                return Some(None);
            }
            let id = self.arrivals.pop(deadline)?;
            let at = self
                .pending
                .iter()
                .position(|c| c.id == id)
                .expect("a chunk finishes once");
            self.ready.push_back(self.pending.swap_remove(at));
        }
    }

    /// The next result to finish, waiting at most `timeout`; `Err(TimedOut)` on timeout,
    /// `Ok(None)` at the end.
    ///
    /// # Errors
    ///
    /// [`TimedOut`] if no result is ready within `timeout`.
    pub fn next_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<R, TaskError>>, TimedOut> {
        self.next_until(deadline(timeout)).ok_or(TimedOut)
    }
}

impl<R: Data> Iterator for IMapUnordered<'_, R> {
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_until(None)
            .expect("waiting without a deadline returns the outcome")
    }
}

impl<R> fmt::Debug for IMapUnordered<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMapUnordered")
            .field("chunks_in_flight", &(self.pending.len() + self.ready.len()))
            .field("window", &self.window)
            .field("exhausted", &self.exhausted)
            .finish_non_exhaustive()
    }
}
