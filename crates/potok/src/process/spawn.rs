//! Starting a child: the same executable again, marked as a child, with a socket to its parent;
//! or, for a pool worker, a fork of the fork server (see `forkserver.rs`), asked for here.
//!
//! A forked worker is the server's child, not ours: it is watched through a pidfd (which
//! becomes readable when it ends, and signals it without any risk of a reused pid) and reaped
//! by the server when we ask, once the pidfd says it has ended; so its pid stays reserved
//! until [`Child::wait`], as an exec'd child's does. The server is started with the first
//! pool and kept; a server found dead (a request's connection broke) is reaped, and the next
//! request starts a new one.
//!
//! Children started from the executable (the fork server among them) are started by two
//! long-lived threads (`potok-spawner-N`). On Linux a child asks for SIGKILL when its parent
//! dies (`PR_SET_PDEATHSIG`), and the kernel sends it when the *thread* that started the child
//! ends, not the process: starting every child from threads that live as long as the process
//! makes "dies with the parent" mean the parent process. (The fork server has one thread,
//! which lives as long as it does.)
//!
//! The child gets:
//! - its socket to the parent as its stdin (it moves it to a new descriptor and puts
//!   `/dev/null` on stdin), so stdout and stderr stay the parent's, as in Python;
//! - the progress page (see `progress.rs`) as an inherited descriptor;
//! - `POTOK_CHILD=<kind>:<parent pid>:<progress fd>` in its environment, which
//!   `potok::process::init()` looks for.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use rustix::process::{Pid, Signal};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::child_sock::ChildSock;
use super::children;
use super::env::{ChildKind, ENV, EXIT_NOT_DISPATCHED};
use super::error::{ChildExit, StartError};
use super::forkserver::{self, RequestError};
use super::identity::{self, ProcessInfo};
use super::progress::Progress;
use super::reap_cell::{Claim, ReapCell};
use super::stock::Link;
use super::task::layout_fingerprint;
use super::wire::{self, tag, Fields, WireError};

/// How long a new child has to report for work.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A running child as its parent sees it.
pub(crate) struct Child {
    pub(crate) pid: u32,
    /// The parent's end of the socket; shared so a caller can hand an idle worker its job.
    pub(crate) sock: Arc<ChildSock>,
    pub(crate) progress: Progress,
    how: How,
    reaped: Option<ChildExit>,
    /// Runs once, just before the child is reaped (while its pid is still reserved): a pool
    /// that published the pid early withdraws it there, so no signal can reach a reused pid.
    pub(crate) before_reap: Option<Box<dyn FnOnce() + Send + Sync>>,
}

/// How a child was started, which says who reaps it.
enum How {
    /// By exec, from a spawner thread: this process's own child.
    Exec(std::process::Child),
    /// Forked by the fork server: the server's child, watched here through a pidfd (readable
    /// once it has ended) and reaped by the server when asked, once (see `reap_cell.rs`).
    Forked {
        pidfd: Arc<OwnedFd>,
        server: Arc<ForkServer>,
        reap: Arc<ReapCell>,
    },
}

/// What kills and reaps a forked worker from elsewhere than its `Child` (a pool being
/// terminated, see [`kill_and_reap_now`]).
#[derive(Clone)]
pub(crate) struct Reaper {
    pid: u32,
    server: Arc<ForkServer>,
    reap: Arc<ReapCell>,
}

/// Signals a child from elsewhere than its handle (a pool's `terminate`): through its pidfd
/// if it was forked by the fork server, else by pid (the holder must then know the pid is not
/// reaped yet).
#[derive(Clone)]
pub(crate) enum Signaller {
    Pid(u32),
    PidFd(Arc<OwnedFd>),
}

impl Signaller {
    pub(crate) fn signal(&self, sig: Signal) {
        match self {
            Signaller::Pid(pid) => signal_pid(*pid, sig),
            Signaller::PidFd(pidfd) => {
                let _ = rustix::process::pidfd_send_signal(pidfd, sig);
            }
        }
    }
}

impl Child {
    /// Sends a signal (SIGTERM, SIGKILL) unless the child was already reaped.
    pub(crate) fn signal(&self, sig: Signal) {
        if self.reaped.is_some() {
            return;
        }
        match &self.how {
            How::Exec(_) => signal_pid(self.pid, sig),
            // Through the pidfd: safe even if the server died and the pid was reaped by init.
            How::Forked { pidfd, .. } => {
                let _ = rustix::process::pidfd_send_signal(pidfd, sig);
            }
        }
    }

    /// What kills and reaps this child from elsewhere, if it was forked by the fork server
    /// (a child started by exec is reaped through its handle only).
    pub(crate) fn reaper(&self) -> Option<Reaper> {
        match &self.how {
            How::Exec(_) => None,
            How::Forked { server, reap, .. } => Some(Reaper {
                pid: self.pid,
                server: Arc::clone(server),
                reap: Arc::clone(reap),
            }),
        }
    }

    /// What signals this child from elsewhere.
    pub(crate) fn signaller(&self) -> Signaller {
        match &self.how {
            How::Exec(_) => Signaller::Pid(self.pid),
            How::Forked { pidfd, .. } => Signaller::PidFd(Arc::clone(pidfd)),
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
        let exit = match &mut self.how {
            How::Exec(proc) => loop {
                match proc.wait() {
                    Ok(status) => break ChildExit::from_status(status),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    // ECHILD: somebody else reaped it; nothing more can be known.
                    Err(_) => break ChildExit::Code(-1),
                }
            },
            How::Forked {
                pidfd,
                server,
                reap,
            } => match reap.claim() {
                Claim::Mine => {
                    forkserver::readable(&**pidfd, None);
                    let exit = server.reap(&[self.pid])[0];
                    reap.finish(exit);
                    exit
                }
                Claim::Theirs => reap.wait(),
                Claim::Done(exit) => exit,
            },
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
        match &self.how {
            How::Exec(_) => peek_exit(self.pid, false),
            How::Forked { pidfd, .. } => forkserver::readable(&**pidfd, Some(Duration::ZERO)),
        }
    }

    /// Reaps the child if it has ended; `None` while it runs.
    pub(crate) fn try_wait(&mut self) -> Option<ChildExit> {
        if self.reaped.is_none() && self.has_exited() {
            // It has ended, so this returns at once (and runs `before_reap` first).
            self.wait();
        }
        self.reaped
    }

    /// Waits for the child's HELLO; at once for a worker forked by the fork server, which
    /// says none.
    ///
    /// A forked worker is a fork of the server, which said HELLO itself (so it runs this
    /// executable, laid out as this one is), and it did not run the program (it has no
    /// `main` of its own to get wrong): it can only be dead, and its pool finds that out as it
    /// does for any worker, on its first job. Waiting for it here would cost a wake-up of the
    /// worker and one of the caller whenever the worker has not run since its fork (9% of the
    /// stock workers taken beside CPython's `pool.py` at load 9, counted), before its first
    /// job gives it a reason to run anyway.
    pub(crate) fn handshake(&mut self, timeout: Duration) -> Result<(), StartError> {
        if matches!(self.how, How::Forked { .. }) {
            return Ok(());
        }
        self.sock
            .stream()
            .set_read_timeout(Some(timeout))
            .map_err(StartError::Spawn)?;
        let mut buf = Vec::new();
        let outcome = wire::read_frame(&mut self.sock.stream(), &mut buf);
        self.sock
            .stream()
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

    /// Whether this is a worker forked by a fork server that has died since (so it died, or
    /// will die, with it).
    pub(crate) fn lost_with_its_server(&self) -> bool {
        match &self.how {
            How::Exec(_) => false,
            How::Forked { server, .. } => server.has_died(),
        }
    }

    /// SIGKILL, then reap.
    pub(crate) fn kill_and_reap(&mut self) -> ChildExit {
        self.signal(Signal::KILL);
        self.wait()
    }
}

/// Waits for every child in `children` to end and reaps them all, as [`Child::wait`] does each
/// (a child reaped already is left as it is). The fork server's workers are reaped with one
/// request per worker written at once, so a pool being dropped waits for one answer from the
/// server, not one per worker in turn.
pub(crate) fn wait_all(children: &mut [Child]) {
    let mut mine = Vec::new();
    let mut forked = Vec::new();
    for (at, child) in children.iter_mut().enumerate() {
        if child.reaped.is_some() {
            continue;
        }
        let How::Forked { pidfd, reap, .. } = &child.how else {
            child.wait();
            continue;
        };
        match reap.claim() {
            Claim::Mine => {
                forkserver::readable(&**pidfd, None);
                if let Some(before_reap) = child.before_reap.take() {
                    before_reap();
                }
                children::ending(child.pid);
                mine.extend(child.reaper());
            }
            Claim::Theirs => {}
            Claim::Done(exit) => {
                child.reaped = Some(exit);
                children::reaped(child.pid);
                continue;
            }
        }
        forked.push(at);
    }
    reap_claimed(&mine);
    // Reaped now, by this call or by whoever had claimed them (waited for).
    for at in forked {
        if let How::Forked { reap, .. } = &children[at].how {
            children[at].reaped = Some(reap.wait());
        }
    }
}

/// Kills the forked workers of `reapers` and reaps them, at once: one write of REAPs to each
/// fork server, which kills each worker (if it has not ended) and reaps it, and one wait for
/// the answers (so a terminated pool's caller waits for the server once, not for its threads).
/// A worker somebody else is reaping already is waited for.
pub(crate) fn kill_and_reap_now(reapers: &[Reaper]) {
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for reaper in reapers {
        match reaper.reap.claim() {
            Claim::Mine => {
                children::ending(reaper.pid);
                mine.push(reaper.clone());
            }
            Claim::Theirs => theirs.push(reaper),
            Claim::Done(_) => {}
        }
    }
    reap_claimed(&mine);
    for reaper in theirs {
        reaper.reap.wait();
    }
}

/// Reaps the forked workers of `mine`, whose reaping the caller has claimed: one request per
/// fork server for all of its workers (written at once, answered at once), each worker's cell
/// finished with how it ended and the worker taken off the children's table.
fn reap_claimed(mine: &[Reaper]) {
    let mut left: Vec<&Reaper> = mine.iter().collect();
    while let Some(first) = left.first() {
        let server = Arc::clone(&first.server);
        let (same, rest): (Vec<&Reaper>, Vec<&Reaper>) = left
            .iter()
            .partition(|reaper| Arc::ptr_eq(&reaper.server, &server));
        let pids: Vec<u32> = same.iter().map(|reaper| reaper.pid).collect();
        for (reaper, exit) in same.iter().zip(server.reap(&pids)) {
            reaper.reap.finish(exit);
            children::reaped(reaper.pid);
        }
        left = rest;
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
/// are named `SpawnPoolWorker-N`. Pool workers are forked by the fork server (started on
/// first use), unless it cannot fork or `POTOK_FORK_SERVER=0`; then, like every `Process`,
/// they are started by exec.
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
    if kind == ChildKind::Worker && fork_server_wanted() {
        let want = who.len();
        match who
            .iter()
            .map(|_| fork_worker(want))
            .collect::<Option<Vec<_>>>()
        {
            Some(forked) => return forked,
            // The server cannot fork here: exec from now on.
            None => FORK_UNAVAILABLE.store(true, Ordering::Relaxed),
        }
    }
    exec_with(kind, who)
}

/// Starts one child per identity by exec, side by side on the spawner threads.
fn exec_with(kind: ChildKind, who: Vec<Option<Identity>>) -> Vec<Result<Child, StartError>> {
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

/// Set once the fork server said it cannot fork: workers are started by exec from then on.
static FORK_UNAVAILABLE: AtomicBool = AtomicBool::new(false);

/// Whether pool workers come from the fork server: unless it proved unable to fork, or the
/// program runs with `POTOK_FORK_SERVER=0` (read once).
fn fork_server_wanted() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    let off = *OFF.get_or_init(|| std::env::var_os("POTOK_FORK_SERVER").is_some_and(|v| v == "0"));
    !off && !FORK_UNAVAILABLE.load(Ordering::Relaxed)
}

/// The fork server in service, if one was started and has not died.
static FORK_SERVER: Mutex<Option<Arc<ForkServer>>> = Mutex::new(None);

/// The fork server's pid, if one is running (for potok's tests).
pub(crate) fn fork_server_pid() -> Option<u32> {
    let current = FORK_SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    current.as_ref().filter(|s| !s.is_dead()).map(|s| s.pid)
}

/// The pids of the workers the fork server forked ahead of need and no pool has taken yet
/// (for potok's tests).
pub(crate) fn fork_server_stock() -> Vec<u32> {
    let current = FORK_SERVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    current.filter(|s| !s.is_dead()).map_or_else(Vec::new, |s| {
        let mut conn = s
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match conn.0.stock_pids() {
            Ok(pids) => pids,
            Err(err) => {
                s.died(&mut conn, &err);
                Vec::new()
            }
        }
    })
}

/// A worker forked by the fork server (from its stock, see `stock.rs`), told who it is:
/// `Some(Ok)`; `Some(Err)` if no server could be started (that error is the pool's); `None` if
/// the server cannot fork (start by exec instead). `want`: how many workers the caller starts
/// at once (the stock is kept at that many).
///
/// A server found dead is replaced once per call: its workers died with it (their pool's
/// threads replace them through here), and so the next one is asked of a new server.
fn fork_worker(want: usize) -> Option<Result<Child, StartError>> {
    let who = Identity::pool_worker();
    let me = identity::env_for(&who.name, &who.number, who.daemon);
    let trace = crate::trace::child_env();
    let mut env: Vec<(&OsStr, &OsStr)> = vec![(OsStr::new(identity::ENV), OsStr::new(&me))];
    if let Some((name, value)) = &trace {
        env.push((OsStr::new(name), value.as_os_str()));
    }
    let mut last = None;
    for _attempt in 0..2 {
        let server = match ForkServer::current() {
            Ok(server) => server,
            Err(err) => return Some(Err(err)),
        };
        match server.fork(want) {
            Ok(child) => {
                // Who it is, ahead of its first job, in the same write (a worker that died
                // meanwhile is found dead by its pool, as any worker is).
                match forkserver::identity_frame(&env) {
                    Ok(frame) => child.sock.hold_ahead(frame),
                    Err(err) => return Some(Err(StartError::Spawn(err))),
                }
                let info = ProcessInfo::new(who.name, child.pid, who.daemon);
                children::register(child.pid, ChildKind::Worker, info);
                return Some(Ok(child));
            }
            Err(RequestError::Refused(why)) => {
                eprintln!("potok: the fork server cannot fork ({why}); starting workers by exec");
                return None;
            }
            Err(err) => last = Some(err),
        }
    }
    Some(Err(StartError::Spawn(io::Error::other(format!(
        "the fork server died twice in a row ({})",
        last.expect("two failed attempts")
    )))))
}

/// The parent's side of the fork server: the server process and the connection to it.
///
/// One caller at a time uses the connection (the lock); FORK requests for the stock are
/// written without waiting for their answers (see `stock.rs`); a reap is asked only once the
/// worker has ended (its pidfd said so) or to kill it (the server sends SIGKILL first), so the
/// server never waits long.
pub(crate) struct ForkServer {
    pid: u32,
    /// The connection (with the stock), and the server's handle (this process's own child,
    /// reaped here).
    conn: Mutex<(Link, Option<Child>)>,
    dead: AtomicBool,
}

impl ForkServer {
    /// The server in service, started (on a spawner thread, so that it dies with this
    /// process) if there is none or it died.
    fn current() -> Result<Arc<ForkServer>, StartError> {
        let mut current = FORK_SERVER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(server) = current.as_ref().filter(|s| !s.is_dead()) {
            return Ok(Arc::clone(server));
        }
        let mut child = exec_with(ChildKind::Server, vec![None])
            .pop()
            .expect("one child asked for")?;
        child.handshake(HANDSHAKE_TIMEOUT)?;
        let control = child.sock.stream().try_clone().map_err(StartError::Spawn)?;
        let server = Arc::new(ForkServer {
            pid: child.pid,
            conn: Mutex::new((Link::new(control), Some(child))),
            dead: AtomicBool::new(false),
        });
        *current = Some(Arc::clone(&server));
        Ok(server)
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Known dead, or ended without anybody noticing yet (it is our child, unreaped until
    /// [`died`](Self::died) reaps it: then `dead` is set first).
    fn has_died(&self) -> bool {
        self.is_dead() || peek_exit(self.pid, false) || self.is_dead()
    }

    /// The connection broke: the server is killed (if it was not dead yet) and reaped, and the
    /// next request starts a new one.
    fn died(&self, conn: &mut (Link, Option<Child>), why: &RequestError) {
        self.dead.store(true, Ordering::Release);
        if let Some(mut child) = conn.1.take() {
            let exit = child.kill_and_reap();
            // Its workers die with it, and their pools report them; this says why.
            eprintln!(
                "potok: the fork server (process {}) is gone ({why}; it ended with {exit}); \
                 a new one forks the next workers",
                self.pid
            );
        }
    }

    /// A forked worker, from the stock (see [`Link::take`]); `want` workers are being started
    /// at once.
    fn fork(self: &Arc<Self>, want: usize) -> Result<Child, RequestError> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.is_dead() {
            return Err(RequestError::Gone);
        }
        if self.has_died() {
            // Its stock died with it: a new server forks the next worker.
            self.died(&mut conn, &RequestError::Gone);
            return Err(RequestError::Gone);
        }
        let worker = match conn.0.take(want) {
            Ok(worker) => worker,
            Err(err @ RequestError::Refused(_)) => return Err(err),
            Err(err) => {
                self.died(&mut conn, &err);
                return Err(err);
            }
        };
        drop(conn);
        Ok(Child {
            pid: worker.pid,
            sock: Arc::new(ChildSock::new(worker.sock)),
            progress: worker.progress,
            how: How::Forked {
                pidfd: Arc::new(worker.pidfd),
                server: Arc::clone(self),
                reap: Arc::new(ReapCell::new()),
            },
            reaped: None,
            before_reap: None,
        })
    }

    /// Reaps workers that have ended (all asked at once), and says how each ended. If the
    /// server died, its workers died with it, killed by the signal they asked for
    /// (`PR_SET_PDEATHSIG`, SIGKILL), and were reaped by the system: that is what is reported.
    fn reap(&self, pids: &[u32]) -> Vec<ChildExit> {
        let killed_with_server = vec![ChildExit::Signal(Signal::KILL.as_raw()); pids.len()];
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.is_dead() {
            return killed_with_server;
        }
        match conn.0.reap(pids) {
            Ok(exits) => exits,
            Err(err) => {
                self.died(&mut conn, &err);
                killed_with_server
            }
        }
    }
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
    // The fork server is no process of the program's: it has no name, and
    // `active_children()` does not list it (its workers are listed).
    let who = (kind != ChildKind::Server).then(|| who.unwrap_or_else(Identity::pool_worker));
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
        .envs(who.as_ref().map(|who| {
            (
                identity::ENV,
                identity::env_for(&who.name, &who.number, who.daemon),
            )
        }))
        // The fork server's workers get the recording's variable with each request instead
        // (a recording may begin or end while the server lives).
        .envs(crate::trace::child_env().filter(|_| kind != ChildKind::Server))
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
    if let Some(who) = who {
        children::register(
            proc.id(),
            kind,
            ProcessInfo::new(who.name, proc.id(), who.daemon),
        );
    }
    Ok(Child {
        pid: proc.id(),
        sock: Arc::new(ChildSock::new(parent_end)),
        progress,
        how: How::Exec(proc),
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
