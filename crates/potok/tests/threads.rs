//! The thread model: spawn, names, Run, join, join_timeout, Thread handles, the registry,
//! foreign threads.
//!
//! Provenance: behaviour taken from CPython's `Lib/test/test_threading.py` (ThreadTests:
//! test_various_ops, test_ident_of_no_threading_threads, test_foreign_thread,
//! test_join_from_multiple_threads, test_enumerate_after_join, test_default_name_*,
//! test_daemon_param), rewritten in our own words and code for potok's API.
//!
//! No test sleeps to synchronise: threads that must stay alive wait on a channel that the test
//! closes, and every wait that could hang is bounded by `WAIT`.

use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Bound for anything that should happen promptly: generous for a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(30);

/// A thread that stays alive until the returned sender is dropped.
fn parked_thread(builder: potok::Builder) -> (mpsc::Sender<()>, potok::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel::<()>();
    let handle = builder
        .spawn(move || {
            let _ = rx.recv_timeout(WAIT);
        })
        .unwrap();
    (tx, handle)
}

#[test]
fn join_returns_the_threads_value() {
    let handle = potok::spawn(|| (1..=10).sum::<u32>());
    assert_eq!(handle.join().unwrap(), 55);
}

#[test]
fn default_names_count_up_like_python() {
    let a = potok::spawn(|| potok::current_thread().name().to_owned());
    let b = potok::spawn(|| potok::current_thread().name().to_owned());
    let number = |name: &str| -> u64 {
        name.strip_prefix("Thread-")
            .unwrap_or_else(|| panic!("{name} is not Thread-N"))
            .parse()
            .unwrap()
    };
    let (a_name, b_name) = (a.thread().name().to_owned(), b.thread().name().to_owned());
    assert_eq!(
        a.join().unwrap(),
        a_name,
        "current_thread() inside is the spawned thread"
    );
    assert_eq!(b.join().unwrap(), b_name);
    assert!(number(&b_name) > number(&a_name), "{a_name} then {b_name}");
}

#[test]
fn builder_sets_name_daemon_and_stack_size() {
    let handle = potok::Builder::new()
        .name("worker")
        .daemon(true)
        .stack_size(32 << 20)
        .spawn(|| {
            let me = potok::current_thread();
            // 4 MiB on the stack would overflow std's default 2 MiB: the size was applied
            let buf = [7u8; 4 << 20];
            (
                me.name().to_owned(),
                me.is_daemon(),
                std::hint::black_box(buf)[100],
            )
        })
        .unwrap();
    assert_eq!(handle.thread().name(), "worker");
    assert!(handle.thread().is_daemon());
    assert_eq!(handle.join().unwrap(), ("worker".to_owned(), true, 7));
}

#[test]
fn any_name_is_accepted_even_one_the_os_cannot_hold() {
    let name = "nul\0inside, and longer than the fifteen bytes Linux keeps";
    let handle = potok::Builder::new()
        .name(name)
        .spawn(|| potok::current_thread().name().to_owned())
        .unwrap();
    assert_eq!(handle.join().unwrap(), name);
}

#[test]
fn daemon_flag_is_inherited_from_the_spawning_thread() {
    let inner = potok::Builder::new()
        .daemon(true)
        .spawn(|| {
            potok::spawn(|| potok::current_thread().is_daemon())
                .join()
                .unwrap()
        })
        .unwrap();
    assert!(inner.join().unwrap(), "a daemon's child is a daemon");
    let main_child = potok::spawn(|| potok::current_thread().is_daemon());
    // the test thread is a foreign (Dummy) thread, and dummies are daemons as in Python
    assert_eq!(
        main_child.join().unwrap(),
        potok::current_thread().is_daemon()
    );
    let explicit = potok::Builder::new()
        .daemon(true)
        .spawn(|| {
            potok::Builder::new()
                .daemon(false)
                .spawn(|| potok::current_thread().is_daemon())
                .unwrap()
                .join()
                .unwrap()
        })
        .unwrap();
    assert!(
        !explicit.join().unwrap(),
        "an explicit daemon(false) wins over inheritance"
    );
}

struct Knight {
    name: &'static str,
    power: u32,
}

impl potok::Run for Knight {
    type Output = (String, u32);
    fn run(self) -> (String, u32) {
        (
            potok::current_thread().name().to_owned(),
            100_u32.div_ceil(self.power),
        )
    }
    fn name(&self) -> Option<String> {
        Some(self.name.to_owned())
    }
}

#[test]
fn run_types_start_with_their_own_name() {
    let lancelot = potok::start(Knight {
        name: "Sir Lancelot",
        power: 10,
    });
    assert_eq!(lancelot.join().unwrap(), ("Sir Lancelot".to_owned(), 10));
    let renamed = potok::Builder::new()
        .name("renamed")
        .start(Knight {
            name: "Sir Galahad",
            power: 20,
        })
        .unwrap();
    assert_eq!(
        renamed.join().unwrap(),
        ("renamed".to_owned(), 5),
        "the builder's name wins"
    );
}

#[test]
fn panicking_thread_gives_panicked_with_name_and_message() {
    let handle = potok::Builder::new()
        .name("doomed")
        .spawn(|| -> u32 {
            let day = std::hint::black_box(3); // a run-time value: the payload is a String
            panic!("lost the battle on day {day}")
        })
        .unwrap();
    let err = handle.join().unwrap_err();
    assert_eq!(err.thread().name(), "doomed");
    assert_eq!(err.message(), "lost the battle on day 3");
    assert!(
        err.location().unwrap().contains("threads.rs"),
        "{:?}",
        err.location()
    );
    assert_eq!(
        err.to_string(),
        "thread 'doomed' panicked: lost the battle on day 3"
    );
    assert!(err.is::<String>());
    assert_eq!(
        *err.downcast::<String>().unwrap(),
        "lost the battle on day 3"
    );
}

#[test]
fn panic_payloads_of_any_type_come_back() {
    #[derive(Debug, PartialEq)]
    struct Custom(u8);
    let err = potok::spawn(|| std::panic::panic_any(Custom(9)))
        .join()
        .unwrap_err();
    assert_eq!(err.message(), "Box<dyn Any>");
    let err = err.downcast::<String>().unwrap_err();
    assert_eq!(*err.downcast::<Custom>().unwrap(), Custom(9));
}

#[test]
fn panicked_is_an_error_usable_across_threads() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let err = potok::spawn(|| panic!("x")).join().unwrap_err();
    assert_error(&err);
}

#[test]
fn join_timeout_returns_on_time_and_gives_the_handle_back() {
    let (tx, handle) = parked_thread(potok::Builder::new());
    let timeout = Duration::from_millis(50);
    let start = Instant::now();
    let handle = match handle.join_timeout(timeout) {
        Err(potok::JoinTimeoutError::Timeout(handle)) => handle,
        other => panic!("expected a timeout, got {other:?}"),
    };
    let waited = start.elapsed();
    assert!(waited >= timeout, "returned early: {waited:?}");
    assert!(waited < timeout + WAIT, "returned late: {waited:?}");
    assert!(handle.is_alive());
    drop(tx);
    handle.join_timeout(WAIT).unwrap();
}

#[test]
fn join_timeout_reports_a_panic() {
    let handle = potok::spawn(|| panic!("inside"));
    match handle.join_timeout(WAIT) {
        Err(potok::JoinTimeoutError::Panicked(p)) => assert_eq!(p.message(), "inside"),
        other => panic!("expected the panic, got {other:?}"),
    }
}

#[test]
fn thread_handles_join_from_many_threads() {
    let (tx, handle) = parked_thread(potok::Builder::new().name("target"));
    let target = handle.thread().clone();
    let joiners: Vec<_> = (0..4)
        .map(|_| {
            let target = target.clone();
            potok::spawn(move || target.join())
        })
        .collect();
    assert_eq!(
        target.join_timeout(Duration::from_millis(10)),
        Err(potok::JoinError::Timeout)
    );
    drop(tx);
    for joiner in joiners {
        assert_eq!(joiner.join_timeout(WAIT).unwrap(), Ok(()));
    }
    assert!(!target.is_alive());
    handle.join().unwrap();
}

#[test]
fn a_thread_cannot_join_itself() {
    let result = potok::spawn(|| potok::current_thread().join())
        .join()
        .unwrap();
    assert_eq!(result, Err(potok::JoinError::CurrentThread));
    let me = potok::current_thread();
    assert_eq!(
        me.join_timeout(Duration::ZERO),
        Err(potok::JoinError::CurrentThread)
    );
}

#[test]
fn idents_are_unique_and_native_ids_are_the_os_ones() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            potok::spawn(|| {
                (
                    potok::current_thread().ident(),
                    potok::current_thread().native_id(),
                )
            })
        })
        .collect();
    let mut idents = HashSet::new();
    let mut natives = HashSet::new();
    for h in handles {
        let (ident, native) = h.join().unwrap();
        assert!(idents.insert(ident), "ident {ident} reused");
        let native = native.expect("a running thread knows its native id");
        assert!(natives.insert(native));
        assert_ne!(
            native,
            u64::from(std::process::id()),
            "not the main thread's id"
        );
    }
    assert_eq!(
        potok::main_thread().native_id(),
        Some(u64::from(std::process::id()))
    );
}

#[test]
fn enumerate_lists_live_threads_and_never_finished_ones() {
    let parked: Vec<_> = (0..5)
        .map(|i| parked_thread(potok::Builder::new().name(format!("enum-{i}"))))
        .collect();
    let listed = potok::enumerate();
    for (_, h) in &parked {
        assert!(
            listed.contains(h.thread()),
            "{} is running but not listed",
            h.thread().name()
        );
    }
    assert!(listed.iter().any(|t| t.name() == "MainThread"));
    assert!(potok::active_count() >= 6);
    let threads: Vec<_> = parked
        .into_iter()
        .map(|(tx, h)| {
            let t = h.thread().clone();
            drop(tx);
            h.join().unwrap();
            t
        })
        .collect();
    let listed = potok::enumerate();
    for t in &threads {
        assert!(!t.is_alive());
        assert!(
            !listed.contains(t),
            "{} finished but is still listed",
            t.name()
        );
    }
}

#[test]
fn foreign_threads_are_dummies_until_they_exit() {
    let (tx, rx) = mpsc::channel::<()>();
    let (seen_tx, seen_rx) = mpsc::channel();
    let foreign = std::thread::spawn(move || {
        let me = potok::current_thread();
        assert_eq!(potok::current_thread(), me, "registered once");
        seen_tx.send(me).unwrap();
        let _ = rx.recv_timeout(WAIT);
    });
    let dummy = seen_rx.recv_timeout(WAIT).unwrap();
    assert!(dummy.name().starts_with("Dummy-"), "{}", dummy.name());
    assert!(dummy.is_daemon(), "dummy threads are daemons, as in Python");
    assert!(dummy.is_alive());
    assert!(potok::enumerate().contains(&dummy));
    drop(tx);
    foreign.join().unwrap();
    assert!(
        !potok::enumerate().contains(&dummy),
        "a dummy leaves when its thread exits"
    );
    assert!(!dummy.is_alive());
}

#[test]
fn main_thread_is_named_and_alive_from_anywhere() {
    let from_worker = potok::spawn(potok::main_thread).join().unwrap();
    assert_eq!(from_worker, potok::main_thread());
    assert_eq!(from_worker.name(), "MainThread");
    assert!(from_worker.is_alive());
    assert!(!from_worker.is_daemon());
    assert_eq!(format!("{from_worker}"), "MainThread");
    let debug = format!("{from_worker:?}");
    assert!(
        debug.starts_with(r#"Thread { name: "MainThread", kind: "main", alive: true"#),
        "{debug}"
    );
}

#[test]
fn enumerate_stays_correct_under_spawn_and_exit_churn() {
    // Threads are joined by a churner; an observer enumerates concurrently and must never see a
    // thread that was joined before its enumerate() began.
    let joined = Arc::new(joined_log::JoinedLog::default());
    let start = Arc::new(Barrier::new(3));
    let churners: Vec<_> = (0..2)
        .map(|_| {
            let (joined, start) = (Arc::clone(&joined), Arc::clone(&start));
            potok::spawn(move || {
                start.wait();
                for _ in 0..500 {
                    let h = potok::spawn(|| ());
                    let ident = h.thread().ident();
                    h.join().unwrap();
                    joined.push(ident);
                }
            })
        })
        .collect();
    let observer = {
        let (joined, start) = (Arc::clone(&joined), Arc::clone(&start));
        potok::spawn(move || {
            start.wait();
            let mut checks = 0;
            while joined.len() < 1000 {
                let before = joined.snapshot();
                let listed: HashSet<u64> = potok::enumerate().iter().map(|t| t.ident()).collect();
                for ident in before {
                    assert!(
                        !listed.contains(&ident),
                        "joined thread {ident} still listed"
                    );
                }
                checks += 1;
            }
            checks
        })
    };
    for c in churners {
        c.join_timeout(WAIT).unwrap();
    }
    assert!(observer.join_timeout(WAIT).unwrap() > 0);
}

mod joined_log {
    use std::sync::Mutex;

    /// Idents of joined threads, in order.
    #[derive(Default)]
    pub(crate) struct JoinedLog(Mutex<Vec<u64>>);

    impl JoinedLog {
        pub(crate) fn push(&self, ident: u64) {
            self.0.lock().unwrap().push(ident);
        }
        pub(crate) fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
        pub(crate) fn snapshot(&self) -> Vec<u64> {
            self.0.lock().unwrap().clone()
        }
    }
}

/// What the OS and std know a potok thread as: its name (the kernel keeps 15 bytes of it);
/// a NUL, which the OS name cannot hold, shows as `␀` there while potok's name keeps it.
#[cfg(target_os = "linux")]
#[test]
fn the_os_and_std_see_the_threads_name() {
    fn seen() -> (String, Option<String>, String) {
        let comm = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
        (
            potok::current_thread().name().to_owned(),
            std::thread::current().name().map(str::to_owned),
            comm.trim_end_matches('\n').to_owned(),
        )
    }
    let (name, std_name, comm) = potok::spawn(seen).join().unwrap();
    assert!(name.starts_with("Thread-"), "{name}");
    assert_eq!(std_name.as_deref(), Some(name.as_str()));
    assert_eq!(comm, name);

    let (name, std_name, comm) = potok::Builder::new()
        .name("a\0b")
        .spawn(seen)
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(name, "a\0b");
    assert_eq!(std_name.as_deref(), Some("a\u{2400}b"));
    assert_eq!(comm, "a\u{2400}b");

    let long = "a-name-longer-than-fifteen-bytes";
    let (name, _, comm) = potok::Builder::new()
        .name(long)
        .spawn(seen)
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(name, long);
    assert_eq!(comm, &long[..15]);
}
