//! Writing HTTP/1.1 response heads (RFC 9112 §4, §6).

use bytes::{BufMut, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::response::Parts;
use http::{HeaderMap, StatusCode};

/// How the content of a response is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFraming {
    /// No content may follow (1xx, 204, 304, any answer to HEAD); the framing fields the
    /// handler set are written as they are (HEAD and 304 carry the GET length, M-11).
    None,
    /// `Content-Length: n` followed by n octets.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Content until the connection closes (HTTP/1.0 clients, unknown length).
    Close,
}

/// What the head says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// HTTP/1.1 default; nothing to add.
    KeepAlive,
    /// An HTTP/1.0 client asked for keep-alive: confirm it.
    KeepAlive10,
    /// The connection closes after this response: `Connection: close`.
    Close,
}

/// Decides the framing of a response.
pub fn framing_for(
    status: StatusCode,
    head_request: bool,
    headers: &HeaderMap,
    exact_len: Option<u64>,
    http11: bool,
) -> ResponseFraming {
    if head_request || status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return ResponseFraming::None;
    }
    if let Some(n) = exact_len {
        return ResponseFraming::Length(n);
    }
    if let Some(n) = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        return ResponseFraming::Length(n);
    }
    if http11 {
        ResponseFraming::Chunked
    } else {
        ResponseFraming::Close
    }
}

/// Appends the status line and header section of `parts` to `out`.
///
/// Framing fields are rewritten from `framing` so the head can never contradict the bytes
/// that follow (E-2: never both Content-Length and Transfer-Encoding; none on 1xx / 204).
pub fn encode_head(out: &mut BytesMut, parts: &Parts, framing: ResponseFraming, persistence: Persistence) {
    let status = parts.status;
    out.reserve(head_capacity(parts));
    out.put_slice(b"HTTP/1.1 ");
    out.put_slice(status.as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(reason(status).as_bytes());
    out.put_slice(b"\r\n");

    let no_framing_fields = status.is_informational() || status == StatusCode::NO_CONTENT;
    for (name, value) in parts.headers.iter() {
        if name == TRANSFER_ENCODING || name == CONNECTION {
            continue;
        }
        if name == CONTENT_LENGTH && (no_framing_fields || framing != ResponseFraming::None) {
            continue;
        }
        put_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    match framing {
        ResponseFraming::Length(n) => {
            let mut b = itoa::Buffer::new();
            put_field(out, b"content-length", b.format(n).as_bytes());
        }
        ResponseFraming::Chunked => put_field(out, b"transfer-encoding", b"chunked"),
        ResponseFraming::None | ResponseFraming::Close => {}
    }
    // Connection options the handler set (e.g. `C-Ext` for RFC 2774) are kept; ours added.
    let mut connection: Vec<&[u8]> = parts
        .headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .map(trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case(b"close") && !t.eq_ignore_ascii_case(b"keep-alive"))
        .collect();
    match persistence {
        Persistence::KeepAlive => {}
        Persistence::KeepAlive10 => connection.push(b"keep-alive"),
        Persistence::Close => connection.push(b"close"),
    }
    if !connection.is_empty() {
        out.put_slice(b"connection: ");
        for (i, t) in connection.iter().enumerate() {
            if i > 0 {
                out.put_slice(b", ");
            }
            out.put_slice(t);
        }
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
}

/// Room enough for what [`encode_head`] writes for `parts`, so the head is written into
/// one allocation instead of growing (and copying) it field by field.
pub fn head_capacity(parts: &Parts) -> usize {
    // Status line, framing and `connection` fields we add, the final CRLF.
    const OURS: usize = 160;
    let fields: usize = parts.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    OURS + reason(parts.status).len() + fields
}

fn put_field(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(v.len());
    let end = v.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

/// The reason phrase. RFC 9112 §4 makes it optional; unknown codes get none.
fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        // Not in the `http` crate's table.
        510 => "Not Extended",
        _ => status.canonical_reason().unwrap_or(""),
    }
}

/// A `100 Continue` interim response.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;
    use http::Response;

    fn head(resp: Response<()>, framing: ResponseFraming, p: Persistence) -> String {
        let (parts, ()) = resp.into_parts();
        let mut out = BytesMut::new();
        encode_head(&mut out, &parts, framing, p);
        String::from_utf8(out.to_vec()).unwrap()
    }

    #[test]
    fn head_capacity_holds_the_whole_head() {
        let r = Response::builder()
            .status(510)
            .header("connection", "C-Ext, x-a, x-b")
            .header("x-long", "v".repeat(300))
            .header("content-length", "12345")
            .body(())
            .unwrap();
        let (parts, ()) = r.into_parts();
        for (framing, p) in [
            (ResponseFraming::Length(u64::MAX), Persistence::Close),
            (ResponseFraming::Chunked, Persistence::KeepAlive10),
            (ResponseFraming::None, Persistence::KeepAlive),
        ] {
            let mut out = BytesMut::with_capacity(head_capacity(&parts));
            let room = out.capacity();
            encode_head(&mut out, &parts, framing, p);
            assert!(out.len() <= room, "{} > {room}", out.len());
        }
    }

    #[test]
    fn e2_no_framing_fields_on_204() {
        let r = Response::builder().status(204).header("content-length", "0").header("x", "1").body(()).unwrap();
        assert_eq!(head(r, ResponseFraming::None, Persistence::KeepAlive), "HTTP/1.1 204 No Content\r\nx: 1\r\n\r\n");
    }

    #[test]
    fn head_keeps_get_length_and_close_is_added() {
        let r = Response::builder().status(200).header("content-length", "42").body(()).unwrap();
        assert_eq!(
            head(r, ResponseFraming::None, Persistence::Close),
            "HTTP/1.1 200 OK\r\ncontent-length: 42\r\nconnection: close\r\n\r\n"
        );
    }

    #[test]
    fn framing_fields_come_from_the_decision() {
        let r = Response::builder().status(200).header("content-length", "1").header("transfer-encoding", "gzip").body(()).unwrap();
        assert_eq!(head(r, ResponseFraming::Chunked, Persistence::KeepAlive), "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        let r = Response::builder().status(510).header("connection", "C-Ext").body(()).unwrap();
        assert_eq!(
            head(r, ResponseFraming::Length(3), Persistence::KeepAlive10),
            "HTTP/1.1 510 Not Extended\r\ncontent-length: 3\r\nconnection: C-Ext, keep-alive\r\n\r\n"
        );
        let r = Response::builder().status(299).body(()).unwrap();
        assert!(head(r, ResponseFraming::Length(0), Persistence::KeepAlive).starts_with("HTTP/1.1 299 \r\n"));
    }

    #[test]
    fn framing_decisions() {
        let h = HeaderMap::new();
        assert_eq!(framing_for(StatusCode::OK, true, &h, Some(5), true), ResponseFraming::None);
        assert_eq!(framing_for(StatusCode::NOT_MODIFIED, false, &h, Some(5), true), ResponseFraming::None);
        assert_eq!(framing_for(StatusCode::OK, false, &h, Some(5), true), ResponseFraming::Length(5));
        assert_eq!(framing_for(StatusCode::OK, false, &h, None, true), ResponseFraming::Chunked);
        assert_eq!(framing_for(StatusCode::OK, false, &h, None, false), ResponseFraming::Close);
    }
}
