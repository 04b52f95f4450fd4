//! The kernel build check: every `kernels/*.cu` is compiled by NVRTC (the
//! `nvidia-cuda-nvrtc-cu12` wheel, pinned in `scripts/build_kernels.sh`)
//! into CUBIN for each architecture anml ships plus portable PTX, and the
//! result must equal the committed artefacts under `kernels/build/` byte for
//! byte, with an empty compiler log (any warning fails). With
//! `ANML_KERNELS_WRITE=1` it writes the artefacts instead
//! (`scripts/build_kernels.sh` does that, then the ptxas report).
//!
//! NVRTC is loaded at run time. Where it is absent the test says so and
//! passes, unless `ANML_REQUIRE_NVRTC=1` (CI sets it), where that fails.
#![cfg(feature = "cuda")]

use cudarc::nvrtc::{result, sys};
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// The real architectures a CUBIN is shipped for (A100, A10/RTX 30xx,
/// L4/L40/RTX 40xx, H100/H200); `src/gpu/artefacts.rs` embeds the same list.
const ARCHES: [u32; 4] = [80, 86, 89, 90];
/// The PTX every other device (newer ones included) JIT-compiles.
const PTX_ARCH: u32 = 80;

fn kernels_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels")
}

fn sources() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(kernels_dir())
        .expect("kernels/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cu"))
        .collect();
    v.sort();
    v
}

/// Options shared by every compile: C++17, fused multiply-adds allowed
/// (the selection kernels' bounds cover them; the exact parts are
/// re-measured on the CPU), no debug info, so the output is reproducible.
fn options(arch: &str) -> Vec<String> {
    vec![
        format!("--gpu-architecture={arch}"),
        "--std=c++17".into(),
        "--fmad=true".into(),
        "--device-as-default-execution-space".into(),
    ]
}

/// Compile one source for `arch` (`sm_90` gives CUBIN, `compute_80` PTX);
/// returns the bytes, or the compiler's message.
fn compile(src: &Path, arch: &str) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let name = src
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("kernel.cu");
    let c_text = CString::new(text).map_err(|e| e.to_string())?;
    let c_name = CString::new(name).map_err(|e| e.to_string())?;
    let prog = result::create_program(&c_text, Some(&c_name)).map_err(|e| format!("{e:?}"))?;
    // SAFETY: `prog` is a live program until destroy_program below; the
    // output buffers are sized by the matching *Size calls.
    unsafe {
        let compiled = result::compile_program(prog, &options(arch));
        let log = result::get_program_log(prog).map_err(|e| format!("{e:?}"))?;
        let log: String = log
            .iter()
            .take_while(|&&c| c != 0)
            .map(|&c| c as u8 as char)
            .collect();
        if let Err(e) = compiled {
            let _ = result::destroy_program(prog);
            return Err(format!("{name} ({arch}) does not compile: {e:?}\n{log}"));
        }
        if !log.trim().is_empty() {
            let _ = result::destroy_program(prog);
            return Err(format!("{name} ({arch}): the compiler warned:\n{log}"));
        }
        let bytes = if arch.starts_with("sm_") {
            let mut size = 0usize;
            sys::nvrtcGetCUBINSize(prog, &mut size)
                .result()
                .map_err(|e| format!("{e:?}"))?;
            let mut buf = vec![0u8; size];
            sys::nvrtcGetCUBIN(prog, buf.as_mut_ptr().cast())
                .result()
                .map_err(|e| format!("{e:?}"))?;
            buf
        } else {
            let ptx = result::get_ptx(prog).map_err(|e| format!("{e:?}"))?;
            ptx.iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect()
        };
        result::destroy_program(prog).map_err(|e| format!("{e:?}"))?;
        Ok(bytes)
    }
}

/// Every artefact: (file name under kernels/build/, source, arch).
fn artefacts() -> Vec<(String, PathBuf, String)> {
    let mut out = Vec::new();
    for src in sources() {
        let stem = src
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("kernel file names are UTF-8")
            .to_string();
        for arch in ARCHES {
            out.push((
                format!("{stem}.sm_{arch}.cubin"),
                src.clone(),
                format!("sm_{arch}"),
            ));
        }
        out.push((
            format!("{stem}.compute_{PTX_ARCH}.ptx"),
            src.clone(),
            format!("compute_{PTX_ARCH}"),
        ));
    }
    out
}

fn nvrtc_present() -> bool {
    // SAFETY: only tries to dlopen the library; no NVRTC call is made.
    let present = unsafe { sys::is_culib_present() };
    if !present {
        let required = std::env::var("ANML_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "ANML_REQUIRE_NVRTC=1 but libnvrtc.so.12 was not found (put the \
             nvidia-cuda-nvrtc-cu12 wheel's lib/ on LD_LIBRARY_PATH; see scripts/build_kernels.sh)"
        );
        eprintln!(
            "NVRTC not found: the kernel build check did not run (see scripts/build_kernels.sh)"
        );
    }
    present
}

#[test]
fn committed_kernels_are_what_nvrtc_builds_from_the_sources() {
    if !nvrtc_present() {
        return;
    }
    let write = std::env::var("ANML_KERNELS_WRITE").is_ok_and(|v| v == "1");
    let build = kernels_dir().join("build");
    let mut stale = Vec::new();
    for (file, src, arch) in artefacts() {
        let bytes = compile(&src, &arch).unwrap_or_else(|e| panic!("{e}"));
        assert!(!bytes.is_empty(), "{file}: NVRTC returned nothing");
        let path = build.join(&file);
        if write {
            std::fs::create_dir_all(&build).expect("kernels/build is writable");
            std::fs::write(&path, &bytes).expect("artefact written");
        } else if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "kernel artefacts are stale or missing (run scripts/build_kernels.sh): {stale:?}"
    );
    // Nothing under kernels/build/ that no source produces.
    let expected: Vec<String> = artefacts().into_iter().map(|a| a.0).collect();
    for e in std::fs::read_dir(&build)
        .expect("kernels/build exists")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let known = expected.contains(&name) || name == "resource-usage.txt";
        assert!(known, "kernels/build/{name} comes from no kernels/*.cu");
    }
}

#[test]
fn the_nvrtc_check_sees_a_warning() {
    // The check above is only as good as its warning detection: a kernel
    // with an unused variable must be refused.
    if !nvrtc_present() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("warns.cu");
    std::fs::write(
        &src,
        "extern \"C\" __global__ void k(float* x) { int unused = 3; x[0] = 1.0f; }\n\
         static __device__ int never_used() { return 1; }\n",
    )
    .expect("write");
    let err = compile(&src, "sm_90").expect_err("a warning must fail the build check");
    assert!(err.contains("warned"), "{err}");
}

/// The committed ptxas report (registers, shared memory, spills per kernel
/// and architecture, from `scripts/build_kernels.sh`) names every kernel of
/// every source and shows no spills.
#[test]
fn the_resource_report_has_no_spills() {
    let report = std::fs::read_to_string(kernels_dir().join("build/resource-usage.txt"))
        .expect("kernels/build/resource-usage.txt (run scripts/build_kernels.sh)");
    let build = kernels_dir().join("build");
    let mut kernels = 0;
    for src in sources() {
        let stem = src
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 name");
        let ptx = std::fs::read_to_string(build.join(format!("{stem}.compute_{PTX_ARCH}.ptx")))
            .expect("the committed PTX (run scripts/build_kernels.sh)");
        for name in ptx.lines().filter_map(|l| {
            let rest = l.split(".entry").nth(1)?;
            rest.trim().split('(').next().map(str::to_string)
        }) {
            kernels += 1;
            for arch in ARCHES {
                let tag = format!("sm_{arch} {name}:");
                assert!(report.contains(&tag), "the report lacks `{tag}`");
            }
        }
    }
    assert!(kernels > 0, "no kernel entry found in the committed PTX");
    for line in report
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("spill"))
    {
        assert!(
            line.contains("0 bytes spill stores, 0 bytes spill loads"),
            "a kernel spills: {line}"
        );
    }
}
