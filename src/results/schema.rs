//! The shipped results schema and validation against it.

use super::ResultError;
use serde_json::Value;
use std::sync::OnceLock;

/// The schema text, compiled into the binary.
pub const SCHEMA_JSON: &str = include_str!("../resources/results-schema.json");

/// The schema's `$id`, written as every result's `$schema`.
pub const SCHEMA_ID: &str = "https://anml.dev/schemas/results-2.json";

fn validator() -> Result<&'static jsonschema::Validator, ResultError> {
    static V: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    V.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA_JSON).map_err(|e| e.to_string())?;
        jsonschema::validator_for(&schema).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| ResultError::Schema(format!("the shipped schema does not compile: {e}")))
}

/// Check `instance` against the results schema; every violation is listed.
pub fn validate(instance: &Value) -> Result<(), ResultError> {
    violations(validator()?, instance).map_err(ResultError::Schema)
}

/// Every way `instance` breaks `schema`, each with its JSON pointer, joined
/// by `; ` (shared by the results and notebook schemas).
pub fn violations(schema: &jsonschema::Validator, instance: &Value) -> Result<(), String> {
    let errors: Vec<String> = schema
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_compiles_and_has_the_id() {
        let schema: Value = serde_json::from_str(SCHEMA_JSON).unwrap();
        assert_eq!(schema["$id"], SCHEMA_ID);
        assert!(validator().is_ok());
    }

    #[test]
    fn rejects_an_incomplete_result() {
        let err = validate(&serde_json::json!({"dataset": "x"})).unwrap_err();
        assert!(err.to_string().contains("run_id"), "{err}");
    }
}
