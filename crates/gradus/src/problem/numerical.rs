//! Gradients by finite differences: what training costs without backpropagation.

use super::{BatchStats, Problem};
use crate::error::{Error, Result};
use crate::real::Real;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the trainer obtains ∇L.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gradient {
    /// Backpropagation: one forward and one backward pass, whatever the number of parameters.
    #[default]
    Analytic,
    /// Forward differences `(L(θ + h e_i) − L(θ))/h`: n + 1 evaluations of L for n parameters,
    /// error O(h) + O(ε/h), with `h = √ε_T · max(1, |θ_i|)`.
    Forward,
    /// Centred differences `(L(θ + h e_i) − L(θ − h e_i))/2h`: 2n + 1 evaluations (the value
    /// at θ too, for the batch statistics), error O(h²) + O(ε/h), with
    /// `h = ε_T^{1/3} · max(1, |θ_i|)`.
    Centred,
}

impl Gradient {
    /// Whether this is the default, [`Gradient::Analytic`] (left out of model files).
    pub fn is_analytic(&self) -> bool {
        *self == Gradient::Analytic
    }

    /// Evaluations of L per gradient for `n` parameters: 1, n + 1 or 2n + 1.
    pub fn evaluations(self, n: usize) -> u64 {
        let n = n as u64;
        match self {
            Gradient::Analytic => 1,
            Gradient::Forward => n + 1,
            Gradient::Centred => 2 * n + 1,
        }
    }
}

impl FromStr for Gradient {
    type Err = Error;
    /// `analytic`, `numerical` (centred), `numerical:forward` or `numerical:centred`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "analytic" => Ok(Gradient::Analytic),
            "numerical" | "numerical:centred" | "numerical:centered" => Ok(Gradient::Centred),
            "numerical:forward" => Ok(Gradient::Forward),
            _ => Err(Error::param(
                "gradient",
                format!("must be analytic, numerical, numerical:forward or numerical:centred, got '{s}'"),
            )),
        }
    }
}

impl fmt::Display for Gradient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gradient::Analytic => "analytic",
            Gradient::Forward => "numerical:forward",
            Gradient::Centred => "numerical:centred",
        })
    }
}

/// A [`Problem`] whose gradient is taken by finite differences of `inner`'s values, one
/// coordinate at a time (Nocedal & Wright, *Numerical Optimization*, §8.1; the lectures' "slow,
/// approximate, easy to write" numerical gradient).
///
/// The step is `h_i = c · max(1, |θ_i|)` with `c = √ε` (forward) or `ε^{1/3}` (centred) for the
/// machine epsilon ε of `T`, which balances the truncation error against the rounding error of
/// L (Numerical Recipes §5.7); `h_i` is then rounded so that `θ_i + h_i` is representable. In
/// `f32` that is h ≈ 3.5e-4 (forward) or 4.9e-3 (centred). [`BatchStats::evaluations`] counts
/// the evaluations of L each gradient took: n + 1 or 2n + 1 against the analytic gradient's one
/// forward and one backward pass.
pub struct NumericalGradient<P, T> {
    inner: P,
    difference: Gradient,
    theta: Vec<T>,
}

impl<P, T> NumericalGradient<P, T> {
    /// `inner` with its gradient taken by `difference` ([`Gradient::Analytic`] passes the
    /// inner gradient through).
    pub fn new(inner: P, difference: Gradient) -> Self {
        Self {
            inner,
            difference,
            theta: Vec::new(),
        }
    }
}

impl<T: Real, P: Problem<T>> Problem<T> for NumericalGradient<P, T> {
    fn rows(&self) -> usize {
        self.inner.rows()
    }
    fn classifies(&self) -> bool {
        self.inner.classifies()
    }
    fn value(&mut self, params: &[T], rows: &[usize]) -> BatchStats {
        self.inner.value(params, rows)
    }
    /// The inner problem's sparse gradient, when the gradient is its analytic one.
    fn sparse_value_and_grad(
        &mut self,
        params: &[T],
        rows: &[usize],
    ) -> Option<(BatchStats, super::SparseGrad<'_, T>)> {
        match self.difference {
            Gradient::Analytic => self.inner.sparse_value_and_grad(params, rows),
            _ => None,
        }
    }
    fn sparse_support(&mut self, rows: &[usize]) -> Option<&[usize]> {
        match self.difference {
            Gradient::Analytic => self.inner.sparse_support(rows),
            _ => None,
        }
    }
    fn value_and_grad(&mut self, params: &[T], rows: &[usize], grads: &mut [T]) -> BatchStats {
        let centred = match self.difference {
            Gradient::Analytic => return self.inner.value_and_grad(params, rows, grads),
            Gradient::Forward => false,
            Gradient::Centred => true,
        };
        let mut stats = self.inner.value(params, rows);
        let mut evaluations = stats.evaluations;
        let c = if centred {
            T::epsilon().cbrt()
        } else {
            T::epsilon().sqrt()
        };
        self.theta.clear();
        self.theta.extend_from_slice(params);
        for (i, g) in grads.iter_mut().enumerate() {
            let x = params[i];
            // The step actually taken, as θ_i + h rounds.
            let h = (x + c * x.abs().max(T::one())) - x;
            self.theta[i] = x + h;
            let up = self.inner.value(&self.theta, rows);
            let (down, width) = if centred {
                self.theta[i] = x - h;
                let down = self.inner.value(&self.theta, rows);
                evaluations += down.evaluations;
                (down.objective, 2.0 * h.f64())
            } else {
                (stats.objective, h.f64())
            };
            self.theta[i] = x;
            evaluations += up.evaluations;
            *g = T::of((up.objective - down) / width);
        }
        stats.evaluations = evaluations;
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::TestFunction;

    #[test]
    fn differences_approach_the_analytic_gradient_and_count_their_cost() {
        let f = TestFunction::Rosenbrock;
        let theta = [-1.2, 1.0];
        let exact = f.grad(theta);
        for (difference, tol, evaluations) in [(Gradient::Forward, 1e-5, 3), (Gradient::Centred, 1e-8, 5)] {
            let mut p = NumericalGradient::new(f, difference);
            let mut g = [0.0; 2];
            let stats = p.value_and_grad(&theta, &[0], &mut g);
            assert_eq!(stats.objective, f.value(theta));
            assert_eq!(stats.evaluations, evaluations);
            assert_eq!(difference.evaluations(2), evaluations);
            for i in 0..2 {
                let err = (g[i] - exact[i]).abs() / exact[i].abs();
                assert!(err < tol, "{difference}: {g:?} vs {exact:?}");
            }
        }
        let mut analytic = NumericalGradient::new(f, Gradient::Analytic);
        let mut g = [0.0; 2];
        assert_eq!(analytic.value_and_grad(&theta, &[0], &mut g).evaluations, 1);
        assert_eq!(g, exact);
    }

    #[test]
    fn names_parse_and_print() {
        for (text, g) in [
            ("analytic", Gradient::Analytic),
            ("numerical", Gradient::Centred),
            ("numerical:centred", Gradient::Centred),
            ("numerical:forward", Gradient::Forward),
        ] {
            assert_eq!(text.parse::<Gradient>().unwrap(), g);
            assert_eq!(g.to_string().parse::<Gradient>().unwrap(), g);
        }
        let e = "numerical:backward".parse::<Gradient>().unwrap_err().to_string();
        assert!(e.starts_with("gradient must be analytic, numerical"), "{e}");
    }
}
