//! SOAP 1.1 over the HTTP Extension Framework (SOAP 1.1 §6.3), as a
//! built-in [`Extension`].
//!
//! ```text
//! M-POST /StockQuote HTTP/1.1
//! Man: "http://schemas.xmlsoap.org/soap/envelope/"; ns=49
//! 49-SOAPAction: "http://example.org/abc#MyMessage"
//! ```
//! is, once [`evaluate`](crate::evaluate) has run with this extension
//! registered,
//! ```text
//! POST /StockQuote HTTP/1.1
//! SOAPAction: "http://example.org/abc#MyMessage"
//! ```

use http::header::{HeaderName, HeaderValue};
use http::Method;

use crate::extension::{Extension, ExtensionError};
use crate::request::Binding;

/// The SOAP 1.1 envelope namespace, which is also the extension identifier
/// SOAP 1.1 §6.3 declares.
pub const SOAP_ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// The `SOAPAction` request header (SOAP 1.1 §6.1.1).
pub const SOAPACTION: HeaderName = HeaderName::from_static("soapaction");

/// SOAP 1.1 requests sent as `M-POST` with a mandatory declaration of the
/// envelope namespace.
///
/// Applies to `POST` only. [`rewrite_request`](Extension::rewrite_request)
/// moves the value of `NN-SOAPAction` to `SOAPAction` (replacing any plain
/// `SOAPAction` the request also had: the declared one is the one the
/// client bound to the extension). Removing `Man`, the `NN-` headers and the
/// `M-` is done by [`evaluate`](crate::evaluate), as for every extension.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SoapExtension;

impl Extension for SoapExtension {
    fn id(&self) -> &str {
        SOAP_ENVELOPE_NS
    }

    fn applies_to(&self, base_method: &Method) -> bool {
        base_method == Method::POST
    }

    fn rewrite_request(
        &self,
        req: &mut http::request::Parts,
        binding: &Binding<'_>,
    ) -> Result<(), ExtensionError> {
        let Some(prefix) = &binding.declaration().prefix else {
            return Err(ExtensionError::MissingPrefix {
                extension: SOAP_ENVELOPE_NS.to_owned(),
                header: "SOAPAction".to_owned(),
            });
        };
        let mut values = binding
            .prefixed_headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case("SOAPAction"))
            .map(|h| h.value());
        let Some(value) = values.next() else {
            return Err(ExtensionError::MissingPrefixedHeader {
                extension: SOAP_ENVELOPE_NS.to_owned(),
                prefix: prefix.to_string(),
                header: "SOAPAction".to_owned(),
            });
        };
        let invalid = |reason: &str| ExtensionError::InvalidPrefixedHeader {
            extension: SOAP_ENVELOPE_NS.to_owned(),
            header: format!("{prefix}-SOAPAction"),
            reason: reason.to_owned(),
        };
        if values.next().is_some() {
            return Err(invalid(
                "it appears more than once; SOAPAction takes a single value",
            ));
        }
        check_soapaction(value).map_err(invalid)?;
        req.headers.insert(SOAPACTION, value.clone());
        Ok(())
    }
}

/// `soapaction = "SOAPAction" ":" [ <"> URI-reference <"> ]` (SOAP 1.1
/// §6.1.1): empty (no indication of intent), `""` (the Request-URI), or a
/// quoted URI reference.
fn check_soapaction(value: &HeaderValue) -> Result<(), &'static str> {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return Ok(());
    }
    let inner = bytes
        .strip_prefix(b"\"")
        .and_then(|b| b.strip_suffix(b"\""))
        .ok_or("it must be a URI reference in double quotes, e.g. \"http://example.org/abc#MyMessage\" (SOAP 1.1 §6.1.1)")?;
    if inner.iter().any(|&b| !b.is_ascii_graphic() || b == b'"') {
        return Err("the quoted URI reference contains a space, a control character, a quote or a non-ASCII octet");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
