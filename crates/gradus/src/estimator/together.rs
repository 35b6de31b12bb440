//! Configurations trained together: linear models that share their rows, preprocessing and
//! data order train in lockstep on one [`SharedPass`] over the data
//! ([`Trainer::fit_together`]).

use super::{Fitted, ModelConfig};
use crate::data::batch::{BatchSize, Prepared, Sampling};
use crate::data::{Dataset, Features, Impute, Scaling};
use crate::error::{Error, Result};
use crate::problem::Gradient;
use crate::shared_pass::SharedPass;
use crate::train::{Member, Trainer};

/// What configurations must have in common to train in one pass over the same rows: the
/// preprocessing (so the gathered rows are the same), the outputs, and the batches of every
/// epoch (batch size, sampling and seed). Everything else (loss, penalty, update rule, learning
/// rate and schedule, epochs, stopping rules) may differ.
#[derive(Clone, Debug, PartialEq)]
pub struct PassKey {
    scaling: Scaling,
    target_scaling: Option<Scaling>,
    impute: Option<Impute>,
    outputs: usize,
    batch: BatchSize,
    sampling: Sampling,
    seed: u64,
}

impl ModelConfig {
    /// What a model of this configuration on the rows of `data` must share with others to
    /// train in one pass with them; `None` when it cannot share one: a network with hidden
    /// layers, a derivative-free search, gradients by finite differences, the full-gradient
    /// stopping test (`grad_tol`), which evaluates every row between epochs, or sparse rows,
    /// which a linear model trains on without making them dense (a pass's product would).
    pub fn pass_key(&self, data: &Dataset) -> Option<PassKey> {
        let (task, n_classes) = (data.task(), data.n_classes());
        let t = &self.train;
        let shares = self.architecture.hidden.is_empty()
            && !matches!(data.features(), Features::Csr(_))
            && t.strategy.search().is_none()
            && t.gradient == Gradient::Analytic
            && t.grad_tol.is_none();
        shares.then_some(PassKey {
            scaling: self.scaling,
            target_scaling: self.target_scaling,
            impute: self.impute,
            outputs: self.loss.outputs(task, n_classes).ok()?,
            batch: t.batch,
            sampling: t.sampling,
            seed: t.seed,
        })
    }
}

impl Fitted {
    /// A model of each configuration, trained on `train` ([`Fitted::fit`] without validation
    /// rows), all of them in lockstep on one [`SharedPass`] whose products run on `threads`
    /// threads. Each
    /// model's result is that model's (its training may fail, e.g. by diverging, without
    /// stopping the others); each equals training it alone to float rounding.
    ///
    /// # Errors
    /// [`Error::Param`] `model` when the configurations do not all have the same
    /// [`pass_key`](ModelConfig::pass_key); what [`Fitted::new`] returns.
    pub fn fit_together(configs: &[ModelConfig], train: &Dataset, threads: usize) -> Result<Vec<Result<Fitted>>> {
        let key = |c: &ModelConfig| c.pass_key(train);
        let first = configs.first().map(key);
        if configs.iter().any(|c| first != Some(key(c)) || key(c).is_none()) {
            return Err(Error::param(
                "model",
                "configurations that train together must be linear, on dense rows, trained by an update \
                 rule on the analytic gradient, with the same preprocessing, batch size, sampling and seed",
            ));
        }
        let Some((first, rest)) = configs.split_first() else {
            return Ok(Vec::new());
        };
        let lead = Fitted::new(first, train)?;
        let mut models = rest
            .iter()
            .map(|c| Fitted::sharing_preprocessing(c, &lead, train))
            .collect::<Result<Vec<_>>>()?;
        models.insert(0, lead);
        let lead = &models[0];
        let data = lead.prepare(train)?;
        let affine = lead.affine().clone();
        let rows = Prepared {
            data: &data,
            affine: &affine,
        };
        let mut pass = SharedPass::new(&rows, models.iter().map(|m| m.objective().clone()).collect(), threads)?;
        let configs = models.iter().map(|m| m.config().cloned()).collect::<Result<Vec<_>>>()?;
        let (mut trainers, mut states) = (Vec::new(), Vec::new());
        for (model, config) in models.iter_mut().zip(&configs) {
            let (trainer, state) = model.trainer(config)?;
            trainers.push(trainer);
            states.push(state);
        }
        let mut members: Vec<Member<f32>> = trainers
            .into_iter()
            .zip(models.iter_mut())
            .zip(&mut states)
            .map(|((trainer, model), state)| Member {
                trainer,
                params: model.params_mut(),
                state,
            })
            .collect();
        let reports = Trainer::fit_together(&mut members, &mut pass);
        drop(members);
        for (model, state) in models.iter_mut().zip(states) {
            model.keep_state(state);
        }
        Ok(reports
            .into_iter()
            .zip(models)
            .map(|(report, model)| report.map(|_| model))
            .collect())
    }
}
