//! Ridge regression on the lectures' latitude/temperature table: three training cities, two
//! test cities further south. Least squares fits the training cities closely and extrapolates
//! steeply (slope −2.474 °F per degree, intercept 135.9); the L2 penalty λw² shrinks the slope
//! towards 0, trading training error for smaller extrapolation error.
//!
//! The objective is gradus' own, `(1/N) Σ ½ (w x + b − y)² + λ w²` (the `squared` loss and
//! `l2:λ`, the bias not penalised), on the raw values or, as `gradus train` does by default,
//! on standardized latitude and temperature, trained to convergence by heavy-ball gradient
//! descent ([`HeavyBall`]) and checked against [`closed_form::ridge`]. The same fit under the
//! textbook objective `Σ (w x + b − y)² + λ' w²` on the raw values has `λ' = 2Nλσ_x²` after
//! standardization (σ_x the latitudes' standard deviation) (`2Nλ` on raw values) — [`Outcome::textbook_lambda`].

use super::{HeavyBall, check_positive, closed_form, regression_set, round};
use crate::data::{Dataset, Scaling, Targets};
use crate::error::{Error, Result};
use crate::loss::{Loss, Squared};
use crate::model::{Architecture, Network};
use crate::objective::Objective;
use crate::regularizer::{Penalty, Regularizer};

/// A table of named rows, one feature and a target each.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Row names.
    pub names: Vec<String>,
    /// The feature.
    pub x: Vec<f64>,
    /// The target.
    pub y: Vec<f64>,
}

impl Table {
    /// The lectures' training cities: Ann Arbor 42° 33 °F, Washington DC 39° 38 °F, Austin
    /// 30° 62 °F.
    pub fn lecture_train() -> Self {
        Self::of(&[
            ("Ann Arbor", 42.0, 33.0),
            ("Washington DC", 39.0, 38.0),
            ("Austin", 30.0, 62.0),
        ])
    }

    /// The lectures' test cities: Mexico City 19° 67 °F, Panama City 9° 83 °F.
    pub fn lecture_test() -> Self {
        Self::of(&[("Mexico City", 19.0, 67.0), ("Panama City", 9.0, 83.0)])
    }

    fn of(rows: &[(&str, f64, f64)]) -> Self {
        Self {
            names: rows.iter().map(|r| r.0.to_string()).collect(),
            x: rows.iter().map(|r| r.1).collect(),
            y: rows.iter().map(|r| r.2).collect(),
        }
    }

    /// The rows of a one-feature regression data set, named `PREFIX 1`, `PREFIX 2`, ….
    ///
    /// # Errors
    /// [`Error::Data`] for more than one feature or class targets.
    pub fn from_dataset(data: &Dataset, prefix: &str) -> Result<Self> {
        let Targets::Values(y) = data.targets() else {
            return Err(Error::data(
                "the regularization table needs real-valued targets (--task regress)",
            ));
        };
        if data.n_features() != 1 {
            return Err(Error::data(format!(
                "the regularization table needs one feature column, the data has {}",
                data.n_features()
            )));
        }
        Ok(Self {
            names: (1..=data.len()).map(|i| format!("{prefix} {i}")).collect(),
            x: (0..data.len()).map(|i| data.value(i, 0)).collect(),
            y: y.iter().map(|&v| v as f64).collect(),
        })
    }
}

/// One λ's fit.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// λ.
    pub lambda: f64,
    /// Slope and intercept in the table's units, trained.
    pub trained: (f64, f64),
    /// The same from the closed form.
    pub exact: (f64, f64),
    /// Trained predictions for the training rows, then the test rows.
    pub predictions: Vec<f64>,
    /// Mean squared error on the training rows.
    pub train_mse: f64,
    /// Mean squared error on the test rows.
    pub test_mse: f64,
    /// Gradient-descent steps taken.
    pub steps: usize,
}

/// The fits.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// One fit per λ.
    pub fits: Vec<Fit>,
    /// For each λ, the λ' of `Σ (w x + b − y)² + λ' w²` on the raw values that gives the same
    /// line.
    pub textbook_lambda: Vec<f64>,
}

/// Fits the line to `train` at each of `lambdas`, on standardized values when `standardize`.
///
/// # Errors
/// [`Error::Param`] for a λ that is not finite and ≥ 0; [`Error::Data`] for fewer than two
/// training rows.
pub fn run(train: &Table, test: &Table, lambdas: &[f64], standardize: bool, steps: u64) -> Result<Outcome> {
    let n = train.x.len();
    if n < 2 {
        return Err(Error::data("the regularization table needs at least two training rows"));
    }
    let raw = regression_set(&train.x, 1, &train.y)?;
    let scaling = if standardize {
        Scaling::Standardize
    } else {
        Scaling::None
    };
    let affine = scaling.fit(&raw);
    let (sx, mx) = (affine.scale()[0] as f64, affine.shift()[0] as f64);
    let Targets::Values(ty) = raw.targets() else {
        return Err(Error::data("real-valued targets expected"));
    };
    let (shift, scale) = scaling.fit_values(ty);
    let (my, sy) = (shift as f64, scale as f64);
    let u: Vec<f64> = train.x.iter().map(|&x| round((round(x) - mx) * sx)).collect();
    let v: Vec<f64> = train.y.iter().map(|&y| round((round(y) - my) * sy)).collect();
    let data = regression_set(&u, 1, &v)?;
    let [mu, l] = closed_form::curvatures(&u, 1, true)?;
    let mut fits = Vec::new();
    let mut textbook = Vec::new();
    for &lambda in lambdas {
        check_positive("lambda", lambda, true)?;
        let objective = Objective {
            network: Network::new(1, &Architecture::linear(), 1)?,
            loss: Loss::Squared(Squared),
            class_weight: None,
            regularizer: Regularizer {
                penalty: Penalty::L2 { lambda },
                include_bias: false,
            },
        };
        let (w, b) = closed_form::ridge(&u, 1, &v, lambda)?;
        let norm = (w[0] * w[0] + b * b).sqrt().max(1e-12);
        let mut theta = vec![0.0; 2];
        // The penalty adds 2λ to the curvature of w.
        let config = HeavyBall::within(mu, l + 2.0 * lambda, steps).train_params(steps, 1e-12 * mu * norm);
        let report = super::train(&objective, &data, &mut theta, &config)?;
        // Back to the table's units: y = my + (w (x − mx) sx + b) / sy.
        let units = |w: f64, b: f64| (w * sx / sy, my + (b - w * sx * mx) / sy);
        let trained = units(theta[0], theta[1]);
        let exact = units(w[0], b);
        let predict = |x: f64| trained.0 * x + trained.1;
        let predictions: Vec<f64> = train.x.iter().chain(&test.x).map(|&x| predict(x)).collect();
        let mse = |t: &Table| -> f64 {
            t.x.iter()
                .zip(&t.y)
                .map(|(&x, &y)| (predict(x) - y).powi(2))
                .sum::<f64>()
                / t.x.len().max(1) as f64
        };
        fits.push(Fit {
            lambda,
            trained,
            exact,
            predictions,
            train_mse: mse(train),
            test_mse: mse(test),
            steps: report.history.len(),
        });
        textbook.push(2.0 * n as f64 * lambda / (sx * sx));
    }
    Ok(Outcome {
        fits,
        textbook_lambda: textbook,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// λ = 0 gives the lectures' line and predictions (31.9, 39.4, 61.7, 88.9, 113.6), with
    /// and without standardization; ridge's trained line is the closed form's to 1e-8, and in
    /// standardized units its slope is r/(1 + 2λ) (r the correlation), as the normal
    /// equation of one centred feature gives by hand.
    #[test]
    fn the_ridge_table_matches_the_closed_form() {
        let (train, test) = (Table::lecture_train(), Table::lecture_test());
        for standardize in [true, false] {
            let out = run(&train, &test, &[0.0, 0.5], standardize, 20_000).unwrap();
            let ols = &out.fits[0];
            for (p, want) in ols.predictions.iter().zip([31.9, 39.4, 61.7, 88.9, 113.6]) {
                assert!((p - want).abs() < 0.1, "{:?}", ols.predictions);
            }
            for f in &out.fits {
                let gap = (f.trained.0 - f.exact.0).abs() + (f.trained.1 - f.exact.1).abs();
                assert!(
                    gap < 1e-8 * f.exact.1.abs(),
                    "λ = {}: {:?} against {:?}",
                    f.lambda,
                    f.trained,
                    f.exact
                );
            }
        }
        let out = run(&train, &test, &[0.5], true, 20_000).unwrap();
        // r = Sxy/√(Sxx Syy) = −193/√(78 · 2664.67); the standardized slope is r/2 at λ = 0.5,
        // and back in °F per degree it is r/2 · σ_y/σ_x = (−193/78)/2.
        let slope = out.fits[0].exact.0;
        assert!((slope - (-193.0 / 78.0) / 2.0).abs() < 1e-6, "{slope}");
        assert!(run(&train, &test, &[-1.0], true, 10).is_err());
    }
}
