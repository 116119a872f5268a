//! `--trace F.json` and `--timeline F.html`: the lesson's run, recorded with `potok::trace`.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Record};
use crate::console::note;
use crate::error::{CliError, CliResult};
use crate::msg::{m, Lang};

/// A recording asked for on the command line, with the files it goes to.
#[derive(Debug)]
pub(crate) struct TraceFiles {
    recording: potok::trace::Recording,
    json: Option<PathBuf>,
    html: Option<PathBuf>,
}

/// Runs `lesson`, recorded if `--trace` or `--timeline` asks for it. The files are written
/// even when the lesson failed: they show how.
pub(crate) fn around(cli: &Cli, lesson: impl FnOnce() -> CliResult) -> CliResult {
    let traced = match cli.command.recording() {
        Some(record) => start(record)?,
        None => None,
    };
    let outcome = lesson();
    if let Some(traced) = traced {
        traced.finish(cli.global.lang.unwrap_or_else(crate::msg::lang))?;
    }
    outcome
}

/// Begins recording if `--trace` or `--timeline` was given. The files are made first, so a
/// path that cannot be written is bad input before the lesson runs.
fn start(record: &Record) -> CliResult<Option<TraceFiles>> {
    if record.trace.is_none() && record.timeline.is_none() {
        return Ok(None);
    }
    for (flag, path) in [("--trace", &record.trace), ("--timeline", &record.timeline)] {
        if let Some(path) = path {
            std::fs::File::create(path).map_err(|e| {
                CliError::Usage(m().bad_value(
                    flag,
                    &m().cannot_write_file(&path.display().to_string(), &m().io_error(&e)),
                ))
            })?;
        }
    }
    Ok(Some(TraceFiles {
        recording: potok::trace::start(),
        json: record.trace.clone(),
        html: record.timeline.clone(),
    }))
}

impl TraceFiles {
    /// Finishes the recording, writes the files and says where they are (one line each, on
    /// stderr).
    fn finish(self, lang: Lang) -> CliResult {
        let trace = self.recording.finish();
        if let Some(path) = &self.json {
            write(path, trace.write_json(path))?;
            note(where_json(lang, path));
        }
        if let Some(path) = &self.html {
            write(path, trace.write_html(path))?;
            note(where_html(lang, path));
        }
        Ok(())
    }
}

fn write(path: &Path, result: std::io::Result<()>) -> CliResult {
    result.map_err(|e| {
        CliError::Failed(m().cannot_write_file(&path.display().to_string(), &m().io_error(&e)))
    })
}

/// Where the timeline page is.
pub(crate) fn where_html(lang: Lang, path: &Path) -> String {
    lang.m().timeline_written(&path.display().to_string())
}

/// Where the JSON trace is.
pub(crate) fn where_json(lang: Lang, path: &Path) -> String {
    lang.m().trace_written(&path.display().to_string())
}
