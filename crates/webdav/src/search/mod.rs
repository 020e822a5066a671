//! SEARCH (RFC 5323) with the `DAV:basicsearch` grammar (S-1…S-5).

mod eval;
mod parse;

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};

pub use parse::{parse_query, Query};

use crate::body::{read_limited, MAX_XML_BODY};
use crate::error::{status_line, xml_response, Condition, DavError};
use crate::href::{locate, Target};
use crate::methods::{blocking, Cx, Depth};
use crate::props::{dead, write_response, PropEnv};
use crate::resource::{list_members, walk, Resource};
use crate::xml::{parse as parse_xml, Element, XmlWriter, DAV};
use crate::Inner;

/// Most resources one SEARCH examines; beyond that the result is truncated and says so with
/// a 507 response for the search arbiter (RFC 5323 §2.3.1).
pub const MAX_EXAMINED: usize = 200_000;

fn invalid_scope(msg: &str) -> DavError {
    DavError::new(StatusCode::CONFLICT, msg.to_owned()).with(Condition::SearchScopeValid)
}

/// Turns a scope href into a resolved local path (relative references are resolved against
/// the request URI).
fn scope_target(dav: &Inner, cx: &Cx<'_>, href: &str) -> Result<methodical_fs::Resolved, DavError> {
    let absolute = if href.starts_with('/') || href.contains("://") {
        href.to_owned()
    } else {
        format!("{}{}", cx.href(&cx.target.relative, true), href)
    };
    let local = match locate(&absolute, &cx.prefix, cx.scheme_authority) {
        Ok(Target::Local(p)) => p,
        _ => return Err(invalid_scope("the search scope is not inside this WebDAV route")),
    };
    dav.root.resolve(&local).map_err(|_| invalid_scope("the search scope is not a valid URL"))
}

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    let bytes = read_limited(&mut body, cx.headers, MAX_XML_BODY).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DavError::bad_request("SEARCH needs a DAV:searchrequest body"));
    }
    let query = parse_query(&parse_xml(&bytes)?)?;
    let mut starts = Vec::new();
    for scope in &query.scopes {
        let resolved = scope_target(dav, cx, &scope.href)?;
        let res = crate::methods::stat(dav, &resolved)?.ok_or_else(|| invalid_scope("the search scope does not exist"))?;
        starts.push((res, scope.depth));
    }
    let dav2 = Arc::clone(dav);
    let prefix = cx.prefix.clone();
    let arbiter = cx.href(&cx.target.relative, true);
    let body = blocking(move || run(&dav2, &prefix, &arbiter, &query, starts)).await??;
    Ok(xml_response(StatusCode::MULTI_STATUS, body))
}

/// Collects the candidates, filters, orders, limits and writes the multistatus (blocking).
pub fn run(dav: &Inner, prefix: &str, arbiter: &str, query: &Query, starts: Vec<(Resource, Depth)>) -> Result<Bytes, DavError> {
    let root = dav.root.dir();
    let mut seen = HashSet::new();
    let mut candidates: Vec<Resource> = Vec::new();
    let mut truncated = false;
    for (start, depth) in starts {
        let members = match (start.is_dir, depth) {
            (false, _) | (_, Depth::Zero) => Vec::new(),
            (true, Depth::One) => list_members(root, &start.path, &start.relative).map_err(|e| DavError::io(&e))?,
            (true, Depth::Infinity) => {
                let v = walk(root, &start, MAX_EXAMINED).map_err(|e| DavError::io(&e))?;
                truncated |= v.len() >= MAX_EXAMINED;
                v
            }
        };
        for r in std::iter::once(start).chain(members) {
            if seen.insert(r.relative.clone()) {
                candidates.push(r);
            }
        }
    }
    let env = PropEnv { prefix, search: dav.cfg.search };
    let need_dead_eval = eval::needs_dead(query.filter.as_ref(), &query.order);
    let load = |r: &Resource| -> Vec<Element> {
        if r.has_dead == Some(false) {
            Vec::new()
        } else {
            dead::load(&r.path, r.is_dir).unwrap_or_default()
        }
    };
    let mut matched: Vec<(Resource, Vec<Element>)> = Vec::new();
    for r in candidates {
        let dead_props = if need_dead_eval { load(&r) } else { Vec::new() };
        let keep = match &query.filter {
            None => true,
            Some(f) => eval::eval(f, &eval::Candidate { res: &r, dead: &dead_props }, &env) == Some(true),
        };
        if keep {
            matched.push((r, dead_props));
        }
    }
    matched.sort_by(|(a, da), (b, db)| {
        eval::order(&query.order, &eval::Candidate { res: a, dead: da }, &eval::Candidate { res: b, dead: db })
    });
    if let Some(n) = query.limit {
        matched.truncate(n);
    }
    let mut w = XmlWriter::new();
    w.start(DAV, "multistatus");
    let need_dead_out = query.select.needs_dead();
    for (r, mut dead_props) in matched {
        if need_dead_out && !need_dead_eval {
            dead_props = load(&r);
        }
        let locks = if query.select.needs_locks() { dav.locks.covering(&r.relative) } else { Vec::new() };
        write_response(&mut w, &r, &dead_props, &locks, &query.select, &env);
    }
    if truncated {
        w.start(DAV, "response");
        w.text_element(DAV, "href", arbiter);
        w.text_element(DAV, "status", &status_line(StatusCode::INSUFFICIENT_STORAGE));
        w.text_element(DAV, "responsedescription", "the search examined the most resources it may; results are truncated");
        w.end();
    }
    w.end();
    Ok(w.finish())
}
