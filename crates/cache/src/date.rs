//! HTTP-date parsing (RFC 9110 §5.6.7) with the leniency the cache needs.
//!
//! Recipients must accept the three historical formats: IMF-fixdate, the obsolete RFC 850
//! form and ANSI C's `asctime()` form. Day and month names and the `GMT` zone are matched
//! case-insensitively (a common interoperability leniency), but nothing else is relaxed:
//! wrong separators, single-digit hours, two-digit years in IMF-fixdate, zones other than GMT
//! and doubled spaces all make the value invalid. An invalid `Expires` means "already
//! expired" (RFC 9111 §5.3), so being strict here is the safe direction.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAYS_SHORT: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
const DAYS_LONG: [&[u8]; 7] = [
    b"monday",
    b"tuesday",
    b"wednesday",
    b"thursday",
    b"friday",
    b"saturday",
    b"sunday",
];
const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// Parses an HTTP-date in any of the three formats RFC 9110 §5.6.7 requires recipients to
/// accept. Returns `None` for anything else.
pub fn parse_http_date(value: &[u8]) -> Option<SystemTime> {
    parse_imf_fixdate(value)
        .or_else(|| parse_rfc850(value))
        .or_else(|| parse_asctime(value))
}

/// Formats a time as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn format_http_date(time: SystemTime) -> String {
    // httpdate cannot represent times before the epoch; clamp rather than panic.
    httpdate::fmt_http_date(time.max(UNIX_EPOCH))
}

fn parse_imf_fixdate(v: &[u8]) -> Option<SystemTime> {
    // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 octets.
    if v.len() != 29 || &v[3..5] != b", " || v[7] != b' ' || v[11] != b' ' || v[16] != b' ' {
        return None;
    }
    if v[25] != b' ' || !v[26..29].eq_ignore_ascii_case(b"GMT") {
        return None;
    }
    short_day(&v[0..3])?;
    let day = digits(&v[5..7])?;
    let month = month(&v[8..11])?;
    let year = digits(&v[12..16])?;
    let (h, m, s) = time_of_day(&v[17..25])?;
    to_system_time(year, month, day, h, m, s)
}

fn parse_rfc850(v: &[u8]) -> Option<SystemTime> {
    // "Sunday, 06-Nov-94 08:49:37 GMT"
    let comma = v.iter().position(|&b| b == b',')?;
    let name = &v[..comma];
    if !DAYS_LONG.iter().any(|d| name.eq_ignore_ascii_case(d)) {
        return None;
    }
    let rest = &v[comma + 1..];
    // " 06-Nov-94 08:49:37 GMT" is 23 octets.
    if rest.len() != 23 || rest[0] != b' ' || rest[3] != b'-' || rest[7] != b'-' {
        return None;
    }
    if rest[10] != b' ' || rest[19] != b' ' || !rest[20..23].eq_ignore_ascii_case(b"GMT") {
        return None;
    }
    let day = digits(&rest[1..3])?;
    let month = month(&rest[4..7])?;
    let yy = digits(&rest[8..10])?;
    let (h, m, s) = time_of_day(&rest[11..19])?;
    // RFC 9110 §5.6.7: a two-digit year that appears to be more than 50 years in the future
    // is the most recent past year with the same last two digits.
    let this_year = current_year();
    let mut year = (this_year / 100) * 100 + yy;
    if year > this_year + 50 {
        year -= 100;
    }
    to_system_time(year, month, day, h, m, s)
}

fn parse_asctime(v: &[u8]) -> Option<SystemTime> {
    // "Sun Nov  6 08:49:37 1994" is exactly 24 octets.
    if v.len() != 24 || v[3] != b' ' || v[7] != b' ' || v[10] != b' ' || v[19] != b' ' {
        return None;
    }
    short_day(&v[0..3])?;
    let month = month(&v[4..7])?;
    let day = if v[8] == b' ' {
        digits(&v[9..10])?
    } else {
        digits(&v[8..10])?
    };
    let (h, m, s) = time_of_day(&v[11..19])?;
    let year = digits(&v[20..24])?;
    to_system_time(year, month, day, h, m, s)
}

fn short_day(v: &[u8]) -> Option<()> {
    DAYS_SHORT
        .iter()
        .any(|d| v.eq_ignore_ascii_case(&d[..]))
        .then_some(())
}

fn month(v: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| v.eq_ignore_ascii_case(&m[..]))
        .map(|i| i as u32 + 1)
}

fn digits(v: &[u8]) -> Option<u32> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0')))
}

fn time_of_day(v: &[u8]) -> Option<(u32, u32, u32)> {
    // "08:49:37": two digits each, colon separated.
    if v.len() != 8 || v[2] != b':' || v[5] != b':' {
        return None;
    }
    let h = digits(&v[0..2])?;
    let m = digits(&v[3..5])?;
    let s = digits(&v[6..8])?;
    // 60 allows a leap second, as RFC 9110 §5.6.7's grammar does.
    (h < 24 && m < 60 && s <= 60).then_some((h, m, s))
}

fn to_system_time(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<SystemTime> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs as u64))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

// `is_multiple_of` needs Rust 1.87; the workspace supports 1.85.
#[allow(clippy::manual_is_multiple_of)]
fn is_leap(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn current_year() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Good enough for the two-digit-year window: an error of a day around new year does not
    // matter for a 50-year pivot.
    1970 + (secs / 31_556_952) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(v: &str) -> Option<u64> {
        parse_http_date(v.as_bytes())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    }

    #[test]
    fn c6_three_formats_parse_to_the_same_instant() {
        assert_eq!(secs("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(secs("Sunday, 06-Nov-94 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(secs("Sun Nov  6 08:49:37 1994"), Some(784_111_777));
    }

    #[test]
    fn c6_names_and_zone_are_case_insensitive() {
        assert!(secs("THU, 18 Aug 2050 02:01:18 GMT").is_some());
        assert!(secs("Thu, 18 AUG 2050 02:01:18 GMT").is_some());
        assert!(secs("Thu, 18 Aug 2050 02:01:18 gMT").is_some());
    }

    #[test]
    fn c6_invalid_forms_are_rejected() {
        for v in [
            "0",
            "Thu, 18 Aug 2050 02:01:18 UTC",
            "Thu, 18 Aug 2050 02:01:18 AEST",
            "Thu, 18 Aug 50 02:01:18 GMT",
            "Thu 18 Aug 2050 02:01:18 GMT",
            "Thu, 18  Aug  2050 02:01:18 GMT",
            "Thu, 18-Aug-2050 02:01:18 GMT",
            "Thu, 18 Aug 2050 02.01.18 GMT",
            "Thu, 18 Aug 2050 2:01:18 GMT",
            "Thu, 31 Feb 2050 02:01:18 GMT",
            "",
        ] {
            assert_eq!(secs(v), None, "{v:?} must be invalid");
        }
    }

    #[test]
    fn c6_far_future_and_32bit_boundary() {
        assert_eq!(secs("Tue, 19 Jan 2038 03:14:08 GMT"), Some(2_147_483_648));
        assert!(secs("Sun, 21 Nov 2286 04:46:39 GMT").is_some());
        assert!(secs("Thursday, 18-Aug-50 02:01:18 GMT").is_some());
        assert!(secs("Thu Aug  8 02:01:18 2050").is_some());
    }

    #[test]
    fn format_round_trips() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date(format_http_date(t).as_bytes()), Some(t));
    }
}
