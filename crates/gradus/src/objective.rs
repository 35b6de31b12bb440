//! The objective `L(θ) = (1/N) Σ_i L_i(f(x_i; θ)) + λ R(θ)` and its gradient.
//!
//! [`Objective::value_and_grad`] is the one function that training, gradient checks and loss
//! landscapes call. Batches larger than [`CHUNK_ROWS`] are processed in chunks whose gradients
//! are summed in a fixed order, so full-batch gradient descent on 60,000 images needs the memory
//! of one chunk, not of the whole set.

use crate::data::batch::Examples;
use crate::data::{TargetBuf, TargetSlice};
use crate::error::Result;
use crate::loss::Loss;
use crate::model::{Network, Workspace};
use crate::real::Real;
use crate::regularizer::Regularizer;

/// Rows processed at once; larger batches are accumulated chunk by chunk.
pub const CHUNK_ROWS: usize = 2048;

/// A score function, a data loss and a regulariser.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// The score function.
    pub network: Network,
    /// The data loss.
    pub loss: Loss,
    /// The penalty.
    pub regularizer: Regularizer,
}

/// Reusable buffers for evaluating an objective.
#[derive(Clone, Debug)]
pub struct Buffers<T> {
    /// Forward/backward scratch.
    pub ws: Workspace<T>,
    x: Vec<T>,
    targets: TargetBuf,
}

impl<T: Real> Buffers<T> {
    /// Empty buffers; matrix products use `threads` threads.
    pub fn new(threads: usize) -> Self {
        Self { ws: Workspace::new(threads), x: Vec::new(), targets: TargetBuf::default() }
    }
}

/// What one evaluation of the objective on a batch found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BatchStats {
    /// `L = data_loss + penalty`.
    pub objective: f64,
    /// `(1/N) Σ_i L_i`.
    pub data_loss: f64,
    /// `λ R(θ)`.
    pub penalty: f64,
    /// Rows whose predicted class equals the label (0 for regression).
    pub correct: usize,
    /// Rows in the batch.
    pub rows: usize,
}

impl Objective {
    /// Evaluates `L` on the rows `rows` of `data` and writes `∇L` into `grads`.
    pub fn value_and_grad<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
        grads: &mut [T],
    ) -> BatchStats {
        let mut stats = self.data_pass(params, data, rows, buf, Some(grads));
        stats.penalty = self.regularizer.penalty_grad(params, self.network.layout(), grads);
        stats.objective = stats.data_loss + stats.penalty;
        stats
    }

    /// Evaluates `L` on the rows `rows` of `data`, without the gradient.
    pub fn value<T: Real, E: Examples>(&self, params: &[T], data: &E, rows: &[usize], buf: &mut Buffers<T>) -> BatchStats {
        let mut stats = self.data_pass(params, data, rows, buf, None);
        let mut scratch = vec![T::zero(); params.len()];
        stats.penalty = self.regularizer.penalty_grad(params, self.network.layout(), &mut scratch);
        stats.objective = stats.data_loss + stats.penalty;
        stats
    }

    /// The data loss over `rows` in chunks; with `grads`, also its gradient.
    fn data_pass<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
        mut grads: Option<&mut [T]>,
    ) -> BatchStats {
        let net = &self.network;
        let scale = 1.0 / rows.len().max(1) as f64;
        let (mut total, mut correct) = (0.0, 0);
        for (c, chunk) in rows.chunks(CHUNK_ROWS).enumerate() {
            let n = chunk.len();
            data.gather(chunk, &mut buf.x, &mut buf.targets);
            net.forward(params, &buf.x, n, &mut buf.ws);
            let (scores, dscores) = buf.ws.scores_and_dscores(net, n);
            let targets = buf.targets.as_slice();
            total += self.loss.batch_value_grad(scores, net.outputs(), targets, dscores, scale);
            correct += self.count_correct(scores, targets);
            if let Some(g) = grads.as_deref_mut() {
                net.backward(params, &buf.x, n, &mut buf.ws, g, c > 0);
            }
        }
        BatchStats { objective: 0.0, data_loss: total * scale, penalty: 0.0, correct, rows: rows.len() }
    }

    fn count_correct<T: Real>(&self, scores: &[T], targets: TargetSlice) -> usize {
        match targets {
            TargetSlice::Classes(labels) => scores
                .chunks_exact(self.network.outputs())
                .zip(labels)
                .filter(|(s, l)| self.loss.predict_class(s) == **l as usize)
                .count(),
            TargetSlice::Values(_) => 0,
        }
    }

    /// The `len × outputs` scores of every row of `data`, in order.
    pub fn scores<E: Examples>(&self, params: &[f32], data: &E, threads: usize) -> Vec<f32> {
        let mut buf = Buffers::new(threads);
        let out = self.network.outputs();
        let mut all = Vec::with_capacity(data.len() * out);
        let rows: Vec<usize> = (0..data.len()).collect();
        for chunk in rows.chunks(CHUNK_ROWS) {
            data.gather(chunk, &mut buf.x, &mut buf.targets);
            all.extend_from_slice(self.network.forward(params, &buf.x, chunk.len(), &mut buf.ws));
        }
        all
    }

    /// Checks that a parameter vector fits the network.
    pub fn check_params(&self, params: &[f32]) -> Result<()> {
        let want = self.network.layout().len();
        if params.len() != want {
            return Err(crate::Error::data(format!("the model has {} parameters, expected {want}", params.len())));
        }
        Ok(())
    }
}
