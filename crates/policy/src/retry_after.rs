//! `Retry-After` values (RFC 9110 §10.2.3; E-8).

use std::fmt;
use std::time::SystemTime;

use http::HeaderValue;

/// When a client may try again: `delay-seconds` or an HTTP-date (sent as IMF-fixdate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// A delay in seconds.
    Seconds(u64),
    /// A point in time.
    Date(SystemTime),
}

impl RetryAfter {
    /// The field value: digits, or an IMF-fixdate such as `Thu, 24 Dec 2026 00:00:00 GMT`.
    pub fn to_header_value(&self) -> HeaderValue {
        // Digits and IMF-fixdates are always valid field values.
        HeaderValue::from_str(&self.to_string()).unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfter::Seconds(s) => write!(f, "{s}"),
            RetryAfter::Date(t) => f.write_str(&httpdate::fmt_http_date(*t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn e8_retry_after_forms() {
        assert_eq!(RetryAfter::Seconds(120).to_header_value(), "120");
        // 2026-12-24T00:00:00Z
        let date = UNIX_EPOCH + Duration::from_secs(1_798_070_400);
        assert_eq!(RetryAfter::Date(date).to_string(), "Thu, 24 Dec 2026 00:00:00 GMT");
    }
}
