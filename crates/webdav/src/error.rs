//! Errors that end a request, and the responses they become (RFC 4918 §16: a precondition or
//! postcondition code goes inside a top-level `<D:error>`).

use std::io;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};

use crate::xml::{XmlError, XmlWriter, DAV};

/// `Content-Type` of every XML body methodical writes (RFC 4918 §8.2).
pub const XML_CONTENT_TYPE: &str = "application/xml; charset=\"utf-8\"";

/// A precondition or postcondition element (RFC 4918 §16, RFC 5323 §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `lock-token-submitted`, with the URLs of the locks whose token was missing.
    LockTokenSubmitted(Vec<String>),
    /// `no-conflicting-lock`, with the roots of the conflicting locks.
    NoConflictingLock(Vec<String>),
    /// `lock-token-matches-request-uri` (UNLOCK with a token that does not apply here).
    LockTokenMatchesRequestUri,
    /// `propfind-finite-depth` (Depth: infinity refused).
    PropfindFiniteDepth,
    /// `cannot-modify-protected-property`.
    CannotModifyProtectedProperty,
    /// `no-external-entities`: the body has a document type declaration (RFC 4918 §16).
    NoExternalEntities,
    /// `search-grammar-supported` (RFC 5323).
    SearchGrammarSupported,
    /// `search-scope-valid` (RFC 5323).
    SearchScopeValid,
}

impl Condition {
    /// Writes the condition element.
    pub fn write(&self, w: &mut XmlWriter) {
        let with_hrefs = |w: &mut XmlWriter, name: &str, hrefs: &[String]| {
            if hrefs.is_empty() {
                w.empty(DAV, name);
            } else {
                w.start(DAV, name);
                for h in hrefs {
                    w.text_element(DAV, "href", h);
                }
                w.end();
            }
        };
        match self {
            Condition::LockTokenSubmitted(h) => with_hrefs(w, "lock-token-submitted", h),
            Condition::NoConflictingLock(h) => with_hrefs(w, "no-conflicting-lock", h),
            Condition::LockTokenMatchesRequestUri => w.empty(DAV, "lock-token-matches-request-uri"),
            Condition::PropfindFiniteDepth => w.empty(DAV, "propfind-finite-depth"),
            Condition::CannotModifyProtectedProperty => w.empty(DAV, "cannot-modify-protected-property"),
            Condition::NoExternalEntities => w.empty(DAV, "no-external-entities"),
            Condition::SearchGrammarSupported => w.empty(DAV, "search-grammar-supported"),
            Condition::SearchScopeValid => w.empty(DAV, "search-scope-valid"),
        }
    }
}

/// A request that ends with an error status.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {message}")]
pub struct DavError {
    /// The response status.
    pub status: StatusCode,
    /// The precondition element, if the failure has one.
    pub condition: Option<Condition>,
    /// A human-readable explanation, sent as the text of `<D:error>` when there is no
    /// condition element. Never contains filesystem paths.
    pub message: String,
}

impl DavError {
    /// An error with a status and an explanation.
    pub fn new(status: StatusCode, message: impl Into<String>) -> DavError {
        DavError { status, condition: None, message: message.into() }
    }

    /// The same error carrying a condition element.
    pub fn with(mut self, condition: Condition) -> DavError {
        self.condition = Some(condition);
        self
    }

    /// `400 Bad Request`.
    pub fn bad_request(message: impl Into<String>) -> DavError {
        DavError::new(StatusCode::BAD_REQUEST, message)
    }

    /// `404 Not Found`.
    pub fn not_found() -> DavError {
        DavError::new(StatusCode::NOT_FOUND, "no resource at this URL")
    }

    /// `409 Conflict` for a missing parent collection.
    pub fn no_parent() -> DavError {
        DavError::new(StatusCode::CONFLICT, "the parent collection does not exist")
    }

    /// `412 Precondition Failed`.
    pub fn precondition(message: impl Into<String>) -> DavError {
        DavError::new(StatusCode::PRECONDITION_FAILED, message)
    }

    /// `415 Unsupported Media Type` for a body the method would ignore (RFC 4918 §8.4).
    pub fn unexpected_body() -> DavError {
        DavError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "this request must not have a body")
    }

    /// An I/O failure, classified: missing → 404, permission → 403, full disk or quota → 507,
    /// anything else → 500. The message never includes the path.
    pub fn io(err: &io::Error) -> DavError {
        match err.raw_os_error() {
            Some(code) if code == libc::ENOSPC || code == libc::EDQUOT => {
                return DavError::new(StatusCode::INSUFFICIENT_STORAGE, "not enough storage space");
            }
            Some(code) if code == libc::ENOTDIR => {
                return DavError::new(StatusCode::CONFLICT, "a path segment is not a collection");
            }
            Some(code) if code == libc::ENAMETOOLONG => {
                return DavError::new(StatusCode::BAD_REQUEST, "a name is too long");
            }
            _ => {}
        }
        match err.kind() {
            io::ErrorKind::NotFound => DavError::not_found(),
            io::ErrorKind::PermissionDenied => DavError::new(StatusCode::FORBIDDEN, "permission denied"),
            _ => DavError::new(StatusCode::INTERNAL_SERVER_ERROR, "the storage operation failed"),
        }
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Bytes> {
        let mut w = XmlWriter::new();
        w.start(DAV, "error");
        match &self.condition {
            Some(c) => c.write(&mut w),
            None => w.text(&self.message),
        }
        w.end();
        xml_response(self.status, w.finish())
    }
}

impl From<XmlError> for DavError {
    fn from(e: XmlError) -> DavError {
        match e {
            // RFC 4918 §16 / §20.6: refusing entity declarations is a 403 with this condition.
            XmlError::Doctype => {
                DavError::new(StatusCode::FORBIDDEN, e.to_string()).with(Condition::NoExternalEntities)
            }
            other => DavError::bad_request(other.to_string()),
        }
    }
}

/// A response with an XML body.
pub fn xml_response(status: StatusCode, body: Bytes) -> Response<Bytes> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(XML_CONTENT_TYPE));
    res
}

/// A response without a body.
pub fn empty_response(status: StatusCode) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = status;
    res
}

/// `HTTP/1.1 404 Not Found`, as `<D:status>` writes it.
pub fn status_line(status: StatusCode) -> String {
    format!("HTTP/1.1 {} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
}
