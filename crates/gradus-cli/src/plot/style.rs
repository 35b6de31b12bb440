//! The look shared by the figures: sizes, fonts, colours, the legend's placement and the tick
//! labels.

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

/// The font family every text style names.
pub(super) const SANS: &str = "sans-serif";
/// Pixel size of a still picture.
pub(super) const SIZE: (u32, u32) = (1000, 800);
/// Pixel size of an animation.
pub(super) const GIF_SIZE: (u32, u32) = (800, 640);
/// Series colours (Tableau 10).
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
/// The fill of the minimum's star.
pub(super) const GOLD: RGBColor = RGBColor(255, 200, 0);
/// Fill colours of the contour map, low to high values: viridis, lightened towards white so
/// that the paths stand out.
pub(super) const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// Font size of the title, in pixels.
pub(super) const TITLE_PX: u32 = 24;
/// Font size of the axis names.
pub(super) const AXIS_PX: u32 = 20;
/// Font size of the tick labels.
pub(super) const TICK_PX: u32 = 15;
/// Font size of the legend.
const LEGEND_PX: u32 = 16;
/// Pixels of the legend before its text, for the series' glyphs (a dashed line and a mark).
pub(super) const LEGEND_GLYPH: u32 = 42;

/// The size in pixels of plotters' legend box for `labels`, estimated.
fn legend_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    labels: &[&str],
) -> Result<(i32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = TextStyle::from((SANS, LEGEND_PX).into_font());
    let mut width = 0;
    for label in labels {
        width = width.max(area.estimate_text_size(label, &style)?.0 as i32);
    }
    // plotters' legend: LEGEND_GLYPH px of glyph, 10 px margins, lines 1.25 font sizes apart.
    let height = (labels.len() as f64 * 1.25 * LEGEND_PX as f64).ceil() as i32 + 20;
    Ok((width + LEGEND_GLYPH as i32 + 20, height))
}

/// Draws `chart`'s series legend, sized for `labels`, where it covers the fewest of `occupied`
/// (pixel positions in the root area, weighted; see [`legend_corner`]).
pub(super) fn place_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    labels: &[&str],
    occupied: &[((i32, i32), u32)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let area = chart.plotting_area().strip_coord_spec();
    let size = legend_size(&area, labels)?;
    // `occupied` is in the root's pixels; the legend is placed in the plotting area's.
    let (ox, oy) = area.get_base_pixel();
    let local: Vec<((i32, i32), u32)> = occupied.iter().map(|&((px, py), w)| ((px - ox, py - oy), w)).collect();
    let (lx, ly) = legend_corner(area.dim_in_pixel(), size, &local);
    chart
        .configure_series_labels()
        .legend_area_size(LEGEND_GLYPH)
        .position(SeriesLabelPosition::Coordinate(lx, ly))
        .background_style(WHITE.mix(0.88))
        .border_style(BLACK)
        .label_font((SANS, LEGEND_PX))
        .draw()
}

/// Where in a `plot`-sized plotting area a `size` legend covers the fewest of `points` (pixel
/// positions, weighted): a corner, or else the middle of a side; the upper right on a tie.
fn legend_corner(plot: (u32, u32), size: (i32, i32), points: &[((i32, i32), u32)]) -> (i32, i32) {
    let (w, h) = (plot.0 as i32, plot.1 as i32);
    let inset = 8;
    let (left, right, centre) = (inset, w - size.0 - inset, (w - size.0) / 2);
    let (top, bottom, middle) = (inset, h - size.1 - inset, (h - size.1) / 2);
    let places = [
        (right, top),
        (left, top),
        (right, bottom),
        (left, bottom),
        (right, middle),
        (left, middle),
        (centre, top),
        (centre, bottom),
    ];
    let covered = |(x, y): (i32, i32)| -> u32 {
        points
            .iter()
            .filter(|((px, py), _)| (x - 14..=x + size.0 + 14).contains(px) && (y - 14..=y + size.1 + 14).contains(py))
            .map(|(_, weight)| weight)
            .sum()
    };
    places.into_iter().min_by_key(|&c| covered(c)).unwrap_or(places[0])
}

/// A number for a tick label: short, in scientific notation when very large or small.
pub(super) fn tick(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e5 || v.abs() < 1e-3 {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.into() }
    }
}

/// Dash patterns, in pixels on and off: solid, dashed, dotted, long-dashed, short-dashed,
/// dash-dotted (approximated by two lengths). Paths that cover each other stay told apart.
const DASHES: [&[f64]; 6] = [&[], &[14.0, 6.0], &[3.0, 4.0], &[26.0, 7.0], &[7.0, 4.0], &[18.0, 4.0]];

/// The dash pattern number `k` (cycling).
pub(super) fn dash_pattern(k: usize) -> &'static [f64] {
    DASHES[k % DASHES.len()]
}

/// The pieces of the polyline `points` (in pixels) that a dash `pattern` draws (lengths on,
/// off, on, …; empty: solid), each a straight piece drawn on its own, so that wide strokes need
/// no joins. The pattern runs on across the polyline's vertices.
pub(super) fn dash_pieces(points: &[(f64, f64)], pattern: &[f64]) -> Vec<[(i32, i32); 2]> {
    let px = |(x, y): (f64, f64)| (x.round() as i32, y.round() as i32);
    let mut pieces = Vec::new();
    if pattern.is_empty() || pattern.iter().any(|l| !(l.is_finite() && *l > 0.0)) {
        pieces.extend(points.windows(2).map(|w| [px(w[0]), px(w[1])]));
        return pieces;
    }
    let (mut k, mut left) = (0, pattern[0]);
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let d = (b.0 - a.0).hypot(b.1 - a.1);
        let at = |t: f64| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        let mut t = 0.0;
        while d * (1.0 - t) > left {
            let end = t + left / d;
            if k % 2 == 0 {
                pieces.push([px(at(t)), px(at(end))]);
            }
            t = end;
            k = (k + 1) % pattern.len();
            left = pattern[k];
        }
        if k % 2 == 0 && t < 1.0 {
            pieces.push([px(at(t)), px(b)]);
        }
        left -= d * (1.0 - t);
    }
    pieces
}

/// A value for a label: four significant digits, or scientific notation when far from 1.
pub(crate) fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-3 {
        format!("{v:.2e}")
    } else {
        let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_run_on_across_vertices() {
        // 10 on, 5 off along a 30-pixel line bent at 12: on 0–10, off 10–15, on 15–25, off 25–30.
        let pieces = dash_pieces(&[(0.0, 0.0), (12.0, 0.0), (12.0, 18.0)], &[10.0, 5.0]);
        assert_eq!(pieces, vec![[(0, 0), (10, 0)], [(12, 3), (12, 13)]]);
        assert_eq!(dash_pieces(&[(0.0, 0.0), (5.0, 0.0), (9.0, 0.0)], &[]).len(), 2);
        assert_eq!(short(0.001653), "0.001653");
        assert_eq!(short(1.3994), "1.399");
        assert_eq!(short(3.9e-6), "3.90e-6");
    }
}
