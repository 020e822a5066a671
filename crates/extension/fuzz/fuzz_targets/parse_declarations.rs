//! Feeds arbitrary bytes to the declaration parser, and the same bytes read
//! as a header section to `RequestExtensions::from_headers`, `evaluate`, the
//! gateway helpers and `mark_response`. Besides "no panic", it checks the
//! parser's round trip and the invariants of a fulfilled request.

#![no_main]

use std::time::{Duration, SystemTime};

use http::header::{HeaderName, HeaderValue};
use http::Method;
use libfuzzer_sys::fuzz_target;
use methodical_extension::{
    evaluate, format_declarations, fulfil_hop_by_hop, gateway_action, hop_by_hop_extension_fields,
    mark_response_at, parse_declarations, request_via_http10, Binding, Evaluation, Extension,
    ExtensionError, Registry, RequestExtensions, SoapExtension,
};

/// Accepts everything, like the digest's `urn:x-test:ok`.
struct Ok_;

impl Extension for Ok_ {
    fn id(&self) -> &str {
        "urn:x-test:ok"
    }
    fn applies_to(&self, _: &Method) -> bool {
        true
    }
    fn rewrite_request(
        &self,
        _: &mut http::request::Parts,
        _: &Binding<'_>,
    ) -> Result<(), ExtensionError> {
        Ok(())
    }
}

/// Names given to lines without a colon, chosen by their first byte, so that
/// short inputs reach the interesting fields.
const NAMES: [&str; 12] = [
    "man",
    "opt",
    "c-man",
    "c-opt",
    "connection",
    "16-a",
    "12-b",
    "49-soapaction",
    "via",
    "14-x",
    "man",
    "c-man",
];

fn check_round_trip(data: &[u8]) {
    if let Ok(decls) = parse_declarations(data) {
        let printed = format_declarations(&decls);
        let again = parse_declarations(printed.as_bytes()).expect("canonical form must parse");
        assert_eq!(
            again, decls,
            "parse(print(parse(x))) != parse(x) for {printed:?}"
        );
        assert_eq!(
            format_declarations(&again),
            printed,
            "printing is not stable"
        );
    }
}

fn request_from(data: &[u8]) -> http::request::Parts {
    let mut lines = data.split(|&b| b == b'\n');
    let method = lines
        .next()
        .and_then(|m| Method::from_bytes(m).ok())
        .unwrap_or_else(|| Method::from_bytes(b"M-GET").expect("valid method"));
    let mut req = http::Request::new(()).into_parts().0;
    req.method = method;
    for line in lines {
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => (HeaderName::from_bytes(&line[..i]).ok(), &line[i + 1..]),
            None => match line.split_first() {
                Some((&selector, rest)) => (
                    Some(HeaderName::from_static(
                        NAMES[usize::from(selector) % NAMES.len()],
                    )),
                    rest,
                ),
                None => continue,
            },
        };
        if let (Some(name), Ok(value)) = (name, HeaderValue::from_bytes(value)) {
            req.headers.append(name, value);
        }
    }
    req
}

fuzz_target!(|data: &[u8]| {
    check_round_trip(data);

    let req = request_from(data);
    if let Ok(ext) = RequestExtensions::from_headers(&req.headers) {
        for d in ext.all() {
            for h in d.prefixed_headers() {
                let prefix = d
                    .declaration()
                    .prefix
                    .as_ref()
                    .expect("only prefixed declarations own headers");
                assert_eq!(prefix.strip_from(h.full_name().as_str()), Some(h.name()));
            }
        }
    }
    let _ = hop_by_hop_extension_fields(&req.headers);
    let _ = request_via_http10(&req);

    let registry = Registry::new()
        .with(SoapExtension)
        .and_then(|r| r.with(Ok_))
        .expect("valid identifiers");
    let _ = gateway_action(&req, None);
    let _ = gateway_action(&req, Some(&registry));

    let mut hop = req.clone();
    let _ = fulfil_hop_by_hop(&registry, &mut hop);

    let mut evaluated = req.clone();
    match evaluate(&registry, &mut evaluated) {
        Evaluation::Fulfilled(f) => {
            assert_eq!(&evaluated.method, f.base_method());
            assert!(!evaluated.headers.contains_key("man"));
            assert!(!evaluated.headers.contains_key("c-man"));
            let mut resp = http::Response::new(()).into_parts().0;
            resp.headers = req.headers.clone();
            mark_response_at(
                &mut resp,
                &f,
                true,
                SystemTime::UNIX_EPOCH + Duration::from_secs(1),
            );
            if f.end_to_end() {
                assert!(resp.headers.contains_key("ext"));
                assert!(resp.headers.contains_key("expires"));
            }
            if f.hop_by_hop() {
                assert!(resp.headers.contains_key("c-ext"));
            }
        }
        Evaluation::NotMandatory | Evaluation::Malformed(_) | Evaluation::Rejected(_) => {
            assert_eq!(evaluated.method, req.method);
            assert_eq!(evaluated.headers, req.headers);
        }
        Evaluation::NotExtended(n) => {
            assert!(!n.unsupported().is_empty());
            assert_eq!(evaluated.headers, req.headers);
        }
    }
});
