//! PUT (RFC 9110 §9.3.4, RFC 4918 §9.7): streamed into an `AtomicFile`, so the old content
//! stays until the new one is complete and durable.

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;
use methodical_fs::{AtomicFile, Validators};
use tokio::sync::mpsc;

use super::{new_path, parent_of, stat, Cx};
use crate::body::content_length;
use crate::cond::{preconditions, LockCheck};
use crate::error::{empty_response, DavError};
use crate::props::dead;
use crate::Inner;

/// What the request task hands the writer thread.
enum Chunk {
    Data(Bytes),
    /// The body is complete: commit.
    End,
}

fn too_large() -> DavError {
    DavError::new(StatusCode::PAYLOAD_TOO_LARGE, "the upload is larger than this route accepts")
}

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    if cx.headers.contains_key(header::CONTENT_RANGE) {
        // RFC 9110 §14.5: partial PUT is refused with 400.
        return Err(DavError::bad_request("Content-Range is not supported on PUT"));
    }
    let existing = stat(dav, &cx.target)?;
    if existing.as_ref().is_some_and(|r| r.is_dir) {
        return Err(DavError::new(StatusCode::METHOD_NOT_ALLOWED, "PUT cannot replace a collection"));
    }
    if existing.is_none() && cx.target.trailing_slash {
        return Err(DavError::new(StatusCode::CONFLICT, "a URL ending in '/' names a collection; use MKCOL"));
    }
    let final_path = new_path(dav, &cx.target)?;
    let rel = cx.target.relative.clone();
    let mut checks = vec![LockCheck::Resource(&rel)];
    if existing.is_none() {
        checks.push(LockCheck::Resource(parent_of(&rel).unwrap_or("")));
    }
    preconditions(dav, cx, existing.as_ref(), &checks)?;
    let limit = dav.cfg.max_upload;
    if content_length(cx.headers).is_some_and(|n| n > limit) {
        return Err(too_large());
    }

    let (tx, mut rx) = mpsc::channel::<Chunk>(16);
    let target = final_path.clone();
    let is_new = existing.is_none();
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<Option<Validators>> {
        let mut file = AtomicFile::create(&target)?;
        while let Some(chunk) = rx.blocking_recv() {
            match chunk {
                Chunk::Data(b) => file.file().write_all(&b)?,
                Chunk::End => {
                    file.commit()?;
                    if is_new {
                        dead::remove_file_store(&target)?;
                    }
                    let meta = std::fs::metadata(&target)?;
                    return Ok(Some(Validators::from_metadata(&meta)));
                }
            }
        }
        // The sender went away without End: the upload failed; dropping `file` removes
        // the temporary and leaves the old content.
        Ok(None)
    });

    let mut received: u64 = 0;
    let mut failure: Option<DavError> = None;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                failure = Some(DavError::bad_request(format!("could not read the request body: {e}")));
                break;
            }
        };
        let Ok(data) = frame.into_data() else { continue };
        received += data.len() as u64;
        if received > limit {
            failure = Some(too_large());
            break;
        }
        if tx.send(Chunk::Data(data)).await.is_err() {
            // The writer stopped (an I/O error): its result says why.
            break;
        }
    }
    if failure.is_none() {
        let _ = tx.send(Chunk::End).await;
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|_| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, "the upload task failed"))?
        .map_err(|e| DavError::io(&e))?;
    if let Some(f) = failure {
        return Err(f);
    }
    let validators = written.ok_or_else(|| DavError::new(StatusCode::INTERNAL_SERVER_ERROR, "the upload was not stored"))?;
    let mut res = empty_response(if is_new { StatusCode::CREATED } else { StatusCode::NO_CONTENT });
    if let Ok(v) = HeaderValue::from_str(&validators.etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}
