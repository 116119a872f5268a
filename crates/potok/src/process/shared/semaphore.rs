//! [`Semaphore`]: Python's `multiprocessing.Semaphore`, a counter in shared memory; the core it
//! shares with [`BoundedSemaphore`](super::BoundedSemaphore).

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::blocked::Blocked;
use super::error::{HolderDied, SharedMemoryError};
use super::futex;
use super::segment::{self, Kind, Segment, State};
use super::table::{Dead, Table};
use super::word::SLICE;
use crate::deadlock::ResourceKind;

/// A semaphore's words in its segment.
#[repr(C)]
pub(crate) struct SemState {
    /// The counter: the futex word waiters sleep on.
    value: AtomicU32,
    /// How many threads (of any process) may be asleep: `release` makes no system call when 0.
    waiters: AtomicU32,
    /// A bounded semaphore's initial value (0: unbounded).
    bound: AtomicU32,
    _reserved: AtomicU32,
    /// Each process's acquisitions minus its releases.
    holders: Table,
}

// SAFETY: repr(C), atomics only (Table is too).
unsafe impl State for SemState {}

/// The segment and name of either kind of process semaphore.
#[derive(Clone)]
pub(crate) struct Core {
    seg: Segment,
    name: String,
    kind: Kind,
}

impl Core {
    pub(crate) fn make(
        kind: Kind,
        name: Option<String>,
        value: usize,
        bounded: bool,
    ) -> Result<Core, SharedMemoryError> {
        let value = u32::try_from(value).expect("a process semaphore counts up to u32::MAX");
        let seg = Segment::create_state::<SemState>(kind, name.as_deref())?;
        let state = seg.state::<SemState>();
        state.value.store(value, Ordering::Release);
        if bounded {
            state.bound.store(value, Ordering::Release);
        }
        Ok(Core::in_segment(seg, kind))
    }

    fn in_segment(seg: Segment, kind: Kind) -> Core {
        let name = seg.lock_name();
        Core { seg, name, kind }
    }

    pub(crate) fn open<'de, D: Deserializer<'de>>(
        deserializer: D,
        kind: Kind,
        what: &str,
    ) -> Result<Core, D::Error> {
        let seg = segment::deserialize_state::<SemState, D>(deserializer, kind, what)?;
        Ok(Core::in_segment(seg, kind))
    }

    fn state(&self) -> &SemState {
        self.seg.state()
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn value(&self) -> usize {
        self.state().value.load(Ordering::Acquire) as usize
    }

    fn resource_kind(&self) -> ResourceKind {
        if self.kind == Kind::BoundedSemaphore {
            ResourceKind::BoundedSemaphore
        } else {
            ResourceKind::Semaphore
        }
    }

    fn try_take(&self) -> bool {
        let state = self.state();
        let mut seen = state.value.load(Ordering::Relaxed);
        while seen > 0 {
            match state.value.compare_exchange_weak(
                seen,
                seen - 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    state.holders.add(1);
                    return true;
                }
                Err(now) => seen = now,
            }
        }
        false
    }

    /// Gives a dead holder's permits back.
    fn reap(&self) -> Option<Dead> {
        let state = self.state();
        let dead = state.holders.reap()?;
        if dead.count > 0 {
            state.value.fetch_add(dead.count, Ordering::SeqCst);
            futex::wake(&state.value, dead.count);
        }
        Some(dead)
    }

    fn died(&self, dead: Dead) -> HolderDied {
        HolderDied {
            semaphore: self.name.clone(),
            pid: dead.pid,
            holder: dead.name,
            permits: dead.count,
            inner: (),
        }
    }

    /// Takes a permit, without waiting when `wait` is false. `Ok(false)`: none in time.
    pub(crate) fn acquire_until(
        &self,
        wait: bool,
        deadline: Option<Instant>,
    ) -> Result<bool, HolderDied> {
        if self.try_take() {
            return Ok(true);
        }
        let mut found = None;
        if !wait {
            found = self.reap();
            let got = self.try_take();
            return match (got, found) {
                (true, Some(dead)) => Err(self.died(dead)),
                (got, _) => Ok(got),
            };
        }
        let state = self.state();
        let _blocked = Blocked::begin(
            self.resource_kind(),
            &self.name,
            self.seg.address(),
            deadline,
        );
        state.waiters.fetch_add(1, Ordering::SeqCst);
        let got = loop {
            if self.try_take() {
                break true;
            }
            let Ok(slice) = futex::next_sleep(SLICE, deadline) else {
                break false;
            };
            futex::wait(&state.value, 0, Some(slice));
            if state.value.load(Ordering::Relaxed) == 0 && found.is_none() {
                found = self.reap();
            }
        };
        state.waiters.fetch_sub(1, Ordering::SeqCst);
        match (got, found) {
            (true, Some(dead)) => Err(self.died(dead)),
            (got, _) => Ok(got),
        }
    }

    /// Adds `n` permits (refused past a bounded semaphore's initial value).
    pub(crate) fn release(&self, n: usize) -> Result<(), crate::ReleaseError> {
        assert!(n > 0, "n must be one or more");
        let n = u32::try_from(n).map_err(|_| crate::ReleaseError::TooManyReleases)?;
        let state = self.state();
        let bound = state.bound.load(Ordering::Relaxed);
        let mut seen = state.value.load(Ordering::Relaxed);
        loop {
            let next = seen
                .checked_add(n)
                .filter(|&v| bound == 0 || v <= bound)
                .ok_or(crate::ReleaseError::TooManyReleases)?;
            match state
                .value
                .compare_exchange_weak(seen, next, Ordering::SeqCst, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => seen = now,
            }
        }
        state.holders.sub(n);
        if state.waiters.load(Ordering::SeqCst) != 0 {
            futex::wake(&state.value, n);
        }
        Ok(())
    }

    pub(crate) fn segment(&self) -> &Segment {
        &self.seg
    }
}

/// A counter shared between processes: Python's `multiprocessing.Semaphore`, with the thread
/// [`Semaphore`](crate::Semaphore)'s method names. `acquire` takes a permit (waiting while
/// there is none), `release` gives permits back; any process may release.
///
/// It lives in a small shared memory segment; handed to a child in
/// [`Process`](crate::process::Process) or pool-task arguments it travels as the segment's
/// name, and every copy is the same semaphore.
///
/// # A holder that dies
///
/// Python's semaphore loses the permits of a process killed while holding them. This one
/// counts, per process, the permits taken and not given back; a waiter that has waited a few
/// milliseconds checks whether a counting process is gone, gives its permits back and returns
/// [`HolderDied`] naming it, holding a permit (automatic recovery, reported: the work done
/// under the permits may be unfinished). See [`HolderDied`] for the one limit.
///
/// A thread waiting here shows in [`deadlock::snapshot`](crate::deadlock::snapshot) as blocked
/// on `Semaphore 'NAME' (across processes)` and never completes a stall.
///
/// # Examples
///
/// ```
/// use potok::process::Semaphore;
///
/// let slots = Semaphore::named("slots", 2).unwrap();
/// let _a = slots.guard().unwrap(); // Python's `with slots:`
/// assert!(slots.try_acquire().unwrap());
/// assert!(!slots.try_acquire().unwrap()); // both taken
/// slots.release(1);
/// assert_eq!(slots.value(), 1);
/// ```
#[derive(Clone)]
pub struct Semaphore {
    core: Core,
}

impl Semaphore {
    /// A semaphore with `value` permits, named after its segment.
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    ///
    /// # Panics
    ///
    /// If `value` exceeds `u32::MAX`.
    pub fn new(value: usize) -> Result<Semaphore, SharedMemoryError> {
        Core::make(Kind::Semaphore, None, value, false).map(|core| Semaphore { core })
    }

    /// A semaphore with `value` permits and a name shown in reports in every process.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// # Panics
    ///
    /// As [`new`](Self::new).
    pub fn named(name: impl Into<String>, value: usize) -> Result<Semaphore, SharedMemoryError> {
        Core::make(Kind::Semaphore, Some(name.into()), value, false).map(|core| Semaphore { core })
    }

    /// The semaphore's name.
    pub fn name(&self) -> &str {
        self.core.name()
    }

    /// The permits free now (Python's `get_value()`).
    pub fn value(&self) -> usize {
        self.core.value()
    }

    /// Takes a permit, waiting while there is none: Python's `acquire()`.
    ///
    /// # Errors
    ///
    /// [`HolderDied`] if a process died holding permits: they were given back, and this call
    /// took one.
    #[track_caller]
    pub fn acquire(&self) -> Result<(), HolderDied> {
        self.core.acquire_until(true, None).map(drop)
    }

    /// Takes a permit if one is free: Python's `acquire(blocking=False)`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    pub fn try_acquire(&self) -> Result<bool, HolderDied> {
        self.core.acquire_until(false, None)
    }

    /// Waits at most `timeout` for a permit: Python's `acquire(timeout=t)`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire).
    #[must_use = "Ok(false) means not acquired: do not release what was not acquired"]
    #[track_caller]
    pub fn acquire_timeout(&self, timeout: Duration) -> Result<bool, HolderDied> {
        self.core
            .acquire_until(true, Instant::now().checked_add(timeout))
    }

    /// Gives `n` permits back (Python's `release(n)`), from any process.
    ///
    /// # Panics
    ///
    /// If `n` is 0 (Python: `ValueError`) or the count would pass `u32::MAX`.
    pub fn release(&self, n: usize) {
        self.core
            .release(n)
            .expect("a process semaphore counts up to u32::MAX");
    }

    /// Takes a permit and returns a guard that gives it back when dropped: Python's
    /// `with sem:`.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Self::acquire), with the guard inside.
    #[track_caller]
    pub fn guard(&self) -> Result<SemaphoreGuard<'_>, HolderDied<SemaphoreGuard<'_>>> {
        let guard = || SemaphoreGuard { core: &self.core };
        match self.acquire() {
            Ok(()) => Ok(guard()),
            Err(died) => Err(died.map(|()| guard())),
        }
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("name", &self.name())
            .field("segment", &self.core.segment().name())
            .field("value", &self.value())
            .finish()
    }
}

/// Like Python's repr: `<process Semaphore 'slots': value=2>`.
impl fmt::Display for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<process Semaphore '{}': value={}>",
            self.name(),
            self.value()
        )
    }
}

/// Travels as its segment's name; the other side opens the same semaphore.
impl Serialize for Semaphore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.core.segment().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Semaphore {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Core::open(deserializer, Kind::Semaphore, "Semaphore").map(|core| Semaphore { core })
    }
}

/// One permit of a process [`Semaphore`] or [`BoundedSemaphore`](super::BoundedSemaphore),
/// given back when dropped.
#[must_use = "the semaphore is released as soon as the guard is dropped"]
pub struct SemaphoreGuard<'a> {
    pub(crate) core: &'a Core,
}

impl Drop for SemaphoreGuard<'_> {
    fn drop(&mut self) {
        // The guard's own acquire made room for this release.
        let _ = self.core.release(1);
    }
}

impl fmt::Debug for SemaphoreGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphoreGuard")
            .field("semaphore", &self.core.name())
            .finish()
    }
}
