//! The same method semantics over HTTP/2 (h2c with prior knowledge, h2 over TLS by ALPN) and
//! HTTP/1.1 over TLS.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{folder, Server};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONFIG: &str = r#"
[[listen_tls]]
addr = "127.0.0.1:0"
cert = "cert.pem"
key = "key.pem"

[planned_methods]
PATCH = { retry_after = 120 }

[[route]]
prefix = "/api/post-only"
respond = { status = 200, body = "posted", methods = ["POST"] }

[[route]]
prefix = "/"
static = { root = "site" }
"#;

fn server() -> Server {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = folder(&[("site/a.txt", b"hello h2")]);
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.key_pair.serialize_pem()).unwrap();
    std::fs::write(dir.path().join("ca.pem"), cert.cert.pem()).unwrap();
    Server::start_in(dir, CONFIG, &[])
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// What a response looked like.
struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

type H2Sender = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

async fn h2_send(sender: &mut H2Sender, method: &str, path: &str, body: &'static [u8]) -> Answer {
    let req = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(format!("http://localhost{path}"))
        .body(Full::new(Bytes::from_static(body)))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    Answer { status: parts.status, headers: parts.headers, body: body.collect().await.unwrap().to_bytes() }
}

/// The key cases of the method table, whatever the protocol.
async fn key_cases(sender: &mut H2Sender) {
    let get = h2_send(sender, "GET", "/a.txt", b"").await;
    assert_eq!(get.status, 200);
    assert_eq!(&get.body[..], b"hello h2");
    assert!(get.headers.contains_key("date"));
    let head = h2_send(sender, "HEAD", "/a.txt", b"").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.headers.get("content-length").unwrap(), "8");
    let unknown = h2_send(sender, "FOO", "/a.txt", b"").await;
    assert_eq!(unknown.status, 501);
    assert_eq!(unknown.headers.get("content-length").unwrap().to_str().unwrap(), unknown.body.len().to_string());
    let lower = h2_send(sender, "get", "/a.txt", b"").await;
    assert_eq!(lower.status, 501, "M-2 over HTTP/2");
    let post = h2_send(sender, "POST", "/a.txt", b"x").await;
    assert_eq!(post.status, 405);
    assert_eq!(post.headers.get("allow").unwrap(), "GET, HEAD, OPTIONS");
    let options = h2_send(sender, "OPTIONS", "/a.txt", b"").await;
    assert_eq!(options.status, 200);
    assert_eq!(options.headers.get("allow").unwrap(), "GET, HEAD, OPTIONS");
    let patch = h2_send(sender, "PATCH", "/a.txt", b"").await;
    assert_eq!(patch.headers.get("retry-after").unwrap(), "120");
    let posted = h2_send(sender, "POST", "/api/post-only", b"payload").await;
    assert_eq!(&posted.body[..], b"posted");
    let propfind = h2_send(sender, "PROPFIND", "/a.txt", b"").await;
    assert_eq!(propfind.status, 501);
    let range = {
        let req = Request::builder()
            .uri("http://localhost/a.txt")
            .header("range", "bytes=0-4")
            .body(Full::new(Bytes::new()))
            .unwrap();
        sender.send_request(req).await.unwrap()
    };
    assert_eq!(range.status(), 206);
}

#[test]
fn h2c_prior_knowledge() {
    let s = server();
    rt().block_on(async {
        let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        key_cases(&mut sender).await;
    });
}

fn tls_connector(s: &Server, alpn: &[&[u8]]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(s.path("ca.pem")).unwrap();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[test]
fn h2_over_tls_by_alpn() {
    let s = server();
    let addr = s.tls_addr.expect("a TLS listener");
    let connector = tls_connector(&s, &[b"h2", b"http/1.1"]);
    rt().block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
        tokio::spawn(conn);
        key_cases(&mut sender).await;
    });
}

#[test]
fn http11_over_tls() {
    let s = server();
    let addr = s.tls_addr.expect("a TLS listener");
    let connector = tls_connector(&s, &[b"http/1.1"]);
    rt().block_on(async {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        tls.write_all(b"FOO /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut out = Vec::new();
        tls.read_to_end(&mut out).await.unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("HTTP/1.1 501 Not Implemented\r\n"), "{text}");
        assert!(text.contains("HTTP/1.1 200 OK\r\n") && text.ends_with("hello h2"), "{text}");
    });
}

#[test]
fn http1_client_over_hyper_sees_the_same_answers() {
    let s = server();
    rt().block_on(async {
        let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        for _ in 0..3 {
            sender.ready().await.unwrap();
            let req = Request::builder().uri("/a.txt").header("host", "localhost").body(Empty::new()).unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(&resp.into_body().collect().await.unwrap().to_bytes()[..], b"hello h2");
        }
    });
}
