//! Training on a LIBSVM file larger than memory, read in windows ([`Windows`]).
//!
//! A first pass (the survey) reads the file once, a window at a time, for what a model must know
//! before its first step: the feature count (the largest index, or 2^B with hashing) and the
//! set of labels (so that every window reads its labels as the whole file would, ±1 or class
//! ids). The model's scaling is fitted on the first window. Then each of `passes` passes reads
//! the file again: one thread parses the next window while the other trains on the current
//! one, so at most three windows are held (one trained on, one parsed, one waiting).
//!
//! The order: window k (rows `k·R … k·R + R − 1` of the file, R the window) is one epoch of the
//! ordinary [`Trainer`](crate::train::Trainer) over that window's rows, from the one training
//! state carried across windows ([`Fitted::partial_fit`]): its batches are those of the
//! trainer's seeded permutation for the state's epoch counter, which counts windows. With a
//! window at least the file's rows and one pass, this is one epoch of in-memory training on the
//! file: the same parameters, bit for bit (tested). Schedules that change the learning rate by
//! epoch change it by window.

use super::Fitted;
use super::ModelConfig;
use crate::data::hashing::HashBits;
use crate::data::libsvm::{Window, Windows};
use crate::data::{Dataset, Features, Targets, Task, labels};
use crate::error::{Error, Result};
use std::path::PathBuf;

/// How a stream is read.
#[derive(Clone, Debug)]
pub struct StreamSource {
    /// The LIBSVM file.
    pub path: PathBuf,
    /// Rows per window (`--shuffle-buffer`).
    pub window: usize,
    /// The longest line allowed, in bytes.
    pub max_line: usize,
    /// Feature hashing.
    pub hash: Option<HashBits>,
    /// How labels are read.
    pub task: Task,
}

/// What the survey found.
#[derive(Clone, Debug)]
pub struct Survey {
    /// The feature count.
    pub n_features: usize,
    /// The distinct labels, in order of appearance (empty for regression).
    pub labels: Vec<f64>,
    /// The line where each of `labels` first appears.
    pub lines: Vec<u64>,
    /// The rows.
    pub rows: u64,
    /// The file's bytes.
    pub bytes: u64,
}

impl StreamSource {
    fn open(&self) -> Result<Windows> {
        Windows::open(&self.path, self.window, self.max_line, self.hash)
    }

    /// The first pass.
    ///
    /// # Errors
    /// Reading errors; a file without rows.
    pub fn survey(&self) -> Result<Survey> {
        let mut w = self.open()?;
        let mut n_features = self.hash.map_or(1, HashBits::features);
        let (mut labels, mut lines, mut rows) = (Vec::new(), Vec::new(), 0);
        while let Some(win) = w.next_window()? {
            n_features = n_features.max(win.rows.min_features());
            rows += win.labels.len() as u64;
            if self.task == Task::Classify {
                for (&y, &line) in win.labels.iter().zip(&win.lines) {
                    if !labels.contains(&y) {
                        labels.push(y);
                        lines.push(line);
                        // Checked as the set grows, so that a file of many labels stops early.
                        if labels.len() > labels::MAX_CLASSES {
                            labels::targets(&labels, self.task, &self.path, |i| format!("line {}", lines[i]))?;
                        }
                    }
                }
            }
        }
        if rows == 0 {
            return Err(Error::format(&self.path, "no data rows"));
        }
        labels::targets(&labels, self.task, &self.path, |i| format!("line {}", lines[i]))?;
        Ok(Survey {
            n_features,
            labels,
            lines,
            rows,
            bytes: w.bytes_read(),
        })
    }

    /// The whole file in one window (test rows), read with `survey`'s features and labels.
    ///
    /// # Errors
    /// Reading errors; a label the survey did not see, naming its line; a file without rows.
    pub fn whole(&self, survey: &Survey) -> Result<Dataset> {
        let win = Windows::open(&self.path, usize::MAX, self.max_line, self.hash)?
            .next_window()?
            .ok_or_else(|| Error::format(&self.path, "no data rows"))?;
        self.dataset(survey, &win)
    }

    /// A window's rows as a data set, its labels read with the survey's.
    fn dataset(&self, survey: &Survey, win: &Window) -> Result<Dataset> {
        if self.task == Task::Classify
            && let Some(r) = win.labels.iter().position(|y| !survey.labels.contains(y))
        {
            return Err(Error::format(
                &self.path,
                format!(
                    "line {}: label {} was not seen in training",
                    win.lines[r], win.labels[r]
                ),
            ));
        }
        let all: Vec<f64> = survey.labels.iter().chain(&win.labels).copied().collect();
        let known = survey.labels.len();
        let at = |i: usize| {
            let line = i.checked_sub(known).map_or_else(|| survey.lines[i], |r| win.lines[r]);
            format!("line {line}")
        };
        let (targets, names) = labels::targets(&all, self.task, &self.path, at)?;
        let targets = match targets {
            Targets::Classes { labels, n_classes } => Targets::Classes {
                labels: labels[known..].to_vec(),
                n_classes,
            },
            values => values,
        };
        let data = Dataset::new(survey.n_features, Features::Csr(win.rows.clone()), targets)?;
        Ok(match names {
            Some(n) => data.with_class_names(n),
            None => data,
        })
    }
}

impl Fitted {
    /// A model of `config` for the stream `source`: its features and labels from `survey`, its
    /// scaling fitted on the first window.
    ///
    /// # Errors
    /// Reading errors; as [`Fitted::new`].
    pub fn for_stream(config: &ModelConfig, source: &StreamSource, survey: &Survey) -> Result<Self> {
        let first = source
            .open()?
            .next_window()?
            .ok_or_else(|| Error::format(&source.path, "no data rows"))?;
        Self::new(config, &source.dataset(survey, &first)?)
    }

    /// `passes` passes over the stream, each window one [`partial_fit`](Self::partial_fit),
    /// parsed on a second thread. `between(bytes)` is called after each window with the bytes
    /// read in all passes so far; training stops when it returns `false`. Returns the windows
    /// trained on.
    ///
    /// # Errors
    /// Reading errors (naming the file and line); training errors.
    pub fn train_stream(
        &mut self,
        source: &StreamSource,
        survey: &Survey,
        passes: u64,
        between: &mut dyn FnMut(u64) -> bool,
    ) -> Result<u64> {
        let mut windows = 0;
        for pass in 0..passes {
            let mut reader = source.open()?;
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Window, u64)>>(1);
            let outcome = std::thread::scope(|s| {
                s.spawn(move || {
                    loop {
                        let next = reader
                            .next_window()
                            .transpose()
                            .map(|w| w.map(|w| (w, reader.bytes_read())));
                        let stop = !matches!(next, Some(Ok(_)));
                        if next.is_none_or(|n| tx.send(n).is_err()) || stop {
                            break;
                        }
                    }
                });
                for item in rx {
                    let (win, bytes) = item?;
                    let data = source.dataset(survey, &win)?;
                    drop(win);
                    self.partial_fit(&data)?;
                    windows += 1;
                    if !between(pass * survey.bytes + bytes) {
                        return Ok(false);
                    }
                }
                Ok(true)
            });
            if !outcome? {
                break;
            }
        }
        Ok(windows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::libsvm;
    use crate::estimator::ModelParams;

    /// 120 rows of 3 classes over 9 features, in LIBSVM text.
    fn file(dir: &std::path::Path) -> PathBuf {
        let text: String = (0..120u32)
            .map(|i| {
                let c = i * 7 % 3;
                let a = (i * 13 % 9) as f32 / 4.0;
                format!("{c} {}:1 {}:{a} 9:{}\n", c + 1, c + 4, i % 5)
            })
            .collect();
        let p = dir.join("s.svm");
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Windows of `window` rows of `path`, classes, no hashing.
    fn source(path: &std::path::Path, window: usize) -> StreamSource {
        StreamSource {
            path: path.to_path_buf(),
            window,
            max_line: 1 << 20,
            hash: None,
            task: Task::Classify,
        }
    }

    fn config() -> ModelConfig {
        let mut p = ModelParams::default();
        p.train.epochs = 1;
        p.train.lr = Some(0.1);
        p.train.batch = crate::data::batch::BatchSize::Rows(8);
        p.test_fraction = 0.0;
        p.check().unwrap()
    }

    #[test]
    fn one_window_of_the_whole_file_trains_as_one_epoch_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let source = source(&path, 1000);
        let survey = source.survey().unwrap();
        assert_eq!((survey.n_features, survey.rows, survey.labels.len()), (9, 120, 3));
        let mut streamed = Fitted::for_stream(&config(), &source, &survey).unwrap();
        let mut seen = Vec::new();
        let windows = streamed
            .train_stream(&source, &survey, 1, &mut |b| {
                seen.push(b);
                true
            })
            .unwrap();
        assert_eq!((windows, seen), (1, vec![std::fs::metadata(&path).unwrap().len()]));
        let data = libsvm::load(&path, None, Task::Classify, 1 << 20, None).unwrap().train;
        let memory = Fitted::fit(&config(), &data, None).unwrap();
        assert_eq!(streamed.params(), memory.params());
    }

    #[test]
    fn windows_are_epochs_of_the_carried_state_and_passes_repeat_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let source = source(&path, 50);
        let survey = source.survey().unwrap();
        let mut streamed = Fitted::for_stream(&config(), &source, &survey).unwrap();
        let windows = streamed.train_stream(&source, &survey, 2, &mut |_| true).unwrap();
        assert_eq!(windows, 6);
        // The definition, in memory: partial_fit on rows 0-49, 50-99, 100-119, twice.
        let data = libsvm::load(&path, None, Task::Classify, 1 << 20, None).unwrap().train;
        let first = data.subset(&(0..50).collect::<Vec<_>>());
        let mut memory = Fitted::new(&config(), &first).unwrap();
        for _ in 0..2 {
            for r in [0..50, 50..100, 100..120] {
                memory.partial_fit(&data.subset(&r.collect::<Vec<_>>())).unwrap();
            }
        }
        assert_eq!(streamed.params(), memory.params());
        // Stopping after the second window.
        let mut stopped = Fitted::for_stream(&config(), &source, &survey).unwrap();
        let mut calls = 0;
        let n = stopped
            .train_stream(&source, &survey, 2, &mut |_| {
                calls += 1;
                calls < 2
            })
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn a_bad_line_in_a_later_window_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("1 2:nan\n");
        std::fs::write(&path, text).unwrap();
        let source = source(&path, 50);
        let e = source.survey().unwrap_err().to_string();
        assert!(e.contains("s.svm: line 121: index 2:"), "{e}");
        // Test rows with a label the training file does not have.
        std::fs::write(&path, "0 1:1\n1 2:1\n").unwrap();
        let survey = source.survey().unwrap();
        let test = dir.path().join("t.svm");
        std::fs::write(&test, "1 1:1\n7 2:1\n").unwrap();
        let e = StreamSource { path: test, ..source }
            .whole(&survey)
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("t.svm: line 2: label 7 was not seen in training"), "{e}");
    }
}
