//! Training paths on disk: θ every K optimizer steps, as raw little-endian numbers.
//!
//! A path file starts with the line `gradus-path 1`, then one line of JSON naming the model's
//! tensors (`{"every":K,"tensors":[["layers.0.weight",[10,784]],…]}`), then one record per
//! recorded step: the step as a `u64`, then the θ's `f32`s, all little-endian. A 7,850-parameter
//! linear model takes 31 kB a record (a CSV of the same numbers would take about three times
//! that). The file is written under a temporary name, synced and renamed into place when the
//! recording ends, so a path file is never half written.

use crate::error::{Error, Result};
use crate::modelfile::temporary_beside;
use crate::params::ParamLayout;
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The first line of a path file.
const MAGIC: &[u8] = b"gradus-path 1\n";

/// The most bytes the header line may hold.
const MAX_HEADER: usize = 1 << 20;

/// What a path file says of the model it records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Steps between records.
    pub every: u64,
    /// Each tensor's name and shape, in layout order.
    pub tensors: Vec<(String, Vec<usize>)>,
}

impl Header {
    /// The header of a path of a model with `layout`.
    pub fn of(layout: &ParamLayout, every: u64) -> Self {
        Header {
            every,
            tensors: layout
                .segments()
                .iter()
                .map(|s| (s.name.clone(), s.shape.clone()))
                .collect(),
        }
    }

    /// Parameters per record.
    pub fn parameters(&self) -> usize {
        self.tensors.iter().map(|(_, s)| s.iter().product::<usize>()).sum()
    }
}

/// One record: the number of steps taken, and θ after them.
pub type Record = (u64, Vec<f32>);

/// Writes a path file as training goes.
pub struct PathWriter {
    path: PathBuf,
    tmp: PathBuf,
    file: BufWriter<std::fs::File>,
    header: Header,
    records: u64,
    /// The step of the last record.
    last: Option<u64>,
}

impl PathWriter {
    /// Starts recording to `path` the θ of a model with `layout` every `every` steps.
    ///
    /// # Errors
    /// [`Error::Param`] `record_every` for 0; [`Error::Io`] when the file cannot be created.
    pub fn create(path: &Path, layout: &ParamLayout, every: u64) -> Result<Self> {
        if every == 0 {
            return Err(Error::param("record_every", "must be at least 1, got 0"));
        }
        let tmp = temporary_beside(path);
        let io = |e| Error::io(path, e);
        let mut file = BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let header = Header::of(layout, every);
        let line = serde_json::to_string(&header).map_err(|e| Error::format(path, e.to_string()))?;
        file.write_all(MAGIC)
            .and_then(|_| writeln!(file, "{line}"))
            .map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            tmp,
            file,
            header,
            records: 0,
            last: None,
        })
    }

    /// Records θ after `step` (1-based) when the step is a multiple of the recording interval.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails (a full disk).
    pub fn step(&mut self, step: u64, params: &[f32]) -> Result<()> {
        if !self.records_after(step) {
            return Ok(());
        }
        self.record(step, params)
    }

    /// Whether [`step`](Self::step) records θ after `step`: every `every`-th step.
    pub fn records_after(&self, step: u64) -> bool {
        step.is_multiple_of(self.header.every)
    }

    /// Records θ after `step` (the start, step 0, included).
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails; [`Error::Data`] for θ of another size.
    pub fn record(&mut self, step: u64, params: &[f32]) -> Result<()> {
        if params.len() != self.header.parameters() {
            return Err(Error::data(format!(
                "θ has {} parameters, the path records {}",
                params.len(),
                self.header.parameters()
            )));
        }
        let mut bytes = Vec::with_capacity(8 + 4 * params.len());
        bytes.extend_from_slice(&step.to_le_bytes());
        params.iter().for_each(|x| bytes.extend_from_slice(&x.to_le_bytes()));
        self.file.write_all(&bytes).map_err(|e| Error::io(&self.path, e))?;
        self.records += 1;
        self.last = Some(step);
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Records θ after `step` unless the last record is of that step (to end a path where
    /// training ended, between two recording steps).
    ///
    /// # Errors
    /// Those of [`record`](Self::record).
    pub fn end(&mut self, step: u64, params: &[f32]) -> Result<()> {
        match self.last {
            Some(s) if s == step => Ok(()),
            _ => self.record(step, params),
        }
    }

    /// Syncs the file and renames it into place.
    ///
    /// # Errors
    /// [`Error::Io`] when flushing, syncing or renaming fails.
    pub fn finish(self) -> Result<()> {
        let io = |e| Error::io(&self.path, e);
        let file = self.file.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| {
            let _ = std::fs::remove_file(&self.tmp);
            io(e)
        })
    }
}

/// Reads a path file recorded from a model with `layout`: each record's step and θ.
///
/// # Errors
/// [`Error::Format`] for a file that is not a path file, whose header is malformed, whose
/// tensors are not `layout`'s (a path of another model), or whose records are cut short;
/// [`Error::Io`] when it cannot be read.
pub fn read(path: &Path, layout: &ParamLayout) -> Result<(Header, Vec<Record>)> {
    let bad = |msg: String| Error::format(path, msg);
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("not a gradus path file (it must start with 'gradus-path 1')".into()))?;
    let end = rest
        .iter()
        .take(MAX_HEADER)
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("the header line is missing or longer than 1 MiB".into()))?;
    let header: Header = serde_json::from_slice(&rest[..end]).map_err(|e| bad(format!("bad header: {e}")))?;
    let ours = Header::of(layout, header.every);
    if header.tensors != ours.tensors {
        let show = |h: &Header| {
            h.tensors
                .iter()
                .map(|(n, s)| format!("{n} {s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(bad(format!(
            "the path records a model with {}, not this model's {}",
            show(&header),
            show(&ours)
        )));
    }
    let n = header.parameters();
    let record = 8 + 4 * n;
    let body = &rest[end + 1..];
    if body.len() % record != 0 {
        return Err(bad(format!(
            "{} bytes of records are not whole records of {record} bytes (the file is cut short)",
            body.len()
        )));
    }
    let records = body
        .chunks_exact(record)
        .map(|r| {
            let step = u64::from_le_bytes(r[..8].try_into().unwrap_or_default());
            let theta = r[8..]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap_or_default()))
                .collect();
            (step, theta)
        })
        .collect();
    Ok((header, records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Role;

    fn layout(n: usize) -> ParamLayout {
        let mut l = ParamLayout::new();
        l.push("w", &[2, n], Role::Weight);
        l.push("b", &[2], Role::Bias);
        l
    }

    #[test]
    fn a_path_round_trips_and_another_model_or_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.path");
        let mut w = PathWriter::create(&p, &layout(3), 2).unwrap();
        w.record(0, &[0.0; 8]).unwrap();
        for step in 1..=5 {
            w.step(step, &[step as f32; 8]).unwrap();
        }
        assert!(!p.exists(), "the file appears only when finished");
        w.finish().unwrap();
        let (h, records) = read(&p, &layout(3)).unwrap();
        assert_eq!(h.every, 2);
        let steps: Vec<u64> = records.iter().map(|r| r.0).collect();
        assert_eq!(steps, [0, 2, 4]);
        assert_eq!(records[2].1, vec![4.0; 8]);
        let e = read(&p, &layout(4)).unwrap_err().to_string();
        assert!(
            e.ends_with("the path records a model with w [2, 3], b [2], not this model's w [2, 4], b [2]"),
            "{e}"
        );
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        assert!(read(&p, &layout(3)).unwrap_err().to_string().contains("cut short"));
        std::fs::write(&p, b"x,y\n1,2\n").unwrap();
        assert!(
            read(&p, &layout(3))
                .unwrap_err()
                .to_string()
                .contains("not a gradus path file")
        );
        assert!(PathWriter::create(&p, &layout(3), 0).is_err());
    }
}
