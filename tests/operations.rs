//! Operations (issue 7): metrics on the admin listener, access logs parsed back, SIGUSR1
//! log reopening, reload under load without a failed request, virtual hosts and SNI.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use common::{folder, run_cli, Server};

fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    (status, head.to_string(), body.to_string())
}

#[test]
fn metrics_show_which_methods_clients_wanted() {
    let s = Server::start(
        "admin = \"127.0.0.1:0\"\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n",
        &[("site/a.txt", b"a")],
    );
    let admin = s.admin_addr.expect("admin listener announced");
    assert_eq!(s.req("FOO /a.txt HTTP/1.1\n").status, 501);
    assert_eq!(s.req("BREW /a.txt HTTP/1.1\n").status, 501);
    assert_eq!(s.req("BREW /pot HTTP/1.1\n").status, 501);
    assert_eq!(s.req("GET /a.txt HTTP/1.1\n").status, 200);
    assert_eq!(s.req("POST /a.txt HTTP/1.1\nContent-Length: 0\n").status, 405);
    let (status, head, body) = get(admin, "/metrics");
    assert_eq!(status, 200);
    assert!(head.to_lowercase().contains("content-type: application/openmetrics-text"), "{head}");
    assert!(body.contains("methodical_unimplemented_method_requests_total{method=\"FOO\"} 1"), "{body}");
    assert!(body.contains("methodical_unimplemented_method_requests_total{method=\"BREW\"} 2"), "{body}");
    assert!(body.contains("methodical_requests_total{route=\"/\",method_class=\"read\",status=\"200\"} 1"), "{body}");
    assert!(body.contains("methodical_requests_total{route=\"/\",method_class=\"write\",status=\"405\"} 1"), "{body}");
    assert!(body.contains("methodical_request_duration_seconds_bucket{"), "{body}");
    assert!(body.contains("methodical_open_connections"), "{body}");
    assert!(body.contains("methodical_response_body_bytes_total{route=\"/\"}"), "{body}");
    assert!(body.trim_end().ends_with("# EOF"));
    assert_eq!(get(admin, "/health").2, "ok\n");
    assert_eq!(get(admin, "/nope").0, 404);
}

#[test]
fn access_logs_combined_and_json_parse_back_and_reopen_on_sigusr1() {
    let s = Server::start(
        "[log]\nformat = \"combined\"\nfile = \"access.log\"\n[[route]]\nprefix = \"/files/\"\nstatic = { root = \"site\" }\n",
        &[("site/a.txt", b"hello")],
    );
    s.req("GET /files/a.txt?x=1 HTTP/1.1\nUser-Agent: test-agent/1.0\nReferer: http://ref.example/\n");
    s.req("FOO /files/a.txt HTTP/1.1\n");
    std::thread::sleep(Duration::from_millis(400));
    let log = std::fs::read_to_string(s.path("access.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    // 127.0.0.1 - - [25/Nov/2026:19:00:00 +0000] "GET /files/a.txt?x=1 HTTP/1.1" 200 5 "http://ref.example/" "test-agent/1.0" rt=0.000123 route="/files/"
    let first = lines[0];
    assert!(first.starts_with("127.0.0.1 - - ["), "{first}");
    let quoted: Vec<&str> = first.split('"').collect();
    assert_eq!(quoted[1], "GET /files/a.txt?x=1 HTTP/1.1");
    assert_eq!(quoted[2].trim(), "200 5");
    assert_eq!(quoted[3], "http://ref.example/");
    assert_eq!(quoted[5], "test-agent/1.0");
    assert!(quoted[6].trim().starts_with("rt=0."), "{first}");
    assert_eq!(quoted[7], "/files/");
    assert!(lines[1].contains("\"FOO /files/a.txt HTTP/1.1\" 501 "), "{}", lines[1]);

    std::fs::rename(s.path("access.log"), s.path("access.log.1")).unwrap();
    s.signal(libc::SIGUSR1);
    std::thread::sleep(Duration::from_millis(300));
    s.req("GET /files/a.txt HTTP/1.1\n");
    std::thread::sleep(Duration::from_millis(400));
    let new = std::fs::read_to_string(s.path("access.log")).expect("reopened log file");
    assert_eq!(new.lines().count(), 1, "{new}");
    assert_eq!(std::fs::read_to_string(s.path("access.log.1")).unwrap().lines().count(), 2);
}

#[test]
fn json_access_log() {
    let s = Server::start(
        "[log]\nformat = \"json\"\nfile = \"access.json\"\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n",
        &[("site/a.txt", b"hello")],
    );
    s.req("HEAD /a.txt HTTP/1.1\n");
    std::thread::sleep(Duration::from_millis(400));
    let log = std::fs::read_to_string(s.path("access.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(v["method"], "HEAD");
    assert_eq!(v["status"], 200);
    assert_eq!(v["route"], "/");
    assert_eq!(v["remote_addr"], "127.0.0.1");
    assert!(v["duration_ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn reload_under_load_loses_no_request_and_refuses_a_bad_file() {
    let dir = folder(&[("site/a.txt", b"a"), ("site2/new.txt", b"new")]);
    let pid_file = dir.path().join("methodical.pid");
    let config = "[log]\nformat = \"off\"\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n";
    let mut s = Server::start_in(dir, config, &["--pid-file", pid_file.to_str().unwrap()]);
    assert_eq!(s.req("GET /new/new.txt HTTP/1.1\n").status, 404);
    let url = s.url("/a.txt");
    let wrk = std::thread::spawn(move || {
        std::process::Command::new("wrk").args(["-t1", "-c20", "-d4s", &url]).output().expect("wrk is installed (.ci/run installs it)")
    });
    std::thread::sleep(Duration::from_millis(1500));
    let reloaded = format!("{config}[[route]]\nprefix = \"/new/\"\nstatic = {{ root = \"site2\" }}\n");
    std::fs::write(s.path("methodical.toml"), reloaded).unwrap();
    let (code, out, err) = run_cli(&["reload", "--pid-file", pid_file.to_str().unwrap(), "--config", s.path("methodical.toml").to_str().unwrap()], s.dir.path());
    assert_eq!(code, 0, "{out}{err}");
    let out = wrk.join().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("requests in"), "{report}");
    assert!(!report.contains("Non-2xx"), "no failed request during the reload:\n{report}");
    assert!(!report.contains("Socket errors"), "no socket error during the reload:\n{report}");
    assert_eq!(s.req("GET /new/new.txt HTTP/1.1\n").text(), "new", "new connections use the new routes");

    std::fs::write(s.path("methodical.toml"), "[[route]]\nprefix = \"nope\"\n").unwrap();
    let (code, _, err) = run_cli(&["reload", "--pid-file", pid_file.to_str().unwrap(), "--config", s.path("methodical.toml").to_str().unwrap()], s.dir.path());
    assert_eq!(code, 1, "reload validates first");
    assert!(err.contains("not signalled"), "{err}");
    // A bad file reaching the server by SIGHUP is refused there too.
    s.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.stderr().contains("reload refused"), "{}", s.stderr());
    assert_eq!(s.req("GET /new/new.txt HTTP/1.1\n").text(), "new", "the running configuration stays");
}

#[test]
fn virtual_hosts_with_default_fallback() {
    let s = Server::start(
        r#"
[[route]]
prefix = "/"
host = "a.test"
respond = { status = 200, body = "host a" }

[[route]]
prefix = "/"
host = "*.b.test"
respond = { status = 200, body = "any b" }

[[route]]
prefix = "/"
respond = { status = 200, body = "default" }
"#,
        &[],
    );
    assert_eq!(s.req("GET / HTTP/1.1\nHost: a.test\n").text(), "host a");
    assert_eq!(s.req("GET / HTTP/1.1\nHost: A.TEST:8080\n").text(), "host a");
    assert_eq!(s.req("GET / HTTP/1.1\nHost: x.b.test\n").text(), "any b");
    assert_eq!(s.req("GET / HTTP/1.1\nHost: other\n").text(), "default");
}

/// Accepts any certificate and remembers the one the server presented.
#[derive(Debug)]
struct Recorder(std::sync::Mutex<Vec<u8>>);

impl rustls::client::danger::ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.0.lock().unwrap() = end_entity.to_vec();
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider().signature_verification_algorithms.supported_schemes()
    }
}

fn presented_certificate(addr: std::net::SocketAddr, name: &str) -> Vec<u8> {
    let recorder = Arc::new(Recorder(std::sync::Mutex::new(Vec::new())));
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server_name).unwrap();
    let mut sock = TcpStream::connect(addr).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out);
    assert!(out.starts_with(b"HTTP/1.1 "));
    let der = recorder.0.lock().unwrap().clone();
    der
}

#[test]
fn sni_picks_the_certificate() {
    let default = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["example.test".to_string()]).unwrap();
    let wild = rcgen::generate_simple_self_signed(vec!["*.wild.test".to_string()]).unwrap();
    let dir = folder(&[("site/index.html", b"hi")]);
    for (name, c) in [("default", &default), ("other", &other), ("wild", &wild)] {
        std::fs::write(dir.path().join(format!("{name}.pem")), c.cert.pem()).unwrap();
        std::fs::write(dir.path().join(format!("{name}.key")), c.key_pair.serialize_pem()).unwrap();
    }
    let config = r#"
[[listen_tls]]
addr = "127.0.0.1:0"
cert = "default.pem"
key = "default.key"
sni = [
  { host = "example.test", cert = "other.pem", key = "other.key" },
  { host = "*.wild.test", cert = "wild.pem", key = "wild.key" },
]

[[route]]
prefix = "/"
static = { root = "site" }
"#;
    let s = Server::start_in(dir, config, &[]);
    let tls = s.tls_addr.unwrap();
    assert_eq!(presented_certificate(tls, "example.test"), other.cert.der().to_vec());
    assert_eq!(presented_certificate(tls, "a.wild.test"), wild.cert.der().to_vec());
    assert_eq!(presented_certificate(tls, "localhost"), default.cert.der().to_vec());
    assert_eq!(presented_certificate(tls, "unknown.test"), default.cert.der().to_vec());
}
