//! Phase 3: the upstream exchange. Several upstreams are used in turn (round robin); one
//! whose connection failed is skipped for `fail_timeout` (passive health). Connections are
//! HTTP/1.1, kept alive in a pool per upstream, and driven by the request's own task (see
//! [`super::client`]).
//!
//! Retries (P-2): a request whose connection could not be made is tried on the next
//! upstream whatever its method, since nothing was sent (its content was not read yet). A
//! request that could not even be written on a kept-alive connection (upstream had closed
//! it) is sent again on a new one, as nothing was taken. Once sent, only GET and HEAD
//! without content are tried again, once, on a fresh connection, and only when the
//! connection ended before a response head arrived.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, Scheme};
use http::{request, Response};
use http_body::{Frame, SizeHint};
use tokio::net::TcpStream;

use super::client::{ClientError, Conn, Head, Incoming, Progress};
use super::pool::Pool;
use crate::body::RequestBody;
use crate::config::ProxyConfig;
use crate::error::HttpError;
use crate::http1::Decoded;

/// Why no usable response came from upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The connection could not be made (refused, unreachable, reset during connect).
    #[error("the upstream {upstream} could not be reached: {reason}")]
    Connect {
        /// `host:port`.
        upstream: String,
        /// What failed.
        reason: String,
    },
    /// The connection was not made within `connect_timeout`.
    #[error("the upstream {upstream} did not accept a connection within {after:?}")]
    ConnectTimeout {
        /// `host:port`.
        upstream: String,
        /// The timeout.
        after: Duration,
    },
    /// No response head within `response_timeout` (E-10).
    #[error("the upstream {upstream} did not answer within {after:?}")]
    Timeout {
        /// `host:port`.
        upstream: String,
        /// The timeout.
        after: Duration,
    },
    /// The connection was closed or reset before any octet of a response (E-9).
    #[error("the upstream {upstream} closed the connection without answering")]
    Closed {
        /// `host:port`.
        upstream: String,
    },
    /// The response was invalid, or the connection ended in the middle of its head (E-9).
    #[error("the upstream {upstream} sent an invalid or incomplete response: {reason}")]
    Invalid {
        /// `host:port`.
        upstream: String,
        /// What was wrong.
        reason: String,
    },
    /// Reading the client's request content failed while it was being forwarded.
    #[error("the request content could not be read from the client: {0}")]
    ClientBody(String),
}

impl UpstreamError {
    /// What the cache makes of it. No conversation with the origin at all (no connection,
    /// or one closed before a single octet of answer) means "disconnected" (RFC 9111
    /// §4.2.4, C-13), as in nginx's `proxy_cache_use_stale error`; an origin that answers
    /// too slowly or wrongly is a failing one.
    pub fn failure(&self) -> methodical_cache::UpstreamFailure {
        match self {
            UpstreamError::Connect { .. } | UpstreamError::ConnectTimeout { .. } | UpstreamError::Closed { .. } => {
                methodical_cache::UpstreamFailure::Unreachable
            }
            _ => methodical_cache::UpstreamFailure::NoResponse,
        }
    }

    /// The status the client gets: 504 for timeouts, 400 for a broken request body, 502
    /// otherwise (E-9, E-10, A-8).
    pub fn into_http(self) -> HttpError {
        match self {
            UpstreamError::ConnectTimeout { .. } | UpstreamError::Timeout { .. } => HttpError::GatewayTimeout(format!("{self}.")),
            UpstreamError::ClientBody(_) => HttpError::BadRequest(format!("{self}.")),
            _ => HttpError::BadGateway(format!("{self}.")),
        }
    }
}

/// One configured upstream.
#[derive(Debug)]
struct Target {
    /// Always `http` (the configuration refuses others).
    #[allow(dead_code)]
    scheme: Scheme,
    authority: Authority,
    /// Path prefix of the upstream URI, without a trailing `/` (`""` for none).
    base_path: String,
    /// Milliseconds since [`Upstreams::epoch`] until which this upstream is skipped.
    failed_until: AtomicU64,
    /// Its idle kept-alive connections.
    pool: Arc<Pool>,
}

/// The upstreams of one proxy route and their connection pools.
pub struct Upstreams {
    targets: Vec<Target>,
    next: AtomicUsize,
    connect_timeout: Duration,
    response_timeout: Duration,
    fail_timeout: Duration,
    epoch: Instant,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams").field("targets", &self.targets).finish_non_exhaustive()
    }
}

impl Upstreams {
    /// The upstream list of a route.
    pub fn new(config: &ProxyConfig) -> std::io::Result<Upstreams> {
        let mut targets = Vec::new();
        for uri in &config.upstreams {
            let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned()) else {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("the upstream `{uri}` has no scheme or host")));
            };
            let base_path = uri.path().trim_end_matches('/').to_string();
            targets.push(Target { scheme, authority, base_path, failed_until: AtomicU64::new(0), pool: Arc::default() });
        }
        if targets.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "a proxy route needs an upstream"));
        }
        Ok(Upstreams {
            targets,
            next: AtomicUsize::new(0),
            connect_timeout: config.connect_timeout,
            response_timeout: config.response_timeout,
            fail_timeout: config.fail_timeout,
            epoch: Instant::now(),
        })
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The next upstream in turn that is not marked failed; when all are, the one whose
    /// mark ends first (a proxy with every upstream down still tries one).
    fn pick(&self, tried: &Tried) -> Option<usize> {
        let n = self.targets.len();
        if n == 1 {
            return (!tried.contains(0)).then_some(0);
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let now = self.now_ms();
        let candidates = (0..n).map(|i| (start + i) % n).filter(|i| !tried.contains(*i));
        let mut fallback: Option<(u64, usize)> = None;
        for i in candidates {
            let until = self.targets[i].failed_until.load(Ordering::Relaxed);
            if until <= now {
                return Some(i);
            }
            if fallback.is_none_or(|(u, _)| until < u) {
                fallback = Some((until, i));
            }
        }
        fallback.map(|(_, i)| i)
    }

    fn mark_failed(&self, i: usize) {
        let until = self.now_ms() + self.fail_timeout.as_millis() as u64;
        self.targets[i].failed_until.store(until, Ordering::Relaxed);
        tracing::warn!(upstream = %self.targets[i].authority, "upstream marked failed for {:?}", self.fail_timeout);
    }

    fn mark_ok(&self, i: usize) {
        if self.targets[i].failed_until.load(Ordering::Relaxed) != 0 {
            self.targets[i].failed_until.store(0, Ordering::Relaxed);
        }
    }

    /// A new connection to upstream `i`, within `connect_timeout`.
    async fn connect(&self, i: usize) -> Result<Conn, UpstreamError> {
        let authority = &self.targets[i].authority;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        let attempt = async {
            let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => tokio::net::lookup_host((host, port)).await?.collect(),
            };
            let mut last = None;
            for addr in addrs {
                match TcpStream::connect(addr).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the host name has no address")))
        };
        match tokio::time::timeout(self.connect_timeout, attempt).await {
            Ok(Ok(stream)) => {
                // Request heads are written whole: no reason to wait for more.
                let _ = stream.set_nodelay(true);
                Ok(Conn::new(stream))
            }
            Ok(Err(e)) => Err(UpstreamError::Connect { upstream: authority.to_string(), reason: e.to_string() }),
            Err(_) => Err(UpstreamError::ConnectTimeout { upstream: authority.to_string(), after: self.connect_timeout }),
        }
    }

    /// Waits for a response head. The response timeout runs from the last piece of request
    /// content sent (from the start when there is none): a long upload is not an upstream
    /// that fails to answer.
    async fn await_head<F: Future>(&self, mut fut: Pin<&mut F>, started: Instant, progress: &Progress) -> Result<F::Output, tokio::time::error::Elapsed> {
        let mut deadline = tokio::time::Instant::from_std(started + self.response_timeout);
        loop {
            match tokio::time::timeout_at(deadline, &mut fut).await {
                Ok(out) => return Ok(out),
                Err(elapsed) => match progress.last() {
                    Some(at) if at + self.response_timeout > Instant::now() => {
                        deadline = tokio::time::Instant::from_std(at + self.response_timeout);
                    }
                    _ => return Err(elapsed),
                },
            }
        }
    }

    /// Sends `head` (its URI holds only the path and query to request) with `body` and
    /// waits for the response head. `replayable`: the method may be sent again after a
    /// failure once it was sent (GET, HEAD). The response content fails when upstream
    /// pauses longer than `response_timeout` between two pieces.
    pub async fn send(&self, head: &request::Parts, body: &mut RequestBody, replayable: bool) -> Result<Response<UpstreamBody>, UpstreamError> {
        let has_content = !http_body::Body::is_end_stream(body);
        let started = Instant::now();
        let progress = Progress::new(started);
        let mut tried = Tried::default();
        let mut fresh = false;
        let mut replayed = false;
        let mut again: Option<usize> = None;
        loop {
            let Some(i) = again.take().or_else(|| self.pick(&tried)) else {
                // Every upstream was tried and refused the connection.
                let last = tried.last.unwrap_or(0);
                return Err(UpstreamError::Connect { upstream: self.targets[last].authority.to_string(), reason: "no upstream accepted a connection".into() });
            };
            tried.add(i);
            let target = &self.targets[i];
            let pooled = if fresh { None } else { target.pool.take() };
            let reused = pooled.is_some();
            let mut conn = match pooled {
                Some(c) => c,
                // Boxed: connecting is rare next to reuse, and its future is large.
                None => match Box::pin(self.connect(i)).await {
                    Ok(c) => c,
                    Err(e) => {
                        self.mark_failed(i);
                        // Nothing was sent and the content was not read: another upstream
                        // may take the request, content and all.
                        if tried.count < self.targets.len() {
                            continue;
                        }
                        return Err(e);
                    }
                },
            };
            let result = {
                // Pinned here, not moved into await_head: one copy of its state, not two.
                let exchange = std::pin::pin!(conn.exchange(head, &target.base_path, &target.authority, body, &progress));
                self.await_head(exchange, started, &progress).await
            };
            let err = match result {
                Ok(Ok(resp)) => {
                    self.mark_ok(i);
                    return Ok(self.response(resp, conn, i));
                }
                Ok(Err(e)) => e,
                Err(_) => {
                    self.mark_failed(i);
                    return Err(UpstreamError::Timeout { upstream: target.authority.to_string(), after: self.response_timeout });
                }
            };
            match err {
                ClientError::ClientBody(e) => return Err(UpstreamError::ClientBody(e.to_string())),
                // A kept-alive connection upstream had closed: the request did not leave.
                ClientError::Unsent(_) if reused => {
                    fresh = true;
                    again = Some(i);
                }
                // The kept-alive connection was closed under us before any answer: once
                // more, on a new connection, to the same upstream.
                e if e.closed_early() && replayable && !replayed && !has_content => {
                    replayed = true;
                    fresh = true;
                    again = Some(i);
                }
                ClientError::Closed => return Err(UpstreamError::Closed { upstream: target.authority.to_string() }),
                e => return Err(UpstreamError::Invalid { upstream: target.authority.to_string(), reason: e.to_string() }),
            }
        }
    }

    /// The response with its content still on `conn`; a response without content gives the
    /// connection back at once.
    fn response(&self, head: Head, conn: Conn, i: usize) -> Response<UpstreamBody> {
        let Head { parts, content, reusable } = head;
        let pool = &self.targets[i].pool;
        let live = match content {
            Some(incoming) => Some(Live { conn, incoming, reusable, pool: pool.clone() }),
            None => {
                if reusable && conn.is_clean() {
                    pool.put(conn);
                }
                None
            }
        };
        Response::from_parts(parts, UpstreamBody { live, idle: self.response_timeout, timer: None })
    }
}

/// The upstreams one request has tried.
#[derive(Default)]
struct Tried {
    /// Indexes below 64 (a route with more upstreams retries a few more times at most).
    mask: u64,
    count: usize,
    last: Option<usize>,
}

impl Tried {
    fn add(&mut self, i: usize) {
        if !self.contains(i) {
            self.count += 1;
        }
        if i < 64 {
            self.mask |= 1 << i;
        }
        self.last = Some(i);
    }

    fn contains(&self, i: usize) -> bool {
        i < 64 && self.mask & (1 << i) != 0
    }
}

/// A response's content as it arrives from upstream, read by the request's task from the
/// connection it owns. The connection goes back to the pool when the content ended
/// cleanly, and is closed when it breaks off or the body is dropped unfinished. Fails when
/// upstream pauses longer than the response timeout between two pieces (a stalled upstream
/// must not hold the client connection forever; the client then sees the connection end).
pub struct UpstreamBody {
    /// `None` once the content ended (or failed).
    live: Option<Live>,
    idle: Duration,
    /// Armed the first time the content is not ready, re-armed after every piece.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// The connection a response's content is read from.
struct Live {
    conn: Conn,
    incoming: Incoming,
    reusable: bool,
    pool: Arc<Pool>,
}

impl Live {
    fn done(&self) -> bool {
        matches!(&self.incoming, Incoming::Framed(d) if d.is_done())
    }
}

/// Upstream stopped sending in the middle of a response.
#[derive(Debug, thiserror::Error)]
#[error("the upstream sent nothing for {0:?} in the middle of a response")]
pub struct Stalled(Duration);

/// The upstream connection ended before the response's content was complete.
#[derive(Debug, thiserror::Error)]
#[error("the upstream connection closed before the content was complete")]
pub struct Truncated;

impl UpstreamBody {
    /// The content ended cleanly: the connection goes back to the pool if it may.
    fn finish(&mut self) {
        if let Some(live) = self.live.take() {
            if live.reusable && live.conn.is_clean() {
                live.pool.put(live.conn);
            }
        }
    }

    fn fail(&mut self, e: crate::body::BoxError) -> Poll<Option<Result<Frame<Bytes>, crate::body::BoxError>>> {
        self.live = None;
        Poll::Ready(Some(Err(e)))
    }
}

impl http_body::Body for UpstreamBody {
    type Data = Bytes;
    type Error = crate::body::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        loop {
            let Some(live) = this.live.as_mut() else { return Poll::Ready(None) };
            match live.conn.decode(&mut live.incoming) {
                Ok(Decoded::Data(data)) => {
                    if let Some(timer) = this.timer.as_mut() {
                        timer.as_mut().reset(tokio::time::Instant::now() + this.idle);
                    }
                    if live.done() {
                        // Given back before the last piece is even sent on.
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Ok(Decoded::Done) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Ok(Decoded::NeedMore) => {}
                Err(e) => return this.fail(Box::new(e)),
            }
            match live.conn.poll_fill(cx) {
                Poll::Ready(Ok(0)) => {
                    if matches!(live.incoming, Incoming::UntilClose) {
                        this.live = None;
                        return Poll::Ready(None);
                    }
                    return this.fail(Box::new(Truncated));
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return this.fail(Box::new(e)),
                Poll::Pending => {
                    let idle = this.idle;
                    let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                    return match timer.as_mut().poll(cx) {
                        Poll::Ready(()) => this.fail(Box::new(Stalled(idle))),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.live.as_ref().is_none_or(Live::done)
    }

    fn size_hint(&self) -> SizeHint {
        match &self.live {
            None => SizeHint::with_exact(0),
            Some(Live { incoming: Incoming::Framed(d), .. }) => d.remaining().map_or_else(SizeHint::default, SizeHint::with_exact),
            Some(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    use http::Request;
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A raw upstream: every request head read gets `reply(connection, request)` (both
    /// counted from 1); it closes the connection after replying when `close` says so.
    async fn upstream(reply: fn(usize, usize) -> (&'static [u8], bool)) -> (SocketAddr, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let conns = Arc::new(AtomicUsize::new(0));
        let counter = conns.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut req = 0;
                    let mut chunk = [0u8; 1024];
                    loop {
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            req += 1;
                            let (bytes, close) = reply(n, req);
                            let _ = s.write_all(bytes).await;
                            if close {
                                return;
                            }
                        }
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => buf.extend_from_slice(&chunk[..k]),
                        }
                    }
                });
            }
        });
        (addr, conns)
    }

    fn upstreams(addr: SocketAddr) -> Upstreams {
        Upstreams::new(&ProxyConfig {
            upstreams: vec![format!("http://{addr}").parse().unwrap()],
            cache: false,
            strip_prefix: false,
            forward_unknown_methods: true,
            upstream_host: None,
            via: "test".into(),
            connect_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
            methods: None,
            fail_timeout: Duration::from_secs(1),
        })
        .unwrap()
    }

    fn get(path: &str) -> request::Parts {
        Request::get(path).header("host", "test").body(()).unwrap().into_parts().0
    }

    async fn text(u: &Upstreams, path: &str) -> Result<(u16, Vec<u8>), UpstreamError> {
        let resp = u.send(&get(path), &mut RequestBody::Empty, true).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| UpstreamError::ClientBody(e.to_string()))?.to_bytes();
        Ok((status, body.to_vec()))
    }

    #[tokio::test]
    async fn kept_alive_connection_is_reused_after_clean_content() {
        let (addr, conns) = upstream(|_, _| (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false)).await;
        let u = upstreams(addr);
        for _ in 0..3 {
            assert_eq!(text(&u, "/a").await.unwrap(), (200, b"ok".to_vec()));
            assert_eq!(u.targets[0].pool.len(), 1, "back in the pool once the content ended");
        }
        assert_eq!(conns.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn p2_connection_closed_by_upstream_while_idle_is_not_reused() {
        let (addr, conns) = upstream(|_, _| (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true)).await;
        let u = upstreams(addr);
        assert_eq!(text(&u, "/a").await.unwrap().1, b"ok");
        // The close reaches us after the response: the pooled connection turns readable.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(text(&u, "/b").await.unwrap().1, b"ok");
        assert_eq!(conns.load(Ordering::SeqCst), 2, "a new connection for the second request");
    }

    #[tokio::test]
    async fn p2_get_on_a_connection_closed_under_it_is_sent_again_once() {
        // Connection 1 answers once, then closes after reading the next request.
        fn reply(conn: usize, req: usize) -> (&'static [u8], bool) {
            match (conn, req) {
                (1, 1) => (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", false),
                (1, _) => (b"", true),
                _ => (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2", false),
            }
        }
        let (addr, conns) = upstream(reply).await;
        let u = upstreams(addr);
        assert_eq!(text(&u, "/a").await.unwrap().1, b"1");
        assert_eq!(text(&u, "/b").await.unwrap().1, b"2");
        assert_eq!(conns.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn p11_chunked_and_close_delimited_content() {
        fn reply(_: usize, req: usize) -> (&'static [u8], bool) {
            if req == 1 {
                (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", false)
            } else {
                (b"HTTP/1.1 200 OK\r\n\r\nuntil the end", true)
            }
        }
        let (addr, conns) = upstream(reply).await;
        let u = upstreams(addr);
        assert_eq!(text(&u, "/a").await.unwrap(), (200, b"abcde".to_vec()));
        assert_eq!(u.targets[0].pool.len(), 1, "chunked content ends cleanly: reusable");
        assert_eq!(text(&u, "/b").await.unwrap(), (200, b"until the end".to_vec()));
        assert_eq!(u.targets[0].pool.len(), 0, "content ended by the close: not reusable");
        assert_eq!(conns.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn interim_responses_are_skipped() {
        let (addr, _) = upstream(|_, _| (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false)).await;
        let u = upstreams(addr);
        assert_eq!(text(&u, "/a").await.unwrap(), (204, Vec::new()));
        assert_eq!(u.targets[0].pool.len(), 1, "a 204 gives the connection back at once");
    }

    #[tokio::test]
    async fn e9_invalid_framing_is_an_invalid_response() {
        // Each invalid response costs its connection: the next request comes on a new one.
        fn reply(conn: usize, _: usize) -> (&'static [u8], bool) {
            match conn {
                1 => (b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd", false),
                2 => (b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false),
                _ => (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false),
            }
        }
        let (addr, _) = upstream(reply).await;
        let u = upstreams(addr);
        for path in ["/a", "/b", "/c"] {
            let err = text(&u, path).await.unwrap_err();
            assert!(matches!(err, UpstreamError::Invalid { .. }), "{path}: {err:?}");
            assert!(matches!(err.into_http(), HttpError::BadGateway(_)));
        }
    }

    #[tokio::test]
    async fn e9_content_cut_short_is_an_error() {
        let (addr, _) = upstream(|_, _| (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true)).await;
        let u = upstreams(addr);
        assert!(text(&u, "/a").await.is_err());
        assert_eq!(u.targets[0].pool.len(), 0);
    }
}
