//! The objective `L(θ) = (1/N) Σ_i L_i(f(x_i; θ)) + λ R(θ)` and its gradient.
//!
//! [`Objective::value_and_grad`] computes it; [`Objective::on`] binds it to a data set as the
//! [`Problem`] that training, gradient checks and loss landscapes call. Batches larger than [`CHUNK_ROWS`] are processed in chunks whose gradients
//! are summed in a fixed order, so full-batch gradient descent on 60,000 images needs the memory
//! of one chunk, not of the whole set.

use crate::data::batch::Examples;
use crate::data::{TargetBuf, TargetSlice};
use crate::error::Result;
use crate::loss::Loss;
use crate::model::{Network, Workspace};
use crate::problem::{BatchStats, Problem};
use crate::real::Real;
use crate::regularizer::Regularizer;
use rayon::prelude::*;

/// Rows processed at once; larger batches are accumulated chunk by chunk.
pub const CHUNK_ROWS: usize = 2048;

/// Fewest rows a shard is given: below this, waking another thread costs more than it saves.
const MIN_SHARD_ROWS: usize = 16;

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

/// Reusable buffers for evaluating an objective: one shard per thread.
///
/// A batch is split into as many contiguous parts as there are shards; each shard gathers its
/// rows and runs forward and backward passes on one thread, and the shards' gradients are then
/// summed in shard order. One fork–join per batch (instead of one per matrix product) keeps
/// small batches fast, and for a given thread count the sums are always taken in the same order,
/// so results are bitwise reproducible.
#[derive(Clone, Debug)]
pub struct Buffers<T> {
    shards: Vec<Shard<T>>,
    /// The gradients of shards 1.. (shard 0 writes straight into the caller's buffer).
    grads: Vec<Vec<T>>,
}

#[derive(Clone, Debug)]
struct Shard<T> {
    ws: Workspace<T>,
    x: Vec<T>,
    targets: TargetBuf,
}

impl<T: Real> Buffers<T> {
    /// Empty buffers for `threads` shards.
    pub fn new(threads: usize) -> Self {
        let shard = Shard {
            ws: Workspace::new(1),
            x: Vec::new(),
            targets: TargetBuf::default(),
        };
        let n = threads.max(1);
        Self {
            shards: vec![shard; n],
            grads: vec![Vec::new(); n - 1],
        }
    }

    /// The first shard's workspace: after an evaluation on at most one shard's rows, the
    /// activations of that forward pass.
    pub(crate) fn first_workspace(&self) -> &Workspace<T> {
        &self.shards[0].ws
    }
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
    pub fn value<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
    ) -> BatchStats {
        let mut stats = self.data_pass(params, data, rows, buf, None);
        let mut scratch = vec![T::zero(); params.len()];
        stats.penalty = self
            .regularizer
            .penalty_grad(params, self.network.layout(), &mut scratch);
        stats.objective = stats.data_loss + stats.penalty;
        stats
    }

    /// The data loss over `rows` in chunks split across the shards; with `grads`, also its
    /// gradient.
    fn data_pass<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
        mut grads: Option<&mut [T]>,
    ) -> BatchStats {
        let scale = 1.0 / rows.len().max(1) as f64;
        let shards = buf.shards.len();
        let want_grads = grads.is_some();
        if want_grads {
            for g in &mut buf.grads {
                g.clear();
                g.resize(params.len(), T::zero());
            }
        }
        let (mut total, mut correct) = (0.0, 0);
        for (c, chunk) in rows.chunks(CHUNK_ROWS).enumerate() {
            let per_shard = chunk.len().div_ceil(shards).max(MIN_SHARD_ROWS);
            let parts: Vec<&[usize]> = chunk.chunks(per_shard).collect();
            let (first, rest) = buf.shards.split_at_mut(1);
            let shard_pass = |sh: &mut Shard<T>, part: &[usize], g: Option<&mut [T]>| {
                let accumulate = c > 0;
                self.shard_pass(params, data, part, sh, g, scale, accumulate)
            };
            let g0 = grads.as_deref_mut();
            let (head, tail) = rayon::join(
                || shard_pass(&mut first[0], parts[0], g0),
                || {
                    rest.par_iter_mut()
                        .zip(buf.grads.par_iter_mut())
                        .zip(&parts[1..])
                        .map(|((sh, g), part)| {
                            let g = want_grads.then_some(g.as_mut_slice());
                            // Other shards always accumulate: they were zeroed above.
                            self.shard_pass(params, data, part, sh, g, scale, true)
                        })
                        .collect::<Vec<_>>()
                },
            );
            for (l, k) in std::iter::once(head).chain(tail) {
                total += l;
                correct += k;
            }
        }
        if let Some(g) = grads {
            for other in &buf.grads {
                for (a, &b) in g.iter_mut().zip(other) {
                    *a += b;
                }
            }
        }
        BatchStats {
            objective: 0.0,
            data_loss: total * scale,
            penalty: 0.0,
            correct,
            rows: rows.len(),
            evaluations: 1,
        }
    }

    /// Forward (and backward, with `grads`) over `part` on one shard: returns the summed loss
    /// and the count of correct predictions.
    #[allow(clippy::too_many_arguments)]
    fn shard_pass<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        part: &[usize],
        sh: &mut Shard<T>,
        grads: Option<&mut [T]>,
        scale: f64,
        accumulate: bool,
    ) -> (f64, usize) {
        let net = &self.network;
        let n = part.len();
        data.gather(part, &mut sh.x, &mut sh.targets);
        net.forward(params, &sh.x, n, &mut sh.ws);
        let (scores, dscores) = sh.ws.scores_and_dscores(net, n);
        let targets = sh.targets.as_slice();
        let loss = self
            .loss
            .batch_value_grad(scores, net.outputs(), targets, dscores, scale);
        let correct = self.count_correct(scores, targets);
        if let Some(g) = grads {
            net.backward(params, &sh.x, n, &mut sh.ws, g, accumulate);
        }
        (loss, correct)
    }

    /// Rows of `scores` whose predicted class is the label (0 for regression targets).
    pub(crate) fn count_correct<T: Real>(&self, scores: &[T], targets: TargetSlice) -> usize {
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
        let (mut ws, mut x, mut targets) = (Workspace::new(threads), Vec::new(), TargetBuf::default());
        let out = self.network.outputs();
        let mut all = Vec::with_capacity(data.len() * out);
        let rows: Vec<usize> = (0..data.len()).collect();
        for chunk in rows.chunks(CHUNK_ROWS) {
            data.gather(chunk, &mut x, &mut targets);
            all.extend_from_slice(self.network.forward(params, &x, chunk.len(), &mut ws));
        }
        all
    }

    /// Checks that a parameter vector fits the network.
    pub fn check_params(&self, params: &[f32]) -> Result<()> {
        let want = self.network.layout().len();
        if params.len() != want {
            return Err(crate::Error::data(format!(
                "the model has {} parameters, expected {want}",
                params.len()
            )));
        }
        Ok(())
    }
}

/// An [`Objective`] bound to its examples and scratch buffers: the [`Problem`] a trainer steps.
pub struct OnData<'a, T, E> {
    objective: &'a Objective,
    data: &'a E,
    buf: Buffers<T>,
}

impl Objective {
    /// This objective over the rows of `data`, evaluated on `threads` shards.
    pub fn on<'a, T: Real, E: Examples>(&'a self, data: &'a E, threads: usize) -> OnData<'a, T, E> {
        OnData {
            objective: self,
            data,
            buf: Buffers::new(threads),
        }
    }
}

impl<T: Real, E: Examples> Problem<T> for OnData<'_, T, E> {
    fn rows(&self) -> usize {
        self.data.len()
    }
    fn classifies(&self) -> bool {
        self.objective.loss.task() == crate::data::Task::Classify
    }
    fn value_and_grad(&mut self, params: &[T], rows: &[usize], grads: &mut [T]) -> BatchStats {
        self.objective
            .value_and_grad(params, self.data, rows, &mut self.buf, grads)
    }
    fn value(&mut self, params: &[T], rows: &[usize]) -> BatchStats {
        self.objective.value(params, self.data, rows, &mut self.buf)
    }
}
