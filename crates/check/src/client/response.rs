//! What a server sent back, kept close to the wire so broken answers can be reported.

use std::fmt;

/// How the body of a response was delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body by definition (HEAD, 1xx, 204, 304).
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: …, chunked`.
    Chunked,
    /// Read until the server closed the connection.
    UntilClose,
    /// An HTTP/2 stream (DATA frames up to END_STREAM).
    H2Stream,
}

/// One response as received: status line, header fields in order, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// `HTTP/1.1`, `HTTP/1.0` or `HTTP/2`.
    pub version: String,
    /// The three-digit status code.
    pub status: u16,
    /// The reason phrase (may be empty).
    pub reason: String,
    /// Header fields in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// Header lines that had no colon (a broken server), verbatim.
    pub malformed_lines: Vec<String>,
    /// True when a header line used obsolete line folding.
    pub obs_fold: bool,
    /// The decoded body (de-chunked), capped at [`BODY_CAP`] octets.
    pub body: Vec<u8>,
    /// How the body was delimited.
    pub framing: Framing,
    /// False when the connection ended (or timed out) before the framing said
    /// the body was complete, e.g. fewer octets than `Content-Length`.
    pub body_complete: bool,
    /// A problem with the framing fields themselves (e.g. `Content-Length: abc`).
    pub framing_problem: Option<String>,
}

/// Largest body we keep; the rest is not read (the connection is dropped).
pub const BODY_CAP: usize = 1 << 20;

impl RawResponse {
    /// The first value of header `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// All values of header `name`, in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// True when header `name` is present at all.
    pub fn has(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// The comma-separated members of every `name` line, trimmed, empty ones dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.header_all(name)
            .flat_map(|v| v.split(','))
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect()
    }

    /// True when list header `name` has member `token` (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.list(name).iter().any(|m| {
            let bare = m.split(';').next().unwrap_or("").trim();
            bare.eq_ignore_ascii_case(token)
        })
    }

    /// The methods in `Allow` (case kept: methods are case-sensitive), or `None`
    /// when there is no `Allow` field. An empty field gives `Some(vec![])`.
    pub fn allow(&self) -> Option<Vec<String>> {
        if !self.has("allow") {
            return None;
        }
        Some(self.list("allow"))
    }

    /// The media type of `Content-Type` without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// True for 1xx responses other than 101.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }

    /// The status line, e.g. `405 Not Allowed`.
    pub fn status_line(&self) -> String {
        if self.reason.is_empty() {
            self.status.to_string()
        } else {
            format!("{} {}", self.status, self.reason)
        }
    }

    /// The body as text for messages (lossy, shortened).
    pub fn body_snippet(&self, max: usize) -> String {
        snippet(&self.body, max)
    }

    /// `Content-Length` parsed, when present and valid.
    pub fn content_length(&self) -> Option<u64> {
        let mut values = self.header_all("content-length");
        let first = values.next()?;
        let n: u64 = first.parse().ok()?;
        if values.all(|v| v.parse::<u64>().ok() == Some(n)) {
            Some(n)
        } else {
            None
        }
    }
}

impl fmt::Display for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status_line())
    }
}

/// Renders octets as a short printable string (non-printables escaped).
pub fn snippet(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > max {
        out.push('…');
    }
    out
}

/// Outcome of trying to parse a response head from the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeadParse {
    /// Not enough octets yet.
    Partial,
    /// A head was parsed; it used `len` octets of the buffer.
    Done(Box<RawResponse>, usize),
    /// The octets cannot be an HTTP response.
    NotHttp(String),
}

/// Finds the end of the head: the first empty line (CRLF CRLF, tolerating bare LF).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            let rest = &buf[i + 1..];
            if rest.starts_with(b"\r\n") {
                return Some(i + 3);
            }
            if rest.starts_with(b"\n") {
                return Some(i + 2);
            }
        }
        i += 1;
    }
    None
}

/// Parses a status line and header section; tolerant so broken answers can be shown.
pub(crate) fn parse_head(buf: &[u8]) -> HeadParse {
    // Decide early whether this can be HTTP at all, so a server that speaks
    // something else is reported at once instead of after a timeout.
    let prefix = b"HTTP/";
    let n = buf.len().min(prefix.len());
    if buf[..n] != prefix[..n] {
        return HeadParse::NotHttp(snippet(buf, 60));
    }
    let Some(end) = head_end(buf) else {
        return HeadParse::Partial;
    };
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("").to_string();
    let code = parts.next().unwrap_or("");
    let reason = parts.next().unwrap_or("").trim().to_string();
    let status = match (code.len(), code.parse::<u16>()) {
        (3, Ok(s)) if (100..=999).contains(&s) => s,
        _ => return HeadParse::NotHttp(snippet(status_line.as_bytes(), 60)),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut malformed_lines = Vec::new();
    let mut obs_fold = false;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            obs_fold = true;
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            } else {
                malformed_lines.push(line.to_string());
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) => headers.push((name.to_string(), value.trim().to_string())),
            None => malformed_lines.push(line.to_string()),
        }
    }
    HeadParse::Done(
        Box::new(RawResponse {
            version,
            status,
            reason,
            headers,
            malformed_lines,
            obs_fold,
            body: Vec::new(),
            framing: Framing::None,
            body_complete: true,
            framing_problem: None,
        }),
        end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(buf: &[u8]) -> (RawResponse, usize) {
        match parse_head(buf) {
            HeadParse::Done(r, n) => (*r, n),
            other => panic!("expected a head, got {other:?}"),
        }
    }

    #[test]
    fn parses_status_and_headers_in_order() {
        let buf = b"HTTP/1.1 405 Not Allowed\r\nAllow: GET, HEAD\r\nallow: OPTIONS\r\n\r\nbody";
        let (r, n) = done(buf);
        assert_eq!(&buf[n..], b"body");
        assert_eq!((r.status, r.reason.as_str()), (405, "Not Allowed"));
        assert_eq!(r.allow().unwrap(), vec!["GET", "HEAD", "OPTIONS"]);
    }

    #[test]
    fn tolerates_bare_lf_missing_reason_and_garbage_lines() {
        let (r, _) = done(b"HTTP/1.0 200\nX: 1\nbroken line\n\n");
        assert_eq!(
            (r.status, r.reason.as_str(), r.version.as_str()),
            (200, "", "HTTP/1.0")
        );
        assert_eq!(r.malformed_lines, vec!["broken line".to_string()]);
    }

    #[test]
    fn reports_non_http_at_once() {
        assert!(matches!(
            parse_head(b"SSH-2.0-OpenSSH"),
            HeadParse::NotHttp(_)
        ));
        assert!(matches!(parse_head(b"HTT"), HeadParse::Partial));
        assert!(matches!(
            parse_head(b"HTTP/1.1 2x0 OK\r\n\r\n"),
            HeadParse::NotHttp(_)
        ));
    }

    #[test]
    fn empty_allow_is_some_empty() {
        let (r, _) = done(b"HTTP/1.1 405 X\r\nAllow:\r\n\r\n");
        assert_eq!(r.allow(), Some(vec![]));
        assert!(!r.has_token("allow", "GET"));
    }

    #[test]
    fn obs_fold_is_flagged_and_unfolded() {
        let (r, _) = done(b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n");
        assert!(r.obs_fold);
        assert_eq!(r.header("x"), Some("a b"));
    }
}
