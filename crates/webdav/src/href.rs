//! URLs: hrefs written into responses, and URLs read from `Destination`, `If` resource tags
//! and SEARCH scopes.

use http::StatusCode;

use crate::error::DavError;

/// Percent-encodes a decoded relative path for use in an href: every octet outside the
/// unreserved set and a few path-safe sub-delimiters is encoded (RFC 3986 §2.1, uppercase).
pub fn encode_path(relative: &str) -> String {
    let mut out = String::with_capacity(relative.len() + 8);
    for &b in relative.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b'!' | b'$' | b'(' | b')'
            | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@' => out.push(b as char),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// The href of a resource: route prefix + encoded relative path, with a trailing slash for
/// collections (RFC 4918 §8.3 asks for consistency; collections end in `/`).
pub fn href(prefix: &str, relative: &str, is_collection: bool) -> String {
    let mut out = String::with_capacity(prefix.len() + relative.len() + 2);
    out.push_str(prefix);
    if !out.ends_with('/') {
        out.push('/');
    }
    out.push_str(&encode_path(relative));
    if is_collection && !relative.is_empty() {
        out.push('/');
    }
    out
}

/// Where a URL taken from a request header or body points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Inside this route: the path below the prefix, still percent-encoded.
    Local(String),
    /// Another host, or a path outside this route's prefix.
    Elsewhere,
}

/// Splits an absolute URI or an absolute path (`Destination`, RFC 4918 §10.3; `If` tags;
/// SEARCH scopes) and places it relative to the route prefix.
///
/// `scheme_authority` is the request's own `scheme://authority`; an absolute URI naming
/// another scheme or authority is [`Target::Elsewhere`]. A query or fragment is ignored.
pub fn locate(url: &str, prefix: &str, scheme_authority: &str) -> Result<Target, DavError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(DavError::bad_request("empty URL"));
    }
    let path = if url.starts_with('/') {
        url
    } else {
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(DavError::bad_request("URL is neither an absolute URI nor an absolute path"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if !scheme_authority.is_empty() {
            let ours = scheme_authority.trim_end_matches('/');
            let theirs = format!("{scheme}://{authority}");
            if !same_origin(ours, &theirs) {
                return Ok(Target::Elsewhere);
            }
        }
        path
    };
    let path = normalize_unreserved(path.split(['?', '#']).next().unwrap_or(""));
    let path = path.as_str();
    let prefix_dir = if prefix.ends_with('/') { prefix.to_owned() } else { format!("{prefix}/") };
    if let Some(rest) = path.strip_prefix(prefix_dir.as_str()) {
        return Ok(Target::Local(rest.to_owned()));
    }
    // The route root written without its trailing slash.
    if path == prefix_dir.trim_end_matches('/') {
        return Ok(Target::Local(String::new()));
    }
    Ok(Target::Elsewhere)
}

/// Decodes percent-encoded unreserved characters (`%61` → `a`), the normalisation RFC 3986
/// §6.2.2.2 allows, so `/d%61v/x` is recognised as inside `/dav/`. Everything else stays
/// encoded for `Root::resolve` to check.
fn normalize_unreserved(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(c) = hex.filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')) {
                // A decoded '.' could form a dot segment; Root::resolve refuses those anyway.
                out.push(c);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Only ASCII bytes were substituted for ASCII escapes, so the result is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Compares two `scheme://authority` strings: scheme and host case-insensitively, default
/// ports made explicit.
fn same_origin(a: &str, b: &str) -> bool {
    normalize_origin(a) == normalize_origin(b)
}

fn normalize_origin(o: &str) -> String {
    let lower = o.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("http://") {
        if !rest.contains(':') || rest.ends_with(']') {
            return format!("http://{rest}:80");
        }
    } else if let Some(rest) = lower.strip_prefix("https://") {
        if !rest.contains(':') || rest.ends_with(']') {
            return format!("https://{rest}:443");
        }
    }
    lower
}

/// A `Destination` that names another server or route (RFC 4918 §9.8.5: 502).
pub fn elsewhere() -> DavError {
    DavError::new(StatusCode::BAD_GATEWAY, "the destination is not on this WebDAV route")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_are_encoded_and_collections_end_in_slash() {
        assert_eq!(href("/dav/", "a b/€", false), "/dav/a%20b/%E2%82%AC");
        assert_eq!(href("/dav/", "sub", true), "/dav/sub/");
        assert_eq!(href("/dav/", "", true), "/dav/");
        assert_eq!(href("/dav", "x#y?z", false), "/dav/x%23y%3Fz");
    }

    #[test]
    fn d7_destination_forms() {
        let sa = "http://127.0.0.1:8080";
        assert_eq!(locate("/dav/x", "/dav/", sa).unwrap(), Target::Local("x".into()));
        assert_eq!(locate("http://127.0.0.1:8080/dav/a/b", "/dav/", sa).unwrap(), Target::Local("a/b".into()));
        assert_eq!(locate("HTTP://127.0.0.1:8080/dav", "/dav/", sa).unwrap(), Target::Local("".into()));
        assert_eq!(locate("http://other:8080/dav/x", "/dav/", sa).unwrap(), Target::Elsewhere);
        assert_eq!(locate("/static/x", "/dav/", sa).unwrap(), Target::Elsewhere);
        assert_eq!(locate("http://h/dav/x", "/dav/", "http://h:80").unwrap(), Target::Local("x".into()));
        assert_eq!(locate("/d%61v/a%20b", "/dav/", sa).unwrap(), Target::Local("a%20b".into()));
        assert!(locate("x/y", "/dav/", sa).is_err());
        assert!(locate("", "/dav/", sa).is_err());
    }
}
