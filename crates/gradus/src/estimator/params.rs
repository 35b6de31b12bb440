//! [`ModelParams`]: everything that decides a model before it sees data, checked once into a
//! [`ModelConfig`] (linfa's pattern: hyperparameters in, a validated type out).

use crate::data::Task;
use crate::data::spec::SplitRule;
use crate::data::{Impute, Scaling};
use crate::error::{Error, Result};
use crate::loss::{ClassWeight, Loss, SoftmaxCrossEntropy};
use crate::model::{Architecture, Init};
use crate::optim::HYPERPARAMETERS;
use crate::regularizer::Regularizer;
use crate::train::{StrategyParams, TrainConfig, TrainParams};

/// A model's hyperparameters as given, before validation.
#[derive(Clone, Debug)]
pub struct ModelParams {
    /// Hidden layers and activation (`linear`: none).
    pub architecture: Architecture,
    /// How the weights start.
    pub init: Init,
    /// The data loss, which also fixes the number of outputs.
    pub loss: Loss,
    /// The weight of each class's rows in the data loss (scikit-learn's `class_weight`; `None`:
    /// all 1), resolved on the training rows ([`ClassWeight::resolve`]); classifiers only.
    pub class_weight: Option<ClassWeight>,
    /// The penalty λR(θ).
    pub regularizer: Regularizer,
    /// Feature scaling, fitted on the training rows.
    pub scaling: Scaling,
    /// Target scaling of a regressor, fitted on the training rows; `None`: `standardize` for
    /// regression. Classifiers have none (giving one is an error).
    pub target_scaling: Option<Scaling>,
    /// How missing values of a table's numeric columns are filled, from the training rows
    /// (`None`: missing values are errors).
    pub impute: Option<Impute>,
    /// Update rule, schedule, batching, stopping and seed.
    pub train: TrainParams,
    /// Fraction held out for testing from a source without an official test split, in [0, 1).
    pub test_fraction: f64,
    /// Fraction of the training rows held out for validation, in [0, 1); `None`: 0.1 with early
    /// stopping (`train.patience`), else 0.
    pub val_fraction: Option<f64>,
    /// Whether the validation rows are given apart (a file of their own), so that none are held
    /// out of the training rows.
    pub val_data: bool,
}

impl Default for ModelParams {
    /// A linear softmax classifier on standardized features, [`TrainParams::default`]'s training,
    /// 20 % held out for testing, no validation split.
    fn default() -> Self {
        Self {
            architecture: Architecture::linear(),
            init: Init::Auto,
            loss: Loss::Softmax(SoftmaxCrossEntropy),
            class_weight: None,
            regularizer: Regularizer::none(),
            scaling: Scaling::Standardize,
            target_scaling: None,
            impute: None,
            train: TrainParams::default(),
            test_fraction: 0.2,
            val_fraction: None,
            val_data: false,
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
    /// The weight of each class's rows in the data loss, as asked for.
    pub class_weight: Option<ClassWeight>,
    /// The penalty.
    pub regularizer: Regularizer,
    /// Feature scaling.
    pub scaling: Scaling,
    /// Target scaling as asked for (see [`ModelParams::target_scaling`]).
    pub target_scaling: Option<Scaling>,
    /// How missing values are filled.
    pub impute: Option<Impute>,
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
    /// `val_fraction` 0 with early stopping, which needs validation rows; `val_fraction` given
    /// with `val_data`; `class_weight` with weights [`ClassWeight::check`] rejects, or with a
    /// regression loss.
    pub fn check(&self) -> Result<ModelConfig> {
        let train = self.train.check()?;
        if let Some(w) = &self.class_weight {
            w.check()?;
            if self.loss.task() == Task::Regress {
                return Err(Error::param(
                    "class_weight",
                    format!("{w} applies to classification, not to the {} loss", self.loss),
                ));
            }
        }
        if let (true, Some(f)) = (self.val_data, self.val_fraction) {
            return Err(Error::param(
                "val_fraction",
                format!("{f} cannot be given with validation rows of their own (val_data)"),
            ));
        }
        let val_fraction = self
            .val_fraction
            .unwrap_or(if train.patience.is_some() && !self.val_data {
                0.1
            } else {
                0.0
            });
        if train.patience.is_some() && val_fraction == 0.0 && !self.val_data {
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
            class_weight: self.class_weight.clone(),
            regularizer: self.regularizer,
            scaling: self.scaling,
            target_scaling: self.target_scaling,
            impute: self.impute,
            train,
            split,
        })
    }
}

impl ModelConfig {
    /// Every parameter by its name (as [`crate::Error::Param`] names it) and its value as text,
    /// in a fixed order: what two configurations are compared by.
    pub fn parameters(&self) -> Vec<(&'static str, String)> {
        let text = |v: Option<serde_json::Value>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
        let loss = serde_json::to_value(self.loss).unwrap_or_default();
        let optimizer = serde_json::to_value(StrategyParams::from(self.train.strategy.clone())).unwrap_or_default();
        let arch = &self.architecture;
        let model = if arch.hidden.is_empty() {
            "linear".to_string()
        } else {
            let widths: Vec<String> = arch.hidden.iter().map(|h| h.to_string()).collect();
            format!("mlp:{}", widths.join(","))
        };
        let t = &self.train;
        let mut all = vec![
            ("model", model),
            ("activation", arch.activation.to_string()),
            ("init", self.init.to_string()),
            ("loss", self.loss.to_string()),
            ("margin", text(loss.get("margin").cloned())),
            ("delta", text(loss.get("delta").cloned())),
            (
                "class_weight",
                self.class_weight
                    .as_ref()
                    .map_or_else(|| "none".into(), ClassWeight::to_string),
            ),
            ("reg", self.regularizer.penalty.to_string()),
            ("reg_bias", self.regularizer.include_bias.to_string()),
            ("scale", self.scaling.to_string()),
            (
                "target_scale",
                self.target_scaling.map_or_else(|| "default".into(), |s| s.to_string()),
            ),
            ("impute", self.impute.map_or_else(|| "none".into(), |i| i.to_string())),
            ("optimizer", t.strategy.name().to_string()),
        ];
        for name in HYPERPARAMETERS.iter().map(|h| h.0).chain(crate::search::VALUES) {
            all.push((name, text(optimizer.get(name).cloned())));
        }
        let opt = |v: Option<f64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
        all.extend([
            ("lr", t.schedule.base_lr.to_string()),
            ("schedule", t.schedule.schedule.to_string()),
            ("warmup", t.schedule.warmup.to_string()),
            ("batch_size", t.batch.to_string()),
            ("tol", opt(t.tol)),
            ("tol_epochs", t.tol_epochs.to_string()),
            ("grad_tol", opt(t.grad_tol)),
            ("sampling", format!("{:?}", t.sampling).to_lowercase()),
            ("freeze", t.freeze.join(",")),
            ("gradient", t.gradient.to_string()),
            (
                "patience",
                t.patience.map_or_else(|| "none".to_string(), |p| p.to_string()),
            ),
            (
                "average",
                t.average.map_or_else(|| "none".to_string(), |k| k.to_string()),
            ),
            ("clip_norm", opt(t.clip_norm)),
            ("noise", opt(t.noise)),
            ("seed", t.seed.to_string()),
            ("test_fraction", self.split.test_fraction.to_string()),
            ("val_fraction", self.split.val_fraction.to_string()),
        ]);
        all
    }

    /// The parameters whose values differ: `(name, value here, value in other)`.
    pub fn differences(&self, other: &ModelConfig) -> Vec<(&'static str, String, String)> {
        self.parameters()
            .into_iter()
            .zip(other.parameters())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((name, a), (_, b))| (name, a, b))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerParams;

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

    #[test]
    fn class_weights_are_checked_with_the_configuration() {
        let mut p = ModelParams {
            class_weight: Some(ClassWeight::Given(vec![1.0, -1.0])),
            ..ModelParams::default()
        };
        let e = p.check().unwrap_err().to_string();
        assert_eq!(e, "class_weight weights must be finite numbers ≥ 0, got -1");
        p.class_weight = Some(ClassWeight::Balanced);
        p.loss = Loss::new("squared", 1.0, 1.0).unwrap();
        let e = p.check().unwrap_err().to_string();
        assert_eq!(
            e,
            "class_weight balanced applies to classification, not to the squared loss"
        );
        p.loss = Loss::new("svm", 1.0, 1.0).unwrap();
        assert_eq!(p.check().unwrap().class_weight, Some(ClassWeight::Balanced));
    }

    #[test]
    fn differences_name_each_parameter() {
        let a = ModelParams::default().check().unwrap();
        let mut p = ModelParams::default();
        p.train.lr = Some(0.5);
        p.train.optimizer = OptimizerParams {
            momentum: Some(0.5),
            ..OptimizerParams::named("momentum")
        };
        p.train.patience = Some(2);
        p.class_weight = Some(ClassWeight::Balanced);
        let b = p.check().unwrap();
        let names: Vec<&str> = a.differences(&b).iter().map(|d| d.0).collect();
        assert_eq!(
            names,
            [
                "class_weight",
                "optimizer",
                "momentum",
                "dampening",
                "lr",
                "patience",
                "val_fraction"
            ]
        );
        assert!(a.differences(&a).is_empty());
    }
}
