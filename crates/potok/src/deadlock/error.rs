//! [`DeadlockError`]: the report of a deadlock, as a value (and the payload of the panic).

use std::fmt;

/// What kind of potok primitive a thread waits for or holds, as named in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceKind {
    /// [`crate::Lock`].
    Lock,
    /// [`crate::RLock`].
    RLock,
    /// [`crate::Mutex`].
    Mutex,
    /// [`crate::RwLock`] (its readers and its writer hold it).
    RwLock,
    /// [`crate::Condition`].
    Condition,
    /// [`crate::Semaphore`].
    Semaphore,
    /// [`crate::BoundedSemaphore`].
    BoundedSemaphore,
    /// [`crate::Event`].
    Event,
    /// [`crate::Barrier`].
    Barrier,
    /// A thread, waited for by `join`.
    Thread,
    /// A FIFO queue (`Queue`).
    Queue,
    /// A LIFO queue (`LifoQueue`).
    LifoQueue,
    /// A priority queue (`PriorityQueue`).
    PriorityQueue,
    /// An unbounded queue without task tracking (`SimpleQueue`).
    SimpleQueue,
    /// A [`crate::futures::Future`] (or a set of them, waited for by `wait` / `as_completed`).
    Future,
}

impl ResourceKind {
    /// The type's name, as in `Lock 'bank'`; also the prefix of default names (`Lock-3`).
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Lock => "Lock",
            ResourceKind::RLock => "RLock",
            ResourceKind::Mutex => "Mutex",
            ResourceKind::RwLock => "RwLock",
            ResourceKind::Condition => "Condition",
            ResourceKind::Semaphore => "Semaphore",
            ResourceKind::BoundedSemaphore => "BoundedSemaphore",
            ResourceKind::Event => "Event",
            ResourceKind::Barrier => "Barrier",
            ResourceKind::Thread => "Thread",
            ResourceKind::Queue => "Queue",
            ResourceKind::LifoQueue => "LifoQueue",
            ResourceKind::PriorityQueue => "PriorityQueue",
            ResourceKind::SimpleQueue => "SimpleQueue",
            ResourceKind::Future => "Future",
        }
    }

    /// Whether a thread owns it while holding it (a cycle through it is a deadlock): `Mutex`,
    /// `RLock`, `RwLock`, a held `Lock`, and a thread (its joiners wait for it alone).
    pub fn is_owned(self) -> bool {
        matches!(
            self,
            ResourceKind::Lock
                | ResourceKind::RLock
                | ResourceKind::Mutex
                | ResourceKind::RwLock
                | ResourceKind::Thread
        )
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One primitive in a report: its kind, its name and, for queues, what it is (`empty`, `full`).
///
/// # Examples
///
/// ```
/// use potok::deadlock::{DeadlockError, ResourceKind};
///
/// let err = DeadlockError::sample();
/// let b = err.thread("A").unwrap().waits_for();
/// assert_eq!((b.kind(), b.name(), b.detail()), (ResourceKind::Mutex, "b", None));
/// assert_eq!(b.kind().as_str(), "Mutex");
/// assert_eq!(b.to_string(), "Mutex 'b'");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub(crate) kind: ResourceKind,
    pub(crate) name: String,
    pub(crate) detail: Option<&'static str>,
}

impl Resource {
    /// What kind of primitive it is.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// Its name (`bank`, `Lock-3`; for [`ResourceKind::Thread`], the thread's name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the waiter waits for in it, when that says more than the kind (`empty`, `full`).
    pub fn detail(&self) -> Option<&'static str> {
        self.detail
    }

    /// Whether `other` is the same object (same kind and name; the detail may differ: a
    /// queue waited on as `empty` and as `full` is one queue).
    pub fn same_as(&self, other: &Resource) -> bool {
        self.kind == other.kind && self.name == other.name
    }
}

/// `Lock 'bank'`, `Queue 'jobs' (empty)`, `thread 'worker' to finish`.
impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ResourceKind::Thread {
            return write!(f, "thread '{}' to finish", self.name);
        }
        write!(f, "{} '{}'", self.kind, self.name)?;
        if let Some(detail) = self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

/// One thread of a deadlock: what it waits for, who holds that, and what it holds.
///
/// # Examples
///
/// ```
/// use potok::deadlock::{DeadlockError, ResourceKind};
///
/// let err = DeadlockError::sample();
/// let a = err.thread("A").unwrap();
/// assert_eq!(a.name(), "A");
/// assert_eq!(a.waits_for().kind(), ResourceKind::Mutex);
/// assert_eq!(a.waits_for().name(), "b");
/// assert_eq!(a.held_by(), Some("B"));
/// assert_eq!(a.holds()[0].name(), "a");
/// assert_eq!(a.to_string(), "thread 'A' holds Mutex 'a' and waits for Mutex 'b' (held by 'B')");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedThread {
    pub(crate) name: String,
    pub(crate) ident: u64,
    pub(crate) waits_for: Resource,
    pub(crate) held_by: Option<String>,
    pub(crate) holds: Vec<Resource>,
}

impl BlockedThread {
    /// The thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The thread's ident ([`crate::Thread::ident`]).
    pub fn ident(&self) -> u64 {
        self.ident
    }

    /// What it is blocked on, without a timeout.
    pub fn waits_for(&self) -> &Resource {
        &self.waits_for
    }

    /// The name of the thread that holds what it waits for, for owned locks (and the joined
    /// thread for a join); `None` for signals (`Event`, `Semaphore`, ...).
    pub fn held_by(&self) -> Option<&str> {
        self.held_by.as_deref()
    }

    /// The locks it holds that another blocked thread waits for. (Potok does not keep a list
    /// of every lock a thread holds: that would cost on the uncontended path.)
    pub fn holds(&self) -> &[Resource] {
        &self.holds
    }
}

impl fmt::Display for BlockedThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread '{}'", self.name)?;
        if !self.holds.is_empty() {
            f.write_str(" holds ")?;
            for (i, r) in self.holds.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{r}")?;
            }
            f.write_str(" and")?;
        }
        write!(f, " waits for {}", self.waits_for)?;
        if let (Some(owner), true) = (&self.held_by, self.waits_for.kind != ResourceKind::Thread) {
            write!(f, " (held by '{owner}')")?;
        }
        Ok(())
    }
}

/// Which kind of deadlock was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeadlockKind {
    /// Threads wait for locks (or joins) held by each other, in a cycle.
    Cycle,
    /// Every live thread is blocked without a timeout on potok primitives: nobody can wake
    /// anybody.
    Stall,
}

/// A deadlock, found by potok instead of hanging: who is blocked, on what, holding what.
///
/// The blocking call whose block closes the cycle or completes the stall panics with this as
/// the payload (under the default [`Policy::Panic`](crate::deadlock::Policy::Panic)); the
/// report is printed once to stderr. Unwinding frees that thread's locks, so the others go
/// on. [`JoinHandle::join`](crate::JoinHandle::join) returns the panic as
/// [`Panicked`](crate::Panicked), which gives this error back with
/// [`Panicked::downcast`](crate::Panicked::downcast).
///
/// Display is the report:
///
/// ```text
/// deadlock: 2 threads wait for each other in a cycle
///   thread 'A' holds Mutex 'a' and waits for Mutex 'b' (held by 'B')
///   thread 'B' holds Mutex 'b' and waits for Mutex 'a' (held by 'A')
///   found when thread 'B' blocked
/// ```
///
/// # Reading it as data
///
/// Everything the report says is also a value, so a caller can word it itself (in another
/// language, as a table, as JSON):
///
/// | the report says | as data |
/// |---|---|
/// | `deadlock: 2 threads wait for each other in a cycle` | [`kind`](Self::kind) ([`DeadlockKind::Cycle`] / [`DeadlockKind::Stall`]), [`threads`](Self::threads)`().len()` |
/// | `thread 'A'` | [`BlockedThread::name`], [`BlockedThread::ident`] |
/// | `holds Mutex 'a'` | [`BlockedThread::holds`] → [`Resource`]s, or [`Relation`]s with [`Role::Holds`] |
/// | `waits for Mutex 'b'` | [`BlockedThread::waits_for`], or the [`Relation`] with [`Role::WaitsFor`] |
/// | `Mutex 'b'`, `Queue 'jobs' (empty)`, `thread 'w' to finish` | [`Resource::kind`] ([`ResourceKind`]), [`Resource::name`], [`Resource::detail`] |
/// | `(held by 'B')` | [`BlockedThread::held_by`], or [`holders_of`](Self::holders_of) |
/// | `found when thread 'B' blocked` | [`found_by`](Self::found_by) |
///
/// [`relations`](Self::relations) lists the whole report as *thread – role – object* facts,
/// [`objects`](Self::objects) every object once, [`waiters_for`](Self::waiters_for) and
/// [`holders_of`](Self::holders_of) who waits for or holds a given one; its example words the
/// report in Russian. [`sample`](Self::sample) makes a report without a deadlock, to test such
/// code.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use potok::{deadlock::DeadlockError, Lock};
///
/// potok::set_excepthook(|_| {}); // keep the doc test quiet
/// let a = Arc::new(potok::Mutex::named("a", ()));
/// let b = Arc::new(potok::Mutex::named("b", ()));
/// let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
/// let ready = Arc::new(potok::Barrier::new(2));
/// let ready2 = Arc::clone(&ready);
/// let t = potok::Builder::new().name("T").spawn(move || {
///     let _b = b2.lock();
///     ready2.wait().unwrap();
///     let _a = a2.lock(); // waits for MainThread... or closes the cycle
/// }).unwrap();
/// let _a = a.lock();
/// ready.wait().unwrap();
/// let mine = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
///     let _b = b.lock();
/// }));
/// drop(_a);
/// let theirs = t.join();
/// // Exactly one of the two blocks closed the cycle and failed.
/// let err: DeadlockError = match (mine, theirs) {
///     (Err(p), Ok(())) => *p.downcast::<DeadlockError>().unwrap(),
///     (Ok(()), Err(p)) => *p.downcast::<DeadlockError>().unwrap(),
///     _ => unreachable!(),
/// };
/// assert_eq!(err.kind(), potok::deadlock::DeadlockKind::Cycle);
/// assert_eq!(err.threads().len(), 2);
/// assert!(err.to_string().contains("Mutex 'a'"));
/// potok::reset_excepthook();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlockError {
    pub(crate) kind: DeadlockKind,
    pub(crate) threads: Vec<BlockedThread>,
    pub(crate) found_by: String,
}

impl DeadlockError {
    /// A cycle or a stall.
    pub fn kind(&self) -> DeadlockKind {
        self.kind
    }

    /// Every thread involved: for a cycle, in cycle order starting with the thread that found
    /// it; for a stall, every blocked thread.
    pub fn threads(&self) -> &[BlockedThread] {
        &self.threads
    }

    /// The involved thread with this name, if any.
    pub fn thread(&self, name: &str) -> Option<&BlockedThread> {
        self.threads.iter().find(|t| t.name == name)
    }

    /// The name of the thread whose block closed the cycle or completed the stall (the one
    /// that panics with this error).
    pub fn found_by(&self) -> &str {
        &self.found_by
    }
}

impl fmt::Display for DeadlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.threads.len();
        match self.kind {
            DeadlockKind::Cycle if n == 1 => {
                f.write_str("deadlock: a thread waits for itself")?;
            }
            DeadlockKind::Cycle => {
                write!(f, "deadlock: {n} threads wait for each other in a cycle")?;
            }
            DeadlockKind::Stall => {
                let threads = if n == 1 { "thread" } else { "threads" };
                write!(
                    f,
                    "deadlock: all {n} {threads} blocked, none can wake another"
                )?;
            }
        }
        for t in &self.threads {
            write!(f, "\n  {t}")?;
        }
        write!(f, "\n  found when thread '{}' blocked", self.found_by)
    }
}

impl std::error::Error for DeadlockError {}

/// What a thread of a deadlock does with an object: the verbs of the report. Ordered as the
/// report lists them (what a thread holds, then what it waits for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The thread holds the object (a lock it took; see [`BlockedThread::holds`]).
    Holds,
    /// The thread is blocked, without a timeout, waiting for the object (a lock, a signal, a
    /// queue, or a thread to finish; see [`BlockedThread::waits_for`]).
    WaitsFor,
}

impl Role {
    /// `holds` or `waits for`, as in the English report.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Holds => "holds",
            Role::WaitsFor => "waits for",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fact of a report: *thread* [`Role`] *object* ("thread 'A' holds Mutex 'a'").
///
/// From [`DeadlockError::relations`]: the report as a list of subject–verb–object triples, for
/// a caller that words the report itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relation<'a> {
    thread: &'a BlockedThread,
    role: Role,
    object: &'a Resource,
}

impl<'a> Relation<'a> {
    /// The thread (with its name, ident and the rest of its part in the deadlock).
    pub fn thread(&self) -> &'a BlockedThread {
        self.thread
    }

    /// What the thread does with the object.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The object: a primitive (kind, name, detail), or a thread waited for by `join`.
    pub fn object(&self) -> &'a Resource {
        self.object
    }
}

/// `thread 'A' holds Mutex 'a'`, `thread 'B' waits for Mutex 'a'`.
impl fmt::Display for Relation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thread '{}' {} {}",
            self.thread.name, self.role, self.object
        )
    }
}

impl DeadlockError {
    /// Every object of the report, once each, in the order the report first names them:
    /// the locks, signals, queues and joined threads the involved threads hold or wait for.
    /// Two objects are the same when their kind and name are (names are unique unless given
    /// twice on purpose).
    ///
    /// # Examples
    ///
    /// ```
    /// let err = potok::deadlock::DeadlockError::sample();
    /// let objects: Vec<String> = err.objects().iter().map(|o| o.to_string()).collect();
    /// assert_eq!(objects, ["Mutex 'a'", "Mutex 'b'"]);
    /// ```
    pub fn objects(&self) -> Vec<&Resource> {
        let mut objects: Vec<&Resource> = Vec::new();
        for r in self.relations() {
            let o = r.object;
            if !objects.iter().any(|x| x.kind == o.kind && x.name == o.name) {
                objects.push(o);
            }
        }
        objects
    }

    /// The report as facts: for each thread in [`threads`](Self::threads) order, what it holds
    /// ([`Role::Holds`]), then what it waits for ([`Role::WaitsFor`]). This is all the English
    /// [`Display`](fmt::Display) says, apart from the headline ([`kind`](Self::kind), the
    /// number of threads) and the last line ([`found_by`](Self::found_by)), so a caller can
    /// word the whole report in its own language.
    ///
    /// # Examples
    ///
    /// The report in Russian, from the data alone:
    ///
    /// ```
    /// use potok::deadlock::{DeadlockKind, ResourceKind, Role};
    ///
    /// let err = potok::deadlock::DeadlockError::sample();
    /// fn kind_ru(kind: ResourceKind) -> &'static str {
    ///     match kind {
    ///         ResourceKind::Mutex => "мьютекс",
    ///         ResourceKind::Lock => "замок",
    ///         ResourceKind::Thread => "поток",
    ///         _ => "объект",
    ///     }
    /// }
    /// let mut text = match err.kind() {
    ///     DeadlockKind::Cycle => format!("взаимная блокировка: {} потока ждут друг друга", err.threads().len()),
    ///     DeadlockKind::Stall => "взаимная блокировка: все потоки ждут".to_owned(),
    /// };
    /// for fact in err.relations() {
    ///     let verb = match fact.role() {
    ///         Role::Holds => "держит",
    ///         Role::WaitsFor => "ждёт",
    ///     };
    ///     let object = fact.object();
    ///     text += &format!("\n  поток '{}' {verb} {} '{}'", fact.thread().name(), kind_ru(object.kind()), object.name());
    /// }
    /// assert_eq!(text, "взаимная блокировка: 2 потока ждут друг друга\n  \
    ///     поток 'A' держит мьютекс 'a'\n  поток 'A' ждёт мьютекс 'b'\n  \
    ///     поток 'B' держит мьютекс 'b'\n  поток 'B' ждёт мьютекс 'a'");
    ///
    /// // The same facts in English:
    /// let facts: Vec<String> = err.relations().iter().map(|r| r.to_string()).collect();
    /// assert_eq!(facts[1], "thread 'A' waits for Mutex 'b'");
    /// ```
    pub fn relations(&self) -> Vec<Relation<'_>> {
        let mut out = Vec::new();
        for t in &self.threads {
            for held in &t.holds {
                out.push(Relation {
                    thread: t,
                    role: Role::Holds,
                    object: held,
                });
            }
            out.push(Relation {
                thread: t,
                role: Role::WaitsFor,
                object: &t.waits_for,
            });
        }
        out
    }

    /// The threads that hold `object` (by kind and name), among the involved ones.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = potok::deadlock::DeadlockError::sample();
    /// let b = err.thread("A").unwrap().waits_for();
    /// let holders: Vec<&str> = err.holders_of(b).iter().map(|t| t.name()).collect();
    /// assert_eq!(holders, ["B"]);
    /// ```
    pub fn holders_of(&self, object: &Resource) -> Vec<&BlockedThread> {
        self.relations()
            .into_iter()
            .filter(|r| r.role == Role::Holds && r.object.same_as(object))
            .map(|r| r.thread)
            .collect()
    }

    /// The threads that wait for `object` (by kind and name), among the involved ones.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = potok::deadlock::DeadlockError::sample();
    /// let a = &err.thread("A").unwrap().holds()[0];
    /// let waiters: Vec<&str> = err.waiters_for(a).iter().map(|t| t.name()).collect();
    /// assert_eq!(waiters, ["B"]);
    /// ```
    pub fn waiters_for(&self, object: &Resource) -> Vec<&BlockedThread> {
        self.threads
            .iter()
            .filter(|t| t.waits_for.same_as(object))
            .collect()
    }

    /// A made-up report, for testing code that words reports itself (a CLI translating them)
    /// without making a deadlock: threads `A` (ident 2) and `B` (ident 3) in a cycle, `A`
    /// holding `Mutex 'a'` and waiting for `Mutex 'b'`, `B` the other way round; found by `B`.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = potok::deadlock::DeadlockError::sample();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "deadlock: 2 threads wait for each other in a cycle\n  \
    ///      thread 'A' holds Mutex 'a' and waits for Mutex 'b' (held by 'B')\n  \
    ///      thread 'B' holds Mutex 'b' and waits for Mutex 'a' (held by 'A')\n  \
    ///      found when thread 'B' blocked"
    /// );
    /// ```
    pub fn sample() -> DeadlockError {
        let mutex = |name: &str| Resource {
            kind: ResourceKind::Mutex,
            name: name.to_owned(),
            detail: None,
        };
        let thread = |name: &str, ident, holds: &str, waits: &str, held_by: &str| BlockedThread {
            name: name.to_owned(),
            ident,
            waits_for: mutex(waits),
            held_by: Some(held_by.to_owned()),
            holds: vec![mutex(holds)],
        };
        DeadlockError {
            kind: DeadlockKind::Cycle,
            threads: vec![thread("A", 2, "a", "b", "B"), thread("B", 3, "b", "a", "A")],
            found_by: "B".to_owned(),
        }
    }
}
