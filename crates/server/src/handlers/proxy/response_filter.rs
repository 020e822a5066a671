//! Phase 4: the response filter. The upstream's response head as the client and the cache
//! get it: hop-by-hop fields gone (P-3, `C-Ext` included), `Via` appended (P-4), a `Date`
//! when upstream sent none (E-3), and `Ext`/`C-Ext` for extensions this gateway fulfilled
//! . Everything else passes unchanged: `Allow` (P-6), unknown cache directives (P-7),
//! unknown statuses (P-12).

use http::header::DATE;
use http::{response, Version};
use methodical_extension::{mark_response, Fulfilled};

use super::fields::{strip_hop_by_hop, Via};

/// Filters an upstream response head in place.
pub fn filter(parts: &mut response::Parts, via: &Via, fulfilled: Option<&Fulfilled>, via_http10: bool) {
    strip_hop_by_hop(&mut parts.headers);
    via.append(&mut parts.headers, parts.version);
    if !parts.headers.contains_key(DATE) {
        parts.headers.insert(DATE, crate::date::now());
    }
    if let Some(f) = fulfilled {
        mark_response(parts, f, via_http10);
    }
    // Our own connection writes its own version; the upstream's only mattered for Via.
    parts.version = Version::HTTP_11;
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Response;

    #[test]
    fn p3_p4_e3_response_head() {
        let (mut parts, ()) = Response::builder()
            .status(299)
            .version(Version::HTTP_10)
            .header("connection", "X-B, C-Ext")
            .header("x-b", "1")
            .header("c-ext", "")
            .header("keep-alive", "timeout=5")
            .header("allow", "GET, FOO")
            .header("cache-control", "max-age=60, x-ext=\"1\"")
            .body(())
            .unwrap()
            .into_parts();
        filter(&mut parts, &Via::new("edge"), None, false);
        assert_eq!(parts.status, 299);
        for gone in ["x-b", "c-ext", "keep-alive", "connection"] {
            assert!(parts.headers.get(gone).is_none(), "{gone}");
        }
        assert_eq!(parts.headers["allow"], "GET, FOO");
        assert_eq!(parts.headers["cache-control"], "max-age=60, x-ext=\"1\"");
        assert_eq!(parts.headers["via"], "1.0 edge");
        assert!(parts.headers.contains_key("date"));
    }

    #[test]
    fn e3_upstream_date_is_kept() {
        let (mut parts, ()) = Response::builder().header("date", "Sun, 06 Nov 1994 08:49:37 GMT").body(()).unwrap().into_parts();
        filter(&mut parts, &Via::new("edge"), None, false);
        assert_eq!(parts.headers["date"], "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
