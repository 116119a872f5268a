//! The lock word's protocol, in a segment's [`Header`]: a futex shared between processes.
//!
//! The word is 0 when free, else the holding thread's id (a Linux tid: unique among the live
//! threads of the whole system), with [`WAITERS`] set once a waiter may be asleep on it. Taking
//! it is one compare-and-swap from 0 and one store of who took it (`pid << 32 | tid`; the
//! process's name is written again only when another process than the last one recorded
//! takes it); giving it back is a swap to 0, and a `FUTEX_WAKE` only when [`WAITERS`] was set
//! (the three states of a futex lock: free, held, held with sleepers). All of it is in one
//! cache line (see [`Header`]). A waiter first spins a little ([`SPINS`] looks) while nobody
//! sleeps on the word, which under contention takes most locks with no system call on either
//! side; then it sets [`WAITERS`] and sleeps in `FUTEX_WAIT` (shared, not private: the word is
//! in memory mapped by several processes) for at most [`SLICE`] at a time; each time a slice
//! ends with the word unchanged, it checks whether the holder thread still exists
//! (`/proc/TID/status`: gone, a zombie, or now a thread of another process means dead). A dead
//! holder's word is taken over with one compare-and-swap and the taker is told
//! ([`Died`]); so a holder killed mid-hold costs the next acquirer one slice, never a hang.
//!
//! Because the word names its holder, only the holder may release (unlike Python's
//! `multiprocessing.Lock`): that is what makes death detectable, and what lets `Value`'s guard
//! hand out `&mut T`.
//!
//! Limit: a tid reused by a new thread of the same process (pid) as the dead holder would
//! look alive; Linux hands out ids in increasing order up to `pid_max` before wrapping, so that
//! needs the whole id space to wrap while the lock is held.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustix::thread::futex;

use super::segment::{pack_str, Header};

/// Set in the word when a waiter may be asleep on it.
pub(crate) const WAITERS: u32 = 1 << 31;

/// How many times a waiter looks at a held word before it sleeps (as std's futex mutex: a
/// few microseconds at most), while nobody sleeps on it already.
const SPINS: u32 = 100;

/// How long a waiter sleeps before it checks that the holder is alive.
pub(crate) const SLICE: Duration = Duration::from_millis(20);

/// A holder that died, as the taker found it.
#[derive(Debug)]
pub(crate) struct Died {
    pub(crate) tid: u32,
    /// 0 when the holder died before recording its pid.
    pub(crate) pid: u32,
    pub(crate) label: String,
}

/// Why a wait ended without the lock.
#[derive(Debug)]
pub(crate) enum Failed {
    /// The deadline passed (or, for a try, the lock was held by a live holder).
    Busy,
    /// The calling thread holds the lock itself and no deadline was given: it would wait
    /// forever.
    SelfWait,
}

thread_local! {
    static TID: Cell<u32> = const { Cell::new(0) };
}

/// This thread's id (cached: one system call per thread).
#[inline]
pub(crate) fn my_tid() -> u32 {
    TID.with(|cell| {
        let tid = cell.get();
        if tid != 0 {
            return tid;
        }
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        cell.set(tid);
        tid
    })
}

/// This process's pid and what it calls itself, packed for the header.
#[inline]
pub(crate) fn me() -> &'static (u32, [u64; 4]) {
    static ME: OnceLock<(u32, [u64; 4])> = OnceLock::new();
    ME.get_or_init(|| {
        let name = super::super::identity::my_name();
        (std::process::id(), pack_str(name))
    })
}

/// Writes who holds the word now (right after taking it): one store, plus the process's name
/// when the last name recorded is another process's.
#[inline]
fn record(header: &Header, tid: u32) {
    let (pid, label) = me();
    header
        .holder
        .store((u64::from(*pid) << 32) | u64::from(tid), Ordering::Relaxed);
    if header.label_pid.load(Ordering::Relaxed) != *pid {
        record_label(header, *pid, label);
    }
}

#[cold]
fn record_label(header: &Header, pid: u32, label: &[u64; 4]) {
    // 0 first: a process killed half-way leaves no label claimed by the wrong pid.
    header.label_pid.store(0, Ordering::Relaxed);
    for (slot, word) in header.label.iter().zip(label) {
        slot.store(*word, Ordering::Relaxed);
    }
    header.label_pid.store(pid, Ordering::Relaxed);
}

/// Takes the word if it is free.
#[inline]
pub(crate) fn try_lock_fast(header: &Header) -> bool {
    let tid = my_tid();
    if header
        .word
        .compare_exchange(0, tid, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
    {
        record(header, tid);
        true
    } else {
        false
    }
}

/// Whether process `pid` is gone (or a zombie).
pub(crate) fn process_dead(pid: u32) -> bool {
    is_dead(pid, pid)
}

/// Whether thread `tid` of process `pid` (0: any process) is gone.
fn is_dead(tid: u32, pid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return true;
    };
    let field = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .map(str::trim)
    };
    let zombie = field("State:").is_some_and(|s| s.starts_with('Z') || s.starts_with('X'));
    let other_process = pid != 0 && field("Tgid:").and_then(|s| s.parse::<u32>().ok()) != Some(pid);
    zombie || other_process
}

/// What the header says about holder `tid` (pid 0 when its record is stale).
fn holder_record(header: &Header, tid: u32) -> (u32, String) {
    let holder = header.holder.load(Ordering::Relaxed);
    if holder as u32 != tid {
        return (0, "unknown: it died before recording itself".to_owned());
    }
    let pid = (holder >> 32) as u32;
    let label = if header.label_pid.load(Ordering::Relaxed) == pid {
        super::segment::load_str(&header.label)
    } else {
        format!("process {pid}")
    };
    (pid, label)
}

/// Takes over the word from a dead holder if it still holds `seen`.
fn take_over(header: &Header, seen: u32, pid: u32, label: String) -> Option<Died> {
    let tid = my_tid();
    // Keep WAITERS: others may be asleep behind us.
    header
        .word
        .compare_exchange(seen, tid | WAITERS, Ordering::Acquire, Ordering::Relaxed)
        .ok()?;
    record(header, tid);
    Some(Died {
        tid: seen & !WAITERS,
        pid,
        label,
    })
}

/// If the word's holder is dead, takes it over.
fn check_holder(header: &Header, seen: u32) -> Option<Died> {
    let holder = seen & !WAITERS;
    let (pid, label) = holder_record(header, holder);
    if is_dead(holder, pid) {
        take_over(header, seen, pid, label)
    } else {
        None
    }
}

/// Takes the word without waiting; a dead holder's word is taken over.
pub(crate) fn try_lock(header: &Header) -> Result<Option<Died>, Failed> {
    if try_lock_fast(header) {
        return Ok(None);
    }
    let seen = header.word.load(Ordering::Relaxed);
    if seen != 0 && seen & !WAITERS != my_tid() {
        if let Some(died) = check_holder(header, seen) {
            return Ok(Some(died));
        }
    }
    if try_lock_fast(header) {
        return Ok(None);
    }
    Err(Failed::Busy)
}

/// Waits for the word until `deadline` (`None`: for ever, as long as the holder lives).
/// `Ok(Some(_))`: taken over from a dead holder.
pub(crate) fn lock_until(
    header: &Header,
    deadline: Option<Instant>,
) -> Result<Option<Died>, Failed> {
    if try_lock_fast(header) {
        return Ok(None);
    }
    let me = my_tid();
    // First spin a little while the holder is the only one waiting for (no WAITERS):
    // critical sections are short, and a lock taken this way costs its holder no
    // FUTEX_WAKE and us no FUTEX_WAIT (two system calls and a sleep, far more than the few
    // microseconds spun).
    let mut spins = 0;
    loop {
        let seen = header.word.load(Ordering::Relaxed);
        if spins < SPINS {
            if seen == 0 {
                if header
                    .word
                    .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    record(header, me);
                    return Ok(None);
                }
                spins += 1;
                continue;
            }
            if seen & WAITERS == 0 && seen != me {
                std::hint::spin_loop();
                spins += 1;
                continue;
            }
            // Others sleep already, or it is our own: go to sleep at once.
            spins = SPINS;
        }
        if seen == 0 {
            // Someone may be asleep behind us: take it with WAITERS set, so our release
            // wakes them.
            if header
                .word
                .compare_exchange(0, me | WAITERS, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                record(header, me);
                return Ok(None);
            }
            continue;
        }
        let self_wait = seen & !WAITERS == me;
        if self_wait && deadline.is_none() {
            return Err(Failed::SelfWait);
        }
        if seen & WAITERS == 0
            && header
                .word
                .compare_exchange(seen, seen | WAITERS, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            continue;
        }
        let mut slice = SLICE;
        if let Some(deadline) = deadline {
            let now = Instant::now();
            if now >= deadline {
                return Err(Failed::Busy);
            }
            slice = slice.min(deadline - now);
        }
        let timeout = futex::Timespec {
            tv_sec: slice.as_secs() as i64,
            tv_nsec: i64::from(slice.subsec_nanos()),
        };
        let waited = futex::wait(
            &header.word,
            futex::Flags::empty(),
            seen | WAITERS,
            Some(&timeout),
        );
        if waited == Err(rustix::io::Errno::TIMEDOUT) && !self_wait {
            let now = header.word.load(Ordering::Relaxed);
            if now == seen | WAITERS {
                if let Some(died) = check_holder(header, now) {
                    return Ok(Some(died));
                }
            }
        }
    }
}

/// Why a release failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NotReleased {
    Unlocked,
    NotOwner,
}

/// Gives the word back; only its holder may.
#[inline]
pub(crate) fn unlock(word: &AtomicU32) -> Result<(), NotReleased> {
    let seen = word.load(Ordering::Relaxed);
    if seen == 0 {
        return Err(NotReleased::Unlocked);
    }
    if seen & !WAITERS != my_tid() {
        return Err(NotReleased::NotOwner);
    }
    if word.swap(0, Ordering::Release) & WAITERS != 0 {
        let _ = futex::wake(word, futex::Flags::empty(), 1);
    }
    Ok(())
}
