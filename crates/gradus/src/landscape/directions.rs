//! Directions through parameter space: seeded Gaussian, filter-normalised (Li et al.,
//! "Visualizing the Loss Landscape of Neural Nets", NeurIPS 2018), and the principal directions
//! of a training path.

use crate::error::{Error, Result};
use crate::params::{ParamLayout, Role};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// `n` independent N(0, 1) numbers from `seed`.
pub fn gaussian(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            z as f32
        })
        .collect()
}

/// Filter normalisation: each row of each weight matrix of `d` (a filter: one output unit's
/// incoming weights) scaled to the norm of the same row of `theta`, `d_r ← d_r · ‖θ_r‖ / ‖d_r‖`;
/// biases set to zero (Li et al.'s choice, so that a slice shows the weights' effect). A row of
/// `d` that is all zero stays zero.
pub fn filter_normalize(d: &mut [f32], theta: &[f32], layout: &ParamLayout) {
    for s in layout.segments() {
        let r = s.range();
        match (s.role, s.shape.as_slice()) {
            (Role::Weight, [_, cols, ..]) => {
                let cols = *cols * s.shape[2..].iter().product::<usize>();
                for (dr, tr) in d[r.clone()].chunks_mut(cols).zip(theta[r.clone()].chunks(cols)) {
                    let norm = |v: &[f32]| v.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>().sqrt();
                    let (nd, nt) = (norm(dr), norm(tr));
                    if nd > 0.0 {
                        dr.iter_mut().for_each(|x| *x = (*x as f64 * nt / nd) as f32);
                    }
                }
            }
            _ => d[r].iter_mut().for_each(|x| *x = 0.0),
        }
    }
}

/// The top two principal directions of a path's points `path` (each a parameter vector),
/// centred on its last point as Li et al. do: the leading right singular vectors of the matrix
/// of rows `θ_i − θ_last`, computed from its small Gram matrix `G = M Mᵀ` (one row per point)
/// by power iteration with deflation, in `f64`. Returns each direction (unit norm) with the
/// fraction of the path's variance it explains.
///
/// # Errors
/// [`Error::Data`] for a path of fewer than three points or one that spans less than two
/// dimensions.
pub fn principal(path: &[Vec<f32>]) -> Result<[(Vec<f32>, f64); 2]> {
    let Some(last) = path.last() else {
        return Err(Error::data("the path has no points"));
    };
    if path.len() < 3 {
        return Err(Error::data(format!(
            "the path has {} points; principal directions need at least 3",
            path.len()
        )));
    }
    let m: Vec<Vec<f64>> = path[..path.len() - 1]
        .iter()
        .map(|p| p.iter().zip(last).map(|(a, b)| *a as f64 - *b as f64).collect())
        .collect();
    let k = m.len();
    let mut g = vec![vec![0.0; k]; k];
    for i in 0..k {
        for j in 0..=i {
            let v: f64 = m[i].iter().zip(&m[j]).map(|(a, b)| a * b).sum();
            g[i][j] = v;
            g[j][i] = v;
        }
    }
    let total: f64 = (0..k).map(|i| g[i][i]).sum();
    let mut out = Vec::new();
    for component in 0..2 {
        // Power iteration on G, from a fixed start, until the eigenvector settles.
        let mut u: Vec<f64> = (0..k).map(|i| 1.0 + (i as f64 + component as f64).sin()).collect();
        let mut lambda = 0.0;
        for _ in 0..10_000 {
            let w: Vec<f64> = (0..k).map(|i| g[i].iter().zip(&u).map(|(a, b)| a * b).sum()).collect();
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            let next: Vec<f64> = w.iter().map(|x| x / norm).collect();
            let change: f64 = next.iter().zip(&u).map(|(a, b)| (a - b).abs()).sum();
            u = next;
            lambda = norm;
            if change < 1e-12 {
                break;
            }
        }
        if lambda <= total * 1e-12 || lambda == 0.0 {
            return Err(Error::data("the path spans less than two dimensions"));
        }
        // Deflate: G ← G − λ u uᵀ.
        for i in 0..k {
            for j in 0..k {
                g[i][j] -= lambda * u[i] * u[j];
            }
        }
        // The direction in parameter space: Mᵀ u / ‖Mᵀ u‖.
        let mut d = vec![0.0f64; last.len()];
        for (row, &ui) in m.iter().zip(&u) {
            d.iter_mut().zip(row).for_each(|(x, r)| *x += ui * r);
        }
        let norm = d.iter().map(|x| x * x).sum::<f64>().sqrt();
        out.push((d.iter().map(|x| (x / norm) as f32).collect(), lambda / total));
    }
    let second = out.pop().unwrap_or_default();
    let first = out.pop().unwrap_or_default();
    Ok([first, second])
}

/// Least-squares coordinates `(a, b)` of `v` in span(`d1`, `d2`), and the norm of the residual
/// `v − a d1 − b d2` (what of `v` the plane does not hold).
pub fn project(v: &[f64], d1: &[f32], d2: &[f32]) -> ((f64, f64), f64) {
    let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>();
    let dotv = |x: &[f32]| x.iter().zip(v).map(|(a, b)| *a as f64 * b).sum::<f64>();
    let (g11, g12, g22) = (dot(d1, d1), dot(d1, d2), dot(d2, d2));
    let (r1, r2) = (dotv(d1), dotv(d2));
    let det = g11 * g22 - g12 * g12;
    let (a, b) = if det.abs() > 1e-300 {
        ((r1 * g22 - r2 * g12) / det, (g11 * r2 - g12 * r1) / det)
    } else {
        (r1 / g11.max(1e-300), 0.0)
    };
    let residual = v
        .iter()
        .zip(d1.iter().zip(d2))
        .map(|(x, (p, q))| (x - a * *p as f64 - b * *q as f64).powi(2))
        .sum::<f64>()
        .sqrt();
    ((a, b), residual)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_normalised_rows_have_the_norms_of_thetas_rows_and_biases_are_zero() {
        let mut layout = ParamLayout::new();
        layout.push("w", &[3, 4], Role::Weight);
        layout.push("b", &[3], Role::Bias);
        let theta: Vec<f32> = (0..15).map(|i| (i as f32 - 7.0) * 0.3).collect();
        let mut d = gaussian(15, 1);
        filter_normalize(&mut d, &theta, &layout);
        for r in 0..3 {
            let norm = |v: &[f32]| v[r * 4..r * 4 + 4].iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm(&d) - norm(&theta)).abs() < 1e-5);
        }
        assert_eq!(&d[12..], &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn principal_directions_recover_a_path_in_a_known_plane() {
        // Points c + s_i e1 + t_i e2 with spread 10 along e1 and 1 along e2, in 6 dimensions.
        let (e1, e2) = ([0.6f32, 0.8, 0.0, 0.0, 0.0, 0.0], [0.0f32, 0.0, 0.0, 1.0, 0.0, 0.0]);
        let path: Vec<Vec<f32>> = (0..20)
            .map(|i| {
                let (s, t) = ((i as f32 - 19.0) * 0.5, ((i as f32) * 0.9).sin() * 0.2);
                (0..6).map(|j| 1.0 + s * e1[j] + t * e2[j]).collect()
            })
            .collect();
        let [(d1, f1), (d2, f2)] = principal(&path).unwrap();
        let along = |d: &[f32], e: &[f32]| d.iter().zip(e).map(|(a, b)| a * b).sum::<f32>().abs();
        assert!(along(&d1, &e1) > 0.999, "{d1:?}");
        assert!(along(&d2, &e2) > 0.99, "{d2:?}");
        assert!(f1 > 0.99 && f1 + f2 > 0.999999, "{f1} {f2}");
        // The path lies in the plane: every point projects with no residual.
        for p in &path {
            let v: Vec<f64> = p
                .iter()
                .zip(path.last().unwrap())
                .map(|(a, b)| (*a - *b) as f64)
                .collect();
            assert!(project(&v, &d1, &d2).1 < 1e-4);
        }
        assert!(principal(&path[..2]).is_err());
    }

    #[test]
    fn projection_is_exact_in_the_plane_and_reports_what_leaves_it() {
        let (d1, d2) = ([1.0f32, 0.0, 0.0], [1.0f32, 1.0, 0.0]);
        let ((a, b), r) = project(&[3.0, 2.0, 0.0], &d1, &d2);
        assert!((a - 1.0).abs() < 1e-12 && (b - 2.0).abs() < 1e-12 && r < 1e-12);
        let (_, r) = project(&[0.0, 0.0, 5.0], &d1, &d2);
        assert!((r - 5.0).abs() < 1e-12);
    }
}
