//! The facade the reverse proxy calls, phase by phase.
//!
//! 1. [`Cache::lookup`] before forwarding a request. The answer says whether to serve a
//!    stored response ([`Lookup::Hit`], [`Lookup::Stale`]), to validate one upstream
//!    ([`Lookup::MustValidate`]), to forward ([`Lookup::Miss`], [`Lookup::Bypass`]) or to
//!    answer 504 ([`Lookup::OnlyIfCachedMiss`]).
//! 2. After upstream answered:
//!    - a full response to GET/HEAD: [`Cache::store`] (it decides storability itself);
//!    - a 304 to a validation: [`Cache::freshen_with_304`], which returns what to send;
//!    - an error or no answer during a validation: [`Cache::stale_on_error`];
//!    - any answer to an unsafe method: [`Cache::invalidate_for`].
//! 3. A PURGE request: [`Cache::purge`].
//!
//! Responses built by the cache carry every stored header line as stored, an `Age` that
//! replaces any stored one (C-7), and a `Cache-Status` member (RFC 9211) appended after any
//! stored ones. The cache never generates `Warning` (RFC 9111 §5.5 obsoletes it).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, AGE, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_LOCATION,
    CONTENT_RANGE, DATE, ETAG, EXPIRES, IF_RANGE, LAST_MODIFIED, RANGE, VARY,
};
use http::{request, response, Method, Response, StatusCode};

use crate::collapse::Collapser;
use crate::date::parse_http_date;
use crate::directives::{RequestCacheControl, ResponseCacheControl};
use crate::entry::StoredResponse;
use crate::freshness::HeuristicPolicy;
use crate::invalidate::invalidation_targets;
use crate::key::CacheKey;
use crate::reuse::{evaluate, Mismatch, Reuse, StalePermission, ValidationReason};
use crate::status::{CacheStatus, Forward};
use crate::storable::{storability, NotStorable, StorabilityOptions};
use crate::store::{Store, StoreConfig, StoreError};
use crate::validate::{
    client_condition, conditional_headers, freshen, freshen_with_head, has_origin_only_preconditions,
    stale_if_error_allows, validators_match, ClientCondition, HeadUpdate, UpstreamFailure,
    ValidationOptions,
};

/// Folder and byte bound of the optional disk tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskConfig {
    /// Folder holding one file per cached URI. Created if missing.
    pub path: PathBuf,
    /// Byte bound of the folder's cache files.
    pub bytes: u64,
}

/// Settings of a [`Cache`].
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    /// Byte bound of the memory tier.
    pub memory_bytes: u64,
    /// Optional disk tier.
    pub disk: Option<DiskConfig>,
    /// Responses whose stored form is larger than this are never stored.
    pub max_object_size: u64,
    /// The cache's name in `Cache-Status`.
    pub name: String,
    /// Heuristic freshness (C-5): fraction of `Date − Last-Modified` and cap.
    pub heuristic: HeuristicPolicy,
    /// Most variants kept per URI.
    pub max_variants: usize,
    /// Scheme assumed for origin-form request targets (the proxy's listener scheme).
    pub default_scheme: String,
    /// Serve a stale response when upstream cannot be reached at all and nothing forbids
    /// it (RFC 9111 §4.2.4 "disconnected").
    pub serve_stale_when_disconnected: bool,
    /// How conditional requests are built.
    pub validation: ValidationOptions,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            memory_bytes: 64 * 1024 * 1024,
            disk: None,
            max_object_size: 8 * 1024 * 1024,
            name: "methodical".to_owned(),
            heuristic: HeuristicPolicy::default(),
            max_variants: 16,
            default_scheme: "http".to_owned(),
            serve_stale_when_disconnected: true,
            validation: ValidationOptions::default(),
        }
    }
}

/// A response built from the cache, ready to send.
#[derive(Debug)]
pub struct CachedResponse {
    /// Status, version and header fields (with `Age` and `Cache-Status`).
    pub parts: response::Parts,
    /// The content: empty for HEAD and 304, a slice for 206.
    pub body: Bytes,
    /// The `current_age` that was sent as `Age`.
    pub age: Duration,
}

/// What the proxy needs to validate a stored response upstream.
#[derive(Debug, Clone)]
pub struct Revalidation {
    /// The primary key of the stored response.
    pub key: CacheKey,
    /// The stored response being validated.
    pub stored: Arc<StoredResponse>,
    /// Fields to put on the upstream request, replacing the client's `If-None-Match` and
    /// `If-Modified-Since` (the cache answers the client's own conditions itself). Empty
    /// when the stored response has no validator: the request then goes unconditionally
    /// and a full answer replaces the stored one through [`Cache::store`].
    pub conditional_headers: HeaderMap,
    /// Why validation is needed.
    pub reason: ValidationReason,
}

/// Why a request is not handled by the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BypassReason {
    /// Not GET or HEAD: forward, then call [`Cache::invalidate_for`].
    Method,
    /// No effective request URI (no authority and no `Host`).
    NoKey,
    /// The request has `Cache-Control: no-store` (C-9).
    RequestNoStore,
    /// `If-Match` or `If-Unmodified-Since`: only the origin can evaluate them.
    OriginPreconditions,
}

/// Outcome of [`Cache::lookup`].
#[derive(Debug)]
pub enum Lookup {
    /// A fresh stored response answers the request: send it (a 304 when the client's
    /// own conditions say so, a 206 for a satisfiable single byte range).
    Hit(CachedResponse),
    /// A stale response whose use is permitted (request `max-stale`, or the response's
    /// `stale-while-revalidate`): send it. With `revalidate`, also validate it in the
    /// background (stale-while-revalidate) and feed the result back as after
    /// [`Lookup::MustValidate`].
    Stale {
        /// The response to send.
        response: CachedResponse,
        /// Background revalidation to perform, if any.
        revalidate: Option<Revalidation>,
    },
    /// Validate upstream first. On 304: [`Cache::freshen_with_304`]; on a full response:
    /// [`Cache::store`] and forward it; on 5xx or no answer: [`Cache::stale_on_error`].
    MustValidate(Revalidation),
    /// Nothing usable stored: forward, then [`Cache::store`]. `key` is also the key for
    /// request collapsing.
    Miss {
        /// The primary key.
        key: CacheKey,
        /// `UriMiss` (nothing for the URI) or `VaryMiss` (no variant matched).
        why: Forward,
    },
    /// `only-if-cached` and nothing usable: answer `504 Gateway Timeout` without
    /// contacting upstream (C-9).
    OnlyIfCachedMiss,
    /// The cache does not take part: forward unchanged, do not store.
    Bypass(BypassReason),
}

/// Outcome of [`Cache::store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored.
    Stored,
    /// Not stored, and why.
    NotStored(NotStorable),
}

/// Outcome of [`Cache::freshen_with_304`].
#[derive(Debug)]
pub enum Freshened {
    /// The stored response was freshened; send this (200/206 or a 304 for a conditional
    /// client request).
    Updated(CachedResponse),
    /// The 304's validators do not match the stored response (RFC 9111 §4.3.3): repeat
    /// the request upstream without the cache's conditional fields.
    NoMatch,
}

/// The shared cache: rules, stores and request collapsing. `Send + Sync`; share it in an
/// `Arc`.
#[derive(Debug)]
pub struct Cache {
    config: CacheConfig,
    store: Store,
    collapser: Collapser,
}

impl Cache {
    /// Opens a cache; with a disk tier, its folder is scanned and its index rebuilt.
    pub async fn open(config: CacheConfig) -> Result<Self, StoreError> {
        let store = Store::open(StoreConfig {
            memory_bytes: config.memory_bytes,
            disk: config.disk.as_ref().map(|d| (d.path.clone(), d.bytes)),
            max_object_size: config.max_object_size,
            max_variants: config.max_variants,
        })
        .await?;
        Ok(Self {
            config,
            store,
            collapser: Collapser::new(),
        })
    }

    /// A memory-only cache (any `disk` setting is ignored); needs no runtime to build.
    pub fn memory_only(config: CacheConfig) -> Self {
        let store = Store::memory_only(config.memory_bytes, config.max_object_size, config.max_variants);
        Self {
            config,
            store,
            collapser: Collapser::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// The underlying two-tier store.
    pub fn storage(&self) -> &Store {
        &self.store
    }

    /// Request collapsing for misses; join with `key.as_str()` of [`Lookup::Miss`].
    pub fn collapser(&self) -> &Collapser {
        &self.collapser
    }

    /// The primary key of a request, or `None` without an authority.
    pub fn key_for(&self, req: &request::Parts) -> Option<CacheKey> {
        CacheKey::from_request(req, &self.config.default_scheme)
    }

    /// A `Cache-Status` member with this cache's name, for responses the proxy forwards.
    pub fn forward_status(&self, why: Forward) -> CacheStatus {
        CacheStatus::forward(&self.config.name, why)
    }

    /// A `Cache-Status` member with this cache's name for a response the gateway produced
    /// itself, neither from the cache nor from upstream.
    pub fn local_status(&self) -> CacheStatus {
        CacheStatus::not_used(&self.config.name)
    }

    /// Phase 1: how can the cache answer `req` at `now`?
    pub async fn lookup(&self, req: &request::Parts, now: SystemTime) -> Lookup {
        if req.method != Method::GET && req.method != Method::HEAD {
            return Lookup::Bypass(BypassReason::Method);
        }
        let Some(key) = self.key_for(req) else {
            return Lookup::Bypass(BypassReason::NoKey);
        };
        let rcc = RequestCacheControl::from_headers(&req.headers);
        if rcc.no_store {
            return Lookup::Bypass(BypassReason::RequestNoStore);
        }
        if has_origin_only_preconditions(req) {
            return Lookup::Bypass(BypassReason::OriginPreconditions);
        }
        let miss = |why| {
            if rcc.only_if_cached {
                Lookup::OnlyIfCachedMiss
            } else {
                Lookup::Miss { key: key.clone(), why }
            }
        };
        let Some(variants) = self.store.get(&key).await else {
            return miss(Forward::UriMiss);
        };
        let mut vary_mismatch = false;
        let mut best: Option<(&Arc<StoredResponse>, Reuse)> = None;
        for v in variants.iter() {
            match evaluate(req, v, now, &self.config.heuristic) {
                Reuse::NotUsable(Mismatch::Vary) => vary_mismatch = true,
                Reuse::NotUsable(Mismatch::Method) => {}
                reuse => {
                    // Several matching variants: the most recent by Date wins (C-12).
                    if best.is_none_or(|(b, _)| recency(v) > recency(b)) {
                        best = Some((v, reuse));
                    }
                }
            }
        }
        let Some((stored, reuse)) = best else {
            return miss(if vary_mismatch { Forward::VaryMiss } else { Forward::UriMiss });
        };
        match reuse {
            Reuse::Fresh { ttl, .. } => {
                let status = CacheStatus::hit(&self.config.name).ttl(ttl.as_secs() as i64);
                Lookup::Hit(self.respond(req, stored, now, status))
            }
            Reuse::StaleServable { why, .. } => {
                let ttl = self.ttl_of(stored, now);
                let status = CacheStatus::hit(&self.config.name).ttl(ttl).detail(match why {
                    StalePermission::MaxStale => "max-stale",
                    StalePermission::WhileRevalidate => "stale-while-revalidate",
                });
                let response = self.respond(req, stored, now, status);
                let revalidate = (why == StalePermission::WhileRevalidate).then(|| {
                    self.revalidation(&key, stored, ValidationReason::Stale)
                });
                Lookup::Stale { response, revalidate }
            }
            Reuse::MustValidate { why, .. } => {
                if rcc.only_if_cached {
                    return Lookup::OnlyIfCachedMiss;
                }
                Lookup::MustValidate(self.revalidation(&key, stored, why))
            }
            Reuse::NotUsable(_) => miss(Forward::Miss),
        }
    }

    fn revalidation(&self, key: &CacheKey, stored: &Arc<StoredResponse>, reason: ValidationReason) -> Revalidation {
        Revalidation {
            key: key.clone(),
            stored: stored.clone(),
            conditional_headers: conditional_headers(stored, &self.config.validation),
            reason,
        }
    }

    fn ttl_of(&self, stored: &StoredResponse, now: SystemTime) -> i64 {
        let (lifetime, _) = stored.freshness_lifetime(&self.config.heuristic);
        let age = stored.current_age(now);
        lifetime.as_secs() as i64 - age.as_secs() as i64
    }

    /// Phase 2: offers a full upstream response to the cache. Stores it when RFC 9111 §3
    /// allows; a 200 to HEAD also updates (or marks stale) the stored GET responses it
    /// describes (§4.3.5). `body` is the complete content.
    pub async fn store(
        &self,
        req: &request::Parts,
        resp: &response::Parts,
        body: Bytes,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> StoreOutcome {
        let Some(key) = self.key_for(req) else {
            return StoreOutcome::NotStored(NotStorable::NoKey);
        };
        if req.method == Method::HEAD && resp.status == StatusCode::OK {
            self.update_gets_from_head(&key, req, resp, request_time, response_time).await;
        }
        let opts = StorabilityOptions {
            heuristic: self.config.heuristic,
        };
        if let Err(why) = storability(req, resp, &opts) {
            return StoreOutcome::NotStored(why);
        }
        let entry = match StoredResponse::new(req, resp, body, request_time, response_time) {
            Ok(e) => e,
            Err(why) => return StoreOutcome::NotStored(why),
        };
        match self.store.insert(&key, entry).await {
            Ok(()) => StoreOutcome::Stored,
            Err(_) => StoreOutcome::NotStored(NotStorable::TooLarge),
        }
    }

    async fn update_gets_from_head(
        &self,
        key: &CacheKey,
        req: &request::Parts,
        resp: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) {
        if self.store.get(key).await.is_none() {
            return;
        }
        self.store
            .update(key, |variants| {
                for v in variants.iter_mut() {
                    if v.method() == Method::GET && v.vary().matches(&req.headers) {
                        let mut updated = (**v).clone();
                        if freshen_with_head(&mut updated, resp, request_time, response_time) != HeadUpdate::Ignored {
                            *v = Arc::new(updated);
                        }
                    }
                }
                drop_unstorable(variants);
            })
            .await;
    }

    /// Phase 2: upstream answered a validation with 304 (RFC 9111 §4.3.4). Freshens the
    /// stored responses the 304 selects and returns the response for the client, built
    /// from the freshened one and evaluated against the client's own conditions.
    pub async fn freshen_with_304(
        &self,
        req: &request::Parts,
        revalidation: &Revalidation,
        resp_304: &response::Parts,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Freshened {
        if !validators_match(&revalidation.stored, &resp_304.headers) {
            return Freshened::NoMatch;
        }
        let target = &revalidation.stored;
        let has_validator = resp_304.headers.contains_key(ETAG) || resp_304.headers.contains_key(LAST_MODIFIED);
        let mut fresh_copy = (**target).clone();
        freshen(&mut fresh_copy, resp_304, request_time, response_time);
        let fresh_copy = Arc::new(fresh_copy);
        let chosen = fresh_copy.clone();
        self.store
            .update(&revalidation.key, |variants| {
                for v in variants.iter_mut() {
                    let same_variant = v.method() == target.method() && v.vary() == target.vary();
                    if same_variant {
                        *v = chosen.clone();
                    } else if has_validator && validators_match(v, &resp_304.headers) {
                        // §4.3.4: every stored response with the same validator is updated.
                        let mut other = (**v).clone();
                        freshen(&mut other, resp_304, request_time, response_time);
                        *v = Arc::new(other);
                    }
                }
                drop_unstorable(variants);
            })
            .await;
        let status = CacheStatus::forward(&self.config.name, revalidation.reason.forward()).fwd_status(304);
        Freshened::Updated(self.respond(req, &fresh_copy, response_time, status))
    }

    /// Phase 2: validation failed (`failure`). Returns the stale response to send when
    /// `stale-if-error` or disconnection allows it (RFC 5861 §4, C-13), else `None` (send
    /// the upstream error, or a 502/504 of the proxy's own).
    pub fn stale_on_error(
        &self,
        req: &request::Parts,
        revalidation: &Revalidation,
        failure: UpstreamFailure,
        now: SystemTime,
    ) -> Option<CachedResponse> {
        let stored = &revalidation.stored;
        if !stale_if_error_allows(
            req,
            stored,
            now,
            failure,
            &self.config.heuristic,
            self.config.serve_stale_when_disconnected,
        ) {
            return None;
        }
        let mut status = CacheStatus::hit(&self.config.name)
            .ttl(self.ttl_of(stored, now))
            .detail("stale-if-error");
        if let UpstreamFailure::Status(s) = failure {
            status = status.fwd_status(s.as_u16());
        }
        Some(self.respond(req, stored, now, status))
    }

    /// Phase 2: after any upstream answer to a request, invalidates what C-10 says: for an
    /// unsafe method and a 2xx/3xx answer, every stored variant of the target URI and of
    /// the same-origin `Location`, `Content-Location` and (COPY/MOVE) `Destination` URIs.
    /// Returns the number of URIs that had something stored.
    pub async fn invalidate_for(
        &self,
        method: &Method,
        key: &CacheKey,
        resp: &response::Parts,
        destination: Option<&HeaderValue>,
    ) -> usize {
        let mut removed = 0;
        for target in invalidation_targets(method, key, resp, destination) {
            if self.store.remove(&target).await {
                removed += 1;
            }
        }
        removed
    }

    /// [`Cache::invalidate_for`] with the method, key and `Destination` taken from the
    /// request.
    pub async fn invalidate_after(&self, req: &request::Parts, resp: &response::Parts) -> usize {
        match self.key_for(req) {
            Some(key) => {
                let destination = req.headers.get(HeaderName::from_static("destination"));
                self.invalidate_for(&req.method, &key, resp, destination).await
            }
            None => 0,
        }
    }

    /// Drops every stored variant of a URI (for a PURGE request); true if something was
    /// stored.
    pub async fn purge(&self, key: &CacheKey) -> bool {
        self.store.remove(key).await
    }

    /// Builds the response for `req` from `stored` at `now`.
    fn respond(&self, req: &request::Parts, stored: &StoredResponse, now: SystemTime, status: CacheStatus) -> CachedResponse {
        let age = stored.current_age(now);
        let mut headers = stored.headers().clone();
        headers.remove(AGE);
        headers.insert(AGE, HeaderValue::from(age.as_secs()));
        headers.append(HeaderName::from_static("cache-status"), status.to_header_value());
        let mut status_code = stored.status();
        let mut body = if req.method == Method::HEAD {
            Bytes::new()
        } else {
            stored.body().clone()
        };
        match client_condition(req, stored) {
            ClientCondition::NotModified if stored.status() == StatusCode::OK => {
                status_code = StatusCode::NOT_MODIFIED;
                headers = not_modified_headers(&headers);
                body = Bytes::new();
            }
            _ => {
                if req.method == Method::GET && stored.status() == StatusCode::OK {
                    if let Some((start, end)) = satisfiable_range(req, stored) {
                        let len = stored.body().len();
                        status_code = StatusCode::PARTIAL_CONTENT;
                        body = stored.body().slice(start..=end);
                        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
                        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                            headers.insert(CONTENT_RANGE, v);
                        }
                    }
                }
            }
        }
        let mut parts = Response::new(()).into_parts().0;
        parts.status = status_code;
        parts.version = stored.version();
        parts.headers = headers;
        CachedResponse { parts, body, age }
    }
}

/// Recency for choosing among matching variants: `Date`, else the response time.
fn recency(v: &StoredResponse) -> (SystemTime, SystemTime) {
    (v.date().unwrap_or_else(|| v.response_time()), v.response_time())
}

/// A freshening 304 or HEAD can bring `no-store` or `private`: such a response must not
/// stay stored (C-8). It is still served once, for this exchange.
fn drop_unstorable(variants: &mut Vec<Arc<StoredResponse>>) {
    variants.retain(|v| {
        let cc: &ResponseCacheControl = v.cache_control();
        !(cc.private || (cc.no_store && !cc.must_understand))
    });
}

/// The fields of a 304 built from a stored 200 (RFC 9110 §15.4.5): the ones a 200 would
/// carry among Cache-Control, Content-Location, Date, ETag, Expires and Vary, plus
/// Last-Modified when there is no ETag, plus `Age` and `Cache-Status`.
fn not_modified_headers(full: &HeaderMap) -> HeaderMap {
    let mut keep: Vec<HeaderName> = vec![
        CACHE_CONTROL,
        CONTENT_LOCATION,
        DATE,
        ETAG,
        EXPIRES,
        VARY,
        AGE,
        HeaderName::from_static("cache-status"),
    ];
    if !full.contains_key(ETAG) {
        keep.push(LAST_MODIFIED);
    }
    let mut out = HeaderMap::new();
    for (name, value) in full {
        if keep.contains(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// A single satisfiable `bytes` range of the stored content, honouring `If-Range`
/// (RFC 9110 §14.2, §13.1.5). Anything else (several ranges, other units, unsatisfiable,
/// failed `If-Range`) means the full response is sent, which a server may always do.
fn satisfiable_range(req: &request::Parts, stored: &StoredResponse) -> Option<(usize, usize)> {
    let mut lines = req.headers.get_all(RANGE).iter();
    let range = lines.next()?.to_str().ok()?.trim();
    if lines.next().is_some() {
        return None;
    }
    if let Some(if_range) = req.headers.get(IF_RANGE) {
        let v = if_range.as_bytes();
        let ok = if v.starts_with(b"\"") {
            // Strong comparison only (RFC 9110 §13.1.5).
            stored.etags().any(|e| e.as_bytes() == v)
        } else {
            match (parse_http_date(v), stored.last_modified().and_then(|lm| parse_http_date(lm.as_bytes()))) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            }
        };
        if !ok {
            return None;
        }
    }
    let len = stored.body().len();
    let spec = range.strip_prefix("bytes=").or_else(|| {
        range
            .get(..6)
            .filter(|u| u.eq_ignore_ascii_case("bytes="))
            .map(|_| &range[6..])
    })?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    let num = |s: &str| -> Option<usize> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    if first.is_empty() {
        let n = num(last)?;
        if n == 0 {
            return None;
        }
        return Some((len.saturating_sub(n), len - 1));
    }
    let start = num(first)?;
    if start >= len {
        return None;
    }
    let end = if last.is_empty() {
        len - 1
    } else {
        let e = num(last)?;
        if e < start {
            return None;
        }
        e.min(len - 1)
    };
    Some((start, end))
}
