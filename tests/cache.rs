//! The shared-cache rows of the specification's test checklist (section 10: T-37 … T-50)
//! and the rest of issue 4's cache contract (heuristics, invalidation, validation, stale
//! content, collapsing, `Cache-Status`, PURGE), through the real binary in front of a
//! recording upstream.

mod common;
#[path = "common/upstream.rs"]
mod upstream;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::Server;
use upstream::{Reply, Upstream};

fn config(u: &Upstream) -> String {
    format!(
        r#"
[cache]
memory = "64MiB"

[[route]]
prefix = "/proxy/"
proxy = {{ upstream = "{u}", cache = true, via = "edge", response_timeout = "2s" }}
purge = {{ allow = ["127.0.0.1/32", "::1"] }}

[[route]]
prefix = "/guarded/"
proxy = {{ upstream = "{u}", cache = true }}
purge = {{ allow = ["10.0.0.0/8"] }}

[[route]]
prefix = "/static/"
static = {{ root = "site" }}
"#,
        u = u.url()
    )
}

fn start(u: &Upstream) -> Server {
    Server::start(&config(u), &[("site/a.txt", b"0123456789")])
}

/// An IMF-fixdate `days` days before now (RFC 9110 §5.6.7).
fn days_ago(days: u64) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - days * 86400;
    let (day_count, rem) = ((secs / 86400) as i64, secs % 86400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = day_count + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        WD[day_count.rem_euclid(7) as usize],
        d,
        MON[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn get(s: &Server, path: &str) -> common::RawResponse {
    s.req(&format!("GET {path} HTTP/1.1\n"))
}

/// `GET path` on a new connection to `addr` (for threads: the server handle stays put).
fn get_at(addr: std::net::SocketAddr, path: &str) -> common::RawResponse {
    let mut c = common::Conn::open(addr);
    c.send(&common::crlf(&format!("GET {path} HTTP/1.1\n")));
    c.response(false)
}

fn age(r: &common::RawResponse) -> Option<u64> {
    r.header("age").map(|a| a.parse().expect("Age is a number of seconds"))
}

#[test]
fn t37_c7_second_get_is_served_from_the_cache_with_age() {
    let u = Upstream::cacheable();
    let s = start(&u);
    let first = get(&s, "/proxy/c");
    assert_eq!(first.status, 200);
    assert!(first.header("cache-status").is_some_and(|c| c.contains("fwd=uri-miss") && c.contains("stored")), "{:?}", first.header("cache-status"));
    let second = get(&s, "/proxy/c");
    assert_eq!(second.status, 200);
    assert_eq!(second.body, b"ok");
    assert!(age(&second).is_some_and(|a| a <= 60), "Age 0–60: {:?}", second.header("age"));
    assert!(second.header("cache-status").is_some_and(|c| c.contains("hit")), "{:?}", second.header("cache-status"));
    assert_eq!(u.count(), 1, "U hit once");
}

/// C-7: one sender's list (`0,7200`) counts by its first member; a list joined the way
/// recipients combine field lines (`0, 0`), or two `Age` lines, means the response's age is
/// unknown, so it is validated with the upstream before reuse.
#[test]
fn c7_age_list_counts_by_first_member_unless_it_stands_for_several_lines() {
    let u = Upstream::start(|r| {
        let age = r.target.rsplit('/').next().unwrap().replace("%20", " ");
        let mut lines = vec![("Cache-Control", "max-age=3600")];
        lines.extend(age.split('+').map(|a| ("Age", a)));
        Reply::ok(&lines, b"ok")
    });
    let s = start(&u);
    for (age, upstream_requests) in [("0,7200", 1), ("0,%200", 2), ("3600,%203600", 2), ("0+0", 2), ("7200,0", 2)] {
        let path = format!("/proxy/{age}");
        let before = u.count();
        get(&s, &path);
        let second = get(&s, &path);
        assert_eq!(second.status, 200);
        assert_eq!(u.count() - before, upstream_requests, "Age: {age}");
    }
}

#[test]
fn t38_c11_head_is_answered_from_the_stored_get() {
    let u = Upstream::start(|_| Reply::Raw(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n".to_vec()));
    let s = start(&u);
    assert_eq!(get(&s, "/proxy/c").body, b"ok");
    let head = s.req("HEAD /proxy/c HTTP/1.1\n");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert!(head.header("age").is_some());
    assert_eq!(head.header("content-length"), Some("2"), "the GET's length, though it came chunked");
    assert_eq!(u.count(), 1, "U not contacted");
}

fn cached_then(method_line: &str, status: &str) -> (Upstream, Server) {
    let status = status.to_string();
    let u = Upstream::start(move |r| if r.method == "GET" { Reply::ok(&[("Cache-Control", "max-age=60")], b"ok") } else { Reply::new(&status, &[], b"") });
    let s = start(&u);
    get(&s, "/proxy/c");
    assert!(get(&s, "/proxy/c").header("age").is_some(), "stored");
    let r = s.req(method_line);
    assert!(r.status >= 200);
    (u, s)
}

#[test]
fn t39_c10_post_success_invalidates() {
    let (u, s) = cached_then("POST /proxy/c HTTP/1.1\nContent-Length: 0\n", "200 OK");
    let before = u.count();
    let r = get(&s, "/proxy/c");
    assert_eq!(r.status, 200);
    assert_eq!(u.count(), before + 1, "GET reaches U");
}

#[test]
fn t40_c10_unknown_method_success_invalidates() {
    let (u, s) = cached_then("FOO /proxy/c HTTP/1.1\n", "204 No Content");
    let before = u.count();
    get(&s, "/proxy/c");
    assert_eq!(u.count(), before + 1, "GET reaches U");
}

#[test]
fn t41_c10_delete_404_leaves_the_entry() {
    let (u, s) = cached_then("DELETE /proxy/c HTTP/1.1\n", "404 Not Found");
    let before = u.count();
    let r = get(&s, "/proxy/c");
    assert!(r.header("age").is_some());
    assert_eq!(u.count(), before, "GET does not reach U");
}

#[test]
fn t42_c10_propfind_207_leaves_the_entry() {
    let (u, s) = cached_then("PROPFIND /proxy/c HTTP/1.1\nDepth: 0\n", "207 Multi-Status");
    let before = u.count();
    let r = get(&s, "/proxy/c");
    assert!(r.header("age").is_some());
    assert_eq!(u.count(), before, "GET does not reach U");
}

#[test]
fn c10_location_and_content_location_of_the_same_origin_are_invalidated() {
    let u = Upstream::start(|r| match r.method.as_str() {
        "GET" => Reply::ok(&[("Cache-Control", "max-age=60")], r.target.as_bytes()),
        _ => Reply::new("201 Created", &[("Location", "/proxy/b"), ("Content-Location", "http://elsewhere.example/proxy/d")], b""),
    });
    let s = start(&u);
    for p in ["/proxy/b", "/proxy/d"] {
        get(&s, p);
        assert!(get(&s, p).header("age").is_some());
    }
    s.req("POST /proxy/a HTTP/1.1\nContent-Length: 0\n");
    let before = u.count();
    assert!(get(&s, "/proxy/b").header("age").is_none(), "Location (same origin) invalidated");
    assert!(get(&s, "/proxy/d").header("age").is_some(), "Content-Location of another origin is not");
    assert_eq!(u.count(), before + 1);
}

#[test]
fn c10_move_invalidates_its_destination_of_the_same_origin() {
    let u = Upstream::start(|r| match r.method.as_str() {
        "GET" => Reply::ok(&[("Cache-Control", "max-age=60")], r.target.as_bytes()),
        _ => Reply::new("201 Created", &[], b""),
    });
    let s = start(&u);
    for p in ["/proxy/src", "/proxy/dst", "/proxy/far"] {
        get(&s, p);
    }
    s.req("MOVE /proxy/src HTTP/1.1\nDestination: http://test/proxy/dst\n");
    s.req("COPY /proxy/src HTTP/1.1\nDestination: http://elsewhere.example/proxy/far\n");
    let before = u.count();
    assert!(get(&s, "/proxy/dst").header("age").is_none(), "Destination invalidated");
    assert!(get(&s, "/proxy/far").header("age").is_some(), "another origin's Destination is not");
    assert_eq!(u.count(), before + 1);
}

#[test]
fn t43_c1_unknown_method_responses_are_never_stored() {
    let u = Upstream::cacheable();
    let s = start(&u);
    s.req("FOO /proxy/u HTTP/1.1\n");
    s.req("FOO /proxy/u HTTP/1.1\n");
    assert_eq!(u.count(), 2);
}

#[test]
fn t44_c4_c5_heuristic_freshness_from_last_modified() {
    let lm = days_ago(10);
    let u = Upstream::start(move |_| Reply::ok(&[("Last-Modified", &lm)], b"old"));
    let s = start(&u);
    get(&s, "/proxy/h");
    let r = get(&s, "/proxy/h");
    assert!(r.header("age").is_some(), "served from the cache");
    assert_eq!(u.count(), 1);
}

#[test]
fn t45_c5_no_freshness_information_is_not_reused() {
    let u = Upstream::start(|_| Reply::ok(&[], b"x"));
    let s = start(&u);
    get(&s, "/proxy/n");
    get(&s, "/proxy/n");
    assert_eq!(u.count(), 2);
}

#[test]
fn c4_heuristically_cacheable_404_405_501() {
    let lm = days_ago(10);
    let u = Upstream::start(move |r| {
        let status = match r.target.as_str() {
            "/proxy/g404" => "404 Not Found",
            "/proxy/g405" => "405 Method Not Allowed",
            "/proxy/g501" => "501 Not Implemented",
            _ => "403 Forbidden",
        };
        Reply::new(status, &[("Last-Modified", &lm), ("Allow", "POST")], b"e")
    });
    let s = start(&u);
    for (path, status) in [("/proxy/g404", 404), ("/proxy/g405", 405), ("/proxy/g501", 501)] {
        get(&s, path);
        let r = get(&s, path);
        assert_eq!(r.status, status);
        assert!(r.header("age").is_some(), "{path} served from the cache");
    }
    assert_eq!(u.count(), 3);
    get(&s, "/proxy/g403");
    get(&s, "/proxy/g403");
    assert_eq!(u.count(), 5, "403 is not heuristically cacheable");
}

#[test]
fn t46_c3_c8_no_store_and_private_are_not_reused() {
    for cc in ["no-store", "private, max-age=60"] {
        let cc = cc.to_string();
        let u = Upstream::start(move |_| Reply::ok(&[("Cache-Control", &cc)], b"x"));
        let s = start(&u);
        get(&s, "/proxy/p");
        get(&s, "/proxy/p");
        assert_eq!(u.count(), 2);
    }
}

#[test]
fn t47_c3_authorization_needs_s_maxage_to_be_shared() {
    for (cc, expected) in [("max-age=60", 2), ("s-maxage=60", 1)] {
        let value = cc.to_string();
        let u = Upstream::start(move |_| Reply::ok(&[("Cache-Control", &value)], b"x"));
        let s = start(&u);
        for _ in 0..2 {
            s.req("GET /proxy/auth HTTP/1.1\nAuthorization: Basic dTpw\n");
        }
        assert_eq!(u.count(), expected, "{cc}");
    }
}

#[test]
fn t48_c12_vary_selects_the_variant() {
    let u = Upstream::start(|r| Reply::ok(&[("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")], r.header("accept-language").unwrap_or("-").as_bytes()));
    let s = start(&u);
    s.req("GET /proxy/v HTTP/1.1\nAccept-Language: en\n");
    let fr = s.req("GET /proxy/v HTTP/1.1\nAccept-Language: fr\n");
    assert_eq!(fr.body, b"fr");
    assert_eq!(u.count(), 2, "the second reaches U");
    let en = s.req("GET /proxy/v HTTP/1.1\nAccept-Language: en\n");
    assert_eq!(en.body, b"en");
    assert!(en.header("age").is_some());
    assert_eq!(u.count(), 2);
}

#[test]
fn t49_c3_429_is_never_stored() {
    let u = Upstream::start(|_| Reply::new("429 Too Many Requests", &[("Cache-Control", "max-age=60")], b"slow down"));
    let s = start(&u);
    assert_eq!(get(&s, "/proxy/t").status, 429);
    assert_eq!(get(&s, "/proxy/t").status, 429);
    assert_eq!(u.count(), 2);
}

#[test]
fn t50_c9_only_if_cached_with_nothing_stored_is_504() {
    let u = Upstream::cacheable();
    let s = start(&u);
    let r = s.req("GET /proxy/none HTTP/1.1\nCache-Control: only-if-cached\n");
    assert_eq!(r.status, 504);
    r.assert_error_shape();
    assert!(r.header("cache-status").is_some());
    assert_eq!(u.count(), 0, "U sees nothing");
}

#[test]
fn c9_request_no_cache_validates_and_no_store_bypasses() {
    let u = Upstream::start(|r| {
        if r.header("if-none-match") == Some("\"v1\"") {
            Reply::new("304 Not Modified", &[("ETag", "\"v1\""), ("Cache-Control", "max-age=60")], b"")
        } else {
            Reply::ok(&[("Cache-Control", "max-age=60"), ("ETag", "\"v1\"")], b"body")
        }
    });
    let s = start(&u);
    get(&s, "/proxy/r");
    let r = s.req("GET /proxy/r HTTP/1.1\nCache-Control: no-cache\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"body");
    assert_eq!(u.last().header("if-none-match"), Some("\"v1\""), "validated with the stored ETag");
    assert!(r.header("cache-status").is_some_and(|c| c.contains("fwd=request") && c.contains("fwd-status=304")), "{:?}", r.header("cache-status"));
    let n = u.count();
    s.req("GET /proxy/r HTTP/1.1\nCache-Control: no-store\n");
    assert_eq!(u.count(), n + 1);
}

#[test]
fn c_validation_with_304_freshens_the_stored_response() {
    let u = Upstream::start(|r| {
        if r.header("if-none-match") == Some("\"v1\"") {
            Reply::new("304 Not Modified", &[("ETag", "\"v1\""), ("Cache-Control", "max-age=60"), ("X-Fresh", "2")], b"")
        } else {
            Reply::ok(&[("Cache-Control", "max-age=0"), ("ETag", "\"v1\""), ("X-Fresh", "1")], b"body")
        }
    });
    let s = start(&u);
    get(&s, "/proxy/r");
    let r = get(&s, "/proxy/r");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"body", "the stored content, after a 304");
    assert_eq!(r.header("x-fresh"), Some("2"), "fields updated from the 304");
    assert_eq!(u.count(), 2);
    let r = get(&s, "/proxy/r");
    assert!(r.header("cache-status").is_some_and(|c| c.contains("hit")));
    assert_eq!(u.count(), 2, "fresh again for 60 s");
    // The client's own condition is answered by the cache.
    let r = s.req("GET /proxy/r HTTP/1.1\nIf-None-Match: \"v1\"\n");
    assert_eq!(r.status, 304);
    assert_eq!(u.count(), 2);
}

#[test]
fn c13_stale_while_revalidate_serves_stale_and_refreshes_in_the_background() {
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    let u = Upstream::start(move |_| {
        let v = counter.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::ok(&[("Cache-Control", "max-age=1, stale-while-revalidate=60")], format!("v{v}").as_bytes())
    });
    let s = start(&u);
    assert_eq!(get(&s, "/proxy/swr").body, b"v1");
    std::thread::sleep(Duration::from_millis(2100));
    let stale = get(&s, "/proxy/swr");
    assert_eq!(stale.body, b"v1", "served stale at once");
    assert_eq!(u.wait_for(2, Duration::from_secs(5)), 2, "background validation reached U");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(get(&s, "/proxy/swr").body, b"v2", "then the refreshed response");
}

#[test]
fn c13_stale_if_error_and_must_revalidate() {
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = failing.clone();
    let u = Upstream::start(move |r| {
        if f.load(Ordering::SeqCst) {
            return Reply::new("500 Internal Server Error", &[], b"down");
        }
        let cc = if r.target.ends_with("strict") { "max-age=1, must-revalidate" } else { "max-age=1, stale-if-error=60" };
        Reply::ok(&[("Cache-Control", cc)], b"good")
    });
    let s = start(&u);
    get(&s, "/proxy/sie");
    get(&s, "/proxy/strict");
    std::thread::sleep(Duration::from_millis(2100));
    failing.store(true, Ordering::SeqCst);
    let r = get(&s, "/proxy/sie");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"good", "stale-if-error allows the stale response");
    let r = get(&s, "/proxy/strict");
    assert_eq!(r.status, 500, "must-revalidate: the error goes through");
}

#[test]
fn c13_an_origin_that_cannot_be_talked_to_is_disconnection_a_wrong_answer_is_an_error() {
    let u = Upstream::start(|r| {
        let cc = if r.target.ends_with("strict") { "max-age=1, must-revalidate" } else { "max-age=1" };
        Reply::ok(&[("Cache-Control", cc)], b"kept")
    });
    let s = start(&u);
    get(&s, "/proxy/dc");
    get(&s, "/proxy/strict");
    std::thread::sleep(Duration::from_millis(2100));
    // Reachable but answering nonsense: a failing origin, no permission to serve stale.
    u.script(|_| Reply::RawThenClose(b"HTTP/1.1 2OO OK\r\n\r\n".to_vec()));
    assert_eq!(get(&s, "/proxy/dc").status, 502);
    // Closed before a single octet of answer: the cache is disconnected (RFC 9111 §4.2.4)
    // and may serve the stale response, unless the response forbids it.
    u.script(|_| Reply::Close);
    let r = get(&s, "/proxy/dc");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"kept"[..]));
    assert!(r.header("cache-status").is_some_and(|c| c.contains("hit")), "{:?}", r.header("cache-status"));
    assert_eq!(get(&s, "/proxy/strict").status, 502, "must-revalidate forbids the stale response");
    // Nothing listens any more: disconnected as well.
    drop(u);
    std::thread::sleep(Duration::from_millis(100));
    let r = get(&s, "/proxy/dc");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"kept"[..]));
}

#[test]
fn e10_must_revalidate_with_silent_upstream_is_504() {
    let u = Upstream::start(|_| Reply::ok(&[("Cache-Control", "max-age=1, must-revalidate")], b"x"));
    let s = start(&u);
    get(&s, "/proxy/mr");
    std::thread::sleep(Duration::from_millis(2100));
    u.script(|_| Reply::Silent);
    let r = get(&s, "/proxy/mr");
    assert_eq!(r.status, 504, "stale, must-revalidate, no timely answer");
    assert!(r.header("cache-status").is_some());
}

#[test]
fn x10_m_method_responses_never_stored_and_success_invalidates() {
    let u = Upstream::cacheable();
    let s = start(&u);
    for _ in 0..2 {
        s.req("M-GET /proxy/m HTTP/1.1\nMan: \"http://example.org/e\"\n");
    }
    assert_eq!(u.count(), 2, "never stored");
    get(&s, "/proxy/m");
    assert!(get(&s, "/proxy/m").header("age").is_some());
    s.req("M-GET /proxy/m HTTP/1.1\nMan: \"http://example.org/e\"\n");
    let before = u.count();
    get(&s, "/proxy/m");
    assert_eq!(u.count(), before + 1, "a non-error answer to M-GET invalidated the stored GET");
}

#[test]
fn d11_if_and_lock_token_bypass_the_cache() {
    let u = Upstream::cacheable();
    let s = start(&u);
    get(&s, "/proxy/l");
    let r = s.req("GET /proxy/l HTTP/1.1\nIf: (<urn:uuid:x>)\n");
    assert!(r.header("age").is_none());
    assert!(r.header("cache-status").is_some_and(|c| c.contains("fwd=bypass")));
    s.req("GET /proxy/l HTTP/1.1\nLock-Token: <urn:uuid:x>\n");
    assert_eq!(u.count(), 3);
}

#[test]
fn rfc9211_cache_status_on_every_response_of_a_cached_route() {
    let u = Upstream::cacheable();
    let s = start(&u);
    let cases = [
        "GET /proxy/s HTTP/1.1\n",
        "GET /proxy/s HTTP/1.1\n",
        "POST /proxy/s HTTP/1.1\nContent-Length: 0\n",
        "OPTIONS /proxy/s HTTP/1.1\nMax-Forwards: 0\n",
        "GET /proxy/s HTTP/1.1\nVia: 1.1 edge\n",
        "M-GET /proxy/s HTTP/1.1\nC-Man: \"urn:x\"\nConnection: C-Man\n",
    ];
    for c in cases {
        let r = s.req(c);
        let cs = r.header("cache-status");
        assert!(cs.is_some_and(|v| v.starts_with("methodical")), "{c:?} → {} without Cache-Status", r.status);
    }
    assert!(s.req("POST /proxy/s HTTP/1.1\nContent-Length: 0\n").header("cache-status").is_some_and(|c| c.contains("fwd=method")));
}

#[test]
fn purge_drops_the_uri_only_from_allowed_addresses() {
    let u = Upstream::cacheable();
    let s = start(&u);
    get(&s, "/proxy/x");
    assert!(get(&s, "/proxy/x").header("age").is_some());
    let r = s.req("PURGE /proxy/x HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(s.req("PURGE /proxy/x HTTP/1.1\n").status, 404, "nothing left to purge");
    let before = u.count();
    get(&s, "/proxy/x");
    assert_eq!(u.count(), before + 1);
    assert_eq!(s.req("PURGE /guarded/x HTTP/1.1\n").status, 403, "not from 127.0.0.1");
    let r = s.req("PURGE /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 501, "elsewhere PURGE is an unknown method");
    assert!(u.requests().iter().all(|r| r.method != "PURGE"), "PURGE is never forwarded");
}

#[test]
fn collapsing_concurrent_misses_make_one_upstream_request() {
    let u = Upstream::start(|_| Reply::ok(&[("Cache-Control", "max-age=60")], b"slow").after(Duration::from_millis(400)));
    let s = start(&u);
    let addr = s.addr;
    let barrier = Arc::new(Barrier::new(20));
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                get_at(addr, "/proxy/collapse")
            })
        })
        .collect();
    for t in threads {
        let r = t.join().unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"slow");
    }
    assert_eq!(u.count(), 1);
}

#[test]
fn uncacheable_uri_is_not_serialised_by_collapsing() {
    let u = Upstream::start(|_| Reply::ok(&[("Cache-Control", "no-store")], b"fresh").after(Duration::from_millis(300)));
    let s = start(&u);
    assert_eq!(get(&s, "/proxy/private").body, b"fresh");
    // The key is known to be unstorable now: concurrent misses go upstream side by side.
    let addr = s.addr;
    let barrier = Arc::new(Barrier::new(5));
    let threads: Vec<_> = (0..5)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                get_at(addr, "/proxy/private")
            })
        })
        .collect();
    for t in threads {
        let r = t.join().unwrap();
        assert_eq!(r.body, b"fresh");
        let cs = r.header("cache-status").unwrap_or_default().to_string();
        assert!(cs.contains("fwd=") && !cs.contains("collapsed"), "{cs}");
    }
    assert_eq!(u.count(), 6);
}

#[test]
fn disk_tier_keeps_responses_across_restarts() {
    let u = Upstream::cacheable();
    let disk = tempfile::tempdir().unwrap();
    let config = format!(
        r#"
[cache]
memory = "16MiB"
disk = {{ path = "{}", size = "64MiB" }}

[[route]]
prefix = "/"
proxy = {{ upstream = "{}", cache = true }}
"#,
        disk.path().display(),
        u.url()
    );
    {
        let s = Server::start(&config, &[]);
        get(&s, "/kept");
        assert!(get(&s, "/kept").header("age").is_some());
    }
    let s = Server::start(&config, &[]);
    let r = get(&s, "/kept");
    assert_eq!(r.body, b"ok");
    assert!(r.header("cache-status").is_some_and(|c| c.contains("hit")), "served from the disk tier after a restart: {:?}", r.header("cache-status"));
    assert_eq!(u.count(), 1);
}

#[test]
fn reload_with_the_same_cache_settings_keeps_stored_responses() {
    let u = Upstream::cacheable();
    let s = start(&u);
    get(&s, "/proxy/r1");
    assert!(get(&s, "/proxy/r1").header("age").is_some());
    // A new route shows that the reload happened; [cache] stays as it was.
    let mut config = std::fs::read_to_string(s.path("methodical.toml")).unwrap();
    config.push_str("\n[[route]]\nprefix = \"/reloaded\"\nrespond = { status = 200, body = \"new\" }\n");
    std::fs::write(s.path("methodical.toml"), config).unwrap();
    s.signal(libc::SIGHUP);
    let mut reloaded = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        if get(&s, "/reloaded").status == 200 {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the configuration was reloaded");
    let r = get(&s, "/proxy/r1");
    assert!(r.header("cache-status").is_some_and(|c| c.contains("hit")), "{:?}", r.header("cache-status"));
    assert_eq!(u.count(), 1);
}

/// The load test of the issue: 200 concurrent clients on 50 keys with a slow upstream; the
/// upstream sees one request per key per freshness period.
#[test]
fn load_200_clients_50_keys_one_upstream_request_per_key_per_freshness_period() {
    let u = Upstream::start(|_| Reply::ok(&[("Cache-Control", "max-age=3"), ("ETag", "\"e\"")], b"payload").after(Duration::from_millis(300)));
    let s = start(&u);
    let addr = s.addr;
    let round = || {
        let barrier = Arc::new(Barrier::new(200));
        let threads: Vec<_> = (0..200)
            .map(|i| {
                let b = barrier.clone();
                std::thread::spawn(move || {
                    b.wait();
                    get_at(addr, &format!("/proxy/key{}", i % 50))
                })
            })
            .collect();
        for t in threads {
            let r = t.join().unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(r.body, b"payload");
        }
    };
    round();
    let mut per_key = std::collections::HashMap::new();
    for r in u.requests() {
        *per_key.entry(r.target).or_insert(0) += 1;
    }
    assert_eq!(per_key.len(), 50);
    assert!(per_key.values().all(|&n| n == 1), "{per_key:?}");
    // Next freshness period: the stale responses are validated once per key.
    std::thread::sleep(Duration::from_millis(3500));
    round();
    assert_eq!(u.count(), 100, "one validation per key");
}
