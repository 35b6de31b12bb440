//! [`Fitted`]: a model with its preprocessing and, while it trains, its training state.

use super::ModelConfig;
use super::checkpoints::{Checkpointing, Checkpoints};
use crate::collective::{Collective, Reduce};
use crate::data::batch::Prepared;
use crate::data::encode::Encoded;
use crate::data::{Dataset, Encoding, Features, Scaling, Targets, Task};
use crate::error::{Error, Result};
use crate::loss::ClassWeights;
use crate::metrics::{self, ClassMetrics};
use crate::model::Network;
use crate::modelfile::{self, DataOrigin, ModelMeta, SavedModel};
use crate::objective::{CHUNK_ROWS, Objective};
use crate::problem::{Gradient, NumericalGradient, Problem};
use crate::train::{
    Chain, EpochReport, FitReport, Freeze, Layers, Observer, Silent, StopReason, TrainConfig, TrainState, Trainer,
};
use serde::Serialize;
use std::borrow::Cow;
use std::path::Path;

/// A model: network, loss and regulariser, parameters, fitted preprocessing, and the record of
/// how it was made ([`ModelMeta`]). While it trains (and in a checkpoint) it also carries its
/// [`TrainState`], so [`train`](Self::train) continues exactly where it stopped.
///
/// With averaging ([`Average`](crate::train::Average)) the model is the average of the
/// iterates: [`params`](Self::params) are the average, and so are its predictions, scores and
/// saved weights; the iterate the steps go on from is [`iterate`](Self::iterate), and a
/// checkpoint holds both.
#[derive(Clone, Debug)]
pub struct Fitted {
    model: SavedModel,
    objective: Objective,
    threads: usize,
}

/// Predictions for a set of rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Predictions {
    /// The predicted class of each row.
    Classes(Vec<usize>),
    /// The predicted value of each row.
    Values(Vec<f32>),
}

/// A model's figures on a set of rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// Rows scored.
    pub rows: usize,
    /// `L = (1/N) Σ L_i + λR(θ)`.
    pub objective: f64,
    /// `(1/N) Σ L_i`.
    pub loss: f64,
    /// Fraction classified correctly (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Root-mean-square error (regressors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rmse: Option<f64>,
}

impl Fitted {
    /// A model of `config` for the shape of `train` (features, classes), its preprocessing
    /// fitted on `train` and its parameters initialised as `config.init` says from
    /// `config.train.seed`: ready to [`train`](Self::train).
    ///
    /// # Errors
    /// [`Error::Data`] when the loss does not fit the data's task or classes; [`Error::Param`]
    /// `freeze` when `config.train.freeze` names no tensor of the model ([`Freeze::new`]), and
    /// `class_weight` when the class weights do not fit the training rows
    /// ([`ClassWeight::resolve`](crate::loss::ClassWeight::resolve)).
    pub fn new(config: &ModelConfig, train: &Dataset) -> Result<Self> {
        let encoding = Encoding::fit(train, config.impute)?;
        let encoded = match &encoding {
            Some(e) => e.apply(train)?.data,
            None => Cow::Borrowed(train),
        };
        let train = &*encoded;
        let target_scaling = match (train.targets(), config.target_scaling) {
            (Targets::Values(_), s) => Some(s.unwrap_or(Scaling::Standardize)).filter(|s| *s != Scaling::None),
            (Targets::Classes { .. }, None) => None,
            (Targets::Classes { .. }, Some(s)) => {
                return Err(Error::param(
                    "target_scale",
                    format!("{s} applies to regression targets, and these are classes"),
                ));
            }
        };
        let mut affine = config.scaling.fit(train);
        if let (Some(s), Targets::Values(y)) = (target_scaling, train.targets()) {
            let (shift, scale) = s.fit_values(y);
            affine = affine.with_target(shift, scale);
        }
        Self::with_preprocessing(config, train, encoding, target_scaling, affine)
    }

    /// A model of `config` with the preprocessing of `lead` (fitted on the same rows `train`
    /// with the same scaling and imputation), without fitting it again.
    pub(super) fn sharing_preprocessing(config: &ModelConfig, lead: &Fitted, train: &Dataset) -> Result<Self> {
        let meta = &lead.model.meta;
        Self::with_preprocessing(
            config,
            &*lead.prepare(train)?,
            meta.encoding.clone(),
            meta.target_scaling,
            lead.model.affine.clone(),
        )
    }

    /// A model of `config` for the encoded rows `train`, with fitted preprocessing.
    fn with_preprocessing(
        config: &ModelConfig,
        train: &Dataset,
        encoding: Option<Encoding>,
        target_scaling: Option<Scaling>,
        affine: crate::data::Affine,
    ) -> Result<Self> {
        let outputs = config.loss.outputs(train.task(), train.n_classes())?;
        let network = Network::new(train.n_features(), &config.architecture, outputs)?;
        Freeze::new(network.layout(), &config.train.freeze)?;
        let params = network.init_with(config.init, config.train.seed);
        let class_weight = match (&config.class_weight, train.labels()) {
            (Some(w), Some(labels)) => Some(w.resolve(labels, train.n_classes())?),
            _ => None,
        };
        let meta = ModelMeta {
            architecture: network.architecture(),
            inputs: network.inputs(),
            outputs,
            loss: config.loss,
            class_weight,
            regularizer: config.regularizer,
            task: train.task(),
            n_classes: train.n_classes(),
            class_names: train.class_names().map(<[String]>::to_vec),
            scaling: config.scaling,
            target_scaling,
            data: None,
            train: Some(config.train.clone()),
            init: config.init,
            progress: Some(TrainState::new(&config.train.strategy, params.len())),
            encoding,
        };
        let model = SavedModel { meta, params, affine };
        Self::from_saved(model, config.train.threads)
    }

    /// [`new`](Self::new), then [`train`](Self::train) to the end without observers.
    pub fn fit(config: &ModelConfig, train: &Dataset, val: Option<&Dataset>) -> Result<Self> {
        let mut model = Self::new(config, train)?;
        model.train(train, val, &mut Silent, None)?;
        Ok(model)
    }

    /// A saved model (or checkpoint), predicting with `threads` threads.
    pub fn from_saved(model: SavedModel, threads: usize) -> Result<Self> {
        let objective = model.objective()?;
        objective.check_params(&model.params)?;
        let mut fitted = Self {
            model,
            objective,
            threads: 1,
        };
        fitted.set_threads(threads);
        Ok(fitted)
    }

    /// Reads a model file or checkpoint ([`modelfile::load`]).
    pub fn load(path: &Path, threads: usize) -> Result<Self> {
        Self::from_saved(modelfile::load(path)?, threads)
    }

    /// Writes the model ([`params`](Self::params)), without its training state, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut meta = self.model.meta.clone();
        meta.progress = None;
        modelfile::save(
            path,
            &SavedModel {
                meta,
                params: self.params().to_vec(),
                affine: self.model.affine.clone(),
            },
        )
    }

    /// Writes the model with its training state (a checkpoint to [`train`](Self::train) on
    /// from), atomically.
    pub fn save_checkpoint(&self, path: &Path) -> Result<()> {
        modelfile::save(path, &self.model)
    }

    /// Trains on `train` until a stopping rule of the configuration fires ([`Trainer::fit`]),
    /// from the training state the model carries (a fresh model's, or a checkpoint's);
    /// `val` drives early stopping and reduce-on-plateau. With `checkpoint`, the model and its
    /// state are saved there after every epoch, every [`Checkpointing::every`] steps, and when
    /// the observer stops training between two steps.
    ///
    /// # Errors
    /// [`Error::Data`] when the rows do not fit the model; whatever training returns.
    pub fn train(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        observer: &mut dyn Observer,
        checkpoint: Option<Checkpointing>,
    ) -> Result<FitReport> {
        self.train_on(train, val, observer, checkpoint, None)
    }

    /// [`train`](Self::train) as rank `comm.rank()` of a data-parallel run: every rank calls it
    /// with the same model, configuration and rows, and every evaluation is shared out over the
    /// ranks and combined as `reduce` says ([`Objective::distributed`]), so every rank ends
    /// with the same model — with [`Reduce::Exact`], the same bits as [`train`](Self::train)
    /// in one process. Only the caller decides who writes: give `checkpoint` and an observer
    /// that writes on one rank alone (the observer's
    /// [`stop_requested`](Observer::stop_requested) must answer alike on every rank).
    ///
    /// # Errors
    /// As [`train`](Self::train); [`Error::Param`] `distributed` for a linear model on sparse
    /// rows.
    pub fn train_distributed(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        observer: &mut dyn Observer,
        checkpoint: Option<Checkpointing>,
        comm: &dyn Collective,
        reduce: Reduce,
    ) -> Result<FitReport> {
        self.train_on(train, val, observer, checkpoint, Some((comm, reduce)))
    }

    /// [`train`](Self::train) in this process, or on one rank of `ranks`.
    fn train_on(
        &mut self,
        train: &Dataset,
        val: Option<&Dataset>,
        observer: &mut dyn Observer,
        checkpoint: Option<Checkpointing>,
        ranks: Option<(&dyn Collective, Reduce)>,
    ) -> Result<FitReport> {
        let train = self.prepare(train)?;
        let val = val.map(|v| self.prepare(v)).transpose()?;
        let config = self.config()?.clone();
        let affine = self.model.affine.clone();
        let train = Prepared {
            data: &train,
            affine: &affine,
        };
        let val = val.as_deref().map(|data| Prepared { data, affine: &affine });
        let mut train = problem(&self.objective, &train, config.gradient, ranks)?;
        let mut val = val
            .as_ref()
            .map(|v| problem(&self.objective, v, config.gradient, ranks))
            .transpose()?;
        let report = fit_problem(
            &self.objective,
            &mut self.model,
            &config,
            &mut *train,
            val.as_deref_mut(),
            observer,
            checkpoint,
        )?;
        // Interrupted between two steps: the checkpoint holds the place within the epoch.
        if let (StopReason::Requested, Some(plan)) = (&report.stop, checkpoint) {
            self.save_checkpoint(plan.path)?;
        }
        Ok(report)
    }

    /// The trainer of `config` for this model (its transform chain, its layers) and the
    /// training state the model carries, taken out of it (a fresh state when it carries none);
    /// [`keep_state`](Self::keep_state) gives it back.
    ///
    /// # Errors
    /// What [`Chain::for_model`] returns (the state then stays with the model).
    pub(super) fn trainer<'c>(&mut self, config: &'c TrainConfig) -> Result<(Trainer<'c, f32>, TrainState<f32>)> {
        let trainer = trainer_for(&self.objective, config)?;
        Ok((trainer, take_state(&mut self.model, config)))
    }

    /// The parameters, to train.
    pub(super) fn params_mut(&mut self) -> &mut [f32] {
        &mut self.model.params
    }

    /// Gives the model the training state it reached.
    pub(super) fn keep_state(&mut self, state: TrainState<f32>) {
        self.model.meta.progress = Some(state);
    }

    /// One more epoch over `data` (scikit-learn's `partial_fit`): the configured batches of
    /// the permutation of the next epoch, from the state the model carries.
    pub fn partial_fit(&mut self, data: &Dataset) -> Result<EpochReport> {
        let data = self.prepare(data)?;
        let data = &*data;
        let config = self.config()?.clone();
        let SavedModel { meta, params, affine } = &mut self.model;
        let state = meta
            .progress
            .get_or_insert_with(|| TrainState::new(&config.strategy, params.len()));
        let rows = Prepared { data, affine };
        let mut problem = NumericalGradient::new(self.objective.on(&rows), config.gradient);
        let layout = self.objective.network.layout();
        let chain = Chain::for_model(&config, layout)?;
        let e = Trainer::with_transforms(&config, chain)
            .with_layers(Layers::of(layout))
            .run_epoch(&mut problem, params, state, &mut Silent)?
            .ok_or_else(|| Error::data("the epoch was interrupted"))?;
        Ok(EpochReport {
            epoch: e.epoch,
            objective: e.objective,
            train_accuracy: e.train_accuracy,
            val_loss: None,
            val_accuracy: None,
            lr: e.lr,
            seconds: e.seconds,
            evaluations: e.evaluations,
            examples: e.examples,
            grad_norm: None,
            mean_grad_norm: e.mean_grad_norm,
            updates: e.updates,
        })
    }

    /// The scores `f(x; θ)` of every row, `rows × outputs`, row-major; a regressor's in the
    /// target's units (mapped back from scaled targets).
    pub fn decision_function(&self, data: &Dataset) -> Result<Vec<f32>> {
        let data = self.prepare(data)?;
        let data = &*data;
        let affine = &self.model.affine;
        let rows = Prepared { data, affine };
        let mut scores = self.objective.scores(self.params(), &rows, self.threads);
        if affine.target().is_some() {
            scores.iter_mut().for_each(|s| *s = affine.unscale_target(*s));
        }
        Ok(scores)
    }

    /// The predicted class (classifiers) or value (regressors) of every row.
    pub fn predict(&self, data: &Dataset) -> Result<Predictions> {
        let scores = self.decision_function(data)?;
        Ok(match self.model.meta.task {
            Task::Classify => Predictions::Classes(
                scores
                    .chunks_exact(self.model.meta.outputs)
                    .map(|s| self.objective.loss.predict_class(s))
                    .collect(),
            ),
            Task::Regress => Predictions::Values(scores),
        })
    }

    /// Each row's class probabilities (softmax and logistic models).
    ///
    /// # Errors
    /// [`Error::Param`] `loss` for a model whose loss gives no probabilities.
    pub fn predict_proba(&self, data: &Dataset) -> Result<Vec<Vec<f64>>> {
        let loss = self.objective.loss;
        if self.model.meta.task != Task::Classify || loss.probabilities(&vec![0.0; self.model.meta.outputs]).is_none() {
            return Err(Error::param(
                "loss",
                format!("{loss} gives no probabilities: use a model trained with the softmax or logistic loss"),
            ));
        }
        let scores = self.decision_function(data)?;
        Ok(scores
            .chunks_exact(self.model.meta.outputs)
            .filter_map(|s| loss.probabilities(s))
            .collect())
    }

    /// Objective, data loss, and accuracy or RMSE on every row of `data`.
    pub fn score(&self, data: &Dataset) -> Result<Score> {
        let inputs = self.prepare(data)?;
        let prepared = Prepared {
            data: &inputs,
            affine: &self.model.affine,
        };
        let all: Vec<usize> = (0..data.len()).collect();
        let s = self.objective.on(&prepared).value(self.params(), &all);
        let (accuracy, rmse) = match data.targets() {
            Targets::Classes { .. } => (Some(s.correct as f64 / s.rows.max(1) as f64), None),
            Targets::Values(t) => (None, Some(metrics::rmse(&self.decision_function(data)?, t))),
        };
        Ok(Score {
            rows: data.len(),
            objective: s.objective,
            loss: s.data_loss,
            accuracy,
            rmse,
        })
    }

    /// Accuracy, per-class precision and recall, and the confusion matrix on `data`
    /// (classifiers; `None` for a regressor or unlabelled rows).
    pub fn class_metrics(&self, data: &Dataset) -> Result<Option<ClassMetrics>> {
        let (Predictions::Classes(predicted), Some(labels)) = (self.predict(data)?, data.labels()) else {
            return Ok(None);
        };
        Ok(Some(metrics::classification(
            &predicted,
            labels,
            self.model.meta.n_classes,
        )))
    }

    /// The class names, or the class numbers where the model has none.
    pub fn class_names(&self) -> Vec<String> {
        let meta = &self.model.meta;
        (0..meta.n_classes)
            .map(|c| {
                meta.class_names
                    .as_ref()
                    .and_then(|n| n.get(c).cloned())
                    .unwrap_or_else(|| c.to_string())
            })
            .collect()
    }

    /// What the model is and how it was made.
    pub fn meta(&self) -> &ModelMeta {
        &self.model.meta
    }

    /// The model's flat parameters, in the network's layout: the average of the iterates once
    /// averaging has begun ([`TrainState::model`]), else the trained parameters.
    pub fn params(&self) -> &[f32] {
        match &self.model.meta.progress {
            Some(state) => state.model(&self.model.params),
            None => &self.model.params,
        }
    }

    /// The iterate θ the update rule steps (the optimizer's path): [`params`](Self::params)
    /// unless averaging has begun.
    pub fn iterate(&self) -> &[f32] {
        &self.model.params
    }

    /// The objective the model is trained on.
    pub fn objective(&self) -> &Objective {
        &self.objective
    }

    /// The fitted preprocessing.
    pub fn affine(&self) -> &crate::data::Affine {
        &self.model.affine
    }

    /// The training state, while the model has one (fresh, trained in this process, or a
    /// checkpoint).
    pub fn state(&self) -> Option<&TrainState<f32>> {
        self.model.meta.progress.as_ref()
    }

    /// Drops the training state, keeping the model's parameters (the average, with averaging):
    /// the next [`train`](Self::train) starts at epoch 0 with a fresh update-rule state, schedule
    /// and average from there (scikit-learn's `warm_start`, where every `fit` runs `max_iter`
    /// epochs again).
    pub fn restart(&mut self) {
        if let Some(average) = self.model.meta.progress.take().and_then(|s| s.average) {
            self.model.params = average.params().to_vec();
        }
    }

    /// The training configuration.
    ///
    /// # Errors
    /// [`Error::Data`] for a model file that records none.
    pub fn config(&self) -> Result<&TrainConfig> {
        self.model
            .meta
            .train
            .as_ref()
            .ok_or_else(|| Error::data("the model records no training configuration"))
    }

    /// The configuration the model was made with, as a [`ModelConfig`] (to compare a resumed
    /// run's request with).
    ///
    /// # Errors
    /// [`Error::Data`] for a model file that records no training configuration.
    pub fn model_config(&self) -> Result<ModelConfig> {
        let meta = &self.model.meta;
        let train = self.config()?.clone();
        let split = meta.data.as_ref().map_or(
            crate::data::spec::SplitRule {
                test_fraction: 0.2,
                val_fraction: 0.0,
                seed: train.seed,
            },
            |o| o.split,
        );
        Ok(ModelConfig {
            architecture: meta.architecture.clone(),
            init: meta.init,
            loss: meta.loss,
            class_weight: meta.class_weight.as_ref().map(ClassWeights::asked),
            regularizer: meta.regularizer,
            scaling: meta.scaling,
            target_scaling: meta
                .target_scaling
                .or((meta.task == Task::Regress).then_some(Scaling::None)),
            impute: meta.encoding.as_ref().and_then(|e| e.impute),
            train,
            split,
        })
    }

    /// Records where the training rows came from, so that `eval` can find the same test rows.
    pub fn set_origin(&mut self, origin: DataOrigin) {
        self.model.meta.data = Some(origin);
    }

    /// Sets the epoch budget (to train a checkpoint further).
    ///
    /// # Errors
    /// [`Error::Param`] `epochs` for 0, for a model without a training configuration, or for a
    /// search asked for another number of epochs than it began with: its trials are shared out
    /// over those ([`Strategy::trials_in_epoch`](crate::train::Strategy::trials_in_epoch)).
    pub fn set_epochs(&mut self, epochs: u64) -> Result<()> {
        if epochs == 0 {
            return Err(Error::param("epochs", "must be at least 1, got 0"));
        }
        match &mut self.model.meta.train {
            Some(train)
                if train
                    .strategy
                    .search()
                    .is_some_and(|s| epochs.min(s.trials()) != train.epochs) =>
            {
                Err(Error::param(
                    "epochs",
                    format!(
                        "cannot change for {}: its trials are shared out over the {} epochs it began with",
                        train.strategy.name(),
                        train.epochs
                    ),
                ))
            }
            Some(train) => {
                train.epochs = epochs;
                Ok(())
            }
            None => Err(Error::param("epochs", "cannot be set: the model records no training")),
        }
    }

    /// Sets the threads of the matrix products of predictions ([`Objective::scores`]); training
    /// and scores run on the caller's rayon pool, and give the same bits on any number of
    /// threads ([`Buffers`](crate::objective::Buffers)).
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
        if let Some(train) = &mut self.model.meta.train {
            train.threads = self.threads;
        }
    }

    /// Checks that `data` has the model's features and no class it does not know.
    /// `data` as the network's inputs (encoded as the model's table columns are), checked to
    /// fit the model.
    ///
    /// # Errors
    /// [`Error::Data`] when the rows do not fit: other columns, features or classes.
    pub(super) fn prepare<'a>(&self, data: &'a Dataset) -> Result<Cow<'a, Dataset>> {
        let data = self.encode(data)?.data;
        self.check_rows(&data)?;
        Ok(data)
    }

    /// `data`'s rows encoded as the model's table columns are (the rows themselves for a model
    /// without an encoding), with the count of categories the training rows did not have.
    ///
    /// # Errors
    /// [`Error::Data`] when the rows come from a table with other columns, or hold missing
    /// values the model fills none of.
    pub fn encode<'a>(&self, data: &'a Dataset) -> Result<Encoded<'a>> {
        if let Some(e) = &self.model.meta.encoding {
            return e.apply(data);
        }
        // A model from before encodings, or trained on rows from no table.
        if let Some(c) = data
            .columns()
            .and_then(|c| c.features.iter().find(|f| f.levels.is_some()))
        {
            return Err(Error::data(format!(
                "column '{}' of the rows is categorical, and the model has no categorical columns",
                c.name
            )));
        }
        // Only rows read from a table may hold missing values (`Dataset::new` refuses NaN).
        if data.columns().is_some()
            && matches!(data.features(), Features::F32(x) if crate::data::first_where(x, f32::is_nan).is_some())
        {
            return Err(Error::data("the rows have missing values, and the model fills none"));
        }
        Ok(Encoded {
            data: Cow::Borrowed(data),
            unseen: Vec::new(),
        })
    }

    /// Checks that `data` fits the model's inputs and classes, and that a network with hidden
    /// layers, which makes sparse rows dense [`CHUNK_ROWS`] at a time, would not need more than
    /// [`DENSE_SPARSE_BYTES`] for them.
    fn check_rows(&self, data: &Dataset) -> Result<()> {
        let meta = &self.model.meta;
        let dense_bytes = CHUNK_ROWS * data.n_features() * std::mem::size_of::<f32>();
        if matches!(data.features(), Features::Csr(_))
            && self.objective.network.dims().len() > 2
            && dense_bytes > DENSE_SPARSE_BYTES
        {
            return Err(Error::param(
                "model",
                format!(
                    "a network with hidden layers makes sparse rows dense, {CHUNK_ROWS} at a time: {} features would take {} MB, more than {} MB; train a linear model on them",
                    data.n_features(),
                    dense_bytes >> 20,
                    DENSE_SPARSE_BYTES >> 20
                ),
            ));
        }
        if data.n_features() != meta.inputs {
            return Err(Error::data(format!(
                "the rows have {} features, the model expects {}",
                data.n_features(),
                meta.inputs
            )));
        }
        if data.task() == Task::Classify && meta.task == Task::Classify && data.n_classes() > meta.n_classes {
            return Err(Error::data(format!(
                "the data has {} classes, the model knows {}",
                data.n_classes(),
                meta.n_classes
            )));
        }
        Ok(())
    }
}

/// The most memory the dense copies of sparse rows may take in a network with hidden layers
/// (a linear model reads sparse rows as they are).
const DENSE_SPARSE_BYTES: usize = 256 << 20;

/// The problem `objective` poses on `rows`, its gradient taken as `gradient` says: in this
/// process, or on one rank of `ranks` ([`Objective::distributed`]).
///
/// # Errors
/// What [`Objective::distributed`] returns.
fn problem<'a>(
    objective: &'a Objective,
    rows: &'a Prepared<'a>,
    gradient: Gradient,
    ranks: Option<(&'a dyn Collective, Reduce)>,
) -> Result<Box<dyn Problem<f32> + 'a>> {
    Ok(match ranks {
        None => Box::new(NumericalGradient::new(objective.on(rows), gradient)),
        Some((comm, reduce)) => Box::new(NumericalGradient::new(
            objective.distributed(rows, comm, reduce)?,
            gradient,
        )),
    })
}

/// The trainer of `config` for a model of `objective`: its transform chain, and the update of
/// each layer measured per epoch.
///
/// # Errors
/// What [`Chain::for_model`] returns.
fn trainer_for<'c>(objective: &Objective, config: &'c TrainConfig) -> Result<Trainer<'c, f32>> {
    let layout = objective.network.layout();
    let chain = Chain::for_model(config, layout)?;
    Ok(Trainer::with_transforms(config, chain).with_layers(Layers::of(layout)))
}

/// The training state `model` carries, taken out of it, or a fresh one for `config`.
fn take_state(model: &mut SavedModel, config: &TrainConfig) -> TrainState<f32> {
    let n = model.params.len();
    model
        .meta
        .progress
        .take()
        .unwrap_or_else(|| TrainState::new(&config.strategy, n))
}

/// Trains `model` with `config` on the problems of its objective over the training and
/// validation rows ([`Trainer::fit`]), from the training state it carries, which it carries
/// again after.
fn fit_problem<'p>(
    objective: &Objective,
    model: &mut SavedModel,
    config: &TrainConfig,
    train: &mut (dyn Problem<f32> + 'p),
    val: Option<&mut (dyn Problem<f32> + 'p)>,
    observer: &mut dyn Observer,
    checkpoint: Option<Checkpointing>,
) -> Result<FitReport> {
    let mut trainer = trainer_for(objective, config)?;
    let mut state = take_state(model, config);
    let SavedModel { meta, params, affine } = model;
    let mut hooks = Checkpoints {
        observer,
        plan: checkpoint,
        meta,
        affine,
    };
    let report = trainer.fit(train, val, params, &mut state, &mut hooks);
    meta.progress = Some(state);
    report
}
