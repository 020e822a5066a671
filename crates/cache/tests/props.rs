//! Property tests: parsers never panic on arbitrary input, and parsing agrees with simple
//! models where one exists.

use std::time::{Duration, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, VARY};
use methodical_cache::date::{format_http_date, parse_http_date};
use methodical_cache::directives::{parse_delta_seconds, ResponseCacheControl, RequestCacheControl, DELTA_SECONDS_CAP};
use methodical_cache::freshness::age_value;
use methodical_cache::vary::VaryRule;
use proptest::prelude::*;

fn map(name: http::header::HeaderName, lines: &[Vec<u8>]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for l in lines {
        if let Ok(v) = HeaderValue::from_bytes(l) {
            h.append(name.clone(), v);
        }
    }
    h
}

proptest! {
    #[test]
    fn c6_cache_control_parsing_never_panics(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), 0..4)) {
        let h = map(CACHE_CONTROL, &lines);
        let _ = ResponseCacheControl::from_headers(&h);
        let _ = RequestCacheControl::from_headers(&h);
    }

    #[test]
    fn c6_max_age_round_trips_and_caps(n in any::<u64>()) {
        let h = map(CACHE_CONTROL, &[format!("max-age={n}").into_bytes()]);
        let expected = n.min(u64::from(DELTA_SECONDS_CAP)) as u32;
        prop_assert_eq!(ResponseCacheControl::from_headers(&h).max_age, Some(expected));
        prop_assert_eq!(parse_delta_seconds(n.to_string().as_bytes()), Some(expected));
    }

    #[test]
    fn c6_dates_round_trip(secs in 0u64..253_402_300_799) {
        let t = UNIX_EPOCH + Duration::from_secs(secs);
        prop_assert_eq!(parse_http_date(format_http_date(t).as_bytes()), Some(t));
    }

    #[test]
    fn c6_date_parsing_never_panics(v in proptest::collection::vec(any::<u8>(), 0..40)) {
        let _ = parse_http_date(&v);
    }

    #[test]
    fn c7_age_parsing_never_panics(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..30), 0..3)) {
        let _ = age_value(&map(http::header::AGE, &lines));
    }

    #[test]
    fn c12_vary_parsing_never_panics(lines in proptest::collection::vec("[ -~]{0,40}", 0..3), req in "[ -~]{0,20}") {
        let lines: Vec<Vec<u8>> = lines.into_iter().map(String::into_bytes).collect();
        let rule = VaryRule::from_response(&map(VARY, &lines));
        let mut request = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&req) {
            request.insert("foo", v);
        }
        if let Some(key) = rule.key_for(&request) {
            // A request always matches the key computed from itself.
            prop_assert!(key.matches(&request));
        }
    }
}
