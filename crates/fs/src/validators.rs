//! Validators of a file: the strong ETag and Last-Modified (RFC 9110 §8.8).

use std::fs::Metadata;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The validators of one file version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// Strong entity tag, quotes included: `"<mtime ns hex>-<len hex>"`.
    ///
    /// Derived from modification time (nanoseconds) and length, like nginx's, so every
    /// handler and every process computes the same tag for the same file without reading it.
    /// Writes through [`crate::AtomicFile`] always produce a new mtime.
    pub etag: String,
    /// Modification time, truncated to whole seconds as HTTP-dates are.
    pub last_modified: SystemTime,
    /// Length in octets.
    pub len: u64,
}

impl Validators {
    /// Validators of a file from its metadata.
    pub fn from_metadata(meta: &Metadata) -> Validators {
        let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
        Validators::new(mtime, meta.len())
    }

    /// Validators from a modification time and a length.
    pub fn new(mtime: SystemTime, len: u64) -> Validators {
        let since = mtime.duration_since(UNIX_EPOCH).unwrap_or_default();
        let nanos = since.as_nanos();
        Validators {
            etag: format!("\"{nanos:x}-{len:x}\""),
            last_modified: UNIX_EPOCH + Duration::from_secs(since.as_secs()),
            len,
        }
    }

    /// `Last-Modified` as an IMF-fixdate.
    pub fn last_modified_http(&self) -> String {
        httpdate::fmt_http_date(self.last_modified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_changes_with_mtime_and_length() {
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123);
        let a = Validators::new(t, 5);
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
        assert_ne!(a.etag, Validators::new(t, 6).etag);
        assert_ne!(a.etag, Validators::new(t + Duration::from_nanos(1), 5).etag);
        assert_eq!(a.last_modified, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert_eq!(a.last_modified_http(), "Tue, 14 Nov 2023 22:13:20 GMT");
    }
}
