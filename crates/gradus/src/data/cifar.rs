//! CIFAR-10's binary version (<https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz>, unpacked
//! to a directory `cifar-10-batches-bin`).
//!
//! The training split is `data_batch_1.bin` … `data_batch_5.bin`, the official test split
//! `test_batch.bin`; each file is a sequence of 3,073-byte records: one label byte (0–9), then the
//! 32×32 image's 1,024 red, 1,024 green and 1,024 blue bytes, each plane row-major (Krizhevsky,
//! *Learning Multiple Layers of Features from Tiny Images*, 2009). The pixels stay bytes
//! ([`Features::U8`]), 3,072 features per row in the file's channel-major order. The class names
//! come from `batches.meta.txt`, one per line, when it is there, else [`CLASSES`].
//!
//! A file's length is checked before it is read (a whole number of records), and memory is the
//! pixels themselves: records are read one at a time.

use super::csv::quoted;
use super::{Dataset, Features, Targets};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Pixels per image: 3 channels of 32×32.
pub const PIXELS: usize = 3 * 32 * 32;

/// Bytes per record: the label and the pixels.
pub const RECORD: usize = 1 + PIXELS;

/// The ten classes, in label order.
pub const CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// The training files.
pub const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];

/// The official test file.
pub const TEST_FILE: &str = "test_batch.bin";

/// The longest `batches.meta.txt` read.
const MAX_META: u64 = 64 << 10;

/// `dir/name`, which must be a file.
fn file(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    match path.is_file() {
        true => Ok(path),
        false => Err(Error::format(
            dir,
            format!("{name} not found (a CIFAR-10 binary batch)"),
        )),
    }
}

/// Appends the records of `path` to `pixels` and `labels`.
///
/// Errors: a length that is not a whole number of records, naming the byte offset of the
/// truncated last record; a label of 10 or more, naming the record and its byte offset.
fn read_batch(path: &Path, pixels: &mut Vec<u8>, labels: &mut Vec<u32>) -> Result<()> {
    let io = |e| Error::io(path, e);
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len % RECORD as u64 != 0 {
        return Err(Error::format(
            path,
            format!(
                "{len} bytes are not a whole number of {RECORD}-byte records (a label byte and {PIXELS} pixels): the record at byte offset {} is truncated",
                len - len % RECORD as u64
            ),
        ));
    }
    let records = (len / RECORD as u64) as usize;
    pixels.reserve(records * PIXELS);
    labels.reserve(records);
    let mut input = BufReader::new(file.take(len));
    let mut record = vec![0u8; RECORD];
    for r in 0..records {
        input.read_exact(&mut record).map_err(io)?;
        if record[0] >= 10 {
            return Err(Error::format(
                path,
                format!(
                    "record {r} (byte offset {}): label {} is out of range for 10 classes",
                    r * RECORD,
                    record[0]
                ),
            ));
        }
        labels.push(u32::from(record[0]));
        pixels.extend_from_slice(&record[1..]);
    }
    Ok(())
}

/// The class names of `dir`: the non-blank lines of `batches.meta.txt` (exactly ten), or
/// [`CLASSES`] without that file.
fn class_names(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("batches.meta.txt");
    if !path.is_file() {
        return Ok(CLASSES.iter().map(|s| s.to_string()).collect());
    }
    let mut bytes = Vec::new();
    File::open(&path)
        .and_then(|f| f.take(MAX_META + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(&path, e))?;
    if bytes.len() as u64 > MAX_META {
        return Err(Error::format(
            &path,
            format!("longer than the limit of {MAX_META} bytes"),
        ));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::format(&path, format!("not valid UTF-8 at byte offset {}", e.valid_up_to())))?;
    let names: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if names.len() != 10 {
        return Err(Error::format(
            &path,
            format!("{} class names, expected 10 (one per line)", names.len()),
        ));
    }
    if let Some(n) = names.iter().find(|n| n.chars().any(char::is_control)) {
        return Err(Error::format(
            &path,
            format!("class name {} has control characters", quoted(n)),
        ));
    }
    Ok(names)
}

/// The rows of the batch files `names` in `dir`, in order, with the class names.
fn load_files(dir: &Path, names: &[&str]) -> Result<Dataset> {
    let paths = names.iter().map(|n| file(dir, n)).collect::<Result<Vec<_>>>()?;
    let (mut pixels, mut labels) = (Vec::new(), Vec::new());
    for path in &paths {
        read_batch(path, &mut pixels, &mut labels)?;
    }
    let data = Dataset::new(PIXELS, Features::U8(pixels), Targets::Classes { labels, n_classes: 10 })?;
    Ok(data.with_class_names(class_names(dir)?))
}

/// The training split: the five `data_batch_*.bin` files.
///
/// Errors (naming the file): a missing batch (`cifar: data_batch_3.bin not found (a CIFAR-10
/// binary batch)`), a file that is not a whole number of records, a label out of range.
pub fn load_train(dir: &Path) -> Result<Dataset> {
    load_files(dir, &TRAIN_FILES)
}

/// The official test split: `test_batch.bin`. Errors as [`load_train`].
pub fn load_test(dir: &Path) -> Result<Dataset> {
    load_files(dir, &[TEST_FILE])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of records with labels `labels`, record `r`'s pixels all `r`.
    pub(crate) fn batch(labels: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (r, &l) in labels.iter().enumerate() {
            out.push(l);
            out.extend(std::iter::repeat_n(r as u8, PIXELS));
        }
        out
    }

    /// A directory with every batch, each of `labels`.
    fn dir(labels: &[u8]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for name in TRAIN_FILES.iter().chain([&TEST_FILE]) {
            std::fs::write(d.path().join(name), batch(labels)).unwrap();
        }
        d
    }

    #[test]
    fn batches_load_in_order_with_their_class_names() {
        let d = dir(&[3, 9]);
        let train = load_train(d.path()).unwrap();
        assert_eq!((train.len(), train.n_features(), train.n_classes()), (10, 3072, 10));
        assert_eq!(train.labels().unwrap(), &[3, 9, 3, 9, 3, 9, 3, 9, 3, 9]);
        assert_eq!((train.value(1, 0), train.value(2, 3071)), (1.0, 0.0));
        assert_eq!(train.class_names().unwrap()[9], "truck");
        std::fs::write(d.path().join("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n").unwrap();
        assert_eq!(load_test(d.path()).unwrap().class_names().unwrap()[9], "j");
        std::fs::write(d.path().join("batches.meta.txt"), "a\nb\n").unwrap();
        assert!(
            load_test(d.path())
                .unwrap_err()
                .to_string()
                .ends_with("2 class names, expected 10 (one per line)")
        );
    }

    #[test]
    fn bad_batches_are_errors_naming_file_and_offset() {
        let d = dir(&[1]);
        let p = d.path().join("data_batch_2.bin");
        let mut b = batch(&[1, 2, 3]);
        b.truncate(2 * RECORD + 5);
        std::fs::write(&p, &b).unwrap();
        assert_eq!(
            load_train(d.path()).unwrap_err().to_string(),
            format!(
                "{}: 6151 bytes are not a whole number of 3073-byte records (a label byte and 3072 pixels): the record at byte offset 6146 is truncated",
                p.display()
            )
        );
        std::fs::write(&p, batch(&[1, 10])).unwrap();
        assert_eq!(
            load_train(d.path()).unwrap_err().to_string(),
            format!(
                "{}: record 1 (byte offset 3073): label 10 is out of range for 10 classes",
                p.display()
            )
        );
        std::fs::remove_file(&p).unwrap();
        assert_eq!(
            load_train(d.path()).unwrap_err().to_string(),
            format!(
                "{}: data_batch_2.bin not found (a CIFAR-10 binary batch)",
                d.path().display()
            )
        );
    }
}
