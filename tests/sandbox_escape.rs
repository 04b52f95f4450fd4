//! The sandbox escape suite: scripts that try to leave the workspace, exhaust
//! the machine or reach a capability the host does not offer, each run by
//! the real binary (`anml script x.rhai`, `--workspace` a temp dir). Every
//! attempt must end in a clean error (exit 1 or 2, no panic or abort) whose
//! text contains the expected substring, and must leave the directory
//! outside the workspace exactly as it was.
//!
//! `ATTEMPTS` is a table of (name, expected, script); `{OUT}` in a script is
//! the outside directory. `cargo test --test sandbox_escape -- --nocapture`
//! prints the results as a Markdown table (attempt, expected, got).

mod common;

use common::{Sandbox, text};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Prepares the workspace (`root`) and the outside directory (`out`).
type Setup = fn(root: &Path, out: &Path);

struct Attempt {
    name: &'static str,
    /// A substring of the error the binary must print.
    expected: &'static str,
    script: &'static str,
    /// Extra global flags (tight limits keep the resource attempts short).
    flags: &'static [&'static str],
    setup: Option<Setup>,
}

const fn a(name: &'static str, expected: &'static str, script: &'static str) -> Attempt {
    Attempt {
        name,
        expected,
        script,
        flags: &[],
        setup: None,
    }
}

const fn with_flags(mut at: Attempt, flags: &'static [&'static str]) -> Attempt {
    at.flags = flags;
    at
}

const fn with_setup(mut at: Attempt, setup: Setup) -> Attempt {
    at.setup = Some(setup);
    at
}

const OUTSIDE: &str = "outside the workspace";
const NOT_FOUND: &str = "Function not found";

fn results_dir(root: &Path) -> std::path::PathBuf {
    let d = root.join("results");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn link_results_file_out(root: &Path, out: &Path) {
    symlink(out.join("secret.csv"), results_dir(root).join("link.csv")).unwrap();
}
fn link_results_dir_out(root: &Path, out: &Path) {
    symlink(out, results_dir(root).join("out")).unwrap();
}
fn link_registry_etc(root: &Path, _out: &Path) {
    std::fs::create_dir_all(root.join("registry")).unwrap();
    symlink("/etc", root.join("registry/etc")).unwrap();
}
fn hard_link_out(root: &Path, out: &Path) {
    std::fs::hard_link(out.join("secret.csv"), results_dir(root).join("hl.csv")).unwrap();
}
fn hard_link_json_out(root: &Path, out: &Path) {
    std::fs::hard_link(out.join("target.json"), results_dir(root).join("hl.json")).unwrap();
}
fn link_existing_json_out(root: &Path, out: &Path) {
    symlink(out.join("target.json"), results_dir(root).join("link.json")).unwrap();
}
fn dangling_link_out(root: &Path, out: &Path) {
    symlink(out.join("new.json"), results_dir(root).join("dangle.json")).unwrap();
}
fn module_link_out(root: &Path, out: &Path) {
    symlink(out.join("evil.rhai"), root.join("lib.rhai")).unwrap();
}
fn module_dir_link_out(root: &Path, out: &Path) {
    symlink(out, root.join("libs")).unwrap();
}
fn self_import(root: &Path, _out: &Path) {
    std::fs::write(root.join("a.rhai"), "import \"a\" as a;\nfn f() { 1 }\n").unwrap();
}
fn mutual_import(root: &Path, _out: &Path) {
    std::fs::write(root.join("a.rhai"), "import \"b\" as b;\n").unwrap();
    std::fs::write(root.join("b.rhai"), "import \"a\" as a;\n").unwrap();
}

fn deep_import_chain(root: &Path, _out: &Path) {
    for i in 0..3000 {
        let text = format!("import \"m{}\" as n;\nfn f() {{ {i} }}\n", i + 1);
        std::fs::write(root.join(format!("m{i}.rhai")), text).unwrap();
    }
    std::fs::write(root.join("m3000.rhai"), "fn f() { 1 }\n").unwrap();
}

const ATTEMPTS: &[Attempt] = &[
    // ---- files: reads ------------------------------------------------
    a(
        "read `..` traversal",
        OUTSIDE,
        r#"load_csv("../outside/secret.csv")"#,
    ),
    a(
        "read deep `..` from results/",
        OUTSIDE,
        r#"load_csv("results/../../../../../etc/passwd")"#,
    ),
    a(
        "read absolute /etc/passwd",
        OUTSIDE,
        r#"load_csv("/etc/passwd")"#,
    ),
    a(
        "read absolute outside dir",
        OUTSIDE,
        r#"load_csv("{OUT}/secret.csv")"#,
    ),
    a("read `~` home", OUTSIDE, r#"load_csv("~/.bashrc")"#),
    a(
        "read the script itself (root)",
        OUTSIDE,
        r#"load_csv("x.rhai")"#,
    ),
    a("read a directory", OUTSIDE, r#"load_csv("results")"#),
    a(
        "read /proc/self/environ",
        OUTSIDE,
        r#"load_csv("/proc/self/environ")"#,
    ),
    a(
        "read path with NUL",
        "NUL byte",
        r#"load_csv("results/a\x00.csv")"#,
    ),
    a(
        "read path with RTL override",
        "bidirectional",
        r#"load_csv("results/\u202Evsc.csv")"#,
    ),
    a(
        "read path with fullwidth dots",
        "look-alike",
        r#"load_csv("results/\uFF0E\uFF0E/\uFF0E\uFF0E/etc/passwd")"#,
    ),
    a(
        "read path with zero-width space",
        "invisible",
        r#"load_csv("results/.\u200B./x.csv")"#,
    ),
    with_setup(
        a(
            "read symlink (final component) out",
            OUTSIDE,
            r#"load_csv("results/link.csv")"#,
        ),
        link_results_file_out,
    ),
    with_setup(
        a(
            "read through symlinked parent dir",
            OUTSIDE,
            r#"load_csv("results/out/secret.csv")"#,
        ),
        link_results_dir_out,
    ),
    with_setup(
        a(
            "read registry/ symlink to /etc",
            OUTSIDE,
            r#"load_csv("registry/etc/passwd")"#,
        ),
        link_registry_etc,
    ),
    with_setup(
        a(
            "read hard link to outside file",
            "hard links",
            r#"load_csv("results/hl.csv")"#,
        ),
        hard_link_out,
    ),
    // ---- files: writes -----------------------------------------------
    a(
        "write `..` traversal",
        OUTSIDE,
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "results/../../evil.json");"#,
    ),
    a(
        "write absolute path",
        OUTSIDE,
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "{OUT}/evil.json");"#,
    ),
    a(
        "write to the workspace root",
        OUTSIDE,
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "evil.json");"#,
    ),
    a(
        "write into registry/",
        "write only under",
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "registry/m/1.0.0/model.json");"#,
    ),
    a(
        "write into a published version",
        "write only under",
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           let id = save_model(r, "m");
           write_result(r, "registry/m/1.0.0/meta.json");"#,
    ),
    a(
        "write over another run's record",
        "run store",
        r#"let ds = load_dataset("toy-blobs");
           let a = evaluate(ds, detector("hbos"), 0);
           let b = evaluate(ds, detector("hbos"), 1);
           write_result(a);
           write_result(b, "results/x/runs/" + a.run_id + ".json");"#,
    ),
    with_setup(
        a(
            "write through symlinked parent dir",
            OUTSIDE,
            r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
               write_result(r, "results/out/evil.json");"#,
        ),
        link_results_dir_out,
    ),
    with_setup(
        a(
            "write onto symlink to outside file",
            OUTSIDE,
            r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
               write_result(r, "results/link.json");"#,
        ),
        link_existing_json_out,
    ),
    with_setup(
        a(
            "write onto dangling symlink out",
            "symbolic link",
            r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
               write_result(r, "results/dangle.json");"#,
        ),
        dangling_link_out,
    ),
    with_setup(
        a(
            "write onto hard link to outside file",
            "hard links",
            r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
               write_result(r, "results/hl.json");"#,
        ),
        hard_link_json_out,
    ),
    a(
        "write path with NUL",
        "NUL byte",
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "results/a\x00.json");"#,
    ),
    a(
        "write path with RTL override",
        "bidirectional",
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "results/\u202Enosj.json");"#,
    ),
    a(
        "save plot with `..`",
        OUTSIDE,
        r#"save(series_plot(series_from(vector([1.0, 2.0, 3.0])), #{}), "../evil.svg")"#,
    ),
    a(
        "save plot into registry/",
        "write only under",
        r#"save(series_plot(series_from(vector([1.0, 2.0, 3.0])), #{}), "registry/evil.svg")"#,
    ),
    a(
        "save_model with a `..` name",
        "name",
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           save_model(r, "../../evil");"#,
    ),
    a(
        "load_model with a `..` name",
        "name",
        r#"load_model("../../etc@1.0.0")"#,
    ),
    // ---- imports -------------------------------------------------------
    a(
        "import absolute path",
        OUTSIDE,
        r#"import "/etc/passwd" as m;"#,
    ),
    a(
        "import `..` path",
        OUTSIDE,
        r#"import "../outside/evil" as m;"#,
    ),
    a(
        "import outside dir by absolute path",
        OUTSIDE,
        r#"import "{OUT}/evil" as m;"#,
    ),
    a(
        "import stdlib name with `..`",
        OUTSIDE,
        r#"import "bench/../../evil" as m;"#,
    ),
    a(
        "import path with NUL",
        "NUL byte",
        r#"import "a\x00b" as m;"#,
    ),
    with_setup(
        a("import symlinked module", OUTSIDE, r#"import "lib" as m;"#),
        module_link_out,
    ),
    with_setup(
        a(
            "import through symlinked dir",
            OUTSIDE,
            r#"import "libs/evil" as m;"#,
        ),
        module_dir_link_out,
    ),
    with_setup(
        a(
            "import itself (cycle)",
            "import cycle: a.rhai -> a.rhai",
            r#"import "a" as a;"#,
        ),
        self_import,
    ),
    with_setup(
        a(
            "two modules import each other",
            "import cycle: a.rhai -> b.rhai -> a.rhai",
            r#"import "a" as a;"#,
        ),
        mutual_import,
    ),
    // ---- resources -------------------------------------------------------
    with_flags(
        a(
            "matrix constructor bomb",
            "max_matrix_elements",
            "let r = []; r.pad(1000, 1.0); let rows = []; for i in 0..999 { rows.push(r); }
             matrix(rows)",
        ),
        &["--max-matrix-elements", "100000"],
    ),
    with_flags(
        a(
            "many matrices kept alive",
            "--max-memory",
            "let r = []; r.pad(500, 1.0); let rows = []; rows.pad(500, r);
             let keep = []; loop { keep.push(matrix(rows)); }",
        ),
        &["--max-memory", "128MiB"],
    ),
    a(
        "windows bomb",
        "max_matrix_elements",
        "let a = []; a.pad(100000, 1.0); series_from(vector(a)).windows(50000, 1)",
    ),
    with_flags(
        a(
            "windows bomb through score_series",
            "--max-memory",
            r#"let a = []; a.pad(100000, 1.0);
               score_series(series_from(vector(a)), "knn", #{ window: 50000 })"#,
        ),
        &["--max-memory", "1GiB"],
    ),
    a(
        "forest of 1e8 trees",
        "n_estimators",
        r#"detector("isolation_forest", #{ n_estimators: 100000000 }).fit(load_dataset("toy-blobs").x)"#,
    ),
    a(
        "string doubling",
        "max_string_size",
        r#"let s = "x"; loop { s += s; }"#,
    ),
    a(
        "array doubling",
        "max_array_size",
        "let a = [1]; loop { a += a; }",
    ),
    // Rhai checks only the assigned value on `m[k] = v`, not the map, so
    // max_map_size does not stop this; the memory budget does.
    with_flags(
        a(
            "map growth by index assignment",
            "--max-memory",
            "let m = #{}; let i = 0; loop { m[`k${i}`] = i; i += 1; }",
        ),
        &["--max-map-size", "1000", "--max-memory", "64MiB"],
    ),
    with_flags(
        a(
            "map of 1 MB strings",
            "--max-memory",
            r#"let s = "x"; for i in 0..19 { s += s; }
               let m = #{}; for i in 0..100000 { m["k" + i] = s + i; }"#,
        ),
        &["--max-memory", "128MiB"],
    ),
    with_flags(
        a(
            "array index assignment of 1 MB strings",
            "--max-memory",
            r#"let s = "x"; for i in 0..19 { s += s; }
               let a = []; a.pad(100000, 0); for i in 0..100000 { a[i] = s + i; }"#,
        ),
        &["--max-memory", "128MiB"],
    ),
    with_flags(
        a(
            "table rows of 1 MB strings",
            "--max-memory",
            r#"let s = "x"; for i in 0..19 { s += s; }
               let t = table(["a"]); for i in 0..100000 { t.add_row([s + i]); }"#,
        ),
        &["--max-memory", "128MiB"],
    ),
    a(
        "deep recursion",
        "max_call_depth",
        "fn f(n) { f(n + 1) } f(0)",
    ),
    a(
        "recursion through closures",
        "max_call_depth",
        "fn g(n) { [n].map(|x| g(x + 1)) } g(0)",
    ),
    with_flags(
        a(
            "recursion with the depth limit raised to 1e6",
            "max_call_depth = 1000",
            "fn f(n) { f(n + 1) } f(0)",
        ),
        &[
            "--max-call-depth",
            "1000000",
            "--max-operations",
            "100000000000",
        ],
    ),
    with_flags(
        with_setup(
            a(
                "imports nested 3000 deep with the module limit raised",
                "imports nested 1001 deep",
                r#"import "m0" as m;"#,
            ),
            deep_import_chain,
        ),
        &["--max-modules", "100000"],
    ),
    with_flags(
        a("infinite loop", "max_operations", "loop {}"),
        &["--max-operations", "100000"],
    ),
    with_flags(
        a(
            "infinite loop in filter closure",
            "max_operations",
            "[1, 2, 3].filter(|x| { loop {} })",
        ),
        &["--max-operations", "100000"],
    ),
    with_flags(
        a(
            "infinite loop in map closure",
            "max_operations",
            "[1].map(|x| { while true {} })",
        ),
        &["--max-operations", "100000"],
    ),
    with_flags(
        a(
            "infinite loop in reduce closure",
            "max_operations",
            "[1, 2].reduce(|s, x| { loop {} }, 0)",
        ),
        &["--max-operations", "100000"],
    ),
    with_flags(
        a(
            "infinite loop in sort comparator",
            "max_operations",
            "[2, 1, 3].sort(|a, b| { loop {} })",
        ),
        &["--max-operations", "100000"],
    ),
    with_flags(
        a(
            "infinite loop in dedup comparer",
            "max_operations",
            "[1, 1, 2].dedup(|a, b| { loop {} })",
        ),
        &["--max-operations", "100000"],
    ),
    with_flags(
        a(
            "infinite loop in sweep filter closure",
            "max_operations",
            r#"let runs = sweep(#{ datasets: ["toy-blobs"], detectors: ["hbos"] });
               runs.filter(|r| { loop {} })"#,
        ),
        &["--max-operations", "100000"],
    ),
    // found by the cargo-fuzz `script` target (libFuzzer OOM at 2.4 GB
    // before the sweep's seed bound): `0..=` with no end is 0..=i64::MAX
    a(
        "sweep over an open-ended seed range",
        "at most 100000",
        r#"sweep(#{ datasets: ["toy-blobs"], detectors: ["isolation_forest", "hbos"],
                    params: #{ n_estimators: [25, 100] }, seeds: 0..=, })"#,
    ),
    // ---- capabilities ------------------------------------------------------
    a("eval", "eval", r#"eval("1 + 1")"#),
    a("system()", NOT_FOUND, r#"system("id")"#),
    a("exec()", NOT_FOUND, r#"exec("/bin/sh", ["-c", "id"])"#),
    a(
        "spawn (a reserved keyword)",
        "reserved keyword",
        r#"spawn("id")"#,
    ),
    a("spawn_process()", NOT_FOUND, r#"spawn_process("id", [])"#),
    a("open file", NOT_FOUND, r#"open_file("/etc/passwd")"#),
    a("read_file", NOT_FOUND, r#"read_file("/etc/passwd")"#),
    a("http_get", NOT_FOUND, r#"http_get("http://127.0.0.1/")"#),
    a("tcp connect", NOT_FOUND, r#"connect("127.0.0.1:80")"#),
    a("env variable", NOT_FOUND, r#"env("HOME")"#),
    a("getenv", NOT_FOUND, r#"getenv("PATH")"#),
    a(
        "Fn pointer to system",
        NOT_FOUND,
        r#"let f = Fn("system"); f.call("id")"#,
    ),
    a("blob allocation", NOT_FOUND, "blob(1000000000)"),
];

struct Outcome {
    code: Option<i32>,
    stderr: String,
    outside_changed: bool,
}

fn outside_listing(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    v.sort();
    v
}

fn run(at: &Attempt) -> Outcome {
    let sb = Sandbox::new();
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path();
    std::fs::write(out.join("secret.csv"), "a,label\n1,0\n2,1\n").unwrap();
    std::fs::write(out.join("target.json"), "{}").unwrap();
    std::fs::write(out.join("evil.rhai"), "fn f() { 1 }\n").unwrap();
    // `..` from the workspace root lands here: `../outside/...`.
    let before = outside_listing(out);
    if let Some(setup) = at.setup {
        setup(sb.root(), out);
    }
    let script = at.script.replace("{OUT}", &out.display().to_string());
    let path = sb.write("x.rhai", &script);
    let mut child = sb
        .anml()
        .args(at.flags)
        .arg("script")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run anml");
    // A guard against a hang, not a timing assertion.
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    let (_, stderr) = text(&o);
    Outcome {
        code: o.status.code(),
        stderr,
        outside_changed: outside_listing(out) != before,
    }
}

/// The first line of the error, for the table.
fn headline(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or_else(|| stderr.lines().next().unwrap_or(""))
        .replace('|', "\\|")
        .chars()
        .take(140)
        .collect()
}

#[test]
fn every_escape_attempt_ends_in_a_clean_error() {
    assert!(ATTEMPTS.len() >= 40, "{} attempts", ATTEMPTS.len());
    let mut table = String::from("| attempt | expected | exit | got |\n|---|---|---|---|\n");
    let mut failures = Vec::new();
    for at in ATTEMPTS {
        let o = run(at);
        let clean = matches!(o.code, Some(1) | Some(2))
            && !o.stderr.contains("panicked")
            && !o.stderr.contains("overflowed its stack")
            && !o.stderr.contains("fatal runtime error")
            && o.stderr.contains(at.expected)
            && !o.outside_changed;
        table.push_str(&format!(
            "| {} | `{}` | {} | {}{} |\n",
            at.name,
            at.expected,
            o.code.map_or("signal".to_string(), |c| c.to_string()),
            headline(&o.stderr),
            if o.outside_changed {
                " **(outside dir changed)**"
            } else {
                ""
            }
        ));
        if !clean {
            failures.push(format!(
                "{}: exit {:?}, outside changed: {}, expected `{}` in:\n{}",
                at.name, o.code, o.outside_changed, at.expected, o.stderr
            ));
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn attempt_names_are_unique() {
    let mut names: Vec<_> = ATTEMPTS.iter().map(|a| a.name).collect();
    names.sort();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n);
}

#[test]
fn max_memory_takes_sizes_with_units_and_is_recorded_in_provenance() {
    let sb = Sandbox::new();
    let script = sb.write(
        "x.rhai",
        r#"let r = evaluate(load_dataset("toy-blobs"), detector("hbos"), 0);
           write_result(r, "results/r.json");"#,
    );
    let o = sb
        .anml()
        .args(["--max-memory", "lots", "script"])
        .arg(&script)
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not a size"), "{stderr}");
    let o = sb
        .anml()
        .args(["--max-memory", "3GiB", "script"])
        .arg(&script)
        .output()
        .unwrap();
    let (_, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sb.root().join("results/r.json")).unwrap())
            .unwrap();
    assert_eq!(v["provenance"]["limits"]["max_memory"], 3u64 << 30);
}
