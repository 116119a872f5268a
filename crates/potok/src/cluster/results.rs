//! Where a call's results land: one slot per item, filled as finished chunks arrive from the
//! broker (read by the waiting caller itself or the pool's reader thread: see `reader.rs`),
//! read by `map`, [`AsyncResult`], [`IMap`] and [`IMapUnordered`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use serde::de::DeserializeOwned;

use super::error::{GetTimeoutError, TaskError, TaskErrorKind};
use super::identity::ItemFailure;
use super::reader::{Pump, Round};
use crate::process::{NotReady, TimedOut};

/// What the reader thread can do with a call's results without knowing their type.
pub(crate) trait Sink: Send + Sync {
    /// A finished chunk: `payload` is the worker's answer for items `first..first + count`.
    fn deliver(&self, first: usize, count: usize, payload: &[u8]);
    /// Items `first..first + count` failed with `kind`.
    fn fail(&self, first: usize, count: usize, kind: TaskErrorKind);
}

struct State<R> {
    slots: Vec<Option<Result<R, TaskErrorKind>>>,
    filled: usize,
    /// Indices in the order they were filled (only for `imap_unordered`).
    arrival: Option<VecDeque<usize>>,
}

/// The results of one call.
pub(crate) struct Results<R> {
    state: Mutex<State<R>>,
    ready: Condvar,
    /// The pool's result stream, read by whoever waits (or by its reader thread).
    pump: Arc<dyn Pump>,
}

impl<R: DeserializeOwned + Send + 'static> Results<R> {
    pub(crate) fn new(len: usize, track_arrival: bool, pump: Arc<dyn Pump>) -> Arc<Self> {
        Arc::new(Results {
            state: Mutex::new(State {
                slots: (0..len).map(|_| None).collect(),
                filled: 0,
                arrival: track_arrival.then(VecDeque::new),
            }),
            ready: Condvar::new(),
            pump,
        })
    }

    /// Waits until `done` holds for the state (true) or `deadline` passes (false): reads the
    /// pool's result stream itself while nobody else does, else waits for whoever reads.
    fn wait_for(
        &self,
        st: &mut MutexGuard<'_, State<R>>,
        deadline: Option<Instant>,
        done: impl Fn(&State<R>) -> bool,
    ) -> bool {
        loop {
            if done(st) {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            let round = MutexGuard::unlocked(st, || self.pump.read_round(deadline));
            if round == Round::Read || done(st) {
                if round == Round::Follow {
                    self.pump.unfollow();
                }
                continue;
            }
            match deadline {
                None => self.ready.wait(st),
                Some(d) => {
                    let _ = self.ready.wait_until(st, d);
                }
            }
            if round == Round::Follow {
                self.pump.unfollow();
            }
        }
    }

    fn put(&self, st: &mut State<R>, index: usize, value: Result<R, TaskErrorKind>) {
        if let Some(slot) = st.slots.get_mut(index) {
            if slot.is_none() {
                *slot = Some(value);
                st.filled += 1;
                if let Some(arrival) = &mut st.arrival {
                    arrival.push_back(index);
                }
            }
        }
    }

    /// Waits until every slot is filled; the values in order, or the error of lowest index.
    pub(crate) fn collect(&self) -> Result<Vec<R>, TaskError> {
        let mut st = self.state.lock();
        self.wait_for(&mut st, None, |st| st.filled == st.slots.len());
        let slots = std::mem::take(&mut st.slots);
        let mut out = Vec::with_capacity(slots.len());
        for (index, slot) in slots.into_iter().enumerate() {
            match slot.expect("filled") {
                Ok(v) => out.push(v),
                Err(kind) => return Err(TaskError::new(index, kind)),
            }
        }
        Ok(out)
    }

    /// Waits (until `deadline`, if any) for slot `index`, then takes it.
    fn take(&self, index: usize, deadline: Option<Instant>) -> Option<Result<R, TaskError>> {
        let mut st = self.state.lock();
        let present = |st: &State<R>| st.slots.get(index).is_none_or(Option::is_some);
        if !self.wait_for(&mut st, deadline, present) {
            return None;
        }
        let slot = st.slots.get_mut(index).and_then(Option::take)?;
        Some(slot.map_err(|kind| TaskError::new(index, kind)))
    }

    /// Waits (until `deadline`, if any) for the next slot to arrive, then takes it.
    fn take_next_arrived(&self, deadline: Option<Instant>) -> Option<Result<R, TaskError>> {
        let mut st = self.state.lock();
        let arrived = |st: &State<R>| st.arrival.as_ref().is_none_or(|a| !a.is_empty());
        if !self.wait_for(&mut st, deadline, arrived) {
            return None;
        }
        let index = st.arrival.as_mut().and_then(VecDeque::pop_front)?;
        let slot = st.slots[index].take().expect("arrived");
        Some(slot.map_err(|kind| TaskError::new(index, kind)))
    }

    fn is_filled(&self, index: usize) -> bool {
        self.state
            .lock()
            .slots
            .get(index)
            .is_some_and(Option::is_some)
    }

    fn wait_filled(&self, index: usize, deadline: Option<Instant>) -> bool {
        let mut st = self.state.lock();
        self.wait_for(&mut st, deadline, |st| {
            st.slots.get(index).is_some_and(Option::is_some)
        })
    }

    fn slot_ok(&self, index: usize) -> Option<bool> {
        self.state
            .lock()
            .slots
            .get(index)
            .and_then(|s| s.as_ref().map(Result::is_ok))
    }
}

impl<R: DeserializeOwned + Send + 'static> Sink for Results<R> {
    fn deliver(&self, first: usize, count: usize, payload: &[u8]) {
        let mut st = self.state.lock();
        match payload.split_first() {
            Some((0, outcomes)) => {
                let mut rest = match postcard::take_from_bytes::<u64>(outcomes) {
                    Ok((n, rest)) if n == count as u64 => rest,
                    Ok((n, _)) => {
                        let why = format!("a worker answered {n} items for a chunk of {count}");
                        for i in first..first + count {
                            self.put(&mut st, i, Err(TaskErrorKind::Decode(why.clone())));
                        }
                        drop(st);
                        self.ready.notify_all();
                        return;
                    }
                    Err(e) => {
                        for i in first..first + count {
                            let why = format!("a broken answer from a worker: {e}");
                            self.put(&mut st, i, Err(TaskErrorKind::Decode(why)));
                        }
                        drop(st);
                        self.ready.notify_all();
                        return;
                    }
                };
                for i in first..first + count {
                    let outcome = match postcard::take_from_bytes::<Result<R, ItemFailure>>(rest) {
                        Ok((outcome, tail)) => {
                            rest = tail;
                            outcome.map_err(|f| match f {
                                ItemFailure::Panicked(m) => TaskErrorKind::Panicked(m),
                                ItemFailure::Decode(m) => TaskErrorKind::Decode(m),
                                ItemFailure::Encode(m) => TaskErrorKind::Encode(m),
                            })
                        }
                        Err(e) => {
                            rest = &[];
                            Err(TaskErrorKind::Decode(format!(
                                "the result could not be decoded as {}: {e}",
                                std::any::type_name::<R>()
                            )))
                        }
                    };
                    self.put(&mut st, i, outcome);
                }
            }
            Some((_, why)) => {
                let why = String::from_utf8_lossy(why).into_owned();
                for i in first..first + count {
                    self.put(&mut st, i, Err(TaskErrorKind::Refused(why.clone())));
                }
            }
            None => {
                for i in first..first + count {
                    let why = "an empty answer from a worker".to_owned();
                    self.put(&mut st, i, Err(TaskErrorKind::Decode(why)));
                }
            }
        }
        drop(st);
        self.ready.notify_all();
    }

    fn fail(&self, first: usize, count: usize, kind: TaskErrorKind) {
        let mut st = self.state.lock();
        for i in first..first + count {
            self.put(&mut st, i, Err(kind.clone()));
        }
        drop(st);
        self.ready.notify_all();
    }
}

/// The result of [`Pool::apply_async`](super::Pool::apply_async), to wait for (Python's
/// `AsyncResult`).
pub struct AsyncResult<R> {
    results: Arc<Results<R>>,
}

impl<R> std::fmt::Debug for AsyncResult<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncResult").finish_non_exhaustive()
    }
}

impl<R: DeserializeOwned + Send + 'static> AsyncResult<R> {
    pub(crate) fn new(results: Arc<Results<R>>) -> Self {
        AsyncResult { results }
    }

    /// Waits for the result.
    ///
    /// # Errors
    ///
    /// The task's [`TaskError`].
    pub fn get(self) -> Result<R, TaskError> {
        self.results.take(0, None).expect("no deadline")
    }

    /// Waits at most `timeout` for the result.
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] with the handle if it is not ready in time,
    /// [`GetTimeoutError::Task`] if the task failed.
    pub fn get_timeout(self, timeout: Duration) -> Result<R, GetTimeoutError<R>> {
        match self.results.take(0, Some(Instant::now() + timeout)) {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(GetTimeoutError::Task(e)),
            None => Err(GetTimeoutError::Timeout(self)),
        }
    }

    /// Waits until the result is ready.
    pub fn wait(&self) {
        self.results.wait_filled(0, None);
    }

    /// Waits at most `timeout`; whether the result is ready.
    #[must_use]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.results.wait_filled(0, Some(Instant::now() + timeout))
    }

    /// Whether the result is ready.
    pub fn ready(&self) -> bool {
        self.results.is_filled(0)
    }

    /// Whether the task succeeded (Python's `successful()`).
    ///
    /// # Errors
    ///
    /// [`NotReady`] before the result is ready.
    pub fn successful(&self) -> Result<bool, NotReady> {
        self.results.slot_ok(0).ok_or(NotReady)
    }
}

/// The iterator of [`Pool::imap`](super::Pool::imap): results in order, each as soon as it
/// is ready.
pub struct IMap<R> {
    results: Arc<Results<R>>,
    next: usize,
    len: usize,
}

impl<R> std::fmt::Debug for IMap<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IMap")
            .field("next", &self.next)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<R: DeserializeOwned + Send + 'static> IMap<R> {
    pub(crate) fn new(results: Arc<Results<R>>, len: usize) -> Self {
        IMap {
            results,
            next: 0,
            len,
        }
    }

    /// The next result, waiting at most `timeout` for it (Python's `next(timeout)`).
    ///
    /// # Errors
    ///
    /// [`TimedOut`] if it is not ready in time (the iterator stays where it was).
    pub fn next_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<R, TaskError>>, TimedOut> {
        if self.next == self.len {
            return Ok(None);
        }
        match self.results.take(self.next, Some(Instant::now() + timeout)) {
            Some(r) => {
                self.next += 1;
                Ok(Some(r))
            }
            None => Err(TimedOut),
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Iterator for IMap<R> {
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next == self.len {
            return None;
        }
        let r = self.results.take(self.next, None);
        self.next += 1;
        r
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

impl<R: DeserializeOwned + Send + 'static> ExactSizeIterator for IMap<R> {}

/// The iterator of [`Pool::imap_unordered`](super::Pool::imap_unordered): results in the
/// order they finish.
pub struct IMapUnordered<R> {
    results: Arc<Results<R>>,
    left: usize,
}

impl<R> std::fmt::Debug for IMapUnordered<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IMapUnordered")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<R: DeserializeOwned + Send + 'static> IMapUnordered<R> {
    pub(crate) fn new(results: Arc<Results<R>>, len: usize) -> Self {
        IMapUnordered { results, left: len }
    }

    /// The next result to finish, waiting at most `timeout` for it.
    ///
    /// # Errors
    ///
    /// [`TimedOut`] if none finishes in time.
    pub fn next_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<R, TaskError>>, TimedOut> {
        if self.left == 0 {
            return Ok(None);
        }
        match self
            .results
            .take_next_arrived(Some(Instant::now() + timeout))
        {
            Some(r) => {
                self.left -= 1;
                Ok(Some(r))
            }
            None => Err(TimedOut),
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Iterator for IMapUnordered<R> {
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let r = self.results.take_next_arrived(None);
        self.left -= 1;
        r
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<R: DeserializeOwned + Send + 'static> ExactSizeIterator for IMapUnordered<R> {}
