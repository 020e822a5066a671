//! X-2, X-3: collecting the declarations of a message and the prefixed
//! headers each owns.

use proptest::prelude::*;

use super::*;
use crate::test_util::request;

#[test]
fn x3_collects_all_four_fields_over_several_lines() {
    let req = request(
        "M-GET",
        &[
            ("Man", r#""urn:a"; ns=16"#),
            ("Opt", r#""urn:b""#),
            ("Man", r#""urn:c", "Range""#),
            ("C-Man", r#""urn:d"; ns=14"#),
            ("C-Opt", r#""urn:e"; ns=12"#),
        ],
    );
    let ext = RequestExtensions::from_headers(&req.headers).unwrap();
    let ids: Vec<(DeclKind, &str)> = ext
        .all()
        .iter()
        .map(|d| (d.kind(), d.declaration().id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            (DeclKind::Man, "urn:a"),
            (DeclKind::Man, "urn:c"),
            (DeclKind::Man, "Range"),
            (DeclKind::Opt, "urn:b"),
            (DeclKind::CMan, "urn:d"),
            (DeclKind::COpt, "urn:e"),
        ]
    );
    assert_eq!(ext.mandatory().count(), 4);
    assert_eq!(ext.hop_by_hop().count(), 2);
    assert!(ext.is_mandatory_request());
}

#[test]
fn x2_prefixed_headers_belong_to_their_declaration_exactly() {
    let req = request(
        "M-PUT",
        &[
            (
                "Man",
                r#""http://www.copyright.org/rights-management"; ns=16"#,
            ),
            ("Opt", r#""urn:other"; ns=160"#),
            ("16-copyright", "http://www.copyright.org/COPYRIGHT.html"),
            ("16-Contributions", "http://www.copyright.org/PATCHES.html"),
            ("116-x", "not ours"),
            ("160-y", "the Opt's"),
            ("16copyright", "no dash"),
            ("17-z", "undeclared prefix"),
        ],
    );
    let ext = RequestExtensions::from_headers(&req.headers).unwrap();
    let man = ext.of_kind(DeclKind::Man).next().unwrap();
    let names: Vec<&str> = man
        .prefixed_headers()
        .iter()
        .map(PrefixedHeader::name)
        .collect();
    assert_eq!(names, ["copyright", "contributions"]);
    assert_eq!(
        man.prefixed_headers()[1].full_name().as_str(),
        "16-contributions"
    );
    // Case-insensitive lookup, prefix stripped.
    assert_eq!(
        man.prefixed_header("Contributions").unwrap(),
        "http://www.copyright.org/PATCHES.html"
    );
    let opt = ext.of_kind(DeclKind::Opt).next().unwrap();
    assert_eq!(opt.prefixed_header("y").unwrap(), "the Opt's");
    assert_eq!(opt.prefixed_headers().len(), 1);
    assert!(ext.by_prefix(&HeaderPrefix::new("17").unwrap()).is_none());
}

#[test]
fn x2_repeated_prefixed_header_lines_are_all_kept() {
    let req = request(
        "M-GET",
        &[("Man", r#""urn:a"; ns=16"#), ("16-a", "1"), ("16-a", "2")],
    );
    let ext = RequestExtensions::from_headers(&req.headers).unwrap();
    let values: Vec<&HeaderValue> = ext.all()[0]
        .prefixed_headers()
        .iter()
        .map(|h| h.value())
        .collect();
    assert_eq!(values, ["1", "2"]);
}

#[test]
fn x2_prefix_reused_in_one_message_is_an_error() {
    let req = request(
        "M-GET",
        &[("Man", r#""urn:a"; ns=16"#), ("Opt", r#""urn:b"; ns=16"#)],
    );
    let e = RequestExtensions::from_headers(&req.headers).unwrap_err();
    assert_eq!(
        e.to_string(),
        "header prefix `16` is declared twice in one message (by `Man \"urn:a\"` and `Opt \"urn:b\"`); \
         RFC 2774 §3.1 forbids reusing a prefix"
    );
    // Within one field too.
    let req = request("M-GET", &[("Man", r#""urn:a"; ns=16, "urn:b"; ns=16"#)]);
    assert!(matches!(
        RequestExtensions::from_headers(&req.headers),
        Err(DeclError::PrefixReused { .. })
    ));
}

#[test]
fn x3_empty_declaration_field_is_an_error() {
    let req = request("M-GET", &[("Man", " , ")]);
    let e = RequestExtensions::from_headers(&req.headers).unwrap_err();
    assert_eq!(e, DeclError::EmptyField { field: "Man" });
    assert!(e.to_string().contains("at least one extension declaration"));
}

#[test]
fn x2_field_errors_name_the_field() {
    let req = request("GET", &[("C-Opt", r#""urn:a"; ns=7"#)]);
    let e = RequestExtensions::from_headers(&req.headers).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid `C-Opt` field: header prefix `7` must have at least 2 digits (RFC 2774 §3.1)"
    );
}

#[test]
fn lenient_collection_skips_bad_optional_fields_only() {
    let req = request(
        "M-GET",
        &[
            ("Man", r#""urn:a"; ns=16"#),
            ("Opt", "garbage"),
            ("C-Opt", r#""urn:b"; ns=16"#),
        ],
    );
    // A bad Opt line is skipped; a prefix clash with a mandatory one is not.
    let e = RequestExtensions::collect(&req.headers, Strictness::IgnoreBadOptional).unwrap_err();
    assert!(matches!(e, DeclError::PrefixReused { .. }));

    let req = request(
        "M-GET",
        &[
            ("Man", r#""urn:a"; ns=16"#),
            ("Opt", "garbage"),
            ("Opt", r#""urn:b"; ns=12, "urn:c"; ns=12"#),
        ],
    );
    let ext = RequestExtensions::collect(&req.headers, Strictness::IgnoreBadOptional).unwrap();
    assert_eq!(ext.all().len(), 3);
    assert!(RequestExtensions::from_headers(&req.headers).is_err());

    let req = request("M-GET", &[("Man", "garbage")]);
    assert!(RequestExtensions::collect(&req.headers, Strictness::IgnoreBadOptional).is_err());
}

#[test]
fn binding_exposes_declaration_kind_headers_and_base_method() {
    let req = request(
        "M-POST",
        &[("C-Man", r#""urn:a"; ns=14"#), ("14-Credentials", "x")],
    );
    let ext = RequestExtensions::from_headers(&req.headers).unwrap();
    let d = &ext.all()[0];
    let base = http::Method::POST;
    let b = d.binding(&base);
    assert_eq!(b.kind(), DeclKind::CMan);
    assert_eq!(b.declaration().id.as_str(), "urn:a");
    assert_eq!(b.prefixed_header("credentials").unwrap(), "x");
    assert_eq!(b.base_method(), &http::Method::POST);
}

proptest! {
    #[test]
    fn prop_from_headers_never_panics(
        lines in proptest::collection::vec(
            (prop_oneof![Just("man"), Just("opt"), Just("c-man"), Just("c-opt"), Just("16-a"), Just("12-b")],
             proptest::collection::vec(any::<u8>(), 0..48)),
            0..6,
        )
    ) {
        let mut headers = HeaderMap::new();
        for (name, value) in lines {
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                headers.append(http::HeaderName::from_static(name), value);
            }
        }
        let _ = RequestExtensions::from_headers(&headers);
        let _ = RequestExtensions::collect(&headers, Strictness::IgnoreBadOptional);
    }
}
