//! `potok::scope`, `potok::Local`, `get_ident`, `get_native_id`: Python's
//! `threading.local`, `get_ident()` and `get_native_id()`, and std's scoped threads as
//! potok threads.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use potok::{get_ident, get_native_id, Local};

#[test]
fn scoped_threads_borrow_and_are_registered_potok_threads() {
    let data = vec![1, 2, 3, 4];
    let mut out = [0; 4];
    let names = potok::scope(|s| {
        let handles: Vec<_> = out
            .iter_mut()
            .zip(&data)
            .map(|(slot, x)| {
                s.spawn(move || {
                    *slot = x * 10;
                    let me = potok::current_thread();
                    assert!(potok::enumerate().contains(&me), "registered");
                    me.name().to_owned()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(out, [10, 20, 30, 40]);
    assert!(names.iter().all(|n| n.starts_with("Thread-")), "{names:?}");
}

#[test]
fn scoped_thread_named_with_a_builder_and_scope_is_copy() {
    let counter = AtomicUsize::new(0);
    let hits = &counter;
    potok::scope(|s| {
        let h = potok::Builder::new()
            .name("scoped-worker")
            .spawn_scoped(s, move || {
                // The scope goes along (it is Copy), to spawn more.
                s.spawn(move || hits.fetch_add(1, Ordering::SeqCst));
                potok::current_thread().name().to_owned()
            })
            .unwrap();
        assert_eq!(h.thread().name(), "scoped-worker");
        assert_eq!(h.join().unwrap(), "scoped-worker");
    });
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the nested thread was joined by the scope"
    );
}

#[test]
fn a_joined_scoped_panic_is_returned() {
    potok::set_excepthook(|_| {});
    let msg = potok::scope(|s| {
        let h = s.spawn(|| -> u8 { panic!("scoped boom") });
        h.join().unwrap_err().message().to_owned()
    });
    assert_eq!(msg, "scoped boom");
}

#[test]
fn an_unjoined_scoped_panic_panics_the_scope() {
    potok::set_excepthook(|_| {});
    let result = std::panic::catch_unwind(|| {
        potok::scope(|s| {
            s.spawn(|| panic!("nobody joins me"));
        });
    });
    assert!(result.is_err());
}

#[test]
fn joining_oneself_from_a_scoped_thread_is_refused() {
    potok::scope(|s| {
        let h = s.spawn(|| potok::current_thread().join());
        assert!(h.join().unwrap().is_err(), "joining oneself is refused");
    });
}

/// Scoped threads are deadlock-checked: two of them taking two borrowed Mutexes in opposite
/// orders close a cycle, and one of them gets the report naming both.
#[test]
fn scoped_threads_in_an_abba_deadlock_are_reported() {
    potok::set_excepthook(|_| {});
    potok::deadlock::set_print_reports(false);
    let a = potok::Mutex::named("scoped-a", ());
    let b = potok::Mutex::named("scoped-b", ());
    let both_hold = potok::Barrier::new(2).with_timeout(std::time::Duration::from_secs(60));
    let (a, b, both_hold) = (&a, &b, &both_hold);
    let (left, right) = potok::scope(|s| {
        let l = potok::Builder::new()
            .name("left")
            .spawn_scoped(s, move || {
                let _a = a.lock();
                both_hold.wait().unwrap();
                let _b = b.lock();
            })
            .unwrap();
        let r = potok::Builder::new()
            .name("right")
            .spawn_scoped(s, move || {
                let _b = b.lock();
                both_hold.wait().unwrap();
                let _a = a.lock();
            })
            .unwrap();
        (l.join(), r.join())
    });
    potok::deadlock::set_print_reports(true);
    let failed = match (left, right) {
        (Err(p), Ok(())) | (Ok(()), Err(p)) => p,
        other => panic!("exactly one side should fail: {other:?}"),
    };
    let report = failed.deadlock().expect("a deadlock").to_string();
    assert!(
        report.contains("'left'") && report.contains("'right'"),
        "{report}"
    );
    assert!(
        report.contains("scoped-a") && report.contains("scoped-b"),
        "{report}"
    );
}

#[test]
fn local_values_are_per_thread() {
    let local = Arc::new(Local::new(|| vec![0u32]));
    local.with(|v| v.push(1));
    let seen: Vec<Vec<u32>> = (0..3)
        .map(|i| {
            let local = Arc::clone(&local);
            potok::spawn(move || {
                local.with(|v| v.push(100 + i));
                local.get()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    for (i, v) in seen.iter().enumerate() {
        assert_eq!(v, &[0, 100 + i as u32]);
    }
    assert_eq!(local.get(), [0, 1]);
    local.set(vec![7]);
    assert_eq!(local.get(), [7]);
}

#[test]
fn local_values_drop_when_their_thread_ends() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    let local = Arc::new(Local::new(move || Counted(Arc::clone(&d))));
    let l = Arc::clone(&local);
    potok::spawn(move || l.with(|_| ())).join().unwrap();
    // The thread's destructors have run by the time std's join returns (potok's join waits
    // for the OS thread).
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn local_survives_a_panic_in_with_and_nests_with_others() {
    let a = Local::new(|| 1);
    let b = Local::new(|| 2);
    let sum = a.with(|x| b.with(|y| *x + *y));
    assert_eq!(sum, 3);
    a.set(5);
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.with(|_| panic!("inside with"));
    }));
    assert_eq!(a.get(), 5, "the value was put back");
}

#[test]
fn get_ident_and_native_id() {
    assert_eq!(get_ident(), potok::current_thread().ident());
    let mine = (get_ident(), get_native_id());
    let theirs = potok::spawn(|| {
        (
            get_ident(),
            get_native_id(),
            potok::current_thread().native_id(),
        )
    })
    .join()
    .unwrap();
    assert_ne!(mine.0, theirs.0);
    assert_ne!(mine.1, theirs.1);
    assert_eq!(Some(theirs.1), theirs.2);
    let idents: HashSet<u64> = (0..4)
        .map(|_| potok::spawn(get_ident))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(idents.len(), 4);
}
