//! `gradus gradcheck`: passes on a real model, fails loudly on a broken gradient.

mod common;
use common::*;

#[test]
fn mlp_softmax_l2_passes() {
    let v = last_json(&ok(&[
        "gradcheck",
        "--model",
        "mlp:16",
        "--loss",
        "softmax",
        "--reg",
        "l2:1e-3",
        "--json",
    ]));
    assert_eq!(v["passed"], true, "{v}");
    let tensors = v["tensors"].as_array().unwrap();
    let names: Vec<&str> = tensors.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    );
    for t in tensors {
        assert!(t["checked"].as_u64().unwrap() > 0, "{t}");
        assert_eq!(t["passed"], true, "{t}");
        assert!(t["max_rel_error"].as_f64().is_some(), "{t}");
    }
    // digits: 64 features, 10 classes; every coordinate of the 1,210 is checked or skipped.
    assert_eq!(v["parameters"], 64 * 16 + 16 + 16 * 10 + 10);
    assert_eq!(v["checked"].as_u64().unwrap() + v["skipped"].as_u64().unwrap(), 1210);
    assert_eq!(v["rows"], 8);
}

#[test]
fn table_output_ends_with_pass() {
    let out = ok(&[
        "gradcheck",
        "--model",
        "linear",
        "--loss",
        "svm",
        "--reg",
        "elastic:1e-3,0.5",
        "--samples",
        "4",
    ]);
    assert!(out.lines().next().unwrap().starts_with("tensor"), "{out}");
    assert!(out.contains("layers.0.weight") && out.contains("10×64"), "{out}");
    assert!(out.lines().last().unwrap().starts_with("PASS"), "{out}");
}

#[test]
fn a_broken_gradient_fails_with_one_error_line() {
    let err = fails(&[
        "gradcheck",
        "--model",
        "mlp:16",
        "--loss",
        "softmax",
        "--reg",
        "l2:1e-3",
        "--break-gradient",
        "0.01",
    ]);
    assert!(
        err.contains("gradient check failed") && err.contains("layers.1.bias"),
        "{err}"
    );
    let out = gradus(&["gradcheck", "--model", "linear", "--break-gradient", "0.05", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = last_json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["passed"], false);
}

#[test]
fn bad_values_are_one_line_errors() {
    assert!(fails(&["gradcheck", "--eps", "0"]).contains("--eps"));
    assert!(fails(&["gradcheck", "--samples", "0"]).contains("--samples"));
    assert!(fails(&["gradcheck", "--loss", "squared"]).contains("squared"));
}
