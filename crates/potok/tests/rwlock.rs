//! `potok::RwLock`: semantics ported from parking_lot's `src/rwlock.rs` tests and std's
//! `library/std/src/sync/rwlock/tests.rs` (the scenarios, in our own code), plus what potok
//! adds: writers go first, a recursive read never queues behind a waiting writer, timed
//! waits, names, and deadlock reports (readers count as holders).
//!
//! Every blocking wait is bounded or runs under a watchdog; where a test needs a thread to be
//! blocked before it acts, it waits for that state (`support::blocked`).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use potok::deadlock::{DeadlockError, DeadlockKind, ResourceKind};
use potok::{Builder, Mutex, RwLock};
use support::{blocked, within};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn smoke() {
    // std: smoke; parking_lot: smoke.
    let l = RwLock::new(());
    drop(l.read());
    drop(l.write());
    drop((l.read(), l.read()));
    drop(l.write());
}

#[test]
fn frob() {
    // std: frob: readers and writers in random order from several threads.
    const N: u32 = 6;
    const M: u32 = 300;
    let r = Arc::new(RwLock::new(()));
    let handles: Vec<_> = (0..N)
        .map(|t| {
            let r = Arc::clone(&r);
            potok::spawn(move || {
                let mut x = 0x9E37_79B9_u32.wrapping_mul(t + 1);
                for _ in 0..M {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    if x.is_multiple_of(N) {
                        drop(r.write());
                    } else {
                        drop(r.read());
                    }
                }
            })
        })
        .collect();
    within("frob", LIMIT, move || {
        for h in handles {
            h.join().unwrap();
        }
    });
}

#[test]
fn writer_excludes_readers_and_counts_stay_consistent() {
    // std: test_rw_arc; parking_lot: test_rw_arc: a writer sets a value to -1 and back while
    // readers check they never see -1.
    let arc = Arc::new(RwLock::new(0i64));
    let writer = {
        let arc = Arc::clone(&arc);
        potok::spawn(move || {
            for _ in 0..100 {
                let mut w = arc.write();
                let tmp = *w;
                *w = -1;
                std::hint::spin_loop();
                *w = tmp + 1;
            }
        })
    };
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let arc = Arc::clone(&arc);
            potok::spawn(move || {
                for _ in 0..200 {
                    assert!(*arc.read() >= 0);
                }
            })
        })
        .collect();
    within("readers and writer", LIMIT, move || {
        for r in readers {
            r.join().unwrap();
        }
        writer.join().unwrap();
    });
    assert_eq!(*arc.read(), 100);
}

#[test]
fn many_readers_at_once() {
    // Every reader holds the lock while all the others take it too.
    let lock = Arc::new(RwLock::named("shared", 7));
    let all_in = Arc::new(potok::Barrier::new(4));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (lock, all_in) = (Arc::clone(&lock), Arc::clone(&all_in));
            potok::spawn(move || {
                let v = lock.read();
                all_in.wait().unwrap(); // only passes if 4 readers hold it at once
                *v
            })
        })
        .collect();
    within("readers", LIMIT, move || {
        for r in readers {
            assert_eq!(r.join().unwrap(), 7);
        }
    });
}

#[test]
fn try_read_and_try_write() {
    // std: test_rwlock_try_write; parking_lot: test_rwlock_try_read / try_write.
    let lock = RwLock::new(0);
    let read = lock.read();
    assert!(lock.try_write().is_none(), "a reader keeps the writer out");
    assert!(lock.try_read().is_some(), "readers share");
    drop(read);
    let write = lock.write();
    let lock = &lock;
    std::thread::scope(|s| {
        s.spawn(|| {
            assert!(lock.try_read().is_none(), "a writer keeps readers out");
            assert!(lock.try_write().is_none(), "and other writers");
        });
    });
    drop(write);
    assert!(lock.try_write().is_some());
}

#[test]
fn into_inner_and_get_mut() {
    // std: test_into_inner, test_get_mut; parking_lot: test_rwlock_into_inner, get_mut.
    let mut m = RwLock::new(vec![1]);
    m.get_mut().push(2);
    assert_eq!(*m.read(), [1, 2]);
    assert_eq!(m.into_inner(), [1, 2]);
    // The data is dropped exactly once.
    struct Foo(Arc<AtomicUsize>);
    impl Drop for Foo {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let num_drops = Arc::new(AtomicUsize::new(0));
    let m = RwLock::new(Foo(num_drops.clone()));
    assert_eq!(num_drops.load(Ordering::SeqCst), 0);
    {
        let _inner = m.into_inner();
        assert_eq!(num_drops.load(Ordering::SeqCst), 0);
    }
    assert_eq!(num_drops.load(Ordering::SeqCst), 1);
}

#[test]
fn unsized_data() {
    // std: test_rwlock_unsized; parking_lot: test_rwlock_unsized.
    let rw: &RwLock<[i32]> = &RwLock::new([1, 2, 3]);
    {
        let b = &mut *rw.write();
        b[0] = 4;
        b[2] = 5;
    }
    assert_eq!(&*rw.read(), &[4, 2, 5]);
}

#[test]
fn not_poisoned_by_a_panicking_writer() {
    // std poisons (test_rw_arc_poison_wr); potok, like parking_lot, does not.
    let arc = Arc::new(RwLock::new(1));
    let arc2 = Arc::clone(&arc);
    potok::set_excepthook(|_| {});
    let panicked = potok::spawn(move || {
        let _lock = arc2.write();
        panic!("writer panics");
    })
    .join();
    potok::reset_excepthook();
    assert!(panicked.is_err());
    assert_eq!(*arc.read(), 1);
    assert!(!arc.is_locked());
}

#[test]
fn timeouts() {
    // parking_lot: the *_timeout tests: a held write lock times out readers and writers; a
    // read lock times out writers only.
    let lock = Arc::new(RwLock::named("timed", 0));
    let release = Arc::new(potok::Event::new());
    let holder = {
        let (lock, release) = (Arc::clone(&lock), Arc::clone(&release));
        potok::spawn(move || {
            let _w = lock.write();
            assert!(release.wait_timeout(LIMIT));
        })
    };
    blocked(holder.thread(), ResourceKind::Event, release.name());
    let start = Instant::now();
    assert!(lock.read_timeout(Duration::from_millis(30)).is_none());
    assert!(lock.write_timeout(Duration::from_millis(30)).is_none());
    assert!(start.elapsed() >= Duration::from_millis(60));
    // Released while this thread waits (with a timeout long enough): it gets the lock.
    let me = potok::current_thread();
    let releaser = {
        let release = Arc::clone(&release);
        potok::spawn(move || {
            blocked(&me, ResourceKind::RwLock, "timed");
            release.set();
        })
    };
    *lock.write_timeout(LIMIT).expect("released in time") += 1;
    within("holder", LIMIT, move || {
        holder.join().unwrap();
        releaser.join().unwrap();
    });
    let _r = lock.read();
    assert!(
        lock.write_timeout(Duration::from_millis(10)).is_none(),
        "a reader keeps writers out"
    );
    assert_eq!(
        *lock
            .read_timeout(Duration::from_millis(10))
            .expect("readers share"),
        1
    );
    // A timeout too large for Instant waits as long as it takes (here: not at all).
    assert!(lock.read_timeout(Duration::MAX).is_some());
}

#[test]
fn writers_go_first_but_a_recursive_read_does_not_queue() {
    let lock = Arc::new(RwLock::named("pref", 0));
    let first = lock.read();
    let writer = {
        let lock = Arc::clone(&lock);
        Builder::new()
            .name("pref-writer")
            .spawn(move || *lock.write() += 1)
            .unwrap()
    };
    blocked(writer.thread(), ResourceKind::RwLock, "pref");
    // A new reader waits behind the waiting writer...
    assert!(
        lock.try_read().is_some(),
        "this thread reads already: it may read again"
    );
    let reader = {
        let lock = Arc::clone(&lock);
        Builder::new()
            .name("pref-reader")
            .spawn(move || *lock.read())
            .unwrap()
    };
    blocked(reader.thread(), ResourceKind::RwLock, "pref");
    // ...while this thread, which reads already, reads again at once.
    let again = lock.read();
    assert_eq!(*again, 0);
    drop(again);
    drop(first);
    within("writer then reader", LIMIT, move || {
        writer.join().unwrap();
        assert_eq!(reader.join().unwrap(), 1, "the writer went first");
    });
}

#[test]
fn names_and_debug() {
    let a = RwLock::new(());
    assert!(a.name().starts_with("RwLock-"), "{}", a.name());
    let b = RwLock::named("config", 5);
    assert_eq!(b.name(), "config");
    let _r = b.read();
    assert_eq!(
        format!("{b:?}"),
        "RwLock { name: \"config\", readers: 1, writer: false }"
    );
}

fn deadlock_of(p: potok::Panicked) -> DeadlockError {
    *p.downcast::<DeadlockError>().expect("a DeadlockError")
}

#[test]
fn reading_then_writing_is_reported() {
    // Readers count as holders: a thread that reads and asks to write waits for itself.
    potok::set_excepthook(|_| {});
    let t = Builder::new()
        .name("upgrader")
        .spawn(|| {
            let lock = RwLock::named("up", 0);
            let _r = lock.read();
            let _w = lock.write();
        })
        .unwrap();
    let err = deadlock_of(within("upgrader", LIMIT, move || t.join()).unwrap_err());
    potok::reset_excepthook();
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    let text = err.to_string();
    assert!(
        text.starts_with("deadlock: a thread waits for itself"),
        "{text}"
    );
    assert!(
        text.contains(
            "thread 'upgrader' holds RwLock 'up' and waits for RwLock 'up' (to write) \
             (held by 'upgrader')"
        ),
        "{text}"
    );
}

#[test]
fn writing_then_reading_is_reported() {
    potok::set_excepthook(|_| {});
    let t = Builder::new()
        .name("downgrader")
        .spawn(|| {
            let lock = RwLock::named("down", 0);
            let _w = lock.write();
            let _r = lock.read();
        })
        .unwrap();
    let err = deadlock_of(within("downgrader", LIMIT, move || t.join()).unwrap_err());
    potok::reset_excepthook();
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(
        err.thread("downgrader").unwrap().waits_for().to_string(),
        "RwLock 'down' (to read)"
    );
}

#[test]
fn a_cycle_through_readers_and_a_mutex_is_reported() {
    // R reads `table` and waits for `m`; W holds `m` and asks to write `table`, which this
    // thread reads too: W waits for both readers, and R, one of them, waits for W.
    potok::set_excepthook(|_| {});
    let table = Arc::new(RwLock::named("table", ()));
    let m = Arc::new(Mutex::named("m", ()));
    let other_reader = table.read(); // this thread: a reader that runs on
    let m_held = Arc::new(potok::Event::new());
    let (tx, rx) = std::sync::mpsc::channel::<potok::Thread>();
    let w = Builder::new()
        .name("W")
        .spawn({
            let (table, m, m_held) = (table.clone(), m.clone(), m_held.clone());
            move || {
                let _m = m.lock();
                m_held.set();
                let r = rx.recv().unwrap();
                blocked(&r, ResourceKind::Mutex, "m");
                drop(table.write()); // closes the cycle
            }
        })
        .unwrap();
    let r = Builder::new()
        .name("R")
        .spawn({
            let (table, m, m_held) = (table.clone(), m.clone(), m_held.clone());
            move || {
                let _t = table.read();
                assert!(m_held.wait_timeout(LIMIT));
                drop(m.lock());
            }
        })
        .unwrap();
    tx.send(r.thread().clone()).unwrap();
    let (w, r) = within("W and R", LIMIT, move || (w.join(), r.join()));
    drop(other_reader);
    potok::reset_excepthook();
    r.expect("R goes on once W gives up");
    let err = deadlock_of(w.expect_err("W's write closes the cycle"));
    assert_eq!(err.kind(), DeadlockKind::Cycle);
    assert_eq!(err.found_by(), "W");
    let w = err.thread("W").expect("W is in the cycle");
    assert_eq!(w.waits_for().to_string(), "RwLock 'table' (to write)");
    assert_eq!(w.held_by(), Some("R"), "the reader on the cycle");
    let r = err.thread("R").expect("R is in the cycle");
    assert_eq!(r.waits_for().to_string(), "Mutex 'm'");
    assert_eq!(r.held_by(), Some("W"));
    assert_eq!(r.holds()[0].to_string(), "RwLock 'table'");
    assert!(!table.is_locked());
}
