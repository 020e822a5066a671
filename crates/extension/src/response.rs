//! Acknowledging a fulfilled mandatory request in the response
//! (RFC 2774 §4.3, §5.1, §3.1; digest X-6).

use std::time::SystemTime;

use http::header::{HeaderMap, HeaderValue, CACHE_CONTROL, CONNECTION, DATE, EXPIRES, VARY};
use http::Version;

use crate::evaluate::Fulfilled;
use crate::kind::{C_EXT, EXT};
use crate::syntax::{append_list_token, list_elements, split_list};

/// Marks the response to a fulfilled mandatory request, at the current time.
/// See [`mark_response_at`].
pub fn mark_response(resp: &mut http::response::Parts, fulfilled: &Fulfilled, via_http10: bool) {
    mark_response_at(resp, fulfilled, via_http10, SystemTime::now());
}

/// Marks the response to a fulfilled mandatory request; `now` is used only
/// when a `Date` header has to be added.
///
/// 1. Every fulfilled extension's
///    [`rewrite_response`](crate::Extension::rewrite_response) runs.
/// 2. End-to-end declarations fulfilled (RFC 2774 §5.1): `Ext:` with an empty
///    value, and `no-cache="Ext"` merged into `Cache-Control` (other
///    directives are kept; nothing is added when an unqualified `no-cache`
///    is already there, and `Ext` joins an existing qualified `no-cache`).
///    If `via_http10`, `Expires` is made equal to `Date` unless it is
///    already earlier, and `Date` is added when missing or invalid.
/// 3. Hop-by-hop declarations fulfilled: `C-Ext:` and `C-Ext` in
///    `Connection` (RFC 2774 §4.3).
/// 4. If `Vary` names a header carrying a fulfilled declaration's prefix,
///    the declaration field (`Man`/`C-Man`) is added to `Vary`, as RFC 2774
///    §3.1 requires.
pub fn mark_response_at(
    resp: &mut http::response::Parts,
    fulfilled: &Fulfilled,
    via_http10: bool,
    now: SystemTime,
) {
    fulfilled.rewrite_response(resp);
    let headers = &mut resp.headers;
    if fulfilled.end_to_end() {
        headers.insert(EXT, HeaderValue::from_static(""));
        add_no_cache_ext(headers);
        if via_http10 {
            expire_at_date(headers, now);
        }
    }
    if fulfilled.hop_by_hop() {
        headers.insert(C_EXT, HeaderValue::from_static(""));
        append_list_token(headers, CONNECTION, "C-Ext");
    }
    vary_names_declaration_fields(headers, fulfilled);
}

/// Whether a request reached us through an HTTP/1.0 (or older) hop: an
/// HTTP/1.0 or 0.9 request line, or a `Via` entry whose received-protocol is
/// `1.0`, `HTTP/1.0`, `0.9` or `HTTP/0.9` (RFC 2774 §5.1, RFC 9110 §7.6.3).
pub fn request_via_http10(req: &http::request::Parts) -> bool {
    if req.version == Version::HTTP_10 || req.version == Version::HTTP_09 {
        return true;
    }
    list_elements(&req.headers, &http::header::VIA)
        .iter()
        .any(|entry| {
            let protocol = entry.split([' ', '\t']).next().unwrap_or("");
            let version = match protocol.split_once('/') {
                Some((name, version)) if name.eq_ignore_ascii_case("HTTP") => version,
                Some(_) => return false,
                None => protocol,
            };
            version == "1.0" || version == "0.9"
        })
}

/// Adds `no-cache="Ext"` to Cache-Control without disturbing the other
/// directives.
fn add_no_cache_ext(headers: &mut HeaderMap) {
    let lines: Option<Vec<&str>> = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .map(|v| v.to_str().ok())
        .collect();
    let Some(lines) = lines else {
        // A line we cannot read as text: leave the existing lines alone and
        // add the directive on a line of its own (lists may span lines).
        headers.append(CACHE_CONTROL, HeaderValue::from_static("no-cache=\"Ext\""));
        return;
    };
    let mut directives: Vec<String> = lines
        .iter()
        .flat_map(|line| split_list(line.as_bytes()))
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .collect();

    let mut qualified_at = None;
    for (i, directive) in directives.iter().enumerate() {
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (directive.trim(), None),
        };
        if !name.eq_ignore_ascii_case("no-cache") {
            continue;
        }
        let Some(value) = value else {
            return; // Unqualified no-cache already covers Ext.
        };
        let fields = value.trim_matches('"');
        if fields
            .split(',')
            .any(|f| f.trim().eq_ignore_ascii_case("Ext"))
        {
            return;
        }
        qualified_at.get_or_insert(i);
    }
    match qualified_at {
        Some(i) => {
            // One no-cache directive with the union of fields: RFC 9111 §4.2.1
            // lets caches distrust a directive that appears twice.
            let value = directives[i]
                .split_once('=')
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
                .unwrap_or_default();
            directives[i] = format!("no-cache=\"{value}, Ext\"");
        }
        None => directives.push("no-cache=\"Ext\"".to_owned()),
    }
    match HeaderValue::from_str(&directives.join(", ")) {
        Ok(value) => {
            headers.insert(CACHE_CONTROL, value);
        }
        Err(_) => {
            headers.append(CACHE_CONTROL, HeaderValue::from_static("no-cache=\"Ext\""));
        }
    }
}

/// Ensures `Expires` ≤ `Date` (RFC 2774 §5.1, for HTTP/1.0 caches).
fn expire_at_date(headers: &mut HeaderMap, now: SystemTime) {
    let date = headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| httpdate::parse_http_date(s).ok());
    let date = match date {
        Some(date) => date,
        None => {
            headers.insert(DATE, http_date(now));
            // Re-read so that Expires equals Date to the second.
            httpdate::parse_http_date(&httpdate::fmt_http_date(now)).unwrap_or(now)
        }
    };
    let expires = headers.get_all(EXPIRES).iter().collect::<Vec<_>>();
    let already_past = expires.len() == 1
        && expires[0]
            .to_str()
            .ok()
            .and_then(|s| httpdate::parse_http_date(s).ok())
            .is_some_and(|e| e <= date);
    if !already_past {
        headers.insert(EXPIRES, http_date(date));
    }
}

fn http_date(t: SystemTime) -> HeaderValue {
    // fmt_http_date yields IMF-fixdate, always a valid header value.
    HeaderValue::from_str(&httpdate::fmt_http_date(t))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

fn vary_names_declaration_fields(headers: &mut HeaderMap, fulfilled: &Fulfilled) {
    if !headers.contains_key(VARY) {
        return;
    }
    let vary = list_elements(headers, &VARY);
    if vary.iter().any(|v| v == "*") {
        return;
    }
    for (_, declared) in fulfilled.declarations() {
        let Some(prefix) = &declared.declaration().prefix else {
            continue;
        };
        let lower = |s: &str| s.to_ascii_lowercase();
        if vary.iter().any(|v| prefix.strip_from(&lower(v)).is_some()) {
            append_list_token(headers, VARY, declared.kind().header_name());
        }
    }
}

#[cfg(test)]
mod tests;
