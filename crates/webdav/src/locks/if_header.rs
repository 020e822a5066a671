//! The `If` request header (RFC 4918 §10.4):
//!
//! ```text
//! If = ( 1*No-tag-list ) | ( 1*Tagged-list )
//! No-tag-list = List
//! Tagged-list = Resource-Tag 1*List
//! List = "(" 1*Condition ")"
//! Condition = ["Not"] (State-token | "[" entity-tag "]")
//! ```
//!
//! Conditions in a list are ANDed, lists are ORed, and a tagged list applies to the resource
//! its tag names. Every state token that appears counts as *submitted*, whatever the result.

/// One condition of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfCondition {
    /// `<state-token>` (lock tokens; `DAV:no-lock` never matches).
    Token {
        /// `Not` prefix.
        not: bool,
        /// The URI between the angle brackets.
        token: String,
    },
    /// `[entity-tag]`.
    ETag {
        /// `Not` prefix.
        not: bool,
        /// The entity tag, quotes (and any `W/`) included.
        etag: String,
    },
}

/// One parenthesised list, with the resource tag it applies to (`None`: the request URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfList {
    /// The resource tag (a URL as sent), for tagged lists.
    pub tag: Option<String>,
    /// The conditions, all of which must hold.
    pub conditions: Vec<IfCondition>,
}

/// A parsed `If` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfHeader {
    /// The lists in order.
    pub lists: Vec<IfList>,
}

/// The header does not follow the grammar (answered 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed If header: {0}")]
pub struct IfParseError(pub &'static str);

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s.as_bytes()[self.i], b' ' | b'\t' | b'\r' | b'\n') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    /// Reads up to (not including) `end`, then skips it.
    fn until(&mut self, end: u8, what: &'static str) -> Result<&'a str, IfParseError> {
        let rest = &self.s[self.i..];
        let n = rest.bytes().position(|b| b == end).ok_or(IfParseError(what))?;
        self.i += n + 1;
        Ok(&rest[..n])
    }

    fn keyword_not(&mut self) -> bool {
        let rest = &self.s.as_bytes()[self.i..];
        if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"not") {
            self.i += 3;
            true
        } else {
            false
        }
    }

    /// An entity tag inside `[...]`: a quoted string may contain `]`.
    fn etag(&mut self) -> Result<String, IfParseError> {
        let start = self.i;
        if self.s[self.i..].starts_with("W/") {
            self.i += 2;
        }
        if self.peek() != Some(b'"') {
            return Err(IfParseError("entity tag must be quoted"));
        }
        self.i += 1;
        self.until(b'"', "unterminated entity tag")?;
        let etag = self.s[start..self.i].to_owned();
        self.skip_ws();
        if self.peek() != Some(b']') {
            return Err(IfParseError("missing ']' after entity tag"));
        }
        self.i += 1;
        Ok(etag)
    }
}

impl IfHeader {
    /// Parses the field value.
    pub fn parse(value: &str) -> Result<IfHeader, IfParseError> {
        let mut c = Cursor { s: value, i: 0 };
        let mut lists = Vec::new();
        let mut tag: Option<String> = None;
        let mut tagged: Option<bool> = None;
        loop {
            c.skip_ws();
            match c.peek() {
                None => break,
                Some(b'<') => {
                    c.i += 1;
                    let t = c.until(b'>', "unterminated resource tag")?.trim();
                    if t.is_empty() {
                        return Err(IfParseError("empty resource tag"));
                    }
                    if tagged == Some(false) {
                        return Err(IfParseError("tagged and untagged lists mixed"));
                    }
                    tagged = Some(true);
                    tag = Some(t.to_owned());
                    // A tag must be followed by at least one list.
                    c.skip_ws();
                    if c.peek() != Some(b'(') {
                        return Err(IfParseError("resource tag without a list"));
                    }
                }
                Some(b'(') => {
                    c.i += 1;
                    if tagged.is_none() {
                        tagged = Some(false);
                    }
                    let mut conditions = Vec::new();
                    loop {
                        c.skip_ws();
                        let not = c.keyword_not();
                        if not {
                            c.skip_ws();
                        }
                        match c.peek() {
                            Some(b'<') => {
                                c.i += 1;
                                let token = c.until(b'>', "unterminated state token")?.trim().to_owned();
                                if token.is_empty() {
                                    return Err(IfParseError("empty state token"));
                                }
                                conditions.push(IfCondition::Token { not, token });
                            }
                            Some(b'[') => {
                                c.i += 1;
                                c.skip_ws();
                                let etag = c.etag()?;
                                conditions.push(IfCondition::ETag { not, etag });
                            }
                            Some(b')') if !not => {
                                c.i += 1;
                                break;
                            }
                            _ => return Err(IfParseError("expected a state token, an entity tag or ')'")),
                        }
                    }
                    if conditions.is_empty() {
                        return Err(IfParseError("empty list"));
                    }
                    lists.push(IfList { tag: tag.clone(), conditions });
                }
                Some(_) => return Err(IfParseError("unexpected character")),
            }
        }
        if lists.is_empty() {
            return Err(IfParseError("no list"));
        }
        Ok(IfHeader { lists })
    }

    /// Every state token in the header (they count as submitted, RFC 4918 §10.4.1).
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.lists.iter().flat_map(|l| l.conditions.iter()).filter_map(|c| match c {
            IfCondition::Token { token, .. } => Some(token.as_str()),
            IfCondition::ETag { .. } => None,
        })
    }

    /// Evaluates the header: true when at least one list has all its conditions true.
    /// `holds(tag, condition)` says whether a single (non-negated) condition matches the
    /// resource the tag names (`None` = the request URI).
    pub fn evaluate(&self, mut holds: impl FnMut(Option<&str>, &IfCondition) -> bool) -> bool {
        self.lists.iter().any(|list| {
            list.conditions.iter().all(|c| {
                let not = match c {
                    IfCondition::Token { not, .. } | IfCondition::ETag { not, .. } => *not,
                };
                holds(list.tag.as_deref(), c) != not
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d11_parses_untagged_and_tagged_lists() {
        let h = IfHeader::parse("(<urn:uuid:1> [\"e1\"]) (Not <DAV:no-lock>)").unwrap();
        assert_eq!(h.lists.len(), 2);
        assert_eq!(h.lists[0].conditions[1], IfCondition::ETag { not: false, etag: "\"e1\"".into() });
        assert_eq!(h.lists[1].conditions[0], IfCondition::Token { not: true, token: "DAV:no-lock".into() });
        assert_eq!(h.tokens().collect::<Vec<_>>(), ["urn:uuid:1", "DAV:no-lock"]);

        let h = IfHeader::parse("<http://h/dav/a> (<urn:uuid:1>) ([W/\"x]\"]) <http://h/dav/b> (Not[\"y\"])").unwrap();
        assert_eq!(h.lists.len(), 3);
        assert_eq!(h.lists[1].tag.as_deref(), Some("http://h/dav/a"));
        assert_eq!(h.lists[1].conditions[0], IfCondition::ETag { not: false, etag: "W/\"x]\"".into() });
        assert_eq!(h.lists[2].tag.as_deref(), Some("http://h/dav/b"));
    }

    #[test]
    fn d11_rejects_malformed_headers() {
        for bad in ["", "()", "(<a>", "<http://x> ", "(<a>) <http://x> (<b>)", "([e])", "(Not)", "x", "(<>)"] {
            assert!(IfHeader::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn d11_lists_or_conditions_and_not_inverts() {
        let h = IfHeader::parse("(<a> <b>) (Not <c>)").unwrap();
        let eval = |set: &[&str]| {
            h.evaluate(|_, c| match c {
                IfCondition::Token { token, .. } => set.contains(&token.as_str()),
                IfCondition::ETag { .. } => false,
            })
        };
        assert!(eval(&["a", "b", "c"]));
        assert!(!eval(&["a", "c"]));
        assert!(eval(&[]));
    }
}
