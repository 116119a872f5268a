//! Child processes' events: a file per process id, appended to as the child goes, read by the
//! recording process when it finishes.
//!
//! The recording process names a fresh directory in the environment of the children it starts
//! ([`ENV`]); a child that finds it records into `DIR/PID.potok-trace`. Each batch is one
//! `write` of a frame: a little-endian `u32` length, then the batch in postcard. A child killed
//! in the middle of a write leaves a short last frame, which the reader skips. The parent never
//! waits for a child to hand its trace over: it reads whatever the files hold at its finish.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::event::Batch;

/// The environment variable naming the directory for children's files.
pub(crate) const ENV: &str = "POTOK_TRACE_CHILDREN";

/// Appends one batch to a child's file (errors are ignored: a trace must not break the
/// program).
pub(crate) fn append(file: &Mutex<File>, batch: &Batch) {
    let Ok(body) = postcard::to_allocvec(batch) else {
        return;
    };
    let Ok(len) = u32::try_from(body.len()) else {
        return;
    };
    let mut frame = Vec::with_capacity(body.len() + 4);
    frame.extend_from_slice(&len.to_le_bytes());
    frame.extend_from_slice(&body);
    let _ = file.lock().write_all(&frame);
}

/// A fresh directory for the children of a recording.
pub(crate) fn make_dir() -> Option<PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "potok-trace-{}-{n}-{}",
        std::process::id(),
        super::clock::wall_ns() % 1_000_000_007
    ));
    fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// This child's file in `dir`.
pub(crate) fn open_file(dir: &Path) -> Option<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{}.potok-trace", std::process::id())))
        .ok()
}

/// Every whole batch in the files of `dir`; then removes the directory.
pub(crate) fn read_dir_and_remove(dir: &Path) -> Vec<Batch> {
    let mut batches = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if let Ok(bytes) = fs::read(&path) {
                batches.extend(parse(&bytes));
            }
        }
    }
    let _ = fs::remove_dir_all(dir);
    batches
}

/// The whole frames of a file, in order; a short or unreadable frame ends it.
pub(crate) fn parse(mut bytes: &[u8]) -> Vec<Batch> {
    let mut batches = Vec::new();
    while bytes.len() >= 4 {
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let Some(body) = bytes.get(4..4 + len) else {
            break;
        };
        match postcard::from_bytes::<Batch>(body) {
            Ok(batch) => batches.push(batch),
            Err(_) => break,
        }
        bytes = &bytes[4 + len..];
    }
    batches
}
