//! Request bodies → a small namespace-resolved element tree.
//!
//! WebDAV bodies are tiny compared with the files they describe, so a tree is simpler and
//! safer than streaming: every element carries its resolved namespace, which is what RFC 4918
//! compares (prefixes are meaningless, §17 of the XML Namespaces rules as RFC 4918 §8.3 asks).

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::{Attr, Element, Node, XML_NS};

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

fn resolved_ns(r: &ResolveResult<'_>, prefix_is_xml: bool) -> Result<String, XmlError> {
    match r {
        ResolveResult::Bound(ns) => std::str::from_utf8(ns.as_ref()).map(str::to_owned).map_err(|_| XmlError::Encoding),
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
    let name = utf8(qname.local_name().as_ref())?;
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|err| XmlError::Malformed(err.to_string()))?;
        let key = attr.key;
        let raw_key = key.as_ref();
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
        let value = attr
            .unescape_value()
            .map_err(|err| XmlError::Malformed(err.to_string()))?
            .into_owned();
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
    let mut reader = NsReader::from_str(text);
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
    fn keeps_text_and_high_unicode_and_inherits_lang() {
        let el = parse("<a xmlns='u' xml:lang='en'><b>&#65536;x</b></a>".as_bytes()).unwrap();
        let b = el.elements().next().unwrap();
        assert_eq!(b.text(), "\u{10000}x");
        assert_eq!(b.attr(XML_NS, "lang"), Some("en"));
    }
}
