//! The NumPy, `.npz`, LIBSVM and CIFAR-10 loaders on files written in their exact formats
//! (`tests/formats/mod.rs`), and on files numpy and scikit-learn wrote
//! (`tests/fixtures/formats/make.py`): every way of writing a tiny dataset loads to the same rows
//! and labels.

mod formats;
use formats::*;
use gradus::data::csv::CsvOptions;
use gradus::data::spec::DataSpec;
use gradus::data::{Dataset, Features, Task, cifar, libsvm, npy};
use std::path::Path;

/// 4 rows of 3 features, exactly representable in every dtype, and their classes.
const X: [[f64; 3]; 4] = [[1.0, 0.0, 3.0], [0.0, 0.0, 0.0], [7.0, 2.0, 0.0], [4.0, 5.0, 6.0]];
const Y: [f64; 4] = [0.0, 2.0, 1.0, 2.0];

fn flat() -> Vec<f64> {
    X.iter().flatten().copied().collect()
}

fn rows(d: &Dataset) -> Vec<Vec<f64>> {
    (0..d.len())
        .map(|i| (0..d.n_features()).map(|j| d.value(i, j)).collect())
        .collect()
}

fn dense() -> Vec<Vec<f64>> {
    X.iter().map(|r| r.to_vec()).collect()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn npy_every_dtype_order_endianness_and_version_loads_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for descr in [
        "<f4", ">f4", "<f8", ">f8", "<i8", ">i8", "<i4", ">i4", "<u2", ">u2", "|u1", "|b1",
    ] {
        for fortran in [false, true] {
            for version in [1, 2, 3] {
                let x = flat()
                    .iter()
                    .map(|&v| if descr == "|b1" { (v != 0.0) as u8 as f64 } else { v })
                    .collect::<Vec<_>>();
                let xp = write(dir.path(), "x.npy", npy(descr, fortran, &[4, 3], &x, version));
                let ydescr = ["<i8", ">f8", "|u1", "<f4"][n % 4];
                let yp = write(dir.path(), "y.npy", npy(ydescr, false, &[4], &Y, version));
                let d =
                    npy::load(&xp, &yp, Task::Classify).unwrap_or_else(|e| panic!("{descr} {fortran} {version}: {e}"));
                let want: Vec<Vec<f64>> = x.chunks(3).map(|r| r.to_vec()).collect();
                assert_eq!(rows(&d), want, "{descr} fortran {fortran} v{version}");
                assert_eq!(d.labels(), Some(&[0, 2, 1, 2][..]));
                assert_eq!(
                    matches!(d.features(), Features::U8(_)),
                    descr.starts_with('|'),
                    "{descr}"
                );
                n += 1;
            }
        }
    }
}

#[test]
fn npy_images_are_flattened_in_c_order_from_either_order() {
    let dir = tempfile::tempdir().unwrap();
    let shape = [3, 2, 4];
    // Element (i, a, b) = 100 i + 10 a + b, listed in C order.
    let c: Vec<f64> = (0..3)
        .flat_map(|i| (0..2).flat_map(move |a| (0..4).map(move |b| (100 * i + 10 * a + b) as f64)))
        .collect();
    for fortran in [false, true] {
        let xp = write(dir.path(), "x.npy", npy("<f8", fortran, &shape, &c, 1));
        let yp = write(dir.path(), "y.npy", npy("<f8", false, &[3, 1], &[0.5, 1.5, -2.0], 1));
        let d = npy::load(&xp, &yp, Task::Regress).unwrap();
        assert_eq!(d.n_features(), 8);
        assert_eq!(d.value(2, 5), 211.0, "fortran {fortran}");
        assert_eq!(rows(&d).concat(), c);
        assert_eq!(d.targets(), &gradus::data::Targets::Values(vec![0.5, 1.5, -2.0]));
    }
    // Float labels are classes only when they are whole numbers.
    let e = npy::load(&dir.path().join("x.npy"), &dir.path().join("y.npy"), Task::Classify).unwrap_err();
    assert!(e.to_string().ends_with("y.npy: element 0: label 0.5 is not a class id (a non-negative integer; for real-valued targets use --task regress)"), "{e}");
}

#[test]
fn npz_stored_and_deflated_with_either_key_set_load_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let x = npy("<f4", true, &[4, 3], &flat(), 1);
    let y = npy("<i8", false, &[4], &Y, 1);
    for deflate in [false, true] {
        let p = write(
            dir.path(),
            "a.npz",
            zip(&[("X.npy", x.clone()), ("y.npy", y.clone())], deflate),
        );
        let (train, test) = npy::load_npz(&p, Task::Classify).unwrap();
        assert_eq!((rows(&train), test.is_none()), (dense(), true));
        let entries = [
            ("x_train.npy", x.clone()),
            ("y_train.npy", y.clone()),
            ("x_test.npy", npy(">f8", false, &[1, 3], &[9.0, 8.0, 7.0], 2)),
            ("y_test.npy", npy("<i8", false, &[1], &[1.0], 1)),
        ];
        let p = write(dir.path(), "b.npz", zip(&entries, deflate));
        let (train, test) = npy::load_npz(&p, Task::Classify).unwrap();
        let test = test.unwrap();
        assert_eq!(rows(&train), dense());
        assert_eq!(
            (rows(&test), test.labels()),
            (vec![vec![9.0, 8.0, 7.0]], Some(&[1][..]))
        );
        let spec: DataSpec = format!("npz:{}", p.display()).parse().unwrap();
        assert!(spec.has_test_split());
        assert_eq!(spec.load_official_test(&CsvOptions::default()).unwrap().unwrap(), test);
        assert_eq!(spec.load_training(&CsvOptions::default()).unwrap(), train);
    }
}

#[test]
fn libsvm_rows_are_sparse_and_equal_the_dense_ones() {
    let dir = tempfile::tempdir().unwrap();
    let text = libsvm(&dense(), &Y);
    let p = write(dir.path(), "train.svm", &text);
    let s = libsvm::load(&p, None, Task::Classify, 1 << 20, None).unwrap();
    assert_eq!(rows(&s.train), dense());
    assert_eq!(s.train.labels(), Some(&[0, 2, 1, 2][..]));
    let Features::Csr(m) = s.train.features() else {
        panic!("sparse rows expected")
    };
    assert_eq!(m.nnz(), 7);
    assert_eq!(s.train.sparse_row(2), Some((&[0, 1][..], &[7.0, 2.0][..])));

    // ±1 labels, qid fields, comments, blank lines; the test file's larger index widens both.
    let p = write(
        dir.path(),
        "a.svm",
        "+1 qid:3 1:0.5 3:2 # first\n\n# only a comment\n-1 qid:3 2:-1.25\n",
    );
    let t = write(dir.path(), "b.svm", "-1 5:1\n");
    let s = libsvm::load(&p, Some(&t), Task::Classify, 1 << 20, None).unwrap();
    let test = s.test.unwrap();
    assert_eq!((s.train.n_features(), test.n_features(), s.qid_lines), (5, 5, 2));
    assert_eq!(
        rows(&s.train),
        vec![vec![0.5, 0.0, 2.0, 0.0, 0.0], vec![0.0, -1.25, 0.0, 0.0, 0.0]]
    );
    assert_eq!((s.train.labels(), test.labels()), (Some(&[1, 0][..]), Some(&[0][..])));
    assert_eq!(s.train.class_names().unwrap(), ["-1", "+1"]);
    let r = libsvm::load(&p, None, Task::Regress, 1 << 20, None).unwrap();
    assert_eq!(r.train.targets(), &gradus::data::Targets::Values(vec![1.0, -1.0]));
}

#[test]
fn libsvm_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "1 1:1\n0 2:1 2:3\n",
            "line 2: index 2 repeats index 2: indices must increase",
        ),
        (
            "1 3:1 2:1\n",
            "line 1: index 2 comes after index 3: indices must increase",
        ),
        ("1 0:1\n", "line 1: index 0: indices start at 1"),
        ("1 -4:1\n", "line 1: index '-4' is not a positive integer"),
        ("1 1:nan\n", "line 1: index 1: 'nan' is not finite"),
        ("1 1:1e39\n", "line 1: index 1: '1e39' is out of f32's range (±3.4e38)"),
        ("1 1:x\n", "line 1: index 1: 'x' is not a number"),
        ("abc 1:1\n", "line 1: label 'abc' is not a number"),
        ("1 1:1 7\n", "line 1: '7' is not index:value"),
        ("1 1:1 qid:2\n", "line 1: qid: must come right after the label"),
        (
            "1 99999999999:1\n",
            "line 1: index 99999999999 is beyond the limit of 16777216",
        ),
        (
            "0.5 1:1\n",
            "line 1: label 0.5 is not a class id (a non-negative integer; for real-valued targets use --task regress)",
        ),
        ("# nothing\n\n", "no data rows"),
        (
            "1 1:1\n1 \u{1b}[2J:1\n",
            "line 2: index '\\u{1b}[2J' is not a positive integer",
        ),
    ];
    for (text, want) in cases {
        let p = write(dir.path(), "bad.svm", text);
        let e = libsvm::load(&p, None, Task::Classify, 1 << 20, None)
            .unwrap_err()
            .to_string();
        assert_eq!(e, format!("{}: {want}", p.display()), "{text:?}");
    }
    let p = write(dir.path(), "long.svm", format!("1 1:1\n1 {}\n", "2:1 ".repeat(100)));
    let e = libsvm::load(&p, None, Task::Classify, 64, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("long.svm: line 2: the line is longer than the limit of 64 bytes"),
        "{e}"
    );
    let e = libsvm::load(&p, None, Task::Classify, 1 << 20, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("line 2: index 2 repeats index 2: indices must increase"),
        "{e}"
    );
    // A test file's label that only the pair cannot read names the test file.
    let a = write(dir.path(), "a.svm", "0 1:1\n1 1:2\n");
    let b = write(dir.path(), "b.svm", "-1 1:1\n");
    let e = libsvm::load(&a, Some(&b), Task::Classify, 1 << 20, None)
        .unwrap_err()
        .to_string();
    assert!(e.ends_with(&format!("line 1 of {}: label -1 is not a class id (a non-negative integer; for real-valued targets use --task regress)", b.display())), "{e}");
}

#[test]
fn one_image_dataset_loads_the_same_from_npy_npz_libsvm_and_cifar10() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 3 images of 3×32×32 bytes, mostly zero, and labels.
    let images: Vec<Vec<u8>> = (0..3u32)
        .map(|i| {
            (0..3072u32)
                .map(|j| {
                    if (j + i) % 7 == 0 {
                        ((j * 31 + i) % 251) as u8
                    } else {
                        0
                    }
                })
                .collect()
        })
        .collect();
    let labels = [4u8, 0, 9];
    let c: Vec<f64> = images.iter().flatten().map(|&v| v as f64).collect();
    let y: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
    cifar_dir(d, &images, &labels);
    let from_cifar = cifar::load_test(d).unwrap();
    let xp = write(d, "x.npy", npy("|u1", false, &[3, 3, 32, 32], &c, 1));
    let yp = write(d, "y.npy", npy("<i8", false, &[3], &y, 1));
    let from_npy = npy::load(&xp, &yp, Task::Classify).unwrap();
    let z = write(
        d,
        "d.npz",
        zip(
            &[
                ("X.npy", npy(">f4", true, &[3, 3072], &c, 1)),
                ("y.npy", npy("<f8", false, &[3], &y, 1)),
            ],
            true,
        ),
    );
    let from_npz = npy::load_npz(&z, Task::Classify).unwrap().0;
    let dense: Vec<Vec<f64>> = c.chunks(3072).map(|r| r.to_vec()).collect();
    // The last feature is 0 in every row, so LIBSVM's rows have fewer features: widened as for a model.
    let sp = write(d, "d.svm", libsvm(&dense, &y));
    let from_libsvm = libsvm::load(&sp, None, Task::Classify, 1 << 20, None)
        .unwrap()
        .train
        .widened(3072);
    for (name, data) in [("npy", &from_npy), ("npz", &from_npz), ("libsvm", &from_libsvm)] {
        assert_eq!(rows(data), rows(&from_cifar), "{name}");
        assert_eq!(data.labels(), from_cifar.labels(), "{name}");
    }
    assert_eq!(from_cifar.features(), from_npy.features());
    let spec: DataSpec = format!("cifar10:{}", d.display()).parse().unwrap();
    let loaded = spec.load(&CsvOptions::default()).unwrap();
    assert_eq!((loaded.train.len(), loaded.test.unwrap().len()), (15, 3));
}

/// Files numpy and scikit-learn wrote (`tests/fixtures/formats/make.py`) load to the rows the
/// script printed into `expected.json`.
#[test]
fn files_numpy_and_scikit_learn_wrote_load_as_they_describe() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx.join("expected.json")).unwrap()).unwrap();
    let x: Vec<Vec<f64>> = serde_json::from_value(expected["x"].clone()).unwrap();
    let y: Vec<u32> = serde_json::from_value(expected["y"].clone()).unwrap();
    for name in ["x_f8_le_c.npy", "x_f4_be_f.npy", "x_f8_be_f.npy"] {
        let d = npy::load(&fx.join(name), &fx.join("y_i8.npy"), Task::Classify).unwrap();
        assert_eq!((rows(&d), d.labels().unwrap()), (x.clone(), &y[..]), "{name}");
    }
    for name in ["savez.npz", "savez_compressed.npz"] {
        let (train, test) = npy::load_npz(&fx.join(name), Task::Classify).unwrap();
        assert_eq!((rows(&train), train.labels().unwrap()), (x.clone(), &y[..]), "{name}");
        assert_eq!(rows(&test.unwrap()), x[..2].to_vec(), "{name}");
    }
    let s = libsvm::load(&fx.join("sklearn.svm"), None, Task::Classify, 1 << 20, None).unwrap();
    assert_eq!((rows(&s.train), s.train.labels().unwrap()), (x, &y[..]));
}
