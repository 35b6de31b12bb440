//! Many configurations in one pass over the data: each model trained together with others
//! equals the same model trained alone, to float rounding.

use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::estimator::{Fitted, ModelConfig, ModelParams};

/// The configurations of one search over the digits: the keys and values set over defaults
/// (linear softmax, standardized, batches of 64, seed 0).
fn configs(trials: &[&[(&str, &str)]]) -> Vec<ModelConfig> {
    trials
        .iter()
        .map(|trial| {
            let mut p = ModelParams::default();
            p.train.threads = 1;
            p.test_fraction = 0.2;
            for (name, value) in *trial {
                match *name {
                    "seed" => p.train.seed = value.parse().unwrap(),
                    _ => p.set(name, value).unwrap(),
                }
            }
            p.check().unwrap()
        })
        .collect()
}

#[test]
fn models_trained_together_equal_models_trained_alone() {
    let trials: &[&[(&str, &str)]] = &[
        &[("lr", "0.1"), ("reg", "l2:1e-4")],
        &[
            ("lr", "0.01"),
            ("optimizer", "momentum"),
            ("momentum", "0.9"),
            ("epochs", "3"),
        ],
        &[("lr", "0.003"), ("optimizer", "adam"), ("reg", "l1:1e-4")],
        &[("optimizer", "nesterov"), ("lr", "0.02"), ("schedule", "cosine")],
        &[
            ("loss", "svm"),
            ("lr", "0.05"),
            ("reg", "elastic:1e-3,0.5"),
            ("clip_norm", "1"),
        ],
        &[("optimizer", "adagrad"), ("lr", "0.05"), ("epochs", "6")],
        // Diverges in its first epoch: its error is its own, and the others go on.
        &[("lr", "1e30")],
    ];
    let configs = configs(trials);
    let splits = configs[0]
        .split
        .apply(DataSpec::Digits.load(&CsvOptions::default()).unwrap())
        .unwrap();
    let (train, test) = (&splits.train, splits.test.as_ref().unwrap());
    let together = Fitted::fit_together(&configs, train, 2).unwrap();
    assert_eq!(together.len(), configs.len());
    for ((config, shared), trial) in configs.iter().zip(&together).zip(trials) {
        let alone = Fitted::fit(config, train, None);
        let (shared, alone) = match (shared, alone) {
            (Ok(s), Ok(a)) => (s, a),
            (Err(s), Err(a)) => {
                assert_eq!(s.to_string(), a.to_string(), "{trial:?}");
                assert!(s.to_string().contains("try a smaller learning rate"), "{s}");
                continue;
            }
            (s, a) => panic!("{trial:?}: together {:?}, alone {:?}", s.as_ref().err(), a.err()),
        };
        let (ps, pa) = (shared.params(), alone.params());
        let scale = pa.iter().fold(0f32, |m, p| m.max(p.abs()));
        let worst = ps.iter().zip(pa).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            worst <= 1e-4 * scale,
            "{trial:?}: max |Δθ| {worst} against max |θ| {scale}"
        );
        let (s, a) = (shared.score(test).unwrap(), alone.score(test).unwrap());
        assert!(
            (s.accuracy.unwrap() - a.accuracy.unwrap()).abs() <= 1e-4 + 1.0 / test.len() as f64,
            "{trial:?}: {s:?} against {a:?}"
        );
        assert!(
            (s.loss - a.loss).abs() <= 1e-4 * a.loss.abs().max(1.0),
            "{trial:?}: {s:?} against {a:?}"
        );
        assert!(a.accuracy.unwrap() > 0.8, "{trial:?}: {a:?}");
        let epochs = config.train.epochs;
        assert_eq!(shared.state().map(|s| s.epoch), Some(epochs), "{trial:?}");
    }
}

#[test]
fn configurations_that_cannot_share_a_pass_are_refused() {
    let data = DataSpec::Digits.load(&CsvOptions::default()).unwrap().train;
    for other in [
        &[("batch_size", "32")][..],
        &[("seed", "3")],
        &[("scale", "unit")],
        &[("model", "mlp:8")],
        &[("loss", "logistic")],
    ] {
        let configs = configs(&[&[], other]);
        let e = Fitted::fit_together(&configs, &data, 1).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("configurations that train together")),
            "{other:?}: {e:?}"
        );
    }
}
