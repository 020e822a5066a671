//! methodical's own HTTP/1.1 server connection.
//!
//! hyper's HTTP/1 server answers malformed requests itself with bodiless 400s, cannot be made
//! to answer an over-long method 501 or `HTTP/2.0` 505, accepts bare LF and obs-fold-free
//! leniencies we refuse, and offers no hook to change any of it. Those answers are the
//! product here (M-1…M-6, E-4…E-11), so this module parses and frames HTTP/1.1 itself (as
//! Pingora does), while HTTP/2 stays with hyper (`crate::http2`). Handlers see the same
//! `http::Request` / `http::Response` types whichever protocol carried them.

mod body;
mod conn;
mod encode;
mod names;
mod parse;

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

pub use body::{Decoded, Decoder, H1Body};
pub use conn::{serve, HEAD_BUFFER, PREFACE};
pub use encode::{encode_head, framing_for, Persistence, ResponseFraming};
pub(crate) use names::field_name;
pub use parse::{framing, parse_head, Framing, FramingError, HeadLimits, ParseError, ParsedHead, TargetForm};

use crate::body::{Body, RequestBody};

/// Timeouts and limits of HTTP/1.1 connections.
#[derive(Debug, Clone)]
pub struct H1Config {
    /// Head size limits.
    pub limits: HeadLimits,
    /// How long a kept-alive connection may wait for the next request.
    pub idle_timeout: Duration,
    /// How long a client may take to send a complete request head, from its first octet (or
    /// from the connection's start for the first request). Slow-loris protection.
    pub header_timeout: Duration,
    /// Longest pause while receiving request content.
    pub body_timeout: Duration,
    /// Longest pause while the client is not reading our response.
    pub send_timeout: Duration,
    /// Unread request content we are willing to read and discard to keep a connection alive.
    pub max_drain: u64,
}

impl Default for H1Config {
    fn default() -> H1Config {
        H1Config {
            limits: HeadLimits::default(),
            idle_timeout: Duration::from_secs(75),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
            max_drain: 1024 * 1024,
        }
    }
}

/// A request that could not be turned into an `http::Request`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RequestError {
    /// The head is malformed or too large.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The content framing is invalid.
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// The request-target passed our checks but is not a URI.
    #[error("the request-target is not a valid URI: {0}")]
    Uri(String),
    /// The head did not arrive within the header timeout.
    #[error("the request head did not arrive in time")]
    HeaderTimeout,
}

/// A read half that can wait for data without a buffer to read into, so an idle keep-alive
/// connection holds no read buffer at all (as nginx does). Halves that cannot (TLS) answer at
/// once and keep a small buffer instead.
pub trait ReadReady: tokio::io::AsyncRead + Unpin + Send {
    /// Resolves when data (or the end of the stream) is waiting.
    fn ready(&self) -> impl Future<Output = std::io::Result<()>> + Send;
}

impl ReadReady for tokio::net::tcp::OwnedReadHalf {
    fn ready(&self) -> impl Future<Output = std::io::Result<()>> + Send {
        self.readable()
    }
}

impl<T: tokio::io::AsyncRead + Send> ReadReady for tokio::io::ReadHalf<T> {
    fn ready(&self) -> impl Future<Output = std::io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }
}

/// A write half that may send file content without copying it: plain TCP answers with its
/// socket (for `sendfile(2)`), others (TLS) with none and get the bytes written.
pub trait WriteSocket: tokio::io::AsyncWrite + Unpin + Send {
    /// The TCP socket underneath, when writes go to it unchanged.
    fn socket(&self) -> Option<&tokio::net::TcpStream> {
        None
    }
}

impl WriteSocket for tokio::net::tcp::OwnedWriteHalf {
    fn socket(&self) -> Option<&tokio::net::TcpStream> {
        Some(self.as_ref())
    }
}

impl<T: tokio::io::AsyncWrite + Send> WriteSocket for tokio::io::WriteHalf<T> {}

/// What an HTTP/1 connection needs from the application.
pub trait H1Service: Send + Sync {
    /// Answers one request.
    fn call(&self, req: Request<RequestBody>) -> impl Future<Output = Response<Body>> + Send;
    /// Answers a request that could not be parsed; the connection closes afterwards.
    fn reject(&self, err: &RequestError) -> Response<Body>;
}
