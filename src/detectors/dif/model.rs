//! The fitted DIF model: the min-max scaler, and per ensemble member its
//! seed (the network is regenerated from it), the standardisation of its
//! representation and its isolation forest; the saved form, load-time
//! checks, and the deviation-enhanced scoring.

use super::network::Network;
use crate::data::scale::StandardScaler;
use crate::detectors::Model;
use crate::detectors::isolation_forest::{IsolationForestModel, average_path_length};
use crate::hashing::StreamHasher;
use crate::nn::{Activation, child_rng};
use ndarray::{Array1, Array2, ArrayView2, s};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The most network weights a model may hold over all members (2^28, 2 GiB
/// of f64); a fit or a saved model needing more is refused.
pub const MAX_WEIGHTS: usize = 1 << 28;
/// The most tree nodes a model may hold over all members' forests (2^25,
/// about 1.5 GiB with both layouts of a node).
pub const MAX_TREE_NODES: usize = 1 << 25;

/// Rows scored together: every member scores one chunk before the next, so
/// at most `CHUNK_ROWS × n_ensemble` member scores are held at once (a
/// row's score does not depend on the chunking).
const CHUNK_ROWS: usize = 16_384;

/// PyOD's `1e-6`, added to the count of non-zero split deviations.
pub const DEVIATION_EPSILON: f64 = 1e-6;

/// The network shape shared by every member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    pub hidden_neurons: Vec<usize>,
    pub representation_dim: usize,
    pub hidden_activation: Activation,
    pub skip_connection: bool,
}

impl Architecture {
    /// `(in, out)` of every linear layer for `d` input columns: `d → h1 →
    /// … → representation_dim`, each hidden input widened by the block's
    /// input under `skip_connection` (PyOD's `MLPnet.get_in_out_channels`:
    /// d → h1, d + h1 → h2, …).
    pub fn layer_widths(&self, d: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.hidden_neurons.len() + 1);
        let mut width = d;
        for &h in &self.hidden_neurons {
            out.push((width, h));
            width = if self.skip_connection { width + h } else { h };
        }
        out.push((width, self.representation_dim));
        out
    }

    /// Weights of one member's network (saturating).
    pub fn weights_per_member(&self, d: usize) -> usize {
        self.layer_widths(d).iter().fold(0usize, |acc, &(i, o)| {
            acc.saturating_add(i.saturating_mul(o))
        })
    }

    /// The network of the member with seed `seed`, and the seed of its
    /// forest: a ChaCha8 stream seeded with `seed` gives a child stream for
    /// the weights, then the forest's seed.
    pub fn member_network(&self, d: usize, seed: u64) -> (Network, u64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let net = Network::random(
            &self.layer_widths(d),
            self.hidden_activation,
            self.skip_connection,
            &mut child_rng(&mut rng),
        );
        (net, rng.random())
    }
}

/// Scikit-learn's `MinMaxScaler` fitted on the training rows: `x · scale +
/// min` with `scale = 1 / (max − min)` (1 for a range under 10·eps) and
/// `min = −data_min · scale`, unclipped (new rows may fall outside [0, 1]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinMax {
    pub data_min: Vec<f64>,
    pub data_max: Vec<f64>,
}

impl MinMax {
    pub fn fit(x: ArrayView2<'_, f64>) -> Self {
        let d = x.ncols();
        let mut data_min = vec![f64::INFINITY; d];
        let mut data_max = vec![f64::NEG_INFINITY; d];
        for row in x.rows() {
            for ((lo, hi), &v) in data_min.iter_mut().zip(&mut data_max).zip(row) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        Self { data_min, data_max }
    }

    /// `(scale, min)` per column.
    fn coefficients(&self) -> Vec<(f64, f64)> {
        self.data_min
            .iter()
            .zip(&self.data_max)
            .map(|(&lo, &hi)| {
                let range = hi - lo;
                let scale = if range < 10.0 * f64::EPSILON {
                    1.0
                } else {
                    1.0 / range
                };
                (scale, -(lo * scale))
            })
            .collect()
    }

    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Array2<f64> {
        let coef = self.coefficients();
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for (v, &(scale, min)) in row.iter_mut().zip(&coef) {
                *v = *v * scale + min;
            }
        }
        out
    }

    fn check(&self, d: usize) -> Result<(), String> {
        if self.data_min.len() != d || self.data_max.len() != d {
            return Err(format!("the min-max scaler does not have {d} columns"));
        }
        let bad = self
            .data_min
            .iter()
            .zip(&self.data_max)
            .any(|(&lo, &hi)| !(lo.is_finite() && hi.is_finite() && lo <= hi));
        if bad {
            return Err("the min-max scaler has a non-finite or inverted range".into());
        }
        Ok(())
    }
}

/// One ensemble member.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member's seed; its network (and its forest's seed) derive from
    /// it ([`Architecture::member_network`]).
    pub seed: u64,
    /// Column means and scales of the training representation (ddof 0, a
    /// constant column scaled by 1), applied to every scored row.
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    /// The forest grown on the training representation.
    pub forest: IsolationForestModel,
    #[serde(skip)]
    net: Option<Network>,
}

impl Member {
    pub(super) fn new(
        seed: u64,
        standardiser: StandardScaler,
        forest: IsolationForestModel,
        net: Network,
    ) -> Self {
        Self {
            seed,
            mean: standardiser.mean.to_vec(),
            scale: standardiser.scale.to_vec(),
            forest,
            net: Some(net),
        }
    }

    /// `tanh((r − mean) / scale)` of the network's output `r` for every row.
    fn represent(&self, raw: Array2<f64>) -> Array2<f64> {
        standardise_with(raw, &self.mean, &self.scale)
    }

    /// The member's score of every row of min-max-scaled `xs`.
    fn score(&self, xs: ArrayView2<'_, f64>) -> Array1<f64> {
        let Some(net) = &self.net else {
            return Array1::from_elem(xs.nrows(), f64::NAN);
        };
        member_scores(&self.forest, self.represent(net.forward(xs)).view())
    }
}

/// `tanh((r − μ) / σ)` of every row `r` of a network's output, with the
/// training representation's statistics.
pub(super) fn standardise(raw: Array2<f64>, s: &StandardScaler) -> Array2<f64> {
    standardise_with(
        raw,
        s.mean.as_slice().unwrap_or(&[]),
        s.scale.as_slice().unwrap_or(&[]),
    )
}

fn standardise_with(mut z: Array2<f64>, mean: &[f64], scale: &[f64]) -> Array2<f64> {
    for mut row in z.rows_mut() {
        for ((v, &m), &s) in row.iter_mut().zip(mean).zip(scale) {
            *v = ((*v - m) / s).tanh();
        }
    }
    z
}

/// DIF's deviation-enhanced score of one member for every row of the
/// representation `z` (PyOD's `_cal_score(z, forest)`). Per row, over the T
/// trees (a tree whose root is a leaf is skipped but still counts in T):
/// `2^(−Σ h_t / (T · c(ψ))) · (1/T) Σ_t dev_t`, where `h_t` is the path
/// length (edges + `c(leaf size)`) and `dev_t` the mean `|z[f] − threshold|`
/// over the path's splits, `Σ |…| / (#non-zero terms + 1e-6)`. With
/// `c(ψ) = 0` (ψ = 1, every tree a single leaf) the factor is 1 and every
/// score 0 (PyOD: NaN).
pub fn member_scores(forest: &IsolationForestModel, z: ArrayView2<'_, f64>) -> Array1<f64> {
    let trees = forest.trees().len() as f64;
    let denominator = trees * average_path_length(forest.max_samples());
    let z = z.as_standard_layout();
    z.rows()
        .into_iter()
        .map(|row| {
            let row = row.as_slice().unwrap_or(&[]);
            let (mut depth, mut deviation) = (0.0, 0.0);
            for p in forest.paths(row) {
                if p.edges == 0 {
                    continue;
                }
                depth += p.length;
                deviation += p.deviation_sum / (p.deviation_terms as f64 + DEVIATION_EPSILON);
            }
            let factor = if denominator > 0.0 {
                (-(depth / denominator)).exp2()
            } else {
                1.0
            };
            factor * (deviation / trees)
        })
        .collect()
}

/// A fitted DIF model.
///
/// Saved as `{"n_features", "architecture": {"hidden_neurons",
/// "representation_dim", "hidden_activation", "skip_connection"}, "scaler":
/// {"data_min", "data_max"}, "weights_sha256", "members": [{"seed", "mean",
/// "scale", "forest": {"n_features", "max_samples", "trees"}}, ...]}`. The
/// networks are not stored (50 default members hold 2.8 million weights for
/// d = 8): loading regenerates each from its seed and checks the SHA-256 of
/// all weights against `weights_sha256`, so a model whose weights would not
/// come out bit-identical (another build of the generator or of `ln`/`cos`)
/// is refused instead of scoring differently.
#[derive(Debug, Serialize, Deserialize)]
#[serde(try_from = "DifRepr")]
pub struct DifModel {
    n_features: usize,
    architecture: Architecture,
    scaler: MinMax,
    weights_sha256: String,
    members: Vec<Member>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DifRepr {
    n_features: usize,
    architecture: Architecture,
    scaler: MinMax,
    weights_sha256: String,
    members: Vec<Member>,
}

impl TryFrom<DifRepr> for DifModel {
    type Error = String;
    fn try_from(r: DifRepr) -> Result<Self, String> {
        check_shape(r.n_features, &r.architecture, &r.members)?;
        r.scaler.check(r.n_features)?;
        let mut members = r.members;
        for (i, m) in members.iter_mut().enumerate() {
            let bad_stats = m.mean.iter().any(|v| !v.is_finite())
                || m.scale.iter().any(|v| !(v.is_finite() && *v > 0.0));
            if bad_stats {
                return Err(format!("member {i}: non-finite mean or non-positive scale"));
            }
            m.net = Some(r.architecture.member_network(r.n_features, m.seed).0);
        }
        let digest = weights_digest(&members);
        if digest != r.weights_sha256 {
            return Err(format!(
                "the networks regenerated from the members' seeds have weights SHA-256 \
                 {digest}, the model records {}: this build draws different weights \
                 (refit the model)",
                r.weights_sha256
            ));
        }
        Ok(Self {
            n_features: r.n_features,
            architecture: r.architecture,
            scaler: r.scaler,
            weights_sha256: digest,
            members,
        })
    }
}

/// Sizes a model may have: at least one column, one member, every width in
/// range, representation stats and forests of the right width, and the
/// total weights and tree nodes within [`MAX_WEIGHTS`] and
/// [`MAX_TREE_NODES`] (checked before any network is regenerated).
fn check_shape(d: usize, arch: &Architecture, members: &[Member]) -> Result<(), String> {
    use super::params::{MAX_HIDDEN_LAYERS, MAX_WIDTH};
    if d == 0 || members.is_empty() {
        return Err("a model needs at least one column and one member".into());
    }
    let widths_ok = arch.hidden_neurons.len() <= MAX_HIDDEN_LAYERS
        && arch
            .hidden_neurons
            .iter()
            .chain(std::iter::once(&arch.representation_dim))
            .all(|w| (1..=MAX_WIDTH).contains(w));
    if !widths_ok {
        return Err("layer widths out of range".into());
    }
    let r = arch.representation_dim;
    for (i, m) in members.iter().enumerate() {
        if m.mean.len() != r || m.scale.len() != r || m.forest.n_features() != r {
            return Err(format!(
                "member {i} does not fit a representation of width {r}"
            ));
        }
    }
    let weights = arch.weights_per_member(d).saturating_mul(members.len());
    if weights > MAX_WEIGHTS {
        return Err(format!(
            "{weights} network weights; at most {MAX_WEIGHTS} are supported"
        ));
    }
    let nodes = members
        .iter()
        .flat_map(|m| m.forest.trees())
        .fold(0usize, |acc, t| acc.saturating_add(t.feature.len()));
    if nodes > MAX_TREE_NODES {
        return Err(format!(
            "{nodes} tree nodes; at most {MAX_TREE_NODES} are supported"
        ));
    }
    Ok(())
}

/// SHA-256 of every member's weights (little-endian f64, members in order,
/// each network's weights in drawing order).
fn weights_digest(members: &[Member]) -> String {
    let mut h = StreamHasher::new();
    for m in members {
        for w in m.net.iter().flat_map(|n| n.weights()) {
            let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
            h.update(&bytes);
        }
    }
    h.finish_hex()
}

impl DifModel {
    /// A model from fitted parts (members keep the networks they were fitted
    /// with).
    pub(super) fn new(
        n_features: usize,
        architecture: Architecture,
        scaler: MinMax,
        members: Vec<Member>,
    ) -> Result<Self, String> {
        check_shape(n_features, &architecture, &members)?;
        let weights_sha256 = weights_digest(&members);
        Ok(Self {
            n_features,
            architecture,
            scaler,
            weights_sha256,
            members,
        })
    }

    /// Number of columns the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    pub fn scaler(&self) -> &MinMax {
        &self.scaler
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Member `i`'s network.
    pub fn network(&self, i: usize) -> Option<&Network> {
        self.members.get(i).and_then(|m| m.net.as_ref())
    }

    /// Member `i`'s representation of the rows of `x` (raw columns), with
    /// the training standardisation: what its forest scores.
    pub fn representation(&self, i: usize, x: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
        let m = self.members.get(i)?;
        let xs = self.scaler.transform(x);
        Some(m.represent(m.net.as_ref()?.forward(xs.view())))
    }
}

/// The mean of the members' scores, each row's added in member order.
pub(super) fn ensemble_mean(per_member: &[Array1<f64>], n: usize) -> Array1<f64> {
    let mut total = Array1::<f64>::zeros(n);
    for s in per_member {
        total += s;
    }
    total / per_member.len().max(1) as f64
}

impl Model for DifModel {
    /// The mean over members of [`member_scores`] on each member's
    /// representation (min-max scaling and standardisation fixed at fit
    /// time), so a row's score depends on that row alone. Rows are scored
    /// in chunks of a fixed size, members in parallel within a chunk,
    /// summed in member order: bit-identical for any thread count. Input
    /// with a column count other than the fitted one (which
    /// [`crate::detectors::FittedDetector`] rejects before calling) scores
    /// NaN.
    fn score_samples(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        let n = x.nrows();
        if x.ncols() != self.n_features {
            return Array1::from_elem(n, f64::NAN);
        }
        let mut out = Vec::with_capacity(n);
        for lo in (0..n).step_by(CHUNK_ROWS) {
            let hi = (lo + CHUNK_ROWS).min(n);
            let xs = self.scaler.transform(x.slice(s![lo..hi, ..]));
            let per_member: Vec<Array1<f64>> = self
                .members
                .par_iter()
                .map(|m| m.score(xs.view()))
                .collect();
            out.extend(ensemble_mean(&per_member, hi - lo));
        }
        Array1::from_vec(out)
    }
}
