//! Compressed representations of static files (`compress = true`): which codings a file
//! offers — its precompressed sidecars (`a.css.br`, `.zst`, `.gz`) or compressing it — and
//! the response for the coding chosen.
//!
//! Each coding is a representation of its own with its own strong ETag (RFC 9110 §8.8.3),
//! evaluated by the conditional requests like the identity's. Small files keep their
//! compressed variants in the file cache; larger ones are compressed as they stream.

use std::sync::Arc;

use http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED};
use http::request::Parts;
use http::{HeaderValue, Method, Response, StatusCode};
use methodical_fs::{Resolved, Root};

use super::cache::{Entry, FileCache};
use super::conditional::{self, Precondition};
use super::{body_of, stream};
use crate::body::Body;
use crate::compress::{self, Coding, Effort};
use crate::error::HttpError;

/// Where the content of one coding comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A precompressed file beside the original, served as it is.
    Sidecar(Arc<Entry>),
    /// The original, compressed by the server.
    Compress,
}

/// The codings a file is available in, by [`Coding::index`].
#[derive(Debug, Default)]
pub struct Offer {
    sources: [Option<Source>; 3],
}

impl Offer {
    /// What `entry` (the file at `relative`) offers: a sidecar that is not older than the
    /// file wins; otherwise the server compresses text-like content of at least
    /// [`compress::MIN_LENGTH`] octets.
    ///
    /// Sidecars are looked for only for the codings the client `accepts`, or all of them
    /// when the file is not compressible, since then only a sidecar makes the response vary.
    /// A coding not looked for counts as offered: that is all [`Offer::is_empty`] needs of it.
    pub async fn of(cache: &FileCache, root: &Root, relative: &str, entry: &Entry, accepts: impl Fn(Coding) -> bool) -> Offer {
        let compressible = entry.validators.len >= compress::MIN_LENGTH && compress::compressible(&entry.content_type);
        let mut offer = Offer::default();
        for coding in Coding::PREFERENCE {
            if compressible && !accepts(coding) {
                offer.sources[coding.index()] = Some(Source::Compress);
                continue;
            }
            let name = format!("{relative}{}", coding.sidecar_suffix());
            let sidecar = Resolved { path: root.dir().join(&name), relative: name, trailing_slash: false };
            let source = match cache.lookup_optional(root, &sidecar).await {
                // A sidecar older than its file was made from an earlier version.
                Some(s) if s.validators.last_modified >= entry.validators.last_modified => Some(Source::Sidecar(s)),
                _ if compressible => Some(Source::Compress),
                _ => None,
            };
            offer.sources[coding.index()] = source;
        }
        offer
    }

    /// Nothing but the identity: the response does not vary with `Accept-Encoding`.
    pub fn is_empty(&self) -> bool {
        self.sources.iter().all(Option::is_none)
    }

    /// Whether `coding` is available.
    pub fn has(&self, coding: Coding) -> bool {
        self.sources[coding.index()].is_some()
    }

    /// The source of `coding`.
    pub fn take(&mut self, coding: Coding) -> Option<Source> {
        self.sources[coding.index()].take()
    }
}

/// The response for `entry` in `coding`: preconditions evaluated against that coding's
/// validators, `Content-Encoding`, `Vary`, and the exact length whenever it is known (HEAD
/// included). Ranges never reach here: they are served on the identity.
pub async fn respond(parts: &Parts, entry: &Entry, coding: Coding, source: Source) -> Result<Response<Body>, HttpError> {
    let (tag, last_modified, last_modified_header) = match &source {
        Source::Sidecar(s) => (coding.etag(&s.validators.etag), s.validators.last_modified, s.last_modified.clone()),
        Source::Compress => (coding.etag(&entry.validators.etag), entry.validators.last_modified, entry.last_modified.clone()),
    };
    let etag = HeaderValue::from_str(&tag).map_err(|e| HttpError::Internal(e.to_string()))?;
    match conditional::evaluate(&parts.method, &parts.headers, &tag, last_modified) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            let mut resp = Response::new(Body::Empty);
            *resp.status_mut() = StatusCode::NOT_MODIFIED;
            let headers = resp.headers_mut();
            headers.insert(ETAG, etag);
            headers.insert(LAST_MODIFIED, last_modified_header);
            compress::add_vary(headers);
            return Ok(resp);
        }
        Precondition::Failed(which) => return Err(HttpError::PreconditionFailed(which)),
    }
    let head = parts.method == Method::HEAD;
    let mut resp = Response::new(Body::Empty);
    let headers = resp.headers_mut();
    headers.insert(ETAG, etag);
    headers.insert(LAST_MODIFIED, last_modified_header);
    headers.insert(CONTENT_TYPE, entry.content_type.clone());
    headers.insert(CONTENT_ENCODING, coding.header_value());
    compress::add_vary(headers);
    let body = match source {
        Source::Sidecar(s) => {
            let len = s.validators.len;
            if head {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
                Body::Empty
            } else {
                body_of(&s, 0..len)
            }
        }
        Source::Compress => match &entry.content {
            Some(content) => {
                let variant = entry.variants[coding.index()]
                    .get_or_try_init(|| compress::encode(coding, Effort::Kept, content.clone()))
                    .await?;
                if head {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(variant.len()));
                    Body::Empty
                } else {
                    Body::Full(variant.clone())
                }
            }
            // Too large to keep: compressed as it is read, so its length is not known.
            None if head => compress::unknown_length(),
            None => compress::encode_body(coding, Effort::PerResponse, stream::file_body(entry.real.clone(), 0..entry.validators.len)),
        },
    };
    *resp.body_mut() = body;
    Ok(resp)
}
