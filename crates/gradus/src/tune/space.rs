//! Search spaces: which hyperparameters vary and over what.
//!
//! A space is written as `name=values` items separated by spaces: `lr=1e-3,1e-2,1e-1
//! reg=l2:1e-5,l2:1e-4 batch-size=32,64`. Values are listed, separated by commas (or by `|`,
//! which leaves commas to the values: `model=mlp:64,32|mlp:128`); a bare number after a value
//! with a `:` continues it (`schedule=step:10,0.5` is one value). For random search a value may
//! also be drawn from a distribution, after an optional prefix: `lr=log(1e-4,1)` is log-uniform
//! on [10⁻⁴, 1] (Bergstra & Bengio 2012), `reg=l2:log(1e-6,1e-1)` the same for the strength of
//! an L2 penalty, `momentum=uniform(0,0.99)` uniform.

use crate::error::{Error, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One trial: a value for each hyperparameter of the space, in the space's order.
pub type Trial = Vec<(String, String)>;

/// What one hyperparameter ranges over.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// These values.
    List(Vec<String>),
    /// `prefix` followed by a number drawn from `[lo, hi]`, log-uniformly or uniformly.
    Range {
        /// Text before the number (`l2:`), empty for none.
        prefix: String,
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
        /// Whether the logarithm is uniform (else the value).
        log: bool,
    },
}

/// A search space.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// Each hyperparameter, in the order written, with its values.
    pub dims: Vec<(String, Values)>,
}

/// Splits a list of values on `|`, or on commas where a bare number does not continue a value
/// with a `:` (`step:10,0.5`).
fn list(text: &str) -> Vec<String> {
    if text.contains('|') {
        return text.split('|').map(|v| v.trim().to_string()).collect();
    }
    let mut values: Vec<String> = Vec::new();
    for piece in text.split(',').map(str::trim) {
        match values.last_mut() {
            Some(last) if last.contains(':') && piece.parse::<f64>().is_ok() => {
                last.push(',');
                last.push_str(piece);
            }
            _ => values.push(piece.to_string()),
        }
    }
    values
}

/// `prefix` + `log(lo,hi)` or `uniform(lo,hi)` in `text`, if it is one.
fn range(name: &str, text: &str) -> Result<Option<Values>> {
    let bad = |why: &str| Error::param("space", format!("{name}={text}: {why}"));
    for (kind, log) in [("log(", true), ("uniform(", false)] {
        let Some(at) = text.find(kind) else { continue };
        let inner = text[at + kind.len()..]
            .strip_suffix(')')
            .ok_or_else(|| bad(&format!("write {kind}a,b)")))?;
        let bounds: Vec<f64> = inner
            .split(',')
            .map(|b| b.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad(&format!("write {kind}a,b) with numbers a and b")))?;
        let [lo, hi] = bounds[..] else {
            return Err(bad(&format!("write {kind}a,b) with two bounds")));
        };
        let ok = lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0);
        if !ok {
            let rule = if log { "0 < a < b" } else { "a < b" };
            return Err(bad(&format!("the bounds must satisfy {rule}")));
        }
        return Ok(Some(Values::Range {
            prefix: text[..at].to_string(),
            lo,
            hi,
            log,
        }));
    }
    Ok(None)
}

impl Space {
    /// Parses a space (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Param`] `space` naming the bad part: nothing given, an item without `=`, a
    /// hyperparameter given twice, an empty value, a malformed or empty range (`log(0,1)`).
    pub fn parse(text: &str) -> Result<Self> {
        let mut dims: Vec<(String, Values)> = Vec::new();
        for item in text.split_whitespace() {
            let Some((name, values)) = item.split_once('=') else {
                return Err(Error::param(
                    "space",
                    format!("'{item}' has no '=': write name=value,value,…"),
                ));
            };
            if dims.iter().any(|(n, _)| n == name) {
                return Err(Error::param("space", format!("{name} is given twice")));
            }
            let values = match range(name, values)? {
                Some(r) => r,
                None => {
                    let l = list(values);
                    if l.iter().any(String::is_empty) {
                        return Err(Error::param("space", format!("{item}: a value is empty")));
                    }
                    Values::List(l)
                }
            };
            dims.push((name.to_string(), values));
        }
        if dims.is_empty() {
            return Err(Error::param("space", "is empty: give at least one name=values"));
        }
        Ok(Space { dims })
    }

    /// Every combination of the listed values (the last hyperparameter varying fastest).
    ///
    /// # Errors
    /// [`Error::Param`] `grid` for a range, which a grid cannot enumerate.
    pub fn grid(&self) -> Result<Vec<Trial>> {
        let mut trials: Vec<Trial> = vec![Vec::new()];
        for (name, values) in &self.dims {
            let Values::List(list) = values else {
                return Err(Error::param(
                    "grid",
                    format!("{name}: a range is for random search; a grid needs listed values"),
                ));
            };
            trials = trials
                .into_iter()
                .flat_map(|t| {
                    list.iter().map(move |v| {
                        let mut t = t.clone();
                        t.push((name.clone(), v.clone()));
                        t
                    })
                })
                .collect();
        }
        Ok(trials)
    }

    /// `n` trials drawn independently with seed `seed`: a listed value uniformly, a range as it
    /// says.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<Trial> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                self.dims
                    .iter()
                    .map(|(name, values)| {
                        let v = match values {
                            Values::List(l) => l[rng.random_range(0..l.len())].clone(),
                            Values::Range { prefix, lo, hi, log } => {
                                let u: f64 = rng.random();
                                let x = match log {
                                    true => (lo.ln() + u * (hi.ln() - lo.ln())).exp(),
                                    false => lo + u * (hi - lo),
                                };
                                // Four significant digits: a value a person can read and retype.
                                format!("{prefix}{}", format!("{x:.3e}").parse::<f64>().unwrap_or(x))
                            }
                        };
                        (name.clone(), v)
                    })
                    .collect()
            })
            .collect()
    }

    /// Whether the hyperparameter `name` ranges log-uniformly (to plot it on a log axis).
    pub fn is_log(&self, name: &str) -> bool {
        self.dims
            .iter()
            .any(|(n, v)| n == name && matches!(v, Values::Range { log: true, .. }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_enumerate_every_combination_in_order() {
        let s = Space::parse("lr=0.1,0.01 reg=l2:1e-5,l2:1e-4 schedule=step:10,0.5|cosine").unwrap();
        let g = s.grid().unwrap();
        assert_eq!(g.len(), 8);
        let text = |t: &Trial| t.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(" ");
        assert_eq!(text(&g[0]), "lr=0.1 reg=l2:1e-5 schedule=step:10,0.5");
        assert_eq!(text(&g[1]), "lr=0.1 reg=l2:1e-5 schedule=cosine");
        assert_eq!(text(&g[7]), "lr=0.01 reg=l2:1e-4 schedule=cosine");
        assert_eq!(list("step:10,0.5,cosine"), ["step:10,0.5", "cosine"]);
    }

    #[test]
    fn random_draws_are_seeded_and_within_their_ranges() {
        let s = Space::parse("lr=log(1e-4,1) reg=l2:log(1e-6,1e-1) batch-size=32,64 momentum=uniform(0,0.9)").unwrap();
        let a = s.sample(200, 7);
        assert_eq!(a, s.sample(200, 7));
        assert_ne!(a, s.sample(200, 8));
        let mut low = 0;
        for t in &a {
            let lr: f64 = t[0].1.parse().unwrap();
            assert!((1e-4..=1.0).contains(&lr));
            low += usize::from(lr < 1e-2);
            let reg: f64 = t[1].1.strip_prefix("l2:").unwrap().parse().unwrap();
            assert!((1e-6..=1e-1).contains(&reg));
            assert!(t[2].1 == "32" || t[2].1 == "64");
            let m: f64 = t[3].1.parse().unwrap();
            assert!((0.0..=0.9).contains(&m));
        }
        // Log-uniform: half of the draws lie below the geometric midpoint 10⁻².
        assert!((70..=130).contains(&low), "{low} of 200 below 1e-2");
        assert!(s.is_log("lr") && !s.is_log("batch-size"));
        assert!(
            s.grid()
                .unwrap_err()
                .to_string()
                .starts_with("grid lr: a range is for random search")
        );
    }

    #[test]
    fn malformed_spaces_are_errors_naming_the_part() {
        for (text, msg) in [
            ("", "space is empty: give at least one name=values"),
            ("lr", "space 'lr' has no '=': write name=value,value,…"),
            ("lr=log(0,1)", "space lr=log(0,1): the bounds must satisfy 0 < a < b"),
            ("lr=log(1e-4)", "space lr=log(1e-4): write log(a,b) with two bounds"),
            (
                "lr=uniform(a,1)",
                "space lr=uniform(a,1): write uniform(a,b) with numbers a and b",
            ),
            ("lr=0.1,", "space lr=0.1,: a value is empty"),
            ("lr=0.1 lr=0.2", "space lr is given twice"),
        ] {
            assert_eq!(Space::parse(text).unwrap_err().to_string(), msg, "{text}");
        }
    }
}
