//! A queue wait that can never end is reported instead of hanging: the report names the queue
//! and says `empty`, `full` or `unfinished tasks`. Timed waits are never reported.
//!
//! This file has `harness = false`: stall detection stays silent while the process has threads
//! potok does not know (libtest's own threads would be such), and while any potok thread runs
//! (a watchdog thread would be one). So each check is an isolated test of the shared runner
//! (see `support/mod.rs`): it runs in a child process with nothing but its own threads, and the
//! parent kills a child that hangs.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Duration;

use potok::{DeadlockError, GetTimeoutError, LifoQueue, Queue, SimpleQueue};
use support::case;

fn main() -> ExitCode {
    support::run([
        case!(getter_on_an_empty_queue_is_reported).isolated(),
        case!(putter_on_a_full_queue_is_reported).isolated(),
        case!(joiner_and_getter_stall_is_reported).isolated(),
        case!(a_lone_simple_queue_get_is_reported).isolated(),
        case!(timed_waits_are_never_reported).isolated(),
    ])
}

/// The deadlock a join reports: the joined thread panicked with a `DeadlockError`.
fn deadlock_of<T: std::fmt::Debug>(handle: potok::JoinHandle<T>) -> DeadlockError {
    let panicked = handle
        .join()
        .expect_err("the thread should have been stopped by the detector");
    *panicked
        .downcast::<DeadlockError>()
        .unwrap_or_else(|p| panic!("not a deadlock: {}", p.message()))
}

fn getter_on_an_empty_queue_is_reported() {
    let orders = Queue::<u32>::named("orders", 0);
    let consumer = {
        let orders = orders.clone();
        potok::Builder::new()
            .name("consumer")
            .spawn(move || orders.get())
            .unwrap()
    };
    let err = deadlock_of(consumer);
    let report = err.to_string();
    let blocked = err
        .thread("consumer")
        .expect("the consumer is in the report");
    assert_eq!(blocked.waits_for().name(), "orders", "{report}");
    assert_eq!(blocked.waits_for().detail(), Some("empty"), "{report}");
    assert!(
        report.contains("orders") && report.contains("empty"),
        "{report}"
    );
}

fn putter_on_a_full_queue_is_reported() {
    let stack = LifoQueue::named("plates", 1);
    stack.put(1).unwrap();
    let producer = {
        let stack = stack.clone();
        potok::Builder::new()
            .name("producer")
            .spawn(move || stack.put(2))
            .unwrap()
    };
    let err = deadlock_of(producer);
    let blocked = err
        .thread("producer")
        .expect("the producer is in the report");
    assert_eq!(blocked.waits_for().name(), "plates");
    assert_eq!(blocked.waits_for().detail(), Some("full"));
    assert_eq!(stack.qsize(), 1);
}

fn joiner_and_getter_stall_is_reported() {
    // A worker that forgets task_done: main's join can never return, and the worker waits for
    // an item nobody will put.
    let q = Queue::named("jobs", 0);
    q.put(1).unwrap();
    let worker = {
        let q = q.clone();
        potok::Builder::new()
            .name("forgetful")
            .spawn(move || q.iter().count())
            .unwrap()
    };
    // Whichever thread blocks last completes the stall and is stopped; if that is the worker,
    // main is then alone in its join and is stopped too. Either way main's join fails.
    let payload = panic::catch_unwind(AssertUnwindSafe(|| q.join())).expect_err("join cannot end");
    let err = payload
        .downcast::<DeadlockError>()
        .expect("a DeadlockError");
    let main = err.thread("MainThread").expect("main is in the report");
    assert_eq!(main.waits_for().name(), "jobs", "{err}");
    assert_eq!(main.waits_for().detail(), Some("unfinished tasks"), "{err}");
    q.shutdown(false);
    match worker.join() {
        Ok(count) => assert_eq!(count, 1),
        Err(panicked) => {
            let err = panicked
                .downcast::<DeadlockError>()
                .expect("a DeadlockError");
            let worker = err
                .thread("forgetful")
                .expect("the worker is in the report");
            assert_eq!(worker.waits_for().detail(), Some("empty"), "{err}");
        }
    }
}

fn a_lone_simple_queue_get_is_reported() {
    let q = SimpleQueue::<u8>::named("inbox");
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| q.get()));
    let payload = outcome.expect_err("a get nobody can satisfy");
    let err = payload
        .downcast::<DeadlockError>()
        .expect("a DeadlockError");
    let main = err.thread("MainThread").expect("main is in the report");
    assert_eq!(main.waits_for().name(), "inbox");
    assert_eq!(main.waits_for().detail(), Some("empty"));
}

fn timed_waits_are_never_reported() {
    let q = Queue::<u8>::named("quiet", 1);
    assert_eq!(
        q.get_timeout(Duration::from_millis(50)),
        Err(GetTimeoutError::Empty)
    );
    q.put(1).unwrap();
    assert!(q
        .put_timeout(2, Duration::from_millis(50))
        .unwrap_err()
        .is_full());
}
