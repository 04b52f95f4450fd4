//! The kernel's engine thread: one sandboxed [`Host`] for the whole kernel
//! (the limits, workspace gate, run store and access log of `anml
//! script`), its variables and functions kept across cells as in the
//! REPL. It takes requests in order and answers each with the messages
//! Jupyter expects (busy, outputs, the reply, idle), which the socket
//! thread sends on.

use crate::cli::repl::{complete_at, doc_text, is_incomplete, names_of};
use crate::notebook::execute::{MAX_CELL_OUTPUT, outputs_of, truncation_note};
use crate::notebook::mime;
use crate::script::docs::{FnDoc, function_docs};
use crate::script::{Host, ScriptError};
use jupyter_protocol::{
    CompleteReply, DisplayData, ErrorOutput, ExecuteInput, ExecuteReply, ExecuteResult,
    ExecutionCount, InspectReply, IsCompleteReply, IsCompleteReplyStatus, JupyterMessage,
    JupyterMessageContent, Media, ReplyError, ReplyStatus, Status, StreamContent, Transient,
    UpdateDisplayData,
};
use rhai::{AST, Scope};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Where a message goes.
#[derive(Debug)]
pub enum Outgoing {
    IoPub(JupyterMessage),
    Shell(JupyterMessage),
}

/// What the engine thread is doing now: the request its outputs belong
/// to, and how much it printed (capped like a notebook cell).
#[derive(Default)]
pub struct Current {
    parent: Option<JupyterMessage>,
    printed: usize,
    dropped: u64,
    /// Sweeps shown so far in this cell (names their display ids).
    sweeps: usize,
    /// The open sweep display: its id, points done, points planned and
    /// when it was last updated.
    sweep: Option<(String, usize, usize, Instant)>,
}

/// The state shared by the `print` sink, the sweep observer and the
/// engine thread.
#[derive(Clone)]
pub struct Outputs {
    tx: UnboundedSender<Outgoing>,
    current: Arc<Mutex<Current>>,
}

impl Outputs {
    pub fn new(tx: UnboundedSender<Outgoing>) -> Self {
        Self {
            tx,
            current: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, m: Outgoing) {
        // The socket thread is gone only when the kernel shuts down.
        let _ = self.tx.send(m);
    }

    fn iopub(&self, parent: &JupyterMessage, content: impl Into<JupyterMessageContent>) {
        self.send(Outgoing::IoPub(JupyterMessage::new(content, Some(parent))));
    }

    /// `print` text: a `stream` message, up to [`MAX_CELL_OUTPUT`] bytes a
    /// cell, then one note of how much was dropped at the end.
    pub fn print(&self, text: &str) {
        let mut c = self.lock();
        let Some(parent) = c.parent.clone() else {
            return;
        };
        let line = format!("{text}\n");
        let room = MAX_CELL_OUTPUT.saturating_sub(c.printed);
        if line.len() > room {
            let mut cut = room;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            c.dropped += (line.len() - cut) as u64;
            c.printed = MAX_CELL_OUTPUT;
            if cut > 0 {
                drop(c);
                self.iopub(&parent, StreamContent::stdout(&line[..cut]));
            }
            return;
        }
        c.printed += line.len();
        drop(c);
        self.iopub(&parent, StreamContent::stdout(&line));
    }

    /// A sweep's progress: a `display_data` with a display id when it is
    /// planned, then `update_display_data` on that id as points finish (at
    /// most every 100 ms, and always for the last point).
    pub fn sweep_event(&self, e: crate::bench::SweepEvent<'_>) {
        let mut c = self.lock();
        let Some(parent) = c.parent.clone() else {
            return;
        };
        match e {
            crate::bench::SweepEvent::Planned { points, .. } => {
                c.sweeps += 1;
                let id = format!("{}-sweep-{}", parent.header.msg_id, c.sweeps);
                c.sweep = Some((id.clone(), 0, points, Instant::now()));
                drop(c);
                let mut d = DisplayData::new(progress_media(0, points));
                d.transient = Some(Transient {
                    display_id: Some(id),
                });
                self.iopub(&parent, d);
            }
            crate::bench::SweepEvent::Done(..) => {
                let Some((id, done, total, last)) = c.sweep.as_mut() else {
                    return;
                };
                *done += 1;
                let finished = *done >= *total;
                if !finished && last.elapsed() < Duration::from_millis(100) {
                    return;
                }
                *last = Instant::now();
                let (id, done, total) = (id.clone(), *done, *total);
                drop(c);
                self.iopub(
                    &parent,
                    UpdateDisplayData::new(progress_media(done, total), &id),
                );
            }
        }
    }

    fn begin(&self, parent: &JupyterMessage) {
        *self.lock() = Current {
            parent: Some(parent.clone()),
            ..Current::default()
        };
    }

    /// Ends the request; the truncation note if printing was cut.
    fn end(&self) {
        let mut c = self.lock();
        let dropped = c.dropped;
        let parent = c.parent.take();
        c.sweep = None;
        drop(c);
        if let Some(p) = parent
            && dropped > 0
        {
            self.iopub(&p, StreamContent::stdout(&truncation_note(dropped)));
        }
    }
}

/// The progress display of a sweep: a line of text and an HTML bar.
fn progress_media(done: usize, total: usize) -> Media {
    let pct = if total == 0 {
        100.0
    } else {
        100.0 * done as f64 / total as f64
    };
    let text = format!("sweep: {done}/{total} runs");
    let html = format!(
        "<div class=\"anml-progress\"><progress value=\"{done}\" max=\"{total}\"></progress> \
         {done}/{total} runs ({pct:.0}%)</div>"
    );
    let mut b = mime::Bundle::new();
    b.insert("text/plain".into(), text.into());
    b.insert("text/html".into(), html.into());
    media(b)
}

/// A MIME bundle as the protocol crate's `Media`.
fn media(bundle: mime::Bundle) -> Media {
    serde_json::from_value(serde_json::Value::Object(bundle)).unwrap_or_default()
}

/// A request for the engine thread, with the message it answers.
pub enum Request {
    Execute(JupyterMessage),
    Complete(JupyterMessage),
    Inspect(JupyterMessage),
    IsComplete(JupyterMessage),
}

/// The kernel's session on the engine thread.
pub struct Session {
    host: Host,
    scope: Scope<'static>,
    functions: AST,
    docs: Vec<FnDoc>,
    count: usize,
    out: Outputs,
}

impl Session {
    pub fn new(host: Host, out: Outputs) -> Self {
        let docs = function_docs(host.engine());
        Self {
            host,
            scope: Scope::new(),
            functions: AST::empty(),
            docs,
            count: 0,
            out,
        }
    }

    /// Answer `req`: busy, what it produces, its reply, idle.
    pub fn handle(&mut self, req: Request) {
        let parent = match &req {
            Request::Execute(m)
            | Request::Complete(m)
            | Request::Inspect(m)
            | Request::IsComplete(m) => m.clone(),
        };
        self.out.iopub(&parent, Status::busy());
        let reply = match req {
            Request::Execute(m) => self.execute(&m),
            Request::Complete(m) => self.complete(&m),
            Request::Inspect(m) => self.inspect(&m),
            Request::IsComplete(m) => self.is_complete(&m),
        };
        if let Some(r) = reply {
            self.out.send(Outgoing::Shell(r));
        }
        self.out.iopub(&parent, Status::idle());
    }

    fn execute(&mut self, m: &JupyterMessage) -> Option<JupyterMessage> {
        let JupyterMessageContent::ExecuteRequest(req) = &m.content else {
            return None;
        };
        let silent = req.silent;
        if !silent {
            self.count += 1;
        }
        let count = ExecutionCount::new(self.count);
        if !silent {
            self.out.iopub(
                m,
                ExecuteInput {
                    code: req.code.clone(),
                    execution_count: count,
                },
            );
        }
        self.out.begin(m);
        let name = format!("<cell {}>", self.count);
        let result = match self.too_long(&req.code) {
            Some(e) => Err(e),
            None => self
                .host
                .eval_repl(&mut self.scope, &mut self.functions, &name, &req.code),
        };
        // A Ctrl-C or interrupt_request that arrived after the cell ended
        // must not stop the next one.
        self.host.interrupt().reset();
        let outputs = result.and_then(|v| outputs_of(&v).map_err(ScriptError::Failed));
        let outputs = outputs.and_then(|outs| {
            outs.iter()
                .map(mime::bundle)
                .collect::<Result<Vec<_>, _>>()
                .map_err(ScriptError::Failed)
        });
        self.out.end();
        let reply = match outputs {
            Ok(bundles) => {
                let last = bundles.len().saturating_sub(1);
                for (i, b) in bundles.into_iter().enumerate() {
                    if silent {
                        break;
                    }
                    if i == last {
                        self.out.iopub(
                            m,
                            ExecuteResult {
                                execution_count: count,
                                data: media(b),
                                metadata: Default::default(),
                                transient: None,
                            },
                        );
                    } else {
                        self.out.iopub(m, DisplayData::new(media(b)));
                    }
                }
                ExecuteReply {
                    status: ReplyStatus::Ok,
                    execution_count: count,
                    payload: vec![],
                    user_expressions: None,
                    error: None,
                }
            }
            Err(e) => {
                let err = error_output(&e);
                self.out.iopub(m, err.clone());
                ExecuteReply {
                    status: ReplyStatus::Error,
                    execution_count: count,
                    payload: vec![],
                    user_expressions: None,
                    error: Some(Box::new(ReplyError {
                        ename: err.ename,
                        evalue: err.evalue,
                        traceback: err.traceback,
                    })),
                }
            }
        };
        Some(reply.as_child_of(m))
    }

    fn complete(&mut self, m: &JupyterMessage) -> Option<JupyterMessage> {
        let JupyterMessageContent::CompleteRequest(req) = &m.content else {
            return None;
        };
        let names = names_of(&self.host, &self.docs, &self.scope);
        let (line, line_start, pos) = line_at(&req.code, req.cursor_pos);
        let (start, pairs) = complete_at(&names, line, pos);
        let reply = CompleteReply {
            matches: pairs.into_iter().map(|p| p.replacement).collect(),
            cursor_start: char_offset(&req.code, line_start + start),
            cursor_end: char_offset(&req.code, line_start + pos),
            metadata: Default::default(),
            status: ReplyStatus::Ok,
            error: None,
        };
        Some(reply.as_child_of(m))
    }

    fn inspect(&mut self, m: &JupyterMessage) -> Option<JupyterMessage> {
        let JupyterMessageContent::InspectRequest(req) = &m.content else {
            return None;
        };
        let word = word_at(&req.code, req.cursor_pos);
        let text = doc_text(&self.docs, word).or_else(|| {
            // a variable: its type and value
            self.scope.get_value::<rhai::Dynamic>(word).map(|v| {
                format!(
                    "{word}: {}\n\n{}",
                    self.host.engine().map_type_name(v.type_name()),
                    crate::script::types::display_value(&v)
                )
            })
        });
        let mut b = mime::Bundle::new();
        if let Some(t) = &text {
            b.insert("text/plain".into(), t.clone().into());
        }
        let reply = InspectReply {
            found: text.is_some(),
            data: media(b),
            metadata: Default::default(),
            status: ReplyStatus::Ok,
            error: None,
        };
        Some(reply.as_child_of(m))
    }

    /// A cell longer than the string limit is refused before it is
    /// compiled, as `anml script` and `:load` refuse such a file.
    fn too_long(&self, code: &str) -> Option<ScriptError> {
        let limit = self.host.context().limits.max_string_size;
        (code.len() > limit).then(|| {
            ScriptError::Failed(format!(
                "error: the cell is {} bytes, more than the string limit of {limit} bytes (--max-string-size)\n",
                code.len()
            ))
        })
    }

    fn is_complete(&mut self, m: &JupyterMessage) -> Option<JupyterMessage> {
        let JupyterMessageContent::IsCompleteRequest(req) = &m.content else {
            return None;
        };
        let status = if self.too_long(&req.code).is_some() {
            IsCompleteReplyStatus::Invalid
        } else if is_incomplete(self.host.engine(), &req.code) {
            IsCompleteReplyStatus::Incomplete
        } else if self.host.engine().compile(&req.code).is_err() {
            IsCompleteReplyStatus::Invalid
        } else {
            IsCompleteReplyStatus::Complete
        };
        let indent = if status == IsCompleteReplyStatus::Incomplete {
            "    ".to_string()
        } else {
            String::new()
        };
        Some(IsCompleteReply { status, indent }.as_child_of(m))
    }
}

/// A failed cell as an `error` message: the rendered error (script name,
/// line and column, the source line with a caret under the position, the
/// cause chain) is the traceback, its first line the value.
pub fn error_output(e: &ScriptError) -> ErrorOutput {
    let text = e.to_string();
    let ename = match e {
        ScriptError::Interrupted(_) => "Interrupted",
        _ => "ScriptError",
    };
    let evalue = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    ErrorOutput {
        ename: ename.into(),
        evalue,
        traceback: text.lines().map(str::to_string).collect(),
    }
}

/// Jupyter counts cursor positions in Unicode code points; Rust slices in
/// bytes. The byte offset of code point `cursor` (clamped to the end).
fn byte_offset(code: &str, cursor: usize) -> usize {
    code.char_indices()
        .nth(cursor)
        .map_or(code.len(), |(i, _)| i)
}

/// The code-point offset of byte `byte`.
fn char_offset(code: &str, byte: usize) -> usize {
    code[..byte.min(code.len())].chars().count()
}

/// The line holding the cursor, the byte where it starts, and the
/// cursor's byte offset in it.
fn line_at(code: &str, cursor: usize) -> (&str, usize, usize) {
    let at = byte_offset(code, cursor);
    let start = code[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = code[at..].find('\n').map_or(code.len(), |i| at + i);
    (&code[start..end], start, at - start)
}

/// The identifier under (or just before) the cursor.
fn word_at(code: &str, cursor: usize) -> &str {
    let at = byte_offset(code, cursor);
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = code[..at].rfind(|c: char| !is_word(c)).map_or(0, |i| {
        i + code[i..].chars().next().map_or(1, char::len_utf8)
    });
    let end = code[at..]
        .find(|c: char| !is_word(c))
        .map_or(code.len(), |i| at + i);
    &code[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_positions_are_code_points() {
        let code = "let é = 1;\nload_d";
        let (line, start, pos) = line_at(code, code.chars().count());
        assert_eq!((line, pos), ("load_d", 6));
        assert_eq!(char_offset(code, start), 11);
        assert_eq!(word_at("x = load_dataset(\"c\")", 8), "load_dataset");
        assert_eq!(word_at("roc_auc", 7), "roc_auc");
        assert_eq!(word_at("é(roc", 5), "roc");
        assert_eq!(word_at("", 3), "");
    }

    #[test]
    fn an_error_keeps_its_caret() {
        let e = ScriptError::Failed(
            "error: boom\n --> <cell 1>:1:5\n  |\n1 | x + y\n  |     ^\n".into(),
        );
        let o = error_output(&e);
        assert_eq!(o.ename, "ScriptError");
        assert_eq!(o.evalue, "boom");
        assert!(o.traceback.iter().any(|l| l.trim_end().ends_with('^')));
    }
}
