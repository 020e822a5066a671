//! `PURGE` on routes with `purge = { allow = [...] }`: drops every stored response for the
//! target URI. 200 when something was stored, 404 when nothing was, 403 from addresses
//! outside `allow`.

use std::sync::Arc;

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{request, Response};
use methodical_cache::Cache;

use crate::body::Body;
use crate::config::Cidr;
use crate::connection::ConnInfo;
use crate::error::HttpError;

/// Answers a PURGE request.
pub async fn purge(cache: Option<&Cache>, allow: &[Cidr], client: &request::Parts) -> Result<Response<Body>, HttpError> {
    let peer = client.extensions.get::<Arc<ConnInfo>>().map(|c| c.peer.ip());
    if !peer.is_some_and(|ip| allow.iter().any(|net| net.contains(ip))) {
        return Err(HttpError::Forbidden("PURGE is not allowed from this address.".into()));
    }
    let Some(cache) = cache else { return Err(HttpError::NotFound) };
    let Some(key) = cache.key_for(client) else {
        return Err(HttpError::BadRequest("The PURGE request names no host, so it names no cached URI.".into()));
    };
    if !cache.purge(&key).await {
        return Err(HttpError::NotFound);
    }
    let mut resp = Response::new(Body::from(format!("Purged {key}\n")));
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    Ok(resp)
}
