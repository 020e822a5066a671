//! Request smuggling (issue 8, item 2): a corpus of ambiguous or invalid HTTP/1.1 framing sent
//! to a static, a WebDAV and a proxy route. Every refused request gets its status (400; 501
//! for an unknown transfer coding, E-4; 505 for a bad version, E-11), `Connection: close`,
//! and the connection ends right after that one response, so the request hidden in its
//! content is never read (M-1, M-6, E-4, RFC 9112 §6.3, §7.1, §11.2). Through the gateway,
//! the recording upstream never sees a second request, and never `/admin` (P-3: the content
//! is re-framed for the next hop).
//!
//! The legal-but-unusual variants (`Transfer-Encoding:  chunked`, `Content-Length: 5, 5`, …)
//! are read the one correct way: the hidden request stays content.

mod common;
#[path = "common/upstream.rs"]
mod upstream;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use common::{Conn, RawResponse, Server};
use upstream::{Reply, Upstream};

/// The request smuggled inside the content of the first; `{R}` is the route prefix.
const HIDDEN: &str = "GET {R}admin HTTP/1.1\r\nHost: test\r\n\r\n";

fn config(u: &Upstream) -> String {
    format!(
        r#"
[limits]
header_timeout = "3s"
body_timeout = "3s"

[[route]]
prefix = "/static/"
static = {{ root = "site" }}

[[route]]
prefix = "/dav/"
webdav = {{ root = "dav", anonymous_write = true }}

[[route]]
prefix = "/proxy/"
proxy = {{ upstream = "{}", response_timeout = "3s" }}
"#,
        u.url()
    )
}

fn start() -> (Upstream, Server) {
    let u = Upstream::start(|r| Reply::ok(&[("X-Seen", &r.target)], b"upstream"));
    let s = Server::start(&config(&u), &[("site/a.txt", b"static a"), ("site/admin", b"static admin"), ("dav/admin", b"dav admin")]);
    (u, s)
}

/// A route and the method its requests use: one that reads the content (PUT on WebDAV, POST
/// through the gateway) and one that does not (GET on a static file).
#[derive(Clone, Copy, Debug)]
struct Route {
    prefix: &'static str,
    method: &'static str,
    target: &'static str,
}

const ROUTES: [Route; 3] = [
    Route { prefix: "/static/", method: "GET", target: "/static/a.txt" },
    Route { prefix: "/dav/", method: "PUT", target: "/dav/upload" },
    Route { prefix: "/proxy/", method: "POST", target: "/proxy/r" },
];

/// One corpus entry: a raw request template whose markers `{M}` (method), `{T}` (target),
/// `{R}` (route prefix) and `{H}` (the hidden request) are filled in per route.
struct Case {
    name: &'static str,
    raw: &'static str,
    /// Where the error is found: in the head (the answer is the status below on every route)
    /// or in chunked content (found only when the content is read).
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Refused from the head with this status.
    Head(u16),
    /// Invalid chunked content.
    Chunks,
}

fn fill(template: &str, route: Route) -> Vec<u8> {
    let hidden = HIDDEN.replace("{R}", route.prefix);
    template
        .replace("{M}", route.method)
        .replace("{T}", route.target)
        .replace("{R}", route.prefix)
        .replace("{H}", &hidden)
        .into_bytes()
}

/// Head-level refusals: conflicting or invalid framing fields, obs-fold, bare LF, control
/// octets, bad versions.
const HEAD_CASES: &[Case] = &[
    // CL + TE in both orders (RFC 9112 §6.3 rule 3, E-4 [PD] 400 + close).
    Case { name: "cl-then-te", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-then-cl", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "cl-zero-and-te", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    // Two different Content-Length values.
    Case { name: "two-cl-lines", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-list-differs", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5, 41\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-list-empty-member", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5,\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // Content-Length that is not 1*DIGIT.
    Case { name: "cl-plus", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: +5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-minus", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: -5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-space-inside", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 1 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-tab-inside", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 1\t5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-hex", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 0x5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-decimal-point", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5.0\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-exponent", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5e0\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-empty", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: \r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-overflow", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 18446744073709551621\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-unicode-digit", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: \u{0665}\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // Transfer-Encoding that does not end in exactly one chunked (RFC 9112 §6.3 rule 4, §7).
    Case { name: "te-chunked-twice", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-chunked-two-lines", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-xchunked", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "te-xchunked-alone", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-chunkedx", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-chunked-then-identity", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-identity", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-gzip-not-last-chunked", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-empty", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: \r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-quoted", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-vertical-tab", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-form-feed", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\x0c\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    // Unknown codings before chunked: 501 (RFC 9112 §6.1, E-4).
    Case { name: "te-unknown-then-chunked", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(501) },
    Case { name: "te-gzip-then-chunked", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(501) },
    Case { name: "te-two-lines-unknown-first", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(501) },
    // Whitespace around the field name: ` Transfer-Encoding` (leading space = whitespace
    // after the request-line or obs-fold), `Transfer-Encoding :` (M-6).
    Case { name: "te-name-leading-space-first-line", raw: "{M} {T} HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "te-name-leading-space", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "te-name-leading-tab", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\n\tTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "te-space-before-colon", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "te-tab-before-colon", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding\t: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "cl-space-before-colon", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length : 41\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // obs-fold (M-6 [PD] reject), including a folded Transfer-Encoding and Content-Length.
    Case { name: "obs-fold-te-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "obs-fold-te-second-coding", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip,\r\n\tchunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "obs-fold-cl", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n 0\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "obs-fold-other-field", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // Bare LF and bare CR (RFC 9112 §2.2 [PD] refused).
    Case { name: "bare-lf-everywhere", raw: "{M} {T} HTTP/1.1\nHost: test\nContent-Length: 5\n\nhello{H}", kind: Kind::Head(400) },
    Case { name: "bare-lf-request-line", raw: "{M} {T} HTTP/1.1\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "bare-lf-before-te", raw: "{M} {T} HTTP/1.1\r\nHost: test\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "bare-lf-end-of-head", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\nhello{H}", kind: Kind::Head(400) },
    Case { name: "bare-cr-before-te", raw: "{M} {T} HTTP/1.1\r\nHost: test\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "bare-cr-in-cl", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r0\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // NUL and control octets in names and values.
    Case { name: "nul-in-te-name", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding\x00: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "nul-in-te-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\x00\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "nul-in-cl-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\x0041\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "nul-in-other-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nX-A: a\x00b\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "ctl-0x01-in-name", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nX\x01A: b\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "ctl-0x1f-in-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nX-A: a\x1fb\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "del-in-name", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nX\x7fA: b\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "del-in-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nX-A: a\x7fb\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "escape-in-te-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: \x1bchunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "no-colon", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "empty-name", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\n: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "two-hosts", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nHost: other\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // Transfer-Encoding in HTTP/1.0 (RFC 9112 §6.1: the framing is faulty).
    Case { name: "te-http10", raw: "{M} {T} HTTP/1.0\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(400) },
    Case { name: "te-http10-with-cl", raw: "{M} {T} HTTP/1.0\r\nHost: test\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    // Request-line tricks and bad versions (M-1, E-11).
    Case { name: "two-spaces-after-method", raw: "{M}  {T} HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "tab-after-target", raw: "{M} {T}\tHTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "version-trailing-space", raw: "{M} {T} HTTP/1.1 \r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "version-lower-case", raw: "{M} {T} http/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "version-two-digit-minor", raw: "{M} {T} HTTP/1.10\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(400) },
    Case { name: "version-2.0-text", raw: "{M} {T} HTTP/2.0\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(505) },
    Case { name: "version-0.9", raw: "{M} {T} HTTP/0.9\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello{H}", kind: Kind::Head(505) },
    Case { name: "version-3.0", raw: "{M} {T} HTTP/3.0\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{H}", kind: Kind::Head(505) },
];

/// Invalid chunked content (RFC 9112 §7.1, §7.1.1, §7.1.2). The head is valid, so the
/// error shows only when the content is read.
const CHUNK_CASES: &[Case] = &[
    Case { name: "chunk-size-0x", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-minus", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-plus", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-leading-space", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-trailing-space", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-trailing-tab", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\t\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-underscore", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n0_5\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-empty", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-overflow", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-size-nul", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\x00\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-line-bare-lf", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-line-bare-cr", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-data-longer-than-size", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-data-bare-lf", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-empty-name", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-no-semicolon", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5 a=b\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-space-in-value", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b c\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-unterminated-quote", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-lf-in-quote", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\nc\"\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-control", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "chunk-ext-bad-name", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;a(b)\r\nhello\r\n0\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "last-chunk-bad-trailer", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nno colon here\r\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "last-chunk-trailer-bare-lf", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\n\r\n{H}", kind: Kind::Chunks },
    Case { name: "last-chunk-trailer-obs-fold", raw: "{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n folded\r\n\r\n{H}", kind: Kind::Chunks },
];

/// Over-long chunk lines are built at run time.
fn long_chunk_line_cases() -> Vec<(String, Vec<u8>)> {
    let long_ext = format!("5;a={}\r\nhello\r\n0\r\n\r\n", "b".repeat(8000));
    let long_zeros = format!("{}5\r\nhello\r\n0\r\n\r\n", "0".repeat(8000));
    vec![("chunk-line-8k-extension".into(), long_ext.into_bytes()), ("chunk-size-8k-leading-zeros".into(), long_zeros.into_bytes())]
}

/// What the client saw on one connection.
struct Seen {
    response: RawResponse,
    /// Octets after the first response (a second response would be a desync).
    extra: Vec<u8>,
}

/// Sends `request` in one write and reads the one response; then waits for the end of the
/// connection and collects anything sent after the response.
fn exchange(addr: SocketAddr, request: &[u8]) -> Seen {
    let mut c = Conn::open(addr);
    // A server that refuses early may close before everything is written: not an error.
    let _ = c.stream.write_all(request);
    let response = c.response(false);
    let mut extra = c.leftover().to_vec();
    if response.closed {
        return Seen { response, extra };
    }
    c.stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 4096];
    while let Ok(n) = c.stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        extra.extend_from_slice(&buf[..n]);
    }
    Seen { response, extra }
}

fn assert_refused(label: &str, seen: &Seen, status: u16) {
    let r = &seen.response;
    assert_eq!(r.status, status, "{label}: {r:?}");
    assert!(r.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")), "{label}: Connection: close missing: {r:?}");
    assert!(r.closed, "{label}: the connection must end after the refusal");
    assert!(seen.extra.is_empty(), "{label}: a second response was sent: {:?}", String::from_utf8_lossy(&seen.extra));
    assert!(!r.text().contains("admin"), "{label}: the hidden request was answered: {}", r.text());
}

/// No request the upstream received names `/admin`, and no recorded request holds another
/// request line in its head (a desync would show as either).
fn assert_upstream_clean(label: &str, u: &Upstream, at_most: usize) {
    let seen = u.requests();
    assert!(seen.len() <= at_most, "{label}: upstream saw {} requests: {:?}", seen.len(), seen.iter().map(|r| r.request_line()).collect::<Vec<_>>());
    for r in &seen {
        assert!(!r.target.contains("admin"), "{label}: DESYNC: upstream received {}", r.request_line());
    }
}

#[test]
fn e4_m1_m6_e11_smuggling_corpus_is_refused_and_closes_on_every_route() {
    let (u, s) = start();
    let mut sent = 0;
    for case in HEAD_CASES {
        let Kind::Head(status) = case.kind else { unreachable!("head cases only") };
        for route in ROUTES {
            let label = format!("{} on {}", case.name, route.prefix);
            let before = u.count();
            let seen = exchange(s.addr, &fill(case.raw, route));
            assert_refused(&label, &seen, status);
            assert_eq!(u.count(), before, "{label}: a refused request reached the upstream");
            sent += 1;
        }
    }
    assert_upstream_clean("head corpus", &u, 0);
    assert_eq!(sent, HEAD_CASES.len() * ROUTES.len());
    eprintln!("smuggling corpus: {} head cases x {} routes = {sent} requests, 0 desyncs", HEAD_CASES.len(), ROUTES.len());
    // Nothing was written by any of them.
    assert!(!s.path("dav/upload").exists(), "a refused PUT wrote a file");
    assert_eq!(std::fs::read(s.path("dav/admin")).unwrap(), b"dav admin");
}

/// Invalid chunked content: each route reads the content (the static route reads and
/// discards what comes with GET), finds the error, answers 400 with `Connection: close` and
/// reads no further (RFC 9112 §7.1: where the next request starts is lost).
#[test]
fn e4_invalid_chunked_content_ends_the_connection_on_every_route() {
    let (u, s) = start();
    let mut cases: Vec<(String, Vec<u8>)> = CHUNK_CASES.iter().map(|c| (c.name.to_string(), c.raw.as_bytes().to_vec())).collect();
    for (name, body) in long_chunk_line_cases() {
        let mut raw = b"{M} {T} HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        raw.extend_from_slice(&body);
        raw.extend_from_slice(b"{H}");
        cases.push((name, raw));
    }
    let mut sent = 0;
    for (name, raw) in &cases {
        let raw = String::from_utf8(raw.clone()).unwrap();
        for route in ROUTES {
            let label = format!("{name} on {}", route.prefix);
            let seen = exchange(s.addr, &fill(&raw, route));
            // Static GET reads and discards content too, so every route finds the error.
            assert_refused(&label, &seen, 400);
            sent += 1;
        }
        assert!(!s.path("dav/upload").exists(), "{name}: a PUT with broken content left a file");
    }
    assert_upstream_clean("chunk corpus", &u, 0);
    eprintln!("smuggling corpus: {} chunked-content cases x {} routes = {sent} requests, 0 desyncs", cases.len(), ROUTES.len());
}

/// Legal but unusual framing is read the one correct way: the hidden request stays content,
/// is stored or forwarded as content, and is never answered.
#[test]
fn e4_p3_legal_framing_variants_keep_the_hidden_request_as_content() {
    let (u, s) = start();
    // (name, framing header lines, content as sent, content as meant)
    let hidden = |r: &str| HIDDEN.replace("{R}", r);
    let variants: Vec<(&str, String, Box<MakeContent>)> = vec![
        (
            "te-extra-ows",
            "Transfer-Encoding:   chunked  \r\n".into(),
            Box::new(move |r: &str| chunked(&hidden(r))),
        ),
        ("te-tab-ows", "Transfer-Encoding:\tchunked\t\r\n".into(), Box::new(move |r: &str| chunked(&hidden(r)))),
        ("te-upper-case", "Transfer-Encoding: CHUNKED\r\n".into(), Box::new(move |r: &str| chunked(&hidden(r)))),
        ("te-empty-list-member", "Transfer-Encoding: , chunked\r\n".into(), Box::new(move |r: &str| chunked(&hidden(r)))),
        ("chunk-ext-quoted", "Transfer-Encoding: chunked\r\n".into(), Box::new(move |r: &str| chunked_ext(&hidden(r), ";name=\"a b\\\"c\" ; x")),),
        ("cl-leading-zeros", String::new(), Box::new(move |r: &str| length(&hidden(r), "000"))),
        ("cl-same-twice", String::new(), Box::new(move |r: &str| length_twice(&hidden(r)))),
        ("cl-same-list", String::new(), Box::new(move |r: &str| length_list(&hidden(r)))),
        // Framing fields named as connection options (A-12, P-3): the gateway drops the field
        // but still frames the content it read for the next hop.
        ("connection-lists-content-length", String::new(), Box::new(move |r: &str| {
            let (wire, meant) = length(&hidden(r), "");
            ([b"Connection: Content-Length\r\n".as_slice(), &wire].concat(), meant)
        })),
        ("connection-lists-transfer-encoding", "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n".into(), Box::new(move |r: &str| chunked(&hidden(r)))),
    ];
    let mut sent = 0;
    for (name, framing, make) in &variants {
        for route in ROUTES {
            let label = format!("{name} on {}", route.prefix);
            let (wire, meant) = make(route.prefix);
            let mut req = format!("{} {} HTTP/1.1\r\nHost: test\r\n{framing}", route.method, route.target).into_bytes();
            if framing.is_empty() {
                // The length variants carry their own Content-Length line(s) in `wire`.
                req.extend_from_slice(&wire);
            } else {
                req.extend_from_slice(b"\r\n");
                req.extend_from_slice(&wire);
            }
            let before = u.count();
            let seen = exchange(s.addr, &req);
            let r = &seen.response;
            assert!(seen.extra.is_empty(), "{label}: DESYNC: a second response: {:?}", String::from_utf8_lossy(&seen.extra));
            assert!(!r.text().contains("admin"), "{label}: {r:?}");
            match route.prefix {
                "/static/" => assert_eq!((r.status, r.text().as_str()), (200, "static a"), "{label}"),
                "/dav/" => {
                    assert!(matches!(r.status, 201 | 204), "{label}: {r:?}");
                    assert_eq!(std::fs::read(s.path("dav/upload")).unwrap(), meant, "{label}: stored content");
                }
                _ => {
                    assert_eq!(r.status, 200, "{label}: {r:?}");
                    assert_eq!(u.count(), before + 1, "{label}");
                    let got = u.last();
                    assert_eq!(got.body, meant, "{label}: forwarded content");
                    let framing_ok = match (got.header("content-length"), got.header("transfer-encoding")) {
                        (Some(cl), None) => cl.bytes().all(|b| b.is_ascii_digit()) && cl.parse::<usize>().ok() == Some(meant.len()),
                        (None, Some(te)) => te.eq_ignore_ascii_case("chunked"),
                        _ => false,
                    };
                    assert!(framing_ok, "{label}: P-3/RFC 9110 §8.6: the upstream got unusable framing: {:?}", got.headers);
                    assert_eq!(got.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case("content-length")).count(), got.header("content-length").map_or(0, |_| 1), "{label}: one Content-Length line");
                }
            }
            sent += 1;
        }
    }
    assert_upstream_clean("legal variants", &u, variants.len());
    eprintln!("smuggling corpus: {} legal variants x {} routes = {sent} requests, 0 desyncs", variants.len(), ROUTES.len());
}

/// Builds, for a route prefix, the octets after the framing lines and the content they mean.
type MakeContent = dyn Fn(&str) -> (Vec<u8>, Vec<u8>);

fn chunked(content: &str) -> (Vec<u8>, Vec<u8>) {
    chunked_ext(content, "")
}

fn chunked_ext(content: &str, ext: &str) -> (Vec<u8>, Vec<u8>) {
    let (a, b) = content.split_at(content.len() / 2);
    let wire = format!("{:x}{ext}\r\n{a}\r\n{:X}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len());
    (wire.into_bytes(), content.as_bytes().to_vec())
}

fn length(content: &str, zeros: &str) -> (Vec<u8>, Vec<u8>) {
    (format!("Content-Length: {zeros}{}\r\n\r\n{content}", content.len()).into_bytes(), content.as_bytes().to_vec())
}

fn length_twice(content: &str) -> (Vec<u8>, Vec<u8>) {
    let n = content.len();
    (format!("Content-Length: {n}\r\nContent-Length: {n}\r\n\r\n{content}").into_bytes(), content.as_bytes().to_vec())
}

fn length_list(content: &str) -> (Vec<u8>, Vec<u8>) {
    let n = content.len();
    (format!("Content-Length: {n}, {n}\r\n\r\n{content}").into_bytes(), content.as_bytes().to_vec())
}

/// An early answer (405 from the method table, without reading the content) keeps the
/// connection only after reading past the content by its framing: the request inside the
/// content is discarded, never answered; the next real request is.
#[test]
fn e4_early_answer_drains_content_by_its_framing_and_never_parses_it() {
    let (u, s) = start();
    let hidden = HIDDEN.replace("{R}", "/static/");
    for (label, framing_and_body) in [
        ("length", format!("Content-Length: {}\r\n\r\n{hidden}hello", hidden.len() + 5)),
        ("chunked", {
            let h = HIDDEN.replace("{R}", "/static/");
            format!("Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{h}\r\n0\r\n\r\n", h.len())
        }),
    ] {
        let mut c = Conn::open(s.addr);
        c.send(format!("POST /static/a.txt HTTP/1.1\r\nHost: test\r\n{framing_and_body}").as_bytes());
        let r = c.response(false);
        assert_eq!(r.status, 405, "{label}");
        c.send(b"GET /static/a.txt HTTP/1.1\r\nHost: test\r\n\r\n");
        let r = c.response(false);
        assert_eq!((r.status, r.text().as_str()), (200, "static a"), "{label}: the next request is the real one");
        assert!(c.closed_within(Duration::from_millis(200)) || c.leftover().is_empty(), "{label}");
        assert!(c.leftover().is_empty(), "{label}: DESYNC: {:?}", String::from_utf8_lossy(c.leftover()));
    }
    // Broken chunked content behind an early answer: what has already arrived is read before
    // the answer goes out, so the answer says `Connection: close` and nothing after it is
    // parsed; content that arrives only after the answer still ends the connection.
    for (label, body) in [("bad size", "0x5\r\nhello\r\n0\r\n\r\n"), ("bad extension", "5;a=b c\r\nhello\r\n0\r\n\r\n"), ("size too short", "3\r\nhello\r\n0\r\n\r\n")] {
        let seen = exchange(s.addr, format!("POST /static/a.txt HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n{body}{hidden}").as_bytes());
        assert_refused(&format!("405 then {label}"), &seen, 405);
        let mut c = Conn::open(s.addr);
        c.send(b"POST /static/a.txt HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
        let r = c.response(false);
        assert_eq!(r.status, 405, "{label}");
        let _ = c.stream.write_all(format!("{body}{hidden}").as_bytes());
        assert!(c.closed_within(Duration::from_secs(2)), "{label} after the answer: the connection ends");
        assert!(c.leftover().is_empty(), "{label}: DESYNC: {:?}", String::from_utf8_lossy(c.leftover()));
    }
    // Through the gateway: 405 is upstream's to give; a POST with a hidden request in its
    // content is one request upstream.
    let h = HIDDEN.replace("{R}", "/proxy/");
    let mut c = Conn::open(s.addr);
    c.send(format!("POST /proxy/r HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{h}", h.len()).as_bytes());
    assert_eq!(c.response(false).status, 200);
    c.send(b"GET /proxy/next HTTP/1.1\r\nHost: test\r\n\r\n");
    assert_eq!(c.response(false).status, 200);
    assert_eq!(u.requests().iter().map(|r| r.request_line()).collect::<Vec<_>>(), ["POST /proxy/r HTTP/1.1", "GET /proxy/next HTTP/1.1"]);
    assert_eq!(u.requests()[0].body, h.as_bytes());
}
