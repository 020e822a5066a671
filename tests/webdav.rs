//! WebDAV through the real binary (issue 3): litmus and rclone as real clients, Basic
//! authentication with argon2id and bcrypt users, locks, SEARCH through the server, the
//! WebDAV rows of the checklist (T-57…T-69 with D-2, S-5, E-2), crash safety of uploads,
//! upload limits, and targets that try to leave the root.
//!
//! litmus, rclone and htpasswd (apache2-utils) are Debian packages that `.ci/run` installs.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, UNIX_EPOCH};

use common::{crlf, set, RawResponse, Server};

// ---------------------------------------------------------------------------------------
// Users, configuration, requests
// ---------------------------------------------------------------------------------------

/// alice's password (argon2id, from `methodical hash-password`); a space on purpose.
const ALICE_PW: &str = "white rabbit";
/// bob's password (bcrypt `$2y$`, from `htpasswd -B`).
const BOB_PW: &str = "hunter2";
/// carol's password (bcrypt written as `$2b$`).
const CAROL_PW: &str = "queen of hearts";

/// A bcrypt hash from `htpasswd -nbB` (Apache's tool, `$2y$`).
fn htpasswd_bcrypt(user: &str, password: &str) -> String {
    let out = Command::new("htpasswd").args(["-nbB", "-C", "5", user, password]).output().expect("htpasswd (apache2-utils) is installed");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let (name, hash) = text.trim().split_once(':').unwrap();
    assert_eq!(name, user);
    assert!(hash.starts_with("$2y$"), "{hash}");
    hash.to_string()
}

fn alice_line() -> &'static str {
    static LINE: OnceLock<String> = OnceLock::new();
    LINE.get_or_init(|| common::hash_password_line(ALICE_PW))
}

fn bob_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| htpasswd_bcrypt("bob", BOB_PW))
}

/// carol's bcrypt hash with the `$2b$` prefix other tools write (same algorithm as `$2y$`).
fn carol_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| htpasswd_bcrypt("carol", CAROL_PW).replacen("$2y$", "$2b$", 1))
}

/// Issue 3's contract configuration as written, plus a static route for the D-2 rows.
/// `files_write` replaces the `/files/` write list; `extra` is appended (more routes).
fn config(files_write: &str, extra: &str) -> String {
    format!(
        r#"
[[user]]
name = "alice"
{alice}

[[user]]
name = "bob"
password_hash = "{bob}"

[[user]]
name = "carol"
password_hash = "{carol}"

[[route]]
prefix = "/dav/"
webdav = {{ root = "dav", read_only = false, search = true, anonymous_write = true }}

[[route]]
prefix = "/files/"
webdav = {{ root = "files", read_only = false, search = true }}
auth = {{ realm = "files", write = {files_write}, read = "anyone" }}

[[route]]
prefix = "/ro/"
webdav = {{ root = "ro", read_only = true, search = false }}

[[route]]
prefix = "/static/"
static = {{ root = "site" }}
{extra}
"#,
        alice = alice_line(),
        bob = bob_hash(),
        carol = carol_hash(),
    )
}

fn contract() -> String {
    config(r#"["alice"]"#, "")
}

/// Starts the server on a folder holding `files` and the (possibly empty) roots of every route.
fn start(config: &str, files: &[(&str, &[u8])]) -> Server {
    let dir = common::folder(files);
    for root in ["dav", "files", "ro", "site", "small"] {
        std::fs::create_dir_all(dir.path().join(root)).unwrap();
    }
    Server::start_in(dir, config, &[])
}

/// `Authorization: Basic …` for `user:password` (RFC 7617).
fn basic(user: &str, password: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let raw = format!("{user}:{password}");
    let mut out = String::new();
    for c in raw.as_bytes().chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() { T[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    format!("Authorization: Basic {out}\n")
}

/// Sends `head` (lines ending in `\n`, request line first) with `body` and its Content-Length.
fn send(s: &Server, head: &str, body: &[u8]) -> RawResponse {
    let mut req = crlf(&format!("{head}Content-Length: {}\n", body.len()));
    req.extend_from_slice(body);
    s.raw(&req)
}

/// Every `href` of a multistatus body, in order.
fn hrefs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("<D:href>") {
        rest = &rest[i + 8..];
        let end = rest.find("</D:href>").expect("closed href");
        out.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    out
}

const LOCKINFO: &str = r#"<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>test</D:owner></D:lockinfo>"#;

/// Takes an exclusive write lock; returns the token (without angle brackets).
fn lock(s: &Server, path: &str, auth: &str) -> String {
    let r = send(s, &format!("LOCK {path} HTTP/1.1\n{auth}Content-Type: application/xml\nTimeout: Second-600\n"), LOCKINFO.as_bytes());
    assert!(r.status == 200 || r.status == 201, "LOCK {path}: {r:?}");
    let token = r.header("lock-token").expect("Lock-Token on a new lock (D-8)");
    token.trim_start_matches('<').trim_end_matches('>').to_string()
}

// ---------------------------------------------------------------------------------------
// Hashing, trees, file system walks
// ---------------------------------------------------------------------------------------

/// SHA-256 of `data` in hex. The digest is the one rustls's ring provider uses for TLS 1.3
/// (rustls is already a test dependency, so no crate is added for it).
fn sha256(data: &[u8]) -> String {
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let hash = suite.tls13().expect("a TLS 1.3 suite").common.hash_provider;
    hash.hash(data).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_file(path: &Path) -> String {
    sha256(&std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// Relative path (with `/`) → SHA-256 of every regular file below `root`, leaving out the
/// server's internal `.methodical-…` files (dead properties).
fn tree_hashes(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for path in walk(root) {
        let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if rel.split('/').any(|part| part.starts_with(".methodical-")) {
            continue;
        }
        if path.is_file() {
            out.insert(rel, sha256_file(&path));
        }
    }
    out
}

/// Every path below `root` (symlinks not followed).
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out
}

/// Upload temporaries (`.methodical-tmp-…`) anywhere below `root`.
fn temporaries(root: &Path) -> Vec<PathBuf> {
    walk(root).into_iter().filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".methodical-tmp-"))).collect()
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// litmus
// ---------------------------------------------------------------------------------------

/// Totals read from litmus's output.
#[derive(Debug, Default, PartialEq, Eq)]
struct Litmus {
    groups: Vec<String>,
    run: u32,
    passed: u32,
    failed: u32,
    warnings: u32,
    skipped: u32,
}

/// Parses `<- summary for `basic': of 16 tests run: 16 passed, 0 failed. 100.0%` lines, and
/// counts `WARNING:` lines, `-> N warnings issued.` and anything skipped.
fn parse_litmus(out: &str) -> Litmus {
    let mut l = Litmus::default();
    let mut issued = 0;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("<- summary for `") {
            let (group, rest) = rest.split_once("': of ").expect("summary shape");
            let nums: Vec<u32> = rest.split(|c: char| !c.is_ascii_digit()).filter(|t| !t.is_empty()).map(|t| t.parse().unwrap()).collect();
            // of N tests run: P passed, F failed. X.Y%
            l.groups.push(group.to_string());
            l.run += nums[0];
            l.passed += nums[1];
            l.failed += nums[2];
            if rest.contains("skipped") {
                l.skipped += 1;
            }
        }
        if line.contains("WARNING:") {
            l.warnings += 1;
        }
        if let Some(rest) = line.trim().strip_prefix("-> ") {
            if rest.contains("warning") && rest.contains("issued") {
                issued += rest.split_whitespace().next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(1);
            }
        }
        if line.contains("SKIPPED") || line.contains("all tests skipped") || line.contains("were skipped") || line.contains("was skipped") {
            l.skipped += 1;
        }
    }
    l.warnings = l.warnings.max(issued);
    l
}

fn run_litmus(url: &str, credentials: Option<(&str, &str)>) -> (Litmus, String) {
    let mut cmd = Command::new("timeout");
    cmd.args(["300", "litmus", url]);
    if let Some((u, p)) = credentials {
        cmd.args([u, p]);
    }
    // litmus writes debug.log and child.log into its working folder.
    let scratch = tempfile::tempdir().unwrap();
    let out = cmd.current_dir(scratch.path()).env("TESTS", "basic copymove props locks http").output().expect("litmus is installed");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (parse_litmus(&text), text)
}

fn assert_litmus_clean(result: &Litmus, text: &str) {
    let expected_groups: Vec<String> = ["basic", "copymove", "props", "locks", "http"].iter().map(|s| s.to_string()).collect();
    assert_eq!(result.groups, expected_groups, "every group ran to its summary:\n{text}");
    assert_eq!(
        (result.run, result.passed, result.failed, result.warnings, result.skipped),
        (104, 104, 0, 0, 0),
        "litmus: 104 run, 104 passed, 0 failed, 0 warnings, 0 skipped:\n{text}"
    );
}

#[test]
fn litmus_parser_counts_failures_warnings_and_skips() {
    let sample = "-> running `basic':\n 0. init.... pass\n 3. put_get_utf8_segment.. WARNING: eh\n...... pass (with 1 warning)\n 4. x... SKIPPED\n<- summary for `basic': of 15 tests run: 14 passed, 1 failed. 93.3%\n-> 1 warning was issued.\n-> 1 test was skipped.\n";
    let l = parse_litmus(sample);
    assert_eq!((l.run, l.passed, l.failed, l.warnings), (15, 14, 1, 1));
    assert!(l.skipped >= 1);
    assert_eq!(l.groups, ["basic"]);
}

#[test]
fn litmus_all_five_groups_on_dav_104_passed_0_failed_0_warnings() {
    let s = start(&contract(), &[]);
    let (result, text) = run_litmus(&s.url("/dav/"), None);
    assert_litmus_clean(&result, &text);
}

#[test]
fn litmus_all_five_groups_on_files_as_alice_after_basic_challenges() {
    // The same suite through the authenticated route: litmus answers the 401 challenges
    // with alice's argon2id credentials.
    let s = start(&contract(), &[]);
    let (result, text) = run_litmus(&s.url("/files/"), Some(("alice", ALICE_PW)));
    assert_litmus_clean(&result, &text);
}

// ---------------------------------------------------------------------------------------
// rclone
// ---------------------------------------------------------------------------------------

/// Writes 200 files below `root`: nested folders, names with spaces and non-ASCII letters,
/// sizes 0…48 KiB, and one 20 MiB file. Returns (file count, total octets).
fn make_tree(root: &Path) -> (usize, u64) {
    let folders = [
        "",
        "Ordner mit Leerzeichen",
        "日本語/サブ フォルダ",
        "dir one/Ünïcødé é",
        "deep/a/b/c/d",
        "emoji 🎉 folder",
        "100% & more+plus",
        "Ελληνικά/кириллица",
    ];
    let stems = ["file", "Straße", "naïve café", "résumé final", "привет мир", "中文 文件", "a+b=c", "(paren) [bracket]", "hash#tag", "it's here", " leading space"];
    let mut count = 0;
    let mut bytes = 0u64;
    let big = common::pseudo_random(20 << 20, 7);
    std::fs::write(root.join("big 20 MiB.bin"), &big).unwrap();
    count += 1;
    bytes += big.len() as u64;
    let mut i = 0u64;
    while count < 200 {
        let folder = root.join(folders[i as usize % folders.len()]);
        std::fs::create_dir_all(&folder).unwrap();
        let name = format!("{} {i}.txt", stems[(i as usize / folders.len()) % stems.len()]);
        let len = (i * 7919 % (48 << 10)) as usize;
        let content = common::pseudo_random(len, i + 100);
        std::fs::write(folder.join(name), &content).unwrap();
        count += 1;
        bytes += len as u64;
        i += 1;
    }
    (count, bytes)
}

/// Runs rclone against a `:webdav:` remote rooted at `url` as `user`; returns
/// (success, output). Retries are off so a server error cannot hide behind a retry.
fn rclone(conf: &Path, url: &str, user: &str, password: &str, args: &[&str]) -> (bool, String) {
    let obscured = Command::new("rclone").args(["obscure", password]).output().expect("rclone is installed");
    let obscured = String::from_utf8(obscured.stdout).unwrap().trim().to_string();
    let out = Command::new("rclone")
        .args(args)
        .args(["--webdav-url", url, "--webdav-user", user, "--webdav-pass", &obscured, "--webdav-vendor", "other"])
        .args(["--retries", "1", "--low-level-retries", "1", "--checkers", "4", "--transfers", "4"])
        .env("RCLONE_CONFIG", conf)
        .output()
        .expect("run rclone");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn rclone_round_trip_of_200_files_with_argon2_and_bcrypt_users() {
    assert_eq!(sha256(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256 test vector");
    let work = tempfile::tempdir().unwrap();
    let up = work.path().join("up");
    let down = work.path().join("down");
    std::fs::create_dir_all(&up).unwrap();
    let conf = work.path().join("rclone.conf");
    std::fs::write(&conf, "").unwrap();
    let (count, bytes) = make_tree(&up);
    assert_eq!(count, 200);
    let source = tree_hashes(&up);
    assert_eq!(source.len(), 200);

    // carol (bcrypt) may write too, to prove a bcrypt user can do more than read.
    let s = start(&config(r#"["alice", "carol"]"#, ""), &[]);
    let url = s.url("/files/");

    // Up as alice (argon2id).
    let (ok, out) = rclone(&conf, &url, "alice", ALICE_PW, &["copy", up.to_str().unwrap(), ":webdav:"]);
    assert!(ok, "rclone copy up failed:\n{out}");
    assert_eq!(tree_hashes(&s.path("files")), source, "the server stored every file under its own name, octet for octet");

    // Down as carol (bcrypt): a wrong or unverifiable password would be a 401 even for reads.
    let (ok, out) = rclone(&conf, &url, "carol", CAROL_PW, &["copy", ":webdav:", down.to_str().unwrap()]);
    assert!(ok, "rclone copy down failed:\n{out}");
    let got = tree_hashes(&down);
    assert_eq!(got.len(), 200);
    assert_eq!(got, source, "every file came back with the same SHA-256");
    let total: u64 = walk(&down).iter().filter(|p| p.is_file()).map(|p| p.metadata().unwrap().len()).sum();
    assert_eq!(total, bytes);

    // rclone's own comparison, reading every file back.
    let (ok, out) = rclone(&conf, &url, "alice", ALICE_PW, &["check", up.to_str().unwrap(), ":webdav:", "--download"]);
    assert!(ok, "rclone check reported differences:\n{out}");
    assert!(out.contains("0 differences found"), "{out}");
    assert!(out.contains("200 matching files"), "{out}");

    // carol writes through bcrypt; bob (bcrypt, not in the write list) is refused.
    let note = work.path().join("note.txt");
    std::fs::write(&note, "from carol").unwrap();
    let (ok, out) = rclone(&conf, &url, "carol", CAROL_PW, &["copyto", note.to_str().unwrap(), ":webdav:carol/note.txt"]);
    assert!(ok, "{out}");
    assert_eq!(std::fs::read(s.path("files/carol/note.txt")).unwrap(), b"from carol");
    let (ok, out) = rclone(&conf, &url, "bob", BOB_PW, &["copyto", note.to_str().unwrap(), ":webdav:bob/note.txt"]);
    assert!(!ok, "bob may not write: {out}");
    assert!(!s.path("files/bob/note.txt").exists());
    eprintln!("rclone: {count} files, {bytes} octets up and down, rclone check: 0 differences");
}

// ---------------------------------------------------------------------------------------
// Authentication and authorization
// ---------------------------------------------------------------------------------------

#[test]
fn d10_auth_on_files_401_403_201_and_anonymous_reads() {
    let s = start(&contract(), &[("files/readme.txt", b"hello")]);
    // Anonymous write → 401 with a Basic challenge naming the realm.
    let r = send(&s, "PUT /files/a.txt HTTP/1.1\n", b"anon");
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with(r#"Basic realm="files""#)), "{r:?}");
    r.assert_error_shape();
    assert!(!s.path("files/a.txt").exists());
    // bob: a valid user who is not in the write list → 403.
    let r = send(&s, &format!("PUT /files/a.txt HTTP/1.1\n{}", basic("bob", BOB_PW)), b"bob");
    assert_eq!(r.status, 403, "{r:?}");
    assert!(r.header("www-authenticate").is_none());
    assert!(!s.path("files/a.txt").exists());
    // alice → 201 and the content is stored.
    let r = send(&s, &format!("PUT /files/a.txt HTTP/1.1\n{}", basic("alice", ALICE_PW)), b"alice");
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(std::fs::read(s.path("files/a.txt")).unwrap(), b"alice");
    // Wrong password, unknown user, malformed header → 401, nothing written.
    for auth in [basic("alice", "white rabbi"), basic("mallory", ALICE_PW), "Authorization: Basic !!!!\n".into(), "Authorization: Bearer x\n".into()] {
        let r = send(&s, &format!("PUT /files/a.txt HTTP/1.1\n{auth}"), b"evil");
        assert_eq!(r.status, 401, "{auth}: {r:?}");
        assert!(r.header("www-authenticate").is_some());
    }
    assert_eq!(std::fs::read(s.path("files/a.txt")).unwrap(), b"alice");
    // Anonymous reads: GET, HEAD, PROPFIND and SEARCH are safe, `read = "anyone"`.
    let r = s.req("GET /files/readme.txt HTTP/1.1\n");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    assert_eq!(s.req("HEAD /files/readme.txt HTTP/1.1\n").status, 200);
    assert_eq!(s.req("PROPFIND /files/ HTTP/1.1\nDepth: 1\n").status, 207);
    // Other write methods are guarded the same way.
    assert_eq!(s.req("MKCOL /files/new/ HTTP/1.1\n").status, 401);
    assert_eq!(s.req("DELETE /files/readme.txt HTTP/1.1\n").status, 401);
    assert_eq!(s.req(&format!("DELETE /files/readme.txt HTTP/1.1\n{}", basic("bob", BOB_PW))).status, 403);
    assert!(s.path("files/readme.txt").exists());
    // /dav/ has anonymous_write = true.
    assert_eq!(send(&s, "PUT /dav/anon.txt HTTP/1.1\n", b"x").status, 201);
}

#[test]
fn d10_anonymous_put_to_a_locked_resource_is_401_not_423() {
    let s = start(&contract(), &[("files/locked.txt", b"v1")]);
    let alice = basic("alice", ALICE_PW);
    let token = lock(&s, "/files/locked.txt", &alice);
    // Authorization wins over every other error (RFC 4918 §8.1 via D-10).
    let r = send(&s, "PUT /files/locked.txt HTTP/1.1\n", b"anon");
    assert_eq!(r.status, 401, "{r:?}");
    assert!(r.header("www-authenticate").is_some());
    let r = send(&s, &format!("PUT /files/locked.txt HTTP/1.1\n{}", basic("bob", BOB_PW)), b"bob");
    assert_eq!(r.status, 403, "{r:?}");
    // The resource really is locked: alice without the token gets 423, with it 204.
    let r = send(&s, &format!("PUT /files/locked.txt HTTP/1.1\n{alice}"), b"v2");
    assert_eq!(r.status, 423, "{r:?}");
    let r = send(&s, &format!("PUT /files/locked.txt HTTP/1.1\n{alice}If: (<{token}>)\n"), b"v2");
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(std::fs::read(s.path("files/locked.txt")).unwrap(), b"v2");
    // Anonymous UNLOCK is a write too.
    assert_eq!(s.req(&format!("UNLOCK /files/locked.txt HTTP/1.1\nLock-Token: <{token}>\n")).status, 401);
    assert_eq!(s.req(&format!("UNLOCK /files/locked.txt HTTP/1.1\n{alice}Lock-Token: <{token}>\n")).status, 204);
}

#[test]
fn hash_password_output_pasted_into_a_config_logs_in() {
    let line = common::hash_password_line("correct horse battery staple");
    assert!(line.starts_with("password_hash = \"$argon2id$"), "{line}");
    assert!(line.ends_with('"'));
    assert!(!line.contains("correct horse"), "never the clear password");
    let cfg = format!(
        "[[user]]\nname = \"dana\"\n{line}\n\n[[route]]\nprefix = \"/files/\"\nwebdav = {{ root = \"files\" }}\nauth = {{ realm = \"files\", write = [\"dana\"], read = \"anyone\" }}\n"
    );
    let s = start(&cfg, &[]);
    let r = send(&s, &format!("PUT /files/d.txt HTTP/1.1\n{}", basic("dana", "correct horse battery staple")), b"dana");
    assert_eq!(r.status, 201, "{r:?}");
    let r = send(&s, &format!("PUT /files/d.txt HTTP/1.1\n{}", basic("dana", "correct horse")), b"no");
    assert_eq!(r.status, 401);
    assert_eq!(std::fs::read(s.path("files/d.txt")).unwrap(), b"dana");
    // An empty password is refused by the command.
    let mut child = Command::new(common::binary()).arg("hash-password").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn webdav_route_without_anonymous_write_or_auth_needs_a_user_to_write() {
    // No `auth` table and no anonymous_write: reads for anyone, writes for any known user.
    let cfg = format!(
        "[[user]]\nname = \"alice\"\n{}\n\n[[route]]\nprefix = \"/w/\"\nwebdav = {{ root = \"dav\" }}\n",
        alice_line()
    );
    let s = start(&cfg, &[("dav/r.txt", b"r")]);
    let r = send(&s, "PUT /w/x HTTP/1.1\n", b"x");
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with(r#"Basic realm="methodical""#)), "{r:?}");
    assert_eq!(s.req("GET /w/r.txt HTTP/1.1\n").status, 200);
    assert_eq!(send(&s, &format!("PUT /w/x HTTP/1.1\n{}", basic("alice", ALICE_PW)), b"x").status, 201);
}

// ---------------------------------------------------------------------------------------
// Locks between two clients
// ---------------------------------------------------------------------------------------

#[test]
fn d8_d10_d9_second_client_lock_423_put_needs_the_token_then_unlock() {
    let s = start(&contract(), &[("dav/doc.txt", b"v1")]);
    // Client 1 locks.
    let mut c1 = s.connect();
    let mut req = crlf(&format!("LOCK /dav/doc.txt HTTP/1.1\nContent-Type: application/xml\nContent-Length: {}\n", LOCKINFO.len()));
    req.extend_from_slice(LOCKINFO.as_bytes());
    c1.send(&req);
    let r = c1.response(false);
    assert_eq!(r.status, 200, "{r:?}");
    let token = r.header("lock-token").unwrap().trim_matches(['<', '>']).to_string();
    assert!(token.starts_with("urn:uuid:") || token.starts_with("opaquelocktoken:"), "{token}");
    assert!(r.text().contains("lockdiscovery") && r.text().contains(&token));
    // Client 2, on its own connection, cannot lock it too.
    let mut c2 = s.connect();
    c2.send(&req);
    let r2 = c2.response(false);
    assert_eq!(r2.status, 423, "{r2:?}");
    assert!(r2.text().contains("no-conflicting-lock") || r2.text().contains("lock-token-submitted"), "{}", r2.text());
    // PUT without the token → 423 with lock-token-submitted naming the locked URL.
    let r = send(&s, "PUT /dav/doc.txt HTTP/1.1\n", b"v2");
    assert_eq!(r.status, 423);
    assert!(r.text().contains("lock-token-submitted") && r.text().contains("/dav/doc.txt"), "{}", r.text());
    assert_eq!(std::fs::read(s.path("dav/doc.txt")).unwrap(), b"v1");
    // DELETE and MOVE are held off as well.
    assert_eq!(s.req("DELETE /dav/doc.txt HTTP/1.1\n").status, 423);
    assert_eq!(s.req("MOVE /dav/doc.txt HTTP/1.1\nDestination: /dav/moved.txt\n").status, 423);
    // With the token → success, from the second client.
    let mut put = crlf(&format!("PUT /dav/doc.txt HTTP/1.1\nIf: (<{token}>)\nContent-Length: 2\n"));
    put.extend_from_slice(b"v2");
    c2.send(&put);
    assert_eq!(c2.response(false).status, 204);
    assert_eq!(std::fs::read(s.path("dav/doc.txt")).unwrap(), b"v2");
    // UNLOCK with the token → 204, then a PUT needs no token.
    c1.send(&crlf(&format!("UNLOCK /dav/doc.txt HTTP/1.1\nLock-Token: <{token}>\n")));
    let u = c1.response(false);
    assert_eq!(u.status, 204);
    assert!(u.header("content-length").is_none());
    assert_eq!(send(&s, "PUT /dav/doc.txt HTTP/1.1\n", b"v3").status, 204);
    assert_eq!(std::fs::read(s.path("dav/doc.txt")).unwrap(), b"v3");
    // The second client can now lock it.
    let r = send(&s, "LOCK /dav/doc.txt HTTP/1.1\nContent-Type: application/xml\n", LOCKINFO.as_bytes());
    assert_eq!(r.status, 200);
}

// ---------------------------------------------------------------------------------------
// SEARCH through the server
// ---------------------------------------------------------------------------------------

const NS: &str = r#"xmlns:D="DAV:" xmlns:Z="urn:z""#;

fn search_body(scope: &str, where_: &str, extra: &str) -> String {
    let w = if where_.is_empty() { String::new() } else { format!("<D:where>{where_}</D:where>") };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><D:searchrequest {NS}><D:basicsearch><D:select><D:prop><D:displayname/></D:prop></D:select><D:from><D:scope><D:href>{scope}</D:href><D:depth>infinity</D:depth></D:scope></D:from>{w}{extra}</D:basicsearch></D:searchrequest>"#
    )
}

fn cmp(op: &str, prop: &str, lit: &str) -> String {
    format!("<D:{op}><D:prop>{prop}</D:prop><D:literal>{lit}</D:literal></D:{op}>")
}

/// 2020-01-01, 2021-01-01, 2022-01-01 (seconds since the epoch).
const Y2020: u64 = 1_577_836_800;
const Y2021: u64 = 1_609_459_200;
const Y2022: u64 = 1_640_995_200;

fn search_server() -> Server {
    let s = start(
        &contract(),
        &[
            ("dav/a.txt", b"hello"),
            ("dav/b.TXT", b"hi"),
            ("dav/big.bin", &[b'z'; 1000]),
            ("dav/docs/readme.md", b"# readme\n"),
            ("dav/docs/notes_1.txt", &[b'x'; 20]),
            ("ro/r.txt", b"r"),
            ("site/a.txt", b"static"),
        ],
    );
    std::fs::create_dir(s.path("dav/empty")).unwrap();
    for (p, t) in [("dav/a.txt", Y2020), ("dav/b.TXT", Y2021), ("dav/big.bin", Y2022), ("dav/docs/readme.md", Y2022), ("dav/docs/notes_1.txt", Y2020)] {
        std::fs::File::options().write(true).open(s.path(p)).unwrap().set_modified(UNIX_EPOCH + Duration::from_secs(t)).unwrap();
    }
    for (path, props) in [("/dav/a.txt", "<Z:color>red</Z:color>"), ("/dav/big.bin", "<Z:color>blue</Z:color>")] {
        let body = format!(r#"<D:propertyupdate {NS}><D:set><D:prop>{props}</D:prop></D:set></D:propertyupdate>"#);
        let r = send(&s, &format!("PROPPATCH {path} HTTP/1.1\nContent-Type: application/xml\n"), body.as_bytes());
        assert_eq!(r.status, 207, "{}", r.text());
        assert!(r.text().contains("200 OK"));
    }
    s
}

fn search(s: &Server, path: &str, where_: &str, extra: &str) -> Vec<String> {
    let r = send(s, &format!("SEARCH {path} HTTP/1.1\nContent-Type: application/xml\n"), search_body(path, where_, extra).as_bytes());
    assert_eq!(r.status, 207, "{where_}: {}", r.text());
    assert_eq!(r.header("content-type"), Some(r#"application/xml; charset="utf-8""#));
    assert!(r.text().contains("<D:multistatus"));
    hrefs(&r.text())
}

#[test]
fn t69_s1_s3_search_each_operator_through_the_server() {
    let s = search_server();
    let len = "<D:getcontentlength/>";
    let name = "<D:displayname/>";
    let files_only = "<D:not><D:is-collection/></D:not>";
    assert_eq!(
        search(&s, "/dav/", "", ""),
        ["/dav/", "/dav/a.txt", "/dav/b.TXT", "/dav/big.bin", "/dav/docs/", "/dav/docs/notes_1.txt", "/dav/docs/readme.md", "/dav/empty/"]
    );
    assert_eq!(search(&s, "/dav/", &cmp("eq", len, "5"), ""), ["/dav/a.txt"]);
    assert_eq!(search(&s, "/dav/", &cmp("lt", len, "5"), ""), ["/dav/b.TXT"]);
    assert_eq!(search(&s, "/dav/", &cmp("lte", len, "5"), ""), ["/dav/a.txt", "/dav/b.TXT"]);
    assert_eq!(search(&s, "/dav/", &cmp("gt", len, "9"), ""), ["/dav/big.bin", "/dav/docs/notes_1.txt"]);
    assert_eq!(search(&s, "/dav/", &cmp("gte", len, "9"), ""), ["/dav/big.bin", "/dav/docs/notes_1.txt", "/dav/docs/readme.md"]);
    assert_eq!(search(&s, "/dav/", &cmp("like", name, "%.txt"), ""), ["/dav/a.txt", "/dav/docs/notes_1.txt"]);
    let caseless = format!(r#"<D:like caseless="yes"><D:prop>{name}</D:prop><D:literal>%.txt</D:literal></D:like>"#);
    assert_eq!(search(&s, "/dav/", &caseless, ""), ["/dav/a.txt", "/dav/b.TXT", "/dav/docs/notes_1.txt"]);
    assert_eq!(search(&s, "/dav/", "<D:is-collection/>", ""), ["/dav/", "/dav/docs/", "/dav/empty/"]);
    let defined = "<D:is-defined><D:prop><Z:color/></D:prop></D:is-defined>";
    assert_eq!(search(&s, "/dav/", defined, ""), ["/dav/a.txt", "/dav/big.bin"]);
    let red = cmp("eq", "<Z:color/>", "red");
    assert_eq!(search(&s, "/dav/", &red, ""), ["/dav/a.txt"]);
    assert_eq!(search(&s, "/dav/", &format!("<D:and>{defined}<D:not>{red}</D:not></D:and>"), ""), ["/dav/big.bin"]);
    assert_eq!(search(&s, "/dav/", &format!("<D:or>{red}{}</D:or>", cmp("eq", len, "2")), ""), ["/dav/a.txt", "/dav/b.TXT"]);
    assert_eq!(
        search(&s, "/dav/", &format!("<D:and>{files_only}{}</D:and>", cmp("gt", "<D:getlastmodified/>", "2021-06-01T00:00:00Z")), ""),
        ["/dav/big.bin", "/dav/docs/readme.md"]
    );
    let order = format!("<D:orderby><D:order><D:prop>{len}</D:prop><D:descending/></D:order></D:orderby><D:limit><D:nresults>3</D:nresults></D:limit>");
    assert_eq!(search(&s, "/dav/", files_only, &order), ["/dav/big.bin", "/dav/docs/notes_1.txt", "/dav/docs/readme.md"]);
    // A narrower scope, and anonymous SEARCH on the authenticated route (a safe method).
    assert_eq!(search(&s, "/dav/docs/", files_only, ""), ["/dav/docs/notes_1.txt", "/dav/docs/readme.md"]);
    std::fs::write(s.path("files/f.txt"), "f").unwrap();
    assert_eq!(search(&s, "/files/", files_only, ""), ["/files/f.txt"]);
    // Error answers (S-4): unsupported operator, foreign grammar, not XML, scope elsewhere.
    let contains = send(&s, "SEARCH /dav/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/dav/", "<D:contains>hello</D:contains>", "").as_bytes());
    assert_eq!(contains.status, 422, "DAV:contains is optional and not offered: {}", contains.text());
    let grammar = r#"<D:searchrequest xmlns:D="DAV:"><x:sql xmlns:x="urn:x">select</x:sql></D:searchrequest>"#;
    let r = send(&s, "SEARCH /dav/ HTTP/1.1\nContent-Type: application/xml\n", grammar.as_bytes());
    assert_eq!(r.status, 403);
    assert!(r.text().contains("search-grammar-supported"));
    assert_eq!(send(&s, "SEARCH /dav/ HTTP/1.1\nContent-Type: application/xml\n", b"<D:searchrequest").status, 400);
    let r = send(&s, "SEARCH /dav/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/ro/", "", "").as_bytes());
    assert!(r.status == 409 || r.status == 400 || r.status == 403, "a scope outside the arbiter's route: {r:?}");
}

#[test]
fn s2_s5_search_discovery_and_dispatch_per_route() {
    let s = search_server();
    let dav = s.req("OPTIONS /dav/ HTTP/1.1\n");
    assert_eq!(dav.header("dasl"), Some("<DAV:basicsearch>"));
    assert!(dav.list("allow").contains(&"SEARCH".to_string()));
    let ro = s.req("OPTIONS /ro/ HTTP/1.1\n");
    assert_eq!(ro.status, 200);
    assert!(ro.header("dasl").is_none(), "S-2: SEARCH is off on /ro/");
    assert!(!ro.list("allow").contains(&"SEARCH".to_string()));
    let r = send(&s, "SEARCH /ro/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/ro/", "", "").as_bytes());
    assert_eq!(r.status, 405, "S-5: handler with SEARCH off");
    assert!(!r.list("allow").contains(&"SEARCH".to_string()));
    assert!(r.list("allow").contains(&"PROPFIND".to_string()));
    r.assert_error_shape();
    let r = send(&s, "SEARCH /static/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/static/", "", "").as_bytes());
    assert_eq!(r.status, 501, "S-5: no WebDAV handler");
    assert!(r.header("dav").is_none() && r.header("allow").is_none());
    // SEARCH answers are never stored by caches.
    let r = send(&s, "SEARCH /dav/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/dav/", "", "").as_bytes());
    assert_eq!(r.status, 207);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

// ---------------------------------------------------------------------------------------
// The checklist rows (section 10) for /dav/, /ro/ and /static/
// ---------------------------------------------------------------------------------------

fn rows_server() -> Server {
    start(&contract(), &[("dav/f", b"0123456789"), ("dav/g", b"gg"), ("dav/tmp", b"t"), ("ro/r.txt", b"r"), ("site/a.txt", b"static")])
}

const DAV_METHODS: [&str; 8] = ["PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH"];

#[test]
fn t57_d3_s2_options_dav_advertises_classes_allow_and_dasl() {
    let s = rows_server();
    let r = s.req("OPTIONS /dav/ HTTP/1.1\n");
    assert_eq!(r.status, 200);
    let dav = r.list("dav");
    assert!(dav.contains(&"1".into()) && dav.contains(&"2".into()), "{dav:?}");
    assert_eq!(r.header("dasl"), Some("<DAV:basicsearch>"));
    assert_eq!(r.header("content-length"), Some("0"));
    assert!(r.header("date").is_some());
    // /dav/ is an existing collection: no PUT and no MKCOL on it (RFC 4918 §9.3.1).
    assert_eq!(
        r.list("allow"),
        set(&["GET", "HEAD", "OPTIONS", "DELETE", "PROPFIND", "PROPPATCH", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH"])
    );
    // An unmapped URL allows MKCOL and PUT; a file allows PUT.
    let new = s.req("OPTIONS /dav/new/ HTTP/1.1\n").list("allow");
    assert!(new.contains(&"MKCOL".into()) && new.contains(&"PUT".into()), "{new:?}");
    let file = s.req("OPTIONS /dav/f HTTP/1.1\n").list("allow");
    assert!(file.contains(&"PUT".into()) && !file.contains(&"MKCOL".into()), "{file:?}");
    // The read-only route is class 1 only (no locks), no DASL; the static route is not DAV.
    let ro = s.req("OPTIONS /ro/ HTTP/1.1\n");
    assert_eq!(ro.header("dav"), Some("1"));
    assert_eq!(ro.list("allow"), set(&["GET", "HEAD", "OPTIONS", "PROPFIND"]));
    let st = s.req("OPTIONS /static/ HTTP/1.1\n");
    assert!(st.header("dav").is_none() && st.header("dasl").is_none(), "D-3: no DAV on a non-DAV route");
    assert!(s.req("OPTIONS * HTTP/1.1\n").header("dav").is_none());
}

#[test]
fn t58_d2_dav_methods_on_a_static_route_are_501_without_dav() {
    let s = rows_server();
    for m in DAV_METHODS {
        let r = s.req(&format!("{m} /static/a.txt HTTP/1.1\n"));
        assert_eq!(r.status, 501, "{m}");
        assert!(r.header("dav").is_none(), "{m}: ¬DAV");
        assert!(r.header("allow").is_none());
        r.assert_error_shape();
    }
}

#[test]
fn t59_d4_propfind_depth0_is_207_xml_with_one_href() {
    let s = rows_server();
    let r = s.req("PROPFIND /dav/f HTTP/1.1\nDepth: 0\n");
    assert_eq!(r.status, 207);
    assert!(r.header("content-type").unwrap().starts_with("application/xml"));
    assert_eq!(hrefs(&r.text()), ["/dav/f"]);
    assert!(r.text().contains("<D:getcontentlength>10</D:getcontentlength>"));
    // getetag agrees with the ETag GET sends (GET goes through the static-file code).
    let get = s.req("GET /dav/f HTTP/1.1\n");
    let etag = get.header("etag").unwrap().replace('"', "&quot;");
    assert!(r.text().contains(&format!("<D:getetag>{etag}</D:getetag>")), "{}", r.text());
    // Depth 1 on the collection lists its members; the read-only route answers PROPFIND.
    let mut members = hrefs(&s.req("PROPFIND /dav/ HTTP/1.1\nDepth: 1\n").text());
    members.sort();
    assert_eq!(members, ["/dav/", "/dav/f", "/dav/g", "/dav/tmp"]);
    assert_eq!(hrefs(&s.req("PROPFIND /ro/ HTTP/1.1\nDepth: 1\n").text()), ["/ro/", "/ro/r.txt"]);
}

#[test]
fn t60_d4_depth_infinity_403_and_malformed_xml_400() {
    let s = rows_server();
    let r = s.req("PROPFIND /dav/ HTTP/1.1\nDepth: infinity\n");
    assert_eq!(r.status, 403);
    assert!(r.text().contains("<D:propfind-finite-depth/>"), "{}", r.text());
    assert_eq!(s.req("PROPFIND /dav/ HTTP/1.1\n").status, 403, "no Depth means infinity");
    let r = send(&s, "PROPFIND /dav/f HTTP/1.1\nDepth: 0\nContent-Type: application/xml\n", b"<D:propfind xmlns:D=\"DAV:\"><D:prop>");
    assert_eq!(r.status, 400);
}

#[test]
fn t61_d6_mkcol_201_then_405_without_mkcol_and_409_for_missing_parent() {
    let s = rows_server();
    assert_eq!(s.req("MKCOL /dav/new/ HTTP/1.1\n").status, 201);
    assert!(s.path("dav/new").is_dir());
    let again = s.req("MKCOL /dav/new/ HTTP/1.1\n");
    assert_eq!(again.status, 405);
    assert!(!again.list("allow").contains(&"MKCOL".into()), "{:?}", again.list("allow"));
    assert!(again.list("allow").contains(&"PROPFIND".into()));
    assert_eq!(s.req("MKCOL /dav/a/b/c/ HTTP/1.1\n").status, 409);
    assert!(!s.path("dav/a").exists(), "no intermediate collections");
}

#[test]
fn t62_d2_s5_read_only_route_405_without_the_method_in_allow() {
    let s = rows_server();
    let r = s.req("MKCOL /ro/n/ HTTP/1.1\n");
    assert_eq!(r.status, 405);
    assert!(!r.list("allow").contains(&"MKCOL".into()));
    r.assert_error_shape();
    let r = s.req("SEARCH /ro/ HTTP/1.1\n");
    assert_eq!(r.status, 405);
    assert!(!r.list("allow").contains(&"SEARCH".into()));
    for (m, target) in [("PUT", "/ro/r.txt"), ("DELETE", "/ro/r.txt"), ("PROPPATCH", "/ro/r.txt"), ("LOCK", "/ro/r.txt"), ("COPY", "/ro/r.txt"), ("MOVE", "/ro/r.txt")] {
        let r = s.req(&format!("{m} {target} HTTP/1.1\nDestination: /ro/x\n"));
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.list("allow"), set(&["GET", "HEAD", "OPTIONS", "PROPFIND"]), "{m}");
    }
    assert_eq!(std::fs::read(s.path("ro/r.txt")).unwrap(), b"r");
    assert!(!s.path("ro/n").exists() && !s.path("ro/x").exists());
}

#[test]
fn t63_d7_copy_without_destination_400_and_overwrite_f_412() {
    let s = rows_server();
    assert_eq!(s.req("COPY /dav/f HTTP/1.1\n").status, 400);
    let r = s.req("COPY /dav/f HTTP/1.1\nDestination: /dav/g\nOverwrite: F\n");
    assert_eq!(r.status, 412);
    assert_eq!(std::fs::read(s.path("dav/g")).unwrap(), b"gg");
    // An absolute Destination on this server (as the client named it in Host) is local.
    assert_eq!(s.req("COPY /dav/f HTTP/1.1\nDestination: http://test/dav/copy\n").status, 201);
    assert_eq!(std::fs::read(s.path("dav/copy")).unwrap(), b"0123456789");
}

#[test]
fn t64_d7_move_to_new_name_201_onto_existing_204() {
    let s = rows_server();
    assert_eq!(s.req("MOVE /dav/f HTTP/1.1\nDestination: /dav/h\n").status, 201);
    assert!(!s.path("dav/f").exists());
    assert_eq!(std::fs::read(s.path("dav/h")).unwrap(), b"0123456789");
    let r = s.req("MOVE /dav/h HTTP/1.1\nDestination: /dav/g\n");
    assert_eq!(r.status, 204);
    assert!(r.header("content-length").is_none(), "E-2");
    assert_eq!(std::fs::read(s.path("dav/g")).unwrap(), b"0123456789");
}

#[test]
fn t65_t66_t67_d8_d10_d11_d9_lock_put_unlock_rows() {
    let s = rows_server();
    // T-65
    let r = send(&s, "LOCK /dav/f HTTP/1.1\nContent-Type: application/xml\n", LOCKINFO.as_bytes());
    assert_eq!(r.status, 200);
    let token = r.header("lock-token").expect("Lock-Token").trim_matches(['<', '>']).to_string();
    assert_eq!(send(&s, "LOCK /dav/f HTTP/1.1\nContent-Type: application/xml\n", LOCKINFO.as_bytes()).status, 423);
    // T-66
    let r = send(&s, "PUT /dav/f HTTP/1.1\n", b"new");
    assert_eq!(r.status, 423);
    assert!(r.text().contains("lock-token-submitted"));
    let r = send(&s, "PUT /dav/f HTTP/1.1\nIf: (<urn:uuid:00000000-0000-0000-0000-000000000000>)\n", b"new");
    assert_eq!(r.status, 412);
    assert_eq!(std::fs::read(s.path("dav/f")).unwrap(), b"0123456789");
    assert_eq!(send(&s, &format!("PUT /dav/f HTTP/1.1\nIf: (<{token}>)\n"), b"new").status, 204);
    // T-67
    assert_eq!(s.req("UNLOCK /dav/f HTTP/1.1\n").status, 400);
    let r = s.req(&format!("UNLOCK /dav/f HTTP/1.1\nLock-Token: <{token}>\n"));
    assert_eq!(r.status, 204);
    assert!(r.header("content-length").is_none() && r.header("transfer-encoding").is_none(), "E-2 on 204");
    assert_eq!(s.req(&format!("UNLOCK /dav/f HTTP/1.1\nLock-Token: <{token}>\n")).status, 409, "no longer locked");
}

#[test]
fn t68_d14_copy_with_an_ignored_body_is_415() {
    let s = rows_server();
    let r = send(&s, "COPY /dav/f HTTP/1.1\nDestination: /dav/c2\n", b"hello");
    assert_eq!(r.status, 415);
    assert!(!s.path("dav/c2").exists());
}

#[test]
fn t69_s1_s5_search_207_on_dav_501_on_static() {
    let s = rows_server();
    let r = send(&s, "SEARCH /dav/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/dav/", "<D:is-collection/>", "").as_bytes());
    assert_eq!(r.status, 207);
    assert!(r.text().contains(r#"<D:multistatus xmlns:D="DAV:">"#));
    assert_eq!(hrefs(&r.text()), ["/dav/"]);
    let r = send(&s, "SEARCH /static/ HTTP/1.1\nContent-Type: application/xml\n", search_body("/static/", "", "").as_bytes());
    assert_eq!(r.status, 501);
}

#[test]
fn t22_e2_delete_is_204_with_neither_content_length_nor_transfer_encoding() {
    let s = rows_server();
    let mut c = s.connect();
    c.send(&crlf("DELETE /dav/tmp HTTP/1.1\n"));
    let r = c.response(false);
    assert_eq!(r.status, 204);
    assert!(r.header("content-length").is_none(), "E-2: ¬Content-Length");
    assert!(r.header("transfer-encoding").is_none(), "E-2: ¬Transfer-Encoding");
    assert!(r.header("date").is_some());
    assert!(!s.path("dav/tmp").exists());
    // Nothing followed the head: the next answer on the connection is the next request's.
    c.send(&crlf("GET /dav/tmp HTTP/1.1\n"));
    assert_eq!(c.response(false).status, 404);
    // D-15: a collection goes with all its members.
    std::fs::create_dir_all(s.path("dav/col/sub")).unwrap();
    std::fs::write(s.path("dav/col/sub/x"), "x").unwrap();
    assert_eq!(s.req("DELETE /dav/col/ HTTP/1.1\n").status, 204);
    assert!(!s.path("dav/col").exists());
    assert_eq!(s.req("PROPFIND /dav/col/ HTTP/1.1\nDepth: 0\n").status, 404);
}

#[test]
fn get_sees_every_write_at_once_and_outside_changes_within_seconds() {
    // GET and HEAD on WebDAV routes share the static-file code, which keeps small files in
    // memory; writes through the server must still show at once, before and after the
    // window in which every GET re-checks the disk.
    let s = start(&contract(), &[("dav/f.txt", b"version 0")]);
    assert_eq!(s.req("GET /dav/f.txt HTTP/1.1\n").body, b"version 0");
    for i in 1..=5 {
        let body = format!("version {i}");
        assert_eq!(send(&s, "PUT /dav/f.txt HTTP/1.1\n", body.as_bytes()).status, 204);
        let get = s.req("GET /dav/f.txt HTTP/1.1\n");
        assert_eq!(get.text(), body, "same length, new content, seen at once");
        let head = s.req("HEAD /dav/f.txt HTTP/1.1\n");
        assert_eq!(head.header("etag"), get.header("etag"));
    }
    // After the window: the entry cached before the last write is not served.
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(s.req("GET /dav/f.txt HTTP/1.1\n").text(), "version 5");
    assert_eq!(s.req("GET /dav/f.txt HTTP/1.1\n").text(), "version 5", "cached now");
    // MOVE and DELETE are seen at once too.
    assert_eq!(s.req("MOVE /dav/f.txt HTTP/1.1\nDestination: /dav/g.txt\n").status, 201);
    assert_eq!(s.req("GET /dav/f.txt HTTP/1.1\n").status, 404);
    assert_eq!(s.req("GET /dav/g.txt HTTP/1.1\n").text(), "version 5");
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(s.req("GET /dav/g.txt HTTP/1.1\n").text(), "version 5");
    assert_eq!(s.req("DELETE /dav/g.txt HTTP/1.1\n").status, 204);
    assert_eq!(s.req("GET /dav/g.txt HTTP/1.1\n").status, 404);
    // A change made beside the server shows within the static routes' re-check interval.
    std::fs::write(s.path("dav/h.txt"), "outside 1").unwrap();
    assert_eq!(s.req("GET /dav/h.txt HTTP/1.1\n").text(), "outside 1");
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(s.req("GET /dav/h.txt HTTP/1.1\n").text(), "outside 1");
    std::fs::write(s.path("dav/h.txt.new"), "outside 2").unwrap();
    std::fs::rename(s.path("dav/h.txt.new"), s.path("dav/h.txt")).unwrap();
    wait_until("the outside change to show", Duration::from_millis(1500), || s.req("GET /dav/h.txt HTTP/1.1\n").text() == "outside 2");
}

// ---------------------------------------------------------------------------------------
// Crash safety and upload limits
// ---------------------------------------------------------------------------------------

const FIFTY_MIB: usize = 50 << 20;

#[test]
fn crash_kill9_mid_upload_leaves_the_old_file_or_nothing_and_restart_removes_temporaries() {
    let old = common::pseudo_random(5 << 20, 1);
    let old_sha = sha256(&old);
    let cfg = contract();
    let mut s = start(&cfg, &[("dav/big.bin", &old), ("dav/sub/keep.txt", b"k")]);
    // Two 50 MiB uploads in flight: one over the existing file, one to a new name.
    let mut over = s.connect();
    over.send(&crlf(&format!("PUT /dav/big.bin HTTP/1.1\nContent-Length: {FIFTY_MIB}\n")));
    let mut fresh = s.connect();
    fresh.send(&crlf(&format!("PUT /dav/sub/fresh.bin HTTP/1.1\nContent-Length: {FIFTY_MIB}\n")));
    let chunk = common::pseudo_random(256 << 10, 2);
    for _ in 0..24 {
        over.send(&chunk);
        fresh.send(&chunk);
        std::thread::sleep(Duration::from_millis(5));
    }
    let dav = s.path("dav");
    // Both uploads have reached their temporaries (streamed, not buffered in memory).
    wait_until("both temporaries to hold data", Duration::from_secs(20), || {
        let t = temporaries(&dav);
        t.len() == 2 && t.iter().all(|p| p.metadata().map(|m| m.len() >= 1 << 20).unwrap_or(false))
    });
    s.signal(libc::SIGKILL);
    // Killed by a signal, the process has no exit code; once reaped, /proc forgets it.
    assert_eq!(s.wait_exit(Duration::from_secs(10)), None);
    let pid = s.pid();
    wait_until("the server to be gone", Duration::from_secs(10), || !Path::new(&format!("/proc/{pid}")).exists());
    // At the moment of the crash: the old file whole, the new name absent, debris present.
    assert_eq!(sha256_file(&dav.join("big.bin")), old_sha, "never a partial file");
    assert!(!dav.join("sub/fresh.bin").exists(), "a new name appears only when complete");
    assert_eq!(temporaries(&dav).len(), 2, "the crash left its temporaries (what the restart must clean)");

    // Restart on the same folder.
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
    drop(s);
    let s = Server::start_in(dir, &cfg, &[]);
    assert!(temporaries(s.dir.path()).is_empty(), "start-up removed every .methodical-tmp-* file");
    assert_eq!(sha256_file(&s.path("dav/big.bin")), old_sha);
    let r = s.req("GET /dav/big.bin HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(sha256(&r.body), old_sha);
    assert_eq!(s.req("GET /dav/sub/fresh.bin HTTP/1.1\n").status, 404);
    assert!(!s.path("dav/sub/fresh.bin").exists());
    assert_eq!(hrefs(&s.req("PROPFIND /dav/sub/ HTTP/1.1\nDepth: 1\n").text()), ["/dav/sub/", "/dav/sub/keep.txt"]);
    // A complete upload after the restart works and replaces the file.
    let new = common::pseudo_random(3 << 20, 3);
    assert_eq!(send(&s, "PUT /dav/big.bin HTTP/1.1\n", &new).status, 204);
    assert_eq!(sha256_file(&s.path("dav/big.bin")), sha256(&new));
    assert!(temporaries(s.dir.path()).is_empty());
}

/// One request on its own connection, tolerant of a server that dies meanwhile: the status,
/// or `None` when there was no complete answer.
fn try_request(addr: std::net::SocketAddr, head: &str, body: &[u8]) -> Option<u16> {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req = crlf(&format!("{head}Connection: close\nContent-Length: {}\n", body.len()));
    req.extend_from_slice(body);
    stream.write_all(&req).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    std::str::from_utf8(answer.get(9..12)?).ok()?.parse().ok()
}

/// Issue 8 item 6: kill -9 at random moments of a PUT / COPY / MOVE / PROPPATCH / LOCK
/// workload, four times over, restarting on the same folder each time. After every crash:
/// each file holds one complete version (never part of one), each collection copy is whole
/// or absent, and after the restart no temporary and no stranded property store remains, and
/// locks are gone (README: locks live in memory and are lost on restart).
#[test]
fn crash_kill9_at_random_points_of_a_copy_move_put_workload_loses_nothing() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    const SOURCE_FILES: usize = 24;
    const VERSIONS: u64 = 64;
    let version = |k: u64| common::pseudo_random(48 << 10 | (k as usize * 1021), 100 + k);
    let known: std::collections::HashSet<String> = (0..VERSIONS).map(|k| sha256(&version(k))).collect();
    let source: Vec<(String, Vec<u8>)> = (0..SOURCE_FILES).map(|i| (format!("dav/src/s{i:02}"), common::pseudo_random(128 << 10, 1000 + i as u64))).collect();
    let source_hashes: BTreeMap<String, String> = source.iter().map(|(n, c)| (n.trim_start_matches("dav/src/").to_string(), sha256(c))).collect();
    let mut files: Vec<(&str, &[u8])> = source.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    let initial: Vec<(String, Vec<u8>)> = (0..8).map(|i| (format!("dav/a/f{i}"), version(i))).collect();
    files.extend(initial.iter().map(|(n, c)| (n.as_str(), c.as_slice())));
    files.push(("dav/locked.txt", b"locked"));
    files.push(("dav/b/.keep", b""));
    let cfg = contract();
    let mut s = start(&cfg, &files);
    let seed = std::time::SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("kill points seeded with {seed}");
    let mut rng = seed | 1;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };

    for round in 0..4 {
        let token = lock(&s, "/dav/locked.txt", "");
        assert_eq!(send(&s, "PUT /dav/locked.txt HTTP/1.1\n", b"x").status, 423, "the lock holds before the crash");
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let workers: Vec<_> = (0..4u64)
            .map(|w| {
                let (addr, stop, answered) = (s.addr, stop.clone(), answered.clone());
                let bodies: Vec<Vec<u8>> = (0..VERSIONS).map(version).collect();
                std::thread::spawn(move || {
                    let mut n = w * 7919 + round * 104_729;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let (f, k) = (n % 8, (n * 31) % VERSIONS);
                        let ok = match (w, n % 3) {
                            (0, _) => try_request(addr, &format!("PUT /dav/a/f{f} HTTP/1.1\n"), &bodies[k as usize]),
                            (1, 0) => try_request(addr, &format!("COPY /dav/src/ HTTP/1.1\nDestination: /dav/c{}/\nOverwrite: T\n", n % 3), b""),
                            (1, _) => try_request(addr, &format!("MOVE /dav/c{}/ HTTP/1.1\nDestination: /dav/m{}/\nOverwrite: T\n", n % 3, n % 2), b""),
                            (2, 0) => try_request(addr, &format!("MOVE /dav/a/f{f} HTTP/1.1\nDestination: /dav/b/f{f}\nOverwrite: T\n"), b""),
                            (2, 1) => try_request(addr, &format!("MOVE /dav/b/f{f} HTTP/1.1\nDestination: /dav/a/f{f}\nOverwrite: T\n"), b""),
                            (2, _) => try_request(addr, &format!("COPY /dav/a/f{f} HTTP/1.1\nDestination: /dav/b/f{}\nOverwrite: T\n", (f + 1) % 8), b""),
                            _ => {
                                let body = format!(r#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop><Z:n>{n}</Z:n></D:prop></D:set></D:propertyupdate>"#);
                                let dir = if n % 2 == 0 { "a" } else { "b" };
                                try_request(addr, &format!("PROPPATCH /dav/{dir}/f{f} HTTP/1.1\nContent-Type: application/xml\n"), body.as_bytes())
                            }
                        };
                        if ok.is_some() {
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300 + next(1200)));
        s.signal(libc::SIGKILL);
        assert_eq!(s.wait_exit(Duration::from_secs(10)), None, "killed by the signal");
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        let answered = answered.load(Ordering::Relaxed);
        assert!(answered > 10, "round {round}: the workload ran ({answered} answers) before the kill");

        let dav = s.path("dav");
        let check_tree = |when: &str| {
            for (rel, hash) in tree_hashes(&dav) {
                if let Some(member) = rel.strip_prefix("src/") {
                    assert_eq!(source_hashes.get(member), Some(&hash), "{when}: the copy source is untouched");
                } else if rel.starts_with('c') || rel.starts_with('m') {
                    let (_, member) = rel.split_once('/').unwrap();
                    assert_eq!(source_hashes.get(member), Some(&hash), "{when}: {rel} is a complete copy of a source file");
                } else if rel != "locked.txt" && rel != "b/.keep" {
                    assert!(known.contains(&hash), "{when}: {rel} holds one whole version, not part of one");
                }
            }
            // A collection copy is whole or absent.
            for top in std::fs::read_dir(&dav).unwrap().flatten() {
                let name = top.file_name().to_string_lossy().into_owned();
                if top.path().is_dir() && (name.starts_with('c') || name.starts_with('m')) {
                    let members: Vec<String> = tree_hashes(&top.path()).into_keys().collect();
                    assert_eq!(members, source_hashes.keys().cloned().collect::<Vec<_>>(), "{when}: {name}/ is a whole copy");
                }
            }
        };
        check_tree(&format!("round {round}, after the crash"));

        let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
        drop(s);
        s = Server::start_in(dir, &cfg, &[]);
        let dav = s.path("dav");
        check_tree(&format!("round {round}, after the restart"));
        assert!(temporaries(&dav).is_empty(), "round {round}: start-up removed every temporary: {:?}", temporaries(&dav));
        for path in walk(&dav) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(file) = name.strip_prefix(".methodical-props-") {
                assert!(path.with_file_name(file).is_file(), "round {round}: {} belongs to no file", path.display());
            }
        }
        for dir in ["/dav/", "/dav/a/", "/dav/b/"] {
            let r = send(&s, &format!("PROPFIND {dir} HTTP/1.1\nDepth: 1\n"), b"");
            assert_eq!(r.status, 207, "round {round}: PROPFIND {dir} after the restart: {r:?}");
        }
        // Locks lived in memory: the old token is unknown and the resource is writable.
        let r = send(&s, &format!("UNLOCK /dav/locked.txt HTTP/1.1\nLock-Token: <{token}>\n"), b"");
        assert_eq!(r.status, 409, "round {round}: the lock did not survive the restart: {r:?}");
        assert_eq!(send(&s, "PUT /dav/locked.txt HTTP/1.1\n", b"locked").status, 204);
    }
}

#[test]
fn upload_cut_off_by_the_client_leaves_the_old_file_and_no_temporary() {
    let s = start(&contract(), &[("dav/f.bin", b"old content")]);
    let mut c = s.connect();
    c.send(&crlf("PUT /dav/f.bin HTTP/1.1\nContent-Length: 10000000\n"));
    c.send(&common::pseudo_random(2 << 20, 9));
    wait_until("the temporary", Duration::from_secs(10), || !temporaries(&s.path("dav")).is_empty());
    drop(c);
    wait_until("the temporary to go", Duration::from_secs(10), || temporaries(&s.path("dav")).is_empty());
    assert_eq!(std::fs::read(s.path("dav/f.bin")).unwrap(), b"old content");
}

#[test]
fn e5_t18_webdav_route_max_body_413() {
    let cfg = config(r#"["alice"]"#, "\n[[route]]\nprefix = \"/small/\"\nwebdav = { root = \"small\", anonymous_write = true }\nmax_body = \"1MiB\"\n");
    let s = start(&cfg, &[]);
    // Announced too large: 413 from the head alone, Connection: close.
    let mut c = s.connect();
    c.send(&crlf("PUT /small/big HTTP/1.1\nContent-Length: 2097152\n"));
    let r = c.response(false);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    r.assert_error_shape();
    // With Expect: 100-continue: the 413 comes first, never a 100.
    let mut c = s.connect();
    c.send(&crlf("PUT /small/big HTTP/1.1\nContent-Length: 2097152\nExpect: 100-continue\n"));
    let r = c.read_head();
    assert_eq!(r.status, 413, "no 100 Continue before the 413");
    // Chunked, so only counting finds it: 413 too, and nothing stored.
    let mut c = s.connect();
    c.send(&crlf("PUT /small/chunked HTTP/1.1\nTransfer-Encoding: chunked\n"));
    let piece = common::pseudo_random(64 << 10, 4);
    for _ in 0..32 {
        let mut chunk = format!("{:x}\r\n", piece.len()).into_bytes();
        chunk.extend_from_slice(&piece);
        chunk.extend_from_slice(b"\r\n");
        if c.stream.write_all(&chunk).is_err() {
            // The server answered and closed once the limit was passed.
            break;
        }
    }
    let _ = c.stream.write_all(b"0\r\n\r\n");
    let r = c.response(false);
    assert_eq!(r.status, 413, "{r:?}");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(!s.path("small/chunked").exists());
    assert!(temporaries(&s.path("small")).is_empty());
    // Exactly the limit is fine.
    let full = common::pseudo_random(1 << 20, 5);
    assert_eq!(send(&s, "PUT /small/exact HTTP/1.1\n", &full).status, 201);
    assert_eq!(sha256_file(&s.path("small/exact")), sha256(&full));
    // The default limit of /dav/ is far larger.
    assert_eq!(send(&s, "PUT /dav/two HTTP/1.1\n", &common::pseudo_random(2 << 20, 6)).status, 201);
}

// ---------------------------------------------------------------------------------------
// Targets that try to leave the root
// ---------------------------------------------------------------------------------------

#[test]
fn paths_cannot_leave_the_webdav_root() {
    let s = start(&contract(), &[("dav/f", b"inside"), ("dav/sub/g", b"g"), ("secret.txt", b"TOP SECRET"), ("outside/o.txt", b"OUTSIDE")]);
    std::os::unix::fs::symlink(s.path("outside"), s.path("dav/link")).unwrap();
    std::os::unix::fs::symlink(s.path("secret.txt"), s.path("dav/flink")).unwrap();
    let before_outside = tree_hashes(&s.path("outside"));
    let escapes = [
        "/dav/../secret.txt",
        "/dav/%2e%2e/secret.txt",
        "/dav/%2E%2E/secret.txt",
        "/dav/.%2e/secret.txt",
        "/dav/..%2fsecret.txt",
        "/dav/..%2Fsecret.txt",
        "/dav/sub/..%2f..%2fsecret.txt",
        "/dav/sub/%2e%2e/%2e%2e/secret.txt",
        "/dav/%2fetc%2fpasswd",
        "/dav/..%5csecret.txt",
        "/dav/link/o.txt",
        "/dav/flink",
    ];
    for target in escapes {
        let r = s.req(&format!("GET {target} HTTP/1.1\n"));
        assert!(matches!(r.status, 400 | 403 | 404), "GET {target}: {}", r.status);
        assert!(!r.text().contains("TOP SECRET") && !r.text().contains("OUTSIDE"), "GET {target} leaked");
        let r = s.req(&format!("PROPFIND {target} HTTP/1.1\nDepth: 0\n"));
        assert!(matches!(r.status, 400 | 403 | 404), "PROPFIND {target}: {}", r.status);
        let r = send(&s, &format!("PUT {target} HTTP/1.1\n"), b"PWNED");
        assert!(matches!(r.status, 400 | 403 | 404 | 409), "PUT {target}: {}", r.status);
        let r = s.req(&format!("DELETE {target} HTTP/1.1\n"));
        assert!(matches!(r.status, 400 | 403 | 404), "DELETE {target}: {}", r.status);
    }
    for target in ["/dav/link/new.txt", "/dav/%2e%2e/new.txt", "/dav/..%2fnew.txt"] {
        let r = send(&s, &format!("PUT {target} HTTP/1.1\n"), b"PWNED");
        assert!(matches!(r.status, 400 | 403 | 404 | 409), "PUT {target}: {}", r.status);
        let r = s.req(&format!("MKCOL {}/ HTTP/1.1\n", target.trim_end_matches(".txt")));
        assert!(matches!(r.status, 400 | 403 | 404 | 405 | 409), "MKCOL {target}: {}", r.status);
    }
    // Destination that leaves the root, or names another server.
    // The Host the harness sends is `test`: these absolute Destinations are local ones.
    let local = "http://test";
    // A Destination resolving outside the root is refused as unwritable (403); one on
    // another route of this server, or on another server, cannot be handled here (502).
    for (dest, status) in [
        (format!("{local}/dav/../escaped.txt"), 403),
        (format!("{local}/dav/%2e%2e/escaped.txt"), 403),
        (format!("{local}/dav/..%2fescaped.txt"), 403),
        (format!("{local}/dav/sub/%2e%2e/%2e%2e/escaped.txt"), 403),
        (format!("{local}/dav/link/escaped.txt"), 403),
        ("/dav/%2e%2e/escaped.txt".to_string(), 403),
        ("/dav/link/escaped.txt".to_string(), 403),
        (format!("{local}/static/escaped.txt"), 502),
        (format!("{local}/files/escaped.txt"), 502),
        ("http://elsewhere.example/dav/x".to_string(), 502),
    ] {
        for m in ["COPY", "MOVE"] {
            let r = s.req(&format!("{m} /dav/sub/g HTTP/1.1\nDestination: {dest}\n"));
            assert_eq!(r.status, status, "{m} → {dest}");
        }
    }
    // Nothing was written or removed outside the root.
    assert_eq!(std::fs::read(s.path("secret.txt")).unwrap(), b"TOP SECRET");
    assert_eq!(tree_hashes(&s.path("outside")), before_outside);
    // `..` twice from the root lands beside the server's folder: look there too.
    let beside: Vec<PathBuf> = std::fs::read_dir(s.dir.path().parent().unwrap()).unwrap().flatten().map(|e| e.path()).collect();
    for p in walk(s.dir.path()).iter().chain(beside.iter()) {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(!name.starts_with("escaped") && name != "new.txt" && name != "new", "written outside the root: {}", p.display());
        if p.is_file() && !p.starts_with(s.path("dav")) && p.metadata().map(|m| m.len() < 64).unwrap_or(false) {
            assert_ne!(std::fs::read(p).unwrap_or_default(), b"PWNED", "{}", p.display());
        }
    }
    assert_eq!(std::fs::read(s.path("dav/sub/g")).unwrap(), b"g", "g stayed where it was");
    // The file inside is still served.
    assert_eq!(s.req("GET /dav/f HTTP/1.1\n").body, b"inside");
}
