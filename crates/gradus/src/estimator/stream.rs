//! Training on a LIBSVM or CSV file larger than memory, read in windows
//! ([`libsvm::Windows`], [`csv::Windows`]).
//!
//! A first pass (the survey) reads the file once, a window at a time, for what a model must know
//! before its first step: the feature count (the largest index, or 2^B with hashing; a CSV
//! file's feature columns, with every category of its categorical ones) and the set of labels
//! (so that every window reads its labels as the whole file would: ±1, class ids, or sorted
//! class names). The model's scaling (and a CSV file's imputation) is fitted on the first window. Then each of `passes` passes reads
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
use crate::data::columns::Columns;
use crate::data::csv::{self, CsvOptions, Header};
use crate::data::hashing::HashBits;
use crate::data::{Dataset, Features, Targets, Task, labels, libsvm};
use crate::error::{Error, Result};
use std::path::PathBuf;

/// A stream's file format, and how it is read.
#[derive(Clone, Debug)]
pub enum Format {
    /// LIBSVM text ([`libsvm::Windows`]): sparse rows.
    Libsvm {
        /// The longest line allowed, in bytes.
        max_line: usize,
        /// Feature hashing.
        hash: Option<HashBits>,
    },
    /// CSV ([`csv::Windows`]) read with these options: dense rows, its columns chosen (and
    /// categories numbered) as for a file loaded whole.
    Csv(CsvOptions),
}

/// How a stream is read.
#[derive(Clone, Debug)]
pub struct StreamSource {
    /// The file.
    pub path: PathBuf,
    /// Rows per window (`--shuffle-buffer`).
    pub window: usize,
    /// Its format.
    pub format: Format,
    /// How labels are read.
    pub task: Task,
}

/// The distinct labels of a file, in order of first appearance, with that line.
#[derive(Clone, Debug)]
enum Seen {
    /// LIBSVM's numbers.
    Numbers(Vec<f64>, Vec<u64>),
    /// CSV's texts.
    Texts(Vec<(u64, String)>),
}

/// What the survey found.
#[derive(Clone, Debug)]
pub struct Survey {
    /// The feature count (for CSV, the feature columns, before one-hot encoding).
    pub n_features: usize,
    /// The rows.
    pub rows: u64,
    /// The file's bytes.
    pub bytes: u64,
    /// The distinct labels (none for regression).
    labels: Seen,
    /// CSV: the columns, with every category in the file.
    columns: Option<Columns>,
    /// CSV: whether the first line is a header of numbers over numeric rows
    /// ([`csv::Windows::header_over_numbers`]), to be read as one.
    header: bool,
}

impl Survey {
    /// The distinct labels found (0 for regression).
    pub fn distinct_labels(&self) -> usize {
        match &self.labels {
            Seen::Numbers(l, _) => l.len(),
            Seen::Texts(l) => l.len(),
        }
    }
}

/// A stream being read, a window at a time.
enum Reader<'a> {
    Libsvm(libsvm::Windows),
    Csv(Box<csv::Windows<'a>>),
}

impl Reader<'_> {
    fn bytes_read(&self) -> u64 {
        match self {
            Reader::Libsvm(w) => w.bytes_read(),
            Reader::Csv(w) => w.bytes_read(),
        }
    }
}

impl StreamSource {
    /// The file opened for windows of `window` rows, a CSV file read with `header` said.
    fn open(&self, window: usize, header: bool) -> Result<Reader<'_>> {
        Ok(match &self.format {
            Format::Libsvm { max_line, hash } => {
                Reader::Libsvm(libsvm::Windows::open(&self.path, window, *max_line, *hash)?)
            }
            Format::Csv(opts) if header => Reader::Csv(Box::new(csv::Windows::open(
                &self.path,
                &CsvOptions {
                    header: Header::Yes,
                    ..opts.clone()
                },
                window,
            )?)),
            Format::Csv(opts) => Reader::Csv(Box::new(csv::Windows::open(&self.path, opts, window)?)),
        })
    }

    /// The first pass.
    ///
    /// # Errors
    /// Reading errors; a file without rows; too many classes.
    pub fn survey(&self) -> Result<Survey> {
        let classify = self.task == Task::Classify;
        let survey = match self.open(self.window, false)? {
            Reader::Libsvm(mut w) => {
                let hash = match self.format {
                    Format::Libsvm { hash, .. } => hash,
                    Format::Csv(_) => None,
                };
                let mut n_features = hash.map_or(1, HashBits::features);
                let (mut labels, mut lines, mut rows) = (Vec::new(), Vec::new(), 0);
                while let Some(win) = w.next_window()? {
                    n_features = n_features.max(win.rows.min_features());
                    rows += win.labels.len() as u64;
                    if classify {
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
                labels::targets(&labels, self.task, &self.path, |i| format!("line {}", lines[i]))?;
                Survey {
                    n_features,
                    rows,
                    bytes: w.bytes_read(),
                    labels: Seen::Numbers(labels, lines),
                    columns: None,
                    header: false,
                }
            }
            Reader::Csv(mut w) => {
                let (mut known, mut rows) = (Vec::<(u64, String)>::new(), 0);
                while let Some(win) = w.next_window()? {
                    rows += win.rows as u64;
                    if classify {
                        for (line, y) in win.labels {
                            if !known.iter().any(|(_, k)| *k == y) {
                                known.push((line, y));
                                // As above: too many classes stop the survey early.
                                if known.len() > labels::MAX_CLASSES {
                                    w.targets(&known, &[])?;
                                }
                            }
                        }
                    }
                }
                let header = w.header_over_numbers();
                if header {
                    // The first row was the header: its label text appears nowhere else.
                    rows -= 1;
                    known.remove(0);
                }
                w.targets(&known, &[])?;
                Survey {
                    n_features: 0,
                    rows,
                    bytes: w.bytes_read(),
                    labels: Seen::Texts(known),
                    columns: Some(w.columns()?),
                    header,
                }
            }
        };
        if survey.rows == 0 {
            return Err(Error::format(&self.path, "no data rows"));
        }
        let n_features = survey.columns.as_ref().map_or(survey.n_features, |c| c.features.len());
        Ok(Survey { n_features, ..survey })
    }

    /// The whole file in one window (test rows), read with `survey`'s features and labels (a CSV
    /// file by the training file's column names, in any order).
    ///
    /// # Errors
    /// Reading errors; a label the survey did not see, naming its line; a file without rows.
    pub fn whole(&self, survey: &Survey) -> Result<Dataset> {
        let source = match (&self.format, &survey.columns) {
            (Format::Csv(opts), Some(columns)) => &StreamSource {
                format: Format::Csv(columns.reading(opts)),
                ..self.clone()
            },
            _ => self,
        };
        let mut reader = source.open(usize::MAX, false)?;
        source
            .next(&mut reader, survey, true)?
            .ok_or_else(|| Error::format(&self.path, "no data rows"))
    }

    /// The next window of `reader` as a data set, its labels read with the survey's. A CSV
    /// window carries the survey's columns (every category of the file, numbered as the
    /// windows number them), or with `own_columns` (a test file) its own, which the model's
    /// encoding maps by name.
    fn next(&self, reader: &mut Reader<'_>, survey: &Survey, own_columns: bool) -> Result<Option<Dataset>> {
        let (data, names) = match (reader, &survey.labels) {
            (Reader::Libsvm(w), Seen::Numbers(known, lines)) => {
                let Some(win) = w.next_window()? else {
                    return Ok(None);
                };
                if self.task == Task::Classify
                    && let Some(r) = win.labels.iter().position(|y| !known.contains(y))
                {
                    return Err(Error::format(
                        &self.path,
                        format!(
                            "line {}: label {} was not seen in training",
                            win.lines[r], win.labels[r]
                        ),
                    ));
                }
                let all: Vec<f64> = known.iter().chain(&win.labels).copied().collect();
                let at = |i: usize| {
                    let line = i.checked_sub(known.len()).map_or_else(|| lines[i], |r| win.lines[r]);
                    format!("line {line}")
                };
                let (targets, names) = labels::targets(&all, self.task, &self.path, at)?;
                let targets = match targets {
                    Targets::Classes { labels, n_classes } => Targets::Classes {
                        labels: labels[known.len()..].to_vec(),
                        n_classes,
                    },
                    values => values,
                };
                (
                    Dataset::new(survey.n_features, Features::Csr(win.rows), targets)?,
                    names,
                )
            }
            (Reader::Csv(w), Seen::Texts(known)) => {
                let Some(win) = w.next_window()? else {
                    return Ok(None);
                };
                let (targets, names) = w.targets(known, &win.labels)?;
                let columns = match &survey.columns {
                    Some(c) if !own_columns => c.clone(),
                    _ => w.columns()?,
                };
                let data = Dataset::from_table(
                    columns.features.len(),
                    Features::F32(win.features.into()),
                    targets,
                    columns,
                )?;
                (data, names)
            }
            _ => return Err(Error::param("stream", "the survey is of another format")),
        };
        Ok(Some(match names {
            Some(n) => data.with_class_names(n),
            None => data,
        }))
    }
}

impl Fitted {
    /// A model of `config` for the stream `source`: its features and labels from `survey`, its
    /// scaling fitted on the first window.
    ///
    /// # Errors
    /// Reading errors; as [`Fitted::new`]; [`Error::Param`] `class_weight` for `balanced`,
    /// which needs the labels of every row before the first step.
    pub fn for_stream(config: &ModelConfig, source: &StreamSource, survey: &Survey) -> Result<Self> {
        if config.class_weight == Some(crate::loss::ClassWeight::Balanced) {
            return Err(Error::param(
                "class_weight",
                "balanced needs every training row's label before training, and a stream is read a window at a time: give one weight per class",
            ));
        }
        let mut reader = source.open(source.window, survey.header)?;
        let first = source
            .next(&mut reader, survey, false)?
            .ok_or_else(|| Error::format(&source.path, "no data rows"))?;
        Self::new(config, &first)
    }

    /// `passes` passes over the stream, each window one [`partial_fit`](Self::partial_fit),
    /// read and parsed on a second thread. `between(bytes)` is called after each window with
    /// the bytes read in all passes so far; training stops when it returns `false`. Returns the
    /// windows trained on.
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
            let mut reader = source.open(source.window, survey.header)?;
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Dataset, u64)>>(1);
            let outcome = std::thread::scope(|s| {
                s.spawn(move || {
                    loop {
                        let next = source
                            .next(&mut reader, survey, false)
                            .transpose()
                            .map(|w| w.map(|w| (w, reader.bytes_read())));
                        let stop = !matches!(next, Some(Ok(_)));
                        if next.is_none_or(|n| tx.send(n).is_err()) || stop {
                            break;
                        }
                    }
                });
                for item in rx {
                    let (data, bytes) = item?;
                    self.partial_fit(&data)?;
                    drop(data);
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
            format: Format::Libsvm {
                max_line: 1 << 20,
                hash: None,
            },
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
        assert_eq!((survey.n_features, survey.rows, survey.distinct_labels()), (9, 120, 3));
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

    /// 90 rows of a CSV table: a numeric column, a categorical one and a text label of 3
    /// classes, with a header.
    fn table(dir: &std::path::Path) -> PathBuf {
        let mut text = String::from("x,colour,kind\n");
        for i in 0..90u32 {
            let c = ["red", "green", "blue"][(i * 5 % 3) as usize];
            let k = ["cat", "dog", "owl"][(i * 7 % 3) as usize];
            text.push_str(&format!("{},{c},{k}\n", (i * 13 % 11) as f32 / 3.0));
        }
        let p = dir.join("t.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    fn csv_source(path: &std::path::Path, window: usize) -> StreamSource {
        StreamSource {
            path: path.to_path_buf(),
            window,
            format: Format::Csv(CsvOptions {
                categorical: crate::data::columns::Categorical::Auto,
                ..CsvOptions::default()
            }),
            task: Task::Classify,
        }
    }

    #[test]
    fn a_csv_stream_trains_as_its_rows_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = table(dir.path());
        let Format::Csv(opts) = csv_source(&path, 1).format else {
            unreachable!()
        };
        let data = csv::load(&path, &opts).unwrap();
        // One window of the whole file: one epoch in memory.
        let source = csv_source(&path, 1000);
        let survey = source.survey().unwrap();
        assert_eq!((survey.n_features, survey.rows, survey.distinct_labels()), (2, 90, 3));
        let mut streamed = Fitted::for_stream(&config(), &source, &survey).unwrap();
        streamed.train_stream(&source, &survey, 1, &mut |_| true).unwrap();
        let memory = Fitted::fit(&config(), &data, None).unwrap();
        assert_eq!(streamed.params(), memory.params());
        // Windows of 40 rows, two passes: partial_fit on rows 0-39, 40-79, 80-89, twice.
        let source = csv_source(&path, 40);
        let mut streamed = Fitted::for_stream(&config(), &source, &survey).unwrap();
        assert_eq!(streamed.train_stream(&source, &survey, 2, &mut |_| true).unwrap(), 6);
        let mut memory = Fitted::new(&config(), &data.subset(&(0..40).collect::<Vec<_>>())).unwrap();
        for _ in 0..2 {
            for r in [0..40, 40..80, 80..90] {
                memory.partial_fit(&data.subset(&r.collect::<Vec<_>>())).unwrap();
            }
        }
        assert_eq!(streamed.params(), memory.params());
        // A test file with its columns in another order, an extra one, and its own categories.
        let test = dir.path().join("test.csv");
        std::fs::write(&test, "kind,extra,colour,x\nowl,1,blue,0.5\ncat,2,purple,1\n").unwrap();
        let rows = StreamSource {
            path: test.clone(),
            ..source.clone()
        }
        .whole(&survey)
        .unwrap();
        assert_eq!(rows.len(), 2);
        let expected = csv::load(&test, &data.columns().unwrap().reading(&opts)).unwrap();
        assert_eq!(streamed.predict(&rows).unwrap(), streamed.predict(&expected).unwrap());
        std::fs::write(&test, "kind,colour,x\nowl,blue,0.5\nbat,red,1\n").unwrap();
        let e = StreamSource { path: test, ..source }
            .whole(&survey)
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("test.csv: line 3: label 'bat' was not seen in training"),
            "{e}"
        );
    }

    #[test]
    fn a_csv_header_of_numbers_is_told_by_the_survey() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.csv");
        let rows: String = (0..30).map(|i| format!("{},{},{}\n", i % 7, i % 5, i % 2)).collect();
        std::fs::write(&path, format!("1,2,label\n{rows}")).unwrap();
        let source = StreamSource {
            format: Format::Csv(CsvOptions::default()),
            ..csv_source(&path, 8)
        };
        let survey = source.survey().unwrap();
        assert_eq!((survey.rows, survey.distinct_labels()), (30, 2));
        let mut streamed = Fitted::for_stream(&config(), &source, &survey).unwrap();
        assert_eq!(streamed.train_stream(&source, &survey, 1, &mut |_| true).unwrap(), 4);
        let data = csv::load(&path, &CsvOptions::default()).unwrap();
        assert_eq!(data.len(), 30);
        let mut memory = Fitted::new(&config(), &data.subset(&(0..8).collect::<Vec<_>>())).unwrap();
        for r in [0..8, 8..16, 16..24, 24..30] {
            memory.partial_fit(&data.subset(&r.collect::<Vec<_>>())).unwrap();
        }
        assert_eq!(streamed.params(), memory.params());
    }
}
