//! XML for WebDAV bodies: a small namespace-aware tree ([`Element`]) parsed with quick-xml,
//! and a writer that declares whatever namespaces the output needs.

mod parse;
mod write;

pub use parse::{parse, XmlError};
pub use write::XmlWriter;

/// The WebDAV namespace, `DAV:`.
pub const DAV: &str = "DAV:";

/// The namespace bound to the reserved `xml` prefix (`xml:lang`).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// An element with its namespace resolved. An empty `ns` means "no namespace".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Namespace name (URI), `""` for none.
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Attributes other than namespace declarations.
    pub attrs: Vec<Attr>,
    /// Child elements and text, in document order.
    pub children: Vec<Node>,
}

/// An attribute with its namespace resolved (unprefixed attributes have no namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    /// Namespace name, `""` for none.
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Unescaped value.
    pub value: String,
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data (entities and CDATA already decoded).
    Text(String),
}

impl Element {
    /// An element without attributes or children.
    pub fn new(ns: &str, name: &str) -> Element {
        Element { ns: ns.to_owned(), name: name.to_owned(), attrs: Vec::new(), children: Vec::new() }
    }

    /// Is this `{ns}name`?
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// Child elements, skipping text.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element named `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// The value of attribute `{ns}name`.
    pub fn attr(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs.iter().find(|a| a.ns == ns && a.name == name).map(|a| a.value.as_str())
    }

    /// All character data below this element, concatenated in document order.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for child in &self.children {
            match child {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// Appends text, merging with a preceding text node.
    pub(crate) fn push_text(&mut self, s: &str) {
        if let Some(Node::Text(last)) = self.children.last_mut() {
            last.push_str(s);
        } else {
            self.children.push(Node::Text(s.to_owned()));
        }
    }

    /// Does this element only contain whitespace text (or nothing)?
    pub fn is_blank(&self) -> bool {
        self.children.iter().all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
    }
}
