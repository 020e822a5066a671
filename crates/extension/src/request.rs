//! The extension declarations of one message, with the prefixed headers each
//! of them owns (RFC 2774 §3.1, §4).

use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::Method;

use crate::decl::{parse_declarations, Declaration, HeaderPrefix};
use crate::error::DeclError;
use crate::kind::DeclKind;

/// A header field reserved by a declaration's prefix: `16-copyright` for
/// `ns=16`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixedHeader {
    full_name: HeaderName,
    name: String,
    value: HeaderValue,
}

impl PrefixedHeader {
    /// The field name with the prefix and dash removed (`copyright`), in the
    /// lower case `http` stores names in.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full field name (`16-copyright`).
    pub fn full_name(&self) -> &HeaderName {
        &self.full_name
    }

    /// The field value.
    pub fn value(&self) -> &HeaderValue {
        &self.value
    }
}

/// One declaration found in a message, with the field it came from and the
/// prefixed headers it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredExtension {
    kind: DeclKind,
    declaration: Declaration,
    prefixed: Vec<PrefixedHeader>,
}

impl DeclaredExtension {
    /// The field the declaration came from.
    pub fn kind(&self) -> DeclKind {
        self.kind
    }

    /// The declaration.
    pub fn declaration(&self) -> &Declaration {
        &self.declaration
    }

    /// The header fields matching the declaration's prefix, in message order
    /// (several lines of one field appear several times). Empty when the
    /// declaration has no `ns=`.
    pub fn prefixed_headers(&self) -> &[PrefixedHeader] {
        &self.prefixed
    }

    /// The first value of the prefixed header `name` (prefix stripped,
    /// case-insensitive): `prefixed_header("SOAPAction")` finds
    /// `49-soapaction`.
    pub fn prefixed_header(&self, name: &str) -> Option<&HeaderValue> {
        self.prefixed
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| &h.value)
    }

    /// The view an [`Extension`](crate::Extension) gets of this declaration.
    pub fn binding<'a>(&'a self, base_method: &'a Method) -> Binding<'a> {
        Binding {
            declared: self,
            base_method,
        }
    }

    /// The names of the fields this declaration accounts for in the message:
    /// its prefixed headers (the declaration field itself is not included).
    pub(crate) fn prefixed_names(&self) -> impl Iterator<Item = &HeaderName> {
        self.prefixed.iter().map(|h| &h.full_name)
    }
}

/// What an [`Extension`](crate::Extension) sees of the declaration it is
/// asked to honour: the declaration, the field it came from, its prefixed
/// headers and the base method of the request.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    declared: &'a DeclaredExtension,
    base_method: &'a Method,
}

impl<'a> Binding<'a> {
    /// The field the declaration came from (`Man` or `C-Man` when an
    /// extension is asked to fulfil a mandatory request).
    pub fn kind(&self) -> DeclKind {
        self.declared.kind
    }

    /// The declaration, with its prefix and parameters.
    pub fn declaration(&self) -> &'a Declaration {
        &self.declared.declaration
    }

    /// The headers reserved by the declaration's prefix.
    pub fn prefixed_headers(&self) -> &'a [PrefixedHeader] {
        &self.declared.prefixed
    }

    /// The first value of the prefixed header `name` (prefix stripped,
    /// case-insensitive).
    pub fn prefixed_header(&self, name: &str) -> Option<&'a HeaderValue> {
        self.declared.prefixed_header(name)
    }

    /// The request method without `M-`.
    pub fn base_method(&self) -> &'a Method {
        self.base_method
    }
}

/// Every extension declaration of a request (or response) header section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestExtensions {
    declared: Vec<DeclaredExtension>,
}

/// How strictly [`RequestExtensions::collect`] treats optional declarations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Every field must parse; no prefix may be reused.
    Strict,
    /// An ultimate recipient MAY ignore optional declarations (RFC 2774 §5
    /// step 1), so a malformed `Opt`/`C-Opt` line is skipped, and a prefix
    /// reused only among optional declarations stays with the first one.
    /// Mandatory fields stay strict.
    IgnoreBadOptional,
}

impl RequestExtensions {
    /// Reads `Man`, `Opt`, `C-Man` and `C-Opt` (each may span several field
    /// lines) and attaches to every declaration the headers carrying its
    /// prefix. Header names are compared case-insensitively, prefixes
    /// exactly (`16` owns `16-x`, not `116-x`). Headers with a numeric prefix
    /// that no declaration reserves are left alone (RFC 2774 §3.1: "not
    /// defined by this specification").
    ///
    /// # Errors
    ///
    /// - a field that does not parse, or lists no declaration:
    ///   [`DeclError::InField`] wrapping the problem;
    /// - a prefix declared twice in the message: [`DeclError::PrefixReused`]
    ///   (RFC 2774 §3.1: MUST NOT be reused unless the extension allows it;
    ///   this crate cannot know that, so it refuses).
    pub fn from_headers(headers: &HeaderMap) -> Result<RequestExtensions, DeclError> {
        RequestExtensions::collect(headers, Strictness::Strict)
    }

    pub(crate) fn collect(
        headers: &HeaderMap,
        strictness: Strictness,
    ) -> Result<RequestExtensions, DeclError> {
        let lenient = strictness == Strictness::IgnoreBadOptional;
        let mut declared: Vec<DeclaredExtension> = Vec::new();
        for kind in DeclKind::ALL {
            let mut lines = headers.get_all(kind.header()).iter().peekable();
            if lines.peek().is_none() {
                continue;
            }
            let may_skip = lenient && !kind.is_mandatory();
            let mut found = Vec::new();
            for line in lines {
                match parse_declarations(line.as_bytes()) {
                    Ok(decls) => found.extend(decls),
                    Err(_) if may_skip => {}
                    Err(e) => return Err(e.in_field(kind.header_name())),
                }
            }
            if found.is_empty() && !may_skip {
                return Err(DeclError::EmptyField {
                    field: kind.header_name(),
                });
            }
            declared.extend(found.into_iter().map(|declaration| DeclaredExtension {
                kind,
                declaration,
                prefixed: Vec::new(),
            }));
        }

        check_prefixes(&mut declared, lenient)?;

        for (name, value) in headers {
            let Some((index, stripped)) = owner_of(&declared, name.as_str()) else {
                continue;
            };
            let stripped = stripped.to_owned();
            declared[index].prefixed.push(PrefixedHeader {
                full_name: name.clone(),
                name: stripped,
                value: value.clone(),
            });
        }
        Ok(RequestExtensions { declared })
    }

    /// Every declaration, in the order `Man`, `Opt`, `C-Man`, `C-Opt`, and in
    /// message order within a field.
    pub fn all(&self) -> &[DeclaredExtension] {
        &self.declared
    }

    /// The `Man` and `C-Man` declarations.
    pub fn mandatory(&self) -> impl Iterator<Item = &DeclaredExtension> {
        self.declared.iter().filter(|d| d.kind.is_mandatory())
    }

    /// The `C-Man` and `C-Opt` declarations.
    pub fn hop_by_hop(&self) -> impl Iterator<Item = &DeclaredExtension> {
        self.declared.iter().filter(|d| d.kind.is_hop_by_hop())
    }

    /// The declarations of one field.
    pub fn of_kind(&self, kind: DeclKind) -> impl Iterator<Item = &DeclaredExtension> {
        self.declared.iter().filter(move |d| d.kind == kind)
    }

    /// Whether there is at least one `Man` or `C-Man` declaration, which makes
    /// a request a mandatory request (RFC 2774 §5).
    pub fn is_mandatory_request(&self) -> bool {
        self.mandatory().next().is_some()
    }

    /// Whether the message declares nothing.
    pub fn is_empty(&self) -> bool {
        self.declared.is_empty()
    }

    /// The declaration that reserves `prefix`, if any.
    pub fn by_prefix(&self, prefix: &HeaderPrefix) -> Option<&DeclaredExtension> {
        self.declared
            .iter()
            .find(|d| d.declaration.prefix.as_ref() == Some(prefix))
    }
}

/// Refuses a prefix declared twice. In lenient mode a reuse among optional
/// declarations only is tolerated: the later optional one loses its prefix
/// (so it owns no header) instead of failing the request.
fn check_prefixes(declared: &mut [DeclaredExtension], lenient: bool) -> Result<(), DeclError> {
    for i in 0..declared.len() {
        let Some(prefix) = declared[i].declaration.prefix.clone() else {
            continue;
        };
        let Some(j) = declared[..i]
            .iter()
            .position(|d| d.declaration.prefix.as_ref() == Some(&prefix))
        else {
            continue;
        };
        let (first, second) = (&declared[j], &declared[i]);
        if lenient && !first.kind.is_mandatory() && !second.kind.is_mandatory() {
            declared[i].declaration.prefix = None;
            continue;
        }
        return Err(DeclError::PrefixReused {
            prefix: prefix.as_str().to_owned(),
            first: format!("{} {}", first.kind, first.declaration.id),
            second: format!("{} {}", second.kind, second.declaration.id),
        });
    }
    Ok(())
}

/// Index of the declaration whose prefix `field_name` carries, and the name
/// with that prefix removed. Prefixes are unique by now, so at most one
/// declaration matches.
fn owner_of<'n>(declared: &[DeclaredExtension], field_name: &'n str) -> Option<(usize, &'n str)> {
    // Cheap filter first: prefixed names start with a digit.
    if !field_name
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    declared.iter().enumerate().find_map(|(i, d)| {
        let prefix = d.declaration.prefix.as_ref()?;
        prefix.strip_from(field_name).map(|rest| (i, rest))
    })
}

#[cfg(test)]
mod tests;
