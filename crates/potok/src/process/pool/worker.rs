//! A pool's worker, seen from the parent: one thread per worker process that feeds it jobs and
//! collects its answers.
//!
//! # Worker state machine (one per pool slot, run by its thread)
//!
//! ```text
//!   start child (+ HELLO if exec'd) + initializer (Busy holds 1..DEPTH jobs in flight)
//!  Starting ──────────────────────────────────▶ Idle ◀──────────────────────────────────┐
//!     │ fails: pool Broken                        │ a caller wrote a job to the worker    │
//!     ▼                                           │ (hand-off), or a job from the queue   │
//!   Exit ◀── nothing queued and closed, ──────────┤ (this thread writes it)               │
//!     ▲      or terminated, or broken             ▼   (idle 0.1 s: worker dead? reap, replace)│
//!     │                                    Busy: waiting for the answer                   │
//!     │                          DONE / REFUSED │                 │ EOF, I/O error,       │
//!     │                                         ▼                 │ corrupt frame         │
//!     │      next job (if any) written at once, then this answer  │                       │
//!     │      decoded into its results while the worker runs it ───┼──▶ Busy / Idle ───────┤
//!     │      (maxtasksperchild reached: no next job; Retiring:    ▼                       │
//!     │       close the socket, reap, Starting)          Dead: kill + reap; the item in   │
//!     │                                                  the progress page fails, the     │
//!     │                                                  rest of the job is requeued      │
//!     └── terminated ◀───────────────────────────────────────┴──▶ Starting (replace) ─────┘
//! ```
//!
//! Invariants: a job is owned by exactly one place (the queue, a slot's hand-off, or one worker
//! thread's jobs in flight), and it leaves that place only when every item in it has an
//! outcome or the job is back in the queue; `terminate` and a broken pool fail whatever is
//! queued or handed off; so no call ever waits for an item that nobody holds. A worker's pid
//! is published in the pool state while the child may run, and removed (under the lock)
//! before the child is reaped, so `terminate` never signals a reused pid.
//!
//! Pipelining: the thread keeps up to `DEPTH` jobs in flight (written, not yet answered); the
//! worker runs them in order and answers in order, several answers per write. The jobs in
//! flight carry at most `MAX_BYTES_IN_FLIGHT` item bytes (one larger job only alone), far less
//! than a socket buffer holds, so the thread's writes never block and it always gets back to
//! reading answers: neither side can block the other. When the worker dies, the progress page
//! says which job and item it was running; that item fails, and every other job in flight
//! goes back to the queue (finished ones whose answers died with the worker run again).

use std::collections::VecDeque;
use std::io::{BufReader, Read};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::job::Job;
use super::state::{Assigned, Next, Shared, Ticket};
use crate::process::child_sock::ChildSock;
use crate::process::env::ChildKind;
use crate::process::error::{ChildExit, StartError, TaskErrorKind};
use crate::process::progress::NO_ITEM;
use crate::process::spawn::{self, Child};
use crate::process::task::ItemError;
use crate::process::wire::{self, tag, Fields, WireError};

/// How an exchange with a worker ended.
enum Answer {
    /// DONE: the outcomes are in the buffer after `offset` bytes.
    Done(usize),
    /// REFUSED: the job could not run (unknown function identity, undecodable job).
    Refused(String),
}

/// What broke while talking to a worker.
enum Broken {
    /// The socket closed or failed: the worker is dead or dying.
    Died,
    /// The worker sent something that is not a valid answer.
    Garbled(String),
}

/// Reads the answer to job `seq`.
fn read_answer(reader: &mut impl Read, seq: u64, buf: &mut Vec<u8>) -> Result<Answer, Broken> {
    match wire::read_frame(reader, buf) {
        Ok(true) => {}
        Ok(false) | Err(WireError::Truncated) | Err(WireError::Io(_)) => return Err(Broken::Died),
        Err(err @ WireError::Corrupt(_)) => return Err(Broken::Garbled(err.to_string())),
    }
    let mut fields = Fields::new(buf);
    let answer_seq = fields.u64().map_err(|e| Broken::Garbled(e.to_string()))?;
    if answer_seq != seq {
        return Err(Broken::Garbled(format!(
            "answer for job {answer_seq} while job {seq} was running"
        )));
    }
    match buf[0] {
        tag::DONE => Ok(Answer::Done(1 + 8)),
        tag::REFUSED => Ok(Answer::Refused(
            String::from_utf8_lossy(&buf[1 + 8..]).into_owned(),
        )),
        other => Err(Broken::Garbled(format!("unexpected message tag {other}"))),
    }
}

/// Runs the pool's initializer in a fresh worker.
pub(crate) fn run_initializer(shared: &Shared, child: &mut Child) -> Result<(), StartError> {
    let sent = send_initializer(shared, child)?;
    finish_initializer(child, sent)
}

/// What [`send_initializer`] did, for [`finish_initializer`].
pub(crate) enum InitializerSent {
    /// The pool has no initializer.
    None,
    /// Sent; the answer is to be read.
    Sent,
    /// The worker could not be written to (it died).
    Failed,
}

/// Sends the initializer's job to a worker that has said hello, without waiting for it: a
/// pool's first workers run their initializers side by side, as Python's do.
pub(crate) fn send_initializer(
    shared: &Shared,
    child: &mut Child,
) -> Result<InitializerSent, StartError> {
    let Some((task, arg)) = &shared.initializer else {
        return Ok(InitializerSent::None);
    };
    let mut frame = task.job_frame(0, 1, arg.len());
    frame.bytes(arg);
    let frame = frame
        .finish()
        .map_err(|e| StartError::Handshake(e.to_string()))?;
    Ok(if child.sock.send_all(&frame).is_ok() {
        InitializerSent::Sent
    } else {
        InitializerSent::Failed
    })
}

/// Waits for the initializer's answer; on failure the worker is stopped and reaped.
pub(crate) fn finish_initializer(
    child: &mut Child,
    sent: InitializerSent,
) -> Result<(), StartError> {
    let mut buf = Vec::new();
    let answer = match sent {
        InitializerSent::None => return Ok(()),
        InitializerSent::Sent => read_answer(&mut child.sock.stream(), 0, &mut buf),
        InitializerSent::Failed => Err(Broken::Died),
    };
    let failure = match answer {
        Ok(Answer::Done(at)) => {
            let outcome = wire::take_varint(&buf[at..])
                .ok()
                .and_then(|(_, rest)| postcard::from_bytes::<Result<(), ItemError>>(rest).ok());
            match outcome {
                Some(Ok(())) => {
                    child.sock.answered();
                    return Ok(());
                }
                Some(Err(ItemError::Panicked(msg))) => StartError::Initializer(msg),
                Some(Err(err)) => StartError::Initializer(format!("{err:?}")),
                None => StartError::Handshake("garbled answer to the initializer".into()),
            }
        }
        Ok(Answer::Refused(why)) => StartError::Initializer(why),
        Err(Broken::Died) => {
            let exit = child.kill_and_reap();
            StartError::Initializer(format!("the worker died in it ({exit})"))
        }
        Err(Broken::Garbled(why)) => StartError::Handshake(why),
    };
    child.kill_and_reap();
    Err(failure)
}

/// Hands a job's answer to its results.
///
/// A result type whose `Deserialize` panics must not take this thread down (the job's other
/// items would then never be answered): the panic becomes a decode error for every item of the
/// job that has no outcome yet.
fn settle(job: &Job, answer: Answer, buf: &[u8]) {
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match answer {
        Answer::Done(at) => job.sink.deliver(&job.indices, &buf[at..]),
        Answer::Refused(why) => job.fail_all(TaskErrorKind::Protocol(why)),
    }));
    if let Err(payload) = decoded {
        let msg = crate::process::unwind::panic_text(&*payload);
        job.fail_all(TaskErrorKind::Decode(format!(
            "decoding the result panicked: {msg}"
        )));
    }
}

/// How long a caller reading its answer itself polls the socket awake before it sleeps in
/// `poll` (the same reasoning as `SPIN` in results.rs).
const DIRECT_SPIN: Duration = Duration::from_micros(60);

/// The right of an `apply_async` caller to read its job's answer from the worker itself,
/// while the slot's thread has not taken the job over (see `Thread::Direct` in state.rs): the
/// worker's answer then wakes the caller, and no other thread. Dropped unused, it leaves the
/// answer to the slot's thread at once.
pub(crate) struct DirectRead {
    shared: Arc<Shared>,
    ticket: Ticket,
    used: bool,
}

impl DirectRead {
    pub(crate) fn new(shared: Arc<Shared>, ticket: Ticket) -> DirectRead {
        DirectRead {
            shared,
            ticket,
            used: false,
        }
    }

    /// Reads the answer and stores it in the job's results, waiting until `deadline`; false if
    /// it did not: the slot's thread had taken the job over, or does now (no answer by the
    /// deadline, or none at all: the worker died or garbled it).
    pub(crate) fn read(&mut self, deadline: Option<Instant>) -> bool {
        if std::mem::replace(&mut self.used, true) {
            return false;
        }
        let Some(handoff) = self.shared.take_direct(self.ticket) else {
            return false;
        };
        let slot = self.ticket.slot;
        let look_first = handoff.sock.has_answered();
        if !wait_readable(handoff.sock.stream(), deadline, look_first) {
            // Nothing read yet: the thread reads it, as if it had been handed off.
            self.shared.end_direct(slot, Some(handoff));
            return false;
        }
        let mut buf = Vec::new();
        let mut reader = BufReader::with_capacity(4096, handoff.sock.stream());
        let answer = read_answer(&mut reader, handoff.seq, &mut buf);
        match answer {
            // One answer for one job: nothing may follow it.
            Ok(answer) if reader.buffer().is_empty() => {
                handoff.sock.answered();
                settle(&handoff.job, answer, &buf);
                self.shared.end_direct(slot, None);
                true
            }
            _ => {
                // Dead, or talking nonsense: with the socket shut, its thread finds it dead
                // and does what it does for any dead worker (blame, replace).
                let _ = handoff.sock.stream().shutdown(std::net::Shutdown::Both);
                self.shared.end_direct(slot, Some(handoff));
                false
            }
        }
    }
}

impl DirectRead {
    /// Leaves the answer to the slot's thread, if it is still this caller's to read.
    pub(crate) fn release(&self) {
        if !self.used {
            self.shared.release_direct(self.ticket);
        }
    }
}

impl Drop for DirectRead {
    fn drop(&mut self) {
        self.release();
    }
}

/// Whether `sock` turns readable (or hangs up) by `deadline`: looked at for [`DIRECT_SPIN`]
/// first (if `look_first`), yielding the CPU between looks (as a joiner does), then waited for
/// asleep.
///
/// Not for a worker's first answer (`look_first` false): it needs the worker's first run
/// since its fork, longer than the looking, and a caller that yields its CPU to a busy
/// process meanwhile stays runnable behind that process's time slice when the answer comes
/// (seen beside `pool.py`: 3.5 ms), where one asleep in `poll` is woken.
///
/// Yielding, not spinning: on a machine whose CPUs are all busy, the worker that is to write
/// the answer may be waiting for this very CPU, and a caller spinning on it holds the answer
/// up. Beside CPython's pool running round trips of its own, a round trip took 10-54 µs
/// spinning and 7-23 µs yielding (6 rounds each, measured); beside two CPU-bound processes,
/// 24-56 µs and 7-48 µs (5 rounds).
fn wait_readable(sock: &UnixStream, deadline: Option<Instant>, look_first: bool) -> bool {
    use rustix::event::{poll, PollFd, PollFlags, Timespec};
    let ready = |timeout: Option<Duration>| {
        let timeout = timeout.map(|t| Timespec {
            tv_sec: t.as_secs() as i64,
            tv_nsec: i64::from(t.subsec_nanos()),
        });
        let mut fds = [PollFd::new(sock, PollFlags::IN)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => Some(n > 0),
            Err(rustix::io::Errno::INTR) => None,
            // Cannot be polled: let the read find out what is wrong.
            Err(_) => Some(true),
        }
    };
    if look_first {
        let looked = crate::thread::look_for(DIRECT_SPIN, deadline, None, || {
            ready(Some(Duration::ZERO)) == Some(true)
        });
        if looked == crate::thread::Looked::Ready {
            return true;
        }
    }
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        match ready(left) {
            Some(true) => return true,
            _ if left == Some(Duration::ZERO) => return false,
            _ => {}
        }
    }
}

/// Most jobs written to a worker and not yet answered.
const DEPTH: usize = 32;

/// The pipeline is topped up once at most this many jobs are in flight, so that new jobs go
/// out several per write.
const LOW_WATER: usize = DEPTH / 2;

/// Most item bytes in flight to one worker. Jobs written and not yet read by the worker stay
/// in the socket's buffer, so with this bound (and [`DEPTH`]) well below the buffer's size
/// (about 200 KiB on Linux) a write never blocks: the thread is never stuck writing while the
/// worker is stuck writing answers it does not read. A larger job is written only when
/// nothing else is in flight (the worker then reads it whole before it answers).
const MAX_BYTES_IN_FLIGHT: usize = 96 * 1024;

/// The parent's buffered reader of a worker's answers (several answers per read).
struct Answers {
    reader: BufReader<Sock>,
}

/// Reads a shared socket.
struct Sock(Arc<ChildSock>);

impl Read for Sock {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.stream().read(buf)
    }
}

impl Answers {
    fn of(child: &Child) -> Answers {
        Answers {
            reader: BufReader::with_capacity(wire::READ_BUFFER, Sock(Arc::clone(&child.sock))),
        }
    }

    /// Whether (part of) another answer has arrived already.
    fn more_buffered(&self) -> bool {
        !self.reader.buffer().is_empty()
    }
}

/// A job that took its worker longer than this makes the pipeline shallow again.
const QUICK: Duration = Duration::from_micros(500);

/// The jobs written to one worker and not yet answered, oldest first (the worker runs and
/// answers them in order).
///
/// A job written behind a slow one waits for it, even if another worker is idle, so the depth
/// adapts: it starts at 1, doubles with each answer that came back within [`QUICK`] of the
/// one before, up to [`DEPTH`], and falls back to 1 after a slow one. A long task can so hold
/// up at most the jobs written while the worker was answering quickly.
#[derive(Default)]
struct InFlight {
    jobs: VecDeque<Assigned>,
    /// How many jobs may be in flight now (1 to [`DEPTH`]).
    depth: usize,
    /// When the last answer arrived (or the pipeline was filled from empty).
    last_answer: Option<Instant>,
    bytes: usize,
    /// Jobs written to the current worker (for `maxtasksperchild`).
    sent: usize,
    /// Frames to write, gathered so that several go out in one write.
    out: Vec<u8>,
}

impl InFlight {
    fn push(&mut self, assigned: Assigned, child: &Child) {
        // A job handed off to a worker that has been replaced since must be written again.
        let written = assigned
            .written_to
            .as_ref()
            .is_some_and(|sock| Arc::ptr_eq(sock, &child.sock));
        if !written {
            assigned.job.frame_into(assigned.seq, &mut self.out);
        }
        self.bytes += assigned.job.bytes.len();
        self.sent += 1;
        self.jobs.push_back(assigned);
    }

    /// Writes the gathered frames. A failed write means the worker is dead: the next read
    /// finds out.
    fn flush(&mut self, child: &Child) {
        if !self.out.is_empty() {
            let _ = child.sock.send_all(&self.out);
            self.out.clear();
        }
    }

    fn pop(&mut self) -> Option<Assigned> {
        let assigned = self.jobs.pop_front()?;
        self.bytes -= assigned.job.bytes.len();
        Some(assigned)
    }

    /// An answer arrived: deepen the pipeline if it came quickly, else make it shallow.
    fn answered(&mut self) {
        let now = Instant::now();
        let quick = self
            .last_answer
            .is_some_and(|last| now.duration_since(last) < QUICK);
        self.depth = if quick {
            (self.depth * 2).clamp(1, DEPTH)
        } else {
            1
        };
        self.last_answer = Some(now);
    }

    /// Tops the pipeline up with jobs queued now (never waiting), within [`DEPTH`],
    /// [`MAX_BYTES_IN_FLIGHT`] and what `maxtasksperchild` leaves this worker.
    fn top_up(&mut self, shared: &Shared, child: &Child) {
        let depth = self.depth.max(1);
        if self.jobs.len() >= depth || (depth == DEPTH && self.jobs.len() > LOW_WATER) {
            self.flush(child);
            return;
        }
        let budget = shared
            .maxtasksperchild
            .map_or(usize::MAX, |max| max.saturating_sub(self.sent));
        let count = (depth - self.jobs.len()).min(budget);
        if count > 0 {
            let room = MAX_BYTES_IN_FLIGHT.saturating_sub(self.bytes);
            for assigned in shared.next_jobs(count, room, self.jobs.is_empty()) {
                self.push(assigned, child);
            }
        }
        self.flush(child);
    }

    fn clear_for_new_worker(&mut self) {
        debug_assert!(self.jobs.is_empty());
        self.sent = 0;
        self.bytes = 0;
        self.depth = 1;
        self.last_answer = None;
        self.out.clear();
    }
}

/// The thread of pool slot `slot`, which starts with `child` already running.
///
/// It keeps up to [`DEPTH`] jobs in flight to its worker, so that the worker goes from one
/// job to the next without waiting for this thread, and reads the answers, which the worker
/// sends several at a time.
pub(crate) fn run(shared: Arc<Shared>, slot: usize, mut child: Child) {
    let mut buf = Vec::new();
    let mut done_by_this_child = 0usize;
    let mut inflight = InFlight::default();
    let mut answers = Answers::of(&child);
    loop {
        if inflight.jobs.is_empty() {
            // After a pause nothing is known about the coming tasks: start shallow again.
            inflight.depth = 1;
            inflight.last_answer = None;
            match shared.next_job(slot, true) {
                Next::Job(assigned) => {
                    inflight.push(assigned, &child);
                    inflight.last_answer = Some(Instant::now());
                }
                Next::Check => {
                    if child.has_exited() {
                        // Died while idle: no task is lost; reap and replace it.
                        shared.forget_worker(slot);
                        child.wait();
                        if !renew(&shared, slot, &mut child, &mut answers, &mut inflight) {
                            return;
                        }
                        done_by_this_child = 0;
                    }
                    continue;
                }
                Next::Stop => break,
            }
        }
        inflight.top_up(&shared, &child);
        let seq = inflight.jobs.front().expect("a job is in flight").seq;
        match read_answer(&mut answers.reader, seq, &mut buf) {
            Ok(answer) => {
                child.sock.answered();
                let assigned = inflight.pop().expect("a job is in flight");
                inflight.answered();
                done_by_this_child += 1;
                // Give the worker more work before decoding this answer, so it does not wait
                // for us (unless more answers are waiting to be read: then later).
                if !answers.more_buffered() {
                    inflight.top_up(&shared, &child);
                }
                settle(&assigned.job, answer, &buf);
                let recycle = shared
                    .maxtasksperchild
                    .is_some_and(|max| done_by_this_child >= max);
                if recycle {
                    retire(&shared, slot, &mut child);
                    if !renew(&shared, slot, &mut child, &mut answers, &mut inflight) {
                        return;
                    }
                    done_by_this_child = 0;
                }
            }
            Err(broken) => {
                shared.forget_worker(slot);
                let exit = child.kill_and_reap();
                if shared.is_terminated() {
                    while let Some(assigned) = inflight.pop() {
                        assigned.job.fail_all(TaskErrorKind::Terminated);
                    }
                    return;
                }
                blame(&shared, &child, &mut inflight, broken, exit);
                if !renew(&shared, slot, &mut child, &mut answers, &mut inflight) {
                    return;
                }
                done_by_this_child = 0;
            }
        }
    }
    if shared.is_terminated() {
        shared.forget_worker(slot);
        child.signal(rustix::process::Signal::KILL);
        shared.leave_to_reap(child);
    } else {
        retire(&shared, slot, &mut child);
    }
}

/// Starts a replacement for the slot's worker (gone, and reaped) and starts over with it;
/// false if none could be started (the thread ends).
fn renew(
    shared: &Arc<Shared>,
    slot: usize,
    child: &mut Child,
    answers: &mut Answers,
    inflight: &mut InFlight,
) -> bool {
    let Some(fresh) = replace(shared, slot) else {
        return false;
    };
    *child = fresh;
    *answers = Answers::of(child);
    inflight.clear_for_new_worker();
    true
}

/// Closes a worker's socket (it exits on EOF) and reaps it.
fn retire(shared: &Shared, slot: usize, child: &mut Child) {
    // An idle worker exits as soon as it reads EOF.
    shared.forget_worker(slot);
    let _ = child.sock.stream().shutdown(std::net::Shutdown::Both);
    child.wait();
}

/// Starts a new pool's first `processes` workers: all are spawned first, so that they boot in
/// parallel, and every initializer is sent before any answer is awaited, so that they run side
/// by side. The error says too whether a worker was lost with its fork server (that is worth
/// another try: the next spawn starts a new server).
pub(crate) fn start_first(
    shared: &Shared,
    processes: usize,
) -> Result<Vec<Child>, (StartError, bool)> {
    let mut children: Vec<Child> = Vec::with_capacity(processes);
    for child in spawn::spawn_many(ChildKind::Worker, processes) {
        // (A server found dead when asked to fork is replaced there.)
        children.push(child.map_err(|err| (err, false))?);
    }
    let lost = |children: &[Child]| children.iter().any(Child::lost_with_its_server);
    let mut sent = Vec::with_capacity(processes);
    for k in 0..children.len() {
        let child = &mut children[k];
        match child
            .handshake(spawn::HANDSHAKE_TIMEOUT)
            .and_then(|()| send_initializer(shared, child))
        {
            Ok(one) => sent.push(one),
            Err(err) => return Err((err, lost(&children))),
        }
    }
    for (k, one) in sent.into_iter().enumerate() {
        if let Err(err) = finish_initializer(&mut children[k], one) {
            return Err((err, lost(&children)));
        }
    }
    Ok(children)
}

/// Starts a replacement worker for `slot`; on failure the pool is broken and the thread ends.
///
/// The pid is published right after the spawn, so that `terminate()` kills a worker whose
/// handshake or initializer is slow (or hangs) instead of `join()` waiting for it; it is
/// withdrawn before the child is reaped should the start fail.
fn replace(shared: &Arc<Shared>, slot: usize) -> Option<Child> {
    // A worker forked by a fork server that dies before the worker has reported for work (and
    // run the initializer) dies with it: no reason to break the pool, a new server forks the
    // next one. Bounded, so a server that dies every time does break it.
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        if shared.is_terminated() {
            return None;
        }
        let mut lost_with_server = false;
        let started = spawn::spawn(ChildKind::Worker).and_then(|mut child| {
            if !shared.publish_pid(slot, &child) {
                // Terminated meanwhile: the child goes with its Drop.
                return Ok(None);
            }
            child.before_reap = Some(Box::new({
                let shared = Arc::clone(shared);
                move || shared.forget_worker(slot)
            }));
            let ready = child
                .handshake(spawn::HANDSHAKE_TIMEOUT)
                .and_then(|()| run_initializer(shared, &mut child));
            if ready.is_err() {
                lost_with_server = child.lost_with_its_server();
            }
            ready.map(|()| Some(child))
        });
        match started {
            Ok(Some(mut child)) => {
                return if shared.publish_worker(slot, &child) {
                    child.before_reap = None;
                    Some(child)
                } else {
                    // Terminated meanwhile: the child goes with its Drop, which withdraws the
                    // pid.
                    None
                };
            }
            Ok(None) => return None,
            // Killed by terminate() while it started: not a broken pool.
            Err(_) if shared.is_terminated() => return None,
            Err(_) if lost_with_server && attempt < ATTEMPTS => continue,
            Err(err) => {
                shared.break_pool(format!("could not replace a worker: {err}"));
                return None;
            }
        }
    }
    None
}

/// A worker died (or garbled its answers) with the jobs of `inflight` unanswered.
///
/// - The job it was running: the item it held fails (for a garbled answer: the whole job
///   fails), the job's other items go back to the queue. If it died before starting any item
///   of it, the job is retried once, then fails.
/// - Jobs it had finished but whose answers were lost with it (answers travel several at a
///   time): back to the queue, to run again.
/// - Jobs it had not started: back to the queue.
fn blame(shared: &Shared, child: &Child, inflight: &mut InFlight, broken: Broken, exit: ChildExit) {
    let (progress_seq, item) = child.progress.read();
    let died = TaskErrorKind::WorkerDied(exit);
    let mut first = true;
    // Requeued at the front of the queue, in their order, once all are sorted out.
    let mut again = Vec::new();
    while let Some(Assigned { seq, mut job, .. }) = inflight.pop() {
        let is_front = std::mem::take(&mut first);
        if let Broken::Garbled(why) = &broken {
            if is_front {
                job.fail_all(TaskErrorKind::Protocol(why.clone()));
            } else {
                again.push(job);
            }
            continue;
        }
        let running = seq == progress_seq || (is_front && progress_seq < seq);
        if !running {
            again.push(job);
        } else if seq == progress_seq && item != NO_ITEM && (item as usize) < job.len() {
            let item = item as usize;
            job.sink.fail(job.indices.get(item), died.clone());
            let [before, after] = job.split_around(item, &died);
            again.extend(before);
            again.extend(after);
        } else if job.attempts == 0 {
            job.attempts += 1;
            again.push(job);
        } else {
            job.fail_all(died.clone());
        }
    }
    for job in again.into_iter().rev() {
        shared.requeue(job);
    }
}
