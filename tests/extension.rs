//! RFC 2774 at an origin: off by default (X-5), and on routes with `extensions` the
//! ultimate recipient's rules (X-4, X-6, X-7).

mod common;

use common::Server;

const CONFIG: &str = r#"
[[route]]
prefix = "/static/"
static = { root = "site" }

[[route]]
prefix = "/ext/"
static = { root = "site" }
extensions = ["urn:x-test:ok"]

[[route]]
prefix = "/soap"
respond = { status = 200, body = "<soap:Envelope/>", methods = ["POST"], content_type = "text/xml" }
extensions = ["http://schemas.xmlsoap.org/soap/envelope/"]
"#;

fn server() -> Server {
    Server::start(CONFIG, &[("site/a.txt", b"plain"), ("site/x", b"extended")])
}

#[test]
fn t51_x5_m_methods_are_501_where_the_framework_is_off() {
    let s = server();
    let r = s.req("M-GET /static/a.txt HTTP/1.1\nMan: \"http://example.org/ext\"\n");
    assert_eq!(r.status, 501);
    r.assert_error_shape();
    assert!(r.header("ext").is_none());
}

#[test]
fn t55_x6_understood_mandatory_extension_is_fulfilled_with_ext() {
    let s = server();
    let r = s.req("M-GET /ext/x HTTP/1.1\nMan: \"urn:x-test:ok\"\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "extended", "processed as the base method GET");
    assert_eq!(r.header("ext"), Some(""));
    let cc = r.header("cache-control").unwrap();
    assert!(cc.contains("no-cache=\"Ext\""), "{cc}");
    assert!(r.header("expires").is_none(), "no HTTP/1.0 hop");
}

#[test]
fn x6_http10_hop_adds_expires_no_later_than_date() {
    let s = server();
    let r = s.req("M-GET /ext/x HTTP/1.1\nMan: \"urn:x-test:ok\"\nVia: 1.0 old-proxy\n");
    assert_eq!(r.status, 200);
    let date = httpdate::parse_http_date(r.header("date").unwrap()).unwrap();
    let expires = httpdate::parse_http_date(r.header("expires").unwrap()).unwrap();
    assert!(expires <= date);
}

#[test]
fn x6_hop_by_hop_declaration_answers_with_c_ext() {
    let s = server();
    let r = s.req("M-GET /ext/x HTTP/1.1\nC-Man: \"urn:x-test:ok\"\nConnection: C-Man\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("c-ext"), Some(""));
    assert!(r.list("connection").iter().any(|t| t.eq_ignore_ascii_case("C-Ext")), "{:?}", r.headers);
}

#[test]
fn t56_x7_not_understood_or_missing_declaration_is_510() {
    let s = server();
    let r = s.req("M-GET /ext/x HTTP/1.1\nMan: \"urn:x-test:unknown\"\n");
    assert_eq!(r.status, 510);
    assert_eq!(r.reason, "Not Extended");
    r.assert_error_shape();
    assert!(r.text().contains("urn:x-test:unknown"), "{}", r.text());
    assert!(r.header("cache-control").is_none(), "510 is not heuristically cacheable; nothing to add");
    let r = s.req("M-GET /ext/x HTTP/1.1\n");
    assert_eq!(r.status, 510);
    r.assert_error_shape();
}

#[test]
fn x2_malformed_mandatory_declaration_is_400_with_the_problem_named() {
    let s = server();
    let r = s.req("M-GET /ext/x HTTP/1.1\nMan: urn:x-test:ok\n");
    assert_eq!(r.status, 400);
    assert!(r.text().to_lowercase().contains("quote"), "{}", r.text());
    let r = s.req("M-GET /ext/x HTTP/1.1\nMan: \"urn:x-test:ok\"; ns=7\n");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("2 digits"), "{}", r.text());
}

#[test]
fn soap_11_m_post_is_processed_as_post() {
    let s = server();
    let body = "<soap:Envelope/>";
    let r = s.req(&format!(
        "M-POST /soap HTTP/1.1\nMan: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49\n49-SOAPAction: \"urn:example:GetLastTradePrice\"\nContent-Type: text/xml\nContent-Length: {}\n\n{body}",
        body.len()
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("ext"), Some(""));
    let r = s.req("M-POST /soap HTTP/1.1\nMan: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49\nContent-Length: 0\n");
    assert_eq!(r.status, 400, "SOAP 1.1 needs NN-SOAPAction");
    let r = s.req("M-GET /soap HTTP/1.1\nMan: \"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49\n49-SOAPAction: \"x\"\n");
    assert_eq!(r.status, 510, "SOAP applies to POST only");
}

#[test]
fn plain_requests_on_an_extension_route_are_unaffected() {
    let s = server();
    let r = s.req("GET /ext/x HTTP/1.1\nOpt: \"urn:x-test:unknown\"\n");
    assert_eq!(r.status, 200, "optional declarations may be ignored");
    assert!(r.header("ext").is_none());
    assert_eq!(s.req("FOO /ext/x HTTP/1.1\n").status, 501);
}
