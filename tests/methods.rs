//! The method-semantics rows of the specification's test checklist (section 10) for an
//! origin with static and fixed-response routes, sent as raw bytes over real sockets.

mod common;

use common::{crlf, set, Server};

const A_TXT: &[u8] = b"0123456789abcdefghij";

const CONFIG: &str = r#"
[planned_methods]
PATCH = { retry_after = 120 }
QUERY = { retry_after = "2026-12-24T00:00:00Z" }

[[route]]
prefix = "/static/"
static = { root = "site" }

[[route]]
prefix = "/api/post-only"
respond = { status = 200, body = "posted", methods = ["POST"] }

[[route]]
prefix = "/maintenance/"
respond = { status = 503, body = "back soon", retry_after = 600 }

[[route]]
prefix = "/small/"
respond = { status = 200, body = "ok", methods = ["PUT", "POST"] }
max_body = "1KiB"
"#;

fn server() -> Server {
    Server::start(CONFIG, &[("site/a.txt", A_TXT), ("site/dir/index.html", b"<p>index</p>")])
}

#[test]
fn t1_get_static_file() {
    let s = server();
    let r = s.req("GET /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("20"));
    assert_eq!(r.body, A_TXT);
    assert!(r.header("date").is_some(), "E-3");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[test]
fn t2_m11_head_has_get_headers_and_no_body_then_pipelined_get() {
    let s = server();
    let get = s.req("GET /static/a.txt HTTP/1.1\n");
    let mut c = s.connect();
    c.send(&crlf("HEAD /static/a.txt HTTP/1.1\n"));
    c.send(&crlf("GET /static/a.txt HTTP/1.1\n"));
    let head = c.response(true);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("20"));
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(head.header("last-modified"), get.header("last-modified"));
    let next = c.response(false);
    assert_eq!(next.status, 200, "the pipelined GET after HEAD is parsed correctly");
    assert_eq!(next.body, A_TXT);
}

#[test]
fn t3_m2_lower_case_get_is_501() {
    let s = server();
    let r = s.req("get /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 501);
    r.assert_error_shape();
}

#[test]
fn t4_m7_m8_unknown_method_is_501_with_exact_body_and_no_retry_after() {
    let s = server();
    let r = s.req("FOO /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 501);
    r.assert_error_shape();
    assert!(r.header("retry-after").is_none());
    assert!(r.header("allow").is_none(), "PD: no Allow on 501");
    assert!(r.header("cache-control").is_none(), "C-4: heuristically cacheable unless configured");
    assert!(r.text().contains("FOO"));
    assert!(!r.closed, "the connection stays usable");
}

#[test]
fn e1_problem_json_and_html_bodies() {
    let s = server();
    let r = s.req("FOO /static/a.txt HTTP/1.1\nAccept: application/problem+json\n");
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.header("vary"), Some("Accept"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["status"], 501);
    r.assert_error_shape();
    let html = s.req("FOO /static/a.txt HTTP/1.1\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\n");
    assert_eq!(html.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(html.text().contains("<h1>501 Not Implemented</h1>"));
    assert!(html.text().contains("site's operator"));
}

#[test]
fn t4b_m8_planned_methods_carry_retry_after() {
    let s = server();
    let r = s.req("PATCH /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 501);
    assert_eq!(r.header("retry-after"), Some("120"));
    let q = s.req("QUERY /static/a.txt HTTP/1.1\n");
    assert_eq!(q.status, 501);
    assert_eq!(q.header("retry-after"), Some("Thu, 24 Dec 2026 00:00:00 GMT"));
}

#[test]
fn t5_m1_malformed_request_lines_are_400_and_close() {
    let s = server();
    for raw in [&b"G(T /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"[..], b"GET  /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n", b"GET\t/static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"] {
        let r = s.raw(raw);
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(raw));
        assert_eq!(r.header("connection"), Some("close"));
        assert!(r.closed);
        r.assert_error_shape();
    }
    let ok = s.raw(b"\r\nGET /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(ok.status, 200, "a leading empty line is ignored");
}

#[test]
fn t6_m3_over_long_method_is_501_and_close() {
    let s = server();
    let mut req = vec![b'A'; 100];
    req.extend_from_slice(b" /static/a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    let r = s.raw(&req);
    assert_eq!(r.status, 501);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(r.closed);
}

#[test]
fn t7_m4_over_long_target_is_414_and_8000_octets_are_fine() {
    let s = server();
    let long = format!("GET /{} HTTP/1.1\nHost: x\n", "a".repeat(9000));
    let r = s.req(&long);
    assert_eq!(r.status, 414);
    r.assert_error_shape();
    let ok = format!("GET /static/{} HTTP/1.1\nHost: x\n", "b".repeat(7970));
    let r = s.req(&ok);
    assert_eq!(r.status, 404, "an 8000-octet request-line is parsed (and the file does not exist)");
}

#[test]
fn t8_m6_host_rules() {
    let s = server();
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.1\r\n\r\n").status, 400);
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n").status, 400);
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.1\r\nHost : x\r\n\r\n").status, 400);
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.1\r\nHost: x y\r\n\r\n").status, 400);
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n").status, 400, "obs-fold");
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.1\r\n Host: x\r\n\r\n").status, 400, "whitespace before the first field");
    assert_eq!(s.raw(b"GET /static/a.txt HTTP/1.0\r\n\r\n").status, 200, "HTTP/1.0 needs no Host");
}

#[test]
fn t9_m9_core_methods_refused_on_static_are_405_with_allow() {
    let s = server();
    for m in ["POST", "DELETE", "PUT"] {
        let r = s.req(&format!("{m} /static/a.txt HTTP/1.1\nContent-Length: 0\n"));
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.list("allow"), set(&["GET", "HEAD", "OPTIONS"]));
        r.assert_error_shape();
    }
}

#[test]
fn t10_m10_get_on_post_only_is_405() {
    let s = server();
    let r = s.req("GET /api/post-only HTTP/1.1\n");
    assert_eq!(r.status, 405);
    assert_eq!(r.list("allow"), set(&["POST", "OPTIONS"]));
    let post = s.req("POST /api/post-only HTTP/1.1\nContent-Length: 3\n\nabc");
    assert_eq!(post.status, 200);
    assert_eq!(post.text(), "posted");
}

#[test]
fn t11_m11_head_of_missing_is_404_without_body() {
    let s = server();
    let r = s.req("HEAD /static/missing HTTP/1.1\n");
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    assert!(r.header("content-length").is_some_and(|v| v != "0"), "the length GET would have had");
    assert!(!r.closed);
}

#[test]
fn t12_m12_options_on_a_resource() {
    let s = server();
    let r = s.req("OPTIONS /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.list("allow"), set(&["GET", "HEAD", "OPTIONS"]));
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.header("dav").is_none(), "D-3: no DAV on non-DAV routes");
}

#[test]
fn t13_m13_m5_options_star_and_get_star() {
    let s = server();
    let r = s.req("OPTIONS * HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.header("dav").is_none());
    let g = s.req("GET * HTTP/1.1\n");
    assert_eq!(g.status, 400);
    g.assert_error_shape();
    assert_eq!(s.req("GET example.com:80 HTTP/1.1\n").status, 400);
}

#[test]
fn m5_absolute_form_ignores_host() {
    let s = server();
    let r = s.req(&format!("GET http://{}/static/a.txt HTTP/1.1\nHost: bogus\n", s.addr));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, A_TXT);
}

#[test]
fn t14_m14_trace_off_is_405_without_trace_in_allow() {
    let s = server();
    let r = s.req("TRACE /static/a.txt HTTP/1.1\n");
    assert_eq!(r.status, 405);
    assert!(!r.list("allow").contains(&"TRACE".to_string()));
    assert_ne!(r.header("content-type"), Some("message/http"));
}

#[test]
fn t15_m14_trace_on_echoes_without_secrets() {
    let s = Server::start("trace = true\n[[route]]\nprefix = \"/static/\"\nstatic = { root = \"site\" }\n", &[("site/a.txt", A_TXT)]);
    let r = s.req("TRACE /static/a.txt HTTP/1.1\nCookie: s=1\nAuthorization: Basic eDp5\nX-Keep: yes\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("message/http"));
    let body = r.text();
    assert!(body.starts_with("TRACE /static/a.txt HTTP/1.1\r\n"), "{body}");
    assert!(body.contains("x-keep: yes"));
    assert!(!body.to_ascii_lowercase().contains("cookie"));
    assert!(!body.to_ascii_lowercase().contains("authorization"));
    let with_body = s.req("TRACE /static/a.txt HTTP/1.1\nContent-Length: 2\n\nhi");
    assert_eq!(with_body.status, 400, "a TRACE with content is refused");
    let opts = s.req("OPTIONS /static/a.txt HTTP/1.1\n");
    assert!(opts.list("allow").contains(&"TRACE".to_string()));
}

#[test]
fn t16_m15_connect() {
    let s = server();
    let r = s.req("CONNECT example.com:443 HTTP/1.1\n");
    assert_eq!(r.status, 501);
    r.assert_error_shape();
    let r = s.req("CONNECT example.com HTTP/1.1\n");
    assert_eq!(r.status, 400);
}

#[test]
fn t17_e7_final_status_known_from_headers_gets_no_100() {
    let s = server();
    let mut c = s.connect();
    c.send(&crlf("FOO /static/x HTTP/1.1\nExpect: 100-continue\nContent-Length: 10\n"));
    let r = c.response(false);
    assert_eq!(r.status, 501, "no 100 Continue first");
}

#[test]
fn t18_e5_too_large_is_413_without_100_and_closes() {
    let s = server();
    let mut c = s.connect();
    c.send(&crlf("PUT /small/big HTTP/1.1\nExpect: 100-continue\nContent-Length: 2097152\n"));
    let r = c.response(false);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    r.assert_error_shape();
    // Without Expect: the same answer, before the content is read.
    let mut c = s.connect();
    c.send(&crlf("POST /small/big HTTP/1.1\nContent-Length: 2097152\n"));
    c.send(&vec![b'x'; 64 * 1024]);
    let r = c.response(false);
    assert_eq!(r.status, 413);
}

#[test]
fn e5_chunked_content_over_the_limit_is_413() {
    let s = server();
    let mut req = crlf("POST /small/x HTTP/1.1\nTransfer-Encoding: chunked\n");
    req.extend_from_slice(b"800\r\n");
    req.extend_from_slice(&[b'x'; 0x800]);
    req.extend_from_slice(b"\r\n0\r\n\r\n");
    let r = s.raw(&req);
    assert_eq!(r.status, 413);
}

#[test]
fn e7_100_continue_when_the_handler_reads() {
    let s = server();
    let mut c = s.connect();
    c.send(&crlf("POST /small/x HTTP/1.1\nExpect: 100-Continue\nContent-Length: 5\n"));
    let interim = c.read_head();
    assert_eq!(interim.status, 100);
    c.send(b"hello");
    let r = c.response(false);
    assert_eq!(r.status, 200);
}

#[test]
fn t19_e7_unknown_expectation_is_417() {
    let s = server();
    let r = s.req("GET /static/a.txt HTTP/1.1\nExpect: foo\n");
    assert_eq!(r.status, 417);
    r.assert_error_shape();
}

#[test]
fn t20_e4_framing_errors() {
    let s = server();
    let r = s.req("POST /api/post-only HTTP/1.1\nContent-Length: abc\n");
    assert_eq!(r.status, 400);
    assert!(r.closed);
    assert_eq!(r.header("connection"), Some("close"));
    let r = s.req("POST /api/post-only HTTP/1.1\nTransfer-Encoding: foo, chunked\n");
    assert_eq!(r.status, 501);
    let r = s.req("POST /api/post-only HTTP/1.1\nTransfer-Encoding: gzip\n");
    assert_eq!(r.status, 400);
    let r = s.req("POST /api/post-only HTTP/1.1\nTransfer-Encoding: chunked\nContent-Length: 3\n");
    assert_eq!(r.status, 400);
    assert!(r.closed);
    let r = s.req("POST /api/post-only HTTP/1.1\nContent-Length: 1\nContent-Length: 2\n");
    assert_eq!(r.status, 400);
}

#[test]
fn chunked_request_content_is_decoded() {
    let s = server();
    let mut c = s.connect();
    let mut req = crlf("POST /api/post-only HTTP/1.1\nTransfer-Encoding: chunked\n");
    req.extend_from_slice(b"3\r\nabc\r\n0\r\n\r\n");
    c.send(&req);
    c.send(&crlf("GET /static/a.txt HTTP/1.1\n"));
    assert_eq!(c.response(false).status, 200);
    let next = c.response(false);
    assert_eq!(next.status, 200, "the request after a chunked body is parsed");
    assert_eq!(next.body, A_TXT);
}

#[test]
fn t21_e8_maintenance_answers_everything_with_retry_after() {
    let s = server();
    for m in ["GET", "POST", "FOO", "DELETE"] {
        let r = s.req(&format!("{m} /maintenance/x HTTP/1.1\nContent-Length: 0\n"));
        assert_eq!(r.status, 503, "{m}");
        let ra = r.header("retry-after").unwrap();
        assert!(ra.bytes().all(|b| b.is_ascii_digit()), "{ra}");
        assert_eq!(r.text(), "back soon");
    }
}

#[test]
fn e6_oversized_header_section_is_431() {
    let s = server();
    let big = format!("GET /static/a.txt HTTP/1.1\nX-Big: {}\n", "a".repeat(70_000));
    let r = s.req(&big);
    assert_eq!(r.status, 431);
    assert!(r.closed);
}

#[test]
fn e11_http2_text_request_line_is_505() {
    let s = server();
    let r = s.raw(b"GET /static/a.txt HTTP/2.0\r\nHost: x\r\n\r\n");
    assert_eq!(r.status, 505);
    assert!(r.text().contains("HTTP/1.1"));
}

#[test]
fn m16_content_on_get_is_read_and_discarded() {
    let s = server();
    let mut c = s.connect();
    c.send(&crlf("GET /static/a.txt HTTP/1.1\nContent-Length: 5\n"));
    c.send(b"hello");
    c.send(&crlf("GET /static/a.txt HTTP/1.1\n"));
    assert_eq!(c.response(false).status, 200);
    assert_eq!(c.response(false).status, 200, "the body did not become the next request");
}

#[test]
fn e3_every_generated_answer_has_date() {
    let s = server();
    for req in ["POST /static/a.txt HTTP/1.1\nContent-Length: 0\n", "FOO /static/a.txt HTTP/1.1\n", "GET /nowhere HTTP/1.1\n"] {
        let r = s.req(req);
        assert!(r.header("date").is_some(), "{req}");
    }
}

#[test]
fn m8_error_cache_control_applies_to_generated_405_and_501_only() {
    let s = Server::start(
        "error_cache_control = \"max-age=300\"\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n",
        &[("site/a.txt", A_TXT)],
    );
    assert_eq!(s.req("FOO /a.txt HTTP/1.1\n").header("cache-control"), Some("max-age=300"));
    assert_eq!(s.req("POST /a.txt HTTP/1.1\nContent-Length: 0\n").header("cache-control"), Some("max-age=300"));
    assert_eq!(s.req("GET /missing HTTP/1.1\n").header("cache-control"), None);
}

#[test]
fn http10_keep_alive_only_when_asked() {
    let s = server();
    let r = s.raw(b"GET /static/a.txt HTTP/1.0\r\n\r\n");
    assert_eq!(r.status, 200);
    assert!(r.closed);
    let mut c = s.connect();
    c.send(b"GET /static/a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let r = c.response(false);
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert!(!r.closed);
}

#[test]
fn pipelined_requests_in_one_write() {
    let s = server();
    let mut c = s.connect();
    let mut all = Vec::new();
    for _ in 0..5 {
        all.extend(crlf("GET /static/a.txt HTTP/1.1\n"));
    }
    all.extend(crlf("FOO /static/a.txt HTTP/1.1\n"));
    c.send(&all);
    for _ in 0..5 {
        assert_eq!(c.response(false).status, 200);
    }
    assert_eq!(c.response(false).status, 501);
}

#[test]
fn unrouted_paths() {
    let s = server();
    assert_eq!(s.req("GET /elsewhere HTTP/1.1\n").status, 404);
    assert_eq!(s.req("FOO /elsewhere HTTP/1.1\n").status, 501);
}
