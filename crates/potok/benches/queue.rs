//! Queue throughput: potok's queues beside crossbeam-channel, flume and std::sync::mpsc, in the
//! same run (compare ratios taken in one run, never absolute figures across runs: BENCHMARKS.md).
//!
//! Workloads (items are `u64`, `ITEMS` per iteration, threads started per iteration):
//! - `queue_spsc_*`: one producer, one consumer;
//! - `queue_mpmc2x2_*`: two producers, two consumers (std's mpsc has one receiver: it sits out);
//! - `bounded1024` and `unbounded` for each;
//! - `*_potok_threads`: potok's queue and crossbeam-channel with the producers and consumers on
//!   potok threads (`potok::scope`: registered, named, deadlock-checked) instead of std ones;
//! - `queue_task_done_mpmc2x2_unbounded`: consumers call `task_done` on every item and the main
//!   thread `join`s;
//! - `queue_priority_1x1`, `_2x2`: `PriorityQueue` beside a `Mutex<BinaryHeap>` + `Condvar`.
//!
//! CPython's side: `python3 bench/python/queue_bench.py`; ratios: `python3 bench/ratios.py queue_`.
//!
//! `potok_lifo` runs the same core with a `Vec` under a `parking_lot::Mutex` as storage: it is the
//! measured alternative to the lock-free FIFO storage `Queue` uses.
//!
//! On a 2-CPU machine a 2×2 run has four threads on two CPUs: it measures hand-offs under
//! preemption as much as the queue itself. The same is true of the peers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ITEMS: u64 = 100_000;

/// One way to move items from producers to consumers, run with `producers` × `consumers`
/// threads; returns the sum the consumers saw (checked against the expected one).
trait Channel: Sized {
    fn run(bound: usize, producers: u64, consumers: u64) -> u64;
}

fn expected_sum() -> u64 {
    ITEMS * (ITEMS - 1) / 2
}

/// Items `0..ITEMS` split among `producers` threads.
fn share(p: u64, producers: u64) -> impl Iterator<Item = u64> {
    (0..ITEMS).filter(move |i| i % producers == p)
}

/// A potok queue type; with `$task_done`, consumers call `task_done` on every item and the
/// main thread `join`s before shutting the queue down.
macro_rules! potok_queue {
    ($name:ident, $queue:ty, $task_done:literal) => {
        potok_queue!($name, $queue, $task_done, thread::scope);
    };
    ($name:ident, $queue:ty, $task_done:literal, $scope:path) => {
        struct $name;
        impl Channel for $name {
            fn run(bound: usize, producers: u64, consumers: u64) -> u64 {
                let q = <$queue>::new(bound);
                $scope(|s| {
                    let takers: Vec<_> = (0..consumers)
                        .map(|_| {
                            let q = q.clone();
                            s.spawn(move || {
                                let mut sum = 0;
                                for i in &q {
                                    sum += i;
                                    if $task_done {
                                        q.task_done().unwrap();
                                    }
                                }
                                sum
                            })
                        })
                        .collect();
                    let makers: Vec<_> = (0..producers)
                        .map(|p| {
                            let q = q.clone();
                            s.spawn(move || share(p, producers).for_each(|i| q.put(i).unwrap()))
                        })
                        .collect();
                    makers.into_iter().for_each(|m| m.join().unwrap());
                    if $task_done {
                        q.join();
                        assert_eq!(q.qsize(), 0);
                    }
                    q.shutdown(false);
                    takers.into_iter().map(|t| t.join().unwrap()).sum()
                })
            }
        }
    };
}

potok_queue!(PotokQueue, potok::Queue<u64>, false);
potok_queue!(PotokQueueTaskDone, potok::Queue<u64>, true);
potok_queue!(PotokLifo, potok::LifoQueue<u64>, false);
potok_queue!(PotokPriority, potok::PriorityQueue<u64>, false);
// The same, between potok threads (registered, named, deadlock-checked: the usual case).
potok_queue!(PotokQueueOnPotok, potok::Queue<u64>, false, potok::scope);

/// potok's `SimpleQueue` (unbounded, no task counting: Python's `queue.SimpleQueue`); each
/// consumer stops at a sentinel the main thread puts once the producers are done.
struct PotokSimple;
impl Channel for PotokSimple {
    fn run(_bound: usize, producers: u64, consumers: u64) -> u64 {
        let q = potok::SimpleQueue::new();
        thread::scope(|s| {
            let takers: Vec<_> = (0..consumers)
                .map(|_| {
                    let q = q.clone();
                    s.spawn(move || {
                        let mut sum = 0;
                        loop {
                            match q.get() {
                                u64::MAX => return sum,
                                i => sum += i,
                            }
                        }
                    })
                })
                .collect();
            let makers: Vec<_> = (0..producers)
                .map(|p| {
                    let q = q.clone();
                    s.spawn(move || share(p, producers).for_each(|i| q.put(i)))
                })
                .collect();
            makers.into_iter().for_each(|m| m.join().unwrap());
            (0..consumers).for_each(|_| q.put(u64::MAX));
            takers.into_iter().map(|t| t.join().unwrap()).sum()
        })
    }
}

/// A channel crate with `bounded(n)`, `unbounded()`, `send` and a receiver `iter()` that ends
/// when every sender is gone (crossbeam-channel and flume share this shape).
macro_rules! channel_peer {
    ($name:ident, $krate:ident) => {
        channel_peer!($name, $krate, thread::scope);
    };
    ($name:ident, $krate:ident, $scope:path) => {
        struct $name;
        impl Channel for $name {
            fn run(bound: usize, producers: u64, consumers: u64) -> u64 {
                let (tx, rx) = match bound {
                    0 => $krate::unbounded(),
                    n => $krate::bounded(n),
                };
                $scope(|s| {
                    let takers: Vec<_> = (0..consumers)
                        .map(|_| {
                            let rx = rx.clone();
                            s.spawn(move || rx.iter().sum::<u64>())
                        })
                        .collect();
                    for p in 0..producers {
                        let tx = tx.clone();
                        s.spawn(move || share(p, producers).for_each(|i| tx.send(i).unwrap()));
                    }
                    drop(tx);
                    takers.into_iter().map(|t| t.join().unwrap()).sum()
                })
            }
        }
    };
}

channel_peer!(Crossbeam, crossbeam_channel);
channel_peer!(Flume, flume);
channel_peer!(CrossbeamOnPotok, crossbeam_channel, potok::scope);

/// std::sync::mpsc: one consumer only.
struct StdMpsc;
impl Channel for StdMpsc {
    fn run(bound: usize, producers: u64, consumers: u64) -> u64 {
        assert_eq!(consumers, 1, "std::sync::mpsc has one receiver");
        thread::scope(|s| {
            if bound == 0 {
                let (tx, rx) = std::sync::mpsc::channel();
                for p in 0..producers {
                    let tx = tx.clone();
                    s.spawn(move || share(p, producers).for_each(|i| tx.send(i).unwrap()));
                }
                drop(tx);
                rx.iter().sum()
            } else {
                let (tx, rx) = std::sync::mpsc::sync_channel(bound);
                for p in 0..producers {
                    let tx = tx.clone();
                    s.spawn(move || share(p, producers).for_each(|i| tx.send(i).unwrap()));
                }
                drop(tx);
                rx.iter().sum()
            }
        })
    }
}

/// The textbook priority queue: a heap under a std Mutex, a Condvar for "not empty", and a
/// closed flag to end the consumers.
struct HeapCondvar;
impl Channel for HeapCondvar {
    fn run(_bound: usize, producers: u64, consumers: u64) -> u64 {
        type Shared = (Mutex<(BinaryHeap<Reverse<u64>>, bool)>, Condvar);
        let shared: Arc<Shared> =
            Arc::new((Mutex::new((BinaryHeap::new(), false)), Condvar::new()));
        thread::scope(|s| {
            let takers: Vec<_> = (0..consumers)
                .map(|_| {
                    let shared = &shared;
                    s.spawn(move || {
                        let mut sum = 0;
                        let mut state = shared.0.lock().unwrap();
                        loop {
                            if let Some(Reverse(i)) = state.0.pop() {
                                sum += i;
                            } else if state.1 {
                                return sum;
                            } else {
                                state = shared.1.wait(state).unwrap();
                            }
                        }
                    })
                })
                .collect();
            let makers: Vec<_> = (0..producers)
                .map(|p| {
                    let shared = &shared;
                    s.spawn(move || {
                        for i in share(p, producers) {
                            shared.0.lock().unwrap().0.push(Reverse(i));
                            shared.1.notify_one();
                        }
                    })
                })
                .collect();
            makers.into_iter().for_each(|m| m.join().unwrap());
            shared.0.lock().unwrap().1 = true;
            shared.1.notify_all();
            takers.into_iter().map(|t| t.join().unwrap()).sum()
        })
    }
}

fn bench_workload(c: &mut Criterion, group: &str, bound: usize, producers: u64, consumers: u64) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(ITEMS));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    let check = |sum: u64| assert_eq!(sum, expected_sum());
    g.bench_function("potok_queue", |b| {
        b.iter(|| check(PotokQueue::run(bound, producers, consumers)))
    });
    g.bench_function("potok_lifo", |b| {
        b.iter(|| check(PotokLifo::run(bound, producers, consumers)))
    });
    g.bench_function("crossbeam_channel", |b| {
        b.iter(|| check(Crossbeam::run(bound, producers, consumers)))
    });
    g.bench_function("potok_queue_potok_threads", |b| {
        b.iter(|| check(PotokQueueOnPotok::run(bound, producers, consumers)))
    });
    g.bench_function("crossbeam_channel_potok_threads", |b| {
        b.iter(|| check(CrossbeamOnPotok::run(bound, producers, consumers)))
    });
    g.bench_function("flume", |b| {
        b.iter(|| check(Flume::run(bound, producers, consumers)))
    });
    if bound == 0 {
        g.bench_function("potok_simple_queue", |b| {
            b.iter(|| check(PotokSimple::run(bound, producers, consumers)))
        });
    }
    if consumers == 1 {
        g.bench_function("std_mpsc", |b| {
            b.iter(|| check(StdMpsc::run(bound, producers, consumers)))
        });
    }
    g.finish();
}

fn queues(c: &mut Criterion) {
    bench_workload(c, "queue_spsc_bounded1024", 1024, 1, 1);
    bench_workload(c, "queue_spsc_unbounded", 0, 1, 1);
    bench_workload(c, "queue_mpmc2x2_bounded1024", 1024, 2, 2);
    bench_workload(c, "queue_mpmc2x2_unbounded", 0, 2, 2);
}

fn priority(c: &mut Criterion) {
    for (producers, consumers) in [(1, 1), (2, 2)] {
        let mut g = c.benchmark_group(format!("queue_priority_{producers}x{consumers}"));
        g.throughput(Throughput::Elements(ITEMS));
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
        g.bench_function("potok_priority", |b| {
            b.iter(|| assert_eq!(PotokPriority::run(0, producers, consumers), expected_sum()))
        });
        g.bench_function("mutex_heap_condvar", |b| {
            b.iter(|| assert_eq!(HeapCondvar::run(0, producers, consumers), expected_sum()))
        });
        g.finish();
    }
}

/// The reference peer for task tracking (BENCHMARKS.md, "Reference figures"): crossbeam-channel
/// (unbounded) plus a cache-padded counter of items done; the main thread "joins" by yielding
/// until every item is done.
fn crossbeam_with_counters(producers: u64, consumers: u64) -> u64 {
    let (tx, rx) = crossbeam_channel::unbounded::<u64>();
    let done = crossbeam_utils::CachePadded::new(std::sync::atomic::AtomicU64::new(0));
    thread::scope(|s| {
        let takers: Vec<_> = (0..consumers)
            .map(|_| {
                let (rx, done) = (rx.clone(), &done);
                s.spawn(move || {
                    let mut sum = 0;
                    for i in rx {
                        sum += i;
                        done.fetch_add(1, std::sync::atomic::Ordering::Release);
                    }
                    sum
                })
            })
            .collect();
        for p in 0..producers {
            let tx = tx.clone();
            s.spawn(move || share(p, producers).for_each(|i| tx.send(i).unwrap()));
        }
        drop(tx);
        while done.load(std::sync::atomic::Ordering::Acquire) < ITEMS {
            thread::yield_now();
        }
        takers.into_iter().map(|t| t.join().unwrap()).sum()
    })
}

fn task_done(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue_task_done_mpmc2x2_unbounded");
    g.throughput(Throughput::Elements(ITEMS));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.bench_function("potok_queue_task_done_join", |b| {
        b.iter(|| assert_eq!(PotokQueueTaskDone::run(0, 2, 2), expected_sum()))
    });
    g.bench_function("crossbeam_channel_no_tracking", |b| {
        b.iter(|| assert_eq!(Crossbeam::run(0, 2, 2), expected_sum()))
    });
    g.bench_function("crossbeam_channel_padded_counters", |b| {
        b.iter(|| assert_eq!(crossbeam_with_counters(2, 2), expected_sum()))
    });
    g.finish();
}

/// Round trips of one item between two threads through two queues bounded at 1: nearly every
/// get sleeps and every put wakes the other thread, so this measures the sleep/wake path (on
/// this VM, dominated by waking the other CPU: see BENCHMARKS.md, "Reference figures").
fn ping_pong(c: &mut Criterion) {
    const TRIPS: u32 = 10_000;
    let mut g = c.benchmark_group("queue_pingpong");
    g.throughput(Throughput::Elements(u64::from(TRIPS)));
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.bench_function("potok_queue", |b| {
        b.iter(|| {
            let (ping, pong) = (potok::Queue::new(1), potok::Queue::new(1));
            thread::scope(|s| {
                s.spawn(|| {
                    for ball in &ping {
                        pong.put(ball + 1).unwrap();
                    }
                });
                let mut ball = 0u32;
                for _ in 0..TRIPS {
                    ping.put(ball).unwrap();
                    ball = pong.get().unwrap();
                }
                ping.shutdown(false);
                assert_eq!(ball, TRIPS);
            });
        })
    });
    g.bench_function("crossbeam_channel", |b| {
        b.iter(|| {
            let (ping_tx, ping_rx) = crossbeam_channel::bounded::<u32>(1);
            let (pong_tx, pong_rx) = crossbeam_channel::bounded::<u32>(1);
            thread::scope(|s| {
                s.spawn(move || {
                    for ball in ping_rx {
                        pong_tx.send(ball + 1).unwrap();
                    }
                });
                let mut ball = 0u32;
                for _ in 0..TRIPS {
                    ping_tx.send(ball).unwrap();
                    ball = pong_rx.recv().unwrap();
                }
                drop(ping_tx);
                assert_eq!(ball, TRIPS);
            });
        })
    });
    g.finish();
}

criterion_group!(benches, queues, task_done, priority, ping_pong);
criterion_main!(benches);
