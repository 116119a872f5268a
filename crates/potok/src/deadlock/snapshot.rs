//! [`snapshot`]: what every thread potok knows is doing, and [`dump`], which prints it
//! (Python's `faulthandler.dump_traceback`, with locks instead of stack frames).

use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};

use super::activity::Doing;
use super::error::{Resource, ResourceKind};
use crate::thread::{self, Thread};

/// What one thread is doing, in a [`Snapshot`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadState {
    /// Not blocked on a potok primitive nor sleeping: running its code, or blocked in I/O or in
    /// a primitive potok does not know.
    Running,
    /// In [`potok::sleep`](crate::sleep), until `until`.
    Sleeping {
        /// When the sleep ends (`None`: too far away to say).
        until: Option<Instant>,
    },
    /// Blocked on a potok primitive: a lock, a signal, a queue.
    Blocked {
        /// What it waits for.
        on: Resource,
        /// Who held it when the thread blocked (owned locks: `Lock`, `RLock`, `Mutex`,
        /// `RwLock`); `None` for signals and queues.
        held_by: Option<String>,
        /// When the wait times out (`None`: it waits for as long as it takes).
        deadline: Option<Instant>,
    },
    /// Waiting for a thread to finish (`join`).
    Joining {
        /// The name of the thread it joins.
        thread: String,
        /// When the wait times out (`None`: it waits for as long as it takes).
        deadline: Option<Instant>,
    },
}

impl ThreadState {
    /// What the thread waits for, if it is blocked or joining (a join waits for a
    /// [`ResourceKind::Thread`] named after the joined thread).
    pub fn waits_for(&self) -> Option<Resource> {
        match self {
            ThreadState::Blocked { on, .. } => Some(on.clone()),
            ThreadState::Joining { thread, .. } => Some(Resource {
                kind: ResourceKind::Thread,
                name: thread.clone(),
                detail: None,
            }),
            ThreadState::Running | ThreadState::Sleeping { .. } => None,
        }
    }

    /// When the wait or sleep ends on its own, if it does.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            ThreadState::Running => None,
            ThreadState::Sleeping { until } => *until,
            ThreadState::Blocked { deadline, .. } | ThreadState::Joining { deadline, .. } => {
                *deadline
            }
        }
    }
}

/// `running`, `sleeping`, `blocked on Lock 'a' (held by 'B')`, `joining 'worker'`.
impl fmt::Display for ThreadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ThreadState::Running => f.write_str("running"),
            ThreadState::Sleeping { .. } => f.write_str("sleeping"),
            ThreadState::Blocked { on, held_by, .. } => {
                write!(f, "blocked on {on}")?;
                if let Some(owner) = held_by {
                    write!(f, " (held by '{owner}')")?;
                }
                Ok(())
            }
            ThreadState::Joining { thread, .. } => write!(f, "joining '{thread}'"),
        }
    }
}

/// One thread of a [`Snapshot`]: who it is, what it is doing since when, what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadSnapshot {
    name: String,
    ident: u64,
    native_id: Option<u64>,
    daemon: bool,
    state: ThreadState,
    since: Option<Instant>,
    holds: Vec<Resource>,
    not_declared: Option<(String, Instant)>,
}

impl ThreadSnapshot {
    /// The thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The thread's ident ([`crate::Thread::ident`]).
    pub fn ident(&self) -> u64 {
        self.ident
    }

    /// The OS thread id ([`crate::Thread::native_id`]).
    pub fn native_id(&self) -> Option<u64> {
        self.native_id
    }

    /// Whether it is a daemon thread.
    pub fn is_daemon(&self) -> bool {
        self.daemon
    }

    /// What it is doing.
    pub fn state(&self) -> &ThreadState {
        &self.state
    }

    /// Since when it is blocked, joining or sleeping (`None` while it runs). A thread woken
    /// without what it waited for that blocks again at once on the same object is still in
    /// the same wait.
    pub fn since(&self) -> Option<Instant> {
        self.since
    }

    /// The locks it holds that are known: the owned locks other threads are blocked on.
    /// Potok does not otherwise keep a
    /// list of the locks a thread holds: that would cost on the uncontended path.
    pub fn holds(&self) -> &[Resource] {
        &self.holds
    }

    /// For a thread blocked without a timeout: why the deadlock detector, when it last checked
    /// this thread's wait, did not declare a deadlock, and when that was. For example
    /// `a thread potok does not know runs: tid 4242 'worker'` (checked again, later), or
    /// `1 of the 2 live threads of its family are blocked; the others may wake it` (checked
    /// again when one of them blocks or exits). `None` while the thread runs or waits with a
    /// timeout. [`dump`] prints it under the thread, so that a hang explains itself.
    pub fn not_declared(&self) -> Option<(&str, Instant)> {
        self.not_declared
            .as_ref()
            .map(|(why, at)| (why.as_str(), *at))
    }

    /// Whether it is blocked (or joining) on `kind` named `name`, with or without a timeout.
    pub fn is_blocked_on(&self, kind: ResourceKind, name: &str) -> bool {
        self.state
            .waits_for()
            .is_some_and(|r| r.kind == kind && r.name == name)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, now: Instant) -> fmt::Result {
        write!(f, "thread '{}'", self.name)?;
        if let Some(tid) = self.native_id {
            write!(f, " (tid {tid})")?;
        }
        write!(f, ": {}", self.state)?;
        if let Some(since) = self.since {
            write!(
                f,
                " for {:.2} s",
                now.saturating_duration_since(since).as_secs_f64()
            )?;
        }
        match (&self.state, self.state.deadline()) {
            (ThreadState::Running, _) => {}
            (_, Some(deadline)) => write!(
                f,
                ", {:.2} s left",
                deadline.saturating_duration_since(now).as_secs_f64()
            )?,
            (ThreadState::Sleeping { .. }, None) => {}
            (_, None) => f.write_str(", no timeout")?,
        }
        if !self.holds.is_empty() {
            f.write_str("\n    holds ")?;
            for (i, r) in self.holds.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{r}")?;
            }
        }
        if let Some((why, at)) = &self.not_declared {
            write!(
                f,
                "\n    no deadlock declared ({:.2} s ago): {why}",
                now.saturating_duration_since(*at).as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// `thread 'worker' (tid 4242): blocked on Queue 'jobs' (empty) for 1.50 s, no timeout`.
impl fmt::Display for ThreadSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, Instant::now())
    }
}

/// What every thread potok knows was doing at one moment: from [`snapshot`].
///
/// Display is what [`dump`] prints:
///
/// ```text
/// potok: 3 threads
///   thread 'MainThread' (tid 4240): joining 'worker' for 2.01 s, no timeout
///   thread 'worker' (tid 4242): blocked on Lock 'a' (held by 'other') for 2.00 s, 0.50 s left
///     holds Mutex 'b'
///   thread 'other' (tid 4243): sleeping for 1.00 s, 9.00 s left
///     holds Lock 'a'
/// ```
///
/// A thread blocked without a timeout that the deadlock detector did not declare stuck gets
/// a line saying why ([`ThreadSnapshot::not_declared`]):
///
/// ```text
///   thread 'Dummy-3' (tid 4250): blocked on Event 'go' for 61.20 s, no timeout
///     no deadlock declared (0.04 s ago): a thread potok does not know runs: tid 4251 'helper'
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    threads: Vec<ThreadSnapshot>,
    taken: Instant,
}

impl Snapshot {
    /// Every thread, in the order they were registered (as [`crate::enumerate`]).
    pub fn threads(&self) -> &[ThreadSnapshot] {
        &self.threads
    }

    /// The thread with this name, if any.
    pub fn thread(&self, name: &str) -> Option<&ThreadSnapshot> {
        self.threads.iter().find(|t| t.name == name)
    }

    /// When it was taken.
    pub fn taken(&self) -> Instant {
        self.taken
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.threads.len();
        write!(f, "potok: {n} thread{}", if n == 1 { "" } else { "s" })?;
        for t in &self.threads {
            f.write_str("\n  ")?;
            t.write(f, self.taken)?;
        }
        Ok(())
    }
}

/// What every thread potok knows is doing: running, sleeping, blocked on *KIND 'NAME'*
/// (with or without a timeout), or joining *'NAME'*; since when; and which locks it holds.
///
/// Threads potok knows are the main thread, the threads it started, and foreign threads that
/// called [`current_thread`](crate::current_thread) (see [`crate::enumerate`]). A thread in
/// I/O or in a foreign primitive shows as running. Cheap enough to call in a loop (a lock per
/// thread), it never blocks on the primitives it describes.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use potok::deadlock::{snapshot, ResourceKind, ThreadState};
///
/// let go = std::sync::Arc::new(potok::Event::named("go"));
/// let waiter = potok::Builder::new().name("waiter").spawn({
///     let go = go.clone();
///     move || go.wait()
/// }).unwrap();
/// // Wait until the waiter is blocked on the Event, as a test would.
/// let me = potok::deadlock::wait_until_blocked(waiter.thread(), ResourceKind::Event, "go", Duration::from_secs(10))
///     .unwrap();
/// assert!(matches!(me.state(), ThreadState::Blocked { deadline: None, .. }));
/// assert_eq!(me.state().to_string(), "blocked on Event 'go'");
/// assert!(snapshot().thread("waiter").unwrap().since().is_some());
/// go.set();
/// waiter.join().unwrap();
/// ```
pub fn snapshot() -> Snapshot {
    crate::main_thread();
    let taken = Instant::now();
    let live = thread::live_threads();
    let held_back = super::detector::held_back();
    let records: Vec<_> = live.iter().map(|t| t.inner.activity.read()).collect();
    let name_of = |id: u64| -> String {
        live.iter()
            .find(|t| t.ident() == id)
            .map_or_else(|| format!("thread #{id}"), |t| t.name().to_owned())
    };
    // Who holds what: the holders of the owned locks somebody waits for.
    let mut held: Vec<(u64, usize, Resource)> = Vec::new();
    for record in records.iter().flatten() {
        if let Doing::Waiting {
            kind,
            resource,
            holder: Some(holder),
            ..
        } = &record.doing
        {
            if *kind != ResourceKind::Thread
                && !held.iter().any(|(h, r, _)| h == holder && r == resource)
            {
                if let Some(mut res) = record.doing.resource() {
                    res.detail = None;
                    held.push((*holder, *resource, res));
                }
            }
        }
    }
    let threads = live
        .iter()
        .zip(records)
        .map(|(t, record)| {
            let (state, since) = match record {
                None => (ThreadState::Running, None),
                Some(record) => {
                    let state = match &record.doing {
                        Doing::Sleeping { until } => ThreadState::Sleeping { until: *until },
                        Doing::Waiting {
                            kind: ResourceKind::Thread,
                            name,
                            deadline,
                            ..
                        } => ThreadState::Joining {
                            thread: name.to_string(),
                            deadline: *deadline,
                        },
                        Doing::Waiting {
                            holder, deadline, ..
                        } => ThreadState::Blocked {
                            on: record.doing.resource().expect("a wait has a resource"),
                            held_by: holder.map(name_of),
                            deadline: *deadline,
                        },
                    };
                    (state, Some(record.since))
                }
            };
            let holds: Vec<Resource> = held
                .iter()
                .filter(|(h, _, _)| *h == t.ident())
                .map(|(_, _, r)| r.clone())
                .collect();
            ThreadSnapshot {
                name: t.name().to_owned(),
                ident: t.ident(),
                native_id: t.native_id(),
                daemon: t.is_daemon(),
                state,
                since,
                holds,
                not_declared: held_back
                    .iter()
                    .find(|(id, _, _)| *id == t.ident())
                    .map(|(_, why, at)| (why.to_string(), *at)),
            }
        })
        .collect();
    Snapshot { threads, taken }
}

/// Prints [`snapshot`] to stderr: what every thread is doing. Also printed on `SIGQUIT` and
/// after `POTOK_DUMP_AFTER` seconds (see [`watch_for_dumps`](super::watch_for_dumps)).
///
/// # Examples
///
/// ```
/// potok::deadlock::dump(); // potok: 1 thread\n  thread 'MainThread' (tid ...): running
/// ```
pub fn dump() {
    let text = format!("{}\n", snapshot());
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Why [`wait_until_blocked`] gave up: the thread did not block there in time.
#[derive(Clone, Debug)]
pub struct NotBlocked {
    thread: String,
    what: String,
    within: Duration,
    last: Snapshot,
}

impl NotBlocked {
    /// The last snapshot taken, showing where every thread was instead.
    pub fn last(&self) -> &Snapshot {
        &self.last
    }
}

impl fmt::Display for NotBlocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thread '{}' did not block on {} within {:?}; last seen:\n{}",
            self.thread, self.what, self.within, self.last
        )
    }
}

impl std::error::Error for NotBlocked {}

/// Waits until [`snapshot`] shows `thread` blocked (with or without a
/// timeout) on the `kind` named `name` (for a join: [`ResourceKind::Thread`] and the joined
/// thread's name), and returns what it showed: for tests that must reach a state before they
/// act ("the putter is blocked on the full queue, now get"). It polls every millisecond or
/// so, sleeping with `std::thread::sleep`, so the waiting thread counts as running for the
/// deadlock detector.
///
/// A blocked thread is in its primitive's wait queue (it is recorded there atomically with
/// joining it), so whatever the caller does next to wake it cannot be lost.
///
/// # Errors
///
/// [`NotBlocked`], with the last snapshot, when `within` passes first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use potok::deadlock::{wait_until_blocked, ResourceKind};
///
/// let q = potok::Queue::named("jobs", 1);
/// q.put(1).unwrap();
/// let putter = potok::Builder::new().name("putter").spawn({
///     let q = q.clone();
///     move || q.put(2).unwrap()
/// }).unwrap();
/// wait_until_blocked(putter.thread(), ResourceKind::Queue, "jobs", Duration::from_secs(10)).unwrap();
/// assert_eq!(q.get().unwrap(), 1); // makes room: the blocked putter proceeds
/// putter.join().unwrap();
/// assert_eq!(q.get().unwrap(), 2);
/// ```
pub fn wait_until_blocked(
    thread: &Thread,
    kind: ResourceKind,
    name: &str,
    within: Duration,
) -> Result<ThreadSnapshot, NotBlocked> {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_micros(50);
    loop {
        let snap = snapshot();
        let me = snap.threads.iter().find(|t| t.ident == thread.ident());
        if let Some(t) = me.filter(|t| t.is_blocked_on(kind, name)) {
            return Ok(t.clone());
        }
        if Instant::now() >= deadline {
            let what = Resource {
                kind,
                name: name.to_owned(),
                detail: None,
            };
            return Err(NotBlocked {
                thread: thread.name().to_owned(),
                what: what.to_string(),
                within,
                last: snap,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(2));
    }
}
