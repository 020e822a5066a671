//! Path tricks (issue 8, item 3): a systematic corpus of request-targets that try to leave a
//! route's root — `..` raw and encoded, encoded slashes and backslashes, overlong UTF-8, NUL,
//! empty segments, symlinks that point outside, another route's root, case tricks — sent to
//! a static and a WebDAV route with every reading method (GET, HEAD, PROPFIND, SEARCH) and
//! every writing one (PUT, MKCOL, DELETE, LOCK, PROPPATCH, COPY and MOVE as source and as
//! `Destination`).
//!
//! Proven: 0 escapes. Nothing outside the roots is read (its marker never appears in a
//! response, and no file outside is copied in), written, moved or removed (the tree around
//! the roots is hashed before and after); every attempt is answered 400 or 404, or 403 / 502
//! for a `Destination` outside the route (RFC 4918 §9.8.5); no answer names the real
//! filesystem path.

mod common;
#[path = "common/upstream.rs"]
mod upstream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{crlf, RawResponse, Server};

const CONFIG: &str = r#"
[[route]]
prefix = "/static/"
static = { root = "site" }

[[route]]
prefix = "/dav/"
webdav = { root = "dav", anonymous_write = true, search = true }
"#;

/// Content of the file outside every root.
const SECRET: &str = "TOP-SECRET-OUTSIDE-EVERY-ROOT";
/// Content of the file in the folder outside every root.
const OUTSIDE: &str = "OUTSIDE-FOLDER-CONTENT";
/// Markers of each root's files: one route must never serve the other's.
const SITE: &str = "SITE-MARKER";
const DAV: &str = "DAV-MARKER";
/// What the write attempts put in files.
const PWNED: &[u8] = b"PWNED-BY-PATH-TRICK";

fn start() -> Server {
    let files: Vec<(String, Vec<u8>)> = vec![
        ("secret.txt".into(), SECRET.into()),
        ("outside/o.txt".into(), OUTSIDE.into()),
        ("site/a.txt".into(), format!("{SITE} a").into()),
        ("site/sub/b.txt".into(), format!("{SITE} b").into()),
        ("dav/a.txt".into(), format!("{DAV} a").into()),
        ("dav/sub/b.txt".into(), format!("{DAV} b").into()),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
    let dir = common::folder(&refs);
    for root in ["site", "dav"] {
        let r = dir.path().join(root);
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), r.join("link-out")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), r.join("dir-out")).unwrap();
        std::os::unix::fs::symlink("../secret.txt", r.join("rel-link-out")).unwrap();
        std::os::unix::fs::symlink("a.txt", r.join("in-link")).unwrap();
    }
    std::os::unix::fs::symlink(dir.path().join("site"), dir.path().join("dav/other-root")).unwrap();
    Server::start_in(dir, CONFIG, &[])
}

/// Targets below a route prefix that must not reach anything outside its root. Each is
/// tried on both routes.
const ESCAPES: &[&str] = &[
    // Dot segments, raw.
    "../secret.txt",
    "..",
    "../",
    "sub/../../secret.txt",
    "sub/..",
    "./../secret.txt",
    "../outside/o.txt",
    "../../etc/passwd",
    "../../../../../../../../../../../../etc/passwd",
    // Dot segments, percent-encoded (either case, partly encoded).
    "%2e%2e/secret.txt",
    "%2E%2E/secret.txt",
    "%2e%2E/secret.txt",
    ".%2e/secret.txt",
    "%2e./secret.txt",
    "%2e%2e",
    "%2e",
    "sub/%2e%2e/%2e%2e/secret.txt",
    "%2e%2e%2fsecret.txt",
    // Encoded slash and backslash.
    "..%2fsecret.txt",
    "..%2Fsecret.txt",
    "sub%2f..%2f..%2fsecret.txt",
    "%2fetc%2fpasswd",
    "..%5csecret.txt",
    "..%5Csecret.txt",
    "sub%5c..%5c..%5csecret.txt",
    "..\\secret.txt",
    "sub\\..\\..\\secret.txt",
    // Overlong UTF-8 for `.`, `/` and `\` (invalid UTF-8: 400).
    "%c0%ae%c0%ae/secret.txt",
    "%c0%2e%c0%2e/secret.txt",
    "%e0%80%ae%e0%80%ae/secret.txt",
    "%f0%80%80%ae%f0%80%80%ae/secret.txt",
    "..%c0%afsecret.txt",
    "..%c1%9csecret.txt",
    "%c0%ae%c0%ae%c0%afsecret.txt",
    // NUL and other control octets, encoded.
    "a.txt%00",
    "a.txt%00.png",
    "%00/../secret.txt",
    "..%00/secret.txt",
    "a%0a.txt",
    "a%0d%0a.txt",
    "%7f",
    // Empty segments and absolute paths (`/dav//x` is `/dav/x`: the route's own `/` and one
    // more; further empty segments are refused).
    "//secret.txt",
    "sub//b.txt/../../../secret.txt",
    "//etc/passwd",
    "sub//../../secret.txt",
    // Symlinks that lead outside the root (absolute and relative), and into another root.
    "link-out",
    "rel-link-out",
    "dir-out/o.txt",
    "dir-out/",
    "dir-out",
    "dir-out/../secret.txt",
    "dir-out/%2e%2e/secret.txt",
    // Into the other route's root.
    "../site/a.txt",
    "../dav/a.txt",
    "%2e%2e/site/a.txt",
    "%2e%2e/dav/a.txt",
    "..%2fsite%2fa.txt",
    // Internal names (atomic-write temporaries, property stores).
    ".methodical-tmp-1",
    ".methodical-props",
    "sub/.methodical-x",
    // Invalid percent-encoding.
    "%zz",
    "%",
    "a%2",
    "%%32%65%%32%65/secret.txt",
];

/// Names that look like tricks but are ordinary names inside the root on Linux: reading one
/// that does not exist is 404 and nothing outside is ever involved.
const LOOKALIKES: &[&str] = &[
    "a.txt.",
    "a.txt..",
    "...",
    "..../secret.txt",
    ".../secret.txt",
    "a.txt%20",
    "a.txt::$DATA",
    "a.txt;.png",
    "..;/secret.txt",
    "A.TXT",
    "SUB/B.TXT",
    "%ef%bc%8e%ef%bc%8e/secret.txt",
    "%e2%80%a5/secret.txt",
    "secret.txt",
    "o.txt",
    "/secret.txt",
    "/etc/passwd",
    // Double encoding: decoded once, `%2e%2e` is an ordinary name.
    "%252e%252e/secret.txt",
    "%252e%252e%252fsecret.txt",
];

/// Prefix tricks: the route prefix itself written differently.
const PREFIX_TRICKS: &[&str] = &[
    "/STATIC/a.txt",
    "/Static/../secret.txt",
    "/DAV/a.txt",
    "/static/../dav/a.txt",
    "/dav/../static/a.txt",
    "/static%2f..%2fsecret.txt",
    "/static/..%2f..%2fsecret.txt",
    "/st%61tic/%2e%2e/secret.txt",
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "//secret.txt",
    "http://test/static/../secret.txt",
    "http://test/dav/%2e%2e/secret.txt",
];

/// Every answer and what it is checked against.
struct Audit {
    secret_markers: Vec<String>,
    real_path: String,
    failures: Vec<String>,
    requests: usize,
    statuses: BTreeMap<u16, usize>,
}

impl Audit {
    fn new(s: &Server) -> Audit {
        Audit {
            secret_markers: vec![SECRET.into(), OUTSIDE.into()],
            real_path: s.dir.path().display().to_string(),
            failures: Vec::new(),
            requests: 0,
            statuses: BTreeMap::new(),
        }
    }

    /// Sends `request`, checks the status is one of `allowed` and that the answer carries no
    /// forbidden content (`also_forbidden`: the other root's marker).
    fn check(&mut self, s: &Server, label: &str, request: &[u8], allowed: &[u16], also_forbidden: Option<&str>) -> RawResponse {
        self.requests += 1;
        let r = s.raw(request);
        *self.statuses.entry(r.status).or_default() += 1;
        let text = r.text();
        if !allowed.contains(&r.status) {
            self.failures.push(format!("{label}: status {} (allowed {allowed:?}): {}", r.status, text.lines().nth(2).unwrap_or("")));
        }
        for marker in self.secret_markers.iter().map(String::as_str).chain(also_forbidden) {
            if text.contains(marker) {
                self.failures.push(format!("{label}: ESCAPE: the answer contains {marker}"));
            }
        }
        if text.contains(&self.real_path) || text.contains("/tmp/") {
            self.failures.push(format!("{label}: the answer names a filesystem path: {text}"));
        }
        let headers = format!("{:?}", r.headers);
        if headers.contains(&self.real_path) {
            self.failures.push(format!("{label}: a header names a filesystem path: {headers}"));
        }
        r
    }

    fn finish(self, what: &str) -> usize {
        assert!(self.failures.is_empty(), "{what}: {} failures:\n{}", self.failures.len(), self.failures.join("\n"));
        eprintln!("{what}: statuses {:?}", self.statuses);
        self.requests
    }
}

/// One entry of a folder tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File(Vec<u8>),
    Dir,
    Link(PathBuf),
}

/// Every file (with its content), folder and symlink (with its target) under `dir`,
/// symlinks not followed.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(p.clone(), Entry::Link(std::fs::read_link(&p).unwrap()));
            } else if meta.is_dir() {
                out.insert(p.clone(), Entry::Dir);
                stack.push(p);
            } else {
                out.insert(p.clone(), Entry::File(std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

type OutsideState = (BTreeMap<PathBuf, Entry>, Vec<PathBuf>);

/// Everything outside the two roots: the server's folder without `site/` and `dav/`, and the
/// names beside it (where `../..` from a root lands) that a trick could have created.
fn outside_state(s: &Server) -> OutsideState {
    let mut inner = snapshot(s.dir.path());
    inner.retain(|p, _| !p.starts_with(s.path("site")) && !p.starts_with(s.path("dav")));
    let parent = s.dir.path().parent().unwrap();
    let mut around: Vec<PathBuf> = std::fs::read_dir(parent).unwrap().flatten().map(|e| e.path()).collect();
    around.retain(|p| p.file_name().is_some_and(|n| {
        let n = n.to_string_lossy();
        n.starts_with("taken-") || n == "secret.txt" || n == "src.txt" || n == "a.txt" || n == "PWNED"
    }));
    around.sort();
    (inner, around)
}

fn assert_nothing_outside_changed(s: &Server, before: &OutsideState) {
    let after = outside_state(s);
    assert_eq!(after.0, before.0, "a file outside the roots was written, moved or removed");
    assert_eq!(after.1, before.1, "a file appeared beside the server's folder");
    assert_eq!(std::fs::read_to_string(s.path("secret.txt")).unwrap(), SECRET);
    assert_eq!(std::fs::read_to_string(s.path("outside/o.txt")).unwrap(), OUTSIDE);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// No file inside a root holds a secret (copied or moved in) or what a refused write sent.
fn assert_roots_hold_no_secret(s: &Server) {
    for root in ["site", "dav"] {
        for (p, entry) in snapshot(&s.path(root)) {
            if let Entry::File(content) = entry {
                assert!(!contains(&content, SECRET.as_bytes()) && !contains(&content, OUTSIDE.as_bytes()), "secret copied into {}", p.display());
                assert!(!contains(&content, PWNED), "a refused write created {}", p.display());
            }
        }
    }
}

/// The other route's marker: a route must never serve the other root's files.
fn other_marker(prefix: &str) -> &'static str {
    if prefix == "/static/" {
        DAV
    } else {
        SITE
    }
}

#[test]
fn issue8_reads_never_leave_the_root_static_and_webdav() {
    let s = start();
    let before = outside_state(&s);
    let mut audit = Audit::new(&s);
    for prefix in ["/static/", "/dav/"] {
        let other = other_marker(prefix);
        for trick in ESCAPES {
            let target = format!("{prefix}{trick}");
            audit.check(&s, &format!("GET {target}"), &crlf(&format!("GET {target} HTTP/1.1\n")), &[400, 404], Some(other));
            audit.check(&s, &format!("HEAD {target}"), &crlf(&format!("HEAD {target} HTTP/1.1\n")), &[400, 404], Some(other));
            if prefix == "/dav/" {
                for depth in ["0", "1", "infinity"] {
                    let req = crlf(&format!("PROPFIND {target} HTTP/1.1\nDepth: {depth}\n"));
                    // Depth: infinity may be refused (403, RFC 4918 §9.1) before the path is looked at.
                    let allowed: &[u16] = if depth == "infinity" { &[400, 403, 404] } else { &[400, 404] };
                    audit.check(&s, &format!("PROPFIND depth {depth} {target}"), &req, allowed, Some(other));
                }
            }
        }
        for trick in LOOKALIKES {
            let target = format!("{prefix}{trick}");
            audit.check(&s, &format!("GET {target}"), &crlf(&format!("GET {target} HTTP/1.1\n")), &[400, 404], Some(other));
            if prefix == "/dav/" {
                audit.check(&s, &format!("PROPFIND {target}"), &crlf(&format!("PROPFIND {target} HTTP/1.1\nDepth: 1\n")), &[400, 404], Some(other));
            }
        }
    }
    for target in PREFIX_TRICKS {
        audit.check(&s, &format!("GET {target}"), &crlf(&format!("GET {target} HTTP/1.1\n")), &[400, 404], None);
    }
    // Controls: what is inside is served, so the 404s above are not a broken route.
    for (target, body) in [("/static/a.txt", format!("{SITE} a")), ("/static/in-link", format!("{SITE} a")), ("/dav/sub/b.txt", format!("{DAV} b"))] {
        let r = s.req(&format!("GET {target} HTTP/1.1\n"));
        assert_eq!((r.status, r.text()), (200, body), "{target}");
    }
    let requests = audit.finish("reads");
    assert_nothing_outside_changed(&s, &before);
    eprintln!("path corpus, reads: {} escapes + {} lookalikes + {} prefix tricks → {requests} requests, 0 escapes", ESCAPES.len(), LOOKALIKES.len(), PREFIX_TRICKS.len());
}

/// A collection listing never shows what lies behind a symlink that leaves the root
/// (PROPFIND Depth 1 and infinity, SEARCH over the whole route and over tricked scopes).
#[test]
fn issue8_listings_do_not_follow_symlinks_out_of_the_root() {
    let s = start();
    let mut audit = Audit::new(&s);
    audit.secret_markers.push("o.txt".into());
    for depth in ["1", "infinity"] {
        let r = audit.check(&s, &format!("PROPFIND /dav/ depth {depth}"), &crlf(&format!("PROPFIND /dav/ HTTP/1.1\nDepth: {depth}\n")), &[207, 403], Some(SITE));
        if r.status == 207 {
            let len = SECRET.len().to_string();
            assert!(!r.text().contains(&format!("<D:getcontentlength>{len}</D:getcontentlength>")), "the secret's size is listed: {}", r.text());
        }
    }
    for scope in ["/dav/", "/dav/%2e%2e/", "/dav/dir-out/", "/dav/../", "/dav/other-root/"] {
        let query = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><D:searchrequest xmlns:D="DAV:"><D:basicsearch><D:select><D:prop><D:displayname/></D:prop></D:select><D:from><D:scope><D:href>{scope}</D:href><D:depth>infinity</D:depth></D:scope></D:from></D:basicsearch></D:searchrequest>"#
        );
        let mut req = crlf(&format!("SEARCH /dav/ HTTP/1.1\nContent-Type: text/xml\nContent-Length: {}\n", query.len()));
        req.extend_from_slice(query.as_bytes());
        let allowed: &[u16] = if scope == "/dav/" { &[207] } else { &[207, 400, 403, 404, 409, 422, 502] };
        let r = audit.check(&s, &format!("SEARCH scope {scope}"), &req, allowed, Some(SITE));
        if r.status == 207 && scope != "/dav/" {
            assert!(!r.text().contains("secret") && !r.text().contains("b.txt</"), "SEARCH {scope} listed outside: {}", r.text());
        }
    }
    audit.finish("listings");
}

fn put(target: &str) -> Vec<u8> {
    let mut req = crlf(&format!("PUT {target} HTTP/1.1\nContent-Length: {}\n", PWNED.len()));
    req.extend_from_slice(PWNED);
    req
}

const LOCKINFO: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"#;
const PROPPATCH: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x-test"><D:set><D:prop><Z:p>PWNED-BY-PATH-TRICK</Z:p></D:prop></D:set></D:propertyupdate>"#;

fn with_body(head: &str, body: &str) -> Vec<u8> {
    let mut req = crlf(&format!("{head}Content-Type: application/xml\nContent-Length: {}\n", body.len()));
    req.extend_from_slice(body.as_bytes());
    req
}

#[test]
fn issue8_writes_never_leave_the_webdav_root() {
    let s = start();
    let before = outside_state(&s);
    let mut audit = Audit::new(&s);
    let mut n = 0;
    for trick in ESCAPES {
        let target = format!("/dav/{trick}");
        // A write through a symlink that leads out names something that exists but cannot be
        // written: 403; a collection URL or missing parent for PUT: 409 (RFC 4918 §9.7.1).
        const WRITE: &[u16] = &[400, 403, 404, 409];
        audit.check(&s, &format!("PUT {target}"), &put(&target), WRITE, Some(SITE));
        audit.check(&s, &format!("MKCOL {target}"), &crlf(&format!("MKCOL {target} HTTP/1.1\n")), WRITE, Some(SITE));
        audit.check(&s, &format!("DELETE {target}"), &crlf(&format!("DELETE {target} HTTP/1.1\n")), &[400, 404], Some(SITE));
        audit.check(&s, &format!("LOCK {target}"), &with_body(&format!("LOCK {target} HTTP/1.1\nTimeout: Second-60\n"), LOCKINFO), WRITE, Some(SITE));
        audit.check(&s, &format!("PROPPATCH {target}"), &with_body(&format!("PROPPATCH {target} HTTP/1.1\n"), PROPPATCH), WRITE, Some(SITE));
        // The trick as the source: nothing outside is copied or moved into the root.
        n += 1;
        for m in ["COPY", "MOVE"] {
            let req = crlf(&format!("{m} {target} HTTP/1.1\nDestination: /dav/taken-{n}\nOverwrite: T\n"));
            audit.check(&s, &format!("{m} {target} → /dav/taken-{n}"), &req, &[400, 404], Some(SITE));
            if let Ok(content) = std::fs::read(s.path(&format!("dav/taken-{n}"))) {
                panic!("{m} {target} brought {:?} into the root; failures so far: {:#?}; root: {:#?}", String::from_utf8_lossy(&content), audit.failures, snapshot(&s.path("dav")).keys().collect::<Vec<_>>());
            }
        }
        // The trick as the Destination, relative and absolute: 403 or 404 inside this route,
        // 502 for one that leaves the route (RFC 4918 §9.8.5).
        for dest in [target.clone(), format!("http://test{target}")] {
            for m in ["COPY", "MOVE"] {
                std::fs::write(s.path("dav/src.txt"), b"source").unwrap();
                let req = crlf(&format!("{m} /dav/src.txt HTTP/1.1\nDestination: {dest}\nOverwrite: T\n"));
                audit.check(&s, &format!("{m} /dav/src.txt → {dest}"), &req, &[400, 403, 404, 502], Some(SITE));
                assert!(s.path("dav/src.txt").exists(), "{m} → {dest} moved the source away");
            }
        }
    }
    for target in PREFIX_TRICKS {
        audit.check(&s, &format!("PUT {target}"), &put(target), &[400, 404, 405], None);
        std::fs::write(s.path("dav/src.txt"), b"source").unwrap();
        let req = crlf(&format!("MOVE /dav/src.txt HTTP/1.1\nDestination: {target}\n"));
        audit.check(&s, &format!("MOVE /dav/src.txt → {target}"), &req, &[400, 403, 404, 502], None);
    }
    // The static route refuses every write from the method table (405), before any path.
    for trick in ESCAPES.iter().take(10) {
        let target = format!("/static/{trick}");
        audit.check(&s, &format!("PUT {target}"), &put(&target), &[400, 404, 405], Some(DAV));
    }
    // A control: an ordinary write works, so the refusals above are about the paths.
    let r = s.raw(&put("/dav/ordinary.txt"));
    assert_eq!(r.status, 201);
    std::fs::remove_file(s.path("dav/ordinary.txt")).unwrap();
    let requests = audit.finish("writes");
    assert_nothing_outside_changed(&s, &before);
    assert_roots_hold_no_secret(&s);
    for link in ["link-out", "rel-link-out", "dir-out", "in-link"] {
        assert!(std::fs::symlink_metadata(s.path(&format!("dav/{link}"))).is_ok(), "the symlink {link} itself was removed");
    }
    eprintln!("path corpus, writes: {} escapes x 11 requests (PUT MKCOL DELETE LOCK PROPPATCH, COPY and MOVE as source, and as Destination in two forms) + prefix tricks + static PUTs → {requests} requests, 0 escapes", ESCAPES.len());
}

/// Lookalike names are ordinary names: writing one creates exactly that name inside the
/// root (or is refused), never anything outside.
#[test]
fn issue8_lookalike_names_stay_inside_the_root() {
    let s = start();
    let before = outside_state(&s);
    let mut audit = Audit::new(&s);
    for trick in LOOKALIKES {
        let target = format!("/dav/{trick}");
        let r = audit.check(&s, &format!("PUT {target}"), &put(&target), &[201, 204, 400, 404, 409], Some(SITE));
        if matches!(r.status, 201 | 204) {
            let got = s.req(&format!("GET {target} HTTP/1.1\n"));
            assert_eq!(got.body, PWNED, "GET {target} after PUT");
            assert_eq!(s.req(&format!("DELETE {target} HTTP/1.1\n")).status, 204, "DELETE {target}");
        }
    }
    audit.finish("lookalike writes");
    assert_nothing_outside_changed(&s, &before);
}

/// Through the gateway the path is forwarded as sent, and the upstream would resolve its
/// dot-segments: `/proxy/../admin` is routed by its `/proxy/` prefix but names `/admin`
/// upstream (and with `strip_prefix`, a place above the upstream's base path). Such targets
/// are refused with 400 and never reach the upstream; look-alike names are forwarded
/// unchanged.
#[test]
fn issue8_gateway_does_not_forward_dot_segments() {
    let u = upstream::Upstream::start(|r| upstream::Reply::ok(&[], r.target.as_bytes()));
    let config = format!(
        "[[route]]\nprefix = \"/proxy/\"\nproxy = {{ upstream = \"{0}\" }}\n\n[[route]]\nprefix = \"/strip/\"\nproxy = {{ upstream = \"{0}/base\", strip_prefix = true }}\n",
        u.url()
    );
    let s = Server::start(&config, &[]);
    let mut audit = Audit::new(&s);
    for prefix in ["/proxy/", "/strip/"] {
        // The dot-segment tricks; overlong UTF-8 (`%c0%ae`) stays out: in Latin-1 it is an
        // ordinary name, so the gateway forwards it and the upstream decides.
        let dot = |t: &&&str| (t.contains("..") || t.contains("%2e") || t.contains("%2E") || t.starts_with("./")) && !t.contains("%c0") && !t.contains("%c1") && !t.contains("%e0") && !t.contains("%f0");
        for trick in ESCAPES.iter().filter(dot) {
            let target = format!("{prefix}{trick}");
            audit.check(&s, &format!("GET {target}"), &crlf(&format!("GET {target} HTTP/1.1\n")), &[400], None);
        }
    }
    let refused = audit.finish("gateway");
    assert_eq!(u.count(), 0, "a dot-segment reached the upstream: {:?}", u.requests().iter().map(|r| r.request_line()).collect::<Vec<_>>());
    for (target, forwarded) in [("/proxy/a..b", "/proxy/a..b"), ("/proxy/...", "/proxy/..."), ("/proxy/%252e%252e/x", "/proxy/%252e%252e/x"), ("/strip/x.y/z", "/base/x.y/z")] {
        let r = s.req(&format!("GET {target} HTTP/1.1\n"));
        assert_eq!((r.status, r.text()), (200, forwarded.to_string()), "{target}");
    }
    eprintln!("path corpus, gateway: {refused} dot-segment targets refused, none forwarded");
}
