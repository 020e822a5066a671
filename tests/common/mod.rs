//! Test harness: starts the real `methodical` binary on a free port with a configuration
//! written to a temporary folder, and talks to it over real sockets with raw bytes, so odd
//! methods and malformed heads reach the server exactly as written.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running server process.
pub struct Server {
    child: Child,
    /// Cleartext address.
    pub addr: SocketAddr,
    /// TLS address, when the configuration has one.
    pub tls_addr: Option<SocketAddr>,
    /// Admin listener address, when the configuration has one.
    pub admin_addr: Option<SocketAddr>,
    /// The folder holding the configuration and the served files.
    pub dir: tempfile::TempDir,
    stderr: mpsc::Receiver<String>,
    /// Lines the server wrote to standard error so far (collected on demand).
    pub log: Vec<String>,
}

/// The path of the binary under test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_methodical"))
}

/// Builds a temporary folder with files: `(relative path, content)`.
pub fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

impl Server {
    /// Starts `methodical serve --config` with `config` (TOML) written into a folder that
    /// already holds `files`. `listen` is forced to a free port.
    pub fn start(config: &str, files: &[(&str, &[u8])]) -> Server {
        let dir = folder(files);
        Server::start_in(dir, config, &[])
    }

    /// Like [`Server::start`] in a prepared folder, with extra arguments.
    pub fn start_in(dir: tempfile::TempDir, config: &str, extra_args: &[&str]) -> Server {
        let path = dir.path().join("methodical.toml");
        std::fs::write(&path, config).unwrap();
        let mut args = vec!["serve".to_string(), "--config".into(), path.display().to_string(), "--listen".into(), "127.0.0.1:0".into()];
        args.extend(extra_args.iter().map(|s| s.to_string()));
        Server::spawn(dir, &args)
    }

    /// Starts the zero-config mode on `dir`.
    pub fn zero_config(dir: tempfile::TempDir) -> Server {
        let args = vec!["serve".to_string(), dir.path().display().to_string(), "--listen".into(), "127.0.0.1:0".into()];
        Server::spawn(dir, &args)
    }

    fn spawn(dir: tempfile::TempDir, args: &[String]) -> Server {
        let mut child = Command::new(binary())
            .args(args)
            .env("RUST_LOG", "warn")
            // Debug builds panic on this path, so tests can prove a panic stays in one request.
            .env("METHODICAL_PANIC_PATH", "/__panic__")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start methodical");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = Vec::new();
        let mut addr = None;
        let mut tls_addr = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while addr.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(a) = line.strip_prefix("listening on http://") {
                        addr = Some(a.parse().unwrap());
                    } else if let Some(a) = line.strip_prefix("listening on https://") {
                        tls_addr = Some(a.parse().unwrap());
                    }
                    log.push(line);
                }
                Err(_) => panic!("methodical did not start; its output:\n{}", log.join("\n")),
            }
        }
        // TLS and admin listeners are announced after the cleartext ones.
        let mut admin_addr = None;
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            if let Some(a) = line.strip_prefix("listening on https://") {
                tls_addr = Some(a.parse().unwrap());
            } else if let Some(a) = line.strip_prefix("admin on http://") {
                admin_addr = Some(a.parse().unwrap());
            }
            log.push(line);
        }
        Server { child, addr: addr.unwrap(), tls_addr, admin_addr, dir, stderr: rx, log }
    }

    /// `http://addr`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A path inside the server's folder.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Sends one raw request on a new connection and reads one response.
    pub fn raw(&self, request: &[u8]) -> RawResponse {
        let mut c = self.connect();
        c.send(request);
        c.response(head_request(request))
    }

    /// Sends a request written with `\n` line ends (turned into CRLF) and a Host header
    /// added unless present.
    pub fn req(&self, text: &str) -> RawResponse {
        self.raw(&crlf(text))
    }

    /// A new connection.
    pub fn connect(&self) -> Conn {
        Conn::open(self.addr)
    }

    /// Everything the server logged to standard error so far.
    pub fn stderr(&mut self) -> String {
        while let Ok(line) = self.stderr.try_recv() {
            self.log.push(line);
        }
        self.log.join("\n")
    }

    /// Sends a signal to the server.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) with a pid we own and a valid signal number.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `\n` → `\r\n`, and `Host: test` added to requests that have none (only when the text has
/// a request line with a version and no Host line).
pub fn crlf(text: &str) -> Vec<u8> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    let has_host = lines.iter().any(|l| l.to_ascii_lowercase().starts_with("host:"));
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        out.push_str("\r\n");
        if i == 0 && !has_host && l.contains(" HTTP/1.1") {
            out.push_str("Host: test\r\n");
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn head_request(request: &[u8]) -> bool {
    request.starts_with(b"HEAD ")
}

/// A client connection.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    /// Connects.
    pub fn open(addr: SocketAddr) -> Conn {
        Conn::from_stream(TcpStream::connect(addr).expect("connect"))
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: TcpStream) -> Conn {
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn { stream, buf: Vec::new() }
    }

    /// Writes bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                panic!("timed out waiting for the response; got so far: {:?}", String::from_utf8_lossy(&self.buf))
            }
            Err(_) => false,
        }
    }

    /// Reads one response (`head`: it answers a HEAD request, so it has no body).
    pub fn response(&mut self, head: bool) -> RawResponse {
        let mut r = self.read_head();
        if r.status < 200 {
            return r;
        }
        let bodyless = head || r.status == 204 || r.status == 304;
        if !bodyless {
            if r.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
                r.body = self.read_chunked();
            } else if let Some(len) = r.header("content-length") {
                let len: usize = len.parse().expect("numeric content-length");
                while self.buf.len() < len {
                    assert!(self.fill(), "connection closed after {} of {len} body octets", self.buf.len());
                }
                r.body = self.buf.drain(..len).collect();
            } else {
                while self.fill() {}
                r.body = std::mem::take(&mut self.buf);
                r.closed = true;
            }
        }
        if !r.closed {
            // A server that says `Connection: close` gets time to close; one that keeps the
            // connection open costs the test only a short wait.
            let announced = r.header("connection").is_some_and(|c| c.to_ascii_lowercase().contains("close"));
            r.closed = self.closed_within(Duration::from_millis(if announced { 1000 } else { 40 }));
        }
        r
    }

    /// Reads only a response head (e.g. a `100 Continue`).
    pub fn read_head(&mut self) -> RawResponse {
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..end + 4).collect();
                return RawResponse::parse_head(&head);
            }
            if !self.fill() {
                panic!("connection closed before a complete response head: {:?}", String::from_utf8_lossy(&self.buf));
            }
        }
    }

    fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                assert!(self.fill(), "closed inside chunked body");
            };
            let line: Vec<u8> = self.buf.drain(..line_end + 2).collect();
            let size = usize::from_str_radix(std::str::from_utf8(&line[..line_end]).unwrap().split(';').next().unwrap().trim(), 16).unwrap();
            if size == 0 {
                loop {
                    if let Some(i) = find(&self.buf, b"\r\n") {
                        let l: Vec<u8> = self.buf.drain(..i + 2).collect();
                        if l.len() == 2 {
                            return body;
                        }
                    } else {
                        assert!(self.fill(), "closed inside trailers");
                    }
                }
            }
            while self.buf.len() < size + 2 {
                assert!(self.fill(), "closed inside a chunk");
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
        }
    }

    /// True when the server closes the connection within 300 ms (and sent nothing more).
    pub fn closed_soon(&mut self) -> bool {
        self.closed_within(Duration::from_millis(300))
    }

    /// True when the server closes the connection within `wait` (and sent nothing more).
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut b = [0u8; 1];
        let closed = match self.stream.read(&mut b) {
            Ok(0) => true,
            Ok(_) => {
                self.buf.push(b[0]);
                false
            }
            Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
        };
        self.stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        closed
    }

    /// Octets received beyond the last parsed response.
    pub fn leftover(&self) -> &[u8] {
        &self.buf
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Header fields in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body octets.
    pub body: Vec<u8>,
    /// The server closed the connection after the response.
    pub closed: bool,
}

impl RawResponse {
    fn parse_head(head: &[u8]) -> RawResponse {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line: {status_line}");
        let status = parts.next().unwrap().parse().unwrap();
        let reason = parts.next().unwrap_or("").to_string();
        let headers = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_string())
            })
            .collect();
        RawResponse { status, reason, headers, body: Vec::new(), closed: false }
    }

    /// The first value of a header field.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of a header field.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// A comma-separated field as a sorted set of trimmed members.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .headers_named(name)
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        v.sort();
        v
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts what every generated error must have: Date, and for non-HEAD a body whose
    /// exact length is in Content-Length (E-1, E-3).
    pub fn assert_error_shape(&self) {
        assert!(self.header("date").is_some(), "E-3: Date missing: {self:?}");
        assert!(!self.body.is_empty(), "E-1: error body missing: {self:?}");
        assert_eq!(self.header("content-length").map(|v| v.parse::<usize>().unwrap()), Some(self.body.len()), "E-1: exact Content-Length");
        assert!(self.header("transfer-encoding").is_none());
    }
}

/// Sorted method list for Allow comparisons.
pub fn set(items: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Runs `methodical` with arguments and returns (exit code, stdout, stderr).
pub fn run_cli(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(binary()).args(args).current_dir(cwd).output().expect("run methodical");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Deterministic pseudo-random octets (xorshift64*) that neither compress nor deduplicate,
/// so failures can be reproduced from the seed.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs `methodical hash-password` with `password` on standard input; returns its one line
/// of output, `password_hash = "$argon2id$…"`.
pub fn hash_password_line(password: &str) -> String {
    let mut child = Command::new(binary())
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run methodical hash-password");
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "hash-password failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line of output: {text:?}");
    lines[0].to_string()
}
