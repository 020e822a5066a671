//! Extension declarations (RFC 2774 §3, §3.1): the values of `Man`, `Opt`,
//! `C-Man` and `C-Opt`.
//!
//! ```text
//! ext-decl        = <"> ( absoluteURI | field-name ) <">
//!                   [ namespace ] [ decl-extensions ]
//! namespace       = ";" "ns" "=" header-prefix
//! header-prefix   = 2*DIGIT
//! decl-extensions = *( decl-ext )
//! decl-ext        = ";" token [ "=" ( token | quoted-string ) ]
//! ```
//!
//! A field value is a comma list `1#ext-decl`. As HTTP lists are read today
//! (RFC 9110 §5.6), OWS is allowed around `,`, `;` and `=`, and empty list
//! elements and empty parameters (`;;`) are ignored. `ns` is recognised
//! case-insensitively (RFC 2068 literals are case-insensitive) and in any
//! parameter position, but only once per declaration.

use std::fmt;
use std::str::FromStr;

use crate::error::{describe_bytes, describe_octet, DeclError};
use crate::syntax::{
    is_ows, is_qdtext, is_quoted_pair_char, is_tchar, is_token, split_list, write_quoted,
};

/// What an extension declaration names: a globally unique absolute URI, or the
/// name of a header field defined in an IETF standards-track RFC.
///
/// RFC 2774 §3 tells the two apart by the presence of a colon. Build values
/// with [`ExtensionId::parse`]; a hand-built variant is not validated and may
/// print as something that does not parse back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtensionId {
    /// An absolute URI, e.g. `http://schemas.xmlsoap.org/soap/envelope/`.
    /// Compared octet for octet.
    Uri(String),
    /// A field-name, e.g. `Range`. Compared case-insensitively.
    Field(String),
}

impl ExtensionId {
    /// Validates an identifier as it appears between the quotes.
    ///
    /// # Errors
    ///
    /// [`DeclError::EmptyIdentifier`], [`DeclError::InvalidUri`] or
    /// [`DeclError::InvalidFieldName`].
    pub fn parse(id: &str) -> Result<ExtensionId, DeclError> {
        parse_id(id.as_bytes(), 0)
    }

    /// The identifier without quotes.
    pub fn as_str(&self) -> &str {
        match self {
            ExtensionId::Uri(s) | ExtensionId::Field(s) => s,
        }
    }

    /// Whether this is the URI form.
    pub fn is_uri(&self) -> bool {
        matches!(self, ExtensionId::Uri(_))
    }

    /// Whether `self` and `other` name the same extension: URIs compare
    /// exactly, field-names case-insensitively, and a URI never equals a
    /// field-name.
    pub fn same_extension(&self, other: &ExtensionId) -> bool {
        match (self, other) {
            (ExtensionId::Uri(a), ExtensionId::Uri(b)) => a == b,
            (ExtensionId::Field(a), ExtensionId::Field(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }
}

impl fmt::Display for ExtensionId {
    /// Prints the identifier in double quotes, as in a declaration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.as_str())
    }
}

impl FromStr for ExtensionId {
    type Err = DeclError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExtensionId::parse(s)
    }
}

/// A header prefix (`header-prefix = 2*DIGIT`): the `NN` of `ns=NN`, which
/// reserves every header field whose name starts with `NN-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderPrefix(String);

impl HeaderPrefix {
    /// Validates a prefix: two or more ASCII digits.
    ///
    /// # Errors
    ///
    /// [`DeclError::PrefixNotDigits`] or [`DeclError::PrefixTooShort`].
    pub fn new(prefix: &str) -> Result<HeaderPrefix, DeclError> {
        parse_prefix(prefix.as_bytes())
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// If `field_name` is `NN-rest` for exactly this prefix with a non-empty
    /// `rest`, returns `rest`. Comparison is on the exact digits (`16` does
    /// not own `116-x` nor `016-x`); the rest keeps its case.
    pub fn strip_from<'a>(&self, field_name: &'a str) -> Option<&'a str> {
        let rest = field_name
            .strip_prefix(self.0.as_str())?
            .strip_prefix('-')?;
        (!rest.is_empty()).then_some(rest)
    }
}

impl fmt::Display for HeaderPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HeaderPrefix {
    type Err = DeclError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HeaderPrefix::new(s)
    }
}

/// The value of a declaration parameter, kept in the form it was sent so that
/// printing gives the same declaration back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParamValue {
    /// A bare token.
    Token(String),
    /// The content of a quoted-string, with quoted-pairs already unescaped.
    Quoted(String),
}

impl ParamValue {
    /// The value as text (for `Quoted`, without quotes or escapes).
    pub fn as_str(&self) -> &str {
        match self {
            ParamValue::Token(s) | ParamValue::Quoted(s) => s,
        }
    }
}

/// A `decl-ext` parameter. RFC 2774 §3: parameters the recipient does not
/// know SHOULD be ignored, and MUST NOT be removed by proxies, so the parser
/// keeps every one of them.
///
/// Build values with [`DeclParam::new`]; hand-built values are not
/// validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeclParam {
    /// The parameter name (a token), as sent.
    pub name: String,
    /// `None` for a bare `; name`.
    pub value: Option<ParamValue>,
}

impl DeclParam {
    /// Validates a parameter.
    ///
    /// # Errors
    ///
    /// [`DeclError::ExpectedParamName`] if `name` is not a token or is `ns`
    /// (which is the namespace, see [`Declaration::prefix`]);
    /// [`DeclError::MissingParamValue`] if a token value is not a token;
    /// [`DeclError::InvalidOctet`] if a quoted value holds a control
    /// character or a non-ASCII character.
    pub fn new(name: &str, value: Option<ParamValue>) -> Result<DeclParam, DeclError> {
        if !is_token(name.as_bytes()) || name.eq_ignore_ascii_case("ns") {
            return Err(DeclError::ExpectedParamName {
                found: format!("`{}`", name.escape_default()),
                at: 0,
            });
        }
        match &value {
            Some(ParamValue::Token(t)) if !is_token(t.as_bytes()) => {
                return Err(DeclError::MissingParamValue {
                    name: name.to_owned(),
                    at: 0,
                })
            }
            Some(ParamValue::Quoted(q)) => {
                if let Some((at, b)) = q
                    .bytes()
                    .enumerate()
                    .find(|&(_, b)| !is_quoted_pair_char(b))
                {
                    return Err(DeclError::InvalidOctet {
                        found: describe_octet(b),
                        at,
                    });
                }
            }
            _ => {}
        }
        Ok(DeclParam {
            name: name.to_owned(),
            value,
        })
    }
}

impl fmt::Display for DeclParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match &self.value {
            None => Ok(()),
            Some(ParamValue::Token(t)) => write!(f, "={t}"),
            Some(ParamValue::Quoted(q)) => {
                f.write_str("=")?;
                write_quoted(f, q)
            }
        }
    }
}

/// One extension declaration: the identifier, the optional header prefix it
/// reserves, and any further parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Declaration {
    /// The extension identifier.
    pub id: ExtensionId,
    /// The prefix given by `ns=NN`, if any.
    pub prefix: Option<HeaderPrefix>,
    /// Every other parameter, in order, unknown ones included.
    pub params: Vec<DeclParam>,
}

impl Declaration {
    /// A declaration with no prefix and no parameters.
    pub fn new(id: ExtensionId) -> Declaration {
        Declaration {
            id,
            prefix: None,
            params: Vec::new(),
        }
    }

    /// Sets the header prefix.
    pub fn with_prefix(mut self, prefix: HeaderPrefix) -> Declaration {
        self.prefix = Some(prefix);
        self
    }

    /// The first parameter called `name` (case-insensitive), if any.
    pub fn param(&self, name: &str) -> Option<&DeclParam> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Declaration {
    /// The canonical form: `"id"; ns=NN; name=value; ...`, with quoted-string
    /// values re-escaped. [`parse_declarations`] reads it back unchanged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(prefix) = &self.prefix {
            write!(f, "; ns={prefix}")?;
        }
        for param in &self.params {
            write!(f, "; {param}")?;
        }
        Ok(())
    }
}

/// Parses one field line of `Man`, `Opt`, `C-Man` or `C-Opt` (a comma list
/// of declarations).
///
/// An empty list (or one with only empty elements) gives an empty vector;
/// whether that is acceptable for a field is decided by the caller (see
/// [`RequestExtensions::from_headers`](crate::RequestExtensions::from_headers)).
///
/// # Errors
///
/// The first problem found, as a [`DeclError`] whose message says what is
/// wrong and where. Never panics, whatever the input.
pub fn parse_declarations(value: &[u8]) -> Result<Vec<Declaration>, DeclError> {
    split_list(value)
        .into_iter()
        .map(|(offset, element)| Parser::new(element, offset).declaration())
        .collect()
}

/// Prints declarations as one field value, separated by `, `.
pub fn format_declarations(decls: &[Declaration]) -> String {
    decls
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cursor over one list element. Offsets in errors are `base + pos`, so
/// they count from the start of the field line.
struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Parser {
            bytes,
            pos: 0,
            base,
        }
    }

    fn at(&self) -> usize {
        self.base + self.pos
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.pos += 1;
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(b) => describe_octet(b),
            None => "the end of the declaration".to_owned(),
        }
    }

    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }

    fn declaration(mut self) -> Result<Declaration, DeclError> {
        let id = self.identifier()?;
        let mut prefix: Option<HeaderPrefix> = None;
        let mut params = Vec::new();
        loop {
            self.skip_ows();
            match self.peek() {
                None => break,
                Some(b';') => self.pos += 1,
                Some(_) => {
                    return Err(DeclError::ExpectedSeparator {
                        found: self.found(),
                        at: self.at(),
                    })
                }
            }
            self.skip_ows();
            // RFC 9110 §5.6.6 allows empty parameters (`;;` or a trailing `;`).
            if matches!(self.peek(), None | Some(b';')) {
                continue;
            }
            let name_at = self.at();
            let name = self.token();
            if name.is_empty() {
                return Err(DeclError::ExpectedParamName {
                    found: self.found(),
                    at: self.at(),
                });
            }
            // `token` only yields tchar octets, which are ASCII.
            let name = String::from_utf8_lossy(name).into_owned();
            self.skip_ows();
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_ows();
                Some(self.param_value(&name)?)
            } else {
                None
            };
            if name.eq_ignore_ascii_case("ns") {
                let new = match value {
                    Some(ParamValue::Token(digits)) => HeaderPrefix::new(&digits)?,
                    _ => return Err(DeclError::BadNamespace { at: name_at }),
                };
                if let Some(first) = &prefix {
                    return Err(DeclError::DuplicateNamespace {
                        first: first.0.clone(),
                        second: new.0,
                    });
                }
                prefix = Some(new);
            } else {
                params.push(DeclParam { name, value });
            }
        }
        Ok(Declaration { id, prefix, params })
    }

    fn identifier(&mut self) -> Result<ExtensionId, DeclError> {
        if self.peek() != Some(b'"') {
            return Err(DeclError::ExpectedQuote {
                found: self.found(),
                at: self.at(),
            });
        }
        let open = self.at();
        self.pos += 1;
        let start = self.pos;
        // The grammar is `<"> ( absoluteURI | field-name ) <">`, not a
        // quoted-string: there are no escapes, the first `"` closes it.
        let Some(len) = self.bytes[start..].iter().position(|&b| b == b'"') else {
            return Err(DeclError::UnterminatedIdentifier { at: open });
        };
        self.pos = start + len + 1;
        parse_id(&self.bytes[start..start + len], open)
    }

    fn param_value(&mut self, name: &str) -> Result<ParamValue, DeclError> {
        if self.peek() == Some(b'"') {
            return self.quoted_string().map(ParamValue::Quoted);
        }
        let value_at = self.at();
        let token = self.token();
        if token.is_empty() {
            return Err(DeclError::MissingParamValue {
                name: name.to_owned(),
                at: value_at,
            });
        }
        Ok(ParamValue::Token(
            String::from_utf8_lossy(token).into_owned(),
        ))
    }

    fn quoted_string(&mut self) -> Result<String, DeclError> {
        let open = self.at();
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(DeclError::UnterminatedQuotedString { at: open });
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c) if is_quoted_pair_char(c) => {
                            out.push(c as char);
                            self.pos += 1;
                        }
                        Some(c) => {
                            return Err(DeclError::InvalidOctet {
                                found: describe_octet(c),
                                at: self.at(),
                            })
                        }
                        None => return Err(DeclError::UnterminatedQuotedString { at: open }),
                    }
                }
                b if is_qdtext(b) => {
                    out.push(b as char);
                    self.pos += 1;
                }
                b => {
                    return Err(DeclError::InvalidOctet {
                        found: describe_octet(b),
                        at: self.at(),
                    })
                }
            }
        }
    }
}

/// Validates the octets between the quotes of an identifier; `open` is the
/// offset of the opening quote, for messages.
fn parse_id(raw: &[u8], open: usize) -> Result<ExtensionId, DeclError> {
    if raw.is_empty() {
        return Err(DeclError::EmptyIdentifier { at: open });
    }
    if raw.contains(&b':') {
        validate_absolute_uri(raw).map_err(|reason| DeclError::InvalidUri {
            id: describe_bytes(raw),
            reason,
        })?;
        // Validated URI octets are ASCII.
        Ok(ExtensionId::Uri(String::from_utf8_lossy(raw).into_owned()))
    } else {
        if let Some(&bad) = raw.iter().find(|&&b| !is_tchar(b)) {
            return Err(DeclError::InvalidFieldName {
                id: describe_bytes(raw),
                found: describe_octet(bad),
            });
        }
        Ok(ExtensionId::Field(
            String::from_utf8_lossy(raw).into_owned(),
        ))
    }
}

/// `absolute-URI = scheme ":" hier-part [ "?" query ]` (RFC 3986 §4.3), checked
/// at the octet level: a valid scheme, something after the colon, and only
/// URI characters with well-formed percent-escapes. The fragment a 2068-era
/// `absoluteURI` did not have is tolerated, since `#` is a URI character.
fn validate_absolute_uri(raw: &[u8]) -> Result<(), &'static str> {
    let colon = raw.iter().position(|&b| b == b':').ok_or("no scheme")?;
    let (scheme, rest) = (&raw[..colon], &raw[colon + 1..]);
    match scheme.split_first() {
        None => return Err("the scheme before the colon is empty"),
        Some((first, tail)) => {
            if !first.is_ascii_alphabetic()
                || !tail
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
            {
                return Err(
                    "the scheme must be a letter followed by letters, digits, `+`, `-` or `.`",
                );
            }
        }
    }
    if rest.is_empty() {
        return Err("nothing follows the scheme");
    }
    let mut i = 0;
    while i < rest.len() {
        let b = rest[i];
        if b == b'%' {
            let valid = rest
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err("a `%` is not followed by two hex digits");
            }
            i += 3;
            continue;
        }
        let uri_char = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'_' | b'~' // unreserved
                    | b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@' // gen-delims
                    | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' // sub-delims
            );
        if !uri_char {
            return Err("it contains a character that is not allowed in a URI");
        }
        i += 1;
    }
    Ok(())
}

fn parse_prefix(raw: &[u8]) -> Result<HeaderPrefix, DeclError> {
    if !raw.iter().all(u8::is_ascii_digit) {
        return Err(DeclError::PrefixNotDigits {
            prefix: describe_bytes(raw),
        });
    }
    if raw.len() < 2 {
        return Err(DeclError::PrefixTooShort {
            prefix: describe_bytes(raw),
        });
    }
    // All digits, so ASCII.
    Ok(HeaderPrefix(String::from_utf8_lossy(raw).into_owned()))
}

#[cfg(test)]
mod tests;
