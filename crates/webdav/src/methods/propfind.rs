//! PROPFIND (RFC 4918 §9.1, D-4).

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};

use super::{blocking, stat, Cx, Depth};
use crate::body::{read_limited, MAX_XML_BODY};
use crate::error::{xml_response, Condition, DavError};
use crate::props::{dead, write_response, PropEnv, PropName, PropRequest};
use crate::resource::{list_members, walk, Resource};
use crate::xml::{parse, Element, XmlWriter, DAV};
use crate::Inner;

/// Most resources a PROPFIND Depth: infinity lists (when it is allowed at all).
const MAX_INFINITY_RESULTS: usize = 100_000;

/// Reads a `propfind` body. Unknown children are ignored (RFC 4918 §17).
pub fn parse_propfind(el: &Element) -> Result<PropRequest, DavError> {
    if !el.is(DAV, "propfind") {
        return Err(DavError::bad_request("the body must be a DAV:propfind element"));
    }
    let mut request: Option<PropRequest> = None;
    let mut include = Vec::new();
    for child in el.elements().filter(|e| e.ns == DAV) {
        let next = match child.name.as_str() {
            "prop" => PropRequest::Props(child.elements().map(PropName::of).collect()),
            "propname" => PropRequest::PropName,
            "allprop" => PropRequest::AllProp(Vec::new()),
            "include" => {
                include.extend(child.elements().map(PropName::of));
                continue;
            }
            _ => continue,
        };
        if request.is_some() {
            return Err(DavError::bad_request("propfind must contain exactly one of prop, propname, allprop"));
        }
        request = Some(next);
    }
    match request {
        Some(PropRequest::AllProp(_)) => Ok(PropRequest::AllProp(include)),
        Some(r) => Ok(r),
        None => Err(DavError::bad_request("propfind must contain prop, propname or allprop")),
    }
}

/// Writes the responses for `resources` into a multistatus body (blocking: reads dead
/// property stores).
pub fn multistatus(dav: &Inner, prefix: &str, resources: &[Resource], request: &PropRequest) -> Bytes {
    let env = PropEnv { prefix, search: dav.cfg.search };
    let mut w = XmlWriter::new();
    w.start(DAV, "multistatus");
    for res in resources {
        let dead_props = if request.needs_dead() && res.has_dead != Some(false) {
            dead::load(&res.path, res.is_dir).unwrap_or_default()
        } else {
            Vec::new()
        };
        let locks = if request.needs_locks() { dav.locks.covering(&res.relative) } else { Vec::new() };
        write_response(&mut w, res, &dead_props, &locks, request, &env);
    }
    w.end();
    w.finish()
}

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    // A missing Depth means infinity (RFC 4918 §9.1).
    let depth = cx.depth()?.unwrap_or(Depth::Infinity);
    let bytes = read_limited(&mut body, cx.headers, MAX_XML_BODY).await?;
    let request = if bytes.iter().all(u8::is_ascii_whitespace) {
        PropRequest::AllProp(Vec::new())
    } else {
        parse_propfind(&parse(&bytes)?)?
    };
    if depth == Depth::Infinity && !dav.cfg.allow_depth_infinity {
        return Err(DavError::new(StatusCode::FORBIDDEN, "Depth: infinity is not allowed")
            .with(Condition::PropfindFiniteDepth));
    }
    let res = stat(dav, &cx.target)?.ok_or_else(DavError::not_found)?;
    let dav2 = Arc::clone(dav);
    let prefix = cx.prefix.clone();
    let body = blocking(move || -> Result<Bytes, DavError> {
        let root = dav2.root.dir();
        let mut all = Vec::new();
        let members = if res.is_dir {
            match depth {
                Depth::Zero => Vec::new(),
                Depth::One => list_members(root, &res.path, &res.relative).map_err(|e| DavError::io(&e))?,
                Depth::Infinity => walk(root, &res, MAX_INFINITY_RESULTS).map_err(|e| DavError::io(&e))?,
            }
        } else {
            Vec::new()
        };
        all.push(res);
        all.extend(members);
        Ok(multistatus(&dav2, &prefix, &all, &request))
    })
    .await??;
    Ok(xml_response(StatusCode::MULTI_STATUS, body))
}
