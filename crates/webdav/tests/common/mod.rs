//! Shared helpers: a WebDAV route on a temporary folder, driven through `WebDav::handle`.

#![allow(dead_code)]

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::Full;
use methodical_webdav::{DavConfig, DavContext, MemoryLockStore, WebDav};

pub const SA: &str = "http://127.0.0.1:8080";

pub struct Dav {
    pub dir: tempfile::TempDir,
    pub dav: WebDav,
}

pub fn m(s: &str) -> Method {
    Method::from_bytes(s.as_bytes()).unwrap()
}

impl Dav {
    pub fn new() -> Dav {
        Dav::with(|_| {})
    }

    pub fn with(f: impl FnOnce(&mut DavConfig)) -> Dav {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = DavConfig::new(dir.path());
        f(&mut cfg);
        let dav = WebDav::new(cfg, Arc::new(MemoryLockStore::new())).unwrap();
        Dav { dir, dav }
    }

    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn mkdir(&self, rel: &str) {
        std::fs::create_dir_all(self.path(rel)).unwrap();
    }

    /// Sends `method path` (path below `/dav/`) with headers and a body.
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response<Bytes> {
        let mut b = Request::builder().method(m(method)).uri(format!("/dav/{path}"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let ctx = DavContext { prefix: "/dav/", path, user: None, scheme_authority: SA };
        self.dav.handle(req, ctx).await
    }

    pub async fn status(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> u16 {
        self.send(method, path, headers, body).await.status().as_u16()
    }

    pub async fn lock(&self, path: &str, scope: &str, depth: &str) -> String {
        let body = format!(
            r#"<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:{scope}/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>tester</D:owner></D:lockinfo>"#
        );
        let r = self.send("LOCK", path, &[("depth", depth), ("timeout", "Second-600")], &body).await;
        assert!(r.status().is_success(), "LOCK {path}: {}", r.status());
        let token = r.headers()["lock-token"].to_str().unwrap();
        token.trim_start_matches('<').trim_end_matches('>').to_owned()
    }
}

pub fn text(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

/// The hrefs of a multistatus body, in order.
pub fn hrefs(body: &str) -> Vec<String> {
    let el = methodical_webdav::xml::parse(body.as_bytes()).unwrap();
    el.elements()
        .filter(|e| e.is("DAV:", "response"))
        .filter_map(|r| r.child("DAV:", "href").map(|h| h.text()))
        .collect()
}

/// The status line text of property `{ns}name` in the first response.
pub fn prop_status(body: &str, ns: &str, name: &str) -> Option<String> {
    let el = methodical_webdav::xml::parse(body.as_bytes()).unwrap();
    let resp = el.elements().find(|e| e.is("DAV:", "response"))?;
    for ps in resp.elements().filter(|e| e.is("DAV:", "propstat")) {
        let prop = ps.child("DAV:", "prop")?;
        if prop.child(ns, name).is_some() {
            return ps.child("DAV:", "status").map(|s| s.text());
        }
    }
    None
}

/// The text of property `{ns}name` in the first response.
pub fn prop_text(body: &str, ns: &str, name: &str) -> Option<String> {
    let el = methodical_webdav::xml::parse(body.as_bytes()).unwrap();
    let resp = el.elements().find(|e| e.is("DAV:", "response"))?;
    for ps in resp.elements().filter(|e| e.is("DAV:", "propstat")) {
        if let Some(p) = ps.child("DAV:", "prop").and_then(|p| p.child(ns, name)) {
            return Some(p.text());
        }
    }
    None
}
