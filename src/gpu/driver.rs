//! The CUDA driver through cudarc: one context on device 0 for the
//! process, created on first use, with its stream and the kernel modules
//! loaded from the embedded artefacts on demand.

use super::artefacts::{self, Family, Image};
use super::{GpuError, GpuInfo};
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream, DriverError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

/// The kernel families (one `kernels/*.cu` each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernels {
    SqdistTopk,
    IforestScore,
    Stomp,
    Mlp,
}

impl Kernels {
    fn family(self) -> &'static Family {
        match self {
            Kernels::SqdistTopk => &artefacts::SQDIST_TOPK,
            Kernels::IforestScore => &artefacts::IFOREST_SCORE,
            Kernels::Stomp => &artefacts::STOMP,
            Kernels::Mlp => &artefacts::MLP,
        }
    }
}

/// The process's GPU: context, stream, loaded modules. Calls are
/// serialised through [`Gpu::lock`] (one device; rayon workers may ask at
/// once).
pub struct Gpu {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    info: GpuInfo,
    modules: Mutex<HashMap<Kernels, Arc<CudaModule>>>,
    busy: Mutex<()>,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu").field("info", &self.info).finish()
    }
}

/// A driver error as a [`GpuError`], naming the call.
pub fn driver_err(what: &str) -> impl FnOnce(DriverError) -> GpuError + '_ {
    move |e| GpuError::Driver {
        what: what.to_string(),
        message: format!("{e}"),
    }
}

static SHARED: OnceLock<Result<Arc<Gpu>, GpuError>> = OnceLock::new();

/// The process's GPU, initialised once (the outcome, error included, is
/// kept: the driver does not appear mid-run).
pub fn shared() -> Result<Arc<Gpu>, GpuError> {
    SHARED.get_or_init(|| Gpu::open().map(Arc::new)).clone()
}

impl Gpu {
    fn open() -> Result<Gpu, GpuError> {
        // cudarc's loader panics when the library is missing (and a panic
        // cannot be caught under panic = "abort"): ask first.
        // SAFETY: only tries to dlopen libcuda; calls nothing in it.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(GpuError::NoDriver);
        }
        cudarc::driver::result::init().map_err(|e| GpuError::NoDevice(format!("cuInit: {e}")))?;
        let count = CudaContext::device_count()
            .map_err(|e| GpuError::NoDevice(format!("cuDeviceGetCount: {e}")))?;
        if count < 1 {
            return Err(GpuError::NoDevice("the driver reports 0 devices".into()));
        }
        let ctx = CudaContext::new(0).map_err(|e| GpuError::NoDevice(format!("device 0: {e}")))?;
        let (major, minor) = ctx
            .compute_capability()
            .map_err(driver_err("compute capability"))?;
        if major < 8 {
            return Err(GpuError::Unsupported { major, minor });
        }
        let mut version = 0i32;
        // SAFETY: writes one int; the library is loaded (checked above).
        unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut version) }
            .result()
            .map_err(driver_err("cuDriverGetVersion"))?;
        let info = GpuInfo {
            model: ctx.name().map_err(driver_err("device name"))?,
            compute_capability: (major, minor),
            driver_version: format!("{}.{}", version / 1000, (version % 1000) / 10),
            device_count: count as usize,
            total_memory: ctx.total_mem().map_err(driver_err("total memory"))?,
        };
        let stream = ctx.default_stream();
        Ok(Gpu {
            ctx,
            stream,
            info,
            modules: Mutex::new(HashMap::new()),
            busy: Mutex::new(()),
        })
    }

    pub fn info(&self) -> &GpuInfo {
        &self.info
    }

    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// Exclusive use of the GPU for one call (held across its launches and
    /// copies).
    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.busy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Free device memory in bytes.
    pub fn free_memory(&self) -> Result<usize, GpuError> {
        self.ctx
            .mem_get_info()
            .map(|(free, _)| free)
            .map_err(driver_err("memory info"))
    }

    /// A kernel of `family` by its `extern "C"` name, loading the family's
    /// module on first use.
    pub fn function(&self, family: Kernels, name: &str) -> Result<CudaFunction, GpuError> {
        let module = {
            let mut modules = self.modules.lock().unwrap_or_else(PoisonError::into_inner);
            match modules.get(&family) {
                Some(m) => m.clone(),
                None => {
                    let (major, minor) = self.info.compute_capability;
                    let image = artefacts::image(family.family(), major, minor)
                        .ok_or(GpuError::Unsupported { major, minor })?;
                    let ptx = match image {
                        Image::Cubin(bytes) => cudarc::nvrtc::Ptx::from_binary(bytes.to_vec()),
                        Image::Ptx(text) => cudarc::nvrtc::Ptx::from_src(text),
                    };
                    let m = self
                        .ctx
                        .load_module(ptx)
                        .map_err(driver_err(family.family().stem))?;
                    modules.insert(family, m.clone());
                    m
                }
            }
        };
        module.load_function(name).map_err(driver_err(name))
    }
}
