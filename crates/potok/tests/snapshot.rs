//! `potok::deadlock::snapshot()` and `dump()`: what every thread is doing, by its state
//! (running, sleeping, blocked on KIND 'NAME', joining 'NAME'), since when, holding what; and
//! the dump printed by `POTOK_DUMP_AFTER` and by `SIGQUIT`, in a child process of this test
//! binary (the same test, run again with `SNAPSHOT_CHILD` set).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use potok::deadlock::{snapshot, wait_until_blocked, ResourceKind, ThreadState};
use potok::{Builder, Event, Mutex};
use support::blocked;

mod support;

const LIMIT: Duration = Duration::from_secs(30);
const CHILD: &str = "SNAPSHOT_CHILD";

#[test]
fn states_holders_and_since() {
    let m = Arc::new(Mutex::named("snap-m", 0));
    let go = Arc::new(Event::named("snap-go"));
    let holder = Builder::new()
        .name("snap-holder")
        .spawn({
            let (m, go) = (m.clone(), go.clone());
            move || {
                let _held = m.lock();
                go.wait();
            }
        })
        .unwrap();
    let h = blocked(holder.thread(), ResourceKind::Event, "snap-go");
    // The test's own thread runs: the detector says so for the holder's untimed wait.
    let (why, _) = h
        .not_declared()
        .expect("an untimed wait the detector checked");
    assert!(
        why.contains("live threads of its family are blocked"),
        "{why}"
    );
    assert_eq!(
        h.state(),
        &ThreadState::Blocked {
            on: h.state().waits_for().unwrap(),
            held_by: None,
            deadline: None
        }
    );
    let waiter = Builder::new()
        .name("snap-waiter")
        .spawn({
            let m = m.clone();
            move || *m.lock_timeout(LIMIT).expect("the holder lets go") += 1
        })
        .unwrap();
    let w = blocked(waiter.thread(), ResourceKind::Mutex, "snap-m");
    match w.state() {
        ThreadState::Blocked {
            held_by, deadline, ..
        } => {
            assert_eq!(held_by.as_deref(), Some("snap-holder"));
            assert!(deadline.is_some(), "a timed wait says when it ends");
        }
        other => panic!("{other:?}"),
    }
    let joiner = Builder::new()
        .name("snap-joiner")
        .spawn({
            let t = waiter.thread().clone();
            move || t.join().unwrap()
        })
        .unwrap();
    let j = blocked(joiner.thread(), ResourceKind::Thread, "snap-waiter");
    assert_eq!(j.state().to_string(), "joining 'snap-waiter'");
    // Timed sleeps, one after another until told to stop: a single 300 ms sleep, as it was,
    // could be over before a loaded machine let this thread look.
    let stop = Arc::new(AtomicBool::new(false));
    let sleeper = Builder::new()
        .name("snap-sleeper")
        .spawn({
            let stop = Arc::clone(&stop);
            move || {
                while !stop.load(Ordering::Relaxed) {
                    potok::sleep(Duration::from_millis(50));
                }
            }
        })
        .unwrap();

    let start = Instant::now();
    let snap = loop {
        let snap = snapshot();
        let asleep = snap
            .thread("snap-sleeper")
            .is_some_and(|t| matches!(t.state(), ThreadState::Sleeping { .. }));
        if asleep || start.elapsed() > LIMIT {
            break snap;
        }
        std::thread::yield_now();
    };
    let text = snap.to_string();
    let holder_now = snap.thread("snap-holder").expect("listed");
    assert_eq!(holder_now.holds().len(), 1, "{text}");
    assert_eq!(holder_now.holds()[0].to_string(), "Mutex 'snap-m'");
    assert!(holder_now.since().unwrap() <= snap.taken());
    assert!(
        text.contains("thread 'snap-holder' (tid ")
            && text.contains("blocked on Event 'snap-go' for "),
        "{text}"
    );
    assert!(
        text.contains(", no timeout\n    holds Mutex 'snap-m'"),
        "{text}"
    );
    assert!(
        text.contains("blocked on Mutex 'snap-m' (held by 'snap-holder') for "),
        "{text}"
    );
    assert!(text.contains("s left"), "{text}");
    assert!(text.contains("joining 'snap-waiter'"), "{text}");
    let sleeping = snap.thread("snap-sleeper").expect("listed");
    assert!(
        matches!(sleeping.state(), ThreadState::Sleeping { until: Some(_) }),
        "{text}"
    );

    go.set();
    stop.store(true, Ordering::Relaxed);
    holder.join().unwrap();
    waiter.join().unwrap();
    joiner.join().unwrap();
    sleeper.join().unwrap();
    assert_eq!(*m.lock(), 1);
    // Finished threads are not listed; a running thread shows as running.
    let snap = snapshot();
    assert!(snap.thread("snap-holder").is_none());
    let me = potok::current_thread();
    let mine = snap
        .threads()
        .iter()
        .find(|t| t.ident() == me.ident())
        .unwrap();
    assert_eq!(mine.state(), &ThreadState::Running);
    assert_eq!(mine.since(), None);
}

#[test]
fn a_wait_that_never_comes_fails_with_the_snapshot() {
    let idle = Builder::new().name("snap-idle").spawn(|| ()).unwrap();
    let thread = idle.thread().clone();
    idle.join().unwrap();
    let err = wait_until_blocked(
        &thread,
        ResourceKind::Event,
        "nothing",
        Duration::from_millis(20),
    )
    .expect_err("a finished thread never blocks");
    let text = err.to_string();
    assert!(
        text.starts_with("thread 'snap-idle' did not block on Event 'nothing' within 20ms"),
        "{text}"
    );
}

/// The child's program: two threads stuck in timed waits, one holding a Mutex the other
/// wants; then it waits to be killed (bounded).
fn stuck_program() {
    potok::deadlock::watch_for_dumps().unwrap();
    let m = Arc::new(Mutex::named("ledger", ()));
    let never = Arc::new(Event::named("never"));
    let holder = Builder::new()
        .name("holder")
        .spawn({
            let (m, never) = (m.clone(), never.clone());
            move || {
                let _held = m.lock();
                let _ = never.wait_timeout(LIMIT);
            }
        })
        .unwrap();
    blocked(holder.thread(), ResourceKind::Event, "never");
    let waiter = Builder::new()
        .name("waiter")
        .spawn(move || drop(m.lock_timeout(LIMIT)))
        .unwrap();
    blocked(waiter.thread(), ResourceKind::Mutex, "ledger");
    println!("ready");
    let _ = waiter.join();
}

#[test]
fn child_stuck_program() {
    if std::env::var_os(CHILD).is_some() {
        stuck_program();
    }
}

/// Starts this test binary again running only `child_stuck_program`, with `env` set.
fn start_child(env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_stuck_program",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, "1")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The lines of `pipe`, as they come, on a channel.
fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Reads lines until the text read contains every one of `wanted`; fails after [`LIMIT`].
fn read_until(rx: &mpsc::Receiver<String>, wanted: &[&str]) -> String {
    let deadline = Instant::now() + LIMIT;
    let mut seen = String::new();
    while !wanted.iter().all(|w| seen.contains(w)) {
        let wait = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(line) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => panic!("not all of {wanted:?} within {LIMIT:?}; saw:\n{seen}"),
        }
    }
    seen
}

/// What the dump of [`stuck_program`] shows.
const DUMP: &[&str] = &[
    "  thread 'holder' (tid ",
    ": blocked on Event 'never' for ",
    "\n    holds Mutex 'ledger'\n",
    ": blocked on Mutex 'ledger' (held by 'holder') for ",
];

#[test]
fn dump_after_seconds_from_the_environment() {
    let mut child = start_child(&[("POTOK_DUMP_AFTER", "0.3")]);
    let stderr = lines(child.stderr.take().unwrap());
    let wanted = [
        &["potok: still running after 0.3 s (POTOK_DUMP_AFTER):\npotok: "],
        DUMP,
    ]
    .concat();
    let seen = read_until(&stderr, &wanted);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        seen.matches("still running").count(),
        1,
        "printed once: {seen}"
    );
}

#[test]
fn dump_on_sigquit() {
    let mut child = start_child(&[]);
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = lines(child.stderr.take().unwrap());
    read_until(&stdout, &["ready\n"]);
    for round in 0..2 {
        // SAFETY: kill(2) with a pid of our own child and a valid signal number.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGQUIT) };
        assert_eq!(sent, 0, "round {round}");
        read_until(&stderr, DUMP);
    }
    // The child was not killed by SIGQUIT (its default action): it is still there.
    assert!(child.try_wait().unwrap().is_none());
    let _ = child.kill();
    let _ = child.wait();
}
