//! # gradus
//!
//! Linear models and multilayer perceptrons trained by stochastic gradient descent and its
//! relatives, with exact gradients, every update rule of `torch.optim`, and the tools to see
//! what the optimizer does.
//!
//! ## The big picture
//!
//! Data flows one way, and each arrow is one small module:
//!
//! ```text
//! Dataset ─► Batcher ─► Network::forward ─► Loss::loss_grad ─► Network::backward ─► Regularizer
//! (data)     (data::batch)  (model)          (loss)              (model)            (regularizer)
//!    ─► transforms (clip, noise, …) ─► Schedule::lr ─► Optimizer::step ─► parameters
//!       (train::Chain)                  (schedule)      (optim)
//! ```
//!
//! Parameters and gradients live in one flat buffer described by a [`params::ParamLayout`], so
//! the same update rule drives a linear model, a multilayer perceptron and a 2-D test function.
//! The linear model is the zero-hidden-layer [`model::Network`]. [`problem::Problem`] is the one
//! interface `(θ, rows) ↦ (L, ∇L)` that training, gradient checks and landscapes call: an
//! [`objective::Objective`] bound to its data implements it, and so does each
//! [`functions::TestFunction`]. [`train::Trainer`] steps any problem (`step_batch`, `run_epoch`,
//! `fit`) by a [`train::Strategy`] — an update rule of [`optim`] following the gradient, or a
//! derivative-free [`search`] that asks for values alone — knows none of the pieces in
//! particular, and keeps everything it needs to continue in a [`train::TrainState`]. Each
//! epoch's report carries its health figures, measured without a pass over the data: the mean
//! norm of the batch gradients and each layer's update/weight ratio ([`train::LayerUpdate`]).
//! Linear models that share their batches can train together, in lockstep
//! ([`train::Trainer::fit_together`]) on a [`shared_pass::SharedPass`]: one product computes
//! every model's scores. A linear model on sparse rows reads and writes only the columns its
//! batch touches ([`problem::Problem::sparse_value_and_grad`]), its penalty deferred (`train::lazy`).
//! Data-parallel training binds the objective to one rank's view of the data
//! ([`objective::Objective::distributed`]): every evaluation shares the batch out over the
//! ranks and combines their parts through a [`collective::Collective`], the same bits as one
//! process in its exact mode.
//!
//! On top sits the estimator layer, what programs call: [`estimator::ModelParams`] is checked
//! into an [`estimator::ModelConfig`], from which [`estimator::Fitted`] builds, trains
//! (`train`, `partial_fit`), applies (`predict`, `predict_proba`, `decision_function`,
//! `score`) and saves a model. The `gradus` command line is argument parsing, progress display
//! and file output over it; `examples/fit_predict.rs` uses it without the command line.
//!
//! Hyperparameters are checked once, when a configuration is built, with errors that name the
//! parameter and the bad value ([`Error::Param`]: `beta1 must be in [0, 1), got 1.2`). All
//! mathematics is generic over [`Real`] (`f32` for training, `f64` for checks).

pub mod collective;
pub mod data;
pub mod error;
pub mod estimator;
pub mod experiments;
pub mod functions;
pub mod gradcheck;
pub mod landscape;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod modelfile;
pub mod objective;
pub mod optim;
pub mod params;
pub mod problem;
pub mod real;
pub mod regularizer;
pub mod schedule;
pub mod search;
pub mod shared_pass;
pub mod train;
pub mod trajectory;
pub mod tune;

pub use error::{Error, Result};
pub use real::Real;
