//! Docs as tests: every script-facing function has a doc comment with a
//! runnable ```` ```rhai ```` example, and every example runs in the sandbox.

mod common;

use anml::data::DatasetRegistry;
use anml::script::docs::function_docs;
use anml::script::{Host, HostContext, Interrupt, Limits};
use anml::workspace::Workspace;

fn host(sb: &common::Sandbox) -> Host {
    let datasets = DatasetRegistry::new(sb.cache())
        .with_mirror(Some(common::mirror()))
        .with_download(false);
    let workspace = Workspace::new(sb.root(), datasets.cache_dir()).unwrap();
    Host::new(
        HostContext::new(workspace, datasets, Limits::default(), "docs"),
        Interrupt::new(),
    )
}

#[test]
fn every_function_has_a_doc_and_an_example() {
    let sb = common::Sandbox::new();
    let h = host(&sb);
    let json = h.engine().gen_fn_metadata_to_json(false).unwrap();
    let meta: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut missing = Vec::new();
    for f in meta["functions"].as_array().unwrap() {
        let docs = f["docComments"].as_array().map(|a| a.len()).unwrap_or(0);
        let text = f["docComments"].to_string();
        if docs == 0 || !text.contains("```rhai") {
            missing.push(f["signature"].to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "functions without doc + example: {missing:#?}"
    );
}

#[test]
fn every_example_runs() {
    let sb = common::Sandbox::new();
    let h = host(&sb);
    let docs = function_docs(h.engine());
    assert!(docs.len() > 40, "only {} documented functions", docs.len());
    let mut failures = Vec::new();
    let mut ran = 0;
    for d in &docs {
        let Some(ex) = &d.example else { continue };
        ran += 1;
        if let Err(e) = h.run(&format!("example of {}", d.signature), ex) {
            failures.push(format!("{}:\n{e}", d.signature));
        }
    }
    assert!(ran > 40);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stdlib_module_examples_run() {
    let sb = common::Sandbox::new();
    let h = host(&sb);
    let src = include_str!("../stdlib/bench.rhai");
    let ex: String = src
        .lines()
        .skip_while(|l| !l.contains("```rhai"))
        .skip(1)
        .take_while(|l| !l.contains("```"))
        .map(|l| l.trim_start_matches("//!").trim_start())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(ex.contains("import"));
    let _ = h.run("stdlib/bench.rhai example", &ex).unwrap();
}

#[test]
fn every_detector_example_runs_and_uses_its_detector() {
    let sb = common::Sandbox::new();
    let h = host(&sb);
    let mut failures = Vec::new();
    for s in anml::detectors::DETECTORS {
        if !s.example.contains(&format!("detector(\"{}\"", s.name)) {
            failures.push(format!("{}: example does not build `{}`", s.name, s.name));
            continue;
        }
        if let Err(e) = h.run(&format!("example of detector {}", s.name), s.example) {
            failures.push(format!("{}:\n{e}", s.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
