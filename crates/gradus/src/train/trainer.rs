//! [`Trainer`]: one loop for full-batch gradient descent, minibatch SGD, single-example SGD,
//! optimizer paths on 2-D functions and derivative-free search, over any [`Problem`].

use super::Average;
use super::health::{LayerUpdate, Layers};
use super::lazy::Lazy;
use super::state::{Best, TrainState};
use super::transform::Chain;
use super::{EpochReport, FitReport, Flow, Observer, Silent, StepReport, StopReason, Strategy, TrainConfig};
use crate::error::{Error, Result};
use crate::optim::Optimizer;
use crate::problem::{BatchStats, JointProblem, Problem, SparseGrad};
use crate::real::Real;
use std::time::Instant;

/// Composes a validated configuration (its [`Strategy`]) with a gradient-transform chain, and
/// steps parameters over any [`Problem`]. Scratch space for the gradient is allocated once.
pub struct Trainer<'a, T> {
    config: &'a TrainConfig,
    transforms: Chain<T>,
    grads: Vec<T>,
    /// Where the gradient is taken when the rule asks for another point than θ; a search's
    /// candidate.
    point: Vec<T>,
    /// The layers whose updates each epoch measures (all of θ as one when `None`).
    layers: Option<Layers>,
    /// θ at the start of the current epoch, for the layers' updates.
    start: Vec<T>,
    /// The deferred penalty of sparse steps ([`Problem::sparse`]).
    lazy: Option<Lazy<T>>,
}

/// The steps of one epoch: step b evaluates `batch` rows of `order` from
/// (b mod ⌈n/batch⌉)·batch on — consecutive batches of one pass for gradient training (b never
/// reaches ⌈n/batch⌉), and every row at every step for a search (`batch` = n).
#[derive(Clone, PartialEq)]
struct Plan {
    order: Vec<usize>,
    batch: usize,
    steps: usize,
}

impl Plan {
    /// The plan of the 0-based `epoch` over `n > 0` rows.
    fn of(cfg: &TrainConfig, n: usize, epoch: u64) -> Plan {
        match cfg.strategy.trials_in_epoch(epoch, cfg.epochs) {
            None => {
                let batch = cfg.batch.rows(n);
                Plan {
                    order: cfg.sampling.order(n, cfg.seed, epoch),
                    batch,
                    steps: n.div_ceil(batch),
                }
            }
            Some(trials) => Plan {
                order: (0..n).collect(),
                batch: n,
                steps: usize::try_from(trials).unwrap_or(usize::MAX),
            },
        }
    }

    fn rows(&self, b: usize) -> &[usize] {
        let n = self.order.len();
        let start = (b % n.div_ceil(self.batch)) * self.batch;
        &self.order[start..(start + self.batch).min(n)]
    }

    /// Rows the epoch's steps visit together: n for a pass, trials × n for a search.
    fn visits(&self) -> f64 {
        (0..self.steps).map(|b| self.rows(b).len() as f64).sum()
    }
}

/// An epoch under way: its steps, and what its statistics need from its start.
struct EpochRun {
    plan: Plan,
    /// 1-based epoch number.
    number: u64,
    started: Instant,
    /// Whether it started at its first batch (so that θ at its start is known).
    fresh: bool,
    /// The learning rate of the latest step.
    lr: f64,
}

impl EpochRun {
    /// The first batch not yet stepped.
    fn next_batch<T>(&self, state: &TrainState<T>) -> usize {
        usize::try_from(state.cursor.batch).unwrap_or(usize::MAX)
    }

    /// Adds the figures of a step on `rows` rows to the cursor and tells `observer`.
    ///
    /// # Errors
    /// What [`Observer::on_params`] returns.
    fn record<T>(
        &self,
        rows: usize,
        stats: &BatchStats,
        grad_norm: f64,
        params: &[T],
        state: &mut TrainState<T>,
        observer: &mut dyn Observer<T>,
    ) -> Result<()> {
        let c = &mut state.cursor;
        c.batch += 1;
        c.loss_sum += stats.objective * rows as f64;
        c.correct += stats.correct as u64;
        c.evaluations += stats.evaluations;
        c.examples += stats.rows as u64 * stats.evaluations;
        c.grad_norm_sum += grad_norm;
        observer.on_step(&StepReport {
            epoch: self.number,
            batch: usize::try_from(c.batch).unwrap_or(usize::MAX),
            batches: self.plan.steps,
            lr: self.lr,
            objective: stats.objective,
            grad_norm,
        });
        observer.on_params(params, state)
    }
}

/// What is known of the model after an epoch, besides the epoch itself.
#[derive(Clone, Copy)]
struct Seen {
    /// The validation split's statistics.
    val: Option<BatchStats>,
    /// ‖∇L(θ)‖₂ on the whole training split.
    grad_norm: Option<f64>,
    /// Whether the problem counts correct classes.
    classifies: bool,
}

/// One model of [`Trainer::fit_together`]: its trainer, parameters and state.
pub struct Member<'t, 'p, T> {
    /// Its trainer.
    pub trainer: Trainer<'t, T>,
    /// Its parameters.
    pub params: &'p mut [T],
    /// Where its training stands.
    pub state: &'p mut TrainState<T>,
}

impl<T: Real> Member<'_, '_, T> {
    /// An empty report when this member can train in lockstep with `lead`: by an update rule,
    /// without validation rows or full-gradient tests, on the same batches from the same place.
    ///
    /// # Errors
    /// [`Error::Param`] naming what differs.
    fn shares_batches(&self, lead: &Self) -> Result<FitReport> {
        let (c, l) = (self.trainer.config, lead.trainer.config);
        if c.strategy.rule().is_none() || c.patience.is_some() || c.grad_tol.is_some() {
            return Err(Error::param(
                "model",
                "models that train together step by an update rule, without patience or grad_tol",
            ));
        }
        let (s, t) = (&*self.state, &*lead.state);
        if (c.batch, c.sampling, c.seed, s.epoch, s.cursor.batch)
            != (l.batch, l.sampling, l.seed, t.epoch, t.cursor.batch)
        {
            return Err(Error::param(
                "model",
                "models that train together need the same batches, from the same place",
            ));
        }
        Ok(FitReport {
            history: Vec::new(),
            stop: StopReason::MaxEpochs,
            train_seconds: 0.0,
        })
    }
}

/// [`Error::Diverged`] when a step's objective is not finite.
fn check_finite<T>(stats: &BatchStats, state: &TrainState<T>, lr: f64) -> Result<()> {
    if stats.objective.is_finite() {
        return Ok(());
    }
    Err(Error::Diverged(format!(
        "the objective became {} in epoch {} (step {}, learning rate {lr}); try a smaller learning rate",
        stats.objective,
        state.epoch + 1,
        state.step + 1
    )))
}

/// What one epoch did, before validation.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: u64,
    /// Mean objective over the epoch's batches, each evaluated before its update.
    pub objective: f64,
    /// Fraction of rows classified correctly before their update (classifiers only).
    pub train_accuracy: Option<f64>,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    /// Wall-clock seconds of the epoch's steps.
    pub seconds: f64,
    /// Evaluations of the objective the epoch's steps took.
    pub evaluations: u64,
    /// Example evaluations the epoch's steps took (rows × evaluations).
    pub examples: u64,
    /// `(1/K) Σ_t ‖g_t‖₂` over the epoch's K steps (0 for a search, which takes no gradient), g_t the gradient of step t's batch
    /// objective as the objective returned it, restricted to the coordinates that train (frozen
    /// tensors' zeroed, nothing else of the transform chain applied: the norm before clipping
    /// and noise). An epoch resumed mid-way counts its earlier steps too
    /// ([`Cursor::grad_norm_sum`](super::Cursor::grad_norm_sum)).
    pub mean_grad_norm: f64,
    /// Per layer ([`Trainer::with_layers`]), `‖θ_end − θ_start‖₂ / ‖θ_start‖₂` over the epoch
    /// ([`LayerUpdate`]); empty for an epoch resumed mid-way, whose θ_start a checkpoint does
    /// not keep.
    pub updates: Vec<LayerUpdate>,
}

impl<'a, T: Real> Trainer<'a, T> {
    /// A trainer for `config` with the gradient transforms it asks for ([`Chain::from_config`]).
    pub fn new(config: &'a TrainConfig) -> Self {
        Self::with_transforms(config, Chain::from_config(config))
    }

    /// A trainer for `config` that applies `transforms` to every gradient instead.
    pub fn with_transforms(config: &'a TrainConfig, transforms: Chain<T>) -> Self {
        Self {
            config,
            transforms,
            grads: Vec::new(),
            point: Vec::new(),
            layers: None,
            start: Vec::new(),
            lazy: None,
        }
    }

    /// Measures each epoch's update per layer of `layers` ([`EpochStats::updates`]) rather than
    /// over all of θ at once.
    pub fn with_layers(mut self, layers: Layers) -> Self {
        self.layers = Some(layers);
        self
    }

    /// The learning rate of the next step, in epochs of `n` rows (0 for a search, which has
    /// none): the epoch's ⌈n/B⌉ batches of B rows say where warm-up ends, and the rows trained
    /// on before the step, `epoch · n + batch · B` (the cursor's batch), drive the per-example
    /// schedules ([`crate::schedule`]).
    pub fn lr(&self, state: &TrainState<T>, n: usize) -> f64 {
        let cfg = self.config;
        if cfg.strategy.search().is_some() {
            return 0.0;
        }
        let batch = cfg.batch.rows(n).max(1) as u64;
        let n = n as u64;
        let per_epoch = n.div_ceil(batch);
        let rows = state.epoch * n + (state.cursor.batch * batch).min(n);
        cfg.schedule
            .lr(state.epoch, cfg.epochs, state.step, per_epoch, rows, &state.plateau)
    }

    /// One step of the strategy on the rows `rows` of `problem`. For an update rule, at
    /// learning rate `lr` ([`Self::lr`]): `g = chain(∇L(θ̃))`, `θ ← rule(θ, g, lr)`; returns
    /// the batch's statistics (evaluated before the update). θ̃ is θ, or the point the rule
    /// asks for ([`Optimizer::gradient_point`](crate::optim::Optimizer::gradient_point):
    /// textbook Nesterov's look-ahead θ + μv), where the batch statistics are then taken too.
    /// For a search, trial number `state.step` ([`Search::trial`](crate::search::Search::trial)),
    /// returning the kept θ's statistics after it.
    ///
    /// # Errors
    /// [`Error::Diverged`] when the objective is not finite (θ is then left as it was).
    pub fn step_batch<P: Problem<T> + ?Sized>(
        &mut self,
        problem: &mut P,
        params: &mut [T],
        state: &mut TrainState<T>,
        rows: &[usize],
        lr: f64,
    ) -> Result<BatchStats> {
        self.measured_step(problem, params, state, rows, lr)
            .map(|(stats, _)| stats)
    }

    /// [`step_batch`](Self::step_batch), returning also the norm of the step's gradient
    /// ([`EpochStats::mean_grad_norm`] says which).
    fn measured_step<P: Problem<T> + ?Sized>(
        &mut self,
        problem: &mut P,
        params: &mut [T],
        state: &mut TrainState<T>,
        rows: &[usize],
        lr: f64,
    ) -> Result<(BatchStats, f64)> {
        let cfg = self.config;
        let rule = match &cfg.strategy {
            Strategy::Gradient(rule) => rule,
            Strategy::Search(search) => {
                let (seed, t) = (cfg.seed, state.step);
                let stats = search.trial(problem, params, rows, &mut state.search, seed, t, &mut self.point)?;
                state.step += 1;
                return Ok((stats, 0.0));
            }
        };
        if let Some(lazy) = &mut self.lazy
            && lazy.defers()
            && let Some(support) = problem.sparse_support(rows)
        {
            // What the batch reads must have its deferred penalty first.
            lazy.catch_up(support, params);
        }
        let elsewhere = rule.gradient_point(params, &state.optimizer, &mut self.point);
        let at: &[T] = if elsewhere { &self.point } else { params };
        if let Some((stats, sparse)) = problem.sparse_value_and_grad(at, rows) {
            let norm = self.apply_sparse(rule, &stats, &sparse, params, state, lr)?;
            return Ok((stats, norm));
        }
        self.grads.resize(params.len(), T::zero());
        let at: &[T] = if elsewhere { &self.point } else { params };
        let stats = problem.value_and_grad(at, rows, &mut self.grads);
        let norm = self.apply(rule, &stats, params, state, lr)?;
        Ok((stats, norm))
    }

    /// [`apply`](Self::apply) for a gradient written on its support alone, the penalty still
    /// to add: a [lazily regularised](super::lazy) step, O(support).
    ///
    /// # Errors
    /// [`Error::Diverged`] as [`apply`](Self::apply); [`Error::Param`] when gradient transforms
    /// (noise, frozen tensors, clipping) are asked for, which sparse steps do not apply.
    fn apply_sparse(
        &mut self,
        rule: &Optimizer,
        stats: &BatchStats,
        sparse: &SparseGrad<T>,
        params: &mut [T],
        state: &mut TrainState<T>,
        lr: f64,
    ) -> Result<f64> {
        check_finite(stats, state, lr)?;
        if !self.transforms.is_identity() {
            return Err(Error::param(
                "model",
                "gradient noise, frozen tensors and clipping are not applied to sparse rows; train without them",
            ));
        }
        let n = params.len();
        let lazy = match &mut self.lazy {
            Some(lazy) if lazy.fits(n) => lazy,
            slot => slot.insert(Lazy::new(rule, sparse, n)),
        };
        let norm = lazy.step(rule, params, sparse, lr, &mut state.optimizer);
        state.step += 1;
        self.average(params, state);
        Ok(norm)
    }

    /// After step `state.step`, adds the iterate `params` to the Polyak–Ruppert average when
    /// the configuration averages from that step or an earlier one ([`Average`]).
    ///
    /// A sparse run's deferred penalty is brought up to date first, so that the average sees
    /// the true iterate: exact, at the price of an O(θ) flush per averaged step, where sparse
    /// steps otherwise take O(support) (the averaging itself is O(θ) per step anyway; a lazy
    /// average in the manner of Xu, *Towards optimal one pass large scale learning with
    /// averaged stochastic gradient descent*, 2011, is not implemented).
    fn average(&mut self, params: &mut [T], state: &mut TrainState<T>) {
        if self.config.average.is_some_and(|k0| state.step >= k0) {
            self.flush(params);
            state.average.get_or_insert_with(Average::default).add(params);
        }
    }

    /// Brings parameters whose penalty a sparse run deferred up to date.
    fn flush(&mut self, params: &mut [T]) {
        if let Some(lazy) = &mut self.lazy {
            lazy.flush(params);
        }
    }

    /// The second half of a step of `rule`, once the batch's statistics and gradient (in
    /// `self.grads`) are known: `g = chain(∇L)`, `θ ← rule(θ, g, lr)`; returns ‖∇L‖₂ with the
    /// chain's masks applied.
    ///
    /// # Errors
    /// [`Error::Diverged`] when the objective is not finite (θ is then left as it was).
    fn apply(
        &mut self,
        rule: &Optimizer,
        stats: &BatchStats,
        params: &mut [T],
        state: &mut TrainState<T>,
        lr: f64,
    ) -> Result<f64> {
        check_finite(stats, state, lr)?;
        // Masking first changes nothing the chain does (it masks again after any noise).
        let norm = self.masked_norm();
        self.transforms.apply(&mut self.grads, state.step);
        rule.step(params, &self.grads, lr, &mut state.optimizer);
        state.step += 1;
        self.average(params, state);
        Ok(norm)
    }

    /// ‖g‖₂ of the gradient buffer with the chain's masks applied to it.
    fn masked_norm(&mut self) -> f64 {
        self.transforms.mask(&mut self.grads);
        crate::linalg::lane_sum(&self.grads, |g| g * g).sqrt()
    }

    /// Runs the current epoch to its end, from where [`TrainState::cursor`] says it stands:
    /// the rows [`Sampling::order`](crate::data::batch::Sampling::order)`(n, seed, epoch)`
    /// (a permutation, or draws with replacement), cut into batches; for a search, its
    /// [trials of the epoch](Strategy::trials_in_epoch), each on every row. The epoch's
    /// objective and accuracy are the means over its steps, weighted by their rows. Returns
    /// `None` when the
    /// observer asks to stop before a step ([`Observer::stop_requested`]); the cursor then says
    /// where the epoch stands, so that a later call finishes it exactly.
    ///
    /// # Errors
    /// [`Error::Data`] for a problem without rows; [`Error::Diverged`] when the objective or the
    /// parameters stop being finite.
    pub fn run_epoch<P: Problem<T> + ?Sized>(
        &mut self,
        problem: &mut P,
        params: &mut [T],
        state: &mut TrainState<T>,
        observer: &mut dyn Observer<T>,
    ) -> Result<Option<EpochStats>> {
        let mut e = self.begin_epoch(problem.rows(), params, state)?;
        for b in e.next_batch(state)..e.plan.steps {
            if observer.stop_requested() {
                self.flush(params);
                return Ok(None);
            }
            e.lr = self.lr(state, e.plan.order.len());
            let rows = e.plan.rows(b);
            let (stats, grad_norm) = self.measured_step(problem, params, state, rows, e.lr)?;
            if observer.wants_params(state) {
                self.flush(params);
            }
            e.record(rows.len(), &stats, grad_norm, params, state, observer)?;
        }
        self.finish_epoch(e, problem.classifies(), params, state).map(Some)
    }

    /// Starts (or resumes, where the cursor stands) the current epoch over `n` rows.
    ///
    /// # Errors
    /// [`Error::Data`] when `n` is 0.
    fn begin_epoch(&mut self, n: usize, params: &[T], state: &TrainState<T>) -> Result<EpochRun> {
        if n == 0 {
            return Err(Error::data("the training split has no rows"));
        }
        let plan = Plan::of(self.config, n, state.epoch);
        let fresh = state.cursor.batch == 0;
        if fresh {
            self.start.clear();
            self.start.extend_from_slice(params);
        }
        Ok(EpochRun {
            lr: self.lr(state, plan.order.len()),
            plan,
            number: state.epoch + 1,
            started: Instant::now(),
            fresh,
        })
    }

    /// Closes epoch `e`, whose steps are all taken: its statistics from the cursor, which is
    /// reset; `classifies` says whether accuracy is counted.
    ///
    /// # Errors
    /// [`Error::Diverged`] when the objective or the parameters are not finite.
    fn finish_epoch(
        &mut self,
        e: EpochRun,
        classifies: bool,
        params: &mut [T],
        state: &mut TrainState<T>,
    ) -> Result<EpochStats> {
        let seconds = e.started.elapsed().as_secs_f64();
        let cursor = std::mem::take(&mut state.cursor);
        state.epoch = e.number;
        let visits = e.plan.visits();
        self.flush(params);
        // A sparse run's batches report their data loss alone: its penalty is the epoch end's.
        let penalty = self.lazy.as_ref().map_or(0.0, |lazy| lazy.penalty(params));
        let objective = cursor.loss_sum / visits + penalty;
        if !objective.is_finite() || params.iter().any(|p| !p.is_finite()) {
            return Err(Error::Diverged(format!(
                "the parameters became NaN or infinite in epoch {} (learning rate {}); try a smaller learning rate",
                e.number, e.lr
            )));
        }
        let updates = match (&self.layers, e.fresh) {
            (_, false) => Vec::new(),
            (Some(layers), true) => layers.updates(&self.start, params),
            (None, true) => Layers::whole(params.len()).updates(&self.start, params),
        };
        Ok(EpochStats {
            epoch: e.number,
            objective,
            train_accuracy: classifies.then(|| cursor.correct as f64 / visits),
            lr: e.lr,
            seconds,
            evaluations: cursor.evaluations,
            examples: cursor.examples,
            mean_grad_norm: cursor.grad_norm_sum / cursor.batch.max(1) as f64,
            updates,
        })
    }

    /// Trains `params` on `train` from `state` until a stopping rule fires (see the
    /// [module docs](super) for the rules): the epoch budget, `|L_k − L_{k−1}| ≤ tol` for
    /// `tol_epochs` epochs in a row, `‖∇L(θ)‖₂ ≤ grad_tol` on all of `train`, `patience`
    /// epochs without a better validation loss (the best parameters are then restored), or the
    /// observer asking to stop. `val` is evaluated after every epoch; its data loss drives early
    /// stopping and reduce-on-plateau (without it, the epoch objective drives the plateau).
    /// With averaging ([`Average`]), `params` is the iterate, and the validation loss, the
    /// gradient tolerance and the best parameters are the model's,
    /// [`state.model(params)`](TrainState::model); early stopping restores the best into both.
    ///
    /// # Errors
    /// As [`run_epoch`](Self::run_epoch); [`Error::Param`] `patience` without `val`; any error
    /// the observer returns.
    pub fn fit<P: Problem<T> + ?Sized>(
        &mut self,
        train: &mut P,
        mut val: Option<&mut P>,
        params: &mut [T],
        state: &mut TrainState<T>,
        observer: &mut dyn Observer<T>,
    ) -> Result<FitReport> {
        let cfg = self.config;
        if cfg.patience.is_some() && val.is_none() {
            return Err(Error::param("patience", "needs a validation split"));
        }
        let val_rows: Vec<usize> = val.as_ref().map(|v| (0..v.rows()).collect()).unwrap_or_default();
        let train_rows: Vec<usize> = if cfg.grad_tol.is_some() {
            (0..train.rows()).collect()
        } else {
            Vec::new()
        };
        let mut run = FitReport {
            history: Vec::new(),
            stop: StopReason::MaxEpochs,
            train_seconds: 0.0,
        };
        while state.epoch < cfg.epochs {
            let Some(e) = self.run_epoch(train, params, state, observer)? else {
                run.stop = StopReason::Requested;
                return Ok(run);
            };
            // The model: the average of the iterates when averaging, else the iterate.
            let model = state.model(params);
            let val_stats = val.as_mut().map(|v| v.value(model, &val_rows));
            let grad_norm = cfg.grad_tol.map(|_| self.gradient_norm(train, model, &train_rows));
            let seen = Seen {
                val: val_stats,
                grad_norm,
                classifies: train.classifies(),
            };
            if let Some(stop) = self.end_epoch(e, seen, params, state, observer, &mut run)? {
                run.stop = stop;
                return Ok(run);
            }
        }
        Ok(run)
    }

    /// What follows epoch `e` of [`fit`](Self::fit): the plateau's observation, the report
    /// (appended to `run`'s history, its seconds to `run`'s), the stopping rules and the
    /// observer. Returns why training stops, if it does (after restoring the best parameters
    /// for early stopping).
    ///
    /// # Errors
    /// Any error the observer returns.
    fn end_epoch(
        &mut self,
        e: EpochStats,
        seen: Seen,
        params: &mut [T],
        state: &mut TrainState<T>,
        observer: &mut dyn Observer<T>,
        run: &mut FitReport,
    ) -> Result<Option<StopReason>> {
        let cfg = self.config;
        run.train_seconds += e.seconds;
        let monitored = seen.val.map_or(e.objective, |s| s.data_loss);
        cfg.schedule.observe(&mut state.plateau, monitored);
        let report = EpochReport {
            epoch: e.epoch,
            objective: e.objective,
            train_accuracy: e.train_accuracy,
            val_loss: seen.val.map(|s| s.data_loss),
            val_accuracy: seen
                .val
                .filter(|_| seen.classifies)
                .map(|s| s.correct as f64 / s.rows.max(1) as f64),
            lr: e.lr,
            seconds: e.seconds,
            evaluations: e.evaluations,
            examples: e.examples,
            grad_norm: seen.grad_norm,
            mean_grad_norm: e.mean_grad_norm,
            updates: e.updates,
        };
        let stop = self.stopping(state, &report, params);
        state.previous_objective = Some(e.objective);
        let flow = observer.on_epoch(&report, params, state)?;
        run.history.push(report);
        let stop = match (stop, flow) {
            (Some(stop), _) => stop,
            (None, Flow::Stop) => StopReason::Requested,
            (None, Flow::Continue) => return Ok(None),
        };
        if let (StopReason::EarlyStopped { .. }, Some(best)) = (&stop, &state.best) {
            // The best model becomes both the iterate and the average.
            params.copy_from_slice(&best.params);
            if let Some(average) = &mut state.average {
                average.set(&best.params);
            }
        }
        Ok(Some(stop))
    }

    /// Trains each of `members` as [`fit`](Self::fit) would alone (no validation rows, a
    /// silent observer), all of them in lockstep on `joint`, the objectives of every member
    /// over the same rows: at each step every member still training asks for its gradient at
    /// its own point on the same batch, `joint` computes all of them at once, and each member
    /// then takes its own step (its transforms, learning rate and update rule). A member stops
    /// by its own rules (its epoch budget, the tolerance, divergence) and the others go on
    /// without it. When `joint` computes each member's loss and gradient as that member's own
    /// problem would, each result equals training it alone, to the bit.
    ///
    /// Returns each member's report or error, in order.
    pub fn fit_together<J: JointProblem<T> + ?Sized>(
        members: &mut [Member<'_, '_, T>],
        joint: &mut J,
    ) -> Vec<Result<FitReport>> {
        let n = joint.rows();
        let mut runs: Vec<Result<FitReport>> = members.iter().map(|m| m.shares_batches(&members[0])).collect();
        // Members still training; each epoch, the ones whose epoch is under way.
        let mut alive: Vec<bool> = runs.iter().map(Result::is_ok).collect();
        loop {
            let mut epochs: Vec<Option<EpochRun>> = Vec::with_capacity(members.len());
            for (k, m) in members.iter_mut().enumerate() {
                alive[k] &= m.state.epoch < m.trainer.config.epochs;
                let e = alive[k].then(|| m.trainer.begin_epoch(n, m.params, m.state));
                epochs.push(e.transpose().unwrap_or_else(|err| {
                    alive[k] = false;
                    runs[k] = Err(err);
                    None
                }));
            }
            let Some((lead, Some(e))) = epochs.iter().enumerate().find(|(_, e)| e.is_some()) else {
                return runs;
            };
            // Every member's plan and place are the lead's (checked by `shares_batches`).
            let (plan, first) = (e.plan.clone(), e.next_batch(&*members[lead].state));
            for b in first..plan.steps {
                if epochs.iter().all(Option::is_none) {
                    break;
                }
                let rows = plan.rows(b);
                for (k, stats) in Self::joint_step(members, &mut epochs, joint, rows) {
                    let (m, e) = (
                        &mut members[k],
                        epochs[k].as_mut().expect("an active member has an epoch"),
                    );
                    let cfg = m.trainer.config;
                    let rule = cfg.strategy.rule().expect("members train by an update rule");
                    let step = m
                        .trainer
                        .apply(rule, &stats, m.params, m.state, e.lr)
                        .and_then(|norm| e.record(rows.len(), &stats, norm, m.params, m.state, &mut Silent));
                    if let Err(err) = step {
                        runs[k] = Err(err);
                        epochs[k] = None;
                        alive[k] = false;
                    }
                }
            }
            for (k, m) in members.iter_mut().enumerate() {
                let Some(e) = epochs[k].take() else { continue };
                let Ok(run) = runs[k].as_mut() else { continue };
                let seen = Seen {
                    val: None,
                    grad_norm: None,
                    classifies: joint.classifies(),
                };
                let ended = m
                    .trainer
                    .finish_epoch(e, seen.classifies, m.params, m.state)
                    .and_then(|e| m.trainer.end_epoch(e, seen, m.params, m.state, &mut Silent, run));
                match ended {
                    Ok(None) => {}
                    Ok(Some(stop)) => {
                        run.stop = stop;
                        alive[k] = false;
                    }
                    Err(err) => {
                        runs[k] = Err(err);
                        alive[k] = false;
                    }
                }
            }
        }
    }

    /// One step's gradients of every member with an epoch under way, on `rows`, computed by
    /// `joint` at each member's gradient point; returns each member's index and statistics,
    /// its gradient in its trainer's buffer.
    fn joint_step<J: JointProblem<T> + ?Sized>(
        members: &mut [Member<'_, '_, T>],
        epochs: &mut [Option<EpochRun>],
        joint: &mut J,
        rows: &[usize],
    ) -> Vec<(usize, BatchStats)> {
        let mut models = Vec::with_capacity(members.len());
        let mut points = Vec::with_capacity(members.len());
        let mut grads = Vec::with_capacity(members.len());
        for (k, (m, e)) in members.iter_mut().zip(epochs.iter_mut()).enumerate() {
            let Some(e) = e else { continue };
            let Member { trainer, params, state } = m;
            let cfg = trainer.config;
            let rule = cfg.strategy.rule().expect("members train by an update rule");
            e.lr = trainer.lr(state, e.plan.order.len());
            trainer.grads.resize(params.len(), T::zero());
            let elsewhere = rule.gradient_point(params, &state.optimizer, &mut trainer.point);
            models.push(k);
            points.push(if elsewhere { &trainer.point[..] } else { &params[..] });
            grads.push(&mut trainer.grads[..]);
        }
        let stats = joint.value_and_grads(rows, &models, &points, &mut grads);
        models.into_iter().zip(stats).collect()
    }

    /// ‖∇L(θ)‖₂ over `rows`, of the raw gradient restricted to the coordinates that train (the
    /// chain's masks applied, nothing else).
    fn gradient_norm<P: Problem<T> + ?Sized>(&mut self, problem: &mut P, params: &[T], rows: &[usize]) -> f64 {
        self.grads.resize(params.len(), T::zero());
        problem.value_and_grad(params, rows, &mut self.grads);
        self.masked_norm()
    }

    /// Updates the early-stopping record with `report` and says whether a stopping rule fires.
    fn stopping(&self, state: &mut TrainState<T>, report: &EpochReport, params: &[T]) -> Option<StopReason> {
        let cfg = self.config;
        if let (Some(patience), Some(loss)) = (cfg.patience, report.val_loss) {
            match &state.best {
                // Not better (a NaN loss never is).
                Some(best) if loss.partial_cmp(&best.loss) != Some(std::cmp::Ordering::Less) => {
                    if report.epoch - best.epoch >= patience {
                        return Some(StopReason::EarlyStopped { best_epoch: best.epoch });
                    }
                }
                _ => {
                    state.best = Some(Best {
                        loss,
                        epoch: report.epoch,
                        params: state.model(params).to_vec(),
                    })
                }
            }
        }
        if state.plateau.exhausted() {
            return Some(StopReason::RateExhausted { lr: report.lr });
        }
        if let (Some(g), Some(norm)) = (cfg.grad_tol, report.grad_norm)
            && norm <= g
        {
            return Some(StopReason::SmallGradient { norm });
        }
        let (tol, previous) = (cfg.tol?, state.previous_objective?);
        let change = (report.objective - previous).abs();
        state.calm_epochs = if change <= tol { state.calm_epochs + 1 } else { 0 };
        (state.calm_epochs >= cfg.tol_epochs).then_some(StopReason::Converged { change })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::batch::BatchSize;
    use crate::functions::TestFunction;
    use crate::optim::OptimizerParams;
    use crate::train::{Silent, TrainParams};

    /// Full-batch training (one step per epoch) of `rule` at `lr` on ravine:1, f = ½‖θ‖², from
    /// (1, 0), with `params` adjusting the stopping rules: the stop, the epochs run and θ.
    fn run(rule: &str, lr: f64, params: impl Fn(&mut TrainParams)) -> (StopReason, usize, [f64; 2]) {
        let config = train_params(rule, lr, 500, params).check().unwrap();
        let mut f = TestFunction::Ravine(1.0);
        let mut theta = [1.0, 0.0];
        let mut state = TrainState::new(&config.strategy, 2);
        let report = Trainer::new(&config)
            .fit(&mut f, None, &mut theta, &mut state, &mut Silent)
            .unwrap();
        (report.stop, report.history.len(), theta)
    }

    /// Test functions side by side, each evaluated as it would be alone.
    struct Apart(Vec<TestFunction>);

    impl JointProblem<f64> for Apart {
        fn rows(&self) -> usize {
            1
        }
        fn value_and_grads(
            &mut self,
            rows: &[usize],
            models: &[usize],
            points: &[&[f64]],
            grads: &mut [&mut [f64]],
        ) -> Vec<BatchStats> {
            let f = &mut self.0;
            models
                .iter()
                .zip(points)
                .zip(grads.iter_mut())
                .map(|((&k, p), g)| f[k].value_and_grad(p, rows, g))
                .collect()
        }
    }

    /// Lockstep changes nothing a member computes: with a joint problem that evaluates each
    /// member as alone, every member's θ, history and stop equal [`Trainer::fit`]'s to the bit,
    /// whether it runs its whole budget, stops early by the tolerance, diverges, asks for
    /// its gradient elsewhere than θ (textbook Nesterov) or averages its iterates (its average
    /// too); the ones left go on after the others stop, and a member that cannot train in
    /// lockstep is refused alone.
    #[test]
    fn members_in_lockstep_train_as_they_would_alone() {
        let setups: Vec<(TestFunction, TrainParams)> = vec![
            (TestFunction::Rosenbrock, train_params("sgd", 1e-3, 80, |_| {})),
            (
                TestFunction::Ravine(1.0),
                train_params("momentum", 0.05, 500, |p| p.tol = Some(1e-3)),
            ),
            (TestFunction::Beale, train_params("adam", 0.05, 120, |_| {})),
            (TestFunction::Ravine(1.0), train_params("sgd", 1e100, 30, |_| {})),
            (
                TestFunction::Booth,
                train_params("nesterov", 0.01, 60, |p| {
                    p.optimizer.convention = Some(crate::optim::Convention::Textbook)
                }),
            ),
            (
                TestFunction::Bowl,
                train_params("sgd", 0.1, 40, |p| p.patience = Some(3)),
            ),
            (
                TestFunction::Rosenbrock,
                train_params("momentum", 1e-3, 70, |p| p.average = Some(20)),
            ),
        ];
        let configs: Vec<TrainConfig> = setups.iter().map(|(_, p)| p.clone().check().unwrap()).collect();
        let start = [0.5, -1.5];
        let mut thetas = vec![start; setups.len()];
        let mut states: Vec<TrainState<f64>> = configs.iter().map(|c| TrainState::new(&c.strategy, 2)).collect();
        let mut members: Vec<Member<f64>> = configs
            .iter()
            .zip(&mut thetas)
            .zip(&mut states)
            .map(|((c, params), state)| Member {
                trainer: Trainer::new(c),
                params,
                state,
            })
            .collect();
        let mut joint = Apart(setups.iter().map(|(f, _)| *f).collect());
        let together = Trainer::fit_together(&mut members, &mut joint);
        drop(members);
        let mut stops = Vec::new();
        for (k, ((f, _), config)) in setups.iter().zip(&configs).enumerate() {
            let (mut f, mut theta) = (*f, start);
            let mut state = TrainState::new(&config.strategy, 2);
            let alone = Trainer::new(config).fit(&mut f, None, &mut theta, &mut state, &mut Silent);
            match (&together[k], alone) {
                (Ok(a), Ok(b)) => {
                    let curve = |r: &FitReport| {
                        r.history
                            .iter()
                            .map(|e| (e.objective, e.lr, e.mean_grad_norm))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!((&a.stop, curve(a)), (&b.stop, curve(&b)), "member {k}");
                    assert_eq!(thetas[k].map(f64::to_bits), theta.map(f64::to_bits), "member {k}");
                    assert_eq!(states[k].step, state.step);
                    assert_eq!(states[k].average, state.average, "member {k}");
                    stops.push(format!("{:?}", a.stop).split([' ', '{']).next().unwrap().to_string());
                }
                (Err(a), Err(b)) if k < 5 => {
                    assert_eq!(a.to_string(), b.to_string());
                    stops.push("Diverged".into());
                }
                (Err(a), _) => stops.push(a.to_string()),
                (a, b) => panic!("member {k}: together {a:?}, alone {b:?}"),
            }
        }
        assert_eq!(
            stops,
            [
                "MaxEpochs",
                "Converged",
                "MaxEpochs",
                "Diverged",
                "MaxEpochs",
                "model models that train together step by an update rule, without patience or grad_tol",
                "MaxEpochs"
            ]
        );
        // 70 full-batch steps, averaged from the 20th.
        assert_eq!(states[6].average.as_ref().map(|a| a.count()), Some(51));
    }

    /// Training parameters for full-batch `rule` at `lr` for `epochs`, adjusted by `more`.
    fn train_params(rule: &str, lr: f64, epochs: u64, more: impl Fn(&mut TrainParams)) -> TrainParams {
        let mut p = TrainParams {
            epochs,
            batch: BatchSize::Full,
            lr: Some(lr),
            optimizer: OptimizerParams::named(rule),
            ..TrainParams::default()
        };
        more(&mut p);
        p
    }

    /// `adaptive` on ½θ² from α = 0.1: once the objective stops falling by 10⁻³ the rate is
    /// divided by 5 every two epochs, and the run stops at the first failure with the rate at
    /// 10⁻⁶ or below: 0.1/5⁸ = 2.56·10⁻⁷.
    #[test]
    fn adaptive_stops_the_run_when_the_rate_runs_out() {
        let (stop, epochs, _) = run("sgd", 0.1, |p| p.schedule = "adaptive:2,0.001".parse().unwrap());
        let StopReason::RateExhausted { lr } = stop else {
            panic!("{stop:?}");
        };
        assert!((lr - 0.1 / 5f64.powi(8)).abs() < 1e-20, "{lr}");
        assert!(epochs < 100, "{epochs}");
    }

    /// The per-example schedules read the rows trained on before the step: with 10 rows in
    /// batches of 3 (the last of 1), step k of epoch e starts after 10e + 3k rows, so
    /// `invscaling:1` from 1 gives 1/(10e + 3k + 1).
    #[test]
    fn per_example_rates_count_the_rows_of_earlier_batches_and_epochs() {
        let config = train_params("sgd", 1.0, 5, |p| {
            p.batch = BatchSize::Rows(3);
            p.schedule = "invscaling:1".parse().unwrap();
        })
        .check()
        .unwrap();
        let trainer = Trainer::<f64>::new(&config);
        let mut state = TrainState::new(&config.strategy, 2);
        let mut rates = Vec::new();
        for epoch in 0..2 {
            state.epoch = epoch;
            for batch in 0..4 {
                state.cursor.batch = batch;
                rates.push(1.0 / trainer.lr(&state, 10));
            }
        }
        assert_eq!(rates, [1.0, 4.0, 7.0, 10.0, 11.0, 14.0, 17.0, 20.0]);
    }

    /// Momentum at μ = 0.9, α = 0.05 on ½θ² oscillates with a period of about 28 steps; at each
    /// turning point the objective stalls for an epoch (0.1138, 0.1142, 0.1034 at epochs
    /// 14–16). One small change stops the run there, a quarter of the way down; five in a row
    /// wait until it has settled.
    #[test]
    fn tolerance_needs_calm_epochs_in_a_row_to_stop_a_momentum_run() {
        let f = |[x, y]: [f64; 2]| 0.5 * (x * x + y * y);
        let (stop, epochs, theta) = run("momentum", 0.05, |p| {
            p.tol = Some(1e-3);
            p.tol_epochs = 1;
        });
        assert!(matches!(stop, StopReason::Converged { .. }), "{stop:?}");
        assert!(epochs < 20 && f(theta) > 0.05, "{epochs} epochs, f = {}", f(theta));
        let (stop, epochs, theta) = run("momentum", 0.05, |p| p.tol = Some(1e-3));
        assert!(matches!(stop, StopReason::Converged { .. }), "{stop:?}");
        assert!(epochs > 40 && f(theta) < 1e-3, "{epochs} epochs, f = {}", f(theta));
        assert!(
            TrainParams {
                tol_epochs: 0,
                ..TrainParams::default()
            }
            .check()
            .is_err()
        );
    }

    /// Plain gradient descent at α = 0.1 on ½‖θ‖² from (1, 0): θ_k = 0.9^k, so ‖∇L‖ = 0.9^k
    /// first falls to 1e-3 or below at k = ⌈ln 1e-3 / ln 0.9⌉ = 66.
    #[test]
    fn a_small_gradient_stops_the_run() {
        let (stop, epochs, theta) = run("sgd", 0.1, |p| p.grad_tol = Some(1e-3));
        assert_eq!(epochs, 66);
        let StopReason::SmallGradient { norm } = stop else {
            panic!("{stop:?}");
        };
        assert!((norm - 0.9f64.powi(66)).abs() < 1e-15 && norm <= 1e-3, "{norm}");
        assert!((theta[0] - 0.9f64.powi(66)).abs() < 1e-15);
        let e = TrainParams {
            grad_tol: Some(-1.0),
            ..TrainParams::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(e.to_string(), "grad_tol must be a finite number ≥ 0, got -1");
    }
}
