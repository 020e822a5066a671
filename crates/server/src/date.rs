//! The `Date` field value, formatted once per second instead of once per response.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderValue;

thread_local! {
    static CACHED: RefCell<(u64, HeaderValue)> = const { RefCell::new((u64::MAX, HeaderValue::from_static(""))) };
}

/// The current time as an IMF-fixdate (E-3).
pub fn now() -> HeaderValue {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    CACHED.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs {
            let formatted = httpdate::fmt_http_date(now);
            // IMF-fixdates are plain ASCII.
            c.1 = HeaderValue::from_str(&formatted).unwrap_or_else(|_| HeaderValue::from_static(""));
            c.0 = secs;
        }
        c.1.clone()
    })
}

/// Calendar fields of a time in UTC — `(year, month, day, hour, minute, second)`; times
/// before 1970 count as 1970-01-01.
/// For the access log's and the folder listings' own formats.
pub fn utc_fields(t: SystemTime) -> (i64, u32, u32, u64, u64, u64) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = methodical_fs::calendar::civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn e3_date_is_an_imf_fixdate() {
        let v = super::now();
        let s = v.to_str().unwrap();
        assert!(s.ends_with(" GMT") && s.len() == 29, "{s}");
        assert!(httpdate::parse_http_date(s).is_ok());
    }
}
