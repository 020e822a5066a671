//! Timeouts and graceful shutdown.

mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{crlf, Server};

const CONFIG: &str = r#"
[limits]
header_timeout = "1s"
idle_timeout = "1s"
shutdown_grace = "10s"

[[route]]
prefix = "/upload"
respond = { status = 200, body = "stored", methods = ["POST"] }

[[route]]
prefix = "/"
static = { root = "site" }
"#;

fn server() -> Server {
    Server::start(CONFIG, &[("site/a.txt", b"a")])
}

#[test]
fn sigterm_lets_requests_in_flight_finish_then_exits_0() {
    let mut s = server();
    let mut busy = s.connect();
    busy.send(&crlf("POST /upload HTTP/1.1\nContent-Length: 10\n"));
    busy.send(b"12345");
    let mut idle = s.connect();
    idle.send(&crlf("GET /a.txt HTTP/1.1\n"));
    assert_eq!(idle.response(false).status, 200);
    std::thread::sleep(Duration::from_millis(200));

    s.signal(libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    // Idle keep-alive connections are closed; new connections are not accepted.
    assert!(idle.closed_soon(), "an idle connection closes at shutdown");
    let refused = std::net::TcpStream::connect_timeout(&s.addr, Duration::from_millis(500));
    if let Ok(mut c) = refused {
        // The port may still accept in the kernel backlog; nothing answers on it.
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = std::io::Write::write_all(&mut c, b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut buf = [0u8; 64];
        assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)), "no answer after shutdown started");
    }
    // The request in flight completes, and says the connection closes.
    busy.send(b"67890");
    let r = busy.response(false);
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "stored");
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(0));
}

#[test]
fn slow_heads_get_408_and_idle_connections_close() {
    let s = server();
    let mut c = s.connect();
    c.send(b"GET /a.txt HTTP/1.1\r\nHo");
    let started = Instant::now();
    let r = c.read_head();
    assert_eq!(r.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));

    let mut idle = s.connect();
    idle.send(&crlf("GET /a.txt HTTP/1.1\n"));
    assert_eq!(idle.response(false).status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(idle.closed_soon(), "closed after the idle timeout");

    let mut silent = s.connect();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(silent.closed_soon(), "a connection that never sends is closed after the header timeout");
}
