//! What the static handler knows about files: metadata, prepared header values and, for
//! small files, the content. Kept in memory and re-checked against the filesystem at most
//! once per [`RECHECK`] per file, so a hot file costs no system call per request.

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderValue;
use methodical_fs::{Resolved, Root, Validators};
use tokio::sync::OnceCell;

#[cfg(doc)]
use crate::compress::Coding;

use crate::error::HttpError;

/// How stale an entry may get before the file is stat'ed again (static routes).
pub const RECHECK: Duration = Duration::from_secs(1);

/// A file or folder as last seen.
#[derive(Debug)]
pub struct Entry {
    /// File or folder.
    pub is_dir: bool,
    /// The real path (symlinks resolved, inside the root).
    pub real: PathBuf,
    /// ETag, Last-Modified, length.
    pub validators: Validators,
    /// `ETag` field value.
    pub etag: HeaderValue,
    /// `Last-Modified` field value.
    pub last_modified: HeaderValue,
    /// `Content-Type` field value.
    pub content_type: HeaderValue,
    /// The content, for files up to the in-memory limit.
    pub content: Option<Bytes>,
    /// The content compressed with each [`Coding`] (by [`Coding::index`]), made on first
    /// demand and dropped with the entry when the file changes.
    pub variants: [OnceCell<Bytes>; 3],
    identity: (u64, u64),
    checked_ms: AtomicU64,
}

impl Entry {
    /// The file opened again, if it is still the one this entry describes (same inode,
    /// length and modification time): its content may then be sent with `sendfile(2)`.
    pub fn reopen(&self) -> Option<std::fs::File> {
        let file = std::fs::File::open(&self.real).ok()?;
        let meta = file.metadata().ok()?;
        let same = meta.is_file() && identity(&meta) == self.identity && Validators::from_metadata(&meta).etag == self.validators.etag;
        same.then_some(file)
    }
}

/// The per-route cache of entries.
pub struct FileCache {
    entries: quick_cache::sync::Cache<String, Arc<Entry>, Weigher>,
    /// Paths found missing, and when (optional files: precompressed sidecars).
    misses: quick_cache::sync::Cache<String, u64>,
    max_file: u64,
    recheck_ms: u64,
    epoch: Instant,
}

#[derive(Clone)]
struct Weigher {
    /// Compressed variants may join the content later: half its size is set aside for them
    /// up front, since an entry's weight is fixed when it is inserted.
    variants: bool,
}

impl quick_cache::Weighter<String, Arc<Entry>> for Weigher {
    fn weight(&self, key: &String, entry: &Arc<Entry>) -> u64 {
        let content = entry.content.as_ref().map_or(0, Bytes::len);
        let reserve = if self.variants { content / 2 } else { 0 };
        (key.len() + 256 + content + reserve) as u64
    }
}

impl FileCache {
    /// A cache holding at most `capacity` octets, keeping files up to `max_file` octets in
    /// memory, re-checking each file's metadata when its entry is older than `recheck`
    /// (zero: on every request, for folders written through the server itself).
    /// `variants`: compressed variants will be kept beside the content.
    pub fn new(capacity: u64, max_file: u64, recheck: Duration, variants: bool) -> FileCache {
        FileCache {
            entries: quick_cache::sync::Cache::with_weighter(4096, capacity, Weigher { variants }),
            misses: quick_cache::sync::Cache::new(4096),
            max_file,
            recheck_ms: recheck.as_millis() as u64,
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The entry for `resolved`, re-checked if older than [`RECHECK`].
    pub async fn lookup(&self, root: &Root, resolved: &Resolved) -> Result<Arc<Entry>, HttpError> {
        let now = self.now_ms();
        // A file nobody has asked for yet is loaded by the first request; concurrent ones wait
        // for its entry instead of each reading the file in a blocking thread of its own.
        let (previous, first_load) = match self.entries.get_value_or_guard_async(&resolved.relative).await {
            Ok(entry) => (Some(entry), None),
            Err(guard) => (None, Some(guard)),
        };
        if let Some(e) = &previous {
            let checked = e.checked_ms.load(Ordering::Relaxed);
            if self.recheck_ms > 0 && now.saturating_sub(checked) < self.recheck_ms {
                return Ok(e.clone());
            }
            // One request re-checks an entry that is due; the others in flight meanwhile keep
            // it (it is at most one interval old), so a busy file costs one stat per interval
            // instead of one blocking thread per concurrent request.
            if self.recheck_ms > 0 && e.checked_ms.compare_exchange(checked, now, Ordering::AcqRel, Ordering::Relaxed).is_err() {
                return Ok(e.clone());
            }
        }
        let (root, target, max_file) = (root.clone(), resolved.clone(), self.max_file);
        let prev = previous.clone();
        let loaded = tokio::task::spawn_blocking(move || load(&root, &target, prev, max_file, now))
            .await
            .map_err(|e| HttpError::Internal(format!("file lookup task failed: {e}")))?;
        let entry = match loaded {
            Ok(entry) => entry,
            Err(e) => {
                // Gone or unreadable: the next request looks again instead of being served
                // the entry this request claimed (waiters on a first load try themselves).
                if first_load.is_none() {
                    self.entries.remove(&resolved.relative);
                }
                return Err(e);
            }
        };
        match first_load {
            Some(guard) => {
                let _ = guard.insert(entry.clone());
            }
            None if previous.as_ref().is_none_or(|p| !Arc::ptr_eq(p, &entry)) => {
                self.entries.insert(resolved.relative.clone(), entry.clone());
            }
            None => {}
        }
        Ok(entry)
    }

    /// Like [`FileCache::lookup`] for a file that may well not exist (a precompressed
    /// sidecar): `None` when it does not, is a folder or cannot be read. Absence is
    /// remembered for as long as an entry would be, so a missing sidecar costs no system
    /// call per request either.
    pub async fn lookup_optional(&self, root: &Root, resolved: &Resolved) -> Option<Arc<Entry>> {
        let now = self.now_ms();
        if let Some(at) = self.misses.get(&resolved.relative) {
            if self.recheck_ms > 0 && now.saturating_sub(at) < self.recheck_ms {
                return None;
            }
        }
        match self.lookup(root, resolved).await {
            Ok(entry) if !entry.is_dir => {
                self.misses.remove(&resolved.relative);
                Some(entry)
            }
            _ => {
                self.misses.insert(resolved.relative.clone(), now);
                None
            }
        }
    }
}

fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Stats (and for small files reads) the target; reuses `previous` when nothing changed.
fn load(root: &Root, target: &Resolved, previous: Option<Arc<Entry>>, max_file: u64, now: u64) -> Result<Arc<Entry>, HttpError> {
    let real = root.contain(target)?;
    for _ in 0..3 {
        let meta = std::fs::metadata(&real)?;
        let validators = Validators::from_metadata(&meta);
        if let Some(p) = &previous {
            if p.real == real && p.identity == identity(&meta) && p.validators == validators && p.is_dir == meta.is_dir() {
                p.checked_ms.store(now, Ordering::Relaxed);
                return Ok(p.clone());
            }
        }
        let content = if meta.is_file() && meta.len() <= max_file {
            let mut data = Vec::with_capacity(meta.len() as usize);
            std::fs::File::open(&real)?.read_to_end(&mut data)?;
            // Changed while we read: start over rather than pair old validators with new bytes.
            let after = std::fs::metadata(&real)?;
            if Validators::from_metadata(&after) != validators || data.len() as u64 != meta.len() {
                continue;
            }
            Some(Bytes::from(data))
        } else {
            None
        };
        return Ok(Arc::new(Entry {
            is_dir: meta.is_dir(),
            etag: HeaderValue::from_str(&validators.etag).map_err(|e| HttpError::Internal(e.to_string()))?,
            last_modified: HeaderValue::from_str(&validators.last_modified_http()).map_err(|e| HttpError::Internal(e.to_string()))?,
            content_type: content_type(&real),
            real,
            validators,
            content,
            variants: Default::default(),
            identity: identity(&meta),
            checked_ms: AtomicU64::new(now),
        }));
    }
    Err(HttpError::Internal("the file keeps changing while it is read".into()))
}

/// `Content-Type` by extension; text gets `charset=utf-8`.
pub fn content_type(path: &std::path::Path) -> HeaderValue {
    let Some(mime) = mime_guess::from_path(path).first_raw() else {
        return HeaderValue::from_static("application/octet-stream");
    };
    let textual = mime.starts_with("text/")
        || matches!(mime, "application/javascript" | "application/json" | "application/xml" | "image/svg+xml");
    let value = if textual { format!("{mime}; charset=utf-8") } else { mime.to_string() };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(content_type(std::path::Path::new("a.txt")), "text/plain; charset=utf-8");
        assert_eq!(content_type(std::path::Path::new("a.html")), "text/html; charset=utf-8");
        assert_eq!(content_type(std::path::Path::new("a.png")), "image/png");
        assert_eq!(content_type(std::path::Path::new("noext")), "application/octet-stream");
    }

    #[tokio::test]
    async fn entries_are_reused_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"one").unwrap();
        let root = Root::new(dir.path()).unwrap();
        let cache = FileCache::new(1 << 20, 1 << 16, RECHECK, false);
        let r = root.resolve("/a.txt").unwrap();
        let first = cache.lookup(&root, &r).await.unwrap();
        assert_eq!(first.content.as_deref(), Some(&b"one"[..]));
        let again = cache.lookup(&root, &r).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        std::thread::sleep(RECHECK + Duration::from_millis(20));
        std::fs::write(dir.path().join("a.txt"), b"two!").unwrap();
        let changed = cache.lookup(&root, &r).await.unwrap();
        assert_eq!(changed.content.as_deref(), Some(&b"two!"[..]));
        assert_ne!(changed.validators.etag, first.validators.etag);
    }
}
