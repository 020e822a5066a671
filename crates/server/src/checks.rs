//! Checks every request passes before routing, whichever protocol carried it: what the
//! HTTP/1 parser cannot see line by line (Host, M-6) and what hyper's HTTP/2 server leaves
//! to applications (Expect, E-7).

use http::header::{EXPECT, HOST};
use http::{HeaderMap, Method, StatusCode, Version};

use crate::error::Problem;

/// A request refused before routing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// HTTP/1.1 without Host (RFC 9112 §3.2: MUST be 400).
    #[error("the request has no Host header field; HTTP/1.1 requests must name the host")]
    MissingHost,
    /// More than one Host line.
    #[error("the request has more than one Host header field")]
    DuplicateHost,
    /// A Host value that is not `host[:port]`.
    #[error("the Host header field `{0}` is not a valid host[:port]")]
    InvalidHost(String),
    /// An expectation other than 100-continue (E-7: 417).
    #[error("the expectation `{0}` cannot be met; the only expectation this server knows is 100-continue")]
    UnsupportedExpectation(String),
    /// TRACE with content (M-14: a client MUST NOT send content in TRACE).
    #[error("a TRACE request must not have content")]
    TraceWithContent,
}

impl CheckError {
    /// Status and details (see [`crate::error::HttpError::problem`]).
    pub fn problem(&self) -> Problem {
        let status = match self {
            CheckError::UnsupportedExpectation(_) => StatusCode::EXPECTATION_FAILED,
            _ => StatusCode::BAD_REQUEST,
        };
        Problem {
            status,
            detail: format!("{self}."),
            temporary: false,
            operator_advice: None,
            // A request without one valid Host is malformed (RFC 9112 §3.2), and two Hosts are
            // how a request is routed one way by a front proxy and another way here: the
            // connection closes as after any malformed head (M-1, M-6), so nothing that
            // follows on it is read with a framing a front proxy may not share.
            close: matches!(self, CheckError::MissingHost | CheckError::DuplicateHost | CheckError::InvalidHost(_)),
            headers: Vec::new(),
        }
    }
}

/// Runs the checks on a request head. `has_content`: the request announced content.
pub fn check(method: &Method, version: Version, headers: &HeaderMap, has_content: bool) -> Result<(), CheckError> {
    if matches!(version, Version::HTTP_11 | Version::HTTP_10) {
        check_host(version, headers)?;
    }
    check_expect(version, headers)?;
    if *method == Method::TRACE && has_content {
        return Err(CheckError::TraceWithContent);
    }
    Ok(())
}

fn check_host(version: Version, headers: &HeaderMap) -> Result<(), CheckError> {
    let mut hosts = headers.get_all(HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::HTTP_10 => return Ok(()),
        (None, _) => return Err(CheckError::MissingHost),
        (Some(_), Some(_)) => return Err(CheckError::DuplicateHost),
        (Some(h), None) => h,
    };
    if valid_authority(host.as_bytes()) {
        Ok(())
    } else {
        Err(CheckError::InvalidHost(String::from_utf8_lossy(host.as_bytes()).chars().take(100).collect()))
    }
}

/// `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2). Empty is allowed (a target URI
/// without authority).
pub fn valid_authority(v: &[u8]) -> bool {
    if v.is_empty() {
        return true;
    }
    let (host, port) = if v[0] == b'[' {
        let Some(end) = v.iter().position(|&b| b == b']') else { return false };
        let literal = &v[1..end];
        if literal.is_empty() || !literal.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.')) {
            return false;
        }
        match &v[end + 1..] {
            [] => (&v[..=end], None),
            [b':', port @ ..] => (&v[..=end], Some(port)),
            _ => return false,
        }
    } else {
        match v.iter().rposition(|&b| b == b':') {
            Some(i) => (&v[..i], Some(&v[i + 1..])),
            None => (v, None),
        }
    };
    let reg_name_ok = host[0] == b'['
        || host.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'%')
        });
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
    reg_name_ok && port_ok
}

fn check_expect(version: Version, headers: &HeaderMap) -> Result<(), CheckError> {
    for value in headers.get_all(EXPECT) {
        for item in value.as_bytes().split(|&b| b == b',') {
            let item = item.trim_ascii();
            if item.is_empty() || item.eq_ignore_ascii_case(b"100-continue") {
                continue;
            }
            // HTTP/1.0 clients do not know Expect; ignore rather than refuse (RFC 9110 §10.1.1).
            if version == Version::HTTP_10 {
                continue;
            }
            return Err(CheckError::UnsupportedExpectation(String::from_utf8_lossy(item).chars().take(100).collect()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    fn run(pairs: &[(&str, &str)]) -> Result<(), CheckError> {
        check(&Method::GET, Version::HTTP_11, &headers(pairs), false)
    }

    #[test]
    fn m6_host_rules() {
        assert_eq!(run(&[]), Err(CheckError::MissingHost));
        assert_eq!(run(&[("host", "a"), ("host", "a")]), Err(CheckError::DuplicateHost));
        assert!(matches!(run(&[("host", "a b")]), Err(CheckError::InvalidHost(_))));
        assert!(matches!(run(&[("host", "a:port")]), Err(CheckError::InvalidHost(_))));
        assert!(matches!(run(&[("host", "a/b")]), Err(CheckError::InvalidHost(_))));
        for ok in ["example.org", "example.org:8080", "127.0.0.1:1", "[::1]:80", "[::1]", "bogus", ""] {
            assert_eq!(run(&[("host", ok)]), Ok(()), "{ok}");
        }
        assert_eq!(check(&Method::GET, Version::HTTP_10, &HeaderMap::new(), false), Ok(()));
        assert_eq!(check(&Method::GET, Version::HTTP_2, &HeaderMap::new(), false), Ok(()));
        assert!(CheckError::DuplicateHost.problem().close, "M-6: two Hosts end the connection");
        assert!(CheckError::MissingHost.problem().close);
        assert!(!CheckError::UnsupportedExpectation("foo".into()).problem().close);
    }

    #[test]
    fn e7_expectations() {
        assert_eq!(run(&[("host", "a"), ("expect", "100-Continue")]), Ok(()));
        assert!(matches!(run(&[("host", "a"), ("expect", "foo")]), Err(CheckError::UnsupportedExpectation(_))));
        assert_eq!(CheckError::UnsupportedExpectation("foo".into()).problem().status, 417);
    }

    #[test]
    fn m14_trace_with_content() {
        assert_eq!(check(&Method::TRACE, Version::HTTP_11, &headers(&[("host", "a")]), true), Err(CheckError::TraceWithContent));
    }
}
