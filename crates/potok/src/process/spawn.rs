//! Starting a child: the same executable again, marked as a child, with a socket to its parent.
//!
//! All children are started by two long-lived threads (`potok-spawner-N`). On Linux a child
//! asks for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), and the kernel sends it when the
//! *thread* that started the child ends, not the process: starting every child from threads
//! that live as long as the process makes "dies with the parent" mean the parent process.
//!
//! The child gets:
//! - its socket to the parent as its stdin (it moves it to a new descriptor and puts
//!   `/dev/null` on stdin), so stdout and stderr stay the parent's, as in Python;
//! - the progress page (see `progress.rs`) as an inherited descriptor;
//! - `POTOK_CHILD=<kind>:<parent pid>:<progress fd>` in its environment, which
//!   `potok::process::init()` looks for.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::process::{Pid, Signal};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::children;
use super::env::{ChildKind, ENV, EXIT_NOT_DISPATCHED};
use super::error::{ChildExit, StartError};
use super::identity::{self, ProcessInfo};
use super::progress::Progress;
use super::task::layout_fingerprint;
use super::wire::{self, tag, Fields, WireError};

/// How long a new child has to report for work.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A running child as its parent sees it.
pub(crate) struct Child {
    pub(crate) pid: u32,
    /// The parent's end of the socket; shared so a caller can hand an idle worker its job.
    pub(crate) sock: Arc<UnixStream>,
    pub(crate) progress: Progress,
    proc: std::process::Child,
    reaped: Option<ChildExit>,
    /// Runs once, just before the child is reaped (while its pid is still reserved): a pool
    /// that published the pid early withdraws it there, so no signal can reach a reused pid.
    pub(crate) before_reap: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Child {
    /// Sends a signal (SIGTERM, SIGKILL) unless the child was already reaped.
    pub(crate) fn signal(&self, sig: Signal) {
        if self.reaped.is_none() {
            signal_pid(self.pid, sig);
        }
    }

    /// Waits for the child to end and reaps it (so it leaves no zombie).
    pub(crate) fn wait(&mut self) -> ChildExit {
        if let Some(exit) = self.reaped {
            return exit;
        }
        if let Some(before_reap) = self.before_reap.take() {
            before_reap();
        }
        children::ending(self.pid);
        let exit = loop {
            match self.proc.wait() {
                Ok(status) => break ChildExit::from_status(status),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                // ECHILD: somebody else reaped it; nothing more can be known.
                Err(_) => break ChildExit::Code(-1),
            }
        };
        self.reaped = Some(exit);
        children::reaped(self.pid);
        exit
    }

    /// Whether the child has ended, without reaping it (so its pid stays reserved until
    /// [`wait`](Self::wait)).
    pub(crate) fn has_exited(&self) -> bool {
        if self.reaped.is_some() {
            return true;
        }
        peek_exit(self.pid, false)
    }

    /// Reaps the child if it has ended; `None` while it runs.
    pub(crate) fn try_wait(&mut self) -> Option<ChildExit> {
        if self.reaped.is_none() && self.has_exited() {
            // It has ended, so this returns at once (and runs `before_reap` first).
            self.wait();
        }
        self.reaped
    }

    /// Waits for the child's HELLO.
    pub(crate) fn handshake(&mut self, timeout: Duration) -> Result<(), StartError> {
        self.sock
            .set_read_timeout(Some(timeout))
            .map_err(StartError::Spawn)?;
        let mut buf = Vec::new();
        let outcome = wire::read_frame(&mut &*self.sock, &mut buf);
        self.sock
            .set_read_timeout(None)
            .map_err(StartError::Spawn)?;
        match outcome {
            Ok(true) if buf.first() == Some(&tag::HELLO) => {
                let mut fields = Fields::new(&buf);
                let _pid = fields.u64();
                match fields.u64() {
                    Ok(layout) if layout == layout_fingerprint() => Ok(()),
                    Ok(_) => {
                        self.kill_and_reap();
                        Err(StartError::Handshake(
                            "it runs an executable laid out differently from this one".into(),
                        ))
                    }
                    Err(err) => {
                        self.kill_and_reap();
                        Err(StartError::Handshake(err.to_string()))
                    }
                }
            }
            Ok(true) => {
                self.kill_and_reap();
                Err(StartError::Handshake(
                    "its first message was not HELLO".into(),
                ))
            }
            Ok(false) | Err(WireError::Truncated) => {
                let exit = self.wait();
                Err(StartError::NotDispatched(format!(
                    "child process {} ended ({exit}) without reporting for work",
                    self.pid
                )))
            }
            Err(WireError::Io(err))
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.kill_and_reap();
                Err(StartError::NotDispatched(format!(
                    "child process {} did not report for work within {:?} and was killed",
                    self.pid, timeout
                )))
            }
            Err(err) => {
                self.kill_and_reap();
                Err(StartError::Handshake(err.to_string()))
            }
        }
    }

    /// SIGKILL, then reap.
    pub(crate) fn kill_and_reap(&mut self) -> ChildExit {
        self.signal(Signal::KILL);
        self.wait()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        // Never leave a zombie: a child still running when its handle goes is killed and reaped.
        if self.try_wait().is_none() {
            self.kill_and_reap();
        }
    }
}

/// Sends `sig` to `pid`, which callers guarantee is a child they started and have not reaped
/// (so it cannot have been reused by another process). A child that has just ended is no
/// error.
pub(crate) fn signal_pid(pid: u32, sig: Signal) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, sig);
    }
}

/// Who a child will be: its name, its number (the prefix of its own children's names, see
/// `identity.rs`), and whether it is a daemon.
pub(crate) struct Identity {
    pub(crate) name: String,
    pub(crate) number: String,
    pub(crate) daemon: bool,
}

impl Identity {
    /// A pool worker's: `SpawnPoolWorker-N`, a daemon (as Python's pool workers are).
    fn pool_worker() -> Identity {
        let number = identity::next_number();
        Identity {
            name: format!("SpawnPoolWorker-{number}"),
            number,
            daemon: true,
        }
    }
}

type Request = (ChildKind, Option<Identity>, mpsc::Sender<io::Result<Child>>);

/// How many spawner threads there are: starting a child costs about half a millisecond of
/// exec and loading here, and two run side by side on two CPUs.
const SPAWNERS: usize = 2;

/// The spawner threads, started on first use: one channel each, so that two requests sent
/// together start two children side by side (with one shared queue, the second spawner first
/// had to be woken by the first one's unlock, which cost up to an exec's time here).
fn spawners() -> &'static [Mutex<mpsc::Sender<Request>>] {
    static SPAWNERS_TX: OnceLock<Vec<Mutex<mpsc::Sender<Request>>>> = OnceLock::new();
    SPAWNERS_TX.get_or_init(|| {
        (0..SPAWNERS)
            .map(|i| {
                let (tx, rx) = mpsc::channel::<Request>();
                std::thread::Builder::new()
                    .name(format!("potok-spawner-{i}"))
                    .spawn(move || {
                        while let Ok((kind, who, reply)) = rx.recv() {
                            let _ = reply.send(spawn_here(kind, who));
                        }
                    })
                    .expect("could not start a potok-spawner thread");
                Mutex::new(tx)
            })
            .collect()
    })
}

/// The spawner to use next (round robin).
fn next_spawner() -> &'static Mutex<mpsc::Sender<Request>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let all = spawners();
    &all[NEXT.fetch_add(1, Ordering::Relaxed) % all.len()]
}

/// Starts `n` children of `kind` at once (without waiting for their HELLO); pool workers
/// are named `SpawnPoolWorker-N`.
pub(crate) fn spawn_many(kind: ChildKind, n: usize) -> Vec<Result<Child, StartError>> {
    spawn_with(kind, (0..n).map(|_| None).collect())
}

/// Starts one child per identity (`None`: a pool worker's) at once.
fn spawn_with(kind: ChildKind, who: Vec<Option<Identity>>) -> Vec<Result<Child, StartError>> {
    refuse_if_undispatched_child();
    if identity::is_daemon() {
        // Python: "daemonic processes are not allowed to have children".
        return who.iter().map(|_| Err(StartError::Daemonic)).collect();
    }
    let gone = || StartError::Spawn(io::Error::other("the potok-spawner threads are gone"));
    let replies: Vec<_> = who
        .into_iter()
        .map(|who| {
            let (reply_tx, reply_rx) = mpsc::channel();
            let sent = next_spawner()
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .send((kind, who, reply_tx));
            sent.ok().map(|()| reply_rx)
        })
        .collect();
    replies
        .into_iter()
        .map(|rx| match rx.map(|rx| rx.recv()) {
            Some(Ok(result)) => result.map_err(StartError::Spawn),
            _ => Err(gone()),
        })
        .collect()
}

/// Starts a child of `kind` (without waiting for its HELLO).
pub(crate) fn spawn(kind: ChildKind) -> Result<Child, StartError> {
    spawn_many(kind, 1).pop().expect("one child asked for")
}

/// A process that was started as a potok child but is running the program (its `main` never
/// called `potok::main`/`process::init`) must not start children of its own: that would be a
/// fork bomb. It says why and exits; its parent reports the same.
fn refuse_if_undispatched_child() {
    if std::env::var_os(ENV).is_some() {
        eprintln!(
            "potok: process {} was started as a potok child process, but its `main` did not \
             begin with `potok::main(|| ...)` or `potok::process::init()`, so it ran the program \
             instead of the worker; exiting. Add one of them as the first line of `main`.",
            std::process::id()
        );
        std::process::exit(EXIT_NOT_DISPATCHED);
    }
}

fn spawn_here(kind: ChildKind, who: Option<Identity>) -> io::Result<Child> {
    let who = who.unwrap_or_else(Identity::pool_worker);
    let (parent_end, child_end) = UnixStream::pair()?;
    let (progress, progress_fd) = Progress::create()?;
    let arg0: OsString = std::env::args_os()
        .next()
        .unwrap_or_else(|| "potok-child".into());
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg0(arg0)
        .env(
            ENV,
            format!(
                "{}:{}:{}",
                kind.as_str(),
                std::process::id(),
                progress_fd.as_raw_fd()
            ),
        )
        .env(
            identity::ENV,
            identity::env_for(&who.name, &who.number, who.daemon),
        )
        .envs(crate::trace::child_env())
        .stdin(Stdio::from(OwnedFd::from(child_end)))
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    // The memfd is close-on-exec; it is made inheritable only for this spawn and closed right
    // after. A sibling started by the other spawner thread in that instant inherits it too,
    // and closes it first thing (`dispatch::close_stray_progress_pages`). A `pre_exec` hook
    // would clear the flag in the child alone, but it makes std fork the whole parent instead
    // of using posix_spawn (measured: pool start-up 0.92 ms -> 1.29 ms); a lock around the two
    // spawns cost 0.1-0.3 ms. A `Command` another thread of the program spawns in that instant
    // may keep a copy of the page's descriptor (one page) until it exits.
    rustix::io::fcntl_setfd(&progress_fd, rustix::io::FdFlags::empty())?;
    let proc = cmd.spawn();
    drop(progress_fd);
    let proc = proc?;
    drop(cmd); // closes our copy of the child's end
    children::register(
        proc.id(),
        kind,
        ProcessInfo::new(who.name, proc.id(), who.daemon),
    );
    Ok(Child {
        pid: proc.id(),
        sock: Arc::new(parent_end),
        progress,
        proc,
        reaped: None,
        before_reap: None,
    })
}

/// Starts a child and waits for its HELLO.
pub(crate) fn start(kind: ChildKind) -> Result<Child, StartError> {
    let mut child = spawn(kind)?;
    child.handshake(HANDSHAKE_TIMEOUT)?;
    Ok(child)
}

/// Starts a `Process` child who is `who` and waits for its HELLO.
pub(crate) fn start_process(who: Identity) -> Result<Child, StartError> {
    let mut child = spawn_with(ChildKind::Process, vec![Some(who)])
        .pop()
        .expect("one child asked for")?;
    child.handshake(HANDSHAKE_TIMEOUT)?;
    Ok(child)
}

/// Whether our unreaped child `pid` has ended, leaving it unreaped (`waitid` with `WNOWAIT`):
/// at once, or, with `block`, after waiting for it to end (then always `true`, unless the pid
/// is not our child).
pub(crate) fn peek_exit(pid: u32, block: bool) -> bool {
    use rustix::process::{waitid, WaitId, WaitIdOptions};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    let mut options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
    if !block {
        options |= WaitIdOptions::NOHANG;
    }
    loop {
        match waitid(WaitId::Pid(pid), options) {
            // With NOHANG, `None` means it is still running.
            Ok(status) => return status.is_some(),
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return false,
        }
    }
}
