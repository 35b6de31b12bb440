//! Update rules against torch.optim: trajectories on 2-D test functions, in float64.
//!
//! The fixtures come from `scripts/torch_reference.py` (torch's single-tensor implementations,
//! gradients by autograd); here the gradients are `TestFunction::grad`'s analytic ones. Every
//! coordinate of every step must agree within |a − b| ≤ 1e-9·|b| + 1e-12: relative 1e-9, with an
//! absolute floor of 1e-12 for coordinates that pass near 0. Autograd and the analytic gradient
//! differ in the last bits, and so do fused multiply-adds in torch's kernels; over 150 steps that
//! stays orders of magnitude below the tolerance.

use gradus::functions::TestFunction;
use gradus::optim::{Optimizer, OptimizerParams, State};
use serde::Deserialize;
use std::collections::HashMap;

const RTOL: f64 = 1e-9;
const ATOL: f64 = 1e-12;

#[derive(Deserialize)]
struct Fixture {
    function: String,
    start: [f64; 2],
    steps: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    label: String,
    optimizer: OptimizerParams,
    lr: Option<f64>,
    trajectory: Vec<[f64; 2]>,
}

fn fixture(name: &str) -> Fixture {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Takes `steps` steps of `opt` on `f` from `theta`, returning the point after each.
fn run(
    f: TestFunction,
    opt: &Optimizer,
    lr: f64,
    theta: &mut [f64; 2],
    state: &mut State<f64>,
    steps: usize,
) -> Vec<[f64; 2]> {
    (0..steps)
        .map(|_| {
            let g = f.grad(*theta);
            opt.step(theta, &g, lr, state);
            *theta
        })
        .collect()
}

fn check_fixture(name: &str) {
    let fx = fixture(name);
    let f: TestFunction = fx.function.parse().unwrap();
    assert!(fx.cases.len() >= 16, "{name}: {} cases", fx.cases.len());
    let mut worst = (0.0_f64, String::new());
    for case in &fx.cases {
        let opt = case.optimizer.build().unwrap_or_else(|e| panic!("{}: {e}", case.label));
        let lr = case.lr.unwrap_or(opt.torch_lr());
        assert_eq!(case.trajectory.len(), fx.steps, "{}", case.label);
        let mut theta = fx.start;
        let mut state = opt.init(2);
        let ours = run(f, &opt, lr, &mut theta, &mut state, fx.steps);
        for (k, (a, b)) in ours.iter().zip(&case.trajectory).enumerate() {
            for i in 0..2 {
                let err = (a[i] - b[i]).abs();
                assert!(
                    err <= RTOL * b[i].abs() + ATOL,
                    "{name}/{} ({}), step {}: ours {a:?}, torch {b:?}",
                    case.label,
                    opt.describe(),
                    k + 1
                );
                let rel = err / b[i].abs().max(1e-300);
                if rel > worst.0 {
                    worst = (rel, format!("{}, step {}", case.label, k + 1));
                }
            }
        }
    }
    eprintln!("{name}: worst relative difference {:.3e} ({})", worst.0, worst.1);
}

#[test]
fn rosenbrock_matches_torch() {
    check_fixture("rosenbrock");
}

#[test]
fn booth_matches_torch() {
    check_fixture("booth");
}

/// Saves the optimizer and its state after 50 steps the way a checkpoint does — the rule as
/// JSON, the step count, each buffer by name — restores them into a fresh state, and continues:
/// the result equals the uninterrupted run bit for bit.
#[test]
fn resuming_from_saved_state_is_exact() {
    for name in ["rosenbrock", "booth"] {
        let fx = fixture(name);
        let f: TestFunction = fx.function.parse().unwrap();
        for case in &fx.cases {
            let opt = case.optimizer.build().unwrap();
            let lr = case.lr.unwrap_or(opt.torch_lr());
            let (mut theta, mut state) = (fx.start, opt.init(2));
            let straight = run(f, &opt, lr, &mut theta, &mut state, 100);

            let (mut theta, mut state) = (fx.start, opt.init(2));
            run(f, &opt, lr, &mut theta, &mut state, 50);
            let saved_opt = serde_json::to_string(&opt).unwrap();
            let saved_step = state.step;
            let saved: HashMap<String, Vec<u64>> = state
                .slots
                .iter()
                .map(|(slot, values)| (slot.to_string(), values.iter().map(|v| v.to_bits()).collect()))
                .collect();
            drop(state);

            let opt: Optimizer = serde_json::from_str(&saved_opt).unwrap();
            let mut state = opt.init::<f64>(2);
            state.step = saved_step;
            for (slot, values) in &mut state.slots {
                *values = saved[*slot].iter().map(|&b| f64::from_bits(b)).collect();
            }
            opt.check_state(&state, 2).unwrap();
            let resumed = run(f, &opt, lr, &mut theta, &mut state, 50);

            let bits = |v: &[[f64; 2]]| v.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&resumed), bits(&straight[50..]), "{name}/{}", case.label);
        }
    }
}
