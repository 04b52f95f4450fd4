//! NumPy's floating-point kernels, reproduced operation for operation so
//! that sums and percentiles round exactly as they do in scikit-learn/PyOD.

/// NumPy's block size for pairwise summation (`PW_BLOCKSIZE`).
const PW_BLOCKSIZE: usize = 128;

/// `np.sum` of a contiguous `float64` array: the reduction starts from the
/// identity `0.0` and adds NumPy's pairwise sum of all elements
/// (`pairwise_sum_DOUBLE` in `numpy/_core/src/umath/loops_utils.h.src`).
pub(crate) fn np_sum(a: &[f64]) -> f64 {
    0.0 + pairwise_sum(a)
}

fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &v in a {
            res += v;
        }
        res
    } else if n <= PW_BLOCKSIZE {
        // Eight accumulators, combined as a balanced tree, then the tail.
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for chunk in a[8..full].chunks_exact(8) {
            for (acc, &v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &a[full..] {
            res += v;
        }
        res
    } else {
        // Halve, keeping the first half a multiple of the unroll factor.
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.percentile(a, q)` with the default `method="linear"`, where
/// `ascending` is `a` sorted ascending (non-empty, finite) and `q` is in
/// `[0, 100]`. Follows NumPy's `_quantile`: virtual index `(n-1)·q/100`,
/// neighbours clamped to the array, and `_lerp`'s two-sided formula.
pub(crate) fn np_percentile_linear(ascending: &[f64], q: f64) -> f64 {
    let n = ascending.len();
    let last = n.saturating_sub(1);
    let quantile = q / 100.0;
    let virtual_index = last as f64 * quantile;
    let floor = virtual_index.floor();
    let (prev, next, gamma) = if virtual_index >= last as f64 {
        // NumPy sets both neighbours to index -1 (the maximum).
        (last, last, virtual_index - -1.0)
    } else if virtual_index < 0.0 {
        (0, 0, virtual_index - floor)
    } else {
        // 0 ≤ floor < n - 1, so the conversion is exact and in range.
        let prev = floor as usize;
        (prev, prev + 1, virtual_index - floor)
    };
    let (a, b) = (ascending[prev], ascending[next]);
    let diff_b_a = b - a;
    if gamma >= 0.5 {
        b - diff_b_a * (1.0 - gamma)
    } else {
        a + diff_b_a * gamma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_small_and_blocked() {
        assert_eq!(np_sum(&[]), 0.0);
        assert_eq!(np_sum(&[1.0, 2.0, 3.5]), 6.5);
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(np_sum(&v), 500_500.0);
    }

    #[test]
    fn sum_order_is_numpys() {
        // A left fold loses every 1e-16 against 1.0; NumPy's eight
        // accumulators add most of them to each other first.
        let mut a = vec![1.0];
        a.extend([1e-16; 16]);
        assert_eq!(a.iter().fold(0.0, |s, &v| s + v), 1.0);
        // float(np.sum(a)) with NumPy 2.4
        assert_eq!(np_sum(&a), 1.0000000000000016);
    }

    #[test]
    fn percentile_matches_numpy() {
        let a = [1.0, 2.0, 3.0, 4.0, 10.0];
        // np.percentile([1,2,3,4,10], q) for these q
        assert_eq!(np_percentile_linear(&a, 0.0), 1.0);
        assert_eq!(np_percentile_linear(&a, 100.0), 10.0);
        assert_eq!(np_percentile_linear(&a, 50.0), 3.0);
        // NumPy's values, rounding included
        assert_eq!(np_percentile_linear(&a, 80.0), 5.200000000000001);
        assert_eq!(np_percentile_linear(&a, 90.0), 7.6000000000000005);
        assert_eq!(
            np_percentile_linear(&[0.1, 0.2, 0.7], 37.5),
            0.17500000000000002
        );
        assert_eq!(np_percentile_linear(&[7.0], 30.0), 7.0);
    }
}
