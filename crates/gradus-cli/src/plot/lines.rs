//! The line chart: learning curves, schedules.
//!
//! Its axes place their own ticks ([`Axis`]): whole numbers on an axis of whole numbers (epochs,
//! steps), and on a logarithmic axis 1, 2 and 5 times the powers of ten, each labelled — so a loss
//! that falls from 2 to 0.03 reads 2, 1, 0.5, 0.2, 0.1, 0.05, 0.03 … rather than two bare
//! decades.

use super::contour::thin;
use super::style::{AXIS_PX, PALETTE, SANS, TICK_PX, TITLE_PX, dash_pattern, dash_pieces, place_legend, tick};
use super::{Drawn, Figure, Mark, Series};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::ops::Range;

/// A line chart.
pub struct Lines<'a> {
    /// Its title.
    pub title: &'a str,
    /// The x axis's name.
    pub x_label: &'a str,
    /// The y axis's name.
    pub y_label: &'a str,
    /// The series drawn.
    pub series: &'a [Series],
    /// The points marked.
    pub marks: &'a [Mark],
    /// Whether the y axis is logarithmic (non-positive values are then left out).
    pub log_y: bool,
    /// Whether the x axis is logarithmic (non-positive values are then left out).
    pub log_x: bool,
}

/// An axis from `lo` to `hi`, linear or logarithmic, with the ticks it labels (`major`) and the
/// lighter grid lines between them (`minor`).
#[derive(Clone, Debug)]
pub(super) struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Axis {
    /// A linear axis over `lo..hi` (lo < hi) with about `n` "nice" ticks (1, 2 or 5 times a power
    /// of ten apart), whole numbers only when `integers`.
    pub(super) fn linear(lo: f64, hi: f64, n: usize, integers: bool) -> Axis {
        let raw = (hi - lo) / n.max(1) as f64;
        let mut step = nice(raw);
        if integers {
            step = step.max(1.0).round();
        }
        let ticks = |step: f64| -> Vec<f64> {
            let first = (lo / step).ceil() as i64;
            let last = (hi / step).floor() as i64;
            (first..=last).map(|k| k as f64 * step).collect()
        };
        let minor_step = if integers {
            (step / 5.0).round().max(1.0)
        } else {
            step / 5.0
        };
        Axis {
            lo,
            hi,
            log: false,
            major: ticks(step),
            minor: ticks(minor_step),
        }
    }

    /// A logarithmic axis over `lo..hi` (0 < lo < hi): ticks at 1, 2 and 5 times the powers of
    /// ten within it (only the powers when it spans more than four decades, every k-th power
    /// over more than twelve; every 1…9 times them when that gives fewer than three), grid
    /// lines at every 1…9 times (at the powers over more than twelve decades).
    pub(super) fn log(lo: f64, hi: f64) -> Axis {
        let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        let within = |m: &[f64]| -> Vec<f64> {
            (first..=last)
                .flat_map(|e| m.iter().map(move |k| k * 10f64.powi(e)))
                .filter(|v| (lo..=hi).contains(v))
                .collect()
        };
        let decades = last - first;
        if decades > 12 {
            // Every k-th power labelled, the powers between as grid lines.
            let k = (decades as f64 / 10.0).ceil() as i32;
            let powers: Vec<f64> = within(&[1.0]);
            let major = powers
                .iter()
                .copied()
                .filter(|v| (v.log10().round() as i32).rem_euclid(k) == 0)
                .collect();
            return Axis {
                lo,
                hi,
                log: true,
                major,
                minor: powers,
            };
        }
        let all: Vec<f64> = within(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        let mut major = if decades > 4 {
            within(&[1.0])
        } else {
            within(&[1.0, 2.0, 5.0])
        };
        if major.len() < 3 {
            major = all.clone();
        }
        Axis {
            lo,
            hi,
            log: true,
            major,
            minor: all,
        }
    }

    fn position(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// 1, 2 or 5 times a power of ten, the first at least `x`.
fn nice(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= x * (1.0 - 1e-9))
        .unwrap_or(10.0 * p)
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = self.position(*v);
        let t = if t.is_finite() { t.clamp(-10.0, 10.0) } else { 0.0 };
        limit.0 + ((limit.1 - limit.0) as f64 * t + 1e-3).floor() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl Lines<'_> {
    /// The points of `series` drawn: the finite ones, and only the positive on a log scale.
    fn drawn<'s>(&self, series: &'s Series) -> impl Iterator<Item = (f64, f64)> + 's {
        let (log_x, log_y) = (self.log_x, self.log_y);
        series
            .points
            .iter()
            .copied()
            .filter(move |(px, py)| px.is_finite() && py.is_finite() && (!log_y || *py > 0.0) && (!log_x || *px > 0.0))
    }

    /// The axes: x over the points (whole-number ticks when every x is whole), y from 0 (or, on
    /// a log scale, a little below the lowest value) to a little above the highest.
    fn axes(&self) -> (Axis, Axis) {
        let points = || {
            self.series
                .iter()
                .flat_map(|s| self.drawn(s))
                .chain(self.marks.iter().map(|m| m.at))
        };
        let (mut x, mut y) = ([f64::INFINITY, f64::NEG_INFINITY], [f64::INFINITY, f64::NEG_INFINITY]);
        for (px, py) in points() {
            x = [x[0].min(px), x[1].max(px)];
            y = [y[0].min(py), y[1].max(py)];
        }
        if x[0] > x[1] {
            // Nothing to draw: an empty frame.
            (x, y) = ([0.0, 1.0], if self.log_y { [0.1, 1.0] } else { [0.0, 1.0] });
        }
        let integers = points().all(|(px, _)| px.fract() == 0.0);
        if x[0] == x[1] {
            x = [x[0] - 1.0, x[1] + 1.0];
        }
        // Room for the markers at the ends.
        let m = 0.015 * (x[1] - x[0]);
        let x_axis = if self.log_x {
            Axis::log(x[0] / 1.1, x[1] * 1.1)
        } else {
            Axis::linear(x[0] - m, x[1] + m, 10, integers)
        };
        let y_axis = if self.log_y {
            // A little room above and below, in ratio.
            let (lo, hi) = if y[0] == y[1] {
                (y[0] / 2.0, y[1] * 2.0)
            } else {
                (y[0] / 1.15, y[1] * 1.15)
            };
            Axis::log(lo, hi)
        } else {
            // From zero when every value is positive, with room above.
            let bottom = if y[0] >= 0.0 { 0.0 } else { y[0] - 0.05 * (y[1] - y[0]) };
            let top = if y[1] > bottom {
                y[1] + 0.05 * (y[1] - bottom)
            } else {
                bottom + 1.0
            };
            Axis::linear(bottom, top, 10, false)
        };
        (x_axis, y_axis)
    }
}

impl Figure for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let (x, y) = self.axes();
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, (SANS, TITLE_PX))
            .margin(15)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(210, 210, 210))
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .axis_desc_style((SANS, AXIS_PX))
            .label_style((SANS, TICK_PX))
            .x_labels(40)
            .y_labels(40)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;
        let mut occupied = Vec::new();
        // The chart maps to the backend's pixels; `root` draws in its own, which differ when
        // it is a part of the picture (a panel of `Stacked`).
        let (bx, by) = root.get_base_pixel();
        let local = |(px, py): (i32, i32)| (px - bx, py - by);
        for series in self.series {
            let colour = PALETTE[series.colour % PALETTE.len()];
            let pts: Vec<(f64, f64)> = self.drawn(series).collect();
            let markers = pts.len() <= 200 || series.markers_only;
            let pts = thin(&pts, |p| chart.backend_coord(p));
            let pixels: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| {
                    let (px, py) = chart.backend_coord(p);
                    (px as f64, py as f64)
                })
                .collect();
            occupied.extend(pixels.iter().map(|&(px, py)| ((px as i32, py as i32), 1)));
            let pattern = dash_pattern(series.dash);
            let style = colour.stroke_width(2);
            if !series.markers_only {
                for [a, b] in dash_pieces(&pixels, pattern) {
                    root.draw(&PathElement::new(vec![local(a), local(b)], style))?;
                }
            }
            if markers {
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, colour.filled())))?;
            }
            if !series.label.is_empty() {
                let (on, off) = (
                    pattern.first().copied().unwrap_or(22.0),
                    pattern.get(1).copied().unwrap_or(0.0),
                );
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                    .label(&series.label)
                    .legend(move |(lx, ly)| {
                        DashedPathElement::new(vec![(lx, ly), (lx + 32, ly)], on as i32, off as i32, style)
                    });
            }
        }
        for mark in self.marks {
            let colour = PALETTE[mark.colour % PALETTE.len()];
            let (bottom, top) = (chart.y_range().start, chart.y_range().end);
            let (a, b) = (
                chart.backend_coord(&(mark.at.0, bottom)),
                chart.backend_coord(&(mark.at.0, top)),
            );
            let grey = RGBColor(90, 90, 90);
            for [p, q] in dash_pieces(&[(a.0 as f64, a.1 as f64), (b.0 as f64, b.1 as f64)], &[3.0, 4.0]) {
                root.draw(&PathElement::new(vec![local(p), local(q)], grey.stroke_width(1)))?;
            }
            let ring = |(px, py): (i32, i32)| {
                EmptyElement::at((px, py))
                    + Circle::new((0, 0), 8, WHITE.mix(0.6).filled())
                    + Circle::new((0, 0), 8, colour.stroke_width(3))
                    + Circle::new((0, 0), 8, BLACK.stroke_width(1))
            };
            root.draw(&ring(local(chart.backend_coord(&mark.at))))?;
            occupied.push((chart.backend_coord(&mark.at), 20));
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                .label(&mark.label)
                .legend(move |(lx, ly)| {
                    EmptyElement::at((lx + 16, ly))
                        + Circle::new((0, 0), 6, colour.stroke_width(3))
                        + Circle::new((0, 0), 6, BLACK.stroke_width(1))
                });
        }
        let labels: Vec<&str> = self
            .series
            .iter()
            .map(|s| s.label.as_str())
            .chain(self.marks.iter().map(|m| m.label.as_str()))
            .filter(|l| !l.is_empty())
            .collect();
        if !labels.is_empty() {
            place_legend(&mut chart, &labels, &occupied)?;
        }
        Ok(())
    }
}

/// Line charts stacked top to bottom, each drawn as [`Lines`] in its share of the height.
pub(super) struct Stacked<'a> {
    pub(super) x_label: &'a str,
    pub(super) panels: &'a [super::Panel],
}

impl Figure for Stacked<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        for (area, panel) in root.split_evenly((self.panels.len().max(1), 1)).iter().zip(self.panels) {
            Lines {
                title: &panel.title,
                x_label: self.x_label,
                y_label: panel.y_label,
                series: &panel.series,
                marks: &[],
                log_x: false,
                log_y: panel.log_y,
            }
            .draw(area)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_label_below_a_tenth_and_epochs_are_whole() {
        // A loss from 2.3 down to 0.03: every 1, 2, 5 in between, labelled.
        let a = Axis::log(0.026, 2.65);
        assert_eq!(
            a.major.iter().map(|v| tick(*v)).collect::<Vec<_>>(),
            ["0.05", "0.1", "0.2", "0.5", "1", "2"]
        );
        // Within one decade: every 1…9.
        let a = Axis::log(0.25, 0.9);
        assert_eq!(
            a.major.iter().map(|v| tick(*v)).collect::<Vec<_>>(),
            ["0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]
        );
        // Over many decades: the powers only, and over very many, every k-th.
        let a = Axis::log(1e-9, 10.0);
        assert_eq!(a.major.len(), 11);
        let a = Axis::log(0.05, 1e36);
        assert_eq!(
            a.major.iter().map(|v| tick(*v)).collect::<Vec<_>>(),
            [
                "1", "10000", "1e8", "1e12", "1e16", "1e20", "1e24", "1e28", "1e32", "1e36"
            ]
        );
        // Epochs 1 to 7 on a narrow axis: whole numbers only, however little room.
        let a = Axis::linear(0.9, 7.1, 10, true);
        assert_eq!(a.major, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
        assert!(Axis::linear(0.8, 15.2, 10, true).minor.iter().all(|v| v.fract() == 0.0));
        let a = Axis::linear(0.0, 300.0, 10, true);
        assert!(
            a.major.iter().all(|v| v.fract() == 0.0) && a.major.len() <= 11,
            "{:?}",
            a.major
        );
        assert_eq!(Axis::linear(0.0, 1.0, 10, false).major.len(), 11);
    }
}
