//! Body types: [`Body`] for responses, [`RequestBody`] for requests, whichever protocol
//! carried them.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;

use crate::http1::H1Body;

/// A response extension saying that the response's in-memory body is also the whole content
/// of this open file, so an HTTP/1.1 writer on a plain TCP connection may send it with
/// `sendfile(2)` instead of copying it from memory into the socket. Others ignore it.
#[derive(Debug, Clone)]
pub struct FileSource(pub std::sync::Arc<std::fs::File>);

/// Boxed error type carried by streaming bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response body.
///
/// The common cases are variants so the HTTP/1 writer can send them without going through
/// the `http_body` machinery (an in-memory body goes out in the same write as the head).
#[derive(Default)]
pub enum Body {
    /// No content.
    #[default]
    Empty,
    /// Content held in memory.
    Full(Bytes),
    /// Content produced piece by piece (files, proxied responses, compression).
    Stream(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// A body from anything that implements [`http_body::Body`].
    pub fn stream<B>(body: B) -> Body
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        use http_body_util::BodyExt;
        Body::Stream(UnsyncBoxBody::new(body.map_err(Into::into)))
    }

    /// The exact length when it is known before sending.
    pub fn exact_len(&self) -> Option<u64> {
        match self {
            Body::Empty => Some(0),
            Body::Full(b) => Some(b.len() as u64),
            Body::Stream(s) => http_body::Body::size_hint(s).exact(),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        if b.is_empty() {
            Body::Empty
        } else {
            Body::Full(b)
        }
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from(Bytes::from(s))
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Body {
        Body::from(Bytes::from_static(s.as_bytes()))
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Empty => f.write_str("Body::Empty"),
            Body::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Body::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut *self {
            Body::Empty => Poll::Ready(None),
            Body::Full(_) => match std::mem::replace(&mut *self, Body::Empty) {
                Body::Full(b) => Poll::Ready(Some(Ok(Frame::data(b)))),
                _ => Poll::Ready(None),
            },
            Body::Stream(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Empty => true,
            Body::Full(b) => b.is_empty(),
            Body::Stream(s) => s.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Empty => SizeHint::with_exact(0),
            Body::Full(b) => SizeHint::with_exact(b.len() as u64),
            Body::Stream(s) => s.size_hint(),
        }
    }
}

/// Why reading a request body failed. Handlers answer 400 for the framing errors and 413
/// when too large, and the connection is closed afterwards.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The chunked framing is broken (RFC 9112 §7.1).
    #[error("malformed chunked request body: {0}")]
    Chunked(&'static str),
    /// The client closed the connection before sending the announced content.
    #[error("the client closed the connection before the request body was complete")]
    Incomplete,
    /// The body was longer than the route accepts.
    #[error("the request body is larger than this resource accepts ({limit} octets)")]
    TooLarge {
        /// The limit in octets.
        limit: u64,
    },
    /// The client stopped sending for longer than the body timeout.
    #[error("timed out waiting for the request body")]
    Timeout,
    /// An I/O error on the connection.
    #[error("connection error while reading the request body: {0}")]
    Io(#[from] std::io::Error),
    /// HTTP/2 stream error.
    #[error("HTTP/2 error while reading the request body: {0}")]
    H2(#[from] hyper::Error),
}

/// A request body, from an HTTP/1 connection or an HTTP/2 stream.
pub enum RequestBody {
    /// The request has no content.
    Empty,
    /// Content arriving on an HTTP/1.1 connection.
    H1(H1Body),
    /// Content arriving on an HTTP/2 stream.
    H2(hyper::body::Incoming),
}

impl RequestBody {
    /// Reads the whole body into memory, refusing more than `limit` octets.
    pub async fn collect_limited(mut self, limit: u64) -> Result<Bytes, BodyError> {
        use http_body_util::BodyExt;
        let mut out = bytes::BytesMut::new();
        while let Some(frame) = self.frame().await {
            if let Ok(data) = frame?.into_data() {
                if (out.len() + data.len()) as u64 > limit {
                    return Err(BodyError::TooLarge { limit });
                }
                out.extend_from_slice(&data);
            }
        }
        Ok(out.freeze())
    }

    /// Reads and throws away the whole body (M-16: content on GET means nothing, but the
    /// framing must still be honoured).
    pub async fn discard(mut self) -> Result<u64, BodyError> {
        use http_body_util::BodyExt;
        let mut n = 0;
        while let Some(frame) = self.frame().await {
            if let Ok(data) = frame?.into_data() {
                n += data.len() as u64;
            }
        }
        Ok(n)
    }

    /// Whether the request announced content (Content-Length > 0 or chunked).
    pub fn has_content(&self) -> bool {
        !http_body::Body::is_end_stream(self)
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestBody::Empty => f.write_str("RequestBody::Empty"),
            RequestBody::H1(_) => f.write_str("RequestBody::H1"),
            RequestBody::H2(_) => f.write_str("RequestBody::H2"),
        }
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.get_mut() {
            RequestBody::Empty => Poll::Ready(None),
            RequestBody::H1(b) => Pin::new(b).poll_frame(cx),
            RequestBody::H2(b) => Pin::new(b).poll_frame(cx).map_err(BodyError::H2),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RequestBody::Empty => true,
            RequestBody::H1(b) => b.is_end_stream(),
            RequestBody::H2(b) => b.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Empty => SizeHint::with_exact(0),
            RequestBody::H1(b) => b.size_hint(),
            RequestBody::H2(b) => b.size_hint(),
        }
    }
}
