//! `proxy`: a reverse-proxy (gateway) route with the shared cache.
//!
//! One request goes through four phases, as in Pingora:
//!
//! ```text
//! request filter (request_filter) → cache lookup (this module, methodical-cache)
//!   → upstream (upstream) → response filter (response_filter) → cache store (tee)
//! ```
//!
//! The method table has already decided 405/501 for the route (P-1: unknown methods are
//! forwarded unless `forward_unknown_methods = false`); everything that reaches the handler
//! is forwarded unless the request filter answers it. Errors are rendered here, with the
//! server's error pages, so that responses of a cached route all carry `Cache-Status`
//! (RFC 9211).

mod client;
mod fields;
mod pool;
mod purge;
mod request_filter;
mod response_filter;
mod tee;
mod upstream;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE};
use http::{request, response, Method, Request, Response, StatusCode};
use http_body::{Frame, SizeHint};
use methodical_cache::storable::{storability, NotStorable, StorabilityOptions};
use methodical_cache::{
    Cache, CacheStatus, CachedResponse, FlightOutcome, Forward, Freshened, Join, LeaderGuard, Lookup, Revalidation, StoreOutcome, UpstreamFailure,
};
use methodical_cache::reuse::ValidationReason;
use methodical_extension::Registry;
use methodical_policy::{MethodSet, RouteMethods};

use self::fields::Via;
use self::request_filter::{FilterSettings, Plan, Verdict};
use self::tee::{StoreJob, TeeBody};
pub use self::upstream::{UpstreamBody, UpstreamError, Upstreams};
use super::RequestCtx;
use crate::body::{Body, RequestBody};
use crate::config::{ProxyConfig, PurgeConfig, RouteConfig};
use crate::error::HttpError;
use crate::error_page::ErrorPages;

/// The `Cache-Status` response field (RFC 9211).
const CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");
/// The method that drops a URI from the cache on routes with `purge = {…}`.
const PURGE: &str = "PURGE";
/// `Lock-Token` (RFC 4918 §10.5).
const LOCK_TOKEN: HeaderName = HeaderName::from_static("lock-token");
/// `If` (RFC 4918 §10.4).
const IF: HeaderName = HeaderName::from_static("if");

/// A reverse-proxy route.
pub struct ProxyHandler {
    upstreams: Arc<Upstreams>,
    /// The shared cache, when the route caches.
    cache: Option<Arc<Cache>>,
    /// The shared cache for PURGE, even on a route that does not cache itself.
    purge_cache: Option<Arc<Cache>>,
    purge: Option<PurgeConfig>,
    registry: Option<Registry>,
    errors: ErrorPages,
    allowlist: Option<MethodSet>,
    allowed: MethodSet,
    forward_unknown: bool,
    via: Via,
    upstream_host: Option<HeaderValue>,
    strip_prefix: bool,
    response_timeout: std::time::Duration,
    pass: PassMarks,
}

impl std::fmt::Debug for ProxyHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHandler").field("upstreams", &self.upstreams).field("cache", &self.cache.is_some()).finish_non_exhaustive()
    }
}

impl ProxyHandler {
    /// Builds the handler of `route` (whose handler is `proxy`). `cache` is the server's
    /// shared cache, if one is configured; `errors` renders the gateway's own errors.
    pub fn new(route: &RouteConfig, proxy: &ProxyConfig, cache: Option<Arc<Cache>>, errors: ErrorPages) -> std::io::Result<ProxyHandler> {
        let allowlist = proxy.methods.as_ref().map(|m| m.iter().cloned().collect::<MethodSet>());
        let registry = crate::extensions::registry(&route.extensions).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        Ok(ProxyHandler {
            upstreams: Arc::new(Upstreams::new(proxy)?),
            cache: if proxy.cache { cache.clone() } else { None },
            purge_cache: cache,
            purge: route.purge.clone(),
            registry,
            errors,
            allowed: allowlist.clone().unwrap_or_default(),
            allowlist,
            forward_unknown: proxy.forward_unknown_methods,
            via: Via::new(&proxy.via),
            upstream_host: proxy.upstream_host.clone(),
            strip_prefix: proxy.strip_prefix,
            response_timeout: proxy.response_timeout,
            pass: PassMarks::new(),
        })
    }

    /// The gateway rules of the method table (P-1), and PURGE where it is configured.
    pub fn route_methods(&self) -> RouteMethods {
        let mut methods = RouteMethods::gateway(self.forward_unknown, self.allowlist.clone());
        if self.purge.is_some() {
            if let Ok(purge) = Method::from_bytes(PURGE.as_bytes()) {
                methods.implement(purge);
            }
        }
        methods
    }

    /// The allowlist, when one is configured (a gateway does not know what upstream allows).
    pub fn allowed(&self) -> &MethodSet {
        &self.allowed
    }

    /// Answers a request dispatched to the route. Never fails: errors are rendered here.
    pub async fn handle(&self, req: Request<RequestBody>, ctx: RequestCtx<'_>) -> Result<Response<Body>, HttpError> {
        let (mut client, mut body) = req.into_parts();
        if self.purge.is_some() && client.method.as_str() == PURGE {
            return Ok(self.purge(&client).await);
        }
        let Some(cache) = self.cache.clone() else {
            // Kept apart from the cached path and with everything borrowed, so that the
            // future of a forwarded request (moved at every level of the pipeline above)
            // holds no state it does not need.
            let plan = match self.filter(&mut client, ctx.rest) {
                Ok(plan) => plan,
                Err(resp) => return Ok(resp),
            };
            return Ok(self.pass(&client, &plan, &mut body, None, None).await);
        };
        // A plain GET or HEAD that a stored response may answer is looked up before anything
        // is prepared for upstream: a hit needs none of it.
        let early = if self.plain_read(&client) {
            match cache.lookup(&client, SystemTime::now()).await {
                Lookup::Hit(hit) => return Ok(cached(hit, &client.method)),
                other => Some(other),
            }
        } else {
            None
        };
        let plan = match self.filter(&mut client, ctx.rest) {
            Ok(plan) => plan,
            Err(resp) => return Ok(resp),
        };
        // Boxed: the cache's states would otherwise make every proxied request's future
        // (moved and boxed by the pipeline) several times larger.
        Ok(Box::pin(self.through_cache(&cache, client, plan, body, early)).await)
    }

    /// Phase 1: the request filter. `Err` is the gateway's own answer (a loop, Max-Forwards
    /// 0, a refused extension).
    #[allow(clippy::result_large_err)] // the Ok side (a whole request head) is larger still: boxing the response would not shrink the Result
    fn filter(&self, client: &mut request::Parts, rest: &str) -> Result<Plan, Response<Body>> {
        let settings = FilterSettings {
            via: &self.via,
            allowlist: self.allowlist.as_ref(),
            registry: self.registry.as_ref(),
            upstream_host: self.upstream_host.as_ref(),
            strip_prefix: self.strip_prefix,
        };
        match request_filter::filter(&settings, client, rest, self.cache.is_some()) {
            Verdict::Forward(plan) => Ok(plan),
            Verdict::Answer(resp) => Err(self.local(resp)),
            Verdict::Refuse(e) => {
                let status = self.cache.as_ref().map(|c| c.local_status());
                Err(self.fail(e, client, status))
            }
        }
    }

    /// GET or HEAD that the request filter would forward unchanged in meaning: no loop, no
    /// mandatory extension declaration, no WebDAV state token (D-11).
    fn plain_read(&self, client: &request::Parts) -> bool {
        let h = &client.headers;
        (client.method == Method::GET || client.method == Method::HEAD)
            && !h.contains_key(IF)
            && !h.contains_key(LOCK_TOKEN)
            && !h.contains_key(methodical_extension::MAN)
            && !h.contains_key(methodical_extension::C_MAN)
            && !self.via.seen_in(h)
    }

    /// A response the gateway made itself.
    fn local(&self, mut resp: Response<Body>) -> Response<Body> {
        if let Some(c) = &self.cache {
            resp.headers_mut().append(CACHE_STATUS, c.local_status().to_header_value());
        }
        resp
    }

    /// An error response, rendered like every error of the server (E-1), with its
    /// `Cache-Status` on cached routes.
    fn fail(&self, e: HttpError, client: &request::Parts, status: Option<CacheStatus>) -> Response<Body> {
        let mut resp = self.errors.render(&e.problem(), &client.headers);
        if let Some(s) = status {
            resp.headers_mut().append(CACHE_STATUS, s.to_header_value());
        }
        resp
    }

    async fn purge(&self, client: &request::Parts) -> Response<Body> {
        let allow = self.purge.as_ref().map_or(&[][..], |p| &p.allow[..]);
        let status = self.cache.as_ref().map(|c| c.local_status());
        match purge::purge(self.purge_cache.as_deref(), allow, client).await {
            Ok(resp) => self.local(resp),
            Err(e) => self.fail(e, client, status),
        }
    }

    /// Forwards without storing; on a cached route, an unsafe method's success invalidates
    /// (C-10).
    async fn pass(&self, client: &request::Parts, plan: &Plan, body: &mut RequestBody, cache: Option<&Cache>, status: Option<&CacheStatus>) -> Response<Body> {
        let resp = match self.upstreams.send(&plan.head, body, replayable(&client.method)).await {
            Ok(r) => r,
            Err(e) => return self.fail(e.into_http(), client, status.cloned()),
        };
        let (mut parts, incoming) = resp.into_parts();
        if let Some(e) = informational(&parts) {
            return self.fail(e, client, status.cloned());
        }
        response_filter::filter(&mut parts, &self.via, plan.fulfilled.as_ref(), plan.via_http10);
        if let Some(cache) = cache {
            if client.method != Method::GET && client.method != Method::HEAD {
                cache.invalidate_after(client, &parts).await;
            }
        }
        if let Some(s) = status.cloned() {
            parts.headers.append(CACHE_STATUS, s.to_header_value());
        }
        if client.method == Method::HEAD {
            let body = head_body(&parts);
            return Response::from_parts(parts, body);
        }
        match gather(incoming).await {
            Ok(content) => Response::from_parts(parts, content.into_body()),
            Err(e) => self.fail(incomplete(e), client, status.cloned()),
        }
    }

    /// Phase 2: the cache lookup and what follows from it.
    async fn through_cache(&self, cache: &Arc<Cache>, client: request::Parts, plan: Plan, mut body: RequestBody, early: Option<Lookup>) -> Response<Body> {
        // WebDAV state tokens make a request about locks, not representations (D-11).
        if client.headers.contains_key(IF) || client.headers.contains_key(LOCK_TOKEN) {
            let status = cache.forward_status(Forward::Bypass);
            return self.pass(&client, &plan, &mut body, Some(cache), Some(&status)).await;
        }
        let lookup = match early {
            Some(l) => l,
            None => cache.lookup(&client, SystemTime::now()).await,
        };
        match lookup {
            Lookup::Hit(hit) => cached(hit, &client.method),
            Lookup::Stale { response, revalidate } => {
                if let Some(r) = revalidate {
                    self.revalidate_in_background(cache, &client, &plan, r);
                }
                cached(response, &client.method)
            }
            Lookup::OnlyIfCachedMiss => {
                let e = HttpError::GatewayTimeout("The request allows only a stored response (only-if-cached), and none suitable is stored.".into());
                self.fail(e, &client, Some(cache.local_status().detail("only-if-cached")))
            }
            Lookup::Bypass(reason) => {
                let why = match reason {
                    methodical_cache::BypassReason::Method => Forward::Method,
                    methodical_cache::BypassReason::RequestNoStore | methodical_cache::BypassReason::OriginPreconditions => Forward::Request,
                    methodical_cache::BypassReason::NoKey => Forward::Bypass,
                };
                self.pass(&client, &plan, &mut body, Some(cache), Some(&cache.forward_status(why))).await
            }
            Lookup::MustValidate(r) => {
                // Concurrent requests for one stale response make one validation.
                let (guard, collapsed) = if r.reason == ValidationReason::Stale && collapsible(&client, &body) {
                    match self.join(cache, r.key.as_str(), &client).await {
                        Joined::Served(resp) => return resp,
                        Joined::Leader(g) => (Some(g), false),
                        Joined::Alone => (None, true),
                    }
                } else {
                    (None, false)
                };
                self.validate(cache, client, plan, body, r, guard, collapsed).await
            }
            Lookup::Miss { key, why } => {
                // Concurrent misses on one key make one upstream request (request collapsing).
                let (guard, collapsed) = if collapsible(&client, &body) && !self.pass.is_marked(key.as_str()) {
                    match self.join(cache, key.as_str(), &client).await {
                        Joined::Served(resp) => return resp,
                        Joined::Leader(g) => (Some(g), false),
                        Joined::Alone => (None, true),
                    }
                } else {
                    (None, false)
                };
                let status = cache.forward_status(why).collapsed(collapsed);
                self.fetch(cache, client, plan, body, status, guard).await
            }
        }
    }

    /// Joins the flight for `key`: the leader fetches (after one more look at the cache: a
    /// flight may have ended between lookup and join), a follower waits for the leader and
    /// is served from the cache when the leader stored something usable.
    async fn join(&self, cache: &Cache, key: &str, client: &request::Parts) -> Joined {
        match cache.collapser().join(key) {
            Join::Leader(g) => {
                if let Lookup::Hit(hit) = cache.lookup(client, SystemTime::now()).await {
                    g.finish(FlightOutcome::Stored);
                    return Joined::Served(cached(hit, &client.method));
                }
                Joined::Leader(g)
            }
            Join::Follower(wait) => {
                if let Ok(FlightOutcome::Stored) = tokio::time::timeout(self.response_timeout, wait.wait()).await {
                    match cache.lookup(client, SystemTime::now()).await {
                        Lookup::Hit(hit) => return Joined::Served(cached(hit, &client.method)),
                        Lookup::Stale { response, .. } => return Joined::Served(cached(response, &client.method)),
                        _ => {}
                    }
                }
                Joined::Alone
            }
        }
    }

    /// Forwards a cacheable request and stores what may be stored.
    async fn fetch(&self, cache: &Arc<Cache>, client: request::Parts, plan: Plan, mut body: RequestBody, status: CacheStatus, guard: Option<LeaderGuard>) -> Response<Body> {
        let request_time = SystemTime::now();
        let resp = match self.upstreams.send(&plan.head, &mut body, replayable(&client.method)).await {
            Ok(r) => r,
            Err(e) => return self.fail(e.into_http(), &client, Some(status)),
        };
        let response_time = SystemTime::now();
        let (mut parts, incoming) = resp.into_parts();
        if let Some(e) = informational(&parts) {
            return self.fail(e, &client, Some(status));
        }
        response_filter::filter(&mut parts, &self.via, plan.fulfilled.as_ref(), plan.via_http10);
        self.store_and_send(cache, client, parts, incoming, (request_time, response_time), status, guard).await
    }

    /// Offers a filtered upstream response to the cache and sends it: content-less answers
    /// are stored at once, others while they stream to the client (see [`tee`]).
    #[allow(clippy::too_many_arguments)]
    async fn store_and_send(
        &self,
        cache: &Arc<Cache>,
        client: request::Parts,
        parts: response::Parts,
        incoming: UpstreamBody,
        (request_time, response_time): (SystemTime, SystemTime),
        status: CacheStatus,
        guard: Option<LeaderGuard>,
    ) -> Response<Body> {
        let finish = |g: Option<LeaderGuard>, stored: bool| {
            if let Some(g) = g {
                g.finish(if stored { FlightOutcome::Stored } else { FlightOutcome::NotStored });
            }
        };
        if client.method == Method::HEAD {
            // A 200 to HEAD also freshens stored GET responses (C-11).
            let outcome = cache.store(&client, &parts, Bytes::new(), request_time, response_time).await;
            let stored = outcome == StoreOutcome::Stored;
            finish(guard, stored);
            let mut parts = parts;
            parts.headers.append(CACHE_STATUS, status.stored(stored).to_header_value());
            let body = head_body(&parts);
            return Response::from_parts(parts, body);
        }
        let opts = StorabilityOptions { heuristic: cache.config().heuristic };
        let limit = cache.config().max_object_size;
        let fits = declared_length(&parts).is_none_or(|n| n <= limit);
        let verdict = storability(&client, &parts, &opts);
        let key = cache.key_for(&client);
        if !fits || verdict.is_err() {
            // The response, not this request, rules storing out: later misses on the key
            // need not wait for one another (only requests with Authorization or
            // `no-store` could have made it unstorable on their own).
            let about_request = matches!(verdict, Err(NotStorable::Authorization | NotStorable::RequestNoStore | NotStorable::NoKey));
            if let (false, Some(key)) = (about_request, &key) {
                self.pass.mark(key.as_str());
            }
            finish(guard, false);
            let mut parts = parts;
            parts.headers.append(CACHE_STATUS, status.clone().to_header_value());
            return match gather(incoming).await {
                Ok(content) => Response::from_parts(parts, content.into_body()),
                Err(e) => self.fail(incomplete(e), &client, Some(status)),
            };
        }
        if let Some(key) = &key {
            self.pass.clear(key.as_str());
        }
        match gather(incoming).await {
            Ok(Content::Full(body)) => {
                // Small and complete: stored before the client sees it.
                let outcome = cache.store(&client, &parts, body.clone(), request_time, response_time).await;
                let stored = outcome == StoreOutcome::Stored;
                finish(guard, stored);
                let mut parts = parts;
                parts.headers.append(CACHE_STATUS, status.stored(stored).to_header_value());
                Response::from_parts(parts, Body::from(body))
            }
            Ok(Content::Streaming(incoming)) => {
                let mut out = parts.clone();
                out.headers.append(CACHE_STATUS, status.stored(true).to_header_value());
                let job = StoreJob { cache: cache.clone(), request: client, response: parts, request_time, response_time, guard };
                Response::from_parts(out, Body::stream(TeeBody::new(incoming, job, limit)))
            }
            Err(e) => {
                finish(guard, false);
                self.fail(incomplete(e), &client, Some(status))
            }
        }
    }

    /// Validates a stored response upstream before using it (RFC 9111 §4.3).
    #[allow(clippy::too_many_arguments)]
    async fn validate(
        &self,
        cache: &Arc<Cache>,
        client: request::Parts,
        mut plan: Plan,
        mut body: RequestBody,
        reval: Revalidation,
        guard: Option<LeaderGuard>,
        collapsed: bool,
    ) -> Response<Body> {
        let unconditional = plan.head.headers.clone();
        // The cache answers the client's own conditions; upstream gets the stored validators.
        plan.head.headers.remove(IF_NONE_MATCH);
        plan.head.headers.remove(IF_MODIFIED_SINCE);
        for (name, value) in &reval.conditional_headers {
            plan.head.headers.insert(name.clone(), value.clone());
        }
        let status = cache.forward_status(reval.reason.forward()).collapsed(collapsed);
        let request_time = SystemTime::now();
        let resp = match self.upstreams.send(&plan.head, &mut body, replayable(&client.method)).await {
            Ok(r) => r,
            Err(e) => {
                if let Some(stale) = cache.stale_on_error(&client, &reval, e.failure(), SystemTime::now()) {
                    return cached(stale, &client.method);
                }
                return self.fail(e.into_http(), &client, Some(status));
            }
        };
        let response_time = SystemTime::now();
        let (mut parts, incoming) = resp.into_parts();
        if let Some(e) = informational(&parts) {
            return self.fail(e, &client, Some(status));
        }
        response_filter::filter(&mut parts, &self.via, plan.fulfilled.as_ref(), plan.via_http10);
        if parts.status == StatusCode::NOT_MODIFIED && !reval.conditional_headers.is_empty() {
            match cache.freshen_with_304(&client, &reval, &parts, request_time, response_time).await {
                Freshened::Updated(fresh) => {
                    if let Some(g) = guard {
                        g.finish(FlightOutcome::Stored);
                    }
                    return cached(fresh, &client.method);
                }
                Freshened::NoMatch => {
                    // The 304 is about another response (RFC 9111 §4.3.3): ask again plainly.
                    plan.head.headers = unconditional;
                    return self.fetch(cache, client, plan, RequestBody::Empty, status, guard).await;
                }
            }
        }
        if matches!(parts.status.as_u16(), 500 | 502 | 503 | 504) {
            if let Some(stale) = cache.stale_on_error(&client, &reval, UpstreamFailure::Status(parts.status), SystemTime::now()) {
                return cached(stale, &client.method);
            }
        }
        let status = status.fwd_status(parts.status.as_u16());
        self.store_and_send(cache, client, parts, incoming, (request_time, response_time), status, guard).await
    }

    /// stale-while-revalidate (RFC 5861 §3): validates in the background, one at a time per
    /// URI, while the stale response is served.
    fn revalidate_in_background(&self, cache: &Arc<Cache>, client: &request::Parts, plan: &Plan, reval: Revalidation) {
        let Join::Leader(guard) = cache.collapser().join(&format!("revalidate {}", reval.key)) else { return };
        let mut head = clone_head(&plan.head);
        head.headers.remove(IF_NONE_MATCH);
        head.headers.remove(IF_MODIFIED_SINCE);
        for (name, value) in &reval.conditional_headers {
            head.headers.insert(name.clone(), value.clone());
        }
        let client = clone_head(client);
        let upstreams = self.upstreams.clone();
        let cache = cache.clone();
        let via = self.via.clone();
        tokio::spawn(async move {
            let _flight = guard;
            let request_time = SystemTime::now();
            let Ok(resp) = upstreams.send(&head, &mut RequestBody::Empty, true).await else { return };
            let response_time = SystemTime::now();
            let (mut parts, incoming) = resp.into_parts();
            response_filter::filter(&mut parts, &via, None, false);
            if parts.status == StatusCode::NOT_MODIFIED {
                let _ = cache.freshen_with_304(&client, &reval, &parts, request_time, response_time).await;
                return;
            }
            let limit = cache.config().max_object_size;
            let Ok(body) = collect_limited(incoming, limit).await else { return };
            cache.store(&client, &parts, body, request_time, response_time).await;
        });
    }
}

/// How long misses on a key whose response could not be stored skip request collapsing.
const PASS_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Keys whose last response could not be stored (Varnish's "hit-for-pass"): a miss on such
/// a key goes upstream at once instead of queueing behind a leader whose answer it could
/// not use, so an uncacheable URI is not serialised by collapsing. Bounded in entries.
struct PassMarks {
    marks: quick_cache::sync::Cache<String, std::time::Instant>,
}

impl PassMarks {
    fn new() -> PassMarks {
        PassMarks { marks: quick_cache::sync::Cache::new(16_384) }
    }

    fn is_marked(&self, key: &str) -> bool {
        self.marks.get(key).is_some_and(|until| until > std::time::Instant::now())
    }

    fn mark(&self, key: &str) {
        let now = std::time::Instant::now();
        // Renewed only when it ran out: an unstorable URI under load is marked once per period.
        if self.marks.get(key).is_none_or(|until| until <= now) {
            self.marks.insert(key.to_owned(), now + PASS_FOR);
        }
    }

    fn clear(&self, key: &str) {
        if self.marks.get(key).is_some() {
            self.marks.remove(key);
        }
    }
}

/// How a request joined a flight (see [`ProxyHandler::join`]).
enum Joined {
    /// Answered from what the flight stored.
    Served(Response<Body>),
    /// This request fetches for the others.
    Leader(LeaderGuard),
    /// The flight stored nothing usable: fetch alone.
    Alone,
}

/// Only plain GETs are collapsed: every follower can use their answer.
fn collapsible(client: &request::Parts, body: &RequestBody) -> bool {
    client.method == Method::GET && !client.headers.contains_key(RANGE) && http_body::Body::is_end_stream(body)
}

/// GET and HEAD may be sent again after a connection failure (P-2).
fn replayable(method: &Method) -> bool {
    *method == Method::GET || *method == Method::HEAD
}

/// The request head without its extensions (connection facts stay with the request).
/// Also the request filter's copy of the client's head when the cache still needs it.
fn clone_head(head: &request::Parts) -> request::Parts {
    let (mut out, ()) = Request::new(()).into_parts();
    out.method = head.method.clone();
    out.uri = head.uri.clone();
    out.version = head.version;
    out.headers = head.headers.clone();
    out
}

/// A 1xx final answer (e.g. 101 to an Upgrade we removed) cannot be relayed.
fn informational(parts: &response::Parts) -> Option<HttpError> {
    parts.status.is_informational().then(|| HttpError::BadGateway(format!("The upstream answered {} as a final response.", parts.status.as_u16())))
}

fn declared_length(parts: &response::Parts) -> Option<u64> {
    parts.headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// Largest upstream content read whole before the response is sent.
const GATHER: u64 = 64 * 1024;

/// An upstream response's content, as it goes to the client.
enum Content {
    /// Read whole.
    Full(Bytes),
    /// Sent as it arrives.
    Streaming(UpstreamBody),
}

impl Content {
    fn into_body(self) -> Body {
        match self {
            Content::Full(b) => Body::from(b),
            Content::Streaming(s) => Body::stream(s),
        }
    }
}

/// Reads content of known length up to [`GATHER`] octets whole: it usually arrived with
/// the head, and the client then gets head and content in one write (a failure is still a
/// clean 502). Larger or unsized content streams.
async fn gather(mut body: UpstreamBody) -> Result<Content, crate::body::BoxError> {
    use http_body_util::BodyExt;
    if http_body::Body::is_end_stream(&body) {
        return Ok(Content::Full(Bytes::new()));
    }
    match http_body::Body::size_hint(&body).exact() {
        Some(n) if n <= GATHER => {}
        _ => return Ok(Content::Streaming(body)),
    }
    let mut first: Option<Bytes> = None;
    let mut more: Option<bytes::BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else { continue };
        match (&mut first, &mut more) {
            (None, _) => first = Some(data),
            (Some(f), None) => {
                let mut m = bytes::BytesMut::with_capacity(f.len() + data.len());
                m.extend_from_slice(f);
                m.extend_from_slice(&data);
                more = Some(m);
            }
            (Some(_), Some(m)) => m.extend_from_slice(&data),
        }
    }
    Ok(Content::Full(match (first, more) {
        (_, Some(m)) => m.freeze(),
        (Some(f), None) => f,
        (None, None) => Bytes::new(),
    }))
}

/// Upstream's content broke off before it was complete, and nothing was sent yet.
fn incomplete(e: crate::body::BoxError) -> HttpError {
    HttpError::BadGateway(format!("The upstream response ended before its content was complete: {e}."))
}

/// A HEAD answer carries no content; when upstream gave no Content-Length, the body's
/// length is left unknown so that the server does not claim `Content-Length: 0` (M-11).
fn head_body(parts: &response::Parts) -> Body {
    if parts.headers.contains_key(CONTENT_LENGTH) {
        Body::Empty
    } else {
        Body::stream(UnknownLength)
    }
}

/// A response built from the cache.
fn cached(c: CachedResponse, method: &Method) -> Response<Body> {
    let CachedResponse { mut parts, body, .. } = c;
    parts.version = http::Version::HTTP_11;
    let body = if *method == Method::HEAD { head_body(&parts) } else { Body::from(body) };
    Response::from_parts(parts, body)
}

/// Reads a whole upstream body into memory, refusing more than `limit` octets.
async fn collect_limited(mut body: UpstreamBody, limit: u64) -> Result<Bytes, ()> {
    use http_body_util::BodyExt;
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(|_| ())?.into_data() {
            if (out.len() + data.len()) as u64 > limit {
                return Err(());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}

/// No content, length not stated (for HEAD answers whose GET length is unknown).
struct UnknownLength;

impl http_body::Body for UnknownLength {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        true
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
