//! The registry does not leak: 10,000 spawn/join cycles leave `enumerate()` as it was.
//! (Its own test binary, so that no other test's threads change the count meanwhile.)

#[test]
fn ten_thousand_spawn_join_cycles_leave_no_trace() {
    // This test thread is foreign to potok: spawning from it registers it as a Dummy (as
    // Python's Thread() does from a foreign thread), so register it before counting.
    potok::current_thread();
    let before = potok::active_count();
    let listed_before = potok::enumerate();
    for i in 0..10_000u32 {
        let handle = if i % 2 == 0 {
            potok::spawn(move || i)
        } else {
            potok::Builder::new()
                .name(format!("churn-{i}"))
                .spawn(move || i)
                .unwrap()
        };
        assert_eq!(handle.join().unwrap(), i);
    }
    // foreign threads too
    for _ in 0..1_000 {
        std::thread::spawn(|| potok::current_thread().ident())
            .join()
            .unwrap();
    }
    assert_eq!(potok::active_count(), before);
    assert_eq!(potok::enumerate(), listed_before);
}
