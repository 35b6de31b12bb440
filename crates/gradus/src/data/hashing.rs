//! Feature hashing ("the hashing trick", Weinberger et al., *Feature Hashing for Large Scale
//! Multitask Learning*, ICML 2009; as in Vowpal Wabbit): a sparse row's feature indices are
//! mapped into a space of 2^B features, so that a model's size is 2^B × outputs whatever the
//! index range of its data.
//!
//! Feature `j` (the 1-based index written in a LIBSVM file) becomes the 0-based feature
//! `murmur3_32(j as u64, little-endian bytes; seed 0) mod 2^B`, where `murmur3_32` is Austin
//! Appleby's MurmurHash3 x86_32 (`MurmurHash3_x86_32` of the SMHasher sources,
//! <https://github.com/aappleby/smhasher/blob/master/src/MurmurHash3.cpp>, the hash Vowpal
//! Wabbit uses). The values of a row's indices that land on the same feature are summed, and
//! the row's indices are sorted.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// The seed of the hash: 0.
pub const SEED: u32 = 0;

/// MurmurHash3 x86_32 of `data` with `seed` (Appleby's reference algorithm: 4-byte little-endian
/// blocks mixed with c1 = 0xcc9e2d51, c2 = 0x1b873593, rotations 15 and 13, m = 5, n =
/// 0xe6546b64; the tail; the length; the finaliser `fmix32`).
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        h ^= mix(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let k = tail.iter().rev().fold(0u32, |k, &b| (k << 8) | u32::from(b));
        h ^= mix(k);
    }
    // The length is taken modulo 2^32, as the reference's `int len` is.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// The number of bits B of the hashed feature space (2^B features), 1 ≤ B ≤ 31.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct HashBits(u32);

impl HashBits {
    /// `bits`, checked.
    ///
    /// # Errors
    /// [`Error::Param`] `hash_bits` naming the value when it is not from 1 to 31.
    pub fn new(bits: u32) -> Result<Self> {
        if (1..=31).contains(&bits) {
            Ok(Self(bits))
        } else {
            Err(Error::param(
                "hash_bits",
                format!("must be an integer from 1 to 31, got {bits}"),
            ))
        }
    }

    /// B.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// The number of features, 2^B.
    pub fn features(self) -> usize {
        1 << self.0
    }

    /// The 0-based feature of the 1-based index `j`: `murmur3_32(j.to_le_bytes(), SEED) mod 2^B`.
    pub fn feature(self, j: u64) -> u32 {
        murmur3_32(&j.to_le_bytes(), SEED) & ((1u32 << self.0) - 1)
    }

    /// Hashes one row in place: `row` holds (1-based index, value) pairs; afterwards it holds
    /// (0-based hashed feature, value) pairs with increasing features, the values of colliding
    /// indices summed (in the row's order). `None` when a sum is not finite in `f32`.
    pub fn row(self, row: &mut Vec<(u64, f32)>) -> Option<()> {
        for p in row.iter_mut() {
            p.0 = u64::from(self.feature(p.0));
        }
        // A stable sort: colliding values are summed in the row's order.
        row.sort_by_key(|p| p.0);
        row.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 += b.1;
            }
            same
        });
        row.iter().all(|p| p.1.is_finite()).then_some(())
    }
}

impl TryFrom<u32> for HashBits {
    type Error = Error;
    fn try_from(bits: u32) -> Result<Self> {
        Self::new(bits)
    }
}

impl From<HashBits> for u32 {
    fn from(b: HashBits) -> u32 {
        b.0
    }
}

impl FromStr for HashBits {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().parse::<u32>() {
            Ok(b) => Self::new(b),
            Err(_) => Err(Error::param(
                "hash_bits",
                format!("must be an integer from 1 to 31, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for HashBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published MurmurHash3 x86_32 values: the SMHasher verification set as collected in
    /// <https://stackoverflow.com/a/31929528> (Ian Boyd's table, checked against the reference
    /// C++), covering every tail length and seeds 0, 1 and 0xffffffff; each value also checked
    /// with a second implementation, scikit-learn's `sklearn.utils.murmurhash3_32(data, seed,
    /// positive=True)`.
    #[test]
    fn murmur3_matches_published_test_vectors() {
        let cases: [(&[u8], u32, u32); 14] = [
            (b"", 0, 0),
            (b"", 1, 0x514e_28b7),
            (b"", 0xffff_ffff, 0x81f1_6f39),
            (&[0xff, 0xff, 0xff, 0xff], 0, 0x7629_3b50),
            (&[0x21, 0x43, 0x65, 0x87], 0, 0xf55b_516b),
            (&[0x21, 0x43, 0x65, 0x87], 0x5082_edee, 0x2362_f9de),
            (&[0x21, 0x43, 0x65], 0, 0x7e4a_8634),
            (&[0x21, 0x43], 0, 0xa0f7_b07a),
            (&[0x21], 0, 0x7266_1cf4),
            (&[0, 0, 0, 0], 0, 0x2362_f9de),
            (&[0, 0, 0], 0, 0x85f0_b427),
            (&[0, 0], 0, 0x30f4_c306),
            (&[0], 0, 0x514e_28b7),
            (b"Hello, world!", 1234, 0xfaf6_cdb3),
        ];
        for (data, seed, want) in cases {
            assert_eq!(murmur3_32(data, seed), want, "{data:?} seed {seed:#x}");
        }
        assert_eq!(
            murmur3_32(b"The quick brown fox jumps over the lazy dog", 0x9747_b28c),
            0x2fa8_26cd
        );
    }

    #[test]
    fn colliding_indices_are_summed_and_features_sorted() {
        let bits = HashBits::new(2).unwrap();
        // Find indices by brute force, with the independent definition: hash mod 4.
        let f = |j: u64| murmur3_32(&j.to_le_bytes(), 0) % 4;
        let (a, b) = (1u64..)
            .flat_map(|a| (a + 1..a + 50).map(move |b| (a, b)))
            .find(|&(a, b)| f(a) == f(b))
            .unwrap();
        let c = (1u64..).find(|&c| f(c) != f(a)).unwrap();
        let mut row = vec![(a, 1.5), (b, 2.0), (c, -3.0)];
        bits.row(&mut row).unwrap();
        let mut want = vec![(u64::from(f(a)), 3.5), (u64::from(f(c)), -3.0)];
        want.sort_by_key(|p| p.0);
        assert_eq!(row, want);
        assert_eq!(bits.feature(a), f(a));
        let mut big = vec![(a, f32::MAX), (b, f32::MAX)];
        assert_eq!(bits.row(&mut big), None);
    }

    #[test]
    fn bits_out_of_range_are_errors_naming_the_value() {
        assert_eq!(HashBits::new(31).unwrap().features(), 1 << 31);
        assert_eq!("18".parse::<HashBits>().unwrap().bits(), 18);
        for (s, shown) in [("0", "got 0"), ("32", "got 32"), ("x", "got 'x'"), ("-1", "got '-1'")] {
            let e = s.parse::<HashBits>().unwrap_err().to_string();
            assert!(e.contains(shown) && e.contains("hash_bits"), "{e}");
        }
    }
}
