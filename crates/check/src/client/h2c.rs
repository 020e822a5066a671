//! HTTP/2 (`--h2`): ALPN `h2` over TLS, prior knowledge over plain TCP.

use std::time::Duration;

use bytes::Bytes;

use super::response::{Framing, RawResponse, BODY_CAP};
use super::{Stream, TlsSettings};
use crate::error::ClientError;
use crate::target::{Scheme, Target};

/// An HTTP/2 connection; each request is one stream.
pub struct H2Conn {
    sender: h2::client::SendRequest<Bytes>,
    driver: tokio::task::JoinHandle<()>,
    timeout: Duration,
    base: String,
}

impl Drop for H2Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

fn h2_err(context: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::H2(format!("{context}: {e}"))
}

/// Header fields that HTTP/2 forbids (RFC 9113 §8.2.2) or replaces with pseudo-headers.
fn is_h1_only_field(name: &str) -> bool {
    [
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

impl H2Conn {
    /// Connects and performs the HTTP/2 handshake.
    pub async fn connect(
        target: &Target,
        tls: &TlsSettings,
        timeout: Duration,
    ) -> Result<H2Conn, ClientError> {
        let stream = Stream::connect(target, tls, &[b"h2"], timeout).await?;
        if target.scheme == Scheme::Https && stream.alpn().as_deref() != Some(b"h2".as_slice()) {
            return Err(ClientError::H2(
                "the server did not select h2 in the TLS ALPN exchange".into(),
            ));
        }
        let (sender, connection) = tokio::time::timeout(timeout, h2::client::handshake(stream))
            .await
            .map_err(|_| ClientError::Timeout(timeout, "during the HTTP/2 handshake"))?
            .map_err(|e| h2_err("handshake", e))?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(H2Conn {
            sender,
            driver,
            timeout,
            base: format!("{}://{}", target.scheme.as_str(), target.authority),
        })
    }

    /// Sends one request and reads the whole response (body capped at [`BODY_CAP`]).
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<RawResponse, ClientError> {
        let timeout = self.timeout;
        tokio::time::timeout(timeout, self.exchange(method, path, headers, body))
            .await
            .map_err(|_| ClientError::Timeout(timeout, "waiting for the HTTP/2 response"))?
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<RawResponse, ClientError> {
        let method =
            http::Method::from_bytes(method.as_bytes()).map_err(|e| h2_err("method", e))?;
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        for (name, value) in headers.iter().filter(|(n, _)| !is_h1_only_field(n)) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder
            .body(())
            .map_err(|e| h2_err("building the request", e))?;
        let sender = self.sender.clone();
        let mut sender = sender.ready().await.map_err(|e| h2_err("connection", e))?;
        let (response, mut send) = sender
            .send_request(request, body.is_empty())
            .map_err(|e| h2_err("sending", e))?;
        if !body.is_empty() {
            send.send_data(Bytes::copy_from_slice(body), true)
                .map_err(|e| h2_err("sending the body", e))?;
        }
        let response = response.await.map_err(|e| h2_err("response", e))?;
        let (parts, mut recv) = response.into_parts();
        let mut out = RawResponse {
            version: "HTTP/2".into(),
            status: parts.status.as_u16(),
            reason: parts.status.canonical_reason().unwrap_or("").into(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            malformed_lines: Vec::new(),
            obs_fold: false,
            body: Vec::new(),
            framing: Framing::H2Stream,
            body_complete: true,
            framing_problem: None,
        };
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.map_err(|e| h2_err("reading the body", e))?;
            let _ = recv.flow_control().release_capacity(chunk.len());
            if out.body.len() + chunk.len() > BODY_CAP {
                out.body_complete = false;
                break;
            }
            out.body.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}
