//! DIF, Deep Isolation Forest (Xu, Pang, Wang & Wang, IEEE TKDE 2023),
//! with PyOD 3.6.7's behaviour (`pyod.models.dif.DIF`).
//!
//! Nothing is trained. The training rows are min-max scaled per column
//! (scikit-learn's `MinMaxScaler`, fitted on them and applied unclipped to
//! new rows). Each of `n_ensemble` members then draws a random network:
//! bias-free linear layers d → 500 → 100 → 20 (`hidden_neurons`,
//! `representation_dim`) with i.i.d. N(0, 1) weights, `hidden_activation`
//! (tanh) after each hidden layer and nothing after the last; with
//! `skip_connection` every hidden block outputs its input concatenated with
//! its activation. A member's representation of a row is `tanh((r − μ) /
//! σ)` of the network output r, standardised per column; an isolation
//! forest of `n_estimators` (6) trees on `max_samples` (256, capped at n)
//! rows each is grown on the training representation (anml's
//! `isolation_forest` trees).
//!
//! Score (PyOD's `_cal_score`, "deviation-enhanced"): per member, over its
//! T trees, `2^(−Σ_t h_t / (T · c(ψ))) · (1/T) Σ_t dev_t`, where `h_t` is the
//! row's path length (edges + `c(leaf size)`) and `dev_t` the mean
//! `|z[f] − threshold|` over the splits on its path (`Σ / (#non-zero +
//! 1e-6)`); a tree whose root is a leaf is skipped but counts in T. The
//! anomaly score is the mean over members; training scores
//! (`decision_scores_`) are the same function of the training rows. Higher
//! = more anomalous.
//!
//! Differences from PyOD:
//! * **The representation standardisation is fitted once, on the training
//!   representation, and reused for every scored batch.** PyOD re-fits its
//!   `StandardScaler` on whatever batch `decision_function` is given, so a
//!   test row's score depends on the other rows of the batch and a single
//!   row is degenerate (every value standardises to 0). anml's score of a
//!   row is a function of that row alone (bit-identical whether scored
//!   alone or in any batch). Training scores are unaffected (the training
//!   batch is the fitting batch in both). Measured with PyOD's own fitted
//!   nets and forests, seeds 0-2, test ROC-AUC PyOD's way → with the
//!   training statistics (tests/fixtures/dif/roc_auc.json): cardio 0.910 →
//!   0.912, satellite 0.725 → 0.725, wbc 0.654 → 0.643, pima 0.611 → 0.620,
//!   glass 0.830 → 0.852, vowels 0.877 → 0.875, ionosphere 0.887 → 0.891,
//!   arrhythmia 0.712 → 0.716; mean of the eight 0.776 → 0.779. Fixing the
//!   statistics costs nothing measurable.
//! * Random draws come from ChaCha8 (`seed`: one `u64` per member drawn up
//!   front; each member's stream gives its weights, by Box–Muller, and its
//!   forest's seed), not torch's and numpy's generators, so fits match
//!   PyOD in distribution, not bit for bit. PyOD draws member seeds from
//!   numpy's global generator, so refitting the same object differs; anml
//!   refits identically. Given PyOD's representations and trees, anml's
//!   scoring reproduces `_cal_score` to rounding, and its forward pass with
//!   PyOD's weights reproduces the representations to float32 rounding
//!   (tests/dif_parity.rs).
//! * Everything is float64 (PyOD's networks and forests run in float32).
//! * The trees are anml's isolation trees: a column is constant in a node
//!   when its minimum equals its maximum (scikit-learn: within 1e-7 in
//!   float32), and the representation's constant columns are those with a
//!   standard deviation under 10·eps (`data::scale::StandardScaler`).
//! * ψ = 1 (one training row, or `max_samples` resolving to 1) makes every
//!   tree a leaf and every score 0 (PyOD: 0/0 = NaN); `representation_dim`
//!   1 works (PyOD raises IndexError below 2).
//! * `hidden_activation` is one of relu, leaky_relu, sigmoid, tanh (the MLP
//!   engine's); PyOD's elu, softplus, softmax and identity are refused.
//! * `batch_size` is accepted for compatibility and changes nothing (PyOD
//!   uses it only to batch the forward pass; anml's blocks are fixed).
//!
//! Limits: a model holds at most [`MAX_WEIGHTS`] network weights over all
//! members and [`MAX_TREE_NODES`] tree nodes (n_ensemble · n_estimators ·
//! (2ψ − 1) at most); a fit that could exceed them is refused with
//! `CannotFit` before anything is drawn. A forward block holds 64 rows of
//! the widest layer.
//!
//! Saved form: the networks are not stored but regenerated from the
//! members' seeds, and checked against the SHA-256 of all weights recorded
//! at fit time (see [`DifModel`]); 50 default members on 8 columns would
//! otherwise store 2.8 million weights.
//!
//! Determinism: members are built in parallel and collected in order; a
//! network's output is computed in matrix products of exactly
//! [`ROW_BLOCK`] rows (a short block is zero-padded), so a row's
//! output never depends on the rows computed with it; a row's member
//! scores are added in member order. Fit, scores and the saved bytes are
//! bit-identical for any `RAYON_NUM_THREADS`, and a row's score is the same
//! alone as in any batch (both checked by tests).

mod model;
mod network;
mod params;

pub use model::{
    Architecture, DEVIATION_EPSILON, DifModel, MAX_TREE_NODES, MAX_WEIGHTS, Member, MinMax,
    member_scores,
};
pub use network::{Network, ROW_BLOCK};
pub use params::{DifParams, MAX_ENSEMBLE, MAX_ESTIMATORS, MAX_HIDDEN_LAYERS, MAX_WIDTH};

use super::isolation_forest::grow_forest;
use super::registry::ParamDoc;
use super::{DetectorError, DetectorParams, Fit, ParamError};
use crate::data::scale::StandardScaler;
use model::{ensemble_mean, standardise};
use ndarray::{Array1, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// The parameters of `dif`, for `anml models` and the REPL help.
pub static PARAM_DOCS: &[ParamDoc] = &[
    ParamDoc {
        name: "n_ensemble",
        doc: "Ensemble members (random representation networks, each with its own \
              isolation forest); default 50; an integer in [1, 10000].",
    },
    ParamDoc {
        name: "n_estimators",
        doc: "Isolation trees per member; default 6; an integer in [1, 100000].",
    },
    ParamDoc {
        name: "max_samples",
        doc: "Rows drawn per tree (psi): an integer count (capped at n), \"auto\" = \
              min(256, n), or a float fraction of n in (0, 1] (at least one row); \
              default 256.",
    },
    ParamDoc {
        name: "hidden_neurons",
        doc: "Widths of the hidden layers of the representation networks; default \
              [500, 100]; a list of at most 64 integers in [1, 100000] ([] = one \
              linear map).",
    },
    ParamDoc {
        name: "representation_dim",
        doc: "Width of the representation the forests are grown on; default 20; an \
              integer in [1, 100000].",
    },
    ParamDoc {
        name: "hidden_activation",
        doc: "Activation after each hidden layer; default \"tanh\"; one of \"relu\", \
              \"leaky_relu\", \"sigmoid\", \"tanh\".",
    },
    ParamDoc {
        name: "skip_connection",
        doc: "Each hidden block outputs its input concatenated with its activation; \
              default false; true or false.",
    },
    ParamDoc {
        name: "batch_size",
        doc: "PyOD's forward batch size; accepted for compatibility, changes no \
              result; default 1000; an integer >= 1.",
    },
    ParamDoc {
        name: "seed",
        doc: "Seed of the ensemble; every member's seed (its weights and its forest) \
              is derived from it, so results do not depend on the thread count; \
              default 0; an integer >= 0.",
    },
];

impl DetectorParams for DifParams {
    type Model = DifModel;

    fn validate(&self) -> Result<(), ParamError> {
        self.check_rules()
    }

    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Fit<Self::Model>, DetectorError> {
        let (n, d) = x.dim();
        let psi = self.psi(n);
        let arch = self.architecture();
        let weights = arch.weights_per_member(d).saturating_mul(self.n_ensemble);
        if weights > MAX_WEIGHTS {
            return Err(DetectorError::CannotFit(format!(
                "{} members of {} weights each ({d} columns) make {weights} network \
                 weights; at most {MAX_WEIGHTS} are supported (fewer members or \
                 narrower layers)",
                self.n_ensemble,
                arch.weights_per_member(d)
            )));
        }
        let nodes = self
            .n_ensemble
            .saturating_mul(self.n_estimators)
            .saturating_mul((2 * psi).saturating_sub(1));
        if nodes > MAX_TREE_NODES {
            return Err(DetectorError::CannotFit(format!(
                "{} members × {} trees of up to {} nodes (psi = {psi}) may hold {nodes} \
                 tree nodes; at most {MAX_TREE_NODES} are supported",
                self.n_ensemble,
                self.n_estimators,
                (2 * psi).saturating_sub(1)
            )));
        }

        let scaler = MinMax::fit(x);
        let xs = scaler.transform(x);
        let mut seeder = ChaCha8Rng::seed_from_u64(self.seed);
        let seeds: Vec<u64> = (0..self.n_ensemble).map(|_| seeder.random()).collect();
        let fitted: Vec<(Member, Array1<f64>)> = seeds
            .par_iter()
            .map(|&seed| {
                let (net, forest_seed) = arch.member_network(d, seed);
                let raw = net.forward(xs.view());
                let standardiser = StandardScaler::fit(raw.view());
                let z = standardise(raw, &standardiser);
                let forest =
                    grow_forest(z.view(), psi, 1.0, false, self.n_estimators, forest_seed)?;
                let scores = member_scores(&forest, z.view());
                Ok((Member::new(seed, standardiser, forest, net), scores))
            })
            .collect::<Result<_, DetectorError>>()?;
        let (members, per_member): (Vec<Member>, Vec<Array1<f64>>) = fitted.into_iter().unzip();
        let train_scores = ensemble_mean(&per_member, n);
        let model = DifModel::new(d, arch, scaler, members).map_err(DetectorError::CannotFit)?;
        Ok(Fit {
            model,
            train_scores,
        })
    }
}

#[cfg(test)]
mod tests;
