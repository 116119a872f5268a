//! The CLI's one error type and its exit codes (documented in `main.rs`).

use std::fmt;

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad input: exit code 2.
    Usage(String),
    /// The lesson failed while running: exit code 1.
    Failed(String),
}

impl CliError {
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(msg) | CliError::Failed(msg) => f.write_str(msg),
        }
    }
}

impl From<potok::Panicked> for CliError {
    fn from(p: potok::Panicked) -> Self {
        CliError::Failed(p.to_string())
    }
}

pub(crate) type CliResult<T = ()> = Result<T, CliError>;
