//! methodical's RFC 9111 shared cache: rules and byte-bounded stores, no networking.
pub mod date;
pub mod directives;
pub mod entry;
pub mod fields;
pub mod freshness;
pub mod key;
pub mod reuse;
pub mod storable;
pub mod validate;
pub mod vary;
