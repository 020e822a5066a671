//! `static`: files from a folder with validators, conditional and range requests, content
//! codings (`compress = true`) and folder listings (`browse = true`).
//!
//! Written on hyper's types rather than taken from tower-http's `ServeDir`, which answers
//! every method other than GET/HEAD with its own 405 and ignores `If-Range`; here the method
//! table decides methods, and this handler only serves GET and HEAD.

mod cache;
mod conditional;
mod encoding;
mod listing;
pub mod range;
mod stream;

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::header::{
    ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
    RANGE, VARY,
};
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use methodical_fs::Root;
use methodical_policy::{MethodSet, RouteMethods};

pub use cache::{content_type, RECHECK};
pub use conditional::{entity_tags, evaluate as evaluate_preconditions, EntityTag, Precondition};

use self::cache::{Entry, FileCache};
use self::encoding::Offer;
use self::range::RangeDecision;
use crate::body::{Body, FileSource, RequestBody};
use crate::compress::{self, AcceptEncoding, Effort};
use crate::config::StaticConfig;
use crate::error::HttpError;

/// In-memory files from this size on are offered to the HTTP/1.1 writer for `sendfile(2)`.
const SENDFILE_MIN: u64 = 64 * 1024;
/// Files up to this size are kept in memory.
const MEMORY_FILE_LIMIT: u64 = 1024 * 1024;
/// Memory for cached files, per route.
const MEMORY_CAPACITY: u64 = 64 * 1024 * 1024;
/// Multipart range answers of large files are assembled in memory up to this size; beyond,
/// the whole file is sent (RFC 9110 §14.2 allows ignoring Range).
const MAX_MULTIPART: u64 = 8 * 1024 * 1024;

/// Serves the files below a root.
pub struct StaticHandler {
    root: Root,
    allowed: MethodSet,
    index: Vec<String>,
    cache: FileCache,
    recheck: std::time::Duration,
    max_body: u64,
    browse: bool,
    compress: bool,
}

impl StaticHandler {
    /// Opens the root. File metadata is re-checked at most once per second per file.
    pub fn new(config: &StaticConfig, max_body: u64) -> std::io::Result<StaticHandler> {
        StaticHandler::with_recheck(config, max_body, cache::RECHECK)
    }

    /// Opens a root whose files change through the server (WebDAV): metadata is re-checked on
    /// every request, so a GET right after a PUT sees the new file.
    pub fn uncached(config: &StaticConfig, max_body: u64) -> std::io::Result<StaticHandler> {
        StaticHandler::with_recheck(config, max_body, std::time::Duration::ZERO)
    }

    fn with_recheck(config: &StaticConfig, max_body: u64, recheck: std::time::Duration) -> std::io::Result<StaticHandler> {
        Ok(StaticHandler {
            root: Root::new(&config.root)?,
            allowed: MethodSet::from_iter([Method::GET, Method::HEAD]),
            index: config.index.clone(),
            cache: FileCache::new(MEMORY_CAPACITY, MEMORY_FILE_LIMIT, recheck, false),
            recheck,
            max_body,
            browse: config.browse,
            compress: false,
        })
    }

    /// With content codings when `on` (the route's `compress = true`): gzip, brotli or zstd
    /// by `Accept-Encoding`, precompressed sidecar files when present, compressed variants
    /// of small files kept in memory.
    pub fn compressing(mut self, on: bool) -> StaticHandler {
        if on != self.compress {
            self.compress = on;
            self.cache = FileCache::new(MEMORY_CAPACITY, MEMORY_FILE_LIMIT, self.recheck, on);
        }
        self
    }

    /// GET and HEAD, on every resource (OPTIONS is answered by the policy).
    pub fn route_methods(&self) -> RouteMethods {
        RouteMethods::origin(self.allowed.clone())
    }

    /// The methods a static resource allows: the same everywhere.
    pub fn allowed(&self) -> &MethodSet {
        &self.allowed
    }

    /// Answers GET or HEAD. Content sent with them means nothing and is read and discarded
    /// (M-16).
    pub async fn handle(&self, req: Request<RequestBody>, rest: &str) -> Result<Response<Body>, HttpError> {
        let (parts, body) = req.into_parts();
        if body.has_content() {
            body.collect_limited(self.max_body).await?;
        }
        self.serve(&parts, rest).await
    }

    /// Serves the file or folder at `rest` (the path below the route prefix).
    pub async fn serve(&self, parts: &Parts, rest: &str) -> Result<Response<Body>, HttpError> {
        let resolved = self.root.resolve(rest)?;
        let entry = self.cache.lookup(&self.root, &resolved).await?;
        if !entry.is_dir {
            if resolved.trailing_slash && !resolved.relative.is_empty() {
                // `/a.txt/` names a folder that does not exist.
                return Err(HttpError::NotFound);
            }
            return self.file(parts, &resolved.relative, &entry).await;
        }
        if !parts.uri.path().ends_with('/') {
            return Ok(redirect_to_folder(parts));
        }
        for index in &self.index {
            let candidate = if resolved.relative.is_empty() { index.clone() } else { format!("{}/{index}", resolved.relative) };
            let Ok(index_path) = self.root.resolve(&candidate) else { continue };
            match self.cache.lookup(&self.root, &index_path).await {
                Ok(e) if !e.is_dir => return self.file(parts, &index_path.relative, &e).await,
                _ => continue,
            }
        }
        if self.browse {
            // Boxed, like the compressed answers below: the listing's future (with its
            // encoder) would otherwise size every static request's.
            return Box::pin(self.listing(parts, &resolved.relative, &entry)).await;
        }
        Err(HttpError::Forbidden("This folder has no index page, and folder listings are not enabled here.".into()))
    }

    /// A file, in the coding `Accept-Encoding` prefers among those it is available in. A
    /// range request gets the identity: ranges of a compressed stream would depend on the
    /// encoder.
    async fn file(&self, parts: &Parts, relative: &str, entry: &Arc<Entry>) -> Result<Response<Body>, HttpError> {
        if !self.compress {
            return file_response(parts, entry, false);
        }
        let accept = AcceptEncoding::parse(&parts.headers);
        let mut offer = Offer::of(&self.cache, &self.root, relative, entry, |c| accept.accepts(c)).await;
        if offer.is_empty() {
            return file_response(parts, entry, false);
        }
        let chosen = if parts.headers.contains_key(RANGE) { None } else { accept.choose(|c| offer.has(c)) };
        match chosen.and_then(|c| Some((c, offer.take(c)?))) {
            Some((coding, source)) => Box::pin(encoding::respond(parts, entry, coding, source)).await,
            // `Vary` on the identity too: a cache must not hand it to a client that takes br.
            None => file_response(parts, entry, true),
        }
    }

    /// The listing of a folder without an index file: HTML, or JSON when asked for. Its
    /// strong ETag is a digest of the body, so a listing changes its tag whenever it
    /// changes; there is no Last-Modified (a folder's mtime misses changes inside files).
    async fn listing(&self, parts: &Parts, relative: &str, entry: &Arc<Entry>) -> Result<Response<Body>, HttpError> {
        let (root, dir) = (self.root.dir().to_path_buf(), entry.real.clone());
        let mut folder = tokio::task::spawn_blocking(move || listing::read(&root, &dir))
            .await
            .map_err(|e| HttpError::Internal(format!("folder listing task failed: {e}")))??;
        let view = listing::View::from_query(parts.uri.query());
        view.sort(&mut folder.items);
        let path = parts.uri.path();
        let (content_type, body) = if listing::wants_json(&parts.headers) {
            ("application/json", listing::json(path, &folder))
        } else {
            ("text/html; charset=utf-8", listing::html(path, !relative.is_empty(), &folder, view))
        };
        let body = Bytes::from(body);
        let coding = if self.compress && body.len() as u64 >= compress::MIN_LENGTH {
            AcceptEncoding::parse(&parts.headers).choose(|_| true)
        } else {
            None
        };
        let identity_tag = listing::etag_of(&body);
        let tag = coding.map_or_else(|| identity_tag.clone(), |c| c.etag(&identity_tag));
        let etag = HeaderValue::from_str(&tag).map_err(|e| HttpError::Internal(e.to_string()))?;
        // Only the entity-tag fields apply: without a modification date, If-Modified-Since
        // and If-Unmodified-Since are ignored (RFC 9110 §13.1.3, §13.1.4).
        let mut conditions = http::HeaderMap::new();
        for name in [IF_MATCH, IF_NONE_MATCH] {
            for v in parts.headers.get_all(&name) {
                conditions.append(name.clone(), v.clone());
            }
        }
        let mut resp = Response::new(Body::Empty);
        let headers = resp.headers_mut();
        headers.insert(ETAG, etag);
        headers.insert(VARY, HeaderValue::from_static("Accept"));
        if self.compress {
            compress::add_vary(headers);
        }
        match conditional::evaluate(&parts.method, &conditions, &tag, std::time::UNIX_EPOCH) {
            Precondition::Proceed => {}
            Precondition::NotModified => {
                *resp.status_mut() = StatusCode::NOT_MODIFIED;
                return Ok(resp);
            }
            Precondition::Failed(which) => return Err(HttpError::PreconditionFailed(which)),
        }
        let headers = resp.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        // A listing shows names anyone who can write the folder chose: no script runs on it.
        headers.insert(
            http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"),
        );
        headers.insert(http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        let body = match coding {
            Some(c) => {
                headers.insert(CONTENT_ENCODING, c.header_value());
                compress::encode(c, Effort::PerResponse, body).await?
            }
            None => body,
        };
        *resp.body_mut() = Body::from(body);
        Ok(resp)
    }
}

/// Whether the request came over cleartext HTTP/1.x, the one writer that uses
/// [`FileSource`]: elsewhere reopening the file would be work for nothing.
fn cleartext_http1(parts: &Parts) -> bool {
    parts.version <= http::Version::HTTP_11
        && parts.extensions.get::<Arc<crate::connection::ConnInfo>>().is_some_and(|c| c.tls.is_none())
}

/// `308` from `/dir` to `/dir/` (the query kept), so relative links inside resolve.
fn redirect_to_folder(parts: &Parts) -> Response<Body> {
    let mut location = format!("{}/", parts.uri.path());
    if let Some(q) = parts.uri.query() {
        location.push('?');
        location.push_str(q);
    }
    let mut resp = Response::new(Body::from(format!("Moved to {location}\n")));
    *resp.status_mut() = StatusCode::PERMANENT_REDIRECT;
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(LOCATION, v);
    }
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

/// The identity representation of a file: whole, a range, or several. `vary`: other codings
/// of it exist, so the answer depends on `Accept-Encoding`.
fn file_response(parts: &Parts, entry: &Arc<Entry>, vary: bool) -> Result<Response<Body>, HttpError> {
    let v = &entry.validators;
    match conditional::evaluate(&parts.method, &parts.headers, &v.etag, v.last_modified) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            let mut resp = Response::new(Body::Empty);
            *resp.status_mut() = StatusCode::NOT_MODIFIED;
            resp.headers_mut().insert(ETAG, entry.etag.clone());
            resp.headers_mut().insert(LAST_MODIFIED, entry.last_modified.clone());
            if vary {
                compress::add_vary(resp.headers_mut());
            }
            return Ok(resp);
        }
        Precondition::Failed(which) => return Err(HttpError::PreconditionFailed(which)),
    }
    let len = v.len;
    let decision = if parts.method == Method::GET {
        range::decide(&parts.headers, len, &v.etag, v.last_modified)
    } else {
        RangeDecision::Full
    };
    let mut resp = Response::new(Body::Empty);
    let headers = resp.headers_mut();
    headers.insert(ETAG, entry.etag.clone());
    headers.insert(LAST_MODIFIED, entry.last_modified.clone());
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if vary {
        compress::add_vary(headers);
    }
    let head = parts.method == Method::HEAD;
    match decision {
        RangeDecision::Full => {
            headers.insert(CONTENT_TYPE, entry.content_type.clone());
            if head {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
            } else {
                *resp.body_mut() = body_of(entry, 0..len);
                if len >= SENDFILE_MIN && entry.content.is_some() && cleartext_http1(parts) {
                    // Copying a large body into the socket costs more than opening the file
                    // again; plain-TCP HTTP/1.1 connections send it from the page cache.
                    if let Some(file) = entry.reopen() {
                        resp.extensions_mut().insert(FileSource(Arc::new(file)));
                    }
                }
            }
        }
        RangeDecision::NotSatisfiable => return Err(HttpError::RangeNotSatisfiable { len }),
        RangeDecision::Partial(ranges) if ranges.len() == 1 => {
            let r = ranges[0].clone();
            headers.insert(CONTENT_TYPE, entry.content_type.clone());
            headers.insert(CONTENT_RANGE, content_range(&r, len));
            *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
            *resp.body_mut() = body_of(entry, r);
        }
        RangeDecision::Partial(ranges) => {
            let total: u64 = ranges.iter().map(|r| r.end - r.start).sum();
            if entry.content.is_none() && total > MAX_MULTIPART {
                resp.headers_mut().insert(CONTENT_TYPE, entry.content_type.clone());
                *resp.body_mut() = body_of(entry, 0..len);
                return Ok(resp);
            }
            let pieces = range_pieces(entry, &ranges)?;
            let (body, boundary) = multipart(entry, &ranges, &pieces, len);
            *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
            resp.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_str(&format!("multipart/byteranges; boundary={boundary}"))
                    .map_err(|e| HttpError::Internal(e.to_string()))?,
            );
            *resp.body_mut() = Body::Full(body);
        }
    }
    Ok(resp)
}

/// The content of `r`, from memory or streamed from the file.
pub(super) fn body_of(entry: &Entry, r: std::ops::Range<u64>) -> Body {
    match &entry.content {
        Some(c) => Body::from(c.slice(r.start as usize..r.end as usize)),
        None => stream::file_body(entry.real.clone(), r),
    }
}

fn content_range(r: &std::ops::Range<u64>, len: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("bytes {}-{}/{len}", r.start, r.end - 1)).unwrap_or_else(|_| HeaderValue::from_static("bytes */0"))
}

/// The content of each range, from memory or read from the file.
fn range_pieces(entry: &Entry, ranges: &[std::ops::Range<u64>]) -> Result<Vec<Bytes>, HttpError> {
    use std::io::{Read, Seek, SeekFrom};
    if let Some(c) = &entry.content {
        return Ok(ranges.iter().map(|r| c.slice(r.start as usize..r.end as usize)).collect());
    }
    let mut file = std::fs::File::open(&entry.real)?;
    ranges
        .iter()
        .map(|r| {
            let mut buf = vec![0u8; (r.end - r.start) as usize];
            file.seek(SeekFrom::Start(r.start))?;
            file.read_exact(&mut buf)?;
            Ok(Bytes::from(buf))
        })
        .collect()
}

fn multipart(entry: &Entry, ranges: &[std::ops::Range<u64>], pieces: &[Bytes], len: u64) -> (Bytes, String) {
    let boundary = format!("methodical-{}", &entry.validators.etag.trim_matches('"').replace('-', ""));
    let ct = entry.content_type.to_str().unwrap_or("application/octet-stream");
    let mut out = BytesMut::new();
    for (r, piece) in ranges.iter().zip(pieces) {
        out.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Type: {ct}\r\nContent-Range: bytes {}-{}/{len}\r\n\r\n", r.start, r.end - 1).as_bytes());
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (out.freeze(), boundary)
}
