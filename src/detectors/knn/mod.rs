//! The k-nearest-neighbour distance detectors `knn`, `avg_knn` and `med_knn`
//! (Ramaswamy, Rastogi & Shim 2000; Angiulli & Pizzuti 2002), with PyOD's
//! `KNN` behaviour.
//!
//! A row's score is the Euclidean distance to its k-th nearest training row
//! (`knn`, PyOD `method='largest'`), or the mean (`avg_knn`) or median
//! (`med_knn`) of the distances to its k nearest training rows; higher = more
//! anomalous. Training scores (PyOD's `decision_scores_`) leave each training
//! row out of its own neighbours, as scikit-learn's `kneighbors(X=None)`
//! does; exact duplicates of the row still count (distance 0). Fitting needs
//! more than k rows, as in PyOD.
//!
//! Neighbours come from the shared kernel
//! [`crate::detectors::neighbors`]: exact direct-difference distances, ties
//! broken by lower training index, results independent of the thread count.
//! The model stores the training rows.

pub(crate) mod explain;
mod model;
mod params;

pub use model::KnnModel;
pub use params::{AvgKnnParams, KnnParams, MedKnnParams};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, ParamError};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// How a row's k nearest distances become its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The k-th (largest) distance.
    Largest,
    /// The mean of the k distances.
    Mean,
    /// The median of the k distances.
    Median,
}

/// The parameters of `knn`, `avg_knn` and `med_knn`.
pub static PARAM_DOCS: &[ParamDoc] = &[ParamDoc {
    name: "n_neighbors",
    doc: "Number of nearest training rows k; default 5; an integer in [1, 100000], \
          below the number of training rows.",
}];

/// Fit for every k-NN params type: store the rows, score them leaving self out.
fn fit_knn(
    method: Method,
    n_neighbors: usize,
    x: ArrayView2<'_, f64>,
) -> Result<Fit<KnnModel>, DetectorError> {
    let n = x.nrows();
    if n_neighbors >= n {
        return Err(DetectorError::CannotFit(format!(
            "n_neighbors = {n_neighbors} needs more than {n_neighbors} training rows; got {n}"
        )));
    }
    let model =
        KnnModel::new(method, n_neighbors, x.to_owned()).map_err(DetectorError::CannotFit)?;
    let train_scores = model.train_scores().map_err(DetectorError::CannotFit)?;
    Ok(Fit {
        model,
        train_scores,
    })
}

macro_rules! impl_knn_detector {
    ($params:ty) => {
        impl DetectorParams for $params {
            type Model = KnnModel;

            fn validate(&self) -> Result<(), ParamError> {
                self.check_rules()
            }

            fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<KnnModel>, DetectorError> {
                fit_knn(<$params>::METHOD, self.n_neighbors, x)
            }
        }
    };
}

impl_knn_detector!(KnnParams);
impl_knn_detector!(AvgKnnParams);
impl_knn_detector!(MedKnnParams);

#[cfg(test)]
mod tests;
