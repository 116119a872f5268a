//! Behaviour of `threading`'s synchronisation primitives, ported from CPython's
//! `Lib/test/lock_tests.py` (BaseLockTests, LockTests, RLockTests, EventTests,
//! ConditionTests, BaseSemaphoreTests, SemaphoreTests, BoundedSemaphoreTests, BarrierTests)
//! and `Lib/test/test_threading.py` (TimerTests), in our own code.
//!
//! Where CPython sleeps to let threads reach a state, these tests wait for the state itself
//! (a counter read under the primitive's lock, `Barrier::n_waiting`), and every test body
//! runs under [`bounded`], so a hang fails the test instead of hanging the suite.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use potok::{
    Barrier, BoundedSemaphore, BrokenBarrierError, Condition, Event, Lock, Mutex, RLock,
    ReleaseError, Semaphore, Timer,
};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs `body` on a potok thread and fails if it takes longer than [`LIMIT`].
fn bounded<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = potok::spawn(body);
    match handle.join_timeout(LIMIT) {
        Ok(value) => value,
        Err(potok::JoinTimeoutError::Timeout(_)) => panic!("the test ran past {LIMIT:?}"),
        Err(potok::JoinTimeoutError::Panicked(p)) => std::panic::resume_unwind(p.into_payload()),
    }
}

/// Spins (with a yield) until `ready` holds; bounded by the test's [`bounded`] limit.
fn until(mut ready: impl FnMut() -> bool) {
    while !ready() {
        std::thread::yield_now();
    }
}

// ---- Lock (BaseLockTests, LockTests) ----

#[test]
fn lock_acquire_release_and_locked() {
    bounded(|| {
        let lock = Lock::new();
        assert!(!lock.locked());
        lock.acquire();
        assert!(lock.locked());
        lock.release().unwrap();
        assert!(!lock.locked());
    });
}

#[test]
fn lock_repr_names_state_and_name() {
    let lock = Lock::named("bank");
    assert_eq!(format!("{lock}"), "<unlocked Lock 'bank'>");
    lock.acquire();
    assert_eq!(format!("{lock}"), "<locked Lock 'bank'>");
    assert_eq!(
        format!("{lock:?}"),
        r#"Lock { name: "bank", locked: true }"#
    );
    lock.release().unwrap();
    assert!(Lock::new().name().starts_with("Lock-"));
}

#[test]
fn lock_try_acquire() {
    let lock = Lock::new();
    assert!(lock.try_acquire());
    assert!(!lock.try_acquire());
    lock.release().unwrap();
}

#[test]
fn lock_try_acquire_contended() {
    bounded(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let other = Arc::clone(&lock);
        assert!(!potok::spawn(move || other.try_acquire()).join().unwrap());
        lock.release().unwrap();
    });
}

#[test]
fn lock_acquire_contended_waits_for_release() {
    bounded(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let started = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..5)
            .map(|_| {
                let (lock, started, done) =
                    (Arc::clone(&lock), Arc::clone(&started), Arc::clone(&done));
                potok::spawn(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    lock.acquire();
                    lock.release().unwrap();
                    done.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        until(|| started.load(Ordering::SeqCst) == 5);
        assert_eq!(done.load(Ordering::SeqCst), 0);
        lock.release().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(done.load(Ordering::SeqCst), 5);
    });
}

#[test]
fn lock_with_statement_releases_even_on_panic() {
    let lock = Lock::new();
    {
        let _guard = lock.lock();
        assert!(lock.locked());
    }
    assert!(!lock.locked());
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _guard = lock.lock();
        panic!("inside with");
    }));
    assert!(caught.is_err());
    assert!(!lock.locked());
}

#[test]
fn lock_timeout() {
    bounded(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let other = Arc::clone(&lock);
        let (got, waited) = potok::spawn(move || {
            let start = Instant::now();
            let got = other.acquire_timeout(Duration::from_millis(50));
            (got, start.elapsed())
        })
        .join()
        .unwrap();
        assert!(!got);
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        // A zero timeout is a try.
        assert!(!lock.acquire_timeout(Duration::ZERO));
        lock.release().unwrap();
        assert!(lock.acquire_timeout(Duration::ZERO));
        lock.release().unwrap();
    });
}

#[test]
fn lock_state_after_timeout() {
    // A timed-out acquire must not leave the lock taken.
    bounded(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let other = Arc::clone(&lock);
        assert!(
            !potok::spawn(move || other.acquire_timeout(Duration::from_millis(5)))
                .join()
                .unwrap()
        );
        lock.release().unwrap();
        assert!(!lock.locked());
        assert!(lock.try_acquire());
    });
}

#[test]
fn lock_released_by_another_thread() {
    // LockTests.test_reacquire / test_different_thread: any thread may release a Lock.
    bounded(|| {
        let lock = Arc::new(Lock::new());
        lock.acquire();
        let other = Arc::clone(&lock);
        potok::spawn(move || other.release().unwrap())
            .join()
            .unwrap();
        assert!(!lock.locked());
        lock.acquire();
        let phase = Arc::new(AtomicUsize::new(0));
        let (l2, p2) = (Arc::clone(&lock), Arc::clone(&phase));
        let t = potok::spawn(move || {
            l2.acquire(); // waits for MainThread's release below
            p2.store(1, Ordering::SeqCst);
            l2.release().unwrap();
        });
        assert_eq!(phase.load(Ordering::SeqCst), 0);
        lock.release().unwrap();
        t.join().unwrap();
        assert_eq!(phase.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn lock_release_unlocked_is_an_error() {
    let lock = Lock::new();
    assert_eq!(lock.release(), Err(ReleaseError::Unlocked));
    assert_eq!(ReleaseError::Unlocked.to_string(), "release unlocked lock");
}

#[test]
fn lock_thread_leak() {
    // Many short threads on one lock: all finish, none stays registered.
    bounded(|| {
        let lock = Arc::new(Lock::new());
        let mut finished = Vec::new();
        for _ in 0..20 {
            let lock = Arc::clone(&lock);
            let handle = potok::spawn(move || {
                let _g = lock.lock();
            });
            finished.push(handle.thread().clone());
            handle.join().unwrap();
        }
        let live = potok::enumerate();
        assert!(finished.iter().all(|t| !t.is_alive() && !live.contains(t)));
        assert!(!lock.locked());
    });
}

// ---- RLock (RLockTests) ----

#[test]
fn rlock_reacquire() {
    let lock = RLock::new();
    lock.acquire();
    lock.acquire();
    lock.acquire();
    lock.release().unwrap();
    lock.release().unwrap();
    assert!(lock.is_owned());
    lock.release().unwrap();
    assert!(!lock.is_owned());
}

#[test]
fn rlock_release_unacquired() {
    let lock = RLock::new();
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    lock.acquire();
    lock.acquire();
    lock.release().unwrap();
    lock.acquire();
    lock.release().unwrap();
    lock.release().unwrap();
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
}

#[test]
fn rlock_release_by_another_thread_is_an_error() {
    bounded(|| {
        let lock = Arc::new(RLock::new());
        lock.acquire();
        let other = Arc::clone(&lock);
        let result = potok::spawn(move || other.release()).join().unwrap();
        assert_eq!(result, Err(ReleaseError::NotOwner));
        lock.release().unwrap();
    });
}

#[test]
fn rlock_is_owned() {
    bounded(|| {
        let lock = Arc::new(RLock::new());
        assert!(!lock.is_owned());
        lock.acquire();
        assert!(lock.is_owned());
        lock.acquire();
        assert!(lock.is_owned());
        let other = Arc::clone(&lock);
        let (owned, got) = potok::spawn(move || (other.is_owned(), other.try_acquire()))
            .join()
            .unwrap();
        assert!(!owned && !got);
        lock.release().unwrap();
        assert!(lock.is_owned());
        lock.release().unwrap();
        assert!(!lock.is_owned());
    });
}

// ---- Mutex (potok's own; the with-statement behaviour of BaseLockTests) ----

#[test]
fn mutex_is_not_poisoned_by_a_panic() {
    bounded(|| {
        let m = Arc::new(Mutex::new(1));
        let other = Arc::clone(&m);
        potok::set_excepthook(|_| {});
        let r = potok::spawn(move || {
            let mut g = other.lock();
            *g = 2;
            panic!("while holding the Mutex");
        })
        .join();
        potok::reset_excepthook();
        assert!(r.is_err());
        assert!(!m.is_locked());
        assert_eq!(*m.lock(), 2);
        assert!(m.try_lock().is_some());
        assert!(m.lock_timeout(Duration::from_millis(1)).is_some());
    });
}

// ---- Event (EventTests) ----

#[test]
fn event_is_set_set_clear() {
    let evt = Event::new();
    assert!(!evt.is_set());
    evt.set();
    assert!(evt.is_set());
    evt.set();
    assert!(evt.is_set());
    evt.clear();
    assert!(!evt.is_set());
    evt.clear();
    assert!(!evt.is_set());
}

#[test]
fn event_set_wakes_every_waiter() {
    bounded(|| {
        let evt = Arc::new(Event::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let (evt, woken) = (Arc::clone(&evt), Arc::clone(&woken));
                potok::spawn(move || {
                    evt.wait();
                    woken.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        evt.set();
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 5);
        // Once set, wait returns at once.
        evt.wait();
        assert!(evt.wait_timeout(Duration::ZERO));
    });
}

#[test]
fn event_timeout() {
    let evt = Event::new();
    assert!(!evt.wait_timeout(Duration::ZERO));
    let start = Instant::now();
    assert!(!evt.wait_timeout(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    evt.set();
    assert!(evt.wait_timeout(Duration::from_millis(30)));
}

#[test]
fn event_set_and_clear_during_waits() {
    // Waiters woken by a set see it even if it is cleared right after (EventTests
    // test_set_and_clear): Event.wait returns true for a set that happened while waiting.
    bounded(|| {
        let evt = Arc::new(Event::new());
        let waiters: Vec<_> = (0..5)
            .map(|_| {
                let evt = Arc::clone(&evt);
                potok::spawn(move || evt.wait_timeout(Duration::from_secs(30)))
            })
            .collect();
        evt.set();
        for w in waiters {
            assert!(w.join().unwrap());
        }
        evt.clear();
        assert!(!evt.is_set());
    });
}

// ---- Condition (ConditionTests) ----

#[test]
fn condition_acquire_is_reentrant_by_default() {
    let cond = Condition::new();
    cond.acquire();
    cond.acquire();
    cond.release().unwrap();
    cond.release().unwrap();
    let lock = Lock::new();
    let cond = Condition::with_lock(lock);
    assert!(cond.try_acquire());
    assert!(!cond.try_acquire()); // over a Lock: not reentrant
    cond.release().unwrap();
}

#[test]
fn condition_unacquired_wait_and_notify_are_errors() {
    let cond = Condition::new();
    assert_eq!(cond.wait(), Err(ReleaseError::NotOwner));
    assert_eq!(
        cond.wait_timeout(Duration::ZERO),
        Err(ReleaseError::NotOwner)
    );
    assert_eq!(cond.notify(1), Err(ReleaseError::NotOwner));
    assert_eq!(cond.notify_all(), Err(ReleaseError::NotOwner));
}

/// Starts `n` threads that each wait once on `cond`; returns when all are inside `wait`
/// (they count themselves under the lock, and `wait` releases it only once queued).
fn start_waiters(
    cond: &Arc<Condition>,
    n: usize,
    woken: &Arc<AtomicUsize>,
) -> Vec<potok::JoinHandle<bool>> {
    let ready = Arc::new(AtomicUsize::new(0));
    let handles = (0..n)
        .map(|_| {
            let (cond, woken, ready) = (Arc::clone(cond), Arc::clone(woken), Arc::clone(&ready));
            potok::spawn(move || {
                let mut g = cond.lock();
                ready.fetch_add(1, Ordering::SeqCst);
                let notified = g.wait_timeout(LIMIT);
                woken.fetch_add(1, Ordering::SeqCst);
                notified
            })
        })
        .collect();
    until(|| {
        let _g = cond.lock();
        ready.load(Ordering::SeqCst) == n
    });
    handles
}

#[test]
fn condition_notify_wakes_exactly_n() {
    bounded(|| {
        let cond = Arc::new(Condition::new());
        let woken = Arc::new(AtomicUsize::new(0));
        let mut waiters = start_waiters(&cond, 5, &woken);
        assert_eq!(woken.load(Ordering::SeqCst), 0);
        cond.lock().notify(1);
        until(|| woken.load(Ordering::SeqCst) == 1);
        cond.lock().notify(3);
        until(|| woken.load(Ordering::SeqCst) == 4);
        // Exactly 4: the fifth is still waiting.
        assert!(!cond.lock().wait_timeout(Duration::from_millis(1)));
        assert_eq!(woken.load(Ordering::SeqCst), 4);
        cond.lock().notify_all();
        for w in waiters.drain(..) {
            assert!(w.join().unwrap(), "every waiter was notified");
        }
        assert_eq!(woken.load(Ordering::SeqCst), 5);
    });
}

#[test]
fn condition_notify_all_wakes_everyone() {
    bounded(|| {
        let cond = Arc::new(Condition::named("all"));
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters = start_waiters(&cond, 4, &woken);
        cond.lock().notify_all();
        for w in waiters {
            assert!(w.join().unwrap());
        }
    });
}

/// A notify made under a recursive hold wakes the waiter once the lock is free: potok wakes
/// the notified threads when the notifier releases the RLock (so that they do not wake only to
/// find it held), and a release that leaves it held must not lose them.
#[test]
fn condition_notified_under_a_recursive_hold_wakes_at_the_last_release() {
    bounded(|| {
        let cond = Arc::new(Condition::named("deferred"));
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters = start_waiters(&cond, 2, &woken);
        cond.acquire();
        cond.acquire();
        cond.notify(1).unwrap();
        cond.release().unwrap();
        // Still held once: the notified waiter cannot have got the lock back.
        assert!(cond.try_acquire(), "reentrant for the holder");
        cond.release().unwrap();
        assert_eq!(woken.load(Ordering::SeqCst), 0);
        cond.release().unwrap();
        until(|| woken.load(Ordering::SeqCst) == 1);
        cond.lock().notify(1);
        for w in waiters {
            assert!(w.join().unwrap(), "both were notified, not timed out");
        }
    });
}

/// Over a `Lock`, which any thread may release, a notified waiter is woken at once, and gets
/// the lock when another thread releases it.
#[test]
fn condition_over_a_lock_released_by_another_thread_wakes_the_notified() {
    bounded(|| {
        let cond = Arc::new(Condition::with_lock(Lock::new()));
        let woken = Arc::new(AtomicUsize::new(0));
        let waiters = start_waiters(&cond, 1, &woken);
        cond.acquire();
        cond.notify(1).unwrap();
        let other = Arc::clone(&cond);
        potok::spawn(move || other.release().unwrap())
            .join()
            .unwrap();
        for w in waiters {
            assert!(w.join().unwrap(), "notified, not timed out");
        }
        assert_eq!(woken.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn condition_timeout() {
    let cond = Condition::new();
    let mut g = cond.lock();
    let start = Instant::now();
    assert!(!g.wait_timeout(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    // wait released and re-took the lock: still held after.
    assert!(cond.notify(1).is_ok());
}

#[test]
fn condition_wait_for() {
    bounded(|| {
        let cond = Arc::new(Condition::new());
        let state = Arc::new(AtomicUsize::new(0));
        let (c2, s2) = (Arc::clone(&cond), Arc::clone(&state));
        let t = potok::spawn(move || {
            let mut g = c2.lock();
            g.wait_for(|| s2.load(Ordering::SeqCst) == 4);
            s2.load(Ordering::SeqCst)
        });
        for _ in 0..4 {
            let g = cond.lock();
            state.fetch_add(1, Ordering::SeqCst);
            g.notify(1);
        }
        assert_eq!(t.join().unwrap(), 4);
    });
}

#[test]
fn condition_wait_for_timeout() {
    let cond = Condition::new();
    let mut g = cond.lock();
    let start = Instant::now();
    assert!(!g.wait_for_timeout(|| false, Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert!(g.wait_for_timeout(|| true, Duration::ZERO));
}

#[test]
fn condition_wait_restores_rlock_recursion() {
    bounded(|| {
        let cond = Arc::new(Condition::new());
        let c2 = Arc::clone(&cond);
        let t = potok::spawn(move || {
            c2.acquire();
            c2.acquire(); // held twice
            assert!(!c2.wait_timeout(Duration::from_millis(5)).unwrap());
            // Both levels are back: two releases succeed, a third fails.
            c2.release().unwrap();
            c2.release().unwrap();
            c2.release()
        });
        assert_eq!(t.join().unwrap(), Err(ReleaseError::NotOwner));
        assert!(cond.try_acquire());
    });
}

// ---- Semaphore, BoundedSemaphore (BaseSemaphoreTests and friends) ----

#[test]
fn semaphore_acquire_release() {
    let sem = Semaphore::new(1);
    sem.acquire();
    sem.release(1);
    let sem = Semaphore::new(2);
    sem.acquire();
    sem.acquire();
    sem.release(1);
    sem.release(1);
    assert_eq!(sem.value(), 2);
}

#[test]
fn semaphore_default_like_value_and_try_acquire() {
    let sem = Semaphore::new(2);
    assert!(sem.try_acquire());
    assert!(sem.try_acquire());
    assert!(!sem.try_acquire());
    sem.release(1);
    assert!(sem.try_acquire());
}

#[test]
fn semaphore_acquire_contended() {
    // Seven threads on a semaphore of 3: at most three inside at once; release(n) lets n in.
    bounded(|| {
        let sem = Arc::new(Semaphore::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let max_inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..7)
            .map(|_| {
                let (sem, inside, max_inside) = (
                    Arc::clone(&sem),
                    Arc::clone(&inside),
                    Arc::clone(&max_inside),
                );
                potok::spawn(move || {
                    let _slot = sem.guard();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    max_inside.fetch_max(now, Ordering::SeqCst);
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(max_inside.load(Ordering::SeqCst) <= 3);
        assert_eq!(sem.value(), 3);
    });
}

#[test]
fn semaphore_release_n_wakes_n() {
    bounded(|| {
        let sem = Arc::new(Semaphore::new(0));
        let got = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let (sem, got) = (Arc::clone(&sem), Arc::clone(&got));
                potok::spawn(move || {
                    if sem.acquire_timeout(LIMIT) {
                        got.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        sem.release(2);
        until(|| got.load(Ordering::SeqCst) == 2);
        sem.release(1);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(got.load(Ordering::SeqCst), 3);
        assert_eq!(sem.value(), 0);
    });
}

#[test]
fn semaphore_acquire_timeout() {
    let sem = Semaphore::new(2);
    assert!(sem.acquire_timeout(Duration::ZERO));
    assert!(sem.acquire_timeout(Duration::from_millis(1)));
    let start = Instant::now();
    assert!(!sem.acquire_timeout(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
    sem.release(1);
    assert!(sem.acquire_timeout(Duration::ZERO));
}

#[test]
fn semaphore_release_unacquired_is_allowed() {
    // SemaphoreTests.test_release_unacquired: a plain Semaphore may go past its start value.
    let sem = Semaphore::new(1);
    sem.release(1);
    sem.acquire();
    sem.acquire();
    assert_eq!(sem.value(), 0);
}

#[test]
fn bounded_semaphore_release_unacquired_is_an_error() {
    let sem = BoundedSemaphore::new(1);
    assert_eq!(sem.release(), Err(ReleaseError::TooManyReleases));
    sem.acquire();
    sem.release().unwrap();
    assert_eq!(sem.release(), Err(ReleaseError::TooManyReleases));
    let sem = BoundedSemaphore::new(3);
    sem.acquire();
    sem.acquire();
    assert_eq!(sem.release_n(3), Err(ReleaseError::TooManyReleases));
    assert_eq!(sem.value(), 1, "a refused release changes nothing");
    sem.release_n(2).unwrap();
    assert_eq!(sem.value(), 3);
}

#[test]
fn semaphore_with_statement() {
    let sem = BoundedSemaphore::new(2);
    {
        let _a = sem.guard();
        let _b = sem.guard();
        assert!(!sem.try_acquire());
    }
    assert_eq!(sem.value(), 2);
}

// ---- Barrier (BarrierTests) ----

const PARTIES: usize = 5;

/// Runs `f` in `PARTIES - 1` threads and the calling one, and returns their results.
fn run_parties<T: Send + 'static>(f: impl Fn() -> T + Send + Sync + 'static) -> Vec<T> {
    let f = Arc::new(f);
    let others: Vec<_> = (0..PARTIES - 1)
        .map(|_| {
            let f = Arc::clone(&f);
            potok::spawn(move || f())
        })
        .collect();
    let mut results = vec![f()];
    results.extend(others.into_iter().map(|h| h.join().unwrap()));
    results
}

#[test]
fn barrier_passes_repeatedly() {
    bounded(|| {
        let barrier = Arc::new(Barrier::new(PARTIES));
        let phase = Arc::new(AtomicUsize::new(0));
        let (b, p) = (Arc::clone(&barrier), Arc::clone(&phase));
        run_parties(move || {
            for round in 0..3 {
                assert_eq!(p.load(Ordering::SeqCst) / PARTIES, round);
                p.fetch_add(1, Ordering::SeqCst);
                b.wait().unwrap();
                // Everyone of this round arrived before anyone passed.
                assert!(p.load(Ordering::SeqCst) >= (round + 1) * PARTIES);
                b.wait().unwrap();
            }
        });
        assert_eq!(barrier.n_waiting(), 0);
        assert!(!barrier.broken());
    });
}

#[test]
fn barrier_wait_returns_each_index_once() {
    bounded(|| {
        let barrier = Arc::new(Barrier::new(PARTIES));
        let b = Arc::clone(&barrier);
        let mut indices = run_parties(move || b.wait().unwrap());
        indices.sort_unstable();
        assert_eq!(indices, (0..PARTIES).collect::<Vec<_>>());
    });
}

#[test]
fn barrier_action_runs_once_per_round() {
    bounded(|| {
        let ran = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&ran);
        let barrier = Arc::new(Barrier::new(PARTIES).with_action(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }));
        let (b, r2) = (Arc::clone(&barrier), Arc::clone(&ran));
        run_parties(move || {
            b.wait().unwrap();
            assert_eq!(
                r2.load(Ordering::SeqCst),
                1,
                "the action ran before anyone passed"
            );
            b.wait().unwrap();
        });
        assert_eq!(ran.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn barrier_action_panic_breaks_it() {
    bounded(|| {
        let barrier = Arc::new(Barrier::new(PARTIES).with_action(|| panic!("action failed")));
        let b = Arc::clone(&barrier);
        potok::set_excepthook(|_| {});
        let results = run_parties(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.wait())).map_err(|_| ())
        });
        potok::reset_excepthook();
        let panicked = results.iter().filter(|r| r.is_err()).count();
        let broken = results
            .iter()
            .filter(|r| matches!(r, Ok(Err(BrokenBarrierError))))
            .count();
        assert_eq!((panicked, broken), (1, PARTIES - 1));
        assert!(barrier.broken());
    });
}

#[test]
fn barrier_abort_breaks_waiters() {
    bounded(|| {
        let barrier = Arc::new(Barrier::new(PARTIES));
        let waiters: Vec<_> = (0..PARTIES - 2)
            .map(|_| {
                let b = Arc::clone(&barrier);
                potok::spawn(move || b.wait())
            })
            .collect();
        until(|| barrier.n_waiting() == PARTIES - 2);
        barrier.abort();
        for w in waiters {
            assert_eq!(w.join().unwrap(), Err(BrokenBarrierError));
        }
        assert_eq!(barrier.wait(), Err(BrokenBarrierError));
        assert!(barrier.broken());
    });
}

#[test]
fn barrier_reset_breaks_waiters_then_works_again() {
    bounded(|| {
        let barrier = Arc::new(Barrier::new(3));
        let waiter = {
            let b = Arc::clone(&barrier);
            potok::spawn(move || b.wait())
        };
        until(|| barrier.n_waiting() == 1);
        barrier.reset();
        assert_eq!(waiter.join().unwrap(), Err(BrokenBarrierError));
        assert!(!barrier.broken());
        // Usable again for a full round.
        let others: Vec<_> = (0..2)
            .map(|_| {
                let b = Arc::clone(&barrier);
                potok::spawn(move || b.wait())
            })
            .collect();
        assert!(barrier.wait().is_ok());
        for o in others {
            assert!(o.join().unwrap().is_ok());
        }
    });
}

#[test]
fn barrier_abort_and_reset() {
    bounded(|| {
        let barrier = Arc::new(Barrier::new(2));
        barrier.abort();
        assert!(barrier.broken());
        barrier.reset();
        assert!(!barrier.broken());
        let b = Arc::clone(&barrier);
        let t = potok::spawn(move || b.wait());
        assert!(barrier.wait().is_ok());
        assert!(t.join().unwrap().is_ok());
    });
}

#[test]
fn barrier_timeout_breaks_it() {
    bounded(|| {
        let barrier = Barrier::new(2);
        let start = Instant::now();
        assert_eq!(
            barrier.wait_timeout(Duration::from_millis(30)),
            Err(BrokenBarrierError)
        );
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert!(barrier.broken());
        let with_default = Barrier::new(2).with_timeout(Duration::from_millis(10));
        assert_eq!(with_default.wait(), Err(BrokenBarrierError));
    });
}

#[test]
fn barrier_single_thread() {
    let barrier = Barrier::new(1);
    assert_eq!(barrier.wait(), Ok(0));
    assert_eq!(barrier.wait(), Ok(0));
}

// ---- Timer (test_threading.TimerTests) ----

#[test]
fn timer_runs_after_interval() {
    bounded(|| {
        let ran = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&ran);
        let start = Instant::now();
        let timer = Timer::new(Duration::from_millis(20), move || {
            r.store(true, Ordering::SeqCst)
        });
        timer.start().unwrap();
        assert!(timer.join().unwrap());
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(ran.load(Ordering::SeqCst));
        assert!(matches!(
            timer.start(),
            Err(potok::TimerError::AlreadyStarted)
        ));
    });
}

#[test]
fn timer_cancel_prevents_the_call() {
    bounded(|| {
        let timer = Timer::named("alarm", Duration::from_secs(3600), || {
            panic!("must not run")
        });
        timer.start().unwrap();
        assert_eq!(timer.thread().unwrap().name(), "alarm");
        timer.cancel();
        assert!(!timer.join().unwrap());
        assert!(!timer.is_alive());
    });
}
