//! `potok::main` and the main thread, tested from a real `fn main` (this file has
//! `harness = false`): libtest would run each test on a thread of its own.
//!
//! The exit rule is tested by running this same binary again as a child program (marked by
//! `POTOK_TEST_CHILD`): inside `potok::main`, a non-daemon thread writes a file slowly and a
//! daemon thread blocks forever. The child must exit, with the non-daemon file complete.
//!
//! Provenance: CPython's `Lib/test/test_threading.py` (test_main_thread,
//! test_daemon_threads_fatal_error / test_join_nondaemon_on_shutdown), in our own code.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const CHILD_VAR: &str = "POTOK_TEST_CHILD";
const LINES: usize = 20;
/// Bound on the child's run: generous for a loaded 2-core machine.
const CHILD_LIMIT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    if let Ok(dir) = std::env::var(CHILD_VAR) {
        child_program(Path::new(&dir));
        return ExitCode::SUCCESS;
    }
    let checks: [(&str, fn()); 3] = [
        (
            "main_thread_is_mainthread_in_main",
            main_thread_is_mainthread_in_main,
        ),
        (
            "main_thread_is_mainthread_inside_potok_main",
            main_thread_is_mainthread_inside_potok_main,
        ),
        (
            "potok_main_waits_for_non_daemon_threads_only",
            potok_main_waits_for_non_daemon_threads_only,
        ),
    ];
    let mut failed = 0;
    for (name, check) in checks {
        let ok = std::panic::catch_unwind(check).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        failed += usize::from(!ok);
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main_thread_is_mainthread_in_main() {
    let me = potok::current_thread();
    assert_eq!(me.name(), "MainThread");
    assert_eq!(me, potok::main_thread());
    assert!(!me.is_daemon());
    assert!(potok::enumerate().contains(&me));
    assert_eq!(me.native_id(), Some(u64::from(std::process::id())));
    let seen_from_thread = potok::spawn(potok::main_thread).join().unwrap();
    assert_eq!(seen_from_thread, me);
}

fn main_thread_is_mainthread_inside_potok_main() {
    let name = potok::main(|| potok::current_thread().name().to_owned());
    assert_eq!(name, "MainThread");
    let value = potok::main(|| 42);
    assert_eq!(value, 42, "potok::main returns the body's value");
}

fn potok_main_waits_for_non_daemon_threads_only() {
    let dir = scratch_dir();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_VAR, &dir)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > CHILD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not exit: potok::main waited for a daemon thread");
        }
        std::thread::sleep(Duration::from_millis(10)); // polling a child process, not syncing threads
    };
    assert!(status.success(), "child failed: {status}");
    let written = std::fs::read_to_string(dir.join("non-daemon.txt")).unwrap();
    let expected: String = (1..=LINES).map(|i| format!("line {i}\n")).collect();
    assert_eq!(
        written, expected,
        "potok::main returned before the non-daemon thread finished"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("daemon.txt")).unwrap(),
        "started\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child: its body returns at once; a non-daemon thread writes slowly; a daemon thread
/// never finishes.
fn child_program(dir: &Path) {
    potok::main(|| {
        let daemon_file = dir.join("daemon.txt");
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        potok::Builder::new()
            .daemon(true)
            .spawn(move || {
                std::fs::write(daemon_file, "started\n").unwrap();
                started_tx.send(()).unwrap();
                let (_keep, never) = std::sync::mpsc::channel::<()>();
                let _ = never.recv(); // blocks for as long as the process lives
            })
            .unwrap();
        started_rx.recv().unwrap();
        let file = dir.join("non-daemon.txt");
        potok::spawn(move || {
            let mut f = std::fs::File::create(file).unwrap();
            for i in 1..=LINES {
                potok::sleep(Duration::from_millis(5)); // the slow work main must wait for
                writeln!(f, "line {i}").unwrap();
            }
        });
    });
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("potok-main-thread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
