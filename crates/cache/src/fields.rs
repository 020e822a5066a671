//! Header-field helpers shared by the storing and freshening code: which fields a cache
//! must not store or copy (C-14, P-3), and small accessors.

use http::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION};

use crate::directives::split_list;

/// Fields that are hop-by-hop even when `Connection` does not list them (RFC 9110 §7.6.1),
/// plus the proxy-specific ones a cache must not store (RFC 9111 §3.1).
const NEVER_STORED: [&str; 9] = [
    "connection",
    "proxy-connection",
    "keep-alive",
    "te",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authentication-info",
    "proxy-authorization",
];

/// Names listed in every `Connection` line, lower-cased (RFC 9110 §7.6.1).
pub fn connection_options(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(|v| split_list(v.as_bytes()))
        .filter_map(|opt| HeaderName::from_bytes(opt).ok())
        .collect()
}

/// True for a field a shared cache must not store or copy from a 304: `Connection`, the
/// fields it lists, the other hop-by-hop fields, and the proxy authentication fields
/// (RFC 9111 §3.1, C-14).
pub fn is_unstorable(name: &HeaderName, connection_listed: &[HeaderName]) -> bool {
    NEVER_STORED.contains(&name.as_str()) || connection_listed.contains(name)
}

/// Copies `headers` without the fields [`is_unstorable`] names, keeping every other line,
/// repeated ones included, in their order.
pub fn storable_headers(headers: &HeaderMap) -> HeaderMap {
    let listed = connection_options(headers);
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !is_unstorable(name, &listed) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The first line of `name`, as bytes.
pub fn first<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a [u8]> {
    headers.get(name).map(HeaderValue::as_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c14_connection_listed_hop_by_hop_and_proxy_fields_are_dropped() {
        let mut h = HeaderMap::new();
        h.append("connection", HeaderValue::from_static("a, B"));
        h.append("a", HeaderValue::from_static("1"));
        h.append("b", HeaderValue::from_static("2"));
        h.append("c", HeaderValue::from_static("3"));
        for n in [
            "keep-alive",
            "proxy-connection",
            "te",
            "transfer-encoding",
            "upgrade",
            "proxy-authenticate",
            "proxy-authentication-info",
            "proxy-authorization",
        ] {
            h.append(HeaderName::from_static(n), HeaderValue::from_static("x"));
        }
        h.append("set-cookie", HeaderValue::from_static("a=b"));
        h.append("set-cookie", HeaderValue::from_static("c=d"));
        let kept = storable_headers(&h);
        let names: Vec<_> = kept.iter().map(|(n, v)| (n.as_str(), v.to_str().unwrap())).collect();
        assert_eq!(names, [("c", "3"), ("set-cookie", "a=b"), ("set-cookie", "c=d")]);
    }
}
