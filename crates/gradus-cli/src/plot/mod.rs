//! Plots: optimizer paths over a contour map of a 2-D test function, and line charts.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary (`assets/`), so plotting needs no
//! system fonts. The format follows the file's extension (`.svg` or `.png`; `.gif` for
//! animations), and every file is written under a temporary name in its directory and renamed
//! into place, so a reader never sees half a picture.

mod contour;
mod gif;
mod heatmap;
mod lines;
mod style;
mod templates;

use anyhow::{Result, anyhow, bail};
use contour::Contour;
use gradus::functions::TestFunction;
pub use heatmap::HeatMap;
pub use lines::Lines;
use lines::Stacked;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::path::Path as FilePath;
use std::sync::OnceLock;
use style::{SANS, SIZE};

pub(crate) use style::short;
pub use templates::{Templates, image_shape};

/// DejaVu Sans (Bitstream Vera licence, see `assets/README.md`).
const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// One optimizer's path, as drawn.
pub struct Path {
    /// The legend entry's name (`adam (lr 0.001)`), followed by f where the path stands.
    pub name: String,
    /// The points θ₀, θ₁, …, the start first.
    pub points: Vec<[f64; 2]>,
    /// f(θ_k) at each point.
    pub values: Vec<f64>,
    /// The step K at which the path diverged (its points then end at θ_{K−1}).
    pub diverged_at: Option<u64>,
}

impl Path {
    /// The legend entry with the first `shown` points drawn (all of them: `None`):
    /// `name: f = …` at the last point shown, or `name: diverged at step K` once the whole
    /// path of a diverged run is shown.
    pub fn label(&self, shown: Option<usize>) -> String {
        let n = shown.unwrap_or(usize::MAX).min(self.points.len());
        match self.diverged_at {
            Some(k) if n == self.points.len() => format!("{}: diverged at step {k}", self.name),
            _ => match n.checked_sub(1).and_then(|i| self.values.get(i)) {
                Some(v) => format!("{}: f = {}", self.name, short(*v)),
                None => self.name.clone(),
            },
        }
    }
}

/// A series of a line chart.
pub struct Series {
    /// The legend entry (none when empty).
    pub label: String,
    /// The points (x, y).
    pub points: Vec<(f64, f64)>,
    /// Its colour, an index into the palette.
    pub colour: usize,
    /// Its dash pattern, an index (0: solid).
    pub dash: usize,
    /// Whether only its points are drawn, as markers, without a line between them.
    pub markers_only: bool,
}

impl Series {
    /// A line through `points` in palette colour `colour` and dash pattern `dash`.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>, colour: usize, dash: usize) -> Self {
        Self {
            label: label.into(),
            points,
            colour,
            dash,
            markers_only: false,
        }
    }
}

/// A point a line chart marks with a ring and a dotted vertical line (the epoch early stopping
/// kept).
pub struct Mark {
    /// Where.
    pub at: (f64, f64),
    /// The ring's colour, an index into the palette.
    pub colour: usize,
    /// The legend entry.
    pub label: String,
}

/// Checks that `out` is a picture this module can write: `.svg` or `.png`.
pub fn check_picture(out: &FilePath) -> Result<()> {
    picture_format(out).map(|_| ())
}

/// Checks that `out` names an animation: `.gif`.
pub fn check_animation(out: &FilePath) -> Result<()> {
    match extension(out).as_deref() {
        Some("gif") => Ok(()),
        _ => bail!("--animate must end in .gif, got {}", out.display()),
    }
}

/// Draws `paths` over a contour map of `f` with `title`, the start and end of each path and
/// the global minima of `f` marked, into `out` (`.svg` or `.png`).
///
/// The window is `f`'s [`TestFunction::view`], widened to show the starts and the paths that
/// end within one view's size of it; a path that ends farther out (one that diverges) is drawn
/// until it first leaves the window, cut at the edge with an arrow there and the step at which
/// it diverged (or left the window). Each path has its own colour and dash pattern, and the
/// end markers are drawn over every path, so paths that cover each other stay apart.
pub fn contour_with_paths(f: &TestFunction, paths: &[Path], title: &str, out: &FilePath) -> Result<()> {
    save(&Contour::new(f, paths, title, None), out)
}

/// Animates [`contour_with_paths`] into `out` (`.gif`): the paths grow step by step, all at
/// the same pace, from step 0 (the starts) to the last, which stays up for a while; the
/// legend gives f where each path stands in the frame, and every frame uses one palette.
pub fn animate(f: &TestFunction, paths: &[Path], title: &str, out: &FilePath) -> Result<()> {
    check_animation(out)?;
    font()?;
    let longest = paths.iter().map(|p| p.points.len()).max().unwrap_or(1).max(1);
    let shown = gif::frames(longest);
    let tmp = temp_path(out, "gif");
    create(&tmp, out)?;
    let result = gif::write(&tmp, &shown, |n| {
        Contour::new(f, paths, &format!("{title} — step {}", n - 1), Some(n))
    })
    .map_err(|e| drawing_error(out, e));
    finish(result, &tmp, out)
}

/// A line chart of `series` (label, (x, y) points) with `title` and axis labels, the y axis
/// logarithmic when `log_y` (non-positive values are then left out), into `out` (`.svg` or
/// `.png`). A legend is drawn when a series has a label.
pub fn line_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_y: bool,
    out: &FilePath,
) -> Result<()> {
    let series: Vec<Series> = series
        .iter()
        .enumerate()
        .map(|(k, (label, points))| Series {
            label: label.clone(),
            points: points.clone(),
            colour: k,
            dash: 0,
            markers_only: false,
        })
        .collect();
    curves(title, x_label, y_label, &series, &[], log_y, out)
}

/// A line chart of styled `series` with `marks` (see [`line_chart`]).
pub fn curves(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    marks: &[Mark],
    log_y: bool,
    out: &FilePath,
) -> Result<()> {
    chart(
        &Chart {
            title,
            x_label,
            y_label,
            series,
            marks,
            log_x: false,
            log_y,
        },
        out,
    )
}

/// One chart of [`stacked`].
pub struct Panel {
    /// Its title.
    pub title: String,
    /// Its y axis' label.
    pub y_label: &'static str,
    /// Its series.
    pub series: Vec<Series>,
    /// Whether its y axis is logarithmic.
    pub log_y: bool,
}

/// Line charts of `panels` stacked top to bottom in one picture, each with its own y axis and
/// legend, over x axes labelled `x_label`, into `out` (`.svg` or `.png`).
pub fn stacked(x_label: &str, panels: &[Panel], out: &FilePath) -> Result<()> {
    save(&Stacked { x_label, panels }, out)
}

/// A line chart as an SVG document of `size` pixels, in a string (to inline in a page).
pub fn chart_svg(lines: &Lines, size: (u32, u32)) -> Result<String> {
    font()?;
    svg_string(lines, size).map_err(|e| anyhow!("drawing {}: {e}", lines.title))
}

/// A heat map with its colour bar, contour lines, origin, minimum and path ([`HeatMap`]) into
/// `out` (`.svg` or `.png`).
pub fn heat_map(map: &HeatMap, out: &FilePath) -> Result<()> {
    save(map, out)
}

/// A line chart with its options (see [`Lines`]).
pub type Chart<'a> = Lines<'a>;

/// Draws `c` into `out` (`.svg` or `.png`), as [`curves`] does.
pub fn chart(c: &Chart, out: &FilePath) -> Result<()> {
    save(c, out)
}

/// Draws `tiles` (grey images, `side × side` values each, row-major) in a grid with their
/// names under `title` ([`Templates`]: each in a blue–white–red scale centred at 0 and scaled
/// to its largest magnitude), into `out` (`.svg` or `.png`).
pub fn tiles(title: &str, side: usize, tiles: &[(String, Vec<f32>)], out: &FilePath) -> Result<()> {
    let names: Vec<String> = tiles.iter().map(|t| t.0.clone()).collect();
    let weights: Vec<f32> = tiles.iter().flat_map(|t| t.1.iter().copied()).collect();
    Templates::new(title, &weights, &names, (side, side, 1))?.save(out)
}

/// The result of drawing on a backend `DB`.
type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Something that draws itself on any backend.
trait Figure {
    /// Draws the whole picture on `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Drawn<DB>;
    /// Its size in pixels.
    fn size(&self) -> (u32, u32) {
        SIZE
    }
}

/// `figure` drawn at `size` as an SVG document.
fn svg_string(figure: &impl Figure, size: (u32, u32)) -> Result<String, String> {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&area).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// `figure` drawn at its size as a PNG image, in memory (to embed in a page).
fn png_bytes(figure: &impl Figure) -> Result<Vec<u8>> {
    font()?;
    let (w, h) = figure.size();
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        figure.draw(&area).map_err(|e| anyhow!("drawing: {e}"))?;
        area.present().map_err(|e| anyhow!("drawing: {e}"))?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&rgb))
        .map_err(|e| anyhow!("encoding a PNG image: {e}"))?;
    Ok(out)
}

/// The supported picture formats.
enum Format {
    Svg,
    Png,
}

/// The file name's extension, lower case.
fn extension(out: &FilePath) -> Option<String> {
    out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase)
}

/// The format `out`'s extension asks for.
fn picture_format(out: &FilePath) -> Result<Format> {
    match extension(out).as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => bail!("--plot must end in .svg or .png, got {}", out.display()),
    }
}

/// Registers the embedded font, once.
fn font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    if *REGISTERED.get_or_init(|| register_font(SANS, FontStyle::Normal, FONT).is_ok()) {
        Ok(())
    } else {
        bail!("the embedded font could not be loaded")
    }
}

/// An error while drawing or writing `out`, on one line.
fn drawing_error(out: &FilePath, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{}: {e}", out.display())
}

/// A hidden name next to `out` ending in `.ext` (the bitmap encoder picks the format by
/// extension).
fn temp_path(out: &FilePath, ext: &str) -> std::path::PathBuf {
    let name = out
        .file_stem()
        .map_or_else(|| "plot".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.tmp{}.{ext}", std::process::id()))
}

/// Creates `tmp`, empty, so that an unwritable place is reported as the operating system says
/// it, before any drawing (the bitmap encoder's own message is less clear).
fn create(tmp: &FilePath, out: &FilePath) -> Result<()> {
    std::fs::File::create(tmp).map(drop).map_err(|e| drawing_error(out, e))
}

/// Renames `tmp` to `out` after a successful `result`, removes it otherwise.
fn finish(result: Result<()>, tmp: &FilePath, out: &FilePath) -> Result<()> {
    let result = result.and_then(|()| std::fs::rename(tmp, out).map_err(|e| drawing_error(out, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// Draws `figure` into `out`, as SVG or PNG by the extension.
fn save(figure: &impl Figure, out: &FilePath) -> Result<()> {
    let format = picture_format(out)?;
    font()?;
    match format {
        Format::Svg => {
            let svg = svg_string(figure, figure.size()).map_err(|e| drawing_error(out, e))?;
            gradus::modelfile::write_atomically(out, svg.as_bytes())?;
            Ok(())
        }
        Format::Png => {
            let tmp = temp_path(out, "png");
            create(&tmp, out)?;
            let result = (|| {
                let area = BitMapBackend::new(&tmp, figure.size()).into_drawing_area();
                figure.draw(&area).map_err(|e| drawing_error(out, e))?;
                area.present().map_err(|e| drawing_error(out, e))
            })();
            finish(result, &tmp, out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_paths_are_checked() {
        assert!(check_picture(FilePath::new("a.svg")).is_ok());
        assert!(check_picture(FilePath::new("dir/a.PNG")).is_ok());
        assert_eq!(
            check_picture(FilePath::new("a.jpg")).unwrap_err().to_string(),
            "--plot must end in .svg or .png, got a.jpg"
        );
        assert!(check_animation(FilePath::new("a.gif")).is_ok());
        assert!(check_animation(FilePath::new("a.png")).is_err());
    }
}
