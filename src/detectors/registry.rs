//! The one detector registration table. `anml models`, the REPL's help and
//! completion, the CLI's `--model` choices and the scripts' `detector(NAME)`
//! all read it. The results schema has no detector list to keep in step: its
//! `model` field is a string described as a registered name, so registering
//! a detector needs no schema change.

use super::copod::CopodParams;
use super::ecod::EcodParams;
use super::fitted::{DynModel, Resolved, default_params, load_erased, resolve_params};
use super::hbos::HbosParams;
use super::knn::{AvgKnnParams, KnnParams, MedKnnParams};
use super::lof::LofParams;
use super::ocsvm::OcsvmParams;
use super::{DetectorError, isolation_forest::IsolationForestParams};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Documentation of one hyperparameter: its name and what it means, with
/// the allowed range. Defaults come from the params struct itself.
#[derive(Debug, Clone, Copy)]
pub struct ParamDoc {
    pub name: &'static str,
    pub doc: &'static str,
}

/// One registered detector.
pub struct DetectorSpec {
    pub name: &'static str,
    /// Version of anml's implementation; bumped whenever its scores change.
    pub version: &'static str,
    pub summary: &'static str,
    /// The published reference for the algorithm.
    pub reference: &'static str,
    /// Whether the fit uses randomness (then it takes a `seed` parameter).
    pub stochastic: bool,
    pub params: &'static [ParamDoc],
    /// A runnable Rhai example (fit and score on `toy-blobs`); shown by
    /// `anml models` and the REPL's `:doc NAME`, and run by the docs tests.
    pub example: &'static str,
    /// Deserialize and validate a caller's parameters (once per setting).
    pub(crate) resolve: fn(&str, &Map<String, Value>) -> Result<Resolved, DetectorError>,
    pub(crate) defaults: fn() -> Value,
    pub(crate) load: fn(Value) -> Result<Arc<dyn DynModel>, DetectorError>,
}

impl DetectorSpec {
    /// Every parameter with its default value (without `contamination`).
    pub fn default_params(&self) -> Value {
        (self.defaults)()
    }
}

macro_rules! detector_spec {
    ($params:ty, name: $name:expr, version: $version:expr, summary: $summary:expr, reference: $reference:expr,
     stochastic: $stochastic:expr, params: $docs:expr, example: $example:expr $(,)?) => {
        DetectorSpec {
            name: $name,
            version: $version,
            summary: $summary,
            reference: $reference,
            stochastic: $stochastic,
            params: $docs,
            example: $example,
            resolve: resolve_params::<$params>,
            defaults: default_params::<$params>,
            load: load_erased::<$params>,
        }
    };
}

/// Every detector anml knows, in listing order.
pub static DETECTORS: &[DetectorSpec] = &[
    detector_spec!(
        IsolationForestParams,
        name: "isolation_forest",
        version: "1.0.0",
        summary: "Isolation Forest: mean path length over random isolation trees",
        reference: "Liu, Ting & Zhou 2008, ICDM",
        stochastic: true,
        params: super::isolation_forest::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("isolation_forest", #{ n_estimators: 50, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        KnnParams,
        name: "knn",
        version: "1.0.0",
        summary: "k-NN distance: Euclidean distance to the k-th nearest training row",
        reference: "Ramaswamy, Rastogi & Shim 2000, SIGMOD",
        stochastic: false,
        params: super::knn::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("knn", #{ n_neighbors: 5 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        AvgKnnParams,
        name: "avg_knn",
        version: "1.0.0",
        summary: "Average k-NN distance: mean distance to the k nearest training rows",
        reference: "Angiulli & Pizzuti 2002, PKDD",
        stochastic: false,
        params: super::knn::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("avg_knn", #{ n_neighbors: 5 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        MedKnnParams,
        name: "med_knn",
        version: "1.0.0",
        summary: "Median k-NN distance: median distance to the k nearest training rows",
        reference: "Angiulli & Pizzuti 2002, PKDD; PyOD KNN(method='median')",
        stochastic: false,
        params: super::knn::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("med_knn", #{ n_neighbors: 5 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        LofParams,
        name: "lof",
        version: "1.0.0",
        summary: "Local Outlier Factor: neighbours' local density relative to the row's own",
        reference: "Breunig, Kriegel, Ng & Sander 2000, SIGMOD",
        stochastic: false,
        params: super::lof::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("lof", #{ n_neighbors: 20 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        HbosParams,
        name: "hbos",
        version: "1.0.0",
        summary: "HBOS: minus the summed log2 densities of per-feature histograms",
        reference: "Goldstein & Dengel 2012, KI poster track",
        stochastic: false,
        params: super::hbos::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("hbos", #{ n_bins: 10 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        CopodParams,
        name: "copod",
        version: "1.0.0",
        summary: "COPOD: empirical-copula tail probabilities from the training ECDFs",
        reference: "Li, Zhao, Botta, Ionescu & Hu 2020, ICDM",
        stochastic: false,
        params: super::copod::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("copod", #{  }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        EcodParams,
        name: "ecod",
        version: "1.0.0",
        summary: "ECOD: summed worst-tail -ln ECDF probabilities from the training data",
        reference: "Li, Zhao, Hu, Botta, Ionescu & Chen 2022, IEEE TKDE",
        stochastic: false,
        params: super::ecod::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("ecod", #{  }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        OcsvmParams,
        name: "ocsvm",
        version: "1.0.0",
        summary: "One-class SVM (RBF kernel, libsvm's SMO): minus the decision value sum_i a_i K(x_i, x) - rho",
        reference: "Schölkopf, Platt, Shawe-Taylor, Smola & Williamson 2001, Neural Computation",
        stochastic: false,
        params: super::ocsvm::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("ocsvm", #{ nu: 0.5, gamma: "auto" }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::pca::PcaParams,
        name: "pca",
        version: "1.0.0",
        summary: "PCA: squared distance in the principal subspace, sum of (x.v_j)^2 / lambda_j",
        reference: "Shyu, Chen, Sarinnapakorn & Chang 2003, ICDM workshop on Foundations and New Directions of Data Mining",
        stochastic: false,
        params: super::pca::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("pca", #{ n_components: 0.9 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::mcd::McdParams,
        name: "mcd",
        version: "1.0.0",
        summary: "MCD: squared Mahalanobis distance under the reweighted FastMCD robust covariance",
        reference: "Rousseeuw & Van Driessen 1999, Technometrics; Hardin & Rocke 2004",
        stochastic: true,
        params: super::mcd::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("mcd", #{ seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::loda::LodaParams,
        name: "loda",
        version: "1.0.0",
        summary: "LODA: mean -ln histogram probability over sparse random projections",
        reference: "Pevny 2016, Machine Learning 102(2)",
        stochastic: true,
        params: super::loda::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("loda", #{ n_random_cuts: 100, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::inne::InneParams,
        name: "inne",
        version: "1.0.0",
        summary: "iNNE: isolation ratio of the smallest covering nearest-neighbour hypersphere",
        reference: "Bandaragoda, Ting, Albrecht, Liu, Zhu & Wells 2018, Computational Intelligence 34(4)",
        stochastic: true,
        params: super::inne::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("inne", #{ n_estimators: 200, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::dif::DifParams,
        name: "dif",
        version: "1.0.0",
        summary: "Deep Isolation Forest: deviation-enhanced isolation on random deep representations",
        reference: "Xu, Pang, Wang & Wang 2023, IEEE TKDE 35(12)",
        stochastic: true,
        params: super::dif::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("dif", #{ n_ensemble: 10, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::cblof::CblofParams,
        name: "cblof",
        version: "1.0.0",
        summary: "CBLOF: distance to the own large k-means cluster, or to the nearest large one",
        reference: "He, Xu & Deng 2003, Pattern Recognition Letters 24(9-10)",
        stochastic: true,
        params: super::cblof::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("cblof", #{ n_clusters: 8, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::kde::KdeParams,
        name: "kde",
        version: "1.0.0",
        summary: "KDE: minus the log density of a Gaussian kernel density estimate",
        reference: "Latecki, Lazarevic & Pokrajac 2007, MLDM",
        stochastic: false,
        params: super::kde::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("kde", #{ bandwidth: 1.0 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::gmm::GmmParams,
        name: "gmm",
        version: "1.0.0",
        summary: "GMM: minus the log likelihood under a Gaussian mixture fitted by EM",
        reference: "Dempster, Laird & Rubin 1977, JRSS-B; Aggarwal 2017, Outlier Analysis ch. 2",
        stochastic: true,
        params: super::gmm::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("gmm", #{ n_components: 2, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::sampling::SamplingParams,
        name: "sampling",
        version: "1.0.0",
        summary: "Sampling: distance to the nearest row of one small random subsample",
        reference: "Sugiyama & Borgwardt 2013, NIPS (Rapid distance-based outlier detection via sampling)",
        stochastic: true,
        params: super::sampling::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("sampling", #{ subset_size: 20, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::autoencoder::AutoencoderParams,
        name: "autoencoder",
        version: "1.0.0",
        summary: "AutoEncoder: reconstruction error norm of a dense autoencoder (batch norm, dropout) trained with Adam",
        reference: "Aggarwal 2017, Outlier Analysis ch. 3; PyOD AutoEncoder",
        stochastic: true,
        params: super::autoencoder::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("autoencoder", #{ hidden_neurons: [16, 8], epochs: 20, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::deep_svdd::DeepSvddParams,
        name: "deep_svdd",
        version: "1.0.0",
        summary: "Deep SVDD: squared distance of a trained bias-free network's embedding to its hypersphere centre",
        reference: "Ruff, Vandermeulen, Görnitz, Deecke, Siddiqui, Binder, Müller & Kloft 2018, ICML",
        stochastic: true,
        params: super::deep_svdd::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("deep_svdd", #{ epochs: 20, lr: 0.001, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
    detector_spec!(
        super::usad::UsadParams,
        name: "usad",
        version: "1.0.0",
        summary: "USAD: two autoencoders sharing an encoder, trained adversarially; weighted reconstruction errors",
        reference: "Audibert, Michiardi, Guyard, Marti & Zuluaga 2020, KDD",
        stochastic: true,
        params: super::usad::PARAM_DOCS,
        example: r#"let sp = load_dataset("toy-blobs").split(0);
let fitted = detector("usad", #{ epochs: 20, lr: 0.001, seed: 7 }).fit(sp.x_train);
print(roc_auc(sp.y_test, fitted.score(sp.x_test)));"#,
    ),
];

/// Look a detector up by name.
pub fn spec(name: &str) -> Result<&'static DetectorSpec, DetectorError> {
    DETECTORS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| DetectorError::UnknownDetector {
            name: name.to_string(),
            known: DETECTORS
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}
