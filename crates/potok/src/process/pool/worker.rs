//! A pool's worker, seen from the parent: one thread per worker process that feeds it jobs and
//! collects its answers.
//!
//! # Worker state machine (one per pool slot, run by its thread)
//!
//! ```text
//!            start child + HELLO + initializer
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
//! thread), and it leaves that place only when every item in it has an outcome or the job is
//! back in the queue; `terminate` and a broken pool fail whatever is queued or handed off; so
//! no call ever waits for an item that nobody holds. A worker's pid is published in the pool
//! state while the child may run, and removed (under the lock) before the child is reaped, so
//! `terminate` never signals a reused pid. The worker's socket only ever carries one job and
//! its answer at a time in each direction, and the thread reads every answer in full before
//! writing the next job, so neither side can block the other.

use std::sync::Arc;

use super::job::Job;
use super::state::{Assigned, Next, Shared};
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
fn read_answer(child: &Child, seq: u64, buf: &mut Vec<u8>) -> Result<Answer, Broken> {
    match wire::read_frame(&mut &*child.sock, buf) {
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

/// Writes job `seq`; false if the worker is gone.
fn send(child: &Child, seq: u64, job: &Job) -> bool {
    wire::send_all(&child.sock, &job.frame(seq)).is_ok()
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
    Ok(if wire::send_all(&child.sock, &frame).is_ok() {
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
        InitializerSent::Sent => read_answer(child, 0, &mut buf),
        InitializerSent::Failed => Err(Broken::Died),
    };
    let failure = match answer {
        Ok(Answer::Done(at)) => {
            let outcome = wire::take_varint(&buf[at..])
                .ok()
                .and_then(|(_, rest)| postcard::from_bytes::<Result<(), ItemError>>(rest).ok());
            match outcome {
                Some(Ok(())) => return Ok(()),
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

/// The thread of pool slot `slot`, which starts with `child` already running.
pub(crate) fn run(shared: Arc<Shared>, slot: usize, mut child: Child) {
    let mut buf = Vec::new();
    let mut done_by_this_child = 0usize;
    // A job already written to the worker while the previous answer was being settled.
    let mut carried: Option<Assigned> = None;
    loop {
        let assigned = match carried.take() {
            Some(assigned) => assigned,
            None => match shared.next_job(slot, true) {
                Next::Job(assigned) => assigned,
                Next::Check => {
                    if child.has_exited() {
                        // Died while idle: no task is lost; reap and replace it.
                        shared.forget_worker(slot);
                        child.wait();
                        match replace(&shared, slot) {
                            Some(fresh) => child = fresh,
                            None => return,
                        }
                        done_by_this_child = 0;
                    }
                    continue;
                }
                Next::Stop => break,
            },
        };
        let Assigned {
            seq,
            job,
            written_to,
        } = assigned;
        // A job handed off to a worker that has been replaced since must be written again.
        let written = written_to.is_some_and(|sock| Arc::ptr_eq(&sock, &child.sock));
        let answer = if written || send(&child, seq, &job) {
            read_answer(&child, seq, &mut buf)
        } else {
            Err(Broken::Died)
        };
        match answer {
            Ok(answer) => {
                done_by_this_child += 1;
                let recycle = shared
                    .maxtasksperchild
                    .is_some_and(|max| done_by_this_child >= max);
                if !recycle {
                    // Give the worker its next job before decoding this answer, so it does not
                    // wait for us. (It has sent its whole answer, so it is reading: no
                    // deadlock.) A failed write shows up as EOF on the next read.
                    if let Next::Job(mut next) = shared.next_job(slot, false) {
                        let written = next
                            .written_to
                            .as_ref()
                            .is_some_and(|sock| Arc::ptr_eq(sock, &child.sock));
                        if !written {
                            send(&child, next.seq, &next.job);
                            next.written_to = Some(Arc::clone(&child.sock));
                        }
                        carried = Some(next);
                    }
                }
                settle(&job, answer, &buf);
                if recycle {
                    retire(&shared, slot, child);
                    match replace(&shared, slot) {
                        Some(fresh) => child = fresh,
                        None => return,
                    }
                    done_by_this_child = 0;
                }
            }
            Err(broken) => {
                shared.forget_worker(slot);
                let exit = child.kill_and_reap();
                if shared.is_terminated() {
                    job.fail_all(TaskErrorKind::Terminated);
                    return;
                }
                match broken {
                    Broken::Died => blame(&shared, &child, seq, job, exit),
                    Broken::Garbled(why) => job.fail_all(TaskErrorKind::Protocol(why)),
                }
                match replace(&shared, slot) {
                    Some(fresh) => child = fresh,
                    None => return,
                }
                done_by_this_child = 0;
            }
        }
    }
    if shared.is_terminated() {
        shared.forget_worker(slot);
        child.kill_and_reap();
    } else {
        retire(&shared, slot, child);
    }
}

/// Closes a worker's socket (it exits on EOF) and reaps it.
fn retire(shared: &Shared, slot: usize, mut child: Child) {
    // An idle worker exits as soon as it reads EOF.
    shared.forget_worker(slot);
    let _ = child.sock.shutdown(std::net::Shutdown::Both);
    child.wait();
}

/// Starts a replacement worker for `slot`; on failure the pool is broken and the thread ends.
///
/// The pid is published right after the spawn, so that `terminate()` kills a worker whose
/// handshake or initializer is slow (or hangs) instead of `join()` waiting for it; it is
/// withdrawn before the child is reaped should the start fail.
fn replace(shared: &Arc<Shared>, slot: usize) -> Option<Child> {
    if shared.is_terminated() {
        return None;
    }
    let started = spawn::spawn(ChildKind::Worker).and_then(|mut child| {
        if !shared.publish_pid(slot, child.pid) {
            // Terminated meanwhile: the child goes with its Drop.
            return Ok(None);
        }
        child.before_reap = Some(Box::new({
            let shared = Arc::clone(shared);
            move || shared.forget_worker(slot)
        }));
        child.handshake(spawn::HANDSHAKE_TIMEOUT)?;
        run_initializer(shared, &mut child)?;
        Ok(Some(child))
    });
    match started {
        Ok(Some(mut child)) => {
            if shared.publish_worker(slot, &child) {
                child.before_reap = None;
                Some(child)
            } else {
                // Terminated meanwhile: the child goes with its Drop, which withdraws the pid.
                None
            }
        }
        Ok(None) => None,
        // Killed by terminate() while it started: not a broken pool.
        Err(_) if shared.is_terminated() => None,
        Err(err) => {
            shared.break_pool(format!("could not replace a worker: {err}"));
            None
        }
    }
}

/// A worker died holding `job`: the item it was running fails, the others go back to the
/// queue. If it died before starting any item, the whole job is retried once, then fails.
fn blame(shared: &Shared, child: &Child, seq: u64, mut job: Job, exit: ChildExit) {
    let (progress_seq, item) = child.progress.read();
    let died = TaskErrorKind::WorkerDied(exit);
    if progress_seq == seq && item != NO_ITEM && (item as usize) < job.len() {
        let item = item as usize;
        job.sink.fail(job.indices.get(item), died.clone());
        let [before, after] = job.split_around(item, &died);
        for part in [after, before].into_iter().flatten() {
            shared.requeue(part);
        }
    } else if job.attempts == 0 {
        job.attempts += 1;
        shared.requeue(job);
    } else {
        job.fail_all(died);
    }
}
