//! The population stability index of one feature, with the reference's
//! deciles as bins and proportions clipped at ε (rules in the module doc of
//! [`crate::drift`]).

use super::PSI_EPSILON;
use ndarray::ArrayView1;

/// numpy's `_lerp`: `a + (b − a)·t` for `t < 0.5`, else `b − (b − a)(1 − t)`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// `np.quantile(sorted, q)` (method `linear`) of a sorted, non-empty slice.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    let lo = virtual_index.floor();
    let i = lo as usize;
    lerp(sorted[i], sorted[i + 1], virtual_index - lo)
}

/// The bin edges of a sorted, non-empty reference column: the distinct
/// interior deciles `np.quantile(ref, np.linspace(0, 1, 11))[1:-1]`, plus
/// `np.nextafter(e, inf)` for every decile `e` that is tied (repeated among
/// the deciles, or the reference maximum), so that the tied value is a bin
/// of its own; sorted and distinct.
pub fn decile_edges(sorted_reference: &[f64]) -> Vec<f64> {
    // np.linspace(0, 1, 11)[i] == i * 0.1 (its step times the index).
    let step = 1.0 / 10.0;
    let deciles: Vec<f64> = (1..10)
        .map(|i| quantile_sorted(sorted_reference, i as f64 * step))
        .collect();
    let max = sorted_reference[sorted_reference.len() - 1];
    let mut edges = deciles.clone();
    for (i, &e) in deciles.iter().enumerate() {
        let repeated = deciles.get(i + 1) == Some(&e) || (i > 0 && deciles[i - 1] == e);
        if repeated || e == max {
            edges.push(e.next_up());
        }
    }
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    edges
}

/// Proportion of `sorted` values in each of the `edges.len() + 1` bins,
/// bin `k` holding the values with exactly `k` edges ≤ them.
pub fn bin_proportions(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let n = sorted.len() as f64;
    let mut below = 0usize;
    let mut props = Vec::with_capacity(edges.len() + 1);
    for &e in edges {
        let upto = sorted.partition_point(|&v| v < e);
        props.push((upto - below) as f64 / n);
        below = upto;
    }
    props.push((sorted.len() - below) as f64 / n);
    props
}

/// PSI of two sorted, non-empty, finite columns.
pub(crate) fn psi_sorted(reference: &[f64], current: &[f64]) -> f64 {
    let edges = decile_edges(reference);
    let p_ref = bin_proportions(reference, &edges);
    let p_cur = bin_proportions(current, &edges);
    p_ref
        .iter()
        .zip(&p_cur)
        .map(|(&r, &c)| {
            let (r, c) = (r.max(PSI_EPSILON), c.max(PSI_EPSILON));
            (c - r) * (c / r).ln()
        })
        .sum()
}

/// The PSI of `current` against `reference` (both non-empty and finite; the
/// caller checks, as [`crate::drift::drift`] does).
pub fn psi(reference: ArrayView1<'_, f64>, current: ArrayView1<'_, f64>) -> f64 {
    let mut r = reference.to_vec();
    let mut c = current.to_vec();
    r.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    psi_sorted(&r, &c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn deciles_are_numpy_linear_quantiles() {
        // np.quantile(np.arange(11.0), np.linspace(0, 1, 11))[1:-1]
        let v: Vec<f64> = (0..11).map(f64::from).collect();
        let e = decile_edges(&v);
        assert_eq!(e.len(), 9);
        for (i, x) in e.iter().enumerate() {
            assert!((x - (i + 1) as f64).abs() < 1e-12);
        }
        // np.quantile([1, 2, 3, 4, 10], 0.9) == 7.6
        assert!((quantile_sorted(&[1.0, 2.0, 3.0, 4.0, 10.0], 0.9) - 7.6).abs() < 1e-12);
    }

    #[test]
    fn ties_collapse_edges_and_a_constant_column_has_two_bins() {
        assert_eq!(decile_edges(&[5.0; 20]), vec![5.0, 5.0f64.next_up()]);
        // A value tied over several deciles is a bin of its own.
        let mostly_low: Vec<f64> = (0..100)
            .map(|i| if i < 95 { 0.0 } else { i as f64 })
            .collect();
        assert_eq!(decile_edges(&mostly_low), vec![0.0, 0.0f64.next_up()]);
        let up = psi(
            ndarray::Array1::from(mostly_low).view(),
            array![50.0, 60.0].view(),
        );
        assert!(up > 0.25, "{up}");
        let p = bin_proportions(&[4.0, 5.0, 5.0, 6.0], &[5.0]);
        assert_eq!(p, vec![0.25, 0.75]);
        // Reference constant at 5: all of it in the upper bin; a current set
        // entirely below 5 moves everything to the (ε-clipped) lower bin.
        let psi_low = psi(array![5.0, 5.0, 5.0].view(), array![1.0, 2.0].view());
        let want = 2.0 * (1.0 - PSI_EPSILON) * (1.0 / PSI_EPSILON).ln();
        assert!((psi_low - want).abs() < 1e-12, "{psi_low} vs {want}");
        assert_eq!(psi(array![5.0, 5.0].view(), array![5.0].view()), 0.0);
        // ... and one entirely above it moves everything to the bin above
        // the maximum.
        let psi_high = psi(array![5.0, 5.0, 5.0].view(), array![6.0, 7.0].view());
        assert!((psi_high - want).abs() < 1e-12, "{psi_high} vs {want}");
        // Most of the reference tied at its maximum: a move above it is seen.
        let r: Vec<f64> = (0..100)
            .map(|i| if i < 5 { i as f64 } else { 10.0 })
            .collect();
        let up = psi(ndarray::Array1::from(r).view(), array![11.0, 12.0].view());
        assert!(up > 0.25, "{up}");
    }

    #[test]
    fn values_outside_the_edges_go_to_the_end_bins() {
        let r: Vec<f64> = (0..100).map(f64::from).collect();
        let p = bin_proportions(&[-1e9, 1e9], &decile_edges(&r));
        assert_eq!(p.first(), Some(&0.5));
        assert_eq!(p.last(), Some(&0.5));
        assert_eq!(p.len(), 10);
    }
}
