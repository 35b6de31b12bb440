//! A heat map of values on a grid with a colour bar, contour lines at the colour steps, a
//! marked origin and minimum, and a path drawn over it (loss landscapes).

use super::style::{AXIS_PX, GOLD, SANS, TICK_PX, TITLE_PX, VIRIDIS, tick};
use super::{Drawn, Figure};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Values `z[j][i]` at `(xs[i], ys[j])`.
pub struct HeatMap<'a> {
    /// The title.
    pub title: &'a str,
    /// Axis names.
    pub x_label: &'a str,
    /// Axis names.
    pub y_label: &'a str,
    /// What the colours stand for.
    pub z_label: &'a str,
    /// Grid coordinates.
    pub xs: &'a [f64],
    /// Grid coordinates.
    pub ys: &'a [f64],
    /// Values, row `j` at `ys[j]`.
    pub z: &'a [Vec<f64>],
    /// A path over the map (drawn within the grid's bounds).
    pub path: &'a [(f64, f64)],
}

/// `v` with rounding noise around 0 removed (a tick at 0 computed as −2.2e-16).
fn snap(v: f64) -> f64 {
    if v.abs() < 1e-9 { 0.0 } else { v }
}

/// The colour of `t` in [0, 1] on the viridis scale.
fn colour(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let (k, f) = (t.floor() as usize, t.fract());
    let (a, b) = (VIRIDIS[k], VIRIDIS[(k + 1).min(VIRIDIS.len() - 1)]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl HeatMap<'_> {
    /// The colour scale: the range of the finite values, on a log scale when they are positive
    /// and span more than a decade (a loss landscape's walls rise steeply).
    fn scale(&self) -> (f64, f64, bool) {
        let finite = self.z.iter().flatten().copied().filter(|v| v.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let log = lo > 0.0 && hi / lo > 10.0;
        (lo, hi, log)
    }

    /// Where `v` falls on the colour scale, in [0, 1].
    fn level(&self, v: f64) -> f64 {
        let (lo, hi, log) = self.scale();
        let f = |x: f64| if log { x.ln() } else { x };
        if hi <= lo {
            0.5
        } else {
            (f(v) - f(lo)) / (f(hi) - f(lo))
        }
    }
}

impl Figure for HeatMap<'_> {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        area.fill(&WHITE)?;
        let (main, bar) = area.split_horizontally(area.dim_in_pixel().0 as i32 - 130);
        let (x0, x1) = (self.xs[0], *self.xs.last().unwrap_or(&self.xs[0]));
        let (y0, y1) = (self.ys[0], *self.ys.last().unwrap_or(&self.ys[0]));
        let dx = if self.xs.len() > 1 {
            (x1 - x0) / (self.xs.len() - 1) as f64
        } else {
            1.0
        };
        let dy = if self.ys.len() > 1 {
            (y1 - y0) / (self.ys.len() - 1) as f64
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(&main)
            .caption(self.title, (SANS, TITLE_PX))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0 - dx / 2.0..x1 + dx / 2.0, y0 - dy / 2.0..y1 + dy / 2.0)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .axis_desc_style((SANS, AXIS_PX))
            .label_style((SANS, TICK_PX))
            .x_label_formatter(&|v| tick(snap(*v)))
            .y_label_formatter(&|v| tick(snap(*v)))
            .draw()?;
        let cells = self.ys.iter().zip(self.z).flat_map(|(&y, row)| {
            self.xs.iter().zip(row).map(move |(&x, &v)| {
                let c = if v.is_finite() {
                    colour(self.level(v))
                } else {
                    RGBColor(255, 255, 255)
                };
                Rectangle::new([(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)], c.filled())
            })
        });
        chart.draw_series(cells)?;
        // Contour lines: where a cell and its right or upper neighbour lie on either side of
        // one of 12 levels, a short segment on their shared edge.
        let steps = 12.0;
        let band = |v: f64| (self.level(v) * steps).floor();
        let mut edges = Vec::new();
        for (j, row) in self.z.iter().enumerate() {
            for (i, &v) in row.iter().enumerate() {
                let (x, y) = (self.xs[i], self.ys[j]);
                let differs =
                    |w: Option<&f64>| w.is_some_and(|w| w.is_finite() && v.is_finite() && band(*w) != band(v));
                if differs(row.get(i + 1)) {
                    edges.push(vec![(x + dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)]);
                }
                if differs(self.z.get(j + 1).map(|r| &r[i])) {
                    edges.push(vec![(x - dx / 2.0, y + dy / 2.0), (x + dx / 2.0, y + dy / 2.0)]);
                }
            }
        }
        chart.draw_series(
            edges
                .into_iter()
                .map(|e| PathElement::new(e, WHITE.mix(0.55).stroke_width(1))),
        )?;
        // The path, clipped to the map.
        let inside = |&(x, y): &(f64, f64)| {
            (x0 - dx / 2.0..=x1 + dx / 2.0).contains(&x) && (y0 - dy / 2.0..=y1 + dy / 2.0).contains(&y)
        };
        if self.path.len() > 1 {
            let shown: Vec<(f64, f64)> = self.path.iter().copied().filter(inside).collect();
            chart.draw_series(std::iter::once(PathElement::new(shown.clone(), BLACK.stroke_width(4))))?;
            chart.draw_series(std::iter::once(PathElement::new(shown.clone(), WHITE.stroke_width(2))))?;
            if let Some(&end) = shown.last() {
                chart.draw_series(std::iter::once(Circle::new(end, 6, RED.filled())))?;
            }
        }
        // θ₀ at the origin, and the grid's minimum.
        chart.draw_series(std::iter::once(Cross::new((0.0, 0.0), 9, WHITE.stroke_width(3))))?;
        let min = self
            .z
            .iter()
            .enumerate()
            .flat_map(|(j, row)| row.iter().enumerate().map(move |(i, &v)| (v, i, j)))
            .filter(|(v, _, _)| v.is_finite())
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, i, j)) = min {
            let at = (self.xs[i], self.ys[j]);
            chart.draw_series(std::iter::once(TriangleMarker::new(at, 10, GOLD.filled())))?;
            chart.draw_series(std::iter::once(TriangleMarker::new(at, 10, BLACK.stroke_width(1))))?;
        }
        // The colour bar, with its values.
        let (lo, hi, log) = self.scale();
        let mut bar_chart = ChartBuilder::on(&bar)
            .margin_top(60)
            .margin_bottom(60)
            .margin_right(10)
            .y_label_area_size(70)
            .caption(self.z_label, (SANS, TICK_PX))
            .build_cartesian_2d(0.0..1.0, lo.min(hi)..hi.max(lo + f64::EPSILON))?;
        bar_chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .label_style((SANS, TICK_PX))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let n = 120;
        bar_chart.draw_series((0..n).map(|k| {
            let (a, b) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
            let value = |t: f64| {
                if log {
                    (lo.ln() + t * (hi.ln() - lo.ln())).exp()
                } else {
                    lo + t * (hi - lo)
                }
            };
            Rectangle::new([(0.0, value(a)), (1.0, value(b))], colour((a + b) / 2.0).filled())
        }))?;
        Ok(())
    }
}
