//! §3: error bodies, request framing errors, Expect, version (E-1, E-4, E-7, E-11).

use super::{with_close, with_fields, Judgement, ProbeCheck, Scope, Section, Severity};
use crate::client::CloseState;
use crate::probe::{Exchange, Probe, Request};

fn raw(bytes: String, summary: String, method: &str) -> Probe {
    Probe::Raw {
        bytes: bytes.into_bytes(),
        summary,
        method: method.to_string(),
    }
}

fn closed(ex: &Exchange) -> bool {
    matches!(ex.close, Some(CloseState::Closed))
}

pub(super) fn checks() -> Vec<ProbeCheck> {
    vec![
        ProbeCheck {
            id: "E-1",
            name: "problem-json",
            section: Section::Framing,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: true,
            watch_close: false,
            expected: "an error asked for as application/problem+json comes as RFC 9457 JSON whose status matches",
            build: |ctx, p| Probe::One(Request::new("FOO", p, ctx.host_header()).header("Accept", "application/problem+json")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                if r.status < 400 {
                    return Judgement::skip(format!("FOO got {}, not an error", r.status));
                }
                if r.media_type().as_deref() != Some("application/problem+json") {
                    return Judgement::fail(with_fields(r, &["Content-Type"]));
                }
                let status = serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v.get("status").and_then(serde_json::Value::as_u64));
                match status {
                    Some(s) if s == u64::from(r.status) => Judgement::pass(format!("{}, JSON status {s}", r.status_line())),
                    Some(s) => Judgement::fail(format!("{}, but JSON status {s}", r.status_line())),
                    None => Judgement::fail(format!("{}: body is not problem JSON with a status member", r.status_line())),
                }
            },
        },
        ProbeCheck {
            id: "E-4",
            name: "invalid-content-length",
            section: Section::Framing,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: true,
            expected: "400, then the connection closed (RFC 9112 §6.3)",
            build: |ctx, p| {
                raw(
                    format!("GET {p} HTTP/1.1\r\nHost: {}\r\nContent-Length: abc\r\n\r\n", ctx.host_header()),
                    format!("GET {p} (Content-Length: abc)"),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 400 && closed(ex), with_close(ex, r))
            },
        },
        ProbeCheck {
            id: "E-4",
            name: "unknown-transfer-coding",
            section: Section::Framing,
            severity: Severity::Should,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "501 (a transfer coding the server does not understand, whatever the method)",
            build: |ctx, p| {
                raw(
                    format!("GET {p} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", ctx.host_header()),
                    format!("GET {p} (Transfer-Encoding: foo, chunked)"),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 501, r.status_line())
            },
        },
        ProbeCheck {
            id: "E-4",
            name: "transfer-coding-not-chunked-last",
            section: Section::Framing,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: true,
            expected: "400, then the connection closed (Transfer-Encoding must end in chunked)",
            build: |ctx, p| {
                raw(
                    format!("GET {p} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: gzip\r\n\r\n", ctx.host_header()),
                    format!("GET {p} (Transfer-Encoding: gzip)"),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                if r.status == 400 && closed(ex) {
                    Judgement::pass(with_close(ex, r))
                } else if r.status == 501 && closed(ex) {
                    // 9112 §6.1 asks for 400; 501 ("coding not understood") is a
                    // common reading when the coding is unknown as well.
                    Judgement::fail(format!("{} (RFC 9112 §6.1 says 400)", with_close(ex, r))).at(Severity::Should)
                } else {
                    Judgement::fail(with_close(ex, r))
                }
            },
        },
        ProbeCheck {
            id: "E-4",
            name: "content-length-and-chunked",
            section: Section::Framing,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: true,
            expected: "the connection closed after the answer (MUST); [PD] the answer is 400",
            build: |ctx, p| {
                raw(
                    format!(
                        "GET {p} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                        ctx.host_header()
                    ),
                    format!("GET {p} (Transfer-Encoding: chunked, Content-Length: 5)"),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                if !closed(ex) {
                    Judgement::fail(with_close(ex, r))
                } else if r.status != 400 {
                    Judgement::fail(with_close(ex, r)).at(Severity::ProjectDefault)
                } else {
                    Judgement::pass(with_close(ex, r))
                }
            },
        },
        ProbeCheck {
            id: "E-7",
            name: "unknown-expectation",
            section: Section::Framing,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: true,
            watch_close: false,
            expected: "417 Expectation Failed (RFC 9110 says MAY; the digest always sends it)",
            build: |ctx, p| Probe::One(Request::new("GET", p, ctx.host_header()).header("Expect", "foo")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 417, r.status_line())
            },
        },
        ProbeCheck {
            id: "E-7",
            name: "final-status-without-100",
            section: Section::Framing,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "the final status (here 501) at once, without 100 Continue and without waiting for the content",
            build: |ctx, p| {
                Probe::ExpectContinue(Request::new("FOO", p, ctx.host_header()).header("Expect", "100-continue").body(b"0123456789"))
            },
            judge: |_, ex| {
                let Some(a) = ex.answers.first() else { return Judgement::error("no response") };
                let r = &a.response;
                if ex.silent_after_headers {
                    return Judgement::fail(format!(
                        "nothing until the content was sent, then {} (the server waited for the content)",
                        r.status_line()
                    ))
                    .at(Severity::Must);
                }
                if let Some(i) = a.interim.first() {
                    // RFC 9110 §10.1.1 allows either an immediate final status or an
                    // immediate 100; the digest (E-7) asks for the final status.
                    return Judgement::fail(format!("{} first, then {} after the content", i.status_line(), r.status_line()));
                }
                Judgement::pass(format!("{} at once, no 100", r.status_line()))
            },
        },
        ProbeCheck {
            id: "E-11",
            name: "unsupported-major-version",
            section: Section::Framing,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "505 for `HTTP/2.0` on an HTTP/1 text request line",
            build: |ctx, p| {
                raw(
                    format!("GET {p} HTTP/2.0\r\nHost: {}\r\n\r\n", ctx.host_header()),
                    format!("GET {p} HTTP/2.0"),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 505, r.status_line())
            },
        },
    ]
}
