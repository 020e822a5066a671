//! The request-body parsers of PROPFIND, PROPPATCH, LOCK and SEARCH, from raw octets to what
//! the method acts on, called exactly as the method handlers call them: the body is parsed as
//! XML ([`crate::xml::parse`]), then the method reads its root element.
//!
//! Public for the cargo-fuzz targets in `crates/webdav/fuzz`; the handlers keep using the
//! parsers directly. What a handler does before parsing (an all-whitespace body means
//! `allprop` for PROPFIND and a lock refresh for LOCK) is left out: such bodies never reach
//! these parsers.

pub use crate::methods::lock::LockRequest;
pub use crate::methods::proppatch::Instruction;
pub use crate::props::PropRequest;
pub use crate::search::Query;

use crate::error::DavError;
use crate::xml::parse;

/// A PROPFIND body (RFC 4918 §9.1, §14.20) → the properties asked for.
pub fn propfind(body: &[u8]) -> Result<PropRequest, DavError> {
    crate::methods::propfind::parse_propfind(&parse(body)?)
}

/// A PROPPATCH body (RFC 4918 §9.2, §14.19) → its instructions in document order.
pub fn proppatch(body: &[u8]) -> Result<Vec<Instruction>, DavError> {
    crate::methods::proppatch::parse_update(&parse(body)?)
}

/// A LOCK body (RFC 4918 §9.10, §14.11) → the lock asked for.
pub fn lock(body: &[u8]) -> Result<LockRequest, DavError> {
    crate::methods::lock::parse_lockinfo(&parse(body)?)
}

/// A SEARCH body (RFC 5323 §2, §5) → the basicsearch query.
pub fn search(body: &[u8]) -> Result<Query, DavError> {
    crate::search::parse_query(&parse(body)?)
}
