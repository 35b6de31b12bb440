//! Command-line arguments (clap). Values are parsed by the library's `FromStr` impls, so a bad
//! value is reported with the flag's name and the valid forms.

use clap::{Args, Parser, Subcommand};
use gradus::data::batch::BatchSize;
use gradus::optim::{Convention, Preset};
use std::path::PathBuf;

/// Train linear models and multilayer perceptrons with SGD and its relatives, and see how the
/// optimisation behaves.
#[derive(Parser, Debug)]
#[command(name = "gradus", version, about, propagate_version = true, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model and report its accuracy (or RMSE) on the test split.
    Train(Box<TrainArgs>),
    /// Evaluate a saved model: loss, accuracy, per-class precision and recall, confusion matrix.
    Eval(EvalArgs),
    /// Predict with a saved model, one CSV row per example.
    Predict(PredictArgs),
    /// The loss of one example and its gradient with respect to the scores.
    Loss(LossArgs),
    /// Check the analytic gradient against centred differences, tensor by tensor.
    Gradcheck(GradcheckArgs),
    /// Run an update rule on a 2-D test function: its path as CSV, a contour plot, an animation.
    Trajectory(TrajectoryArgs),
    /// A learning-rate schedule, tick by tick, as CSV or a plot.
    Schedule(ScheduleArgs),
    /// Choose hyperparameters by cross-validation: grid or random search, with successive
    /// halving; the best configuration is retrained and scored once on the test split.
    Tune(Box<TuneArgs>),
    /// Random search, random local search and minibatch SGD on the same data with the same
    /// budget of example evaluations: a CSV and a chart of objective and test accuracy.
    CompareStrategies(Box<CompareStrategiesArgs>),
    /// Render a training run's report page again from its directory (train --report DIR).
    Report(ReportArgs),
    /// The objective along a line or on a plane through parameter space, with the optimizer's
    /// path: CSV, a line plot or a heat map.
    Landscape(Box<LandscapeArgs>),
    /// One of the lectures' experiments: its data as CSV, its figures as SVG and PNG, and a
    /// summary of its key numbers (--list names them).
    Experiment(ExperimentArgs),
}

/// `gradus landscape`.
#[derive(Args, Debug)]
pub struct LandscapeArgs {
    /// A saved model file, or an architecture (linear, mlp:H1,…) whose weights are drawn at
    /// random (--init, --init-seed) for the data (--data).
    #[arg(long, value_name = "PATH|ARCH")]
    pub model: String,
    /// The data spec (default: the model's own; digits for an architecture).
    #[arg(long)]
    pub data: Option<String>,
    /// For CSV data: the label column (default: the model's).
    #[arg(long, value_name = "NAME|INDEX")]
    pub label_column: Option<String>,
    /// Which rows: train (default), test or all.
    #[arg(long, value_enum, default_value = "train")]
    pub split: Split,
    /// Only this row (0-based, within --split): the lectures' single-example slice.
    #[arg(long, value_name = "I", conflicts_with = "examples")]
    pub example: Option<usize>,
    /// Only the first N rows of --split.
    #[arg(long, value_name = "N")]
    pub examples: Option<usize>,
    /// random (seeded Gaussian), filter (Gaussian, each weight row scaled to the norm of θ₀'s
    /// row, biases zero: Li et al. 2018) or pca (the first principal directions of --path).
    /// Default: filter for a saved model, random for random weights.
    #[arg(long, value_name = "HOW")]
    pub directions: Option<String>,
    /// A path recorded by `train --record-path`, projected onto the plane and drawn on it.
    #[arg(long, value_name = "FILE")]
    pub path: Option<PathBuf>,
    /// 1 (a line, a) or 2 (a plane, a and b).
    #[arg(long, default_value_t = 2)]
    pub dims: usize,
    /// The coordinates' range, a,b.
    #[arg(long, default_value = "-1,1", allow_hyphen_values = true)]
    pub range: String,
    /// Points along each axis.
    #[arg(long, default_value_t = 51)]
    pub points: usize,
    /// Seed of the random directions.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// For an architecture: the loss (default softmax).
    #[arg(long)]
    pub loss: Option<String>,
    /// For an architecture: the penalty, none, l2:λ, l1:λ or elastic:λ,β.
    #[arg(long)]
    pub reg: Option<String>,
    /// For an architecture: the weight initialisation (see train --init).
    #[arg(long, value_name = "INIT")]
    pub init: Option<String>,
    /// For an architecture: the seed of its random weights.
    #[arg(long, value_name = "S")]
    pub init_seed: Option<u64>,
    /// Add the accuracy at each point to the CSV.
    #[arg(long)]
    pub accuracy: bool,
    /// Write the grid as CSV here (default: stdout, unless --plot is given).
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Draw it (.svg or .png): a line plot for --dims 1, a heat map with contours for 2.
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// Threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print a JSON summary on the last line of stdout (with --csv or --plot).
    #[arg(long)]
    pub json: bool,
}

/// `gradus report RUN_DIR`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The run directory `train --report` wrote: its run.json is read and report.html written.
    #[arg(value_name = "RUN_DIR")]
    pub dir: PathBuf,
}

/// Where the data comes from and how it is split.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// digits (embedded, default), fashion-mnist[:DIR], mnist:DIR or csv:PATH.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// For CSV data: the label column, by header name or 0-based index (default: the last).
    #[arg(long, value_name = "NAME|INDEX")]
    pub label_column: Option<String>,
    /// For CSV data: classify (labels are classes; the default) or regress (labels are real
    /// values).
    #[arg(long, value_parser = ["classify", "regress"])]
    pub task: Option<String>,
    /// Fraction held out for testing when the data has no official test split (0: train on
    /// every row; the test figures are then null).
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// For CSV data: the feature columns, by header name or 0-based index, comma-separated, in
    /// the model's order (default: every column but the label and --ignore-columns).
    #[arg(long, value_name = "COLUMNS")]
    pub features: Option<String>,
    /// For CSV data: columns to leave out, by header name or 0-based index, comma-separated.
    #[arg(long, value_name = "COLUMNS")]
    pub ignore_columns: Option<String>,
    /// For CSV data: columns of categories, one-hot encoded with the training rows' categories
    /// (one seen only later is encoded as all zeros), comma-separated; or auto: each column
    /// whose first row holds text, with at most 50 distinct values.
    #[arg(long, value_name = "COLUMNS|auto")]
    pub categorical: Option<String>,
    /// For CSV data: whether the first line is a header: yes, no, or auto (a header when a
    /// feature field, or only the first row's label, is not a number).
    #[arg(long, value_name = "auto|yes|no")]
    pub header: Option<String>,
    /// For CSV data: the most MiB one record (line) may hold; reading a longer one stops with
    /// an error (a field may hold at most 1 MiB).
    #[arg(long, default_value_t = 16, value_name = "MIB")]
    pub max_record_mib: usize,
    /// For LIBSVM data: hash feature indices into 2^B features (1 ≤ B ≤ 31; MurmurHash3 x86_32
    /// of the index, colliding values summed), so that the model has 2^B × outputs weights
    /// whatever the files' index range; the model file records B.
    #[arg(long, value_name = "B")]
    pub hash_bits: Option<u32>,
}

/// The model and its objective.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// linear, or mlp:H1,H2,… for a multilayer perceptron.
    #[arg(long, default_value = "linear")]
    pub model: String,
    /// Hidden-layer activation: relu, leaky-relu, sigmoid or tanh.
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// Weight initialisation: auto (he before relu and leaky-relu, glorot otherwise), he,
    /// glorot, normal:σ or zeros; biases start at 0.
    #[arg(long, default_value = "auto", value_name = "INIT")]
    pub init: String,
    /// svm, squared-svm, softmax, logistic (binary), squared or huber (regression) (default:
    /// softmax, and squared with --task regress).
    #[arg(long)]
    pub loss: Option<String>,
    /// Margin Δ of the SVM losses (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub margin: Option<f64>,
    /// Threshold δ of the Huber loss (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub delta: Option<f64>,
    /// Weight of each class's rows in the data loss, (1/N) Σ w_{y_i} L_i (scikit-learn's
    /// class_weight): balanced (N / (classes · rows of the class), on the training rows) or
    /// W0,W1,… (one weight ≥ 0 per class, in the order of the class indices). Default: all 1.
    #[arg(long, value_name = "balanced|W0,W1,…", allow_hyphen_values = true)]
    pub class_weight: Option<String>,
    /// none, l2:λ, l1:λ or elastic:λ,β.
    #[arg(long, default_value = "none")]
    pub reg: String,
    /// Regularise the biases too.
    #[arg(long)]
    pub reg_bias: bool,
}

/// The update rule and its step sizes.
#[derive(Args, Debug, Clone)]
pub struct OptimArgs {
    /// sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam or adamw; for train also the
    /// derivative-free random-search (--trials, --init-scale) and random-local-search (--trials,
    /// --step).
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    /// Base learning rate α₀. Default for train: one that trains standardized data well (sgd
    /// 0.1, momentum and nesterov 0.01, adagrad 0.1, rmsprop 0.01, adadelta 1, adam and adamw
    /// 0.01; --preset torch for torch's); for trajectory: torch's.
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Momentum μ (momentum, nesterov, rmsprop).
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    /// Dampening of the momentum buffer (momentum).
    #[arg(long, allow_negative_numbers = true)]
    pub dampening: Option<f64>,
    /// Decay ρ of the running averages (rmsprop, adadelta).
    #[arg(long, allow_negative_numbers = true)]
    pub rho: Option<f64>,
    /// Adam's β₁.
    #[arg(long, allow_negative_numbers = true)]
    pub beta1: Option<f64>,
    /// Adam's β₂.
    #[arg(long, allow_negative_numbers = true)]
    pub beta2: Option<f64>,
    /// The ε of the adaptive rules.
    #[arg(long, allow_negative_numbers = true)]
    pub eps: Option<f64>,
    /// Weight decay λ (decoupled for adamw, added to the gradient otherwise).
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,
    /// AdaGrad's learning-rate decay.
    #[arg(long, allow_negative_numbers = true)]
    pub lr_decay: Option<f64>,
    /// Centered RMSprop.
    #[arg(long)]
    pub centered: bool,
    /// The AMSGrad variant of Adam.
    #[arg(long)]
    pub amsgrad: bool,
    /// The form of the rule: torch (default: torch.optim's) or textbook (momentum with the lr
    /// inside the velocity, Nesterov's gradient at the look-ahead point, ε inside the square
    /// root of adagrad, rmsprop, adam and adamw).
    #[arg(long, value_name = "FORM", value_parser = parse_convention)]
    pub convention: Option<Convention>,
    /// Clip the global gradient norm to C.
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub clip_norm: Option<f64>,
    /// constant, step:EVERY,GAMMA, multistep:E1+E2+…,GAMMA, exp:GAMMA, inverse-time:K,
    /// power:K,P, cosine, plateau:PATIENCE,FACTOR, or scikit-learn's optimal:ALPHA,
    /// invscaling:POWER and adaptive:PATIENCE,TOL.
    #[arg(long, default_value = "constant")]
    pub schedule: String,
    /// Linear warm-up over the first N optimizer steps.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub warmup: u64,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub optim: OptimArgs,
    /// Feature scaling fitted on the training split: none, unit, center or standardize.
    #[arg(long, default_value = "standardize")]
    pub scale: String,
    /// Scaling of a regressor's targets, fitted on the training split: none, unit, center or
    /// standardize (default for regression: standardize; predictions are mapped back).
    #[arg(long, value_name = "SCALING")]
    pub target_scale: Option<String>,
    /// For CSV data: fill missing values (empty, NA or NaN fields) of numeric columns with the
    /// mean, median or zero, from the training rows (default: missing values are errors).
    #[arg(long, value_name = "HOW")]
    pub impute: Option<String>,
    /// Test rows of their own, in the training data's format and read with its column mapping
    /// (CSV data); no test split is drawn.
    #[arg(long, value_name = "SPEC", conflicts_with = "test_fraction")]
    pub test_data: Option<String>,
    /// Validation rows of their own, read as --test-data is; no validation split is drawn.
    #[arg(long, value_name = "SPEC", conflicts_with = "val_fraction")]
    pub val_data: Option<String>,
    /// Whose default learning rates apply when --lr is not given: gradus (rates that train
    /// standardized data well) or torch (torch.optim's, for parity).
    #[arg(long, default_value = "gradus", value_parser = parse_preset)]
    pub preset: Preset,
    /// Maximum number of epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: u64,
    /// Train on a LIBSVM or CSV file read in windows of --shuffle-buffer rows, parsed on a second
    /// thread, with bounded memory; each window is one epoch of the trainer's seeded order over
    /// its rows, the training state carried across windows.
    #[arg(long)]
    pub stream: bool,
    /// With --stream: rows per window (the rows held and shuffled at once).
    #[arg(long, default_value_t = 65_536, value_name = "R")]
    pub shuffle_buffer: usize,
    /// With --stream: passes over the file (default --epochs).
    #[arg(long, value_name = "N")]
    pub passes: Option<u64>,
    /// Rows per batch, or 'full' for full-batch gradient descent (1: single-example SGD).
    #[arg(long, default_value = "64", value_parser = parse_batch)]
    pub batch_size: BatchSize,
    /// Stop when the epoch objective changes by at most ε in --tol-epochs epochs in a row.
    #[arg(long, value_name = "ε", allow_negative_numbers = true)]
    pub tol: Option<f64>,
    /// How many epochs in a row the change must stay within --tol (one calm epoch is not enough
    /// for momentum, which stalls at its turning points).
    #[arg(long, value_name = "K", default_value_t = gradus::train::DEFAULT_TOL_EPOCHS)]
    pub tol_epochs: u64,
    /// Stop when the gradient norm ‖∇L‖ on the training split is at most G (costs one extra
    /// gradient pass per epoch).
    #[arg(long, value_name = "G", allow_negative_numbers = true)]
    pub grad_tol: Option<f64>,
    /// Stop when the validation loss has not improved for PATIENCE epochs (keeps the best).
    #[arg(long, value_name = "PATIENCE")]
    pub early_stopping: Option<u64>,
    /// Polyak–Ruppert averaging: the model is the mean of the iterates after optimizer steps
    /// K, K+1, … (K ≥ 1; the iterate before step K), while the steps go on from the iterate.
    /// The mean is what predicts, is saved, and is validated for --early-stopping.
    #[arg(long, value_name = "K")]
    pub average: Option<u64>,
    /// Fraction of the training split held out for validation (default 0.1 with
    /// --early-stopping, else 0).
    #[arg(long)]
    pub val_fraction: Option<f64>,
    /// Seed of the initialisation, the splits and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// How an epoch draws its rows: permutation (each row once, shuffled), replacement (the
    /// lectures' "pick i at random": rows drawn independently, with replacement) or sequential
    /// (each row once, in the data's order).
    #[arg(long, default_value = "permutation", value_name = "HOW")]
    pub sampling: String,
    /// Keep these layers (layers.0) or tensors (layers.1.bias) at their initial values,
    /// comma-separated; freezing the hidden layers gives a random-features model.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub freeze: Vec<String>,
    /// analytic (backpropagation), or numerical[:centred|forward]: finite differences of the
    /// objective, 2n + 1 (n + 1) evaluations per step for n parameters — for small models.
    #[arg(long, default_value = "analytic", value_name = "HOW")]
    pub gradient: String,
    /// random-search and random-local-search: trials in all, each evaluating the objective on
    /// the whole training split (N example-loss evaluations for N rows), shared out over
    /// --epochs.
    #[arg(long, value_name = "N")]
    pub trials: Option<u64>,
    /// random-local-search: the scale σ of its Gaussian perturbations θ + σ·z.
    #[arg(long, value_name = "σ", allow_negative_numbers = true)]
    pub step: Option<f64>,
    /// random-search: the scale σ of its Gaussian draws θ = σ·z (default 0.01).
    #[arg(long, value_name = "σ", allow_negative_numbers = true)]
    pub init_scale: Option<f64>,
    /// Threads for the matrix products (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Train data-parallel, one rank per process of `mpirun -np P gradus train --distributed
    /// …` (a gradus built with --features mpi): every rank reads the data and computes its part
    /// of each batch, and rank 0 alone writes the results.
    #[arg(long)]
    pub distributed: bool,
    /// With --distributed, how the ranks' gradients are combined: exact (the same model bits
    /// as one process; a batch's work is shared by at most 4 ranks, one per 32 rows) or fast
    /// (an all-reduce over even shares of rows; equal to float rounding).
    #[arg(long, default_value = "exact", value_name = "HOW", requires = "distributed")]
    pub reduce: String,
    /// Save the trained model (safetensors) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Save a checkpoint (model and complete training state) here after every epoch, and on
    /// Ctrl-C; written atomically and checksummed.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Also save the checkpoint every N optimizer steps, within epochs (N ≥ 1).
    #[arg(long, value_name = "N", requires = "checkpoint")]
    pub checkpoint_every: Option<u64>,
    /// Continue training from a checkpoint; --epochs is the new total.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Draw the learning curves (objective per epoch, validation loss) into PATH.svg or PATH.png.
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// Train once per learning rate, e.g. 0.01,0.03,0.1, and draw their learning curves on one
    /// plot (--plot).
    #[arg(long, value_name = "LRS", conflicts_with_all = ["lr", "resume", "checkpoint", "out"], requires = "plot")]
    pub compare_lr: Option<String>,
    /// Record the optimizer's path, θ every --record-every steps (and at the start), in a
    /// compact binary file for `gradus landscape --path`.
    #[arg(long, value_name = "FILE", conflicts_with = "compare_lr")]
    pub record_path: Option<PathBuf>,
    /// Steps between the records of --record-path.
    #[arg(long, value_name = "K", default_value_t = 1, requires = "record_path")]
    pub record_every: u64,
    /// Write the per-epoch history (epoch, objective, accuracies, validation loss, lr,
    /// seconds) here, as CSV.
    #[arg(long, value_name = "PATH")]
    pub history: Option<PathBuf>,
    /// Print the result as one JSON object on the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// Write a training report into this directory: report.html (a self-contained page:
    /// configuration, data, learning curves, health figures, confusion matrix, per-class
    /// precision and recall, weight templates, timings) and run.json (the data it shows).
    #[arg(long, value_name = "DIR", conflicts_with = "compare_lr")]
    pub report: Option<PathBuf>,
    /// The arguments given on the command line (not defaulted), by id: a resumed run refuses
    /// those that conflict with its checkpoint.
    #[arg(skip)]
    pub given: Vec<String>,
}

#[derive(Args, Debug)]
pub struct TuneArgs {
    /// The training flags: the base configuration every trial starts from. --val-fraction F
    /// scores trials on one validation split instead of --folds; --out saves the best model
    /// (retrained on the whole training split); --resume FILE continues an interrupted search
    /// from its --results file; --plot PATH draws the metric against each hyperparameter
    /// (PATH-NAME.svg or .png).
    #[command(flatten)]
    pub train: TrainArgs,
    /// Every combination of these values, e.g. 'lr=1e-3,1e-2,1e-1 reg=l2:1e-5,l2:1e-4'
    /// (comma- or |-separated values; see --space).
    #[arg(long, value_name = "SPACE", conflicts_with_all = ["random", "space"])]
    pub grid: Option<String>,
    /// Draw N configurations at random from --space.
    #[arg(long, value_name = "N", requires = "space")]
    pub random: Option<usize>,
    /// What --random draws from, e.g. 'lr=log(1e-4,1) reg=l2:log(1e-6,1e-1)
    /// batch-size=32,64,256 momentum=uniform(0,0.99)': listed values uniformly, log(a,b)
    /// log-uniformly, uniform(a,b) uniformly.
    #[arg(long, value_name = "SPACE", requires = "random")]
    pub space: Option<String>,
    /// Score each trial by K-fold cross-validation (stratified for classification; default 5
    /// unless --val-fraction is given).
    #[arg(long, value_name = "K", conflicts_with = "val_fraction")]
    pub folds: Option<usize>,
    /// accuracy (default for classification), loss, or rmse (default for regression), on the
    /// held-out rows.
    #[arg(long)]
    pub metric: Option<String>,
    /// Successive halving with epochs as the resource: the best 1/--factor of the
    /// configurations go on to the next rung, trained --factor times longer, up to --epochs.
    #[arg(long)]
    pub halving: bool,
    /// The halving factor η.
    #[arg(long, default_value_t = 3, requires = "halving")]
    pub factor: usize,
    /// Train every configuration on its own. By default linear configurations that differ
    /// only in loss, penalty, update rule, learning rate, schedule or epochs train together,
    /// fold by fold, in one pass over the data (same results to float rounding, several times
    /// faster).
    #[arg(long)]
    pub separately: bool,
    /// Write each trial's result here as it finishes (JSON lines), then the whole table in
    /// order of rung and trial.
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CompareStrategiesArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Feature scaling fitted on the training split: none, unit, center or standardize.
    #[arg(long, default_value = "standardize")]
    pub scale: String,
    /// Example evaluations each strategy may use: E buys ⌊E/N⌋ passes over the N training rows
    /// (SGD: that many epochs of example gradients; random search: that many trials; random
    /// local search: one fewer, the first pass evaluating its start).
    #[arg(long, value_name = "E")]
    pub budget: u64,
    /// random-local-search: the scale σ of its perturbations.
    #[arg(long, value_name = "σ", default_value_t = 0.01, allow_negative_numbers = true)]
    pub step: f64,
    /// random-search: the scale σ of its draws (default 0.01).
    #[arg(long, value_name = "σ", allow_negative_numbers = true)]
    pub init_scale: Option<f64>,
    /// SGD's learning rate (default 0.1).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// SGD's rows per batch.
    #[arg(long, default_value = "64", value_parser = parse_batch)]
    pub batch_size: BatchSize,
    /// Seed of the initialisation, the splits, the batch order and the searches' draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads for the matrix products (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write the points (strategy, evaluations, objective, test loss, test accuracy) here, as
    /// CSV (default: stdout, unless --plot or --json is given).
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Draw the objective and the test accuracy against evaluations (.svg or .png).
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn parse_convention(s: &str) -> Result<Convention, String> {
    s.parse().map_err(|_| format!("must be torch or textbook, got '{s}'"))
}

fn parse_preset(s: &str) -> Result<Preset, String> {
    s.parse().map_err(|_| format!("must be gradus or torch, got '{s}'"))
}

fn parse_batch(s: &str) -> Result<BatchSize, String> {
    if s == "full" {
        return Ok(BatchSize::Full);
    }
    match s.parse::<usize>() {
        Ok(b) if b > 0 => Ok(BatchSize::Rows(b)),
        _ => Err(format!("must be a positive number of rows or 'full', got '{s}'")),
    }
}

/// Which rows of the data to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// The official test split; for data without one, the held-out rows of the model's own
    /// training run when it is the same data, else every row.
    Auto,
    /// The test split (official, or re-drawn with the model's seed and fraction).
    Test,
    /// The training split.
    Train,
    /// Every row.
    All,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The model file.
    #[arg(long = "model")]
    pub model: PathBuf,
    /// The data spec (default: the model's training data).
    #[arg(long)]
    pub data: Option<String>,
    /// For CSV data: the label column (default: the model's).
    #[arg(long, value_name = "NAME|INDEX")]
    pub label_column: Option<String>,
    /// Which rows to evaluate.
    #[arg(long, value_enum, default_value = "auto")]
    pub split: Split,
    /// Threads for the matrix products.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model file.
    #[arg(long = "model")]
    pub model: PathBuf,
    /// The data spec (default: the model's training data); a CSV file may leave out the
    /// label column.
    #[arg(long)]
    pub data: Option<String>,
    /// For CSV data: the label column to drop (default: the model's, if present).
    #[arg(long, value_name = "NAME|INDEX")]
    pub label_column: Option<String>,
    /// Which rows to predict (auto: every row of a CSV file, the official test split of IDX data).
    #[arg(long, value_enum, default_value = "auto")]
    pub split: Split,
    /// Write the CSV here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Class probabilities instead of classes (softmax and logistic models).
    #[arg(long)]
    pub proba: bool,
    /// Threads for the matrix products.
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Args, Debug)]
pub struct LossArgs {
    /// svm, squared-svm, softmax, logistic, squared or huber.
    #[arg(long)]
    pub loss: String,
    /// The scores, comma-separated (e.g. 3.2,5.1,-1.7).
    #[arg(long, allow_hyphen_values = true)]
    pub scores: String,
    /// The class label (classification losses).
    #[arg(long)]
    pub label: Option<u32>,
    /// The target value (regression losses).
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<f64>,
    /// Margin Δ of the SVM losses (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub margin: Option<f64>,
    /// Threshold δ of the Huber loss (default 1).
    #[arg(long, allow_negative_numbers = true)]
    pub delta: Option<f64>,
    /// Print {"loss": …, "grad": […]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct GradcheckArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Feature scaling fitted on the training split: none, unit, center or standardize.
    #[arg(long, default_value = "standardize")]
    pub scale: String,
    /// Rows of the training split to check on (a seeded sample).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub samples: usize,
    /// Step h of the centred difference (L(θ + h) − L(θ − h)) / 2h.
    #[arg(long, default_value_t = 1e-6, value_name = "h", allow_negative_numbers = true)]
    pub eps: f64,
    /// Absolute tolerance: a coordinate passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
    #[arg(long, default_value_t = 1e-5, allow_negative_numbers = true)]
    pub atol: f64,
    /// Relative tolerance (see --atol).
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub rtol: f64,
    /// Seed of the initialisation, the split, the rows and the sampled coordinates.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object with the per-tensor results.
    #[arg(long)]
    pub json: bool,
    /// Testing aid: multiply the analytic gradient of the output bias by 1 + REL.
    #[arg(long, hide = true, value_name = "REL", allow_negative_numbers = true)]
    pub break_gradient: Option<f64>,
}

#[derive(Args, Debug)]
pub struct TrajectoryArgs {
    /// booth, bowl, rosenbrock, beale, himmelblau, saddle or ravine:K.
    #[arg(long)]
    pub function: String,
    #[command(flatten)]
    pub optim: OptimArgs,
    /// The start point, e.g. --start -1.5,2 (or --start=-1.5,2).
    #[arg(long, value_name = "X,Y", allow_hyphen_values = true)]
    pub start: String,
    /// Number of update steps.
    #[arg(long, default_value_t = 100)]
    pub steps: u64,
    /// Standard deviation σ of Gaussian noise added to each gradient component, to mimic
    /// minibatch noise.
    #[arg(long, value_name = "σ", default_value_t = 0.0, allow_negative_numbers = true)]
    pub noise: f64,
    /// Seed of the gradient noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run several rules from the same start, e.g. sgd,momentum,nesterov,adagrad,rmsprop,adam
    /// (each at its torch.optim default lr unless --lr is given; a rule flag is used by the rules it applies
    /// to).
    #[arg(long, value_name = "RULES", conflicts_with_all = ["optimizer", "lr_sweep"])]
    pub compare: Option<String>,
    /// Run --optimizer at several learning rates, e.g. 0.01,0.09,0.1,0.12.
    #[arg(long, value_name = "LRS", conflicts_with = "lr")]
    pub lr_sweep: Option<String>,
    /// Write the CSV here (default: stdout, unless --plot or --animate is given).
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Draw the paths on a contour plot of the function (.svg or .png).
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
    /// Animate the paths, step by step (.gif).
    #[arg(long, value_name = "PATH")]
    pub animate: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScheduleArgs {
    /// constant, step:EVERY,GAMMA, multistep:E1+E2+…,GAMMA, exp:GAMMA, inverse-time:K,
    /// power:K,P, cosine, optimal:ALPHA or invscaling:POWER (each tick one row).
    #[arg(long, default_value = "constant")]
    pub schedule: String,
    /// Base learning rate α₀.
    #[arg(long, allow_negative_numbers = true)]
    pub lr: f64,
    /// Linear warm-up over the first N ticks.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub warmup: u64,
    /// Number of ticks N (each one epoch and one step, as in a trajectory; the horizon of
    /// cosine).
    #[arg(long, value_name = "N")]
    pub steps: u64,
    /// Write the CSV (step,lr) here instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub csv: Option<PathBuf>,
    /// Plot the rates (.svg or .png).
    #[arg(long, value_name = "PATH")]
    pub plot: Option<PathBuf>,
}

/// `gradus experiment NAME` or `gradus experiment --list`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_required = false)]
pub struct ExperimentArgs {
    /// Name the experiments, one line each.
    #[arg(long)]
    pub list: bool,
    #[command(subcommand)]
    pub name: Option<Experiment>,
}

/// The experiments.
#[derive(Subcommand, Debug)]
pub enum Experiment {
    /// Gradient descent on a quadratic and on the softmax objective at step sizes around the critical 2/L: crawling, converging, oscillating, diverging.
    StepSize(StepSizeArgs),
    /// Full-batch GD against minibatch and single-example SGD on 10 copies of 100 examples (Bottou & Bousquet).
    BatchVsOnline(BatchOnlineArgs),
    /// SGD with constant, 1/t and 1/√t steps on a noisy least-squares problem: the noise ball and the Robbins–Monro conditions.
    LrConditions(LrConditionsArgs),
    /// Bias², variance and E_out of polynomials of growing degree fitted to noisy samples of sin πx.
    BiasVariance(BiasVarianceArgs),
    /// Test error of random ReLU features against d/n, with gradient descent from 0 checked against the minimum-norm solution.
    DoubleDescent(DoubleDescentArgs),
    /// Ridge regression on the lectures' latitude/temperature table, trained and checked against the closed form.
    Regularization(RegularizationArgs),
    /// Hinge and cross-entropy losses on the lectures' score vectors, and what a small change of a score does to each.
    LossComparison(LossComparisonArgs),
    /// A trained linear classifier's rows of W as images, one tile per class.
    Templates(TemplatesArgs),
    /// The loss at small random weights for each classification loss, against ln C and (C − 1)Δ.
    InitLoss(InitLossArgs),
}

/// Where an experiment writes and its seed.
#[derive(Args, Debug, Clone)]
pub struct ExperimentCommon {
    /// The directory the CSV files and figures go to (created if missing).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Seed of the experiment's random draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

#[derive(Args, Debug)]
pub struct StepSizeArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// The quadratic: ravine:K is ½(x² + Ky²) (largest curvature max(1, K)); any 2-D test function works.
    #[arg(long, default_value = "ravine:4")]
    pub function: String,
    /// The start point.
    #[arg(long, value_name = "X,Y", default_value = "1,1", allow_hyphen_values = true)]
    pub start: String,
    /// Step sizes as multiples of the critical step 2/L.
    #[arg(long, value_name = "F1,F2,…", default_value = "0.05,0.45,0.9,1.05,3")]
    pub fractions: String,
    /// Gradient-descent steps.
    #[arg(long, default_value_t = 40)]
    pub steps: u64,
    /// The data set of the softmax part: digits, fashion-mnist[:DIR], mnist:DIR or csv:PATH.
    #[arg(long, default_value = "digits")]
    pub data: String,
}

#[derive(Args, Debug)]
pub struct BatchOnlineArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// The data set the distinct examples are drawn from.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// Distinct examples.
    #[arg(long, default_value_t = 100)]
    pub distinct: usize,
    /// Copies of them in the training set.
    #[arg(long, default_value_t = 10)]
    pub copies: usize,
    /// Passes over the training set each method gets.
    #[arg(long, default_value_t = 10)]
    pub epochs: u64,
    /// Rows per minibatch.
    #[arg(long, default_value_t = 10)]
    pub minibatch: usize,
    /// The step of every method (default 1/L, L the objective's curvature at 0).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
}

#[derive(Args, Debug)]
pub struct LrConditionsArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// Training rows.
    #[arg(long, default_value_t = 1000)]
    pub rows: usize,
    /// Features.
    #[arg(long, default_value_t = 5)]
    pub features: usize,
    /// Standard deviation of the label noise.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub noise: f64,
    /// Single-example SGD steps.
    #[arg(long, default_value_t = 20_000)]
    pub steps: u64,
    /// The base step η₀.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    pub lr: f64,
    /// The offset t₀ of ηₜ = η₀t₀/(t₀ + t) and η₀√(t₀/(t₀ + t)).
    #[arg(long, default_value_t = 100.0, allow_negative_numbers = true)]
    pub t0: f64,
}

#[derive(Args, Debug)]
pub struct BiasVarianceArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// Points per data set.
    #[arg(long, default_value_t = 10)]
    pub n: usize,
    /// Data sets.
    #[arg(long, default_value_t = 300)]
    pub datasets: usize,
    /// Standard deviation of the label noise.
    #[arg(long, default_value_t = 0.3, allow_negative_numbers = true)]
    pub noise: f64,
    /// Polynomial degrees of the models (0: the constant).
    #[arg(long, value_name = "K1,K2,…", default_value = "0,1,3,5")]
    pub degrees: String,
}

#[derive(Args, Debug)]
pub struct DoubleDescentArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// Training points.
    #[arg(long, default_value_t = 40)]
    pub n: usize,
    /// The input dimension p.
    #[arg(long, default_value_t = 3)]
    pub inputs: usize,
    /// Feature counts d (default: 25 from n/10 to 10n, and n).
    #[arg(long, value_name = "D1,D2,…")]
    pub widths: Option<String>,
    /// Standard deviation of the label noise.
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true)]
    pub noise: f64,
    /// Feature draws averaged per d.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Most gradient-descent steps per fit.
    #[arg(long, default_value_t = 100_000)]
    pub steps: u64,
}

#[derive(Args, Debug)]
pub struct RegularizationArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// The ridge strength λ of the objective (1/N) Σ ½(wx + b − y)² + λw².
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub lambda: f64,
    /// Fit raw values instead of standardized latitude and temperature.
    #[arg(long)]
    pub raw: bool,
    /// Training rows instead of the lectures' table: csv:PATH, one feature column and the target last.
    #[arg(long)]
    pub data: Option<String>,
    /// Test rows for --data, in the same form.
    #[arg(long, requires = "data")]
    pub test_data: Option<String>,
}

#[derive(Args, Debug)]
pub struct LossComparisonArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// Score vectors, separated by ';' (default: the lectures' three).
    #[arg(long, value_name = "S1,S2,…;…", allow_hyphen_values = true)]
    pub scores: Option<String>,
    /// The correct class.
    #[arg(long, default_value_t = 0)]
    pub label: u32,
    /// The hinge's margin Δ.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub margin: f64,
    /// The small change given to each score in turn.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    pub nudge: f64,
}

#[derive(Args, Debug)]
pub struct TemplatesArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// digits, fashion-mnist[:DIR] or mnist:DIR (square grey images).
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// Training epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: u64,
    /// The L2 strength λ.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub lambda: f64,
}

#[derive(Args, Debug)]
pub struct InitLossArgs {
    #[command(flatten)]
    pub common: ExperimentCommon,
    /// The data set.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// linear, or mlp:H1,H2,….
    #[arg(long, default_value = "linear")]
    pub model: String,
    /// Standard deviations of the initial weights.
    #[arg(long, value_name = "σ1,σ2,…", default_value = "0.0001,0.001,0.01,0.03,0.1,0.3,1")]
    pub sigmas: String,
}
