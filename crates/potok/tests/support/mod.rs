//! Runs scenarios each in a child process of this same test binary, with a time limit, so a
//! scenario that hangs fails the test instead of hanging it, and a scenario's stuck threads
//! never leak into the next one. Stall detection needs a process whose threads potok all
//! knows: a libtest harness (its own threads) or a watchdog thread would hide every stall,
//! which is why these tests are `harness = false` and the watchdog is the parent process.

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const CHILD_VAR: &str = "POTOK_SCENARIO";

/// One scenario: its name, its body (run inside `potok::main` in the child; it panics to
/// fail), and how many deadlock reports its stderr must hold.
pub(crate) struct Scenario {
    pub name: &'static str,
    pub body: fn(),
    pub reports: usize,
}

/// The test binary's `main`: in the child, runs the scenario named by the environment; in
/// the parent, runs every scenario in a child and checks exit status and reports.
pub(crate) fn run(scenarios: &[Scenario], limit: Duration) -> ExitCode {
    if let Ok(name) = std::env::var(CHILD_VAR) {
        let scenario = scenarios
            .iter()
            .find(|s| s.name == name)
            .expect("unknown scenario");
        potok::set_excepthook(|_| {});
        potok::main(scenario.body);
        return ExitCode::SUCCESS;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut failed = 0;
    let mut ran = 0;
    for s in scenarios {
        if !filter.is_empty() && !filter.iter().any(|f| s.name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        let started = Instant::now();
        let outcome = run_child(s.name, limit);
        let verdict = match outcome {
            Err(why) => Err(why),
            Ok((true, stderr)) => {
                let reports = stderr
                    .lines()
                    .filter(|l| l.starts_with("deadlock:"))
                    .count();
                if reports == s.reports {
                    Ok(())
                } else {
                    Err(format!(
                        "{reports} deadlock reports on stderr, expected {}:\n{stderr}",
                        s.reports
                    ))
                }
            }
            Ok((false, stderr)) => Err(format!("the scenario failed:\n{stderr}")),
        };
        match verdict {
            Ok(()) => println!("test {} ... ok ({:.1?})", s.name, started.elapsed()),
            Err(why) => {
                failed += 1;
                println!("test {} ... FAILED\n{why}", s.name);
            }
        }
    }
    println!("{} passed, {failed} failed", ran - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the child; `Ok((succeeded, stderr))`, or why it did not finish in time.
fn run_child(name: &str, limit: Duration) -> Result<(bool, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(CHILD_VAR, name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut pipe = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = reader.join().unwrap_or_default();
            return Err(format!("still running after {limit:?}: killed\n{stderr}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = reader.join().unwrap_or_default();
    Ok((status.success(), stderr))
}
