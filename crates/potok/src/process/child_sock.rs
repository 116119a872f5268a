//! The parent's end of a child's socket, and what must reach the child before anything else
//! written to it.
//!
//! A worker from the fork server's stock waits for its IDENTITY (see `forkserver.rs`) before
//! it reads a job. Written as soon as a pool takes the worker, the IDENTITY wakes it, it
//! adopts who it is and goes back to sleep, and the first job wakes it a second time; on a
//! loaded machine each wake-up may wait milliseconds for a CPU (measured beside CPython's
//! `pool.py`: 13.6 ms for the second one). So the IDENTITY is held here and goes out in the
//! same write as the first frame the pool writes to the worker (its first job, or its
//! initializer): one wake-up for both. A worker that is dropped before anything is written
//! reads end-of-file where its IDENTITY would be and exits quietly.
//!
//! Every write to a child goes through [`ChildSock::send_all`] or
//! [`ChildSock::send_with_fds`], which put the held bytes first; [`ChildSock::stream`] is for
//! reading, polling, timeouts and shutting down.

use std::io;
use std::os::fd::RawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use super::fdpass;
use super::wire;

/// A child's socket, as its parent holds it (shared by the pool's thread for the worker and
/// the callers that hand the worker a job).
pub(crate) struct ChildSock {
    stream: UnixStream,
    /// Bytes the child must read first, not written yet.
    ahead: Mutex<Option<Vec<u8>>>,
    /// Whether `ahead` holds bytes (so that every later write skips the lock).
    pending: AtomicBool,
    /// Whether the child has answered anything yet (see [`has_answered`](Self::has_answered)).
    answered: AtomicBool,
}

impl ChildSock {
    pub(crate) fn new(stream: UnixStream) -> ChildSock {
        ChildSock {
            stream,
            ahead: Mutex::new(None),
            pending: AtomicBool::new(false),
            answered: AtomicBool::new(false),
        }
    }

    /// Whether an answer of the child's has been read. Its first one comes only after its
    /// first run since it was forked (page faults, its IDENTITY), far later than a round trip
    /// of a worker that has run before: a caller waiting for it sleeps at once instead of
    /// looking for it awake first (see `wait_readable` in `pool/worker.rs`).
    pub(crate) fn has_answered(&self) -> bool {
        self.answered.load(Ordering::Relaxed)
    }

    /// An answer of the child's was read.
    pub(crate) fn answered(&self) {
        if !self.answered.load(Ordering::Relaxed) {
            self.answered.store(true, Ordering::Relaxed);
        }
    }

    /// Holds `bytes` (whole frames) to go out ahead of the next write.
    pub(crate) fn hold_ahead(&self, bytes: Vec<u8>) {
        let mut ahead = self.ahead.lock();
        match ahead.as_mut() {
            Some(held) => held.extend_from_slice(&bytes),
            None => *ahead = Some(bytes),
        }
        self.pending.store(true, Ordering::Release);
    }

    /// The held bytes, if any (taken: they are written once).
    fn take_ahead(&self) -> Option<Vec<u8>> {
        if !self.pending.load(Ordering::Acquire) {
            return None;
        }
        let held = self.ahead.lock().take();
        self.pending.store(false, Ordering::Release);
        held
    }

    /// Writes `bytes` (whole frames), after what is held ahead of them, in one write.
    pub(crate) fn send_all(&self, bytes: &[u8]) -> io::Result<()> {
        match self.take_ahead() {
            None => wire::send_all(&self.stream, bytes),
            Some(mut first) => {
                first.extend_from_slice(bytes);
                wire::send_all(&self.stream, &first)
            }
        }
    }

    /// Writes `frame` with the descriptors `fds` (see `fdpass.rs`), after what is held ahead.
    pub(crate) fn send_with_fds(&self, frame: &[u8], fds: &[RawFd]) -> io::Result<()> {
        if fds.is_empty() {
            return self.send_all(frame);
        }
        if let Some(first) = self.take_ahead() {
            wire::send_all(&self.stream, &first)?;
        }
        fdpass::send_frame(&self.stream, frame, fds)
    }

    /// The socket itself: for reading, polling, timeouts and shutting down (writes go through
    /// [`send_all`](Self::send_all)).
    pub(crate) fn stream(&self) -> &UnixStream {
        &self.stream
    }
}
