//! Filesystem rules shared by methodical's static-file and WebDAV handlers, so both answer
//! the same way for the same file:
//!
//! - [`Root`] maps a URL path below a route prefix to a file without ever leaving the root:
//!   no `..`, no percent-encoded dots or slashes, no NUL, no symlink pointing outside.
//! - [`Validators`] computes the strong `ETag` and `Last-Modified` of a file (the WebDAV
//!   `getetag` property is the same string as the static handler's `ETag`).
//! - [`AtomicFile`] writes through a temporary file in the same folder, fsyncs and renames,
//!   so a crash leaves the old file or the new one, never half of one.
//! - Names starting with [`INTERNAL_PREFIX`] (temporaries, property stores) are never served
//!   or listed.

mod atomic;
pub mod calendar;
mod path;
mod validators;

pub use atomic::{remove_stale_temporaries, temporary_path, AtomicFile};
pub use path::{is_internal_name, PathError, Resolved, Root, INTERNAL_PREFIX};
pub use validators::Validators;
