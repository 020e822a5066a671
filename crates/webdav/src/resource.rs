//! What a WebDAV handler knows about one file or folder, and the blocking filesystem walks
//! that produce it (run them inside `spawn_blocking`).

use std::collections::HashSet;
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use methodical_fs::calendar::{civil_from_days, days_from_civil};
use methodical_fs::{is_internal_name, Validators};

use crate::props::dead;

/// One mapped resource.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Decoded path relative to the root, no leading or trailing slash; `""` for the root.
    pub relative: String,
    /// The file or folder on disk.
    pub path: PathBuf,
    /// A collection (folder)?
    pub is_dir: bool,
    /// Length in octets (files).
    pub len: u64,
    /// Modification time.
    pub modified: SystemTime,
    /// Birth time where the filesystem records one.
    pub created: Option<SystemTime>,
    /// The strong ETag of a file, exactly the static handler's (`Validators::etag`).
    pub etag: Option<String>,
    /// Whether a dead-property store exists, when a listing already found out.
    pub has_dead: Option<bool>,
}

impl Resource {
    /// Builds the description from metadata (symlinks already followed).
    pub fn from_metadata(relative: String, path: PathBuf, meta: &Metadata) -> Resource {
        let is_dir = meta.is_dir();
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        Resource {
            relative,
            path,
            is_dir,
            len: if is_dir { 0 } else { meta.len() },
            modified,
            created: meta.created().ok(),
            etag: if is_dir { None } else { Some(Validators::from_metadata(meta).etag) },
            has_dead: None,
        }
    }

    /// Looks a resource up (one `metadata` call; symlinks followed).
    pub fn stat(relative: &str, path: &Path) -> io::Result<Resource> {
        let meta = std::fs::metadata(path)?;
        Ok(Resource::from_metadata(relative.to_owned(), path.to_path_buf(), &meta))
    }

    /// The last path segment; `""` for the root.
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or("")
    }

    /// The href of this resource below `prefix`.
    pub fn href(&self, prefix: &str) -> String {
        crate::href::href(prefix, &self.relative, self.is_dir)
    }
}

/// Joins a parent's relative path and a member name.
pub fn join_relative(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

/// The members of a collection, internal files left out. Symlinks are followed only when
/// they stay inside `root`. Names that are not UTF-8 are skipped: no URL can name them.
pub fn list_members(root: &Path, dir: &Path, dir_relative: &str) -> io::Result<Vec<Resource>> {
    let mut members = Vec::new();
    let mut stores = HashSet::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else { continue };
        if is_internal_name(name) {
            if dead::is_store_name(name) {
                stores.insert(name.to_owned());
            }
            continue;
        }
        if name.chars().any(|c| c.is_control()) {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        let meta = if kind.is_symlink() {
            match std::fs::canonicalize(&path) {
                Ok(real) if real.starts_with(root) => match std::fs::metadata(&real) {
                    Ok(m) => m,
                    Err(_) => continue,
                },
                _ => continue,
            }
        } else {
            match entry.metadata() {
                Ok(m) => m,
                Err(_) => continue,
            }
        };
        members.push(Resource::from_metadata(join_relative(dir_relative, name), path, &meta));
    }
    for m in &mut members {
        if !m.is_dir {
            m.has_dead = Some(stores.contains(&dead::file_store_name(m.name())));
        }
    }
    Ok(members)
}

/// Every resource below `start` (not included), depth first; symlinked folders are listed
/// but not entered, so a link loop cannot make the walk endless.
pub fn walk(root: &Path, start: &Resource, max: usize) -> io::Result<Vec<Resource>> {
    let mut out = Vec::new();
    let mut stack = vec![(start.path.clone(), start.relative.clone())];
    while let Some((dir, rel)) = stack.pop() {
        let members = match list_members(root, &dir, &rel) {
            Ok(m) => m,
            Err(e) if dir == start.path => return Err(e),
            Err(_) => continue,
        };
        for m in members {
            if m.is_dir {
                let is_link = std::fs::symlink_metadata(&m.path).map(|md| md.file_type().is_symlink()).unwrap_or(true);
                if !is_link {
                    stack.push((m.path.clone(), m.relative.clone()));
                }
            }
            out.push(m);
            if out.len() >= max {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// RFC 3339 `date-time` in UTC (`creationdate`, RFC 4918 §15.1): `1997-12-01T17:42:21Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Parses an RFC 3339 `date-time` (fractions and offsets accepted) or an HTTP-date.
pub fn parse_date(s: &str) -> Option<SystemTime> {
    let s = s.trim();
    if let Ok(t) = httpdate::parse_http_date(s) {
        return Some(t);
    }
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse::<i64>().ok() };
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut n: u64 = 0;
        for (i, c) in frac[..digits].bytes().enumerate() {
            if i < 9 {
                n = n * 10 + u64::from(c - b'0');
            }
        }
        for _ in digits..9 {
            n *= 10;
        }
        nanos = n as u32;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + se - offset;
    if secs >= 0 {
        Some(UNIX_EPOCH + Duration::new(secs as u64, nanos))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs((-secs) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(880_998_141);
        assert_eq!(rfc3339(t), "1997-12-01T17:42:21Z");
        assert_eq!(parse_date("1997-12-01T17:42:21Z"), Some(t));
        assert_eq!(parse_date("1997-12-01T18:42:21+01:00"), Some(t));
        assert_eq!(parse_date("Mon, 01 Dec 1997 17:42:21 GMT"), Some(t));
        assert_eq!(parse_date("1997-12-01T17:42:21.5Z"), Some(t + Duration::from_millis(500)));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
