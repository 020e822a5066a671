//! A deliberately low-level HTTP client: it sends exact octets and reports
//! exactly what came back, including answers a normal client would reject.

mod h1;
mod h2c;
mod response;
mod tls;

pub use h1::{CloseState, H1Conn};
pub use h2c::H2Conn;
pub use response::{Framing, RawResponse};
pub use tls::TlsSettings;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::error::ClientError;
use crate::target::{Scheme, Target};

/// A connected byte stream: plain TCP or TLS over TCP.
pub enum Stream {
    /// `http://`
    Plain(TcpStream),
    /// `https://`
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// Connects to `target`, with TLS when the scheme is `https`, offering the
    /// given ALPN protocols. Both steps are bounded by `timeout`.
    pub async fn connect(
        target: &Target,
        tls: &TlsSettings,
        alpn: &[&[u8]],
        timeout: Duration,
    ) -> Result<Stream, ClientError> {
        let addr = target.socket_addr();
        let tcp = match tokio::time::timeout(timeout, TcpStream::connect(&addr)).await {
            Err(_) => return Err(ClientError::Timeout(timeout, "while connecting")),
            Ok(Err(e)) => {
                return Err(ClientError::Connect {
                    addr,
                    reason: e.to_string(),
                })
            }
            Ok(Ok(s)) => s,
        };
        // Probes are small and latency-sensitive (close detection, 100-continue).
        let _ = tcp.set_nodelay(true);
        match target.scheme {
            Scheme::Http => Ok(Stream::Plain(tcp)),
            Scheme::Https => {
                let stream = tokio::time::timeout(timeout, tls.handshake(&target.host, alpn, tcp))
                    .await
                    .map_err(|_| ClientError::Timeout(timeout, "during the TLS handshake"))??;
                Ok(Stream::Tls(Box::new(stream)))
            }
        }
    }

    /// The protocol the server chose by ALPN, if TLS negotiated one.
    pub fn alpn(&self) -> Option<Vec<u8>> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(s) => s.get_ref().1.alpn_protocol().map(|p| p.to_vec()),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, data),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
