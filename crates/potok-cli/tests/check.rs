//! `potok check FILE.py`: the project's own solutions pass every rule; each broken variant
//! (in tests/check/) fails exactly the rule it breaks, with the expected and the actual line;
//! a program that deadlocks is reported by thread and lock names within `--hang-after` + 5 s
//! and leaves no process behind; bad input exits 2.
//!
//! These run the real `python3`; where it is missing they say so and return (potok itself
//! then refuses with one line, which `no_python_is_one_line_and_exit_2` checks everywhere).

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use support::potok;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn solution(name: &str) -> PathBuf {
    crate_dir().join("solutions").join(name)
}

fn variant(name: &str) -> PathBuf {
    crate_dir().join("tests").join("check").join(name)
}

fn have_python() -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("python3").is_file()));
    if !found {
        eprintln!("python3 is not on the PATH: potok check's runs are not tested here");
    }
    found
}

fn check(file: &Path, extra: &[&str]) -> Output {
    potok()
        .args(["--lang", "en", "check", "--time-scale", "0.05"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}

/// Runs `cmd` in a process group of its own and gives its output; a run still going after
/// `limit` (a hang, e.g. in a forked pool worker) is killed with its whole group and fails the
/// test, so the suite never hangs on it.
fn output_within(mut cmd: std::process::Command, limit: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    let child = cmd
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pgid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .status();
            panic!("{cmd:?} still running after {limit:?}: killed with its process group");
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn failed_rules(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter(|l| l.starts_with("✗ "))
        .map(str::to_owned)
        .collect()
}

/// The run failed exactly one rule, whose title starts with `title`, and printed the expected
/// and the actual line under it.
fn fails_only(output: &Output, title: &str, expected: &str, actual: &str) {
    let text = stdout(output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{output:?}");
    let failed = failed_rules(output);
    assert_eq!(failed.len(), 1, "exactly one rule fails:\n{text}");
    assert!(failed[0].starts_with(&format!("✗ {title}")), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("✗ ")).unwrap();
    assert!(
        lines[at + 1].trim_start().starts_with("expected:") && lines[at + 1].contains(expected),
        "expected line has «{expected}»:\n{text}"
    );
    assert!(
        lines[at + 2].trim_start().starts_with("actual:") && lines[at + 2].contains(actual),
        "actual line has «{actual}»:\n{text}"
    );
}

#[test]
fn own_solutions_pass_every_rule() {
    if !have_python() {
        return;
    }
    for name in [
        "module_10_1.py",
        "module_10_2.py",
        "module_10_3.py",
        "module_10_4.py",
        "module_10_5.py",
        "legacy/module_10_1.py",
        "legacy/module_10_3.py",
        "legacy/module_10_4.py",
        "legacy/module_10_5.py",
    ] {
        let output = check(&solution(name), &[]);
        let text = stdout(&output);
        assert!(output.status.success(), "{name}:\n{text}\n{output:?}");
        assert!(failed_rules(&output).is_empty(), "{name}:\n{text}");
        assert!(text.contains("rules hold"), "{name}:\n{text}");
        if name.starts_with("legacy/") {
            assert!(
                text.contains("lesson legacy-10_"),
                "{name} is a 2023 task:\n{text}"
            );
        }
    }
}

#[test]
fn misspelled_message_fails_the_messages_rule_in_russian_too() {
    if !have_python() {
        return;
    }
    let output = check(&variant("misspelled_10_3.py"), &[]);
    fails_only(
        &output,
        "messages",
        "Запрос отклонён, недостаточно средств",
        "Запрос отклонен, недостаточно средств",
    );
    let output = potok()
        .args(["--lang", "ru", "check", "--time-scale", "0.05"])
        .arg(variant("misspelled_10_3.py"))
        .output()
        .unwrap();
    let text = stdout(&output);
    assert!(text.contains("✗ сообщения"), "{text}");
    assert!(text.contains("ожидалось: Запрос отклонён"), "{text}");
    assert!(text.contains("получено:  Запрос отклонен"), "{text}");
}

/// The misspelled line is printed only for a refused request, so the variant must refuse one
/// in every interleaving; under load, with one shared unseeded generator, it once ran every
/// deposit first, granted every request, and the check above found all rules holding. Here
/// the deposits are all done before the first request, the interleaving that refuses least.
#[test]
fn the_misspelled_variant_refuses_a_request_even_when_every_deposit_comes_first() {
    if !have_python() {
        return;
    }
    let source = std::fs::read_to_string(variant("misspelled_10_3.py")).unwrap();
    let start = "th1.start()\nth2.start()\n";
    assert!(source.contains(start), "{source}");
    let dir = tempfile::tempdir().unwrap();
    let deposits_first = dir.path().join("deposits_first_10_3.py");
    std::fs::write(
        &deposits_first,
        source.replace(start, "th1.start()\nth1.join()\nth2.start()\n"),
    )
    .unwrap();
    let printed = python(&deposits_first, None);
    assert!(
        printed.contains("Запрос отклонен, недостаточно средств"),
        "{printed}"
    );
}

#[test]
fn threads_run_one_after_another_fail_the_threads_rule() {
    if !have_python() {
        return;
    }
    let output = check(&variant("sequential_10_1.py"), &[]);
    fails_only(
        &output,
        "threads at the same time",
        "Завершилась запись в файл example8.txt",
        "Завершилась запись в файл example7.txt",
    );
}

#[test]
fn right_lines_from_one_thread_fail_the_threads_rule() {
    if !have_python() {
        return;
    }
    let output = check(&variant("one_thread_10_1.py"), &[]);
    fails_only(
        &output,
        "threads at the same time",
        "at least 4 of the program's threads alive at the same time",
        "0 threads made",
    );
}

#[test]
fn off_by_one_day_fails_the_days_rule() {
    if !have_python() {
        return;
    }
    let output = check(&variant("off_by_one_10_2.py"), &[]);
    fails_only(
        &output,
        "each knight's days",
        "Sir Lancelot, сражается 1 день(дня)..., осталось 90 воинов.",
        "Sir Lancelot, сражается 0 день(дня)..., осталось 90 воинов.",
    );
}

#[test]
fn inconsistent_arithmetic_fails_the_arithmetic_rule() {
    if !have_python() {
        return;
    }
    let output = check(&variant("arithmetic_10_3.py"), &[]);
    fails_only(
        &output,
        "arithmetic",
        "Итоговый баланс: ",
        "Итоговый баланс: ",
    );
}

#[test]
fn glued_lines_are_explained_as_a_print_race() {
    if !have_python() {
        return;
    }
    let output = check(&variant("glued_10_2.py"), &[]);
    fails_only(
        &output,
        "every line whole",
        "on lines of their own",
        "осталось 50 воинов.Sir Galahad, сражается 5 день(дня)",
    );
    let text = stdout(&output);
    assert!(text.contains("print race"), "{text}");
    assert!(text.contains("end=''"), "the fix is shown:\n{text}");
}

/// Runs a deadlocking variant; checks the time, the report's names and that none of the
/// processes it wrote down is left.
fn hangs(file: &str, names: &[&str]) -> String {
    hangs_with(potok(), 0.0, file, names)
}

/// [`hangs`], with `cmd` as the `potok` to run, whose `python3` takes `slow_start` seconds
/// more than usual to start.
fn hangs_with(mut cmd: assert_cmd::Command, slow_start: f64, file: &str, names: &[&str]) -> String {
    let pids = tempfile::NamedTempFile::new().unwrap();
    let hang_after = 2.0;
    let started = Instant::now();
    let output = cmd
        .env("POTOK_TEST_PIDS", pids.path())
        .args([
            "--lang",
            "en",
            "check",
            "--time-scale",
            "0.05",
            "--hang-after",
            "2",
        ])
        .arg(variant(file))
        .output()
        .unwrap();
    let took = started.elapsed();
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{output:?}");
    assert!(
        took < Duration::from_secs_f64(slow_start + hang_after + 5.0),
        "reported in {took:?}:\n{text}"
    );
    assert!(text.contains("the program hung"), "{text}");
    for name in names {
        assert!(text.contains(name), "{name} named in the report:\n{text}");
    }
    let written = std::fs::read_to_string(pids.path()).unwrap();
    let pids: Vec<&str> = written.lines().collect();
    assert!(!pids.is_empty(), "the program wrote its pid");
    for pid in pids {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or (if the pid was reused at once) some other process.
        assert!(
            !stat.contains("python"),
            "process {pid} left behind: {stat}"
        );
    }
    text
}

#[test]
fn deadlocking_bank_is_reported_and_stopped() {
    if !have_python() {
        return;
    }
    let text = hangs(
        "deadlock_bank_10_3.py",
        &[
            "thread 'take'",
            "Lock 'Bank.lock' (held by 'take')",
            "thread 'deposit'",
        ],
    );
    assert!(text.contains("waits for a Lock it holds itself"), "{text}");
}

#[test]
fn abba_is_reported_as_a_cycle_and_its_child_process_stopped() {
    if !have_python() {
        return;
    }
    let text = hangs(
        "abba_10_3.py",
        &[
            "deadlock: both threads wait for each other",
            "thread 'A'",
            "holds Lock 'lock_a' and waits for Lock 'lock_b' (held by 'B')",
            "holds Lock 'lock_b' and waits for Lock 'lock_a' (held by 'A')",
            "process 'sleeper'",
        ],
    );
    assert!(
        text.contains("abba_10_3.py:"),
        "where each thread stands:\n{text}"
    );
}

/// The real `python3` on the PATH.
fn real_python() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap();
    std::env::split_paths(&path)
        .map(|dir| dir.join("python3"))
        .find(|p| p.is_file())
        .unwrap()
}

/// The hang clock starts when the interpreter has started, not when it was spawned. On a
/// loaded machine `python3` took longer than a short `--hang-after` to start (1.5 s beside 5
/// busy loops on 2 cores): that startup was declared a hang, the state request killed the
/// interpreter before its handler was installed, and the report said "it did not answer the
/// state request" instead of naming the deadlock. Here a `python3` that waits 3 s before it
/// starts the real one (a shell script, so it does not catch the request either) stands for
/// that slow start, beyond `--hang-after 2`.
#[test]
fn a_python_slower_to_start_than_hang_after_is_not_taken_for_a_hang() {
    if !have_python() {
        return;
    }
    let slow_start = 3.0;
    let bin = tempfile::tempdir().unwrap();
    let script = bin.path().join("python3");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nsleep {slow_start}\nexec '{}' \"$@\"\n",
            real_python().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut path = vec![bin.path().to_path_buf()];
    path.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    let mut cmd = potok();
    cmd.env("PATH", std::env::join_paths(path).unwrap());
    let text = hangs_with(
        cmd,
        slow_start,
        "abba_10_3.py",
        &[
            "deadlock: both threads wait for each other",
            "process 'sleeper'",
        ],
    );
    assert!(!text.contains("did not answer"), "{text}");
}

#[test]
fn a_get_from_an_empty_queue_forever_is_reported() {
    if !have_python() {
        return;
    }
    hangs(
        "queue_forever_10_4.py",
        &[
            "thread 'waiter' waits for an item from Queue 'Cafe.queue' (it is empty)",
            "thread 'MainThread' waits for thread 'waiter' to finish",
            "queue_forever_10_4.py:15 in waiter",
        ],
    );
}

#[test]
fn an_event_nobody_sets_is_reported() {
    if !have_python() {
        return;
    }
    hangs(
        "event_forever_10_2.py",
        &["thread 'Sir Lancelot' waits for Event 'horn' (nobody has set it)"],
    );
}

/// A folder holding the shim as `sitecustomize.py`, as `potok check` writes it.
fn shim_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sitecustomize.py"),
        include_str!("../src/check/shim.py"),
    )
    .unwrap();
    dir
}

/// `python3 program` (under the shim in `shim`, when given), bounded at 120 s; its stdout.
fn python(program: &Path, shim: Option<&Path>) -> String {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(program).env_remove("PYTHONPATH");
    if let Some(dir) = shim {
        cmd.env("PYTHONPATH", dir)
            .env("POTOK_CHECK_DIR", dir)
            .env("POTOK_CHECK_SCALE", "0.5")
            .env("POTOK_CHECK_T0", "0");
    }
    let output = output_within(cmd, Duration::from_secs(120));
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The shim changes nothing a program prints (every wrapped primitive, used the ordinary way,
/// errors included), and records each kind of wait it wraps.
#[test]
fn the_shim_changes_nothing_the_program_prints() {
    if !have_python() {
        return;
    }
    let program = variant("primitives.py");
    let dir = shim_folder();
    let run = |shim: Option<&Path>| python(&program, shim);
    let plain = run(None);
    assert!(plain.contains("pool [0, 1, 4, 9, 16]"), "{plain}");
    assert_eq!(run(Some(dir.path())), plain);
    assert!(!dir.path().join("shim-error.txt").exists());
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).unwrap();
    for cat in [
        "sleep",
        "lock",
        "condition",
        "event",
        "semaphore",
        "barrier",
        "queue",
        "join",
        "thread",
        "process",
    ] {
        assert!(
            events.contains(&format!("\"cat\": \"{cat}\"")),
            "{cat} recorded:\n{events}"
        );
    }
}

/// Pool workers keep Python's default SIGTERM under the shim: `Pool.terminate()` (the end of
/// `with Pool(...)`) must end a worker that waits for a task. A SIGTERM handler of the shim's
/// kept one alive in 6 of 150 runs of primitives.py under load, its parent joining it forever.
#[test]
fn pool_workers_keep_the_default_sigterm_under_the_shim() {
    if !have_python() {
        return;
    }
    let dir = shim_folder();
    let printed = python(&variant("pool_sigterm.py"), Some(dir.path()));
    assert_eq!(
        printed.trim(),
        "default SIGTERM in the workers [True, True, True, True]"
    );
}

#[test]
fn a_crash_shows_the_tracebacks_last_lines() {
    if !have_python() {
        return;
    }
    let output = check(&variant("crash_10_2.py"), &[]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("the program failed (exit code 1)"), "{text}");
    assert!(
        text.contains("NameError: name 'Knight' is not defined"),
        "{text}"
    );
}

/// At the default scale (×0.1) checking 10_1 takes under ten seconds: the program's sleeps
/// add up to 5.4 s (the course's 34 s and 20 s, scaled), and the rest (the interpreter's
/// start, the shim's records, the rules) fits in the other 4.6 s. A loaded machine stretches
/// the sleeps, which is the program's time, not potok's (beside 3 busy loops the whole check
/// took up to 9.5 s): so the program's own run (MainThread's span in the trace) is taken from
/// the check's time, and what is left must fit in the 4.6 s.
#[test]
fn default_scale_checks_10_1_in_under_ten_seconds() {
    if !have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("t.json");
    let started = Instant::now();
    let output = potok()
        .args(["--lang", "en", "check"])
        .arg(solution("module_10_1.py"))
        .arg("--trace")
        .arg(&json)
        .output()
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("sleeps ×0.1"),
        "{}",
        stdout(&output)
    );
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let program = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["ph"] == "X" && e["cat"] == "thread" && e["args"]["object"] == "MainThread")
        .and_then(|e| e["dur"].as_f64())
        .expect("the program's main thread in the trace")
        / 1e6;
    let sleeps = (34.0 + 20.0) * 0.1;
    assert!(
        program >= sleeps,
        "the program ran {program} s: sleeps cut short"
    );
    assert!(
        took - program < 10.0 - sleeps,
        "the check took {took} s, {} s beside the program's own {program} s",
        took - program
    );
}

#[test]
fn trace_and_timeline_hold_the_programs_threads() {
    if !have_python() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (json, html) = (dir.path().join("t.json"), dir.path().join("t.html"));
    let output = check(
        &solution("module_10_2.py"),
        &[
            "--trace",
            json.to_str().unwrap(),
            "--timeline",
            html.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stdout(&output));
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let named = |name: &str| {
        events
            .iter()
            .any(|e| e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == name)
    };
    assert!(named("Sir Lancelot") && named("Sir Galahad"), "{trace}");
    assert!(events.iter().any(|e| e["ph"] == "X" && e["cat"] == "sleep"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("Sir Galahad"), "the page holds the trace");
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let output = potok()
        .args(["check"])
        .arg(dir.path().join("module_10_1.py"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "no such file: {output:?}");
    let unnamed = dir.path().join("homework.py");
    std::fs::write(&unnamed, "print('hi')\n").unwrap();
    let output = potok().arg("check").arg(&unnamed).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "no lesson: {output:?}");
    let output = potok()
        .args(["check", "--lesson", "10_9"])
        .arg(&unnamed)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "unknown lesson: {output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("10_9"));
}

#[test]
fn no_python_is_one_line_and_exit_2() {
    let empty = tempfile::tempdir().unwrap();
    let output = potok()
        .env("PATH", empty.path())
        .args(["--lang", "en", "check"])
        .arg(solution("module_10_1.py"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("python3 is not on the PATH"), "{stderr}");
}
