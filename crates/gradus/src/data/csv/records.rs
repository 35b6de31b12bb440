//! Reading a CSV file record by record within size limits, with the real line of each record,
//! and quoting file text safely in messages.

use super::CsvOptions;
use crate::error::{Error, Result};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The capacity of the CSV reader's buffer: the most bytes it reads ahead of the record it parses.
const BUFFER: usize = 64 << 10;

/// The most characters of a field that an error message quotes.
const MAX_QUOTED_CHARS: usize = 40;

/// A size in bytes for messages: `16 MiB`, `64 KiB` or `1000 bytes`.
pub(crate) fn size(bytes: usize) -> String {
    match bytes {
        b if b > 0 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b > 0 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// `text` in single quotes for a message: control and other unprintable characters escaped
/// (`\0`, `\u{1b}`), so that a file cannot send escape sequences to the terminal, and at most
/// [`MAX_QUOTED_CHARS`] characters, the rest elided (`…`).
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::from("'");
    for (i, c) in text.chars().enumerate() {
        if i == MAX_QUOTED_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\'' | '"' | '\\' => out.push(c),
            c => out.extend(c.escape_debug()),
        }
    }
    out.push('\'');
    out
}

/// A reader between the file and the CSV parser that
///
/// - notes where each line's content starts, to give records their real line: the `csv` crate's
///   position of a record is where it started looking for it, before any blank lines (and, with
///   `\r\n` line breaks, before the previous line's `\n`);
/// - refuses to read more than `max_record` bytes past the start of the record being parsed.
struct Tracker<R> {
    /// The file.
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// The line of the next byte: 1 plus the `\n` bytes read so far.
    line: u64,
    /// Whether the last byte read ended a line (`\n` or `\r`), or nothing has been read yet.
    at_line_start: bool,
    /// `(byte offset, line)` of the first byte of each line that is not a line break, from the
    /// start of the record being parsed on. Those the parser has certainly consumed are dropped,
    /// except the first (the record's own), so there are at most about [`BUFFER`] of them.
    starts: VecDeque<(u64, u64)>,
    /// Where the record being parsed starts: just after the previous record.
    record: u64,
    /// The most bytes a record may hold.
    max_record: u64,
    /// Whether reading stopped because the record was longer than `max_record`.
    too_long: bool,
}

impl<R: Read> Tracker<R> {
    fn new(inner: R, max_record: usize) -> Self {
        Self {
            inner,
            offset: 0,
            line: 1,
            at_line_start: true,
            starts: VecDeque::new(),
            record: 0,
            max_record: max_record as u64,
            too_long: false,
        }
    }

    /// The parser is about to parse a record starting at byte `offset`.
    fn begin_record(&mut self, offset: u64) {
        self.record = offset;
        while self.starts.front().is_some_and(|&(at, _)| at < offset) {
            self.starts.pop_front();
        }
    }

    /// `(line, byte offset)` where the record being parsed (or just parsed) starts: its first
    /// byte that is not a line break.
    fn record_start(&self) -> (u64, u64) {
        self.starts
            .front()
            .map_or((self.line, self.offset), |&(at, line)| (line, at))
    }

    /// Notes the line starts in `bytes`, read at `self.offset`.
    fn note(&mut self, bytes: &[u8]) {
        for (at, &b) in (self.offset..).zip(bytes) {
            match b {
                b'\n' | b'\r' => {
                    self.line += u64::from(b == b'\n');
                    self.at_line_start = true;
                }
                _ if self.at_line_start => {
                    self.at_line_start = false;
                    self.starts.push_back((at, self.line));
                }
                _ => {}
            }
        }
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for Tracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // The parser reads at most `BUFFER` bytes ahead, so it has consumed everything before
        // `offset - BUFFER`: those starts lie inside the record being parsed, after its first.
        let consumed = self.offset.saturating_sub(BUFFER as u64);
        while self.starts.get(1).is_some_and(|&(at, _)| at < consumed) {
            self.starts.remove(1);
        }
        let room = self.record.saturating_add(self.max_record).saturating_sub(self.offset);
        // At the limit, one more byte (not the end of the file) makes the record too long.
        let len = buf.len().min(BUFFER).min(room.max(1).try_into().unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        if room == 0 && n > 0 {
            self.too_long = true;
            return Err(io::Error::other("record too long"));
        }
        self.note(&buf[..n]);
        Ok(n)
    }
}

/// The fields of `record`, trimmed of surrounding ASCII whitespace. (Trimmed here rather than by
/// the `csv` crate's `Trim::All`, which copies every record.)
pub(super) fn fields(record: &csv::StringRecord) -> impl Iterator<Item = &str> {
    record.iter().map(str::trim_ascii)
}

/// The records of a CSV file, each with the line it starts on, within the size limits.
pub(super) struct Records<'a> {
    /// The file, for errors.
    path: &'a Path,
    /// The parser.
    reader: csv::Reader<Tracker<File>>,
}

impl<'a> Records<'a> {
    /// Opens `path`.
    pub(super) fn open(path: &'a Path, opts: &CsvOptions) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(BUFFER)
            .from_reader(Tracker::new(file, opts.max_record_bytes));
        Ok(Self { path, reader })
    }

    /// Reads the next record into `record`; returns the line it starts on, or `None` at the end
    /// of the file.
    ///
    /// Errors: the file cannot be read; a record too long (`line 3: the record is longer than the
    /// limit of 16 MiB`); invalid UTF-8.
    pub(super) fn next(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        let start = self.reader.position().byte();
        self.reader.get_mut().begin_record(start);
        let more = self.reader.read_record(record).map_err(|e| self.error(e))?;
        Ok(more.then(|| self.reader.get_ref().record_start().0))
    }

    /// The bytes parsed so far: up to the end of the last record read.
    pub(super) fn position(&self) -> u64 {
        self.reader.position().byte()
    }

    /// A `csv` crate error as ours, naming the line of the record being read.
    fn error(&self, e: csv::Error) -> Error {
        let tracker = self.reader.get_ref();
        let (line, byte) = tracker.record_start();
        let msg = match e.kind() {
            csv::ErrorKind::Io(_) if tracker.too_long => format!(
                "line {line}: the record is longer than the limit of {}",
                size(tracker.max_record as usize)
            ),
            csv::ErrorKind::Utf8 { err, .. } => format!(
                "line {line}, column {}: not valid UTF-8 (the line starts at byte offset {byte})",
                err.field()
            ),
            _ => e.to_string(),
        };
        match e.into_kind() {
            csv::ErrorKind::Io(io) if !tracker.too_long => Error::io(self.path, io),
            _ => Error::format(self.path, msg),
        }
    }
}
