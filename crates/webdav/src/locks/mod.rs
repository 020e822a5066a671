//! WebDAV write locks (RFC 4918 §6, §7): the [`LockStore`] trait, an in-memory store, and the
//! `If` header (§10.4).

mod if_header;
mod memory;

use std::time::{Duration, SystemTime};

pub use if_header::{IfCondition, IfHeader, IfList, IfParseError};
pub use memory::MemoryLockStore;

use crate::xml::Element;

/// Exclusive or shared (RFC 4918 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// Conflicts with every other lock on an overlapping scope.
    Exclusive,
    /// Conflicts only with exclusive locks.
    Shared,
}

/// Depth of a lock (RFC 4918 §9.10.3: only 0 and infinity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockDepth {
    /// The root resource only (for a collection: its properties and membership).
    Zero,
    /// The root and every member, present and future.
    Infinity,
}

/// One active lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    /// The lock token, a URI (`urn:uuid:…`).
    pub token: String,
    /// The lock root: decoded path relative to the WebDAV root (`""` for the root).
    pub root: String,
    /// Whether the root was a collection when locked (for the `lockroot` href).
    pub root_is_collection: bool,
    /// Depth.
    pub depth: LockDepth,
    /// Scope.
    pub scope: LockScope,
    /// The client's `<D:owner>` element, returned as given.
    pub owner: Option<Element>,
    /// The authenticated user who created the lock; only that user's requests can use the
    /// token (RFC 4918 §6.4).
    pub principal: Option<String>,
    /// Granted timeout; `None` = infinite.
    pub timeout: Option<Duration>,
    /// When the lock expires (`None` = never).
    pub expires: Option<SystemTime>,
}

/// `path` is `ancestor` or lies below it (relative paths, `""` = root).
pub fn is_within(path: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || path == ancestor
        || (path.len() > ancestor.len() && path.starts_with(ancestor) && path.as_bytes()[ancestor.len()] == b'/')
}

impl LockInfo {
    /// Does this lock's scope include the resource at `path`?
    pub fn covers(&self, path: &str) -> bool {
        match self.depth {
            LockDepth::Zero => self.root == path,
            LockDepth::Infinity => is_within(path, &self.root),
        }
    }

    /// Would this lock and a new lock with `root`, `depth` lock a common resource?
    pub fn overlaps(&self, root: &str, depth: LockDepth) -> bool {
        self.covers(root) || (depth == LockDepth::Infinity && is_within(&self.root, root))
    }

    /// Time left before expiry (`None` = infinite).
    pub fn remaining(&self) -> Option<Duration> {
        self.expires.map(|e| e.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    }

    /// Has it expired?
    pub fn expired(&self, now: SystemTime) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// Where the locks live. In memory today ([`MemoryLockStore`]); a store shared between
/// processes can implement the same trait. Paths are relative to one WebDAV root, so use one
/// store per route (or namespace the paths inside a shared store). Every method must be quick:
/// it is called on the request task.
///
/// Implementations drop expired locks themselves: no method returns an expired lock.
pub trait LockStore: Send + Sync + std::fmt::Debug {
    /// Adds `lock` unless an existing lock conflicts with it (RFC 4918 §6.1: any overlapping
    /// lock conflicts with an exclusive one; shared locks conflict only with exclusive ones).
    /// The check and the insertion are one atomic step. On conflict, returns the
    /// conflicting locks.
    fn create(&self, lock: LockInfo) -> Result<LockInfo, Vec<LockInfo>>;
    /// Extends the lock named by `token` to `timeout` from now (`None` = infinite).
    fn refresh(&self, token: &str, timeout: Option<Duration>) -> Option<LockInfo>;
    /// Removes the lock; returns it if it existed.
    fn remove(&self, token: &str) -> Option<LockInfo>;
    /// The lock with this token.
    fn get(&self, token: &str) -> Option<LockInfo>;
    /// The locks whose scope includes `path`.
    fn covering(&self, path: &str) -> Vec<LockInfo>;
    /// The locks rooted at `path` or below it.
    fn rooted_within(&self, path: &str) -> Vec<LockInfo>;
    /// Removes the locks rooted at `path` or below it (DELETE, MOVE source); returns how many.
    fn remove_within(&self, path: &str) -> usize;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_is_segment_aware() {
        assert!(is_within("a/b", "a"));
        assert!(is_within("a", "a"));
        assert!(is_within("a", ""));
        assert!(!is_within("ab", "a"));
        assert!(!is_within("a", "a/b"));
    }
}
