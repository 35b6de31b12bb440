//! A linear classifier's rows as images (CS231n, "Linear classification": "interpretation
//! of linear classifiers as template matching"): the score of class c is the inner product of
//! its row w_c with the image, so w_c, drawn as an image, is the template the class matches.
//! The model is trained by the estimator layer ([`Fitted`]) on pixels scaled to [0, 1]
//! (`unit`: standardizing would magnify the nearly constant border pixels into noise) with a
//! little L2, which smooths the templates.

use crate::data::{Dataset, Scaling};
use crate::error::{Error, Result};
use crate::estimator::{Fitted, ModelParams};
use crate::regularizer::{Penalty, Regularizer};
use crate::train::TrainParams;

/// One class's template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The class name.
    pub name: String,
    /// Its row of W, `height × width` row-major.
    pub weights: Vec<f32>,
}

/// The templates and how well the classifier does.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Image width and height (square images).
    pub side: usize,
    /// One per class.
    pub templates: Vec<Template>,
    /// Accuracy on `test`, or on the training rows without one.
    pub accuracy: f64,
    /// Whether [`accuracy`](Self::accuracy) is on test rows.
    pub on_test: bool,
}

/// Trains a linear softmax classifier on `train` for `epochs` epochs (minibatch SGD, seed
/// `seed`, L2 strength `lambda`) and returns its rows as square images.
///
/// # Errors
/// [`Error::Data`] when the rows are not square grey images (the feature count not a square)
/// or the targets not classes; whatever training returns.
pub fn run(train: &Dataset, test: Option<&Dataset>, epochs: u64, lambda: f64, seed: u64) -> Result<Outcome> {
    let d = train.n_features();
    let side = (d as f64).sqrt().round() as usize;
    if side * side != d {
        return Err(Error::data(format!(
            "templates need square grey images, and {d} features are not a square number of pixels"
        )));
    }
    let params = ModelParams {
        scaling: Scaling::Unit,
        regularizer: Regularizer {
            penalty: Penalty::L2 { lambda },
            include_bias: false,
        },
        train: TrainParams {
            epochs,
            seed,
            ..TrainParams::default()
        },
        ..ModelParams::default()
    };
    let model = Fitted::fit(&params.check()?, train, None)?;
    let names = model.class_names();
    let weights = &model.params()[..names.len() * d];
    let templates = names
        .into_iter()
        .zip(weights.chunks_exact(d))
        .map(|(name, w)| Template {
            name,
            weights: w.to_vec(),
        })
        .collect();
    let scored = model.score(test.unwrap_or(train))?;
    Ok(Outcome {
        side,
        templates,
        accuracy: scored.accuracy.unwrap_or(f64::NAN),
        on_test: test.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digit templates score their own class's mean image highest: wᶜ · mean(xᶜ) is the
    /// largest over c for most classes (the template-matching reading of a linear classifier).
    #[test]
    fn each_template_matches_its_own_class_best() {
        let digits = crate::data::digits::load().unwrap();
        let out = run(&digits, Some(&digits), 10, 1e-3, 0).unwrap();
        assert_eq!((out.side, out.templates.len()), (8, 10));
        assert!(out.accuracy > 0.9 && out.on_test);
        let labels = digits.labels().unwrap();
        let affine = Scaling::Unit.fit(&digits);
        let mut matched = 0;
        for c in 0..10u32 {
            let rows: Vec<usize> = (0..digits.len()).filter(|&i| labels[i] == c).collect();
            let mean: Vec<f64> = (0..64)
                .map(|j| {
                    let m = rows.iter().map(|&i| digits.value(i, j)).sum::<f64>() / rows.len() as f64;
                    (m - affine.shift()[j] as f64) * affine.scale()[j] as f64
                })
                .collect();
            let scores: Vec<f64> = out
                .templates
                .iter()
                .map(|t| t.weights.iter().zip(&mean).map(|(w, x)| *w as f64 * x).sum())
                .collect();
            matched += usize::from(crate::loss::argmax(&scores) == c as usize);
        }
        assert!(matched >= 9, "{matched} of 10 classes");
    }
}
