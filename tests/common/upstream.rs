//! A recording test upstream: a raw TCP HTTP/1.1 server that records every request exactly
//! as it arrived (head and content octets) and answers with scripted bytes, so a test can
//! see what the gateway forwarded and make the upstream misbehave (stay silent, close,
//! send invalid framing).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the upstream received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Every octet of the request: head and content.
    pub raw: Vec<u8>,
    /// The method, byte for byte.
    pub method: String,
    /// The request-target.
    pub target: String,
    /// The HTTP version of the request line (`HTTP/1.1`).
    pub version: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The content, de-chunked.
    pub body: Vec<u8>,
    /// Number of the connection it arrived on (1, 2, …).
    pub connection: usize,
}

impl Recorded {
    /// The first value of a header field (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Does the request have this header field?
    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// The request line, e.g. `GET /r HTTP/1.1`.
    pub fn request_line(&self) -> String {
        format!("{} {} {}", self.method, self.target, self.version)
    }
}

/// What the upstream does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Sends these octets and keeps the connection open for the next request.
    Raw(Vec<u8>),
    /// Sends these octets and closes the connection.
    RawThenClose(Vec<u8>),
    /// Sends nothing and keeps the connection open (until the upstream stops).
    Silent,
    /// Closes the connection without answering.
    Close,
    /// Waits, then does the inner reply.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    /// A complete response with the given status line tail (`200 OK`), header lines and
    /// content; `Content-Length` is added unless a header sets framing.
    pub fn new(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut out = format!("HTTP/1.1 {status}\r\n").into_bytes();
        let framed = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding"));
        for (n, v) in headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        if !framed {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        Reply::Raw(out)
    }

    /// `200 OK` with these header lines and content.
    pub fn ok(headers: &[(&str, &str)], body: &[u8]) -> Reply {
        Reply::new("200 OK", headers, body)
    }

    /// The same reply after `delay`.
    pub fn after(self, delay: Duration) -> Reply {
        Reply::Delay(delay, Box::new(self))
    }
}

type Script = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A running recording upstream; stops when dropped.
pub struct Upstream {
    /// Its address.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<Arc<Script>>>,
    stop: Arc<AtomicBool>,
}

impl Upstream {
    /// Starts an upstream answering every request with `script`.
    pub fn start(script: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind upstream");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<Arc<Script>>> = Arc::new(Mutex::new(Arc::new(script)));
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s, st) = (log.clone(), script.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        n += 1;
                        let (l, s, st) = (l.clone(), s.clone(), st.clone());
                        std::thread::spawn(move || serve(stream, n, l, s, st));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(2)),
                    Err(_) => break,
                }
            }
        });
        Upstream { addr, log, script, stop }
    }

    /// An upstream answering `200 OK` with `Cache-Control: max-age=60` and content `ok`.
    pub fn cacheable() -> Upstream {
        Upstream::start(|_| Reply::ok(&[("Cache-Control", "max-age=60")], b"ok"))
    }

    /// `http://127.0.0.1:port`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the script.
    pub fn script(&self, script: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        *self.script.lock().unwrap() = Arc::new(script);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    /// Number of requests received so far.
    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The last request received.
    pub fn last(&self) -> Recorded {
        self.requests().pop().expect("the upstream received no request")
    }

    /// Waits until `n` requests arrived (or `timeout` passed) and returns the count.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        while self.count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.count()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(mut stream: TcpStream, connection: usize, log: Arc<Mutex<Vec<Recorded>>>, script: Arc<Mutex<Arc<Script>>>, stop: Arc<AtomicBool>) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut stream, &mut buf, connection, &stop) else { return };
        log.lock().unwrap().push(req.clone());
        let reply = (script.lock().unwrap().clone())(&req);
        if !answer(&mut stream, reply, &stop) {
            return;
        }
    }
}

/// Does `reply`; false when the connection is done.
fn answer(stream: &mut TcpStream, reply: Reply, stop: &AtomicBool) -> bool {
    match reply {
        Reply::Raw(bytes) => stream.write_all(&bytes).is_ok(),
        Reply::RawThenClose(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.shutdown(std::net::Shutdown::Both);
            false
        }
        Reply::Close => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            false
        }
        Reply::Silent => {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        }
        Reply::Delay(d, inner) => {
            std::thread::sleep(d);
            answer(stream, *inner, stop)
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads more octets; false on end of stream or when stopped.
fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool) -> bool {
    let mut chunk = [0u8; 65536];
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return true;
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(_) => return false,
        }
    }
}

fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, connection: usize, stop: &AtomicBool) -> Option<Recorded> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        if !fill(stream, buf, stop) {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or("");
    let mut parts = line.splitn(3, ' ');
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let version = parts.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.to_string(), v.trim().to_string())))
        .collect();
    let get = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
    let mut end = head_end;
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        loop {
            let line_end = loop {
                if let Some(i) = find(&buf[end..], b"\r\n") {
                    break end + i;
                }
                if !fill(stream, buf, stop) {
                    return None;
                }
            };
            let size_text = String::from_utf8_lossy(&buf[end..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).ok()?;
            end = line_end + 2;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    if let Some(i) = find(&buf[end..], b"\r\n") {
                        let blank = i == 0;
                        end += i + 2;
                        if blank {
                            break;
                        }
                    } else if !fill(stream, buf, stop) {
                        return None;
                    }
                }
                break;
            }
            while buf.len() < end + size + 2 {
                if !fill(stream, buf, stop) {
                    return None;
                }
            }
            body.extend_from_slice(&buf[end..end + size]);
            end += size + 2;
        }
    } else if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while buf.len() < head_end + len {
            if !fill(stream, buf, stop) {
                return None;
            }
        }
        body = buf[head_end..head_end + len].to_vec();
        end = head_end + len;
    }
    let raw: Vec<u8> = buf.drain(..end).collect();
    Some(Recorded { raw, method, target, version, headers, body, connection })
}
