//! The check table: every probe the tool sends and how its answer is judged
//! against the spec digest (`shared/spec/http-method-semantics.md`).
//!
//! A [`ProbeCheck`] sends one probe and judges its exchange. Several checks may
//! share a probe (identical probes are sent once). A [`SweepCheck`] judges
//! every exchange of a run at once (e.g. "every 405 carries Allow").

mod dispatch;
mod framing;
mod proxy;
mod request_line;
mod sweeps;
mod webdav;
pub(crate) mod writes;

use std::collections::HashMap;

use crate::client::RawResponse;
use crate::probe::{Exchange, Probe};
use crate::target::Target;

/// How strong the requirement behind a check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Severity {
    /// An RFC MUST / MUST NOT.
    #[serde(rename = "MUST")]
    Must,
    /// An RFC SHOULD / SHOULD NOT (or RECOMMENDED).
    #[serde(rename = "SHOULD")]
    Should,
    /// A project decision where the RFC leaves room (`[PD]` in the digest).
    #[serde(rename = "PD")]
    ProjectDefault,
}

impl Severity {
    /// `MUST`, `SHOULD` or `PD`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Must => "MUST",
            Severity::Should => "SHOULD",
            Severity::ProjectDefault => "PD",
        }
    }
}

/// The digest section a check belongs to (the report is grouped by these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// §1 Request line and method token (M-1 … M-6).
    RequestLine,
    /// §2 Method dispatch at an origin (M-7 … M-17).
    Dispatch,
    /// §3 Status codes, error bodies, framing (E-).
    Framing,
    /// §4 Forwarding rules: proxy / gateway (P-).
    Forwarding,
    /// §5 Caching (C-).
    Caching,
    /// §6 HTTP Extension Framework, RFC 2774 (X-).
    Extension,
    /// §7 WebDAV (D-).
    WebDav,
    /// §8 WebDAV SEARCH (S-).
    Search,
}

impl Section {
    /// The heading used in the table.
    pub fn title(self) -> &'static str {
        match self {
            Section::RequestLine => "§1 Request line and method token",
            Section::Dispatch => "§2 Method dispatch at an origin",
            Section::Framing => "§3 Status codes, error bodies, framing",
            Section::Forwarding => "§4 Forwarding (proxy / gateway)",
            Section::Caching => "§5 Caching",
            Section::Extension => "§6 HTTP Extension Framework (RFC 2774)",
            Section::WebDav => "§7 WebDAV",
            Section::Search => "§8 WebDAV SEARCH",
        }
    }
}

/// The result of judging one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The answer meets the requirement.
    Pass,
    /// The answer violates the requirement.
    Fail,
    /// The requirement does not apply to what the server did (not counted).
    Skip,
    /// No answer could be obtained (timeout, refused, closed…): counted as a failure.
    Error,
}

/// A verdict with the words that explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Pass, fail, skip or error.
    pub verdict: Verdict,
    /// What came back, in one line.
    pub actual: String,
    /// Replaces the check's static expectation when the expectation depends on the answer.
    pub expected: Option<String>,
    /// Replaces the check's severity when the answer violates a stronger or weaker rule.
    pub severity: Option<Severity>,
}

impl Judgement {
    fn new(verdict: Verdict, actual: impl Into<String>) -> Judgement {
        Judgement {
            verdict,
            actual: actual.into(),
            expected: None,
            severity: None,
        }
    }

    /// The requirement is met.
    pub fn pass(actual: impl Into<String>) -> Judgement {
        Judgement::new(Verdict::Pass, actual)
    }

    /// The requirement is violated.
    pub fn fail(actual: impl Into<String>) -> Judgement {
        Judgement::new(Verdict::Fail, actual)
    }

    /// The requirement does not apply.
    pub fn skip(reason: impl Into<String>) -> Judgement {
        Judgement::new(Verdict::Skip, reason)
    }

    /// No usable answer.
    pub fn error(reason: impl Into<String>) -> Judgement {
        Judgement::new(Verdict::Error, reason)
    }

    /// Pass when `ok`, fail otherwise.
    pub fn check(ok: bool, actual: impl Into<String>) -> Judgement {
        Judgement::new(if ok { Verdict::Pass } else { Verdict::Fail }, actual)
    }

    /// Overrides the expectation text.
    pub fn expect(mut self, expected: impl Into<String>) -> Judgement {
        self.expected = Some(expected.into());
        self
    }

    /// Overrides the severity.
    pub fn at(mut self, severity: Severity) -> Judgement {
        self.severity = Some(severity);
        self
    }
}

/// Where a check applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Once per run, on the first path.
    Once,
    /// Once per `--path`.
    EachPath,
    /// Once per `--path` outside the `--dav` tree (rules about non-WebDAV routes).
    EachNonDavPath,
    /// On the `--dav` path only.
    Dav,
    /// Only with `--proxy`, on the first path.
    Proxy,
}

/// What the checks know about the run before judging.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The server.
    pub target: Target,
    /// The paths to probe (`--path`, or the URL's path).
    pub paths: Vec<String>,
    /// The WebDAV path (`--dav`).
    pub dav: Option<String>,
    /// Whether the target is a proxy / gateway (`--proxy`).
    pub proxy: bool,
    /// `GET path` over HTTP/1.1 for every path (and the DAV path), for comparisons.
    pub baseline: HashMap<String, RawResponse>,
    /// `OPTIONS dav-path`, when `--dav` was given and it answered.
    pub dav_options: Option<RawResponse>,
    /// A path that should not exist (for 404 probes).
    pub missing: String,
}

impl Ctx {
    /// The `Host` value (the URL's authority).
    pub fn host_header(&self) -> &str {
        &self.target.authority
    }

    /// The first probe path.
    pub fn first_path(&self) -> &str {
        self.paths.first().map(String::as_str).unwrap_or("/")
    }

    /// True when `path` is inside the `--dav` tree.
    pub fn is_dav_path(&self, path: &str) -> bool {
        match &self.dav {
            Some(d) => {
                let base = d.trim_end_matches('/');
                path == base || path.starts_with(&format!("{base}/"))
            }
            None => false,
        }
    }
}

/// A check that sends one probe and judges the exchange.
pub struct ProbeCheck {
    /// The digest id, e.g. `M-7`.
    pub id: &'static str,
    /// A short unique name, e.g. `unknown-method`.
    pub name: &'static str,
    /// The digest section.
    pub section: Section,
    /// The strength of the rule.
    pub severity: Severity,
    /// Where it applies.
    pub scope: Scope,
    /// Whether the probe means the same over HTTP/2 (run again with `--h2`).
    pub h2: bool,
    /// Whether to watch for a connection close after the answer.
    pub watch_close: bool,
    /// What a conforming server answers, in one line.
    pub expected: &'static str,
    /// Builds the probe for a path.
    pub build: fn(&Ctx, &str) -> Probe,
    /// Judges the exchange (called only when at least one response arrived).
    pub judge: fn(&Ctx, &Exchange) -> Judgement,
}

/// A check that judges all exchanges of one transport together.
pub struct SweepCheck {
    /// The digest id.
    pub id: &'static str,
    /// A short unique name.
    pub name: &'static str,
    /// The digest section.
    pub section: Section,
    /// The strength of the rule.
    pub severity: Severity,
    /// What a conforming server does, in one line.
    pub expected: &'static str,
    /// Judges every exchange (with the index of each answer's request).
    pub judge: fn(&[Exchange]) -> Judgement,
}

/// Every probe check, in report order.
pub fn probe_checks() -> Vec<ProbeCheck> {
    let mut all = Vec::new();
    all.extend(request_line::checks());
    all.extend(dispatch::checks());
    all.extend(framing::checks());
    all.extend(proxy::checks());
    all.extend(webdav::checks());
    all
}

/// Every sweep check, in report order.
pub fn sweep_checks() -> Vec<SweepCheck> {
    sweeps::checks()
}

/// `value` of `name`, or `(none)`, for messages.
pub(crate) fn field(r: &RawResponse, name: &str) -> String {
    let values: Vec<&str> = r.header_all(name).collect();
    if values.is_empty() {
        "(none)".to_string()
    } else {
        values.join(", ")
    }
}

/// `405 Not Allowed; Allow: (none)` style description.
pub(crate) fn with_fields(r: &RawResponse, names: &[&str]) -> String {
    let mut s = r.status_line();
    for n in names {
        s.push_str(&format!("; {n}: {}", field(r, n)));
    }
    s
}

/// Status line plus what happened to the connection.
pub(crate) fn with_close(ex: &Exchange, r: &RawResponse) -> String {
    let c = ex.close_text();
    if c.is_empty() {
        r.status_line()
    } else {
        format!("{}, {c}", r.status_line())
    }
}
