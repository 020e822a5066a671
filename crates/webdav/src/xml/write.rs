//! Response bodies: a quick-xml writer that keeps track of namespace prefixes.
//!
//! `DAV:` is always the `D` prefix, declared on the root element. Any other namespace gets a
//! generated prefix (`ns0`, `ns1`, …) declared on the element that first needs it; elements in
//! no namespace are written unprefixed, which is only correct because this writer never
//! declares a default namespace.

use bytes::Bytes;
use std::borrow::Cow;

use quick_xml::escape::escape;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::parse::is_xml_char;
use super::{Element, Node, DAV, XML_NS};

/// Writes one XML document.
pub struct XmlWriter {
    w: Writer<Vec<u8>>,
    /// Prefix bindings in scope: (prefix, namespace).
    scopes: Vec<(String, String)>,
    /// Open elements: (qualified name, scope length to restore on close).
    open: Vec<(String, usize)>,
    counter: usize,
    root_written: bool,
}

impl Default for XmlWriter {
    fn default() -> Self {
        XmlWriter::new()
    }
}

impl XmlWriter {
    /// Starts a document with the XML declaration.
    pub fn new() -> XmlWriter {
        let mut w = Writer::new(Vec::with_capacity(512));
        // Writing into a Vec cannot fail.
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
        XmlWriter { w, scopes: Vec::new(), open: Vec::new(), counter: 0, root_written: false }
    }

    fn prefix_for(&mut self, ns: &str, decls: &mut Vec<(String, String)>) -> Option<String> {
        if ns.is_empty() {
            return None;
        }
        if ns == XML_NS {
            return Some("xml".to_owned());
        }
        if let Some((p, _)) = self.scopes.iter().rev().find(|(_, n)| n == ns) {
            return Some(p.clone());
        }
        let prefix = if ns == DAV { "D".to_owned() } else { format!("ns{}", self.counter) };
        if ns != DAV {
            self.counter += 1;
        }
        self.scopes.push((prefix.clone(), ns.to_owned()));
        decls.push((prefix.clone(), ns.to_owned()));
        Some(prefix)
    }

    fn qualified(prefix: Option<String>, local: &str) -> String {
        match prefix {
            Some(p) => format!("{p}:{local}"),
            None => local.to_owned(),
        }
    }

    fn open_tag(&mut self, ns: &str, name: &str, attrs: &[(&str, &str, &str)]) -> BytesStart<'static> {
        let mark = self.scopes.len();
        let mut decls = Vec::new();
        if !self.root_written {
            self.root_written = true;
            self.prefix_for(DAV, &mut decls);
        }
        let prefix = self.prefix_for(ns, &mut decls);
        let qname = Self::qualified(prefix, name);
        let mut attr_strings = Vec::with_capacity(attrs.len());
        for (ans, aname, value) in attrs {
            let p = self.prefix_for(ans, &mut decls);
            attr_strings.push((Self::qualified(p, aname), (*value).to_owned()));
        }
        let mut start = BytesStart::new(qname.clone());
        for (prefix, uri) in &decls {
            start.push_attribute(Attribute::from((format!("xmlns:{prefix}").as_bytes(), escape_attribute(uri).as_bytes())));
        }
        for (k, v) in &attr_strings {
            start.push_attribute(Attribute::from((k.as_bytes(), escape_attribute(v).as_bytes())));
        }
        self.open.push((qname, mark));
        start
    }

    /// Opens `{ns}name`.
    pub fn start(&mut self, ns: &str, name: &str) {
        self.start_with(ns, name, &[]);
    }

    /// Opens `{ns}name` with attributes given as (namespace, local name, value).
    pub fn start_with(&mut self, ns: &str, name: &str, attrs: &[(&str, &str, &str)]) {
        let start = self.open_tag(ns, name, attrs);
        let _ = self.w.write_event(Event::Start(start));
    }

    /// Closes the innermost open element.
    pub fn end(&mut self) {
        if let Some((qname, mark)) = self.open.pop() {
            self.scopes.truncate(mark);
            let _ = self.w.write_event(Event::End(BytesEnd::new(qname)));
        }
    }

    /// Writes `<{ns}name/>`.
    pub fn empty(&mut self, ns: &str, name: &str) {
        let start = self.open_tag(ns, name, &[]);
        let _ = self.w.write_event(Event::Empty(start));
        if let Some((_, mark)) = self.open.pop() {
            self.scopes.truncate(mark);
        }
    }

    /// Writes escaped character data.
    pub fn text(&mut self, s: &str) {
        let _ = self.w.write_event(Event::Text(BytesText::from_escaped(escape_text(s))));
    }

    /// Writes `<{ns}name>text</{ns}name>`.
    pub fn text_element(&mut self, ns: &str, name: &str, text: &str) {
        self.start(ns, name);
        self.text(text);
        self.end();
    }

    /// Writes a whole element tree (a dead property, a lock owner), declaring what it needs.
    pub fn element(&mut self, el: &Element) {
        let attrs: Vec<(&str, &str, &str)> =
            el.attrs.iter().map(|a| (a.ns.as_str(), a.name.as_str(), a.value.as_str())).collect();
        if el.children.is_empty() {
            let start = self.open_tag(&el.ns, &el.name, &attrs);
            let _ = self.w.write_event(Event::Empty(start));
            if let Some((_, mark)) = self.open.pop() {
                self.scopes.truncate(mark);
            }
            return;
        }
        self.start_with(&el.ns, &el.name, &attrs);
        for child in &el.children {
            match child {
                Node::Text(t) => self.text(t),
                Node::Element(e) => self.element(e),
            }
        }
        self.end();
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> Bytes {
        while !self.open.is_empty() {
            self.end();
        }
        Bytes::from(self.w.into_inner())
    }
}

/// Characters XML cannot carry at all (a control character in a file name shown as
/// `displayname`) become U+FFFD, so every document written is well-formed.
fn replace_forbidden(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_xml_char) {
        s.into()
    } else {
        s.chars().map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' }).collect::<String>().into()
    }
}

/// Character data: markup characters and quotes escaped (as before: clients and tests see
/// `&quot;` in entity tags), and CR as `&#13;`, which a parser would otherwise read as a
/// line feed (XML 1.0 §2.11).
fn escape_text(s: &str) -> Cow<'_, str> {
    let s = replace_forbidden(s);
    let escaped = escape(s);
    if escaped.contains('\r') {
        escaped.replace('\r', "&#13;").into()
    } else {
        escaped
    }
}

/// An attribute value: markup characters and quotes escaped, and tab, line feed and CR as
/// character references, which attribute-value normalisation would turn into spaces (XML
/// 1.0 §3.3.3).
fn escape_attribute(s: &str) -> String {
    let s = replace_forbidden(s);
    let escaped = escape(s);
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        match c {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn round_trips_foreign_and_empty_namespaces() {
        let src = parse(br#"<t:v xmlns:t="urn:t" xml:lang="fr"><foo xmlns="bar">a&amp;b</foo><n xmlns="">x</n></t:v>"#).unwrap();
        let mut w = XmlWriter::new();
        w.start(DAV, "prop");
        w.element(&src);
        w.end();
        let out = w.finish();
        let back = parse(&out).unwrap();
        assert!(back.is(DAV, "prop"));
        assert_eq!(back.elements().next().unwrap(), &src);
    }

    #[test]
    fn d5_fuzz_white_space_and_markup_survive_a_round_trip() {
        // What the proppatch / lock fuzz targets check on every input: values with CR, tabs
        // and line feeds in text, attributes and namespace names read back unchanged.
        let src = parse(b"<t:v xmlns:t='urn:a&#10;b&amp;' a='x&#9;y&#10;z&#13;\"&lt;'>p&#13;q\tr\ns</t:v>").unwrap();
        assert_eq!(src.ns, "urn:a\nb&");
        let mut w = XmlWriter::new();
        w.element(&src);
        let out = w.finish();
        assert_eq!(parse(&out).unwrap(), src, "{}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn fuzz_forbidden_characters_are_never_written() {
        let mut w = XmlWriter::new();
        w.start_with(DAV, "a", &[("", "b", "x\u{1}y")]);
        w.text("file\u{0}name\u{FFFE}");
        w.end();
        let out = w.finish();
        let back = parse(&out).unwrap();
        assert_eq!(back.text(), "file\u{FFFD}name\u{FFFD}");
        assert_eq!(back.attr("", "b"), Some("x\u{FFFD}y"));
    }
}
