//! A queue wait that can never end is reported instead of hanging: the report names the queue
//! and says `empty`, `full` or `unfinished tasks`. Timed waits are never reported.
//!
//! This file has `harness = false`: stall detection stays silent while the process has threads
//! potok does not know (libtest's own threads would be such), and while any potok thread runs
//! (a watchdog thread would be one). So each check runs in a child process (this same binary,
//! marked by `POTOK_QUEUE_CHECK`) with nothing but its own threads, and the parent kills a child
//! that hangs.

use std::panic::{self, AssertUnwindSafe};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use potok::{DeadlockError, GetTimeoutError, LifoQueue, Queue, SimpleQueue};

const CHECK_VAR: &str = "POTOK_QUEUE_CHECK";
/// Bound on one check: generous for a loaded 2-core machine.
const LIMIT: Duration = Duration::from_secs(60);

const CHECKS: [(&str, fn()); 5] = [
    (
        "getter_on_an_empty_queue_is_reported",
        getter_on_an_empty_queue_is_reported,
    ),
    (
        "putter_on_a_full_queue_is_reported",
        putter_on_a_full_queue_is_reported,
    ),
    (
        "joiner_and_getter_stall_is_reported",
        joiner_and_getter_stall_is_reported,
    ),
    (
        "a_lone_simple_queue_get_is_reported",
        a_lone_simple_queue_get_is_reported,
    ),
    (
        "timed_waits_are_never_reported",
        timed_waits_are_never_reported,
    ),
];

fn main() -> ExitCode {
    if let Ok(name) = std::env::var(CHECK_VAR) {
        // The child: run one check; a failed assertion panics and exits non-zero.
        potok::set_excepthook(|_| {}); // the detector prints the report once itself
        let check = CHECKS
            .iter()
            .find(|(n, _)| *n == name)
            .expect("a known check")
            .1;
        check();
        return ExitCode::SUCCESS;
    }
    let mut failed = 0;
    for (name, _) in CHECKS {
        match run_child(name) {
            Ok(()) => println!("test {name} ... ok"),
            Err(why) => {
                println!("test {name} ... FAILED\n{why}");
                failed += 1;
            }
        }
    }
    println!(
        "\ntest result: {}. {} passed; {failed} failed",
        if failed == 0 { "ok" } else { "FAILED" },
        CHECKS.len() - failed
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one check in a child process, killing it after [`LIMIT`].
fn run_child(name: &str) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(CHECK_VAR, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let output = child.wait_with_output().map_err(|e| e.to_string())?;
            return if status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&output.stderr).into_owned())
            };
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hung for {LIMIT:?}: the wait was not reported"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
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
