//! Script functions for feature drift: a reference (training) and a current
//! (scoring) matrix in, one table row per feature out (PSI, KS statistic and
//! p-value, verdict). The rules live in `crate::drift`; this file converts.

use crate::drift::FeatureDrift;
use crate::script::types::Table;
use rhai::plugin::*;

/// A p-value to four decimals, or in scientific notation when that would
/// print as zero.
fn p_cell(p: f64) -> String {
    if p != 0.0 && p < 1e-4 {
        format!("{p:.2e}")
    } else {
        format!("{p:.4}")
    }
}

/// The drift table: `feature` (column index from 0), `psi`, `ks`, `ks_p`,
/// `verdict`.
pub(crate) fn drift_table(rows: &[FeatureDrift]) -> Table {
    Table {
        header: ["feature", "psi", "ks", "ks_p", "verdict"]
            .map(String::from)
            .to_vec(),
        rows: rows
            .iter()
            .map(|f| {
                vec![
                    f.feature.to_string(),
                    format!("{:.4}", f.psi),
                    format!("{:.4}", f.ks),
                    p_cell(f.ks_p),
                    f.verdict.to_string(),
                ]
            })
            .collect(),
    }
}

#[export_module]
pub mod drift_api {
    use super::drift_table;
    use crate::script::api::convert::ctx_err;
    use crate::script::types::{Matrix, SplitRef, Table};
    use rhai::EvalAltResult;

    /// Drift of every feature of `current` against the same feature of
    /// `reference` (e.g. a split's `x_train` and `x_test`, or two datasets'
    /// `x`): a table with one row per feature of `psi` (population
    /// stability index over the reference's deciles, bin proportions
    /// clipped below at 1e-4), `ks` and `ks_p` (two-sample
    /// Kolmogorov–Smirnov statistic and p-value, as
    /// `scipy.stats.ks_2samp`) and `verdict` (PSI < 0.1 `stable`, up to
    /// 0.25 `moderate`, above `major`). Both matrices need the same number
    /// of columns, at least one row and finite values.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(0);
    /// let t = drift(sp.x_train, sp.x_test);
    /// print(t);
    /// ```
    #[rhai_fn(name = "drift", return_raw)]
    pub fn drift_matrices(reference: Matrix, current: Matrix) -> Result<Table, Box<EvalAltResult>> {
        crate::drift::drift(reference.view(), current.view())
            .map(|rows| drift_table(&rows))
            .map_err(ctx_err)
    }

    /// Drift of a split's test features against its training features:
    /// `drift(sp)` is `drift(sp.x_train, sp.x_test)`.
    ///
    /// ```rhai
    /// let sp = load_dataset("toy-blobs").split(#{ protocol: "pyod", seed: 0 });
    /// print(drift(sp).len);
    /// ```
    #[rhai_fn(name = "drift", return_raw)]
    pub fn drift_split(split: SplitRef) -> Result<Table, Box<EvalAltResult>> {
        let p = &split.0;
        crate::drift::drift(p.x_train.view(), p.x_test.view())
            .map(|rows| drift_table(&rows))
            .map_err(ctx_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_p_values_stay_readable() {
        assert_eq!(p_cell(0.5), "0.5000");
        assert_eq!(p_cell(0.0), "0.0000");
        assert_eq!(p_cell(3.2e-7), "3.20e-7");
    }
}
