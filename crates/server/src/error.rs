//! Every way a request can fail, and the one place where a failure becomes a status code.

use http::header::{HeaderName, ALLOW, RETRY_AFTER};
use http::{HeaderValue, Method, StatusCode};
use methodical_fs::PathError;
use methodical_policy::{MethodSet, MethodTokenError, RetryAfter};

use crate::body::BodyError;
use crate::checks::CheckError;
use crate::http1::{FramingError, ParseError, RequestError};

/// A failed request, as the pipeline and handlers report it.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The HTTP/1 head or framing is unusable.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A check every request passes before routing failed.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// No handler implements the method here (M-7, M-8).
    #[error("the method {method} is not implemented by this server for this resource")]
    NotImplemented {
        /// The method as sent.
        method: Method,
        /// Set for planned methods.
        retry_after: Option<RetryAfter>,
    },
    /// The method is implemented but not allowed on this resource (M-9).
    #[error("the method {method} is not allowed on this resource; it allows {allow}")]
    NotAllowed {
        /// The method as sent.
        method: Method,
        /// What the resource allows.
        allow: MethodSet,
    },
    /// Nothing here.
    #[error("there is nothing at this address")]
    NotFound,
    /// A path that cannot name a file.
    #[error(transparent)]
    Path(#[from] PathError),
    /// Reading the request content failed.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The announced content is larger than the route accepts (E-5).
    #[error("the request content is larger than this resource accepts ({limit} octets)")]
    ContentTooLarge {
        /// The limit.
        limit: u64,
    },
    /// A conditional request's precondition is false (RFC 9110 §13.1).
    #[error("a precondition given in the request ({0}) is false for the current state of the resource")]
    PreconditionFailed(&'static str),
    /// No requested range overlaps the representation (RFC 9110 §15.5.17).
    #[error("none of the requested byte ranges overlaps the {len} octets of this resource")]
    RangeNotSatisfiable {
        /// Length of the representation.
        len: u64,
    },
    /// The request is malformed in a way found after parsing (400).
    #[error("{0}")]
    BadRequest(String),
    /// RFC 2774: a mandatory extension declaration is not supported (510, X-4, X-7).
    #[error("{0}")]
    NotExtended(String),
    /// The upstream answered with something invalid, refused the connection, or a
    /// forwarding loop was detected (502, E-9, A-8).
    #[error("{0}")]
    BadGateway(String),
    /// The upstream did not answer in time (504, E-10), or `only-if-cached` found nothing
    /// stored (C-9).
    #[error("{0}")]
    GatewayTimeout(String),
    /// Credentials are needed, or the ones sent are wrong (401).
    #[error("this resource needs a login")]
    Unauthorized {
        /// The Basic realm.
        realm: String,
    },
    /// Access is refused (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed logins from the client's address (429, issue 8 item 7).
    #[error("too many failed logins from this address; retry in {retry_after} s")]
    TooManyLogins {
        /// Seconds until the lockout ends (`Retry-After`).
        retry_after: u64,
    },
    /// A server-side failure.
    #[error("internal error: {0}")]
    Internal(String),
    /// A filesystem error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything needed to write an error response, decided in [`HttpError::problem`].
#[derive(Debug, Clone)]
pub struct Problem {
    /// The status.
    pub status: StatusCode,
    /// What happened, for the person reading the page (never a filesystem path).
    pub detail: String,
    /// Whether retrying later may succeed.
    pub temporary: bool,
    /// What the site's operator can do about it.
    pub operator_advice: Option<String>,
    /// The connection must close after the response.
    pub close: bool,
    /// Extra header fields (`Allow`, `Retry-After`, `Content-Range`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    fn new(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem { status, detail: detail.into(), temporary: false, operator_advice: None, close: false, headers: Vec::new() }
    }

    fn closing(mut self) -> Problem {
        self.close = true;
        self
    }

    fn temporary(mut self) -> Problem {
        self.temporary = true;
        self
    }

    fn advice(mut self, advice: impl Into<String>) -> Problem {
        self.operator_advice = Some(advice.into());
        self
    }

    fn header(mut self, name: HeaderName, value: HeaderValue) -> Problem {
        self.headers.push((name, value));
        self
    }
}

impl HttpError {
    /// The status code and everything else the response needs. The single mapping from
    /// failures to statuses.
    pub fn problem(&self) -> Problem {
        match self {
            HttpError::Request(e) => request_problem(e),
            HttpError::Check(e) => e.problem(),
            HttpError::NotImplemented { method, retry_after } => {
                let mut p = Problem::new(
                    StatusCode::NOT_IMPLEMENTED,
                    format!("This server does not implement the request method {method} for this resource."),
                );
                match retry_after {
                    Some(r) => {
                        p = p
                            .temporary()
                            .advice(format!(
                                "{method} is declared planned: support for it is being rolled out. Retry-After tells clients when to try again."
                            ))
                            .header(RETRY_AFTER, r.to_header_value());
                    }
                    None => {
                        p = p.advice(format!(
                            "If clients need {method} here, configure a handler that implements it, or declare it in planned_methods so clients are told when to retry."
                        ));
                    }
                }
                p
            }
            HttpError::NotAllowed { method, allow } => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("The request method {method} is not allowed on this resource. Allowed methods: {}.", allow_text(allow)),
            )
            .advice("If this method should work here, allow it in the route's configuration.")
            .header(ALLOW, allow.to_header_value()),
            HttpError::NotFound | HttpError::Path(PathError::NotFound(_)) => {
                Problem::new(StatusCode::NOT_FOUND, "There is nothing at this address.")
            }
            HttpError::Path(PathError::BadRequest(why)) => {
                Problem::new(StatusCode::BAD_REQUEST, format!("The request path is malformed: {why}."))
            }
            HttpError::Body(e) => body_problem(e),
            HttpError::ContentTooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The request content is larger than this resource accepts ({limit} octets)."),
            )
            .advice("Raise max_body on the route if larger uploads are expected.")
            .closing(),
            HttpError::PreconditionFailed(which) => Problem::new(
                StatusCode::PRECONDITION_FAILED,
                format!("The precondition in {which} is false for the current version of the resource."),
            ),
            HttpError::RangeNotSatisfiable { len } => Problem::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("None of the requested byte ranges overlaps the {len} octets of this resource."),
            )
            .header(
                http::header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).unwrap_or_else(|_| HeaderValue::from_static("bytes */0")),
            ),
            HttpError::Unauthorized { realm } => {
                let challenge = format!("Basic realm=\"{}\", charset=\"UTF-8\"", realm.replace(['"', '\\'], ""));
                Problem::new(StatusCode::UNAUTHORIZED, "This request needs a user name and password, and none or wrong ones were sent.")
                    .header(http::header::WWW_AUTHENTICATE, HeaderValue::from_str(&challenge).unwrap_or_else(|_| HeaderValue::from_static("Basic")))
            }
            HttpError::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, why.clone()),
            HttpError::TooManyLogins { retry_after } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed logins came from your address. Requests with a user name and password are refused for {retry_after} more seconds, whatever the password."
                ),
            )
            .temporary()
            .advice("The limit is [limits] auth_failures within auth_lockout; auth_failures = 0 turns it off.")
            .header(RETRY_AFTER, HeaderValue::from(*retry_after)),
            HttpError::BadRequest(why) => Problem::new(StatusCode::BAD_REQUEST, why.clone()),
            HttpError::NotExtended(why) => Problem::new(StatusCode::from_u16(510).unwrap_or(StatusCode::NOT_IMPLEMENTED), why.clone())
                .advice("The request carries a mandatory HTTP extension (RFC 2774) this resource does not support."),
            HttpError::BadGateway(why) => Problem::new(StatusCode::BAD_GATEWAY, why.clone())
                .temporary()
                .advice("The upstream server failed or is unreachable; the server log names it."),
            HttpError::GatewayTimeout(why) => Problem::new(StatusCode::GATEWAY_TIMEOUT, why.clone()).temporary(),
            HttpError::Internal(why) => {
                tracing::error!("internal error: {why}");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "The server failed while answering this request.")
                    .temporary()
                    .advice("The server log has the details.")
            }
            HttpError::Io(e) => io_problem(e),
        }
    }
}

fn allow_text(allow: &MethodSet) -> String {
    if allow.is_empty() {
        "none right now".into()
    } else {
        allow.to_string()
    }
}

fn request_problem(e: &RequestError) -> Problem {
    match e {
        RequestError::Parse(ParseError::Method(MethodTokenError::TooLong)) => {
            Problem::new(StatusCode::NOT_IMPLEMENTED, format!("{e}.")).closing()
        }
        RequestError::Parse(ParseError::TargetTooLong { .. }) => {
            Problem::new(StatusCode::URI_TOO_LONG, format!("{e}.")).closing()
        }
        RequestError::Parse(ParseError::VersionNotSupported(_)) => {
            Problem::new(StatusCode::HTTP_VERSION_NOT_SUPPORTED, format!("{e}.")).closing()
        }
        RequestError::Parse(ParseError::HeadTooLarge { .. } | ParseError::TooManyHeaders { .. }) => {
            Problem::new(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, format!("{e}.")).closing()
        }
        RequestError::Framing(FramingError::UnknownCoding(_)) => Problem::new(StatusCode::NOT_IMPLEMENTED, format!("{e}.")).closing(),
        RequestError::HeaderTimeout => Problem::new(StatusCode::REQUEST_TIMEOUT, format!("{e}.")).temporary().closing(),
        _ => Problem::new(StatusCode::BAD_REQUEST, format!("{e}.")).closing(),
    }
}

fn body_problem(e: &BodyError) -> Problem {
    match e {
        BodyError::TooLarge { limit } => HttpError::ContentTooLarge { limit: *limit }.problem(),
        BodyError::Timeout => Problem::new(StatusCode::REQUEST_TIMEOUT, format!("{e}.")).temporary().closing(),
        BodyError::Incomplete | BodyError::Io(_) | BodyError::H2(_) => {
            Problem::new(StatusCode::BAD_REQUEST, format!("{e}.")).closing()
        }
        BodyError::Chunked(_) => Problem::new(StatusCode::BAD_REQUEST, format!("{e}.")).closing(),
    }
}

fn io_problem(e: &std::io::Error) -> Problem {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => Problem::new(StatusCode::NOT_FOUND, "There is nothing at this address."),
        ErrorKind::PermissionDenied => Problem::new(StatusCode::FORBIDDEN, "The server may not read this resource.")
            .advice("Check the file permissions of the served folder."),
        ErrorKind::StorageFull => Problem::new(StatusCode::INSUFFICIENT_STORAGE, "The server has no space left to store this.")
            .temporary()
            .advice("Free disk space on the server."),
        _ => {
            tracing::error!("I/O error: {e}");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "The server failed while reading or writing a file.")
                .temporary()
                .advice("The server log has the details.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m8_planned_501_carries_retry_after() {
        let p = HttpError::NotImplemented { method: Method::PATCH, retry_after: Some(RetryAfter::Seconds(120)) }.problem();
        assert_eq!(p.status, StatusCode::NOT_IMPLEMENTED);
        assert!(p.temporary);
        assert!(p.headers.iter().any(|(n, v)| n == RETRY_AFTER && v == "120"));
        let p = HttpError::NotImplemented { method: Method::PATCH, retry_after: None }.problem();
        assert!(!p.headers.iter().any(|(n, _)| n == RETRY_AFTER));
    }

    #[test]
    fn m3_m4_e11_statuses() {
        let s = |e: ParseError| HttpError::Request(RequestError::Parse(e)).problem();
        assert_eq!(s(ParseError::Method(MethodTokenError::TooLong)).status, 501);
        assert!(s(ParseError::Method(MethodTokenError::TooLong)).close);
        assert_eq!(s(ParseError::TargetTooLong { limit: 1 }).status, 414);
        assert_eq!(s(ParseError::VersionNotSupported("2.0".into())).status, 505);
        assert_eq!(s(ParseError::HeadTooLarge { limit: 1 }).status, 431);
        assert_eq!(s(ParseError::BareLf).status, 400);
        let f = HttpError::Request(RequestError::Framing(FramingError::UnknownCoding("foo".into()))).problem();
        assert_eq!(f.status, 501);
    }

    #[test]
    fn issue8_item7_too_many_logins_is_429_with_retry_after() {
        let p = HttpError::TooManyLogins { retry_after: 42 }.problem();
        assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(p.temporary);
        assert!(p.detail.contains("42 more seconds"), "{}", p.detail);
        assert!(p.headers.iter().any(|(n, v)| n == RETRY_AFTER && v == "42"));
    }

    #[test]
    fn paths_never_leak() {
        let p = HttpError::Path(PathError::NotFound("symlink leads outside the root")).problem();
        assert_eq!(p.status, 404);
        assert!(!p.detail.contains("symlink"));
    }
}
