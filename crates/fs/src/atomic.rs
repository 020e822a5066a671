//! Crash-safe replacement of a file: temporary file in the same folder, fsync, rename.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::path::INTERNAL_PREFIX;

const TEMP_MARK: &str = "tmp-";

/// A file being written that replaces `final_path` only on [`AtomicFile::commit`].
///
/// The temporary lives in the destination folder (a rename across filesystems would not be
/// atomic) and is named `.methodical-tmp-…`, which no URL can reach. Dropping an uncommitted
/// `AtomicFile` removes the temporary; after a crash, [`remove_stale_temporaries`] does.
#[derive(Debug)]
pub struct AtomicFile {
    file: Option<File>,
    temp_path: PathBuf,
    final_path: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file next to `final_path`.
    pub fn create(final_path: &Path) -> io::Result<AtomicFile> {
        let dir = final_path.parent().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent folder"))?;
        let temp_path = temporary_path(dir);
        let file = File::options().write(true).create_new(true).open(&temp_path)?;
        Ok(AtomicFile { file: Some(file), temp_path, final_path: final_path.to_path_buf() })
    }

    /// The temporary file, to write the new content into.
    pub fn file(&mut self) -> &mut File {
        // `file` is only taken by `commit`, which consumes self.
        self.file.as_mut().expect("AtomicFile used after commit")
    }

    /// Flushes the content to disk, renames it over the destination and makes the rename
    /// durable by syncing the folder.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        std::fs::rename(&self.temp_path, &self.final_path)?;
        if let Some(dir) = self.final_path.parent() {
            // Some filesystems refuse to fsync a folder; the rename itself already happened.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        // Nothing left to clean up.
        self.temp_path = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.temp_path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// A fresh name for a temporary (file or folder) in `dir`: internal to the server (no URL
/// reaches it) and removed by [`remove_stale_temporaries`] if a crash leaves it behind.
pub fn temporary_path(dir: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{INTERNAL_PREFIX}{TEMP_MARK}{}-{n}-{nanos:x}", std::process::id()))
}

/// Removes the temporaries an interrupted process left anywhere below `root` (at start-up,
/// before serving). Returns how many were removed. Symlinks are not followed.
pub fn remove_stale_temporaries(root: &Path) -> io::Result<usize> {
    let prefix = format!("{INTERNAL_PREFIX}{TEMP_MARK}");
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if dir == root => return Err(e),
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(&prefix) {
                let result = if kind.is_dir() { std::fs::remove_dir_all(entry.path()) } else { std::fs::remove_file(entry.path()) };
                if result.is_ok() {
                    removed += 1;
                }
            } else if kind.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn commit_replaces_and_drop_discards() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f.txt");
        std::fs::write(&target, b"old").unwrap();

        let mut a = AtomicFile::create(&target).unwrap();
        a.file().write_all(b"half").unwrap();
        drop(a);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "temporary removed on drop");

        let mut a = AtomicFile::create(&target).unwrap();
        a.file().write_all(b"new").unwrap();
        a.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temporaries_are_removed_at_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let mut a = AtomicFile::create(&dir.path().join("sub/x")).unwrap();
        a.file().write_all(b"partial").unwrap();
        std::mem::forget(a); // what a kill -9 leaves behind
        std::fs::write(dir.path().join("keep.txt"), b"k").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path()).unwrap(), 1);
        assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 0);
        assert!(dir.path().join("keep.txt").exists());
    }
}
