//! Two-dimensional test functions for watching optimizers move.
//!
//! Each function has an analytic gradient and documented minima, and is computed in `f64`.
//! Parsed from the command line as `booth`, `bowl`, `rosenbrock`, `beale`, `himmelblau`,
//! `saddle` or `ravine:K`.

use crate::problem::{BatchStats, Problem};
use crate::{Error, Result};
use std::str::FromStr;

/// A function f: ℝ² → ℝ with a known landscape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TestFunction {
    /// (x + 2y − 7)² + (2x + y − 5)²: a convex quadratic, minimum 0 at (1, 3).
    Booth,
    /// x² + xy + y²: a tilted convex bowl, minimum 0 at (0, 0).
    Bowl,
    /// (1 − x)² + 100(y − x²)²: a curved, narrow valley, minimum 0 at (1, 1).
    Rosenbrock,
    /// (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²: flat plateaus and sharp
    /// ridges, minimum 0 at (3, 0.5).
    Beale,
    /// (x² + y − 11)² + (x + y² − 7)²: four minima of value 0, at (3, 2),
    /// (−2.805118…, 3.131312…), (−3.779310…, −3.283186…) and (3.584428…, −1.848126…).
    Himmelblau,
    /// x² − y²: a saddle at (0, 0), unbounded below, no minimum.
    Saddle,
    /// ½(x² + K y²), K > 0: a quadratic with condition number max(K, 1/K), minimum 0 at (0, 0).
    Ravine(f64),
}

/// The accepted spellings, for error messages.
const FORMS: &str = "booth, bowl, rosenbrock, beale, himmelblau, saddle, ravine:K";

impl FromStr for TestFunction {
    type Err = Error;

    /// Parses `booth`, `bowl`, `rosenbrock`, `beale`, `himmelblau`, `saddle` or `ravine:K`
    /// (K > 0, finite).
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "booth" => TestFunction::Booth,
            "bowl" => TestFunction::Bowl,
            "rosenbrock" => TestFunction::Rosenbrock,
            "beale" => TestFunction::Beale,
            "himmelblau" => TestFunction::Himmelblau,
            "saddle" => TestFunction::Saddle,
            _ => match s.strip_prefix("ravine:") {
                Some(k) => match k.parse::<f64>() {
                    Ok(k) if k.is_finite() && k > 0.0 => TestFunction::Ravine(k),
                    _ => {
                        return Err(Error::param(
                            "function",
                            format!("ravine:K needs a finite K > 0, got '{k}'"),
                        ));
                    }
                },
                None => {
                    return Err(Error::param("function", format!("must be one of {FORMS}, got '{s}'")));
                }
            },
        })
    }
}

impl TestFunction {
    /// f(x, y).
    pub fn value(&self, [x, y]: [f64; 2]) -> f64 {
        match *self {
            TestFunction::Booth => (x + 2.0 * y - 7.0).powi(2) + (2.0 * x + y - 5.0).powi(2),
            TestFunction::Bowl => x * x + x * y + y * y,
            TestFunction::Rosenbrock => (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
            TestFunction::Beale => {
                let [a, b, c] = beale_terms(x, y);
                a * a + b * b + c * c
            }
            TestFunction::Himmelblau => (x * x + y - 11.0).powi(2) + (x + y * y - 7.0).powi(2),
            TestFunction::Saddle => x * x - y * y,
            TestFunction::Ravine(k) => 0.5 * (x * x + k * y * y),
        }
    }

    /// ∇f(x, y) = [∂f/∂x, ∂f/∂y], analytic:
    ///
    /// * booth: [2u + 4v, 4u + 2v] with u = x + 2y − 7, v = 2x + y − 5;
    /// * bowl: [2x + y, x + 2y];
    /// * rosenbrock: [−2(1 − x) − 400x(y − x²), 200(y − x²)];
    /// * beale: with a, b, c the three terms, [2a(y − 1) + 2b(y² − 1) + 2c(y³ − 1),
    ///   2a·x + 4b·xy + 6c·xy²];
    /// * himmelblau: with u = x² + y − 11, v = x + y² − 7, [4xu + 2v, 2u + 4yv];
    /// * saddle: [2x, −2y];
    /// * ravine:K: [x, Ky].
    pub fn grad(&self, [x, y]: [f64; 2]) -> [f64; 2] {
        match *self {
            TestFunction::Booth => {
                let (u, v) = (x + 2.0 * y - 7.0, 2.0 * x + y - 5.0);
                [2.0 * u + 4.0 * v, 4.0 * u + 2.0 * v]
            }
            TestFunction::Bowl => [2.0 * x + y, x + 2.0 * y],
            TestFunction::Rosenbrock => {
                let r = y - x * x;
                [-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r]
            }
            TestFunction::Beale => {
                let [a, b, c] = beale_terms(x, y);
                [
                    2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y * y * y - 1.0),
                    2.0 * a * x + 4.0 * b * x * y + 6.0 * c * x * y * y,
                ]
            }
            TestFunction::Himmelblau => {
                let (u, v) = (x * x + y - 11.0, x + y * y - 7.0);
                [4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v]
            }
            TestFunction::Saddle => [2.0 * x, -2.0 * y],
            TestFunction::Ravine(k) => [x, k * y],
        }
    }

    /// The global minima (all of value 0); empty for the saddle.
    pub fn minima(&self) -> Vec<[f64; 2]> {
        match self {
            TestFunction::Booth => vec![[1.0, 3.0]],
            TestFunction::Bowl | TestFunction::Ravine(_) => vec![[0.0, 0.0]],
            TestFunction::Rosenbrock => vec![[1.0, 1.0]],
            TestFunction::Beale => vec![[3.0, 0.5]],
            TestFunction::Himmelblau => vec![
                [3.0, 2.0],
                [-2.805118086952745, 3.131312518250573],
                [-3.779310253377747, -3.2831859912861696],
                [3.5844283403304917, -1.8481265269644036],
            ],
            TestFunction::Saddle => Vec::new(),
        }
    }

    /// A plotting window ([x₀, x₁], [y₀, y₁]) that shows the minima and the usual starting
    /// points.
    pub fn view(&self) -> ([f64; 2], [f64; 2]) {
        match self {
            TestFunction::Booth => ([-10.0, 10.0], [-10.0, 10.0]),
            TestFunction::Bowl | TestFunction::Saddle => ([-2.0, 2.0], [-2.0, 2.0]),
            TestFunction::Rosenbrock => ([-2.0, 2.0], [-1.0, 3.0]),
            TestFunction::Beale => ([-4.5, 4.5], [-4.5, 4.5]),
            TestFunction::Himmelblau => ([-5.0, 5.0], [-5.0, 5.0]),
            TestFunction::Ravine(_) => ([-3.0, 3.0], [-1.5, 1.5]),
        }
    }

    /// The name as [`FromStr`] reads it (`ravine:K` with K written in full).
    pub fn name(&self) -> String {
        match self {
            TestFunction::Booth => "booth".into(),
            TestFunction::Bowl => "bowl".into(),
            TestFunction::Rosenbrock => "rosenbrock".into(),
            TestFunction::Beale => "beale".into(),
            TestFunction::Himmelblau => "himmelblau".into(),
            TestFunction::Saddle => "saddle".into(),
            TestFunction::Ravine(k) => format!("ravine:{k}"),
        }
    }
}

/// Beale's three terms 1.5 − x + xy, 2.25 − x + xy², 2.625 − x + xy³.
fn beale_terms(x: f64, y: f64) -> [f64; 3] {
    [1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y * y * y]
}

/// A test function is a problem of one row, the function itself: `L(θ) = f(θ)` for θ ∈ ℝ².
impl Problem<f64> for TestFunction {
    fn rows(&self) -> usize {
        1
    }
    fn value_and_grad(&mut self, params: &[f64], _rows: &[usize], grads: &mut [f64]) -> BatchStats {
        let theta = [params[0], params[1]];
        grads.copy_from_slice(&self.grad(theta));
        self.value(params, &[0])
    }
    fn value(&mut self, params: &[f64], _rows: &[usize]) -> BatchStats {
        let f = TestFunction::value(self, [params[0], params[1]]);
        BatchStats {
            objective: f,
            data_loss: f,
            penalty: 0.0,
            correct: 0,
            rows: 1,
            evaluations: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<TestFunction> {
        [
            "booth",
            "bowl",
            "rosenbrock",
            "beale",
            "himmelblau",
            "saddle",
            "ravine:10",
            "ravine:0.25",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
    }

    #[test]
    fn gradients_match_centred_differences() {
        let points = [
            [0.0, 0.0],
            [0.3, -0.7],
            [-1.5, 2.0],
            [1.2, 0.9],
            [2.5, -1.5],
            [-3.0, 3.5],
        ];
        let h = 1e-5;
        for f in all() {
            for p in points {
                let g = f.grad(p);
                for (i, gi) in g.into_iter().enumerate() {
                    let (mut plus, mut minus) = (p, p);
                    plus[i] += h;
                    minus[i] -= h;
                    let fd = (f.value(plus) - f.value(minus)) / (2.0 * h);
                    let tol = 1e-6 * (1.0 + gi.abs().max(f.value(p).abs()));
                    assert!((fd - gi).abs() <= tol, "{} at {p:?}, ∂{i}: {gi} vs {fd}", f.name());
                }
            }
        }
    }

    #[test]
    fn minima_are_zeros_and_stationary() {
        for f in all() {
            for m in f.minima() {
                assert!(f.value(m).abs() < 1e-24, "{} at {m:?}: {}", f.name(), f.value(m));
                let [gx, gy] = f.grad(m);
                assert!(gx.abs() < 1e-12 && gy.abs() < 1e-12, "{} at {m:?}", f.name());
                let ([x0, x1], [y0, y1]) = f.view();
                assert!((x0..=x1).contains(&m[0]) && (y0..=y1).contains(&m[1]));
            }
        }
        assert_eq!(TestFunction::Himmelblau.minima().len(), 4);
        assert!(TestFunction::Saddle.minima().is_empty());
    }

    #[test]
    fn values() {
        assert_eq!(TestFunction::Booth.value([0.0, 0.0]), 74.0);
        assert_eq!(TestFunction::Rosenbrock.value([-1.5, 2.0]), 6.25 + 100.0 * 0.0625);
        assert_eq!(TestFunction::Saddle.value([1.0, 2.0]), -3.0);
        assert_eq!(TestFunction::Ravine(4.0).value([2.0, 1.0]), 4.0);
        assert_eq!(
            TestFunction::Beale.value([0.0, 0.0]),
            1.5f64.powi(2) + 2.25f64.powi(2) + 2.625f64.powi(2)
        );
    }

    #[test]
    fn names_round_trip_and_errors() {
        for f in all() {
            assert_eq!(f.name().parse::<TestFunction>().unwrap(), f);
        }
        assert_eq!(
            "ravine:100".parse::<TestFunction>().unwrap(),
            TestFunction::Ravine(100.0)
        );
        let err = |s: &str| s.parse::<TestFunction>().unwrap_err().to_string();
        assert_eq!(err("sphere"), format!("function must be one of {FORMS}, got 'sphere'"));
        assert_eq!(err("ravine:0"), "function ravine:K needs a finite K > 0, got '0'");
        assert_eq!(err("ravine:x"), "function ravine:K needs a finite K > 0, got 'x'");
        assert_eq!(err("ravine:inf"), "function ravine:K needs a finite K > 0, got 'inf'");
        assert_eq!(err("ravine"), format!("function must be one of {FORMS}, got 'ravine'"));
    }
}
