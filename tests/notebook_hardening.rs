//! Hardening of notebooks, the REPL's file commands, sweeps and the
//! registry against a hostile user, through the real binary: `--check`
//! that cannot be fooled by labels or failed records, output paths that
//! never overwrite the notebook or each other, bounded captured output,
//! sweep grids without phantom points, and the registry's verify/list.

mod common;

use common::{Sandbox, text};
use std::path::Path;

/// `anml notebook run NB ARGS…`: exit code, stdout, stderr.
fn notebook(sb: &Sandbox, nb: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = sb
        .anml()
        .args(["notebook", "run"])
        .arg(nb)
        .args(args)
        .output()
        .unwrap();
    let (o, e) = text(&out);
    (out.status.code(), o, e)
}

#[test]
fn check_compares_numbers_in_rows_whose_label_mentions_time() {
    let sb = Sandbox::new();
    let nb = sb.write(
        "nab.rhai",
        "// %%\nlet t = table([\"series\", \"roc_auc\"]);\n\
         t.add_row([\"nab/realTraffic/TravelTime_387\", \"0.8257\"]);\nt\n",
    );
    let html = sb.root().join("nab.html");
    let html = html.to_str().unwrap();
    let (code, _, err) = notebook(&sb, &nb, &["--html", html]);
    assert_eq!(code, Some(0), "{err}");
    let sidecar = sb.root().join("nab.json");
    let recorded = std::fs::read_to_string(&sidecar).unwrap();
    assert!(recorded.contains("TravelTime_387 | 0.8257"), "{recorded}");
    // The same notebook giving another ROC-AUC must fail the check.
    std::fs::write(&sidecar, recorded.replace("0.8257", "0.7507")).unwrap();
    let (code, out, err) = notebook(&sb, &nb, &["--html", html, "--check"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("check FAILED") && out.contains("0.7507"),
        "{out}"
    );
}

#[test]
fn check_against_a_record_whose_cells_failed_is_not_ok() {
    let sb = Sandbox::new();
    let nb = sb.write(
        "broken.rhai",
        "// %%\nprint(1);\n// %%\nlet x = undefined_variable + 1;\n// %%\nprint(2);\n",
    );
    let html = sb.root().join("broken.html");
    let html = html.to_str().unwrap();
    let (code, _, err) = notebook(&sb, &nb, &["--html", html]);
    assert_eq!(code, Some(1), "{err}");
    let (code, out, err) = notebook(&sb, &nb, &["--html", html, "--check"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(!out.contains("check OK"), "{out}");
    assert!(out.contains("cell 2 failed"), "{out}");
}

/// A markdown cell written to attack whoever opens the shared report.
const HOSTILE_MD: &str = "// %% [markdown]\n\
// # Hostile notebook\n\
// [x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](<java\tscript:alert(1)>)\n\
// [e](&#106;avascript:alert(1)) [d](data:text/html,<script>alert(1)</script>)\n\
// [v](vbscript:msgbox(1)) [p](//HOST/p) [ok](https://example.org/)\n\
// ![i](http://HOST/x.png) ![j](//HOST/y.png)\n\
// <script>document.title='PWNED'</script>\n\
// <img src=\"http://HOST/z.png\" onerror=\"document.title='PWNED'\">\n\
// <svg onload=\"document.title='PWNED'\"><script>document.title='PWNED'</script></svg>\n\
\n\
// %%\n\
print(\"marker-42\");\n";

fn hostile_report(sb: &Sandbox, host: &str) -> std::path::PathBuf {
    let nb = sb.write("hostile.rhai", &HOSTILE_MD.replace("HOST", host));
    let html = sb.root().join("hostile.html");
    let (code, _, err) = notebook(sb, &nb, &["--html", html.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    html
}

#[test]
fn the_html_report_carries_no_script_and_no_remote_content() {
    let sb = Sandbox::new();
    let page = std::fs::read_to_string(hostile_report(&sb, "evil.example")).unwrap();
    let lower = page.to_ascii_lowercase();
    for bad in [
        "href=\"javascript",
        "href=\"java",
        "href=\"data:",
        "href=\"vbscript",
        "href=\"//",
        "<img",
        "<script",
        "<svg",
        "<iframe",
    ] {
        assert!(!lower.contains(bad), "the report contains {bad:?}");
    }
    // Every literal `<` opens a real tag (text is escaped): none loads
    // anything or carries an event handler.
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        assert!(!tag.contains("src="), "<{tag}>");
        assert!(
            !tag.split_whitespace().any(|a| a.starts_with("on")),
            "<{tag}>"
        );
    }
    assert!(page.contains("<a href=\"https://example.org/\">ok</a>"));
    assert!(page.contains("[image not shown: i]"));
    assert!(page.contains("&lt;script&gt;"));
}

/// Renders the hostile report in headless Chromium with a local server
/// standing in for the remote host: no script may run (the title stays)
/// and no request may reach the server. Needs `chromium` or
/// `chromium-headless-shell` (`apt-get install chromium-headless-shell`).
#[test]
#[ignore = "needs chromium or chromium-headless-shell"]
fn chromium_runs_no_script_and_requests_nothing() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let browser = ["chromium-headless-shell", "chromium"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("chromium or chromium-headless-shell on PATH");
    // A server standing in for the remote host: it counts requests and
    // answers each at once (a request left open would stall the browser).
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", server.local_addr().unwrap().port());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for mut conn in server.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let dump = |page: &Path| {
        let out = std::process::Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=3000",
                "--dump-dom",
            ])
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let requests = || count.swap(0, Ordering::SeqCst);
    // The probe works: a page that does load from the server and run a
    // script is seen doing both.
    let sb = Sandbox::new();
    let control = sb.write(
        "control.html",
        &format!(
            "<!DOCTYPE html><html><head><title>t</title></head><body>\
             <img src=\"http://{host}/c.png\"><script>document.title='PWNED'</script></body></html>"
        ),
    );
    let dom = dump(&control);
    assert!(
        dom.contains("PWNED"),
        "the control script did not run: {dom}"
    );
    assert!(requests() > 0, "the control page made no request");

    let page = hostile_report(&sb, &host);
    let dom = dump(&page);
    assert!(
        dom.contains("marker-42"),
        "the report did not render: {dom}"
    );
    assert!(!dom.contains("<title>PWNED"), "a script ran: {dom}");
    assert_eq!(requests(), 0, "the report made a request to {host}");
}

#[test]
fn outputs_never_replace_the_notebook_each_other_or_foreign_files() {
    let sb = Sandbox::new();
    let source = "// %%\nprint(1);\n";
    let nb = sb.write("nb.rhai", source);
    let other = sb.write("other.rhai", "let precious = 1;\n");
    let p = |rel: &str| sb.root().join(rel).to_str().unwrap().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec!["--html".into(), p("nb.rhai")],
        vec!["--html".into(), p("out/../nb.rhai")],
        vec!["--md".into(), p("x.md"), "--sidecar".into(), p("nb.rhai")],
        vec![
            "--html".into(),
            p("r.html"),
            "--sidecar".into(),
            p("other.rhai"),
        ],
        vec!["--html".into(), p("out/r.json")],
        vec!["--html".into(), p("a.html"), "--md".into(), p("a.html")],
        vec![
            "--html".into(),
            p("b.html"),
            "--sidecar".into(),
            p("b.html"),
        ],
    ];
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = notebook(&sb, &nb, &args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(
            err.contains("refusing")
                || err.contains("same file")
                || err.contains("notebook itself"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&nb).unwrap(), source);
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "let precious = 1;\n"
    );
    for f in ["out/r.json", "a.html", "b.html", "x.md", "r.html"] {
        assert!(!sb.root().join(f).exists(), "{f} was written");
    }
    // anml's own outputs are replaced on a re-run
    let args = ["--html", &p("r.html"), "--md", &p("r.md")];
    let (code, _, err) = notebook(&sb, &nb, &args);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = notebook(&sb, &nb, &args);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn captured_output_is_capped_and_the_reports_say_so() {
    let sb = Sandbox::new();
    // 100 prints of 1 MiB: 100 MiB uncapped.
    let nb = sb.write(
        "loud.rhai",
        "// %%\nlet s = \"x\";\nfor i in 0..20 { s += s; }\nfor i in 0..100 { print(s); }\n// %%\nprint(\"after\");\n",
    );
    let p = |rel: &str| sb.root().join(rel).to_str().unwrap().to_string();
    let (code, _, err) = notebook(
        &sb,
        &nb,
        &["--html", &p("loud.html"), "--md", &p("loud.md")],
    );
    assert_eq!(code, Some(0), "{err}");
    for f in ["loud.html", "loud.md", "loud.json"] {
        let text = std::fs::read_to_string(sb.root().join(f)).unwrap();
        assert!(text.len() < 3 << 20, "{f} is {} bytes", text.len());
        assert!(
            text.contains("[output truncated: "),
            "{f} does not say it was cut"
        );
        assert!(text.contains("after"), "{f}");
    }
}

/// `anml repl` with `input` piped to it, run from `cwd` with `home` as the
/// home directory: exit code, stdout, stderr.
fn repl(ws: &Path, cwd: &Path, home: &Path, input: &str) -> (Option<i32>, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anml"))
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("ANML_DATA_MIRROR", common::mirror())
        .env("ANML_DATA_DIR", home.join("cache"))
        .arg("--workspace")
        .arg(ws)
        .arg("repl")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (o, e) = text(&out);
    (out.status.code(), o, e)
}

#[test]
fn repl_load_is_bounded_and_files_resolve_in_the_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, cwd, home) = (
        tmp.path().join("ws"),
        tmp.path().join("cwd"),
        tmp.path().join("home"),
    );
    for d in [&ws, &cwd, &home] {
        std::fs::create_dir_all(d).unwrap();
    }
    // 2 MiB of valid script: over the default 1 MiB string limit.
    std::fs::write(ws.join("big.rhai"), "let a = 1;\n".repeat(200_000)).unwrap();
    std::fs::write(ws.join("small.rhai"), "let from_file = 40;\n").unwrap();
    let (code, out, err) = repl(
        &ws,
        &cwd,
        &home,
        ":load big.rhai\n:load small.rhai\nfrom_file + 2\n:save saved.rhai\n:save ~/home.rhai\n:save ~nobody/x.rhai\n:help\n:quit\n",
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains("more than the string limit of 1048576 bytes"),
        "{err}"
    );
    assert!(out.contains("42"), "{out}{err}");
    assert!(ws.join("saved.rhai").is_file(), "{out}{err}");
    assert!(!cwd.join("saved.rhai").exists());
    assert!(home.join("home.rhai").is_file(), "{out}{err}");
    for d in [&cwd, &ws] {
        assert!(
            !d.join("~").exists(),
            "a directory named ~ in {}",
            d.display()
        );
    }
    assert!(err.contains("only `~` and `~/…` are expanded"), "{err}");
    assert!(out.contains("a relative path is in the workspace"), "{out}");
    let saved = std::fs::read_to_string(ws.join("saved.rhai")).unwrap();
    assert!(saved.contains("let from_file = 40;"), "{saved}");
}

/// `anml script` on `source`: exit code, stdout, stderr.
fn script(sb: &Sandbox, source: &str) -> (Option<i32>, String, String) {
    let f = sb.write("s.rhai", source);
    let out = sb.anml().arg("script").arg(&f).output().unwrap();
    let (o, e) = text(&out);
    (out.status.code(), o, e)
}

#[test]
fn sweeps_refuse_phantom_points_and_parameters_the_protocol_replaces() {
    let sb = Sandbox::new();
    for (spec, want) in [
        (
            r#"datasets: ["toy-blobs", "toy-blobs"], detectors: ["hbos"]"#,
            "datasets: `toy-blobs` is listed twice",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["knn", "knn"], params: #{ knn: #{ n_neighbors: [3] } }"#,
            "detectors: `knn` is listed twice",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["hbos"], seeds: [0, 1, 0]"#,
            "seeds: `0` is listed twice",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["knn"], params: #{ n_neighbors: [3], knn: #{ n_neighbors: [5] } }"#,
            "given both",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["hbos"], protocol: "pyod", params: #{ contamination: [0.3] }"#,
            "protocol `pyod` sets",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["hbos"], protocol: "pyod", params: #{ hbos: #{ contamination: 0.3 } }"#,
            "protocol `pyod` sets",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["hbos"], seeds: 0..10000000000"#,
            "at most 100000",
        ),
        (
            r#"datasets: ["toy-blobs"], detectors: ["knn"], seeds: 0..1000, params: #{ knn: #{ n_neighbors: v, leaf_size: v } }"#,
            "more than 1000000 points",
        ),
    ] {
        let (code, out, err) = script(
            &sb,
            &format!(
                "let v = [];\nfor i in 1..=100 {{ v.push(i); }}\nlet r = sweep(#{{ {spec} }});\nprint(r.summary);\n"
            ),
        );
        assert_ne!(code, Some(0), "{spec}: {out}{err}");
        assert!(err.contains(want), "{spec}: expected {want:?} in {err}");
        // refused before anything ran
        assert!(!out.contains("cached"), "{spec}: {out}");
    }
    // --param contamination under pyod is refused too
    let out = sb
        .anml()
        .args([
            "benchmark",
            "--suite",
            "odds",
            "--datasets",
            "cardio",
            "--models",
            "hbos",
            "--protocol",
            "pyod",
            "--param",
            "contamination=0.3",
        ])
        .output()
        .unwrap();
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{o}{e}");
    assert!(e.contains("protocol `pyod` sets"), "{e}");
}

#[test]
fn registry_list_names_a_mismatch_and_verify_reports_a_linked_directory_once() {
    let sb = Sandbox::new();
    let out = sb
        .anml()
        .args([
            "benchmark",
            "--dataset",
            "toy-blobs",
            "--model",
            "hbos",
            "--publish",
            "m",
        ])
        .output()
        .unwrap();
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    let reg = sb.root().join("registry");
    // m/2.0.0 holds a parsable meta.json that names m@1.0.0
    std::fs::create_dir_all(reg.join("m/2.0.0")).unwrap();
    for f in ["meta.json", "model.json"] {
        std::fs::copy(reg.join("m/1.0.0").join(f), reg.join("m/2.0.0").join(f)).unwrap();
    }
    let out = sb.anml().args(["registry", "list"]).output().unwrap();
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(o.contains("mismatch"), "{o}");
    assert!(!o.contains("unreadable"), "{o}");

    std::fs::remove_dir_all(reg.join("m/2.0.0")).unwrap();
    // a link to a directory with many things that are not entries
    let outside = sb.root().join("outside");
    for k in 0..30 {
        std::fs::create_dir_all(outside.join(format!("d{k}/x"))).unwrap();
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, reg.join("linked")).unwrap();
    let out = sb.anml().args(["registry", "verify"]).output().unwrap();
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{o}{e}");
    assert!(o.contains("1 entries verified, 1 problems"), "{o}{e}");
    assert!(e.contains("linked is a symbolic link"), "{e}");
}

#[test]
fn the_notebook_runs_what_anml_script_runs_after_an_unterminated_comment() {
    let sb = Sandbox::new();
    let nb = sb.write(
        "c.rhai",
        "print(\"one\");\n/* unterminated\n// %%\nprint(\"two\");\n",
    );
    let out = sb.anml().arg("script").arg(&nb).output().unwrap();
    let (o, e) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{o}{e}");
    assert!(o.contains("one") && !o.contains("two"), "{o}");
    let html = sb.root().join("c.html");
    let (code, _, err) = notebook(&sb, &nb, &["--html", html.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let record = std::fs::read_to_string(sb.root().join("c.json")).unwrap();
    assert!(record.contains("\"stdout\": \"one\\n\""), "{record}");
    assert!(!record.contains("\"stdout\": \"two"), "{record}");
}
