//! The in-memory lock store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::{is_within, LockInfo, LockScope, LockStore};

/// Locks kept in a map behind a mutex. Locks do not survive a restart, which RFC 4918 allows
/// (a lock may disappear at any time; clients rediscover with `lockdiscovery`).
#[derive(Debug, Default)]
pub struct MemoryLockStore {
    locks: Mutex<HashMap<String, LockInfo>>,
}

impl MemoryLockStore {
    /// An empty store.
    pub fn new() -> MemoryLockStore {
        MemoryLockStore::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, LockInfo>) -> T) -> T {
        // A panic while holding the guard cannot leave the map half-updated (every change is
        // a single insert/remove), so a poisoned mutex is still usable.
        let mut guard = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        let now = SystemTime::now();
        guard.retain(|_, l| !l.expired(now));
        f(&mut guard)
    }
}

impl LockStore for MemoryLockStore {
    fn create(&self, lock: LockInfo) -> Result<LockInfo, Vec<LockInfo>> {
        self.with(|map| {
            let conflicts: Vec<LockInfo> = map
                .values()
                .filter(|l| l.overlaps(&lock.root, lock.depth))
                .filter(|l| lock.scope == LockScope::Exclusive || l.scope == LockScope::Exclusive)
                .cloned()
                .collect();
            if !conflicts.is_empty() {
                return Err(conflicts);
            }
            map.insert(lock.token.clone(), lock.clone());
            Ok(lock)
        })
    }

    fn refresh(&self, token: &str, timeout: Option<Duration>) -> Option<LockInfo> {
        self.with(|map| {
            let l = map.get_mut(token)?;
            l.timeout = timeout;
            l.expires = timeout.map(|t| SystemTime::now() + t);
            Some(l.clone())
        })
    }

    fn remove(&self, token: &str) -> Option<LockInfo> {
        self.with(|map| map.remove(token))
    }

    fn get(&self, token: &str) -> Option<LockInfo> {
        self.with(|map| map.get(token).cloned())
    }

    fn covering(&self, path: &str) -> Vec<LockInfo> {
        self.with(|map| {
            let mut v: Vec<LockInfo> = map.values().filter(|l| l.covers(path)).cloned().collect();
            v.sort_by(|a, b| a.root.cmp(&b.root).then(a.token.cmp(&b.token)));
            v
        })
    }

    fn rooted_within(&self, path: &str) -> Vec<LockInfo> {
        self.with(|map| map.values().filter(|l| is_within(&l.root, path)).cloned().collect())
    }

    fn remove_within(&self, path: &str) -> usize {
        self.with(|map| {
            let before = map.len();
            map.retain(|_, l| !is_within(&l.root, path));
            before - map.len()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locks::LockDepth;

    fn lock(token: &str, root: &str, depth: LockDepth, scope: LockScope) -> LockInfo {
        LockInfo {
            token: token.into(),
            root: root.into(),
            root_is_collection: false,
            depth,
            scope,
            owner: None,
            principal: None,
            timeout: Some(Duration::from_secs(60)),
            expires: Some(SystemTime::now() + Duration::from_secs(60)),
        }
    }

    #[test]
    fn d8_conflicts_follow_scope_and_depth() {
        let s = MemoryLockStore::new();
        s.create(lock("a", "c", LockDepth::Infinity, LockScope::Exclusive)).unwrap();
        assert!(s.create(lock("b", "c/x", LockDepth::Zero, LockScope::Shared)).is_err(), "covered by an infinity lock");
        assert!(s.create(lock("b", "d", LockDepth::Zero, LockScope::Exclusive)).is_ok());
        assert!(s.create(lock("e", "", LockDepth::Infinity, LockScope::Shared)).is_err(), "would cover c");
        assert!(s.create(lock("f", "", LockDepth::Zero, LockScope::Exclusive)).is_ok(), "depth 0 on the parent");
        s.create(lock("s1", "sh", LockDepth::Zero, LockScope::Shared)).unwrap();
        s.create(lock("s2", "sh", LockDepth::Zero, LockScope::Shared)).unwrap();
        assert!(s.create(lock("x", "sh", LockDepth::Zero, LockScope::Exclusive)).is_err());
        assert_eq!(s.covering("c/x/y").len(), 1);
        assert_eq!(s.remove_within("c"), 1);
        assert!(s.get("a").is_none());
    }

    #[test]
    fn d8_expired_locks_vanish() {
        let s = MemoryLockStore::new();
        let mut l = lock("t", "f", LockDepth::Zero, LockScope::Exclusive);
        l.expires = Some(SystemTime::now() - Duration::from_secs(1));
        s.create(l).unwrap();
        assert!(s.get("t").is_none());
        assert!(s.covering("f").is_empty());
    }
}
