//! The runner of the `harness = false` test files: libtest-mimic on the main thread, a watchdog
//! for in-process tests, a child process for isolated ones (see the module docs in `mod.rs`).

use std::io::Read;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

/// Marks a child process that runs one isolated test: the value is the test's name.
const ISOLATED_VAR: &str = "POTOK_TEST_ISOLATED";

/// The limit of a test that sets none: generous for a loaded 2-core machine.
const DEFAULT_LIMIT: Duration = Duration::from_secs(60);

/// One test: a name, a body that panics to fail, where it runs and how long it may take.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Test {
    name: &'static str,
    body: fn(),
    isolated: bool,
    reports: Option<usize>,
    limit: Duration,
}

impl Test {
    /// A test that runs in this process, on the main thread, under a watchdog.
    pub(crate) fn new(name: &'static str, body: fn()) -> Test {
        Test {
            name,
            body,
            isolated: false,
            reports: None,
            limit: DEFAULT_LIMIT,
        }
    }

    /// Runs it alone in a child process instead, inside `potok::main`.
    pub(crate) fn isolated(mut self) -> Test {
        self.isolated = true;
        self
    }

    /// Isolated, and its stderr must hold exactly `n` deadlock reports.
    pub(crate) fn reports(mut self, n: usize) -> Test {
        self.isolated = true;
        self.reports = Some(n);
        self
    }

    /// Fails it (in-process: ends the run) when it takes longer than `limit`.
    pub(crate) fn limit(mut self, limit: Duration) -> Test {
        self.limit = limit;
        self
    }
}

/// The test binary's `main`: calls `potok::process::init()`, then runs `tests` as the command
/// line asks (libtest's options).
pub(crate) fn run(tests: impl IntoIterator<Item = Test>) -> ExitCode {
    potok::process::init();
    run_without_init(tests)
}

/// [`run`] without calling `potok::process::init()` first.
pub(crate) fn run_without_init(tests: impl IntoIterator<Item = Test>) -> ExitCode {
    let tests: Vec<Test> = tests.into_iter().collect();
    if let Ok(name) = std::env::var(ISOLATED_VAR) {
        run_isolated_child(&tests, &name);
    }
    let mut seen = std::collections::HashSet::new();
    for test in &tests {
        assert!(seen.insert(test.name), "two tests named {}", test.name);
    }
    let mut args = Arguments::from_args();
    // In-process tests own the main thread; isolated ones are whole processes each.
    args.test_threads = Some(1);
    let trials = tests
        .into_iter()
        .map(|test| Trial::test(test.name, move || test.run_here_or_in_a_child()))
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

impl Test {
    fn run_here_or_in_a_child(self) -> Result<(), Failed> {
        if self.isolated {
            return self.run_in_a_child();
        }
        let _watch = watchdog().watch(self.name, self.limit);
        (self.body)();
        Ok(())
    }

    /// The parent's side of an isolated test.
    fn run_in_a_child(self) -> Result<(), Failed> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .env(ISOLATED_VAR, self.name)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the child: {e}"))?;
        let mut pipe = child.stderr.take().expect("piped stderr");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        });
        let deadline = Instant::now() + self.limit;
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = reader.join().unwrap_or_default();
                return Err(
                    format!("still running after {:?}: killed\n{stderr}", self.limit).into(),
                );
            }
            // Polling a child process for its exit, not synchronising threads.
            std::thread::sleep(Duration::from_millis(5));
        };
        let stderr = reader.join().unwrap_or_default();
        if !status.success() {
            return Err(format!("the child failed ({status}):\n{stderr}").into());
        }
        if let Some(expected) = self.reports {
            let reports = stderr
                .lines()
                .filter(|l| l.starts_with("deadlock:"))
                .count();
            if reports != expected {
                return Err(format!(
                    "{reports} deadlock reports on stderr, expected {expected}:\n{stderr}"
                )
                .into());
            }
        }
        Ok(())
    }
}

/// The child's side of an isolated test: runs it and exits (a failure panics: exit code 101).
fn run_isolated_child(tests: &[Test], name: &str) -> ! {
    let test = tests
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{ISOLATED_VAR}={name}: no such test"));
    potok::set_excepthook(|_| {}); // the detector prints each report once itself
    potok::main(test.body);
    std::process::exit(0);
}

/// Ends the whole run when an in-process test outlives its limit.
struct Watchdog {
    /// The running test and its deadline.
    current: Mutex<Option<(&'static str, Instant, Duration)>>,
    changed: Condvar,
}

/// Clears the watchdog's test when the test ends (passed or panicked).
struct Watch(&'static Watchdog);

fn watchdog() -> &'static Watchdog {
    static DOG: OnceLock<Watchdog> = OnceLock::new();
    static STARTED: OnceLock<()> = OnceLock::new();
    let dog = DOG.get_or_init(|| Watchdog {
        current: Mutex::new(None),
        changed: Condvar::new(),
    });
    STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("test-watchdog".into())
            .spawn(move || dog.guard())
            .expect("the watchdog thread");
    });
    dog
}

impl Watchdog {
    fn watch(&'static self, name: &'static str, limit: Duration) -> Watch {
        *self.current.lock().unwrap() = Some((name, Instant::now() + limit, limit));
        self.changed.notify_all();
        Watch(self)
    }

    fn guard(&self) {
        let mut current = self.current.lock().unwrap();
        loop {
            match *current {
                None => current = self.changed.wait(current).unwrap(),
                Some((name, deadline, limit)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        eprintln!("test {name} ... TIMED OUT after {limit:?}: ending the run");
                        // What every thread is doing, and why the deadlock detector declared
                        // nothing for the ones blocked without a timeout.
                        potok::deadlock::dump();
                        std::process::exit(101);
                    }
                    current = self
                        .changed
                        .wait_timeout(current, deadline - now)
                        .unwrap()
                        .0;
                }
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        *self
            .0
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.0.changed.notify_all();
    }
}
