//! Training hyperparameters: [`TrainParams`] as the user gives them, checked once into a
//! [`TrainConfig`] whose every value is known to be valid.

use super::strategy::{Strategy, StrategyParams};
use crate::data::batch::{BatchSize, Sampling};
use crate::error::{Error, Result};
use crate::optim::{OptimizerParams, Preset};
use crate::problem::Gradient;
use crate::schedule::{LrSchedule, Schedule};
use crate::search::SearchParams;
use serde::{Deserialize, Serialize};

/// Training hyperparameters before validation.
#[derive(Clone, Debug)]
pub struct TrainParams {
    /// Maximum number of epochs (≥ 1).
    pub epochs: u64,
    /// Rows per batch.
    pub batch: BatchSize,
    /// Base learning rate α₀; `None` takes the update rule's default under `preset`.
    pub lr: Option<f64>,
    /// Whose default learning rate applies when `lr` is `None`: gradus' (default) or torch's.
    pub preset: Preset,
    /// The update rule and its hyperparameters, or the name of a derivative-free search
    /// ([`crate::search::NAMES`]).
    pub optimizer: OptimizerParams,
    /// A derivative-free search's values (trials, step, initial scale).
    pub search: SearchParams,
    /// The step-size schedule.
    pub schedule: Schedule,
    /// Linear warm-up steps.
    pub warmup: u64,
    /// Stop when the epoch objective changes by at most this much, `tol_epochs` epochs in a row.
    pub tol: Option<f64>,
    /// How many consecutive epochs the change must stay within `tol` (≥ 1; default
    /// [`DEFAULT_TOL_EPOCHS`]).
    pub tol_epochs: u64,
    /// Stop when the gradient norm ‖∇L(θ)‖₂ on the whole training split is at most this.
    pub grad_tol: Option<f64>,
    /// Stop when the validation loss has not improved for this many epochs.
    pub patience: Option<u64>,
    /// Polyak–Ruppert averaging from optimizer step k₀ ≥ 1 on (`None`: the model is the last
    /// iterate); see [`Average`](super::Average).
    pub average: Option<u64>,
    /// Clip the global gradient norm to this value.
    pub clip_norm: Option<f64>,
    /// Add Gaussian noise of this standard deviation to every gradient.
    pub noise: Option<f64>,
    /// Seed of the epoch permutations and the gradient noise.
    pub seed: u64,
    /// Threads for matrix products.
    pub threads: usize,
    /// How an epoch draws its rows.
    pub sampling: Sampling,
    /// Parameters to keep at their initial values: layers (`layers.0`) or tensors
    /// (`layers.1.bias`), checked against the model by [`Freeze::new`](super::Freeze::new).
    pub freeze: Vec<String>,
    /// How the gradient is computed.
    pub gradient: Gradient,
}

/// The default of [`TrainParams::tol_epochs`]: the change of the epoch objective must stay
/// within `tol` for 5 epochs in a row (scikit-learn's `n_iter_no_change` default).
pub const DEFAULT_TOL_EPOCHS: u64 = 5;

impl Default for TrainParams {
    /// 10 epochs of plain SGD at gradus' default rate (0.1), batches of 64, constant schedule,
    /// no stopping rule but the budget, seed 0, one thread.
    fn default() -> Self {
        Self {
            epochs: 10,
            batch: BatchSize::Rows(64),
            lr: None,
            preset: Preset::Gradus,
            optimizer: OptimizerParams::named("sgd"),
            search: SearchParams::default(),
            schedule: Schedule::Constant,
            warmup: 0,
            tol: None,
            tol_epochs: DEFAULT_TOL_EPOCHS,
            grad_tol: None,
            patience: None,
            average: None,
            clip_norm: None,
            noise: None,
            seed: 0,
            threads: 1,
            sampling: Sampling::Permutation,
            freeze: Vec::new(),
            gradient: Gradient::Analytic,
        }
    }
}

/// Validated training hyperparameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Maximum number of epochs (for a search, at most its trials).
    pub epochs: u64,
    /// Rows per batch (a search's trials: full).
    pub batch: BatchSize,
    /// The update rule or the search (a model file's `optimizer`, written as the rule alone
    /// for an update rule, so those files are as before searches existed).
    #[serde(rename = "optimizer")]
    pub strategy: Strategy,
    /// The learning rate as a function of progress (for a search, which has none, the
    /// constant 1, unused).
    pub schedule: LrSchedule,
    /// Convergence tolerance on the epoch objective.
    pub tol: Option<f64>,
    /// Consecutive epochs the objective's change must stay within `tol` (written only when it
    /// is not [`DEFAULT_TOL_EPOCHS`]: fields added after the first model files are left out at
    /// their defaults, so those files stay as they were).
    #[serde(default = "default_tol_epochs", skip_serializing_if = "is_default_tol_epochs")]
    pub tol_epochs: u64,
    /// Gradient-norm tolerance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_tol: Option<f64>,
    /// Early-stopping patience in epochs.
    pub patience: Option<u64>,
    /// The first optimizer step k₀ ≥ 1 whose iterate enters the Polyak–Ruppert average, which
    /// is then the model ([`Average`](super::Average)); `None`: no averaging (and left out of
    /// the serialized form, so model files are as before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<u64>,
    /// Global gradient-norm bound.
    pub clip_norm: Option<f64>,
    /// Standard deviation of the Gaussian noise added to every gradient (left out of the
    /// serialized form when there is none, so model files are as before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// Seed of the epoch permutations and the gradient noise.
    pub seed: u64,
    /// Threads of the caller's pool (not written to model files: results are the same bits on
    /// any count, [`Buffers`](crate::objective::Buffers)).
    #[serde(skip, default = "one")]
    pub threads: usize,
    /// How an epoch draws its rows.
    #[serde(default, skip_serializing_if = "Sampling::is_permutation")]
    pub sampling: Sampling,
    /// Layers or tensors kept at their initial values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub freeze: Vec<String>,
    /// How the gradient is computed.
    #[serde(default, skip_serializing_if = "Gradient::is_analytic")]
    pub gradient: Gradient,
}

fn one() -> usize {
    1
}

fn default_tol_epochs() -> u64 {
    DEFAULT_TOL_EPOCHS
}

fn is_default_tol_epochs(k: &u64) -> bool {
    *k == DEFAULT_TOL_EPOCHS
}

impl TrainParams {
    /// Checks every value and builds the configuration; errors name the parameter and the value.
    pub fn check(&self) -> Result<TrainConfig> {
        if self.epochs == 0 {
            return Err(Error::param("epochs", "must be at least 1, got 0"));
        }
        if self.batch == BatchSize::Rows(0) {
            return Err(Error::param(
                "batch_size",
                "must be a positive number of rows or 'full', got 0",
            ));
        }
        let positive = |name: &str, v: Option<f64>, allow_zero: bool| match v {
            Some(x) if !x.is_finite() || x < 0.0 || (!allow_zero && x == 0.0) => {
                let bound = if allow_zero { "≥ 0" } else { "> 0" };
                Err(Error::param(name, format!("must be a finite number {bound}, got {x}")))
            }
            _ => Ok(v),
        };
        let tol = positive("tol", self.tol, true)?;
        if self.tol_epochs == 0 {
            return Err(Error::param("tol_epochs", "must be at least 1, got 0"));
        }
        let grad_tol = positive("grad_tol", self.grad_tol, true)?;
        let clip_norm = positive("clip_norm", self.clip_norm, false)?;
        let noise = positive("noise", self.noise, true)?.filter(|&s| s > 0.0);
        let lr = positive("lr", self.lr, false)?;
        let strategy = StrategyParams {
            rule: self.optimizer.clone(),
            search: self.search.clone(),
        }
        .build()?;
        if self.patience == Some(0) {
            return Err(Error::param("early_stopping", "must be at least 1 epoch, got 0"));
        }
        if self.average == Some(0) {
            return Err(Error::param("average", "must be at least 1 step, got 0"));
        }
        let (schedule, epochs) = match &strategy {
            Strategy::Gradient(optimizer) => {
                let lr = lr.unwrap_or_else(|| self.preset.lr(optimizer));
                let decay = OptimizerParams::from(optimizer.clone()).weight_decay;
                if !self.freeze.is_empty() && decay.is_some_and(|d| d > 0.0) {
                    return Err(Error::param(
                        "freeze",
                        format!(
                            "cannot be combined with {}'s weight decay {}, which would still move the frozen weights: \
                             set the weight decay to 0, or penalise with an L2 term instead, whose gradient is masked too",
                            optimizer.name(),
                            decay.unwrap_or(0.0)
                        ),
                    ));
                }
                (LrSchedule::new(lr, self.schedule.clone(), self.warmup)?, self.epochs)
            }
            Strategy::Search(search) => {
                self.gradient_only(search.name())?;
                let unused = LrSchedule::new(1.0, Schedule::Constant, 0)?;
                (unused, self.epochs.min(search.trials()))
            }
        };
        Ok(TrainConfig {
            epochs,
            batch: self.batch,
            strategy,
            schedule,
            tol,
            tol_epochs: self.tol_epochs,
            grad_tol,
            patience: self.patience,
            average: self.average,
            clip_norm,
            noise,
            seed: self.seed,
            threads: self.threads.max(1),
            sampling: self.sampling,
            freeze: self.freeze.clone(),
            gradient: self.gradient,
        })
    }

    /// Fails on the first option given that only gradient training uses, for the search
    /// `name`: its trials evaluate the whole training split and take no gradient steps.
    fn gradient_only(&self, name: &str) -> Result<()> {
        let d = TrainParams::default();
        let given = [
            ("lr", self.lr.is_some()),
            ("preset", self.preset != d.preset),
            ("schedule", self.schedule != d.schedule),
            ("warmup", self.warmup != d.warmup),
            ("grad_tol", self.grad_tol.is_some()),
            ("clip_norm", self.clip_norm.is_some()),
            ("noise", self.noise.is_some()),
            ("sampling", self.sampling != d.sampling),
            ("freeze", !self.freeze.is_empty()),
            ("gradient", self.gradient != d.gradient),
            ("average", self.average.is_some()),
        ];
        if let Some((flag, _)) = given.iter().find(|(_, given)| *given) {
            return Err(Error::param(
                *flag,
                format!("does not apply to {name}, which takes no gradient steps"),
            ));
        }
        if self.batch != BatchSize::Full {
            return Err(Error::param(
                "batch_size",
                format!(
                    "must be full for {name}: each trial evaluates the whole training split, got {}",
                    self.batch
                ),
            ));
        }
        Ok(())
    }
}
