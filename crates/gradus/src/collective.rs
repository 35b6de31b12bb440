//! Data-parallel training: `p` processes (ranks), each holding the same data and the same
//! model, share out the rows of every batch, and a [`Collective`] gives each of them the whole
//! batch's gradient, so that each takes the same step.
//!
//! The library knows the communication only through this trait, and no message-passing
//! library: the `gradus` command implements it over MPI (with the `mpi` feature of
//! `gradus-cli`, rsmpi over the system's OpenMPI), so the library builds, documents and tests
//! without MPI installed, and a program that embeds it may bring its own transport. The
//! trainer is not changed at all: [`Objective::distributed`](crate::objective::Objective::distributed)
//! binds the objective to the data as a [`Problem`](crate::problem::Problem) whose every
//! evaluation is collective, so steps, validation, gradient-norm tests and early stopping run
//! on every rank with the same figures. Every rank must make the same calls in the same order
//! (the same batches, the same validation), which training with the same configuration and
//! seed does.
//!
//! Two ways of combining the ranks' parts ([`Reduce`]):
//!
//! - **exact**: the ranks compute whole shards of the single-process evaluation — each chunk
//!   of a batch is split into at most [`SHARDS`](crate::objective::SHARDS) shards by a rule
//!   that depends on the batch alone ([`Buffers`](crate::objective::Buffers)) — and exchange
//!   each shard's gradient and losses (an all-gather); every rank then adds them along the
//!   same fixed binary tree as one process does. Every sum is taken in the same order as in a
//!   single-process run, so the model is the same bits on any number of ranks. A batch has at
//!   most four shards (one per 32 rows): ranks beyond its shards wait, so exact mode gains
//!   from at most four ranks. Each rank receives `k·n` numbers a step (k shards, n
//!   parameters).
//! - **fast**: rank `r` of `p` computes the gradient sum of rows `⌊r·B/p⌋ .. ⌊(r+1)·B/p⌋` of
//!   the batch of `B` rows, and an all-reduce adds the ranks' sums (`2n` numbers moved per
//!   rank in a ring). The result equals the single-process gradient up to float rounding
//!   (the sums are regrouped), and every rank still takes the same step (an all-reduce gives
//!   every rank the same bits), but runs on different rank counts drift apart over training.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// The communication data-parallel training needs among `size()` ranks: every rank calls each
/// operation in the same order with buffers of the same lengths (MPI's collectives).
pub trait Collective {
    /// This process's number, `0 ≤ rank < size`; rank 0 writes the results.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Replaces `values` on every rank by the elementwise sum over the ranks, `Σ_r values_r`
    /// (`MPI_Allreduce` with `MPI_SUM`), added in an order of the implementation's choosing
    /// that gives every rank the same bits.
    fn sum_f32(&self, values: &mut [f32]);
    /// [`sum_f32`](Self::sum_f32) for `f64`.
    fn sum_f64(&self, values: &mut [f64]);
    /// Every rank's `local` (equally long on every rank) into `all`, in rank order:
    /// `all[r·n .. (r+1)·n] = local_r` for `n = local.len()` (`MPI_Allgather`).
    fn gather_f32(&self, local: &[f32], all: &mut [f32]);
    /// [`gather_f32`](Self::gather_f32) for `f64`.
    fn gather_f64(&self, local: &[f64], all: &mut [f64]);
    /// Seconds this rank has spent in the operations above so far, the wait for the other
    /// ranks included, where the implementation measures it (`None`, the default: it does not).
    fn seconds_spent(&self) -> Option<f64> {
        None
    }
}

/// How the ranks' gradients are combined (see the [module docs](self)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduce {
    /// Whole shards per rank, gathered and added in the single-process order: the same bits as
    /// one process.
    #[default]
    Exact,
    /// An even share of rows per rank, summed by an all-reduce: equal to float rounding.
    Fast,
}

impl FromStr for Reduce {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "exact" => Ok(Reduce::Exact),
            "fast" => Ok(Reduce::Fast),
            _ => Err(Error::param("reduce", format!("must be exact or fast, got '{s}'"))),
        }
    }
}

impl fmt::Display for Reduce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reduce::Exact => "exact",
            Reduce::Fast => "fast",
        })
    }
}
