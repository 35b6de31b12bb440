//! Malformed NumPy, `.npz`, LIBSVM and CIFAR-10 files (issue 9): for each format a seeded corpus
//! of at least 60 corruptions of a valid file (truncations, bit flips, overwritten bytes) and
//! hostile files (headers claiming huge sizes, wrong dtypes, object arrays, zip bombs). None may
//! panic, and none may make the loader allocate more than a small multiple of the file's real
//! size: this test binary counts the heap's peak through its global allocator, so its tests run
//! one at a time.

mod formats;
use formats::*;
use gradus::data::{Task, cifar, libsvm, npy};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = IN_USE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(now, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Held by each test, so that no other test allocates while one counts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The peak heap growth while `f` runs.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = IN_USE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed).saturating_sub(base))
}

/// Loads each file of `corpus` (written to `path`) with `load`, checking that none panics and
/// that the heap grows by at most `per_byte` × the file's size plus `slack` bytes; returns how
/// many loaded.
fn run(
    name: &str,
    path: &Path,
    corpus: &[Vec<u8>],
    per_byte: usize,
    slack: usize,
    load: impl Fn(&Path) -> gradus::Result<usize>,
) -> usize {
    assert!(corpus.len() >= 60, "{name}: {} files", corpus.len());
    let mut ok = 0;
    for (k, file) in corpus.iter().enumerate() {
        std::fs::write(path, file).unwrap();
        let (result, peak) = peak_of(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(path))));
        let result = result.unwrap_or_else(|_| panic!("{name} #{k} panicked"));
        let bound = per_byte * file.len() + slack;
        assert!(
            peak <= bound,
            "{name} #{k}: peak {peak} bytes > {bound} for a {}-byte file ({result:?})",
            file.len()
        );
        match result {
            Ok(_) => ok += 1,
            Err(e) => assert!(!e.to_string().contains('\n'), "{name} #{k}: {e}"),
        }
    }
    ok
}

/// Bytes the loaders may take whatever the file: buffers (64 KiB), the reserve of an unknown
/// payload (1 MiB) and the zip reader's tables.
const SLACK: usize = 3 << 20;

fn npy_corpus() -> Vec<Vec<u8>> {
    let x: Vec<f64> = (0..24).map(|v| v as f64 * 0.5).collect();
    let good = npy("<f8", true, &[8, 3], &x, 1);
    let mut corpus = corruptions(&good, 60, 9);
    let header = |dict: &str, version: u8| {
        let mut out = npy_header(dict, version);
        out.extend([0u8; 64]);
        out
    };
    for dict in [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 1000), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 3), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999, 3), }",
        "{'descr': '|O', 'fortran_order': False, 'shape': (8, 3), }",
        "{'descr': '<c16', 'fortran_order': False, 'shape': (8,), }",
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (8,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-8, 3), }",
        "{'descr': '<f8', 'fortran_order': 1, 'shape': (8, 3), }",
        "{'descr': '<f8', 'shape': (8, 3), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 3), 'evil': '__import__'}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (8, 3",
        "cos\nsystem\n(S'echo pwned'\ntR.",
        "",
    ] {
        corpus.push(header(dict, 1));
        corpus.push(header(dict, 3));
    }
    let mut huge = b"\x93NUMPY\x02\x00".to_vec();
    huge.extend(u32::MAX.to_le_bytes());
    corpus.push(huge);
    corpus.push(b"\x93NUMPY\x09\x00\x10\x00".to_vec());
    corpus.push(b"PK\x03\x04 not an npy file".to_vec());
    corpus
}

fn npz_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let x: Vec<f64> = (0..24).map(|v| v as f64).collect();
    let y = npy("<i8", false, &[8], &[0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 0.0], 1);
    let good = zip(
        &[("X.npy", npy(">f4", false, &[8, 3], &x, 1)), ("y.npy", y.clone())],
        true,
    );
    let mut corpus = corruptions(&good, 60, 11);
    corpus.extend(corruptions(
        &zip(
            &[("X.npy", npy("<f8", false, &[8, 3], &x, 1)), ("y.npy", y.clone())],
            false,
        ),
        20,
        12,
    ));
    // Zip bombs: a header that claims what the entry cannot hold; a small header over megabytes
    // of zeros; an x_test without y_test; another compression method.
    let mut zeros = npy("|u1", false, &[8, 3], &[0.0; 24], 1);
    let claim = npy("|u1", false, &[1 << 40, 1], &[], 1);
    zeros.resize(zeros.len() + (64 << 20), 0);
    corpus.push(zip(&[("X.npy", zeros), ("y.npy", y.clone())], true));
    corpus.push(zip(&[("X.npy", claim), ("y.npy", y.clone())], true));
    let mut endless = npy("<f8", false, &[100_000_000, 1], &[], 1);
    endless.resize(endless.len() + (8 << 20), 0);
    corpus.push(zip(&[("X.npy", endless), ("y.npy", y.clone())], true));
    corpus.push(zip(
        &[
            ("x_train.npy", npy("<f8", false, &[8, 3], &x, 1)),
            ("y_train.npy", y.clone()),
            ("x_test.npy", y.clone()),
        ],
        false,
    ));
    corpus.push(zip(&[("other.npy", y.clone())], false));
    corpus.push(b"PK\x05\x06".to_vec());
    let _ = dir;
    corpus
}

fn libsvm_corpus() -> Vec<Vec<u8>> {
    let good = b"1 1:0.5 3:2 # a\n-1 qid:2 2:1.25 7:-3\n\n1 4:1e-3\n-1 1:1 2:2 3:3\n".to_vec();
    let mut corpus = corruptions(&good, 60, 13);
    for text in [
        "1 16777217:1\n",
        "1 4294967297:1\n",
        "1 1:1 1:1\n",
        "1 2:1 1:1\n",
        "1 0:1\n",
        "1 -1:1\n",
        "1 1:inf\n",
        "1 1:-nan\n",
        "nan 1:1\n",
        "1e400 1:1\n",
        "1 1::1\n",
        "1 :1\n",
        "\u{0}\u{0}\u{0}",
    ] {
        corpus.push(text.as_bytes().to_vec());
    }
    // A line far beyond the 1 MiB limit used here.
    let mut long = b"1 ".to_vec();
    long.resize(3 << 20, b'9');
    corpus.push(long);
    corpus
}

fn cifar_corpus() -> Vec<Vec<u8>> {
    let rows: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i * 50; 3072]).collect();
    let good = cifar_batch(&rows, &[1, 9, 0, 3]);
    let mut corpus = corruptions(&good, 60, 17);
    corpus.push(Vec::new());
    corpus.push(vec![10; 3073]);
    corpus.push(vec![255; 3073 * 2]);
    corpus
}

#[test]
fn malformed_files_of_every_format_fail_cleanly_within_a_small_multiple_of_their_size() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let yp = d.join("y.npy");
    std::fs::write(
        &yp,
        npy("<i8", false, &[8], &[0.0, 1.0, 2.0, 1.0, 0.0, 1.0, 2.0, 0.0], 1),
    )
    .unwrap();
    // X is read (f64 → f32: the raw payload and the floats), then y.
    let loaded = run("npy", &d.join("x.npy"), &npy_corpus(), 4, SLACK, |p| {
        npy::load(p, &yp, Task::Classify).map(|d| d.len())
    });
    assert!(loaded >= 1, "npy: the intact corruptions load");
    let loaded = run("npz", &d.join("d.npz"), &npz_corpus(d), 16, SLACK + (1 << 20), |p| {
        npy::load_npz(p, Task::Classify).map(|(t, _)| t.len())
    });
    assert!(loaded >= 1);
    // Per line: CSR pointers, label, line number and class (about 40 bytes), doubled by vector growth.
    let loaded = run("libsvm", &d.join("a.svm"), &libsvm_corpus(), 64, SLACK, |p| {
        libsvm::load(p, None, Task::Classify, 1 << 20, None).map(|s| s.train.len())
    });
    assert!(loaded >= 1);
    let names = [
        "data_batch_1.bin",
        "data_batch_2.bin",
        "data_batch_3.bin",
        "data_batch_4.bin",
        "data_batch_5.bin",
        "test_batch.bin",
    ];
    let rows: Vec<Vec<u8>> = vec![vec![1; 3072]];
    cifar_dir(d, &rows, &[2]);
    let loaded = run("cifar10", &d.join(names[5]), &cifar_corpus(), 3, SLACK, |p| {
        cifar::load_test(p.parent().unwrap()).map(|d| d.len())
    });
    assert!(loaded >= 1);
}

#[test]
fn hostile_headers_give_their_one_line_errors() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let yp = d.join("y.npy");
    std::fs::write(&yp, npy("<i8", false, &[2], &[0.0, 1.0], 1)).unwrap();
    let xp = d.join("x.npy");
    let e = |bytes: Vec<u8>| {
        std::fs::write(&xp, bytes).unwrap();
        let e = npy::load(&xp, &yp, Task::Classify).unwrap_err().to_string();
        e.strip_prefix(&format!("{}: ", xp.display())).unwrap_or(&e).to_string()
    };
    assert_eq!(
        e(npy("|O", false, &[2, 1], &[], 1)),
        "object arrays (pickled Python objects) are not read: save a numeric array"
    );
    assert_eq!(
        e(npy("<c16", false, &[2, 1], &[], 1)),
        "dtype '<c16' is not read (bool, u1, i1, u2, i4, i8, f4, f8 are)"
    );
    assert_eq!(
        e(npy("<f8", false, &[4_000_000_000, 1000], &[], 1)),
        "truncated .npy data: shape [4000000000, 1000] of f8, little-endian needs 32000000000000 bytes after the 128-byte header, found 0"
    );
    assert_eq!(
        e(npy(">f4", false, &[2, 1], &[1.0, 2.0, 3.0], 1)),
        "4 unexpected bytes at byte offset 72: shape [2, 1] of f4, big-endian needs 8 bytes after the 64-byte header"
            .replace("72", "136")
            .replace("64-byte", "128-byte")
    );
    assert_eq!(
        e(b"GIF89a".to_vec()),
        "not a .npy file: it does not start with \\x93NUMPY"
    );
    assert_eq!(e(b"\x93NUM".to_vec()), "truncated .npy header: 4 bytes");
    assert_eq!(
        e(npy("<f8", false, &[2, 1], &[1.0, f64::NAN], 2)),
        "row 1, feature 0: value NaN is not finite"
    );
    assert_eq!(
        e(npy("<f8", false, &[2, 1], &[1e300, 0.0], 3)),
        "row 0, feature 0: value 1e300 is out of f32's range (±3.4e38)"
    );
    assert_eq!(
        e(npy("<f8", false, &[2, 0], &[], 1)),
        "shape [2, 0] gives rows of zero features"
    );
    std::fs::write(&xp, npy("<f8", false, &[3, 1], &[1.0, 2.0, 3.0], 1)).unwrap();
    let msg = npy::load(&xp, &yp, Task::Classify).unwrap_err().to_string();
    assert_eq!(
        msg,
        format!("{} has 3 rows but {} has 2 labels", xp.display(), yp.display())
    );

    // The bomb: 64 MiB of zeros behind a header that claims 24 bytes is read only to byte 25.
    let y = npy("<i8", false, &[8], &[0.0; 8], 1);
    let mut zeros = npy("|u1", false, &[8, 3], &[0.0; 24], 1);
    zeros.resize(zeros.len() + (64 << 20), 0);
    let z = d.join("bomb.npz");
    std::fs::write(&z, zip(&[("X.npy", zeros), ("y.npy", y.clone())], true)).unwrap();
    let e = npy::load_npz(&z, Task::Classify).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: unexpected data at byte offset 152: shape [8, 3] of u1 needs 24 bytes after the 128-byte header",
            z.join("X.npy").display()
        )
    );
    let claim = npy("<f8", false, &[1 << 30, 4], &[], 1);
    std::fs::write(&z, zip(&[("X.npy", claim), ("y.npy", y)], true)).unwrap();
    let e = npy::load_npz(&z, Task::Classify).unwrap_err().to_string();
    assert!(
        e.contains("needs 34359738368 bytes after the 128-byte header, more than its")
            && e.ends_with("compressed bytes can hold (a zip bomb?)"),
        "{e}"
    );
}
