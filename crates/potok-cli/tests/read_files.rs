//! `potok read-files` (lesson 10_5), run as a user runs it: the three timings in Python's
//! duration format, the generated files' content, files already there left alone, bad input,
//! and the lesson in the tour. The pool's workers are the `potok` binary itself, dispatched by
//! `potok::main`.

mod support;

use std::path::Path;

use support::potok;

/// Checks `H:MM:SS[.ffffff] (<label>)` and returns the label.
fn timing_label(line: &str) -> &str {
    let (duration, label) = line.split_once(' ').expect("a duration, then a label");
    let parts: Vec<&str> = duration.split(':').collect();
    assert_eq!(parts.len(), 3, "not H:MM:SS: {line}");
    assert!(parts[0].chars().all(|c| c.is_ascii_digit()), "{line}");
    assert_eq!(parts[1].len(), 2, "{line}");
    let (secs, frac) = parts[2].split_once('.').unwrap_or((parts[2], "000000"));
    assert_eq!(secs.len(), 2, "{line}");
    assert_eq!(frac.len(), 6, "microseconds are six digits: {line}");
    assert!(
        (secs.to_owned() + frac).chars().all(|c| c.is_ascii_digit()),
        "{line}"
    );
    label
        .strip_prefix('(')
        .and_then(|l| l.strip_suffix(')'))
        .unwrap_or_else(|| panic!("label not in parentheses: {line}"))
}

fn run_lesson(lang: &str, dir: &Path, lines: &str) -> Vec<String> {
    let output = potok()
        .args(["--lang", lang, "read-files", "--lines", lines, "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn three_timings_and_generated_files() {
    let dir = tempfile::tempdir().unwrap();
    let lines = run_lesson("ru", dir.path(), "1000");
    let labels: Vec<&str> = lines.iter().map(|l| timing_label(l)).collect();
    assert_eq!(labels, ["линейный", "многопроцессный", "многопоточный"]);
    for n in 1..=4u64 {
        let text = std::fs::read_to_string(dir.path().join(format!("file {n}.txt"))).unwrap();
        let expected: String = ((n - 1) * 1000 + 1..=n * 1000)
            .map(|i| format!("{i}\n"))
            .collect();
        assert_eq!(text, expected, "file {n}.txt");
    }
    // No partial files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}

#[test]
fn english_labels_and_existing_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file 1.txt"), "7\n8\n").unwrap();
    let lines = run_lesson("en", dir.path(), "50");
    let labels: Vec<&str> = lines.iter().map(|l| timing_label(l)).collect();
    assert_eq!(labels, ["linear", "multiprocess", "multithreaded"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("file 1.txt")).unwrap(),
        "7\n8\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("file 2.txt"))
            .unwrap()
            .lines()
            .next(),
        Some("51")
    );
}

#[test]
fn bad_input_is_exit_code_2() {
    for (args, mention) in [
        (vec!["read-files", "--lines", "0"], "from 1 to"),
        (vec!["read-files", "--lines", "many"], "from 1 to"),
        (
            vec!["read-files", "--dir", "/no/such/folder"],
            "no such folder",
        ),
    ] {
        let output = potok().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(mention), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn the_tour_reads_files_too() {
    let output = potok().args(["--lang", "en", "tour"]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    for needle in ["(linear)", "(multiprocess)", "(multithreaded)"] {
        assert!(text.contains(needle), "tour printed no '{needle}':\n{text}");
    }
    // Files big enough for processes to pay off where there is a free core (20,000 lines a
    // file, read in 12 ms, showed nothing): the explanation says how many megabytes.
    let stderr = String::from_utf8(output.stderr).unwrap();
    let megabytes: u64 = stderr
        .lines()
        .find_map(|l| {
            l.split_once(" MB in four files")
                .map(|(n, _)| n.trim().to_owned())
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in the tour's 10_5 explanation:\n{stderr}"));
    assert!(megabytes >= 10, "the tour reads only {megabytes} MB");
    let help = potok().arg("--help").output().unwrap();
    assert!(String::from_utf8(help.stdout)
        .unwrap()
        .contains("read-files"));
}

/// Runs read-files in `dir` with these existing files: exit code 1, one line, no panic.
fn assert_fails_reading(dir: &Path, mention: &str) {
    let output = potok()
        .args(["--lang", "en", "read-files", "--lines", "10", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("potok: cannot"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("file 1.txt") && lines[0].contains(mention),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_file_that_is_not_utf8_is_one_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file 1.txt"), b"1\n\xff\xfe\n").unwrap();
    assert_fails_reading(dir.path(), "UTF-8");
}

#[test]
fn a_folder_in_place_of_a_file_is_one_line_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("file 1.txt")).unwrap();
    assert_fails_reading(dir.path(), "a folder, not a file");
}

#[test]
fn without_dir_the_files_go_to_a_cache_folder_said_before_and_cleaned_on_request() {
    let cwd = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let lesson = |args: &[&str]| {
        potok()
            .current_dir(cwd.path())
            .env("XDG_CACHE_HOME", cache.path())
            .args(["--lang", "en", "read-files"])
            .args(args)
            .output()
            .unwrap()
    };
    let output = lesson(&["--lines", "100", "--no-explain"]);
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let folder = cache.path().join("potok").join("read-files");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains("writing 4 files") && first.contains(&folder.display().to_string()),
        "{stderr}"
    );
    assert!(first.contains("potok read-files --clean"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "nothing in the current folder"
    );
    assert!(folder.join("100").join("file 4.txt").exists());
    // The second run reads them again and says so.
    let output = lesson(&["--lines", "100", "--no-explain"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("an earlier run wrote"), "{stderr}");
    let output = lesson(&["--clean"]);
    assert!(output.status.success(), "{output:?}");
    assert!(!folder.exists(), "--clean removed the cache folder");
}

#[test]
fn the_help_offers_the_clean_up_in_russian() {
    let help = potok()
        .args(["--lang", "ru", "read-files", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("--clean") && help.contains("кэша"), "{help}");
}
