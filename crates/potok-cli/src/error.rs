//! The CLI's one error type and its exit codes (documented in `main.rs`).

use std::fmt;

use crate::console::Output;
use crate::msg::m;

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad input: exit code 2. The message is already in the chosen language.
    Usage(String),
    /// The lesson failed while running: exit code 1. The message is in the chosen language.
    Failed(String),
    /// stdout could not be written. A reader that went away (a broken pipe: `potok tour |
    /// head -1`) ends the run quietly with exit code 0; anything else is exit code 1.
    Output(std::io::Error),
}

impl CliError {
    /// The process's exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
            CliError::Output(err) if err.kind() == std::io::ErrorKind::BrokenPipe => 0,
            CliError::Output(_) => 1,
        }
    }

    /// Whether the error is worth a line on stderr (a broken pipe is not: the reader is gone
    /// on purpose).
    pub(crate) fn is_quiet(&self) -> bool {
        self.exit_code() == 0
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(msg) | CliError::Failed(msg) => f.write_str(msg),
            CliError::Output(err) => f.write_str(&m().cannot_write_stdout(&m().io_error(err))),
        }
    }
}

impl From<potok::Panicked> for CliError {
    fn from(p: potok::Panicked) -> Self {
        CliError::Failed(crate::msg::failure::panicked(m(), &p))
    }
}

impl From<Output> for CliError {
    fn from(Output(err): Output) -> Self {
        CliError::Output(err)
    }
}

/// A command's result.
pub(crate) type CliResult<T = ()> = Result<T, CliError>;
