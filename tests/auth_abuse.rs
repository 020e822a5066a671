//! Issue 8 item 7, auth abuse, against the real binary over real sockets:
//!
//! - failed logins from one address → `429 Too Many Requests` + `Retry-After` for
//!   `[limits] auth_lockout`, per address, successful logins neither counting nor resetting;
//! - the `Authorization` value (and `Proxy-Authorization`) never reaches the access log,
//!   combined or JSON, nor standard error, even at `RUST_LOG=trace`;
//! - Basic credentials over cleartext HTTP are accepted only from loopback addresses unless
//!   `allow_insecure_auth = true`. A non-loopback client needs a second address: the test
//!   makes a network namespace of its own (root, as on the CI machine) with `10.77.0.1` on
//!   its loopback interface (set with ioctls, no network tools needed), so nothing outside
//!   the test sees it.

mod common;

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{crlf, Conn, RawResponse, Server};

/// alice's password: distinctive, so a search of the logs cannot match anything else.
const PASSWORD: &str = "Zq7-unlikely-passphrase-41";

/// `password_hash = "$argon2id$…"` for alice, from `methodical hash-password`.
fn alice_hash_line() -> &'static str {
    static LINE: OnceLock<String> = OnceLock::new();
    LINE.get_or_init(|| common::hash_password_line(PASSWORD))
}

/// Standard base64 (RFC 4648 §4), for Basic credentials.
fn base64(raw: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in raw.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() { T[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// `Authorization: Basic …\n` for `user:password` (RFC 7617).
fn basic(user: &str, password: &str) -> String {
    format!("Authorization: Basic {}\n", base64(format!("{user}:{password}").as_bytes()))
}

/// A configuration with alice and a WebDAV route only logged-in users may read.
fn config(extra_top: &str) -> String {
    format!(
        "{extra_top}\n[[user]]\nname = \"alice\"\n{}\n\n[[route]]\nprefix = \"/files/\"\nwebdav = {{ root = \"files\" }}\nauth = {{ realm = \"files\", read = \"users\", write = [\"alice\"] }}\n\n[[route]]\nprefix = \"/open/\"\nwebdav = {{ root = \"files\", read_only = true }}\nauth = {{ realm = \"files\", read = \"anyone\", write = [\"alice\"] }}\n",
        alice_hash_line()
    )
}

fn start(config: &str) -> Server {
    let dir = common::folder(&[("files/a.txt", b"hello")]);
    Server::start_in(dir, config, &[])
}

/// Sends `GET path` with `auth` (a header line or "") on a new connection from `from`.
fn get_from(s: &Server, from: IpAddr, path: &str, auth: &str) -> RawResponse {
    get_at(s.addr, from, path, auth)
}

fn get_at(to: SocketAddr, from: IpAddr, path: &str, auth: &str) -> RawResponse {
    let socket = socket2::Socket::new(socket2::Domain::for_address(to), socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(from, 0).into()).unwrap_or_else(|e| panic!("bind {from}: {e}"));
    socket.connect(&to.into()).unwrap_or_else(|e| panic!("connect {from} → {to}: {e}"));
    let mut c = Conn::from_stream(TcpStream::from(socket));
    c.send(&crlf(&format!("GET {path} HTTP/1.1\n{auth}")));
    c.response(false)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn issue8_item7_repeated_failed_logins_get_429_with_retry_after_per_address() {
    let s = start(&config("[limits]\nauth_failures = 3\nauth_lockout = \"3s\"\n"));
    let attacker = ip("127.0.0.1");
    let good = basic("alice", PASSWORD);
    for i in 1..=3 {
        let r = get_from(&s, attacker, "/files/a.txt", &basic("alice", &format!("guess{i}")));
        assert_eq!(r.status, 401, "failure {i} of 3 is still a plain 401: {r:?}");
        assert!(r.header("www-authenticate").is_some());
    }
    // Locked out: even the right password is refused, before any hash is checked, and the
    // answer says why and for how long.
    let locked_at = Instant::now();
    let r = get_from(&s, attacker, "/files/a.txt", &good);
    assert_eq!(r.status, 429, "{r:?}");
    r.assert_error_shape();
    let retry: u64 = r.header("retry-after").expect("Retry-After on the 429").parse().expect("delay-seconds");
    assert!((1..=3).contains(&retry), "Retry-After {retry} within the 3 s lockout");
    assert!(r.text().contains("Too many failed logins"), "an explaining body: {}", r.text());
    assert!(!r.text().contains(PASSWORD));
    // Requests without credentials are not locked out (they get what anonymous users get),
    // and other addresses are not affected.
    assert_eq!(get_from(&s, attacker, "/files/a.txt", "").status, 401);
    assert_eq!(get_from(&s, attacker, "/open/a.txt", "").status, 200);
    let r = get_from(&s, ip("127.0.0.2"), "/files/a.txt", &good);
    assert_eq!((r.status, r.text().as_str()), (200, "hello"), "another address logs in");
    // Retry-After is true: after it, the right password works again.
    std::thread::sleep(Duration::from_secs(retry).saturating_sub(locked_at.elapsed()) + Duration::from_millis(100));
    let r = get_from(&s, attacker, "/files/a.txt", &good);
    assert_eq!((r.status, r.text().as_str()), (200, "hello"), "the lockout ended after Retry-After");
}

#[test]
fn issue8_item7_successful_logins_neither_count_nor_reset_the_count() {
    let s = start(&config("[limits]\nauth_failures = 3\nauth_lockout = \"60s\"\n"));
    let client = ip("127.0.0.3");
    let good = basic("alice", PASSWORD);
    for _ in 0..20 {
        assert_eq!(get_from(&s, client, "/files/a.txt", &good).status, 200, "successes do not count");
    }
    assert_eq!(get_from(&s, client, "/files/a.txt", &basic("alice", "x")).status, 401);
    assert_eq!(get_from(&s, client, "/files/a.txt", &basic("mallory", "x")).status, 401, "unknown users count too");
    assert_eq!(get_from(&s, client, "/files/a.txt", &good).status, 200, "2 of 3: still allowed");
    // A success in between did not reset the count: one more failure locks out. (A guesser
    // who owns one account cannot interleave its logins to keep guessing another.)
    assert_eq!(get_from(&s, client, "/files/a.txt", "Authorization: Basic !!!\n").status, 401, "malformed credentials count");
    let r = get_from(&s, client, "/files/a.txt", &good);
    assert_eq!(r.status, 429, "{r:?}");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((55..=60).contains(&retry), "{retry}");
}

#[test]
fn issue8_item7_auth_failures_zero_turns_the_limit_off() {
    let s = start(&config("[limits]\nauth_failures = 0\n"));
    for i in 0..12 {
        assert_eq!(get_from(&s, ip("127.0.0.1"), "/files/a.txt", &basic("alice", &format!("g{i}"))).status, 401);
    }
    assert_eq!(get_from(&s, ip("127.0.0.1"), "/files/a.txt", &basic("alice", PASSWORD)).status, 200);
}

#[test]
fn issue8_item7_default_limit_is_10_failures() {
    let s = start(&config(""));
    for i in 0..10 {
        assert_eq!(get_from(&s, ip("127.0.0.1"), "/files/a.txt", &basic("alice", &format!("g{i}"))).status, 401, "failure {i}");
    }
    let r = get_from(&s, ip("127.0.0.1"), "/files/a.txt", &basic("alice", PASSWORD));
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((55..=60).contains(&retry), "default lockout 60 s: {retry}");
}

// ---------------------------------------------------------------------------------------
// Authorization never logged
// ---------------------------------------------------------------------------------------

/// A server started like the harness does, but at `RUST_LOG=trace` with standard error in a
/// file, so everything the process could say about a request is kept.
struct TracedServer {
    child: std::process::Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl TracedServer {
    fn start(config: &str) -> TracedServer {
        let dir = common::folder(&[("files/a.txt", b"hello")]);
        std::fs::write(dir.path().join("methodical.toml"), config).unwrap();
        let stderr = std::fs::File::create(dir.path().join("stderr.log")).unwrap();
        let child = Command::new(common::binary())
            .args(["serve", "--config"])
            .arg(dir.path().join("methodical.toml"))
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "trace")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start methodical");
        // Owned at once, so the process is killed however this ends.
        let mut server = TracedServer { child, addr: SocketAddr::from(([0, 0, 0, 0], 0)), dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = server.read("stderr.log");
            if let Some(addr) = text.lines().find_map(|l| l.strip_prefix("listening on http://")) {
                server.addr = addr.trim().parse().unwrap();
                return server;
            }
            assert!(Instant::now() < deadline, "methodical did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

impl Drop for TracedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What must never appear: the passwords and the base64 tokens carrying them.
fn secrets() -> Vec<String> {
    let token = base64(format!("alice:{PASSWORD}").as_bytes());
    let wrong = base64(format!("alice:{PASSWORD}-wrong").as_bytes());
    let proxy = base64(b"proxyuser:Pq9-proxy-secret-77");
    vec![PASSWORD.to_string(), token, wrong, proxy, "Pq9-proxy-secret-77".into()]
}

fn exercise(s: &TracedServer) {
    let proxy = format!("Proxy-Authorization: Basic {}\n", base64(b"proxyuser:Pq9-proxy-secret-77"));
    // With `auth_failures = 1` the wrong password locks the address out, so the failure,
    // the lockout warning and the 429 path all run with credentials in the request.
    let cases = [
        (basic("alice", PASSWORD) + &proxy, 200),
        (basic("alice", &format!("{PASSWORD}-wrong")), 401),
        (basic("alice", PASSWORD), 429),
    ];
    for (auth, status) in &cases {
        let r = get_at(s.addr, ip("127.0.0.1"), "/files/a.txt", auth);
        assert_eq!(r.status, *status, "{r:?}");
    }
    // A malformed head carrying credentials is refused by the parser and logged too.
    let mut c = Conn::open(s.addr);
    let auth = basic("alice", PASSWORD);
    c.send(format!("GET /files/a.txt HTTP/1.1\r\nHost: x\r\n{}\r\nX : bad\r\n\r\n", auth.trim_end()).as_bytes());
    assert_eq!(c.response(false).status, 400);
    // The access log is written every 100 ms.
    std::thread::sleep(Duration::from_millis(400));
}

#[test]
fn issue8_item7_authorization_never_in_the_combined_log_nor_stderr() {
    let s = TracedServer::start(&config("[limits]\nauth_failures = 1\n[log]\nformat = \"combined\"\nfile = \"access.log\"\n"));
    exercise(&s);
    let log = s.read("access.log");
    assert_eq!(log.lines().count(), 4, "every request was logged: {log}");
    assert!(log.lines().any(|l| l.contains(" alice [") && l.contains("\" 200 ")), "the user name is logged, not the password: {log}");
    let stderr = s.read("stderr.log");
    assert!(stderr.contains("too many failed logins"), "the server's log of the lockout was captured: {stderr}");
    for secret in secrets() {
        assert!(!log.contains(&secret), "access log contains {secret:?}:\n{log}");
        assert!(!stderr.contains(&secret), "stderr contains {secret:?}:\n{stderr}");
    }
}

#[test]
fn issue8_item7_authorization_never_in_the_json_log_nor_stderr() {
    let s = TracedServer::start(&config("[limits]\nauth_failures = 1\n[log]\nformat = \"json\"\nfile = \"access.json\"\n"));
    exercise(&s);
    let log = s.read("access.json");
    assert_eq!(log.lines().count(), 4, "every request was logged: {log}");
    for line in log.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let obj = v.as_object().unwrap();
        assert!(!obj.keys().any(|k| k.to_ascii_lowercase().contains("auth")), "no authorization field: {line}");
    }
    let stderr = s.read("stderr.log");
    assert!(stderr.contains("too many failed logins"), "the server's log of the lockout was captured: {stderr}");
    for secret in secrets() {
        assert!(!log.contains(&secret), "JSON log contains {secret:?}:\n{log}");
        assert!(!stderr.contains(&secret), "stderr contains {secret:?}:\n{stderr}");
    }
}

// ---------------------------------------------------------------------------------------
// Cleartext credentials only from loopback
// ---------------------------------------------------------------------------------------

/// The non-loopback address the namespace of [`in_network_namespace`] has.
const REMOTE: [u8; 4] = [10, 77, 0, 1];

/// Runs `f` on a thread of its own inside a new network namespace whose loopback interface
/// is up and also carries 10.77.0.1/32 (a non-loopback address, as `lo:1`). Threads and
/// processes it starts share the namespace; it disappears with them.
fn in_network_namespace<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        // SAFETY: unshare(2) with a namespace flag affects only the calling thread.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            panic!(
                "this test needs a network namespace with a non-loopback address (root or CAP_SYS_ADMIN, as on the CI machine): unshare(CLONE_NEWNET): {}",
                std::io::Error::last_os_error()
            );
        }
        configure_loopback();
        f()
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// `ifconfig lo up; ifconfig lo:1 10.77.0.1 netmask 255.255.255.255 up`, with the ioctls
/// themselves so the test needs no network tools.
fn configure_loopback() {
    fn request(name: &str) -> libc::ifreq {
        // SAFETY: ifreq is plain data; all zeroes is a valid value.
        let mut r: libc::ifreq = unsafe { std::mem::zeroed() };
        for (dst, src) in r.ifr_name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        r
    }
    fn ipv4(octets: [u8; 4]) -> libc::sockaddr {
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr { s_addr: u32::from_be_bytes(octets).to_be() },
            sin_zero: [0; 8],
        };
        // SAFETY: sockaddr_in and sockaddr have the same size on Linux; this is how the
        // address ioctls take an IPv4 address.
        unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(sin) }
    }
    // SAFETY: ioctl(2) on a socket we own with properly initialised ifreq structs.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let check = |rc: libc::c_int, what: &str| assert_eq!(rc, 0, "{what}: {}", std::io::Error::last_os_error());
        for name in ["lo", "lo:1"] {
            if name == "lo:1" {
                let mut r = request(name);
                r.ifr_ifru.ifru_addr = ipv4(REMOTE);
                check(libc::ioctl(fd, libc::SIOCSIFADDR, &r), "SIOCSIFADDR lo:1");
                let mut r = request(name);
                r.ifr_ifru.ifru_netmask = ipv4([255, 255, 255, 255]);
                check(libc::ioctl(fd, libc::SIOCSIFNETMASK, &r), "SIOCSIFNETMASK lo:1");
            }
            let mut r = request(name);
            check(libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut r), "SIOCGIFFLAGS");
            r.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            check(libc::ioctl(fd, libc::SIOCSIFFLAGS, &r), "SIOCSIFFLAGS");
        }
        libc::close(fd);
    }
}

/// The address the server announced for `ip`.
fn announced(s: &mut Server, ip: &str) -> SocketAddr {
    let prefix = format!("listening on http://{ip}:");
    let log = s.stderr();
    let line = log.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no listener on {ip}: {log}"));
    line.trim_start_matches("listening on http://").parse().unwrap()
}

fn start_with_second_address(config: &str) -> (Server, SocketAddr) {
    let dir = common::folder(&[("files/a.txt", b"hello")]);
    let mut s = Server::start_in(dir, config, &["--listen", "10.77.0.1:0"]);
    let outside = announced(&mut s, "10.77.0.1");
    (s, outside)
}

#[test]
fn issue8_item7_cleartext_credentials_from_other_machines_are_403() {
    in_network_namespace(|| {
        let (s, outside) = start_with_second_address(&config(""));
        let remote = IpAddr::from(REMOTE);
        assert!(!remote.is_loopback());
        let r = get_at(outside, remote, "/files/a.txt", &basic("alice", PASSWORD));
        assert_eq!(r.status, 403, "right password, cleartext, non-loopback client: {r:?}");
        assert!(r.text().contains("HTTPS"), "the answer says what to do: {}", r.text());
        // Refused before checking: a wrong password is refused the same way and does not
        // count as a failed login.
        for _ in 0..12 {
            assert_eq!(get_at(outside, remote, "/files/a.txt", &basic("alice", "nope")).status, 403);
        }
        // Without credentials the route answers as usual.
        assert_eq!(get_at(outside, remote, "/open/a.txt", "").status, 200);
        assert_eq!(get_at(outside, remote, "/files/a.txt", "").status, 401);
        // Loopback clients (127.0.0.0/8) may send passwords in cleartext.
        let r = get_from(&s, ip("127.0.0.2"), "/files/a.txt", &basic("alice", PASSWORD));
        assert_eq!((r.status, r.text().as_str()), (200, "hello"));
    });
}

#[test]
fn issue8_item7_allow_insecure_auth_accepts_cleartext_credentials_from_anywhere() {
    in_network_namespace(|| {
        let (_s, outside) = start_with_second_address(&config("allow_insecure_auth = true\n"));
        let remote = IpAddr::from(REMOTE);
        let r = get_at(outside, remote, "/files/a.txt", &basic("alice", PASSWORD));
        assert_eq!((r.status, r.text().as_str()), (200, "hello"), "{r:?}");
        assert_eq!(get_at(outside, remote, "/files/a.txt", &basic("alice", "nope")).status, 401);
    });
}
