//! The deadlock zoo: every classic way to hang, each caught within a bounded wait and named
//! correctly, plus the patterns that must not be reported.
//!
//! `harness = false`: each scenario runs in a child process (see `support`), whose parent
//! kills it if it runs past the limit.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use potok::deadlock::{DeadlockError, DeadlockKind, ResourceKind, Role};
use potok::{Barrier, Builder, Condition, Event, Lock, Mutex, Panicked, RLock, Semaphore};
use support::{blocked, case};

fn main() -> ExitCode {
    support::run(
        [
            case!(abba_two_mutexes).reports(1),
            case!(abba_two_rlocks).reports(1),
            case!(abba_two_locks).reports(1),
            case!(ring_of_three).reports(1),
            case!(five_philosophers).reports(1),
            case!(lock_reacquired_alone).reports(1),
            case!(mutex_relocked_same_thread).reports(1),
            case!(event_nobody_sets).reports(1),
            case!(threads_join_each_other).reports(1),
            case!(condition_nobody_notifies).reports(1),
            case!(barrier_too_few_parties).reports(1),
            case!(semaphore_nobody_releases).reports(1),
            case!(lock_signal_after_signaller_ends).reports(1),
            case!(lock_signal_given_is_no_deadlock).reports(0),
            case!(lock_cycle_a_third_thread_breaks).reports(0),
            case!(lock_cycle_closed_before_the_stall_fails_its_closer).reports(1),
            case!(timed_waits_are_never_reported).reports(0),
            case!(report_and_wait_policy).reports(1),
        ]
        .map(|test| test.limit(Duration::from_secs(30))),
    )
}

fn deadlock_of(panicked: Panicked) -> DeadlockError {
    match panicked.downcast::<DeadlockError>() {
        Ok(err) => *err,
        Err(other) => panic!("expected a DeadlockError, got {other}"),
    }
}

/// Exactly one of the results is a deadlock panic; returns it.
fn the_one_deadlock(results: Vec<Result<(), Panicked>>) -> DeadlockError {
    let mut errs: Vec<DeadlockError> = results
        .into_iter()
        .filter_map(Result::err)
        .map(deadlock_of)
        .collect();
    assert_eq!(errs.len(), 1, "exactly one thread fails: {errs:?}");
    errs.pop().expect("one error")
}

fn names(err: &DeadlockError) -> Vec<&str> {
    let mut names: Vec<&str> = err.threads().iter().map(|t| t.name()).collect();
    names.sort_unstable();
    names
}

/// `n` threads named `thread(i)`, thread `i` holding lock `i` and then waiting for lock
/// `i+1 mod n`: a ring. Returns the one deadlock.
fn ring(
    n: usize,
    thread: impl Fn(usize) -> String,
    lock: impl Fn(usize) -> String,
) -> DeadlockError {
    let locks: Arc<Vec<Mutex<u32>>> = Arc::new((0..n).map(|i| Mutex::named(lock(i), 0)).collect());
    let all_hold = Arc::new(Barrier::named("all hold their first lock", n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (locks, all_hold) = (Arc::clone(&locks), Arc::clone(&all_hold));
            Builder::new()
                .name(thread(i))
                .spawn(move || {
                    let mut mine = locks[i].lock();
                    all_hold.wait().expect("barrier");
                    let mut next = locks[(i + 1) % n].lock();
                    *mine += 1;
                    *next += 1;
                })
                .expect("spawn")
        })
        .collect();
    let err = the_one_deadlock(handles.into_iter().map(|h| h.join()).collect());
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(err.threads().len(), n);
    for i in 0..n {
        let t = err
            .thread(&thread(i))
            .expect("every thread of the ring is named");
        assert_eq!(t.waits_for().kind(), ResourceKind::Mutex);
        assert_eq!(t.waits_for().name(), lock((i + 1) % n));
        assert_eq!(t.held_by(), Some(thread((i + 1) % n).as_str()));
        assert_eq!(t.holds().len(), 1);
        assert_eq!(t.holds()[0].name(), lock(i));
    }
    err
}

fn abba_two_mutexes() {
    let err = ring(
        2,
        |i| ["A", "B"][i].to_owned(),
        |i| ["a", "b"][i].to_owned(),
    );
    let text = err.to_string();
    assert!(
        text.starts_with("deadlock: 2 threads wait for each other in a cycle"),
        "{text}"
    );
    assert!(
        text.contains("thread 'A' holds Mutex 'a' and waits for Mutex 'b' (held by 'B')"),
        "{text}"
    );
    assert!(
        text.contains("thread 'B' holds Mutex 'b' and waits for Mutex 'a' (held by 'A')"),
        "{text}"
    );
    // The same report as data: every fact of the text is a (thread, role, object) triple.
    let mut facts: Vec<(String, Role, String)> = err
        .relations()
        .iter()
        .map(|r| {
            (
                r.thread().name().to_owned(),
                r.role(),
                r.object().to_string(),
            )
        })
        .collect();
    facts.sort();
    let expected = [
        ("A", Role::Holds, "Mutex 'a'"),
        ("A", Role::WaitsFor, "Mutex 'b'"),
        ("B", Role::Holds, "Mutex 'b'"),
        ("B", Role::WaitsFor, "Mutex 'a'"),
    ];
    assert_eq!(
        facts,
        expected.map(|(t, r, o)| (t.to_owned(), r, o.to_owned()))
    );
    let mut objects: Vec<String> = err.objects().iter().map(|o| o.to_string()).collect();
    objects.sort();
    assert_eq!(objects, ["Mutex 'a'", "Mutex 'b'"]);
    let a = &err.thread("A").unwrap().holds()[0];
    assert_eq!(err.holders_of(a)[0].name(), "A");
    assert_eq!(err.waiters_for(a)[0].name(), "B");
}

fn abba_two_rlocks() {
    let a = Arc::new(RLock::named("ra"));
    let b = Arc::new(RLock::named("rb"));
    let both = Arc::new(Barrier::new(2));
    let spawn = |name: &str, first: Arc<RLock>, second: Arc<RLock>, both: Arc<Barrier>| {
        Builder::new()
            .name(name)
            .spawn(move || {
                let _first = first.lock();
                let _again = first.lock(); // reentrant: fine
                both.wait().expect("barrier");
                let _second = second.lock();
            })
            .expect("spawn")
    };
    let x = spawn("X", Arc::clone(&a), Arc::clone(&b), Arc::clone(&both));
    let y = spawn("Y", b, a, both);
    let err = the_one_deadlock(vec![x.join(), y.join()]);
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(names(&err), ["X", "Y"]);
    assert_eq!(
        err.thread("X").unwrap().waits_for().to_string(),
        "RLock 'rb'"
    );
    assert_eq!(
        err.thread("Y").unwrap().waits_for().to_string(),
        "RLock 'ra'"
    );
}

fn abba_two_locks() {
    // Python's Lock used as a mutex by two threads in opposite orders.
    let a = Arc::new(Lock::named("la"));
    let b = Arc::new(Lock::named("lb"));
    let both = Arc::new(Barrier::new(2));
    let spawn = |name: &str, first: Arc<Lock>, second: Arc<Lock>, both: Arc<Barrier>| {
        Builder::new()
            .name(name)
            .spawn(move || {
                let _first = first.lock();
                both.wait().expect("barrier");
                let _second = second.lock();
            })
            .expect("spawn")
    };
    let x = spawn("P", Arc::clone(&a), Arc::clone(&b), Arc::clone(&both));
    let y = spawn("Q", b, a, both);
    let err = the_one_deadlock(vec![x.join(), y.join()]);
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(err.thread("P").unwrap().held_by(), Some("Q"));
    assert_eq!(err.thread("Q").unwrap().held_by(), Some("P"));
}

fn ring_of_three() {
    ring(3, |i| format!("T{i}"), |i| format!("m{i}"));
}

fn five_philosophers() {
    let err = ring(5, |i| format!("philosopher-{i}"), |i| format!("fork-{i}"));
    assert!(err
        .to_string()
        .starts_with("deadlock: 5 threads wait for each other in a cycle"));
}

fn lock_reacquired_alone() {
    let lock = Lock::named("self");
    lock.acquire();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| lock.acquire()));
    let err = *caught
        .expect_err("the second acquire must fail")
        .downcast::<DeadlockError>()
        .expect("a DeadlockError");
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert_eq!(names(&err), ["MainThread"]);
    let main = err.thread("MainThread").unwrap();
    assert_eq!(main.waits_for().to_string(), "Lock 'self'");
    assert_eq!(main.held_by(), Some("MainThread"));
    assert_eq!(err.found_by(), "MainThread");
    lock.release().unwrap();
}

fn mutex_relocked_same_thread() {
    let m = Mutex::named("m", ());
    let _held = m.lock();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| drop(m.lock())));
    let err = *caught
        .expect_err("relocking must fail")
        .downcast::<DeadlockError>()
        .unwrap();
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(
        err.to_string().lines().next(),
        Some("deadlock: a thread waits for itself")
    );
    assert_eq!(
        err.thread("MainThread").unwrap().waits_for().to_string(),
        "Mutex 'm'"
    );
}

fn event_nobody_sets() {
    let never = Arc::new(Event::named("never"));
    let waiter = Builder::new()
        .name("waiter")
        .spawn({
            let never = Arc::clone(&never);
            move || never.wait()
        })
        .unwrap();
    let err = deadlock_of(waiter.join().expect_err("the waiter fails"));
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert_eq!(names(&err), ["MainThread", "waiter"]);
    assert_eq!(
        err.thread("waiter").unwrap().waits_for().to_string(),
        "Event 'never'"
    );
    assert_eq!(
        err.thread("MainThread").unwrap().waits_for().to_string(),
        "thread 'waiter' to finish"
    );
    assert_eq!(err.found_by(), "waiter");
}

fn threads_join_each_other() {
    let (tx, rx) = std::sync::mpsc::channel::<potok::Thread>();
    let a = Builder::new()
        .name("A")
        .spawn(move || {
            let b = rx.recv().expect("B's handle");
            b.join().expect("not itself");
        })
        .unwrap();
    let a_thread = a.thread().clone();
    let b = Builder::new()
        .name("B")
        .spawn(move || a_thread.join().expect("not itself"))
        .unwrap();
    tx.send(b.thread().clone()).unwrap();
    let err = the_one_deadlock(vec![a.join(), b.join()]);
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(names(&err), ["A", "B"]);
    assert_eq!(
        err.thread("A").unwrap().waits_for().kind(),
        ResourceKind::Thread
    );
    assert_eq!(err.thread("A").unwrap().waits_for().name(), "B");
    assert_eq!(err.thread("B").unwrap().waits_for().name(), "A");
}

fn condition_nobody_notifies() {
    let cv = Arc::new(Condition::named("cv"));
    let waiter = Builder::new()
        .name("sleeper")
        .spawn({
            let cv = Arc::clone(&cv);
            move || cv.lock().wait()
        })
        .unwrap();
    let err = deadlock_of(waiter.join().expect_err("the waiter fails"));
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert_eq!(
        err.thread("sleeper").unwrap().waits_for().to_string(),
        "Condition 'cv'"
    );
    // The waiter took the lock back and its guard released it while unwinding.
    assert!(cv.try_acquire());
    cv.release().unwrap();
}

fn barrier_too_few_parties() {
    let three = Arc::new(Barrier::named("three", 3));
    let handles: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|name| {
            let three = Arc::clone(&three);
            Builder::new()
                .name(name)
                .spawn(move || three.wait())
                .unwrap()
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    let mut deadlocks = Vec::new();
    let mut broken = 0;
    for r in results {
        match r {
            Err(p) => deadlocks.push(deadlock_of(p)),
            Ok(Err(potok::BrokenBarrierError)) => broken += 1,
            Ok(Ok(index)) => panic!("nobody passes a barrier short of parties (got {index})"),
        }
    }
    assert_eq!(
        (deadlocks.len(), broken),
        (1, 1),
        "one fails, the other sees the barrier broken"
    );
    let err = &deadlocks[0];
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert_eq!(names(err), ["MainThread", "first", "second"]);
    assert_eq!(
        err.thread("first").unwrap().waits_for().to_string(),
        "Barrier 'three'"
    );
    assert!(three.broken());
}

fn semaphore_nobody_releases() {
    let none = Semaphore::named("none", 0);
    let caught = panic::catch_unwind(AssertUnwindSafe(|| none.acquire()));
    let err = *caught
        .expect_err("must fail")
        .downcast::<DeadlockError>()
        .unwrap();
    assert_eq!(
        err.thread("MainThread").unwrap().waits_for().to_string(),
        "Semaphore 'none'"
    );
}

/// The course's bank, reduced: `take` waits for a Lock it holds, as a signal that `deposit`
/// gives; once `deposit` has ended, nobody can.
fn lock_signal_after_signaller_ends() {
    let lock = Arc::new(Lock::named("bank"));
    let deposit = Builder::new().name("deposit").spawn(|| ()).unwrap();
    deposit.join().unwrap();
    let take = Builder::new()
        .name("take")
        .spawn({
            let lock = Arc::clone(&lock);
            move || {
                lock.acquire();
                lock.acquire(); // waits for a release nobody will do
            }
        })
        .unwrap();
    let err = deadlock_of(take.join().expect_err("take fails"));
    assert_eq!(err.kind(), DeadlockKind::Stall);
    let take = err.thread("take").unwrap();
    assert_eq!(take.waits_for().to_string(), "Lock 'bank'");
    assert_eq!(take.holds()[0].to_string(), "Lock 'bank'");
}

/// The same Lock used as a signal, while the signaller is alive: no report.
fn lock_signal_given_is_no_deadlock() {
    let lock = Arc::new(Lock::named("signal"));
    lock.acquire();
    let waiter = Builder::new()
        .name("waiter")
        .spawn({
            let lock = Arc::clone(&lock);
            move || {
                lock.acquire(); // until MainThread releases it
                lock.release().unwrap();
            }
        })
        .unwrap();
    blocked(waiter.thread(), ResourceKind::Lock, "signal");
    lock.release().unwrap();
    waiter.join().unwrap();
}

/// A cycle through a held Lock while a third thread still runs: that thread may release the
/// Lock (any thread may release a Python Lock), so it is no deadlock yet. Regression: this was
/// reported as a cycle at once, and the two threads would have finished.
fn lock_cycle_a_third_thread_breaks() {
    let signal = Arc::new(Lock::named("signal"));
    let data = Arc::new(Mutex::named("data", 0u32));
    let all_hold = Arc::new(Barrier::new(3));
    let a = Builder::new()
        .name("A")
        .spawn({
            let (signal, data, all_hold) = (signal.clone(), data.clone(), all_hold.clone());
            move || {
                signal.acquire();
                all_hold.wait().expect("barrier");
                *data.lock() += 1; // waits for B, who waits for the signal
            }
        })
        .unwrap();
    let b = Builder::new()
        .name("B")
        .spawn({
            let (signal, data, all_hold) = (signal.clone(), data.clone(), all_hold.clone());
            move || {
                let mut held = data.lock();
                all_hold.wait().expect("barrier");
                signal.acquire(); // held by A: a cycle, until MainThread releases it
                signal.release().unwrap();
                *held += 1;
            }
        })
        .unwrap();
    all_hold.wait().expect("barrier");
    // A and B are in the cycle, and MainThread, running, keeps it from being reported.
    blocked(a.thread(), ResourceKind::Mutex, "data");
    blocked(b.thread(), ResourceKind::Lock, "signal");
    signal.release().unwrap();
    a.join().unwrap();
    b.join().unwrap();
    assert_eq!(*data.lock(), 2);
}

/// A cycle through a Lock (t holds it and joins w, which waits for it) is final only once no
/// other thread can release the Lock: here when MainThread, which ran, joins t. The thread
/// that fails is the one whose block closed the cycle (t's join), as when the stall is
/// complete before the cycle closes, not the Lock's waiter (once it was w: whether t or w
/// failed depended on whether MainThread's join came before t's).
fn lock_cycle_closed_before_the_stall_fails_its_closer() {
    let (tx, rx) = std::sync::mpsc::channel::<potok::Thread>();
    let t = Builder::new()
        .name("t")
        .spawn(move || {
            let held = Arc::new(Lock::named("held"));
            let _guard = held.lock();
            let w = Builder::new()
                .name("w")
                .spawn({
                    let held = Arc::clone(&held);
                    move || drop(held.lock())
                })
                .unwrap();
            blocked(w.thread(), ResourceKind::Lock, "held");
            tx.send(w.thread().clone()).unwrap();
            let _ = w.join();
        })
        .unwrap();
    let w = rx.recv().expect("w's handle");
    blocked(t.thread(), ResourceKind::Thread, "w");
    let err = deadlock_of(t.join().expect_err("t's join closed the cycle"));
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(names(&err), ["t", "w"]);
    assert_eq!(
        err.thread("t").unwrap().waits_for().kind(),
        ResourceKind::Thread
    );
    assert_eq!(err.thread("w").unwrap().held_by(), Some("t"));
    // t's guard went with its unwinding: w took the Lock and finished.
    w.join().expect("w finishes once t has let go");
}

/// Everybody blocked, but with timeouts: they will wake on their own. No report.
fn timed_waits_are_never_reported() {
    let never = Arc::new(Event::new());
    let lock = Arc::new(Lock::new());
    lock.acquire();
    let t = Builder::new()
        .name("timed")
        .spawn({
            let (never, lock) = (Arc::clone(&never), Arc::clone(&lock));
            move || {
                assert!(!never.wait_timeout(Duration::from_millis(30)));
                assert!(!lock.acquire_timeout(Duration::from_millis(30)));
            }
        })
        .unwrap();
    assert!(!never.wait_timeout(Duration::from_millis(60)));
    t.join().unwrap();
}

/// Under `Policy::ReportAndWait` the cycle is reported once and the threads keep waiting, as
/// in Python.
fn report_and_wait_policy() {
    potok::deadlock::set_policy(potok::deadlock::Policy::ReportAndWait);
    let a = Arc::new(Mutex::named("a", ()));
    let b = Arc::new(Mutex::named("b", ()));
    let both = Arc::new(Barrier::new(2));
    let spawn = |name: &str, first: Arc<Mutex<()>>, second: Arc<Mutex<()>>, both: Arc<Barrier>| {
        Builder::new()
            .name(name)
            .daemon(true)
            .spawn(move || {
                let _first = first.lock();
                both.wait().expect("barrier");
                let _second = second.lock();
            })
            .unwrap()
    };
    let x = spawn("A", Arc::clone(&a), Arc::clone(&b), Arc::clone(&both));
    let _y = spawn("B", b, a, both);
    // A timed join: MainThread counts as running, so only the cycle is reported.
    match x.join_timeout(Duration::from_millis(300)) {
        Err(potok::JoinTimeoutError::Timeout(_)) => {}
        other => panic!("the threads must still be waiting: {other:?}"),
    }
    // Both threads stay blocked: leave without waiting for them.
    std::process::exit(0);
}
