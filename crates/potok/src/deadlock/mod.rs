//! Deadlocks are reported, by name, instead of hanging: the wait-for graph, stall detection
//! and the report ([`DeadlockError`]).
//!
//! # What is found
//!
//! - **Cycles among owned locks** ([`Mutex`](crate::Mutex), [`RLock`](crate::RLock), a held
//!   [`Lock`](crate::Lock)) and joins: a thread about to block follows
//!   `waiter -> owner -> what that owner waits for -> ...`; coming back to itself is a
//!   deadlock, found at the moment the cycle closes. A thread waiting for a `Lock` it holds
//!   itself is not a cycle (any thread may release a Python `Lock`: that is a signal).
//! - **Stalls**: every live thread potok knows is blocked without a timeout on a potok
//!   primitive (`Event`, `Condition`, `Semaphore`, `Barrier`, a `Lock` used as a signal,
//!   `join`, queues), so nobody can wake anybody; or every thread of a *family* is, while
//!   other threads run (a `#[test]` beside others: see "Stalls among some threads" below).
//!
//! No false alarms: a thread blocked in I/O, in a sleep, in a foreign primitive or in a timed
//! wait counts as running; a thread being woken stops counting as blocked before it runs;
//! and while the process has threads potok does not know (the OS's list of the process's
//! threads says so, on Linux), no stall is declared: one of them might wake the others. Such a
//! suspected stall is checked again later (after 0.2 ms, doubling up to 50 ms), so a stall
//! that waited only for an exiting thread to be gone is still found.
//!
//! All the checking happens on the blocking path: an uncontended acquire pays nothing.
//!
//! # Stalls among some threads: families (`cargo test`)
//!
//! Under `cargo test`'s harness the tests run in parallel on threads potok did not start, so
//! "every thread is blocked" never holds while another test runs. A stall (or a cycle through
//! `Lock`s, which any thread may release) is then declared for a *family* of threads:
//!
//! - A thread potok did not start (a test's thread, a plain `std::thread`, the main thread)
//!   starts a family when potok registers it (`Dummy-N`; it is registered when it blocks on
//!   a potok primitive, starts a potok thread, makes or feeds an executor, or calls
//!   [`current_thread`](crate::current_thread)).
//! - A thread potok starts joins its starter's family: it can only have been given what its
//!   starter could reach. Starting a thread registers the starter, so it counts while it runs.
//! - A `Dummy-N` whose OS thread name is the OS name of a thread of a family joins that
//!   family: `std::thread::spawn` gives the new thread its starter's OS name, so a helper a
//!   test starts that way is in the test's family. It works both ways: the main thread, or a
//!   test's thread, that registers only after such a helper did joins the helper's family.
//! - Families are merged, for good, when work crosses between them through potok: a task given
//!   to an executor (`ThreadPoolExecutor`, `ThreadPool`) made by another family.
//! - potok's own plain std helper threads (named `potok-…`: process pool workers, cluster
//!   readers) serve whoever uses them: once registered they count in every family's check.
//!
//! **The rule.** When a thread blocks without a timeout, take its family, and add the family
//! of every owner of what a blocked thread of the set waits for (a lock's holder, a joined
//! thread), until nothing new comes in. The blocked threads of those families are stuck, and
//! the block fails with the [`DeadlockError`], when all of these hold:
//!
//! 1. every live registered thread of those families is blocked without a timeout on a potok
//!    primitive (one that runs, sleeps, does I/O or waits with a timeout may wake the rest);
//! 2. every owner followed is itself blocked (an owner that runs may let go);
//! 3. none of them waits for a primitive without an owner (`Event`, `Condition`, `Semaphore`,
//!    `Barrier`, a queue, a future, a `Lock`) that lives in static memory (`static E: Event`,
//!    a `LazyLock` in a `static`): every thread can reach it;
//! 4. the process runs no thread potok does not know, and its main thread (known or not) is
//!    either one of the stuck threads or asleep in a futex wait *with a time limit*, as
//!    libtest's main thread is while its test threads run (by the OS's
//!    list of the process's threads, `/proc/self/task`, against the ids of registered threads
//!    and potok's helpers). A thread potok does not know might hold a handle to anything, so
//!    while one runs the stall is only suspected and checked again later (after 0.2 ms,
//!    doubling to 50 ms): a stall beside a test that has not touched potok yet is declared
//!    once that test has. Every suspect is checked again until it is declared or a thread
//!    of its set runs (a wake the detector asks for elsewhere, for a stall completed by a
//!    join, is served beside the suspects' round, never instead of it: that lost a suspect
//!    under load, which then slept undeclared).
//!
//! Why that is enough: a blocked thread is woken only through the primitive it waits on, by a
//! thread holding a handle to it. A handle reaches a thread by being there when the thread is
//! started (the family), through a potok executor (merged), or in ways potok does not see,
//! which are the limits below. Inside [`potok::main`](crate::main) the whole-program rule
//! comes first, and the families add nothing it would not find.
//!
//! **What it cannot see** (each can make a false report; none is needed inside one test):
//!
//! - a handle carried between families other than by starting a thread or an executor: a
//!   `static OnceLock<Arc<Event>>` or other heap primitive reached through a static, a std
//!   channel or a potok `Queue` carrying an `Arc<Event>` from one test's threads to another's;
//! - a plain std thread started *with a name* (`std::thread::Builder::name`), or by another
//!   library's pool, that registers with potok (blocks on a potok primitive, or calls
//!   `current_thread`) while it holds a handle of a family: it starts a family of its own;
//!   while it does not register, it is a thread potok does not know and nothing is declared;
//! - the process's main thread, when it sleeps in a timed futex wait outside the stuck set
//!   (libtest's main thread, waiting for its tests' results), is taken to hold nothing a
//!   family waits on; a program's own `main` that holds a handle while it waits with a
//!   timeout on a std channel or `Condvar` is not seen. A main thread that runs, sleeps or
//!   waits without a limit holds every verdict back, known to potok or not (a benchmark's
//!   `main` starting the producers of a consumer that already waits:
//!   `main_thread_starting_the_producer_is_no_false_alarm` in `tests/unknown_main.rs`). So
//!   does libtest's own main thread whenever it waits without a limit: under
//!   `--test-threads=1` (for its one test), and at any thread count once every running test
//!   has passed libtest's 60-second "has been running for over 60 seconds" warning (libtest
//!   stops timing its wait then). A stall inside a test is then not declared and hangs until
//!   the test's own watchdog, as before: a stall not declared within its test's first 60 s
//!   never is;
//! - libraries loaded after the first untimed wait (their statics look like heap memory).
//!
//! And it is quiet where it cannot judge: without `/proc` (not Linux) only the whole-program
//! rule applies, and any thread potok does not know (a watchdog, a logger, a runtime) holds
//! back every family's verdict while it runs; such a thread can call
//! [`current_thread`](crate::current_thread) once to be judged by its family instead.
//!
//! A thread potok did not start that blocks without a timeout on a potok primitive is
//! registered first, as [`current_thread`](crate::current_thread) would register it (`Dummy-N`,
//! or `MainThread`), so that reports can name it.
//!
//! # What happens then
//!
//! Under [`Policy::Panic`] (the default), the report is printed once to stderr (unless
//! [`set_print_reports`]`(false)`) and the
//! thread whose block closed the cycle or completed the stall panics with the
//! [`DeadlockError`] as payload. A stall completed by a `join` fails elsewhere, so that the
//! joiner sees the panic through its join and goes on: at the thread whose block closed a
//! cycle among the stuck (a cycle through a `Lock` is final only once the stall is
//! complete), else at the newest one that does not join. Unwinding frees its locks, so the others go on;
//! [`JoinHandle::join`](crate::JoinHandle::join) returns the panic, and
//! [`Panicked::downcast`](crate::Panicked::downcast) gives the error back. Under
//! [`Policy::ReportAndWait`] the report is printed and the thread keeps waiting, as Python
//! would (without the diagnosis).
//!
//! The panic points at the line of the caller's blocking call (every public blocking method
//! is `#[track_caller]`), in the panic message and in
//! [`Panicked::location`](crate::Panicked::location). The error is data as well as text:
//! [`DeadlockError::relations`] lists who holds and who waits for what, for a caller that
//! words the report itself.
//!
//! # Before anything hangs: lock order
//!
//! With [`set_lock_order_check`]`(true)` (the default in debug builds; `POTOK_LOCK_ORDER=0|1`
//! decides instead), every blocking acquire of a `Lock`, `RLock`, `Mutex` or `RwLock` (to
//! read or to write) while other locks
//! are held records "held before" edges between lock classes (a named lock's class is its
//! name, an unnamed one's its creation site). The first acquisition that closes a cycle of
//! classes is a potential deadlock, reported once per pair as a [`LockOrderViolation`] (both
//! locks, both threads, where each was taken while the other was held): printed to stderr by
//! default, or a panic, or a hook ([`set_lock_order_policy`], [`set_lock_order_hook`]).
//! Recursion into a held `RLock` is no edge; `Condition` waits release and retake their lock;
//! `try_*` and timed acquires add no edges (they cannot wait forever); a read inside a read
//! of the same `RwLock` is no edge.
//!
//! # What every thread is doing
//!
//! [`snapshot`] lists every thread potok knows with its state (running, sleeping, blocked on
//! *KIND 'NAME'*, joining *'NAME'*, with or without a timeout), since when, and the locks it is
//! known to hold; [`dump`] prints it to stderr. [`watch_for_dumps`] (started by
//! [`potok::main`](crate::main)) prints it on `SIGQUIT` and once after `POTOK_DUMP_AFTER`
//! seconds: a program stuck in a timed wait or in I/O is no deadlock, but the dump shows
//! where it is. Under each thread blocked without a timeout it also says why the detector
//! declared no deadlock when it last checked that wait
//! ([`ThreadSnapshot::not_declared`]: a live thread of its family that is not blocked, an
//! owner that runs, a primitive in static memory, a thread potok does not know by OS id and
//! name, or what the main thread's system call was), so that a hang explains itself. [`wait_until_blocked`] waits until a thread is blocked on a given primitive,
//! for tests that must reach a state before they act.
//!
//! # Inside potok: the blocking building block
//!
//! Every blocking potok primitive sleeps through this module: the owned locks park on their
//! lock word with `park::park` (which registers the wait atomically with joining the wait
//! queue), and everything that waits for a state to change uses `WaitList` (crate-internal), a condition
//! variable for a `parking_lot::Mutex`-protected state whose contract is documented on the
//! type. A new blocking primitive (a queue, say) keeps its state in a `parking_lot::Mutex`,
//! describes each wait with a `park::Wait` (kind, name, detail such as `empty` or
//! `full`), and calls `deadlock::fail` when a wait returns a [`DeadlockError`].

//!
//! # Testing with loom, and where it does not fit
//!
//! The lock word's protocol (`sync/raw.rs`: the CAS fast path, the PARKED bit, parking and
//! waking) is generic over its platform, and loom models check it over every interleaving
//! with loom's atomics and a loom-made parking lot that keeps `parking_lot_core::park`'s
//! contract (`cargo test -p potok --lib loom`): mutual exclusion with its memory orderings,
//! and no lost wake-up with one or two parked waiters.
//!
//! The rest does not fit loom: `Condition`, `Event` and the other state-based primitives keep
//! their state in a `parking_lot::Mutex` (which parks OS threads: loom runs every model
//! thread on one OS thread and cannot schedule them), and potok knows a thread by the
//! registry's std thread-locals (shared by all loom threads). Instead, the tests drive every
//! waking path tens of thousands of times with the detector armed, where a lost wake-up
//! shows up as a stall report or a time-out (`tests/no_false_alarms.rs`), and the deadlock
//! zoo checks each report (`tests/deadlock_zoo.rs`).

pub(crate) mod activity;
mod detector;
mod error;
pub(crate) mod family;
pub(crate) mod order;
pub(crate) mod owner;
pub(crate) mod park;
mod snapshot;
mod statics;
pub(crate) mod wait_list;
mod watch;

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Mutex, PoisonError};

pub use error::{
    BlockedThread, DeadlockError, DeadlockKind, Relation, Resource, ResourceKind, Role,
};
pub use order::{
    lock_order_check, set_lock_order_check, set_lock_order_hook, set_lock_order_policy,
    LockOrderPolicy, LockOrderViolation, OrderEdge, LOCK_ORDER_VAR,
};
pub use snapshot::{
    dump, snapshot, wait_until_blocked, NotBlocked, Snapshot, ThreadSnapshot, ThreadState,
};
pub(crate) use wait_list::WaitList;
pub(crate) use watch::spawn_internal;
pub use watch::{watch_for_dumps, DUMP_AFTER_VAR};

pub(crate) use detector::thread_exited;

/// What a blocking call does when its block would close a cycle or complete a stall.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Print the report once and panic with the [`DeadlockError`] (the default).
    #[default]
    Panic,
    /// Print the report once and keep waiting, as Python does (it hangs, now with a diagnosis).
    ReportAndWait,
}

static POLICY: AtomicU8 = AtomicU8::new(0);

/// Chooses what a deadlocked blocking call does, for the whole process.
///
/// # Examples
///
/// ```
/// use potok::deadlock::{policy, set_policy, Policy};
///
/// assert_eq!(policy(), Policy::Panic);
/// set_policy(Policy::ReportAndWait);
/// assert_eq!(policy(), Policy::ReportAndWait);
/// set_policy(Policy::Panic);
/// ```
pub fn set_policy(policy: Policy) {
    let value = match policy {
        Policy::Panic => 0,
        Policy::ReportAndWait => 1,
    };
    POLICY.store(value, Ordering::Relaxed);
}

/// The current [`Policy`].
pub fn policy() -> Policy {
    match POLICY.load(Ordering::Relaxed) {
        0 => Policy::Panic,
        _ => Policy::ReportAndWait,
    }
}

static PRINT_REPORTS: AtomicBool = AtomicBool::new(true);

/// Whether deadlock reports are printed to stderr (they are by default). A program that
/// handles every [`DeadlockError`] itself (a test, a benchmark, a server that logs it its own
/// way) can turn printing off; the errors and panics are the same.
///
/// # Examples
///
/// ```
/// potok::deadlock::set_print_reports(false);
/// let lock = potok::Lock::named("quiet");
/// lock.acquire();
/// // ... a deadlock found now is returned/raised as usual, without the stderr report.
/// potok::deadlock::set_print_reports(true);
/// # lock.release().unwrap();
/// ```
pub fn set_print_reports(enabled: bool) {
    PRINT_REPORTS.store(enabled, Ordering::Relaxed);
}

/// Whether deadlock reports are printed (see [`set_print_reports`]).
pub(crate) fn prints_reports() -> bool {
    PRINT_REPORTS.load(Ordering::Relaxed)
}

/// Prints the report to stderr, once: the same deadlock (same threads waiting for the same
/// things) found again, by `potok::main`'s final joins say, is not printed again.
pub(crate) fn print_report(err: &DeadlockError) {
    if !PRINT_REPORTS.load(Ordering::Relaxed) {
        return;
    }
    // Deadlocks are rare and each signature small; a set keeps the look-up cheap.
    static PRINTED: Mutex<BTreeSet<Vec<(u64, String)>>> = Mutex::new(BTreeSet::new());
    let mut signature: Vec<(u64, String)> = err
        .threads()
        .iter()
        .map(|t| (t.ident(), t.waits_for().to_string()))
        .collect();
    signature.sort();
    {
        let mut printed = PRINTED.lock().unwrap_or_else(PoisonError::into_inner);
        if !printed.insert(signature) {
            return;
        }
    }
    let text = format!("{err}\n");
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Panics with `err` as the payload: what a blocking call does when its block would deadlock.
#[track_caller]
pub(crate) fn fail(err: DeadlockError) -> ! {
    crate::thread::install_panic_hook();
    std::panic::panic_any(err)
}
