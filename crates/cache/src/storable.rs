//! May this response be stored? (RFC 9111 §3, C-1, C-2, C-3, C-8.)

use http::header::{AUTHORIZATION, ETAG, EXPIRES, LAST_MODIFIED};
use http::{request, response, Method, StatusCode};

use crate::directives::{RequestCacheControl, ResponseCacheControl};
use crate::freshness::{heuristic_lifetime, is_heuristically_cacheable, HeuristicPolicy};
use crate::vary::VaryRule;

/// Why a response is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotStorable {
    /// Only GET and HEAD are understood by this cache (C-1).
    #[error("the cache only stores responses to GET and HEAD")]
    Method,
    /// 1xx responses are not final (C-2).
    #[error("interim (1xx) responses are never stored")]
    Interim,
    /// This cache does not combine partial content (C-2 project decision).
    #[error("206 Partial Content is never stored")]
    PartialContent,
    /// A 304 only freshens a stored response (C-2 project decision, RFC 9111 §4.3.4).
    #[error("304 Not Modified is used to freshen, never stored")]
    NotModified,
    /// 428, 429, 431 and 511 MUST NOT be stored (RFC 6585).
    #[error("RFC 6585 forbids storing this status")]
    ForbiddenStatus,
    /// `must-understand` with a status whose caching rules this cache does not know.
    #[error("must-understand with a status code the cache does not understand")]
    MustUnderstand,
    /// `no-store` in the request (C-9).
    #[error("the request has Cache-Control: no-store")]
    RequestNoStore,
    /// `no-store` in the response (C-8).
    #[error("the response has Cache-Control: no-store")]
    ResponseNoStore,
    /// `private`, qualified or not (C-3, A-10).
    #[error("the response has Cache-Control: private")]
    Private,
    /// The request carried `Authorization` and the response lacks `public`,
    /// `must-revalidate` and `s-maxage` (RFC 9111 §3.5).
    #[error("the request has Authorization and the response does not allow sharing it")]
    Authorization,
    /// `Vary: *` can never match a later request.
    #[error("the response has Vary: *")]
    VaryStar,
    /// Neither explicit freshness, `public`, nor a heuristically cacheable status (C-3).
    #[error("no explicit freshness, no public, and the status is not heuristically cacheable")]
    NoFreshness,
    /// Heuristic lifetime 0 (no `Last-Modified`) and no validator: it could never be reused
    /// (C-5, A-7).
    #[error("heuristically fresh for 0 s and without a validator")]
    Useless,
    /// The stored form would be larger than the configured `max_object_size`.
    #[error("larger than the maximum object size")]
    TooLarge,
    /// The request has no effective URI (no authority and no Host).
    #[error("the request has no effective request URI")]
    NoKey,
}

/// Settings that influence storability.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StorabilityOptions {
    /// The heuristic, used to tell a uselessly stored response (C-5).
    pub heuristic: HeuristicPolicy,
}

/// Statuses whose caching requirements this cache implements, for `must-understand`
/// (RFC 9111 §5.2.2.3). 206 and 304 are excluded: they are never stored.
fn understands_status(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200..=205 | 207 | 208 | 226 | 300..=303 | 305 | 307 | 308 | 400..=418 | 421..=426 | 500..=508 | 510
    ) && !matches!(status.as_u16(), 428 | 429 | 431 | 511)
}

/// Decides whether a shared cache may store `resp`, the answer to `req` (RFC 9111 §3).
pub fn storability(
    req: &request::Parts,
    resp: &response::Parts,
    opts: &StorabilityOptions,
) -> Result<(), NotStorable> {
    if req.method != Method::GET && req.method != Method::HEAD {
        return Err(NotStorable::Method);
    }
    let status = resp.status;
    match status.as_u16() {
        100..=199 => return Err(NotStorable::Interim),
        206 => return Err(NotStorable::PartialContent),
        304 => return Err(NotStorable::NotModified),
        428 | 429 | 431 | 511 => return Err(NotStorable::ForbiddenStatus),
        _ => {}
    }
    let cc = ResponseCacheControl::from_headers(&resp.headers);
    let understood_must_understand = cc.must_understand && understands_status(status);
    if cc.must_understand && !understood_must_understand {
        return Err(NotStorable::MustUnderstand);
    }
    if RequestCacheControl::from_headers(&req.headers).no_store {
        return Err(NotStorable::RequestNoStore);
    }
    // §5.2.2.3: a cache that understands the status ignores no-store next to
    // must-understand.
    if cc.no_store && !understood_must_understand {
        return Err(NotStorable::ResponseNoStore);
    }
    if cc.private {
        return Err(NotStorable::Private);
    }
    if req.headers.contains_key(AUTHORIZATION)
        && !(cc.public || cc.must_revalidate || cc.s_maxage.is_some())
    {
        return Err(NotStorable::Authorization);
    }
    if VaryRule::from_response(&resp.headers) == VaryRule::Star {
        return Err(NotStorable::VaryStar);
    }
    let explicit = cc.has_explicit_freshness() || resp.headers.contains_key(EXPIRES);
    if explicit {
        return Ok(());
    }
    if !(cc.public || is_heuristically_cacheable(status)) {
        return Err(NotStorable::NoFreshness);
    }
    let has_validator =
        resp.headers.contains_key(ETAG) || resp.headers.contains_key(LAST_MODIFIED);
    // Without a response time here, the Date fallback is irrelevant: heuristic_lifetime is
    // only asked whether it is zero, and that depends on Last-Modified being usable.
    let heuristic = heuristic_lifetime(&resp.headers, std::time::SystemTime::now(), &opts.heuristic);
    if heuristic.is_zero() && !has_validator {
        return Err(NotStorable::Useless);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Request, Response};

    fn check(method: &str, req_h: &[(&str, &str)], status: u16, resp_h: &[(&str, &str)]) -> Result<(), NotStorable> {
        let mut rb = Request::builder().method(method).uri("http://h/x");
        for (n, v) in req_h {
            rb = rb.header(*n, *v);
        }
        let mut pb = Response::builder().status(status);
        for (n, v) in resp_h {
            pb = pb.header(*n, *v);
        }
        let (req, ()) = rb.body(()).unwrap().into_parts();
        let (resp, ()) = pb.body(()).unwrap().into_parts();
        storability(&req, &resp, &StorabilityOptions::default())
    }

    const FRESH: &[(&str, &str)] = &[("cache-control", "max-age=60")];

    #[test]
    fn c1_only_get_and_head_are_stored() {
        assert_eq!(check("GET", &[], 200, FRESH), Ok(()));
        assert_eq!(check("HEAD", &[], 200, FRESH), Ok(()));
        for m in ["POST", "PUT", "DELETE", "OPTIONS", "FOO", "M-GET", "PROPFIND", "SEARCH", "get"] {
            assert_eq!(check(m, &[], 200, FRESH), Err(NotStorable::Method), "{m}");
        }
    }

    #[test]
    fn c2_partial_not_modified_and_interim_are_never_stored() {
        assert_eq!(check("GET", &[], 206, FRESH), Err(NotStorable::PartialContent));
        assert_eq!(check("GET", &[], 304, FRESH), Err(NotStorable::NotModified));
        assert_eq!(check("GET", &[], 103, FRESH), Err(NotStorable::Interim));
    }

    #[test]
    fn c3_rfc6585_statuses_are_never_stored() {
        for s in [428, 429, 431, 511] {
            assert_eq!(check("GET", &[], s, FRESH), Err(NotStorable::ForbiddenStatus), "{s}");
        }
    }

    #[test]
    fn c2_unknown_statuses_with_explicit_freshness_are_stored() {
        for s in [299, 499, 599, 302, 500, 503] {
            assert_eq!(check("GET", &[], s, FRESH), Ok(()), "{s}");
        }
    }

    #[test]
    fn c8_no_store_and_private_prevent_storing() {
        assert_eq!(check("GET", &[], 200, &[("cache-control", "max-age=60, No-StOrE")]), Err(NotStorable::ResponseNoStore));
        assert_eq!(check("GET", &[], 200, &[("cache-control", "private, max-age=60")]), Err(NotStorable::Private));
        assert_eq!(check("GET", &[], 200, &[("cache-control", "private=\"x\", max-age=60")]), Err(NotStorable::Private));
        assert_eq!(check("GET", &[("cache-control", "no-store")], 200, FRESH), Err(NotStorable::RequestNoStore));
    }

    #[test]
    fn c8_must_understand_overrides_no_store_only_for_understood_statuses() {
        let cc = &[("cache-control", "max-age=3600, no-store, must-understand")];
        assert_eq!(check("GET", &[], 200, cc), Ok(()));
        assert_eq!(check("GET", &[], 599, cc), Err(NotStorable::MustUnderstand));
    }

    #[test]
    fn c3_authorization_needs_public_must_revalidate_or_s_maxage() {
        let auth = &[("authorization", "FOO")];
        assert_eq!(check("GET", auth, 200, FRESH), Err(NotStorable::Authorization));
        for cc in ["max-age=60, public", "max-age=60, must-revalidate", "s-maxage=60"] {
            assert_eq!(check("GET", auth, 200, &[("cache-control", cc)]), Ok(()), "{cc}");
        }
    }

    #[test]
    fn c12_vary_star_is_not_stored() {
        assert_eq!(check("GET", &[], 200, &[("cache-control", "max-age=60"), ("vary", "Foo, *")]), Err(NotStorable::VaryStar));
    }

    #[test]
    fn c4_heuristic_statuses_need_last_modified_or_validator() {
        let lm = &[("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"), ("date", "Sun, 16 Nov 1994 08:49:37 GMT")];
        for s in [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501] {
            assert_eq!(check("GET", &[], s, lm), Ok(()), "{s}");
        }
        for s in [201, 202, 302, 307, 403, 500, 502, 503, 504, 599] {
            assert_eq!(check("GET", &[], s, lm), Err(NotStorable::NoFreshness), "{s}");
        }
        assert_eq!(check("GET", &[], 599, &[lm[0], lm[1], ("cache-control", "public")]), Ok(()));
    }

    #[test]
    fn c5_no_cache_control_no_last_modified_no_etag_is_not_stored() {
        assert_eq!(check("GET", &[], 200, &[]), Err(NotStorable::Useless));
        // With an ETag it is stored, always revalidated (lifetime 0, A-7).
        assert_eq!(check("GET", &[], 200, &[("etag", "\"a\"")]), Ok(()));
    }

    #[test]
    fn c6_invalid_expires_still_counts_as_explicit() {
        assert_eq!(check("GET", &[], 200, &[("expires", "0")]), Ok(()));
    }
}
