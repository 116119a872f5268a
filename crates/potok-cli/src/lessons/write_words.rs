//! 10_1 "Создание потоков": write four files one after another, then in four threads.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use crate::console::{say, Progress};
use crate::context::{Context, Lang};
use crate::error::{CliError, CliResult};
use crate::timedelta;

/// (word count, file name) for the functions, then for the threads, as in the course.
const SEQUENTIAL: [(u32, &str); 4] = [
    (10, "example1.txt"),
    (30, "example2.txt"),
    (200, "example3.txt"),
    (100, "example4.txt"),
];
const THREADED: [(u32, &str); 4] = [
    (10, "example5.txt"),
    (30, "example6.txt"),
    (200, "example7.txt"),
    (100, "example8.txt"),
];

/// The line the course writes for word number `n`.
pub(crate) fn word_line(lang: Lang, n: u32) -> String {
    match lang {
        Lang::Ru => format!("Какое-то слово № {n}"),
        Lang::En => format!("Some word No. {n}"),
    }
}

/// The course's `write_words(word_count, file_name)`.
fn write_words(
    ctx: &Context,
    progress: &Progress,
    word_count: u32,
    dir: &Path,
    file_name: &str,
) -> io::Result<()> {
    let path = dir.join(file_name);
    let mut file = BufWriter::new(File::create(&path)?);
    for i in 1..=word_count {
        writeln!(file, "{}", word_line(ctx.lang, i))?;
        file.flush()?;
        ctx.sleep(0.1);
        progress.inc(1);
    }
    match ctx.lang {
        Lang::Ru => say!("Завершилась запись в файл {file_name}"),
        Lang::En => say!("Finished writing to file {file_name}"),
    }
    Ok(())
}

pub(crate) fn run(ctx: &Context, dir: &Path) -> CliResult {
    check_writable(dir)?;
    let failed = |e: io::Error| CliError::Failed(format!("cannot write in {}: {e}", dir.display()));

    let words: u32 = SEQUENTIAL.iter().chain(&THREADED).map(|(n, _)| n).sum();
    let progress = Arc::new(Progress::new(u64::from(words), "words"));

    let start = Instant::now();
    for (word_count, file_name) in SEQUENTIAL {
        write_words(ctx, &progress, word_count, dir, file_name).map_err(failed)?;
    }
    let took = timedelta::format(start.elapsed());
    match ctx.lang {
        Lang::Ru => say!("Работа функций {took}"),
        Lang::En => say!("Functions took {took}"),
    }

    let start = Instant::now();
    let threads: Vec<_> = THREADED
        .into_iter()
        .map(|(word_count, file_name)| {
            let (ctx, progress, dir) = (ctx.clone(), Arc::clone(&progress), dir.to_path_buf());
            potok::spawn(move || write_words(&ctx, &progress, word_count, &dir, file_name))
        })
        .collect();
    for thread in threads {
        thread.join()?.map_err(failed)?;
    }
    let took = timedelta::format(start.elapsed());
    drop(progress);
    match ctx.lang {
        Lang::Ru => say!("Работа потоков {took}"),
        Lang::En => say!("Threads took {took}"),
    }
    Ok(())
}

/// Bad input, found before any work: a `--dir` that is missing or cannot be written.
fn check_writable(dir: &Path) -> CliResult {
    let bad = |why: String| CliError::Usage(format!("--dir {}: {why}", dir.display()));
    if !dir.exists() {
        return Err(bad("no such folder".to_owned()));
    }
    if !dir.is_dir() {
        return Err(bad("not a folder".to_owned()));
    }
    let probe: PathBuf = dir.join(format!(".potok-write-check-{}", std::process::id()));
    File::create(&probe).map_err(|e| bad(format!("cannot write there: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
