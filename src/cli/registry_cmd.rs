//! `anml registry list|show|verify` and `anml benchmark --publish`: the
//! command-line face of [`crate::registry`]. Kept in one file
//! so the registry's printing and flag checks live in one place.

use super::Outcome;
use super::args::{BenchmarkArgs, GlobalOpts, RegistryArgs, RegistryCommand, RegistryShowArgs};
use crate::bench::RunOutcome;
use crate::error::Error;
use crate::registry::{
    ArtefactMeta, ArtefactRegistry, Bump, Provenance, RegistryError, VersionChoice, validate_name,
};
use crate::workspace::Workspace;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Value, json};

/// The registry of the workspace the flags name.
pub(super) fn open(g: &GlobalOpts) -> Result<ArtefactRegistry, Error> {
    let datasets = super::common::registry(g)?;
    let ws = Workspace::new(&g.workspace, datasets.cache_dir())?;
    Ok(ArtefactRegistry::new(ws.registry_dir()))
}

/// A checked `--publish` request from the benchmark flags.
pub(super) struct PublishRequest {
    registry: ArtefactRegistry,
    name: String,
    choice: VersionChoice,
}

/// Check `--publish`/`--bump`/`--version` before any data is loaded: the
/// name, the version syntax, and (as an early courtesy; the publish itself
/// decides under the lock) whether an exact version is already taken.
pub(super) fn publish_request(
    g: &GlobalOpts,
    a: &BenchmarkArgs,
) -> Result<Option<PublishRequest>, Error> {
    let Some(name) = &a.publish else {
        return Ok(None);
    };
    validate_name(name)?;
    let choice = match (&a.publish_version, &a.bump) {
        (Some(v), _) => VersionChoice::exact(v)?,
        (None, Some(b)) => VersionChoice::Bump(b.parse::<Bump>()?),
        (None, None) => VersionChoice::Bump(Bump::Patch),
    };
    let registry = open(g)?;
    if let VersionChoice::Exact(v) = &choice
        && registry.versions(name)?.contains(v)
    {
        return Err(RegistryError::VersionExists {
            id: format!("{name}@{v}"),
        }
        .into());
    }
    Ok(Some(PublishRequest {
        registry,
        name: name.clone(),
        choice,
    }))
}

/// Publish a finished run's model with the run's provenance.
pub(super) fn publish_run(req: &PublishRequest, run: &RunOutcome) -> Result<ArtefactMeta, Error> {
    let meta = req.registry.publish(
        &req.name,
        &run.fitted,
        &Provenance::from_run(&run.result),
        &req.choice,
    )?;
    println!("published {} ({})", meta.id(), meta.sha256);
    Ok(meta)
}

/// `anml registry …`
pub(super) fn registry(g: &GlobalOpts, a: &RegistryArgs) -> Result<Outcome, Error> {
    let reg = open(g)?;
    match &a.command {
        RegistryCommand::List(l) => list(&reg, l.json),
        RegistryCommand::Show(s) => show(&reg, s),
        RegistryCommand::Verify => verify(&reg),
    }
}

fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(header);
    t
}

/// What is wrong with an entry's meta.json, in a few words for the list:
/// a meta that parses but names another entry is a mismatch, not
/// "unreadable".
fn meta_problem(e: &RegistryError) -> String {
    match e {
        RegistryError::BadMeta { .. } => "unreadable meta.json".into(),
        RegistryError::MissingFile { .. } => "missing meta.json".into(),
        RegistryError::Mismatch { message, .. } => format!("mismatch: {message}"),
        RegistryError::Symlink { .. } => "meta.json is a symbolic link".into(),
        other => other.to_string(),
    }
}

fn list(reg: &ArtefactRegistry, as_json: bool) -> Result<Outcome, Error> {
    let entries = reg.list()?;
    if as_json {
        let list: Vec<Value> = entries
            .iter()
            .map(|(name, version, meta)| match meta {
                Ok(m) => serde_json::to_value(m).unwrap_or(Value::Null),
                Err(e) => json!({
                    "name": name,
                    "version": version.to_string(),
                    "error": e.to_string(),
                }),
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return Ok(Outcome::Success);
    }
    if entries.is_empty() {
        println!("no published models in {}", reg.root().display());
        return Ok(Outcome::Success);
    }
    let mut t = table(vec![
        "name",
        "version",
        "detector",
        "dataset",
        "created_at",
        "sha256",
    ]);
    let mut problems = 0;
    for (name, version, meta) in &entries {
        match meta {
            Ok(m) => t.add_row(vec![
                m.name.clone(),
                m.version.to_string(),
                m.detector.clone(),
                m.dataset.clone().unwrap_or_else(|| "-".into()),
                m.created_at.clone(),
                m.short_sha(),
            ]),
            Err(e) => {
                problems += 1;
                t.add_row(vec![
                    name.clone(),
                    version.to_string(),
                    "?".into(),
                    "?".into(),
                    "?".into(),
                    meta_problem(e),
                ])
            }
        };
    }
    println!("{t}");
    if problems > 0 {
        println!(
            "{problems} entries have a problem with their meta.json (in the last column); run `anml registry verify`"
        );
    }
    Ok(Outcome::Success)
}

fn show(reg: &ArtefactRegistry, a: &RegistryShowArgs) -> Result<Outcome, Error> {
    let meta = reg.show(&a.spec)?;
    let value = serde_json::to_value(&meta).unwrap_or(Value::Null);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(Outcome::Success);
    }
    let mut t = table(vec!["field", "value"]);
    if let Value::Object(m) = value {
        for (k, v) in m {
            let shown = match v {
                Value::String(s) => s,
                Value::Null => "-".into(),
                other => other.to_string(),
            };
            t.add_row(vec![k, shown]);
        }
    }
    println!("{t}");
    println!(
        "model: {}",
        reg.root()
            .join(&meta.name)
            .join(meta.version.to_string())
            .join(crate::registry::MODEL_FILE)
            .display()
    );
    Ok(Outcome::Success)
}

fn verify(reg: &ArtefactRegistry) -> Result<Outcome, Error> {
    let report = reg.verify()?;
    for id in &report.ok {
        println!("ok   {id}");
    }
    for p in &report.problems {
        eprintln!("BAD  {p}");
    }
    println!(
        "{} entries verified, {} problems in {}",
        report.ok.len(),
        report.problems.len(),
        reg.root().display()
    );
    if report.problems.is_empty() {
        Ok(Outcome::Success)
    } else {
        Ok(Outcome::ChecksFailed)
    }
}
