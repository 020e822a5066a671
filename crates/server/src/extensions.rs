//! RFC 2774 on routes with `extensions = [ … ]`: which extensions a route implements.
//!
//! The framework is Historic and off by default; a route that lists extensions understands it
//! and becomes the ultimate recipient of mandatory declarations naming them.

use std::sync::Arc;

use http::{request, Method};
use methodical_extension::{Binding, Evaluation, Extension, ExtensionError, Fulfilled, Registry, SoapExtension, SOAP_ENVELOPE_NS};

use crate::error::HttpError;

/// The registry of a route: SOAP 1.1 when its envelope namespace is listed, and for every
/// other listed identifier an extension that is acknowledged without changing the request
/// (the application behind the route implements it). `None` when the list is empty.
pub fn registry(ids: &[String]) -> Result<Option<Registry>, String> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut registry = Registry::new();
    for id in ids {
        let added = if id == SOAP_ENVELOPE_NS { registry.insert(Arc::new(SoapExtension)) } else { registry.insert(Arc::new(Declared(id.clone()))) };
        added.map_err(|e| format!("the extension `{id}`: {e}"))?;
    }
    Ok(Some(registry))
}

/// What an evaluation means for the request, on an origin route and at the gateway alike:
/// the mandatory extensions fulfilled (none when nothing was mandatory), or the refusal —
/// 400 for a malformed or rejected declaration, 510 for a mandatory extension not
/// implemented here.
pub fn outcome(evaluation: Evaluation) -> Result<Option<Fulfilled>, HttpError> {
    match evaluation {
        Evaluation::NotMandatory => Ok(None),
        Evaluation::Fulfilled(f) => Ok(Some(f)),
        Evaluation::Malformed(e) => Err(HttpError::BadRequest(format!("{e}."))),
        Evaluation::Rejected(e) => Err(HttpError::BadRequest(format!("{e}."))),
        Evaluation::NotExtended(n) => Err(HttpError::NotExtended(n.explanation())),
    }
}

/// An extension the route declares it implements, with no request rewriting of its own.
struct Declared(String);

impl Extension for Declared {
    fn id(&self) -> &str {
        &self.0
    }

    fn applies_to(&self, _base_method: &Method) -> bool {
        true
    }

    fn rewrite_request(&self, _req: &mut request::Parts, _binding: &Binding<'_>) -> Result<(), ExtensionError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use methodical_extension::evaluate;

    #[test]
    fn x4_declared_extensions_are_understood_others_are_not() {
        let r = registry(&["urn:x-test:ok".into()]).unwrap().unwrap();
        let (mut ok, ()) = http::Request::builder().method("M-GET").uri("/x").header("Man", "\"urn:x-test:ok\"").body(()).unwrap().into_parts();
        assert!(matches!(evaluate(&r, &mut ok), Evaluation::Fulfilled(_)));
        assert_eq!(ok.method, Method::GET);
        let (mut unknown, ()) = http::Request::builder().method("M-GET").uri("/x").header("Man", "\"urn:x-test:unknown\"").body(()).unwrap().into_parts();
        assert!(matches!(evaluate(&r, &mut unknown), Evaluation::NotExtended(_)));
        assert!(registry(&[]).unwrap().is_none());
    }
}
