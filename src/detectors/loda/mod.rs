//! LODA, the lightweight on-line detector of anomalies (Pevný 2016), with
//! PyOD 3.6.7's behaviour (`pyod.models.loda.LODA`).
//!
//! Fit: `n_random_cuts` sparse random projections of the d columns. Each
//! keeps `⌊√d⌋` columns chosen uniformly without replacement, with N(0, 1)
//! weights, and zeroes the other `d − ⌊√d⌋` (PyOD draws a full N(0, 1) row
//! and zeroes `d − int(sqrt(d))` columns of a random permutation: the same
//! distribution). The training rows are projected on each and histogrammed
//! exactly as `np.histogram(projected, bins=n_bins)` (equal-width bins over
//! the projected range, `[e_i, e_{i+1})` with the last closed; a constant
//! projection gets the range `[c − 0.5, c + 0.5]`). Each count gets `1e-12`
//! added and the histogram is normalised to sum to 1: a probability per bin
//! (PyOD uses `density=False` and normalises itself, so the bin width plays
//! no part). With `n_bins = "auto"` each projection's bin count is PyOD's
//! Birgé–Rozenblac choice (`get_optimal_n_bins`, shared with `hbos`).
//!
//! Score: PyOD looks a projected value `v` up with
//! `np.searchsorted(limits[:n_bins − 1], v, side='left')`: the index is the
//! number of edges among `e_0 … e_{n_bins−2}` strictly below `v`. So a value
//! in `(e_i, e_{i+1}]` takes the probability of bin `i + 1`, one to the right
//! of the bin `np.histogram` counted it in; only `v ≤ e_0` (the training
//! minimum, or below) takes bin 0, and everything above `e_{n_bins−2}`
//! (including test values beyond the training range) the last bin. This
//! off-by-one is PyOD's and is kept for parity. A row's score is
//! `Σ_i −(1/c) ln p_i / c` over the c projections: PyOD weights each cut by
//! `1/c` and then divides the sum by `c` again, so scores are the mean
//! `−ln p` divided by c (ranking is unaffected; kept for parity). Training
//! scores (`decision_scores_`) are the same formula on the training rows.
//! Higher = more anomalous.
//!
//! Differences from PyOD:
//! * random numbers come from ChaCha8 (`seed`), not numpy's MT19937, so the
//!   projections match PyOD's in distribution, not bit for bit; given the
//!   same projections (`LodaModel::from_projections`) histograms and scores
//!   agree to rounding (tested on ODDS data);
//! * projections are stored sparse and summed over their non-zero columns in
//!   column order (numpy's dense BLAS dot may round differently by an ulp);
//! * only `"auto"` (lower case) is accepted as the automatic bin choice
//!   (PyOD accepts any case); static bin counts are capped at 10^6 and
//!   `n_random_cuts` at 10^6.
//!
//! Determinism: all projections are drawn up front from one ChaCha8 stream
//! seeded with `seed`; histograms are fitted in parallel and collected in
//! order, and each row's sum runs over the projections in order, so fit and
//! scores are bit-identical for any thread count.

mod explain;
mod model;
mod params;

pub use crate::detectors::hbos::{MAX_BINS, NBins};
pub use model::{BIN_EPSILON, LodaCut, LodaModel};
pub use params::{LodaParams, MAX_CUTS};

use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, Model, ParamError};
use ndarray::ArrayView2;
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The parameters of `loda`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_bins",
        doc: "Equal-width histogram bins per random projection, or \"auto\" for the \
              Birge-Rozenblac choice per projection; default 10; \"auto\" or an \
              integer in [1, 1000000].",
    },
    ParamDoc {
        name: "n_random_cuts",
        doc: "Number of sparse random projections (each keeps floor(sqrt(d)) columns \
              with N(0, 1) weights); default 100; an integer in [1, 1000000].",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the random projections; default 0; an integer >= 0.",
    },
];

impl DetectorParams for LodaParams {
    type Model = LodaModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let d = x.ncols();
        if d == 0 {
            return Err(DetectorError::CannotFit("needs at least one column".into()));
        }
        // PyOD: n_zero = d - int(sqrt(d)) columns are zeroed.
        let keep = ((d as f64).sqrt() as usize).clamp(1, d);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let draws: Vec<(Vec<usize>, Vec<f64>)> = (0..self.n_random_cuts)
            .map(|_| {
                let mut features = index::sample(&mut rng, d, keep).into_vec();
                features.sort_unstable();
                let weights = features
                    .iter()
                    .map(|_| crate::nn::standard_normal(&mut rng))
                    .collect();
                (features, weights)
            })
            .collect();
        let cuts = draws
            .into_par_iter()
            .map(|(f, w)| model::fit_cut(f, w, self.n_bins, x))
            .collect();
        let model = LodaModel::new(d, cuts).map_err(DetectorError::CannotFit)?;
        let train_scores = model.score_samples(x);
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
