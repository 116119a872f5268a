//! Where a pool's results land: one [`Results`] per call (or per chunk of a lazy `imap`),
//! filled by the worker threads, read by the caller through [`AsyncResult`], the `imap`
//! iterators or `map`'s wait.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::job::{Indices, Sink};
use super::worker::DirectRead;
use std::error::Error;
use std::fmt;

use crate::process::error::{NotReady, TaskError, TaskErrorKind};
use crate::process::plain;
use crate::process::task::{ItemError, ERR_VARIANT, OK_VARIANT};
use crate::process::timeout::deadline;
use crate::process::wire::take_varint;

/// One item's outcome, as stored (the error boxed, so a slot stays small).
type Outcome<R> = Result<R, Box<TaskError>>;

/// The stored outcomes of consecutive items, from item `start` on.
///
/// A chunk's results are decoded by its worker thread into a run of their own, outside the
/// lock, and stored as one: no per-item slot is prepared in advance, written from another CPU
/// and read back (that traffic, three passes over 16 bytes per item, was a large part of a
/// `map`'s cost), and `map` moves a run of plain values into its result as a block.
struct Run<R> {
    start: usize,
    items: Items<R>,
}

enum Items<R> {
    /// Every item succeeded and none was taken yet (a chunk of a `map`: the common case).
    Values(Vec<R>),
    /// Any mix; `None` once taken.
    Outcomes(Vec<Option<Outcome<R>>>),
    /// A worker's answer for `len` items, not decoded yet: a chunk of a call taken whole that
    /// came before the chunks ahead of it, parked until the list reaches it (see [`Fill`]).
    Raw {
        len: usize,
        bytes: Vec<u8>,
        fill: FillFn<R>,
    },
}

/// Appends the values of the `len` items from `start` encoded in `bytes` (a worker's answer)
/// to a list while they succeed; returns the rest, from the first item that did not, as a run
/// (`None`: every item's value was appended).
type FillFn<R> = fn(&mut Vec<R>, usize, usize, &[u8]) -> Option<Run<R>>;

impl<R> Items<R> {
    fn len(&self) -> usize {
        match self {
            Items::Values(v) => v.len(),
            Items::Outcomes(o) => o.len(),
            Items::Raw { len, .. } => *len,
        }
    }

    /// The per-item form, to take items out one by one (`start`: the first item's index).
    fn outcomes(&mut self, start: usize) -> &mut Vec<Option<Outcome<R>>> {
        match self {
            Items::Values(values) => {
                let values = std::mem::take(values);
                *self = Items::Outcomes(values.into_iter().map(|v| Some(Ok(v))).collect());
            }
            Items::Raw { len, bytes, fill } => {
                let mut values = Vec::with_capacity(*len);
                let tail = fill(&mut values, start, *len, bytes);
                let mut outcomes: Vec<_> = values.into_iter().map(|v| Some(Ok(v))).collect();
                if let Some(mut tail) = tail {
                    outcomes.append(tail.items.outcomes(tail.start));
                }
                *self = Items::Outcomes(outcomes);
            }
            Items::Outcomes(_) => {}
        }
        match self {
            Items::Outcomes(outcomes) => outcomes,
            _ => unreachable!("converted above"),
        }
    }
}

/// How a call's outcomes are taken: the list of all of them at once (`map`), or one by one.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Taken {
    /// All at once, in order, by [`Results::collect`]: plain values are decoded straight
    /// into the list it returns (see [`Fill`]), made now.
    Whole,
    /// The same, with the list made by the caller once the call's items are queued
    /// ([`Results::make_list`]): it then takes the memory the items were in, whose pages are
    /// mapped already (made before, a list of 100,000 numbers cost ~60 more page faults per
    /// `map`, measured, and more CPU than it saved).
    WholeListLater,
    /// One by one, by index ([`Results::take`]); or all at once by `collect`, which joins the
    /// runs (a call taken whole in chunks too small to be worth a list filled in order).
    ByIndex,
    /// One by one, by index or in the order they arrived ([`Results::take_arrived`]).
    ByArrival,
}

impl Taken {
    /// How a call taken whole in chunks of `chunksize` is taken: into a list made later
    /// ([`Taken::WholeListLater`]) for chunks of [`FILL_MIN_CHUNK`] items or more, else by
    /// index (`collect` then joins the chunks' runs).
    pub(crate) fn whole(chunksize: usize) -> Taken {
        if chunksize >= FILL_MIN_CHUNK {
            Taken::WholeListLater
        } else {
            Taken::ByIndex
        }
    }

    /// The same, with the list made now (for a call whose caller does not wait for it).
    pub(crate) fn list_now(self) -> Taken {
        match self {
            Taken::WholeListLater => Taken::Whole,
            other => other,
        }
    }
}

/// The smallest chunk whose answers are decoded straight into the list of a call taken
/// whole. With one item per chunk, every answer parked early cost an allocation and two
/// more lock round trips, and the caller decoded the ones that came while it was still
/// queuing the items, alone, at the end: `map` with chunk size 1 was ~20% slower (criterion,
/// 5 pairs, loaded), for a copy of a few bytes saved per chunk.
const FILL_MIN_CHUNK: usize = 64;

/// The list a call taken whole returns, filled in order as its chunks' answers arrive.
///
/// A pool thread whose answer is for the items right after the list's end decodes it straight
/// into the list, outside the lock, and then the answers parked meanwhile (raw, as they came)
/// that continue it. An answer for items further on is parked raw: it costs a copy of the
/// answer's bytes (a third of the values' size, for small numbers) instead of a run of values
/// of its own, written once by the decoder and again into the list. Only plain values (see
/// `plain.rs`) are decoded this way: their decoding cannot panic, so the list is never lost
/// with a pool thread's unwinding. Any other type goes through runs, as a call taken by index.
///
/// ```text
///   Away { end: 0 } ── make_list (the caller) ──┐   (Taken::WholeListLater)
///                                               ▼
///   Here(list) ── the answer for items list.len().. ──▶ Away { end } ── decoded into the
///      ▲            (claimed under the lock)                 │   list, outside the lock
///      └── list back under the lock; a parked answer for items end.. is claimed the same way
/// ```
enum Fill<R> {
    /// Items `0..list.len()` have these values, in order; the others' outcomes are in runs.
    Here(Vec<R>),
    /// The list is not made yet (`end` 0), or a thread is appending to it the values of the
    /// items up to `end`.
    Away { end: usize },
}

struct State<R> {
    /// Sorted by `start`, never overlapping: an item's first outcome is its outcome, and a
    /// later one (a failure reported after its result came) is ignored.
    /// (A deque: a call taken whole takes its parked answers from the front.)
    runs: VecDeque<Run<R>>,
    /// Indices in the order their outcomes arrived (kept only for `imap_unordered`).
    arrived: VecDeque<usize>,
    remaining: usize,
    /// How many items the call has.
    len: usize,
    /// Threads asleep in `wait_for`, waiting for one particular outcome: every store wakes
    /// them. Threads in `wait_all` are woken only by the last store (a `map` of many small
    /// tasks would otherwise wake its caller once per chunk, for nothing).
    item_waiters: usize,
    /// The list of a call taken whole (`None` for one taken by index, or once collected).
    fill: Option<Fill<R>>,
}

impl<R> State<R> {
    /// Where the filled list ends: items before it have their outcome there.
    fn filled(&self) -> usize {
        match &self.fill {
            None => 0,
            Some(Fill::Here(list)) => list.len(),
            Some(Fill::Away { end }) => *end,
        }
    }

    /// Whether every item has its outcome, and no thread is still appending to the list.
    fn complete(&self) -> bool {
        self.remaining == 0 && !matches!(self.fill, Some(Fill::Away { .. }))
    }

    /// Where a run of items `start..start + len` goes in `runs`, if none of them is stored.
    fn free_place(&self, start: usize, len: usize) -> Option<usize> {
        if start < self.filled() {
            return None;
        }
        let at = self.runs.partition_point(|r| r.start < start);
        let before_ok = at == 0 || {
            let before = &self.runs[at - 1];
            before.start + before.items.len() <= start
        };
        let after_ok = self
            .runs
            .get(at)
            .is_none_or(|after| after.start >= start + len);
        (before_ok && after_ok).then_some(at)
    }

    /// The stored items that hold item `index`, and its place among them.
    fn find(&mut self, index: usize) -> Option<(&mut Items<R>, usize)> {
        let at = self
            .runs
            .partition_point(|r| r.start <= index)
            .checked_sub(1)?;
        let run = &mut self.runs[at];
        let k = index - run.start;
        (k < run.items.len()).then_some((&mut run.items, k))
    }

    fn take(&mut self, index: usize) -> Option<Result<R, TaskError>> {
        let (items, k) = self.find(index)?;
        let start = index - k;
        items.outcomes(start)[k].take().map(|o| o.map_err(|e| *e))
    }
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
    pub(crate) fn new(len: usize, taken: Taken) -> Arc<Self> {
        Arc::new(Results {
            state: Mutex::new(State {
                runs: VecDeque::new(),
                arrived: VecDeque::new(),
                remaining: len,
                len,
                item_waiters: 0,
                // The list is made once, as long as it will be (its pages are touched only as
                // values are written).
                fill: match taken {
                    Taken::Whole => Some(Fill::Here(Vec::with_capacity(len))),
                    Taken::WholeListLater => Some(Fill::Away { end: 0 }),
                    Taken::ByIndex | Taken::ByArrival => None,
                },
            }),
            changed: Condvar::new(),
            track_arrival: taken == Taken::ByArrival,
            stores: AtomicUsize::new(0),
        })
    }

    /// Stores runs of outcomes (each `(first index, items)`); items already stored keep
    /// their first outcome.
    fn store(&self, runs: impl IntoIterator<Item = (usize, Items<R>)>) {
        let mut st = self.state.lock();
        for (start, items) in runs {
            let len = items.len();
            if len == 0 {
                continue;
            }
            if let Some(at) = st.free_place(start, len) {
                st.remaining -= len;
                if self.track_arrival {
                    st.arrived.extend(start..start + len);
                }
                st.runs.insert(at, Run { start, items });
                continue;
            }
            // Some are stored already (rare): the others, one by one.
            let mut items = items;
            for (k, outcome) in std::mem::take(items.outcomes(start))
                .into_iter()
                .enumerate()
            {
                let index = start + k;
                if let Some(at) = st.free_place(index, 1) {
                    st.remaining -= 1;
                    if self.track_arrival {
                        st.arrived.push_back(index);
                    }
                    let items = Items::Outcomes(vec![outcome]);
                    st.runs.insert(
                        at,
                        Run {
                            start: index,
                            items,
                        },
                    );
                }
            }
        }
        self.stored(st);
    }

    /// After a store, with the lock: wakes whoever waits for it.
    fn stored(&self, st: MutexGuard<'_, State<R>>) {
        let wake = st.complete() || st.item_waiters > 0;
        drop(st);
        self.stores.fetch_add(1, Ordering::Release);
        if wake {
            self.changed.notify_all();
        }
    }

    /// Looks for a store after `seen` for at most [`SPIN`] (and not past `deadline`), yielding
    /// the CPU between looks, as the caller that reads its own answer does (see
    /// `wait_readable` in worker.rs).
    fn spin(&self, seen: usize, deadline: Option<Instant>) {
        crate::thread::look_for(SPIN, deadline, None, || {
            self.stores.load(Ordering::Acquire) != seen
        });
    }

    /// Waits until every slot is filled, or until `deadline`; true when all are filled.
    fn wait_all(&self, deadline: Option<Instant>) -> bool {
        let mut st = self.state.lock();
        let _traced = (!st.complete()).then(crate::trace::pool_results);
        while !st.complete() {
            match deadline {
                Some(d) => {
                    if self.changed.wait_until(&mut st, d).timed_out() {
                        return st.complete();
                    }
                }
                None => self.changed.wait(&mut st),
            }
        }
        true
    }

    /// All outcomes in order (after `wait_all`): the values, or the error with the lowest index.
    /// Called once: the list of a call taken whole is handed over, not copied.
    pub(crate) fn collect(&self) -> Result<Vec<R>, TaskError> {
        self.wait_all(None);
        let (mut out, runs) = {
            let mut st = self.state.lock();
            let out = match st.fill.take() {
                Some(Fill::Here(list)) => list,
                Some(Fill::Away { .. }) => unreachable!("wait_all waits for the list"),
                None => Vec::new(),
            };
            (out, std::mem::take(&mut st.runs))
        };
        let len = runs.back().map_or(0, |r| r.start + r.items.len());
        out.reserve(len.saturating_sub(out.len()));
        for run in runs {
            debug_assert_eq!(run.start, out.len(), "the runs cover every item once");
            let outcomes = match run.items {
                Items::Values(values) => {
                    out.extend(values);
                    continue;
                }
                Items::Outcomes(outcomes) => outcomes,
                Items::Raw { len, bytes, fill } => match fill(&mut out, run.start, len, &bytes) {
                    None => continue,
                    Some(mut tail) => std::mem::take(tail.items.outcomes(tail.start)),
                },
            };
            for outcome in outcomes {
                let outcome = outcome.expect("wait_all saw every item stored, none taken");
                out.push(outcome.map_err(|e| *e)?);
            }
        }
        Ok(out)
    }

    /// Waits until `pick` finds something: awake for a moment first, then asleep; at
    /// `deadline`, one last look.
    fn wait_for<T>(
        &self,
        deadline: Option<Instant>,
        mut pick: impl FnMut(&mut State<R>) -> Option<T>,
    ) -> Option<T> {
        let mut st = self.state.lock();
        let _traced = crate::trace::pool_results();
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
            st.item_waiters += 1;
            let timed_out = match deadline {
                Some(d) => self.changed.wait_until(&mut st, d).timed_out(),
                None => {
                    self.changed.wait(&mut st);
                    false
                }
            };
            st.item_waiters -= 1;
            if timed_out {
                return pick(&mut st);
            }
        }
    }

    /// Takes the outcome at `index`, waiting for it until `deadline`.
    pub(super) fn take(
        &self,
        index: usize,
        deadline: Option<Instant>,
    ) -> Option<Result<R, TaskError>> {
        self.wait_for(deadline, |st| st.take(index))
    }

    /// Takes the next outcome to arrive, waiting until `deadline`.
    pub(super) fn take_arrived(&self, deadline: Option<Instant>) -> Option<Result<R, TaskError>> {
        self.wait_for(deadline, |st| {
            let index = st.arrived.pop_front()?;
            st.take(index)
        })
    }

    /// Whether every item has its outcome.
    pub(super) fn is_complete(&self) -> bool {
        self.state.lock().complete()
    }

    /// Stores an outcome made in this process (the assembled result of a `map_async`).
    pub(super) fn put(&self, index: usize, outcome: Result<R, TaskError>) {
        let items = match outcome {
            Ok(value) => Items::Values(vec![value]),
            Err(err) => Items::Outcomes(vec![Some(Err(Box::new(err)))]),
        };
        self.store([(index, items)]);
    }

    fn is_filled(&self, index: usize) -> bool {
        self.peek_ok(index).is_some()
    }

    fn peek_ok(&self, index: usize) -> Option<bool> {
        let mut st = self.state.lock();
        let (items, k) = st.find(index)?;
        let start = index - k;
        match items {
            Items::Values(_) => Some(true),
            items => items.outcomes(start)[k].as_ref().map(Result::is_ok),
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Results<R> {
    /// Decodes the outcomes of `count` items (`index_of(k)` is item `k`'s index in the call):
    /// plain values while every item succeeds, outcomes from the first that did not.
    fn decode(count: usize, bytes: &[u8], index_of: impl Fn(usize) -> usize) -> Items<R> {
        let mut values = Vec::with_capacity(count);
        match Self::decode_into(&mut values, count, bytes, index_of) {
            None => Items::Values(values),
            Some(tail) => {
                let mut outcomes: Vec<Option<Outcome<R>>> = Vec::with_capacity(count);
                outcomes.extend(values.into_iter().map(|v| Some(Ok(v))));
                outcomes.extend(tail);
                Items::Outcomes(outcomes)
            }
        }
    }

    /// Decodes the outcomes of `count` items, appending their values to `values` while they
    /// succeed; returns the outcomes from the first item that did not (`None` if all did).
    fn decode_into(
        values: &mut Vec<R>,
        count: usize,
        bytes: &[u8],
        index_of: impl Fn(usize) -> usize,
    ) -> Option<Vec<Option<Outcome<R>>>> {
        let base = values.len();
        let mut rest = bytes;
        let mut broken: Option<String> = match take_varint(rest) {
            Ok((n, tail)) if n as usize == count => {
                rest = tail;
                None
            }
            Ok((n, _)) => Some(format!("the worker sent {n} results for {count} tasks")),
            Err(err) => Some(err.to_string()),
        };
        values.reserve(count);
        if broken.is_none() && plain::is_plain::<R>() {
            rest = take_plain(base + count, rest, values);
        }
        // One deserializer for the whole run of outcomes (not one per item).
        let mut de = postcard::Deserializer::from_bytes(rest);
        let mut first: Option<Result<R, ItemError>> = None;
        if broken.is_none() {
            while values.len() < base + count {
                match next_outcome::<R>(&mut de) {
                    Ok(Ok(value)) => values.push(value),
                    Ok(outcome) => {
                        first = Some(outcome);
                        break;
                    }
                    Err(err) => {
                        broken = Some(format!(
                            "the result could not be decoded as {}: {err}",
                            std::any::type_name::<R>()
                        ));
                        break;
                    }
                }
            }
        }
        let done = values.len() - base;
        if done == count {
            return None;
        }
        // From here on, one outcome per item.
        let mut outcomes: Vec<Option<Outcome<R>>> = Vec::with_capacity(count - done);
        let fail =
            |k: usize, kind: TaskErrorKind| Some(Err(Box::new(TaskError::new(index_of(k), kind))));
        let mut next = first.map(|outcome| {
            outcome.map_err(|err| Box::new(TaskError::new(index_of(done), item_error(err))))
        });
        for k in done..count {
            if let Some(outcome) = next.take() {
                outcomes.push(Some(outcome));
                continue;
            }
            if let Some(why) = &broken {
                outcomes.push(fail(k, TaskErrorKind::Decode(why.clone())));
                continue;
            }
            match next_outcome::<R>(&mut de) {
                Ok(outcome) => {
                    outcomes.push(Some(outcome.map_err(|err| {
                        Box::new(TaskError::new(index_of(k), item_error(err)))
                    })));
                }
                Err(err) => {
                    let why = format!(
                        "the result could not be decoded as {}: {err}",
                        std::any::type_name::<R>()
                    );
                    outcomes.push(fail(k, TaskErrorKind::Decode(why.clone())));
                    broken = Some(why);
                }
            }
        }
        Some(outcomes)
    }

    /// The [`FillFn`] of `R`: [`decode_into`](Self::decode_into) the list, for the items
    /// `start..start + len`.
    fn fill_list(list: &mut Vec<R>, start: usize, len: usize, bytes: &[u8]) -> Option<Run<R>> {
        let before = list.len();
        let tail = Self::decode_into(list, len, bytes, |k| start + k)?;
        Some(Run {
            start: start + (list.len() - before),
            items: Items::Outcomes(tail),
        })
    }

    /// Delivers the answer for the items `start..start + len` of a call taken whole, if its
    /// values are plain: decoded straight into the list if they continue it, else parked raw
    /// (see [`Fill`]); false if it is to be stored as a run (another type, a call taken by
    /// index, or items stored already).
    fn fill(&self, start: usize, len: usize, bytes: &[u8]) -> bool {
        if !plain::is_plain::<R>() {
            return false;
        }
        let mut st = self.state.lock();
        if st.fill.is_none() || len == 0 {
            return false;
        }
        let Some(at) = st.free_place(start, len) else {
            return false;
        };
        st.remaining -= len;
        if start != st.filled() || !matches!(st.fill, Some(Fill::Here(_))) {
            let fill = Self::fill_list;
            let items = Items::Raw {
                len,
                bytes: bytes.to_vec(),
                fill,
            };
            st.runs.insert(at, Run { start, items });
            self.stored(st);
            return true;
        }
        // This answer continues the list, and any parked after it that continue it in turn.
        let Some(Fill::Here(list)) = st.fill.take() else {
            unreachable!("checked: the list is here")
        };
        self.extend_list(st, list, Some((start, len, Cow::Borrowed(bytes))));
        true
    }

    /// Makes the list of a call taken whole with [`Taken::WholeListLater`], now that its items
    /// are queued, and decodes into it the answers that came meanwhile.
    pub(super) fn make_list(&self) {
        let st = self.state.lock();
        if let Some(Fill::Away { end: 0 }) = st.fill {
            let list = Vec::with_capacity(st.len);
            self.extend_list(st, list, None);
        }
    }

    /// With the list taken out of the state (which says `Away`): appends `next` (an answer
    /// for the items right after the list), then every parked answer that continues it, each
    /// decoded outside the lock; then puts the list back.
    fn extend_list<'a>(
        &self,
        mut st: MutexGuard<'_, State<R>>,
        mut list: Vec<R>,
        mut next: Option<(usize, usize, Cow<'a, [u8]>)>,
    ) {
        loop {
            if let Some((start, len, bytes)) = next.take() {
                st.fill = Some(Fill::Away { end: start + len });
                let tail = MutexGuard::unlocked(&mut st, || {
                    Self::fill_list(&mut list, start, len, &bytes)
                });
                if let Some(tail) = tail {
                    // An item that has no value: the list stops before it (`collect` goes on
                    // from the runs).
                    let at = st.runs.partition_point(|r| r.start < tail.start);
                    st.runs.insert(at, tail);
                    break;
                }
            }
            match st.runs.front() {
                Some(Run {
                    start,
                    items: Items::Raw { .. },
                }) if *start == list.len() => {}
                _ => break,
            }
            let Some(Run { start, items }) = st.runs.pop_front() else {
                unreachable!("matched above")
            };
            let Items::Raw { len, bytes, .. } = items else {
                unreachable!("matched above")
            };
            next = Some((start, len, Cow::Owned(bytes)));
        }
        st.fill = Some(Fill::Here(list));
        self.stored(st);
    }
}

impl<R: DeserializeOwned + Send + 'static> Sink for Results<R> {
    fn deliver(&self, indices: &Indices, outcomes: &[u8]) {
        match indices {
            Indices::Range { start, len } => {
                if self.fill(*start, *len, outcomes) {
                    return;
                }
                let items = Self::decode(*len, outcomes, |k| start + k);
                self.store([(*start, items)]);
            }
            Indices::List(list) => {
                // A chunk that was split (rare): stored item by item.
                let mut items = Self::decode(list.len(), outcomes, |k| list[k]);
                let outcomes = std::mem::take(items.outcomes(0));
                self.store(
                    list.iter()
                        .zip(outcomes)
                        .map(|(&index, outcome)| (index, Items::Outcomes(vec![outcome]))),
                );
            }
        }
    }

    fn fail(&self, index: usize, kind: TaskErrorKind) {
        let outcome = Err(Box::new(TaskError::new(index, kind)));
        self.store([(index, Items::Outcomes(vec![Some(outcome)]))]);
    }
}

/// Takes the `Ok` outcomes of plain values (see `plain.rs`) into `values` while they come, up
/// until `values` holds `count` in all; returns the bytes after them (the rest, if any, is decoded with serde,
/// which says what is wrong or decodes the error).
#[inline]
fn take_plain<'a, R: 'static>(count: usize, mut rest: &'a [u8], values: &mut Vec<R>) -> &'a [u8] {
    while values.len() < count {
        let [OK_VARIANT, tail @ ..] = rest else {
            break;
        };
        let mut value = None;
        let Some(n) = plain::take(tail, &mut value) else {
            break;
        };
        values.push(value.expect("a decoded value"));
        rest = &tail[n..];
    }
    rest
}

/// Decodes the next `Result<R, ItemError>` as postcard encodes it (its variant index, one
/// byte for 0 or 1, then the value), without going through serde's enum machinery: nearly
/// every item is `Ok`.
#[inline]
fn next_outcome<'de, R: DeserializeOwned>(
    de: &mut postcard::Deserializer<'de, postcard::de_flavors::Slice<'de>>,
) -> postcard::Result<Result<R, ItemError>> {
    match u8::deserialize(&mut *de)? {
        OK_VARIANT => R::deserialize(&mut *de).map(Ok),
        ERR_VARIANT => ItemError::deserialize(&mut *de).map(Err),
        _ => Err(postcard::Error::DeserializeBadEnum),
    }
}

fn item_error(err: ItemError) -> TaskErrorKind {
    match err {
        ItemError::Panicked(msg) => TaskErrorKind::Panicked(msg),
        ItemError::Decode(msg) => TaskErrorKind::Decode(msg),
        ItemError::Encode(msg) => TaskErrorKind::Encode(msg),
    }
}

/// The error of [`AsyncResult::get_timeout`](AsyncResult::get_timeout).
#[derive(Debug)]
pub enum GetTimeoutError<R> {
    /// Not ready in time; the handle comes back to wait again.
    Timeout(AsyncResult<R>),
    /// The task failed.
    Task(TaskError),
}

impl<R> fmt::Display for GetTimeoutError<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetTimeoutError::Timeout(_) => f.write_str("timed out waiting for the result"),
            GetTimeoutError::Task(err) => err.fmt(f),
        }
    }
}

impl<R: fmt::Debug> Error for GetTimeoutError<R> {}

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
    /// While its job waits on an idle worker for this caller to read the answer (dropped, it
    /// leaves the answer to the worker's thread).
    direct: Option<DirectRead>,
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
        AsyncResult::with_direct(results, None)
    }

    pub(crate) fn with_direct(results: Arc<Results<R>>, direct: Option<DirectRead>) -> Self {
        AsyncResult { results, direct }
    }

    /// Reads the answer from the worker here, if this caller may (waiting until `deadline`).
    fn read_direct(&mut self, deadline: Option<Instant>) {
        if let Some(mut direct) = self.direct.take() {
            let _traced = crate::trace::pool_results();
            direct.read(deadline);
        }
    }

    /// Leaves the answer to the worker's thread (for a look without waiting).
    fn release_direct(&self) {
        // (`&self`: the thread takes it over; the right itself goes with this handle.)
        if let Some(direct) = &self.direct {
            direct.release();
        }
    }

    /// Waits for the result and returns it (Python's `get()`).
    ///
    /// # Errors
    ///
    /// The task's [`TaskError`]: it panicked, its worker died, its value could not be
    /// (de)serialized, or the pool was terminated.
    pub fn get(mut self) -> Result<R, TaskError> {
        self.read_direct(None);
        self.results
            .take(0, None)
            .expect("waiting without a deadline returns the outcome")
    }

    /// Waits at most `timeout` for the result (Python's `get(timeout)`).
    ///
    /// # Errors
    ///
    /// [`GetTimeoutError::Timeout`] with this handle, to wait again; or the task's error.
    pub fn get_timeout(mut self, timeout: Duration) -> Result<R, GetTimeoutError<R>> {
        let deadline = deadline(timeout);
        self.read_direct(deadline);
        match self.results.take(0, deadline) {
            Some(Ok(value)) => Ok(value),
            Some(Err(err)) => Err(GetTimeoutError::Task(err)),
            None => Err(GetTimeoutError::Timeout(self)),
        }
    }

    /// Waits until the result is ready (Python's `wait()`).
    pub fn wait(&self) {
        self.release_direct();
        self.results.wait_all(None);
    }

    /// Waits at most `timeout`; true if the result is ready (Python's `wait(timeout)`, which
    /// returns nothing: call [`ready`](Self::ready) after it there).
    #[must_use = "false means the wait timed out"]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.release_direct();
        self.results.wait_all(deadline(timeout))
    }

    /// Whether the result has arrived (Python's `ready()`).
    pub fn ready(&self) -> bool {
        self.release_direct();
        self.results.is_filled(0)
    }

    /// Whether the task succeeded (Python's `successful()`).
    ///
    /// # Errors
    ///
    /// [`NotReady`] while the task runs (Python raises `ValueError`).
    pub fn successful(&self) -> Result<bool, NotReady> {
        self.release_direct();
        self.results.peek_ok(0).ok_or(NotReady)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::data::encode_into;

    /// A worker's answer for some items: the count, then each outcome.
    fn answer(outcomes: &[Result<u64, ItemError>]) -> Vec<u8> {
        let mut bytes = Vec::new();
        crate::process::wire::push_varint(&mut bytes, outcomes.len() as u64);
        for outcome in outcomes {
            encode_into(outcome, &mut bytes).unwrap();
        }
        bytes
    }

    fn range(start: usize, len: usize) -> Indices {
        Indices::Range { start, len }
    }

    #[test]
    fn runs_in_any_order_collect_in_order() {
        let results = Results::<u64>::new(7, Taken::ByIndex);
        results.deliver(&range(4, 3), &answer(&[Ok(40), Ok(50), Ok(60)]));
        results.deliver(&range(0, 2), &answer(&[Ok(0), Ok(10)]));
        results.deliver(&Indices::List(vec![2, 3]), &answer(&[Ok(20), Ok(30)]));
        assert_eq!(results.collect().unwrap(), [0, 10, 20, 30, 40, 50, 60]);
    }

    #[test]
    fn the_error_of_lowest_index_wins_and_the_first_outcome_stays() {
        let results = Results::<u64>::new(6, Taken::ByIndex);
        let panicked = ItemError::Panicked("boom".into());
        results.deliver(
            &range(3, 3),
            &answer(&[Ok(3), Err(panicked.clone()), Ok(5)]),
        );
        // A failure reported for an item that has its result already is ignored.
        results.fail(3, TaskErrorKind::Terminated);
        assert_eq!(results.peek_ok(3), Some(true));
        // A failure overlapping stored items keeps only the new ones.
        results.fail(1, TaskErrorKind::Terminated);
        results.deliver(&range(0, 3), &answer(&[Ok(0), Ok(1), Err(panicked)]));
        assert_eq!(results.peek_ok(0), Some(true));
        assert_eq!(results.peek_ok(1), Some(false));
        let err = results.collect().unwrap_err();
        assert_eq!(err.index(), 1);
        assert_eq!(err.kind(), &TaskErrorKind::Terminated);
    }

    #[test]
    fn taking_one_by_one_and_in_arrival_order() {
        let results = Results::<u64>::new(4, Taken::ByArrival);
        results.deliver(&range(2, 2), &answer(&[Ok(2), Ok(3)]));
        assert!(!results.is_filled(0));
        assert!(results.is_filled(3));
        assert_eq!(results.take(3, None).unwrap().unwrap(), 3);
        assert!(!results.is_filled(3), "taken");
        assert!(results.is_filled(2));
        results.deliver(&range(0, 2), &answer(&[Ok(0), Ok(1)]));
        let soon = Some(Instant::now() + Duration::from_secs(5));
        let arrived: Vec<u64> = (0..3)
            .map(|_| results.take_arrived(soon).unwrap().unwrap())
            .collect();
        // Item 3 was taken by index, so its arrival finds nothing and the next one is used.
        assert_eq!(arrived[0], 2);
        assert_eq!(arrived[1..], [0, 1]);
    }

    #[test]
    fn a_garbled_answer_fails_from_where_it_breaks() {
        let results = Results::<u64>::new(3, Taken::ByIndex);
        let mut bytes = answer(&[Ok(7), Ok(300), Ok(9)]);
        bytes.truncate(bytes.len() - 3); // in the middle of item 1's value (a 2-byte varint)
        results.deliver(&range(0, 3), &bytes);
        assert_eq!(results.take(0, None).unwrap().unwrap(), 7);
        for index in 1..3 {
            let err = results.take(index, None).unwrap().unwrap_err();
            assert_eq!(err.index(), index);
            assert!(matches!(err.kind(), TaskErrorKind::Decode(_)), "{err}");
        }
        // A count that does not match: every item fails.
        let results = Results::<u64>::new(2, Taken::ByIndex);
        results.deliver(&range(0, 2), &answer(&[Ok(1)]));
        assert!(results
            .collect()
            .unwrap_err()
            .to_string()
            .contains("1 results for 2"));
    }

    /// A call taken whole: its answers in any order, split or not, make one list in order;
    /// parked answers are decoded once the list reaches them.
    #[test]
    fn a_whole_call_fills_its_list_in_order_whatever_the_order_of_answers() {
        let values = |r: std::ops::Range<u64>| r.map(Ok).collect::<Vec<_>>();
        // In order, out of order (two parked, then the one before them), and a split chunk.
        let results = Results::<u64>::new(10, Taken::Whole);
        results.deliver(&range(0, 2), &answer(&values(0..2)));
        results.deliver(&range(6, 2), &answer(&values(6..8)));
        results.deliver(&range(4, 2), &answer(&values(4..6)));
        assert!(!results.is_complete());
        results.deliver(&range(2, 2), &answer(&values(2..4)));
        results.deliver(&Indices::List(vec![8, 9]), &answer(&values(8..10)));
        assert!(results.is_complete());
        assert_eq!(results.collect().unwrap(), (0..10).collect::<Vec<u64>>());
        // Every answer before the first: parked, then decoded into the list in one go.
        let results = Results::<u64>::new(6, Taken::Whole);
        for start in [4, 2, 0] {
            results.deliver(
                &range(start, 2),
                &answer(&values(start as u64..start as u64 + 2)),
            );
        }
        assert_eq!(results.collect().unwrap(), (0..6).collect::<Vec<u64>>());
        // A map of one item, and of none.
        let results = Results::<u64>::new(1, Taken::Whole);
        results.deliver(&range(0, 1), &answer(&[Ok(42)]));
        assert_eq!(results.collect().unwrap(), [42]);
        let results = Results::<u64>::new(0, Taken::Whole);
        assert!(results.is_complete());
        assert_eq!(results.collect().unwrap(), Vec::<u64>::new());
    }

    #[test]
    fn a_whole_call_fails_with_its_lowest_failed_item_wherever_it_lands() {
        let panicked = |what: &str| Err(ItemError::Panicked(what.into()));
        // A failure in the middle of a middle chunk, answered first (parked), and another in a
        // later chunk: the lower one wins.
        let results = Results::<u64>::new(9, Taken::Whole);
        results.deliver(&range(3, 3), &answer(&[Ok(3), panicked("four"), Ok(5)]));
        results.deliver(&range(6, 3), &answer(&[panicked("six"), Ok(7), Ok(8)]));
        results.deliver(&range(0, 3), &answer(&[Ok(0), Ok(1), Ok(2)]));
        let err = results.collect().unwrap_err();
        assert_eq!(err.index(), 4);
        assert_eq!(err.kind(), &TaskErrorKind::Panicked("four".into()));
        // The same answer continuing the list: it stops before the failed item.
        let results = Results::<u64>::new(6, Taken::Whole);
        results.deliver(&range(0, 3), &answer(&[Ok(0), panicked("one"), Ok(2)]));
        results.deliver(&range(3, 3), &answer(&[Ok(3), Ok(4), Ok(5)]));
        assert_eq!(results.collect().unwrap_err().index(), 1);
        // A worker that died on item 2: it fails first; its chunk's other items come back
        // later as a split job; a failure after an item's value is ignored.
        let results = Results::<u64>::new(4, Taken::Whole);
        results.deliver(&range(0, 1), &answer(&[Ok(0)]));
        results.fail(2, TaskErrorKind::Terminated);
        results.fail(0, TaskErrorKind::Terminated);
        results.deliver(&Indices::List(vec![1, 3]), &answer(&[Ok(1), Ok(3)]));
        let err = results.collect().unwrap_err();
        assert_eq!(err.index(), 2);
        assert_eq!(err.kind(), &TaskErrorKind::Terminated);
        // A garbled answer parked, then reached: its items fail from where it breaks.
        let results = Results::<u64>::new(4, Taken::Whole);
        let mut bytes = answer(&[Ok(2), Ok(300)]);
        bytes.truncate(bytes.len() - 1);
        results.deliver(&range(2, 2), &bytes);
        results.deliver(&range(0, 2), &answer(&[Ok(0), Ok(1)]));
        let err = results.collect().unwrap_err();
        assert_eq!(err.index(), 3);
        assert!(matches!(err.kind(), TaskErrorKind::Decode(_)), "{err}");
    }

    /// A type that is not plain goes through runs, as before, and lands in the same list.
    #[test]
    fn a_whole_call_of_other_values_collects_from_runs() {
        let results = Results::<String>::new(3, Taken::Whole);
        let mut bytes = Vec::new();
        crate::process::wire::push_varint(&mut bytes, 2);
        for s in ["b", "c"] {
            encode_into(&Ok::<_, ItemError>(s.to_string()), &mut bytes).unwrap();
        }
        results.deliver(&range(1, 2), &bytes);
        let mut bytes = Vec::new();
        crate::process::wire::push_varint(&mut bytes, 1);
        encode_into(&Ok::<_, ItemError>("a".to_string()), &mut bytes).unwrap();
        results.deliver(&range(0, 1), &bytes);
        assert_eq!(results.collect().unwrap(), ["a", "b", "c"]);
    }
}
