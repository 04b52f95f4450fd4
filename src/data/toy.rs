//! The built-in `toy-blobs` dataset.
//!
//! Why it exists: tests, examples and first-time users need a labelled
//! dataset that needs no file, no network and no hash table, yet is fully
//! reproducible. `toy-blobs` is generated from a seed with anml's own
//! ChaCha8 stream and a Box–Muller transform written here, so the same
//! parameters give the same bytes on every platform, and its `sha256` is a
//! fingerprint of the generated values (X as f64 little-endian bytes, row
//! by row, followed by the label bytes).

use super::{DataError, Dataset};
use crate::hashing::StreamHasher;
use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Half-width of the cube the blob centres are drawn from.
const CENTER_BOX: f64 = 10.0;
/// Half-width of the outlier cube used when there are no inliers to bound.
const FALLBACK_BOX: f64 = 15.0;
/// The inliers' bounding box is widened by this fraction of its width
/// (half on each side) before outliers are drawn in it.
const BOX_ENLARGEMENT: f64 = 0.2;

/// Parameters of [`toy_blobs`]. The defaults give the registered
/// `toy-blobs`: 1000 × 4 with 5% anomalies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToyBlobsParams {
    pub n_inliers: usize,
    pub n_outliers: usize,
    pub n_features: usize,
    pub n_centers: usize,
    pub seed: u64,
}

impl Default for ToyBlobsParams {
    fn default() -> Self {
        Self {
            n_inliers: 950,
            n_outliers: 50,
            n_features: 4,
            n_centers: 3,
            seed: 0,
        }
    }
}

impl ToyBlobsParams {
    /// Reject parameters that cannot make a dataset (no features, no
    /// centres for the inliers, no samples at all).
    pub fn validate(&self) -> Result<(), DataError> {
        let problem = if self.n_features == 0 {
            Some("n_features must be at least 1")
        } else if self.n_inliers > 0 && self.n_centers == 0 {
            Some("n_centers must be at least 1 when there are inliers")
        } else if self.n_inliers == 0 && self.n_outliers == 0 {
            Some("n_inliers + n_outliers must be at least 1")
        } else {
            None
        };
        match problem {
            Some(message) => Err(DataError::Shape {
                dataset: "toy-blobs".to_string(),
                message: message.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// The parameters actually used by [`toy_blobs`]: values below the
    /// minimum are raised to it (1 feature, 1 centre, 1 inlier if there would
    /// be no sample at all). Valid parameters are returned unchanged.
    pub fn effective(&self) -> Self {
        let mut p = self.clone();
        p.n_features = p.n_features.max(1);
        p.n_centers = p.n_centers.max(1);
        if p.n_inliers == 0 && p.n_outliers == 0 {
            p.n_inliers = 1;
        }
        p
    }
}

/// Generate Gaussian blobs (standard deviation 1, centres uniform in
/// [-10, 10]^d) with uniform outliers in the inliers' bounding box enlarged
/// by 20% ([-15, 15]^d if there are no inliers). Rows: inliers (assigned to
/// centres round-robin), then outliers; labels 0 then 1.
///
/// Parameters are first passed through [`ToyBlobsParams::effective`]; use
/// [`ToyBlobsParams::validate`] to reject rather than adjust them.
pub fn toy_blobs(params: &ToyBlobsParams) -> Dataset {
    let p = params.effective();
    let d = p.n_features;
    let n = p.n_inliers + p.n_outliers;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut gauss = Gaussian::default();

    let centers = Array2::from_shape_simple_fn((p.n_centers, d), || {
        uniform(&mut rng, -CENTER_BOX, CENTER_BOX)
    });
    let mut x = Array2::<f64>::zeros((n, d));
    for i in 0..p.n_inliers {
        let c = centers.row(i % p.n_centers);
        for j in 0..d {
            x[[i, j]] = c[j] + gauss.sample(&mut rng);
        }
    }

    let bounds: Vec<(f64, f64)> = (0..d)
        .map(|j| {
            if p.n_inliers == 0 {
                return (-FALLBACK_BOX, FALLBACK_BOX);
            }
            let col = x.column(j);
            let inliers = col.iter().take(p.n_inliers);
            let lo = inliers.clone().copied().fold(f64::INFINITY, f64::min);
            let hi = inliers.copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = (hi - lo) * BOX_ENLARGEMENT / 2.0;
            (lo - pad, hi + pad)
        })
        .collect();
    for i in p.n_inliers..n {
        for (j, &(lo, hi)) in bounds.iter().enumerate() {
            x[[i, j]] = uniform(&mut rng, lo, hi);
        }
    }

    let y = Array1::from_shape_fn(n, |i| u8::from(i >= p.n_inliers));
    let sha256 = fingerprint(&x, &y);
    Dataset {
        name: "toy-blobs".to_string(),
        x,
        y,
        sha256,
        source: "built-in".to_string(),
    }
}

/// SHA-256 of X's f64 little-endian bytes (row-major) followed by y's bytes.
pub fn fingerprint(x: &Array2<f64>, y: &Array1<u8>) -> String {
    let mut h = StreamHasher::new();
    let mut buf = Vec::with_capacity(8 * x.ncols());
    for row in x.rows() {
        buf.clear();
        for v in row {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        h.update(&buf);
    }
    let labels: Vec<u8> = y.iter().copied().collect();
    h.update(&labels);
    h.finish_hex()
}

/// Uniform in [lo, hi).
fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// Standard normal samples by the Box–Muller transform; the second value of
/// each pair is kept for the next call.
#[derive(Default)]
struct Gaussian {
    spare: Option<f64>,
}

impl Gaussian {
    fn sample(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1] so the logarithm is finite.
        let u1 = 1.0 - rng.random::<f64>();
        let u2 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_shape_and_labels() {
        let ds = toy_blobs(&ToyBlobsParams::default());
        assert_eq!(ds.x.dim(), (1000, 4));
        assert_eq!(ds.n_anomalies(), 50);
        assert!((ds.anomaly_ratio() - 0.05).abs() < 1e-12);
        assert!(ds.y.iter().take(950).all(|&v| v == 0));
        assert!(ds.x.iter().all(|v| v.is_finite()));
        assert_eq!(ds.source, "built-in");
        // The fields satisfy Dataset::new's checks.
        Dataset::new(ds.name, ds.x, ds.y, ds.sha256, ds.source).unwrap();
    }

    #[test]
    fn deterministic_and_seed_sensitive() {
        let a = toy_blobs(&ToyBlobsParams::default());
        let b = toy_blobs(&ToyBlobsParams::default());
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.x, b.x);
        let c = toy_blobs(&ToyBlobsParams {
            seed: 1,
            ..Default::default()
        });
        assert_ne!(a.sha256, c.sha256);
        assert_eq!(a.sha256, fingerprint(&a.x, &a.y));
    }

    #[test]
    fn gaussian_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut g = Gaussian::default();
        let n = 200_000;
        let s: Vec<f64> = (0..n).map(|_| g.sample(&mut rng)).collect();
        let mean = s.iter().sum::<f64>() / n as f64;
        let var = s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
    }

    #[test]
    fn outliers_lie_in_the_enlarged_box() {
        let ds = toy_blobs(&ToyBlobsParams::default());
        for j in 0..ds.n_features() {
            let inl: Vec<f64> = ds.x.column(j).iter().take(950).copied().collect();
            let lo = inl.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = inl.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let pad = 0.1 * (hi - lo);
            for &v in ds.x.column(j).iter().skip(950) {
                assert!(v >= lo - pad && v <= hi + pad);
            }
        }
    }

    #[test]
    fn degenerate_params_are_adjusted_or_rejected() {
        let p = ToyBlobsParams {
            n_features: 0,
            n_centers: 0,
            n_inliers: 0,
            n_outliers: 0,
            seed: 3,
        };
        assert!(p.validate().is_err());
        let ds = toy_blobs(&p);
        assert_eq!(ds.x.dim(), (1, 1));
        let only_outliers = ToyBlobsParams {
            n_inliers: 0,
            n_outliers: 10,
            ..Default::default()
        };
        only_outliers.validate().unwrap();
        let ds = toy_blobs(&only_outliers);
        assert_eq!(ds.n_anomalies(), 10);
        assert!(ds.x.iter().all(|v| v.abs() <= FALLBACK_BOX));
        assert!(ToyBlobsParams::default().validate().is_ok());
    }
}
