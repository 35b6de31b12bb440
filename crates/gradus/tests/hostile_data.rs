//! Hostile data files (issue 13): gzip bombs, IDX headers that lie, endless or huge CSV records,
//! values beyond `f32`, control characters; each must end in a clear one-line error without
//! reading or allocating more than the input really holds. The memory bounds themselves are
//! checked on the `gradus` command (`crates/gradus-cli/tests/hostile_data.rs`), in a child process
//! whose address space is capped.

use flate2::{Compression, write::GzEncoder};
use gradus::data::csv::{self, CsvOptions, LabelColumn};
use gradus::data::idx;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// An IDX file of unsigned bytes: the header for `dims`, then `data`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

/// Writes a gzip file holding `head` then `zeros` zero bytes, streamed through the encoder a
/// mebibyte at a time: a few hundred kilobytes on disk, `zeros` bytes once inflated.
fn gzip_bomb(path: &Path, head: &[u8], zeros: usize) {
    let mut gz = GzEncoder::new(BufWriter::new(File::create(path).unwrap()), Compression::fast());
    gz.write_all(head).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..zeros / chunk.len() {
        gz.write_all(&chunk).unwrap();
    }
    gz.finish().unwrap().flush().unwrap();
}

/// 256 MiB: more than five times what a 60000×28×28 header claims.
const BOMB_ZEROS: usize = 256 << 20;

/// An MNIST-style directory with 60000 valid training labels and `images` as the gzipped
/// training images.
fn mnist_dir(images: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), idx(&[60000], &[3; 60000])).unwrap();
    images(&dir.path().join("train-images-idx3-ubyte.gz"));
    dir
}

fn error<T: std::fmt::Debug>(r: gradus::Result<T>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn gzip_bomb_is_inflated_only_as_far_as_its_header_claims() {
    let dir = mnist_dir(|p| gzip_bomb(p, &idx(&[60000, 28, 28], &[]), BOMB_ZEROS));
    let e = error(idx::load_split(dir.path(), "train", 10));
    assert_eq!(
        e,
        format!(
            "{}: unexpected data at byte offset 47040016 of the decompressed data: dimensions [60000, 28, 28] need \
             47040000 bytes after the 16-byte header",
            dir.path().join("train-images-idx3-ubyte.gz").display()
        )
    );
}

#[test]
fn gzip_bomb_with_a_bad_header_is_rejected_before_inflating() {
    let dir = mnist_dir(|p| gzip_bomb(p, b"%PDF-1.7", BOMB_ZEROS));
    let e = error(idx::load_split(dir.path(), "train", 10));
    assert!(
        e.ends_with(
            "train-images-idx3-ubyte.gz: not an IDX file: magic number 0x25504446 does not start with two zero bytes"
        ),
        "{e}"
    );
}

#[test]
fn image_and_label_counts_are_compared_before_either_payload_is_read() {
    let dir = mnist_dir(|p| gzip_bomb(p, &idx(&[59999, 28, 28], &[]), 64 << 20));
    let e = error(idx::load_split(dir.path(), "train", 10));
    assert!(e.contains("has 59999 images but"), "{e}");
    assert!(e.ends_with("train-labels-idx1-ubyte has 60000 labels"), "{e}");
}

/// An uncompressed file's length is checked against its header before its payload is read: a
/// sparse gibibyte is rejected at once, not read into memory.
#[test]
fn plain_idx_length_is_checked_against_the_header_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("train-images-idx3-ubyte");
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), idx(&[2], &[0, 1])).unwrap();
    std::fs::write(&images, idx(&[2, 2, 2], &[])).unwrap();
    File::options()
        .append(true)
        .open(&images)
        .unwrap()
        .set_len(16 + (1 << 30))
        .unwrap();
    let e = error(idx::load_split(dir.path(), "train", 10));
    assert!(
        e.ends_with(
            "1073741816 unexpected bytes at byte offset 24: dimensions [2, 2, 2] need 8 bytes after the 16-byte \
             header, found 1073741824"
        ),
        "{e}"
    );
    std::fs::write(&images, idx(&[2, 2, 2], &[7; 5])).unwrap();
    let e = error(idx::load_split(dir.path(), "train", 10));
    assert!(
        e.ends_with("truncated IDX data: dimensions [2, 2, 2] need 8 bytes after the 16-byte header, found 5"),
        "{e}"
    );
}

/// A train and a test split whose images have `train` and `test` rows × columns.
fn splits(train: [u32; 2], test: [u32; 2]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (prefix, [r, c], n) in [("train", train, 4u32), ("t10k", test, 2)] {
        let pixels = vec![9; (n * r * c) as usize];
        let write = |name: String, bytes| std::fs::write(dir.path().join(name), bytes).unwrap();
        write(format!("{prefix}-images-idx3-ubyte"), idx(&[n, r, c], &pixels));
        write(format!("{prefix}-labels-idx1-ubyte"), idx(&[n], &vec![1; n as usize]));
    }
    dir
}

#[test]
fn train_and_test_images_must_have_the_same_shape_not_only_the_same_size() {
    let dir = splits([28, 28], [14, 56]);
    let e = error(idx::load_train_test(dir.path(), 10));
    assert_eq!(
        e,
        format!(
            "{}: test images have shape [14, 56], training images [28, 28]",
            dir.path().display()
        )
    );
    let dir = splits([3, 5], [3, 5]);
    let (train, test) = idx::load_train_test(dir.path(), 10).unwrap();
    assert_eq!((train.len(), test.len(), test.n_features()), (4, 2, 15));
}

/// Writes `content` to a temporary CSV file and loads it with `opts`.
fn load_csv(content: &[u8], opts: &CsvOptions) -> (tempfile::TempPath, gradus::Result<gradus::data::Dataset>) {
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    file.write_all(content).unwrap();
    let path = file.into_temp_path();
    let data = csv::load(&path, opts);
    (path, data)
}

/// The error loading `content` with `opts`, without the file's path.
/// The error of loading `content`, without the file's path and without the hint on how to use
/// a column of text or fill a missing value (`… (leave the column out with …)`).
fn csv_error(content: &[u8], opts: &CsvOptions) -> String {
    let e = csv_error_with_hint(content, opts);
    match e
        .find(" (leave the column out")
        .or_else(|| e.find(" (fill missing values"))
    {
        Some(at) => e[..at].to_string(),
        None => e,
    }
}

/// The error of loading `content`, without the file's path.
fn csv_error_with_hint(content: &[u8], opts: &CsvOptions) -> String {
    let (path, data) = load_csv(content, opts);
    let e = error(data);
    let prefix = format!("{}: ", path.display());
    assert!(e.starts_with(&prefix), "{e}");
    e[prefix.len()..].to_string()
}

fn limits(max_record_bytes: usize, max_field_bytes: usize) -> CsvOptions {
    CsvOptions {
        max_record_bytes,
        max_field_bytes,
        ..CsvOptions::default()
    }
}

#[test]
fn endless_csv_records_stop_at_the_record_limit() {
    let e = error(csv::load(Path::new("/dev/zero"), &CsvOptions::default()));
    assert_eq!(e, "/dev/zero: line 1: the record is longer than the limit of 16 MiB");

    let mut long = b"a,b,y\n1,2,0\n\n".to_vec();
    long.extend(vec![b'7'; 5000]);
    long.extend(b",2,0\n");
    let opts = limits(1000, 1000);
    assert_eq!(
        csv_error(&long, &opts),
        "line 4: the record is longer than the limit of 1000 bytes"
    );

    // The default limit, on a single line of 17 MiB.
    let mut huge = b"1,2,0\n".to_vec();
    huge.resize(huge.len() + (17 << 20), b'5');
    assert_eq!(
        csv_error(&huge, &CsvOptions::default()),
        "line 2: the record is longer than the limit of 16 MiB"
    );
}

#[test]
fn csv_limits_count_exactly_and_can_be_raised() {
    // 4 lines of 10 bytes, newline included: a 10-byte limit admits them, 9 bytes does not.
    let rows = b"1.5,2.5,0\n3.5,4.5,1\n5.5,6.5,0\n7.5,8.5,1\n";
    assert_eq!(load_csv(rows, &limits(10, 10)).1.unwrap().len(), 4);
    assert_eq!(
        csv_error(rows, &limits(9, 10)),
        "line 1: the record is longer than the limit of 9 bytes"
    );
    // A last line without a line break may fill the limit.
    assert_eq!(load_csv(&rows[..39], &limits(10, 10)).1.unwrap().len(), 4);

    let mut wide = b"x,y\n0.".to_vec();
    wide.extend(vec![b'5'; 3000]);
    wide.extend(b",0\n");
    assert_eq!(
        csv_error(&wide, &limits(1 << 20, 2048)),
        "line 2, column 'x': the field is longer than the limit of 2 KiB"
    );
    assert_eq!(load_csv(&wide, &limits(1 << 20, 4096)).1.unwrap().len(), 1);
}

#[test]
fn values_beyond_f32_are_out_of_range_not_infinite() {
    let c = CsvOptions::default();
    assert_eq!(
        csv_error(b"a,y\n1,0\n1e308,1\n", &c),
        "line 3, column 'a': '1e308' is out of f32's range (\u{b1}3.4e38)"
    );
    assert_eq!(
        csv_error(b"a,y\n-3.5e38,1\n", &c),
        "line 2, column 'a': '-3.5e38' is out of f32's range (\u{b1}3.4e38)"
    );
    for literal in ["inf", "-Infinity", "NaN"] {
        let file = format!("a,y\n{literal},1\n");
        assert_eq!(
            csv_error(file.as_bytes(), &c),
            format!("line 2, column 'a': '{literal}' is not finite")
        );
    }
    let regress = CsvOptions {
        task: gradus::data::Task::Regress,
        ..CsvOptions::default()
    };
    assert_eq!(
        csv_error(b"a,y\n1,4e38\n", &regress),
        "line 2, column 'y': '4e38' is out of f32's range (\u{b1}3.4e38)"
    );
}

#[test]
fn errors_name_the_real_line_after_blank_lines_crlf_and_quoted_line_breaks() {
    let c = CsvOptions::default();
    for (file, line) in [
        (&b"a,b,y\n1,2,0\n\n\nx,2,1\n"[..], 5),
        (b"a,b,y\r\n1,2,0\r\n1,2,0\r\nx,2,1\r\n", 4),
        (b"a,b,y\r\n\r\n1,2,0\r\n\r\n\r\nx,2,1\r\n", 6),
        (b"\n\na,b,y\n1,2,0\nx,2,1\n", 5),
        (b"a,b,y\n\"1\",\"2\n\n\",0\n\nx,2,1\n", 6),
    ] {
        assert_eq!(
            csv_error(file, &c),
            format!("line {line}, column 'a': 'x' is not a number"),
            "{}",
            String::from_utf8_lossy(file)
        );
    }
    assert_eq!(
        csv_error(b"a,b,y\n1,2,0\n\n1,2\n", &c),
        "line 4 has 2 fields, expected 3"
    );
    assert_eq!(csv_error(b"a,y\n1,2\n\n\n1,\n", &c), "line 5, column 'y': empty label");
    assert_eq!(
        csv_error(b"a,b\n1,2\n\n3,\xff\n", &c),
        "line 4, column 1: not valid UTF-8 (the line starts at byte offset 9)"
    );
}

#[test]
fn control_characters_are_escaped_and_long_fields_shortened_in_messages() {
    let c = CsvOptions::default();
    assert_eq!(
        csv_error(b"a,y\n1\x1b[31m\x07\x00,0\n", &c),
        r"line 2, column 'a': '1\u{1b}[31m\u{7}\0' is not a number"
    );
    // The hint names the column as the message does: escaped.
    assert!(
        csv_error_with_hint(b"n\x1bame,y\nx,0\n", &c)
            .ends_with(r"(leave the column out with --ignore-columns 'n\u{1b}ame', or one-hot encode it with --categorical 'n\u{1b}ame')")
    );
    assert_eq!(
        csv_error(b"n\x1bame,y\nx,0\n", &c),
        r"line 2, column 'n\u{1b}ame': 'x' is not a number"
    );
    let mut long = b"a,y\n".to_vec();
    long.extend(vec![b'z'; 5000]);
    long.extend(b",0\n");
    assert_eq!(
        csv_error(&long, &c),
        format!("line 2, column 'a': '{}\u{2026}' is not a number", "z".repeat(40))
    );
    let e = csv_error(
        b"a,b\n1,2\n",
        &CsvOptions {
            label: LabelColumn::Name("\x1b]0;pwned\x07".into()),
            ..CsvOptions::default()
        },
    );
    assert_eq!(
        e,
        r"no column named '\u{1b}]0;pwned\u{7}' (the label column); the columns are 'a', 'b'"
    );
}

#[test]
fn a_file_error_gives_the_operating_system_error_once() {
    let e = csv::load(Path::new("/nonexistent/x.csv"), &CsvOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/nonexistent/x.csv: No such file or directory (os error 2)"
    );
    // Chains printed cause by cause (anyhow's `{:#}`) would repeat a `source()` already in the message.
    assert!(std::error::Error::source(&e).is_none());
}
