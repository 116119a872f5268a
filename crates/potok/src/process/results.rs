//! Where a pool's results land: one [`Results`] per call, filled by the worker threads, read by
//! the caller through [`AsyncResult`], [`IMap`], [`IMapUnordered`] or `map`'s wait.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use serde::de::DeserializeOwned;

use super::error::{GetTimeoutError, NotReady, TaskError, TaskErrorKind, TimedOut};
use super::pool::Indices;
use super::task::{ItemError, OK_VARIANT};
use super::wire::take_varint;

/// Receives the outcomes of jobs; type-erased so the worker threads need not know `R`.
pub(crate) trait Sink: Send + Sync {
    /// The child's encoded outcomes for the items at `indices`, in order.
    fn deliver(&self, indices: &Indices, outcomes: &[u8]);
    /// The item at `index` has no result.
    fn fail(&self, index: usize, kind: TaskErrorKind);
}

/// One item's outcome, as stored (the error boxed, so a slot stays small).
type Outcome<R> = Result<R, Box<TaskError>>;

struct State<R> {
    slots: Vec<Option<Outcome<R>>>,
    /// Indices in the order their outcomes arrived (kept only for `imap_unordered`).
    arrived: VecDeque<usize>,
    remaining: usize,
}

/// The outcomes of one call, filled in any order.
pub(crate) struct Results<R> {
    state: Mutex<State<R>>,
    changed: Condvar,
    track_arrival: bool,
    /// Bumped after every store, so a waiter can watch for news without the lock.
    stores: AtomicUsize,
}

/// How long a waiter for one result stays awake before it sleeps. A short task's result often
/// comes back within tens of microseconds, and a sleeping thread takes 10-50 µs to wake on
/// another CPU of a VM: waiting awake first cut an `apply_async(..).get()` round trip here from
/// ~60 µs to ~25 µs.
const SPIN: Duration = Duration::from_micros(60);

impl<R> Results<R> {
    pub(crate) fn new(len: usize, track_arrival: bool) -> Arc<Self> {
        let mut slots = Vec::with_capacity(len);
        slots.resize_with(len, || None);
        Arc::new(Results {
            state: Mutex::new(State {
                slots,
                arrived: VecDeque::new(),
                remaining: len,
            }),
            changed: Condvar::new(),
            track_arrival,
            stores: AtomicUsize::new(0),
        })
    }

    fn store(&self, outcomes: impl IntoIterator<Item = (usize, Outcome<R>)>) {
        let mut st = self.state.lock();
        for (index, outcome) in outcomes {
            if st.slots[index].is_none() {
                st.slots[index] = Some(outcome);
                st.remaining -= 1;
                if self.track_arrival {
                    st.arrived.push_back(index);
                }
            }
        }
        drop(st);
        self.stores.fetch_add(1, Ordering::Release);
        self.changed.notify_all();
    }

    /// Waits awake, for at most [`SPIN`] (and not past `deadline`), for a store after `seen`.
    fn spin(&self, seen: usize, deadline: Option<Instant>) {
        let mut until = Instant::now() + SPIN;
        if let Some(d) = deadline {
            until = until.min(d);
        }
        while self.stores.load(Ordering::Acquire) == seen && Instant::now() < until {
            std::hint::spin_loop();
        }
    }

    /// Waits until every slot is filled, or until `deadline`; true when all are filled.
    fn wait_all(&self, deadline: Option<Instant>) -> bool {
        let mut st = self.state.lock();
        while st.remaining > 0 {
            match deadline {
                Some(d) => {
                    if self.changed.wait_until(&mut st, d).timed_out() {
                        return st.remaining == 0;
                    }
                }
                None => self.changed.wait(&mut st),
            }
        }
        true
    }

    /// All outcomes in order (after `wait_all`): the values, or the error with the lowest index.
    pub(crate) fn collect(&self) -> Result<Vec<R>, TaskError> {
        self.wait_all(None);
        let slots = std::mem::take(&mut self.state.lock().slots);
        slots
            .into_iter()
            .map(|slot| {
                slot.expect("wait_all saw every slot filled")
                    .map_err(|e| *e)
            })
            .collect()
    }

    /// Waits until `pick` finds something: awake for a moment first, then asleep; at
    /// `deadline`, one last look.
    fn wait_for<T>(
        &self,
        deadline: Option<Instant>,
        mut pick: impl FnMut(&mut State<R>) -> Option<T>,
    ) -> Option<T> {
        let mut st = self.state.lock();
        let mut spun = false;
        loop {
            if let Some(found) = pick(&mut st) {
                return Some(found);
            }
            if !spun {
                spun = true;
                let seen = self.stores.load(Ordering::Acquire);
                MutexGuard::unlocked(&mut st, || self.spin(seen, deadline));
                continue;
            }
            match deadline {
                Some(d) => {
                    if self.changed.wait_until(&mut st, d).timed_out() {
                        return pick(&mut st);
                    }
                }
                None => self.changed.wait(&mut st),
            }
        }
    }

    /// Takes the outcome at `index`, waiting for it until `deadline`.
    fn take(&self, index: usize, deadline: Option<Instant>) -> Option<Result<R, TaskError>> {
        self.wait_for(deadline, |st| {
            st.slots[index].take().map(|o| o.map_err(|e| *e))
        })
    }

    /// Takes the next outcome to arrive, waiting until `deadline`.
    fn take_arrived(&self, deadline: Option<Instant>) -> Option<Result<R, TaskError>> {
        self.wait_for(deadline, |st| {
            let index = st.arrived.pop_front()?;
            st.slots[index].take().map(|o| o.map_err(|e| *e))
        })
    }

    fn is_filled(&self, index: usize) -> bool {
        self.state.lock().slots[index].is_some()
    }

    fn peek_ok(&self, index: usize) -> Option<bool> {
        self.state.lock().slots[index].as_ref().map(Result::is_ok)
    }
}

impl<R: DeserializeOwned + Send> Results<R> {
    /// [`Sink::deliver`] for the items at `indices`.
    fn deliver_at(&self, indices: impl ExactSizeIterator<Item = usize>, outcomes: &[u8]) {
        let count = indices.len();
        let mut rest = outcomes;
        let mut broken: Option<String> = match take_varint(rest) {
            Ok((n, tail)) if n as usize == count => {
                rest = tail;
                None
            }
            Ok((n, _)) => Some(format!("the worker sent {n} results for {} tasks", count)),
            Err(err) => Some(err.to_string()),
        };
        // Decoded straight into the slots (under the lock): no intermediate copy.
        let decoded = indices.map(|index| {
            let outcome = match &broken {
                Some(why) => Err(Box::new(TaskError::new(
                    index,
                    TaskErrorKind::Decode(why.clone()),
                ))),
                None => match decode_outcome::<R>(rest) {
                    Ok((outcome, tail)) => {
                        rest = tail;
                        outcome.map_err(|err| Box::new(TaskError::new(index, item_error(err))))
                    }
                    Err(err) => {
                        let why = format!(
                            "the result could not be decoded as {}: {err}",
                            std::any::type_name::<R>()
                        );
                        broken = Some(why.clone());
                        Err(Box::new(TaskError::new(index, TaskErrorKind::Decode(why))))
                    }
                },
            };
            (index, outcome)
        });
        self.store(decoded);
    }
}

impl<R: DeserializeOwned + Send> Sink for Results<R> {
    fn deliver(&self, indices: &Indices, outcomes: &[u8]) {
        // One loop per kind of index list, so the per-item path has no match on it.
        match indices {
            Indices::Range { start, len } => self.deliver_at(*start..start + len, outcomes),
            Indices::List(list) => self.deliver_at(list.iter().copied(), outcomes),
        }
    }

    fn fail(&self, index: usize, kind: TaskErrorKind) {
        self.store([(index, Err(Box::new(TaskError::new(index, kind))))]);
    }
}

/// Decodes one `Result<R, ItemError>`, the `Ok` case (nearly every item) without going
/// through serde's enum machinery.
#[inline]
fn decode_outcome<R: DeserializeOwned>(
    bytes: &[u8],
) -> postcard::Result<(Result<R, ItemError>, &[u8])> {
    match bytes.split_first() {
        Some((&OK_VARIANT, rest)) => {
            postcard::take_from_bytes::<R>(rest).map(|(value, tail)| (Ok(value), tail))
        }
        _ => postcard::take_from_bytes::<Result<R, ItemError>>(bytes),
    }
}

fn item_error(err: ItemError) -> TaskErrorKind {
    match err {
        ItemError::Panicked(msg) => TaskErrorKind::Panicked(msg),
        ItemError::Decode(msg) => TaskErrorKind::Decode(msg),
        ItemError::Encode(msg) => TaskErrorKind::Encode(msg),
    }
}

/// The pending result of [`Pool::apply_async`](super::Pool::apply_async) (Python's
/// `AsyncResult`).
///
/// # Examples
///
/// ```no_run
/// // no_run: needs a child process (see `potok::process::init`).
/// use std::time::Duration;
///
/// fn slow_double(x: u64) -> u64 {
///     std::thread::sleep(Duration::from_millis(50));
///     x * 2
/// }
///
/// # fn main() {
/// potok::process::init();
/// let pool = potok::process::Pool::new(2).unwrap();
/// let pending = pool.apply_async(slow_double, 21).unwrap();
/// assert!(!pending.ready());
/// pending.wait();
/// assert_eq!(pending.successful(), Ok(true));
/// assert_eq!(pending.get().unwrap(), 42);
/// # }
/// ```
pub struct AsyncResult<R> {
    results: Arc<Results<R>>,
}

impl<R> std::fmt::Debug for AsyncResult<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .finish()
    }
}

impl<R> AsyncResult<R> {
    pub(crate) fn new(results: Arc<Results<R>>) -> Self {
        AsyncResult { results }
    }

    /// Waits for the result and returns it (Python's `get()`).
    ///
    /// # Errors
    ///
    /// The task's [`TaskError`]: it panicked, its worker died, its value could not be
    /// (de)serialized, or the pool was terminated.
    pub fn get(self) -> Result<R, TaskError> {
        self.results
            .take(0, None)
            .expect("waiting without a deadline returns the outcome")
    }

    /// Waits at most `timeout` for the result (Python's `get(timeout)`).
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] with this handle, to wait again; or the task's error.
    pub fn get_timeout(self, timeout: Duration) -> Result<R, GetTimeoutError<R>> {
        match self.results.take(0, Some(Instant::now() + timeout)) {
            Some(Ok(value)) => Ok(value),
            Some(Err(err)) => Err(GetTimeoutError::Task(err)),
            None => Err(GetTimeoutError::Timeout(self)),
        }
    }

    /// Waits until the result is ready (Python's `wait()`).
    pub fn wait(&self) {
        self.results.wait_all(None);
    }

    /// Waits at most `timeout`; true if the result is ready (Python's `wait(timeout)`, which
    /// returns nothing: call [`ready`](Self::ready) after it there).
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.results.wait_all(Some(Instant::now() + timeout))
    }

    /// Whether the result has arrived (Python's `ready()`).
    pub fn ready(&self) -> bool {
        self.results.is_filled(0)
    }

    /// Whether the task succeeded (Python's `successful()`).
    ///
    /// # Errors
    ///
    /// [`NotReady`] while the task runs (Python raises `ValueError`).
    pub fn successful(&self) -> Result<bool, NotReady> {
        self.results.peek_ok(0).ok_or(NotReady)
    }
}

/// The results of [`Pool::imap`](super::Pool::imap), in the order of the items, each as soon
/// as it and all before it are done.
pub struct IMap<R> {
    results: Arc<Results<R>>,
    next: usize,
    len: usize,
}

impl<R> IMap<R> {
    pub(crate) fn new(results: Arc<Results<R>>, len: usize) -> Self {
        IMap {
            results,
            next: 0,
            len,
        }
    }

    /// The next result, waiting at most `timeout` (Python's `next(timeout)`); `Err(TimedOut)` on
    /// timeout, `Ok(None)` at the end.
    pub fn next_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<R, TaskError>>, TimedOut> {
        if self.next == self.len {
            return Ok(None);
        }
        match self.results.take(self.next, Some(Instant::now() + timeout)) {
            Some(outcome) => {
                self.next += 1;
                Ok(Some(outcome))
            }
            None => Err(TimedOut),
        }
    }
}

impl<R> Iterator for IMap<R> {
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next == self.len {
            return None;
        }
        let outcome = self.results.take(self.next, None);
        self.next += 1;
        outcome
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.len - self.next;
        (left, Some(left))
    }
}

impl<R> ExactSizeIterator for IMap<R> {}

/// The results of [`Pool::imap_unordered`](super::Pool::imap_unordered), in the order they
/// finish.
pub struct IMapUnordered<R> {
    results: Arc<Results<R>>,
    left: usize,
    _marker: PhantomData<R>,
}

impl<R> IMapUnordered<R> {
    pub(crate) fn new(results: Arc<Results<R>>, len: usize) -> Self {
        IMapUnordered {
            results,
            left: len,
            _marker: PhantomData,
        }
    }

    /// The next result to finish, waiting at most `timeout`; `Err(TimedOut)` on timeout, `Ok(None)`
    /// at the end.
    pub fn next_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Result<R, TaskError>>, TimedOut> {
        if self.left == 0 {
            return Ok(None);
        }
        match self.results.take_arrived(Some(Instant::now() + timeout)) {
            Some(outcome) => {
                self.left -= 1;
                Ok(Some(outcome))
            }
            None => Err(TimedOut),
        }
    }
}

impl<R> Iterator for IMapUnordered<R> {
    type Item = Result<R, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let outcome = self.results.take_arrived(None);
        self.left -= 1;
        outcome
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<R> ExactSizeIterator for IMapUnordered<R> {}
