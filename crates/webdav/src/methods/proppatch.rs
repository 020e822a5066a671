//! PROPPATCH (RFC 4918 §9.2, D-5): dead properties in any namespace, all instructions or
//! none, in document order.

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};

use super::{blocking, stat, Cx};
use crate::body::{read_limited, MAX_XML_BODY};
use crate::cond::{preconditions, LockCheck};
use crate::error::{status_line, xml_response, Condition, DavError};
use crate::props::{dead, Live, PropName};
use crate::xml::{parse, Element, XmlWriter, DAV};
use crate::Inner;

/// One instruction of a `propertyupdate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    /// `set`: store this element as the property.
    Set(Element),
    /// `remove`: delete the property (removing an absent one succeeds).
    Remove(PropName),
}

impl Instruction {
    fn name(&self) -> PropName {
        match self {
            Instruction::Set(e) => PropName::of(e),
            Instruction::Remove(n) => n.clone(),
        }
    }
}

/// Reads a `propertyupdate` body into instructions in document order.
pub fn parse_update(el: &Element) -> Result<Vec<Instruction>, DavError> {
    if !el.is(DAV, "propertyupdate") {
        return Err(DavError::bad_request("the body must be a DAV:propertyupdate element"));
    }
    let mut out = Vec::new();
    for op in el.elements().filter(|e| e.ns == DAV) {
        let set = match op.name.as_str() {
            "set" => true,
            "remove" => false,
            _ => continue,
        };
        let Some(prop) = op.child(DAV, "prop") else {
            return Err(DavError::bad_request("set and remove must contain a DAV:prop"));
        };
        for p in prop.elements() {
            out.push(if set { Instruction::Set(p.clone()) } else { Instruction::Remove(PropName::of(p)) });
        }
    }
    if out.is_empty() {
        return Err(DavError::bad_request("propertyupdate contains no instruction"));
    }
    Ok(out)
}

/// Applies instructions to a property list, in order.
pub fn apply(props: &mut Vec<Element>, instructions: &[Instruction]) {
    for ins in instructions {
        let name = ins.name();
        match ins {
            Instruction::Set(e) => match props.iter_mut().find(|p| PropName::of(p) == name) {
                Some(slot) => *slot = e.clone(),
                None => props.push(e.clone()),
            },
            Instruction::Remove(_) => props.retain(|p| PropName::of(p) != name),
        }
    }
}

fn write_result(href: &str, results: &[(PropName, StatusCode, Option<Condition>)]) -> Bytes {
    let mut w = XmlWriter::new();
    w.start(DAV, "multistatus");
    w.start(DAV, "response");
    w.text_element(DAV, "href", href);
    let mut groups: Vec<(StatusCode, Option<Condition>, Vec<&PropName>)> = Vec::new();
    for (name, status, cond) in results {
        match groups.iter_mut().find(|(s, c, _)| s == status && c == cond) {
            Some((_, _, names)) => {
                if !names.contains(&name) {
                    names.push(name)
                }
            }
            None => groups.push((*status, cond.clone(), vec![name])),
        }
    }
    for (status, cond, names) in groups {
        w.start(DAV, "propstat");
        w.start(DAV, "prop");
        for n in names {
            w.empty(&n.ns, &n.name);
        }
        w.end();
        w.text_element(DAV, "status", &status_line(status));
        if let Some(c) = cond {
            w.start(DAV, "error");
            c.write(&mut w);
            w.end();
        }
        w.end();
    }
    w.end();
    w.end();
    w.finish()
}

pub async fn handle<B>(dav: &Arc<Inner>, cx: &Cx<'_>, mut body: B) -> Result<Response<Bytes>, DavError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin,
    B::Error: std::fmt::Display,
{
    let res = stat(dav, &cx.target)?.ok_or_else(DavError::not_found)?;
    preconditions(dav, cx, Some(&res), &[LockCheck::Resource(&res.relative)])?;
    let bytes = read_limited(&mut body, cx.headers, MAX_XML_BODY).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DavError::bad_request("PROPPATCH needs a propertyupdate body"));
    }
    let instructions = parse_update(&parse(&bytes)?)?;
    let href = res.href(&cx.prefix);

    // Protected live properties make the whole request fail (all or nothing): the failing
    // ones get 403, the others 424 Failed Dependency.
    let refused: Vec<bool> = instructions
        .iter()
        .map(|i| Live::from_name(&i.name()).is_some_and(Live::protected))
        .collect();
    if refused.iter().any(|r| *r) {
        let results: Vec<_> = instructions
            .iter()
            .zip(&refused)
            .map(|(i, r)| {
                if *r {
                    (i.name(), StatusCode::FORBIDDEN, Some(Condition::CannotModifyProtectedProperty))
                } else {
                    (i.name(), StatusCode::FAILED_DEPENDENCY, None)
                }
            })
            .collect();
        return Ok(xml_response(StatusCode::MULTI_STATUS, write_result(&href, &results)));
    }

    let names: Vec<PropName> = instructions.iter().map(Instruction::name).collect();
    let dav2 = Arc::clone(dav);
    let outcome = blocking(move || -> std::io::Result<()> {
        let _guard = dav2.props_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut props = dead::load(&res.path, res.is_dir)?;
        apply(&mut props, &instructions);
        dead::save(&res.path, res.is_dir, &props)
    });
    let status = match outcome.await? {
        Ok(()) => StatusCode::OK,
        Err(e) => DavError::io(&e).status,
    };
    let results: Vec<_> = names.into_iter().map(|n| (n, status, None)).collect();
    Ok(xml_response(StatusCode::MULTI_STATUS, write_result(&href, &results)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d5_document_order() {
        let el = parse(
            br#"<propertyupdate xmlns="DAV:"><set><prop><x xmlns="u">1</x></prop></set><remove><prop><x xmlns="u"/></prop></remove><set><prop><y xmlns="u">2</y></prop></set></propertyupdate>"#,
        )
        .unwrap();
        let ins = parse_update(&el).unwrap();
        let mut props = Vec::new();
        apply(&mut props, &ins);
        assert_eq!(props.len(), 1);
        assert_eq!(props[0].name, "y");
    }
}
