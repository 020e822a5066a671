//! LOCK and UNLOCK (RFC 4918 §9.10, §9.11, D-8, D-9).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use super::{blocking, new_path, parent_of, stat, Cx, Depth};
use crate::body::{read_limited, refuse_body, MAX_XML_BODY};
use crate::cond::{check_locks, evaluate_if, http_conditions, LockCheck};
use crate::error::{empty_response, xml_response, Condition, DavError};
use crate::locks::{LockDepth, LockInfo, LockScope};
use crate::props::{dead, write_lockdiscovery};
use crate::xml::{parse, Element, XmlWriter, DAV};
use crate::{Inner, DEFAULT_LOCK_TIMEOUT, MAX_LOCK_TIMEOUT};

/// The `Timeout` header (RFC 4918 §10.7): the first usable `Second-n` or `Infinite`, capped at
/// [`MAX_LOCK_TIMEOUT`]; absent or unusable → [`DEFAULT_LOCK_TIMEOUT`]. The server never
/// grants an infinite lock: the cap applies to `Infinite` too.
pub fn parse_timeout(value: Option<&str>) -> Duration {
    let Some(value) = value else { return DEFAULT_LOCK_TIMEOUT };
    for item in value.split(',').map(str::trim) {
        if item.eq_ignore_ascii_case("infinite") {
            return MAX_LOCK_TIMEOUT;
        }
        if item.len() > 7 && item[..7].eq_ignore_ascii_case("second-") {
            if let Ok(n) = item[7..].parse::<u64>() {
                return Duration::from_secs(n).min(MAX_LOCK_TIMEOUT);
            }
        }
    }
    DEFAULT_LOCK_TIMEOUT
}

/// What a `lockinfo` body asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    /// Exclusive or shared.
    pub scope: LockScope,
    /// The `owner` element, kept as sent.
    pub owner: Option<Element>,
}

/// Reads a `lockinfo` body (RFC 4918 §14.11): lockscope and locktype (write) are required.
pub fn parse_lockinfo(el: &Element) -> Result<LockRequest, DavError> {
    if !el.is(DAV, "lockinfo") {
        return Err(DavError::bad_request("the body must be a DAV:lockinfo element"));
    }
    let scope_el = el.child(DAV, "lockscope").ok_or_else(|| DavError::bad_request("lockinfo needs a lockscope"))?;
    let scope = if scope_el.child(DAV, "exclusive").is_some() {
        LockScope::Exclusive
    } else if scope_el.child(DAV, "shared").is_some() {
        LockScope::Shared
    } else {
        return Err(DavError::bad_request("lockscope must be exclusive or shared"));
    };
    let type_el = el.child(DAV, "locktype").ok_or_else(|| DavError::bad_request("lockinfo needs a locktype"))?;
    if type_el.child(DAV, "write").is_none() {
        return Err(DavError::bad_request("only write locks exist"));
    }
    Ok(LockRequest { scope, owner: el.child(DAV, "owner").cloned() })
}

fn lock_body(lock: &LockInfo, prefix: &str) -> Bytes {
    let mut w = XmlWriter::new();
    w.start(DAV, "prop");
    write_lockdiscovery(&mut w, std::slice::from_ref(lock), prefix);
    w.end();
    w.finish()
}

pub async fn lock<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    let bytes = read_limited(&mut body, cx.headers, MAX_XML_BODY).await?;
    let timeout = parse_timeout(cx.headers.get("timeout").and_then(|v| v.to_str().ok()));
    let existing = stat(dav, &cx.target)?;
    let rel = cx.target.relative.clone();

    if bytes.iter().all(u8::is_ascii_whitespace) {
        // Refresh (§9.10.2): no body, the lock named in If.
        if !cx.headers.contains_key("if") {
            return Err(DavError::bad_request("a LOCK without body refreshes a lock named in the If header"));
        }
        http_conditions(cx.headers, existing.as_ref())?;
        let tokens = evaluate_if(dav, cx, existing.as_ref())?;
        let lock = tokens
            .iter()
            .filter_map(|t| dav.locks.get(t))
            .find(|l| l.covers(&rel))
            .ok_or_else(|| {
                DavError::precondition("no submitted lock token applies to this resource")
                    .with(Condition::LockTokenMatchesRequestUri)
            })?;
        let refreshed = dav.locks.refresh(&lock.token, Some(timeout)).ok_or_else(|| DavError::precondition("the lock expired"))?;
        return Ok(xml_response(StatusCode::OK, lock_body(&refreshed, &cx.prefix)));
    }

    let request = parse_lockinfo(&parse(&bytes)?)?;
    let depth = match cx.depth()? {
        None | Some(Depth::Infinity) => LockDepth::Infinity,
        Some(Depth::Zero) => LockDepth::Zero,
        Some(Depth::One) => return Err(DavError::bad_request("LOCK takes Depth 0 or infinity")),
    };
    let new_file = match &existing {
        Some(_) => None,
        None => Some(new_path(dav, &cx.target)?),
    };
    http_conditions(cx.headers, existing.as_ref())?;
    let tokens = evaluate_if(dav, cx, existing.as_ref())?;
    if new_file.is_some() {
        // Creating the empty resource adds a member to the parent collection.
        check_locks(dav, cx, &tokens, &[LockCheck::Resource(parent_of(&rel).unwrap_or(""))])?;
    }
    let info = LockInfo {
        token: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        root: rel.clone(),
        root_is_collection: existing.as_ref().is_some_and(|r| r.is_dir),
        depth,
        scope: request.scope,
        owner: request.owner,
        principal: cx.user.map(str::to_owned),
        timeout: Some(timeout),
        expires: Some(SystemTime::now() + timeout),
    };
    let lock = dav.locks.create(info).map_err(|conflicts| {
        let mut hrefs: Vec<String> = conflicts.iter().map(|l| cx.href(&l.root, l.root_is_collection)).collect();
        hrefs.sort();
        hrefs.dedup();
        DavError::new(StatusCode::LOCKED, "a conflicting lock exists").with(Condition::NoConflictingLock(hrefs))
    })?;
    let mut status = StatusCode::OK;
    if let Some(path) = new_file {
        // A LOCK on an unmapped URL creates an empty resource (RFC 4918 §7.3).
        let created = blocking(move || -> std::io::Result<()> {
            std::fs::File::options().write(true).create_new(true).open(&path)?;
            dead::remove_file_store(&path)
        })
        .await?;
        if let Err(e) = created {
            dav.locks.remove(&lock.token);
            return Err(DavError::io(&e));
        }
        status = StatusCode::CREATED;
    }
    let mut res = xml_response(status, lock_body(&lock, &cx.prefix));
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", lock.token)) {
        res.headers_mut().insert("lock-token", v);
    }
    Ok(res)
}

pub async fn unlock<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    refuse_body(&mut body, cx.headers).await?;
    let token = cx
        .headers
        .get("lock-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .and_then(|v| v.strip_prefix('<')?.strip_suffix('>'))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| DavError::bad_request("UNLOCK needs a Lock-Token header: <token>"))?;
    let mismatch = || {
        DavError::new(StatusCode::CONFLICT, "the lock token does not apply to this resource")
            .with(Condition::LockTokenMatchesRequestUri)
    };
    let lock = dav.locks.get(token).ok_or_else(mismatch)?;
    if !lock.covers(&cx.target.relative) {
        return Err(mismatch());
    }
    if lock.principal.as_deref().is_some_and(|p| cx.user != Some(p)) {
        return Err(DavError::new(StatusCode::FORBIDDEN, "the lock belongs to another user"));
    }
    dav.locks.remove(token);
    Ok(empty_response(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d8_timeout_is_honoured_with_a_cap() {
        assert_eq!(parse_timeout(Some("Second-60")), Duration::from_secs(60));
        assert_eq!(parse_timeout(Some("Infinite, Second-4100000000")), MAX_LOCK_TIMEOUT);
        assert_eq!(parse_timeout(Some("Second-99999999999")), MAX_LOCK_TIMEOUT);
        assert_eq!(parse_timeout(Some("bogus, Second-5")), Duration::from_secs(5));
        assert_eq!(parse_timeout(None), DEFAULT_LOCK_TIMEOUT);
    }
}
