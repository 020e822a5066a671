//! A tiny raw-TCP HTTP/1.1 (and h2c) server for judging tests.
//!
//! [`Behaviour::Good`] answers as the digest prescribes for a static file
//! `/a.txt`, a WebDAV collection `/dav/` and a writable `/scratch/`; the other
//! behaviours send canned answers to show that a bad answer fails.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the fake server does with each connection.
#[derive(Clone)]
pub enum Behaviour {
    /// Follow the digest.
    Good,
    /// Like `Good`, but with one deviation.
    GoodExcept(Deviation),
    /// Read a request head, send these octets, keep the connection open.
    Canned(&'static str),
    /// Close every connection at once.
    CloseImmediately,
    /// Accept and never answer.
    Hang,
    /// Answer with something that is not HTTP.
    NotHttp,
}

/// One way to be wrong, on top of the good behaviour.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Deviation {
    /// 405 without Allow for unknown methods (nginx style).
    UnknownMethod405NoAllow,
    /// Sends the body for HEAD.
    HeadWithBody,
    /// TRACE on, echoing Cookie.
    TraceEchoesCookie,
    /// TRACE off but Allow still lists TRACE.
    TraceInAllow,
    /// Sends 100 Continue even when the final status is known.
    Always100,
    /// Waits for the content before answering an Expect: 100-continue request.
    WaitForContent,
    /// No Date header.
    NoDate,
    /// Content-Length larger than the body on error pages.
    ShortErrorBody,
    /// Via on every response (for --proxy).
    AddVia,
}

/// A running fake server; stops when dropped.
pub struct Fake {
    /// `http://127.0.0.1:port`
    pub url: String,
    /// The port.
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
    /// Resources created by PUT under /scratch/ (to check cleanup).
    pub store: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a fake server with `behaviour` on a free loopback port.
pub async fn start(behaviour: Behaviour) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let store: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let shared = store.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let b = behaviour.clone();
            let st = shared.clone();
            tokio::spawn(async move {
                let _ = serve(sock, b, st).await;
            });
        }
    });
    Fake {
        url: format!("http://127.0.0.1:{port}"),
        port,
        task,
        store,
    }
}

/// Serves one connection, over TLS when `acceptor` is given.
pub async fn start_tls(behaviour: Behaviour, acceptor: tokio_rustls::TlsAcceptor) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let store: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let shared = store.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let b = behaviour.clone();
            let st = shared.clone();
            let acc = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acc.accept(sock).await {
                    let _ = serve_h1(tls, b, st).await;
                }
            });
        }
    });
    Fake {
        url: format!("https://localhost:{port}"),
        port,
        task,
        store,
    }
}

async fn serve(
    sock: TcpStream,
    b: Behaviour,
    store: Arc<Mutex<HashMap<String, Vec<u8>>>>,
) -> std::io::Result<()> {
    match b {
        Behaviour::CloseImmediately => return Ok(()),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return Ok(());
        }
        _ => {}
    }
    // h2c prior knowledge starts with "PRI * HTTP/2.0".
    let mut peek = [0u8; 4];
    let mut seen = 0;
    for _ in 0..200 {
        seen = sock.peek(&mut peek).await?;
        if seen >= 4 || seen == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if seen >= 4 && &peek == b"PRI " {
        return serve_h2(sock, b).await;
    }
    serve_h1(sock, b, store).await
}

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    fn header(&self, n: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    }
    fn count(&self, n: &str) -> usize {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(n))
            .count()
    }
}

/// A response before framing.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub close: bool,
}

fn resp(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    Resp {
        status,
        headers: headers
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        body: body.to_vec(),
        close: false,
    }
}

fn error(status: u16, req_accept: Option<&str>) -> Resp {
    if req_accept.is_some_and(|a| a.contains("application/problem+json")) {
        let body = format!("{{\"status\":{status},\"title\":\"error\"}}");
        return resp(
            status,
            &[
                ("Content-Type", "application/problem+json"),
                ("Vary", "Accept"),
            ],
            body.as_bytes(),
        );
    }
    resp(
        status,
        &[
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Vary", "Accept"),
        ],
        format!("error {status}\n").as_bytes(),
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        414 => "URI Too Long",
        417 => "Expectation Failed",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Other",
    }
}

const TOKEN_EXTRA: &[u8] = b"!#$%&'*+-.^_`|~";

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || TOKEN_EXTRA.contains(&b))
}

/// Outcome of reading one request head from the buffer.
enum Head {
    Need,
    Bad(Resp),
    Ok(Req, usize),
}

fn parse(buf: &[u8]) -> Head {
    let mut start = 0;
    while buf[start..].starts_with(b"\r\n") {
        start += 2;
    }
    let Some(end) = buf[start..].windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > 20_000 {
            let mut r = error(414, None);
            r.close = true;
            return Head::Bad(r);
        }
        return Head::Need;
    };
    let head = String::from_utf8_lossy(&buf[start..start + end]).into_owned();
    let used = start + end + 4;
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or("");
    let bad = || {
        let mut r = error(400, None);
        r.close = true;
        Head::Bad(r)
    };
    let parts: Vec<&str> = line.split(' ').collect();
    if parts.len() != 3 {
        return bad();
    }
    let (method, target, version) = (parts[0], parts[1], parts[2]);
    if method.len() > 64 && is_token(method) {
        let mut r = error(501, None);
        r.close = true;
        return Head::Bad(r);
    }
    if !is_token(method) || target.is_empty() {
        return bad();
    }
    if !version.starts_with("HTTP/") {
        return bad();
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        let mut r = error(505, None);
        r.close = true;
        return Head::Bad(r);
    }
    if target.len() > 8192 {
        let mut r = error(414, None);
        r.close = true;
        return Head::Bad(r);
    }
    let mut headers = Vec::new();
    for l in lines {
        let Some((n, v)) = l.split_once(':') else {
            return bad();
        };
        if n.is_empty() || n.ends_with(' ') || n.ends_with('\t') {
            return bad();
        }
        headers.push((n.to_string(), v.trim().to_string()));
    }
    Head::Ok(
        Req {
            method: method.into(),
            target: target.into(),
            version: version.into(),
            headers,
            body: Vec::new(),
        },
        used,
    )
}

async fn serve_h1<S>(
    mut sock: S,
    b: Behaviour,
    store: Arc<Mutex<HashMap<String, Vec<u8>>>>,
) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        // Read until a head is complete.
        let parsed = loop {
            if !buf.is_empty() {
                match parse(&buf) {
                    Head::Need => {}
                    other => break other,
                }
            }
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        if let Behaviour::NotHttp = b {
            sock.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await?;
            return Ok(());
        }
        if let Behaviour::Canned(text) = b {
            buf.clear();
            sock.write_all(text.as_bytes()).await?;
            continue;
        }
        let dev = match &b {
            Behaviour::GoodExcept(d) => Some(*d),
            _ => None,
        };
        let (mut req, used) = match parsed {
            Head::Bad(r) => {
                write_resp(&mut sock, r, false, dev).await?;
                return Ok(());
            }
            Head::Ok(r, u) => (r, u),
            Head::Need => unreachable!("loop breaks only on complete heads"),
        };
        buf.drain(..used);
        // Framing checks before anything else (RFC 9112 §6).
        let te: Vec<String> = req
            .header("transfer-encoding")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let cl = req.header("content-length").map(str::to_string);
        let close = |r: Resp| Resp { close: true, ..r };
        if req.count("host") != 1 && req.version == "HTTP/1.1" {
            write_resp(&mut sock, close(error(400, None)), false, dev).await?;
            return Ok(());
        }
        if !te.is_empty() && cl.is_some() {
            write_resp(&mut sock, close(error(400, None)), false, dev).await?;
            return Ok(());
        }
        if !te.is_empty() && te.last().map(String::as_str) != Some("chunked") {
            write_resp(&mut sock, close(error(400, None)), false, dev).await?;
            return Ok(());
        }
        if te.iter().any(|c| c != "chunked") {
            write_resp(&mut sock, close(error(501, None)), false, dev).await?;
            return Ok(());
        }
        let length = match cl.as_deref().map(str::parse::<usize>) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                write_resp(&mut sock, close(error(400, None)), false, dev).await?;
                return Ok(());
            }
        };
        let expect = req.header("expect").map(str::to_ascii_lowercase);
        if expect.as_deref().is_some_and(|e| e != "100-continue") {
            let r = error(417, req.header("accept"));
            write_resp(&mut sock, r, req.method == "HEAD", dev).await?;
            // Discard any announced body (none in the tests' probes).
            continue;
        }
        let wants_continue = expect.as_deref() == Some("100-continue") && length > 0;
        // Decide from the head alone when possible (E-7).
        let early = route_head_only(&req);
        if wants_continue {
            match (early, dev) {
                (_, Some(Deviation::WaitForContent)) => {}
                (Some(_), Some(Deviation::Always100)) | (None, _) => {
                    sock.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
                }
                (Some(r), _) => {
                    write_resp(&mut sock, Resp { close: true, ..r }, false, dev).await?;
                    return Ok(());
                }
            }
        }
        // Read the body (Content-Length or chunked).
        if te.is_empty() {
            while buf.len() < length {
                let n = sock.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            req.body = buf.drain(..length).collect();
        } else {
            // Only the empty chunked body "0\r\n\r\n" is used by the probes.
            while !buf.windows(5).any(|w| w == b"0\r\n\r\n") {
                let n = sock.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            if let Some(p) = buf.windows(5).position(|w| w == b"0\r\n\r\n") {
                buf.drain(..p + 5);
            }
        }
        let r = route(&req, dev, &store);
        let closing = r.close;
        write_resp(&mut sock, r, req.method == "HEAD", dev).await?;
        if closing {
            return Ok(());
        }
    }
}

/// Answers that follow from the request head alone (used for 100-continue).
fn route_head_only(req: &Req) -> Option<Resp> {
    match req.method.as_str() {
        "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "POST" | "TRACE" | "PROPFIND"
        | "SEARCH" | "MKCOL" => None,
        _ => Some(error(501, req.header("accept"))),
    }
}

const ALLOW: &str = "GET, HEAD, OPTIONS";
const DAV_ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS, MKCOL, PROPFIND, SEARCH";

fn route(req: &Req, dev: Option<Deviation>, store: &Mutex<HashMap<String, Vec<u8>>>) -> Resp {
    let accept = req.header("accept");
    let mut path = req.target.clone();
    if let Some(rest) = path
        .strip_prefix("http://")
        .or_else(|| path.strip_prefix("https://"))
    {
        path = rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_else(|| "/".into());
    }
    let m = req.method.as_str();
    if m == "CONNECT" {
        let has_port = path
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
        return Resp {
            close: true,
            ..error(if has_port { 501 } else { 400 }, accept)
        };
    }
    if path == "*" {
        return if m == "OPTIONS" {
            resp(200, &[], b"")
        } else {
            error(400, accept)
        };
    }
    if !path.starts_with('/') {
        return error(400, accept);
    }
    let dav = path.starts_with("/dav/");
    let scratch = path.starts_with("/scratch/");
    let known = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE"].contains(&m);
    let dav_method = [
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "COPY",
        "MOVE",
        "LOCK",
        "UNLOCK",
        "SEARCH",
    ]
    .contains(&m);
    if !(known || (dav && dav_method)) {
        if dev == Some(Deviation::UnknownMethod405NoAllow) {
            return error(405, accept);
        }
        return error(501, accept);
    }
    let allow = if dav { DAV_ALLOW } else { ALLOW };
    match m {
        "OPTIONS" if dav => resp(
            200,
            &[
                ("Allow", allow),
                ("DAV", "1, 2"),
                ("DASL", "<DAV:basicsearch>"),
            ],
            b"",
        ),
        "OPTIONS" => resp(200, &[("Allow", allow)], b""),
        "TRACE" if dev == Some(Deviation::TraceEchoesCookie) => {
            let mut echo = format!("TRACE {} HTTP/1.1\r\n", req.target);
            for (n, v) in &req.headers {
                echo.push_str(&format!("{n}: {v}\r\n"));
            }
            resp(200, &[("Content-Type", "message/http")], echo.as_bytes())
        }
        "TRACE" if dev == Some(Deviation::TraceInAllow) => {
            let mut r = error(405, accept);
            r.headers
                .push(("Allow".into(), "GET, HEAD, OPTIONS, TRACE".into()));
            r
        }
        "GET" | "HEAD" if path == "/a.txt" || path == "/" || dav => resp(
            200,
            &[
                ("Content-Type", "text/plain"),
                ("ETag", "\"abc\""),
                ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ],
            b"hello\n",
        ),
        "GET" | "HEAD" if scratch => match store.lock().map(|s| s.get(&path).cloned()) {
            Ok(Some(body)) => resp(200, &[("Content-Type", "text/plain")], &body),
            _ => error(404, accept),
        },
        "GET" | "HEAD" => error(404, accept),
        "PUT" if scratch => {
            let mut s = store.lock().expect("store");
            let existed = s.insert(path, req.body.clone()).is_some();
            if existed {
                resp(204, &[], b"")
            } else {
                resp(201, &[], b"")
            }
        }
        "DELETE" if scratch => {
            let removed = store
                .lock()
                .map(|mut s| s.remove(&path).is_some())
                .unwrap_or(false);
            if removed {
                resp(204, &[], b"")
            } else {
                error(404, accept)
            }
        }
        "PROPFIND" => {
            let body = String::from_utf8_lossy(&req.body);
            if !body.is_empty() && !body.contains("</D:prop>") {
                return error(400, accept);
            }
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>{path}</D:href><D:propstat><D:prop/><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"
            );
            resp(
                207,
                &[("Content-Type", "application/xml; charset=\"utf-8\"")],
                xml.as_bytes(),
            )
        }
        "SEARCH" => resp(
            207,
            &[("Content-Type", "application/xml; charset=\"utf-8\"")],
            b"<?xml version=\"1.0\"?><D:multistatus xmlns:D=\"DAV:\"/>",
        ),
        _ => {
            let mut r = error(405, accept);
            r.headers.push(("Allow".into(), allow.into()));
            r
        }
    }
}

async fn write_resp<S>(
    sock: &mut S,
    r: Resp,
    head: bool,
    dev: Option<Deviation>,
) -> std::io::Result<()>
where
    S: tokio::io::AsyncWrite + Unpin,
{
    let mut out = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    if dev != Some(Deviation::NoDate) {
        out.push_str("Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n");
    }
    out.push_str("Server: fake-good/1\r\n");
    if dev == Some(Deviation::AddVia) {
        out.push_str("Via: 1.1 fake\r\n");
    }
    for (n, v) in &r.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    let mut declared = r.body.len();
    if dev == Some(Deviation::ShortErrorBody) && r.status >= 400 {
        declared += 100;
    }
    if r.status != 204 && !(100..200).contains(&r.status) {
        out.push_str(&format!("Content-Length: {declared}\r\n"));
    }
    if r.close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if !head || dev == Some(Deviation::HeadWithBody) {
        bytes.extend_from_slice(&r.body);
    }
    sock.write_all(&bytes).await?;
    sock.flush().await?;
    if dev == Some(Deviation::ShortErrorBody) && r.status >= 400 {
        // Leave the peer waiting for octets that never come, then close.
        return Err(std::io::Error::other("short body sent"));
    }
    Ok(())
}

async fn serve_h2(sock: TcpStream, b: Behaviour) -> std::io::Result<()> {
    let dev = match &b {
        Behaviour::GoodExcept(d) => Some(*d),
        _ => None,
    };
    let store: Mutex<HashMap<String, Vec<u8>>> = Mutex::default();
    let Ok(mut conn) = h2::server::handshake(sock).await else {
        return Ok(());
    };
    while let Some(Ok((request, mut respond))) = conn.accept().await {
        let (parts, mut body) = request.into_parts();
        let mut data = Vec::new();
        while let Some(Ok(c)) = body.data().await {
            let _ = body.flow_control().release_capacity(c.len());
            data.extend_from_slice(&c);
        }
        let req = Req {
            method: parts.method.as_str().to_string(),
            target: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into()),
            version: "HTTP/2".into(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: data,
        };
        let expect = req.header("expect").map(str::to_ascii_lowercase);
        let r = if expect.as_deref().is_some_and(|e| e != "100-continue") {
            error(417, req.header("accept"))
        } else {
            route(&req, dev, &store)
        };
        let mut builder = http::Response::builder()
            .status(r.status)
            .header("date", "Mon, 01 Jan 2024 00:00:00 GMT");
        for (n, v) in &r.headers {
            builder = builder.header(n.as_str(), v.as_str());
        }
        let head = req.method == "HEAD";
        let send_body = !r.body.is_empty() && (!head || dev == Some(Deviation::HeadWithBody));
        if !send_body && r.status != 204 {
            builder = builder.header("content-length", if head { r.body.len() } else { 0 });
        } else if send_body {
            builder = builder.header("content-length", r.body.len());
        }
        let Ok(response) = builder.body(()) else {
            continue;
        };
        if let Ok(mut stream) = respond.send_response(response, !send_body) {
            if send_body {
                let _ = stream.send_data(Bytes::from(r.body), true);
            }
        }
    }
    Ok(())
}
