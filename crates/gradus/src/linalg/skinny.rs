//! Products with one small side, in `f32` with AVX2 and FMA: a layer's scores `S = X Wᵀ` when
//! it has few outputs, and its weight gradient `G = dSᵀ X`, which then has few rows.
//!
//! A general GEMM copies both operands into panels shaped for its micro-kernel. With 10
//! outputs the panels are mostly padding, and copying a 64 × 784 batch costs as much as
//! multiplying it. These kernels read the operands where they lie, row-major:
//!
//! - [`a_bt`]: `C = A Bᵀ` by dot products. Registers hold a 2 × 5 block of `C` as 8-lane
//!   partial sums along `k`; each step loads 2 rows of `A` and 5 of `B` for 10 fused
//!   multiply–adds, and the lanes are added at the end (in a fixed order).
//! - [`at_b`]: `C = Aᵀ B` by rank-one updates. Registers hold a 5 × 16 block of `C`; each row
//!   `p` of `B` adds `A[p, i] · B[p, j…j+16]` into it.
//!
//! Every sum is taken in an order fixed by the shapes alone, so results are reproducible on any
//! machine that runs them, as the GEMM's are for a given thread count.

use std::arch::x86_64::{
    __m256, _mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps, _mm256_castps256_ps128,
    _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_storeu_ps,
};

/// The largest small side these kernels are used for: `n` for [`a_bt`], `m` for [`at_b`].
pub const SMALL: usize = 16;

/// Lanes of a vector register.
const LANES: usize = 8;

/// Whether this processor has AVX2 and FMA (the standard library caches the answer).
pub fn available() -> bool {
    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
}

/// `C ← A Bᵀ` (or `C ← C + A Bᵀ` with `accumulate`), `A` m × k, `B` n × k, `C` m × n, all
/// row-major: `C[i, j] = Σ_p A[i, p] B[j, p]`.
///
/// # Panics
/// When the processor lacks AVX2 or FMA ([`available`]) or an operand is too short.
pub fn a_bt(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    assert!(available(), "a_bt needs AVX2 and FMA");
    assert!(
        a.len() >= m * k && b.len() >= n * k && c.len() >= m * n,
        "a_bt: operands too short"
    );
    let shape = Shape { m, n, k, accumulate };
    // SAFETY: the processor has the features (checked above).
    unsafe { a_bt_avx2(shape, a, b, c) }
}

/// `C ← Aᵀ B` (or `C ← C + Aᵀ B` with `accumulate`), `A` stored k × m, `B` k × n, `C` m × n,
/// all row-major: `C[i, j] = Σ_p A[p, i] B[p, j]`.
///
/// # Panics
/// When the processor lacks AVX2 or FMA ([`available`]) or an operand is too short.
pub fn at_b(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    assert!(available(), "at_b needs AVX2 and FMA");
    assert!(
        a.len() >= k * m && b.len() >= k * n && c.len() >= m * n,
        "at_b: operands too short"
    );
    let shape = Shape { m, n, k, accumulate };
    // SAFETY: the processor has the features (checked above).
    unsafe { at_b_avx2(shape, a, b, c) }
}

/// A product's dimensions (`C` is m × n, the sum runs over k) and whether it adds into `C`.
#[derive(Clone, Copy)]
struct Shape {
    m: usize,
    n: usize,
    k: usize,
    accumulate: bool,
}

impl Shape {
    /// `C`'s new value at `out` given the product's value `s` there.
    #[inline(always)]
    fn store(self, out: &mut f32, s: f32) {
        *out = if self.accumulate { *out + s } else { s };
    }
}

/// Columns of `C` per block of [`a_bt`]; rows of `C` per block of [`at_b`].
const BLOCK: usize = 5;

#[target_feature(enable = "avx2,fma")]
fn a_bt_avx2(s: Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    // Columns outermost: the block's 5 rows of B stay in the first-level cache while every row
    // of A streams past them.
    let mut j = 0;
    while j < s.n {
        let cols = (s.n - j).min(BLOCK);
        match cols {
            5 => a_bt_cols::<5>(s, a, b, c, j),
            4 => a_bt_cols::<4>(s, a, b, c, j),
            3 => a_bt_cols::<3>(s, a, b, c, j),
            2 => a_bt_cols::<2>(s, a, b, c, j),
            _ => a_bt_cols::<1>(s, a, b, c, j),
        }
        j += cols;
    }
}

#[target_feature(enable = "avx2,fma")]
fn a_bt_cols<const C: usize>(s: Shape, a: &[f32], b: &[f32], c: &mut [f32], j: usize) {
    let mut i = 0;
    while i + 2 <= s.m {
        a_bt_block::<2, C>(s, a, b, c, i, j);
        i += 2;
    }
    if i < s.m {
        a_bt_block::<1, C>(s, a, b, c, i, j);
    }
}

/// The R × C block of `C` at (i, j) of [`a_bt`].
#[target_feature(enable = "avx2,fma")]
#[inline]
fn a_bt_block<const R: usize, const C: usize>(s: Shape, a: &[f32], b: &[f32], c: &mut [f32], i: usize, j: usize) {
    let k = s.k;
    let whole = k - k % LANES;
    let mut acc = [[_mm256_setzero_ps(); C]; R];
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut p = 0;
    while p < whole {
        let mut av = [_mm256_setzero_ps(); R];
        for (r, v) in av.iter_mut().enumerate() {
            // SAFETY: (i + r) < m and p + 8 ≤ k, and a holds m × k numbers (checked by a_bt).
            *v = unsafe { _mm256_loadu_ps(pa.add((i + r) * k + p)) };
        }
        for q in 0..C {
            // SAFETY: (j + q) < n and p + 8 ≤ k, and b holds n × k numbers.
            let bv = unsafe { _mm256_loadu_ps(pb.add((j + q) * k + p)) };
            for (row, &av) in acc.iter_mut().zip(&av) {
                row[q] = _mm256_fmadd_ps(av, bv, row[q]);
            }
        }
        p += LANES;
    }
    for (r, row) in acc.iter().enumerate() {
        let ar = &a[(i + r) * k..(i + r + 1) * k];
        for (q, &v) in row.iter().enumerate() {
            let br = &b[(j + q) * k..(j + q + 1) * k];
            let tail: f32 = ar[whole..].iter().zip(&br[whole..]).map(|(x, y)| x * y).sum();
            s.store(&mut c[(i + r) * s.n + j + q], hsum(v) + tail);
        }
    }
}

/// The sum of the 8 lanes of `v`: halves added, then quarters, then the last two.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn hsum(v: __m256) -> f32 {
    let four = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let two = _mm_add_ps(four, _mm_movehl_ps(four, four));
    _mm_cvtss_f32(_mm_add_ss(two, _mm_shuffle_ps::<1>(two, two)))
}

#[target_feature(enable = "avx2,fma")]
fn at_b_avx2(s: Shape, a: &[f32], b: &[f32], c: &mut [f32]) {
    let mut i = 0;
    while i < s.m {
        let rows = (s.m - i).min(BLOCK);
        match rows {
            5 => at_b_rows::<5>(s, a, b, c, i),
            4 => at_b_rows::<4>(s, a, b, c, i),
            3 => at_b_rows::<3>(s, a, b, c, i),
            2 => at_b_rows::<2>(s, a, b, c, i),
            _ => at_b_rows::<1>(s, a, b, c, i),
        }
        i += rows;
    }
}

#[target_feature(enable = "avx2,fma")]
fn at_b_rows<const R: usize>(s: Shape, a: &[f32], b: &[f32], c: &mut [f32], i: usize) {
    let mut j = 0;
    while j + 2 * LANES <= s.n {
        at_b_block::<R, 2>(s, a, b, c, i, j);
        j += 2 * LANES;
    }
    if j + LANES <= s.n {
        at_b_block::<R, 1>(s, a, b, c, i, j);
        j += LANES;
    }
    for col in j..s.n {
        for r in 0..R {
            let sum: f32 = (0..s.k).map(|p| a[p * s.m + i + r] * b[p * s.n + col]).sum();
            s.store(&mut c[(i + r) * s.n + col], sum);
        }
    }
}

/// The R × 8V block of `C` at (i, j) of [`at_b`].
#[target_feature(enable = "avx2,fma")]
#[inline]
fn at_b_block<const R: usize, const V: usize>(s: Shape, a: &[f32], b: &[f32], c: &mut [f32], i: usize, j: usize) {
    let (m, n) = (s.m, s.n);
    let mut acc = [[_mm256_setzero_ps(); V]; R];
    let pc = c.as_mut_ptr();
    if s.accumulate {
        for (r, row) in acc.iter_mut().enumerate() {
            for (v, x) in row.iter_mut().enumerate() {
                // SAFETY: (i + r) < m and j + 8V ≤ n, and c holds m × n numbers (checked by at_b).
                *x = unsafe { _mm256_loadu_ps(pc.add((i + r) * n + j + v * LANES)) };
            }
        }
    }
    let pb = b.as_ptr();
    for p in 0..s.k {
        let mut bv = [_mm256_setzero_ps(); V];
        for (v, x) in bv.iter_mut().enumerate() {
            // SAFETY: p < k and j + 8V ≤ n, and b holds k × n numbers.
            *x = unsafe { _mm256_loadu_ps(pb.add(p * n + j + v * LANES)) };
        }
        let ap = &a[p * m + i..p * m + i + R];
        for (row, &x) in acc.iter_mut().zip(ap) {
            let x = _mm256_set1_ps(x);
            for (acc, &bv) in row.iter_mut().zip(&bv) {
                *acc = _mm256_fmadd_ps(x, bv, *acc);
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        for (v, &x) in row.iter().enumerate() {
            // SAFETY: as for the loads above.
            unsafe { _mm256_storeu_ps(pc.add((i + r) * n + j + v * LANES), x) };
        }
    }
}
