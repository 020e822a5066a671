//! URL path → filesystem path, without any way out of the root.

use std::io;
use std::path::{Path, PathBuf};

/// Names starting with this prefix belong to methodical itself (temporary files of atomic
/// writes, WebDAV property stores). They are never served, listed, or writable through URLs.
pub const INTERNAL_PREFIX: &str = ".methodical-";

/// Is `name` one of methodical's own files?
pub fn is_internal_name(name: &str) -> bool {
    name.starts_with(INTERNAL_PREFIX)
}

/// Why a URL path cannot name a file in the root.
///
/// The reasons are for logs only: responses must never reveal the real path or why a
/// traversal attempt failed, so every [`PathError::NotFound`] is answered as a plain 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path cannot be decoded (bad percent-encoding, invalid or overlong UTF-8, NUL): 400.
    #[error("malformed path: {0}")]
    BadRequest(&'static str),
    /// The path names nothing servable (does not exist, tries to leave the root, names an
    /// internal file): 404.
    #[error("not found: {0}")]
    NotFound(&'static str),
}

/// A folder that URL paths map into.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

/// A URL path decoded and checked, not yet looked up on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The decoded path relative to the root, segments joined by `/`, no leading or trailing
    /// slash; empty for the root itself.
    pub relative: String,
    /// Whether the URL path ended with `/` (a collection was asked for).
    pub trailing_slash: bool,
    /// `root/relative` (not canonicalised: see [`Root::contain`]).
    pub path: PathBuf,
}

impl Resolved {
    /// The last segment (file name), or `""` for the root.
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or("")
    }
}

impl Root {
    /// Opens `dir` as a root. It must exist and be a folder; it is canonicalised once so the
    /// containment check is a prefix test.
    pub fn new(dir: impl AsRef<Path>) -> io::Result<Root> {
        let dir = std::fs::canonicalize(dir.as_ref())?;
        if !dir.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a folder", dir.display())));
        }
        Ok(Root { dir })
    }

    /// The canonical folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Decodes and checks `url_path` (the request path below the route prefix, still
    /// percent-encoded, without the query; a leading `/` is optional).
    ///
    /// Refused: `.` and `..` segments raw or encoded, encoded `/` and `\` (`%2f`, `%5c`), a
    /// `\` anywhere, NUL, empty segments (`a//b`), invalid percent-encoding or UTF-8
    /// (overlong forms included), and internal names.
    pub fn resolve(&self, url_path: &str) -> Result<Resolved, PathError> {
        let trimmed = url_path.strip_prefix('/').unwrap_or(url_path);
        let trailing_slash = trimmed.is_empty() || trimmed.ends_with('/');
        let body = trimmed.strip_suffix('/').unwrap_or(trimmed);
        let mut relative = String::with_capacity(body.len());
        if !body.is_empty() {
            for raw in body.split('/') {
                let segment = decode_segment(raw)?;
                if !relative.is_empty() {
                    relative.push('/');
                }
                relative.push_str(&segment);
            }
        }
        let path = if relative.is_empty() { self.dir.clone() } else { self.dir.join(&relative) };
        Ok(Resolved { relative, trailing_slash, path })
    }

    /// The real path of an existing `resolved`, following symlinks, provided it stays inside
    /// the root.
    pub fn contain(&self, resolved: &Resolved) -> Result<PathBuf, PathError> {
        let real = std::fs::canonicalize(&resolved.path).map_err(|_| PathError::NotFound("does not exist"))?;
        if real.starts_with(&self.dir) {
            Ok(real)
        } else {
            Err(PathError::NotFound("symlink leads outside the root"))
        }
    }

    /// For a path that may not exist yet (the target of PUT, MKCOL, COPY, MOVE): its parent
    /// must exist inside the root; returns the real parent joined with the final name.
    /// `Ok(None)` when the parent does not exist (a 409 Conflict in WebDAV terms).
    pub fn contain_new(&self, resolved: &Resolved) -> Result<Option<PathBuf>, PathError> {
        if resolved.relative.is_empty() {
            return Ok(Some(self.dir.clone()));
        }
        let parent = resolved.path.parent().ok_or(PathError::NotFound("no parent"))?;
        let real_parent = match std::fs::canonicalize(parent) {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(_) => return Err(PathError::NotFound("parent unreadable")),
        };
        if !real_parent.starts_with(&self.dir) {
            return Err(PathError::NotFound("symlink leads outside the root"));
        }
        // A symlink at the final name must not let a write escape the root either.
        let candidate = real_parent.join(resolved.name());
        if let Ok(meta) = std::fs::symlink_metadata(&candidate) {
            if meta.file_type().is_symlink() {
                let real = std::fs::canonicalize(&candidate).map_err(|_| PathError::NotFound("dangling symlink"))?;
                if !real.starts_with(&self.dir) {
                    return Err(PathError::NotFound("symlink leads outside the root"));
                }
                return Ok(Some(real));
            }
        }
        Ok(Some(candidate))
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one segment and checks it names an ordinary file.
fn decode_segment(raw: &str) -> Result<String, PathError> {
    if raw.is_empty() {
        return Err(PathError::NotFound("empty path segment"));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let (hi, lo) = match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                    (Some(hi), Some(lo)) => (hi, lo),
                    _ => return Err(PathError::BadRequest("invalid percent-encoding")),
                };
                let b = hi << 4 | lo;
                match b {
                    b'/' | b'\\' => return Err(PathError::NotFound("encoded slash")),
                    0 => return Err(PathError::BadRequest("NUL in path")),
                    _ => out.push(b),
                }
                i += 3;
            }
            b'\\' => return Err(PathError::NotFound("backslash in path")),
            0 => return Err(PathError::BadRequest("NUL in path")),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Rust's UTF-8 validation rejects overlong encodings such as %C0%AE ('.').
    let segment = String::from_utf8(out).map_err(|_| PathError::BadRequest("path is not valid UTF-8"))?;
    if segment == "." || segment == ".." {
        return Err(PathError::NotFound("dot segment"));
    }
    if segment.chars().any(|c| c.is_control()) {
        return Err(PathError::BadRequest("control character in path"));
    }
    if is_internal_name(&segment) {
        return Err(PathError::NotFound("internal file"));
    }
    Ok(segment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"hello").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b c.txt"), b"x").unwrap();
        let root = Root::new(dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn resolves_ordinary_paths() {
        let (_d, root) = root();
        let r = root.resolve("/sub/b%20c.txt").unwrap();
        assert_eq!(r.relative, "sub/b c.txt");
        assert!(!r.trailing_slash);
        assert_eq!(r.name(), "b c.txt");
        assert!(root.contain(&r).is_ok());
        let r = root.resolve("/").unwrap();
        assert_eq!(r.relative, "");
        assert!(r.trailing_slash);
        let r = root.resolve("sub/").unwrap();
        assert_eq!(r.relative, "sub");
        assert!(r.trailing_slash);
        assert_eq!(root.resolve("").unwrap().relative, "");
    }

    #[test]
    fn refuses_traversal_tricks() {
        let (_d, root) = root();
        for p in [
            "/../etc/passwd",
            "/sub/../../x",
            "/%2e%2e/x",
            "/%2E%2E/x",
            "/.%2e/x",
            "/./a.txt",
            "/sub%2f..%2f..%2fx",
            "/sub%5c..%5cx",
            "/sub\\x",
            "//etc/passwd",
            "/sub//b",
            "/.methodical-tmp-1",
        ] {
            assert!(matches!(root.resolve(p), Err(PathError::NotFound(_))), "{p}: {:?}", root.resolve(p));
        }
        for p in ["/a%00.txt", "/%c0%ae%c0%ae/x", "/%zz", "/a%2", "/%ff", "/a%0a"] {
            assert!(matches!(root.resolve(p), Err(PathError::BadRequest(_))), "{p}: {:?}", root.resolve(p));
        }
    }

    #[test]
    fn symlinks_out_of_the_root_are_not_followed() {
        let (d, root) = root();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), d.path().join("leak")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("leakdir")).unwrap();
        std::os::unix::fs::symlink(d.path().join("a.txt"), d.path().join("inside")).unwrap();
        assert!(matches!(root.contain(&root.resolve("/leak").unwrap()), Err(PathError::NotFound(_))));
        assert!(matches!(root.contain(&root.resolve("/leakdir/secret").unwrap()), Err(PathError::NotFound(_))));
        assert!(matches!(root.contain_new(&root.resolve("/leakdir/new").unwrap()), Err(PathError::NotFound(_))));
        assert!(matches!(root.contain_new(&root.resolve("/leak").unwrap()), Err(PathError::NotFound(_))));
        assert!(root.contain(&root.resolve("/inside").unwrap()).is_ok());
    }

    #[test]
    fn contain_new_reports_missing_parent() {
        let (_d, root) = root();
        assert_eq!(root.contain_new(&root.resolve("/nope/x").unwrap()), Ok(None));
        assert!(root.contain_new(&root.resolve("/sub/new.txt").unwrap()).unwrap().is_some());
    }
}
