//! MKCOL (RFC 4918 §9.3, D-6).

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};

use super::{blocking, new_path, parent_of, stat, Cx};
use crate::body::refuse_body;
use crate::cond::{preconditions, LockCheck};
use crate::error::{empty_response, DavError};
use crate::props::dead;
use crate::Inner;

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    // No MKCOL body format is supported (§9.3: 415).
    refuse_body(&mut body, cx.headers).await?;
    if stat(dav, &cx.target)?.is_some() {
        return Err(DavError::new(StatusCode::METHOD_NOT_ALLOWED, "the URL is already mapped"));
    }
    let path = new_path(dav, &cx.target)?;
    let rel = cx.target.relative.clone();
    let parent = parent_of(&rel).unwrap_or("");
    preconditions(dav, cx, None, &[LockCheck::Resource(parent), LockCheck::Resource(&rel)])?;
    blocking(move || -> std::io::Result<()> {
        std::fs::create_dir(&path)?;
        // A property store left by an earlier file of the same name must not resurface.
        dead::remove_file_store(&path)
    })
    .await?
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => DavError::new(StatusCode::METHOD_NOT_ALLOWED, "the URL is already mapped"),
        _ => DavError::io(&e),
    })?;
    Ok(empty_response(StatusCode::CREATED))
}
