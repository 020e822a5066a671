//! The [`Extension`] trait that services implement to honour mandatory
//! declarations, and the [`Registry`] of extensions a route supports.

use std::fmt;
use std::sync::Arc;

use http::Method;
use thiserror::Error;

use crate::decl::ExtensionId;
use crate::error::DeclError;
use crate::request::Binding;

/// An extension a server understands and obeys (RFC 2774 §5 step 3).
///
/// The ultimate recipient of a mandatory request calls
/// [`rewrite_request`](Extension::rewrite_request) for each mandatory
/// declaration naming this extension, then processes the request under the
/// base method; once the response exists it calls
/// [`rewrite_response`](Extension::rewrite_response).
pub trait Extension: Send + Sync + 'static {
    /// The absolute URI or field-name the extension implements, without
    /// quotes (e.g. `http://schemas.xmlsoap.org/soap/envelope/`).
    fn id(&self) -> &str;

    /// Whether the extension is defined for requests with this base method
    /// (the method without `M-`). A declaration whose extension does not
    /// apply is unsupported "for this message" and gets 510 (RFC 2774 §5
    /// step 2).
    fn applies_to(&self, base_method: &Method) -> bool;

    /// Applies the extension's semantics to the request: typically turns the
    /// prefixed headers into the headers the base method expects. At this
    /// point `req.method` is still the `M-` method; the caller replaces it
    /// and removes the declaration afterwards.
    ///
    /// # Errors
    ///
    /// An [`ExtensionError`] when the request does not carry what the
    /// extension needs; the server answers 400 with its message.
    fn rewrite_request(
        &self,
        req: &mut http::request::Parts,
        binding: &Binding<'_>,
    ) -> Result<(), ExtensionError>;

    /// Adjusts the response to a request this extension fulfilled. The
    /// default does nothing; `Ext`/`C-Ext` are added by
    /// [`mark_response`](crate::mark_response), not here.
    fn rewrite_response(&self, _resp: &mut http::response::Parts, _binding: &Binding<'_>) {}
}

/// Why an extension could not fulfil a declaration it supports. Answered
/// with 400; the message is the body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The declaration has no `ns=` prefix, so the extension's instance data
    /// cannot have been sent.
    #[error("the declaration of \"{extension}\" needs a header prefix (`; ns=NN`) so that `NN-{header}` can carry its data")]
    MissingPrefix {
        /// The extension identifier.
        extension: String,
        /// The prefixed header the extension needs, without prefix.
        header: String,
    },
    /// A prefixed header the extension requires is absent.
    #[error("extension \"{extension}\" requires the header `{prefix}-{header}` (its declaration reserved `ns={prefix}`)")]
    MissingPrefixedHeader {
        /// The extension identifier.
        extension: String,
        /// The prefix of the declaration.
        prefix: String,
        /// The header name without prefix.
        header: String,
    },
    /// A prefixed header has a value the extension cannot accept.
    #[error("extension \"{extension}\": invalid `{header}` value: {reason}")]
    InvalidPrefixedHeader {
        /// The extension identifier.
        extension: String,
        /// The full header name, e.g. `49-SOAPAction`.
        header: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// Anything else the extension refuses.
    #[error("extension \"{extension}\": {reason}")]
    Refused {
        /// The extension identifier.
        extension: String,
        /// Why.
        reason: String,
    },
}

/// The extensions one route (or one service) supports, looked up by
/// identifier: URIs compared octet for octet, field-names case-insensitively.
#[derive(Clone, Default)]
pub struct Registry {
    extensions: Vec<(ExtensionId, Arc<dyn Extension>)>,
}

impl Registry {
    /// An empty registry: every mandatory declaration is unsupported.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Adds `extension`, replacing (and returning) one with the same
    /// identifier.
    ///
    /// # Errors
    ///
    /// The [`DeclError`] of [`ExtensionId::parse`] if `extension.id()` is
    /// not a valid identifier.
    pub fn insert(
        &mut self,
        extension: Arc<dyn Extension>,
    ) -> Result<Option<Arc<dyn Extension>>, DeclError> {
        let id = ExtensionId::parse(extension.id())?;
        if let Some(slot) = self
            .extensions
            .iter_mut()
            .find(|(known, _)| known.same_extension(&id))
        {
            let old = std::mem::replace(&mut slot.1, extension);
            slot.0 = id;
            return Ok(Some(old));
        }
        self.extensions.push((id, extension));
        Ok(None)
    }

    /// Builder form of [`insert`](Registry::insert).
    ///
    /// # Errors
    ///
    /// As [`insert`](Registry::insert).
    pub fn with<E: Extension>(mut self, extension: E) -> Result<Registry, DeclError> {
        self.insert(Arc::new(extension))?;
        Ok(self)
    }

    /// The extension implementing `id`, if any.
    pub fn get(&self, id: &ExtensionId) -> Option<&Arc<dyn Extension>> {
        self.extensions
            .iter()
            .find(|(known, _)| known.same_extension(id))
            .map(|(_, ext)| ext)
    }

    /// Whether `id` is known and applies to `base_method`.
    pub fn supports(&self, id: &ExtensionId, base_method: &Method) -> bool {
        self.get(id).is_some_and(|ext| ext.applies_to(base_method))
    }

    /// The identifiers of the registered extensions, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = &ExtensionId> {
        self.extensions.iter().map(|(id, _)| id)
    }

    /// Number of registered extensions.
    pub fn len(&self) -> usize {
        self.extensions.len()
    }

    /// Whether no extension is registered.
    pub fn is_empty(&self) -> bool {
        self.extensions.is_empty()
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.ids().map(ExtensionId::as_str))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named(&'static str);

    impl Extension for Named {
        fn id(&self) -> &str {
            self.0
        }
        fn applies_to(&self, base: &Method) -> bool {
            base == Method::GET
        }
        fn rewrite_request(
            &self,
            _: &mut http::request::Parts,
            _: &Binding<'_>,
        ) -> Result<(), ExtensionError> {
            Ok(())
        }
    }

    #[test]
    fn registry_compares_uris_exactly_and_field_names_case_insensitively() {
        let reg = Registry::new()
            .with(Named("http://example.org/Ext"))
            .unwrap()
            .with(Named("Range"))
            .unwrap();
        assert!(reg
            .get(&ExtensionId::parse("http://example.org/Ext").unwrap())
            .is_some());
        assert!(reg
            .get(&ExtensionId::parse("http://example.org/ext").unwrap())
            .is_none());
        assert!(reg
            .get(&ExtensionId::parse("HTTP://example.org/Ext").unwrap())
            .is_none());
        assert!(reg.get(&ExtensionId::parse("range").unwrap()).is_some());
        assert!(reg.get(&ExtensionId::parse("RANGE").unwrap()).is_some());
        assert_eq!(reg.len(), 2);
    }

    #[test]
    fn registry_supports_checks_the_base_method() {
        let reg = Registry::new().with(Named("urn:x-test:ok")).unwrap();
        let id = ExtensionId::parse("urn:x-test:ok").unwrap();
        assert!(reg.supports(&id, &Method::GET));
        assert!(!reg.supports(&id, &Method::PUT));
    }

    #[test]
    fn registry_replaces_same_id_and_rejects_bad_ids() {
        let mut reg = Registry::new();
        assert!(reg.insert(Arc::new(Named("Range"))).unwrap().is_none());
        assert!(reg.insert(Arc::new(Named("range"))).unwrap().is_some());
        assert_eq!(reg.len(), 1);
        assert!(reg.insert(Arc::new(Named("not a token"))).is_err());
        assert!(reg.insert(Arc::new(Named(""))).is_err());
        assert_eq!(format!("{reg:?}"), r#"{"range"}"#);
    }
}
