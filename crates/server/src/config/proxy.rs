//! `proxy = { … }` routes and the top-level `[cache]` table.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderValue, Method, Uri};
use serde::Deserialize;
use toml::Spanned;

use super::raw::Ctx;
use super::units::{RawDuration, RawSize};
use super::ConfigError;

/// `proxy = { upstream = "http://127.0.0.1:9000", cache = true }`.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Upstream base URIs (scheme + authority, optional path prefix); several = round robin.
    pub upstreams: Vec<Uri>,
    /// Use the shared cache.
    pub cache: bool,
    /// Forward the path without the route prefix.
    pub strip_prefix: bool,
    /// Forward methods outside the IANA registry (P-1); `false` answers them 501.
    pub forward_unknown_methods: bool,
    /// Host header sent upstream instead of the client's (P-9).
    pub upstream_host: Option<HeaderValue>,
    /// The pseudonym in Via (P-4).
    pub via: String,
    /// Time to connect to an upstream.
    pub connect_timeout: Duration,
    /// Time from sending the request to the upstream's response head (504 beyond, E-10).
    pub response_timeout: Duration,
    /// An explicit method allowlist (P-1): other core methods 405, other methods 501.
    pub methods: Option<Vec<Method>>,
    /// How long a failed upstream is skipped (passive health).
    pub fail_timeout: Duration,
}

/// The shared cache (`[cache]`).
#[derive(Debug, Clone)]
pub struct CacheSettings {
    /// Memory tier bound in octets.
    pub memory: u64,
    /// Optional disk tier.
    pub disk: Option<DiskSettings>,
    /// Largest object stored.
    pub max_object: u64,
}

/// The disk tier.
#[derive(Debug, Clone)]
pub struct DiskSettings {
    /// Folder.
    pub path: PathBuf,
    /// Bound in octets.
    pub size: u64,
}

/// `purge = { allow = ["127.0.0.1/32"] }`: PURGE is implemented on the route.
#[derive(Debug, Clone)]
pub struct PurgeConfig {
    /// Networks allowed to purge.
    pub allow: Vec<Cidr>,
}

/// An address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length.
    pub len: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `::1/128` or a bare address.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, l) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = if l.is_empty() { max } else { l.trim().parse().ok()? };
        (len <= max).then_some(Cidr { addr, len })
    }

    /// Does the range contain `ip`?
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            _ => ip,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.len == 0 { 0 } else { u32::MAX << (32 - self.len) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.len == 0 { 0 } else { u128::MAX << (128 - self.len) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProxy {
    upstream: Spanned<OneOrMany>,
    #[serde(default)]
    cache: bool,
    #[serde(default)]
    strip_prefix: bool,
    forward_unknown_methods: Option<bool>,
    upstream_host: Option<Spanned<String>>,
    via: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<RawDuration>>,
    response_timeout: Option<Spanned<RawDuration>>,
    methods: Option<Spanned<Vec<String>>>,
    fail_timeout: Option<Spanned<RawDuration>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    memory: Option<Spanned<RawSize>>,
    disk: Option<Spanned<RawDisk>>,
    max_object: Option<Spanned<RawSize>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDisk {
    path: Spanned<String>,
    size: Spanned<RawSize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPurge {
    allow: Spanned<Vec<String>>,
}

pub(super) fn proxy(ctx: &Ctx, raw: &RawProxy) -> Result<ProxyConfig, ConfigError> {
    let list = match raw.upstream.get_ref() {
        OneOrMany::One(u) => vec![u.clone()],
        OneOrMany::Many(v) => v.clone(),
    };
    if list.is_empty() {
        return ctx.err(raw.upstream.span(), "`upstream` is empty", "write `upstream = \"http://127.0.0.1:9000\"`");
    }
    let mut upstreams = Vec::new();
    for u in list {
        let uri: Uri = match u.parse() {
            Ok(uri) => uri,
            Err(_) => return ctx.err(raw.upstream.span(), format!("`{u}` is not a URI"), "write `upstream = \"http://127.0.0.1:9000\"`"),
        };
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            return ctx.err(
                raw.upstream.span(),
                format!("`{u}` is not an http:// URI with a host"),
                "upstreams are reached over cleartext HTTP/1.1: write `upstream = \"http://host:port\"`",
            );
        }
        upstreams.push(uri);
    }
    let upstream_host = match &raw.upstream_host {
        None => None,
        Some(h) => match HeaderValue::from_str(h.get_ref()) {
            Ok(v) if crate::checks::valid_authority(v.as_bytes()) => Some(v),
            _ => return ctx.err(h.span(), format!("`{}` is not a host", h.get_ref()), "write `upstream_host = \"example.org\"`"),
        },
    };
    let via = match &raw.via {
        None => "methodical".to_string(),
        Some(v) if !v.get_ref().is_empty() && v.get_ref().bytes().all(methodical_policy::is_tchar) => v.get_ref().clone(),
        Some(v) => return ctx.err(v.span(), format!("`{}` is not a Via pseudonym", v.get_ref()), "write a token such as `via = \"edge-1\"`"),
    };
    let methods = match &raw.methods {
        None => None,
        Some(list) => Some(list.get_ref().iter().map(|m| super::raw::method(ctx, m, list.span())).collect::<Result<Vec<_>, _>>()?),
    };
    let dur = |d: &Option<Spanned<RawDuration>>, field: &str, default: u64| -> Result<Duration, ConfigError> {
        match d {
            None => Ok(Duration::from_secs(default)),
            Some(d) => super::raw::duration(ctx, d, field),
        }
    };
    Ok(ProxyConfig {
        upstreams,
        cache: raw.cache,
        strip_prefix: raw.strip_prefix,
        forward_unknown_methods: raw.forward_unknown_methods.unwrap_or(true),
        upstream_host,
        via,
        connect_timeout: dur(&raw.connect_timeout, "connect_timeout", 5)?,
        response_timeout: dur(&raw.response_timeout, "response_timeout", 60)?,
        methods,
        fail_timeout: dur(&raw.fail_timeout, "fail_timeout", 10)?,
    })
}

pub(super) fn cache(ctx: &Ctx, raw: &RawCache) -> Result<CacheSettings, ConfigError> {
    let memory = match &raw.memory {
        None => 256 << 20,
        Some(s) => super::raw::size(ctx, s, "memory")?,
    };
    let disk = match &raw.disk {
        None => None,
        Some(d) => {
            let d = d.get_ref();
            Some(DiskSettings { path: ctx.path(d.path.get_ref()), size: super::raw::size(ctx, &d.size, "size")? })
        }
    };
    let max_object = match &raw.max_object {
        None => 8 << 20,
        Some(s) => super::raw::size(ctx, s, "max_object")?,
    };
    Ok(CacheSettings { memory, disk, max_object })
}

pub(super) fn purge(ctx: &Ctx, raw: &RawPurge) -> Result<PurgeConfig, ConfigError> {
    let mut allow = Vec::new();
    for s in raw.allow.get_ref() {
        match Cidr::parse(s) {
            Some(c) => allow.push(c),
            None => return ctx.err(raw.allow.span(), format!("`{s}` is not an address or network"), "write e.g. `allow = [\"127.0.0.1/32\", \"::1\"]`"),
        }
    }
    Ok(PurgeConfig { allow })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr() {
        let c = Cidr::parse("127.0.0.1/32").unwrap();
        assert!(c.contains("127.0.0.1".parse().unwrap()));
        assert!(!c.contains("127.0.0.2".parse().unwrap()));
        assert!(c.contains("::ffff:127.0.0.1".parse().unwrap()));
        let n = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.9.8.7".parse().unwrap()));
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Cidr::parse("1.2.3.4/33").is_none());
        assert!(Cidr::parse("nope").is_none());
    }
}
