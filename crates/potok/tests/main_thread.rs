//! `potok::main` and the main thread, tested from a real `fn main` (this file has
//! `harness = false`): libtest would run each test on a thread of its own.
//!
//! The exit rule is tested in a child process of its own (an isolated test of the shared
//! runner, see `support/mod.rs`): inside `potok::main`, a non-daemon thread writes a file
//! slowly and a daemon thread blocks forever. The child must exit, with the non-daemon file
//! complete.
//!
//! Provenance: CPython's `Lib/test/test_threading.py` (test_main_thread,
//! test_daemon_threads_fatal_error / test_join_nondaemon_on_shutdown), in our own code.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use support::case;

const LINES: usize = 20;

fn main() -> ExitCode {
    support::run([
        case!(main_thread_is_mainthread_in_main),
        case!(main_thread_is_mainthread_inside_potok_main),
        // Isolated: its daemon thread blocks forever, so it needs a process of its own, and the
        // runner's time limit on that process is what catches a potok::main that waits for it.
        case!(potok_main_waits_for_non_daemon_threads_only).isolated(),
    ])
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

/// Runs in a child process: inside `potok::main`, a non-daemon thread writes a file slowly and
/// a daemon thread blocks forever. `potok::main` must return once the non-daemon file is
/// complete; the process must then exit although the daemon thread still blocks.
fn potok_main_waits_for_non_daemon_threads_only() {
    let dir = scratch_dir();
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

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("potok-main-thread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
