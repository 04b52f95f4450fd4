//! The Jupyter kernel driven over its real sockets by a Rust client (the
//! protocol crate's client side), so `cargo test` checks the protocol
//! without Python: kernel_info, execute (stream, execute_result,
//! execution_count, state kept across cells), an error with its caret, a
//! sandbox escape refused, completion and inspection, is_complete, a
//! wrongly signed message dropped while the kernel keeps answering, an
//! interrupt of `loop {}` and a clean shutdown (exit 0). The same checks
//! with `jupyter_client` and `nbclient` are in tests/jupyter/.

use jupyter_protocol::{
    CompleteRequest, ConnectionInfo, ExecuteRequest, InspectRequest, InterruptRequest,
    IsCompleteReplyStatus, IsCompleteRequest, JupyterMessage, JupyterMessageContent,
    KernelInfoRequest, MediaType, ReplyStatus, ShutdownRequest, Transport,
};
use jupyter_zmq_client::{
    ClientControlConnection, ClientIoPubConnection, ClientShellConnection,
    create_client_control_connection, create_client_iopub_connection,
    create_client_shell_connection_with_identity, peer_identity_for_session,
};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::time::timeout;

fn free_ports(n: usize) -> Vec<u16> {
    // Held together so they differ; the kernel binds them right after.
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

struct Kernel {
    child: Child,
    info: ConnectionInfo,
    _dir: tempfile::TempDir,
}

impl Drop for Kernel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_kernel() -> Kernel {
    let dir = tempfile::tempdir().unwrap();
    let p = free_ports(5);
    let info = ConnectionInfo {
        transport: Transport::TCP,
        ip: "127.0.0.1".into(),
        shell_port: p[0],
        iopub_port: p[1],
        stdin_port: p[2],
        control_port: p[3],
        hb_port: p[4],
        signature_scheme: "hmac-sha256".into(),
        key: "a-test-key-0123456789".into(),
        kernel_name: Some("anml".into()),
    };
    let file = dir.path().join("kernel.json");
    std::fs::write(&file, serde_json::to_string(&info).unwrap()).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_anml"))
        .arg("--workspace")
        .arg(dir.path())
        // `loop {}` must run until interrupted, not hit the default limit
        .arg("--max-operations=1000000000000")
        .args(["--offline", "jupyter", "--connection-file"])
        .arg(&file)
        .env_remove("ANML_DATA_MIRROR")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Kernel {
        child,
        info,
        _dir: dir,
    }
}

struct Client {
    shell: ClientShellConnection,
    iopub: ClientIoPubConnection,
    control: ClientControlConnection,
}

async fn connect(info: &ConnectionInfo, session: &str) -> Client {
    let identity = peer_identity_for_session(session).unwrap();
    let shell = create_client_shell_connection_with_identity(info, session, identity)
        .await
        .unwrap();
    let iopub = create_client_iopub_connection(info, "", session)
        .await
        .unwrap();
    let control = create_client_control_connection(info, session)
        .await
        .unwrap();
    Client {
        shell,
        iopub,
        control,
    }
}

/// Send `req` on shell; return the reply and every iopub message of it
/// up to `idle`.
async fn request(c: &mut Client, req: JupyterMessage) -> (JupyterMessage, Vec<JupyterMessage>) {
    let id = req.header.msg_id.clone();
    c.shell.send(req).await.unwrap();
    let reply = timeout(Duration::from_secs(60), c.shell.read())
        .await
        .expect("a reply within 60 s")
        .unwrap();
    assert_eq!(reply.parent_header.as_ref().unwrap().msg_id, id);
    let mut io = Vec::new();
    loop {
        let m = timeout(Duration::from_secs(60), c.iopub.read())
            .await
            .expect("iopub within 60 s")
            .unwrap();
        if m.parent_header.as_ref().map(|h| h.msg_id.as_str()) != Some(id.as_str()) {
            continue;
        }
        let idle = matches!(&m.content, JupyterMessageContent::Status(s)
            if s.execution_state == jupyter_protocol::ExecutionState::Idle);
        io.push(m);
        if idle {
            return (reply, io);
        }
    }
}

fn execute(code: &str) -> JupyterMessage {
    ExecuteRequest::new(code.to_string()).into()
}

/// The execute_result among `io`.
fn result_of(io: &[JupyterMessage]) -> jupyter_protocol::ExecuteResult {
    io.iter()
        .find_map(|m| match &m.content {
            JupyterMessageContent::ExecuteResult(r) => Some(r.clone()),
            _ => None,
        })
        .expect("an execute_result")
}

fn plain(data: &jupyter_protocol::Media) -> String {
    data.content
        .iter()
        .find_map(|m| match m {
            MediaType::Plain(t) => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Connect and wait until the kernel answers kernel_info (the iopub
/// subscription is ready once a status message of it arrives).
async fn ready(info: &ConnectionInfo, session: &str) -> Client {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut c = connect(info, session).await;
    loop {
        let req: JupyterMessage = KernelInfoRequest {}.into();
        c.shell.send(req).await.unwrap();
        if let Ok(Ok(m)) = timeout(Duration::from_secs(2), c.shell.read()).await {
            let JupyterMessageContent::KernelInfoReply(k) = m.content else {
                panic!("not a kernel_info_reply: {:?}", m.content)
            };
            assert_eq!(k.protocol_version, "5.3");
            assert_eq!(k.language_info.name, "rhai");
            // drain until iopub shows the subscription works
            if let Ok(Ok(_)) = timeout(Duration::from_secs(2), c.iopub.read()).await {
                return c;
            }
        }
        assert!(Instant::now() < deadline, "the kernel never answered");
    }
}

#[test]
fn the_kernel_speaks_the_protocol() {
    let kernel = start_kernel();
    let info = kernel.info.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut kernel = kernel;
    rt.block_on(async {
        let mut c = ready(&info, "client-session-1").await;

        // execute: print is a stream, the value an execute_result
        let (reply, io) = request(&mut c, execute("let x = 40 + 2; print(\"hi\"); x")).await;
        let JupyterMessageContent::ExecuteReply(r) = &reply.content else {
            panic!("{:?}", reply.content)
        };
        assert_eq!(r.status, ReplyStatus::Ok);
        assert_eq!(r.execution_count.value(), 1);
        let stream: String = io
            .iter()
            .filter_map(|m| match &m.content {
                JupyterMessageContent::StreamContent(s) => Some(s.text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(stream, "hi\n");
        let result = result_of(&io);
        assert_eq!(plain(&result.data), "42");
        assert_eq!(result.execution_count.value(), 1);

        // state persists; a table has text/plain and text/html
        let (_, io) = request(
            &mut c,
            execute("fn twice(v) { v * 2 } let t = table([\"a\"]); t.add_row([twice(x)]); t"),
        )
        .await;
        let result = result_of(&io);
        let html = result.data.content.iter().find_map(|m| match m {
            MediaType::Html(h) => Some(h.clone()),
            _ => None,
        });
        assert_eq!(
            html.as_deref(),
            Some("<table class=\"data\"><thead><tr><th>a</th></tr></thead><tbody><tr><td>84</td></tr></tbody></table>")
        );

        // an error: status error, the traceback has the position and caret
        let (reply, io) = request(&mut c, execute("x + y")).await;
        let JupyterMessageContent::ExecuteReply(r) = &reply.content else {
            panic!()
        };
        assert_eq!(r.status, ReplyStatus::Error);
        let err = io
            .iter()
            .find_map(|m| match &m.content {
                JupyterMessageContent::ErrorOutput(e) => Some(e.clone()),
                _ => None,
            })
            .expect("an error message");
        let tb = err.traceback.join("\n");
        assert!(tb.contains("<cell 3>:1:5"), "{tb}");
        assert!(tb.lines().any(|l| l.trim_end().ends_with('^')), "{tb}");
        assert!(err.evalue.contains("y"), "{}", err.evalue);

        // a sandbox escape is an error reply, and the kernel goes on
        let (reply, io) = request(&mut c, execute("import \"../../../../etc/passwd\" as p;")).await;
        let JupyterMessageContent::ExecuteReply(r) = &reply.content else {
            panic!()
        };
        assert_eq!(r.status, ReplyStatus::Error);
        assert!(
            io.iter()
                .any(|m| matches!(m.content, JupyterMessageContent::ErrorOutput(_)))
        );

        // a cell past the string limit is refused before it compiles
        let huge = format!("let s = \"{}\";", "x".repeat(2 << 20));
        let (reply, _) = request(&mut c, execute(&huge)).await;
        let JupyterMessageContent::ExecuteReply(r) = &reply.content else {
            panic!()
        };
        assert_eq!(r.status, ReplyStatus::Error);
        let evalue = r.error.as_ref().map(|e| e.evalue.clone()).unwrap_or_default();
        assert!(evalue.contains("--max-string-size"), "{evalue}");
        let (reply, _) = request(&mut c, IsCompleteRequest { code: huge }.into()).await;
        let JupyterMessageContent::IsCompleteReply(r) = &reply.content else {
            panic!()
        };
        assert_eq!(r.status, IsCompleteReplyStatus::Invalid);

        // completion and inspection come from the REPL's tables
        let (reply, _) = request(
            &mut c,
            CompleteRequest {
                code: "let y = load_d".into(),
                cursor_pos: 14,
            }
            .into(),
        )
        .await;
        let JupyterMessageContent::CompleteReply(r) = &reply.content else {
            panic!()
        };
        assert!(r.matches.contains(&"load_dataset".to_string()), "{:?}", r.matches);
        assert_eq!((r.cursor_start, r.cursor_end), (8, 14));
        let (reply, _) = request(
            &mut c,
            InspectRequest {
                code: "load_dataset(\"cardio\")".into(),
                cursor_pos: 4,
                detail_level: Default::default(),
            }
            .into(),
        )
        .await;
        let JupyterMessageContent::InspectReply(r) = &reply.content else {
            panic!()
        };
        assert!(r.found);
        assert!(plain(&r.data).contains("load_dataset(name: &str)"), "{}", plain(&r.data));
        for (code, want) in [
            ("fn f(x) {", IsCompleteReplyStatus::Incomplete),
            ("let a = 1;", IsCompleteReplyStatus::Complete),
            ("let a = ;", IsCompleteReplyStatus::Invalid),
        ] {
            let (reply, _) = request(
                &mut c,
                IsCompleteRequest {
                    code: code.into(),
                }
                .into(),
            )
            .await;
            let JupyterMessageContent::IsCompleteReply(r) = &reply.content else {
                panic!()
            };
            assert_eq!(r.status, want, "{code}");
        }

        // a wrongly signed request is dropped unanswered ...
        let mut forged_info = info.clone();
        forged_info.key = "not-the-key".into();
        let mut forger = connect(&forged_info, "forger-session").await;
        forger.shell.send(execute("x = 0; x")).await.unwrap();
        assert!(
            timeout(Duration::from_secs(3), forger.shell.read())
                .await
                .is_err(),
            "a forged request was answered"
        );
        // ... and ran nothing: x is still 42
        let (_, io) = request(&mut c, execute("x")).await;
        assert!(io.iter().any(|m| matches!(&m.content,
            JupyterMessageContent::ExecuteResult(r) if plain(&r.data) == "42")));

        // an interrupt stops `loop {}` and the kernel keeps answering
        let looping = execute("let n = 0; loop { n += 1; }");
        c.shell.send(looping).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let interrupt: JupyterMessage = InterruptRequest {}.into();
        c.control.send(interrupt).await.unwrap();
        let ir = timeout(Duration::from_secs(10), c.control.read())
            .await
            .expect("interrupt_reply")
            .unwrap();
        assert!(matches!(ir.content, JupyterMessageContent::InterruptReply(_)));
        let reply = timeout(Duration::from_secs(20), c.shell.read())
            .await
            .expect("the loop stops")
            .unwrap();
        let JupyterMessageContent::ExecuteReply(r) = &reply.content else {
            panic!("{:?}", reply.content)
        };
        assert_eq!(r.status, ReplyStatus::Error);
        // stopped by the interrupt, not by a sandbox limit
        let evalue = r.error.as_ref().map(|e| e.evalue.clone()).unwrap_or_default();
        assert!(evalue.contains("interrupted"), "{evalue}");
        let (_, io) = request(&mut c, execute("n > 0")).await;
        assert!(io.iter().any(|m| matches!(&m.content,
            JupyterMessageContent::ExecuteResult(r) if plain(&r.data) == "true")));

        // shutdown: a reply, then the process exits 0
        let shutdown: JupyterMessage = ShutdownRequest { restart: false }.into();
        c.control.send(shutdown).await.unwrap();
        let sr = timeout(Duration::from_secs(10), c.control.read())
            .await
            .expect("shutdown_reply")
            .unwrap();
        assert!(matches!(sr.content, JupyterMessageContent::ShutdownReply(_)));
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = kernel.child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "the kernel did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bad_connection_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kernel.json");
    std::fs::write(&file, "{\"not\": \"a connection file\"}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_anml"))
        .args(["jupyter", "--connection-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a Jupyter connection file"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_anml"))
        .args(["jupyter", "--connection-file", "/nonexistent/kernel.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // a device that never ends (and reports size 0) is refused, not read
    let out = Command::new(env!("CARGO_BIN_EXE_anml"))
        .args(["jupyter", "--connection-file", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a regular file"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_anml"))
        .arg("jupyter")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("give --connection-file FILE"), "{err}");
}

#[test]
fn install_writes_a_kernelspec_with_logos() {
    let dir = tempfile::tempdir().unwrap();
    // (the location variables would be recorded as flags too)
    let out = Command::new(env!("CARGO_BIN_EXE_anml"))
        .env_remove("ANML_DATA_MIRROR")
        .env_remove("ANML_DATA_DIR")
        .env_remove("ANML_WORKSPACE")
        .args(["--max-operations=123456", "jupyter", "install", "--prefix"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spec = dir.path().join("share/jupyter/kernels/anml");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec.join("kernel.json")).unwrap()).unwrap();
    let argv: Vec<&str> = json["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(std::path::Path::new(argv[0]).is_absolute());
    assert_eq!(
        &argv[1..],
        [
            "--max-operations=123456",
            "jupyter",
            "--connection-file",
            "{connection_file}"
        ]
    );
    assert_eq!(json["language"], "rhai");
    assert_eq!(json["interrupt_mode"], "message");
    for logo in ["logo-32x32.png", "logo-64x64.png"] {
        let bytes = std::fs::read(spec.join(logo)).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }
    // --user and --prefix together are refused
    let out = Command::new(env!("CARGO_BIN_EXE_anml"))
        .args(["jupyter", "install", "--user", "--prefix", "/tmp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
