//! Softmax cross-entropy.

use super::{ExampleLoss, Target, class};
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// `L_i = −log(e^{s_y} / Σ_j e^{s_j}) = LSE(s) − s_y`, with `∂L_i/∂s_j = p_j − 1(j = y)` and
/// `p = softmax(s)`.
///
/// The log-sum-exp is taken around the largest score `m = s_k`, with the other terms inside
/// `log1p`:
///
/// ```text
/// r = Σ_{j≠k} e^{s_j − m},   LSE(s) = m + log1p(r),   L_i = log1p(r) + (m − s_y)
/// p_j = e^{s_j − m}/(1 + r) (j ≠ k),   p_k = 1/(1 + r),   and for y = k:  p_k − 1 = −r/(1 + r)
/// ```
///
/// so the loss is exact and finite for any finite scores, and stays positive where the correct
/// class wins by a wide margin: for s = (10, −100, −100) and y = 0 it is `log1p(2e^{−110})` ≈
/// 3.4e-48, not the 0 that `log(1 + 2e^{−110})` rounds to, and the gradient (−r/(1 + r),
/// e^{−110}/(1 + r), e^{−110}/(1 + r)) sums to zero. (CS231n's "numeric stability" note
/// shifts by m; `log1p` keeps the digits the shift alone loses, as in scipy's `logsumexp`.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SoftmaxCrossEntropy;

impl ExampleLoss for SoftmaxCrossEntropy {
    fn value_grad<T: Real>(&self, s: &[T], y: Target, grad: &mut [T]) -> f64 {
        let y = class(y);
        let k = super::argmax(s);
        let m = s[k];
        let r = tail_sum(s, k, |j, e| grad[j] = e);
        let inv = T::one() / (T::one() + r);
        grad.iter_mut().for_each(|g| *g *= inv);
        if y == k {
            // p_k − 1 without the cancellation of 1/(1 + r) − 1.
            grad[k] = -r * inv;
        } else {
            grad[k] = inv;
            grad[y] -= T::one();
        }
        loss(r.ln_1p(), m - s[y])
    }

    fn value<T: Real>(&self, s: &[T], y: Target) -> f64 {
        let k = super::argmax(s);
        loss(tail_sum(s, k, |_, _| {}).ln_1p(), s[k] - s[class(y)])
    }
}

/// `r = Σ_{j≠k} e^{s_j − s_k}` for the arg max `k`, summed in the order of `j`; `put(j, e_j)`
/// receives each term, and 0 for `j = k`.
fn tail_sum<T: Real>(s: &[T], k: usize, mut put: impl FnMut(usize, T)) -> T {
    let m = s[k];
    let mut r = T::zero();
    for (j, &sj) in s.iter().enumerate() {
        let e = if j == k { T::zero() } else { (sj - m).exp() };
        put(j, e);
        r += e;
    }
    r
}

/// `L_i = log1p(r) + (m − s_y)` from `log1p` of the tail sum `r` and the gap `m − s_y` of the
/// largest score over the target's.
fn loss<T: Real>(log1p_r: T, gap: T) -> f64 {
    (log1p_r + gap).f64()
}

/// Rows whose exponentials [`batch_value`] and [`batch_value_grad`] take at once (a block of
/// 64 × 10 scores is 2.5 kB).
const BLOCK: usize = 64;

/// `(Σ_i w_{y_i} L_i, #{i : arg max s_i = y_i})` over the `rows × c` scores, in f32, without a
/// gradient (`w`: `class_weight`, 1 without weights).
///
/// The formula is [`ExampleLoss::value`]'s, reorganised for speed: a block of rows is shifted by
/// each row's maximum, then the exponentials of the whole block are taken in one loop the
/// compiler vectorises ([`exp_nonpositive`]), and so are the block's `log1p(r)`
/// ([`log1p_nonnegative`]), instead of one call of the C library's `expf` per score and of
/// `log1pf` per row. The arg max that shifts a row is also its prediction.
pub(super) fn batch_value(scores: &[f32], c: usize, labels: &[u32], class_weight: Option<&[f64]>) -> (f64, usize) {
    let mut shifted = vec![0.0f32; BLOCK.min(labels.len()) * c];
    let (mut total, mut correct) = (0.0, 0);
    for (block, labels) in scores.chunks(BLOCK * c).zip(labels.chunks(BLOCK)) {
        let e = &mut shifted[..block.len()];
        let mut tails = Tails::of(block, c, labels, e);
        let (top, r) = tails.split();
        log1p_nonnegative(r);
        for ((&l, &(k, gap)), &y) in r.iter().zip(top).zip(labels) {
            total += super::class_weight::of(class_weight, y) * loss(l, gap);
            correct += usize::from(k == y as usize);
        }
    }
    (total, correct)
}

/// `Σ_i w_{y_i} L_i` over the `rows × c` f32 scores, with `scale · w_{y_i} · ∂L_i/∂s` written
/// into `dscores` (`w`: `class_weight`, 1 without weights): [`ExampleLoss::value_grad`]'s
/// formula, step for step, a block of rows at a time, with the block's exponentials and
/// `log1p`s vectorised as in [`batch_value`]; a row's weight joins the scale its gradient is
/// multiplied by anyway.
pub(super) fn batch_value_grad(
    scores: &[f32],
    c: usize,
    labels: &[u32],
    class_weight: Option<&[f64]>,
    dscores: &mut [f32],
    scale: f64,
) -> f64 {
    let mut total = 0.0;
    for ((block, g), labels) in scores
        .chunks(BLOCK * c)
        .zip(dscores.chunks_mut(BLOCK * c))
        .zip(labels.chunks(BLOCK))
    {
        let mut tails = Tails::of(block, c, labels, g);
        let (top, r) = tails.split();
        for ((g, (&r, &(k, _))), &y) in g.chunks_exact_mut(c).zip(r.iter().zip(top)).zip(labels) {
            let inv = 1.0 / (1.0 + r);
            g.iter_mut().for_each(|g| *g *= inv);
            if y as usize == k {
                g[k] = -r * inv;
            } else {
                g[k] = inv;
                g[y as usize] -= 1.0;
            }
            let scale = (scale * super::class_weight::of(class_weight, y)) as f32;
            g.iter_mut().for_each(|g| *g *= scale);
        }
        log1p_nonnegative(r);
        for ((&l, &(_, gap)), &y) in r.iter().zip(top).zip(labels) {
            total += super::class_weight::of(class_weight, y) * loss(l, gap);
        }
    }
    total
}

/// A block's tail sums ([`tail_sum`]) and, per row, its arg max `k` and the gap `s_k − s_y`.
struct Tails {
    rows: usize,
    top: [(usize, f32); BLOCK],
    r: [f32; BLOCK],
}

impl Tails {
    /// Fills `e` with `e^{s_j − s_k}` for every row of `block` (0 at its arg max `k`) and sums
    /// each row's terms in [`tail_sum`]'s order.
    fn of(block: &[f32], c: usize, labels: &[u32], e: &mut [f32]) -> Self {
        let mut t = Tails {
            rows: labels.len(),
            top: [(0, 0.0); BLOCK],
            r: [0.0; BLOCK],
        };
        for ((s, e), (top, &y)) in block
            .chunks_exact(c)
            .zip(e.chunks_exact_mut(c))
            .zip(t.top.iter_mut().zip(labels))
        {
            let k = super::argmax(s);
            let m = s[k];
            e.iter_mut().zip(s).for_each(|(e, &v)| *e = v - m);
            *top = (k, m - s[y as usize]);
        }
        exp_nonpositive(e);
        for (e, (r, &(k, _))) in e.chunks_exact_mut(c).zip(t.r.iter_mut().zip(&t.top)) {
            e[k] = 0.0;
            *r = e.iter().sum();
        }
        t
    }
    /// Each row's arg max and gap, and its tail sum (to be turned into `log1p(r)` in place).
    fn split(&mut self) -> (&[(usize, f32)], &mut [f32]) {
        (&self.top[..self.rows], &mut self.r[..self.rows])
    }
}

/// `ln(1 + r)` in place for finite `r ≥ 0`, within 2 ulp of the exact value, as Cephes' `logf`
/// (Moshier 1989) applied to `u = 1 + r` rounded, plus the first-order correction
/// `(r − (u − 1))/u` for what the rounding of `u` lost (Goldberg, "What every computer scientist
/// should know about floating-point arithmetic", 1991): `u = 2^e·f` with `f ∈ [√½, √2)`, and
/// `ln f = x − x²/2 + x³·P(x)` for `x = f − 1` with Cephes' degree-8 minimax `P`. Branch-free,
/// so the loop vectorises; NaN stays NaN.
fn log1p_nonnegative(v: &mut [f32]) {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    for r in v {
        let u = 1.0 + *r;
        let lost = (*r - (u - 1.0)) / u;
        // u = 2^e·f: f from the mantissa bits with a zero exponent, in [1, 2), then halved to
        // [√½, √2) where it is above √2.
        let bits = u.to_bits();
        let f = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000);
        let high = f > std::f32::consts::SQRT_2;
        let e = ((bits >> 23) as i32 - 127 + i32::from(high)) as f32;
        let x = if high { 0.5 * f } else { f } - 1.0;
        let z = x * x;
        let p = 7.037_683_6e-2f32;
        let p = p * x - 1.151_461e-1;
        let p = p * x + 1.167_699_9e-1;
        let p = p * x - 1.242_014_1e-1;
        let p = p * x + 1.424_932_3e-1;
        let p = p * x - 1.666_805_8e-1;
        let p = p * x + 2.000_071_4e-1;
        let p = p * x - 2.499_999_4e-1;
        let p = p * x + 3.333_333e-1;
        let y = p * x * z + e * LN2_LO - 0.5 * z;
        *r = x + y + e * LN2_HI + lost;
    }
}

/// `e^x` in place for `x ≤ 0`, within 2 ulp of the exact value (0 below −87.3, where `e^x` leaves
/// f32's normal range; NaN stays NaN), as Cephes' `expf` (S. Moshier, *Methods and Programs for
/// Mathematical Functions*, 1989): `x = n ln 2 + t` with `|t| ≤ ½ ln 2` (ln 2 split in two parts
/// so `t` is exact), `e^t` by its degree-7 minimax polynomial, and `2^n` built from its exponent
/// bits. Branch-free, so the loop vectorises.
fn exp_nonpositive(v: &mut [f32]) {
    const LO: f32 = -87.336_55;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    for x in v {
        let xc = if *x < LO { LO } else { *x };
        let n = (xc * std::f32::consts::LOG2_E + 0.5).floor();
        let t = xc - n * LN2_HI - n * LN2_LO;
        let p = 1.987_569_1e-4f32;
        let p = p * t + 1.398_199_9e-3;
        let p = p * t + 8.333_452e-3;
        let p = p * t + 4.166_579_6e-2;
        let p = p * t + 1.666_666_5e-1;
        let p = p * t + 0.5;
        let e = p * t * t + t + 1.0;
        // 2^n from its exponent bits: n + 127 added to 2^23 is an integer in the low mantissa
        // bits (no float-to-integer conversion, which would keep the loop from vectorising).
        let biased = (n + (127.0 + 8_388_608.0)).to_bits().wrapping_sub(0x4B00_0000);
        let scale = f32::from_bits(biased << 23);
        *x = if *x < LO { 0.0 } else { e * scale };
    }
}

/// `softmax(s)` in f64.
pub(super) fn probabilities(s: &[f32]) -> Vec<f64> {
    let m = s.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let e: Vec<f64> = s.iter().map(|&v| (v as f64 - m).exp()).collect();
    let z: f64 = e.iter().sum();
    e.into_iter().map(|v| v / z).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorised exponential is within 2 ulp of f64's `exp` rounded, over f32's range.
    #[test]
    fn the_fast_exponential_is_within_2_ulp() {
        let xs: Vec<f32> = (0..=200_000).map(|i| -87.0 * i as f32 / 200_000.0).collect();
        let mut e = xs.clone();
        exp_nonpositive(&mut e);
        for (&x, &got) in xs.iter().zip(&e) {
            let want = (x as f64).exp();
            let ulp = (want as f32).abs() * f32::EPSILON;
            assert!(
                ((got as f64 - want).abs()) <= 2.0 * ulp as f64,
                "e^{x}: {got} vs {want}"
            );
        }
        let mut edge = [0.0f32, -100.0, f32::NEG_INFINITY, f32::NAN];
        exp_nonpositive(&mut edge);
        assert_eq!(edge[..3], [1.0, 0.0, 0.0]);
        assert!(edge[3].is_nan());
    }

    /// The vectorised `log1p` is within 2 ulp of f64's `ln_1p` rounded, from tiny arguments (where
    /// `1 + r` rounds to 1) to large ones.
    #[test]
    fn the_fast_log1p_is_within_2_ulp() {
        let mut rs: Vec<f32> = (0..=100_000)
            .map(|i| 10f32.powf(-30.0 + 36.0 * i as f32 / 100_000.0))
            .collect();
        rs.extend((0..=100_000).map(|i| 3.0 * i as f32 / 100_000.0));
        let mut l = rs.clone();
        log1p_nonnegative(&mut l);
        for (&r, &got) in rs.iter().zip(&l) {
            let want = (r as f64).ln_1p();
            let ulp = (want as f32).abs() * f32::EPSILON;
            assert!(
                (got as f64 - want).abs() <= 2.0 * ulp as f64,
                "log1p {r}: {got} vs {want}"
            );
        }
        let mut nan = [f32::NAN];
        log1p_nonnegative(&mut nan);
        assert!(nan[0].is_nan());
    }

    /// The block paths equal the row-by-row value and gradient (to f32 rounding of the
    /// exponentials) and count the rows whose arg max is the label, over more rows than a block, with rows whose
    /// correct class wins by a wide margin (a loss of e^{−70}) and ties.
    #[test]
    fn the_block_path_equals_row_by_row_values() {
        let c = 7;
        let mut seed = 99u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) as f32 * 8.0 - 4.0
        };
        let rows = 3 * BLOCK + 5;
        let mut scores: Vec<f32> = (0..rows * c).map(|_| rnd()).collect();
        let labels: Vec<u32> = (0..rows).map(|i| (i * 5 % c) as u32).collect();
        scores[..c].copy_from_slice(&[10.0, -60.0, -60.0, -60.0, -60.0, -60.0, -60.0]);
        scores[c..2 * c].copy_from_slice(&[1.0; 7]);
        let (total, correct) = batch_value(&scores, c, &labels, None);
        let mut want = (0.0, 0);
        for (i, s) in scores.chunks_exact(c).enumerate() {
            let (v, y) = (
                SoftmaxCrossEntropy.value(s, Target::Class(labels[i])),
                labels[i] as usize,
            );
            let (one, _) = batch_value(s, c, &labels[i..=i], None);
            assert!((one - v).abs() <= 1e-6 * v, "row {i}: {one} vs {v}");
            want.0 += v;
            want.1 += usize::from(super::super::argmax(s) == y);
        }
        assert!((total - want.0).abs() <= 1e-6 * want.0, "{total} vs {}", want.0);
        assert_eq!(correct, want.1);
        // The gradient, scaled, against value_grad's row by row; the loss sum likewise.
        let scale = 0.25f32;
        let mut g = vec![0.0f32; rows * c];
        let with_grad = batch_value_grad(&scores, c, &labels, None, &mut g, scale as f64);
        assert!((with_grad - want.0).abs() <= 1e-6 * want.0, "{with_grad} vs {}", want.0);
        let mut one = vec![0.0f32; c];
        for (i, (s, g)) in scores.chunks_exact(c).zip(g.chunks_exact(c)).enumerate() {
            SoftmaxCrossEntropy.value_grad(s, Target::Class(labels[i]), &mut one);
            for (j, (&got, &want)) in g.iter().zip(&one).enumerate() {
                let want = want * scale;
                assert!(
                    (got - want).abs() <= 4.0 * f32::EPSILON * (want.abs() + 1e-30),
                    "row {i}, score {j}: {got} vs {want}"
                );
            }
        }
        assert!(
            g[..c].iter().skip(1).all(|&v| v > 0.0),
            "e^-70 terms kept: {:?}",
            &g[..c]
        );
        let tiny = batch_value(&scores[..c], c, &[0], None).0;
        assert!((tiny - 6.0 * (-70f64).exp()).abs() <= 1e-6 * tiny, "{tiny}");
        let (tie, hit) = batch_value(&scores[c..2 * c], c, &[0], None);
        assert!(
            (tie - 7f64.ln()).abs() < 1e-6 && hit == 1,
            "a seven-way tie: {tie} {hit}"
        );
    }
}
