//! `potok::process::{JoinableQueue, SimpleQueue}` across processes.
//!
//! Provenance: the behaviours are CPython's `Lib/test/_test_multiprocessing.py`, written again
//! for potok (no code copied): `_TestQueue.test_task_done` (workers in child processes take
//! items and mark them done; the parent's `join()` returns once all are done, and not before),
//! `test_task_done` on a plain `queue.Queue` / `JoinableQueue` called too often (`ValueError`),
//! and `_TestSimpleQueue` (`empty()`, `put`/`get` between processes, `close()`). What Python
//! does not have: a worker killed before marking its item done makes `join()` fail naming it,
//! instead of waiting for ever.
//!
//! Runs with `harness = false` on the shared runner (children are this executable started
//! again): see `support/mod.rs`.

mod support;

use std::process::ExitCode;
use std::time::Duration;

use potok::process::{
    JoinableQueue, Pool, Process, QueueJoinTimeoutError, SimpleQueue, TryGetError, Value,
};
use support::case;

const LIMIT: Duration = Duration::from_secs(60);

/// A child: takes jobs until `None`, reports each squared and counts it, then marks it done.
fn square_jobs(args: (JoinableQueue<Option<u64>>, SimpleQueue<u64>, Value<u64>)) -> u32 {
    let (jobs, results, handled_count) = args;
    let mut handled = 0;
    while let Some(job) = jobs.get().unwrap() {
        // Slow enough that a join which did not wait would be seen returning early.
        std::thread::sleep(Duration::from_millis(2));
        results.put(job * job).unwrap();
        *handled_count.lock().unwrap() += 1;
        jobs.task_done().unwrap();
        handled += 1;
    }
    jobs.task_done().unwrap(); // the None
    handled
}

fn join_after_childrens_task_done() {
    let jobs = JoinableQueue::new(0).unwrap();
    let results = SimpleQueue::new().unwrap();
    let handled_count = Value::new(0u64).unwrap();
    let mut workers: Vec<Process<u32>> = (0..3)
        .map(|_| {
            Process::new(
                square_jobs,
                (jobs.clone(), results.clone(), handled_count.clone()),
            )
        })
        .collect();
    for w in &mut workers {
        w.start().unwrap();
    }
    for job in 1..=30u64 {
        jobs.put(Some(job)).unwrap();
    }
    assert!(jobs.unfinished_tasks() > 0);
    jobs.join_timeout(LIMIT).unwrap();
    // join returned only after every task_done: every job was handled (the shared count is
    // written before each task_done). The results themselves may still be on their way to
    // the broker (a put from another process streams, as Python's feeder thread does).
    assert_eq!(handled_count.get().unwrap(), 30);
    assert_eq!(jobs.unfinished_tasks(), 0);
    let mut squares: Vec<u64> = (0..30)
        .map(|_| results.get_timeout(LIMIT).unwrap())
        .collect();
    squares.sort_unstable();
    assert_eq!(squares, (1..=30u64).map(|j| j * j).collect::<Vec<_>>());
    for _ in &workers {
        jobs.put(None).unwrap();
    }
    let handled: u32 = workers
        .iter_mut()
        .map(|w| w.join_timeout(LIMIT).unwrap())
        .sum();
    assert_eq!(handled, 30);
    jobs.join_timeout(LIMIT).unwrap();
    assert!(results.is_empty());
}

/// A pool task: takes one item, marks it done, returns it.
fn take_one(jobs: JoinableQueue<u32>) -> u32 {
    let job = jobs.get_timeout(LIMIT).unwrap();
    jobs.task_done().unwrap();
    job
}

fn pool_workers_mark_done() {
    let jobs = JoinableQueue::new(0).unwrap();
    for job in 0..20u32 {
        jobs.put(job).unwrap();
    }
    let pool = Pool::new(2).unwrap();
    let mut got = pool.map(take_one, vec![jobs.clone(); 20]).unwrap();
    got.sort_unstable();
    assert_eq!(got, (0..20).collect::<Vec<_>>());
    jobs.join_timeout(LIMIT).unwrap();
}

/// A child: takes two items and ends without marking them done.
fn take_two_and_leave(jobs: JoinableQueue<u32>) -> u32 {
    jobs.get().unwrap() + jobs.get().unwrap()
}

fn join_names_a_worker_that_exited_without_task_done() {
    let jobs = JoinableQueue::new(0).unwrap();
    jobs.put(1).unwrap();
    jobs.put(2).unwrap();
    let mut leaver = Process::new(take_two_and_leave, jobs.clone());
    leaver.start().unwrap();
    assert_eq!(leaver.join_timeout(LIMIT).unwrap(), 3);
    let err = jobs.join_timeout(LIMIT).unwrap_err();
    let QueueJoinTimeoutError::Abandoned(why) = err else {
        panic!("expected Abandoned, got {err:?}");
    };
    assert_eq!(why.unfinished(), 2);
    let (who, items) = &why.processes()[0];
    assert_eq!(
        (who.name(), who.pid(), *items),
        (leaver.name(), leaver.pid().unwrap(), 2)
    );
}

/// A child: takes one item and marks done twice; the second must be refused.
fn done_twice(jobs: JoinableQueue<u32>) -> (bool, bool) {
    let _ = jobs.get().unwrap();
    (jobs.task_done().is_ok(), jobs.task_done().is_ok())
}

fn task_done_too_many_is_an_error() {
    let q = JoinableQueue::<u32>::new(0).unwrap();
    assert_eq!(q.task_done(), Err(potok::TaskDoneError));
    q.put(7).unwrap();
    let mut child = Process::new(done_twice, q.clone());
    child.start().unwrap();
    assert_eq!(child.join_timeout(LIMIT).unwrap(), (true, false));
    assert_eq!(q.unfinished_tasks(), 0);
    assert_eq!(q.task_done(), Err(potok::TaskDoneError));
    q.join().unwrap();
}

/// A child: takes an item, says so, and never marks it done (it is killed).
fn take_and_hang(args: (JoinableQueue<u32>, SimpleQueue<u32>)) -> u32 {
    let (jobs, told) = args;
    let job = jobs.get().unwrap();
    told.put(job).unwrap();
    std::thread::sleep(Duration::from_secs(120));
    0
}

fn join_names_a_worker_killed_holding_work() {
    let jobs = JoinableQueue::new(0).unwrap();
    let told = SimpleQueue::new().unwrap();
    let mut taker = Process::new(take_and_hang, (jobs.clone(), told.clone())).with_name("taker");
    taker.start().unwrap();
    let pid = taker.pid().unwrap();
    jobs.put(5).unwrap();
    assert_eq!(told.get_timeout(LIMIT).unwrap(), 5);
    // Alive and holding the work: join waits.
    assert_eq!(
        jobs.join_timeout(Duration::from_millis(100)),
        Err(QueueJoinTimeoutError::Timeout)
    );
    taker.kill();
    let _ = taker.join_timeout(LIMIT);
    let jobs2 = jobs.clone();
    let err = support::within("join after the worker died", LIMIT, move || jobs2.join())
        .expect_err("nobody can finish the work");
    assert_eq!(err.unfinished(), 1);
    assert_eq!(err.processes().len(), 1);
    let (who, items) = &err.processes()[0];
    assert_eq!((who.name(), who.pid(), *items), ("taker", pid, 1));
    let text = err.to_string();
    assert!(
        text.contains("'taker'") && text.contains(&pid.to_string()),
        "{text}"
    );
    // A live process can still finish it (Python allows task_done from anyone).
    jobs.task_done().unwrap();
    jobs.join_timeout(LIMIT).unwrap();
}

fn work_still_queued_is_waited_for_not_abandoned() {
    let jobs = JoinableQueue::new(0).unwrap();
    jobs.put(1u8).unwrap();
    assert_eq!(
        jobs.join_timeout(Duration::from_millis(60)),
        Err(QueueJoinTimeoutError::Timeout)
    );
    assert_eq!(jobs.qsize(), 1);
    // A failed put does not count.
    let bounded = JoinableQueue::new(1).unwrap();
    bounded.put(1u8).unwrap();
    assert_eq!(bounded.try_put(2).unwrap_err().into_inner(), 2);
    assert_eq!(bounded.unfinished_tasks(), 1);
    assert_eq!(bounded.try_get(), Ok(1));
    assert_eq!(bounded.try_get(), Err(TryGetError::Empty));
    bounded.task_done().unwrap();
    bounded.join().unwrap();
}

/// A thread in `join` is shown by the snapshot with the queue's name, and is no stall even
/// while every potok thread is blocked (another process could finish the work).
fn a_joiner_is_shown_in_the_snapshot() {
    let jobs = JoinableQueue::<u8>::named(0, "jobs").unwrap();
    assert_eq!(jobs.name(), "jobs");
    jobs.put(1).unwrap();
    let main = potok::current_thread();
    let finisher = {
        let jobs = jobs.clone();
        potok::Builder::new()
            .name("finisher")
            .spawn(move || {
                let seen = potok::deadlock::wait_until_blocked(
                    &main,
                    potok::deadlock::ResourceKind::Queue,
                    "jobs",
                    LIMIT,
                )
                .expect("the main thread never showed as blocked in join");
                assert_eq!(
                    seen.state().to_string(),
                    "blocked on Queue 'jobs' (across processes)"
                );
                assert_eq!(jobs.try_get(), Ok(1));
                jobs.task_done().unwrap();
            })
            .unwrap()
    };
    // Under the runner's watchdog: a join that never returned would fail the run.
    jobs.join().unwrap();
    finisher.join().unwrap();
}

/// A child: doubles numbers from one queue into another until 0.
fn doubler(args: (SimpleQueue<u64>, SimpleQueue<u64>)) -> u32 {
    let (input, output) = args;
    let mut n = 0;
    loop {
        let x = input.get().unwrap();
        if x == 0 {
            output.close();
            return n;
        }
        output.put(2 * x).unwrap();
        n += 1;
    }
}

fn simple_queue_across_processes() {
    let input = SimpleQueue::new().unwrap();
    let output = SimpleQueue::new().unwrap();
    assert!(input.is_empty() && output.is_empty());
    let mut child = Process::new(doubler, (input.clone(), output.clone()));
    child.start().unwrap();
    for x in 1..=100u64 {
        input.put(x).unwrap();
    }
    let got: Vec<u64> = (0..100)
        .map(|_| output.get_timeout(LIMIT).unwrap())
        .collect();
    assert_eq!(got, (1..=100u64).map(|x| 2 * x).collect::<Vec<_>>());
    input.put(0).unwrap();
    assert_eq!(child.join_timeout(LIMIT).unwrap(), 100);
    assert!(output.is_empty());
    input.close();
    assert_eq!(
        output.get_timeout(Duration::from_millis(10)),
        Err(TryGetError::Empty)
    );
}

fn main() -> ExitCode {
    support::run([
        case!(join_after_childrens_task_done),
        case!(pool_workers_mark_done),
        case!(task_done_too_many_is_an_error),
        case!(join_names_a_worker_that_exited_without_task_done),
        case!(join_names_a_worker_killed_holding_work),
        case!(work_still_queued_is_waited_for_not_abandoned),
        case!(a_joiner_is_shown_in_the_snapshot),
        case!(simple_queue_across_processes),
    ])
}
