//! §1: request-line grammar, case, lengths, target forms and Host (M-1 … M-6).

use super::{with_close, Ctx, Judgement, ProbeCheck, Scope, Section, Severity};
use crate::client::CloseState;
use crate::probe::{Exchange, Probe, Request};

fn raw(bytes: Vec<u8>, summary: String, method: &str) -> Probe {
    Probe::Raw {
        bytes,
        summary,
        method: method.to_string(),
    }
}

/// 400 and a close: the answer to a request line that must not be parsed further.
fn judge_400_close(ex: &Exchange) -> Judgement {
    let Some(r) = ex.first() else {
        return Judgement::error("no response");
    };
    let closed = matches!(ex.close, Some(CloseState::Closed));
    match (r.status, closed) {
        (400, true) => Judgement::pass(with_close(ex, r)),
        (400, false) => Judgement::fail(with_close(ex, r)),
        _ => Judgement::fail(with_close(ex, r)),
    }
}

/// Same status as the plain GET of the path.
fn same_as_baseline(ctx: &Ctx, ex: &Exchange, path: &str) -> Judgement {
    let Some(r) = ex.first() else {
        return Judgement::error("no response");
    };
    match ctx.baseline.get(path) {
        Some(base) if base.status == r.status => {
            Judgement::pass(format!("{} (same as a plain GET)", r.status_line()))
        }
        Some(base) => Judgement::fail(format!(
            "{}, but a plain GET got {}",
            r.status_line(),
            base.status_line()
        )),
        None if r.status == 400 => Judgement::fail(r.status_line()),
        None => Judgement::pass(format!("{} (no baseline GET to compare)", r.status_line())),
    }
}

pub(super) fn checks() -> Vec<ProbeCheck> {
    vec![
        ProbeCheck {
            id: "M-1",
            name: "bad-method-token",
            section: Section::RequestLine,
            severity: Severity::Should,
            scope: Scope::Once,
            h2: false,
            watch_close: true,
            expected: "400 and the connection closed (RFC 9112 §2.2)",
            build: |ctx, p| {
                let line = format!("G(T {p} HTTP/1.1");
                raw(format!("{line}\r\nHost: {}\r\n\r\n", ctx.host_header()).into_bytes(), line, "G(T")
            },
            judge: |_, ex| judge_400_close(ex),
        },
        ProbeCheck {
            id: "M-1",
            name: "two-spaces",
            section: Section::RequestLine,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: false,
            watch_close: true,
            expected: "400 and close: strict parsing, one SP between parts (lenient parsing enables smuggling, RFC 9112 §3)",
            build: |ctx, p| {
                let line = format!("GET  {p} HTTP/1.1");
                raw(
                    format!("{line}\r\nHost: {}\r\n\r\n", ctx.host_header()).into_bytes(),
                    format!("GET␠␠{p} HTTP/1.1 (two spaces)"),
                    "GET",
                )
            },
            judge: |_, ex| judge_400_close(ex),
        },
        ProbeCheck {
            id: "M-1",
            name: "leading-empty-line",
            section: Section::RequestLine,
            severity: Severity::Should,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "the empty line before the request-line is ignored: same status as a plain GET",
            build: |ctx, p| {
                raw(
                    format!("\r\nGET {p} HTTP/1.1\r\nHost: {}\r\n\r\n", ctx.host_header()).into_bytes(),
                    format!("CRLF + GET {p} HTTP/1.1"),
                    "GET",
                )
            },
            judge: |ctx, ex| same_as_baseline(ctx, ex, ctx.first_path()),
        },
        ProbeCheck {
            id: "M-2",
            name: "lowercase-get",
            section: Section::RequestLine,
            severity: Severity::Should,
            scope: Scope::Once,
            h2: true,
            watch_close: false,
            expected: "501: `get` is a valid token but an unrecognised method (not 200, not 400)",
            build: |ctx, p| Probe::One(Request::new("get", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    501 => Judgement::pass(r.status_line()),
                    200..=299 => Judgement::fail(format!("{}: the method was folded to GET", r.status_line())),
                    400 => Judgement::fail(format!("{}: a valid token was rejected as malformed", r.status_line())),
                    _ => Judgement::fail(r.status_line()),
                }
            },
        },
        ProbeCheck {
            id: "M-3",
            name: "over-long-method",
            section: Section::RequestLine,
            severity: Severity::Should,
            scope: Scope::Once,
            h2: true,
            watch_close: true,
            expected: "501 (a method longer than any implemented one); [PD] then close",
            build: |ctx, p| Probe::One(Request::new(&"A".repeat(100), p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let ok = r.status == 501;
                let closed = ex.close.is_none() || matches!(ex.close, Some(CloseState::Closed));
                let j = Judgement::check(ok, with_close(ex, r));
                if ok && !closed {
                    Judgement::fail(with_close(ex, r)).at(Severity::ProjectDefault)
                } else {
                    j
                }
            },
        },
        ProbeCheck {
            id: "M-4",
            name: "long-target-414",
            section: Section::RequestLine,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "414 when the target is longer than the server parses (or a normal answer if it parses it)",
            build: |ctx, _| Probe::One(Request::new("GET", &format!("/{}", "a".repeat(9000)), ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    414 => Judgement::pass(r.status_line()),
                    200..=399 | 403 | 404 | 410 => Judgement::pass(format!("{} (the target was parsed)", r.status_line())),
                    _ => Judgement::fail(r.status_line()),
                }
            },
        },
        ProbeCheck {
            id: "M-4",
            name: "8000-octet-request-line",
            section: Section::RequestLine,
            severity: Severity::Should,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "accepted (not 414/400): request-lines of 8000 octets are RECOMMENDED (RFC 9112 §3)",
            build: |ctx, _| {
                // "GET " + "/" + 7980 + " HTTP/1.1" = 7994 octets.
                Probe::One(Request::new("GET", &format!("/{}", "a".repeat(7980)), ctx.host_header()))
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(!matches!(r.status, 400 | 414 | 431), r.status_line())
            },
        },
        ProbeCheck {
            id: "M-5",
            name: "asterisk-form-with-get",
            section: Section::RequestLine,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "400: `*` is only for OPTIONS",
            build: |ctx, _| Probe::One(Request::new("GET", "*", ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 400, r.status_line())
            },
        },
        ProbeCheck {
            id: "M-5",
            name: "absolute-form",
            section: Section::RequestLine,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "accepted, Host ignored: same status as a plain GET (RFC 9112 §3.2.2)",
            build: |ctx, p| {
                Probe::One(Request {
                    method: "GET".into(),
                    target: ctx.target.absolute(p),
                    headers: vec![("Host".into(), "bogus.invalid".into())],
                    body: Vec::new(),
                })
            },
            judge: |ctx, ex| same_as_baseline(ctx, ex, ctx.first_path()),
        },
        ProbeCheck {
            id: "M-6",
            name: "missing-host",
            section: Section::RequestLine,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "400 (an HTTP/1.1 request without Host)",
            build: |_, p| {
                let line = format!("GET {p} HTTP/1.1");
                raw(format!("{line}\r\n\r\n").into_bytes(), format!("{line} (no Host)"), "GET")
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 400, r.status_line())
            },
        },
        ProbeCheck {
            id: "M-6",
            name: "duplicate-host",
            section: Section::RequestLine,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "400 (two Host lines)",
            build: |ctx, p| {
                let line = format!("GET {p} HTTP/1.1");
                raw(
                    format!("{line}\r\nHost: {}\r\nHost: other.invalid\r\n\r\n", ctx.host_header()).into_bytes(),
                    format!("{line} (Host: {}, Host: other.invalid)", ctx.host_header()),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 400, r.status_line())
            },
        },
        ProbeCheck {
            id: "M-6",
            name: "space-before-colon",
            section: Section::RequestLine,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "400 (whitespace between a field name and its colon, RFC 9112 §5.1)",
            build: |ctx, p| {
                let line = format!("GET {p} HTTP/1.1");
                raw(
                    format!("{line}\r\nHost: {}\r\nX-Probe : 1\r\n\r\n", ctx.host_header()).into_bytes(),
                    format!("{line} (X-Probe␠: 1)"),
                    "GET",
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 400, r.status_line())
            },
        },
    ]
}
