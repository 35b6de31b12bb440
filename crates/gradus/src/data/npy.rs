//! NumPy arrays: `.npy` files and `.npz` archives of them (`numpy.save`, `numpy.savez`,
//! `numpy.savez_compressed`).
//!
//! An `.npy` file (format versions 1.0, 2.0 and 3.0, NEP 1 / `numpy.lib.format`) is
//!
//! | bytes | content |
//! | --- | --- |
//! | 0–5 | magic `\x93NUMPY` |
//! | 6, 7 | major, minor version |
//! | 8–9 (v1) or 8–11 (v2, v3) | header length `H`, little-endian |
//! | then `H` bytes | a Python dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` |
//! | then | the elements, C (row-major) or Fortran (column-major) order |
//!
//! gradus reads the element types `b1` (bool), `u1`, `i1`, `u2`, `i4`, `i8`, `f4`, `f8`, little-
//! (`<`) or big-endian (`>`). Object arrays (`|O`, whose elements are pickled Python objects) and
//! structured dtypes are refused: nothing here ever unpickles. The features `X` are an array of
//! at least one dimension: the first counts the rows, the others multiply to the features (an
//! image array `N×28×28` gives rows of 784). `u1` and `b1` features stay bytes
//! ([`Features::U8`]), others become `f32` (an `f64` beyond `f32`'s range, NaN or infinity is an
//! error naming its row and feature). The targets `y` are one value per row (shape `(N,)` or
//! `(N, 1)`), read as classes or values as [`super::labels`] says.
//!
//! Files may be hostile. The header is at most [`MAX_HEADER`] bytes; the payload its shape and
//! dtype imply is checked against the file's real size before anything is allocated. In an
//! `.npz` archive (a zip file), an entry's declared size is not trusted: the payload the `.npy`
//! header implies must fit in what the entry's compressed bytes can give (deflate inflates at
//! most [`MAX_DEFLATE_RATIO`]:1), and at most that payload plus one byte is inflated, so a zip
//! bomb is an error, not an allocation.

use super::csv::quoted;
use super::labels;
use super::{Dataset, Features, Task};
use crate::error::{Error, Result};
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The magic string that starts every `.npy` file.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The longest header read, in bytes (numpy's own `max_header_size` is 10 000).
pub const MAX_HEADER: usize = 64 << 10;

/// The most bytes deflate can inflate from one compressed byte (a 258-byte match in about two
/// bits, RFC 1951): 1032.
pub const MAX_DEFLATE_RATIO: u64 = 1032;

/// An element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    Bool,
    U8,
    I8,
    U16,
    I32,
    I64,
    F32,
    F64,
}

impl Dtype {
    /// The type of a `descr` code without its byte-order character (`f4`, `u1`), if read.
    fn of(code: &str) -> Option<Self> {
        Some(match code {
            "b1" | "?" => Dtype::Bool,
            "u1" | "B" => Dtype::U8,
            "i1" | "b" => Dtype::I8,
            "u2" | "H" => Dtype::U16,
            "i4" => Dtype::I32,
            "i8" => Dtype::I64,
            "f4" => Dtype::F32,
            "f8" => Dtype::F64,
            _ => return None,
        })
    }

    /// Bytes per element.
    fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 | Dtype::I8 => 1,
            Dtype::U16 => 2,
            Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
        }
    }

    /// The element in `b` (exactly [`size`](Self::size) bytes) as `f64` (`i64` rounded to the
    /// nearest).
    fn value(self, b: &[u8], big: bool) -> f64 {
        macro_rules! num {
            ($t:ty) => {{
                let a = b.try_into().unwrap_or_default();
                (if big {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }) as f64
            }};
        }
        match self {
            Dtype::Bool | Dtype::U8 => b[0] as f64,
            Dtype::I8 => b[0] as i8 as f64,
            Dtype::U16 => num!(u16),
            Dtype::I32 => num!(i32),
            Dtype::I64 => num!(i64),
            Dtype::F32 => num!(f32),
            Dtype::F64 => num!(f64),
        }
    }
}

/// A checked `.npy` header.
#[derive(Debug)]
struct Header {
    dtype: Dtype,
    /// Big-endian elements.
    big: bool,
    /// Column-major (Fortran) order.
    fortran: bool,
    shape: Vec<usize>,
    /// Bytes before the payload.
    len: usize,
    /// The payload's bytes: the shape's product times the element size.
    payload: usize,
}

/// A value of the header dict.
#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
}

/// A parser of the header's Python dict literal.
struct Literal<'a> {
    text: &'a [u8],
    at: usize,
}

impl Literal<'_> {
    fn ws(&mut self) {
        while self.text.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// Skips white space and takes `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let yes = self.text.get(self.at) == Some(&c);
        self.at += usize::from(yes);
        yes
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        match self.eat(c) {
            true => Ok(()),
            false => Err(format!("expected '{}' at header byte {}", c as char, self.at)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.ws();
        let quote = match self.text.get(self.at) {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a string at header byte {}", self.at)),
        };
        let start = self.at + 1;
        let len = self.text[start..]
            .iter()
            .position(|&c| c == quote)
            .ok_or("unterminated string in the header")?;
        self.at = start + len + 1;
        Ok(String::from_utf8_lossy(&self.text[start..start + len]).into_owned())
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws();
        let rest = &self.text[self.at.min(self.text.len())..];
        for (word, b) in [(&b"True"[..], true), (b"False", false)] {
            if rest.starts_with(word) {
                self.at += word.len();
                return Ok(Value::Bool(b));
            }
        }
        match rest.first() {
            Some(b'\'' | b'"') => self.string().map(Value::Str),
            Some(b'(') => {
                self.at += 1;
                let mut dims = Vec::new();
                while !self.eat(b')') {
                    self.ws();
                    let start = self.at;
                    while self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
                        self.at += 1;
                    }
                    let digits = std::str::from_utf8(&self.text[start..self.at]).unwrap_or_default();
                    let d = digits
                        .parse::<usize>()
                        .map_err(|_| format!("shape has a dimension that is not a size at header byte {start}"))?;
                    dims.push(d);
                    if !self.eat(b',') {
                        self.expect(b')')?;
                        break;
                    }
                }
                Ok(Value::Tuple(dims))
            }
            Some(b'[') => Err("structured dtypes (a list of fields) are not read".into()),
            _ => Err(format!("unexpected value at header byte {}", self.at)),
        }
    }

    /// The dict's entries.
    fn dict(&mut self) -> Result<Vec<(String, Value)>, String> {
        self.expect(b'{')?;
        let mut entries = Vec::new();
        while !self.eat(b'}') {
            let key = self.string()?;
            self.expect(b':')?;
            entries.push((key, self.value()?));
            if !self.eat(b',') {
                self.expect(b'}')?;
                break;
            }
        }
        Ok(entries)
    }
}

impl Header {
    /// Reads and checks the header at the start of `input`, reading nothing beyond it.
    fn read(input: &mut dyn Read, path: &Path) -> Result<Self> {
        let err = |msg: String| Error::format(path, msg);
        let io = |e: io::Error| Error::format(path, format!("cannot read the header: {e}"));
        let mut start = Vec::with_capacity(12);
        input.take(10).read_to_end(&mut start).map_err(io)?;
        if !MAGIC.starts_with(&start[..start.len().min(MAGIC.len())]) {
            return Err(err("not a .npy file: it does not start with \\x93NUMPY".into()));
        }
        if start.len() < 10 {
            return Err(err(format!("truncated .npy header: {} bytes", start.len())));
        }
        let (major, minor) = (start[6], start[7]);
        let len_bytes = match major {
            1 => 2,
            2 | 3 => 4,
            _ => {
                return Err(err(format!(
                    ".npy format version {major}.{minor} is not read (1.0, 2.0, 3.0 are)"
                )));
            }
        };
        if len_bytes == 4 {
            input.take(2).read_to_end(&mut start).map_err(io)?;
            if start.len() < 12 {
                return Err(err(format!("truncated .npy header: {} bytes", start.len())));
            }
        }
        let mut n = [0u8; 4];
        n[..len_bytes].copy_from_slice(&start[8..8 + len_bytes]);
        let header_len = u32::from_le_bytes(n) as usize;
        if header_len > MAX_HEADER {
            return Err(err(format!(
                ".npy header of {header_len} bytes is longer than the limit of {MAX_HEADER}"
            )));
        }
        let mut text = Vec::with_capacity(header_len);
        input.take(header_len as u64).read_to_end(&mut text).map_err(io)?;
        if text.len() < header_len {
            return Err(err(format!(
                "truncated .npy header: {} of its {header_len} bytes",
                text.len()
            )));
        }
        let entries = Literal { text: &text, at: 0 }
            .dict()
            .map_err(|m| err(format!("bad .npy header: {m}")))?;
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        for (key, value) in entries {
            match (key.as_str(), value) {
                ("descr", Value::Str(s)) => descr = Some(s),
                ("fortran_order", Value::Bool(b)) => fortran = Some(b),
                ("shape", Value::Tuple(t)) => shape = Some(t),
                (k, v) => {
                    return Err(err(format!("bad .npy header: unexpected entry {}: {v:?}", quoted(k))));
                }
            }
        }
        let (Some(descr), Some(fortran), Some(shape)) = (descr, fortran, shape) else {
            return Err(err(
                "bad .npy header: it needs 'descr', 'fortran_order' and 'shape'".into()
            ));
        };
        let (order, code) = descr.split_at(descr.chars().next().map_or(0, char::len_utf8));
        if code.contains('O') || descr == "O" {
            return Err(err(
                "object arrays (pickled Python objects) are not read: save a numeric array".into(),
            ));
        }
        let dtype = match (order, Dtype::of(code)) {
            ("<" | ">" | "|" | "=", Some(t)) => t,
            _ => {
                return Err(err(format!(
                    "dtype {} is not read (bool, u1, i1, u2, i4, i8, f4, f8 are)",
                    quoted(&descr)
                )));
            }
        };
        let big = order == ">" || order == "=" && cfg!(target_endian = "big");
        let Some(payload) = shape.iter().try_fold(dtype.size(), |n, &d| n.checked_mul(d)) else {
            return Err(err(format!("shape {shape:?} overflows the address space")));
        };
        Ok(Self {
            dtype,
            big,
            fortran,
            shape,
            len: 10 + len_bytes - 2 + header_len,
            payload,
        })
    }
}

/// An array read from a `.npy` file or an `.npz` entry: its header and raw payload.
struct Array {
    header: Header,
    data: Vec<u8>,
}

/// Reads an array from `input`, whose length is `len` when known (an uncompressed file), or at
/// most `cap` payload bytes when not (an archive entry).
fn read_array(input: &mut dyn Read, path: &Path, len: Option<u64>, cap: u64) -> Result<Array> {
    let header = Header::read(input, path)?;
    let need = header.payload;
    let desc = format!(
        "shape {:?} of {} needs {need} bytes after the {}-byte header",
        header.shape,
        type_name(&header),
        header.len
    );
    if let Some(found) = len
        .map(|n| n.saturating_sub(header.len as u64))
        .filter(|&n| n != need as u64)
    {
        let msg = match found < need as u64 {
            true => format!("truncated .npy data: {desc}, found {found}"),
            false => format!(
                "{} unexpected bytes at byte offset {}: {desc}",
                found - need as u64,
                header.len + need
            ),
        };
        return Err(Error::format(path, msg));
    }
    if len.is_none() && need as u64 > cap {
        return Err(Error::format(
            path,
            format!("{desc}, more than its {cap} compressed bytes can hold (a zip bomb?)"),
        ));
    }
    let data = super::payload::read(input, need, len.is_some())
        .map_err(|(n, e)| Error::format(path, format!("corrupt data after {n} payload bytes: {e}")))?;
    match data.len().cmp(&need) {
        std::cmp::Ordering::Less => Err(Error::format(
            path,
            format!("truncated .npy data: {desc}, found {}", data.len()),
        )),
        std::cmp::Ordering::Greater => Err(Error::format(
            path,
            format!("unexpected data at byte offset {}: {desc}", header.len + need),
        )),
        std::cmp::Ordering::Equal => Ok(Array { header, data }),
    }
}

/// `f4, little-endian` for messages.
fn type_name(h: &Header) -> String {
    let code = match h.dtype {
        Dtype::Bool => "bool",
        Dtype::U8 => "u1",
        Dtype::I8 => "i1",
        Dtype::U16 => "u2",
        Dtype::I32 => "i4",
        Dtype::I64 => "i8",
        Dtype::F32 => "f4",
        Dtype::F64 => "f8",
    };
    match (h.dtype.size(), h.big) {
        (1, _) => code.into(),
        (_, true) => format!("{code}, big-endian"),
        (_, false) => format!("{code}, little-endian"),
    }
}

/// Reads the `.npy` file `path`, its length checked against its header before the payload is
/// read.
fn read_npy(path: &Path) -> Result<Array> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::format(path, "not a regular file"));
    }
    read_array(&mut io::BufReader::new(&mut file), path, Some(meta.len()), u64::MAX)
}

impl Array {
    /// `(rows, features)` of a feature array. Error: no dimensions, or zero features.
    fn feature_shape(&self, path: &Path) -> Result<(usize, usize)> {
        let shape = &self.header.shape;
        let Some((&rows, rest)) = shape.split_first() else {
            return Err(Error::format(
                path,
                "features must have at least one dimension, got a scalar",
            ));
        };
        let features = rest.iter().product();
        if features == 0 {
            return Err(Error::format(
                path,
                format!("shape {shape:?} gives rows of zero features"),
            ));
        }
        Ok((rows, features))
    }

    /// The elements in C order: the payload as it is, or Fortran order transposed (the
    /// elements of row 0 … rows−1 of each column are contiguous; a column is a multi-index over
    /// the trailing dimensions, the first of them varying fastest).
    fn c_order(&self, rows: usize, features: usize) -> Cow<'_, [u8]> {
        let size = self.header.dtype.size();
        if !self.header.fortran || rows <= 1 || features == 1 {
            return Cow::Borrowed(&self.data);
        }
        let rest = &self.header.shape[1..];
        // C strides of the trailing dimensions, in elements.
        let mut strides = vec![1usize; rest.len()];
        for k in (0..rest.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * rest[k + 1];
        }
        let mut out = vec![0u8; self.data.len()];
        let mut index = vec![0usize; rest.len()];
        for column in self.data.chunks_exact(rows * size) {
            let f: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
            for (r, e) in column.chunks_exact(size).enumerate() {
                let at = (r * features + f) * size;
                out[at..at + size].copy_from_slice(e);
            }
            // The next column: the first trailing dimension varies fastest.
            for (i, &n) in index.iter_mut().zip(rest) {
                *i += 1;
                if *i < n {
                    break;
                }
                *i = 0;
            }
        }
        Cow::Owned(out)
    }

    /// The array as features: bytes for `u1`/`b1`, else finite `f32`. Errors name the row and
    /// feature of a value that is not finite or beyond `f32`'s range.
    fn features(&self, path: &Path) -> Result<(usize, Features)> {
        let (rows, n) = self.feature_shape(path)?;
        let h = &self.header;
        let data = self.c_order(rows, n);
        if matches!(h.dtype, Dtype::U8 | Dtype::Bool) {
            return Ok((n, Features::U8(data.into_owned())));
        }
        let mut out = Vec::with_capacity(rows * n);
        for (p, e) in data.chunks_exact(h.dtype.size()).enumerate() {
            let x = h.dtype.value(e, h.big);
            if !x.is_finite() || x.abs() > f32::MAX as f64 {
                let what = match x.is_finite() {
                    true => format!("{x:e} is out of f32's range (±3.4e38)"),
                    false => format!("{x} is not finite"),
                };
                return Err(Error::format(
                    path,
                    format!("row {}, feature {}: value {what}", p / n, p % n),
                ));
            }
            out.push(x as f32);
        }
        Ok((n, Features::F32(out.into())))
    }

    /// The array as one label per row: shape `(N,)` or `(N, 1)`.
    fn labels(&self, path: &Path) -> Result<Vec<f64>> {
        let h = &self.header;
        if !matches!(h.shape[..], [_] | [_, 1]) {
            return Err(Error::format(
                path,
                format!("labels must have shape (N,) or (N, 1), got {:?}", h.shape),
            ));
        }
        Ok(self
            .data
            .chunks_exact(h.dtype.size())
            .map(|e| h.dtype.value(e, h.big))
            .collect())
    }
}

/// A dataset from a feature array and a label array (`xp` and `yp` name them in errors), the
/// labels read as `task` says ([`super::labels`]); float labels read as classes must hold
/// integers.
fn dataset(x: &Array, xp: &Path, y: &Array, yp: &Path, task: Task) -> Result<Dataset> {
    let (rows, _) = x.feature_shape(xp)?;
    let labels = y.labels(yp)?;
    if labels.len() != rows {
        return Err(Error::data(format!(
            "{} has {rows} rows but {} has {} labels",
            xp.display(),
            yp.display(),
            labels.len()
        )));
    }
    let (n, features) = x.features(xp)?;
    let (targets, names) = labels::targets(&labels, task, yp, |i| format!("element {i}"))?;
    let data = Dataset::new(n, features, targets)?;
    Ok(match names {
        Some(names) => data.with_class_names(names),
        None => data,
    })
}

/// Loads features from the `.npy` file `x` and targets from the `.npy` file `y`.
///
/// Errors (naming the file): a header that is truncated, malformed, longer than [`MAX_HEADER`],
/// of another version, dtype or an object array; a payload shorter or longer than the header
/// says (`x.npy: truncated .npy data: shape [10, 4] of f4, little-endian needs 160 bytes after
/// the 128-byte header, found 100`); a feature value that is not finite; labels that do not fit
/// the task or the rows.
pub fn load(x: &Path, y: &Path, task: Task) -> Result<Dataset> {
    let (xa, ya) = (read_npy(x)?, read_npy(y)?);
    dataset(&xa, x, &ya, y, task)
}

/// An `.npz` archive, opened.
struct Archive {
    zip: zip::ZipArchive<io::BufReader<File>>,
    path: std::path::PathBuf,
}

impl Archive {
    fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let zip = zip::ZipArchive::new(io::BufReader::new(file))
            .map_err(|e| Error::format(path, format!("not a readable .npz (zip) archive: {e}")))?;
        Ok(Self {
            zip,
            path: path.to_path_buf(),
        })
    }

    /// Whether the archive holds the array `key` (the entry `key.npy`).
    fn has(&self, key: &str) -> bool {
        self.zip.index_for_name(&format!("{key}.npy")).is_some()
    }

    /// The array `key`, its payload bounded by what the entry's compressed bytes can hold.
    fn array(&mut self, key: &str) -> Result<(Array, std::path::PathBuf)> {
        let name = format!("{key}.npy");
        let shown = self.path.join(&name);
        let mut entry = self
            .zip
            .by_name(&name)
            .map_err(|e| Error::format(&self.path, format!("entry {}: {e}", quoted(&name))))?;
        let ratio = match entry.compression() {
            zip::CompressionMethod::Stored => 1,
            zip::CompressionMethod::Deflated => MAX_DEFLATE_RATIO,
            m => {
                return Err(Error::format(
                    &shown,
                    format!("compression method {m:?} is not read (stored and deflate are)"),
                ));
            }
        };
        let cap = entry.compressed_size().saturating_mul(ratio);
        let array = read_array(&mut entry, &shown, None, cap)?;
        Ok((array, shown))
    }

    /// The dataset of the arrays `x` and `y`.
    fn dataset(&mut self, x: &str, y: &str, task: Task) -> Result<Dataset> {
        let (xa, xp) = self.array(x)?;
        let (ya, yp) = self.array(y)?;
        dataset(&xa, &xp, &ya, &yp, task)
    }

    /// Which arrays hold the training rows (and the test rows): `x_train`/`y_train` (with
    /// `x_test`/`y_test`), or `X`/`y`.
    fn keys(&self) -> Result<(&'static str, &'static str, bool)> {
        match (
            self.has("x_train"),
            self.has("y_train"),
            self.has("x_test"),
            self.has("y_test"),
        ) {
            (true, true, a, b) if a == b => Ok(("x_train", "y_train", a)),
            (true, true, _, _) => Err(Error::format(
                &self.path,
                "the archive has one of x_test and y_test without the other",
            )),
            _ if self.has("X") && self.has("y") => Ok(("X", "y", false)),
            _ => {
                let names: Vec<String> = self.zip.file_names().flatten().take(20).map(|n| quoted(&n)).collect();
                Err(Error::format(
                    &self.path,
                    format!(
                        "no arrays X and y, nor x_train and y_train; the archive holds {}",
                        names.join(", ")
                    ),
                ))
            }
        }
    }
}

/// Loads an `.npz` archive: the arrays `X` and `y`, or `x_train` and `y_train` with, when present,
/// the official test split `x_test` and `y_test`. Returns the training rows and the test rows.
///
/// Errors as [`load`], naming the entry (`data.npz/X.npy: …`), plus an archive that is not a zip
/// file, lacks the arrays, uses another compression than stored or deflate, or whose entry
/// claims more than its compressed bytes can inflate to.
pub fn load_npz(path: &Path, task: Task) -> Result<(Dataset, Option<Dataset>)> {
    let mut archive = Archive::open(path)?;
    let (x, y, test) = archive.keys()?;
    let train = archive.dataset(x, y, task)?;
    let test = test.then(|| archive.dataset("x_test", "y_test", task)).transpose()?;
    Ok((train, test))
}

/// The official test split of an `.npz` archive (`x_test`, `y_test`), if it has one.
pub fn load_npz_test(path: &Path, task: Task) -> Result<Option<Dataset>> {
    let mut archive = Archive::open(path)?;
    match archive.keys()?.2 {
        true => archive.dataset("x_test", "y_test", task).map(Some),
        false => Ok(None),
    }
}

/// The training rows of an `.npz` archive, its test arrays unread.
pub fn load_npz_train(path: &Path, task: Task) -> Result<Dataset> {
    let mut archive = Archive::open(path)?;
    let (x, y, _) = archive.keys()?;
    archive.dataset(x, y, task)
}

/// Whether the `.npz` archive at `path` holds an official test split (`false` when it cannot be
/// read: loading it then says why).
pub fn npz_has_test(path: &Path) -> bool {
    Archive::open(path).and_then(|a| a.keys().map(|k| k.2)).unwrap_or(false)
}
