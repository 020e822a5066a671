//! May a stored response answer this request? (RFC 9111 §4, §4.2.4, §5.2.1; C-9, C-11,
//! C-12, C-13.)

use std::time::{Duration, SystemTime};

use http::{request, Method};

use crate::directives::{MaxStale, RequestCacheControl};
use crate::entry::StoredResponse;
use crate::freshness::HeuristicPolicy;
use crate::status::Forward;

/// Outcome of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Fresh and acceptable to the request: serve it with `Age: age`.
    Fresh {
        /// `current_age`.
        age: Duration,
        /// Remaining freshness (`lifetime − age`), for `Cache-Status: ttl`.
        ttl: Duration,
    },
    /// Stale, but serving it is explicitly permitted.
    StaleServable {
        /// `current_age`.
        age: Duration,
        /// Which permission applies.
        why: StalePermission,
    },
    /// Usable only after successful validation with the origin.
    MustValidate {
        /// `current_age`.
        age: Duration,
        /// Why validation is needed.
        why: ValidationReason,
    },
    /// This stored response cannot answer the request at all.
    NotUsable(Mismatch),
}

/// Why a stale response may be served (C-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StalePermission {
    /// The request's `max-stale` covers the staleness (RFC 9111 §5.2.1.2).
    MaxStale,
    /// Within the response's `stale-while-revalidate` window (RFC 5861 §3): serve it and
    /// revalidate in the background.
    WhileRevalidate,
}

/// Why validation is needed before reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationReason {
    /// The response is stale and no permission to serve it stale applies.
    Stale,
    /// The response has `no-cache` (§5.2.2.4).
    ResponseNoCache,
    /// The request has `no-cache` (§5.2.1.4).
    RequestNoCache,
    /// The response is older than the request's `max-age` (§5.2.1.1).
    RequestMaxAge,
    /// The response will not stay fresh for the request's `min-fresh` (§5.2.1.3).
    RequestMinFresh,
    /// A HEAD response showed the stored response is out of date (§4.3.5).
    Invalidated,
    /// Its `Age` field is not one non-negative integer (§5.1), so its freshness is not
    /// trusted without asking the origin.
    MalformedAge,
}

impl ValidationReason {
    /// The `fwd` of `Cache-Status` (RFC 9211 §2.2) for a validation with this reason:
    /// `request` when the client asked for it, `stale` otherwise.
    pub fn forward(self) -> Forward {
        match self {
            ValidationReason::RequestNoCache | ValidationReason::RequestMaxAge | ValidationReason::RequestMinFresh => Forward::Request,
            ValidationReason::Stale | ValidationReason::ResponseNoCache | ValidationReason::Invalidated | ValidationReason::MalformedAge => {
                Forward::Stale
            }
        }
    }
}

/// Why a stored response cannot be used for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The method does not match: only GET and HEAD are served, and a stored HEAD response
    /// answers only HEAD (C-11).
    Method,
    /// A field named in `Vary` differs (C-12).
    Vary,
}

/// Decides how `stored` may answer `req` at `now` (shared-cache rules).
pub fn evaluate(
    req: &request::Parts,
    stored: &StoredResponse,
    now: SystemTime,
    policy: &HeuristicPolicy,
) -> Reuse {
    let method_ok = match req.method {
        Method::GET => stored.method() == Method::GET,
        Method::HEAD => true,
        _ => false,
    };
    if !method_ok {
        return Reuse::NotUsable(Mismatch::Method);
    }
    if !stored.vary().matches(&req.headers) {
        return Reuse::NotUsable(Mismatch::Vary);
    }
    let rcc = RequestCacheControl::from_headers(&req.headers);
    let cc = stored.cache_control();
    let age = stored.current_age(now);
    let validate = |why| Reuse::MustValidate { age, why };
    if stored.is_invalidated() {
        return validate(ValidationReason::Invalidated);
    }
    // RFC 9111 §5.1 says to use the first member of a list and to ignore an invalid Age;
    // the age is computed that way. But a response whose Age was added to by several
    // intermediaries, or mangled, may be older than any value in it says, and the
    // conditions of §4 for reuse are necessary, never sufficient: such a response is
    // validated before reuse (what the HTTP cache test suite's age-parse tests expect).
    if !stored.age_inputs().age_is_clean {
        return validate(ValidationReason::MalformedAge);
    }
    if cc.no_cache {
        return validate(ValidationReason::ResponseNoCache);
    }
    if rcc.no_cache {
        return validate(ValidationReason::RequestNoCache);
    }
    if let Some(max_age) = rcc.max_age {
        if age > secs(max_age) {
            return validate(ValidationReason::RequestMaxAge);
        }
    }
    let (lifetime, _) = stored.freshness_lifetime(policy);
    if lifetime > age {
        let ttl = lifetime - age;
        if let Some(min_fresh) = rcc.min_fresh {
            if ttl < secs(min_fresh) {
                return validate(ValidationReason::RequestMinFresh);
            }
        }
        return Reuse::Fresh { age, ttl };
    }
    // Stale from here on (C-13).
    if cc.forbids_stale() {
        return validate(ValidationReason::Stale);
    }
    let staleness = age - lifetime;
    let max_stale_ok = match rcc.max_stale {
        Some(MaxStale::Any) => true,
        Some(MaxStale::Seconds(s)) => staleness <= secs(s),
        None => false,
    };
    if max_stale_ok {
        return Reuse::StaleServable {
            age,
            why: StalePermission::MaxStale,
        };
    }
    if let Some(swr) = cc.stale_while_revalidate {
        if staleness <= secs(swr) {
            return Reuse::StaleServable {
                age,
                why: StalePermission::WhileRevalidate,
            };
        }
    }
    validate(ValidationReason::Stale)
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
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

    fn stored(method: &str, req_h: &[(&str, &str)], resp_h: &[(&str, &str)]) -> StoredResponse {
        let mut rb = Request::builder().method(method).uri("http://h/x");
        for (n, v) in req_h {
            rb = rb.header(*n, *v);
        }
        let mut pb = Response::builder().header("date", format_http_date(at(T0)));
        for (n, v) in resp_h {
            pb = pb.header(*n, *v);
        }
        let (req, ()) = rb.body(()).unwrap().into_parts();
        let (resp, ()) = pb.body(()).unwrap().into_parts();
        StoredResponse::new(&req, &resp, Bytes::from_static(b"x"), at(T0), at(T0)).unwrap()
    }

    fn eval(method: &str, req_h: &[(&str, &str)], s: &StoredResponse, after: u64) -> Reuse {
        let mut rb = Request::builder().method(method).uri("http://h/x");
        for (n, v) in req_h {
            rb = rb.header(*n, *v);
        }
        let (req, ()) = rb.body(()).unwrap().into_parts();
        evaluate(&req, s, at(T0 + after), &HeuristicPolicy::default())
    }

    fn is_fresh(r: Reuse) -> bool {
        matches!(r, Reuse::Fresh { .. })
    }

    #[test]
    fn c7_fresh_reports_age_and_ttl() {
        let s = stored("GET", &[], &[("cache-control", "max-age=60")]);
        assert_eq!(
            eval("GET", &[], &s, 10),
            Reuse::Fresh { age: Duration::from_secs(10), ttl: Duration::from_secs(50) }
        );
        assert_eq!(
            eval("GET", &[], &s, 60),
            Reuse::MustValidate { age: Duration::from_secs(60), why: ValidationReason::Stale }
        );
    }

    #[test]
    fn c7_age_header_counts_towards_staleness() {
        let s = stored("GET", &[], &[("cache-control", "max-age=3600"), ("age", "7200")]);
        assert!(!is_fresh(eval("GET", &[], &s, 0)));
    }

    #[test]
    fn c7_a_mangled_age_field_means_validation_before_reuse() {
        for age in ["abc", "0, 0", "3600, 3600", "-1", "1.0", "0;x=1"] {
            let s = stored("GET", &[], &[("cache-control", "max-age=3600"), ("age", age)]);
            assert!(matches!(eval("GET", &[], &s, 0), Reuse::MustValidate { why: ValidationReason::MalformedAge, .. }), "{age}");
        }
        for age in ["10", "0,7200"] {
            let s = stored("GET", &[], &[("cache-control", "max-age=3600"), ("age", age)]);
            assert!(is_fresh(eval("GET", &[], &s, 0)), "{age}");
        }
    }

    #[test]
    fn c11_head_is_answered_from_get_but_get_never_from_head() {
        let get = stored("GET", &[], &[("cache-control", "max-age=60")]);
        let head = stored("HEAD", &[], &[("cache-control", "max-age=60")]);
        assert!(is_fresh(eval("HEAD", &[], &get, 1)));
        assert!(is_fresh(eval("HEAD", &[], &head, 1)));
        assert_eq!(eval("GET", &[], &head, 1), Reuse::NotUsable(Mismatch::Method));
        assert_eq!(eval("POST", &[], &get, 1), Reuse::NotUsable(Mismatch::Method));
    }

    #[test]
    fn c12_vary_mismatch_is_not_usable() {
        let s = stored("GET", &[("accept-language", "en")], &[("cache-control", "max-age=60"), ("vary", "Accept-Language")]);
        assert!(is_fresh(eval("GET", &[("accept-language", "en")], &s, 1)));
        assert_eq!(eval("GET", &[("accept-language", "fr")], &s, 1), Reuse::NotUsable(Mismatch::Vary));
        assert_eq!(eval("GET", &[], &s, 1), Reuse::NotUsable(Mismatch::Vary));
    }

    #[test]
    fn c8_response_no_cache_always_validates() {
        let s = stored("GET", &[], &[("cache-control", "max-age=10000, no-cache")]);
        assert!(matches!(eval("GET", &[], &s, 1), Reuse::MustValidate { why: ValidationReason::ResponseNoCache, .. }));
    }

    #[test]
    fn c9_request_no_cache_max_age_min_fresh() {
        let s = stored("GET", &[], &[("cache-control", "max-age=1500")]);
        assert!(matches!(eval("GET", &[("cache-control", "no-cache")], &s, 1), Reuse::MustValidate { why: ValidationReason::RequestNoCache, .. }));
        assert!(matches!(eval("GET", &[("cache-control", "max-age=0")], &s, 1), Reuse::MustValidate { why: ValidationReason::RequestMaxAge, .. }));
        assert!(is_fresh(eval("GET", &[("cache-control", "max-age=5")], &s, 1)));
        assert!(matches!(eval("GET", &[("cache-control", "min-fresh=2000")], &s, 1), Reuse::MustValidate { why: ValidationReason::RequestMinFresh, .. }));
        assert!(is_fresh(eval("GET", &[("cache-control", "min-fresh=100")], &s, 1)));
    }

    #[test]
    fn c9_max_stale_with_and_without_value() {
        let s = stored("GET", &[], &[("cache-control", "max-age=1")]);
        assert!(matches!(eval("GET", &[("cache-control", "max-stale=1000")], &s, 100), Reuse::StaleServable { why: StalePermission::MaxStale, .. }));
        assert!(matches!(eval("GET", &[("cache-control", "max-stale")], &s, 100_000), Reuse::StaleServable { .. }));
        assert!(matches!(eval("GET", &[("cache-control", "max-stale=10")], &s, 100), Reuse::MustValidate { .. }));
    }

    #[test]
    fn c13_stale_never_served_when_forbidden() {
        for cc in ["max-age=1, must-revalidate", "max-age=1, proxy-revalidate", "s-maxage=1", "max-age=1, no-cache"] {
            let s = stored("GET", &[], &[("cache-control", cc), ("cache-control", "stale-while-revalidate=1000")]);
            assert!(matches!(eval("GET", &[("cache-control", "max-stale")], &s, 100), Reuse::MustValidate { .. }), "{cc}");
        }
    }

    #[test]
    fn c13_stale_while_revalidate_only_within_its_window() {
        let s = stored("GET", &[], &[("cache-control", "max-age=1, stale-while-revalidate=4")]);
        assert!(matches!(eval("GET", &[], &s, 3), Reuse::StaleServable { why: StalePermission::WhileRevalidate, .. }));
        assert!(matches!(eval("GET", &[], &s, 6), Reuse::MustValidate { why: ValidationReason::Stale, .. }));
    }

    #[test]
    fn c6_s_maxage_shorter_than_max_age_makes_it_stale() {
        let s = stored("GET", &[], &[("cache-control", "s-maxage=1, max-age=100")]);
        assert!(matches!(eval("GET", &[], &s, 2), Reuse::MustValidate { .. }));
        let s = stored("GET", &[], &[("cache-control", "max-age=1, s-maxage=3600")]);
        assert!(is_fresh(eval("GET", &[], &s, 2)));
    }

    #[test]
    fn c5_heuristic_freshness_is_used() {
        let lm = format_http_date(at(T0 - 10 * 24 * 3600));
        let s = stored("GET", &[], &[("last-modified", &lm)]);
        assert!(is_fresh(eval("GET", &[], &s, 60)));
        let s = stored("GET", &[], &[("etag", "\"a\"")]);
        assert!(matches!(eval("GET", &[], &s, 0), Reuse::MustValidate { .. }));
    }
}
