//! Reading request bodies: XML bodies into memory (bounded), and the check for bodies a
//! method would ignore (RFC 4918 §8.4).

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;

use crate::error::DavError;

/// Largest XML request body read into memory (PROPFIND, PROPPATCH, LOCK, SEARCH).
pub const MAX_XML_BODY: usize = 1 << 20;

/// The declared `Content-Length`, if any and valid.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(http::header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

fn body_error(e: impl std::fmt::Display) -> DavError {
    DavError::bad_request(format!("could not read the request body: {e}"))
}

fn too_large() -> DavError {
    DavError::new(StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large")
}

/// Reads the whole body, refusing more than `limit` octets with 413.
pub async fn read_limited<B>(body: &mut B, headers: &HeaderMap, limit: usize) -> Result<Bytes, DavError>
where
    B: Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(body_error)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Fails with 415 when the request carries a non-empty body (RFC 4918 §8.4: a body that would
/// be ignored must be refused). Only the first data frames are read.
pub async fn refuse_body<B>(body: &mut B, headers: &HeaderMap) -> Result<(), DavError>
where
    B: Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    if content_length(headers).is_some_and(|n| n > 0) {
        return Err(DavError::unexpected_body());
    }
    if body.is_end_stream() {
        return Ok(());
    }
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(body_error)?;
        if let Ok(data) = frame.into_data() {
            if !data.is_empty() {
                return Err(DavError::unexpected_body());
            }
        }
    }
    Ok(())
}
