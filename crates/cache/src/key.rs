//! Cache keys: the effective request URI (RFC 9110 §7.1, RFC 9111 §2), and resolution of
//! the URI references found in `Location`, `Content-Location` and `Destination`.

use std::fmt;

use http::header::HOST;
use http::request::Parts;
use http::Uri;

/// The primary cache key: `scheme://authority/path?query` of the effective request URI.
///
/// The scheme and host are lower-cased and a default port (80 for http, 443 for https) is
/// dropped, so that `http://Example.COM:80/a` and `http://example.com/a` share a key. The
/// path and query are kept exactly (a different query is a different resource). An empty
/// path becomes `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey {
    text: String,
    origin_len: usize,
}

impl CacheKey {
    /// Builds the key of a request. An absolute-form target gives scheme and authority;
    /// otherwise the `Host` field gives the authority and `default_scheme` the scheme.
    /// Returns `None` when no authority can be found (such a request is not cached).
    pub fn from_request(parts: &Parts, default_scheme: &str) -> Option<Self> {
        let scheme = parts.uri.scheme_str().unwrap_or(default_scheme);
        let authority = match parts.uri.authority() {
            Some(a) => a.as_str(),
            None => parts.headers.get(HOST)?.to_str().ok()?.trim(),
        };
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        Self::from_parts(scheme, authority, path_and_query)
    }

    /// Builds a key from an absolute URI.
    pub fn from_absolute_uri(uri: &Uri) -> Option<Self> {
        let pq = uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
        Self::from_parts(uri.scheme_str()?, uri.authority()?.as_str(), pq)
    }

    fn from_parts(scheme: &str, authority: &str, path_and_query: &str) -> Option<Self> {
        if scheme.is_empty() || authority.is_empty() {
            return None;
        }
        // Userinfo never identifies an HTTP resource (RFC 9110 §4.2.4).
        let hostport = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = split_host_port(hostport);
        // Fragments are never sent and never part of a key.
        let pq = path_and_query.split('#').next().unwrap_or("");
        // One allocation: every lookup builds a key.
        let mut text = String::with_capacity(scheme.len() + 4 + hostport.len() + pq.len());
        text.push_str(scheme);
        text.make_ascii_lowercase();
        let default_port = match text.as_str() {
            "http" => Some("80"),
            "https" => Some("443"),
            _ => None,
        };
        text.push_str("://");
        let host_at = text.len();
        text.push_str(host);
        text[host_at..].make_ascii_lowercase();
        if let Some(p) = port {
            if Some(p) != default_port && !p.is_empty() {
                text.push(':');
                text.push_str(p);
            }
        }
        let origin_len = text.len();
        if !pq.starts_with('/') {
            text.push('/');
        }
        text.push_str(pq);
        Some(Self { text, origin_len })
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `scheme://host[:port]`, the origin used by the same-origin rule of C-10.
    pub fn origin(&self) -> &str {
        &self.text[..self.origin_len]
    }

    /// The path and query part, starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.text[self.origin_len..]
    }

    /// Resolves a URI reference (RFC 3986 §5.2) against this key, as needed for
    /// `Location`, `Content-Location` and `Destination`. Returns `None` for references
    /// that are not http(s) URIs or cannot be parsed.
    pub fn resolve(&self, reference: &str) -> Option<CacheKey> {
        let reference = reference.trim();
        let reference = reference.split('#').next().unwrap_or("");
        if has_scheme(reference) {
            let uri: Uri = reference.parse().ok()?;
            let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let (path, query) = split_query(pq);
            let pq = join_query(&remove_dot_segments(path), query);
            return Self::from_parts(uri.scheme_str()?, uri.authority()?.as_str(), &pq);
        }
        let scheme = &self.text[..self.text.find("://")?];
        if let Some(rest) = reference.strip_prefix("//") {
            let (authority, pq) = match rest.find(['/', '?']) {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            let (path, query) = split_query(pq);
            return Self::from_parts(scheme, authority, &join_query(&remove_dot_segments(path), query));
        }
        let authority = &self.text[scheme.len() + 3..self.origin_len];
        let (base_path, base_query) = split_query(self.path_and_query());
        let (ref_path, ref_query) = split_query(reference);
        let pq = if ref_path.is_empty() {
            join_query(base_path, ref_query.or(base_query))
        } else if ref_path.starts_with('/') {
            join_query(&remove_dot_segments(ref_path), ref_query)
        } else {
            let dir = match base_path.rfind('/') {
                Some(i) => &base_path[..=i],
                None => "/",
            };
            join_query(&remove_dot_segments(&format!("{dir}{ref_path}")), ref_query)
        };
        Self::from_parts(scheme, authority, &pq)
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn split_host_port(hostport: &str) -> (&str, Option<&str>) {
    if hostport.starts_with('[') {
        // IP-literal: the port follows the closing bracket.
        return match hostport.find(']') {
            Some(end) => {
                let host = &hostport[..=end];
                let port = hostport[end + 1..].strip_prefix(':');
                (host, port)
            }
            None => (hostport, None),
        };
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (hostport, None),
    }
}

fn has_scheme(r: &str) -> bool {
    match r.find(':') {
        Some(i) if i > 0 => {
            let s = &r[..i];
            s.as_bytes()[0].is_ascii_alphabetic()
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && !s.contains('/')
        }
        _ => false,
    }
}

fn split_query(pq: &str) -> (&str, Option<&str>) {
    match pq.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (pq, None),
    }
}

fn join_query(path: &str, query: Option<&str>) -> String {
    let path = if path.is_empty() { "/" } else { path };
    match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    }
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if path.starts_with('/') && !joined.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;

    fn key_of(uri: &str, host: Option<&str>) -> Option<CacheKey> {
        let mut b = Request::builder().uri(uri);
        if let Some(h) = host {
            b = b.header(HOST, h);
        }
        let (parts, ()) = b.body(()).unwrap().into_parts();
        CacheKey::from_request(&parts, "http")
    }

    #[test]
    fn key_lowercases_scheme_and_host_and_drops_default_port() {
        let a = key_of("/a/B?x=1", Some("Example.COM:80")).unwrap();
        assert_eq!(a.as_str(), "http://example.com/a/B?x=1");
        let b = key_of("HTTP://EXAMPLE.com/a/B?x=1", None).unwrap();
        assert_eq!(a, b);
        let c = key_of("http://example.com:8080/a", None).unwrap();
        assert_eq!(c.origin(), "http://example.com:8080");
        assert_eq!(c.path_and_query(), "/a");
    }

    #[test]
    fn key_keeps_path_and_query_exact() {
        assert_ne!(key_of("/a?x=1", Some("h")), key_of("/a?x=2", Some("h")));
        assert_ne!(key_of("/a", Some("h")), key_of("/A", Some("h")));
        assert!(key_of("/a", None).is_none());
    }

    #[test]
    fn c10_resolves_location_references() {
        let base = key_of("/dir/page?q=1", Some("h.example")).unwrap();
        assert_eq!(base.resolve("other").unwrap().as_str(), "http://h.example/dir/other");
        assert_eq!(base.resolve("../up").unwrap().as_str(), "http://h.example/up");
        assert_eq!(base.resolve("/abs?z").unwrap().as_str(), "http://h.example/abs?z");
        assert_eq!(base.resolve("").unwrap().as_str(), "http://h.example/dir/page?q=1");
        assert_eq!(base.resolve("?n=2").unwrap().as_str(), "http://h.example/dir/page?n=2");
        assert_eq!(base.resolve("//other.example/x").unwrap().origin(), "http://other.example");
        assert_eq!(
            base.resolve("HTTP://H.example:80/a/./b/../c#frag").unwrap().as_str(),
            "http://h.example/a/c"
        );
        assert!(base.resolve("mailto:x@y").is_none());
    }
}
