//! Step-size schedules: the learning rate as a function of training progress.
//!
//! # Ticks
//!
//! [`LrSchedule::lr`] takes five counters, so resuming a run needs nothing but them (and, for
//! `plateau` and `adaptive`, a [`PlateauState`]):
//!
//! * `epoch`, the epochs completed so far (0 during the first epoch), drives every schedule:
//!   like torch's `scheduler.step()` called once per epoch, the rate is constant within an
//!   epoch;
//! * `epochs`, the run's total, is the horizon T of `cosine`;
//! * `step`, the optimizer steps taken so far in the whole run (0 for the first), drives only
//!   the warm-up;
//! * `steps_per_epoch` says in which epoch the warm-up ends;
//! * `rows`, the rows trained on before this step in the whole run, drives scikit-learn's
//!   per-example schedules `optimal` and `invscaling`, whose t = `rows` + 1 is scikit-learn's
//!   `t_` (1 at the first example): with batches of one row the rate changes at every example,
//!   as in scikit-learn; with larger batches a batch takes the rate of its first row.
//!
//! For a 2-D trajectory every optimizer step is an epoch: pass `epoch = step` = the iteration
//! index, `epochs` = the iteration count, `steps_per_epoch` = 1 and `rows` = the iteration index.
//! The `plateau` and `adaptive` schedules are fed through [`LrSchedule::observe`] once per
//! epoch, after it ends, with the epoch's monitored loss.
//!
//! # Rates
//!
//! With α₀ the base rate and t = `epoch`, the schedules are closed forms, those of torch's
//! schedulers where torch has one:
//!
//! | form | α_t | torch |
//! |------|-----|-------|
//! | `constant` | α₀ | |
//! | `step:E,γ` | α₀ γ^⌊t/E⌋ | `StepLR(step_size=E, gamma=γ)` |
//! | `multistep:E1+E2+…,γ` | α₀ γ^#{i : Eᵢ ≤ t} | `MultiStepLR` |
//! | `exp:γ` | α₀ γ^t | `ExponentialLR` |
//! | `inverse-time:K` | α₀ / (1 + Kt) | |
//! | `power:K,P` | α₀ / (1 + Kt)^P | |
//! | `cosine` | ½ α₀ (1 + cos(π min(t, T)/T)) | `CosineAnnealingLR(T_max=T, eta_min=0)` |
//! | `plateau:P,F` | α₀ Fⁿ, n = reductions so far | `ReduceLROnPlateau(mode="min", patience=P, factor=F)` |
//!
//! and scikit-learn's schedules of `SGDClassifier` / `SGDRegressor` (`learning_rate`), with
//! t = `rows` + 1 (see above) and α₀ its `eta0`:
//!
//! | form | α_t | scikit-learn |
//! |------|-----|--------------|
//! | `optimal:A` | 1 / (A (t₀ + t − 1)), t₀ = A^(−3/4) | `learning_rate="optimal", alpha=A` |
//! | `invscaling:P` | α₀ / t^P | `learning_rate="invscaling", power_t=P` |
//! | `adaptive:N,TOL` | α₀ / 5ⁿ, n = reductions so far | `learning_rate="adaptive", n_iter_no_change=N, tol=TOL` |
//!
//! `optimal` is Léon Bottou's rate for SGD on a λ-strongly convex objective, η_t = 1/(λ(t₀ + t))
//! (Bottou, "Stochastic Gradient Descent Tricks", *Neural Networks: Tricks of the Trade*, 2012,
//! §5.2), with scikit-learn's choice of t₀ (`sklearn/linear_model/_sgd_fast.pyx.tp`, `_plain_sgd`):
//! with the typical weight w = (1/√A)^(1/2) = A^(−1/4), the first rate is
//! η₀ = w / max(1, −ℓ′(1, −w)) and t₀ = 1/(A η₀). Every loss gradus has (hinge, squared hinge,
//! logistic, squared, Huber) has ℓ′(1, −w) < 0 there (a misclassified example pulls the score up),
//! which scikit-learn's `max(1.0, dloss)` turns into 1: η₀ = A^(−1/4) and t₀ = A^(−3/4), for any loss.
//!
//! `adaptive` keeps α₀ while the monitored loss improves and divides the rate by 5 once it has
//! failed, N epochs in a row, to fall below the best loss so far minus TOL (scikit-learn's test
//! `loss > best_loss − tol`); when that happens with the rate already at 10⁻⁶ or below, training
//! stops ([`PlateauState::exhausted`]).
//!
//! **Warm-up** over W optimizer steps (0: none), as torch's `SequentialLR` of a `LinearLR`
//! warm-up followed by the decay: the rate climbs linearly, α₀/(W + 1), 2α₀/(W + 1), … at steps
//! s < W, reaches α₀ itself at s = W, and only then does the decay begin. The decay's clock
//! starts in the epoch where warm-up ends, e_W = ⌊W / steps_per_epoch⌋: it reads
//! t = max(0, epoch − e_W) over the horizon T = epochs − e_W, and during warm-up the rate is
//! α_0 · (s + 1)/(W + 1) (the decay's value at t = 0 for every form above but `plateau` and
//! `adaptive`, whose reductions apply as they come, and `optimal` and `invscaling`, which read
//! `rows` throughout). With one step per epoch, as in a trajectory, W ticks of warm-up are
//! followed by the decay over the remaining N − W.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

/// How the learning rate decays with the epoch; see the [module docs](self) for the formulas.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// α₀.
    Constant,
    /// α₀ γ^⌊t/every⌋; `every` ≥ 1, γ ∈ (0, 1].
    Step {
        /// Epochs between decays.
        every: u64,
        /// The decay factor γ.
        gamma: f64,
    },
    /// α₀ γ^(number of milestones ≤ t); milestones strictly increasing, γ ∈ (0, 1].
    MultiStep {
        /// The epochs at which the rate is multiplied by γ.
        milestones: Vec<u64>,
        /// The decay factor γ.
        gamma: f64,
    },
    /// α₀ γ^t, γ ∈ (0, 1].
    Exp {
        /// The decay factor γ per epoch.
        gamma: f64,
    },
    /// α₀ / (1 + K t), K ≥ 0.
    InverseTime {
        /// The decay rate K.
        k: f64,
    },
    /// α₀ / (1 + K t)^P, K ≥ 0, P > 0.
    Power {
        /// The decay rate K.
        k: f64,
        /// The exponent P.
        p: f64,
    },
    /// ½ α₀ (1 + cos(π t/T)) over the run's T epochs, reaching 0 at t = T.
    Cosine,
    /// α₀ Fⁿ, multiplied by F after more than `patience` epochs without improvement;
    /// F ∈ (0, 1).
    Plateau {
        /// Epochs without improvement tolerated before a reduction.
        patience: u64,
        /// The reduction factor F.
        factor: f64,
    },
    /// scikit-learn's `optimal`: 1 / (A (t₀ + t − 1)), t₀ = A^(−3/4); A > 0.
    Optimal {
        /// scikit-learn's `alpha`, the L2 strength the rate assumes.
        alpha: f64,
    },
    /// scikit-learn's `invscaling`: α₀ / t^P, P finite.
    InvScaling {
        /// scikit-learn's `power_t`.
        power: f64,
    },
    /// scikit-learn's `adaptive`: α₀ / 5ⁿ, the rate divided by 5 after `patience` epochs in a
    /// row without the monitored loss falling below the best minus `tol`.
    Adaptive {
        /// Epochs without improvement before a reduction (≥ 1; `n_iter_no_change`).
        patience: u64,
        /// The improvement that counts (finite, ≥ 0; `tol`).
        tol: f64,
    },
}

/// The rate `adaptive` stops at: scikit-learn reduces the rate only while it is above 10⁻⁶.
pub const ADAPTIVE_FLOOR: f64 = 1e-6;

/// The accepted forms, for error messages.
const FORMS: &str = "constant, step:EVERY,GAMMA, multistep:E1+E2+...,GAMMA, exp:GAMMA, \
                     inverse-time:K, power:K,P, cosine, plateau:PATIENCE,FACTOR, optimal:ALPHA, \
                     invscaling:POWER, adaptive:PATIENCE,TOL";

impl FromStr for Schedule {
    type Err = Error;

    /// Parses `constant`, `step:EVERY,GAMMA`, `multistep:E1+E2+…,GAMMA`, `exp:GAMMA`,
    /// `inverse-time:K`, `power:K,P`, `cosine`, `plateau:PATIENCE,FACTOR`, `optimal:ALPHA`,
    /// `invscaling:POWER` or `adaptive:PATIENCE,TOL`, and validates the values.
    fn from_str(s: &str) -> Result<Self> {
        let (kind, args) = s.split_once(':').unwrap_or((s, ""));
        let args: Vec<&str> = if args.is_empty() {
            Vec::new()
        } else {
            args.split(',').collect()
        };
        let form = match kind {
            "constant" => "constant",
            "step" => "step:EVERY,GAMMA",
            "multistep" => "multistep:E1+E2+...,GAMMA",
            "exp" => "exp:GAMMA",
            "inverse-time" => "inverse-time:K",
            "power" => "power:K,P",
            "cosine" => "cosine",
            "plateau" => "plateau:PATIENCE,FACTOR",
            "optimal" => "optimal:ALPHA",
            "invscaling" => "invscaling:POWER",
            "adaptive" => "adaptive:PATIENCE,TOL",
            _ => {
                return Err(Error::param("schedule", format!("must be one of {FORMS}, got '{s}'")));
            }
        };
        let arity_error = || Error::param("schedule", format!("'{s}' must have the form {form}"));
        let int = |name: &str, v: &str| {
            v.parse::<u64>()
                .map_err(|_| Error::param("schedule", format!("'{s}': {name} must be an integer, got '{v}'")))
        };
        let real = |name: &str, v: &str| {
            v.parse::<f64>()
                .map_err(|_| Error::param("schedule", format!("'{s}': {name} must be a number, got '{v}'")))
        };
        let schedule = match (kind, args.as_slice()) {
            ("constant", []) => Schedule::Constant,
            ("cosine", []) => Schedule::Cosine,
            ("step", [every, gamma]) => Schedule::Step {
                every: int("EVERY", every)?,
                gamma: real("GAMMA", gamma)?,
            },
            ("multistep", [milestones, gamma]) => Schedule::MultiStep {
                milestones: milestones
                    .split('+')
                    .map(|m| int("each milestone", m))
                    .collect::<Result<_>>()?,
                gamma: real("GAMMA", gamma)?,
            },
            ("exp", [gamma]) => Schedule::Exp {
                gamma: real("GAMMA", gamma)?,
            },
            ("inverse-time", [k]) => Schedule::InverseTime { k: real("K", k)? },
            ("power", [k, p]) => Schedule::Power {
                k: real("K", k)?,
                p: real("P", p)?,
            },
            ("plateau", [patience, factor]) => Schedule::Plateau {
                patience: int("PATIENCE", patience)?,
                factor: real("FACTOR", factor)?,
            },
            ("optimal", [alpha]) => Schedule::Optimal {
                alpha: real("ALPHA", alpha)?,
            },
            ("invscaling", [power]) => Schedule::InvScaling {
                power: real("POWER", power)?,
            },
            ("adaptive", [patience, tol]) => Schedule::Adaptive {
                patience: int("PATIENCE", patience)?,
                tol: real("TOL", tol)?,
            },
            _ => return Err(arity_error()),
        };
        schedule.validate()?;
        Ok(schedule)
    }
}

impl fmt::Display for Schedule {
    /// The form [`FromStr`] reads, e.g. `multistep:30+60,0.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant => write!(f, "constant"),
            Schedule::Step { every, gamma } => write!(f, "step:{every},{gamma}"),
            Schedule::MultiStep { milestones, gamma } => {
                let milestones: Vec<String> = milestones.iter().map(u64::to_string).collect();
                write!(f, "multistep:{},{gamma}", milestones.join("+"))
            }
            Schedule::Exp { gamma } => write!(f, "exp:{gamma}"),
            Schedule::InverseTime { k } => write!(f, "inverse-time:{k}"),
            Schedule::Power { k, p } => write!(f, "power:{k},{p}"),
            Schedule::Cosine => write!(f, "cosine"),
            Schedule::Plateau { patience, factor } => write!(f, "plateau:{patience},{factor}"),
            Schedule::Optimal { alpha } => write!(f, "optimal:{alpha}"),
            Schedule::InvScaling { power } => write!(f, "invscaling:{power}"),
            Schedule::Adaptive { patience, tol } => write!(f, "adaptive:{patience},{tol}"),
        }
    }
}

impl Schedule {
    /// Checks the ranges: γ ∈ (0, 1], `every` ≥ 1, milestones strictly increasing (at least
    /// one), K ≥ 0 and P > 0 (finite), F ∈ (0, 1); `optimal`'s ALPHA > 0 and `invscaling`'s
    /// POWER finite; `adaptive`'s PATIENCE ≥ 1 and TOL ≥ 0, finite.
    ///
    /// # Errors
    /// [`Error::Param`] for `--schedule`, naming the value and its range.
    pub fn validate(&self) -> Result<()> {
        let fail = |what: String| Err(Error::param("schedule", format!("'{self}': {what}")));
        let gamma_ok = |g: f64| g > 0.0 && g <= 1.0;
        match *self {
            Schedule::Constant | Schedule::Cosine => Ok(()),
            Schedule::Step { every: 0, .. } => fail("EVERY must be >= 1, got 0".into()),
            Schedule::Step { gamma, .. } | Schedule::MultiStep { gamma, .. } | Schedule::Exp { gamma }
                if !gamma_ok(gamma) =>
            {
                fail(format!("GAMMA must be in (0, 1], got {gamma}"))
            }
            Schedule::MultiStep { ref milestones, .. }
                if milestones.is_empty() || milestones.windows(2).any(|w| w[0] >= w[1]) =>
            {
                fail("milestones must be strictly increasing epochs, at least one".into())
            }
            Schedule::InverseTime { k } | Schedule::Power { k, .. } if !(k.is_finite() && k >= 0.0) => {
                fail(format!("K must be finite and >= 0, got {k}"))
            }
            Schedule::Power { p, .. } if !(p.is_finite() && p > 0.0) => {
                fail(format!("P must be finite and > 0, got {p}"))
            }
            Schedule::Plateau { factor, .. } if !(factor > 0.0 && factor < 1.0) => {
                fail(format!("FACTOR must be in (0, 1), got {factor}"))
            }
            Schedule::Optimal { alpha } if !(alpha.is_finite() && alpha > 0.0) => {
                fail(format!("ALPHA must be finite and > 0, got {alpha}"))
            }
            Schedule::InvScaling { power } if !power.is_finite() => fail(format!("POWER must be finite, got {power}")),
            Schedule::Adaptive { patience: 0, .. } => fail("PATIENCE must be >= 1, got 0".into()),
            Schedule::Adaptive { tol, .. } if !(tol.is_finite() && tol >= 0.0) => {
                fail(format!("TOL must be finite and >= 0, got {tol}"))
            }
            _ => Ok(()),
        }
    }
}

/// A base learning rate, its schedule and a linear warm-up.
///
/// Deserializing validates, as [`LrSchedule::new`] does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawLrSchedule")]
pub struct LrSchedule {
    /// α₀ > 0.
    pub base_lr: f64,
    /// How α decays with the epoch.
    pub schedule: Schedule,
    /// Optimizer steps of linear warm-up (0: none).
    pub warmup: u64,
}

/// [`LrSchedule`] as read, before validation.
#[derive(Deserialize)]
struct RawLrSchedule {
    base_lr: f64,
    schedule: Schedule,
    warmup: u64,
}

impl TryFrom<RawLrSchedule> for LrSchedule {
    type Error = Error;
    fn try_from(raw: RawLrSchedule) -> Result<Self> {
        LrSchedule::new(raw.base_lr, raw.schedule, raw.warmup)
    }
}

impl LrSchedule {
    /// A schedule starting at `base_lr` with `warmup` steps of warm-up.
    ///
    /// # Errors
    /// [`Error::Param`]: `--lr` when `base_lr` is not finite and > 0, `--schedule` when the
    /// schedule is out of range ([`Schedule::validate`]).
    pub fn new(base_lr: f64, schedule: Schedule, warmup: u64) -> Result<Self> {
        if !(base_lr.is_finite() && base_lr > 0.0) {
            return Err(Error::param("lr", format!("must be finite and > 0, got {base_lr}")));
        }
        schedule.validate()?;
        Ok(LrSchedule {
            base_lr,
            schedule,
            warmup,
        })
    }

    /// The learning rate during epoch `epoch` (0-based) of `epochs`, for optimizer step `step`
    /// (0-based, counted over the whole run) of an epoch of `steps_per_epoch` steps, after
    /// `rows` rows trained on (read only by `optimal` and `invscaling`) and the reductions
    /// recorded in `plateau` (read only by `plateau` and `adaptive`); see the
    /// [module docs](self).
    pub fn lr(
        &self,
        epoch: u64,
        epochs: u64,
        step: u64,
        steps_per_epoch: u64,
        rows: u64,
        plateau: &PlateauState,
    ) -> f64 {
        let a = self.base_lr;
        // The decay starts in the epoch where warm-up ends.
        let warmup_epochs = self.warmup / steps_per_epoch.max(1);
        let (epoch, epochs) = (
            epoch.saturating_sub(warmup_epochs),
            epochs.saturating_sub(warmup_epochs),
        );
        let t = epoch as f64;
        let scheduled = match &self.schedule {
            Schedule::Constant => a,
            Schedule::Step { every, gamma } => a * gamma.powf(epoch.checked_div(*every).unwrap_or(0) as f64),
            Schedule::MultiStep { milestones, gamma } => {
                a * gamma.powf(milestones.partition_point(|&m| m <= epoch) as f64)
            }
            Schedule::Exp { gamma } => a * gamma.powf(t),
            Schedule::InverseTime { k } => a / (1.0 + k * t),
            Schedule::Power { k, p } => a / (1.0 + k * t).powf(*p),
            Schedule::Cosine if epochs == 0 => a,
            Schedule::Cosine => a * (1.0 + (PI * epoch.min(epochs) as f64 / epochs as f64).cos()) / 2.0,
            Schedule::Plateau { .. } | Schedule::Adaptive { .. } => a * plateau.factor(),
            // scikit-learn's t, 1 at the first example.
            Schedule::Optimal { alpha } => {
                // t₀ = 1/(A η₀), η₀ = (1/√A)^(1/2), computed as scikit-learn does.
                let t0 = 1.0 / ((1.0 / alpha.sqrt()).sqrt() * alpha);
                1.0 / (alpha * (t0 + rows as f64))
            }
            Schedule::InvScaling { power } => a / (rows as f64 + 1.0).powf(*power),
        };
        if step < self.warmup {
            scheduled * ((step + 1) as f64 / (self.warmup + 1) as f64)
        } else {
            scheduled
        }
    }

    /// Records an epoch's monitored loss `metric` in `plateau`, for the `plateau` and
    /// `adaptive` schedules; does nothing for the others.
    pub fn observe(&self, plateau: &mut PlateauState, metric: f64) {
        match self.schedule {
            Schedule::Plateau { patience, factor } => plateau.observe(metric, patience, factor),
            Schedule::Adaptive { patience, tol } => plateau.observe_adaptive(metric, patience, tol, self.base_lr),
            _ => {}
        }
    }
}

/// What the `plateau` and `adaptive` schedules remember between epochs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlateauState {
    /// The lowest loss seen, if any.
    best: Option<f64>,
    /// Epochs since the last improvement (or reduction).
    bad_epochs: u64,
    /// The product of the reductions so far, Fⁿ.
    scale: f64,
    /// Whether `adaptive`'s criterion fired with the rate already at [`ADAPTIVE_FLOOR`] or
    /// below (left out while false, so checkpoints are as before it existed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    exhausted: bool,
}

impl Default for PlateauState {
    /// No loss seen, no reduction: [`factor`](Self::factor) 1.
    fn default() -> Self {
        PlateauState {
            best: None,
            bad_epochs: 0,
            scale: 1.0,
            exhausted: false,
        }
    }
}

impl PlateauState {
    /// Records one epoch's `metric`, as torch's `ReduceLROnPlateau(mode="min",
    /// threshold=1e-4, threshold_mode="rel", cooldown=0)`: the epoch improves when
    /// metric < best·(1 − 10⁻⁴) (any finite metric improves on none); after more than
    /// `patience` epochs in a row without improvement the rate is multiplied by `factor` and the
    /// count restarts. Unlike torch there is no floor (`min_lr`, `eps`) on the rate.
    pub fn observe(&mut self, metric: f64, patience: u64, factor: f64) {
        let threshold = self.best.map_or(f64::INFINITY, |best| best * (1.0 - 1e-4));
        if metric < threshold {
            self.best = Some(metric);
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.bad_epochs > patience {
            self.scale *= factor;
            self.bad_epochs = 0;
        }
    }

    /// Records one epoch's `metric` for `adaptive` from base rate `base_lr`, as scikit-learn's
    /// `_plain_sgd`: the epoch fails to improve when metric > best − `tol` (so does a NaN), the
    /// best is the lowest metric seen; after `patience` failures in a row the rate is divided by
    /// 5 and the count restarts, or, when the rate is already ≤ [`ADAPTIVE_FLOOR`], the
    /// schedule is [`exhausted`](Self::exhausted).
    pub fn observe_adaptive(&mut self, metric: f64, patience: u64, tol: f64, base_lr: f64) {
        let improved = self.best.is_none_or(|best| metric <= best - tol);
        self.bad_epochs = if improved { 0 } else { self.bad_epochs + 1 };
        if self.best.is_none_or(|best| metric < best) {
            self.best = Some(metric);
        }
        if self.bad_epochs >= patience {
            if base_lr * self.scale > ADAPTIVE_FLOOR {
                self.scale /= 5.0;
                self.bad_epochs = 0;
            } else {
                self.exhausted = true;
            }
        }
    }

    /// The multiplier Fⁿ of the base rate after n reductions (1 before any).
    pub fn factor(&self) -> f64 {
        self.scale
    }

    /// Whether `adaptive` has run out of reductions: its criterion fired with the rate at
    /// [`ADAPTIVE_FLOOR`] or below, where scikit-learn stops training.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sched(s: &str) -> LrSchedule {
        LrSchedule::new(0.1, s.parse().unwrap(), 0).unwrap()
    }

    /// The rates at epochs 0..n of a run of `epochs`, one step per epoch.
    fn rates(s: &LrSchedule, n: u64, epochs: u64) -> Vec<f64> {
        let plateau = PlateauState::default();
        (0..n).map(|t| s.lr(t, epochs, t, 1, t, &plateau)).collect()
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-15 * y.abs(), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn closed_forms() {
        close(&rates(&sched("constant"), 3, 3), &[0.1, 0.1, 0.1]);
        close(
            &rates(&sched("step:3,0.5"), 7, 7),
            &[0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025],
        );
        close(
            &rates(&sched("multistep:2+5,0.1"), 7, 7),
            &[0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001],
        );
        close(&rates(&sched("exp:0.9"), 3, 3), &[0.1, 0.09, 0.081]);
        close(
            &rates(&sched("inverse-time:0.5"), 5, 5),
            &[0.1, 0.1 / 1.5, 0.05, 0.1 / 2.5, 0.1 / 3.0],
        );
        close(&rates(&sched("power:1,2"), 4, 4), &[0.1, 0.025, 0.1 / 9.0, 0.1 / 16.0]);
        close(
            &rates(&sched("power:0.5,0.5"), 3, 3),
            &[0.1, 0.1 / 1.5f64.sqrt(), 0.1 / 2f64.sqrt()],
        );
        let cosine = rates(&sched("cosine"), 5, 4);
        close(
            &cosine[..4],
            &[0.1, 0.05 * (1.0 + 0.5f64.sqrt()), 0.05, 0.05 * (1.0 - 0.5f64.sqrt())],
        );
        assert!(cosine[4].abs() < 1e-17);
        // Past the horizon the rate stays at 0; with no horizon it stays at α₀.
        assert!(sched("cosine").lr(9, 4, 9, 1, 9, &PlateauState::default()).abs() < 1e-17);
        assert_eq!(sched("cosine").lr(3, 0, 3, 1, 3, &PlateauState::default()), 0.1);
    }

    /// scikit-learn's per-example schedules read t = rows + 1 and nothing else: `invscaling`
    /// α₀/t^P, `optimal` 1/(A(t₀ + t − 1)) with t₀ = A^(−3/4), so that its first rate is
    /// A^(−1/4) (scikit-learn's typical weight).
    #[test]
    fn per_example_closed_forms() {
        let p = PlateauState::default();
        let inv = sched("invscaling:0.25");
        let by_rows: Vec<f64> = (0..4).map(|r| inv.lr(0, 1, 0, 1, r, &p)).collect();
        close(
            &by_rows,
            &[0.1, 0.1 / 2f64.powf(0.25), 0.1 / 3f64.powf(0.25), 0.1 / 2f64.sqrt()],
        );
        // The epoch and step counters do not move it; warm-up still scales it.
        assert_eq!(inv.lr(7, 9, 300, 40, 3, &p), by_rows[3]);
        let warm = LrSchedule::new(0.1, "invscaling:0.25".parse().unwrap(), 4).unwrap();
        close(&[warm.lr(0, 1, 1, 10, 3, &p)], &[by_rows[3] * 2.0 / 5.0]);
        let alpha: f64 = 0.01;
        let opt = sched("optimal:0.01");
        close(&[opt.lr(0, 1, 0, 1, 0, &p)], &[alpha.powf(-0.25)]);
        for r in [1, 10, 12345] {
            let want = 1.0 / (alpha * (alpha.powf(-0.75) + r as f64));
            assert!((opt.lr(3, 9, 2, 5, r, &p) - want).abs() < 1e-13 * want, "{r}");
        }
        // Negative powers grow the rate, as scikit-learn allows.
        close(&[sched("invscaling:-1").lr(0, 1, 0, 1, 3, &p)], &[0.4]);
    }

    /// `adaptive:2,0.1` from 10⁻⁵: an epoch improves when its loss is at most the best so far
    /// minus 0.1; two failures in a row divide the rate by 5 while it is above 10⁻⁶, and mark the
    /// schedule exhausted once it is not.
    #[test]
    fn adaptive_divides_by_five_then_runs_out() {
        let s = LrSchedule::new(1e-5, "adaptive:2,0.1".parse().unwrap(), 0).unwrap();
        let mut p = PlateauState::default();
        let mut seen = Vec::new();
        let mut exhausted = Vec::new();
        for (epoch, loss) in [1.0, 0.95, 0.9, 0.7, 0.65, 0.64, 0.6, 0.6].into_iter().enumerate() {
            seen.push(s.lr(epoch as u64, 8, epoch as u64, 1, epoch as u64, &p));
            s.observe(&mut p, loss);
            exhausted.push(p.exhausted());
        }
        close(&seen, &[1e-5, 1e-5, 1e-5, 2e-6, 2e-6, 2e-6, 4e-7, 4e-7]);
        assert_eq!(exhausted, [false, false, false, false, false, false, false, true]);
        // A NaN loss never improves; with tol 0 an equal loss does (scikit-learn's `>`).
        let mut q = PlateauState::default();
        q.observe_adaptive(1.0, 1, 0.0, 1.0);
        q.observe_adaptive(1.0, 1, 0.0, 1.0);
        assert_eq!(q.factor(), 1.0);
        q.observe_adaptive(f64::NAN, 1, 0.0, 1.0);
        assert_eq!(q.factor(), 0.2);
        // Checkpoints keep the flag, and leave it out while it is false.
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<PlateauState>(&json).unwrap(), p);
        assert!(!serde_json::to_string(&q).unwrap().contains("exhausted"));
    }

    #[test]
    fn epochs_drive_the_schedule_and_steps_the_warmup() {
        let s = LrSchedule::new(0.8, "step:1,0.5".parse().unwrap(), 3).unwrap();
        let p = PlateauState::default();
        // Epoch 0, steps 0..4: warm-up 1/4, 2/4, 3/4, then the schedule.
        let epoch0: Vec<f64> = (0..5).map(|step| s.lr(0, 2, step, 10, step, &p)).collect();
        close(&epoch0, &[0.2, 0.4, 0.6, 0.8, 0.8]);
        assert_eq!(s.lr(1, 2, 5, 10, 5, &p), 0.4);
        assert_eq!(s.lr(1, 2, 1, 10, 1, &p), 0.2);
        // Warm-up ending in epoch 1 (2 steps per epoch): the decay starts there.
        assert_eq!(s.lr(1, 3, 3, 2, 3, &p), 0.8);
        assert_eq!(s.lr(2, 3, 4, 2, 4, &p), 0.4);
    }

    /// torch's `SequentialLR([LinearLR(start_factor=1/(W+1), total_iters=W),
    /// CosineAnnealingLR(T_max=N−W)], milestones=[W])`, one tick per step: the peak is α₀, at the
    /// end of warm-up.
    #[test]
    fn cosine_after_warmup_peaks_at_the_base_rate() {
        let s = LrSchedule::new(0.1, Schedule::Cosine, 10).unwrap();
        let p = PlateauState::default();
        let lrs: Vec<f64> = (0..100).map(|t| s.lr(t, 100, t, 1, t, &p)).collect();
        let peak = lrs.iter().copied().fold(0.0, f64::max);
        assert_eq!(peak, 0.1);
        assert_eq!(lrs[10], 0.1);
        close(&lrs[..3], &[0.1 / 11.0, 0.2 / 11.0, 0.3 / 11.0]);
        // Cosine over the remaining 90 ticks.
        let t = 55.0;
        assert!((lrs[65] - 0.05 * (1.0 + (PI * t / 90.0).cos())).abs() < 1e-15);
    }

    #[test]
    fn plateau_reduces_after_patience() {
        let s = sched("plateau:2,0.5");
        let mut p = PlateauState::default();
        let mut seen = Vec::new();
        // Improves, improves, then flat (within 1e-4 relative counts as flat).
        for (epoch, loss) in [1.0, 0.9, 0.89995, 0.9, 0.95, 0.5, 0.6, 0.6, 0.6]
            .into_iter()
            .enumerate()
        {
            seen.push(s.lr(epoch as u64, 9, epoch as u64, 1, epoch as u64, &p));
            s.observe(&mut p, loss);
        }
        // Bad epochs after 0.9: 0.89995 (not 1e-4 better), 0.9, 0.95 → reduce after the third.
        assert_eq!(seen, [0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
        assert_eq!(s.lr(9, 9, 9, 1, 9, &p), 0.025);
        assert_eq!(p.factor(), 0.25);
        // Other schedules ignore observations.
        let mut q = PlateauState::default();
        for _ in 0..10 {
            sched("constant").observe(&mut q, 1.0);
        }
        assert_eq!(q, PlateauState::default());
    }

    #[test]
    fn plateau_nan_is_not_an_improvement() {
        let mut p = PlateauState::default();
        p.observe(f64::NAN, 0, 0.1);
        assert_eq!(p.factor(), 0.1);
    }

    #[test]
    fn parse_display_round_trip() {
        for s in [
            "constant",
            "step:10,0.5",
            "multistep:30+60+90,0.1",
            "exp:0.95",
            "inverse-time:0.01",
            "power:0.1,0.75",
            "cosine",
            "plateau:5,0.2",
            "optimal:0.0001",
            "invscaling:0.25",
            "adaptive:5,0.001",
        ] {
            let parsed: Schedule = s.parse().unwrap();
            assert_eq!(parsed.to_string(), s);
        }
        assert_eq!(
            "multistep:3+7,0.5".parse::<Schedule>().unwrap(),
            Schedule::MultiStep {
                milestones: vec![3, 7],
                gamma: 0.5
            }
        );
    }

    #[test]
    fn parse_errors() {
        let err = |s: &str| s.parse::<Schedule>().unwrap_err().to_string();
        assert_eq!(err("linear"), format!("schedule must be one of {FORMS}, got 'linear'"));
        assert_eq!(err("step:5"), "schedule 'step:5' must have the form step:EVERY,GAMMA");
        assert_eq!(err("cosine:3"), "schedule 'cosine:3' must have the form cosine");
        assert_eq!(err("exp"), "schedule 'exp' must have the form exp:GAMMA");
        assert_eq!(
            err("step:x,0.5"),
            "schedule 'step:x,0.5': EVERY must be an integer, got 'x'"
        );
        assert_eq!(err("step:0,0.5"), "schedule 'step:0,0.5': EVERY must be >= 1, got 0");
        assert_eq!(
            err("step:5,1.5"),
            "schedule 'step:5,1.5': GAMMA must be in (0, 1], got 1.5"
        );
        assert_eq!(err("exp:0"), "schedule 'exp:0': GAMMA must be in (0, 1], got 0");
        assert_eq!(err("exp:NaN"), "schedule 'exp:NaN': GAMMA must be in (0, 1], got NaN");
        assert_eq!(
            err("multistep:5+3,0.1"),
            "schedule 'multistep:5+3,0.1': \
             milestones must be strictly increasing epochs, at least one"
        );
        assert_eq!(
            err("multistep:5+x,0.1"),
            "schedule 'multistep:5+x,0.1': each milestone must be an integer, got 'x'"
        );
        assert_eq!(
            err("inverse-time:-1"),
            "schedule 'inverse-time:-1': K must be finite and >= 0, got -1"
        );
        assert_eq!(
            err("power:1,0"),
            "schedule 'power:1,0': P must be finite and > 0, got 0"
        );
        assert_eq!(err("power:1,y"), "schedule 'power:1,y': P must be a number, got 'y'");
        assert_eq!(
            err("plateau:3,1"),
            "schedule 'plateau:3,1': FACTOR must be in (0, 1), got 1"
        );
        assert_eq!(
            err("plateau:-3,0.5"),
            "schedule 'plateau:-3,0.5': PATIENCE must be an integer, got '-3'"
        );
        assert_eq!(
            err("optimal:0"),
            "schedule 'optimal:0': ALPHA must be finite and > 0, got 0"
        );
        assert_eq!(err("optimal"), "schedule 'optimal' must have the form optimal:ALPHA");
        assert_eq!(
            err("invscaling:inf"),
            "schedule 'invscaling:inf': POWER must be finite, got inf"
        );
        assert_eq!(
            err("adaptive:0,0.001"),
            "schedule 'adaptive:0,0.001': PATIENCE must be >= 1, got 0"
        );
        assert_eq!(
            err("adaptive:5,-1"),
            "schedule 'adaptive:5,-1': TOL must be finite and >= 0, got -1"
        );
    }

    #[test]
    fn new_and_deserialize_validate() {
        assert_eq!(
            LrSchedule::new(0.0, Schedule::Constant, 0).unwrap_err().to_string(),
            "lr must be finite and > 0, got 0"
        );
        assert!(LrSchedule::new(f64::NAN, Schedule::Constant, 0).is_err());
        assert!(LrSchedule::new(0.1, Schedule::Exp { gamma: 2.0 }, 0).is_err());
        let s = LrSchedule::new(0.1, "multistep:3+7,0.5".parse().unwrap(), 10).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<LrSchedule>(&json).unwrap(), s);
        let bad = json.replace("0.5", "5.0");
        let e = serde_json::from_str::<LrSchedule>(&bad).unwrap_err().to_string();
        assert!(e.contains("GAMMA must be in (0, 1], got 5"), "{e}");
        let mut p = PlateauState::default();
        p.observe(1.0, 0, 0.5);
        p.observe(2.0, 0, 0.5);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<PlateauState>(&json).unwrap(), p);
    }
}
