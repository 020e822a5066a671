//! WebDAV for methodical: RFC 4918 classes 1 and 2 (properties, collections, namespace
//! operations, write locks) and RFC 5323 SEARCH with `DAV:basicsearch`, on a folder.
//!
//! The server decides 501 / 405 / OPTIONS from its method table before calling a handler
//! (requirement M-7); it asks [`WebDav::implemented`] and [`WebDav::allowed`] for this route's
//! part of the table. GET and HEAD are served by the server's static-file code; the same
//! strong ETags come from `methodical_fs::Validators`, which is also what `DAV:getetag` says.
//! Everything else a WebDAV route does is [`WebDav::handle`].
//!
//! ```no_run
//! use std::sync::Arc;
//! use methodical_webdav::{DavConfig, DavContext, MemoryLockStore, WebDav};
//!
//! # async fn serve(req: http::Request<http_body_util::Full<bytes::Bytes>>) -> std::io::Result<()> {
//! let dav = WebDav::new(DavConfig::new("/srv/dav"), Arc::new(MemoryLockStore::new()))?;
//! let ctx = DavContext { prefix: "/dav/", path: "notes/a.txt", user: None, scheme_authority: "http://127.0.0.1:8080" };
//! let response = dav.handle(req, ctx).await;
//! # let _ = response; Ok(()) }
//! ```
//!
//! Storage rules: paths never leave the root (`methodical_fs::Root`); files are written through
//! `methodical_fs::AtomicFile` (a crash leaves the old file or none, never part of one);
//! dead properties live in internal `.methodical-props…` files that no URL reaches and no
//! listing shows; temporaries left by a crash are removed by [`WebDav::new`].
//!
//! Requirement ids (D-1…D-15, S-1…S-5) refer to methodical's specification digest.

mod body;
mod cond;
mod error;
pub mod fuzzing;
mod href;
pub mod locks;
mod methods;
pub mod props;
mod resource;
mod search;
pub mod xml;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use methodical_fs::{PathError, Root};
use methodical_policy::MethodSet;

pub use error::{Condition, DavError, XML_CONTENT_TYPE};
pub use locks::{LockDepth, LockInfo, LockScope, LockStore, MemoryLockStore};

/// Default largest PUT body: 4 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 4 << 30;

/// Longest lock timeout granted; longer requests (and `Infinite`) are capped to this.
pub const MAX_LOCK_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Lock timeout when the client sends no `Timeout` header.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(3600);

/// Configuration of one WebDAV route (`webdav = { root = …, read_only = …, search = … }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavConfig {
    /// The folder served.
    pub root: PathBuf,
    /// Only GET, HEAD, OPTIONS, PROPFIND (and SEARCH when on) are allowed.
    pub read_only: bool,
    /// RFC 5323 SEARCH with `DAV:basicsearch`.
    pub search: bool,
    /// Largest PUT body in octets (413 beyond it), default [`DEFAULT_MAX_UPLOAD`].
    pub max_upload: u64,
    /// Allow `PROPFIND` with `Depth: infinity` (default off: 403 `propfind-finite-depth`).
    pub allow_depth_infinity: bool,
}

impl DavConfig {
    /// A read-write configuration with SEARCH on and the defaults above.
    pub fn new(root: impl Into<PathBuf>) -> DavConfig {
        DavConfig {
            root: root.into(),
            read_only: false,
            search: true,
            max_upload: DEFAULT_MAX_UPLOAD,
            allow_depth_infinity: false,
        }
    }
}

/// Per-request facts the server knows and the handler needs.
#[derive(Debug, Clone, Copy)]
pub struct DavContext<'a> {
    /// URL prefix of the route, e.g. `/dav/` (used to build hrefs and to read Destination).
    pub prefix: &'a str,
    /// Request path below the prefix, still percent-encoded, without the query.
    pub path: &'a str,
    /// The authenticated user, if any (lock owner checks).
    pub user: Option<&'a str>,
    /// `scheme://authority` of this server as the client addressed it, e.g.
    /// `http://127.0.0.1:8080`, to judge absolute URIs in `Destination` and `If`. Empty:
    /// accept any authority.
    pub scheme_authority: &'a str,
}

/// One WebDAV route. `Send + Sync`; share it in an `Arc`.
#[derive(Debug, Clone)]
pub struct WebDav {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) cfg: DavConfig,
    pub(crate) root: Root,
    pub(crate) locks: Arc<dyn LockStore>,
    /// Serialises read-modify-write of dead property stores.
    pub(crate) props_lock: Mutex<()>,
}

/// Methods by name (all are valid static tokens).
pub(crate) mod method {
    use http::Method;

    fn m(s: &'static str) -> Method {
        Method::from_bytes(s.as_bytes()).unwrap_or(Method::OPTIONS)
    }
    pub fn propfind() -> Method {
        m("PROPFIND")
    }
    pub fn proppatch() -> Method {
        m("PROPPATCH")
    }
    pub fn mkcol() -> Method {
        m("MKCOL")
    }
    pub fn copy() -> Method {
        m("COPY")
    }
    pub fn move_() -> Method {
        m("MOVE")
    }
    pub fn lock() -> Method {
        m("LOCK")
    }
    pub fn unlock() -> Method {
        m("UNLOCK")
    }
    pub fn search() -> Method {
        m("SEARCH")
    }
}

impl WebDav {
    /// Opens the root (it must exist and be a folder) and removes what a crashed process may
    /// have left below it: temporaries and the property stores of files that are gone.
    pub fn new(cfg: DavConfig, locks: Arc<dyn LockStore>) -> std::io::Result<WebDav> {
        let root = Root::new(&cfg.root)?;
        methodical_fs::remove_stale_temporaries(root.dir())?;
        props::dead::remove_orphan_stores(root.dir())?;
        Ok(WebDav { inner: Arc::new(Inner { cfg, root, locks, props_lock: Mutex::new(()) }) })
    }

    /// The configuration.
    pub fn config(&self) -> &DavConfig {
        &self.inner.cfg
    }

    /// Every method this handler implements (so the server never answers 501 for them on a
    /// WebDAV route): GET HEAD PUT DELETE OPTIONS COPY LOCK MKCOL MOVE PROPFIND PROPPATCH
    /// SEARCH UNLOCK. POST is not implemented.
    pub fn implemented() -> MethodSet {
        MethodSet::from_iter([
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            method::copy(),
            method::lock(),
            method::mkcol(),
            method::move_(),
            method::propfind(),
            method::proppatch(),
            method::search(),
            method::unlock(),
        ])
    }

    /// The methods allowed on one resource now (for 405 + `Allow` and OPTIONS). It may stat
    /// the file.
    ///
    /// - read-only: GET HEAD OPTIONS PROPFIND (+ SEARCH when on);
    /// - SEARCH only when on;
    /// - MKCOL only on unmapped URLs (RFC 4918 §9.3.1: MKCOL on a mapped URL → 405);
    /// - PUT not on an existing collection.
    pub fn allowed(&self, path_below_prefix: &str) -> MethodSet {
        self.inner.allowed(path_below_prefix)
    }

    /// The `DAV` header value for OPTIONS: `1, 2` (classes 1 and 2; `1` alone on a
    /// read-only route, which offers no LOCK).
    pub fn dav_header(&self) -> &'static str {
        self.inner.dav_header()
    }

    /// The `DASL` header value (RFC 5323 §3) when SEARCH is on.
    pub fn dasl_header(&self) -> Option<&'static str> {
        self.inner.dasl_header()
    }

    /// Handles one request. The server has already decided that the route allows the
    /// method (GET and HEAD are the server's own); the handler still refuses what the
    /// resource does not allow with 405 + `Allow`.
    pub async fn handle<B>(&self, req: Request<B>, ctx: DavContext<'_>) -> Response<Bytes>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin,
        B::Error: std::fmt::Display,
    {
        let (parts, body) = req.into_parts();
        let method = parts.method.clone();
        let result = self.dispatch(&parts, body, &ctx).await;
        let mut res = match result {
            Ok(r) => r,
            Err(e) => {
                let status = e.status;
                let mut r = e.into_response();
                if status == StatusCode::METHOD_NOT_ALLOWED {
                    r.headers_mut().insert(http::header::ALLOW, self.allowed(ctx.path).as_allow().to_header_value());
                }
                r
            }
        };
        // Responses to state-changing methods must not be stored by caches (D-1).
        if method != Method::OPTIONS && !res.headers().contains_key(http::header::CACHE_CONTROL) {
            res.headers_mut().insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        }
        res
    }

    async fn dispatch<B>(&self, parts: &http::request::Parts, body: B, ctx: &DavContext<'_>) -> Result<Response<Bytes>, DavError>
    where
        B: http_body::Body<Data = Bytes> + Send + Unpin,
        B::Error: std::fmt::Display,
    {
        let path = strip_query(ctx.path);
        if path.contains('#') {
            // A fragment is never part of a request target (RFC 9112 §3.2).
            return Err(DavError::bad_request("the request target contains a fragment"));
        }
        let target = self.inner.root.resolve(path).map_err(|e| match e {
            PathError::BadRequest(why) => DavError::bad_request(why),
            PathError::NotFound(_) => DavError::not_found(),
        })?;
        let cx = methods::Cx::new(parts, ctx, target);
        if !self.allowed(path).contains(&parts.method) && parts.method != Method::GET && parts.method != Method::HEAD {
            return Err(DavError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this resource"));
        }
        methods::dispatch(&self.inner, &cx, &parts.method, body).await
    }
}

impl Inner {
    pub(crate) fn allowed(&self, path_below_prefix: &str) -> MethodSet {
        let cfg = &self.cfg;
        let mut set = MethodSet::from_iter([Method::GET, Method::HEAD, Method::OPTIONS, method::propfind()]);
        if cfg.search {
            set.insert(method::search());
        }
        if cfg.read_only {
            return set;
        }
        let mapped = match self.root.resolve(strip_query(path_below_prefix)) {
            Ok(r) => match self.root.contain(&r) {
                Ok(real) => std::fs::metadata(real).ok().map(|m| m.is_dir()),
                Err(_) => None,
            },
            Err(_) => None,
        };
        for m in [Method::DELETE, method::copy(), method::move_(), method::lock(), method::unlock(), method::proppatch()] {
            set.insert(m);
        }
        match mapped {
            Some(true) => {}
            Some(false) => {
                set.insert(Method::PUT);
            }
            None => {
                set.insert(Method::PUT);
                set.insert(method::mkcol());
            }
        }
        set
    }

    pub(crate) fn dav_header(&self) -> &'static str {
        // Issue 3 asks for `DAV: 1, 2`: classes 1 and 2 are what clients rely on.
        if self.cfg.read_only {
            "1"
        } else {
            "1, 2"
        }
    }

    pub(crate) fn dasl_header(&self) -> Option<&'static str> {
        self.cfg.search.then_some("<DAV:basicsearch>")
    }
}

/// Drops a query string the server may have left on the path.
fn strip_query(path: &str) -> &str {
    path.split('?').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d2_allowed_sets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("c")).unwrap();
        let dav = WebDav::new(DavConfig::new(dir.path()), Arc::new(MemoryLockStore::new())).unwrap();
        let mkcol = method::mkcol();
        assert!(dav.allowed("c/").contains(&method::propfind()));
        assert!(!dav.allowed("c/").contains(&mkcol), "MKCOL on a mapped URL is 405 (RFC 4918 §9.3.1)");
        assert!(!dav.allowed("c/").contains(&Method::PUT));
        assert!(dav.allowed("f").contains(&Method::PUT));
        assert!(!dav.allowed("f").contains(&mkcol));
        assert!(dav.allowed("new/").contains(&mkcol));
        assert!(dav.allowed("").contains(&method::search()));
        assert!(!WebDav::implemented().contains(&Method::POST));
        assert_eq!(WebDav::implemented().len(), 13);

        let mut cfg = DavConfig::new(dir.path());
        cfg.read_only = true;
        cfg.search = false;
        let ro = WebDav::new(cfg, Arc::new(MemoryLockStore::new())).unwrap();
        assert_eq!(ro.allowed("n/").to_string(), "GET, HEAD, OPTIONS, PROPFIND");
        assert_eq!(ro.dasl_header(), None);
        assert_eq!(dav.dasl_header(), Some("<DAV:basicsearch>"));
    }
}
