//! A small test runner for test files that start processes (`harness = false`): the libtest
//! harness cannot be used there, because every child re-runs the test executable, and the
//! child must reach `potok::process::init()` before anything else runs.
//!
//! Each test runs on the main thread under a watchdog that ends the whole run (exit code 101)
//! if the test takes longer than its limit, so no test can hang the suite. Output and the
//! closing line follow libtest's format.
#![allow(dead_code)]

use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One test: a name and a function that panics on failure.
pub(crate) struct Case {
    pub name: &'static str,
    pub run: fn(),
}

/// Expands `case!(f)` to a [`Case`] named after the function.
#[macro_export]
macro_rules! case {
    ($f:ident) => {
        $crate::common::Case {
            name: stringify!($f),
            run: $f,
        }
    };
}

/// Runs the cases selected by the command line (substring filters, as libtest), each limited
/// to `limit`, prints libtest-style results, and exits.
pub(crate) fn run(cases: &[Case], limit: Duration) -> ! {
    potok::process::init();
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| filters.is_empty() || filters.iter().any(|f| c.name.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", selected.len());
    let started = Instant::now();
    // The watchdog: the generation number of the running test and when it started.
    let current = Arc::new(AtomicU64::new(0));
    {
        let current = Arc::clone(&current);
        let names: Vec<&'static str> = selected.iter().map(|c| c.name).collect();
        std::thread::Builder::new()
            .name("test-watchdog".into())
            .spawn(move || {
                let mut seen = 0;
                let mut since = Instant::now();
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    let now = current.load(Ordering::Acquire);
                    if now != seen {
                        seen = now;
                        since = Instant::now();
                    } else if now > 0 && since.elapsed() > limit {
                        let name = names.get(now as usize - 1).copied().unwrap_or("?");
                        eprintln!("test {name} ... TIMED OUT after {limit:?}: aborting the run");
                        std::process::exit(101);
                    }
                }
            })
            .expect("watchdog thread");
    }
    let mut failed = Vec::new();
    for (i, case) in selected.iter().enumerate() {
        current.store(i as u64 + 1, Ordering::Release);
        print!("test {} ... ", case.name);
        let _ = std::io::stdout().flush();
        let t = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(case.run));
        match outcome {
            Ok(()) => println!("ok ({:.2?})", t.elapsed()),
            Err(_) => {
                println!("FAILED");
                failed.push(case.name);
            }
        }
    }
    current.store(0, Ordering::Release);
    let passed = selected.len() - failed.len();
    if !failed.is_empty() {
        println!("\nfailures:");
        for name in &failed {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; 0 ignored; 0 measured; {} filtered out; finished in {:.2}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        cases.len() - selected.len(),
        started.elapsed().as_secs_f64()
    );
    std::process::exit(if failed.is_empty() { 0 } else { 101 });
}

/// The pids of this process's children (running or zombie), from /proc.
pub(crate) fn children() -> Vec<u32> {
    let me = std::process::id();
    let mut kids = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return kids;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the command (which is in parentheses and may contain spaces).
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let ppid = after.split(' ').nth(1).and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(me) {
            kids.push(pid);
        }
    }
    kids
}

/// Waits (bounded) until this process has no children left, and fails if some remain.
pub(crate) fn assert_no_children(within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let kids = children();
        if kids.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("child processes remain: {kids:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `cond` until it holds or `within` passes.
pub(crate) fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
