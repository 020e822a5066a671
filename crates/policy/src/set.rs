//! [`MethodSet`]: a small ordered set of methods, rendered the way `Allow` is written.

use std::fmt;

use http::{HeaderValue, Method};

/// A set of request methods, kept in the order methodical writes `Allow` (M-9): GET, HEAD,
/// POST, PUT, DELETE, OPTIONS, TRACE, then every other method in byte order (A–Z).
///
/// Sets are tiny (a route rarely has more than a dozen methods), so a sorted vector beats any
/// hashing; comparison is byte-exact (`get` and `GET` are different methods, M-2).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct MethodSet {
    methods: Vec<Method>,
}

/// Position of a method in `Allow` order: core methods first, in the digest's order.
fn rank(method: &Method) -> (u8, &[u8]) {
    let core = match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::OPTIONS => 5,
        Method::TRACE => 6,
        _ => 7,
    };
    (core, method.as_str().as_bytes())
}

impl MethodSet {
    /// The empty set. An empty `Allow` is legal: the resource allows nothing right now (M-9).
    pub fn new() -> MethodSet {
        MethodSet::default()
    }

    /// Adds `method`; returns false when it was already there.
    pub fn insert(&mut self, method: Method) -> bool {
        match self.methods.binary_search_by(|m| rank(m).cmp(&rank(&method))) {
            Ok(_) => false,
            Err(at) => {
                self.methods.insert(at, method);
                true
            }
        }
    }

    /// Removes `method`; returns false when it was not there.
    pub fn remove(&mut self, method: &Method) -> bool {
        match self.methods.binary_search_by(|m| rank(m).cmp(&rank(method))) {
            Ok(at) => {
                self.methods.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Is `method` in the set? Byte-exact.
    pub fn contains(&self, method: &Method) -> bool {
        self.methods.iter().any(|m| m == method)
    }

    /// The methods in `Allow` order.
    pub fn iter(&self) -> impl Iterator<Item = &Method> {
        self.methods.iter()
    }

    /// Number of methods.
    pub fn len(&self) -> usize {
        self.methods.len()
    }

    /// No methods at all.
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }

    /// Adds every method of `other`.
    pub fn extend_from(&mut self, other: &MethodSet) {
        for m in other.iter() {
            self.insert(m.clone());
        }
    }

    /// This set with `without` removed.
    pub fn without(&self, without: &Method) -> MethodSet {
        let mut set = self.clone();
        set.remove(without);
        set
    }

    /// The set as `Allow` advertises it (M-9, M-10 [project decision]): OPTIONS is always
    /// there, and HEAD whenever GET is.
    pub fn as_allow(&self) -> MethodSet {
        let mut set = self.clone();
        if set.contains(&Method::GET) {
            set.insert(Method::HEAD);
        }
        set.insert(Method::OPTIONS);
        set
    }

    /// The `Allow` field value: `GET, HEAD, OPTIONS`.
    pub fn to_header_value(&self) -> HeaderValue {
        // Method tokens are tchar-only, so the joined string is always a valid field value.
        HeaderValue::from_str(&self.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

impl fmt::Display for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.methods.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{self}}}")
    }
}

impl FromIterator<Method> for MethodSet {
    fn from_iter<I: IntoIterator<Item = Method>>(iter: I) -> MethodSet {
        let mut set = MethodSet::new();
        for m in iter {
            set.insert(m);
        }
        set
    }
}

impl<'a> IntoIterator for &'a MethodSet {
    type Item = &'a Method;
    type IntoIter = std::slice::Iter<'a, Method>;

    fn into_iter(self) -> Self::IntoIter {
        self.methods.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Method {
        Method::from_bytes(s.as_bytes()).unwrap()
    }

    #[test]
    fn m9_allow_order_core_first_then_a_to_z() {
        let set: MethodSet = ["UNLOCK", "PROPFIND", "OPTIONS", "COPY", "GET", "DELETE", "PUT", "HEAD", "TRACE", "POST"]
            .iter()
            .map(|s| m(s))
            .collect();
        assert_eq!(set.to_string(), "GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, COPY, PROPFIND, UNLOCK");
    }

    #[test]
    fn m9_allow_always_has_options_and_head_with_get() {
        let set = MethodSet::from_iter([Method::GET]);
        assert_eq!(set.as_allow().to_string(), "GET, HEAD, OPTIONS");
        let post_only = MethodSet::from_iter([Method::POST]);
        assert_eq!(post_only.as_allow().to_string(), "POST, OPTIONS");
        assert_eq!(MethodSet::new().to_header_value(), "");
    }

    #[test]
    fn m2_case_variants_are_distinct_members() {
        let mut set = MethodSet::from_iter([Method::GET]);
        assert!(!set.contains(&m("get")));
        assert!(set.insert(m("get")));
        assert_eq!(set.len(), 2);
        assert!(!set.insert(Method::GET));
        assert!(set.remove(&m("get")));
        assert!(!set.remove(&m("get")));
    }
}
