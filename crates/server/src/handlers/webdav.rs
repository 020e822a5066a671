//! `webdav`: RFC 4918 classes 1 and 2 and RFC 5323 SEARCH (crate `methodical-webdav`), with
//! GET and HEAD served by the static-file code so both agree on ETags, ranges and
//! conditional requests.

use std::borrow::Cow;
use std::sync::Arc;

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use methodical_policy::{MethodSet, RouteMethods};
use methodical_webdav::{DavConfig, DavContext, MemoryLockStore, WebDav};

use super::static_files::StaticHandler;
use crate::body::{Body, RequestBody};
use crate::config::{StaticConfig, WebDavSettings};
use crate::error::HttpError;

/// A WebDAV route.
pub struct WebDavHandler {
    dav: WebDav,
    files: StaticHandler,
}

impl WebDavHandler {
    /// Opens the root; removes temporaries an interrupted upload left behind.
    pub fn new(settings: &WebDavSettings, max_body: u64) -> std::io::Result<WebDavHandler> {
        let config = DavConfig {
            root: settings.root.clone(),
            read_only: settings.read_only,
            search: settings.search,
            max_upload: max_body,
            allow_depth_infinity: false,
        };
        let dav = WebDav::new(config, Arc::new(MemoryLockStore::new()))?;
        // Files change through this very route: GET must see a PUT at once, so the static
        // code re-checks metadata on every request here.
        let files = StaticHandler::uncached(
            &StaticConfig { root: settings.root.clone(), index: Vec::new(), browse: settings.browse },
            max_body,
        )?;
        Ok(WebDavHandler { dav, files })
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
            return self.files.handle(req, rest).await;
        }
        let scheme_authority = scheme_authority(&req);
        let ctx = DavContext { prefix, path: rest, user, scheme_authority: &scheme_authority };
        let resp = self.dav.handle(req, ctx).await;
        Ok(resp.map(Body::from))
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
