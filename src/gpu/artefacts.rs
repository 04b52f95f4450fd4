//! The compiled kernels, embedded in the binary (`include_bytes!`) so that a
//! GPU machine needs only the driver: CUBIN for each shipped architecture,
//! and PTX the driver JIT-compiles for any other device of compute
//! capability 8.0 or newer. Built from `kernels/*.cu` by
//! `scripts/build_kernels.sh`; `tests/cuda_kernels.rs` fails when they are
//! stale.

/// The CUBIN architectures, highest first (tests/cuda_kernels.rs builds the
/// same list).
pub const CUBIN_ARCHES: [u32; 4] = [90, 89, 86, 80];

macro_rules! family {
    ($stem:literal) => {
        Family {
            stem: $stem,
            cubins: [
                include_bytes!(concat!("../../kernels/build/", $stem, ".sm_90.cubin")),
                include_bytes!(concat!("../../kernels/build/", $stem, ".sm_89.cubin")),
                include_bytes!(concat!("../../kernels/build/", $stem, ".sm_86.cubin")),
                include_bytes!(concat!("../../kernels/build/", $stem, ".sm_80.cubin")),
            ],
            ptx: include_str!(concat!("../../kernels/build/", $stem, ".compute_80.ptx")),
        }
    };
}

/// One `kernels/*.cu` file's build outputs.
pub struct Family {
    pub stem: &'static str,
    /// In [`CUBIN_ARCHES`] order.
    pub cubins: [&'static [u8]; 4],
    pub ptx: &'static str,
}

pub static SQDIST_TOPK: Family = family!("sqdist_topk");
pub static IFOREST_SCORE: Family = family!("iforest_score");
pub static STOMP: Family = family!("stomp");
pub static MLP: Family = family!("mlp");

/// What to load on a device of compute capability `major.minor`: the CUBIN
/// of the highest shipped architecture of the same major version not above
/// it (CUBIN runs on later minor versions), else the PTX (JIT), or `None`
/// below 8.0.
pub enum Image {
    Cubin(&'static [u8]),
    Ptx(&'static str),
}

pub fn image(family: &Family, major: i32, minor: i32) -> Option<Image> {
    if major < 8 {
        return None;
    }
    let cc = (major * 10 + minor) as u32;
    for (arch, cubin) in CUBIN_ARCHES.iter().zip(family.cubins) {
        if arch / 10 == major as u32 && *arch <= cc {
            return Some(Image::Cubin(cubin));
        }
    }
    Some(Image::Ptx(family.ptx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_right_image() {
        let pick = |ma, mi| match image(&SQDIST_TOPK, ma, mi) {
            Some(Image::Cubin(c)) => format!("cubin{}", c.len()),
            Some(Image::Ptx(_)) => "ptx".into(),
            None => "none".into(),
        };
        let cubin = |i: usize| format!("cubin{}", SQDIST_TOPK.cubins[i].len());
        assert_eq!(pick(9, 0), cubin(0)); // H100/H200
        assert_eq!(pick(8, 9), cubin(1));
        assert_eq!(pick(8, 7), cubin(2)); // Orin runs the sm_86 CUBIN
        assert_eq!(pick(8, 0), cubin(3));
        assert_eq!(pick(10, 0), "ptx"); // Blackwell: JIT
        assert_eq!(pick(12, 0), "ptx");
        assert_eq!(pick(7, 5), "none");
        for f in [&SQDIST_TOPK, &IFOREST_SCORE, &STOMP, &MLP] {
            assert!(f.ptx.contains(".entry"), "{}", f.stem);
            // CUBIN is ELF.
            assert!(
                f.cubins.iter().all(|c| c.starts_with(b"\x7fELF")),
                "{}",
                f.stem
            );
        }
    }
}
