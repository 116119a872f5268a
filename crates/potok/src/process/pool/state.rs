//! The pool's scheduler state: the queue of jobs, each worker slot, and the pool's phase, under
//! one lock, with the condition variables the worker threads wait on.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::job::Job;
use crate::process::child_sock::ChildSock;
use crate::process::error::TaskErrorKind;
use crate::process::spawn::{self, Child, Reaper, Signaller};
use crate::process::task::TaskId;

/// A job given to a worker thread: its sequence number, and the socket a caller already wrote
/// it to, if it was handed to an idle worker (if that worker has been replaced since, the job
/// must be written again).
pub(crate) struct Assigned {
    pub(crate) seq: u64,
    pub(crate) job: Job,
    pub(crate) written_to: Option<Arc<ChildSock>>,
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

/// A job a caller wrote straight to an idle worker's socket, for the slot's thread to collect
/// (or, [`Thread::Direct`], for the caller to read the answer of).
pub(crate) struct Handoff {
    pub(crate) seq: u64,
    pub(crate) job: Job,
    /// The socket it was written to: if the worker has been replaced since, it is written again.
    pub(crate) sock: Arc<ChildSock>,
}

/// Names a job written straight to an idle worker whose answer its caller means to read
/// itself (see [`Thread::Direct`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    pub(crate) slot: usize,
    seq: u64,
}

/// What a slot's thread is doing, as callers see it.
///
/// ```text
///   (a new pool's first workers: Idle before their threads start)
///   Busy ──no job now──▶ Idle ──a job queued (wake_one_idle), or the idle check──▶ Busy
///                         │
///                         └──a caller claims it (nothing queued)──▶ Claimed
///   Claimed ──the caller wrote the job──▶ HandedOff ──its thread collects it──▶ Busy
///   Claimed ──terminated or broken while writing──▶ Busy (the caller fails the job)
///   Claimed ──the caller wrote an apply_async job──▶ Direct ──its caller waits──▶ Reading
///   Direct ──work queued, its result dropped or polled, closed, or the idle check──▶ HandedOff
///   Reading ──the answer read and stored──▶ Idle (Busy if work is queued)
///   Reading ──no answer by the caller's deadline, or the worker died──▶ HandedOff
/// ```
///
/// Only an `Idle` slot with a worker in service is claimed, and a claimed slot's thread takes
/// nothing from the queue until it has collected its hand-off, so its socket carries one job
/// at a time.
///
/// `Direct` and `Reading` save the slot's thread two wake-ups per `apply_async(..).get()`
/// (one to collect the job, one for its answer): the caller that wrote the job reads the
/// answer itself when it waits for it, so only the worker and the caller wake. The thread
/// sleeps meanwhile; the job becomes an ordinary hand-off as soon as nobody waits on it, so
/// it never holds the worker from other work. `waited` says the thread woke meanwhile and
/// waits to be told when the caller is done.
#[derive(Default)]
pub(crate) enum Thread {
    /// Running a job, starting or replacing a worker, or about to look for work.
    #[default]
    Busy,
    /// Waiting on its condition variable for work.
    Idle,
    /// A caller is writing a job to its worker.
    Claimed { waited: bool },
    /// A caller wrote a job to its worker.
    HandedOff(Handoff),
    /// A caller wrote a job to its worker and may read the answer itself.
    Direct(Handoff),
    /// The caller is reading the answer to its job.
    Reading { waited: bool },
}

/// One worker slot, as the pool state sees it.
#[derive(Default)]
pub(crate) struct Slot {
    /// The worker's pid while the child may be running.
    pid: Option<u32>,
    /// What signals it meanwhile (its pidfd if it was forked by the fork server).
    signaller: Option<Signaller>,
    /// What kills and reaps it from here, if it was forked by the fork server.
    reaper: Option<Reaper>,
    /// The parent's end of the worker's socket while it is in service.
    sock: Option<Arc<ChildSock>>,
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
            if let Thread::HandedOff(_) | Thread::Direct(_) = slot.thread {
                if let Thread::HandedOff(h) | Thread::Direct(h) = std::mem::take(&mut slot.thread) {
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
    /// The workers of a terminated pool, left by their threads as they end (see
    /// [`leave_to_reap`](Self::leave_to_reap)).
    left: Mutex<Vec<Child>>,
    /// One per slot: its thread waits there for work.
    wake: Vec<Condvar>,
    seq: AtomicU64,
    pub(crate) initializer: Option<(TaskId, Vec<u8>)>,
    pub(crate) maxtasksperchild: Option<usize>,
}

impl Shared {
    /// The state of a new pool of `processes` slots, all `Busy` (their first workers are
    /// published with [`publish_first_worker`](Self::publish_first_worker)).
    pub(crate) fn new(
        processes: usize,
        initializer: Option<(TaskId, Vec<u8>)>,
        maxtasksperchild: Option<usize>,
    ) -> Shared {
        Shared {
            left: Mutex::new(Vec::new()),
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
        let mut timed_out = false;
        loop {
            if st.phase.is_stopping() {
                return Next::Stop;
            }
            let closed = st.phase.is_closed();
            let me = &mut st.slots[slot];
            match std::mem::take(&mut me.thread) {
                Thread::HandedOff(Handoff { seq, job, sock }) => {
                    return Next::Job(Assigned {
                        seq,
                        job,
                        written_to: Some(sock),
                    });
                }
                // Its caller did not come for the answer: this thread reads it.
                Thread::Direct(Handoff { seq, job, sock }) if closed || timed_out => {
                    return Next::Job(Assigned {
                        seq,
                        job,
                        written_to: Some(sock),
                    });
                }
                direct @ Thread::Direct(_) => me.thread = direct,
                // A caller is writing a job to this worker, or reading its answer: wait until
                // it is done, whatever `wait` says.
                Thread::Claimed { .. } => me.thread = Thread::Claimed { waited: true },
                Thread::Reading { .. } => me.thread = Thread::Reading { waited: true },
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
            timed_out = self.wake[slot].wait_for(&mut st, IDLE_CHECK).timed_out();
            if timed_out {
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

    /// Wakes one idle worker thread, if any (and marks it busy, so the next wake picks another);
    /// else a thread whose worker's answer waits for a caller who is not reading it yet: the
    /// thread takes it over, and is then free for the work.
    fn wake_one_idle(&self, st: &mut State) {
        let idle = st
            .slots
            .iter()
            .position(|s| matches!(s.thread, Thread::Idle));
        if let Some(slot) = idle {
            st.slots[slot].thread = Thread::Busy;
            self.wake[slot].notify_one();
            return;
        }
        let direct = st
            .slots
            .iter()
            .position(|s| matches!(s.thread, Thread::Direct(_)));
        if let Some(slot) = direct {
            Self::undirect(st, slot);
            self.wake[slot].notify_one();
        }
    }

    /// A `Direct` hand-off becomes an ordinary one, for the slot's thread.
    fn undirect(st: &mut State, slot: usize) {
        let me = &mut st.slots[slot];
        if let Thread::Direct(h) = std::mem::take(&mut me.thread) {
            me.thread = Thread::HandedOff(h);
        }
    }

    /// Gives the caller of `ticket` its job to read the answer of, unless its slot's thread
    /// has taken it over already.
    pub(crate) fn take_direct(&self, ticket: Ticket) -> Option<Handoff> {
        let mut st = self.state.lock();
        let me = &mut st.slots[ticket.slot];
        match std::mem::take(&mut me.thread) {
            Thread::Direct(h) if h.seq == ticket.seq => {
                me.thread = Thread::Reading { waited: false };
                Some(h)
            }
            other => {
                me.thread = other;
                None
            }
        }
    }

    /// The caller of a [`take_direct`](Self::take_direct) is done: with `None` the answer was
    /// read and stored; with the job, it was not (deadline, or the worker died), and the
    /// slot's thread reads it (or finds out what happened).
    pub(crate) fn end_direct(&self, slot: usize, unread: Option<Handoff>) {
        let mut st = self.state.lock();
        let Thread::Reading { waited } = st.slots[slot].thread else {
            unreachable!("a slot being read by its caller changes only by that caller");
        };
        match unread {
            None => {
                let queued = !st.queue.is_empty();
                st.slots[slot].thread = if queued { Thread::Busy } else { Thread::Idle };
                if waited || queued || st.phase != Phase::Open {
                    drop(st);
                    self.wake[slot].notify_one();
                }
            }
            Some(h) => {
                let failure = match &st.phase {
                    Phase::Terminated => Some(TaskErrorKind::Terminated),
                    Phase::Broken { why, .. } => Some(TaskErrorKind::PoolBroken(why.clone())),
                    Phase::Open | Phase::Closed => None,
                };
                let job = match failure {
                    // Nobody would collect it: its thread stops, and terminate or the
                    // breakage failed only what it found.
                    Some(_) => {
                        st.slots[slot].thread = Thread::Busy;
                        Some(h.job)
                    }
                    None => {
                        st.slots[slot].thread = Thread::HandedOff(h);
                        None
                    }
                };
                drop(st);
                self.wake[slot].notify_one();
                if let (Some(job), Some(kind)) = (job, failure) {
                    job.fail_all(kind);
                }
            }
        }
    }

    /// The caller of `ticket` will not read the answer itself (its result was dropped, or is
    /// polled): the slot's thread reads it, if it has not already.
    pub(crate) fn release_direct(&self, ticket: Ticket) {
        let mut st = self.state.lock();
        if matches!(&st.slots[ticket.slot].thread, Thread::Direct(h) if h.seq == ticket.seq) {
            Self::undirect(&mut st, ticket.slot);
            drop(st);
            self.wake[ticket.slot].notify_one();
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

    /// Terminated: every worker is sent SIGKILL (under the lock, so that a worker signalled by
    /// pid is not reaped, and its pid reused, meanwhile) and every job that no worker holds
    /// fails. The workers forked by the fork server are reaped here and now, with one request
    /// to the server for all (their threads, woken to stop, find them reaped); the others by
    /// their threads. True if every slot's worker was reaped here: each thread then only
    /// stops (it starts no new worker once terminated), and nobody needs to wait for it.
    ///
    /// Reaping them here takes the threads off the way: a thread woken to kill and reap its
    /// worker may wait milliseconds for a CPU on a loaded machine, and then its answer from
    /// the server as long again (see `reap_cell.rs`).
    pub(crate) fn terminate(&self) -> bool {
        let (unowned, reapers, every_slot) = {
            let mut st = self.state.lock();
            st.phase = Phase::Terminated;
            for signaller in st.slots.iter().filter_map(|s| s.signaller.as_ref()) {
                signaller.signal(rustix::process::Signal::KILL);
            }
            let reapers: Vec<Reaper> = st.slots.iter().filter_map(|s| s.reaper.clone()).collect();
            let every_slot = reapers.len() == st.slots.len();
            (st.drain_unowned(), reapers, every_slot)
        };
        self.wake_all();
        for job in unowned {
            job.fail_all(TaskErrorKind::Terminated);
        }
        spawn::kill_and_reap_now(&reapers);
        every_slot
    }

    /// The slot's worker is gone or going: no signal or job may reach it any more.
    pub(crate) fn forget_worker(&self, slot: usize) {
        let mut st = self.state.lock();
        let me = &mut st.slots[slot];
        me.pid = None;
        me.signaller = None;
        me.reaper = None;
        me.sock = None;
    }

    /// Publishes a replacement worker's pid as soon as it is spawned, before its handshake and
    /// initializer, so that `Pool::terminate` can kill it while it starts; false if the pool
    /// was terminated meanwhile. No job is handed to it until [`publish_worker`](Self::publish_worker).
    pub(crate) fn publish_pid(&self, slot: usize, child: &Child) -> bool {
        let mut st = self.state.lock();
        if st.phase == Phase::Terminated {
            return false;
        }
        let me = &mut st.slots[slot];
        me.pid = Some(child.pid);
        me.signaller = Some(child.signaller());
        me.reaper = child.reaper();
        true
    }

    /// Publishes a new worker; false if the pool was terminated meanwhile.
    pub(crate) fn publish_worker(&self, slot: usize, child: &Child) -> bool {
        let mut st = self.state.lock();
        if st.phase == Phase::Terminated {
            return false;
        }
        let me = &mut st.slots[slot];
        me.pid = Some(child.pid);
        me.signaller = Some(child.signaller());
        me.reaper = child.reaper();
        me.sock = Some(Arc::clone(&child.sock));
        true
    }

    /// A terminated pool's thread leaves its worker here (told to die) as it ends; the last of
    /// the pool's threads to do so reaps them all at once (`spawn::wait_all`: one request to
    /// the fork server for all, instead of one round trip per thread in turn). Workers of a
    /// pool whose threads did not all end this way are reaped by [`reap_left`](Self::reap_left).
    pub(crate) fn leave_to_reap(&self, child: Child) {
        let mut all = {
            let mut left = self.left.lock();
            left.push(child);
            if left.len() == self.wake.len() {
                std::mem::take(&mut *left)
            } else {
                Vec::new()
            }
        };
        spawn::wait_all(&mut all);
    }

    /// Reaps the workers left by [`leave_to_reap`](Self::leave_to_reap) and not reaped yet
    /// (`Pool::join`, once every thread has ended).
    pub(crate) fn reap_left(&self) {
        let mut left = std::mem::take(&mut *self.left.lock());
        spawn::wait_all(&mut left);
    }

    /// Publishes one of a new pool's first workers, before its slot's thread starts. The slot
    /// is `Idle` at once, so that the first task is handed to the worker by its caller
    /// without waiting for the thread to start (on a loaded machine a new thread may wait
    /// milliseconds for a CPU); the thread finds the hand-off when it looks for work.
    pub(crate) fn publish_first_worker(&self, slot: usize, child: &Child) {
        if self.publish_worker(slot, child) {
            self.state.lock().slots[slot].thread = Thread::Idle;
        }
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
        self.submit_as(job, false).map(|_| ())
    }

    /// [`submit`](Self::submit), and if the job was written straight to an idle worker, a
    /// ticket with which its caller may read the answer itself ([`Thread::Direct`]). Not with
    /// `maxtasksperchild`, where the slot's thread counts every task its worker runs.
    pub(crate) fn submit_direct(&self, job: Job) -> Result<Option<Ticket>, Job> {
        let direct = self.maxtasksperchild.is_none();
        self.submit_as(job, direct)
    }

    fn submit_as(&self, job: Job, direct: bool) -> Result<Option<Ticket>, Job> {
        let mut st = self.state.lock();
        match &st.phase {
            Phase::Open => {}
            Phase::Broken { why, closed: false } => {
                let why = why.clone();
                drop(st);
                job.fail_all(TaskErrorKind::PoolBroken(why));
                return Ok(None);
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
            return Ok(None);
        };
        let me = &mut st.slots[slot];
        me.thread = Thread::Claimed { waited: false };
        let sock = Arc::clone(me.sock.as_ref().expect("checked above"));
        drop(st);
        let seq = self.next_seq();
        // A failed write means the worker is dead: its thread finds out on reading.
        let _ = sock.send_all(&job.frame(seq));
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
                let me = &mut st.slots[slot];
                let waited = matches!(me.thread, Thread::Claimed { waited: true });
                let handoff = Handoff { seq, job, sock };
                // Closed meanwhile: the thread is about to stop, and must collect it first.
                let direct = direct && st.phase == Phase::Open;
                let me = &mut st.slots[slot];
                if direct {
                    me.thread = Thread::Direct(handoff);
                } else {
                    me.thread = Thread::HandedOff(handoff);
                }
                drop(st);
                // The thread sleeps through a Direct hand-off, unless it woke meanwhile.
                if !direct || waited {
                    self.wake[slot].notify_one();
                }
                if direct {
                    return Ok(Some(Ticket { slot, seq }));
                }
            }
        }
        Ok(None)
    }
}
