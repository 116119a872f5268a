//! `--trace F.json` and `--timeline F.html` on a lesson and on the tour; `POTOK_TRACE`.

mod support;

use support::potok;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The names of the thread lanes in a trace file, and the trace.
fn lanes(json: &str) -> (Vec<String>, String) {
    let trace = std::fs::read_to_string(json).unwrap();
    let names = trace
        .split(r#""name":"thread_name""#)
        .skip(1)
        .filter_map(|rest| {
            let at = rest.find(r#""args":{"name":""#)? + r#""args":{"name":""#.len();
            rest[at..].split('"').next().map(str::to_owned)
        })
        .collect();
    (names, trace)
}

#[test]
fn write_words_with_trace_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("t.json");
    let html = dir.path().join("t.html");
    let output = potok()
        .args([
            "--lang",
            "en",
            "write-words",
            "--time-scale",
            "0.01",
            "--trace",
        ])
        .arg(&json)
        .arg("--timeline")
        .arg(&html)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let err = stderr(&output);
    assert!(
        err.contains(&format!("Timeline of the threads: {}", html.display())),
        "says where the picture is: {err}"
    );
    assert!(
        err.contains(&format!("Chrome trace: {}", json.display())),
        "{err}"
    );
    let (names, trace) = lanes(json.to_str().unwrap());
    for name in ["MainThread", "Thread-1", "Thread-2", "Thread-3", "Thread-4"] {
        assert!(names.iter().any(|n| n == name), "lane {name} in {names:?}");
    }
    assert!(trace.contains(r#""cat":"sleep""#), "the threads' sleeps");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!doctype html>") && page.contains("Thread-4"));
}

#[test]
fn russian_says_where_the_timeline_is() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("t.html");
    let output = potok()
        .args([
            "--lang",
            "ru",
            "knights",
            "--time-scale",
            "0.01",
            "--timeline",
        ])
        .arg(&html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(stderr(&output).contains(&format!("Временная шкала потоков: {}", html.display())));
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("Sir Lancelot"));
}

#[test]
fn tour_timeline_marks_every_lesson() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("tour.json");
    let html = dir.path().join("tour.html");
    let output = potok()
        .args(["--lang", "en", "tour", "--trace"])
        .arg(&json)
        .arg("--timeline")
        .arg(&html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let (_, trace) = lanes(json.to_str().unwrap());
    for lesson in [
        "10_1 write-words",
        "10_2 knights",
        "10_3 bank",
        "10_3 deadlock abba",
        "10_4 cafe",
        "10_4 gil",
        "10_5 read-files",
    ] {
        assert!(
            trace.contains(&format!(r#""name":"{lesson}","cat":"mark""#)),
            "the tour marks where {lesson} starts"
        );
    }
    assert!(
        trace.contains(r#""cat":"deadlock""#),
        "the abba deadlock is an instant"
    );
    assert!(std::fs::metadata(&html).unwrap().len() > 10_000);
}

#[test]
fn a_trace_file_that_cannot_be_written_is_bad_input() {
    let output = potok()
        .args(["knights", "--timeline", "/nonexistent-folder/t.html"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains("--timeline: cannot write /nonexistent-folder/t.html"),
        "{err}"
    );
}

#[test]
fn potok_trace_records_any_potok_program() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("env.json");
    let output = potok()
        .env("POTOK_TRACE", &json)
        .args(["knights", "--time-scale", "0.01"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let (names, _) = lanes(json.to_str().unwrap());
    assert!(names.iter().any(|n| n == "Sir Galahad"), "{names:?}");
}
