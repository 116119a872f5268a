//! 10_5 "Многопроцессное программирование": read four files one after another, then with a
//! process pool's `map` (and, beyond the course, with four threads), and time each way.
//!
//! Without `--dir` the files (about 97 MB at the default size) go to potok's cache folder
//! (`$XDG_CACHE_HOME/potok/read-files`, else `~/.cache/potok/read-files`), one subfolder per
//! `--lines`, kept for the next run and removed by `potok read-files --clean`; the lesson
//! says so on stderr before it writes them.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use potok::process::Pool;

use crate::console::{note, say, Progress};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::msg::{facts, failure};
use crate::timedelta;

/// Lines per generated file when `--lines` is not given: the linear read of all four takes
/// about a second on a 2-vCPU VM.
pub(crate) const DEFAULT_LINES: u64 = 3_000_000;

/// `file 1.txt` … `file 4.txt`, as in the course.
pub(crate) fn file_names() -> Vec<String> {
    (1..=4).map(|n| format!("file {n}.txt")).collect()
}

/// Why `read_info` could not read a file, as it crosses from a pool worker (which does not
/// know the run's language): the OS's error number, or none for bytes that are not UTF-8.
pub(crate) type ReadError = Option<i32>;

/// The course's `read_info(name)`: reads the file line by line into a list, which is then
/// dropped. Returns how many lines it read (the course returns nothing), or why it could not
/// (a missing file, a folder, bytes that are not UTF-8).
pub(crate) fn read_info(name: String) -> Result<u64, ReadError> {
    let file = File::open(&name).map_err(|e| e.raw_os_error())?;
    let mut all_data = Vec::new();
    for line in BufReader::new(file).lines() {
        all_data.push(line.map_err(|e| e.raw_os_error())?);
    }
    Ok(all_data.len() as u64)
}

/// A [`ReadError`] as the I/O error it was (the text is the catalogue's, by its kind).
fn read_error(err: ReadError) -> std::io::Error {
    match err {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::from(std::io::ErrorKind::InvalidData),
    }
}

/// What generated file number `n` (1-based) holds: `lines` consecutive integers, one per line,
/// continuing from the previous file (file 1 starts at 1).
pub(crate) fn first_number(n: u64, lines: u64) -> u64 {
    (n - 1) * lines + 1
}

/// The size in bytes of the four generated files of `lines` lines each.
fn generated_bytes(lines: u64) -> u64 {
    let (first, last) = (1, 4 * lines);
    let mut bytes = 0;
    let mut digits_start = 1u64;
    let mut digits = 1;
    while digits_start <= last {
        let end = (digits_start * 10 - 1).min(last);
        if end >= first {
            bytes += (end - digits_start.max(first) + 1) * (digits + 1);
        }
        digits_start *= 10;
        digits += 1;
    }
    bytes
}

/// potok's cache folder for the generated files (all sizes).
pub(crate) fn cache_root() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("potok").join("read-files")
}

/// `potok read-files --clean`.
pub(crate) fn clean(ctx: &Context) -> CliResult {
    let root = cache_root();
    let shown = root.display().to_string();
    if !root.exists() {
        note(ctx.m().nothing_to_clean(&shown));
        return Ok(());
    }
    std::fs::remove_dir_all(&root)
        .map_err(|e| CliError::Failed(ctx.m().cannot_write_in(&shown, &ctx.m().io_error(&e))))?;
    note(ctx.m().cleaned(&shown));
    Ok(())
}

/// `potok read-files [--dir D] [--lines N]`.
pub(crate) fn run_cli(ctx: &Context, dir: Option<&Path>, lines: Option<u64>) -> CliResult {
    let lines = lines.unwrap_or(DEFAULT_LINES);
    match dir {
        Some(dir) => run(ctx, dir, lines, &remove_hint(dir)),
        None => {
            let dir = cache_root().join(lines.to_string());
            std::fs::create_dir_all(&dir).map_err(|e| {
                CliError::Failed(
                    ctx.m()
                        .cannot_write_in(&dir.display().to_string(), &ctx.m().io_error(&e)),
                )
            })?;
            run(ctx, &dir, lines, "potok read-files --clean")
        }
    }
}

/// How to remove the files from a folder the user chose.
fn remove_hint(dir: &Path) -> String {
    format!("rm '{}'/'file '?.txt", dir.display())
}

/// Writes the files that are missing, quietly (`potok check`'s 10_5 inputs).
pub(crate) fn generate_missing(dir: &Path, lines: u64) -> io::Result<()> {
    for (i, name) in file_names().into_iter().enumerate() {
        if !dir.join(&name).exists() {
            write_file(dir, i, &name, lines, None)?;
        }
    }
    Ok(())
}

/// Writes file number `i + 1` under a temporary name first, so an interrupted run leaves no
/// half file behind.
fn write_file(
    dir: &Path,
    i: usize,
    name: &str,
    lines: u64,
    progress: Option<&Progress>,
) -> io::Result<()> {
    let partial = dir.join(format!(".{name}.partial"));
    let mut out = BufWriter::new(File::create(&partial)?);
    let first = first_number(i as u64 + 1, lines);
    for (k, number) in (first..first + lines).enumerate() {
        writeln!(out, "{number}")?;
        if k % 65_536 == 65_535 {
            if let Some(progress) = progress {
                progress.inc(65_536);
            }
        }
    }
    if let Some(progress) = progress {
        progress.inc(lines % 65_536);
    }
    out.flush()?;
    drop(out);
    std::fs::rename(&partial, dir.join(name))
}

/// Writes the files that are missing for the lesson, saying so first (where they go, how
/// large, how to remove them), with progress on a terminal.
fn write_missing(ctx: &Context, dir: &Path, lines: u64, clean: &str) -> CliResult {
    let missing: Vec<(usize, String)> = file_names()
        .into_iter()
        .enumerate()
        .filter(|(_, name)| !dir.join(name).exists())
        .collect();
    let shown = dir.display().to_string();
    // The tour passes no hint: its folder is temporary, and the notes would only be noise.
    let notes = !clean.is_empty();
    if missing.is_empty() {
        if notes {
            note(ctx.m().reusing_files(&shown, clean));
        }
        return Ok(());
    }
    crate::lessons::write_words::check_writable(ctx, dir)?;
    let megabytes = (generated_bytes(lines) / 4 * missing.len() as u64).div_ceil(1_000_000);
    if notes {
        note(
            ctx.m()
                .writing_files(missing.len(), megabytes, &shown, clean),
        );
    }
    let progress = Progress::new(lines * missing.len() as u64, ctx.m().progress_writing());
    for (i, name) in missing {
        write_file(dir, i, &name, lines, Some(&progress)).map_err(|e| {
            CliError::Failed(ctx.m().cannot_write_in(&shown, &ctx.m().io_error(&e)))
        })?;
    }
    Ok(())
}

/// The lesson in `dir` (files generated there if missing).
pub(crate) fn run(ctx: &Context, dir: &Path, lines: u64, clean: &str) -> CliResult {
    check_dir(ctx, dir)?;
    write_missing(ctx, dir, lines, clean)?;
    let paths: Vec<String> = file_names()
        .iter()
        .map(|name| dir.join(name).to_string_lossy().into_owned())
        .collect();
    let m = ctx.m();
    let cannot_read = |path: &str, err: ReadError| {
        CliError::Failed(m.cannot_read(path, &m.io_error(&read_error(err))))
    };
    let megabytes = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|meta| meta.len() as f64 / 1e6)
        .sum();
    let [linear_way, pool_way, threads_way] = m.ways();

    // Линейный вызов
    let progress = Progress::spinner(&m.progress_reading(linear_way));
    let start = Instant::now();
    for path in &paths {
        read_info(path.clone()).map_err(|e| cannot_read(path, e))?;
    }
    let linear = start.elapsed();
    drop(progress);
    say(m.linear(&timedelta::format(linear)))?;

    // Многопроцессный: `with Pool(processes=4) as pool: pool.map(read_info, filenames)`,
    // timed with the pool's start, as in the course.
    let progress = Progress::spinner(&m.progress_reading(pool_way));
    let start = Instant::now();
    {
        let pool = Pool::new(paths.len())
            .map_err(|e| CliError::Failed(m.cannot_start_pool(&failure::pool_start(m, &e))))?;
        let read = pool
            .map(read_info, paths.iter().cloned())
            .map_err(|e| CliError::Failed(m.pool_failed(&failure::pool_map(m, &e))))?;
        for (path, result) in paths.iter().zip(read) {
            result.map_err(|e| cannot_read(path, e))?;
        }
    }
    let processes = start.elapsed();
    drop(progress);
    say(m.multiprocess(&timedelta::format(processes)))?;

    // Beyond the course: the same reads in four threads, for comparison.
    let progress = Progress::spinner(&m.progress_reading(threads_way));
    let start = Instant::now();
    let threads: Vec<_> = paths
        .iter()
        .cloned()
        .map(|path| potok::spawn(move || read_info(path)))
        .collect();
    for (path, thread) in paths.iter().zip(threads) {
        thread.join()?.map_err(|e| cannot_read(path, e))?;
    }
    let threads = start.elapsed();
    drop(progress);
    say(m.multithreaded(&timedelta::format(threads)))?;

    ctx.explain(|m| {
        m.explain_read_files(&facts::ReadFiles {
            cores: super::gil::default_threads(),
            megabytes,
            linear: linear.as_secs_f64(),
            processes: processes.as_secs_f64(),
            threads: threads.as_secs_f64(),
        })
    });
    Ok(())
}

/// Bad input, found before any work: a `--dir` that is missing or not a folder.
fn check_dir(ctx: &Context, dir: &Path) -> CliResult {
    let shown = dir.display().to_string();
    if !dir.exists() {
        return Err(CliError::Usage(ctx.m().no_such_folder(&shown)));
    }
    if !dir.is_dir() {
        return Err(CliError::Usage(ctx.m().not_a_folder(&shown)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_size_is_counted_exactly() {
        for lines in [1, 9, 10, 1000, 2501] {
            let expected: u64 = (1..=4 * lines)
                .map(|n| n.to_string().len() as u64 + 1)
                .sum();
            assert_eq!(generated_bytes(lines), expected, "{lines}");
        }
    }
}
