//! Reports point at the caller's line: a blocking call that deadlocks panics at the line of
//! the user's code that made it (`#[track_caller]` along potok's blocking methods), so the
//! panic message and `Panicked::location()` name this file and that line, never potok's own
//! sources. In the spirit of tokio's `tests/sync_panic.rs`.
//!
//! `harness = false`: each case runs isolated in a child process (stall detection needs a
//! process whose threads potok all knows). Each body runs on a thread `t`, records the line of
//! its blocking call in [`LINE`] just before making it (the call is on the next line), and the
//! case checks the location of `t`'s panic.

mod support;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use potok::deadlock::{DeadlockError, ResourceKind};
use potok::futures::{self, Future, ThreadPoolExecutor};
use potok::{
    Barrier, Builder, Condition, Event, Lock, Mutex, Queue, RLock, Semaphore, SimpleQueue,
};
use support::Test;

/// The line of the blocking call about to be made.
static LINE: AtomicU32 = AtomicU32::new(0);

fn mark(line: u32) {
    LINE.store(line, Ordering::SeqCst);
}

/// Runs `body` on a thread named `t`, which must panic with a deadlock at the line it marked.
fn fails_at_marked_line(body: impl FnOnce() + Send + 'static) {
    let t = Builder::new().name("t").spawn(body).unwrap();
    let panicked = t.join().expect_err("the blocking call must fail");
    assert!(
        panicked.is::<DeadlockError>(),
        "a deadlock, not: {panicked}"
    );
    let line = LINE.load(Ordering::SeqCst);
    assert_ne!(line, 0, "the body marks its line");
    let expected = format!("{}:{line}:", file!());
    let location = panicked.location().expect("a panic location");
    assert!(
        location.starts_with(&expected),
        "the panic points at {location}, not at the caller's {expected}"
    );
}

fn mutex_lock() {
    fails_at_marked_line(|| {
        let m = Mutex::named("m", ());
        let _held = m.lock();
        mark(line!() + 1);
        let _again = m.lock();
    });
}

fn lock_acquire() {
    fails_at_marked_line(|| {
        let lock = Lock::named("l");
        lock.acquire();
        mark(line!() + 1);
        lock.acquire();
    });
}

fn lock_guard() {
    fails_at_marked_line(|| {
        let lock = Lock::named("l");
        let _held = lock.lock();
        mark(line!() + 1);
        let _again = lock.lock();
    });
}

/// Collects `(thread name, panic location)` of every potok thread that panics from now on.
fn panics_seen() -> Arc<std::sync::Mutex<Vec<(String, String)>>> {
    let seen: Arc<std::sync::Mutex<Vec<(String, String)>>> = Arc::default();
    potok::set_excepthook({
        let seen = seen.clone();
        move |args| {
            let location = args.location.unwrap_or("?").to_owned();
            seen.lock()
                .unwrap()
                .push((args.thread.name().to_owned(), location));
        }
    });
    seen
}

/// The one panic in `seen` is at the line recorded for its thread (`A` = 0, `B` = 1).
fn one_panic_at_its_line(seen: &std::sync::Mutex<Vec<(String, String)>>, lines: &[AtomicU32; 2]) {
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one thread fails: {seen:?}");
    let (name, location) = &seen[0];
    let i = usize::from(name == "B");
    let expected = format!("{}:{}:", file!(), lines[i].load(Ordering::SeqCst));
    assert!(
        location.starts_with(&expected),
        "{name}: {location} vs {expected}"
    );
}

fn rlocks_in_a_cycle() {
    let seen = panics_seen();
    let lines = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
    let locks = Arc::new([RLock::named("a"), RLock::named("b")]);
    let both = Arc::new(Barrier::new(2));
    let handles: Vec<_> = ["A", "B"]
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let (lines, locks, both) = (lines.clone(), locks.clone(), both.clone());
            Builder::new()
                .name(name)
                .spawn(move || {
                    let _first = locks[i].lock();
                    both.wait().unwrap();
                    lines[i].store(line!() + 1, Ordering::SeqCst);
                    locks[1 - i].acquire();
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    one_panic_at_its_line(&seen, &lines);
}

fn event_wait() {
    fails_at_marked_line(|| {
        let never = Event::named("never");
        mark(line!() + 1);
        never.wait();
    });
}

fn semaphore_acquire() {
    fails_at_marked_line(|| {
        let none = Semaphore::named("none", 0);
        mark(line!() + 1);
        none.acquire();
    });
}

fn barrier_wait() {
    fails_at_marked_line(|| {
        let two = Barrier::named("two", 2);
        mark(line!() + 1);
        let _ = two.wait();
    });
}

fn condition_wait() {
    fails_at_marked_line(|| {
        let cv = Condition::named("cv");
        let mut held = cv.lock();
        mark(line!() + 1);
        held.wait();
    });
}

fn condition_wait_for() {
    fails_at_marked_line(|| {
        let cv = Condition::named("cv");
        cv.acquire();
        mark(line!() + 1);
        cv.wait_for(|| false).unwrap();
    });
}

fn queue_get() {
    fails_at_marked_line(|| {
        let q: Queue<u8> = Queue::named("q", 0);
        mark(line!() + 1);
        let _ = q.get();
    });
}

fn queue_put() {
    fails_at_marked_line(|| {
        let q = Queue::named("q", 1);
        q.put(1).unwrap();
        mark(line!() + 1);
        let _ = q.put(2);
    });
}

fn queue_join() {
    fails_at_marked_line(|| {
        let q = Queue::named("q", 0);
        q.put(1).unwrap();
        mark(line!() + 1);
        q.join();
    });
}

fn simple_queue_get() {
    fails_at_marked_line(|| {
        let q: SimpleQueue<u8> = SimpleQueue::named("q");
        mark(line!() + 1);
        q.get();
    });
}

fn joins_in_a_cycle() {
    // A joins B through B's JoinHandle, B joins A through a Thread handle: whichever join
    // closes the cycle fails at its own line (seen through the excepthook, which gets the
    // location of every thread's panic).
    let seen = panics_seen();
    let lines = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
    let (tx, rx) = std::sync::mpsc::channel::<potok::JoinHandle<()>>();
    let a = Builder::new()
        .name("A")
        .spawn({
            let lines = lines.clone();
            move || {
                let b = rx.recv().unwrap();
                lines[0].store(line!() + 1, Ordering::SeqCst);
                let _ = b.join();
            }
        })
        .unwrap();
    let a_thread = a.thread().clone();
    let b = Builder::new()
        .name("B")
        .spawn({
            let lines = lines.clone();
            move || {
                lines[1].store(line!() + 1, Ordering::SeqCst);
                a_thread.join().unwrap();
            }
        })
        .unwrap();
    let b_thread = b.thread().clone();
    tx.send(b).unwrap();
    let _ = a.join();
    b_thread.join().unwrap();
    one_panic_at_its_line(&seen, &lines);
}

/// Sets the event when dropped (also while unwinding): frees the stuck task, so that the
/// executor's shutdown at the end of the case can join its worker.
struct SetOnDrop(Arc<Event>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.set();
    }
}

/// Runs `body` on `t` with a one-worker executor whose only task waits for an event nobody
/// sets (the worker is seen blocked first); `body` must block on that task's future.
fn future_waits(body: fn(&ThreadPoolExecutor, Future<()>)) {
    fails_at_marked_line(move || {
        let executor = ThreadPoolExecutor::new(1);
        let never = Arc::new(Event::named("never"));
        let _free = SetOnDrop(Arc::clone(&never));
        let future = executor.submit({
            let never = Arc::clone(&never);
            move || never.wait()
        });
        let worker = executor.threads()[0].clone();
        support::blocked(&worker, ResourceKind::Event, "never");
        body(&executor, future);
    });
}

fn future_result() {
    future_waits(|_, future| {
        mark(line!() + 1);
        let _ = future.result();
    });
}

fn futures_wait() {
    future_waits(|_, future| {
        mark(line!() + 1);
        let _ = futures::wait(&[future], None, futures::ReturnWhen::AllCompleted);
    });
}

fn futures_as_completed() {
    future_waits(|_, future| {
        let mut each = futures::as_completed(&[future]);
        mark(line!() + 1);
        let _ = each.next();
    });
}

/// Runs `body` on `t`, which holds the lock `held` while a thread it will wait for (found
/// through `blocked_thread`, given the lock) is blocked acquiring it: `body`'s wait closes the
/// cycle.
fn waits_for_a_thread_blocked_on_my_lock<P>(
    start: impl FnOnce(Arc<Lock>) -> (P, potok::Thread) + Send + 'static,
    body: impl FnOnce(&P) + Send + 'static,
) {
    fails_at_marked_line(move || {
        let lock = Arc::new(Lock::named("held"));
        let held = lock.lock();
        let (pool, blocked_thread) = start(Arc::clone(&lock));
        support::blocked(&blocked_thread, ResourceKind::Lock, "held");
        // Unwinding drops the guard before the pool: the blocked thread then finishes.
        let _held = held;
        body(&pool);
    });
}

fn executor_shutdown() {
    waits_for_a_thread_blocked_on_my_lock(
        |lock| {
            let executor = ThreadPoolExecutor::new(1);
            let _stuck = executor.submit(move || drop(lock.lock()));
            let worker = executor.threads()[0].clone();
            (executor, worker)
        },
        |executor| {
            mark(line!() + 1);
            executor.shutdown(true, false);
        },
    );
}

/// `ThreadPool::join` after `close`, or `terminate`, waits for its workers.
fn thread_pool_waits(terminate: bool) {
    waits_for_a_thread_blocked_on_my_lock(
        |lock| {
            let pool = potok::ThreadPool::new(1);
            let (tx, rx) = std::sync::mpsc::channel();
            let _stuck = pool.apply_async(
                move || {
                    tx.send(potok::current_thread()).unwrap();
                    drop(lock.lock());
                },
                (),
            );
            let worker = rx.recv().unwrap();
            (pool, worker)
        },
        move |pool| {
            if terminate {
                mark(line!() + 1);
                pool.terminate();
            } else {
                pool.close();
                mark(line!() + 1);
                let _ = pool.join();
            }
        },
    );
}

fn thread_pool_join() {
    thread_pool_waits(false);
}

fn thread_pool_terminate() {
    thread_pool_waits(true);
}

fn main() -> ExitCode {
    let tests = [
        Test::new("mutex_lock", mutex_lock),
        Test::new("lock_acquire", lock_acquire),
        Test::new("lock_guard", lock_guard),
        Test::new("rlocks_in_a_cycle", rlocks_in_a_cycle),
        Test::new("event_wait", event_wait),
        Test::new("semaphore_acquire", semaphore_acquire),
        Test::new("barrier_wait", barrier_wait),
        Test::new("condition_wait", condition_wait),
        Test::new("condition_wait_for", condition_wait_for),
        Test::new("queue_get", queue_get),
        Test::new("queue_put", queue_put),
        Test::new("queue_join", queue_join),
        Test::new("simple_queue_get", simple_queue_get),
        Test::new("joins_in_a_cycle", joins_in_a_cycle),
        Test::new("future_result", future_result),
        Test::new("futures_wait", futures_wait),
        Test::new("futures_as_completed", futures_as_completed),
        Test::new("executor_shutdown", executor_shutdown),
        Test::new("thread_pool_join", thread_pool_join),
        Test::new("thread_pool_terminate", thread_pool_terminate),
    ];
    support::run(tests.map(|t| t.reports(1).limit(Duration::from_secs(30))))
}
