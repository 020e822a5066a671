//! A storable upstream response is streamed to the client and copied for the cache at the
//! same time. The last piece of content is held back until the copy is stored, so a
//! client that has the whole response can count on the next request being a hit, and the
//! followers of a collapsed miss are woken only once the response is in the cache.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use http::{request, response};
use http_body::{Frame, SizeHint};
use methodical_cache::{Cache, FlightOutcome, LeaderGuard, StoreOutcome};

use super::upstream::UpstreamBody;
use crate::body::BoxError;

/// Everything needed to store the response once its content is complete.
pub struct StoreJob {
    /// The cache.
    pub cache: Arc<Cache>,
    /// The client's request head (the cache key and Vary values come from it).
    pub request: request::Parts,
    /// The filtered response head.
    pub response: response::Parts,
    /// When the request was sent upstream.
    pub request_time: SystemTime,
    /// When the response head arrived.
    pub response_time: SystemTime,
    /// The leader's guard of a collapsed miss: followers wake when it finishes.
    pub guard: Option<LeaderGuard>,
}

impl StoreJob {
    /// Stores the response with `body` and reports to the followers.
    pub async fn run(self, body: Bytes) -> StoreOutcome {
        let outcome = self.cache.store(&self.request, &self.response, body, self.request_time, self.response_time).await;
        if let Some(guard) = self.guard {
            guard.finish(if outcome == StoreOutcome::Stored { FlightOutcome::Stored } else { FlightOutcome::NotStored });
        }
        outcome
    }
}

type Storing = Pin<Box<dyn Future<Output = StoreOutcome> + Send>>;

/// The upstream content, copied for the cache up to `limit` octets.
pub struct TeeBody {
    inner: UpstreamBody,
    /// The piece not yet given to the client: released when the next one arrives, or
    /// after storing when the content ends.
    held: Option<Bytes>,
    copy: BytesMut,
    limit: u64,
    job: Option<StoreJob>,
    storing: Option<Storing>,
    ended: bool,
}

impl TeeBody {
    /// Wraps `inner`; `job` runs when it ends, unless more than `limit` octets came.
    pub fn new(inner: UpstreamBody, job: StoreJob, limit: u64) -> TeeBody {
        TeeBody { inner, held: None, copy: BytesMut::new(), limit, job: Some(job), storing: None, ended: false }
    }
}

impl http_body::Body for TeeBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if let Some(storing) = this.storing.as_mut() {
                ready!(storing.as_mut().poll(cx));
                this.storing = None;
            }
            if this.ended {
                return Poll::Ready(this.held.take().map(|b| Ok(Frame::data(b))));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    // Trailers are not forwarded (the client connection re-frames the body).
                    let Ok(data) = frame.into_data() else { continue };
                    if data.is_empty() {
                        continue;
                    }
                    if this.job.is_some() {
                        if (this.copy.len() + data.len()) as u64 > this.limit {
                            // Too large to store: stop copying; followers go upstream.
                            this.job = None;
                            this.copy = BytesMut::new();
                        } else {
                            this.copy.extend_from_slice(&data);
                        }
                    }
                    if let Some(previous) = this.held.replace(data) {
                        return Poll::Ready(Some(Ok(Frame::data(previous))));
                    }
                }
                Some(Err(e)) => {
                    // Incomplete content is never stored; dropping the job releases followers.
                    this.job = None;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.ended = true;
                    if let Some(job) = this.job.take() {
                        let copy = std::mem::take(&mut this.copy).freeze();
                        this.storing = Some(Box::pin(job.run(copy)));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended && self.held.is_none() && self.storing.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = http_body::Body::size_hint(&self.inner);
        if let Some(held) = &self.held {
            let n = held.len() as u64;
            // Upper first: `set_lower` refuses a lower bound above the upper one.
            if let Some(upper) = hint.upper() {
                hint.set_upper(upper + n);
            }
            hint.set_lower(hint.lower() + n);
        }
        hint
    }
}
