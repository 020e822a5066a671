//! X-9 (gateway and `M-` methods) and the RFC 2774 part of P-3.

use http::{Method, StatusCode};

use super::*;
use crate::evaluate::{evaluate, Evaluation};
use crate::response::mark_response;
use crate::test_util::{registry, request, response, values};

fn names(v: Vec<HeaderName>) -> Vec<String> {
    v.into_iter().map(|n| n.as_str().to_owned()).collect()
}

// ---- framework off (no registry) ------------------------------------------

#[test]
fn x9_t52_m_method_with_end_to_end_man_is_forwarded_unchanged() {
    let req = request(
        "M-GET",
        &[("Man", r#""http://example.org/e"; ns=16"#), ("16-foo", "x")],
    );
    let action = gateway_action(&req, None);
    assert_eq!(action, GatewayAction::Forward);
    assert_eq!(action.error_status(), None);
    // Nothing of it is hop-by-hop: Man and 16-foo travel on.
    assert!(hop_by_hop_extension_fields(&req.headers).is_empty());
}

#[test]
fn x9_t53_m_method_with_c_man_is_501_without_forwarding() {
    for headers in [
        vec![
            ("C-Man", r#""http://example.org/""#),
            ("Connection", "C-Man"),
        ],
        // Not listed in Connection: still addressed to this hop.
        vec![("C-Man", r#""http://example.org/""#)],
        // Not even parseable: the framework is off, the gateway does not look.
        vec![("C-Man", "garbage")],
    ] {
        let req = request("M-GET", &headers);
        let action = gateway_action(&req, None);
        assert_eq!(action, GatewayAction::RefuseNotImplemented, "{headers:?}");
        assert_eq!(action.error_status(), Some(StatusCode::NOT_IMPLEMENTED));
    }
}

#[test]
fn x9_framework_off_forwards_everything_else() {
    for (method, headers) in [
        ("M-GET", vec![("Opt", r#""urn:a""#)]),
        (
            "M-GET",
            vec![("C-Opt", r#""urn:a""#), ("Connection", "C-Opt")],
        ),
        ("M-GET", vec![]),
        (
            "GET",
            vec![("C-Man", r#""urn:a""#), ("Connection", "C-Man")],
        ),
        ("m-get", vec![("C-Man", r#""urn:a""#)]),
        ("M-POST", vec![("Man", "malformed")]),
    ] {
        let req = request(method, &headers);
        assert_eq!(
            gateway_action(&req, None),
            GatewayAction::Forward,
            "{method} {headers:?}"
        );
    }
}

#[test]
fn x3_t54_c_opt_and_its_prefixed_headers_are_hop_by_hop() {
    let req = request(
        "GET",
        &[
            ("C-Opt", r#""http://x"; ns=12"#),
            ("12-a", "b"),
            ("Connection", "C-Opt, 12-a"),
            ("120-z", "not ours"),
        ],
    );
    assert_eq!(gateway_action(&req, None), GatewayAction::Forward);
    assert_eq!(
        names(hop_by_hop_extension_fields(&req.headers)),
        ["c-opt", "12-a"]
    );
}

#[test]
fn x3_hop_by_hop_fields_found_even_when_connection_forgets_them() {
    let req = request(
        "M-GET",
        &[
            ("C-Man", r#""urn:a"; ns=14"#),
            ("C-Opt", r#"bad element, "urn:b"; ns=15"#),
            ("14-Credentials", "x"),
            ("15-x", "y"),
            ("15-x", "z"),
            ("Man", r#""urn:c"; ns=16"#),
            ("16-keep", "me"),
        ],
    );
    assert_eq!(
        names(hop_by_hop_extension_fields(&req.headers)),
        ["c-man", "c-opt", "14-credentials", "15-x"]
    );
}

// ---- framework on (registry) ----------------------------------------------

#[test]
fn x9_unsupported_c_man_is_510() {
    let (reg, _) = registry();
    let req = request(
        "M-GET",
        &[
            ("C-Man", r#""http://example.org/""#),
            ("Connection", "C-Man"),
        ],
    );
    let GatewayAction::NotExtended(n) = gateway_action(&req, Some(&reg)) else {
        panic!()
    };
    assert_eq!(n.unsupported().len(), 1);
    assert!(n
        .explanation()
        .contains("C-Man: \"http://example.org/\": extension not supported"));
    let req = request("M-DELETE", &[("C-Man", r#""urn:x-test:ok""#)]);
    let action = gateway_action(&req, Some(&reg));
    assert_eq!(action.error_status(), Some(StatusCode::NOT_EXTENDED));
}

#[test]
fn x9_supported_c_man_with_unsupported_man_is_fulfilled_hop_by_hop_then_forwarded() {
    let (reg, log) = registry();
    let mut req = request(
        "M-GET",
        &[
            ("C-Man", r#""urn:x-test:ok"; ns=14"#),
            ("14-credentials", "x"),
            ("Connection", "C-Man, 14-credentials"),
            ("Man", r#""http://example.org/e"; ns=16"#),
            ("16-foo", "x"),
        ],
    );
    assert_eq!(
        gateway_action(&req, Some(&reg)),
        GatewayAction::FulfilHopByHop
    );
    let Evaluation::Fulfilled(f) = fulfil_hop_by_hop(&reg, &mut req) else {
        panic!()
    };
    assert!(f.hop_by_hop() && !f.end_to_end());
    // The end-to-end part goes on untouched, M- included (RFC 2774 §5).
    assert_eq!(req.method.as_str(), "M-GET");
    assert_eq!(
        values(&req.headers, "man"),
        [r#""http://example.org/e"; ns=16"#]
    );
    assert_eq!(values(&req.headers, "16-foo"), ["x"]);
    assert!(req.headers.get("c-man").is_none());
    assert!(req.headers.get("14-credentials").is_none());
    assert!(req.headers.get("connection").is_none());
    assert_eq!(*log.lock().unwrap(), ["C-Man urn:x-test:ok M-GET"]);
    // The answer carries C-Ext only.
    let mut resp = response();
    mark_response(&mut resp, &f, false);
    assert_eq!(values(&resp.headers, "c-ext"), [""]);
    assert!(resp.headers.get("ext").is_none());
}

#[test]
fn x9_supported_c_man_alone_is_fulfilled_with_the_base_method() {
    let (reg, _) = registry();
    let req = request(
        "M-GET",
        &[("C-Man", r#""urn:x-test:ok""#), ("Connection", "C-Man")],
    );
    assert_eq!(gateway_action(&req, Some(&reg)), GatewayAction::Fulfil);
    // fulfil_hop_by_hop on such a request leaves nothing mandatory: base method.
    let mut req2 = req.clone();
    assert!(matches!(
        fulfil_hop_by_hop(&reg, &mut req2),
        Evaluation::Fulfilled(_)
    ));
    assert_eq!(req2.method, Method::GET);
}

#[test]
fn x9_supported_end_to_end_man_makes_the_gateway_the_ultimate_recipient() {
    let (reg, _) = registry();
    let mut req = request(
        "M-POST",
        &[
            (
                "Man",
                r#""http://schemas.xmlsoap.org/soap/envelope/"; ns=49"#,
            ),
            ("49-SOAPAction", r#""urn:a#b""#),
        ],
    );
    assert_eq!(gateway_action(&req, Some(&reg)), GatewayAction::Fulfil);
    assert!(matches!(evaluate(&reg, &mut req), Evaluation::Fulfilled(_)));
    assert_eq!(req.method, Method::POST);
    assert_eq!(values(&req.headers, "soapaction"), [r#""urn:a#b""#]);
}

#[test]
fn x9_unsupported_end_to_end_man_is_forwarded() {
    let (reg, _) = registry();
    let req = request(
        "M-GET",
        &[
            ("Man", r#""http://example.org/e", "urn:x-test:ok""#),
            ("Opt", r#""urn:z""#),
        ],
    );
    assert_eq!(gateway_action(&req, Some(&reg)), GatewayAction::Forward);
}

#[test]
fn x9_m_method_without_declarations_is_forwarded_for_upstream_to_answer() {
    let (reg, _) = registry();
    let req = request("M-GET", &[("Opt", r#""urn:x-test:ok""#)]);
    assert_eq!(gateway_action(&req, Some(&reg)), GatewayAction::Forward);
    let req = request("GET", &[]);
    assert_eq!(gateway_action(&req, Some(&reg)), GatewayAction::Forward);
}

#[test]
fn x9_framework_on_rejects_malformed_mandatory_requests() {
    let (reg, _) = registry();
    for (method, headers) in [
        ("M-GET", vec![("C-Man", "garbage")]),
        ("M-GET", vec![("Man", r#""urn:x-test:ok"; ns=1"#)]),
        ("GET", vec![("C-Man", r#""urn:x-test:ok""#)]),
        ("GET", vec![("Man", r#""urn:x-test:unknown""#)]),
    ] {
        let req = request(method, &headers);
        let action = gateway_action(&req, Some(&reg));
        assert!(
            matches!(action, GatewayAction::Malformed(_)),
            "{method} {headers:?}: {action:?}"
        );
        assert_eq!(action.error_status(), Some(StatusCode::BAD_REQUEST));
    }
}

#[test]
fn fulfil_hop_by_hop_without_c_man_does_nothing() {
    let (reg, log) = registry();
    let mut req = request("M-GET", &[("Man", r#""urn:x-test:ok""#)]);
    let before = req.headers.clone();
    assert!(matches!(
        fulfil_hop_by_hop(&reg, &mut req),
        Evaluation::NotMandatory
    ));
    assert_eq!(req.headers, before);
    assert_eq!(req.method.as_str(), "M-GET");
    assert!(log.lock().unwrap().is_empty());
}
