//! [`Event`]: Python's `threading.Event`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex as StateMutex;

use super::name::Name;
use super::stay_awake::StayAwake;
use crate::deadlock::park::{Owner, Wait};
use crate::deadlock::{ResourceKind, WaitList};

/// The flag, and how many times `set` was called (so that a waiter sees a set that a
/// `clear` undid before it ran).
#[derive(Default)]
struct State {
    flag: bool,
    sets: u64,
}

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
    state: StateMutex<State>,
    /// `State::sets`, stored after each `set`: a waiter awake before it sleeps watches it
    /// without taking `state`'s lock.
    sets: AtomicU64,
    /// Whether waiters spin before they sleep (see [`StayAwake`]).
    awake: StayAwake,
    waiters: WaitList,
    name: Name,
}

impl Event {
    /// An Event that is not set, named `Event-N` when a name is first needed.
    pub const fn new() -> Self {
        Event {
            state: parking_lot::const_mutex(State {
                flag: false,
                sets: 0,
            }),
            sets: AtomicU64::new(0),
            awake: StayAwake::new(),
            waiters: WaitList::new(),
            name: Name::new(),
        }
    }

    /// An Event that is not set, with a name used in deadlock reports.
    pub fn named(name: impl Into<String>) -> Self {
        Event {
            state: parking_lot::const_mutex(State {
                flag: false,
                sets: 0,
            }),
            sets: AtomicU64::new(0),
            awake: StayAwake::new(),
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
        self.state.lock().flag
    }

    /// Sets the flag and wakes every waiter: Python's `set()`.
    pub fn set(&self) {
        {
            let mut state = self.state.lock();
            state.flag = true;
            state.sets = state.sets.wrapping_add(1);
            self.sets.store(state.sets, Ordering::Release);
        }
        self.waiters.notify_all();
    }

    /// Clears the flag: Python's `clear()`.
    pub fn clear(&self) {
        self.state.lock().flag = false;
    }

    /// Waits until the flag is set: Python's `wait()`.
    ///
    /// # Panics
    ///
    /// With a [`DeadlockError`](crate::deadlock::DeadlockError) when no running thread is left
    /// to set it (see [`crate::deadlock`]).
    #[track_caller]
    pub fn wait(&self) {
        self.wait_until(None);
    }

    /// Waits at most `timeout` for the flag; returns whether it is set: Python's
    /// `wait(timeout)`. Timed waits are never reported as deadlocks.
    #[must_use = "false means the wait timed out"]
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    #[track_caller]
    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let what = Wait {
            kind: ResourceKind::Event,
            name: self.name(),
            detail: None,
            resource: self as *const Event as usize,
            owner: Owner::Nobody,
        };
        let mut state = self.state.lock();
        let sets = state.sets;
        if !state.flag {
            // Stay awake a little first: in a hand-off the setter is often a microsecond away.
            drop(state);
            self.awake
                .watch(deadline, || self.sets.load(Ordering::Acquire) != sets);
            state = self.state.lock();
        }
        // Woken by a set() that a clear() already undid, a waiter still returns true, as in
        // Python (every thread waiting when set() ran is released): hence the count of sets.
        let (state, result) =
            self.waiters
                .wait_while(state, &what, |s| !s.flag && s.sets == sets, deadline);
        match result {
            Ok(_) => state.flag || state.sets != sets,
            Err(err) => {
                drop(state);
                crate::deadlock::fail(err)
            }
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.name())
            .field("set", &self.is_set())
            .finish()
    }
}

/// Like Python's repr: `<Event 'ready': unset>`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_set() { "set" } else { "unset" };
        write!(f, "<Event '{}': {state}>", self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::Event;

    /// Regression: `set(); clear()` while a thread waits must release it (Python returns True
    /// to every thread that was waiting when `set()` ran); the waiter used to see the cleared
    /// flag and sleep on until its timeout.
    #[test]
    fn a_set_undone_by_clear_still_releases_the_waiters() {
        let event = Arc::new(Event::named("pulse"));
        let waiter = {
            let event = Arc::clone(&event);
            std::thread::spawn(move || event.wait_timeout(Duration::from_secs(30)))
        };
        // The waiter has sampled the state and released its lock once it is on the wait list.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !event.waiters.has_waiters() {
            assert!(Instant::now() < deadline, "the waiter never waited");
            std::thread::yield_now();
        }
        event.set();
        event.clear();
        assert!(waiter.join().unwrap(), "the pulse was lost");
        assert!(!event.is_set());
    }
}
