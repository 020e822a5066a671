//! The file as written (serde structs with spans) and its validation into [`Config`].

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use http::{HeaderName, HeaderValue, Method, StatusCode};
use methodical_policy::{check_method_token, is_core, RetryAfter};
use serde::Deserialize;
use toml::Spanned;

use super::units::{parse_rfc3339, RawDuration, RawSize};
use super::access::{RawAuth, RawUser, RawWebDav};
use super::proxy::{RawCache, RawProxy, RawPurge};
use super::{
    Config, ConfigError, HandlerConfig, Limits, LogConfig, LogFormat, RespondConfig, RouteConfig, StaticConfig,
    TlsListener, DEFAULT_LISTEN, DEFAULT_MAX_BODY,
};

/// Longest `auth_lockout`: a typo such as `"60h"` must not lock a user out for days.
const MAX_AUTH_LOCKOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    listen_tls: Vec<Spanned<RawTls>>,
    #[serde(default)]
    trace: bool,
    error_cache_control: Option<Spanned<String>>,
    #[serde(default)]
    planned_methods: BTreeMap<String, Spanned<RawPlanned>>,
    #[serde(default, rename = "route")]
    routes: Vec<Spanned<RawRoute>>,
    limits: Option<Spanned<RawLimits>>,
    log: Option<Spanned<RawLog>>,
    #[serde(default, rename = "user")]
    users: Vec<RawUser>,
    cache: Option<Spanned<RawCache>>,
    admin: Option<Spanned<String>>,
    #[serde(default)]
    allow_insecure_auth: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    addr: Spanned<String>,
    cert: Spanned<String>,
    key: Spanned<String>,
    #[serde(default)]
    sni: Vec<RawSni>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSni {
    host: Spanned<String>,
    cert: Spanned<String>,
    key: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanned {
    retry_after: Spanned<RawRetryAfter>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRetryAfter {
    Seconds(u64),
    Text(String),
    Datetime(toml::value::Datetime),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    header_timeout: Option<Spanned<RawDuration>>,
    idle_timeout: Option<Spanned<RawDuration>>,
    body_timeout: Option<Spanned<RawDuration>>,
    send_timeout: Option<Spanned<RawDuration>>,
    shutdown_grace: Option<Spanned<RawDuration>>,
    max_header_size: Option<Spanned<RawSize>>,
    max_target: Option<Spanned<RawSize>>,
    max_connections: Option<Spanned<usize>>,
    max_connections_per_ip: Option<Spanned<usize>>,
    auth_failures: Option<Spanned<u32>>,
    auth_lockout: Option<Spanned<RawDuration>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    prefix: Spanned<String>,
    host: Option<Spanned<String>>,
    #[serde(rename = "static")]
    static_files: Option<Spanned<RawStatic>>,
    respond: Option<Spanned<RawRespond>>,
    webdav: Option<Spanned<RawWebDav>>,
    proxy: Option<Spanned<RawProxy>>,
    auth: Option<Spanned<RawAuth>>,
    purge: Option<Spanned<RawPurge>>,
    #[serde(default)]
    compress: bool,
    #[serde(default)]
    extensions: Vec<String>,
    max_body: Option<Spanned<RawSize>>,
    #[serde(default)]
    planned_methods: BTreeMap<String, Spanned<RawPlanned>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatic {
    root: Spanned<String>,
    index: Option<Vec<String>>,
    #[serde(default)]
    browse: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRespond {
    status: Option<Spanned<u16>>,
    #[serde(default)]
    body: String,
    methods: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    content_type: Option<String>,
    retry_after: Option<Spanned<RawRetryAfter>>,
}

/// Validation context: the source for positions, the folder for relative paths.
pub(super) struct Ctx<'a> {
    source: &'a str,
    base: &'a Path,
}

impl Ctx<'_> {
    pub(super) fn err<T>(&self, span: std::ops::Range<usize>, message: impl Into<String>, help: impl Into<String>) -> Result<T, ConfigError> {
        Err(ConfigError::new(message).at(self.source, span).help(help))
    }

    pub(super) fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn line(&self, span: &std::ops::Range<usize>) -> usize {
        super::error::line_col(self.source, span.start).0
    }
}

pub(super) fn parse(source: &str, base: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(source).map_err(|e| toml_error(source, &e))?;
    let ctx = Ctx { source, base };
    let listen = match &raw.listen {
        None => vec![DEFAULT_LISTEN.parse().expect("default address parses")],
        Some(list) => list.get_ref().iter().map(|a| socket_addr(&ctx, a)).collect::<Result<_, _>>()?,
    };
    let listen_tls: Vec<TlsListener> = raw.listen_tls.iter().map(|t| tls(&ctx, t.get_ref())).collect::<Result<_, _>>()?;
    if listen.is_empty() && listen_tls.is_empty() {
        let span = raw.listen.as_ref().map(|l| l.span()).unwrap_or(0..0);
        return ctx.err(span, "no listener is configured", "write `listen = [\"127.0.0.1:8080\"]`");
    }
    let error_cache_control = match &raw.error_cache_control {
        None => None,
        Some(v) => Some(HeaderValue::from_str(v.get_ref()).or_else(|_| {
            ctx.err(v.span(), "`error_cache_control` is not a valid header value", "write e.g. `error_cache_control = \"max-age=300\"`")
        })?),
    };
    let planned = planned_methods(&ctx, &raw.planned_methods)?;
    let users = super::access::users(&ctx, &raw.users)?;
    let mut routes = Vec::new();
    for route in &raw.routes {
        routes.push(route_config(&ctx, route, &users)?);
    }
    check_unique_routes(&ctx, &raw.routes, &routes)?;
    if routes.is_empty() {
        return Err(ConfigError::new("the configuration has no routes").help(
            "add at least one route:\n\n  [[route]]\n  prefix = \"/\"\n  static = { root = \"site\" }",
        ));
    }
    let limits = match &raw.limits {
        None => Limits::default(),
        Some(l) => limits(&ctx, l.get_ref())?,
    };
    let log = match &raw.log {
        None => LogConfig::default(),
        Some(l) => log_config(&ctx, l.get_ref())?,
    };
    let cache = match &raw.cache {
        Some(c) => Some(super::proxy::cache(&ctx, c.get_ref())?),
        None if routes.iter().any(|r| matches!(&r.handler, HandlerConfig::Proxy(p) if p.cache)) => {
            Some(super::proxy::cache(&ctx, &RawCache::default())?)
        }
        None => None,
    };
    let admin = match &raw.admin {
        None => None,
        Some(a) => Some(socket_addr(&ctx, a)?),
    };
    Ok(Config {
        source: None,
        listen,
        listen_tls,
        trace: raw.trace,
        error_cache_control,
        planned,
        routes,
        limits,
        log,
        users,
        cache,
        admin,
        allow_insecure_auth: raw.allow_insecure_auth,
    })
}

fn toml_error(source: &str, e: &toml::de::Error) -> ConfigError {
    let mut message = e.message().trim().to_string();
    if message.is_empty() {
        // toml reports a key with nothing after its `=` at the end of the text with an empty
        // message (found by the `config` fuzz target); every error must say something.
        message = "the TOML is incomplete here: a value is missing".into();
    }
    let help = if message.starts_with("unknown field") {
        "remove the field or fix its spelling; the message lists the fields allowed here"
    } else if message.contains("missing field") {
        "add the missing field"
    } else if message.contains("did not match any variant") {
        "check the value's type: a number, a quoted string, or a date as the field expects"
    } else {
        "fix the TOML syntax at this position"
    };
    let err = ConfigError::new(message).help(help);
    match e.span() {
        Some(span) => err.at(source, span),
        None => err,
    }
}

fn socket_addr(ctx: &Ctx, addr: &Spanned<String>) -> Result<SocketAddr, ConfigError> {
    let text = addr.get_ref();
    if let Ok(a) = text.parse() {
        return Ok(a);
    }
    match text.to_socket_addrs().map(|mut it| it.next()) {
        Ok(Some(a)) => Ok(a),
        _ => ctx.err(
            addr.span(),
            format!("`{text}` is not an address to listen on"),
            "write an IP address and port, e.g. \"127.0.0.1:8080\" or \"[::]:8080\"",
        ),
    }
}

fn tls(ctx: &Ctx, raw: &RawTls) -> Result<TlsListener, ConfigError> {
    let addr = socket_addr(ctx, &raw.addr)?;
    let (cert, key) = pem_pair(ctx, &raw.cert, &raw.key)?;
    let mut sni = Vec::new();
    for s in &raw.sni {
        let host = host_pattern(ctx, &s.host)?;
        let (cert, key) = pem_pair(ctx, &s.cert, &s.key)?;
        sni.push(super::SniCert { host, cert, key });
    }
    Ok(TlsListener { addr, cert, key, sni })
}

fn pem_pair(ctx: &Ctx, cert: &Spanned<String>, key: &Spanned<String>) -> Result<(PathBuf, PathBuf), ConfigError> {
    let paths = (ctx.path(cert.get_ref()), ctx.path(key.get_ref()));
    for (field, path) in [(cert, &paths.0), (key, &paths.1)] {
        if !path.is_file() {
            return ctx.err(
                field.span(),
                format!("`{}` (resolved to {}) does not exist", field.get_ref(), path.display()),
                "give a PEM file; relative paths are relative to the configuration file's folder",
            );
        }
    }
    Ok(paths)
}

pub(super) fn method(ctx: &Ctx, name: &str, span: std::ops::Range<usize>) -> Result<Method, ConfigError> {
    if let Err(e) = check_method_token(name.as_bytes()) {
        return ctx.err(span, format!("`{name}` is not a method name: {e}"), "write a method token such as \"PATCH\"");
    }
    Method::from_bytes(name.as_bytes()).or_else(|_| ctx.err(span, format!("`{name}` is not a method name"), "write a method token such as \"PATCH\""))
}

fn retry_after(ctx: &Ctx, raw: &Spanned<RawRetryAfter>) -> Result<RetryAfter, ConfigError> {
    let help = "write a number of seconds (`retry_after = 120`) or an RFC 3339 date (`retry_after = \"2026-12-24T00:00:00Z\"`)";
    match raw.get_ref() {
        RawRetryAfter::Seconds(s) => Ok(RetryAfter::Seconds(*s)),
        RawRetryAfter::Text(t) => match parse_rfc3339(t) {
            Some(date) => Ok(RetryAfter::Date(date)),
            None => ctx.err(raw.span(), format!("`{t}` is not a date"), help),
        },
        RawRetryAfter::Datetime(d) => match parse_rfc3339(&d.to_string()) {
            Some(date) => Ok(RetryAfter::Date(date)),
            None => ctx.err(raw.span(), format!("`{d}` is not a complete date and time with an offset"), help),
        },
    }
}

fn planned_methods(ctx: &Ctx, raw: &BTreeMap<String, Spanned<RawPlanned>>) -> Result<Vec<(Method, RetryAfter)>, ConfigError> {
    let mut out = Vec::new();
    for (name, planned) in raw {
        let m = method(ctx, name, planned.span())?;
        if is_core(&m) {
            return ctx.err(
                planned.span(),
                format!("{m} cannot be planned: it is a core method, always recognised (a route that does not allow it answers 405 + Allow, never 501)"),
                format!("remove `{m}` from planned_methods"),
            );
        }
        out.push((m, retry_after(ctx, &planned.get_ref().retry_after)?));
    }
    Ok(out)
}

pub(super) fn size(ctx: &Ctx, raw: &Spanned<RawSize>, field: &str) -> Result<u64, ConfigError> {
    raw.get_ref()
        .bytes()
        .or_else(|e| ctx.err(raw.span(), e, format!("write e.g. `{field} = \"1MiB\"` (B, KiB, MiB, GiB, KB, MB, GB) or a number of octets")))
}

pub(super) fn duration(ctx: &Ctx, raw: &Spanned<RawDuration>, field: &str) -> Result<std::time::Duration, ConfigError> {
    raw.get_ref()
        .duration()
        .or_else(|e| ctx.err(raw.span(), e, format!("write e.g. `{field} = \"10s\"` (ms, s, m, h) or a number of seconds")))
}

fn limits(ctx: &Ctx, raw: &RawLimits) -> Result<Limits, ConfigError> {
    let mut l = Limits::default();
    if let Some(d) = &raw.header_timeout {
        l.h1.header_timeout = duration(ctx, d, "header_timeout")?;
    }
    if let Some(d) = &raw.idle_timeout {
        l.h1.idle_timeout = duration(ctx, d, "idle_timeout")?;
    }
    if let Some(d) = &raw.body_timeout {
        l.h1.body_timeout = duration(ctx, d, "body_timeout")?;
    }
    if let Some(d) = &raw.send_timeout {
        l.h1.send_timeout = duration(ctx, d, "send_timeout")?;
    }
    if let Some(d) = &raw.shutdown_grace {
        l.shutdown_grace = duration(ctx, d, "shutdown_grace")?;
    }
    if let Some(s) = &raw.max_header_size {
        let n = size(ctx, s, "max_header_size")?;
        if n < 1024 {
            return ctx.err(s.span(), "max_header_size must be at least 1KiB", "write e.g. `max_header_size = \"64KiB\"`");
        }
        l.h1.limits.max_head = n as usize;
    }
    if let Some(s) = &raw.max_target {
        let n = size(ctx, s, "max_target")?;
        if n < 8000 {
            return ctx.err(
                s.span(),
                "max_target must be at least 8000 octets (RFC 9112 §3 recommends supporting request-lines of 8000 octets)",
                "write e.g. `max_target = \"8KiB\"`",
            );
        }
        l.h1.limits.max_target = n as usize;
    }
    if let Some(n) = &raw.max_connections {
        l.max_connections = *n.get_ref();
    }
    if let Some(n) = &raw.max_connections_per_ip {
        l.max_connections_per_ip = *n.get_ref();
    }
    if let Some(n) = &raw.auth_failures {
        l.auth.failures = *n.get_ref();
    }
    if let Some(d) = &raw.auth_lockout {
        let lockout = duration(ctx, d, "auth_lockout")?;
        if lockout < std::time::Duration::from_secs(1) || lockout > MAX_AUTH_LOCKOUT {
            return ctx.err(
                d.span(),
                "auth_lockout must be between 1 second and 1 day",
                "write e.g. `auth_lockout = \"60s\"`; to turn the limit off write `auth_failures = 0`",
            );
        }
        l.auth.lockout = lockout;
    }
    if l.max_connections == 0 || l.max_connections_per_ip == 0 {
        return Err(ConfigError::new("connection limits must be at least 1").help("remove the limit to use the default, or give a positive number"));
    }
    Ok(l)
}

fn log_config(ctx: &Ctx, raw: &RawLog) -> Result<LogConfig, ConfigError> {
    let format = match &raw.format {
        None => LogFormat::Combined,
        Some(f) => match f.get_ref().as_str() {
            "combined" => LogFormat::Combined,
            "json" => LogFormat::Json,
            "off" => LogFormat::Off,
            other => return ctx.err(f.span(), format!("unknown log format `{other}`"), "write `format = \"combined\"`, \"json\" or \"off\""),
        },
    };
    Ok(LogConfig { format, file: raw.file.as_ref().map(|f| ctx.path(f.get_ref())) })
}

fn route_config(ctx: &Ctx, spanned: &Spanned<RawRoute>, users: &[super::User]) -> Result<RouteConfig, ConfigError> {
    let raw = spanned.get_ref();
    let prefix = raw.prefix.get_ref();
    if !prefix.starts_with('/') {
        return ctx.err(raw.prefix.span(), format!("the prefix `{prefix}` does not start with `/`"), format!("write `prefix = \"/{prefix}\"`"));
    }
    if let Some(bad) = prefix.chars().find(|c| !(c.is_ascii_graphic()) || matches!(c, '%' | '?' | '#')) {
        return ctx.err(
            raw.prefix.span(),
            format!("the prefix `{prefix}` contains `{}`", bad.escape_debug()),
            "prefixes are plain ASCII path segments without %, ?, # or spaces",
        );
    }
    let handlers = [raw.static_files.is_some(), raw.respond.is_some(), raw.webdav.is_some(), raw.proxy.is_some()];
    let count = handlers.iter().filter(|h| **h).count();
    if count == 0 {
        return ctx.err(
            raw.prefix.span(),
            format!("the route `{prefix}` has no handler"),
            "add one of `static = { root = \"site\" }`, `respond = { status = 200, body = \"ok\" }`, `webdav = { root = \"dav\" }` or `proxy = { upstream = \"http://127.0.0.1:9000\" }`",
        );
    }
    if count > 1 {
        return ctx.err(raw.prefix.span(), format!("the route `{prefix}` has more than one handler"), "keep exactly one of `static`, `respond`, `webdav` or `proxy` per route");
    }
    let handler = if let Some(s) = &raw.static_files {
        HandlerConfig::Static(static_config(ctx, s.get_ref())?)
    } else if let Some(r) = &raw.respond {
        HandlerConfig::Respond(respond_config(ctx, r)?)
    } else if let Some(w) = &raw.webdav {
        HandlerConfig::WebDav(super::access::webdav(ctx, w.get_ref())?)
    } else if let Some(p) = &raw.proxy {
        HandlerConfig::Proxy(super::proxy::proxy(ctx, p.get_ref())?)
    } else {
        unreachable!("exactly one handler was checked above")
    };
    let auth = match &raw.auth {
        None => None,
        Some(a) => Some(super::access::auth(ctx, a.get_ref(), users, a.span())?),
    };
    if let HandlerConfig::WebDav(w) = &handler {
        if !w.read_only && !w.anonymous_write && users.is_empty() {
            return ctx.err(
                raw.prefix.span(),
                format!("the webdav route `{prefix}` accepts writes only from logged-in users, but no [[user]] is defined"),
                "add a [[user]] (password_hash from `methodical hash-password`), or set `anonymous_write = true` or `read_only = true`",
            );
        }
    }
    let purge = match &raw.purge {
        None => None,
        Some(p) => Some(super::proxy::purge(ctx, p.get_ref())?),
    };
    if raw.extensions.iter().any(|e| e.is_empty() || e.chars().any(|c| c.is_whitespace() || c == '"')) {
        return ctx.err(raw.prefix.span(), "an entry of `extensions` is not an extension identifier", "write absolute URIs, e.g. `extensions = [\"http://schemas.xmlsoap.org/soap/envelope/\"]`");
    }
    let max_body = match &raw.max_body {
        Some(s) => size(ctx, s, "max_body")?,
        None => match handler {
            HandlerConfig::WebDav(_) => super::DEFAULT_MAX_UPLOAD,
            HandlerConfig::Proxy(_) => super::DEFAULT_MAX_PROXY_BODY,
            _ => DEFAULT_MAX_BODY,
        },
    };
    let host = match &raw.host {
        None => None,
        Some(h) => Some(host_pattern(ctx, h)?),
    };
    Ok(RouteConfig {
        prefix: prefix.clone(),
        host,
        handler,
        auth,
        purge,
        compress: raw.compress,
        extensions: raw.extensions.clone(),
        max_body,
        planned: planned_methods(ctx, &raw.planned_methods)?,
        line: ctx.line(&raw.prefix.span()),
    })
}

fn host_pattern(ctx: &Ctx, raw: &Spanned<String>) -> Result<String, ConfigError> {
    let h = raw.get_ref().to_ascii_lowercase();
    let name = h.strip_prefix("*.").unwrap_or(&h);
    let ok = !name.is_empty() && name.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if ok {
        Ok(h)
    } else {
        ctx.err(raw.span(), format!("`{}` is not a host name", raw.get_ref()), "write `host = \"example.org\"` or `host = \"*.example.org\"`")
    }
}

fn static_config(ctx: &Ctx, raw: &RawStatic) -> Result<StaticConfig, ConfigError> {
    let root = ctx.path(raw.root.get_ref());
    if !root.is_dir() {
        return ctx.err(
            raw.root.span(),
            format!("the static root `{}` (resolved to {}) is not a folder", raw.root.get_ref(), root.display()),
            "create the folder, or give an existing one; relative paths are relative to the configuration file's folder",
        );
    }
    Ok(StaticConfig { root, index: raw.index.clone().unwrap_or_else(|| vec!["index.html".into()]), browse: raw.browse })
}

fn respond_config(ctx: &Ctx, spanned: &Spanned<RawRespond>) -> Result<RespondConfig, ConfigError> {
    let raw = spanned.get_ref();
    let status = match &raw.status {
        None => StatusCode::OK,
        Some(s) => match StatusCode::from_u16(*s.get_ref()) {
            Ok(code) if code.as_u16() >= 200 => code,
            _ => return ctx.err(s.span(), format!("{} is not a final status code", s.get_ref()), "write a status from 200 to 999, e.g. `status = 503`"),
        },
    };
    let methods = match &raw.methods {
        None => None,
        Some(list) if list.get_ref().iter().any(|m| m == "*") => None,
        Some(list) => {
            let mut out = Vec::new();
            for m in list.get_ref() {
                out.push(method(ctx, m, list.span())?);
            }
            if out.is_empty() {
                return ctx.err(list.span(), "`methods` is empty", "list the methods answered, e.g. `methods = [\"GET\", \"POST\"]`, or `[\"*\"]` for all");
            }
            Some(out)
        }
    };
    // Without a list, successful and client-error responses answer GET (and HEAD); a 5xx
    // response (maintenance) answers every request.
    let methods = match (methods, &raw.methods) {
        (None, None) if status.as_u16() < 500 => Some(vec![Method::GET]),
        (m, _) => m,
    };
    let mut headers = Vec::new();
    for (name, value) in &raw.headers {
        let n = HeaderName::from_bytes(name.as_bytes());
        let v = HeaderValue::from_str(value);
        match (n, v) {
            (Ok(n), Ok(v)) => headers.push((n, v)),
            _ => return ctx.err(spanned.span(), format!("the header `{name}: {value}` is not valid"), "header names are tokens; values are visible ASCII"),
        }
    }
    let content_type = raw.content_type.clone().unwrap_or_else(|| "text/plain; charset=utf-8".into());
    match HeaderValue::from_str(&content_type) {
        Ok(v) => headers.push((http::header::CONTENT_TYPE, v)),
        Err(_) => return ctx.err(spanned.span(), format!("`{content_type}` is not a valid content type"), "write e.g. `content_type = \"text/html; charset=utf-8\"`"),
    }
    let retry_after = match &raw.retry_after {
        None => None,
        Some(r) => Some(retry_after(ctx, r)?),
    };
    Ok(RespondConfig { status, body: raw.body.clone(), methods, headers, retry_after })
}

fn check_unique_routes(ctx: &Ctx, raw: &[Spanned<RawRoute>], routes: &[RouteConfig]) -> Result<(), ConfigError> {
    for (i, r) in routes.iter().enumerate() {
        if let Some(j) = routes[..i].iter().position(|o| o.prefix == r.prefix && o.host == r.host) {
            return ctx.err(
                raw[i].get_ref().prefix.span(),
                format!("the prefix `{}` is already used by the route on line {}", r.prefix, routes[j].line),
                "give each route a distinct prefix (or host)",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUE_EXAMPLE: &str = r#"
listen = ["127.0.0.1:8080"]
trace = false                          # TRACE off by default (405 + Allow without TRACE)
error_cache_control = "max-age=300"    # optional; Cache-Control on generated 405/501

[planned_methods]                      # 501 + Retry-After for methods being rolled out
PATCH = { retry_after = 120 }
QUERY = { retry_after = "2026-12-24T00:00:00Z" }

[[route]]
prefix = "/health"
respond = { status = 200, body = "ok", methods = ["GET", "POST"] }

[[route]]
prefix = "/maintenance/"
respond = { status = 503, body = "back soon", retry_after = 600 }

[[route]]
prefix = "/"
static = { root = "site" }
"#;

    fn base_with_site() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("site")).unwrap();
        d
    }

    fn parse_err(src: &str) -> String {
        let d = base_with_site();
        Config::parse(src, d.path()).unwrap_err().to_string()
    }

    #[test]
    fn the_issue_example_parses() {
        let d = base_with_site();
        let c = Config::parse(ISSUE_EXAMPLE, d.path()).unwrap();
        assert_eq!(c.listen, vec!["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);
        assert!(!c.trace);
        assert_eq!(c.error_cache_control.unwrap(), "max-age=300");
        assert_eq!(c.planned.len(), 2);
        assert_eq!(c.planned[0], (Method::PATCH, RetryAfter::Seconds(120)));
        assert_eq!(c.routes.len(), 3);
        let HandlerConfig::Respond(health) = &c.routes[0].handler else { panic!() };
        assert_eq!(health.methods, Some(vec![Method::GET, Method::POST]));
        let HandlerConfig::Respond(maint) = &c.routes[1].handler else { panic!() };
        assert_eq!(maint.methods, None, "a 5xx respond route answers every method");
        assert_eq!(maint.retry_after, Some(RetryAfter::Seconds(600)));
        let HandlerConfig::Static(s) = &c.routes[2].handler else { panic!() };
        assert_eq!(s.root, d.path().join("site"));
        assert_eq!(c.routes[2].line, 19);
    }

    #[test]
    fn errors_name_the_line_and_a_fix() {
        let e = parse_err("[[route]]\nprefix = \"health\"\nrespond = { body = \"ok\" }\n");
        assert!(e.starts_with("line 2, column 10: the prefix `health` does not start with `/`"), "{e}");
        assert!(e.contains("help: write `prefix = \"/health\"`"), "{e}");

        let e = parse_err("[[route]]\nprefix = \"/\"\nstatik = { root = \"site\" }\n");
        assert!(e.contains("line 3") && e.contains("unknown field `statik`"), "{e}");

        let e = parse_err("[[route]]\nprefix = \"/\"\n");
        assert!(e.contains("has no handler") && e.contains("static = { root"), "{e}");

        let e = parse_err("[[route]]\nprefix = \"/\"\nstatic = { root = \"nope\" }\n");
        assert!(e.contains("line 3") && e.contains("is not a folder"), "{e}");

        let e = parse_err("[planned_methods]\nGET = { retry_after = 5 }\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n");
        assert!(e.contains("core method") && e.contains("line 2"), "{e}");

        let e = parse_err("[planned_methods]\nPATCH = { retry_after = \"soon\" }\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n");
        assert!(e.contains("`soon` is not a date") && e.contains("RFC 3339"), "{e}");

        let e = parse_err("listen = [\"nowhere\"]\n[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n");
        assert!(e.contains("line 1") && e.contains("127.0.0.1:8080"), "{e}");

        let e = parse_err("listen = [\n");
        assert!(e.starts_with("line "), "{e}");

        let e = parse_err("[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n[[route]]\nprefix = \"/\"\nrespond = {}\n");
        assert!(e.contains("already used by the route on line 2"), "{e}");

        let e = parse_err("");
        assert!(e.contains("no routes"), "{e}");
    }

    const SITE_ROUTE: &str = "[[route]]\nprefix = \"/\"\nstatic = { root = \"site\" }\n";

    #[test]
    fn fuzz_config_key_without_value_at_the_end_has_a_message() {
        // Found by the `config` fuzz target: `tisten =` gave an error with an empty message.
        for src in ["tisten =", "listen =", "[limits]\nauth_failures ="] {
            let e = Config::parse(src, Path::new(".")).unwrap_err();
            assert!(!e.message.trim().is_empty(), "{src:?}: {e:?}");
            assert!(e.position.is_some(), "{src:?}: {e:?}");
        }
    }

    #[test]
    fn issue8_item7_auth_limits_default_to_10_failures_per_60s() {
        let d = base_with_site();
        let c = Config::parse(SITE_ROUTE, d.path()).unwrap();
        assert_eq!(c.limits.auth, super::super::AuthLimits { failures: 10, lockout: std::time::Duration::from_secs(60) });
    }

    #[test]
    fn issue8_item7_auth_limits_are_configurable() {
        let d = base_with_site();
        let src = format!("[limits]\nauth_failures = 3\nauth_lockout = \"2m\"\n{SITE_ROUTE}");
        let c = Config::parse(&src, d.path()).unwrap();
        assert_eq!(c.limits.auth.failures, 3);
        assert_eq!(c.limits.auth.lockout, std::time::Duration::from_secs(120));
        let off = Config::parse(&format!("[limits]\nauth_failures = 0\n{SITE_ROUTE}"), d.path()).unwrap();
        assert_eq!(off.limits.auth.failures, 0, "0 turns the limit off");
    }

    #[test]
    fn issue8_item7_bad_auth_limits_are_refused_with_the_line() {
        let e = parse_err(&format!("[limits]\nauth_lockout = \"0s\"\n{SITE_ROUTE}"));
        assert!(e.starts_with("line 2") && e.contains("between 1 second and 1 day") && e.contains("auth_failures = 0"), "{e}");
        let e = parse_err(&format!("[limits]\nauth_lockout = \"2d\"\n{SITE_ROUTE}"));
        assert!(e.contains("line 2"), "{e}");
        let e = parse_err(&format!("[limits]\nauth_lockout = \"25h\"\n{SITE_ROUTE}"));
        assert!(e.contains("between 1 second and 1 day"), "{e}");
        let e = parse_err(&format!("[limits]\nauth_failures = -1\n{SITE_ROUTE}"));
        assert!(e.starts_with("line 2"), "{e}");
    }
}
