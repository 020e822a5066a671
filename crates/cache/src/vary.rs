//! `Vary` handling (RFC 9111 §4.1, C-12).
//!
//! A stored response remembers, for each field its `Vary` names, the request's value after
//! normalisation. Normalisation (allowed by §4.1) combines repeated lines into one list,
//! removes whitespace around the list commas and, for the `Accept*` fields whose member
//! order and case carry no meaning, lower-cases and sorts the members. A field absent from
//! both requests matches; absent from only one does not. `Vary: *` never matches, so such
//! responses are not stored at all.

use http::header::{HeaderMap, HeaderName, VARY};

use crate::directives::split_list;

/// What a response's `Vary` field says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaryRule {
    /// `*` appeared (or an element that is not a field name): no request ever matches.
    Star,
    /// The selecting field names, lower-cased, without duplicates, in order of appearance.
    Fields(Vec<HeaderName>),
}

impl VaryRule {
    /// Reads every `Vary` line of a response.
    pub fn from_response(headers: &HeaderMap) -> Self {
        let mut names: Vec<HeaderName> = Vec::new();
        for line in headers.get_all(VARY) {
            for member in split_list(line.as_bytes()) {
                if member == b"*" {
                    return VaryRule::Star;
                }
                match HeaderName::from_bytes(member) {
                    Ok(n) => {
                        if !names.contains(&n) {
                            names.push(n);
                        }
                    }
                    // An element we cannot read as a field name cannot be matched safely.
                    Err(_) => return VaryRule::Star,
                }
            }
        }
        VaryRule::Fields(names)
    }

    /// The normalised values the request gives to the selecting fields. `None` for
    /// [`VaryRule::Star`].
    pub fn key_for(&self, request: &HeaderMap) -> Option<VaryKey> {
        match self {
            VaryRule::Star => None,
            VaryRule::Fields(names) => Some(VaryKey(
                names
                    .iter()
                    .map(|n| (n.clone(), normalised_value(n, request)))
                    .collect(),
            )),
        }
    }
}

/// The selecting fields of a stored response with the normalised values its request had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaryKey(pub Vec<(HeaderName, Option<String>)>);

impl VaryKey {
    /// True when `request` presents the same normalised values for every selecting field.
    pub fn matches(&self, request: &HeaderMap) -> bool {
        self.0
            .iter()
            .all(|(name, value)| normalised_value(name, request) == *value)
    }

    /// True when no field is selecting.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Fields whose members may be reordered and lower-cased without changing their meaning.
fn is_unordered_case_insensitive(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "accept-language" | "accept-encoding" | "accept-charset"
    )
}

/// The combined, normalised value of `name` in `headers`, or `None` when absent.
pub fn normalised_value(name: &HeaderName, headers: &HeaderMap) -> Option<String> {
    let mut lines = headers.get_all(name).iter().peekable();
    lines.peek()?;
    let mut members: Vec<String> = lines
        .flat_map(|v| split_list(v.as_bytes()))
        .map(|m| {
            let s = String::from_utf8_lossy(m);
            if is_unordered_case_insensitive(name) {
                // "en ; q=0.5" and "EN;q=0.5" mean the same.
                s.split(';')
                    .map(|p| p.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join(";")
            } else {
                s.into_owned()
            }
        })
        .collect();
    if is_unordered_case_insensitive(name) {
        members.sort();
    }
    Some(members.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (n, v) in pairs {
            m.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn c12_star_anywhere_never_matches() {
        for lines in [
            vec![("vary", "*")],
            vec![("vary", "*, *")],
            vec![("vary", ", *")],
            vec![("vary", ""), ("vary", "*")],
            vec![("vary", "Foo, *")],
            vec![("vary", "*, Foo")],
        ] {
            let rule = VaryRule::from_response(&h(&lines));
            assert_eq!(rule, VaryRule::Star, "{lines:?}");
            assert!(rule.key_for(&h(&[("foo", "1")])).is_none());
        }
    }

    #[test]
    fn c12_values_must_match_and_absence_matches_only_absence() {
        let rule = VaryRule::from_response(&h(&[("vary", "Foo, Bar")]));
        let key = rule.key_for(&h(&[("foo", "1")])).unwrap();
        assert!(key.matches(&h(&[("foo", "1"), ("other", "x")])));
        assert!(!key.matches(&h(&[("foo", "2")])));
        assert!(!key.matches(&h(&[("foo", "1"), ("bar", "abc")])));
        assert!(!key.matches(&h(&[])));
    }

    #[test]
    fn c12_repeated_lines_and_whitespace_are_normalised() {
        let rule = VaryRule::from_response(&h(&[("vary", "Foo")]));
        let key = rule.key_for(&h(&[("foo", "1, 2")])).unwrap();
        assert!(key.matches(&h(&[("foo", "1"), ("foo", "2")])));
        assert!(key.matches(&h(&[("foo", " 1 ,2 ")])));
        assert!(!key.matches(&h(&[("foo", "2, 1")])), "order matters for unknown fields");
    }

    #[test]
    fn c12_accept_language_order_case_and_space_are_ignored() {
        let rule = VaryRule::from_response(&h(&[("vary", "Accept-Language")]));
        let key = rule.key_for(&h(&[("accept-language", "en, de")])).unwrap();
        assert!(key.matches(&h(&[("accept-language", "de, en")])));
        assert!(key.matches(&h(&[("accept-language", "eN, De")])));
        assert!(key.matches(&h(&[("accept-language", " en ,   de")])));
        assert!(!key.matches(&h(&[("accept-language", "fr")])));
    }
}
