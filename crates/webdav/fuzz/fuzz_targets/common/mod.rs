//! Checks every WebDAV body target makes, whatever the method. Each target uses some of them.

#![allow(dead_code)]

use methodical_webdav::xml::{self, Element, XmlWriter, DAV};
use methodical_webdav::DavError;

/// Any body: if it parses, writing the tree and parsing the result gives the same tree (dead
/// properties and lock owners are stored and sent back this way), and the tree is no deeper
/// than the parser allows.
pub fn check_xml(data: &[u8]) {
    let Ok(root) = xml::parse(data) else { return };
    let mut w = XmlWriter::new();
    w.element(&root);
    let written = w.finish();
    let back = xml::parse(&written).unwrap_or_else(|e| {
        panic!("our own output does not parse ({e}): {}", String::from_utf8_lossy(&written))
    });
    assert_eq!(back, root, "write + parse changed the tree; written: {}", String::from_utf8_lossy(&written));
}

/// A refusal: a client error (a body can never be the server's fault), with an explanation,
/// whose XML error body parses with `DAV:error` at the root.
pub fn check_error(e: &DavError) {
    assert!(e.status.is_client_error(), "a body parser answered {}: {e}", e.status);
    assert!(!e.message.trim().is_empty(), "an error without an explanation: {e:?}");
    let body = e.clone().into_response().into_body();
    let root = xml::parse(&body).unwrap_or_else(|err| {
        panic!("the error body does not parse ({err}): {}", String::from_utf8_lossy(&body))
    });
    assert!(root.is(DAV, "error"), "error body root is {{{}}}{}", root.ns, root.name);
}

/// Property names as a 207 response lists them (`<D:prop><name/>…</D:prop>`) read back as
/// the same names, so a client can parse every multistatus that names them.
pub fn check_prop_names<'a>(names: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let names: Vec<(&str, &str)> = names.into_iter().collect();
    let mut w = XmlWriter::new();
    w.start(DAV, "prop");
    for (ns, name) in &names {
        w.empty(ns, name);
    }
    w.end();
    let written = w.finish();
    let back = xml::parse(&written).unwrap_or_else(|e| {
        panic!("a response naming these properties does not parse ({e}): {}", String::from_utf8_lossy(&written))
    });
    let got: Vec<(&str, &str)> = back.elements().map(|e| (e.ns.as_str(), e.name.as_str())).collect();
    assert_eq!(got, names);
}

/// Elements written inside another element, as stores and lock discovery do, read back.
pub fn check_nested(elements: &[Element]) {
    let mut w = XmlWriter::new();
    w.start(DAV, "prop");
    for e in elements {
        w.element(e);
    }
    w.end();
    let written = w.finish();
    let back = xml::parse(&written).unwrap_or_else(|e| {
        panic!("nested elements do not parse back ({e}): {}", String::from_utf8_lossy(&written))
    });
    let got: Vec<&Element> = back.elements().collect();
    assert_eq!(got, elements.iter().collect::<Vec<_>>(), "written: {}", String::from_utf8_lossy(&written));
}
