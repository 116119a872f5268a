//! The behaviour of potok's queues, ported from CPython's `Lib/test/test_queue.py` (3.13,
//! `shutdown` included): the scenarios are CPython's, re-expressed in our own code (nothing was
//! copied). Order per kind, `maxsize` blocking and timeouts, Full/Empty, `task_done`/`join`,
//! one `task_done` too many, `shutdown` and `shutdown(immediate)` with blocked getters, putters
//! and joiners.
//!
//! No sleep is used to synchronise: where a test wants a thread to be blocked before it acts,
//! it waits until `potok::deadlock::snapshot()` shows the thread blocked on that queue
//! (`blocked`), so the test cannot pass without reaching the state its name claims.
//! Everything that could block runs under a watchdog (`within`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use potok::{
    EmptyError, GetError, GetTimeoutError, LifoQueue, PriorityQueue, PutError, PutTimeoutError,
    Queue, SimpleQueue, TaskDoneError, TryGetError, TryPutError,
};

mod support;

/// Generous bound on anything that should finish at once.
const WATCHDOG: Duration = Duration::from_secs(30);

fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    support::within(what, WATCHDOG, f)
}

use potok::deadlock::ResourceKind;
use support::{blocked, spawn_joiner};

/// The tests every task queue (`Queue`, `LifoQueue`, `PriorityQueue`) passes, with the order in
/// which 111, 333, 222 come out (CPython's `target_order`).
macro_rules! task_queue_tests {
    ($module:ident, $queue:ident, $order:expr) => {
        mod $module {
            use super::*;

            /// The kind deadlock reports and snapshots give this queue.
            const KIND: ResourceKind = ResourceKind::$queue;

            #[test]
            fn order_of_the_kind() {
                let q = $queue::new(0);
                for item in [111, 333, 222] {
                    q.put(item).unwrap();
                }
                let got: Vec<i32> = (0..3).map(|_| q.get().unwrap()).collect();
                assert_eq!(got, $order);
                assert!(q.is_empty());
            }

            #[test]
            fn sizes_empty_and_full() {
                let q = $queue::new(3);
                assert_eq!(q.maxsize(), 3);
                assert!(q.is_empty());
                assert!(!q.is_full());
                for (n, item) in [5, 6, 7].into_iter().enumerate() {
                    q.put(item).unwrap();
                    assert_eq!(q.qsize(), n + 1);
                }
                assert!(q.is_full());
                assert!(!q.is_empty());
                assert_eq!(q.try_put(8), Err(TryPutError::Full(8)));
                assert_eq!(q.qsize(), 3);
            }

            #[test]
            fn unbounded_is_never_full() {
                let q = $queue::default();
                assert_eq!(q.maxsize(), 0);
                for i in 0..10_000 {
                    q.try_put(i).unwrap();
                }
                assert!(!q.is_full());
                assert_eq!(q.qsize(), 10_000);
            }

            #[test]
            fn empty_get_nowait_and_timeout() {
                let q = $queue::<i32>::new(2);
                assert_eq!(q.try_get(), Err(TryGetError::Empty));
                let start = Instant::now();
                assert_eq!(
                    q.get_timeout(Duration::from_millis(50)),
                    Err(GetTimeoutError::Empty)
                );
                assert!(start.elapsed() >= Duration::from_millis(50));
                assert_eq!(q.get_timeout(Duration::ZERO), Err(GetTimeoutError::Empty));
            }

            #[test]
            fn full_put_nowait_and_timeout_give_the_item_back() {
                let q = $queue::new(1);
                q.put(1).unwrap();
                let start = Instant::now();
                let err = q.put_timeout(2, Duration::from_millis(50)).unwrap_err();
                assert!(start.elapsed() >= Duration::from_millis(50));
                assert_eq!(err, PutTimeoutError::Full(2));
                assert_eq!(err.into_inner(), 2);
                assert_eq!(
                    q.put_timeout(3, Duration::ZERO),
                    Err(PutTimeoutError::Full(3))
                );
                assert_eq!(q.try_put(4).unwrap_err().into_inner(), 4);
                assert_eq!(q.qsize(), 1);
            }

            #[test]
            fn blocked_put_proceeds_when_a_get_makes_room() {
                let q = $queue::new(1);
                q.put(1).unwrap();
                let putter = {
                    let q = q.clone();
                    potok::spawn(move || q.put(2))
                };
                blocked(putter.thread(), KIND, q.name());
                assert_eq!(
                    within("get", {
                        let q = q.clone();
                        move || q.get()
                    }),
                    Ok(1)
                );
                within("blocked put", move || putter.join().unwrap()).unwrap();
                assert_eq!(q.try_get(), Ok(2));
            }

            #[test]
            fn blocked_get_proceeds_when_a_put_lands() {
                let q = $queue::new(1);
                let getter = {
                    let q = q.clone();
                    potok::spawn(move || q.get())
                };
                blocked(getter.thread(), KIND, q.name());
                q.put(7).unwrap();
                assert_eq!(within("blocked get", move || getter.join().unwrap()), Ok(7));
            }

            #[test]
            fn put_timeout_succeeds_when_room_appears_in_time() {
                let q = $queue::new(1);
                q.put(1).unwrap();
                let putter = {
                    let q = q.clone();
                    potok::spawn(move || q.put_timeout(2, WATCHDOG))
                };
                blocked(putter.thread(), KIND, q.name());
                assert_eq!(q.get(), Ok(1));
                within("put_timeout", move || putter.join().unwrap()).unwrap();
                assert_eq!(q.get(), Ok(2));
            }

            #[test]
            fn task_done_too_many_times() {
                let q = $queue::<i32>::new(0);
                assert_eq!(q.task_done(), Err(TaskDoneError));
                q.put(1).unwrap();
                q.put(2).unwrap();
                assert_eq!(q.unfinished_tasks(), 2);
                q.get().unwrap();
                q.task_done().unwrap();
                // Python allows task_done for an item put but not yet got: only the count matters.
                q.task_done().unwrap();
                assert_eq!(q.task_done(), Err(TaskDoneError));
                assert_eq!(q.unfinished_tasks(), 0);
                q.join();
            }

            #[test]
            fn join_waits_for_every_task_done() {
                // CPython's queue_join_test: workers sum the items; join twice in a row.
                let q = $queue::new(0);
                let total = Arc::new(AtomicUsize::new(0));
                let workers: Vec<_> = (0..2)
                    .map(|_| {
                        let q = q.clone();
                        let total = Arc::clone(&total);
                        potok::spawn(move || {
                            for item in &q {
                                total.fetch_add(item, Ordering::SeqCst);
                                q.task_done().unwrap();
                            }
                        })
                    })
                    .collect();
                for round in 1..=2 {
                    for i in 0..100 {
                        q.put(i).unwrap();
                    }
                    within("join", {
                        let q = q.clone();
                        move || q.join()
                    });
                    assert_eq!(total.load(Ordering::SeqCst), round * 4950);
                    assert_eq!(q.unfinished_tasks(), 0);
                }
                q.shutdown(false);
                within("workers", move || {
                    workers.into_iter().for_each(|w| w.join().unwrap())
                });
            }

            #[test]
            fn join_on_a_fresh_queue_returns_at_once() {
                let q = $queue::<i32>::new(0);
                within("join", move || q.join());
            }

            #[test]
            fn shutdown_empty_queue() {
                let q = $queue::new(0);
                assert!(!q.is_shut_down());
                q.shutdown(false);
                assert!(q.is_shut_down());
                assert_eq!(q.put(1), Err(PutError::ShutDown(1)));
                assert_eq!(q.try_put(2), Err(TryPutError::ShutDown(2)));
                assert_eq!(
                    q.put_timeout(3, WATCHDOG),
                    Err(PutTimeoutError::ShutDown(3))
                );
                assert_eq!(q.get(), Err(GetError::ShutDown));
                assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
                assert_eq!(q.get_timeout(WATCHDOG), Err(GetTimeoutError::ShutDown));
            }

            #[test]
            fn shutdown_drains_what_is_left_then_fails() {
                let q = $queue::new(0);
                for item in [111, 333, 222] {
                    q.put(item).unwrap();
                }
                q.shutdown(false);
                assert_eq!(q.put(444), Err(PutError::ShutDown(444)));
                let got: Vec<i32> = q.iter().collect();
                assert_eq!(got, $order);
                assert_eq!(q.get(), Err(GetError::ShutDown));
                // The items were got, not done: join still waits for them.
                assert_eq!(q.unfinished_tasks(), 3);
                for _ in 0..3 {
                    q.task_done().unwrap();
                }
                q.join();
            }

            #[test]
            fn shutdown_immediate_empties_and_counts_items_done() {
                let q = $queue::new(0);
                for item in 0..5 {
                    q.put(item).unwrap();
                }
                q.get().unwrap(); // one item in a consumer's hands, not done
                q.shutdown(true);
                assert_eq!(q.qsize(), 0);
                assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
                assert_eq!(q.unfinished_tasks(), 1);
                q.task_done().unwrap();
                assert_eq!(q.task_done(), Err(TaskDoneError));
                within("join", move || q.join());
            }

            #[test]
            fn shutdown_transitions() {
                // shutdown(false) then shutdown(true): the second still empties the queue.
                let q = $queue::new(0);
                q.put(1).unwrap();
                q.shutdown(false);
                assert_eq!(q.qsize(), 1);
                q.shutdown(true);
                assert_eq!(q.qsize(), 0);
                // shutdown(true) then shutdown(false): stays shut down, stays empty.
                let q = $queue::new(0);
                q.put(1).unwrap();
                q.shutdown(true);
                q.shutdown(false);
                assert_eq!(q.put(2), Err(PutError::ShutDown(2)));
                assert_eq!(q.qsize(), 0);
                assert!(q.is_shut_down());
            }

            #[test]
            fn shutdown_wakes_blocked_getters() {
                for immediate in [false, true] {
                    let q = $queue::<i32>::new(0);
                    let getters: Vec<_> = (0..3)
                        .map(|_| {
                            let q = q.clone();
                            potok::spawn(move || q.get())
                        })
                        .collect();
                    let timed = {
                        let q = q.clone();
                        potok::spawn(move || q.get_timeout(WATCHDOG))
                    };
                    for t in getters.iter().map(|g| g.thread()).chain([timed.thread()]) {
                        blocked(t, KIND, q.name());
                    }
                    q.shutdown(immediate);
                    within("getters", move || {
                        for g in getters {
                            assert_eq!(g.join().unwrap(), Err(GetError::ShutDown));
                        }
                        assert_eq!(timed.join().unwrap(), Err(GetTimeoutError::ShutDown));
                    });
                }
            }

            #[test]
            fn shutdown_wakes_blocked_putters_with_their_items() {
                for immediate in [false, true] {
                    let q = $queue::new(1);
                    q.put(0).unwrap();
                    let putters: Vec<_> = (1..=3)
                        .map(|i| {
                            let q = q.clone();
                            potok::spawn(move || q.put(i))
                        })
                        .collect();
                    let timed = {
                        let q = q.clone();
                        potok::spawn(move || q.put_timeout(4, WATCHDOG))
                    };
                    for t in putters.iter().map(|p| p.thread()).chain([timed.thread()]) {
                        blocked(t, KIND, q.name());
                    }
                    q.shutdown(immediate);
                    within("putters", move || {
                        for (i, p) in (1..=3).zip(putters) {
                            assert_eq!(p.join().unwrap(), Err(PutError::ShutDown(i)));
                        }
                        assert_eq!(timed.join().unwrap(), Err(PutTimeoutError::ShutDown(4)));
                    });
                    assert_eq!(q.qsize(), if immediate { 0 } else { 1 });
                }
            }

            #[test]
            fn shutdown_immediate_releases_joiners() {
                let q = $queue::new(0);
                for item in 0..3 {
                    q.put(item).unwrap();
                }
                let joiners: Vec<_> = (0..2)
                    .map(|_| {
                        let q = q.clone();
                        potok::spawn(move || q.join())
                    })
                    .collect();
                for j in &joiners {
                    blocked(j.thread(), KIND, q.name());
                }
                q.shutdown(true);
                within("joiners", move || {
                    joiners.into_iter().for_each(|j| j.join().unwrap())
                });
            }

            #[test]
            fn shutdown_immediate_keeps_joiners_waiting_for_tasks_in_hand() {
                let q = $queue::new(0);
                q.put(1).unwrap();
                q.put(2).unwrap();
                let in_hand = q.get().unwrap();
                let (rx, joiner) = spawn_joiner({
                    let q = q.clone();
                    move || q.join()
                });
                blocked(joiner.thread(), KIND, q.name());
                q.shutdown(true);
                // The drained item counts as done; the one in hand does not, so join waits.
                assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
                blocked(joiner.thread(), KIND, q.name());
                let _ = in_hand;
                q.task_done().unwrap();
                within("joiner", move || joiner.join().unwrap());
            }

            #[test]
            fn shutdown_plain_does_not_release_joiners() {
                let q = $queue::new(0);
                q.put(1).unwrap();
                let (rx, joiner) = spawn_joiner({
                    let q = q.clone();
                    move || q.join()
                });
                blocked(joiner.thread(), KIND, q.name());
                q.shutdown(false);
                assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
                blocked(joiner.thread(), KIND, q.name());
                q.get().unwrap();
                q.task_done().unwrap();
                within("joiner", move || joiner.join().unwrap());
            }

            #[test]
            fn names() {
                let a = $queue::<i32>::new(0);
                let b = $queue::<i32>::new(0);
                let prefix = concat!(stringify!($queue), "-");
                assert!(a.name().starts_with(prefix), "{}", a.name());
                assert_ne!(a.name(), b.name());
                assert_eq!($queue::<i32>::named("orders", 4).name(), "orders");
                assert_eq!(a.clone().name(), a.name());
                let debug = format!("{:?}", $queue::<i32>::named("dbg", 2));
                assert!(
                    debug.contains("\"dbg\"") && debug.contains("maxsize: 2"),
                    "{debug}"
                );
            }

            #[test]
            fn into_iter_ends_at_shutdown() {
                let q = $queue::new(0);
                for i in 0..4 {
                    q.put(i).unwrap();
                }
                q.shutdown(false);
                let mut all: Vec<i32> = q.into_iter().collect();
                all.sort();
                assert_eq!(all, [0, 1, 2, 3]);
            }
        }
    };
}

task_queue_tests!(fifo, Queue, [111, 333, 222]);
task_queue_tests!(lifo, LifoQueue, [222, 333, 111]);
task_queue_tests!(priority, PriorityQueue, [111, 222, 333]);

#[test]
fn priority_queue_takes_tuples_like_python() {
    let q = PriorityQueue::new(0);
    q.put((3, "c")).unwrap();
    q.put((1, "a")).unwrap();
    q.put((2, "b")).unwrap();
    q.put((1, "0")).unwrap();
    let order: Vec<_> = (0..4).map(|_| q.get().unwrap()).collect();
    assert_eq!(order, [(1, "0"), (1, "a"), (2, "b"), (3, "c")]);
}

#[test]
fn a_large_bound_allocates_nothing_up_front_and_still_bounds() {
    // Beyond the ring size the FIFO switches to a segmented queue with a slot count.
    let q = Queue::new(100_000);
    let big = Queue::<u8>::new(usize::MAX); // Python's Queue(maxsize=huge): must not allocate it
    big.put(1).unwrap();
    assert_eq!(big.get(), Ok(1));
    for i in 0..100_000 {
        q.try_put(i).unwrap();
    }
    assert!(q.is_full());
    assert_eq!(q.try_put(-1), Err(TryPutError::Full(-1)));
    assert_eq!(q.get(), Ok(0));
    q.try_put(100_000).unwrap();
    assert_eq!(q.qsize(), 100_000);
    let all: Vec<i32> = (0..100_000).map(|_| q.get().unwrap()).collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(all.last(), Some(&100_000));
}

#[test]
fn dropping_the_last_handle_drops_the_items() {
    let item = Arc::new(());
    let q = Queue::new(4);
    q.put(Arc::clone(&item)).unwrap();
    q.put(Arc::clone(&item)).unwrap();
    let q2 = q.clone();
    drop(q);
    assert_eq!(Arc::strong_count(&item), 3);
    drop(q2);
    assert_eq!(Arc::strong_count(&item), 1);
}

#[test]
fn shutdown_immediate_drops_the_drained_items() {
    let item = Arc::new(());
    let q = LifoQueue::new(0);
    q.put(Arc::clone(&item)).unwrap();
    q.shutdown(true);
    assert_eq!(Arc::strong_count(&item), 1);
}

#[test]
fn simple_queue_basics() {
    let q = SimpleQueue::new();
    assert!(q.name().starts_with("SimpleQueue-"));
    assert!(q.is_empty());
    for item in [111, 333, 222] {
        q.put(item);
    }
    assert_eq!(q.qsize(), 3);
    assert_eq!(q.get(), 111);
    assert_eq!(q.try_get(), Ok(333));
    assert_eq!(q.get_timeout(Duration::from_millis(10)), Ok(222));
    assert_eq!(q.try_get(), Err(EmptyError));
    let start = Instant::now();
    assert_eq!(q.get_timeout(Duration::from_millis(50)), Err(EmptyError));
    assert!(start.elapsed() >= Duration::from_millis(50));
    assert_eq!(SimpleQueue::<u8>::named("log").name(), "log");
}

#[test]
fn simple_queue_blocked_get_proceeds_when_a_put_lands() {
    let q = SimpleQueue::new();
    let getter = {
        let q = q.clone();
        potok::spawn(move || q.get())
    };
    blocked(getter.thread(), ResourceKind::SimpleQueue, q.name());
    q.put("hello");
    assert_eq!(
        within("blocked get", move || getter.join().unwrap()),
        "hello"
    );
}

#[test]
fn errors_display_like_python_and_debug_without_the_item() {
    struct Opaque;
    assert_eq!(
        TaskDoneError.to_string(),
        "task_done() called too many times"
    );
    assert_eq!(format!("{:?}", TryPutError::Full(Opaque)), "Full(..)");
    assert_eq!(format!("{:?}", PutError::ShutDown(Opaque)), "ShutDown(..)");
    assert_eq!(TryPutError::Full(1).to_string(), "put on a full queue");
    assert!(TryPutError::ShutDown(1).is_shut_down());
    assert!(TryGetError::Empty.is_empty());
    assert!(GetTimeoutError::ShutDown.is_shut_down());
    let boxed: Box<dyn std::error::Error> = Box::new(PutTimeoutError::Full(1));
    assert_eq!(boxed.to_string(), "timed out waiting on a full queue");
}
