//! [`Event`]: Python's `threading.Event`.

use std::fmt;
use std::time::{Duration, Instant};

use parking_lot::Mutex as StateMutex;

use super::name::Name;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};

/// Python's `threading.Event`: a flag threads can wait for.
///
/// A wait with no timeout on an Event that no running thread can set is a stall, reported as a
/// [`DeadlockError`](crate::deadlock::DeadlockError) (see [`crate::deadlock`]).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
///
/// let ready = Arc::new(potok::Event::named("ready"));
/// let setter = Arc::clone(&ready);
/// let t = potok::spawn(move || setter.set());
/// ready.wait();
/// assert!(ready.is_set());
/// t.join().unwrap();
/// ready.clear();
/// assert!(!ready.wait_timeout(std::time::Duration::from_millis(1)));
/// ```
#[derive(Default)]
pub struct Event {
    flag: StateMutex<bool>,
    waiters: WaitList,
    name: Name,
}

impl Event {
    /// An Event that is not set, named `Event-N` when a name is first needed.
    pub const fn new() -> Self {
        Event {
            flag: parking_lot::const_mutex(false),
            waiters: WaitList::new(),
            name: Name::new(),
        }
    }

    /// An Event that is not set, with a name used in deadlock reports.
    pub fn named(name: impl Into<String>) -> Self {
        Event {
            flag: parking_lot::const_mutex(false),
            waiters: WaitList::new(),
            name: Name::named(name),
        }
    }

    /// The Event's name.
    pub fn name(&self) -> &str {
        self.name.get(ResourceKind::Event)
    }

    /// Whether the flag is set: Python's `is_set()`.
    pub fn is_set(&self) -> bool {
        *self.flag.lock()
    }

    /// Sets the flag and wakes every waiter: Python's `set()`.
    pub fn set(&self) {
        *self.flag.lock() = true;
        self.waiters.notify_all();
    }

    /// Clears the flag: Python's `clear()`.
    pub fn clear(&self) {
        *self.flag.lock() = false;
    }

    /// Waits until the flag is set: Python's `wait()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no running thread is left
    /// to set it (see [`crate::deadlock`]).
    pub fn wait(&self) {
        self.wait_until(None);
    }

    /// Waits at most `timeout` for the flag; returns whether it is set: Python's
    /// `wait(timeout)`. Timed waits are never reported as deadlocks.
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let what = Wait {
            kind: ResourceKind::Event,
            name: self.name(),
            detail: None,
            resource: self as *const Event as usize,
            owner: Owner::Nobody,
        };
        let (flag, result) =
            self.waiters
                .wait_while(self.flag.lock(), &what, |set| !*set, deadline);
        match result {
            Ok(_) => *flag,
            Err(err) => {
                drop(flag);
                crate::deadlock::fail(err)
            }
        }
    }
}

/// Like Python's repr: `<Event 'ready': unset>`.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_set() { "set" } else { "unset" };
        write!(f, "<Event '{}': {state}>", self.name())
    }
}
