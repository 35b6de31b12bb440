//! Hyperparameters set by name from text (`lr=0.01`, `reg=l2:1e-4`, `model=mlp:64`): what a
//! search space assigns. The names are those of [`ModelConfig::parameters`](super::ModelConfig::parameters)
//! and of the command line's flags (`batch-size` or `batch_size`).

use super::ModelParams;
use crate::error::{Error, Result};
use crate::model::Architecture;
use crate::regularizer::Penalty;

/// The hyperparameters [`ModelParams::set`] can set.
pub const SEARCHABLE: [&str; 22] = [
    "model",
    "activation",
    "init",
    "loss",
    "reg",
    "scale",
    "optimizer",
    "lr",
    "momentum",
    "dampening",
    "rho",
    "beta1",
    "beta2",
    "eps",
    "weight_decay",
    "lr_decay",
    "schedule",
    "warmup",
    "epochs",
    "batch_size",
    "clip_norm",
    "sampling",
];

/// `name=value` as a real number.
fn real(name: &str, value: &str) -> Result<f64> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Error::param(name, format!("must be a finite number, got '{value}'"))),
    }
}

/// `name=value` as a whole number.
fn whole(name: &str, value: &str) -> Result<u64> {
    value
        .parse::<u64>()
        .map_err(|_| Error::param(name, format!("must be a whole number, got '{value}'")))
}

impl ModelParams {
    /// Sets the hyperparameter `name` (one of [`SEARCHABLE`], `-` or `_` between words) to the
    /// value written as on the command line. Values are checked for their form here, and for
    /// their range by [`check`](Self::check).
    ///
    /// # Errors
    /// [`Error::Param`] naming the hyperparameter: an unknown name, or a value of the wrong
    /// form (`lr must be a finite number, got 'abc'`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let key = name.replace('-', "_");
        let t = &mut self.train;
        let o = &mut t.optimizer;
        let opt = |v: &str| real(&key, v).map(Some);
        match key.as_str() {
            "model" => {
                let activation = self.architecture.activation;
                self.architecture = value.parse::<Architecture>()?;
                self.architecture.activation = activation;
            }
            "activation" => self.architecture.activation = value.parse()?,
            "init" => self.init = value.parse()?,
            "loss" => self.loss = crate::loss::Loss::parse(value, None, None)?,
            "reg" => self.regularizer.penalty = value.parse::<Penalty>()?,
            "scale" => self.scaling = value.parse()?,
            "optimizer" => o.name = value.to_string(),
            "lr" => t.lr = opt(value)?,
            "momentum" => o.momentum = opt(value)?,
            "dampening" => o.dampening = opt(value)?,
            "rho" => o.rho = opt(value)?,
            "beta1" => o.beta1 = opt(value)?,
            "beta2" => o.beta2 = opt(value)?,
            "eps" => o.eps = opt(value)?,
            "weight_decay" => o.weight_decay = opt(value)?,
            "lr_decay" => o.lr_decay = opt(value)?,
            "schedule" => t.schedule = value.parse()?,
            "warmup" => t.warmup = whole(&key, value)?,
            "epochs" => t.epochs = whole(&key, value)?,
            "batch_size" => {
                t.batch = match value {
                    "full" => crate::data::batch::BatchSize::Full,
                    v => crate::data::batch::BatchSize::Rows(whole(&key, v)? as usize),
                }
            }
            "clip_norm" => t.clip_norm = opt(value)?,
            "sampling" => t.sampling = value.parse()?,
            _ => {
                return Err(Error::param(
                    name,
                    format!(
                        "is not a hyperparameter that can be searched; these can: {}",
                        SEARCHABLE.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_searchable_name_sets_what_the_configuration_reports() {
        let values = [
            ("model", "mlp:8,4"),
            ("activation", "tanh"),
            ("init", "he"),
            ("loss", "svm"),
            ("reg", "l2:0.001"),
            ("scale", "unit"),
            ("optimizer", "momentum"),
            ("lr", "0.03"),
            ("momentum", "0.5"),
            ("dampening", "0.1"),
            ("rho", "0.8"),
            ("beta1", "0.8"),
            ("beta2", "0.99"),
            ("eps", "0.001"),
            ("weight_decay", "0.01"),
            ("lr_decay", "0.1"),
            ("schedule", "cosine"),
            ("warmup", "3"),
            ("epochs", "7"),
            ("batch_size", "32"),
            ("clip_norm", "5"),
            ("sampling", "replacement"),
        ];
        assert_eq!(values.len(), SEARCHABLE.len());
        let mut p = ModelParams::default();
        for (name, value) in values {
            p.set(&name.replace('_', "-"), value).unwrap();
        }
        // The rules' own hyperparameters that momentum does not take (checked by `check`).
        let o = &p.train.optimizer;
        assert_eq!(
            (o.rho, o.beta1, o.beta2, o.eps, o.lr_decay),
            (Some(0.8), Some(0.8), Some(0.99), Some(0.001), Some(0.1))
        );
        let o = &mut p.train.optimizer;
        (o.rho, o.beta1, o.beta2, o.eps, o.lr_decay) = (None, None, None, None, None);
        let config = p.check().unwrap();
        let reported: std::collections::HashMap<&str, String> = config.parameters().into_iter().collect();
        assert_eq!(reported["model"], "mlp:8,4");
        assert_eq!(reported["activation"], "tanh");
        assert_eq!(reported["reg"], "l2:0.001");
        assert_eq!(reported["optimizer"], "momentum");
        assert_eq!(reported["lr"], "0.03");
        assert_eq!(reported["momentum"], "0.5");
        assert_eq!(reported["batch_size"], "32");
        assert_eq!(config.train.epochs, 7);
        assert_eq!(reported["schedule"], "cosine");
        assert_eq!(reported["sampling"], "replacement");
    }

    #[test]
    fn unknown_names_and_bad_values_are_errors_naming_them() {
        let mut p = ModelParams::default();
        let e = p.set("learning_rate", "0.1").unwrap_err().to_string();
        assert!(
            e.starts_with("learning_rate is not a hyperparameter that can be searched; these can: model,"),
            "{e}"
        );
        assert_eq!(
            p.set("lr", "abc").unwrap_err().to_string(),
            "lr must be a finite number, got 'abc'"
        );
        assert_eq!(
            p.set("batch-size", "-3").unwrap_err().to_string(),
            "batch_size must be a whole number, got '-3'"
        );
        assert!(p.set("reg", "l3:1").is_err());
    }
}
