//! The memory tier: a byte-bounded map from primary key to the stored variants.
//!
//! Built on `quick_cache` (S3-FIFO-like eviction, sharded locks, never held across
//! `.await`) with a weighter returning the byte size of a key's variants. quick_cache
//! refuses items heavier than one shard's budget, so the shard count is chosen so that a
//! shard can always hold an object of `max_object_size`: with few, large shards nothing
//! storable is silently refused.

use std::sync::Arc;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};

use crate::entry::StoredResponse;
use crate::key::CacheKey;

/// The variants stored under one primary key. Immutable once built: updates replace the
/// whole list, which keeps the weight of an item constant as quick_cache requires.
pub type Variants = Arc<Vec<Arc<StoredResponse>>>;

/// Byte weight of one key's variants.
pub fn variants_weight(key: &CacheKey, variants: &[Arc<StoredResponse>]) -> u64 {
    key.as_str().len() as u64 + variants.iter().map(|v| v.size()).sum::<u64>()
}

#[derive(Debug, Clone, Copy, Default)]
struct ByteWeighter;

impl Weighter<CacheKey, Variants> for ByteWeighter {
    fn weight(&self, key: &CacheKey, val: &Variants) -> u64 {
        // Never 0: zero-weight items would never be evicted.
        variants_weight(key, val).max(1)
    }
}

/// Byte-bounded in-memory tier.
pub struct MemoryTier {
    cache: Cache<CacheKey, Variants, ByteWeighter, DefaultHashBuilder, DefaultLifecycle<CacheKey, Variants>>,
    capacity: u64,
}

impl std::fmt::Debug for MemoryTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryTier")
            .field("capacity", &self.capacity)
            .field("weight", &self.cache.weight())
            .field("len", &self.cache.len())
            .finish()
    }
}

impl MemoryTier {
    /// A tier holding at most `capacity` bytes, sized so that an object of
    /// `max_object_size` bytes fits in one shard.
    pub fn new(capacity: u64, max_object_size: u64) -> Self {
        let capacity = capacity.max(1);
        // Each shard keeps ~3% for its cold queue; give the largest object twice its size.
        let per_shard_needed = max_object_size.max(1).saturating_mul(2);
        let mut shards = 1usize;
        while shards < 64 && capacity / ((shards as u64) * 2) >= per_shard_needed {
            shards *= 2;
        }
        let estimated_items = usize::try_from((capacity / 4096).clamp(16, 1 << 20)).unwrap_or(1 << 20);
        let options = OptionsBuilder::new()
            .estimated_items_capacity(estimated_items)
            .weight_capacity(capacity)
            .shards(shards)
            .build();
        let cache = match options {
            Ok(o) => Cache::with_options(o, ByteWeighter, DefaultHashBuilder::default(), DefaultLifecycle::default()),
            // The builder only fails on inconsistent settings; fall back to its defaults.
            Err(_) => Cache::with(estimated_items, capacity, ByteWeighter, DefaultHashBuilder::default(), DefaultLifecycle::default()),
        };
        Self { cache, capacity }
    }

    /// The variants stored under `key`.
    pub fn get(&self, key: &CacheKey) -> Option<Variants> {
        self.cache.get(key)
    }

    /// Stores (or replaces) the variants of `key`. An empty list removes the key.
    pub fn insert(&self, key: CacheKey, variants: Variants) {
        if variants.is_empty() {
            self.cache.remove(&key);
        } else {
            self.cache.insert(key, variants);
        }
    }

    /// Removes `key`; true if it was present.
    pub fn remove(&self, key: &CacheKey) -> bool {
        self.cache.remove(key).is_some()
    }

    /// Bytes currently held.
    pub fn weight(&self) -> u64 {
        self.cache.weight()
    }

    /// The byte bound.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}
