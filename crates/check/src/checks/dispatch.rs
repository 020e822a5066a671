//! §2 and §6/§7/§8 dispatch rows: 501 vs 405, GET/HEAD, OPTIONS, TRACE,
//! CONNECT, `M-` methods and WebDAV methods on non-DAV paths.

use super::{field, with_fields, Ctx, Judgement, ProbeCheck, Scope, Section, Severity};
use crate::client::Framing;
use crate::error::ClientError;
use crate::probe::{Exchange, Probe, Request};

/// `HEAD path` then `GET path` on one connection: a body after the HEAD
/// response would be read as the start of the next response.
fn head_then_get(ctx: &Ctx, p: &str) -> Probe {
    Probe::Pipeline(vec![
        Request::new("HEAD", p, ctx.host_header()),
        Request::new("GET", p, ctx.host_header()),
    ])
}

/// The HEAD and GET answers of [`head_then_get`], when both arrived.
fn head_and_get(
    ex: &Exchange,
) -> Option<(&crate::client::RawResponse, &crate::client::RawResponse)> {
    match ex.answers.as_slice() {
        [h, g, ..] => Some((&h.response, &g.response)),
        _ => None,
    }
}

fn judge_head_no_body(ex: &Exchange) -> Judgement {
    let Some(head) = ex.first() else {
        return Judgement::error("no response");
    };
    if let Some(ClientError::NotHttp(got)) = &ex.error {
        return Judgement::fail(format!(
            "HEAD got {}, then octets that are not the next response: {got:?} (a body was sent for HEAD)",
            head.status_line()
        ));
    }
    if ex.transport == crate::probe::Transport::Http2 && !head.body.is_empty() {
        return Judgement::fail(format!(
            "HEAD got {} with {} body octets",
            head.status_line(),
            head.body.len()
        ));
    }
    let next = match ex.transport {
        crate::probe::Transport::Http1 => "the pipelined GET was read cleanly",
        crate::probe::Transport::Http2 => "the GET on the next stream was read cleanly",
    };
    match &ex.error {
        None => Judgement::pass(format!(
            "HEAD got {} and no body; {next}",
            head.status_line()
        )),
        Some(e) => Judgement::error(format!(
            "HEAD got {}; the GET after it then failed: {e}",
            head.status_line()
        )),
    }
}

fn judge_unknown_method(ex: &Exchange) -> Judgement {
    let Some(r) = ex.first() else {
        return Judgement::error("no response");
    };
    match r.status {
        501 => Judgement::pass(r.status_line()),
        405 => Judgement::fail(format!(
            "{}: an unknown method treated as known but not allowed",
            with_fields(r, &["Allow"])
        )),
        200..=299 => Judgement::fail(format!(
            "{}: the unknown method was processed",
            r.status_line()
        )),
        _ => Judgement::fail(r.status_line()),
    }
}

pub(super) fn checks() -> Vec<ProbeCheck> {
    vec![
        ProbeCheck {
            id: "M-10",
            name: "get-and-head-supported",
            section: Section::Dispatch,
            severity: Severity::Must,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "GET and HEAD never 501; HEAD gets the same status as GET",
            build: head_then_get,
            judge: |_, ex| {
                let Some((h, g)) = head_and_get(ex) else {
                    return judge_head_no_body(ex);
                };
                if h.status == 501 || g.status == 501 {
                    return Judgement::fail(format!("HEAD {}, GET {}", h.status_line(), g.status_line()));
                }
                if h.status != g.status {
                    return Judgement::fail(format!("HEAD {}, GET {}", h.status_line(), g.status_line()))
                        .at(Severity::Should);
                }
                Judgement::pass(format!("HEAD and GET both {}", g.status_line()))
            },
        },
        ProbeCheck {
            id: "M-11",
            name: "head-has-no-body",
            section: Section::Dispatch,
            severity: Severity::Must,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "no content after the HEAD response head (a pipelined GET is parsed correctly)",
            build: head_then_get,
            judge: |_, ex| judge_head_no_body(ex),
        },
        ProbeCheck {
            id: "M-11",
            name: "head-content-length",
            section: Section::Dispatch,
            severity: Severity::Must,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "HEAD's Content-Length, if sent, equals the length of GET's content",
            build: head_then_get,
            judge: |_, ex| {
                let Some((h, g)) = head_and_get(ex) else {
                    return Judgement::error(match &ex.error {
                        Some(e) => e.to_string(),
                        None => "the GET after HEAD got no answer".into(),
                    });
                };
                if h.status != g.status {
                    return Judgement::skip(format!("HEAD {} and GET {} differ", h.status, g.status));
                }
                let Some(hl) = h.content_length() else {
                    return Judgement::pass("HEAD sent no Content-Length (allowed)");
                };
                if !g.body_complete {
                    return Judgement::skip("GET's content was not read completely");
                }
                let gl = g.body.len() as u64;
                Judgement::check(hl == gl, format!("HEAD Content-Length {hl}, GET content {gl} octets"))
            },
        },
        ProbeCheck {
            id: "M-11",
            name: "head-same-fields",
            section: Section::Dispatch,
            severity: Severity::Should,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "HEAD carries the same Content-Type and ETag as GET",
            build: head_then_get,
            judge: |_, ex| {
                let Some((h, g)) = head_and_get(ex) else {
                    return Judgement::error("the GET after HEAD got no answer");
                };
                if h.status != g.status {
                    return Judgement::skip(format!("HEAD {} and GET {} differ", h.status, g.status));
                }
                let mut diffs = Vec::new();
                for name in ["Content-Type", "ETag"] {
                    if g.has(name) && field(h, name) != field(g, name) {
                        diffs.push(format!("{name}: HEAD {} vs GET {}", field(h, name), field(g, name)));
                    }
                }
                if diffs.is_empty() {
                    Judgement::pass(format!(
                        "Content-Type {}, ETag {} on both",
                        field(g, "Content-Type"),
                        field(g, "ETag")
                    ))
                } else {
                    Judgement::fail(diffs.join("; "))
                }
            },
        },
        ProbeCheck {
            id: "M-11",
            name: "head-404-no-body",
            section: Section::Dispatch,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: true,
            watch_close: false,
            expected: "an error answer to HEAD has no body either (the pipelined GET is parsed correctly)",
            build: |ctx, p| {
                Probe::Pipeline(vec![Request::new("HEAD", &ctx.missing, ctx.host_header()), Request::new("GET", p, ctx.host_header())])
            },
            judge: |_, ex| judge_head_no_body(ex),
        },
        ProbeCheck {
            id: "M-7",
            name: "unknown-method",
            section: Section::Dispatch,
            severity: Severity::Should,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "501 Not Implemented (an unrecognised method; 405 is for known methods the resource refuses)",
            build: |ctx, p| Probe::One(Request::new("FOO", p, ctx.host_header())),
            judge: |_, ex| judge_unknown_method(ex),
        },
        ProbeCheck {
            id: "M-8",
            name: "501-without-retry-after",
            section: Section::Dispatch,
            severity: Severity::ProjectDefault,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "a 501 for a plain unknown method carries no Retry-After (only methods declared planned do)",
            build: |ctx, p| Probe::One(Request::new("FOO", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                if r.status != 501 {
                    return Judgement::skip(format!("FOO got {}, not 501", r.status));
                }
                Judgement::check(!r.has("Retry-After"), with_fields(r, &["Retry-After"]))
            },
        },
        ProbeCheck {
            id: "M-12",
            name: "options",
            section: Section::Dispatch,
            severity: Severity::Should,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "2xx with Allow; [PD] 200, Content-Length: 0",
            build: |ctx, p| Probe::One(Request::new("OPTIONS", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let shown = with_fields(r, &["Allow", "Content-Length"]);
                if !(200..300).contains(&r.status) || !r.has("Allow") {
                    return Judgement::fail(shown);
                }
                let pd_ok = r.status == 200 && (r.content_length() == Some(0) || (r.framing == Framing::H2Stream && r.body.is_empty()));
                if pd_ok {
                    Judgement::pass(shown)
                } else {
                    Judgement::fail(shown).at(Severity::ProjectDefault)
                }
            },
        },
        ProbeCheck {
            id: "D-3",
            name: "no-dav-header-outside-dav",
            section: Section::WebDav,
            severity: Severity::Should,
            scope: Scope::EachNonDavPath,
            h2: true,
            watch_close: false,
            expected: "OPTIONS on a non-WebDAV resource has no DAV header (RFC 4918 §10.1)",
            build: |ctx, p| Probe::One(Request::new("OPTIONS", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(!r.has("DAV"), with_fields(r, &["DAV"]))
            },
        },
        ProbeCheck {
            id: "M-13",
            name: "options-asterisk",
            section: Section::Dispatch,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "200, Content-Length: 0, no DAV (OPTIONS * is a ping for the whole server)",
            build: |ctx, _| Probe::One(Request::new("OPTIONS", "*", ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let ok = r.status == 200 && r.content_length() == Some(0) && !r.has("DAV");
                Judgement::check(ok, with_fields(r, &["Content-Length", "DAV"]))
            },
        },
        ProbeCheck {
            id: "M-14",
            name: "trace",
            section: Section::Dispatch,
            severity: Severity::Should,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "off: 405 with Allow lacking TRACE, no echo; on: 200 message/http without the Cookie",
            build: |ctx, p| Probe::One(Request::new("TRACE", p, ctx.host_header()).header("Cookie", "methodical-probe=secret")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let echo = String::from_utf8_lossy(&r.body).contains("methodical-probe=secret");
                match r.status {
                    200 if echo => Judgement::fail(format!(
                        "{} ({}) echoing the Cookie field",
                        r.status_line(),
                        field(r, "Content-Type")
                    )),
                    200 => Judgement::pass(format!("{} ({}), Cookie not echoed", r.status_line(), field(r, "Content-Type"))),
                    405 if r.has_token("Allow", "TRACE") => {
                        Judgement::fail(format!("{}: Allow lists the refused method", with_fields(r, &["Allow"])))
                            .at(Severity::Must)
                    }
                    405 if r.media_type().as_deref() == Some("message/http") => {
                        Judgement::fail(format!("{} but the body is message/http", r.status_line()))
                    }
                    405 => Judgement::pass(format!("{} (TRACE off)", with_fields(r, &["Allow"]))),
                    501 => Judgement::fail(format!("{} (TRACE off; the digest prefers 405 + Allow, A-6)", r.status_line()))
                        .at(Severity::ProjectDefault),
                    _ => Judgement::fail(r.status_line()).at(Severity::ProjectDefault),
                }
            },
        },
        ProbeCheck {
            id: "M-15",
            name: "connect",
            section: Section::Dispatch,
            severity: Severity::ProjectDefault,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "501 (no tunnel support); a 2xx must not carry Content-Length or Transfer-Encoding",
            build: |_, _| {
                // A host under .invalid can never resolve, so even an open
                // proxy cannot reach anything on our behalf.
                Probe::One(Request::new("CONNECT", "example.invalid:443", "example.invalid:443"))
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    501 => Judgement::pass(r.status_line()),
                    200..=299 if r.has("Content-Length") || r.has("Transfer-Encoding") => Judgement::fail(format!(
                        "{}: a tunnel answer with {}",
                        r.status_line(),
                        if r.has("Content-Length") { "Content-Length" } else { "Transfer-Encoding" }
                    ))
                    .at(Severity::Must),
                    200..=299 => Judgement::fail(format!("{}: the server opened a tunnel", r.status_line())),
                    _ => Judgement::fail(r.status_line()),
                }
            },
        },
        ProbeCheck {
            id: "M-15",
            name: "connect-without-port",
            section: Section::Dispatch,
            severity: Severity::Must,
            scope: Scope::Once,
            h2: false,
            watch_close: false,
            expected: "rejected (typically 400): CONNECT needs host:port",
            build: |_, _| Probe::One(Request::new("CONNECT", "example.invalid", "example.invalid")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    400 => Judgement::pass(r.status_line()),
                    401..=599 => Judgement::pass(format!("{} (rejected; 400 is typical)", r.status_line())),
                    _ => Judgement::fail(r.status_line()),
                }
            },
        },
        ProbeCheck {
            id: "X-5",
            name: "m-get-without-rfc2774",
            section: Section::Extension,
            severity: Severity::Should,
            scope: Scope::EachPath,
            h2: true,
            watch_close: false,
            expected: "501 (an M- method where RFC 2774 is not implemented; 510 if it is); never 200 as if GET",
            build: |ctx, p| Probe::One(Request::new("M-GET", p, ctx.host_header()).header("Man", "\"http://example.org/ext\"")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    501 => Judgement::pass(r.status_line()),
                    510 => Judgement::pass(format!("{} (the server implements RFC 2774)", r.status_line())),
                    200..=299 => Judgement::fail(format!(
                        "{}: fulfilled without understanding the mandatory extension (RFC 2774 §5)",
                        r.status_line()
                    ))
                    .at(Severity::Must),
                    _ => Judgement::fail(with_fields(r, &["Allow"])),
                }
            },
        },
        ProbeCheck {
            id: "D-2",
            name: "propfind-outside-dav",
            section: Section::WebDav,
            severity: Severity::ProjectDefault,
            scope: Scope::EachNonDavPath,
            h2: true,
            watch_close: false,
            expected: "501: no WebDAV handler on this path (RFC 9110 would also allow 405, see A-3)",
            build: |ctx, p| Probe::One(Request::new("PROPFIND", p, ctx.host_header()).header("Depth", "0")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    501 => Judgement::check(!r.has("DAV"), with_fields(r, &["DAV"])),
                    207 => Judgement::fail(format!("{}: this path speaks WebDAV; pass it with --dav", r.status_line())),
                    _ => Judgement::fail(with_fields(r, &["Allow"])),
                }
            },
        },
        ProbeCheck {
            id: "S-5",
            name: "search-outside-dav",
            section: Section::Search,
            severity: Severity::ProjectDefault,
            scope: Scope::EachNonDavPath,
            h2: true,
            watch_close: false,
            expected: "501: no SEARCH handler on this path",
            build: |ctx, p| Probe::One(Request::new("SEARCH", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 501, with_fields(r, &["Allow"]))
            },
        },
    ]
}
