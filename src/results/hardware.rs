//! The hardware descriptor recorded in every result, read from the machine
//! (/proc/cpuinfo, the core count, the linked BLAS).

use serde::{Deserialize, Serialize};
use std::ffi::{CStr, c_char};

// The BLAS that ndarray-linalg links (Debian's libopenblas through
// openblas-src's `system` feature) reports its own build and the kernel it
// chose at run time; that is the "driver" of a CPU run.
#[link(name = "openblas")]
unsafe extern "C" {
    fn openblas_get_config() -> *const c_char;
    fn openblas_get_corename() -> *const c_char;
}

fn c_str(p: *const c_char) -> String {
    if p.is_null() {
        return "unknown".into();
    }
    // SAFETY: OpenBLAS returns pointers to static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }
        .to_string_lossy()
        .trim()
        .to_string()
}

/// `OpenBLAS <version and build flags> (kernel <core>)`.
pub fn blas_description() -> String {
    // SAFETY: both functions take no arguments and only read static data.
    let (config, core) = unsafe { (openblas_get_config(), openblas_get_corename()) };
    format!("{} (kernel {})", c_str(config), c_str(core))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hardware {
    pub device_type: String,
    pub vendor: String,
    pub model: String,
    pub driver: String,
    pub num_devices: usize,
    pub notes: String,
}

impl Hardware {
    /// Describe the device this process runs its heavy work on: the GPU in
    /// use (from the driver), else the CPU.
    pub fn detect() -> Self {
        let cpu = Self::detect_cpu();
        match crate::gpu::active_info() {
            Some(gpu) => Self::gpu(&gpu, &cpu),
            None => cpu,
        }
    }

    /// The GPU descriptor: vendor NVIDIA, the driver's model name, CUDA
    /// driver version and device count; the host CPU goes in the notes.
    fn gpu(gpu: &crate::gpu::GpuInfo, cpu: &Hardware) -> Self {
        let (major, minor) = gpu.compute_capability;
        Self {
            device_type: "gpu".into(),
            vendor: "NVIDIA".into(),
            model: gpu.model.clone(),
            driver: format!("CUDA driver {}", gpu.driver_version),
            num_devices: gpu.device_count,
            notes: format!(
                "compute capability {major}.{minor}; {:.1} GiB; host CPU {} ({}); {}",
                gpu.total_memory as f64 / f64::from(1u32 << 30),
                cpu.model,
                cpu.driver,
                cpu.notes
            ),
        }
    }

    /// Describe the CPU this process runs on. `num_devices` counts logical
    /// cores available to the process.
    pub fn detect_cpu() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |key: &str| {
            cpuinfo
                .lines()
                .find(|l| l.split(':').next().map(str::trim) == Some(key))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "unknown".to_string())
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let coretype = std::env::var("OPENBLAS_CORETYPE").unwrap_or_else(|_| "unset".into());
        Self {
            device_type: "cpu".into(),
            vendor: field("vendor_id"),
            model: field("model name"),
            driver: blas_description(),
            num_devices: cores,
            notes: format!(
                "{cores} logical cores; rayon threads {}; OPENBLAS_CORETYPE={coretype}; \
                 anml kernels {}; {} {}",
                rayon::current_num_threads(),
                crate::simd::level().name(),
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describes_the_linked_blas() {
        let d = super::blas_description();
        assert!(d.starts_with("OpenBLAS"), "{d}");
        let h = super::Hardware::detect_cpu();
        assert_eq!(h.device_type, "cpu");
        assert!(h.num_devices >= 1);
    }

    #[test]
    fn a_gpu_descriptor_comes_from_the_driver_info() {
        let cpu = super::Hardware::detect_cpu();
        let info = crate::gpu::GpuInfo {
            model: "NVIDIA H200".into(),
            compute_capability: (9, 0),
            driver_version: "12.8".into(),
            device_count: 1,
            total_memory: 150_000_000_000,
        };
        let h = super::Hardware::gpu(&info, &cpu);
        assert_eq!(
            (h.device_type.as_str(), h.vendor.as_str(), h.model.as_str()),
            ("gpu", "NVIDIA", "NVIDIA H200")
        );
        assert_eq!(h.driver, "CUDA driver 12.8");
        assert_eq!(h.num_devices, 1);
        assert!(h.notes.contains("compute capability 9.0") && h.notes.contains(&cpu.model));
    }
}
