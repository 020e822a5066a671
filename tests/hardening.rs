//! Failure behaviour (issue 8): a panic stays in one request; connection limits per client
//! address keep one client from taking every slot.

mod common;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::{crlf, Server};

const CONFIG: &str = r#"
[limits]
max_connections_per_ip = 5

[[route]]
prefix = "/"
static = { root = "site" }
"#;

fn server() -> Server {
    Server::start(CONFIG, &[("site/a.txt", b"a")])
}

#[test]
fn a_panic_is_a_500_for_that_request_only() {
    let mut s = server();
    let mut c = s.connect();
    c.send(&crlf("GET /__panic__ HTTP/1.1\n"));
    let r = c.response(false);
    assert_eq!(r.status, 500);
    r.assert_error_shape();
    assert!(r.text().contains("failed"), "{}", r.text());
    c.send(&crlf("GET /a.txt HTTP/1.1\n"));
    assert_eq!(c.response(false).status, 200, "the same connection goes on");
    assert_eq!(s.req("GET /a.txt HTTP/1.1\n").status, 200, "and the server too");
    std::thread::sleep(Duration::from_millis(200));
    let log = s.stderr();
    assert!(log.contains("handler panicked") && log.contains("request_id"), "{log}");
}

/// A connection from a given local address.
fn connect_from(local: &str, to: SocketAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&local.parse::<SocketAddr>().unwrap().into()).unwrap();
    socket.connect(&to.into()).unwrap();
    let s: TcpStream = socket.into();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s
}

fn closed_at_once(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    matches!(s.read(&mut b), Ok(0) | Err(_))
}

#[test]
fn per_address_connection_limit() {
    let s = server();
    let held: Vec<TcpStream> = (0..5).map(|_| connect_from("127.0.0.1:0", s.addr)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut sixth = connect_from("127.0.0.1:0", s.addr);
    assert!(closed_at_once(&mut sixth), "the sixth connection from one address is closed");
    let mut other = common::Conn::from_stream(connect_from("127.0.0.2:0", s.addr));
    other.send(&crlf("GET /a.txt HTTP/1.1\n"));
    assert_eq!(other.response(false).status, 200, "another address is not affected");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.req("GET /a.txt HTTP/1.1\n").status, 200, "slots come back when connections close");
}
