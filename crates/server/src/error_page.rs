//! Error responses: a body chosen by `Accept` (E-1), exact framing, `Vary: Accept`.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE, VARY};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

use crate::body::Body;
use crate::error::Problem;

/// The body formats an error can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; charset=utf-8`: the default (curl, scripts).
    Text,
    /// A small page for people in browsers.
    Html,
    /// `application/problem+json` (RFC 9457).
    ProblemJson,
}

/// Renders [`Problem`]s into responses.
#[derive(Debug, Clone, Default)]
pub struct ErrorPages {
    /// `Cache-Control` for generated 405 and 501 responses (`error_cache_control`). Without
    /// it they carry none and stay heuristically cacheable (C-4).
    pub cache_control_405_501: Option<HeaderValue>,
}

impl ErrorPages {
    /// The response for `problem`, its body in the format `request_headers`' Accept prefers.
    pub fn render(&self, problem: &Problem, request_headers: &HeaderMap) -> Response<Body> {
        let format = negotiate(request_headers.get_all(http::header::ACCEPT).iter());
        let (content_type, body) = match format {
            Format::Text => ("text/plain; charset=utf-8", text(problem)),
            Format::Html => ("text/html; charset=utf-8", html(problem)),
            Format::ProblemJson => ("application/problem+json", json(problem)),
        };
        let mut resp = Response::new(Body::Full(Bytes::from(body)));
        *resp.status_mut() = problem.status;
        let headers = resp.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(VARY, HeaderValue::from_static("Accept"));
        for (name, value) in &problem.headers {
            headers.append(name.clone(), value.clone());
        }
        if let Some(cc) = &self.cache_control_405_501 {
            if matches!(problem.status, StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED) {
                headers.insert(CACHE_CONTROL, cc.clone());
            }
        }
        if problem.close {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}

/// Chooses the error body format from Accept (RFC 9110 §12.5.1): highest q wins, a specific
/// media type beats a wildcard at equal q, and plain text wins remaining ties.
pub fn negotiate<'a>(accept: impl Iterator<Item = &'a HeaderValue>) -> Format {
    let ranges: Vec<(String, f32)> = accept
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let range = parts.next()?.trim().to_ascii_lowercase();
            if range.is_empty() {
                return None;
            }
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((range, q.clamp(0.0, 1.0)))
        })
        .collect();
    if ranges.is_empty() {
        return Format::Text;
    }
    let score = |types: &[&str]| -> (f32, u8) {
        let mut best: Option<(f32, u8)> = None;
        for (range, q) in &ranges {
            for t in types {
                let (major, _) = t.split_once('/').unwrap_or((t, ""));
                let specificity = if range == t {
                    2
                } else if range.strip_suffix("/*") == Some(major) {
                    1
                } else if range == "*/*" {
                    0
                } else {
                    continue;
                };
                if best.is_none_or(|(_, s)| specificity > s) {
                    best = Some((*q, specificity));
                }
            }
        }
        best.unwrap_or((0.0, 0))
    };
    let candidates = [
        (Format::Text, score(&["text/plain"])),
        (Format::Html, score(&["text/html", "application/xhtml+xml"])),
        (Format::ProblemJson, score(&["application/problem+json", "application/json"])),
    ];
    let mut best = (Format::Text, (0.0f32, 0u8));
    for (format, (q, s)) in candidates {
        if q > best.1 .0 || (q == best.1 .0 && s > best.1 .1) {
            best = (format, (q, s));
        }
    }
    if best.1 .0 == 0.0 {
        Format::Text
    } else {
        best.0
    }
}

fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        510 => "Not Extended",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

fn title(status: StatusCode) -> String {
    format!("{} {}", status.as_u16(), reason(status))
}

fn retry_sentence(p: &Problem) -> &'static str {
    if p.temporary {
        "Probably: the problem is temporary. Try again later."
    } else if p.status.is_client_error() {
        "Not unless the request is changed: sending the same request again will get the same answer."
    } else {
        "Not soon: the server does not support this request. Sending it again will get the same answer."
    }
}

// Assembled piece by piece rather than with `format!`: plain text is the default format,
// so every 404, 405 and 501 without an Accept goes through here, and the formatting
// machinery was a seventh of the server's user time on an unknown method.
fn text(p: &Problem) -> String {
    const RETRY: &str = "\n\nWill retrying help? ";
    const OPERATOR: &str = "For the site's operator: ";
    let reason = reason(p.status);
    let retry = retry_sentence(p);
    let advice = p.operator_advice.as_deref();
    let mut s = String::with_capacity(
        8 + reason.len() + p.detail.len() + RETRY.len() + retry.len() + advice.map_or(0, |a| OPERATOR.len() + a.len() + 1),
    );
    for piece in [p.status.as_str(), " ", reason, "\n\n", &p.detail, RETRY, retry, "\n"] {
        s.push_str(piece);
    }
    if let Some(a) = advice {
        for piece in [OPERATOR, a, "\n"] {
            s.push_str(piece);
        }
    }
    s
}

fn html(p: &Problem) -> String {
    let t = escape(&title(p.status));
    let mut s = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#222}}\
         h1{{font-size:1.5em}}h2{{font-size:1.1em;margin-bottom:0}}</style></head>\n<body><h1>{t}</h1>\n<p>{}</p>\n\
         <h2>Will retrying help?</h2><p>{}</p>\n",
        escape(&p.detail),
        escape(retry_sentence(p))
    );
    if let Some(a) = &p.operator_advice {
        s.push_str(&format!("<h2>For the site's operator</h2><p>{}</p>\n", escape(a)));
    }
    s.push_str("<hr><p><small>methodical</small></p></body></html>\n");
    s
}

fn json(p: &Problem) -> String {
    let mut v = serde_json::json!({
        "type": "about:blank",
        "title": reason(p.status),
        "status": p.status.as_u16(),
        "detail": p.detail,
        "temporary": p.temporary,
    });
    if let Some(a) = &p.operator_advice {
        v["operator_advice"] = serde_json::Value::String(a.clone());
    }
    let mut s = v.to_string();
    s.push('\n');
    s
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(accept: &str) -> Format {
        let v = HeaderValue::from_str(accept).unwrap();
        negotiate(std::iter::once(&v))
    }

    #[test]
    fn e1_negotiation() {
        assert_eq!(negotiate(std::iter::empty()), Format::Text);
        assert_eq!(n("*/*"), Format::Text);
        assert_eq!(n("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), Format::Html);
        assert_eq!(n("application/problem+json"), Format::ProblemJson);
        assert_eq!(n("application/json, text/plain;q=0.5"), Format::ProblemJson);
        assert_eq!(n("text/html;q=0.1, text/plain"), Format::Text);
        assert_eq!(n("image/png"), Format::Text);
        assert_eq!(n("text/*"), Format::Text);
    }

    #[test]
    fn e1_bodies_explain() {
        let p = crate::error::HttpError::NotFound.problem();
        let pages = ErrorPages::default();
        let mut h = HeaderMap::new();
        h.insert(http::header::ACCEPT, HeaderValue::from_static("application/problem+json"));
        let r = pages.render(&p, &h);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/problem+json");
        assert_eq!(r.headers()[VARY], "Accept");
        let Body::Full(b) = r.into_body() else { panic!() };
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["status"], 404);
        assert!(html(&p).contains("<h1>404 Not Found</h1>"));
        let t = text(&p);
        assert!(t.starts_with("404 Not Found\n\n"), "{t}");
        assert!(t.contains("\n\nWill retrying help? Not unless the request is changed"), "{t}");
        let mut with_advice = p.clone();
        with_advice.operator_advice = Some("Do this.".into());
        assert!(text(&with_advice).ends_with("\nFor the site's operator: Do this.\n"));
        assert_eq!(escape("<script>&\""), "&lt;script&gt;&amp;&quot;");
    }
}
