//! `potok show LESSON`: the lesson's Rust program (the very file potok runs) and then
//! potok's own Python solution of the task (`solutions/module_10_N.py`, which `potok check`'s
//! tests run too), so a learner reads the two one after the other.

use crate::console::say;
use crate::context::Context;
use crate::error::CliResult;

/// One of the five lessons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lesson {
    /// 10_1, write-words.
    L1,
    /// 10_2, knights.
    L2,
    /// 10_3, bank.
    L3,
    /// 10_4, cafe.
    L4,
    /// 10_5, read-files.
    L5,
}

/// Per lesson: number, command, Rust file name, its text, Python file name, its text.
type Sources = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

impl Lesson {
    /// `10_1`, `10.1`, `1`, `module_10_1` or the lesson's command (`write-words`).
    pub(crate) fn parse(s: &str) -> Option<Lesson> {
        let s = s.trim().trim_end_matches(".py").to_ascii_lowercase();
        let s = s.strip_prefix("module_").unwrap_or(&s).replace('.', "_");
        [Lesson::L1, Lesson::L2, Lesson::L3, Lesson::L4, Lesson::L5]
            .into_iter()
            .find(|lesson| {
                let (number, command, ..) = lesson.sources();
                s == number || s == command || s == number.trim_start_matches("10_")
            })
    }

    fn sources(self) -> Sources {
        match self {
            Lesson::L1 => (
                "10_1",
                "write-words",
                "write_words.rs",
                include_str!("write_words.rs"),
                "module_10_1.py",
                include_str!("../../solutions/module_10_1.py"),
            ),
            Lesson::L2 => (
                "10_2",
                "knights",
                "knights.rs",
                include_str!("knights.rs"),
                "module_10_2.py",
                include_str!("../../solutions/module_10_2.py"),
            ),
            Lesson::L3 => (
                "10_3",
                "bank",
                "bank.rs",
                include_str!("bank.rs"),
                "module_10_3.py",
                include_str!("../../solutions/module_10_3.py"),
            ),
            Lesson::L4 => (
                "10_4",
                "cafe",
                "cafe.rs",
                include_str!("cafe.rs"),
                "module_10_4.py",
                include_str!("../../solutions/module_10_4.py"),
            ),
            Lesson::L5 => (
                "10_5",
                "read-files",
                "read_files.rs",
                include_str!("read_files.rs"),
                "module_10_5.py",
                include_str!("../../solutions/module_10_5.py"),
            ),
        }
    }
}

pub(crate) fn run(ctx: &Context, lesson: Lesson) -> CliResult {
    let (number, _, rust_file, rust, python_file, python) = lesson.sources();
    let m = ctx.m();
    say(m.show_rust(number, &format!("crates/potok-cli/src/lessons/{rust_file}")))?;
    say(rust.trim_end())?;
    say("")?;
    say(m.show_python(number, &format!("crates/potok-cli/solutions/{python_file}")))?;
    say(python.trim_end())?;
    Ok(())
}
