//! §7/§8 on the `--dav` path: DAV header, PROPFIND, SEARCH, DASL (all safe methods).

use super::{field, with_fields, Ctx, Judgement, ProbeCheck, Scope, Section, Severity};
use crate::probe::{Probe, Request};

const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/></D:prop></D:propfind>"#;

/// Not well-formed: the `prop` element is never closed.
const BROKEN_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:propfind>"#;

fn search_body(scope: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<D:searchrequest xmlns:D="DAV:"><D:basicsearch><D:select><D:prop><D:displayname/></D:prop></D:select><D:from><D:scope><D:href>{scope}</D:href><D:depth>1</D:depth></D:scope></D:from></D:basicsearch></D:searchrequest>"#
    )
}

fn xml_multistatus(r: &crate::client::RawResponse) -> bool {
    let xml_type = matches!(
        r.media_type().as_deref(),
        Some("application/xml") | Some("text/xml")
    );
    xml_type && String::from_utf8_lossy(&r.body).contains("multistatus")
}

/// Whether OPTIONS on the DAV path advertised SEARCH.
fn search_advertised(ctx: &Ctx) -> Option<bool> {
    ctx.dav_options
        .as_ref()
        .map(|o| o.has_token("Allow", "SEARCH"))
}

pub(super) fn checks() -> Vec<ProbeCheck> {
    vec![
        ProbeCheck {
            id: "D-3",
            name: "dav-options",
            section: Section::WebDav,
            severity: Severity::Must,
            scope: Scope::Dav,
            h2: true,
            watch_close: false,
            expected: "2xx with DAV containing 1 (MUST) and Allow listing PROPFIND (SHOULD)",
            build: |ctx, p| Probe::One(Request::new("OPTIONS", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let shown = with_fields(r, &["DAV", "Allow"]);
                if !(200..300).contains(&r.status) || !r.has_token("DAV", "1") {
                    return Judgement::fail(shown);
                }
                if !r.has_token("Allow", "PROPFIND") {
                    return Judgement::fail(shown).at(Severity::Should);
                }
                Judgement::pass(shown)
            },
        },
        ProbeCheck {
            id: "S-2",
            name: "dasl-matches-allow",
            section: Section::Search,
            severity: Severity::Should,
            scope: Scope::Dav,
            h2: true,
            watch_close: false,
            expected: "DASL (e.g. <DAV:basicsearch>) exactly when Allow lists SEARCH",
            build: |ctx, p| Probe::One(Request::new("OPTIONS", p, ctx.host_header())),
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                let search = r.has_token("Allow", "SEARCH");
                let dasl = r.has("DASL");
                if !search && !dasl {
                    return Judgement::skip("SEARCH is not offered here");
                }
                Judgement::check(search == dasl, with_fields(r, &["DASL", "Allow"]))
            },
        },
        ProbeCheck {
            id: "D-4",
            name: "propfind-depth-0",
            section: Section::WebDav,
            severity: Severity::Must,
            scope: Scope::Dav,
            h2: true,
            watch_close: false,
            expected: "207 with an XML multistatus body",
            build: |ctx, p| {
                Probe::One(
                    Request::new("PROPFIND", p, ctx.host_header())
                        .header("Depth", "0")
                        .header("Content-Type", "application/xml; charset=utf-8")
                        .body(PROPFIND_BODY.as_bytes()),
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 207 && xml_multistatus(r), with_fields(r, &["Content-Type"]))
            },
        },
        ProbeCheck {
            id: "D-4",
            name: "propfind-malformed-xml",
            section: Section::WebDav,
            severity: Severity::Must,
            scope: Scope::Dav,
            h2: true,
            watch_close: false,
            expected: "400 for a body that is not well-formed XML",
            build: |ctx, p| {
                Probe::One(
                    Request::new("PROPFIND", p, ctx.host_header())
                        .header("Depth", "0")
                        .header("Content-Type", "application/xml; charset=utf-8")
                        .body(BROKEN_BODY.as_bytes()),
                )
            },
            judge: |_, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                Judgement::check(r.status == 400, r.status_line())
            },
        },
        ProbeCheck {
            id: "S-1",
            name: "search-basicsearch",
            section: Section::Search,
            severity: Severity::Must,
            scope: Scope::Dav,
            h2: true,
            watch_close: false,
            expected: "207 multistatus when Allow lists SEARCH; otherwise 405 (handler without SEARCH) or 501",
            build: |ctx, p| {
                Probe::One(
                    Request::new("SEARCH", p, ctx.host_header())
                        .header("Content-Type", "application/xml; charset=utf-8")
                        .body(search_body(p).as_bytes()),
                )
            },
            judge: |ctx, ex| {
                let Some(r) = ex.first() else { return Judgement::error("no response") };
                match search_advertised(ctx) {
                    Some(true) => Judgement::check(r.status == 207 && xml_multistatus(r), with_fields(r, &["Content-Type"]))
                        .expect("207 with an XML multistatus (OPTIONS lists SEARCH)"),
                    _ if r.status == 207 => Judgement::fail(format!(
                        "{} although OPTIONS does not list SEARCH in Allow ({})",
                        r.status_line(),
                        ctx.dav_options.as_ref().map(|o| field(o, "Allow")).unwrap_or_default()
                    ))
                    .at(Severity::Should),
                    _ => Judgement::check(matches!(r.status, 405 | 501), with_fields(r, &["Allow"]))
                        .expect("405 or 501 (OPTIONS does not list SEARCH)")
                        .at(Severity::ProjectDefault),
                }
            },
        },
    ]
}
