//! Regression: a consumer reported as a stall while the main thread, which potok did not know,
//! was still starting its producer.
//!
//! The queue benchmark (`benches/queue.rs`) starts its consumers on plain std threads, then
//! its producers, from a `main` that never touches potok. The family rule took a main thread
//! potok does not know to hold nothing (true of libtest's, which only waits for its tests), so
//! the first consumer to find the queue empty was failed with a `DeadlockError` before the
//! producers existed. Now such a main thread counts as one potok does not know, and holds the
//! verdict back, unless it sleeps in a timed futex wait as libtest's does.
//!
//! The second case is its mirror, found by a ping-pong probe (about 2 runs in 5 failed): a
//! plain `main` whose unnamed std helper thread touched potok first, then `main` blocked on an
//! Event the helper was about to set. The helper had started a family of its own (no thread
//! with its inherited OS name was known yet), and `main`, registered after it, was not put in
//! that family, so it was declared stuck alone. Now a thread potok did not start joins the
//! family of a helper that carries its OS name, whichever registered first.
//!
//! The third is a race in the whole-program rule, found by the queue's 2 × 2 cell on plain
//! std threads under `perf record` (about 1 run in 25 of 80 rounds failed): the rule compared
//! the OS's count of the process's threads with the registry's count, read one after the
//! other. A consumer blocked while `main` was starting the second consumer; the OS count was
//! read before that thread existed, the registry's after it had registered, so the counts
//! matched and the first consumer was declared stuck alone. Now the OS's list of threads is
//! compared with the blocked records themselves, which cannot change during the check. The
//! program under test runs the cell's shape for many rounds; it cannot force the
//! interleaving, so it is a stress test, while the rule's decision is unit-tested in
//! `deadlock/detector.rs` on the threads listed when it failed.
//!
//! `harness = false`: each case starts this executable again as the program under test (marked
//! by `POTOK_TEST_UNKNOWN_MAIN`, whose value names the program), whose `main` is a plain one
//! (no `potok::main`, no `process::init`), with no other thread than the one it starts.

mod support;

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use potok::deadlock::ResourceKind;
use support::case;

const ROLE: &str = "POTOK_TEST_UNKNOWN_MAIN";

fn main() -> ExitCode {
    match std::env::var(ROLE).as_deref() {
        Ok("helper-first") => return helper_first_then_main_waits(),
        Ok("consumers-while-main-starts-them") => return consumers_while_main_starts_them(),
        Ok(_) => return consumer_first_then_producer(),
        Err(_) => {}
    }
    support::run([
        case!(main_thread_starting_the_producer_is_no_false_alarm),
        case!(main_registered_after_its_helper_is_in_the_helpers_family),
        case!(a_consumer_registering_while_another_waits_is_no_false_alarm),
    ])
}

/// The program under test for the mirror case: an unnamed std helper registers with potok
/// before `main` does; `main` then blocks on an Event, and the helper sets it once `main` is
/// seen blocked there. Exit 0 when `main` got through; 1 when it was failed; 3 when it never
/// blocked.
fn helper_first_then_main_waits() -> ExitCode {
    let go = Arc::new(potok::Event::named("go"));
    let (tx, rx) = std::sync::mpsc::channel();
    let helper = {
        let go = Arc::clone(&go);
        std::thread::spawn(move || {
            // Registered (as Dummy-1) before the main thread is known to potok.
            let _ = potok::current_thread();
            tx.send(()).unwrap();
            let main = potok::main_thread();
            let blocked = potok::deadlock::wait_until_blocked(
                &main,
                ResourceKind::Event,
                "go",
                Duration::from_secs(30),
            );
            go.set();
            blocked.is_ok()
        })
    };
    rx.recv().unwrap();
    let waited = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| go.wait()));
    let blocked = helper.join().unwrap();
    match (waited, blocked) {
        (Ok(()), true) => ExitCode::SUCCESS,
        (Ok(()), false) => {
            eprintln!("main never blocked on Event 'go'");
            ExitCode::from(3)
        }
        (Err(_), _) => {
            eprintln!("main was failed (a false alarm)");
            ExitCode::from(1)
        }
    }
}

fn main_registered_after_its_helper_is_in_the_helpers_family() {
    for _ in 0..5 {
        run_program("helper-first");
    }
}

/// The program under test: a consumer blocks on an empty queue; only then does `main` (which
/// potok does not know, and which does not wait on a futex meanwhile) put the item it waits for.
/// Exit 0 when the consumer got it; 1 when it was failed instead; 3 when it never blocked.
fn consumer_first_then_producer() -> ExitCode {
    let q = potok::Queue::named("jobs", 0);
    let (tx, rx) = std::sync::mpsc::channel();
    let consumer = {
        let q = q.clone();
        std::thread::spawn(move || {
            tx.send(potok::current_thread()).unwrap();
            q.get()
        })
    };
    let thread = rx.recv().unwrap();
    // Poll with std sleeps (a potok wait would make potok know this thread).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if consumer.is_finished() {
            break;
        }
        let snap = potok::deadlock::snapshot();
        let me = snap.threads().iter().find(|t| t.ident() == thread.ident());
        if me.is_some_and(|t| t.is_blocked_on(ResourceKind::Queue, "jobs")) {
            break;
        }
        if Instant::now() >= deadline {
            eprintln!("the consumer never blocked on Queue 'jobs'");
            return ExitCode::from(3);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    if q.put(7u64).is_err() {
        eprintln!("put failed");
        return ExitCode::from(1);
    }
    match consumer.join() {
        Ok(Ok(7)) => ExitCode::SUCCESS,
        Ok(other) => {
            eprintln!("the consumer got {other:?}");
            ExitCode::from(1)
        }
        Err(_) => {
            eprintln!("the consumer was failed (a false alarm)");
            ExitCode::from(1)
        }
    }
}

fn main_thread_starting_the_producer_is_no_false_alarm() {
    run_program("consumer-first");
}

/// Runs this executable as the program `role`; it must exit 0 with no report on stderr.
fn run_program(role: &str) {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .env(ROLE, role)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the program under test did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status}; stderr:\n{stderr}");
    assert!(!stderr.contains("deadlock:"), "a false alarm:\n{stderr}");
}

/// The program under test for the third case: rounds of two consumers and two producers on
/// plain std threads through an unbounded queue, started by a `main` potok does not know (the
/// shape of `benches/queue.rs`'s 2 × 2 cell). The first consumer usually blocks on the empty
/// queue while `main` is still starting the second. Exit 0 when every round added up; 1 when
/// a consumer was failed.
fn consumers_while_main_starts_them() -> ExitCode {
    const ROUNDS: u64 = 150;
    const ITEMS: u64 = 10_000;
    for _ in 0..ROUNDS {
        let q = potok::Queue::new(0);
        let sum = std::thread::scope(|s| {
            let takers: Vec<_> = (0..2)
                .map(|_| {
                    let q = q.clone();
                    s.spawn(move || (&q).into_iter().sum::<u64>())
                })
                .collect();
            let makers: Vec<_> = (0..2u64)
                .map(|p| {
                    let q = q.clone();
                    s.spawn(move || {
                        (0..ITEMS)
                            .filter(|i| i % 2 == p)
                            .for_each(|i| q.put(i).unwrap())
                    })
                })
                .collect();
            makers.into_iter().for_each(|m| m.join().unwrap());
            q.shutdown(false);
            takers.into_iter().map(|t| t.join()).collect::<Vec<_>>()
        });
        let mut total = 0;
        for taken in sum {
            match taken {
                Ok(n) => total += n,
                Err(_) => {
                    eprintln!("a consumer was failed (a false alarm)");
                    return ExitCode::from(1);
                }
            }
        }
        if total != ITEMS * (ITEMS - 1) / 2 {
            eprintln!("the consumers took {total}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn a_consumer_registering_while_another_waits_is_no_false_alarm() {
    run_program("consumers-while-main-starts-them");
}
