//! The contour map of a 2-D test function with optimizer paths drawn over it.

use super::style::{
    AXIS_PX, GOLD, PALETTE, SANS, TICK_PX, TITLE_PX, VIRIDIS, dash_pattern, dash_pieces, place_legend, tick,
};
use super::{Drawn, Figure, Path};
use gradus::functions::TestFunction;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::collections::HashMap;

/// The contour map with paths.
pub(super) struct Contour<'a> {
    f: &'a TestFunction,
    paths: &'a [Path],
    title: String,
    /// Draw only the first n points of each path (an animation frame).
    upto: Option<usize>,
    x: [f64; 2],
    y: [f64; 2],
    /// The legend's path entries at their longest, over every frame: the legend is sized for
    /// them, so that it keeps its place through an animation.
    legend_sizing: Vec<String>,
}

impl<'a> Contour<'a> {
    pub(super) fn new(f: &'a TestFunction, paths: &'a [Path], title: &str, upto: Option<usize>) -> Self {
        let (x, y) = window(f, paths);
        let legend_sizing = paths
            .iter()
            .map(|p| {
                let frames = upto.map_or(0, |_| p.points.len());
                (1..=frames)
                    .map(|n| p.label(Some(n)))
                    .chain(std::iter::once(p.label(None)))
                    .max_by_key(|l| l.chars().count())
                    .unwrap_or_default()
            })
            .collect();
        Contour {
            f,
            paths,
            title: title.to_string(),
            upto,
            x,
            y,
            legend_sizing,
        }
    }

    /// The points of `path` drawn: the first `upto` (all when `None`), and of a path that runs
    /// away, those up to the first one outside the window (the last segment is cut at the edge).
    fn shown<'p>(&self, path: &'p Path, upto: Option<usize>) -> &'p [[f64; 2]] {
        let mut n = upto.unwrap_or(usize::MAX).min(path.points.len());
        if runs_away(self.f, path) {
            let (x, y) = (self.x, self.y);
            let outside = |&[px, py]: &[f64; 2]| !(x[0]..=x[1]).contains(&px) || !(y[0]..=y[1]).contains(&py);
            if let Some(k) = path.points.iter().position(outside) {
                n = n.min(k + 1);
            }
        }
        &path.points[..n]
    }
}

/// Whether `p` lies within one view's width or height of `f`'s view.
fn near(f: &TestFunction, [px, py]: [f64; 2]) -> bool {
    let (bx, by) = f.view();
    let (w, h) = (bx[1] - bx[0], by[1] - by[0]);
    (bx[0] - w..=bx[1] + w).contains(&px) && (by[0] - h..=by[1] + h).contains(&py)
}

/// Whether `path` runs away: it ends far from the function's view (diverging, or on its way).
fn runs_away(f: &TestFunction, path: &Path) -> bool {
    path.points.last().is_some_and(|&p| !near(f, p))
}

/// The function's view, widened to take in the starts and the points of the paths that do not
/// run away, where they lie [`near`] it (with a little margin on the sides that grew).
fn window(f: &TestFunction, paths: &[Path]) -> ([f64; 2], [f64; 2]) {
    let (bx, by) = f.view();
    let (mut x, mut y) = (bx, by);
    for path in paths {
        let stays = !runs_away(f, path);
        for (k, &[px, py]) in path.points.iter().enumerate() {
            if k == 0 || (stays && near(f, [px, py])) {
                x = [x[0].min(px), x[1].max(px)];
                y = [y[0].min(py), y[1].max(py)];
            }
        }
    }
    let pad = |r: [f64; 2], base: [f64; 2]| {
        let m = 0.04 * (r[1] - r[0]);
        [
            if r[0] < base[0] { r[0] - m } else { r[0] },
            if r[1] > base[1] { r[1] + m } else { r[1] },
        ]
    };
    (pad(x, bx), pad(y, by))
}

/// The values of f on a grid, mapped to the scale the levels are spaced in.
struct Field {
    /// Cells across.
    nx: usize,
    /// Cells up.
    ny: usize,
    /// The window's x range.
    x: [f64; 2],
    /// The window's y range.
    y: [f64; 2],
    /// u(f) at the (nx + 1) × (ny + 1) grid vertices, row by row from the bottom.
    vertex: Vec<f64>,
    /// u(f) at the cell centres.
    centre: Vec<f64>,
    /// The contour levels, increasing, in the scale of u.
    levels: Vec<f64>,
}

/// Number of contour levels.
const LEVELS: usize = 18;

impl Field {
    /// Samples `f` over the window. Functions with a minimum (value 0) get logarithmically
    /// spaced levels over six decades below the window's maximum, u = ln f; the saddle gets
    /// evenly spaced ones, u = f.
    fn new(f: &TestFunction, x: [f64; 2], y: [f64; 2], nx: usize, ny: usize) -> Field {
        let at = |i: f64, j: f64| {
            f.value([
                x[0] + (x[1] - x[0]) * i / nx as f64,
                y[0] + (y[1] - y[0]) * j / ny as f64,
            ])
        };
        let mut vertex = Vec::with_capacity((nx + 1) * (ny + 1));
        for j in 0..=ny {
            for i in 0..=nx {
                vertex.push(at(i as f64, j as f64));
            }
        }
        let mut centre = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                centre.push(at(i as f64 + 0.5, j as f64 + 0.5));
            }
        }
        let finite = || vertex.iter().copied().filter(|v| v.is_finite());
        let hi = finite().fold(f64::NEG_INFINITY, f64::max);
        let lo = finite().fold(f64::INFINITY, f64::min);
        let (levels, map): (Vec<f64>, Box<dyn Fn(f64) -> f64>) = if f.minima().is_empty() || hi <= 0.0 {
            let step = (hi - lo) / (LEVELS + 1) as f64;
            let levels = (1..=LEVELS).map(|k| lo + step * k as f64).collect();
            (levels, Box::new(|v: f64| if v.is_finite() { v } else { f64::MAX }))
        } else {
            let (top, bottom) = (hi.ln(), hi.ln() - 6.0 * std::f64::consts::LN_10);
            let step = (top - bottom) / LEVELS as f64;
            let levels = (0..LEVELS).map(|k| bottom + step * k as f64).collect();
            let floor = bottom - 2.0 * std::f64::consts::LN_10;
            (
                levels,
                Box::new(move |v: f64| if v > 0.0 { v.ln().max(floor) } else { floor }),
            )
        };
        Field {
            nx,
            ny,
            x,
            y,
            vertex: vertex.into_iter().map(&map).collect(),
            centre: centre.into_iter().map(&map).collect(),
            levels,
        }
    }

    fn point(&self, i: f64, j: f64) -> (f64, f64) {
        (
            self.x[0] + (self.x[1] - self.x[0]) * i / self.nx as f64,
            self.y[0] + (self.y[1] - self.y[0]) * j / self.ny as f64,
        )
    }

    /// The band of a value: how many levels lie at or below it.
    fn band(&self, u: f64) -> usize {
        self.levels.partition_point(|&l| l <= u)
    }

    /// The fill colour of band b.
    fn colour(&self, b: usize) -> RGBColor {
        let t = b as f64 / self.levels.len().max(1) as f64 * (VIRIDIS.len() - 1) as f64;
        let k = (t.floor() as usize).min(VIRIDIS.len() - 2);
        let s = t - k as f64;
        let mix = |a: u8, b: u8| {
            let v = a as f64 + (b as f64 - a as f64) * s;
            // Lighten: 45% of the way to white.
            (v + (255.0 - v) * 0.45).round() as u8
        };
        let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
        RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Horizontal runs of cells in the same band: (row, first cell, end cell, band).
    fn runs(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut runs = Vec::new();
        for j in 0..self.ny {
            let row = &self.centre[j * self.nx..(j + 1) * self.nx];
            let mut first = 0;
            for i in 1..=self.nx {
                if i == self.nx || self.band(row[i]) != self.band(row[first]) {
                    runs.push((j, first, i, self.band(row[first])));
                    first = i;
                }
            }
        }
        runs
    }

    /// The contour lines at each level, by marching squares, joined into polylines.
    fn isolines(&self) -> Vec<Vec<(f64, f64)>> {
        let mut lines = Vec::new();
        for &level in &self.levels {
            lines.extend(self.isoline(level));
        }
        lines
    }

    fn isoline(&self, level: f64) -> Vec<Vec<(f64, f64)>> {
        let (nx, ny) = (self.nx, self.ny);
        let v = |i: usize, j: usize| self.vertex[j * (nx + 1) + i];
        // An edge: (vertical?, i, j) of its lower or left end.
        type Edge = (bool, usize, usize);
        let crossing = |(vertical, i, j): Edge| -> (f64, f64) {
            let (a, b) = if vertical {
                (v(i, j), v(i, j + 1))
            } else {
                (v(i, j), v(i + 1, j))
            };
            let t = ((level - a) / (b - a)).clamp(0.0, 1.0);
            if vertical {
                self.point(i as f64, j as f64 + t)
            } else {
                self.point(i as f64 + t, j as f64)
            }
        };
        let mut segments: Vec<(Edge, Edge)> = Vec::new();
        for j in 0..ny {
            for i in 0..nx {
                let corners = [v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1)];
                let above = corners.map(|c| c >= level);
                // Edges in order bottom, right, top, left, each between corners k and k + 1.
                let edges: [Edge; 4] = [(false, i, j), (true, i + 1, j), (false, i, j + 1), (true, i, j)];
                let crossed: Vec<usize> = (0..4).filter(|&k| above[k] != above[(k + 1) % 4]).collect();
                match crossed[..] {
                    [a, b] => segments.push((edges[a], edges[b])),
                    [_, _, _, _] => {
                        let centre = corners.iter().sum::<f64>() / 4.0 >= level;
                        if centre == above[0] {
                            // Corners 1 and 3 are cut off.
                            segments.push((edges[0], edges[1]));
                            segments.push((edges[2], edges[3]));
                        } else {
                            // Corners 0 and 2 are cut off.
                            segments.push((edges[3], edges[0]));
                            segments.push((edges[1], edges[2]));
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut touching: HashMap<Edge, Vec<usize>> = HashMap::new();
        for (s, &(a, b)) in segments.iter().enumerate() {
            touching.entry(a).or_default().push(s);
            touching.entry(b).or_default().push(s);
        }
        let mut used = vec![false; segments.len()];
        let mut lines = Vec::new();
        for s in 0..segments.len() {
            if used[s] {
                continue;
            }
            used[s] = true;
            let (a, b) = segments[s];
            let mut forward = vec![b];
            let mut backward = vec![a];
            for chain in [&mut forward, &mut backward] {
                while let Some(&end) = chain.last() {
                    let next = touching[&end].iter().copied().find(|&t| !used[t]);
                    let Some(t) = next else { break };
                    used[t] = true;
                    let (p, q) = segments[t];
                    chain.push(if p == end { q } else { p });
                }
            }
            backward.reverse();
            backward.extend(forward);
            lines.push(backward.into_iter().map(crossing).collect());
        }
        lines
    }
}

/// The part of segment a–b inside the box lo–hi (Liang–Barsky), if any.
fn clip_segment(a: [f64; 2], b: [f64; 2], lo: [f64; 2], hi: [f64; 2]) -> Option<([f64; 2], [f64; 2])> {
    let d = [b[0] - a[0], b[1] - a[1]];
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for i in 0..2 {
        for (p, q) in [(-d[i], a[i] - lo[i]), (d[i], hi[i] - a[i])] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
    }
    (t0 <= t1).then(|| {
        let at = |t: f64| [a[0] + t * d[0], a[1] + t * d[1]];
        (at(t0), at(t1))
    })
}

/// The pieces of the polyline `points` inside the box lo–hi.
fn clip_polyline(points: &[[f64; 2]], lo: [f64; 2], hi: [f64; 2]) -> Vec<Vec<(f64, f64)>> {
    let mut pieces = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], lo, hi) {
            Some((p, q)) => {
                if current.last() != Some(&p) && !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
                if current.is_empty() {
                    current.push(p);
                }
                current.push(q);
            }
            None => {
                if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
        .into_iter()
        .map(|piece| piece.into_iter().map(|[x, y]| (x, y)).collect())
        .collect()
}

/// `points` with those that fall on the same pixel as the point kept before them left out
/// (the last point is always kept), so that a path of a million steps draws like a short one.
pub(super) fn thin(points: &[(f64, f64)], pixel: impl Fn(&(f64, f64)) -> (i32, i32)) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::new();
    let mut last_pixel = None;
    for p in points {
        let at = pixel(p);
        if last_pixel != Some(at) {
            kept.push(*p);
            last_pixel = Some(at);
        }
    }
    if let (Some(&last), Some(&end)) = (kept.last(), points.last())
        && last != end
    {
        kept.push(end);
    }
    kept
}

/// A five-pointed star's outline around (0, 0), in pixels.
fn star(outer: f64) -> Vec<(i32, i32)> {
    (0..10)
        .map(|k| {
            let r = if k % 2 == 0 { outer } else { outer * 0.42 };
            let a = std::f64::consts::PI * (0.5 + k as f64 / 5.0);
            ((r * a.cos()).round() as i32, (-r * a.sin()).round() as i32)
        })
        .collect()
}

impl Figure for Contour<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Drawn<DB> {
        root.fill(&WHITE)?;
        let (x, y) = (self.x, self.y);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (SANS, TITLE_PX))
            .margin(15)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(65)
            .build_cartesian_2d(x[0]..x[1], y[0]..y[1])?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x")
            .y_desc("y")
            .axis_desc_style((SANS, AXIS_PX))
            .label_style((SANS, TICK_PX))
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()?;

        // The map: bands of colour, then the contour lines, on a grid of about 3-pixel cells.
        let (pw, ph) = chart.plotting_area().dim_in_pixel();
        let field = Field::new(self.f, x, y, (pw / 3).max(2) as usize, (ph / 3).max(2) as usize);
        chart.draw_series(field.runs().into_iter().map(|(j, a, b, band)| {
            Rectangle::new(
                [field.point(a as f64, j as f64), field.point(b as f64, (j + 1) as f64)],
                field.colour(band).filled(),
            )
        }))?;
        let line_style = RGBColor(40, 40, 40).mix(0.35).stroke_width(1);
        chart.draw_series(
            field
                .isolines()
                .into_iter()
                .map(|line| PathElement::new(line, line_style)),
        )?;

        // The paths: each its own colour and dash pattern, every line first, then the points
        // along them, the starts and minima, and last the end marks, so that no path hides
        // another's end (adam's under adamw's, adadelta's under the start).
        let (lo, hi) = ([x[0], y[0]], [x[1], y[1]]);
        let inside = |&[px, py]: &[f64; 2]| (x[0]..=x[1]).contains(&px) && (y[0]..=y[1]).contains(&py);
        let plotting = chart.plotting_area().clone();
        let backend = |p: &(f64, f64)| plotting.map_coordinate(p);
        let pixel = |p: &(f64, f64)| {
            let (px, py) = backend(p);
            (px as f64, py as f64)
        };
        // Each path's pieces inside the window, thinned to the pixels, in pixels: the whole
        // path, and the part the frame shows.
        let pieces_of = |points: &[[f64; 2]]| -> Vec<Vec<(f64, f64)>> {
            clip_polyline(points, lo, hi)
                .into_iter()
                .map(|piece| thin(&piece, backend).iter().map(pixel).collect())
                .collect()
        };
        let whole: Vec<Vec<Vec<(f64, f64)>>> = self.paths.iter().map(|p| pieces_of(self.shown(p, None))).collect();
        let framed: Vec<Vec<Vec<(f64, f64)>>> = match self.upto {
            None => whole.clone(),
            Some(_) => self.paths.iter().map(|p| pieces_of(self.shown(p, self.upto))).collect(),
        };
        // Samples along the whole paths, so that the legend avoids lines as well as points, and
        // stays in place through an animation.
        let mut occupied: Vec<((i32, i32), u32)> = Vec::new();
        for w in whole.iter().flatten().flat_map(|piece| piece.windows(2)) {
            for s in 0..=4 {
                let t = s as f64 / 4.0;
                let p = (w[0].0 + t * (w[1].0 - w[0].0), w[0].1 + t * (w[1].1 - w[0].1));
                occupied.push(((p.0 as i32, p.1 as i32), 1));
            }
        }
        let labels: Vec<String> = self.paths.iter().map(|p| p.label(self.upto)).collect();
        for (k, pieces) in framed.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let pattern = dash_pattern(k);
            for piece in pieces {
                for [a, b] in dash_pieces(piece, pattern) {
                    root.draw(&PathElement::new(vec![a, b], colour.stroke_width(2)))?;
                }
            }
            let (on, off) = (
                pattern.first().copied().unwrap_or(22.0),
                pattern.get(1).copied().unwrap_or(0.0),
            );
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
                .label(&labels[k])
                .legend(move |(lx, ly)| {
                    let mark: Vec<(i32, i32)> = end_mark(k, 5).into_iter().map(|(mx, my)| (mx + 29, my)).collect();
                    EmptyElement::at((lx, ly))
                        + DashedPathElement::new(vec![(0, 0), (20, 0)], on as i32, off as i32, colour.stroke_width(2))
                        + PathElement::new(mark.clone(), BLACK.stroke_width(4))
                        + PathElement::new(mark, colour.stroke_width(2))
                });
        }
        // The points of short paths, where each step is worth seeing (on long ones they would
        // hide the dash patterns), at least MARKER_GAP pixels apart.
        for (k, path) in self
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.points.len() <= MARKER_STEPS)
        {
            let colour = PALETTE[k % PALETTE.len()];
            let points: Vec<(f64, f64)> = self
                .shown(path, self.upto)
                .iter()
                .filter(|p| inside(p))
                .map(|&[px, py]| (px, py))
                .collect();
            let spaced = spread(&points, |p| pixel(p), MARKER_GAP);
            let radius = if spaced.len() > 60 { 2 } else { 3 };
            chart.draw_series(spaced.into_iter().map(|p| Circle::new(p, radius, colour.filled())))?;
        }

        // Starts, minima, and the legend entries for the markers.
        let mut starts: Vec<[f64; 2]> = Vec::new();
        for p in self.paths.iter().filter_map(|p| p.points.first()) {
            if !starts.contains(p) && inside(p) {
                starts.push(*p);
            }
        }
        let start_marker = |(px, py): (f64, f64)| {
            EmptyElement::at((px, py))
                + Circle::new((0, 0), 7, WHITE.filled())
                + Circle::new((0, 0), 7, BLACK.stroke_width(2))
        };
        chart
            .draw_series(starts.iter().map(|&[px, py]| start_marker((px, py))))?
            .label("start")
            .legend(|(lx, ly)| {
                EmptyElement::at((lx + 16, ly))
                    + Circle::new((0, 0), 6, WHITE.filled())
                    + Circle::new((0, 0), 6, BLACK.stroke_width(2))
            });
        let minima: Vec<[f64; 2]> = self.f.minima().into_iter().filter(|m| inside(m)).collect();
        if !minima.is_empty() {
            let label = if minima.len() == 1 {
                "global minimum"
            } else {
                "global minima"
            };
            chart
                .draw_series(minima.iter().map(|&[mx, my]| {
                    EmptyElement::at((mx, my))
                        + Polygon::new(star(12.0), GOLD.filled())
                        + PathElement::new(
                            {
                                let mut s = star(12.0);
                                s.push(s[0]);
                                s
                            },
                            BLACK.stroke_width(1),
                        )
                }))?
                .label(label)
                .legend(|(lx, ly)| {
                    let mut outline = star(9.0);
                    outline.push(outline[0]);
                    EmptyElement::at((lx + 16, ly))
                        + Polygon::new(star(9.0), GOLD.filled())
                        + PathElement::new(outline, BLACK.stroke_width(1))
                });
            for m in &minima {
                occupied.push((chart.backend_coord(&(m[0], m[1])), 50));
            }
        }
        for s in &starts {
            occupied.push((chart.backend_coord(&(s[0], s[1])), 50));
        }

        // The ends, over everything; a path cut at the edge gets an arrow there instead.
        for (k, path) in self.paths.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let points = self.shown(path, self.upto);
            if let Some(end) = points.last().filter(|p| inside(p) && points.len() > 1) {
                let (px, py) = backend(&(end[0], end[1]));
                let mark: Vec<(i32, i32)> = end_mark(k, 9).into_iter().map(|(mx, my)| (px + mx, py + my)).collect();
                root.draw(&PathElement::new(mark.clone(), BLACK.stroke_width(5)))?;
                root.draw(&PathElement::new(mark, colour.stroke_width(3)))?;
            } else if let Some(exit) = framed[k].last().and_then(|piece| piece.windows(2).last()) {
                // Left the window: the last piece ends on its edge.
                let whole = self.upto.is_none_or(|n| n >= path.points.len());
                let out = points.len() - 1;
                let text = match path.diverged_at.filter(|_| whole) {
                    Some(k) if k as usize == out + 1 => format!("diverged at step {k}"),
                    Some(k) => format!("out of view at step {out}, diverged at step {k}"),
                    None => format!("out of view at step {out}"),
                };
                draw_exit(
                    root,
                    exit[0],
                    exit[1],
                    colour,
                    &text,
                    (pw, ph),
                    chart.plotting_area().get_base_pixel(),
                )?;
            }
        }
        // The legend, where it hides least, sized for the longest entry it will have.
        let mut sizing: Vec<&str> = self.legend_sizing.iter().map(String::as_str).collect();
        sizing.extend(["start", "end", "global minimum"]);
        chart
            .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
            .label("end")
            .legend(|(lx, ly)| EmptyElement::at((lx + 16, ly)) + Cross::new((0, 0), 6, BLACK.stroke_width(3)));
        place_legend(&mut chart, &sizing, &occupied)?;
        Ok(())
    }
}

/// Pixels between two points drawn along a path, at least.
const MARKER_GAP: f64 = 5.0;
/// Paths of at most this many points have them drawn.
const MARKER_STEPS: usize = 101;

/// `points` with those closer than `gap` pixels to the point kept before them left out.
fn spread(points: &[(f64, f64)], pixel: impl Fn(&(f64, f64)) -> (f64, f64), gap: f64) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::new();
    let mut last: Option<(f64, f64)> = None;
    for p in points {
        let at = pixel(p);
        if last.is_none_or(|l| (at.0 - l.0).hypot(at.1 - l.1) >= gap) {
            kept.push(*p);
            last = Some(at);
        }
    }
    kept
}

/// The end mark of path `k`, of half-size `r`, as one polyline around (0, 0): ×, +, □, △, ◇,
/// ○ in turn. Drawn in the path's colour over a black outline, after every path, so that ends
/// which coincide show each mark.
fn end_mark(k: usize, r: i32) -> Vec<(i32, i32)> {
    match k % 6 {
        0 => vec![(-r, -r), (r, r), (0, 0), (r, -r), (-r, r)],
        1 => vec![(-r, 0), (r, 0), (0, 0), (0, -r), (0, r)],
        2 => vec![(-r, -r), (r, -r), (r, r), (-r, r), (-r, -r)],
        3 => vec![(0, -r), (r, r), (-r, r), (0, -r)],
        4 => vec![(0, -r), (r, 0), (0, r), (-r, 0), (0, -r)],
        _ => (0..=16)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / 16.0;
                ((r as f64 * a.cos()).round() as i32, (r as f64 * a.sin()).round() as i32)
            })
            .collect(),
    }
}

/// An arrowhead where a path leaves the plot (the segment `from` → `to`, `to` on the edge,
/// in pixels), pointing out, and `text` beside it, inside the plot of size `plot` at `origin`.
fn draw_exit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    from: (f64, f64),
    to: (f64, f64),
    colour: RGBColor,
    text: &str,
    plot: (u32, u32),
    origin: (i32, i32),
) -> Drawn<DB> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = dx.hypot(dy);
    let (ux, uy) = if len > 0.0 { (dx / len, dy / len) } else { (1.0, 0.0) };
    let (nx, ny) = (-uy, ux);
    let tip = to;
    let base = (tip.0 - 16.0 * ux, tip.1 - 16.0 * uy);
    let head = vec![
        (tip.0.round() as i32, tip.1.round() as i32),
        ((base.0 + 7.0 * nx).round() as i32, (base.1 + 7.0 * ny).round() as i32),
        ((base.0 - 7.0 * nx).round() as i32, (base.1 - 7.0 * ny).round() as i32),
    ];
    let mut outline = head.clone();
    outline.push(head[0]);
    root.draw(&Polygon::new(head, colour.filled()))?;
    root.draw(&PathElement::new(outline, BLACK.stroke_width(1)))?;
    // The text beside the arrow (on the side where it fits), inside the plot.
    let style = TextStyle::from((SANS, TICK_PX).into_font()).color(&BLACK);
    let (tw, th) = root.estimate_text_size(text, &style)?;
    let (tw, th) = (tw as f64, th as f64);
    let (x0, y0) = (origin.0 as f64 + 4.0, origin.1 as f64 + 4.0);
    let (x1, y1) = (
        origin.0 as f64 + plot.0 as f64 - tw - 4.0,
        origin.1 as f64 + plot.1 as f64 - th - 4.0,
    );
    let corner = |side: f64| {
        let away = side * (tw.max(th) / 2.0 + 12.0);
        let centre = (tip.0 - 12.0 * ux + away * nx, tip.1 - 12.0 * uy + away * ny);
        (centre.0 - tw / 2.0, centre.1 - th / 2.0)
    };
    let fits = |(cx, cy): (f64, f64)| (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy);
    let (cx, cy) = [corner(1.0), corner(-1.0)]
        .into_iter()
        .find(|c| fits(*c))
        .unwrap_or(corner(1.0));
    let at = (
        cx.clamp(x0, x1.max(x0)).round() as i32,
        cy.clamp(y0, y1.max(y0)).round() as i32,
    );
    root.draw(&Rectangle::new(
        [(at.0 - 3, at.1 - 2), (at.0 + tw as i32 + 3, at.1 + th as i32 + 2)],
        WHITE.mix(0.85).filled(),
    ))?;
    root.draw(&Text::new(text.to_string(), at, style))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_clipped_to_the_box() {
        let (lo, hi) = ([0.0, 0.0], [1.0, 1.0]);
        assert_eq!(
            clip_segment([0.5, 0.5], [0.6, 0.6], lo, hi),
            Some(([0.5, 0.5], [0.6, 0.6]))
        );
        assert_eq!(
            clip_segment([-1.0, 0.5], [2.0, 0.5], lo, hi),
            Some(([0.0, 0.5], [1.0, 0.5]))
        );
        assert_eq!(clip_segment([2.0, 2.0], [3.0, 0.5], lo, hi), None);
        // Out, in and out again: two pieces.
        let pieces = clip_polyline(&[[0.5, 0.5], [0.5, 1.5], [0.75, 0.5], [0.875, 0.5]], lo, hi);
        assert_eq!(
            pieces,
            vec![
                vec![(0.5, 0.5), (0.5, 1.0)],
                vec![(0.625, 1.0), (0.75, 0.5), (0.875, 0.5)]
            ]
        );
    }

    #[test]
    fn isolines_of_a_bowl_are_closed_loops() {
        let f = TestFunction::Bowl;
        let field = Field::new(&f, [-2.0, 2.0], [-2.0, 2.0], 60, 60);
        let loops = field.isoline(0.5f64.ln());
        assert_eq!(loops.len(), 1);
        let line = &loops[0];
        assert_eq!(line.first(), line.last());
        for &(x, y) in line {
            assert!((f.value([x, y]) - 0.5).abs() < 0.02, "{x} {y}");
        }
    }
}
