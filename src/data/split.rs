//! Deterministic train/test splits. Same layout as scikit-learn's
//! `ShuffleSplit`: permute all indices, the first `n_test` form the test part
//! and the next `n_train` the train part, both in permutation order.

use super::DataError;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Which rows go where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// Sizes as scikit-learn's `train_test_split` computes them for a float
/// `test_size`: `n_test = ceil(test_fraction · n)`, the rest is train.
pub fn split_sizes(n: usize, test_fraction: f64) -> Result<(usize, usize), DataError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(DataError::Split(format!(
            "test fraction {test_fraction} must be in (0, 1)"
        )));
    }
    let n_test = (test_fraction * n as f64).ceil() as usize;
    let n_train = n.saturating_sub(n_test);
    if n_train == 0 || n_test == 0 {
        return Err(DataError::Split(format!(
            "{n} samples with test fraction {test_fraction} leave an empty part"
        )));
    }
    Ok((n_train, n_test))
}

/// Split a permutation of `0..n` into test (first) and train (next) parts.
pub fn split_permutation(perm: &[usize], n_train: usize, n_test: usize) -> Split {
    Split {
        test: perm[..n_test].to_vec(),
        train: perm[n_test..n_test + n_train].to_vec(),
    }
}

/// An unstratified shuffle split from a ChaCha8 stream seeded by `seed`.
pub fn shuffle_split(n: usize, test_fraction: f64, seed: u64) -> Result<Split, DataError> {
    let (n_train, n_test) = split_sizes(n, test_fraction)?;
    let mut perm: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    perm.shuffle(&mut rng);
    Ok(split_permutation(&perm, n_train, n_test))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_sklearn() {
        // sklearn: train_test_split(range(1831), test_size=0.4) -> 1098 / 733
        assert_eq!(split_sizes(1831, 0.4).unwrap(), (1098, 733));
        assert_eq!(split_sizes(10, 0.4).unwrap(), (6, 4));
        assert!(split_sizes(1, 0.4).is_err());
        assert!(split_sizes(10, 1.0).is_err());
    }

    #[test]
    fn deterministic_disjoint_and_complete() {
        let a = shuffle_split(100, 0.4, 7).unwrap();
        let b = shuffle_split(100, 0.4, 7).unwrap();
        let c = shuffle_split(100, 0.4, 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut all: Vec<usize> = a.train.iter().chain(&a.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
