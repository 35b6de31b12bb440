//! Standard output, written through one function that handles what can go wrong there.
//!
//! A reader that closes the pipe early (`gradus predict … | head -1`) wanted no more: the
//! command stops quietly and exits 0 ([`Closed`], which `main` recognises). Any other failure (a
//! full disk: `> /dev/full`) is a one-line error naming standard output. `println!` would panic
//! in both cases.

use std::io::{ErrorKind, Write};

/// The reader of standard output has gone away.
#[derive(Debug)]
pub struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for Closed {}

/// Writes `text` to standard output and flushes it.
///
/// # Errors
/// [`Closed`] for a closed pipe; otherwise the operating system's error, naming standard output.
pub fn write(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::anyhow!("cannot write to standard output: {e}")),
    }
}

/// `println!` through [`write`]: evaluates to its `Result`.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;
