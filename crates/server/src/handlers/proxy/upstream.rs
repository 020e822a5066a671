//! Phase 3: the upstream exchange. Several upstreams are used in turn (round robin); one
//! whose connection failed is skipped for `fail_timeout` (passive health). Connections are
//! pooled and kept alive by hyper-util's client, HTTP/1.1 only.
//!
//! Retries (P-2): a request whose content was never read (the connection could not be
//! made) is tried on the next upstream whatever its method, since nothing was sent. Once
//! sent, only GET and HEAD without content are tried again, once, on a fresh connection,
//! and only when the connection ended before a response head arrived.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{request, Request, Response, Uri};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::{BodyError, RequestBody};
use crate::config::ProxyConfig;
use crate::error::HttpError;

/// How long an idle pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(60);

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
    /// The response was invalid, or the connection ended before a complete head (E-9).
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
    /// What the cache makes of it: no connection at all means "disconnected" (RFC 9111
    /// §4.2.4); anything after connecting is a failing upstream.
    pub fn failure(&self) -> methodical_cache::UpstreamFailure {
        match self {
            UpstreamError::Connect { .. } | UpstreamError::ConnectTimeout { .. } => methodical_cache::UpstreamFailure::Unreachable,
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
    scheme: Scheme,
    authority: Authority,
    /// Path prefix of the upstream URI, without a trailing `/` (`""` for none).
    base_path: String,
    /// Milliseconds since [`Upstreams::epoch`] until which this upstream is skipped.
    failed_until: AtomicU64,
}

/// The upstreams of one proxy route and the pooled client that reaches them.
pub struct Upstreams {
    targets: Vec<Target>,
    next: AtomicUsize,
    pooled: Client<HttpConnector, ForwardBody>,
    fresh: Client<HttpConnector, ForwardBody>,
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
    /// Builds the client and the upstream list of a route.
    pub fn new(config: &ProxyConfig) -> std::io::Result<Upstreams> {
        let mut targets = Vec::new();
        for uri in &config.upstreams {
            let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned()) else {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("the upstream `{uri}` has no scheme or host")));
            };
            let base_path = uri.path().trim_end_matches('/').to_string();
            targets.push(Target { scheme, authority, base_path, failed_until: AtomicU64::new(0) });
        }
        if targets.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "a proxy route needs an upstream"));
        }
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let pooled = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(connector.clone());
        let fresh = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build(connector);
        Ok(Upstreams {
            targets,
            next: AtomicUsize::new(0),
            pooled,
            fresh,
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

    /// The absolute URI of `path_and_query` on upstream `i`.
    fn uri(&self, i: usize, path_and_query: &PathAndQuery) -> Result<Uri, UpstreamError> {
        let t = &self.targets[i];
        let pq = if t.base_path.is_empty() {
            Ok(path_and_query.clone())
        } else {
            PathAndQuery::try_from(format!("{}{path_and_query}", t.base_path))
        };
        let pq = pq.map_err(|e| UpstreamError::Invalid { upstream: t.authority.to_string(), reason: format!("cannot build the upstream target: {e}") })?;
        Uri::builder()
            .scheme(t.scheme.clone())
            .authority(t.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| UpstreamError::Invalid { upstream: t.authority.to_string(), reason: format!("cannot build the upstream target: {e}") })
    }

    /// Waits for a response head. The response timeout runs from the last piece of request
    /// content sent (from the start when there is none): a long upload is not an upstream
    /// that fails to answer.
    async fn await_head<F: Future>(&self, fut: F, slot: &BodySlot) -> Result<F::Output, tokio::time::error::Elapsed> {
        let mut fut = std::pin::pin!(fut);
        let mut deadline = tokio::time::Instant::now() + self.response_timeout;
        loop {
            match tokio::time::timeout_at(deadline, &mut fut).await {
                Ok(out) => return Ok(out),
                Err(elapsed) => match slot.last_progress() {
                    Some(at) if at + self.response_timeout > std::time::Instant::now() => {
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
    pub async fn send(&self, head: request::Parts, body: RequestBody, replayable: bool) -> Result<Response<UpstreamBody>, UpstreamError> {
        let path_and_query = head.uri.path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
        let has_content = !http_body::Body::is_end_stream(&body);
        let slot = BodySlot::new(body);
        let mut tried = Tried::default();
        let mut replayed = false;
        let mut again: Option<usize> = None;
        loop {
            let Some(i) = again.take().or_else(|| self.pick(&tried)) else {
                // Every upstream was tried and refused the connection.
                let last = tried.last.unwrap_or(0);
                return Err(UpstreamError::Connect { upstream: self.targets[last].authority.to_string(), reason: "no upstream accepted a connection".into() });
            };
            tried.add(i);
            let mut req = Request::from_parts(head.clone(), slot.body());
            *req.uri_mut() = self.uri(i, &path_and_query)?;
            let client = if replayed { &self.fresh } else { &self.pooled };
            let result = self.await_head(client.request(req), &slot).await;
            let err = match result {
                Ok(Ok(resp)) => {
                    self.mark_ok(i);
                    let idle = self.response_timeout;
                    return Ok(resp.map(|inner| UpstreamBody { inner, idle, timer: None }));
                }
                Ok(Err(e)) => e,
                Err(_) => {
                    self.mark_failed(i);
                    return Err(UpstreamError::Timeout { upstream: self.targets[i].authority.to_string(), after: self.response_timeout });
                }
            };
            let upstream = self.targets[i].authority.to_string();
            if let Some(body_err) = find_source::<BodyError>(&err) {
                return Err(UpstreamError::ClientBody(body_err.to_string()));
            }
            if err.is_connect() {
                self.mark_failed(i);
                let timed_out = find_source::<std::io::Error>(&err).is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut);
                // Nothing was sent: another upstream may take the request, content and all,
                // provided its content was never read.
                if slot.intact() && tried.count < self.targets.len() {
                    continue;
                }
                return Err(if timed_out {
                    UpstreamError::ConnectTimeout { upstream, after: self.connect_timeout }
                } else {
                    UpstreamError::Connect { upstream, reason: describe(&err) }
                });
            }
            let closed_early = find_source::<hyper::Error>(&err).is_some_and(|h| h.is_incomplete_message() || h.is_canceled() || h.is_closed());
            if replayable && !replayed && !has_content && closed_early {
                // The kept-alive connection was closed under us before any answer: once
                // more, on a new connection, to the same upstream.
                replayed = true;
                again = Some(i);
                continue;
            }
            return Err(UpstreamError::Invalid { upstream, reason: describe(&err) });
        }
    }
}

/// The upstreams one request has tried.
#[derive(Default)]
struct Tried {
    /// Indexes below 128 (a route with more upstreams retries a few more times at most).
    mask: u128,
    count: usize,
    last: Option<usize>,
}

impl Tried {
    fn add(&mut self, i: usize) {
        if !self.contains(i) {
            self.count += 1;
        }
        if i < 128 {
            self.mask |= 1 << i;
        }
        self.last = Some(i);
    }

    fn contains(&self, i: usize) -> bool {
        i < 128 && self.mask & (1 << i) != 0
    }
}

/// The innermost useful message of an error chain.
fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        parts.push(e.to_string());
        cur = e.source();
    }
    parts.dedup();
    parts.join(": ")
}

fn find_source<'e, T: StdError + 'static>(err: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut cur: Option<&'e (dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<T>() {
            return Some(t);
        }
        cur = e.source();
    }
    None
}

/// A response's content as it arrives from upstream, failing when upstream pauses longer
/// than the response timeout between two pieces (a stalled upstream must not hold the
/// client connection forever; the client then sees the connection end).
pub struct UpstreamBody {
    inner: Incoming,
    idle: Duration,
    /// Armed the first time the content is not ready, re-armed after every piece.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// Upstream stopped sending in the middle of a response.
#[derive(Debug, thiserror::Error)]
#[error("the upstream sent nothing for {0:?} in the middle of a response")]
pub struct Stalled(Duration);

impl http_body::Body for UpstreamBody {
    type Data = Bytes;
    type Error = crate::body::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(timer) = this.timer.as_mut() {
                    timer.as_mut().reset(tokio::time::Instant::now() + this.idle);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let idle = this.idle;
                let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(Stalled(idle))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Holds the client's request content until the upstream connection first reads it, so a
/// request whose connection could not be made can go to another upstream with its content.
/// A request without content needs no holder.
#[derive(Clone)]
struct BodySlot {
    slot: Option<Arc<Mutex<Option<RequestBody>>>>,
    hint: SizeHint,
    /// When the last piece of content was handed to the upstream connection, in
    /// milliseconds after `epoch` (0: none yet).
    progress: Option<Arc<AtomicU64>>,
    epoch: Instant,
}

impl BodySlot {
    fn new(body: RequestBody) -> BodySlot {
        let hint = http_body::Body::size_hint(&body);
        let has_content = !http_body::Body::is_end_stream(&body);
        let slot = has_content.then(|| Arc::new(Mutex::new(Some(body))));
        let progress = has_content.then(|| Arc::new(AtomicU64::new(0)));
        BodySlot { slot, hint, progress, epoch: Instant::now() }
    }

    /// Records that a piece of content (or its end) went upstream.
    fn note_progress(&self) {
        if let Some(p) = &self.progress {
            p.store(self.epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        }
    }

    /// When content last went upstream.
    fn last_progress(&self) -> Option<Instant> {
        let ms = self.progress.as_ref()?.load(Ordering::Relaxed);
        (ms > 0).then(|| self.epoch + Duration::from_millis(ms - 1))
    }

    /// A body for one attempt.
    fn body(&self) -> ForwardBody {
        ForwardBody { slot: self.clone(), taken: None }
    }

    /// The content was not read by any attempt.
    fn intact(&self) -> bool {
        match &self.slot {
            None => true,
            Some(s) => s.lock().map(|s| s.is_some()).unwrap_or(false),
        }
    }
}

/// The request content as the upstream client reads it (see [`BodySlot`]).
pub struct ForwardBody {
    slot: BodySlot,
    taken: Option<RequestBody>,
}

impl http_body::Body for ForwardBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if this.taken.is_none() {
            let Some(slot) = &this.slot.slot else { return Poll::Ready(None) };
            match slot.lock().ok().and_then(|mut s| s.take()) {
                Some(b) => this.taken = Some(b),
                // Another attempt already read it (cannot happen: attempts are sequential
                // and a read body is never offered again).
                None => return Poll::Ready(Some(Err(BodyError::Incomplete))),
            }
        }
        let polled = match this.taken.as_mut() {
            Some(b) => Pin::new(b).poll_frame(cx),
            None => Poll::Ready(None),
        };
        if polled.is_ready() {
            this.slot.note_progress();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match &self.taken {
            Some(b) => b.is_end_stream(),
            None => self.slot.slot.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.taken {
            Some(b) => b.size_hint(),
            None => self.slot.hint,
        }
    }
}
