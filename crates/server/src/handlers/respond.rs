//! `respond`: a fixed status, body and header fields, like Caddy's `respond`.

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{Request, Response};
use methodical_policy::{MethodSet, RouteMethods};

use crate::body::{Body, RequestBody};
use crate::config::RespondConfig;
use crate::error::HttpError;

/// Answers the configured methods with the configured response.
#[derive(Debug)]
pub struct RespondHandler {
    config: RespondConfig,
    body: Bytes,
    methods: Option<MethodSet>,
    allowed: MethodSet,
    max_body: u64,
}

impl RespondHandler {
    /// Builds the handler.
    pub fn new(config: RespondConfig, max_body: u64) -> RespondHandler {
        let methods = config.methods.as_ref().map(|m| m.iter().cloned().collect::<MethodSet>().as_allow());
        let allowed = methods.clone().unwrap_or_default();
        RespondHandler { body: Bytes::from(config.body.clone()), config, methods, allowed, max_body }
    }

    /// What the route implements: the listed methods, or every method.
    pub fn route_methods(&self) -> RouteMethods {
        match &self.methods {
            Some(m) => RouteMethods::origin(m.clone()),
            None => RouteMethods::origin_any(),
        }
    }

    /// Methods allowed: the same on every resource of the route.
    pub fn allowed(&self) -> &MethodSet {
        &self.allowed
    }

    /// Answers. Content sent with the request is read (so the connection stays usable) and
    /// ignored.
    pub async fn handle(&self, req: Request<RequestBody>) -> Result<Response<Body>, HttpError> {
        let body = req.into_body();
        if body.has_content() {
            body.collect_limited(self.max_body).await?;
        }
        let mut resp = Response::new(Body::from(self.body.clone()));
        *resp.status_mut() = self.config.status;
        let headers = resp.headers_mut();
        for (name, value) in &self.config.headers {
            headers.append(name.clone(), value.clone());
        }
        if let Some(r) = &self.config.retry_after {
            headers.insert(RETRY_AFTER, r.to_header_value());
        }
        // HEAD gets the same header fields as GET (M-11); the body is dropped when sent.
        Ok(resp)
    }
}
