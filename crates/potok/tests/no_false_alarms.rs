//! No false alarms: 4 threads × 100,000 random acquisitions in one consistent global lock
//! order (so no deadlock is possible), mixed with try and timeout acquisitions, reentrant
//! acquisitions, and condition waits (untimed ones at shared checkpoints, timed ones nobody
//! notifies), raise zero deadlock reports.
//!
//! Then ping-pong between two threads through every waking path (a Lock used as a signal,
//! Condition notify, Semaphore release, Event set, join), tens of thousands of round trips
//! each: a lost wake-up would leave both threads blocked, which the detector reports as a
//! stall (and the parent's time limit catches in any case). For the state-based primitives
//! this is the empirical stand-in for loom models, which do not fit them (see the `deadlock`
//! module docs; the lock word itself has loom models).
//!
//! `harness = false`, run in a child process under a time limit (see `support`): the stall
//! check is armed only when potok knows every thread of the process, which is exactly the
//! situation where a false alarm could happen.

mod support;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use potok::{Builder, Condition, Lock, LockGuard, Mutex, MutexGuard, RLock, RLockGuard};
use support::case;

const THREADS: usize = 4;
const ACQUISITIONS: u64 = 100_000;
/// Every this many acquisitions, all threads meet at a checkpoint (untimed Condition waits).
const CHECKPOINT_EVERY: u64 = 5_000;

fn main() -> ExitCode {
    support::run(
        [
            case!(consistent_order_stress).reports(0),
            case!(lock_signal_ping_pong).reports(0),
            case!(condition_ping_pong).reports(0),
            case!(semaphore_and_event_ping_pong).reports(0),
            case!(join_chains).reports(0),
        ]
        .map(|test| test.limit(Duration::from_secs(240))),
    )
}

/// The locks, in their one global order: a Lock, four Mutexes, an RLock.
struct Locks {
    first: Lock,
    middle: Vec<Mutex<u64>>,
    last: RLock,
}

const N_LOCKS: usize = 6;

/// Tries and timeouts that found their lock held.
static CONTENDED: AtomicU64 = AtomicU64::new(0);

/// What a thread holds; dropping it releases.
enum Held<'a> {
    Lock {
        _guard: LockGuard<'a>,
    },
    Mutex {
        _guard: MutexGuard<'a, u64>,
    },
    RLock {
        _outer: RLockGuard<'a>,
        _inner: Option<RLockGuard<'a>>,
    },
}

/// How a lock is taken: blocking, try (then blocking if that failed), or with a timeout (then
/// blocking if that failed); every way ends holding the lock.
#[derive(Clone, Copy)]
enum How {
    Block,
    Try,
    Timeout,
}

impl Locks {
    fn take(&self, index: usize, how: How, reenter: bool) -> Held<'_> {
        if !matches!(how, How::Block) {
            // Count how often a try or a timeout failed: evidence of contention.
            let held_now = match index {
                0 => self.first.locked(),
                i if i < N_LOCKS - 1 => self.middle[i - 1].is_locked(),
                _ => false,
            };
            if held_now {
                CONTENDED.fetch_add(1, Ordering::Relaxed);
            }
        }
        let short = Duration::from_micros(200);
        match index {
            0 => Held::Lock {
                _guard: match how {
                    How::Block => self.first.lock(),
                    How::Try => self.first.try_lock().unwrap_or_else(|| self.first.lock()),
                    How::Timeout => self
                        .first
                        .lock_timeout(short)
                        .unwrap_or_else(|| self.first.lock()),
                },
            },
            i if i < N_LOCKS - 1 => {
                let m = &self.middle[i - 1];
                let mut guard = match how {
                    How::Block => m.lock(),
                    How::Try => m.try_lock().unwrap_or_else(|| m.lock()),
                    How::Timeout => m.lock_timeout(short).unwrap_or_else(|| m.lock()),
                };
                *guard += 1;
                Held::Mutex { _guard: guard }
            }
            _ => {
                let outer = match how {
                    How::Block => self.last.lock(),
                    How::Try => self.last.try_lock().unwrap_or_else(|| self.last.lock()),
                    How::Timeout => self
                        .last
                        .lock_timeout(short)
                        .unwrap_or_else(|| self.last.lock()),
                };
                let inner = reenter.then(|| self.last.lock());
                Held::RLock {
                    _outer: outer,
                    _inner: inner,
                }
            }
        }
    }
}

/// A small, seedable generator (xorshift64*), enough for picking locks.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Meeting {
    cv: Condition,
    arrived: AtomicUsize,
    round: AtomicU64,
    /// Nobody ever notifies it: timed waits on it just time out.
    quiet: Condition,
}

impl Meeting {
    /// Waits (untimed) until every thread has reached this checkpoint.
    fn checkpoint(&self) {
        let mut guard = self.cv.lock();
        let my_round = self.round.load(Ordering::SeqCst);
        if self.arrived.fetch_add(1, Ordering::SeqCst) + 1 == THREADS {
            self.arrived.store(0, Ordering::SeqCst);
            self.round.fetch_add(1, Ordering::SeqCst);
            guard.notify_all();
        } else {
            guard.wait_for(|| self.round.load(Ordering::SeqCst) > my_round);
        }
    }
}

fn consistent_order_stress() {
    let locks = Arc::new(Locks {
        first: Lock::named("first"),
        middle: (1..N_LOCKS - 1)
            .map(|i| Mutex::named(format!("m{i}"), 0))
            .collect(),
        last: RLock::named("last"),
    });
    let meeting = Arc::new(Meeting {
        cv: Condition::named("checkpoint"),
        arrived: AtomicUsize::new(0),
        round: AtomicU64::new(0),
        quiet: Condition::named("quiet"),
    });
    let increments = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (locks, meeting, increments) = (
                Arc::clone(&locks),
                Arc::clone(&meeting),
                Arc::clone(&increments),
            );
            Builder::new()
                .name(format!("worker-{t}"))
                .spawn(move || {
                    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((t as u64 + 1) * 0x1234_5678));
                    let mut acquired = 0;
                    while acquired < ACQUISITIONS {
                        // A random set of 1..=3 locks, taken in ascending (global) order.
                        let mut picked = [false; N_LOCKS];
                        for _ in 0..=rng.below(3) {
                            picked[rng.below(N_LOCKS as u64) as usize] = true;
                        }
                        let mut held = Vec::new();
                        for (index, _) in picked.iter().enumerate().filter(|(_, p)| **p) {
                            let how = match rng.below(10) {
                                0..=6 => How::Block,
                                7 | 8 => How::Try,
                                _ => How::Timeout,
                            };
                            held.push(locks.take(index, how, rng.below(4) == 0));
                            acquired += 1;
                            if acquired % CHECKPOINT_EVERY == 0 {
                                // Meet the others with nothing held.
                                while let Some(h) = held.pop() {
                                    drop(h);
                                }
                                meeting.checkpoint();
                            }
                        }
                        let mutexes = held.iter().filter(|h| matches!(h, Held::Mutex { .. }));
                        increments.fetch_add(mutexes.count() as u64, Ordering::Relaxed);
                        // Hold them a little, so that the others must block, not just spin.
                        for i in 0..rng.below(64) {
                            std::hint::black_box(i);
                        }
                        while let Some(h) = held.pop() {
                            drop(h);
                        }
                        if rng.below(2_000) == 0 {
                            let mut quiet = meeting.quiet.lock();
                            assert!(!quiet.wait_timeout(Duration::from_micros(100)));
                        }
                    }
                    acquired
                })
                .expect("spawn")
        })
        .collect();
    let started = std::time::Instant::now();
    let mut total = 0;
    for w in workers {
        total += w
            .join()
            .expect("no worker may fail (a false deadlock alarm would)");
    }
    assert!(total >= THREADS as u64 * ACQUISITIONS);
    let counted: u64 = locks.middle.iter().map(|m| *m.lock()).sum();
    assert!(counted >= increments.load(Ordering::Relaxed));
    assert_eq!(
        meeting.round.load(Ordering::SeqCst),
        ACQUISITIONS / CHECKPOINT_EVERY
    );
    eprintln!(
        "{total} acquisitions, {counted} Mutex increments, {} tries found their lock held, {:.1?}",
        CONTENDED.load(Ordering::Relaxed),
        started.elapsed()
    );
}

/// Round trips for each ping-pong.
const ROUNDS: usize = 20_000;

/// Two Locks used as signals (Python style: released by the other thread), held alternately.
fn lock_signal_ping_pong() {
    let ping = Arc::new(Lock::named("ping"));
    let pong = Arc::new(Lock::named("pong"));
    ping.acquire();
    pong.acquire();
    let partner = Builder::new()
        .name("partner")
        .spawn({
            let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
            move || {
                for _ in 0..ROUNDS {
                    ping.acquire(); // released by MainThread
                    pong.release().unwrap();
                }
            }
        })
        .unwrap();
    for _ in 0..ROUNDS {
        ping.release().unwrap();
        pong.acquire(); // released by partner
    }
    partner.join().unwrap();
}

/// A turn passed back and forth under a Condition, with notify(1).
fn condition_ping_pong() {
    let cv = Arc::new(Condition::named("turn"));
    let turn = Arc::new(AtomicUsize::new(0));
    let partner = Builder::new()
        .name("partner")
        .spawn({
            let (cv, turn) = (Arc::clone(&cv), Arc::clone(&turn));
            move || {
                for round in 0..ROUNDS {
                    let mut g = cv.lock();
                    g.wait_for(|| turn.load(Ordering::SeqCst) == 2 * round + 1);
                    turn.fetch_add(1, Ordering::SeqCst);
                    g.notify(1);
                }
            }
        })
        .unwrap();
    for round in 0..ROUNDS {
        let mut g = cv.lock();
        turn.fetch_add(1, Ordering::SeqCst);
        g.notify(1);
        g.wait_for(|| turn.load(Ordering::SeqCst) == 2 * round + 2);
    }
    partner.join().unwrap();
}

/// A Semaphore one way, an Event (set, cleared) the other.
fn semaphore_and_event_ping_pong() {
    let sem = Arc::new(potok::Semaphore::named("to partner", 0));
    let back = Arc::new(potok::Event::named("back"));
    let partner = Builder::new()
        .name("partner")
        .spawn({
            let (sem, back) = (Arc::clone(&sem), Arc::clone(&back));
            move || {
                for _ in 0..ROUNDS {
                    sem.acquire();
                    back.set();
                }
            }
        })
        .unwrap();
    for _ in 0..ROUNDS {
        sem.release(1);
        back.wait();
        back.clear();
    }
    partner.join().unwrap();
}

/// Threads that join the previous one: chains of untimed joins, finishing in turn.
fn join_chains() {
    for _ in 0..200 {
        let mut previous: Option<potok::Thread> = None;
        let mut handles = Vec::new();
        for i in 0..4 {
            let before = previous.take();
            let h = Builder::new()
                .name(format!("link-{i}"))
                .spawn(move || {
                    if let Some(t) = before {
                        t.join().unwrap();
                    }
                })
                .unwrap();
            previous = Some(h.thread().clone());
            handles.push(h);
        }
        for h in handles.into_iter().rev() {
            h.join().unwrap();
        }
    }
}
