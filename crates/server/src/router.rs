//! Virtual host + longest prefix → route.

use methodical_policy::RouteId;

/// Which hosts a route answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HostMatch {
    /// Every host (the default server).
    Any,
    /// One host name.
    Exact(String),
    /// `*.example.org`: any name ending in `.example.org`.
    Suffix(String),
}

#[derive(Debug, Clone)]
struct Entry {
    prefix: String,
    host: HostMatch,
    route: RouteId,
}

/// Finds the route for a host and path.
///
/// Routes for the exact host are tried first, then wildcard hosts, then routes without a
/// host (the default server); within each group the longest matching prefix wins. A prefix
/// matches whole segments: `/health` matches `/health` and `/health/x`, not `/healthy`; a
/// prefix ending in `/` also matches the path without it (`/static` for `/static/`), so the
/// handler can redirect.
#[derive(Debug, Clone, Default)]
pub struct Router {
    entries: Vec<Entry>,
}

/// A routing result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routed<'a> {
    /// The route.
    pub route: RouteId,
    /// The path below the prefix, still percent-encoded.
    pub rest: &'a str,
}

impl Router {
    /// Adds a route. `host` as validated by the configuration (lower case, optional `*.`).
    pub fn add(&mut self, prefix: &str, host: Option<&str>, route: RouteId) {
        let host = match host {
            None => HostMatch::Any,
            Some(h) => match h.strip_prefix("*.") {
                Some(suffix) => HostMatch::Suffix(format!(".{suffix}")),
                None => HostMatch::Exact(h.to_string()),
            },
        };
        self.entries.push(Entry { prefix: prefix.to_string(), host, route });
        // Longest prefix first, so the first match in a group is the best one.
        self.entries.sort_by_key(|e| std::cmp::Reverse(e.prefix.len()));
    }

    /// Routes a request. `host` is the request's host (Host field or absolute target), with
    /// or without port.
    pub fn route<'a>(&self, host: Option<&str>, path: &'a str) -> Option<Routed<'a>> {
        let host = host.map(normalize_host);
        let host = host.as_deref();
        let groups: [&dyn Fn(&HostMatch) -> bool; 3] = [
            &|m| matches!((m, host), (HostMatch::Exact(e), Some(h)) if e == h),
            &|m| matches!((m, host), (HostMatch::Suffix(s), Some(h)) if h.ends_with(s.as_str())),
            &|m| *m == HostMatch::Any,
        ];
        for in_group in groups {
            for e in self.entries.iter().filter(|e| in_group(&e.host)) {
                if let Some(rest) = match_prefix(&e.prefix, path) {
                    return Some(Routed { route: e.route, rest });
                }
            }
        }
        None
    }
}

fn normalize_host(h: &str) -> String {
    let without_port = if h.starts_with('[') {
        h.split_once(']').map_or(h, |(a, _)| a).trim_start_matches('[')
    } else {
        h.rsplit_once(':').map_or(h, |(a, _)| a)
    };
    without_port.trim_end_matches('.').to_ascii_lowercase()
}

fn match_prefix<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    if let Some(rest) = path.strip_prefix(prefix) {
        if prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/') {
            return Some(rest);
        }
        return None;
    }
    // `/static` asked of the route `/static/`.
    match prefix.strip_suffix('/') {
        Some(p) if !p.is_empty() && path == p => Some(""),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let mut r = Router::default();
        r.add("/", None, RouteId(0));
        r.add("/static/", None, RouteId(1));
        r.add("/health", None, RouteId(2));
        r.add("/", Some("example.org"), RouteId(3));
        r.add("/api/", Some("*.example.org"), RouteId(4));
        r
    }

    fn at(r: &Router, host: Option<&str>, path: &str) -> Option<(usize, String)> {
        r.route(host, path).map(|x| (x.route.0, x.rest.to_string()))
    }

    #[test]
    fn longest_prefix_by_segment() {
        let r = router();
        assert_eq!(at(&r, None, "/static/a.txt"), Some((1, "a.txt".into())));
        assert_eq!(at(&r, None, "/static"), Some((1, "".into())));
        assert_eq!(at(&r, None, "/health"), Some((2, "".into())));
        assert_eq!(at(&r, None, "/health/x"), Some((2, "/x".into())));
        assert_eq!(at(&r, None, "/healthy"), Some((0, "healthy".into())));
        assert_eq!(at(&r, None, "/"), Some((0, "".into())));
    }

    #[test]
    fn virtual_hosts_with_default_fallback() {
        let r = router();
        assert_eq!(at(&r, Some("Example.org:8080"), "/x"), Some((3, "x".into())));
        assert_eq!(at(&r, Some("example.org."), "/x"), Some((3, "x".into())));
        assert_eq!(at(&r, Some("a.example.org"), "/api/v"), Some((4, "v".into())));
        assert_eq!(at(&r, Some("a.example.org"), "/static/a"), Some((1, "a".into())), "falls back to the default server");
        assert_eq!(at(&r, Some("other"), "/x"), Some((0, "x".into())));
        let mut empty = Router::default();
        empty.add("/only/", None, RouteId(0));
        assert_eq!(at(&empty, None, "/x"), None);
    }
}
