//! The HTTP Extension Framework (RFC 2774) for methodical and other Rust HTTP
//! services: `Man`/`Opt`/`C-Man`/`C-Opt` declarations with their `ns=`
//! header prefixes, `M-` methods, `Ext`/`C-Ext` acknowledgements and
//! `510 Not Extended`.
//!
//! # Status: Historic, and off by default
//!
//! RFC 2774 was published as Experimental in 2000 and later moved to
//! **Historic** by an IESG status change
//! (`status-change-http-experiments-to-historic`). The IANA status code
//! registry lists 510 as **"Not Extended (OBSOLETED)"**, and marks the `Man`,
//! `Opt`, `C-Man`, `C-Opt`, `Ext` and `C-Ext` fields obsoleted. RFC 9110 does
//! not define 510 (so it is not heuristically cacheable) and only mentions
//! the framework to say new methods should avoid the `M-` prefix
//! (§16.1.2).
//!
//! methodical therefore keeps the framework **off by default**: an `M-GET` to
//! an ordinary route is an unknown method and gets 501, and a gateway
//! forwards `M-` requests with end-to-end declarations unchanged. This crate
//! is what a route uses when the framework is switched on, for
//! interoperability with old clients such as SOAP 1.1 stacks that send
//! `M-POST`.
//!
//! # What is here
//!
//! The crate does no I/O; it reads and edits [`http`] request and response
//! heads.
//!
//! - [`parse_declarations`], [`Declaration`] and its `Display`: the
//!   `ext-decl` grammar of RFC 2774 §3 (digest X-2).
//! - [`DeclKind`]: the four declaration fields (X-3).
//! - [`RequestExtensions`]: every declaration of a message, with the prefixed
//!   headers each owns.
//! - [`base_method`], [`is_m_method`]: the `M-` prefix (X-4).
//! - [`Extension`] and [`Registry`]: what a route supports.
//! - [`evaluate`]: the ultimate recipient's four steps (X-4, X-7), ending in
//!   400, 510 or a fulfilled request with its base method.
//! - [`mark_response`]: `Ext`, `no-cache="Ext"`, `Expires`, `C-Ext` (X-6).
//! - [`gateway_action`], [`fulfil_hop_by_hop`],
//!   [`hop_by_hop_extension_fields`]: the gateway rules (X-9, P-3).
//! - [`SoapExtension`]: SOAP 1.1 `M-POST` → `POST` (SOAP 1.1 §6.3).
//!
//! Caching of `M-` responses (X-10) is the cache's business: it does not
//! store responses to methods it does not know. This crate only puts the
//! `no-cache="Ext"` directive there for it.
//!
//! # Example: an origin route with the framework on
//!
//! ```
//! use methodical_extension::{evaluate, mark_response, request_via_http10, Evaluation, Registry, SoapExtension};
//!
//! let registry = Registry::new().with(SoapExtension).unwrap();
//! let (mut req, ()) = http::Request::builder()
//!     .method("M-POST")
//!     .uri("/StockQuote")
//!     .header("Man", "\"http://schemas.xmlsoap.org/soap/envelope/\"; ns=49")
//!     .header("49-SOAPAction", "\"urn:example:GetLastTradePrice\"")
//!     .body(())
//!     .unwrap()
//!     .into_parts();
//!
//! let Evaluation::Fulfilled(fulfilled) = evaluate(&registry, &mut req) else {
//!     panic!("SOAP is registered");
//! };
//! assert_eq!(req.method, http::Method::POST);
//! assert_eq!(req.headers["soapaction"], "\"urn:example:GetLastTradePrice\"");
//!
//! let (mut resp, ()) = http::Response::new(()).into_parts();
//! mark_response(&mut resp, &fulfilled, request_via_http10(&req));
//! assert_eq!(resp.headers["ext"], "");
//! assert_eq!(resp.headers["cache-control"], "no-cache=\"Ext\"");
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod decl;
mod error;
mod evaluate;
mod extension;
mod gateway;
mod kind;
mod method;
mod request;
mod response;
mod soap;
mod syntax;
#[cfg(test)]
mod test_util;

pub use decl::{
    format_declarations, parse_declarations, DeclParam, Declaration, ExtensionId, HeaderPrefix,
    ParamValue,
};
pub use error::DeclError;
pub use evaluate::{evaluate, Evaluation, Fulfilled, NotExtended, NotSupported};
pub use extension::{Extension, ExtensionError, Registry};
pub use gateway::{fulfil_hop_by_hop, gateway_action, hop_by_hop_extension_fields, GatewayAction};
pub use kind::{DeclKind, C_EXT, C_MAN, C_OPT, EXT, MAN, OPT};
pub use method::{base_method, is_m_method};
pub use request::{Binding, DeclaredExtension, PrefixedHeader, RequestExtensions};
pub use response::{mark_response, mark_response_at, request_via_http10};
pub use soap::{SoapExtension, SOAPACTION, SOAP_ENVELOPE_NS};
