//! Every word in the chosen language: bad input (one line, exit code 2, what was wrong and
//! what is allowed) in Russian and English, and the help of every command, with only the
//! options that command uses.

mod support;

use support::potok;

/// Runs `potok --lang LANG ARGS…`: exit code 2, nothing on stdout, one line on stderr that
/// contains every needle; returns the line.
fn bad(lang: &str, args: &[&str], needles: &[&str]) -> String {
    let output = potok().args(["--lang", lang]).args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?}: printed on stdout");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: not one line: {stderr}"
    );
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{args:?}: '{stderr}' lacks '{needle}'"
        );
    }
    stderr
}

#[test]
fn negative_numbers_are_values_not_options() {
    bad(
        "en",
        &["read-files", "--lines", "-5"],
        &["--lines", "'-5'", "from 1 to 50000000"],
    );
    bad(
        "en",
        &["cafe", "--tables", "-1"],
        &["--tables", "'-1'", "from 1 to 1000"],
    );
    bad(
        "en",
        &["bank", "--seed", "-1"],
        &["--seed", "'-1'", "from 0 to"],
    );
    bad(
        "ru",
        &["read-files", "--lines", "-5"],
        &["--lines", "'-5'", "от 1 до 50000000"],
    );
    bad(
        "ru",
        &["cafe", "--tables", "-1"],
        &["'-1'", "целое число от 1 до 1000"],
    );
}

#[test]
fn each_bad_value_says_what_is_allowed() {
    bad(
        "en",
        &["bank", "--seed", "abc"],
        &["--seed", "'abc'", "whole number"],
    );
    bad(
        "ru",
        &["bank", "--seed", "abc"],
        &["--seed", "'abc'", "целое число"],
    );
    bad(
        "en",
        &["deadlock", "ring", "1"],
        &["ring", "'1'", "from 2 to 64"],
    );
    bad(
        "ru",
        &["deadlock", "ring", "1"],
        &["ring", "'1'", "от 2 до 64"],
    );
    bad(
        "en",
        &["knights", "--knight", "Sir Bors:99999999999999999999"],
        &["from 1 to 100"],
    );
    bad(
        "ru",
        &["knights", "--knight", "Sir Bors:99999999999999999999"],
        &["от 1 до 100"],
    );
    bad(
        "en",
        &["knights", "--time-scale", "0"],
        &["--time-scale", "positive number"],
    );
    bad(
        "ru",
        &["knights", "--time-scale", "0"],
        &["--time-scale", "положительное число"],
    );
    bad("en", &["show", "10_9"], &["'10_9'", "10_1"]);
}

#[test]
fn an_unknown_language_lists_the_known_ones() {
    // The message is in the locale's language (English here), naming both languages.
    let output = potok().args(["--lang", "fr", "knights"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("'fr'") && stderr.contains("ru or en"),
        "{stderr}"
    );
    let output = potok()
        .env("LANG", "ru_RU.UTF-8")
        .args(["--lang", "fr", "knights"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("'fr'") && stderr.contains("ru или en"),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_command_gets_a_suggestion() {
    bad("en", &["knigts"], &["'knigts'", "did you mean 'knights'?"]);
    bad("ru", &["knigts"], &["'knigts'", "может быть, 'knights'?"]);
    bad("en", &["deadlock", "rign"], &["rign", "ring"]);
    // A misspelt scenario is a scenario, not an option.
    bad(
        "ru",
        &["deadlock", "abab"],
        &["у potok deadlock нет сценария 'abab': может быть, 'abba'?"],
    );
    bad(
        "en",
        &["deadlock", "abab"],
        &["potok deadlock has no scenario 'abab': did you mean 'abba'?"],
    );
}

#[test]
fn a_missing_scenario_points_at_the_commands_own_help() {
    let line = bad(
        "en",
        &["deadlock"],
        &["potok deadlock --help", "abba", "ring N", "self", "bank"],
    );
    assert!(!line.contains("'potok --help'"), "{line}");
    bad("ru", &["deadlock"], &["potok deadlock --help", "abba"]);
    bad("en", &[], &["potok --help"]);
    bad("ru", &[], &["potok --help", "не указана команда"]);
}

#[test]
fn options_are_per_command() {
    // --time-scale and --seed only where they mean something.
    bad(
        "en",
        &["gil", "--time-scale", "1"],
        &["potok gil does not take --time-scale"],
    );
    bad(
        "en",
        &["read-files", "--time-scale", "1"],
        &["does not take --time-scale"],
    );
    bad(
        "en",
        &["knights", "--seed", "3"],
        &["potok knights does not take --seed"],
    );
    bad(
        "en",
        &["write-words", "--seed", "3"],
        &["does not take --seed"],
    );
    bad(
        "ru",
        &["gil", "--time-scale", "1"],
        &["у potok gil нет параметра --time-scale"],
    );
    // Before the command, an option is pointed to its place.
    bad(
        "en",
        &["--time-scale", "0.1", "knights"],
        &["potok knights --time-scale"],
    );
}

#[test]
fn a_folder_that_cannot_be_written_is_refused_up_front_by_both_lessons() {
    let dir = tempfile::tempdir().unwrap();
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "").unwrap();
    // A folder inside a file cannot exist; /proc cannot be written.
    for lesson in ["write-words", "read-files"] {
        bad(
            "en",
            &[lesson, "--dir", "/proc"],
            &["--dir /proc", "cannot write there"],
        );
        bad(
            "ru",
            &[lesson, "--dir", "/proc"],
            &["--dir /proc", "туда нельзя писать"],
        );
        bad(
            "en",
            &[lesson, "--dir", blocked.to_str().unwrap()],
            &["not a folder"],
        );
    }
}

/// `potok --lang LANG ARGS… --help` on stdout.
fn help(lang: &str, args: &[&str]) -> String {
    let output = potok()
        .args(["--lang", lang])
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

const COMMANDS: [&[&str]; 14] = [
    &[],
    &["write-words"],
    &["knights"],
    &["bank"],
    &["deadlock"],
    &["deadlock", "abba"],
    &["deadlock", "ring"],
    &["deadlock", "bank"],
    &["cafe"],
    &["gil"],
    &["read-files"],
    &["tour"],
    &["show"],
    &["worker"],
];

#[test]
fn every_help_is_in_russian_under_lang_ru() {
    for args in COMMANDS {
        let text = help("ru", args);
        for english in [
            "Usage",
            "Options",
            "Commands",
            "Arguments",
            "Print help",
            "[default",
            "[OPTIONS]",
            "<COMMAND>",
        ] {
            assert!(!text.contains(english), "{args:?}: '{english}' in\n{text}");
        }
        assert!(text.contains("Использование: potok"), "{args:?}:\n{text}");
        assert!(text.contains("Показать справку"), "{args:?}:\n{text}");
    }
    assert!(help("ru", &[]).contains("Коды выхода"));
}

#[test]
fn every_help_is_in_english_under_lang_en() {
    for args in COMMANDS {
        let text = help("en", args);
        assert!(text.contains("Usage: potok"), "{args:?}:\n{text}");
        assert!(!text.contains("Использование"), "{args:?}:\n{text}");
    }
}

/// The long options a command's help offers.
fn options(args: &[&str]) -> Vec<String> {
    let mut found: Vec<String> = help("en", args)
        .split_whitespace()
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches([',', '.', ')']).to_owned())
        .filter(|w| {
            w.chars()
                .skip(2)
                .all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn a_commands_help_lists_only_the_options_it_uses() {
    let expect = |args: &[&str], wanted: &[&str]| {
        let mut wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        wanted.extend(["--help", "--lang", "--trace", "--timeline"].map(str::to_owned));
        wanted.sort();
        assert_eq!(options(args), wanted, "{args:?}");
    };
    expect(&["write-words"], &["--dir", "--time-scale", "--no-explain"]);
    expect(&["knights"], &["--knight", "--time-scale", "--no-explain"]);
    expect(
        &["bank"],
        &["--faithful", "--time-scale", "--seed", "--no-explain"],
    );
    expect(
        &["cafe"],
        &[
            "--tables",
            "--guest",
            "--time-scale",
            "--seed",
            "--no-explain",
        ],
    );
    expect(
        &["gil"],
        &["--threads", "--work", "--broker", "--no-explain"],
    );
    expect(
        &["read-files"],
        &["--dir", "--lines", "--clean", "--no-explain"],
    );
    expect(&["deadlock", "abba"], &[]);
    expect(&["deadlock", "bank"], &["--time-scale", "--seed"]);
    expect(&["tour"], &["--time-scale", "--seed", "--no-explain"]);
}

#[test]
fn the_seed_line_says_what_it_repeats_and_what_it_cannot() {
    let output = potok()
        .args([
            "--lang",
            "en",
            "bank",
            "--time-scale",
            "0.001",
            "--no-explain",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("seed: "))
        .expect(&stderr);
    assert!(line.contains("repeats the amounts drawn"), "{line}");
    assert!(
        line.contains("not the order in which the threads interleave"),
        "{line}"
    );
    let output = potok()
        .args([
            "--lang",
            "ru",
            "bank",
            "--time-scale",
            "0.001",
            "--no-explain",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("seed: "))
        .expect(&stderr);
    assert!(
        line.contains("повторит случайные суммы") && line.contains("порядок"),
        "{line}"
    );
}
