//! Conversions between Rhai values and library values, and error mapping.

use crate::script::render::to_rhai_error;
use rhai::{Array, Dynamic, EvalAltResult, Map};
use serde_json::Value;

/// A library error as a Rhai runtime error with its cause chain.
pub(crate) fn ctx_err<E: std::error::Error + 'static>(e: E) -> Box<EvalAltResult> {
    to_rhai_error(&e)
}

/// A Rhai runtime error from a message.
pub(crate) fn msg_err(msg: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        msg.into().into(),
        rhai::Position::NONE,
    ))
}

fn dynamic_to_json(d: &Dynamic) -> Result<Value, Box<EvalAltResult>> {
    if d.is_unit() {
        return Ok(Value::Null);
    }
    if let Ok(b) = d.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Ok(i) = d.as_int() {
        return Ok(Value::from(i));
    }
    if let Ok(f) = d.as_float() {
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| msg_err(format!("parameter value {f} is not a finite number")));
    }
    if d.is_string() {
        return Ok(Value::String(d.to_string()));
    }
    if let Some(a) = d.read_lock::<Array>() {
        return a
            .iter()
            .map(dynamic_to_json)
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    if let Some(m) = d.read_lock::<Map>() {
        return map_to_json(&m).map(Value::Object);
    }
    Err(msg_err(format!(
        "a value of type {} cannot be used as a parameter",
        d.type_name()
    )))
}

/// A Rhai object map of parameters as a JSON object.
pub(crate) fn map_to_json(m: &Map) -> Result<serde_json::Map<String, Value>, Box<EvalAltResult>> {
    m.iter()
        .map(|(k, v)| Ok((k.to_string(), dynamic_to_json(v)?)))
        .collect()
}

/// A JSON value as a Rhai value (objects become maps).
pub(crate) fn json_to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from(i),
            None => Dynamic::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Dynamic::from(s.clone()),
        Value::Array(a) => Dynamic::from_array(a.iter().map(json_to_dynamic).collect()),
        Value::Object(o) => Dynamic::from_map(
            o.iter()
                .map(|(k, v)| (k.as_str().into(), json_to_dynamic(v)))
                .collect(),
        ),
    }
}

/// A non-negative integer from a script (seeds, counts).
pub(crate) fn non_negative(what: &str, v: i64) -> Result<u64, Box<EvalAltResult>> {
    u64::try_from(v).map_err(|_| msg_err(format!("{what} must be >= 0, got {v}")))
}

/// Options shared by `split` and `evaluate`: `#{ protocol: "holdout60", seed: 0 }`.
/// Unknown keys are an error naming the known ones.
pub(crate) fn run_options(
    what: &str,
    opts: &Map,
) -> Result<(crate::data::Protocol, u64), Box<EvalAltResult>> {
    let mut protocol = crate::data::Protocol::Holdout60;
    let mut seed = 0;
    for (k, v) in opts {
        match k.as_str() {
            "protocol" => {
                protocol = crate::data::Protocol::parse(&v.to_string()).map_err(ctx_err)?;
            }
            "seed" => {
                let s = v.as_int().map_err(|t| {
                    msg_err(format!("{what} option `seed` must be an integer, got {t}"))
                })?;
                seed = non_negative("seed", s)?;
            }
            other => {
                return Err(msg_err(format!(
                    "unknown {what} option `{other}`; known: protocol, seed"
                )));
            }
        }
    }
    Ok((protocol, seed))
}

/// Refuse a native allocation of `elements` values of `elem_bytes` each
/// before it is made: more than `max_matrix_elements`, or more bytes than
/// the memory budget has left. `what` names the value in the error.
pub(crate) fn check_matrix_alloc(
    limits: &crate::script::Limits,
    what: &str,
    elements: usize,
    elem_bytes: usize,
) -> Result<(), Box<EvalAltResult>> {
    let limit = limits.max_matrix_elements;
    if elements > limit {
        return Err(msg_err(format!(
            "{what} of {elements} elements exceeds the sandbox limit max_matrix_elements = \
             {limit} (raise it with --max-matrix-elements)"
        )));
    }
    crate::memory::check(limits.max_memory, elements.saturating_mul(elem_bytes))
        .map_err(|e| msg_err(format!("{what}: {e}")))
}

/// Refuse building a script array of `n` elements above `max_array_size`
/// before it is built.
pub(crate) fn check_array_len(
    limits: &crate::script::Limits,
    what: &str,
    n: usize,
) -> Result<(), Box<EvalAltResult>> {
    let limit = limits.max_array_size;
    if limit > 0 && n > limit {
        return Err(msg_err(format!(
            "{what}: an array of {n} elements exceeds the sandbox limit max_array_size = \
             {limit} (raise it with --max-array-size)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_native_allocation_beyond_the_memory_budget_is_refused_before_it_is_made() {
        let limits = crate::script::Limits {
            max_matrix_elements: usize::MAX,
            max_memory: crate::memory::live_bytes() + (1 << 30),
            ..Default::default()
        };
        // 2^28 f64 = 2 GiB, refused without allocating it.
        let e = check_matrix_alloc(&limits, "matrix", 1 << 28, 8).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("matrix: memory budget exceeded"), "{text}");
        assert!(text.contains("--max-memory"), "{text}");
        assert!(check_matrix_alloc(&limits, "matrix", 1000, 8).is_ok());
    }
}
