//! `Cache-Status` field values (RFC 9211).
//!
//! The cache appends one list member naming itself, after any members added by caches
//! further upstream (which are stored and replayed like any other field).

use std::fmt::Write as _;

use http::HeaderValue;

/// Why the request went upstream (`fwd` parameter, RFC 9211 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// Nothing was stored for the URI.
    UriMiss,
    /// Something was stored for the URI, but no variant matched `Vary`.
    VaryMiss,
    /// A miss of unspecified kind.
    Miss,
    /// The request demanded it (`no-cache`, `max-age`, `min-fresh`…).
    Request,
    /// The stored response was stale and had to be validated.
    Stale,
    /// The cache was configured, or decided, not to handle this request.
    Bypass,
    /// The request method's semantics require forwarding (unsafe or uncacheable method).
    Method,
}

impl Forward {
    fn token(self) -> &'static str {
        match self {
            Forward::UriMiss => "uri-miss",
            Forward::VaryMiss => "vary-miss",
            Forward::Miss => "miss",
            Forward::Request => "request",
            Forward::Stale => "stale",
            Forward::Bypass => "bypass",
            Forward::Method => "method",
        }
    }
}

/// One `Cache-Status` list member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStatus {
    name: String,
    hit: bool,
    fwd: Option<Forward>,
    fwd_status: Option<u16>,
    ttl: Option<i64>,
    stored: bool,
    collapsed: bool,
    detail: Option<String>,
}

impl CacheStatus {
    /// `name; hit`: the response came from the cache without going upstream.
    pub fn hit(name: &str) -> Self {
        Self::new(name, true, None)
    }

    /// `name; fwd=<why>`: the request went upstream.
    pub fn forward(name: &str, why: Forward) -> Self {
        Self::new(name, false, Some(why))
    }

    /// `name` alone: the cache neither served a stored response nor forwarded the request
    /// (the gateway answered it itself, e.g. a refusal or `OPTIONS` with
    /// `Max-Forwards: 0`).
    pub fn not_used(name: &str) -> Self {
        Self::new(name, false, None)
    }

    fn new(name: &str, hit: bool, fwd: Option<Forward>) -> Self {
        Self {
            name: name.to_owned(),
            hit,
            fwd,
            fwd_status: None,
            ttl: None,
            stored: false,
            collapsed: false,
            detail: None,
        }
    }

    /// `fwd-status=N`: the status upstream answered with (e.g. 304 after validation).
    pub fn fwd_status(mut self, status: u16) -> Self {
        self.fwd_status = Some(status);
        self
    }

    /// `ttl=N`: remaining freshness in seconds (negative when stale).
    pub fn ttl(mut self, seconds: i64) -> Self {
        self.ttl = Some(seconds);
        self
    }

    /// `stored`: the upstream response was stored.
    pub fn stored(mut self, stored: bool) -> Self {
        self.stored = stored;
        self
    }

    /// `collapsed`: the request was collapsed with another one.
    pub fn collapsed(mut self, collapsed: bool) -> Self {
        self.collapsed = collapsed;
        self
    }

    /// `detail="..."`: free-form implementation detail.
    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = Some(detail.to_owned());
        self
    }

    /// The serialised member, e.g. `methodical; fwd=miss; stored`.
    pub fn to_header_value(&self) -> HeaderValue {
        // Every part is sanitised to visible ASCII, so this cannot fail; keep a valid value
        // anyway rather than panic. The string's buffer becomes the value (no copy).
        HeaderValue::from_maybe_shared(bytes::Bytes::from(self.render())).unwrap_or_else(|_| HeaderValue::from_static("methodical"))
    }

    fn render(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + 48);
        if is_sf_token(&self.name) {
            out.push_str(&self.name);
        } else {
            push_sf_string(&mut out, &self.name);
        }
        if self.hit {
            out.push_str("; hit");
        }
        if let Some(fwd) = self.fwd {
            let _ = write!(out, "; fwd={}", fwd.token());
        }
        if let Some(s) = self.fwd_status {
            let _ = write!(out, "; fwd-status={s}");
        }
        if let Some(t) = self.ttl {
            let _ = write!(out, "; ttl={t}");
        }
        if self.stored {
            out.push_str("; stored");
        }
        if self.collapsed {
            out.push_str("; collapsed");
        }
        if let Some(d) = &self.detail {
            out.push_str("; detail=");
            push_sf_string(&mut out, d);
        }
        out
    }
}

impl std::fmt::Display for CacheStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

/// sf-token (RFC 8941 §3.3.4): starts with ALPHA or `*`, then tchar, `:` or `/`.
fn is_sf_token(s: &str) -> bool {
    let mut bytes = s.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'*' => {}
        _ => return false,
    }
    bytes.all(|b| crate::directives::is_tchar(b) || b == b':' || b == b'/')
}

/// sf-string (RFC 8941 §3.3.3): printable ASCII, `"` and `\` escaped; others dropped.
fn push_sf_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9211_members() {
        assert_eq!(CacheStatus::hit("methodical").ttl(42).to_string(), "methodical; hit; ttl=42");
        assert_eq!(
            CacheStatus::forward("methodical", Forward::UriMiss).stored(true).to_string(),
            "methodical; fwd=uri-miss; stored"
        );
        assert_eq!(
            CacheStatus::forward("methodical", Forward::Stale).fwd_status(304).to_string(),
            "methodical; fwd=stale; fwd-status=304"
        );
        assert_eq!(CacheStatus::forward("m", Forward::VaryMiss).to_string(), "m; fwd=vary-miss");
        assert_eq!(CacheStatus::forward("m", Forward::Request).to_string(), "m; fwd=request");
        assert_eq!(CacheStatus::forward("m", Forward::Bypass).to_string(), "m; fwd=bypass");
        assert_eq!(CacheStatus::forward("m", Forward::Miss).collapsed(true).to_string(), "m; fwd=miss; collapsed");
        assert_eq!(
            CacheStatus::hit("edge cache").detail("say \"hi\"\n").to_string(),
            "\"edge cache\"; hit; detail=\"say \\\"hi\\\"\""
        );
        assert_eq!(CacheStatus::hit("m").ttl(-5).to_header_value(), "m; hit; ttl=-5");
        assert_eq!(CacheStatus::not_used("m").detail("only-if-cached").to_string(), "m; detail=\"only-if-cached\"");
    }
}
