//! Preconditions of state-changing requests, in the order the RFCs want them checked:
//! HTTP conditionals (If-Match, If-None-Match, If-Unmodified-Since: RFC 9110 §13.2.2), then
//! the WebDAV `If` header (RFC 4918 §10.4: 412 when false), then locks (§7: 423 when a lock
//! applies and its token was not submitted).

use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use http::header::{IF_MATCH, IF_NONE_MATCH, IF_UNMODIFIED_SINCE};
use http::{HeaderMap, StatusCode};

use crate::error::{Condition, DavError};
use crate::href::{href, locate, Target};
use crate::locks::{IfCondition, IfHeader, LockInfo, LockScope};
use crate::methods::Cx;
use crate::resource::Resource;
use crate::Inner;

/// Strong comparison of two entity tags (RFC 9110 §8.8.3.2).
fn strong_eq(a: &str, b: &str) -> bool {
    !a.starts_with("W/") && !b.starts_with("W/") && a == b
}

/// Weak comparison (for If-None-Match).
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

fn etag_list(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

/// If-Match, If-None-Match and If-Unmodified-Since for a state-changing method (412 when one
/// fails). `res` is the current target (`None`: unmapped).
pub fn http_conditions(headers: &HeaderMap, res: Option<&Resource>) -> Result<(), DavError> {
    let etag = res.and_then(|r| r.etag.as_deref());
    if let Some(v) = headers.get(IF_MATCH) {
        let v = v.to_str().unwrap_or("").trim();
        let ok = if v == "*" { res.is_some() } else { etag.is_some_and(|e| etag_list(v).iter().any(|t| strong_eq(t, e))) };
        if !ok {
            return Err(DavError::precondition("If-Match did not match"));
        }
    } else if let Some(v) = headers.get(IF_UNMODIFIED_SINCE) {
        // Ignored when the date is invalid (RFC 9110 §13.1.4).
        if let (Some(res), Some(date)) = (res, v.to_str().ok().and_then(|s| httpdate::parse_http_date(s).ok())) {
            let secs = |t: std::time::SystemTime| t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            if secs(res.modified) > secs(date) {
                return Err(DavError::precondition("the resource was modified since If-Unmodified-Since"));
            }
        }
    }
    if let Some(v) = headers.get(IF_NONE_MATCH) {
        let v = v.to_str().unwrap_or("").trim();
        let matched = if v == "*" { res.is_some() } else { etag.is_some_and(|e| etag_list(v).iter().any(|t| weak_eq(t, e))) };
        if matched {
            return Err(DavError::precondition("If-None-Match matched"));
        }
    }
    Ok(())
}

/// May the request's user use this lock's token? (RFC 4918 §6.4: a token is bound to the
/// principal that created the lock.)
fn usable(lock: &LockInfo, user: Option<&str>) -> bool {
    match &lock.principal {
        Some(p) => user == Some(p.as_str()),
        None => true,
    }
}

/// State of a resource named by an `If` tag.
struct TagState {
    relative: Option<String>,
    etag: Option<String>,
}

/// Evaluates the `If` header (412 when it is false) and returns the submitted lock tokens
/// that this user may use.
pub fn evaluate_if(dav: &Inner, cx: &Cx<'_>, res: Option<&Resource>) -> Result<Vec<String>, DavError> {
    let Some(value) = cx.headers.get("if") else { return Ok(Vec::new()) };
    let value = value.to_str().map_err(|_| DavError::bad_request("If header is not ASCII"))?;
    let header = IfHeader::parse(value).map_err(|e| DavError::bad_request(e.to_string()))?;
    let mut tags: HashMap<String, TagState> = HashMap::new();
    for list in &header.lists {
        let Some(tag) = &list.tag else { continue };
        if tags.contains_key(tag) {
            continue;
        }
        let state = match locate(tag, &cx.prefix, cx.scheme_authority)? {
            Target::Local(p) => match dav.root.resolve(&p) {
                Ok(r) => {
                    let etag = dav.root.contain(&r).ok().and_then(|real| Resource::stat(&r.relative, &real).ok()).and_then(|x| x.etag);
                    TagState { relative: Some(r.relative), etag }
                }
                Err(_) => TagState { relative: None, etag: None },
            },
            Target::Elsewhere => TagState { relative: None, etag: None },
        };
        tags.insert(tag.clone(), state);
    }
    let own = TagState { relative: Some(cx.target.relative.clone()), etag: res.and_then(|r| r.etag.clone()) };
    let ok = header.evaluate(|tag, cond| {
        let state = match tag {
            Some(t) => match tags.get(t) {
                Some(s) => s,
                None => return false,
            },
            None => &own,
        };
        match cond {
            IfCondition::Token { token, .. } => match (&state.relative, dav.locks.get(token)) {
                (Some(rel), Some(lock)) => lock.covers(rel) && usable(&lock, cx.user),
                _ => false,
            },
            IfCondition::ETag { etag, .. } => state.etag.as_deref().is_some_and(|e| strong_eq(e, etag)),
        }
    });
    if !ok {
        return Err(DavError::precondition("the If header evaluated to false"));
    }
    Ok(header
        .tokens()
        .filter(|t| dav.locks.get(t).is_some_and(|l| usable(&l, cx.user)))
        .map(str::to_owned)
        .collect())
}

/// What a request changes, for lock checks.
#[derive(Debug, Clone, Copy)]
pub enum LockCheck<'p> {
    /// The resource itself (its content or properties), or the membership of a collection.
    Resource(&'p str),
    /// The resource and everything below it (DELETE, MOVE source, overwritten destination).
    Tree(&'p str),
}

/// Locks that apply to `checks` but whose token is missing (RFC 4918 §7). An exclusive
/// lock needs its own token; where only shared locks apply, one of their tokens suffices.
pub fn missing_tokens(dav: &Inner, tokens: &[String], checks: &[LockCheck<'_>]) -> Vec<LockInfo> {
    let mut missing: Vec<LockInfo> = Vec::new();
    for check in checks {
        let (path, applicable) = match check {
            LockCheck::Resource(p) => (*p, dav.locks.covering(p)),
            LockCheck::Tree(p) => {
                let mut v = dav.locks.covering(p);
                for l in dav.locks.rooted_within(p) {
                    if !v.iter().any(|x| x.token == l.token) {
                        v.push(l);
                    }
                }
                (*p, v)
            }
        };
        let submitted = |l: &LockInfo| tokens.contains(&l.token);
        let exclusive_missing = applicable.iter().filter(|l| l.scope == LockScope::Exclusive && !submitted(l));
        for l in exclusive_missing {
            if !missing.iter().any(|m| m.token == l.token) {
                missing.push(l.clone());
            }
        }
        // Shared locks, grouped by the resource they protect: covering locks protect `path`,
        // each lock rooted below protects its own root.
        let shared: Vec<&LockInfo> = applicable.iter().filter(|l| l.scope == LockScope::Shared).collect();
        let mut groups: Vec<(String, Vec<&LockInfo>)> = Vec::new();
        for l in shared {
            let key = if l.covers(path) { path.to_owned() } else { l.root.clone() };
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, g)) => g.push(l),
                None => groups.push((key, vec![l])),
            }
        }
        for (_, group) in groups {
            if !group.iter().any(|l| submitted(l)) {
                for l in group {
                    if !missing.iter().any(|m| m.token == l.token) {
                        missing.push(l.clone());
                    }
                }
            }
        }
    }
    missing
}

/// 423 with `lock-token-submitted` naming the lock roots, when tokens are missing.
pub fn check_locks(dav: &Inner, cx: &Cx<'_>, tokens: &[String], checks: &[LockCheck<'_>]) -> Result<(), DavError> {
    let missing = missing_tokens(dav, tokens, checks);
    if missing.is_empty() {
        return Ok(());
    }
    let mut hrefs: Vec<String> = missing.iter().map(|l| href(&cx.prefix, &l.root, l.root_is_collection)).collect();
    hrefs.sort();
    hrefs.dedup();
    Err(DavError::new(StatusCode::LOCKED, "the resource is locked and no lock token was submitted")
        .with(Condition::LockTokenSubmitted(hrefs)))
}

/// All three checks in order; returns the usable submitted tokens.
pub fn preconditions(
    dav: &Inner,
    cx: &Cx<'_>,
    res: Option<&Resource>,
    checks: &[LockCheck<'_>],
) -> Result<Vec<String>, DavError> {
    http_conditions(cx.headers, res)?;
    let tokens = evaluate_if(dav, cx, res)?;
    check_locks(dav, cx, &tokens, checks)?;
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_comparisons() {
        assert!(strong_eq("\"a\"", "\"a\""));
        assert!(!strong_eq("W/\"a\"", "\"a\""));
        assert!(weak_eq("W/\"a\"", "\"a\""));
        assert_eq!(etag_list("\"a\", \"b\""), ["\"a\"", "\"b\""]);
    }
}
