//! X-6: acknowledging a fulfilled mandatory request.

use std::time::{Duration, SystemTime};

use http::Version;

use super::*;
use crate::evaluate::{evaluate, Evaluation, Fulfilled};
use crate::test_util::{registry, request, response, values};

fn fulfil(method: &str, headers: &[(&str, &str)]) -> Fulfilled {
    let (reg, _) = registry();
    let mut req = request(method, headers);
    match evaluate(&reg, &mut req) {
        Evaluation::Fulfilled(f) => f,
        other => panic!("{other:?}"),
    }
}

fn end_to_end() -> Fulfilled {
    fulfil(
        "M-GET",
        &[("Man", r#""urn:x-test:ok"; ns=16"#), ("16-a", "b")],
    )
}

fn hop_by_hop() -> Fulfilled {
    fulfil(
        "M-GET",
        &[("C-Man", r#""urn:x-test:ok""#), ("Connection", "C-Man")],
    )
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn x6_x10_end_to_end_adds_empty_ext_and_no_cache_ext() {
    // T-55 at the crate level; X-10: the field-limited no-cache is what a
    // cache sees.
    let mut resp = response();
    mark_response(&mut resp, &end_to_end(), false);
    assert_eq!(values(&resp.headers, "ext"), [""]);
    assert_eq!(
        values(&resp.headers, "cache-control"),
        [r#"no-cache="Ext""#]
    );
    assert!(resp.headers.get("c-ext").is_none());
    assert!(resp.headers.get("expires").is_none());
    assert!(resp.headers.get("connection").is_none());
}

#[test]
fn x6_no_cache_ext_is_merged_with_existing_cache_control() {
    let cases: &[(&[&str], &str)] = &[
        (&["max-age=3600"], r#"max-age=3600, no-cache="Ext""#),
        (
            &["max-age=60", r#"x-ext="1,2""#],
            r#"max-age=60, x-ext="1,2", no-cache="Ext""#,
        ),
        (
            &[r#"no-cache="Set-Cookie", max-age=5"#],
            r#"no-cache="Set-Cookie, Ext", max-age=5"#,
        ),
        (
            &["public, no-cache=Set-Cookie"],
            r#"public, no-cache="Set-Cookie, Ext""#,
        ),
    ];
    for (existing, expected) in cases {
        let mut resp = response();
        for line in *existing {
            resp.headers
                .append(CACHE_CONTROL, HeaderValue::from_str(line).unwrap());
        }
        mark_response(&mut resp, &end_to_end(), false);
        assert_eq!(
            values(&resp.headers, "cache-control"),
            [*expected],
            "{existing:?}"
        );
    }
}

#[test]
fn x6_existing_no_cache_covering_ext_is_left_alone() {
    for existing in [
        "no-cache",
        "max-age=0, NO-CACHE",
        r#"no-cache="ext""#,
        r#"no-cache="Set-Cookie, Ext""#,
    ] {
        let mut resp = response();
        resp.headers
            .insert(CACHE_CONTROL, HeaderValue::from_str(existing).unwrap());
        mark_response(&mut resp, &end_to_end(), false);
        assert_eq!(values(&resp.headers, "cache-control"), [existing]);
    }
}

#[test]
fn x6_via_http10_sets_expires_equal_to_date() {
    let mut resp = response();
    resp.headers.insert(
        DATE,
        HeaderValue::from_static("Sun, 25 Oct 1998 08:12:31 GMT"),
    );
    resp.headers
        .insert(CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    mark_response_at(&mut resp, &end_to_end(), true, t(0));
    assert_eq!(
        values(&resp.headers, "expires"),
        ["Sun, 25 Oct 1998 08:12:31 GMT"]
    );
    assert_eq!(
        values(&resp.headers, "date"),
        ["Sun, 25 Oct 1998 08:12:31 GMT"]
    );
    assert_eq!(
        values(&resp.headers, "cache-control"),
        [r#"max-age=3600, no-cache="Ext""#]
    );
}

#[test]
fn x6_via_http10_adds_date_when_missing_or_invalid() {
    for date in [None, Some("yesterday")] {
        let mut resp = response();
        if let Some(d) = date {
            resp.headers.insert(DATE, HeaderValue::from_static(d));
        }
        mark_response_at(
            &mut resp,
            &end_to_end(),
            true,
            t(1_000_000_000) + Duration::from_millis(700),
        );
        assert_eq!(
            values(&resp.headers, "date"),
            ["Sun, 09 Sep 2001 01:46:40 GMT"]
        );
        assert_eq!(
            values(&resp.headers, "expires"),
            ["Sun, 09 Sep 2001 01:46:40 GMT"]
        );
    }
}

#[test]
fn x6_via_http10_keeps_an_earlier_expires_and_replaces_a_later_one() {
    let date = "Sun, 25 Oct 1998 08:12:31 GMT";
    for (expires, expected) in [
        (
            "Sat, 24 Oct 1998 08:12:31 GMT",
            "Sat, 24 Oct 1998 08:12:31 GMT",
        ),
        ("Mon, 26 Oct 1998 08:12:31 GMT", date),
        ("0", date),
    ] {
        let mut resp = response();
        resp.headers.insert(DATE, HeaderValue::from_static(date));
        resp.headers
            .insert(EXPIRES, HeaderValue::from_static(expires));
        mark_response_at(&mut resp, &end_to_end(), true, t(0));
        assert_eq!(values(&resp.headers, "expires"), [expected], "{expires}");
    }
}

#[test]
fn x6_hop_by_hop_adds_c_ext_and_connection() {
    let mut resp = response();
    resp.headers
        .insert(CONNECTION, HeaderValue::from_static("keep-alive"));
    mark_response(&mut resp, &hop_by_hop(), true);
    assert_eq!(values(&resp.headers, "c-ext"), [""]);
    assert_eq!(values(&resp.headers, "connection"), ["keep-alive", "C-Ext"]);
    // Hop-by-hop only: no Ext, no Cache-Control, no Expires.
    assert!(resp.headers.get("ext").is_none());
    assert!(resp.headers.get("cache-control").is_none());
    assert!(resp.headers.get("expires").is_none());
}

#[test]
fn x6_connection_c_ext_is_not_duplicated() {
    let mut resp = response();
    resp.headers
        .insert(CONNECTION, HeaderValue::from_static("c-ext"));
    mark_response(&mut resp, &hop_by_hop(), false);
    assert_eq!(values(&resp.headers, "connection"), ["c-ext"]);
}

#[test]
fn x6_ext_and_c_ext_together() {
    let f = fulfil(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok""#),
            ("C-Man", r#""urn:x-test:other""#),
        ],
    );
    let mut resp = response();
    mark_response(&mut resp, &f, false);
    assert_eq!(values(&resp.headers, "ext"), [""]);
    assert_eq!(values(&resp.headers, "c-ext"), [""]);
    assert_eq!(values(&resp.headers, "connection"), ["C-Ext"]);
    assert_eq!(
        values(&resp.headers, "cache-control"),
        [r#"no-cache="Ext""#]
    );
}

#[test]
fn mark_response_runs_each_extension_rewrite_response() {
    let f = fulfil(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok""#),
            ("C-Man", r#""urn:x-test:other""#),
        ],
    );
    let mut resp = response();
    mark_response(&mut resp, &f, false);
    assert_eq!(values(&resp.headers, "x-ok-response"), ["C-Man", "Man"]);
}

#[test]
fn x2_vary_on_a_prefixed_header_also_names_the_declaration_field() {
    let f = fulfil(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok"; ns=16"#),
            ("16-use-transform", "xyzzy"),
        ],
    );
    let mut resp = response();
    resp.headers
        .insert(VARY, HeaderValue::from_static("Accept, 16-Use-Transform"));
    mark_response(&mut resp, &f, false);
    assert_eq!(
        values(&resp.headers, "vary"),
        ["Accept, 16-Use-Transform", "Man"]
    );

    let mut resp = response();
    resp.headers
        .insert(VARY, HeaderValue::from_static("man, 16-use-transform"));
    mark_response(&mut resp, &f, false);
    assert_eq!(values(&resp.headers, "vary"), ["man, 16-use-transform"]);

    let mut resp = response();
    resp.headers
        .insert(VARY, HeaderValue::from_static("Accept, 160-x"));
    mark_response(&mut resp, &f, false);
    assert_eq!(values(&resp.headers, "vary"), ["Accept, 160-x"]);
}

#[test]
fn x6_request_via_http10_detection() {
    let mut req = request("M-GET", &[]);
    assert!(!request_via_http10(&req));
    req.version = Version::HTTP_10;
    assert!(request_via_http10(&req));

    for (via, expected) in [
        ("1.0 fred", true),
        ("HTTP/1.0 fred", true),
        ("http/1.0 fred", true),
        ("1.1 a, 1.0 b (old proxy)", true),
        ("1.1 a", false),
        ("HTTP/1.1 a, 2 b", false),
        ("FOO/1.0 x", false),
        ("1.01 x", false),
    ] {
        let req = request("M-GET", &[("Via", via)]);
        assert_eq!(request_via_http10(&req), expected, "{via}");
    }
    let req = request("M-GET", &[("Via", "1.1 a"), ("Via", "1.0 b")]);
    assert!(request_via_http10(&req));
}

#[test]
fn x8_marking_never_adds_mandatory_declarations_to_the_response() {
    let f = fulfil(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok"; ns=16"#),
            ("C-Man", r#""urn:x-test:other"; ns=14"#),
        ],
    );
    let mut resp = response();
    resp.headers.insert(VARY, HeaderValue::from_static("16-x"));
    mark_response(&mut resp, &f, true);
    for name in ["man", "c-man", "opt", "c-opt"] {
        assert!(resp.headers.get(name).is_none(), "{name}");
    }
}
