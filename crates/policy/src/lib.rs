//! HTTP request-method semantics as data.
//!
//! A router sees one URL prefix at a time, so it cannot know whether a method it does not
//! route is *unknown to the whole server* (RFC 9110 §15.6.2: `501 Not Implemented`) or
//! *implemented, but not allowed on this resource* (§15.5.6: `405 Method Not Allowed` with an
//! `Allow` header). That is why, for example, axum answers every unrouted method with 405.
//! This crate holds the server-wide answer: a [`MethodTable`] compiled once from the
//! configuration, and one function, [`MethodTable::decide`], that turns a request method and
//! a route into an [`Outcome`] before any handler runs.
//!
//! The crate does no I/O and depends only on `http`, so any hyper / tower service can embed it:
//!
//! ```
//! use http::Method;
//! use methodical_policy::{MethodSet, MethodTable, Outcome, RetryAfter, RouteMethods};
//!
//! let mut table = MethodTable::builder();
//! table.plan(Method::PATCH, RetryAfter::Seconds(120));
//! let api = table.route(RouteMethods::origin(MethodSet::from_iter([Method::POST])));
//! let files = table.route(RouteMethods::origin(MethodSet::from_iter([Method::GET])));
//! let table = table.build();
//!
//! // POST on the file route: known and implemented elsewhere, not allowed here.
//! let files_allow = table.route_methods(files).allowed_default();
//! match table.decide(files, &Method::POST, || files_allow.clone()) {
//!     Outcome::NotAllowed { allow } => assert_eq!(allow.to_string(), "GET, HEAD, OPTIONS"),
//!     other => panic!("{other:?}"),
//! }
//! // An unknown method: nobody implements it.
//! let foo = Method::from_bytes(b"FOO").unwrap();
//! assert!(matches!(table.decide(api, &foo, MethodSet::new), Outcome::NotImplemented { retry_after: None }));
//! // A method the operator declared planned: 501 + Retry-After.
//! assert!(matches!(
//!     table.decide(api, &Method::PATCH, MethodSet::new),
//!     Outcome::NotImplemented { retry_after: Some(RetryAfter::Seconds(120)) }
//! ));
//! ```
//!
//! Requirement ids in the docs (M-7, M-9, …) refer to methodical's specification digest of
//! RFC 9110 / 9112 / 4918 / 5323 / 2774.

mod decision;
mod method;
mod retry_after;
mod set;
mod table;
mod token;

pub use decision::Outcome;
pub use method::{is_core, properties, MethodProperties, Safety, CORE_METHODS, REGISTERED_METHODS};
pub use retry_after::RetryAfter;
pub use set::MethodSet;
pub use table::{MethodTable, MethodTableBuilder, MethodUse, RouteId, RouteKind, RouteMethods};
pub use token::{check_method_token, is_tchar, list_comma, MethodTokenError, MAX_METHOD_LEN};
