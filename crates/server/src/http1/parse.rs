//! A strict HTTP/1.1 request-head parser (RFC 9112 §2–§5).
//!
//! Written by hand rather than taken from `httparse` because methodical must decide *how* a
//! head is wrong, not only that it is: an over-long method is 501 (M-3) and can be refused
//! after 65 octets, an over-long target is 414 (M-4), `HTTP/2.0` on a text request line is
//! 505 (E-11), and every 400 carries a sentence saying what was wrong. It is also stricter
//! than httparse where RFC 9112 allows leniency that enables request smuggling: bare LF line
//! endings, more than one space between request-line parts, obs-fold, whitespace before the
//! colon, control octets in values.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Version};
use memchr::memchr;
use methodical_policy::{check_method_token, MethodTokenError, MAX_METHOD_LEN};

use methodical_policy::is_tchar;

/// Size limits applied while parsing a head.
#[derive(Debug, Clone, Copy)]
pub struct HeadLimits {
    /// Longest request-target in octets (M-4: over it → 414).
    pub max_target: usize,
    /// Largest header section in octets, request-line included (over it → 431).
    pub max_head: usize,
    /// Most header field lines (over it → 431).
    pub max_headers: usize,
}

impl Default for HeadLimits {
    fn default() -> HeadLimits {
        HeadLimits { max_target: 8192, max_head: 64 * 1024, max_headers: 128 }
    }
}

/// How many empty lines before a request-line are skipped (RFC 9112 §2.2 says at least one).
const MAX_LEADING_EMPTY_LINES: usize = 8;

/// The form of the request-target (RFC 9112 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetForm {
    /// `/path?query`
    Origin,
    /// `http://host/path`
    Absolute,
    /// `host:port`, for CONNECT only.
    Authority,
    /// `*`, for OPTIONS only.
    Asterisk,
}

/// A request head that parsed.
#[derive(Debug)]
pub struct ParsedHead {
    /// The method, exactly as sent.
    pub method: Method,
    /// The request-target as sent.
    pub target: Bytes,
    /// Its form.
    pub form: TargetForm,
    /// HTTP/1.0 or HTTP/1.1 (a higher 1.x minor is handled as 1.1).
    pub version: Version,
    /// The header fields, repeated lines kept in order.
    pub headers: HeaderMap,
    /// Octets consumed from the buffer, leading empty lines included.
    pub len: usize,
}

/// Why a head was refused. Each maps to one status in `crate::error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The method token is malformed (400) or too long (501, M-3).
    #[error("{0}")]
    Method(MethodTokenError),
    /// The request-line does not follow `method SP request-target SP HTTP-version`.
    #[error("malformed request-line: {0}")]
    RequestLine(String),
    /// The request-target is longer than the server parses (414, M-4).
    #[error("the request-target is longer than {limit} octets")]
    TargetTooLong {
        /// The limit.
        limit: usize,
    },
    /// `HTTP/x.y` with a major version other than 1 (505, E-11).
    #[error("HTTP/{0} is not supported on an HTTP/1 connection; this server speaks HTTP/1.0, HTTP/1.1 and HTTP/2 (h2, h2c)")]
    VersionNotSupported(String),
    /// A header line is malformed (400, M-6).
    #[error("malformed header field: {0}")]
    Header(String),
    /// A line ends in LF without CR (400).
    #[error("a line of the request head ends with a bare LF; HTTP/1.1 lines end with CRLF")]
    BareLf,
    /// The header section is too large (431, E-6).
    #[error("the request header section is larger than {limit} octets")]
    HeadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Too many header lines (431).
    #[error("the request has more than {limit} header fields")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The request-target form does not fit the method (400, M-5, M-15).
    #[error("{0}")]
    TargetForm(&'static str),
}

/// Tries to parse one request head from the start of `buf`. `Ok(None)`: not complete yet,
/// read more. Errors are reported as early as the octets allow (a 100-octet method is
/// refused after 65 octets). The head's octets are copied once; a connection uses
/// [`scan_head`] and [`ScannedHead::build`] to keep them where they were read.
pub fn parse_head(buf: &[u8], limits: &HeadLimits) -> Result<Option<ParsedHead>, ParseError> {
    let mut fields = Vec::new();
    let Some(scanned) = scan_head(buf, limits, &mut fields)? else {
        return Ok(None);
    };
    let raw = Bytes::copy_from_slice(&buf[..scanned.len]);
    Ok(Some(scanned.build(raw, &mut fields)))
}

/// A field line of a scanned head: its name, and where its value lies in the head.
pub type FieldSpan = (HeaderName, usize, usize);

/// A request head that is complete and valid, before its octets are cut off the read buffer:
/// [`ScannedHead::build`] then makes the request's target and field values slices of them.
#[derive(Debug)]
pub struct ScannedHead {
    method: Method,
    target: (usize, usize),
    form: TargetForm,
    version: Version,
    /// Octets of the head, leading empty lines included.
    pub len: usize,
}

impl ScannedHead {
    /// The head, from `raw` (the first [`ScannedHead::len`] octets of the buffer that was
    /// scanned) and the `fields` the scan found, which are moved out.
    pub fn build(self, raw: Bytes, fields: &mut Vec<FieldSpan>) -> ParsedHead {
        let mut headers = HeaderMap::with_capacity(fields.len());
        for (name, start, end) in fields.drain(..) {
            let value = raw.slice(start..end);
            // SAFETY: `parse_header_line` refused every value holding an octet that
            // `HeaderValue` does not accept (a control other than HTAB, or DEL).
            headers.append(name, unsafe { HeaderValue::from_maybe_shared_unchecked(value) });
        }
        let target = raw.slice(self.target.0..self.target.1);
        ParsedHead { method: self.method, target, form: self.form, version: self.version, headers, len: self.len }
    }
}

/// Checks that `buf` starts with a complete, valid request head, and notes its field lines
/// in `fields` (cleared first), without copying anything. `Ok(None)`: not complete yet.
pub fn scan_head(buf: &[u8], limits: &HeadLimits, fields: &mut Vec<FieldSpan>) -> Result<Option<ScannedHead>, ParseError> {
    fields.clear();
    let mut pos = 0;
    let mut empty_lines = 0;
    loop {
        match &buf[pos..] {
            [b'\r', b'\n', ..] => {
                pos += 2;
                empty_lines += 1;
                if empty_lines > MAX_LEADING_EMPTY_LINES {
                    return Err(ParseError::RequestLine("too many empty lines before the request-line".into()));
                }
            }
            [b'\n', ..] => return Err(ParseError::BareLf),
            [] | [b'\r'] => return Ok(None),
            _ => break,
        }
    }
    let start = pos;
    let line_end = match memchr(b'\n', &buf[start..]) {
        Some(i) => start + i,
        None => {
            check_partial_request_line(&buf[start..], limits)?;
            return Ok(None);
        }
    };
    if line_end == start || buf[line_end - 1] != b'\r' {
        return Err(ParseError::BareLf);
    }
    let (method, target, form, version) = parse_request_line(&buf[start..line_end - 1], limits)?;
    let target = offsets(buf, target);

    let mut cur = line_end + 1;
    loop {
        if cur - start > limits.max_head {
            return Err(ParseError::HeadTooLarge { limit: limits.max_head });
        }
        let nl = match memchr(b'\n', &buf[cur..]) {
            Some(i) => cur + i,
            None => {
                if buf.len() - start > limits.max_head {
                    return Err(ParseError::HeadTooLarge { limit: limits.max_head });
                }
                return Ok(None);
            }
        };
        if nl == cur || buf[nl - 1] != b'\r' {
            return Err(ParseError::BareLf);
        }
        let line = &buf[cur..nl - 1];
        cur = nl + 1;
        if line.is_empty() {
            break;
        }
        if fields.len() == limits.max_headers {
            return Err(ParseError::TooManyHeaders { limit: limits.max_headers });
        }
        let (name, value) = parse_header_line(line, fields.is_empty())?;
        let (value_start, value_end) = offsets(buf, value);
        fields.push((name, value_start, value_end));
    }
    if cur - start > limits.max_head {
        return Err(ParseError::HeadTooLarge { limit: limits.max_head });
    }
    Ok(Some(ScannedHead { method, target, form, version, len: cur }))
}

/// Where `part`, a subslice of `buf`, lies in it.
fn offsets(buf: &[u8], part: &[u8]) -> (usize, usize) {
    let start = part.as_ptr() as usize - buf.as_ptr() as usize;
    (start, start + part.len())
}

/// Early refusals while the request-line is still arriving.
fn check_partial_request_line(line: &[u8], limits: &HeadLimits) -> Result<(), ParseError> {
    let method_len = line.iter().position(|&b| !is_tchar(b)).unwrap_or(line.len());
    if method_len > MAX_METHOD_LEN {
        return Err(ParseError::Method(MethodTokenError::TooLong));
    }
    if method_len < line.len() {
        let after = line[method_len];
        if after != b' ' {
            if after == b'\r' && method_len + 1 == line.len() {
                return Ok(());
            }
            return Err(method_error(&line[..=method_len]));
        }
        // Only the target counts: up to the next space once it has arrived, else all of
        // the rest. Counting the version too refused valid requests whose line arrived in
        // pieces (found by the `request_head` fuzz target).
        let rest = &line[method_len + 1..];
        let target_len = memchr(b' ', rest).unwrap_or(rest.len());
        if target_len > limits.max_target {
            return Err(ParseError::TargetTooLong { limit: limits.max_target });
        }
    }
    if line.len() > limits.max_head {
        return Err(ParseError::HeadTooLarge { limit: limits.max_head });
    }
    Ok(())
}

fn method_error(method: &[u8]) -> ParseError {
    match check_method_token(method) {
        Err(e) => ParseError::Method(e),
        Ok(()) => ParseError::RequestLine("unexpected octet after the method".into()),
    }
}

type RequestLine<'a> = (Method, &'a [u8], TargetForm, Version);

fn parse_request_line<'a>(line: &'a [u8], limits: &HeadLimits) -> Result<RequestLine<'a>, ParseError> {
    let sp1 = match line.iter().position(|&b| !is_tchar(b)) {
        Some(i) if line[i] == b' ' => i,
        Some(i) => return Err(method_error(&line[..=i])),
        None => {
            return Err(if line.len() > MAX_METHOD_LEN {
                ParseError::Method(MethodTokenError::TooLong)
            } else {
                ParseError::RequestLine("the request-line has no request-target and no HTTP version".into())
            })
        }
    };
    let method_bytes = &line[..sp1];
    check_method_token(method_bytes).map_err(ParseError::Method)?;
    let rest = &line[sp1 + 1..];
    let sp2 = match memchr(b' ', rest) {
        Some(i) => i,
        None => {
            if rest.len() > limits.max_target {
                return Err(ParseError::TargetTooLong { limit: limits.max_target });
            }
            return Err(ParseError::RequestLine(
                "expected `method SP request-target SP HTTP-version` (HTTP/0.9 requests are not supported)".into(),
            ));
        }
    };
    let target = &rest[..sp2];
    let version = &rest[sp2 + 1..];
    if target.is_empty() {
        return Err(ParseError::RequestLine(
            "more than one space between the method and the request-target".into(),
        ));
    }
    if target.len() > limits.max_target {
        return Err(ParseError::TargetTooLong { limit: limits.max_target });
    }
    if let Some(&bad) = target.iter().find(|&&b| !(0x21..=0x7e).contains(&b)) {
        return Err(ParseError::RequestLine(format!(
            "the request-target contains the octet 0x{bad:02X}; such octets must be percent-encoded"
        )));
    }
    if target.contains(&b'#') {
        // A fragment is never sent (RFC 9110 §7.1); `http::Uri` would drop it silently and
        // DELETE /a#frag would remove /a.
        return Err(ParseError::RequestLine("the request-target contains a fragment (`#`), which is never sent to a server".into()));
    }
    let version = parse_version(version)?;
    let method = Method::from_bytes(method_bytes)
        .map_err(|_| ParseError::RequestLine("the method is not a valid token".into()))?;
    let form = classify_target(&method, target)?;
    Ok((method, target, form, version))
}

fn parse_version(v: &[u8]) -> Result<Version, ParseError> {
    match v {
        b"HTTP/1.1" => Ok(Version::HTTP_11),
        b"HTTP/1.0" => Ok(Version::HTTP_10),
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            if *major == b'1' {
                // A higher minor version is understood as the highest we speak (RFC 9110 §2.5).
                Ok(Version::HTTP_11)
            } else {
                Err(ParseError::VersionNotSupported(format!("{}.{}", *major as char, *minor as char)))
            }
        }
        _ if v.contains(&b' ') => Err(ParseError::RequestLine(
            "more than one space between the request-target and the HTTP version".into(),
        )),
        _ => Err(ParseError::RequestLine(format!(
            "`{}` is not an HTTP version (expected HTTP/1.1)",
            String::from_utf8_lossy(&v[..v.len().min(32)])
        ))),
    }
}

fn classify_target(method: &Method, target: &[u8]) -> Result<TargetForm, ParseError> {
    let form = if target == b"*" {
        TargetForm::Asterisk
    } else if target[0] == b'/' {
        TargetForm::Origin
    } else if memchr::memmem::find(target, b"://").is_some() {
        TargetForm::Absolute
    } else {
        TargetForm::Authority
    };
    let is_connect = *method == Method::CONNECT;
    match form {
        TargetForm::Asterisk if *method != Method::OPTIONS => {
            Err(ParseError::TargetForm("the asterisk-form request-target `*` is only allowed with OPTIONS (RFC 9112 §3.2.4)"))
        }
        TargetForm::Authority if !is_connect => Err(ParseError::TargetForm(
            "the authority-form request-target (`host:port`) is only allowed with CONNECT (RFC 9112 §3.2.3)",
        )),
        TargetForm::Authority => {
            let port_ok = target
                .iter()
                .rposition(|&b| b == b':')
                .map(|i| &target[i + 1..])
                .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
            if port_ok && target[0] != b':' {
                Ok(form)
            } else {
                Err(ParseError::TargetForm("CONNECT needs a target of the form `host:port` with a port (RFC 9110 §9.3.6)"))
            }
        }
        _ if is_connect => Err(ParseError::TargetForm("CONNECT needs a target of the form `host:port` (RFC 9112 §3.2.3)")),
        _ => Ok(form),
    }
}

fn parse_header_line(line: &[u8], first: bool) -> Result<(HeaderName, &[u8]), ParseError> {
    if matches!(line[0], b' ' | b'\t') {
        return Err(ParseError::Header(if first {
            "whitespace between the request-line and the first header field (RFC 9112 §2.2)".into()
        } else {
            "obsolete line folding (a header line starting with whitespace) is not accepted (RFC 9112 §5.2)".into()
        }));
    }
    let colon = match line.iter().position(|&b| !is_tchar(b)) {
        Some(i) if line[i] == b':' => i,
        Some(i) if matches!(line[i], b' ' | b'\t') => {
            return Err(ParseError::Header(format!(
                "whitespace between the field name `{}` and the colon (RFC 9112 §5.1)",
                String::from_utf8_lossy(&line[..i])
            )))
        }
        Some(i) => {
            return Err(ParseError::Header(format!(
                "the field name `{}` contains the octet 0x{:02X}",
                String::from_utf8_lossy(&line[..i]).escape_debug(),
                line[i]
            )))
        }
        None => return Err(ParseError::Header("a header line without a colon".into())),
    };
    if colon == 0 {
        return Err(ParseError::Header("a header line with an empty field name".into()));
    }
    let value = trim_ows(&line[colon + 1..]);
    if let Some(&bad) = value.iter().find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(ParseError::Header(format!(
            "the value of `{}` contains the control octet 0x{bad:02X}",
            String::from_utf8_lossy(&line[..colon])
        )));
    }
    let name = super::names::field_name(&line[..colon]).map_err(|_| ParseError::Header("invalid field name".into()))?;
    Ok((name, value))
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// How the request content is delimited (RFC 9112 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No content.
    None,
    /// Exactly this many octets.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// Why the content framing of a request is refused. The connection is always closed after
/// the answer, since where the next request starts is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// Invalid or conflicting Content-Length (400, E-4).
    #[error("invalid Content-Length: {0}")]
    ContentLength(&'static str),
    /// Transfer-Encoding whose final coding is not chunked, or chunked applied twice (400).
    #[error("invalid Transfer-Encoding: {0}")]
    TransferEncoding(&'static str),
    /// Both Content-Length and Transfer-Encoding (400, RFC 9112 §6.3 rule 3).
    #[error("the request has both Content-Length and Transfer-Encoding; send only one")]
    Both,
    /// A transfer coding this server does not implement (501, RFC 9112 §6.1).
    #[error("the transfer coding `{0}` is not implemented; only chunked is")]
    UnknownCoding(String),
    /// Transfer-Encoding in an HTTP/1.0 request (400, RFC 9112 §6.1).
    #[error("Transfer-Encoding is not defined for HTTP/1.0 requests")]
    Http10TransferEncoding,
}

/// Determines the framing of a request from its headers.
pub fn framing(headers: &HeaderMap, version: Version) -> Result<Framing, FramingError> {
    let has_te = headers.contains_key(http::header::TRANSFER_ENCODING);
    let has_cl = headers.contains_key(http::header::CONTENT_LENGTH);
    if has_te {
        if version == Version::HTTP_10 {
            return Err(FramingError::Http10TransferEncoding);
        }
        if has_cl {
            return Err(FramingError::Both);
        }
        return transfer_coding(headers);
    }
    if !has_cl {
        return Ok(Framing::None);
    }
    let mut length: Option<u64> = None;
    for value in headers.get_all(http::header::CONTENT_LENGTH) {
        for item in value.as_bytes().split(|&b| b == b',') {
            let item = trim_ows(item);
            if item.is_empty() || !item.iter().all(u8::is_ascii_digit) {
                return Err(FramingError::ContentLength("not a decimal number"));
            }
            if item.len() > 18 {
                return Err(FramingError::ContentLength("too large"));
            }
            let n: u64 = std::str::from_utf8(item)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(FramingError::ContentLength("not a decimal number"))?;
            match length {
                Some(prev) if prev != n => return Err(FramingError::ContentLength("several different values")),
                _ => length = Some(n),
            }
        }
    }
    Ok(match length {
        Some(0) | None => Framing::None,
        Some(n) => Framing::Length(n),
    })
}

fn transfer_coding(headers: &HeaderMap) -> Result<Framing, FramingError> {
    let mut codings: Vec<String> = Vec::new();
    for value in headers.get_all(http::header::TRANSFER_ENCODING) {
        for item in value.as_bytes().split(|&b| b == b',') {
            let item = trim_ows(item);
            if item.is_empty() {
                continue;
            }
            let name = item.split(|&b| b == b';').next().map(trim_ows).unwrap_or_default();
            if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                return Err(FramingError::TransferEncoding("a transfer coding is not a token"));
            }
            codings.push(String::from_utf8_lossy(name).to_ascii_lowercase());
        }
    }
    match codings.last().map(String::as_str) {
        Some("chunked") => {}
        _ => return Err(FramingError::TransferEncoding("the final transfer coding must be chunked (RFC 9112 §6.3)")),
    }
    let chunked_count = codings.iter().filter(|c| *c == "chunked").count();
    if chunked_count > 1 {
        return Err(FramingError::TransferEncoding("chunked may only be applied once (RFC 9112 §7)"));
    }
    if let Some(other) = codings.iter().find(|c| *c != "chunked") {
        return Err(FramingError::UnknownCoding(other.clone()));
    }
    Ok(Framing::Chunked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Option<ParsedHead>, ParseError> {
        parse_head(s, &HeadLimits::default())
    }

    fn ok(s: &[u8]) -> ParsedHead {
        parse(s).unwrap().unwrap()
    }

    #[test]
    fn parses_a_simple_request() {
        let h = ok(b"GET /a?b HTTP/1.1\r\nHost: x\r\nX-A:  v w \r\n\r\nrest");
        assert_eq!(h.method, Method::GET);
        assert_eq!(&h.target[..], b"/a?b");
        assert_eq!(h.form, TargetForm::Origin);
        assert_eq!(h.version, Version::HTTP_11);
        assert_eq!(h.headers["x-a"], "v w");
        assert_eq!(h.len, 42);
    }

    #[test]
    fn partial_heads_wait_for_more() {
        assert!(parse(b"GET /a HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
        assert!(parse(b"GE").unwrap().is_none());
        assert!(parse(b"\r\n").unwrap().is_none());
        assert!(parse(b"GET /a HTTP/1.1\r").unwrap().is_none());
    }

    #[test]
    fn m1_leading_empty_line_is_ignored() {
        assert_eq!(ok(b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n").method, Method::GET);
    }

    #[test]
    fn m1_request_line_strictness() {
        assert!(matches!(parse(b"G(T / HTTP/1.1\r\n\r\n"), Err(ParseError::Method(MethodTokenError::InvalidOctet { .. }))));
        assert!(matches!(parse(b"GET  / HTTP/1.1\r\n\r\n"), Err(ParseError::RequestLine(_))));
        assert!(matches!(parse(b"GET /  HTTP/1.1\r\n\r\n"), Err(ParseError::RequestLine(_))));
        assert!(matches!(parse(b"GET\t/ HTTP/1.1\r\n\r\n"), Err(ParseError::Method(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\n\n"), Err(ParseError::BareLf)));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHost: x\n\r\n"), Err(ParseError::BareLf)));
        assert!(matches!(parse(b"GET /\r\n\r\n"), Err(ParseError::RequestLine(_))));
        assert!(matches!(parse(b"GET /\xff HTTP/1.1\r\n\r\n"), Err(ParseError::RequestLine(_))));
        assert!(matches!(parse(b"DELETE /a#frag HTTP/1.1\r\n\r\n"), Err(ParseError::RequestLine(_))));
    }

    #[test]
    fn m2_method_case_is_kept() {
        assert_eq!(ok(b"get / HTTP/1.1\r\nHost: x\r\n\r\n").method.as_str(), "get");
    }

    #[test]
    fn m3_long_method_refused_before_the_line_ends() {
        let mut req = vec![b'A'; 65];
        assert_eq!(parse(&req).unwrap_err(), ParseError::Method(MethodTokenError::TooLong));
        req.extend_from_slice(b" / HTTP/1.1\r\n\r\n");
        assert_eq!(parse(&req).unwrap_err(), ParseError::Method(MethodTokenError::TooLong));
        let mut ok64 = vec![b'A'; 64];
        ok64.extend_from_slice(b" / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(parse(&ok64).unwrap().is_some());
    }

    #[test]
    fn m4_long_target_is_414_early() {
        let mut req = b"GET /".to_vec();
        req.extend(std::iter::repeat_n(b'a', 9000));
        assert_eq!(parse(&req).unwrap_err(), ParseError::TargetTooLong { limit: 8192 });
        let mut ok = b"GET /".to_vec();
        ok.extend(std::iter::repeat_n(b'a', 7980));
        ok.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(parse(&ok).unwrap().is_some(), "an 8000-octet request-line is accepted");
    }

    #[test]
    fn m4_fuzz_partial_line_with_a_target_near_the_limit_is_not_414() {
        // Found by the `request_head` fuzz target: a target of 62 octets (limit 64) followed
        // by ` HTTP/1.1` without its CRLF yet was refused as too long.
        let limits = HeadLimits { max_target: 64, max_head: 1024, max_headers: 8 };
        let mut line = b"PROPFIND /".to_vec();
        line.extend(std::iter::repeat_n(b'a', 61));
        line.extend_from_slice(b" HTTP/1.1");
        for cut in 10..=line.len() {
            assert_eq!(parse_head(&line[..cut], &limits).map(|h| h.is_none()), Ok(true), "cut at {cut}");
        }
        line.extend_from_slice(b"\r\nHost: x\r\n\r\n");
        assert_eq!(parse_head(&line, &limits).unwrap().unwrap().target.len(), 62);
        // A target over the limit is still refused before its end arrives.
        let mut long = b"GET /".to_vec();
        long.extend(std::iter::repeat_n(b'a', 64));
        assert_eq!(parse_head(&long, &limits).unwrap_err(), ParseError::TargetTooLong { limit: 64 });
    }

    #[test]
    fn m5_target_forms() {
        assert_eq!(ok(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").form, TargetForm::Asterisk);
        assert!(matches!(parse(b"GET * HTTP/1.1\r\n\r\n"), Err(ParseError::TargetForm(_))));
        assert!(matches!(parse(b"GET example.com:80 HTTP/1.1\r\n\r\n"), Err(ParseError::TargetForm(_))));
        assert_eq!(ok(b"GET http://h/a HTTP/1.1\r\nHost: x\r\n\r\n").form, TargetForm::Absolute);
        assert_eq!(ok(b"CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n").form, TargetForm::Authority);
        assert!(matches!(parse(b"CONNECT example.com HTTP/1.1\r\n\r\n"), Err(ParseError::TargetForm(_))), "M-15");
        assert!(matches!(parse(b"CONNECT /a HTTP/1.1\r\n\r\n"), Err(ParseError::TargetForm(_))));
    }

    #[test]
    fn m6_header_strictness() {
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\n Host: x\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nX\x00A: a\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\n: a\r\n\r\n"), Err(ParseError::Header(_))));
        assert!(matches!(parse(b"GET / HTTP/1.1\r\nnocolon\r\n\r\n"), Err(ParseError::Header(_))));
    }

    #[test]
    fn e11_http2_text_line_is_505() {
        assert!(matches!(parse(b"GET / HTTP/2.0\r\n\r\n"), Err(ParseError::VersionNotSupported(_))));
        assert_eq!(ok(b"GET / HTTP/1.9\r\nHost: x\r\n\r\n").version, Version::HTTP_11);
        assert!(matches!(parse(b"GET / HTTP/1.10\r\n\r\n"), Err(ParseError::RequestLine(_))));
    }

    #[test]
    fn e6_header_limits_are_431() {
        let limits = HeadLimits { max_target: 8192, max_head: 1024, max_headers: 3 };
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', 2000));
        assert_eq!(parse_head(&big, &limits).unwrap_err(), ParseError::HeadTooLarge { limit: 1024 });
        let many = b"GET / HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n";
        assert_eq!(parse_head(many, &limits).unwrap_err(), ParseError::TooManyHeaders { limit: 3 });
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn e4_framing_rules() {
        let v11 = Version::HTTP_11;
        assert_eq!(framing(&headers(&[]), v11), Ok(Framing::None));
        assert_eq!(framing(&headers(&[("content-length", "10")]), v11), Ok(Framing::Length(10)));
        assert_eq!(framing(&headers(&[("content-length", "10"), ("content-length", "10")]), v11), Ok(Framing::Length(10)));
        assert_eq!(framing(&headers(&[("content-length", "10, 10")]), v11), Ok(Framing::Length(10)));
        assert!(matches!(framing(&headers(&[("content-length", "abc")]), v11), Err(FramingError::ContentLength(_))));
        assert!(matches!(framing(&headers(&[("content-length", "+1")]), v11), Err(FramingError::ContentLength(_))));
        assert!(matches!(
            framing(&headers(&[("content-length", "1"), ("content-length", "2")]), v11),
            Err(FramingError::ContentLength(_))
        ));
        assert_eq!(framing(&headers(&[("transfer-encoding", "chunked")]), v11), Ok(Framing::Chunked));
        assert_eq!(framing(&headers(&[("transfer-encoding", "Chunked")]), v11), Ok(Framing::Chunked));
        assert!(matches!(framing(&headers(&[("transfer-encoding", "gzip")]), v11), Err(FramingError::TransferEncoding(_))));
        assert!(matches!(
            framing(&headers(&[("transfer-encoding", "chunked, chunked")]), v11),
            Err(FramingError::TransferEncoding(_))
        ));
        assert!(matches!(framing(&headers(&[("transfer-encoding", "xchunked")]), v11), Err(FramingError::TransferEncoding(_))));
        assert_eq!(
            framing(&headers(&[("transfer-encoding", "foo, chunked")]), v11),
            Err(FramingError::UnknownCoding("foo".into()))
        );
        assert_eq!(
            framing(&headers(&[("transfer-encoding", "chunked"), ("content-length", "3")]), v11),
            Err(FramingError::Both)
        );
        assert_eq!(
            framing(&headers(&[("transfer-encoding", "chunked")]), Version::HTTP_10),
            Err(FramingError::Http10TransferEncoding)
        );
    }
}
