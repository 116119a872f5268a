//! Who this process is: [`current_process`] and [`parent_process`] (Python's
//! `multiprocessing.current_process()` / `parent_process()`), [`ProcessInfo`], and how children
//! are named.
//!
//! # Names
//!
//! - The process that was not started by potok is `MainProcess`.
//! - A [`Process`](super::Process) is `Process-N` unless named, where N counts every child this
//!   process creates (processes and pool workers share the count, as in Python), in creation
//!   order from 1.
//! - A [`Pool`](super::Pool) worker is `SpawnPoolWorker-N`: Python's name for a pool worker of
//!   the `spawn` start method, which is how potok starts children (the executable again, not a
//!   fork of the parent).
//! - A child's own children carry its number in front, as in Python: the first child of
//!   `Process-2` is `Process-2:1`.
//!
//! # How a child learns it
//!
//! The parent puts the child's name, number, daemon flag and its own name in `POTOK_PROCESS`
//! (fields separated by the unit separator, U+001F), beside `POTOK_CHILD`; [`init`](super::init)
//! reads it ([`adopt_from_env`]) and removes it before the child's work runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The environment variable that tells a child who it is.
pub(crate) const ENV: &str = "POTOK_PROCESS";

/// Separates the fields of [`ENV`].
const SEP: char = '\u{1f}';

/// A process as [`current_process`], [`parent_process`] and
/// [`active_children`](super::active_children) describe it: a name and a pid (Python's
/// `name`, `pid`, `daemon`).
///
/// # Examples
///
/// ```
/// let me = potok::process::current_process();
/// assert_eq!(me.name(), "MainProcess");
/// assert_eq!(me.pid(), std::process::id());
/// assert!(!me.is_daemon());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    name: String,
    pid: u32,
    daemon: bool,
}

impl ProcessInfo {
    pub(crate) fn new(name: String, pid: u32, daemon: bool) -> ProcessInfo {
        ProcessInfo { name, pid, daemon }
    }

    /// The process's name (Python's `name`): `MainProcess`, `Process-N`, `SpawnPoolWorker-N`,
    /// or the name given with [`Process::with_name`](super::Process::with_name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process's id (Python's `pid`).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether it is a daemon process (Python's `daemon`): pool workers are; a
    /// [`Process`](super::Process) is if [`daemon(true)`](super::Process::daemon) was asked.
    /// Always false for the parent of a child (`parent_process()`), whose flag the child
    /// is not told.
    pub fn is_daemon(&self) -> bool {
        self.daemon
    }
}

/// What this process knows of itself, set once.
struct Me {
    info: ProcessInfo,
    /// The number path in names of this process's children: empty in `MainProcess`, `2` in
    /// `Process-2`, `2:1` in its first child.
    number: String,
    parent: Option<ProcessInfo>,
}

static ME: OnceLock<Me> = OnceLock::new();

fn me() -> &'static Me {
    ME.get_or_init(|| Me {
        info: ProcessInfo::new("MainProcess".to_owned(), std::process::id(), false),
        number: String::new(),
        parent: None,
    })
}

/// Reads and removes [`ENV`] (in a child, from [`init`](super::init), before its work runs);
/// `parent_pid` is the pid `POTOK_CHILD` named.
pub(crate) fn adopt_from_env(parent_pid: u32) {
    let Some(spec) = std::env::var_os(ENV) else {
        return;
    };
    // Children of this child must not see it.
    std::env::remove_var(ENV);
    adopt(&spec.to_string_lossy(), parent_pid);
}

/// Takes the identity `spec` (a value of [`ENV`], see [`env_for`]) as this process's; a
/// forked pool worker gets it in its IDENTITY frame instead of its environment.
pub(crate) fn adopt(spec: &str, parent_pid: u32) {
    let mut fields = spec.splitn(4, SEP);
    let daemon = fields.next() == Some("1");
    let number = fields.next().unwrap_or_default().to_owned();
    let parent_name = fields.next().unwrap_or_default().to_owned();
    let name = fields.next().unwrap_or_default().to_owned();
    let _ = ME.set(Me {
        info: ProcessInfo::new(name, std::process::id(), daemon),
        number,
        parent: Some(ProcessInfo::new(parent_name, parent_pid, false)),
    });
}

/// The value of [`ENV`] for a child named `name` with number `number`.
pub(crate) fn env_for(name: &str, number: &str, daemon: bool) -> String {
    // An environment value cannot hold NUL.
    let clean = |s: &str| s.replace('\0', "?");
    format!(
        "{}{SEP}{number}{SEP}{}{SEP}{}",
        if daemon { "1" } else { "0" },
        clean(&me().info.name),
        clean(name)
    )
}

/// The next child's number path (`3`, or `2:3` in `Process-2`): one count for every child
/// this process creates, processes and pool workers alike, as Python's.
pub(crate) fn next_number() -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(1);
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let prefix = &me().number;
    if prefix.is_empty() {
        n.to_string()
    } else {
        format!("{prefix}:{n}")
    }
}

/// Whether this process is a daemon process (which may not start children).
pub(crate) fn is_daemon() -> bool {
    me().info.daemon
}

/// This process: Python's `multiprocessing.current_process()`.
///
/// `MainProcess` in a program potok did not start; in a child, the name its parent gave it
/// (see [`ProcessInfo::name`]).
///
/// # Examples
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::{current_process, parent_process, Process};
///
/// fn who(_: ()) -> (String, Option<String>) {
///     let parent = parent_process().map(|p| p.name().to_owned());
///     (current_process().name().to_owned(), parent)
/// }
///
/// fn main() {
///     potok::main(|| {
///         let mut p = Process::new(who, ());
///         p.start().unwrap();
///         let (name, parent) = p.join().unwrap();
///         assert!(name.starts_with("Process-"));
///         assert_eq!(parent.as_deref(), Some("MainProcess"));
///         assert!(parent_process().is_none()); // the parent has none
///     });
/// }
/// ```
pub fn current_process() -> ProcessInfo {
    me().info.clone()
}

/// The process that started this one: Python's `multiprocessing.parent_process()`; `None` in
/// a process potok did not start.
///
/// # Examples
///
/// ```
/// assert!(potok::process::parent_process().is_none());
/// ```
pub fn parent_process() -> Option<ProcessInfo> {
    me().parent.clone()
}

/// This process's name, cheaply (for lock records and reports).
pub(crate) fn my_name() -> &'static str {
    &me().info.name
}
