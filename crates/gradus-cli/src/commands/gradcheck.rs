//! `gradus gradcheck`: the analytic gradient of a freshly initialised model against centred
//! differences `(L(θ + h e_i) − L(θ − h e_i)) / 2h`, in f64, on a few training rows.

use super::{data_source, gradcheck_table, model_params};
use crate::args::GradcheckArgs;
use crate::output::outln;
use anyhow::{Result, bail};
use gradus::data::batch::Prepared;
use gradus::estimator::Fitted;
use gradus::gradcheck::{self, GradCheckConfig};
use gradus::train::TrainParams;
use serde_json::json;

pub fn run(a: GradcheckArgs) -> Result<()> {
    let (spec, csv) = data_source(&a.data)?;
    let train = TrainParams {
        seed: a.seed,
        ..TrainParams::default()
    };
    let config = model_params(&a.model, &a.scale, &a.data, Some(0.0), train)?.check()?;
    let cfg = GradCheckConfig {
        eps: a.eps,
        atol: a.atol,
        rtol: a.rtol,
        seed: a.seed,
        ..GradCheckConfig::default()
    }
    .check()?;
    if a.break_gradient.is_some_and(|r| !r.is_finite()) {
        bail!("--break-gradient must be a finite number");
    }
    let train = config.split.apply(spec.load(&csv)?)?.train;
    let rows = gradcheck::pick_rows(train.len(), a.samples, a.seed)?;
    let model = Fitted::new(&config, &train)?;
    let objective = model.objective();
    let params = objective.network.init_with::<f64>(config.init, a.seed);
    let inputs = model.encode(&train)?.data;
    let data = Prepared {
        data: &inputs,
        affine: model.affine(),
    };
    eprintln!(
        "gradus: gradcheck of {} / {} / reg {} on {spec}: {} rows, {} parameters, h = {}",
        objective.network.architecture(),
        objective.loss,
        objective.regularizer.penalty,
        rows.len(),
        params.len(),
        cfg.eps,
    );

    let report = match a.break_gradient {
        None => gradcheck::check(objective, &params, &data, &rows, &cfg)?,
        // A testing aid: the output bias's gradient made wrong by a relative error.
        Some(rel) => {
            let bias = objective
                .network
                .layout()
                .segments()
                .last()
                .map(|s| s.range())
                .unwrap_or_default();
            gradcheck::check_with(objective, &params, &data, &rows, &cfg, |p| {
                let mut g = gradcheck::gradient(objective, p, &data, &rows)?;
                g[bias].iter_mut().for_each(|v| *v *= 1.0 + rel);
                Ok(g)
            })?
        }
    };

    let (checked, skipped): (usize, usize) = report
        .tensors
        .iter()
        .fold((0, 0), |(c, s), t| (c + t.checked, s + t.skipped));
    if a.json {
        outln!(
            "{}",
            json!({
                "data": spec.to_string(),
                "model": objective.network.architecture().to_string(),
                "loss": objective.loss.to_string(),
                "reg": objective.regularizer.penalty.to_string(),
                "reg_bias": objective.regularizer.include_bias,
                "rows": rows.len(),
                "parameters": params.len(),
                "eps": cfg.eps,
                "atol": cfg.atol,
                "rtol": cfg.rtol,
                "checked": checked,
                "skipped": skipped,
                "tensors": report.tensors,
                "passed": report.passed,
            })
        )?;
    } else {
        gradcheck_table::print(&report, &cfg, checked, skipped)?;
    }
    match gradcheck_table::failures(&report) {
        Some(failed) => bail!("gradient check failed: {failed}"),
        None => Ok(()),
    }
}
