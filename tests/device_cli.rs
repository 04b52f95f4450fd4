//! The device choice end to end with the real binary: `--device auto` runs
//! on the CPU with a one-line notice where no GPU can be used and gives the
//! CPU run's result (same run id, same bytes apart from timing and
//! hardware); `--device cuda` without a usable GPU is a clean error naming
//! what is missing (on a GPU machine it runs and records the GPU); an
//! unknown device is a usage error. Scripts and sweeps take `device` too.

mod common;

use common::{Sandbox, text, without_timing};
use serde_json::Value;

fn gpu_usable() -> bool {
    anml::gpu::select(anml::gpu::Device::Cuda).is_ok()
}

fn benchmark(sb: &Sandbox, device: &str, out: &str) -> std::process::Output {
    sb.anml()
        .args([
            "--device",
            device,
            "benchmark",
            "--dataset",
            "cardio",
            "--model",
            "knn",
        ])
        .args(["--seed", "0", "--output"])
        .arg(sb.root().join(out))
        .output()
        .expect("run anml")
}

fn read(sb: &Sandbox, out: &str) -> (String, Value) {
    let s = std::fs::read_to_string(sb.root().join(out)).expect("result written");
    let v = serde_json::from_str(&s).expect("valid JSON");
    (s, v)
}

#[test]
fn auto_falls_back_to_the_cpu_with_the_cpu_answer() {
    let sb = Sandbox::new();
    let cpu = benchmark(&sb, "cpu", "results/cpu.json");
    assert!(cpu.status.success(), "{:?}", text(&cpu));
    let auto = benchmark(&sb, "auto", "results/auto.json");
    let (_, stderr) = text(&auto);
    assert!(auto.status.success(), "{stderr}");
    let (cpu_s, cpu_v) = read(&sb, "results/cpu.json");
    let (auto_s, auto_v) = read(&sb, "results/auto.json");
    anml::results::validate(&auto_v).expect("schema-valid");
    assert_eq!(
        cpu_v["run_id"], auto_v["run_id"],
        "the device is not part of the run id"
    );
    // Byte-identical apart from timing, hardware and the argv that named
    // the device.
    let auto_s = auto_s.replacen("\"auto\",", "\"cpu\",", 1);
    assert_eq!(without_timing(&cpu_s), without_timing(&auto_s));
    if gpu_usable() {
        assert_eq!(auto_v["hardware"]["device_type"], "gpu");
        assert_eq!(auto_v["hardware"]["vendor"], "NVIDIA");
    } else {
        let notices: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("device auto"))
            .collect();
        assert_eq!(notices.len(), 1, "one notice line: {stderr}");
        assert!(notices[0].contains("running on the CPU"), "{stderr}");
        assert_eq!(auto_v["hardware"]["device_type"], "cpu");
    }
}

#[test]
fn cuda_without_a_gpu_is_a_clean_error() {
    let sb = Sandbox::new();
    let o = benchmark(&sb, "cuda", "results/cuda.json");
    let (_, stderr) = text(&o);
    if gpu_usable() {
        assert!(o.status.success(), "{stderr}");
        let (_, v) = read(&sb, "results/cuda.json");
        assert_eq!(v["hardware"]["device_type"], "gpu");
        return;
    }
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: device cuda:"), "{stderr}");
    assert!(
        stderr.contains("libcuda.so.1") || stderr.contains("no usable CUDA device"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!sb.root().join("results/cuda.json").exists());
    // The same through the environment.
    let o = sb
        .anml()
        .env("ANML_DEVICE", "cuda")
        .args(["models"])
        .output()
        .expect("run anml");
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
}

#[test]
fn an_unknown_device_is_a_usage_error() {
    let sb = Sandbox::new();
    let o = benchmark(&sb, "tpu", "results/x.json");
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown device `tpu`"), "{stderr}");
    // A huge value is not echoed whole (at most 40 characters of it).
    let huge = "x".repeat(100_000);
    let o = sb
        .anml()
        .args(["--device", &huge, "models"])
        .output()
        .expect("run anml");
    let (_, stderr) = text(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        &stderr[..stderr.len().min(300)]
    );
    assert!(stderr.len() < 300, "{} bytes of error", stderr.len());
}

#[test]
fn scripts_and_sweeps_choose_the_device() {
    let sb = Sandbox::new();
    let script = sb.write(
        "device.rhai",
        r#"
print(`now ${device()}`);
print(`auto gives ${device("auto")}`);
let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["knn"], seeds: 0..1, device: "auto" });
print(`runs ${runs.len}`);
print(`back to ${device("cpu")}`);
let bad = 0;
try { sweep(#{ datasets: ["toy-blobs"], detectors: ["knn"], device: "tpu" }); } catch (e) { bad = 1; print(`refused: ${e}`); }
print(`bad ${bad}`);
"#,
    );
    let o = sb
        .anml()
        .arg("script")
        .arg(&script)
        .output()
        .expect("run anml");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("now cpu"), "{stdout}");
    let expected = if gpu_usable() {
        "auto gives cuda"
    } else {
        "auto gives cpu"
    };
    assert!(stdout.contains(expected), "{stdout}");
    assert!(
        stdout.contains("runs 1") && stdout.contains("back to cpu"),
        "{stdout}"
    );
    assert!(
        stdout.contains("unknown device `tpu`") && stdout.contains("bad 1"),
        "{stdout}"
    );
}
