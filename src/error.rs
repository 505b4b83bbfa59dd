//! Library-wide error type. Every error renders as one line for the user; text-file errors carry
//! `file:line:column` so editors and terminals can jump to them.

use std::fmt;
use std::path::PathBuf;

/// Where in a text file a problem was found (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not something we can read (corrupt zip, bad JSON, unsupported layout...).
    #[error("{file}: {message}")]
    BadInput { file: String, message: String },

    /// A syntax error in a text file, with its position.
    #[error("{at}: {message}")]
    Syntax { at: Location, message: String },

    /// The source tree or app is inconsistent (duplicate control names, missing templates...).
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Refused on purpose (non-empty output directory without --force, etc.).
    #[error("{0}")]
    Refused(String),
}

impl Error {
    pub fn bad_input(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadInput {
            file: file.into(),
            message: message.into(),
        }
    }
    pub fn invalid(file: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            file: file.into(),
            message: message.into(),
        }
    }
    pub fn syntax(
        file: impl Into<String>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Error::Syntax {
            at: Location {
                file: file.into(),
                line,
                column,
            },
            message: message.into(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
