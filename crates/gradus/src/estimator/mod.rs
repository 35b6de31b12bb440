//! The estimator layer: what a program that trains models calls, whether it is the `gradus`
//! command line, a hyperparameter search, a Python binding or one rank of a parallel run.
//!
//! As in linfa, hyperparameters are checked into a validated type before any fitting, and the
//! fitted model is a type of its own:
//!
//! ```text
//! ModelParams ──check()──► ModelConfig ──Fitted::new(config, train)──► Fitted
//!                                         .train(train, val, observer, checkpoint)
//!                                         .partial_fit(rows)      one more epoch
//!                                         .predict / predict_proba / decision_function
//!                                         .score / class_metrics
//!                                         .save / save_checkpoint / Fitted::load
//! ```
//!
//! A [`Fitted`] model carries its [`TrainState`](crate::train::TrainState) while it trains, so a
//! checkpoint loaded with [`Fitted::load`] trains on exactly as the uninterrupted run would.
//! [`Fitted::rows`] finds the rows a saved model is to be evaluated on (its own test split,
//! re-drawn from the seed it records).
//!
//! ```
//! use gradus::data::csv::CsvOptions;
//! use gradus::data::spec::DataSpec;
//! use gradus::estimator::{Fitted, ModelParams};
//!
//! let mut params = ModelParams::default();
//! params.train.lr = Some(0.1);
//! let config = params.check()?;
//! let splits = config.split.apply(DataSpec::Digits.load(&CsvOptions::default())?)?;
//! let model = Fitted::fit(&config, &splits.train, splits.val.as_ref())?;
//! // 20 % of the digits are held out (`test_fraction`; 0 holds none out, and `test` is `None`).
//! let test = splits.test.as_ref().expect("held-out rows");
//! let score = model.score(test)?;
//! assert!(score.accuracy.unwrap_or(0.0) > 0.9);
//! # Ok::<(), gradus::Error>(())
//! ```

mod assign;
mod checkpoints;
mod fitted;
mod params;
mod rows;
pub mod stream;
mod together;

pub use assign::SEARCHABLE;
pub use checkpoints::Checkpointing;
pub use fitted::{Fitted, Predictions, Score};
pub use params::{ModelConfig, ModelParams};
pub use rows::{RowRequest, Rows, Selected};
pub use together::PassKey;
