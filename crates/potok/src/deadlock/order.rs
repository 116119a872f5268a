//! Lock-order checking (Linux's lockdep, for potok's owned locks): a lock order inverted is
//! reported the first time it is seen, before anything hangs.
//!
//! # Model
//!
//! - Every `Lock`, `RLock`, `Mutex` and `RwLock` belongs to a *class*: its name for a named one (two
//!   locks named `account` are one class), its creation site (file, line, column) for an
//!   unnamed one. A class gets a small number the first time it is checked.
//! - Each thread keeps the locks it holds, in order, in a thread-local stack (lock address,
//!   class, where it was taken). A blocking acquire of class B while holding class A records
//!   the edge A → B. Recursion into a held `RLock` is no acquire (nothing is pushed, no edge);
//!   `Condition` waits release their lock (popped) and retake it (an acquire like any other).
//!   `try_*` and timed acquires push without recording edges: they cannot wait forever.
//!   An `RwLock`'s blocking `read` and `write` are both acquisitions of its class (a reader
//!   queues behind a waiting writer, so it can wait forever too); a read inside a read of
//!   the same lock (or of its class) is no edge, as no lock is an edge to its own class.
//! - A new edge A → B that closes a cycle of classes (B → ... → A was seen before, by any
//!   thread) is a potential deadlock: reported once (the edge is then known), naming the locks,
//!   the threads and the code locations of each edge of the cycle.
//!
//! # Cost
//!
//! Off: one relaxed load of a global byte per blocking acquire and per release. On: a
//! thread-local stack push and pop, and per lock already held one probe of a lock-free table of
//! known edges (a fixed open-addressing array of `AtomicU64`, read without locks). Only a new
//! edge takes the global lock (`GRAPH`), which also holds the adjacency lists for the cycle
//! search. There is no global lock on the common path.
//!
//! # Limits
//!
//! A `Lock` released by another thread than the one that took it (Python's signal pattern) is
//! removed from the taker's stack through the taker's inbox, when the taker is a thread potok
//! knows; for an unknown (foreign, unregistered) taker it stays on its stack until that thread
//! releases some lock at the same address. All unnamed locks made by `Default` share one
//! creation site. The edge table holds 16,384 edges; beyond that new edges are not checked.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::error::ResourceKind;
use crate::sync::name::Name;

use crate::instrument::{self, ORDER, ORDER_UNDECIDED};

/// The environment variable that turns lock-order checking on (`1`) or off (`0`).
pub const LOCK_ORDER_VAR: &str = "POTOK_LOCK_ORDER";

/// Whether lock-order checking is on: one relaxed load (of the word all instrumentation
/// shares, see `instrument`) once decided.
#[inline(always)]
pub(crate) fn on() -> bool {
    let word = instrument::load();
    if word & ORDER_UNDECIDED != 0 {
        decide()
    } else {
        word & ORDER != 0
    }
}

#[cold]
fn decide() -> bool {
    let on = match std::env::var(LOCK_ORDER_VAR).as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => cfg!(debug_assertions),
    };
    // Decided once: a `set_lock_order_check` in between wins.
    let bits = if on { ORDER } else { 0 };
    let word = instrument::update(ORDER | ORDER_UNDECIDED, bits, |w| w & ORDER_UNDECIDED != 0);
    word & ORDER != 0
}

/// Turns lock-order checking on or off for the whole process (on by default in debug
/// builds, off in release builds; `POTOK_LOCK_ORDER=0|1` decides instead when set). Locks
/// taken while it was off are not known to it when it is turned on.
///
/// # Examples
///
/// ```
/// potok::deadlock::set_lock_order_check(true);
/// assert!(potok::deadlock::lock_order_check());
/// ```
pub fn set_lock_order_check(enabled: bool) {
    let bits = if enabled { ORDER } else { 0 };
    instrument::update(ORDER | ORDER_UNDECIDED, bits, |_| true);
}

/// Whether lock-order checking is on (see [`set_lock_order_check`]).
pub fn lock_order_check() -> bool {
    on()
}

/// What a lock-order inversion does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LockOrderPolicy {
    /// Print the report to stderr and go on (the default).
    #[default]
    Warn,
    /// Panic with the [`LockOrderViolation`] as payload, before taking the lock.
    Panic,
    /// Call the hook given to [`set_lock_order_hook`] (and print nothing).
    Hook,
}

static POLICY: AtomicU8 = AtomicU8::new(0);
type Hook = Arc<dyn Fn(&LockOrderViolation) + Send + Sync>;
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

/// Chooses what a lock-order inversion does ([`LockOrderPolicy`]).
///
/// # Examples
///
/// ```
/// use potok::deadlock::{set_lock_order_policy, LockOrderPolicy};
/// set_lock_order_policy(LockOrderPolicy::Panic);
/// set_lock_order_policy(LockOrderPolicy::Warn);
/// ```
pub fn set_lock_order_policy(policy: LockOrderPolicy) {
    let value = match policy {
        LockOrderPolicy::Warn => 0,
        LockOrderPolicy::Panic => 1,
        LockOrderPolicy::Hook => 2,
    };
    POLICY.store(value, Ordering::Relaxed);
}

/// Calls `hook` with each lock-order inversion instead of printing it (and sets the policy to
/// [`LockOrderPolicy::Hook`]). The hook runs on the thread that inverted the order, before it
/// takes the lock, while it holds the others: it must not take potok locks itself.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = Arc::clone(&seen);
/// potok::deadlock::set_lock_order_hook(move |v| log.lock().unwrap().push(v.to_string()));
/// potok::deadlock::set_lock_order_policy(potok::deadlock::LockOrderPolicy::Warn);
/// ```
pub fn set_lock_order_hook(hook: impl Fn(&LockOrderViolation) + Send + Sync + 'static) {
    *HOOK.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    set_lock_order_policy(LockOrderPolicy::Hook);
}

fn policy() -> LockOrderPolicy {
    match POLICY.load(Ordering::Relaxed) {
        0 => LockOrderPolicy::Warn,
        1 => LockOrderPolicy::Panic,
        _ => LockOrderPolicy::Hook,
    }
}

/// One edge of an inverted order: `thread` took `taken` (at `taken_at`) while holding `held`
/// (taken at `held_at`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderEdge {
    held: String,
    held_at: String,
    taken: String,
    taken_at: String,
    thread: String,
}

impl OrderEdge {
    /// The lock that was held (`Mutex 'a'`).
    pub fn held(&self) -> &str {
        &self.held
    }

    /// Where the held lock was taken (`src/main.rs:10:5`).
    pub fn held_at(&self) -> &str {
        &self.held_at
    }

    /// The lock taken while the other was held.
    pub fn taken(&self) -> &str {
        &self.taken
    }

    /// Where it was taken.
    pub fn taken_at(&self) -> &str {
        &self.taken_at
    }

    /// The thread that did it.
    pub fn thread(&self) -> &str {
        &self.thread
    }
}

/// `thread 'B' took Mutex 'a' at src/b.rs:3:9 while holding Mutex 'b' (taken at src/b.rs:2:9)`.
impl fmt::Display for OrderEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "thread '{}' took {} at {} while holding {} (taken at {})",
            self.thread, self.taken, self.taken_at, self.held, self.held_at
        )
    }
}

/// A potential deadlock found by lock-order checking: the locks were taken in orders that form
/// a cycle. Nothing hangs yet; run the same threads at the wrong moment and it would.
///
/// [`edges`](Self::edges) lists the cycle: first the acquisition that closed it, then the
/// earlier ones, each `held → taken`, so that the last edge's `taken` is the first edge's
/// `held`. Display:
///
/// ```text
/// potential deadlock: lock order inverted (Mutex 'a' -> Mutex 'b' -> Mutex 'a')
///   thread 'B' took Mutex 'a' at src/b.rs:3:9 while holding Mutex 'b' (taken at src/b.rs:2:9)
///   thread 'A' took Mutex 'b' at src/a.rs:3:9 while holding Mutex 'a' (taken at src/a.rs:2:9)
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockOrderViolation {
    edges: Vec<OrderEdge>,
}

impl LockOrderViolation {
    /// The edges of the cycle, the new one first.
    pub fn edges(&self) -> &[OrderEdge] {
        &self.edges
    }
}

impl fmt::Display for LockOrderViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("potential deadlock: lock order inverted (")?;
        for e in &self.edges {
            write!(f, "{} -> ", e.held)?;
        }
        if let Some(first) = self.edges.first() {
            f.write_str(&first.held)?;
        }
        f.write_str(")")?;
        for e in &self.edges {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LockOrderViolation {}

/// A primitive's lock class: where it was made, and its number once known.
#[derive(Debug)]
pub(crate) struct Class {
    site: &'static Location<'static>,
    id: AtomicU32,
}

impl Default for Class {
    #[track_caller]
    fn default() -> Self {
        Class::here()
    }
}

impl Class {
    /// The class of a lock made by the caller.
    #[track_caller]
    pub(crate) const fn here() -> Class {
        Class {
            site: Location::caller(),
            id: AtomicU32::new(0),
        }
    }

    /// Its number, given on first use: by `name` if the lock was named, else by its site.
    #[inline]
    fn id(&self, kind: ResourceKind, name: &Name) -> u32 {
        match self.id.load(Ordering::Relaxed) {
            0 => {
                let id = class_id(kind, name.given(), self.site, name.get(kind));
                self.id.store(id, Ordering::Relaxed);
                id
            }
            id => id,
        }
    }
}

/// The class table: key -> number, and each class's label for reports.
struct Classes {
    ids: HashMap<(ResourceKind, String), u32>,
    labels: Vec<String>,
}

static CLASSES: Mutex<Option<Classes>> = Mutex::new(None);

fn class_id(kind: ResourceKind, given: Option<&str>, site: &Location<'_>, name: &str) -> u32 {
    let mut guard = CLASSES.lock().unwrap_or_else(PoisonError::into_inner);
    let classes = guard.get_or_insert_with(|| Classes {
        ids: HashMap::new(),
        labels: vec![String::new()],
    });
    let key = match given {
        Some(given) => (kind, format!("name:{given}")),
        None => (kind, format!("site:{site}")),
    };
    if let Some(&id) = classes.ids.get(&key) {
        return id;
    }
    let id = classes.labels.len() as u32;
    let label = match given {
        Some(_) => format!("{kind} '{name}'"),
        None => format!("{kind} '{name}' (made at {site})"),
    };
    classes.labels.push(label);
    classes.ids.insert(key, id);
    id
}

fn label(id: u32) -> String {
    CLASSES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|c| c.labels.get(id as usize).cloned())
        .unwrap_or_else(|| format!("lock class #{id}"))
}

// The edge table: lock-free reads; inserts under GRAPH's lock.

const EDGE_SLOTS: usize = 1 << 14;
static EDGES: [AtomicU64; EDGE_SLOTS] = [const { AtomicU64::new(0) }; EDGE_SLOTS];

#[inline]
fn edge_key(from: u32, to: u32) -> u64 {
    (u64::from(from) << 32) | u64::from(to)
}

#[inline]
fn slot_of(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 50) as usize % EDGE_SLOTS
}

/// Whether the edge is known (or the table is full: then it is not checked).
#[inline]
fn edge_known(key: u64) -> bool {
    let mut i = slot_of(key);
    for _ in 0..EDGE_SLOTS {
        match EDGES[i].load(Ordering::Acquire) {
            0 => return false,
            k if k == key => return true,
            _ => i = (i + 1) % EDGE_SLOTS,
        }
    }
    true
}

/// Adds the edge to the table (under GRAPH's lock).
fn edge_insert(key: u64) {
    let mut i = slot_of(key);
    for _ in 0..EDGE_SLOTS {
        if EDGES[i].load(Ordering::Relaxed) == 0 {
            EDGES[i].store(key, Ordering::Release);
            return;
        }
        i = (i + 1) % EDGE_SLOTS;
    }
}

/// What is known of one edge, for reports.
#[derive(Clone)]
struct EdgeInfo {
    thread: String,
    held_at: &'static Location<'static>,
    taken_at: &'static Location<'static>,
}

/// Each class's successors, with what is known of each edge.
type Graph = HashMap<u32, Vec<(u32, EdgeInfo)>>;

static GRAPH: Mutex<Option<Graph>> = Mutex::new(None);

fn graph() -> MutexGuard<'static, Option<Graph>> {
    GRAPH.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A path `from -> ... -> to` in the graph, as edges (from, to, info), depth first.
fn path(g: &Graph, from: u32, to: u32) -> Option<Vec<(u32, u32, EdgeInfo)>> {
    fn walk(
        g: &Graph,
        node: u32,
        to: u32,
        seen: &mut Vec<u32>,
        edges: &mut Vec<(u32, u32, EdgeInfo)>,
    ) -> bool {
        for (succ, info) in g.get(&node).map_or(&[][..], Vec::as_slice) {
            if seen.contains(succ) {
                continue;
            }
            seen.push(*succ);
            edges.push((node, *succ, info.clone()));
            if *succ == to || walk(g, *succ, to, seen, edges) {
                return true;
            }
            edges.pop();
        }
        false
    }
    let mut seen = vec![from];
    let mut edges = Vec::new();
    walk(g, from, to, &mut seen, &mut edges).then_some(edges)
}

// The per-thread stack of held locks.

#[derive(Clone, Copy)]
struct Held {
    addr: usize,
    class: u32,
    at: &'static Location<'static>,
}

/// Locks another thread released for this one (a `Lock` taken here, released there).
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    pending: AtomicBool,
    addrs: Mutex<Vec<usize>>,
}

impl Inbox {
    /// Another thread released the lock at `addr`, which this inbox's thread took.
    pub(crate) fn released_for(&self, addr: usize) {
        self.addrs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(addr);
        self.pending.store(true, Ordering::Release);
    }
}

struct Stack {
    held: Vec<Held>,
    /// The calling thread's record, which holds its inbox.
    me: Option<crate::Thread>,
    inbox_looked_up: bool,
}

thread_local! {
    static STACK: RefCell<Stack> = const {
        RefCell::new(Stack { held: Vec::new(), me: None, inbox_looked_up: false })
    };
}

impl Stack {
    #[inline]
    fn drain_inbox(&mut self) {
        let pending = match &self.me {
            Some(me) => me.inner.order_inbox.pending.load(Ordering::Relaxed),
            None => !self.inbox_looked_up,
        };
        if pending {
            self.drain_inbox_slow();
        }
    }

    #[cold]
    fn drain_inbox_slow(&mut self) {
        if !self.inbox_looked_up {
            self.inbox_looked_up = true;
            self.me = crate::thread::current_known();
        }
        if let Some(inbox) = self.me.as_ref().map(|me| &me.inner.order_inbox) {
            if inbox.pending.swap(false, Ordering::Acquire) {
                let addrs = std::mem::take(
                    &mut *inbox.addrs.lock().unwrap_or_else(PoisonError::into_inner),
                );
                for addr in addrs {
                    self.remove(addr);
                }
            }
        }
    }

    #[inline]
    fn remove(&mut self, addr: usize) -> bool {
        if self.held.last().is_some_and(|h| h.addr == addr) {
            self.held.pop();
            return true;
        }
        match self.held.iter().rposition(|h| h.addr == addr) {
            Some(i) => {
                self.held.remove(i);
                true
            }
            None => false,
        }
    }
}

/// What a checked acquire says about the lock.
pub(crate) struct Taking<'a> {
    pub(crate) class: &'a Class,
    pub(crate) kind: ResourceKind,
    pub(crate) name: &'a Name,
    /// The lock's identity (its address).
    pub(crate) addr: usize,
}

/// The calling thread is about to block to take `lock` at `at`: checks the order against
/// every lock it holds, then pushes it. Call only when [`on`].
///
/// # Panics
///
/// With the [`LockOrderViolation`] under [`LockOrderPolicy::Panic`], before pushing.
#[track_caller]
#[inline]
pub(crate) fn acquiring(lock: &Taking<'_>, at: &'static Location<'static>) {
    let class = lock.class.id(lock.kind, lock.name);
    // One visit to the stack: check every held lock's edge, and push if all are known (the
    // common case: no allocation, no lock).
    let unknown: Option<Vec<Held>> = STACK.with(|s| {
        let mut s = s.borrow_mut();
        s.drain_inbox();
        let mut unknown: Option<Vec<Held>> = None;
        for h in &s.held {
            if h.class != class && !edge_known(edge_key(h.class, class)) {
                unknown.get_or_insert_with(Vec::new).push(*h);
            }
        }
        if unknown.is_none() {
            s.held.push(Held {
                addr: lock.addr,
                class,
                at,
            });
        }
        unknown
    });
    if let Some(unknown) = unknown {
        new_edges(unknown, lock.addr, class, at);
    }
}

#[cold]
#[track_caller]
fn new_edges(unknown: Vec<Held>, addr: usize, class: u32, at: &'static Location<'static>) {
    for held in unknown {
        if let Some(violation) = add_edge(held, class, at) {
            report(violation);
        }
    }
    push(addr, class, at);
}

/// The calling thread took `lock` without blocking (`try_*`, a timed acquire): pushes it, with
/// no edges. Call only when [`on`].
pub(crate) fn took(lock: &Taking<'_>, at: &'static Location<'static>) {
    let class = lock.class.id(lock.kind, lock.name);
    push(lock.addr, class, at);
}

fn push(addr: usize, class: u32, at: &'static Location<'static>) {
    STACK.with(|s| s.borrow_mut().held.push(Held { addr, class, at }));
}

/// The calling thread released the lock at `addr` (or gave up taking it). Returns whether it
/// was on this thread's stack. Call only when [`on`].
pub(crate) fn released(addr: usize) -> bool {
    STACK
        .try_with(|s| s.borrow_mut().remove(addr))
        .unwrap_or(false)
}

/// A `Lock` held by thread `owner` was released by the calling thread: removes it from the
/// owner's stack (through its inbox). Call only when [`on`].
pub(crate) fn released_for(owner: u64, addr: usize) {
    if let Some(t) = crate::thread::find(owner) {
        t.inner.order_inbox.released_for(addr);
    }
}

/// Records `held.class -> class`; returns the violation if it closes a cycle.
#[cold]
fn add_edge(held: Held, class: u32, at: &'static Location<'static>) -> Option<LockOrderViolation> {
    let thread = crate::thread::describe_current().1;
    let mut guard = graph();
    let g = guard.get_or_insert_with(HashMap::new);
    let key = edge_key(held.class, class);
    if edge_known(key) {
        return None;
    }
    let back = path(g, class, held.class);
    let info = EdgeInfo {
        thread,
        held_at: held.at,
        taken_at: at,
    };
    g.entry(held.class).or_default().push((class, info.clone()));
    edge_insert(key);
    drop(guard);
    let back = back?;
    let mut edges = vec![OrderEdge {
        held: label(held.class),
        held_at: info.held_at.to_string(),
        taken: label(class),
        taken_at: info.taken_at.to_string(),
        thread: info.thread,
    }];
    for (from, to, e) in back {
        edges.push(OrderEdge {
            held: label(from),
            held_at: e.held_at.to_string(),
            taken: label(to),
            taken_at: e.taken_at.to_string(),
            thread: e.thread,
        });
    }
    Some(LockOrderViolation { edges })
}

#[track_caller]
fn report(violation: LockOrderViolation) {
    match policy() {
        LockOrderPolicy::Warn => {
            let text = format!("{violation}\n");
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        }
        LockOrderPolicy::Panic => std::panic::panic_any(violation),
        LockOrderPolicy::Hook => {
            let hook = HOOK.lock().unwrap_or_else(PoisonError::into_inner).clone();
            if let Some(hook) = hook {
                hook(&violation);
            }
        }
    }
}
