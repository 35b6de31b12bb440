//! The lectures' sanity check "what is the loss at initialisation?" (CS231n, "Neural Networks
//! Part 3"): with small random weights and zero biases every score is near 0, so the loss is
//! near its value at zero scores — ln C for softmax, (C − 1)Δ for the multiclass hinge,
//! (C − 1)Δ² for the squared hinge ([`Loss::value_at_zero_scores`]). A first loss far from it
//! points at a bug or a bad initial scale. The loss is measured on a data set for weights
//! N(0, σ²) of growing σ, and departs from the formula as σ grows.

use crate::data::Dataset;
use crate::data::batch::Prepared;
use crate::data::preprocess::Scaling;
use crate::error::{Error, Result};
use crate::loss::Loss;
use crate::model::{Architecture, Init, Network};
use crate::objective::Objective;
use crate::problem::Problem;
use crate::regularizer::Regularizer;

/// One measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The loss.
    pub loss: Loss,
    /// σ of the initial weights.
    pub sigma: f64,
    /// The mean loss over the data at that initialisation.
    pub measured: f64,
    /// Its value at zero scores.
    pub formula: f64,
}

/// The loss of each of `losses` at `architecture` initialised N(0, σ²) (biases 0, seed
/// `seed`) on `data` (standardized), for each σ of `sigmas`.
///
/// # Errors
/// [`Error::Param`] for a σ that is not finite and > 0, a regression loss; [`Error::Data`] when
/// a loss does not fit the data.
pub fn run(
    data: &Dataset,
    architecture: &Architecture,
    losses: &[Loss],
    sigmas: &[f64],
    seed: u64,
) -> Result<Vec<Row>> {
    if let Some(s) = sigmas.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
        return Err(Error::param("sigmas", format!("must be finite numbers > 0, got {s}")));
    }
    let affine = Scaling::Standardize.fit(data);
    let prepared = Prepared { data, affine: &affine };
    let rows: Vec<usize> = (0..data.len()).collect();
    let mut out = Vec::new();
    for &loss in losses {
        let formula = loss.value_at_zero_scores(data.n_classes()).ok_or_else(|| {
            Error::param(
                "losses",
                format!("{loss} is a regression loss, without a value at zero scores"),
            )
        })?;
        let outputs = loss.outputs(data.task(), data.n_classes())?;
        let network = Network::new(data.n_features(), architecture, outputs)?;
        let objective = Objective {
            network,
            loss,
            class_weight: None,
            regularizer: Regularizer::none(),
        };
        let mut problem = objective.on::<f64, _>(&prepared);
        for &sigma in sigmas {
            let params: Vec<f64> = objective.network.init_with(Init::Normal(sigma), seed);
            let measured = problem.value(&params, &rows).data_loss;
            out.push(Row {
                loss,
                sigma,
                measured,
                formula,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the digits (C = 10) at σ = 10⁻³: softmax ln 10 = 2.302585…, hinge 9, squared hinge
    /// 9, each within 1 %; at σ = 1 they are far off.
    #[test]
    fn small_weights_give_ln_c_and_c_minus_one() {
        let digits = crate::data::digits::load().unwrap();
        let losses = [
            Loss::new("softmax", 1.0, 1.0).unwrap(),
            Loss::new("svm", 1.0, 1.0).unwrap(),
            Loss::new("squared-svm", 1.0, 1.0).unwrap(),
        ];
        let rows = run(&digits, &Architecture::linear(), &losses, &[1e-3, 1.0], 0).unwrap();
        let want = [10f64.ln(), 9.0, 9.0];
        for (pair, w) in rows.chunks(2).zip(want) {
            assert_eq!(pair[0].formula, w);
            assert!((pair[0].measured - w).abs() < 0.01 * w, "{:?}", pair[0]);
            assert!((pair[1].measured - w).abs() > 0.1 * w, "{:?}", pair[1]);
        }
        assert!(run(&digits, &Architecture::linear(), &losses, &[0.0], 0).is_err());
    }
}
