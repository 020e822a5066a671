//! DELETE (RFC 4918 §9.6, D-15): members and whole collections; locked members are kept and
//! reported in a 207, everything else goes.

use std::io;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use methodical_fs::is_internal_name;

use super::{blocking, parent_of, stat, Cx, Depth};
use crate::body::refuse_body;
use crate::cond::{missing_tokens, preconditions, LockCheck};
use crate::error::{empty_response, status_line, xml_response, DavError};
use crate::locks::is_within;
use crate::props::dead;
use crate::resource::join_relative;
use crate::xml::{XmlWriter, DAV};
use crate::Inner;

/// Removes a file or folder with its property store.
pub fn remove_all(path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)?;
        dead::remove_file_store(path)
    }
}

/// Removes what is not locked below `path`; returns whether `path` itself was removed.
fn remove_except(path: &Path, rel: &str, keep: &[String]) -> io::Result<bool> {
    if !keep.iter().any(|k| is_within(k, rel)) {
        remove_all(path)?;
        return Ok(true);
    }
    if keep.iter().any(|k| k == rel) {
        return Ok(false);
    }
    let mut all = true;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            all = false;
            continue;
        };
        if is_internal_name(name) {
            continue;
        }
        if !remove_except(&entry.path(), &join_relative(rel, name), keep)? {
            all = false;
        }
    }
    if all {
        std::fs::remove_dir_all(path)?;
    }
    Ok(all)
}

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    refuse_body(&mut body, cx.headers).await?;
    let res = stat(dav, &cx.target)?.ok_or_else(DavError::not_found)?;
    if res.is_dir && !matches!(cx.depth()?, None | Some(Depth::Infinity)) {
        return Err(DavError::bad_request("DELETE on a collection acts as Depth: infinity"));
    }
    if res.relative.is_empty() {
        return Err(DavError::new(StatusCode::FORBIDDEN, "the root of the route cannot be deleted"));
    }
    let rel = res.relative.clone();
    let parent = parent_of(&rel).unwrap_or("");
    let tokens = preconditions(dav, cx, Some(&res), &[LockCheck::Resource(parent), LockCheck::Resource(&rel)])?;
    // Locks rooted below whose tokens are missing: those members stay (207 + 423).
    let keep: Vec<String> = missing_tokens(dav, &tokens, &[LockCheck::Tree(&rel)]).into_iter().map(|l| l.root).collect();
    let path = cx.target.path.clone();
    let keep2 = keep.clone();
    blocking(move || remove_except(&path, &rel, &keep2)).await?.map_err(|e| DavError::io(&e))?;
    if keep.is_empty() {
        dav.locks.remove_within(&res.relative);
        return Ok(empty_response(StatusCode::NO_CONTENT));
    }
    // Locks on removed resources go; the kept members keep theirs.
    for l in dav.locks.rooted_within(&res.relative) {
        if !keep.iter().any(|k| is_within(&l.root, k)) {
            dav.locks.remove(&l.token);
        }
    }
    let mut w = XmlWriter::new();
    w.start(DAV, "multistatus");
    let mut hrefs: Vec<String> = keep
        .iter()
        .map(|k| {
            let is_dir = std::fs::metadata(dav.root.dir().join(k)).map(|m| m.is_dir()).unwrap_or(false);
            cx.href(k, is_dir)
        })
        .collect();
    hrefs.sort();
    hrefs.dedup();
    for h in hrefs {
        w.start(DAV, "response");
        w.text_element(DAV, "href", &h);
        w.text_element(DAV, "status", &status_line(StatusCode::LOCKED));
        w.start(DAV, "error");
        w.empty(DAV, "lock-token-submitted");
        w.end();
        w.end();
    }
    w.end();
    Ok(xml_response(StatusCode::MULTI_STATUS, w.finish()))
}
