//! End-to-end checks of the `Cache` facade, driven the way the proxy drives it. Test names
//! carry the checklist rows (T-) and requirement ids (C-) of the specification digest.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{request, response, Method, Request, Response, StatusCode};
use methodical_cache::date::format_http_date;
use methodical_cache::{
    BypassReason, Cache, CacheConfig, Forward, Freshened, Lookup, NotStorable, StoreOutcome, UpstreamFailure,
};

const T0: u64 = 1_700_000_000;

fn at(s: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(s)
}

fn cache() -> Cache {
    Cache::memory_only(CacheConfig::default())
}

fn req(method: &str, path: &str, h: &[(&str, &str)]) -> request::Parts {
    let mut b = Request::builder().method(method).uri(path).header("host", "origin.test");
    for (n, v) in h {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap().into_parts().0
}

/// An upstream response dated T0 (plus `h`).
fn resp(status: u16, h: &[(&str, &str)]) -> response::Parts {
    let mut b = Response::builder().status(status).header("date", format_http_date(at(T0)));
    for (n, v) in h {
        b = b.header(*n, *v);
    }
    b.body(()).unwrap().into_parts().0
}

async fn put(c: &Cache, r: &request::Parts, p: &response::Parts, body: &'static str) -> StoreOutcome {
    c.store(r, p, Bytes::from_static(body.as_bytes()), at(T0), at(T0)).await
}

fn header<'a>(p: &'a response::Parts, name: &str) -> Vec<&'a str> {
    p.headers.get_all(name).iter().map(|v| v.to_str().unwrap()).collect()
}

#[tokio::test]
async fn t37_c7_second_get_is_served_with_age_and_every_stored_line() {
    let c = cache();
    let r = req("GET", "/proxy/c", &[]);
    let p = resp(200, &[
        ("cache-control", "max-age=60"),
        ("set-cookie", "a=1"),
        ("set-cookie", "b=2"),
        ("x-unknown", "kept"),
        ("age", "3"),
        ("connection", "x-hop"),
        ("x-hop", "dropped"),
        ("cache-status", "upstream; hit"),
    ]);
    assert_eq!(put(&c, &r, &p, "hello").await, StoreOutcome::Stored);
    let Lookup::Hit(hit) = c.lookup(&r, at(T0 + 5)).await else { panic!("expected a hit") };
    assert_eq!(hit.parts.status, StatusCode::OK);
    assert_eq!(header(&hit.parts, "age"), ["8"], "Age replaces the stored one: 3 + 5 s resident");
    assert_eq!(header(&hit.parts, "set-cookie"), ["a=1", "b=2"]);
    assert_eq!(header(&hit.parts, "x-unknown"), ["kept"]);
    assert!(header(&hit.parts, "x-hop").is_empty() && header(&hit.parts, "connection").is_empty());
    assert_eq!(header(&hit.parts, "cache-status"), ["upstream; hit", "methodical; hit; ttl=52"]);
    assert!(header(&hit.parts, "warning").is_empty());
    assert_eq!(hit.body, "hello");
}

#[tokio::test]
async fn t38_c11_head_is_answered_from_the_stored_get_without_body() {
    let c = cache();
    let p = resp(200, &[("cache-control", "max-age=60"), ("content-length", "5")]);
    put(&c, &req("GET", "/proxy/c", &[]), &p, "hello").await;
    let Lookup::Hit(hit) = c.lookup(&req("HEAD", "/proxy/c", &[]), at(T0 + 1)).await else { panic!() };
    assert!(hit.body.is_empty());
    assert_eq!(header(&hit.parts, "content-length"), ["5"]);
    assert_eq!(header(&hit.parts, "age"), ["1"]);
}

#[tokio::test]
async fn c11_stored_head_never_answers_get() {
    let c = cache();
    let p = resp(200, &[("cache-control", "max-age=60")]);
    assert_eq!(put(&c, &req("HEAD", "/h", &[]), &p, "").await, StoreOutcome::Stored);
    assert!(matches!(c.lookup(&req("HEAD", "/h", &[]), at(T0 + 1)).await, Lookup::Hit(_)));
    assert!(matches!(c.lookup(&req("GET", "/h", &[]), at(T0 + 1)).await, Lookup::Miss { why: Forward::UriMiss, .. }));
}

async fn cached_then(method: &str, status: u16) -> Lookup {
    let c = cache();
    let get = req("GET", "/proxy/c", &[]);
    put(&c, &get, &resp(200, &[("cache-control", "max-age=60")]), "x").await;
    let unsafe_req = req(method, "/proxy/c", &[]);
    assert!(matches!(c.lookup(&unsafe_req, at(T0)).await, Lookup::Bypass(BypassReason::Method)) || method == "GET");
    c.invalidate_after(&unsafe_req, &resp(status, &[])).await;
    c.lookup(&get, at(T0 + 1)).await
}

#[tokio::test]
async fn t39_c10_post_200_invalidates() {
    assert!(matches!(cached_then("POST", 200).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn t40_c10_unknown_method_204_invalidates() {
    assert!(matches!(cached_then("FOO", 204).await, Lookup::Miss { .. }));
    assert!(matches!(cached_then("M-SEARCH", 200).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn t41_c10_delete_404_leaves_the_entry() {
    assert!(matches!(cached_then("DELETE", 404).await, Lookup::Hit(_)));
    assert!(matches!(cached_then("POST", 500).await, Lookup::Hit(_)));
}

#[tokio::test]
async fn t42_c10_propfind_207_leaves_the_entry() {
    assert!(matches!(cached_then("PROPFIND", 207).await, Lookup::Hit(_)));
}

#[tokio::test]
async fn c10_invalidation_removes_every_variant_and_location_targets() {
    let c = cache();
    let vary = resp(200, &[("cache-control", "max-age=60"), ("vary", "Accept-Language")]);
    put(&c, &req("GET", "/v", &[("accept-language", "en")]), &vary, "en").await;
    put(&c, &req("GET", "/v", &[("accept-language", "fr")]), &vary, "fr").await;
    put(&c, &req("HEAD", "/v", &[("accept-language", "de")]), &vary, "").await;
    put(&c, &req("GET", "/loc", &[]), &resp(200, &[("cache-control", "max-age=60")]), "l").await;
    let key = c.key_for(&req("GET", "/v", &[])).unwrap();
    assert_eq!(c.storage().get(&key).await.unwrap().len(), 3);
    let n = c
        .invalidate_after(&req("PUT", "/v", &[]), &resp(201, &[("location", "/loc"), ("content-location", "http://elsewhere.test/loc")]))
        .await;
    assert_eq!(n, 2);
    assert!(c.storage().get(&key).await.is_none());
    assert!(matches!(c.lookup(&req("GET", "/loc", &[]), at(T0)).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn t43_c1_unknown_method_is_never_stored() {
    let c = cache();
    let r = req("FOO", "/proxy/u", &[]);
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::Bypass(BypassReason::Method)));
    assert_eq!(put(&c, &r, &resp(200, &[("cache-control", "max-age=60")]), "x").await, StoreOutcome::NotStored(NotStorable::Method));
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::Bypass(_)));
}

#[tokio::test]
async fn t44_c4_c5_heuristic_freshness_from_last_modified() {
    let c = cache();
    let r = req("GET", "/h", &[]);
    let lm = format_http_date(at(T0 - 10 * 24 * 3600));
    assert_eq!(put(&c, &r, &resp(200, &[("last-modified", &lm)]), "x").await, StoreOutcome::Stored);
    let Lookup::Hit(hit) = c.lookup(&r, at(T0 + 1)).await else { panic!() };
    assert_eq!(header(&hit.parts, "age"), ["1"]);
    // 24 h cap, lifetime 1 day: stale after that.
    assert!(matches!(c.lookup(&r, at(T0 + 24 * 3600 + 1)).await, Lookup::MustValidate(_)));
}

#[tokio::test]
async fn c4_405_to_get_is_heuristically_cacheable() {
    let c = cache();
    let r = req("GET", "/g405", &[]);
    let lm = format_http_date(at(T0 - 10 * 24 * 3600));
    assert_eq!(put(&c, &r, &resp(405, &[("allow", "POST"), ("last-modified", &lm)]), "x").await, StoreOutcome::Stored);
    assert!(matches!(c.lookup(&r, at(T0 + 1)).await, Lookup::Hit(_)));
}

#[tokio::test]
async fn t45_c5_no_freshness_no_validator_is_not_stored() {
    let c = cache();
    let r = req("GET", "/n", &[]);
    assert_eq!(put(&c, &r, &resp(200, &[]), "x").await, StoreOutcome::NotStored(NotStorable::Useless));
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::Miss { why: Forward::UriMiss, .. }));
}

#[tokio::test]
async fn t46_c3_no_store_and_private_are_not_reused() {
    let c = cache();
    let r = req("GET", "/p", &[]);
    assert_eq!(put(&c, &r, &resp(200, &[("cache-control", "no-store")]), "x").await, StoreOutcome::NotStored(NotStorable::ResponseNoStore));
    assert_eq!(put(&c, &r, &resp(200, &[("cache-control", "private, max-age=60")]), "x").await, StoreOutcome::NotStored(NotStorable::Private));
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn t47_c3_authorization_reused_only_with_s_maxage() {
    let c = cache();
    let r = req("GET", "/a", &[("authorization", "Basic eA==")]);
    assert_eq!(put(&c, &r, &resp(200, &[("cache-control", "max-age=60")]), "x").await, StoreOutcome::NotStored(NotStorable::Authorization));
    assert_eq!(put(&c, &r, &resp(200, &[("cache-control", "s-maxage=60")]), "x").await, StoreOutcome::Stored);
    assert!(matches!(c.lookup(&r, at(T0 + 1)).await, Lookup::Hit(_)));
}

#[tokio::test]
async fn t48_c12_vary_mismatch_goes_upstream_and_variants_coexist() {
    let c = cache();
    let vary = |date: u64| {
        let mut p = resp(200, &[("cache-control", "max-age=60"), ("vary", "Accept-Language")]);
        p.headers.insert("date", format_http_date(at(date)).parse().unwrap());
        p
    };
    put(&c, &req("GET", "/v", &[("accept-language", "en")]), &vary(T0), "en").await;
    assert!(matches!(
        c.lookup(&req("GET", "/v", &[("accept-language", "fr")]), at(T0 + 1)).await,
        Lookup::Miss { why: Forward::VaryMiss, .. }
    ));
    put(&c, &req("GET", "/v", &[("accept-language", "fr")]), &vary(T0), "fr").await;
    let Lookup::Hit(en) = c.lookup(&req("GET", "/v", &[("accept-language", "en")]), at(T0 + 1)).await else { panic!() };
    assert_eq!(en.body, "en");
    let Lookup::Hit(fr) = c.lookup(&req("GET", "/v", &[("accept-language", "fr")]), at(T0 + 1)).await else { panic!() };
    assert_eq!(fr.body, "fr");
}

#[tokio::test]
async fn c12_several_matching_variants_most_recent_date_wins() {
    let c = cache();
    // Two HEAD/GET variants both usable for HEAD: the later Date wins.
    let mut older = resp(200, &[("cache-control", "max-age=600"), ("x-which", "get")]);
    older.headers.insert("date", format_http_date(at(T0 - 10)).parse().unwrap());
    put(&c, &req("GET", "/m", &[]), &older, "x").await;
    let newer = resp(200, &[("cache-control", "max-age=600"), ("x-which", "head")]);
    put(&c, &req("HEAD", "/m", &[]), &newer, "").await;
    let Lookup::Hit(hit) = c.lookup(&req("HEAD", "/m", &[]), at(T0 + 1)).await else { panic!() };
    assert_eq!(header(&hit.parts, "x-which"), ["head"]);
}

#[tokio::test]
async fn t49_c3_429_is_not_stored() {
    let c = cache();
    let r = req("GET", "/r", &[]);
    assert_eq!(put(&c, &r, &resp(429, &[("cache-control", "max-age=60")]), "x").await, StoreOutcome::NotStored(NotStorable::ForbiddenStatus));
}

#[tokio::test]
async fn t50_c9_only_if_cached_without_entry_is_a_504_outcome() {
    let c = cache();
    let r = req("GET", "/none", &[("cache-control", "only-if-cached")]);
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::OnlyIfCachedMiss));
    // A stale entry that would need validation does not count either.
    put(&c, &req("GET", "/none", &[]), &resp(200, &[("cache-control", "max-age=1"), ("etag", "\"a\"")]), "x").await;
    assert!(matches!(c.lookup(&r, at(T0 + 5)).await, Lookup::OnlyIfCachedMiss));
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::Hit(_)));
}

#[tokio::test]
async fn c9_request_no_store_bypasses_and_no_cache_validates() {
    let c = cache();
    put(&c, &req("GET", "/q", &[]), &resp(200, &[("cache-control", "max-age=60"), ("etag", "\"e\"")]), "x").await;
    assert!(matches!(c.lookup(&req("GET", "/q", &[("cache-control", "no-store")]), at(T0)).await, Lookup::Bypass(BypassReason::RequestNoStore)));
    let Lookup::MustValidate(rv) = c.lookup(&req("GET", "/q", &[("cache-control", "no-cache")]), at(T0)).await else { panic!() };
    assert_eq!(rv.conditional_headers.get("if-none-match").unwrap(), "\"e\"");
}

#[tokio::test]
async fn c8_validation_with_304_freshens_and_updates_headers() {
    let c = cache();
    let r = req("GET", "/val", &[]);
    let lm = "Wed, 01 Jan 2020 00:00:00 GMT";
    put(&c, &r, &resp(200, &[("cache-control", "max-age=2"), ("etag", "\"v1\""), ("last-modified", lm), ("test-header", "A"), ("content-length", "4")]), "body").await;
    let Lookup::MustValidate(rv) = c.lookup(&r, at(T0 + 3)).await else { panic!("stale must validate") };
    assert_eq!(rv.conditional_headers.get("if-none-match").unwrap(), "\"v1\"");
    assert_eq!(rv.conditional_headers.get("if-modified-since").unwrap(), lm);
    let mut r304 = resp(304, &[("cache-control", "max-age=3600"), ("etag", "\"v1\""), ("test-header", "B"), ("content-length", "0")]);
    r304.headers.insert("date", format_http_date(at(T0 + 3)).parse().unwrap());
    let Freshened::Updated(out) = c.freshen_with_304(&r, &rv, &r304, at(T0 + 3), at(T0 + 3)).await else { panic!() };
    assert_eq!(out.parts.status, StatusCode::OK);
    assert_eq!(out.body, "body");
    assert_eq!(header(&out.parts, "test-header"), ["B"]);
    assert_eq!(header(&out.parts, "content-length"), ["4"]);
    assert_eq!(header(&out.parts, "cache-status"), ["methodical; fwd=stale; fwd-status=304"]);
    let Lookup::Hit(hit) = c.lookup(&r, at(T0 + 10)).await else { panic!("freshened entry is fresh") };
    assert_eq!(header(&hit.parts, "test-header"), ["B"]);
    assert_eq!(header(&hit.parts, "age"), ["7"]);
}

#[tokio::test]
async fn c8_a_304_with_another_etag_does_not_match() {
    let c = cache();
    let r = req("GET", "/nm", &[]);
    put(&c, &r, &resp(200, &[("cache-control", "max-age=1"), ("etag", "\"v1\"")]), "x").await;
    let Lookup::MustValidate(rv) = c.lookup(&r, at(T0 + 5)).await else { panic!() };
    let r304 = resp(304, &[("etag", "\"v2\"")]);
    assert!(matches!(c.freshen_with_304(&r, &rv, &r304, at(T0 + 5), at(T0 + 5)).await, Freshened::NoMatch));
}

#[tokio::test]
async fn c8_a_full_answer_to_validation_replaces_the_entry() {
    let c = cache();
    let r = req("GET", "/rep", &[]);
    put(&c, &r, &resp(200, &[("cache-control", "max-age=1"), ("etag", "\"v1\"")]), "old").await;
    assert!(matches!(c.lookup(&r, at(T0 + 5)).await, Lookup::MustValidate(_)));
    let mut newer = resp(200, &[("cache-control", "max-age=60"), ("etag", "\"v2\"")]);
    newer.headers.insert("date", format_http_date(at(T0 + 5)).parse().unwrap());
    c.store(&r, &newer, Bytes::from_static(b"new"), at(T0 + 5), at(T0 + 5)).await;
    let Lookup::Hit(hit) = c.lookup(&r, at(T0 + 6)).await else { panic!() };
    assert_eq!(hit.body, "new");
    let key = c.key_for(&r).unwrap();
    assert_eq!(c.storage().get(&key).await.unwrap().len(), 1);
}

#[tokio::test]
async fn client_if_none_match_on_fresh_entry_gets_304_with_etag() {
    let c = cache();
    put(&c, &req("GET", "/e", &[]), &resp(200, &[("cache-control", "max-age=60"), ("etag", "\"abcdef\""), ("x-other", "1")]), "x").await;
    let Lookup::Hit(hit) = c.lookup(&req("GET", "/e", &[("if-none-match", "\"1\", \"abcdef\"")]), at(T0 + 1)).await else { panic!() };
    assert_eq!(hit.parts.status, StatusCode::NOT_MODIFIED);
    assert_eq!(header(&hit.parts, "etag"), ["\"abcdef\""]);
    assert!(header(&hit.parts, "x-other").is_empty());
    assert!(hit.body.is_empty());
}

#[tokio::test]
async fn client_if_modified_since_after_validation_gets_304() {
    let c = cache();
    let lm = format_http_date(at(T0 - 3000));
    let r = req("GET", "/lm", &[("if-modified-since", &lm)]);
    put(&c, &req("GET", "/lm", &[]), &resp(200, &[("cache-control", "max-age=2"), ("last-modified", &lm)]), "x").await;
    let Lookup::MustValidate(rv) = c.lookup(&r, at(T0 + 3)).await else { panic!() };
    let r304 = resp(304, &[("last-modified", &lm)]);
    let Freshened::Updated(out) = c.freshen_with_304(&r, &rv, &r304, at(T0 + 3), at(T0 + 3)).await else { panic!() };
    assert_eq!(out.parts.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn range_request_is_served_from_a_complete_stored_response() {
    let c = cache();
    put(&c, &req("GET", "/r", &[]), &resp(200, &[("cache-control", "max-age=60"), ("content-length", "11")]), "01234567890").await;
    for (range, body, cr) in [
        ("bytes=0-1", "01", "bytes 0-1/11"),
        ("bytes=1-", "1234567890", "bytes 1-10/11"),
        ("bytes=-1", "0", "bytes 10-10/11"),
    ] {
        let Lookup::Hit(hit) = c.lookup(&req("GET", "/r", &[("range", range)]), at(T0 + 1)).await else { panic!() };
        assert_eq!(hit.parts.status, StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(hit.body, body);
        assert_eq!(header(&hit.parts, "content-range"), [cr]);
        assert_eq!(header(&hit.parts, "content-length"), [body.len().to_string().as_str()]);
    }
    // Several ranges, unsatisfiable ranges and a failed If-Range get the full response.
    for h in [vec![("range", "bytes=0-1,3-4")], vec![("range", "bytes=50-")], vec![("range", "bytes=0-1"), ("if-range", "\"nope\"")]] {
        let Lookup::Hit(hit) = c.lookup(&req("GET", "/r", &h), at(T0 + 1)).await else { panic!() };
        assert_eq!(hit.parts.status, StatusCode::OK, "{h:?}");
    }
}

#[tokio::test]
async fn c13_stale_while_revalidate_serves_and_asks_for_background_validation() {
    let c = cache();
    let r = req("GET", "/swr", &[]);
    put(&c, &r, &resp(200, &[("cache-control", "max-age=1, stale-while-revalidate=60"), ("etag", "\"abc\"")]), "x").await;
    let Lookup::Stale { response, revalidate: Some(rv) } = c.lookup(&r, at(T0 + 5)).await else { panic!() };
    assert_eq!(response.parts.status, StatusCode::OK);
    assert_eq!(rv.conditional_headers.get("if-none-match").unwrap(), "\"abc\"");
    assert!(matches!(c.lookup(&r, at(T0 + 100)).await, Lookup::MustValidate(_)));
    // max-stale from the client: served without background validation.
    let ms = req("GET", "/swr", &[("cache-control", "max-stale")]);
    assert!(matches!(c.lookup(&ms, at(T0 + 100)).await, Lookup::Stale { revalidate: None, .. }));
}

#[tokio::test]
async fn c13_stale_if_error_and_disconnection() {
    let c = cache();
    let r = req("GET", "/sie", &[]);
    put(&c, &r, &resp(200, &[("cache-control", "max-age=0, stale-if-error=60")]), "stale").await;
    let Lookup::MustValidate(rv) = c.lookup(&r, at(T0 + 10)).await else { panic!() };
    let served = c.stale_on_error(&r, &rv, UpstreamFailure::Status(StatusCode::SERVICE_UNAVAILABLE), at(T0 + 10)).unwrap();
    assert_eq!(served.body, "stale");
    assert!(c.stale_on_error(&r, &rv, UpstreamFailure::Status(StatusCode::NOT_FOUND), at(T0 + 10)).is_none());
    assert!(c.stale_on_error(&r, &rv, UpstreamFailure::Status(StatusCode::INTERNAL_SERVER_ERROR), at(T0 + 100)).is_none());
    put(&c, &r, &resp(200, &[("cache-control", "max-age=2, must-revalidate")]), "mr").await;
    let Lookup::MustValidate(rv) = c.lookup(&r, at(T0 + 10)).await else { panic!() };
    assert!(c.stale_on_error(&r, &rv, UpstreamFailure::Unreachable, at(T0 + 10)).is_none());
}

#[tokio::test]
async fn c11_head_200_updates_the_stored_get() {
    let c = cache();
    let get = req("GET", "/hu", &[]);
    put(&c, &get, &resp(200, &[("cache-control", "max-age=2"), ("template-a", "1")]), "x").await;
    let head = req("HEAD", "/hu", &[]);
    c.store(&head, &resp(200, &[("cache-control", "max-age=1000"), ("template-a", "2")]), Bytes::new(), at(T0 + 5), at(T0 + 5)).await;
    let Lookup::Hit(hit) = c.lookup(&get, at(T0 + 6)).await else { panic!("freshened by HEAD") };
    assert_eq!(header(&hit.parts, "template-a"), ["2"]);
    assert_eq!(hit.body, "x");
    // A HEAD showing another Content-Length marks the GET stale.
    c.store(&head, &resp(200, &[("cache-control", "max-age=1000"), ("content-length", "999")]), Bytes::new(), at(T0 + 7), at(T0 + 7)).await;
    let Lookup::Hit(hit) = c.lookup(&head, at(T0 + 8)).await else { panic!("the HEAD response itself is stored") };
    assert_eq!(header(&hit.parts, "content-length"), ["999"]);
    assert!(matches!(c.lookup(&get, at(T0 + 8)).await, Lookup::MustValidate(_)));
}

#[tokio::test]
async fn purge_drops_everything_and_reports_it() {
    let c = cache();
    put(&c, &req("GET", "/pg", &[]), &resp(200, &[("cache-control", "max-age=60")]), "x").await;
    let key = c.key_for(&req("GET", "/pg", &[])).unwrap();
    assert!(c.purge(&key).await);
    assert!(!c.purge(&key).await);
    assert!(matches!(c.lookup(&req("GET", "/pg", &[]), at(T0)).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn oversized_objects_are_never_stored() {
    let c = Cache::memory_only(CacheConfig { max_object_size: 1000, ..CacheConfig::default() });
    let big: &'static str = Box::leak("x".repeat(2000).into_boxed_str());
    let r = req("GET", "/big", &[]);
    assert_eq!(put(&c, &r, &resp(200, &[("cache-control", "max-age=60")]), big).await, StoreOutcome::NotStored(NotStorable::TooLarge));
    assert!(matches!(c.lookup(&r, at(T0)).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn c8_no_cache_response_is_stored_but_always_validated() {
    let c = cache();
    let r = req("GET", "/nc", &[]);
    put(&c, &r, &resp(200, &[("cache-control", "max-age=10000, no-cache"), ("etag", "\"abcd\"")]), "x").await;
    let Lookup::MustValidate(rv) = c.lookup(&r, at(T0 + 1)).await else { panic!() };
    assert_eq!(rv.conditional_headers.get("if-none-match").unwrap(), "\"abcd\"");
}

#[tokio::test]
async fn c6_query_is_part_of_the_key() {
    let c = cache();
    put(&c, &req("GET", "/q?a=1", &[]), &resp(200, &[("cache-control", "max-age=60")]), "x").await;
    assert!(matches!(c.lookup(&req("GET", "/q?a=1", &[]), at(T0)).await, Lookup::Hit(_)));
    assert!(matches!(c.lookup(&req("GET", "/q?a=2", &[]), at(T0)).await, Lookup::Miss { .. }));
}

#[tokio::test]
async fn cache_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Cache>();
    let _ = Method::GET;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn collapsed_misses_reach_upstream_once_and_followers_then_hit() {
    use methodical_cache::{FlightOutcome, Join};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let c = Arc::new(cache());
    let upstream = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(tokio::sync::Barrier::new(30));
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let (c, upstream, start) = (c.clone(), upstream.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let r = req("GET", "/collapse", &[]);
            start.wait().await;
            let Lookup::Miss { key, .. } = c.lookup(&r, at(T0)).await else {
                // Late tasks may already find the stored response.
                return true;
            };
            match c.collapser().join(key.as_str()) {
                Join::Leader(guard) => {
                    // Double-check: a flight may have ended between lookup and join.
                    if let Lookup::Hit(_) = c.lookup(&r, at(T0)).await {
                        guard.finish(FlightOutcome::Stored);
                        return true;
                    }
                    upstream.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let stored = put(&c, &r, &resp(200, &[("cache-control", "max-age=60")]), "once").await;
                    guard.finish(if stored == StoreOutcome::Stored { FlightOutcome::Stored } else { FlightOutcome::NotStored });
                    false
                }
                Join::Follower(wait) => {
                    assert_eq!(wait.wait().await, FlightOutcome::Stored);
                    let Lookup::Hit(hit) = c.lookup(&r, at(T0 + 1)).await else { panic!("follower must hit") };
                    assert_eq!(hit.body, "once");
                    true
                }
            }
        }));
    }
    let mut served_from_cache = 0;
    for t in tasks {
        if t.await.unwrap() {
            served_from_cache += 1;
        }
    }
    assert_eq!(upstream.load(Ordering::SeqCst), 1);
    assert_eq!(served_from_cache, 29);
}
