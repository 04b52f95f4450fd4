//! Explaining a row of a dataset with a published model (`anml explain`):
//! the row must reach the model as its training rows did.
//!
//! A model published by `anml benchmark --publish` was fitted on the
//! training part of its run's split, standardised with a scaler fit on that
//! part. Its `meta.json` records the dataset (name and SHA-256) and the
//! split (protocol and seed), which is enough to rebuild that scaler
//! exactly: the same split of the same verified file, the same
//! `StandardScaler`. A model with no recorded split (published from a
//! script) or fitted on another dataset is refused, since the scaling its
//! input needs is unknown.

use super::BenchError;
use crate::data::scale::StandardScaler;
use crate::data::{Dataset, Protocol};
use crate::detectors::{Explanation, FittedDetector};
use crate::registry::ArtefactMeta;
use ndarray::{Array1, Axis};

/// Row `row` (an index into `ds`'s full matrix) scaled as the published
/// model's training rows were.
pub fn model_input_row(
    meta: &ArtefactMeta,
    ds: &Dataset,
    row: usize,
) -> Result<Array1<f64>, BenchError> {
    let n = ds.n_samples();
    if row >= n {
        return Err(BenchError::flag(
            "--row",
            format!(
                "row {row} is out of range: dataset `{}` has rows 0..{n}",
                ds.name
            ),
        ));
    }
    let id = meta.id();
    match meta.dataset.as_deref() {
        Some(name) if name == ds.name => {}
        Some(name) => {
            return Err(BenchError::flag(
                "--dataset",
                format!(
                    "model {id} was fitted on dataset `{name}`, whose scaling it expects; \
                     explain rows of `{name}`"
                ),
            ));
        }
        None => {
            return Err(BenchError::flag(
                "--model",
                format!(
                    "model {id} records no training dataset, so the scaling its input needs is unknown"
                ),
            ));
        }
    }
    if let Some(sha) = &meta.dataset_sha256
        && sha != &ds.sha256
    {
        return Err(BenchError::flag(
            "--dataset",
            format!(
                "dataset `{}` has SHA-256 {}, but model {id} was fitted on {sha}",
                ds.name, ds.sha256
            ),
        ));
    }
    let Some(info) = &meta.split else {
        return Err(BenchError::flag(
            "--model",
            format!(
                "model {id} records no split (it was not published by `anml benchmark --publish`), \
                 so the scaling its input needs is unknown"
            ),
        ));
    };
    let protocol = Protocol::parse(&info.protocol)?;
    let split = protocol.split(n, info.seed)?;
    if split.train.len() != info.n_train {
        return Err(BenchError::flag(
            "--model",
            format!(
                "model {id} records {} training rows, but the {} split of `{}` with seed {} has {}",
                info.n_train,
                info.protocol,
                ds.name,
                info.seed,
                split.train.len()
            ),
        ));
    }
    let scaler = StandardScaler::fit(ds.x.select(Axis(0), &split.train).view());
    let x = ds.x.row(row).insert_axis(Axis(0));
    Ok(scaler.transform(x).row(0).to_owned())
}

/// The explanation of row `row` of `ds` by the published `fitted` model.
pub fn explain_published(
    fitted: &FittedDetector,
    meta: &ArtefactMeta,
    ds: &Dataset,
    row: usize,
) -> Result<Explanation, BenchError> {
    let x = model_input_row(meta, ds, row)?;
    Ok(fitted.explain(x.view())?)
}
