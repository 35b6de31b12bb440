//! The one matrix-product entry point, over row-major slices.
//!
//! Every product of the models goes through [`matmul`]. The `f32` products with a small side (a
//! layer with 16 outputs or fewer: its scores and its weight gradient) run hand-written kernels
//! (`linalg/skinny.rs`) where the processor has AVX2 and FMA; their bits do not depend on the
//! thread count. The others call the `gemm` crate with an explicit parallelism: for a given
//! thread count the work is split the same way every time, so results are bitwise reproducible;
//! a different thread count may choose other blocks and round differently in the last bits,
//! which is why training's products run on one thread each, inside shards fixed by the batch
//! ([`Buffers`](crate::objective::Buffers)).

use crate::real::Real;

#[cfg(target_arch = "x86_64")]
mod skinny;

/// How a matrix operand is read: as stored, or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The stored `rows × cols` row-major matrix.
    N,
    /// Its transpose.
    T,
}

/// Rows of output below which a product runs on one thread: the cost of waking a second thread
/// (a few microseconds) outweighs the work.
const PARALLEL_MIN_FLOPS: usize = 1 << 18;

/// Lanes of the sums below: independent partial sums a compiler can keep in vector registers.
const LANES: usize = 8;

/// `Σ_i f(x_i)` in f64, accumulated in 8 interleaved partial sums (element `i` into lane
/// `i mod 8`) added in lane order at the end: a fixed order, so the same bits on every
/// machine and thread count, and no chain of dependent additions as long as `x`.
pub fn lane_sum<T: Real>(x: &[T], f: impl Fn(f64) -> f64) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += f(v.f64());
        }
    }
    for (l, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *l += f(v.f64());
    }
    lanes.iter().sum()
}

/// `C ← β·C + A'·B'` where `A'` is `m × k` and `B'` is `k × n` (after `op_a`, `op_b`), all
/// row-major; `a` is stored as `m × k` (Op::N) or `k × m` (Op::T), likewise `b`.
/// `beta` is 0 (overwrite) or 1 (accumulate).
#[allow(clippy::too_many_arguments)]
pub fn matmul<T: Real>(
    m: usize,
    n: usize,
    k: usize,
    a: &[T],
    op_a: Op,
    b: &[T],
    op_b: Op,
    c: &mut [T],
    beta: T,
    threads: usize,
) {
    assert!(
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        "matmul: operands too short"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if beta == T::zero() {
            c[..m * n].fill(T::zero());
        }
        return;
    }
    // (row stride, column stride) of each operand as read.
    let (a_rs, a_cs) = match op_a {
        Op::N => (k as isize, 1),
        Op::T => (1, m as isize),
    };
    let (b_rs, b_cs) = match op_b {
        Op::N => (n as isize, 1),
        Op::T => (1, k as isize),
    };
    let parallel = threads > 1 && 2 * m * n * k >= PARALLEL_MIN_FLOPS;
    if small_side(
        (m, n, k),
        (a, op_a),
        (b, op_b),
        c,
        beta,
        if parallel { threads } else { 1 },
    ) {
        return;
    }
    let parallelism = if parallel {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the lengths were checked above against the strides used, and `c` does not alias
    // `a` or `b` (it is a unique borrow).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            beta != T::zero(),
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            beta,
            T::one(),
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// Runs the product on [`skinny`]'s kernels when they fit it: `f32`, AVX2 and FMA, and
/// `C = A Bᵀ` with `n ≤ 16` (its rows split over `threads` threads: each row of `C` is computed
/// alone, so the split changes no bit) or `C = Aᵀ B` with `m ≤ 16` (on one thread). Returns
/// whether it did; on any thread count the bits are those of one thread.
fn small_side<T: Real>(
    (m, n, k): (usize, usize, usize),
    (a, op_a): (&[T], Op),
    (b, op_b): (&[T], Op),
    c: &mut [T],
    beta: T,
    threads: usize,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let (Some(a), Some(b), Some(c)) = (T::as_f32(a), T::as_f32(b), T::as_f32_mut(c))
        && skinny::available()
    {
        use rayon::prelude::*;
        let accumulate = beta != T::zero();
        match (op_a, op_b) {
            (Op::N, Op::T) if n <= skinny::SMALL => {
                let rows = m.div_ceil(threads.max(1));
                c[..m * n]
                    .par_chunks_mut(rows * n)
                    .zip(a[..m * k].par_chunks(rows * k))
                    .for_each(|(c, a)| skinny::a_bt(c.len() / n, n, k, a, b, c, accumulate));
            }
            (Op::T, Op::N) if m <= skinny::SMALL => skinny::at_b(m, n, k, a, b, c, accumulate),
            _ => return false,
        }
        return true;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (m, n, k, a, op_a, b, op_b, c, beta, threads);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(m: usize, n: usize, k: usize, a: &[f64], ta: Op, b: &[f64], tb: Op) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    let x = if ta == Op::N { a[i * k + p] } else { a[p * m + i] };
                    let y = if tb == Op::N { b[p * n + j] } else { b[j * k + p] };
                    s += x * y;
                }
                c[i * n + j] = s;
            }
        }
        c
    }

    #[test]
    fn all_transpose_combinations_match_naive_product() {
        let (m, n, k) = (37, 11, 53);
        let a: Vec<f64> = (0..m * k).map(|i| ((i * 7 % 13) as f64) - 6.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i * 5 % 11) as f64) * 0.5 - 2.0).collect();
        for ta in [Op::N, Op::T] {
            for tb in [Op::N, Op::T] {
                let want = naive(m, n, k, &a, ta, &b, tb);
                let mut c = vec![1.0; m * n];
                matmul(m, n, k, &a, ta, &b, tb, &mut c, 0.0, 2);
                assert_eq!(c, want, "{ta:?} {tb:?}");
                matmul(m, n, k, &a, ta, &b, tb, &mut c, 1.0, 1);
                let twice: Vec<f64> = want.iter().map(|x| 2.0 * x).collect();
                assert_eq!(c, twice, "{ta:?} {tb:?} accumulate");
            }
        }
    }

    /// The `f32` products with a small side (the hand-written kernels where the processor has
    /// them) against the naive product in `f64`, for every remainder of the kernels' blocks:
    /// rows and columns 1…17 around the blocks of 2 × 5 and 5 × 16, `k` around the 8 lanes; and
    /// the same bits on 3 threads as on 1 (301 rows split in three).
    #[test]
    fn f32_products_with_a_small_side_match_the_naive_product() {
        for (m, n, k) in [
            (1, 1, 1),
            (3, 10, 784),
            (64, 10, 13),
            (7, 16, 8),
            (5, 17, 9),
            (9, 3, 31),
            (301, 10, 200),
        ]
        .into_iter()
        .chain((1..=17).map(|s| (s, s, 19)))
        {
            for (ta, tb, small) in [(Op::N, Op::T, n), (Op::T, Op::N, m)] {
                let a: Vec<f64> = (0..m * k).map(|i| ((i * 7 % 13) as f64) * 0.25 - 1.5).collect();
                let b: Vec<f64> = (0..k * n).map(|i| ((i * 5 % 11) as f64) * 0.5 - 2.0).collect();
                let want = naive(m, n, k, &a, ta, &b, tb);
                let (a32, b32): (Vec<f32>, Vec<f32>) = (
                    a.iter().map(|&x| x as f32).collect(),
                    b.iter().map(|&x| x as f32).collect(),
                );
                let mut c = vec![1.0f32; m * n];
                matmul(m, n, k, &a32, ta, &b32, tb, &mut c, 0.0, 1);
                let mut threads = vec![1.0f32; m * n];
                matmul(m, n, k, &a32, ta, &b32, tb, &mut threads, 0.0, 3);
                assert_eq!(threads, c, "{m}×{n}×{k} {ta:?} {tb:?}: 3 threads vs 1");
                let close = |c: &[f32], want: &[f64]| {
                    c.iter()
                        .zip(want)
                        .all(|(&x, &w)| (x as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()))
                };
                assert!(
                    close(&c, &want),
                    "{m}×{n}×{k} {ta:?} {tb:?} (small side {small}): {c:?} vs {want:?}"
                );
                matmul(m, n, k, &a32, ta, &b32, tb, &mut c, 1.0, 1);
                let twice: Vec<f64> = want.iter().map(|x| 2.0 * x).collect();
                assert!(close(&c, &twice), "{m}×{n}×{k} {ta:?} {tb:?} accumulate");
            }
        }
    }
}
