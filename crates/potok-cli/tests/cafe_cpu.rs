//! `potok cafe` serves its guests without spinning a core: the waiter sleeps until a guest
//! leaves. The CPU time of the whole process (getrusage of the finished child) must stay far
//! below its wall time; the course's busy `is_alive()` loop would use about 100% of one core.
//!
//! Its own test binary on purpose: RUSAGE_CHILDREN counts every finished child of this
//! process, so no other test may run children beside it.

use std::time::{Duration, Instant};

mod support;

fn children_cpu() -> Duration {
    // SAFETY: getrusage only writes the struct we pass; zeroed is a valid `rusage`.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
fn cafe_waiter_sleeps_instead_of_spinning() {
    let before = children_cpu();
    let start = Instant::now();
    // Meals of 0.15–0.5 s: about a second and a half in all.
    let output = support::potok()
        .args([
            "--lang",
            "en",
            "cafe",
            "--time-scale",
            "0.05",
            "--seed",
            "11",
        ])
        .output()
        .unwrap();
    let wall = start.elapsed();
    let cpu = children_cpu() - before;
    assert!(output.status.success(), "{output:?}");
    assert!(
        wall >= Duration::from_millis(300),
        "the cafe ran only {wall:?}"
    );
    assert!(
        cpu.as_secs_f64() < 0.25 * wall.as_secs_f64(),
        "the cafe used {cpu:?} of CPU in {wall:?}: something spins"
    );
}
