//! Freshness lifetime and age (RFC 9111 §4.2, C-5, C-6, C-7).

use std::time::{Duration, SystemTime};

use http::header::{HeaderMap, AGE, DATE, EXPIRES, LAST_MODIFIED};
use http::StatusCode;

use crate::date::parse_http_date;
use crate::directives::{parse_delta_seconds, split_list, trim_ows, ResponseCacheControl};

/// How heuristic freshness is computed when a response has no explicit expiry (C-5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeuristicPolicy {
    /// Fraction of `Date − Last-Modified` used as lifetime. The project uses 0.10.
    pub fraction: f64,
    /// Upper bound of a heuristic lifetime. The project uses 24 h.
    pub cap: Duration,
}

impl Default for HeuristicPolicy {
    fn default() -> Self {
        Self {
            fraction: 0.10,
            cap: Duration::from_secs(24 * 3600),
        }
    }
}

/// Where a freshness lifetime came from, first applicable wins (RFC 9111 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifetimeSource {
    /// `s-maxage` (shared caches only).
    SMaxAge,
    /// `max-age`.
    MaxAge,
    /// `Expires − Date`, or `Expires − response time` without a usable `Date`.
    Expires,
    /// Heuristic (C-5): a fraction of `Date − Last-Modified`, capped; 0 without
    /// `Last-Modified`.
    Heuristic,
    /// Nothing allows freshness: the lifetime is 0.
    None,
}

/// The statuses RFC 9110 defines as heuristically cacheable (C-4). 206 is listed by the RFC
/// but this cache never stores it (C-2).
pub fn is_heuristically_cacheable(status: StatusCode) -> bool {
    matches!(
        status.as_u16(),
        200 | 203 | 204 | 206 | 300 | 301 | 308 | 404 | 405 | 410 | 414 | 501
    )
}

/// The `Date` value, or `None` when absent or invalid.
pub fn date_value(headers: &HeaderMap) -> Option<SystemTime> {
    parse_http_date(headers.get(DATE)?.as_bytes())
}

/// The `Last-Modified` value, or `None` when absent or invalid.
pub fn last_modified(headers: &HeaderMap) -> Option<SystemTime> {
    parse_http_date(headers.get(LAST_MODIFIED)?.as_bytes())
}

/// `Expires` as a lifetime input: `None` when absent, `Some(None)` when present but
/// unusable (invalid, or several lines), which means "already expired" (RFC 9111 §5.3).
fn expires_value(headers: &HeaderMap) -> Option<Option<SystemTime>> {
    let mut lines = headers.get_all(EXPIRES).iter();
    let first = lines.next()?;
    if lines.next().is_some() {
        return Some(None);
    }
    Some(parse_http_date(first.as_bytes()))
}

/// The freshness lifetime of a response for a shared cache (RFC 9111 §4.2.1): `s-maxage`,
/// then `max-age`, then `Expires − Date`, then the heuristic, which applies only to
/// heuristically cacheable statuses or with `public` (§4.2.2).
pub fn freshness_lifetime(
    status: StatusCode,
    headers: &HeaderMap,
    cc: &ResponseCacheControl,
    response_time: SystemTime,
    policy: &HeuristicPolicy,
) -> (Duration, LifetimeSource) {
    if let Some(s) = cc.s_maxage {
        return (secs(s), LifetimeSource::SMaxAge);
    }
    if let Some(s) = cc.max_age {
        return (secs(s), LifetimeSource::MaxAge);
    }
    if let Some(expires) = expires_value(headers) {
        let date = date_value(headers).unwrap_or(response_time);
        let lifetime = expires
            .and_then(|e| e.duration_since(date).ok())
            .unwrap_or(Duration::ZERO);
        return (lifetime, LifetimeSource::Expires);
    }
    if is_heuristically_cacheable(status) || cc.public {
        return (
            heuristic_lifetime(headers, response_time, policy),
            LifetimeSource::Heuristic,
        );
    }
    (Duration::ZERO, LifetimeSource::None)
}

/// `min(fraction × (Date − Last-Modified), cap)`; 0 without a usable `Last-Modified` (C-5,
/// `Date` falls back to the response time.
pub fn heuristic_lifetime(
    headers: &HeaderMap,
    response_time: SystemTime,
    policy: &HeuristicPolicy,
) -> Duration {
    let Some(lm) = last_modified(headers) else {
        return Duration::ZERO;
    };
    let date = date_value(headers).unwrap_or(response_time);
    let Ok(since) = date.duration_since(lm) else {
        return Duration::ZERO;
    };
    let fraction = if policy.fraction.is_finite() && policy.fraction > 0.0 {
        policy.fraction
    } else {
        0.0
    };
    since.mul_f64(fraction).min(policy.cap)
}

/// Can the `Age` field be taken at its word (RFC 9111 §5.1)?
///
/// Yes when it is absent, one delta-seconds on one field line, or one sender's list written
/// without whitespace (`0,7200`), of which §5.1 says to use the first member. No when it is
/// several field lines, or a list joined by a comma and a space (`0, 0`): that is how
/// recipients combine field lines (RFC 9110 §5.3), so it stands for several `Age` lines, the
/// mark of intermediaries that added their own `Age` instead of replacing it. Nor when the
/// (first) value is not a non-negative integer. Such a response is validated before reuse:
/// its real age is unknown, and validating is always allowed.
pub fn age_is_clean(headers: &HeaderMap) -> bool {
    let mut lines = headers.get_all(AGE).iter();
    match (lines.next(), lines.next()) {
        (None, _) => true,
        (Some(line), None) => {
            let v = trim_ows(line.as_bytes());
            let first = v.split(|&b| b == b',').next().unwrap_or(v);
            let joined_with_whitespace = v.windows(2).any(|w| matches!(w, [b',', b' ' | b'\t']));
            !first.is_empty() && first.iter().all(u8::is_ascii_digit) && !joined_with_whitespace
        }
        (Some(_), Some(_)) => false,
    }
}

/// The `Age` value (RFC 9111 §5.1): first member of the first line, parameters ignored,
/// capped like any delta-seconds; an invalid value is ignored (0).
pub fn age_value(headers: &HeaderMap) -> Duration {
    let Some(line) = headers.get(AGE) else {
        return Duration::ZERO;
    };
    let Some(first) = split_list(line.as_bytes()).into_iter().next() else {
        return Duration::ZERO;
    };
    let number = first.split(|&b| b == b';').next().unwrap_or(first);
    parse_delta_seconds(trim_ows(number)).map_or(Duration::ZERO, secs)
}

/// Inputs of the age calculation of RFC 9111 §4.2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeInputs {
    /// `Age` header value (0 if absent or invalid).
    pub age_value: Duration,
    /// The `Age` field can be taken at its word: see [`age_is_clean`]. Anything else (two
    /// lines, a comma-space list, a sign, a fraction, parameters, letters) comes from a
    /// broken intermediary whose idea of the response's age cannot be trusted.
    pub age_is_clean: bool,
    /// `Date` value; `None` when absent or invalid (treated as the response time).
    pub date_value: Option<SystemTime>,
    /// When the request that produced the response was sent.
    pub request_time: SystemTime,
    /// When the response was received.
    pub response_time: SystemTime,
}

impl AgeInputs {
    /// Collects the inputs from a response's header section.
    pub fn from_headers(headers: &HeaderMap, request_time: SystemTime, response_time: SystemTime) -> Self {
        Self {
            age_value: age_value(headers),
            age_is_clean: age_is_clean(headers),
            date_value: date_value(headers),
            request_time,
            response_time,
        }
    }

    /// `corrected_initial_age` = max(apparent_age, age_value + response_delay).
    pub fn corrected_initial_age(&self) -> Duration {
        let date = self.date_value.unwrap_or(self.response_time);
        let apparent_age = self.response_time.duration_since(date).unwrap_or(Duration::ZERO);
        let response_delay = self
            .response_time
            .duration_since(self.request_time)
            .unwrap_or(Duration::ZERO);
        let corrected_age_value = self.age_value.saturating_add(response_delay);
        apparent_age.max(corrected_age_value)
    }

    /// `current_age` = corrected_initial_age + resident_time, at `now`.
    pub fn current_age(&self, now: SystemTime) -> Duration {
        let resident = now.duration_since(self.response_time).unwrap_or(Duration::ZERO);
        self.corrected_initial_age().saturating_add(resident)
    }
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::format_http_date;
    use http::HeaderValue;
    use std::time::UNIX_EPOCH;

    const T0: u64 = 1_700_000_000;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn headers(pairs: &[(&str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                http::header::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    /// One `Age` field line per value.
    fn age_lines(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AGE, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn lifetime(status: u16, pairs: &[(&str, String)]) -> (Duration, LifetimeSource) {
        let h = headers(pairs);
        let cc = ResponseCacheControl::from_headers(&h);
        freshness_lifetime(
            StatusCode::from_u16(status).unwrap(),
            &h,
            &cc,
            at(T0),
            &HeuristicPolicy::default(),
        )
    }

    #[test]
    fn c6_s_maxage_beats_max_age_beats_expires() {
        let d = format_http_date(at(T0));
        let e = format_http_date(at(T0 + 1000));
        assert_eq!(
            lifetime(200, &[("cache-control", "max-age=100, s-maxage=1".into()), ("date", d.clone()), ("expires", e.clone())]),
            (Duration::from_secs(1), LifetimeSource::SMaxAge)
        );
        assert_eq!(
            lifetime(200, &[("cache-control", "max-age=0".into()), ("date", d.clone()), ("expires", e.clone())]),
            (Duration::ZERO, LifetimeSource::MaxAge)
        );
        assert_eq!(
            lifetime(200, &[("date", d), ("expires", e)]),
            (Duration::from_secs(1000), LifetimeSource::Expires)
        );
    }

    #[test]
    fn c6_invalid_or_repeated_expires_means_expired() {
        let d = format_http_date(at(T0));
        assert_eq!(lifetime(200, &[("date", d.clone()), ("expires", "0".into())]).0, Duration::ZERO);
        let e1 = format_http_date(at(T0 + 100));
        assert_eq!(
            lifetime(200, &[("date", d.clone()), ("expires", e1.clone()), ("expires", e1.clone())]).0,
            Duration::ZERO
        );
        // max-age present: Expires (even invalid) is ignored.
        assert_eq!(
            lifetime(200, &[("cache-control", "max-age=60".into()), ("expires", "0".into())]).0,
            Duration::from_secs(60)
        );
    }

    #[test]
    fn c6_expires_without_usable_date_uses_response_time() {
        let e = format_http_date(at(T0 + 10));
        assert_eq!(lifetime(200, &[("date", "foo".into()), ("expires", e)]).0, Duration::from_secs(10));
    }

    #[test]
    fn c5_heuristic_ten_percent_of_last_modified_capped_at_24h() {
        let d = format_http_date(at(T0));
        let lm = format_http_date(at(T0 - 1000));
        assert_eq!(
            lifetime(200, &[("date", d.clone()), ("last-modified", lm)]),
            (Duration::from_secs(100), LifetimeSource::Heuristic)
        );
        let lm_old = format_http_date(at(T0 - 10 * 24 * 3600 * 10));
        assert_eq!(
            lifetime(200, &[("date", d), ("last-modified", lm_old)]).0,
            Duration::from_secs(24 * 3600)
        );
    }

    #[test]
    fn a7_heuristic_without_last_modified_is_zero() {
        assert_eq!(
            lifetime(200, &[("etag", "\"x\"".into())]),
            (Duration::ZERO, LifetimeSource::Heuristic)
        );
    }

    #[test]
    fn c4_heuristic_only_for_listed_statuses_or_public() {
        let d = format_http_date(at(T0));
        let lm = format_http_date(at(T0 - 1000));
        for s in [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501] {
            assert_eq!(lifetime(s, &[("date", d.clone()), ("last-modified", lm.clone())]).0, Duration::from_secs(100), "{s}");
        }
        for s in [201, 202, 302, 307, 400, 403, 500, 502, 503, 504, 510, 599] {
            assert_eq!(lifetime(s, &[("date", d.clone()), ("last-modified", lm.clone())]).1, LifetimeSource::None, "{s}");
        }
        assert_eq!(
            lifetime(599, &[("cache-control", "public".into()), ("date", d), ("last-modified", lm)]).0,
            Duration::from_secs(100)
        );
    }

    #[test]
    fn c7_age_header_first_member_and_invalid_ignored() {
        let a = |v: &[&str]| age_value(&age_lines(v)).as_secs();
        assert_eq!(a(&["7200, 0"]), 7200);
        assert_eq!(a(&["0, 7200"]), 0);
        assert_eq!(a(&["7200", "0"]), 7200);
        assert_eq!(a(&["abc"]), 0);
        assert_eq!(a(&["-7200"]), 0);
        assert_eq!(a(&["7200.0"]), 0);
        assert_eq!(a(&["7200;foo=bar"]), 7200);
        assert_eq!(a(&["2147483649"]), 2_147_483_648);
        assert_eq!(a(&[]), 0);
    }

    #[test]
    fn c7_age_field_that_is_not_one_integer_is_not_clean() {
        let clean = |v: &[&str]| age_is_clean(&age_lines(v));
        assert!(clean(&[]));
        assert!(clean(&["0"]));
        assert!(clean(&[" 7200 "]));
        assert!(clean(&["2147483649"]));
        // one sender's list: RFC 9111 §5.1, first member
        assert!(clean(&["0,7200"]));
        assert!(clean(&["7200,0"]));
        // lists as recipients combine lines, and what is not an integer
        for bad in [&["abc"][..], &["-1"], &["1.0"], &["0, 0"], &["3600, 3600"], &["0,\t1"], &["1;a=b"], &[""], &["0", "0"], &["0", "7200"]] {
            assert!(!clean(bad), "{bad:?}");
        }
    }

    #[test]
    fn c7_current_age_follows_rfc9111_4_2_3() {
        // Date 100 s before the response arrived, Age 30, 2 s response delay.
        let inputs = AgeInputs {
            age_value: Duration::from_secs(30),
            age_is_clean: true,
            date_value: Some(at(T0 - 100)),
            request_time: at(T0 - 2),
            response_time: at(T0),
        };
        // apparent 100 > corrected 32
        assert_eq!(inputs.corrected_initial_age(), Duration::from_secs(100));
        assert_eq!(inputs.current_age(at(T0 + 5)), Duration::from_secs(105));
        let inputs = AgeInputs { date_value: Some(at(T0 + 50)), ..inputs };
        // a Date in the future gives apparent age 0; corrected age value wins
        assert_eq!(inputs.corrected_initial_age(), Duration::from_secs(32));
        let inputs = AgeInputs { date_value: None, ..inputs };
        assert_eq!(inputs.current_age(at(T0)), Duration::from_secs(32));
    }
}
