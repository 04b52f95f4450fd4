//! Input checks shared by every detector: shape and finiteness.

use super::DetectorError;
use ndarray::ArrayView2;

/// Reject empty input and NaN/inf, naming the first bad cell.
pub fn check_finite(x: ArrayView2<'_, f64>) -> Result<(), DetectorError> {
    if x.nrows() == 0 {
        return Err(DetectorError::Empty);
    }
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(DetectorError::NonFinite { row, col, value });
        }
    }
    Ok(())
}

/// Reject input whose column count differs from the fitted model's.
pub fn check_columns(x: ArrayView2<'_, f64>, expected: usize) -> Result<(), DetectorError> {
    if x.ncols() != expected {
        return Err(DetectorError::WrongColumns {
            expected,
            got: x.ncols(),
        });
    }
    Ok(())
}

/// A detector's own rule on the training size: refuse fewer than `min` rows
/// ([`DetectorError::CannotFit`]; [`super::Detector`] names the detector).
pub fn check_min_rows(x: ArrayView2<'_, f64>, min: usize) -> Result<(), DetectorError> {
    let n = x.nrows();
    if n < min {
        return Err(DetectorError::CannotFit(format!(
            "needs at least {min} training rows; got {n}"
        )));
    }
    Ok(())
}
