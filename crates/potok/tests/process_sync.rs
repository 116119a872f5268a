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
use std::time::{Duration, Instant};

use potok::deadlock::{self, ResourceKind, ThreadState};
use potok::process::{
    Barrier, BoundedSemaphore, Condition, Event, Process, RLock, Semaphore, Value, WaitError,
};
use potok::ReleaseError;
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

/// A child: `n` increments of a counter, each read-modify-write under the RLock (taken twice:
/// it is reentrant). The Value's own lock makes each get and set whole, not the increment.
fn increment_under_rlock(args: (RLock, Value<u64>, u32)) -> u32 {
    let (lock, counter, n) = args;
    for _ in 0..n {
        let _outer = lock.lock().expect("no holder dies here");
        let _inner = lock.lock().expect("reentrant");
        let v = counter.get().unwrap();
        counter.set(v + 1).unwrap();
    }
    n
}

fn counter_under_rlock_four_processes_is_exact() {
    let lock = RLock::named("counter").unwrap();
    let counter = Value::new(0u64).unwrap();
    let mut children: Vec<Process<u32>> = (0..4)
        .map(|i| {
            Process::new(
                increment_under_rlock,
                (lock.clone(), counter.clone(), 2_500),
            )
            .with_name(format!("adder-{i}"))
        })
        .collect();
    for c in &mut children {
        c.start().unwrap();
    }
    for c in &mut children {
        assert_eq!(c.join_timeout(LIMIT).unwrap(), 2_500);
    }
    assert_eq!(counter.get().unwrap(), 10_000);
}

fn rlock_basics_and_release_rules() {
    let lock = RLock::named("basics").unwrap();
    assert_eq!(lock.name(), "basics");
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    lock.acquire().unwrap();
    assert!(lock.try_acquire().unwrap());
    assert!(lock.acquire_timeout(Duration::from_millis(1)).unwrap());
    assert!(lock.is_owned());
    assert_eq!(lock.to_string(), "<process RLock 'basics': locked>");
    let other = lock.clone();
    let (refused, busy) = std::thread::spawn(move || {
        (
            other.release(),
            other.acquire_timeout(Duration::from_millis(30)).unwrap(),
        )
    })
    .join()
    .unwrap();
    assert_eq!(refused, Err(ReleaseError::NotOwner));
    assert!(!busy, "another thread entered a held RLock");
    for _ in 0..3 {
        lock.release().unwrap();
    }
    assert!(!lock.is_owned());
    assert_eq!(lock.release(), Err(ReleaseError::NotOwner));
    assert_eq!(lock.to_string(), "<process RLock 'basics': unlocked>");
}

/// A child: `rounds` times inside the semaphore, counting who is inside and the most seen.
fn inside_semaphore(args: (Semaphore, Value<u32>, Value<u32>, u32)) -> u32 {
    let (sem, inside, most, rounds) = args;
    for _ in 0..rounds {
        let _permit = sem.guard().expect("no holder dies here");
        let now = {
            let mut n = inside.lock().unwrap();
            *n += 1;
            *n
        };
        {
            let mut m = most.lock().unwrap();
            *m = (*m).max(now);
        }
        std::thread::yield_now();
        *inside.lock().unwrap() -= 1;
    }
    rounds
}

fn semaphore_bounds_four_processes() {
    let sem = Semaphore::named("two at a time", 2).unwrap();
    let inside = Value::new(0u32).unwrap();
    let most = Value::new(0u32).unwrap();
    let mut children: Vec<Process<u32>> = (0..4)
        .map(|_| {
            Process::new(
                inside_semaphore,
                (sem.clone(), inside.clone(), most.clone(), 200),
            )
        })
        .collect();
    for c in &mut children {
        c.start().unwrap();
    }
    for c in &mut children {
        assert_eq!(c.join_timeout(LIMIT).unwrap(), 200);
    }
    let most = most.get().unwrap();
    assert!((1..=2).contains(&most), "{most} inside at once");
    assert_eq!(inside.get().unwrap(), 0);
    assert_eq!(sem.value(), 2);
    assert_eq!(
        sem.to_string(),
        "<process Semaphore 'two at a time': value=2>"
    );
}

/// A child: releases the bounded semaphore once (refused: it is full).
fn over_release(sem: BoundedSemaphore) -> bool {
    sem.release() == Err(ReleaseError::TooManyReleases)
}

fn bounded_semaphore_refuses_an_over_release_in_any_process() {
    let sem = BoundedSemaphore::named("bounded", 2).unwrap();
    assert!(sem.try_acquire().unwrap());
    assert!(sem.try_acquire().unwrap());
    assert!(!sem.try_acquire().unwrap());
    assert!(!sem.acquire_timeout(Duration::from_millis(20)).unwrap());
    sem.release_n(2).unwrap();
    assert_eq!(sem.release(), Err(ReleaseError::TooManyReleases));
    let mut child = Process::new(over_release, sem.clone());
    child.start().unwrap();
    assert!(child.join_timeout(LIMIT).unwrap());
    assert_eq!(sem.value(), 2);
}

/// A child: two rounds at the barrier; the arrival indices.
fn at_barrier(barrier: Barrier) -> (usize, usize) {
    let first = barrier.wait_timeout(LIMIT).expect("first round");
    let second = barrier.wait_timeout(LIMIT).expect("second round");
    (first, second)
}

/// This process's handle on the counter the Barrier's action bumps (an action is a plain
/// `fn()`: it finds its data through a static, as a Python action would through a global).
static ROUNDS: std::sync::OnceLock<Value<u64>> = std::sync::OnceLock::new();
/// How many times the action ran in this process.
static ACTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn count_a_round() {
    ACTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let rounds = ROUNDS.get().expect("set before the first wait");
    *rounds.lock().unwrap() += 1;
}

/// A child: two rounds at a barrier with an action; after each, the action must have run
/// (in whichever process was last). Returns how many times it ran here, or 100 + round when
/// a round was let go before its action had run.
fn at_barrier_with_action(args: (Barrier, Value<u64>)) -> u32 {
    let (barrier, rounds) = args;
    ROUNDS.set(rounds.clone()).expect("set once");
    for round in 0..2u64 {
        barrier.wait().expect("a round");
        if rounds.get().unwrap() < round + 1 {
            return 100 + round as u32;
        }
    }
    ACTED.load(std::sync::atomic::Ordering::SeqCst)
}

fn barrier_action_runs_once_a_round_before_anyone_goes_on() {
    let rounds = Value::new(0u64).unwrap();
    let barrier = Barrier::named("with action", 3)
        .unwrap()
        .with_action(count_a_round)
        .with_timeout(LIMIT);
    assert_eq!(barrier.timeout(), Some(LIMIT));
    let mut children: Vec<Process<u32>> = (0..3)
        .map(|_| Process::new(at_barrier_with_action, (barrier.clone(), rounds.clone())))
        .collect();
    for c in &mut children {
        c.start().unwrap();
    }
    let ran: Vec<u32> = children
        .iter_mut()
        .map(|c| c.join_timeout(LIMIT).unwrap())
        .collect();
    assert!(
        ran.iter().all(|&n| n < 100),
        "a round went on before its action: {ran:?}"
    );
    assert_eq!(
        ran.iter().sum::<u32>(),
        2,
        "once a round, in one process: {ran:?}"
    );
    assert_eq!(rounds.get().unwrap(), 2);
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
}

fn boom() {
    panic!("the action failed");
}

/// A child: waits at the barrier; true when it was broken (by the last party's action).
fn broken_out(barrier: Barrier) -> bool {
    barrier.wait_timeout(LIMIT).is_err() && barrier.broken()
}

fn a_panicking_action_breaks_the_barrier_in_every_process() {
    let barrier = Barrier::named("failing action", 2)
        .unwrap()
        .with_action(boom);
    let mut child = Process::new(broken_out, barrier.clone());
    child.start().unwrap();
    assert!(support::eventually(LIMIT, || barrier.n_waiting() == 1));
    // This process arrives last, so it runs the action: its wait panics with it.
    let panicked = std::panic::catch_unwind(|| barrier.wait()).expect_err("the action panics");
    assert_eq!(panicked.downcast_ref::<&str>(), Some(&"the action failed"));
    assert!(barrier.broken());
    assert!(
        child.join_timeout(LIMIT).unwrap(),
        "the waiting child was not broken out"
    );
    assert!(barrier.wait().is_err());
    barrier.reset();
    assert!(!barrier.broken());
}

/// A child: waits with the barrier's default timeout, alone; how long it took, and whether it
/// ended broken.
fn wait_alone(barrier: Barrier) -> (bool, Duration) {
    let start = Instant::now();
    let broken = barrier.wait().is_err() && barrier.broken();
    (broken, start.elapsed())
}

fn barrier_default_timeout_applies_in_every_process() {
    let timeout = Duration::from_millis(100);
    let barrier = Barrier::new(2).unwrap().with_timeout(timeout);
    let mut child = Process::new(wait_alone, barrier.clone());
    child.start().unwrap();
    let (broken, waited) = child.join_timeout(LIMIT).unwrap();
    assert!(broken, "the child's wait did not break the barrier");
    assert!(waited >= timeout && waited < LIMIT, "waited {waited:?}");
    assert!(barrier.broken());
    // wait_timeout overrides the default; reset makes it usable again.
    barrier.reset();
    let start = Instant::now();
    assert!(barrier.wait_timeout(Duration::from_millis(10)).is_err());
    assert!(start.elapsed() < timeout + LIMIT / 2);
}

fn barrier_of_three_processes() {
    let barrier = Barrier::named("three", 3).unwrap();
    assert_eq!(barrier.parties(), 3);
    let mut children: Vec<Process<(usize, usize)>> = (0..3)
        .map(|_| Process::new(at_barrier, barrier.clone()))
        .collect();
    for c in &mut children {
        c.start().unwrap();
    }
    let results: Vec<(usize, usize)> = children
        .iter_mut()
        .map(|c| c.join_timeout(LIMIT).unwrap())
        .collect();
    for round in [0, 1] {
        let mut indices: Vec<usize> = results
            .iter()
            .map(|r| if round == 0 { r.0 } else { r.1 })
            .collect();
        indices.sort_unstable();
        assert_eq!(indices, [0, 1, 2], "round {round}");
    }
    assert!(!barrier.broken());
    assert_eq!(barrier.n_waiting(), 0);
    // abort breaks it for every later wait; reset makes it usable again.
    barrier.abort();
    let err = barrier.wait().unwrap_err();
    assert_eq!(err.died(), None);
    assert_eq!(err.to_string(), "process barrier 'three' is broken");
    barrier.reset();
    assert!(!barrier.broken());
    assert!(
        barrier.wait_timeout(Duration::from_millis(20)).is_err(),
        "a lone party times out"
    );
    assert!(barrier.broken(), "a timed-out wait breaks the barrier");
}

/// A child: marks itself waiting (under the lock), waits for state 1, answers with state 2.
fn wait_then_answer(args: (Condition, Value<u32>)) -> u32 {
    let (cond, state) = args;
    let _guard = cond.lock().unwrap();
    state.set(10).unwrap(); // "I am waiting": seen only once wait has released the lock
    cond.wait_for_timeout(|| state.get().unwrap() == 1, LIMIT)
        .expect("no one dies here")
        .then_some(())
        .expect("never notified");
    state.set(2).unwrap();
    cond.notify_all().unwrap();
    0
}

fn condition_notify_across_processes() {
    let cond = Condition::named("state").unwrap();
    let state = Value::new(0u32).unwrap();
    let mut child = Process::new(wait_then_answer, (cond.clone(), state.clone()));
    child.start().unwrap();
    assert!(support::eventually(LIMIT, || {
        let _guard = cond.lock().unwrap();
        state.get().unwrap() == 10
    }));
    {
        let _guard = cond.lock().unwrap();
        // The child is inside wait (it set 10 while holding the lock we hold now). A notify
        // before the state changes wakes it for nothing (it waits again), and must not be
        // taken by this thread's own wait below.
        assert_eq!(cond.notify(1), Ok(()));
        state.set(1).unwrap();
        cond.notify(1).unwrap();
        let answered = cond
            .wait_for_timeout(|| state.get().unwrap() == 2, LIMIT)
            .unwrap();
        assert!(answered, "the child never answered");
    }
    assert_eq!(child.join_timeout(LIMIT).unwrap(), 0);
    assert!(matches!(cond.wait(), Err(WaitError::NotOwner)));
    assert_eq!(cond.notify_all(), Err(ReleaseError::NotOwner));
    let lock = potok::process::Lock::named("plain").unwrap();
    let over_lock = Condition::with_lock(lock).unwrap();
    let _g = over_lock.lock().unwrap();
    assert!(!over_lock.wait_timeout(Duration::from_millis(5)).unwrap());
}

/// A child: takes the RLock twice (or a semaphore permit), says so, and sleeps (to be killed).
fn hold_rlock(args: (RLock, Value<u32>)) -> u32 {
    let (lock, ready) = args;
    let _a = lock.lock().unwrap();
    let _b = lock.lock().unwrap();
    ready.set(1).unwrap();
    std::thread::sleep(Duration::from_secs(120));
    0
}

fn hold_permit(args: (Semaphore, Value<u32>)) -> u32 {
    let (sem, ready) = args;
    let _permit = sem.guard().unwrap();
    ready.set(1).unwrap();
    std::thread::sleep(Duration::from_secs(120));
    0
}

/// A child: has the primitive open and sleeps (to be killed): a party that never arrives.
fn sit_on_barrier(args: (Barrier, Value<u32>)) -> u32 {
    let (_barrier, ready) = args;
    ready.set(1).unwrap();
    std::thread::sleep(Duration::from_secs(120));
    0
}

fn sit_on_condition(args: (Condition, Value<u32>)) -> u32 {
    let (_cond, ready) = args;
    ready.set(1).unwrap();
    std::thread::sleep(Duration::from_secs(120));
    0
}

fn start_and_kill<T: potok::process::Data>(
    f: fn(T) -> u32,
    arg: T,
    ready: &Value<u32>,
    name: &str,
) -> (Process<u32>, u32) {
    let mut p = Process::new(f, arg).with_name(name);
    p.start().unwrap();
    assert!(
        support::eventually(LIMIT, || ready.get().unwrap() == 1),
        "{name} never got ready"
    );
    p.kill();
    let pid = p.pid().unwrap();
    (p, pid)
}

fn sigkilled_holders_are_named_not_a_hang() {
    // RLock: the next acquirer takes it over and is told who died.
    let lock = RLock::named("ledger").unwrap();
    let ready = Value::new(0u32).unwrap();
    let (mut p, pid) = start_and_kill(hold_rlock, (lock.clone(), ready.clone()), &ready, "rholder");
    let started = Instant::now();
    let l = lock.clone();
    let (got_pid, holder, text) =
        support::within("RLock after its holder's death", LIMIT, move || {
            let died = l.acquire().expect_err("told the holder died");
            let seen = (died.pid(), died.holder().to_owned(), died.to_string());
            l.release().unwrap(); // taken over at depth 1
            seen
        });
    assert_eq!((got_pid, holder.as_str()), (pid, "rholder"));
    assert!(
        text.contains("'ledger'") && text.contains(&pid.to_string()),
        "{text}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let _ = p.join_timeout(LIMIT);

    // Semaphore: the dead process's permit comes back, and the acquirer is told.
    let sem = Semaphore::named("slot", 1).unwrap();
    let ready = Value::new(0u32).unwrap();
    let (mut p, pid) = start_and_kill(hold_permit, (sem.clone(), ready.clone()), &ready, "sholder");
    let s = sem.clone();
    let died = support::within("Semaphore after its holder's death", LIMIT, move || {
        let died = s.acquire_timeout(LIMIT).expect_err("told the holder died");
        (
            died.pid(),
            died.holder().to_owned(),
            died.permits(),
            died.to_string(),
        )
    });
    assert_eq!((died.0, died.1.as_str(), died.2), (pid, "sholder", 1));
    assert!(
        died.3.contains("'slot'") && died.3.contains("'sholder'"),
        "{}",
        died.3
    );
    assert_eq!(sem.value(), 0, "the acquirer holds the returned permit");
    sem.release(1);
    assert!(sem.try_acquire().unwrap(), "an ordinary semaphore again");
    sem.release(1);
    let _ = p.join_timeout(LIMIT);

    // Barrier: a party that died breaks it for the others.
    let barrier = Barrier::named("meet", 2).unwrap();
    let ready = Value::new(0u32).unwrap();
    let (mut p, pid) = start_and_kill(
        sit_on_barrier,
        (barrier.clone(), ready.clone()),
        &ready,
        "party",
    );
    let b = barrier.clone();
    let err = support::within("Barrier after a party's death", LIMIT, move || {
        b.wait().unwrap_err()
    });
    assert_eq!(err.died(), Some((pid, "party")));
    assert!(err.to_string().contains("'party'"), "{err}");
    assert!(barrier.broken());
    let _ = p.join_timeout(LIMIT);

    // Condition: a process that had it open died while we waited.
    let cond = Condition::named("news").unwrap();
    let ready = Value::new(0u32).unwrap();
    let (mut p, pid) = start_and_kill(
        sit_on_condition,
        (cond.clone(), ready.clone()),
        &ready,
        "notifier",
    );
    let c = cond.clone();
    let err = support::within("Condition after a member's death", LIMIT, move || {
        let _guard = c.lock().unwrap();
        c.wait().unwrap_err()
    });
    match err {
        WaitError::ProcessDied {
            pid: dead, name, ..
        } => assert_eq!((dead, name.as_str()), (pid, "notifier")),
        other => panic!("{other:?}"),
    }
    let _ = p.join_timeout(LIMIT);
}

fn memfds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().contains("memfd:"))
        })
        .count()
}

/// A child: touches each primitive once.
fn touch_all(
    args: (
        RLock,
        Semaphore,
        BoundedSemaphore,
        Condition,
        Barrier,
        Event,
    ),
) -> u32 {
    let (rlock, sem, bounded, cond, barrier, event) = args;
    drop(rlock.lock().unwrap());
    drop(sem.guard().unwrap());
    drop(bounded.guard().unwrap());
    drop(cond.lock().unwrap());
    barrier.wait().unwrap();
    event.set();
    0
}

fn no_segment_or_memfd_left_after_drop() {
    let fds = memfds();
    let args = (
        RLock::new().unwrap(),
        Semaphore::new(1).unwrap(),
        BoundedSemaphore::new(1).unwrap(),
        Condition::new().unwrap(),
        Barrier::new(1).unwrap(),
        Event::new().unwrap(),
    );
    let mut child = Process::new(touch_all, args.clone());
    child.start().unwrap();
    assert_eq!(child.join_timeout(LIMIT).unwrap(), 0);
    assert!(args.5.is_set());
    drop(args);
    drop(child);
    no_segment_of_mine_left();
    assert_eq!(memfds(), fds, "a memfd was left open");
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
        case!(counter_under_rlock_four_processes_is_exact),
        case!(rlock_basics_and_release_rules),
        case!(semaphore_bounds_four_processes),
        case!(bounded_semaphore_refuses_an_over_release_in_any_process),
        case!(barrier_of_three_processes),
        case!(barrier_action_runs_once_a_round_before_anyone_goes_on),
        case!(a_panicking_action_breaks_the_barrier_in_every_process),
        case!(barrier_default_timeout_applies_in_every_process),
        case!(condition_notify_across_processes),
        case!(sigkilled_holders_are_named_not_a_hang),
        case!(no_segment_or_memfd_left_after_drop),
    ])
}
