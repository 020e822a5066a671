//! Sizes (`"256MiB"`), durations (`"10s"`) and RFC 3339 dates in configuration files.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

/// A size: an integer of octets or a string with a unit (`"64KiB"`, `"1 MB"`, `"10GiB"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawSize {
    /// Octets.
    Bytes(u64),
    /// With a unit.
    Text(String),
}

impl RawSize {
    /// Octets, or a message explaining the accepted forms.
    pub fn bytes(&self) -> Result<u64, String> {
        match self {
            RawSize::Bytes(n) => Ok(*n),
            RawSize::Text(s) => parse_size(s),
        }
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a size"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "t" | "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        other => return Err(format!("`{other}` is not a size unit in `{s}`")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("`{s}` is too large"))
}

/// A duration: an integer of seconds or a string with a unit (`"500ms"`, `"10s"`, `"5m"`, `"1h"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawDuration {
    /// Seconds.
    Seconds(u64),
    /// With a unit.
    Text(String),
}

impl RawDuration {
    /// The duration, or a message explaining the accepted forms.
    pub fn duration(&self) -> Result<Duration, String> {
        match self {
            RawDuration::Seconds(n) => Ok(Duration::from_secs(*n)),
            RawDuration::Text(s) => {
                let t = s.trim();
                let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
                let (num, unit) = t.split_at(split);
                let n: u64 = num.parse().map_err(|_| format!("`{s}` is not a duration"))?;
                Ok(match unit.trim() {
                    "ms" => Duration::from_millis(n),
                    "" | "s" => Duration::from_secs(n),
                    "m" | "min" => Duration::from_secs(n * 60),
                    "h" => Duration::from_secs(n * 3600),
                    other => return Err(format!("`{other}` is not a duration unit in `{s}` (use ms, s, m or h)")),
                })
            }
        }
    }
}

/// Parses an RFC 3339 date-time (`2026-12-24T00:00:00Z`, `2026-12-24T01:00:00+01:00`).
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &tail[digits..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let d = |c: &u8| c.is_ascii_digit().then(|| (c - b'0') as i64);
            let mins = (d(h1)? * 10 + d(h2)?) * 60 + d(m1)? * 10 + d(m2)?;
            if *sign == b'+' {
                mins * 60
            } else {
                -mins * 60
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs).ok().map(|s| UNIX_EPOCH + Duration::from_secs(s))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(RawSize::Text("256MiB".into()).bytes(), Ok(256 << 20));
        assert_eq!(RawSize::Text("1 GB".into()).bytes(), Ok(1_000_000_000));
        assert_eq!(RawSize::Bytes(5).bytes(), Ok(5));
        assert!(RawSize::Text("12 parsecs".into()).bytes().is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(RawDuration::Text("500ms".into()).duration(), Ok(Duration::from_millis(500)));
        assert_eq!(RawDuration::Text("2m".into()).duration(), Ok(Duration::from_secs(120)));
        assert!(RawDuration::Text("2 fortnights".into()).duration().is_err());
    }

    #[test]
    fn rfc3339() {
        let t = parse_rfc3339("2026-12-24T00:00:00Z").unwrap();
        assert_eq!(t, UNIX_EPOCH + Duration::from_secs(1_798_070_400));
        assert_eq!(parse_rfc3339("2026-12-24T01:00:00+01:00"), Some(t));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.5Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
