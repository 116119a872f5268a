//! Pool: results and order, chunk sizes, panics, crashed and killed workers, recycling,
//! terminate and drop (no child left behind), values that do not (de)serialize.
//!
//! Runs with `harness = false` on the shared runner: see `support/mod.rs`.

mod support;

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use potok::process::{testing, GetTimeoutError, MapError, Pool, StartError, TaskErrorKind, Value};
use serde::{Deserialize, Serialize};
use support::case;

fn square(x: u64) -> u64 {
    x * x
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn pid_of(_: u32) -> u32 {
    std::process::id()
}

/// `pid_of` after 20 ms, so that a few of them spread over the workers that are up.
fn slow_pid_of(_: u32) -> u32 {
    std::thread::sleep(Duration::from_millis(20));
    std::process::id()
}

fn nap_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn panic_on_seven(x: u64) -> u64 {
    if x == 7 {
        panic!("seven is not allowed");
    }
    x
}

/// Panics on every item whose remainder by 10 is 0, 4, 5 or 9.
fn panic_on_0_4_5_9(x: u64) -> u64 {
    if matches!(x % 10, 0 | 4 | 5 | 9) {
        panic!("no {x}");
    }
    x * 3
}

fn abort_on_five(x: u64) -> u64 {
    if x == 5 {
        std::process::abort();
    }
    x + 1
}

fn segfault_on_three(x: u64) -> u64 {
    if x == 3 {
        // A real segmentation fault, as a crash in native code would give. (std's own SIGSEGV
        // handler, there to report stack overflows, is put back to the default first.)
        // SAFETY: signal() and raise() only affect this process.
        unsafe {
            libc::signal(libc::SIGSEGV, libc::SIG_DFL);
            libc::raise(libc::SIGSEGV);
        }
    }
    x
}

/// Writes its pid to `path`, then sleeps until killed (bounded: 30 s).
fn report_pid_and_hang(path: String) -> u64 {
    std::fs::write(&path, std::process::id().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(30));
    0
}

fn map_keeps_order() {
    let pool = Pool::new(2).unwrap();
    let expected: Vec<u64> = (0..1000).map(|x| x * x).collect();
    assert_eq!(pool.map(square, 0..1000).unwrap(), expected);
    // Strings and structs travel too.
    fn shout(s: String) -> String {
        s.to_uppercase()
    }
    assert_eq!(
        pool.map(shout, ["a".to_string(), "bc".to_string()])
            .unwrap(),
        ["A", "BC"]
    );
}

fn chunksize_edge_cases() {
    let pool = Pool::new(3).unwrap();
    assert_eq!(pool.map(square, 0..0).unwrap(), Vec::<u64>::new());
    assert_eq!(pool.map(square, [9]).unwrap(), [81]);
    // Fewer items than workers.
    assert_eq!(pool.map(square, [2, 3]).unwrap(), [4, 9]);
    for chunksize in [1, 2, 7, 100, 5000] {
        let expected: Vec<u64> = (0..100).map(|x| x * x).collect();
        assert_eq!(
            pool.map_chunked(square, 0..100, chunksize).unwrap(),
            expected
        );
    }
    assert_eq!(pool.imap(square, 0..0).unwrap().count(), 0);
    assert_eq!(pool.imap_unordered(square, 0..0).unwrap().count(), 0);
}

fn imap_and_starmap() {
    let pool = Pool::new(2).unwrap();
    let ordered: Vec<u64> = pool
        .imap(square, 0..50)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ordered, (0..50).map(|x| x * x).collect::<Vec<_>>());
    let chunked: Vec<u64> = pool
        .imap_chunked(square, 0..50, 8)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(chunked, ordered);
    // imap_unordered: the fast items overtake the slow first one.
    let unordered: Vec<u64> = pool
        .imap_unordered(nap_ms, [300, 1, 1, 1])
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(unordered.len(), 4);
    assert_eq!(*unordered.last().unwrap(), 300, "{unordered:?}");
    let all: HashSet<u64> = pool
        .imap_unordered_chunked(square, 0..200, 16)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(all, (0..200).map(|x| x * x).collect());
    assert_eq!(
        pool.starmap(add, [(1, 2), (3, 4), (5, 6)]).unwrap(),
        [3, 7, 11]
    );
}

fn apply_and_async_result() {
    let pool = Pool::new(2).unwrap();
    assert_eq!(pool.apply(square, 12).unwrap(), 144);
    let fast = pool.apply_async(square, 5).unwrap();
    fast.wait();
    assert!(fast.ready());
    assert_eq!(fast.successful(), Ok(true));
    assert_eq!(fast.get().unwrap(), 25);

    let slow = pool.apply_async(nap_ms, 400).unwrap();
    assert!(!slow.ready());
    assert!(slow.successful().is_err(), "not ready yet");
    assert!(!slow.wait_timeout(Duration::from_millis(10)));
    let slow = match slow.get_timeout(Duration::from_millis(10)) {
        Err(GetTimeoutError::Timeout(again)) => again,
        other => panic!("expected a timeout, got {other:?}"),
    };
    assert_eq!(slow.get_timeout(Duration::from_secs(10)).unwrap(), 400);

    // A timeout too long to represent is no deadline, not a panic.
    let forever = pool.apply_async(square, 9).unwrap();
    assert!(forever.wait_timeout(Duration::MAX));
    assert_eq!(forever.get_timeout(Duration::MAX).unwrap(), 81);
    let mut results = pool.imap(square, [1, 2]).unwrap();
    assert_eq!(
        results
            .next_timeout(Duration::MAX)
            .unwrap()
            .unwrap()
            .unwrap(),
        1
    );

    let failing = pool.apply_async(panic_on_seven, 7).unwrap();
    failing.wait();
    assert_eq!(failing.successful(), Ok(false));
    let err = failing.get().unwrap_err();
    assert_eq!(err.index(), 0);
    assert!(
        err.panic_message()
            .unwrap()
            .contains("seven is not allowed"),
        "{err}"
    );
}

/// An `apply_async` job written straight to an idle worker has its answer read by its caller
/// when the caller waits for it, and by the worker's thread otherwise: a handle kept and not
/// waited on does not hold its worker from other work, a polled or dropped one gets its answer
/// read, and a caller reading while its worker dies, or while the pool is terminated, gets an
/// error, not a hang.
fn an_apply_async_answer_is_read_by_whoever_waits_for_it() {
    let pool = Pool::new(1).unwrap();
    // Kept, not waited on: the map behind it still runs on the only worker.
    let kept = pool.apply_async(square, 3).unwrap();
    assert_eq!(pool.map(square, 0..10).unwrap()[9], 81);
    assert_eq!(kept.get().unwrap(), 9);
    // Polled: the answer arrives without a wait.
    let polled = pool.apply_async(square, 4).unwrap();
    assert!(support::eventually(Duration::from_secs(10), || polled.ready()));
    assert_eq!(polled.get().unwrap(), 16);
    // Waited on too briefly, then again: read by the worker's thread in between.
    let slow = match pool
        .apply_async(nap_ms, 50)
        .unwrap()
        .get_timeout(Duration::from_millis(1))
    {
        Err(GetTimeoutError::Timeout(again)) => again,
        other => panic!("expected a timeout, got {other:?}"),
    };
    assert_eq!(slow.get().unwrap(), 50);
    // Dropped: the worker's thread reads its answer, and the next call gets its own.
    drop(pool.apply_async(nap_ms, 5).unwrap());
    assert_eq!(pool.apply(square, 5).unwrap(), 25);
    // The worker dies while its caller reads: that call fails, the pool goes on.
    let err = pool
        .apply_async(abort_on_five, 5)
        .unwrap()
        .get()
        .unwrap_err();
    assert!(
        matches!(err.kind(), TaskErrorKind::WorkerDied(_)),
        "{err:?}"
    );
    assert_eq!(pool.apply(square, 6).unwrap(), 36);
    // Terminated while its caller waits (reading, or about to): the call fails as terminated.
    let hanging = pool.apply_async(nap_ms, 20_000).unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(move || hanging.get());
        pool.terminate();
        let err = waiter.join().unwrap().unwrap_err();
        assert_eq!(err.kind(), &TaskErrorKind::Terminated);
    });
}

fn a_panicking_task_fails_alone() {
    let pool = Pool::new(2).unwrap();
    let err = pool.map(panic_on_seven, 0..20).unwrap_err();
    let MapError::Task(err) = err else {
        panic!("expected a task error, got {err:?}");
    };
    assert_eq!(err.index(), 7);
    let msg = err.to_string();
    assert!(
        msg.contains("task 7 panicked: seven is not allowed"),
        "{msg}"
    );
    assert!(msg.contains("pool.rs"), "the message says where: {msg}");
    // Every other item has its result.
    let outcomes: Vec<_> = pool
        .imap_chunked(panic_on_seven, 0..20, 5)
        .unwrap()
        .collect();
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Ok(v) => assert_eq!(*v, i as u64),
            Err(e) => assert_eq!(e.index(), 7, "{e}"),
        }
    }
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1);
}

fn several_panics_in_one_chunk() {
    // Chunks of 10: a panic on the first item, on two in a row and on the last; each is that
    // item's error, and every other item of the chunk has its result (the worker catches a
    // panic once for a run of items and resumes after the item that panicked).
    let pool = Pool::new(2).unwrap();
    let outcomes: Vec<_> = pool
        .imap_chunked(panic_on_0_4_5_9, 0..40, 10)
        .unwrap()
        .collect();
    assert_eq!(outcomes.len(), 40);
    for (i, outcome) in outcomes.iter().enumerate() {
        if matches!(i % 10, 0 | 4 | 5 | 9) {
            let err = outcome.as_ref().unwrap_err();
            assert_eq!(err.index(), i);
            let msg = err.panic_message().unwrap_or_default();
            assert!(msg.starts_with(&format!("no {i} (at ")), "{err}");
        } else {
            assert_eq!(*outcome.as_ref().unwrap(), i as u64 * 3, "item {i}");
        }
    }
    // No worker died for it.
    let before: HashSet<u32> = pool.pids().into_iter().collect();
    assert_eq!(pool.map(panic_on_0_4_5_9, [1, 2, 3]).unwrap(), [3, 6, 9]);
    assert_eq!(before, pool.pids().into_iter().collect());
}

fn an_aborting_worker_costs_one_task() {
    let pool = Pool::new(2).unwrap();
    let before: HashSet<u32> = pool.pids().into_iter().collect();
    // Chunks of 10: item 5 aborts its worker in the middle of a chunk.
    let outcomes: Vec<_> = pool
        .imap_chunked(abort_on_five, 0..40, 10)
        .unwrap()
        .collect();
    for (i, outcome) in outcomes.iter().enumerate() {
        if i == 5 {
            let err = outcome.as_ref().unwrap_err();
            assert_eq!(err.index(), 5);
            assert_eq!(
                err.kind(),
                &TaskErrorKind::WorkerDied(potok::process::ChildExit::Signal(libc::SIGABRT)),
                "{err}"
            );
            assert!(err.to_string().contains("SIGABRT"), "{err}");
        } else {
            assert_eq!(*outcome.as_ref().unwrap(), i as u64 + 1, "item {i}");
        }
    }
    // The worker was replaced, and the pool still works.
    assert!(support::eventually(Duration::from_secs(10), || pool
        .pids()
        .len()
        == 2));
    let after: HashSet<u32> = pool.pids().into_iter().collect();
    assert_ne!(before, after);
    assert_eq!(pool.map(square, 0..10).unwrap()[9], 81);
    // With map's default chunking too.
    let err = pool.map(abort_on_five, 0..100).unwrap_err();
    assert!(matches!(&err, MapError::Task(e) if e.index() == 5), "{err}");
}

fn abort_on_1100(x: u64) -> u64 {
    if x == 1100 {
        std::process::abort();
    }
    x + 1
}

fn panic_on_777_and_1500(x: u64) -> u64 {
    if x == 777 || x == 1500 {
        panic!("no {x}");
    }
    x + 1
}

/// `map`'s default chunks of a long input (250 items each here): the answers are decoded
/// straight into the returned list, in order, whichever chunk comes back first; a panic or a
/// dead worker in the middle of a middle chunk fails that item, and the lowest failed index
/// is the error.
fn a_long_map_fills_its_list_in_order_and_fails_in_the_middle() {
    let pool = Pool::new(2).unwrap();
    let expected: Vec<u64> = (0..20_000).map(|x| x * x).collect();
    for _ in 0..3 {
        assert_eq!(pool.map(square, 0..20_000).unwrap(), expected);
    }
    let err = pool.map(panic_on_777_and_1500, 0..2000).unwrap_err();
    assert!(
        matches!(&err, MapError::Task(e) if e.index() == 777 && matches!(e.kind(), TaskErrorKind::Panicked(_))),
        "{err}"
    );
    // Item 1100 sits in the fifth chunk of 250: its worker dies there, the rest of the chunk
    // runs again (split around it), and only that item fails.
    let err = pool.map(abort_on_1100, 0..2000).unwrap_err();
    assert!(
        matches!(&err, MapError::Task(e) if e.index() == 1100 && matches!(e.kind(), TaskErrorKind::WorkerDied(_))),
        "{err}"
    );
    let outcomes: Vec<_> = pool
        .imap_chunked(abort_on_1100, 0..2000, 250)
        .unwrap()
        .collect();
    assert!(outcomes[1100].is_err());
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1);
    // And the pool goes on.
    assert_eq!(pool.map(square, 0..5000).unwrap(), expected[..5000]);
}

/// With chunk size 1 a worker holds several jobs at once (written ahead, answers sent back
/// several at a time). When it dies, the item it ran fails, and every other item still gets
/// its result: the ones it had finished but not yet sent, and the ones it had not started.
fn a_worker_dying_with_jobs_in_flight_costs_one_task() {
    let pool = Pool::new(2).unwrap();
    for (name, f, signal) in [
        ("abort", abort_at_700 as fn(u64) -> u64, libc::SIGABRT),
        ("SIGKILL", sigkill_at_1300, libc::SIGKILL),
    ] {
        let outcomes: Vec<_> = pool.imap(f, 0..2000).unwrap().collect();
        let mut failed = Vec::new();
        for (i, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Ok(value) => assert_eq!(*value, i as u64 * 2, "{name}: item {i}"),
                Err(err) => {
                    assert_eq!(
                        err.kind(),
                        &TaskErrorKind::WorkerDied(potok::process::ChildExit::Signal(signal)),
                        "{name}: {err}"
                    );
                    failed.push(i);
                }
            }
        }
        let expected = if signal == libc::SIGABRT { 700 } else { 1300 };
        assert_eq!(
            failed,
            [expected],
            "{name}: only the item that killed its worker fails"
        );
    }
    assert_eq!(pool.map_chunked(square, 0..100, 1).unwrap()[99], 99 * 99);
}

fn abort_at_700(x: u64) -> u64 {
    if x == 700 {
        std::process::abort();
    }
    x * 2
}

fn sigkill_at_1300(x: u64) -> u64 {
    if x == 1300 {
        // SAFETY: kill(2) on this very process.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
    x * 2
}

fn a_segfaulting_worker_costs_one_task() {
    let pool = Pool::new(2).unwrap();
    let outcomes: Vec<_> = pool
        .imap_chunked(segfault_on_three, 0..12, 4)
        .unwrap()
        .collect();
    for (i, outcome) in outcomes.iter().enumerate() {
        if i == 3 {
            assert_eq!(
                outcome.as_ref().unwrap_err().kind(),
                &TaskErrorKind::WorkerDied(potok::process::ChildExit::Signal(libc::SIGSEGV))
            );
        } else {
            assert_eq!(*outcome.as_ref().unwrap(), i as u64);
        }
    }
    assert_eq!(pool.apply(square, 3).unwrap(), 9);
}

fn a_killed_worker_costs_one_task() {
    let pool = Pool::new(2).unwrap();
    let dir = std::env::temp_dir().join(format!("potok-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pid");
    let _ = std::fs::remove_file(&path);
    let victim = pool
        .apply_async(report_pid_and_hang, path.to_string_lossy().into_owned())
        .unwrap();
    let others: Vec<_> = (0..20)
        .map(|x| pool.apply_async(square, x).unwrap())
        .collect();
    assert!(
        support::eventually(Duration::from_secs(10), || std::fs::read_to_string(&path)
            .map(|s| !s.is_empty())
            .unwrap_or(false)),
        "the task never started"
    );
    let pid: i32 = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    // SAFETY: kill(2) on a worker of our own pool.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    let err = victim.get_timeout(Duration::from_secs(10)).unwrap_err();
    match err {
        GetTimeoutError::Task(e) => assert_eq!(
            e.kind(),
            &TaskErrorKind::WorkerDied(potok::process::ChildExit::Signal(libc::SIGKILL))
        ),
        GetTimeoutError::Timeout(_) => panic!("no error after the worker was killed"),
    }
    for (x, pending) in others.into_iter().enumerate() {
        assert_eq!(
            pending.get_timeout(Duration::from_secs(10)).unwrap(),
            (x * x) as u64
        );
    }
    assert_eq!(pool.map(square, 0..4).unwrap(), [0, 1, 4, 9]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The parent of process `pid`, from /proc.
fn ppid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split(' ').nth(1)?.parse().ok()
}

/// Whether this run forks workers from a fork server (the default), or starts each by exec
/// from this process (`POTOK_FORK_SERVER=0`).
fn fork_server_on() -> bool {
    std::env::var_os("POTOK_FORK_SERVER").is_none_or(|v| v != "0")
}

/// Pool workers are forked by one fork server, started with the first pool and kept for the
/// next ones: a single-threaded child of this process, whose children the workers are. With
/// `POTOK_FORK_SERVER=0` there is no server, and every worker is a child of this process.
fn workers_come_from_one_fork_server() {
    let first = Pool::new(2).unwrap();
    let server = testing::fork_server_pid();
    let second = Pool::new(1).unwrap();
    let parent = if fork_server_on() {
        let server = server.expect("a fork server runs");
        assert_eq!(testing::fork_server_pid(), Some(server), "the same server");
        assert_eq!(ppid_of(server), Some(std::process::id()));
        let threads = std::fs::read_dir(format!("/proc/{server}/task"))
            .unwrap()
            .count();
        assert_eq!(threads, 1, "the fork server has one thread");
        server
    } else {
        assert_eq!(server, None, "no fork server when it is off");
        assert_eq!(
            testing::fork_server_pid(),
            None,
            "no fork server when it is off"
        );
        std::process::id()
    };
    for pid in first.pids().into_iter().chain(second.pids()) {
        assert_eq!(ppid_of(pid), Some(parent), "worker {pid}'s parent");
    }
    assert_eq!(first.map(square, 0..100).unwrap()[9], 81);
    assert_eq!(second.apply(square, 5).unwrap(), 25);
}

/// The fork server is SIGKILLed while both workers run a task: the workers die with it (each
/// asked for SIGKILL on its parent's death), the two tasks fail naming a worker killed by
/// SIGKILL, a new server forks their replacements, and the pool goes on. Then the same while
/// the pool is idle: nothing fails, both workers are replaced. Nothing hangs, no child is left.
///
/// With `POTOK_FORK_SERVER=0` there is no server to kill: what its death does to the workers
/// is done to them directly (both SIGKILLed, busy and then idle), and the pool goes on the same.
fn a_killed_fork_server_is_replaced() {
    let pool = Pool::new(2).unwrap();
    let dir = std::env::temp_dir().join(format!("potok-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<String> = (0..2)
        .map(|i| {
            let path = dir.join(format!("pid-{i}"));
            let _ = std::fs::remove_file(&path);
            path.to_string_lossy().into_owned()
        })
        .collect();
    let victims: Vec<_> = paths
        .iter()
        .map(|path| pool.apply_async(report_pid_and_hang, path.clone()).unwrap())
        .collect();
    assert!(
        support::eventually(Duration::from_secs(10), || paths
            .iter()
            .all(|p| std::fs::read_to_string(p).is_ok_and(|s| !s.is_empty()))),
        "the tasks never started"
    );
    let server = if fork_server_on() {
        let server = testing::fork_server_pid().expect("a fork server runs");
        // SAFETY: kill(2) on our own fork server.
        unsafe {
            libc::kill(server as i32, libc::SIGKILL);
        }
        Some(server)
    } else {
        assert_eq!(
            testing::fork_server_pid(),
            None,
            "no fork server when it is off"
        );
        kill_all(&pool.pids());
        None
    };
    for victim in victims {
        match victim.get_timeout(Duration::from_secs(10)) {
            Err(GetTimeoutError::Task(e)) => assert_eq!(
                e.kind(),
                &TaskErrorKind::WorkerDied(potok::process::ChildExit::Signal(libc::SIGKILL))
            ),
            Err(GetTimeoutError::Timeout(_)) => panic!("no error after the fork server died"),
            Ok(v) => panic!("a result ({v}) from a worker that died"),
        }
    }
    assert_eq!(pool.map(square, 0..10).unwrap()[3], 9);
    let second = server.map(|server| {
        let second = testing::fork_server_pid().expect("a new fork server");
        assert_ne!(second, server);
        second
    });

    if second.is_none() {
        // Without a server a worker killed while it starts up breaks the pool (its
        // replacement failed to start), so the kill waits until both have answered a task.
        assert!(
            support::eventually(Duration::from_secs(10), || {
                let mut answered = pool.map_chunked(slow_pid_of, 0..4, 1).unwrap();
                let mut pids = pool.pids();
                answered.sort_unstable();
                answered.dedup();
                pids.sort_unstable();
                answered == pids
            }),
            "both workers never answered: {:?}",
            pool.pids()
        );
    }
    let before = pool.pids();
    match second {
        // SAFETY: kill(2) on our own fork server.
        Some(second) => unsafe {
            libc::kill(second as i32, libc::SIGKILL);
        },
        None => kill_all(&before),
    }
    assert!(
        support::eventually(Duration::from_secs(10), || {
            let pids = pool.pids();
            pids.len() == 2
                && pids.iter().all(|p| !before.contains(p))
                && match second {
                    Some(second) => testing::fork_server_pid().is_some_and(|s| s != second),
                    None => testing::fork_server_pid().is_none(),
                }
        }),
        "workers {:?} (before {before:?}), server {:?}, {pool:?}",
        pool.pids(),
        testing::fork_server_pid()
    );
    assert_eq!(pool.map_chunked(square, 0..100, 1).unwrap()[99], 99 * 99);
    drop(pool);
    support::assert_no_children(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGKILLs the processes `pids` (workers of our own pools).
fn kill_all(pids: &[u32]) {
    for &pid in pids {
        // SAFETY: kill(2) on a worker of our own pool.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
}

/// An initializer that kills the worker's fork server, once: in the first worker to create
/// `marker`, and only if the worker's parent is not the pool's process (`pool_pid`), so that
/// with `POTOK_FORK_SERVER=0` it does nothing. The worker then dies with its server.
fn kill_my_server_once((pool_pid, marker): (u32, String)) {
    let parent = std::os::unix::process::parent_id();
    if parent == pool_pid {
        return;
    }
    let first = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&marker)
        .is_ok();
    if first {
        // SAFETY: kill(2) on this worker's own fork server.
        unsafe {
            libc::kill(parent as i32, libc::SIGKILL);
        }
        // It asked for SIGKILL when its parent dies: this is never left.
        std::thread::sleep(Duration::from_secs(30));
    }
}

/// The fork server dies while a new pool's first workers run their initializers: they die
/// with it, and the pool starts its workers once more, from a new server, instead of failing
/// to start.
fn a_fork_server_dying_while_a_pool_starts_is_replaced() {
    // A server exists already (so the new pool's workers come from it), and it is the one
    // that dies.
    drop(Pool::new(1).unwrap());
    let first = testing::fork_server_pid();
    let marker = std::env::temp_dir().join(format!("potok-kill-server-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let marker = marker.to_string_lossy().into_owned();
    let pool = Pool::builder()
        .processes(2)
        .initializer(kill_my_server_once, (std::process::id(), marker.clone()))
        .build()
        .expect("a pool whose fork server died as it started starts again");
    if let Some(first) = first {
        assert!(
            std::path::Path::new(&marker).exists(),
            "the initializer never ran in a forked worker"
        );
        assert_ne!(
            testing::fork_server_pid(),
            Some(first),
            "the dead server in service"
        );
    }
    assert_eq!(pool.map(square, 0..10).unwrap()[3], 9);
    drop(pool);
    support::assert_no_children(Duration::from_secs(5));
    let _ = std::fs::remove_file(&marker);
}

/// Whether `pid` has ended (a zombie not reaped yet, or gone).
fn has_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .is_some_and(|at| stat[at + 1..].trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// The fork server keeps workers forked ahead of need (its stock), which are not the
/// program's processes until a pool takes them. Stock workers killed while they wait are
/// never handed to a pool: the next pool gets live workers and works, and the dead ones are
/// reaped. With `POTOK_FORK_SERVER=0` there is no stock.
fn a_stock_worker_killed_while_it_waits_is_not_handed_out() {
    drop(Pool::new(2).unwrap());
    let stock = testing::fork_server_stock();
    if !fork_server_on() {
        assert!(stock.is_empty(), "a stock without a fork server: {stock:?}");
        return;
    }
    assert_eq!(
        stock.len(),
        2,
        "workers forked ahead for the next pool of 2"
    );
    let listed: Vec<u32> = potok::process::active_children()
        .iter()
        .map(|child| child.pid())
        .collect();
    assert!(
        stock.iter().all(|pid| !listed.contains(pid)),
        "stock workers {stock:?} listed as the program's children {listed:?}"
    );
    kill_all(&stock);
    assert!(
        support::eventually(Duration::from_secs(10), || stock
            .iter()
            .all(|&pid| has_ended(pid))),
        "the stock workers {stock:?} never died"
    );
    let pool = Pool::new(2).unwrap();
    let pids = pool.pids();
    assert!(
        pids.iter().all(|pid| !stock.contains(pid)),
        "a killed stock worker was handed out: pool {pids:?}, killed {stock:?}"
    );
    assert_eq!(pool.map_chunked(square, 0..10, 1).unwrap()[3], 9);
    assert_eq!(pool.apply(square, 4).unwrap(), 16);
    drop(pool);
    // The killed ones were reaped (and the pool's workers too).
    support::assert_no_children(Duration::from_secs(5));
}

fn an_idle_worker_that_dies_is_reaped_and_replaced() {
    let pool = Pool::new(2).unwrap();
    let victim = pool.pids()[0];
    // SAFETY: kill(2) on a worker of our own pool.
    unsafe {
        libc::kill(victim as i32, libc::SIGKILL);
    }
    // No zombie is left, and a new worker takes its place, without any task being submitted.
    assert!(
        support::eventually(Duration::from_secs(5), || {
            let kids = support::children();
            let pids = pool.pids();
            !kids.contains(&victim) && pids.len() == 2 && !pids.contains(&victim)
        }),
        "children {:?}, pool {:?}",
        support::children(),
        pool.pids()
    );
    assert_eq!(pool.map(square, 0..10).unwrap()[3], 9);
}

fn maxtasksperchild_recycles_workers() {
    let pool = Pool::builder()
        .processes(1)
        .maxtasksperchild(2)
        .build()
        .unwrap();
    let pids = pool.map_chunked(pid_of, 0..6, 1).unwrap();
    let distinct: HashSet<u32> = pids.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "{pids:?}");
    for pid in &distinct {
        assert_eq!(pids.iter().filter(|p| *p == pid).count(), 2, "{pids:?}");
    }
    drop(pool);
    support::assert_no_children(Duration::from_secs(5));
}

static GREETING: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn set_greeting(g: String) {
    GREETING.set(g).unwrap();
}

fn read_greeting(_: ()) -> String {
    GREETING.get().cloned().unwrap_or_default()
}

fn initializer_panics(_: u8) {
    panic!("no initialization for you");
}

fn touchy_initializer(_: Touchy) {}

fn initializer_runs_in_each_worker() {
    let pool = Pool::builder()
        .processes(2)
        .initializer(set_greeting, "hello from init".to_string())
        .build()
        .unwrap();
    let got = pool.map_chunked(read_greeting, vec![(); 8], 1).unwrap();
    assert!(got.iter().all(|g| g == "hello from init"), "{got:?}");
    drop(pool);
    let err = Pool::builder()
        .processes(1)
        .initializer(initializer_panics, 0)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, StartError::Initializer(m) if m.contains("no initialization for you")),
        "{err}"
    );
    // An argument that does not serialize is an error from build(), not a panic.
    let err = Pool::builder()
        .processes(1)
        .initializer(touchy_initializer, Touchy { fail: true })
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, StartError::InitializerArgument(m) if m.contains("Touchy does not serialize")),
        "{err}"
    );
    support::assert_no_children(Duration::from_secs(5));
}

/// Marks its arrival in `dir`, then waits (bounded) until the other worker has arrived too: it
/// can only finish if the two initializers run at the same time.
fn initializer_meets_the_other(dir: String) {
    let dir = std::path::Path::new(&dir);
    std::fs::write(dir.join(format!("arrived-{}", std::process::id())), "").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::fs::read_dir(dir).unwrap().count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "alone: the other worker's initializer never ran beside this one"
        );
        std::thread::sleep(Duration::from_millis(1)); // polling the folder, bounded above
    }
}

/// Regression: a pool's first workers ran their initializers one after another, so `build`
/// took N times an initializer's time (Python runs them side by side).
fn initializers_run_side_by_side() {
    let dir = std::env::temp_dir().join(format!("potok-init-meet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pool = Pool::builder()
        .processes(2)
        .initializer(
            initializer_meets_the_other,
            dir.to_string_lossy().into_owned(),
        )
        .build();
    let _ = std::fs::remove_dir_all(&dir);
    pool.unwrap();
}

/// The first worker to run this marks `dir`; every later one (a replacement) writes its pid to
/// `dir/slow` and then sleeps 30 s, as a slow or hanging initializer would.
fn initializer_slow_in_replacements(dir: String) {
    let first = std::path::Path::new(&dir).join("first");
    if std::fs::create_dir(&first).is_ok() {
        return;
    }
    let slow = std::path::Path::new(&dir).join("slow");
    std::fs::write(slow, std::process::id().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(30));
}

fn terminate_kills_a_replacement_in_its_initializer() {
    let dir = std::env::temp_dir().join(format!(
        "potok-slow-init-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let pool = Pool::builder()
        .processes(1)
        .maxtasksperchild(1)
        .initializer(
            initializer_slow_in_replacements,
            dir.to_string_lossy().into_owned(),
        )
        .build()
        .unwrap();
    assert_eq!(pool.apply(square, 3).unwrap(), 9);
    // The worker retires after that task; its replacement hangs in the initializer.
    let slow = dir.join("slow");
    assert!(
        support::eventually(Duration::from_secs(10), || std::fs::read_to_string(&slow)
            .map(|s| !s.is_empty())
            .unwrap_or(false)),
        "the replacement's initializer never started"
    );
    let pid: u32 = std::fs::read_to_string(&slow).unwrap().parse().unwrap();
    assert_eq!(pool.pids(), [pid], "the starting worker's pid is published");
    let t = Instant::now();
    pool.terminate();
    pool.join().unwrap();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "terminate()+join() waited {:?} for the initializer",
        t.elapsed()
    );
    support::assert_no_children(Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `potok-progress` memfds that process `pid` holds open.
fn progress_fds(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|target| target.to_string_lossy().into_owned())
        .filter(|target| target.contains("potok-progress"))
        .collect()
}

fn no_worker_holds_a_progress_memfd() {
    // Each worker maps its own page and closes the descriptor before it waits for its first
    // job (a worker started by exec, before its HELLO; a forked one says no HELLO, so a new
    // pool may hold workers that have not run yet: the check waits until each has, for at most
    // 10 s). Workers are spawned concurrently, so one that inherited a sibling's memfd would
    // still hold it then.
    for _ in 0..5 {
        let pool = Pool::new(8).unwrap();
        for pid in pool.pids() {
            assert!(
                support::eventually(Duration::from_secs(10), || progress_fds(pid).is_empty()),
                "worker {pid} holds {:?}",
                progress_fds(pid)
            );
        }
    }
    support::assert_no_children(Duration::from_secs(5));
}

/// Counts itself as started in `started` (shared memory), then naps far longer than any test.
fn started_nap(started: Value<u32>) -> u64 {
    *started.lock().expect("no process dies holding the count") += 1;
    nap_ms(20_000)
}

fn terminate_while_busy_leaves_no_child() {
    let pool = Pool::new(2).unwrap();
    let started = Value::new(0_u32).unwrap();
    let pending: Vec<_> = (0..4)
        .map(|_| pool.apply_async(started_nap, started.clone()).unwrap())
        .collect();
    // Busy, observed rather than assumed: both workers have counted their task as started.
    let limit = Instant::now() + Duration::from_secs(30);
    while started.get().unwrap() < 2 {
        assert!(
            Instant::now() < limit,
            "the workers never started their tasks"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let t = Instant::now();
    pool.terminate();
    for p in pending {
        let err = p.get_timeout(Duration::from_secs(5)).unwrap_err();
        assert!(
            matches!(&err, GetTimeoutError::Task(e) if e.kind() == &TaskErrorKind::Terminated),
            "{err}"
        );
    }
    pool.join().unwrap();
    assert!(t.elapsed() < Duration::from_secs(5));
    support::assert_no_children(Duration::from_secs(1));
    assert_eq!(pool.map(square, [1]), Err(MapError::Closed));
    assert!(pool
        .apply_async(square, 4)
        .is_err_and(|c| c.into_inner() == 4));
}

fn drop_leaves_no_child() {
    let pool = Pool::new(2).unwrap();
    let pids = pool.pids();
    assert_eq!(pids.len(), 2);
    assert_eq!(support::children().len(), 2);
    let _running = pool.apply_async(nap_ms, 20_000).unwrap();
    drop(pool);
    support::assert_no_children(Duration::from_secs(1));
    for pid in pids {
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
}

/// A terminated pool's threads leave their workers for the last of them to reap, all at
/// once: `terminate` alone (no `join`) still leaves no zombie, and once `join` (or the drop)
/// returns every worker is gone, at once (no wait).
fn terminate_reaps_every_worker_without_join() {
    let pool = Pool::new(3).unwrap();
    let pids = pool.pids();
    assert_eq!(pids.len(), 3);
    assert_eq!(pool.map_chunked(square, 0..30, 1).unwrap()[5], 25);
    pool.terminate();
    support::assert_no_children(Duration::from_secs(5));
    pool.join().unwrap();
    let second = Pool::new(2).unwrap();
    let pids = second.pids();
    assert_eq!(second.apply(square, 3).unwrap(), 9);
    drop(second);
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} left after the drop returned"
        );
    }
}

fn close_then_join_finishes_the_work() {
    let pool = Pool::new(2).unwrap();
    let pending: Vec<_> = (0..6)
        .map(|x| pool.apply_async(square, x).unwrap())
        .collect();
    assert!(pool.join().is_err(), "join before close is an error");
    pool.close();
    pool.join().unwrap();
    let got: Vec<u64> = pending.into_iter().map(|p| p.get().unwrap()).collect();
    assert_eq!(got, [0, 1, 4, 9, 16, 25]);
    support::assert_no_children(Duration::from_secs(1));
}

/// Serializes fine, refuses to serialize when `fail` is set.
#[derive(Debug, Deserialize)]
struct Touchy {
    fail: bool,
}

impl Serialize for Touchy {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.fail {
            Err(serde::ser::Error::custom("Touchy refuses"))
        } else {
            s.serialize_bool(false)
        }
    }
}

/// Serializes, but never deserializes.
#[derive(Debug)]
struct OneWay(u8);

impl Serialize for OneWay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for OneWay {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("OneWay cannot be read back"))
    }
}

/// Serializes, and panics when deserialized.
#[derive(Debug)]
struct Explosive;

impl Serialize for Explosive {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Explosive {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        panic!("Explosive went off while decoding");
    }
}

/// A number that panics when it is decoded as 13 (a buggy `Deserialize`): in the children
/// only, or everywhere once `FRAGILE_IN_PARENT` is set (which only the test process does).
#[derive(Debug)]
struct Fragile(u8);

static FRAGILE_IN_PARENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static IS_PARENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Serialize for Fragile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

impl<'de> Deserialize<'de> for Fragile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        let n = u8::deserialize(d)?;
        if !IS_PARENT.load(Relaxed) || FRAGILE_IN_PARENT.load(Relaxed) {
            assert_ne!(n, 13, "Fragile broke while decoding");
        }
        Ok(Fragile(n))
    }
}

fn fragile_double(x: Fragile) -> u16 {
    u16::from(x.0) * 2
}

fn make_explosive(_: u8) -> Explosive {
    Explosive
}

fn touchy_id(t: Touchy) -> bool {
    t.fail
}

fn make_one_way(x: u8) -> OneWay {
    OneWay(x)
}

fn take_one_way(x: OneWay) -> u8 {
    x.0
}

fn touchy_result(fail: bool) -> Touchy {
    Touchy { fail }
}

fn bad_values_are_errors() {
    let pool = Pool::new(2).unwrap();
    // An argument that does not serialize: that item fails, the others run.
    let outcomes: Vec<_> = pool
        .imap(
            touchy_id,
            [
                Touchy { fail: false },
                Touchy { fail: true },
                Touchy { fail: false },
            ],
        )
        .unwrap()
        .collect();
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok());
    let err = outcomes[1].as_ref().unwrap_err();
    assert!(
        matches!(err.kind(), TaskErrorKind::Encode(m) if m.contains("could not be encoded as pool::Touchy")),
        "{err}"
    );
    // A result that does not deserialize in the parent.
    let err = pool.apply(make_one_way, 1).unwrap_err();
    assert!(
        matches!(&err, MapError::Task(e) if matches!(e.kind(), TaskErrorKind::Decode(m) if m.contains("could not be decoded as pool::OneWay"))),
        "{err}"
    );
    // An argument that does not deserialize in the child.
    let err = pool.apply(take_one_way, OneWay(3)).unwrap_err();
    assert!(
        matches!(&err, MapError::Task(e) if matches!(e.kind(), TaskErrorKind::Decode(m) if m.contains("could not be decoded as pool::OneWay"))),
        "{err}"
    );
    // A result that does not serialize in the child.
    let outcomes: Vec<_> = pool.imap(touchy_result, [false, true]).unwrap().collect();
    assert!(outcomes[0].is_ok());
    assert!(
        matches!(outcomes[1].as_ref().unwrap_err().kind(), TaskErrorKind::Encode(m) if m.contains("could not be encoded as pool::Touchy"))
    );
    // A result whose decoding panics in the parent: an error for each item, no hang.
    let outcomes: Vec<_> = pool
        .imap_chunked(make_explosive, [1, 2, 3], 3)
        .unwrap()
        .collect();
    for outcome in &outcomes {
        let err = outcome.as_ref().unwrap_err();
        assert!(
            matches!(err.kind(), TaskErrorKind::Decode(m) if m.contains("Explosive went off")),
            "{err}"
        );
    }
    // An argument whose decoding panics in the child: the worker goes down with it (as a
    // crash in serde code would take it), that item fails, the rest of its chunk runs.
    IS_PARENT.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes: Vec<_> = pool
        .imap_chunked(fragile_double, (10..16).map(Fragile), 6)
        .unwrap()
        .collect();
    for (i, outcome) in outcomes.iter().enumerate() {
        if i == 3 {
            let err = outcome.as_ref().unwrap_err();
            assert!(matches!(err.kind(), TaskErrorKind::WorkerDied(_)), "{err}");
        } else {
            assert_eq!(*outcome.as_ref().unwrap(), (10 + i as u16) * 2, "item {i}");
        }
    }
    // The same, when the parent cannot decode the arguments either (to split the chunk around
    // the item that killed the worker): that item is blamed, the others fail with it or run,
    // and the pool's worker thread survives (it used to die there, and the call hung).
    FRAGILE_IN_PARENT.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes: Vec<_> = pool
        .imap_chunked(fragile_double, (10..16).map(Fragile), 6)
        .unwrap()
        .collect();
    FRAGILE_IN_PARENT.store(false, std::sync::atomic::Ordering::Relaxed);
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Ok(v) => assert_eq!(*v, (10 + i as u16) * 2, "item {i}"),
            Err(err) => assert!(matches!(err.kind(), TaskErrorKind::WorkerDied(_)), "{err}"),
        }
    }
    assert!(outcomes[3].is_err());
    // The pool is fine afterwards.
    assert_eq!(pool.map(square, [4]).unwrap(), [16]);
}

fn corrupt_frames_and_unknown_functions() {
    use potok::process::testing;
    // A frame whose checksum is wrong: the worker reports it and exits; no hang.
    let mut frame = testing::job_frame(square, 3);
    let last = frame.len() - 1;
    frame[last] ^= 0xff;
    // SAFETY: a corrupt frame: the worker rejects it unread.
    let reply = unsafe { testing::send_raw_to_worker(&frame) };
    assert!(reply.answer.is_none(), "{reply:?}");
    assert_eq!(reply.exit, potok::process::ChildExit::Code(70), "{reply:?}");
    // A frame cut short.
    let frame = testing::job_frame(square, 3);
    // SAFETY: a frame cut short: the worker rejects it unread.
    let reply = unsafe { testing::send_raw_to_worker(&frame[..frame.len() - 3]) };
    assert!(reply.answer.is_none());
    assert_eq!(reply.exit, potok::process::ChildExit::Code(70), "{reply:?}");
    // An intact frame naming a function outside the executable: refused, by name.
    let frame = testing::job_frame_with_offsets(1 << 40, 1 << 41, 0, &[0]);
    // SAFETY: both offsets lie far outside the executable's code: the worker refuses them.
    let reply = unsafe { testing::send_raw_to_worker(&frame) };
    let text = reply.answer.expect("an answer");
    assert!(text.contains("unknown function identity"), "{text}");
    // An intact frame whose type fingerprint does not match the trampoline's.
    let frame = testing::job_frame_with_wrong_fingerprint(square, 3);
    // SAFETY: made by job_frame_with_wrong_fingerprint: the worker refuses the mismatch.
    let text = unsafe { testing::send_raw_to_worker(&frame) }
        .answer
        .expect("an answer");
    assert!(text.contains("unknown function identity"), "{text}");
    // And a valid one, for contrast.
    // SAFETY: made by job_frame for `square` in this executable.
    let text = unsafe { testing::send_raw_to_worker(&testing::job_frame(square, 3)) }
        .answer
        .expect("an answer");
    assert!(text.starts_with("DONE"), "{text}");
    support::assert_no_children(Duration::from_secs(1));
}

fn concurrent_callers_share_the_pool() {
    let pool = Pool::new(2).unwrap();
    std::thread::scope(|s| {
        let callers: Vec<_> = (0..4u64)
            .map(|t| {
                let pool = &pool;
                s.spawn(move || {
                    for round in 0..20u64 {
                        let base = t * 1000 + round;
                        let got = pool.map_chunked(square, base..base + 50, 7).unwrap();
                        let want: Vec<u64> = (base..base + 50).map(|x| x * x).collect();
                        assert_eq!(got, want);
                        assert_eq!(
                            pool.apply_async(square, base).unwrap().get().unwrap(),
                            base * base
                        );
                    }
                })
            })
            .collect();
        for caller in callers {
            caller.join().unwrap();
        }
    });
}

fn no_child_outlives_the_tests() {
    support::assert_no_children(Duration::from_secs(2));
}

/// `Duration::MAX` means no limit, as on the thread side (`Instant::now() + timeout` panicked).
fn duration_max_timeouts_mean_forever() {
    let pool = Pool::new(1).unwrap();
    let result = pool.apply_async(square, 3).unwrap();
    assert!(result.wait_timeout(Duration::MAX));
    assert_eq!(result.get_timeout(Duration::MAX).unwrap(), 9);
    let mut ordered = pool.imap(square, [4, 5]).unwrap();
    assert_eq!(
        ordered.next_timeout(Duration::MAX).unwrap().unwrap(),
        Ok(16)
    );
    assert_eq!(
        ordered.next_timeout(Duration::MAX).unwrap().unwrap(),
        Ok(25)
    );
    assert!(ordered.next_timeout(Duration::MAX).unwrap().is_none());
    let mut unordered = pool.imap_unordered(square, [6]).unwrap();
    assert_eq!(
        unordered.next_timeout(Duration::MAX).unwrap().unwrap(),
        Ok(36)
    );
    assert!(unordered.next_timeout(Duration::MAX).unwrap().is_none());
}

fn main() -> ExitCode {
    support::run(
        [
            case!(map_keeps_order),
            case!(chunksize_edge_cases),
            case!(imap_and_starmap),
            case!(apply_and_async_result),
            case!(an_apply_async_answer_is_read_by_whoever_waits_for_it),
            case!(a_panicking_task_fails_alone),
            case!(several_panics_in_one_chunk),
            case!(an_aborting_worker_costs_one_task),
            case!(a_long_map_fills_its_list_in_order_and_fails_in_the_middle),
            case!(a_segfaulting_worker_costs_one_task),
            case!(a_worker_dying_with_jobs_in_flight_costs_one_task),
            case!(a_killed_worker_costs_one_task),
            case!(an_idle_worker_that_dies_is_reaped_and_replaced),
            case!(a_stock_worker_killed_while_it_waits_is_not_handed_out),
            case!(workers_come_from_one_fork_server),
            case!(a_killed_fork_server_is_replaced),
            case!(a_fork_server_dying_while_a_pool_starts_is_replaced),
            case!(maxtasksperchild_recycles_workers),
            case!(initializer_runs_in_each_worker),
            case!(initializers_run_side_by_side),
            case!(terminate_kills_a_replacement_in_its_initializer),
            case!(terminate_while_busy_leaves_no_child),
            case!(no_worker_holds_a_progress_memfd),
            case!(drop_leaves_no_child),
            case!(terminate_reaps_every_worker_without_join),
            case!(close_then_join_finishes_the_work),
            case!(bad_values_are_errors),
            case!(corrupt_frames_and_unknown_functions),
            case!(concurrent_callers_share_the_pool),
            case!(duration_max_timeouts_mean_forever),
            case!(no_child_outlives_the_tests),
        ]
        .map(|test| test.limit(Duration::from_secs(60))),
    )
}
