//! Writers of NumPy, `.npz`, LIBSVM and CIFAR-10 files in their exact formats, for the loaders'
//! tests (shared with the command-line tests through `#[path]`), and a seeded corpus of
//! corruptions.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// An element type as `descr` writes it, without the byte order: `f4`, `f8`, `u1`, `i8`, `i4`,
/// `u2`, `b1`.
pub fn encode(code: &str, big: bool, x: f64) -> Vec<u8> {
    macro_rules! e {
        ($v:expr) => {
            if big {
                $v.to_be_bytes().to_vec()
            } else {
                $v.to_le_bytes().to_vec()
            }
        };
    }
    match code {
        "f4" => e!(x as f32),
        "f8" => e!(x),
        "i8" => e!(x as i64),
        "i4" => e!(x as i32),
        "u2" => e!(x as u16),
        "u1" | "b1" => vec![x as u8],
        _ => panic!("no writer for {code}"),
    }
}

/// A `.npy` file (format `version`.0) of the array with `shape` whose elements, in C order, are
/// `c`; written in Fortran order when `fortran` (`c` is written as it is when it does not fill
/// the shape: a hostile header). The header is padded with spaces to a multiple of
/// 64 bytes and ends in `\n`, as numpy writes it.
pub fn npy(descr: &str, fortran: bool, shape: &[usize], c: &[f64], version: u8) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let fo = if fortran { "True" } else { "False" };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': {fo}, 'shape': {tuple}, }}");
    let pre = if version == 1 { 10 } else { 12 };
    while (pre + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = npy_header(&dict, version);
    let (big, code) = (descr.starts_with('>'), &descr[1..]);
    // A payload that does not fill the shape (a hostile header) is written as it is.
    let whole = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) == Some(c.len());
    let positions = if whole {
        order(shape, fortran)
    } else {
        (0..c.len()).collect()
    };
    for k in positions {
        out.extend(encode(code, big, c[k]));
    }
    out
}

/// The C-order positions of the elements in the order a file stores them.
pub fn order(shape: &[usize], fortran: bool) -> Vec<usize> {
    let n: usize = shape.iter().product();
    if !fortran {
        return (0..n).collect();
    }
    // Fortran position p ↦ multi-index (first dimension fastest) ↦ C position.
    (0..n)
        .map(|mut p| {
            let mut idx = vec![0; shape.len()];
            for (i, &d) in idx.iter_mut().zip(shape) {
                *i = p % d;
                p /= d;
            }
            idx.iter().zip(shape).fold(0, |c, (i, d)| c * d + i)
        })
        .collect()
}

/// A zip archive of `entries` (name, bytes), deflated or stored.
pub fn zip(entries: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// LIBSVM text of dense `rows` (zeros left out) with `labels`.
pub fn libsvm(rows: &[Vec<f64>], labels: &[f64]) -> String {
    let mut out = String::new();
    for (row, y) in rows.iter().zip(labels) {
        out.push_str(&y.to_string());
        for (j, x) in row.iter().enumerate().filter(|(_, x)| **x != 0.0) {
            out.push_str(&format!(" {}:{x}", j + 1));
        }
        out.push('\n');
    }
    out
}

/// A CIFAR-10 batch of `rows` (3072 bytes each) with `labels`.
pub fn cifar_batch(rows: &[Vec<u8>], labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (row, &l) in rows.iter().zip(labels) {
        out.push(l);
        out.extend(row);
    }
    out
}

/// Writes a CIFAR-10 directory: every training batch and the test batch hold `rows`.
pub fn cifar_dir(dir: &Path, rows: &[Vec<u8>], labels: &[u8]) {
    for name in [
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
    ] {
        std::fs::write(dir.join(name), cifar_batch(rows, labels)).unwrap();
    }
}

/// A seeded generator (SplitMix64), so corpora are the same on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `n` seeded corruptions of `good`: truncations, single bit flips, and bytes overwritten with
/// 0x00, 0xff or an ASCII digit, in turn.
pub fn corruptions(good: &[u8], n: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|k| {
            let mut b = good.to_vec();
            let at = rng.below(good.len());
            match k % 4 {
                0 => b.truncate(at),
                1 => b[at] ^= 1 << rng.below(8),
                2 => b[at] = [0x00, 0xff][rng.below(2)],
                _ => b[at] = b'0' + rng.below(10) as u8,
            }
            b
        })
        .collect()
}

/// The magic, version and header length of a `.npy` file of `version`, then `dict` as it is.
pub fn npy_header(dict: &str, version: u8) -> Vec<u8> {
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([version, 0]);
    match version {
        1 => out.extend((dict.len() as u16).to_le_bytes()),
        _ => out.extend((dict.len() as u32).to_le_bytes()),
    }
    out.extend(dict.as_bytes());
    out
}
