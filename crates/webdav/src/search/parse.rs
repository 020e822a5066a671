//! `DAV:searchrequest` with `DAV:basicsearch` (RFC 5323 §5) → [`Query`].

use http::StatusCode;

use crate::error::{Condition, DavError};
use crate::methods::Depth;
use crate::props::{Live, PropName, PropRequest};
use crate::resource::parse_date;
use crate::xml::{Element, DAV};

/// Namespace of `xsi:type` on `typed-literal`.
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A parsed basicsearch query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// `select`: the properties to return.
    pub select: PropRequest,
    /// `from`: where to look.
    pub scopes: Vec<Scope>,
    /// `where`, if any.
    pub filter: Option<Expr>,
    /// `orderby` keys, most significant first.
    pub order: Vec<OrderKey>,
    /// `limit/nresults`.
    pub limit: Option<usize>,
}

/// One `scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The `href` as sent.
    pub href: String,
    /// `depth` (default infinity).
    pub depth: Depth,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`
    Eq,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `gt`
    Gt,
    /// `gte`
    Gte,
}

/// The type a comparison is made in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Strings (optionally caseless).
    Text,
    /// Numbers (`getcontentlength`, `xs:integer`, `xs:decimal`, …).
    Number,
    /// Dates (`getlastmodified`, `creationdate`, `xs:dateTime`).
    Date,
}

/// A typed literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A date.
    Date(std::time::SystemTime),
}

/// One piece of a `like` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LikeToken {
    /// A literal character.
    Char(char),
    /// `_`: exactly one character.
    One,
    /// `%`: any run of characters.
    Any,
}

/// A `where` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `and`.
    And(Vec<Expr>),
    /// `or`.
    Or(Vec<Expr>),
    /// `not`.
    Not(Box<Expr>),
    /// `eq`, `lt`, `lte`, `gt`, `gte`.
    Compare {
        /// Operator.
        op: CmpOp,
        /// Property compared.
        prop: PropName,
        /// Comparison type.
        ty: ValueType,
        /// Right-hand side, already in `ty`.
        literal: Literal,
        /// `caseless="yes"` (text only).
        caseless: bool,
    },
    /// `like`.
    Like {
        /// Property matched.
        prop: PropName,
        /// Pattern.
        pattern: Vec<LikeToken>,
        /// `caseless="yes"`.
        caseless: bool,
    },
    /// `is-collection`.
    IsCollection,
    /// `is-defined`.
    IsDefined(PropName),
}

/// One `order` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    /// Property ordered by.
    pub prop: PropName,
    /// Comparison type (from the property).
    pub ty: ValueType,
    /// `descending`.
    pub descending: bool,
    /// `caseless="yes"`.
    pub caseless: bool,
}

fn malformed(msg: impl Into<String>) -> DavError {
    DavError::bad_request(msg)
}

fn unprocessable(msg: impl Into<String>) -> DavError {
    DavError::new(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// The type a property is compared in: typed live properties have fixed types.
pub fn prop_type(name: &PropName) -> Option<ValueType> {
    match Live::from_name(name)? {
        Live::GetContentLength => Some(ValueType::Number),
        Live::GetLastModified | Live::CreationDate => Some(ValueType::Date),
        _ => Some(ValueType::Text),
    }
}

fn caseless(el: &Element) -> Result<bool, DavError> {
    match el.attr("", "caseless").or_else(|| el.attr(DAV, "caseless")) {
        None | Some("no") => Ok(false),
        Some("yes") => Ok(true),
        Some(_) => Err(malformed("caseless must be yes or no")),
    }
}

fn single_prop(el: &Element) -> Result<PropName, DavError> {
    let prop = el.child(DAV, "prop").ok_or_else(|| malformed(format!("{} needs a DAV:prop", el.name)))?;
    let mut names = prop.elements();
    let first = names.next().ok_or_else(|| malformed("DAV:prop must name one property"))?;
    if names.next().is_some() {
        return Err(malformed("DAV:prop must name exactly one property"));
    }
    Ok(PropName::of(first))
}

fn convert(text: &str, ty: ValueType) -> Option<Literal> {
    match ty {
        ValueType::Text => Some(Literal::Text(text.to_owned())),
        ValueType::Number => text.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Literal::Number),
        ValueType::Date => parse_date(text).map(Literal::Date),
    }
}

fn xsi_type(t: &str) -> Result<ValueType, DavError> {
    let local = t.rsplit(':').next().unwrap_or(t);
    match local {
        "string" | "anyURI" => Ok(ValueType::Text),
        "integer" | "int" | "long" | "short" | "decimal" | "double" | "float" | "nonNegativeInteger" | "unsignedLong"
        | "unsignedInt" => Ok(ValueType::Number),
        "dateTime" | "date" => Ok(ValueType::Date),
        other => Err(unprocessable(format!("typed-literal type {other} is not supported"))),
    }
}

fn comparison(el: &Element, op: CmpOp) -> Result<Expr, DavError> {
    let prop = single_prop(el)?;
    let (lit_el, declared) = if let Some(l) = el.child(DAV, "literal") {
        (l, None)
    } else if let Some(l) = el.child(DAV, "typed-literal") {
        let t = l.attr(XSI, "type").ok_or_else(|| malformed("typed-literal needs xsi:type"))?;
        (l, Some(xsi_type(t)?))
    } else {
        return Err(malformed(format!("{} needs a DAV:literal", el.name)));
    };
    let ty = prop_type(&prop).filter(|t| *t != ValueType::Text).or(declared).unwrap_or(ValueType::Text);
    let text = lit_el.text();
    let literal = convert(&text, ty)
        .ok_or_else(|| unprocessable(format!("'{text}' is not a valid value for {{{}}}{}", prop.ns, prop.name)))?;
    Ok(Expr::Compare { op, prop, ty, literal, caseless: caseless(el)? })
}

/// Compiles a `like` pattern (RFC 5323 §5.15.1): `%` any run, `_` one character, `\`
/// escapes the next character.
pub fn like_pattern(s: &str) -> Result<Vec<LikeToken>, DavError> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => LikeToken::Any,
            '_' => LikeToken::One,
            '\\' => LikeToken::Char(chars.next().ok_or_else(|| malformed("like pattern ends with an escape"))?),
            c => LikeToken::Char(c),
        });
    }
    Ok(out)
}

fn expr(el: &Element) -> Result<Expr, DavError> {
    if el.ns != DAV {
        return Err(unprocessable(format!("unknown operator {{{}}}{}", el.ns, el.name)));
    }
    let operands = || el.elements().map(expr).collect::<Result<Vec<_>, _>>();
    Ok(match el.name.as_str() {
        "and" | "or" => {
            let ops = operands()?;
            if ops.is_empty() {
                return Err(malformed(format!("{} needs operands", el.name)));
            }
            if el.name == "and" {
                Expr::And(ops)
            } else {
                Expr::Or(ops)
            }
        }
        "not" => {
            let mut ops = operands()?;
            if ops.len() != 1 {
                return Err(malformed("not takes exactly one operand"));
            }
            Expr::Not(Box::new(ops.remove(0)))
        }
        "eq" => comparison(el, CmpOp::Eq)?,
        "lt" => comparison(el, CmpOp::Lt)?,
        "lte" => comparison(el, CmpOp::Lte)?,
        "gt" => comparison(el, CmpOp::Gt)?,
        "gte" => comparison(el, CmpOp::Gte)?,
        "like" => {
            let prop = single_prop(el)?;
            let lit = el.child(DAV, "literal").ok_or_else(|| malformed("like needs a DAV:literal"))?;
            Expr::Like { prop, pattern: like_pattern(&lit.text())?, caseless: caseless(el)? }
        }
        "is-collection" => Expr::IsCollection,
        "is-defined" => Expr::IsDefined(single_prop(el)?),
        other => return Err(unprocessable(format!("the operator {other} is not supported"))),
    })
}

/// Parses a SEARCH body.
pub fn parse_query(root: &Element) -> Result<Query, DavError> {
    if !root.is(DAV, "searchrequest") {
        return Err(malformed("the body must be a DAV:searchrequest element"));
    }
    let mut grammars = root.elements();
    let grammar = grammars.next().ok_or_else(|| malformed("searchrequest names no query grammar"))?;
    if grammars.next().is_some() {
        return Err(malformed("searchrequest must contain exactly one query"));
    }
    if !grammar.is(DAV, "basicsearch") {
        return Err(DavError::new(StatusCode::FORBIDDEN, "only DAV:basicsearch is supported")
            .with(Condition::SearchGrammarSupported));
    }
    let select_el = grammar.child(DAV, "select").ok_or_else(|| malformed("basicsearch needs a select"))?;
    let select = if select_el.child(DAV, "allprop").is_some() {
        PropRequest::AllProp(Vec::new())
    } else if let Some(prop) = select_el.child(DAV, "prop") {
        PropRequest::Props(prop.elements().map(PropName::of).collect())
    } else {
        return Err(malformed("select needs prop or allprop"));
    };
    let from = grammar.child(DAV, "from").ok_or_else(|| malformed("basicsearch needs a from"))?;
    let mut scopes = Vec::new();
    for s in from.elements().filter(|e| e.is(DAV, "scope")) {
        let href = s.child(DAV, "href").map(|h| h.text().trim().to_owned()).ok_or_else(|| malformed("scope needs an href"))?;
        let depth = match s.child(DAV, "depth").map(|d| d.text().trim().to_ascii_lowercase()) {
            None => Depth::Infinity,
            Some(d) if d == "infinity" => Depth::Infinity,
            Some(d) if d == "0" => Depth::Zero,
            Some(d) if d == "1" => Depth::One,
            Some(_) => return Err(malformed("scope depth must be 0, 1 or infinity")),
        };
        scopes.push(Scope { href, depth });
    }
    if scopes.is_empty() {
        return Err(malformed("from needs at least one scope"));
    }
    let filter = match grammar.child(DAV, "where") {
        None => None,
        Some(w) => {
            let mut ops = w.elements();
            let first = ops.next().ok_or_else(|| malformed("where is empty"))?;
            if ops.next().is_some() {
                return Err(malformed("where must contain exactly one expression"));
            }
            Some(expr(first)?)
        }
    };
    let mut order = Vec::new();
    if let Some(ob) = grammar.child(DAV, "orderby") {
        for o in ob.elements().filter(|e| e.is(DAV, "order")) {
            let prop = if o.child(DAV, "prop").is_some() {
                single_prop(o)?
            } else {
                return Err(unprocessable("order needs a DAV:prop (score ordering is not supported)"));
            };
            let descending = o.child(DAV, "descending").is_some();
            let ty = prop_type(&prop).unwrap_or(ValueType::Text);
            order.push(OrderKey { prop, ty, descending, caseless: caseless(o)? });
        }
    }
    let limit = match grammar.child(DAV, "limit") {
        None => None,
        Some(l) => {
            let n = l.child(DAV, "nresults").ok_or_else(|| malformed("limit needs nresults"))?;
            Some(n.text().trim().parse::<usize>().map_err(|_| malformed("nresults must be a non-negative integer"))?)
        }
    };
    Ok(Query { select, scopes, filter, order, limit })
}
