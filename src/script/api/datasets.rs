//! Script functions for datasets and splits.

use rhai::plugin::*;

#[export_module]
pub mod datasets_api {
    use crate::data::Protocol;
    use crate::script::HostContext;
    use crate::script::api::convert::{ctx_err, non_negative, run_options};
    use crate::script::types::{DatasetRef, Labels, Matrix, SplitRef};
    use rhai::{Array, Dynamic, EvalAltResult, Map, NativeCallContext};
    use std::sync::Arc;

    /// Load a registered dataset by name. Its file is SHA-256 verified before
    /// it is parsed (cache, then mirror, then download).
    ///
    /// ```rhai
    /// let ds = load_dataset("toy-blobs");
    /// print(ds.n_samples);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_dataset(
        ctx: NativeCallContext,
        name: &str,
    ) -> Result<DatasetRef, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        crate::memory::check(host.limits.max_memory, 0).map_err(ctx_err)?;
        let ds = host.datasets.load(name).map_err(ctx_err)?;
        host.record_dataset(&ds.name, &ds.sha256);
        Ok(DatasetRef(Arc::new(ds)))
    }

    /// Load a labelled CSV file from the workspace (results, registry or the
    /// data cache): a header row, a label column named `is_anomaly`,
    /// `label`, `y` or `anomaly`, numeric features, `timestamp` ignored.
    ///
    /// ```rhai
    /// // Paths outside the workspace are refused:
    /// try { load_csv("/etc/passwd"); } catch (e) { print(e); }
    /// ```
    #[rhai_fn(return_raw)]
    pub fn load_csv(ctx: NativeCallContext, path: &str) -> Result<DatasetRef, Box<EvalAltResult>> {
        let host = HostContext::of(&ctx)?;
        crate::memory::check(host.limits.max_memory, 0).map_err(ctx_err)?;
        let (file, bytes) = host.workspace.read(path).map_err(ctx_err)?;
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string());
        let ds = crate::data::formats::parse_dataset(
            crate::data::catalog::Format::Csv,
            &bytes,
            &file,
            &name,
            &file.display().to_string(),
        )
        .map_err(ctx_err)?;
        host.record_dataset(&ds.name, &ds.sha256);
        Ok(DatasetRef(Arc::new(ds)))
    }

    /// Names of every registered dataset.
    ///
    /// ```rhai
    /// let names = datasets();
    /// print(names.contains("cardio"));
    /// ```
    pub fn datasets() -> Array {
        crate::data::catalog::DATASETS
            .iter()
            .map(|s| Dynamic::from(s.name.to_string()))
            .collect()
    }

    /// The dataset's registered name.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").name);
    /// ```
    #[rhai_fn(get = "name", pure)]
    pub fn name(ds: &mut DatasetRef) -> String {
        ds.0.name.clone()
    }

    /// Number of rows.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").n_samples);
    /// ```
    #[rhai_fn(get = "n_samples", pure)]
    pub fn n_samples(ds: &mut DatasetRef) -> i64 {
        ds.0.n_samples() as i64
    }

    /// Number of feature columns.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").n_features);
    /// ```
    #[rhai_fn(get = "n_features", pure)]
    pub fn n_features(ds: &mut DatasetRef) -> i64 {
        ds.0.n_features() as i64
    }

    /// Number of anomalies (label 1).
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").n_anomalies);
    /// ```
    #[rhai_fn(get = "n_anomalies", pure)]
    pub fn n_anomalies(ds: &mut DatasetRef) -> i64 {
        ds.0.n_anomalies() as i64
    }

    /// Fraction of anomalies, in [0, 1].
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").anomaly_ratio);
    /// ```
    #[rhai_fn(get = "anomaly_ratio", pure)]
    pub fn anomaly_ratio(ds: &mut DatasetRef) -> f64 {
        ds.0.anomaly_ratio()
    }

    /// SHA-256 (hex) of the verified source file.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").sha256);
    /// ```
    #[rhai_fn(get = "sha256", pure)]
    pub fn sha256(ds: &mut DatasetRef) -> String {
        ds.0.sha256.clone()
    }

    /// Feature matrix (n × d), shared, not copied.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").x.rows);
    /// ```
    #[rhai_fn(get = "x", pure)]
    pub fn x(ds: &mut DatasetRef) -> Matrix {
        Matrix::DatasetX(ds.0.clone())
    }

    /// Labels (1 = anomaly).
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").y);
    /// ```
    #[rhai_fn(get = "y", pure)]
    pub fn y(ds: &mut DatasetRef) -> Labels {
        Labels::DatasetY(ds.0.clone())
    }

    /// Split and standardise with the default protocol (`holdout60`: 60/40
    /// shuffle from `seed`, StandardScaler fit on train).
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// print(sp.n_train);
    /// ```
    #[rhai_fn(name = "split", return_raw)]
    pub fn split_seed(
        ctx: NativeCallContext,
        ds: &mut DatasetRef,
        seed: i64,
    ) -> Result<SplitRef, Box<EvalAltResult>> {
        let seed = non_negative("seed", seed)?;
        HostContext::of(&ctx)?.record_seed(seed);
        Protocol::Holdout60
            .prepare(&ds.0, seed)
            .map(|p| SplitRef(Arc::new(p)))
            .map_err(ctx_err)
    }

    /// Split with options `#{ protocol: "holdout60", seed: 0 }`. Protocols:
    /// `holdout60` (anml's seeded 60/40 shuffle) and `pyod` (the PyOD
    /// benchmark's split, bit-exact with `RandomState(seed)`).
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(#{ protocol: "holdout60", seed: 3 });
    /// print(sp);
    /// ```
    #[rhai_fn(name = "split", return_raw)]
    pub fn split_opts(
        ctx: NativeCallContext,
        ds: &mut DatasetRef,
        opts: Map,
    ) -> Result<SplitRef, Box<EvalAltResult>> {
        let (protocol, seed) = run_options("split", &opts)?;
        HostContext::of(&ctx)?.record_seed(seed);
        protocol
            .prepare(&ds.0, seed)
            .map(|p| SplitRef(Arc::new(p)))
            .map_err(ctx_err)
    }

    /// Standardised train features.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).x_train);
    /// ```
    #[rhai_fn(get = "x_train", pure)]
    pub fn x_train(sp: &mut SplitRef) -> Matrix {
        Matrix::TrainX(sp.0.clone())
    }

    /// Standardised test features.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).x_test);
    /// ```
    #[rhai_fn(get = "x_test", pure)]
    pub fn x_test(sp: &mut SplitRef) -> Matrix {
        Matrix::TestX(sp.0.clone())
    }

    /// Train labels.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).y_train);
    /// ```
    #[rhai_fn(get = "y_train", pure)]
    pub fn y_train(sp: &mut SplitRef) -> Labels {
        Labels::TrainY(sp.0.clone())
    }

    /// Test labels.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).y_test);
    /// ```
    #[rhai_fn(get = "y_test", pure)]
    pub fn y_test(sp: &mut SplitRef) -> Labels {
        Labels::TestY(sp.0.clone())
    }

    /// Rows in the train part.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).n_train);
    /// ```
    #[rhai_fn(get = "n_train", pure)]
    pub fn n_train(sp: &mut SplitRef) -> i64 {
        sp.0.info.n_train as i64
    }

    /// Rows in the test part.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).n_test);
    /// ```
    #[rhai_fn(get = "n_test", pure)]
    pub fn n_test(sp: &mut SplitRef) -> i64 {
        sp.0.info.n_test as i64
    }

    /// Text form of a dataset: a one-row summary table.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn dataset_to_string(ds: &mut DatasetRef) -> String {
        ds.to_string()
    }

    /// Text form of a split.
    ///
    /// ```rhai
    /// print(load_dataset("toy-blobs").split(0).to_string());
    /// ```
    #[rhai_fn(name = "to_string", name = "to_debug", pure)]
    pub fn split_to_string(sp: &mut SplitRef) -> String {
        sp.to_string()
    }
}
