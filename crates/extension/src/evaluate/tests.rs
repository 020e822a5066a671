//! X-4 and X-7: the ultimate recipient's evaluation of mandatory requests.

use http::Method;

use super::*;
use crate::test_util::{registry, request, values};

fn fulfilled(e: Evaluation) -> Fulfilled {
    match e {
        Evaluation::Fulfilled(f) => f,
        other => panic!("expected Fulfilled, got {other:?}"),
    }
}

fn not_extended(e: Evaluation) -> NotExtended {
    match e {
        Evaluation::NotExtended(n) => n,
        other => panic!("expected NotExtended, got {other:?}"),
    }
}

#[test]
fn x4_plain_request_with_only_optional_declarations_is_not_mandatory() {
    let (reg, log) = registry();
    let mut req = request(
        "GET",
        &[("Opt", r#""urn:x-test:unknown"; ns=12"#), ("12-a", "b")],
    );
    let before = req.headers.clone();
    let e = evaluate(&reg, &mut req);
    assert!(matches!(e, Evaluation::NotMandatory));
    assert_eq!(e.error_status(), None);
    assert_eq!(req.method, Method::GET);
    assert_eq!(req.headers, before);
    assert!(log.lock().unwrap().is_empty());
}

#[test]
fn x4_plain_request_with_malformed_optional_is_not_mandatory() {
    let (reg, _) = registry();
    let mut req = request("GET", &[("Opt", "not quoted")]);
    assert!(matches!(evaluate(&reg, &mut req), Evaluation::NotMandatory));
}

#[test]
fn x4_mandatory_declaration_without_m_prefix_is_400() {
    let (reg, _) = registry();
    let mut req = request(
        "GET",
        &[
            ("Man", r#""urn:x-test:ok""#),
            ("C-Man", r#""urn:x-test:ok""#),
        ],
    );
    let e = evaluate(&reg, &mut req);
    assert_eq!(e.error_status(), Some(http::StatusCode::BAD_REQUEST));
    let Evaluation::Malformed(err) = e else {
        panic!()
    };
    assert_eq!(
        err.to_string(),
        "the request carries a mandatory extension declaration (C-Man, Man) but its method `GET` \
         is not `M-` followed by a method name; RFC 2774 §5 requires the `M-` prefix on mandatory \
         requests, e.g. `M-GET`"
    );
    assert_eq!(req.method, Method::GET);
}

#[test]
fn x4_malformed_mandatory_field_is_400() {
    let (reg, _) = registry();
    let mut req = request("M-GET", &[("Man", r#""urn:x-test:ok"; ns=7"#)]);
    let Evaluation::Malformed(err) = evaluate(&reg, &mut req) else {
        panic!()
    };
    assert_eq!(
        err.to_string(),
        "invalid `Man` field: header prefix `7` must have at least 2 digits (RFC 2774 §3.1)"
    );
    let mut req = request("M-GET", &[("C-Man", "urn:x-test:ok")]);
    let Evaluation::Malformed(err) = evaluate(&reg, &mut req) else {
        panic!()
    };
    assert!(err
        .to_string()
        .starts_with("invalid `C-Man` field: extension identifier must be in double quotes"));
}

#[test]
fn x4_m_method_without_mandatory_decl_is_510() {
    // T-56, second request; also with only an optional declaration.
    let (reg, _) = registry();
    for headers in [vec![], vec![("Opt", r#""urn:x-test:ok""#)]] {
        let mut req = request("M-GET", &headers);
        let e = evaluate(&reg, &mut req);
        assert_eq!(e.error_status(), Some(http::StatusCode::NOT_EXTENDED));
        let n = not_extended(e);
        assert_eq!(n.unsupported(), [NotSupported::NoMandatoryDeclaration]);
        assert_eq!(n.method().as_str(), "M-GET");
        assert_eq!(req.method.as_str(), "M-GET");
    }
}

#[test]
fn x7_unknown_mandatory_extension_is_510_with_one_line_per_declaration() {
    // T-56, first request, plus a second unknown declaration in C-Man.
    let (reg, log) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:unknown", "urn:x-test:ok""#),
            ("C-Man", r#""Content-MD5"; ns=10"#),
        ],
    );
    let before = req.clone();
    let n = not_extended(evaluate(&reg, &mut req));
    assert_eq!(n.unsupported().len(), 2);
    assert_eq!(
        n.explanation(),
        "510 Not Extended: the M-GET request does not meet this resource's extension policy (RFC 2774 §7).\n\
         C-Man: \"Content-MD5\"; ns=10: extension not supported by this server\n\
         Man: \"urn:x-test:unknown\": extension not supported by this server\n"
    );
    // Nothing was applied and the request is as it came.
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(req.method, before.method);
    assert_eq!(req.headers, before.headers);
}

#[test]
fn x4_extension_not_defined_for_the_base_method_is_510() {
    let (reg, _) = registry();
    let mut req = request("M-DELETE", &[("Man", r#""urn:x-test:ok""#)]);
    let n = not_extended(evaluate(&reg, &mut req));
    assert!(matches!(
        &n.unsupported()[0],
        NotSupported::NotForMethod { base_method, .. } if base_method == Method::DELETE
    ));
    assert!(n
        .explanation()
        .contains("not supported here for method DELETE"));
}

#[test]
fn x4_fulfilled_request_gets_base_method_and_loses_its_declaration() {
    // T-55 at the crate level.
    let (reg, log) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok"; ns=16"#),
            ("16-a", "b"),
            ("Opt", r#""urn:x-test:unknown"; ns=12"#),
            ("12-c", "d"),
            ("Accept", "*/*"),
        ],
    );
    let e = evaluate(&reg, &mut req);
    assert_eq!(e.error_status(), None);
    let f = fulfilled(e);
    assert_eq!(req.method, Method::GET);
    assert!(f.end_to_end() && !f.hop_by_hop());
    assert_eq!(f.base_method(), &Method::GET);
    assert_eq!(
        f.ids().map(ExtensionId::as_str).collect::<Vec<_>>(),
        ["urn:x-test:ok"]
    );
    assert!(req.headers.get("man").is_none());
    assert!(req.headers.get("16-a").is_none());
    // Optional declarations are left for whoever wants them.
    assert_eq!(
        values(&req.headers, "opt"),
        [r#""urn:x-test:unknown"; ns=12"#]
    );
    assert_eq!(values(&req.headers, "12-c"), ["d"]);
    assert_eq!(values(&req.headers, "accept"), ["*/*"]);
    // The extension saw the M- method (the base is set afterwards).
    assert_eq!(*log.lock().unwrap(), ["Man urn:x-test:ok M-GET"]);
}

#[test]
fn x4_hop_by_hop_mandatory_fulfilled_strips_connection_options() {
    let (reg, _) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("C-Man", r#""urn:x-test:ok"; ns=14"#),
            ("14-Credentials", "g5gj262jdw@4df"),
            ("Connection", "C-Man, 14-Credentials, keep-alive"),
        ],
    );
    let f = fulfilled(evaluate(&reg, &mut req));
    assert!(f.hop_by_hop() && !f.end_to_end());
    assert_eq!(req.method, Method::GET);
    assert!(req.headers.get("c-man").is_none());
    assert!(req.headers.get("14-credentials").is_none());
    assert_eq!(values(&req.headers, "connection"), ["keep-alive"]);
}

#[test]
fn x4_hop_by_hop_declarations_are_applied_before_end_to_end_ones() {
    let (reg, log) = registry();
    let mut req = request(
        "M-PUT",
        &[
            ("Man", r#""urn:x-test:ok", "urn:x-test:other""#),
            ("C-Man", r#""urn:x-test:ok""#),
        ],
    );
    let f = fulfilled(evaluate(&reg, &mut req));
    assert!(f.hop_by_hop() && f.end_to_end());
    assert_eq!(req.method, Method::PUT);
    // Only urn:x-test:ok logs into this log; C-Man came first.
    assert_eq!(
        *log.lock().unwrap(),
        ["C-Man urn:x-test:ok M-PUT", "Man urn:x-test:ok M-PUT"]
    );
    assert_eq!(f.declarations().count(), 3);
}

#[test]
fn x4_every_mandatory_declaration_must_be_supported() {
    // RFC 2774 §5 step 4: no fulfilment without understanding all of them.
    let (reg, log) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok""#),
            ("C-Man", r#""urn:x-test:nope""#),
        ],
    );
    let n = not_extended(evaluate(&reg, &mut req));
    assert_eq!(n.unsupported().len(), 1);
    assert!(log.lock().unwrap().is_empty());
    assert_eq!(req.method.as_str(), "M-GET");
}

#[test]
fn x4_field_name_identifiers_match_case_insensitively() {
    struct Range;
    impl crate::Extension for Range {
        fn id(&self) -> &str {
            "Range"
        }
        fn applies_to(&self, m: &Method) -> bool {
            m == Method::GET
        }
        fn rewrite_request(
            &self,
            _: &mut http::request::Parts,
            _: &crate::Binding<'_>,
        ) -> Result<(), crate::ExtensionError> {
            Ok(())
        }
    }
    let reg = Registry::new().with(Range).unwrap();
    let mut req = request("M-GET", &[("Man", r#""range""#)]);
    assert!(matches!(evaluate(&reg, &mut req), Evaluation::Fulfilled(_)));
}

#[test]
fn x4_malformed_optional_is_ignored_on_a_mandatory_request() {
    let (reg, _) = registry();
    let mut req = request(
        "M-GET",
        &[("Man", r#""urn:x-test:ok""#), ("Opt", "\"unterminated")],
    );
    assert!(matches!(evaluate(&reg, &mut req), Evaluation::Fulfilled(_)));
}

#[test]
fn x4_refusing_extension_gives_400_and_leaves_the_request_untouched() {
    let (reg, log) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("C-Man", r#""urn:x-test:ok""#),
            ("Man", r#""urn:x-test:refuse""#),
        ],
    );
    let before = req.clone();
    let e = evaluate(&reg, &mut req);
    assert_eq!(e.error_status(), Some(http::StatusCode::BAD_REQUEST));
    let Evaluation::Rejected(err) = e else {
        panic!()
    };
    assert_eq!(err.to_string(), "extension \"urn:x-test:refuse\": always");
    // urn:x-test:ok ran on the staged copy, but nothing reached `req`.
    assert_eq!(log.lock().unwrap().len(), 1);
    assert_eq!(req.method, before.method);
    assert_eq!(req.headers, before.headers);
    assert!(req.headers.get("x-scribble").is_none());
}

#[test]
fn x4_m_prefix_with_no_base_method_and_man_is_400() {
    let (reg, _) = registry();
    let mut req = request("M-", &[("Man", r#""urn:x-test:ok""#)]);
    assert!(matches!(
        evaluate(&reg, &mut req),
        Evaluation::Malformed(DeclError::MandatoryWithoutMPrefix { .. })
    ));
    let mut req = request("m-get", &[("Man", r#""urn:x-test:ok""#)]);
    assert!(matches!(evaluate(&reg, &mut req), Evaluation::Malformed(_)));
    // Without declarations these are simply not mandatory requests (the
    // server's method policy decides: 501 for an unknown method).
    let mut req = request("m-get", &[]);
    assert!(matches!(evaluate(&reg, &mut req), Evaluation::NotMandatory));
}

#[test]
fn x4_prefix_clash_involving_a_mandatory_declaration_is_400() {
    let (reg, _) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("Man", r#""urn:x-test:ok"; ns=16"#),
            ("Opt", r#""urn:b"; ns=16"#),
        ],
    );
    assert!(matches!(
        evaluate(&reg, &mut req),
        Evaluation::Malformed(DeclError::PrefixReused { .. })
    ));
}

#[test]
fn x4_empty_registry_makes_every_mandatory_request_510() {
    let reg = Registry::new();
    let mut req = request("M-GET", &[("Man", r#""urn:x-test:ok""#)]);
    assert!(matches!(
        evaluate(&reg, &mut req),
        Evaluation::NotExtended(_)
    ));
}
