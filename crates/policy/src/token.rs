//! The method token itself (M-1, M-3), checked before anything else looks at it.

/// The longest method methodical reads (M-3). RFC 9112 §3: a server that receives a method
/// longer than any it implements SHOULD answer 501; the longest registered method
/// (`UPDATEREDIRECTREF`) has 17 octets, so 64 leaves room for every real extension method.
pub const MAX_METHOD_LEN: usize = 64;

/// Why a method is not acceptable as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodTokenError {
    /// The method is empty.
    Empty,
    /// The octet at this index is not a `tchar` (RFC 9110 §5.6.2): the request-line is
    /// malformed (M-1, answered 400).
    InvalidOctet {
        /// Index of the first offending octet.
        index: usize,
        /// The octet.
        octet: u8,
    },
    /// Longer than [`MAX_METHOD_LEN`]: answered 501 and the connection closed (M-3).
    TooLong,
}

impl std::fmt::Display for MethodTokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MethodTokenError::Empty => f.write_str("the request method is empty"),
            MethodTokenError::InvalidOctet { index, octet } => write!(
                f,
                "the request method contains {} at position {}, which is not allowed in a method token (RFC 9110 §9.1)",
                describe_octet(*octet),
                index + 1
            ),
            MethodTokenError::TooLong => write!(
                f,
                "the request method is longer than {MAX_METHOD_LEN} octets; no method this server implements is that long"
            ),
        }
    }
}

impl std::error::Error for MethodTokenError {}

fn describe_octet(octet: u8) -> String {
    if octet.is_ascii_graphic() {
        format!("the character '{}'", octet as char)
    } else {
        format!("the octet 0x{octet:02X}")
    }
}

/// Is `b` a `tchar` (RFC 9110 §5.6.2)?
#[inline]
pub const fn is_tchar(b: u8) -> bool {
    // A table: this runs on every octet of every method and field name.
    TCHAR[b as usize]
}

const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8,
            b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            | b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z');
        b += 1;
    }
    table
};

/// Where the first element of a comma-separated list field value ends (RFC 9110 §5.6.1):
/// the index of the first comma outside a quoted string, `None` when the value is one
/// element. Commas inside `"a, b"` (escapes included) do not separate elements.
pub fn list_comma(value: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, &b) in value.iter().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == b',' {
            return Some(i);
        }
    }
    None
}

/// Checks a method as received: one or more `tchar`, at most [`MAX_METHOD_LEN`] octets.
/// Case is never folded (M-2): `get` passes here and is later classified as unknown.
pub fn check_method_token(method: &[u8]) -> Result<(), MethodTokenError> {
    if method.is_empty() {
        return Err(MethodTokenError::Empty);
    }
    if let Some(index) = method.iter().position(|&b| !is_tchar(b)) {
        return Err(MethodTokenError::InvalidOctet { index, octet: method[index] });
    }
    if method.len() > MAX_METHOD_LEN {
        return Err(MethodTokenError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m1_tchar_table_is_rfc9110_tchar() {
        let tchars: Vec<u8> = (0..=255u8).filter(|&b| is_tchar(b)).collect();
        let mut expected: Vec<u8> = b"!#$%&'*+-.^_`|~".to_vec();
        expected.extend(b'0'..=b'9');
        expected.extend(b'A'..=b'Z');
        expected.extend(b'a'..=b'z');
        expected.sort_unstable();
        assert_eq!(tchars, expected);
    }

    #[test]
    fn list_comma_skips_quoted_strings() {
        assert_eq!(list_comma(b"a, b"), Some(1));
        assert_eq!(list_comma(br#""x,\",y", z"#), Some(8));
        assert_eq!(list_comma(br#""unterminated, x"#), None);
        assert_eq!(list_comma(b"one"), None);
    }

    #[test]
    fn m1_token_grammar() {
        assert_eq!(check_method_token(b"GET"), Ok(()));
        assert_eq!(check_method_token(b"get"), Ok(()), "case is not folded (M-2)");
        assert_eq!(check_method_token(b"M-GET"), Ok(()));
        assert_eq!(check_method_token(b"!#$%&'*+-.^_`|~09azAZ"), Ok(()));
        assert_eq!(
            check_method_token(b"G(T"),
            Err(MethodTokenError::InvalidOctet { index: 1, octet: b'(' })
        );
        assert_eq!(check_method_token(b""), Err(MethodTokenError::Empty));
    }

    #[test]
    fn m3_over_long_method() {
        assert_eq!(check_method_token(&[b'A'; 64]), Ok(()));
        assert_eq!(check_method_token(&[b'A'; 65]), Err(MethodTokenError::TooLong));
        assert!(MethodTokenError::TooLong.to_string().contains("64"));
    }
}
