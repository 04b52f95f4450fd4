//! pythresh's `HIST(method="otsu")`: Otsu's method on a histogram of the
//! normalised scores with `int(n^0.7)` equal bins over [0, 1]; the threshold
//! is the bin centre maximising the between-class variance, and scores
//! strictly above it are flagged.

use super::{Cut, Options, Scores, Threshold, ThresholdError};

/// `np.linspace(lower, upper, num)`: `i * step + lower`, the last point
/// set to `upper`.
pub(super) fn linspace(lower: f64, upper: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![lower];
    }
    let step = (upper - lower) / (num - 1) as f64;
    let mut y: Vec<f64> = (0..num).map(|i| i as f64 * step + lower).collect();
    if let Some(last) = y.last_mut() {
        *last = upper;
    }
    y
}

/// `np.histogram(z, bins=nbins, range=(0, 1))`: counts and bin centres,
/// with numpy's index computation and its corrections at the edges.
fn histogram(z: &[f64], nbins: usize) -> (Vec<f64>, Vec<f64>) {
    let edges = linspace(0.0, 1.0, nbins + 1);
    let mut counts = vec![0.0; nbins];
    for &x in z {
        if !(0.0..=1.0).contains(&x) {
            continue;
        }
        // ((x - 0) / (1 - 0)) * nbins, truncated
        let mut i = ((x / 1.0) * nbins as f64) as usize;
        if i == nbins {
            i -= 1;
        }
        if x < edges[i] {
            i -= 1;
        } else if x >= edges[i + 1] && i != nbins - 1 {
            i += 1;
        }
        counts[i] += 1.0;
    }
    let centres = edges.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    (counts, centres)
}

pub(super) fn fit(scores: &Scores<'_>, _: &Options) -> Result<Threshold, ThresholdError> {
    let z = &scores.normalised;
    // int(len(decision) ** 0.7)
    let nbins = (z.len() as f64).powf(0.7) as usize;
    if nbins < 2 {
        return Err(ThresholdError::CannotFit {
            method: "otsu",
            message: format!(
                "{} scores give {nbins} histogram bin(s); Otsu needs 2",
                z.len()
            ),
        });
    }
    let (counts, centres) = histogram(z, nbins);
    let cumsum = |v: &mut dyn Iterator<Item = f64>| -> Vec<f64> {
        let mut acc = 0.0;
        v.map(|x| {
            acc += x;
            acc
        })
        .collect()
    };
    let weighted: Vec<f64> = counts.iter().zip(&centres).map(|(c, b)| c * b).collect();
    let weight1 = cumsum(&mut counts.iter().copied());
    let mut weight2 = cumsum(&mut counts.iter().rev().copied());
    weight2.reverse();
    let mean1: Vec<f64> = cumsum(&mut weighted.iter().copied())
        .iter()
        .zip(&weight1)
        .map(|(s, w)| s / w)
        .collect();
    // (cumsum(reversed) / weight2[::-1])[::-1]
    let mut mean2: Vec<f64> = cumsum(&mut weighted.iter().rev().copied())
        .iter()
        .zip(weight2.iter().rev())
        .map(|(s, w)| s / w)
        .collect();
    mean2.reverse();
    // np.argmax: the first maximum, or the first NaN
    let mut best = 0;
    let mut best_v = f64::NEG_INFINITY;
    for i in 0..nbins - 1 {
        let v = weight1[i] * weight2[i + 1] * (mean1[i] - mean2[i + 1]).powi(2);
        if v.is_nan() {
            best = i;
            break;
        }
        if v > best_v {
            best_v = v;
            best = i;
        }
    }
    let limit = centres[best];
    Ok(Threshold::normalised(
        "otsu",
        scores,
        limit,
        scores.scale.denormalise(limit),
        Cut::Above,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_puts_edges_like_numpy() {
        // np.histogram([0, 0.25, 0.5, 0.75, 1], bins=4, range=(0, 1))
        let (c, b) = histogram(&[0.0, 0.25, 0.5, 0.75, 1.0], 4);
        assert_eq!(c, vec![1.0, 1.0, 1.0, 2.0]);
        assert_eq!(b, vec![0.125, 0.375, 0.625, 0.875]);
        assert_eq!(linspace(0.0, 1.0, 3), vec![0.0, 0.5, 1.0]);
    }
}
