//! The server under test: scheme, address, `Host` value and paths.

use crate::error::ArgsError;

/// Whether the target speaks plain TCP or TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`
    Http,
    /// `https://`
    Https,
}

impl Scheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A parsed target URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as the user gave it (reported back in the output).
    pub url: String,
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host name or IP literal, without brackets (used for DNS and TLS SNI).
    pub host: String,
    /// TCP port (explicit or the scheme default).
    pub port: u16,
    /// The authority exactly as in the URL: the value we send in `Host`.
    pub authority: String,
    /// The path of the URL (`/` when it had none); the default probe path.
    pub path: String,
}

impl Target {
    /// Parses `http://host[:port][/path]` or `https://…`.
    pub fn parse(url: &str) -> Result<Target, ArgsError> {
        let bad = |reason: &str| ArgsError::BadUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(_) => return Err(bad("only http:// and https:// are supported")),
            None => return Err(bad("the URL needs a scheme (http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("the URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host.is_empty() {
            return Err(bad("the URL has no host"));
        }
        let port = authority.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        let path = match uri.path() {
            "" => "/".to_string(),
            p => p.to_string(),
        };
        Ok(Target {
            url: url.to_string(),
            scheme,
            host,
            port,
            authority: authority.as_str().to_string(),
            path,
        })
    }

    /// `host:port` for `connect`, with brackets around IPv6 literals.
    pub fn socket_addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The absolute-form URI of `path` on this target (`http://authority/path`).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme.as_str(), self.authority, path)
    }
}

/// Checks that a user-supplied path is in origin-form.
pub(crate) fn check_path(flag: &'static str, value: &str) -> Result<(), ArgsError> {
    if value.starts_with('/')
        && !value
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        Ok(())
    } else {
        Err(ArgsError::BadPath {
            flag,
            value: value.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_default_ports_and_paths() {
        let t = Target::parse("http://example.org").unwrap();
        assert_eq!(
            (t.port, t.path.as_str(), t.authority.as_str()),
            (80, "/", "example.org")
        );
        let t = Target::parse("https://127.0.0.1:8443/static/a.txt").unwrap();
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!((t.port, t.path.as_str()), (8443, "/static/a.txt"));
        assert_eq!(t.absolute("/x"), "https://127.0.0.1:8443/x");
    }

    #[test]
    fn ipv6_literal_is_bracketed_for_connect_only() {
        let t = Target::parse("http://[::1]:8080/").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.socket_addr(), "[::1]:8080");
        assert_eq!(t.authority, "[::1]:8080");
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert!(Target::parse("ftp://x/").is_err());
        assert!(Target::parse("example.org").is_err());
        assert!(Target::parse("http://").is_err());
        assert!(check_path("--path", "relative").is_err());
        assert!(check_path("--path", "/ok/path").is_ok());
    }
}
