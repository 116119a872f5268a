//! The child's environment: the variable that marks a process as a potok child, what kind of
//! child it is, and the exit codes a child uses to say why it ended without an answer.
//!
//! Both sides read these: the parent when it starts a child (`spawn.rs`) and reports how it
//! ended, the child when it dispatches itself (`dispatch.rs`).

/// The environment variable that marks a child.
pub(crate) const ENV: &str = "POTOK_CHILD";

/// Exit code of a child that finds itself running the program instead of the worker.
pub(crate) const EXIT_NOT_DISPATCHED: i32 = 97;

/// Exit code of a child whose stream from the parent broke.
pub(crate) const EXIT_PROTOCOL: i32 = 70;

/// What a child is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChildKind {
    /// A pool worker: runs jobs until its socket closes.
    Worker,
    /// A `Process`: runs one job, sends the result, exits.
    Process,
    /// The fork server: forks pool workers on request (see `forkserver.rs`).
    Server,
}

impl ChildKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChildKind::Worker => "worker",
            ChildKind::Process => "process",
            ChildKind::Server => "server",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<ChildKind> {
        match s {
            "worker" => Some(ChildKind::Worker),
            "process" => Some(ChildKind::Process),
            "server" => Some(ChildKind::Server),
            _ => None,
        }
    }
}
