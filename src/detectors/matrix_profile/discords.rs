//! Top-k discords: the windows farthest from their nearest neighbour.

use super::{MatrixProfile, MatrixProfileError};

/// One discord: a window's start index and its nearest-neighbour distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discord {
    /// Start index of the window.
    pub index: usize,
    /// Its matrix-profile value (distance to the nearest neighbour).
    pub distance: f64,
}

/// The top-`k` non-overlapping discords of a matrix profile, largest first.
///
/// Repeatedly takes the largest finite profile value (ties: the lowest
/// index) and then excludes every start index `j` with
/// `|j - index| < exclusion` from later picks. `exclusion` defaults to `m`,
/// so no two discord windows overlap; 0 is treated as 1 (a window is never
/// picked twice). Windows without a neighbour (`inf`) and NaN are skipped,
/// so fewer than `k` discords come back when the profile runs out.
///
/// Errors: `k = 0`.
pub fn discords(
    mp: &MatrixProfile,
    k: usize,
    exclusion: Option<usize>,
) -> Result<Vec<Discord>, MatrixProfileError> {
    if k == 0 {
        return Err(MatrixProfileError::ZeroDiscords);
    }
    let p = &mp.profile;
    let reach = exclusion.unwrap_or(mp.m).max(1) - 1;
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_finite()).collect();
    // Largest distance first, then the lowest index (values are finite).
    order.sort_by(|&a, &b| {
        p[b].partial_cmp(&p[a])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let mut blocked = vec![false; p.len()];
    let mut out = Vec::with_capacity(k.min(order.len()));
    for i in order {
        if out.len() == k {
            break;
        }
        if blocked[i] {
            continue;
        }
        out.push(Discord {
            index: i,
            distance: p[i],
        });
        let lo = i.saturating_sub(reach);
        let hi = i.saturating_add(reach).min(p.len() - 1);
        blocked[lo..=hi].fill(true);
    }
    Ok(out)
}
