//! Around every lesson, a tool that teaches: an explanation after each lesson on stderr from
//! the run's own figures (stdout stays the course's lines; `--no-explain` hides it), the
//! honest `bank --faithful`, `potok show`, and the tour's edges (its first line, its 10_5 and
//! gil lines, its temporary folder when the reader goes away).

mod support;

use support::potok;

fn run(args: &[&str]) -> (String, String) {
    let output = potok().args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn write_words_explains_the_overlap_the_order_and_the_label() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (out, err) = run(&[
        "--lang",
        "ru",
        "write-words",
        "--time-scale",
        "0.01",
        "--dir",
        d,
    ]);
    assert_eq!(
        out.lines().count(),
        10,
        "stdout is the course's lines only: {out}"
    );
    assert!(err.contains("Что произошло"), "{err}");
    assert!(
        err.contains("самый длинный файл (200 слов × 0,1 с"),
        "{err}"
    );
    // example8 (100 words) finishes before example7 (200) unless the loaded machine kept its
    // thread waiting; either way the explanation says what this run did.
    if err.contains("по порядку запуска: example5, example6, example8, example7.") {
        assert!(err.contains("поэтому example8 готов раньше"), "{err}");
    } else {
        assert!(
            err.contains("Потоки закончили в таком порядке: ")
                && err.contains("в этот раз машина была занята"),
            "{err}"
        );
    }
    assert!(
        err.contains("«Работа потоков»") && err.contains("«Работа функций»"),
        "{err}"
    );
    let (out2, err2) = run(&[
        "--lang",
        "ru",
        "write-words",
        "--time-scale",
        "0.01",
        "--no-explain",
        "--dir",
        d,
    ]);
    assert_eq!(out2.lines().count(), 10);
    assert!(err2.is_empty(), "--no-explain leaves stderr empty: {err2}");
}

#[test]
fn knights_bank_and_cafe_explain_from_their_figures() {
    let (_, err) = run(&["--lang", "en", "knights", "--time-scale", "0.01"]);
    assert!(
        err.contains("Sir Lancelot (power 10) fought 10 days"),
        "{err}"
    );
    assert!(err.contains("They fought at once"), "{err}");
    let (out, err) = run(&[
        "--lang",
        "en",
        "bank",
        "--time-scale",
        "0.001",
        "--seed",
        "2",
    ]);
    let balance = out
        .lines()
        .last()
        .unwrap()
        .strip_prefix("Final balance: ")
        .unwrap();
    assert!(err.contains("The Lock was a signal"), "{err}");
    assert!(
        err.contains(&format!("= {balance}, the final balance")),
        "{err}"
    );
    let (_, err) = run(&[
        "--lang",
        "ru",
        "cafe",
        "--time-scale",
        "0.002",
        "--seed",
        "4",
    ]);
    assert!(
        err.contains("12 гостей, 5 столов: 7 гостей ждали в очереди"),
        "{err}"
    );
    let (_, err) = run(&[
        "--lang",
        "en",
        "knights",
        "--time-scale",
        "0.001",
        "--no-explain",
    ]);
    assert!(err.is_empty(), "{err}");
}

#[test]
fn gil_and_read_files_explain_their_point() {
    let (_, err) = run(&["--lang", "en", "gil", "--threads", "2", "--work", "2"]);
    assert!(
        err.contains("CPU-bound work needs processes") || err.contains("no CPython rows"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (_, err) = run(&[
        "--lang",
        "en",
        "read-files",
        "--lines",
        "2000",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(err.contains("Processes pay off when"), "{err}");
}

#[test]
fn bank_faithful_is_honest_about_how_rarely_it_hangs() {
    let (help, _) = run(&["--lang", "en", "bank", "--help"]);
    assert!(
        help.contains("measured on 1 December 2026: in 2–5 of 100 runs")
            && help.contains("potok deadlock bank"),
        "{help}"
    );
    let (_, err) = run(&[
        "--lang",
        "ru",
        "bank",
        "--faithful",
        "--time-scale",
        "0.001",
        "--seed",
        "1",
    ]);
    assert!(
        err.contains("Замер 1 декабря 2026 года")
            && err.contains("зависли 20 запусков из 1000")
            && err.contains("potok deadlock bank"),
        "{err}"
    );
}

#[test]
fn deadlock_reports_are_worded_in_russian() {
    let (out, _) = run(&["--lang", "ru", "deadlock", "self"]);
    assert!(
        out.contains("взаимная блокировка: оба потока заблокированы"),
        "{out}"
    );
    assert!(
        out.contains("поток 'worker' держит Lock 'lock' и ждёт Lock 'lock' (его держит 'worker')"),
        "{out}"
    );
    assert!(
        out.contains("поток 'MainThread' ждёт завершения потока 'worker'"),
        "{out}"
    );
    assert!(out.contains("RLock"), "{out}");
    let (out, _) = run(&["--lang", "ru", "deadlock", "ring", "3"]);
    assert!(out.contains("3 потока ждут друг друга по кругу"), "{out}");
    assert!(out.contains("один порядок замков для всех"), "{out}");
    let (out, _) = run(&[
        "--lang",
        "ru",
        "deadlock",
        "bank",
        "--time-scale",
        "0.001",
        "--seed",
        "5",
    ]);
    assert!(
        out.contains("Запрос отклонён, недостаточно средств\n   ← take берёт замок: он свободен"),
        "{out}"
    );
    assert!(out.contains("освободить замок некому"), "{out}");
    assert!(
        !out.contains("deadlock:") && !out.contains("thread '"),
        "English in: {out}"
    );
}

#[test]
fn show_prints_the_rust_program_then_the_python_solution() {
    let (out, _) = run(&["--lang", "en", "show", "10_3"]);
    let rust = out.find("potok's program in Rust").expect(&out);
    let python = out.find("a Python solution of the task").expect(&out);
    assert!(rust < python);
    assert!(out[rust..python].contains("struct Bank") && out[python..].contains("class Bank"));
    for lesson in ["10_1", "knights", "3", "cafe", "module_10_5.py"] {
        let (out, _) = run(&["--lang", "ru", "show", lesson]);
        assert!(
            out.contains("программа potok на Rust") && out.contains("решение задачи на Python"),
            "{lesson}"
        );
        assert!(
            out.contains("def ") || out.contains("class "),
            "{lesson}: no Python"
        );
    }
}

#[test]
fn the_tour_starts_with_its_first_header_and_its_gil_line_matches_the_work_help() {
    let (out, _) = run(&["--lang", "en", "tour", "--no-explain"]);
    let first = out.lines().next().unwrap();
    assert!(first.starts_with("== 10_1 "), "the first line: {first:?}");
    let work = out.lines().find(|l| l.starts_with("Work: ")).expect(&out);
    // "Work: N × R squares (Rust), N × P (CPython); …": P is a twentieth of R, as --work says.
    let numbers: Vec<u64> = work
        .split([' ', ','])
        .filter_map(|w| w.parse().ok())
        .collect();
    let (rust, python) = (numbers[1], numbers[3]);
    assert_eq!(python, rust / 20, "{work}");
}

#[test]
fn a_reader_that_goes_away_leaves_no_tour_folder_behind() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;
    let tmp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("potok"))
        .args(["--lang", "en", "tour"])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("== 10_1 "), "{first:?}");
    // The reader is gone here, like `potok tour | head -1`.
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(
        stderr.is_empty(),
        "a broken pipe is not an error to report: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "the tour left {left:?} behind");
}
