//! The one validation pass and the descending ranking every metric shares.

use super::MetricError;
use ndarray::ArrayView1;

/// The one validation every label/score metric runs, in this order:
/// lengths, emptiness, finite scores, both classes. Returns the number of
/// anomalies (any nonzero label).
pub(crate) fn check(
    y: ArrayView1<'_, u8>,
    scores: ArrayView1<'_, f64>,
) -> Result<usize, MetricError> {
    if y.len() != scores.len() {
        return Err(MetricError::LengthMismatch {
            labels: y.len(),
            scores: scores.len(),
        });
    }
    let n = y.len();
    if n == 0 {
        return Err(MetricError::Empty);
    }
    if let Some((index, &value)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(MetricError::NonFinite { index, value });
    }
    let n_pos = y.iter().filter(|&&label| label != 0).count();
    if n_pos == 0 || n_pos == n {
        return Err(MetricError::OneClass {
            label: u8::from(n_pos == n),
            n,
        });
    }
    Ok(n_pos)
}

/// Validated input, ranked by score: highest (most anomalous) first.
///
/// The sort is stable, so tied scores keep their input order, exactly as
/// scikit-learn's `argsort(stable=True, descending=True)`. `-0.0` is stored
/// as `0.0`, so it ties with `0.0` as it does under NumPy's `==`.
#[derive(Debug, Clone)]
pub(crate) struct Ranked {
    /// Scores, descending.
    pub scores: Vec<f64>,
    /// `true` = anomaly, in the order of `scores`.
    pub anomaly: Vec<bool>,
    /// Number of anomalies (≥ 1).
    pub n_pos: usize,
}

impl Ranked {
    /// Validate `y` and `scores` and rank them. Any nonzero label counts as
    /// an anomaly.
    pub fn new(y: ArrayView1<'_, u8>, scores: ArrayView1<'_, f64>) -> Result<Self, MetricError> {
        let n_pos = check(y, scores)?;

        // `s + 0.0` turns -0.0 into 0.0 and leaves every other value alone.
        let mut pairs: Vec<(f64, bool)> = scores
            .iter()
            .zip(y.iter())
            .map(|(&s, &label)| (s + 0.0, label != 0))
            .collect();
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (scores, anomaly) = pairs.into_iter().unzip();
        Ok(Self {
            scores,
            anomaly,
            n_pos,
        })
    }

    /// Number of samples (≥ 2: both classes are present).
    pub fn len(&self) -> usize {
        self.scores.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ranks_descending_and_stable() {
        let y = array![0u8, 1, 0, 2];
        let s = array![0.5, 0.9, -0.0, 0.5];
        let r = Ranked::new(y.view(), s.view()).unwrap();
        assert_eq!(r.scores, vec![0.9, 0.5, 0.5, 0.0]);
        assert!(r.scores[3].is_sign_positive());
        assert_eq!(r.anomaly, vec![true, false, true, false]);
        assert_eq!(r.n_pos, 2);
        assert_eq!(r.len(), 4);
    }

    #[test]
    fn validation_order() {
        let e = Ranked::new(array![0u8].view(), array![f64::NAN, 1.0].view()).unwrap_err();
        assert_eq!(
            e,
            MetricError::LengthMismatch {
                labels: 1,
                scores: 2
            }
        );
        let e = Ranked::new(ArrayView1::<u8>::from(&[]), ArrayView1::<f64>::from(&[])).unwrap_err();
        assert_eq!(e, MetricError::Empty);
        let e = Ranked::new(array![1u8, 1].view(), array![1.0, f64::INFINITY].view()).unwrap_err();
        assert!(matches!(e, MetricError::NonFinite { index: 1, value } if value == f64::INFINITY));
        let e = Ranked::new(array![1u8, 1].view(), array![1.0, 2.0].view()).unwrap_err();
        assert_eq!(e, MetricError::OneClass { label: 1, n: 2 });
        let e = Ranked::new(array![0u8, 0, 0].view(), array![1.0, 2.0, 3.0].view()).unwrap_err();
        assert_eq!(e, MetricError::OneClass { label: 0, n: 3 });
        assert_eq!(
            e.to_string(),
            "only one class present in y (all 3 labels are normal); \
             ROC-AUC/PR-AUC need both anomalies and normals"
        );
    }
}
