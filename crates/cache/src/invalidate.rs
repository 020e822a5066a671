//! Invalidation after unsafe requests (RFC 9111 §4.4, C-10, A-9).

use http::header::{HeaderValue, CONTENT_LOCATION, LOCATION};
use http::{response, Method};

use crate::key::CacheKey;

/// True for methods that are not known to be safe (RFC 9110 §9.2.1). Safe, and so never
/// invalidating: GET, HEAD, OPTIONS, TRACE, PROPFIND and SEARCH. Everything else is unsafe:
/// POST, PUT, DELETE, PATCH, the unsafe WebDAV methods (PROPPATCH, MKCOL, COPY, MOVE, LOCK,
/// UNLOCK), every `M-*` method and every unrecognised token.
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(
        method.as_str(),
        "GET" | "HEAD" | "OPTIONS" | "TRACE" | "PROPFIND" | "SEARCH"
    )
}

/// The primary keys to invalidate after `resp` answered a `req_method` request for
/// `req_key` (C-10). Each key stands for every stored variant of that URI, GET and HEAD.
///
/// Nothing for safe methods, nor for a response outside 2xx/3xx (A-9 project decision). Otherwise the
/// target URI, plus the `Location` and `Content-Location` URIs and, for COPY and MOVE, the
/// `Destination` URI, each only when it has the same origin (scheme, host, port) as the
/// target (RFC 9111 §4.4 forbids other origins).
pub fn invalidation_targets(
    req_method: &Method,
    req_key: &CacheKey,
    resp: &response::Parts,
    destination: Option<&HeaderValue>,
) -> Vec<CacheKey> {
    if !is_unsafe(req_method) || !(200..400).contains(&resp.status.as_u16()) {
        return Vec::new();
    }
    let mut targets = vec![req_key.clone()];
    let mut add = |value: Option<&HeaderValue>| {
        let Some(reference) = value.and_then(|v| v.to_str().ok()) else {
            return;
        };
        if let Some(key) = req_key.resolve(reference) {
            if key.origin() == req_key.origin() && !targets.contains(&key) {
                targets.push(key);
            }
        }
    };
    add(resp.headers.get(LOCATION));
    add(resp.headers.get(CONTENT_LOCATION));
    if matches!(req_method.as_str(), "COPY" | "MOVE") {
        add(destination);
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Request, Response};

    fn key(uri: &str) -> CacheKey {
        let (p, ()) = Request::builder().uri(uri).body(()).unwrap().into_parts();
        CacheKey::from_request(&p, "http").unwrap()
    }

    fn targets(method: &str, status: u16, h: &[(&str, &str)], dest: Option<&str>) -> Vec<String> {
        let mut b = Response::builder().status(status);
        for (n, v) in h {
            b = b.header(*n, *v);
        }
        let (resp, ()) = b.body(()).unwrap().into_parts();
        let dest = dest.map(|d| HeaderValue::from_str(d).unwrap());
        invalidation_targets(&Method::from_bytes(method.as_bytes()).unwrap(), &key("http://h.example/c"), &resp, dest.as_ref())
            .into_iter()
            .map(|k| k.to_string())
            .collect()
    }

    #[test]
    fn c10_unsafe_methods_invalidate_on_success() {
        for m in ["POST", "PUT", "DELETE", "PATCH", "FOO", "M-SEARCH", "M-GET", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK"] {
            assert_eq!(targets(m, 200, &[], None), ["http://h.example/c"], "{m}");
        }
        assert_eq!(targets("FOO", 204, &[], None).len(), 1);
        assert_eq!(targets("POST", 302, &[], None).len(), 1);
    }

    #[test]
    fn c10_safe_methods_never_invalidate() {
        for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "SEARCH"] {
            assert!(targets(m, 200, &[], None).is_empty(), "{m}");
        }
        assert!(targets("PROPFIND", 207, &[], None).is_empty());
    }

    #[test]
    fn c10_delete_404_invalidates_nothing() {
        assert!(targets("DELETE", 404, &[], None).is_empty());
        assert!(targets("POST", 500, &[], None).is_empty());
        assert!(targets("POST", 100, &[], None).is_empty());
    }

    #[test]
    fn c10_location_and_content_location_same_origin_only() {
        let t = targets("POST", 201, &[("location", "/new"), ("content-location", "c2")], None);
        assert_eq!(t, ["http://h.example/c", "http://h.example/new", "http://h.example/c2"]);
        let t = targets("POST", 201, &[("location", "http://other.example/new"), ("content-location", "https://h.example/c")], None);
        assert_eq!(t, ["http://h.example/c"]);
        let t = targets("PUT", 201, &[("location", "http://H.EXAMPLE:80/x")], None);
        assert_eq!(t, ["http://h.example/c", "http://h.example/x"]);
    }

    #[test]
    fn c10_destination_for_copy_and_move_only() {
        assert_eq!(targets("MOVE", 201, &[], Some("http://h.example/d")), ["http://h.example/c", "http://h.example/d"]);
        assert_eq!(targets("COPY", 204, &[], Some("/d")), ["http://h.example/c", "http://h.example/d"]);
        assert_eq!(targets("COPY", 201, &[], Some("http://evil.example/d")), ["http://h.example/c"]);
        assert_eq!(targets("PUT", 201, &[], Some("/d")), ["http://h.example/c"]);
    }
}
