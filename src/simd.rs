//! Which build of anml's own vector kernels runs (`exp_fixed::widest_simd!`,
//! the neighbour search's scan, STOMP): the widest this CPU has, AVX-512F,
//! AVX2 or baseline x86-64, or a narrower one named by the environment
//! variable `ANML_SIMD` (`avx512`, `avx2` or `baseline`).
//!
//! Every build gives the same bits (each kernel's tests compare them), so
//! the cap changes only speed. It exists to time the AVX2 kernels on an
//! AVX-512 machine (`benches/NOTES.md` item 23) and to rule a build out when one
//! is suspected; it can lower the level, never raise it past the CPU. The
//! binary refuses a value it does not know before doing anything
//! ([`check_env`]); the library, which cannot report it, ignores one.

use std::sync::OnceLock;

/// The environment variable that caps the level.
pub const ENV: &str = "ANML_SIMD";

/// A build of the kernels, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    Baseline,
    Avx2,
    Avx512,
}

impl SimdLevel {
    /// The name `ANML_SIMD` takes and reports give.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Baseline => "baseline",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// Parse a name (case-insensitive).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "baseline" => Ok(SimdLevel::Baseline),
            "avx2" => Ok(SimdLevel::Avx2),
            "avx512" | "avx512f" => Ok(SimdLevel::Avx512),
            other => {
                // A long value is cut in the message (it is never used).
                let shown: String = other.chars().take(40).collect();
                let cut = if shown.len() < other.len() { "…" } else { "" };
                Err(format!(
                    "{ENV}={shown:?}{cut} is not a SIMD level; use avx512, avx2 or baseline \
                     (or leave it unset for the widest this CPU has)"
                ))
            }
        }
    }
}

/// The widest level this CPU runs.
pub fn detected() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return SimdLevel::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Baseline
}

/// The cap `ANML_SIMD` names: `Ok(None)` when it is unset or empty.
pub fn cap_from_env() -> Result<Option<SimdLevel>, String> {
    match std::env::var(ENV) {
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => SimdLevel::parse(&v).map(Some),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{ENV} is not valid UTF-8")),
    }
}

/// For the binary, before any work: an `ANML_SIMD` value that names no
/// level is an error.
pub fn check_env() -> Result<(), String> {
    cap_from_env().map(|_| ())
}

/// The level the kernels run: [`detected`], lowered to `ANML_SIMD` where
/// that is narrower. Read once per process.
pub fn level() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cpu = detected();
        match cap_from_env() {
            Ok(Some(cap)) => cpu.min(cap),
            _ => cpu,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for l in [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512] {
            assert_eq!(SimdLevel::parse(l.name()), Ok(l));
        }
        assert_eq!(SimdLevel::parse(" AVX2 "), Ok(SimdLevel::Avx2));
        let e = SimdLevel::parse("sse9").unwrap_err();
        assert!(e.contains("ANML_SIMD") && e.contains("avx2"), "{e}");
        let long = SimdLevel::parse(&"a".repeat(100_000)).unwrap_err();
        assert!(long.len() < 200 && long.contains('…'), "{long}");
        assert!(SimdLevel::Baseline < SimdLevel::Avx2 && SimdLevel::Avx2 < SimdLevel::Avx512);
    }

    #[test]
    fn the_level_never_exceeds_the_cpu() {
        assert!(level() <= detected());
    }
}
