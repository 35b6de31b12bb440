//! Fit, predict and save with the library alone: a small MLP on the embedded digits.
//!
//! ```sh
//! cargo run --release -p gradus --example fit_predict [-- OUT.safetensors]
//! ```

use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, ModelParams, Predictions};
use gradus::optim::OptimizerParams;
use gradus::train::{EpochReport, Flow, Observer, TrainState};

/// Prints one line per epoch.
struct Lines;

impl Observer for Lines {
    fn on_epoch(&mut self, r: &EpochReport, _: &[f32], _: &TrainState<f32>) -> gradus::Result<Flow> {
        println!(
            "epoch {:>2}  objective {:.4}  validation loss {:.4}",
            r.epoch,
            r.objective,
            r.val_loss.unwrap_or(f64::NAN)
        );
        Ok(Flow::Continue)
    }
}

fn main() -> gradus::Result<()> {
    let mut params = ModelParams {
        architecture: "mlp:64".parse()?,
        ..ModelParams::default()
    };
    params.train.optimizer = OptimizerParams::named("adam");
    params.train.lr = Some(3e-3);
    params.train.epochs = 30;
    params.train.patience = Some(3);
    params.train.threads = 2;
    let config = params.check()?;

    let splits = config.split.apply(DataSpec::Digits.load(&CsvOptions::default())?)?;
    let mut model = Fitted::new(&config, &splits.train)?;
    let report = model.train(&splits.train, splits.val.as_ref(), &mut Lines, None)?;
    println!("stopped: {:?}", report.stop);

    // The digits have no official test split: 20 % of the rows are held out (test_fraction).
    let test = splits.test.as_ref().expect("a test fraction above 0 holds rows out");
    let score = model.score(test)?;
    println!(
        "test: {} rows, loss {:.4}, accuracy {:.4}",
        score.rows,
        score.loss,
        score.accuracy.unwrap_or(f64::NAN)
    );
    if let Predictions::Classes(classes) = model.predict(test)? {
        let names = model.class_names();
        let first: Vec<&str> = classes.iter().take(10).map(|&c| names[c].as_str()).collect();
        println!("first predictions: {}", first.join(" "));
    }
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "digits-mlp.safetensors".into());
    model.save(std::path::Path::new(&out))?;
    let again = Fitted::load(std::path::Path::new(&out), 2)?;
    assert_eq!(again.predict(test)?, model.predict(test)?);
    println!("saved to {out}, and the loaded model predicts the same");
    Ok(())
}
