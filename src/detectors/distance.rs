//! The exact squared Euclidean distance shared by the detectors that must
//! reproduce a reference's feature-order sums bit for bit (CBLOF's k-means,
//! INNE, the KD-tree leaves).
//!
//! It exists because that sum is one chain of dependent additions: summed
//! one row at a time in many dimensions, the adder waits on its own latency.
//! Summing eight rows side by side keeps every row's order (so the same
//! bits) and lets the eight chains overlap.

/// `Σ_f (q_f − x_f)²`, summed in feature order, from `q` to each row of the row-major `rows` (`d` columns),
/// into `out`. Eight rows are summed side by side, each in feature order
/// with its own accumulator: the same bits as one at a time, but eight
/// independent chains keep the adder busy in many dimensions.
pub fn sq_dists_to_rows(q: &[f64], rows: &[f64], d: usize, out: &mut [f64]) {
    const LANES: usize = 8;
    let mut groups = out.chunks_exact_mut(LANES);
    let mut r0 = 0;
    for group in &mut groups {
        let xs: [&[f64]; LANES] = std::array::from_fn(|l| &rows[(r0 + l) * d..][..d]);
        let mut acc = [0.0f64; LANES];
        for (f, &v) in q.iter().enumerate() {
            for (a, x) in acc.iter_mut().zip(&xs) {
                let t = v - x[f];
                *a += t * t;
            }
        }
        group.copy_from_slice(&acc);
        r0 += LANES;
    }
    for (o, r) in groups.into_remainder().iter_mut().zip(r0..) {
        let mut acc = 0.0;
        for (&v, &w) in q.iter().zip(&rows[r * d..][..d]) {
            let t = v - w;
            acc += t * t;
        }
        *o = acc;
    }
}

/// [`sq_dists_to_rows`] for the listed rows only: `out` gets, in the order of
/// `idx`, `Σ_f (q_f − x_f)²` summed in feature order from `q` to row `idx[i]`
/// of the row-major `rows` (`d` columns). The same bits as
/// [`sq_dists_to_rows`] for those rows; eight listed rows side by side.
pub fn sq_dists_to_listed_rows(
    q: &[f64],
    rows: &[f64],
    d: usize,
    idx: &[usize],
    out: &mut Vec<f64>,
) {
    const LANES: usize = 8;
    out.clear();
    let mut groups = idx.chunks_exact(LANES);
    for group in &mut groups {
        let xs: [&[f64]; LANES] = std::array::from_fn(|l| &rows[group[l] * d..][..d]);
        let mut acc = [0.0f64; LANES];
        for (f, &v) in q.iter().enumerate() {
            for (a, x) in acc.iter_mut().zip(&xs) {
                let t = v - x[f];
                *a += t * t;
            }
        }
        out.extend_from_slice(&acc);
    }
    for &j in groups.remainder() {
        let mut acc = 0.0;
        for (&v, &w) in q.iter().zip(&rows[j * d..][..d]) {
            let t = v - w;
            acc += t * t;
        }
        out.push(acc);
    }
}
