//! Validation (RFC 9111 §4.3): conditional requests sent upstream, conditional requests
//! received from clients, freshening with 304 and HEAD responses, and `stale-if-error`.

use std::time::{Duration, SystemTime};

use http::header::{
    HeaderMap, HeaderName, HeaderValue, AGE, CONTENT_LENGTH, ETAG, IF_MATCH, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, IF_UNMODIFIED_SINCE, LAST_MODIFIED,
};
use http::{request, response, Method, StatusCode};

use crate::date::parse_http_date;
use crate::directives::{split_list, RequestCacheControl};
use crate::entry::StoredResponse;
use crate::fields::{connection_options, is_unstorable};
use crate::freshness::HeuristicPolicy;
use crate::reuse::{evaluate, Reuse};

/// Options for building conditional requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Send the stored `Date` as `If-Modified-Since` when the stored response has no
    /// `Last-Modified` (RFC 9110 §13.1.3 allows it, RFC 9111 §4.3.1 mentions it). Off by
    /// default: an origin that only honours exact `Last-Modified` matches gains nothing.
    pub date_fallback: bool,
}

/// The header fields to send upstream to validate `stored` (RFC 9111 §4.3.1):
/// `If-None-Match` with the stored entity tag(s), exactly as stored, and
/// `If-Modified-Since` with the stored `Last-Modified`. They replace any conditional
/// fields of the client's request; the cache evaluates the client's own conditions
/// itself afterwards ([`client_condition`]). Empty when the response has no validator.
pub fn conditional_headers(stored: &StoredResponse, opts: &ValidationOptions) -> HeaderMap {
    let mut out = HeaderMap::new();
    let etags: Vec<&HeaderValue> = stored.etags().collect();
    match etags.as_slice() {
        [] => {}
        [one] => {
            out.insert(IF_NONE_MATCH, (*one).clone());
        }
        many => {
            let joined = many
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&joined) {
                out.insert(IF_NONE_MATCH, v);
            }
        }
    }
    match stored.last_modified() {
        Some(lm) if parse_http_date(lm.as_bytes()).is_some() => {
            out.insert(IF_MODIFIED_SINCE, lm.clone());
        }
        None if opts.date_fallback => {
            if let Some(date) = stored.headers().get(http::header::DATE) {
                if parse_http_date(date.as_bytes()).is_some() {
                    out.insert(IF_MODIFIED_SINCE, date.clone());
                }
            }
        }
        _ => {}
    }
    out
}

/// Compares two entity tags with the weak comparison of RFC 9110 §8.8.3.2, leniently:
/// the `W/` prefix (either case) is ignored and an unquoted tag equals its quoted form.
pub fn weak_etag_eq(a: &[u8], b: &[u8]) -> bool {
    opaque(a) == opaque(b)
}

fn opaque(tag: &[u8]) -> &[u8] {
    let t = crate::directives::trim_ows(tag);
    let t = t
        .strip_prefix(b"W/")
        .or_else(|| t.strip_prefix(b"w/"))
        .unwrap_or(t);
    match t {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    }
}

/// What the client's own conditional fields say about a stored response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCondition {
    /// No conditional field the cache evaluates.
    None,
    /// The condition is false: answer `304 Not Modified` (RFC 9110 §13.1.2, §13.1.3).
    NotModified,
    /// The condition is true: send the full stored response.
    Modified,
}

/// Evaluates `If-None-Match` (weak comparison, `*` matches) and, when it is absent,
/// `If-Modified-Since` against a stored response, for GET and HEAD (RFC 9111 §4.3.2,
/// RFC 9110 §13.2.2). For `If-Modified-Since` the stored `Last-Modified` is used, else its
/// `Date`, else the time it was received.
pub fn client_condition(req: &request::Parts, stored: &StoredResponse) -> ClientCondition {
    if req.method != Method::GET && req.method != Method::HEAD {
        return ClientCondition::None;
    }
    let mut inm = req.headers.get_all(IF_NONE_MATCH).iter().peekable();
    if inm.peek().is_some() {
        let stored_tags: Vec<&HeaderValue> = stored.etags().collect();
        for line in inm {
            for tag in split_list(line.as_bytes()) {
                if tag == b"*" && !stored_tags.is_empty() {
                    return ClientCondition::NotModified;
                }
                if stored_tags.iter().any(|s| weak_etag_eq(s.as_bytes(), tag)) {
                    return ClientCondition::NotModified;
                }
            }
        }
        return ClientCondition::Modified;
    }
    let Some(ims) = req.headers.get(IF_MODIFIED_SINCE) else {
        return ClientCondition::None;
    };
    let Some(ims) = parse_http_date(ims.as_bytes()) else {
        // An invalid date makes the field ignored (RFC 9110 §13.1.3).
        return ClientCondition::None;
    };
    let reference = stored
        .last_modified()
        .and_then(|v| parse_http_date(v.as_bytes()))
        .or_else(|| stored.date())
        .unwrap_or_else(|| stored.response_time());
    if reference <= ims {
        ClientCondition::NotModified
    } else {
        ClientCondition::Modified
    }
}

/// True when the request carries preconditions only an origin server can evaluate
/// (`If-Match`, `If-Unmodified-Since`); such requests go upstream.
pub fn has_origin_only_preconditions(req: &request::Parts) -> bool {
    req.headers.contains_key(IF_MATCH) || req.headers.contains_key(IF_UNMODIFIED_SINCE)
}

/// Does a 304 (or a HEAD 200) response select `stored` for freshening
/// (RFC 9111 §4.3.4)? An `ETag` in the new response must match a stored one (weakly);
/// otherwise a `Last-Modified` must be equal; a response with neither validator selects
/// the response that was being validated.
pub fn validators_match(stored: &StoredResponse, new_headers: &HeaderMap) -> bool {
    if let Some(tag) = new_headers.get(ETAG) {
        return stored
            .etags()
            .any(|s| weak_etag_eq(s.as_bytes(), tag.as_bytes()));
    }
    if let Some(lm) = new_headers.get(LAST_MODIFIED) {
        return match (stored.last_modified(), parse_http_date(lm.as_bytes())) {
            (Some(s), Some(new)) => parse_http_date(s.as_bytes()) == Some(new),
            (Some(s), None) => s == lm,
            (None, _) => false,
        };
    }
    true
}

/// Updates `stored` with the header fields of a 304 (RFC 9111 §4.3.4, C-14): every field
/// the 304 carries replaces the stored lines of that name (in place, so the order is
/// kept), new fields are appended, and the fields describing the stored octets
/// (`Content-Length`, `Content-Encoding`, `Content-Range`, `Content-MD5`), `Connection`, the
/// fields it lists, the hop-by-hop and proxy fields are not copied. The body is kept. The timing becomes
/// that of the 304 exchange.
pub fn freshen(
    stored: &mut StoredResponse,
    resp_304: &response::Parts,
    request_time: SystemTime,
    response_time: SystemTime,
) {
    let headers = merged_headers(stored.headers(), &resp_304.headers);
    stored.replace_headers(headers, request_time, response_time);
}

/// Fields that describe the stored content octets themselves. A 304 or HEAD cannot change
/// those octets, so taking new values for these fields would mislabel them (RFC 9111 §3.2:
/// a cache MAY omit fields "necessary to assure integrity of the stored response", and
/// names Content-Range as one that MAY be ignored; RFC 9110 §8.6 for Content-Length).
const DESCRIBES_STORED_CONTENT: [&str; 4] = ["content-length", "content-encoding", "content-range", "content-md5"];

fn merged_headers(stored: &HeaderMap, new: &HeaderMap) -> HeaderMap {
    let listed = connection_options(new);
    let copied = |name: &HeaderName| !DESCRIBES_STORED_CONTENT.contains(&name.as_str()) && !is_unstorable(name, &listed);
    let mut out = HeaderMap::with_capacity(stored.len() + new.len());
    for name in stored.keys() {
        // Age describes the exchange that brought the stored response; after validation
        // the age is that of the validating response, whose own Age (if any) is taken.
        if name == AGE && !new.contains_key(AGE) {
            continue;
        }
        let source = if new.contains_key(name) && copied(name) {
            new
        } else {
            stored
        };
        for v in source.get_all(name) {
            out.append(name.clone(), v.clone());
        }
    }
    for name in new.keys() {
        if !out.contains_key(name) && copied(name) {
            for v in new.get_all(name) {
                out.append(name.clone(), v.clone());
            }
        }
    }
    out
}

/// Result of [`freshen_with_head`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadUpdate {
    /// Validators (and `Content-Length`) matched: the stored GET response was updated.
    Updated,
    /// They differed: the stored response is now treated as stale.
    MarkedStale,
    /// The HEAD response was not a 200; nothing changed.
    Ignored,
}

/// Uses a 200 answer to an inbound HEAD to update a stored GET response (RFC 9111
/// §4.3.5): if every validator the HEAD response carries (`ETag`, `Last-Modified`) and its
/// `Content-Length`, when present, match the stored ones, the stored response is freshened
/// like with a 304; otherwise it is marked stale.
pub fn freshen_with_head(
    stored: &mut StoredResponse,
    head: &response::Parts,
    request_time: SystemTime,
    response_time: SystemTime,
) -> HeadUpdate {
    if head.status != StatusCode::OK {
        return HeadUpdate::Ignored;
    }
    let same = |name: &HeaderName| match head.headers.get(name) {
        None => true,
        Some(v) => stored.headers().get(name) == Some(v),
    };
    let etag_ok = match head.headers.get(ETAG) {
        None => true,
        Some(v) => stored.etags().any(|s| s == v),
    };
    if etag_ok && same(&LAST_MODIFIED) && same(&CONTENT_LENGTH) {
        freshen(stored, head, request_time, response_time);
        HeadUpdate::Updated
    } else {
        stored.mark_invalidated();
        HeadUpdate::MarkedStale
    }
}

/// Why the upstream exchange failed, for [`stale_if_error_allows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// Upstream answered with this status.
    Status(StatusCode),
    /// The origin could not be talked to: no connection could be made (refused,
    /// unreachable, connect timeout), or it was closed or reset before any octet of an
    /// answer. The cache is "disconnected" in the sense of RFC 9111 §4.2.4.
    Unreachable,
    /// The origin was talked to but gave no usable response (response timeout, a response
    /// cut off or invalid). It is reachable and failing: like a 5xx, this allows a stale
    /// response only where `stale-if-error` does.
    NoResponse,
}

/// May `stored` be served (stale) because validating it failed (RFC 5861 §4, RFC 9111
/// §4.2.4, C-13)?
///
/// - Only a 500, 502, 503 or 504 answer, an unreachable upstream or one that gave no
///   usable response count as errors.
/// - Never when `no-cache`, `must-revalidate`, `proxy-revalidate` or `s-maxage` forbid
///   stale use, nor when the request's `no-cache` demanded validation.
/// - Allowed within the `stale-if-error` window (the request's, when it gives one, else
///   the response's).
/// - Without a window, allowed only when the origin could not be talked to
///   ([`UpstreamFailure::Unreachable`]) and `serve_when_disconnected` is set.
pub fn stale_if_error_allows(
    req: &request::Parts,
    stored: &StoredResponse,
    now: SystemTime,
    failure: UpstreamFailure,
    policy: &HeuristicPolicy,
    serve_when_disconnected: bool,
) -> bool {
    let is_error = match failure {
        UpstreamFailure::Status(s) => matches!(s.as_u16(), 500 | 502 | 503 | 504),
        UpstreamFailure::Unreachable | UpstreamFailure::NoResponse => true,
    };
    if !is_error || matches!(evaluate(req, stored, now, policy), Reuse::NotUsable(_)) {
        return false;
    }
    let cc = stored.cache_control();
    let rcc = RequestCacheControl::from_headers(&req.headers);
    if cc.forbids_stale() || rcc.no_cache || stored.is_invalidated() {
        return false;
    }
    let age = stored.current_age(now);
    let (lifetime, _) = stored.freshness_lifetime(policy);
    let staleness = age.saturating_sub(lifetime);
    match rcc.stale_if_error.or(cc.stale_if_error) {
        Some(window) => staleness <= Duration::from_secs(u64::from(window)),
        None => failure == UpstreamFailure::Unreachable && serve_when_disconnected,
    }
}

/// The `Age` the stored response would have at `now`, in whole seconds, for the `Age`
/// header (C-7).
pub fn age_header_value(stored: &StoredResponse, now: SystemTime) -> HeaderValue {
    HeaderValue::from(stored.current_age(now).as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::format_http_date;
    use bytes::Bytes;
    use http::{Request, Response};
    use std::time::UNIX_EPOCH;

    const T0: u64 = 1_700_000_000;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn req(method: &str, h: &[(&str, &str)]) -> request::Parts {
        let mut b = Request::builder().method(method).uri("http://h/x");
        for (n, v) in h {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn resp(status: u16, h: &[(&str, &str)]) -> response::Parts {
        let mut b = Response::builder().status(status);
        for (n, v) in h {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn stored(h: &[(&str, &str)]) -> StoredResponse {
        let date = format_http_date(at(T0));
        let mut all = vec![("date", date.as_str())];
        all.extend_from_slice(h);
        StoredResponse::new(&req("GET", &[]), &resp(200, &all), Bytes::from_static(b"body"), at(T0), at(T0)).unwrap()
    }

    const LM: &str = "Wed, 01 Jan 2020 00:00:00 GMT";

    #[test]
    fn conditional_request_uses_stored_etag_and_last_modified_verbatim() {
        let s = stored(&[("etag", "W/\"abc\""), ("last-modified", LM)]);
        let h = conditional_headers(&s, &ValidationOptions::default());
        assert_eq!(h.get(IF_NONE_MATCH).unwrap(), "W/\"abc\"");
        assert_eq!(h.get(IF_MODIFIED_SINCE).unwrap(), LM);
    }

    #[test]
    fn conditional_request_date_fallback_only_when_enabled() {
        let s = stored(&[]);
        assert!(conditional_headers(&s, &ValidationOptions::default()).is_empty());
        let h = conditional_headers(&s, &ValidationOptions { date_fallback: true });
        assert_eq!(h.get(IF_MODIFIED_SINCE).unwrap(), &format_http_date(at(T0)));
    }

    #[test]
    fn client_if_none_match_weak_comparison_and_lists() {
        let s = stored(&[("etag", "\"abcdef\"")]);
        for inm in ["\"abcdef\"", "W/\"abcdef\"", "\"1\", \"abcdef\", \"2\"", "*", "abcdef"] {
            assert_eq!(client_condition(&req("GET", &[("if-none-match", inm)]), &s), ClientCondition::NotModified, "{inm}");
        }
        assert_eq!(client_condition(&req("GET", &[("if-none-match", "\"x\"")]), &s), ClientCondition::Modified);
        // If-None-Match takes precedence over If-Modified-Since.
        let s = stored(&[("etag", "\"abcdef\""), ("last-modified", LM)]);
        let r = req("GET", &[("if-none-match", "\"abcdef\""), ("if-modified-since", "Tue, 01 Jan 2019 00:00:00 GMT")]);
        assert_eq!(client_condition(&r, &s), ClientCondition::NotModified);
        assert_eq!(client_condition(&req("POST", &[("if-none-match", "*")]), &s), ClientCondition::None);
    }

    #[test]
    fn client_if_modified_since_uses_last_modified() {
        let s = stored(&[("last-modified", LM)]);
        assert_eq!(client_condition(&req("GET", &[("if-modified-since", LM)]), &s), ClientCondition::NotModified);
        assert_eq!(client_condition(&req("GET", &[("if-modified-since", "Thu, 02 Jan 2020 00:00:00 GMT")]), &s), ClientCondition::NotModified);
        assert_eq!(client_condition(&req("GET", &[("if-modified-since", "Tue, 31 Dec 2019 00:00:00 GMT")]), &s), ClientCondition::Modified);
        assert_eq!(client_condition(&req("GET", &[("if-modified-since", "garbage")]), &s), ClientCondition::None);
    }

    #[test]
    fn c14_freshen_replaces_fields_but_keeps_content_length_and_body() {
        let mut s = stored(&[("etag", "\"e\""), ("content-length", "4"), ("test-header", "A"), ("x-keep", "1"), ("cache-control", "max-age=1")]);
        let r304 = resp(304, &[
            ("etag", "\"e\""),
            ("content-length", "10"),
            ("content-encoding", "gzip"),
            ("content-range", "bytes 0-1/2"),
            ("test-header", "B"),
            ("cache-control", "max-age=3600"),
            ("x-new", "n"),
            ("connection", "x-hop"),
            ("x-hop", "1"),
            ("keep-alive", "timeout=1"),
        ]);
        assert!(validators_match(&s, &r304.headers));
        freshen(&mut s, &r304, at(T0 + 10), at(T0 + 11));
        let h = s.headers();
        assert_eq!(h.get("test-header").unwrap(), "B");
        assert_eq!(h.get("content-length").unwrap(), "4");
        assert_eq!(h.get("cache-control").unwrap(), "max-age=3600");
        assert!(h.get("content-encoding").is_none() && h.get("content-range").is_none(), "never taken from a 304");
        assert_eq!(h.get("x-keep").unwrap(), "1");
        assert_eq!(h.get("x-new").unwrap(), "n");
        assert!(h.get("x-hop").is_none() && h.get("keep-alive").is_none() && h.get("connection").is_none());
        assert_eq!(s.body(), &Bytes::from_static(b"body"));
        assert_eq!(s.response_time(), at(T0 + 11));
        // Field order is kept: test-header still comes before x-keep.
        let names: Vec<_> = h.keys().map(|n| n.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("test-header") < pos("x-keep"));
    }

    #[test]
    fn c7_freshening_takes_the_age_of_the_validating_response() {
        let mut s = stored(&[("etag", "\"e\""), ("age", "3000"), ("cache-control", "max-age=3600")]);
        freshen(&mut s, &resp(304, &[("etag", "\"e\"")]), at(T0 + 10), at(T0 + 10));
        assert!(s.headers().get("age").is_none(), "the old Age does not outlive its exchange");
        assert_eq!(s.current_age(at(T0 + 10)), Duration::from_secs(10), "from the stored Date, not Age 3000");
        freshen(&mut s, &resp(304, &[("etag", "\"e\""), ("age", "5")]), at(T0 + 20), at(T0 + 20));
        assert_eq!(s.headers().get("age").unwrap(), "5");
    }

    #[test]
    fn a_304_with_other_validator_does_not_match() {
        let s = stored(&[("etag", "\"e\""), ("last-modified", LM)]);
        assert!(!validators_match(&s, &resp(304, &[("etag", "\"other\"")]).headers));
        assert!(!validators_match(&s, &resp(304, &[("last-modified", "Thu, 02 Jan 2020 00:00:00 GMT")]).headers));
        assert!(validators_match(&s, &resp(304, &[("last-modified", LM)]).headers));
        assert!(validators_match(&s, &resp(304, &[]).headers));
    }

    #[test]
    fn c11_head_freshening_updates_or_marks_stale() {
        let mut s = stored(&[("etag", "\"e\""), ("content-length", "4"), ("template-a", "1"), ("cache-control", "max-age=1")]);
        let head = resp(200, &[("etag", "\"e\""), ("content-length", "4"), ("template-a", "2"), ("cache-control", "max-age=1000")]);
        assert_eq!(freshen_with_head(&mut s, &head, at(T0), at(T0 + 5)), HeadUpdate::Updated);
        assert_eq!(s.headers().get("template-a").unwrap(), "2");
        let head = resp(200, &[("content-length", "99")]);
        assert_eq!(freshen_with_head(&mut s, &head, at(T0), at(T0 + 5)), HeadUpdate::MarkedStale);
        assert!(s.is_invalidated());
        assert_eq!(freshen_with_head(&mut s, &resp(404, &[]), at(T0), at(T0)), HeadUpdate::Ignored);
    }

    #[test]
    fn c13_stale_if_error_window_and_forbidding_directives() {
        let p = HeuristicPolicy::default();
        let r = req("GET", &[]);
        let e500 = UpstreamFailure::Status(StatusCode::INTERNAL_SERVER_ERROR);
        let s = stored(&[("cache-control", "max-age=0, stale-if-error=60")]);
        assert!(stale_if_error_allows(&r, &s, at(T0 + 30), e500, &p, false));
        assert!(!stale_if_error_allows(&r, &s, at(T0 + 61), e500, &p, false));
        assert!(!stale_if_error_allows(&r, &s, at(T0 + 30), UpstreamFailure::Status(StatusCode::NOT_FOUND), &p, false));
        // The request's window wins.
        let s = stored(&[("cache-control", "max-age=0")]);
        let r_sie = req("GET", &[("cache-control", "stale-if-error=1")]);
        assert!(stale_if_error_allows(&r_sie, &s, at(T0 + 1), e500, &p, false));
        assert!(!stale_if_error_allows(&r_sie, &s, at(T0 + 3), e500, &p, false));
        assert!(!stale_if_error_allows(&r, &s, at(T0 + 1), e500, &p, true));
        // Disconnected: allowed by configuration, unless forbidden.
        assert!(stale_if_error_allows(&r, &s, at(T0 + 100), UpstreamFailure::Unreachable, &p, true));
        assert!(!stale_if_error_allows(&r, &s, at(T0 + 100), UpstreamFailure::Unreachable, &p, false));
        // Reachable but failing (closed without answering): only stale-if-error allows it.
        assert!(!stale_if_error_allows(&r, &s, at(T0 + 100), UpstreamFailure::NoResponse, &p, true));
        let sie = stored(&[("cache-control", "max-age=0, stale-if-error=60")]);
        assert!(stale_if_error_allows(&r, &sie, at(T0 + 30), UpstreamFailure::NoResponse, &p, false));
        for cc in ["max-age=2, must-revalidate", "max-age=2, proxy-revalidate", "max-age=2, no-cache", "s-maxage=2"] {
            let s = stored(&[("cache-control", cc), ("cache-control", "stale-if-error=600")]);
            assert!(!stale_if_error_allows(&r, &s, at(T0 + 10), UpstreamFailure::Unreachable, &p, true), "{cc}");
        }
    }
}
