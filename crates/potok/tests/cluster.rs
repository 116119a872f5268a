//! potok::cluster against a real redis-server of its own: order over 20,000 items with three
//! workers, killed, stopped and foreign workers, a broker killed mid-map, a worker and a pool
//! that outlive a broker restart, a task that always crashes, two pools sharing workers, a pool
//! dropped mid-map, calls racing terminate(), bad URLs.
//!
//! Runs with `harness = false` (see `support/mod.rs`): the local workers are this executable
//! again, so `main` must dispatch them first.

mod redis_server;
mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use potok::cluster::{ConnectError, MapError, Pool, TaskErrorKind, WorkerError};
use redis_server::RedisServer;
use support::case;

fn square(x: u64) -> u64 {
    x * x
}

fn add(a: u64, b: u64) -> u64 {
    a + b
}

fn pid_of(x: u64) -> (u64, u32) {
    (x, std::process::id())
}

fn nap_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn panic_on_seven(x: u64) -> u64 {
    assert!(x != 7, "seven is not allowed");
    x
}

fn abort_always(_: u64) -> u64 {
    std::process::abort();
}

/// Writes its pid into `dir` (one file per run), naps `ms`, returns its pid.
fn report_pid_and_nap((dir, ms): (String, u64)) -> u32 {
    let pid = std::process::id();
    std::fs::write(Path::new(&dir).join(pid.to_string()), b"").unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    pid
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("potok-cluster-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits (at most `limit`) until `dir` holds a pid file other than those in `seen`.
fn wait_new_pid(dir: &Path, seen: &HashSet<u32>, limit: Duration) -> u32 {
    let deadline = Instant::now() + limit;
    loop {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() {
                if !seen.contains(&pid) {
                    return pid;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no task started within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill only sends a signal to our own child.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

fn raw(server: &RedisServer) -> redis::Connection {
    let c = redis::Client::open(server.url()).unwrap();
    let con = c
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap();
    con.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    con
}

fn map_20000_items_with_three_workers_in_order() {
    let server = RedisServer::start();
    let pool = Pool::builder(&server.url())
        .local_workers(3)
        .build()
        .unwrap();
    let workers = pool.workers().unwrap();
    let local: HashSet<String> = pool
        .local_pids()
        .iter()
        .map(|p| format!("{}:{p}", hostname()))
        .collect();
    assert_eq!(local.len(), 3);
    assert!(
        local.iter().all(|n| workers.contains(n)),
        "{workers:?} names {local:?}"
    );

    let expected: Vec<u64> = (0..20_000).map(|x| x * x).collect();
    assert_eq!(pool.map(square, 0..20_000).unwrap(), expected);
    assert_eq!(pool.map_chunked(square, 0..20_000, 7).unwrap(), expected);
    let tagged = pool.map_chunked(pid_of, 0..20_000, 1).unwrap();
    assert!(tagged.iter().enumerate().all(|(i, &(x, _))| x == i as u64));
    let pids: HashSet<u32> = tagged.iter().map(|&(_, p)| p).collect();
    assert!(pids.iter().all(|p| pool.local_pids().contains(p)));
    let got: Vec<u64> = pool
        .imap(square, 0..500)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got, expected[..500]);
    let mut unordered: Vec<u64> = pool
        .imap_unordered(square, 0..500)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    unordered.sort_unstable();
    assert_eq!(unordered, expected[..500]);
    assert_eq!(
        pool.starmap(add, (0..100).map(|i| (i, 2 * i))).unwrap(),
        (0..100).map(|i| 3 * i).collect::<Vec<u64>>()
    );
    assert_eq!(pool.apply(square, 12).unwrap(), 144);
    let pending = pool.apply_async(square, 5).unwrap();
    assert_eq!(pending.get().unwrap(), 25);
    assert!(pool.map(square, Vec::new()).unwrap().is_empty());
    // A call queued with its read on the seat (see reader.rs): a short wait ends on time,
    // not when that read's block would (200 ms), and the result still comes after.
    let pending = pool.apply_async(nap_ms, 400).unwrap();
    let t = Instant::now();
    let pending = match pending.get_timeout(Duration::from_millis(30)) {
        Err(potok::cluster::GetTimeoutError::Timeout(p)) => p,
        other => panic!("{other:?}"),
    };
    let waited = t.elapsed();
    assert!(waited < Duration::from_millis(150), "waited {waited:?}");
    assert!(!pending.wait_timeout(Duration::from_millis(10)));
    assert_eq!(pending.get().unwrap(), 400);
    // A panic is that task's result, not a retry, and the others are unaffected.
    let err = pool.map(panic_on_seven, 0..20).unwrap_err();
    match err {
        MapError::Task(e) => {
            assert_eq!(e.index(), 7);
            assert!(e.panic_message().unwrap().contains("seven is not allowed"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pool.duplicates().unwrap(), 0);
    pool.close();
    pool.join().unwrap();
    assert!(matches!(pool.map(square, 0..3), Err(MapError::Closed)));
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

fn a_sigkilled_worker_loses_its_task_to_another() {
    let server = RedisServer::start();
    let lease = Duration::from_secs(1);
    let pool = Pool::builder(&server.url())
        .local_workers(2)
        .lease(lease)
        .build()
        .unwrap();
    let dir = temp_dir("kill");
    let d = dir.to_string_lossy().into_owned();
    let pending = pool
        .apply_async(report_pid_and_nap, (d.clone(), 1500))
        .unwrap();
    let first = wait_new_pid(&dir, &HashSet::new(), Duration::from_secs(10));
    signal(first, libc::SIGKILL);
    let killed_at = Instant::now();
    let second = wait_new_pid(&dir, &HashSet::from([first]), Duration::from_secs(10));
    let taken_over = killed_at.elapsed();
    println!("(the killed worker's task restarted elsewhere {taken_over:?} after SIGKILL; lease {lease:?})");
    // Taken over by the lease's expiry (nothing else restarts it; the wait above gives up
    // at 10 s): the slack covers a loaded machine's late renewal check and the new start.
    assert!(
        taken_over <= lease + Duration::from_secs(3),
        "took {taken_over:?} to restart the task"
    );
    assert_eq!(pending.get().unwrap(), second);

    // Under load: every result once and correct while a worker is killed mid-map.
    let items: Vec<(String, u64)> = (0..40).map(|_| (d.clone(), 30)).collect();
    let mut it = pool.imap(report_pid_and_nap, items).unwrap();
    let first_pid = it.next().unwrap().unwrap();
    signal(first_pid, libc::SIGKILL);
    let rest: Vec<u32> = it.map(Result::unwrap).collect();
    assert_eq!(rest.len(), 39);
    assert_eq!(pool.duplicates().unwrap(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

fn a_sigstopped_worker_loses_its_task_and_its_late_answer_is_dropped() {
    let server = RedisServer::start();
    let pool = Pool::builder(&server.url())
        .local_workers(2)
        .lease(Duration::from_secs(1))
        .build()
        .unwrap();
    let dir = temp_dir("stop");
    let d = dir.to_string_lossy().into_owned();
    let pending = pool.apply_async(report_pid_and_nap, (d, 600)).unwrap();
    let first = wait_new_pid(&dir, &HashSet::new(), Duration::from_secs(10));
    signal(first, libc::SIGSTOP);
    let second = wait_new_pid(&dir, &HashSet::from([first]), Duration::from_secs(10));
    assert_eq!(
        pending.get().unwrap(),
        second,
        "the answer comes from the other worker"
    );
    signal(first, libc::SIGCONT);
    // The stopped worker finishes late: its answer is counted, never delivered.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool.duplicates().unwrap() == 0 {
        assert!(
            Instant::now() < deadline,
            "the late answer was never counted"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(pool.duplicates().unwrap(), 1);
    // The pool goes on working with both.
    assert_eq!(pool.map_chunked(square, 0..100, 1).unwrap().len(), 100);
    let _ = std::fs::remove_dir_all(&dir);
}

fn redis_killed_mid_map_fails_the_call_in_bounded_time() {
    let mut server = RedisServer::start();
    let pool = Pool::builder(&server.url())
        .local_workers(2)
        .broker_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let mut it = pool.imap(nap_ms, vec![20u64; 200]).unwrap();
    for _ in 0..3 {
        assert_eq!(it.next().unwrap().unwrap(), 20);
    }
    server.kill();
    let killed = Instant::now();
    let err = it
        .find_map(Result::err)
        .expect("the lost broker fails the remaining items");
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        matches!(err.kind(), TaskErrorKind::BrokerLost(_)),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("lost the broker") && text.contains("127.0.0.1"),
        "{text}"
    );
    // Later calls fail at once with the same reason.
    let t = Instant::now();
    let later = pool.map(square, 0..10).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert!(later.to_string().contains("lost the broker"), "{later}");
    drop(pool);
}

/// A copy of this test executable with one byte appended: the same code, another build.
fn other_build() -> PathBuf {
    let me = std::fs::read_link("/proc/self/exe").unwrap();
    let copy = std::env::temp_dir().join(format!("potok-other-build-{}", std::process::id()));
    let mut bytes = std::fs::read(me).unwrap();
    bytes.extend_from_slice(b"another build");
    std::fs::write(&copy, bytes).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy
}

#[derive(Debug)]
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn a_worker_of_another_build_refuses_and_the_error_says_so() {
    let server = RedisServer::start();
    let exe = other_build();
    let foreign = KillOnDrop(
        Command::new(&exe)
            .env("POTOK_WORKER", server.url())
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let name = format!("{}:{}", hostname(), foreign.0.id());
    let pool = Pool::builder(&server.url())
        .lease(Duration::from_millis(500))
        .retries(1)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pool.workers().unwrap().contains(&name) {
        assert!(
            Instant::now() < deadline,
            "the foreign worker never registered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let t = Instant::now();
    let err = pool.apply(square, 3).unwrap_err();
    println!("(refused twice and given up in {:?})", t.elapsed());
    let text = err.to_string();
    assert!(text.contains("another build"), "{text}");
    assert!(text.contains(&name), "{text}");
    assert!(text.contains("gave up after 2 attempt(s)"), "{text}");
    drop(foreign);
    let _ = std::fs::remove_file(exe);
}

/// Waits (at most `limit`) until `name` is among the pool's live workers.
fn wait_registered(pool: &Pool, name: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !pool.workers().unwrap().iter().any(|w| w == name) {
        assert!(
            Instant::now() < deadline,
            "the worker {name} did not register within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn a_worker_and_a_pool_survive_a_broker_restart() {
    let mut server = RedisServer::start();
    let url = server.url();
    // A worker of its own, not a pool's: this executable again, serving the broker.
    let mut worker = KillOnDrop(
        Command::new("/proc/self/exe")
            .env("POTOK_WORKER", &url)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = worker.0.id();
    let name = format!("{}:{pid}", hostname());
    let timeout = Duration::from_secs(2);
    let pool = Pool::builder(&url).broker_timeout(timeout).build().unwrap();
    wait_registered(&pool, &name, Duration::from_secs(10));
    let expected: Vec<u64> = (0..1_000).map(|x| x * x).collect();
    assert_eq!(pool.map(square, 0..1_000).unwrap(), expected);

    server.kill();
    // While the broker is down: the old pool's calls fail clearly, in bounded time, and so
    // does making a pool.
    let t = Instant::now();
    let err = pool.map(square, 0..10).unwrap_err();
    assert!(t.elapsed() < timeout * 2, "took {:?}", t.elapsed());
    assert!(err.to_string().contains("lost the broker"), "{err}");
    let t = Instant::now();
    let err = Pool::builder(&url)
        .broker_timeout(timeout)
        .build()
        .unwrap_err();
    assert!(t.elapsed() < timeout * 2, "took {:?}", t.elapsed());
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");

    // Back on the same port, empty (no persistence): no group, no registration. The same
    // worker reconnects, makes both again, and serves a new pool.
    server.restart();
    let back = Instant::now();
    // Before any pool connects (a pool would make the group too): the worker alone.
    let mut con = raw(&server);
    let deadline = back + Duration::from_secs(20);
    loop {
        let registered: bool = redis::cmd("HEXISTS")
            .arg("potok:workers")
            .arg(&name)
            .query(&mut con)
            .unwrap();
        let groups: redis::RedisResult<redis::Value> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg("potok:tasks")
            .query(&mut con);
        let group = groups.is_ok_and(|g| format!("{g:?}").contains("workers"));
        if registered && group {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not come back (registered {registered}, group {group})"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "(the worker registered and made its group again {:?} after the broker came back)",
        back.elapsed()
    );
    let pool2 = Pool::builder(&url).broker_timeout(timeout).build().unwrap();
    wait_registered(&pool2, &name, Duration::from_secs(5));
    let tagged = pool2.map_chunked(pid_of, 0..1_000, 10).unwrap();
    assert!(tagged.iter().enumerate().all(|(i, &(x, _))| x == i as u64));
    assert!(
        tagged.iter().all(|&(_, p)| p == pid),
        "run by the old worker"
    );
    assert!(
        worker.0.try_wait().unwrap().is_none(),
        "the worker lives on"
    );
    // The old pool gets its broker back on its next call: its key made again, and the same
    // worker serves it (the calls that failed while the broker was down stay failed).
    let t = Instant::now();
    let tagged = pool.map_chunked(pid_of, 0..1_000, 10).unwrap();
    println!(
        "(the old pool's first call after the restart took {:?})",
        t.elapsed()
    );
    assert!(tagged.iter().enumerate().all(|(i, &(x, _))| x == i as u64));
    assert!(tagged.iter().all(|&(_, p)| p == pid));
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("potok:pool:{}", pool.id()))
        .query(&mut con)
        .unwrap();
    assert!(exists, "the old pool registered again");
    assert_eq!(pool.apply(square, 9).unwrap(), 81);
    // Nobody waits in `get`: the new reader thread takes the answer off the stream.
    let pending = pool.apply_async(square, 4).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pending.ready() {
        assert!(
            Instant::now() < deadline,
            "the reader thread never read the answer"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(pending.get().unwrap(), 16);
    let mut it = pool.imap(square, 0..300).unwrap();
    assert_eq!(it.next().unwrap().unwrap(), 0);
    assert_eq!(it.map(Result::unwrap).count(), 299);
    assert_eq!(pool.duplicates().unwrap(), 0);

    // Lost a second time, and back again: the same, bounded both ways.
    server.kill();
    let t = Instant::now();
    let err = pool.apply(square, 2).unwrap_err();
    assert!(t.elapsed() < timeout * 2, "took {:?}", t.elapsed());
    assert!(err.to_string().contains("lost the broker"), "{err}");
    server.restart();
    let mut con = raw(&server);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !redis::cmd("HEXISTS")
        .arg("potok:workers")
        .arg(&name)
        .query::<bool>(&mut con)
        .unwrap()
    {
        assert!(Instant::now() < deadline, "the worker did not come back");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(pool.map(square, 0..1_000).unwrap(), expected);
    drop(pool2);
}

fn a_task_that_always_crashes_ends_in_the_dead_letter_stream() {
    let server = RedisServer::start();
    let pool = Pool::builder(&server.url())
        .local_workers(2)
        .lease(Duration::from_millis(500))
        .retries(2)
        .name("crashy")
        .build()
        .unwrap();
    let t = Instant::now();
    let err = pool.apply(abort_always, 1).unwrap_err();
    println!("(three crashes and given up in {:?})", t.elapsed());
    let MapError::Task(err) = err else {
        panic!("{err:?}")
    };
    let TaskErrorKind::GaveUp(history) = err.kind() else {
        panic!("{err:?}")
    };
    assert!(
        history.contains("gave up after 3 attempt(s) (2 retries)"),
        "{history}"
    );
    assert_eq!(
        history.matches("held it past its lease").count(),
        3,
        "{history}"
    );
    assert!(history.contains(&format!("{}:", hostname())), "{history}");
    let mut con = raw(&server);
    let dead: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg("potok:dead")
        .arg("-")
        .arg("+")
        .query(&mut con)
        .unwrap();
    assert_eq!(dead.len(), 1);
    let text = format!("{dead:?}");
    assert!(
        text.contains(pool.id()) || text.contains("crashy"),
        "{text}"
    );
    // The local workers were replaced: the pool still works.
    assert_eq!(pool.map(square, 0..10).unwrap()[3], 9);
}

fn two_pools_share_the_workers() {
    let server = RedisServer::start();
    let a = Pool::builder(&server.url())
        .local_workers(2)
        .name("a")
        .build()
        .unwrap();
    let b = Pool::builder(&server.url()).name("b").build().unwrap();
    let (ra, rb) = std::thread::scope(|s| {
        let ha = s.spawn(|| a.map_chunked(pid_of, 0..2000, 3).unwrap());
        let hb = s.spawn(|| b.map_chunked(pid_of, 0..2000, 3).unwrap());
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let local: HashSet<u32> = a.local_pids().into_iter().collect();
    for r in [&ra, &rb] {
        assert!(r.iter().enumerate().all(|(i, &(x, _))| x == i as u64));
        assert!(r.iter().all(|(_, p)| local.contains(p)));
    }
}

fn a_dropped_pool_leaves_nothing_in_redis() {
    let server = RedisServer::start();
    let pool = Pool::builder(&server.url())
        .local_workers(1)
        .build()
        .unwrap();
    let id = pool.id().to_owned();
    let mut it = pool.imap(nap_ms, vec![30u64; 200]).unwrap();
    assert_eq!(it.next().unwrap().unwrap(), 30);
    let mut con = raw(&server);
    let queued: usize = redis::cmd("XLEN")
        .arg("potok:tasks")
        .query(&mut con)
        .unwrap();
    assert!(queued > 100, "{queued} entries queued");
    drop(pool);
    // The iterator's remaining items fail (not hang).
    let rest: Vec<_> = it.collect();
    assert!(rest.iter().any(|r| r.is_err()));
    let queued: usize = redis::cmd("XLEN")
        .arg("potok:tasks")
        .query(&mut con)
        .unwrap();
    assert_eq!(queued, 0, "the pool's tasks were removed");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("potok:pool:{id}*"))
        .query(&mut con)
        .unwrap();
    assert!(keys.is_empty(), "{keys:?} left");
    let pending: Vec<redis::Value> = redis::cmd("XPENDING")
        .arg("potok:tasks")
        .arg("workers")
        .arg("-")
        .arg("+")
        .arg(10)
        .query(&mut con)
        .unwrap();
    assert!(pending.is_empty(), "{pending:?}");
}

/// Calls racing `terminate()` from another thread, many times: each either is refused at once
/// (`Closed`) or ends with every item failed `Terminated`; none is left waiting for an answer
/// nobody will give, and none leaves entries behind in `potok:tasks`. No workers, so a call
/// can only end through the pool: a chunk that terminate() missed would wait forever (each wait
/// here is bounded instead, and the runner's watchdog bounds the whole test).
fn calls_racing_terminate_all_end_and_leave_nothing_queued() {
    let server = RedisServer::start();
    let mut con = raw(&server);
    let limit = Duration::from_secs(10);
    let (mut refused, mut terminated) = (0usize, 0usize);
    for round in 0..120u64 {
        let pool = Pool::connect(&server.url()).unwrap();
        let go = std::sync::Barrier::new(3);
        std::thread::scope(|s| {
            // A call of many chunks (several XADD round trips: terminate lands mid-submit).
            let many = s.spawn(|| {
                go.wait();
                match pool.imap(square, 0..(300 + round % 7 * 100)) {
                    Err(MapError::Closed) => None,
                    Err(other) => panic!("{other:?}"),
                    Ok(mut it) => {
                        let mut n = 0;
                        loop {
                            match it.next_timeout(limit) {
                                Ok(None) => break Some(n),
                                Ok(Some(Err(e))) => {
                                    assert_eq!(e.kind(), &TaskErrorKind::Terminated, "{e}");
                                    n += 1;
                                }
                                Ok(Some(Ok(v))) => panic!("no worker, yet a result {v}"),
                                Err(_) => panic!("round {round}: an item of imap hangs"),
                            }
                        }
                    }
                }
            });
            // A single call: the smallest window between the check and the registration.
            let one = s.spawn(|| {
                go.wait();
                match pool.apply_async(square, round) {
                    Err(closed) => {
                        assert_eq!(closed.into_inner(), round);
                        None
                    }
                    Ok(pending) => match pending.get_timeout(limit) {
                        Err(potok::cluster::GetTimeoutError::Task(e)) => {
                            assert_eq!(e.kind(), &TaskErrorKind::Terminated, "{e}");
                            Some(1)
                        }
                        Err(potok::cluster::GetTimeoutError::Timeout(_)) => {
                            panic!("round {round}: apply_async hangs")
                        }
                        other => panic!("{other:?}"),
                    },
                }
            });
            go.wait();
            pool.terminate();
            for h in [many, one] {
                match h.join().unwrap() {
                    None => refused += 1,
                    Some(_) => terminated += 1,
                }
            }
        });
        // After terminate(), a call is refused at once: not after a wait on the broker (5 s,
        // the default broker timeout). The bound is far from both: 100 ms, as it was, is a
        // scheduler's stall on a loaded machine, and 120 rounds give it as many chances.
        let t = Instant::now();
        assert!(pool.apply_async(square, 1).is_err());
        assert!(matches!(pool.map(square, 0..3), Err(MapError::Closed)));
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        drop(pool);
        let queued: usize = redis::cmd("XLEN")
            .arg("potok:tasks")
            .query(&mut con)
            .unwrap();
        assert_eq!(queued, 0, "round {round}: entries left behind");
    }
    println!("({refused} calls refused, {terminated} failed Terminated)");
}

fn bad_urls_and_unreachable_brokers_are_one_clear_error() {
    for url in [
        "",
        "localhost:6379",
        "http://127.0.0.1:6379",
        "rediss://127.0.0.1",
    ] {
        let err = Pool::connect(url).unwrap_err();
        assert!(matches!(err, ConnectError::BadUrl { .. }), "{url}: {err:?}");
        assert!(err.to_string().contains("not a Redis URL"), "{err}");
    }
    // Nothing listens on a port we just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let t = Instant::now();
    let err = Pool::connect(&url).unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(6));
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(matches!(
        potok::cluster::worker(&url),
        Err(WorkerError::Connect(_))
    ));
    assert!(matches!(
        potok::cluster::worker("nonsense"),
        Err(WorkerError::Connect(ConnectError::BadUrl { .. }))
    ));
    // A broker that accepts the connection but never answers (a stopped server).
    let server = RedisServer::start();
    signal(server.pid().unwrap(), libc::SIGSTOP);
    let t = Instant::now();
    let err = Pool::builder(&server.url())
        .broker_timeout(Duration::from_millis(500))
        .build()
        .unwrap_err();
    signal(server.pid().unwrap(), libc::SIGCONT);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(err.to_string().contains("500ms"), "{err}");
}

fn main() -> ExitCode {
    // The local workers are this executable again: `support::run` calls `process::init` first,
    // which serves the broker there (POTOK_WORKER) and never returns. No `cluster::init` here, so
    // every test below also checks that `process::init` alone dispatches cluster workers.
    support::run([
        case!(map_20000_items_with_three_workers_in_order),
        case!(a_sigkilled_worker_loses_its_task_to_another),
        case!(a_sigstopped_worker_loses_its_task_and_its_late_answer_is_dropped),
        case!(redis_killed_mid_map_fails_the_call_in_bounded_time),
        case!(a_worker_and_a_pool_survive_a_broker_restart),
        case!(a_worker_of_another_build_refuses_and_the_error_says_so),
        case!(a_task_that_always_crashes_ends_in_the_dead_letter_stream),
        case!(two_pools_share_the_workers),
        case!(a_dropped_pool_leaves_nothing_in_redis),
        case!(calls_racing_terminate_all_end_and_leave_nothing_queued),
        case!(bad_urls_and_unreachable_brokers_are_one_clear_error),
    ])
}
