//! The live children of this process: [`active_children`] (Python's
//! `multiprocessing.active_children()`), and what [`potok::main`](crate::main) does with them
//! at exit (Python's exit rule: daemon children terminated, the others joined).
//!
//! Every child is entered here when it is spawned (`spawn.rs`, for `Process` and pool workers
//! alike) and leaves in two steps when it is reaped: marked *ending* just before `waitpid`,
//! removed right after. Python's `active_children()` reaps the finished children it finds;
//! potok reaps every child as soon as it ends already (a watcher thread per `Process`, the
//! pool's thread per worker), so here it only leaves out the ones being reaped.
//!
//! A pid in the table that is not marked ending has not been reaped (the reaper marks it under
//! the table's lock first), so it still names our child and can be signalled safely.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rustix::process::{Pid, Signal};

use super::env::ChildKind;
use super::identity::ProcessInfo;

struct Entry {
    info: ProcessInfo,
    kind: ChildKind,
    ending: bool,
}

struct Table {
    children: Mutex<BTreeMap<u32, Entry>>,
    /// Notified when an entry is removed.
    removed: Condvar,
}

static TABLE: Table = Table {
    children: Mutex::new(BTreeMap::new()),
    removed: Condvar::new(),
};

/// Enters a child that was just spawned.
pub(crate) fn register(pid: u32, kind: ChildKind, info: ProcessInfo) {
    TABLE.children.lock().insert(
        pid,
        Entry {
            info,
            kind,
            ending: false,
        },
    );
}

/// Marks `pid` as being reaped (call before `waitpid`).
pub(crate) fn ending(pid: u32) {
    if let Some(entry) = TABLE.children.lock().get_mut(&pid) {
        entry.ending = true;
    }
}

/// Removes `pid` once reaped.
pub(crate) fn reaped(pid: u32) {
    if TABLE.children.lock().remove(&pid).is_some() {
        TABLE.removed.notify_all();
    }
}

/// The children of this process that are still running, pool workers included, in pid order:
/// Python's `multiprocessing.active_children()`. A child leaves the list as soon as it ends
/// (potok reaps it then; nothing is left to reap here).
///
/// # Examples
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::{active_children, Process};
///
/// fn nap(ms: u64) {
///     std::thread::sleep(std::time::Duration::from_millis(ms));
/// }
///
/// fn main() {
///     potok::main(|| {
///         let mut p = Process::new(nap, 100).with_name("napper");
///         p.start().unwrap();
///         assert!(active_children().iter().any(|c| c.name() == "napper"));
///         p.join().unwrap();
///         assert!(active_children().iter().all(|c| c.name() != "napper"));
///     });
/// }
/// ```
pub fn active_children() -> Vec<ProcessInfo> {
    TABLE
        .children
        .lock()
        .values()
        .filter(|e| !e.ending)
        .map(|e| e.info.clone())
        .collect()
}

/// How long daemon children have after SIGTERM at exit before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(2);

fn signal(pid: u32, sig: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// Python's exit rule for processes, run by [`potok::main`](crate::main) after the non-daemon
/// threads: daemon `Process` children are terminated (SIGTERM; SIGKILL after
/// [`TERM_GRACE`]), then every `Process` child is waited for until reaped. Pool workers are
/// left to their pools (they die with this process in any case).
pub(crate) fn at_exit() {
    let is_process = |e: &Entry| e.kind == ChildKind::Process && !e.ending;
    let mut table = TABLE.children.lock();
    let daemons: Vec<u32> = table
        .iter()
        .filter(|(_, e)| is_process(e) && e.info.is_daemon())
        .map(|(pid, _)| *pid)
        .collect();
    for &pid in &daemons {
        signal(pid, Signal::TERM);
    }
    let grace_ends = Instant::now() + TERM_GRACE;
    let mut killed = false;
    loop {
        // Entries stay until reaped (ending ones too): waiting for them to go means no zombie.
        let pending = table.iter().any(|(_, e)| e.kind == ChildKind::Process);
        if !pending {
            return;
        }
        if !killed && Instant::now() >= grace_ends {
            for (pid, e) in table.iter() {
                if daemons.contains(pid) && !e.ending {
                    signal(*pid, Signal::KILL);
                }
            }
            killed = true;
        }
        if killed {
            TABLE.removed.wait(&mut table);
        } else {
            let _ = TABLE.removed.wait_until(&mut table, grace_ends);
        }
    }
}
