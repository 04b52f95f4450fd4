//! Jupyter `.ipynb` through the real binary: `anml notebook convert` both
//! ways gives the shipped notebooks back byte for byte; `anml notebook run`
//! runs an `.ipynb`, writes the executed notebook with nbformat outputs
//! (stream, execute_result with HTML, SVG + PNG figures, errors) and its
//! record, `--check` passes on it and fails after tampering; bad input and
//! refused outputs exit 1/2 with their messages.

mod common;

use common::{Sandbox, text};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn anml(sb: &Sandbox, args: &[&str], files: &[&Path]) -> (Option<i32>, String, String) {
    let mut c = sb.anml();
    c.args(["notebook"]).args(args);
    for f in files {
        c.arg(f);
    }
    let out = c.output().unwrap();
    let (o, e) = text(&out);
    (out.status.code(), o, e)
}

fn convert(sb: &Sandbox, file: &Path, to: &str, out: &Path) -> (Option<i32>, String, String) {
    let mut c = sb.anml();
    c.args(["notebook", "convert"])
        .arg(file)
        .args(["--to", to, "--output"])
        .arg(out);
    let o = c.output().unwrap();
    let (a, b) = text(&o);
    (o.status.code(), a, b)
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn shipped_notebooks_convert_both_ways_byte_for_byte() {
    let sb = Sandbox::new();
    for name in ["odds_tour", "bench", "ucr_discord"] {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scripts/{name}.rhai"));
        let original = std::fs::read(&src).unwrap();
        let rhai = sb.root().join(format!("{name}.rhai"));
        std::fs::write(&rhai, &original).unwrap();
        // default output: the same name with .ipynb
        let (code, _, err) = anml(&sb, &["convert", "--to", "ipynb"], &[&rhai]);
        assert_eq!(code, Some(0), "{err}");
        let ipynb = rhai.with_extension("ipynb");
        let nb = read_json(&ipynb);
        assert_eq!(
            (nb["nbformat"].clone(), nb["nbformat_minor"].clone()),
            (json!(4), json!(5))
        );
        assert_eq!(nb["metadata"]["kernelspec"]["name"], "anml");
        let back = sb.root().join(format!("back/{name}.rhai"));
        std::fs::create_dir_all(back.parent().unwrap()).unwrap();
        let (code, _, err) = convert(&sb, &ipynb, "rhai", &back);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(std::fs::read(&back).unwrap(), original, "{name}");
    }
}

const NOTEBOOK: &str = r#"// %% [markdown]
// # Small notebook in Jupyter

// %% Data
//| label: data
let sp = load_dataset("toy-blobs").split(3);
let s = detector("hbos").fit(sp.x_train).score(sp.x_test);
print(`roc ${roc_auc(sp.y_test, s)}`);

// %%
//| label: summary
let t = table(["metric", "value"]);
t.add_row(["roc_auc", roc_auc(sp.y_test, s)]);
t

// %%
//| label: figure
roc_plot(sp.y_test, s)

// %%
//| label: allowed
//| error: true
load_dataset("no-such-dataset");
"#;

/// The notebook as a Jupyter file (converted by the binary).
fn jupyter_notebook(sb: &Sandbox) -> PathBuf {
    let rhai = sb.write("small.rhai", NOTEBOOK);
    let ipynb = sb.root().join("small.ipynb");
    let (code, _, err) = convert(sb, &rhai, "ipynb", &ipynb);
    assert_eq!(code, Some(0), "{err}");
    std::fs::remove_file(&rhai).unwrap();
    ipynb
}

fn cell<'a>(nb: &'a Value, id: &str) -> &'a Value {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no cell {id}"))
}

#[test]
fn an_ipynb_runs_into_an_executed_notebook_that_checks() {
    let sb = Sandbox::new();
    let input = jupyter_notebook(&sb);
    let out = sb.root().join("out/executed.ipynb");
    let (code, stdout, stderr) = anml(&sb, &["run", "--ipynb", out.to_str().unwrap()], &[&input]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let nb = read_json(&out);
    assert_eq!(nb["nbformat_minor"], 5);

    let data = cell(&nb, "data");
    assert_eq!(data["execution_count"], 1);
    let o = &data["outputs"][0];
    assert_eq!(o["output_type"], "stream");
    assert_eq!(o["name"], "stdout");
    assert!(o["text"][0].as_str().unwrap().starts_with("roc 0."), "{o}");

    let summary = cell(&nb, "summary");
    assert_eq!(summary["execution_count"], 2);
    let o = &summary["outputs"][0];
    assert_eq!(o["output_type"], "execute_result");
    assert_eq!(o["execution_count"], 2);
    assert!(
        o["data"]["text/html"].as_str().unwrap().contains("<table"),
        "{o}"
    );
    assert!(
        o["data"]["text/plain"]
            .as_str()
            .unwrap()
            .contains("roc_auc")
    );
    assert_eq!(o["metadata"], json!({}));

    let figure = cell(&nb, "figure");
    let o = &figure["outputs"][0];
    assert_eq!(o["output_type"], "execute_result");
    assert!(
        o["data"]["image/svg+xml"]
            .as_str()
            .unwrap()
            .contains("<svg"),
        "{o}"
    );
    let png = o["data"]["image/png"].as_str().unwrap();
    assert!(png.starts_with("iVBORw0KGgo"), "base64 PNG: {}", &png[..20]);

    let allowed = cell(&nb, "allowed");
    assert_eq!(allowed["execution_count"], 4);
    let o = &allowed["outputs"][0];
    assert_eq!(o["output_type"], "error");
    assert_eq!(o["ename"], "ScriptError");
    assert!(
        o["evalue"].as_str().unwrap().contains("no-such-dataset"),
        "{o}"
    );
    assert!(o["traceback"].as_array().unwrap().len() > 1, "{o}");

    // the record, as the sidecar has it
    let record = &nb["metadata"]["anml"];
    assert_eq!(
        record["$schema"],
        "https://anml.dev/schemas/notebook-1.json"
    );
    let sha = record["provenance"]["notebook_sha256"].as_str().unwrap();
    // the code that ran (the percent text the .ipynb converts to), so the
    // .rhai and .ipynb forms of a notebook share their fingerprint
    let given = std::fs::read_to_string(&input).unwrap();
    let percent = anml::notebook::ipynb::from_ipynb(&given).unwrap();
    assert_eq!(
        sha,
        anml::hashing::sha256_hex(percent.as_bytes()),
        "the notebook's percent text"
    );
    assert_ne!(sha, anml::hashing::sha256_hex(given.as_bytes()));
    assert!(
        record["provenance"]["inputs"]["datasets"]["toy-blobs"].is_string(),
        "{record}"
    );

    // --check on the executed notebook: no --sidecar needed
    let (code, stdout, stderr) = anml(&sb, &["run", "--check"], &[&out]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("check OK"), "{stdout}");

    // a number changed in the record fails it, naming the cell
    let mut tampered = nb.clone();
    let cells = tampered["metadata"]["anml"]["cells"]
        .as_array_mut()
        .unwrap();
    let rec = cells.iter_mut().find(|c| c["name"] == "data").unwrap();
    let stdout_text = rec["stdout"].as_str().unwrap().replace("roc 0.", "roc 0.1");
    rec["stdout"] = json!(stdout_text);
    let bad = sb.root().join("out/tampered.ipynb");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    let (code, stdout, stderr) = anml(&sb, &["run", "--check"], &[&bad]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("check FAILED") && stdout.contains("cell data"),
        "{stdout}"
    );

    // running it again replaces the executed notebook anml wrote
    let (code, _, stderr) = anml(&sb, &["run", "--ipynb", out.to_str().unwrap()], &[&input]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_rhai_notebook_writes_an_executed_ipynb_too() {
    let sb = Sandbox::new();
    let rhai = sb.write("nb.rhai", "// %%\nprint(\"hi\");\n1 + 1\n");
    let out = sb.root().join("nb.ipynb");
    let json = sb.root().join("nb.json");
    let (code, _, stderr) = anml(
        &sb,
        &[
            "run",
            "--ipynb",
            out.to_str().unwrap(),
            "--sidecar",
            json.to_str().unwrap(),
        ],
        &[&rhai],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let nb = read_json(&out);
    let c = &nb["cells"][0];
    assert_eq!(c["outputs"][0]["text"], json!(["hi\n"]));
    assert_eq!(c["outputs"][1]["data"]["text/plain"], "2");
    // the embedded record is the sidecar
    assert_eq!(nb["metadata"]["anml"], read_json(&json));
    // the executed notebook converts back to the same .rhai
    let back = sb.root().join("back.rhai");
    let (code, _, err) = convert(&sb, &out, "rhai", &back);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&rhai).unwrap());
    // and its check compares without a sidecar; the record's notebook is
    // the .rhai this converts back to, so it has not changed
    let (code, stdout, stderr) = anml(&sb, &["run", "--check"], &[&out]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("check OK"), "{stdout}");
    assert!(!stderr.contains("notebook changed"), "{stderr}");
}

#[test]
fn bad_inputs_and_refused_outputs_exit_1_or_2_with_a_reason() {
    let sb = Sandbox::new();
    let rhai = sb.write("nb.rhai", "// %%\n1\n");
    let ipynb = sb.root().join("nb.ipynb");

    // an unknown format: clap's usage error
    let (code, _, err) = anml(&sb, &["convert", "--to", "docx"], &[&rhai]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("docx"), "{err}");

    // the output may not be the input, and is not replaced without --force
    let (code, _, err) = convert(&sb, &rhai, "ipynb", &rhai);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is the notebook itself"), "{err}");
    let (code, _, err) = convert(&sb, &rhai, "ipynb", &ipynb);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = convert(&sb, &rhai, "ipynb", &ipynb);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = anml(&sb, &["convert", "--to", "ipynb", "--force"], &[&rhai]);
    assert_eq!(code, Some(0), "{err}");

    // a device or FIFO is refused, not read without end
    let out = sb.root().join("zero.ipynb");
    for (args, path) in [
        (vec!["convert", "--to", "ipynb", "--output"], "/dev/zero"),
        (vec!["convert", "--to", "rhai", "--output"], "/dev/zero"),
    ] {
        let mut args = args;
        let out = out.to_string_lossy().into_owned();
        args.push(&out);
        let (code, _, err) = anml(&sb, &args, &[Path::new(path)]);
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains("not a"), "{err}");
    }
    let (code, _, err) = anml(&sb, &["run", "--ipynb"], &[&out, Path::new("/dev/zero")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("not a file"), "{err}");

    // --check on an .ipynb without a record
    let (code, _, err) = anml(&sb, &["run", "--check"], &[&ipynb]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("no anml record") && err.contains("--ipynb"),
        "{err}"
    );

    // a converted (not executed) notebook is not replaced by --ipynb
    let (code, _, err) = anml(&sb, &["run", "--ipynb", ipynb.to_str().unwrap()], &[&rhai]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a notebook output anml wrote"), "{err}");
    // nor is the input
    let (code, _, err) = anml(&sb, &["run", "--ipynb", ipynb.to_str().unwrap()], &[&ipynb]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is the notebook itself"), "{err}");

    // nothing to write
    let (code, _, err) = anml(&sb, &["run"], &[&rhai]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--ipynb OUT.ipynb"), "{err}");

    // malformed files
    let out = sb.root().join("out.rhai");
    for (body, want) in [
        ("{\"cells\": [", "malformed JSON"),
        (
            "{\"nbformat\": 3, \"worksheets\": []}",
            "nbformat 3 is not supported",
        ),
        (
            "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"code\", \"source\": 7}]}",
            "ipynb cell 1: `source` must be a string or a list of strings",
        ),
        (
            "{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"widget\", \"id\": \"w\", \"source\": \"\"}]}",
            "ipynb cell 1 (id `w`): unknown cell_type `widget`",
        ),
    ] {
        let bad = sb.write("bad.ipynb", body);
        let (code, _, err) = convert(&sb, &bad, "rhai", &out);
        assert_eq!(code, Some(1), "{body}: {err}");
        assert!(err.contains(want), "{body}: {err}");
        let x = sb.root().join("x.ipynb");
        let (code, _, err) = anml(&sb, &["run", "--ipynb", x.to_str().unwrap()], &[&bad]);
        assert_eq!(code, Some(1), "{body}: {err}");
        assert!(err.contains(want), "{body}: {err}");
        assert!(!out.exists() && !x.exists());
    }
}
