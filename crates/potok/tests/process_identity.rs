//! Who a process is and what happens to children at exit: `current_process`,
//! `parent_process`, `active_children`, `Process::daemon` and `potok::main`'s exit rule.
//!
//! Provenance: the behaviours are CPython's `Lib/test/_test_multiprocessing.py`, written again
//! for potok (no code copied): `_TestProcess.test_current` (the parent is `MainProcess`, not a
//! daemon), `test_process` (a child sees its own name and pid, and `parent_process()` is the
//! parent's; the parent has none), `test_parent_process`, `test_active_children` (a running
//! child is listed, a joined one is not), `test_daemon_argument` and the rule that a daemonic
//! process may not have children (`AssertionError: daemonic processes are not allowed to have
//! children`), `_TestPool`'s worker names, and `test_wait_for_threads`-style exit behaviour of
//! `multiprocessing`'s `_exit_function` (daemon children terminated, the others joined).
//!
//! Runs with `harness = false` on the shared runner (children are this executable started
//! again): see `support/mod.rs`. One test runs a whole program (this executable with
//! `POTOK_TEST_EXIT_RULE` set) to see what its `potok::main` does at exit.

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use potok::process::{
    active_children, current_process, parent_process, Pool, Process, SimpleQueue, StartError,
};
use support::case;

const LIMIT: Duration = Duration::from_secs(60);

/// What a child says about itself: (name, pid, daemon, parent name, parent pid).
type Report = (String, u32, bool, Option<(String, u32)>);

fn report() -> Report {
    let me = current_process();
    let parent = parent_process().map(|p| (p.name().to_owned(), p.pid()));
    (me.name().to_owned(), me.pid(), me.is_daemon(), parent)
}

fn who_am_i(_: ()) -> Report {
    report()
}

fn current_process_names_in_parent_and_children() {
    let me = current_process();
    assert_eq!(me.name(), "MainProcess");
    assert_eq!(me.pid(), std::process::id());
    assert!(!me.is_daemon());
    assert_eq!(parent_process(), None);

    let mut first = Process::new(who_am_i, ());
    let mut second = Process::new(who_am_i, ());
    let mut named = Process::new(who_am_i, ()).with_name("reporter");
    let n: usize = first
        .name()
        .strip_prefix("Process-")
        .unwrap()
        .parse()
        .unwrap();
    // Numbered in creation order.
    assert_eq!(second.name(), format!("Process-{}", n + 1));
    for p in [&mut first, &mut second, &mut named] {
        p.start().unwrap();
    }
    let parent = Some(("MainProcess".to_owned(), std::process::id()));
    for p in [&mut first, &mut second, &mut named] {
        let name = p.name().to_owned();
        let pid = p.pid().unwrap();
        assert_eq!(
            p.join_timeout(LIMIT).unwrap(),
            (name, pid, false, parent.clone())
        );
    }
}

/// A child: starts a child of its own and returns what that grandchild says.
fn grandparent(_: ()) -> (String, Report) {
    let mut grandchild = Process::new(who_am_i, ());
    grandchild.start().unwrap();
    let report = grandchild.join_timeout(LIMIT).unwrap();
    (current_process().name().to_owned(), report)
}

fn a_childs_children_are_numbered_after_it() {
    let mut child = Process::new(grandparent, ());
    child.start().unwrap();
    let child_pid = child.pid().unwrap();
    let (child_name, (name, _pid, _daemon, parent)) = child.join_timeout(LIMIT).unwrap();
    assert_eq!(child_name, child.name());
    // Python's scheme: the first child of Process-N is Process-N:1.
    assert_eq!(name, format!("{child_name}:1"));
    assert_eq!(parent, Some((child_name, child_pid)));
}

/// A child: starts a slow non-daemon child of its own that writes a file, and returns at once.
fn leaves_a_writer(path: PathBuf) -> u32 {
    let mut writer = Process::new(slow_writer, path);
    writer.start().unwrap();
    writer.pid().unwrap()
}

fn a_child_waits_for_its_own_children_when_it_ends() {
    let path = std::env::temp_dir().join(format!("potok-grandchild-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut child = Process::new(leaves_a_writer, path.clone());
    child.start().unwrap();
    let grandchild = child.join_timeout(LIMIT).unwrap();
    // The child ended only after its non-daemon child had done its work, as in Python.
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "done");
    assert_eq!(state_of(grandchild), None);
    let _ = std::fs::remove_file(&path);
}

fn pool_task(_: u32) -> Report {
    report()
}

fn pool_workers_are_named_and_daemonic() {
    let pool = Pool::new(2).unwrap();
    let reports = pool.map(pool_task, 0..8u32).unwrap();
    for (name, pid, daemon, parent) in reports {
        assert!(name.starts_with("SpawnPoolWorker-"), "{name}");
        assert_ne!(pid, std::process::id());
        assert!(daemon);
        assert_eq!(parent, Some(("MainProcess".to_owned(), std::process::id())));
    }
}

/// A child: waits for word from the parent.
fn wait_for_word(go: SimpleQueue<()>) {
    go.get().unwrap();
}

fn active_children_after_join() {
    let go = SimpleQueue::new().unwrap();
    let mut child = Process::new(wait_for_word, go.clone()).with_name("waiting");
    assert!(active_children().iter().all(|c| c.name() != "waiting"));
    child.start().unwrap();
    let pid = child.pid().unwrap();
    let listed: Vec<_> = active_children()
        .into_iter()
        .filter(|c| c.pid() == pid)
        .collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name(), "waiting");
    assert!(!listed[0].is_daemon());
    go.put(()).unwrap();
    child.join_timeout(LIMIT).unwrap();
    assert!(active_children().iter().all(|c| c.pid() != pid));
    assert!(!support::children().contains(&pid), "reaped, no zombie");
}

/// A daemon child: tries to start a process and a pool of its own.
fn daemon_tries_children(_: ()) -> (bool, String, String) {
    let mut p = Process::new(who_am_i, ());
    let process = match p.start() {
        Err(err @ StartError::Daemonic) => err.to_string(),
        other => format!("unexpected: {other:?}"),
    };
    let pool = match Pool::new(1) {
        Err(err @ StartError::Daemonic) => err.to_string(),
        Err(other) => format!("unexpected: {other:?}"),
        Ok(_) => "a pool started".to_owned(),
    };
    (current_process().is_daemon(), process, pool)
}

fn a_daemon_may_not_have_children() {
    let mut d = Process::new(daemon_tries_children, ()).daemon(true);
    assert!(d.is_daemon());
    d.start().unwrap();
    let (daemon, process, pool) = d.join_timeout(LIMIT).unwrap();
    assert!(daemon);
    for text in [process, pool] {
        assert!(
            text.starts_with("daemonic processes are not allowed to have children"),
            "{text}"
        );
    }
}

fn daemon_after_start_panics() {
    let mut p = Process::new(who_am_i, ());
    p.start().unwrap();
    let _p = p.daemon(true);
}

fn daemon_after_start_is_refused() {
    // `should_panic` is not a runner feature: catch it here (quietly).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(daemon_after_start_panics);
    std::panic::set_hook(hook);
    let caught = caught.unwrap_err();
    let text = caught.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(text, "process has already started");
}

// ---- the exit rule, seen from outside a whole program ----

/// Marks the run of this executable that plays the program under test (its value: a folder).
const EXIT_RULE_VAR: &str = "POTOK_TEST_EXIT_RULE";

/// A non-daemon child: works a while, then writes its file.
fn slow_writer(path: PathBuf) {
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(path, "done").unwrap();
}

/// A daemon child: would run for ever.
fn forever(_: ()) {
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn state_of(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// The program under test: starts both children, returns from `potok::main` at once, and
/// prints what it finds after `potok::main` is done.
fn exit_rule_program(dir: &Path) -> ! {
    let file = dir.join("written-by-child");
    let daemon_pid = potok::main(|| {
        let mut writer = Process::new(slow_writer, file.clone());
        let mut daemon = Process::new(forever, ()).daemon(true);
        writer.start().unwrap();
        daemon.start().unwrap();
        daemon.pid().unwrap()
        // Neither is joined: potok::main must wait for the writer and end the daemon.
    });
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    let state = state_of(daemon_pid).map_or("gone".to_owned(), |c| c.to_string());
    println!("written={written} daemon={daemon_pid} daemon_state={state}");
    std::process::exit(0);
}

fn non_daemon_joined_daemon_terminated_at_exit() {
    let dir = std::env::temp_dir().join(format!("potok-exit-rule-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("written-by-child"));
    let started = Instant::now();
    let mut program = Command::new(std::env::current_exe().unwrap())
        .env(EXIT_RULE_VAR, &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = program.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = program.kill();
            let _ = program.wait();
            panic!("the program did not end within {LIMIT:?}");
        }
        // Polling a child process for its exit, not synchronising threads.
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut out = String::new();
    program
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "{status}: {out}");
    // The non-daemon child's work completed before the program ended; the daemon child was
    // ended and reaped by potok::main itself (gone, not a zombie).
    let daemon_pid: u32 = out
        .split("daemon=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no daemon pid in {out:?}"));
    assert!(out.starts_with("written=done "), "{out}");
    assert!(out.trim_end().ends_with("daemon_state=gone"), "{out}");
    assert_eq!(
        state_of(daemon_pid),
        None,
        "the daemon child is gone afterwards too"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() -> ExitCode {
    potok::process::init();
    if let Some(dir) = std::env::var_os(EXIT_RULE_VAR) {
        exit_rule_program(Path::new(&dir));
    }
    support::run([
        case!(current_process_names_in_parent_and_children),
        case!(a_childs_children_are_numbered_after_it),
        case!(a_child_waits_for_its_own_children_when_it_ends),
        case!(pool_workers_are_named_and_daemonic),
        case!(active_children_after_join),
        case!(a_daemon_may_not_have_children),
        case!(daemon_after_start_is_refused),
        case!(non_daemon_joined_daemon_terminated_at_exit),
    ])
}
