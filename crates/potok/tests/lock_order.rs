//! The lock-order zoo: inversions reported the first time they are seen, before anything
//! hangs (ABBA that never hung, a three-lock cycle built over time, through a Condition's
//! lock), and the orders that are no inversion (RLock recursion, Condition waits, try-locks, a
//! Lock released by another thread, 1,000 random acquisitions in one consistent order).
//!
//! `harness = false`: the tests share the process-wide hook and lock classes, so they run one
//! after another on the main thread (`support::run`), each with its own lock names.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use potok::deadlock::{set_lock_order_hook, LockOrderViolation};
use potok::{Builder, Condition, Lock, Mutex, RLock, RwLock};
use support::{case, within};

static SEEN: StdMutex<Vec<LockOrderViolation>> = StdMutex::new(Vec::new());

/// Starts collecting violations (instead of printing them); returns what was collected so far
/// and clears it.
fn collected() -> Vec<LockOrderViolation> {
    set_lock_order_hook(|v| SEEN.lock().unwrap().push(v.clone()));
    std::mem::take(&mut *SEEN.lock().unwrap())
}

/// Runs `body` on a thread named `name` and waits for it (bounded).
fn on_thread(name: &str, body: impl FnOnce() + Send + 'static) {
    let t = Builder::new().name(name).spawn(body).unwrap();
    within(name, Duration::from_secs(30), move || t.join().unwrap());
}

fn on_by_default_in_debug_builds() {
    if std::env::var_os(potok::deadlock::LOCK_ORDER_VAR).is_none() {
        assert_eq!(potok::deadlock::lock_order_check(), cfg!(debug_assertions));
    }
    potok::deadlock::set_lock_order_check(true);
}

fn abba_never_hung_but_inverted() {
    collected();
    let a = Arc::new(Mutex::named("abba-a", ()));
    let b = Arc::new(Mutex::named("abba-b", ()));
    let (a2, b2) = (a.clone(), b.clone());
    let first = Arc::new(StdMutex::new(0));
    let first2 = first.clone();
    on_thread("A", move || {
        let _a = a2.lock();
        *first2.lock().unwrap() = line!() + 1;
        let _b = b2.lock();
    });
    assert!(collected().is_empty(), "one order is no inversion");
    on_thread("B", {
        let (a, b) = (a.clone(), b.clone());
        move || {
            let _b = b.lock();
            let _a = a.lock();
        }
    });
    let seen = collected();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let v = &seen[0];
    let text = v.to_string();
    assert!(
        text.starts_with(
            "potential deadlock: lock order inverted (Mutex 'abba-b' -> Mutex 'abba-a' -> Mutex 'abba-b')"
        ),
        "{text}"
    );
    assert_eq!(v.edges().len(), 2);
    let (new, old) = (&v.edges()[0], &v.edges()[1]);
    assert_eq!(
        (new.thread(), new.held(), new.taken()),
        ("B", "Mutex 'abba-b'", "Mutex 'abba-a'")
    );
    assert_eq!(
        (old.thread(), old.held(), old.taken()),
        ("A", "Mutex 'abba-a'", "Mutex 'abba-b'")
    );
    let here = file!();
    assert!(
        new.taken_at().starts_with(here) && new.held_at().starts_with(here),
        "{text}"
    );
    let line = *first.lock().unwrap();
    assert!(
        old.taken_at().starts_with(&format!("{here}:{line}:")),
        "{text}"
    );
    // Once per pair: the same inversion again is not reported again.
    on_thread("B again", move || {
        let _b = b.lock();
        let _a = a.lock();
    });
    assert!(collected().is_empty());
}

fn three_lock_cycle_over_time() {
    collected();
    let locks: Arc<Vec<Lock>> = Arc::new((0..3).map(|i| Lock::named(format!("tri-{i}"))).collect());
    for i in 0..3 {
        let locks = locks.clone();
        on_thread(&format!("T{i}"), move || {
            let _x = locks[i].lock();
            let _y = locks[(i + 1) % 3].lock();
        });
        let seen = collected();
        if i < 2 {
            assert!(seen.is_empty(), "no cycle yet after T{i}: {seen:?}");
        } else {
            assert_eq!(seen.len(), 1, "{seen:?}");
            let v = &seen[0];
            assert_eq!(v.edges().len(), 3, "{v}");
            assert_eq!(v.edges()[0].thread(), "T2");
            assert_eq!(v.edges()[0].held(), "Lock 'tri-2'");
            assert_eq!(v.edges()[0].taken(), "Lock 'tri-0'");
            let threads: Vec<&str> = v.edges().iter().map(|e| e.thread()).collect();
            assert_eq!(threads, ["T2", "T0", "T1"]);
        }
    }
}

fn rlock_recursion_is_no_inversion() {
    collected();
    let r = Arc::new(RLock::named("rec-r"));
    let m = Arc::new(Mutex::named("rec-m", ()));
    // r -> m, then r again while holding m: recursion, not an acquisition of r after m.
    let (r2, m2) = (r.clone(), m.clone());
    on_thread("recursive", move || {
        let _r = r2.lock();
        let _m = m2.lock();
        let _again = r2.lock();
    });
    on_thread("same order", move || {
        let _r = r.lock();
        let _m = m.lock();
    });
    assert!(collected().is_empty());
}

fn condition_waits_release_and_retake() {
    collected();
    let outer = Arc::new(Mutex::named("cv-outer", ()));
    let cv = Arc::new(Condition::named("cv-cond"));
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiter = Builder::new()
        .name("cv-waiter")
        .spawn({
            let (outer, cv, ready) = (outer.clone(), cv.clone(), ready.clone());
            move || {
                let _o = outer.lock();
                let mut g = cv.lock();
                g.wait_for(|| ready.load(std::sync::atomic::Ordering::SeqCst));
            }
        })
        .unwrap();
    support::blocked(
        waiter.thread(),
        potok::deadlock::ResourceKind::Condition,
        "cv-cond",
    );
    // The waiter released the Condition's lock: taking it here, holding nothing, is fine.
    {
        let g = cv.lock();
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        g.notify_all();
    }
    within("waiter", Duration::from_secs(30), move || {
        waiter.join().unwrap()
    });
    assert!(
        collected().is_empty(),
        "outer -> cond and its retake are one order"
    );
    // The Condition's lock, then outer: the inverse order.
    on_thread("cv-inverter", move || {
        let _g = cv.lock();
        let _o = outer.lock();
    });
    let seen = collected();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].edges()[0].held(), "RLock 'cv-cond'");
}

fn try_locks_add_no_edges() {
    collected();
    let a = Arc::new(Mutex::named("try-a", ()));
    let b = Arc::new(Mutex::named("try-b", ()));
    let (a2, b2) = (a.clone(), b.clone());
    on_thread("trier", move || {
        let _a = a2.lock();
        let _b = b2.try_lock().expect("free"); // cannot wait forever: no edge a -> b
    });
    on_thread("other order", move || {
        let _b = b.lock();
        let _a = a.lock();
    });
    assert!(collected().is_empty());
}

fn lock_released_by_another_thread_is_not_held() {
    collected();
    let signal = Arc::new(Lock::named("sig-signal"));
    let m = Arc::new(Mutex::named("sig-m", ()));
    let (s2, m2) = (signal.clone(), m.clone());
    let taker = Builder::new()
        .name("taker")
        .spawn(move || {
            s2.acquire();
            // Released by MainThread meanwhile: this thread no longer holds it.
            while s2.locked() {
                std::thread::yield_now();
            }
            let _m = m2.lock();
        })
        .unwrap();
    while !signal.locked() {
        std::thread::yield_now();
    }
    signal.release().unwrap();
    within("taker", Duration::from_secs(30), move || {
        taker.join().unwrap()
    });
    on_thread("m then signal", move || {
        let _m = m.lock();
        signal.acquire();
        signal.release().unwrap();
    });
    assert!(
        collected().is_empty(),
        "signal was not held when m was taken"
    );
}

fn random_acquisitions_in_one_order_are_never_reported() {
    collected();
    let locks: Arc<Vec<Mutex<u32>>> = Arc::new(
        (0..10)
            .map(|i| Mutex::named(format!("rand-{i}"), 0))
            .collect(),
    );
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let locks = locks.clone();
            potok::spawn(move || {
                let mut x = 0x2545_F491_4F6C_DD1D_u64 ^ (t + 1);
                for _ in 0..250 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // A random subset, always taken in increasing order.
                    let mut guards = Vec::new();
                    for (i, l) in locks.iter().enumerate() {
                        if x >> i & 1 == 1 {
                            guards.push(l.lock());
                        }
                    }
                    for g in &mut guards {
                        **g += 1;
                    }
                }
            })
        })
        .collect();
    within("random", Duration::from_secs(60), move || {
        threads.into_iter().for_each(|t| t.join().unwrap())
    });
    assert!(
        collected().is_empty(),
        "1,000 acquisitions in one order: no report"
    );
}

fn panic_policy_fails_before_taking_the_lock() {
    collected();
    potok::deadlock::set_lock_order_policy(potok::deadlock::LockOrderPolicy::Panic);
    let a = Arc::new(Mutex::named("pan-a", ()));
    let b = Arc::new(Mutex::named("pan-b", ()));
    {
        let _a = a.lock();
        let _b = b.lock();
    }
    let caught = {
        let _b = b.lock();
        panic::catch_unwind(AssertUnwindSafe(|| drop(a.lock())))
    };
    potok::deadlock::set_lock_order_policy(potok::deadlock::LockOrderPolicy::Warn);
    let payload = caught.expect_err("the inversion panics");
    let v = payload
        .downcast::<LockOrderViolation>()
        .expect("with the violation");
    assert_eq!(v.edges()[0].taken(), "Mutex 'pan-a'");
    assert!(!a.is_locked(), "the lock was not taken");
    // The stack is consistent afterwards: the same order as before is fine.
    let _a = a.lock();
    let _b = b.lock();
    assert!(collected().is_empty());
}

fn unnamed_locks_are_classed_by_creation_site() {
    collected();
    let make = || Mutex::new(()); // one site: one class for every lock made here
    let x = make();
    let y = Mutex::new(());
    {
        let _x = x.lock();
        let _y = y.lock();
    }
    {
        let _y = y.lock();
        let _x = x.lock();
    }
    let seen = collected();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let text = seen[0].to_string();
    assert!(text.contains("(made at "), "{text}");
    assert!(text.contains(file!()), "{text}");
}

fn rwlock_read_and_write_are_acquisitions() {
    collected();
    let rw = Arc::new(RwLock::named("rw-config", 0));
    let m = Arc::new(Mutex::named("rw-m", ()));
    let (rw2, m2) = (rw.clone(), m.clone());
    // A reader that takes the Mutex inside its read...
    on_thread("reader", move || {
        let _r = rw2.read();
        let _m = m2.lock();
    });
    assert!(collected().is_empty(), "one order is no inversion");
    // ...and a writer that writes inside the Mutex: the orders are inverted.
    on_thread("writer", move || {
        let _m = m.lock();
        let mut w = rw.write();
        *w += 1;
    });
    let seen = collected();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let text = seen[0].to_string();
    assert!(
        text.starts_with(
            "potential deadlock: lock order inverted (Mutex 'rw-m' -> RwLock 'rw-config' -> Mutex 'rw-m')"
        ),
        "{text}"
    );
    let (new, old) = (&seen[0].edges()[0], &seen[0].edges()[1]);
    assert_eq!((new.thread(), old.thread()), ("writer", "reader"));
    assert!(new.taken_at().contains("lock_order.rs"), "{new}");
    // Two reads in the two orders are an inversion too: a reader queues behind a waiting
    // writer, so it can wait forever.
    let a = Arc::new(RwLock::named("rw-a", ()));
    let b = Arc::new(RwLock::named("rw-b", ()));
    let (a2, b2) = (a.clone(), b.clone());
    on_thread("reads a then b", move || {
        let _a = a2.read();
        let _b = b2.read();
    });
    on_thread("reads b then a", move || {
        let _b = b.read();
        let _a = a.read();
    });
    assert_eq!(collected().len(), 1);
}

fn rwlock_read_inside_read_is_no_inversion() {
    collected();
    let rw = Arc::new(RwLock::named("rw-nested", ()));
    let m = Arc::new(Mutex::named("rw-nested-m", ()));
    let rw2 = rw.clone();
    on_thread("nested reader", move || {
        let _outer = rw2.read();
        let _m = m.lock();
        // A recursive read never waits (not even behind a waiting writer): taking it under the
        // Mutex is no Mutex -> RwLock edge, so nothing closes rw -> m -> rw.
        let _inner = rw2.read();
        drop(_inner);
        drop(_m);
        drop(_outer);
    });
    assert!(collected().is_empty());
    // The recursion left the stack as it was: the lock is free and not held by the thread.
    assert!(!rw.is_locked());
}

fn rwlock_try_and_timed_add_no_edges() {
    collected();
    let rw = Arc::new(RwLock::named("rw-try", ()));
    let m = Arc::new(Mutex::named("rw-try-m", ()));
    let (rw2, m2) = (rw.clone(), m.clone());
    on_thread("tries", move || {
        let _m = m2.lock();
        let _w = rw2.try_write().expect("free");
        drop(_w);
        let _r = rw2.try_read().expect("free");
        drop(_r);
        let _t = rw2.write_timeout(Duration::from_secs(5)).expect("free");
        drop(_t);
        let _t = rw2.read_timeout(Duration::from_secs(5)).expect("free");
    });
    on_thread("other order", move || {
        let _w = rw.write();
        let _m = m.lock();
    });
    assert!(collected().is_empty());
}

fn main() -> ExitCode {
    support::run([
        case!(on_by_default_in_debug_builds),
        case!(abba_never_hung_but_inverted),
        case!(three_lock_cycle_over_time),
        case!(rlock_recursion_is_no_inversion),
        case!(condition_waits_release_and_retake),
        case!(try_locks_add_no_edges),
        case!(lock_released_by_another_thread_is_not_held),
        case!(random_acquisitions_in_one_order_are_never_reported),
        case!(panic_policy_fails_before_taking_the_lock),
        case!(unnamed_locks_are_classed_by_creation_site),
        case!(rwlock_read_and_write_are_acquisitions),
        case!(rwlock_read_inside_read_is_no_inversion),
        case!(rwlock_try_and_timed_add_no_edges),
    ])
}
