//! The default dataset, embedded in the library: the UCI optical-recognition handwritten digits
//! as shipped with scikit-learn (`sklearn.datasets.load_digits`).
//!
//! 1797 images of 8 × 8 pixels with values 0..=16, in 10 classes named `"0"` to `"9"`. The data
//! is stored as two gzip-compressed IDX files in `crates/gradus/assets/` (see the README there
//! for the source and licence), exported by `scripts/export_digits.py`.

use super::{Dataset, idx};
use crate::error::Result;
use std::path::Path;

const IMAGES: &[u8] = include_bytes!("../../assets/digits-images-idx3-ubyte.gz");
const LABELS: &[u8] = include_bytes!("../../assets/digits-labels-idx1-ubyte.gz");

/// Loads the embedded digits: 1797 rows of 64 `u8` features, 10 classes named `"0"`..`"9"`.
///
/// The data is compiled in, so this fails only if the embedded files were corrupted; the error
/// then names the embedded file, e.g. `<embedded>/digits-labels-idx1-ubyte.gz: corrupt gzip data
/// after 0 decompressed bytes: invalid gzip header`.
pub fn load() -> Result<Dataset> {
    let images = idx::Tensor::from_gzip(IMAGES, Path::new("<embedded>/digits-images-idx3-ubyte.gz"))?;
    let labels = idx::Tensor::from_gzip(LABELS, Path::new("<embedded>/digits-labels-idx1-ubyte.gz"))?;
    let data = idx::dataset(images, labels, 10)?;
    Ok(data.with_class_names((0..10).map(|d| d.to_string()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Features;

    #[test]
    fn the_embedded_digits_match_scikit_learn() {
        let d = load().unwrap();
        assert_eq!((d.len(), d.n_features(), d.n_classes()), (1797, 64, 10));
        let Features::U8(pixels) = d.features() else {
            panic!("u8 pixels expected")
        };
        assert_eq!(pixels.iter().max(), Some(&16));
        let mut counts = [0; 10];
        for &l in d.labels().unwrap() {
            counts[l as usize] += 1;
        }
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        assert_eq!(d.class_names().unwrap()[9], "9");
    }
}
