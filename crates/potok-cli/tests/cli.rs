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

#[test]
fn write_words_writes_eight_files_and_threads_beat_functions() {
    let dir = tempfile::tempdir().unwrap();
    let output = potok()
        .args([
            "--lang",
            "ru",
            "write-words",
            "--time-scale",
            "0.01",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 10, "{lines:#?}");
    let done = |n: u32| format!("Завершилась запись в файл example{n}.txt");
    assert_eq!(lines[..4], [done(1), done(2), done(3), done(4)]);
    let functions = lines[4].strip_prefix("Работа функций ").expect(&lines[4]);
    // the threads finish by size: 10, 30, 100, then 200 words
    assert_eq!(lines[5..9], [done(5), done(6), done(8), done(7)]);
    let threads = lines[9].strip_prefix("Работа потоков ").expect(&lines[9]);
    let (functions, threads) = (parse_timedelta(functions), parse_timedelta(threads));
    assert!(
        threads < 0.75 * functions,
        "threads took {threads}s, functions {functions}s: no overlap"
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
