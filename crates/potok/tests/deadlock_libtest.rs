//! Deadlocks under `cargo test`'s own harness: plain `#[test]`s, run in parallel on libtest's
//! threads (which potok did not start), each stall and Lock cycle reported as a
//! `DeadlockError` inside its test while the busy tests beside it run potok work and see no
//! report at all.
//!
//! Meaningful at the default thread count (as many as the machine's CPUs) and checked by hand
//! with `-- --test-threads=4` and under `cargo nextest run` (one process per test). Not with
//! `--test-threads=1`: libtest's main thread then waits for its one test without a time limit,
//! which potok cannot tell from a program's own `main` (see the `deadlock` module docs), so
//! the zoo's stalls hang until the watchdog ends the run. Every test
//! runs under a watchdog that ends the process after a generous limit: nothing can hang.
//!
//! The watchdog is a plain std thread that registers itself with potok (`current_thread`):
//! a thread potok does not know at all stops every stall from being declared while it runs,
//! since it might hold a handle to anything. A hang explains itself: after [`FIRST_DUMP`]
//! (before libtest's 60 s warning, after which its main thread waits without a limit and a
//! stall can no longer be declared) and again before the watchdog ends the run, it prints
//! `potok::deadlock::dump()`, where each thread blocked without a timeout says why the
//! detector declared nothing at its last check (`no deadlock declared ...: REASON`).

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use potok::deadlock::{DeadlockError, DeadlockKind, ResourceKind};
use potok::futures::ThreadPoolExecutor;
use potok::{Barrier, Builder, Condition, Event, Lock, Mutex, Panicked, Queue, RLock, Semaphore};

/// Ends the whole run if it takes longer than this: a hang is a failure, never a stuck suite.
const LIMIT: Duration = Duration::from_secs(240);

/// Prints what every thread is doing if the run is still going after this long (the whole
/// file takes well under a second on a quiet machine, and about a minute beside a dozen busy
/// loops, where the dump is then only noise on stderr).
const FIRST_DUMP: Duration = Duration::from_secs(50);

fn watchdog() {
    static START: Once = Once::new();
    START.call_once(|| {
        std::thread::Builder::new()
            .name("libtest-watchdog".into())
            .spawn(|| {
                // Known to potok (a thread of its own family), so it does not count as a
                // stranger that might wake anyone.
                let _ = potok::current_thread();
                std::thread::sleep(FIRST_DUMP);
                // Not eprintln!: libtest captures what the macros print on a test's thread,
                // and a test that never ends never shows it. This thread is not a test's,
                // but a direct write is what `dump` does too.
                say(&format!(
                    "deadlock_libtest: still running after {FIRST_DUMP:?}; what every thread \
                     is doing:"
                ));
                potok::deadlock::dump();
                std::thread::sleep(LIMIT - FIRST_DUMP);
                say(&format!(
                    "deadlock_libtest: still running after {LIMIT:?}; what every thread is \
                     doing, then abort:"
                ));
                potok::deadlock::dump();
                std::process::abort();
            })
            .expect("the watchdog thread");
    });
    // Reports go to the test's own output (captured by libtest): keep them, they are short.
}

/// A line on stderr, uncaptured.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Runs `f`, which must panic with a `DeadlockError`, and returns it.
fn deadlock_of(f: impl FnOnce()) -> DeadlockError {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => panic!("expected a DeadlockError, got none"),
        Err(payload) => match payload.downcast::<DeadlockError>() {
            Ok(err) => *err,
            Err(other) => panic::resume_unwind(other),
        },
    }
}

/// The DeadlockError a potok thread panicked with.
fn deadlock_in(result: Result<(), Panicked>) -> DeadlockError {
    let panicked = result.expect_err("expected the thread to fail with a DeadlockError");
    match panicked.downcast::<DeadlockError>() {
        Ok(err) => *err,
        Err(other) => panic!("the thread panicked with something else: {other:?}"),
    }
}

// ---- the zoo: each must be reported inside its own test ----

#[test]
fn stall_event_alone() {
    watchdog();
    let event = Event::named("never set");
    let err = deadlock_of(|| event.wait());
    assert_eq!(err.kind(), DeadlockKind::Stall);
    let me = potok::current_thread();
    assert_eq!(err.threads().len(), 1, "{err}");
    assert_eq!(err.threads()[0].name(), me.name());
    assert_eq!(err.threads()[0].waits_for().kind(), ResourceKind::Event);
    assert_eq!(err.threads()[0].waits_for().name(), "never set");
}

#[test]
fn stall_queue_get_in_thread() {
    watchdog();
    let q: Queue<u32> = Queue::named("empty jobs", 0);
    let getter = Builder::new()
        .name("getter")
        .spawn({
            let q = q.clone();
            move || {
                let _ = q.get();
            }
        })
        .unwrap();
    // The test thread joins: with the getter, every thread of this test is blocked.
    let err = deadlock_in(getter.join());
    assert_eq!(err.kind(), DeadlockKind::Stall);
    let getter = err
        .threads()
        .iter()
        .find(|t| t.name() == "getter")
        .unwrap_or_else(|| panic!("the getter is named: {err}"));
    assert_eq!(getter.waits_for().kind(), ResourceKind::Queue);
    assert_eq!(getter.waits_for().name(), "empty jobs");
}

#[test]
fn stall_condition_nobody_notifies() {
    watchdog();
    let cond = Arc::new(Condition::named("no news"));
    let waiter = Builder::new()
        .name("cond waiter")
        .spawn({
            let cond = Arc::clone(&cond);
            move || {
                let mut guard = cond.lock();
                guard.wait();
            }
        })
        .unwrap();
    let err = deadlock_in(waiter.join());
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert!(
        err.threads()
            .iter()
            .any(|t| t.waits_for().kind() == ResourceKind::Condition),
        "{err}"
    );
}

#[test]
fn stall_join_chain() {
    watchdog();
    let gate = Arc::new(Semaphore::named("gate", 0));
    let inner = Builder::new()
        .name("inner")
        .spawn({
            let gate = Arc::clone(&gate);
            move || gate.acquire()
        })
        .unwrap();
    let outer = Builder::new()
        .name("outer")
        .spawn(move || inner.join())
        .unwrap();
    // outer joins inner, inner waits for a gate nobody opens, this thread joins outer: the
    // report is failed at inner (the one that does not join), and reaches outer through join.
    let inner_result = outer.join().expect("outer returns inner's result");
    let err = deadlock_in(inner_result);
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert!(err.threads().iter().any(|t| t.name() == "outer"), "{err}");
}

#[test]
fn cycle_two_locks() {
    watchdog();
    let a = Arc::new(Lock::named("lock A"));
    let b = Arc::new(Lock::named("lock B"));
    let both = Arc::new(Barrier::new(2));
    let take = |first: &Arc<Lock>, second: &Arc<Lock>, name: &str| {
        let (first, second, both) = (Arc::clone(first), Arc::clone(second), Arc::clone(&both));
        Builder::new()
            .name(name)
            .spawn(move || {
                let _one = first.lock();
                let _ = both.wait();
                let _two = second.lock();
            })
            .unwrap()
    };
    let t1 = take(&a, &b, "takes A then B");
    let t2 = take(&b, &a, "takes B then A");
    let (r1, r2) = (t1.join(), t2.join());
    // One of them closes the cycle and fails; unwinding frees its lock, the other goes on.
    let err = match (r1, r2) {
        (Err(p), Ok(())) | (Ok(()), Err(p)) => match p.downcast::<DeadlockError>() {
            Ok(err) => err,
            Err(other) => panic!("panicked with something else: {other:?}"),
        },
        other => panic!("exactly one thread should fail: {other:?}"),
    };
    assert_eq!(err.kind(), DeadlockKind::Cycle, "{err}");
    let mut names: Vec<&str> = err.objects().iter().map(|o| o.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names, ["lock A", "lock B"], "{err}");
}

#[test]
fn cycle_lock_with_the_test_thread() {
    watchdog();
    let a = Arc::new(Lock::named("mine"));
    let b = Arc::new(Lock::named("theirs"));
    let _mine = a.lock();
    let holder = Builder::new()
        .name("holder")
        .spawn({
            let (a, b) = (Arc::clone(&a), Arc::clone(&b));
            move || {
                let _theirs = b.lock();
                a.acquire();
            }
        })
        .unwrap();
    potok::deadlock::wait_until_blocked(
        holder.thread(),
        ResourceKind::Lock,
        "mine",
        Duration::from_secs(60),
    )
    .expect("the holder waits for the test's lock");
    let err = deadlock_of(|| b.acquire());
    assert_eq!(err.kind(), DeadlockKind::Cycle, "{err}");
    drop(_mine);
    holder.join().unwrap();
}

/// Of two threads, exactly one failed with a DeadlockError (the one whose block closed the
/// cycle; unwinding freed its lock and the other went on): that error.
fn one_of(r1: Result<(), Panicked>, r2: Result<(), Panicked>) -> DeadlockError {
    match (r1, r2) {
        (Err(p), Ok(())) | (Ok(()), Err(p)) => match p.downcast::<DeadlockError>() {
            Ok(err) => *err,
            Err(other) => panic!("panicked with something else: {other:?}"),
        },
        other => panic!("exactly one thread should fail: {other:?}"),
    }
}

#[test]
fn cycle_two_mutexes() {
    watchdog();
    let a = Arc::new(Mutex::named("mutex A", ()));
    let b = Arc::new(Mutex::named("mutex B", ()));
    let both = Arc::new(Barrier::new(2));
    let take = |first: &Arc<Mutex<()>>, second: &Arc<Mutex<()>>, name: &str| {
        let (first, second, both) = (Arc::clone(first), Arc::clone(second), Arc::clone(&both));
        Builder::new()
            .name(name)
            .spawn(move || {
                let _one = first.lock();
                let _ = both.wait();
                let _two = second.lock();
            })
            .unwrap()
    };
    let t1 = take(&a, &b, "mutex A then B");
    let t2 = take(&b, &a, "mutex B then A");
    let err = one_of(t1.join(), t2.join());
    assert_eq!(err.kind(), DeadlockKind::Cycle, "{err}");
    let mut names: Vec<&str> = err.objects().iter().map(|o| o.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names, ["mutex A", "mutex B"], "{err}");
}

#[test]
fn cycle_two_rlocks_held_twice() {
    watchdog();
    let a = Arc::new(RLock::named("rlock A"));
    let b = Arc::new(RLock::named("rlock B"));
    let both = Arc::new(Barrier::new(2));
    let take = |first: &Arc<RLock>, second: &Arc<RLock>, name: &str| {
        let (first, second, both) = (Arc::clone(first), Arc::clone(second), Arc::clone(&both));
        Builder::new()
            .name(name)
            .spawn(move || {
                let _one = first.lock();
                let _again = first.lock(); // recursion is no cycle
                let _ = both.wait();
                let _two = second.lock();
            })
            .unwrap()
    };
    let t1 = take(&a, &b, "rlock A then B");
    let t2 = take(&b, &a, "rlock B then A");
    let err = one_of(t1.join(), t2.join());
    assert_eq!(err.kind(), DeadlockKind::Cycle, "{err}");
    assert!(
        err.threads()
            .iter()
            .all(|t| t.waits_for().kind() == ResourceKind::RLock),
        "{err}"
    );
}

#[test]
fn stall_semaphore_nobody_releases() {
    watchdog();
    let none = Semaphore::named("no permits", 0);
    let err = deadlock_of(|| none.acquire());
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert_eq!(err.threads().len(), 1, "{err}");
    assert_eq!(
        err.threads()[0].waits_for().to_string(),
        "Semaphore 'no permits'"
    );
}

#[test]
fn stall_barrier_too_few_parties() {
    watchdog();
    let three = Arc::new(Barrier::named("three parties", 3));
    let other = Builder::new()
        .name("second party")
        .spawn({
            let three = Arc::clone(&three);
            move || three.wait()
        })
        .unwrap();
    // The test's thread is the first party; with the other one, everyone is blocked.
    let mine = panic::catch_unwind(AssertUnwindSafe(|| three.wait()));
    let theirs = other.join();
    let err = match (mine, theirs) {
        (Err(payload), Ok(Err(potok::BrokenBarrierError))) => *payload
            .downcast::<DeadlockError>()
            .unwrap_or_else(|_| panic!("the test thread panicked with something else")),
        (Ok(Err(potok::BrokenBarrierError)), Err(p)) => match p.downcast::<DeadlockError>() {
            Ok(err) => *err,
            Err(other) => panic!("panicked with something else: {other:?}"),
        },
        (mine, theirs) => panic!(
            "one fails, the other sees the barrier broken: {:?} / {theirs:?}",
            mine.as_ref().map_err(|_| "a panic")
        ),
    };
    assert_eq!(err.kind(), DeadlockKind::Stall);
    assert_eq!(err.threads().len(), 2, "{err}");
    assert!(
        err.threads()
            .iter()
            .all(|t| t.waits_for().to_string() == "Barrier 'three parties'"),
        "{err}"
    );
    assert!(three.broken());
}

/// A plain std thread started without a name wakes the test: it is a thread potok does not
/// know while the test waits, so no stall may be declared.
#[test]
fn no_alarm_woken_by_unknown_std_thread() {
    watchdog();
    let event = Arc::new(Event::named("set by a stranger"));
    let me = potok::current_thread();
    let stranger = std::thread::spawn({
        let event = Arc::clone(&event);
        move || {
            // Only looks (snapshot does not register the caller), then sets.
            loop {
                let snap = potok::deadlock::snapshot();
                let blocked = snap.threads().iter().any(|t| {
                    t.ident() == me.ident()
                        && t.is_blocked_on(ResourceKind::Event, "set by a stranger")
                });
                if blocked {
                    break;
                }
                std::thread::yield_now();
            }
            event.set();
        }
    });
    event.wait();
    stranger.join().unwrap();
}

/// A stall held back says why in the snapshot (and so in `dump`): here a plain std thread
/// potok does not know runs beside the test, which blocks. That thread waits until the
/// test's thread is shown blocked and not declared because of it (its own OS thread id in
/// the reason), then wakes it.
#[test]
fn held_back_stall_names_the_unknown_thread_in_the_dump() {
    watchdog();
    let event = Arc::new(Event::named("held back by a stranger"));
    let me = potok::current_thread();
    let stranger = std::thread::spawn({
        let event = Arc::clone(&event);
        move || {
            let tid = format!("tid {}", potok::get_native_id());
            let start = std::time::Instant::now();
            let seen = loop {
                // Only looks (snapshot does not register the caller).
                let snap = potok::deadlock::snapshot();
                let why = snap
                    .threads()
                    .iter()
                    .find(|t| {
                        t.ident() == me.ident()
                            && t.is_blocked_on(ResourceKind::Event, "held back by a stranger")
                    })
                    .and_then(|t| t.not_declared().map(|(why, _)| why.to_owned()));
                // Under --test-threads=1 libtest's main thread waits without a limit, and is
                // the reason given first.
                if let Some(why) = why.filter(|w| w.contains(&tid) || w.contains("main thread")) {
                    break Ok((why, snap.to_string()));
                }
                if start.elapsed() > Duration::from_secs(60) {
                    break Err(snap.to_string());
                }
                std::thread::yield_now();
            };
            event.set();
            seen.map(|(why, text)| (why, text, tid))
        }
    });
    event.wait();
    let (why, text, tid) = stranger
        .join()
        .unwrap()
        .unwrap_or_else(|last| panic!("never shown held back by the stranger:\n{last}"));
    assert!(
        why.starts_with(&format!("a thread potok does not know runs: {tid}"))
            || why.starts_with("the main thread is not asleep in a timed wait"),
        "{why}"
    );
    assert!(
        text.contains("no deadlock declared (") && text.contains(&why),
        "{text}"
    );
}

/// A plain std thread started without a name that registers with potok (it blocks on a potok
/// primitive) joins the family of the test that started it: its wake-up is expected.
#[test]
fn no_alarm_woken_by_registered_std_thread() {
    watchdog();
    let go = Arc::new(Event::named("go"));
    let done = Arc::new(Event::named("done"));
    let helper = std::thread::spawn({
        let (go, done) = (Arc::clone(&go), Arc::clone(&done));
        move || {
            go.wait();
            done.set();
        }
    });
    let helper_thread =
        loop {
            // The helper registers (as Dummy-N) when it blocks on `go`.
            if let Some(t) = potok::enumerate().into_iter().find(|t| {
                t.native_id().is_some_and(|id| {
                    potok::deadlock::snapshot().threads().iter().any(|s| {
                        s.ident() == t.ident() && s.is_blocked_on(ResourceKind::Event, "go")
                    }) && id != potok::get_native_id()
                })
            }) {
                break t;
            }
            std::thread::yield_now();
        };
    go.set();
    done.wait();
    helper.join().unwrap();
    assert!(helper_thread.name().starts_with("Dummy-"));
}

// ---- busy work beside them: no report may ever fail these ----

const ROUNDS: usize = 20_000;

#[test]
fn busy_queue_pipeline() {
    watchdog();
    let q: Queue<usize> = Queue::named("busy pipe", 4);
    let out: Queue<usize> = Queue::named("busy out", 0);
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (q, out) = (q.clone(), out.clone());
            potok::spawn(move || loop {
                let item = q.get().unwrap();
                if item == usize::MAX {
                    break;
                }
                out.put(item * 2).unwrap();
            })
        })
        .collect();
    for i in 0..ROUNDS {
        q.put(i).unwrap();
    }
    let mut sum = 0;
    for _ in 0..ROUNDS {
        sum += out.get().unwrap();
    }
    for _ in &workers {
        q.put(usize::MAX).unwrap();
    }
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(sum, ROUNDS * (ROUNDS - 1));
}

#[test]
fn busy_ping_pong_events_and_conditions() {
    watchdog();
    let ping = Arc::new(Condition::named("ping"));
    let turn = Arc::new(AtomicUsize::new(0));
    let pong = Arc::new(Event::named("pong done"));
    let play = |parity: usize, ping: &Condition, turn: &AtomicUsize| {
        for _ in 0..ROUNDS {
            let mut g = ping.lock();
            while turn.load(Ordering::Relaxed) % 2 != parity {
                g.wait();
            }
            turn.fetch_add(1, Ordering::Relaxed);
            g.notify_all();
        }
    };
    let other = potok::spawn({
        let (ping, turn, pong) = (Arc::clone(&ping), Arc::clone(&turn), Arc::clone(&pong));
        move || {
            play(1, &ping, &turn);
            pong.set();
        }
    });
    play(0, &ping, &turn);
    pong.wait();
    other.join().unwrap();
    assert_eq!(turn.load(Ordering::Relaxed), 2 * ROUNDS);
}

#[test]
fn busy_locks_and_joins() {
    watchdog();
    let lock = Arc::new(Lock::named("busy lock"));
    let count = Arc::new(AtomicUsize::new(0));
    for _ in 0..20 {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (lock, count) = (Arc::clone(&lock), Arc::clone(&count));
                potok::spawn(move || {
                    for _ in 0..100 {
                        let _g = lock.lock();
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
    assert_eq!(count.load(Ordering::Relaxed), 20 * 4 * 100);
}

#[test]
fn busy_executor_and_signals() {
    watchdog();
    let pool = ThreadPoolExecutor::new(3);
    let signal = Arc::new(Semaphore::named("busy signal", 0));
    let futures: Vec<_> = (0..ROUNDS / 4)
        .map(|i| {
            let signal = Arc::clone(&signal);
            pool.submit(move || {
                signal.release(1);
                i
            })
        })
        .collect();
    for _ in 0..ROUNDS / 4 {
        signal.acquire();
    }
    let total: usize = futures.into_iter().map(|f| f.result().unwrap()).sum();
    assert_eq!(total, (ROUNDS / 4) * (ROUNDS / 4 - 1) / 2);
    pool.shutdown(true, false);
}

/// An executor shared by tests (in a static): work crosses between families through it, and
/// waits on its futures are never a stall of the submitter alone.
#[test]
fn busy_shared_static_executor() {
    use std::sync::LazyLock;
    static SHARED: LazyLock<ThreadPoolExecutor> = LazyLock::new(|| ThreadPoolExecutor::new(2));
    watchdog();
    for round in 0..ROUNDS / 4 {
        let gate = Arc::new(Event::new());
        let f = SHARED.submit({
            let gate = Arc::clone(&gate);
            move || gate.set()
        });
        gate.wait();
        f.result().unwrap();
        let _ = round;
    }
}
