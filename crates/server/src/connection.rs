//! Facts about the connection a request arrived on, attached to every request.

use std::net::SocketAddr;

/// The connection a request arrived on. Stored in the request's extensions as
/// `Arc<ConnInfo>`.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Connection number, for logs.
    pub id: u64,
    /// The client's address.
    pub peer: SocketAddr,
    /// Our address.
    pub local: SocketAddr,
    /// Set on TLS connections.
    pub tls: Option<TlsInfo>,
}

/// TLS details of a connection.
#[derive(Debug, Clone, Default)]
pub struct TlsInfo {
    /// The server name the client asked for (SNI).
    pub server_name: Option<String>,
    /// The negotiated application protocol (`h2`, `http/1.1`).
    pub alpn: Option<Vec<u8>>,
}

impl ConnInfo {
    /// `https` on TLS connections, `http` otherwise.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }
}
