//! The configuration compiled into what answers requests: handlers, router, method table.
//! Built once per configuration (start and reload) and shared read-only behind an `Arc`.

use std::sync::Arc;

use methodical_policy::{MethodTable, RouteId};

use crate::access_log::AccessLog;
use crate::auth::{AccessRule, Authenticator};
use crate::config::{Config, ConfigError, HandlerConfig, RouteConfig, Who};
use crate::error_page::ErrorPages;
use crate::metrics::Metrics;
use crate::handlers::{Handler, Shared};
use crate::router::Router;

/// One compiled route.
pub struct Route {
    /// Its id in the method table.
    pub id: RouteId,
    /// URL prefix.
    pub prefix: String,
    /// Virtual host, if any.
    pub host: Option<String>,
    /// What answers.
    pub handler: Handler,
    /// Largest request content (E-5).
    pub max_body: u64,
    /// Who may read and write, when restricted.
    pub access: Option<AccessRule>,
    /// RFC 2774 extensions an origin route implements (gateways keep their own).
    pub extensions: Option<methodical_extension::Registry>,
    /// The route's metric handles.
    pub metrics: crate::metrics::RouteMetrics,
    /// `compress = true`: content codings by `Accept-Encoding`.
    pub compress: bool,
}

impl Route {
    /// Is this a reverse-proxy route?
    pub fn is_proxy(&self) -> bool {
        matches!(self.handler, Handler::Proxy(_))
    }
}

/// Everything a request needs, compiled from one configuration.
pub struct App {
    /// The configuration it was built from.
    pub config: Config,
    pub(crate) routes: Vec<Route>,
    pub(crate) router: Router,
    pub(crate) table: MethodTable,
    pub(crate) errors: ErrorPages,
    pub(crate) log: AccessLog,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) metrics: Arc<Metrics>,
    /// Metric handles for requests no route answered.
    pub(crate) unrouted_metrics: crate::metrics::RouteMetrics,
}

impl App {
    /// Compiles `config`. Fails only when a handler cannot open what the configuration
    /// names (a folder removed since validation).
    pub fn build(config: Config, log: AccessLog, metrics: Arc<Metrics>) -> Result<App, ConfigError> {
        let mut table = MethodTable::builder();
        table.trace(config.trace);
        for (method, retry_after) in &config.planned {
            table.plan(method.clone(), *retry_after);
        }
        let mut routes = Vec::new();
        let mut router = Router::default();
        let errors = ErrorPages { cache_control_405_501: config.error_cache_control.clone() };
        let shared = Shared { cache: shared_cache(&config)?, errors: errors.clone() };
        for rc in &config.routes {
            let handler = Handler::new(rc, &shared).map_err(|e| {
                ConfigError::new(format!("the route `{}` (line {}) cannot start: {e}", rc.prefix, rc.line))
                    .help("check that the folders it names exist and are readable")
            })?;
            let mut methods = handler.route_methods();
            for (m, r) in &rc.planned {
                methods.plan(m.clone(), *r);
            }
            let id = table.route(methods);
            router.add(&rc.prefix, rc.host.as_deref(), id);
            let access = access_rule(rc);
            let extensions = match rc.handler {
                HandlerConfig::Proxy(_) => None,
                _ => crate::extensions::registry(&rc.extensions)
                    .map_err(|e| ConfigError::new(format!("the route `{}` (line {}): {e}", rc.prefix, rc.line)))?,
            };
            routes.push(Route {
                id,
                prefix: rc.prefix.clone(),
                host: rc.host.clone(),
                handler,
                max_body: rc.max_body,
                access,
                extensions,
                metrics: metrics.route(&rc.prefix),
                compress: rc.compress,
            });
        }
        let auth = Authenticator::new(&config.users);
        let unrouted_metrics = metrics.route("-");
        Ok(App { config, routes, router, table: table.build(), errors, log, auth, metrics, unrouted_metrics })
    }

    /// The method table.
    pub fn table(&self) -> &MethodTable {
        &self.table
    }

    /// The routes, in configuration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

/// The cache the running configuration uses, so that a reload with the same `[cache]`
/// settings keeps it: stored responses survive, and the disk folder is never opened by two
/// caches at once. Weak, so a configuration without a cache lets it go.
static CURRENT_CACHE: std::sync::Mutex<Option<(methodical_cache::CacheConfig, std::sync::Weak<methodical_cache::Cache>)>> =
    std::sync::Mutex::new(None);

/// The shared cache of the proxy routes, built from `[cache]` when some route caches (or
/// purges), or the running one when its settings did not change.
///
/// The disk tier is opened (and its index rebuilt) on a runtime of its own, so that this
/// works inside and outside the server's runtime; the stores only use whichever runtime
/// later calls them.
fn shared_cache(config: &Config) -> Result<Option<Arc<methodical_cache::Cache>>, ConfigError> {
    let Some(settings) = &config.cache else { return Ok(None) };
    let caching = config.routes.iter().any(|r| matches!(&r.handler, HandlerConfig::Proxy(p) if p.cache));
    if !caching && !config.routes.iter().any(|r| r.purge.is_some()) {
        return Ok(None);
    }
    let cache_config = methodical_cache::CacheConfig {
        memory_bytes: settings.memory,
        disk: settings.disk.as_ref().map(|d| methodical_cache::DiskConfig { path: d.path.clone(), bytes: d.size }),
        max_object_size: settings.max_object,
        ..methodical_cache::CacheConfig::default()
    };
    let mut current = CURRENT_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((running, weak)) = current.as_ref() {
        if *running == cache_config {
            if let Some(cache) = weak.upgrade() {
                return Ok(Some(cache));
            }
        }
    }
    let cache = if cache_config.disk.is_none() {
        Arc::new(methodical_cache::Cache::memory_only(cache_config.clone()))
    } else {
        let to_open = cache_config.clone();
        let opened = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(methodical_cache::Cache::open(to_open)).map_err(|e| std::io::Error::other(e.to_string()))
        })
        .join()
        .map_err(|_| ConfigError::new("opening the disk cache failed unexpectedly"))?;
        match opened {
            Ok(cache) => Arc::new(cache),
            Err(e) => {
                return Err(ConfigError::new(format!("the disk cache cannot be opened: {e}"))
                    .help("check that the folder of `[cache] disk` exists or can be created and is writable"))
            }
        }
    };
    *current = Some((cache_config, Arc::downgrade(&cache)));
    Ok(Some(cache))
}

/// The access rule of a route: its `auth` table, or for WebDAV without one, writes for
/// logged-in users unless `anonymous_write` (issue contract: "writes need an authenticated
/// user unless anonymous_write = true").
fn access_rule(rc: &RouteConfig) -> Option<AccessRule> {
    if let Some(a) = &rc.auth {
        return Some(AccessRule { realm: a.realm.clone(), read: a.read.clone(), write: a.write.clone() });
    }
    match &rc.handler {
        HandlerConfig::WebDav(w) if !w.anonymous_write && !w.read_only => {
            Some(AccessRule { realm: "methodical".into(), read: Who::Anyone, write: Who::Users })
        }
        _ => None,
    }
}
