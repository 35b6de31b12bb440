//! Weight templates: the rows of a linear classifier's weight matrix drawn as images, one tile
//! per class with its name (CS231n, "Linear classification": each row of W is a template its
//! class's images are matched against by an inner product).
//!
//! A grey-scale template is drawn in a diverging map, each tile scaled by its own largest |w|:
//! red where a bright pixel raises the class's score, blue where it lowers it, white where it
//! does not matter. A colour template (three channel planes, as CIFAR-10's) is drawn as an
//! image, each tile stretched from its own minimum to its maximum (as CS231n shows them).

use super::style::{SANS, TITLE_PX};
use super::{Drawn, Figure};
use anyhow::{Result, bail};
use gradus::data::spec::DataSpec;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Side of a tile, in pixels (a whole number of pixels per image pixel, at most this).
const TILE: usize = 140;
/// Tiles per row.
const COLUMNS: usize = 5;
/// Space between tiles, and around them.
const GAP: usize = 18;
/// Height of a tile's name under it.
const NAME: usize = 26;
/// Height of the title and the line under it.
const HEAD: usize = 66;

/// The rows of a weight matrix as images, ready to draw.
pub struct Templates<'a> {
    title: &'a str,
    weights: &'a [f32],
    names: &'a [String],
    shape: (usize, usize, usize),
}

/// The image shape `(height, width, channels)` of `features` inputs read from `spec`: a square
/// of grey pixels (digits' 8×8, MNIST's 28×28) or three square channel planes; `None` for CSV
/// and LIBSVM data, which need not be images.
pub fn image_shape(spec: &DataSpec, features: usize) -> Option<(usize, usize, usize)> {
    if matches!(spec, DataSpec::Csv(_) | DataSpec::Libsvm(..)) {
        return None;
    }
    let side = |n: usize| (1..=n).find(|s| s * s >= n).filter(|s| s * s == n);
    match side(features) {
        Some(s) => Some((s, s, 1)),
        None if features.is_multiple_of(3) => side(features / 3).map(|s| (s, s, 3)),
        None => None,
    }
}

impl<'a> Templates<'a> {
    /// Templates of `weights` (one row per name, each `channels × height × width` values,
    /// channel planes one after the other) under `title`.
    ///
    /// # Errors
    /// When the weights are not `names.len()` rows of the shape's size, or the shape has other
    /// than 1 or 3 channels.
    pub fn new(title: &'a str, weights: &'a [f32], names: &'a [String], shape: (usize, usize, usize)) -> Result<Self> {
        let (h, w, c) = shape;
        if !matches!(c, 1 | 3) || h == 0 || w == 0 {
            bail!("weight templates need images of 1 or 3 channels, got {h}×{w}×{c}");
        }
        if names.is_empty() || weights.len() != names.len() * h * w * c {
            bail!(
                "weight templates: {} weights are not {} rows of {h}×{w}×{c}",
                weights.len(),
                names.len()
            );
        }
        Ok(Self {
            title,
            weights,
            names,
            shape,
        })
    }

    /// Draws the templates into `out` (`.svg` or `.png`).
    pub fn save(&self, out: &Path) -> Result<()> {
        super::save(self, out)
    }

    /// The templates as a PNG image, in memory.
    pub fn png(&self) -> Result<Vec<u8>> {
        super::png_bytes(self)
    }

    /// Pixels per image pixel.
    fn scale(&self) -> usize {
        (TILE / self.shape.0.max(self.shape.1)).max(1)
    }

    /// The top-left corner of tile `k`.
    fn corner(&self, k: usize) -> (usize, usize) {
        let (h, w, _) = self.shape;
        let s = self.scale();
        (
            GAP + (k % COLUMNS) * (w * s + GAP),
            HEAD + (k / COLUMNS) * (h * s + NAME + GAP),
        )
    }

    /// The colour of each pixel of template `k`, row-major.
    fn colours(&self, k: usize) -> Vec<RGBColor> {
        let (h, w, c) = self.shape;
        let row = &self.weights[k * h * w * c..(k + 1) * h * w * c];
        let plane = h * w;
        if c == 1 {
            let top = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let top = if top > 0.0 { top } else { 1.0 };
            return row.iter().map(|&v| diverging(f64::from(v / top))).collect();
        }
        let (lo, hi) = row.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
        let span = if hi > lo { hi - lo } else { 1.0 };
        let byte = |v: f32| (255.0 * (v - lo) / span).round().clamp(0.0, 255.0) as u8;
        (0..plane)
            .map(|p| RGBColor(byte(row[p]), byte(row[plane + p]), byte(row[2 * plane + p])))
            .collect()
    }
}

/// Blue (−1) through white (0) to red (+1).
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let (blue, red) = ((33.0, 102.0, 172.0), (178.0, 24.0, 43.0));
    let end = if t < 0.0 { blue } else { red };
    let mix = |e: f64| (255.0 + (e - 255.0) * t.abs()).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

impl Figure for Templates<'_> {
    fn size(&self) -> (u32, u32) {
        let (h, w, _) = self.shape;
        let s = self.scale();
        let n = self.names.len();
        let columns = n.min(COLUMNS);
        let rows = n.div_ceil(COLUMNS);
        let width = GAP + columns * (w * s + GAP);
        let height = HEAD + rows * (h * s + NAME + GAP);
        (width.max(480) as u32, height as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let (h, w, c) = self.shape;
        let s = self.scale() as i32;
        let centre = Pos::new(HPos::Center, VPos::Top);
        let width = self.size().0 as i32;
        let title = TextStyle::from((SANS, TITLE_PX).into_font()).pos(centre);
        root.draw_text(self.title, &title, (width / 2, 8))?;
        let note = if c == 1 {
            "each tile scaled to its own largest |w|: red raises the score, blue lowers it"
        } else {
            "each tile stretched from its own smallest to its largest weight"
        };
        let small = TextStyle::from((SANS, 15).into_font())
            .pos(centre)
            .color(&RGBColor(90, 90, 90));
        root.draw_text(note, &small, (width / 2, 38))?;
        let label = TextStyle::from((SANS, 17).into_font()).pos(centre);
        for (k, name) in self.names.iter().enumerate() {
            let (x0, y0) = self.corner(k);
            let (x0, y0) = (x0 as i32, y0 as i32);
            for (p, colour) in self.colours(k).into_iter().enumerate() {
                let (x, y) = (x0 + (p % w) as i32 * s, y0 + (p / w) as i32 * s);
                root.draw(&Rectangle::new([(x, y), (x + s, y + s)], colour.filled()))?;
            }
            let (tw, th) = (w as i32 * s, h as i32 * s);
            root.draw(&Rectangle::new([(x0, y0), (x0 + tw, y0 + th)], RGBColor(120, 120, 120)))?;
            root.draw_text(name, &label, (x0 + tw / 2, y0 + th + 5))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_colours_and_layout() {
        assert_eq!(image_shape(&DataSpec::Digits, 64), Some((8, 8, 1)));
        assert_eq!(image_shape(&DataSpec::Digits, 3072), Some((32, 32, 3)));
        assert_eq!(image_shape(&DataSpec::Digits, 10), None);
        assert_eq!(image_shape(&DataSpec::Csv("a.csv".into()), 64), None);
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(1.0), RGBColor(178, 24, 43));
        assert_eq!(diverging(-1.0), RGBColor(33, 102, 172));
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        // Row 0 = (−2, 0, 1, 2): blue, white, half red, red; row 1 all zero: white.
        let w = [-2.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0];
        let t = Templates::new("t", &w, &names, (2, 2, 1)).unwrap();
        assert_eq!(
            t.colours(0),
            [diverging(-1.0), diverging(0.0), diverging(0.5), diverging(1.0)]
        );
        assert!(t.colours(1).iter().all(|&c| c == RGBColor(255, 255, 255)));
        assert_eq!(t.corner(1), (GAP + 2 * 70 + GAP, HEAD));
        let rgb = [0.0, 1.0, 2.0];
        let t = Templates::new("t", &rgb, &names[..1], (1, 1, 3)).unwrap();
        assert_eq!(t.colours(0), [RGBColor(0, 128, 255)]);
        assert!(Templates::new("t", &w, &names, (2, 2, 2)).is_err());
        assert!(Templates::new("t", &w[..7], &names, (2, 2, 1)).is_err());
        let png = Templates::new("t", &w, &names, (2, 2, 1)).unwrap().png().unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
