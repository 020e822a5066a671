//! methodical's shared HTTP cache (RFC 9111): storage rules, freshness, validation,
//! invalidation, byte-bounded memory and disk stores, request collapsing and
//! `Cache-Status`. No networking: the reverse proxy drives it through [`Cache`].
//!
//! Requirement ids (C-1 … C-14, A-7, A-9, A-10) refer to the project's specification
//! digest; the RFC wins where they differ.
//!
//! Modules, from rules to plumbing:
//! - [`directives`]: `Cache-Control` parsing (requests and responses).
//! - [`storable`]: may a response be stored (C-1, C-2, C-3, C-8)?
//! - [`freshness`]: lifetime, heuristic and age (C-5, C-6, C-7).
//! - [`entry`]: the stored form of a response (C-14).
//! - [`vary`]: selecting-field normalisation and matching (C-12).
//! - [`reuse`]: may a stored response answer a request (C-9, C-11, C-13)?
//! - [`validate`]: conditional requests, freshening with 304/HEAD, stale-if-error.
//! - [`invalidate`]: invalidation by unsafe methods (C-10).
//! - [`key`]: effective request URI keys and URI-reference resolution.
//! - [`store`]: byte-bounded memory and disk tiers.
//! - [`collapse`]: request collapsing.
//! - [`status`]: `Cache-Status` (RFC 9211).
//! - [`cache`]: the facade.

#![warn(missing_docs)]

pub mod cache;
pub mod collapse;
pub mod date;
pub mod directives;
pub mod entry;
pub mod fields;
pub mod freshness;
pub mod invalidate;
pub mod key;
pub mod reuse;
pub mod status;
pub mod storable;
pub mod store;
pub mod validate;
pub mod vary;

pub use cache::{
    BypassReason, Cache, CacheConfig, CachedResponse, DiskConfig, Freshened, Lookup, Revalidation,
    StoreOutcome,
};
pub use collapse::{Collapser, FlightOutcome, FollowerWait, Join, LeaderGuard};
pub use entry::StoredResponse;
pub use key::CacheKey;
pub use status::{CacheStatus, Forward};
pub use storable::NotStorable;
pub use validate::UpstreamFailure;
