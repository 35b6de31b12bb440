//! `gradus` on hostile data files (issue 13): gzip bombs, IDX headers that lie, endless CSV
//! records, OS errors, control characters. Each run must end with one clean `gradus: error:` line,
//! and the memory tests run `gradus` with its address space capped, so that reading more than the
//! input really holds ends in an allocation failure instead of the expected message.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// The address space `gradus` gets in the memory tests, in KiB (`ulimit -v`): about 400 MB. The
/// fixed loader needs under 150 MB on these inputs (a 47 MB payload at most); reading a 256 MiB
/// bomb whole needs a 512 MiB buffer.
const MEMORY_CAP_KIB: u32 = 400_000;

/// Runs `gradus args` with its address space capped to [`MEMORY_CAP_KIB`], expecting it to fail
/// cleanly (exit status 1, not an abort); returns its one line of stderr.
fn fails_within_memory_cap(args: &[&str]) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_gradus"))
        .args(args)
        .output()
        .expect("sh runs");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "gradus {args:?}: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("gradus: error: "),
        "gradus {args:?}: expected one error line, got: {err}"
    );
    lines[0].to_string()
}

/// A deflate bit stream (RFC 1951): bits packed from each byte's least significant end.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    byte: u8,
    used: u32,
}

impl Bits {
    /// Appends the `len` low bits of `value`, least significant first (header fields).
    fn put(&mut self, value: u32, len: u32) {
        for i in 0..len {
            self.byte |= (((value >> i) & 1) as u8) << self.used;
            self.used += 1;
            if self.used == 8 {
                self.out.push(self.byte);
                (self.byte, self.used) = (0, 0);
            }
        }
    }

    /// Appends a Huffman code of `len` bits, most significant first.
    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.put(code >> i, 1);
        }
    }

    /// Appends the fixed Huffman code of literal byte `b`.
    fn literal(&mut self, b: u8) {
        match b {
            0..=143 => self.code(0x30 + u32::from(b), 8),
            _ => self.code(0x190 + u32::from(b) - 144, 9),
        }
    }

    /// The bytes, the last one padded with zero bits.
    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.out.push(self.byte);
        }
        self.out
    }
}

/// The CRC-32 of `head` followed by `zeros` zero bytes, as gzip's trailer holds it.
fn crc32(head: &[u8], zeros: usize) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|i| (0..8).fold(i, |c, _| if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 }))
        .collect();
    let step = |c: u32, b: u8| table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    let crc = head.iter().fold(!0, |c, &b| step(c, b));
    !(0..zeros).fold(crc, |c, _| step(c, 0))
}

/// Writes a gzip file (RFC 1952) holding `head` then `zeros` (at least one) zero bytes, in one
/// deflate block with fixed Huffman codes: each further 258 zeros are one 13-bit copy of the byte
/// before, so 256 MiB take 1.7 MB. (Written by hand: this crate has no gzip encoder.)
fn gzip_bomb(path: &Path, head: &[u8], zeros: usize) {
    let mut bits = Bits::default();
    bits.put(0b011, 3); // last block, fixed Huffman codes
    for &b in head {
        bits.literal(b);
    }
    bits.literal(0);
    let mut left = zeros - 1;
    while left >= 258 {
        bits.code(0b1100_0101, 8); // length 258 (code 285)
        bits.code(0, 5); // distance 1 (code 0)
        left -= 258;
    }
    for _ in 0..left {
        bits.literal(0);
    }
    bits.code(0, 7); // end of block (code 256)
    let mut file = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    file.extend(bits.finish());
    file.extend(crc32(head, zeros).to_le_bytes());
    file.extend(((head.len() + zeros) as u32).to_le_bytes());
    std::fs::write(path, file).unwrap();
}

/// An IDX file of unsigned bytes: the header for `dims`, then `data`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

/// `gradus train` on an MNIST-style directory with 60000 valid training labels and training
/// images written by `images`; returns the error line.
fn train_on_mnist(images_name: &str, images: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("train-labels-idx1-ubyte"), idx(&[60000], &[3; 60000])).unwrap();
    images(&dir.path().join(images_name));
    let data = format!("mnist:{}", dir.path().display());
    fails_within_memory_cap(&["train", "--threads", "1", "--epochs", "1", "--data", &data])
}

#[test]
fn gzip_bombs_end_in_the_format_error_within_a_memory_cap() {
    let name = "train-images-idx3-ubyte.gz";
    let e = train_on_mnist(name, |p| gzip_bomb(p, &idx(&[60000, 28, 28], &[]), 256 << 20));
    assert!(
        e.ends_with(&format!(
            "{name}: unexpected data at byte offset 47040016 of the decompressed data: dimensions [60000, 28, 28] \
             need 47040000 bytes after the 16-byte header"
        )),
        "{e}"
    );
    let e = train_on_mnist(name, |p| gzip_bomb(p, b"%PDF-1.7", 256 << 20));
    assert!(
        e.ends_with(&format!(
            "{name}: not an IDX file: magic number 0x25504446 does not start with two zero bytes"
        )),
        "{e}"
    );
}

#[test]
fn a_plain_idx_file_longer_than_its_header_says_is_not_read() {
    let name = "train-images-idx3-ubyte";
    let e = train_on_mnist(name, |p| {
        std::fs::write(p, idx(&[60000, 1, 1], &[])).unwrap();
        std::fs::File::options()
            .append(true)
            .open(p)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
    });
    assert!(
        e.ends_with("1073681808 unexpected bytes at byte offset 60016: dimensions [60000, 1, 1] need 60000 bytes after the 16-byte header, found 1073741808"),
        "{e}"
    );
}

#[test]
fn an_endless_csv_record_ends_in_a_clean_error_within_a_memory_cap() {
    let e = fails_within_memory_cap(&["train", "--threads", "1", "--data", "csv:/dev/zero"]);
    assert_eq!(
        e,
        "gradus: error: /dev/zero: line 1: the record is longer than the limit of 16 MiB"
    );
}

#[test]
fn an_os_error_is_printed_once() {
    assert_eq!(
        fails(&["train", "--data", "csv:/nonexistent/x.csv"]),
        "gradus: error: /nonexistent/x.csv: No such file or directory (os error 2)"
    );
}

#[test]
fn control_characters_in_a_file_do_not_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let csv = path_in(dir.path(), "evil.csv");
    std::fs::write(&csv, b"a,y\n1,0\n\x1b]0;owned\x07\x1b[2J\x00,1\n").unwrap();
    let e = fails(&["train", "--data", &format!("csv:{csv}")]);
    assert!(
        e.contains(r"line 3, column 'a': '\u{1b}]0;owned\u{7}\u{1b}[2J\0' is not a number ("),
        "{e}"
    );
}
