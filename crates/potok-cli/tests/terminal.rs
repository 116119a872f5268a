//! Progress on a terminal, through a real pseudo-terminal (`script` from util-linux): drawn
//! when stdout and stderr are both the terminal, never when stdout is piped (`| cat`,
//! `| tee`), never wider than the terminal; gil and read-files show progress too.

#[allow(dead_code)] // only LIMIT is used here
mod support;

use std::process::Command;
use std::time::Duration;

/// The `potok` binary's path.
fn potok_bin() -> String {
    assert_cmd::cargo::cargo_bin("potok").display().to_string()
}

/// Whether `script` (util-linux) can run a command on a pseudo-terminal here.
fn have_script() -> bool {
    Command::new("script")
        .args(["-qec", "true", "/dev/null"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the shell command `cmd` on a pseudo-terminal of `cols` columns; returns everything
/// the terminal showed (stdout and stderr together, escapes included).
fn on_terminal(cols: u16, cmd: &str) -> String {
    let full = format!("stty cols {cols} rows 24; {cmd}");
    let mut child = Command::new("script");
    child
        .args(["-qec", &full, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(std::process::Stdio::null());
    let output = wait_bounded(child);
    assert!(output.status.success(), "{cmd}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `cmd` to its end, failing the test if it takes longer than the suite's limit.
fn wait_bounded(mut cmd: Command) -> std::process::Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + support::LIMIT;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("did not end within {:?}", support::LIMIT);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a terminal shows, line by line: escapes removed, each `\r` starting a new segment.
fn visible_segments(raw: &str) -> Vec<String> {
    let mut text = String::new();
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ params final-letter
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() || c == '~' {
                        break;
                    }
                }
            } else {
                chars.next();
            }
        } else {
            text.push(c);
        }
    }
    text.split(['\r', '\n']).map(str::to_owned).collect()
}

#[test]
fn the_bar_is_drawn_on_a_terminal_and_fits_in_40_columns() {
    if !have_script() {
        eprintln!("no `script` here: the terminal tests need util-linux; skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} --lang en write-words --time-scale 0.02 --no-explain --dir {}",
        potok_bin(),
        dir.path().display()
    );
    let shown = on_terminal(40, &cmd);
    assert!(
        shown.contains("/680"),
        "no progress bar drawn on a terminal:\n{shown:?}"
    );
    for segment in visible_segments(&shown) {
        assert!(
            segment.chars().count() <= 40,
            "a line wider than the 40-column terminal: {segment:?}"
        );
    }
    assert!(shown.contains("Threads took"), "{shown:?}");
}

#[test]
fn no_bar_when_stdout_is_piped_even_with_stderr_on_the_terminal() {
    if !have_script() {
        eprintln!("no `script` here: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    for tail in ["| cat".to_owned(), format!("| tee {}", log.display())] {
        let cmd = format!(
            "{} --lang en write-words --time-scale 0.01 --no-explain --dir {} {tail}",
            potok_bin(),
            dir.path().display()
        );
        let shown = on_terminal(80, &cmd);
        assert!(shown.contains("Threads took"), "{shown:?}");
        assert!(
            !shown.contains("/680") && !shown.contains("words ["),
            "{tail}: {shown:?}"
        );
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        !logged.contains("/680") && !logged.contains('\u{1b}'),
        "{logged:?}"
    );
}

#[test]
fn gil_and_read_files_show_progress_on_a_terminal() {
    if !have_script() {
        eprintln!("no `script` here: skipped");
        return;
    }
    let shown = on_terminal(
        80,
        &format!("{} --lang en gil --threads 1 --work 20", potok_bin()),
    );
    assert!(shown.contains("Rust: measuring"), "{shown:?}");
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} --lang ru read-files --lines 400000 --dir {}",
        potok_bin(),
        dir.path().display()
    );
    let shown = on_terminal(80, &cmd);
    assert!(
        shown.contains("запись"),
        "no progress while writing: {shown:?}"
    );
    assert!(
        shown.contains("чтение, "),
        "no progress while reading: {shown:?}"
    );
}
