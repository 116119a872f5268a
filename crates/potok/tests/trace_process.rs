//! potok::trace across processes: a pool's workers record into their own files, merged at the
//! finish on one time axis; a worker killed in the middle of a task still contributes what it
//! handed over; the workers of a pool made before the recording follow it.
//!
//! Runs with `harness = false` on the shared runner (the workers re-execute this binary).

mod support;

use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use support::case;

fn nap_ms(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

/// Writes its pid to `path`, then sleeps until killed (bounded: 30 s).
fn report_pid_and_hang(path: String) -> u64 {
    std::fs::write(&path, std::process::id().to_string()).unwrap();
    std::thread::sleep(Duration::from_secs(30));
    0
}

fn events(trace: &potok::trace::Trace) -> Vec<Value> {
    let v: Value = serde_json::from_str(&trace.to_json()).unwrap();
    v["traceEvents"].as_array().unwrap().clone()
}

/// pid -> process_name.
fn processes(events: &[Value]) -> Vec<(u64, String)> {
    events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| {
            (
                e["pid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn task_spans(events: &[Value], pid: u64) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "task" && e["pid"] == pid)
        .collect()
}

fn pool_lanes_from_three_processes() {
    let recording = potok::trace::start();
    let pool = potok::process::Pool::new(2).unwrap();
    let before = std::time::SystemTime::now();
    let out = pool.map_chunked(nap_ms, [20u64, 20, 20, 20], 1).unwrap();
    assert_eq!(out, [20, 20, 20, 20]);
    drop(pool);
    let trace = recording.finish();
    let ev = events(&trace);
    let procs = processes(&ev);
    assert_eq!(procs.len(), 3, "this process and two workers: {procs:?}");
    let me = u64::from(std::process::id());
    let workers: Vec<u64> = procs.iter().map(|p| p.0).filter(|&p| p != me).collect();
    for &w in &workers {
        let name = &procs.iter().find(|p| p.0 == w).unwrap().1;
        assert!(name.starts_with("pool worker"), "{name}");
    }
    // Every task ran in a worker, as an item span inside a job span on the worker's lane.
    let tasks: usize = workers
        .iter()
        .map(|&w| {
            task_spans(&ev, w)
                .iter()
                .filter(|s| s["name"].as_str().unwrap().starts_with("task "))
                .count()
        })
        .sum();
    assert_eq!(tasks, 4, "four tasks");
    // One time axis: each 20 ms task lies within the parent's recording, and the tasks of the
    // two workers overlap in time (they ran side by side).
    let end = ev
        .iter()
        .filter_map(|e| e["ts"].as_f64())
        .fold(0.0, f64::max);
    let _ = before;
    let mut spans: Vec<(f64, f64, u64)> = Vec::new();
    for &w in &workers {
        for s in task_spans(&ev, w) {
            if s["name"].as_str().unwrap().starts_with("task ") {
                let ts = s["ts"].as_f64().unwrap();
                let dur = s["dur"].as_f64().unwrap();
                assert!(
                    ts >= 0.0 && ts + dur <= end + 1.0,
                    "inside the recording: {s}"
                );
                assert!(dur >= 19_000.0, "a 20 ms task: {s}");
                spans.push((ts, ts + dur, w));
            }
        }
    }
    let overlap = spans
        .iter()
        .any(|a| spans.iter().any(|b| a.2 != b.2 && a.0 < b.1 && b.0 < a.1));
    assert!(overlap, "the workers' tasks overlap in time: {spans:?}");
}

/// The tasks (item spans) per worker process, and the worker pids.
fn worker_tasks(trace: &potok::trace::Trace) -> Vec<(u64, usize)> {
    let ev = events(trace);
    let me = u64::from(std::process::id());
    processes(&ev)
        .iter()
        .filter(|p| p.0 != me)
        .map(|p| {
            assert!(p.1.starts_with("pool worker"), "{}", p.1);
            let tasks = task_spans(&ev, p.0)
                .iter()
                .filter(|s| s["name"].as_str().unwrap().starts_with("task "))
                .count();
            (p.0, tasks)
        })
        .collect()
}

/// A pool made (and used) before `start()`: its workers begin recording with the first job
/// sent during the recording, stop after it, and follow the next recording too.
fn a_pool_made_before_the_recording_is_followed() {
    let pool = potok::process::Pool::new(2).unwrap();
    assert_eq!(pool.map(nap_ms, [0u64, 0]).unwrap(), [0, 0]);
    for round in 0..2 {
        let recording = potok::trace::start();
        let out = pool.map_chunked(nap_ms, [20u64, 20, 20, 20], 1).unwrap();
        assert_eq!(out, [20, 20, 20, 20]);
        let trace = recording.finish();
        let workers = worker_tasks(&trace);
        assert_eq!(
            workers.len(),
            2,
            "round {round}: both workers' lanes: {workers:?}"
        );
        assert_eq!(
            workers.iter().map(|w| w.1).sum::<usize>(),
            4,
            "round {round}: every task: {workers:?}"
        );
        // Between recordings the workers stop recording (nothing to write to).
        assert_eq!(pool.map(nap_ms, [0u64, 0]).unwrap(), [0, 0]);
    }
}

fn a_killed_worker_still_contributes() {
    let recording = potok::trace::start();
    let pool = potok::process::Pool::new(1).unwrap();
    let dir = std::env::temp_dir().join(format!("potok-trace-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pid");
    let _ = std::fs::remove_file(&path);
    let victim = pool
        .apply_async(report_pid_and_hang, path.to_string_lossy().into_owned())
        .unwrap();
    assert!(
        support::eventually(Duration::from_secs(20), || std::fs::read_to_string(&path)
            .map(|s| !s.is_empty())
            .unwrap_or(false)),
        "the task never started"
    );
    let pid: i32 = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    // SAFETY: kill(2) on a worker of our own pool.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    assert!(victim.get_timeout(Duration::from_secs(20)).is_err());
    let trace = recording.finish();
    drop(pool);
    let _ = std::fs::remove_dir_all(&dir);
    let ev = events(&trace);
    let jobs = task_spans(&ev, pid as u64);
    assert_eq!(
        jobs.len(),
        1,
        "the killed worker's job is in the trace: {jobs:?}"
    );
    assert_eq!(jobs[0]["args"]["unfinished"], true, "and it never ended");
}

fn main() -> ExitCode {
    support::run([
        case!(pool_lanes_from_three_processes),
        case!(a_pool_made_before_the_recording_is_followed),
        case!(a_killed_worker_still_contributes),
    ])
}
