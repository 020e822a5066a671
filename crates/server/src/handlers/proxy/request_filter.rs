//! Phase 1: the request filter. Decides whether the gateway answers the request itself
//! (a forwarding loop, `Max-Forwards: 0`, RFC 2774 refusals) and otherwise builds the
//! request head that goes upstream (P-1, P-3, P-4, P-5, P-8, P-9, X-3, X-9).

use http::header::{HeaderValue, HOST};
use http::{request, Method, Request, Response, Uri, Version};
use methodical_extension::{evaluate, fulfil_hop_by_hop, gateway_action, hop_by_hop_extension_fields, Fulfilled, GatewayAction, Registry};
use methodical_policy::MethodSet;

use super::clone_head;
use super::fields::{max_forwards, strip_hop_by_hop, MaxForwards, Via};
use crate::body::Body;
use crate::error::HttpError;
use crate::service::{options_response, trace_response};

/// The settings the request filter needs.
pub struct FilterSettings<'a> {
    /// Our Via entries.
    pub via: &'a Via,
    /// The route's method allowlist (OPTIONS answered here lists it).
    pub allowlist: Option<&'a MethodSet>,
    /// RFC 2774 extensions the route implements; `None`: the framework is off.
    pub registry: Option<&'a Registry>,
    /// Host sent upstream instead of the client's.
    pub upstream_host: Option<&'a HeaderValue>,
    /// Forward the path without the route prefix.
    pub strip_prefix: bool,
}

/// What the filter decided.
pub enum Verdict {
    /// Forward this request head.
    Forward(Plan),
    /// The gateway is the final recipient and answers with this.
    Answer(Response<Body>),
    /// The gateway refuses the request.
    Refuse(HttpError),
}

/// A request ready to go upstream.
pub struct Plan {
    /// Method, header fields and target (path and query only) as they go upstream;
    /// version HTTP/1.1 (P-8).
    pub head: request::Parts,
    /// Mandatory extensions the gateway fulfilled: the response is marked for them (X-6).
    pub fulfilled: Option<Fulfilled>,
    /// The request came through an HTTP/1.0 hop (RFC 2774 §5.1 needs `Expires` then).
    pub via_http10: bool,
}

/// Runs the filter on the client's request head. `rest` is the path below the route
/// prefix (used with `strip_prefix`). With `keep`, the client's head stays as it was (the
/// cache needs it later); without, its header fields move into the forwarded head and only
/// `Accept` stays behind, for error pages.
pub fn filter(settings: &FilterSettings<'_>, client: &mut request::Parts, rest: &str, keep: bool) -> Verdict {
    if settings.via.seen_in(&client.headers) {
        return Verdict::Refuse(HttpError::BadGateway(format!(
            "Forwarding loop: this request already passed through this gateway ({}), so it was not forwarded again.",
            settings.via.pseudonym()
        )));
    }
    if has_dot_segment(client.uri.path()) {
        return Verdict::Refuse(HttpError::BadRequest(
            "The request path contains a `.` or `..` segment (perhaps percent-encoded) or an encoded NUL. Clients remove dot-segments before sending (RFC 3986 §5.2.4); this gateway does not forward them, since the upstream would resolve them outside the route.".into(),
        ));
    }
    let is_options = client.method == Method::OPTIONS;
    let hops = if is_options || client.method == Method::TRACE {
        match max_forwards(&client.headers) {
            Ok(MaxForwards::Zero) => {
                // The gateway is the final recipient and answers as an origin would (P-5,
                // A-11); TRACE reaches the gateway only when it is on (M-14).
                return Verdict::Answer(if is_options {
                    options_response(settings.allowlist.map(|list| list.as_allow().to_header_value()))
                } else {
                    trace_response(&client.method, &client.uri, client.version, &client.headers)
                });
            }
            Ok(other) => other,
            Err(e) => return Verdict::Refuse(HttpError::BadRequest(format!("{e}."))),
        }
    } else {
        MaxForwards::Absent
    };

    let mut head = if keep { clone_head(client) } else { take_head(client) };
    let fulfilled = match extensions(settings.registry, &mut head) {
        Ok(f) => f,
        Err(e) => return Verdict::Refuse(e),
    };
    // Only an acknowledged extension needs to know (RFC 2774 §5.1); Via is still the client's.
    let via_http10 = fulfilled.is_some() && methodical_extension::request_via_http10(&head);

    // C-Man/C-Opt and the prefixes they declare are hop-by-hop whether or not the client
    // listed them in Connection (X-3, P-3).
    for name in hop_by_hop_extension_fields(&head.headers) {
        head.headers.remove(name);
    }
    strip_hop_by_hop(&mut head.headers);
    if let MaxForwards::Forward(n) = hops {
        head.headers.insert(http::header::MAX_FORWARDS, HeaderValue::from(n));
    }
    settings.via.append(&mut head.headers, client.version);
    match settings.upstream_host {
        Some(h) => {
            head.headers.insert(HOST, h.clone());
        }
        None => {
            // An absolute-form target (and HTTP/2's :authority) names the host; a received
            // Host is then ignored and replaced (RFC 9112 §3.2.2, P-9).
            if let Some(a) = client.uri.authority() {
                if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                    head.headers.insert(HOST, v);
                }
            }
        }
    }
    head.uri = upstream_target(&client.uri, rest, settings.strip_prefix);
    head.version = Version::HTTP_11;
    Verdict::Forward(Plan { head, fulfilled, via_http10 })
}

/// Does `path` hold a dot-segment, raw or percent-encoded, also one hidden behind an encoded
/// `/` or a `\\` (`..%2f`, `..\\`)? The gateway forwards the path as it was sent (RFC 9110
/// §7.6), so the upstream would resolve it: `/api/../admin` is routed here by its `/api/`
/// prefix but is `/admin` upstream — a way around the route table, and with `strip_prefix`
/// out of the upstream's base path. An encoded NUL counts too: an upstream that stops
/// reading at it sees `/api/..` in `/api/..%00/x`. Static and WebDAV routes refuse both.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        if !segment.contains('.') && !segment.contains("%2") && !segment.contains("%00") {
            return false;
        }
        let is_dots = |piece: &[u8]| piece == b"." || piece == b"..";
        if !segment.contains('%') {
            // Nothing encoded (`1k.txt`): no need to decode a copy.
            return segment.as_bytes().split(|&b| b == b'\\').any(is_dots);
        }
        let decoded = percent_decode(segment);
        decoded.contains(&0) || decoded.split(|&b| b == b'/' || b == b'\\').any(is_dots)
    })
}

/// Percent-decodes once; invalid escapes stay as they are.
fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi << 4 | lo);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The client's head with its header fields moved out; `Accept` is copied back for the
/// error pages.
fn take_head(client: &mut request::Parts) -> request::Parts {
    let (mut head, ()) = Request::new(()).into_parts();
    head.method = client.method.clone();
    head.uri = client.uri.clone();
    head.version = client.version;
    head.headers = std::mem::take(&mut client.headers);
    for v in head.headers.get_all(http::header::ACCEPT) {
        client.headers.append(http::header::ACCEPT, v.clone());
    }
    head
}

/// The path and query sent upstream: unchanged, or without the route prefix.
fn upstream_target(uri: &Uri, rest: &str, strip_prefix: bool) -> Uri {
    if !strip_prefix {
        if let Some(pq) = uri.path_and_query() {
            let mut parts = http::uri::Parts::default();
            parts.path_and_query = Some(pq.clone());
            if let Ok(u) = Uri::from_parts(parts) {
                return u;
            }
        }
    }
    let query = uri.query();
    let path = if strip_prefix {
        if rest.starts_with('/') {
            rest.to_string()
        } else {
            format!("/{rest}")
        }
    } else {
        uri.path().to_string()
    };
    let pq = match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    pq.parse().unwrap_or_else(|_| Uri::from_static("/"))
}

/// RFC 2774 at the gateway (X-9): forwards, refuses (501 / 400 / 510), or fulfils the
/// declarations this route implements, rewriting `head` (SOAP's `M-POST` → `POST`).
fn extensions(registry: Option<&Registry>, head: &mut request::Parts) -> Result<Option<Fulfilled>, HttpError> {
    let action = gateway_action(head, registry);
    let evaluation = match (action, registry) {
        (GatewayAction::Forward, _) => return Ok(None),
        (GatewayAction::RefuseNotImplemented, _) => {
            return Err(HttpError::NotImplemented { method: head.method.clone(), retry_after: None });
        }
        (GatewayAction::Malformed(e), _) => return Err(HttpError::BadRequest(format!("{e}."))),
        (GatewayAction::NotExtended(n), _) => return Err(HttpError::NotExtended(n.explanation())),
        (GatewayAction::FulfilHopByHop, Some(r)) => fulfil_hop_by_hop(r, head),
        (GatewayAction::Fulfil, Some(r)) => evaluate(r, head),
        // Fulfilling needs a registry; gateway_action only asks for it with one.
        (GatewayAction::FulfilHopByHop | GatewayAction::Fulfil, None) => return Ok(None),
    };
    crate::extensions::outcome(evaluation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use methodical_extension::SoapExtension;

    static EDGE: std::sync::LazyLock<Via> = std::sync::LazyLock::new(|| Via::new("edge"));

    fn parts(method: &str, target: &str, headers: &[(&str, &str)]) -> request::Parts {
        let mut b = Request::builder().method(method).uri(target);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn settings<'a>(registry: Option<&'a Registry>) -> FilterSettings<'a> {
        FilterSettings { via: &EDGE, allowlist: None, registry, upstream_host: None, strip_prefix: false }
    }

    fn forward(v: Verdict) -> Plan {
        match v {
            Verdict::Forward(p) => p,
            Verdict::Answer(r) => panic!("answered {}", r.status()),
            Verdict::Refuse(e) => panic!("refused: {e}"),
        }
    }

    fn refused(v: Verdict) -> u16 {
        match v {
            Verdict::Refuse(e) => e.problem().status.as_u16(),
            _ => panic!("expected a refusal"),
        }
    }

    #[test]
    fn p1_p8_method_kept_version_raised() {
        let mut c = parts("get", "/proxy/r?q=1", &[("host", "h")]);
        c.version = Version::HTTP_10;
        let p = forward(filter(&settings(None), &mut c.clone(), "r", true));
        assert_eq!(p.head.method.as_str(), "get");
        assert_eq!(p.head.version, Version::HTTP_11);
        assert_eq!(p.head.uri, "/proxy/r?q=1");
        assert_eq!(p.head.headers["via"], "1.0 edge");
        assert_eq!(p.head.headers["host"], "h");
        assert!(!p.via_http10, "only looked at when an extension was fulfilled");
    }

    #[test]
    fn without_keep_the_fields_move_and_accept_stays() {
        let mut c = parts("GET", "/r", &[("accept", "application/problem+json"), ("x-a", "1")]);
        let p = forward(filter(&settings(None), &mut c, "r", false));
        assert_eq!(p.head.headers["x-a"], "1");
        assert_eq!(c.headers.len(), 1);
        assert_eq!(c.headers["accept"], "application/problem+json");
    }

    #[test]
    fn p9_absolute_form_target_names_the_host() {
        let c = parts("GET", "http://target.example:8080/proxy/r", &[("host", "other.example")]);
        let p = forward(filter(&settings(None), &mut c.clone(), "r", true));
        assert_eq!(p.head.headers["host"], "target.example:8080");
        assert_eq!(p.head.uri, "/proxy/r");
    }

    #[test]
    fn issue8_dot_segments_are_refused_not_forwarded() {
        for path in [
            "/proxy/../admin",
            "/proxy/sub/../../admin",
            "/proxy/./r",
            "/proxy/..",
            "/proxy/%2e%2e/admin",
            "/proxy/%2E%2e/admin",
            "/proxy/.%2e/admin",
            "/proxy/..%2fadmin",
            "/proxy/..%2Fadmin",
            "/proxy/..%5cadmin",
            "/proxy/..\\admin",
            "/proxy/a%2f..%2f..%2fadmin",
            "/proxy/..%00/admin",
            "/proxy/a%00b",
        ] {
            let mut c = parts("GET", path, &[]);
            assert_eq!(refused(filter(&settings(None), &mut c, "", true)), 400, "{path}");
        }
        for path in ["/proxy/a..b", "/proxy/...", "/proxy/.hidden", "/proxy/%252e%252e/x", "/proxy/a.b/c.d", "/proxy/r?x=/../y"] {
            let mut c = parts("GET", path, &[]);
            assert!(matches!(filter(&settings(None), &mut c, "", true), Verdict::Forward(_)), "{path}");
        }
    }

    #[test]
    fn strip_prefix_keeps_query() {
        let c = parts("GET", "/proxy/a/b?x", &[]);
        let mut s = settings(None);
        s.strip_prefix = true;
        assert_eq!(forward(filter(&s, &mut c.clone(), "a/b", true)).head.uri, "/a/b?x");
        assert_eq!(forward(filter(&s, &mut c.clone(), "", true)).head.uri, "/?x");
    }

    #[test]
    fn p4_loop_is_502() {
        assert_eq!(refused(filter(&settings(None), &mut parts("GET", "/", &[("via", "1.1 x, 1.1 edge")]).clone(), "", true)), 502);
    }

    #[test]
    fn p5_max_forwards_for_options_and_trace_only() {
        let s = settings(None);
        match filter(&s, &mut parts("OPTIONS", "/r", &[("max-forwards", "0")]).clone(), "r", true) {
            Verdict::Answer(r) => assert_eq!(r.headers()["content-length"], "0"),
            _ => panic!("OPTIONS with Max-Forwards 0 is answered here"),
        }
        match filter(&s, &mut parts("TRACE", "/r", &[("max-forwards", "0"), ("cookie", "s=1")]).clone(), "r", true) {
            Verdict::Answer(r) => {
                assert_eq!(r.headers()["content-type"], "message/http");
                let Body::Full(b) = r.into_body() else { panic!() };
                assert!(!String::from_utf8_lossy(&b).contains("s=1"));
            }
            _ => panic!("TRACE with Max-Forwards 0 is answered here"),
        }
        let p = forward(filter(&s, &mut parts("OPTIONS", "/r", &[("max-forwards", "3")]).clone(), "r", true));
        assert_eq!(p.head.headers["max-forwards"], "2");
        let p = forward(filter(&s, &mut parts("OPTIONS", "/r", &[]).clone(), "r", true));
        assert!(p.head.headers.get("max-forwards").is_none());
        let p = forward(filter(&s, &mut parts("GET", "/r", &[("max-forwards", "0")]).clone(), "r", true));
        assert_eq!(p.head.headers["max-forwards"], "0");
        assert_eq!(refused(filter(&s, &mut parts("OPTIONS", "/r", &[("max-forwards", "x")]).clone(), "r", true)), 400);
    }

    #[test]
    fn x9_c_man_is_501_without_the_framework() {
        let c = parts("M-GET", "/r", &[("c-man", "\"http://example.org/\""), ("connection", "C-Man")]);
        assert_eq!(refused(filter(&settings(None), &mut c.clone(), "r", true)), 501);
        let c = parts("M-GET", "/r", &[("man", "\"http://example.org/e\"; ns=16"), ("16-foo", "x")]);
        let p = forward(filter(&settings(None), &mut c.clone(), "r", true));
        assert_eq!(p.head.method.as_str(), "M-GET");
        assert_eq!(p.head.headers["man"], "\"http://example.org/e\"; ns=16");
        assert_eq!(p.head.headers["16-foo"], "x");
    }

    #[test]
    fn x3_c_opt_and_its_prefix_are_hop_by_hop() {
        let c = parts("GET", "/r", &[("c-opt", "\"http://x\"; ns=12"), ("12-a", "b"), ("connection", "C-Opt, 12-a")]);
        let p = forward(filter(&settings(None), &mut c.clone(), "r", true));
        assert!(p.head.headers.get("c-opt").is_none() && p.head.headers.get("12-a").is_none());
        // Unlisted: removed all the same.
        let c = parts("GET", "/r", &[("c-opt", "\"http://x\"; ns=12"), ("12-a", "b")]);
        let p = forward(filter(&settings(None), &mut c.clone(), "r", true));
        assert!(p.head.headers.get("c-opt").is_none() && p.head.headers.get("12-a").is_none());
    }

    #[test]
    fn x9_soap_m_post_becomes_post_with_soapaction() {
        let registry = Registry::new().with(SoapExtension).unwrap();
        let c = parts(
            "M-POST",
            "/soap",
            &[("man", "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49"), ("49-soapaction", "\"urn:x#y\"")],
        );
        let p = forward(filter(&settings(Some(&registry)), &mut c.clone(), "soap", true));
        assert_eq!(p.head.method, Method::POST);
        assert_eq!(p.head.headers["soapaction"], "\"urn:x#y\"");
        assert!(p.head.headers.get("man").is_none() && p.head.headers.get("49-soapaction").is_none());
        assert!(p.fulfilled.is_some_and(|f| f.end_to_end()));
        // Unsupported hop-by-hop extension: 510; malformed declaration: 400.
        let c = parts("M-POST", "/soap", &[("c-man", "\"urn:x-other\""), ("connection", "C-Man")]);
        assert_eq!(refused(filter(&settings(Some(&registry)), &mut c.clone(), "soap", true)), 510);
        let c = parts("M-POST", "/soap", &[("man", "not a declaration")]);
        assert_eq!(refused(filter(&settings(Some(&registry)), &mut c.clone(), "soap", true)), 400);
    }
}
