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

/// SHA-256 (hex) of the canonical JSON of the run's identifying inputs.
pub fn run_id(
    dataset_sha256: &str,
    model: &str,
    params: &Value,
    protocol: &str,
    seed: u64,
) -> String {
    let key = serde_json::json!({
        "dataset_sha256": dataset_sha256,
        "model": model,
        "params": params,
        "protocol": protocol,
        "seed": seed,
    });
    sha256_hex(canonical_json(&key).as_bytes())
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
        let base = run_id("ab", "isolation_forest", &p, "holdout60", 0);
        assert_eq!(base.len(), 64);
        assert_eq!(base, run_id("ab", "isolation_forest", &p, "holdout60", 0));
        assert_ne!(base, run_id("ac", "isolation_forest", &p, "holdout60", 0));
        assert_ne!(base, run_id("ab", "other", &p, "holdout60", 0));
        assert_ne!(
            base,
            run_id(
                "ab",
                "isolation_forest",
                &json!({"n_estimators": 50}),
                "holdout60",
                0
            )
        );
        assert_ne!(base, run_id("ab", "isolation_forest", &p, "pyod", 0));
        assert_ne!(base, run_id("ab", "isolation_forest", &p, "holdout60", 1));
    }
}
