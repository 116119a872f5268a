//! [`Mutex`]: a lock that owns the data it guards.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use super::name::Name;
use super::raw::RawLock;
use std::panic::Location;

use crate::deadlock::order::{self, Class, Taking};
use crate::deadlock::ResourceKind;

/// A lock that guards data, the Rust way, deadlock-checked like the rest of potok.
///
/// Like `std::sync::Mutex`, but: never poisoned (a panic while holding it releases it on
/// unwinding, and the next thread gets the data as the panicking one left it); waiting for
/// each other's Mutexes in a cycle, or locking a Mutex again on the same thread, is reported
/// as a [`DeadlockError`](crate::deadlock::DeadlockError) instead of hanging; and it has a
/// name for reports.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let balance = Arc::new(potok::Mutex::named("balance", 0_i64));
/// let workers: Vec<_> = (0..4)
///     .map(|_| {
///         let balance = Arc::clone(&balance);
///         potok::spawn(move || {
///             for _ in 0..1000 {
///                 *balance.lock() += 1;
///             }
///         })
///     })
///     .collect();
/// for w in workers {
///     w.join().unwrap();
/// }
/// assert_eq!(*balance.lock(), 4000);
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawLock,
    name: Name,
    /// Its lock-order class (see `deadlock::order`).
    class: Class,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through a guard, and one guard exists at a time (the lock);
// like std's Mutex, moving T between threads is all that is needed.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex<T>` hands out `&mut T` to one thread at a time.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked Mutex holding `value`, named `Mutex-N` when a name is first needed.
    #[track_caller]
    pub const fn new(value: T) -> Self {
        Mutex {
            raw: RawLock::new(),
            name: Name::new(),
            class: Class::here(),
            data: UnsafeCell::new(value),
        }
    }

    /// An unlocked Mutex with a name, used in deadlock reports.
    #[track_caller]
    pub fn named(name: impl Into<String>, value: T) -> Self {
        Mutex {
            raw: RawLock::new(),
            name: Name::named(name),
            class: Class::here(),
            data: UnsafeCell::new(value),
        }
    }

    /// The data, taking the Mutex apart.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// The Mutex's name.
    pub fn name(&self) -> &str {
        self.name.get(ResourceKind::Mutex)
    }

    fn taking(&self) -> Taking<'_> {
        Taking {
            class: &self.class,
            kind: ResourceKind::Mutex,
            name: &self.name,
            addr: self as *const Mutex<T> as *const () as usize,
        }
    }

    #[track_caller]
    fn took(&self) -> MutexGuard<'_, T> {
        if order::on() {
            order::took(&self.taking(), Location::caller());
        }
        MutexGuard::new(self)
    }

    /// Waits until the Mutex is free and locks it.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when waiting would deadlock:
    /// a cycle of threads waiting for each other's locks, this thread locking it again, or
    /// every thread blocked (see [`crate::deadlock`]).
    #[inline]
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        if crate::instrument::any() || !self.raw.lock_fast() {
            self.lock_slow();
        }
        MutexGuard::new(self)
    }

    /// [`lock`](Mutex::lock) when contended or instrumented: lock-order checking, the
    /// trace's hold, the detector's park.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn lock_slow(&self) {
        let checked = order::on();
        if checked {
            order::acquiring(&self.taking(), Location::caller());
        }
        if let Err(err) = self.raw.lock(ResourceKind::Mutex, &self.name) {
            if checked {
                order::released(self.taking().addr);
            }
            crate::deadlock::fail(err)
        }
    }

    /// The guard's release when it has waiters to wake or instrumentation is on.
    #[cold]
    #[inline(never)]
    fn unlock_slow(&self) {
        self.raw.unlock();
        if order::on() {
            order::released(self.taking().addr);
        }
    }

    /// Locks the Mutex if it is free.
    #[track_caller]
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        if self.raw.try_lock_as(ResourceKind::Mutex, &self.name) {
            Some(self.took())
        } else {
            None
        }
    }

    /// Waits at most `timeout` to lock the Mutex. Timed waits are never reported as
    /// deadlocks.
    #[track_caller]
    pub fn lock_timeout(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Some(self.lock());
        };
        if self
            .raw
            .lock_until(ResourceKind::Mutex, &self.name, deadline)
        {
            Some(self.took())
        } else {
            None
        }
    }

    /// Whether some thread holds it.
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The data, through `&mut self` (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        d.field("name", &self.name());
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// The lock on a [`Mutex`]: gives the data; unlocks when dropped (also while unwinding).
#[must_use = "the Mutex is unlocked as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// Unlocked on the thread that locked it, like std's guard.
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing the guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(mutex: &'a Mutex<T>) -> Self {
        MutexGuard {
            mutex,
            _not_send: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while this thread holds the lock, and `&mut self`
        // makes this the only reference through it.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if !crate::instrument::any() && self.mutex.raw.unlock_fast() {
            return;
        }
        self.mutex.unlock_slow();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
