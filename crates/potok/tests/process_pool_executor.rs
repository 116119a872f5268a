//! `potok::futures::ProcessPoolExecutor`: CPython's `test_concurrent_futures` process-pool
//! behaviours (submit, map with chunksize, shutdown, initializer, max_tasks_per_child,
//! cancellation before a task reaches a worker), written again for potok, and what potok does
//! better: a worker killed mid-task fails its own future only (Python breaks the executor).
//!
//! Runs with `harness = false` on the shared runner (workers are this executable started
//! again): see `support/mod.rs`.

mod support;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use potok::futures::{as_completed, FutureError, ProcessPoolExecutor};
use support::case;

const LIMIT: Duration = Duration::from_secs(60);

fn square(x: u64) -> u64 {
    x * x
}

fn pid_of(_: u32) -> u32 {
    std::process::id()
}

fn panics(x: u32) -> u32 {
    panic!("no {x} here")
}

fn aborts(_: u32) -> u32 {
    std::process::abort()
}

/// Creates the file `path`, then sleeps long: a task to kill while it runs.
fn mark_then_sleep(path: String) -> u32 {
    std::fs::write(&path, b"started").unwrap();
    std::thread::sleep(Duration::from_secs(120));
    0
}

fn nap_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

static INITIALIZED: AtomicU32 = AtomicU32::new(0);

fn init_worker(value: u32) {
    INITIALIZED.store(value, Ordering::SeqCst);
}

fn read_initialized(_: u32) -> u32 {
    INITIALIZED.load(Ordering::SeqCst)
}

fn submit_and_result() {
    let ex = ProcessPoolExecutor::new(2).unwrap();
    let f = ex.submit(square, 12);
    assert_eq!(f.result_timeout(LIMIT), Ok(144));
    let worker = ex.submit(pid_of, 0).result_timeout(LIMIT).unwrap();
    assert_ne!(worker, std::process::id(), "ran in a worker process");
    assert!(ex.pids().contains(&worker));
}

fn map_with_chunksize_keeps_order() {
    let ex = ProcessPoolExecutor::new(2).unwrap();
    for chunksize in [1, 3, 1000] {
        let out: Vec<u64> = ex
            .map(square, 0..100, chunksize)
            .map(Result::unwrap)
            .collect();
        assert_eq!(out, (0..100).map(|x| x * x).collect::<Vec<_>>());
    }
}

fn a_panicking_task_fails_its_future() {
    let ex = ProcessPoolExecutor::new(1).unwrap();
    match ex.submit(panics, 7).result_timeout(LIMIT) {
        Err(FutureError::Panicked(p)) => assert!(p.message().contains("no 7 here"), "{p}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(ex.submit(square, 3).result_timeout(LIMIT), Ok(9));
}

/// Python: BrokenProcessPool for every pending future and the executor is unusable. potok:
/// the dead worker's future fails, the rest go on, and the executor keeps working.
fn a_crashing_worker_fails_its_own_future_only() {
    let ex = ProcessPoolExecutor::new(2).unwrap();
    let fs: Vec<_> = (0..6).map(|i| ex.submit(nap_ms, 20 + i)).collect();
    let crash = ex.submit(aborts, 0);
    match crash.result_timeout(LIMIT) {
        Err(FutureError::WorkerDied(how)) => assert!(!how.is_empty()),
        other => panic!("{other:?}"),
    }
    for (i, f) in fs.iter().enumerate() {
        assert_eq!(f.result_timeout(LIMIT), Ok(20 + i as u64));
    }
    assert_eq!(ex.submit(square, 5).result_timeout(LIMIT), Ok(25));
}

fn a_worker_killed_mid_task_fails_its_own_future_only() {
    let ex = ProcessPoolExecutor::new(1).unwrap();
    let marker: PathBuf = std::env::temp_dir().join(format!("potok-ppe-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let victim = ex.submit(mark_then_sleep, marker.to_string_lossy().into_owned());
    let deadline = Instant::now() + LIMIT;
    while !marker.exists() {
        assert!(Instant::now() < deadline, "the task never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let pid = ex.pids()[0];
    // SAFETY: kill() only sends a signal to our own worker process.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    match victim.result_timeout(LIMIT) {
        Err(FutureError::WorkerDied(how)) => {
            assert!(how.contains('9') || how.contains("KILL"), "{how}")
        }
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_file(&marker);
    // A replacement worker runs the next task.
    assert_eq!(ex.submit(square, 4).result_timeout(LIMIT), Ok(16));
    assert_ne!(ex.pids()[0], pid);
}

fn initializer_runs_in_each_worker() {
    let ex = ProcessPoolExecutor::builder()
        .max_workers(2)
        .initializer(init_worker, 77)
        .build()
        .unwrap();
    let seen: Vec<u32> = ex
        .map(read_initialized, 0..8, 1)
        .map(Result::unwrap)
        .collect();
    assert!(seen.iter().all(|&v| v == 77), "{seen:?}");
}

fn max_tasks_per_child_replaces_workers() {
    let ex = ProcessPoolExecutor::builder()
        .max_workers(1)
        .max_tasks_per_child(1)
        .build()
        .unwrap();
    let pids: Vec<u32> = (0..3)
        .map(|_| ex.submit(pid_of, 0).result_timeout(LIMIT).unwrap())
        .collect();
    assert_ne!(pids[0], pids[1]);
    assert_ne!(pids[1], pids[2]);
}

fn cancel_before_a_worker_takes_it_and_shutdown() {
    let ex = ProcessPoolExecutor::new(1).unwrap();
    let busy = ex.submit(nap_ms, 200);
    let deadline = Instant::now() + LIMIT;
    while !busy.running() {
        assert!(
            Instant::now() < deadline,
            "the first task never reached its feeder"
        );
        std::thread::yield_now();
    }
    let queued = ex.submit(square, 2);
    let cancelled = queued.cancel();
    // The one feeder is busy handing `busy` over, so `queued` has not reached the pool.
    assert!(
        cancelled,
        "a task still waiting for its feeder can be cancelled"
    );
    assert_eq!(queued.result(), Err(FutureError::Cancelled));
    let after: Vec<_> = (0..3).map(|i| ex.submit(square, i)).collect();
    ex.shutdown(true, true);
    assert_eq!(busy.result(), Ok(200));
    for f in &after {
        assert!(f.done());
    }
    assert_eq!(ex.submit(square, 1).result(), Err(FutureError::Shutdown));
}

fn as_completed_over_process_futures() {
    let ex = ProcessPoolExecutor::new(2).unwrap();
    let fs: Vec<_> = [300, 10, 150]
        .iter()
        .map(|&ms| ex.submit(nap_ms, ms))
        .collect();
    let order: Vec<u64> = as_completed(&fs).map(|f| f.result().unwrap()).collect();
    assert_eq!(order.len(), 3);
    assert_eq!(order[0], 10, "{order:?}");
}

fn main() -> ExitCode {
    support::run(
        [
            case!(submit_and_result),
            case!(map_with_chunksize_keeps_order),
            case!(a_panicking_task_fails_its_future),
            case!(a_crashing_worker_fails_its_own_future_only),
            case!(a_worker_killed_mid_task_fails_its_own_future_only),
            case!(initializer_runs_in_each_worker),
            case!(max_tasks_per_child_replaces_workers),
            case!(cancel_before_a_worker_takes_it_and_shutdown),
            case!(as_completed_over_process_futures),
        ]
        .map(|test| test.limit(Duration::from_secs(120))),
    )
}
