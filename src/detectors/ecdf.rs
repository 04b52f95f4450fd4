//! Empirical tail probabilities of the training columns, shared by `copod`
//! and `ecod` (Li et al. 2020, 2022), which differ only in how the left and
//! right tails of a feature are combined.
//!
//! # The ECDF and its value at unseen points
//!
//! For a training column with values `t_1..t_n`, the left and right tail
//! probabilities of a value `x` are
//!
//! ```text
//! F_left(x)  = max(#{i : t_i <= x}, 1) / n
//! F_right(x) = max(#{i : t_i >= x}, 1) / n
//! ```
//!
//! `F_left` is the right-continuous empirical CDF of statsmodels (and of
//! PyOD's `column_ecdf`, which gives tied values the probability of the last
//! of them); `F_right` is the same ECDF of the negated column, as PyOD
//! computes it. A training value is counted by both, so on training rows the
//! counts are at least 1 and these are exactly PyOD's values. For a new value
//! beyond the training range the count would be 0 (an infinite `-ln`); it is
//! floored at 1, i.e. such a value is as extreme as the most extreme training
//! value in that tail. Tail scores are therefore in `[0, ln n]` per feature,
//! and scoring the training rows with a fitted model gives exactly the
//! training scores of the fit (PyOD's `decision_scores_`).
//!
//! New data are scored against the training ECDFs only (unlike PyOD's
//! `decision_function`, which refits the ECDFs on train + test, PyOD issue
//! #401), so a row's score never depends on the other rows scored with it.
//!
//! # Skewness
//!
//! The sign of each training column's skewness (scipy's biased
//! `skew`, NaN → 0, so a constant column has sign 0) selects the tail:
//! `u_skew = u_right` for sign +1, `u_left` for −1, and — as PyOD's formula
//! `u_l · −sign(s − 1) + u_r · sign(s + 1)` gives — `u_left + u_right` for 0.

use ndarray::{Array1, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// The empirical distribution of one training column: its distinct values in
/// increasing order and, for each, how many training values are `<=` it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ColumnEcdfRepr")]
pub struct ColumnEcdf {
    values: Vec<f64>,
    counts: Vec<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnEcdfRepr {
    values: Vec<f64>,
    counts: Vec<u64>,
}

impl TryFrom<ColumnEcdfRepr> for ColumnEcdf {
    type Error = String;
    fn try_from(r: ColumnEcdfRepr) -> Result<Self, String> {
        if r.values.is_empty() || r.values.len() != r.counts.len() {
            return Err(format!(
                "an ECDF needs as many counts as values (at least one); got {} values and {} counts",
                r.values.len(),
                r.counts.len()
            ));
        }
        if r.values.iter().any(|v| !v.is_finite()) || r.values.windows(2).any(|w| w[0] >= w[1]) {
            return Err("ECDF values must be finite and strictly increasing".into());
        }
        if r.counts[0] == 0 || r.counts.windows(2).any(|w| w[0] >= w[1]) {
            return Err("ECDF counts must be positive and strictly increasing".into());
        }
        Ok(Self {
            values: r.values,
            counts: r.counts,
        })
    }
}

impl ColumnEcdf {
    /// The ECDF of a non-empty column of finite values.
    pub fn fit(column: ArrayView1<'_, f64>) -> Self {
        let mut sorted: Vec<f64> = column.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut values = Vec::new();
        let mut counts = Vec::new();
        for (i, &v) in sorted.iter().enumerate() {
            // `==` rather than bit equality: -0.0 and 0.0 are one value.
            if values.last() == Some(&v) {
                if let Some(c) = counts.last_mut() {
                    *c = i as u64 + 1;
                }
            } else {
                values.push(v);
                counts.push(i as u64 + 1);
            }
        }
        Self { values, counts }
    }

    /// Number of training values.
    pub fn n(&self) -> u64 {
        self.counts.last().copied().unwrap_or(0)
    }

    /// `#{t <= x}`.
    pub fn count_le(&self, x: f64) -> u64 {
        let k = self.values.partition_point(|&v| v <= x);
        if k == 0 { 0 } else { self.counts[k - 1] }
    }

    /// `#{t >= x}`.
    pub fn count_ge(&self, x: f64) -> u64 {
        let k = self.values.partition_point(|&v| v < x);
        let below = if k == 0 { 0 } else { self.counts[k - 1] };
        self.n() - below
    }

    /// `(-ln F_left(x), -ln F_right(x))`, with counts floored at 1.
    pub fn tail_scores(&self, x: f64) -> (f64, f64) {
        let n = self.n() as f64;
        let tail = |c: u64| -((c.max(1) as f64) / n).ln();
        (tail(self.count_le(x)), tail(self.count_ge(x)))
    }
}

/// Sign of scipy's biased sample skewness `m3 / m2^1.5` of a column, with
/// scipy's test for a (near-)constant column (`m2 <= (eps · mean)^2`, whose
/// NaN PyOD maps to 0). Sums run in row order, as numpy's reduction over
/// axis 0 does.
pub fn skew_sign(column: ArrayView1<'_, f64>) -> i8 {
    let n = column.len() as f64;
    if column.is_empty() {
        return 0;
    }
    let mean = column.iter().fold(0.0, |a, &v| a + v) / n;
    let (mut s2, mut s3) = (0.0, 0.0);
    for &v in column {
        let d = v - mean;
        let d2 = d * d;
        s2 += d2;
        s3 += d2 * d;
    }
    let (m2, m3) = (s2 / n, s3 / n);
    let eps_mean = f64::EPSILON * mean;
    if m2 <= eps_mean * eps_mean {
        return 0;
    }
    let skew = m3 / m2.powf(1.5);
    if skew > 0.0 {
        1
    } else if skew < 0.0 {
        -1
    } else {
        0
    }
}

/// How a feature's tail scores become its outlier score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// COPOD: `max(u_skew, (u_left + u_right) / 2)`.
    Copod,
    /// ECOD: `max(u_skew, u_left, u_right)`.
    Ecod,
}

/// The training ECDFs and skewness signs of every column: everything COPOD
/// and ECOD need to score new rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TailModelRepr")]
pub struct TailModel {
    columns: Vec<ColumnEcdf>,
    skew_signs: Vec<i8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TailModelRepr {
    columns: Vec<ColumnEcdf>,
    skew_signs: Vec<i8>,
}

impl TryFrom<TailModelRepr> for TailModel {
    type Error = String;
    fn try_from(r: TailModelRepr) -> Result<Self, String> {
        if r.columns.len() != r.skew_signs.len() {
            return Err(format!(
                "{} column ECDFs but {} skewness signs",
                r.columns.len(),
                r.skew_signs.len()
            ));
        }
        if r.skew_signs.iter().any(|s| !(-1..=1).contains(s)) {
            return Err("skewness signs must be -1, 0 or 1".into());
        }
        let n = r.columns.first().map(ColumnEcdf::n);
        if r.columns.iter().any(|c| Some(c.n()) != n) {
            return Err("every column ECDF must count the same number of rows".into());
        }
        Ok(Self {
            columns: r.columns,
            skew_signs: r.skew_signs,
        })
    }
}

impl TailModel {
    /// ECDFs and skewness signs of the columns of `x` (n ≥ 1, finite).
    pub fn fit(x: ArrayView2<'_, f64>) -> Self {
        let columns = x.columns().into_iter().map(ColumnEcdf::fit).collect();
        let skew_signs = x.columns().into_iter().map(skew_sign).collect();
        Self {
            columns,
            skew_signs,
        }
    }

    pub fn skew_signs(&self) -> &[i8] {
        &self.skew_signs
    }

    /// Each feature's combined tail score of `row` (one value per fitted
    /// column), in column order: PyOD's `O[i, :]`, the terms a row's score
    /// sums (and what `explain_outlier` plots).
    pub fn feature_scores<'a>(
        &'a self,
        row: ArrayView1<'a, f64>,
        combine: Combine,
    ) -> impl Iterator<Item = f64> + 'a {
        row.into_iter()
            .zip(&self.columns)
            .zip(&self.skew_signs)
            .map(move |((&v, ecdf), &sign)| {
                let (u_l, u_r) = ecdf.tail_scores(v);
                let u_skew = match sign {
                    1 => u_r,
                    -1 => u_l,
                    _ => u_l + u_r,
                };
                match combine {
                    Combine::Copod => u_skew.max((u_l + u_r) / 2.0),
                    Combine::Ecod => u_skew.max(u_l.max(u_r)),
                }
            })
    }

    /// Outlier score of each row: the sum over features of the combined
    /// tail scores. Rows are scored independently of each other.
    pub fn score(&self, x: ArrayView2<'_, f64>, combine: Combine) -> Array1<f64> {
        x.rows()
            .into_iter()
            .map(|row| self.feature_scores(row, combine).sum::<f64>())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ecdf_counts_with_ties() {
        let e = ColumnEcdf::fit(array![3.0, 1.0, 2.0, 2.0, 5.0].view());
        assert_eq!(e.n(), 5);
        assert_eq!(e.count_le(0.0), 0);
        assert_eq!(e.count_le(1.0), 1);
        assert_eq!(e.count_le(2.0), 3);
        assert_eq!(e.count_le(2.5), 3);
        assert_eq!(e.count_le(5.0), 5);
        assert_eq!(e.count_le(9.0), 5);
        assert_eq!(e.count_ge(2.0), 4);
        assert_eq!(e.count_ge(2.1), 2);
        assert_eq!(e.count_ge(5.0), 1);
        assert_eq!(e.count_ge(6.0), 0);
        // Beyond the range the count is floored at 1: ln 5 in that tail.
        let (l, r) = e.tail_scores(-10.0);
        assert!((l - 5f64.ln()).abs() < 1e-15);
        assert_eq!(r, 0.0);
        assert_eq!(e.tail_scores(-10.0), e.tail_scores(1.0 - 1e-9));
    }

    #[test]
    fn signed_zeros_are_one_value() {
        let e = ColumnEcdf::fit(array![0.0, -0.0, 1.0].view());
        assert_eq!(e.count_le(0.0), 2);
        assert_eq!(e.count_ge(-0.0), 3);
    }

    #[test]
    fn skew_signs_like_scipy() {
        // scipy.stats.skew([1, 2, 10]) > 0, skew([-10, 1, 2]) < 0.
        assert_eq!(skew_sign(array![1.0, 2.0, 10.0].view()), 1);
        assert_eq!(skew_sign(array![-10.0, 1.0, 2.0].view()), -1);
        assert_eq!(skew_sign(array![1.0, 2.0, 3.0].view()), 0);
        // A constant column: scipy gives NaN, PyOD 0.
        assert_eq!(skew_sign(array![0.1, 0.1, 0.1, 0.1, 0.1].view()), 0);
        assert_eq!(skew_sign(array![0.0, 0.0].view()), 0);
    }

    #[test]
    fn corrupt_saved_ecdfs_are_refused() {
        let bad = [
            r#"{"values": [1.0, 2.0], "counts": [1]}"#,
            r#"{"values": [2.0, 1.0], "counts": [1, 2]}"#,
            r#"{"values": [1.0, 2.0], "counts": [2, 2]}"#,
            r#"{"values": [1.0], "counts": [0]}"#,
            r#"{"values": [], "counts": []}"#,
        ];
        for text in bad {
            assert!(serde_json::from_str::<ColumnEcdf>(text).is_err(), "{text}");
        }
        let m = r#"{"columns": [{"values": [1.0], "counts": [2]},
                               {"values": [1.0, 2.0], "counts": [1, 3]}],
                    "skew_signs": [0, 1]}"#;
        assert!(serde_json::from_str::<TailModel>(m).is_err());
        let m = r#"{"columns": [{"values": [1.0], "counts": [2]}], "skew_signs": [2]}"#;
        assert!(serde_json::from_str::<TailModel>(m).is_err());
        let m = r#"{"columns": [{"values": [1.0], "counts": [2]}], "skew_signs": [0]}"#;
        assert!(serde_json::from_str::<TailModel>(m).is_ok());
    }
}
