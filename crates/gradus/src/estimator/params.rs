//! [`ModelParams`]: everything that decides a model before it sees data, checked once into a
//! [`ModelConfig`] (linfa's pattern: hyperparameters in, a validated type out).

use crate::data::Scaling;
use crate::data::spec::SplitRule;
use crate::error::{Error, Result};
use crate::loss::{Loss, SoftmaxCrossEntropy};
use crate::model::{Architecture, Init};
use crate::regularizer::Regularizer;
use crate::train::{TrainConfig, TrainParams};

/// A model's hyperparameters as given, before validation.
#[derive(Clone, Debug)]
pub struct ModelParams {
    /// Hidden layers and activation (`linear`: none).
    pub architecture: Architecture,
    /// How the weights start.
    pub init: Init,
    /// The data loss, which also fixes the number of outputs.
    pub loss: Loss,
    /// The penalty λR(θ).
    pub regularizer: Regularizer,
    /// Feature scaling, fitted on the training rows.
    pub scaling: Scaling,
    /// Update rule, schedule, batching, stopping and seed.
    pub train: TrainParams,
    /// Fraction held out for testing from a source without an official test split, in [0, 1).
    pub test_fraction: f64,
    /// Fraction of the training rows held out for validation, in [0, 1); `None`: 0.1 with early
    /// stopping (`train.patience`), else 0.
    pub val_fraction: Option<f64>,
}

impl Default for ModelParams {
    /// A linear softmax classifier on standardized features, [`TrainParams::default`]'s training,
    /// 20 % held out for testing, no validation split.
    fn default() -> Self {
        Self {
            architecture: Architecture::linear(),
            init: Init::Auto,
            loss: Loss::Softmax(SoftmaxCrossEntropy),
            regularizer: Regularizer::none(),
            scaling: Scaling::Standardize,
            train: TrainParams::default(),
            test_fraction: 0.2,
            val_fraction: None,
        }
    }
}

/// Validated model hyperparameters: what [`Fitted::new`](super::Fitted::new) builds a model from.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelConfig {
    /// Hidden layers and activation.
    pub architecture: Architecture,
    /// How the weights start.
    pub init: Init,
    /// The data loss.
    pub loss: Loss,
    /// The penalty.
    pub regularizer: Regularizer,
    /// Feature scaling.
    pub scaling: Scaling,
    /// The training loop's configuration.
    pub train: TrainConfig,
    /// How a data source is cut into train, validation and test rows (seeded by `train.seed`).
    pub split: SplitRule,
}

impl ModelParams {
    /// Checks every value once; errors name the parameter, the value and the valid range.
    ///
    /// # Errors
    /// [`Error::Param`]: anything [`TrainParams::check`] and [`SplitRule::check`] reject, and
    /// `val_fraction` 0 with early stopping, which needs validation rows.
    pub fn check(&self) -> Result<ModelConfig> {
        let train = self.train.check()?;
        let val_fraction = self
            .val_fraction
            .unwrap_or(if train.patience.is_some() { 0.1 } else { 0.0 });
        if train.patience.is_some() && val_fraction == 0.0 {
            return Err(Error::param(
                "val_fraction",
                "must be > 0 with early stopping (patience), which needs a validation split; got 0",
            ));
        }
        let split = SplitRule {
            test_fraction: self.test_fraction,
            val_fraction,
            seed: train.seed,
        }
        .check()?;
        Ok(ModelConfig {
            architecture: self.architecture.clone(),
            init: self.init,
            loss: self.loss,
            regularizer: self.regularizer,
            scaling: self.scaling,
            train,
            split,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_stopping_needs_validation_rows() {
        let mut p = ModelParams::default();
        p.train.patience = Some(3);
        assert_eq!(p.check().unwrap().split.val_fraction, 0.1);
        p.val_fraction = Some(0.0);
        let e = p.check().unwrap_err().to_string();
        assert!(e.starts_with("val_fraction must be > 0 with early stopping"), "{e}");
        p.train.batch = crate::data::batch::BatchSize::Rows(0);
        assert!(p.check().unwrap_err().to_string().starts_with("batch_size"));
    }
}
