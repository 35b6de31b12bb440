//! [`Strategy`]: how the [`Trainer`](super::Trainer) moves θ in one step — along the gradient,
//! by an update rule, or by a derivative-free search that asks the objective for values alone.
//!
//! See [`Strategy`] for what a step and an epoch are for each.

use crate::error::{Error, Result};
use crate::optim::{Optimizer, OptimizerParams, State};
use crate::real::Real;
use crate::search::{self, Search, SearchParams};
use serde::{Deserialize, Serialize};

/// How the trainer moves θ: a gradient update rule, or a derivative-free search.
///
/// | strategy | a step | an epoch |
/// | --- | --- | --- |
/// | [`Strategy::Gradient`] | `value_and_grad` on a batch → transforms → [`Optimizer::step`] | the batches of one pass over the rows |
/// | [`Strategy::Search`] | one trial ([`Search::trial`]): `value` of a candidate on every row, kept if lower | a share of the trials (below) |
///
/// A search's trials each evaluate the whole training split, so one trial is one pass over the
/// data, as one epoch of gradient training is. Its T trials are spread over E′ = min(E, T)
/// epochs of the configured E, epoch e (0-based) running trials ⌊eT/E′⌋ to ⌊(e+1)T/E′⌋ − 1
/// ([`Strategy::trials_in_epoch`]): `--trials 1000` reports after every 100 trials by default.
/// The stopping rules keep their meaning on the epoch objective (the mean over the epoch's
/// trials of the kept objective, which never rises): `tol` stops a search that has stalled,
/// early stopping watches the kept θ's validation loss. A search has no learning rate, and
/// takes none of the gradient's options (schedule, warm-up, clipping, noise, freezing, a
/// numerical gradient, sampling, batches, a gradient tolerance): giving one is an error.
///
/// Serialized, as a model file's `optimizer`, in [`OptimizerParams`]' form with the search's
/// values beside it (`{"name":"random-search","trials":100,"init_scale":0.01}`); a gradient rule
/// is written exactly as before searches existed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "StrategyParams", try_from = "StrategyParams")]
pub enum Strategy {
    /// Follow the (transformed) gradient with an update rule.
    Gradient(Optimizer),
    /// Propose θ′ and keep it when the objective falls.
    Search(Search),
}

/// A [`Strategy`] as given: the rule's name and hyperparameters, and the search's values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyParams {
    /// The name (`sgd`, …, `random-search`) and an update rule's hyperparameters.
    #[serde(flatten)]
    pub rule: OptimizerParams,
    /// A search's values.
    #[serde(flatten)]
    pub search: SearchParams,
}

impl StrategyParams {
    /// Checks the values and builds the strategy: a search for a name in
    /// [`search::NAMES`], else an update rule ([`OptimizerParams::build`]).
    ///
    /// # Errors
    /// [`Error::Param`] naming the value: those of [`OptimizerParams::build`] and
    /// [`SearchParams::build`], an update rule's hyperparameter given to a search
    /// (`momentum does not apply to random-search`), or a search's to an update rule.
    pub fn build(&self) -> Result<Strategy> {
        let name = self.rule.name.as_str();
        if search::NAMES.contains(&name) {
            let (_, given) = self.rule.for_rule(name);
            if let Some(h) = given.first() {
                return Err(Error::param(
                    *h,
                    format!("does not apply to {name}, which uses no gradient"),
                ));
            }
            return self.search.build(name).map(Strategy::Search);
        }
        if let Some(h) = self.search.given().first() {
            return Err(Error::param(
                *h,
                format!(
                    "does not apply to {name}: it is a value of {}",
                    search::NAMES.join(" and ")
                ),
            ));
        }
        self.rule.build().map(Strategy::Gradient)
    }
}

impl From<Strategy> for StrategyParams {
    /// Every value of the strategy, explicit.
    fn from(s: Strategy) -> Self {
        match s {
            Strategy::Gradient(rule) => StrategyParams {
                rule: rule.into(),
                search: SearchParams::default(),
            },
            Strategy::Search(search) => StrategyParams {
                rule: OptimizerParams::named(search.name()),
                search: search.params(),
            },
        }
    }
}

impl TryFrom<StrategyParams> for Strategy {
    type Error = Error;
    fn try_from(p: StrategyParams) -> Result<Self> {
        p.build()
    }
}

impl Strategy {
    /// The name: an update rule's ([`crate::optim::NAMES`]) or a search's ([`search::NAMES`]).
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Gradient(rule) => rule.name(),
            Strategy::Search(s) => s.name(),
        }
    }

    /// The strategy and its values, e.g. `adam(beta1=0.9, …)` or `random-search(…)`.
    pub fn describe(&self) -> String {
        match self {
            Strategy::Gradient(rule) => rule.describe(),
            Strategy::Search(s) => s.describe(),
        }
    }

    /// The update rule, for a gradient strategy.
    pub fn rule(&self) -> Option<&Optimizer> {
        match self {
            Strategy::Gradient(rule) => Some(rule),
            Strategy::Search(_) => None,
        }
    }

    /// The search, for a derivative-free strategy.
    pub fn search(&self) -> Option<&Search> {
        match self {
            Strategy::Gradient(_) => None,
            Strategy::Search(s) => Some(s),
        }
    }

    /// The update rule's state before the first step for `n` parameters (a search keeps none:
    /// step 0, no buffers; what it keeps is [`TrainState::search`](super::TrainState::search)).
    pub fn init<T: Real>(&self, n: usize) -> State<T> {
        match self {
            Strategy::Gradient(rule) => rule.init(n),
            Strategy::Search(_) => State {
                step: 0,
                slots: Vec::new(),
            },
        }
    }

    /// The trials of epoch `epoch` (0-based) of `epochs`, for a search (see [`Strategy`]);
    /// `None` for a gradient strategy, whose epochs are passes over the rows.
    pub fn trials_in_epoch(&self, epoch: u64, epochs: u64) -> Option<u64> {
        let trials = self.search()?.trials();
        let epochs = epochs.clamp(1, trials);
        let start = |e: u64| (u128::from(e) * u128::from(trials) / u128::from(epochs)) as u64;
        Some(start(epoch + 1).saturating_sub(start(epoch)))
    }
}
