//! What is known about a method before any route is consulted: whether it is one of the core
//! methods every origin recognises, and its safe / idempotent properties from the IANA HTTP
//! Method Registry.

use http::Method;

/// The methods every methodical origin route recognises (M-7 rule 1): a route that does not
/// allow one of them answers `405` + `Allow`, never `501`.
///
/// CONNECT is deliberately absent: without tunnel support it is "not implemented" (M-15).
pub const CORE_METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::OPTIONS,
    Method::TRACE,
];

/// Is `method` one of the [`CORE_METHODS`]? Comparison is byte-exact (`get` is not `GET`, M-2).
pub fn is_core(method: &Method) -> bool {
    CORE_METHODS.contains(method)
}

/// Whether a method is safe (RFC 9110 §9.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Read-only by definition: caches need not invalidate anything.
    Safe,
    /// May change state.
    Unsafe,
}

/// The registered properties of a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodProperties {
    /// Safe (RFC 9110 §9.2.1).
    pub safety: Safety,
    /// Idempotent (RFC 9110 §9.2.2): a client or proxy may repeat it automatically.
    pub idempotent: bool,
}

impl MethodProperties {
    /// Is the method safe?
    pub fn is_safe(self) -> bool {
        self.safety == Safety::Safe
    }
}

const fn props(safe: bool, idempotent: bool) -> MethodProperties {
    MethodProperties {
        safety: if safe { Safety::Safe } else { Safety::Unsafe },
        idempotent,
    }
}

/// The IANA HTTP Method Registry (plus QUERY, from draft-ietf-httpbis-safe-method-w-body),
/// with the safe and idempotent flags the registry gives. Sorted by name.
pub const REGISTERED_METHODS: &[(&str, MethodProperties)] = &[
    ("ACL", props(false, true)),
    ("BASELINE-CONTROL", props(false, true)),
    ("BIND", props(false, true)),
    ("CHECKIN", props(false, true)),
    ("CHECKOUT", props(false, true)),
    ("CONNECT", props(false, false)),
    ("COPY", props(false, true)),
    ("DELETE", props(false, true)),
    ("GET", props(true, true)),
    ("HEAD", props(true, true)),
    ("LABEL", props(false, true)),
    ("LINK", props(false, true)),
    ("LOCK", props(false, false)),
    ("MERGE", props(false, true)),
    ("MKACTIVITY", props(false, true)),
    ("MKCALENDAR", props(false, true)),
    ("MKCOL", props(false, true)),
    ("MKREDIRECTREF", props(false, true)),
    ("MKWORKSPACE", props(false, true)),
    ("MOVE", props(false, true)),
    ("OPTIONS", props(true, true)),
    ("ORDERPATCH", props(false, true)),
    ("PATCH", props(false, false)),
    ("POST", props(false, false)),
    ("PRI", props(true, true)),
    ("PROPFIND", props(true, true)),
    ("PROPPATCH", props(false, true)),
    ("PUT", props(false, true)),
    ("QUERY", props(true, true)),
    ("REBIND", props(false, true)),
    ("REPORT", props(true, true)),
    ("SEARCH", props(true, true)),
    ("TRACE", props(true, true)),
    ("UNBIND", props(false, true)),
    ("UNCHECKOUT", props(false, true)),
    ("UNLINK", props(false, true)),
    ("UNLOCK", props(false, true)),
    ("UPDATE", props(false, true)),
    ("UPDATEREDIRECTREF", props(false, true)),
    ("VERSION-CONTROL", props(false, true)),
];

/// The registered properties of `method`, or `None` for a method the registry does not list
/// (any unknown token, a case variant such as `get`, every RFC 2774 `M-` method). Callers must
/// treat `None` as unsafe and non-idempotent (RFC 9111 §4.4, RFC 9110 §9.2.2).
pub fn properties(method: &Method) -> Option<MethodProperties> {
    REGISTERED_METHODS
        .binary_search_by(|(name, _)| name.as_bytes().cmp(method.as_str().as_bytes()))
        .ok()
        .map(|i| REGISTERED_METHODS[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_for_binary_search() {
        assert!(REGISTERED_METHODS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn m2_lower_case_get_is_not_registered() {
        let get = Method::from_bytes(b"get").unwrap();
        assert_eq!(properties(&get), None);
        assert!(!is_core(&get));
        assert!(properties(&Method::GET).unwrap().is_safe());
    }

    #[test]
    fn d1_webdav_method_properties() {
        let p = |m: &str| properties(&Method::from_bytes(m.as_bytes()).unwrap()).unwrap();
        assert!(p("PROPFIND").is_safe());
        assert!(p("SEARCH").is_safe());
        assert!(!p("LOCK").idempotent, "LOCK is never retried automatically (D-1, P-2)");
        assert!(!p("MKCOL").is_safe());
        assert!(!p("POST").idempotent);
        assert!(p("PUT").idempotent);
    }

    #[test]
    fn x4_m_methods_are_unknown() {
        assert_eq!(properties(&Method::from_bytes(b"M-GET").unwrap()), None);
    }
}
