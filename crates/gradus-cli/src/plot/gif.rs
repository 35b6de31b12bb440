//! Animations: GIF frames with one palette for all of them.
//!
//! plotters' GIF backend quantises each frame to its own 256 colours, so a rule's colour (and
//! the minimum's star) shifts from frame to frame as the picture fills up. Here the palette is
//! made once, from the last frame, which holds everything the others show (the paths only grow),
//! and every frame is mapped onto it: the same colour is the same palette entry throughout.

use super::Figure;
use super::style::{GIF_SIZE, GOLD, PALETTE};
use color_quant::NeuQuant;
use plotters::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufWriter;
use std::path::Path;

/// The colours that must stay exact: the series', the minimum's star, black and white.
const KEYS: [[u8; 3]; PALETTE.len() + 3] = {
    let mut keys = [[0; 3]; PALETTE.len() + 3];
    let mut i = 0;
    while i < PALETTE.len() {
        keys[i] = [PALETTE[i].0, PALETTE[i].1, PALETTE[i].2];
        i += 1;
    }
    keys[i] = [GOLD.0, GOLD.1, GOLD.2];
    keys[i + 1] = [255, 255, 255];
    keys
};

/// Frames after the first, at most.
const MOVING_FRAMES: usize = 50;
/// Hundredths of a second per frame.
const DELAY: u16 = 8;
/// Hundredths of a second the last frame stays up before the animation starts again.
pub(super) const HOLD: u16 = 250;

/// How many points of the longest path (of `longest`) each frame shows: 1 in the first (step
/// 0, the starts), `longest` in the last, evenly in between, at most [`MOVING_FRAMES`] + 1.
pub(super) fn frames(longest: usize) -> Vec<usize> {
    let steps = longest.saturating_sub(1);
    let moving = MOVING_FRAMES.min(steps);
    (0..=moving).map(|k| 1 + (k * steps).div_ceil(moving.max(1))).collect()
}

/// One frame drawn into an RGB buffer.
fn render(figure: &impl Figure) -> Result<Vec<u8>, String> {
    let (w, h) = GIF_SIZE;
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut buf, GIF_SIZE).into_drawing_area();
        figure.draw(&area).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// The palette every frame uses, made from `rgb` (the last frame): its colours themselves when
/// there are at most 256; else the `keys` (the series' colours, which must come out exact)
/// followed by NeuQuant's choice for the rest (Dekker 1994), each pixel then taking the
/// nearest entry.
struct Palette(Vec<[u8; 3]>);

impl Palette {
    fn of(rgb: &[u8], keys: &[[u8; 3]]) -> Palette {
        let mut seen: HashMap<[u8; 3], ()> = HashMap::new();
        for px in rgb.chunks_exact(3) {
            seen.insert([px[0], px[1], px[2]], ());
        }
        let mut colours: Vec<[u8; 3]> = if seen.len() <= 256 {
            seen.into_keys().collect()
        } else {
            let rgba: Vec<u8> = rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
            let rest = NeuQuant::new(10, 256 - keys.len(), &rgba).color_map_rgb();
            keys.iter()
                .copied()
                .chain(rest.chunks_exact(3).map(|c| [c[0], c[1], c[2]]))
                .collect()
        };
        colours.sort_unstable();
        colours.dedup();
        Palette(colours)
    }

    /// `[r, g, b, …]`.
    fn table(&self) -> Vec<u8> {
        self.0.iter().flatten().copied().collect()
    }

    /// The entry nearest `c`.
    fn index(&self, c: [u8; 3]) -> u8 {
        let d = |p: &[u8; 3]| (0..3).map(|i| (p[i] as i32 - c[i] as i32).pow(2)).sum::<i32>();
        (0..self.0.len()).min_by_key(|&i| d(&self.0[i])).unwrap_or(0) as u8
    }
}

/// Writes the frames `figure(n)` for each `n` of `shown` to `path` as a looping GIF: one
/// global palette, [`DELAY`] per frame, [`HOLD`] on the last.
pub(super) fn write<F: Figure>(path: &Path, shown: &[usize], figure: impl Fn(usize) -> F) -> Result<(), String> {
    let (w, h) = GIF_SIZE;
    let last = render(&figure(shown.last().copied().unwrap_or(1)))?;
    let palette = Palette::of(&last, &KEYS);
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let mut encoder =
        gif::Encoder::new(BufWriter::new(file), w as u16, h as u16, &palette.table()).map_err(|e| e.to_string())?;
    encoder.set_repeat(gif::Repeat::Infinite).map_err(|e| e.to_string())?;
    let mut cache: HashMap<[u8; 3], u8> = HashMap::new();
    for (k, &n) in shown.iter().enumerate() {
        let final_frame = k + 1 == shown.len();
        let rgb = if final_frame { last.clone() } else { render(&figure(n))? };
        let indices: Vec<u8> = rgb
            .chunks_exact(3)
            .map(|p| {
                let c = [p[0], p[1], p[2]];
                *cache.entry(c).or_insert_with(|| palette.index(c))
            })
            .collect();
        let frame = gif::Frame {
            width: w as u16,
            height: h as u16,
            delay: if final_frame { HOLD } else { DELAY },
            buffer: Cow::Owned(indices),
            ..gif::Frame::default()
        };
        encoder.write_frame(&frame).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_run_from_step_0_to_the_last() {
        assert_eq!(frames(1), [1]);
        assert_eq!(frames(4), [1, 2, 3, 4]);
        let f = frames(1001);
        assert_eq!((f[0], *f.last().unwrap(), f.len()), (1, 1001, 51));
        assert!(f.windows(2).all(|w| w[0] < w[1]));
    }
}
