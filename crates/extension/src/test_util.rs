//! Helpers shared by the unit tests.

use std::sync::{Arc, Mutex};

use http::header::{HeaderName, HeaderValue};
use http::Method;

use crate::extension::{Extension, ExtensionError, Registry};
use crate::request::Binding;

/// A request head with `method`, target `/ext/x` and the given header lines
/// (names may repeat).
pub(crate) fn request(method: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = http::Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri("/ext/x");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

/// An empty 200 response head.
pub(crate) fn response() -> http::response::Parts {
    http::Response::new(()).into_parts().0
}

/// The values of `name` as strings, in order.
pub(crate) fn values(headers: &http::HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The test fixture's extension (`urn:x-test:ok`, digest §0): applies to
/// every method except DELETE, records the order in which it was asked to
/// rewrite, and adds `x-ok-response: <kind>` to responses.
pub(crate) struct TestExt {
    pub id: &'static str,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl TestExt {
    pub(crate) fn new(id: &'static str) -> (TestExt, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        (
            TestExt {
                id,
                log: Arc::clone(&log),
            },
            log,
        )
    }
}

impl Extension for TestExt {
    fn id(&self) -> &str {
        self.id
    }
    fn applies_to(&self, base: &Method) -> bool {
        base != Method::DELETE
    }
    fn rewrite_request(
        &self,
        req: &mut http::request::Parts,
        b: &Binding<'_>,
    ) -> Result<(), ExtensionError> {
        self.log
            .lock()
            .unwrap()
            .push(format!("{} {} {}", b.kind(), self.id, req.method));
        Ok(())
    }
    fn rewrite_response(&self, resp: &mut http::response::Parts, b: &Binding<'_>) {
        resp.headers.append(
            HeaderName::from_static("x-ok-response"),
            HeaderValue::from_static(b.kind().header_name()),
        );
    }
}

/// An extension that refuses every request.
pub(crate) struct Refuser;

impl Extension for Refuser {
    fn id(&self) -> &str {
        "urn:x-test:refuse"
    }
    fn applies_to(&self, _: &Method) -> bool {
        true
    }
    fn rewrite_request(
        &self,
        req: &mut http::request::Parts,
        _: &Binding<'_>,
    ) -> Result<(), ExtensionError> {
        // Scribble first, to show that a refusal leaves the request untouched.
        req.headers
            .insert("x-scribble", HeaderValue::from_static("1"));
        Err(ExtensionError::Refused {
            extension: "urn:x-test:refuse".to_owned(),
            reason: "always".to_owned(),
        })
    }
}

/// A registry with `urn:x-test:ok` (the digest's `/ext/` fixture),
/// `urn:x-test:other`, the refuser and SOAP.
pub(crate) fn registry() -> (Registry, Arc<Mutex<Vec<String>>>) {
    let (ok, log) = TestExt::new("urn:x-test:ok");
    let (other, _) = TestExt::new("urn:x-test:other");
    let reg = Registry::new()
        .with(ok)
        .unwrap()
        .with(other)
        .unwrap()
        .with(Refuser)
        .unwrap()
        .with(crate::SoapExtension)
        .unwrap();
    (reg, log)
}
