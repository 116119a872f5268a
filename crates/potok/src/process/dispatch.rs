//! Child dispatch: [`init`] turns a process started by potok into a worker before the program
//! runs, and the worker loops that children run.
//!
//! # A worker's life (the child side)
//!
//! ```text
//!  exec ──▶ init(): POTOK_CHILD set? ── no ──▶ return: this is the program
//!               │ yes
//!               ▼
//!  parent-death signal; parent still there? ── no ──▶ exit
//!               ▼
//!  socket off stdin, /dev/null on stdin, progress page mapped, quiet panic hook
//!               ▼
//!  HELLO(pid, layout) ──▶ [worker]  read JOB ─▶ run items ─▶ DONE/REFUSED ─┐
//!                          ▲                                               │
//!                          └───────────────────────────────────────────────┘
//!                          EOF from the parent ─▶ exit 0
//!                     ──▶ [process] read JOB ─▶ run it ─▶ DONE ─▶ its children: daemon ones
//!                                   terminated, the others waited for ─▶ exit 0 (1 if it panicked)
//!                     ──▶ [server]  forkserver::serve(): forks on request; in each fork
//!                                   it returns, and the fork becomes a [worker] (its own
//!                                   parent-death signal, progress page, then the IDENTITY
//!                                   its pool sends with its first job; no HELLO)
//! ```
//!
//! A broken frame from the parent ends the child with exit code 70 and a line on stderr; the
//! parent sees the socket close and reports it.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

use super::env::{ChildKind, ENV, EXIT_PROTOCOL};
use super::forkserver::Forked;
use super::progress::Progress;
use super::task::{layout_fingerprint, TaskId};
use super::unwind::install_quiet_panic_hook;
use super::wire::{self, tag, Fields, FrameBuf};

static DISPATCHED: AtomicBool = AtomicBool::new(false);

/// Runs the worker instead of the program if this process is a potok child; returns at once
/// otherwise.
///
/// [`potok::main`](crate::main) calls it first, so a program that uses `potok::main` needs
/// nothing else. A program that does not must call it as the first line of `main`: a child is
/// this same executable started again, and everything `main` does before `init` runs in every
/// child too. A child that does not reach `init` is noticed: it may not start children of its
/// own (it exits with a message instead), and its parent reports
/// [`StartError::NotDispatched`](super::StartError::NotDispatched) within seconds.
///
/// With the `cluster` feature, a process started with `POTOK_WORKER=redis://…` is a worker of a
/// cluster pool: `init` serves that broker (see `potok::cluster::init`) and never returns.
///
/// # Tests
///
/// Integration tests are executables too. A test file that uses processes sets
/// `harness = false` for itself in `Cargo.toml` and has its own `main` that calls `init()` (or
/// `potok::main`) before running its tests; the libtest harness cannot be used there, since
/// the child would run the test harness instead.
///
/// # Examples
///
/// ```no_run
/// // no_run: a doc test's `main` is wrapped by rustdoc, so its children would not start here.
/// fn square(x: u64) -> u64 {
///     x * x
/// }
///
/// fn main() {
///     potok::process::init(); // a child never returns from here
///     let pool = potok::process::Pool::new(2).unwrap();
///     assert_eq!(pool.map(square, 1..=3).unwrap(), [1, 4, 9]);
/// }
/// ```
pub fn init() {
    if DISPATCHED.swap(true, Ordering::AcqRel) {
        return;
    }
    let Some(spec) = std::env::var_os(ENV) else {
        // A worker of a cluster pool (POTOK_WORKER=url) serves its broker and never returns.
        #[cfg(feature = "cluster")]
        crate::cluster::init();
        trace_from_env();
        return;
    };
    // Children of this child must not see the marker: a task may start a pool of its own.
    std::env::remove_var(ENV);
    let code = match run_child(&spec) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("potok child process {}: {msg}", std::process::id());
            EXIT_PROTOCOL
        }
    };
    crate::trace::child_exit();
    std::process::exit(code);
}

/// `POTOK_TRACE=FILE` in a program that starts with `process::init` (not `potok::main`):
/// recorded until the process exits, written then (`potok::main` writes it earlier, after its
/// threads are joined).
fn trace_from_env() {
    extern "C" fn at_exit() {
        let _ = std::panic::catch_unwind(crate::trace::env_finish);
    }
    if std::env::var_os("POTOK_TRACE").is_some_and(|p| !p.is_empty()) {
        crate::trace::env_start();
        // SAFETY: `at_exit` is a plain `extern "C"` function that never unwinds (the panic is
        // caught); registering it has no other precondition.
        unsafe {
            libc::atexit(at_exit);
        }
    }
}

fn run_child(spec: &OsString) -> Result<i32, String> {
    let spec = spec.to_str().ok_or("unreadable POTOK_CHILD")?;
    let mut parts = spec.split(':');
    let (kind, ppid, progress_fd) = match (parts.next(), parts.next(), parts.next()) {
        (Some(kind), Some(ppid), Some(fd)) => (
            ChildKind::parse(kind).ok_or("unknown child kind")?,
            ppid.parse::<i32>().map_err(|_| "bad parent pid")?,
            fd.parse::<RawFd>().map_err(|_| "bad progress descriptor")?,
        ),
        _ => return Err(format!("malformed {ENV}={spec}")),
    };
    die_with_parent(ppid)?;
    match kind {
        ChildKind::Worker => {
            super::identity::adopt_from_env(ppid as u32);
            crate::trace::init_child("pool worker");
        }
        ChildKind::Process => {
            super::identity::adopt_from_env(ppid as u32);
            crate::trace::init_child("process");
        }
        // Its workers take their identity and recording from their FORK requests (the
        // server has none of its own, so that its workers inherit none).
        ChildKind::Server => {}
    }
    let sock = take_socket_from_stdin().map_err(|e| format!("no socket to the parent: {e}"))?;
    // SAFETY: the parent put our progress page's memfd at this descriptor for us alone
    // (POTOK_CHILD names it) and nothing else in this fresh process uses it, so it is ours to
    // own and close; the mapping stays valid after the close.
    let progress_fd = unsafe { OwnedFd::from_raw_fd(progress_fd) };
    let progress = Progress::map(progress_fd.as_fd())
        .or_else(|_| Progress::private())
        .map_err(|e| format!("no progress page: {e}"))?;
    drop(progress_fd);
    close_stray_progress_pages();
    install_quiet_panic_hook();
    let mut sock = sock;
    say_hello(&mut sock)?;
    match kind {
        ChildKind::Worker => worker_loop(&mut sock, &progress),
        ChildKind::Process => process_once(&mut sock, &progress),
        ChildKind::Server => {
            drop(progress);
            // Returns only in a worker it forked.
            let forked = super::forkserver::serve(sock, ppid as u32);
            forked_worker(forked)
        }
    }
}

/// HELLO(pid, layout): ready for work.
fn say_hello(sock: &mut UnixStream) -> Result<(), String> {
    let mut hello = FrameBuf::new(tag::HELLO);
    hello
        .u64(u64::from(std::process::id()))
        .u64(layout_fingerprint());
    send(sock, hello)
}

/// A worker the fork server forked: like a worker started by exec from here on, except that
/// its parent is the server, its progress page came with the fork, and it learns who it is
/// (its environment) from the IDENTITY frame the pool's process writes when it takes this
/// worker, which may be long after the fork (see `forkserver.rs`).
fn forked_worker(forked: Forked) -> Result<i32, String> {
    die_with_parent(forked.server)?;
    let progress = Progress::map(forked.progress.as_fd())
        .or_else(|_| Progress::private())
        .map_err(|e| format!("no progress page: {e}"))?;
    drop(forked.progress);
    let mut sock = forked.sock;
    // No HELLO: a fork of the server runs the server's executable, which said its own, and
    // whatever else could go wrong shows as this worker's death, which its pool handles as
    // any worker's. So a pool taking it need not wait until it has run (see
    // `Child::handshake`).
    let Some(env) = super::forkserver::receive_identity(&mut sock)? else {
        // Forked ahead of need and never handed to a pool: nothing to do.
        return Ok(0);
    };
    for (name, value) in &env {
        if name == super::identity::ENV {
            // Its parent, as the program sees it, is the pool's process, not the server.
            // (Adopted straight away: setting and removing the variable cost a forked
            // worker more than the rest of its start-up, measured.)
            super::identity::adopt(&value.to_string_lossy(), forked.program);
        } else {
            // A single-threaded process (the server's copy), so no other thread reads the
            // environment meanwhile.
            std::env::set_var(name, value);
        }
    }
    crate::trace::init_child("pool worker");
    worker_loop(&mut sock, &progress)
}

/// Closes progress pages of sibling workers that this child inherited because they were
/// started in the same instant (see `spawn::spawn_here`): only descriptors of potok's own
/// progress memfds, nothing else the program may have inherited on purpose.
fn close_stray_progress_pages() {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let strays: Vec<RawFd> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let fd: RawFd = entry.file_name().to_str()?.parse().ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            target
                .to_string_lossy()
                .starts_with(super::progress::MEMFD_PATH)
                .then_some(fd)
        })
        .collect();
    for fd in strays {
        // SAFETY: a sibling's progress memfd, inherited by accident; nothing in this process
        // uses it (our own page was mapped and its descriptor closed above), so it is ours to
        // own, and dropping it closes it.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

/// Asks for SIGKILL when the parent dies, then checks it has not died already.
fn die_with_parent(ppid: i32) -> Result<(), String> {
    use rustix::process::{getppid, set_parent_process_death_signal, Signal};
    set_parent_process_death_signal(Some(Signal::KILL)).map_err(|e| format!("prctl: {e}"))?;
    if getppid().map(|p| p.as_raw_nonzero().get()) != Some(ppid) {
        // The parent died before we asked: nobody is waiting for us.
        std::process::exit(0);
    }
    Ok(())
}

/// Moves the socket off stdin to a close-on-exec descriptor and puts /dev/null on stdin.
fn take_socket_from_stdin() -> io::Result<UnixStream> {
    let sock = rustix::io::fcntl_dupfd_cloexec(std::io::stdin(), 3)?;
    let null = std::fs::File::open("/dev/null")?;
    rustix::stdio::dup2_stdin(&null)?;
    Ok(UnixStream::from(sock))
}

fn send(sock: &mut UnixStream, frame: FrameBuf) -> Result<(), String> {
    let bytes = frame.finish().map_err(|e| e.to_string())?;
    wire::send_all(sock, &bytes).map_err(|e| format!("writing to the parent: {e}"))
}

/// Runs one JOB frame; returns the answer frame (built in `spare`'s memory).
fn run_job(payload: &[u8], progress: &Progress, spare: Vec<u8>) -> Result<FrameBuf, String> {
    let mut fields = Fields::new(payload);
    let read = |f: &mut Fields<'_>| f.u64().map_err(|e| e.to_string());
    let seq = read(&mut fields)?;
    let id = TaskId {
        trampoline: read(&mut fields)? as i64,
        function: read(&mut fields)? as i64,
        fingerprint: read(&mut fields)?,
    };
    // A pool made before the parent began recording: its workers follow it from here.
    crate::trace::follow(read(&mut fields)?);
    let items = fields.rest();
    progress.start_job(seq);
    let _job = crate::trace::job(seq);
    let refuse = |why: String| {
        let mut frame = FrameBuf::new(tag::REFUSED);
        frame.u64(seq).bytes(why.as_bytes());
        frame
    };
    let (trampoline, function) = match id.resolve() {
        Ok(found) => found,
        Err(why) => return Ok(refuse(why)),
    };
    // Room for the answer at once: each outcome takes a byte more than its argument (the
    // `Ok`), for the numbers a map is given, so the argument bytes alone came short by a
    // reallocation and a copy per job.
    let mut frame = FrameBuf::reusing(spare, tag::DONE, 2 * items.len() + 32);
    frame.u64(seq);
    match trampoline(function, id.fingerprint, items, frame.vec(), progress) {
        Ok(()) => Ok(frame),
        Err(why) => Ok(refuse(why)),
    }
}

/// Most answer bytes a worker holds back before it writes them: the answers of many small jobs
/// go out together, and the answer of a large chunk goes out at once, so that the parent can
/// write the next chunk while this one runs.
const ANSWER_BATCH: usize = 16 * 1024;

/// Runs jobs until the parent closes the socket. The parent keeps several jobs in flight, so
/// jobs are read through a buffer (several per read), and answers are written several at a
/// time: an answer waits while the next job is already here, up to [`ANSWER_BATCH`] bytes,
/// and all are written before the worker would wait for a job.
fn worker_loop(sock: &mut UnixStream, progress: &Progress) -> Result<i32, String> {
    let mut buf = Vec::new();
    let reader = sock.try_clone().map_err(|e| e.to_string())?;
    let mut reader = std::io::BufReader::with_capacity(wire::READ_BUFFER, reader);
    let mut out: Vec<u8> = Vec::new();
    // The memory of the answer before last, for the next one: a fresh buffer per job was
    // allocated, faulted in and zeroed each time.
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let idle = crate::trace::idle();
        let read = wire::read_frame(&mut reader, &mut buf);
        drop(idle);
        match read {
            Ok(false) => {
                // (A closed socket polls readable: answers may still be held back.)
                let _ = wire::send_all(sock, &out);
                return Ok(0);
            }
            Ok(true) if buf.first() == Some(&tag::JOB) => {
                let answer = run_job(&buf, progress, std::mem::take(&mut spare))?;
                match answer.finish() {
                    Ok(bytes) if out.is_empty() => spare = std::mem::replace(&mut out, bytes),
                    Ok(bytes) => {
                        out.extend_from_slice(&bytes);
                        spare = bytes;
                    }
                    // The results are too large for one message: refuse the chunk by name
                    // rather than die (which would blame one item for all).
                    Err(err) => out.extend_from_slice(&refusal(
                        &buf,
                        &format!("the chunk's results do not fit: {err}"),
                    )?),
                }
                // Only a job already read counts: asking the socket would be a system call per
                // job, and the parent writes jobs in flight several at a time, so the ones
                // that came together are read together.
                let more_now = !reader.buffer().is_empty();
                if !more_now || out.len() >= ANSWER_BATCH {
                    wire::send_all(sock, &out)
                        .map_err(|e| format!("writing to the parent: {e}"))?;
                    out.clear();
                }
            }
            Ok(true) => return Err(format!("unexpected message tag {:?}", buf.first())),
            Err(err) => return Err(format!("reading from the parent: {err}")),
        }
    }
}

/// A REFUSED frame for the job in `job_payload`.
fn refusal(job_payload: &[u8], why: &str) -> Result<Vec<u8>, String> {
    let seq = Fields::new(job_payload).u64().map_err(|e| e.to_string())?;
    let mut frame = FrameBuf::new(tag::REFUSED);
    frame.u64(seq).bytes(why.as_bytes());
    frame.finish().map_err(|e| e.to_string())
}

fn process_once(sock: &mut UnixStream, progress: &Progress) -> Result<i32, String> {
    let mut buf = Vec::new();
    let mut reader = sock.try_clone().map_err(|e| e.to_string())?;
    super::fdpass::receive_frame(&mut reader, &mut buf)
        .map_err(|e| format!("reading from the parent: {e}"))?;
    if buf.first() != Some(&tag::JOB) {
        return Err(format!("unexpected message tag {:?}", buf.first()));
    }
    let answer = run_job(&buf, progress, Vec::new())?;
    let bytes = answer.finish().map_err(|e| e.to_string())?;
    // DONE: seq (8 bytes), then a one-item sequence: its length (1), then the Result variant
    // (0 = Ok, 1 = Err).
    let failed = bytes.get(wire::HEADER) == Some(&tag::REFUSED)
        || bytes.get(wire::HEADER + 1 + 8 + 1) == Some(&1);
    wire::send_all(sock, &bytes).map_err(|e| format!("writing to the parent: {e}"))?;
    super::fdpass::drop_received();
    // A `Process` ends as a Python one does: its own daemon children terminated, the others
    // waited for (the parent's `join` returns once this process has exited).
    super::children::at_exit();
    Ok(if failed { 1 } else { 0 })
}
