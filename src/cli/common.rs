//! Helpers every command uses: the dataset registry and script host the
//! global flags describe, scheduling flags as sweep options, `--param`
//! parsing, experiment names, and table/JSON printing.

use super::Outcome;
use super::args::{GlobalOpts, SweepFlags};
use crate::bench::{self, BenchError};
use crate::data::DatasetRegistry;
use crate::error::Error;
use crate::script::{Host, HostContext, Interrupt};
use crate::workspace::Workspace;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Map, Value};
use std::path::Path;

/// The dataset registry the flags describe.
pub(crate) fn registry(g: &GlobalOpts) -> Result<DatasetRegistry, Error> {
    let reg = match &g.data_dir {
        Some(dir) => DatasetRegistry::new(dir.clone()),
        None => DatasetRegistry::from_env()?,
    };
    let reg = match DatasetRegistry::download_base_from_env()? {
        Some(base) => reg.with_download_base(Some(base)),
        None => reg,
    };
    Ok(reg
        .with_mirror(g.data_mirror.clone())
        .with_download(!g.offline))
}

/// The script host the flags describe. A script (`path`, `source`) puts
/// its SHA-256 into every run id and its path and git state into every
/// run's provenance.
pub(crate) fn host(
    g: &GlobalOpts,
    experiment: String,
    script: Option<(&Path, &str)>,
    sweep: Option<&SweepFlags>,
    interrupt: Interrupt,
) -> Result<Host, Error> {
    host_with_output(g, experiment, script, sweep, interrupt, None)
}

/// [`host`] with `print`/`debug` output sent to `sink` (stdout when `None`).
pub(crate) fn host_with_output(
    g: &GlobalOpts,
    experiment: String,
    script: Option<(&Path, &str)>,
    sweep: Option<&SweepFlags>,
    interrupt: Interrupt,
    sink: Option<crate::script::OutputSink>,
) -> Result<Host, Error> {
    let ctx = host_context(g, experiment, script, sweep, &interrupt)?;
    Ok(Host::with_output(ctx, interrupt, sink))
}

/// The context [`host_with_output`] builds, for a caller that adds to it
/// before the host is made (the Jupyter kernel's sweep observer).
pub(crate) fn host_context(
    g: &GlobalOpts,
    experiment: String,
    script: Option<(&Path, &str)>,
    sweep: Option<&SweepFlags>,
    interrupt: &Interrupt,
) -> Result<HostContext, Error> {
    let datasets = registry(g)?;
    let workspace = Workspace::new(&g.workspace, datasets.cache_dir())?;
    let mut ctx = HostContext::new(workspace, datasets, g.limits.to_limits(), &experiment);
    if let Some((path, source)) = script {
        let sha = crate::hashing::sha256_hex(source.as_bytes());
        ctx.run.script_sha256 = Some(sha.clone());
        ctx.run.provenance.script = Some(crate::results::ScriptInfo {
            path: path.display().to_string(),
            sha256: sha,
        });
        ctx.run.provenance.git = crate::results::git_info(path);
    }
    if let Some(f) = sweep {
        ctx.sweep = sweep_options(f)?;
    }
    ctx.sweep.cancel = Some(interrupt.flag());
    Ok(ctx)
}

/// The scheduling flags as sweep options.
pub(crate) fn sweep_options(f: &SweepFlags) -> Result<bench::SweepOptions, Error> {
    Ok(bench::SweepOptions {
        jobs: f.jobs,
        force: f.force,
        shard: f.shard.as_deref().map(bench::Shard::parse).transpose()?,
        cancel: None,
        threshold: None,
    })
}

pub(crate) fn styled_table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// Pretty-print a JSON listing (`--json`).
pub(crate) fn print_json(list: &[Value]) -> Result<Outcome, Error> {
    println!("{}", serde_json::to_string_pretty(list).unwrap_or_default());
    Ok(Outcome::Success)
}

/// `NAME=VALUE` pairs into a params map; VALUE is JSON, else a string. A
/// pair without `=` or a name, or a name given twice (the later value would
/// silently win), is a usage error.
pub(crate) fn parse_params(pairs: &[String]) -> Result<Map<String, Value>, BenchError> {
    let mut m = Map::new();
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| BenchError::flag("--param", format!("`{p}` is not NAME=VALUE")))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
        let name = k.trim().to_string();
        if m.contains_key(&name) {
            return Err(BenchError::flag(
                "--param",
                format!(
                    "`{name}` is given twice; give each parameter once (a JSON array is a grid)"
                ),
            ));
        }
        m.insert(name, value);
    }
    Ok(m)
}

/// A file-system-safe experiment name: ASCII letters, digits, `-_.`, not
/// starting with `.` (so never `.` or `..`), and never empty.
pub(crate) fn safe_name(s: &str) -> String {
    let name: String = s
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if c.is_ascii_alphanumeric() || "-_".contains(c) || (c == '.' && i > 0) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "default".to_string()
    } else {
        name
    }
}

/// A file's stem (`bench.rhai` -> `bench`), the default experiment name.
pub(crate) fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn params_are_name_value_pairs_each_once() {
        let pairs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = super::parse_params(&pairs(&["n=5", "kind=auto", "grid=[1,2]"])).unwrap();
        assert_eq!(m["n"], 5);
        assert_eq!(m["kind"], "auto");
        assert_eq!(m["grid"], serde_json::json!([1, 2]));
        for bad in [
            &["novalue"][..],
            &["=5"],
            &["n=1", "n=2"],
            &["n=1", " n =2"],
        ] {
            let e = super::parse_params(&pairs(bad)).unwrap_err();
            assert!(
                e.is_usage() && e.to_string().starts_with("--param: "),
                "{e}"
            );
        }
    }

    #[test]
    fn experiment_names_stay_inside_results() {
        assert_eq!(super::safe_name(""), "default");
        assert_eq!(super::safe_name(".."), "_.");
        assert_eq!(super::safe_name("a/b c"), "a_b_c");
        assert_eq!(super::safe_name("odds.v2"), "odds.v2");
    }
}
