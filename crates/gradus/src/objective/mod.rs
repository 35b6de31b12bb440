//! The objective `L(θ) = (1/N) Σ_i L_i(f(x_i; θ)) + λ R(θ)` and its gradient; with per-class
//! weights `w` ([`ClassWeight`](crate::loss::ClassWeight)), `(1/N) Σ_i w_{y_i} L_i + λ R(θ)`.
//!
//! [`Objective::value_and_grad`] computes it; [`Objective::on`] binds it to a data set as the
//! [`Problem`] that training, gradient checks and loss landscapes call. Batches larger than
//! [`CHUNK_ROWS`] are processed in chunks whose gradients are summed in a fixed order, so
//! full-batch gradient descent on 60,000 images needs the memory of one chunk, not of the whole
//! set; each chunk is split into at most [`SHARDS`] shards by a rule that ignores the thread
//! count ([`Buffers`]), so the result is the same bits on any number of threads.

mod distributed;
mod sparse;

pub use distributed::Distributed;

use crate::data::batch::Examples;
use crate::data::{TargetBuf, TargetSlice};
use crate::error::Result;
use crate::loss::Loss;
use crate::model::{Network, Workspace};
use crate::problem::{BatchStats, Problem, SparseGrad};
use crate::real::Real;
use crate::regularizer::Regularizer;
use rayon::prelude::*;

/// Rows processed at once; larger batches are accumulated chunk by chunk.
pub const CHUNK_ROWS: usize = 2048;

/// Most shards a chunk is split into, whatever the thread count: the fixed summation order
/// that makes results the same bits on any number of threads.
pub const SHARDS: usize = 4;

/// Fewest rows a shard is given: below this, a shard's matrix products run far below the
/// machine's peak and its gradient costs more to add than its rows to process.
const MIN_SHARD_ROWS: usize = 32;

/// A score function, a data loss and a regulariser.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// The score function.
    pub network: Network,
    /// The data loss.
    pub loss: Loss,
    /// The weight `w_c` of each class's rows in the data loss (`None`: 1 for every class), as
    /// [`Loss::batch_value_grad`] applies it.
    pub class_weight: Option<Vec<f64>>,
    /// The penalty.
    pub regularizer: Regularizer,
}

/// Reusable buffers for evaluating an objective: one per shard.
///
/// A chunk of rows is split into `k = clamp(⌊rows / MIN_SHARD_ROWS⌋, 1, SHARDS)` contiguous
/// parts of `⌈rows / k⌉` rows, a rule that depends on the batch alone, never on the thread
/// count. Each shard gathers its rows and runs forward and backward passes on one
/// thread (single-threaded matrix products), accumulating its gradient over the chunks of the
/// batch; the shards' gradients and losses are then added along a fixed binary tree,
/// `(g₀ + g₁) + (g₂ + g₃)`, inside the same fork–join (each addition runs where its subtree
/// finished). Rayon may run the shards in any order on any number of threads: every sum is
/// taken in the same order, so `--threads 1` and `--threads 8` give the same bits. One
/// fork–join per chunk (instead of one per matrix product) keeps small batches fast.
#[derive(Clone, Debug)]
pub struct Buffers<T> {
    shards: Vec<Shard<T>>,
    /// The sparse path's scratch ([`Objective::sparse_input`]).
    sparse: sparse::SparseScratch<T>,
    /// The gradients of shards 1.. (shard 0 writes straight into the caller's buffer).
    grads: Vec<Vec<T>>,
}

#[derive(Clone, Debug)]
struct Shard<T> {
    ws: Workspace<T>,
    x: Vec<T>,
    targets: TargetBuf,
}

impl<T: Real> Default for Buffers<T> {
    /// Empty buffers for [`SHARDS`] shards: the ones training uses.
    fn default() -> Self {
        Self::new(SHARDS)
    }
}

impl<T: Real> Buffers<T> {
    /// Empty buffers for at most `shards` shards (one keeps every chunk's forward pass in one
    /// workspace, for the gradient checker to read).
    pub fn new(shards: usize) -> Self {
        let shard = Shard {
            ws: Workspace::new(1),
            x: Vec::new(),
            targets: TargetBuf::default(),
        };
        let n = shards.max(1);
        Self {
            shards: vec![shard; n],
            sparse: sparse::SparseScratch::default(),
            grads: vec![Vec::new(); n - 1],
        }
    }

    /// The first shard's workspace: after an evaluation on at most one shard's rows, the
    /// activations of that forward pass.
    pub(crate) fn first_workspace(&self) -> &Workspace<T> {
        &self.shards[0].ws
    }

    /// How many shards the batch `rows` is split into: those of its first, fullest chunk.
    fn shards_of(&self, rows: &[usize]) -> usize {
        shard_count(rows, self.shards.len())
    }
}

/// How many shards the batch `rows` is split into when a chunk is split into at most `most`:
/// those of its first, fullest chunk.
fn shard_count(rows: &[usize], most: usize) -> usize {
    split(&rows[..rows.len().min(CHUNK_ROWS)], most, 1).len()
}

/// The rows of each shard of `chunk`: `k = clamp(⌊rows / MIN_SHARD_ROWS⌋, 1, most)` parts of
/// `⌈rows / k⌉` rows (the last shorter), padded with empty parts to `at_least` (the shards of
/// an earlier, fuller chunk of the batch).
fn split(chunk: &[usize], most: usize, at_least: usize) -> Vec<&[usize]> {
    let k = (chunk.len() / MIN_SHARD_ROWS).clamp(1, most);
    let per_shard = chunk.len().div_ceil(k).max(1);
    let mut parts: Vec<&[usize]> = chunk.chunks(per_shard).collect();
    parts.resize(at_least.max(parts.len()).max(1), &[]);
    parts
}

/// The weight `1/N` of each of the `N` rows of a batch (1 for an empty one).
fn mean_scale(rows: &[usize]) -> f64 {
    1.0 / rows.len().max(1) as f64
}

/// The statistics of the data term over `rows`, from its weighted loss sum and correct count.
fn data_stats(rows: &[usize], (loss, correct): (f64, usize)) -> BatchStats {
    BatchStats {
        objective: 0.0,
        data_loss: loss * mean_scale(rows),
        penalty: 0.0,
        correct,
        rows: rows.len(),
        evaluations: 1,
    }
}

/// One shard's share of a chunk: its buffers, its rows, where its gradient goes, and what its
/// pass found.
struct Leaf<'a, T> {
    shard: &'a mut Shard<T>,
    rows: &'a [usize],
    grads: Option<&'a mut [T]>,
    /// The summed loss of its rows (once folded, of its subtree's rows).
    loss: f64,
    /// Its rows predicted correctly (once folded, its subtree's).
    correct: usize,
}

/// The one order in which the shards of a chunk are combined: `leaves` halved at each level of
/// a binary tree (the left half `⌊k/2⌋` long), `leaf` run on each leaf (the halves in
/// parallel, by `rayon::join`), and `merge(left[0], right[0])` once both halves of a node are
/// done, so that the first leaf ends holding the fold of all of them (none for no leaves):
/// `(ℓ₀ ⊕ ℓ₁) ⊕ (ℓ₂ ⊕ ℓ₃)` for four, `ℓ₀ ⊕ (ℓ₁ ⊕ ℓ₂)` for three. One process folds its shards'
/// passes with it ([`Objective::value_and_grad`]), and the ranks of a distributed run fold the
/// shards they computed apart with it too ([`Distributed`], exact mode), so both take every sum
/// in the same order and give the same bits.
fn tree<L: Send>(leaves: &mut [L], leaf: &(impl Fn(&mut L) + Sync), merge: &(impl Fn(&mut L, &L) + Sync)) {
    match leaves {
        [] => return,
        [one] => return leaf(one),
        _ => {}
    }
    let (left, right) = leaves.split_at_mut(leaves.len() / 2);
    rayon::join(|| tree(left, leaf, merge), || tree(right, leaf, merge));
    merge(&mut left[0], &right[0]);
}

/// `a += b`, elementwise: how the gradients of two subtrees are combined.
fn add_into<T: Real>(a: &mut [T], b: &[T]) {
    for (a, &b) in a.iter_mut().zip(b) {
        *a += b;
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
        let stats = match self.sparse_input(data) {
            Some(_) => {
                // The sparse path computes its support alone: the rest of the gradient is zero.
                let stats = self.sparse_stats(params, data, rows, buf, true);
                grads.fill(T::zero());
                let sparse = &buf.sparse;
                sparse
                    .support
                    .iter()
                    .zip(&sparse.values)
                    .for_each(|(&j, &g)| grads[j] = g);
                stats
            }
            None => self.data_pass(params, data, rows, buf, Some(&mut *grads)),
        };
        self.penalized(stats, params, Some(grads))
    }

    /// Evaluates `L` on the rows `rows` of `data`, without the gradient.
    pub fn value<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
    ) -> BatchStats {
        let stats = match self.sparse_input(data) {
            Some(_) => self.sparse_stats(params, data, rows, buf, false),
            None => self.data_pass(params, data, rows, buf, None),
        };
        self.penalized(stats, params, None)
    }

    /// `stats` of the data term with the penalty `λR(θ)` added, and its gradient added into
    /// `grads` when given.
    fn penalized<T: Real>(&self, mut stats: BatchStats, params: &[T], grads: Option<&mut [T]>) -> BatchStats {
        let layout = self.network.layout();
        stats.penalty = match grads {
            Some(grads) => self.regularizer.penalty_grad(params, layout, grads),
            None => self
                .regularizer
                .penalty_grad(params, layout, &mut vec![T::zero(); params.len()]),
        };
        stats.objective = stats.data_loss + stats.penalty;
        stats
    }

    /// The data loss over `rows` of sparse rows ([`Objective::sparse_pass`]), and with `grad`
    /// its gradient on its support, compact, in `buf`'s sparse scratch.
    pub(crate) fn sparse_stats<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
        grad: bool,
    ) -> BatchStats {
        let x = self.sparse_input(data).expect("the rows are sparse");
        let scale = mean_scale(rows);
        let (loss, correct) = match grad {
            // A value alone over many rows (an evaluation): chunks of CHUNK_ROWS in parallel,
            // their sums added in chunk order, the same bits on any number of threads.
            false if rows.len() > CHUNK_ROWS => rows
                .par_chunks(CHUNK_ROWS)
                .map(|chunk| {
                    self.sparse_pass(
                        params,
                        x,
                        data,
                        chunk,
                        &mut sparse::SparseScratch::default(),
                        false,
                        scale,
                    )
                })
                .collect::<Vec<_>>()
                .into_iter()
                .fold((0.0, 0), |(l, c), (dl, dc)| (l + dl, c + dc)),
            grad => self.sparse_pass(params, x, data, rows, &mut buf.sparse, grad, scale),
        };
        BatchStats {
            objective: loss * scale,
            data_loss: loss * scale,
            penalty: 0.0,
            correct,
            rows: rows.len(),
            evaluations: 1,
        }
    }

    /// The data loss over `rows`, chunk by chunk, each chunk split into shards as [`Buffers`]
    /// says; with `grads`, also its gradient.
    fn data_pass<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
        grads: Option<&mut [T]>,
    ) -> BatchStats {
        let sums = self.scaled_pass(params, data, rows, buf, grads, mean_scale(rows));
        data_stats(rows, sums)
    }

    /// The summed loss and correct count over `rows`, and with `grads` the gradient of the
    /// loss sum weighted by `scale`: every shard's passes, folded along [`tree`].
    fn scaled_pass<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        buf: &mut Buffers<T>,
        grads: Option<&mut [T]>,
        scale: f64,
    ) -> (f64, usize) {
        let shards = buf.shards_of(rows);
        let mut outs: Vec<Option<&mut [T]>> = match grads {
            Some(g0) => std::iter::once(g0)
                .chain(buf.grads[..shards - 1].iter_mut().map(|g| {
                    g.resize(params.len(), T::zero());
                    g.as_mut_slice()
                }))
                .map(Some)
                .collect(),
            None => (0..shards).map(|_| None).collect(),
        };
        let (mut total, mut correct) = (0.0, 0);
        let owned = 0..shards;
        self.leaf_passes(
            params,
            data,
            rows,
            &mut buf.shards,
            owned,
            &mut outs,
            scale,
            true,
            |leaves| {
                total += leaves[0].loss;
                correct += leaves[0].correct;
            },
        );
        (total, correct)
    }

    /// The passes of the shards `owned` (of the batch's `k`, [`Buffers::shards_of`]) over
    /// every chunk of `rows`, on `shards`' buffers (at least `owned.len()`, their count the
    /// most a chunk is split into), shard `owned.start + j`'s gradient into `outs[j]`
    /// (overwritten by its first chunk and accumulated by the next ones, so no buffer is
    /// cleared), rows weighted by `scale`; `each` sees the leaves after each chunk. With
    /// `fold` (all `k` shards owned), each chunk's leaves are folded along [`tree`] — losses
    /// and counts at every chunk, gradients at the last — so `each` finds the chunk's totals,
    /// and `outs[0]` ends holding the batch's gradient, in the first leaf; without it, each
    /// leaf keeps its own.
    #[allow(clippy::too_many_arguments)]
    fn leaf_passes<T: Real, E: Examples>(
        &self,
        params: &[T],
        data: &E,
        rows: &[usize],
        shards: &mut [Shard<T>],
        owned: std::ops::Range<usize>,
        outs: &mut [Option<&mut [T]>],
        scale: f64,
        fold: bool,
        mut each: impl FnMut(&[Leaf<T>]),
    ) {
        let k = shard_count(rows, shards.len());
        let chunks = rows.len().div_ceil(CHUNK_ROWS).max(1);
        for c in 0..chunks {
            let chunk = &rows[(c * CHUNK_ROWS).min(rows.len())..((c + 1) * CHUNK_ROWS).min(rows.len())];
            let parts = split(chunk, shards.len(), k);
            let mut leaves: Vec<Leaf<T>> = shards
                .iter_mut()
                .zip(&parts[owned.clone()])
                .zip(outs.iter_mut())
                .map(|((shard, &rows), grads)| Leaf {
                    shard,
                    rows,
                    grads: grads.as_deref_mut(),
                    loss: 0.0,
                    correct: 0,
                })
                .collect();
            let (accumulate, reduce) = (c > 0, fold && c + 1 == chunks);
            let pass = |leaf: &mut Leaf<T>| {
                if !leaf.rows.is_empty() {
                    let g = leaf.grads.as_deref_mut();
                    (leaf.loss, leaf.correct) =
                        self.shard_pass(params, data, leaf.rows, leaf.shard, g, scale, accumulate);
                }
            };
            if fold {
                tree(&mut leaves, &pass, &|a: &mut Leaf<T>, b: &Leaf<T>| {
                    a.loss += b.loss;
                    a.correct += b.correct;
                    if reduce && let (Some(a), Some(b)) = (a.grads.as_deref_mut(), b.grads.as_deref()) {
                        add_into(a, b);
                    }
                });
            } else {
                tree(&mut leaves, &pass, &|_: &mut Leaf<T>, _: &Leaf<T>| {});
            }
            each(&leaves);
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
        let loss = self.loss.batch_value_grad(
            scores,
            net.outputs(),
            targets,
            self.class_weight.as_deref(),
            dscores,
            scale,
        );
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
        if let Some(x) = self.sparse_input(data) {
            return self.sparse_scores(params, x);
        }
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
    /// This objective over the rows of `data`, its shards run on the current rayon pool.
    pub fn on<'a, T: Real, E: Examples>(&'a self, data: &'a E) -> OnData<'a, T, E> {
        OnData {
            objective: self,
            data,
            buf: Buffers::default(),
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
    fn sparse_support(&mut self, rows: &[usize]) -> Option<&[usize]> {
        let x = self.objective.sparse_input(self.data)?;
        self.objective.sparse_support(x, rows, &mut self.buf.sparse);
        Some(&self.buf.sparse.support)
    }
    /// For a linear model on sparse rows: the data term and its gradient on the batch's
    /// columns, compact, the penalty left to the trainer.
    fn sparse_value_and_grad(&mut self, params: &[T], rows: &[usize]) -> Option<(BatchStats, SparseGrad<'_, T>)> {
        self.objective.sparse_input(self.data)?;
        let stats = self
            .objective
            .sparse_stats(params, self.data, rows, &mut self.buf, true);
        let sparse = SparseGrad {
            support: &self.buf.sparse.support,
            values: &self.buf.sparse.values,
            regularizer: &self.objective.regularizer,
            layout: self.objective.network.layout(),
        };
        Some((stats, sparse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Affine;
    use crate::data::batch::Prepared;

    /// The objective of a softmax MLP `64-16-10` (tanh) on the digits, the data with a unit
    /// scale, and parameters drawn from seed 3.
    pub(super) fn digits_mlp<T: Real>() -> (Objective, crate::data::Dataset, Affine, Vec<T>) {
        let data = crate::data::digits::load().unwrap();
        let mut arch: crate::model::Architecture = "mlp:16".parse().unwrap();
        arch.activation = crate::model::Activation::Tanh;
        let network = Network::new(64, &arch, 10).unwrap();
        let params = network.init(3);
        let objective = Objective {
            network,
            loss: Loss::new("softmax", 1.0, 1.0).unwrap(),
            class_weight: None,
            regularizer: Regularizer::none(),
        };
        let affine = Affine::new(vec![0.0; 64], vec![1.0 / 16.0; 64]);
        (objective, data, affine, params)
    }

    /// Loss, correct count and gradient of `rows` with `buf`, on a pool of `threads` threads.
    fn evaluate<T: Real>(threads: usize, rows: &[usize], buf: &mut Buffers<T>) -> (f64, usize, Vec<T>) {
        let (objective, data, affine, params) = digits_mlp::<T>();
        let rows_of = Prepared {
            data: &data,
            affine: &affine,
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut grads = vec![T::zero(); params.len()];
        let s = pool.install(|| objective.value_and_grad(&params, &rows_of, rows, buf, &mut grads));
        (s.objective, s.correct, grads)
    }

    /// Batches of 1, 20 (one shard), 64 (two), 100 (three) and 2,088 rows (two chunks: four
    /// shards, then one of the second's 40 rows; rows repeated) give the same bits on
    /// 1, 2 and 3 threads, also when the buffers were used for another batch before; and agree
    /// to rounding with one shard summing every row in order.
    #[test]
    fn every_thread_count_gives_the_same_bits() {
        let batches: Vec<Vec<usize>> = [1usize, 20, 64, 100, 2088]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 7) % 1797).collect())
            .collect();
        for rows in &batches {
            let (l1, k1, g1) = evaluate::<f32>(1, rows, &mut Buffers::default());
            for threads in [2, 3] {
                let mut used = Buffers::default();
                evaluate::<f32>(threads, &batches[4], &mut used);
                let (l, k, g) = evaluate::<f32>(threads, rows, &mut used);
                assert_eq!((l.to_bits(), k), (l1.to_bits(), k1), "{} rows", rows.len());
                let same = g.iter().zip(&g1).all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{} rows on {threads} threads", rows.len());
            }
            let (l, k, g) = evaluate::<f64>(2, rows, &mut Buffers::default());
            let (lo, ko, go) = evaluate::<f64>(1, rows, &mut Buffers::new(1));
            assert!((l - lo).abs() <= 1e-12 * lo.abs() && k == ko, "{} rows", rows.len());
            let scale = go.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            for (a, b) in g.iter().zip(&go) {
                assert!((a - b).abs() <= 1e-12 * scale, "{} rows: {a} vs {b}", rows.len());
            }
        }
    }

    #[test]
    fn shards_are_split_by_the_batch_alone() {
        let rows: Vec<usize> = (0..100).collect();
        let sizes = |parts: Vec<&[usize]>| parts.iter().map(|p| p.len()).collect::<Vec<_>>();
        assert_eq!(sizes(split(&rows[..20], SHARDS, 1)), [20]);
        assert_eq!(sizes(split(&rows[..64], SHARDS, 1)), [32, 32]);
        assert_eq!(sizes(split(&rows[..95], SHARDS, 1)), [48, 47]);
        assert_eq!(sizes(split(&rows, SHARDS, 1)), [34, 34, 32]);
        let many: Vec<usize> = (0..CHUNK_ROWS).collect();
        assert_eq!(sizes(split(&many, SHARDS, 1)), [512; 4]);
        assert_eq!(sizes(split(&many, 1, 1)), [CHUNK_ROWS]);
        assert_eq!(sizes(split(&rows[..40], SHARDS, 4)), [40, 0, 0, 0]);
        assert_eq!(sizes(split(&[], SHARDS, 1)), [0]);
    }
}
