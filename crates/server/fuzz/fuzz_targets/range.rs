//! Feeds arbitrary bytes to the Range / If-Range logic of static routes (RFC 9110 §14,
//! §13.1.5). The input is `Range value \n If-Range value \n length`, each line optional.
//!
//! Besides "no panic", it checks that every range handed to the file reader lies inside the
//! representation and is non-empty, that a 206 never carries more than `MAX_RANGES` ranges,
//! that whether a header is valid does not depend on the representation's length, that a
//! range satisfiable for one length stays satisfiable for a longer one, and that If-Range
//! only ever turns a partial answer into a full one.

#![no_main]

use std::time::{Duration, SystemTime};

use http::header::{HeaderValue, IF_RANGE, RANGE};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use methodical_server::handlers::range::{decide, parse, RangeDecision, MAX_RANGES};

const ETAG: &str = "\"abc\"";

fn last_modified() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
}

fn check_parse(value: &str, len: u64) {
    let parsed = parse(value, len);
    if let Some(ranges) = &parsed {
        for r in ranges {
            assert!(r.start < r.end, "empty or reversed range {r:?} for {value:?}");
            assert!(r.end <= len, "range {r:?} beyond the length {len} for {value:?}");
        }
        if len == 0 {
            assert!(ranges.is_empty(), "a range of an empty representation: {ranges:?}");
        }
    }
    for other in [0, 1, len / 2, len.saturating_add(1), u64::MAX] {
        let again = parse(value, other);
        assert_eq!(again.is_some(), parsed.is_some(), "validity of {value:?} depends on the length ({len} vs {other})");
        if other >= len {
            if let (Some(a), Some(b)) = (&parsed, &again) {
                assert!(a.is_empty() || !b.is_empty(), "{value:?} satisfiable for {len} octets but not for {other}");
            }
        }
    }
}

fn check_decide(range: &[u8], if_range: Option<&[u8]>, len: u64) {
    let Ok(range_value) = HeaderValue::from_bytes(range) else { return };
    let mut headers = HeaderMap::new();
    headers.insert(RANGE, range_value.clone());
    let plain = decide(&headers, len, ETAG, last_modified());
    match &plain {
        RangeDecision::Partial(ranges) => {
            assert!(!ranges.is_empty() && ranges.len() <= MAX_RANGES, "{} ranges in a 206", ranges.len());
            for r in ranges {
                assert!(r.start < r.end && r.end <= len, "range {r:?} outside 0..{len}");
            }
        }
        RangeDecision::NotSatisfiable => {
            let text = range_value.to_str().expect("a decided Range is text");
            assert_eq!(parse(text, len), Some(Vec::new()), "416 only when nothing is satisfiable");
            if len == 0 {
                // RFC 9110 §14.1.1: a non-zero suffix-range is satisfiable even then.
                let suffix = text.split_once('=').map_or("", |(_, s)| s).split(',').any(|spec| {
                    spec.trim().strip_prefix('-').is_some_and(|n| n.trim().bytes().any(|b| b != b'0'))
                });
                assert!(!suffix, "416 for a non-zero suffix-range on an empty representation: {text:?}");
            }
        }
        RangeDecision::Full => {}
    }
    // The current validator as If-Range changes nothing; a weak or other one means 200.
    headers.insert(IF_RANGE, HeaderValue::from_static(ETAG));
    assert_eq!(decide(&headers, len, ETAG, last_modified()), plain, "If-Range with the current strong ETag");
    headers.insert(IF_RANGE, HeaderValue::from_static("W/\"abc\""));
    assert_eq!(decide(&headers, len, ETAG, last_modified()), RangeDecision::Full, "a weak If-Range never matches");
    if let Some(value) = if_range.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(IF_RANGE, value);
        let with = decide(&headers, len, ETAG, last_modified());
        assert!(with == plain || with == RangeDecision::Full, "If-Range produced {with:?} where Range alone gave {plain:?}");
    }
    // A second Range field line: the header is ignored.
    headers.remove(IF_RANGE);
    headers.append(RANGE, range_value);
    assert_eq!(decide(&headers, len, ETAG, last_modified()), RangeDecision::Full, "two Range lines are ignored");
}

fuzz_target!(|data: &[u8]| {
    let mut lines = data.splitn(3, |&b| b == b'\n');
    let range = lines.next().unwrap_or_default();
    let if_range = lines.next();
    let len = lines
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
        .and_then(|l| l.trim().parse::<u64>().ok())
        .unwrap_or(10_000);
    let text = String::from_utf8_lossy(range);
    for l in [len, 0, 1] {
        check_parse(&text, l);
        check_decide(range, if_range, l);
    }
});
