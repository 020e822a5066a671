//! The static handler from outside: validators, conditional requests (RFC 9110 §13), ranges
//! (§14), folders and index files, content types, large files, and no way out of the root.

mod common;

use common::{Server, set};

const TEXT: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

fn server() -> Server {
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let s = Server::start(
        "[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n",
        &[
            ("site/t.txt", TEXT),
            ("site/page.html", b"<p>hi</p>"),
            ("site/img.png", b"\x89PNG\r\n"),
            ("site/dir/index.html", b"<p>index</p>"),
            ("site/empty/.keep", b""),
            ("site/big.bin", &big),
            ("outside.txt", b"secret"),
        ],
    );
    std::os::unix::fs::symlink(s.path("outside.txt"), s.path("site/leak")).unwrap();
    std::os::unix::fs::symlink(s.path("site/t.txt"), s.path("site/alias.txt")).unwrap();
    s
}

fn etag(s: &Server) -> String {
    s.req("GET /t.txt HTTP/1.1\n").header("etag").unwrap().to_string()
}

#[test]
fn validators_and_content_types() {
    let s = server();
    let r = s.req("GET /t.txt HTTP/1.1\n");
    let tag = r.header("etag").unwrap();
    assert!(tag.starts_with('"') && !tag.starts_with("W/"), "strong ETag: {tag}");
    assert!(httpdate::parse_http_date(r.header("last-modified").unwrap()).is_ok());
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(s.req("GET /page.html HTTP/1.1\n").header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(s.req("GET /img.png HTTP/1.1\n").header("content-type"), Some("image/png"));
}

#[test]
fn if_none_match_and_if_modified_since_give_304() {
    let s = server();
    let tag = etag(&s);
    let r = s.req(&format!("GET /t.txt HTTP/1.1\nIf-None-Match: {tag}\n"));
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(tag.as_str()));
    let r = s.req(&format!("GET /t.txt HTTP/1.1\nIf-None-Match: \"nope\", W/{tag}\n"));
    assert_eq!(r.status, 304, "weak comparison for If-None-Match");
    let lm = s.req("GET /t.txt HTTP/1.1\n").header("last-modified").unwrap().to_string();
    assert_eq!(s.req(&format!("GET /t.txt HTTP/1.1\nIf-Modified-Since: {lm}\n")).status, 304);
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nIf-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\n").status, 200);
    assert_eq!(s.req(&format!("HEAD /t.txt HTTP/1.1\nIf-None-Match: {tag}\n")).status, 304);
}

#[test]
fn if_match_and_if_unmodified_since_give_412() {
    let s = server();
    let tag = etag(&s);
    assert_eq!(s.req(&format!("GET /t.txt HTTP/1.1\nIf-Match: {tag}\n")).status, 200);
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nIf-Match: *\n").status, 200);
    let r = s.req("GET /t.txt HTTP/1.1\nIf-Match: \"other\"\n");
    assert_eq!(r.status, 412);
    r.assert_error_shape();
    assert_eq!(s.req(&format!("GET /t.txt HTTP/1.1\nIf-Match: W/{tag}\n")).status, 412, "strong comparison for If-Match");
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nIf-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\n").status, 412);
}

#[test]
fn single_range_is_206() {
    let s = server();
    let r = s.req("GET /t.txt HTTP/1.1\nRange: bytes=0-4\n");
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"01234");
    assert_eq!(r.header("content-range"), Some("bytes 0-4/36"));
    assert_eq!(r.header("content-length"), Some("5"));
    let r = s.req("GET /t.txt HTTP/1.1\nRange: bytes=-3\n");
    assert_eq!(r.body, b"xyz");
    let r = s.req("GET /t.txt HTTP/1.1\nRange: bytes=30-\n");
    assert_eq!(r.body, b"uvwxyz");
}

#[test]
fn multipart_ranges() {
    let s = server();
    let r = s.req("GET /t.txt HTTP/1.1\nRange: bytes=0-1, 10-11\n");
    assert_eq!(r.status, 206);
    let ct = r.header("content-type").unwrap();
    let boundary = ct.strip_prefix("multipart/byteranges; boundary=").unwrap();
    let body = r.text();
    assert!(body.contains(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/36\r\n\r\n01\r\n")), "{body}");
    assert!(body.contains("Content-Range: bytes 10-11/36\r\n\r\nab\r\n"), "{body}");
    assert!(body.ends_with(&format!("--{boundary}--\r\n")));
    let big = s.req("GET /big.bin HTTP/1.1\nRange: bytes=0-9, 2999990-\n");
    assert_eq!(big.status, 206, "multipart ranges of a file streamed from disk");
    assert!(big.text().contains("Content-Range: bytes 2999990-2999999/3000000"));
}

#[test]
fn unsatisfiable_range_is_416_and_invalid_ranges_are_ignored() {
    let s = server();
    let r = s.req("GET /t.txt HTTP/1.1\nRange: bytes=100-200\n");
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */36"));
    r.assert_error_shape();
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nRange: bytes=5-1\n").status, 200, "invalid: ignored");
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nRange: lines=1-2\n").status, 200, "unknown unit: ignored");
    assert_eq!(s.req("HEAD /t.txt HTTP/1.1\nRange: bytes=0-1\n").status, 200, "Range only applies to GET");
}

#[test]
fn if_range_with_etag_and_date() {
    let s = server();
    let tag = etag(&s);
    let lm = s.req("GET /t.txt HTTP/1.1\n").header("last-modified").unwrap().to_string();
    assert_eq!(s.req(&format!("GET /t.txt HTTP/1.1\nRange: bytes=0-1\nIf-Range: {tag}\n")).status, 206);
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nRange: bytes=0-1\nIf-Range: \"old\"\n").status, 200);
    assert_eq!(s.req(&format!("GET /t.txt HTTP/1.1\nRange: bytes=0-1\nIf-Range: W/{tag}\n")).status, 200, "weak never matches");
    assert_eq!(s.req(&format!("GET /t.txt HTTP/1.1\nRange: bytes=0-1\nIf-Range: {lm}\n")).status, 206);
    assert_eq!(s.req("GET /t.txt HTTP/1.1\nRange: bytes=0-1\nIf-Range: Sat, 01 Jan 2000 00:00:00 GMT\n").status, 200);
}

#[test]
fn folders_redirect_and_serve_their_index() {
    let s = server();
    let r = s.req("GET /dir?x=1 HTTP/1.1\n");
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some("/dir/?x=1"));
    let r = s.req("GET /dir/ HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<p>index</p>");
    let r = s.req("GET /empty/ HTTP/1.1\n");
    assert_eq!(r.status, 403, "no index and no listing");
    r.assert_error_shape();
    assert_eq!(s.req("GET /t.txt/ HTTP/1.1\n").status, 404, "a file is not a folder");
}

#[test]
fn large_files_stream_completely() {
    let s = server();
    let r = s.req("GET /big.bin HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 3_000_000);
    assert!(r.body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    let r = s.req("GET /big.bin HTTP/1.1\nRange: bytes=1000000-1000009\n");
    assert_eq!(r.body, (1_000_000u32..1_000_010).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let h = s.req("HEAD /big.bin HTTP/1.1\n");
    assert_eq!(h.header("content-length"), Some("3000000"));
}

/// Files between 64 KiB and the 1 MiB memory limit go out with sendfile(2) on cleartext
/// HTTP/1.1: the content, several answers on one kept-alive connection, a range (from memory)
/// and a file replaced on disk (a new inode: never sent from the old entry's descriptor) all
/// stay exact.
#[test]
fn mid_size_files_sent_with_sendfile_are_exact() {
    let s = server();
    let mid: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(s.path("site/mid.bin"), &mid).unwrap();
    let mut c = s.connect();
    for _ in 0..3 {
        c.send(b"GET /mid.bin HTTP/1.1\r\nHost: t\r\n\r\n");
        let r = c.response(false);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-length"), Some("300000"));
        assert!(r.body == mid, "the body is the file, octet for octet");
    }
    c.send(b"GET /mid.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=299990-\r\n\r\n");
    let r = c.response(false);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &mid[299_990..]);
    let other: Vec<u8> = (0..200_000u32).map(|i| (i % 239) as u8).collect();
    std::fs::write(s.path("site/mid.new"), &other).unwrap();
    std::fs::rename(s.path("site/mid.new"), s.path("site/mid.bin")).unwrap();
    let mut seen_new = false;
    for _ in 0..40 {
        c.send(b"GET /mid.bin HTTP/1.1\r\nHost: t\r\n\r\n");
        let r = c.response(false);
        assert!(r.body == mid || r.body == other, "one version or the other, never a mix ({} octets)", r.body.len());
        assert_eq!(r.header("content-length").unwrap(), r.body.len().to_string());
        if r.body == other {
            seen_new = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(seen_new, "the replaced file is served within the re-check interval");
}

#[test]
fn changes_on_disk_are_seen() {
    let s = server();
    let before = etag(&s);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(s.path("site/t.txt"), b"changed").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = s.req("GET /t.txt HTTP/1.1\n");
    assert_eq!(r.body, b"changed");
    assert_ne!(r.header("etag").unwrap(), before);
}

#[test]
fn no_way_out_of_the_root() {
    let s = server();
    for target in [
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E%2Foutside.txt",
        "/dir/..%2f..%2foutside.txt",
        "/..%5coutside.txt",
        "//outside.txt",
        "/leak",
        "/.methodical-tmp-x",
    ] {
        let r = s.req(&format!("GET {target} HTTP/1.1\n"));
        assert_eq!(r.status, 404, "{target}");
        assert!(!r.text().contains("secret") && !r.text().contains(s.dir.path().to_str().unwrap()), "{target}: no leak");
    }
    for target in ["/t.txt%00", "/%c0%ae%c0%ae/outside.txt", "/%zz"] {
        assert_eq!(s.req(&format!("GET {target} HTTP/1.1\n")).status, 400, "{target}");
    }
    assert_eq!(s.req("GET /alias.txt HTTP/1.1\n").body, TEXT, "symlinks inside the root are followed");
}

#[test]
fn options_and_refusals_on_folders() {
    let s = server();
    let r = s.req("OPTIONS /dir/ HTTP/1.1\n");
    assert_eq!(r.list("allow"), set(&["GET", "HEAD", "OPTIONS"]));
    assert_eq!(s.req("PUT /new.txt HTTP/1.1\nContent-Length: 2\n\nhi").status, 405);
    assert!(!s.path("site/new.txt").exists(), "nothing written");
}
