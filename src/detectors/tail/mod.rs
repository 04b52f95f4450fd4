//! The one implementation of the ECDF tail detectors, `copod` and `ecod`
//! (Li et al. 2020, 2022), parameterised by their combination rule
//! ([`Combine`]): the same (empty) parameters, the same fitted model (the
//! training ECDFs and skewness signs, [`TailModel`]) and the same fit.
//! `copod` and `ecod` are thin registrations of [`TailParams<R>`] with their
//! rule type; see those modules for each algorithm's formula and
//! [`super::ecdf`] for the tail probabilities.

use super::Explanation;
pub use super::ecdf::Combine;
use super::ecdf::TailModel;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::marker::PhantomData;

/// How a tail detector combines a feature's left and right tail scores, as
/// a type (so that each detector has its own params and model types).
pub trait TailRule: Debug + Clone + Copy + Default + PartialEq + Send + Sync + 'static {
    const COMBINE: Combine;
}

/// The (empty) parameter set of a tail detector; unknown names are
/// rejected. Serialises as `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, bound = "")]
pub struct TailParams<R: TailRule> {
    #[serde(skip)]
    rule: PhantomData<R>,
}

/// A fitted tail detector: the training ECDFs and skewness signs of every
/// column. Serialises as `{"tails": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct TailDetectorModel<R: TailRule> {
    tails: TailModel,
    #[serde(skip)]
    rule: PhantomData<R>,
}

impl<R: TailRule> TailDetectorModel<R> {
    /// Skewness sign (−1, 0 or 1) of each training column.
    pub fn skew_signs(&self) -> &[i8] {
        self.tails.skew_signs()
    }
}

impl<R: TailRule> Model for TailDetectorModel<R> {
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        self.tails.score(x, R::COMBINE)
    }

    fn explain_row(&self, row: ArrayView1<'_, f64>) -> Option<Explanation> {
        Some(self.explain_terms(row))
    }
}

impl<R: TailRule> DetectorParams for TailParams<R> {
    type Model = TailDetectorModel<R>;

    fn validate(&self) -> Result<(), ParamError> {
        Ok(())
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let model = TailDetectorModel {
            tails: TailModel::fit(x),
            rule: PhantomData,
        };
        // Every training value is counted by its own ECDF, so these are
        // PyOD's `decision_scores_`.
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

mod explain;

#[cfg(test)]
mod tests;
