//! The metric table drives every layer: walks `metrics::TABLE` and checks
//! that each entry reaches the scorecard, the result record (field present,
//! in table order), the results schema (no missing and no extra metric
//! property), the script getter and its docs, the tables and leaderboards,
//! and the registry's meta.json metrics. A metric added to the table and
//! forgotten anywhere fails here, naming the place.

mod common;

use anml::bench;
use anml::data::{DatasetRegistry, Protocol};
use anml::detectors::Detector;
use anml::metrics::{self, METRICS, SERIES_METRICS, TABLE};
use anml::results::{self, NabScores, RunResult, SeriesMetrics};
use anml::script::docs::{function_docs, metric_docs};
use anml::script::{Host, HostContext, Interrupt, Limits};
use anml::workspace::Workspace;
use serde_json::Value;
use std::collections::BTreeSet;

fn run() -> RunResult {
    let ds = anml::data::toy::toy_blobs(&Default::default());
    let det = Detector::new("hbos", &serde_json::Map::new()).expect("detector");
    bench::run(
        &ds,
        &det,
        Protocol::Holdout60,
        0,
        &bench::RunContext::default(),
    )
    .expect("run")
    .result
}

fn schema() -> Value {
    serde_json::from_str(results::SCHEMA_JSON).expect("schema parses")
}

/// The record fields of each tabular metric, in table order, extras after
/// their metric.
fn metric_fields() -> Vec<&'static str> {
    let mut out = Vec::new();
    for m in METRICS {
        out.push(m.field);
        out.extend(m.extras);
    }
    out
}

#[test]
fn the_views_cover_the_table() {
    for m in TABLE {
        assert_eq!(
            m.kind.tabular(),
            METRICS.iter().any(|x| x.name == m.name),
            "{}: METRICS",
            m.name
        );
        assert_eq!(
            m.kind.series(),
            SERIES_METRICS.iter().any(|x| x.name == m.name),
            "{}: SERIES_METRICS",
            m.name
        );
        assert!(!m.summary.is_empty() && !m.title.is_empty(), "{}", m.name);
    }
}

#[test]
fn scorecard_and_record_have_every_tabular_metric_in_table_order() {
    let r = run();
    assert_eq!(r.metrics.values().len(), METRICS.len(), "scorecard");
    let v = r.to_value().expect("value");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let fields = metric_fields();
    let first = keys
        .iter()
        .position(|k| *k == fields[0])
        .unwrap_or_else(|| panic!("record lacks `{}`: {keys:?}", fields[0]));
    assert_eq!(
        &keys[first..first + fields.len()],
        &fields[..],
        "the record's metric fields are the table's, in table order"
    );
    for (m, value) in METRICS.iter().zip(r.metrics.values()) {
        assert_eq!(v[m.field].as_f64(), Some(value), "record field {}", m.field);
        assert_eq!(
            r.metric(m.field),
            Some(value),
            "RunResult::metric({})",
            m.field
        );
        assert_eq!(
            r.metric(m.name),
            Some(value),
            "RunResult::metric({})",
            m.name
        );
    }
    // written and read back: the same bytes
    let json = r.to_json().expect("json");
    let back: RunResult = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back.to_json().expect("json"), json);
    assert_eq!(back, r);
}

/// Where the committed results schema lives (the binary embeds it).
const SCHEMA_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/src/resources/results-schema.json"
);

/// The schema with `$defs.run`'s metric properties brought in line with the
/// table: a missing metric gets `{description, type: number}` (and a
/// `required` entry) after the field before it in the record; a property no
/// record field fills is dropped. Everything else is left as it is.
fn regenerated_schema(schema: &Value, record: &[String]) -> Value {
    let mut schema = schema.clone();
    let run = &mut schema["$defs"]["run"];
    let old = run["properties"].as_object().cloned().unwrap_or_default();
    let mut props = serde_json::Map::new();
    for key in record {
        let prop = old.get(key).cloned().unwrap_or_else(|| {
            let doc = METRICS
                .iter()
                .find(|m| m.field == key.as_str())
                .map_or("", |m| m.summary);
            serde_json::json!({"description": doc, "type": "number"})
        });
        props.insert(key.clone(), prop);
    }
    run["properties"] = Value::Object(props);
    run["required"] = Value::Array(
        record
            .iter()
            .filter(|k| !OPTIONAL_FIELDS.contains(&k.as_str()))
            .cloned()
            .map(Value::String)
            .collect(),
    );
    schema
}

/// Record fields every new run writes but older run stores lack, so the
/// schema lists them without requiring them.
const OPTIONAL_FIELDS: &[&str] = &["thresholds"];

/// `ANML_REGENERATE_SCHEMA=1 cargo test --test metric_table` rewrites the
/// committed schema's metric properties from the table; without it, any
/// difference fails, naming the property.
#[test]
fn schema_has_exactly_the_table_metric_properties() {
    let schema = schema();
    let record = run_record_keys_in_order();
    if std::env::var_os("ANML_REGENERATE_SCHEMA").is_some() {
        let regenerated = regenerated_schema(&schema, &record);
        if regenerated != schema {
            let mut text = serde_json::to_string_pretty(&regenerated).expect("schema");
            text.push('\n');
            std::fs::write(SCHEMA_PATH, text).expect("write the schema");
            panic!("rewrote {SCHEMA_PATH} from the metric table: rebuild and re-run");
        }
    }
    let run = &schema["$defs"]["run"];
    let props: Vec<&str> = run["properties"]
        .as_object()
        .expect("run properties")
        .keys()
        .map(String::as_str)
        .collect();
    let required: BTreeSet<&str> = run["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let fix = "(ANML_REGENERATE_SCHEMA=1 cargo test --test metric_table rewrites it)";
    for f in metric_fields() {
        assert!(
            props.contains(&f),
            "results-schema.json: $defs.run.properties lacks the metric property `{f}` {fix}"
        );
        assert!(
            required.contains(f),
            "results-schema.json: $defs.run.required lacks the metric property `{f}` {fix}"
        );
    }
    for p in &props {
        assert!(
            record.iter().any(|k| k.as_str() == *p),
            "results-schema.json: $defs.run.properties has `{p}`, which no record field (and no metric of the table) fills {fix}"
        );
    }
    for p in &record {
        assert!(
            props.contains(&p.as_str()),
            "results-schema.json: $defs.run.properties lacks the record field `{p}` {fix}"
        );
    }
    assert_eq!(
        props, record,
        "results-schema.json: $defs.run.properties are not in record order {fix}"
    );
    // every tabular metric (not its extras) is a number
    for m in METRICS {
        assert_eq!(run["properties"][m.field]["type"], "number", "{}", m.field);
    }
    // the committed file is what the regeneration would write
    assert_eq!(regenerated_schema(&schema, &record), schema, "{fix}");
}

/// The keys of a record, in order, without validating it against the
/// schema (which may lack a metric just added to the table).
fn run_record_keys_in_order() -> Vec<String> {
    let y = ndarray::array![0u8, 1, 0, 1];
    let scores = ndarray::array![0.0, 0.75, 0.25, 0.5];
    let record = RunResult {
        schema: results::SCHEMA_ID.into(),
        run_id: "0".repeat(64),
        status: results::STATUS_OK.into(),
        experiment: "t".into(),
        anml_version: anml::VERSION.into(),
        dataset: "d".into(),
        dataset_sha256: "a".repeat(64),
        n_samples: 4,
        model: "hbos".into(),
        model_version: "1.0.0".into(),
        variant: String::new(),
        params: serde_json::json!({}),
        seed: 0,
        split: anml::data::SplitInfo {
            protocol: "holdout60".into(),
            seed: 0,
            n_train: 4,
            n_test: 4,
        },
        metrics: metrics::scorecard(y.view(), scores.view()).expect("scorecard"),
        thresholds: anml::thresholds::evaluate(scores.view(), scores.view(), y.view(), 0.1),
        fit_time: 0.0,
        score_time: 0.0,
        time_per_1000: results::TimePer1000 {
            fit: 0.0,
            score: 0.0,
        },
        artefact_digest: format!("sha256:{}", "b".repeat(64)),
        provenance: Default::default(),
        hardware: results::Hardware::detect(),
    };
    serde_json::to_value(&record)
        .expect("value")
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect()
}

/// A series `metrics` object with every value present.
fn full_series_metrics() -> SeriesMetrics {
    SeriesMetrics {
        roc_auc: Some(0.5),
        pr_auc: Some(0.5),
        vus_roc: Some(0.5),
        vus_pr: Some(0.5),
        vus_window: 10,
        nab: Some(NabScores {
            standard: Some(1.0),
            reward_low_fp: Some(2.0),
            reward_low_fn: Some(3.0),
        }),
        ucr: Some(metrics::UcrOutcome {
            predicted: 5,
            hit: true,
            range_start: 4,
            range_end: 6,
            tolerance: 100,
        }),
    }
}

/// The schema node at `pointer` inside a series record's `metrics`,
/// following nested objects (and the object branch of a `oneOf`).
fn series_schema_node<'a>(metrics: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = metrics;
    for key in pointer.trim_start_matches('/').split('/') {
        let object = match node.get("oneOf").and_then(Value::as_array) {
            Some(branches) => branches.iter().find(|b| b["type"] == "object")?,
            None => node,
        };
        node = object["properties"].get(key)?;
    }
    Some(node)
}

#[test]
fn every_series_metric_is_in_the_record_and_the_schema() {
    let full = full_series_metrics();
    let value = serde_json::to_value(&full).expect("value");
    let schema = schema();
    let metrics_schema = &schema["$defs"]["series_run"]["properties"]["metrics"];
    for m in SERIES_METRICS {
        let get = m.series.expect("series accessor");
        let got = get(&full).unwrap_or_else(|| panic!("{}: no value from a full record", m.name));
        let at = value
            .pointer(m.series_path)
            .unwrap_or_else(|| panic!("{}: record has nothing at {}", m.name, m.series_path));
        let stored = at
            .as_f64()
            .or_else(|| at.as_bool().map(|b| f64::from(u8::from(b))));
        assert_eq!(stored, Some(got), "{}: value at {}", m.name, m.series_path);
        assert!(
            series_schema_node(metrics_schema, m.series_path).is_some(),
            "results-schema.json: $defs.series_run.properties.metrics lacks {} (metric {})",
            m.series_path,
            m.name
        );
    }
    // a series without labels or protocol has no value for any metric
    let empty = SeriesMetrics {
        roc_auc: None,
        pr_auc: None,
        vus_roc: None,
        vus_pr: None,
        vus_window: 0,
        nab: None,
        ucr: None,
    };
    for m in SERIES_METRICS {
        assert_eq!(m.series.and_then(|f| f(&empty)), None, "{}", m.name);
    }
}

#[test]
fn tables_and_leaderboards_have_a_column_per_metric() {
    let r = run();
    for m in METRICS {
        assert!(
            RunResult::TABLE_HEADER.contains(&m.column),
            "RunResult::TABLE_HEADER lacks {}",
            m.column
        );
    }
    assert_eq!(r.table_row().len(), RunResult::TABLE_HEADER.len());

    let lb = bench::Leaderboard::new(std::slice::from_ref(&r));
    let csv = lb.to_csv().expect("csv");
    let header = csv.lines().next().expect("header");
    let (_, rows) = lb.rows();
    for m in METRICS {
        assert!(
            header.split(',').any(|c| c == format!("mean_{}", m.field)),
            "leaderboard CSV lacks mean_{}: {header}",
            m.field
        );
        let label = format!("mean {}", m.title);
        assert!(
            rows.iter().any(|row| row[0] == label),
            "leaderboard lacks the row `{label}`"
        );
    }

    let series = results::SeriesRunResult {
        schema: results::SCHEMA_ID.into(),
        run_id: "0".repeat(64),
        status: results::STATUS_OK.into(),
        kind: results::KIND_TIMESERIES.into(),
        experiment: "t".into(),
        anml_version: anml::VERSION.into(),
        series: "s".into(),
        series_sha256: "a".repeat(64),
        n_points: 10,
        n_channels: 1,
        train_points: 0,
        model: "hbos".into(),
        model_version: "1.0.0".into(),
        variant: String::new(),
        params: serde_json::json!({}),
        window: 4,
        seed: 0,
        metrics: full_series_metrics(),
        run_time: 0.0,
        provenance: Default::default(),
        hardware: results::Hardware::detect(),
    };
    series
        .to_value()
        .and_then(|v| results::validate(&v))
        .expect("a full series record validates");
    let (md, csv) = bench::series_leaderboard(&[&series]);
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    for m in SERIES_METRICS {
        assert!(
            header.contains(&m.column),
            "series leaderboard lacks {}",
            m.column
        );
    }
    assert!(md.contains("| hbos | 1 |"), "{md}");
}

#[test]
fn registry_meta_records_every_metric() {
    let r = run();
    let meta = anml::registry::Provenance::from_run(&r);
    let recorded = meta.metrics.expect("metrics");
    for (m, v) in METRICS.iter().zip(r.metrics.values()) {
        assert_eq!(
            recorded[m.field].as_f64(),
            Some(v),
            "meta.json metric {}",
            m.field
        );
    }
}

#[test]
fn every_metric_has_a_documented_script_getter_and_a_doc_entry() {
    let sb = common::Sandbox::new();
    let datasets = DatasetRegistry::new(sb.cache())
        .with_mirror(Some(common::mirror()))
        .with_download(false);
    let workspace = Workspace::new(sb.root(), datasets.cache_dir()).expect("workspace");
    let host = Host::new(
        HostContext::new(workspace, datasets, Limits::default(), "metric_table"),
        Interrupt::new(),
    );
    let docs = function_docs(host.engine());
    let r = run();
    for m in METRICS {
        let getter = format!(".{}", m.field);
        let doc = docs
            .iter()
            .find(|d| d.name == getter && d.signature.contains("RunResult"))
            .unwrap_or_else(|| panic!("no documented RunResult getter {getter}"));
        assert!(doc.doc.contains(m.summary), "{getter}: {doc:?}");
        let got = host
            .run(
                "getter",
                &format!(
                    "evaluate(load_dataset(\"toy-blobs\"), detector(\"hbos\"), 0).{}",
                    m.field
                ),
            )
            .unwrap_or_else(|e| panic!("{getter}: {e}"));
        assert_eq!(got.as_float().ok(), r.metric(m.field), "{getter}");
    }
    let metric_docs = metric_docs();
    for m in TABLE {
        assert!(
            metric_docs.iter().any(|d| d.name == m.name),
            ":doc has no entry for metric {}",
            m.name
        );
    }
}
