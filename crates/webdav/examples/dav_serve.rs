//! Serves one WebDAV route with hyper, standing in for methodical's server until it is
//! ready: the method table (501 / 405 + Allow), OPTIONS and a plain GET/HEAD are done here,
//! the way the server will do them; everything else goes to `WebDav::handle`.
//!
//! ```text
//! cargo run -p methodical-webdav --example dav_serve -- ROOT [PORT] [--read-only] [--no-search]
//! litmus http://127.0.0.1:PORT/dav/
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use methodical_fs::{Root, Validators};
use methodical_webdav::{DavConfig, DavContext, MemoryLockStore, WebDav};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;

const PREFIX: &str = "/dav/";

/// Request lines whose target carried a `#fragment`, keyed by (method, target without the
/// fragment). `http::Uri` silently drops fragments, but a fragment is not allowed in a
/// request-target (RFC 9112 §3.2), and acting on the truncated URL would be unsafe (litmus
/// `delete_fragment`). methodical's own HTTP/1 parser sees the raw target; this example
/// peeks at the bytes instead.
type Fragments = Arc<Mutex<HashMap<(String, String), usize>>>;

/// Passes bytes through and notes request lines with a fragment.
struct Sniff<S> {
    inner: S,
    line: Vec<u8>,
    fragments: Fragments,
}

impl<S> Sniff<S> {
    fn scan(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b != b'\n' {
                if self.line.len() < 8192 {
                    self.line.push(b);
                }
                continue;
            }
            let line = String::from_utf8_lossy(&self.line).trim_end().to_owned();
            self.line.clear();
            let mut parts = line.split(' ');
            if let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next()) {
                if version.starts_with("HTTP/1.") && target.contains('#') {
                    let path = target.split('#').next().unwrap_or("").to_owned();
                    let mut map = self.fragments.lock().unwrap_or_else(|p| p.into_inner());
                    *map.entry((method.to_owned(), path)).or_insert(0) += 1;
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniff<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let new = buf.filled()[before..].to_vec();
            self.scan(&new);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniff<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Was this request's target sent with a fragment? (Consumes the note.)
fn had_fragment(fragments: &Fragments, req: &Request<Incoming>) -> bool {
    let key = (req.method().as_str().to_owned(), req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default());
    let mut map = fragments.lock().unwrap_or_else(|p| p.into_inner());
    match map.get_mut(&key) {
        Some(n) => {
            *n -= 1;
            if *n == 0 {
                map.remove(&key);
            }
            true
        }
        None => false,
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// GET and HEAD: the server's static-file job, reduced to what a WebDAV client needs.
fn get(root: &Root, below: &str) -> Response<Full<Bytes>> {
    let Ok(resolved) = root.resolve(below) else { return plain(StatusCode::NOT_FOUND, "not found\n") };
    let Ok(real) = root.contain(&resolved) else { return plain(StatusCode::NOT_FOUND, "not found\n") };
    let Ok(meta) = std::fs::metadata(&real) else { return plain(StatusCode::NOT_FOUND, "not found\n") };
    if meta.is_dir() {
        return plain(StatusCode::OK, "collection\n");
    }
    let Ok(content) = std::fs::read(&real) else { return plain(StatusCode::FORBIDDEN, "unreadable\n") };
    let v = Validators::from_metadata(&meta);
    let mut r = Response::new(Full::new(Bytes::from(content)));
    let h = r.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&v.etag) {
        h.insert(header::ETAG, etag);
    }
    if let Ok(lm) = HeaderValue::from_str(&v.last_modified_http()) {
        h.insert(header::LAST_MODIFIED, lm);
    }
    let mime = mime_guess::from_path(&real).first_or_octet_stream();
    if let Ok(ct) = HeaderValue::from_str(mime.essence_str()) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    r
}

async fn serve(
    dav: Arc<WebDav>,
    root: Arc<Root>,
    addr: SocketAddr,
    fragments: Fragments,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if had_fragment(&fragments, &req) {
        return Ok(plain(StatusCode::BAD_REQUEST, "a request target must not contain a fragment\n"));
    }
    let path = req.uri().path().to_owned();
    let below = match path.strip_prefix(PREFIX) {
        Some(b) => b.to_owned(),
        None if path == PREFIX.trim_end_matches('/') => String::new(),
        None => return Ok(plain(StatusCode::NOT_FOUND, "not found\n")),
    };
    let method = req.method().clone();
    if !WebDav::implemented().contains(&method) {
        return Ok(plain(StatusCode::NOT_IMPLEMENTED, "method not implemented\n"));
    }
    let allowed = dav.allowed(&below);
    if method == Method::OPTIONS {
        let mut r = Response::new(Full::new(Bytes::new()));
        let h = r.headers_mut();
        h.insert(header::ALLOW, allowed.as_allow().to_header_value());
        h.insert("dav", HeaderValue::from_static(dav.dav_header()));
        h.insert("ms-author-via", HeaderValue::from_static("DAV"));
        if let Some(d) = dav.dasl_header() {
            h.insert("dasl", HeaderValue::from_static(d));
        }
        return Ok(r);
    }
    if !allowed.contains(&method) {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here\n");
        r.headers_mut().insert(header::ALLOW, allowed.as_allow().to_header_value());
        return Ok(r);
    }
    if method == Method::GET || method == Method::HEAD {
        return Ok(get(&root, &below));
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned).unwrap_or_else(|| addr.to_string());
    let scheme_authority = format!("http://{host}");
    let ctx = DavContext { prefix: PREFIX, path: &below, user: None, scheme_authority: &scheme_authority };
    let res = dav.handle(req, ctx).await;
    Ok(res.map(Full::new))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let root_dir = args.next().unwrap_or_else(|| ".".to_owned());
    let mut port: u16 = 8080;
    let mut cfg = DavConfig::new(&root_dir);
    for a in args {
        match a.as_str() {
            "--read-only" => cfg.read_only = true,
            "--no-search" => cfg.search = false,
            "--depth-infinity" => cfg.allow_depth_infinity = true,
            other => port = other.parse().map_err(|_| std::io::Error::other(format!("bad argument {other}")))?,
        }
    }
    let root = Arc::new(Root::new(&root_dir)?);
    let dav = Arc::new(WebDav::new(cfg, Arc::new(MemoryLockStore::new()))?);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let local = listener.local_addr()?;
    println!("serving {root_dir} at http://{local}{PREFIX}");
    loop {
        let (stream, _) = listener.accept().await?;
        let (dav, root) = (Arc::clone(&dav), Arc::clone(&root));
        tokio::spawn(async move {
            let fragments: Fragments = Arc::default();
            let io = Sniff { inner: stream, line: Vec::new(), fragments: Arc::clone(&fragments) };
            let service =
                service_fn(move |req| serve(Arc::clone(&dav), Arc::clone(&root), local, Arc::clone(&fragments), req));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(io), service).await;
        });
    }
}
