//! Canonical JSON (object keys sorted recursively, compact) and the run id
//! derived from it, so that the same inputs always hash the same.

use crate::hashing::sha256_hex;
use serde_json::{Map, Value};

/// Sort object keys at every depth. Numbers keep serde_json's shortest
/// round-trip formatting, so equal f64 values print identically.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        // -0.0 and 0.0 are the same parameter value.
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => Value::from(0.0),
        other => other.clone(),
    }
}

/// Compact JSON with sorted keys.
pub fn canonical_json(v: &Value) -> String {
    sorted(v).to_string()
}

/// Everything that identifies a run. Its run id is the SHA-256 (hex) of
/// the canonical JSON of these fields, so the same experiment, script,
/// data, detector, parameters, protocol and seed always get the same id,
/// and a changed one gets a new id. Scheduling (threads, shards, order in
/// the grid) is not part of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunKey<'a> {
    pub experiment: &'a str,
    /// SHA-256 of the script when the run comes from one.
    pub script_sha256: Option<&'a str>,
    pub dataset_sha256: &'a str,
    pub model: &'a str,
    pub params: &'a Value,
    pub protocol: &'a str,
    pub seed: u64,
}

impl RunKey<'_> {
    pub fn run_id(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or(Value::Null);
        sha256_hex(canonical_json(&v).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a = json!({"b": 1, "a": {"y": 2.5, "x": [3, {"q": 1, "p": 0}]}});
        let b = json!({"a": {"x": [3, {"p": 0, "q": 1}], "y": 2.5}, "b": 1});
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":[3,{"p":0,"q":1}],"y":2.5},"b":1}"#
        );
    }

    #[test]
    fn run_id_depends_on_every_input() {
        let p = json!({"n_estimators": 100});
        let p50 = json!({"n_estimators": 50});
        let base = RunKey {
            experiment: "exp",
            script_sha256: None,
            dataset_sha256: "ab",
            model: "isolation_forest",
            params: &p,
            protocol: "holdout60",
            seed: 0,
        };
        let id = base.run_id();
        assert_eq!(id.len(), 64);
        assert_eq!(id, base.clone().run_id());
        let variants = [
            RunKey {
                experiment: "exp2",
                ..base.clone()
            },
            RunKey {
                script_sha256: Some("cd"),
                ..base.clone()
            },
            RunKey {
                dataset_sha256: "ac",
                ..base.clone()
            },
            RunKey {
                model: "other",
                ..base.clone()
            },
            RunKey {
                params: &p50,
                ..base.clone()
            },
            RunKey {
                protocol: "pyod",
                ..base.clone()
            },
            RunKey {
                seed: 1,
                ..base.clone()
            },
        ];
        for v in variants {
            assert_ne!(v.run_id(), id, "{v:?}");
        }
    }

    #[test]
    fn run_id_is_pinned() {
        // The id of a fixed key; a change here invalidates every run store.
        let p = json!({"b": 1.0, "a": -0.0});
        let key = RunKey {
            experiment: "e",
            script_sha256: None,
            dataset_sha256: "d",
            model: "m",
            params: &p,
            protocol: "holdout60",
            seed: 3,
        };
        assert_eq!(
            canonical_json(&serde_json::to_value(&key).unwrap()),
            r#"{"dataset_sha256":"d","experiment":"e","model":"m","params":{"a":0.0,"b":1.0},"protocol":"holdout60","script_sha256":null,"seed":3}"#
        );
    }
}
