//! What several of the library's test files share.

/// A deterministic pseudo-random value in [−1, 1) for index `i` (a linear congruential step,
/// its top 24 bits).
pub fn noise(i: usize) -> f32 {
    let x = (i as u64)
        .wrapping_add(0x9E37_79B9)
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}
