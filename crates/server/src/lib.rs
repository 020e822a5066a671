//! The methodical server.
//!
//! A request flows one way:
//!
//! ```text
//! server (listeners, TLS + ALPN)  →  http1 (own parser) | http2 (hyper)
//!   →  service: checks → router → method table (methodical-policy) → handlers → finishing
//!   →  error pages (one mapping from failures to statuses, in `error`)
//! ```
//!
//! The configuration (`config`) is parsed and validated once and compiled into an [`App`]
//! (`app`): handlers, router, method table.

pub mod access_log;
pub mod admin;
pub mod app;
pub mod auth;
pub mod body;
pub mod checks;
pub mod compress;
pub mod config;
pub mod connection;
pub mod date;
pub mod error;
pub mod error_page;
pub mod extensions;
pub mod handlers;
pub mod http1;
pub mod http2;
pub mod metrics;
pub mod panic;
pub mod report;
pub mod router;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod tls;

pub use app::App;
pub use config::{Config, ConfigError};
pub use server::{Server, StartError};
