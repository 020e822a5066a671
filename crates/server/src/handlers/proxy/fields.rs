//! The header rules of an intermediary, shared by both directions: hop-by-hop fields
//! (P-3), `Via` (P-4) and `Max-Forwards` (P-5). Pure functions on header maps.

use http::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, MAX_FORWARDS, TE, TRANSFER_ENCODING, UPGRADE, VIA};
use http::Version;

/// `Keep-Alive` (RFC 9112 App. C.2.2): hop-by-hop though seldom listed.
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
/// `Proxy-Connection`: a pre-standard `Connection` some clients still send.
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Removes `Connection`, every field it lists (options compared case-insensitively; a listed
/// end-to-end field is removed too, A-12) and the fields that are hop-by-hop even when not
/// listed: `Keep-Alive`, `Proxy-Connection`, `TE`, `Upgrade`, `Transfer-Encoding` (P-3).
///
/// A message that had `Transfer-Encoding` loses `Content-Length` as well: the transfer
/// coding wins over it and the body is re-framed on the next hop (RFC 9112 §6.3, P-11). A
/// `Content-Length` that stays is written once, canonically (see [`canonical_content_length`]).
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass over the names finds which of these are there: most messages carry none or
    // only `Connection`, and a removal costs a hashed lookup each.
    let mut present = [false; HOP_BY_HOP.len()];
    for name in headers.keys() {
        if let Some(i) = HOP_BY_HOP.iter().position(|h| h == name) {
            present[i] = true;
        }
    }
    if !present.contains(&true) {
        canonical_content_length(headers);
        return;
    }
    if present[0] {
        // Taken out of the map first (the first line moved, not copied; further lines are
        // rare) so that the fields they name can be removed from it.
        let further_lines: Vec<HeaderValue> = headers.get_all(CONNECTION).iter().skip(1).cloned().collect();
        let first_line = headers.remove(CONNECTION);
        for line in first_line.iter().chain(&further_lines) {
            for option in line.as_bytes().split(|&b| b == b',') {
                remove_listed(headers, option.trim_ascii());
            }
        }
    }
    for (name, _) in HOP_BY_HOP.iter().zip(present).filter(|(_, there)| *there) {
        headers.remove(name);
    }
    if present[1] {
        // Even when `Connection` listed it and it went above.
        headers.remove(CONTENT_LENGTH);
    }
    canonical_content_length(headers);
}

/// Removed by [`strip_hop_by_hop`] whatever `Connection` lists; `Connection` first.
static HOP_BY_HOP: [HeaderName; 6] = [CONNECTION, TRANSFER_ENCODING, KEEP_ALIVE, PROXY_CONNECTION, TE, UPGRADE];

/// Removes the field a `Connection` option names, when the message has one: the names are
/// compared in place first, so the usual options (`close`, `keep-alive` without a
/// `Keep-Alive` field) cost no lookup, and none allocates a `HeaderName`.
fn remove_listed(headers: &mut HeaderMap, option: &[u8]) {
    if !headers.keys().any(|name| name.as_str().as_bytes().eq_ignore_ascii_case(option)) {
        return;
    }
    if let Ok(name) = std::str::from_utf8(option) {
        // A lookup by `&str` ignores case, like the comparison above.
        headers.remove(name);
    }
}

/// Leaves at most one `Content-Length` line holding one decimal number without leading
/// zeros. RFC 9110 §8.6: a recipient may accept the same value repeated (`5, 5`, or two lines
/// of `5`) but a sender MUST NOT forward a value that is not `1*DIGIT`; passing the list on
/// would leave the next hop to guess, which is how requests get smuggled. Values that
/// disagree or are not numbers (the HTTP/1 parser and hyper refuse those before this point)
/// are removed, so the next hop's framing comes from the content itself.
pub fn canonical_content_length(headers: &mut HeaderMap) {
    let mut values = headers.get_all(CONTENT_LENGTH).iter();
    let Some(first) = values.next() else { return };
    if values.next().is_none() && is_canonical_length(first.as_bytes()) {
        return;
    }
    let mut length: Option<u64> = None;
    let mut consistent = true;
    for item in headers.get_all(CONTENT_LENGTH).iter().flat_map(|v| v.as_bytes().split(|&b| b == b',')) {
        let item = item.trim_ascii();
        let n = std::str::from_utf8(item).ok().filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).and_then(|t| t.parse::<u64>().ok());
        match (n, length) {
            (Some(n), None) => length = Some(n),
            (Some(n), Some(prev)) if n == prev => {}
            _ => consistent = false,
        }
    }
    headers.remove(CONTENT_LENGTH);
    if let (true, Some(n)) = (consistent, length) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
    }
}

fn is_canonical_length(v: &[u8]) -> bool {
    !v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit) && (v.len() == 1 || v[0] != b'0')
}

/// The `received-protocol` of a Via entry for a message received with `version`
/// (RFC 9110 §7.6.3: the protocol name is omitted for HTTP).
pub fn protocol(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// Appends `<protocol> <pseudonym>` after the Via values already present, as one field line
/// (P-4: `Via: 1.1 a` becomes `Via: 1.1 a, 1.1 edge`).
pub fn append_via(headers: &mut HeaderMap, version: Version, pseudonym: &str) {
    let ours = format!("{} {pseudonym}", protocol(version));
    let mut line = Vec::new();
    for v in headers.get_all(VIA) {
        let v = v.as_bytes().trim_ascii();
        if !v.is_empty() {
            line.extend_from_slice(v);
            line.extend_from_slice(b", ");
        }
    }
    line.extend_from_slice(ours.as_bytes());
    match HeaderValue::from_bytes(&line) {
        Ok(v) => {
            headers.insert(VIA, v);
        }
        // An earlier value we cannot copy (it had octets HeaderValue refuses): keep the old
        // lines and add ours on a line of its own, which is equivalent (RFC 9110 §5.3).
        Err(_) => {
            if let Ok(v) = HeaderValue::from_str(&ours) {
                headers.append(VIA, v);
            }
        }
    }
}

/// This gateway's Via entries, one per protocol version, built once per route so that the
/// common case (a message without Via) costs a reference-count increment.
#[derive(Debug, Clone)]
pub struct Via {
    pseudonym: String,
    /// `0.9`, `1.0`, `1.1`, `2`, `3` entries.
    entries: [HeaderValue; 5],
}

impl Via {
    /// The entries for `pseudonym` (a token, checked by the configuration).
    pub fn new(pseudonym: &str) -> Via {
        let entry = |v: Version| {
            HeaderValue::from_str(&format!("{} {pseudonym}", protocol(v))).unwrap_or_else(|_| HeaderValue::from_static("1.1 methodical"))
        };
        Via {
            pseudonym: pseudonym.to_string(),
            entries: [entry(Version::HTTP_09), entry(Version::HTTP_10), entry(Version::HTTP_11), entry(Version::HTTP_2), entry(Version::HTTP_3)],
        }
    }

    /// The pseudonym.
    pub fn pseudonym(&self) -> &str {
        &self.pseudonym
    }

    /// Appends our entry for a message received with `version` (see [`append_via`]).
    pub fn append(&self, headers: &mut HeaderMap, version: Version) {
        if headers.contains_key(VIA) {
            append_via(headers, version, &self.pseudonym);
        } else {
            let i = match version {
                Version::HTTP_09 => 0,
                Version::HTTP_10 => 1,
                Version::HTTP_2 => 3,
                Version::HTTP_3 => 4,
                _ => 2,
            };
            headers.insert(VIA, self.entries[i].clone());
        }
    }

    /// Did the message already pass through here (see [`via_names`])?
    pub fn seen_in(&self, headers: &HeaderMap) -> bool {
        headers.contains_key(VIA) && via_names(headers, &self.pseudonym)
    }
}

/// Does a Via entry name `pseudonym` as its received-by part? Then this request has been
/// here before: a forwarding loop (P-4, A-8).
pub fn via_names(headers: &HeaderMap, pseudonym: &str) -> bool {
    headers.get_all(VIA).iter().any(|line| {
        via_entries(line.as_bytes()).any(|entry| {
            let mut words = entry.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty());
            let _protocol = words.next();
            words.next().is_some_and(|by| by.eq_ignore_ascii_case(pseudonym.as_bytes()))
        })
    })
}

/// The entries of one Via line: split at commas outside comments (`(…)` may hold commas).
fn via_entries(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut depth = 0usize;
    let mut start = 0;
    let mut out = Vec::new();
    for (i, &b) in line.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                out.push(line[start..i].trim_ascii());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(line[start..].trim_ascii());
    out.into_iter().filter(|e| !e.is_empty())
}

/// What `Max-Forwards` says for an OPTIONS or TRACE request (P-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxForwards {
    /// No Max-Forwards: forward, and add none.
    Absent,
    /// Zero: this gateway is the final recipient and answers itself.
    Zero,
    /// Forward with this value (the received one minus one).
    Forward(u64),
}

/// Why a Max-Forwards field is unusable (answered 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MaxForwardsError {
    /// Not `1*DIGIT`.
    #[error("the Max-Forwards header field `{0}` is not a number of hops (1*DIGIT)")]
    NotDigits(String),
    /// More than one line.
    #[error("the request has more than one Max-Forwards header field")]
    Repeated,
}

/// Reads Max-Forwards (RFC 9110 §7.6.2: `1*DIGIT`). A value too large for 64 bits is taken
/// as the largest one: it only bounds hops.
pub fn max_forwards(headers: &HeaderMap) -> Result<MaxForwards, MaxForwardsError> {
    let mut lines = headers.get_all(MAX_FORWARDS).iter();
    let Some(line) = lines.next() else { return Ok(MaxForwards::Absent) };
    if lines.next().is_some() {
        return Err(MaxForwardsError::Repeated);
    }
    let value = line.as_bytes().trim_ascii();
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(MaxForwardsError::NotDigits(String::from_utf8_lossy(value).chars().take(40).collect()));
    }
    let n = std::str::from_utf8(value).ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(u64::MAX);
    Ok(if n == 0 { MaxForwards::Zero } else { MaxForwards::Forward(n - 1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn p3_connection_listed_and_known_hop_by_hop_fields_go() {
        let mut h = map(&[
            ("connection", "X-A, keep-alive"),
            ("Connection", "x-c"),
            ("x-a", "1"),
            ("x-c", "2"),
            ("keep-alive", "5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("upgrade", "foo"),
            ("x-end-to-end", "kept"),
        ]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h["x-end-to-end"], "kept");
    }

    #[test]
    fn p11_transfer_encoding_takes_content_length_with_it() {
        let mut h = map(&[("transfer-encoding", "chunked"), ("content-length", "10")]);
        strip_hop_by_hop(&mut h);
        assert!(h.is_empty());
        let mut h = map(&[("connection", "Transfer-Encoding"), ("transfer-encoding", "chunked"), ("content-length", "10")]);
        strip_hop_by_hop(&mut h);
        assert!(h.is_empty(), "{h:?}");
        let mut h = map(&[("content-length", "10")]);
        strip_hop_by_hop(&mut h);
        assert_eq!(h["content-length"], "10");
    }

    #[test]
    fn p3_content_length_is_forwarded_once_and_canonical() {
        for (sent, forwarded) in [
            (&[("content-length", "10")][..], Some("10")),
            (&[("content-length", "10"), ("content-length", "10")][..], Some("10")),
            (&[("content-length", "10, 10")][..], Some("10")),
            (&[("content-length", "0010")][..], Some("10")),
            (&[("content-length", "0")][..], Some("0")),
            (&[("content-length", "10"), ("content-length", "11")][..], None),
            (&[("content-length", "1 0")][..], None),
            (&[("content-length", "+10")][..], None),
        ] {
            let mut h = map(sent);
            strip_hop_by_hop(&mut h);
            assert_eq!(h.get_all("content-length").iter().count(), usize::from(forwarded.is_some()), "{sent:?}");
            assert_eq!(h.get("content-length").map(|v| v.to_str().unwrap()), forwarded, "{sent:?}");
        }
    }

    #[test]
    fn a12_listed_end_to_end_field_is_removed() {
        let mut h = map(&[("connection", "Cache-Control"), ("cache-control", "max-age=1")]);
        strip_hop_by_hop(&mut h);
        assert!(h.get("cache-control").is_none());
        // Empty options and ones that are no field name are skipped, not fatal.
        let mut h = map(&[("connection", " , bad name,\t,X-Gone"), ("x-gone", "1"), ("x-kept", "2")]);
        let mut bytes = h.get("connection").unwrap().as_bytes().to_vec();
        bytes.extend_from_slice(b", \xff");
        h.insert(CONNECTION, HeaderValue::from_bytes(&bytes).unwrap());
        strip_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h["x-kept"], "2");
    }

    #[test]
    fn p4_via_appended_in_one_line_with_client_version() {
        let mut h = map(&[("via", "1.1 a"), ("via", "1.0 b (x, y)")]);
        append_via(&mut h, Version::HTTP_10, "edge");
        assert_eq!(h.get_all(VIA).iter().count(), 1);
        assert_eq!(h[VIA], "1.1 a, 1.0 b (x, y), 1.0 edge");
        let mut h = HeaderMap::new();
        append_via(&mut h, Version::HTTP_2, "edge");
        assert_eq!(h[VIA], "2 edge");
    }

    #[test]
    fn p4_prebuilt_entries_match_the_general_path() {
        let via = Via::new("edge");
        for v in [Version::HTTP_10, Version::HTTP_11, Version::HTTP_2] {
            let mut a = HeaderMap::new();
            via.append(&mut a, v);
            let mut b = HeaderMap::new();
            append_via(&mut b, v, "edge");
            assert_eq!(a[VIA], b[VIA]);
        }
        let mut h = map(&[("via", "1.1 a")]);
        via.append(&mut h, Version::HTTP_11);
        assert_eq!(h[VIA], "1.1 a, 1.1 edge");
        assert!(via.seen_in(&h) && !Via::new("other").seen_in(&h));
    }

    #[test]
    fn p4_loop_is_seen_in_any_entry() {
        assert!(via_names(&map(&[("via", "1.1 a, 1.1 Edge")]), "edge"));
        assert!(via_names(&map(&[("via", "HTTP/1.1 edge (comment, with comma)")]), "edge"));
        assert!(!via_names(&map(&[("via", "1.1 a (edge), 1.1 edge-2")]), "edge"));
        assert!(!via_names(&HeaderMap::new(), "edge"));
    }

    #[test]
    fn p5_max_forwards_values() {
        assert_eq!(max_forwards(&HeaderMap::new()), Ok(MaxForwards::Absent));
        assert_eq!(max_forwards(&map(&[("max-forwards", "0")])), Ok(MaxForwards::Zero));
        assert_eq!(max_forwards(&map(&[("max-forwards", " 3 ")])), Ok(MaxForwards::Forward(2)));
        assert_eq!(max_forwards(&map(&[("max-forwards", "99999999999999999999999")])), Ok(MaxForwards::Forward(u64::MAX - 1)));
        assert!(matches!(max_forwards(&map(&[("max-forwards", "-1")])), Err(MaxForwardsError::NotDigits(_))));
        assert!(matches!(max_forwards(&map(&[("max-forwards", "")])), Err(MaxForwardsError::NotDigits(_))));
        assert!(matches!(max_forwards(&map(&[("max-forwards", "3, 3")])), Err(MaxForwardsError::NotDigits(_))));
        assert_eq!(max_forwards(&map(&[("max-forwards", "1"), ("max-forwards", "1")])), Err(MaxForwardsError::Repeated));
    }
}
