//! Properties: live ones computed from the filesystem and the lock store, dead ones kept in
//! [`dead`] stores, and the `<D:response>` writer shared by PROPFIND and SEARCH.

pub mod dead;

use http::StatusCode;

use crate::error::status_line;
use crate::locks::{LockDepth, LockInfo, LockScope};
use crate::resource::{rfc3339, Resource};
use crate::xml::{Element, XmlWriter, DAV};

/// A property name: namespace (`""` for none) and local name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropName {
    /// Namespace name.
    pub ns: String,
    /// Local name.
    pub name: String,
}

impl PropName {
    /// `{ns}name`.
    pub fn new(ns: &str, name: &str) -> PropName {
        PropName { ns: ns.to_owned(), name: name.to_owned() }
    }

    /// The name of an element.
    pub fn of(el: &Element) -> PropName {
        PropName::new(&el.ns, &el.name)
    }
}

/// The live properties methodical computes (RFC 4918 §15, RFC 5323 §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// `creationdate` (birth time where the filesystem records it, else modification time).
    CreationDate,
    /// `displayname`: the file name, unless a client stored its own (the RFC says it SHOULD
    /// NOT be protected, so a dead `DAV:displayname` overrides it).
    DisplayName,
    /// `getcontentlength` (files).
    GetContentLength,
    /// `getcontenttype` (files, from the extension).
    GetContentType,
    /// `getetag` (files): exactly the static handler's `ETag`.
    GetETag,
    /// `getlastmodified`.
    GetLastModified,
    /// `resourcetype`.
    ResourceType,
    /// `supportedlock`.
    SupportedLock,
    /// `lockdiscovery`.
    LockDiscovery,
    /// `supported-query-grammar-set` (only when SEARCH is on; not part of allprop).
    SupportedQueryGrammarSet,
}

/// Every live property, in the order PROPFIND allprop lists them.
pub const ALL_LIVE: [Live; 10] = [
    Live::CreationDate,
    Live::DisplayName,
    Live::GetContentLength,
    Live::GetContentType,
    Live::GetETag,
    Live::GetLastModified,
    Live::ResourceType,
    Live::SupportedLock,
    Live::LockDiscovery,
    Live::SupportedQueryGrammarSet,
];

impl Live {
    /// Local name in `DAV:`.
    pub fn name(self) -> &'static str {
        match self {
            Live::CreationDate => "creationdate",
            Live::DisplayName => "displayname",
            Live::GetContentLength => "getcontentlength",
            Live::GetContentType => "getcontenttype",
            Live::GetETag => "getetag",
            Live::GetLastModified => "getlastmodified",
            Live::ResourceType => "resourcetype",
            Live::SupportedLock => "supportedlock",
            Live::LockDiscovery => "lockdiscovery",
            Live::SupportedQueryGrammarSet => "supported-query-grammar-set",
        }
    }

    /// The live property called `name`, if any.
    pub fn from_name(name: &PropName) -> Option<Live> {
        if name.ns != DAV {
            return None;
        }
        ALL_LIVE.iter().copied().find(|l| l.name() == name.name)
    }

    /// Can PROPPATCH change it? Only `displayname` (stored as a dead override).
    pub fn protected(self) -> bool {
        self != Live::DisplayName
    }
}

/// What a PROPFIND (or a SEARCH `select`) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropRequest {
    /// `allprop`, plus the `include`d properties.
    AllProp(Vec<PropName>),
    /// `propname`: names only.
    PropName,
    /// `prop`: these properties.
    Props(Vec<PropName>),
}

impl PropRequest {
    /// Does answering need the dead properties?
    pub fn needs_dead(&self) -> bool {
        match self {
            PropRequest::AllProp(_) | PropRequest::PropName => true,
            PropRequest::Props(names) => names.iter().any(|n| Live::from_name(n).is_none() || n.name == "displayname"),
        }
    }

    /// Does answering need the lock store?
    pub fn needs_locks(&self) -> bool {
        match self {
            PropRequest::AllProp(_) => true,
            PropRequest::PropName => false,
            PropRequest::Props(names) => names.iter().any(|n| Live::from_name(n) == Some(Live::LockDiscovery)),
        }
    }
}

/// Context for writing properties.
pub struct PropEnv<'a> {
    /// Route prefix, for hrefs.
    pub prefix: &'a str,
    /// SEARCH enabled (then `supported-query-grammar-set` exists).
    pub search: bool,
}

/// Is the live property defined on this resource?
pub fn live_defined(live: Live, res: &Resource, env: &PropEnv<'_>) -> bool {
    match live {
        Live::GetContentLength | Live::GetContentType | Live::GetETag => !res.is_dir,
        Live::SupportedQueryGrammarSet => env.search,
        _ => true,
    }
}

/// The value of a live property as text (SEARCH compares these); `None` when undefined or
/// not textual.
pub fn live_text(live: Live, res: &Resource, dead: &[Element]) -> Option<String> {
    match live {
        Live::CreationDate => Some(rfc3339(res.created.unwrap_or(res.modified))),
        Live::DisplayName => Some(display_name(res, dead)),
        Live::GetContentLength if !res.is_dir => Some(res.len.to_string()),
        Live::GetContentType if !res.is_dir => Some(content_type(res)),
        Live::GetETag => res.etag.clone(),
        Live::GetLastModified => Some(httpdate::fmt_http_date(res.modified)),
        _ => None,
    }
}

/// `displayname`: a stored override, else the file name.
pub fn display_name(res: &Resource, dead: &[Element]) -> String {
    match dead.iter().find(|e| e.is(DAV, "displayname")) {
        Some(e) => e.text(),
        None => res.name().to_owned(),
    }
}

fn content_type(res: &Resource) -> String {
    mime_guess::from_path(res.name()).first_or_octet_stream().essence_str().to_owned()
}

/// Writes `<D:activelock>` for one lock.
pub fn write_activelock(w: &mut XmlWriter, lock: &LockInfo, prefix: &str) {
    w.start(DAV, "activelock");
    w.start(DAV, "locktype");
    w.empty(DAV, "write");
    w.end();
    w.start(DAV, "lockscope");
    w.empty(DAV, if lock.scope == LockScope::Exclusive { "exclusive" } else { "shared" });
    w.end();
    w.text_element(DAV, "depth", if lock.depth == LockDepth::Infinity { "infinity" } else { "0" });
    if let Some(owner) = &lock.owner {
        w.element(owner);
    }
    let timeout = match lock.remaining() {
        // Rounded up, so a fresh lock reports the timeout it was granted.
        Some(d) => format!("Second-{}", d.as_millis().div_ceil(1000)),
        None => "Infinite".to_owned(),
    };
    w.text_element(DAV, "timeout", &timeout);
    w.start(DAV, "locktoken");
    w.text_element(DAV, "href", &lock.token);
    w.end();
    w.start(DAV, "lockroot");
    w.text_element(DAV, "href", &crate::href::href(prefix, &lock.root, lock.root_is_collection));
    w.end();
    w.end();
}

/// Writes `<D:lockdiscovery>` with the given locks.
pub fn write_lockdiscovery(w: &mut XmlWriter, locks: &[LockInfo], prefix: &str) {
    if locks.is_empty() {
        w.empty(DAV, "lockdiscovery");
        return;
    }
    w.start(DAV, "lockdiscovery");
    for l in locks {
        write_activelock(w, l, prefix);
    }
    w.end();
}

fn write_live(w: &mut XmlWriter, live: Live, res: &Resource, dead: &[Element], locks: &[LockInfo], env: &PropEnv<'_>) {
    match live {
        Live::ResourceType => {
            if res.is_dir {
                w.start(DAV, "resourcetype");
                w.empty(DAV, "collection");
                w.end();
            } else {
                w.empty(DAV, "resourcetype");
            }
        }
        Live::SupportedLock => {
            w.start(DAV, "supportedlock");
            for scope in ["exclusive", "shared"] {
                w.start(DAV, "lockentry");
                w.start(DAV, "lockscope");
                w.empty(DAV, scope);
                w.end();
                w.start(DAV, "locktype");
                w.empty(DAV, "write");
                w.end();
                w.end();
            }
            w.end();
        }
        Live::LockDiscovery => write_lockdiscovery(w, locks, env.prefix),
        Live::SupportedQueryGrammarSet => {
            w.start(DAV, "supported-query-grammar-set");
            w.start(DAV, "supported-query-grammar");
            w.start(DAV, "grammar");
            w.empty(DAV, "basicsearch");
            w.end();
            w.end();
            w.end();
        }
        Live::DisplayName => {
            // A stored override is written as stored (it may carry xml:lang).
            match dead.iter().find(|e| e.is(DAV, "displayname")) {
                Some(e) => w.element(e),
                None => w.text_element(DAV, "displayname", res.name()),
            }
        }
        other => {
            let text = live_text(other, res, dead).unwrap_or_default();
            w.text_element(DAV, other.name(), &text);
        }
    }
}

/// Writes one `<D:response>` for a resource.
pub fn write_response(
    w: &mut XmlWriter,
    res: &Resource,
    dead: &[Element],
    locks: &[LockInfo],
    request: &PropRequest,
    env: &PropEnv<'_>,
) {
    w.start(DAV, "response");
    w.text_element(DAV, "href", &res.href(env.prefix));
    let defined_live = |l: Live| live_defined(l, res, env);
    let is_shadowed = |e: &Element| Live::from_name(&PropName::of(e)).is_some();
    match request {
        PropRequest::PropName => {
            w.start(DAV, "propstat");
            w.start(DAV, "prop");
            for l in ALL_LIVE.iter().copied().filter(|l| *l != Live::SupportedQueryGrammarSet && defined_live(*l)) {
                w.empty(DAV, l.name());
            }
            if env.search {
                w.empty(DAV, Live::SupportedQueryGrammarSet.name());
            }
            for d in dead.iter().filter(|e| !is_shadowed(e)) {
                w.empty(&d.ns, &d.name);
            }
            w.end();
            w.text_element(DAV, "status", &status_line(StatusCode::OK));
            w.end();
        }
        PropRequest::AllProp(include) => {
            w.start(DAV, "propstat");
            w.start(DAV, "prop");
            for l in ALL_LIVE.iter().copied().filter(|l| *l != Live::SupportedQueryGrammarSet && defined_live(*l)) {
                write_live(w, l, res, dead, locks, env);
            }
            for d in dead.iter().filter(|e| !is_shadowed(e)) {
                w.element(d);
            }
            let mut missing = Vec::new();
            for name in include {
                match Live::from_name(name) {
                    Some(Live::SupportedQueryGrammarSet) if env.search => {
                        write_live(w, Live::SupportedQueryGrammarSet, res, dead, locks, env)
                    }
                    Some(l) if defined_live(l) => {}
                    None if dead.iter().any(|e| PropName::of(e) == *name) => {}
                    _ => missing.push(name.clone()),
                }
            }
            w.end();
            w.text_element(DAV, "status", &status_line(StatusCode::OK));
            w.end();
            write_missing(w, &missing);
        }
        PropRequest::Props(names) => {
            let mut found: Vec<&PropName> = Vec::new();
            let mut missing = Vec::new();
            for name in names {
                let present = match Live::from_name(name) {
                    Some(l) => defined_live(l),
                    None => dead.iter().any(|e| PropName::of(e) == *name),
                };
                if present {
                    found.push(name);
                } else {
                    missing.push(name.clone());
                }
            }
            if !found.is_empty() {
                w.start(DAV, "propstat");
                w.start(DAV, "prop");
                for name in found {
                    match Live::from_name(name) {
                        Some(l) => write_live(w, l, res, dead, locks, env),
                        None => {
                            if let Some(d) = dead.iter().find(|e| PropName::of(e) == *name) {
                                w.element(d);
                            }
                        }
                    }
                }
                w.end();
                w.text_element(DAV, "status", &status_line(StatusCode::OK));
                w.end();
            }
            write_missing(w, &missing);
        }
    }
    w.end();
}

fn write_missing(w: &mut XmlWriter, missing: &[PropName]) {
    if missing.is_empty() {
        return;
    }
    w.start(DAV, "propstat");
    w.start(DAV, "prop");
    for m in missing {
        w.empty(&m.ns, &m.name);
    }
    w.end();
    w.text_element(DAV, "status", &status_line(StatusCode::NOT_FOUND));
    w.end();
}
