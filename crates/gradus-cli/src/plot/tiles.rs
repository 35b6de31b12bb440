//! A grid of small images: the rows of a linear classifier's weight matrix as templates.

use super::Figure;
use super::style::{SANS, TITLE_PX};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Images in a grid, each titled.
pub(super) struct Tiles<'a> {
    pub(super) title: &'a str,
    pub(super) side: usize,
    pub(super) tiles: &'a [(String, Vec<f32>)],
}

/// Blue (−1) through white (0) to red (+1).
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let mix = |a: f64, b: f64, k: f64| (a + (b - a) * k).round() as u8;
    let (blue, red) = ((33.0, 102.0, 172.0), (178.0, 24.0, 43.0));
    let (end, k) = if t < 0.0 { (blue, -t) } else { (red, t) };
    RGBColor(mix(255.0, end.0, k), mix(255.0, end.1, k), mix(255.0, end.2, k))
}

impl Figure for Tiles<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> super::Drawn<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(self.title, (SANS, TITLE_PX))?;
        let n = self.tiles.len().max(1);
        let cols = (n as f64).sqrt().ceil() as usize;
        let rows = n.div_ceil(cols);
        let cells = root.split_evenly((rows, cols));
        let side = self.side.max(1);
        for (cell, (name, w)) in cells.iter().zip(self.tiles) {
            let cell = cell.margin(6, 6, 6, 6);
            let cell = cell.titled(name, (SANS, 18))?;
            let (width, height) = cell.dim_in_pixel();
            let px = (width.min(height) as usize / side).max(1) as i32;
            let x0 = (width as i32 - px * side as i32) / 2;
            let scale = w.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(f32::MIN_POSITIVE) as f64;
            for (k, v) in w.iter().enumerate() {
                let (r, c) = ((k / side) as i32, (k % side) as i32);
                let (x, y) = (x0 + c * px, r * px);
                cell.draw(&Rectangle::new(
                    [(x, y), (x + px, y + px)],
                    diverging(*v as f64 / scale).filled(),
                ))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_runs_from_blue_through_white_to_red() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(-1.0), RGBColor(33, 102, 172));
        assert_eq!(diverging(2.0), RGBColor(178, 24, 43));
    }
}
