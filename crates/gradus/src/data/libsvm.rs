//! LIBSVM / svmlight text files: sparse rows, one per line.
//!
//! ```text
//! label [qid:N] index:value index:value … [# comment]
//! ```
//!
//! Indices are 1-based and increase strictly within a row; a feature a row does not name is 0.
//! Labels are read as [`super::labels`] says (the task is said, as for CSV files): classes are
//! non-negative integers, or −1/+1 for a binary problem; regression targets are real numbers.
//! `qid:` fields (query ids of ranking data) are ignored, and counted ([`Sparse::qid_lines`]).
//! Blank and comment-only lines are skipped; lines are numbered from 1, all lines counted.
//!
//! The rows are stored sparse ([`Features::Csr`]): memory is proportional to the non-zeros.
//! `n_features` is the largest index seen (over the training and test files together). Files
//! may be hostile: a line may hold at most the given number of bytes (the CSV loader's
//! `--max-record-mib`, [`super::csv::CsvOptions::max_record_bytes`]), which also bounds its
//! fields, and an index may not exceed [`MAX_INDEX`], so that the dense rows gathered for
//! training stay within reach. Every error names the file and line.

use super::csv::{number, quoted, size};
use super::hashing::HashBits;
use super::{Csr, Dataset, Features, Task, labels};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The largest feature index read: 2²⁴ (a dense row of that many `f32` is 64 MiB).
pub const MAX_INDEX: u64 = 1 << 24;

/// A file's rows, parsed.
#[derive(Debug)]
struct Parsed {
    rows: Csr,
    labels: Vec<f64>,
    /// The line of each row.
    lines: Vec<u64>,
    qid_lines: usize,
}

/// What was read: the training rows, the test rows, and how many lines had a `qid:` field.
#[derive(Clone, Debug)]
pub struct Sparse {
    /// The training rows.
    pub train: Dataset,
    /// The test file's rows, if one was given.
    pub test: Option<Dataset>,
    /// Lines whose `qid:` field was ignored.
    pub qid_lines: usize,
}

/// Reads the line starting at the reader's position into `buf` (without its line break);
/// returns the bytes consumed (0 at the end of the file) and whether the line ended with a line
/// break. Error: a line longer than `max` bytes.
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>, max: usize, path: &Path, line: u64) -> Result<(usize, bool)> {
    buf.clear();
    let n = input
        .take(max as u64 + 1)
        .read_until(b'\n', buf)
        .map_err(|e| Error::io(path, e))?;
    let ended = buf.last() == Some(&b'\n');
    if ended {
        buf.pop();
    } else if buf.len() > max {
        return Err(Error::format(
            path,
            format!("line {line}: the line is longer than the limit of {}", size(max)),
        ));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok((n, ended))
}

/// One line's label and (index, value) pairs, as [`parse_line`] reads them.
#[derive(Debug, Default)]
pub(crate) struct LineRow {
    /// The label; `None` for a blank or comment-only line.
    pub label: Option<f64>,
    /// The pairs: 1-based indices as written, or 0-based hashed features with hashing.
    pub pairs: Vec<(u64, f32)>,
    /// Whether the line had a `qid:` field.
    pub qid: bool,
}

/// Parses one line (without its line break) into `row`; with `hash`, its indices are hashed
/// ([`HashBits::row`]) and may be any positive 64-bit integer, else they are at most
/// [`MAX_INDEX`]. The error is the message, without file and line.
pub(crate) fn parse_line(bytes: &[u8], hash: Option<HashBits>, row: &mut LineRow) -> std::result::Result<(), String> {
    row.pairs.clear();
    row.label = None;
    row.qid = false;
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not valid UTF-8 at column {}", e.valid_up_to() + 1))?;
    let text = memchr::memchr(b'#', bytes).map_or(text, |at| &text[..at]);
    let mut fields = text.split_ascii_whitespace();
    let Some(label) = fields.next() else {
        return Ok(());
    };
    let y = label
        .parse::<f64>()
        .map_err(|_| format!("label {} is not a number", quoted(label)))?;
    let limit = if hash.is_some() { u64::MAX } else { MAX_INDEX };
    let mut last = 0u64;
    for (k, field) in fields.enumerate() {
        // A byte loop: fields are short, and `str::split_once` costs more to set up.
        let Some(colon) = field.bytes().position(|b| b == b':') else {
            return Err(format!("{} is not index:value", quoted(field)));
        };
        let (index, value) = (&field[..colon], &field[colon + 1..]);
        if index == "qid" {
            if k > 0 {
                return Err("qid: must come right after the label".into());
            }
            row.qid = true;
            continue;
        }
        let j = match index.parse::<u64>() {
            Ok(0) => return Err("index 0: indices start at 1".into()),
            Ok(j) if j > limit => return Err(format!("index {j} is beyond the limit of {MAX_INDEX}")),
            Ok(j) => j,
            Err(_) => return Err(format!("index {} is not a positive integer", quoted(index))),
        };
        if j <= last {
            let why = if j == last { "repeats" } else { "comes after" };
            return Err(format!("index {j} {why} index {last}: indices must increase"));
        }
        last = j;
        let x = number(value).map_err(|msg| format!("index {j}: {msg}"))?;
        row.pairs.push((j, x));
    }
    match hash {
        Some(h) => h
            .row(&mut row.pairs)
            .ok_or_else(|| format!("the values hashed to one feature sum beyond f32's range (hash bits {h})"))?,
        None => row.pairs.iter_mut().for_each(|p| p.0 -= 1),
    }
    row.label = Some(y);
    Ok(())
}

/// The bytes [`parse`] reads at a time, to parse their whole lines in parallel.
const BLOCK: usize = 8 << 20;

/// The pieces a block is split into, at line breaks, for the threads to take.
const PIECES: usize = 16;

/// The rows of a run of whole lines, as [`parse_lines`] reads them.
#[derive(Debug, Default)]
struct Part {
    /// Each row's number of pairs.
    lengths: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    labels: Vec<f64>,
    /// Each row's line, counted from the part's first (1).
    lines: Vec<u64>,
    qid_lines: usize,
    /// The lines of the part, blank and comment lines included.
    line_count: u64,
}

/// Parses the lines of `bytes` (whole lines: the last may lack its line break); an error is
/// `(line within bytes, from 1; message)`.
fn parse_lines(bytes: &[u8], max_line: usize, hash: Option<HashBits>) -> std::result::Result<Part, (u64, String)> {
    let mut part = Part::default();
    let mut row = LineRow::default();
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        part.line_count += 1;
        let line = part.line_count;
        let mut text = &bytes[start..end];
        start = end + 1;
        if text.len() > max_line {
            return Err((line, format!("the line is longer than the limit of {}", size(max_line))));
        }
        if let [rest @ .., b'\r'] = text {
            text = rest;
        }
        parse_line(text, hash, &mut row).map_err(|msg| (line, msg))?;
        let Some(y) = row.label else {
            continue;
        };
        part.qid_lines += usize::from(row.qid);
        part.indices.extend(row.pairs.iter().map(|p| p.0 as u32));
        part.values.extend(row.pairs.iter().map(|p| p.1));
        part.lengths.push(row.pairs.len());
        part.labels.push(y);
        part.lines.push(line);
    }
    Ok(part)
}

/// `bytes` split into at most `n` runs of whole lines, each ending after a line break (the last
/// where `bytes` ends).
fn pieces(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..=n {
        let goal = (bytes.len() * k / n).max(start);
        let end = match memchr::memchr(b'\n', &bytes[goal..]) {
            Some(i) if k < n => goal + i + 1,
            _ => bytes.len(),
        };
        if end > start {
            out.push(&bytes[start..end]);
        }
        start = end;
    }
    out
}

/// Appends up to `more` bytes of `file` to `buf`; returns whether the file ended first.
fn fill(file: &mut File, buf: &mut Vec<u8>, more: usize, path: &Path) -> Result<bool> {
    let want = more as u64;
    let got = file.take(want).read_to_end(buf).map_err(|e| Error::io(path, e))?;
    Ok((got as u64) < want)
}

/// Parses the file `path`, a block of [`BLOCK`] bytes at a time: the block's whole lines are
/// split into [`PIECES`] runs parsed in parallel and joined in file order, so the rows (and
/// the first error, naming its line) are those of reading the file line by line, on any number
/// of threads. What it holds beyond the rows is a block and one line (at most `max_line`
/// bytes).
fn parse(path: &Path, max_line: usize, hash: Option<HashBits>) -> Result<Parsed> {
    parse_in_blocks(path, max_line, hash, BLOCK)
}

/// [`parse`], `block` bytes at a time.
fn parse_in_blocks(path: &Path, max_line: usize, hash: Option<HashBits>, block_bytes: usize) -> Result<Parsed> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let (mut indptr, mut indices, mut values) = (vec![0usize], Vec::new(), Vec::new());
    let (mut labels, mut lines, mut qid_lines) = (Vec::new(), Vec::new(), 0);
    let mut block = Vec::new();
    let mut line = 0u64;
    loop {
        let ended = fill(&mut file, &mut block, block_bytes, path)?;
        // The block's whole lines; at the end of the file, a last line without a line break too.
        let whole = match ended {
            true => block.len(),
            false => memchr::memrchr(b'\n', &block).map_or(0, |i| i + 1),
        };
        let parts: Vec<_> = pieces(&block[..whole], PIECES)
            .into_par_iter()
            .map(|bytes| parse_lines(bytes, max_line, hash))
            .collect();
        for part in parts {
            let part = part.map_err(|(l, msg)| Error::format(path, format!("line {}: {msg}", line + l)))?;
            qid_lines += part.qid_lines;
            indices.extend_from_slice(&part.indices);
            values.extend_from_slice(&part.values);
            for n in part.lengths {
                indptr.push(indptr[indptr.len() - 1] + n);
            }
            labels.extend_from_slice(&part.labels);
            lines.extend(part.lines.iter().map(|l| line + l));
            line += part.line_count;
        }
        block.drain(..whole);
        // What is left is the start of a line: too long already, or to be finished by the next block.
        if block.len() > max_line {
            return Err(Error::format(
                path,
                format!(
                    "line {}: the line is longer than the limit of {}",
                    line + 1,
                    size(max_line)
                ),
            ));
        }
        if ended {
            break;
        }
    }
    if labels.is_empty() {
        return Err(Error::format(path, "no data rows"));
    }
    Ok(Parsed {
        rows: Csr::new(indptr, indices, values)?,
        labels,
        lines,
        qid_lines,
    })
}

/// A window of rows read from a stream ([`Windows`]).
#[derive(Debug)]
pub struct Window {
    /// The rows (0-based, or hashed, feature indices).
    pub rows: Csr,
    /// Each row's label, as written.
    pub labels: Vec<f64>,
    /// Each row's line in the file (from 1).
    pub lines: Vec<u64>,
}

/// A LIBSVM file read a window of at most `window` rows at a time, for training on files larger
/// than memory: what it holds at once is one window's rows plus one line (at most `max_line`
/// bytes) and a 64 KiB read buffer. Lines are read and checked as [`load`] reads them; in
/// addition a last line without a line break (a file cut short) is an error naming its line.
#[derive(Debug)]
pub struct Windows {
    path: std::path::PathBuf,
    input: BufReader<File>,
    window: usize,
    max_line: usize,
    hash: Option<HashBits>,
    line: u64,
    bytes: u64,
    buf: Vec<u8>,
    row: LineRow,
    qid_lines: usize,
}

impl Windows {
    /// Opens `path`, to read windows of at most `window` (≥ 1) rows.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be opened; [`Error::Param`] `shuffle_buffer` for a
    /// window of 0 rows.
    pub fn open(path: &Path, window: usize, max_line: usize, hash: Option<HashBits>) -> Result<Self> {
        if window == 0 {
            return Err(Error::param("shuffle_buffer", "must be at least 1 row, got 0"));
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(64 << 10, file),
            window,
            max_line,
            hash,
            line: 0,
            bytes: 0,
            buf: Vec::new(),
            row: LineRow::default(),
            qid_lines: 0,
        })
    }

    /// The bytes read so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Lines so far whose `qid:` field was ignored.
    pub fn qid_lines(&self) -> usize {
        self.qid_lines
    }

    /// The next window: up to `window` rows, fewer only at the end of the file; `None` after
    /// the last row.
    ///
    /// # Errors
    /// As [`load`], naming the file and line; a last line without a line break.
    pub fn next_window(&mut self) -> Result<Option<Window>> {
        let (mut indptr, mut indices, mut values) = (vec![0usize], Vec::new(), Vec::new());
        let (mut labels, mut lines) = (Vec::new(), Vec::new());
        let path = self.path.as_path();
        while labels.len() < self.window {
            let (n, ended) = next_line(&mut self.input, &mut self.buf, self.max_line, path, self.line + 1)?;
            if n == 0 {
                break;
            }
            self.line += 1;
            self.bytes += n as u64;
            let line = self.line;
            if !ended {
                return Err(Error::format(
                    path,
                    format!("line {line}: the file ends within this line (no line break): is it cut short?"),
                ));
            }
            parse_line(&self.buf, self.hash, &mut self.row)
                .map_err(|msg| Error::format(path, format!("line {line}: {msg}")))?;
            let Some(y) = self.row.label else {
                continue;
            };
            self.qid_lines += usize::from(self.row.qid);
            indices.extend(self.row.pairs.iter().map(|p| p.0 as u32));
            values.extend(self.row.pairs.iter().map(|p| p.1));
            indptr.push(values.len());
            labels.push(y);
            lines.push(line);
        }
        if labels.is_empty() {
            return Ok(None);
        }
        Ok(Some(Window {
            rows: Csr::new(indptr, indices, values)?,
            labels,
            lines,
        }))
    }
}

/// Loads the file `train` and, if given, `test`, with one feature count (the largest index in
/// either) and one reading of the labels (so that ±1 labels and the class count agree between
/// them). `max_line` is the longest line allowed, in bytes. With `hash`, indices are hashed
/// into 2^B features ([`super::hashing`]), the feature count is 2^B and any positive 64-bit
/// index is read.
///
/// Errors (naming the file and line): a line too long or not UTF-8; a label or value that is
/// not a number, not finite or beyond `f32`'s range; a field that is not `index:value`; an index
/// that is 0, not a positive integer, beyond [`MAX_INDEX`], or not above the one before it
/// (`train.svm: line 4: index 3 repeats index 3: indices must increase`); a label that does not
/// fit the task; a file without rows.
pub fn load(train: &Path, test: Option<&Path>, task: Task, max_line: usize, hash: Option<HashBits>) -> Result<Sparse> {
    let a = parse(train, max_line, hash)?;
    let b = test.map(|t| parse(t, max_line, hash)).transpose()?;
    let n_features = a
        .rows
        .min_features()
        .max(b.as_ref().map_or(0, |b| b.rows.min_features()))
        .max(hash.map_or(1, HashBits::features));
    // Each file's labels are checked on their own first, so that an error names its file; then
    // together, so that both read them the same way (a test file whose labels are −1 and +1 when
    // the training file's are 0 and 1 is an error naming the test row).
    for p in [Some((&a, train)), b.as_ref().zip(test)].into_iter().flatten() {
        labels::targets(&p.0.labels, task, p.1, |i| format!("line {}", p.0.lines[i]))?;
    }
    let all: Vec<f64> = a
        .labels
        .iter()
        .chain(b.iter().flat_map(|b| &b.labels))
        .copied()
        .collect();
    let (targets, names) = labels::targets(&all, task, train, |i| match (a.lines.get(i), &b, test) {
        (Some(l), _, _) => format!("line {l}"),
        (None, Some(b), Some(t)) => format!("line {} of {}", b.lines[i - a.lines.len()], t.display()),
        _ => format!("row {i}"),
    })?;
    let split = |rows: Csr, from: usize, len: usize| -> Result<Dataset> {
        let ids: Vec<usize> = (from..from + len).collect();
        let t = match &targets {
            super::Targets::Classes { labels, n_classes } => super::Targets::Classes {
                labels: ids.iter().map(|&i| labels[i]).collect(),
                n_classes: *n_classes,
            },
            super::Targets::Values(v) => super::Targets::Values(ids.iter().map(|&i| v[i]).collect()),
        };
        let data = Dataset::new(n_features, Features::Csr(rows), t)?;
        Ok(match &names {
            Some(n) => data.with_class_names(n.clone()),
            None => data,
        })
    };
    let n_train = a.labels.len();
    let qid_lines = a.qid_lines + b.as_ref().map_or(0, |b| b.qid_lines);
    let train_set = split(a.rows, 0, n_train)?;
    let test_set = b.map(|b| split(b.rows, n_train, b.labels.len())).transpose()?;
    Ok(Sparse {
        train: train_set,
        test: test_set,
        qid_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 50 rows; row `i` has the indices `i % 7 + 1` and `i + 20`, and label `i % 2`.
    fn text() -> String {
        (0..50)
            .map(|i| {
                format!(
                    "{} {}:{} {}:0.5{}\n",
                    i % 2,
                    i % 7 + 1,
                    i + 1,
                    i + 20,
                    if i == 3 { " # c" } else { "" }
                )
            })
            .collect::<String>()
            + "# a comment line\n"
    }

    #[test]
    fn blocks_of_any_size_parse_as_lines_read_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.svm");
        // CRLF line breaks, blank lines and a last line without its line break.
        let text = text().replace("1 2:", "\n1 2:") + "\r\n1 9:1\r\n\n0 8:2";
        // (Windows refuse a last line without a line break: they read it with one.)
        std::fs::write(&p, format!("{text}\n")).unwrap();
        let by_line = Windows::open(&p, usize::MAX, 1 << 20, None).unwrap().next_window();
        let by_line = by_line.unwrap().unwrap();
        std::fs::write(&p, &text).unwrap();
        for block in [1, 2, 3, 7, 16, 33, 100, 1 << 20] {
            let parsed = parse_in_blocks(&p, 1 << 20, None, block).unwrap();
            assert_eq!(parsed.rows, by_line.rows, "block {block}");
            assert_eq!(
                (&parsed.labels, &parsed.lines),
                (&by_line.labels, &by_line.lines),
                "block {block}"
            );
        }
        // The first error in the file, by its line, however the blocks fall.
        let bad = format!("{}1 2:x\n{}", text.replace("0 8:2", "0 8:2\n"), "0 1:nan\n".repeat(40));
        std::fs::write(&p, bad).unwrap();
        let line = text.lines().count() + 1;
        for block in [1, 5, 64, 1 << 20] {
            let e = parse_in_blocks(&p, 1 << 20, None, block).unwrap_err().to_string();
            assert!(
                e.ends_with(&format!("a.svm: line {line}: index 2: 'x' is not a number")),
                "{block}: {e}"
            );
        }
        // A line longer than the limit, within a block or across blocks.
        std::fs::write(&p, format!("1 1:1\n0 {}\n1 1:1\n", "2:1 ".repeat(30))).unwrap();
        for block in [4, 50, 1 << 20] {
            let e = parse_in_blocks(&p, 100, None, block).unwrap_err().to_string();
            assert!(
                e.ends_with("line 2: the line is longer than the limit of 100 bytes"),
                "{block}: {e}"
            );
        }
    }

    #[test]
    fn windows_hold_at_most_their_rows_and_together_equal_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.svm");
        std::fs::write(&p, text()).unwrap();
        let whole = load(&p, None, Task::Classify, 1 << 20, None).unwrap().train;
        let Features::Csr(all) = whole.features() else {
            panic!("sparse rows")
        };
        let mut w = Windows::open(&p, 7, 1 << 20, None).unwrap();
        let (mut got, mut labels, mut lines) = (None::<Csr>, Vec::new(), Vec::new());
        while let Some(win) = w.next_window().unwrap() {
            // The bound: no window holds more than 7 rows.
            assert!(win.rows.rows() <= 7 && win.labels.len() == win.rows.rows());
            labels.extend(win.labels);
            lines.extend(win.lines);
            got = Some(match got {
                None => win.rows,
                Some(g) => g.concat(&win.rows),
            });
        }
        assert_eq!(got.as_ref(), Some(all));
        assert_eq!(labels, (0..50).map(|i| f64::from(i % 2)).collect::<Vec<_>>());
        assert_eq!(lines, (1..=50).collect::<Vec<u64>>());
        assert_eq!(w.bytes_read(), text().len() as u64);
        assert!(w.next_window().unwrap().is_none());
    }

    #[test]
    fn stream_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.svm");
        let mut t = text();
        t.push_str("1 3:1\n1 4:x\n");
        std::fs::write(&p, &t).unwrap();
        let mut w = Windows::open(&p, 10, 1 << 20, None).unwrap();
        let e = loop {
            match w.next_window() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => break e.to_string(),
            }
        };
        // 50 rows and the comment line, then "1 3:1" on line 52.
        assert_eq!(e, format!("{}: line 53: index 4: 'x' is not a number", p.display()));
        std::fs::write(&p, "1 3:1\n0 2:1").unwrap();
        let e = Windows::open(&p, 10, 1 << 20, None)
            .unwrap()
            .next_window()
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.svm: line 2: the file ends within this line"), "{e}");
        assert!(
            Windows::open(&p, 0, 1 << 20, None)
                .unwrap_err()
                .to_string()
                .contains("at least 1 row")
        );
    }
}
