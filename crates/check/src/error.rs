//! Errors of the probing client and of the command line.

use std::time::Duration;

/// Why a probe could not obtain a (complete) answer from the server.
///
/// Every variant becomes one readable line in a finding, so the texts say what
/// happened on the wire rather than which function failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    /// The TCP connection could not be established.
    #[error("could not connect to {addr}: {reason}")]
    Connect {
        /// `host:port` we tried.
        addr: String,
        /// The operating system's reason (refused, unreachable, DNS failure...).
        reason: String,
    },
    /// The TLS handshake failed (certificate not trusted, protocol mismatch...).
    #[error("TLS handshake with {host} failed: {reason}")]
    Tls {
        /// The server name we asked for.
        host: String,
        /// rustls's description of the failure.
        reason: String,
    },
    /// Nothing (or not enough) arrived within the per-request timeout.
    #[error("no answer within {0:?} ({1})")]
    Timeout(Duration, &'static str),
    /// The server closed the connection before sending any response octet.
    #[error("the server closed the connection without sending a response")]
    ClosedWithoutResponse,
    /// The server closed the connection in the middle of a response head.
    #[error(
        "the server closed the connection in the middle of the response head ({0} octets received)"
    )]
    TruncatedHead(usize),
    /// The first octets are not an HTTP status line.
    #[error("the server did not answer with an HTTP status line; it sent {0:?}")]
    NotHttp(String),
    /// The response head is larger than we are willing to buffer.
    #[error("the response head is larger than {0} octets")]
    HeadTooLarge(usize),
    /// A chunked body could not be decoded.
    #[error("malformed chunked body: {0}")]
    BadChunk(String),
    /// Reading or writing failed after the connection was established.
    #[error("I/O error: {0}")]
    Io(String),
    /// HTTP/2 specific failure (handshake, stream reset, ALPN).
    #[error("HTTP/2: {0}")]
    H2(String),
    /// The probe cannot be expressed on this transport (e.g. raw bytes over HTTP/2).
    #[error("not expressible over {0}")]
    Unsupported(&'static str),
}

impl ClientError {
    /// True when the failure happened before any HTTP exchange was possible, so
    /// that every other probe would fail the same way.
    pub fn is_connection_level(&self) -> bool {
        matches!(self, ClientError::Connect { .. } | ClientError::Tls { .. })
    }
}

/// Errors in the command line that stop the run before any probe is sent.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgsError {
    /// The URL could not be parsed or uses an unsupported scheme.
    #[error("invalid URL {url:?}: {reason}")]
    BadUrl {
        /// What the user typed.
        url: String,
        /// Why it is not usable.
        reason: String,
    },
    /// A `--path`, `--dav` or `--allow-writes` value is not an absolute path.
    #[error("{flag} {value:?} must be an absolute path starting with '/'")]
    BadPath {
        /// The flag the value belongs to.
        flag: &'static str,
        /// What the user typed.
        value: String,
    },
    /// `--timeout` is not a positive number of seconds.
    #[error("--timeout must be a positive number of seconds, got {0}")]
    BadTimeout(String),
}
