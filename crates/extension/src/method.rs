//! The `M-` method prefix of mandatory requests (RFC 2774 §5).

use http::Method;

/// The method of a mandatory request without its `M-` prefix: `M-GET` →
/// `GET`, `M-PROPFIND` → `PROPFIND`.
///
/// Returns `None` when `method` is not an `M-` method:
/// - the prefix is case-sensitive, like every method name (RFC 9110 §9.1):
///   `m-get` is just an unknown method;
/// - `M-` alone, or `M-` followed by something that is not a method token,
///   has no base method;
/// - `M-M-GET` is refused too: `M-` is reserved for this framework
///   (RFC 2774 §5), so `M-GET` cannot itself be the "existing HTTP method
///   name" that the prefix is put in front of.
pub fn base_method(method: &Method) -> Option<Method> {
    let rest = method.as_str().strip_prefix("M-")?;
    if rest.is_empty() || rest.starts_with("M-") {
        return None;
    }
    Method::from_bytes(rest.as_bytes()).ok()
}

/// Whether `method` is an `M-` method, i.e. [`base_method`] finds a base.
pub fn is_m_method(method: &Method) -> bool {
    base_method(method).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Method {
        Method::from_bytes(s.as_bytes()).unwrap()
    }

    #[test]
    fn x4_base_method_strips_m_prefix() {
        assert_eq!(base_method(&m("M-GET")), Some(Method::GET));
        assert_eq!(base_method(&m("M-POST")), Some(Method::POST));
        assert_eq!(base_method(&m("M-PROPFIND")), Some(m("PROPFIND")));
        assert!(is_m_method(&m("M-PUT")));
    }

    #[test]
    fn x4_m_prefix_is_case_sensitive() {
        assert_eq!(base_method(&m("m-get")), None);
        assert_eq!(base_method(&m("m-GET")), None);
        assert!(!is_m_method(&m("m-GET")));
        // The base keeps its case: `M-get` is a mandatory `get`, an unknown method.
        assert_eq!(base_method(&m("M-get")), Some(m("get")));
    }

    #[test]
    fn x4_m_prefix_alone_or_nested_has_no_base() {
        assert_eq!(base_method(&m("M-")), None);
        assert_eq!(base_method(&m("M-M-GET")), None);
        assert_eq!(base_method(&Method::GET), None);
        assert_eq!(base_method(&m("MGET")), None);
        assert!(!is_m_method(&m("M-")));
    }
}
