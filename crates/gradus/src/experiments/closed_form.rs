//! Closed forms in `f64`, by faer's factorisations: least squares, ridge and the
//! minimum-norm solution, and the spectrum of a symmetric matrix. They are the independent
//! check of what gradient descent finds.

use crate::error::{Error, Result};
use faer::{Mat, Side};

/// The `rows × cols` row-major `a` as a faer matrix.
fn matrix(a: &[f64], rows: usize, cols: usize) -> Result<Mat<f64>> {
    if a.len() != rows * cols {
        return Err(Error::data(format!(
            "{} values do not make a {rows} × {cols} matrix",
            a.len()
        )));
    }
    Ok(Mat::from_fn(rows, cols, |i, j| a[i * cols + j]))
}

/// The minimum-norm least-squares solution `x = A⁺b` of the `rows × cols` row-major system
/// `A x ≈ b`: of the minimisers of `‖Ax − b‖₂`, the one of least `‖x‖₂` (the unique one when
/// A has full column rank). A⁺ is the pseudo-inverse from the thin SVD `A = U Σ Vᵀ`,
/// `A⁺ = V Σ⁺ Uᵀ`, singular values below `max(rows, cols) · ε · σ_max` counting as zero
/// (faer's tolerance; Golub & Van Loan, *Matrix Computations*, §5.5).
///
/// # Errors
/// [`Error::Data`] when the sizes disagree or the SVD does not converge.
pub fn lstsq(a: &[f64], rows: usize, cols: usize, b: &[f64]) -> Result<Vec<f64>> {
    let m = matrix(a, rows, cols)?;
    if b.len() != rows {
        return Err(Error::data(format!("{} right-hand sides for {rows} rows", b.len())));
    }
    let svd = m
        .thin_svd()
        .map_err(|e| Error::data(format!("the SVD did not converge: {e:?}")))?;
    let pinv = svd.pseudoinverse();
    Ok((0..cols)
        .map(|j| (0..rows).map(|i| pinv[(j, i)] * b[i]).sum())
        .collect())
}

/// Ridge regression in gradus' scaling: the `(w, b)` that minimise
/// `(1/N) Σᵢ ½ (wᵀxᵢ + b − yᵢ)² + λ‖w‖²` (the [`Squared`](crate::loss::Squared) loss and the
/// `l2:λ` penalty, bias not penalised) over the `N × d` row-major `x`. Setting the gradient
/// `(1/N) X̃ᵀ(X̃θ − y) + 2λ(w, 0)` to zero is the least-squares problem
/// `[X̃; √(2Nλ)·(I 0)] θ ≈ [y; 0]` with `X̃ = [X 1]`, solved by [`lstsq`] (so λ = 0 gives
/// the minimum-norm least-squares fit).
///
/// # Errors
/// As [`lstsq`]; [`Error::Param`] `lambda` when λ is negative or not finite.
pub fn ridge(x: &[f64], d: usize, y: &[f64], lambda: f64) -> Result<(Vec<f64>, f64)> {
    if !(lambda.is_finite() && lambda >= 0.0) {
        return Err(Error::param(
            "lambda",
            format!("must be a finite number ≥ 0, got {lambda}"),
        ));
    }
    let n = y.len();
    let cols = d + 1;
    let root = (2.0 * n as f64 * lambda).sqrt();
    let mut a = Vec::with_capacity((n + d) * cols);
    for row in x.chunks_exact(d.max(1)).take(n) {
        a.extend_from_slice(row);
        a.push(1.0);
    }
    for j in 0..d {
        a.extend((0..cols).map(|k| if k == j { root } else { 0.0 }));
    }
    let mut rhs = y.to_vec();
    rhs.resize(n + d, 0.0);
    let theta = lstsq(&a, n + d, cols, &rhs)?;
    Ok((theta[..d].to_vec(), theta[d]))
}

/// The eigenvalues of the symmetric `n × n` row-major `m`, ascending (its lower triangle is
/// read).
///
/// # Errors
/// [`Error::Data`] when `m` is not `n × n` or the decomposition does not converge.
pub fn eigenvalues(m: &[f64], n: usize) -> Result<Vec<f64>> {
    let m = matrix(m, n, n)?;
    m.self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| Error::data(format!("the eigendecomposition did not converge: {e:?}")))
}

/// The `d × d` matrix `(1/N) X̃ᵀX̃` of the `N × d` row-major `x`, with a column of ones
/// appended when `bias` (then `(d + 1) × (d + 1)`): the Hessian of the mean squared loss
/// `(1/N) Σ ½ (θᵀx̃ᵢ − yᵢ)²`.
pub fn gram(x: &[f64], d: usize, bias: bool) -> Vec<f64> {
    let cols = d + usize::from(bias);
    let n = x.len() / d.max(1);
    let mut g = vec![0.0; cols * cols];
    let mut row = vec![1.0; cols];
    for r in x.chunks_exact(d.max(1)) {
        row[..d].copy_from_slice(r);
        for i in 0..cols {
            for j in 0..cols {
                g[i * cols + j] += row[i] * row[j];
            }
        }
    }
    g.iter_mut().for_each(|v| *v /= n.max(1) as f64);
    g
}

/// The curvatures `[μ, L]` of the mean squared loss over the rows `x` (with a bias when
/// `bias`): the largest eigenvalue of [`gram`] and its smallest one above `1e-12 L` (the
/// directions of zero curvature are those gradient descent from 0 never moves in).
///
/// # Errors
/// As [`eigenvalues`].
pub fn curvatures(x: &[f64], d: usize, bias: bool) -> Result<[f64; 2]> {
    let cols = d + usize::from(bias);
    let ev = eigenvalues(&gram(x, d, bias), cols)?;
    let l = ev.last().copied().unwrap_or(0.0);
    let mu = ev.iter().copied().find(|&v| v > 1e-12 * l).unwrap_or(l);
    Ok([mu, l])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lectures' least-squares fit of temperature on latitude (Ann Arbor 42° 33 °F,
    /// Washington DC 39° 38 °F, Austin 30° 62 °F): slope −2.474, intercept 135.9, which the
    /// normal equations give by hand as Sxy/Sxx = −193/78 and ȳ − slope·x̄.
    #[test]
    fn least_squares_gives_the_lectures_line() {
        let (w, b) = ridge(&[42.0, 39.0, 30.0], 1, &[33.0, 38.0, 62.0], 0.0).unwrap();
        let slope = -193.0 / 78.0;
        assert!((w[0] - slope).abs() < 1e-12, "{w:?}");
        assert!((b - (133.0 / 3.0 - slope * 37.0)).abs() < 1e-10, "{b}");
        assert!((w[0] + 2.474).abs() < 5e-4 && (b - 135.9).abs() < 0.05);
    }

    /// Ridge in one centred feature has the closed form w = Sxy / (Sxx + 2Nλ): the normal
    /// equation (1/N)(Sxx w − Sxy) + 2λw = 0.
    #[test]
    fn ridge_shrinks_the_slope_as_its_normal_equation_says() {
        let (x, y) = ([42.0, 39.0, 30.0], [33.0, 38.0, 62.0]);
        for lambda in [0.1, 1.0, 7.5] {
            let (w, b) = ridge(&x, 1, &y, lambda).unwrap();
            let want = -193.0 / (78.0 + 6.0 * lambda);
            assert!((w[0] - want).abs() < 1e-10, "λ = {lambda}: {} against {want}", w[0]);
            assert!((b - (133.0 / 3.0 - want * 37.0)).abs() < 1e-9);
        }
        assert!(ridge(&x, 1, &y, -1.0).is_err());
    }

    /// A wide system: the minimum-norm solution is Aᵀ(AAᵀ)⁻¹b, here by hand for
    /// A = [[1, 0, 1], [0, 1, 1]], b = (1, 2): AAᵀ = [[2, 1], [1, 2]], (AAᵀ)⁻¹b = (0, 1),
    /// so x = (0, 1, 1).
    #[test]
    fn a_wide_system_gets_its_minimum_norm_solution() {
        let x = lstsq(&[1.0, 0.0, 1.0, 0.0, 1.0, 1.0], 2, 3, &[1.0, 2.0]).unwrap();
        for (a, b) in x.iter().zip([0.0, 1.0, 1.0]) {
            assert!((a - b).abs() < 1e-12, "{x:?}");
        }
        assert!(lstsq(&[1.0, 2.0], 2, 3, &[1.0, 2.0]).is_err());
    }

    /// diag(1, 4) rotated by 45°: eigenvalues 1 and 4; its curvatures with a zero column.
    #[test]
    fn eigenvalues_of_a_rotated_diagonal() {
        let ev = eigenvalues(&[2.5, 1.5, 1.5, 2.5], 2).unwrap();
        assert!((ev[0] - 1.0).abs() < 1e-12 && (ev[1] - 4.0).abs() < 1e-12, "{ev:?}");
        // Rows (1, 0), (−1, 0): (1/N) XᵀX = diag(1, 0), so μ = L = 1.
        assert_eq!(curvatures(&[1.0, 0.0, -1.0, 0.0], 2, false).unwrap(), [1.0, 1.0]);
    }
}
