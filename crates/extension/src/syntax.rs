//! Byte-level HTTP grammar shared by the parsers: tokens, OWS, quoted strings,
//! comma lists (RFC 9110 §5.6) and the few list-valued fields this crate edits
//! (`Connection`, `Cache-Control`, `Vary`).

use http::header::{HeaderMap, HeaderName, HeaderValue};

/// `tchar` from RFC 9110 §5.6.2.
pub(crate) use methodical_policy::is_tchar;

/// `token = 1*tchar`.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().copied().all(is_tchar)
}

/// `OWS` octets: SP and HTAB.
pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `qdtext` without `obs-text`: HTAB, SP, and VCHAR except `"` and `\`.
///
/// obs-text (0x80–0xFF) is refused everywhere in this crate: declarations are
/// kept as Rust strings, and RFC 9110 §5.5 calls such octets obsolete.
pub(crate) fn is_qdtext(b: u8) -> bool {
    b == b'\t' || b == b' ' || b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

/// Octets allowed after a backslash in a `quoted-pair` (without obs-text).
pub(crate) fn is_quoted_pair_char(b: u8) -> bool {
    b == b'\t' || b == b' ' || (0x21..=0x7E).contains(&b)
}

/// Writes `s` as a `quoted-string`, escaping only `"` and `\`.
pub(crate) fn write_quoted(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    out.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

/// Splits a list-valued field value at the commas that are not inside a
/// quoted string, trims OWS around each element and drops empty elements
/// (RFC 9110 §5.6.1: a recipient MUST accept and ignore them).
///
/// Returns each element with its byte offset in `value`, so that errors can
/// point at the right place. Never fails: an unterminated quote simply makes
/// the rest of the value one element, which the element parser then rejects.
pub(crate) fn split_list(value: &[u8]) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut start = 0;
    while let Some(comma) = methodical_policy::list_comma(&value[start..]) {
        push_trimmed(&mut out, value, start, start + comma);
        start += comma + 1;
    }
    push_trimmed(&mut out, value, start, value.len());
    out
}

fn push_trimmed<'a>(
    out: &mut Vec<(usize, &'a [u8])>,
    value: &'a [u8],
    mut start: usize,
    mut end: usize,
) {
    while start < end && is_ows(value[start]) {
        start += 1;
    }
    while end > start && is_ows(value[end - 1]) {
        end -= 1;
    }
    if start < end {
        out.push((start, &value[start..end]));
    }
}

/// Every element of every line of a list-valued field, as text.
///
/// Lines that are not visible ASCII are skipped rather than guessed at: the
/// fields read this way (`Connection`, `Vary`, `Cache-Control`, `Via`) are
/// ASCII by grammar.
pub(crate) fn list_elements(headers: &HeaderMap, name: &HeaderName) -> Vec<String> {
    let mut out = Vec::new();
    for value in headers.get_all(name) {
        if let Ok(text) = value.to_str() {
            for (_, element) in split_list(text.as_bytes()) {
                // `to_str` succeeded, so every sub-slice at an ASCII comma boundary is ASCII.
                out.push(String::from_utf8_lossy(element).into_owned());
            }
        }
    }
    out
}

/// Whether the comma list in field `name` contains `token` (case-insensitive),
/// as `Connection` and `Vary` are compared.
pub(crate) fn list_contains_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    list_elements(headers, name)
        .iter()
        .any(|e| e.eq_ignore_ascii_case(token))
}

/// Appends `token` to the list field `name` unless it is already listed.
pub(crate) fn append_list_token(headers: &mut HeaderMap, name: HeaderName, token: &'static str) {
    if !list_contains_token(headers, &name, token) {
        headers.append(name, HeaderValue::from_static(token));
    }
}

/// Removes from `Connection` every option naming one of `names`, and drops
/// the field when nothing is left in it. Lines that are not visible ASCII are
/// kept as they are rather than guessed at.
pub(crate) fn remove_connection_options(headers: &mut HeaderMap, names: &[HeaderName]) {
    let connection = http::header::CONNECTION;
    if !headers.contains_key(&connection) {
        return;
    }
    let mut kept_lines: Vec<HeaderValue> = Vec::new();
    for line in headers.get_all(&connection) {
        let Ok(text) = line.to_str() else {
            kept_lines.push(line.clone());
            continue;
        };
        let kept: Vec<&[u8]> = split_list(text.as_bytes())
            .into_iter()
            .map(|(_, option)| option)
            .filter(|option| {
                !names
                    .iter()
                    .any(|n| n.as_str().as_bytes().eq_ignore_ascii_case(option))
            })
            .collect();
        if kept.is_empty() {
            continue;
        }
        // Sub-slices of a valid value joined by ", " form a valid value; the
        // fallback keeps the original line rather than losing it.
        let joined = kept.join(&b", "[..]);
        kept_lines.push(HeaderValue::from_bytes(&joined).unwrap_or_else(|_| line.clone()));
    }
    headers.remove(&connection);
    for line in kept_lines {
        headers.append(connection.clone(), line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_list_ignores_empty_elements_and_ows() {
        let v = b" , a ,\t,b , \"x,y\" ,";
        let parts: Vec<&[u8]> = split_list(v).into_iter().map(|(_, e)| e).collect();
        assert_eq!(parts, vec![&b"a"[..], b"b", b"\"x,y\""]);
    }

    #[test]
    fn split_list_reports_offsets() {
        let parts = split_list(b"ab,  cd");
        assert_eq!(parts, vec![(0, &b"ab"[..]), (5, &b"cd"[..])]);
    }

    #[test]
    fn split_list_keeps_escaped_quote_inside_string() {
        let parts = split_list(br#""a\",b", c"#);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].1, br#""a\",b""#);
    }

    #[test]
    fn remove_connection_options_drops_named_tokens_only() {
        let mut h = HeaderMap::new();
        h.append("connection", HeaderValue::from_static("C-Man, keep-alive"));
        h.append("connection", HeaderValue::from_static("14-credentials"));
        remove_connection_options(
            &mut h,
            &[
                HeaderName::from_static("c-man"),
                HeaderName::from_static("14-credentials"),
            ],
        );
        assert_eq!(h.get("connection").unwrap(), "keep-alive");
        remove_connection_options(&mut h, &[HeaderName::from_static("keep-alive")]);
        assert!(h.get("connection").is_none());
    }

    #[test]
    fn remove_connection_options_keeps_lines_it_cannot_read() {
        let mut h = HeaderMap::new();
        h.append("connection", HeaderValue::from_bytes(b"x-\xe9").unwrap());
        h.append("connection", HeaderValue::from_static("C-Man"));
        remove_connection_options(&mut h, &[HeaderName::from_static("c-man")]);
        assert_eq!(h.get_all("connection").iter().count(), 1);
        assert_eq!(h.get("connection").unwrap().as_bytes(), b"x-\xe9");
    }
}
