//! [`Outcome`]: what the method table decided for one request.

use http::{HeaderValue, StatusCode};

use crate::{MethodSet, RetryAfter};

/// The decision for one request method on one route, made before any handler runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The route's handler implements and allows the method here: hand the request over.
    Dispatch,
    /// `200` to OPTIONS with this `Allow` and `Content-Length: 0` (M-12, A-11).
    Options {
        /// The methods the resource allows.
        allow: MethodSet,
    },
    /// TRACE is on: echo the request as `message/http`, secrets removed (M-14).
    Trace,
    /// `405 Method Not Allowed`: recognised and implemented here, not allowed on this resource.
    /// `Allow` MUST carry these methods (M-9).
    NotAllowed {
        /// The methods the resource allows.
        allow: MethodSet,
    },
    /// `501 Not Implemented`: no handler on this route implements the method (M-7, M-8).
    NotImplemented {
        /// Set when the operator declared the method planned (M-8, A-1).
        retry_after: Option<RetryAfter>,
    },
}

impl Outcome {
    /// The status this outcome answers with, or `None` for [`Outcome::Dispatch`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Outcome::Dispatch => None,
            Outcome::Options { .. } | Outcome::Trace => Some(StatusCode::OK),
            Outcome::NotAllowed { .. } => Some(StatusCode::METHOD_NOT_ALLOWED),
            Outcome::NotImplemented { .. } => Some(StatusCode::NOT_IMPLEMENTED),
        }
    }

    /// The `Allow` value to send, if any.
    pub fn allow_header(&self) -> Option<HeaderValue> {
        match self {
            Outcome::Options { allow } | Outcome::NotAllowed { allow } => Some(allow.to_header_value()),
            _ => None,
        }
    }

    /// The `Retry-After` value to send, if any.
    pub fn retry_after_header(&self) -> Option<HeaderValue> {
        match self {
            Outcome::NotImplemented { retry_after: Some(r) } => Some(r.to_header_value()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;

    #[test]
    fn statuses_and_headers() {
        assert_eq!(Outcome::Dispatch.status(), None);
        let na = Outcome::NotAllowed { allow: MethodSet::from_iter([Method::GET]).as_allow() };
        assert_eq!(na.status(), Some(StatusCode::METHOD_NOT_ALLOWED));
        assert_eq!(na.allow_header().unwrap(), "GET, HEAD, OPTIONS");
        let ni = Outcome::NotImplemented { retry_after: Some(RetryAfter::Seconds(5)) };
        assert_eq!(ni.retry_after_header().unwrap(), "5");
        assert_eq!(Outcome::NotImplemented { retry_after: None }.retry_after_header(), None);
    }
}
