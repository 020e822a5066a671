//! The request pipeline, in one direction:
//!
//! ```text
//! checks → special targets (OPTIONS *, CONNECT) → router → method table → handler
//!        → finishing (Date, Server, HEAD) → access log
//! ```
//!
//! Every 405, 501 and OPTIONS answer comes from the method table here, before a handler
//! runs; handlers only see methods they implement and the resource allows.

use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, DATE, HOST, REFERER, SERVER, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use methodical_policy::{is_core, Outcome};

use crate::access_log::Record;
use crate::app::{App, Route};
use crate::auth::Credentials;
use crate::body::{Body, RequestBody};
use crate::checks;
use crate::connection::ConnInfo;
use crate::error::HttpError;
use crate::handlers::RequestCtx;
use crate::http1::RequestError;

const SERVER_NAME: HeaderValue = HeaderValue::from_static("methodical");

/// Header fields never echoed by TRACE (RFC 9110 §9.3.8: likely to hold secrets).
const TRACE_HIDDEN: [&str; 5] = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"];

/// What the access log needs from the request, kept before the request moves on.
struct Seen {
    started: Instant,
    method: Method,
    target: Uri,
    version: Version,
    accept: HeaderMap,
    referer: Option<HeaderValue>,
    user_agent: Option<HeaderValue>,
    peer: Option<Arc<ConnInfo>>,
}

impl App {
    /// Answers one request.
    pub async fn serve(&self, req: Request<RequestBody>) -> Response<Body> {
        let seen = Seen {
            started: Instant::now(),
            method: req.method().clone(),
            target: req.uri().clone(),
            version: req.version(),
            accept: accept_only(req.headers()),
            referer: req.headers().get(REFERER).cloned(),
            user_agent: req.headers().get(USER_AGENT).cloned(),
            peer: req.extensions().get::<Arc<ConnInfo>>().cloned(),
        };
        let mut user = None;
        let request_id = crate::panic::next_request_id();
        let (route, result) = match crate::panic::CatchUnwind::new(self.dispatch(req, &mut user)).await {
            Ok(answer) => answer,
            Err(message) => {
                // A bug answered for one request only; the connection and the server go on.
                tracing::error!(request_id, method = %seen.method, target = %seen.target, "handler panicked: {message}");
                (None, Err(HttpError::Internal(format!("request {request_id} failed (a handler panicked)"))))
            }
        };
        let resp = match result {
            Ok(resp) => resp,
            Err(e) => {
                if let HttpError::NotImplemented { method, .. } = &e {
                    self.metrics.unimplemented(method);
                }
                self.errors.render(&e.problem(), &seen.accept)
            }
        };
        let resp = finish(resp, seen.method == Method::HEAD);
        self.record(&seen, route, &resp);
        self.log_request(&seen, route, user.as_deref(), &resp);
        resp
    }

    /// Updates the metrics for one answered request.
    fn record(&self, seen: &Seen, route: Option<usize>, resp: &Response<Body>) {
        let status = resp.status().as_u16();
        let prefix = route.map_or("-", |i| self.routes[i].prefix.as_str());
        let bytes = if seen.method == Method::HEAD { Some(0) } else { resp.body().exact_len() };
        let handles = route.map_or(&self.unrouted_metrics, |i| &self.routes[i].metrics);
        handles.request(crate::metrics::method_class(&seen.method), status, seen.started.elapsed(), bytes);
        if let Some(result) = resp.headers().get("cache-status").and_then(|v| v.to_str().ok()).and_then(crate::metrics::cache_result) {
            self.metrics.cache_result(result);
        }
        if matches!(status, 502 | 504) && route.is_some_and(|i| self.routes[i].is_proxy()) {
            self.metrics.upstream_error(prefix);
        }
    }

    /// Answers a request the HTTP/1 layer could not parse (the connection closes after).
    pub fn reject(&self, err: &RequestError) -> Response<Body> {
        let problem = HttpError::Request(err.clone()).problem();
        let resp = self.errors.render(&problem, &HeaderMap::new());
        let resp = finish(resp, false);
        self.unrouted_metrics.request("invalid", resp.status().as_u16(), std::time::Duration::ZERO, resp.body().exact_len());
        if self.config.log.format != crate::config::LogFormat::Off {
            self.log.log(&Record {
                peer: None,
                user: None,
                method: "-",
                target: "-",
                version: "-",
                status: resp.status().as_u16(),
                bytes: resp.body().exact_len(),
                referer: None,
                user_agent: None,
                route: None,
                duration: std::time::Duration::ZERO,
            });
        }
        resp
    }

    async fn dispatch(&self, mut req: Request<RequestBody>, user: &mut Option<String>) -> (Option<usize>, Result<Response<Body>, HttpError>) {
        #[cfg(debug_assertions)]
        crate::panic::debug_trigger(req.uri().path());
        if let Err(e) = checks::check(req.method(), req.version(), req.headers(), req.body().has_content()) {
            return (None, Err(e.into()));
        }
        if req.uri() == "*" {
            // OPTIONS * is about the server, answered here and never routed (M-13).
            return (None, Ok(options_response(None)));
        }
        if req.method() == Method::CONNECT {
            // No tunnels (M-15).
            return (None, Err(HttpError::NotImplemented { method: Method::CONNECT, retry_after: None }));
        }
        let uri = req.uri().clone();
        let host = uri.authority().map(|a| a.as_str()).or_else(|| req.headers().get(HOST).and_then(|h| h.to_str().ok()));
        let Some(routed) = self.router.route(host, uri.path()) else {
            return (None, Err(self.unrouted(req.method())));
        };
        let route = &self.routes[routed.route.0];
        // RFC 2774 on this route: an M- request becomes its base method before the method
        // table sees it, or is refused (400, 510) here (X-4, X-7).
        let mut fulfilled = None;
        if let Some(registry) = &route.extensions {
            let (mut parts, body) = req.into_parts();
            let via_http10 = methodical_extension::request_via_http10(&parts);
            match crate::extensions::outcome(methodical_extension::evaluate(registry, &mut parts)) {
                Ok(f) => fulfilled = f.map(|f| (f, via_http10)),
                Err(e) => return (Some(route.id.0), Err(e)),
            }
            req = Request::from_parts(parts, body);
        }
        let outcome = self.table.decide(route.id, req.method(), || route.handler.allowed(routed.rest));
        let result = match outcome {
            Outcome::Dispatch => {
                if let Some(len) = declared_length(req.headers()) {
                    if len > route.max_body {
                        // Decided from the head alone: no 100 Continue, nothing read (E-5, E-7).
                        return (Some(route.id.0), Err(HttpError::ContentTooLarge { limit: route.max_body }));
                    }
                }
                if let RequestBody::H1(body) = req.body_mut() {
                    body.set_limit(route.max_body);
                }
                // Authorization is decided before any other condition of the resource, so an
                // anonymous write to a locked file is 401, not 423 (D-10).
                match self.authorize(route, &req).await {
                    Ok(u) => *user = u,
                    Err(e) => return (Some(route.id.0), Err(e)),
                }
                let ctx = RequestCtx { prefix: &route.prefix, rest: routed.rest, user: user.as_deref() };
                // Compression of proxied and `respond` responses (`compress = true`): the one
                // place the pipeline applies it; static routes do their own.
                let compression = (route.compress && route.handler.compressed_by_pipeline())
                    .then(|| crate::compress::Negotiation::of(req.method(), req.headers()));
                match (route.handler.handle(req, ctx).await, compression) {
                    // Boxed: the encoder's state would otherwise size every request's future.
                    (Ok(resp), Some(negotiation)) => Ok(Box::pin(negotiation.apply(resp)).await),
                    (result, _) => result,
                }
            }
            Outcome::Options { allow } => {
                let mut resp = options_response(Some(allow.to_header_value()));
                route.handler.options_headers(resp.headers_mut());
                Ok(resp)
            }
            Outcome::Trace => Ok(trace_response(req.method(), req.uri(), req.version(), req.headers())),
            Outcome::NotAllowed { allow } => Err(HttpError::NotAllowed { method: req.method().clone(), allow }),
            Outcome::NotImplemented { retry_after } => Err(HttpError::NotImplemented { method: req.method().clone(), retry_after }),
        };
        let result = match (result, fulfilled) {
            (Ok(resp), Some((f, via_http10))) => {
                // Acknowledge the mandatory extensions that were obeyed (X-6).
                let (mut parts, body) = resp.into_parts();
                methodical_extension::mark_response(&mut parts, &f, via_http10);
                Ok(Response::from_parts(parts, body))
            }
            (result, _) => result,
        };
        (Some(route.id.0), result)
    }

    /// Applies the route's access rule; the authenticated user, if any.
    ///
    /// Credentials from an address locked out after too many failed logins are refused with
    /// 429 before any hash is verified (even right ones: a guesser must not learn that it
    /// found the password); a failed login counts against the client's address.
    async fn authorize(&self, route: &Route, req: &Request<RequestBody>) -> Result<Option<String>, HttpError> {
        let Some(rule) = &route.access else { return Ok(None) };
        let conn = req.extensions().get::<Arc<ConnInfo>>();
        let sent = req.headers().contains_key(http::header::AUTHORIZATION);
        if sent && !self.config.allow_insecure_auth {
            if let Some(c) = conn {
                if c.tls.is_none() && !c.peer.ip().is_loopback() {
                    return Err(HttpError::Forbidden(
                        "Passwords are not accepted over unencrypted HTTP from other machines; use HTTPS.".into(),
                    ));
                }
            }
        }
        let client = conn.map(|c| c.peer.ip());
        let limits = &self.config.limits.auth;
        if let (true, Some(ip)) = (sent, client) {
            if let Some(wait) = self.auth.limiter().retry_after(ip, limits, Instant::now()) {
                // Rounded up: retrying after Retry-After seconds always finds the lockout over.
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                return Err(HttpError::TooManyLogins { retry_after });
            }
        }
        let user = match self.auth.check(req.headers()).await {
            Credentials::Absent => None,
            Credentials::Valid(u) => Some(u),
            Credentials::Invalid => {
                if let Some(ip) = client {
                    if self.auth.limiter().record_failure(ip, limits, Instant::now()) {
                        tracing::warn!(client = %ip, "too many failed logins; credentials from this address are refused for {:?}", limits.lockout);
                    }
                }
                return Err(HttpError::Unauthorized { realm: rule.realm.clone() });
            }
        };
        let needed = if methodical_policy::properties(req.method()).is_some_and(|p| p.is_safe()) { &rule.read } else { &rule.write };
        if needed.admits(user.as_deref()) {
            Ok(user)
        } else if user.is_none() {
            Err(HttpError::Unauthorized { realm: rule.realm.clone() })
        } else {
            Err(HttpError::Forbidden(format!("The user {} may not do this here.", user.unwrap_or_default())))
        }
    }

    /// No route covers the path: nothing exists there, but an unknown method is still
    /// "not implemented" rather than "not found".
    fn unrouted(&self, method: &Method) -> HttpError {
        if is_core(method) || self.table.registry().contains(method) {
            HttpError::NotFound
        } else {
            HttpError::NotImplemented { method: method.clone(), retry_after: None }
        }
    }

    fn log_request(&self, seen: &Seen, route: Option<usize>, user: Option<&str>, resp: &Response<Body>) {
        if self.config.log.format == crate::config::LogFormat::Off {
            return;
        }
        let target = seen.target.to_string();
        self.log.log(&Record {
            peer: seen.peer.as_ref().map(|c| c.peer),
            user,
            method: seen.method.as_str(),
            target: &target,
            version: version_str(seen.version),
            status: resp.status().as_u16(),
            bytes: if seen.method == Method::HEAD { Some(0) } else { resp.body().exact_len() },
            referer: seen.referer.as_ref().and_then(|v| v.to_str().ok()),
            user_agent: seen.user_agent.as_ref().and_then(|v| v.to_str().ok()),
            route: route.map(|i| self.routes[i].prefix.as_str()),
            duration: seen.started.elapsed(),
        });
    }
}

fn version_str(v: Version) -> &'static str {
    match v {
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/0.9",
    }
}

fn accept_only(headers: &HeaderMap) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in headers.get_all(http::header::ACCEPT) {
        h.append(http::header::ACCEPT, v.clone());
    }
    h
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.split(',').next()?.trim().parse().ok()
}

/// `200`, `Content-Length: 0`, with `Allow` when about a resource (M-12, M-13, A-11).
/// Also the proxy's answer to OPTIONS with `Max-Forwards: 0` (P-5).
pub(crate) fn options_response(allow: Option<HeaderValue>) -> Response<Body> {
    let mut resp = Response::new(Body::Empty);
    if let Some(allow) = allow {
        resp.headers_mut().insert(ALLOW, allow);
    }
    resp.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    resp
}

/// TRACE when on (M-14): the request as received, as `message/http`, secrets left out.
/// Also the proxy's answer to TRACE with `Max-Forwards: 0` (P-5).
pub(crate) fn trace_response(method: &Method, uri: &Uri, version: Version, headers: &HeaderMap) -> Response<Body> {
    let mut out = BytesMut::new();
    out.extend_from_slice(method.as_str().as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(uri.to_string().as_bytes());
    out.extend_from_slice(b" ");
    out.extend_from_slice(version_str(version).as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if TRACE_HIDDEN.contains(&name.as_str()) {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    let mut resp = Response::new(Body::Full(out.freeze()));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("message/http"));
    resp
}

/// Fields every response gets, and HEAD's missing body (M-11): the length GET would have
/// sent stays in Content-Length.
pub fn finish(mut resp: Response<Body>, head: bool) -> Response<Body> {
    let headers = resp.headers_mut();
    // A proxied or cached response keeps the Date its origin set (E-3 only asks to add one).
    headers.entry(DATE).or_insert_with(crate::date::now);
    if !headers.contains_key(SERVER) {
        headers.insert(SERVER, SERVER_NAME);
    }
    if head {
        let status = resp.status();
        let bodyless = status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
        if !bodyless && !resp.headers().contains_key(CONTENT_LENGTH) {
            if let Some(n) = resp.body().exact_len() {
                resp.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(n));
            }
        }
        *resp.body_mut() = Body::Empty;
    }
    resp
}
