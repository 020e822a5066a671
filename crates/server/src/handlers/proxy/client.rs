//! One HTTP/1.1 connection to an upstream (RFC 9112), driven by the request's own task.
//!
//! hyper-util's pooled client ran every upstream connection as a task of its own: each
//! request crossed a channel to that task, and the response head and every piece of content
//! came back through others, with the wake-ups, allocations and moves that go with them.
//! That was most of the gateway's own CPU time per forwarded request. As in Pingora, the
//! request's task now writes the request, reads the response head and then the content
//! itself; [`super::upstream::UpstreamBody`] owns the connection while the content streams
//! and hands it back to the pool when the response ended cleanly.
//!
//! Responses are read strictly: a head httparse refuses, a `Content-Length` that is not one
//! number, `Transfer-Encoding` in an HTTP/1.0 response or broken chunked framing make the
//! response invalid (502, E-9), and such a connection is never used again.

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::uri::Authority;
use http::{request, response, HeaderMap, Method, Response, StatusCode, Version};
use http_body::Body as _;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;

use crate::body::{BodyError, RequestBody};
use crate::http1::{Decoded, Decoder};

/// Most header fields in a response head (hyper's limit too).
const MAX_HEADERS: usize = 100;
/// Largest response head, interim responses included.
const MAX_HEAD: usize = 64 * 1024;
/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 8 * 1024;
/// Content pieces handed on are at most this large.
pub const MAX_PIECE: usize = 256 * 1024;
/// A pooled connection keeps a read buffer at most this large.
const KEEP_BUFFER: usize = 64 * 1024;

/// Why an exchange on a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Writing the request head failed: a kept-alive connection the upstream had already
    /// closed. Nothing of the request was taken by upstream and its content was not read.
    #[error("the connection was closed before the request was sent: {0}")]
    Unsent(io::Error),
    /// The connection ended (closed or reset) before any octet of a response.
    #[error("the connection closed before a response arrived")]
    Closed,
    /// The connection ended in the middle of the response head.
    #[error("the connection closed in the middle of the response head")]
    IncompleteHead,
    /// Reading or writing failed.
    #[error("{0}")]
    Io(io::Error),
    /// The response violates HTTP/1.1 (E-9).
    #[error("{0}")]
    Invalid(&'static str),
    /// Reading the client's request content failed.
    #[error(transparent)]
    ClientBody(BodyError),
}

impl ClientError {
    /// The connection ended before a response head arrived: a request without content and
    /// with a method that may be repeated can be sent again (P-2).
    pub fn closed_early(&self) -> bool {
        matches!(self, ClientError::Closed | ClientError::IncompleteHead)
    }
}

/// How the request content is framed on the way up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    /// No content.
    None,
    /// Exactly this many octets (`added`: the `Content-Length` line is ours).
    Length { len: u64, added: bool },
    /// Chunked (the `Transfer-Encoding` line is ours: the filter removed the client's).
    Chunked,
}

impl Outgoing {
    /// hyper's rules: the client's `Content-Length` stands (the request filter made it
    /// canonical); otherwise the body's known length, otherwise chunked.
    fn of(head: &request::Parts, body: &RequestBody) -> Outgoing {
        if body.is_end_stream() {
            return Outgoing::None;
        }
        if let Some(len) = head.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()) {
            return Outgoing::Length { len, added: false };
        }
        match body.size_hint().exact() {
            Some(len) => Outgoing::Length { len, added: true },
            None => Outgoing::Chunked,
        }
    }
}

/// How the response content is framed (RFC 9112 §6.3).
#[derive(Debug)]
pub enum Incoming {
    /// Content-Length or chunked.
    Framed(Decoder),
    /// Everything until the connection closes.
    UntilClose,
}

/// When request content last went upstream, shared with the response timeout.
#[derive(Debug)]
pub struct Progress {
    epoch: Instant,
    /// Milliseconds after `epoch` plus one; 0: none yet.
    at: AtomicU64,
}

impl Progress {
    /// Nothing sent yet; `epoch` is about now.
    pub fn new(epoch: Instant) -> Progress {
        Progress { epoch, at: AtomicU64::new(0) }
    }

    fn note(&self) {
        self.at.store(self.epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
    }

    /// When content last went upstream.
    pub fn last(&self) -> Option<Instant> {
        let ms = self.at.load(Ordering::Relaxed);
        (ms > 0).then(|| self.epoch + Duration::from_millis(ms - 1))
    }
}

/// A response head read from upstream.
pub struct Head {
    /// Status, version and header fields as received.
    pub parts: response::Parts,
    /// How its content is framed; `None`: it has none.
    pub content: Option<Incoming>,
    /// The connection may carry another request once the content is read.
    pub reusable: bool,
}

/// An open connection to an upstream.
#[derive(Debug)]
pub struct Conn {
    io: TcpStream,
    /// Octets read and not yet used.
    buf: BytesMut,
    /// The encoded request head, kept for its allocation.
    out: Vec<u8>,
}

impl Conn {
    /// A new connection.
    pub fn new(io: TcpStream) -> Conn {
        Conn { io, buf: BytesMut::new(), out: Vec::new() }
    }

    /// Sends the request (its URI holds the path and query; `base_path` goes before it) and
    /// reads the response head. `progress` learns when content goes upstream.
    pub async fn exchange(&mut self, head: &request::Parts, base_path: &str, authority: &Authority, body: &mut RequestBody, progress: &Progress) -> Result<Head, ClientError> {
        let outgoing = Outgoing::of(head, body);
        encode_head(&mut self.out, head, base_path, authority, outgoing);
        write_all(&mut self.io, &self.out).await.map_err(ClientError::Unsent)?;
        let early = match outgoing {
            Outgoing::None => false,
            _ => self.send_content(body, outgoing, progress).await?,
        };
        let mut head = self.read_head(&head.method).await?;
        if early {
            // Upstream answered before it had all the content: the rest was not sent, so
            // the connection is out of step.
            head.reusable = false;
        }
        Ok(head)
    }

    /// Streams the request content. Meanwhile a final response may arrive (an upstream that
    /// refuses the content early): sending stops and `true` says so. Interim responses
    /// (`100 Continue`) are skipped.
    async fn send_content(&mut self, body: &mut RequestBody, outgoing: Outgoing, progress: &Progress) -> Result<bool, ClientError> {
        let mut left = match outgoing {
            Outgoing::Length { len, .. } => Some(len),
            _ => None,
        };
        let mut outbox = Outbox::default();
        let mut ended = false;
        std::future::poll_fn(|cx| loop {
            match self.poll_early(cx) {
                Poll::Ready(Ok(())) => return Poll::Ready(Ok(true)),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
            if !outbox.is_empty() {
                match outbox.poll_write(&mut self.io, cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(ClientError::Io(e))),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if ended {
                return Poll::Ready(Ok(false));
            }
            match ready!(Pin::new(&mut *body).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    progress.note();
                    let Ok(data) = frame.into_data() else { continue };
                    if data.is_empty() {
                        continue;
                    }
                    if let Some(n) = left.as_mut() {
                        if data.len() as u64 > *n {
                            return Poll::Ready(Err(ClientError::ClientBody(BodyError::Io(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "the request content is longer than its Content-Length",
                            )))));
                        }
                        *n -= data.len() as u64;
                        outbox.parts = [Bytes::new(), data, Bytes::new()];
                    } else {
                        outbox.parts = [Bytes::from(format!("{:x}\r\n", data.len())), data, Bytes::from_static(b"\r\n")];
                    }
                }
                Some(Err(e)) => return Poll::Ready(Err(ClientError::ClientBody(e))),
                None => {
                    progress.note();
                    ended = true;
                    match left {
                        Some(0) => {}
                        Some(_) => return Poll::Ready(Err(ClientError::ClientBody(BodyError::Incomplete))),
                        None => outbox.parts = [Bytes::from_static(b"0\r\n\r\n"), Bytes::new(), Bytes::new()],
                    }
                }
            }
        })
        .await
    }

    /// Ready when a final response head (or the end of the connection) waits while content
    /// is still being sent; interim heads are dropped.
    fn poll_early(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        loop {
            if !self.buf.is_empty() {
                let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
                let mut resp = httparse::Response::new(&mut []);
                match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut resp, &self.buf, &mut slots) {
                    Ok(httparse::Status::Complete(n)) => {
                        if interim(resp.code) {
                            self.buf.advance(n);
                            continue;
                        }
                        return Poll::Ready(Ok(()));
                    }
                    // read_head reports it.
                    Err(_) => return Poll::Ready(Ok(())),
                    Ok(httparse::Status::Partial) if self.buf.len() > MAX_HEAD => return Poll::Ready(Ok(())),
                    Ok(httparse::Status::Partial) => {}
                }
            }
            match ready!(self.poll_fill(cx)) {
                Ok(0) => return Poll::Ready(Err(ClientError::Closed)),
                Ok(_) => {}
                Err(e) => return Poll::Ready(Err(ClientError::Io(e))),
            }
        }
    }

    /// Reads one read's worth into the buffer.
    pub fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < 1024 {
            self.buf.reserve(READ_CHUNK);
        }
        // A read_buf future holds nothing but the two borrows: making one per poll is free.
        pin!(self.io.read_buf(&mut self.buf)).poll(cx)
    }

    /// Reads the final response head, skipping interim (1xx) ones.
    async fn read_head(&mut self, method: &Method) -> Result<Head, ClientError> {
        let mut received = false;
        loop {
            if !self.buf.is_empty() {
                received = true;
                if let Some(head) = self.parse_head(method)? {
                    return Ok(head);
                }
                if !self.buf.is_empty() {
                    // An incomplete head.
                    if self.buf.len() > MAX_HEAD {
                        return Err(ClientError::Invalid("the response head is too large"));
                    }
                }
            }
            let n = std::future::poll_fn(|cx| self.poll_fill(cx)).await;
            match n {
                Ok(0) if received => return Err(ClientError::IncompleteHead),
                Ok(0) => return Err(ClientError::Closed),
                Ok(_) => {}
                Err(e) if !received && matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe) => {
                    return Err(ClientError::Closed)
                }
                Err(e) => return Err(ClientError::Io(e)),
            }
        }
    }

    /// Parses a head at the start of the buffer: `None` when it is incomplete (an interim
    /// head is consumed and also gives `None` when nothing follows it).
    fn parse_head(&mut self, method: &Method) -> Result<Option<Head>, ClientError> {
        loop {
            let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
            let mut resp = httparse::Response::new(&mut []);
            let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut resp, &self.buf, &mut slots) {
                Ok(httparse::Status::Complete(n)) if n > MAX_HEAD => return Err(ClientError::Invalid("the response head is too large")),
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) => return Ok(None),
                Err(httparse::Error::TooManyHeaders) => return Err(ClientError::Invalid("the response has too many header fields")),
                Err(_) => return Err(ClientError::Invalid("the response head is malformed")),
            };
            let code = resp.code.unwrap_or(0);
            if interim(resp.code) {
                self.buf.advance(len);
                if self.buf.is_empty() {
                    return Ok(None);
                }
                continue;
            }
            let status = StatusCode::from_u16(code).map_err(|_| ClientError::Invalid("the response status is not valid"))?;
            let version = if resp.version == Some(0) { Version::HTTP_10 } else { Version::HTTP_11 };
            // Header values stay in the read buffer: note where they are, then cut the head
            // off and slice them out of it without copying.
            let base = self.buf.as_ptr() as usize;
            let mut spans = [(0u32, 0u32, 0u32, 0u32); MAX_HEADERS];
            let count = resp.headers.len();
            for (span, h) in spans.iter_mut().zip(resp.headers.iter()) {
                // Offsets within a head of at most MAX_HEAD octets.
                *span = ((h.name.as_ptr() as usize - base) as u32, h.name.len() as u32, (h.value.as_ptr() as usize - base) as u32, h.value.len() as u32);
            }
            let raw = self.buf.split_to(len).freeze();
            // Room for what the response filter adds (Via, Date, Cache-Status) without growing.
            let mut map = HeaderMap::with_capacity(count + 3);
            for &(name_at, name_len, value_at, value_len) in &spans[..count] {
                let (name_at, value_at) = (name_at as usize, value_at as usize);
                let name = crate::http1::field_name(&raw[name_at..name_at + name_len as usize])
                    .map_err(|_| ClientError::Invalid("a response header field name is not valid"))?;
                // SAFETY: httparse refused the head unless every value octet is HTAB, SP,
                // VCHAR or obs-text, exactly the octets `HeaderValue` accepts.
                let value = unsafe { HeaderValue::from_maybe_shared_unchecked(raw.slice(value_at..value_at + value_len as usize)) };
                map.append(name, value);
            }
            let (mut parts, ()) = Response::new(()).into_parts();
            parts.status = status;
            parts.version = version;
            parts.headers = map;
            let (content, framed_by_close) = framing(&parts, method)?;
            let reusable = !framed_by_close && persistent(&parts);
            return Ok(Some(Head { parts, content, reusable }));
        }
    }

    /// Decodes the next piece of content from the buffer.
    pub fn decode(&mut self, incoming: &mut Incoming) -> Result<Decoded, BodyError> {
        match incoming {
            Incoming::Framed(d) => d.decode(&mut self.buf, MAX_PIECE),
            Incoming::UntilClose if self.buf.is_empty() => Ok(Decoded::NeedMore),
            Incoming::UntilClose => {
                let n = self.buf.len().min(MAX_PIECE);
                Ok(Decoded::Data(self.buf.split_to(n).freeze()))
            }
        }
    }

    /// Nothing beyond the response was received (octets past it would be a response to
    /// nothing: the connection is out of step).
    pub fn is_clean(&self) -> bool {
        self.buf.is_empty()
    }

    /// Ready for the pool: the buffer is emptied (and shrunk after a large response).
    pub fn rest(&mut self) {
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = BytesMut::new();
        }
    }

    /// Whether a pooled connection still looks usable: nothing arrived on it since its last
    /// response (an idle connection that turns readable was closed by upstream, or sent
    /// something no request asked for). Costs no system call unless it is readable.
    pub fn is_alive(&self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.io.poll_read_ready(&mut cx) {
            Poll::Pending => true,
            Poll::Ready(Err(_)) => false,
            Poll::Ready(Ok(())) => {
                let mut probe = [0u8; 1];
                matches!(self.io.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            }
        }
    }
}

/// 1xx other than 101 (which ends the exchange and is refused by the caller).
fn interim(code: Option<u16>) -> bool {
    code.is_some_and(|c| (100..200).contains(&c) && c != 101)
}

/// The response's content framing (RFC 9112 §6.3) and whether it is delimited by the
/// connection's end.
fn framing(parts: &response::Parts, method: &Method) -> Result<(Option<Incoming>, bool), ClientError> {
    let status = parts.status.as_u16();
    if *method == Method::HEAD || parts.status.is_informational() || status == 204 || status == 304 {
        return Ok((None, parts.status == StatusCode::SWITCHING_PROTOCOLS));
    }
    let headers = &parts.headers;
    if headers.contains_key(TRANSFER_ENCODING) {
        if parts.version == Version::HTTP_10 {
            return Err(ClientError::Invalid("an HTTP/1.0 response has Transfer-Encoding"));
        }
        // Chunked only when it is the final coding; otherwise the content runs to the close.
        let last = headers.get_all(TRANSFER_ENCODING).iter().flat_map(|v| v.as_bytes().split(|&b| b == b',')).map(<[u8]>::trim_ascii).next_back();
        return Ok(match last {
            Some(c) if c.eq_ignore_ascii_case(b"chunked") => (Some(Incoming::Framed(Decoder::chunked())), false),
            _ => (Some(Incoming::UntilClose), true),
        });
    }
    let mut length: Option<u64> = None;
    for item in headers.get_all(CONTENT_LENGTH).iter().flat_map(|v| v.as_bytes().split(|&b| b == b',')) {
        let item = item.trim_ascii();
        if item.is_empty() || item.len() > 19 || !item.iter().all(u8::is_ascii_digit) {
            return Err(ClientError::Invalid("the response's Content-Length is not a number"));
        }
        let n = item.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
        if length.is_some_and(|l| l != n) {
            return Err(ClientError::Invalid("the response has Content-Length values that disagree"));
        }
        length = Some(n);
    }
    Ok(match length {
        Some(0) => (None, false),
        Some(n) => (Some(Incoming::Framed(Decoder::length(n))), false),
        None => (Some(Incoming::UntilClose), true),
    })
}

/// HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 only with `keep-alive`.
fn persistent(parts: &response::Parts) -> bool {
    let has = |token: &str| {
        parts.headers.get_all(CONNECTION).iter().flat_map(|v| v.as_bytes().split(|&b| b == b',')).any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    };
    match parts.version {
        Version::HTTP_11 => !has("close"),
        _ => has("keep-alive"),
    }
}

/// The request line and header fields as they go upstream.
fn encode_head(out: &mut Vec<u8>, head: &request::Parts, base_path: &str, authority: &Authority, outgoing: Outgoing) {
    out.clear();
    out.extend_from_slice(head.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(base_path.as_bytes());
    out.extend_from_slice(head.uri.path_and_query().map_or("/", |pq| pq.as_str()).as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !head.headers.contains_key(HOST) {
        // A request without Host (HTTP/1.0): name the upstream, as hyper did.
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(authority.host().as_bytes());
        if let Some(port) = authority.port_u16().filter(|&p| p != 80) {
            out.push(b':');
            out.extend_from_slice(itoa::Buffer::new().format(port).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in &head.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    match outgoing {
        Outgoing::Length { len, added: true } => {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Outgoing::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        _ => {}
    }
    out.extend_from_slice(b"\r\n");
}

async fn write_all(io: &mut TcpStream, mut data: &[u8]) -> io::Result<()> {
    std::future::poll_fn(|cx| {
        while !data.is_empty() {
            let n = ready!(Pin::new(&mut *io).poll_write(cx, data))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            data = &data[n..];
        }
        Poll::Ready(Ok(()))
    })
    .await
}

/// Content on its way up: a chunk-size line, the data, a CRLF (either end may be empty).
#[derive(Default)]
struct Outbox {
    parts: [Bytes; 3],
}

impl Outbox {
    fn is_empty(&self) -> bool {
        self.parts.iter().all(Bytes::is_empty)
    }

    fn poll_write(&mut self, io: &mut TcpStream, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.is_empty() {
            let slices = [IoSlice::new(&self.parts[0]), IoSlice::new(&self.parts[1]), IoSlice::new(&self.parts[2])];
            let mut n = ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            for part in &mut self.parts {
                let k = n.min(part.len());
                part.advance(k);
                n -= k;
            }
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;

    fn parts(status: u16, version: Version, headers: &[(&str, &str)]) -> response::Parts {
        let mut b = Response::builder().status(status).version(version);
        for (n, v) in headers {
            b = b.header(*n, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn p11_head_204_304_have_no_content() {
        assert!(framing(&parts(200, Version::HTTP_11, &[("content-length", "5")]), &Method::HEAD).unwrap().0.is_none());
        assert!(framing(&parts(204, Version::HTTP_11, &[("content-length", "5")]), &Method::GET).unwrap().0.is_none());
        assert!(framing(&parts(304, Version::HTTP_11, &[]), &Method::GET).unwrap().0.is_none());
    }

    #[test]
    fn e9_content_length_must_be_one_number() {
        for bad in [&[("content-length", "abc")][..], &[("content-length", "5, 6")], &[("content-length", "5"), ("content-length", "6")], &[("content-length", "+5")]] {
            assert!(matches!(framing(&parts(200, Version::HTTP_11, bad), &Method::GET), Err(ClientError::Invalid(_))), "{bad:?}");
        }
        let (content, close) = framing(&parts(200, Version::HTTP_11, &[("content-length", "5, 5")]), &Method::GET).unwrap();
        assert!(matches!(content, Some(Incoming::Framed(d)) if d.remaining() == Some(5)));
        assert!(!close);
    }

    #[test]
    fn transfer_encoding_wins_and_unchunked_runs_to_the_close() {
        let (content, close) = framing(&parts(200, Version::HTTP_11, &[("transfer-encoding", "gzip, chunked"), ("content-length", "5")]), &Method::GET).unwrap();
        assert!(matches!(content, Some(Incoming::Framed(d)) if d.remaining().is_none()));
        assert!(!close);
        let (content, close) = framing(&parts(200, Version::HTTP_11, &[("transfer-encoding", "gzip")]), &Method::GET).unwrap();
        assert!(matches!(content, Some(Incoming::UntilClose)));
        assert!(close);
        assert!(framing(&parts(200, Version::HTTP_10, &[("transfer-encoding", "chunked")]), &Method::GET).is_err());
        let (content, close) = framing(&parts(200, Version::HTTP_11, &[]), &Method::GET).unwrap();
        assert!(matches!(content, Some(Incoming::UntilClose)) && close);
    }

    #[test]
    fn persistence_follows_version_and_connection() {
        assert!(persistent(&parts(200, Version::HTTP_11, &[])));
        assert!(!persistent(&parts(200, Version::HTTP_11, &[("connection", "foo, Close")])));
        assert!(!persistent(&parts(200, Version::HTTP_10, &[])));
        assert!(persistent(&parts(200, Version::HTTP_10, &[("connection", "keep-alive")])));
    }

    #[test]
    fn p8_p9_request_head_is_origin_form_http11_with_host() {
        let (mut head, ()) = Request::builder().method("FOO").uri("/a?b=1").header("x-a", "1").body(()).unwrap().into_parts();
        let authority: Authority = "backend:8080".parse().unwrap();
        let mut out = Vec::new();
        encode_head(&mut out, &head, "/base", &authority, Outgoing::Chunked);
        assert_eq!(out, b"FOO /base/a?b=1 HTTP/1.1\r\nhost: backend:8080\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n");
        head.headers.insert(HOST, HeaderValue::from_static("client.example"));
        encode_head(&mut out, &head, "", &authority, Outgoing::Length { len: 3, added: true });
        assert_eq!(out, b"FOO /a?b=1 HTTP/1.1\r\nx-a: 1\r\nhost: client.example\r\ncontent-length: 3\r\n\r\n");
    }
}
