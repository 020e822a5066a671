//! Folder listings (issue 7, `browse = true` in `static = {…}` or `webdav = {…}`): the HTML
//! page and the JSON, escaping, sorting links, validators, HEAD, index files winning, and the
//! page in headless Chromium (`tests/browser/listing.mjs`, screenshots in
//! `target/browser/`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;

/// `<script>alert(1)</script>.txt` cannot exist (a `/` in a Unix file name), so the script
/// name is unclosed, and an `<img onerror>` name stands for markup that runs without one.
const SCRIPT_NAME: &str = "<script>alert(1)<script>.txt";
const IMG_NAME: &str = "<img src=x onerror=alert(2)>.txt";

fn config() -> &'static str {
    "[[route]]\nprefix = \"/files/\"\nstatic = { root = \"site\", browse = true }\n\n\
     [[route]]\nprefix = \"/packed/\"\nstatic = { root = \"site\", browse = true }\ncompress = true\n\n\
     [[route]]\nprefix = \"/closed/\"\nstatic = { root = \"site\" }\n\n\
     [[route]]\nprefix = \"/dav/\"\nwebdav = { root = \"site\", read_only = true, browse = true }\n\n\
     [[route]]\nprefix = \"/davclosed/\"\nwebdav = { root = \"site\", read_only = true }\n"
}

fn server() -> Server {
    let s = Server::start(
        config(),
        &[
            ("site/a file.txt", b"a file"),
            (&format!("site/{SCRIPT_NAME}"), b"not a script"),
            (&format!("site/{IMG_NAME}"), b"not an image"),
            ("site/zeta.bin", &[7u8; 5000]),
            ("site/ünïcode.txt", b"utf-8 names"),
            ("site/.methodical-props", b"internal"),
            ("site/docs/guide.txt", b"read me"),
            ("site/docs/deeper/x.txt", b"x"),
            ("site/withindex/index.html", b"<p>the index wins</p>"),
            ("site/withindex/other.txt", b"o"),
        ],
    );
    std::fs::create_dir(s.path("site/empty")).unwrap();
    s
}

fn vary_has(r: &common::RawResponse, token: &str) -> bool {
    r.list("vary").iter().any(|t| t.eq_ignore_ascii_case(token))
}

/// Positions of `needles` in `hay`, each of which must be present.
fn positions(hay: &str, needles: &[&str]) -> Vec<usize> {
    needles.iter().map(|n| hay.find(n).unwrap_or_else(|| panic!("{n:?} missing from:\n{hay}"))).collect()
}

#[test]
fn html_listing_names_sizes_dates_escaped_folders_first() {
    let s = server();
    let r = s.req("GET /files/ HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(vary_has(&r, "accept"), "Vary: Accept (HTML or JSON)");
    let tag = r.header("etag").unwrap();
    assert!(tag.starts_with('"'), "a strong ETag: {tag}");
    assert!(r.header("last-modified").is_none(), "a folder's mtime does not date its listing");
    assert!(r.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    let page = r.text();
    assert!(page.contains("<meta name=\"viewport\""), "readable on a phone");
    assert!(!page.contains("<script"), "no script at all, and names do not become one");
    assert!(!page.contains("<img"), "nor an image");
    assert!(page.contains(">&lt;script&gt;alert(1)&lt;script&gt;.txt</a>"), "the name shown as text");
    assert!(page.contains(">&lt;img src=x onerror=alert(2)&gt;.txt</a>"));
    assert!(page.contains("href=\"./%3Cscript%3Ealert%281%29%3Cscript%3E.txt\""), "the link percent-encoded");
    assert!(page.contains("href=\"./%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E.txt\""));
    assert!(page.contains("href=\"./a%20file.txt\""));
    assert!(page.contains("href=\"./%C3%BCn%C3%AFcode.txt\">ünïcode.txt</a>"));
    assert!(!page.contains(".methodical-"), "internal files never listed");
    let order = positions(&page, &[">docs/<", ">empty/<", ">withindex/<", ">a file.txt<", ">zeta.bin<"]);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "folders first, then by name: {order:?}");
    assert!(page.contains("title=\"5000 bytes\">4.9 KiB"), "sizes");
    assert!(page.contains("<time datetime=\""), "modification dates");
    // Sorting is links (no JavaScript): the current column links to the other order.
    assert!(page.contains("<a href=\"?sort=name&amp;order=desc\">Name ▲</a>"));
    assert!(page.contains("<a href=\"?sort=size&amp;order=asc\">Size</a>"));
    assert!(page.contains("<a href=\"?sort=modified&amp;order=asc\">Modified</a>"));
    assert!(!page.contains("Parent folder"), "no way up at the route's root");
    let inner = s.req("GET /files/docs/ HTTP/1.1\n").text();
    assert!(inner.contains("href=\"../\""), "a way up below it");
    assert!(inner.contains("<a href=\"/files/\">files</a>"), "breadcrumbs link the ancestors");
    assert!(inner.contains("<span aria-current=\"page\">docs</span>"));
}

#[test]
fn sorting_by_query() {
    let s = server();
    let desc = s.req("GET /files/?sort=name&order=desc HTTP/1.1\n").text();
    let order = positions(&desc, &[">withindex/<", ">empty/<", ">docs/<", ">zeta.bin<", ">a file.txt<"]);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "descending names, folders still first: {order:?}");
    let by_size = s.req("GET /files/?sort=size&order=desc HTTP/1.1\n").text();
    let order = positions(&by_size, &[">docs/<", ">zeta.bin<", ">ünïcode.txt<", ">a file.txt<"]);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "largest first: {order:?}");
    assert!(by_size.contains("<th class=\"size\" aria-sort=\"descending\"><a href=\"?sort=size&amp;order=asc\">Size ▼</a>"));
}

#[test]
fn json_for_accept_application_json() {
    let s = server();
    let r = s.req("GET /files/?sort=size&order=desc HTTP/1.1\nAccept: application/json\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(vary_has(&r, "accept"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["path"], "/files/");
    let entries = v["entries"].as_array().unwrap();
    let names: Vec<&str> = entries.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names[..3], ["withindex", "empty", "docs"], "folders first (all of size 0: by name, descending too)");
    assert_eq!(names[3], "zeta.bin", "largest file first");
    assert!(names.contains(&SCRIPT_NAME) && names.contains(&IMG_NAME) && names.contains(&"ünïcode.txt"));
    assert!(!names.iter().any(|n| n.starts_with(".methodical-")));
    let zeta = &entries[3];
    assert_eq!(zeta["type"], "file");
    assert_eq!(zeta["size"], 5000);
    assert_eq!(zeta["href"], "./zeta.bin");
    assert!(zeta["modified"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entries[0]["type"], "directory");
    assert_eq!(entries[0]["href"], "./withindex/");
    let html_tag = s.req("GET /files/?sort=size&order=desc HTTP/1.1\n").header("etag").unwrap().to_string();
    assert_ne!(r.header("etag"), Some(html_tag.as_str()), "HTML and JSON are two representations: two strong tags");
    // A browser's Accept gets the page.
    let browser = s.req("GET /files/ HTTP/1.1\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\n");
    assert_eq!(browser.header("content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn etag_revalidates_and_changes_with_the_folder() {
    let s = server();
    let first = s.req("GET /files/docs/ HTTP/1.1\n");
    let tag = first.header("etag").unwrap().to_string();
    let r = s.req(&format!("GET /files/docs/ HTTP/1.1\nIf-None-Match: {tag}\n"));
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some(tag.as_str()));
    assert!(vary_has(&r, "accept"));
    // Dates alone cannot tell whether a listing changed: ignored without Last-Modified.
    let r = s.req("GET /files/docs/ HTTP/1.1\nIf-Modified-Since: Sat, 01 Jan 2100 00:00:00 GMT\n");
    assert_eq!(r.status, 200);
    assert_eq!(s.req("GET /files/docs/ HTTP/1.1\nIf-Match: \"other\"\n").status, 412);
    std::fs::write(s.path("site/docs/new.txt"), b"new").unwrap();
    let changed = s.req(&format!("GET /files/docs/ HTTP/1.1\nIf-None-Match: {tag}\n"));
    assert_eq!(changed.status, 200, "a new file: a new listing");
    assert!(changed.text().contains(">new.txt<"));
    assert_ne!(changed.header("etag"), Some(tag.as_str()));
}

#[test]
fn head_has_the_headers_of_get() {
    let s = server();
    for accept in ["text/html", "application/json"] {
        let get = s.req(&format!("GET /files/ HTTP/1.1\nAccept: {accept}\n"));
        let head = s.req(&format!("HEAD /files/ HTTP/1.1\nAccept: {accept}\n"));
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        for name in ["content-type", "etag", "vary", "content-security-policy"] {
            assert_eq!(head.header(name), get.header(name), "{accept}: {name}");
        }
        assert_eq!(head.header("content-length"), Some(get.body.len().to_string().as_str()));
    }
}

#[test]
fn index_files_win_and_folders_redirect() {
    let s = server();
    let r = s.req("GET /files/withindex/ HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"<p>the index wins</p>");
    let r = s.req("GET /files/docs HTTP/1.1\n");
    assert_eq!(r.status, 308);
    assert_eq!(r.header("location"), Some("/files/docs/"));
    let r = s.req("GET /closed/ HTTP/1.1\n");
    assert_eq!(r.status, 403, "listings are off unless asked for");
}

#[test]
fn compressed_listing_has_its_own_etag() {
    let s = server();
    let plain = s.req("GET /packed/ HTTP/1.1\n");
    let gz = s.req("GET /packed/ HTTP/1.1\nAccept-Encoding: gzip\n");
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(vary_has(&gz, "accept") && vary_has(&gz, "accept-encoding"));
    assert!(vary_has(&plain, "accept-encoding"), "the identity varies too");
    let (plain_tag, gz_tag) = (plain.header("etag").unwrap(), gz.header("etag").unwrap());
    assert_ne!(plain_tag, gz_tag);
    assert_eq!(s.req(&format!("GET /packed/ HTTP/1.1\nAccept-Encoding: gzip\nIf-None-Match: {gz_tag}\n")).status, 304);
    assert_eq!(s.req(&format!("GET /packed/ HTTP/1.1\nIf-None-Match: {gz_tag}\n")).status, 200);
}

#[test]
fn webdav_browse_lists_collections() {
    let s = server();
    let r = s.req("GET /dav/docs/ HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert!(r.text().contains(">guide.txt<") && r.text().contains(">deeper/<"));
    let r = s.req("GET /dav/ HTTP/1.1\nAccept: application/json\n");
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v["entries"].as_array().unwrap().iter().any(|e| e["name"] == SCRIPT_NAME));
    assert!(!r.text().contains(".methodical-"));
    assert_ne!(s.req("GET /davclosed/docs/ HTTP/1.1\n").status, 200, "no listing without browse");
}

#[test]
fn zero_config_mode_lists_folders() {
    let dir = common::folder(&[("one.txt", b"1"), ("sub/two.txt", b"2")]);
    let s = Server::zero_config(dir);
    let r = s.req("GET / HTTP/1.1\n");
    assert_eq!(r.status, 200);
    assert!(r.text().contains(">one.txt<") && r.text().contains(">sub/<"));
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `npm ci` in tests/browser when playwright-core is not installed yet.
fn browser_tools(dir: &Path) {
    if dir.join("node_modules/playwright-core").is_dir() {
        return;
    }
    let out = Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(dir).output().expect("npm runs (apt-get install npm)");
    assert!(out.status.success(), "npm ci in tests/browser failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn listing_in_headless_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "headless Chromium is needed at {chromium}: apt-get install chromium");
    let browser = workspace().join("tests/browser");
    browser_tools(&browser);
    let s = server();
    let outdir = workspace().join("target/browser/listing");
    let _ = std::fs::remove_dir_all(&outdir);
    let out = Command::new("node")
        .arg(browser.join("listing.mjs"))
        .arg(s.url("/files/"))
        .arg(&outdir)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs (apt-get install nodejs)");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{report}");
    assert!(out.status.success(), "the browser checks failed:\n{report}");
    for shot in ["listing-js.png", "folder-js.png", "listing-phone-js.png", "listing-nojs.png", "folder-nojs.png", "listing-phone-nojs.png"] {
        let len = std::fs::metadata(outdir.join(shot)).map_or(0, |m| m.len());
        assert!(len > 1000, "screenshot {shot} kept in {}", outdir.display());
    }
}
