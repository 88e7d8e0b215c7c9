//! Why a command failed: problems in the site's sources, or in how it was run. Each says what to
//! do about it and which exit status it gives, so that `main` prints every failure one way.

use thiserror::Error;

use crate::diagnostics::Diagnostics;

/// A failed command.
#[derive(Debug, Error)]
pub enum Error {
    /// Problems in the site's sources, each located in its file. Exit status 1.
    #[error("{0}")]
    Sources(Diagnostics),
    /// The command could not run as asked: a missing or unreadable site folder, a refused output
    /// folder, a port in use, a file that cannot be written. Exit status 2.
    #[error("{error:#}")]
    Environment {
        error: anyhow::Error,
        help: Option<String>,
    },
}

/// The exit status of a command whose site has problems in its sources.
pub const EXIT_SOURCES: u8 = 1;
/// The exit status of a command that could not run as asked.
pub const EXIT_ENVIRONMENT: u8 = 2;

impl Error {
    /// An error of the environment, with what to do about it.
    pub fn environment(error: impl Into<anyhow::Error>, help: impl Into<String>) -> Self {
        Error::Environment {
            error: error.into(),
            help: Some(help.into()),
        }
    }

    pub fn exit_status(&self) -> u8 {
        match self {
            Error::Sources(_) => EXIT_SOURCES,
            Error::Environment { .. } => EXIT_ENVIRONMENT,
        }
    }

    /// What to do about it, when there is one thing to say (diagnostics carry their own).
    pub fn help(&self) -> Option<&str> {
        match self {
            Error::Sources(_) => None,
            Error::Environment { help, .. } => help.as_deref(),
        }
    }
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        // An output refused once the build holds its lock says what to do as it would before.
        let help = error
            .downcast_ref::<crate::output::UnsafeOutput>()
            .map(|refused| refused.help().into());
        Error::Environment { error, help }
    }
}

impl From<Diagnostics> for Error {
    fn from(problems: Diagnostics) -> Self {
        Error::Sources(problems)
    }
}
