//! The registry of live threads: `current_thread`, `main_thread`, `enumerate`, `active_count`.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use parking_lot::Mutex;

use super::handle::{Inner, Kind, Thread};
use crate::deadlock::family;

/// Every live thread potok knows, by ident (idents grow, so this is creation order, like the
/// insertion order of Python's `threading._active`).
static LIVE: Mutex<BTreeMap<u64, Thread>> = parking_lot::const_mutex(BTreeMap::new());

/// `LIVE.len()`, readable without the lock (the deadlock detector reads it under a wait
/// queue's lock, where taking a parking_lot lock is not allowed).
static LIVE_COUNT: AtomicUsize = AtomicUsize::new(0);

/// Idents are never reused.
static NEXT_IDENT: AtomicU64 = AtomicU64::new(1);

/// Python's `_counter`: shared by `Thread-N` and `Dummy-N`, taken only for default names.
static NAME_COUNTER: AtomicU64 = AtomicU64::new(0);

static MAIN: OnceLock<Thread> = OnceLock::new();

thread_local! {
    /// This thread's record, once known.
    static CURRENT: OnceCell<Thread> = const { OnceCell::new() };
    /// This thread's ident, once known: the owner ident potok's locks store. A foreign thread
    /// that takes a lock gets an ident without being registered; if it registers later (as
    /// `Dummy-N`), it keeps that ident.
    static IDENT: Cell<u64> = const { Cell::new(0) };
    /// Set on foreign threads only: deregisters the `Dummy-N` record when the thread exits.
    static DUMMY_EXIT: RefCell<Option<DummyExit>> = const { RefCell::new(None) };
}

struct DummyExit(Thread);

impl Drop for DummyExit {
    fn drop(&mut self) {
        finish(&self.0);
    }
}

pub(crate) fn next_ident() -> u64 {
    NEXT_IDENT.fetch_add(1, Ordering::Relaxed)
}

/// Python's `_newname`: `Thread-1`, `Dummy-2`, … from one counter. One allocation, of the
/// name's exact length (a spawn makes one of these).
pub(crate) fn new_name(prefix: &str) -> Box<str> {
    use std::fmt::Write;
    let n = NAME_COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    let digits = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    let mut name = String::with_capacity(prefix.len() + 1 + digits);
    let _ = write!(name, "{prefix}-{n}");
    name.into_boxed_str()
}

pub(crate) fn register(thread: &Thread) {
    let mut live = LIVE.lock();
    if live.insert(thread.ident(), thread.clone()).is_none() {
        LIVE_COUNT.fetch_add(1, Ordering::AcqRel);
        drop(live);
        let origin = match thread.inner.kind {
            Kind::Spawned => family::Origin::Spawned,
            Kind::Dummy => family::Origin::Foreign,
            Kind::Main => family::Origin::Main,
        };
        family::joined(thread.inner.family, thread.name(), origin);
        let tid = thread.inner.native_id.load(Ordering::Acquire);
        if tid != 0 {
            family::running(tid);
        }
    }
}

/// Removes the thread from the registry, then marks it finished (in that order: see the
/// lifecycle in `thread/mod.rs`).
///
/// The live count drops only after the thread is marked finished: a thread that joins it in
/// between must see it as still running (it is about to be woken), never as one more reason
/// to call everything blocked.
pub(crate) fn finish(thread: &Thread) {
    let removed = LIVE.lock().remove(&thread.ident()).is_some();
    thread.inner.mark_finished();
    if removed {
        // After its joiners are woken, as the live count (the same reason).
        family::left(
            thread.inner.family,
            thread.inner.native_id.load(Ordering::Acquire),
        );
        LIVE_COUNT.fetch_sub(1, Ordering::AcqRel);
    }
    // Everyone left may now be blocked with nobody to wake them.
    crate::deadlock::thread_exited(thread.inner.family);
}

/// How many threads are registered (what [`active_count`] says, without registering the main
/// thread).
pub(crate) fn live_count() -> usize {
    LIVE_COUNT.load(Ordering::Acquire)
}

/// The calling thread's ident, as the owner field of potok's locks: one thread-local read
/// after the first call. Registers the main thread as `MainThread`, but not a foreign thread
/// (see `IDENT`).
#[inline]
pub(crate) fn current_ident_fast() -> u64 {
    // `IDENT` is a const `Cell` with no destructor, so it stays readable even while the
    // thread's other thread-locals are being destroyed.
    match IDENT.with(Cell::get) {
        0 => first_ident(),
        id => id,
    }
}

#[cold]
fn first_ident() -> u64 {
    let known = CURRENT
        .try_with(|c| c.get().map(Thread::ident))
        .ok()
        .flatten();
    let id = match known {
        Some(id) => id,
        None if is_process_main_thread() => {
            let main = main_thread();
            let _ = CURRENT.try_with(|c| c.set(main.clone()));
            main.ident()
        }
        None => next_ident(),
    };
    let _ = IDENT.try_with(|c| c.set(id));
    id
}

/// Binds the calling OS thread to `thread` (a thread potok just started).
pub(crate) fn bind_current(thread: &Thread) {
    let tid = native_thread_id();
    thread.inner.native_id.store(tid, Ordering::Release);
    family::running(tid);
    CURRENT.with(|c| {
        let _ = c.set(thread.clone());
    });
    IDENT.with(|c| c.set(thread.ident()));
}

/// The calling thread's ident, if it is registered (without registering it).
pub(crate) fn current_ident() -> Option<u64> {
    CURRENT
        .try_with(|c| c.get().map(Thread::ident))
        .ok()
        .flatten()
}

/// The calling thread's family (see `deadlock/family.rs`), if it is registered.
pub(crate) fn current_family() -> Option<u64> {
    CURRENT
        .try_with(|c| c.get().map(|t| t.inner.family))
        .ok()
        .flatten()
}

/// The live thread with this ident, if any.
pub(crate) fn find(ident: u64) -> Option<Thread> {
    LIVE.lock().get(&ident).cloned()
}

/// The calling thread's record, if it is registered (without registering it).
pub(crate) fn current_known() -> Option<Thread> {
    CURRENT.try_with(|c| c.get().cloned()).ok().flatten()
}

/// The caller's ident and name for a trace lane, without registering a foreign thread
/// (its std name, or `Thread ident N`).
pub(crate) fn describe_current() -> (u64, String) {
    let ident = current_ident_fast();
    let known = CURRENT
        .try_with(|c| c.get().map(|t| t.name().to_owned()))
        .ok()
        .flatten();
    let name = known.unwrap_or_else(|| {
        std::thread::current()
            .name()
            .map_or_else(|| format!("Thread ident {ident}"), str::to_owned)
    });
    (ident, name)
}

/// The [`Thread`] of the caller: Python's `threading.current_thread()`.
///
/// In the process's main thread this is `MainThread`; in a thread potok started, its record;
/// in any other thread (a plain `std::thread`, another library's pool) a `Dummy-N` record is
/// made on the first call, listed by [`enumerate`] until that thread exits.
///
/// Costs one thread-local read and a reference count after the first call.
///
/// # Examples
///
/// ```
/// let name = potok::spawn(|| potok::current_thread().name().to_owned())
///     .join()
///     .unwrap();
/// assert!(name.starts_with("Thread-"));
///
/// let foreign = std::thread::spawn(|| potok::current_thread().name().to_owned());
/// assert!(foreign.join().unwrap().starts_with("Dummy-"));
/// ```
pub fn current_thread() -> Thread {
    CURRENT
        .try_with(|c| c.get_or_init(register_unknown_caller).clone())
        // Called from a thread-local destructor after ours is gone: describe the caller
        // without registering it again.
        .unwrap_or_else(|_| {
            Thread::from_inner(Inner::new(
                new_name("Dummy"),
                next_ident(),
                true,
                Kind::Dummy,
            ))
        })
}

/// The calling thread's ident: Python's `threading.get_ident()`. The same number as
/// [`current_thread`]`().`[`ident()`](Thread::ident), without registering a foreign thread.
///
/// # Examples
///
/// ```
/// assert_eq!(potok::get_ident(), potok::current_thread().ident());
/// let other = potok::spawn(potok::get_ident).join().unwrap();
/// assert_ne!(other, potok::get_ident());
/// ```
pub fn get_ident() -> u64 {
    current_ident_fast()
}

/// The operating system's id of the calling thread (Linux's `gettid`): Python's
/// `threading.get_native_id()`.
///
/// # Examples
///
/// ```
/// let t = potok::spawn(|| (potok::get_native_id(), potok::current_thread().native_id()));
/// let (native, recorded) = t.join().unwrap();
/// assert_eq!(Some(native), recorded);
/// ```
pub fn get_native_id() -> u64 {
    native_thread_id()
}

/// The process's main thread, named `MainThread`: Python's `threading.main_thread()`.
///
/// # Examples
///
/// ```
/// let main = potok::main_thread();
/// assert_eq!(main.name(), "MainThread");
/// assert!(main.is_alive());
/// assert!(!main.is_daemon());
/// ```
pub fn main_thread() -> Thread {
    MAIN.get_or_init(|| {
        let main = Thread::from_inner(Inner::new(
            "MainThread".into(),
            next_ident(),
            false,
            Kind::Main,
        ));
        main.inner.native_id.store(process_id(), Ordering::Release);
        register(&main);
        main
    })
    .clone()
}

/// Every live thread potok knows, in the order they were registered: Python's
/// `threading.enumerate()`.
///
/// Lists the main thread, every thread started by potok that has not finished, and every
/// foreign thread that has called [`current_thread`] and not exited (as `Dummy-N`). A finished
/// thread is never listed.
///
/// # Examples
///
/// ```
/// let (tx, rx) = std::sync::mpsc::channel::<()>();
/// let worker = potok::Builder::new().name("listed").spawn(move || rx.recv()).unwrap();
/// assert!(potok::enumerate().iter().any(|t| t.name() == "listed"));
/// drop(tx);
/// let thread = worker.thread().clone();
/// worker.join().unwrap().unwrap_err();
/// assert!(!potok::enumerate().contains(&thread));
/// ```
pub fn enumerate() -> Vec<Thread> {
    main_thread();
    LIVE.lock().values().cloned().collect()
}

/// How many threads [`enumerate`] would list: Python's `threading.active_count()`.
///
/// # Examples
///
/// ```
/// assert!(potok::active_count() >= 1); // the main thread at least
/// ```
pub fn active_count() -> usize {
    main_thread();
    LIVE.lock().len()
}

/// The live threads, for `potok::main`'s wait at exit.
pub(crate) fn live_threads() -> Vec<Thread> {
    LIVE.lock().values().cloned().collect()
}

fn register_unknown_caller() -> Thread {
    if is_process_main_thread() {
        let main = main_thread();
        let _ = IDENT.try_with(|c| c.set(main.ident()));
        return main;
    }
    // Keep the ident this thread may already own locks under.
    let ident = match IDENT.try_with(Cell::get) {
        Ok(0) | Err(_) => next_ident(),
        Ok(id) => id,
    };
    let _ = IDENT.try_with(|c| c.set(ident));
    let thread = Thread::from_inner(Inner::new(new_name("Dummy"), ident, true, Kind::Dummy));
    thread
        .inner
        .native_id
        .store(native_thread_id(), Ordering::Release);
    register(&thread);
    let exit = DummyExit(thread.clone());
    if DUMMY_EXIT
        .try_with(|d| *d.borrow_mut() = Some(exit))
        .is_err()
    {
        // Too late to be told when the thread exits: do not leave it listed.
        finish(&thread);
    }
    thread
}

#[cfg(target_os = "linux")]
fn native_thread_id() -> u64 {
    rustix::thread::gettid().as_raw_nonzero().get() as u64
}

#[cfg(not(target_os = "linux"))]
fn native_thread_id() -> u64 {
    // No portable OS thread id: derive a stable, non-zero one from std's ThreadId.
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    h.finish() | 1
}

fn process_id() -> u64 {
    u64::from(std::process::id())
}

#[cfg(target_os = "linux")]
fn is_process_main_thread() -> bool {
    native_thread_id() == process_id()
}

#[cfg(not(target_os = "linux"))]
fn is_process_main_thread() -> bool {
    std::thread::current().name() == Some("main")
}
