//! Configuration: a TOML file (or the zero-config defaults) parsed once, with spans, into
//! plain validated structs. Nothing downstream re-parses a string from the file.

mod access;
mod error;
mod proxy;
mod raw;
mod units;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, StatusCode};
use methodical_policy::RetryAfter;

pub use access::{known_hash_format, AuthConfig, User, WebDavSettings, Who};
pub use error::ConfigError;
pub use proxy::{CacheSettings, Cidr, DiskSettings, ProxyConfig, PurgeConfig};
pub use units::parse_rfc3339;

use crate::http1::H1Config;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (`None` in zero-config mode).
    pub source: Option<PathBuf>,
    /// Cleartext listeners (HTTP/1.1 and h2c).
    pub listen: Vec<SocketAddr>,
    /// TLS listeners (HTTP/1.1 and h2 by ALPN).
    pub listen_tls: Vec<TlsListener>,
    /// TRACE on (M-14); off by default.
    pub trace: bool,
    /// `Cache-Control` on generated 405/501 responses; none by default, so they are
    /// heuristically cacheable (M-8, C-4).
    pub error_cache_control: Option<HeaderValue>,
    /// Methods declared planned server-wide (M-8).
    pub planned: Vec<(Method, RetryAfter)>,
    /// Routes, in file order.
    pub routes: Vec<RouteConfig>,
    /// Connection limits and timeouts.
    pub limits: Limits,
    /// Access log.
    pub log: LogConfig,
    /// Users who can authenticate.
    pub users: Vec<User>,
    /// The shared cache of proxy routes.
    pub cache: Option<CacheSettings>,
    /// Admin listener (metrics, health).
    pub admin: Option<SocketAddr>,
    /// Accept Basic credentials over cleartext from non-loopback clients.
    pub allow_insecure_auth: bool,
}

/// A TLS listener.
#[derive(Debug, Clone)]
pub struct TlsListener {
    /// Address.
    pub addr: SocketAddr,
    /// PEM certificate chain, used when no `sni` entry matches the requested name.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// Certificates picked by the server name the client asks for (SNI).
    pub sni: Vec<SniCert>,
}

/// A certificate for one host name (`example.org` or `*.example.org`).
#[derive(Debug, Clone)]
pub struct SniCert {
    /// The name, lower case.
    pub host: String,
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Connection-level limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// HTTP/1 timeouts and head limits.
    pub h1: H1Config,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// Most simultaneous connections (beyond: accepted and closed at once).
    pub max_connections: usize,
    /// Most simultaneous connections from one client address (beyond: closed at once), so
    /// one client cannot take every slot (slow-loris).
    pub max_connections_per_ip: usize,
    /// Failed logins tolerated from one client address.
    pub auth: AuthLimits,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            h1: H1Config::default(),
            shutdown_grace: Duration::from_secs(30),
            max_connections: 10_000,
            max_connections_per_ip: 1024,
            auth: AuthLimits::default(),
        }
    }
}

/// `[limits] auth_failures`, `auth_lockout`: `failures` failed logins from one client address
/// within `lockout` make every further request of that address that carries credentials a
/// `429 Too Many Requests` with `Retry-After`, until `lockout` has passed since the failure
/// that reached the limit. Successful logins neither count nor reset the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthLimits {
    /// Failed logins that lock an address out; `0` turns the limit off (for a server behind
    /// a proxy, where every client has the proxy's address).
    pub failures: u32,
    /// The counting window and the lockout.
    pub lockout: Duration,
}

impl Default for AuthLimits {
    fn default() -> AuthLimits {
        AuthLimits { failures: 10, lockout: Duration::from_secs(60) }
    }
}

/// Access-log settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Line format.
    pub format: LogFormat,
    /// Where lines go; `None` = standard output.
    pub file: Option<PathBuf>,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig { format: LogFormat::Combined, file: None }
    }
}

/// Access-log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// NCSA combined, as nginx and Apache write it.
    Combined,
    /// One JSON object per line.
    Json,
    /// No access log.
    Off,
}

/// One `[[route]]`.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    /// URL prefix; longest match wins.
    pub prefix: String,
    /// Virtual host (`example.org`, `*.example.org`); `None` matches every host.
    pub host: Option<String>,
    /// What answers.
    pub handler: HandlerConfig,
    /// Who may read and write.
    pub auth: Option<AuthConfig>,
    /// PURGE implemented on this route.
    pub purge: Option<PurgeConfig>,
    /// Compress responses.
    pub compress: bool,
    /// RFC 2774 extensions this route implements (the framework is on when non-empty).
    pub extensions: Vec<String>,
    /// Largest request content (413 beyond, E-5).
    pub max_body: u64,
    /// Methods declared planned on this route only.
    pub planned: Vec<(Method, RetryAfter)>,
    /// Line in the file, for messages.
    pub line: usize,
}

/// The handler of a route.
#[derive(Debug, Clone)]
pub enum HandlerConfig {
    /// Files from a folder.
    Static(StaticConfig),
    /// A fixed response.
    Respond(RespondConfig),
    /// WebDAV on a folder.
    WebDav(WebDavSettings),
    /// A reverse proxy.
    Proxy(ProxyConfig),
}

impl HandlerConfig {
    /// The handler's name as written in the file.
    pub fn kind(&self) -> &'static str {
        match self {
            HandlerConfig::Static(_) => "static",
            HandlerConfig::Respond(_) => "respond",
            HandlerConfig::WebDav(_) => "webdav",
            HandlerConfig::Proxy(_) => "proxy",
        }
    }
}

/// `static = { root = "site" }`.
#[derive(Debug, Clone)]
pub struct StaticConfig {
    /// The folder served.
    pub root: PathBuf,
    /// Files tried for a folder URL, in order.
    pub index: Vec<String>,
    /// Folder listings when there is no index file.
    pub browse: bool,
}

/// `respond = { status = 200, body = "ok", methods = ["GET", "POST"] }`.
#[derive(Debug, Clone)]
pub struct RespondConfig {
    /// Status sent.
    pub status: StatusCode,
    /// Content sent.
    pub body: String,
    /// The methods answered; `None` = every method (the default for 5xx responses such as a
    /// maintenance page: every request gets it, T-21).
    pub methods: Option<Vec<Method>>,
    /// Extra header fields.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `Retry-After` sent with the response.
    pub retry_after: Option<RetryAfter>,
}

/// Default `listen` address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default largest request content for routes that keep content in memory.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;
/// Default upload limit of WebDAV routes.
pub const DEFAULT_MAX_UPLOAD: u64 = 4 << 30;
/// Default request content limit of proxy routes (streamed, not buffered).
pub const DEFAULT_MAX_PROXY_BODY: u64 = 1 << 30;

impl Config {
    /// Zero-config mode: `dir` served as static files on the default address.
    pub fn zero_config(dir: &Path) -> Result<Config, ConfigError> {
        let root = std::fs::canonicalize(dir).map_err(|e| {
            ConfigError::new(format!("cannot serve `{}`: {e}", dir.display())).help("give an existing folder: methodical serve DIR")
        })?;
        if !root.is_dir() {
            return Err(ConfigError::new(format!("`{}` is not a folder", dir.display())).help("give a folder: methodical serve DIR"));
        }
        Ok(Config {
            source: None,
            listen: vec![DEFAULT_LISTEN.parse().expect("default address parses")],
            listen_tls: Vec::new(),
            trace: false,
            error_cache_control: None,
            planned: Vec::new(),
            routes: vec![RouteConfig {
                prefix: "/".into(),
                host: None,
                handler: HandlerConfig::Static(StaticConfig { root, index: vec!["index.html".into()], browse: true }),
                auth: None,
                purge: None,
                compress: false,
                extensions: Vec::new(),
                max_body: DEFAULT_MAX_BODY,
                planned: Vec::new(),
                line: 0,
            }],
            limits: Limits::default(),
            log: LogConfig::default(),
            users: Vec::new(),
            cache: None,
            admin: None,
            allow_insecure_auth: false,
        })
    }

    /// Reads and validates a configuration file. Relative paths inside resolve against the
    /// file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(format!("cannot read the configuration file: {e}"))
                .in_file(path)
                .help("check the path given to --config")
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        let mut config = Config::parse(&source, &base).map_err(|e| e.in_file(path))?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses and validates configuration text; relative paths resolve against `base`.
    pub fn parse(source: &str, base: &Path) -> Result<Config, ConfigError> {
        raw::parse(source, base)
    }
}
