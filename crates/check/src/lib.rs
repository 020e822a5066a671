//! `methodical check`: probe an HTTP server from outside and judge how it
//! answers request methods against the project's spec digest
//! (`shared/spec/http-method-semantics.md`): 501 vs 405 + Allow, HEAD, OPTIONS,
//! TRACE, CONNECT, framing errors, Expect, RFC 2774 `M-` methods, WebDAV
//! routing, and what can be seen of a proxy from outside.
//!
//! Probes are raw HTTP/1.1 octets over TCP or TLS (so malformed requests can
//! be sent on purpose), optionally HTTP/2. By default only requests that
//! cannot change state are sent; PUT/DELETE/MKCOL need `--allow-writes`.
//!
//! ```no_run
//! # async fn demo() {
//! let cfg = methodical_check::CheckConfig::for_url("http://127.0.0.1:8080/").unwrap();
//! let report = methodical_check::run_checks(&cfg).await;
//! assert!(!report.must_failed());
//! # }
//! ```

#![warn(missing_docs)]

mod advice;
mod checks;
mod client;
mod error;
mod probe;
mod report;
mod runner;
mod target;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

pub use advice::{advise, ServerFamily};
pub use checks::{Section, Severity, Verdict};
pub use client::RawResponse;
pub use error::{ArgsError, ClientError};
pub use probe::Transport;
pub use report::{Finding, Report, Summary};
pub use runner::{run_checks, CheckConfig};
pub use target::{Scheme, Target};

/// Command-line arguments of `methodical check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// URL of the server to probe (http:// or https://); its path is probed unless --path is given.
    pub url: String,
    /// A path to probe (repeatable); defaults to the URL's path.
    #[arg(long = "path", value_name = "P")]
    pub paths: Vec<String>,
    /// A WebDAV path: run the WebDAV checks there (OPTIONS, PROPFIND, SEARCH).
    #[arg(long, value_name = "PATH")]
    pub dav: Option<String>,
    /// Print exactly one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Allow PUT/DELETE/MKCOL probes under this scratch collection (cleaned up afterwards).
    #[arg(long, value_name = "SCRATCH_PATH")]
    pub allow_writes: Option<String>,
    /// The target is a proxy / gateway: also run the forwarding checks.
    #[arg(long)]
    pub proxy: bool,
    /// Also run the checks that make sense over HTTP/2 (ALPN h2, or prior knowledge on http://).
    #[arg(long)]
    pub h2: bool,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value = "5")]
    pub timeout: String,
    /// Never colour the output (colour is only used on a terminal anyway).
    #[arg(long)]
    pub no_color: bool,
    /// Accept any TLS certificate (self-signed test servers).
    #[arg(long)]
    pub insecure: bool,
}

impl CheckArgs {
    /// Turns the arguments into a validated [`CheckConfig`].
    pub fn to_config(&self) -> Result<CheckConfig, ArgsError> {
        let secs: f64 = self
            .timeout
            .trim()
            .parse()
            .map_err(|_| ArgsError::BadTimeout(self.timeout.clone()))?;
        if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
            return Err(ArgsError::BadTimeout(self.timeout.clone()));
        }
        let mut cfg = CheckConfig::for_url(&self.url)?;
        cfg.paths = self.paths.clone();
        cfg.dav = self.dav.clone();
        cfg.proxy = self.proxy;
        cfg.h2 = self.h2;
        cfg.timeout = Duration::from_secs_f64(secs);
        cfg.insecure = self.insecure;
        cfg.allow_writes = self.allow_writes.clone();
        cfg.validate()?;
        Ok(cfg)
    }
}

/// Runs `methodical check`: probes, prints the table (or JSON) on stdout, and
/// returns exit status 1 when a MUST-level check failed, 2 on bad arguments, 0 otherwise.
pub async fn run(args: CheckArgs) -> ExitCode {
    let cfg = match args.to_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("methodical check: {e}");
            return ExitCode::from(2);
        }
    };
    let report = run_checks(&cfg).await;
    if args.json {
        println!("{}", report.to_json());
    } else {
        let color = !args.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stdout().is_terminal();
        print!("{}", report.render_text(color));
    }
    ExitCode::from(report.exit_code())
}
