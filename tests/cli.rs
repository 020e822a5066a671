//! The command line: `serve` with the issue's configuration as written, zero-config mode,
//! `config check`, configuration errors, `hash-password`.

mod common;

use common::{folder, run_cli, set, Server};

/// The configuration from issue 2, exactly as written.
const ISSUE_CONFIG: &str = r#"listen = ["127.0.0.1:8080"]
trace = false                          # TRACE off by default (405 + Allow without TRACE)
error_cache_control = "max-age=300"    # optional; Cache-Control on generated 405/501

[planned_methods]                      # 501 + Retry-After for methods being rolled out
PATCH = { retry_after = 120 }
QUERY = { retry_after = "2026-12-24T00:00:00Z" }

[[route]]
prefix = "/health"
respond = { status = 200, body = "ok", methods = ["GET", "POST"] }

[[route]]
prefix = "/maintenance/"
respond = { status = 503, body = "back soon", retry_after = 600 }

[[route]]
prefix = "/"
static = { root = "site" }
"#;

#[test]
fn the_issue_configuration_runs_as_written() {
    // `--listen` replaces the file's listen address so tests can run side by side.
    let s = Server::start(ISSUE_CONFIG, &[("site/index.html", b"<h1>home</h1>"), ("site/a.txt", b"a")]);
    let r = s.req("GET /health HTTP/1.1\n");
    assert_eq!((r.status, r.text().as_str()), (200, "ok"));
    assert_eq!(s.req("POST /health HTTP/1.1\nContent-Length: 1\n\nx").status, 200);
    let put = s.req("PUT /health HTTP/1.1\nContent-Length: 0\n");
    assert_eq!(put.status, 405);
    assert_eq!(put.list("allow"), set(&["GET", "HEAD", "POST", "OPTIONS"]));
    assert_eq!(put.header("cache-control"), Some("max-age=300"));
    let m = s.req("GET /maintenance/x HTTP/1.1\n");
    assert_eq!((m.status, m.header("retry-after")), (503, Some("600")));
    assert_eq!(s.req("GET / HTTP/1.1\n").text(), "<h1>home</h1>");
    assert_eq!(s.req("PATCH /a.txt HTTP/1.1\n").header("retry-after"), Some("120"));
    assert_eq!(s.req("QUERY /a.txt HTTP/1.1\n").header("retry-after"), Some("Thu, 24 Dec 2026 00:00:00 GMT"));
    let foo = s.req("FOO /a.txt HTTP/1.1\n");
    assert_eq!((foo.status, foo.header("cache-control")), (501, Some("max-age=300")));
    assert_eq!(s.req("TRACE /a.txt HTTP/1.1\n").status, 405);
}

#[test]
fn config_check_prints_routes_and_the_method_table() {
    let dir = folder(&[("site/a.txt", b"a")]);
    std::fs::write(dir.path().join("methodical.toml"), ISSUE_CONFIG).unwrap();
    let (code, out, err) = run_cli(&["config", "check", "methodical.toml"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("methodical.toml: OK"), "{out}");
    for line in ["/health", "/maintenance/", "respond 503", "static  root"] {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
    let row = |m: &str| out.lines().find(|l| l.trim_start().starts_with(&format!("{m} "))).unwrap_or_else(|| panic!("{m} row:\n{out}")).to_string();
    assert!(row("POST").contains("/health") && row("POST").contains("405 + Allow"), "{}", row("POST"));
    assert!(row("PATCH").contains("501 + Retry-After: 120 (planned)"), "{}", row("PATCH"));
    assert!(row("QUERY").contains("Thu, 24 Dec 2026 00:00:00 GMT"), "{}", row("QUERY"));
    assert!(out.contains("TRACE is off"));
}

#[test]
fn config_errors_name_file_line_and_fix_and_exit_1() {
    let dir = folder(&[("site/a.txt", b"a")]);
    let bad = "listen = [\"127.0.0.1:8080\"]\n\n[[route]]\nprefix = \"health\"\nrespond = { status = 200 }\n";
    std::fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let (code, out, err) = run_cli(&["config", "check", "bad.toml"], dir.path());
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("bad.toml:4:10: the prefix `health` does not start with `/`"), "{err}");
    assert!(err.contains("help: write `prefix = \"/health\"`"), "{err}");
    assert!(!err.contains("panicked"));

    let (code, _, err) = run_cli(&["serve", "--config", "bad.toml"], dir.path());
    assert_eq!(code, 1, "serve refuses it too");
    assert!(err.contains("bad.toml:4:10"), "{err}");

    std::fs::write(dir.path().join("typo.toml"), "[[route]]\nprefix = \"/\"\nstatik = { root = \"site\" }\n").unwrap();
    let (code, _, err) = run_cli(&["config", "check", "typo.toml"], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("typo.toml:3:") && err.contains("unknown field `statik`"), "{err}");

    std::fs::write(dir.path().join("syntax.toml"), "[[route]\nprefix = \"/\"\n").unwrap();
    let (code, _, err) = run_cli(&["config", "check", "syntax.toml"], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("syntax.toml:1:"), "{err}");

    let (code, _, err) = run_cli(&["config", "check", "missing.toml"], dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("missing.toml") && err.contains("cannot read"), "{err}");
}

#[test]
fn zero_config_serves_a_folder() {
    let dir = folder(&[("hello.txt", b"hello"), ("index.html", b"<p>root</p>")]);
    let s = Server::zero_config(dir);
    assert_eq!(s.req("GET /hello.txt HTTP/1.1\n").text(), "hello");
    assert_eq!(s.req("GET / HTTP/1.1\n").text(), "<p>root</p>");
    assert_eq!(s.req("DELETE /hello.txt HTTP/1.1\n").status, 405);
    assert_eq!(s.req("PROPFIND /hello.txt HTTP/1.1\n").status, 501);
}

#[test]
fn listen_can_repeat() {
    let dir = folder(&[("site/a.txt", b"a")]);
    let s = Server::start_in(dir, "[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n", &["--listen", "127.0.0.1:0"]);
    let mut s = s;
    let log = s.stderr();
    assert_eq!(log.matches("listening on http://").count(), 2, "{log}");
}

#[test]
fn hash_password_prints_a_config_line() {
    let mut child = std::process::Command::new(common::binary())
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"correct horse\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("password_hash = \"$argon2id$v=19$"), "{line}");
    assert!(!line.contains("correct horse"));
}
