//! Request bodies → a small namespace-resolved element tree.
//!
//! WebDAV bodies are tiny compared with the files they describe, so a tree is simpler and
//! safer than streaming: every element carries its resolved namespace, which is what RFC 4918
//! compares (prefixes are meaningless, §17 of the XML Namespaces rules as RFC 4918 §8.3 asks).

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::{Attr, Element, Node, XML_NS};

/// The namespace of `xmlns` declarations, which nothing else may be in.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Deepest nesting accepted; dead property values can be structured, but not endlessly.
const MAX_DEPTH: usize = 64;

/// Why a body is not acceptable XML (always answered `400 Bad Request`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed: syntax error, mismatched tags, no root element, text after the root.
    #[error("the XML body is not well-formed: {0}")]
    Malformed(String),
    /// A prefix that no `xmlns:` declaration binds, or an illegal declaration such as
    /// `xmlns:p=""` (Namespaces in XML 1.0 §3 forbids empty prefixed bindings).
    #[error("namespace error in the XML body: {0}")]
    Namespace(String),
    /// Document type declarations are refused: they allow entity expansion attacks and
    /// WebDAV never needs them.
    #[error("document type declarations are not accepted")]
    Doctype,
    /// Nested deeper than the server accepts.
    #[error("the XML body is nested too deeply")]
    TooDeep,
    /// The body is not UTF-8.
    #[error("the XML body is not valid UTF-8")]
    Encoding,
}

/// XML 1.0 §2.2 `Char`: what a document may contain, literally or as a character reference.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML 1.0 §2.3 `NameStartChar`, without `:` (Namespaces in XML: names are `NCName`s).
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 §2.3 `NameChar`, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// A qualified name (`prefix:local` or `local`) whose parts are XML names. quick-xml does
/// not check names, so `< >`, `<a@b/>` or `</>` came through and were written back into
/// responses no parser reads (found by the propfind, lock and search fuzz targets).
fn check_qname(raw: &[u8]) -> Result<(), XmlError> {
    let name = std::str::from_utf8(raw).map_err(|_| XmlError::Encoding)?;
    let ncname = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
    };
    let valid = match name.split_once(':') {
        Some((prefix, local)) => ncname(prefix) && ncname(local),
        None => ncname(name),
    };
    if valid {
        Ok(())
    } else {
        Err(XmlError::Malformed(format!("`{}` is not an XML name", name.escape_debug())))
    }
}

fn check_chars(s: &str) -> Result<(), XmlError> {
    match s.chars().find(|&c| !is_xml_char(c)) {
        Some(c) => Err(XmlError::Malformed(format!("the character U+{:04X} is not allowed in XML", c as u32))),
        None => Ok(()),
    }
}

/// An attribute value as XML 1.0 §3.3.3 defines it: literal white space (line ends are
/// already `\n`) becomes a space, then references are expanded (`&#10;` stays a line feed).
/// quick-xml hands over the raw text, namespace names included.
fn attribute_value(raw: &[u8]) -> Result<String, XmlError> {
    let raw = std::str::from_utf8(raw).map_err(|_| XmlError::Encoding)?;
    let spaced: Cow<'_, str> = if raw.contains(['\t', '\n']) { raw.replace(['\t', '\n'], " ").into() } else { raw.into() };
    let value = quick_xml::escape::unescape(&spaced).map_err(|e| XmlError::Malformed(e.to_string()))?;
    check_chars(&value)?;
    Ok(value.into_owned())
}

/// XML 1.0 §2.11: CR LF and a lone CR are read as LF, before anything else.
fn normalize_line_ends(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        text.into()
    }
}

fn resolved_ns(r: &ResolveResult<'_>, prefix_is_xml: bool) -> Result<String, XmlError> {
    match r {
        // The namespace name is an attribute value: `xmlns:z="DAV&#58;"` binds `DAV:`.
        ResolveResult::Bound(ns) => attribute_value(ns.as_ref()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(_) if prefix_is_xml => Ok(XML_NS.to_owned()),
        ResolveResult::Unknown(p) => {
            Err(XmlError::Namespace(format!("undeclared prefix '{}'", String::from_utf8_lossy(p))))
        }
    }
}

fn utf8(bytes: &[u8]) -> Result<String, XmlError> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| XmlError::Encoding)
}

/// Builds an [`Element`] (without children) from a start tag.
fn start_element(reader: &NsReader<&[u8]>, ns: String, e: &BytesStart<'_>) -> Result<Element, XmlError> {
    let qname = e.name();
    check_qname(qname.as_ref())?;
    let name = utf8(qname.local_name().as_ref())?;
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError::Malformed(err.to_string()))?;
        let key = attr.key;
        let raw_key = key.as_ref();
        check_qname(raw_key)?;
        if raw_key == b"xmlns" {
            continue;
        }
        if let Some(prefix) = raw_key.strip_prefix(b"xmlns:") {
            // Namespaces in XML 1.0 §3: a prefixed declaration must not be empty.
            if attr.value.is_empty() {
                return Err(XmlError::Namespace(format!(
                    "prefix '{}' is bound to an empty namespace name",
                    String::from_utf8_lossy(prefix)
                )));
            }
            continue;
        }
        let (ar, local) = reader.resolve_attribute(key);
        let prefix_is_xml = key.prefix().map(|p| p.as_ref() == b"xml").unwrap_or(false);
        let ans = resolved_ns(&ar, prefix_is_xml)?;
        let value = attribute_value(&attr.value)?;
        attrs.push(Attr { ns: ans, name: utf8(local.as_ref())?, value });
    }
    Ok(Element { ns, name, attrs, children: Vec::new() })
}

/// Parses a complete document into its root element.
///
/// Comments and processing instructions are dropped; text (CDATA included) is kept as
/// [`Node::Text`], whitespace too, because dead property values keep their exact content.
/// `xml:lang` is inherited: an element without its own `xml:lang` that sits below one that
/// has it gets the inherited value as an attribute, so a dead property stored alone still
/// knows its language (RFC 4918 §4.3).
pub fn parse(bytes: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(bytes).map_err(|_| XmlError::Encoding)?;
    // A UTF-8 byte order mark is allowed before the declaration.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_chars(text)?;
    let text = normalize_line_ends(text);
    let mut reader = NsReader::from_str(&text);
    {
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
    }
    let mut stack: Vec<Element> = Vec::new();
    let mut langs: Vec<Option<String>> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (r, event) = reader.read_resolved_event().map_err(|e| match e {
            quick_xml::Error::Namespace(n) => XmlError::Namespace(n.to_string()),
            other => XmlError::Malformed(other.to_string()),
        })?;
        let element_ns = match &event {
            Event::Start(_) => Some(resolved_ns(&r, false)?),
            _ => None,
        };
        if element_ns.as_deref() == Some(XMLNS_NS) {
            // Namespaces in XML 1.0 §3: element names must not have the prefix `xmlns`
            // (found by the propfind fuzz target: no parser reads such a name back).
            return Err(XmlError::Namespace("an element name has the reserved prefix 'xmlns'".into()));
        }
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                let mut el = start_element(&reader, element_ns.unwrap_or_default(), &e)?;
                let own_lang = el.attr(XML_NS, "lang").map(str::to_owned);
                let inherited = langs.last().cloned().flatten();
                if own_lang.is_none() {
                    if let Some(lang) = &inherited {
                        el.attrs.push(Attr { ns: XML_NS.to_owned(), name: "lang".to_owned(), value: lang.clone() });
                    }
                }
                langs.push(own_lang.or(inherited));
                stack.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                langs.pop();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Empty(_) => {
                // expand_empty_elements turns these into Start + End.
                return Err(XmlError::Malformed("unexpected empty element event".into()));
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| XmlError::Malformed(e.to_string()))?;
                check_chars(&s)?;
                match stack.last_mut() {
                    Some(parent) => parent.push_text(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(XmlError::Malformed("text outside the root element".into())),
                }
            }
            Event::CData(c) => {
                let s = utf8(&c.into_inner())?;
                match stack.last_mut() {
                    Some(parent) => parent.push_text(&s),
                    None => return Err(XmlError::Malformed("CDATA outside the root element".into())),
                }
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element at end of body".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::DAV;

    #[test]
    fn resolves_default_and_prefixed_namespaces() {
        let el = parse(br#"<?xml version="1.0"?><propfind xmlns="DAV:"><prop><Z:x xmlns:Z="urn:z"/><y xmlns=""/></prop></propfind>"#).unwrap();
        assert!(el.is(DAV, "propfind"));
        let prop = el.child(DAV, "prop").unwrap();
        let names: Vec<_> = prop.elements().map(|e| (e.ns.as_str(), e.name.as_str())).collect();
        assert_eq!(names, [("urn:z", "x"), ("", "y")]);
    }

    #[test]
    fn d4_malformed_and_namespace_errors_are_refused() {
        assert!(matches!(parse(b"<foo>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b""), Err(XmlError::Malformed(_))));
        assert!(matches!(parse(b"<a:b/>"), Err(XmlError::Namespace(_))));
        assert!(matches!(
            parse(br#"<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>"#),
            Err(XmlError::Namespace(_))
        ));
        assert!(matches!(parse(br#"<!DOCTYPE x [<!ENTITY a "b">]><x/>"#), Err(XmlError::Doctype)));
        assert!(matches!(parse(b"<a/><b/>"), Err(XmlError::Malformed(_))));
    }

    #[test]
    fn d4_fuzz_namespace_names_are_unescaped() {
        // Found by the propfind/search fuzz targets: `xmlns:x="DAV&amp;"` bound `DAV&amp;`
        // instead of `DAV&`, so `&#68;AV:` was not the DAV namespace.
        let el = parse(br#"<x:propfind xmlns:x="&#68;AV:"><x:propname/></x:propfind>"#).unwrap();
        assert!(el.is(DAV, "propfind"));
        let el = parse(br#"<a xmlns="urn:a&amp;b"><b xmlns:p="u&lt;v" p:c="1"/></a>"#).unwrap();
        assert_eq!(el.ns, "urn:a&b");
        assert_eq!(el.elements().next().unwrap().attrs[0].ns, "u<v");
    }

    #[test]
    fn d4_fuzz_element_with_the_xmlns_prefix_is_refused() {
        // Found by the propfind fuzz target: `<xmlns:l/>` parsed into an element in the
        // xmlns namespace, which no writer can declare.
        assert!(matches!(parse(b"<propfind xmlns='DAV:'><xmlns:l/></propfind>"), Err(XmlError::Namespace(_))));
        assert!(parse(b"<a xmlns5='x' xml:lang='en'/>").is_ok(), "only the exact `xmlns` prefix is reserved");
    }

    #[test]
    fn d4_fuzz_element_and_attribute_names_must_be_xml_names() {
        // Found by the propfind, lock and search fuzz targets: quick-xml passes names it does
        // not check, and an element named "" was written back as `<>…</>`.
        for bad in [
            &b"<\r><\r></></>"[..],
            b"<a>< xmlns:x='urn:x'/></a>",
            b"<a><\t/></a>",
            b"<D:prop xmlns:D='DAV:'><D:gete@tag/></D:prop>",
            b"<a xmln,='x'/>",
            b"<a b:c:d='x' xmlns:b='u'/>",
            b"<1a/>",
            b"<a -b='x'/>",
            b"<D: xmlns:D='DAV:'/>",
            b"<:a/>",
        ] {
            assert!(matches!(parse(bad), Err(XmlError::Malformed(_) | XmlError::Namespace(_))), "{:?}", String::from_utf8_lossy(bad));
        }
        let el = parse("<a-b.c_d xmlns:p='u' p:é·1='x' x1lns='y'><\u{e9}t\u{e9}/></a-b.c_d>".as_bytes()).unwrap();
        assert_eq!(el.name, "a-b.c_d");
        assert_eq!(el.attr("u", "é·1"), Some("x"));
        assert_eq!(el.elements().next().unwrap().name, "été");
    }

    #[test]
    fn d4_fuzz_characters_xml_forbids_are_refused() {
        // Found by the proppatch fuzz target: a NUL in a namespace name was accepted and
        // written back into responses, which no XML parser then reads.
        for bad in [&b"<a xmlns='urn:\x00'/>"[..], b"<a>\x01</a>", b"<a b='\x1f'/>", b"<a>&#1;</a>", b"<a b='&#x1B;'/>", b"<a>\xef\xbf\xbe</a>"] {
            assert!(matches!(parse(bad), Err(XmlError::Malformed(_))), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(parse(b"<a>&#0;</a>"), Err(XmlError::Malformed(_))));
        assert_eq!(parse(b"<a>\t&#9;&#10;&#13;</a>").unwrap().text(), "\t\t\n\r", "references to white space are kept");
    }

    #[test]
    fn d4_fuzz_line_ends_and_attribute_white_space_are_normalised() {
        // XML 1.0 §2.11 and §3.3.3, found by the lock fuzz target (a namespace name with a
        // line feed): what we store must be what any other XML parser reads.
        let el = parse(b"<a xmlns='urn:x\ny' b='1\r\n2\t3' c='&#10;'>x\r\ny\rz</a>").unwrap();
        assert_eq!(el.ns, "urn:x y");
        assert_eq!(el.attr("", "b"), Some("1 2 3"));
        assert_eq!(el.attr("", "c"), Some("\n"));
        assert_eq!(el.text(), "x\ny\nz");
    }

    #[test]
    fn keeps_text_and_high_unicode_and_inherits_lang() {
        let el = parse("<a xmlns='u' xml:lang='en'><b>&#65536;x</b></a>".as_bytes()).unwrap();
        let b = el.elements().next().unwrap();
        assert_eq!(b.text(), "\u{10000}x");
        assert_eq!(b.attr(XML_NS, "lang"), Some("en"));
    }
}
