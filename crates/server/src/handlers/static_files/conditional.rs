//! Conditional requests (RFC 9110 §13): the preconditions, evaluated in the RFC's order.

use std::time::SystemTime;

use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE};
use http::{HeaderMap, Method};

/// The result of evaluating the preconditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Carry on with the request.
    Proceed,
    /// `304 Not Modified` (GET/HEAD only).
    NotModified,
    /// `412 Precondition Failed`, naming the failed field.
    Failed(&'static str),
}

/// An entity-tag as written (`"abc"` or `W/"abc"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityTag<'a> {
    /// Weak validator.
    pub weak: bool,
    /// The opaque tag, quotes included.
    pub tag: &'a str,
}

/// Parses `#entity-tag` or `*`. `None` for `*`; malformed members are skipped.
pub fn entity_tags(value: &str) -> Option<Vec<EntityTag<'_>>> {
    if value.trim() == "*" {
        return None;
    }
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let weak = rest.starts_with("W/");
        let body = if weak { &rest[2..] } else { rest };
        if !body.starts_with('"') {
            // Not an entity-tag: skip to the next comma.
            rest = body.split_once(',').map_or("", |(_, r)| r);
            continue;
        }
        match body[1..].find('"') {
            Some(end) => {
                tags.push(EntityTag { weak, tag: &body[..end + 2] });
                rest = &body[end + 2..];
            }
            None => break,
        }
    }
    Some(tags)
}

fn header_str<'a>(headers: &'a HeaderMap, name: http::header::HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).peekable();
    values.peek()?;
    Some(values.collect::<Vec<&'a str>>().join(", "))
}

fn http_date(headers: &HeaderMap, name: http::header::HeaderName) -> Option<SystemTime> {
    headers.get(name)?.to_str().ok().and_then(|v| httpdate::parse_http_date(v).ok())
}

/// Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since against the
/// current representation (RFC 9110 §13.2.2). `etag` is ours, strong, quotes included.
pub fn evaluate(method: &Method, headers: &HeaderMap, etag: &str, last_modified: SystemTime) -> Precondition {
    let get_or_head = *method == Method::GET || *method == Method::HEAD;
    // Step 1 / 2.
    if let Some(if_match) = header_str(headers, IF_MATCH) {
        // `*` matches any current representation; a list needs a strong comparison: both
        // strong and equal.
        if let Some(tags) = entity_tags(&if_match) {
            if !tags.iter().any(|t| !t.weak && t.tag == etag) {
                return Precondition::Failed("If-Match");
            }
        }
    } else if let Some(since) = http_date(headers, IF_UNMODIFIED_SINCE) {
        if last_modified > since {
            return Precondition::Failed("If-Unmodified-Since");
        }
    }
    // Step 3 / 4.
    if let Some(if_none_match) = header_str(headers, IF_NONE_MATCH) {
        let matched = match entity_tags(&if_none_match) {
            None => true,
            // Weak comparison: the opaque tags are equal.
            Some(tags) => tags.iter().any(|t| t.tag == etag),
        };
        if matched {
            return if get_or_head { Precondition::NotModified } else { Precondition::Failed("If-None-Match") };
        }
    } else if get_or_head {
        if let Some(since) = http_date(headers, IF_MODIFIED_SINCE) {
            if last_modified <= since {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const TAG: &str = "\"abc\"";

    fn run(method: Method, pairs: &[(&str, &str)]) -> Precondition {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        evaluate(&method, &h, TAG, UNIX_EPOCH + Duration::from_secs(1_000_000_000))
    }

    const BEFORE: &str = "Sat, 08 Sep 2001 00:00:00 GMT";
    const AFTER: &str = "Mon, 10 Sep 2001 00:00:00 GMT";

    #[test]
    fn parses_entity_tag_lists() {
        let t = entity_tags("W/\"a\", \"b,c\" ,x, \"d\"").unwrap();
        assert_eq!(t, vec![
            EntityTag { weak: true, tag: "\"a\"" },
            EntityTag { weak: false, tag: "\"b,c\"" },
            EntityTag { weak: false, tag: "\"d\"" }
        ]);
        assert_eq!(entity_tags(" * "), None);
    }

    #[test]
    fn if_none_match_gives_304_for_get_and_412_otherwise() {
        assert_eq!(run(Method::GET, &[("if-none-match", "\"abc\"")]), Precondition::NotModified);
        assert_eq!(run(Method::GET, &[("if-none-match", "W/\"abc\"")]), Precondition::NotModified, "weak comparison");
        assert_eq!(run(Method::GET, &[("if-none-match", "\"x\", \"y\"")]), Precondition::Proceed);
        assert_eq!(run(Method::PUT, &[("if-none-match", "*")]), Precondition::Failed("If-None-Match"));
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(run(Method::GET, &[("if-none-match", "\"x\""), ("if-modified-since", AFTER)]), Precondition::Proceed);
    }

    #[test]
    fn if_modified_since() {
        assert_eq!(run(Method::GET, &[("if-modified-since", AFTER)]), Precondition::NotModified);
        assert_eq!(run(Method::GET, &[("if-modified-since", BEFORE)]), Precondition::Proceed);
        assert_eq!(run(Method::GET, &[("if-modified-since", "garbage")]), Precondition::Proceed);
        assert_eq!(run(Method::POST, &[("if-modified-since", AFTER)]), Precondition::Proceed);
    }

    #[test]
    fn if_match_and_if_unmodified_since_give_412() {
        assert_eq!(run(Method::GET, &[("if-match", "\"abc\"")]), Precondition::Proceed);
        assert_eq!(run(Method::GET, &[("if-match", "W/\"abc\"")]), Precondition::Failed("If-Match"), "strong comparison");
        assert_eq!(run(Method::GET, &[("if-match", "*")]), Precondition::Proceed);
        assert_eq!(run(Method::GET, &[("if-match", "\"nope\"")]), Precondition::Failed("If-Match"));
        assert_eq!(run(Method::GET, &[("if-unmodified-since", BEFORE)]), Precondition::Failed("If-Unmodified-Since"));
        assert_eq!(run(Method::GET, &[("if-unmodified-since", AFTER)]), Precondition::Proceed);
        // If-Match present: If-Unmodified-Since is not evaluated.
        assert_eq!(run(Method::GET, &[("if-match", "\"abc\""), ("if-unmodified-since", BEFORE)]), Precondition::Proceed);
    }
}
