//! The kernel's socket side: the five ZeroMQ channels of a Jupyter
//! connection file on a current-thread tokio runtime, every message signed
//! and checked with HMAC-SHA256 (a message whose signature does not verify
//! is dropped unanswered). Shell requests that need the engine go to the
//! engine thread in order; `kernel_info`, `comm_info`, `history`, interrupt
//! and shutdown are answered here, so the kernel answers them while a cell
//! runs.

use super::session::{Outgoing, Outputs, Request, Session};
use super::{JupyterError, kernel_info};
use crate::script::{Host, Interrupt};
use jupyter_protocol::{
    CommInfoReply, ConnectionInfo, HistoryReply, InterruptReply, IoPubWelcome, JupyterMessage,
    JupyterMessageContent, ReplyStatus, ShutdownReply, Status,
};
use jupyter_zmq_client::{
    RuntimeError, SubscriptionEvent, create_kernel_control_connection,
    create_kernel_heartbeat_connection, create_kernel_iopub_xpub_connection,
    create_kernel_shell_connection, create_kernel_stdin_connection,
};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// What a reader task passes to the loop.
enum Incoming {
    Shell(JupyterMessage),
    Control(JupyterMessage),
}

/// Whether a read error ends the channel (the socket failed) or only loses
/// that message (unsigned, wrongly signed, malformed, of an unknown type).
fn fatal(e: &RuntimeError) -> bool {
    matches!(e, RuntimeError::ZmqError(_) | RuntimeError::IoError(_))
}

/// Read `reader` until its socket fails, passing each good message on.
async fn read_loop(
    mut reader: jupyter_zmq_client::RouterRecvConnection,
    tx: UnboundedSender<Incoming>,
    wrap: fn(JupyterMessage) -> Incoming,
    channel: &'static str,
) {
    loop {
        match reader.read().await {
            Ok(m) => {
                if tx.send(wrap(m)).is_err() {
                    return;
                }
            }
            Err(e) if fatal(&e) => {
                eprintln!("anml kernel: {channel} channel closed: {e}");
                return;
            }
            // Never answered: a client that cannot sign is not one.
            Err(e) => eprintln!("anml kernel: dropped a {channel} message: {e}"),
        }
    }
}

/// Serve the connection `info` until a `shutdown_request` (or the
/// sockets fail). `make_host` builds the session's host on the engine
/// thread, given where its `print` output goes.
pub fn serve(
    info: ConnectionInfo,
    interrupt: Interrupt,
    make_host: impl FnOnce(Outputs) -> Result<Host, crate::error::Error> + Send + 'static,
) -> Result<(), JupyterError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| JupyterError::Runtime(e.to_string()))?;
    rt.block_on(serve_async(info, interrupt, make_host))
}

async fn serve_async(
    info: ConnectionInfo,
    interrupt: Interrupt,
    make_host: impl FnOnce(Outputs) -> Result<Host, crate::error::Error> + Send + 'static,
) -> Result<(), JupyterError> {
    if info.signature_scheme != "hmac-sha256" && !info.key.is_empty() {
        return Err(JupyterError::Connection(format!(
            "signature scheme `{}` is not supported (only hmac-sha256)",
            info.signature_scheme
        )));
    }
    let session_id = uuid_like(&info);
    let net = |e: RuntimeError| JupyterError::Bind(e.to_string());
    let mut heartbeat = create_kernel_heartbeat_connection(&info)
        .await
        .map_err(net)?;
    let (mut shell_out, shell_in) = create_kernel_shell_connection(&info, &session_id)
        .await
        .map_err(net)?
        .split();
    let (mut control_out, control_in) = create_kernel_control_connection(&info, &session_id)
        .await
        .map_err(net)?
        .split();
    // Bound so the frontend can connect; anml asks for no input.
    let _stdin = create_kernel_stdin_connection(&info, &session_id)
        .await
        .map_err(net)?;
    let mut iopub = create_kernel_iopub_xpub_connection(&info, &session_id)
        .await
        .map_err(net)?;

    tokio::spawn(async move { while heartbeat.single_heartbeat().await.is_ok() {} });
    let (in_tx, mut in_rx) = unbounded_channel();
    tokio::spawn(read_loop(shell_in, in_tx.clone(), Incoming::Shell, "shell"));
    tokio::spawn(read_loop(control_in, in_tx, Incoming::Control, "control"));

    // The engine thread: Rhai values are not Send, so the host lives and
    // dies there.
    let (out_tx, mut out_rx) = unbounded_channel::<Outgoing>();
    let (req_tx, req_rx) = mpsc::channel::<Request>();
    let outputs = Outputs::new(out_tx.clone());
    let engine_interrupt = interrupt.clone();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    // Not joined (see shutdown): the handle is dropped.
    std::thread::Builder::new()
        .name("anml-kernel-engine".into())
        .spawn(move || {
            let host = match make_host(outputs.clone()) {
                Ok(h) => {
                    let _ = ready_tx.send(Ok(()));
                    h
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let mut session = Session::new(host, outputs);
            loop {
                match req_rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(req) => session.handle(req),
                    // An interrupt (or SIGINT) while no cell runs stops
                    // nothing; clear it so it cannot stop the next cell.
                    Err(mpsc::RecvTimeoutError::Timeout) => engine_interrupt.reset(),
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .map_err(|e| JupyterError::Runtime(e.to_string()))?;
    match ready_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(JupyterError::Host(Box::new(e))),
        Err(_) => return Err(JupyterError::Runtime("the engine thread ended".into())),
    }
    eprintln!(
        "anml kernel {} listening on {} (shell {}, iopub {}, control {}, hb {})",
        crate::VERSION,
        info.ip,
        info.shell_port,
        info.iopub_port,
        info.control_port,
        info.hb_port
    );

    loop {
        tokio::select! {
            Some(incoming) = in_rx.recv() => match incoming {
                Incoming::Shell(m) => {
                    let req = match &m.content {
                        JupyterMessageContent::ExecuteRequest(_) => Some(Request::Execute(m)),
                        JupyterMessageContent::CompleteRequest(_) => Some(Request::Complete(m)),
                        JupyterMessageContent::InspectRequest(_) => Some(Request::Inspect(m)),
                        JupyterMessageContent::IsCompleteRequest(_) => Some(Request::IsComplete(m)),
                        _ => {
                            if let Some(reply) = quick_reply(&m) {
                                let _ = iopub.send(Status::busy().as_child_of(&m)).await;
                                let _ = shell_out.send(reply).await;
                                let _ = iopub.send(Status::idle().as_child_of(&m)).await;
                            }
                            None
                        }
                    };
                    if let Some(r) = req && req_tx.send(r).is_err() {
                        return Err(JupyterError::Runtime("the engine thread ended".into()));
                    }
                }
                Incoming::Control(m) => match &m.content {
                    JupyterMessageContent::InterruptRequest(_) => {
                        interrupt.trigger();
                        let _ = control_out.send(InterruptReply::new().as_child_of(&m)).await;
                    }
                    JupyterMessageContent::ShutdownRequest(req) => {
                        interrupt.trigger();
                        let reply = ShutdownReply {
                            restart: req.restart,
                            status: ReplyStatus::Ok,
                            error: None,
                        };
                        let _ = control_out.send(reply.as_child_of(&m)).await;
                        // Let the reply leave before the sockets close.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        // The engine thread is not joined: a cell that polls
                        // the interrupt flag ends now, one deep in native
                        // code ends with the process.
                        drop(req_tx);
                        return Ok(());
                    }
                    _ => {
                        if let Some(reply) = quick_reply(&m) {
                            let _ = control_out.send(reply).await;
                        }
                    }
                },
            },
            Some(out) = out_rx.recv() => match out {
                Outgoing::IoPub(m) => { let _ = iopub.send(m).await; }
                Outgoing::Shell(m) => { let _ = shell_out.send(m).await; }
            },
            sub = iopub.recv_subscription() => {
                if let Ok(SubscriptionEvent::Subscribe(topic)) = sub {
                    let _ = iopub.send(IoPubWelcome::new(topic).into()).await;
                }
            }
        }
    }
}

/// Replies that need no engine: kernel info, comms (anml opens none),
/// history (kept by the frontend).
fn quick_reply(m: &JupyterMessage) -> Option<JupyterMessage> {
    match &m.content {
        JupyterMessageContent::KernelInfoRequest(_) => Some(kernel_info().as_child_of(m)),
        JupyterMessageContent::CommInfoRequest(_) => Some(
            CommInfoReply {
                status: ReplyStatus::Ok,
                comms: Default::default(),
                error: None,
            }
            .as_child_of(m),
        ),
        JupyterMessageContent::HistoryRequest(_) => Some(
            HistoryReply {
                history: vec![],
                status: ReplyStatus::Ok,
                error: None,
            }
            .as_child_of(m),
        ),
        _ => None,
    }
}

/// The kernel's session id: derived from the connection's key and ports,
/// so it needs no random source (a frontend only needs it to differ
/// between kernels).
fn uuid_like(info: &ConnectionInfo) -> String {
    let digest = crate::hashing::sha256_hex(
        format!(
            "{}:{}:{}:{}",
            info.key, info.shell_port, info.iopub_port, info.control_port
        )
        .as_bytes(),
    );
    format!(
        "{}-{}-{}-{}-{}",
        &digest[0..8],
        &digest[8..12],
        &digest[12..16],
        &digest[16..20],
        &digest[20..32]
    )
}
