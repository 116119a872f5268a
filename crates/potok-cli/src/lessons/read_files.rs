//! 10_5 "Многопроцессное программирование": read four files one after another, then with a
//! process pool's `map` (and, beyond the course, with four threads), and time each way.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use potok::process::Pool;

use crate::console::say;
use crate::context::{Context, Lang};
use crate::error::{CliError, CliResult};
use crate::timedelta;

/// Lines per generated file when `--lines` is not given: the linear read of all four takes
/// about a second on a 2-vCPU VM.
pub(crate) const DEFAULT_LINES: u64 = 3_000_000;

/// `file 1.txt` … `file 4.txt`, as in the course.
pub(crate) fn file_names() -> Vec<String> {
    (1..=4).map(|n| format!("file {n}.txt")).collect()
}

/// The course's `read_info(name)`: reads the file line by line into a list, which is then
/// dropped. Returns how many lines it read (the course returns nothing).
///
/// # Panics
///
/// If the file cannot be read (in a pool worker, that is the task's error).
pub(crate) fn read_info(name: String) -> u64 {
    let file = File::open(&name).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let mut all_data = Vec::new();
    for line in BufReader::new(file).lines() {
        all_data.push(line.unwrap_or_else(|e| panic!("cannot read {name}: {e}")));
    }
    all_data.len() as u64
}

/// What generated file number `n` (1-based) holds: `lines` consecutive integers, one per line,
/// continuing from the previous file (file 1 starts at 1).
pub(crate) fn first_number(n: u64, lines: u64) -> u64 {
    (n - 1) * lines + 1
}

/// Writes the files that are missing (also `potok check`'s 10_5 inputs).
pub(crate) fn generate_missing(dir: &Path, lines: u64) -> io::Result<()> {
    for (i, name) in file_names().iter().enumerate() {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        eprintln!("potok: writing {} ({lines} lines)", path.display());
        // Written under a temporary name, so an interrupted run leaves no half file behind.
        let partial = dir.join(format!(".{name}.partial"));
        let mut out = BufWriter::new(File::create(&partial)?);
        let first = first_number(i as u64 + 1, lines);
        for number in first..first + lines {
            writeln!(out, "{number}")?;
        }
        out.flush()?;
        drop(out);
        std::fs::rename(&partial, &path)?;
    }
    Ok(())
}

pub(crate) fn run(ctx: &Context, dir: &Path, lines: u64) -> CliResult {
    check_dir(dir)?;
    generate_missing(dir, lines).map_err(|e| {
        CliError::Failed(format!("cannot write the files in {}: {e}", dir.display()))
    })?;
    let paths: Vec<String> = file_names()
        .iter()
        .map(|name| dir.join(name).to_string_lossy().into_owned())
        .collect();

    // Линейный вызов
    let start = Instant::now();
    for path in &paths {
        read_info(path.clone());
    }
    let took = timedelta::format(start.elapsed());
    match ctx.lang {
        Lang::Ru => say!("{took} (линейный)"),
        Lang::En => say!("{took} (linear)"),
    }

    // Многопроцессный: `with Pool(processes=4) as pool: pool.map(read_info, filenames)`,
    // timed with the pool's start, as in the course.
    let start = Instant::now();
    {
        let pool = Pool::new(paths.len())
            .map_err(|e| CliError::Failed(format!("cannot start the process pool: {e}")))?;
        pool.map(read_info, paths.iter().cloned())
            .map_err(|e| CliError::Failed(format!("reading in the process pool: {e}")))?;
    }
    let took = timedelta::format(start.elapsed());
    match ctx.lang {
        Lang::Ru => say!("{took} (многопроцессный)"),
        Lang::En => say!("{took} (multiprocess)"),
    }

    // Beyond the course: the same reads in four threads, for comparison.
    let start = Instant::now();
    let threads: Vec<_> = paths
        .iter()
        .cloned()
        .map(|path| potok::spawn(move || read_info(path)))
        .collect();
    for thread in threads {
        thread.join()?;
    }
    let took = timedelta::format(start.elapsed());
    match ctx.lang {
        Lang::Ru => say!("{took} (многопоточный)"),
        Lang::En => say!("{took} (multithreaded)"),
    }
    Ok(())
}

/// Bad input, found before any work: a `--dir` that is missing or not a folder.
fn check_dir(dir: &Path) -> CliResult {
    let bad = |why: &str| CliError::Usage(format!("--dir {}: {why}", dir.display()));
    if !dir.exists() {
        return Err(bad("no such folder"));
    }
    if !dir.is_dir() {
        return Err(bad("not a folder"));
    }
    Ok(())
}
