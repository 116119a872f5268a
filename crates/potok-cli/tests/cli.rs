//! The `potok` binary, run as a user runs it: lessons write-words and knights, tour, languages,
//! and bad input (one line on stderr, exit code 2).

mod support;

use std::path::Path;

use support::potok;

fn stdout_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Parses Python's `str(timedelta)` (`H:MM:SS[.ffffff]`) into seconds.
fn parse_timedelta(s: &str) -> f64 {
    let parts: Vec<&str> = s.split(':').collect();
    assert_eq!(parts.len(), 3, "not H:MM:SS: {s}");
    assert_eq!(parts[1].len(), 2, "minutes are two digits: {s}");
    let (secs, frac) = parts[2].split_once('.').unwrap_or((parts[2], "0"));
    assert_eq!(secs.len(), 2, "seconds are two digits: {s}");
    if parts[2].contains('.') {
        assert_eq!(frac.len(), 6, "microseconds are six digits: {s}");
    }
    parts[0].parse::<f64>().unwrap() * 3600.0
        + parts[1].parse::<f64>().unwrap() * 60.0
        + secs.parse::<f64>().unwrap()
        + format!("0.{frac}").parse::<f64>().unwrap()
}

fn assert_words(dir: &Path, file: &str, count: u32) {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let expected: String = (1..=count)
        .map(|i| format!("Какое-то слово № {i}\n"))
        .collect();
    assert_eq!(text, expected, "{file}");
}

/// One thread's lane in a `--trace` file: when it started and ended (µs) and how many sleeps
/// it recorded (one per word).
#[derive(Debug)]
struct Lane {
    start: f64,
    end: f64,
    sleeps: usize,
}

/// The lanes of the threads other than MainThread in the trace at `path`.
fn thread_lanes(path: &Path) -> Vec<Lane> {
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let at = |tid: &serde_json::Value, name: &str| {
        events
            .iter()
            .find(|e| e["tid"] == *tid && e["cat"] == "thread" && e["name"] == name)
            .and_then(|e| e["ts"].as_f64())
            .unwrap_or_else(|| panic!("{name} of lane {tid}"))
    };
    events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .filter(|e| e["args"]["name"] != "MainThread")
        .map(|lane| {
            let tid = &lane["tid"];
            Lane {
                start: at(tid, "thread start"),
                end: at(tid, "thread end"),
                sleeps: events
                    .iter()
                    .filter(|e| e["tid"] == *tid && e["cat"] == "sleep")
                    .count(),
            }
        })
        .collect()
}

/// The course's 10_1: four files one after another, then four in threads. What the lesson
/// teaches is that the threads ran at the same time, so their phase took about as long as the
/// longest file and not the sum. That is asserted against the run itself (its `--trace`),
/// never against a fixed figure or the functions' phase: on a loaded machine the threaded
/// phase took 0.84 of the functions' (0.52 s against 0.62 s), and beside 5 busy loops 1.26 of
/// it once (the load is not the same from one phase to the next), though the threads
/// overlapped all along; and example7 finished before example8 in 1 run of 12.
#[test]
fn write_words_writes_eight_files_and_its_threads_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let scale = 0.01;
    let output = potok()
        .args([
            "--lang",
            "ru",
            "write-words",
            "--time-scale",
            &scale.to_string(),
        ])
        .arg("--trace")
        .arg(&trace)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 10, "{lines:#?}");
    let done = |n: u32| format!("Завершилась запись в файл example{n}.txt");
    assert_eq!(lines[..4], [done(1), done(2), done(3), done(4)]);
    let functions = lines[4].strip_prefix("Работа функций ").expect(&lines[4]);
    // Each thread says when it is done, in the order they finish (by size, 5, 6, 8, 7, unless
    // the machine held one back: the explanation then says so).
    let mut threaded = lines[5..9].to_vec();
    threaded.sort();
    assert_eq!(threaded, [done(5), done(6), done(7), done(8)]);
    let threads = lines[9].strip_prefix("Работа потоков ").expect(&lines[9]);
    let (functions, threads) = (parse_timedelta(functions), parse_timedelta(threads));
    // A sleep never ends early: 0.1 s × scale per word.
    let word = 0.1 * scale;
    assert!(functions >= 340.0 * word, "functions took {functions}s");
    assert!(threads >= 200.0 * word, "threads took {threads}s");

    let mut lanes = thread_lanes(&trace);
    lanes.sort_by_key(|lane| lane.sleeps);
    let sleeps: Vec<usize> = lanes.iter().map(|lane| lane.sleeps).collect();
    assert_eq!(sleeps, [10, 30, 100, 200], "a lane per file: {lanes:?}");
    // They overlapped: each started before the longest (example7) ended, example8 too,
    // though it was started after it. One after another, example8 starts when example7 ends.
    let longest = &lanes[3];
    assert!(
        lanes.iter().all(|lane| lane.start < longest.end),
        "a thread started only after example7's ended: {lanes:?}"
    );
    // One after another, the phase lasts at least the sum of the four threads' own times (as
    // this run measured them, load included): longer than the longest by all the others'
    // time. Together it is about the longest, the excess only the spawns and the joins, far
    // below half the others' time. (A ratio to the sum is no test under load: a stall near
    // the end, when only example7's thread is left, lengthens the longest alone; 0.75 of the
    // sum was reached so.)
    let span = |lane: &Lane| (lane.end - lane.start) / 1e6;
    let others: f64 = lanes[..3].iter().map(span).sum();
    let excess = threads - span(longest);
    assert!(
        excess < 0.5 * others,
        "the threaded phase took {threads}s, {excess}s more than its longest thread, whose \
         three others took {others}s: they did not overlap ({lanes:?})"
    );
    for (n, count) in [
        (1, 10),
        (2, 30),
        (3, 200),
        (4, 100),
        (5, 10),
        (6, 30),
        (7, 200),
        (8, 100),
    ] {
        assert_words(dir.path(), &format!("example{n}.txt"), count);
    }
}

/// Checks one knight's lines: attacked, each day in order with what is left, victory.
fn assert_knight(lines: &[String], name: &str, power: u32, lang_ru: bool) {
    let own: Vec<&String> = lines.iter().filter(|l| l.starts_with(name)).collect();
    let days = 100_u32.div_ceil(power);
    let mut expected = Vec::new();
    if lang_ru {
        expected.push(format!("{name}, на нас напали!"));
        for day in 1..=days {
            let left = 100_u32.saturating_sub(power * day);
            expected.push(format!(
                "{name}, сражается {day} день(дня)..., осталось {left} воинов."
            ));
        }
        expected.push(format!("{name} одержал победу спустя {days} дней(дня)!"));
    } else {
        expected.push(format!("{name}, we are under attack!"));
        for day in 1..=days {
            let left = 100_u32.saturating_sub(power * day);
            expected.push(format!(
                "{name}, fighting for {day} day(s)..., {left} warriors left."
            ));
        }
        expected.push(format!("{name} won after {days} day(s)!"));
    }
    assert_eq!(own, expected.iter().collect::<Vec<_>>(), "{name}'s lines");
}

#[test]
fn knights_fight_in_order_with_the_right_numbers() {
    let output = potok()
        .args(["--lang", "ru", "knights", "--time-scale", "0.005"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output);
    assert_knight(&lines, "Sir Lancelot", 10, true);
    assert_knight(&lines, "Sir Galahad", 20, true);
    assert_eq!(lines.len(), 12 + 7 + 1);
    assert_eq!(lines.last().unwrap(), "Все битвы закончились!");
}

#[test]
fn knights_from_the_command_line_and_in_english() {
    let output = potok()
        .args(["--lang", "en", "knights", "--time-scale", "0.005"])
        .args(["--knight", "Sir Percival:30", "--knight", "Sir Bors: 7"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output);
    assert_knight(&lines, "Sir Percival", 30, false);
    assert_knight(&lines, "Sir Bors", 7, false);
    assert_eq!(lines.last().unwrap(), "All battles are over!");
}

#[test]
fn language_follows_the_locale_by_default() {
    let russian = potok()
        .env("LANG", "ru_RU.UTF-8")
        .args(["knights", "--knight", "K:100", "--time-scale", "0.001"])
        .output()
        .unwrap();
    assert_eq!(
        stdout_lines(&russian).last().unwrap(),
        "Все битвы закончились!"
    );
    let english = potok()
        .env("LANG", "de_DE.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .args(["knights", "--knight", "K:100", "--time-scale", "0.001"])
        .output()
        .unwrap();
    assert_eq!(
        stdout_lines(&english).last().unwrap(),
        "All battles are over!"
    );
}

#[test]
fn tour_runs_every_lesson() {
    let output = potok().args(["--lang", "en", "tour"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    for needle in [
        "Threads took",
        "Functions took",
        "All battles are over!",
        "Final balance: ",
        "Deadlock caught",
        "Alexandra left the queue and sat down at table number",
        "Rust, sequential",
    ] {
        assert!(text.contains(needle), "tour printed no '{needle}':\n{text}");
    }
}

#[test]
fn help_names_every_lesson() {
    let output = potok().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for lesson in [
        "write-words",
        "knights",
        "bank",
        "deadlock",
        "cafe",
        "gil",
        "tour",
    ] {
        assert!(text.contains(lesson), "help does not mention {lesson}");
    }
}

/// Bad input: exit code 2, one line on stderr that names the problem, nothing on stdout.
fn assert_bad_input(args: &[&str], mention: &str) {
    let output = potok().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    assert!(
        stderr.contains(mention),
        "{args:?}: '{stderr}' does not mention '{mention}'"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "{args:?}: printed {:?}",
        output.stdout
    );
}

#[test]
fn bad_input_gets_one_line_and_exit_code_2() {
    assert_bad_input(&["--bogus", "knights"], "--bogus");
    assert_bad_input(&["fly"], "fly");
    assert_bad_input(&["knights", "--time-scale", "0"], "positive number");
    assert_bad_input(&["knights", "--time-scale", "-1"], "positive number");
    assert_bad_input(&["knights", "--time-scale", "fast"], "positive number");
    assert_bad_input(&["--lang", "fr", "knights"], "fr");
    assert_bad_input(&["knights", "--knight", "Sir Nobody"], "NAME:POWER");
    assert_bad_input(&["knights", "--knight", "Sir Idle:0"], "from 1 to 100");
    assert_bad_input(&["knights", "--knight", ":5"], "name");
    assert_bad_input(&["bank", "--seed", "x"], "--seed");
    assert_bad_input(&[], "--help");
    assert_bad_input(&["deadlock"], "--help");
    // values that would overflow a sleep or the machine
    assert_bad_input(&["knights", "--time-scale", "1e30"], "up to 1000");
    assert_bad_input(&["gil", "--work", "99999999999999"], "--work");
    assert_bad_input(&["gil", "--threads", "5000"], "--threads");
    assert_bad_input(&["gil", "--threads", "0"], "--threads");
    assert_bad_input(&["cafe", "--tables", "100000000000"], "--tables");
    assert_bad_input(&["cafe", "--guest", "  "], "empty");
    assert_bad_input(&["read-files", "--lines", "0"], "--lines");
}

#[test]
fn a_dir_that_cannot_be_written_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert_bad_input(
        &["write-words", "--dir", missing.to_str().unwrap()],
        "no such folder",
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    assert_bad_input(
        &["write-words", "--dir", file.to_str().unwrap()],
        "not a folder",
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "nothing was written"
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("potok"))
        .args(["--lang", "en", "knights", "--time-scale", "0.01"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("under attack"), "{first}");
    // the reader is dropped here, like `potok knights | head -1`
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
