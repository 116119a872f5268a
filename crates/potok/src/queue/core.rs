//! [`Core`]: the blocking semantics of Python's `queue` module, shared by every kind of queue.
//!
//! # State machine
//!
//! ```text
//!            shutdown(false)                    shutdown(true)
//!   Open ─────────────────────▶ ShutDown ─────────────────────▶ Immediate
//!     │                                                             ▲
//!     └─────────────────────────── shutdown(true) ──────────────────┘
//! ```
//!
//! | state | put | get | join |
//! |---|---|---|---|
//! | `Open` | waits while full | waits while empty | waits for unfinished tasks |
//! | `ShutDown` | fails with the item back | drains what is left, then fails | as in `Open` |
//! | `Immediate` | fails with the item back | fails (the queue was emptied) | as in `Open`; the drained items count as done |
//!
//! Shutting down wakes every blocked getter and putter, and an immediate one every joiner too,
//! so each re-checks the state (CPython 3.13's `Queue.shutdown`). The state only moves right.
//!
//! The FIFO store is lock-free, so a put that races with `shutdown` is not serialised by a lock as
//! in CPython: it either fails with `ShutDown`, or it lands and a later `get` returns the item
//! (after `shutdown(true)`, whoever sees the item last, the putter or the shutdown, drains it).
//! Nothing is ever lost or returned twice, and once `shutdown` has returned every put fails.
//!
//! # Blocking
//!
//! A get that finds the store empty (or a put that finds it full) first retries a few times,
//! spinning (`spin.rs`; never yielding: a yield on a crowded machine gives the core away for a
//! whole time slice), because on a busy queue the other side usually acts within a
//! microsecond; only then does it sleep, through `Core::wait`, the one place a queue's thread
//! blocks (deadlock detection hooks in there). On the 2×2 benchmarks the short spin doubled
//! throughput.
//!
//! # Task counting without a hot counter
//!
//! `task_done`/`join` counts live in [`Tasks`] (`tasks.rs`): striped per thread, so no cache
//! line is written by every put or every get.

use std::marker::PhantomData;
use std::sync::atomic::{fence, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::spin::Spin;
use super::store::Store;
use super::tasks::Tasks;
use super::wait::WaitList;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::ResourceKind;
use crate::sync::name::Name;

const OPEN: u8 = 0;
const SHUT_DOWN: u8 = 1;
const IMMEDIATE: u8 = 2;

/// How long an operation may block.
#[derive(Clone, Copy)]
pub(crate) enum Block {
    /// Not at all (Python's `block=False`, `put_nowait`, `get_nowait`).
    No,
    /// Until the deadline, or forever with `None`.
    Until(Option<Instant>),
}

impl Block {
    /// Blocks for at most `timeout` (a timeout too large for `Instant` means forever).
    pub(crate) fn for_timeout(timeout: Duration) -> Block {
        Block::Until(Instant::now().checked_add(timeout))
    }
}

/// Why a put failed inside the core; the public types map it to their own error enums.
pub(crate) enum PutFail<T> {
    Full(T),
    ShutDown(T),
}

/// Why a get failed inside the core.
pub(crate) enum GetFail {
    Empty,
    ShutDown,
}

/// What a blocked thread waits for: the detail a stall report gives (`empty`, `full`,
/// `unfinished tasks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// A getter, for an item (the queue is empty).
    NotEmpty,
    /// A putter, for a free slot (the queue is full).
    NotFull,
    /// A joiner, for every task to be done.
    AllTasksDone,
}

/// One queue: its store, its name, its counters and its three wait lists.
pub(crate) struct Core<T, S> {
    store: S,
    maxsize: usize,
    kind: ResourceKind,
    name: Name,
    /// The `task_done`/`join` counts (none for `SimpleQueue`).
    tasks: Option<Box<Tasks>>,
    state: AtomicU8,
    not_empty: WaitList,
    not_full: WaitList,
    all_tasks_done: WaitList,
    _items: PhantomData<fn(T) -> T>,
}

impl<T, S: Store<T>> Core<T, S> {
    /// A queue of `kind` (which also numbers its default name), tracking tasks or not.
    pub(crate) fn new(kind: ResourceKind, name: Name, maxsize: usize, tracked: bool) -> Self {
        Core {
            store: S::new(maxsize),
            maxsize,
            kind,
            name,
            tasks: tracked.then(|| Box::new(Tasks::new())),
            state: AtomicU8::new(OPEN),
            not_empty: WaitList::new(),
            not_full: WaitList::new(),
            all_tasks_done: WaitList::new(),
            _items: PhantomData,
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.name.get(self.kind)
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.maxsize
    }

    pub(crate) fn qsize(&self) -> usize {
        self.store.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.maxsize > 0 && self.store.len() >= self.maxsize
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.state.load(Ordering::SeqCst) != OPEN
    }

    pub(crate) fn unfinished_tasks(&self) -> usize {
        self.tasks.as_ref().map_or(0, |tasks| tasks.unfinished())
    }

    /// Python's `put(item, block, timeout)`.
    #[track_caller]
    pub(crate) fn put(&self, mut item: T, block: Block) -> Result<(), PutFail<T>> {
        let mut spin = Spin::new();
        loop {
            if self.is_shut_down() {
                return Err(PutFail::ShutDown(item));
            }
            match self.store.push(item) {
                Ok(()) => {
                    self.after_push();
                    return Ok(());
                }
                Err(back) => item = back,
            }
            let deadline = match block {
                Block::No => return Err(PutFail::Full(item)),
                Block::Until(deadline) => deadline,
            };
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(PutFail::Full(item));
            }
            if !spin.spin() {
                self.wait(Waiting::NotFull, deadline);
                spin = Spin::new();
            }
        }
    }

    fn after_push(&self) {
        crate::trace::counter(self.kind, || self.name(), || self.store.len());
        if let Some(tasks) = &self.tasks {
            tasks.put();
        }
        self.not_empty.notify_one();
        // The push was SeqCst and so is this load (Dekker with `shutdown(true)`: either its drain
        // sees the item, or this check sees the state and drains it here).
        if self.state.load(Ordering::SeqCst) == IMMEDIATE {
            self.drain();
        }
    }

    /// Python's `get(block, timeout)`.
    #[track_caller]
    pub(crate) fn get(&self, block: Block) -> Result<T, GetFail> {
        let mut spin = Spin::new();
        loop {
            if let Some(item) = self.take() {
                return Ok(item);
            }
            if self.is_shut_down() {
                // A put may have landed between the pop above and the state check: drain it.
                return self.take().ok_or(GetFail::ShutDown);
            }
            let deadline = match block {
                Block::No => return Err(GetFail::Empty),
                Block::Until(deadline) => deadline,
            };
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Err(GetFail::Empty);
            }
            if !spin.spin() {
                self.wait(Waiting::NotEmpty, deadline);
                spin = Spin::new();
            }
        }
    }

    #[inline]
    fn take(&self) -> Option<T> {
        let item = self.store.pop()?;
        crate::trace::counter(self.kind, || self.name(), || self.store.len());
        if let Some(tasks) = &self.tasks {
            tasks.got(1);
        }
        if self.maxsize > 0 {
            self.not_full.notify_one();
        }
        Some(item)
    }

    /// Python's `task_done()`; `Err` for one call too many.
    pub(crate) fn task_done(&self) -> Result<(), ()> {
        let tasks = self.tasks.as_ref().ok_or(())?;
        // Joiners are woken only when they exist and every task is done (the SeqCst count and
        // the SeqCst read of the joiners' count make Dekker's handshake with `join`, which
        // registers, then reads the counts).
        if tasks.task_done(|| self.all_tasks_done.has_waiters())? {
            self.all_tasks_done.notify_all();
        }
        Ok(())
    }

    fn all_tasks_done(&self) -> bool {
        self.tasks.as_ref().is_none_or(|tasks| tasks.all_done())
    }

    /// Python's `join()`.
    #[track_caller]
    pub(crate) fn join(&self) {
        while !self.all_tasks_done() {
            self.wait(Waiting::AllTasksDone, None);
        }
    }

    /// Python's `shutdown(immediate)`.
    pub(crate) fn shutdown(&self, immediate: bool) {
        let state = if immediate { IMMEDIATE } else { SHUT_DOWN };
        self.state.fetch_max(state, Ordering::SeqCst);
        if immediate {
            self.drain();
            self.all_tasks_done.notify_all();
        }
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }

    /// Empties the store for `shutdown(true)`, counting each item as done, as CPython does.
    #[cold]
    fn drain(&self) {
        fence(Ordering::SeqCst);
        let mut drained = 0;
        while let Some(item) = self.store.pop() {
            drop(item);
            drained += 1;
        }
        if drained == 0 {
            return;
        }
        if let Some(tasks) = &self.tasks {
            tasks.drained(drained);
            self.all_tasks_done.notify_all();
        }
        if self.maxsize > 0 {
            self.not_full.notify_all();
        }
    }

    /// The one place where a queue's thread blocks (see `wait.rs`); an untimed wait takes part
    /// in deadlock detection, described by the queue's kind, name and `waiting`'s detail.
    #[cold]
    #[track_caller]
    fn wait(&self, waiting: Waiting, deadline: Option<Instant>) {
        let (list, detail) = match waiting {
            Waiting::NotEmpty => (&self.not_empty, "empty"),
            Waiting::NotFull => (&self.not_full, "full"),
            Waiting::AllTasksDone => (&self.all_tasks_done, "unfinished tasks"),
        };
        let what = Wait {
            kind: self.kind,
            name: self.name(),
            detail: Some(detail),
            resource: self as *const Self as usize,
            owner: Owner::Nobody,
        };
        let ready = || match waiting {
            Waiting::NotEmpty => self.store.has_items() || self.is_shut_down(),
            Waiting::NotFull => !self.is_full() || self.is_shut_down(),
            Waiting::AllTasksDone => self.all_tasks_done(),
        };
        list.wait_until(ready, &what, deadline);
    }
}
