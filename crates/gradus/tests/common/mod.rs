//! What several of the library's test files share (each file uses a part of it).
#![allow(dead_code)]

use gradus::data::Csr;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::{DataSpec, Splits};
use gradus::estimator::ModelConfig;
use gradus::train::Observer;

/// The embedded digits, split as `config` says.
pub fn digits(config: &ModelConfig) -> Splits {
    config
        .split
        .apply(DataSpec::Digits.load(&CsvOptions::default()).unwrap())
        .unwrap()
}

/// Asks to stop before its `n+1`-th step (an interruption, as Ctrl-C).
pub struct StopAfter(pub usize);

impl Observer for StopAfter {
    fn stop_requested(&mut self) -> bool {
        if self.0 == 0 {
            return true;
        }
        self.0 -= 1;
        false
    }
}

/// A deterministic pseudo-random value in [−1, 1) for index `i` (a linear congruential step,
/// its top 24 bits).
pub fn noise(i: usize) -> f32 {
    let x = (i as u64)
        .wrapping_add(0x9E37_79B9)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

/// The dense row-major rows `x` of `d` features with their zeros left out, as CSR rows.
pub fn csr_of(x: &[f32], d: usize) -> Csr {
    let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
    for row in x.chunks_exact(d) {
        for (j, &v) in row.iter().enumerate().filter(|(_, v)| **v != 0.0) {
            indices.push(j as u32);
            values.push(v);
        }
        indptr.push(indices.len());
    }
    Csr::new(indptr, indices, values).unwrap()
}
