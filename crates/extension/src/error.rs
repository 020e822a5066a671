//! Errors found while reading extension declarations.

use thiserror::Error;

/// Why a declaration field, or the set of declarations in a message, is not
/// acceptable.
///
/// The messages are written for the client: a server answers a mandatory
/// request whose declarations do not parse with `400 Bad Request` and uses
/// the `Display` text as the body. Byte offsets count from the start of the
/// field line in which the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DeclError {
    /// A list element does not start with `"`.
    #[error(
        "extension identifier must be in double quotes (found {found} at byte {at}; RFC 2774 §3)"
    )]
    ExpectedQuote {
        /// What was found instead, already formatted for the message.
        found: String,
        /// Byte offset of the offending octet.
        at: usize,
    },
    /// The opening `"` of an identifier has no closing partner.
    #[error("extension identifier opened at byte {at} has no closing double quote")]
    UnterminatedIdentifier {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// `""`.
    #[error("extension identifier at byte {at} is empty; it must be an absolute URI or a field-name (RFC 2774 §3)")]
    EmptyIdentifier {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// The identifier has a colon but is not an absolute URI.
    #[error("extension identifier `{id}` contains a colon but is not an absolute URI: {reason} (RFC 2774 §3)")]
    InvalidUri {
        /// The identifier as received (non-ASCII octets escaped).
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The identifier has no colon and is not a `token`.
    #[error("extension identifier `{id}` has no colon, so it must be a field-name (a token), but it contains {found} (RFC 2774 §3)")]
    InvalidFieldName {
        /// The identifier as received (non-ASCII octets escaped).
        id: String,
        /// The first octet that is not a `tchar`, formatted for the message.
        found: String,
    },
    /// `ns=7`: fewer than two digits.
    #[error("header prefix `{prefix}` must have at least 2 digits (RFC 2774 §3.1)")]
    PrefixTooShort {
        /// The prefix as received.
        prefix: String,
    },
    /// `ns=1a`: not only digits.
    #[error("header prefix `{prefix}` must consist of ASCII digits only (header-prefix = 2*DIGIT, RFC 2774 §3)")]
    PrefixNotDigits {
        /// The prefix as received (non-ASCII octets escaped).
        prefix: String,
    },
    /// `ns` with no value, or a quoted value.
    #[error("the `ns` parameter at byte {at} must be followed by `=` and a bare header prefix of 2 or more digits, e.g. `ns=16` (RFC 2774 §3)")]
    BadNamespace {
        /// Byte offset of the parameter name.
        at: usize,
    },
    /// `ns` appears twice in one declaration.
    #[error("the `ns` parameter appears twice in one declaration (`{first}` and `{second}`); a declaration reserves at most one header prefix")]
    DuplicateNamespace {
        /// The first prefix.
        first: String,
        /// The second prefix.
        second: String,
    },
    /// Something other than `;`, `,` or the end after a declaration part.
    #[error("unexpected {found} at byte {at}: expected `;` and a parameter, `,` and another declaration, or the end of the field")]
    ExpectedSeparator {
        /// What was found, formatted for the message.
        found: String,
        /// Its byte offset.
        at: usize,
    },
    /// `;` not followed by a token.
    #[error("expected a parameter name (a token) at byte {at}, found {found}")]
    ExpectedParamName {
        /// What was found, formatted for the message.
        found: String,
        /// Its byte offset.
        at: usize,
    },
    /// `name=` with nothing usable after it.
    #[error("parameter `{name}` has `=` but no valid value at byte {at} (a token or a quoted-string is required)")]
    MissingParamValue {
        /// The parameter name.
        name: String,
        /// Byte offset where the value should start.
        at: usize,
    },
    /// A quoted-string that never ends.
    #[error("quoted-string opened at byte {at} has no closing double quote")]
    UnterminatedQuotedString {
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// An octet that may not appear at this place (controls, obs-text).
    #[error("octet {found} at byte {at} is not allowed in an extension declaration")]
    InvalidOctet {
        /// The octet, formatted for the message (e.g. `0x07`).
        found: String,
        /// Its byte offset.
        at: usize,
    },
    /// `Man:` with no declaration at all.
    #[error("the `{field}` field must list at least one extension declaration (1#ext-decl, RFC 2774 §4)")]
    EmptyField {
        /// The field name (`Man`, `Opt`, `C-Man` or `C-Opt`).
        field: &'static str,
    },
    /// A problem inside one of the four declaration fields.
    #[error("invalid `{field}` field: {error}")]
    InField {
        /// The field name (`Man`, `Opt`, `C-Man` or `C-Opt`).
        field: &'static str,
        /// What is wrong with it.
        error: Box<DeclError>,
    },
    /// Two declarations of one message reserve the same prefix.
    #[error("header prefix `{prefix}` is declared twice in one message (by `{first}` and `{second}`); RFC 2774 §3.1 forbids reusing a prefix")]
    PrefixReused {
        /// The prefix.
        prefix: String,
        /// The first declaring field and identifier, e.g. `Man "urn:a"`.
        first: String,
        /// The second declaring field and identifier.
        second: String,
    },
    /// Man or C-Man on a request whose method lacks `M-`.
    #[error("the request carries a mandatory extension declaration ({fields}) but its method `{method}` is not `M-` followed by a method name; RFC 2774 §5 requires the `M-` prefix on mandatory requests, e.g. `M-GET`")]
    MandatoryWithoutMPrefix {
        /// The request method.
        method: String,
        /// The mandatory fields present, e.g. `Man` or `Man, C-Man`.
        fields: String,
    },
}

impl DeclError {
    /// Wraps `self` with the name of the field it was found in.
    pub(crate) fn in_field(self, field: &'static str) -> DeclError {
        DeclError::InField {
            field,
            error: Box::new(self),
        }
    }
}

/// Formats one octet for an error message: printable ASCII in backquotes,
/// anything else as hex.
pub(crate) fn describe_octet(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else if b == b' ' {
        "a space".to_owned()
    } else {
        format!("0x{b:02X}")
    }
}

/// Formats received bytes for an error message without losing non-ASCII
/// octets or control characters.
pub(crate) fn describe_bytes(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
