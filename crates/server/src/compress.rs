//! Content codings (RFC 9110 §8.4, §12.5.3): choosing gzip, brotli or zstd from
//! `Accept-Encoding`, deciding what is worth compressing, and the encoders (async-compression)
//! for content held in memory and for streams.
//!
//! The static handler uses the pieces directly, so it can give every coding its own strong
//! ETag, keep compressed variants of small files and serve precompressed sidecar files.
//! [`Negotiation::apply`] compresses any other response (proxy and `respond` routes with
//! `compress = true`) on the way out.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder, ZstdEncoder};
use async_compression::Level;
use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    RANGE, VARY,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use http_body::{Body as _, Frame, SizeHint};
use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt, ReadBuf};

use crate::body::{Body, BoxError};

/// Bodies shorter than this are sent as they are: the coding's own overhead and the CPU
/// spent would buy next to nothing.
pub const MIN_LENGTH: u64 = 512;

/// Content held in memory is compressed on a blocking thread beyond this size, so a large
/// body never stalls the other requests of a runtime worker.
const INLINE_LIMIT: usize = 64 * 1024;

/// Size of the pieces a streamed encoder hands out.
const STREAM_CHUNK: usize = 32 * 1024;

/// A content coding methodical produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// `br` (RFC 7932).
    Brotli,
    /// `zstd` (RFC 8878).
    Zstd,
    /// `gzip` (RFC 1952).
    Gzip,
}

/// How much effort an encoder spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Compressed once and kept (small static files): a slower, tighter setting pays off.
    Kept,
    /// Compressed for one response: fast settings. gzip uses level 6 in both, nginx's
    /// usual `gzip_comp_level`, so the two compare like for like.
    PerResponse,
}

impl Coding {
    /// Every coding, in the order preferred when a client weighs them equally: brotli
    /// compresses text best, zstd is fastest to decode, gzip is understood everywhere.
    pub const PREFERENCE: [Coding; 3] = [Coding::Brotli, Coding::Zstd, Coding::Gzip];

    /// The coding's token in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }

    /// The `Content-Encoding` field value.
    pub fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(self.token())
    }

    /// The suffix of a precompressed sidecar file (`a.css.br` beside `a.css`).
    pub fn sidecar_suffix(self) -> &'static str {
        match self {
            Coding::Brotli => ".br",
            Coding::Zstd => ".zst",
            Coding::Gzip => ".gz",
        }
    }

    /// The coding a token names. `x-gzip` is gzip (RFC 9110 §8.4.1.3).
    pub fn from_token(token: &str) -> Option<Coding> {
        let t = token.trim();
        if t.eq_ignore_ascii_case("gzip") || t.eq_ignore_ascii_case("x-gzip") {
            Some(Coding::Gzip)
        } else if t.eq_ignore_ascii_case("br") {
            Some(Coding::Brotli)
        } else if t.eq_ignore_ascii_case("zstd") {
            Some(Coding::Zstd)
        } else {
            None
        }
    }

    /// The coding's position in [`Coding::PREFERENCE`], for tables indexed by coding.
    pub fn index(self) -> usize {
        match self {
            Coding::Brotli => 0,
            Coding::Zstd => 1,
            Coding::Gzip => 2,
        }
    }

    fn level(self, effort: Effort) -> Level {
        match (self, effort) {
            (Coding::Gzip, _) => Level::Precise(6),
            (Coding::Brotli, Effort::Kept) => Level::Precise(9),
            (Coding::Brotli, Effort::PerResponse) => Level::Precise(4),
            (Coding::Zstd, Effort::Kept) => Level::Precise(12),
            (Coding::Zstd, Effort::PerResponse) => Level::Precise(3),
        }
    }

    /// The entity-tag of this coding's representation, made from the identity
    /// representation's tag (`"abc"` → `"abc-gzip"`): a strong ETag must not be shared by
    /// two representations (RFC 9110 §8.8.3). A weak tag stays weak.
    pub fn etag(self, identity: &str) -> String {
        let (weak, tag) = match identity.strip_prefix("W/") {
            Some(t) => ("W/", t),
            None => ("", identity),
        };
        let opaque = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
        format!("{weak}\"{opaque}-{}\"", self.token())
    }
}

/// The preferences an `Accept-Encoding` field states, in thousandths (RFC 9110 §12.4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptEncoding {
    /// The field was sent.
    present: bool,
    /// q of each coding listed by name.
    codings: [Option<u16>; 3],
    /// q of `identity`, when listed.
    identity: Option<u16>,
    /// q of `*`, when listed.
    any: Option<u16>,
}

impl AcceptEncoding {
    /// Reads every `Accept-Encoding` field of `headers`. Members with an unreadable weight
    /// are ignored; unknown codings do not matter here.
    pub fn parse(headers: &HeaderMap) -> AcceptEncoding {
        let mut out = AcceptEncoding::default();
        for value in headers.get_all(ACCEPT_ENCODING) {
            out.present = true;
            let Ok(value) = value.to_str() else { continue };
            for member in value.split(',') {
                let mut params = member.split(';');
                let token = params.next().unwrap_or("").trim();
                if token.is_empty() {
                    continue;
                }
                let Some(q) = weight(params) else { continue };
                let slot = if token == "*" {
                    &mut out.any
                } else if token.eq_ignore_ascii_case("identity") {
                    &mut out.identity
                } else if let Some(c) = Coding::from_token(token) {
                    &mut out.codings[c.index()]
                } else {
                    continue;
                };
                // Listed twice: the higher weight counts.
                *slot = Some(slot.map_or(q, |old| old.max(q)));
            }
        }
        out
    }

    /// The coding to send, among those `available`; `None` means the identity (no coding).
    ///
    /// A coding is acceptable when listed (or covered by `*`) with q > 0; the highest q
    /// wins, ties go by [`Coding::PREFERENCE`]. The identity competes only when the client
    /// weighs it (`identity;q=` or `*;q=`) and wins only when weighed higher than every
    /// acceptable coding. Without the field, or when nothing acceptable is available, the
    /// content goes uncoded: RFC 9110 §12.5.3 says to answer without a coding then, even
    /// when `identity;q=0` was sent.
    pub fn choose(&self, available: impl Fn(Coding) -> bool) -> Option<Coding> {
        if !self.present {
            return None;
        }
        let mut best: Option<(Coding, u16)> = None;
        for c in Coding::PREFERENCE {
            if !available(c) {
                continue;
            }
            let q = self.codings[c.index()].or(self.any).unwrap_or(0);
            if q > 0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((c, q));
            }
        }
        let (coding, q) = best?;
        match self.identity.or(self.any) {
            Some(identity) if identity > q => None,
            _ => Some(coding),
        }
    }

    /// Whether the client accepts `coding` at all (q > 0, by name or through `*`).
    pub fn accepts(&self, coding: Coding) -> bool {
        self.present && self.codings[coding.index()].or(self.any).is_some_and(|q| q > 0)
    }

    /// Whether some coding could be chosen if every coding were available.
    pub fn wants_some_coding(&self) -> bool {
        self.choose(|_| true).is_some()
    }
}

/// The weight of a member: `q=` in thousandths, 1000 when absent, `None` when unreadable.
fn weight<'a>(params: impl Iterator<Item = &'a str>) -> Option<u16> {
    for p in params {
        let Some((name, value)) = p.split_once('=') else { continue };
        if !name.trim().eq_ignore_ascii_case("q") {
            continue;
        }
        let value = value.trim();
        let (int, frac) = value.split_once('.').unwrap_or((value, ""));
        if !matches!(int, "0" | "1") || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut thousandths: u16 = if int == "1" { 1000 } else { 0 };
        for (i, d) in frac.bytes().enumerate() {
            thousandths += u16::from(d - b'0') * [100, 10, 1][i];
        }
        return (thousandths <= 1000).then_some(thousandths);
    }
    Some(1000)
}

/// Whether content of this media type is worth compressing: text and the textual
/// `application/` formats, SVG, WebAssembly and uncompressed fonts. Images, audio, video,
/// archives and `woff`/`woff2` are compressed already; `text/event-stream` would stall,
/// since an encoder holds back what it has not filled a block with.
pub fn compressible(content_type: &HeaderValue) -> bool {
    let Ok(ct) = content_type.to_str() else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let (major, minor) = essence.split_once('/').unwrap_or((essence.as_str(), ""));
    match major {
        "text" => minor != "event-stream",
        "application" => {
            matches!(
                minor,
                "javascript"
                    | "x-javascript"
                    | "ecmascript"
                    | "json"
                    | "xml"
                    | "xhtml+xml"
                    | "wasm"
                    | "rtf"
                    | "x-sh"
                    | "x-tex"
                    | "graphql"
                    | "yaml"
                    | "x-yaml"
                    | "toml"
                    | "vnd.ms-fontobject"
                    | "x-font-ttf"
                    | "x-font-opentype"
            ) || minor.ends_with("+json")
                || minor.ends_with("+xml")
        }
        "image" => matches!(minor, "svg+xml" | "x-icon" | "vnd.microsoft.icon" | "bmp"),
        "font" => matches!(minor, "ttf" | "otf" | "collection"),
        _ => false,
    }
}

/// Compresses content held in memory.
pub async fn encode(coding: Coding, effort: Effort, data: Bytes) -> io::Result<Bytes> {
    if data.len() <= INLINE_LIMIT {
        return encode_now(coding, effort, &data).await;
    }
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(encode_now(coding, effort, &data)))
        .await
        .map_err(|e| io::Error::other(format!("the compression task failed: {e}")))?
}

/// Reading from a slice never waits, so this future completes without yielding.
async fn encode_now(coding: Coding, effort: Effort, data: &[u8]) -> io::Result<Bytes> {
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    let level = coding.level(effort);
    match coding {
        Coding::Gzip => GzipEncoder::with_quality(data, level).read_to_end(&mut out).await?,
        Coding::Brotli => BrotliEncoder::with_quality(data, level).read_to_end(&mut out).await?,
        Coding::Zstd => ZstdEncoder::with_quality(data, level).read_to_end(&mut out).await?,
    };
    Ok(Bytes::from(out))
}

/// A body that is `body` compressed as it streams (length unknown in advance).
pub fn encode_body(coding: Coding, effort: Effort, body: Body) -> Body {
    let reader = BodyReader { body, chunk: Bytes::new(), done: false };
    let level = coding.level(effort);
    let encoder: Pin<Box<dyn AsyncRead + Send>> = match coding {
        Coding::Gzip => Box::pin(GzipEncoder::with_quality(reader, level)),
        Coding::Brotli => Box::pin(BrotliEncoder::with_quality(reader, level)),
        Coding::Zstd => Box::pin(ZstdEncoder::with_quality(reader, level)),
    };
    Body::stream(Encoded { encoder, buf: vec![0; STREAM_CHUNK], done: false })
}

/// A HEAD response's body standing for a GET body of unknown length: nothing to send, and
/// no `Content-Length` made up for it when the response is finished.
pub fn unknown_length() -> Body {
    Body::stream(UnknownLength)
}

struct UnknownLength;

impl http_body::Body for UnknownLength {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Poll::Ready(None)
    }
}

/// A response body read as bytes, for the encoders.
struct BodyReader {
    body: Body,
    chunk: Bytes,
    done: bool,
}

impl AsyncRead for BodyReader {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let available = match self.as_mut().poll_fill_buf(cx) {
            Poll::Ready(Ok(data)) => data,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = available.len().min(buf.remaining());
        buf.put_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for BodyReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.chunk.is_empty() && !this.done {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers have no place in a compressed body; they are dropped.
                    if let Ok(data) = frame.into_data() {
                        this.chunk = data;
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(io::Error::other(e))),
                Poll::Ready(None) => this.done = true,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&this.chunk[..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.chunk.len());
        let _ = this.chunk.split_to(amt);
    }
}

/// An encoder's output as a response body.
struct Encoded {
    encoder: Pin<Box<dyn AsyncRead + Send>>,
    buf: Vec<u8>,
    done: bool,
}

impl http_body::Body for Encoded {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut read = ReadBuf::new(&mut this.buf);
        match this.encoder.as_mut().poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) if read.filled().is_empty() => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(Ok(())) => Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(read.filled()))))),
            Poll::Ready(Err(e)) => {
                this.done = true;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// Adds `Accept-Encoding` to `Vary` unless it is there already (or `Vary: *`).
pub fn add_vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || t.trim().eq_ignore_ascii_case("accept-encoding"));
    if !present {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

/// What a request says that matters for compressing its response, kept before the request
/// is handed to its handler.
#[derive(Debug, Clone)]
pub struct Negotiation {
    accept: AcceptEncoding,
    head: bool,
    range: bool,
    if_none_match: Option<String>,
}

impl Negotiation {
    /// Reads the request's method and header fields.
    pub fn of(method: &Method, headers: &HeaderMap) -> Negotiation {
        let if_none_match = headers.get_all(IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(", ");
        Negotiation {
            accept: AcceptEncoding::parse(headers),
            head: method == Method::HEAD,
            range: headers.contains_key(RANGE),
            if_none_match: (!if_none_match.is_empty()).then_some(if_none_match),
        }
    }

    /// Compresses a response that no handler compressed (proxied, `respond`), when it is
    /// worth it and allowed:
    ///
    /// - left alone: a `Content-Encoding` already there (a proxied upstream's choice),
    ///   `Cache-Control: no-transform` (RFC 9111 §5.2.2.6), 206 and `Content-Range`, no
    ///   content (1xx, 204), media types already compressed, bodies under [`MIN_LENGTH`];
    /// - `Vary: Accept-Encoding` on every response that could have been compressed,
    ///   including the identity ones;
    /// - the encoded response has `Content-Encoding`, no `Accept-Ranges` (ranges are served
    ///   on the identity only), the length when the content was in memory, and its ETag
    ///   made weak: the origin's strong tag names the identity bytes, and a weak tag still
    ///   lets `If-None-Match` revalidate through the origin or the cache (weak comparison);
    /// - a 304 answering an `If-None-Match` that carries the weak form of the origin's tag
    ///   gets that weak tag, as the 200 would have had.
    pub async fn apply(self, mut resp: Response<Body>) -> Response<Body> {
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            self.revalidated(&mut resp);
            return resp;
        }
        if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::PARTIAL_CONTENT {
            return resp;
        }
        let headers = resp.headers();
        if headers.contains_key(CONTENT_ENCODING) || headers.contains_key(CONTENT_RANGE) || no_transform(headers) {
            return resp;
        }
        if !headers.get(CONTENT_TYPE).is_some_and(compressible) {
            return resp;
        }
        let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        // A proxied HEAD has no body but the GET's Content-Length; a `respond` HEAD still
        // carries the body GET would send (the pipeline drops it later).
        let length = match resp.body() {
            Body::Empty if self.head => declared,
            body => body.exact_len().or(declared),
        };
        if length.is_some_and(|n| n < MIN_LENGTH) {
            return resp;
        }
        add_vary(resp.headers_mut());
        // A range request answered in full stays uncoded too, like the static files.
        let Some(coding) = (if self.range { None } else { self.accept.choose(|_| true) }) else {
            return resp;
        };
        let headers = resp.headers_mut();
        headers.remove(CONTENT_LENGTH);
        headers.remove(ACCEPT_RANGES);
        headers.insert(CONTENT_ENCODING, coding.header_value());
        weaken_etag(headers);
        let body = std::mem::take(resp.body_mut());
        let encoded = match body {
            // The GET's length is not known here, and none must be made up from an empty body.
            Body::Empty if self.head => unknown_length(),
            Body::Full(data) => match encode(coding, Effort::PerResponse, data.clone()).await {
                Ok(encoded) => Body::Full(encoded),
                Err(e) => {
                    // Compressing memory cannot really fail; if it did, send the original.
                    tracing::warn!("compressing a response failed, sent uncompressed: {e}");
                    resp.headers_mut().remove(CONTENT_ENCODING);
                    Body::Full(data)
                }
            },
            Body::Empty => Body::Empty,
            stream => encode_body(coding, Effort::PerResponse, stream),
        };
        *resp.body_mut() = encoded;
        resp
    }

    fn revalidated(&self, resp: &mut Response<Body>) {
        let Some(inm) = &self.if_none_match else { return };
        let Some(tag) = resp.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned) else { return };
        if tag.starts_with("W/") || !self.accept.wants_some_coding() {
            return;
        }
        let weak_form = format!("W/{tag}");
        let held_weak = crate::handlers::entity_tags(inm).is_some_and(|tags| tags.iter().any(|t| t.weak && t.tag == tag));
        if held_weak {
            if let Ok(v) = HeaderValue::from_str(&weak_form) {
                resp.headers_mut().insert(ETAG, v);
            }
            add_vary(resp.headers_mut());
        }
    }
}

fn no_transform(headers: &HeaderMap) -> bool {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-transform"))
}

fn weaken_etag(headers: &mut HeaderMap) {
    let Some(tag) = headers.get(ETAG).and_then(|v| v.to_str().ok()) else { return };
    if tag.starts_with("W/") {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&format!("W/{tag}")) {
        headers.insert(ETAG, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_compression::tokio::bufread::{BrotliDecoder, GzipDecoder, ZstdDecoder};
    use http_body_util::BodyExt;

    fn ae(value: &str) -> AcceptEncoding {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        AcceptEncoding::parse(&h)
    }

    fn all(_: Coding) -> bool {
        true
    }

    #[test]
    fn choose_by_q_values() {
        assert_eq!(AcceptEncoding::parse(&HeaderMap::new()).choose(all), None, "no field: identity");
        assert_eq!(ae("").choose(all), None, "empty field: no coding wanted");
        assert_eq!(ae("gzip").choose(all), Some(Coding::Gzip));
        assert_eq!(ae("x-gzip").choose(all), Some(Coding::Gzip));
        assert_eq!(ae("GZIP;Q=0.5").choose(all), Some(Coding::Gzip), "case-insensitive");
        assert_eq!(ae("gzip, deflate, br, zstd").choose(all), Some(Coding::Brotli), "ties: br first");
        assert_eq!(ae("gzip, zstd").choose(all), Some(Coding::Zstd), "ties: zstd before gzip");
        assert_eq!(ae("br;q=0.5, gzip;q=0.8").choose(all), Some(Coding::Gzip), "higher q wins");
        assert_eq!(ae("br;q=0, gzip").choose(all), Some(Coding::Gzip), "q=0 is refused");
        assert_eq!(ae("br;q=0.000, *").choose(all), Some(Coding::Zstd), "* covers the unlisted");
        assert_eq!(ae("*").choose(all), Some(Coding::Brotli));
        assert_eq!(ae("*;q=0").choose(all), None);
        assert_eq!(ae("deflate, compress").choose(all), None, "nothing we make");
        assert_eq!(ae("gzip;q=0.5, identity").choose(all), None, "identity weighed higher");
        assert_eq!(ae("gzip;q=0.5, identity;q=0.5").choose(all), Some(Coding::Gzip), "tie: compress");
        assert_eq!(ae("gzip;q=0.2").choose(all), Some(Coding::Gzip), "unweighed identity does not compete");
        assert_eq!(ae("identity;q=0").choose(all), None, "refused identity, nothing else: still identity");
        assert_eq!(ae("gzip;q=bogus, br").choose(all), Some(Coding::Brotli), "unreadable weight ignored");
        assert_eq!(ae("gzip;q=1.5").choose(all), None);
        assert_eq!(ae("br, gzip").choose(|c| c == Coding::Gzip), Some(Coding::Gzip), "only what is available");
        assert!(ae("gzip, *;q=0").accepts(Coding::Gzip) && !ae("gzip, *;q=0").accepts(Coding::Brotli));
        assert!(ae("*").accepts(Coding::Zstd) && !ae("br;q=0, *").accepts(Coding::Brotli));
        assert!(!AcceptEncoding::parse(&HeaderMap::new()).accepts(Coding::Gzip));
    }

    #[test]
    fn several_fields_are_one_list() {
        let mut h = HeaderMap::new();
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("gzip;q=0.1"));
        h.append(ACCEPT_ENCODING, HeaderValue::from_static("zstd;q=0.2"));
        assert_eq!(AcceptEncoding::parse(&h).choose(all), Some(Coding::Zstd));
    }

    #[test]
    fn weights() {
        let w = |s: &str| weight(s.split(';'));
        assert_eq!(w("q=1"), Some(1000));
        assert_eq!(w("q=0.5"), Some(500));
        assert_eq!(w("q=0.05"), Some(50));
        assert_eq!(w("q=1.000"), Some(1000));
        assert_eq!(w("q=1.001"), None);
        assert_eq!(w("q=0.1234"), None);
        assert_eq!(w("q=-1"), None);
        assert_eq!(w("level=1"), Some(1000));
    }

    #[test]
    fn etags_differ_per_coding() {
        assert_eq!(Coding::Gzip.etag("\"abc\""), "\"abc-gzip\"");
        assert_eq!(Coding::Brotli.etag("\"abc\""), "\"abc-br\"");
        assert_eq!(Coding::Zstd.etag("W/\"abc\""), "W/\"abc-zstd\"");
    }

    #[test]
    fn compressible_types() {
        let c = |s: &'static str| compressible(&HeaderValue::from_static(s));
        assert!(c("text/html; charset=utf-8"));
        assert!(c("application/javascript"));
        assert!(c("application/ld+json"));
        assert!(c("image/svg+xml"));
        assert!(!c("text/event-stream"));
        assert!(!c("image/png"));
        assert!(!c("application/gzip"));
        assert!(!c("font/woff2"));
        assert!(!c("application/octet-stream"));
    }

    async fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Gzip => GzipDecoder::new(data).read_to_end(&mut out).await.unwrap(),
            Coding::Brotli => BrotliDecoder::new(data).read_to_end(&mut out).await.unwrap(),
            Coding::Zstd => ZstdDecoder::new(data).read_to_end(&mut out).await.unwrap(),
        };
        out
    }

    fn sample() -> Vec<u8> {
        (0..200_000u32).flat_map(|i| format!("line {} of the sample\n", i % 977).into_bytes()).collect()
    }

    #[tokio::test]
    async fn in_memory_round_trip() {
        let data = sample();
        for coding in Coding::PREFERENCE {
            for effort in [Effort::Kept, Effort::PerResponse] {
                let encoded = encode(coding, effort, Bytes::from(data.clone())).await.unwrap();
                assert!(encoded.len() < data.len() / 4, "{coding:?} compresses");
                assert_eq!(decode(coding, &encoded).await, data, "{coding:?} {effort:?}");
            }
        }
    }

    /// A body handing out its content in small pieces, as a proxied response would.
    struct Pieces(std::collections::VecDeque<Bytes>);

    impl http_body::Body for Pieces {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }

    #[tokio::test]
    async fn streamed_round_trip() {
        let data = sample();
        for coding in Coding::PREFERENCE {
            let pieces = data.chunks(7000).map(Bytes::copy_from_slice).collect();
            let body = encode_body(coding, Effort::PerResponse, Body::stream(Pieces(pieces)));
            assert_eq!(body.exact_len(), None);
            let encoded = body.collect().await.unwrap().to_bytes();
            assert_eq!(decode(coding, &encoded).await, data, "{coding:?}");
        }
    }
}
