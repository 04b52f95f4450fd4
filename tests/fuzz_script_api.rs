//! Deterministic fuzzing of the script API (issue 17): random sequences of
//! calls of every registered function, with random argument values and
//! types, run through the sandboxed host with small limits. Each call must
//! come back as a value or a Rhai error; a panic anywhere (a native
//! function, a conversion, a getter) is caught and reported with the whole
//! script, which reproduces it with `anml script`.
//!
//! The function list comes from the engine's own registration metadata
//! (what `anml help` and the docs are generated from), so a newly
//! registered function is fuzzed without editing this file. Each script
//! starts from one or two documented examples (which leave real datasets,
//! detectors, results and plots in variables) and then makes random calls
//! whose arguments are those variables, earlier results, or literals of
//! the parameter's type and of other types: extremes, NaN, empty arrays,
//! negative sizes, path-like strings.

mod common;

use anml::data::DatasetRegistry;
use anml::script::docs::function_docs;
use anml::script::{Host, HostContext, Interrupt, Limits};
use anml::workspace::Workspace;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

/// Scripts per test run (times `ANML_FUZZ_SCALE`, default 1), and random
/// calls per script.
const SCRIPTS: usize = 800;
const CALLS: usize = 8;

/// `ANML_FUZZ_SCALE` (a case-count multiplier) and `ANML_FUZZ_SEED` (mixed
/// into every generator's seed) for longer local hunts; CI uses neither.
fn scale_and_seed() -> (usize, u64) {
    let get = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    (
        get("ANML_FUZZ_SCALE").unwrap_or(1).max(1) as usize,
        get("ANML_FUZZ_SEED").unwrap_or(0),
    )
}

fn limits() -> Limits {
    Limits {
        max_operations: 200_000,
        max_call_depth: 32,
        max_string_size: 10_000,
        max_array_size: 10_000,
        max_map_size: 1_000,
        max_matrix_elements: 50_000,
        max_modules: 4,
        // process-wide (the allocator counts every thread): the default
        ..Limits::default()
    }
}

fn host(sb: &common::Sandbox) -> Host {
    let datasets = DatasetRegistry::new(sb.cache())
        .with_mirror(Some(common::mirror()))
        .with_download(false);
    let workspace = Workspace::new(sb.root(), datasets.cache_dir()).expect("workspace");
    // Output is discarded: thousands of random prints would bury a failure.
    let sink: anml::script::OutputSink = Arc::new(Mutex::new(|_: &str| {}));
    Host::with_output(
        HostContext::new(workspace, datasets, limits(), "fuzz"),
        Interrupt::new(),
        Some(sink),
    )
}

/// One registered function: its script name and parameter types.
#[derive(Debug, Clone)]
struct Func {
    name: String,
    params: Vec<String>,
}

fn functions(h: &Host) -> Vec<Func> {
    let json = h.engine().gen_fn_metadata_to_json(false).expect("metadata");
    let meta: Value = serde_json::from_str(&json).expect("metadata json");
    let mut out: Vec<Func> = meta["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .filter(|f| f["docComments"].as_array().is_some_and(|d| !d.is_empty()))
        .filter_map(|f| {
            let name = f["name"].as_str()?.to_string();
            let params = f["params"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| p["type"].as_str().unwrap_or("?").to_string())
                        .collect()
                })
                .unwrap_or_default();
            Some(Func { name, params })
        })
        .filter(|f| !f.name.starts_with("set$") && !f.name.starts_with("index$"))
        .collect();
    out.sort_by(|a, b| (&a.name, &a.params).cmp(&(&b.name, &b.params)));
    out.dedup_by(|a, b| a.name == b.name && a.params == b.params);
    out
}

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "5",
    "17",
    "100",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "1099511627776",
    "4294967296",
];
const FLOATS: &[&str] = &[
    "0.0",
    "-0.0",
    "0.5",
    "1.0",
    "-1.0",
    "0.1",
    "1e308",
    "-1e308",
    "1e-320",
    "(0.0 / 0.0)",
    "(1.0 / 0.0)",
    "(-1.0 / 0.0)",
    "2.5",
];
const STRINGS: &[&str] = &[
    "\"\"",
    "\"x\"",
    "\"wbc\"",
    "\"toy-blobs\"",
    "\"iforest\"",
    "\"hbos\"",
    "\"knn\"",
    "\"roc_auc\"",
    "\"holdout60\"",
    "\"pyod\"",
    "\"../../etc/passwd\"",
    "\"/etc/passwd\"",
    "\"é日本\"",
    "\"m@1.0.0\"",
    "\"m@^1\"",
    "\"results/x\"",
    "\"out.svg\"",
    "\"out.png\"",
    "\"a/b/../../../c.csv\"",
    "\"nab/realKnownCause/nyc_taxi\"",
    "\"ucr/135\"",
    "\"1-3\"",
];
const ARRAYS: &[&str] = &[
    "[]",
    "[1.0, 2.0, 3.0]",
    "[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]",
    "[0, 1, 0]",
    "[[1.0], [2.0, 3.0]]",
    "[\"a\", 1, ()]",
    "[(0.0 / 0.0), 1.0]",
    "[[]]",
    "[1, 2, 3]",
    "[0.5, 0.5, 0.5, 0.5]",
];
const MAPS: &[&str] = &[
    "#{}",
    "#{n_estimators: 10, seed: 1}",
    "#{k: -1}",
    "#{contamination: 2.0}",
    "#{contamination: 0.1}",
    "#{seed: -5}",
    "#{n_neighbors: 1000000}",
    "#{window: 0}",
    "#{x: [1, 2], y: #{}}",
    "#{epochs: 1, batch_size: 0}",
];
const OTHERS: &[&str] = &["()", "true", "false", "'c'"];

fn pick<'a>(rng: &mut ChaCha8Rng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

/// A literal of any type.
fn any_literal(rng: &mut ChaCha8Rng) -> String {
    let pools: [&[&str]; 6] = [INTS, FLOATS, STRINGS, ARRAYS, MAPS, OTHERS];
    let pool = pools[rng.random_range(0..pools.len())];
    pick(rng, pool).to_string()
}

/// An argument for a parameter of type `ty`: a variable from `pool`, a
/// literal of the type, or (sometimes) anything at all.
fn argument(rng: &mut ChaCha8Rng, ty: &str, pool: &[String]) -> String {
    let t = ty.to_ascii_lowercase();
    let literal: Option<&[&str]> = if t.contains("i64") || t.contains("int") || t.contains("usize")
    {
        Some(INTS)
    } else if t.contains("f64") || t.contains("float") {
        Some(FLOATS)
    } else if t.contains("str") {
        Some(STRINGS)
    } else if t.contains("array") || t.contains("vec<") {
        Some(ARRAYS)
    } else if t.contains("map") {
        Some(MAPS)
    } else if t.contains("bool") {
        Some(&["true", "false"])
    } else {
        None
    };
    let roll = rng.random_range(0..10);
    match (literal, roll) {
        (_, 0) => any_literal(rng),
        (Some(l), 1..=6) => pick(rng, l).to_string(),
        _ if !pool.is_empty() => pool[rng.random_range(0..pool.len())].clone(),
        (Some(l), _) => pick(rng, l).to_string(),
        (None, _) => any_literal(rng),
    }
}

/// Variables an example declares with `let name =`.
fn declared(example: &str) -> Vec<String> {
    example
        .lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix("let ")?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// One call of `f` as a script expression.
fn call(rng: &mut ChaCha8Rng, f: &Func, pool: &[String]) -> Option<String> {
    let args: Vec<String> = f.params.iter().map(|t| argument(rng, t, pool)).collect();
    if let Some(prop) = f.name.strip_prefix("get$") {
        return Some(format!("({}).{prop}", args.first()?));
    }
    let is_op = !f
        .name
        .chars()
        .any(|c| c.is_ascii_alphanumeric() || c == '_');
    if is_op {
        return match args.as_slice() {
            [a] => Some(format!("({}({a}))", f.name)),
            [a, b]
                if f.name.ends_with('=')
                    && f.name != "=="
                    && f.name != "!="
                    && f.name != "<="
                    && f.name != ">=" =>
            {
                // Compound assignment needs a variable on the left.
                Some(format!("{{ let t = {a}; t {} {b}; t }}", f.name))
            }
            [a, b] => Some(format!("(({a}) {} ({b}))", f.name)),
            _ => None,
        };
    }
    Some(format!("{}({})", f.name, args.join(", ")))
}

/// A script: one or two examples, then `CALLS` guarded random calls whose
/// results join the pool.
fn script(rng: &mut ChaCha8Rng, funcs: &[Func], examples: &[String]) -> String {
    let mut s = String::new();
    let mut pool: Vec<String> = Vec::new();
    for _ in 0..rng.random_range(1..=2) {
        let ex = &examples[rng.random_range(0..examples.len())];
        // Each example in its own guarded block would scope its variables
        // away; they run at top level, so a failing one ends the script
        // early (still a valid case: errors are fine, panics are not).
        s.push_str(ex);
        s.push_str(";\n");
        pool.extend(declared(ex));
    }
    pool.sort();
    pool.dedup();
    for i in 0..CALLS {
        s.push_str(&format!("let v{i} = ();\n"));
    }
    for i in 0..CALLS {
        let f = &funcs[rng.random_range(0..funcs.len())];
        let Some(expr) = call(rng, f, &pool) else {
            continue;
        };
        s.push_str(&format!("try {{ v{i} = {expr}; }} catch (e) {{ }}\n"));
        pool.push(format!("v{i}"));
    }
    // The script's value: how many random calls returned something.
    let counts: Vec<String> = (0..CALLS)
        .map(|i| format!("(if type_of(v{i}) == \"()\" {{ 0 }} else {{ 1 }})"))
        .collect();
    s.push_str(&counts.join(" + "));
    s.push('\n');
    s
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn random_call_sequences_never_panic() {
    let sb = common::Sandbox::new();
    let h = host(&sb);
    let funcs = functions(&h);
    assert!(funcs.len() > 50, "only {} functions found", funcs.len());
    let examples: Vec<String> = function_docs(h.engine())
        .into_iter()
        .filter_map(|d| d.example)
        .collect();
    assert!(!examples.is_empty());
    // `fuzz/seed_corpus.sh` takes the documented examples as the script
    // target's seeds.
    if let Some(dir) = std::env::var_os("ANML_FUZZ_SEEDS") {
        let dir = std::path::Path::new(&dir).join("script");
        if std::fs::create_dir_all(&dir).is_ok() {
            for (i, ex) in examples.iter().enumerate() {
                let _ = std::fs::write(dir.join(format!("example{i}.rhai")), ex);
            }
        }
    }
    let (scale, seed) = scale_and_seed();
    let scripts = SCRIPTS * scale;
    let mut rng = ChaCha8Rng::seed_from_u64(0x5c_0417 ^ seed);
    let mut failures = Vec::new();
    let (mut completed, mut returned) = (0, 0);
    for n in 0..scripts {
        let src = script(&mut rng, &funcs, &examples);
        let outcome = catch_unwind(AssertUnwindSafe(|| h.run(&format!("fuzz{n}"), &src)));
        match outcome {
            Ok(Ok(v)) => {
                completed += 1;
                returned += v.as_int().unwrap_or(0);
            }
            Ok(Err(_)) => {}
            Err(p) => failures.push(format!(
                "script {n} panicked: {}\n---\n{src}---",
                panic_message(&p)
            )),
        }
    }
    eprintln!(
        "script fuzz: {scripts} scripts, {completed} ran to the end, {returned} random calls returned a value"
    );
    // A generator whose calls all fail would test nothing but error paths.
    assert!(
        completed > scripts / 4 && returned > scripts as i64,
        "too few scripts ran ({completed}) or calls succeeded ({returned})"
    );
    assert!(
        failures.is_empty(),
        "{} of {scripts} scripts panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_function_alone_with_hostile_arguments_never_panics() {
    // Each registered signature, called directly with every argument drawn
    // from the literals (no example context): the shortest path to a
    // conversion that trusts its input.
    let sb = common::Sandbox::new();
    let h = host(&sb);
    let funcs = functions(&h);
    let (scale, seed) = scale_and_seed();
    let mut rng = ChaCha8Rng::seed_from_u64(0xa11_0417 ^ seed);
    let mut failures = Vec::new();
    for f in &funcs {
        for _ in 0..3 * scale {
            let Some(expr) = call(&mut rng, f, &[]) else {
                continue;
            };
            let src = format!("{expr};\n");
            let outcome = catch_unwind(AssertUnwindSafe(|| h.run("fuzz", &src)));
            if let Err(p) = outcome {
                failures.push(format!("{src}  panicked: {}", panic_message(&p)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
