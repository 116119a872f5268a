//! The port of a typical Python `multiprocessing` script (`examples/port_jobs.rs`, beside its
//! original `examples/port_jobs.py`): runs the example program and checks what it leaves, the
//! shared counter's total and one log line per job, written whole under the lock by one of
//! the four workers; and, where `python3` is installed, runs the Python original and checks
//! that it leaves the same.
//!
//! The example's source is compiled into this test (`#[path]`), and the program is this
//! executable run again with `POTOK_TEST_PORT` set, whose `main` is then the example's: so the
//! test needs no separately built example binary (`cargo test --test port_example` alone
//! works), and its worker processes are this executable too (hence `harness = false`).
//!
//! Provenance: the script is the classic shape of CPython's `multiprocessing` documentation
//! examples (a `JoinableQueue` of jobs with `task_done`/`join`, `Value` with `get_lock()`, a
//! `Lock` around a shared file, an `Event` to start workers together), written for potok; no
//! code copied.

mod support;

#[allow(unreachable_pub, dead_code)] // the example's `main` is called from here
#[path = "../examples/port_jobs.rs"]
mod port_jobs;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::{Duration, Instant};

use support::case;

const LIMIT: Duration = Duration::from_secs(120);

/// Marks the run of this executable that is the example program.
const PORT_VAR: &str = "POTOK_TEST_PORT";

/// Runs `cmd`, killing it if it takes longer than [`LIMIT`].
fn run_bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{cmd:?} still ran after {LIMIT:?}: killed\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Polling a child process for its exit, not synchronising threads.
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Checks what a run of the script left: the total it printed and its log file.
fn check_run(what: &str, out: &Output, log: &Path) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "total 5050", "{what}");
    let text = std::fs::read_to_string(log).unwrap();
    let mut jobs: Vec<u64> = text
        .lines()
        .map(|line| {
            // "Process-N did job J", written whole under the lock.
            let (name, job) = line
                .split_once(" did job ")
                .unwrap_or_else(|| panic!("{what}: a torn log line {line:?}"));
            assert!(
                ["Process-1", "Process-2", "Process-3", "Process-4"].contains(&name),
                "{what}: {line:?}"
            );
            job.parse().unwrap()
        })
        .collect();
    jobs.sort_unstable();
    assert_eq!(
        jobs,
        (1..=100).collect::<Vec<u64>>(),
        "{what}: one line per job"
    );
}

fn fresh_log(tag: &str) -> PathBuf {
    let log = std::env::temp_dir().join(format!("potok-port-{tag}-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    log
}

fn the_port_leaves_the_counter_and_the_log_the_python_does() {
    let log = fresh_log("rust");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.arg(&log).env(PORT_VAR, "1");
    let out = run_bounded(cmd);
    check_run("the potok port", &out, &log);
    let _ = std::fs::remove_file(&log);

    let python = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !python {
        eprintln!("python3 not found: the Python original was not run");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/port_jobs.py");
    let log = fresh_log("python");
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(&log);
    let out = run_bounded(cmd);
    check_run("the Python original", &out, &log);
    let _ = std::fs::remove_file(&log);
}

fn main() -> ExitCode {
    potok::process::init();
    if std::env::var_os(PORT_VAR).is_some() {
        // The example's own `main`: `potok::main`, reading the log path from argv[1].
        port_jobs::main();
        return ExitCode::SUCCESS;
    }
    support::run([
        case!(the_port_leaves_the_counter_and_the_log_the_python_does)
            .limit(Duration::from_secs(300)),
    ])
}
