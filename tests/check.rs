//! `methodical check` against methodical itself (every check passes), and the same raw
//! requests sent to methodical, nginx and Apache side by side: the table in the README comes
//! from `peer_comparison_table`, which writes `target/peer-table.md`.

mod common;

#[path = "../crates/check/tests/common/peers.rs"]
#[allow(dead_code)]
mod peers;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::Server;
use methodical_check::{run_checks, CheckConfig};

const CONFIG: &str = r#"
[planned_methods]
PATCH = { retry_after = 120 }

[[route]]
prefix = "/dav/"
webdav = { root = "dav", search = true, anonymous_write = true }

[[route]]
prefix = "/"
static = { root = "site" }
"#;

fn methodical() -> Server {
    let s = Server::start(CONFIG, &[("site/a.txt", b"hello"), ("dav/f.txt", b"dav file")]);
    std::fs::create_dir_all(s.path("dav/scratch")).unwrap();
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn methodical_passes_every_check_including_dav_and_writes() {
    let s = methodical();
    let mut cfg = CheckConfig::for_url(&s.url("/a.txt")).unwrap();
    cfg.dav = Some("/dav/".into());
    cfg.allow_writes = Some("/dav/scratch/".into());
    cfg.timeout = Duration::from_secs(5);
    let report = runtime().block_on(run_checks(&cfg));
    let text = report.render_text(false);
    assert!(report.failures().is_empty(), "{text}");
    let summary = report.summary();
    assert!(summary.passed >= 44, "{text}");
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn check_cli_prints_a_json_report() {
    let s = methodical();
    let (code, out, err) = common::run_cli(&["check", &s.url("/a.txt"), "--json"], s.dir.path());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["failed"], 0);
    assert!(v["summary"]["passed"].as_u64().unwrap() >= 40);
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "M-7"));
}

#[test]
fn check_reports_an_unreachable_host_without_hanging() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let started = std::time::Instant::now();
    let (code, out, _) = common::run_cli(&["check", &format!("http://127.0.0.1:{port}/"), "--no-color", "--timeout", "2"], std::path::Path::new("."));
    assert_eq!(code, 1);
    assert!(out.to_lowercase().contains("refused") || out.to_lowercase().contains("connect"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// One row of the comparison: a raw request and how to describe an answer.
struct Row {
    label: &'static str,
    request: Vec<u8>,
}

fn rows() -> Vec<Row> {
    let r = |label, text: &str| Row { label, request: text.replace('\n', "\r\n").into_bytes() };
    vec![
        r("`GET /a.txt`", "GET /a.txt HTTP/1.1\nHost: t\n\n"),
        r("`get /a.txt` (lower case)", "get /a.txt HTTP/1.1\nHost: t\n\n"),
        r("`FOO /a.txt` (unknown method)", "FOO /a.txt HTTP/1.1\nHost: t\n\n"),
        r("`POST /a.txt`", "POST /a.txt HTTP/1.1\nHost: t\nContent-Length: 0\n\n"),
        r("`DELETE /a.txt`", "DELETE /a.txt HTTP/1.1\nHost: t\n\n"),
        r("`PROPFIND /a.txt` (no WebDAV here)", "PROPFIND /a.txt HTTP/1.1\nHost: t\nDepth: 0\n\n"),
        r("`M-GET /a.txt` + `Man`", "M-GET /a.txt HTTP/1.1\nHost: t\nMan: \"http://example.org/ext\"\n\n"),
        r("`TRACE /a.txt`", "TRACE /a.txt HTTP/1.1\nHost: t\n\n"),
        r("`OPTIONS /a.txt`", "OPTIONS /a.txt HTTP/1.1\nHost: t\n\n"),
        r("`OPTIONS *`", "OPTIONS * HTTP/1.1\nHost: t\n\n"),
        r("`CONNECT example.invalid:443`", "CONNECT example.invalid:443 HTTP/1.1\nHost: t\n\n"),
        Row { label: "100 × `A` as method", request: format!("{} /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", "A".repeat(100)).into_bytes() },
        r("`GET` + `Expect: foo`", "GET /a.txt HTTP/1.1\nHost: t\nExpect: foo\n\n"),
        r("`GET` + `Transfer-Encoding: foo, chunked`", "GET /a.txt HTTP/1.1\nHost: t\nTransfer-Encoding: foo, chunked\n\n0\n\n"),
        r("`GET /a.txt HTTP/2.0` (text line)", "GET /a.txt HTTP/2.0\nHost: t\n\n"),
        r("`PATCH /a.txt` (planned in methodical)", "PATCH /a.txt HTTP/1.1\nHost: t\nContent-Length: 0\n\n"),
    ]
}

/// Sends one request on a fresh connection; describes the answer as `status`, plus Allow
/// (or its absence on 405) and Retry-After.
fn answer(addr: &str, request: &[u8]) -> String {
    let Ok(mut s) = TcpStream::connect(addr) else { return "refused".into() };
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let _ = s.write_all(request);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let mut lines = head.split("\r\n");
    let Some(status) = lines.next().and_then(|l| l.split(' ').nth(1)) else { return "no answer".into() };
    let mut out = status.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    match get("allow") {
        Some(a) => out.push_str(&format!(", Allow: {a}")),
        None if status == "405" => out.push_str(", **no Allow**"),
        None => {}
    }
    if let Some(r) = get("retry-after") {
        out.push_str(&format!(", Retry-After: {r}"));
    }
    out
}

#[test]
fn peer_comparison_table() {
    let ours = methodical();
    let ours_addr = ours.addr.to_string();
    let mut columns: Vec<(&str, String, Option<peers::Peer>)> = vec![("methodical", ours_addr, None)];
    for (name, kind) in [("nginx", peers::Kind::Nginx), ("Apache httpd", peers::Kind::Apache)] {
        assert!(peers::binary(kind).is_some(), "{name} must be installed for this test (.ci/run installs it)");
        let peer = peers::start(kind);
        let addr = peer.url.trim_start_matches("http://").trim_end_matches('/').to_string();
        columns.push((name, addr, Some(peer)));
    }
    let mut table = String::from("| request | methodical | nginx | Apache httpd |\n|---|---|---|---|\n");
    let mut ours_answers = Vec::new();
    for row in rows() {
        let cells: Vec<String> = columns.iter().map(|(_, addr, _)| answer(addr, &row.request)).collect();
        table.push_str(&format!("| {} | {} |\n", row.label, cells.join(" | ")));
        ours_answers.push(cells[0].clone());
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peer-table.md");
    let _ = std::fs::create_dir_all(out.parent().unwrap());
    std::fs::write(&out, &table).unwrap();
    eprintln!("{table}");
    // methodical's own column is what the specification prescribes.
    let expected = [
        "200", "501", "501", "405, Allow: GET, HEAD, OPTIONS", "405, Allow: GET, HEAD, OPTIONS", "501", "501",
        "405, Allow: GET, HEAD, OPTIONS", "200, Allow: GET, HEAD, OPTIONS", "200", "501", "501", "417", "501", "505",
        "501, Retry-After: 120",
    ];
    assert_eq!(ours_answers, expected);
}
