//! Runs the learner's program once: `python3 FILE.py` in a fresh working folder, with the shim
//! on the Python path, its output lines timestamped as they arrive, stopped when it makes no
//! progress for `--hang-after` seconds (after asking the shim for its state), and never leaving
//! a process behind.
//!
//! The hang clock starts once the interpreter has started: when the program's process catches
//! SIGUSR1 (the shim's state handler is installed, read from `/proc/<pid>/status`). A loaded
//! machine can take longer than a short `--hang-after` to start `python3` and import the shim;
//! counted as "no progress", that startup was declared a hang, and the state request (whose
//! default action ends a process) killed the interpreter before it could answer. A process
//! that does not catch SIGUSR1 is never sent it.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

/// The shim, shipped inside the binary; written as `sitecustomize.py` for each run.
const SHIM: &str = include_str!("shim.py");

/// How long the shim gets to write its state after the request (the wait ends as soon as every
/// asked process has answered; the limit only matters for one that cannot, e.g. in C code).
const STATE_WAIT: Duration = Duration::from_secs(5);

/// How long the interpreter may take to start (to install the shim's state handler) before
/// the time without progress counts anyway: generous, for a loaded machine; it bounds the wait
/// when the shim never installs its handler.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// What to run and how.
#[derive(Debug)]
pub(crate) struct Plan<'a> {
    pub(crate) python: &'a Path,
    pub(crate) file: &'a Path,
    /// The fresh working folder (inputs already there).
    pub(crate) work: &'a Path,
    /// A private folder for the shim and its records.
    pub(crate) shim_dir: &'a Path,
    pub(crate) time_scale: f64,
    pub(crate) hang_after: Duration,
}

/// One line the program printed, and when it arrived (microseconds on the records' clock).
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) text: String,
    pub(crate) at_us: f64,
}

/// How the run ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The program exited by itself with this code (None: killed by a signal).
    Exited(Option<i32>),
    /// It made no progress for `--hang-after`; it was stopped. The shim's state documents,
    /// one per Python process that answered.
    Hung(Vec<serde_json::Value>),
}

/// Everything a run leaves for the rules.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) lines: Vec<Line>,
    pub(crate) stderr: String,
    pub(crate) events: Vec<serde_json::Value>,
    pub(crate) end: End,
}

/// Nanoseconds on CLOCK_MONOTONIC, the clock of the shim's `time.monotonic_ns()`.
fn monotonic_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Runs the plan. Errors are I/O errors of potok itself (the program's own failures are in
/// the [`Run`]).
pub(crate) fn run(plan: &Plan<'_>) -> std::io::Result<Run> {
    std::fs::write(plan.shim_dir.join("sitecustomize.py"), SHIM)?;
    // Orphaned grandchildren (a pool worker whose parent died) become potok's children, so
    // that none is left running after the check.
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
    let python_path = match std::env::var_os("PYTHONPATH") {
        Some(old) if !old.is_empty() => {
            let mut paths = vec![plan.shim_dir.to_path_buf()];
            paths.extend(std::env::split_paths(&old));
            std::env::join_paths(paths).unwrap_or_else(|_| plan.shim_dir.as_os_str().to_owned())
        }
        _ => plan.shim_dir.as_os_str().to_owned(),
    };
    let t0 = monotonic_ns();
    let started = Instant::now();
    let mut child = Command::new(plan.python)
        .arg(plan.file)
        .current_dir(plan.work)
        .env("PYTHONPATH", python_path)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("POTOK_CHECK_DIR", plan.shim_dir)
        .env("POTOK_CHECK_SCALE", plan.time_scale.to_string())
        .env("POTOK_CHECK_T0", t0.to_string())
        .env("POTOK_CHECK_PARENT", std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;

    // Progress: the time (ns since start) of the last byte of output.
    let last_output = Arc::new(AtomicU64::new(0));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("stdout is piped");
    let out_reader = {
        let (lines, last_output) = (Arc::clone(&lines), Arc::clone(&last_output));
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match reader.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let at = started.elapsed();
                        last_output.store(at.as_nanos() as u64, Ordering::Relaxed);
                        let text = String::from_utf8_lossy(&buf);
                        let text = text.strip_suffix('\n').unwrap_or(&text);
                        let text = text.strip_suffix('\r').unwrap_or(text).to_owned();
                        lines
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(Line {
                                text,
                                at_us: at.as_secs_f64() * 1e6,
                            });
                    }
                }
            }
        })
    };
    let stderr = child.stderr.take().expect("stderr is piped");
    let err_reader = {
        let last_output = Arc::clone(&last_output);
        std::thread::spawn(move || {
            let mut reader = stderr;
            let mut all = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        last_output.store(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                        all.extend_from_slice(&chunk[..n]);
                    }
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        })
    };

    let events_path = plan.shim_dir.join("events.jsonl");
    let shim_error = plan.shim_dir.join("shim-error.txt");
    let mut events_len = 0;
    let mut last_progress = Duration::ZERO;
    let mut interpreter_started = false;
    let end = loop {
        if let Some(status) = child.try_wait()? {
            break End::Exited(status.code());
        }
        let now = started.elapsed();
        if !interpreter_started {
            // Until then nothing can be asked; the clock starts now. A shim that failed to
            // install (it says so in shim-error.txt) will not catch the signal: the clock runs.
            if catches_state_request(child.id() as i32) || shim_error.exists() {
                interpreter_started = true;
                last_progress = now;
            } else if now < STARTUP_LIMIT {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        }
        let len = std::fs::metadata(&events_path).map_or(0, |m| m.len());
        if len != events_len {
            events_len = len;
            last_progress = now;
        }
        let output = Duration::from_nanos(last_output.load(Ordering::Relaxed));
        last_progress = last_progress.max(output);
        if now.saturating_sub(last_progress) >= plan.hang_after {
            let states = ask_state(&child, plan.shim_dir);
            break End::Hung(states);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Everything still running that started from this check: the program itself if it hung,
    // and any child it left behind.
    kill_all(&mut child);
    let _ = out_reader.join();
    let stderr = err_reader.join().unwrap_or_default();
    let lines = std::mem::take(&mut *lines.lock().unwrap_or_else(PoisonError::into_inner));
    let events = read_events(&events_path);
    Ok(Run {
        lines,
        stderr,
        events,
        end,
    })
}

/// The shim's records: one JSON object a line; a line cut short by the kill is skipped.
fn read_events(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Sends the state request (SIGUSR1) to the program and to every process under it that
/// catches it (runs the shim, started far enough to have its handler), and collects the
/// documents written within [`STATE_WAIT`]. The others are not sent it: its default action
/// would end them, and they could not answer.
fn ask_state(child: &Child, shim_dir: &Path) -> Vec<serde_json::Value> {
    let mut pids = vec![child.id() as i32];
    pids.extend(descendants(child.id() as i32));
    pids.retain(|&pid| catches_state_request(pid));
    for &pid in &pids {
        if let Some(pid) = Pid::from_raw(pid) {
            let _ = rustix::process::kill_process(pid, Signal::USR1);
        }
    }
    // Every process that runs the shim answers; one that does not (a child in C code, a
    // process that is not Python) is not waited for past the deadline.
    let paths: Vec<PathBuf> = pids
        .iter()
        .map(|pid| shim_dir.join(format!("state-{pid}.json")))
        .collect();
    let deadline = Instant::now() + STATE_WAIT;
    while Instant::now() < deadline && !paths.iter().all(|p| p.exists()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut states = Vec::new();
    for path in paths {
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(doc) = serde_json::from_str(&text) {
                states.push(doc);
            }
        }
    }
    states
}

/// Whether process `pid` has a handler for SIGUSR1 (the shim's state request), by the `SigCgt`
/// mask in `/proc/<pid>/status`. False for a process that is gone.
fn catches_state_request(pid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & sig_bit(Signal::USR1) != 0)
}

/// The bit of `signal` in a `/proc/<pid>/status` signal mask (signal n is bit n - 1).
fn sig_bit(signal: Signal) -> u64 {
    1 << (signal.as_raw() - 1)
}

/// Stops the program (if it still runs) and every process that descends from potok: stopped
/// first (so none can start another meanwhile), then killed, then reaped.
fn kill_all(child: &mut Child) {
    let me = std::process::id() as i32;
    for _ in 0..50 {
        let alive: Vec<i32> = descendants(me)
            .into_iter()
            .filter(|&pid| !is_zombie(pid))
            .collect();
        if alive.is_empty() {
            break;
        }
        for &pid in &alive {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, Signal::STOP);
            }
        }
        for pid in descendants(me) {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, Signal::KILL);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
        reap_orphans(child.id() as i32);
    }
    let _ = child.wait();
    reap_orphans(child.id() as i32);
}

/// Waits for potok's children other than the program (orphans it adopted as subreaper).
fn reap_orphans(program: i32) {
    let me = std::process::id() as i32;
    for pid in children_of(me) {
        if pid == program {
            continue;
        }
        if let Some(pid) = Pid::from_raw(pid) {
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::NOHANG);
        }
    }
}

/// (pid, parent pid, state) of every process, from /proc.
fn processes() -> Vec<(i32, i32, char)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| {
        let entry = entry.ok()?;
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
        // `pid (comm) state ppid ...`: comm may hold spaces and parentheses.
        let rest = &stat[stat.rfind(')')? + 1..];
        let mut fields = rest.split_whitespace();
        let state = fields.next()?.chars().next()?;
        let ppid = fields.next()?.parse().ok()?;
        Some((pid, ppid, state))
    })
    .collect()
}

fn children_of(parent: i32) -> Vec<i32> {
    processes()
        .into_iter()
        .filter(|&(_, ppid, _)| ppid == parent)
        .map(|(pid, _, _)| pid)
        .collect()
}

/// Every process below `root` (not `root` itself).
fn descendants(root: i32) -> Vec<i32> {
    let all = processes();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, ppid, _) in &all {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
                frontier.push(pid);
            }
        }
    }
    found
}

fn is_zombie(pid: i32) -> bool {
    processes()
        .iter()
        .any(|&(p, _, state)| p == pid && (state == 'Z' || state == 'X'))
}
