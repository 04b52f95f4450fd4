//! Any script text through the sandboxed host with small limits: every
//! evaluation ends in a value or a Rhai error, never a panic.
#![no_main]
use anml::data::DatasetRegistry;
use anml::script::{Host, HostContext, Interrupt, Limits, OutputSink};
use anml::workspace::Workspace;
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, Mutex};

thread_local! {
    static HOST: Host = {
        let dir = std::env::temp_dir().join(format!("anml-fuzz-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("workspace dir");
        let mirror = std::env::var_os("ANML_DATA_MIRROR").map(Into::into);
        let datasets = DatasetRegistry::new(dir.join("cache"))
            .with_mirror(mirror)
            .with_download(false);
        let workspace = Workspace::new(&dir, datasets.cache_dir()).expect("workspace");
        let limits = Limits {
            max_operations: 100_000,
            max_call_depth: 32,
            max_string_size: 10_000,
            max_array_size: 10_000,
            max_map_size: 1_000,
            max_matrix_elements: 50_000,
            max_modules: 4,
            // below libFuzzer's -rss_limit_mb=2048, so the budget answers first
            max_memory: 1 << 30,
        };
        let sink: OutputSink = Arc::new(Mutex::new(|_: &str| {}));
        Host::with_output(
            HostContext::new(workspace, datasets, limits, "fuzz"),
            Interrupt::new(),
            Some(sink),
        )
    };
}

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        HOST.with(|h| {
            let _ = h.run("fuzz", src);
        });
    }
});
