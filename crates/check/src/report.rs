//! Findings, the text table and the JSON document.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::advice::ServerFamily;
use crate::checks::{Section, Severity, Verdict};
use crate::probe::Transport;

/// One judged (or skipped) check.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Digest id, e.g. `M-9`.
    pub id: String,
    /// Short unique name within the id, e.g. `405-carries-allow`.
    pub name: String,
    /// Digest section.
    pub section: Section,
    /// Strength of the rule that was applied.
    pub severity: Severity,
    /// True for a pass; false for a failure or an error.
    pub passed: bool,
    /// Pass, fail, skip or error.
    pub outcome: Verdict,
    /// The protocol used.
    pub transport: Transport,
    /// The request, one line.
    pub request: String,
    /// What a conforming server answers.
    pub expected: String,
    /// What came back.
    pub actual: String,
    /// One line for the operator (empty when passed).
    pub advice: String,
}

impl Finding {
    /// True for failures and errors (an error means the rule could not be shown to hold).
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Verdict::Fail | Verdict::Error)
    }
}

/// Counts for the closing line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed or could not get an answer.
    pub failed: usize,
    /// Checks that did not apply.
    pub skipped: usize,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The URL as given.
    pub target: String,
    /// The `Server` header of the first baseline answer.
    pub server: Option<String>,
    /// The family guessed from it.
    pub family: ServerFamily,
    /// All findings, grouped by section in report order.
    pub findings: Vec<Finding>,
    /// Remarks (cleanup problems, time budget).
    pub notes: Vec<String>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// Passed / failed / skipped counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            passed: 0,
            failed: 0,
            skipped: 0,
        };
        for f in &self.findings {
            match f.outcome {
                Verdict::Pass => s.passed += 1,
                Verdict::Fail | Verdict::Error => s.failed += 1,
                Verdict::Skip => s.skipped += 1,
            }
        }
        s
    }

    /// True when a MUST-level check failed or could not be judged.
    pub fn must_failed(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.failed() && f.severity == Severity::Must)
    }

    /// Exit status: 1 when a MUST failed, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.must_failed())
    }

    /// Every failed (or unjudgeable) finding: what a "passes every check" test asserts is empty.
    pub fn failures(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.failed()).collect()
    }

    /// The findings with `id` (all transports and names).
    pub fn by_id<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.id == id)
    }

    /// The finding `id`/`name` over HTTP/1.1 (the first one, for per-path checks).
    pub fn get(&self, id: &str, name: &str) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|f| f.id == id && f.name == name && f.transport == Transport::Http1)
    }

    /// The JSON document: exactly one object.
    pub fn to_json(&self) -> serde_json::Value {
        let judged: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| f.outcome != Verdict::Skip)
            .collect();
        let skipped: Vec<serde_json::Value> = self
            .findings
            .iter()
            .filter(|f| f.outcome == Verdict::Skip)
            .map(|f| {
                serde_json::json!({
                    "id": f.id, "name": f.name, "transport": f.transport,
                    "request": f.request, "reason": f.actual,
                })
            })
            .collect();
        serde_json::json!({
            "target": self.target,
            "server": self.server,
            "family": self.family,
            "summary": self.summary(),
            "must_failed": self.must_failed(),
            "findings": judged,
            "skipped": skipped,
            "notes": self.notes,
            "elapsed_ms": u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// The table, grouped by section, with optional ANSI colour.
    pub fn render_text(&self, color: bool) -> String {
        let paint = |code: &str, s: &str| {
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "methodical check {}  (Server: {})",
            self.target,
            self.server.as_deref().unwrap_or("not sent")
        );
        let mut section = None;
        for f in &self.findings {
            if section != Some(f.section) {
                section = Some(f.section);
                let _ = writeln!(out, "\n{}", paint("1", f.section.title()));
            }
            let (tag, code) = match f.outcome {
                Verdict::Pass => ("PASS", "32"),
                Verdict::Fail => ("FAIL", "31"),
                Verdict::Error => ("ERR ", "31"),
                Verdict::Skip => ("SKIP", "33"),
            };
            let via = if f.transport == Transport::Http2 {
                " [h2]"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} {:<5} {:<6} {:<34} {}{via}",
                paint(code, tag),
                f.id,
                f.severity.as_str(),
                f.name,
                f.request
            );
            match f.outcome {
                Verdict::Pass => {
                    let _ = writeln!(out, "        got:      {}", f.actual);
                }
                Verdict::Skip => {
                    let _ = writeln!(out, "        skipped:  {}", f.actual);
                }
                Verdict::Fail | Verdict::Error => {
                    let _ = writeln!(out, "        got:      {}", f.actual);
                    let _ = writeln!(out, "        expected: {}", f.expected);
                    let _ = writeln!(out, "        advice:   {}", f.advice);
                }
            }
        }
        for n in &self.notes {
            let _ = writeln!(out, "\nnote: {n}");
        }
        let s = self.summary();
        let _ = writeln!(out);
        if self.must_failed() {
            let _ = writeln!(
                out,
                "{}",
                paint("31", "at least one MUST-level requirement failed")
            );
        }
        let _ = writeln!(
            out,
            "{} passed, {} failed, {} skipped",
            s.passed, s.failed, s.skipped
        );
        out
    }
}
