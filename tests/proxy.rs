//! The gateway rows of the specification's test checklist (section 10: T-23 … T-36 and the
//! RFC 2774 gateway rows T-51 … T-54) and the rest of issue 4's forwarding contract, sent
//! as raw bytes through the real binary to a recording upstream.

mod common;
#[path = "common/upstream.rs"]
mod upstream;

use std::time::{Duration, Instant};

use common::{crlf, set, Server};
use upstream::{Recorded, Reply, Upstream};

/// `/proxy/` (cache off here: the forwarding rules alone; `tests/cache.rs` has the cache),
/// `/static/` for the origin rows, `/closed/` with `forward_unknown_methods = false`,
/// `/listed/` with an allowlist, `/soap/` with the SOAP 1.1 extension on.
fn config(u: &Upstream) -> String {
    format!(
        r#"
[[route]]
prefix = "/proxy/"
proxy = {{ upstream = "{u}", via = "edge", response_timeout = "1s" }}

[[route]]
prefix = "/closed/"
proxy = {{ upstream = "{u}", via = "edge", forward_unknown_methods = false }}

[[route]]
prefix = "/listed/"
proxy = {{ upstream = "{u}", via = "edge", methods = ["GET", "POST"] }}

[[route]]
prefix = "/strip/"
proxy = {{ upstream = "{u}/base", via = "edge", strip_prefix = true, upstream_host = "backend.example" }}

[[route]]
prefix = "/soap/"
proxy = {{ upstream = "{u}", via = "edge" }}
extensions = ["http://schemas.xmlsoap.org/soap/envelope/"]

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

fn plain() -> (Upstream, Server) {
    let u = Upstream::start(|r| Reply::ok(&[("X-Upstream", "yes"), ("X-Method", &r.method)], b"from upstream"));
    let s = start(&u);
    (u, s)
}

fn has_token(list: Option<&str>, token: &str) -> bool {
    list.is_some_and(|l| l.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

#[test]
fn t23_p1_m2_unknown_and_lower_case_methods_are_forwarded_byte_exact() {
    let (u, s) = plain();
    let r = s.req("FOO /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"from upstream", "U's response unchanged");
    assert_eq!(r.header("x-upstream"), Some("yes"));
    assert_eq!(u.last().request_line(), "FOO /proxy/r HTTP/1.1");
    let r = s.req("get /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(u.last().request_line(), "get /proxy/r HTTP/1.1", "case kept: `get` is not GET");
    assert_eq!(u.count(), 2);
}

#[test]
fn p1_forward_unknown_methods_false_answers_501_itself() {
    let (u, s) = plain();
    let r = s.req("FOO /closed/r HTTP/1.1\n");
    assert_eq!(r.status, 501);
    r.assert_error_shape();
    assert_eq!(s.req("GET /closed/r HTTP/1.1\n").status, 200);
    assert_eq!(u.count(), 1, "only the GET reached U");
}

#[test]
fn p1_allowlist_core_method_405_other_501() {
    let (u, s) = plain();
    let r = s.req("PUT /listed/r HTTP/1.1\nContent-Length: 0\n");
    assert_eq!(r.status, 405);
    assert_eq!(r.list("allow"), set(&["GET", "HEAD", "OPTIONS", "POST"]));
    assert_eq!(s.req("FOO /listed/r HTTP/1.1\n").status, 501);
    assert_eq!(s.req("POST /listed/r HTTP/1.1\nContent-Length: 0\n").status, 200);
    assert_eq!(u.count(), 1);
}

#[test]
fn t24_p3_request_hop_by_hop_fields_are_removed() {
    let (u, s) = plain();
    let r = s.req(
        "GET /proxy/r HTTP/1.1\nConnection: X-A, keep-alive\nX-A: 1\nKeep-Alive: 5\nProxy-Connection: keep-alive\nTE: trailers\nUpgrade: foo\nX-End: kept\n",
    );
    assert_eq!(r.status, 200);
    let seen = u.last();
    for gone in ["x-a", "keep-alive", "proxy-connection", "te", "upgrade"] {
        assert!(!seen.has(gone), "U saw {gone}: {seen:?}");
    }
    if let Some(c) = seen.header("connection") {
        assert!(!has_token(Some(c), "x-a") && !has_token(Some(c), "upgrade"), "client's Connection tokens leaked: {c}");
    }
    assert_eq!(seen.header("x-end"), Some("kept"));
}

#[test]
fn t25_p3_response_hop_by_hop_fields_are_removed() {
    let u = Upstream::start(|_| Reply::ok(&[("Connection", "X-B"), ("X-B", "1"), ("Keep-Alive", "timeout=5"), ("X-End", "kept")], b"ok"));
    let s = start(&u);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert!(r.header("x-b").is_none());
    assert!(r.header("keep-alive").is_none());
    assert_eq!(r.header("x-end"), Some("kept"));
}

#[test]
fn t26_p4_via_is_appended() {
    let (u, s) = plain();
    let r = s.req("GET /proxy/r HTTP/1.1\nVia: 1.1 a\n");
    assert_eq!(r.status, 200);
    assert_eq!(u.last().header("via"), Some("1.1 a, 1.1 edge"));
    // Responses get our entry too (P-4 project decision).
    assert!(r.header("via").is_some_and(|v| v.ends_with("1.1 edge")), "{:?}", r.header("via"));
}

#[test]
fn t27_p4_p8_http10_client_upstream_sees_http11_and_via_1_0() {
    let (u, s) = plain();
    let r = s.raw(b"GET /proxy/r HTTP/1.0\r\nHost: test\r\n\r\n");
    assert_eq!(r.status, 200);
    let seen = u.last();
    assert_eq!(seen.version, "HTTP/1.1");
    assert_eq!(seen.header("via"), Some("1.0 edge"));
}

#[test]
fn t28_p5_options_max_forwards_zero_is_answered_by_the_gateway() {
    let (u, s) = plain();
    let r = s.req("OPTIONS /proxy/r HTTP/1.1\nMax-Forwards: 0\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.header("date").is_some());
    let r = s.req("OPTIONS /listed/r HTTP/1.1\nMax-Forwards: 0\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.list("allow"), set(&["GET", "HEAD", "OPTIONS", "POST"]), "Allow = the route's allowlist");
    assert_eq!(u.count(), 0, "U sees nothing");
}

#[test]
fn t29_p5_max_forwards_is_decremented_and_never_added() {
    let (u, s) = plain();
    assert_eq!(s.req("OPTIONS /proxy/r HTTP/1.1\nMax-Forwards: 3\n").status, 200);
    assert_eq!(u.last().header("max-forwards"), Some("2"));
    assert_eq!(s.req("OPTIONS /proxy/r HTTP/1.1\n").status, 200);
    assert!(!u.last().has("max-forwards"));
    // Other methods: forwarded unchanged, even 0.
    assert_eq!(s.req("GET /proxy/r HTTP/1.1\nMax-Forwards: 0\n").status, 200);
    assert_eq!(u.last().header("max-forwards"), Some("0"));
    // Not digits → 400, not forwarded.
    let r = s.req("OPTIONS /proxy/r HTTP/1.1\nMax-Forwards: many\n");
    assert_eq!(r.status, 400);
    r.assert_error_shape();
    assert_eq!(u.count(), 3);
}

#[test]
fn t30_m14_p5_trace_off_is_405_and_never_forwarded() {
    let (u, s) = plain();
    let r = s.req("TRACE /proxy/r HTTP/1.1\nMax-Forwards: 0\n");
    assert_eq!(r.status, 405);
    assert!(r.header("allow").is_some());
    assert!(!r.list("allow").contains(&"TRACE".to_string()));
    assert_eq!(s.req("TRACE /proxy/r HTTP/1.1\n").status, 405);
    assert_eq!(u.count(), 0);
}

#[test]
fn t31_p6_allow_is_passed_byte_identical() {
    let u = Upstream::start(|_| Reply::new("405 Method Not Allowed", &[("Allow", "GET, FOO")], b"no"));
    let s = start(&u);
    let r = s.req("POST /proxy/r HTTP/1.1\nContent-Length: 0\n");
    assert_eq!(r.status, 405);
    assert_eq!(r.headers_named("allow"), ["GET, FOO"]);
}

#[test]
fn t32_e9_invalid_upstream_content_length_is_502() {
    let u = Upstream::start(|_| Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nxyz".to_vec()));
    let s = start(&u);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 502);
    r.assert_error_shape();
}

#[test]
fn e9_a8_refused_connection_is_502() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let u = Upstream::start(|_| Reply::ok(&[], b""));
    let config = config(&u).replace(&u.url(), &format!("http://127.0.0.1:{port}"));
    let s = Server::start(&config, &[("site/a.txt", b"0123456789")]);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 502);
    r.assert_error_shape();
}

#[test]
fn t33_e10_silent_upstream_is_504_after_the_timeout() {
    let u = Upstream::start(|_| Reply::Silent);
    let s = start(&u);
    let started = Instant::now();
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 504);
    r.assert_error_shape();
    assert!(started.elapsed() < Duration::from_secs(5), "the 1 s response_timeout applies");
}

#[test]
fn e10_upstream_stalling_mid_body_is_502_or_ends_the_connection() {
    use std::io::Read;
    let u = Upstream::start(|r| {
        if r.target.ends_with("big") {
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nabc".to_vec())
        } else {
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec())
        }
    });
    let s = start(&u);
    // Small content is read whole before anything is sent: a clean 502 after the timeout.
    let started = Instant::now();
    let r = s.req("GET /proxy/stall HTTP/1.1\n");
    assert_eq!(r.status, 502);
    r.assert_error_shape();
    assert!(started.elapsed() < Duration::from_secs(5), "the 1 s response_timeout applies between pieces");
    // Large content streams: the head went out already, so the connection ends early.
    let mut c = s.connect();
    c.send(&crlf("GET /proxy/stall-big HTTP/1.1\n"));
    let head = c.read_head();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("100000"));
    let started = Instant::now();
    let mut body = c.leftover().to_vec();
    let mut buf = [0u8; 64];
    loop {
        match c.stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(body, b"abc", "the 3 octets that came, then the end of the connection");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn t34_p2_non_idempotent_requests_are_not_retried() {
    let u = Upstream::start(|_| Reply::Close);
    let s = start(&u);
    let r = s.req("POST /proxy/r HTTP/1.1\nContent-Length: 3\n\nabc");
    assert_eq!(r.status, 502);
    assert_eq!(u.wait_for(2, Duration::from_millis(300)), 1, "U logged exactly one POST");
    let r = s.req("FOO /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 502);
    assert_eq!(u.wait_for(3, Duration::from_millis(300)), 2, "U logged exactly one FOO");
}

#[test]
fn p2_get_is_retried_once_on_a_fresh_connection() {
    let u = Upstream::start(|_| Reply::Close);
    let s = start(&u);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 502, "still nothing after one retry");
    let seen = u.requests();
    assert_eq!(seen.len(), 2, "one retry only");
    assert_ne!(seen[0].connection, seen[1].connection, "the retry uses a new connection");
    // An upstream that answers the second time: the client never notices.
    let first = std::sync::atomic::AtomicBool::new(true);
    u.script(move |_| if first.swap(false, std::sync::atomic::Ordering::SeqCst) { Reply::Close } else { Reply::ok(&[], b"second") });
    let r = s.req("GET /proxy/other HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"second");
}

#[test]
fn t35_p7_unknown_cache_directives_pass_through() {
    let u = Upstream::start(|_| Reply::ok(&[("Cache-Control", "max-age=60, x-ext=\"1\"")], b"ok"));
    let s = start(&u);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 200);
    let cc = r.headers_named("cache-control").join(", ");
    assert!(cc.contains("max-age=60") && cc.contains("x-ext=\"1\""), "{cc}");
}

#[test]
fn t36_p11_head_with_content_length_and_no_body_comes_back_at_once() {
    let u = Upstream::start(|r| {
        if r.method == "HEAD" {
            Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec())
        } else {
            Reply::ok(&[], b"next")
        }
    });
    let s = start(&u);
    let mut c = s.connect();
    let started = Instant::now();
    c.send(&crlf("HEAD /proxy/r HTTP/1.1\n"));
    let head = c.response(true);
    assert!(started.elapsed() < Duration::from_millis(900), "no waiting for a body: {:?}", started.elapsed());
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("1000"));
    assert!(!head.closed, "connection reusable");
    c.send(&crlf("GET /proxy/r HTTP/1.1\n"));
    let next = c.response(false);
    assert_eq!(next.status, 200);
    assert_eq!(next.body, b"next");
}

#[test]
fn p11_e2_204_and_304_end_at_the_head() {
    let u = Upstream::start(|r| {
        if r.target.ends_with("nc") {
            Reply::Raw(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n".to_vec())
        } else {
            Reply::Raw(b"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\nContent-Length: 1000\r\n\r\n".to_vec())
        }
    });
    let s = start(&u);
    let mut c = s.connect();
    let started = Instant::now();
    c.send(&crlf("DELETE /proxy/nc HTTP/1.1\n"));
    let r = c.response(false);
    assert_eq!(r.status, 204);
    assert!(r.header("content-length").is_none() && r.header("transfer-encoding").is_none(), "E-2: {:?}", r.headers);
    c.send(&crlf("GET /proxy/nm HTTP/1.1\nIf-None-Match: \"e\"\n"));
    let r = c.response(false);
    assert_eq!(r.status, 304);
    assert!(!r.closed);
    assert!(started.elapsed() < Duration::from_millis(900), "no waiting for bodies that cannot come");
    c.send(&crlf("GET /proxy/nc HTTP/1.1\n"));
    assert_eq!(c.response(false).status, 204, "the connection is still usable");
}

#[test]
fn p11_head_without_upstream_length_claims_none() {
    let u = Upstream::start(|_| Reply::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec()));
    let s = start(&u);
    let r = s.req("HEAD /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_ne!(r.header("content-length"), Some("0"), "a HEAD must not announce a length GET would not have");
}

#[test]
fn p12_unknown_status_is_forwarded_with_its_body() {
    let u = Upstream::start(|_| Reply::new("299 Whatever", &[], b"odd status"));
    let s = start(&u);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert_eq!(r.status, 299);
    assert_eq!(r.body, b"odd status");
}

#[test]
fn e3_date_added_when_upstream_sent_none_and_kept_when_it_did() {
    let u = Upstream::start(|r| {
        if r.target.ends_with("dated") {
            Reply::ok(&[("Date", "Sun, 06 Nov 1994 08:49:37 GMT")], b"x")
        } else {
            Reply::ok(&[], b"x")
        }
    });
    let s = start(&u);
    assert!(s.req("GET /proxy/r HTTP/1.1\n").header("date").is_some());
    assert_eq!(s.req("GET /proxy/dated HTTP/1.1\n").header("date"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
}

#[test]
fn p9_host_kept_unless_upstream_host_and_prefix_stripped_on_request() {
    let (u, s) = plain();
    s.req("GET /proxy/a/b?q=1 HTTP/1.1\nHost: client.example\n");
    let seen = u.last();
    assert_eq!(seen.target, "/proxy/a/b?q=1", "path forwarded unchanged, prefix kept");
    assert_eq!(seen.header("host"), Some("client.example"));
    s.req("GET /strip/a/b?q=1 HTTP/1.1\nHost: client.example\n");
    let seen = u.last();
    assert_eq!(seen.target, "/base/a/b?q=1", "prefix stripped, upstream base path added");
    assert_eq!(seen.header("host"), Some("backend.example"));
}

#[test]
fn request_content_is_streamed_upstream_exactly() {
    let u = Upstream::start(|r| Reply::ok(&[], format!("got {}", r.body.len()).as_bytes()));
    let s = start(&u);
    let r = s.req("PUT /proxy/f HTTP/1.1\nContent-Length: 11\n\nhello world");
    assert_eq!(r.body, b"got 11");
    assert_eq!(u.last().body, b"hello world");
    let r = s.raw(b"POST /proxy/f HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(u.last().body, b"hello world");
    // A body larger than any buffer goes through as a stream.
    let big = vec![b'x'; 3 << 20];
    let mut c = s.connect();
    c.send(format!("POST /proxy/big HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n", big.len()).as_bytes());
    c.send(&big);
    let r = c.response(false);
    assert_eq!(r.text(), format!("got {}", big.len()));
}

#[test]
fn e10_response_timeout_runs_from_the_end_of_a_slow_upload() {
    let u = Upstream::start(|r| Reply::ok(&[], format!("got {}", r.body.len()).as_bytes()));
    let s = start(&u);
    let mut c = s.connect();
    c.send(b"PUT /proxy/slow HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nab");
    // The upload takes longer than the route's 1 s response_timeout, yet keeps moving.
    for piece in [b"cd", b"ef"] {
        std::thread::sleep(Duration::from_millis(700));
        c.send(piece);
    }
    let r = c.response(false);
    assert_eq!(r.status, 200, "{:?}", r.text());
    assert_eq!(r.body, b"got 6");
}

#[test]
fn p10_expect_100_continue_is_answered_then_content_flows() {
    let u = Upstream::start(|r| Reply::ok(&[], format!("got {}", r.body.len()).as_bytes()));
    let s = start(&u);
    let mut c = s.connect();
    c.send(b"PUT /proxy/f HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    let interim = c.read_head();
    assert_eq!(interim.status, 100, "the gateway reads the content only after inviting it");
    c.send(b"hello");
    let r = c.response(false);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"got 5");
}

#[test]
fn p4_a8_forwarding_loop_is_502() {
    let (u, s) = plain();
    let r = s.req("GET /proxy/r HTTP/1.1\nVia: 1.1 other, 1.1 edge\n");
    assert_eq!(r.status, 502);
    r.assert_error_shape();
    assert_eq!(u.count(), 0);
}

#[test]
fn round_robin_and_passive_health() {
    let a = Upstream::start(|_| Reply::ok(&[], b"a"));
    let b = Upstream::start(|_| Reply::ok(&[], b"b"));
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = format!(
        r#"
[[route]]
prefix = "/rr/"
proxy = {{ upstream = ["{a}", "{b}"] }}

[[route]]
prefix = "/health/"
proxy = {{ upstream = ["http://127.0.0.1:{dead}", "{a}"], fail_timeout = "30s" }}
"#,
        a = a.url(),
        b = b.url()
    );
    let s = Server::start(&config, &[]);
    let bodies: Vec<String> = (0..4).map(|_| s.req("GET /rr/x HTTP/1.1\n").text()).collect();
    assert_eq!(bodies.iter().filter(|b| *b == "a").count(), 2, "{bodies:?}");
    assert_eq!(bodies.iter().filter(|b| *b == "b").count(), 2, "{bodies:?}");
    // The dead upstream refuses: the request goes to the live one, content and all, and the
    // dead one is skipped afterwards.
    let before = a.count();
    for _ in 0..4 {
        let r = s.req("POST /health/x HTTP/1.1\nContent-Length: 2\n\nhi");
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"a");
    }
    assert_eq!(a.count() - before, 4);
    assert!(a.requests().iter().rev().take(4).all(|r| r.body == b"hi"));
}

#[test]
fn t51_x5_m_get_on_an_origin_route_is_501() {
    let (u, s) = plain();
    let r = s.req("M-GET /static/a.txt HTTP/1.1\nMan: \"http://example.org/ext\"\n");
    assert_eq!(r.status, 501);
    assert_eq!(u.count(), 0);
}

#[test]
fn t52_x9_m_get_with_end_to_end_man_is_forwarded_unchanged() {
    let (u, s) = plain();
    let r = s.req("M-GET /proxy/r HTTP/1.1\nMan: \"http://example.org/e\"; ns=16\n16-foo: x\nOpt: \"http://example.org/o\"\n");
    assert_eq!(r.status, 200);
    let seen = u.last();
    assert_eq!(seen.method, "M-GET");
    assert_eq!(seen.header("man"), Some("\"http://example.org/e\"; ns=16"));
    assert_eq!(seen.header("16-foo"), Some("x"));
    assert_eq!(seen.header("opt"), Some("\"http://example.org/o\""));
}

#[test]
fn t53_x9_m_get_with_c_man_is_501_and_never_forwarded() {
    let (u, s) = plain();
    // The seed's example, byte for byte.
    let r = s.raw(b"M-GET /proxy/r HTTP/1.1\r\nHost: test\r\nC-Man: \"http://example.org/\"\r\nConnection: C-Man\r\n\r\n");
    assert_eq!(r.status, 501);
    r.assert_error_shape();
    assert_eq!(u.count(), 0, "U sees nothing");
}

#[test]
fn t54_x3_p3_c_opt_and_its_prefixed_headers_are_hop_by_hop() {
    let (u, s) = plain();
    let r = s.req("GET /proxy/r HTTP/1.1\nC-Opt: \"http://x\"; ns=12\n12-a: b\nConnection: C-Opt, 12-a\n");
    assert_eq!(r.status, 200);
    let seen = u.last();
    assert!(!seen.has("c-opt") && !seen.has("12-a"), "{seen:?}");
}

#[test]
fn x9_c_ext_from_upstream_goes_with_connection() {
    let u = Upstream::start(|_| Reply::ok(&[("C-Ext", ""), ("Connection", "C-Ext"), ("Ext", "")], b"ok"));
    let s = start(&u);
    let r = s.req("GET /proxy/r HTTP/1.1\n");
    assert!(r.header("c-ext").is_none());
    assert_eq!(r.header("ext"), Some(""), "Ext is end-to-end and passes");
}

fn soap_request(extra: &str) -> String {
    format!("M-POST /soap/quote HTTP/1.1\nContent-Length: 2\n{extra}\n\n<x")
}

#[test]
fn x9_soap_m_post_reaches_upstream_as_post_with_soapaction() {
    let (u, s) = plain();
    let r = s.req(&soap_request(
        "Man: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49\n49-SOAPAction: \"urn:example:GetLastTradePrice\"",
    ));
    assert_eq!(r.status, 200);
    let seen: Recorded = u.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("soapaction"), Some("\"urn:example:GetLastTradePrice\""));
    assert!(!seen.has("man") && !seen.has("49-soapaction"), "{seen:?}");
    assert_eq!(seen.body, b"<x");
    assert_eq!(r.header("ext"), Some(""), "X-6: Ext on the answer");
    assert!(r.headers_named("cache-control").join(",").contains("no-cache=\"Ext\""), "{:?}", r.headers);
}

#[test]
fn x9_c_man_on_a_framework_route_510_or_fulfilled_hop_by_hop() {
    let (u, s) = plain();
    let r = s.req(&soap_request("C-Man: \"urn:x-unknown\"\nConnection: C-Man"));
    assert_eq!(r.status, 510);
    r.assert_error_shape();
    assert_eq!(u.count(), 0);
    let r = s.req(&soap_request(
        "C-Man: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=21\n21-SOAPAction: \"urn:a\"\nConnection: C-Man, 21-SOAPAction",
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("c-ext"), Some(""));
    assert!(has_token(r.header("connection"), "c-ext"), "{:?}", r.header("connection"));
    let seen = u.last();
    assert_eq!(seen.method, "POST");
    assert!(!seen.has("c-man") && !seen.has("21-soapaction"));
}

#[test]
fn x4_malformed_mandatory_declaration_is_400() {
    let (u, s) = plain();
    let r = s.req(&soap_request("Man: this is not a declaration"));
    assert_eq!(r.status, 400);
    r.assert_error_shape();
    // SOAP declared without its prefixed SOAPAction: the extension refuses it.
    let r = s.req(&soap_request("Man: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49"));
    assert_eq!(r.status, 400);
    assert_eq!(u.count(), 0);
}
