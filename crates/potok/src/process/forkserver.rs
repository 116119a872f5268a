//! The fork server: one child, started again from the executable like any other, that stays
//! single-threaded and forks pool workers on request (CPython's `forkserver` start method).
//!
//! Starting a worker by `exec` costs the executable's loading and start-up each time (about a
//! millisecond here); forking a small process that has already done all that costs a tenth of
//! it. The pool's process cannot fork its own workers (it has threads, and a fork copies
//! whatever another thread held locked at that instant), so the forks come from a process that
//! never has more than its one thread.
//!
//! # Its life
//!
//! ```text
//!  exec (POTOK_CHILD=server:…) ──▶ init(): HELLO to the parent, then serve():
//!      ┌─▶ read a request from the parent ── EOF: the parent is gone ──▶ exit 0
//!      │      FORK ──▶ socket pair + progress page, fork() ─┬─ parent side: FORKED(pid)
//!      │                                                    │  with the parent's end of
//!      │                                                    │  the socket and the page
//!      │                                                    └─ child side: serve()
//!      │                                                       returns: a worker, which
//!      │                                                       waits for its IDENTITY
//!      │                                                       (it says no HELLO)
//!      │      REAP(pid) ──▶ SIGKILL, waitpid(pid) ──▶ REAPED(pid, how it ended)
//!      └──────┘   (requests that have arrived together: the REAPs first, then the FORKs)
//! ```
//!
//! A forked worker knows nothing of the pool it will serve until it is handed to one: the
//! pool's process then writes IDENTITY (its name, number and the recording's variable) on the
//! worker's own socket, ahead of its first job, and the worker adopts it before it reads any
//! job. So a worker can be forked before any pool asks for it: the pool's process keeps a few
//! forked ahead of need (see `stock.rs`), and a new pool takes them without waiting for a
//! fork. A worker that reads EOF instead of its IDENTITY (the program dropped it) exits
//! quietly.
//!
//! A forked worker asks for SIGKILL when the server dies, and the server when the program
//! dies, so no worker outlives the program. The server never reaps a worker by itself: only
//! when the parent asks (after seeing the worker end through its pidfd, or to have it killed
//! and reaped at once, as a terminated pool does), so a worker's pid stays reserved, and safe
//! to signal, for as long as the parent holds it. Which side of this
//! the parent holds is `spawn.rs`.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use rustix::process::{Pid, WaitOptions};

use super::error::ChildExit;
use super::fdpass;
use super::wire::{self, tag, Fields, FrameBuf, WireError};

/// What a forked worker starts with (the child side of a FORK).
pub(crate) struct Forked {
    /// Its end of the socket to the pool's process.
    pub(crate) sock: UnixStream,
    /// Its progress page's memfd (the pool's process maps the same page).
    pub(crate) progress: OwnedFd,
    /// The server's pid: the worker's parent, whose death it must not outlive.
    pub(crate) server: i32,
    /// The pid of the program's process (the pool's), the worker's parent as the program sees it.
    pub(crate) program: u32,
}

/// What the pool's process gets back for a FORK.
pub(crate) struct Spawned {
    pub(crate) pid: u32,
    /// The parent's end of the socket to the new worker.
    pub(crate) sock: UnixStream,
    /// The new worker's progress page's memfd.
    pub(crate) progress: OwnedFd,
}

/// How many threads this process has (from `/proc/self/task`).
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count)
}

/// The server's loop, run by the child `init()` dispatched as the fork server after its HELLO.
/// Returns only in a forked worker (with what it needs to serve its parent); in the server it
/// ends the process when the parent closes the connection (or breaks it).
pub(crate) fn serve(control: UnixStream, program: u32) -> Forked {
    // A fork copies only the calling thread: with another thread running, a lock it held would
    // stay locked forever in the worker. The server refuses to fork then (the parent starts
    // its workers by exec instead). Nothing in the loop below starts a thread.
    let threads = thread_count();
    let server = rustix::process::getpid().as_raw_nonzero().get();
    // Requests read and not handled yet: a REAP goes before the FORKs waiting here (its pool
    // waits for it; the stock's FORKs nobody waits for), so it never waits behind forks.
    let mut requests: VecDeque<Vec<u8>> = VecDeque::new();
    let read_one = |requests: &mut VecDeque<Vec<u8>>| {
        let mut buf = Vec::new();
        match wire::read_frame(&mut &control, &mut buf) {
            Ok(true) => requests.push_back(buf),
            Ok(false) => std::process::exit(0),
            Err(err) => {
                eprintln!("potok fork server {server}: reading from the parent: {err}");
                std::process::exit(super::env::EXIT_PROTOCOL);
            }
        }
    };
    loop {
        if requests.is_empty() {
            read_one(&mut requests);
        }
        while readable(&control, Some(Duration::ZERO)) {
            read_one(&mut requests);
        }
        let next = requests
            .iter()
            .position(|r| r.first() == Some(&tag::server::REAP))
            .unwrap_or(0);
        let buf = requests.remove(next).expect("a request was read");
        let reply = match buf.first() {
            Some(&tag::server::FORK) if threads != 1 => refusal(&format!(
                "the fork server has {threads} threads, and a fork would copy only one"
            )),
            Some(&tag::server::FORK) => match fork_worker(&control, server, program) {
                Ok(Some(forked)) => return forked,
                // Answered already (with the descriptors).
                Ok(None) => continue,
                Err(err) => refusal(&format!("could not fork a worker: {err}")),
            },
            Some(&tag::server::REAP) => reap(&buf),
            other => {
                eprintln!("potok fork server {server}: unexpected message tag {other:?}");
                std::process::exit(super::env::EXIT_PROTOCOL);
            }
        };
        if wire::send_all(&control, &reply).is_err() {
            std::process::exit(0);
        }
    }
}

/// A FORK_FAILED frame.
fn refusal(why: &str) -> Vec<u8> {
    let mut frame = FrameBuf::new(tag::server::FORK_FAILED);
    frame.bytes(why.as_bytes());
    frame.finish().expect("a short message fits a frame")
}

/// Forks a worker for a FORK request. In the worker: `Some` (its start-up kit); in the
/// server: `None` once FORKED has been sent.
fn fork_worker(control: &UnixStream, server: i32, program: u32) -> io::Result<Option<Forked>> {
    let (parent_end, child_end) = UnixStream::pair()?;
    let progress = super::progress::create_memfd()?;
    // SAFETY: fork() in a process that has exactly one thread (`serve` checked, and nothing in
    // this process starts one), so the child is a complete copy: no lock or allocator state is
    // held by a thread that does not exist in it. The child goes on running this program's own
    // code (the worker loop), never returns into code that expects the parent's other
    // descriptors, and closes the server's connection first thing. rustix offers no fork, as
    // a call the compiler cannot check; this is the one place potok makes it.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // The worker. The server's connection is not ours: `serve` drops it as it returns (were
        // it kept, the parent would not see the server die while this worker lives).
        drop(parent_end);
        return Ok(Some(Forked {
            sock: child_end,
            progress,
            server,
            program,
        }));
    }
    drop(child_end);
    let mut frame = FrameBuf::new(tag::server::FORKED);
    frame.u64(pid as u64);
    let frame = frame.finish().expect("a short message fits a frame");
    let fds = [parent_end.as_fd().as_raw_fd(), progress.as_raw_fd()];
    if fdpass::send_frame(control, &frame, &fds).is_err() {
        // The parent is gone; so will we be (the worker dies with us).
        std::process::exit(0);
    }
    Ok(None)
}

/// Answers a REAP request: kills the worker (nothing happens to one that has ended: the
/// parent asks once it has, or once it wants the worker gone, as a terminated pool does),
/// waits for it and says how it ended. The pid is this server's child and not reaped yet, so
/// it names that worker still.
fn reap(request: &[u8]) -> Vec<u8> {
    let mut frame = FrameBuf::new(tag::server::REAPED);
    let asked = Fields::new(request).u64().unwrap_or(0);
    frame.u64(asked);
    let pid = i32::try_from(asked).ok().and_then(Pid::from_raw);
    if let Some(pid) = pid {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
    let status = pid.and_then(|pid| loop {
        match rustix::process::waitpid(Some(pid), WaitOptions::empty()) {
            Ok(found) => break found.map(|(_, status)| status),
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => break None,
        }
    });
    let (kind, value) = match status {
        Some(status) => match (status.exit_status(), status.terminating_signal()) {
            (Some(code), _) => (0, code),
            (None, Some(sig)) => (1, sig),
            (None, None) => (0, -1),
        },
        // Not our child (any more): nothing can be known.
        None => (0, -1),
    };
    frame.u64(kind).u64(value as i64 as u64);
    frame.finish().expect("a short message fits a frame")
}

/// `name, value` pairs, each a length-prefixed byte string.
fn encode_env(env: &[(&OsStr, &OsStr)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in env {
        for s in [name, value] {
            wire::push_varint(&mut out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}

fn decode_env(mut bytes: &[u8]) -> Option<Vec<(OsString, OsString)>> {
    let take = |bytes: &mut &[u8]| -> Option<OsString> {
        let (len, rest) = wire::take_varint(bytes).ok()?;
        let len = usize::try_from(len).ok()?;
        let s = OsStr::from_bytes(rest.get(..len)?).to_owned();
        *bytes = &rest[len..];
        Some(s)
    };
    let mut env = Vec::new();
    while !bytes.is_empty() {
        let name = take(&mut bytes)?;
        let value = take(&mut bytes)?;
        env.push((name, value));
    }
    Some(env)
}

/// An IDENTITY frame with `env`, for a forked worker's own socket: the worker sets these
/// variables (its name and number, the recording's) before it reads its first job. Its pool
/// writes it with that first job (see `child_sock.rs`).
pub(crate) fn identity_frame(env: &[(&OsStr, &OsStr)]) -> io::Result<Vec<u8>> {
    let mut frame = FrameBuf::new(tag::server::IDENTITY);
    frame.bytes(&encode_env(env));
    frame.finish().map_err(|e| io::Error::other(e.to_string()))
}

/// The forked worker's side of [`identity_frame`]: the variables to set, or `None` if its
/// socket closed or broke first (nobody will use this worker: it exits).
pub(crate) fn receive_identity(
    sock: &mut UnixStream,
) -> Result<Option<Vec<(OsString, OsString)>>, String> {
    let mut buf = Vec::new();
    match wire::read_frame(sock, &mut buf) {
        Ok(true) => {}
        Ok(false) | Err(WireError::Truncated) | Err(WireError::Io(_)) => return Ok(None),
        Err(err) => return Err(format!("reading its identity: {err}")),
    }
    if buf.first() != Some(&tag::server::IDENTITY) {
        return Err(format!(
            "its first message was not IDENTITY (tag {:?})",
            buf.first()
        ));
    }
    decode_env(Fields::new(&buf).rest())
        .map(Some)
        .ok_or_else(|| "a garbled IDENTITY".to_string())
}

/// Writes a FORK request; the answer ([`Answer::Forked`] or [`Answer::Refused`]) comes later,
/// in the order of the FORKs (see [`read_answer`]). `Err(Gone)`: the connection broke.
pub(crate) fn send_fork(control: &UnixStream) -> Result<(), RequestError> {
    let frame = FrameBuf::new(tag::server::FORK)
        .finish()
        .map_err(|e| RequestError::Garbled(e.to_string()))?;
    wire::send_all(control, &frame).map_err(|_| RequestError::Gone)
}

/// Writes a REAP request for each of the workers `pids`, which have ended, in one write (so
/// that the server reads them together); the answers ([`Answer::Reaped`], each naming its
/// pid) come later, before those of FORKs not yet handled.
pub(crate) fn send_reaps(control: &UnixStream, pids: &[u32]) -> Result<(), RequestError> {
    let mut frames = Vec::new();
    for &pid in pids {
        let mut frame = FrameBuf::new(tag::server::REAP);
        frame.u64(u64::from(pid));
        let frame = frame
            .finish()
            .map_err(|e| RequestError::Garbled(e.to_string()))?;
        frames.extend_from_slice(&frame);
    }
    wire::send_all(control, &frames).map_err(|_| RequestError::Gone)
}

/// One answer of the server: to the oldest FORK not answered yet, or to a REAP.
pub(crate) enum Answer {
    /// FORKED: a new worker.
    Forked(Spawned),
    /// FORK_FAILED: the server cannot fork (it stays usable).
    Refused(String),
    /// REAPED: how the worker `pid` ended.
    Reaped { pid: u32, exit: ChildExit },
}

/// Reads the server's next answer (waiting for it). `Err(Gone)`: the connection broke, the
/// server is dead; `Err(Garbled)`: the answer made no sense.
pub(crate) fn read_answer(control: &mut UnixStream) -> Result<Answer, RequestError> {
    let mut buf = Vec::new();
    let received = fdpass::receive_frame(control, &mut buf);
    // The descriptors that came with the answer, taken before anything else can fail.
    let sock = fdpass::claim(0);
    let progress = fdpass::claim(1);
    fdpass::drop_received();
    match received {
        Ok(()) => {}
        Err(WireError::Corrupt(why)) => return Err(RequestError::Garbled(why)),
        Err(_) => return Err(RequestError::Gone),
    }
    let mut fields = Fields::new(&buf);
    let garbled = |e: WireError| RequestError::Garbled(e.to_string());
    match buf.first() {
        Some(&tag::server::FORKED) => {
            let pid = fields.u64().map_err(garbled)?;
            match (u32::try_from(pid), sock, progress) {
                (Ok(pid), Some(sock), Some(progress)) => Ok(Answer::Forked(Spawned {
                    pid,
                    sock: UnixStream::from(sock),
                    progress,
                })),
                _ => Err(RequestError::Garbled(
                    "FORKED without a pid and two descriptors".into(),
                )),
            }
        }
        Some(&tag::server::FORK_FAILED) => Ok(Answer::Refused(
            String::from_utf8_lossy(fields.rest()).into_owned(),
        )),
        Some(&tag::server::REAPED) => {
            let pid = fields.u64().map_err(garbled)?;
            let kind = fields.u64().map_err(garbled)?;
            let value = fields.u64().map_err(garbled)? as i64 as i32;
            Ok(Answer::Reaped {
                pid: pid as u32,
                exit: if kind == 1 {
                    ChildExit::Signal(value)
                } else {
                    ChildExit::Code(value)
                },
            })
        }
        other => Err(RequestError::Garbled(format!(
            "unexpected message tag {other:?}"
        ))),
    }
}

/// Why a request to the fork server failed.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// The server answered that it cannot do it.
    Refused(String),
    /// The connection broke: the server is dead.
    Gone,
    /// The server's answer made no sense.
    Garbled(String),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::Refused(why) => write!(f, "it refused: {why}"),
            RequestError::Gone => f.write_str("its connection broke"),
            RequestError::Garbled(why) => write!(f, "a garbled answer: {why}"),
        }
    }
}

/// Waits until `fd` is readable (a pidfd: its process has ended; a socket: something to read
/// or a hang-up), at most `timeout`; whether it is.
pub(crate) fn readable(fd: &impl AsFd, timeout: Option<Duration>) -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let timeout = timeout.map(|t| Timespec {
        tv_sec: t.as_secs() as i64,
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    loop {
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => return n > 0,
            Err(rustix::io::Errno::INTR) => continue,
            // Cannot be polled: take it as ready rather than hang.
            Err(_) => return true,
        }
    }
}
