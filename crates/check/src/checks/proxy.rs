//! §4 (and X-9): what can be judged from outside a proxy / gateway (`--proxy`).

use super::{field, with_fields, Judgement, ProbeCheck, Scope, Section, Severity};
use crate::probe::{Exchange, Probe, Request};

/// Hop-by-hop fields that must not travel past one connection (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 4] = ["Keep-Alive", "Proxy-Connection", "TE", "Upgrade"];

/// The echoed request of a TRACE that reached the upstream, if it was echoed.
fn trace_echo(ex: &Exchange) -> Option<String> {
    let r = ex.first()?;
    (r.status == 200 && r.media_type().as_deref() == Some("message/http"))
        .then(|| String::from_utf8_lossy(&r.body).into_owned())
}

fn trace_probe(ctx: &super::Ctx, p: &str) -> Probe {
    Probe::One(
        Request::new("TRACE", p, ctx.host_header())
            .header("Connection", "X-Methodical-Hop")
            .header("X-Methodical-Hop", "1"),
    )
}

pub(super) fn checks() -> Vec<ProbeCheck> {
    vec![
        ProbeCheck {
            id: "P-4",
            name: "via-on-responses",
            section: Section::Forwarding,
            severity: Severity::ProjectDefault,
            scope: Scope::Proxy,
            h2: true,
            watch_close: false,
            expected: "responses carry Via (a gateway MAY add it; the digest adds it by default)",
            build: |ctx, p| Probe::One(Request::new("GET", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.has("Via"), with_fields(r, &["Via"]))
            },
        },
        ProbeCheck {
            id: "P-3",
            name: "hop-by-hop-not-forwarded-to-client",
            section: Section::Forwarding,
            severity: Severity::Should,
            scope: Scope::Proxy,
            h2: false,
            watch_close: false,
            expected: "no upstream hop-by-hop field (Keep-Alive, Proxy-Connection, TE, Upgrade) unless the proxy's own Connection names it",
            build: |ctx, p| Probe::One(Request::new("GET", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let leaked: Vec<&str> = HOP_BY_HOP
                    .iter()
                    .copied()
                    .filter(|h| r.has(h) && !r.has_token("Connection", h))
                    .filter(|h| !(h.eq_ignore_ascii_case("Upgrade") && r.status == 101))
                    .collect();
                if leaked.is_empty() {
                    Judgement::pass(format!("{}; Connection: {}", r.status_line(), field(r, "Connection")))
                } else {
                    Judgement::fail(format!("{} carries {} without naming it in Connection", r.status_line(), leaked.join(", ")))
                }
            },
        },
        ProbeCheck {
            id: "P-3",
            name: "connection-options-removed",
            section: Section::Forwarding,
            severity: Severity::Must,
            scope: Scope::Proxy,
            h2: false,
            watch_close: false,
            expected: "a field named in Connection is removed before forwarding (seen in a TRACE echo)",
            build: trace_probe,
            judge: |_, ex| {
                let Some(echo) = trace_echo(ex) else {
                    return Judgement::skip("TRACE was not echoed, so the forwarded request cannot be seen");
                };
                let leaked = echo.to_ascii_lowercase().contains("x-methodical-hop: 1");
                Judgement::check(!leaked, if leaked { "the echo contains X-Methodical-Hop" } else { "X-Methodical-Hop removed" })
            },
        },
        ProbeCheck {
            id: "P-4",
            name: "via-on-forwarded-requests",
            section: Section::Forwarding,
            severity: Severity::Must,
            scope: Scope::Proxy,
            h2: false,
            watch_close: false,
            expected: "the forwarded request carries Via (seen in a TRACE echo)",
            build: trace_probe,
            judge: |_, ex| {
                let Some(echo) = trace_echo(ex) else {
                    return Judgement::skip("TRACE was not echoed, so the forwarded request cannot be seen");
                };
                let via = echo.lines().find(|l| l.to_ascii_lowercase().starts_with("via:"));
                match via {
                    Some(v) => Judgement::pass(v.trim().to_string()),
                    None => Judgement::fail("the echoed request has no Via"),
                }
            },
        },
        ProbeCheck {
            id: "P-5",
            name: "options-max-forwards-0",
            section: Section::Forwarding,
            severity: Severity::ProjectDefault,
            scope: Scope::Proxy,
            h2: true,
            watch_close: false,
            expected: "the proxy answers itself: 200, Content-Length: 0",
            build: |ctx, p| Probe::One(Request::new("OPTIONS", p, ctx.host_header()).header("Max-Forwards", "0")),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let ok = r.status == 200 && r.content_length().unwrap_or(0) == 0;
                Judgement::check(ok, with_fields(r, &["Content-Length", "Allow"]))
            },
        },
        ProbeCheck {
            id: "X-9",
            name: "hop-by-hop-mandatory-extension",
            section: Section::Extension,
            severity: Severity::ProjectDefault,
            scope: Scope::Proxy,
            h2: false,
            watch_close: false,
            expected: "501 from the gateway (it is the ultimate recipient of C-Man and does not implement RFC 2774)",
            build: |ctx, p| {
                Probe::One(
                    Request::new("M-GET", p, ctx.host_header())
                        .header("C-Man", "\"http://example.org/\"")
                        .header("Connection", "C-Man"),
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match r.status {
                    501 => Judgement::pass(r.status_line()),
                    200..=299 => Judgement::fail(format!("{}: fulfilled a mandatory request", r.status_line())).at(Severity::Must),
                    _ => Judgement::fail(r.status_line()),
                }
            },
        },
    ]
}
