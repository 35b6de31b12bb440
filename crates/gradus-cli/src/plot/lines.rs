//! The line chart.

use super::contour::{segment_elements, thin};
use super::style::{AXIS_PX, PALETTE, SANS, TICK_PX, TITLE_PX, place_legend, tick};
use super::{Drawn, Figure};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// A line chart.
pub(super) struct Lines<'a> {
    pub(super) title: &'a str,
    pub(super) x_label: &'a str,
    pub(super) y_label: &'a str,
    pub(super) series: &'a [(String, Vec<(f64, f64)>)],
    pub(super) log_y: bool,
}

impl Lines<'_> {
    /// The points drawn: all of them, or the positive ones on a log scale.
    fn points(&self) -> impl Iterator<Item = &(f64, f64)> {
        self.series
            .iter()
            .flat_map(|(_, pts)| pts)
            .filter(|(px, py)| px.is_finite() && py.is_finite() && (!self.log_y || *py > 0.0))
    }

    fn draw_on<DB: DrawingBackend, Y>(&self, root: &DrawingArea<DB, Shift>, x: [f64; 2], y: Y) -> Drawn<DB>
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, (SANS, TITLE_PX))
            .margin(15)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x[0]..x[1], y)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .axis_desc_style((SANS, AXIS_PX))
            .label_style((SANS, TICK_PX))
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let mut occupied = Vec::new();
        for (k, (label, pts)) in self.series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let pts: Vec<(f64, f64)> = pts
                .iter()
                .copied()
                .filter(|(px, py)| px.is_finite() && py.is_finite() && (!self.log_y || *py > 0.0))
                .collect();
            let markers = pts.len() <= 200;
            let pts = thin(&pts, |p| chart.backend_coord(p));
            occupied.extend(pts.iter().map(|p| (chart.backend_coord(p), 1)));
            let segments: Vec<[(f64, f64); 2]> = pts.windows(2).map(|w| [w[0], w[1]]).collect();
            let series = chart.draw_series(segment_elements(&segments, colour.stroke_width(2)))?;
            if !label.is_empty() {
                series
                    .label(label)
                    .legend(move |(lx, ly)| PathElement::new(vec![(lx, ly), (lx + 22, ly)], colour.stroke_width(2)));
            }
            if markers {
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
            }
        }
        let labels: Vec<&str> = self
            .series
            .iter()
            .map(|(l, _)| l.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        if !labels.is_empty() {
            place_legend(&mut chart, &labels, &occupied)?;
        }
        Ok(())
    }
}

impl Figure for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let (mut x, mut y) = ([f64::INFINITY, f64::NEG_INFINITY], [f64::INFINITY, f64::NEG_INFINITY]);
        for &(px, py) in self.points() {
            x = [x[0].min(px), x[1].max(px)];
            y = [y[0].min(py), y[1].max(py)];
        }
        if x[0] > x[1] {
            // Nothing to draw: an empty frame.
            (x, y) = ([0.0, 1.0], [0.0, 1.0]);
            if self.log_y {
                y = [0.1, 1.0];
            }
        }
        if x[0] == x[1] {
            x = [x[0] - 1.0, x[1] + 1.0];
        }
        // Room for the markers at the ends.
        let m = 0.015 * (x[1] - x[0]);
        let x = [x[0] - m, x[1] + m];
        if self.log_y {
            // A little room above and below, in ratio.
            let y = if y[0] == y[1] {
                [y[0] / 2.0, y[1] * 2.0]
            } else {
                [y[0] / 1.15, y[1] * 1.15]
            };
            self.draw_on(root, x, (y[0]..y[1]).log_scale())
        } else {
            // From zero when every value is positive, with room above.
            let bottom = if y[0] >= 0.0 { 0.0 } else { y[0] - 0.05 * (y[1] - y[0]) };
            let top = if y[1] > bottom {
                y[1] + 0.05 * (y[1] - bottom)
            } else {
                bottom + 1.0
            };
            self.draw_on(root, x, bottom..top)
        }
    }
}
