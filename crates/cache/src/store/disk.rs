//! The disk tier: one file per primary key, bounded in bytes, LRU eviction.
//!
//! Files are written to a unique `*.tmp` name and renamed to `<hash>.entry`, so a reader
//! never sees a half-written entry. At start the folder is scanned to rebuild the in-memory
//! index: temporary files (left by a crash) are removed, and so is every entry whose header
//! is wrong or whose length differs from the length it declares. The checksum is verified
//! on every read; a corrupt file is removed then. Recency is initialised from the files'
//! modification times.
//!
//! All methods are blocking; [`super::Store`] runs them on tokio's blocking pool. The index
//! lock is a `std::sync::Mutex` that is never held across an `.await`.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::entry::{put_bytes, put_u32, put_u64, Reader, StoredResponse};
use crate::key::CacheKey;

const MAGIC: &[u8; 8] = b"MTHDCE01";
const HEADER_LEN: u64 = 24;
const ENTRY_SUFFIX: &str = ".entry";
const TMP_SUFFIX: &str = ".tmp";

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone, Copy)]
struct Meta {
    size: u64,
    tick: u64,
}

#[derive(Debug, Default)]
struct Index {
    files: HashMap<String, Meta>,
    total: u64,
    tick: u64,
}

impl Index {
    fn touch(&mut self, stem: &str) -> bool {
        self.tick += 1;
        let tick = self.tick;
        match self.files.get_mut(stem) {
            Some(m) => {
                m.tick = tick;
                true
            }
            None => false,
        }
    }

    fn forget(&mut self, stem: &str) -> bool {
        match self.files.remove(stem) {
            Some(m) => {
                self.total -= m.size;
                true
            }
            None => false,
        }
    }
}

/// Byte-bounded on-disk tier.
#[derive(Debug)]
pub struct DiskTier {
    dir: PathBuf,
    capacity: u64,
    index: Mutex<Index>,
}

impl DiskTier {
    /// Opens (creating if needed) the folder `dir`, rebuilds the index from its files and
    /// evicts down to `capacity` bytes.
    pub fn open(dir: impl Into<PathBuf>, capacity: u64) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        let mut found: Vec<(String, u64, SystemTime)> = Vec::new();
        for item in fs::read_dir(&dir)? {
            let item = item?;
            let name = item.file_name().to_string_lossy().into_owned();
            let path = item.path();
            if name.ends_with(TMP_SUFFIX) {
                // A write interrupted by a crash.
                let _ = fs::remove_file(&path);
                continue;
            }
            let Some(stem) = name.strip_suffix(ENTRY_SUFFIX) else {
                continue;
            };
            match header_ok(&path) {
                Ok(Some(len)) => {
                    let mtime = item
                        .metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(SystemTime::UNIX_EPOCH);
                    found.push((stem.to_owned(), len, mtime));
                }
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        found.sort_by_key(|(_, _, mtime)| *mtime);
        let mut index = Index::default();
        for (stem, size, _) in found {
            index.tick += 1;
            index.total += size;
            index.files.insert(stem, Meta { size, tick: index.tick });
        }
        let tier = Self {
            dir,
            capacity,
            index: Mutex::new(index),
        };
        {
            let mut index = tier.lock();
            tier.evict(&mut index, None);
        }
        Ok(tier)
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // A panic while holding the lock leaves a consistent-enough index; keep going.
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn path_of(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}{ENTRY_SUFFIX}"))
    }

    /// Reads the variants stored for `key`. A corrupt file is removed.
    pub fn read(&self, key: &CacheKey) -> Option<Vec<Arc<StoredResponse>>> {
        let stem = stem_of(key);
        if !self.lock().touch(&stem) {
            return None;
        }
        let path = self.path_of(&stem);
        let decoded = fs::read(&path).ok().and_then(|buf| decode_file(&buf));
        match decoded {
            Some((stored_key, variants)) if stored_key == key.as_str() => Some(variants),
            // A hash collision: the file belongs to another key.
            Some(_) => None,
            None => {
                let mut index = self.lock();
                if index.forget(&stem) {
                    let _ = fs::remove_file(&path);
                }
                None
            }
        }
    }

    /// Writes the variants of `key` (an empty list removes it). Entries larger than the
    /// whole tier are not written. Returns true if the entry is now on disk.
    pub fn write(&self, key: &CacheKey, variants: &[Arc<StoredResponse>]) -> io::Result<bool> {
        if variants.is_empty() {
            self.remove(key)?;
            return Ok(false);
        }
        let stem = stem_of(key);
        let bytes = encode_file(key, variants);
        let size = bytes.len() as u64;
        if size > self.capacity {
            self.remove(key)?;
            return Ok(false);
        }
        let tmp = self.dir.join(format!(
            "{stem}.{}.{}{TMP_SUFFIX}",
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = fs::File::create(&tmp).and_then(|mut f| f.write_all(&bytes));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let final_path = self.path_of(&stem);
        let mut index = self.lock();
        if let Err(e) = fs::rename(&tmp, &final_path) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        index.forget(&stem);
        index.tick += 1;
        let tick = index.tick;
        index.files.insert(stem.clone(), Meta { size, tick });
        index.total += size;
        self.evict(&mut index, Some(&stem));
        Ok(true)
    }

    /// Removes the entry of `key`; true if there was one.
    pub fn remove(&self, key: &CacheKey) -> io::Result<bool> {
        let stem = stem_of(key);
        let mut index = self.lock();
        if !index.forget(&stem) {
            return Ok(false);
        }
        match fs::remove_file(self.path_of(&stem)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Removes least recently used entries until the tier fits its bound, sparing `keep`.
    fn evict(&self, index: &mut Index, keep: Option<&str>) {
        while index.total > self.capacity {
            let victim = index
                .files
                .iter()
                .filter(|(stem, _)| Some(stem.as_str()) != keep)
                .min_by_key(|(_, m)| m.tick)
                .map(|(stem, _)| stem.clone());
            let Some(victim) = victim else { break };
            index.forget(&victim);
            let _ = fs::remove_file(self.path_of(&victim));
        }
    }

    /// Bytes currently on disk (as counted by the index).
    pub fn weight(&self) -> u64 {
        self.lock().total
    }

    /// The byte bound.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Number of entries (primary keys) on disk.
    pub fn len(&self) -> usize {
        self.lock().files.len()
    }

    /// True when the tier holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The folder of the tier.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// A stable 128-bit file name for a key (two FNV-1a passes with different offsets).
fn stem_of(key: &CacheKey) -> String {
    let fnv = |offset: u64| {
        key.as_str().bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!("{:016x}{:016x}", fnv(0xcbf2_9ce4_8422_2325), fnv(0x84222325_cbf29ce4))
}

fn checksum(payload: &[u8]) -> u64 {
    payload.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn encode_file(key: &CacheKey, variants: &[Arc<StoredResponse>]) -> Vec<u8> {
    let mut payload = Vec::new();
    put_bytes(&mut payload, key.as_str().as_bytes());
    put_u32(&mut payload, variants.len() as u32);
    for v in variants {
        v.encode_into(&mut payload);
    }
    let mut out = Vec::with_capacity(payload.len() + HEADER_LEN as usize);
    out.extend_from_slice(MAGIC);
    put_u64(&mut out, payload.len() as u64);
    put_u64(&mut out, checksum(&payload));
    out.extend_from_slice(&payload);
    out
}

fn decode_file(buf: &[u8]) -> Option<(String, Vec<Arc<StoredResponse>>)> {
    let mut r = Reader::new(buf);
    if r.take(8)? != MAGIC {
        return None;
    }
    let len = usize::try_from(r.u64()?).ok()?;
    let sum = r.u64()?;
    let payload = r.take(len)?;
    if !r.is_empty() || checksum(payload) != sum {
        return None;
    }
    let mut r = Reader::new(payload);
    let key = String::from_utf8(r.bytes()?.to_vec()).ok()?;
    let n = r.u32()? as usize;
    let mut variants = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        variants.push(Arc::new(StoredResponse::decode_from(&mut r)?));
    }
    r.is_empty().then_some((key, variants))
}

/// Checks the magic and that the file length matches the declared payload length.
/// Returns the file length when the header is sound.
fn header_ok(path: &Path) -> io::Result<Option<u64>> {
    let mut f = fs::File::open(path)?;
    let file_len = f.metadata()?.len();
    let mut head = [0u8; HEADER_LEN as usize];
    if f.read_exact(&mut head).is_err() {
        return Ok(None);
    }
    if &head[..8] != MAGIC {
        return Ok(None);
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&head[8..16]);
    let declared = u64::from_le_bytes(len);
    Ok((declared.checked_add(HEADER_LEN) == Some(file_len)).then_some(file_len))
}
