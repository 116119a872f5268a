//! [`Event`]: Python's `multiprocessing.Event`, a flag in shared memory.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::blocked::Blocked;
use super::error::SharedMemoryError;
use super::futex;
use super::segment::{self, Kind, Segment, State};
use crate::deadlock::ResourceKind;

/// The Event's words in its segment.
#[repr(C)]
struct EventState {
    /// 1 when set.
    flag: AtomicU32,
    /// How many times `set` ran (wrapping): the futex word waiters sleep on, and how a waiter
    /// sees a set that a `clear` undid before it woke.
    sets: AtomicU32,
    /// How many threads (of any process) may be asleep: `set` makes no system call when 0.
    waiters: AtomicU32,
}

// SAFETY: repr(C), atomics only.
unsafe impl State for EventState {}

/// A flag processes can wait for: Python's `multiprocessing.Event`, with the thread
/// [`Event`](crate::Event)'s method names.
///
/// It lives in a small shared memory segment; handed to a child in
/// [`Process`](crate::process::Process) or pool-task arguments it travels as the segment's
/// name, and every copy is the same Event. The segment goes away with the creator's last
/// handle (the parent keeps the handles in a `Process` argument until the child ends).
///
/// [`set`](Self::set) wakes every waiter of every process with one system call (none when
/// nobody waits). A waiter that was asleep when `set` ran returns `true` even if a `clear`
/// came first, as in Python.
///
/// A thread waiting here is shown by [`deadlock::snapshot`](crate::deadlock::snapshot) as
/// blocked on `Event 'NAME' (across processes)`, but never counted in a stall: another
/// process may set the Event at any time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use potok::process::Event;
///
/// let start = Event::named("start").unwrap();
/// assert!(!start.wait_timeout(Duration::from_millis(1)));
/// start.set(); // every worker waiting in any process goes
/// start.wait();
/// assert!(start.is_set());
/// start.clear();
/// assert!(!start.is_set());
/// ```
#[derive(Clone)]
pub struct Event {
    seg: Segment,
    name: String,
}

impl Event {
    /// An Event that is not set, named after its segment (`potok_PID_N`).
    ///
    /// # Errors
    ///
    /// [`SharedMemoryError`] if the segment cannot be made.
    pub fn new() -> Result<Event, SharedMemoryError> {
        Event::make(None)
    }

    /// An Event that is not set, with a name shown in reports in every process.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn named(name: impl Into<String>) -> Result<Event, SharedMemoryError> {
        Event::make(Some(name.into()))
    }

    fn make(name: Option<String>) -> Result<Event, SharedMemoryError> {
        let seg = Segment::create_state::<EventState>(Kind::Event, name.as_deref())?;
        Ok(Event::in_segment(seg))
    }

    fn in_segment(seg: Segment) -> Event {
        let name = seg.lock_name();
        Event { seg, name }
    }

    fn state(&self) -> &EventState {
        self.seg.state()
    }

    /// The Event's name (up to 64 bytes of the name it was given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the flag is set: Python's `is_set()`.
    pub fn is_set(&self) -> bool {
        self.state().flag.load(Ordering::Acquire) != 0
    }

    /// Sets the flag and wakes every waiter in every process: Python's `set()`.
    pub fn set(&self) {
        let state = self.state();
        state.flag.store(1, Ordering::SeqCst);
        state.sets.fetch_add(1, Ordering::SeqCst);
        if state.waiters.load(Ordering::SeqCst) != 0 {
            futex::wake_all(&state.sets);
        }
    }

    /// Clears the flag: Python's `clear()`.
    pub fn clear(&self) {
        self.state().flag.store(0, Ordering::SeqCst);
    }

    /// Waits until the flag is set: Python's `wait()`.
    #[track_caller]
    pub fn wait(&self) {
        let _ = self.wait_until(None);
    }

    /// Waits at most `timeout` for the flag; returns whether it is set (or was set while this
    /// waited): Python's `wait(timeout)`.
    #[must_use = "false means the wait timed out"]
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.wait_until(Some(deadline)),
            None => self.wait_until(None),
        }
    }

    fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let state = self.state();
        if state.flag.load(Ordering::Acquire) != 0 {
            return true;
        }
        let _blocked = Blocked::begin(
            ResourceKind::Event,
            &self.name,
            self.seg.address(),
            deadline,
        );
        state.waiters.fetch_add(1, Ordering::SeqCst);
        let start = state.sets.load(Ordering::SeqCst);
        let result = loop {
            let sets = state.sets.load(Ordering::SeqCst);
            if state.flag.load(Ordering::SeqCst) != 0 || sets != start {
                break true;
            }
            match futex::until(deadline) {
                Ok(timeout) => futex::wait(&state.sets, sets, timeout),
                Err(()) => break false,
            }
        };
        state.waiters.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("name", &self.name)
            .field("segment", &self.seg.name())
            .field("set", &self.is_set())
            .finish()
    }
}

/// Like Python's repr: `<process Event 'start': unset>`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_set() { "set" } else { "unset" };
        write!(f, "<process Event '{}': {state}>", self.name)
    }
}

/// Travels as its segment's name; the other side opens the same Event.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.seg.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seg = segment::deserialize_state::<EventState, D>(deserializer, Kind::Event, "Event")?;
        Ok(Event::in_segment(seg))
    }
}
