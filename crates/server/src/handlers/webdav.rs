//! `webdav`: RFC 4918 classes 1 and 2 and RFC 5323 SEARCH (crate `methodical-webdav`), with
//! GET and HEAD served by the static-file code so both agree on ETags, ranges and
//! conditional requests.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use methodical_policy::{MethodSet, RouteMethods};
use methodical_webdav::{DavConfig, DavContext, MemoryLockStore, WebDav};

use super::static_files::StaticHandler;
use crate::body::{Body, BodyError, RequestBody};
use crate::config::{StaticConfig, WebDavSettings};
use crate::error::HttpError;

/// After a write through any WebDAV route, GET and HEAD check the file system on every
/// request for this long. It must be at least the static-file cache's re-check interval
/// ([`super::static_files::RECHECK`], so it is derived from it): once the window has passed,
/// every entry that cache read before the write is old enough to be checked again before it
/// is served.
const FRESH_AFTER_WRITE: Duration = Duration::from_secs(2 * super::static_files::RECHECK.as_secs());

/// Milliseconds since [`write_clock`] at the end of the latest WebDAV write, plus one (zero:
/// no write yet). Process-wide, so routes that share a folder see each other's writes.
static LAST_WRITE_MS: AtomicU64 = AtomicU64::new(0);

fn write_clock() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    write_clock().elapsed().as_millis() as u64
}

/// Notes that a state-changing request has finished (whatever its outcome).
fn record_write() {
    LAST_WRITE_MS.fetch_max(now_ms() + 1, Ordering::AcqRel);
}

/// Has a WebDAV write finished within [`FRESH_AFTER_WRITE`]?
fn written_recently() -> bool {
    let last = LAST_WRITE_MS.load(Ordering::Acquire);
    last != 0 && (now_ms() + 1).saturating_sub(last) < FRESH_AFTER_WRITE.as_millis() as u64
}

/// A WebDAV route.
pub struct WebDavHandler {
    dav: WebDav,
    /// GET and HEAD in the steady state: file metadata and small files kept in memory and
    /// re-checked at most once per second, as on static routes.
    files: StaticHandler,
    /// GET and HEAD shortly after a write: metadata checked on every request, so a GET
    /// right after a PUT, DELETE or MOVE sees its result at once.
    fresh: StaticHandler,
}

impl WebDavHandler {
    /// Opens the root; removes temporaries an interrupted upload left behind.
    pub fn new(settings: &WebDavSettings, max_body: u64, compress: bool) -> std::io::Result<WebDavHandler> {
        let config = DavConfig {
            root: settings.root.clone(),
            read_only: settings.read_only,
            search: settings.search,
            max_upload: max_body,
            allow_depth_infinity: false,
        };
        let dav = WebDav::new(config, Arc::new(MemoryLockStore::new()))?;
        let files_config = StaticConfig { root: settings.root.clone(), index: Vec::new(), browse: settings.browse };
        let files = StaticHandler::new(&files_config, max_body)?.compressing(compress);
        let fresh = StaticHandler::uncached(&files_config, max_body)?.compressing(compress);
        Ok(WebDavHandler { dav, files, fresh })
    }

    /// Every WebDAV method is implemented (never 501 here); the default Allow is what a
    /// collection allows.
    pub fn route_methods(&self) -> RouteMethods {
        RouteMethods::origin_with(WebDav::implemented(), self.dav.allowed(""))
    }

    /// What the resource at `rest` allows now (read-only mode, SEARCH off, MKCOL only where
    /// nothing is mapped: D-2, D-6).
    pub fn allowed(&self, rest: &str) -> Cow<'_, MethodSet> {
        Cow::Owned(self.dav.allowed(rest))
    }

    /// `DAV` (D-3), `DASL` when SEARCH is on (S-2), and `MS-Author-Via` for Microsoft clients.
    pub fn options_headers(&self, headers: &mut HeaderMap) {
        headers.insert(HeaderName::from_static("dav"), HeaderValue::from_static(self.dav.dav_header()));
        if let Some(dasl) = self.dav.dasl_header() {
            headers.insert(HeaderName::from_static("dasl"), HeaderValue::from_static(dasl));
        }
        headers.insert(HeaderName::from_static("ms-author-via"), HeaderValue::from_static("DAV"));
    }

    /// Answers a request the method table dispatched here.
    pub async fn handle(
        &self,
        req: Request<RequestBody>,
        prefix: &str,
        rest: &str,
        user: Option<&str>,
    ) -> Result<Response<Body>, HttpError> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            // Files change through this very route: GET must see a PUT at once. Changes
            // made beside the server show within a second, as on static routes.
            let files = if written_recently() { &self.fresh } else { &self.files };
            return files.handle(req, rest).await;
        }
        let writes = !methodical_policy::properties(req.method()).is_some_and(|p| p.is_safe());
        let scheme_authority = scheme_authority(&req);
        let ctx = DavContext { prefix, path: rest, user, scheme_authority: &scheme_authority };
        let failed = Arc::new(Mutex::new(None));
        let req = req.map(|body| Watched { body, failed: failed.clone() });
        let resp = self.dav.handle(req, ctx).await;
        if writes {
            // Recorded once the change is on disk and before the client hears of it.
            record_write();
        }
        // A body the connection could not deliver (over the route's max_body, broken
        // chunking, a stalled or vanished client) gets the server's answer for it: 413 or
        // 400/408, and the connection closes, since the rest of the body was not read (E-5).
        let failure = failed.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(e) = failure {
            return Err(HttpError::Body(e));
        }
        Ok(resp.map(Body::from))
    }
}

/// The request body as the WebDAV crate reads it. The crate sees only a message when reading
/// fails; the server's own error is kept aside so the response can be decided from it.
struct Watched {
    body: RequestBody,
    failed: Arc<Mutex<Option<BodyError>>>,
}

/// Reading the request body failed; the cause is kept by [`Watched`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct BodyFailed(String);

impl http_body::Body for Watched {
    type Data = Bytes;
    type Error = BodyFailed;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyFailed>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Err(e))) => {
                let message = BodyFailed(e.to_string());
                *this.failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                Poll::Ready(Some(Err(message)))
            }
            other => other.map_err(|e| BodyFailed(e.to_string())),
        }
    }

    fn is_end_stream(&self) -> bool {
        http_body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::Body::size_hint(&self.body)
    }
}

/// `http://host:port` of the request, to tell local Destination URIs from remote ones.
fn scheme_authority(req: &Request<RequestBody>) -> String {
    let scheme = match req.extensions().get::<Arc<crate::connection::ConnInfo>>() {
        Some(c) => c.scheme(),
        None => "http",
    };
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string))
        .unwrap_or_default();
    format!("{scheme}://{host}")
}
