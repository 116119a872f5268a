//! Locks and signals: potok beside std and parking_lot in the same run.
//!
//! - `uncontended`: acquire + release with nobody else around: potok `Lock` (acquire/release
//!   and the guard), potok `Mutex`, `RLock`, beside `std::sync::Mutex` and
//!   `parking_lot::Mutex` (target: potok ≤ 1.5× parking_lot, deadlock detection on).
//! - `lock_order`: lock-order checking off and on, a `Mutex` alone and taken inside another
//!   (targets: off ≤ 1.15× parking_lot, on ≤ 2×).
//! - `counter_2_threads`: two threads incrementing one counter under the lock; time per
//!   increment (target: potok's throughput ≥ 0.8× parking_lot's, i.e. time ≤ 1.25×).
//! - `ping_pong`: a round trip between two threads, potok `Event` pair and `Condition`
//!   beside std `Mutex` + `Condvar`. Dominated by waking the other CPU on this VM.
//! - `detection_latency`: from the block that closes an ABBA cycle (or completes a stall) to
//!   the `DeadlockError` in the failing thread (target < 1 ms). Reports are not printed
//!   (`set_print_reports(false)`).
//!
//! Run: `cargo bench -p potok --bench sync`; `python3 bench/ratios.py uncontended counter
//! ping_pong detection` prints the ratios; `python3 bench/python/sync.py` measures the same
//! workloads in CPython.

use std::hint::black_box;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("uncontended");
    let std_mutex = std::sync::Mutex::new(0_u64);
    group.bench_function("std_mutex", |b| {
        b.iter(|| *black_box(&std_mutex).lock().unwrap() += 1)
    });
    let pl_mutex = parking_lot::Mutex::new(0_u64);
    group.bench_function("parking_lot_mutex", |b| {
        b.iter(|| *black_box(&pl_mutex).lock() += 1)
    });
    let mutex = potok::Mutex::new(0_u64);
    drop(mutex.lock()); // the first call binds the thread's ident
    group.bench_function("potok_mutex", |b| b.iter(|| *black_box(&mutex).lock() += 1));
    let lock = potok::Lock::new();
    group.bench_function("potok_lock", |b| {
        b.iter(|| {
            let lock = black_box(&lock);
            lock.acquire();
            lock.release().unwrap();
        })
    });
    group.bench_function("potok_lock_guard", |b| {
        b.iter(|| drop(black_box(&lock).lock()))
    });
    let rlock = potok::RLock::new();
    group.bench_function("potok_rlock", |b| b.iter(|| drop(black_box(&rlock).lock())));
    group.finish();
}

/// Lock-order checking's cost, uncontended: a `Mutex` alone, and an inner `Mutex` taken while
/// an outer one is held (one known edge to look up), with checking off and on, beside
/// parking_lot doing the same.
fn lock_order(c: &mut Criterion) {
    let mut group = c.benchmark_group("lock_order");
    let pl = parking_lot::Mutex::new(0_u64);
    let pl_outer = parking_lot::Mutex::new(());
    group.bench_function("parking_lot_mutex", |b| {
        b.iter(|| *black_box(&pl).lock() += 1)
    });
    group.bench_function("parking_lot_nested", |b| {
        let _outer = pl_outer.lock();
        b.iter(|| *black_box(&pl).lock() += 1)
    });
    let mutex = potok::Mutex::named("bench-inner", 0_u64);
    let outer = potok::Mutex::named("bench-outer", ());
    for (on, label) in [(false, "off"), (true, "on")] {
        potok::deadlock::set_lock_order_check(on);
        drop(mutex.lock());
        group.bench_function(format!("potok_mutex_{label}"), |b| {
            b.iter(|| *black_box(&mutex).lock() += 1)
        });
        group.bench_function(format!("potok_nested_{label}"), |b| {
            let _outer = outer.lock();
            b.iter(|| *black_box(&mutex).lock() += 1)
        });
    }
    potok::deadlock::set_lock_order_check(false);
    group.finish();
}

/// Two threads each doing `iters / 2` increments under `lock_and_add`; returns the wall time.
fn two_threads(iters: u64, add: impl Fn() + Send + Sync + 'static) -> Duration {
    let add = Arc::new(add);
    let go = Arc::new(std::sync::Barrier::new(3));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (add, go) = (Arc::clone(&add), Arc::clone(&go));
            std::thread::spawn(move || {
                go.wait();
                for _ in 0..iters / 2 {
                    add();
                }
            })
        })
        .collect();
    go.wait();
    let start = Instant::now();
    for w in workers {
        w.join().unwrap();
    }
    start.elapsed()
}

fn counter_2_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("counter_2_threads");
    group.bench_function("std_mutex", |b| {
        b.iter_custom(|iters| {
            let m = Arc::new(std::sync::Mutex::new(0_u64));
            two_threads(iters, move || *m.lock().unwrap() += 1)
        })
    });
    group.bench_function("parking_lot_mutex", |b| {
        b.iter_custom(|iters| {
            let m = Arc::new(parking_lot::Mutex::new(0_u64));
            two_threads(iters, move || *m.lock() += 1)
        })
    });
    group.bench_function("potok_mutex", |b| {
        b.iter_custom(|iters| {
            let m = Arc::new(potok::Mutex::new(0_u64));
            two_threads(iters, move || *m.lock() += 1)
        })
    });
    group.finish();
}

/// Runs `rounds` round trips: `ping` hands the turn to a partner thread running `pong`.
fn round_trips(rounds: u64, ping: impl Fn(), pong: impl Fn() + Send + 'static) -> Duration {
    let partner = std::thread::spawn(move || {
        for _ in 0..rounds {
            pong();
        }
    });
    let start = Instant::now();
    for _ in 0..rounds {
        ping();
    }
    let elapsed = start.elapsed();
    partner.join().unwrap();
    elapsed
}

fn ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("ping_pong");
    group.bench_function("std_condvar", |b| {
        b.iter_custom(|rounds| {
            // true: the partner's turn.
            let shared = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
            let other = Arc::clone(&shared);
            round_trips(
                rounds,
                move || {
                    let (m, cv) = &*shared;
                    let mut turn = m.lock().unwrap();
                    *turn = true;
                    cv.notify_one();
                    while *turn {
                        turn = cv.wait(turn).unwrap();
                    }
                },
                move || {
                    let (m, cv) = &*other;
                    let mut turn = m.lock().unwrap();
                    while !*turn {
                        turn = cv.wait(turn).unwrap();
                    }
                    *turn = false;
                    cv.notify_one();
                },
            )
        })
    });
    group.bench_function("potok_condition", |b| {
        b.iter_custom(|rounds| {
            let cv = Arc::new(potok::Condition::new());
            let turn = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let (cv2, turn2) = (Arc::clone(&cv), Arc::clone(&turn));
            use std::sync::atomic::Ordering::SeqCst;
            round_trips(
                rounds,
                move || {
                    let mut g = cv.lock();
                    turn.store(true, SeqCst);
                    g.notify(1);
                    g.wait_for(|| !turn.load(SeqCst));
                },
                move || {
                    let mut g = cv2.lock();
                    g.wait_for(|| turn2.load(SeqCst));
                    turn2.store(false, SeqCst);
                    g.notify(1);
                },
            )
        })
    });
    group.bench_function("potok_event", |b| {
        b.iter_custom(|rounds| {
            let ping = Arc::new(potok::Event::new());
            let pong = Arc::new(potok::Event::new());
            let (ping2, pong2) = (Arc::clone(&ping), Arc::clone(&pong));
            round_trips(
                rounds,
                move || {
                    ping.set();
                    pong.wait();
                    pong.clear();
                },
                move || {
                    ping2.wait();
                    ping2.clear();
                    pong2.set();
                },
            )
        })
    });
    group.finish();
}

/// One ABBA deadlock: the time from the block that closes the cycle to the error in the
/// thread that closed it.
fn abba_latency() -> Duration {
    let a = Arc::new(potok::Mutex::new(()));
    let b = Arc::new(potok::Mutex::new(()));
    let both = Arc::new(potok::Barrier::new(2));
    let side =
        |first: Arc<potok::Mutex<()>>, second: Arc<potok::Mutex<()>>, both: Arc<potok::Barrier>| {
            potok::spawn(move || {
                let _first = first.lock();
                both.wait().unwrap();
                let blocked_at = Instant::now();
                match panic::catch_unwind(AssertUnwindSafe(|| drop(second.lock()))) {
                    Ok(()) => None,
                    Err(_) => Some(blocked_at.elapsed()),
                }
            })
        };
    let x = side(Arc::clone(&a), Arc::clone(&b), Arc::clone(&both));
    let y = side(b, a, both);
    let (x, y) = (x.join().unwrap(), y.join().unwrap());
    x.or(y).expect("one side closes the cycle")
}

/// One stall: a thread waits for an Event nobody sets while the caller joins it; the time
/// from its wait to its error.
fn stall_latency() -> Duration {
    let never = Arc::new(potok::Event::new());
    let waiter = potok::spawn(move || {
        let blocked_at = Instant::now();
        let caught = panic::catch_unwind(AssertUnwindSafe(|| never.wait()));
        assert!(caught.is_err(), "the wait must fail");
        blocked_at.elapsed()
    });
    waiter.join().unwrap()
}

fn detection_latency(c: &mut Criterion) {
    potok::deadlock::set_print_reports(false);
    potok::set_excepthook(|_| {});
    potok::current_thread(); // this thread takes part (it joins)
    let mut group = c.benchmark_group("detection_latency");
    group.bench_function("potok_cycle_abba", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| abba_latency()).sum())
    });
    group.bench_function("potok_stall_event", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| stall_latency()).sum())
    });
    group.finish();
    potok::reset_excepthook();
    potok::deadlock::set_print_reports(true);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    targets = uncontended, lock_order, counter_2_threads, ping_pong, detection_latency
}
criterion_main!(benches);
