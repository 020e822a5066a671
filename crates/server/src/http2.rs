//! HTTP/2 (h2 over TLS, h2c with prior knowledge) through hyper. The same pipeline answers;
//! only the framing differs.

use std::convert::Infallible;
use std::io;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::Request;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use crate::app::App;
use crate::body::{Body, RequestBody};
use crate::connection::ConnInfo;
use crate::shutdown::Shutdown;

/// How long an HTTP/2 connection may go without a request in progress: `first` until the
/// first request (the HTTP/1 header timeout), `idle` afterwards (the keep-alive timeout).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Until the first request arrives.
    pub first: Duration,
    /// Between requests.
    pub idle: Duration,
    /// For the goodbye (GOAWAY) to be written once the connection is idle.
    pub send: Duration,
}

/// Serves HTTP/2 on `io`; `prefix` holds octets already read from it (the preface).
///
/// hyper's HTTP/2 server has no idle timeout: a client that sends the preface and then
/// nothing (or only PINGs and SETTINGS) would hold its connection forever, the HTTP/2 form of
/// slowloris. Here a connection with no request in progress for `timeouts` is shut down
/// gracefully (GOAWAY; a response still streaming is not cut).
pub async fn serve<IO>(io: IO, prefix: Bytes, app: Arc<App>, info: Arc<ConnInfo>, mut shutdown: Shutdown, timeouts: Timeouts)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let seen = activity.clone();
    let svc = service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        let info = info.clone();
        let busy = seen.start();
        async move {
            let (mut parts, body) = req.into_parts();
            parts.extensions.insert(info);
            let body = if body.is_end_stream() { RequestBody::Empty } else { RequestBody::H2(body) };
            let resp = app.serve(Request::from_parts(parts, body)).await;
            // The request stays in progress until its response content is sent.
            Ok::<_, Infallible>(resp.map(|body| Tracked { body, busy: Some(busy) }))
        }
    });
    let io = TokioIo::new(Rewind { prefix, inner: io });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder.timer(TokioTimer::new()).max_concurrent_streams(256);
    let conn = builder.serve_connection(io, svc);
    let mut conn = pin!(conn);
    loop {
        let deadline = activity.idle_deadline(timeouts);
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!("HTTP/2 connection ended: {e}");
                }
                return;
            }
            () = shutdown.wait() => break,
            () = tokio::time::sleep_until(deadline) => {
                if activity.idle_deadline(timeouts) <= Instant::now() {
                    tracing::debug!("HTTP/2 connection idle: closing");
                    break;
                }
            }
        }
    }
    conn.as_mut().graceful_shutdown();
    // Requests in progress finish; once none is left, the goodbye gets `send` to go out (a
    // client that neither reads nor answers the GOAWAY's PING must not hold the connection).
    let tick = timeouts.send.min(Duration::from_secs(1));
    let mut quiet_since: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = tokio::time::sleep(tick) => {
                if activity.requests_in_progress() > 0 {
                    quiet_since = None;
                } else if quiet_since.get_or_insert_with(Instant::now).elapsed() >= timeouts.send {
                    return;
                }
            }
        }
    }
}

/// A response's content, keeping its request counted as in progress until it is sent.
struct Tracked {
    body: Body,
    busy: Option<Busy>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = crate::body::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.busy = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Requests in progress on one HTTP/2 connection, and when the last one ended.
struct Activity {
    in_progress: AtomicUsize,
    /// Milliseconds after `start` when a request last ended (0: none has yet).
    last_end_ms: AtomicU64,
    start: Instant,
}

/// Marks one request in progress until dropped.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let ms = self.0.start.elapsed().as_millis() as u64 + 1;
        self.0.last_end_ms.store(ms, Ordering::Relaxed);
        self.0.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Activity {
    fn new() -> Activity {
        Activity { in_progress: AtomicUsize::new(0), last_end_ms: AtomicU64::new(0), start: Instant::now() }
    }

    fn start(self: &Arc<Self>) -> Busy {
        self.in_progress.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    fn requests_in_progress(&self) -> usize {
        self.in_progress.load(Ordering::Acquire)
    }

    /// When the connection counts as idle if nothing happens meanwhile; far away while a
    /// request is in progress.
    fn idle_deadline(&self, t: Timeouts) -> Instant {
        if self.requests_in_progress() > 0 {
            return Instant::now() + t.idle.max(t.first);
        }
        match self.last_end_ms.load(Ordering::Relaxed) {
            0 => self.start + t.first,
            ms => self.start + Duration::from_millis(ms - 1) + t.idle,
        }
    }
}

/// An I/O object that first yields octets already read from it.
struct Rewind<T> {
    prefix: Bytes,
    inner: T,
}

impl<T: AsyncRead + Unpin> AsyncRead for Rewind<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.prefix.has_remaining() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Rewind<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
