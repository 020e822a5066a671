//! Prometheus metrics, served on the admin listener. Besides the usual request, latency,
//! byte and connection figures, methodical counts which methods clients asked for and got
//! 501: the list that decides what to implement next (and to declare planned).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use http::Method;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// How many distinct method names get their own unimplemented-method series; the rest are
/// counted as `other`, so a client inventing methods cannot grow memory without bound.
pub const MAX_METHOD_SERIES: usize = 50;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method_class: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabel {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: String,
}

type HistogramFamily = Family<RouteLabel, Histogram, fn() -> Histogram>;

/// Metric handles of one route; see [`Metrics::route`].
pub struct RouteMetrics {
    route: String,
    duration: Histogram,
    bytes: Counter,
    requests: Family<RequestLabels, Counter>,
    /// (method class, status) → counter, filled on first use.
    by_status: Mutex<Vec<(&'static str, u16, Counter)>>,
}

impl RouteMetrics {
    /// Records one answered request (`method_class` from [`method_class`], or `invalid` for
    /// a request that could not be parsed).
    pub fn request(&self, method_class: &'static str, status: u16, duration: Duration, bytes: Option<u64>) {
        {
            let mut by_status = self.by_status.lock().unwrap_or_else(|e| e.into_inner());
            match by_status.iter().find(|(c, s, _)| *c == method_class && *s == status) {
                Some((_, _, counter)) => {
                    counter.inc();
                }
                None => {
                    let labels = RequestLabels { route: self.route.clone(), method_class: method_class.to_string(), status };
                    let counter = self.requests.get_or_create(&labels).clone();
                    counter.inc();
                    by_status.push((method_class, status, counter));
                }
            }
        }
        self.duration.observe(duration.as_secs_f64());
        if let Some(b) = bytes {
            self.bytes.inc_by(b);
        }
    }
}

impl std::fmt::Debug for RouteMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RouteMetrics({})", self.route)
    }
}

/// Every metric the server keeps. One per process; survives configuration reloads.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    duration: HistogramFamily,
    bytes: Family<RouteLabel, Counter>,
    connections: Gauge<i64, std::sync::atomic::AtomicI64>,
    cache: Family<CacheLabel, Counter>,
    upstream_errors: Family<RouteLabel, Counter>,
    unimplemented: Family<MethodLabel, Counter>,
    /// Method name → its series, for the first [`MAX_METHOD_SERIES`] names seen.
    unimplemented_seen: Mutex<HashMap<String, Counter>>,
}

fn latency_histogram() -> Histogram {
    // 100 µs … ~3.3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// The class of a method for the request counter: `read` (GET, HEAD), `safe` (other safe
/// registered methods), `write` (unsafe registered methods), `unknown`.
pub fn method_class(method: &Method) -> &'static str {
    match methodical_policy::properties(method) {
        _ if *method == Method::GET || *method == Method::HEAD => "read",
        Some(p) if p.is_safe() => "safe",
        Some(_) => "write",
        None => "unknown",
    }
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("methodical");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests answered, by route, method class and status", requests.clone());
        let duration: HistogramFamily = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register("request_duration_seconds", "Time to the response head, by route", duration.clone());
        let bytes = Family::<RouteLabel, Counter>::default();
        registry.register("response_body_bytes", "Response content octets, by route (when the length is known)", bytes.clone());
        let connections = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        registry.register("open_connections", "Client connections currently open", connections.clone());
        let cache = Family::<CacheLabel, Counter>::default();
        registry.register("cache_responses", "Responses through a caching route, by cache result (hit, miss, stale, …)", cache.clone());
        let upstream_errors = Family::<RouteLabel, Counter>::default();
        registry.register("upstream_errors", "502 and 504 answers of proxy routes, by route", upstream_errors.clone());
        let unimplemented = Family::<MethodLabel, Counter>::default();
        registry.register(
            "unimplemented_method_requests",
            "Requests answered 501 because no handler implements the method, by method (top 50, the rest as other)",
            unimplemented.clone(),
        );
        Metrics {
            registry,
            requests,
            duration,
            bytes,
            connections,
            cache,
            upstream_errors,
            unimplemented,
            unimplemented_seen: Mutex::new(HashMap::new()),
        }
    }

    /// The metric handles of one route (`-` for requests no route answered), made once per
    /// configuration so recording a request allocates nothing.
    pub fn route(&self, route: &str) -> RouteMetrics {
        let label = RouteLabel { route: route.to_string() };
        RouteMetrics {
            route: route.to_string(),
            duration: self.duration.get_or_create(&label).clone(),
            bytes: self.bytes.get_or_create(&label).clone(),
            requests: self.requests.clone(),
            by_status: Mutex::new(Vec::new()),
        }
    }

    /// A 501 because nothing implements `method` (planned methods included).
    pub fn unimplemented(&self, method: &Method) {
        let name = method.as_str();
        let mut seen = self.unimplemented_seen.lock().unwrap_or_else(|e| e.into_inner());
        // Found without allocating once a method has been seen: every 501 passes here.
        if let Some(counter) = seen.get(name) {
            counter.inc();
            return;
        }
        let label = if seen.len() < MAX_METHOD_SERIES { name } else { "other" };
        let counter = self.unimplemented.get_or_create(&MethodLabel { method: label.to_string() }).clone();
        counter.inc();
        if seen.len() < MAX_METHOD_SERIES {
            seen.insert(name.to_string(), counter);
        }
    }

    /// The result part of a `Cache-Status` answer (`hit`, `miss`, `stale`, …).
    pub fn cache_result(&self, result: &str) {
        self.cache.get_or_create(&CacheLabel { result: result.to_string() }).inc();
    }

    /// A 502 or 504 of a proxy route.
    pub fn upstream_error(&self, route: &str) {
        self.upstream_errors.get_or_create(&RouteLabel { route: route.to_string() }).inc();
    }

    /// A client connection opened (`+1`) or closed (`-1`).
    pub fn connection(&self, delta: i64) {
        self.connections.inc_by(delta);
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The cache result named by a `Cache-Status` value such as `methodical; fwd=miss; stored`
/// or `methodical; hit`.
pub fn cache_result(cache_status: &str) -> Option<&str> {
    let params = cache_status.split(';').skip(1).map(str::trim);
    for p in params {
        if p == "hit" {
            return Some("hit");
        }
        if let Some(fwd) = p.strip_prefix("fwd=") {
            return Some(fwd);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unimplemented_methods_are_capped() {
        let m = Metrics::new();
        for i in 0..60 {
            m.unimplemented(&Method::from_bytes(format!("M{i}").as_bytes()).unwrap());
        }
        m.unimplemented(&Method::from_bytes(b"M0").unwrap());
        let text = m.encode();
        assert!(text.contains("methodical_unimplemented_method_requests_total{method=\"M0\"} 2"), "{text}");
        assert!(text.contains("methodical_unimplemented_method_requests_total{method=\"other\"} 10"), "{text}");
        assert_eq!(text.matches("methodical_unimplemented_method_requests_total{").count(), 51);
    }

    #[test]
    fn classes_and_cache_results() {
        assert_eq!(method_class(&Method::GET), "read");
        assert_eq!(method_class(&Method::from_bytes(b"PROPFIND").unwrap()), "safe");
        assert_eq!(method_class(&Method::POST), "write");
        assert_eq!(method_class(&Method::from_bytes(b"FOO").unwrap()), "unknown");
        assert_eq!(cache_result("methodical; hit"), Some("hit"));
        assert_eq!(cache_result("methodical; fwd=miss; stored"), Some("miss"));
        assert_eq!(cache_result("methodical"), None);
    }
}
