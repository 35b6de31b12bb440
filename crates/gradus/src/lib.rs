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
//!    ─► clip ─► Schedule::lr ─► Optimizer::step ─► parameters
//!       (train)  (schedule)      (optim)
//! ```
//!
//! Parameters and gradients live in one flat buffer described by a [`params::ParamLayout`], so
//! the same update rule drives a linear model, a multilayer perceptron and a 2-D test function.
//! The linear model is the zero-hidden-layer [`model::Network`]. [`objective::Objective`] is the
//! one function `(params, batch) ↦ (L, ∇L)` that training, gradient checks and landscapes call;
//! [`train::Trainer`] composes the pieces and knows nothing of any particular one.
//!
//! Hyperparameters are checked once, when a configuration is built, with errors that name the
//! bad value ([`Error::Param`]). All mathematics is generic over [`Real`] (`f32` for training,
//! `f64` for checks).

pub mod data;
pub mod error;
pub mod estimator;
pub mod functions;
pub mod gradcheck;
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
pub mod train;
pub mod trajectory;

pub use error::{Error, Result};
pub use real::Real;
