//! Route handlers. Each says which methods it implements (for the method table), which a
//! resource allows right now, and answers the requests the table dispatches to it. None of
//! them produces its own 405 or 501: the table does (`crate::service`).

pub mod proxy;
mod respond;
mod static_files;
mod webdav;

use std::borrow::Cow;
use std::sync::Arc;

use http::{HeaderMap, Request, Response};
use methodical_policy::{MethodSet, RouteMethods};

pub use proxy::ProxyHandler;
pub use respond::RespondHandler;
pub use webdav::WebDavHandler;
pub use static_files::{content_type, entity_tags, evaluate_preconditions, EntityTag, Precondition, StaticHandler};
/// Range and If-Range decisions of static routes (public for the fuzz targets in `crates/server/fuzz`).
pub use static_files::range;

use crate::body::{Body, RequestBody};
use crate::config::{HandlerConfig, RouteConfig};
use crate::error::HttpError;
use crate::error_page::ErrorPages;

/// What a route does with the requests dispatched to it.
pub enum Handler {
    /// Files from a folder.
    Static(StaticHandler),
    /// A fixed response.
    Respond(RespondHandler),
    /// WebDAV.
    WebDav(WebDavHandler),
    /// A reverse proxy, with the shared cache when the route asks for it.
    Proxy(ProxyHandler),
}

/// What the handlers of one configuration share.
#[derive(Debug, Clone, Default)]
pub struct Shared {
    /// The shared cache of proxy routes (`[cache]`), when some route caches.
    pub cache: Option<Arc<methodical_cache::Cache>>,
    /// The error pages, for handlers that render their own errors (proxy routes add
    /// `Cache-Status` to them).
    pub errors: ErrorPages,
}

/// What a handler learns about a request besides the request itself.
#[derive(Debug, Clone, Copy)]
pub struct RequestCtx<'a> {
    /// The route's prefix.
    pub prefix: &'a str,
    /// The request path below the prefix, still percent-encoded.
    pub rest: &'a str,
    /// The authenticated user, if any.
    pub user: Option<&'a str>,
}

impl Handler {
    /// Builds the handler of a route.
    pub fn new(route: &RouteConfig, shared: &Shared) -> std::io::Result<Handler> {
        Ok(match &route.handler {
            HandlerConfig::Static(s) => Handler::Static(StaticHandler::new(s, route.max_body)?.compressing(route.compress)),
            HandlerConfig::Respond(r) => Handler::Respond(RespondHandler::new(r.clone(), route.max_body)),
            HandlerConfig::WebDav(w) => Handler::WebDav(WebDavHandler::new(w, route.max_body, route.compress)?),
            HandlerConfig::Proxy(p) => Handler::Proxy(ProxyHandler::new(route, p, shared.cache.clone(), shared.errors.clone())?),
        })
    }

    /// Which methods the handler implements, for the method table.
    pub fn route_methods(&self) -> RouteMethods {
        match self {
            Handler::Static(s) => s.route_methods(),
            Handler::Respond(r) => r.route_methods(),
            Handler::WebDav(w) => w.route_methods(),
            Handler::Proxy(p) => p.route_methods(),
        }
    }

    /// The methods the resource at `rest` allows right now.
    pub fn allowed(&self, rest: &str) -> Cow<'_, MethodSet> {
        match self {
            Handler::Static(s) => Cow::Borrowed(s.allowed()),
            Handler::Respond(r) => Cow::Borrowed(r.allowed()),
            Handler::WebDav(w) => w.allowed(rest),
            Handler::Proxy(p) => Cow::Borrowed(p.allowed()),
        }
    }

    /// Whether `compress = true` is carried out by the pipeline on the way out
    /// ([`crate::compress::Negotiation`]): proxy and `respond` routes. Static routes choose
    /// codings themselves (per-coding ETags, sidecars, kept variants).
    pub fn compressed_by_pipeline(&self) -> bool {
        matches!(self, Handler::Proxy(_) | Handler::Respond(_))
    }

    /// Header fields OPTIONS advertises besides Allow (WebDAV's `DAV`, `DASL`).
    pub fn options_headers(&self, headers: &mut HeaderMap) {
        if let Handler::WebDav(w) = self {
            w.options_headers(headers);
        }
    }

    /// Answers a dispatched request.
    pub async fn handle(&self, req: Request<RequestBody>, ctx: RequestCtx<'_>) -> Result<Response<Body>, HttpError> {
        // The WebDAV and proxy futures are several KiB: kept inline, they would size the
        // whole pipeline's future, which every request (static ones too) builds and moves
        // into its box. Boxed here, they cost their own requests one allocation.
        match self {
            Handler::Static(s) => s.handle(req, ctx.rest).await,
            Handler::Respond(r) => r.handle(req).await,
            Handler::WebDav(w) => Box::pin(w.handle(req, ctx.prefix, ctx.rest, ctx.user)).await,
            Handler::Proxy(p) => Box::pin(p.handle(req, ctx)).await,
        }
    }
}
