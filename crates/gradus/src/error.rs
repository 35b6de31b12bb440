//! The library's one error type.
//!
//! Every message says what is wrong and where (the file, the row, the flag), on one line, so the
//! command line can print it as it is.

use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    ///
    /// The operating system's error is part of the message, so it is deliberately not also the
    /// error's `source()`: chains printed cause by cause (`anyhow`'s `{:#}`) would show it twice.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        error: std::io::Error,
    },
    /// A file's contents are not what its format says: truncated, corrupt, or hostile.
    #[error("{}: {msg}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where in the file.
        msg: String,
    },
    /// A hyperparameter or option is out of its valid range.
    #[error("{name} {msg}")]
    Param {
        /// The parameter's name as the user writes it (`lr`, `beta1`, `--batch-size`).
        name: String,
        /// What is wrong ("must be in [0, 1), got 1.2").
        msg: String,
    },
    /// Data does not fit the model or the task: wrong shapes, labels out of range, NaN values.
    #[error("{0}")]
    Data(String),
    /// The objective became NaN or infinite during training.
    #[error("{0}")]
    Diverged(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, error: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            error,
        }
    }
    /// A format error in `path`.
    pub fn format(path: &Path, msg: impl Into<String>) -> Self {
        Error::Format {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
    /// An out-of-range hyperparameter: `name` `msg`.
    pub fn param(name: impl Into<String>, msg: impl Into<String>) -> Self {
        Error::Param {
            name: name.into(),
            msg: msg.into(),
        }
    }
    /// A data or shape error.
    pub fn data(msg: impl Into<String>) -> Self {
        Error::Data(msg.into())
    }
}
