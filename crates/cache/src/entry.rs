//! The stored form of a response (RFC 9111 §3.1, C-14).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, ETAG, LAST_MODIFIED};
use http::{request, response, Method, StatusCode, Version};

use crate::directives::ResponseCacheControl;
use crate::fields::storable_headers;
use crate::freshness::{self, AgeInputs, HeuristicPolicy, LifetimeSource};
use crate::storable::NotStorable;
use crate::vary::{VaryKey, VaryRule};

/// Fixed per-entry overhead counted in [`StoredResponse::size`], so that many tiny entries
/// cannot exceed a byte bound through bookkeeping alone.
const ENTRY_OVERHEAD: u64 = 256;

/// A stored response: status, version, every storable header line (repeated lines and
/// unknown fields kept, in order), the body, the timing needed for age calculation, the
/// request values of the `Vary` fields, and the method that produced it.
///
/// Not stored: `Connection` and the fields it lists, the other hop-by-hop fields, and the
/// proxy authentication fields (C-14).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
    request_time: SystemTime,
    response_time: SystemTime,
    method: Method,
    vary: VaryKey,
    /// Set when a HEAD response showed the stored one is out of date (RFC 9111 §4.3.5).
    invalidated: bool,
    size: u64,
    /// `Cache-Control`, parsed once per header section (every lookup needs it).
    cc: ResponseCacheControl,
    /// Age-calculation inputs, parsed once per header section.
    age: AgeInputs,
}

impl StoredResponse {
    /// Builds the stored form of `resp` (the answer to `req`). This does not check
    /// storability (see [`crate::storable::storability`]); it only refuses what cannot be
    /// represented: a method other than GET/HEAD and `Vary: *`.
    pub fn new(
        req: &request::Parts,
        resp: &response::Parts,
        body: Bytes,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Result<Self, NotStorable> {
        if req.method != Method::GET && req.method != Method::HEAD {
            return Err(NotStorable::Method);
        }
        let vary = VaryRule::from_response(&resp.headers)
            .key_for(&req.headers)
            .ok_or(NotStorable::VaryStar)?;
        let mut headers = storable_headers(&resp.headers);
        // Content that arrived chunked is stored whole: its length is known now, and a
        // HEAD answered from this GET response must announce it (RFC 9110 §9.3.2, E-2).
        let bodyless = resp.status.is_informational()
            || resp.status == StatusCode::NO_CONTENT
            || resp.status == StatusCode::NOT_MODIFIED;
        if req.method == Method::GET && !bodyless && !headers.contains_key(CONTENT_LENGTH) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        }
        let mut entry = Self {
            status: resp.status,
            version: resp.version,
            headers,
            // A stored HEAD response has no content (RFC 9110 §9.3.2).
            body: if req.method == Method::HEAD { Bytes::new() } else { body },
            request_time,
            response_time,
            method: req.method.clone(),
            vary,
            invalidated: false,
            size: 0,
            cc: ResponseCacheControl::default(),
            age: AgeInputs::from_headers(&HeaderMap::new(), request_time, response_time),
        };
        entry.parse_headers();
        Ok(entry)
    }

    /// Recomputes what is derived from the header section and timing.
    fn parse_headers(&mut self) {
        self.cc = ResponseCacheControl::from_headers(&self.headers);
        self.age = AgeInputs::from_headers(&self.headers, self.request_time, self.response_time);
        self.size = self.compute_size();
    }

    fn compute_size(&self) -> u64 {
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum();
        let vary: usize = self
            .vary
            .0
            .iter()
            .map(|(n, v)| n.as_str().len() + v.as_ref().map_or(0, String::len) + 8)
            .sum();
        ENTRY_OVERHEAD + (headers + vary + self.body.len()) as u64
    }

    /// The stored status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version of the stored response.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Every stored header line.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The stored content (empty for a stored HEAD response).
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// When the request that produced this response was sent.
    pub fn request_time(&self) -> SystemTime {
        self.request_time
    }

    /// When this response (or the 304/HEAD that last freshened it) was received.
    pub fn response_time(&self) -> SystemTime {
        self.response_time
    }

    /// GET or HEAD: a stored HEAD response can only answer HEAD (C-11).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request values of the fields named in `Vary` (C-12).
    pub fn vary(&self) -> &VaryKey {
        &self.vary
    }

    /// Approximate size in bytes, used by the byte-bounded stores.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// True when a HEAD response showed this response is out of date (RFC 9111 §4.3.5);
    /// it is then treated as stale.
    pub fn is_invalidated(&self) -> bool {
        self.invalidated
    }

    /// Marks the response as stale (RFC 9111 §4.3.5).
    pub fn mark_invalidated(&mut self) {
        self.invalidated = true;
    }

    /// The parsed `Cache-Control` of the stored response.
    pub fn cache_control(&self) -> &ResponseCacheControl {
        &self.cc
    }

    /// Every stored `ETag` line.
    pub fn etags(&self) -> impl Iterator<Item = &HeaderValue> {
        self.headers.get_all(ETAG).iter()
    }

    /// The first stored `Last-Modified` line.
    pub fn last_modified(&self) -> Option<&HeaderValue> {
        self.headers.get(LAST_MODIFIED)
    }

    /// The `Date` value, if valid.
    pub fn date(&self) -> Option<SystemTime> {
        self.age.date_value
    }

    /// Age-calculation inputs (RFC 9111 §4.2.3).
    pub fn age_inputs(&self) -> AgeInputs {
        self.age
    }

    /// `current_age` at `now` (RFC 9111 §4.2.3).
    pub fn current_age(&self, now: SystemTime) -> Duration {
        self.age_inputs().current_age(now)
    }

    /// The freshness lifetime and where it came from (RFC 9111 §4.2.1).
    pub fn freshness_lifetime(&self, policy: &HeuristicPolicy) -> (Duration, LifetimeSource) {
        freshness::freshness_lifetime(
            self.status,
            &self.headers,
            &self.cc,
            self.response_time,
            policy,
        )
    }

    /// Replaces the header section and timing, keeping status, body, method and variant.
    /// Used by freshening (RFC 9111 §4.3.4).
    pub(crate) fn replace_headers(
        &mut self,
        headers: HeaderMap,
        request_time: SystemTime,
        response_time: SystemTime,
    ) {
        self.headers = headers;
        self.request_time = request_time;
        self.response_time = response_time;
        self.invalidated = false;
        self.parse_headers();
    }

    /// Serialises the entry for the disk tier.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        put_u16(out, self.status.as_u16());
        out.push(version_code(self.version));
        out.push(u8::from(self.method == Method::HEAD));
        out.push(u8::from(self.invalidated));
        put_time(out, self.request_time);
        put_time(out, self.response_time);
        put_u32(out, self.headers.len() as u32);
        for (n, v) in &self.headers {
            put_bytes(out, n.as_str().as_bytes());
            put_bytes(out, v.as_bytes());
        }
        put_u32(out, self.vary.0.len() as u32);
        for (n, v) in &self.vary.0 {
            put_bytes(out, n.as_str().as_bytes());
            match v {
                Some(v) => {
                    out.push(1);
                    put_bytes(out, v.as_bytes());
                }
                None => out.push(0),
            }
        }
        put_u64(out, self.body.len() as u64);
        out.extend_from_slice(&self.body);
    }

    /// Reads an entry written by [`Self::encode_into`]; `None` on any inconsistency.
    pub(crate) fn decode_from(r: &mut Reader<'_>) -> Option<Self> {
        let status = StatusCode::from_u16(r.u16()?).ok()?;
        let version = version_from_code(r.u8()?)?;
        let method = if r.u8()? == 1 { Method::HEAD } else { Method::GET };
        let invalidated = r.u8()? == 1;
        let request_time = r.time()?;
        let response_time = r.time()?;
        let n_headers = r.u32()? as usize;
        let mut headers = HeaderMap::with_capacity(n_headers.min(1024));
        for _ in 0..n_headers {
            let name = HeaderName::from_bytes(r.bytes()?).ok()?;
            let value = HeaderValue::from_bytes(r.bytes()?).ok()?;
            headers.append(name, value);
        }
        let n_vary = r.u32()? as usize;
        let mut vary = Vec::with_capacity(n_vary.min(64));
        for _ in 0..n_vary {
            let name = HeaderName::from_bytes(r.bytes()?).ok()?;
            let value = match r.u8()? {
                0 => None,
                1 => Some(String::from_utf8(r.bytes()?.to_vec()).ok()?),
                _ => return None,
            };
            vary.push((name, value));
        }
        let body_len = usize::try_from(r.u64()?).ok()?;
        let body = Bytes::copy_from_slice(r.take(body_len)?);
        let mut entry = Self {
            status,
            version,
            headers,
            body,
            request_time,
            response_time,
            method,
            vary: VaryKey(vary),
            invalidated,
            size: 0,
            cc: ResponseCacheControl::default(),
            age: AgeInputs::from_headers(&HeaderMap::new(), request_time, response_time),
        };
        entry.parse_headers();
        Some(entry)
    }
}

fn version_code(v: Version) -> u8 {
    match v {
        Version::HTTP_09 => 0,
        Version::HTTP_10 => 1,
        Version::HTTP_2 => 3,
        Version::HTTP_3 => 4,
        _ => 2,
    }
}

fn version_from_code(c: u8) -> Option<Version> {
    Some(match c {
        0 => Version::HTTP_09,
        1 => Version::HTTP_10,
        2 => Version::HTTP_11,
        3 => Version::HTTP_2,
        4 => Version::HTTP_3,
        _ => return None,
    })
}

pub(crate) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(out, b.len() as u32);
    out.extend_from_slice(b);
}
fn put_time(out: &mut Vec<u8>, t: SystemTime) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    put_u64(out, d.as_secs());
    put_u32(out, d.subsec_nanos());
}

/// A bounds-checked little-endian reader over an encoded entry.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn time(&mut self) -> Option<SystemTime> {
        let secs = self.u64()?;
        let nanos = self.u32()?;
        if nanos >= 1_000_000_000 {
            return None;
        }
        UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{Request, Response};

    fn sample(method: &str) -> StoredResponse {
        let (req, ()) = Request::builder()
            .method(method)
            .uri("http://h/x")
            .header("accept-language", "en")
            .body(())
            .unwrap()
            .into_parts();
        let (resp, ()) = Response::builder()
            .status(203)
            .header("cache-control", "max-age=60")
            .header("x-a", "1")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .header("vary", "Accept-Language")
            .header("connection", "x-hop")
            .header("x-hop", "gone")
            .header("keep-alive", "timeout=5")
            .header("proxy-authenticate", "Basic")
            .body(())
            .unwrap()
            .into_parts();
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        StoredResponse::new(&req, &resp, Bytes::from_static(b"hello"), t, t + Duration::from_millis(5)).unwrap()
    }

    #[test]
    fn c14_stores_every_line_but_hop_by_hop_and_proxy_fields() {
        let e = sample("GET");
        let lines: Vec<_> = e.headers().iter().map(|(n, v)| format!("{n}: {}", v.to_str().unwrap())).collect();
        assert_eq!(
            lines,
            [
                "cache-control: max-age=60",
                "x-a: 1",
                "set-cookie: a=1",
                "set-cookie: b=2",
                "vary: Accept-Language",
                "content-length: 5"
            ]
        );
        assert_eq!(e.vary().0[0].1.as_deref(), Some("en"));
        assert!(e.size() >= 5 + ENTRY_OVERHEAD);
    }

    #[test]
    fn e2_content_that_came_chunked_is_stored_with_its_length() {
        // `sample` has no Content-Length: the stored GET gets the length of its content, a
        // stored HEAD response does not (it has none to tell).
        assert_eq!(sample("GET").headers()["content-length"], "5");
        assert!(sample("HEAD").headers().get("content-length").is_none());
        let (req, ()) = Request::builder().uri("http://h/x").body(()).unwrap().into_parts();
        let (resp, ()) = Response::builder().status(204).body(()).unwrap().into_parts();
        let t = SystemTime::now();
        let e = StoredResponse::new(&req, &resp, Bytes::new(), t, t).unwrap();
        assert!(e.headers().get("content-length").is_none(), "no Content-Length on a 204 (E-2)");
    }

    #[test]
    fn c11_stored_head_has_no_body_and_remembers_its_method() {
        let e = sample("HEAD");
        assert_eq!(e.method(), Method::HEAD);
        assert!(e.body().is_empty());
    }

    #[test]
    fn c1_only_get_and_head_can_be_represented() {
        let (req, ()) = Request::builder().method("POST").uri("/").body(()).unwrap().into_parts();
        let (resp, ()) = Response::builder().body(()).unwrap().into_parts();
        let t = SystemTime::now();
        assert_eq!(StoredResponse::new(&req, &resp, Bytes::new(), t, t), Err(NotStorable::Method));
    }

    #[test]
    fn encoding_round_trips() {
        let e = sample("GET");
        let mut buf = Vec::new();
        e.encode_into(&mut buf);
        let mut r = Reader::new(&buf);
        let d = StoredResponse::decode_from(&mut r).unwrap();
        assert!(r.is_empty());
        assert_eq!(d, e);
        // Truncated input is rejected, never panics.
        for cut in [0, 1, 10, buf.len() / 2, buf.len() - 1] {
            assert!(StoredResponse::decode_from(&mut Reader::new(&buf[..cut])).is_none());
        }
    }
}
