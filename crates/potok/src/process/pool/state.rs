//! The pool's scheduler state: the queue of jobs, each worker slot, and the pool's phase, under
//! one lock, with the condition variables the worker threads wait on.

use std::collections::VecDeque;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::job::Job;
use crate::process::error::TaskErrorKind;
use crate::process::spawn::{self, Child};
use crate::process::task::TaskId;
use crate::process::wire;

/// A job given to a worker thread: its sequence number, and the socket a caller already wrote
/// it to, if it was handed to an idle worker (if that worker has been replaced since, the job
/// must be written again).
pub(crate) struct Assigned {
    pub(crate) seq: u64,
    pub(crate) job: Job,
    pub(crate) written_to: Option<Arc<UnixStream>>,
}

/// What a worker thread is to do next.
pub(crate) enum Next {
    /// Run this job.
    Job(Assigned),
    /// Nothing came for a while: check that the worker is still alive, then ask again.
    Check,
    /// Stop: closed and nothing left, terminated, or broken (or, without waiting, no job now).
    Stop,
}

/// How long an idle worker thread waits before checking that its worker is alive, so a worker
/// that dies while idle is reaped and replaced within this time (Python's pool checks every
/// 0.1 s).
const IDLE_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// The pool's phase. `close` and `terminate` move it on; a worker that cannot be replaced
/// breaks it.
///
/// ```text
///   Open ──close──▶ Closed
///    │                │
///    └──cannot start a worker──▶ Broken { closed } ◀──┘   (close: closed = true)
///   Open, Closed, Broken ──terminate──▶ Terminated   (final)
/// ```
///
/// Work is taken only while `Open`. In `Closed` the workers finish what is queued, then stop;
/// `Broken` and `Terminated` fail whatever is queued or handed off, and every worker thread
/// stops. `join` is allowed once closed (in `Closed` or `Broken { closed: true }`) or
/// terminated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    Open,
    Closed,
    Broken { why: String, closed: bool },
    Terminated,
}

impl Phase {
    fn is_closed(&self) -> bool {
        matches!(self, Phase::Closed | Phase::Broken { closed: true, .. })
    }

    /// Terminated or broken: worker threads stop, queued work fails.
    fn is_stopping(&self) -> bool {
        matches!(self, Phase::Terminated | Phase::Broken { .. })
    }
}

/// A job a caller wrote straight to an idle worker's socket, for the slot's thread to collect.
pub(crate) struct Handoff {
    seq: u64,
    job: Job,
    /// The socket it was written to: if the worker has been replaced since, it is written again.
    sock: Arc<UnixStream>,
}

/// What a slot's thread is doing, as callers see it.
///
/// ```text
///   Busy ──no job now──▶ Idle ──a job queued (wake_one_idle), or the idle check──▶ Busy
///                         │
///                         └──a caller claims it (nothing queued)──▶ Claimed
///   Claimed ──the caller wrote the job──▶ HandedOff ──its thread collects it──▶ Busy
///   Claimed ──terminated or broken while writing──▶ Busy (the caller fails the job)
/// ```
///
/// Only an `Idle` slot with a worker in service is claimed, and a claimed slot's thread takes
/// nothing from the queue until it has collected its hand-off, so its socket carries one job
/// at a time.
#[derive(Default)]
pub(crate) enum Thread {
    /// Running a job, starting or replacing a worker, or about to look for work.
    #[default]
    Busy,
    /// Waiting on its condition variable for work.
    Idle,
    /// A caller is writing a job to its worker.
    Claimed,
    /// A caller wrote a job to its worker.
    HandedOff(Handoff),
}

/// One worker slot, as the pool state sees it.
#[derive(Default)]
pub(crate) struct Slot {
    /// The worker's pid while the child may be running.
    pid: Option<u32>,
    /// The parent's end of the worker's socket while it is in service.
    sock: Option<Arc<UnixStream>>,
    thread: Thread,
}

/// Everything under the pool's lock.
pub(crate) struct State {
    queue: VecDeque<Job>,
    phase: Phase,
    slots: Vec<Slot>,
}

impl State {
    /// Every job that is no worker's: queued, or handed off but not collected.
    fn drain_unowned(&mut self) -> Vec<Job> {
        let mut jobs: Vec<Job> = self.queue.drain(..).collect();
        for slot in &mut self.slots {
            if let Thread::HandedOff(_) = slot.thread {
                if let Thread::HandedOff(h) = std::mem::take(&mut slot.thread) {
                    jobs.push(h.job);
                }
            }
        }
        jobs
    }
}

/// What the pool and its worker threads share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// One per slot: its thread waits there for work.
    wake: Vec<Condvar>,
    seq: AtomicU64,
    pub(crate) initializer: Option<(TaskId, Vec<u8>)>,
    pub(crate) maxtasksperchild: Option<usize>,
}

impl Shared {
    /// The state of a new pool of `processes` slots, all `Busy` (their threads start later).
    pub(crate) fn new(
        processes: usize,
        initializer: Option<(TaskId, Vec<u8>)>,
        maxtasksperchild: Option<usize>,
    ) -> Shared {
        Shared {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                phase: Phase::Open,
                slots: (0..processes).map(|_| Slot::default()).collect(),
            }),
            wake: (0..processes).map(|_| Condvar::new()).collect(),
            seq: AtomicU64::new(0),
            initializer,
            maxtasksperchild,
        }
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The next job for `slot`: one a caller handed off, or the oldest queued. With `wait`, waits
    /// for one (returning [`Next::Check`] now and then while idle); without, returns
    /// [`Next::Stop`] when there is none now.
    pub(crate) fn next_job(&self, slot: usize, wait: bool) -> Next {
        let mut st = self.state.lock();
        loop {
            if st.phase.is_stopping() {
                return Next::Stop;
            }
            let me = &mut st.slots[slot];
            match std::mem::take(&mut me.thread) {
                Thread::HandedOff(Handoff { seq, job, sock }) => {
                    return Next::Job(Assigned {
                        seq,
                        job,
                        written_to: Some(sock),
                    });
                }
                // A caller is writing a job to this worker: wait for it, whatever `wait` says.
                Thread::Claimed => me.thread = Thread::Claimed,
                Thread::Busy | Thread::Idle => {
                    if let Some(job) = st.queue.pop_front() {
                        return Next::Job(Assigned {
                            seq: self.next_seq(),
                            job,
                            written_to: None,
                        });
                    }
                    if st.phase.is_closed() || !wait {
                        return Next::Stop;
                    }
                    st.slots[slot].thread = Thread::Idle;
                }
            }
            if self.wake[slot].wait_for(&mut st, IDLE_CHECK).timed_out() {
                let me = &mut st.slots[slot];
                if let Thread::Idle = me.thread {
                    me.thread = Thread::Busy;
                    return Next::Check;
                }
            }
        }
    }

    /// Up to `count` queued jobs for a worker thread that has jobs in flight already, without
    /// waiting: as many as fit in `room` item bytes (the first one whatever its size if
    /// `first_may_exceed`). None once the pool is terminated or broken.
    pub(crate) fn next_jobs(
        &self,
        count: usize,
        mut room: usize,
        first_may_exceed: bool,
    ) -> Vec<Assigned> {
        let mut st = self.state.lock();
        let mut jobs = Vec::new();
        if st.phase.is_stopping() {
            return jobs;
        }
        while jobs.len() < count {
            let Some(front) = st.queue.front() else {
                break;
            };
            let size = front.bytes.len();
            if size > room && !(first_may_exceed && jobs.is_empty()) {
                break;
            }
            room = room.saturating_sub(size);
            let job = st.queue.pop_front().expect("checked above");
            jobs.push(Assigned {
                seq: self.next_seq(),
                job,
                written_to: None,
            });
        }
        jobs
    }

    pub(crate) fn requeue(&self, job: Job) {
        let mut st = self.state.lock();
        match &st.phase {
            Phase::Terminated => {
                drop(st);
                job.fail_all(TaskErrorKind::Terminated);
            }
            Phase::Broken { why, .. } => {
                let why = why.clone();
                drop(st);
                job.fail_all(TaskErrorKind::PoolBroken(why));
            }
            Phase::Open | Phase::Closed => {
                st.queue.push_front(job);
                self.wake_one_idle(&mut st);
            }
        }
    }

    /// Wakes one idle worker thread, if any (and marks it busy, so the next wake picks another).
    fn wake_one_idle(&self, st: &mut State) {
        if let Some(slot) = st
            .slots
            .iter()
            .position(|s| matches!(s.thread, Thread::Idle))
        {
            st.slots[slot].thread = Thread::Busy;
            self.wake[slot].notify_one();
        }
    }

    fn wake_all(&self) {
        for cond in &self.wake {
            cond.notify_all();
        }
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.state.lock().phase == Phase::Terminated
    }

    /// Closed or terminated: new work is refused, and `join` may wait for the workers.
    pub(crate) fn closed_or_terminated(&self) -> bool {
        let st = self.state.lock();
        st.phase.is_closed() || st.phase == Phase::Terminated
    }

    /// The current phase and the number of queued jobs, for `Debug`.
    pub(crate) fn describe(&self) -> (Phase, usize) {
        let st = self.state.lock();
        (st.phase.clone(), st.queue.len())
    }

    /// The pids of the current workers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.state
            .lock()
            .slots
            .iter()
            .filter_map(|s| s.pid)
            .collect()
    }

    /// Takes no more work; the workers finish what is queued, then stop.
    pub(crate) fn close(&self) {
        {
            let mut st = self.state.lock();
            st.phase = match std::mem::replace(&mut st.phase, Phase::Open) {
                Phase::Open => Phase::Closed,
                Phase::Broken { why, .. } => Phase::Broken { why, closed: true },
                other => other,
            };
        }
        self.wake_all();
    }

    /// Terminated: every worker is sent SIGKILL (under the lock, so no pid is reused meanwhile)
    /// and every job that no worker holds fails.
    pub(crate) fn terminate(&self) {
        let unowned = {
            let mut st = self.state.lock();
            st.phase = Phase::Terminated;
            for pid in st.slots.iter().filter_map(|s| s.pid) {
                spawn::signal_pid(pid, rustix::process::Signal::KILL);
            }
            st.drain_unowned()
        };
        self.wake_all();
        for job in unowned {
            job.fail_all(TaskErrorKind::Terminated);
        }
    }

    /// The slot's worker is gone or going: no signal or job may reach it any more.
    pub(crate) fn forget_worker(&self, slot: usize) {
        let mut st = self.state.lock();
        st.slots[slot].pid = None;
        st.slots[slot].sock = None;
    }

    /// Publishes a replacement worker's pid as soon as it is spawned, before its handshake and
    /// initializer, so that `Pool::terminate` can kill it while it starts; false if the pool
    /// was terminated meanwhile. No job is handed to it until [`publish_worker`](Self::publish_worker).
    pub(crate) fn publish_pid(&self, slot: usize, pid: u32) -> bool {
        let mut st = self.state.lock();
        if st.phase == Phase::Terminated {
            return false;
        }
        st.slots[slot].pid = Some(pid);
        true
    }

    /// Publishes a new worker; false if the pool was terminated meanwhile.
    pub(crate) fn publish_worker(&self, slot: usize, child: &Child) -> bool {
        let mut st = self.state.lock();
        if st.phase == Phase::Terminated {
            return false;
        }
        st.slots[slot].pid = Some(child.pid);
        st.slots[slot].sock = Some(Arc::clone(&child.sock));
        true
    }

    /// No worker can be started any more: every waiting task fails, and so will new ones.
    pub(crate) fn break_pool(&self, why: String) {
        let jobs = {
            let mut st = self.state.lock();
            st.phase = match std::mem::replace(&mut st.phase, Phase::Open) {
                Phase::Open => Phase::Broken {
                    why: why.clone(),
                    closed: false,
                },
                Phase::Closed => Phase::Broken {
                    why: why.clone(),
                    closed: true,
                },
                other => other,
            };
            st.drain_unowned()
        };
        self.wake_all();
        for job in jobs {
            job.fail_all(TaskErrorKind::PoolBroken(why.clone()));
        }
    }

    /// Queues a job, or writes it straight to an idle worker when nothing is queued (saving
    /// that worker's thread a wake-up on the way there). `Err` gives the job back if the pool
    /// takes no more work.
    pub(crate) fn submit(&self, job: Job) -> Result<(), Job> {
        let mut st = self.state.lock();
        match &st.phase {
            Phase::Open => {}
            Phase::Broken { why, closed: false } => {
                let why = why.clone();
                drop(st);
                job.fail_all(TaskErrorKind::PoolBroken(why));
                return Ok(());
            }
            Phase::Closed | Phase::Broken { closed: true, .. } | Phase::Terminated => {
                return Err(job)
            }
        }
        let idle = st
            .slots
            .iter()
            .position(|s| matches!(s.thread, Thread::Idle) && s.sock.is_some());
        let Some(slot) = idle.filter(|_| st.queue.is_empty()) else {
            st.queue.push_back(job);
            self.wake_one_idle(&mut st);
            return Ok(());
        };
        let me = &mut st.slots[slot];
        me.thread = Thread::Claimed;
        let sock = Arc::clone(me.sock.as_ref().expect("checked above"));
        drop(st);
        let seq = self.next_seq();
        // A failed write means the worker is dead: its thread finds out on reading.
        let _ = wire::send_all(&sock, &job.frame(seq));
        let mut st = self.state.lock();
        match &st.phase {
            Phase::Terminated => {
                st.slots[slot].thread = Thread::Busy;
                drop(st);
                job.fail_all(TaskErrorKind::Terminated);
            }
            // The pool broke while the lock was released: the slot's thread has seen that and
            // retired (next_job returns Stop), so a hand-off would never be picked up.
            Phase::Broken { why, .. } => {
                let why = why.clone();
                st.slots[slot].thread = Thread::Busy;
                drop(st);
                job.fail_all(TaskErrorKind::PoolBroken(why));
            }
            Phase::Open | Phase::Closed => {
                st.slots[slot].thread = Thread::HandedOff(Handoff { seq, job, sock });
                drop(st);
                self.wake[slot].notify_one();
            }
        }
        Ok(())
    }
}
