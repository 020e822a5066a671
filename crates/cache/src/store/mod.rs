//! Storage: a byte-bounded memory tier and an optional byte-bounded disk tier, keyed by the
//! effective request URI, each key holding a small list of variants (C-12).
//!
//! Writes to one key (store, freshen, invalidate) are serialised by a striped async lock,
//! so a read-modify-write of a key's variants never loses a concurrent update and an
//! invalidation cannot be undone by a slower write. Reads from memory take no such lock.
//! The disk tier is written through; a memory miss reads the disk tier and promotes the
//! entry to memory. Blocking file work runs on tokio's blocking pool.

mod disk;
mod memory;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex as AsyncMutex;

pub use disk::DiskTier;
pub use memory::{variants_weight, MemoryTier, Variants};

use crate::entry::StoredResponse;
use crate::key::CacheKey;

/// Number of write-lock stripes. Different keys may share a stripe; that only serialises
/// them, it never breaks correctness.
const STRIPES: usize = 256;

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk tier's folder could not be opened or scanned.
    #[error("cannot open the disk cache at {path}: {source}")]
    OpenDisk {
        /// The configured folder.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A blocking disk task could not run (the runtime is shutting down).
    #[error("the disk task failed: {0}")]
    Task(String),
}

/// Why [`Store::insert`] did not store an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// The entry is larger than `max_object_size`.
    #[error("the entry is larger than the maximum object size")]
    TooLarge,
}

/// Settings of a [`Store`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// Byte bound of the memory tier.
    pub memory_bytes: u64,
    /// Folder and byte bound of the disk tier; `None` for memory only.
    pub disk: Option<(PathBuf, u64)>,
    /// Entries larger than this are never stored.
    pub max_object_size: u64,
    /// Most variants kept per key; the oldest are dropped first.
    pub max_variants: usize,
}

/// The two-tier store.
pub struct Store {
    memory: MemoryTier,
    disk: Option<Arc<DiskTier>>,
    max_object_size: u64,
    max_variants: usize,
    locks: Box<[AsyncMutex<()>]>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("memory", &self.memory)
            .field("disk", &self.disk)
            .field("max_object_size", &self.max_object_size)
            .finish()
    }
}

impl Store {
    /// Opens a store. With a disk tier this scans its folder (on the blocking pool).
    pub async fn open(config: StoreConfig) -> Result<Self, StoreError> {
        let disk = match config.disk.clone() {
            None => None,
            Some((path, bytes)) => {
                let p = path.clone();
                let opened = tokio::task::spawn_blocking(move || DiskTier::open(p, bytes))
                    .await
                    .map_err(|e| StoreError::Task(e.to_string()))?;
                Some(Arc::new(opened.map_err(|source| StoreError::OpenDisk { path, source })?))
            }
        };
        Ok(Self::with_disk(config, disk))
    }

    /// A memory-only store; needs no runtime.
    pub fn memory_only(memory_bytes: u64, max_object_size: u64, max_variants: usize) -> Self {
        Self::with_disk(
            StoreConfig {
                memory_bytes,
                disk: None,
                max_object_size,
                max_variants,
            },
            None,
        )
    }

    fn with_disk(config: StoreConfig, disk: Option<Arc<DiskTier>>) -> Self {
        Self {
            memory: MemoryTier::new(config.memory_bytes, config.max_object_size),
            disk,
            max_object_size: config.max_object_size,
            max_variants: config.max_variants.max(1),
            locks: (0..STRIPES).map(|_| AsyncMutex::new(())).collect(),
        }
    }

    fn stripe(&self, key: &CacheKey) -> &AsyncMutex<()> {
        let h = key
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        &self.locks[(h % STRIPES as u64) as usize]
    }

    /// The memory tier (for inspection and tests).
    pub fn memory(&self) -> &MemoryTier {
        &self.memory
    }

    /// The disk tier, if configured.
    pub fn disk(&self) -> Option<&DiskTier> {
        self.disk.as_deref()
    }

    /// The largest entry the store accepts.
    pub fn max_object_size(&self) -> u64 {
        self.max_object_size
    }

    /// The variants stored for `key`, from memory or else from disk (then promoted).
    pub async fn get(&self, key: &CacheKey) -> Option<Variants> {
        if let Some(v) = self.memory.get(key) {
            return Some(v);
        }
        let disk = self.disk.as_ref()?;
        // Taking the key's write lock orders the promotion with concurrent writes and
        // invalidations of the same key: a removed entry is never promoted back.
        let _guard = self.stripe(key).lock().await;
        if let Some(v) = self.memory.get(key) {
            return Some(v);
        }
        let variants = read_disk(disk, key).await?;
        let variants: Variants = Arc::new(variants);
        self.memory.insert(key.clone(), variants.clone());
        Some(variants)
    }

    /// Stores `entry` under `key`, replacing the variant with the same method and the same
    /// `Vary` values, and keeping at most `max_variants` (the most recently received).
    pub async fn insert(&self, key: &CacheKey, entry: StoredResponse) -> Result<(), Rejected> {
        if entry.size() > self.max_object_size {
            return Err(Rejected::TooLarge);
        }
        let entry = Arc::new(entry);
        self.update(key, move |variants| {
            variants.retain(|v| !(v.method() == entry.method() && v.vary() == entry.vary()));
            variants.push(entry);
        })
        .await;
        Ok(())
    }

    /// Applies `f` to the variants of `key` under the key's write lock and writes the
    /// result to both tiers (an empty result removes the key). Returns the new list.
    pub async fn update<F>(&self, key: &CacheKey, f: F) -> Variants
    where
        F: FnOnce(&mut Vec<Arc<StoredResponse>>),
    {
        let _guard = self.stripe(key).lock().await;
        let mut current: Vec<Arc<StoredResponse>> = match self.memory.get(key) {
            Some(v) => v.as_ref().clone(),
            None => match &self.disk {
                Some(disk) => read_disk(disk, key).await.unwrap_or_default(),
                None => Vec::new(),
            },
        };
        f(&mut current);
        current.retain(|v| v.size() <= self.max_object_size);
        if current.len() > self.max_variants {
            current.sort_by_key(|v| v.response_time());
            let excess = current.len() - self.max_variants;
            current.drain(..excess);
        }
        let variants: Variants = Arc::new(current);
        self.memory.insert(key.clone(), variants.clone());
        if let Some(disk) = &self.disk {
            let disk = disk.clone();
            let key = key.clone();
            let list = variants.clone();
            // A failed disk write leaves the memory tier authoritative; the entry is simply
            // not persisted.
            let _ = tokio::task::spawn_blocking(move || disk.write(&key, &list)).await;
        }
        variants
    }

    /// Removes every variant of `key` from both tiers; true if something was stored.
    pub async fn remove(&self, key: &CacheKey) -> bool {
        let _guard = self.stripe(key).lock().await;
        let in_memory = self.memory.remove(key);
        let on_disk = match &self.disk {
            Some(disk) => {
                let disk = disk.clone();
                let key = key.clone();
                matches!(
                    tokio::task::spawn_blocking(move || disk.remove(&key)).await,
                    Ok(Ok(true))
                )
            }
            None => false,
        };
        in_memory || on_disk
    }
}

async fn read_disk(disk: &Arc<DiskTier>, key: &CacheKey) -> Option<Vec<Arc<StoredResponse>>> {
    let disk = disk.clone();
    let key = key.clone();
    tokio::task::spawn_blocking(move || disk.read(&key)).await.ok().flatten()
}
