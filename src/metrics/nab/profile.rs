//! NAB's application profiles and their cost matrices
//! (`config/profiles.json`).

use super::super::MetricError;
use std::fmt;
use std::str::FromStr;

/// One of NAB's three application profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NabProfile {
    /// `standard`: tp 1, fp 0.11, fn 1.
    Standard,
    /// `reward_low_FP_rate`: false positives cost twice as much (fp 0.22).
    RewardLowFp,
    /// `reward_low_FN_rate`: missed windows cost twice as much (fn 2).
    RewardLowFn,
}

/// The weights of a profile, as `CostMatrix` in NAB's `profiles.json`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostMatrix {
    /// `tpWeight`: the score of a detection at the very start of a window.
    pub tp: f64,
    /// `fpWeight`: the cost of a detection far from any window.
    pub fp: f64,
    /// `fnWeight`: the cost of a window without a detection.
    pub fn_: f64,
    /// `tnWeight`: listed by NAB but never used by its scorer.
    pub tn: f64,
}

impl NabProfile {
    /// The three profiles, in the order NAB reports them.
    pub const ALL: [NabProfile; 3] = [
        NabProfile::Standard,
        NabProfile::RewardLowFp,
        NabProfile::RewardLowFn,
    ];

    /// NAB's weights for this profile.
    pub fn weights(self) -> CostMatrix {
        let (fp, fn_) = match self {
            NabProfile::Standard => (0.11, 1.0),
            NabProfile::RewardLowFp => (0.22, 1.0),
            NabProfile::RewardLowFn => (0.11, 2.0),
        };
        CostMatrix {
            tp: 1.0,
            fp,
            fn_,
            tn: 1.0,
        }
    }

    /// The profile's key in NAB's `profiles.json` and results files.
    pub fn name(self) -> &'static str {
        match self {
            NabProfile::Standard => "standard",
            NabProfile::RewardLowFp => "reward_low_FP_rate",
            NabProfile::RewardLowFn => "reward_low_FN_rate",
        }
    }
}

impl fmt::Display for NabProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NabProfile {
    type Err = MetricError;

    /// NAB's profile key ([`NabProfile::name`]).
    fn from_str(name: &str) -> Result<Self, MetricError> {
        NabProfile::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| MetricError::NabUnknownProfile {
                name: name.to_string(),
            })
    }
}
