//! [`RwLock`]: many readers or one writer, deadlock-checked like the rest of potok.
//!
//! # State (under one `parking_lot::Mutex`, waiters on a deadlock-aware `WaitList`)
//!
//! ```text
//!   free ──read()──▶ read by {R1, R2, ...} ──last reader leaves──▶ free
//!   free ──write()─▶ written by W ──────────W leaves─────────────▶ free
//! ```
//!
//! - A reader waits while a writer holds the lock or waits for it (writers go first, so a
//!   stream of readers cannot starve them), except a thread that already reads: it reads
//!   again at once (a recursive read never queues behind a writer that waits for it).
//! - A writer waits while anybody holds the lock.
//! - Every waiter tells the detector whom it waits for: a writer waits for *all* current
//!   readers (or the writer), a reader for the writer (or the waiting writers). Whenever that
//!   set changes (a reader or writer leaves, a writer gives up waiting) the waiters are woken
//!   to look again, so the detector's picture stays current.
//! - Readers count as holders: a thread that reads and asks to write waits for itself, which
//!   the detector reports at once, as it does a cycle through the lock and other locks.
//! - Lock order (see `deadlock/order.rs`): a blocking `read` or `write` is an acquisition of
//!   the RwLock's class like any lock's (a reader can wait too, behind a waiting writer, so
//!   read-then-lock and lock-then-read orders are an inversion); a read inside a read of the
//!   same RwLock never waits, so it adds no edge (even with other locks taken in between).
//!   `try_*` and timed locks add no edges.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::panic::Location;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::name::Name;
use crate::deadlock::order::{self, Class, Taking};
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::wait_list::Wake;
use crate::deadlock::{ResourceKind, WaitList};
use crate::thread::current_ident_fast;

/// Who holds the lock and who waits to write.
#[derive(Debug, Default)]
struct State {
    /// The writer's ident, if a writer holds it.
    writer: Option<u64>,
    /// Readers and how many times each holds it (a thread may read recursively).
    readers: Vec<(u64, usize)>,
    /// Threads waiting to write (readers queue behind them).
    writers_waiting: Vec<u64>,
}

impl State {
    fn reads(&self, me: u64) -> Option<usize> {
        self.readers.iter().position(|&(id, _)| id == me)
    }

    fn is_free(&self) -> bool {
        self.writer.is_none() && self.readers.is_empty()
    }
}

/// A reader-writer lock that guards data: any number of threads read at once, or one writes.
///
/// Like `std::sync::RwLock` (and `parking_lot`'s), but never poisoned, named for reports, and
/// deadlock-checked: readers and the writer count as holders, so threads waiting for each
/// other through it (and other locks) in a cycle are reported as a
/// [`DeadlockError`](crate::deadlock::DeadlockError), and so is a thread that holds a read
/// lock and asks for the write lock (it would wait for itself forever). Writers go first: a
/// new reader waits while a writer waits, except a thread that already reads (a recursive
/// read goes on at once).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let config = Arc::new(potok::RwLock::named("config", vec![1, 2]));
/// {
///     let a = config.read();
///     let b = config.read(); // many readers at once
///     assert_eq!(a.len() + b.len(), 4);
///     assert!(config.try_write().is_none());
/// }
/// config.write().push(3);
/// let reader = {
///     let config = Arc::clone(&config);
///     potok::spawn(move || config.read().len())
/// };
/// assert_eq!(reader.join().unwrap(), 3);
/// ```
pub struct RwLock<T: ?Sized> {
    state: Mutex<State>,
    waiters: WaitList,
    name: Name,
    /// Its lock-order class (see `deadlock::order`).
    class: Class,
    data: UnsafeCell<T>,
}

// SAFETY: the data is reached only through guards: one writer (`&mut T`) or readers (`&T`)
// at a time, as the state says; like std's RwLock, that needs T: Send to move it between
// threads and T: Sync for readers sharing it.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

const KIND: ResourceKind = ResourceKind::RwLock;

impl<T> RwLock<T> {
    /// An unlocked RwLock holding `value`, named `RwLock-N` when a name is first needed.
    #[track_caller]
    pub const fn new(value: T) -> Self {
        RwLock {
            state: parking_lot::const_mutex(State {
                writer: None,
                readers: Vec::new(),
                writers_waiting: Vec::new(),
            }),
            waiters: WaitList::new(),
            name: Name::new(),
            class: Class::here(),
            data: UnsafeCell::new(value),
        }
    }

    /// An unlocked RwLock with a name, used in deadlock reports (and as its lock-order class).
    #[track_caller]
    pub fn named(name: impl Into<String>, value: T) -> Self {
        RwLock {
            state: Mutex::new(State::default()),
            waiters: WaitList::new(),
            name: Name::named(name),
            class: Class::here(),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, taking the RwLock apart.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

/// How a wait for the lock ended.
enum Got {
    Yes,
    TimedOut,
}

impl<T: ?Sized> RwLock<T> {
    /// The RwLock's name.
    pub fn name(&self) -> &str {
        self.name.get(KIND)
    }

    fn taking(&self) -> Taking<'_> {
        Taking {
            class: &self.class,
            kind: KIND,
            name: &self.name,
            addr: self.addr(),
        }
    }

    /// Records a lock taken without blocking (no order edges), when checking is on.
    #[track_caller]
    fn took(&self) {
        if order::on() {
            order::took(&self.taking(), Location::caller());
        }
    }

    /// Takes the lock off this thread's order stack, when checking is on.
    fn order_released(&self) {
        if order::on() {
            order::released(self.addr());
        }
    }

    fn what<'a>(&'a self, owners: &'a [u64], detail: &'static str) -> Wait<'a> {
        Wait {
            kind: KIND,
            name: self.name(),
            detail: Some(detail),
            resource: self.addr(),
            owner: Owner::Threads(owners),
        }
    }

    /// Locks for reading, waiting while a writer holds it or waits for it.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when waiting would deadlock
    /// (see [`crate::deadlock`]).
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        if order::on() {
            if self.read_again() {
                // Recursion never waits: on the order stack, with no edges.
                self.took();
                return RwLockReadGuard::new(self);
            }
            order::acquiring(&self.taking(), Location::caller());
        }
        match self.read_until(None) {
            Got::Yes => RwLockReadGuard::new(self),
            Got::TimedOut => unreachable!("an untimed wait does not time out"),
        }
    }

    /// Locks for reading if no writer holds it or waits for it (or this thread reads already).
    #[track_caller]
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let me = current_ident_fast();
        let mut st = self.state.lock();
        let got = Self::may_read(&st, me);
        if got && Self::add_reader(&mut st, me) {
            self.hold_begins("read");
        }
        drop(st);
        got.then(|| {
            self.took();
            RwLockReadGuard::new(self)
        })
    }

    /// Waits at most `timeout` to lock for reading. Timed waits are never reported as
    /// deadlocks.
    #[track_caller]
    pub fn read_timeout(&self, timeout: Duration) -> Option<RwLockReadGuard<'_, T>> {
        let deadline = Instant::now().checked_add(timeout);
        match self.read_until(Some(deadline.unwrap_or_else(far_future))) {
            Got::Yes => {
                self.took();
                Some(RwLockReadGuard::new(self))
            }
            Got::TimedOut => None,
        }
    }

    /// Locks for writing, waiting while anybody holds it.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when waiting would deadlock:
    /// this thread holds a read lock on it (it would wait for itself), or the write lock
    /// already, or threads wait for each other in a cycle (see [`crate::deadlock`]).
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        if order::on() {
            order::acquiring(&self.taking(), Location::caller());
        }
        match self.write_until(None) {
            Got::Yes => RwLockWriteGuard::new(self),
            Got::TimedOut => unreachable!("an untimed wait does not time out"),
        }
    }

    /// Locks for writing if nobody holds it.
    #[track_caller]
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        let mut st = self.state.lock();
        let got = st.is_free();
        if got {
            st.writer = Some(current_ident_fast());
            self.hold_begins("write");
        }
        drop(st);
        got.then(|| {
            self.took();
            RwLockWriteGuard::new(self)
        })
    }

    /// Waits at most `timeout` to lock for writing. Timed waits are never reported as
    /// deadlocks.
    #[track_caller]
    pub fn write_timeout(&self, timeout: Duration) -> Option<RwLockWriteGuard<'_, T>> {
        let deadline = Instant::now().checked_add(timeout);
        match self.write_until(Some(deadline.unwrap_or_else(far_future))) {
            Got::Yes => {
                self.took();
                Some(RwLockWriteGuard::new(self))
            }
            Got::TimedOut => None,
        }
    }

    /// Whether some thread holds it for writing.
    pub fn is_locked_exclusive(&self) -> bool {
        self.state.lock().writer.is_some()
    }

    /// Whether some thread holds it, reading or writing.
    pub fn is_locked(&self) -> bool {
        !self.state.lock().is_free()
    }

    /// The data, through `&mut self` (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Reads again if this thread reads already (a recursive read); returns whether it did.
    fn read_again(&self) -> bool {
        let me = current_ident_fast();
        let mut st = self.state.lock();
        let again = st.reads(me).is_some();
        if again {
            Self::add_reader(&mut st, me);
        }
        again
    }

    fn may_read(st: &State, me: u64) -> bool {
        st.reads(me).is_some() || (st.writer.is_none() && st.writers_waiting.is_empty())
    }

    /// Counts one more read by `me`; true if it is the thread's first (a hold begins).
    fn add_reader(st: &mut State, me: u64) -> bool {
        match st.reads(me) {
            Some(i) => {
                st.readers[i].1 += 1;
                false
            }
            None => {
                st.readers.push((me, 1));
                true
            }
        }
    }

    /// The calling thread's hold of the lock in `mode` begins (for the trace; recorded under
    /// the state's lock, so a lock's holds and releases are recorded in the order they
    /// happen).
    #[inline]
    fn hold_begins(&self, mode: &'static str) {
        crate::trace::held_as(KIND, self.addr(), mode, || self.name());
    }

    /// The lock's identity in the trace.
    fn addr(&self) -> usize {
        self as *const Self as *const () as usize
    }

    #[track_caller]
    fn read_until(&self, deadline: Option<Instant>) -> Got {
        let me = current_ident_fast();
        let mut st = self.state.lock();
        loop {
            if Self::may_read(&st, me) {
                if Self::add_reader(&mut st, me) {
                    self.hold_begins("read");
                }
                return Got::Yes;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Got::TimedOut;
            }
            // Waits for the writer, or for the writers queued before it.
            let owners: Vec<u64> = match st.writer {
                Some(w) => vec![w],
                None => st.writers_waiting.clone(),
            };
            let what = self.what(&owners, "to read");
            let (guard, result) = self.waiters.wait(st, &what, deadline);
            st = guard;
            match result {
                Ok(Wake::Notified | Wake::TimedOut) => {}
                Err(err) => {
                    drop(st);
                    self.order_released();
                    crate::deadlock::fail(err)
                }
            }
        }
    }

    #[track_caller]
    fn write_until(&self, deadline: Option<Instant>) -> Got {
        let me = current_ident_fast();
        let mut st = self.state.lock();
        if st.is_free() {
            st.writer = Some(me);
            self.hold_begins("write");
            return Got::Yes;
        }
        st.writers_waiting.push(me);
        let got = loop {
            if st.is_free() {
                st.writer = Some(me);
                self.hold_begins("write");
                break Got::Yes;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break Got::TimedOut;
            }
            // Waits for every reader (itself included, if it reads: that is a deadlock), or
            // for the writer.
            let owners: Vec<u64> = match st.writer {
                Some(w) => vec![w],
                None => st.readers.iter().map(|&(id, _)| id).collect(),
            };
            let what = self.what(&owners, "to write");
            let (guard, result) = self.waiters.wait(st, &what, deadline);
            st = guard;
            if let Err(err) = result {
                Self::stop_waiting(&mut st, me);
                drop(st);
                self.waiters.notify_all();
                self.order_released();
                crate::deadlock::fail(err)
            }
        };
        Self::stop_waiting(&mut st, me);
        if matches!(got, Got::TimedOut) {
            // Readers queued behind this writer may go now.
            drop(st);
            self.waiters.notify_all();
        }
        got
    }

    fn stop_waiting(st: &mut State, me: u64) {
        if let Some(i) = st.writers_waiting.iter().position(|&id| id == me) {
            st.writers_waiting.remove(i);
        }
    }

    fn unlock_read(&self) {
        self.order_released();
        let me = current_ident_fast();
        let mut st = self.state.lock();
        if let Some(i) = st.reads(me) {
            st.readers[i].1 -= 1;
            if st.readers[i].1 == 0 {
                st.readers.swap_remove(i);
                crate::trace::released(self.addr());
            }
        }
        // Whoever waits, waits for the readers: the set changed.
        let wake = self.waiters.has_waiters();
        drop(st);
        if wake {
            self.waiters.notify_all();
        }
    }

    fn unlock_write(&self) {
        self.order_released();
        let mut st = self.state.lock();
        st.writer = None;
        crate::trace::released(self.addr());
        drop(st);
        self.waiters.notify_all();
    }
}

/// A deadline too far away to matter (a timeout that overflows `Instant`).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(60 * 60 * 24 * 365 * 30)
}

impl<T: Default> Default for RwLock<T> {
    #[track_caller]
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    #[track_caller]
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

/// `RwLock { name: "config", readers: 2, writer: false }` (the data is not shown: reading it
/// would need the lock, and `T` need not be `Debug`).
impl<T: ?Sized> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (readers, writer) = {
            let st = self.state.lock();
            (st.readers.len(), st.writer.is_some())
        };
        f.debug_struct("RwLock")
            .field("name", &self.name())
            .field("readers", &readers)
            .field("writer", &writer)
            .finish()
    }
}

/// A read lock on an [`RwLock`]: gives `&T`; unlocks when dropped.
#[must_use = "the RwLock is unlocked as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// Unlocked on the thread that locked it (the state counts readers by thread).
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockReadGuard {
            lock,
            _not_send: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: while a read guard exists no writer holds the lock, so nobody has `&mut T`.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock_read();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The write lock on an [`RwLock`]: gives `&mut T`; unlocks when dropped.
#[must_use = "the RwLock is unlocked as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// Unlocked on the thread that locked it, like std's guard.
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockWriteGuard {
            lock,
            _not_send: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the write guard is the only way to the data while it exists.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and `&mut self` makes this the only reference through it.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock_write();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
