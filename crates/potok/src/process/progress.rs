//! A worker's progress, in memory shared with its parent: which job and which item of it the
//! worker is running. When a worker dies in the middle of a chunk, this says which item it held,
//! so only that item fails and the rest of the chunk runs again elsewhere.
//!
//! The memory is a `memfd` mapped by both processes; the child writes two atomics per item
//! (a few nanoseconds), the parent reads them only after the child is gone.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

const SIZE: usize = 4096;

/// Item index meaning "decoding the job, no item started yet".
pub(crate) const NO_ITEM: u64 = u64::MAX;

/// The shared page: `[job sequence number, item index]`.
pub(crate) struct Progress {
    ptr: NonNull<AtomicU64>,
}

// SAFETY: the page holds only atomics, and the mapping lives as long as the value.
unsafe impl Send for Progress {}
// SAFETY: as above; all access goes through atomic operations.
unsafe impl Sync for Progress {}

/// Where `/proc/self/fd/N` points for a progress page's memfd (its name, as memfd_create
/// gives it).
pub(crate) const MEMFD_PATH: &str = "/memfd:potok-progress";

/// A new page's memfd (close-on-exec), not mapped here: the fork server makes one for each
/// worker it forks, and only the worker and the pool's process map it.
pub(crate) fn create_memfd() -> io::Result<OwnedFd> {
    use rustix::fs::{ftruncate, memfd_create, MemfdFlags};
    let fd = memfd_create(c"potok-progress", MemfdFlags::CLOEXEC)?;
    ftruncate(&fd, SIZE as u64)?;
    Ok(fd)
}

impl Progress {
    /// Creates a shared page; returns it and the memfd to hand to a child. The memfd is
    /// close-on-exec; the spawner makes it inheritable just for its child's spawn (see
    /// `spawn::spawn_here`). Close it once the child is spawned.
    pub(crate) fn create() -> io::Result<(Progress, OwnedFd)> {
        let fd = create_memfd()?;
        let progress = Progress::map(fd.as_fd())?;
        Ok((progress, fd))
    }

    /// Maps the page behind `fd` (the child's side).
    pub(crate) fn map(fd: BorrowedFd<'_>) -> io::Result<Progress> {
        use rustix::mm::{mmap, MapFlags, ProtFlags};
        // SAFETY: a fresh shared mapping of SIZE bytes of `fd` at an address the kernel picks,
        // so it overlaps no memory of ours; it is unmapped only in `drop`. (The shared page is
        // one of the module's irreducible unsafe: the parent and the child both write it.)
        let ptr = unsafe {
            mmap(
                std::ptr::null_mut(),
                SIZE,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )?
        };
        let ptr =
            NonNull::new(ptr.cast::<AtomicU64>()).expect("mmap never returns null on success");
        Ok(Progress { ptr })
    }

    /// A private page, for a child that was handed none (it still counts; nobody reads it).
    pub(crate) fn private() -> io::Result<Progress> {
        Progress::create().map(|(progress, _fd)| progress)
    }

    fn slot(&self, i: usize) -> &AtomicU64 {
        // SAFETY: the mapping is SIZE bytes, so slots 0 and 1 are in bounds and aligned (page
        // aligned start); the mapping lives as long as `self`.
        unsafe { &*self.ptr.as_ptr().add(i) }
    }

    /// The child starts job `seq`.
    pub(crate) fn start_job(&self, seq: u64) {
        self.slot(1).store(NO_ITEM, Ordering::Relaxed);
        self.slot(0).store(seq, Ordering::Release);
    }

    /// The child starts item `i` of the current job.
    #[inline]
    pub(crate) fn set_item(&self, i: u64) {
        self.slot(1).store(i, Ordering::Release);
    }

    /// What the child was doing last: `(job seq, item)`.
    pub(crate) fn read(&self) -> (u64, u64) {
        let seq = self.slot(0).load(Ordering::Acquire);
        (seq, self.slot(1).load(Ordering::Acquire))
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // SAFETY: unmapping the SIZE bytes mapped in `map`/`private`; no reference outlives self.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), SIZE) };
    }
}
