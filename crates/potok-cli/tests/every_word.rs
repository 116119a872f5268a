//! Every word in the chosen language, for every command: `--help` of each, every lesson, the
//! tour, show, the deadlock demos, check (a pass, a failed rule, a hang), worker, gil, and the
//! error paths (bad values, misspelt commands, a folder that is missing or not writable, a
//! file that is a folder, not UTF-8 or unreadable, `--trace` that cannot be written, a
//! broker that does not answer), with the lock-order warning on.
//!
//! Under `--lang ru` no English word of four letters or more may appear outside an allow-list
//! of names (the course's code: `deposit`, `Lock`; programs: `Python`; the guests and
//! knights; potok's commands), file names, paths, flags and quoted text. Under `--lang en` no
//! Cyrillic letter may appear outside quoted text: the course's own lines, which a learner's
//! program prints in Russian, are quoted («…») or shown as the program's output.

mod support;

use std::path::{Path, PathBuf};

use support::potok;

/// Words that are names, not English: the course's code, programs and formats, the course's
/// guests and knights, potok's commands and scenarios, the lessons' thread and lock names.
const NAMES: &[&str] = &[
    // the course's code and Python's / potok's types
    "deposit",
    "take",
    "balance",
    "print",
    "acquire",
    "release",
    "Lock",
    "RLock",
    "Mutex",
    "Event",
    "Condition",
    "Queue",
    "Semaphore",
    "Barrier",
    "DeadlockError",
    "MainThread",
    "multiprocessing",
    "threading",
    "shim",
    "Pool",
    "Thread",
    "Knight",
    // programs, formats, places
    "potok",
    "Python",
    "CPython",
    "Rust",
    "Redis",
    "Chrome",
    "Perfetto",
    "JSON",
    "HTML",
    "UTF",
    "FIFO",
    "LANG",
    "PATH",
    "stderr",
    "stdout",
    "example",
    "file",
    // the course's guests and knights
    "Lancelot",
    "Galahad",
    "Bors",
    "Maria",
    "Oleg",
    "Vakhtang",
    "Sergey",
    "Darya",
    "Arman",
    "Vitoria",
    "Nikita",
    "Galina",
    "Pavel",
    "Ilya",
    "Alexandra",
    // potok's commands and scenarios, and the names of the demos' threads and locks
    "write",
    "words",
    "knights",
    "bank",
    "deadlock",
    "abba",
    "ring",
    "self",
    "cafe",
    "read",
    "files",
    "tour",
    "show",
    "check",
    "worker",
    "legacy",
    "fork",
    "philosopher",
    "lock",
];

/// One run: the arguments after `--lang L`, and whether only its headings are words (`show`
/// prints source code).
struct Run {
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    headings_only: bool,
}

fn run(args: &[&str]) -> Run {
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        headings_only: false,
    }
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have_python() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("python3").is_file()))
}

/// A scratch folder of the test's own, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(lang: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("potok-every-word-{lang}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every command, and the error paths, with sizes that keep each run short.
fn runs(scratch: &Scratch) -> Vec<Run> {
    let dir = &scratch.0;
    // read-files' inputs that cannot be read: a folder, bytes that are not UTF-8, and a file
    // whose read fails (/proc/self/mem at offset 0 gives EIO, even to root).
    for (name, make) in [("folder", 0), ("binary", 1), ("unreadable", 2)] {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        let first = d.join("file 1.txt");
        match make {
            0 => std::fs::create_dir_all(&first).unwrap(),
            1 => std::fs::write(&first, b"\xff\xfe\n").unwrap(),
            _ => std::os::unix::fs::symlink("/proc/self/mem", &first).unwrap(),
        }
    }
    let mut runs: Vec<Run> = vec![
        run(&["--help"]),
        run(&[]),
        run(&["help"]),
        run(&["--version"]),
    ];
    for command in [
        &["write-words"][..],
        &["knights"],
        &["bank"],
        &["deadlock"],
        &["deadlock", "abba"],
        &["deadlock", "ring"],
        &["deadlock", "self"],
        &["deadlock", "bank"],
        &["cafe"],
        &["gil"],
        &["worker"],
        &["read-files"],
        &["tour"],
        &["show"],
        &["check"],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        runs.push(run(&args));
    }
    let ww = scratch.path("ww");
    let rf = scratch.path("rf");
    std::fs::create_dir_all(&ww).unwrap();
    std::fs::create_dir_all(&rf).unwrap();
    runs.extend([
        run(&["write-words", "--time-scale", "0.001", "--dir", &ww]),
        run(&["knights", "--time-scale", "0.001"]),
        run(&["bank", "--time-scale", "0.001", "--seed", "1"]),
        run(&["bank", "--faithful", "--time-scale", "0.001", "--seed", "1"]),
        run(&["deadlock", "abba"]),
        run(&["deadlock", "ring", "3"]),
        run(&["deadlock", "self"]),
        run(&["deadlock", "bank", "--seed", "1"]),
        run(&["cafe", "--time-scale", "0.001", "--seed", "1"]),
        run(&["gil", "--work", "1", "--threads", "2"]),
        run(&["read-files", "--lines", "1000", "--dir", &rf]),
        run(&["tour", "--time-scale", "0.001", "--seed", "1"]),
        run(&["worker", "redis://127.0.0.1:1/0"]),
        run(&["worker", "http://nowhere"]),
        run(&[
            "gil",
            "--work",
            "1",
            "--threads",
            "1",
            "--broker",
            "redis://127.0.0.1:1/0",
        ]),
        // bad input
        run(&["deadlock"]),
        run(&["knigts"]),
        run(&["deadlock", "abab"]),
        run(&["knights", "--tim-scale", "1"]),
        run(&["read-files", "--lines", "-5"]),
        run(&["bank", "--seed", "abc"]),
        run(&["deadlock", "ring", "1"]),
        run(&["knights", "--knight", "Sir Bors:99999999999999999999"]),
        run(&["knights", "--knight", "Sir Bors"]),
        run(&["--time-scale", "0.1", "knights"]),
        run(&["knights", "--time-scale", "1", "--time-scale", "2"]),
        run(&["knights", "--time-scale"]),
        run(&["show", "10_9"]),
        run(&["read-files", "--dir", "/proc"]),
        run(&["write-words", "--dir", "/proc"]),
        run(&["read-files", "--dir", "/nonexistent/folder"]),
        run(&[
            "knights",
            "--time-scale",
            "0.001",
            "--trace",
            "/proc/x.json",
        ]),
        run(&[
            "knights",
            "--time-scale",
            "0.001",
            "--timeline",
            "/nonexistent/x.html",
        ]),
        // files that cannot be read
        run(&[
            "read-files",
            "--lines",
            "10",
            "--dir",
            &scratch.path("folder"),
        ]),
        run(&[
            "read-files",
            "--lines",
            "10",
            "--dir",
            &scratch.path("binary"),
        ]),
        run(&[
            "read-files",
            "--lines",
            "10",
            "--dir",
            &scratch.path("unreadable"),
        ]),
    ]);
    for lesson in ["10_1", "10_2", "10_3", "10_4", "10_5"] {
        runs.push(Run {
            headings_only: true,
            ..run(&["show", lesson])
        });
    }
    // The lock-order warning, worded by the CLI.
    runs.push(Run {
        env: vec![("POTOK_LOCK_ORDER", "1".to_owned())],
        ..run(&["deadlock", "abba"])
    });
    let solutions = crate_dir().join("solutions");
    let variants = crate_dir().join("tests").join("check");
    let file = |dir: &Path, name: &str| dir.join(name).to_string_lossy().into_owned();
    runs.extend([
        run(&["check", "/nonexistent/module_10_1.py"]),
        run(&[
            "check",
            &file(&solutions, "module_10_2.py"),
            "--lesson",
            "10_9",
        ]),
        run(&[
            "check",
            &file(&solutions, "module_10_2.py"),
            "--hang-after",
            "-1",
        ]),
    ]);
    if have_python() {
        for (path, extra) in [
            (file(&solutions, "module_10_2.py"), &[][..]),
            (file(&variants, "misspelled_10_3.py"), &[]),
            (file(&variants, "one_thread_10_1.py"), &[]),
            (file(&variants, "glued_10_2.py"), &[]),
            (file(&variants, "crash_10_2.py"), &[]),
            (file(&variants, "abba_10_3.py"), &["--hang-after", "1"]),
            (
                file(&solutions, "module_10_2.py"),
                &["--trace", "/proc/x.json"],
            ),
        ] {
            let mut args = vec!["check", path.as_str(), "--time-scale", "0.02"];
            args.extend(extra);
            runs.push(run(&args));
        }
    }
    runs
}

/// Runs every command under `--lang lang`; each line with what `bad` finds in it.
fn offences(lang: &str, bad: fn(&str) -> Vec<String>) -> Vec<String> {
    let scratch = Scratch::new(lang);
    let mut found = Vec::new();
    let mut all = runs(&scratch);
    // An unknown --lang: the locale's language then.
    let locale = if lang == "ru" { "ru_RU.UTF-8" } else { "C" };
    all.push(Run {
        env: vec![("LANG", locale.to_owned())],
        ..run(&["--lang", "fr", "knights"])
    });
    for r in all {
        let mut cmd = potok();
        if !r.args.starts_with(&["--lang".to_owned()]) {
            cmd.args(["--lang", lang]);
        }
        cmd.args(&r.args).current_dir(&scratch.0);
        for (key, value) in &r.env {
            cmd.env(key, value);
        }
        let output = cmd.output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !text.contains("panicked at"),
            "{:?} panicked:\n{text}",
            r.args
        );
        for line in text.lines() {
            if r.headings_only && !line.starts_with("====") {
                continue;
            }
            let words = bad(line);
            if !words.is_empty() {
                found.push(format!(
                    "potok --lang {lang} {}: {words:?} in «{line}»",
                    r.args.join(" ")
                ));
            }
        }
    }
    found
}

/// A line the learner's program printed, or a line of its source: its words are its own.
fn programs_line(line: &str) -> bool {
    let t = line.trim_start();
    line.starts_with("  | ")
        || ["ожидалось:", "получено:", "expected:", "actual:"]
            .iter()
            .any(|p| t.starts_with(p))
        || t.split_whitespace()
            .next()
            .is_some_and(|first| first.contains(".py:"))
}

/// `line` without its quoted spans: «…», '…', "…".
fn unquoted(line: &str) -> String {
    let mut out = String::new();
    let mut close: Option<char> = None;
    let mut prev = ' ';
    for c in line.chars() {
        match close {
            Some(end) if c == end => close = None,
            Some(_) => {}
            None => match c {
                '«' => close = Some('»'),
                '"' => close = Some('"'),
                // An apostrophe inside a word (take's) opens nothing.
                '\'' if !prev.is_alphanumeric() => close = Some('\''),
                _ => out.push(c),
            },
        }
        prev = c;
    }
    out
}

/// English words of four letters or more in a Russian line, outside names, flags, paths,
/// file names, code (`time.sleep`, `join()`, `potok::RLock`) and quotes.
fn english_words(line: &str) -> Vec<String> {
    if programs_line(line) {
        return Vec::new();
    }
    let mut found = Vec::new();
    for token in unquoted(line).split_whitespace() {
        let inner = token.trim_start_matches(['(', '[']);
        let code = inner.starts_with('-')
            || ["/", "_", "::", "(", "<", "="]
                .iter()
                .any(|s| inner.contains(s));
        let token = token.trim_matches(|c: char| !c.is_alphanumeric());
        if code || token.contains('.') {
            continue;
        }
        for word in token.split(|c: char| !c.is_ascii_alphabetic()) {
            if word.len() >= 4 && !NAMES.contains(&word) {
                found.push(word.to_owned());
            }
        }
    }
    found
}

/// Cyrillic letters in an English line, outside quotes and the program's own lines.
fn cyrillic(line: &str) -> Vec<String> {
    if programs_line(line) {
        return Vec::new();
    }
    unquoted(line)
        .split_whitespace()
        .filter(|w| {
            w.chars()
                .any(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё'))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_scanners_find_what_they_look_for() {
    assert_eq!(
        english_words("potok: не удалось прочитать: Is a directory"),
        ["directory"]
    );
    assert!(english_words("поток 'A' держит Lock 'lock_a' (--time-scale, file 1.txt)").is_empty());
    assert!(english_words("  | Sir Lancelot, on the attack").is_empty());
    assert_eq!(cyrillic("a thread: поток"), ["поток"]);
    assert!(cyrillic("the label «Работа потоков» and \"Работа функций\"").is_empty());
}

#[test]
fn every_word_is_russian_under_lang_ru() {
    let found = offences("ru", english_words);
    assert!(
        found.is_empty(),
        "English under --lang ru:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_russian_under_lang_en() {
    let found = offences("en", cyrillic);
    assert!(
        found.is_empty(),
        "Russian under --lang en:\n{}",
        found.join("\n")
    );
}
