//! `anml results export DIR --mlflow PATH` without Python: the MLflow file
//! store layout (experiment and run meta.yaml, params, metrics, tags,
//! artefacts), reproducible bytes, idempotent re-export (no second run,
//! stale keys removed), and the refusals (PATH inside the store, a foreign
//! directory, an experiment id taken by another name, a foreign run). The
//! MLflow client reads the same stores in tests/mlflow/run.sh.

mod common;

use common::{Sandbox, text};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn suite(sb: &Sandbox, exp: &str) -> PathBuf {
    let out = sb
        .anml()
        .args(["benchmark", "--suite", "odds", "--datasets", "wbc"])
        .args(["--models", "isolation_forest,knn", "--seeds", "0-1"])
        .args(["--experiment", exp])
        .output()
        .expect("run anml");
    let (so, se) = text(&out);
    assert!(out.status.success(), "{so}\n{se}");
    sb.root().join("results").join(exp)
}

fn export(sb: &Sandbox, store: &Path, path: &Path) -> std::process::Output {
    sb.anml()
        .args(["results", "export"])
        .arg(store)
        .arg("--mlflow")
        .arg(path)
        .output()
        .expect("run anml")
}

/// Every file under `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn layout_matches_mlflow_file_store_and_reexport_is_idempotent() {
    let sb = Sandbox::new();
    let store = suite(&sb, "exp1");
    let path = sb.root().join("mlruns");
    let out = export(&sb, &store, &path);
    let (so, se) = text(&out);
    assert!(out.status.success(), "{so}\n{se}");
    assert!(so.contains("4 new, 0 updated"), "{so}");

    let exp_id = anml::bench::export::experiment_id("exp1");
    let root = std::fs::canonicalize(&path).unwrap();
    assert!(read(&path.join("0/meta.yaml")).contains("name: 'Default'"));
    assert!(path.join(".trash").is_dir());
    let meta = read(&path.join(&exp_id).join("meta.yaml"));
    assert!(meta.contains("name: 'exp1'"), "{meta}");
    assert!(
        meta.contains(&format!("experiment_id: '{exp_id}'")),
        "{meta}"
    );

    let mut n = 0;
    for f in std::fs::read_dir(store.join("runs")).unwrap().flatten() {
        let rec: serde_json::Value = serde_json::from_str(&read(&f.path())).unwrap();
        let run_id = rec["run_id"].as_str().unwrap();
        let dir = path.join(&exp_id).join(&run_id[..32]);
        let meta = read(&dir.join("meta.yaml"));
        for want in [
            format!("run_id: {}", &run_id[..32]),
            format!("experiment_id: '{exp_id}'"),
            "status: 3".into(),
            "lifecycle_stage: active".into(),
            "start_time: 0".into(),
            format!(
                "artifact_uri: 'file://{}/{exp_id}/{}/artifacts'",
                root.display(),
                &run_id[..32]
            ),
        ] {
            assert!(meta.contains(&want), "{want} not in\n{meta}");
        }
        assert_eq!(read(&dir.join("tags/anml.run_id")), run_id);
        assert_eq!(
            read(&dir.join("tags/anml.dataset_sha256")),
            rec["dataset_sha256"]
        );
        assert_eq!(
            read(&dir.join("tags/anml.artefact_digest")),
            rec["artefact_digest"]
        );
        assert_eq!(read(&dir.join("params/model")), rec["model"]);
        assert_eq!(read(&dir.join("params/seed")), rec["seed"].to_string());
        for (k, v) in rec["params"].as_object().unwrap() {
            let want = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            assert_eq!(read(&dir.join(format!("params/params.{k}"))), want, "{k}");
        }
        for m in anml::metrics::METRICS {
            let line = read(&dir.join("metrics").join(m.field));
            let parts: Vec<&str> = line.trim_end().split(' ').collect();
            assert_eq!(parts.len(), 3, "{line}");
            assert_eq!(parts[2], "0");
            let v: f64 = parts[1].parse().unwrap();
            assert_eq!(v, rec[m.field].as_f64().unwrap(), "{}", m.field);
        }
        assert_eq!(
            std::fs::read(dir.join(format!("artifacts/{run_id}.json"))).unwrap(),
            std::fs::read(f.path()).unwrap()
        );
        n += 1;
    }
    assert_eq!(n, 4);

    // Again: the same bytes, no new run; a stale key is removed.
    let before = tree(&path);
    let some_run = std::fs::read_dir(path.join(&exp_id))
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    std::fs::write(some_run.join("params/stale"), "x").unwrap();
    let out = export(&sb, &store, &path);
    let (so, se) = text(&out);
    assert!(out.status.success(), "{so}\n{se}");
    assert!(so.contains("0 new, 4 updated"), "{so}");
    assert_eq!(tree(&path), before, "a re-export changed the store");
}

#[test]
fn refusals_leave_the_target_alone() {
    let sb = Sandbox::new();
    let store = suite(&sb, "exp2");

    // Inside the run store, or around it.
    for bad in [
        store.join("runs/mlruns"),
        store.join("mlruns"),
        sb.root().join("results"),
    ] {
        let out = export(&sb, &store, &bad);
        let (so, se) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {so}\n{se}", bad.display());
        assert!(se.contains("run store"), "{se}");
        assert!(!bad.join("0").exists());
    }

    // A directory that is not an MLflow store.
    let foreign = sb.root().join("notes");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("todo.txt"), "keep me").unwrap();
    let out = export(&sb, &store, &foreign);
    let (_, se) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains("neither empty nor an MLflow file store"),
        "{se}"
    );
    assert_eq!(tree(&foreign).len(), 1);

    // An MLflow store whose experiment id holds another experiment.
    let path = sb.root().join("mlruns");
    let id = anml::bench::export::experiment_id("exp2");
    std::fs::create_dir_all(path.join("0")).unwrap();
    std::fs::write(path.join("0/meta.yaml"), "name: Default\n").unwrap();
    std::fs::create_dir_all(path.join(&id)).unwrap();
    std::fs::write(path.join(&id).join("meta.yaml"), "name: someone-else\n").unwrap();
    let before = tree(&path);
    let out = export(&sb, &store, &path);
    let (_, se) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(
        se.contains("already used there by experiment `someone-else`"),
        "{se}"
    );
    assert_eq!(tree(&path), before);

    // A run folder that holds another run.
    std::fs::write(path.join(&id).join("meta.yaml"), "name: 'exp2'\n").unwrap();
    let run_id = std::fs::read_dir(store.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".json"))
        .unwrap();
    let run_dir = path.join(&id).join(&run_id[..32]);
    std::fs::create_dir_all(run_dir.join("tags")).unwrap();
    std::fs::write(run_dir.join("tags/anml.run_id"), "0".repeat(64)).unwrap();
    let before = tree(&path);
    let out = export(&sb, &store, &path);
    let (_, se) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("holds a run that is not anml run"), "{se}");
    assert_eq!(tree(&path), before);

    // Not a run store at all.
    let out = export(
        &sb,
        &sb.root().join("nothing"),
        &sb.root().join("elsewhere"),
    );
    assert_eq!(out.status.code(), Some(1));
}

/// An export killed before it tagged a run folder leaves the folder
/// untagged and unlisted (no meta.yaml, which is written last): the next
/// export takes it over and completes it. An untagged folder that MLflow
/// lists (it has meta.yaml) is someone else's and stays refused.
#[test]
fn an_interrupted_export_is_completed_by_the_next_one() {
    let sb = Sandbox::new();
    let store = suite(&sb, "exp3");
    let path = sb.root().join("mlruns");
    let id = anml::bench::export::experiment_id("exp3");
    let run_id = std::fs::read_dir(store.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".json"))
        .unwrap()
        .trim_end_matches(".json")
        .to_string();
    let run_dir = path.join(&id).join(&run_id[..32]);
    // what a kill -9 between creating the folder and the first tag leaves
    // (the default experiment's meta.yaml is written before any run)
    std::fs::create_dir_all(path.join("0")).unwrap();
    std::fs::write(path.join("0/meta.yaml"), "name: Default\n").unwrap();
    std::fs::create_dir_all(run_dir.join("params")).unwrap();
    std::fs::write(run_dir.join("params/.model.tmp-1-1.host"), "half").unwrap();
    let out = export(&sb, &store, &path);
    let (so, se) = text(&out);
    assert!(out.status.success(), "{so}\n{se}");
    assert_eq!(read(&run_dir.join("tags/anml.run_id")), run_id);
    assert!(run_dir.join("meta.yaml").is_file());

    // untagged but listed: not ours
    std::fs::remove_file(run_dir.join("tags/anml.run_id")).unwrap();
    let before = tree(&path);
    let out = export(&sb, &store, &path);
    let (_, se) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{se}");
    assert!(se.contains("holds a run that is not anml run"), "{se}");
    assert_eq!(tree(&path), before);
}
