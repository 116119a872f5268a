//! potok::trace: a recorded run of each primitive kind gives a span with the right category,
//! object and lane; the JSON has what Perfetto needs; wake-ups, holds, counters and deadlock
//! instants are there; JSON read back draws the same page.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use potok::deadlock::ResourceKind;
use serde_json::Value;

mod support;

/// A recording is process-wide: the tests here take turns.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn parse(trace: &potok::trace::Trace) -> Value {
    let v: Value = serde_json::from_str(&trace.to_json()).expect("the trace is JSON");
    check_perfetto_fields(&v);
    v
}

fn events(v: &Value) -> &Vec<Value> {
    v["traceEvents"]
        .as_array()
        .expect("traceEvents is an array")
}

/// The (pid, tid) of the lane named `name`.
fn lane(v: &Value, name: &str) -> Option<(u64, u64)> {
    events(v)
        .iter()
        .find(|e| e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == name)
        .map(|e| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()))
}

/// The `X` spans of category `cat` on lane `name` whose object is `object`.
fn spans<'a>(v: &'a Value, cat: &str, lane_name: &str, object: &str) -> Vec<&'a Value> {
    let Some((pid, tid)) = lane(v, lane_name) else {
        return Vec::new();
    };
    events(v)
        .iter()
        .filter(|e| {
            e["ph"] == "X"
                && e["cat"] == cat
                && e["pid"] == pid
                && e["tid"] == tid
                && e["args"]["object"] == object
        })
        .collect()
}

/// What Perfetto needs of each event.
fn check_perfetto_fields(v: &Value) {
    let mut flow_ids = HashSet::new();
    for e in events(v) {
        let ph = e["ph"].as_str().expect("every event has ph");
        assert!(e["name"].is_string(), "name: {e}");
        assert!(e["pid"].is_u64() && e["tid"].is_u64(), "pid/tid: {e}");
        assert!(e["ts"].is_number(), "ts: {e}");
        match ph {
            "M" => assert!(e["args"].is_object(), "metadata args: {e}"),
            "X" => {
                assert!(e["dur"].as_f64().is_some_and(|d| d >= 0.0), "dur: {e}");
                assert!(e["cat"].is_string(), "cat: {e}");
                assert!(e["args"]["object"].is_string(), "args.object: {e}");
            }
            "i" => {
                assert!(e["cat"].is_string() && e["s"].is_string(), "instant: {e}");
            }
            "C" => assert!(e["args"]
                .as_object()
                .is_some_and(|a| a.values().all(Value::is_number))),
            "s" => assert!(
                flow_ids.insert(e["id"].as_u64().expect("flow id")),
                "ids unique"
            ),
            "f" => assert!(e["id"].is_u64() && e["bp"] == "e"),
            other => panic!("unexpected ph {other}"),
        }
    }
    // Every X on one lane nests (Perfetto refuses overlaps that do not).
    let mut lanes: std::collections::BTreeMap<(u64, u64), Vec<(f64, f64)>> = Default::default();
    for e in events(v).iter().filter(|e| e["ph"] == "X") {
        let ts = e["ts"].as_f64().unwrap();
        let end = ts + e["dur"].as_f64().unwrap();
        lanes
            .entry((e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()))
            .or_default()
            .push((ts, end));
    }
    for (lane, mut list) in lanes {
        list.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<f64> = Vec::new();
        for (start, end) in list {
            while open.last().is_some_and(|&e| e <= start) {
                open.pop();
            }
            if let Some(&outer) = open.last() {
                assert!(
                    end <= outer + 0.001,
                    "spans overlap without nesting on {lane:?}"
                );
            }
            open.push(end);
        }
    }
}

/// Runs `scenario` under a recording and gives the trace, which must hold the waiter's span.
/// A scenario releases its waiter only once `support::blocked` has seen it blocked (a wait
/// that did not block has no span): the order is observed, not assumed after a sleep.
fn recorded(cat: &str, lane_name: &str, object: &str, scenario: impl FnOnce()) -> Value {
    let _turn = serial();
    let recording = potok::trace::start();
    scenario();
    let v = parse(&recording.finish());
    assert!(
        !spans(&v, cat, lane_name, object).is_empty(),
        "no {cat} span on {object} in lane {lane_name}"
    );
    v
}

fn waiter(name: &str, f: impl FnOnce() + Send + 'static) -> potok::JoinHandle<()> {
    potok::Builder::new().name(name).spawn(f).unwrap()
}

/// A wake arrow from lane `from` to lane `to`.
fn has_flow(v: &Value, from: &str, to: &str) -> bool {
    let (Some(a), Some(b)) = (lane(v, from), lane(v, to)) else {
        return false;
    };
    let starts: HashSet<u64> = events(v)
        .iter()
        .filter(|e| {
            e["ph"] == "s" && (e["pid"].as_u64(), e["tid"].as_u64()) == (Some(a.0), Some(a.1))
        })
        .filter_map(|e| e["id"].as_u64())
        .collect();
    events(v).iter().any(|e| {
        e["ph"] == "f"
            && (e["pid"].as_u64(), e["tid"].as_u64()) == (Some(b.0), Some(b.1))
            && e["id"].as_u64().is_some_and(|id| starts.contains(&id))
    })
}

fn main_lane() -> String {
    potok::current_thread().name().to_owned()
}

#[test]
fn lock_wait_hold_and_wake() {
    let me = main_lane();
    let v = recorded("lock", "lock-waiter", "bank", || {
        let lock = Arc::new(potok::Lock::named("bank"));
        lock.acquire();
        let l = Arc::clone(&lock);
        let w = waiter("lock-waiter", move || drop(l.lock()));
        support::blocked(w.thread(), ResourceKind::Lock, "bank");
        lock.release().unwrap();
        w.join().unwrap();
    });
    let wait = &spans(&v, "lock", "lock-waiter", "bank")[0];
    assert_eq!(wait["name"], "wait Lock 'bank'");
    assert!(
        has_flow(&v, &me, "lock-waiter"),
        "the release woke the waiter"
    );
    // The holds: a lane of their own, one span per hold, naming the holder.
    let holds = spans(&v, "lock", "Lock 'bank' (who holds it)", "bank");
    assert!(holds.iter().any(|h| h["args"]["holder"] == me));
    assert!(holds.iter().any(|h| h["args"]["holder"] == "lock-waiter"));
}

#[test]
fn rlock_wait() {
    recorded("rlock", "rlock-waiter", "tree", || {
        let lock = Arc::new(potok::RLock::named("tree"));
        lock.acquire();
        lock.acquire(); // reentered: still one hold
        let l = Arc::clone(&lock);
        let w = waiter("rlock-waiter", move || drop(l.lock()));
        support::blocked(w.thread(), ResourceKind::RLock, "tree");
        lock.release().unwrap();
        lock.release().unwrap();
        w.join().unwrap();
    });
}

#[test]
fn mutex_wait() {
    recorded("mutex", "mutex-waiter", "balance", || {
        let m = Arc::new(potok::Mutex::named("balance", 0));
        let guard = m.lock();
        let m2 = Arc::clone(&m);
        let w = waiter("mutex-waiter", move || *m2.lock() += 1);
        support::blocked(w.thread(), ResourceKind::Mutex, "balance");
        drop(guard);
        w.join().unwrap();
    });
}

#[test]
fn rwlock_wait_and_overlapping_read_holds() {
    let me = main_lane();
    let v = recorded("rwlock", "rw-writer", "config", || {
        let lock = Arc::new(potok::RwLock::named("config", 0_u32));
        let first = lock.read();
        let again = lock.read(); // a recursive read: still one hold
                                 // A second reader holds it at the same time as this thread.
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let l = Arc::clone(&lock);
        let reader = waiter("rw-reader", move || {
            let _read = l.read();
            held_tx.send(()).unwrap();
            go_rx.recv_timeout(Duration::from_secs(60)).unwrap();
        });
        held_rx.recv_timeout(Duration::from_secs(60)).unwrap();
        let l = Arc::clone(&lock);
        let writer = waiter("rw-writer", move || *l.write() += 1);
        support::blocked(writer.thread(), ResourceKind::RwLock, "config");
        drop(again);
        drop(first);
        go_tx.send(()).unwrap();
        reader.join().unwrap();
        writer.join().unwrap();
        assert_eq!(lock.try_write().map(|v| *v), Some(1));
    });
    let wait = &spans(&v, "rwlock", "rw-writer", "config")[0];
    assert_eq!(wait["name"], "wait RwLock 'config' (to write)");
    assert_eq!(wait["args"]["detail"], "to write");
    assert!(
        has_flow(&v, &me, "rw-writer") || has_flow(&v, "rw-reader", "rw-writer"),
        "the last reader's release woke the writer"
    );
    // Holds: the two reads overlap, so the lock has two lanes; the write follows them.
    let mut holds = spans(&v, "rwlock", "RwLock 'config' (who holds it)", "config");
    holds.extend(spans(
        &v,
        "rwlock",
        "RwLock 'config' (who holds it, 2)",
        "config",
    ));
    let hold = |holder: &str, mode: &str| {
        let found: Vec<_> = holds
            .iter()
            .filter(|h| h["args"]["holder"] == holder && h["args"]["mode"] == mode)
            .collect();
        assert_eq!(found.len(), 1, "one {mode} hold by {holder}: {holds:?}");
        let h = found[0];
        let ts = h["ts"].as_f64().unwrap();
        (
            ts,
            ts + h["dur"].as_f64().unwrap(),
            h["name"].as_str().unwrap().to_owned(),
        )
    };
    let (main_from, main_to, main_label) = hold(&me, "read");
    let (other_from, other_to, _) = hold("rw-reader", "read");
    let (write_from, write_to, write_label) = hold("rw-writer", "write");
    assert_eq!(main_label, format!("read by {me}"));
    assert_eq!(write_label, "written by rw-writer");
    assert!(
        main_from < other_to && other_from < main_to,
        "the reads overlap"
    );
    assert!(
        write_from >= main_to.max(other_to) - 0.001,
        "the write follows the reads"
    );
    let (check_from, _, _) = hold(&me, "write");
    assert!(check_from >= write_to - 0.001);
}

#[test]
fn condition_wait_and_notify_arrow() {
    let me = main_lane();
    let v = recorded("condition", "cv-waiter", "cv", || {
        let cv = Arc::new(potok::Condition::named("cv"));
        let ready = Arc::new(AtomicBool::new(false));
        let (c, r) = (Arc::clone(&cv), Arc::clone(&ready));
        let w = waiter("cv-waiter", move || {
            let mut g = c.lock();
            g.wait_for(|| r.load(Ordering::SeqCst));
        });
        support::blocked(w.thread(), ResourceKind::Condition, "cv");
        let g = cv.lock();
        ready.store(true, Ordering::SeqCst);
        g.notify_all();
        drop(g);
        w.join().unwrap();
    });
    assert!(has_flow(&v, &me, "cv-waiter"));
}

#[test]
fn semaphore_wait() {
    recorded("semaphore", "sem-waiter", "slots", || {
        let sem = Arc::new(potok::Semaphore::named("slots", 0));
        let s = Arc::clone(&sem);
        let w = waiter("sem-waiter", move || s.acquire());
        support::blocked(w.thread(), ResourceKind::Semaphore, "slots");
        sem.release(1);
        w.join().unwrap();
    });
}

#[test]
fn event_wait_and_set_arrow() {
    let me = main_lane();
    let v = recorded("event", "event-waiter", "go", || {
        let ev = Arc::new(potok::Event::named("go"));
        let e = Arc::clone(&ev);
        let w = waiter("event-waiter", move || e.wait());
        support::blocked(w.thread(), ResourceKind::Event, "go");
        ev.set();
        w.join().unwrap();
    });
    assert!(has_flow(&v, &me, "event-waiter"), "set() woke the waiter");
}

#[test]
fn barrier_wait() {
    recorded("barrier", "barrier-waiter", "start line", || {
        let b = Arc::new(potok::Barrier::named("start line", 2));
        let b2 = Arc::clone(&b);
        let w = waiter("barrier-waiter", move || {
            b2.wait().unwrap();
        });
        support::blocked(w.thread(), ResourceKind::Barrier, "start line");
        b.wait().unwrap();
        w.join().unwrap();
    });
}

#[test]
fn queue_get_when_empty_and_sizes() {
    let v = recorded("queue", "queue-waiter", "orders", || {
        let q = potok::Queue::named("orders", 2);
        let q2 = q.clone();
        let w = waiter("queue-waiter", move || {
            q2.get().unwrap();
        });
        support::blocked(w.thread(), ResourceKind::Queue, "orders");
        q.put(1).unwrap();
        w.join().unwrap();
        q.put(2).unwrap();
        q.put(3).unwrap();
    });
    let wait = &spans(&v, "queue", "queue-waiter", "orders")[0];
    assert_eq!(wait["args"]["detail"], "empty");
    let sizes: Vec<u64> = events(&v)
        .iter()
        .filter(|e| e["ph"] == "C" && e["name"] == "Queue 'orders'")
        .map(|e| e["args"]["size"].as_u64().unwrap())
        .collect();
    assert!(sizes.ends_with(&[1, 2]), "sizes as counters: {sizes:?}");
}

#[test]
fn join_wait() {
    recorded("join", "joiner", "sleeper", || {
        // The sleeper waits for an Event, set once the joiner is seen waiting for it.
        let hold = Arc::new(potok::Event::named("hold"));
        let h = Arc::clone(&hold);
        let j = waiter("joiner", move || {
            let s = potok::Builder::new()
                .name("sleeper")
                .spawn(move || h.wait())
                .unwrap();
            s.join().unwrap();
        });
        support::blocked(j.thread(), ResourceKind::Thread, "sleeper");
        hold.set();
        j.join().unwrap();
    });
}

#[test]
fn sleep_span_and_thread_instants() {
    let v = recorded("sleep", "napper", "sleep", || {
        waiter("napper", || potok::sleep(Duration::from_millis(2)))
            .join()
            .unwrap();
    });
    let s = &spans(&v, "sleep", "napper", "sleep")[0];
    assert!(
        s["dur"].as_f64().unwrap() >= 1000.0,
        "at least the 2 ms asked: {s}"
    );
    let (pid, tid) = lane(&v, "napper").unwrap();
    let instants: Vec<&str> = events(&v)
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"] == "thread" && e["pid"] == pid && e["tid"] == tid)
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(instants, ["thread start", "thread end"]);
}

#[test]
fn deadlock_instant() {
    let _turn = serial();
    potok::deadlock::set_print_reports(false);
    let recording = potok::trace::start();
    let a = Arc::new(potok::Mutex::named("fork A", ()));
    let b = Arc::new(potok::Mutex::named("fork B", ()));
    let both = Arc::new(potok::Barrier::new(2));
    let philosopher = |first: Arc<potok::Mutex<()>>, second: Arc<potok::Mutex<()>>, name: &str| {
        let both = Arc::clone(&both);
        potok::Builder::new()
            .name(name)
            .spawn(move || {
                let _one = first.lock();
                both.wait().unwrap();
                let _two = second.lock();
            })
            .unwrap()
    };
    let p1 = philosopher(Arc::clone(&a), Arc::clone(&b), "plato");
    let p2 = philosopher(b, a, "kant");
    let outcomes = [p1.join().is_err(), p2.join().is_err()];
    potok::deadlock::set_print_reports(true);
    assert_eq!(
        outcomes.iter().filter(|&&e| e).count(),
        1,
        "one of them gets the error"
    );
    let v = parse(&recording.finish());
    let found: Vec<&Value> = events(&v)
        .iter()
        .filter(|e| e["ph"] == "i" && e["cat"] == "deadlock")
        .collect();
    assert_eq!(found.len(), 1, "one deadlock instant");
    let report = found[0]["args"]["report"].as_str().unwrap();
    assert!(
        report.contains("fork A") && report.contains("fork B"),
        "{report}"
    );
}

#[test]
fn json_read_back_draws_the_same_page() {
    let _turn = serial();
    let recording = potok::trace::start();
    waiter("reader", || potok::sleep(Duration::from_millis(1)))
        .join()
        .unwrap();
    let trace = recording.finish();
    assert_eq!(trace.dropped_events(), 0);
    let again = potok::trace::Trace::from_json(&trace.to_json()).unwrap();
    assert_eq!(again, trace);
    let page = again.to_html();
    assert!(page.contains("\"reader\""));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing fetched"
    );
    assert!(potok::trace::Trace::from_json("{\"traceEvents\": [{\"pid\": \"x\"}]}").is_err());
}

#[test]
fn off_records_nothing() {
    let _turn = serial();
    assert!(!potok::trace::is_recording());
    waiter("unrecorded", || potok::sleep(Duration::from_millis(1)))
        .join()
        .unwrap();
    let trace = potok::trace::start().finish();
    let v = parse(&trace);
    assert!(lane(&v, "unrecorded").is_none());
}
