//! `gradus train --distributed`: data-parallel training, one rank per process of
//! `mpirun -np P gradus train --distributed …`.
//!
//! Every rank reads the same data and runs the same command; the library shares every batch
//! out over the ranks and combines their parts ([`gradus::collective`]), so every rank takes
//! the same steps, and rank 0 alone shows progress and writes the model, checkpoints and
//! results. The library knows the ranks only through its [`Collective`] trait; here it is
//! implemented over MPI with rsmpi, behind the `mpi` feature, so the default build needs no
//! MPI installed. A rank that fails prints its error with its number and aborts the job
//! (`MPI_Abort`), so that no rank waits forever for it.

use crate::args::TrainArgs;
use anyhow::{Result, bail};
use gradus::collective::Collective;
use gradus::train::{EpochReport, Flow, Observer, StepReport, TrainState};

/// Runs `gradus train` as one rank of the job `mpirun` started.
///
/// # Errors
/// Without the `mpi` feature, always: this build cannot join a job.
#[cfg(not(feature = "mpi"))]
pub fn run(_: TrainArgs) -> Result<()> {
    bail!("--distributed needs gradus built with MPI: cargo build --release -p gradus-cli --features mpi")
}

/// Runs `gradus train` as one rank of the job `mpirun` started; a rank that fails (other than
/// by an interruption every rank agreed on) aborts the whole job.
///
/// # Errors
/// MPI that cannot start; an interruption (each rank returns it).
#[cfg(feature = "mpi")]
pub fn run(a: TrainArgs) -> Result<()> {
    let ranks = mpi_ranks::Mpi::start()?;
    match super::commands::train::run_on(a, Some(&ranks)) {
        Err(e) if !e.is::<crate::progress::Interrupted>() => {
            eprintln!(
                "gradus: error: rank {} of {}: {}",
                ranks.rank(),
                ranks.size(),
                crate::error_line(&e)
            );
            ranks.abort()
        }
        done => done,
    }
}

#[cfg(feature = "mpi")]
mod mpi_ranks {
    use anyhow::{Context, Result};
    use mpi::collective::SystemOperation;
    use mpi::environment::Universe;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::{Communicator, CommunicatorCollectives};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    /// The ranks of `MPI_COMM_WORLD`, MPI running until this is dropped (`MPI_Finalize`).
    pub struct Mpi {
        world: SimpleCommunicator,
        _universe: Universe,
        /// Nanoseconds spent in collectives so far.
        spent: AtomicU64,
    }

    impl Mpi {
        /// Starts MPI on this thread, the one that will make every MPI call
        /// (`MPI_THREAD_FUNNELED`: the matrix products' threads make none).
        pub fn start() -> Result<Self> {
            let (universe, _) = mpi::initialize_with_threading(mpi::Threading::Funneled)
                .context("MPI could not be started (was it started already?)")?;
            Ok(Self {
                world: universe.world(),
                _universe: universe,
                spent: AtomicU64::new(0),
            })
        }

        /// Ends every rank of the job with status 1 (`MPI_Abort`).
        pub fn abort(&self) -> ! {
            self.world.abort(1)
        }

        /// Runs the collective `op`, adding its wall time to [`spent`](Self::spent).
        fn timed(&self, op: impl FnOnce()) {
            let start = Instant::now();
            op();
            let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.spent.fetch_add(nanos, Ordering::Relaxed);
        }
    }

    impl gradus::collective::Collective for Mpi {
        fn rank(&self) -> usize {
            self.world.rank() as usize
        }
        fn size(&self) -> usize {
            self.world.size() as usize
        }
        fn sum_f32(&self, values: &mut [f32]) {
            let local = values.to_vec();
            self.timed(|| self.world.all_reduce_into(&local[..], values, SystemOperation::sum()));
        }
        fn sum_f64(&self, values: &mut [f64]) {
            let local = values.to_vec();
            self.timed(|| self.world.all_reduce_into(&local[..], values, SystemOperation::sum()));
        }
        fn gather_f32(&self, local: &[f32], all: &mut [f32]) {
            self.timed(|| self.world.all_gather_into(local, all));
        }
        fn gather_f64(&self, local: &[f64], all: &mut [f64]) {
            self.timed(|| self.world.all_gather_into(local, all));
        }
        fn seconds_spent(&self) -> Option<f64> {
            Some(self.spent.load(Ordering::Relaxed) as f64 * 1e-9)
        }
    }
}

/// Checks that this rank holds what rank 0 holds: `figures` (rows, features, parameters, by
/// `names`) the same on every rank. Ranks with other data would draw other batches and wait
/// for each other forever.
///
/// # Errors
/// On a rank whose figures differ from rank 0's, naming the first that does.
pub fn check_same(comm: &dyn Collective, names: &[&str], figures: &[f64]) -> Result<()> {
    let mut all = vec![0.0; figures.len() * comm.size()];
    comm.gather_f64(figures, &mut all);
    let lead = &all[..figures.len()];
    if let Some(i) = (0..figures.len()).find(|&i| figures[i] != lead[i]) {
        bail!(
            "its data has {} {}, rank 0's has {}: every rank must read the same data",
            figures[i],
            names[i],
            lead[i]
        );
    }
    Ok(())
}

/// The observer of a rank: `inner` writes nothing on ranks other than 0 (`lead`), where only
/// its signal watch and test hooks run, and shows epochs on rank 0 alone; the ranks agree on
/// stopping (an interruption, or `inner` stopping after an epoch): a stop asked for on any
/// rank stops every rank at the same step.
pub struct Agreed<'a> {
    pub comm: &'a dyn Collective,
    pub inner: &'a mut dyn Observer,
    pub lead: bool,
}

impl Agreed<'_> {
    /// Whether `stop` holds on any rank.
    fn any(&self, stop: bool) -> bool {
        let mut votes = [f64::from(u8::from(stop))];
        self.comm.sum_f64(&mut votes);
        votes[0] > 0.0
    }
}

impl Observer for Agreed<'_> {
    fn on_step(&mut self, report: &StepReport) {
        self.inner.on_step(report);
    }
    fn on_params(&mut self, params: &[f32], state: &TrainState<f32>) -> gradus::Result<()> {
        self.inner.on_params(params, state)
    }
    fn wants_params(&self, state: &TrainState<f32>) -> bool {
        self.inner.wants_params(state)
    }
    fn stop_requested(&mut self) -> bool {
        let asked = self.inner.stop_requested();
        self.any(asked)
    }
    fn on_epoch(&mut self, report: &EpochReport, params: &[f32], state: &TrainState<f32>) -> gradus::Result<Flow> {
        let flow = match self.lead {
            true => self.inner.on_epoch(report, params, state)?,
            false => Flow::Continue,
        };
        Ok(match self.any(flow == Flow::Stop) {
            true => Flow::Stop,
            false => Flow::Continue,
        })
    }
}
