//! [`Process`]: Python's `multiprocessing.Process`, from a function or from a type (the way a
//! `Process` subclass overrides `run()`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use serde::de::DeserializeOwned;

use super::data::{encode_into, Data};
use super::error::{ChildExit, JoinTimeoutError, ProcessError, StartError};
use super::fdpass;
use super::identity;
use super::keep::{self, Kept};
use super::spawn::{self, Child, Identity};
use super::task::{ItemError, Task, TaskId};
use super::timeout::deadline;
use super::wire::{self, tag, Fields, WireError};

/// A process written as a type, the way Python subclasses `Process` and overrides `run()`.
///
/// The value is the process's parameters; it is serialized, sent to the child, and
/// [`run`](Run::run) consumes it there. Start it with [`Process::from_run`].
///
/// # Examples
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Counter {
///     up_to: u64,
/// }
///
/// impl potok::process::Run for Counter {
///     type Output = u64;
///
///     fn run(self) -> u64 {
///         (1..=self.up_to).sum()
///     }
/// }
///
/// fn main() {
///     potok::main(|| {
///         let mut p = potok::process::Process::from_run(Counter { up_to: 100 });
///         p.start().unwrap();
///         assert_eq!(p.join().unwrap(), 5050);
///     });
/// }
/// ```
pub trait Run: Data {
    /// What the process gives back to [`Process::join`].
    type Output: Data;

    /// The process's body, run in the child (Python's `run()`).
    fn run(self) -> Self::Output;
}

fn run_it<P: Run>(p: P) -> P::Output {
    p.run()
}

/// Sends the task; what it returns keeps the argument's shared segments alive while the child
/// runs (see `keep.rs`).
type Sender = Box<dyn FnOnce(&mut Child) -> Result<Kept, String> + Send>;

/// What the watcher thread learned.
struct Ended<R> {
    exit: ChildExit,
    result: Result<R, ProcessError>,
}

struct Watch<R> {
    /// Set (under the lock) before the child is reaped, so no signal reaches a reused pid.
    exited: bool,
    ended: Option<Ended<R>>,
    taken: bool,
}

struct Shared<R> {
    watch: Mutex<Watch<R>>,
    changed: Condvar,
}

/// A child process running one function: Python's `multiprocessing.Process`.
///
/// Create it with [`new`](Self::new) (a function and its argument) or
/// [`from_run`](Self::from_run) (a [`Run`] type), then [`start`](Self::start) it. A thread of
/// the parent reads the result and reaps the child as soon as it ends, so a finished child is
/// never left as a zombie, joined or not. The child dies with the parent.
///
/// A [`Connection`](super::Connection) inside the argument is handed to the child (its socket
/// travels with the argument).
///
/// # Examples
///
/// ```no_run
/// // no_run: starts a child process (see `potok::process::init`).
/// use potok::process::Process;
///
/// fn shout(word: String) -> String {
///     word.to_uppercase()
/// }
///
/// fn main() {
///     potok::main(|| {
///         let mut p = Process::new(shout, "hello".to_string()).with_name("shouter");
///         p.start().unwrap();
///         assert!(p.pid().is_some());
///         assert_eq!(p.join().unwrap(), "HELLO");
///         assert_eq!(p.exitcode(), Some(0));
///     });
/// }
/// ```
pub struct Process<R> {
    name: String,
    /// The number path of its name (`3` in `Process-3`), kept even when it is renamed: its own
    /// children are numbered after it (`Process-3:1`).
    number: String,
    daemon: bool,
    sender: Option<Sender>,
    pid: Option<u32>,
    shared: Arc<Shared<R>>,
}

impl<R> std::fmt::Debug for Process<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Process")
            .field("name", &self.name)
            .field("daemon", &self.daemon)
            .field("pid", &self.pid)
            .field(
                "exitcode",
                &self
                    .shared
                    .watch
                    .lock()
                    .ended
                    .as_ref()
                    .map(|e| e.exit.exitcode()),
            )
            .finish()
    }
}

/// The names of the processes this process started, by pid: a process lock whose holder died
/// names it (see `shared/word.rs`). Kept after the child ends (that is when it is needed); a
/// program starts few enough processes for this to stay small.
static NAMES: parking_lot::Mutex<std::collections::BTreeMap<u32, String>> =
    parking_lot::Mutex::new(std::collections::BTreeMap::new());

/// The name of the process `pid`, if this process started it.
pub(crate) fn name_of(pid: u32) -> Option<String> {
    NAMES.lock().get(&pid).cloned()
}

impl<R: Data> Process<R> {
    /// A process that will run `f(arg)` (Python's `Process(target=f, args=(arg,))`). Nothing
    /// starts until [`start`](Self::start).
    pub fn new<T: Data>(f: fn(T) -> R, arg: T) -> Process<R> {
        Process::with_task(f, arg)
    }

    /// A process that will run `p.run()`: the class way.
    pub fn from_run<P: Run<Output = R>>(p: P) -> Process<R> {
        let f: fn(P) -> R = run_it::<P>;
        Process::with_task(f, p)
    }

    fn with_task<F: Task<Output = R>>(f: F, arg: F::Args) -> Process<R> {
        let sender: Sender = Box::new(move |child: &mut Child| {
            let task = TaskId::of(f);
            let mut frame = task.job_frame(1, 1, 64);
            let ((encoded, fds), kept) =
                keep::keeping(|| fdpass::collecting(|| encode_into(&arg, frame.vec())));
            encoded.map_err(|err| {
                format!(
                    "the argument could not be encoded as {}: {err}",
                    std::any::type_name::<F::Args>()
                )
            })?;
            let frame = frame.finish().map_err(|e| e.to_string())?;
            child
                .sock
                .send_with_fds(&frame, &fds)
                .map_err(|e| e.to_string())?;
            // Our copies of handed-over descriptors close with `arg`, as the parent's copies
            // would in Python once the `Process` object is gone. Its shared memory segments
            // stay open in `kept` until the child ends, so the child always finds them.
            drop(arg);
            Ok(kept)
        });
        let number = identity::next_number();
        Process {
            name: format!("Process-{number}"),
            number,
            daemon: false,
            sender: Some(sender),
            pid: None,
            shared: Arc::new(Shared {
                watch: Mutex::new(Watch {
                    exited: false,
                    ended: None,
                    taken: false,
                }),
                changed: Condvar::new(),
            }),
        }
    }

    /// Names the process (Python's `Process(name=...)`); the default is `Process-N`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The process's name (Python's `name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes it a daemon process, or not (Python's `daemon`, set before `start()`; the default
    /// is `false`). At the end of [`potok::main`](crate::main), and when a `Process` child's
    /// function returns, a daemon child still running is terminated (SIGTERM, then SIGKILL
    /// after two seconds) and reaped; a non-daemon child is waited for. A daemon process may not start children of its own (its `start()` and
    /// `Pool::new` fail with [`StartError::Daemonic`]), as in Python.
    ///
    /// Without `potok::main` (a program that calls [`init`](super::init) itself) nothing waits
    /// at exit: every child, daemon or not, is killed when this process ends.
    ///
    /// # Panics
    ///
    /// If the process was already started (Python: "process has already started").
    ///
    /// # Examples
    ///
    /// ```no_run
    /// // no_run: starts a child process (see `potok::process::init`).
    /// use potok::process::Process;
    ///
    /// fn forever(_: ()) {
    ///     loop {
    ///         std::thread::sleep(std::time::Duration::from_secs(1));
    ///     }
    /// }
    ///
    /// fn main() {
    ///     potok::main(|| {
    ///         let mut p = Process::new(forever, ()).daemon(true);
    ///         assert!(p.is_daemon());
    ///         p.start().unwrap();
    ///         // no join: potok::main terminates a daemon child at exit
    ///     });
    /// }
    /// ```
    pub fn daemon(mut self, daemon: bool) -> Self {
        assert!(self.sender.is_some(), "process has already started");
        self.daemon = daemon;
        self
    }

    /// Whether it is a daemon process (Python's `daemon`); see [`daemon`](Self::daemon).
    pub fn is_daemon(&self) -> bool {
        self.daemon
    }

    /// Starts the child process and hands it the function and argument (Python's `start()`).
    ///
    /// # Errors
    ///
    /// [`StartError`] if the child cannot be started or never reports for work (its `main`
    /// lacks [`potok::main`](crate::main) / [`init`](super::init)), or the argument does not
    /// serialize ([`StartError::Handshake`] with the reason; the child is stopped);
    /// [`StartError::Daemonic`] in a daemon process.
    ///
    /// # Panics
    ///
    /// If the process was already started (Python: "cannot start a process twice").
    pub fn start(&mut self) -> Result<(), StartError> {
        let sender = self.sender.take().expect("cannot start a process twice");
        let mut child = spawn::start_process(Identity {
            name: self.name.clone(),
            number: self.number.clone(),
            daemon: self.daemon,
        })?;
        let kept = match sender(&mut child) {
            Ok(kept) => kept,
            Err(why) => {
                child.kill_and_reap();
                return Err(StartError::Handshake(why));
            }
        };
        self.pid = Some(child.pid);
        NAMES.lock().insert(child.pid, self.name.clone());
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new()
            .name(format!("potok-watch-{}", child.pid))
            .spawn(move || watch(child, &shared, kept))
            .map_err(StartError::Spawn)?;
        Ok(())
    }

    /// The child's pid, once started (Python's `pid`).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Whether the child is running (Python's `is_alive()`).
    pub fn is_alive(&self) -> bool {
        self.pid.is_some() && !self.shared.watch.lock().exited
    }

    /// How the child ended (Python's `exitcode`): `None` while it runs or before `start`; the
    /// exit code (0 after success, 1 after a panic); minus the signal number if a signal killed
    /// it.
    pub fn exitcode(&self) -> Option<i32> {
        self.shared
            .watch
            .lock()
            .ended
            .as_ref()
            .map(|e| e.exit.exitcode())
    }

    /// Sends SIGTERM (Python's `terminate()`). Does nothing once the child has ended.
    pub fn terminate(&self) {
        self.signal(rustix::process::Signal::TERM);
    }

    /// Sends SIGKILL (Python's `kill()`). Does nothing once the child has ended.
    pub fn kill(&self) {
        self.signal(rustix::process::Signal::KILL);
    }

    fn signal(&self, sig: rustix::process::Signal) {
        if let Some(pid) = self.pid {
            let watch = self.shared.watch.lock();
            if !watch.exited {
                spawn::signal_pid(pid, sig);
            }
        }
    }

    /// Waits for the child to end and returns what the function returned (Python's `join()`,
    /// which returns nothing; here the result comes back too).
    ///
    /// # Errors
    ///
    /// [`ProcessError`]: the function panicked, the child exited or was killed without a
    /// result, the result could not be read, the process was never started, or an earlier join
    /// took the result.
    pub fn join(&mut self) -> Result<R, ProcessError> {
        self.join_until(None).map_err(|err| match err {
            JoinTimeoutError::Failed(err) => err,
            JoinTimeoutError::Timeout => unreachable!("no deadline"),
        })
    }

    /// [`join`](Self::join), waiting at most `timeout` (Python's `join(timeout)`).
    ///
    /// # Errors
    ///
    /// [`JoinTimeoutError::Timeout`] if the child still runs (join again later), or
    /// [`JoinTimeoutError::Failed`] as for [`join`](Self::join).
    pub fn join_timeout(&mut self, timeout: Duration) -> Result<R, JoinTimeoutError> {
        self.join_until(deadline(timeout))
    }

    fn join_until(&mut self, deadline: Option<Instant>) -> Result<R, JoinTimeoutError> {
        if self.pid.is_none() {
            return Err(JoinTimeoutError::Failed(ProcessError::NotStarted));
        }
        let mut watch = self.shared.watch.lock();
        loop {
            if watch.taken {
                return Err(JoinTimeoutError::Failed(ProcessError::AlreadyJoined));
            }
            if watch.ended.is_some() {
                break;
            }
            match deadline {
                Some(d) => {
                    if self.shared.changed.wait_until(&mut watch, d).timed_out()
                        && watch.ended.is_none()
                    {
                        return Err(JoinTimeoutError::Timeout);
                    }
                }
                None => self.shared.changed.wait(&mut watch),
            }
        }
        watch.taken = true;
        let ended = watch.ended.take().expect("checked above");
        // Keep the exit for exitcode().
        watch.ended = Some(Ended {
            exit: ended.exit,
            result: Err(ProcessError::AlreadyJoined),
        });
        ended.result.map_err(JoinTimeoutError::Failed)
    }
}

/// The watcher thread: reads the child's answer, waits for it to end, reaps it.
fn watch<R: DeserializeOwned>(mut child: Child, shared: &Shared<R>, kept: Kept) {
    let mut buf = Vec::new();
    let answer = wire::read_frame(&mut child.sock.stream(), &mut buf);
    // Wait for it to end without reaping it yet.
    super::spawn::peek_exit(child.pid, true);
    shared.watch.lock().exited = true;
    let exit = child.wait();
    // The child is gone: the segments its argument named may go too (before `join` returns).
    drop(kept);
    let result = match answer {
        // A panicking Deserialize must not end this thread before the result is stored.
        Ok(true) => {
            std::panic::catch_unwind(|| decode_answer::<R>(&buf)).unwrap_or_else(|payload| {
                Err(ProcessError::Lost(format!(
                    "decoding the result panicked: {}",
                    super::unwind::panic_text(&*payload)
                )))
            })
        }
        Ok(false) | Err(WireError::Truncated) | Err(WireError::Io(_)) => Err(match exit {
            ChildExit::Signal(sig) => ProcessError::Killed(sig),
            ChildExit::Code(code) => ProcessError::Exited(code),
        }),
        Err(err) => Err(ProcessError::Lost(format!("{err} ({exit})"))),
    };
    let mut watch = shared.watch.lock();
    watch.ended = Some(Ended { exit, result });
    drop(watch);
    shared.changed.notify_all();
}

fn decode_answer<R: DeserializeOwned>(buf: &[u8]) -> Result<R, ProcessError> {
    let mut fields = Fields::new(buf);
    fields
        .u64()
        .map_err(|e| ProcessError::Lost(e.to_string()))?;
    let rest = fields.rest();
    match buf[0] {
        tag::DONE => {
            let (_, rest) =
                wire::take_varint(rest).map_err(|e| ProcessError::Lost(e.to_string()))?;
            match postcard::from_bytes::<Result<R, ItemError>>(rest) {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(ItemError::Panicked(msg))) => Err(ProcessError::Panicked(msg)),
                Ok(Err(ItemError::Decode(msg) | ItemError::Encode(msg))) => {
                    Err(ProcessError::Lost(msg))
                }
                Err(err) => Err(ProcessError::Lost(format!(
                    "the result could not be decoded as {}: {err}",
                    std::any::type_name::<R>()
                ))),
            }
        }
        tag::REFUSED => Err(ProcessError::Lost(
            String::from_utf8_lossy(rest).into_owned(),
        )),
        other => Err(ProcessError::Lost(format!(
            "unexpected message tag {other}"
        ))),
    }
}
