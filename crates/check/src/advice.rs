//! One line of advice per failed check, tailored to the server family named
//! in the `Server` header (nginx, Apache httpd, Caddy, methodical).

/// The kind of server, guessed from its `Server` header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerFamily {
    /// `Server: nginx…`
    Nginx,
    /// `Server: Apache…`
    Apache,
    /// `Server: Caddy`
    Caddy,
    /// `Server: methodical…`
    Methodical,
    /// Anything else, or no `Server` header.
    Other,
}

impl ServerFamily {
    /// Classifies a `Server` header value.
    pub fn from_server_header(value: Option<&str>) -> ServerFamily {
        let v = value.unwrap_or("").to_ascii_lowercase();
        if v.starts_with("nginx") || v.contains("openresty") {
            ServerFamily::Nginx
        } else if v.starts_with("apache") {
            ServerFamily::Apache
        } else if v.starts_with("caddy") {
            ServerFamily::Caddy
        } else if v.starts_with("methodical") {
            ServerFamily::Methodical
        } else {
            ServerFamily::Other
        }
    }

    /// The name used as the advice prefix.
    pub fn label(&self) -> &'static str {
        match self {
            ServerFamily::Nginx => "nginx",
            ServerFamily::Apache => "Apache",
            ServerFamily::Caddy => "Caddy",
            ServerFamily::Methodical => "methodical",
            ServerFamily::Other => "server",
        }
    }
}

const NGINX_501: &str = "add `if ($request_method !~ ^(GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE)$) { return 501; }` to the server block (nginx answers every method it does not handle with 405)";
const APACHE_501_DAV: &str = "the core knows WebDAV methods even without mod_dav and answers 405; for 501 add `RewriteEngine on`, `RewriteCond %{REQUEST_METHOD} ^(PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|SEARCH)$`, `RewriteRule ^ - [R=501]` outside DAV locations";
const CADDY_501: &str =
    "`@unknown not method GET HEAD POST PUT DELETE OPTIONS TRACE` and `respond @unknown 501`";

fn specific(family: &ServerFamily, id: &str, name: &str) -> Option<&'static str> {
    Some(match (family, id, name) {
        (ServerFamily::Nginx, "M-7", _) | (ServerFamily::Nginx, "M-3", _) | (ServerFamily::Nginx, "X-5", _) => NGINX_501,
        (ServerFamily::Nginx, "D-2", _) | (ServerFamily::Nginx, "S-5", _) => NGINX_501,
        (ServerFamily::Nginx, "M-9", "405-carries-allow") => {
            "its built-in 405 page has no Allow: add `add_header Allow \"GET, HEAD, OPTIONS\" always;` to each location (list what it really serves)"
        }
        (ServerFamily::Nginx, "M-2", _) => {
            "the request parser rejects lower-case method tokens with 400 before any configuration runs; no directive changes this"
        }
        (ServerFamily::Nginx, "M-1", "two-spaces") => "the request-line parser accepts repeated spaces; no directive makes it strict",
        (ServerFamily::Nginx, "M-12", _) => {
            "static locations refuse OPTIONS with 405: add `if ($request_method = OPTIONS) { add_header Allow \"GET, HEAD, OPTIONS\"; return 200; }`"
        }
        (ServerFamily::Nginx, "M-13", _) => "the parser rejects `OPTIONS *` with 400; no directive changes this",
        (ServerFamily::Nginx, "M-15", _) => "CONNECT is rejected with 400 by the parser (no tunnel support); no directive gives 501",
        (ServerFamily::Nginx, "E-7", "unknown-expectation") => {
            "unknown expectations are ignored: add `if ($http_expect !~* \"^(100-continue)?$\") { return 417; }`"
        }
        (ServerFamily::Nginx, "E-4", "transfer-coding-not-chunked-last") => {
            "answers 501 (coding not implemented) where RFC 9112 §6.1 asks for 400; not configurable"
        }
        (ServerFamily::Apache, "M-14", _) => "`TraceEnable off` (TRACE then gets 405 and is not echoed)",
        (ServerFamily::Apache, "D-2", _) | (ServerFamily::Apache, "S-5", _) => APACHE_501_DAV,
        (ServerFamily::Apache, "M-15", "connect") => {
            "without mod_proxy_connect CONNECT gets 405; for 501: `RewriteCond %{REQUEST_METHOD} =CONNECT` and `RewriteRule ^ - [R=501]`"
        }
        (ServerFamily::Apache, "E-7", "final-status-without-100") => {
            "the core sends 100 Continue before the handler decides; RFC 9110 §10.1.1 allows that, the digest prefers the final status; no directive changes it"
        }
        (ServerFamily::Apache, "E-4", "unknown-transfer-coding") => {
            "accepts unknown codings listed before chunked; no directive rejects them (a front proxy can)"
        }
        (ServerFamily::Apache, "E-11", _) => "treats `HTTP/2.0` on a text request line as HTTP/1.x; no directive changes this",
        (ServerFamily::Apache, "M-1", _) => "`HttpProtocolOptions Strict` makes request-line parsing strict",
        (ServerFamily::Apache, "M-9", "405-carries-allow") => {
            "a 405 from a module or a `<Limit>`/`Require method` rule may lack Allow: `Header always set Allow \"GET, HEAD, OPTIONS\" \"expr=%{REQUEST_STATUS} == 405\"`"
        }
        (ServerFamily::Caddy, "M-7", _) | (ServerFamily::Caddy, "M-3", _) | (ServerFamily::Caddy, "X-5", _) => CADDY_501,
        (ServerFamily::Caddy, "D-2", _) | (ServerFamily::Caddy, "S-5", _) => CADDY_501,
        (ServerFamily::Caddy, "M-9", "405-carries-allow") => "`header Allow \"GET, HEAD, OPTIONS\"` on routes that can answer 405",
        (ServerFamily::Caddy, "M-12", _) => {
            "`@opts method OPTIONS`, `header @opts Allow \"GET, HEAD, OPTIONS\"`, `respond @opts 200`"
        }
        (ServerFamily::Caddy, "M-14", _) => "`@trace method TRACE`, `header @trace Allow \"GET, HEAD, OPTIONS\"`, `respond @trace 405`",
        (ServerFamily::Methodical, _, _) => "this is a bug in methodical itself: please file an issue with this finding",
        _ => return None,
    })
}

fn generic(id: &str, name: &str) -> &'static str {
    match (id, name) {
        ("M-1", "bad-method-token") => "Reject request-lines that are not `token SP target SP version` with 400 and close the connection.",
        ("M-1", "two-spaces") => "Parse the request-line strictly (one SP between parts); lenient parsing enables request smuggling.",
        ("M-1", _) => "Ignore at least one empty line before the request-line instead of rejecting the request.",
        ("M-2", _) => "Dispatch on the exact method token: `get` is not GET; answer 501 for it.",
        ("M-3", _) => "Cap the method length (e.g. 64 octets) and answer 501 + Connection: close beyond it.",
        ("M-4", "long-target-414") => "Answer 414 to request-targets longer than the server parses.",
        ("M-4", _) => "Raise the request-line limit to at least 8000 octets.",
        ("M-5", "absolute-form") => "Accept absolute-form targets and take the host from the target, ignoring Host.",
        ("M-5", _) => "Accept `*` only with OPTIONS; answer 400 otherwise.",
        ("M-6", _) => "Answer 400 to requests with no Host, two Host lines, or whitespace before a colon.",
        ("M-7", _) => "Answer methods the server does not implement with 501; 405 is for implemented methods the resource refuses.",
        ("M-8", _) => "Send Retry-After on a 501 only for methods declared as planned.",
        ("M-9", "405-carries-allow") => "Add Allow, listing the methods the resource accepts, to every 405.",
        ("M-9", _) => "Build Allow from the methods the resource really accepts; never list the refused one.",
        ("M-10", _) => "Serve GET and HEAD wherever there is a representation; HEAD must get GET's status.",
        ("M-11", "head-has-no-body") | ("M-11", "head-404-no-body") => "Never send content in a response to HEAD, error pages included.",
        ("M-11", "head-content-length") => "Derive HEAD's Content-Length from the representation GET sends, or omit it.",
        ("M-11", _) => "Send the same Content-Type and ETag for HEAD as for GET.",
        ("M-12", _) => "Answer OPTIONS with 200, Allow and Content-Length: 0.",
        ("M-13", _) => "Answer `OPTIONS *` with 200 and Content-Length: 0 at the server itself.",
        ("M-14", _) => "Turn TRACE off (405 + Allow without TRACE), or strip Cookie/Authorization from the echo.",
        ("M-15", "connect") => "Answer CONNECT with 501 unless the server is meant to open tunnels.",
        ("M-15", _) => "Reject CONNECT without a port (400).",
        ("M-17", _) => "PUT that creates → 201, that replaces → 200/204; DELETE → 200/202/204 and the resource is gone.",
        ("X-5", _) => "Answer M- methods with 501 unless RFC 2774 is implemented; never serve them as the base method.",
        ("X-9", _) => "Answer M- requests with a hop-by-hop C-Man at the gateway with 501.",
        ("D-2", _) => "Answer WebDAV methods with 501 on routes without a WebDAV handler.",
        ("D-3", "dav-options") => "Send `DAV: 1` (and 2 with locking) and list the WebDAV methods in Allow on OPTIONS.",
        ("D-3", _) => "Send the DAV header only on WebDAV resources.",
        ("D-4", "propfind-malformed-xml") => "Answer a PROPFIND body that is not well-formed XML with 400.",
        ("D-4", _) => "Answer PROPFIND Depth: 0 with 207 and an XML multistatus.",
        ("D-6", _) => "MKCOL → 201 for a new collection, 405 (Allow without MKCOL) when it exists.",
        ("S-1", _) => "Answer SEARCH with 207 where OPTIONS advertises it, 405/501 elsewhere.",
        ("S-2", _) => "Send `DASL: <DAV:basicsearch>` exactly where Allow lists SEARCH.",
        ("S-5", _) => "Answer SEARCH with 501 on routes without a SEARCH handler.",
        ("E-1", "problem-json") => "Offer application/problem+json error bodies (RFC 9457) when the client asks for them.",
        ("E-1", _) => "Send a short body explaining every 4xx/5xx (except to HEAD).",
        ("E-2", _) => "Frame every response with an exact Content-Length or chunked, never both; nothing on 1xx/204.",
        ("E-3", _) => "Send Date on every response.",
        ("E-4", "invalid-content-length") => "Answer an invalid Content-Length with 400 and close the connection.",
        ("E-4", "unknown-transfer-coding") => "Answer transfer codings you do not implement with 501.",
        ("E-4", "transfer-coding-not-chunked-last") => "Answer 400 and close when Transfer-Encoding does not end in chunked.",
        ("E-4", _) => "Close the connection after answering a request with both Content-Length and Transfer-Encoding.",
        ("E-7", "unknown-expectation") => "Answer Expect values other than 100-continue with 417.",
        ("E-7", "final-status-without-100") => "When the headers already decide the answer (501, 405, 413…), send it at once instead of 100.",
        ("E-7", _) => "Send 100 Continue at once when a request announces content with Expect: 100-continue.",
        ("E-11", _) => "Answer unsupported major versions with 505.",
        ("P-3", _) => "Strip hop-by-hop fields (Keep-Alive, Proxy-Connection, TE, Upgrade, and all named in Connection) when forwarding.",
        ("P-4", _) => "Add `Via: 1.1 <pseudonym>` to forwarded requests (and, by default, to responses).",
        ("P-5", _) => "Answer OPTIONS and TRACE with Max-Forwards: 0 at the proxy, without forwarding.",
        ("C-4", _) => "Leave 405/501 heuristically cacheable: no no-store/private/no-cache unless configured.",
        ("C-5", _) => "Stop generating Warning (obsoleted by RFC 9111 §5.5).",
        _ => "See the digest entry for this id.",
    }
}

/// The advice line for a failed check.
pub fn advise(family: &ServerFamily, id: &str, name: &str) -> String {
    match specific(family, id, name) {
        Some(s) => format!("{}: {s}", family.label()),
        None => generic(id, name).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_server_header() {
        assert_eq!(
            ServerFamily::from_server_header(Some("nginx/1.22.1")),
            ServerFamily::Nginx
        );
        assert_eq!(
            ServerFamily::from_server_header(Some("Apache/2.4.71 (Debian)")),
            ServerFamily::Apache
        );
        assert_eq!(
            ServerFamily::from_server_header(Some("Caddy")),
            ServerFamily::Caddy
        );
        assert_eq!(ServerFamily::from_server_header(None), ServerFamily::Other);
    }

    #[test]
    fn advice_is_tailored_then_generic() {
        let a = advise(&ServerFamily::Nginx, "M-7", "unknown-method");
        assert!(a.starts_with("nginx: ") && a.contains("return 501"), "{a}");
        let a = advise(&ServerFamily::Apache, "M-14", "trace");
        assert!(a.contains("TraceEnable off"), "{a}");
        let a = advise(&ServerFamily::Other, "M-7", "unknown-method");
        assert!(a.contains("501"), "{a}");
    }
}
