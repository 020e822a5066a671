//! Range requests (RFC 9110 §14): `Range: bytes=…` and `If-Range`.

use std::ops::Range;
use std::time::SystemTime;

use http::header::{IF_RANGE, RANGE};
use http::HeaderMap;

use super::conditional::entity_tags;

/// More ranges than this in one request are served as the whole representation instead
/// (RFC 9110 §14.2 lets a server ignore a Range it finds abusive).
pub const MAX_RANGES: usize = 32;

/// What to send for a GET with (or without) Range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeDecision {
    /// `200` with the whole representation.
    Full,
    /// `206` with these byte ranges (one or several).
    Partial(Vec<Range<u64>>),
    /// `416 Range Not Satisfiable`.
    NotSatisfiable,
}

/// Decides how to answer a GET's Range for a representation of `len` octets.
pub fn decide(headers: &HeaderMap, len: u64, etag: &str, last_modified: SystemTime) -> RangeDecision {
    let Some(range) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeDecision::Full;
    };
    if headers.get_all(RANGE).iter().count() > 1 {
        return RangeDecision::Full;
    }
    if !if_range_holds(headers, etag, last_modified) {
        return RangeDecision::Full;
    }
    match parse(range, len) {
        None => RangeDecision::Full,
        // RFC 9110 §14.1.1: on an empty representation a suffix-range with a non-zero
        // length is still satisfiable, but no byte range can express it: send it whole.
        Some(ranges) if ranges.is_empty() && len == 0 && has_nonzero_suffix(range) => RangeDecision::Full,
        Some(ranges) if ranges.is_empty() => RangeDecision::NotSatisfiable,
        Some(ranges) if ranges.len() > MAX_RANGES => RangeDecision::Full,
        Some(ranges) => RangeDecision::Partial(ranges),
    }
}

/// If-Range (RFC 9110 §13.1.5): the Range applies only if the validator still matches; a
/// weak entity-tag never does; a date must equal Last-Modified exactly.
fn if_range_holds(headers: &HeaderMap, etag: &str, last_modified: SystemTime) -> bool {
    let Some(value) = headers.get(IF_RANGE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return match entity_tags(value) {
            Some(tags) if tags.len() == 1 => !tags[0].weak && tags[0].tag == etag,
            _ => false,
        };
    }
    httpdate::parse_http_date(value).is_ok_and(|d| d == last_modified)
}

/// Does a (valid) byte-range set hold a suffix-range `-N` with N > 0?
fn has_nonzero_suffix(value: &str) -> bool {
    let set = value.split_once('=').map_or("", |(_, set)| set);
    set.split(',').filter_map(|spec| spec.trim().strip_prefix('-')).any(|n| n.trim().bytes().any(|b| b != b'0'))
}

/// Parses `bytes=…` into satisfiable ranges clipped to `len`. `None` when the header is not
/// a valid byte-range set (or another unit): then it is ignored. `Some(empty)`: valid but
/// nothing satisfiable.
pub fn parse(value: &str, len: u64) -> Option<Vec<Range<u64>>> {
    let (unit, set) = value.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut out = Vec::new();
    let mut any = false;
    for spec in set.split(',') {
        let spec = spec.trim();
        if spec.is_empty() {
            continue;
        }
        any = true;
        let (first, last) = spec.split_once('-')?;
        let (first, last) = (first.trim(), last.trim());
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if first.is_empty() {
            // suffix-range: the last N octets.
            if !digits(last) {
                return None;
            }
            let n: u64 = last.parse().unwrap_or(u64::MAX);
            if n > 0 && len > 0 {
                out.push(len.saturating_sub(n)..len);
            }
            continue;
        }
        if !digits(first) || !(last.is_empty() || digits(last)) {
            return None;
        }
        let start: u64 = first.parse().ok()?;
        let end: Option<u64> = if last.is_empty() { None } else { Some(last.parse().unwrap_or(u64::MAX)) };
        if let Some(e) = end {
            if e < start {
                return None;
            }
        }
        if start >= len {
            continue;
        }
        let end_excl = end.map_or(len, |e| e.saturating_add(1).min(len));
        out.push(start..end_excl);
    }
    if !any {
        return None;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // a list of one range is what a single-range request parses to
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn parses_byte_ranges() {
        assert_eq!(parse("bytes=0-4", 10), Some(vec![0..5]));
        assert_eq!(parse("bytes=5-", 10), Some(vec![5..10]));
        assert_eq!(parse("bytes=-3", 10), Some(vec![7..10]));
        assert_eq!(parse("bytes=-30", 10), Some(vec![0..10]));
        assert_eq!(parse("bytes=8-100", 10), Some(vec![8..10]));
        assert_eq!(parse("Bytes=0-0, 2-3", 10), Some(vec![0..1, 2..4]));
        assert_eq!(parse("bytes=10-", 10), Some(vec![]), "unsatisfiable");
        assert_eq!(parse("bytes=-0", 10), Some(vec![]));
        assert_eq!(parse("bytes=5-1", 10), None, "invalid: ignored");
        assert_eq!(parse("bytes=a-b", 10), None);
        assert_eq!(parse("items=0-1", 10), None, "unknown unit ignored");
        assert_eq!(parse("bytes=", 10), None);
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn if_range() {
        let lm = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let lm_text = httpdate::fmt_http_date(lm);
        let d = |pairs: &[(&str, &str)]| decide(&headers(pairs), 10, "\"t\"", lm);
        assert_eq!(d(&[("range", "bytes=0-1")]), RangeDecision::Partial(vec![0..2]));
        assert_eq!(d(&[("range", "bytes=0-1"), ("if-range", "\"t\"")]), RangeDecision::Partial(vec![0..2]));
        assert_eq!(d(&[("range", "bytes=0-1"), ("if-range", "\"old\"")]), RangeDecision::Full);
        assert_eq!(d(&[("range", "bytes=0-1"), ("if-range", "W/\"t\"")]), RangeDecision::Full);
        assert_eq!(d(&[("range", "bytes=0-1"), ("if-range", &lm_text)]), RangeDecision::Partial(vec![0..2]));
        assert_eq!(d(&[("range", "bytes=0-1"), ("if-range", "Sat, 01 Jan 2000 00:00:00 GMT")]), RangeDecision::Full);
        assert_eq!(d(&[("range", "bytes=20-")]), RangeDecision::NotSatisfiable);
        assert_eq!(d(&[]), RangeDecision::Full);
    }

    #[test]
    fn rfc9110_14_1_1_suffix_range_of_an_empty_representation_is_200() {
        let lm = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let d = |range: &str| decide(&headers(&[("range", range)]), 0, "\"t\"", lm);
        assert_eq!(d("bytes=-5"), RangeDecision::Full, "satisfiable, but there are no octets to cut out");
        assert_eq!(d("bytes=0-, -1"), RangeDecision::Full);
        assert_eq!(d("bytes=0-"), RangeDecision::NotSatisfiable, "an int-range never fits an empty representation");
        assert_eq!(d("bytes=-0"), RangeDecision::NotSatisfiable, "a zero-length suffix is never satisfiable");
        assert_eq!(d("bytes=-000"), RangeDecision::NotSatisfiable);
    }
}
