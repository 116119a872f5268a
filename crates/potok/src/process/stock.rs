//! The pool's process's end of its connection to the fork server, and the workers the server
//! forked ahead of need (the stock).
//!
//! A new pool's workers come from the stock: they were forked, have started, and wait for
//! their IDENTITY (see `forkserver.rs`), so taking one costs no request to the server, no
//! fork and no start-up on the pool's path. Each worker taken is replaced at once by a FORK
//! request that is written and not waited for: the server forks while the new pool goes on,
//! and the answer is read by whoever next uses the connection. On a loaded machine this is
//! what matters most: every process or thread that must wake up on the way to a ready pool
//! may wait for a CPU (measured beside two CPU-bound processes: 3.5 ms per wake-up, often),
//! and a worker from the stock needs none of those wake-ups before it gets its first job.
//!
//! The stock holds as many workers as the largest pool start asked for at once, at most the
//! number of CPUs. A worker in the stock that has ended (killed while it waited) is never
//! handed out: it is reaped and the next is taken. Stock workers are the server's children,
//! so they die with it (and it with the program); they are no processes of the program's
//! until a pool takes them (`active_children()` does not list them).
//!
//! The server answers a REAP before the FORKs it has not started yet (a pool being dropped
//! waits for its REAPs; nobody waits for the stock's FORKs), else in order; [`Link`] keeps
//! the list of the answers owed, so that a REAP waited for collects the FORKED answers that
//! come before it into the stock.

use std::collections::VecDeque;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;
use std::time::Duration;

use rustix::process::{Pid, PidfdFlags, Signal};

use super::cpu::cpu_count;
use super::error::ChildExit;
use super::forkserver::{self, readable, Answer, RequestError, Spawned};
use super::progress::Progress;

/// The number of CPUs, looked up once: each look reads the cgroup's CPU quota files, and once
/// per worker taken that was about 3% of the CPU time of a pool's start-up (measured).
fn cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(cpu_count)
}

/// A forked worker: in the stock, or just taken from it.
pub(crate) struct Waiting {
    pub(crate) pid: u32,
    /// The parent's end of the worker's socket.
    pub(crate) sock: UnixStream,
    pub(crate) progress: Progress,
    /// Readable once the worker has ended; signals it without any risk of a reused pid.
    pub(crate) pidfd: OwnedFd,
}

/// An answer the server owes, for a request written and not answered yet.
enum Owed {
    Fork,
    /// `wanted`: somebody waits for it (else it reaps a discarded stock worker).
    Reap {
        pid: u32,
        wanted: bool,
    },
}

/// The connection to the fork server, with the answers it owes and the stock.
pub(crate) struct Link {
    control: UnixStream,
    owed: VecDeque<Owed>,
    stock: VecDeque<Waiting>,
    /// How many workers the stock is kept at.
    target: usize,
    /// Why the server refused the last FORK (reported by the next [`take`](Self::take)).
    refused: Option<String>,
}

impl Link {
    pub(crate) fn new(control: UnixStream) -> Link {
        Link {
            control,
            owed: VecDeque::new(),
            stock: VecDeque::new(),
            target: 0,
            refused: None,
        }
    }

    /// A forked worker: from the stock if a live one is there, else the next one the server
    /// forks (asked for now if none is owed). The stock is then topped up (the requests are
    /// written, not waited for) to `want`, the most workers asked for at once so far, at most
    /// the number of CPUs.
    pub(crate) fn take(&mut self, want: usize) -> Result<Waiting, RequestError> {
        self.target = self.target.max(want.min(cpus()).max(1));
        self.collect_arrived()?;
        loop {
            while let Some(worker) = self.stock.pop_front() {
                if readable(&worker.pidfd, Some(Duration::ZERO)) {
                    // Ended while it waited (killed): never handed out.
                    self.discard(worker)?;
                    continue;
                }
                self.top_up()?;
                return Ok(worker);
            }
            if let Some(why) = self.refused.take() {
                return Err(RequestError::Refused(why));
            }
            if !self.owed.iter().any(|owed| matches!(owed, Owed::Fork)) {
                self.send_fork()?;
            }
            self.read_one()?;
        }
    }

    /// Reaps the server's workers `pids`, which have ended, and says how each ended (in the
    /// order of `pids`): all asked at once, so the server answers them in one go.
    pub(crate) fn reap(&mut self, pids: &[u32]) -> Result<Vec<ChildExit>, RequestError> {
        forkserver::send_reaps(&self.control, pids)?;
        for &pid in pids {
            self.owed.push_back(Owed::Reap { pid, wanted: true });
        }
        let mut exits = vec![None; pids.len()];
        while exits.iter().any(Option::is_none) {
            if let Some((pid, exit)) = self.read_one()? {
                if let Some(at) = (0..pids.len()).find(|&k| pids[k] == pid && exits[k].is_none()) {
                    exits[at] = Some(exit);
                }
            }
        }
        Ok(exits.into_iter().flatten().collect())
    }

    /// The pids of the workers in the stock, once every answer owed has been read (for
    /// potok's tests: so that every worker the server forked is either in a pool or here).
    pub(crate) fn stock_pids(&mut self) -> Result<Vec<u32>, RequestError> {
        while !self.owed.is_empty() {
            self.read_one()?;
        }
        Ok(self.stock.iter().map(|worker| worker.pid).collect())
    }

    fn send_fork(&mut self) -> Result<(), RequestError> {
        forkserver::send_fork(&self.control)?;
        self.owed.push_back(Owed::Fork);
        Ok(())
    }

    /// Asks for as many forks as the stock lacks.
    fn top_up(&mut self) -> Result<(), RequestError> {
        let forks_owed = self
            .owed
            .iter()
            .filter(|owed| matches!(owed, Owed::Fork))
            .count();
        for _ in self.stock.len() + forks_owed..self.target {
            self.send_fork()?;
        }
        Ok(())
    }

    /// Reads the answers that have arrived already, without waiting for more.
    fn collect_arrived(&mut self) -> Result<(), RequestError> {
        while !self.owed.is_empty() && readable(&self.control, Some(Duration::ZERO)) {
            self.read_one()?;
        }
        Ok(())
    }

    /// Reads the next answer (waiting for it): a fork goes into the stock; the pid and exit
    /// of a waited-for REAP are returned.
    fn read_one(&mut self) -> Result<Option<(u32, ChildExit)>, RequestError> {
        if self.owed.is_empty() {
            return Err(RequestError::Garbled(
                "waiting for an answer that nothing asked for".into(),
            ));
        }
        let answer = forkserver::read_answer(&mut self.control)?;
        let owed = match &answer {
            Answer::Forked(_) | Answer::Refused(_) => {
                self.owed.iter().position(|owed| matches!(owed, Owed::Fork))
            }
            Answer::Reaped { pid, .. } => self
                .owed
                .iter()
                .position(|owed| matches!(owed, Owed::Reap { pid: p, .. } if p == pid)),
        };
        let owed = owed.and_then(|at| self.owed.remove(at)).ok_or_else(|| {
            RequestError::Garbled("an answer to a request that was not made".into())
        })?;
        match (owed, answer) {
            (Owed::Fork, Answer::Forked(spawned)) => {
                self.absorb(spawned)?;
                Ok(None)
            }
            (Owed::Fork, Answer::Refused(why)) => {
                self.refused = Some(why);
                Ok(None)
            }
            (Owed::Reap { wanted: true, .. }, Answer::Reaped { pid, exit }) => {
                Ok(Some((pid, exit)))
            }
            _ => Ok(None),
        }
    }

    /// A new fork joins the stock, watched through a pidfd and with its progress page
    /// mapped; one that cannot be is killed and reaped (and the server counts as refusing).
    fn absorb(&mut self, spawned: Spawned) -> Result<(), RequestError> {
        let pid = i32::try_from(spawned.pid).ok().and_then(Pid::from_raw);
        // Not reaped before we ask, so the pid is still this worker's.
        let pidfd = pid.map(|pid| rustix::process::pidfd_open(pid, PidfdFlags::empty()));
        let progress = Progress::map(spawned.progress.as_fd());
        match (pidfd, progress) {
            (Some(Ok(pidfd)), Ok(progress)) => {
                self.stock.push_back(Waiting {
                    pid: spawned.pid,
                    sock: spawned.sock,
                    progress,
                    pidfd,
                });
                Ok(())
            }
            (pidfd, progress) => {
                let why = match (pidfd, progress) {
                    (Some(Err(err)), _) => err.to_string(),
                    (_, Err(err)) => err.to_string(),
                    _ => "a pid out of range".to_string(),
                };
                // The worker exits when its socket closes (dropped here); killed to be sure,
                // then reaped.
                drop(spawned.sock);
                if let Some(pid) = pid {
                    let _ = rustix::process::kill_process(pid, Signal::KILL);
                }
                forkserver::send_reaps(&self.control, &[spawned.pid])?;
                self.owed.push_back(Owed::Reap {
                    pid: spawned.pid,
                    wanted: false,
                });
                self.refused = Some(format!("could not watch the forked worker: {why}"));
                Ok(())
            }
        }
    }

    /// A stock worker that has ended: reaped (the answer is not waited for).
    fn discard(&mut self, worker: Waiting) -> Result<(), RequestError> {
        let pid = worker.pid;
        drop(worker);
        forkserver::send_reaps(&self.control, &[pid])?;
        self.owed.push_back(Owed::Reap { pid, wanted: false });
        Ok(())
    }
}
