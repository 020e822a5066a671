//! `Cache-Control` parsing for requests and responses (RFC 9111 §5.2).
//!
//! The field is a list: every line is split on commas that are not inside a quoted string,
//! and all lines are combined in order. Directive names are case-insensitive. Arguments may
//! use the token or the quoted-string form (§5.2: recipients accept both).
//!
//! Robustness rules, all from RFC 9111 §4.2.1 and §1.2.2:
//! - a delta-seconds value larger than 2^31 counts as 2147483648;
//! - an invalid freshness value (`max-age=a1`, `max-age='5'`, `max-age=1.5`, no value)
//!   makes the response stale (it counts as 0), which is the "consider it stale" option;
//! - a directive given several times keeps the most restrictive (smallest) value;
//! - an element that is not `token [ "=" ( token / quoted-string ) ]` (for example
//!   `max-age =5`, with a space before `=`) is malformed and ignored as a whole;
//! - unknown directives are kept in [`ResponseCacheControl::extensions`] but otherwise
//!   ignored (§5.2.3); the cache never rewrites the field, so they are forwarded (P-7);
//! - qualified `no-cache="x"` and `private="x"` are treated as unqualified.

use http::header::{HeaderMap, CACHE_CONTROL};
pub(crate) use methodical_policy::is_tchar;
use methodical_policy::list_comma;

/// The largest delta-seconds value a cache has to represent; larger ones are capped to it
/// (RFC 9111 §1.2.2).
pub const DELTA_SECONDS_CAP: u32 = 2_147_483_648;

/// One `name[=value]` element of a `Cache-Control` field, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased directive name.
    pub name: String,
    /// The argument, unquoted when it was a quoted-string. `None` when there was no `=`.
    pub value: Option<String>,
    /// False when an argument was present but was neither a token nor a complete
    /// quoted-string (e.g. `max-age= 5`).
    pub value_well_formed: bool,
}

/// Directives of a response's `Cache-Control` (RFC 9111 §5.2.2), as a shared cache reads
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseCacheControl {
    /// `no-store` (§5.2.2.5).
    pub no_store: bool,
    /// `no-cache`, qualified or not (§5.2.2.4, A-10).
    pub no_cache: bool,
    /// `private`, qualified or not (§5.2.2.7, A-10).
    pub private: bool,
    /// `public` (§5.2.2.9).
    pub public: bool,
    /// `must-revalidate` (§5.2.2.2).
    pub must_revalidate: bool,
    /// `proxy-revalidate` (§5.2.2.8).
    pub proxy_revalidate: bool,
    /// `must-understand` (§5.2.2.3).
    pub must_understand: bool,
    /// `no-transform` (§5.2.2.6).
    pub no_transform: bool,
    /// `immutable` (RFC 8246); informative only for a shared cache.
    pub immutable: bool,
    /// `max-age` in seconds; an invalid value reads as 0 (stale).
    pub max_age: Option<u32>,
    /// `s-maxage` in seconds; an invalid value reads as 0 (stale).
    pub s_maxage: Option<u32>,
    /// `stale-while-revalidate` window in seconds (RFC 5861 §3); invalid values are ignored.
    pub stale_while_revalidate: Option<u32>,
    /// `stale-if-error` window in seconds (RFC 5861 §4); invalid values are ignored.
    pub stale_if_error: Option<u32>,
    /// Every directive this parser does not interpret, in order.
    pub extensions: Vec<Directive>,
}

/// `max-stale` request directive (RFC 9111 §5.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxStale {
    /// `max-stale` without a value: any staleness is acceptable.
    Any,
    /// `max-stale=N`: staleness up to N seconds is acceptable.
    Seconds(u32),
}

/// Directives of a request's `Cache-Control` (RFC 9111 §5.2.1). The cache honours all of
/// them (C-9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCacheControl {
    /// `max-age=N`: the client wants a response no older than N seconds.
    pub max_age: Option<u32>,
    /// `max-stale[=N]`.
    pub max_stale: Option<MaxStale>,
    /// `min-fresh=N`: the response must stay fresh for at least N more seconds.
    pub min_fresh: Option<u32>,
    /// `no-cache`: validate before reuse.
    pub no_cache: bool,
    /// `no-store`: do not store the response to this request.
    pub no_store: bool,
    /// `no-transform`.
    pub no_transform: bool,
    /// `only-if-cached`: answer from the cache or with 504.
    pub only_if_cached: bool,
    /// `stale-if-error=N` (RFC 5861 §4) sent by the client.
    pub stale_if_error: Option<u32>,
    /// Every directive this parser does not interpret, in order.
    pub extensions: Vec<Directive>,
}

impl ResponseCacheControl {
    /// Parses every `Cache-Control` line of `headers`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut cc = Self::default();
        let mut name = [0; NAME_BUFFER];
        for d in raw_directives(headers) {
            match d.lowercase_name(&mut name) {
                b"no-store" => cc.no_store = true,
                b"no-cache" => cc.no_cache = true,
                b"private" => cc.private = true,
                b"public" => cc.public = true,
                b"must-revalidate" => cc.must_revalidate = true,
                b"proxy-revalidate" => cc.proxy_revalidate = true,
                b"must-understand" => cc.must_understand = true,
                b"no-transform" => cc.no_transform = true,
                b"immutable" => cc.immutable = true,
                // Invalid freshness information makes the response stale (§4.2.1).
                b"max-age" => merge_min(&mut cc.max_age, Some(d.delta().unwrap_or(0))),
                b"s-maxage" => merge_min(&mut cc.s_maxage, Some(d.delta().unwrap_or(0))),
                b"stale-while-revalidate" => merge_min(&mut cc.stale_while_revalidate, d.delta()),
                b"stale-if-error" => merge_min(&mut cc.stale_if_error, d.delta()),
                _ => cc.extensions.push(d.to_directive()),
            }
        }
        cc
    }

    /// True when a stale response must not be served without successful validation:
    /// `no-cache`, `must-revalidate`, `proxy-revalidate` or `s-maxage` (RFC 9111 §4.2.4,
    /// §5.2.2.10; C-13).
    pub fn forbids_stale(&self) -> bool {
        self.no_cache || self.must_revalidate || self.proxy_revalidate || self.s_maxage.is_some()
    }

    /// True when the response carries explicit freshness through `Cache-Control`
    /// (`max-age` or `s-maxage`).
    pub fn has_explicit_freshness(&self) -> bool {
        self.max_age.is_some() || self.s_maxage.is_some()
    }
}

impl RequestCacheControl {
    /// Parses every `Cache-Control` line of `headers`. `Pragma` is ignored: RFC 9111 §5.4
    /// deprecates it.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut cc = Self::default();
        let mut name = [0; NAME_BUFFER];
        for d in raw_directives(headers) {
            match d.lowercase_name(&mut name) {
                b"max-age" => merge_min(&mut cc.max_age, d.delta()),
                b"min-fresh" => merge_min(&mut cc.min_fresh, d.delta()),
                b"max-stale" => {
                    let parsed = match d.arg {
                        None => Some(MaxStale::Any),
                        Some(_) => d.delta().map(MaxStale::Seconds),
                    };
                    cc.max_stale = match (cc.max_stale, parsed) {
                        // Duplicates: keep the most restrictive.
                        (Some(MaxStale::Seconds(a)), Some(MaxStale::Seconds(b))) => {
                            Some(MaxStale::Seconds(a.min(b)))
                        }
                        (Some(MaxStale::Seconds(a)), Some(MaxStale::Any)) => {
                            Some(MaxStale::Seconds(a))
                        }
                        (None, p) | (Some(MaxStale::Any), p @ Some(_)) => p,
                        (current, None) => current,
                    };
                }
                b"no-cache" => cc.no_cache = true,
                b"no-store" => cc.no_store = true,
                b"no-transform" => cc.no_transform = true,
                b"only-if-cached" => cc.only_if_cached = true,
                b"stale-if-error" => merge_min(&mut cc.stale_if_error, d.delta()),
                _ => cc.extensions.push(d.to_directive()),
            }
        }
        cc
    }
}

fn merge_min(slot: &mut Option<u32>, new: Option<u32>) {
    if let Some(n) = new {
        *slot = Some(slot.map_or(n, |old| old.min(n)));
    }
}

/// Parses `1*DIGIT` as delta-seconds, capping overflow at 2147483648 (RFC 9111 §1.2.2).
pub fn parse_delta_seconds(v: &[u8]) -> Option<u32> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &b in v {
        n = n * 10 + u64::from(b - b'0');
        if n >= u64::from(DELTA_SECONDS_CAP) {
            return Some(DELTA_SECONDS_CAP);
        }
    }
    Some(n as u32)
}

/// Parses every `Cache-Control` line of `headers` into raw directives, in order.
pub fn parse_all(headers: &HeaderMap) -> Vec<Directive> {
    raw_directives(headers).map(|d| d.to_directive()).collect()
}

/// Parses one `Cache-Control` field line. Malformed elements are skipped.
pub fn parse_line(line: &[u8]) -> Vec<Directive> {
    ListElements(line).filter_map(RawDirective::parse).map(|d| d.to_directive()).collect()
}

/// Splits a list field line on commas outside quoted strings, trimming OWS and dropping
/// empty elements (RFC 9110 §5.6.1).
pub(crate) fn split_list(line: &[u8]) -> Vec<&[u8]> {
    ListElements(line).collect()
}

/// The elements of a list field line, as [`split_list`] finds them, without collecting them:
/// `Cache-Control` is read on every request and response that passes a cache.
struct ListElements<'a>(&'a [u8]);

impl<'a> Iterator for ListElements<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        while !self.0.is_empty() {
            let line = self.0;
            let end = list_comma(line).unwrap_or(line.len());
            self.0 = line.get(end + 1..).unwrap_or_default();
            let element = trim_ows(&line[..end]);
            if !element.is_empty() {
                return Some(element);
            }
        }
        None
    }
}

/// Every well-formed `Cache-Control` element of `headers`, in order, still in the field
/// values.
fn raw_directives(headers: &HeaderMap) -> impl Iterator<Item = RawDirective<'_>> {
    headers.get_all(CACHE_CONTROL).iter().flat_map(|v| ListElements(v.as_bytes())).filter_map(RawDirective::parse)
}

/// Longer than every directive name this module knows (`stale-while-revalidate`).
const NAME_BUFFER: usize = 24;

/// A directive before anything is copied: its name (checked to be a token) and argument.
struct RawDirective<'a> {
    name: &'a [u8],
    arg: Option<&'a [u8]>,
}

impl<'a> RawDirective<'a> {
    /// `token [ "=" argument ]`; anything else is malformed and skipped.
    fn parse(element: &'a [u8]) -> Option<Self> {
        let (name, arg) = match element.iter().position(|&b| b == b'=') {
            Some(eq) => (&element[..eq], Some(&element[eq + 1..])),
            None => (element, None),
        };
        (!name.is_empty() && name.iter().copied().all(is_tchar)).then_some(RawDirective { name, arg })
    }

    /// The name in lower case, written into `buf`; a name too long for it comes back
    /// empty, which matches no directive this module knows.
    fn lowercase_name<'b>(&self, buf: &'b mut [u8; NAME_BUFFER]) -> &'b [u8] {
        let Some(out) = buf.get_mut(..self.name.len()) else { return &[] };
        out.copy_from_slice(self.name);
        out.make_ascii_lowercase();
        out
    }

    /// The argument as delta-seconds, capped at [`DELTA_SECONDS_CAP`]; `None` when it is
    /// missing or malformed. Token and quoted-string forms are both accepted (§5.2).
    fn delta(&self) -> Option<u32> {
        match self.arg? {
            quoted @ [b'"', ..] => parse_delta_seconds(unquote(quoted)?.as_bytes()),
            token => parse_delta_seconds(token),
        }
    }

    fn to_directive(&self) -> Directive {
        let name = String::from_utf8_lossy(self.name).to_ascii_lowercase();
        let Some(arg) = self.arg else {
            return Directive { name, value: None, value_well_formed: true };
        };
        let (value, value_well_formed) = if arg.first() == Some(&b'"') {
            match unquote(arg) {
                Some(v) => (v, true),
                None => (String::from_utf8_lossy(arg).into_owned(), false),
            }
        } else {
            let ok = !arg.is_empty() && arg.iter().copied().all(is_tchar);
            (String::from_utf8_lossy(arg).into_owned(), ok)
        };
        Directive { name, value: Some(value), value_well_formed }
    }
}

pub(crate) fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}


/// Unquotes a complete quoted-string (nothing may follow the closing quote).
pub(crate) fn unquote(v: &[u8]) -> Option<String> {
    let inner = v.strip_prefix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut iter = inner.iter().enumerate();
    while let Some((i, &b)) = iter.next() {
        match b {
            b'\\' => out.push(*iter.next()?.1),
            b'"' => {
                return (i + 1 == inner.len()).then(|| String::from_utf8_lossy(&out).into_owned())
            }
            _ => out.push(b),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn resp(lines: &[&str]) -> ResponseCacheControl {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(CACHE_CONTROL, HeaderValue::from_str(l).unwrap());
        }
        ResponseCacheControl::from_headers(&h)
    }

    fn req(lines: &[&str]) -> RequestCacheControl {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(CACHE_CONTROL, HeaderValue::from_str(l).unwrap());
        }
        RequestCacheControl::from_headers(&h)
    }

    #[test]
    fn c8_names_are_case_insensitive_and_lines_combine() {
        let cc = resp(&["MaX-aGe=3600", "No-StOrE"]);
        assert_eq!(cc.max_age, Some(3600));
        assert!(cc.no_store);
    }

    #[test]
    fn c6_quoted_commas_do_not_split_and_quoted_directives_are_not_read() {
        let cc = resp(&["extension=\"max-age=3600, public\", max-age=1"]);
        assert_eq!(cc.max_age, Some(1));
        assert!(!cc.public);
        assert_eq!(cc.extensions.len(), 1);
        assert_eq!(cc.extensions[0].value.as_deref(), Some("max-age=3600, public"));
        let cc = resp(&["max-age=1, extension=\"max-age=3600\""]);
        assert_eq!(cc.max_age, Some(1));
    }

    #[test]
    fn c6_duplicates_keep_the_most_restrictive_value() {
        assert_eq!(resp(&["max-age=1800, max-age=1"]).max_age, Some(1));
        assert_eq!(resp(&["max-age=1", "max-age=1800"]).max_age, Some(1));
    }

    #[test]
    fn c6_overflowing_delta_seconds_is_capped() {
        assert_eq!(resp(&["max-age=2147483647"]).max_age, Some(2_147_483_647));
        assert_eq!(resp(&["max-age=2147483648"]).max_age, Some(DELTA_SECONDS_CAP));
        assert_eq!(resp(&["max-age=2147483649"]).max_age, Some(DELTA_SECONDS_CAP));
        assert_eq!(resp(&["max-age=99999999999999999999999"]).max_age, Some(DELTA_SECONDS_CAP));
        assert_eq!(resp(&["max-age=003600"]).max_age, Some(3600));
    }

    #[test]
    fn c6_invalid_freshness_values_count_as_stale() {
        for v in ["max-age=a3600", "max-age=3600a", "max-age=3600.0", "max-age='3600'", "max-age=-1", "max-age", "max-age= 3600"] {
            assert_eq!(resp(&[v]).max_age, Some(0), "{v}");
        }
        // A quoted-string argument is accepted (RFC 9111 §5.2).
        assert_eq!(resp(&["max-age=\"3600\""]).max_age, Some(3600));
    }

    #[test]
    fn c6_malformed_element_with_space_before_equals_is_ignored() {
        let cc = resp(&["max-age =3600"]);
        assert_eq!(cc.max_age, None);
        assert!(cc.extensions.is_empty());
    }

    #[test]
    fn c8_unknown_directives_are_kept_but_ignored() {
        let cc = resp(&["foobar, max-age=60, x-ext=\"1\", Stale-While-Revalidate-Extended=1"]);
        assert_eq!(cc.max_age, Some(60));
        assert_eq!(cc.stale_while_revalidate, None, "a longer name is another directive");
        let names: Vec<_> = cc.extensions.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["foobar", "x-ext", "stale-while-revalidate-extended"]);
    }

    #[test]
    fn a10_qualified_no_cache_and_private_are_unqualified() {
        let cc = resp(&["no-cache=\"Set-Cookie, Ext\", private=\"a\""]);
        assert!(cc.no_cache);
        assert!(cc.private);
    }

    #[test]
    fn c13_forbids_stale() {
        assert!(resp(&["max-age=1, must-revalidate"]).forbids_stale());
        assert!(resp(&["max-age=1, proxy-revalidate"]).forbids_stale());
        assert!(resp(&["s-maxage=1"]).forbids_stale());
        assert!(resp(&["no-cache"]).forbids_stale());
        assert!(!resp(&["max-age=1, stale-while-revalidate=5"]).forbids_stale());
    }

    #[test]
    fn c9_request_directives() {
        let cc = req(&["max-age=0, min-fresh=10", "max-stale, only-if-cached, no-store, no-cache"]);
        assert_eq!(cc.max_age, Some(0));
        assert_eq!(cc.min_fresh, Some(10));
        assert_eq!(cc.max_stale, Some(MaxStale::Any));
        assert!(cc.only_if_cached && cc.no_store && cc.no_cache);
        assert_eq!(req(&["max-stale=5"]).max_stale, Some(MaxStale::Seconds(5)));
        assert_eq!(req(&["max-stale=5, max-stale"]).max_stale, Some(MaxStale::Seconds(5)));
        assert_eq!(req(&["max-stale=abc"]).max_stale, None);
        // Invalid request values are ignored rather than guessed.
        assert_eq!(req(&["max-age=abc"]).max_age, None);
    }

    #[test]
    fn rfc5861_windows() {
        let cc = resp(&["max-age=1, stale-while-revalidate=30, stale-if-error=60"]);
        assert_eq!(cc.stale_while_revalidate, Some(30));
        assert_eq!(cc.stale_if_error, Some(60));
    }

    #[test]
    fn split_list_handles_escapes_and_empty_elements() {
        let parts = split_list(b" a, , b=\"x\\\",y\" ,c ");
        assert_eq!(parts, vec![&b"a"[..], &b"b=\"x\\\",y\""[..], &b"c"[..]]);
        assert_eq!(unquote(b"\"x\\\",y\"").as_deref(), Some("x\",y"));
        assert_eq!(unquote(b"\"abc\"d"), None);
        assert_eq!(unquote(b"\"abc"), None);
    }
}
