//! COPY and MOVE (RFC 4918 §9.8, §9.9, D-7). Dead properties travel with the resource; locks
//! stay behind (a MOVE destroys the source's locks).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use methodical_fs::{is_internal_name, temporary_path, AtomicFile, PathError};

use super::delete::remove_all;
use super::{blocking, new_path, parent_of, stat, Cx, Depth};
use crate::body::refuse_body;
use crate::cond::{check_locks, evaluate_if, http_conditions, LockCheck};
use crate::error::{empty_response, status_line, xml_response, DavError};
use crate::href::{elsewhere, locate, Target};
use crate::locks::is_within;
use crate::props::dead;
use crate::resource::join_relative;
use crate::xml::{XmlWriter, DAV};
use crate::Inner;

/// Copies one file's content (atomically) and its dead properties.
fn copy_file(from: &Path, to: &Path) -> io::Result<()> {
    let mut src = std::fs::File::open(from)?;
    let mut out = AtomicFile::create(to)?;
    io::copy(&mut src, out.file())?;
    out.commit()?;
    dead::copy(from, to, false)
}

/// Copies a collection (Depth 0: the folder and its properties; infinity: everything).
/// Member failures are collected as (relative path, is collection, error) and do not stop
/// the copy.
fn copy_tree(from: &Path, to: &Path, rel: &str, infinity: bool, errors: &mut Vec<(String, bool, DavError)>) -> io::Result<()> {
    std::fs::create_dir(to)?;
    dead::copy(from, to, true)?;
    if !infinity {
        return Ok(());
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_internal_name(name) {
            continue;
        }
        let child_rel = join_relative(rel, name);
        let (src, dst) = (entry.path(), to.join(name));
        let is_dir = std::fs::metadata(&src).map(|m| m.is_dir()).unwrap_or(false);
        let result = if is_dir { copy_tree(&src, &dst, &child_rel, true, errors) } else { copy_file(&src, &dst) };
        if let Err(e) = result {
            errors.push((child_rel, is_dir, DavError::io(&e)));
        }
    }
    Ok(())
}

/// Moves a file with its property store. The store is hard-linked to its new name before
/// the rename and unlinked after it, so a crash at any point leaves the file with its
/// properties, at one name or the other; the store it strands is removed at the next start
/// ([`dead::remove_orphan_stores`]).
fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    let carried = dead::link_file_store(from, to)?;
    if let Err(e) = std::fs::rename(from, to) {
        let _ = dead::remove_file_store(to);
        return Err(e);
    }
    if carried {
        dead::remove_file_store(from)?;
    }
    Ok(())
}

/// Moves by renaming; across filesystems, copies then removes.
fn move_resource(from: &Path, to: &Path, is_dir: bool) -> io::Result<()> {
    let renamed = if is_dir { std::fs::rename(from, to) } else { move_file(from, to) };
    match renamed {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            let mut errors = Vec::new();
            if is_dir {
                copy_tree(from, to, "", true, &mut errors)?;
            } else {
                copy_file(from, to)?;
            }
            if let Some((_, _, e)) = errors.into_iter().next() {
                return Err(io::Error::other(e.message));
            }
            remove_all(from)
        }
        Err(e) => Err(e),
    }
}

/// Copies a collection into a temporary folder next to `to`, then renames it into place: a
/// crash leaves no half-copied collection, only a temporary the next start removes.
fn copy_collection(from: &Path, to: &Path, rel: &str, infinity: bool, errors: &mut Vec<(String, bool, DavError)>) -> io::Result<()> {
    let temp = temporary_beside(to)?;
    let built = copy_tree(from, &temp, rel, infinity, errors).and_then(|()| std::fs::rename(&temp, to));
    if built.is_err() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    built
}

/// A temporary name in the folder of `path` (same filesystem, so a rename can move it).
fn temporary_beside(path: &Path) -> io::Result<PathBuf> {
    let parent = path.parent().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no parent folder"))?;
    Ok(temporary_path(parent))
}

/// What the destination holds before a COPY or MOVE replaces it.
#[derive(Clone, Copy, PartialEq)]
enum Existing {
    Nothing,
    File,
    Collection,
}

/// Carries out a COPY or MOVE whose checks have passed. A file replacing a file is a single
/// rename (the old content stays whole until then); any other replaced destination is first
/// renamed aside to a temporary, so a crash never leaves it half-deleted. Returns the members
/// that could not be copied.
fn transfer(src: &Path, dst: &Path, src_is_dir: bool, existing: Existing, is_move: bool, rel: &str, infinity: bool) -> io::Result<Vec<(String, bool, DavError)>> {
    let mut aside = None;
    if existing == Existing::Collection || (existing == Existing::File && src_is_dir) {
        let temp = temporary_beside(dst)?;
        std::fs::rename(dst, &temp)?;
        if existing == Existing::File {
            dead::remove_file_store(dst)?;
        }
        aside = Some(temp);
    }
    let mut errors = Vec::new();
    if is_move {
        move_resource(src, dst, src_is_dir)?;
    } else if src_is_dir {
        copy_collection(src, dst, rel, infinity, &mut errors)?;
    } else {
        copy_file(src, dst)?;
    }
    if let Some(old) = aside {
        remove_all(&old)?;
    }
    Ok(errors)
}

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B, is_move: bool) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    refuse_body(&mut body, cx.headers).await?;
    let src = stat(dav, &cx.target)?.ok_or_else(DavError::not_found)?;
    let destination = cx
        .headers
        .get("destination")
        .ok_or_else(|| DavError::bad_request("Destination header missing"))?
        .to_str()
        .map_err(|_| DavError::bad_request("Destination is not ASCII"))?;
    let dst_path = match locate(destination, &cx.prefix, cx.scheme_authority)? {
        Target::Local(p) => p,
        Target::Elsewhere => return Err(elsewhere()),
    };
    let dst = dav.root.resolve(&dst_path).map_err(|e| match e {
        PathError::BadRequest(why) => DavError::bad_request(why),
        PathError::NotFound(_) => DavError::new(StatusCode::FORBIDDEN, "the destination cannot be written"),
    })?;
    let infinity = match (cx.depth()?, is_move) {
        (None | Some(Depth::Infinity), _) => true,
        (Some(Depth::Zero), false) => false,
        _ if !src.is_dir => true,
        _ => {
            return Err(DavError::bad_request(if is_move {
                "MOVE of a collection acts as Depth: infinity"
            } else {
                "COPY takes Depth 0 or infinity"
            }))
        }
    };
    let overwrite = cx.overwrite()?;
    if src.relative == dst.relative {
        return Err(DavError::new(StatusCode::FORBIDDEN, "source and destination are the same resource"));
    }
    if src.relative.is_empty() && is_move {
        return Err(DavError::new(StatusCode::FORBIDDEN, "the root of the route cannot be moved"));
    }
    if dst.relative.is_empty() {
        return Err(DavError::new(StatusCode::FORBIDDEN, "the root of the route cannot be overwritten"));
    }
    if src.is_dir && is_within(&dst.relative, &src.relative) {
        return Err(DavError::new(StatusCode::FORBIDDEN, "a collection cannot be copied or moved into itself"));
    }
    if is_within(&src.relative, &dst.relative) {
        return Err(DavError::new(StatusCode::FORBIDDEN, "the destination contains the source"));
    }
    let dst_target = new_path(dav, &dst)?;
    let dst_existing = stat(dav, &dst)?;
    if dst_existing.is_some() && !overwrite {
        return Err(DavError::precondition("the destination exists and Overwrite is F"));
    }

    // Conditionals apply to the source (the request URI); locks to both ends.
    http_conditions(cx.headers, Some(&src))?;
    let tokens = evaluate_if(dav, cx, Some(&src))?;
    let dst_parent = parent_of(&dst.relative).unwrap_or("");
    let mut checks = vec![LockCheck::Resource(dst_parent), LockCheck::Tree(&dst.relative)];
    if is_move {
        checks.push(LockCheck::Resource(parent_of(&src.relative).unwrap_or("")));
        checks.push(LockCheck::Tree(&src.relative));
    }
    check_locks(dav, cx, &tokens, &checks)?;

    let existed = dst_existing.is_some();
    let src_path = cx.target.path.clone();
    let src_is_dir = src.is_dir;
    let dst_rel = dst.relative.clone();
    let existing = match &dst_existing {
        None => Existing::Nothing,
        Some(r) if r.is_dir => Existing::Collection,
        Some(_) => Existing::File,
    };
    let errors = blocking(move || transfer(&src_path, &dst_target, src_is_dir, existing, is_move, &dst_rel, infinity))
        .await?
        .map_err(|e| DavError::io(&e))?;
    if is_move {
        dav.locks.remove_within(&src.relative);
    }
    if errors.is_empty() {
        return Ok(empty_response(if existed { StatusCode::NO_CONTENT } else { StatusCode::CREATED }));
    }
    let mut w = XmlWriter::new();
    w.start(DAV, "multistatus");
    for (rel, is_dir, e) in errors {
        w.start(DAV, "response");
        w.text_element(DAV, "href", &cx.href(&rel, is_dir));
        w.text_element(DAV, "status", &status_line(e.status));
        w.end();
    }
    w.end();
    Ok(xml_response(StatusCode::MULTI_STATUS, w.finish()))
}
