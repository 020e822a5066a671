//! Rules judged over every answer of a run: Allow on 405, error bodies,
//! framing fields, Date, cacheability of 405/501, Warning.

use super::{Judgement, Section, Severity, SweepCheck};
use crate::client::{CloseState, Framing, RawResponse};
use crate::probe::{Answer, Exchange};

/// Every final answer with the summary of the probe it belongs to.
fn answers(exchanges: &[Exchange]) -> impl Iterator<Item = (&Exchange, &Answer)> {
    exchanges
        .iter()
        .flat_map(|ex| ex.answers.iter().map(move |a| (ex, a)))
}

/// Judges `offenders` out of `considered` answers.
fn verdict(considered: usize, offenders: Vec<String>, what: &str) -> Judgement {
    if considered == 0 {
        return Judgement::skip(format!("no {what} seen"));
    }
    if offenders.is_empty() {
        return Judgement::pass(format!("all {considered} {what} conform"));
    }
    let n = offenders.len();
    let mut shown: Vec<String> = offenders.into_iter().take(3).collect();
    if n > 3 {
        shown.push(format!("and {} more", n - 3));
    }
    Judgement::fail(format!("{n} of {considered} {what}: {}", shown.join("; ")))
}

fn is_error_answer(a: &Answer) -> bool {
    a.response.status >= 400 && a.method != "HEAD"
}

fn lacks_date(r: &RawResponse) -> bool {
    !r.has("Date")
}

pub(super) fn checks() -> Vec<SweepCheck> {
    vec![
        SweepCheck {
            id: "M-9",
            name: "405-carries-allow",
            section: Section::Dispatch,
            severity: Severity::Must,
            expected: "every 405 carries Allow with the methods the resource supports",
            judge: |exs| {
                let all: Vec<_> = answers(exs).filter(|(_, a)| a.response.status == 405).collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| !a.response.has("Allow"))
                    .map(|(ex, _)| format!("`{}` → 405 without Allow", ex.summary))
                    .collect();
                verdict(all.len(), bad, "405 answers")
            },
        },
        SweepCheck {
            id: "M-9",
            name: "allow-excludes-refused-method",
            section: Section::Dispatch,
            severity: Severity::Must,
            expected: "a 405's Allow does not list the method it refuses",
            judge: |exs| {
                let all: Vec<_> = answers(exs)
                    .filter(|(_, a)| a.response.status == 405 && a.response.has("Allow"))
                    .collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| a.response.allow().unwrap_or_default().iter().any(|m| m == &a.method))
                    .map(|(ex, a)| format!("`{}` → 405 with Allow: {}", ex.summary, a.response.list("Allow").join(", ")))
                    .collect();
                verdict(all.len(), bad, "405 answers with Allow")
            },
        },
        SweepCheck {
            id: "E-1",
            name: "error-bodies",
            section: Section::Framing,
            severity: Severity::Should,
            expected: "every 4xx/5xx (except to HEAD) has a body that explains the error",
            judge: |exs| {
                let all: Vec<_> = answers(exs).filter(|(_, a)| is_error_answer(a)).collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| a.response.body.is_empty())
                    .map(|(ex, a)| format!("`{}` → {} with no body", ex.summary, a.response.status))
                    .collect();
                verdict(all.len(), bad, "error answers")
            },
        },
        SweepCheck {
            id: "E-2",
            name: "framing-fields",
            section: Section::Framing,
            severity: Severity::Must,
            expected: "Content-Length exact, never both CL and TE, none on 1xx/204",
            judge: |exs| {
                let mut considered = 0;
                let mut bad = Vec::new();
                for ex in exs {
                    let last = ex.answers.len().saturating_sub(1);
                    for (i, a) in ex.answers.iter().enumerate() {
                        considered += 1;
                        let r = &a.response;
                        let both = r.has("Content-Length") && r.has("Transfer-Encoding");
                        let framed = |m: &RawResponse| m.has("Content-Length") || m.has("Transfer-Encoding");
                        let cl_on_204 = (r.status == 204 && framed(r)) || a.interim.iter().any(framed);
                        let short = matches!(r.framing, Framing::Length(_)) && !r.body_complete;
                        let extra = i == last
                            && matches!(r.framing, Framing::Length(_))
                            && matches!(ex.close, Some(CloseState::ExtraBytes(_)));
                        let invalid = r.framing_problem.as_deref().filter(|p| p.starts_with("invalid Content-Length"));
                        let problem = if both {
                            Some("both Content-Length and Transfer-Encoding".to_string())
                        } else if cl_on_204 {
                            Some("Content-Length/Transfer-Encoding on a 1xx or 204".to_string())
                        } else if short {
                            Some(format!("Content-Length {:?} but only {} octets arrived", r.content_length(), r.body.len()))
                        } else if extra {
                            Some("more octets than Content-Length announced".to_string())
                        } else {
                            invalid.map(str::to_string)
                        };
                        if let Some(p) = problem {
                            bad.push(format!("`{}` → {}: {p}", ex.summary, r.status));
                        }
                    }
                }
                verdict(considered, bad, "answers")
            },
        },
        SweepCheck {
            id: "E-3",
            name: "date-on-2xx-4xx",
            section: Section::Framing,
            severity: Severity::Must,
            expected: "every 2xx/3xx/4xx carries Date",
            judge: |exs| {
                let all: Vec<_> = answers(exs).filter(|(_, a)| (200..500).contains(&a.response.status)).collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| lacks_date(&a.response))
                    .map(|(ex, a)| format!("`{}` → {} without Date", ex.summary, a.response.status))
                    .collect();
                verdict(all.len(), bad, "2xx-4xx answers")
            },
        },
        SweepCheck {
            id: "E-3",
            name: "date-on-5xx",
            section: Section::Framing,
            severity: Severity::ProjectDefault,
            expected: "5xx answers carry Date too",
            judge: |exs| {
                let all: Vec<_> = answers(exs).filter(|(_, a)| a.response.status >= 500).collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| lacks_date(&a.response))
                    .map(|(ex, a)| format!("`{}` → {} without Date", ex.summary, a.response.status))
                    .collect();
                verdict(all.len(), bad, "5xx answers")
            },
        },
        SweepCheck {
            id: "C-4",
            name: "405-501-heuristically-cacheable",
            section: Section::Caching,
            severity: Severity::ProjectDefault,
            expected: "405/501 left heuristically cacheable: no Cache-Control no-store/private/no-cache by default",
            judge: |exs| {
                let all: Vec<_> = answers(exs).filter(|(_, a)| matches!(a.response.status, 405 | 501)).collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| {
                        let r = &a.response;
                        r.has_token("Cache-Control", "no-store")
                            || r.has_token("Cache-Control", "private")
                            || r.has_token("Cache-Control", "no-cache")
                    })
                    .map(|(ex, a)| format!("`{}` → {} with Cache-Control: {}", ex.summary, a.response.status, a.response.list("Cache-Control").join(", ")))
                    .collect();
                verdict(all.len(), bad, "405/501 answers")
            },
        },
        SweepCheck {
            id: "C-5",
            name: "no-warning-field",
            section: Section::Caching,
            severity: Severity::ProjectDefault,
            expected: "no Warning header (obsoleted by RFC 9111 §5.5)",
            judge: |exs| {
                let all: Vec<_> = answers(exs).collect();
                let bad = all
                    .iter()
                    .filter(|(_, a)| a.response.has("Warning"))
                    .map(|(ex, a)| format!("`{}` → Warning: {}", ex.summary, a.response.header("Warning").unwrap_or("")))
                    .collect();
                verdict(all.len(), bad, "answers")
            },
        },
    ]
}
