//! numpy's legacy `RandomState` (MT19937), only as far as splitting needs it.
//!
//! Why this exists: PyOD's benchmark protocol splits each dataset with
//! `train_test_split(X, y, test_size=0.4, random_state=np.random.RandomState(seed))`.
//! scikit-learn's `ShuffleSplit` turns that into `rng.permutation(n_samples)`,
//! test = the first `n_test` entries, train = the next `n_train`. To compare
//! anml's numbers with published PyOD tables on *identical* splits, anml must
//! reproduce that permutation bit for bit, so this module mirrors numpy's
//! code path exactly instead of using a generic Mersenne Twister crate:
//!
//! * `RandomState(seed)` with an integer seed → `_legacy_seeding` →
//!   `mt19937_seed(state, seed)` (Matsumoto & Nishimura's `init_genrand`:
//!   `key[i] = 1812433253 · (key[i-1] ^ (key[i-1] >> 30)) + i`), then
//!   `pos = 624` so the first draw regenerates the whole block
//!   (`mt19937_gen`). numpy rejects seeds outside `0..=2³²-1`; here the type
//!   (`u32`) does, and `Protocol::Pyod` reports larger split seeds as errors.
//! * `next_uint32` → `mt19937_next32` (the tempered output); `next_uint64` →
//!   `(next32 << 32) | next32`.
//! * `RandomState.permutation(n)` → `arr = np.arange(n); self.shuffle(arr)`;
//!   the 1-d ndarray branch of the legacy `shuffle` is `_shuffle_raw`: for
//!   `i` from `n-1` down to 1, `j = random_interval(bitgen, i)`, swap
//!   `arr[i]`, `arr[j]` (Fisher–Yates from the back).
//! * `random_interval(bitgen, max)` (numpy `distributions.c`): rejection
//!   sampling on `draw & mask`, `mask` the smallest all-ones mask ≥ `max`,
//!   drawing 32-bit words when `max ≤ 0xffff_ffff` and 64-bit words
//!   otherwise. Shuffles of fewer than 2³² elements therefore only ever use
//!   32-bit draws; both widths are implemented.
//!
//! Verified against numpy 2.4 by the unit tests below and by
//! `tests/pyod_protocol.rs` (fixture from `scripts/gen_split_reference.py`).

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// numpy's legacy `np.random.RandomState(seed)` for an integer seed.
#[derive(Clone)]
pub struct NumpyRandomState {
    key: [u32; N],
    pos: usize,
}

impl std::fmt::Debug for NumpyRandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumpyRandomState")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl NumpyRandomState {
    /// `np.random.RandomState(seed)` (`mt19937_seed`).
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; N];
        let mut s = seed;
        for (pos, k) in key.iter_mut().enumerate() {
            *k = s;
            // `pos + 1 ≤ 624`, so the cast is lossless.
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(pos as u32 + 1);
        }
        Self { key, pos: N }
    }

    /// Regenerate the block of 624 words (`mt19937_gen`).
    fn generate(&mut self) {
        let mag = |y: u32| if y & 1 == 1 { MATRIX_A } else { 0 };
        for i in 0..N {
            let y = (self.key[i] & UPPER_MASK) | (self.key[(i + 1) % N] & LOWER_MASK);
            self.key[i] = self.key[(i + M) % N] ^ (y >> 1) ^ mag(y);
        }
        self.pos = 0;
    }

    /// The next tempered 32-bit output (`mt19937_next32`, `next_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `next_uint64` of numpy's MT19937 bit generator: high word first.
    pub fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        let lo = u64::from(self.next_u32());
        (hi << 32) | lo
    }

    /// A uniform integer in `0..=max` exactly as numpy's `random_interval`
    /// draws it (masked rejection sampling; 32-bit draws for
    /// `max ≤ 0xffff_ffff`, 64-bit draws above).
    pub fn random_interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        if max <= u64::from(u32::MAX) {
            loop {
                let value = u64::from(self.next_u32()) & mask;
                if value <= max {
                    return value;
                }
            }
        } else {
            loop {
                let value = self.next_u64() & mask;
                if value <= max {
                    return value;
                }
            }
        }
    }

    /// Shuffle `items` in place as the legacy `RandomState.shuffle` does
    /// for a 1-d array (`_shuffle_raw`).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            // `j ≤ i < items.len()`, so it fits in usize.
            let j = self.random_interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `RandomState.permutation(n)`: `np.arange(n)` shuffled in place.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut perm: Vec<usize> = (0..n).collect();
        self.shuffle(&mut perm);
        perm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_outputs_match_numpy() {
        // np.random.RandomState(s).randint(0, 2**32, size=6, dtype=np.uint64)
        let cases: [(u32, [u32; 6]); 2] = [
            (
                0,
                [
                    2357136044, 2546248239, 3071714933, 3626093760, 2588848963, 3684848379,
                ],
            ),
            (
                5489,
                [
                    3499211612, 581869302, 3890346734, 3586334585, 545404204, 4161255391,
                ],
            ),
        ];
        for (seed, expected) in cases {
            let mut rs = NumpyRandomState::new(seed);
            let got: Vec<u32> = (0..6).map(|_| rs.next_u32()).collect();
            assert_eq!(got, expected, "seed {seed}");
        }
    }

    #[test]
    fn output_after_block_regeneration_matches_numpy() {
        // rs = np.random.RandomState(0); rs.randint(0, 2**32, size=1000, dtype=np.uint64)[[623, 624, 999]]
        let mut rs = NumpyRandomState::new(0);
        let got: Vec<u32> = (0..1000).map(|_| rs.next_u32()).collect();
        assert_eq!(
            [got[623], got[624], got[999]],
            [3791854820, 341544762, 3043451800]
        );
    }

    #[test]
    fn permutations_match_numpy() {
        // np.random.RandomState(42).permutation(n).tolist()
        assert_eq!(
            NumpyRandomState::new(42).permutation(0),
            Vec::<usize>::new()
        );
        assert_eq!(NumpyRandomState::new(42).permutation(1), vec![0]);
        assert_eq!(NumpyRandomState::new(42).permutation(2), vec![1, 0]);
        assert_eq!(
            NumpyRandomState::new(42).permutation(5),
            vec![1, 4, 2, 0, 3]
        );
        assert_eq!(
            NumpyRandomState::new(42).permutation(10),
            vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]
        );
        // np.random.RandomState(0).permutation(10).tolist()
        assert_eq!(
            NumpyRandomState::new(0).permutation(10),
            vec![2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
        );
        // np.random.RandomState(4294967295).permutation(7).tolist()
        assert_eq!(
            NumpyRandomState::new(u32::MAX).permutation(7),
            vec![1, 5, 0, 6, 4, 2, 3]
        );
    }

    #[test]
    fn sixty_four_bit_draws_match_numpy() {
        // np.random.RandomState(1).randint(0, 2**64, size=2, dtype=np.uint64)
        let mut rs = NumpyRandomState::new(1);
        assert_eq!(
            [rs.next_u64(), rs.next_u64()],
            [7692698082559361259, 13287641507927168072]
        );
        // Legacy randint with a range above 2^32 is the same masked rejection
        // on 64-bit words as random_interval's wide branch:
        // np.random.RandomState(1).randint(0, 2**40 + 5, size=3, dtype=np.uint64)
        let mut rs = NumpyRandomState::new(1);
        let got: Vec<u64> = (0..3).map(|_| rs.random_interval((1 << 40) + 4)).collect();
        assert_eq!(got, [163196666091, 1095766950793, 876169207429]);
        // and the narrow branch: randint(0, 2**32, dtype=np.uint64) is
        // next_uint32 masked by 0xffffffff.
        let mut rs = NumpyRandomState::new(1);
        assert_eq!(rs.random_interval(u64::from(u32::MAX)), 1791095845);
        assert_eq!(NumpyRandomState::new(1).random_interval(0), 0);
    }
}
