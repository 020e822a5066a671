//! One module per method family; this one holds what they share.

mod copymove;
mod delete;
pub(crate) mod lock;
mod mkcol;
pub(crate) mod propfind;
pub(crate) mod proppatch;
mod put;

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use methodical_fs::{PathError, Resolved};

use crate::error::{empty_response, DavError};
use crate::resource::Resource;
use crate::Inner;

/// The request facts every method needs.
pub struct Cx<'a> {
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Route prefix, always ending in `/`.
    pub prefix: String,
    /// Authenticated user.
    pub user: Option<&'a str>,
    /// `scheme://authority` as the client addressed the server.
    pub scheme_authority: &'a str,
    /// The decoded target.
    pub target: Resolved,
}

/// A `Depth` header value (RFC 4918 §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `0`.
    Zero,
    /// `1`.
    One,
    /// `infinity`.
    Infinity,
}

impl<'a> Cx<'a> {
    /// Collects the facts of one request.
    pub fn new(parts: &'a http::request::Parts, ctx: &crate::DavContext<'a>, target: Resolved) -> Cx<'a> {
        let prefix = if ctx.prefix.ends_with('/') { ctx.prefix.to_owned() } else { format!("{}/", ctx.prefix) };
        Cx { headers: &parts.headers, prefix, user: ctx.user, scheme_authority: ctx.scheme_authority, target }
    }

    /// The `Depth` header; `None` when absent, 400 when not `0`, `1` or `infinity`.
    pub fn depth(&self) -> Result<Option<Depth>, DavError> {
        let Some(v) = self.headers.get("depth") else { return Ok(None) };
        match v.to_str().map(str::trim) {
            Ok("0") => Ok(Some(Depth::Zero)),
            Ok("1") => Ok(Some(Depth::One)),
            Ok(s) if s.eq_ignore_ascii_case("infinity") => Ok(Some(Depth::Infinity)),
            _ => Err(DavError::bad_request("Depth must be 0, 1 or infinity")),
        }
    }

    /// The `Overwrite` header (RFC 4918 §10.6): `T` (default) or `F`.
    pub fn overwrite(&self) -> Result<bool, DavError> {
        match self.headers.get("overwrite").map(|v| v.to_str().map(str::trim)) {
            None => Ok(true),
            Some(Ok("T" | "t")) => Ok(true),
            Some(Ok("F" | "f")) => Ok(false),
            Some(_) => Err(DavError::bad_request("Overwrite must be T or F")),
        }
    }

    /// The href of a resource on this route.
    pub fn href(&self, relative: &str, is_dir: bool) -> String {
        crate::href::href(&self.prefix, relative, is_dir)
    }
}

/// The parent's relative path; `None` for the root.
pub fn parent_of(relative: &str) -> Option<&str> {
    if relative.is_empty() {
        return None;
    }
    Some(relative.rsplit_once('/').map(|(p, _)| p).unwrap_or(""))
}

/// Runs slow filesystem work off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, DavError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, "a storage task failed"))
}

/// The resource at `resolved`, or `None` when the URL is unmapped (a symlink leading out of
/// the root counts as unmapped). One `metadata` call.
pub fn stat(dav: &Inner, resolved: &Resolved) -> Result<Option<Resource>, DavError> {
    match dav.root.contain(resolved) {
        Ok(_) => match Resource::stat(&resolved.relative, &resolved.path) {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(DavError::io(&e)),
        },
        Err(PathError::NotFound(_)) => Ok(None),
        Err(PathError::BadRequest(why)) => Err(DavError::bad_request(why)),
    }
}

/// Where a new resource at `resolved` would be created: 409 when the parent collection does
/// not exist or is not a collection.
pub fn new_path(dav: &Inner, resolved: &Resolved) -> Result<std::path::PathBuf, DavError> {
    let path = match dav.root.contain_new(resolved) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(DavError::no_parent()),
        Err(_) => return Err(DavError::new(StatusCode::FORBIDDEN, "this URL cannot be written")),
    };
    match path.parent().map(std::fs::metadata) {
        Some(Ok(m)) if m.is_dir() => Ok(path),
        _ => Err(DavError::no_parent()),
    }
}

fn options(dav: &Inner, path: &str) -> Response<Bytes> {
    let mut res = empty_response(StatusCode::OK);
    let h = res.headers_mut();
    h.insert(header::ALLOW, dav.allowed(path).as_allow().to_header_value());
    h.insert("dav", HeaderValue::from_static(dav.dav_header()));
    h.insert("ms-author-via", HeaderValue::from_static("DAV"));
    if let Some(dasl) = dav.dasl_header() {
        h.insert("dasl", HeaderValue::from_static(dasl));
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    res
}

/// Routes a request to its method.
pub async fn dispatch<B>(dav: &Arc<Inner>, cx: &Cx<'_>, method: &Method, body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    match method.as_str() {
        "OPTIONS" => {
            let path = crate::href::encode_path(&cx.target.relative);
            Ok(options(dav, &path))
        }
        "PROPFIND" => propfind::handle(dav, cx, body).await,
        "PROPPATCH" => proppatch::handle(dav, cx, body).await,
        "MKCOL" => mkcol::handle(dav, cx, body).await,
        "PUT" => put::handle(dav, cx, body).await,
        "DELETE" => delete::handle(dav, cx, body).await,
        "COPY" => copymove::handle(dav, cx, body, false).await,
        "MOVE" => copymove::handle(dav, cx, body, true).await,
        "LOCK" => lock::lock(dav, cx, body).await,
        "UNLOCK" => lock::unlock(dav, cx, body).await,
        "SEARCH" => crate::search::handle(dav, cx, body).await,
        _ => Err(DavError::new(StatusCode::METHOD_NOT_ALLOWED, "this method is not handled by the WebDAV handler")),
    }
}
