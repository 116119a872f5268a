//! A pool's worker, seen from the parent: one thread per worker process that feeds it jobs and
//! collects its answers.
//!
//! # Worker state machine (one per pool slot, run by its thread)
//!
//! ```text
//!            start child + HELLO + initializer
//!  Starting ───────────────────────────────────▶ Idle ◀────────────────────────────┐
//!     │ fails: pool Broken                          │ job from the queue             │
//!     ▼                                             ▼                                │
//!   Exit ◀── queue empty and closed, ─────────── Busy: JOB sent, waiting for answer │
//!     ▲      or terminated                          │                                │
//!     │                     ┌───────────────────────┼──────────────────────┐         │
//!     │                     │ DONE / REFUSED        │ EOF, I/O error,       │         │
//!     │                     ▼                       │ corrupt frame         │         │
//!     │             results delivered ──────────────┼──────────▶ (count) ───┤         │
//!     │             maxtasksperchild reached:       ▼                       │         │
//!     │             Retiring (close, reap) ──▶ Dead: kill + reap; blame the │         │
//!     │                                        item in the progress page,   │         │
//!     │                                        requeue the rest of the job  │         │
//!     │                                              │                      │         │
//!     └── terminated ◀───────────────────────────────┴─▶ Starting (replace) ┴─────────┘
//! ```
//!
//! Invariants: a job is owned by exactly one place (the queue, or one worker thread), and it
//! leaves that place only when every item in it has an outcome or the job is back in the queue;
//! so no call ever waits for an item that nobody holds. A worker's pid is published in the pool
//! state while the child may run, and removed (under the lock) before the child is reaped, so
//! `terminate` never signals a reused pid.

use std::sync::Arc;

use super::error::{ChildExit, StartError, TaskErrorKind};
use super::pool::{Job, Shared};
use super::progress::NO_ITEM;
use super::spawn::{self, Child, ChildKind};
use super::task::{ItemError, TaskId};
use super::wire::{self, push_varint, tag, Fields, FrameBuf, WireError};

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

/// Sends a job and reads the answer.
fn exchange(
    child: &mut Child,
    seq: u64,
    task: TaskId,
    count: usize,
    items: &[u8],
    buf: &mut Vec<u8>,
) -> Result<Answer, Broken> {
    let mut frame = FrameBuf::with_capacity(tag::JOB, 40 + items.len());
    frame
        .u64(seq)
        .u64(task.trampoline as u64)
        .u64(task.function as u64)
        .u64(task.fingerprint);
    push_varint(frame.vec(), count as u64);
    frame.bytes(items);
    let frame = frame.finish().map_err(|e| Broken::Garbled(e.to_string()))?;
    if wire::write_frame(&mut child.sock, &frame).is_err() {
        return Err(Broken::Died);
    }
    match wire::read_frame(&mut child.sock, buf) {
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

/// Starts a worker process: spawn, HELLO, initializer.
pub(crate) fn start_worker(shared: &Shared) -> Result<Child, StartError> {
    let mut child = spawn::spawn(ChildKind::Worker)?;
    child.handshake(spawn::HANDSHAKE_TIMEOUT)?;
    run_initializer(shared, &mut child)?;
    Ok(child)
}

/// Runs the pool's initializer in a fresh worker.
pub(crate) fn run_initializer(shared: &Shared, child: &mut Child) -> Result<(), StartError> {
    let Some((task, arg)) = &shared.initializer else {
        return Ok(());
    };
    let mut buf = Vec::new();
    match exchange(child, 0, *task, 1, arg, &mut buf) {
        Ok(Answer::Done(at)) => {
            let outcome = wire::take_varint(&buf[at..])
                .ok()
                .and_then(|(_, rest)| postcard::from_bytes::<Result<(), ItemError>>(rest).ok());
            match outcome {
                Some(Ok(())) => Ok(()),
                Some(Err(ItemError::Panicked(msg))) => {
                    child.kill_and_reap();
                    Err(StartError::Initializer(msg))
                }
                Some(Err(err)) => {
                    child.kill_and_reap();
                    Err(StartError::Initializer(format!("{err:?}")))
                }
                None => {
                    child.kill_and_reap();
                    Err(StartError::Handshake(
                        "garbled answer to the initializer".into(),
                    ))
                }
            }
        }
        Ok(Answer::Refused(why)) => {
            child.kill_and_reap();
            Err(StartError::Initializer(why))
        }
        Err(Broken::Died) => {
            let exit = child.kill_and_reap();
            Err(StartError::Initializer(format!(
                "the worker died in it ({exit})"
            )))
        }
        Err(Broken::Garbled(why)) => {
            child.kill_and_reap();
            Err(StartError::Handshake(why))
        }
    }
}

/// The thread of pool slot `slot`, which starts with `child` already running.
pub(crate) fn run(shared: Arc<Shared>, slot: usize, mut child: Child) {
    let mut buf = Vec::new();
    let mut done_by_this_child = 0usize;
    loop {
        let Some(mut job) = shared.next_job() else {
            break;
        };
        let seq = shared.next_seq();
        match exchange(&mut child, seq, job.task, job.len(), &job.bytes, &mut buf) {
            Ok(Answer::Done(at)) => {
                job.sink.deliver(&job.indices, &buf[at..]);
                done_by_this_child += 1;
            }
            Ok(Answer::Refused(why)) => {
                for &index in &job.indices {
                    job.sink.fail(index, TaskErrorKind::Protocol(why.clone()));
                }
                done_by_this_child += 1;
            }
            Err(broken) => {
                shared.forget_pid(slot);
                let exit = child.kill_and_reap();
                if shared.is_terminated() {
                    job.fail_all(TaskErrorKind::Terminated);
                    return;
                }
                match broken {
                    Broken::Died => blame(&shared, &child, seq, &mut job, exit),
                    Broken::Garbled(why) => job.fail_all(TaskErrorKind::Protocol(why)),
                }
                match replace(&shared, slot) {
                    Some(fresh) => child = fresh,
                    None => return,
                }
                done_by_this_child = 0;
                continue;
            }
        }
        if shared
            .maxtasksperchild
            .is_some_and(|max| done_by_this_child >= max)
        {
            retire(&shared, slot, child);
            match replace(&shared, slot) {
                Some(fresh) => child = fresh,
                None => return,
            }
            done_by_this_child = 0;
        }
    }
    if shared.is_terminated() {
        shared.forget_pid(slot);
        child.kill_and_reap();
    } else {
        retire(&shared, slot, child);
    }
}

/// Closes a worker's socket (it exits on EOF) and reaps it.
fn retire(shared: &Shared, slot: usize, mut child: Child) {
    // An idle worker exits as soon as it reads EOF.
    shared.forget_pid(slot);
    let _ = child.sock.shutdown(std::net::Shutdown::Both);
    child.wait();
}

/// Starts a replacement worker for `slot`; on failure the pool is broken and the thread ends.
fn replace(shared: &Shared, slot: usize) -> Option<Child> {
    if shared.is_terminated() {
        return None;
    }
    match start_worker(shared) {
        Ok(child) => {
            if !shared.publish_pid(slot, child.pid) {
                // Terminated while starting: the child goes with `child`'s Drop.
                return None;
            }
            Some(child)
        }
        Err(err) => {
            shared.break_pool(format!("could not replace a worker: {err}"));
            None
        }
    }
}

/// A worker died holding `job`: the item it was running fails, the others go back to the
/// queue. If it died before starting any item, the whole job is retried once, then fails.
fn blame(shared: &Shared, child: &Child, seq: u64, job: &mut Job, exit: ChildExit) {
    let (progress_seq, item) = child.progress.read();
    if progress_seq == seq && item != NO_ITEM && (item as usize) < job.len() {
        let item = item as usize;
        job.sink
            .fail(job.indices[item], TaskErrorKind::WorkerDied(exit));
        let (before, after) = job.split_around(item);
        for part in [after, before].into_iter().flatten() {
            shared.requeue(part);
        }
    } else if job.attempts == 0 {
        job.attempts += 1;
        shared.requeue(job.take());
    } else {
        job.fail_all(TaskErrorKind::WorkerDied(exit));
    }
}
