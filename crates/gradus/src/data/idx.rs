//! IDX files, the format of MNIST and Fashion-MNIST, optionally gzip-compressed.
//!
//! An IDX file is a header followed by a row-major tensor:
//!
//! | bytes | content |
//! | --- | --- |
//! | 0–1 | zero |
//! | 2 | element type: `0x08` unsigned byte (the only one gradus reads), `0x09` signed byte, `0x0B` i16, `0x0C` i32, `0x0D` f32, `0x0E` f64 |
//! | 3 | number of dimensions `k` |
//! | 4 .. 4 + 4k | the dimensions, big-endian `u32` |
//! | then | the elements, exactly as many as the dimensions multiply to |
//!
//! So images are magic `0x00000803` with dimensions `[n, rows, cols]` and labels magic
//! `0x00000801` with dimensions `[n]`. Every error names the file, and where it helps the byte
//! offset.
//!
//! Files may be hostile: a few megabytes of gzip can inflate to gigabytes, and a header can claim
//! any size. So the header is read and checked first, from the decompressed stream; then at most
//! the payload the header implies, plus one byte to detect trailing data, is read, into a buffer
//! that grows as data arrives. An uncompressed file's length is checked against the header before
//! its payload is read. Memory is thus bounded by what the input holds, up to what its header says.

use super::{Dataset, Features, Targets};
use crate::error::{Error, Result};
use flate2::read::MultiGzDecoder;
use std::cmp::Ordering;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The element type code of unsigned bytes.
const U8: u8 = 0x08;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A read error `offset` bytes into the (decompressed) data: corrupt data if it comes from the gzip
/// decoder, else the operating system's error.
fn read_error(path: &Path, gzip: bool, offset: usize, e: io::Error) -> Error {
    if gzip {
        Error::format(
            path,
            format!("corrupt gzip data after {offset} decompressed bytes: {e}"),
        )
    } else {
        Error::io(path, e)
    }
}

/// The name of an IDX element type code, for messages.
fn type_name(dtype: u8) -> &'static str {
    match dtype {
        0x09 => "signed byte",
        0x0b => "16-bit integer",
        0x0c => "32-bit integer",
        0x0d => "32-bit float",
        0x0e => "64-bit float",
        _ => "unknown",
    }
}

/// A checked IDX header of unsigned bytes.
#[derive(Debug)]
struct Header {
    /// The dimensions, at least one.
    dims: Vec<usize>,
    /// The header's length in bytes, `4 + 4 × dims.len()`.
    len: usize,
    /// The payload's length in bytes: the product of the dimensions.
    payload: usize,
}

impl Header {
    /// Reads and checks the header at the start of `input` (`gzip`: whether `input` inflates gzip
    /// data, for the errors), reading nothing beyond it.
    ///
    /// Errors: a truncated header, a magic number that does not start with two zero bytes, an
    /// element type other than unsigned bytes, zero dimensions, or dimensions whose product
    /// overflows `usize`.
    fn read(input: &mut dyn Read, path: &Path, gzip: bool) -> Result<Self> {
        let err = |msg: String| Error::format(path, msg);
        let mut start = Vec::with_capacity(4);
        (&mut *input)
            .take(4)
            .read_to_end(&mut start)
            .map_err(|e| read_error(path, gzip, start.len(), e))?;
        let [zero0, zero1, dtype, ndim] = start[..] else {
            return Err(err(format!(
                "truncated IDX header: {} bytes, expected at least 4",
                start.len()
            )));
        };
        if [zero0, zero1] != [0, 0] {
            let magic = u32::from_be_bytes([zero0, zero1, dtype, ndim]);
            return Err(err(format!(
                "not an IDX file: magic number 0x{magic:08x} does not start with two zero bytes"
            )));
        }
        if dtype != U8 {
            return Err(err(format!(
                "IDX element type 0x{dtype:02x} ({}) is not supported, only unsigned bytes (0x08)",
                type_name(dtype)
            )));
        }
        if ndim == 0 {
            return Err(err("IDX header declares 0 dimensions".into()));
        }
        let len = 4 + 4 * usize::from(ndim);
        let mut raw = Vec::with_capacity(len - 4);
        (&mut *input)
            .take(len as u64 - 4)
            .read_to_end(&mut raw)
            .map_err(|e| read_error(path, gzip, 4 + raw.len(), e))?;
        if raw.len() < len - 4 {
            return Err(err(format!(
                "truncated IDX header: {} bytes, a {ndim}-dimensional tensor needs {len}",
                4 + raw.len()
            )));
        }
        let dims: Vec<usize> = raw
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
            .collect();
        let Some(payload) = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) else {
            return Err(err(format!("IDX dimensions {dims:?} overflow the address space")));
        };
        Ok(Self { dims, len, payload })
    }
}

/// An IDX tensor of unsigned bytes being read: its header is read and checked, its payload not
/// yet, so that callers can check the dimensions (and compare files) before any data is inflated.
pub(crate) struct Tensor<'a> {
    /// The file, for errors.
    path: PathBuf,
    /// The checked header.
    header: Header,
    /// The (decompressed) data, positioned at the payload.
    input: Box<dyn Read + 'a>,
    /// The payload's length when known without reading it (uncompressed data).
    available: Option<u64>,
    /// Whether `input` inflates gzip data: its read errors then mean corrupt data.
    gzip: bool,
}

impl<'a> Tensor<'a> {
    /// Reads the header from `input`, whose length is `len` when known.
    fn new(path: &Path, mut input: Box<dyn Read + 'a>, len: Option<u64>, gzip: bool) -> Result<Self> {
        let header = Header::read(&mut input, path, gzip)?;
        let available = len.map(|n| n.saturating_sub(header.len as u64));
        Ok(Self {
            path: path.to_path_buf(),
            header,
            input,
            available,
            gzip,
        })
    }

    /// A tensor held uncompressed in memory.
    fn from_bytes(bytes: &'a [u8], path: &Path) -> Result<Self> {
        Self::new(path, Box::new(bytes), Some(bytes.len() as u64), false)
    }

    /// A tensor held gzip-compressed in memory (one or more gzip members).
    pub(crate) fn from_gzip(bytes: &'a [u8], path: &Path) -> Result<Self> {
        Self::new(path, Box::new(MultiGzDecoder::new(bytes)), None, true)
    }

    /// Opens the file `path`, decompressing it if its name ends in `.gz` or its content starts
    /// with the gzip magic bytes `1f 8b`, and reads its header.
    ///
    /// Errors: `Error::Io` when the file cannot be read; `Error::Format` for corrupt gzip data
    /// (`t10k-labels-idx1-ubyte.gz: corrupt gzip data after 0 decompressed bytes: invalid gzip
    /// header`) or a bad header (see [`Header::read`]).
    fn open(path: &Path) -> Result<Tensor<'static>> {
        let io_error = |e| Error::io(path, e);
        let mut file = File::open(path).map_err(io_error)?;
        let len = file.metadata().map_err(io_error)?.len();
        let mut magic = Vec::with_capacity(GZIP_MAGIC.len());
        (&mut file)
            .take(GZIP_MAGIC.len() as u64)
            .read_to_end(&mut magic)
            .map_err(io_error)?;
        let gzip = path.extension().is_some_and(|e| e == "gz") || magic == GZIP_MAGIC;
        let input = io::Cursor::new(magic).chain(file);
        if gzip {
            Tensor::new(path, Box::new(MultiGzDecoder::new(input)), None, true)
        } else {
            Tensor::new(path, Box::new(input), Some(len), false)
        }
    }

    /// The dimensions after the first: the shape of one row (empty for a 1-dimensional tensor).
    fn row_shape(&self) -> &[usize] {
        self.header.dims.get(1..).unwrap_or_default()
    }

    /// `(rows, features)` of an image tensor: the first dimension counts the rows, the others
    /// multiply to the features (1 for a 1-dimensional tensor). Error: zero features.
    fn image_shape(&self) -> Result<(usize, usize)> {
        let rows = self.header.dims.first().copied().unwrap_or_default();
        let features = self.row_shape().iter().product();
        if features == 0 {
            return Err(Error::format(
                &self.path,
                format!("IDX dimensions {:?} give rows of zero features", self.header.dims),
            ));
        }
        Ok((rows, features))
    }

    /// The number of labels of a label tensor. Error: more than one dimension.
    fn label_count(&self) -> Result<usize> {
        match self.header.dims[..] {
            [n] => Ok(n),
            _ => Err(Error::format(
                &self.path,
                format!(
                    "labels must be a 1-dimensional IDX tensor, got dimensions {:?}",
                    self.header.dims
                ),
            )),
        }
    }

    /// The error for a payload of `found` bytes, `None` meaning more than the header implies.
    fn length_error(&self, found: Option<u64>) -> Error {
        let Header { dims, len, payload } = &self.header;
        let need = format!("dimensions {dims:?} need {payload} bytes after the {len}-byte header");
        let offset = len + payload;
        let msg = match found {
            Some(found) if found < *payload as u64 => format!("truncated IDX data: {need}, found {found}"),
            Some(found) => format!(
                "{} unexpected bytes at byte offset {offset}: {need}, found {found}",
                found - *payload as u64
            ),
            None => format!("unexpected data at byte offset {offset} of the decompressed data: {need}"),
        };
        Error::format(&self.path, msg)
    }

    /// Reads the payload: exactly the bytes the header implies, checked against the input's
    /// length first when that is known; reads at most one byte more, to detect trailing data.
    ///
    /// Errors: a payload shorter or longer than the dimensions say, e.g. `train.idx: truncated
    /// IDX data: dimensions [10, 28, 28] need 7840 bytes after the 16-byte header, found 100`;
    /// corrupt gzip data; an I/O error.
    fn read_payload(mut self) -> Result<Vec<u8>> {
        let need = self.header.payload;
        if let Some(found) = self.available.filter(|&n| n != need as u64) {
            return Err(self.length_error(Some(found)));
        }
        // A known length was just checked, so reserving it is safe; an unknown one may be a lie.
        let data = super::payload::read(&mut self.input, need, self.available.is_some())
            .map_err(|(n, e)| read_error(&self.path, self.gzip, self.header.len + n, e))?;
        match data.len().cmp(&need) {
            Ordering::Less => Err(self.length_error(Some(data.len() as u64))),
            Ordering::Greater => Err(self.length_error(None)),
            Ordering::Equal => Ok(data),
        }
    }
}

/// Parses an IDX tensor of unsigned bytes with at least one dimension: the first dimension
/// counts the rows, the others multiply to the number of features (1 for a 1-dimensional
/// tensor). Returns `(rows, features, data)` with `data` row-major.
///
/// Errors (`Error::Format`, naming `path`): a truncated header, a magic number that does not start
/// with two zero bytes, an element type other than unsigned bytes, zero features, or a payload
/// shorter or longer than the dimensions say, e.g.
/// `train.idx: truncated IDX data: dimensions [10, 28, 28] need 7840 bytes after the 16-byte header, found 100`.
pub fn parse_images(bytes: &[u8], path: &Path) -> Result<(usize, usize, Vec<u8>)> {
    let tensor = Tensor::from_bytes(bytes, path)?;
    let (rows, features) = tensor.image_shape()?;
    Ok((rows, features, tensor.read_payload()?))
}

/// Parses a 1-dimensional IDX tensor of unsigned bytes (magic `0x00000801`), one label per row.
///
/// Errors as [`parse_images`], plus a tensor of more than one dimension:
/// `labels.idx: labels must be a 1-dimensional IDX tensor, got dimensions [10, 2]`.
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let tensor = Tensor::from_bytes(bytes, path)?;
    tensor.label_count()?;
    tensor.read_payload()
}

/// Returns `dir/stem` if that file exists, else `dir/stem.gz` if that one does.
///
/// Error: `data/mnist: neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz found`.
pub fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let plain = dir.join(stem);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{stem}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(Error::format(dir, format!("neither {stem} nor {stem}.gz found")))
}

/// Builds a classification dataset from an image tensor and a label tensor, checking that the
/// counts agree (before reading either payload, so that a file whose header disagrees with the
/// other's is never inflated) and that every label is below `n_classes`.
pub(crate) fn dataset(images: Tensor<'_>, labels: Tensor<'_>, n_classes: usize) -> Result<Dataset> {
    let (rows, features) = images.image_shape()?;
    let count = labels.label_count()?;
    if rows != count {
        return Err(Error::data(format!(
            "{} has {rows} images but {} has {count} labels",
            images.path.display(),
            labels.path.display(),
        )));
    }
    let labels_path = labels.path.clone();
    let labels = labels.read_payload()?;
    if let Some((i, l)) = labels.iter().enumerate().find(|&(_, &l)| usize::from(l) >= n_classes) {
        return Err(Error::format(
            &labels_path,
            format!("label {l} at index {i} is out of range for {n_classes} classes"),
        ));
    }
    let pixels = images.read_payload()?;
    let labels = labels.into_iter().map(u32::from).collect();
    Dataset::new(features, Features::U8(pixels), Targets::Classes { labels, n_classes })
}

/// The image and label tensors of the split `prefix` of an MNIST-style directory, opened and
/// their headers checked.
fn open_split(dir: &Path, prefix: &str) -> Result<(Tensor<'static>, Tensor<'static>)> {
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    Ok((Tensor::open(&images_path)?, Tensor::open(&labels_path)?))
}

/// Loads the split `prefix` (`"train"` or `"t10k"`) of an MNIST-style directory: the files
/// `{prefix}-images-idx3-ubyte` and `{prefix}-labels-idx1-ubyte`, each possibly gzipped
/// (`.gz`), as a classification dataset with `u8` features and `n_classes` classes.
///
/// Errors: a missing file (see [`find`]), a malformed one (see [`parse_images`]; for gzip data,
/// also `corrupt gzip data after 0 decompressed bytes: invalid gzip header`, or data beyond what
/// the header implies: `train-images-idx3-ubyte.gz: unexpected data at byte offset 47040016 of the
/// decompressed data: dimensions [60000, 28, 28] need 47040000 bytes after the 16-byte header`),
/// counts that disagree (`d/train-images-idx3-ubyte has 60000 images but d/train-labels-idx1-ubyte.gz
/// has 59999 labels`) or a label out of range (`d/train-labels-idx1-ubyte: label 12 at index 7 is
/// out of range for 10 classes`).
pub fn load_split(dir: &Path, prefix: &str, n_classes: usize) -> Result<Dataset> {
    let (images, labels) = open_split(dir, prefix)?;
    dataset(images, labels, n_classes)
}

/// Loads the official training and test splits of an MNIST-style directory (`train` and `t10k`,
/// see [`load_split`]), checking that their images have the same shape: the same number of
/// pixels is not enough, as 14×56 images are not 28×28 ones.
///
/// Errors: those of [`load_split`], and `d: test images have shape [14, 56], training images
/// [28, 28]` (checked before the test images are read).
pub fn load_train_test(dir: &Path, n_classes: usize) -> Result<(Dataset, Dataset)> {
    let (images, labels) = open_split(dir, "train")?;
    let train_shape = images.row_shape().to_vec();
    let train = dataset(images, labels, n_classes)?;
    let (images, labels) = open_split(dir, "t10k")?;
    if images.row_shape() != train_shape {
        return Err(Error::data(format!(
            "{}: test images have shape {:?}, training images {train_shape:?}",
            dir.display(),
            images.row_shape()
        )));
    }
    Ok((train, dataset(images, labels, n_classes)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// Every single-byte corruption and truncation of valid image, label and gzip files parses
    /// or fails with an error; none panics.
    #[test]
    fn no_corruption_panics() {
        let path = Path::new("x.idx");
        let images = idx(&[3, 2, 2], &[9; 12]);
        let labels = idx(&[3], &[1, 2, 3]);
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&images).unwrap();
        let gz = gz.finish().unwrap();
        for file in [&images, &labels, &gz] {
            for i in 0..file.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut b = file.clone();
                    b[i] ^= flip;
                    let _ = parse_images(&b, path);
                    let _ = parse_labels(&b, path);
                    let _ = gunzipped(&b);
                }
                let _ = parse_images(&file[..i], path);
                let _ = gunzipped(&file[..i]);
            }
        }
    }

    /// An IDX file of unsigned bytes with the given dimensions and payload.
    fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, U8, dims.len() as u8];
        for d in dims {
            out.extend(d.to_be_bytes());
        }
        out.extend(data);
        out
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// The payload of an IDX tensor held gzip-compressed in memory.
    fn gunzipped(bytes: &[u8]) -> Result<Vec<u8>> {
        Tensor::from_gzip(bytes, Path::new(P))?.read_payload()
    }

    /// The payload of an IDX file.
    fn read_file(path: &Path) -> Result<Vec<u8>> {
        Tensor::open(path)?.read_payload()
    }

    fn message<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().to_string()
    }

    const P: &str = "x.idx";

    fn parse(bytes: &[u8]) -> Result<(usize, usize, Vec<u8>)> {
        parse_images(bytes, Path::new(P))
    }

    #[test]
    fn hand_built_bytes_round_trip() {
        let pixels: Vec<u8> = (0..12).collect();
        assert_eq!(parse(&idx(&[2, 2, 3], &pixels)).unwrap(), (2, 6, pixels.clone()));
        assert_eq!(parse(&idx(&[12], &pixels)).unwrap(), (12, 1, pixels.clone()));
        assert_eq!(
            parse_labels(&idx(&[3], &[7, 0, 9]), Path::new(P)).unwrap(),
            vec![7, 0, 9]
        );
    }

    #[test]
    fn malformed_headers_are_errors() {
        assert_eq!(
            message(parse(&[0, 0, 8])),
            "x.idx: truncated IDX header: 3 bytes, expected at least 4"
        );
        assert_eq!(
            message(parse(&idx(&[2, 2, 3], &[])[..10])),
            "x.idx: truncated IDX header: 10 bytes, a 3-dimensional tensor needs 16"
        );
        assert_eq!(
            message(parse(b"%PDF-1.7")),
            "x.idx: not an IDX file: magic number 0x25504446 does not start with two zero bytes"
        );
        let mut floats = idx(&[1], &[0; 4]);
        floats[2] = 0x0d;
        assert_eq!(
            message(parse(&floats)),
            "x.idx: IDX element type 0x0d (32-bit float) is not supported, only unsigned bytes (0x08)"
        );
        assert_eq!(message(parse(&[0, 0, 8, 0])), "x.idx: IDX header declares 0 dimensions");
        assert!(message(parse(&idx(&[3, 0], &[]))).contains("give rows of zero features"));
        assert_eq!(
            message(parse_labels(&idx(&[2, 1], &[0, 1]), Path::new(P))),
            "x.idx: labels must be a 1-dimensional IDX tensor, got dimensions [2, 1]"
        );
    }

    #[test]
    fn payload_length_must_match_the_header() {
        assert_eq!(
            message(parse(&idx(&[2, 2, 3], &[0; 11]))),
            "x.idx: truncated IDX data: dimensions [2, 2, 3] need 12 bytes after the 16-byte header, found 11"
        );
        assert_eq!(
            message(parse(&idx(&[2, 2, 3], &[0; 14]))),
            "x.idx: 2 unexpected bytes at byte offset 28: dimensions [2, 2, 3] need 12 bytes after the 16-byte header, found 14"
        );
    }

    #[test]
    fn a_huge_claimed_count_is_an_error_not_an_allocation() {
        let e = message(parse(&idx(&[4_000_000_000, 28, 28], &[0; 10])));
        assert!(
            e.contains("need 3136000000000 bytes after the 16-byte header, found 10"),
            "{e}"
        );
        let e = message(parse_labels(&idx(&[u32::MAX], &[0; 10]), Path::new(P)));
        assert!(e.contains("need 4294967295 bytes"), "{e}");
        let e = message(parse(&idx(&[u32::MAX; 4], &[])));
        assert!(e.contains("overflow"), "{e}");
    }

    #[test]
    fn files_are_gunzipped_by_name_or_by_magic() {
        let dir = tempfile::tempdir().unwrap();
        let data = idx(&[2], &[1, 2]);
        for (name, content) in [("a", data.clone()), ("b.gz", gz(&data)), ("c", gz(&data))] {
            std::fs::write(dir.path().join(name), content).unwrap();
            assert_eq!(read_file(&dir.path().join(name)).unwrap(), [1, 2], "{name}");
        }
        let corrupt = dir.path().join("d.gz");
        std::fs::write(&corrupt, &data).unwrap();
        let e = message(read_file(&corrupt));
        assert!(
            e.starts_with(&format!("{}: corrupt gzip data", corrupt.display())),
            "{e}"
        );
        let mut truncated = gz(&idx(&[1000], &[5; 1000]));
        truncated.truncate(truncated.len() - 12);
        std::fs::write(&corrupt, &truncated).unwrap();
        assert!(message(read_file(&corrupt)).contains("corrupt gzip data"));
        assert!(message(read_file(&dir.path().join("missing"))).contains("missing"));
    }

    #[test]
    fn load_split_finds_plain_and_gzipped_files_and_checks_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let write = |name: &str, bytes: Vec<u8>| std::fs::write(d.join(name), bytes).unwrap();
        write("train-images-idx3-ubyte", idx(&[3, 1, 2], &[1, 2, 3, 4, 5, 6]));
        let e = message(load_split(d, "train", 10));
        assert_eq!(
            e,
            format!(
                "{}: neither train-labels-idx1-ubyte nor train-labels-idx1-ubyte.gz found",
                d.display()
            )
        );

        write("train-labels-idx1-ubyte.gz", gz(&idx(&[3], &[2, 0, 9])));
        let data = load_split(d, "train", 10).unwrap();
        assert_eq!((data.len(), data.n_features(), data.n_classes()), (3, 2, 10));
        assert_eq!(data.features(), &Features::U8(vec![1, 2, 3, 4, 5, 6]));
        assert_eq!(data.labels(), Some(&[2, 0, 9][..]));

        let e = message(load_split(d, "train", 5));
        assert_eq!(
            e,
            format!(
                "{}: label 9 at index 2 is out of range for 5 classes",
                d.join("train-labels-idx1-ubyte.gz").display()
            )
        );

        write("train-labels-idx1-ubyte.gz", gz(&idx(&[2], &[2, 0])));
        let e = message(load_split(d, "train", 10));
        assert_eq!(
            e,
            format!(
                "{} has 3 images but {} has 2 labels",
                d.join("train-images-idx3-ubyte").display(),
                d.join("train-labels-idx1-ubyte.gz").display()
            )
        );
    }
}
