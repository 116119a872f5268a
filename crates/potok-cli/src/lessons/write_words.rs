//! 10_1 "Создание потоков": write four files one after another, then in four threads.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::console::{say, Progress};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::msg::facts;
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

/// The course's `write_words(word_count, file_name)`.
fn write_words(
    ctx: &Context,
    progress: &Progress,
    word_count: u32,
    dir: &Path,
    file_name: &str,
) -> CliResult {
    let failed = |e: std::io::Error| {
        CliError::Failed(
            ctx.m()
                .cannot_write_in(&dir.display().to_string(), &ctx.m().io_error(&e)),
        )
    };
    let path = dir.join(file_name);
    let mut file = BufWriter::new(File::create(&path).map_err(failed)?);
    for i in 1..=word_count {
        writeln!(file, "{}", ctx.m().word_line(i)).map_err(failed)?;
        file.flush().map_err(failed)?;
        ctx.sleep(0.1);
        progress.inc(1);
    }
    say(ctx.m().finished_writing(file_name))?;
    Ok(())
}

pub(crate) fn run(ctx: &Context, dir: &Path) -> CliResult {
    check_writable(ctx, dir)?;
    let words: u32 = SEQUENTIAL.iter().chain(&THREADED).map(|(n, _)| n).sum();
    let progress = Arc::new(Progress::new(u64::from(words), ctx.m().progress_words()));

    let start = Instant::now();
    for (word_count, file_name) in SEQUENTIAL {
        write_words(ctx, &progress, word_count, dir, file_name)?;
    }
    let functions = start.elapsed();
    say(ctx.m().functions_took(&timedelta::format(functions)))?;

    let finish_order = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let threads: Vec<_> = THREADED
        .into_iter()
        .map(|(word_count, file_name)| {
            let (ctx, progress, dir) = (ctx.clone(), Arc::clone(&progress), dir.to_path_buf());
            let order = Arc::clone(&finish_order);
            potok::spawn(move || {
                write_words(&ctx, &progress, word_count, &dir, file_name)?;
                order
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(file_name.trim_end_matches(".txt").to_owned());
                CliResult::Ok(())
            })
        })
        .collect();
    for thread in threads {
        thread.join()??;
    }
    let threads = start.elapsed();
    drop(progress);
    say(ctx.m().threads_took(&timedelta::format(threads)))?;

    let finish_order =
        std::mem::take(&mut *finish_order.lock().unwrap_or_else(PoisonError::into_inner));
    ctx.explain(|m| {
        m.explain_write_words(&facts::WriteWords {
            scale: ctx.time_scale,
            functions: functions.as_secs_f64(),
            threads: threads.as_secs_f64(),
            words_sum: THREADED.iter().map(|(n, _)| n).sum(),
            words_max: THREADED.iter().map(|(n, _)| *n).max().unwrap_or(0),
            finish_order,
        })
    });
    Ok(())
}

/// Bad input, found before any work: a `--dir` that is missing, not a folder, or cannot be
/// written. (read-files checks its folder the same way.)
pub(crate) fn check_writable(ctx: &Context, dir: &Path) -> CliResult {
    let shown = dir.display().to_string();
    if !dir.exists() {
        return Err(CliError::Usage(ctx.m().no_such_folder(&shown)));
    }
    if !dir.is_dir() {
        return Err(CliError::Usage(ctx.m().not_a_folder(&shown)));
    }
    let probe: PathBuf = dir.join(format!(".potok-write-check-{}", std::process::id()));
    File::create(&probe)
        .map_err(|e| CliError::Usage(ctx.m().cannot_write_there(&shown, &ctx.m().io_error(&e))))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
