//! Request content on an HTTP/1.1 connection: the framing decoder (Content-Length and
//! chunked, RFC 9112 §6, §7) and [`H1Body`], the handler's end of it.
//!
//! The connection task owns the socket. A handler that wants content polls its [`H1Body`],
//! which asks the connection for more through a small channel; the connection then decodes
//! the next piece from its buffer or the socket. Content nobody asked for is never read, so
//! a 405 to a 1 GiB upload costs nothing, and `100 Continue` is sent exactly when a handler
//! first wants the content (RFC 9110 §10.1.1).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Frame, SizeHint};
use memchr::memchr;
use tokio::sync::mpsc;

use crate::body::BodyError;

/// Longest chunk-size line we accept, extensions included.
const MAX_CHUNK_LINE: usize = 4096;
/// Largest trailer section we read (and discard).
const MAX_TRAILERS: usize = 16 * 1024;

/// One step of decoding.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A piece of content.
    Data(Bytes),
    /// The buffer holds no more decodable octets: read from the socket.
    NeedMore,
    /// The content is complete.
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    Size,
    Data(u64),
    DataEnd,
    Trailers(usize),
}

/// The content framing state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoder {
    state: DecoderState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DecoderState {
    Length(u64),
    Chunked(Chunked),
    Done,
}

impl Decoder {
    /// Content of exactly `len` octets.
    pub fn length(len: u64) -> Decoder {
        Decoder { state: if len == 0 { DecoderState::Done } else { DecoderState::Length(len) } }
    }

    /// Chunked content.
    pub fn chunked() -> Decoder {
        Decoder { state: DecoderState::Chunked(Chunked::Size) }
    }

    /// Is the content complete?
    pub fn is_done(&self) -> bool {
        self.state == DecoderState::Done
    }

    /// Octets still expected, when known (Content-Length).
    pub fn remaining(&self) -> Option<u64> {
        match self.state {
            DecoderState::Length(n) => Some(n),
            DecoderState::Done => Some(0),
            DecoderState::Chunked(_) => None,
        }
    }

    /// Decodes the next piece from `buf`, at most `max` octets of content.
    pub fn decode(&mut self, buf: &mut BytesMut, max: usize) -> Result<Decoded, BodyError> {
        loop {
            match self.state {
                DecoderState::Done => return Ok(Decoded::Done),
                DecoderState::Length(remaining) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let n = take(remaining, buf.len(), max);
                    let left = remaining - n as u64;
                    self.state = if left == 0 { DecoderState::Done } else { DecoderState::Length(left) };
                    return Ok(Decoded::Data(buf.split_to(n).freeze()));
                }
                DecoderState::Chunked(Chunked::Size) => {
                    let Some(nl) = memchr(b'\n', buf) else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err(BodyError::Chunked("chunk-size line too long"));
                        }
                        return Ok(Decoded::NeedMore);
                    };
                    if nl > MAX_CHUNK_LINE {
                        return Err(BodyError::Chunked("chunk-size line too long"));
                    }
                    if nl == 0 || buf[nl - 1] != b'\r' {
                        return Err(BodyError::Chunked("chunk-size line does not end with CRLF"));
                    }
                    let size = parse_chunk_size(&buf[..nl - 1])?;
                    let _ = buf.split_to(nl + 1);
                    self.state = DecoderState::Chunked(if size == 0 { Chunked::Trailers(0) } else { Chunked::Data(size) });
                }
                DecoderState::Chunked(Chunked::Data(remaining)) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let n = take(remaining, buf.len(), max);
                    let left = remaining - n as u64;
                    self.state = DecoderState::Chunked(if left == 0 { Chunked::DataEnd } else { Chunked::Data(left) });
                    return Ok(Decoded::Data(buf.split_to(n).freeze()));
                }
                DecoderState::Chunked(Chunked::DataEnd) => {
                    if buf.len() < 2 {
                        if buf.first().is_some_and(|&b| b != b'\r') {
                            return Err(BodyError::Chunked("chunk data is not followed by CRLF"));
                        }
                        return Ok(Decoded::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(BodyError::Chunked("chunk data is not followed by CRLF"));
                    }
                    let _ = buf.split_to(2);
                    self.state = DecoderState::Chunked(Chunked::Size);
                }
                DecoderState::Chunked(Chunked::Trailers(seen)) => {
                    let Some(nl) = memchr(b'\n', buf) else {
                        if seen + buf.len() > MAX_TRAILERS {
                            return Err(BodyError::Chunked("trailer section too large"));
                        }
                        return Ok(Decoded::NeedMore);
                    };
                    if nl == 0 || buf[nl - 1] != b'\r' {
                        return Err(BodyError::Chunked("trailer line does not end with CRLF"));
                    }
                    let line_len = nl - 1;
                    if line_len > 0 {
                        check_trailer_line(&buf[..line_len])?;
                    }
                    let _ = buf.split_to(nl + 1);
                    if line_len == 0 {
                        self.state = DecoderState::Done;
                        return Ok(Decoded::Done);
                    }
                    if seen + nl > MAX_TRAILERS {
                        return Err(BodyError::Chunked("trailer section too large"));
                    }
                    self.state = DecoderState::Chunked(Chunked::Trailers(seen + nl + 1));
                }
            }
        }
    }
}

fn take(remaining: u64, available: usize, max: usize) -> usize {
    (remaining.min(available as u64) as usize).min(max)
}

/// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1, §7.1.1). Extensions are checked for syntax
/// and ignored.
fn parse_chunk_size(line: &[u8]) -> Result<u64, BodyError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(BodyError::Chunked("chunk-size is not a hexadecimal number"));
    }
    if digits > 15 {
        return Err(BodyError::Chunked("chunk-size too large"));
    }
    let mut size: u64 = 0;
    for &b in &line[..digits] {
        let v = (b as char).to_digit(16).unwrap_or(0) as u64;
        size = size * 16 + v;
    }
    check_chunk_ext(&line[digits..])?;
    Ok(size)
}

/// `chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`, the value a
/// token or a quoted-string (RFC 9112 §7.1.1). Checked to the letter: a chunk line that one
/// parser reads as "size 5" and another as garbage (`5 x`, `5;`, an unterminated quote) is
/// how two hops disagree about where content ends.
fn check_chunk_ext(mut ext: &[u8]) -> Result<(), BodyError> {
    use methodical_policy::is_tchar;
    loop {
        let after_ws = skip_bws(ext);
        match after_ws.split_first() {
            None if ext.is_empty() => return Ok(()),
            None => return Err(BodyError::Chunked("whitespace at the end of a chunk-size line")),
            Some((b';', rest)) => ext = skip_bws(rest),
            Some(_) => return Err(BodyError::Chunked("unexpected characters after chunk-size")),
        }
        let name = ext.iter().take_while(|&&b| is_tchar(b)).count();
        if name == 0 {
            return Err(BodyError::Chunked("chunk extension without a name"));
        }
        ext = &ext[name..];
        if let Some((b'=', rest)) = skip_bws(ext).split_first() {
            let value = skip_bws(rest);
            ext = if value.first() == Some(&b'"') {
                after_quoted_string(value)?
            } else {
                let n = value.iter().take_while(|&&b| is_tchar(b)).count();
                if n == 0 {
                    return Err(BodyError::Chunked("chunk extension value is neither a token nor a quoted-string"));
                }
                &value[n..]
            };
        }
    }
}

fn skip_bws(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    v
}

/// The octets after the quoted-string that `v` starts with (RFC 9110 §5.6.4).
fn after_quoted_string(v: &[u8]) -> Result<&[u8], BodyError> {
    let mut i = 1;
    while let Some(&b) = v.get(i) {
        match b {
            b'"' => return Ok(&v[i + 1..]),
            b'\\' => match v.get(i + 1) {
                Some(&q) if q == b'\t' || q == b' ' || (0x21..=0x7e).contains(&q) || q >= 0x80 => i += 2,
                _ => return Err(BodyError::Chunked("invalid escape in a chunk extension")),
            },
            b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => i += 1,
            _ => return Err(BodyError::Chunked("control character in a chunk extension")),
        }
    }
    Err(BodyError::Chunked("unterminated quoted-string in a chunk extension"))
}

fn check_trailer_line(line: &[u8]) -> Result<(), BodyError> {
    let colon = line.iter().position(|&b| b == b':').ok_or(BodyError::Chunked("trailer field without a colon"))?;
    if colon == 0 || !line[..colon].iter().all(|&b| methodical_policy::is_tchar(b)) {
        return Err(BodyError::Chunked("invalid trailer field name"));
    }
    if line[colon..].iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(BodyError::Chunked("control character in trailer field"));
    }
    Ok(())
}

/// The handler's end of HTTP/1.1 request content.
pub struct H1Body {
    data: mpsc::Receiver<Result<Bytes, BodyError>>,
    want: mpsc::Sender<()>,
    asked: bool,
    ended: bool,
    exact: Option<u64>,
    received: u64,
    limit: u64,
}

/// The connection's end: where wants arrive and content goes.
pub struct BodySender {
    pub(crate) data: Option<mpsc::Sender<Result<Bytes, BodyError>>>,
    pub(crate) want: mpsc::Receiver<()>,
}

impl H1Body {
    /// A connected pair for content of `exact` octets (or unknown length when chunked).
    pub fn channel(exact: Option<u64>) -> (H1Body, BodySender) {
        let (data_tx, data_rx) = mpsc::channel(1);
        let (want_tx, want_rx) = mpsc::channel(1);
        (
            H1Body { data: data_rx, want: want_tx, asked: false, ended: false, exact, received: 0, limit: u64::MAX },
            BodySender { data: Some(data_tx), want: want_rx },
        )
    }

    /// Refuses content beyond `limit` octets with [`BodyError::TooLarge`].
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }
}

impl http_body::Body for H1Body {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        match this.data.poll_recv(cx) {
            Poll::Ready(Some(Ok(data))) => {
                this.asked = false;
                this.received += data.len() as u64;
                if this.received > this.limit {
                    this.ended = true;
                    return Poll::Ready(Some(Err(BodyError::TooLarge { limit: this.limit })));
                }
                if this.exact == Some(this.received) {
                    this.ended = true;
                }
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            Poll::Ready(Some(Err(e))) => {
                this.ended = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.ended = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if !this.asked {
                    // Capacity 1 and one outstanding want at a time: this never fails while the
                    // connection lives; if it is gone, `data` reports the end.
                    let _ = this.want.try_send(());
                    this.asked = true;
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(n) => SizeHint::with_exact(n - self.received.min(n)),
            None => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut Decoder, input: &[u8]) -> Result<(Vec<u8>, bool), BodyError> {
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match decoder.decode(&mut buf, 3)? {
                Decoded::Data(d) => out.extend_from_slice(&d),
                Decoded::NeedMore => return Ok((out, false)),
                Decoded::Done => return Ok((out, true)),
            }
        }
    }

    #[test]
    fn length_decoding_stops_at_the_boundary() {
        let mut d = Decoder::length(5);
        let mut buf = BytesMut::from(&b"helloGET /"[..]);
        let mut out = Vec::new();
        while let Decoded::Data(x) = d.decode(&mut buf, 2).unwrap() {
            out.extend_from_slice(&x);
        }
        assert_eq!(out, b"hello");
        assert_eq!(&buf[..], b"GET /", "the next request stays in the buffer");
        assert!(d.is_done());
    }

    #[test]
    fn chunked_decoding() {
        let mut d = Decoder::chunked();
        let (out, done) = decode_all(&mut d, b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT").unwrap();
        assert_eq!(out, b"hello world");
        assert!(done);
    }

    #[test]
    fn chunked_decoding_in_pieces() {
        let input = b"a\r\n0123456789\r\n0\r\n\r\n";
        let mut d = Decoder::chunked();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            while let Decoded::Data(x) = d.decode(&mut buf, 64).unwrap() {
                out.extend_from_slice(&x);
            }
        }
        assert_eq!(out, b"0123456789");
        assert!(d.is_done());
    }

    #[test]
    fn e4_invalid_chunked_framing() {
        for bad in [
            &b"x\r\n"[..],
            b"5\nhello\r\n",
            b"5\r\nhelloXX",
            b"ffffffffffffffffff\r\n",
            b"5 x\r\n",
            b"5;a\x00\r\n",
            b"-1\r\n",
            b"0x5\r\n",
            b"0\r\nbad trailer\r\n\r\n",
            b"5 \r\n",
            b"5\t\r\n",
            b"5;\r\n",
            b"5; \r\n",
            b"5;a=\r\n",
            b"5;a b\r\n",
            b"5;a=b c\r\n",
            b"5;a=\"b\r\n",
            b"5;a=\"b\x01\"\r\n",
            b"5;a(b)\r\n",
            b"5;a=b;\r\n",
            b" 5\r\n",
            b"+5\r\n",
        ] {
            assert!(decode_all(&mut Decoder::chunked(), bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        for good in [&b"5;a\r\nhello\r\n0\r\n\r\n"[..], b"5 ; a = b ;c=\"x \\\" y\"\r\nhello\r\n0\r\n\r\n", b"5;a=\"\"\r\nhello\r\n0;z\r\n\r\n"] {
            let (out, done) = decode_all(&mut Decoder::chunked(), good).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(good)));
            assert_eq!((out.as_slice(), done), (&b"hello"[..], true), "{:?}", String::from_utf8_lossy(good));
        }
        let long = [b'1'; MAX_CHUNK_LINE + 10];
        assert!(decode_all(&mut Decoder::chunked(), &long).is_err());
    }
}
