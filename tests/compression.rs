//! Content codings from outside (issue 7): `compress = true` on static, `respond` and proxy
//! routes, driven with real curl, which also decodes gzip, brotli and zstd itself
//! (`--compressed`), so every decoded body is checked by a decoder that is not ours.
//!
//! RFC 9110 §8.4 (Content-Encoding), §12.5.3 (Accept-Encoding), §8.8.3 (a strong ETag per
//! representation), §12.5.5 (Vary), §13 (conditional requests), §14 (ranges).

mod common;
#[path = "common/upstream.rs"]
mod upstream;

use std::path::Path;
use std::process::Command;

use common::Server;
use upstream::{Reply, Upstream};

/// What curl saw: the status, the header fields (names lower-cased) and the body.
#[derive(Debug)]
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn vary_has_accept_encoding(&self) -> bool {
        self.headers.iter().filter(|(n, _)| n == "vary").flat_map(|(_, v)| v.split(',')).any(|t| t.trim().eq_ignore_ascii_case("accept-encoding"))
    }
}

/// Runs curl on `url` with `args`; `-I` or `--head` in `args` make it a HEAD request.
fn curl(url: &str, args: &[&str]) -> Got {
    let dir = tempfile::tempdir().unwrap();
    let (head_file, body_file) = (dir.path().join("head"), dir.path().join("body"));
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-D"])
        .arg(&head_file)
        .arg("-o")
        .arg(&body_file)
        .args(args)
        .arg(url)
        .output()
        .expect("curl runs (apt-get install curl)");
    assert!(out.status.success(), "curl {args:?} {url}: {}", String::from_utf8_lossy(&out.stderr));
    let head = std::fs::read_to_string(&head_file).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Got { status, headers, body: std::fs::read(&body_file).unwrap_or_default() }
}

/// Text that compresses well, `n` octets.
fn text(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0u32;
    while out.len() < n {
        out.extend_from_slice(format!("{i:05} the quick brown fox jumps over the lazy dog; ").as_bytes());
        i = i.wrapping_mul(31).wrapping_add(7) % 4096;
    }
    out.truncate(n);
    out
}

const CODINGS: [&str; 3] = ["gzip", "br", "zstd"];

fn static_server() -> Server {
    Server::start(
        "[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\ncompress = true\n\n\
         [[route]]\nprefix = \"/plain/\"\nstatic = { root = \"site\" }\n",
        &[
            ("site/page.html", &text(100 * 1024)),
            ("site/large.txt", &text(3 * 1024 * 1024)),
            ("site/tiny.txt", b"too small to bother"),
            ("site/img.png", &text(20_000)),
            ("site/app.js", &text(4000)),
        ],
    )
}

#[test]
fn each_coding_decodes_to_the_file_small_and_large() {
    let s = static_server();
    for (path, file) in [("/page.html", "site/page.html"), ("/large.txt", "site/large.txt")] {
        let original = std::fs::read(s.path(file)).unwrap();
        let mut tags = vec![curl(&s.url(path), &[]).header("etag").unwrap().to_string()];
        for coding in CODINGS {
            let ae = format!("Accept-Encoding: {coding}");
            let raw = curl(&s.url(path), &["-H", &ae]);
            assert_eq!(raw.status, 200);
            assert_eq!(raw.header("content-encoding"), Some(coding), "{path}");
            assert!(raw.vary_has_accept_encoding(), "{path} {coding}: Vary");
            assert!(raw.body.len() < original.len() / 3, "{path} {coding}: compressed to {} of {}", raw.body.len(), original.len());
            assert!(raw.header("accept-ranges").is_none(), "ranges are for the identity only");
            assert!(raw.header("content-type").unwrap().starts_with("text/"));
            match path {
                // Kept in memory: the length is known.
                "/page.html" => assert_eq!(raw.header("content-length"), Some(raw.body.len().to_string().as_str())),
                // Compressed as it streams.
                _ => assert_eq!(raw.header("transfer-encoding"), Some("chunked")),
            }
            let decoded = curl(&s.url(path), &["--compressed", "-H", &ae]);
            assert_eq!(decoded.header("content-encoding"), Some(coding));
            assert!(decoded.body == original, "{path} {coding}: curl's decoder gives the file back");
            let tag = raw.header("etag").unwrap().to_string();
            assert!(tag.starts_with('"'), "strong: {tag}");
            tags.push(tag);
        }
        let mut unique = tags.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 4, "one strong ETag per representation (RFC 9110 §8.8.3): {tags:?}");
        // The same coding again: the same representation, the same tag.
        assert_eq!(curl(&s.url(path), &["-H", "Accept-Encoding: gzip"]).header("etag"), Some(tags[1].as_str()));
    }
}

#[test]
fn curl_compressed_gets_brotli_and_the_identity_varies_too() {
    let s = static_server();
    let original = std::fs::read(s.path("site/page.html")).unwrap();
    let got = curl(&s.url("/page.html"), &["--compressed"]);
    assert_eq!(got.header("content-encoding"), Some("br"), "curl offers deflate, gzip, br, zstd: equal q, br first");
    assert!(got.body == original);
    let identity = curl(&s.url("/page.html"), &[]);
    assert_eq!(identity.header("content-encoding"), None);
    assert!(identity.body == original);
    assert!(identity.vary_has_accept_encoding(), "Vary on the identity answer of a compressible resource");
    assert_eq!(identity.header("accept-ranges"), Some("bytes"));
}

#[test]
fn q_values_choose_the_coding() {
    let s = static_server();
    let enc = |ae: &str| curl(&s.url("/page.html"), &["-H", &format!("Accept-Encoding: {ae}")]).header("content-encoding").map(str::to_string);
    assert_eq!(enc("gzip;q=0.5, br;q=0.9, zstd;q=0.7").as_deref(), Some("br"));
    assert_eq!(enc("gzip, zstd").as_deref(), Some("zstd"), "equal q: zstd before gzip");
    assert_eq!(enc("br;q=0, gzip").as_deref(), Some("gzip"), "q=0 refuses");
    assert_eq!(enc("*;q=0.1, br;q=0").as_deref(), Some("zstd"), "* covers what is not listed");
    assert_eq!(enc("gzip;q=0.4, identity;q=0.8").as_deref(), None, "identity weighed higher");
    assert_eq!(enc("identity").as_deref(), None);
    assert_eq!(enc("deflate").as_deref(), None, "nothing we make");
    assert_eq!(enc("x-gzip").as_deref(), Some("gzip"));
    assert_eq!(enc("identity;q=0, *;q=0").as_deref(), None, "nothing acceptable: sent without coding (RFC 9110 §12.5.3)");
}

#[test]
fn conditional_requests_use_the_coding_s_own_etag() {
    let s = static_server();
    for path in ["/page.html", "/large.txt"] {
        let gz = curl(&s.url(path), &["-H", "Accept-Encoding: gzip"]);
        let tag = gz.header("etag").unwrap().to_string();
        let inm = format!("If-None-Match: {tag}");
        let again = curl(&s.url(path), &["-H", "Accept-Encoding: gzip", "-H", &inm]);
        assert_eq!(again.status, 304, "{path}: gzip ETag, gzip request");
        assert_eq!(again.header("etag"), Some(tag.as_str()));
        assert!(again.vary_has_accept_encoding());
        assert!(again.body.is_empty());
        let br = curl(&s.url(path), &["-H", "Accept-Encoding: br", "-H", &inm]);
        assert_eq!(br.status, 200, "{path}: the gzip tag does not validate the br representation");
        assert_eq!(br.header("content-encoding"), Some("br"));
        let plain = curl(&s.url(path), &["-H", &inm]);
        assert_eq!(plain.status, 200, "{path}: nor the identity");
        let im = format!("If-Match: {tag}");
        assert_eq!(curl(&s.url(path), &["-H", "Accept-Encoding: gzip", "-H", &im]).status, 200);
        assert_eq!(curl(&s.url(path), &["-H", &im]).status, 412, "If-Match with another representation's tag");
        let identity_tag = plain.header("etag").unwrap().to_string();
        let inm = format!("If-None-Match: {identity_tag}");
        assert_eq!(curl(&s.url(path), &["-H", &inm]).status, 304);
        assert_eq!(curl(&s.url(path), &["-H", "Accept-Encoding: zstd", "-H", &inm]).status, 200);
    }
}

#[test]
fn head_gives_the_headers_of_get() {
    let s = static_server();
    for coding in CODINGS {
        let ae = format!("Accept-Encoding: {coding}");
        let get = curl(&s.url("/page.html"), &["-H", &ae]);
        let head = curl(&s.url("/page.html"), &["-I", "-H", &ae]);
        assert_eq!(head.status, 200);
        for name in ["content-encoding", "content-length", "etag", "content-type", "last-modified"] {
            assert_eq!(head.header(name), get.header(name), "{coding}: {name}");
        }
        assert!(head.vary_has_accept_encoding());
        let big = curl(&s.url("/large.txt"), &["-I", "-H", &ae]);
        assert_eq!(big.header("content-encoding"), Some(coding));
        assert_eq!(big.header("content-length"), None, "streamed: the length is not known in advance, so none is made up");
        assert_eq!(big.header("etag"), curl(&s.url("/large.txt"), &["-H", &ae]).header("etag"));
    }
}

#[test]
fn ranges_get_the_identity() {
    let s = static_server();
    let original = std::fs::read(s.path("site/page.html")).unwrap();
    for coding in CODINGS {
        let ae = format!("Accept-Encoding: {coding}");
        let r = curl(&s.url("/page.html"), &["-H", &ae, "-r", "100-199"]);
        assert_eq!(r.status, 206);
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.header("content-range"), Some(format!("bytes 100-199/{}", original.len()).as_str()));
        assert!(r.body == original[100..200]);
        assert!(r.vary_has_accept_encoding());
        let big = curl(&s.url("/large.txt"), &["-H", &ae, "-r", "-10"]);
        assert_eq!(big.status, 206);
        assert_eq!(big.header("content-encoding"), None);
        assert_eq!(big.body.len(), 10);
    }
}

#[test]
fn tiny_bodies_and_compressed_types_are_left_alone() {
    let s = static_server();
    for path in ["/tiny.txt", "/img.png"] {
        let r = curl(&s.url(path), &["-H", "Accept-Encoding: gzip, br, zstd"]);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), None, "{path}");
        assert!(!r.vary_has_accept_encoding(), "{path}: only one representation, nothing varies");
        assert!(r.body == std::fs::read(s.path(&format!("site{path}"))).unwrap());
    }
    // The route without `compress`: off by default.
    let r = curl(&s.url("/plain/page.html"), &["-H", "Accept-Encoding: gzip, br, zstd"]);
    assert_eq!(r.header("content-encoding"), None);
    assert!(!r.vary_has_accept_encoding());
}

fn compress_with(tool: &str, file: &Path, out: &Path) -> bool {
    let Ok(o) = Command::new(tool).arg("-c").arg(file).output() else { return false };
    o.status.success() && std::fs::write(out, o.stdout).is_ok()
}

#[test]
fn precompressed_sidecars_are_served_and_stale_ones_ignored() {
    let sidecar_text = text(9000).into_iter().rev().collect::<Vec<u8>>();
    let s = Server::start(
        "[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\ncompress = true\n",
        &[("site/a.css", &text(8000)), ("site/b.css", &text(8000)), ("src.css", &sidecar_text)],
    );
    // The sidecars decode to different text than a.css, so it is visible which one was sent.
    assert!(compress_with("gzip", &s.path("src.css"), &s.path("site/a.css.gz")), "gzip(1) is needed");
    let zstd = compress_with("zstd", &s.path("src.css"), &s.path("site/a.css.zst"));
    let original = std::fs::read(s.path("site/a.css")).unwrap();

    let gz = curl(&s.url("/a.css"), &["--compressed", "-H", "Accept-Encoding: gzip"]);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.body == sidecar_text, "the gzip sidecar was served");
    assert_eq!(gz.header("content-type"), Some("text/css; charset=utf-8"), "the original's type");
    assert!(gz.vary_has_accept_encoding());
    let raw = curl(&s.url("/a.css"), &["-H", "Accept-Encoding: gzip"]);
    assert!(raw.body == std::fs::read(s.path("site/a.css.gz")).unwrap(), "byte for byte");
    assert_eq!(raw.header("content-length"), Some(raw.body.len().to_string().as_str()));
    let inm = format!("If-None-Match: {}", raw.header("etag").unwrap());
    assert_eq!(curl(&s.url("/a.css"), &["-H", "Accept-Encoding: gzip", "-H", &inm]).status, 304);
    if zstd {
        let z = curl(&s.url("/a.css"), &["--compressed", "-H", "Accept-Encoding: zstd"]);
        assert_eq!(z.header("content-encoding"), Some("zstd"));
        assert!(z.body == sidecar_text, "the zstd sidecar was served");
    }
    // No br sidecar: compressed by the server from a.css itself.
    let br = curl(&s.url("/a.css"), &["--compressed", "-H", "Accept-Encoding: br"]);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(br.body == original);
    // Asked for directly, a sidecar is a file like any other.
    let direct = curl(&s.url("/a.css.gz"), &["-H", "Accept-Encoding: gzip"]);
    assert_eq!(direct.header("content-encoding"), None);
    assert_eq!(direct.header("content-type"), Some("application/gzip"));
    assert!(direct.body == std::fs::read(s.path("site/a.css.gz")).unwrap());
    // A sidecar older than its file was made from an earlier version: not used.
    assert!(compress_with("gzip", &s.path("src.css"), &s.path("site/b.css.gz")));
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(s.path("site/b.css.gz")).unwrap().set_modified(old).unwrap();
    let b = curl(&s.url("/b.css"), &["--compressed", "-H", "Accept-Encoding: gzip"]);
    assert_eq!(b.header("content-encoding"), Some("gzip"));
    assert!(b.body == std::fs::read(s.path("site/b.css")).unwrap(), "compressed from b.css, not the stale sidecar");
}

#[test]
fn respond_routes_compress_too() {
    let body = String::from_utf8(text(6000)).unwrap();
    let s = Server::start(
        &format!(
            "[[route]]\nprefix = \"/\"\nrespond = {{ status = 200, body = \"{body}\", content_type = \"text/plain\" }}\ncompress = true\n"
        ),
        &[],
    );
    let got = curl(&s.url("/x"), &["--compressed", "-H", "Accept-Encoding: gzip"]);
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-encoding"), Some("gzip"));
    assert!(got.vary_has_accept_encoding());
    assert_eq!(got.body, body.as_bytes());
    let raw = curl(&s.url("/x"), &["-H", "Accept-Encoding: zstd"]);
    assert_eq!(raw.header("content-length"), Some(raw.body.len().to_string().as_str()), "in memory: exact length");
    let head = curl(&s.url("/x"), &["-I", "-H", "Accept-Encoding: zstd"]);
    assert_eq!(head.header("content-encoding"), Some("zstd"));
    assert_eq!(head.header("content-length"), raw.header("content-length"), "HEAD: the headers of GET");
    assert_eq!(head.header("etag"), raw.header("etag"));
    let plain = curl(&s.url("/x"), &[]);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.vary_has_accept_encoding());
}

#[test]
fn webdav_routes_compress_their_files_too() {
    let s = Server::start(
        "[[route]]\nprefix = \"/dav/\"\nwebdav = { root = \"dav\", anonymous_write = true }\ncompress = true\n",
        &[("dav/notes.txt", &text(6000))],
    );
    let got = curl(&s.url("/dav/notes.txt"), &["--compressed", "-H", "Accept-Encoding: gzip"]);
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-encoding"), Some("gzip"));
    assert_eq!(got.body, text(6000));
    // A PUT is seen by the next GET, compressed or not.
    let put = curl(&s.url("/dav/notes.txt"), &["-X", "PUT", "--data-binary", "changed content that is long enough to be worth compressing, repeated: changed content that is long enough to be worth compressing, repeated: changed content that is long enough to be worth compressing, repeated: changed content that is long enough to be worth compressing, repeated: changed content that is long enough to be worth compressing, repeated: changed content that is long enough to be worth compressing"]);
    assert_eq!(put.status, 204);
    let again = curl(&s.url("/dav/notes.txt"), &["--compressed", "-H", "Accept-Encoding: gzip"]);
    assert!(again.body.starts_with(b"changed content"), "{:?}", String::from_utf8_lossy(&again.body));
}

fn proxy_server(up: &Upstream) -> Server {
    Server::start(
        &format!(
            "[[route]]\nprefix = \"/\"\nproxy = {{ upstream = \"{}\" }}\ncompress = true\n\n[[route]]\nprefix = \"/off/\"\nproxy = {{ upstream = \"{}\" }}\n",
            up.url(),
            up.url()
        ),
        &[],
    )
}

#[test]
fn proxied_responses_compress_unless_already_encoded() {
    let page = text(50_000);
    let gz_body = b"\x1f\x8b pretend this is gzip".to_vec();
    let p = page.clone();
    let up = Upstream::start(move |r| match r.target.trim_start_matches("/off") {
        "/page" if r.header("if-none-match").is_some_and(|t| t.contains("\"up-1\"")) => {
            Reply::new("304 Not Modified", &[("ETag", "\"up-1\"")], b"")
        }
        "/page" => Reply::ok(&[("Content-Type", "text/html"), ("ETag", "\"up-1\"")], &p),
        "/chunked" => {
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for piece in p.chunks(5000) {
                out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            Reply::Raw(out)
        }
        "/encoded" => Reply::ok(&[("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], &gz_body),
        "/no-transform" => Reply::ok(&[("Content-Type", "text/plain"), ("Cache-Control", "no-transform")], &p),
        _ => Reply::ok(&[("Content-Type", "image/png")], &p),
    });
    let s = proxy_server(&up);
    for coding in CODINGS {
        let ae = format!("Accept-Encoding: {coding}");
        let got = curl(&s.url("/page"), &["--compressed", "-H", &ae]);
        assert_eq!(got.status, 200);
        assert_eq!(got.header("content-encoding"), Some(coding));
        assert!(got.vary_has_accept_encoding());
        assert!(got.body == page);
        // The origin's strong tag names its identity bytes; ours is its weak form.
        assert_eq!(got.header("etag"), Some("W/\"up-1\""));
        let streamed = curl(&s.url("/chunked"), &["--compressed", "-H", &ae]);
        assert_eq!(streamed.header("content-encoding"), Some(coding));
        assert!(streamed.body == page, "a streamed upstream body compressed as it streams");
    }
    // What the upstream sent the client asked for: the client's Accept-Encoding.
    assert_eq!(up.last().header("accept-encoding"), Some("zstd"));
    let head = curl(&s.url("/page"), &["-I", "-H", "Accept-Encoding: gzip"]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-encoding"), Some("gzip"), "HEAD through the proxy: GET's header fields");
    assert_eq!(head.header("content-length"), None, "GET's compressed length is not known, so none is sent");
    assert!(head.vary_has_accept_encoding());
    // Revalidation with the weak tag through the origin: 304 with the weak tag again.
    let revalidated = curl(&s.url("/page"), &["-H", "Accept-Encoding: gzip", "-H", "If-None-Match: W/\"up-1\""]);
    assert_eq!(revalidated.status, 304);
    assert_eq!(revalidated.header("etag"), Some("W/\"up-1\""));
    // Already encoded upstream: left exactly as it was (no second coding).
    let enc = curl(&s.url("/encoded"), &["-H", "Accept-Encoding: br"]);
    assert_eq!(enc.header("content-encoding"), Some("gzip"));
    assert_eq!(enc.body, b"\x1f\x8b pretend this is gzip");
    for path in ["/no-transform", "/image"] {
        let r = curl(&s.url(path), &["-H", "Accept-Encoding: gzip"]);
        assert_eq!(r.header("content-encoding"), None, "{path}");
        assert!(r.body == page);
    }
    let off = curl(&s.url("/off/page"), &["-H", "Accept-Encoding: gzip"]);
    assert_eq!(off.header("content-encoding"), None, "compress is off by default");
    assert_eq!(off.header("etag"), Some("\"up-1\""));
}
