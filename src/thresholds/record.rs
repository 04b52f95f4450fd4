//! What a run record keeps of the threshold methods: for each method of
//! [`METHODS`](super::METHODS), the threshold fitted on the training scores
//! and the precision, recall and F1 of the test scores it flags against the
//! test labels (scikit-learn's definitions with `zero_division=0`).

use super::{METHODS, Options, Threshold, fit};
use ndarray::ArrayView1;
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One method's result on a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodScores {
    /// The threshold in the raw score scale.
    pub threshold: f64,
    pub f1: f64,
    pub precision: f64,
    pub recall: f64,
}

/// Every method's result, in table order; `None` where a method cannot be
/// fitted on the training scores (constant scores, or a method's own
/// refusal), serialised as `null`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ThresholdScores(pub Vec<(String, Option<MethodScores>)>);

impl ThresholdScores {
    /// The result of method `name`, if recorded and fitted.
    pub fn get(&self, name: &str) -> Option<&MethodScores> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, s)| s.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for ThresholdScores {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for ThresholdScores {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // serde_json's map keeps the file's order
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        map.into_iter()
            .map(|(k, v)| {
                let s = Option::<MethodScores>::deserialize(v).map_err(D::Error::custom)?;
                Ok((k, s))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// scikit-learn's precision, recall and F1 (`zero_division=0`) of `flags`
/// against `labels` (1 = anomaly).
pub fn precision_recall_f1(labels: &[u8], flags: &[u8]) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (&y, &f) in labels.iter().zip(flags) {
        match (y != 0, f != 0) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => {}
        }
    }
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    (
        ratio(tp, tp + fp),
        ratio(tp, tp + fn_),
        ratio(2 * tp, 2 * tp + fp + fn_),
    )
}

/// One method's record entry for a fitted threshold.
fn scores_of(t: &Threshold, test: ArrayView1<'_, f64>, labels: ArrayView1<'_, u8>) -> MethodScores {
    let flags = t.labels(test);
    let labels: Vec<u8> = labels.to_vec();
    let (precision, recall, f1) = precision_recall_f1(&labels, &flags);
    MethodScores {
        threshold: t.value,
        f1,
        precision,
        recall,
    }
}

/// Fit every method on `train` and score its flags on `test` against
/// `labels`; `contamination` is the detector's (the `contamination` method).
pub fn evaluate(
    train: ArrayView1<'_, f64>,
    test: ArrayView1<'_, f64>,
    labels: ArrayView1<'_, u8>,
    contamination: f64,
) -> ThresholdScores {
    let options = Options { contamination };
    ThresholdScores(
        METHODS
            .iter()
            .map(|m| {
                let fitted = fit(m.name, train, &options).ok();
                (
                    m.name.to_string(),
                    fitted.map(|t| scores_of(&t, test, labels)),
                )
            })
            .collect(),
    )
}
