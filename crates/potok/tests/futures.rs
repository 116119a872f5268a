//! `potok::futures`: the behaviours CPython's `Lib/test/test_concurrent_futures/` checks for
//! `ThreadPoolExecutor`, `Future`, `wait` and `as_completed`, written again for potok.
//!
//! Provenance: the list of behaviours comes from reading CPython 3.13's test package
//! `test_concurrent_futures` (`test_thread_pool.py`, `test_future.py`, `test_wait.py`,
//! `test_as_completed.py`, `test_shutdown.py`, `test_init.py`, `executor.py`). The tests below
//! are our own words and code, not a translation; where Python raises, potok returns an error.
//!
//! Never hangs: every wait that could block forever has a generous limit, and no sleep stands
//! in for synchronisation (tasks block on `Event`s the test sets).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use potok::futures::{
    as_completed, as_completed_timeout, wait, FutureError, ReturnWhen, ThreadPoolExecutor,
};
use potok::Event;

const LIMIT: Duration = Duration::from_secs(60);

/// An Event a task waits on, with a limit so that a failing test cannot hang.
fn gate() -> (Arc<Event>, impl Fn() + Send + Sync + Clone + 'static) {
    let event = Arc::new(Event::new());
    let waiter = Arc::clone(&event);
    (event, move || {
        assert!(waiter.wait_timeout(LIMIT), "gate never opened")
    })
}

#[test]
fn submit_and_result() {
    let ex = ThreadPoolExecutor::new(2);
    let f = ex.submit(|| 2_i32.pow(8));
    assert_eq!(f.result_timeout(LIMIT), Ok(256));
    assert!(f.done());
    assert!(!f.running());
    assert!(!f.cancelled());
    // result() again gives the same value, as Python's does.
    assert_eq!(f.result(), Ok(256));
}

#[test]
fn running_while_the_task_runs() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let (started_tx, started_rx) = mpsc::channel();
    let f = ex.submit(move || {
        started_tx.send(()).unwrap();
        wait_gate();
        7
    });
    started_rx.recv_timeout(LIMIT).unwrap();
    assert!(f.running());
    assert!(!f.done());
    assert!(!f.cancel(), "a running future cannot be cancelled");
    assert_eq!(
        f.result_timeout(Duration::from_millis(10)),
        Err(FutureError::Timeout)
    );
    open.set();
    assert_eq!(f.result_timeout(LIMIT), Ok(7));
}

#[test]
fn default_max_workers_and_names() {
    let ex = ThreadPoolExecutor::builder().build();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(ex.max_workers(), (cpus + 4).min(32));
    let prefix = ex.thread_name_prefix().to_owned();
    assert!(prefix.starts_with("ThreadPoolExecutor-"), "{prefix}");
    let name = ex
        .submit(|| potok::current_thread().name().to_owned())
        .result()
        .unwrap();
    assert_eq!(name, format!("{prefix}_0"));
    // Two executors have different numbers.
    let other = ThreadPoolExecutor::new(1);
    assert_ne!(other.thread_name_prefix(), prefix);
}

#[test]
fn workers_are_registered_potok_threads_named_with_the_prefix() {
    let ex = ThreadPoolExecutor::builder()
        .max_workers(3)
        .thread_name_prefix("SpecialPool")
        .build();
    // All three tasks meet, so each runs on its own worker.
    let all_here = Arc::new(potok::Barrier::new(3).with_timeout(LIMIT));
    let fs: Vec<_> = (0..3)
        .map(|_| {
            let b = Arc::clone(&all_here);
            ex.submit(move || {
                b.wait().expect("three workers run at once");
                potok::current_thread().name().to_owned()
            })
        })
        .collect();
    let live: HashSet<String> = potok::enumerate()
        .iter()
        .map(|t| t.name().to_owned())
        .collect();
    let names: HashSet<String> = fs.iter().map(|f| f.result().unwrap()).collect();
    let expected: HashSet<String> = (0..3).map(|i| format!("SpecialPool_{i}")).collect();
    assert_eq!(names, expected);
    assert!(expected.is_subset(&live), "{live:?}");
}

/// CPython's `test_idle_thread_reuse`: sequential work runs on one thread.
#[test]
fn idle_worker_is_reused() {
    let ex = ThreadPoolExecutor::new(4);
    for i in 0..20 {
        assert_eq!(ex.submit(move || i * 2).result(), Ok(i * 2));
    }
    assert_eq!(ex.threads().len(), 1);
}

/// Workers start on demand, up to the maximum, never beyond.
#[test]
fn workers_start_on_demand_up_to_max() {
    let ex = ThreadPoolExecutor::new(3);
    assert!(ex.threads().is_empty(), "no worker before the first submit");
    let (open, wait_gate) = gate();
    let fs: Vec<_> = (0..10)
        .map(|_| {
            let w = wait_gate.clone();
            ex.submit(w)
        })
        .collect();
    assert_eq!(ex.threads().len(), 3);
    open.set();
    for f in &fs {
        f.result_timeout(LIMIT).unwrap();
    }
    assert_eq!(ex.threads().len(), 3);
}

#[test]
#[should_panic(expected = "max_workers must be greater than 0")]
fn zero_workers_is_refused() {
    let _ = ThreadPoolExecutor::new(0);
}

#[test]
fn map_keeps_input_order() {
    let ex = ThreadPoolExecutor::new(4);
    // Later items finish first: the results still come in input order.
    let out: Vec<u64> = ex
        .map(
            |x: u64| {
                if x < 3 {
                    potok::sleep(Duration::from_millis(5 * (3 - x)));
                }
                x * x
            },
            0..50,
        )
        .map(Result::unwrap)
        .collect();
    assert_eq!(out, (0..50).map(|x| x * x).collect::<Vec<_>>());
}

#[test]
fn map_reports_the_failing_item_and_the_others_still_run() {
    potok::set_excepthook(|_| {});
    let ex = ThreadPoolExecutor::new(2);
    let out: Vec<_> = ex
        .map(
            |x: i32| {
                if x == 2 {
                    panic!("two is bad")
                }
                x
            },
            0..5,
        )
        .collect();
    assert_eq!(out[0], Ok(0));
    assert_eq!(out[4], Ok(4));
    match &out[2] {
        Err(FutureError::Panicked(p)) => assert_eq!(p.message(), "two is bad"),
        other => panic!("{other:?}"),
    }
}

/// Items are run in chunks, but each keeps its own outcome: a panic fails only its item.
#[test]
fn map_a_panic_in_a_chunk_fails_only_its_item() {
    potok::set_excepthook(|_| {});
    let ex = ThreadPoolExecutor::new(2);
    let out: Vec<_> = ex
        .map(|x: u32| if x == 50 { panic!("fifty") } else { x }, 0..100)
        .collect();
    assert_eq!(out.len(), 100);
    for (i, r) in out.iter().enumerate() {
        if i == 50 {
            assert!(matches!(r, Err(FutureError::Panicked(p)) if p.message() == "fifty"));
        } else {
            assert_eq!(r, &Ok(i as u32));
        }
    }
}

/// Python's map cancels its remaining futures when the iterator is closed; so does dropping
/// potok's.
#[test]
fn dropping_a_map_cancels_what_has_not_started() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let busy = ex.submit(wait_gate);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let map = ex.map(
        move |_: u32| {
            r.fetch_add(1, Ordering::SeqCst);
        },
        0..100,
    );
    drop(map);
    open.set();
    busy.result_timeout(LIMIT).unwrap();
    ex.shutdown(true, false);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn map_with_values_that_are_not_clone() {
    struct NotClone(u32);
    let ex = ThreadPoolExecutor::new(2);
    let total: u32 = ex.map(NotClone, 0..10).map(|r| r.unwrap().0).sum();
    assert_eq!(total, 45);
}

#[test]
fn a_panicking_task_fails_its_future_with_message_location_and_thread() {
    let ex = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("panicky")
        .build();
    let f = ex.submit(|| -> u8 { panic!("boom {}", 42) });
    let err = f.result_timeout(LIMIT).unwrap_err();
    let FutureError::Panicked(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.message(), "boom 42");
    assert_eq!(p.thread(), "panicky_0");
    assert!(
        p.location().unwrap().contains("futures.rs"),
        "{:?}",
        p.location()
    );
    assert!(err.to_string().contains("boom 42"));
    // The worker survived and runs the next task.
    assert_eq!(ex.submit(|| 1).result(), Ok(1));
    assert_eq!(ex.threads().len(), 1);
}

#[test]
fn cancel_a_pending_future() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let busy = ex.submit(wait_gate);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    let queued = ex.submit(move || r.fetch_add(1, Ordering::SeqCst));
    assert!(queued.cancel());
    assert!(queued.cancel(), "cancelling twice still says cancelled");
    assert!(queued.cancelled());
    assert!(queued.done());
    assert!(!queued.running());
    assert_eq!(queued.result(), Err(FutureError::Cancelled));
    open.set();
    busy.result_timeout(LIMIT).unwrap();
    ex.shutdown(true, false);
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a cancelled task never runs");
    assert!(!busy.cancel(), "a finished future cannot be cancelled");
}

/// Cancellation races the worker taking the task: each future ends exactly one way.
#[test]
fn cancel_races_start_and_each_future_ends_one_way() {
    let ex = ThreadPoolExecutor::new(2);
    let ran = Arc::new(AtomicUsize::new(0));
    let fs: Vec<_> = (0..2000)
        .map(|_| {
            let r = Arc::clone(&ran);
            ex.submit(move || {
                r.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    let cancelled = fs.iter().rev().filter(|f| f.cancel()).count();
    for f in &fs {
        let _ = f.result_timeout(LIMIT);
    }
    ex.shutdown(true, false);
    let by_state = fs.iter().filter(|f| f.cancelled()).count();
    assert_eq!(cancelled, by_state);
    assert_eq!(ran.load(Ordering::SeqCst) + cancelled, fs.len());
    for f in &fs {
        assert!(f.done());
        match f.result() {
            Ok(()) | Err(FutureError::Cancelled) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn callback_on_a_done_future_runs_at_once() {
    let ex = ThreadPoolExecutor::new(1);
    let f = ex.submit(|| 3);
    f.result().unwrap();
    let (tx, rx) = mpsc::channel();
    let me = potok::current_thread().ident();
    f.add_done_callback(move |f| {
        tx.send((f.result(), potok::current_thread().ident()))
            .unwrap();
    });
    // Already ran, on this thread.
    assert_eq!(rx.try_recv().unwrap(), (Ok(3), me));
}

#[test]
fn callbacks_on_a_pending_future_run_at_completion_in_order() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let f = ex.submit(move || {
        wait_gate();
        "v"
    });
    let (tx, rx) = mpsc::channel();
    for i in 0..3 {
        let tx = tx.clone();
        f.add_done_callback(move |f| tx.send((i, f.result())).unwrap());
    }
    assert!(rx.try_recv().is_err(), "nothing before completion");
    open.set();
    let got: Vec<_> = (0..3).map(|_| rx.recv_timeout(LIMIT).unwrap()).collect();
    assert_eq!(got, [(0, Ok("v")), (1, Ok("v")), (2, Ok("v"))]);
}

#[test]
fn callback_runs_on_cancel_and_a_panicking_callback_is_ignored() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let busy = ex.submit(wait_gate);
    let queued = ex.submit(|| 1);
    let (tx, rx) = mpsc::channel();
    queued.add_done_callback(|_| panic!("a bad callback"));
    queued.add_done_callback(move |f| tx.send(f.cancelled()).unwrap());
    assert!(queued.cancel());
    assert!(
        rx.recv_timeout(LIMIT).unwrap(),
        "the callback saw the cancellation"
    );
    open.set();
    busy.result_timeout(LIMIT).unwrap();
}

#[test]
fn shutdown_cancel_futures_cancels_the_queued_ones() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let (started_tx, started_rx) = mpsc::channel();
    let running = ex.submit(move || {
        started_tx.send(()).unwrap();
        wait_gate();
        "finished"
    });
    started_rx.recv_timeout(LIMIT).unwrap();
    let queued: Vec<_> = (0..5).map(|i| ex.submit(move || i)).collect();
    ex.shutdown(false, true);
    for f in &queued {
        assert!(f.cancelled());
    }
    open.set();
    ex.shutdown(true, false);
    assert_eq!(running.result(), Ok("finished"));
    assert_eq!(ex.submit(|| 0).result(), Err(FutureError::Shutdown));
}

#[test]
fn shutdown_without_cancel_runs_the_queued_work() {
    let ex = ThreadPoolExecutor::new(2);
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let d = Arc::clone(&done);
        let _ = ex.submit(move || d.fetch_add(1, Ordering::SeqCst));
    }
    ex.shutdown(true, false);
    assert_eq!(done.load(Ordering::SeqCst), 100);
    for t in ex.threads() {
        assert!(!t.is_alive());
    }
}

/// Python's `with ThreadPoolExecutor() as ex:` waits at the end of the block: drop does.
#[test]
fn drop_waits_for_queued_work() {
    let done = Arc::new(AtomicUsize::new(0));
    let threads;
    {
        let ex = ThreadPoolExecutor::new(3);
        for _ in 0..50 {
            let d = Arc::clone(&done);
            let _ = ex.submit(move || {
                potok::sleep(Duration::from_micros(100));
                d.fetch_add(1, Ordering::SeqCst);
            });
        }
        threads = ex.threads();
    }
    assert_eq!(done.load(Ordering::SeqCst), 50);
    assert!(threads.iter().all(|t| !t.is_alive()));
}

#[test]
fn a_panicking_initializer_breaks_the_executor() {
    let ex = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(|| panic!("no database"))
        .build();
    let f = ex.submit(|| 1);
    let err = f.result_timeout(LIMIT).unwrap_err();
    let FutureError::Broken(why) = &err else {
        panic!("{err:?}")
    };
    assert!(why.contains("no database"), "{why}");
    // Later submits fail the same way (Python's BrokenThreadPool at submit).
    let later = ex.submit(|| 2).result_timeout(LIMIT);
    assert!(matches!(later, Err(FutureError::Broken(_))), "{later:?}");
}

#[test]
fn initializer_runs_once_per_worker() {
    let inits = Arc::new(AtomicUsize::new(0));
    let i = Arc::clone(&inits);
    let ex = ThreadPoolExecutor::builder()
        .max_workers(2)
        .initializer(move || {
            i.fetch_add(1, Ordering::SeqCst);
        })
        .build();
    // Two tasks that can only finish together: both workers have started and run their
    // initializer (it runs before a worker's first task). Regression: with a gate that one
    // worker could pass for both tasks, the second worker had not yet been scheduled when the
    // count was read, and the test failed on a quiet machine (1 != 2).
    let both = Arc::new(potok::Barrier::new(2).with_timeout(LIMIT));
    let fs: Vec<_> = (0..2)
        .map(|_| {
            let both = Arc::clone(&both);
            ex.submit(move || both.wait().expect("both workers run a task at once"))
        })
        .collect();
    for f in &fs {
        f.result_timeout(LIMIT).unwrap();
    }
    for _ in 0..10 {
        ex.submit(|| ()).result().unwrap();
    }
    assert_eq!(inits.load(Ordering::SeqCst), 2);
}

#[test]
fn wait_all_completed() {
    let ex = ThreadPoolExecutor::new(2);
    let fs: Vec<_> = (0..20).map(|i| ex.submit(move || i)).collect();
    let w = wait(&fs, Some(LIMIT), ReturnWhen::AllCompleted);
    assert_eq!(w.done.len(), 20);
    assert!(w.not_done.is_empty());
}

#[test]
fn wait_first_completed_with_one_blocked_future() {
    let ex = ThreadPoolExecutor::new(2);
    let (open, wait_gate) = gate();
    let blocked = ex.submit(wait_gate);
    let quick = ex.submit(|| ());
    let w = wait(
        &[blocked.clone(), quick.clone()],
        Some(LIMIT),
        ReturnWhen::FirstCompleted,
    );
    assert_eq!(w.done.len(), 1);
    assert!(w.done[0].done());
    assert_eq!(w.not_done.len(), 1);
    assert!(!w.not_done[0].done());
    open.set();
    blocked.result_timeout(LIMIT).unwrap();
}

#[test]
fn wait_first_exception_returns_at_the_failure() {
    potok::set_excepthook(|_| {});
    let ex = ThreadPoolExecutor::new(2);
    let (open, wait_gate) = gate();
    let blocked = ex.submit(move || {
        wait_gate();
        0
    });
    let fails = ex.submit(|| -> i32 { panic!("fails") });
    let w = wait(
        &[blocked.clone(), fails.clone()],
        Some(LIMIT),
        ReturnWhen::FirstException,
    );
    assert_eq!(w.done.len(), 1);
    assert!(matches!(w.done[0].result(), Err(FutureError::Panicked(_))));
    open.set();
    blocked.result_timeout(LIMIT).unwrap();
}

#[test]
fn wait_first_exception_with_no_failure_waits_for_all() {
    let ex = ThreadPoolExecutor::new(2);
    let fs: Vec<_> = (0..10).map(|i| ex.submit(move || i)).collect();
    let w = wait(&fs, Some(LIMIT), ReturnWhen::FirstException);
    assert_eq!(w.done.len(), 10);
}

#[test]
fn wait_times_out_with_the_not_done_set() {
    let ex = ThreadPoolExecutor::new(1);
    let (open, wait_gate) = gate();
    let done = ex.submit(|| ());
    done.result().unwrap();
    let blocked = ex.submit(wait_gate);
    let w = wait(
        &[done.clone(), blocked.clone()],
        Some(Duration::from_millis(20)),
        ReturnWhen::AllCompleted,
    );
    assert_eq!(w.done.len(), 1);
    assert_eq!(w.not_done.len(), 1);
    open.set();
    blocked.result_timeout(LIMIT).unwrap();
}

#[test]
fn wait_counts_a_future_given_twice_once() {
    let ex = ThreadPoolExecutor::new(1);
    let f = ex.submit(|| 1);
    let w = wait(
        &[f.clone(), f.clone()],
        Some(LIMIT),
        ReturnWhen::AllCompleted,
    );
    assert_eq!(w.done.len() + w.not_done.len(), 1);
}

#[test]
fn as_completed_yields_in_finishing_order() {
    let ex = ThreadPoolExecutor::new(3);
    let gates: Vec<_> = (0..3).map(|_| gate()).collect();
    let fs: Vec<_> = gates
        .iter()
        .enumerate()
        .map(|(i, (_, w))| {
            let w = w.clone();
            ex.submit(move || {
                w();
                i
            })
        })
        .collect();
    let (tx, rx) = mpsc::channel();
    let fs2 = fs.clone();
    let reader = potok::spawn(move || {
        for f in as_completed(&fs2) {
            tx.send(f.result().unwrap()).unwrap();
        }
    });
    // Open them in the order 2, 0, 1; each shows up before the next opens.
    let mut seen = Vec::new();
    for i in [2, 0, 1] {
        gates[i].0.set();
        seen.push(rx.recv_timeout(LIMIT).unwrap());
    }
    reader.join().unwrap();
    assert_eq!(seen, [2, 0, 1]);
}

#[test]
fn as_completed_yields_finished_futures_first_and_each_once() {
    let ex = ThreadPoolExecutor::new(1);
    let done = ex.submit(|| "done");
    done.result().unwrap();
    let (open, wait_gate) = gate();
    let later = ex.submit(move || {
        wait_gate();
        "later"
    });
    let fs = [later.clone(), done.clone(), done.clone()];
    let mut it = as_completed(&fs);
    assert_eq!(it.size_hint(), (2, Some(2)));
    assert_eq!(it.next().unwrap().result(), Ok("done"));
    open.set();
    assert_eq!(it.next().unwrap().result(), Ok("later"));
    assert!(it.next().is_none());
}

#[test]
fn as_completed_timeout_reports_the_timeout_once() {
    let ex = ThreadPoolExecutor::new(2);
    let (open, wait_gate) = gate();
    let fs = vec![
        ex.submit(|| 1),
        ex.submit(move || {
            wait_gate();
            2
        }),
    ];
    let got: Vec<_> = as_completed_timeout(&fs, Duration::from_millis(30)).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].as_ref().unwrap().result(), Ok(1));
    assert_eq!(got[1].as_ref().unwrap_err(), &FutureError::Timeout);
    open.set();
    assert_eq!(fs[1].result_timeout(LIMIT), Ok(2));
}

#[test]
fn as_completed_over_twenty_thousand_futures() {
    let ex = ThreadPoolExecutor::new(2);
    let fs: Vec<_> = (0..20_000u64).map(|i| ex.submit(move || i)).collect();
    let mut seen = vec![false; fs.len()];
    let mut count = 0;
    for f in as_completed_timeout(&fs, LIMIT) {
        let i = f.unwrap().result().unwrap() as usize;
        assert!(!seen[i]);
        seen[i] = true;
        count += 1;
    }
    assert_eq!(count, 20_000);
}

/// Python's documented executor deadlock: a one-worker executor whose task waits for a
/// second task submitted to the same executor. potok reports it by name instead of hanging:
/// the outer task fails with the DeadlockError, and the inner one then runs.
#[test]
fn nested_submit_on_a_one_worker_executor_is_reported() {
    potok::set_excepthook(|_| {});
    let ex = Arc::new(
        ThreadPoolExecutor::builder()
            .max_workers(1)
            .thread_name_prefix("nested")
            .build(),
    );
    let inner_slot = Arc::new(std::sync::Mutex::new(None));
    let (ex2, slot) = (Arc::clone(&ex), Arc::clone(&inner_slot));
    let outer = ex.submit(move || {
        let inner = ex2.submit(|| 5_i32.pow(2));
        *slot.lock().unwrap() = Some(inner.clone());
        inner.result()
    });
    let err = outer.result_timeout(LIMIT).unwrap_err();
    let deadlock = err.deadlock().unwrap_or_else(|| panic!("{err:?}"));
    let report = deadlock.to_string();
    let inner = inner_slot.lock().unwrap().clone().unwrap();
    assert!(report.contains("'nested_0'"), "{report}");
    assert!(
        report.contains(&format!("Future '{}'", inner.name())),
        "{report}"
    );
    assert_eq!(deadlock.threads()[0].name(), "nested_0");
    // The worker went on: the inner task ran after the outer one gave up.
    assert_eq!(inner.result_timeout(LIMIT), Ok(25));
}

/// A wait with a timeout is never reported: the same nesting with result_timeout times out.
#[test]
fn nested_submit_with_a_timeout_is_not_reported() {
    let ex = Arc::new(ThreadPoolExecutor::new(1));
    let ex2 = Arc::clone(&ex);
    let outer = ex.submit(move || ex2.submit(|| 1).result_timeout(Duration::from_millis(20)));
    assert_eq!(outer.result_timeout(LIMIT), Ok(Err(FutureError::Timeout)));
}

/// Nesting on an executor with a free worker is fine.
#[test]
fn nested_submit_with_a_free_worker_runs() {
    let ex = Arc::new(ThreadPoolExecutor::new(2));
    let ex2 = Arc::clone(&ex);
    let outer = ex.submit(move || ex2.submit(|| 3).result().unwrap() * 2);
    assert_eq!(outer.result_timeout(LIMIT), Ok(6));
}

/// The last handle to an executor dropped inside its own worker does not join itself.
#[test]
fn executor_dropped_in_its_own_worker() {
    let ex = Arc::new(ThreadPoolExecutor::new(1));
    let ex2 = Arc::clone(&ex);
    let f = ex.submit(move || {
        drop(ex2);
        1
    });
    drop(ex);
    assert_eq!(f.result_timeout(LIMIT), Ok(1));
}

#[test]
fn debug_shows_the_state() {
    let ex = ThreadPoolExecutor::builder()
        .max_workers(1)
        .thread_name_prefix("dbg")
        .build();
    let f = ex.submit(|| ());
    f.result().unwrap();
    assert!(format!("{ex:?}").contains("dbg"));
    assert!(format!("{f:?}").contains("state=finished"), "{f:?}");
}
