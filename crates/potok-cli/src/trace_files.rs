//! `--trace F.json` and `--timeline F.html`: the lesson's run, recorded with `potok::trace`.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, Global};
use crate::context::Lang;
use crate::error::{CliError, CliResult};

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
    // `potok check` writes these files itself, from the learner's program's records.
    if matches!(cli.command, crate::cli::Command::Check { .. }) {
        return lesson();
    }
    let traced = start(&cli.global)?;
    let outcome = lesson();
    if let Some(traced) = traced {
        traced.finish(cli.global.lang.unwrap_or_else(Lang::from_env))?;
    }
    outcome
}

/// Begins recording if `--trace` or `--timeline` was given. The files are made first, so a
/// path that cannot be written is bad input before the lesson runs.
fn start(global: &Global) -> CliResult<Option<TraceFiles>> {
    if global.trace.is_none() && global.timeline.is_none() {
        return Ok(None);
    }
    for (flag, path) in [("--trace", &global.trace), ("--timeline", &global.timeline)] {
        if let Some(path) = path {
            std::fs::File::create(path).map_err(|e| {
                CliError::Usage(format!("{flag}: cannot write {}: {e}", path.display()))
            })?;
        }
    }
    Ok(Some(TraceFiles {
        recording: potok::trace::start(),
        json: global.trace.clone(),
        html: global.timeline.clone(),
    }))
}

impl TraceFiles {
    /// Finishes the recording, writes the files and says where they are (one line each, on
    /// stderr).
    fn finish(self, lang: Lang) -> CliResult {
        let trace = self.recording.finish();
        if let Some(path) = &self.json {
            write(path, trace.write_json(path))?;
            eprintln!("{}", where_json(lang, path));
        }
        if let Some(path) = &self.html {
            write(path, trace.write_html(path))?;
            eprintln!("{}", where_html(lang, path));
        }
        Ok(())
    }
}

fn write(path: &Path, result: std::io::Result<()>) -> CliResult {
    result.map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))
}

/// Where the timeline page is.
pub(crate) fn where_html(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Ru => format!(
            "Временная шкала потоков: {} (откройте в браузере: строка на поток, цвет — что он делает)",
            path.display()
        ),
        Lang::En => format!(
            "Timeline of the threads: {} (open it in a browser: a row per thread, coloured by what it does)",
            path.display()
        ),
    }
}

/// Where the JSON trace is.
pub(crate) fn where_json(lang: Lang, path: &Path) -> String {
    match lang {
        Lang::Ru => format!(
            "Трасса в формате Chrome: {} (откройте в ui.perfetto.dev или chrome://tracing)",
            path.display()
        ),
        Lang::En => format!(
            "Chrome trace: {} (open it in ui.perfetto.dev or chrome://tracing)",
            path.display()
        ),
    }
}
