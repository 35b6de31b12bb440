//! Why online SGD beats full-batch gradient descent on redundant data (Bottou & Bousquet,
//! "The Tradeoffs of Large Scale Learning", NIPS 2007; Bottou, Curtis & Nocedal, SIAM Review
//! 2018, §3.3): a training set made of `copies` copies of the same `distinct` examples has the
//! same objective as the small set, `(1/(kn)) Σ = (1/n) Σ`, yet a full-batch step costs k
//! times more, while one online epoch over the large set is k epochs over the small one.
//!
//! Each method runs the same number of examples through the gradient; the objective (on the
//! whole set) is recorded against examples processed.

use super::check_count;
use crate::data::Dataset;
use crate::data::batch::{BatchSize, Prepared, Sampling};
use crate::data::preprocess::Scaling;
use crate::error::{Error, Result};
use crate::experiments::step_size::curvature;
use crate::loss::{Loss, SoftmaxCrossEntropy};
use crate::model::{Architecture, Network};
use crate::objective::Objective;
use crate::problem::Problem;
use crate::regularizer::Regularizer;
use crate::train::{TrainParams, TrainState, Trainer};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// The experiment's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Distinct examples drawn from the data (100).
    pub distinct: usize,
    /// Copies of them in the training set (10).
    pub copies: usize,
    /// Passes over the large set each method gets (10).
    pub epochs: u64,
    /// Rows per minibatch (10).
    pub minibatch: usize,
    /// The step of every method; `None`: 1/L, L the objective's curvature at 0.
    pub lr: Option<f64>,
    /// Objective evaluations per pass over the large set (20).
    pub points_per_epoch: usize,
    /// Seed of the examples drawn and of the SGD permutations.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            distinct: 100,
            copies: 10,
            epochs: 10,
            minibatch: 10,
            lr: None,
            points_per_epoch: 20,
            seed: 0,
        }
    }
}

/// One method's curve.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// The method.
    pub name: String,
    /// Rows per step.
    pub batch: usize,
    /// (examples processed, objective) from (0, L(0)).
    pub points: Vec<(u64, f64)>,
}

impl Curve {
    /// The objective after `examples` examples (the last point at or before it).
    pub fn at(&self, examples: u64) -> f64 {
        self.points
            .iter()
            .take_while(|p| p.0 <= examples)
            .last()
            .map_or(f64::NAN, |p| p.1)
    }
}

/// The curves and the step they used.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The common step.
    pub lr: f64,
    /// The curvature L at 0.
    pub curvature: f64,
    /// Rows of the large set.
    pub rows: usize,
    /// Full-batch GD on the large set, minibatch SGD, single-example SGD, and full-batch GD on
    /// the distinct examples alone.
    pub curves: Vec<Curve>,
}

/// Runs the four methods on a linear softmax classifier of `data` (features standardized on
/// the distinct examples), from 0.
///
/// # Errors
/// [`Error::Param`] for settings out of range; [`Error::Data`] when the data has fewer rows
/// than `distinct` or no classes.
pub fn run(data: &Dataset, p: &Params) -> Result<Outcome> {
    check_count("distinct", p.distinct, 2, 100_000)?;
    check_count("copies", p.copies, 1, 1000)?;
    check_count("epochs", p.epochs as usize, 1, 1000)?;
    check_count("minibatch", p.minibatch, 1, p.distinct * p.copies)?;
    check_count("points_per_epoch", p.points_per_epoch, 1, 1000)?;
    if data.len() < p.distinct {
        return Err(Error::data(format!(
            "the data has {} rows, fewer than the {} distinct examples asked for",
            data.len(),
            p.distinct
        )));
    }
    let mut rows: Vec<usize> = (0..data.len()).collect();
    rows.shuffle(&mut ChaCha8Rng::seed_from_u64(p.seed));
    let small = data.subset(&rows[..p.distinct]);
    let large = small.subset(&(0..p.distinct * p.copies).map(|i| i % p.distinct).collect::<Vec<_>>());
    let loss = Loss::Softmax(SoftmaxCrossEntropy);
    let outputs = loss.outputs(data.task(), data.n_classes())?;
    let objective = Objective {
        network: Network::new(data.n_features(), &Architecture::linear(), outputs)?,
        loss,
        class_weight: None,
        regularizer: Regularizer::none(),
    };
    let affine = Scaling::Standardize.fit(&small);
    let (small, large) = (
        Prepared {
            data: &small,
            affine: &affine,
        },
        Prepared {
            data: &large,
            affine: &affine,
        },
    );
    let mut whole = objective.on::<f64, _>(&large);
    let zero = vec![0.0; objective.network.layout().len()];
    let l = curvature(&mut whole, &zero, 100, p.seed);
    let lr = match p.lr {
        Some(lr) => super::check_positive("lr", lr, false)?,
        None => 1.0 / l,
    };
    let n = large.data.len();
    let budget = p.epochs * n as u64;
    let every = (n / p.points_per_epoch).max(1) as u64;
    let all: Vec<usize> = (0..n).collect();
    let mut curves = Vec::new();
    let methods = [
        (format!("full-batch GD on all {n} rows"), n, true),
        (format!("minibatch SGD (B = {})", p.minibatch), p.minibatch, true),
        ("single-example SGD (B = 1)".to_string(), 1, true),
        (
            format!("full-batch GD on the {} distinct rows", p.distinct),
            p.distinct,
            false,
        ),
    ];
    for (name, batch, on_large) in methods {
        let source = if on_large { large } else { small };
        let mut problem = objective.on::<f64, _>(&source);
        let config = TrainParams {
            batch: BatchSize::Rows(batch),
            lr: Some(lr),
            seed: p.seed,
            ..TrainParams::default()
        }
        .check()?;
        let mut trainer = Trainer::new(&config);
        let mut state = TrainState::new(&config.strategy, zero.len());
        let mut theta = zero.clone();
        let mut points = vec![(0, whole.value(&theta, &all).objective)];
        let mut seen = 0u64;
        let m = source.data.len();
        while seen < budget {
            let order = Sampling::Permutation.order(m, config.seed, state.epoch);
            for batch_rows in order.chunks(batch) {
                trainer.step_batch(&mut problem, &mut theta, &mut state, batch_rows, lr)?;
                let before = seen;
                seen += batch_rows.len() as u64;
                if seen / every > before / every || seen >= budget {
                    points.push((seen, whole.value(&theta, &all).objective));
                }
                if seen >= budget {
                    break;
                }
            }
            state.epoch += 1;
        }
        curves.push(Curve { name, batch, points });
    }
    Ok(Outcome {
        lr,
        curvature: l,
        rows: n,
        curves,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On 10 copies of 30 digits, one epoch of single-example SGD over the 300 rows gets lower
    /// than one full-batch step, and lower than 10 full-batch steps on the 30 distinct rows
    /// (the same 300 examples processed); a full-batch step on the copies is one on the
    /// distinct rows at ten times the cost.
    #[test]
    fn one_online_epoch_does_the_work_of_ten_small_batch_epochs() {
        let digits = crate::data::digits::load().unwrap();
        let p = Params {
            distinct: 30,
            epochs: 3,
            ..Params::default()
        };
        let out = run(&digits, &p).unwrap();
        let [gd, _mini, online, small] = &out.curves[..] else {
            panic!("four curves expected");
        };
        let start = gd.points[0].1;
        assert!((start - 10f64.ln()).abs() < 1e-9, "{start}");
        assert_eq!(gd.points.len(), 4);
        let (one_epoch, ten_small) = (online.at(300), small.at(300));
        assert!(one_epoch < 0.5 * gd.at(300), "{one_epoch} against {}", gd.at(300));
        assert!(one_epoch < ten_small, "online {one_epoch}, small GD {ten_small}");
        // Ten full-batch steps on the copies are ten on the distinct rows: the same objective.
        assert!((gd.at(900) - small.at(90)).abs() < 1e-9);
        assert!(
            run(
                &digits,
                &Params {
                    minibatch: 0,
                    ..p.clone()
                }
            )
            .is_err()
        );
    }
}
