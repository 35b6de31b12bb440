//! Model files: weights in safetensors format, readable by numpy and PyTorch
//! (`safetensors.torch.load_file`), with everything else gradus needs in the same file's
//! metadata.
//!
//! Tensors: `layers.{l}.weight` `[out, in]` and `layers.{l}.bias` `[out]` (f32, as
//! `torch.nn.Linear`), `preprocess.shift` and `preprocess.scale` `[in]` (the fitted
//! `x' = (x − shift)·scale`), for a regressor on scaled targets `preprocess.target` `[2]`
//! (`[shift, scale]` of `y' = (y − shift)·scale`), and for checkpoints the update rule's state
//! `optimizer.{slot}` `[n_params]`, early stopping's best parameters `train.best` `[n_params]`,
//! and the Polyak–Ruppert average's mean `train.average` `[n_params]` (f64, the precision it is
//! kept in: [`Average`]). Metadata: one key, `gradus-1` (the format and its version),
//! whose value is the JSON of [`ModelMeta`]. (One key, because safetensors writes its metadata
//! map in hash order: two keys could swap places between runs, and the same seed must give the
//! same bytes.)
//!
//! The metadata's JSON ends with a field `"checksum":"hhhhhhhh"`: the CRC-32 (IEEE, as zlib's),
//! in 8 lowercase hex digits, of the whole file with those 8 digits written as `0`s. A load
//! verifies it before reading anything else, so a bit flipped anywhere (weights, optimizer state,
//! header, padding) is an error naming the file, never a silent wrong model; files written before
//! the checksum existed (whose JSON ends otherwise) load unverified.
//!
//! Files are written to a temporary name in the same directory, synced, renamed, and the
//! directory synced ([`write_atomically`]), so a file already there is replaced whole or not at
//! all, even across a power cut. Loading checks every tensor's dtype and shape against the
//! metadata before copying anything, and allocates only what the file holds.

use crate::data::spec::{DataSpec, SplitRule};
use crate::data::{Affine, Encoding, Scaling, Task};
use crate::error::{Error, Result};
use crate::loss::{ClassWeights, Loss};
use crate::model::{Architecture, Init, Network};
use crate::objective::Objective;
use crate::optim::State;
use crate::regularizer::Regularizer;
use crate::train::{Average, TrainConfig, TrainState};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// The metadata key holding a gradus model's description.
pub const FORMAT: &str = "gradus-1";

/// The tensor holding the target map `[shift, scale]` of a regressor trained on scaled targets.
const TARGET: &str = "preprocess.target";

/// The tensor holding a checkpoint's best parameters so far (early stopping).
const BEST: &str = "train.best";

/// The tensor holding a checkpoint's average of the iterates (f64).
const AVERAGE: &str = "train.average";

/// The metadata JSON's last field, before its 8 hex digits and after them.
const CHECKSUM_FIELD: (&str, &str) = (",\"checksum\":\"", "\"}");

/// The checksum field as it stands in the safetensors header, where the metadata is a JSON
/// string (its quotes escaped), before its 8 hex digits and after them: the closing quote after
/// `}` ends the metadata string, so the field is found at one place only.
const CHECKSUM_IN_HEADER: (&[u8], &[u8]) = (b"\\\"checksum\\\":\\\"", b"\\\"}\"");

/// CRC-32 of `bytes` with the 8 bytes at `at` read as `0`s.
fn crc_without_digits(bytes: &[u8], at: usize) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&bytes[..at]);
    h.update(b"00000000");
    h.update(&bytes[at + 8..]);
    h.finalize()
}

/// Where the 8 digits `digits` of the checksum field stand in the safetensors file `bytes`: in
/// its header, after the 8 bytes of its length.
fn digits_at(bytes: &[u8], digits: &[u8]) -> Option<usize> {
    let (before, after) = CHECKSUM_IN_HEADER;
    let pattern = [before, digits, after].concat();
    let length = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let header = bytes.get(..usize::try_from(length).ok()?.checked_add(8)?)?;
    let start = header.windows(pattern.len()).rposition(|w| w == pattern.as_slice())?;
    Some(start + before.len())
}

/// The 8 lowercase hex digits of the checksum that metadata `json` ends with; `None` for a
/// file from before checksums (whose JSON never ends with a string); an error for a damaged
/// field.
fn recorded_checksum(json: &str) -> std::result::Result<Option<&str>, String> {
    if !json.ends_with(CHECKSUM_FIELD.1) {
        return Ok(None);
    }
    let body = &json[..json.len() - CHECKSUM_FIELD.1.len()];
    match body.len().checked_sub(8).map(|i| body.split_at(i)) {
        Some((head, digits))
            if head.ends_with(CHECKSUM_FIELD.0) && digits.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(Some(digits))
        }
        _ => Err("the metadata's checksum field is damaged".into()),
    }
}

/// Where the training data came from and how it was split, so `eval` can find the same test rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataOrigin {
    /// The `--data` spec.
    pub spec: String,
    /// The label column of a CSV source, as given.
    pub label_column: Option<String>,
    /// The split rule.
    pub split: crate::data::spec::SplitRule,
    /// The spec with its path made absolute, when that differs from `spec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absolute: Option<String>,
    /// The CRC-32 of a CSV source's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<u32>,
    /// Whether a CSV source's first line is a header, when that was said rather than detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<bool>,
    /// The test rows' own source (`--test-data`), absolute; then no test split is drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_data: Option<String>,
    /// The validation rows' own source (`--val-data`), absolute; then no validation split is
    /// drawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_data: Option<String>,
    /// The feature hashing of LIBSVM rows (`--hash-bits`), applied again to every LIBSVM source
    /// the model reads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_bits: Option<crate::data::hashing::HashBits>,
}

impl DataOrigin {
    /// The origin of rows read from `spec` (its absolute form and checksum included) with the
    /// label column `label_column`, split by `split`.
    ///
    /// # Errors
    /// [`Error::Io`] when a CSV source cannot be read for its checksum.
    pub fn of(spec: &DataSpec, label_column: Option<String>, split: SplitRule) -> Result<Self> {
        Ok(DataOrigin {
            spec: spec.to_string(),
            label_column,
            split,
            absolute: spec.absolute().map(|a| a.to_string()),
            checksum: spec.checksum()?,
            header: None,
            test_data: None,
            val_data: None,
            hash_bits: None,
        })
    }
}

/// Everything about a model except its numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Hidden layers and activation.
    pub architecture: Architecture,
    /// Input features.
    pub inputs: usize,
    /// Output scores.
    pub outputs: usize,
    /// The data loss.
    pub loss: Loss,
    /// The weight of each class's rows in the data loss, resolved on the training rows
    /// (absent: all 1, as in files written before class weights existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeights>,
    /// The penalty.
    pub regularizer: Regularizer,
    /// Classification or regression.
    pub task: Task,
    /// Number of classes (1 for regression).
    pub n_classes: usize,
    /// Class names, when known.
    pub class_names: Option<Vec<String>>,
    /// The preprocessing that was fitted.
    pub scaling: Scaling,
    /// The scaling of a regressor's targets (absent: none; the map is the tensor
    /// `preprocess.target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_scaling: Option<Scaling>,
    /// The training data.
    pub data: Option<DataOrigin>,
    /// How it was trained.
    pub train: Option<TrainConfig>,
    /// How its weights started (left out at the default, `auto`, so that model files written
    /// before the choice existed stay as they were).
    #[serde(default, skip_serializing_if = "Init::is_auto")]
    pub init: Init,
    /// Where training stands (checkpoints): the whole [`TrainState`], whose large buffers
    /// (the optimizer's slots, the best parameters of early stopping) are tensors of their own.
    pub progress: Option<TrainState<f32>>,
    /// How the columns of the table it was trained on become its inputs (models trained on a
    /// CSV file): which columns, by name, their categories and fill values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
}

/// A trained model with its preprocessing; a checkpoint also holds its training state
/// ([`ModelMeta::progress`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SavedModel {
    /// Description.
    pub meta: ModelMeta,
    /// Flat parameters in the network's layout.
    pub params: Vec<f32>,
    /// Fitted preprocessing.
    pub affine: Affine,
}

impl SavedModel {
    /// The network the metadata describes.
    pub fn network(&self) -> Result<Network> {
        Network::new(self.meta.inputs, &self.meta.architecture, self.meta.outputs)
    }
    /// The objective the model was trained with.
    pub fn objective(&self) -> Result<Objective> {
        Ok(Objective {
            network: self.network()?,
            loss: self.meta.loss,
            class_weight: self.meta.class_weight.as_ref().map(|w| w.weights.clone()),
            regularizer: self.meta.regularizer,
        })
    }
}

fn bytes_of(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A tensor to write: name, dtype, shape and little-endian bytes.
type Owned = (String, Dtype, Vec<usize>, Vec<u8>);

/// An f32 tensor to write.
fn f32_tensor(name: impl Into<String>, v: &[f32]) -> Owned {
    (name.into(), Dtype::F32, vec![v.len()], bytes_of(v))
}

/// Writes `model` to `path` atomically.
pub fn save(path: &Path, model: &SavedModel) -> Result<()> {
    let net = model.network()?;
    let mut owned: Vec<Owned> = Vec::new();
    for seg in net.layout().segments() {
        owned.push((
            seg.name.clone(),
            Dtype::F32,
            seg.shape.clone(),
            bytes_of(&model.params[seg.range()]),
        ));
    }
    owned.push(f32_tensor("preprocess.shift", model.affine.shift()));
    owned.push(f32_tensor("preprocess.scale", model.affine.scale()));
    if let Some((shift, scale)) = model.affine.target() {
        owned.push(f32_tensor(TARGET, &[shift, scale]));
    }
    if let Some(state) = &model.meta.progress {
        for (name, buf) in &state.optimizer.slots {
            owned.push(f32_tensor(format!("optimizer.{name}"), buf));
        }
        if let Some(best) = &state.best {
            owned.push(f32_tensor(BEST, &best.params));
        }
        if let Some(average) = &state.average {
            let mean = average.mean();
            let bytes = mean.iter().flat_map(|x| x.to_le_bytes()).collect();
            owned.push((AVERAGE.into(), Dtype::F64, vec![mean.len()], bytes));
        }
    }
    let meta_json =
        serde_json::to_string(&model.meta).map_err(|e| Error::format(path, format!("cannot encode metadata: {e}")))?;
    // A JSON object: ends with `}`, which the checksum field goes before.
    let (open, _) = meta_json.split_at(meta_json.len() - 1);
    let meta_json = format!("{open}{}00000000{}", CHECKSUM_FIELD.0, CHECKSUM_FIELD.1);
    let info = HashMap::from([(FORMAT.to_string(), meta_json)]);
    let views = owned
        .iter()
        .map(|(n, dtype, shape, data)| TensorView::new(*dtype, shape.clone(), data).map(|v| (n.clone(), v)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::format(path, format!("cannot encode tensors: {e}")))?;
    let mut bytes = safetensors::tensor::serialize(views, Some(info))
        .map_err(|e| Error::format(path, format!("cannot encode: {e}")))?;
    let at =
        digits_at(&bytes, b"00000000").ok_or_else(|| Error::format(path, "cannot place the checksum in the header"))?;
    let crc = format!("{:08x}", crc_without_digits(&bytes, at));
    bytes[at..at + 8].copy_from_slice(crc.as_bytes());
    write_atomically(path, &bytes)
}

/// The temporary file `.NAME.tmpPID` beside `path` to write it under before renaming it into
/// place (those that killed processes left there are removed first).
pub fn temporary_beside(path: &Path) -> std::path::PathBuf {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    remove_stale_temporaries(dir, &name);
    dir.join(format!(".{name}.tmp{}", std::process::id()))
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it over `path`, and
/// syncs the directory, so that the rename itself survives a power cut (POSIX `fsync(2)`: a
/// synced file's directory entry is durable only once its directory is synced too).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temporary_beside(path);
    let renamed = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    renamed.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })?;
    #[cfg(unix)]
    if let Some(dir) = tmp.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Removes the temporary files `.{name}.tmp{PID}` that a process killed while writing `name`
/// left in `dir`: those whose process no longer runs (judged from `/proc`; where there is no
/// `/proc`, nothing is removed).
fn remove_stale_temporaries(dir: &Path, name: &str) {
    let prefix = format!(".{name}.tmp");
    let proc = Path::new("/proc");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    if !proc.is_dir() {
        return;
    }
    for entry in entries.flatten() {
        let file = entry.file_name();
        let pid = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !proc.join(pid.to_string()).exists()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Reads a model file, checking it whole.
pub fn load(path: &Path) -> Result<SavedModel> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |msg: String| Error::format(path, msg);
    let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let info = header
        .metadata()
        .as_ref()
        .ok_or_else(|| bad("no gradus metadata (not a gradus model file)".into()))?;
    let json = info.get(FORMAT).ok_or_else(|| {
        bad(format!(
            "no '{FORMAT}' metadata (not a gradus model file, or another version)"
        ))
    })?;
    if let Some(digits) = recorded_checksum(json).map_err(&bad)? {
        let at = digits_at(&bytes, digits.as_bytes())
            .ok_or_else(|| bad("the metadata's checksum field is damaged".into()))?;
        let crc = format!("{:08x}", crc_without_digits(&bytes, at));
        if crc != digits {
            return Err(bad(format!(
                "the file is damaged: its CRC-32 is {crc}, it was written as {digits}"
            )));
        }
    }
    let meta: ModelMeta = serde_json::from_str(json).map_err(|e| bad(format!("bad gradus metadata: {e}")))?;
    let net = Network::new(meta.inputs, &meta.architecture, meta.outputs).map_err(|e| bad(e.to_string()))?;
    if meta.task == Task::Classify
        && (meta.n_classes < 2 || meta.outputs != meta.loss.outputs(Task::Classify, meta.n_classes).unwrap_or(0))
    {
        return Err(bad(format!(
            "{} outputs do not fit {} classes with the {} loss",
            meta.outputs, meta.n_classes, meta.loss
        )));
    }
    check_meta(&meta).map_err(bad)?;
    let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>> {
        let v: Vec<f32> = tensor_bytes(&st, name, Dtype::F32, shape)
            .map_err(&bad)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        finite(name, v.iter().position(|x| !x.is_finite())).map_err(&bad)?;
        Ok(v)
    };
    let mut params = Vec::with_capacity(net.layout().len().min(bytes.len() / 4));
    for seg in net.layout().segments() {
        params.extend(read(&seg.name, &seg.shape)?);
    }
    let d = [meta.inputs];
    let mut affine = Affine::new(read("preprocess.shift", &d)?, read("preprocess.scale", &d)?);
    if meta.target_scaling.is_some() {
        match read(TARGET, &[2])?[..] {
            [shift, scale] if scale != 0.0 => affine = affine.with_target(shift, scale),
            _ => return Err(bad(format!("tensor '{TARGET}' holds a zero scale"))),
        }
    }
    let mut meta = meta;
    if let Some(state) = &mut meta.progress {
        let train = meta
            .train
            .as_ref()
            .ok_or_else(|| bad("a checkpoint without its training configuration".into()))?;
        let n = [params.len()];
        let mut optimizer: State<f32> = train.strategy.init(0);
        optimizer.step = state.optimizer.step;
        for (name, buf) in optimizer.slots.iter_mut() {
            *buf = read(&format!("optimizer.{name}"), &n)?;
        }
        state.optimizer = optimizer;
        if let Some(best) = &mut state.best {
            best.params = read(BEST, &n)?;
        }
        if let Some(average) = &mut state.average {
            let mean: Vec<f64> = tensor_bytes(&st, AVERAGE, Dtype::F64, &n)
                .map_err(&bad)?
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect();
            finite(AVERAGE, mean.iter().position(|x| !x.is_finite())).map_err(&bad)?;
            *average = Average::from_mean(average.count(), mean);
        }
    }
    Ok(SavedModel { meta, params, affine })
}

/// The bytes of tensor `name` in `st`, checked to be of `dtype` and `shape`.
fn tensor_bytes<'a>(
    st: &SafeTensors<'a>,
    name: &str,
    dtype: Dtype,
    shape: &[usize],
) -> std::result::Result<&'a [u8], String> {
    let t = st.tensor(name).map_err(|_| format!("tensor '{name}' is missing"))?;
    if t.dtype() != dtype || t.shape() != shape {
        return Err(format!(
            "tensor '{name}' is {:?} {:?}, expected {dtype:?} {shape:?}",
            t.dtype(),
            t.shape()
        ));
    }
    Ok(t.data())
}

/// An error naming tensor `name` when `nonfinite`, the index of its first non-finite value, is
/// some.
fn finite(name: &str, nonfinite: Option<usize>) -> std::result::Result<(), String> {
    match nonfinite {
        Some(i) => Err(format!("tensor '{name}' holds a non-finite value at index {i}")),
        None => Ok(()),
    }
}

/// Checks that the parts of the metadata agree with each other: class names with classes, a
/// checkpoint's progress with its budget and its counters with each other.
fn check_meta(meta: &ModelMeta) -> std::result::Result<(), String> {
    if let Some(names) = &meta.class_names
        && names.len() != meta.n_classes
    {
        return Err(format!("{} class names for {} classes", names.len(), meta.n_classes));
    }
    if let Some(e) = &meta.encoding {
        e.check(meta.inputs)?;
    }
    if let Some(w) = &meta.class_weight {
        let n = w.weights.len();
        if meta.task != Task::Classify || n != meta.n_classes {
            return Err(format!("{n} class weights for {} classes", meta.n_classes));
        }
        crate::loss::ClassWeight::Given(w.weights.clone())
            .check()
            .map_err(|e| e.to_string())?;
    }
    let (Some(state), Some(train)) = (&meta.progress, &meta.train) else {
        return Ok(());
    };
    if state.epoch > train.epochs {
        return Err(format!(
            "the progress says epoch {}, beyond the run's {} epochs",
            state.epoch, train.epochs
        ));
    }
    if state.optimizer.step > state.step {
        return Err(format!(
            "the optimizer has taken {} steps, the run {}",
            state.optimizer.step, state.step
        ));
    }
    if let Some(count) = state.average.as_ref().map(Average::count)
        && (count == 0 || count > state.step)
    {
        return Err(format!(
            "the average counts {count} iterates, after {} steps",
            state.step
        ));
    }
    if let Some(best) = state.best.as_ref().filter(|b| b.epoch > state.epoch) {
        return Err(format!(
            "the best epoch {} lies beyond the progress (epoch {})",
            best.epoch, state.epoch
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> SavedModel {
        let arch: Architecture = "mlp:3".parse().unwrap();
        let net = Network::new(4, &arch, 2).unwrap();
        SavedModel {
            meta: ModelMeta {
                architecture: arch,
                inputs: 4,
                outputs: 2,
                loss: Loss::new("softmax", 1.0, 1.0).unwrap(),
                class_weight: None,
                regularizer: Regularizer::none(),
                task: Task::Classify,
                n_classes: 2,
                class_names: Some(vec!["a".into(), "b".into()]),
                scaling: Scaling::Unit,
                target_scaling: None,
                data: Some(DataOrigin {
                    spec: "digits".into(),
                    label_column: None,
                    split: SplitRule {
                        test_fraction: 0.2,
                        val_fraction: 0.0,
                        seed: 3,
                    },
                    absolute: None,
                    checksum: None,
                    header: None,
                    test_data: None,
                    val_data: None,
                    hash_bits: None,
                }),
                train: None,
                init: Init::Auto,
                progress: None,
                encoding: None,
            },
            params: net.init(1),
            affine: Affine::new(vec![0.0; 4], vec![0.5; 4]),
        }
    }

    #[test]
    fn round_trip_is_exact_and_uses_pytorch_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        let m = sample();
        save(&p, &m).unwrap();
        assert_eq!(load(&p).unwrap(), m);
        let bytes = std::fs::read(&p).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.tensor("layers.0.weight").unwrap().shape(), &[3, 4]);
        assert_eq!(st.tensor("layers.1.bias").unwrap().shape(), &[2]);
        assert!(
            std::fs::read_dir(dir.path()).unwrap().count() == 1,
            "no temporary file left"
        );
        // A temporary of a writer that was killed is removed at the next write; one of a
        // running process (this one's parent, say) is not.
        let dead = dir.path().join(format!(".m.safetensors.tmp{}", u32::MAX - 1));
        let alive = dir
            .path()
            .join(format!(".m.safetensors.tmp{}", std::os::unix::process::parent_id()));
        std::fs::write(&dead, b"half").unwrap();
        std::fs::write(&alive, b"half").unwrap();
        save(&p, &m).unwrap();
        assert!(!dead.exists() && alive.exists());
    }

    /// Every single-byte corruption and every truncation of a valid file fails with an error
    /// naming the file (the checksum catches those the format's own checks let through: a
    /// weight's bits, the header's padding); none panics.
    #[test]
    fn every_corruption_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        save(&p, &sample()).unwrap();
        let good = std::fs::read(&p).unwrap();
        let q = dir.path().join("bad.safetensors");
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..good.len() {
            let mut b = good.clone();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            b[i] ^= (state as u8) | 1;
            std::fs::write(&q, &b).unwrap();
            let e = load(&q).expect_err(&format!("byte {i} changed, and the file loaded"));
            let e = e.to_string();
            assert!(e.starts_with(&q.display().to_string()) && !e.contains('\n'), "{e}");
            std::fs::write(&q, &good[..i]).unwrap();
            assert!(load(&q).is_err(), "a file cut at byte {i} loaded");
        }
    }

    /// The checksum is the CRC-32 of the file with its digits as `0`s, computed here from the
    /// digits' place found by hand; a flipped weight bit names the mismatch; a file written
    /// before checksums (the same file without the field) still loads.
    #[test]
    fn the_checksum_covers_the_file_and_old_files_load() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        let m = sample();
        save(&p, &m).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let key = b"\\\"checksum\\\":\\\"";
        let at = bytes.windows(key.len()).position(|w| w == key).unwrap() + key.len();
        let mut zeroed = bytes.clone();
        zeroed[at..at + 8].copy_from_slice(b"00000000");
        let want = format!("{:08x}", crc32fast::hash(&zeroed));
        assert_eq!(&bytes[at..at + 8], want.as_bytes());
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        std::fs::write(&p, &flipped).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("the file is damaged: its CRC-32 is"), "{e}");
        // The same file as written before checksums existed.
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let json = &header.metadata().as_ref().unwrap()[FORMAT];
        let cut = json.rfind(",\"checksum\"").unwrap();
        let old = HashMap::from([(FORMAT.to_string(), format!("{}}}", &json[..cut]))]);
        let old = safetensors::tensor::serialize(st.tensors(), Some(old)).unwrap();
        assert!(!String::from_utf8_lossy(&old).contains("checksum"));
        std::fs::write(&p, &old).unwrap();
        assert_eq!(load(&p).unwrap(), m);
    }

    #[test]
    fn truncated_corrupt_and_hostile_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.safetensors");
        save(&p, &sample()).unwrap();
        let good = std::fs::read(&p).unwrap();
        let q = dir.path().join("bad.safetensors");
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            good[..5].to_vec(),
            good[..good.len() - 3].to_vec(),
            {
                // A header length claiming far more than the file holds.
                let mut b = good.clone();
                b[..8].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
                b
            },
            {
                let mut b = good.clone();
                b[20] = b'!';
                b
            },
            b"not a model at all, just text".to_vec(),
        ];
        for (i, c) in cases.iter().enumerate() {
            std::fs::write(&q, c).unwrap();
            let e = load(&q).unwrap_err().to_string();
            assert!(e.starts_with(&q.display().to_string()), "case {i}: {e}");
        }
        // Metadata claiming a gigantic network over a tiny file is refused before allocating.
        let mut m = sample();
        m.meta.architecture = "mlp:1000000".parse().unwrap();
        let text = String::from_utf8_lossy(&good).replace("\"hidden\":[3]", "\"hidden\":[1000000]");
        std::fs::write(&q, text.as_bytes()).unwrap();
        assert!(load(&q).is_err());
        // Metadata whose parts disagree.
        let mut m = sample();
        m.meta.class_names = Some(vec!["a".into(), "b".into(), "c".into()]);
        save(&p, &m).unwrap();
        assert!(
            load(&p)
                .unwrap_err()
                .to_string()
                .ends_with("3 class names for 2 classes")
        );
        // A column encoding that gives another number of inputs than the network has.
        let mut m = sample();
        m.meta.encoding = Some(Encoding {
            columns: crate::data::Columns {
                header: true,
                width: 3,
                label: Some("y".into()),
                features: vec![crate::data::columns::Column {
                    name: "city".into(),
                    levels: Some(vec!["a".into(), "b".into()]),
                }],
                unused: Vec::new(),
            },
            impute: None,
            fill: Vec::new(),
        });
        save(&p, &m).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(
            e.ends_with("the column encoding gives 2 inputs, the model has 4"),
            "{e}"
        );
        assert!(
            load(&dir.path().join("missing"))
                .unwrap_err()
                .to_string()
                .contains("No such file")
        );
    }
}
