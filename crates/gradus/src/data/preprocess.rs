//! Preprocessing fitted on the training split and saved with the model.
//!
//! Every scaling gradus offers is a per-feature affine map `x' = (x − shift_j) · scale_j`
//! ([`Affine`]), so it is applied while a batch is gathered, at no extra pass over the data:
//!
//! | scaling | shift_j | scale_j |
//! | --- | --- | --- |
//! | `none` | 0 | 1 |
//! | `unit` | 0 | 1 / max |x| over the whole training set (255 for 8-bit images) |
//! | `center` | mean of feature j | 1 |
//! | `standardize` | mean of feature j | 1 / std of feature j (1 where the std is 0) |
//!
//! Sparse features ([`Features::Csr`]) are standardized without centring: shift 0, scale 1/std
//! (the std still about the mean, zeros counted), as scikit-learn's
//! `StandardScaler(with_mean=False)` does for sparse input, so that the scaled rows stay sparse
//! (a row's stored values are scaled, its zeros stay 0) and a model may train on the non-zeros
//! alone. `center` is an explicit request to subtract the mean and does so; the gathered rows
//! are then dense. `unit` divides by the largest absolute stored value.

use super::{Dataset, Features};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How features are scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scaling {
    /// Raw values.
    None,
    /// Divide by the largest absolute value in the training set.
    Unit,
    /// Subtract the per-feature mean (the mean image).
    Center,
    /// Subtract the per-feature mean, divide by the per-feature standard deviation.
    Standardize,
}

impl FromStr for Scaling {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(Scaling::None),
            "unit" => Ok(Scaling::Unit),
            "center" => Ok(Scaling::Center),
            "standardize" => Ok(Scaling::Standardize),
            _ => Err(Error::param(
                "scale",
                format!("must be none, unit, center or standardize, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for Scaling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scaling::None => "none",
            Scaling::Unit => "unit",
            Scaling::Center => "center",
            Scaling::Standardize => "standardize",
        })
    }
}

/// A per-feature affine map `x' = (x − shift_j) · scale_j`, and for regression optionally the
/// same map of the target, `y' = (y − shift_y) · scale_y` (scikit-learn users get this from
/// `TransformedTargetRegressor`): the model is trained on y′ and its predictions are mapped back,
/// `ŷ = ŷ′ / scale_y + shift_y`.
#[derive(Clone, Debug, PartialEq)]
pub struct Affine {
    shift: Vec<f32>,
    scale: Vec<f32>,
    target: Option<(f32, f32)>,
    /// Whether some shift is not 0 (so that a zero feature does not stay zero).
    shifts: bool,
    /// Whether some scale is not 1.
    scales: bool,
}

impl Affine {
    /// The map with the given shifts and scales (equal lengths).
    pub fn new(shift: Vec<f32>, scale: Vec<f32>) -> Self {
        debug_assert_eq!(shift.len(), scale.len());
        Self {
            shifts: shift.iter().any(|&s| s != 0.0),
            scales: scale.iter().any(|&s| s != 1.0),
            shift,
            scale,
            target: None,
        }
    }
    /// This map, with the target map `y' = (y − shift) · scale`.
    pub fn with_target(self, shift: f32, scale: f32) -> Self {
        Self {
            target: Some((shift, scale)),
            ..self
        }
    }
    /// The target map's `(shift, scale)`, if the targets are scaled.
    pub fn target(&self) -> Option<(f32, f32)> {
        self.target
    }
    /// A prediction `ŷ′` on the scaled targets mapped back to the target's units.
    pub fn unscale_target(&self, y: f32) -> f32 {
        match self.target {
            Some((shift, scale)) => y / scale + shift,
            None => y,
        }
    }
    /// The identity on `d` features.
    pub fn identity(d: usize) -> Self {
        Self::new(vec![0.0; d], vec![1.0; d])
    }
    /// Per-feature shifts.
    pub fn shift(&self) -> &[f32] {
        &self.shift
    }
    /// Per-feature scales.
    pub fn scale(&self) -> &[f32] {
        &self.scale
    }
    /// Whether every shift is 0: the map is a scale alone, and keeps zeros zero.
    pub fn scales_only(&self) -> bool {
        !self.shifts
    }
    /// The per-feature scales, unless every one is 1.
    pub fn scales(&self) -> Option<&[f32]> {
        self.scales.then_some(self.scale.as_slice())
    }
    /// Number of features.
    pub fn len(&self) -> usize {
        self.shift.len()
    }
    /// Whether it maps no features.
    pub fn is_empty(&self) -> bool {
        self.shift.is_empty()
    }
}

impl Scaling {
    /// Fits the map on `data` (the training split). Means and variances are accumulated in f64.
    pub fn fit(self, data: &Dataset) -> Affine {
        let d = data.n_features();
        let n = data.len();
        match self {
            Scaling::None => Affine::identity(d),
            Scaling::Unit => {
                let max = match data.features() {
                    Features::U8(v) => v.iter().copied().max().unwrap_or(0) as f32,
                    Features::F32(v) => max_abs(v),
                    Features::Csr(m) => max_abs(m.values()),
                };
                let k = if max > 0.0 { 1.0 / max } else { 1.0 };
                Affine::new(vec![0.0; d], vec![k; d])
            }
            Scaling::Center | Scaling::Standardize => {
                let mut sum = vec![0.0f64; d];
                let mut sq = vec![0.0f64; d];
                match data.features() {
                    // Zeros add nothing to either sum.
                    Features::Csr(m) => {
                        for (&j, &x) in m.indices().iter().zip(m.values()) {
                            let x = x as f64;
                            sum[j as usize] += x;
                            sq[j as usize] += x * x;
                        }
                    }
                    Features::U8(v) => add_rows(v, &mut sum, &mut sq),
                    Features::F32(v) => add_rows(v, &mut sum, &mut sq),
                }
                let nf = n.max(1) as f64;
                let mean: Vec<f64> = sum.iter().map(|s| s / nf).collect();
                let scale = mean.iter().zip(&sq).map(|(m, s)| self.scale_of(*m, s / nf)).collect();
                let centre = !(self == Scaling::Standardize && matches!(data.features(), Features::Csr(_)));
                let shift = mean.iter().map(|&m| if centre { m as f32 } else { 0.0 }).collect();
                Affine::new(shift, scale)
            }
        }
    }

    /// The `(shift, scale)` of this scaling fitted on the values `y` (regression targets).
    pub fn fit_values(self, y: &[f32]) -> (f32, f32) {
        let n = y.len().max(1) as f64;
        match self {
            Scaling::None => (0.0, 1.0),
            Scaling::Unit => {
                let max = max_abs(y);
                (0.0, if max > 0.0 { 1.0 / max } else { 1.0 })
            }
            Scaling::Center | Scaling::Standardize => {
                let mean = y.iter().map(|&v| v as f64).sum::<f64>() / n;
                let sq = y.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / n;
                (mean as f32, self.scale_of(mean, sq))
            }
        }
    }

    /// `1/σ` from a mean and a mean square (1 for `center`, and for a constant column).
    fn scale_of(self, mean: f64, mean_square: f64) -> f32 {
        let var = (mean_square - mean * mean).max(0.0);
        if self == Scaling::Standardize && var > 1e-12 {
            (1.0 / var.sqrt()) as f32
        } else {
            1.0
        }
    }
}

/// Adds each feature of the dense rows `v` (row-major, `sum.len()` features) to `sum`, and its
/// square to `sq`, row after row (one pass, vectorised across the features).
fn add_rows<E: Copy + Into<f64>>(v: &[E], sum: &mut [f64], sq: &mut [f64]) {
    for row in v.chunks_exact(sum.len()) {
        for ((s, q), &x) in sum.iter_mut().zip(sq.iter_mut()).zip(row) {
            let x: f64 = x.into();
            *s += x;
            *q += x * x;
        }
    }
}

/// The largest `|x|` (0 for none).
fn max_abs(x: &[f32]) -> f32 {
    x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Targets;

    #[test]
    fn standardize_gives_zero_mean_unit_variance_and_leaves_constant_features() {
        let d = Dataset::new(
            2,
            Features::F32(vec![1.0, 5.0, 3.0, 5.0, 5.0, 5.0].into()),
            Targets::Values(vec![0.0; 3]),
        )
        .unwrap();
        let a = Scaling::Standardize.fit(&d);
        assert_eq!(a.shift(), &[3.0, 5.0]);
        let sd = (8.0f64 / 3.0).sqrt();
        assert!((a.scale()[0] as f64 - 1.0 / sd).abs() < 1e-6);
        assert_eq!(a.scale()[1], 1.0);
    }

    /// On sparse rows, every scaling's scales equal the dense rows' (computed by the dense
    /// path); standardize leaves the shift at 0, center keeps the mean.
    #[test]
    fn sparse_scaling_matches_the_dense_statistics_without_centring_standardize() {
        let dense = vec![0.0, 4.0, 0.0, -2.0, 0.0, 0.0, 6.0, 1.0, 0.0];
        let csr = crate::data::Csr::new(vec![0, 1, 2, 4], vec![1, 0, 0, 1], vec![4.0, -2.0, 6.0, 1.0]).unwrap();
        let y = Targets::Values(vec![0.0; 3]);
        let d = Dataset::new(3, Features::F32(dense.into()), y.clone()).unwrap();
        let s = Dataset::new(3, Features::Csr(csr), y).unwrap();
        for scaling in [Scaling::None, Scaling::Unit, Scaling::Center, Scaling::Standardize] {
            let (a, b) = (scaling.fit(&d), scaling.fit(&s));
            for (x, z) in a.scale().iter().zip(b.scale()) {
                assert!((x - z).abs() <= 1e-6 * x.abs(), "{scaling}: {a:?} {b:?}");
            }
            match scaling {
                Scaling::Standardize => assert_eq!(b.shift(), &[0.0; 3]),
                _ => assert_eq!(a.shift(), b.shift(), "{scaling}"),
            }
        }
        // Feature 0 holds -2, 6, 0: mean 4/3, variance (4 + 36)/3 - 16/9.
        let sd = (40.0f64 / 3.0 - 16.0 / 9.0).sqrt();
        assert!((Scaling::Standardize.fit(&s).scale()[0] as f64 - 1.0 / sd).abs() < 1e-6);
        assert_eq!(Scaling::Unit.fit(&s).scale()[2], 1.0 / 6.0);
    }

    #[test]
    fn unit_divides_by_the_largest_pixel() {
        let d = Dataset::new(
            1,
            Features::U8(vec![3, 200]),
            Targets::Classes {
                labels: vec![0, 0],
                n_classes: 1,
            },
        )
        .unwrap();
        assert_eq!(Scaling::Unit.fit(&d).scale(), &[1.0 / 200.0]);
        assert!(
            "bogus"
                .parse::<Scaling>()
                .unwrap_err()
                .to_string()
                .contains("got 'bogus'")
        );
    }
}
