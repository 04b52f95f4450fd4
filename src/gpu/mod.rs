//! Where the heavy work runs: the CPU, always, or an NVIDIA GPU through the
//! hand-written kernels in `kernels/` (design and reasons:
//! `kernels/README.md`).
//!
//! The choice is `--device auto|cpu|cuda` (or `ANML_DEVICE`) on the CLI,
//! `device:` in a sweep, and `device("...")` in scripts and notebooks; it is
//! process-wide. The GPU path of every kernel gives the CPU path's answers
//! (bit-identical for neighbours, IsolationForest scores and STOMP's matrix
//! profile; MLP training within a stated tolerance), so the device is never
//! part of a run id, and a kernel that fails at run time (out of memory, a
//! launch error) falls back to the CPU with a one-line notice.
//!
//! The driver is loaded at run time (cudarc's dynamic loading), so the same
//! binary starts on machines without it: `auto` then stays on the CPU with
//! a notice and `cuda` is a [`GpuError`] naming what is missing. A build
//! without the `cuda` cargo feature has no GPU path at all.

#[cfg(feature = "cuda")]
mod artefacts;
#[cfg(feature = "cuda")]
mod driver;
#[cfg(feature = "cuda")]
pub mod iforest;
#[cfg(feature = "cuda")]
pub mod mlp;
#[cfg(feature = "cuda")]
pub mod neighbors;
#[cfg(feature = "cuda")]
pub mod stomp;

#[cfg(feature = "cuda")]
pub use driver::{Gpu, Kernels};

use std::sync::atomic::{AtomicU8, Ordering};

/// The device a run asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// The CPU path (the default: the reference every GPU answer equals).
    #[default]
    Cpu,
    /// A CUDA GPU when one can be used, else the CPU with a notice.
    Auto,
    /// A CUDA GPU, or an error saying what is missing.
    Cuda,
}

impl Device {
    pub const NAMES: [&'static str; 3] = ["auto", "cpu", "cuda"];

    pub fn parse(s: &str) -> Result<Device, GpuError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Device::Cpu),
            "auto" => Ok(Device::Auto),
            "cuda" | "gpu" => Ok(Device::Cuda),
            _ => Err(GpuError::UnknownDevice(s.chars().take(40).collect())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Auto => "auto",
            Device::Cuda => "cuda",
        }
    }
}

impl std::str::FromStr for Device {
    type Err = GpuError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Device::parse(s)
    }
}

/// Why the GPU cannot be used (or a GPU call failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    #[error("unknown device `{0}`; use auto, cpu or cuda")]
    UnknownDevice(String),
    #[error(
        "device cuda: this anml was built without CUDA support (cargo feature `cuda`); use --device cpu"
    )]
    NotBuilt,
    #[error(
        "device cuda: the NVIDIA driver library (libcuda.so.1) was not found; install the NVIDIA \
         driver (only the driver is needed: anml's kernels are built in), or use --device cpu or auto"
    )]
    NoDriver,
    #[error("device cuda: no usable CUDA device ({0})")]
    NoDevice(String),
    #[error(
        "device cuda: the GPU has compute capability {major}.{minor}; anml's kernels need 8.0 or newer"
    )]
    Unsupported { major: i32, minor: i32 },
    #[error("CUDA {what}: {message}")]
    Driver { what: String, message: String },
    #[error("the GPU path does not take this input ({0}); the CPU path runs it")]
    NotApplicable(String),
}

/// What `select` settled on.
#[derive(Debug, Clone, PartialEq)]
pub enum Selected {
    Cpu,
    Gpu(GpuInfo),
    /// `auto` found no usable GPU: the CPU runs, for this reason.
    FellBack(GpuError),
}

/// The GPU as the result records describe it (filled from the driver).
#[derive(Debug, Clone, PartialEq)]
pub struct GpuInfo {
    pub model: String,
    pub compute_capability: (i32, i32),
    /// The driver's CUDA version, e.g. "12.8".
    pub driver_version: String,
    pub device_count: usize,
    pub total_memory: usize,
}

const USE_CPU: u8 = 0;
const USE_GPU: u8 = 1;
/// Whether the GPU is in use (set by [`select`]).
static IN_USE: AtomicU8 = AtomicU8::new(USE_CPU);

/// Select the device for this process. `Cpu` always succeeds; `Cuda`
/// succeeds only with a usable GPU; `Auto` takes the GPU when it can and
/// otherwise returns [`Selected::FellBack`] (the caller prints the notice).
pub fn select(device: Device) -> Result<Selected, GpuError> {
    match device {
        Device::Cpu => {
            IN_USE.store(USE_CPU, Ordering::SeqCst);
            Ok(Selected::Cpu)
        }
        Device::Cuda => match gpu_info() {
            Ok(info) => {
                IN_USE.store(USE_GPU, Ordering::SeqCst);
                Ok(Selected::Gpu(info))
            }
            Err(e) => Err(e),
        },
        Device::Auto => match gpu_info() {
            Ok(info) => {
                IN_USE.store(USE_GPU, Ordering::SeqCst);
                Ok(Selected::Gpu(info))
            }
            Err(e) => {
                IN_USE.store(USE_CPU, Ordering::SeqCst);
                Ok(Selected::FellBack(e))
            }
        },
    }
}

/// The device currently selected, as a name (`cpu` or `cuda`).
pub fn current() -> Device {
    if IN_USE.load(Ordering::SeqCst) == USE_GPU {
        Device::Cuda
    } else {
        Device::Cpu
    }
}

/// Run `f` with `device` selected, then restore the previous choice
/// (sweeps' `device:` key).
pub fn with_device<R>(device: Device, f: impl FnOnce() -> R) -> Result<R, GpuError> {
    let before = IN_USE.load(Ordering::SeqCst);
    let selected = select(device)?;
    if let Selected::FellBack(e) = &selected {
        fallback_notice(e);
    }
    let out = f();
    IN_USE.store(before, Ordering::SeqCst);
    Ok(out)
}

/// The one-line notice `auto` prints when it stays on the CPU.
pub fn fallback_notice(e: &GpuError) {
    eprintln!("note: device auto: running on the CPU ({e})");
}

/// The GPU in use, if one is selected.
#[cfg(feature = "cuda")]
pub fn active() -> Option<std::sync::Arc<Gpu>> {
    if IN_USE.load(Ordering::SeqCst) != USE_GPU {
        return None;
    }
    driver::shared().ok()
}

/// The GPU in use, if one is selected (never, in a CPU-only build).
#[cfg(not(feature = "cuda"))]
pub fn active() -> Option<std::convert::Infallible> {
    None
}

/// The in-use GPU's description, for the hardware descriptor.
pub fn active_info() -> Option<GpuInfo> {
    #[cfg(feature = "cuda")]
    {
        active().map(|g| g.info().clone())
    }
    #[cfg(not(feature = "cuda"))]
    {
        None
    }
}

fn gpu_info() -> Result<GpuInfo, GpuError> {
    #[cfg(feature = "cuda")]
    {
        driver::shared().map(|g| g.info().clone())
    }
    #[cfg(not(feature = "cuda"))]
    {
        Err(GpuError::NotBuilt)
    }
}

/// Print, once per kernel family, that a GPU call failed and the CPU ran it.
pub fn gpu_failed_notice(family: &'static str, e: &GpuError) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(HashSet::new()));
    let first = seen.lock().map(|mut s| s.insert(family)).unwrap_or(true);
    if first && !matches!(e, GpuError::NotApplicable(_)) {
        eprintln!("note: GPU {family} failed, the CPU ran it instead ({e})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_parse() {
        assert_eq!(Device::parse("CPU"), Ok(Device::Cpu));
        assert_eq!(Device::parse(" auto"), Ok(Device::Auto));
        assert_eq!(Device::parse("cuda"), Ok(Device::Cuda));
        let e = Device::parse(&"x".repeat(1000)).unwrap_err();
        assert!(e.to_string().len() < 100, "{e}");
        for n in Device::NAMES {
            assert_eq!(Device::parse(n).map(Device::name), Ok(n));
        }
    }
}
