//! Hinge against cross-entropy on the lectures' score vectors (CS231n, "Linear
//! classification"): with the correct class first, `[10, −2, 3]`, `[10, 9, 9]` and
//! `[10, −100, −100]` all satisfy the hinge's margin Δ = 1, so the multiclass SVM loss is 0 and
//! a small change of any score leaves it 0; cross-entropy is never 0 and always wants the
//! correct score higher and the others lower. Doubling the scores leaves the hinge at 0 and
//! lowers cross-entropy.

use crate::error::{Error, Result};
use crate::loss::{ExampleLoss, Loss, MulticlassHinge, SoftmaxCrossEntropy, Target};

/// The lectures' score vectors, correct class first.
pub const LECTURE_SCORES: [[f64; 3]; 3] = [[10.0, -2.0, 3.0], [10.0, 9.0, 9.0], [10.0, -100.0, -100.0]];

/// Both losses at one score vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The scores.
    pub scores: Vec<f64>,
    /// Multiclass hinge `Σ_{j≠y} max(0, s_j − s_y + Δ)`.
    pub hinge: f64,
    /// Cross-entropy `−ln softmax(s)_y`.
    pub cross_entropy: f64,
    /// ∂hinge/∂s.
    pub hinge_grad: Vec<f64>,
    /// ∂CE/∂s = softmax(s) − e_y.
    pub cross_entropy_grad: Vec<f64>,
    /// hinge(s + h e_j) − hinge(s), for each j.
    pub hinge_nudged: Vec<f64>,
    /// CE(s + h e_j) − CE(s), for each j.
    pub cross_entropy_nudged: Vec<f64>,
}

/// Both losses (and their gradients) at `s`, and their changes when each score moves by `h`.
fn row(s: &[f64], label: u32, hinge: &Loss, ce: &Loss, h: f64) -> Row {
    let y = Target::Class(label);
    let eval = |loss: &Loss, s: &[f64]| -> (f64, Vec<f64>) {
        let mut g = vec![0.0; s.len()];
        (loss.value_grad(s, y, &mut g), g)
    };
    let nudged = |loss: &Loss, base: f64| -> Vec<f64> {
        (0..s.len())
            .map(|j| {
                let mut t = s.to_vec();
                t[j] += h;
                eval(loss, &t).0 - base
            })
            .collect()
    };
    let (hv, hg) = eval(hinge, s);
    let (cv, cg) = eval(ce, s);
    Row {
        scores: s.to_vec(),
        hinge: hv,
        cross_entropy: cv,
        hinge_grad: hg,
        cross_entropy_grad: cg,
        hinge_nudged: nudged(hinge, hv),
        cross_entropy_nudged: nudged(ce, cv),
    }
}

/// The table: each of `scores` and its double, correct class `label`, hinge margin `margin`,
/// nudges of `h`.
///
/// # Errors
/// [`Error::Param`] for a bad margin or label, fewer than two scores or a non-finite one.
pub fn table(scores: &[Vec<f64>], label: u32, margin: f64, h: f64) -> Result<Vec<Row>> {
    let hinge = Loss::new("svm", margin, 1.0)?;
    let ce = Loss::Softmax(SoftmaxCrossEntropy);
    if !h.is_finite() {
        return Err(Error::param("nudge", format!("must be finite, got {h}")));
    }
    let mut rows = Vec::new();
    for s in scores {
        if s.len() < 2 || s.iter().any(|v| !v.is_finite()) {
            return Err(Error::param(
                "scores",
                format!("need at least two finite scores, got {s:?}"),
            ));
        }
        if label as usize >= s.len() {
            return Err(Error::param(
                "label",
                format!("{label} is out of range for {} scores", s.len()),
            ));
        }
        let doubled: Vec<f64> = s.iter().map(|v| 2.0 * v).collect();
        rows.push(row(s, label, &hinge, &ce, h));
        rows.push(row(&doubled, label, &hinge, &ce, h));
    }
    Ok(rows)
}

/// Both losses as the correct class's score `s_y` moves by δ over `deltas`: (δ, hinge, CE).
pub fn sweep(s: &[f64], label: u32, margin: f64, deltas: &[f64]) -> Result<Vec<(f64, f64, f64)>> {
    let hinge = Loss::Svm(MulticlassHinge { margin });
    let ce = Loss::Softmax(SoftmaxCrossEntropy);
    let mut g = vec![0.0; s.len()];
    let y = Target::Class(label);
    if label as usize >= s.len() {
        return Err(Error::param(
            "label",
            format!("{label} is out of range for {} scores", s.len()),
        ));
    }
    Ok(deltas
        .iter()
        .map(|&d| {
            let mut t = s.to_vec();
            t[label as usize] += d;
            (d, hinge.value_grad(&t, y, &mut g), ce.value_grad(&t, y, &mut g))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lectures' three vectors: hinge 0 (every margin met), cross-entropy > 0, both by
    /// hand: CE = ln(1 + Σ_{j≠y} e^{s_j − s_y}); a nudge of any score leaves the hinge at 0;
    /// doubling lowers CE and keeps the hinge at 0.
    #[test]
    fn hinge_is_zero_and_cross_entropy_positive_on_the_lectures_scores() {
        let scores: Vec<Vec<f64>> = LECTURE_SCORES.iter().map(|s| s.to_vec()).collect();
        let rows = table(&scores, 0, 1.0, 0.5).unwrap();
        assert_eq!(rows.len(), 6);
        for pair in rows.chunks(2) {
            let (r, doubled) = (&pair[0], &pair[1]);
            let s = &r.scores;
            let by_hand = ((s[1] - s[0]).exp() + (s[2] - s[0]).exp()).ln_1p();
            assert_eq!(r.hinge, 0.0);
            assert!(r.cross_entropy > 0.0 && (r.cross_entropy - by_hand).abs() < 1e-12 * by_hand);
            assert!(r.hinge_grad.iter().all(|&g| g == 0.0) && r.hinge_nudged[0] == 0.0);
            // [10, 9, 9] sits exactly on the margin: raising a wrong score by h costs h.
            let on_margin = s[1] - s[0] + 1.0 == 0.0;
            let want = if on_margin { 0.5 } else { 0.0 };
            assert!(r.hinge_nudged[1..].iter().all(|&c| c == want), "{:?}", r.hinge_nudged);
            assert!(doubled.hinge_nudged.iter().all(|&c| c == 0.0));
            assert!(r.cross_entropy_grad[0] < 0.0 && r.cross_entropy_nudged[0] < 0.0);
            assert!(r.cross_entropy_nudged[1] > 0.0);
            assert_eq!(doubled.hinge, 0.0);
            assert!(doubled.cross_entropy < r.cross_entropy && doubled.cross_entropy > 0.0);
        }
        // [10, 9, 9] is the closest call: CE = ln(1 + 2/e).
        assert!((rows[2].cross_entropy - (1.0 + 2.0 / 1f64.exp()).ln()).abs() < 1e-12);
    }

    /// Lowering the correct score of [10, 9, 9] by 0.5 breaks both margins: hinge 2 × 0.5.
    #[test]
    fn the_sweep_finds_the_hinge_corner() {
        let out = sweep(&[10.0, 9.0, 9.0], 0, 1.0, &[0.0, -0.5, -1.0]).unwrap();
        assert_eq!(out[0].1, 0.0);
        assert!((out[1].1 - 1.0).abs() < 1e-12 && (out[2].1 - 2.0).abs() < 1e-12);
        assert!(out[2].2 > out[1].2 && out[1].2 > out[0].2);
        assert!(table(&[vec![1.0]], 0, 1.0, 0.5).is_err());
    }
}
