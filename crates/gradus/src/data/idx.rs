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
//! offset; the payload's length is checked against the header before anything is allocated for it.

use super::{Dataset, Features, Targets};
use crate::error::{Error, Result};
use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The element type code of unsigned bytes.
const U8: u8 = 0x08;

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Parses an IDX header and checks the payload's length; returns the dimensions and the payload.
fn parse_u8_tensor<'a>(bytes: &'a [u8], path: &Path) -> Result<(Vec<usize>, &'a [u8])> {
    let err = |msg: String| Error::format(path, msg);
    let [zero0, zero1, dtype, ndim, ..] = *bytes else {
        return Err(err(format!(
            "truncated IDX header: {} bytes, expected at least 4",
            bytes.len()
        )));
    };
    if [zero0, zero1] != [0, 0] {
        let magic = u32::from_be_bytes([zero0, zero1, dtype, ndim]);
        return Err(err(format!(
            "not an IDX file: magic number 0x{magic:08x} does not start with two zero bytes"
        )));
    }
    if dtype != U8 {
        let name = match dtype {
            0x09 => "signed byte",
            0x0b => "16-bit integer",
            0x0c => "32-bit integer",
            0x0d => "32-bit float",
            0x0e => "64-bit float",
            _ => "unknown",
        };
        return Err(err(format!(
            "IDX element type 0x{dtype:02x} ({name}) is not supported, only unsigned bytes (0x08)"
        )));
    }
    if ndim == 0 {
        return Err(err("IDX header declares 0 dimensions".into()));
    }
    let header_len = 4 + 4 * usize::from(ndim);
    let Some((dims, payload)) = bytes.get(4..).and_then(|rest| rest.split_at_checked(header_len - 4)) else {
        return Err(err(format!(
            "truncated IDX header: {} bytes, a {ndim}-dimensional tensor needs {header_len}",
            bytes.len()
        )));
    };
    let dims: Vec<usize> = dims
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let Some(expected) = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) else {
        return Err(err(format!("IDX dimensions {dims:?} overflow the address space")));
    };
    if payload.len() < expected {
        return Err(err(format!(
            "truncated IDX data: dimensions {dims:?} need {expected} bytes after the {header_len}-byte header, found {}",
            payload.len()
        )));
    }
    if payload.len() > expected {
        return Err(err(format!(
            "{} unexpected bytes at byte offset {}: dimensions {dims:?} need {expected} bytes after the {header_len}-byte header, found {}",
            payload.len() - expected,
            header_len + expected,
            payload.len()
        )));
    }
    Ok((dims, payload))
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
    let (dims, payload) = parse_u8_tensor(bytes, path)?;
    let (&rows, rest) = dims
        .split_first()
        .ok_or_else(|| Error::format(path, "IDX tensor has no dimensions"))?;
    let features = rest.iter().product();
    if features == 0 {
        return Err(Error::format(
            path,
            format!("IDX dimensions {dims:?} give rows of zero features"),
        ));
    }
    Ok((rows, features, payload.to_vec()))
}

/// Parses a 1-dimensional IDX tensor of unsigned bytes (magic `0x00000801`), one label per row.
///
/// Errors as [`parse_images`], plus a tensor of more than one dimension:
/// `labels.idx: labels must be a 1-dimensional IDX tensor, got dimensions [10, 2]`.
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let (dims, payload) = parse_u8_tensor(bytes, path)?;
    if dims.len() != 1 {
        return Err(Error::format(
            path,
            format!("labels must be a 1-dimensional IDX tensor, got dimensions {dims:?}"),
        ));
    }
    Ok(payload.to_vec())
}

/// Decompresses gzip data (one or more members) held in memory; the output grows only as data
/// arrives. Errors name `path` and how far decompression got.
pub(crate) fn gunzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| {
        Error::format(
            path,
            format!("corrupt gzip data after {} decompressed bytes: {e}", out.len()),
        )
    })?;
    Ok(out)
}

/// Reads a file, decompressing it if its name ends in `.gz` or its content starts with the gzip
/// magic bytes `1f 8b`.
///
/// Errors: `Error::Io` when the file cannot be read; `Error::Format` for corrupt gzip data, e.g.
/// `t10k-labels-idx1-ubyte.gz: corrupt gzip data after 0 decompressed bytes: invalid gzip header`.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if path.extension().is_some_and(|e| e == "gz") || bytes.starts_with(&GZIP_MAGIC) {
        gunzip(&bytes, path)
    } else {
        Ok(bytes)
    }
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

/// Builds a classification dataset from the bytes of an IDX image file and an IDX label file,
/// checking that the counts agree and that every label is below `n_classes`.
pub(crate) fn dataset(
    images_path: &Path,
    images: &[u8],
    labels_path: &Path,
    labels: &[u8],
    n_classes: usize,
) -> Result<Dataset> {
    let (rows, features, pixels) = parse_images(images, images_path)?;
    let labels = parse_labels(labels, labels_path)?;
    if rows != labels.len() {
        return Err(Error::data(format!(
            "{} has {rows} images but {} has {} labels",
            images_path.display(),
            labels_path.display(),
            labels.len()
        )));
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|&(_, &l)| usize::from(l) >= n_classes) {
        return Err(Error::format(
            labels_path,
            format!("label {l} at index {i} is out of range for {n_classes} classes"),
        ));
    }
    let labels = labels.into_iter().map(u32::from).collect();
    Dataset::new(features, Features::U8(pixels), Targets::Classes { labels, n_classes })
}

/// Loads the split `prefix` (`"train"` or `"t10k"`) of an MNIST-style directory: the files
/// `{prefix}-images-idx3-ubyte` and `{prefix}-labels-idx1-ubyte`, each possibly gzipped
/// (`.gz`), as a classification dataset with `u8` features and `n_classes` classes.
///
/// Errors: a missing file (see [`find`]), a malformed one (see [`parse_images`]), counts that
/// disagree (`d/train-images-idx3-ubyte has 60000 images but d/train-labels-idx1-ubyte.gz has 59999
/// labels`) or a label out of range (`d/train-labels-idx1-ubyte: label 12 at index 7 is out of
/// range for 10 classes`).
pub fn load_split(dir: &Path, prefix: &str, n_classes: usize) -> Result<Dataset> {
    let images_path = find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let labels_path = find(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = read_file(&images_path)?;
    let labels = read_file(&labels_path)?;
    dataset(&images_path, &images, &labels_path, &labels, n_classes)
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
                    let _ = gunzip(&b, path);
                }
                let _ = parse_images(&file[..i], path);
                let _ = gunzip(&file[..i], path);
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
            assert_eq!(read_file(&dir.path().join(name)).unwrap(), data, "{name}");
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
