//! Stress tests of the queues under real contention: nothing lost, nothing twice, bounds kept,
//! counters consistent, no hang. Every scenario runs under a watchdog ([`within`]); none uses a
//! sleep to synchronise.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use potok::{GetTimeoutError, PutError, Queue};

mod support;

/// A hang fails the test instead of hanging the suite.
const WATCHDOG: Duration = Duration::from_secs(120);

fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    support::within(what, WATCHDOG, f)
}

/// 4 producers × 4 consumers move 1,000,000 items through a queue bounded at 64: every item is
/// received exactly once (a seen-bitmap, the count and a checksum), the queue is never seen
/// holding more than 64, and `join` returns only after the last `task_done`.
#[test]
fn four_by_four_million_items_through_64_slots() {
    items_exactly_once("4x4 stress", 1_000_000, 4, 4, 64);
}

/// The same through a bound above the preallocated ring's limit (the segmented store with a
/// slot count): every item once, never above maxsize. Regression companion for getters that
/// spun on slots whose items had not landed yet.
#[test]
fn two_by_two_through_a_large_bound() {
    items_exactly_once("2x2 large bound", 400_000, 2, 2, 100_000);
}

/// The same through an unbounded queue (potok's own list of blocks, `queue/list.rs`): every
/// item exactly once, in blocks freed while the other side runs.
#[test]
fn two_by_two_unbounded_through_the_block_list() {
    items_exactly_once("2x2 unbounded", 400_000, 2, 2, 0);
}

/// Items left in an unbounded queue, partly taken by racing consumers, are dropped with the
/// queue: none leaks and none is dropped twice (each holds an `Arc`, counted at the end).
#[test]
fn items_left_in_an_unbounded_queue_are_dropped_with_it() {
    within("unbounded drop", || {
        let item = Arc::new(());
        let q = Queue::new(0);
        let producers: Vec<_> = (0..2)
            .map(|_| {
                let (q, item) = (q.clone(), Arc::clone(&item));
                potok::spawn(move || (0..10_000).for_each(|_| q.put(Arc::clone(&item)).unwrap()))
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                potok::spawn(move || (0..7_000).for_each(|_| drop(q.get().unwrap())))
            })
            .collect();
        producers.into_iter().for_each(|p| p.join().unwrap());
        consumers.into_iter().for_each(|c| c.join().unwrap());
        assert_eq!(q.qsize(), 6_000);
        assert_eq!(Arc::strong_count(&item), 6_001);
        drop(q);
        assert_eq!(Arc::strong_count(&item), 1);
    });
}

/// `PRODUCERS` × `CONSUMERS` threads move `ITEMS` items through a queue bounded at `MAXSIZE`
/// (0: unbounded).
fn items_exactly_once(
    what: &'static str,
    items: usize,
    producers_n: usize,
    consumers_n: usize,
    maxsize: usize,
) {
    within(what, move || {
        let q = Queue::<usize>::named("stress", maxsize);
        let seen: Arc<Vec<AtomicBool>> =
            Arc::new((0..items).map(|_| AtomicBool::new(false)).collect());
        let processed = Arc::new(AtomicUsize::new(0));
        let checksum = Arc::new(AtomicU64::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let consumers: Vec<_> = (0..consumers_n)
            .map(|_| {
                let (q, seen, processed, checksum, max_seen) = (
                    q.clone(),
                    Arc::clone(&seen),
                    Arc::clone(&processed),
                    Arc::clone(&checksum),
                    Arc::clone(&max_seen),
                );
                potok::spawn(move || {
                    let mut sum = 0u64;
                    for (n, item) in q.iter().enumerate() {
                        assert!(
                            !seen[item].swap(true, Ordering::Relaxed),
                            "item {item} got twice"
                        );
                        sum = sum.wrapping_add((item as u64).wrapping_mul(2_654_435_761));
                        if n % 64 == 0 {
                            max_seen.fetch_max(q.qsize(), Ordering::Relaxed);
                        }
                        // Count before task_done, so join can be checked against it.
                        processed.fetch_add(1, Ordering::SeqCst);
                        q.task_done().unwrap();
                    }
                    checksum.fetch_add(sum, Ordering::Relaxed);
                })
            })
            .collect();
        let producers: Vec<_> = (0..producers_n)
            .map(|p| {
                let q = q.clone();
                potok::spawn(move || {
                    for item in (p..items).step_by(producers_n) {
                        q.put(item).unwrap();
                        if item % 1024 == 0 && maxsize > 0 {
                            assert!(q.qsize() <= maxsize);
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        q.join();
        assert_eq!(
            processed.load(Ordering::SeqCst),
            items,
            "join returned early"
        );
        assert_eq!(q.unfinished_tasks(), 0);
        assert_eq!(q.qsize(), 0);
        q.shutdown(false);
        for c in consumers {
            c.join().unwrap();
        }
        assert!(
            seen.iter().all(|s| s.load(Ordering::Relaxed)),
            "an item was lost"
        );
        let expected = (0..items as u64).fold(0u64, |sum, i| {
            sum.wrapping_add(i.wrapping_mul(2_654_435_761))
        });
        assert_eq!(checksum.load(Ordering::Relaxed), expected);
        assert!(maxsize == 0 || max_seen.load(Ordering::Relaxed) <= maxsize);
        assert_eq!(q.task_done(), Err(potok::TaskDoneError));
    });
}

/// A `get_timeout` that times out just as a `put` lands: the item is either returned by that
/// get or still in the queue, never lost, never both.
#[test]
fn no_item_lost_when_get_timeout_races_a_put() {
    const ROUNDS: usize = 2_000;
    within("get_timeout race", || {
        let q = Queue::new(1);
        let start = Arc::new(Barrier::new(2));
        let putter = {
            let q = q.clone();
            let start = Arc::clone(&start);
            potok::spawn(move || {
                for round in 0..ROUNDS {
                    start.wait();
                    // Vary the moment the put lands around the getter's deadline.
                    for _ in 0..(round % 50) * 20 {
                        std::hint::spin_loop();
                    }
                    q.put(round).unwrap();
                    start.wait();
                }
            })
        };
        let (mut got_by_get, mut left_in_queue) = (0, 0);
        for round in 0..ROUNDS {
            start.wait();
            let got = q.get_timeout(Duration::from_micros(20));
            start.wait(); // the put has landed
            match got {
                Ok(item) => {
                    assert_eq!(item, round);
                    got_by_get += 1;
                }
                Err(GetTimeoutError::Empty) => {
                    assert_eq!(q.try_get(), Ok(round), "the item was lost");
                    left_in_queue += 1;
                }
                Err(GetTimeoutError::ShutDown) => unreachable!(),
            }
            assert!(q.is_empty());
        }
        putter.join().unwrap();
        assert_eq!(got_by_get + left_in_queue, ROUNDS);
    });
}

/// `shutdown(true)` while producers and consumers race: every put either failed (item given
/// back), was got by a consumer, or was drained; `join` returns once the consumers' items are
/// done; nothing is left behind.
#[test]
fn shutdown_immediate_racing_producers_and_consumers() {
    for round in 0..20 {
        within("immediate shutdown race", move || {
            let q = Queue::new(if round % 2 == 0 { 8 } else { 0 });
            let put_ok = Arc::new(AtomicUsize::new(0));
            let got = Arc::new(AtomicUsize::new(0));
            let producers: Vec<_> = (0..2)
                .map(|_| {
                    let (q, put_ok) = (q.clone(), Arc::clone(&put_ok));
                    potok::spawn(move || {
                        let mut n = 0u64;
                        loop {
                            match q.put(n) {
                                Ok(()) => put_ok.fetch_add(1, Ordering::SeqCst),
                                Err(PutError::ShutDown(item)) => {
                                    assert_eq!(item, n);
                                    return;
                                }
                            };
                            n += 1;
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..2)
                .map(|_| {
                    let (q, got) = (q.clone(), Arc::clone(&got));
                    potok::spawn(move || {
                        for _ in &q {
                            got.fetch_add(1, Ordering::SeqCst);
                            q.task_done().unwrap();
                        }
                    })
                })
                .collect();
            // Let the traffic run until a few thousand items went through, then cut it.
            while got.load(Ordering::SeqCst) < 2_000 {
                std::thread::yield_now();
            }
            q.shutdown(true);
            producers.into_iter().for_each(|p| p.join().unwrap());
            consumers.into_iter().for_each(|c| c.join().unwrap());
            q.join();
            assert_eq!(q.qsize(), 0);
            assert_eq!(q.unfinished_tasks(), 0);
            assert!(got.load(Ordering::SeqCst) <= put_ok.load(Ordering::SeqCst));
        });
    }
}

/// Many putters blocked on a full queue, then `shutdown(false)`: each gets its own item back,
/// and the items in the queue are still there to be got.
#[test]
fn shutdown_hands_every_blocked_putter_its_item() {
    within("blocked putters", || {
        let q = Queue::new(2);
        let putters: Vec<_> = (0..8u32)
            .map(|i| {
                let q = q.clone();
                potok::spawn(move || q.put(i).err().map(PutError::into_inner))
            })
            .collect();
        // Two of them fit; wait until they have, then shut down on the six others.
        while q.qsize() < 2 {
            std::thread::yield_now();
        }
        q.shutdown(false);
        let mut returned: Vec<u32> = putters
            .into_iter()
            .filter_map(|p| p.join().unwrap())
            .collect();
        let mut stored: Vec<u32> = q.iter().collect();
        assert_eq!(returned.len(), 6);
        assert_eq!(stored.len(), 2);
        returned.append(&mut stored);
        returned.sort();
        assert_eq!(returned, (0..8).collect::<Vec<_>>());
    });
}

/// Bats a ball through `$ping` to an echo thread and back through `$pong`, `ROUNDS` times.
macro_rules! ping_pong {
    ($ping:expr, $pong:expr) => {{
        let (ping, pong) = ($ping, $pong);
        let echo = {
            let (ping, pong) = (ping.clone(), pong.clone());
            potok::spawn(move || {
                for ball in &ping {
                    pong.put(ball + 1).unwrap();
                }
            })
        };
        let mut ball = 0u32;
        for _ in 0..ROUNDS {
            ping.put(ball).unwrap();
            ball = pong.get().unwrap();
        }
        assert_eq!(ball, ROUNDS);
        ping.shutdown(false);
        echo.join().unwrap();
    }};
}

const ROUNDS: u32 = 20_000;

/// Two threads bat one item back and forth through two queues: nearly every get finds its
/// queue empty and goes to sleep, so a lost wake-up would hang here (and fail by the watchdog).
/// Every store: the ring (bounded), unbounded, bounded beyond the ring size, and the locked ones.
#[test]
fn ping_pong_never_loses_a_wake_up() {
    within("ping-pong", || {
        ping_pong!(Queue::new(1), Queue::new(1));
        ping_pong!(Queue::new(0), Queue::new(0));
        ping_pong!(Queue::new(100_000), Queue::new(100_000));
        ping_pong!(potok::LifoQueue::new(1), potok::PriorityQueue::new(1));
    });
}

/// Many rounds of "put a batch, join": every round's last `task_done` must wake the joiner.
#[test]
fn join_wakes_up_round_after_round() {
    within("join rounds", || {
        let q = Queue::new(16);
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                potok::spawn(move || {
                    for _ in &q {
                        q.task_done().unwrap();
                    }
                })
            })
            .collect();
        for round in 0..2_000u32 {
            for item in 0..(round % 7) {
                q.put(item).unwrap();
            }
            q.join();
            assert_eq!(q.unfinished_tasks(), 0);
        }
        q.shutdown(false);
        workers.into_iter().for_each(|w| w.join().unwrap());
    });
}

/// More producers and consumers than the task counts have stripes (8), so some threads count on
/// a stripe they own and some on the shared line, while a joiner joins in a loop: every `join`
/// sees the counts settle, `unfinished_tasks` never exceeds the items put, and at the end one
/// `task_done` too many is refused from every thread, exactly.
#[test]
fn task_counts_stay_exact_with_more_threads_than_stripes() {
    within("task counts", || {
        const THREADS: usize = 10;
        const EACH: usize = 5_000;
        let q = Queue::new(32);
        let put = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (q, put) = (q.clone(), Arc::clone(&put));
                potok::spawn(move || {
                    for i in 0..EACH {
                        q.put(i).unwrap();
                        put.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..THREADS)
            .map(|_| {
                let q = q.clone();
                potok::spawn(move || {
                    let mut n = 0;
                    for _ in &q {
                        q.task_done().unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let joiner = {
            let (q, put) = (q.clone(), Arc::clone(&put));
            potok::spawn(move || {
                let mut joins = 0;
                while put.load(Ordering::SeqCst) < THREADS * EACH {
                    // Items counted by `put` before the join are done when it returns.
                    let before = put.load(Ordering::SeqCst);
                    q.join();
                    assert!(q.unfinished_tasks() <= THREADS * EACH - before);
                    joins += 1;
                }
                joins
            })
        };
        producers.into_iter().for_each(|p| p.join().unwrap());
        q.join();
        assert_eq!(q.unfinished_tasks(), 0);
        assert!(joiner.join().unwrap() > 0);
        q.shutdown(false);
        let got: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
        assert_eq!(got, THREADS * EACH);
        // One call too many, from many threads at once: every one refused.
        let refused: Vec<_> = (0..THREADS)
            .map(|_| {
                let q = q.clone();
                potok::spawn(move || q.task_done().is_err())
            })
            .collect();
        assert!(refused.into_iter().all(|r| r.join().unwrap()));
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

/// Three producers and three consumers through one slot: nearly every put and get sleeps, and
/// each wake-up is handed to one sleeper, who leaves the waiter count to its waker. A lost
/// wake-up hangs (the watchdog fails it); a miscount shows as a lost or repeated item.
#[test]
fn many_sleepers_on_one_slot_all_wake() {
    within("3x3 through one slot", || {
        items_exactly_once_small(3, 3, 1, 30_000);
        items_exactly_once_small(3, 3, 2, 30_000);
    });
}

fn items_exactly_once_small(producers: u64, consumers: u64, maxsize: usize, items: u64) {
    let q = Queue::new(maxsize);
    let makers: Vec<_> = (0..producers)
        .map(|p| {
            let q = q.clone();
            potok::spawn(move || {
                (0..items)
                    .filter(|i| i % producers == p)
                    .for_each(|i| q.put(i).unwrap())
            })
        })
        .collect();
    let takers: Vec<_> = (0..consumers)
        .map(|_| {
            let q = q.clone();
            potok::spawn(move || q.iter().fold((0u64, 0u64), |(n, sum), i| (n + 1, sum + i)))
        })
        .collect();
    makers.into_iter().for_each(|m| m.join().unwrap());
    q.shutdown(false);
    let (n, sum) = takers
        .into_iter()
        .map(|t| t.join().unwrap())
        .fold((0, 0), |(n, s), (a, b)| (n + a, s + b));
    assert_eq!((n, sum), (items, items * (items - 1) / 2));
}
