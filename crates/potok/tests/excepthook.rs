//! `set_excepthook`: a panicking thread is reported once, with its name, and `join` still
//! returns the panic. The hook is process-wide, so these tests take turns through `TURN`.
//!
//! Provenance: CPython's `Lib/test/test_threading.py` ExceptHookTests (test_excepthook,
//! test_custom_excepthook), rewritten in our own code.

use std::sync::{Arc, Mutex};

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn hook_sees_each_panic_once_with_the_thread_name() {
    let _turn = turn();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    potok::set_excepthook(move |args| {
        log.lock().unwrap().push((
            args.thread.name().to_owned(),
            args.message.to_owned(),
            args.location.map(str::to_owned),
            args.panicked.is::<&str>(),
        ));
    });
    let err = potok::Builder::new()
        .name("reporter")
        .spawn(|| panic!("first"))
        .unwrap()
        .join()
        .unwrap_err();
    potok::reset_excepthook();
    assert_eq!(err.message(), "first", "join still returns the panic");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "reported exactly once: {seen:?}");
    let (name, message, location, is_str) = &seen[0];
    assert_eq!(name, "reporter");
    assert_eq!(message, "first");
    assert!(location.as_deref().unwrap().contains("excepthook.rs"));
    assert!(is_str);
}

#[test]
fn a_panicking_hook_does_not_lose_the_panic_or_the_registry() {
    let _turn = turn();
    potok::set_excepthook(|_| panic!("the hook itself failed"));
    let handle = potok::Builder::new()
        .name("double")
        .spawn(|| panic!("original"))
        .unwrap();
    let thread = handle.thread().clone();
    let err = handle.join().unwrap_err();
    potok::reset_excepthook();
    // join gives the thread's own panic, not the hook's
    assert_eq!(err.thread().name(), "double");
    assert_eq!(err.message(), "original");
    // potok's state is not poisoned: the thread left the registry and the registry works
    assert!(!thread.is_alive());
    assert!(!potok::enumerate().contains(&thread));
    assert_eq!(potok::spawn(|| 5).join().unwrap(), 5);
}

#[test]
fn panics_outside_potok_threads_keep_the_previous_hook() {
    let _turn = turn();
    let seen = Arc::new(Mutex::new(0));
    let count = Arc::clone(&seen);
    potok::set_excepthook(move |_| *count.lock().unwrap() += 1);
    potok::spawn(|| ()).join().unwrap(); // makes sure potok's panic hook is installed
    let plain = std::thread::spawn(|| panic!("plain std thread")).join();
    potok::reset_excepthook();
    assert!(plain.is_err());
    assert_eq!(
        *seen.lock().unwrap(),
        0,
        "the excepthook is for potok threads only"
    );
}
