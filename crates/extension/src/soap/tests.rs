//! SOAP 1.1 §6.3: `M-POST` with a mandatory envelope declaration.

use http::header::HeaderMap;
use http::Method;

use super::*;
use crate::evaluate::{evaluate, Evaluation};
use crate::extension::Registry;
use crate::response::mark_response;
use crate::test_util::{request, response, values};

fn soap_registry() -> Registry {
    Registry::new().with(SoapExtension).unwrap()
}

fn soap_request(extra: &[(&'static str, &'static str)]) -> http::request::Parts {
    let mut headers = vec![
        ("Host", "www.stockquoteserver.com"),
        ("Content-Type", "text/xml; charset=\"utf-8\""),
        ("Content-Length", "512"),
        (
            "Man",
            "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=NNNN",
        ),
    ];
    headers.extend_from_slice(extra);
    request("M-POST", &headers)
}

fn rejected(e: Evaluation) -> ExtensionError {
    match e {
        Evaluation::Rejected(err) => err,
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[test]
fn soap_m_post_becomes_plain_post_with_soapaction() {
    let mut req = request(
        "M-POST",
        &[
            ("Host", "www.stockquoteserver.com"),
            ("Content-Type", "text/xml; charset=\"utf-8\""),
            ("Content-Length", "512"),
            (
                "Man",
                "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49",
            ),
            (
                "49-SOAPAction",
                "\"http://electrocommerce.org/abc#MyMessage\"",
            ),
        ],
    );
    let uri = req.uri.clone();
    let Evaluation::Fulfilled(f) = evaluate(&soap_registry(), &mut req) else {
        panic!()
    };

    let mut expected = HeaderMap::new();
    expected.insert("host", "www.stockquoteserver.com".parse().unwrap());
    expected.insert(
        "content-type",
        "text/xml; charset=\"utf-8\"".parse().unwrap(),
    );
    expected.insert("content-length", "512".parse().unwrap());
    expected.insert(
        "soapaction",
        "\"http://electrocommerce.org/abc#MyMessage\""
            .parse()
            .unwrap(),
    );
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.uri, uri);
    assert_eq!(req.headers, expected);

    // And the response acknowledges the end-to-end declaration.
    let mut resp = response();
    mark_response(&mut resp, &f, false);
    assert_eq!(values(&resp.headers, "ext"), [""]);
    assert_eq!(
        values(&resp.headers, "cache-control"),
        [r#"no-cache="Ext""#]
    );
}

#[test]
fn soap_prefixed_header_names_are_case_insensitive_and_plain_soapaction_is_replaced() {
    let mut req = request(
        "M-POST",
        &[
            (
                "Man",
                "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=10",
            ),
            ("10-soapaction", "\"\""),
            ("10-Other", "dropped with the declaration"),
            ("SOAPAction", "\"urn:undeclared\""),
        ],
    );
    assert!(matches!(
        evaluate(&soap_registry(), &mut req),
        Evaluation::Fulfilled(_)
    ));
    assert_eq!(values(&req.headers, "soapaction"), ["\"\""]);
    assert!(req.headers.get("10-other").is_none());
    assert!(req.headers.get("man").is_none());
}

#[test]
fn soap_empty_soapaction_value_is_allowed() {
    let mut req = request(
        "M-POST",
        &[
            (
                "Man",
                "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=10",
            ),
            ("10-SOAPAction", ""),
        ],
    );
    assert!(matches!(
        evaluate(&soap_registry(), &mut req),
        Evaluation::Fulfilled(_)
    ));
    assert_eq!(values(&req.headers, "soapaction"), [""]);
}

#[test]
fn soap_missing_prefixed_soapaction_is_400_with_message() {
    let mut req = request(
        "M-POST",
        &[
            (
                "Man",
                "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49",
            ),
            ("50-SOAPAction", "\"x\""),
        ],
    );
    let e = evaluate(&soap_registry(), &mut req);
    assert_eq!(e.error_status(), Some(http::StatusCode::BAD_REQUEST));
    let err = rejected(e);
    assert_eq!(
        err.to_string(),
        "extension \"http://schemas.xmlsoap.org/soap/envelope/\" requires the header `49-SOAPAction` \
         (its declaration reserved `ns=49`)"
    );
    // Untouched: still the M-POST as received.
    assert_eq!(req.method.as_str(), "M-POST");
    assert!(req.headers.get("man").is_some());
}

#[test]
fn soap_declaration_without_prefix_is_400() {
    let mut req = request(
        "M-POST",
        &[("Man", "\"http://schemas.xmlsoap.org/soap/envelope/\"")],
    );
    let err = rejected(evaluate(&soap_registry(), &mut req));
    assert!(matches!(err, ExtensionError::MissingPrefix { .. }));
    assert!(err.to_string().contains("`NN-SOAPAction`"), "{err}");
}

#[test]
fn soap_invalid_or_repeated_soapaction_is_400() {
    for extra in [
        vec![("49-SOAPAction", "urn:unquoted")],
        vec![("49-SOAPAction", "\"a b\"")],
        vec![
            ("49-SOAPAction", "\"urn:a\""),
            ("49-SOAPAction", "\"urn:b\""),
        ],
    ] {
        let mut headers = vec![(
            "Man",
            "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49",
        )];
        headers.extend(extra.iter().copied());
        let mut req = request("M-POST", &headers);
        let err = rejected(evaluate(&soap_registry(), &mut req));
        assert!(
            matches!(err, ExtensionError::InvalidPrefixedHeader { .. }),
            "{extra:?}"
        );
        assert!(
            err.to_string().contains("invalid `49-SOAPAction` value"),
            "{err}"
        );
    }
}

#[test]
fn soap_applies_to_post_only() {
    let mut req = request(
        "M-GET",
        &[
            (
                "Man",
                "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49",
            ),
            ("49-SOAPAction", "\"x\""),
        ],
    );
    let Evaluation::NotExtended(n) = evaluate(&soap_registry(), &mut req) else {
        panic!()
    };
    assert!(n
        .explanation()
        .contains("not supported here for method GET"));
}

#[test]
fn soap_prefix_must_be_digits() {
    // SOAP 1.1's text writes `ns=NNNN`, NNNN standing for a number; a literal NNNN is not a prefix.
    let mut req = soap_request(&[("NNNN-SOAPAction", "\"x\"")]);
    let Evaluation::Malformed(e) = evaluate(&soap_registry(), &mut req) else {
        panic!()
    };
    assert!(
        e.to_string()
            .contains("header prefix `NNNN` must consist of ASCII digits only"),
        "{e}"
    );
}
