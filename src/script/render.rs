//! Error rendering: script name, line and column, the source line with a
//! caret, the call chain, the underlying Rust cause chain, and the limit
//! that was hit with the flag that raises it.

use super::Limits;
use rhai::{EvalAltResult, Position};

/// Rhai's `Display` appends " (line L, position C)"; the caret shows that.
fn strip_position(s: &str) -> &str {
    match s.rfind(" (line ") {
        Some(i) if s.ends_with(')') => &s[..i],
        _ => s,
    }
}

fn leaf_message(e: &EvalAltResult, limits: &Limits) -> String {
    let limit = |name: &str, value: String| {
        format!(
            "sandbox limit {name} = {value} reached (raise it with {})",
            Limits::flag_for(name)
        )
    };
    match e {
        EvalAltResult::ErrorRuntime(d, _) => d.to_string(),
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "too many operations: {}",
            limit("max_operations", limits.max_operations.to_string())
        ),
        EvalAltResult::ErrorStackOverflow(_) if limits.max_call_depth >= super::MAX_NESTING => {
            format!(
                "call stack too deep: sandbox limit max_call_depth = {} reached (the most the \
                 host allows: deeper calls would overflow the native stack)",
                limits.max_call_depth
            )
        }
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "call stack too deep: {}",
            limit("max_call_depth", limits.max_call_depth.to_string())
        ),
        EvalAltResult::ErrorTooManyModules(_) => format!(
            "too many modules imported: {}",
            limit("max_modules", limits.max_modules.to_string())
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let w = what.to_lowercase();
            let (name, value) = if w.contains("string") {
                ("max_string_size", limits.max_string_size)
            } else if w.contains("map") {
                ("max_map_size", limits.max_map_size)
            } else {
                ("max_array_size", limits.max_array_size)
            };
            format!("{what} too large: {}", limit(name, value.to_string()))
        }
        EvalAltResult::ErrorTerminated(d, _) => format!("script stopped: {d}"),
        other => strip_position(&other.to_string()).to_string(),
    }
}

/// Render `err` raised while running `source` (named `name`).
pub fn render_error(name: &str, source: &str, err: &EvalAltResult, limits: &Limits) -> String {
    let mut chain = Vec::new();
    let mut e = err;
    let mut pos = err.position();
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(f, src, inner, p) => {
                let at = if src.is_empty() { name } else { src.as_str() };
                chain.push(format!("in call to function `{f}` ({at}, {p})"));
                if src.is_empty() && !inner.position().is_none() {
                    // A function defined in this script: point inside it.
                    pos = inner.position();
                } else if pos.is_none() {
                    pos = *p;
                }
                e = inner;
            }
            EvalAltResult::ErrorInModule(m, inner, p) => {
                chain.push(format!("in module `{m}`"));
                if pos.is_none() {
                    pos = *p;
                }
                e = inner;
            }
            _ => break,
        }
    }
    let message = leaf_message(e, limits);
    let mut lines = message.lines();
    let mut out = format!("error: {}\n", lines.next().unwrap_or("script failed"));
    out.push_str(&location(name, source, pos));
    for c in chain.iter().rev() {
        out.push_str(&format!("   = {c}\n"));
    }
    for l in lines {
        out.push_str(&format!("   = {l}\n"));
    }
    out
}

fn location(name: &str, source: &str, pos: Position) -> String {
    let (Some(line), col) = (pos.line(), pos.position()) else {
        return format!("  --> {name}\n");
    };
    let col = col.unwrap_or(1);
    let mut out = format!("  --> {name}:{line}:{col}\n");
    if let Some(text) = source.lines().nth(line - 1) {
        let width = line.to_string().len();
        let pad = " ".repeat(width);
        out.push_str(&format!("{pad} |\n{line} | {text}\n"));
        // Keep tabs so the caret lines up under the source.
        let lead: String = text
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("{pad} | {lead}^\n"));
    }
    out
}

/// Turn a library error into a Rhai runtime error carrying the whole cause
/// chain ("message\ncaused by: …"). Rhai fills in the call position.
pub fn to_rhai_error(err: &(dyn std::error::Error + 'static)) -> Box<EvalAltResult> {
    let mut text = err.to_string();
    let mut src = err.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(&format!("\ncaused by: {t}"));
        }
        src = s.source();
    }
    Box::new(EvalAltResult::ErrorRuntime(text.into(), Position::NONE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_column() {
        let src = "let a = 1;\nlet b = nope(a);\n";
        let e = EvalAltResult::ErrorRuntime("boom".into(), Position::new(2, 9));
        let r = render_error("t.rhai", src, &e, &Limits::default());
        assert!(r.starts_with("error: boom\n"), "{r}");
        assert!(r.contains("--> t.rhai:2:9"), "{r}");
        assert!(r.contains("2 | let b = nope(a);\n  |         ^"), "{r}");
    }

    #[test]
    fn limits_are_named() {
        let e = EvalAltResult::ErrorTooManyOperations(Position::new(1, 1));
        let r = render_error("t.rhai", "loop {}", &e, &Limits::default());
        assert!(r.contains("max_operations = 20000000"), "{r}");
        assert!(r.contains("--max-operations"), "{r}");
    }
}
