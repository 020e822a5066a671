//! Evaluating a basicsearch `where` on resources, with SQL-style three-valued logic: a
//! comparison on an undefined property (or a value that cannot be typed) is *unknown*, and
//! only resources for which the condition is *true* match (RFC 5323 §5.5).

use std::cmp::Ordering;

use super::parse::{CmpOp, Expr, LikeToken, Literal, OrderKey, ValueType};
use crate::props::{live_defined, live_text, Live, PropEnv, PropName};
use crate::resource::{parse_date, Resource};
use crate::xml::Element;

/// A resource and its dead properties.
pub struct Candidate<'a> {
    /// The resource.
    pub res: &'a Resource,
    /// Its dead properties (empty when not needed).
    pub dead: &'a [Element],
}

impl Candidate<'_> {
    /// The property as text, `None` when undefined.
    fn text(&self, name: &PropName) -> Option<String> {
        match Live::from_name(name) {
            Some(live) => live_text(live, self.res, self.dead),
            None => self.dead.iter().find(|e| PropName::of(e) == *name).map(Element::text),
        }
    }

    fn defined(&self, name: &PropName, env: &PropEnv<'_>) -> bool {
        match Live::from_name(name) {
            Some(live) => live_defined(live, self.res, env),
            None => self.dead.iter().any(|e| PropName::of(e) == *name),
        }
    }

    /// The property in the comparison type.
    fn value(&self, name: &PropName, ty: ValueType) -> Option<Literal> {
        if ty == ValueType::Number && Live::from_name(name) == Some(Live::GetContentLength) {
            return (!self.res.is_dir).then_some(Literal::Number(self.res.len as f64));
        }
        if ty == ValueType::Date {
            match Live::from_name(name) {
                Some(Live::GetLastModified) => return Some(Literal::Date(self.res.modified)),
                Some(Live::CreationDate) => return Some(Literal::Date(self.res.created.unwrap_or(self.res.modified))),
                _ => {}
            }
        }
        let text = self.text(name)?;
        match ty {
            ValueType::Text => Some(Literal::Text(text)),
            ValueType::Number => text.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(Literal::Number),
            ValueType::Date => parse_date(&text).map(Literal::Date),
        }
    }
}

fn fold(s: &str, caseless: bool) -> String {
    if caseless {
        s.to_lowercase()
    } else {
        s.to_owned()
    }
}

/// Orders two values of the same type.
fn compare(a: &Literal, b: &Literal, caseless: bool) -> Option<Ordering> {
    match (a, b) {
        (Literal::Text(x), Literal::Text(y)) => Some(fold(x, caseless).cmp(&fold(y, caseless))),
        (Literal::Number(x), Literal::Number(y)) => x.partial_cmp(y),
        (Literal::Date(x), Literal::Date(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Does `text` match a `like` pattern? (Iterative wildcard matching with backtracking to the
/// last `%`, linear in practice.)
pub fn like_matches(pattern: &[LikeToken], text: &str, caseless: bool) -> bool {
    let fold_char = |c: char| if caseless { c.to_lowercase().next().unwrap_or(c) } else { c };
    let t: Vec<char> = text.chars().map(fold_char).collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match pattern.get(pi) {
            Some(LikeToken::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(LikeToken::One) => {
                pi += 1;
                ti += 1;
            }
            Some(LikeToken::Char(c)) if fold_char(*c) == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[pi.min(pattern.len())..].iter().all(|p| *p == LikeToken::Any)
}

/// Evaluates an expression: `Some(true)`, `Some(false)` or `None` (unknown).
pub fn eval(expr: &Expr, c: &Candidate<'_>, env: &PropEnv<'_>) -> Option<bool> {
    match expr {
        Expr::And(ops) => {
            let mut unknown = false;
            for op in ops {
                match eval(op, c, env) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(true)
            }
        }
        Expr::Or(ops) => {
            let mut unknown = false;
            for op in ops {
                match eval(op, c, env) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(false)
            }
        }
        Expr::Not(op) => eval(op, c, env).map(|b| !b),
        Expr::Compare { op, prop, ty, literal, caseless } => {
            let value = c.value(prop, *ty)?;
            let ord = compare(&value, literal, *caseless)?;
            Some(match op {
                CmpOp::Eq => ord == Ordering::Equal,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Lte => ord != Ordering::Greater,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Gte => ord != Ordering::Less,
            })
        }
        Expr::Like { prop, pattern, caseless } => {
            let text = c.text(prop)?;
            Some(like_matches(pattern, &text, *caseless))
        }
        Expr::IsCollection => Some(c.res.is_dir),
        Expr::IsDefined(prop) => Some(c.defined(prop, env)),
    }
}

/// Compares two candidates by the `orderby` keys; undefined values sort after defined ones
/// in ascending order. Ties fall back to the href, so results are deterministic.
pub fn order(keys: &[OrderKey], a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    for k in keys {
        let (va, vb) = (a.value(&k.prop, k.ty), b.value(&k.prop, k.ty));
        let ord = match (&va, &vb) {
            (Some(x), Some(y)) => compare(x, y, k.caseless).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        let ord = if k.descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.res.relative.cmp(&b.res.relative)
}

/// Does the query need dead properties to evaluate or order?
pub fn needs_dead(filter: Option<&Expr>, keys: &[OrderKey]) -> bool {
    fn expr_needs(e: &Expr) -> bool {
        let dead = |p: &PropName| Live::from_name(p).is_none() || (p.ns == crate::xml::DAV && p.name == "displayname");
        match e {
            Expr::And(v) | Expr::Or(v) => v.iter().any(expr_needs),
            Expr::Not(x) => expr_needs(x),
            Expr::Compare { prop, .. } | Expr::Like { prop, .. } | Expr::IsDefined(prop) => dead(prop),
            Expr::IsCollection => false,
        }
    }
    filter.is_some_and(expr_needs)
        || keys.iter().any(|k| Live::from_name(&k.prop).is_none() || k.prop.name == "displayname")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse::like_pattern;

    #[test]
    fn s3_like_wildcards_and_escapes() {
        let m = |p: &str, t: &str| like_matches(&like_pattern(p).unwrap(), t, false);
        assert!(m("%.txt", "a.txt"));
        assert!(m("%.txt", ".txt"));
        assert!(!m("%.txt", "a.txt.bak"));
        assert!(m("a_c", "abc"));
        assert!(!m("a_c", "ac"));
        assert!(m("%b%", "abc"));
        assert!(m("100\\%", "100%"));
        assert!(!m("100\\%", "1000"));
        assert!(m("a\\_b", "a_b"));
        assert!(!m("a\\_b", "axb"));
        assert!(m("%", ""));
        assert!(m("%a%a%", "banana"));
        assert!(like_matches(&like_pattern("READ%").unwrap(), "readme", true));
        assert!(!like_matches(&like_pattern("READ%").unwrap(), "readme", false));
    }
}
