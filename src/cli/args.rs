//! Flag definitions. Raw values only; each command's file turns them into
//! real objects (registry, workspace, detector) and validates them there.

use crate::script::Limits;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "anml",
    version,
    about = "Reproducible anomaly-detection research: detectors, datasets, metrics and sandboxed Rhai scripts"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// Workspace root: results/ and registry/ live here; scripts may not
    /// touch files outside it (or the data cache).
    #[arg(long, global = true, env = "ANML_WORKSPACE", default_value = ".")]
    pub workspace: PathBuf,
    /// Dataset cache directory [default: $ANML_DATA_DIR or the user cache dir].
    #[arg(long, global = true, env = "ANML_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Local mirror of dataset files, searched after the cache and before
    /// downloading (same layout: odds/NAME.mat, adbench/FILE.npz).
    #[arg(long, global = true, env = "ANML_DATA_MIRROR")]
    pub data_mirror: Option<PathBuf>,
    /// Never download; use only the cache and the mirror.
    #[arg(long, global = true)]
    pub offline: bool,
    /// Where the heavy work runs: cpu, cuda (an NVIDIA GPU, or an error
    /// naming what is missing) or auto (the GPU when one can be used, else
    /// the CPU with a one-line notice). The answers are the CPU's either
    /// way, so the device is not part of a run id.
    /// (Kept as text and parsed in `cli::run`, so that a bad value is
    /// reported at most 40 characters long, not echoed whole by clap.)
    #[arg(
        long,
        global = true,
        env = "ANML_DEVICE",
        default_value = "cpu",
        value_name = "auto|cpu|cuda"
    )]
    pub device: String,
    #[command(flatten)]
    pub limits: LimitOpts,
}

/// Sandbox limits for scripts.
#[derive(Debug, Clone, Args)]
pub struct LimitOpts {
    /// Rhai operations per evaluation (every `--max-*` limit is at least 1:
    /// a limit cannot be switched off).
    #[arg(long, global = true, default_value_t = Limits::default().max_operations,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_operations: u64,
    /// Function call nesting depth.
    #[arg(long, global = true, default_value_t = Limits::default().max_call_depth, value_parser = at_least_one())]
    pub max_call_depth: usize,
    /// Characters in one string.
    #[arg(long, global = true, default_value_t = Limits::default().max_string_size, value_parser = at_least_one())]
    pub max_string_size: usize,
    /// Elements in one array.
    #[arg(long, global = true, default_value_t = Limits::default().max_array_size, value_parser = at_least_one())]
    pub max_array_size: usize,
    /// Entries in one object map.
    #[arg(long, global = true, default_value_t = Limits::default().max_map_size, value_parser = at_least_one())]
    pub max_map_size: usize,
    /// Elements of a matrix or vector built from script values.
    #[arg(long, global = true, default_value_t = Limits::default().max_matrix_elements, value_parser = at_least_one())]
    pub max_matrix_elements: usize,
    /// Modules imported by one evaluation.
    #[arg(long, global = true, default_value_t = Limits::default().max_modules, value_parser = at_least_one())]
    pub max_modules: usize,
    /// Heap bytes the process may hold while a script runs (e.g. 4GiB,
    /// 512MiB, bytes).
    #[arg(long, global = true, default_value = "4GiB", value_parser = crate::memory::parse_size)]
    pub max_memory: usize,
}

/// A `usize` flag value of at least 1 (clap exits 2 on 0).
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

impl LimitOpts {
    /// The limits that differ from the defaults, as `--flag=value`
    /// arguments (what `anml jupyter install` records in the kernelspec).
    pub fn non_default_flags(&self) -> Vec<String> {
        let (l, d) = (self.to_limits(), Limits::default());
        let mut out = Vec::new();
        let mut push = |flag: &str, v: u64, default: u64| {
            if v != default {
                out.push(format!("--{flag}={v}"));
            }
        };
        push("max-operations", l.max_operations, d.max_operations);
        let u = |x: usize| x as u64;
        push("max-call-depth", u(l.max_call_depth), u(d.max_call_depth));
        push(
            "max-string-size",
            u(l.max_string_size),
            u(d.max_string_size),
        );
        push("max-array-size", u(l.max_array_size), u(d.max_array_size));
        push("max-map-size", u(l.max_map_size), u(d.max_map_size));
        push(
            "max-matrix-elements",
            u(l.max_matrix_elements),
            u(d.max_matrix_elements),
        );
        push("max-modules", u(l.max_modules), u(d.max_modules));
        push("max-memory", u(l.max_memory), u(d.max_memory));
        out
    }

    pub fn to_limits(&self) -> Limits {
        Limits {
            max_operations: self.max_operations,
            max_call_depth: self.max_call_depth,
            max_string_size: self.max_string_size,
            max_array_size: self.max_array_size,
            max_map_size: self.max_map_size,
            max_matrix_elements: self.max_matrix_elements,
            max_modules: self.max_modules,
            max_memory: self.max_memory,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one benchmark: split, fit, score, metrics; print a table and
    /// write a schema-valid result JSON.
    Benchmark(Box<BenchmarkArgs>),
    /// Run a Rhai experiment script in the sandbox (`anml sweep` is the
    /// same command: with --slurm it submits the script's sweeps).
    #[command(visible_alias = "sweep")]
    Script(ScriptArgs),
    /// List registered datasets.
    Datasets(ListArgs),
    /// List registered detectors with their parameters and defaults.
    Models(ListArgs),
    /// Interactive Rhai session with the anml API.
    Repl(ReplArgs),
    /// A Jupyter kernel for `.rhai`/`.ipynb` notebooks in JupyterLab and VS
    /// Code (`anml jupyter install` first), or install its kernelspec.
    Jupyter(JupyterArgs),
    /// The model registry: list, show and verify published models.
    Registry(RegistryArgs),
    /// Why a published model scores a dataset row as it does: per-feature
    /// contributions (additive detectors), squared differences to the
    /// neighbours (k-NN) or DIFFI importances (isolation_forest).
    Explain(ExplainArgs),
    /// Work with run stores (results/{experiment}/runs).
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Time series: list the registered series, compute a matrix profile.
    #[command(subcommand, visible_alias = "timeseries")]
    Series(SeriesCommand),
    /// Notebooks: run a `// %%` .rhai file and render it as an HTML or
    /// Markdown report with provenance, or check that it reproduces.
    #[command(subcommand)]
    Notebook(NotebookCommand),
    /// Time fit + score of one detector on one dataset, seed by seed, in
    /// process (the anml side of scripts/peer_bench.py).
    Perf(PerfArgs),
}

/// `anml perf`
#[derive(Debug, Args)]
pub struct PerfArgs {
    /// Registered dataset name (see `anml datasets`).
    #[arg(long)]
    pub dataset: String,
    /// Registered detector name (see `anml models`).
    #[arg(long)]
    pub model: String,
    /// Seeds: `A-B` (inclusive) or a comma list.
    #[arg(long, default_value = "0-9")]
    pub seeds: String,
    /// Split protocol (see `anml benchmark --help`).
    #[arg(long, default_value = "pyod")]
    pub protocol: String,
    /// Detector parameter as NAME=VALUE (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Fit + score each seed this many times and report the medians (for
    /// pairs too fast for one run's time to mean much).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeats: u32,
    /// Print the report as JSON (per-seed times, median, peak RSS, BLAS).
    #[arg(long)]
    pub json: bool,
}

/// `anml notebook ...`
#[derive(Debug, Subcommand)]
pub enum NotebookCommand {
    /// Run every cell and write the report(s) and the JSON record; with
    /// --check, re-run and compare with the record instead.
    Run(NotebookRunArgs),
    /// Convert a notebook between the percent format (.rhai) and Jupyter
    /// (.ipynb, nbformat 4.5); .rhai → .ipynb → .rhai gives the same bytes.
    Convert(NotebookConvertArgs),
}

/// The format `anml notebook convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NotebookFormat {
    /// Jupyter notebook (nbformat 4.5).
    Ipynb,
    /// Percent-format `.rhai` notebook.
    Rhai,
}

impl NotebookFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            NotebookFormat::Ipynb => "ipynb",
            NotebookFormat::Rhai => "rhai",
        }
    }
}

#[derive(Debug, Args)]
pub struct NotebookConvertArgs {
    /// The notebook to convert (.rhai for --to ipynb, .ipynb for --to rhai).
    pub file: PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    pub to: NotebookFormat,
    /// Where to write [default: FILE with the new extension].
    #[arg(long, short, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct NotebookRunArgs {
    /// The notebook: a .rhai file with `// %%` cells, or a Jupyter .ipynb
    /// (with --check: an executed one carries its record).
    pub file: PathBuf,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Write a Markdown report here (figures as PNGs in OUT_files/).
    #[arg(long, value_name = "OUT.md")]
    pub md: Option<PathBuf>,
    /// The JSON record [default: the --html (else --md) path with .json].
    #[arg(long, value_name = "OUT.json")]
    pub sidecar: Option<PathBuf>,
    /// Write the executed notebook as Jupyter .ipynb here (outputs, and the
    /// record as metadata.anml for --check).
    #[arg(long, value_name = "OUT.ipynb")]
    pub ipynb: Option<PathBuf>,
    /// Hide all code in the reports.
    #[arg(long)]
    pub no_code: bool,
    /// Re-run and compare with the record; write nothing; exit 1 on any
    /// difference beyond the tolerance.
    #[arg(long)]
    pub check: bool,
    /// Relative tolerance for --check: |a-b| <= tol * max(1, |a|, |b|).
    #[arg(long, default_value_t = 1e-9)]
    pub tolerance: f64,
    /// Experiment name for runs the notebook files [default: file stem].
    #[arg(long)]
    pub experiment: Option<String>,
}

/// `anml series ...`
#[derive(Debug, Subcommand)]
pub enum SeriesCommand {
    /// List registered time series (UCR, NAB, GutenTAG, PyOD, Daphnet).
    List(ListArgs),
    /// Matrix profile (STOMP self-join) of a univariate series; prints the
    /// top discords, or with --json the timing of each repeat.
    Profile(ProfileArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["input", "series"])))]
pub struct ProfileArgs {
    /// A 1-D float64 .npy file, or a CSV (its first value column).
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// A registered series (see `anml series list`).
    #[arg(long)]
    pub series: Option<String>,
    /// Subsequence length.
    #[arg(long)]
    pub m: usize,
    /// Compute the profile this many times (for timing), 1 to 10000.
    #[arg(long, default_value_t = 1,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=10_000))]
    pub repeat: usize,
    /// Number of discords to print, 1 to 10000.
    #[arg(long, default_value_t = 3,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub discords: usize,
    /// Print one JSON object: n, m, threads, seconds per repeat, discords.
    #[arg(long)]
    pub json: bool,
    /// Write the profile as a 1-D float64 .npy file.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

/// `anml results ...`
#[derive(Debug, Subcommand)]
pub enum ResultsCommand {
    /// Combine run stores (e.g. the shards of one sweep) into one store and
    /// leaderboard; checks that shards belong to the same grid and reports
    /// missing runs.
    Merge(MergeArgs),
    /// How far a store is: done, failed and missing runs of its grid, and
    /// the Slurm state of its jobs when it was submitted with --slurm.
    Status(StatusArgs),
    /// Rewrite a store's leaderboards from the runs it holds (in its
    /// grid's order) and list the grid points it lacks; exits 1 when any
    /// are missing. The merge job of a --slurm sweep runs this.
    Report(ReportArgs),
    /// Export a run store as an MLflow file store (--mlflow PATH): one MLflow
    /// run per record with its params, metrics, tags and the record as an
    /// artefact. Re-exporting updates the same runs, never duplicates them.
    Export(ExportArgs),
    /// Compare the store's models over its datasets (Demšar 2006): average
    /// ranks, Friedman and Iman–Davenport tests, Nemenyi critical difference
    /// and groups, and per pair Wilcoxon (Holm-adjusted) and Nemenyi
    /// p-values with win/tie/loss counts. Datasets where a model is missing
    /// or failed are dropped and listed.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run store: an experiment directory holding runs/.
    pub dir: PathBuf,
    /// The MLflow file store to write (created, or an existing one; read it
    /// with tracking URI file://PATH and MLFLOW_ALLOW_FILE_STORE=true).
    #[arg(long, value_name = "PATH")]
    pub mlflow: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run store: an experiment directory holding runs/ (and sweep.json).
    pub dir: PathBuf,
    /// The tabular metric to compare (its direction decides rank 1).
    #[arg(long, default_value = crate::compare::DEFAULT_METRIC)]
    pub metric: String,
    /// Significance level of the critical difference, in (0, 1).
    #[arg(long, default_value_t = crate::compare::DEFAULT_ALPHA)]
    pub alpha: f64,
    /// Print the comparison as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run store: an experiment directory holding runs/ (and sweep.json).
    pub dir: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run store: an experiment directory holding runs/ (and sweep.json).
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Run stores to merge: experiment directories holding runs/ (and
    /// sweep.json when written by a sweep).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged store (created; not one of the inputs).
    #[arg(long)]
    pub output: PathBuf,
}

/// Scheduling flags shared by suites and scripts; they never change a result.
#[derive(Debug, Args, Clone)]
pub struct SweepFlags {
    /// Runs in flight, at most 1024 [default: one per core].
    #[arg(long, default_value_t = 0,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(0..=crate::bench::MAX_JOBS as u64))]
    pub jobs: usize,
    /// Re-run grid points whose results are already in the run store.
    #[arg(long)]
    pub force: bool,
    /// Run only slice i of N of the grid (i = 0..N-1), e.g. a Slurm array
    /// task: --shard $SLURM_ARRAY_TASK_ID/N. Merge with `anml results merge`.
    #[arg(long, value_name = "i/N")]
    pub shard: Option<String>,
    #[command(flatten)]
    pub slurm: SlurmFlags,
}

/// Submitting a sweep to Slurm instead of running it here.
#[derive(Debug, Args, Clone, Default)]
pub struct SlurmFlags {
    /// Submit to Slurm instead of running here: a job array whose task i
    /// runs this command with --shard i/N into the shared run store, and a
    /// merge job that writes the leaderboard once every task has ended.
    /// Prints the job ids and returns.
    #[arg(long, help_heading = "Slurm")]
    pub slurm: bool,
    /// Array tasks (shards of the grid) [default: 16, or the grid's size
    /// when smaller].
    #[arg(long, help_heading = "Slurm", value_name = "N", requires = "slurm",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(1..=crate::slurm::MAX_ARRAY_SIZE as u64))]
    pub array_size: Option<usize>,
    /// Partition (or comma list of partitions) to submit to.
    #[arg(long, help_heading = "Slurm", requires = "slurm")]
    pub partition: Option<String>,
    /// Wall-time limit per array task and for the merge job (Slurm's
    /// format: MM, HH:MM:SS, D-HH:MM, ...).
    #[arg(long, help_heading = "Slurm", requires = "slurm")]
    pub time: Option<String>,
    /// Memory per array task's node, e.g. 8G.
    #[arg(long, help_heading = "Slurm", requires = "slurm")]
    pub mem: Option<String>,
    /// CPUs per array task; each task then runs that many runs at once
    /// (--jobs).
    #[arg(long, help_heading = "Slurm", value_name = "N", requires = "slurm",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(1..=crate::bench::MAX_JOBS as u64))]
    pub cpus_per_task: Option<usize>,
    /// Account to charge.
    #[arg(long, help_heading = "Slurm", requires = "slurm")]
    pub account: Option<String>,
    /// A further sbatch option for both jobs, as one long option
    /// (--sbatch-arg=--qos=low); repeatable.
    #[arg(
        long = "sbatch-arg",
        help_heading = "Slurm",
        value_name = "--OPTION[=VALUE]",
        requires = "slurm",
        allow_hyphen_values = true
    )]
    pub sbatch_args: Vec<String>,
    /// Print the batch scripts and the sbatch commands; submit nothing.
    #[arg(long, help_heading = "Slurm", requires = "slurm")]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["dataset", "suite"])))]
pub struct BenchmarkArgs {
    /// Registered dataset name (see `anml datasets`).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Registered detector name (see `anml models`), for one run.
    #[arg(long, conflicts_with = "suite")]
    pub model: Option<String>,
    /// Run a grid over a collection: `odds` (17 ODDS datasets), `adbench`
    /// (43 ADBench datasets), or the time-series suites `nab` (58 NAB
    /// series: NAB scores, VUS) and `ucr` (the UCR-format series: hit/miss,
    /// VUS).
    #[arg(long, value_parser = ["odds", "adbench", "nab", "ucr"], conflicts_with = "dataset")]
    pub suite: Option<String>,
    /// Detectors for a suite: `all` or a comma list. In a time-series suite
    /// `matrix_profile` or any tabular detector (run on sliding windows);
    /// `all` there is matrix_profile,isolation_forest,knn,lof,pca,hbos.
    #[arg(long, requires = "suite", default_value = "all")]
    pub models: String,
    /// Datasets (series) for a suite: `all` (the whole collection) or a
    /// comma list.
    #[arg(long, requires = "suite", default_value = "all")]
    pub datasets: String,
    /// Compare the suite's mean ROC-AUC per model with a reference table
    /// (for PyOD's: tests/fixtures/pyod_suite/mean_roc_auc.json); prints
    /// the comparison and writes comparison.md beside the leaderboard.
    #[arg(long, requires = "suite", value_name = "FILE")]
    pub compare: Option<PathBuf>,
    /// Seeds for a suite: `A-B` (inclusive) or a comma list [default: 0-9;
    /// time-series suites: 0].
    #[arg(long, requires = "suite")]
    pub seeds: Option<String>,
    #[command(flatten)]
    pub sweep: SweepFlags,
    /// Detector parameter as NAME=VALUE (repeatable); VALUE is JSON or a
    /// bare string, e.g. --param n_estimators=200. In a suite a JSON array
    /// is a grid: --param 'n_estimators=[50,100]' (applied to the models
    /// that have the parameter).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Seed for the split and the detector's randomness (one run).
    #[arg(long, default_value_t = 0, conflicts_with = "suite")]
    pub seed: u64,
    /// Split protocol: holdout60 (anml's seeded shuffle, the default) or
    /// pyod (bit-exact PyOD benchmark split, contamination = anomaly
    /// ratio). Time-series suites score whole series (`timeseries`, their
    /// only protocol).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Threshold method whose F1, precision and recall are printed and
    /// shown in the leaderboard [default: contamination]. Every method is
    /// recorded in each run's `thresholds`, so this changes no record.
    #[arg(long, value_name = "METHOD", value_parser = clap::builder::PossibleValuesParser::new(crate::thresholds::names()))]
    pub threshold: Option<String>,
    /// Experiment name; a single result is filed in the run store,
    /// results/{experiment}/runs/{run_id}.json, unless --output is given
    /// [default: the dataset name; for a suite, the suite name].
    #[arg(long)]
    pub experiment: Option<String>,
    /// Result file (one run) or output directory (suite).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Publish the run's fitted model to the workspace registry under NAME
    /// (one run only); the version is `--bump patch` unless given.
    #[arg(long, value_name = "NAME", conflicts_with = "suite")]
    pub publish: Option<String>,
    /// With --publish: the next version after the highest published
    /// release, `patch`, `minor` or `major` (the first release is 1.0.0).
    #[arg(long, value_parser = ["patch", "minor", "major"], requires = "publish", conflicts_with = "publish_version")]
    pub bump: Option<String>,
    /// With --publish: exactly this version (X.Y.Z); published versions are
    /// immutable, so an existing one is an error.
    #[arg(
        long = "version",
        id = "publish_version",
        value_name = "X.Y.Z",
        requires = "publish"
    )]
    pub publish_version: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Every published model: name, version, detector, dataset, date, digest.
    List(ListArgs),
    /// One model's metadata: NAME, NAME@1.2.3 (exact), NAME@^1.2 or any
    /// semver requirement; the highest matching version is shown.
    Show(RegistryShowArgs),
    /// Re-hash every published model and check its metadata; exits 1 and
    /// names each bad entry if any is bad.
    Verify,
}

/// `anml explain`
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Published model: NAME, NAME@1.2.3 or a semver requirement (see
    /// `anml registry list`).
    #[arg(long, value_name = "NAME@VERSION")]
    pub model: String,
    /// Registered dataset [default: the model's training dataset]; it must
    /// be the one the model was fitted on (its input is scaled as then).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Row index into the dataset's full matrix (0-based).
    #[arg(long)]
    pub row: usize,
    /// Show only the N features with the largest |contribution|.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub top: Option<u64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also save a bar chart of the top features (default 10) as SVG or PNG.
    #[arg(long, value_name = "FILE.svg|png")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RegistryShowArgs {
    /// NAME[@VERSION|@REQUIREMENT]
    pub spec: String,
    /// Print JSON (the meta.json contents).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ScriptArgs {
    /// The .rhai script to run.
    pub file: PathBuf,
    /// Run only if the script's SHA-256 is this (what --slurm gives each
    /// array task, so a script edited after submission is refused instead
    /// of giving different run ids in different tasks).
    #[arg(long, hide = true, value_name = "SHA256")]
    pub script_sha256: Option<String>,
    /// Experiment name [default: the script's file stem].
    #[arg(long)]
    pub experiment: Option<String>,
    #[command(flatten)]
    pub sweep: SweepFlags,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `anml jupyter`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JupyterArgs {
    #[command(subcommand)]
    pub command: Option<JupyterCommand>,
    /// Run the kernel on the connection file Jupyter wrote (the kernelspec
    /// passes it).
    #[arg(long, short = 'f', value_name = "FILE")]
    pub connection_file: Option<PathBuf>,
}

/// `anml jupyter ...`
#[derive(Debug, Subcommand)]
pub enum JupyterCommand {
    /// Write the `anml` kernelspec (kernel.json and logos) where Jupyter
    /// finds it [default: --user].
    Install(JupyterInstallArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("where").args(["user", "sys_prefix", "prefix"])))]
pub struct JupyterInstallArgs {
    /// In your Jupyter data directory ($JUPYTER_DATA_DIR or
    /// ~/.local/share/jupyter).
    #[arg(long)]
    pub user: bool,
    /// In the active virtualenv or conda environment (or the one anml is
    /// installed in).
    #[arg(long)]
    pub sys_prefix: bool,
    /// Under PREFIX/share/jupyter.
    #[arg(long, value_name = "PREFIX")]
    pub prefix: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplArgs {
    /// A script to run first; its variables stay in scope.
    pub file: Option<PathBuf>,
    /// Do not run `$XDG_CONFIG_HOME/anml/init.rhai` (~/.config/anml/init.rhai).
    #[arg(long)]
    pub no_init: bool,
}
