//! Plans the probes, sends them (bounded in concurrency and total time), judges
//! the answers and assembles the report.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::advice::{advise, ServerFamily};
use crate::checks::{self, writes, Ctx, Judgement, ProbeCheck, Scope, Section, Severity, Verdict};
use crate::client::TlsSettings;
use crate::error::ArgsError;
use crate::probe::{Env, Exchange, Probe, Request, Transport};
use crate::report::{Finding, Report};
use crate::target::{check_path, Target};

/// How many probes are in flight at once (kind to small servers, still fast).
const CONCURRENCY: usize = 6;

/// Everything a run needs, independent of the command line.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// The server.
    pub target: Target,
    /// Paths to probe; the URL's path when empty.
    pub paths: Vec<String>,
    /// The WebDAV path, if any.
    pub dav: Option<String>,
    /// Whether the target is a proxy / gateway.
    pub proxy: bool,
    /// Also run the HTTP/2-capable checks over HTTP/2.
    pub h2: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Scratch collection for state-changing probes.
    pub allow_writes: Option<String>,
}

impl CheckConfig {
    /// Defaults for `url`: its path, 5 s timeout, safe probes only, HTTP/1.1.
    pub fn for_url(url: &str) -> Result<CheckConfig, ArgsError> {
        Ok(CheckConfig {
            target: Target::parse(url)?,
            paths: Vec::new(),
            dav: None,
            proxy: false,
            h2: false,
            timeout: Duration::from_secs(5),
            insecure: false,
            allow_writes: None,
        })
    }

    /// Validates the paths.
    pub fn validate(&self) -> Result<(), ArgsError> {
        for p in &self.paths {
            check_path("--path", p)?;
        }
        if let Some(d) = &self.dav {
            check_path("--dav", d)?;
        }
        if let Some(w) = &self.allow_writes {
            check_path("--allow-writes", w)?;
        }
        Ok(())
    }

    /// The paths actually probed.
    pub fn effective_paths(&self) -> Vec<String> {
        if self.paths.is_empty() {
            vec![self.target.path.clone()]
        } else {
            self.paths.clone()
        }
    }

    /// Upper bound for the probing phase.
    pub fn budget(&self) -> Duration {
        (self.timeout * 12).max(Duration::from_secs(10))
    }
}

/// One application of a probe check.
struct Planned {
    check: usize,
    order: usize,
    path_index: usize,
    transport: Transport,
    probe: usize,
}

fn random_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:08x}{:x}", std::process::id())
}

/// The static description of a check, whatever kind it is.
struct Meta<'a> {
    id: &'a str,
    name: &'a str,
    section: Section,
    severity: Severity,
    expected: &'a str,
}

fn finding(
    family: &ServerFamily,
    meta: Meta<'_>,
    transport: Transport,
    request: String,
    j: Judgement,
) -> Finding {
    let advice = match j.verdict {
        Verdict::Error => {
            "No answer to judge: check that the server is reachable and answers within --timeout."
                .to_string()
        }
        Verdict::Fail => advise(family, meta.id, meta.name),
        Verdict::Pass | Verdict::Skip => String::new(),
    };
    Finding {
        id: meta.id.to_string(),
        name: meta.name.to_string(),
        section: meta.section,
        severity: j.severity.unwrap_or(meta.severity),
        passed: j.verdict == Verdict::Pass,
        outcome: j.verdict,
        transport,
        request,
        expected: j.expected.unwrap_or_else(|| meta.expected.to_string()),
        actual: j.actual,
        advice,
    }
}

/// The paths a check applies to, as (index, path).
fn paths_for(check: &ProbeCheck, ctx: &Ctx) -> Vec<(usize, String)> {
    let first = || vec![(0, ctx.first_path().to_string())];
    match check.scope {
        Scope::Once => first(),
        Scope::EachPath => ctx.paths.iter().cloned().enumerate().collect(),
        Scope::EachNonDavPath => ctx
            .paths
            .iter()
            .cloned()
            .enumerate()
            .filter(|(_, p)| !ctx.is_dav_path(p))
            .collect(),
        Scope::Dav => ctx.dav.iter().map(|d| (0, d.clone())).collect(),
        Scope::Proxy if ctx.proxy => first(),
        Scope::Proxy => Vec::new(),
    }
}

/// Sends all probes of `plan` (deduplicated in `probes`) and returns one exchange each.
async fn execute_all(
    env: &Env,
    probes: &[(Transport, Probe, bool)],
    deadline: tokio::time::Instant,
) -> Vec<Exchange> {
    let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (i, (transport, probe, watch)) in probes.iter().cloned().enumerate() {
        let env = env.clone();
        let sem = sem.clone();
        set.spawn(async move {
            let work = async {
                let _permit = sem.acquire_owned().await;
                env.execute(&probe, transport, watch).await
            };
            let ex = match tokio::time::timeout_at(deadline, work).await {
                Ok(ex) => ex,
                Err(_) => Exchange {
                    transport,
                    summary: probe.summary(),
                    answers: Vec::new(),
                    close: None,
                    error: Some(crate::error::ClientError::Timeout(
                        env.timeout * 12,
                        "the total time budget of the run ran out first",
                    )),
                    silent_after_headers: false,
                },
            };
            (i, ex)
        });
    }
    let mut out: Vec<Option<Exchange>> = vec![None; probes.len()];
    while let Some(joined) = set.join_next().await {
        if let Ok((i, ex)) = joined {
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(ex);
            }
        }
    }
    out.into_iter()
        .zip(probes)
        .map(|(ex, (transport, probe, _))| {
            ex.unwrap_or_else(|| Exchange {
                transport: *transport,
                summary: probe.summary(),
                answers: Vec::new(),
                close: None,
                error: Some(crate::error::ClientError::Io(
                    "the probe task failed".into(),
                )),
                silent_after_headers: false,
            })
        })
        .collect()
}

/// Runs every applicable check against the configured server.
///
/// Never panics on what the server sends and always returns within a bounded
/// time (per-request timeout, plus a total budget for the probing phase).
pub async fn run_checks(cfg: &CheckConfig) -> Report {
    let started = Instant::now();
    let env = Env {
        target: cfg.target.clone(),
        tls: TlsSettings::new(cfg.insecure),
        timeout: cfg.timeout,
    };
    let deadline = tokio::time::Instant::now() + cfg.budget();
    let paths = cfg.effective_paths();
    let host = cfg.target.authority.clone();

    // Baselines: a plain GET of every path (for comparisons and the Server header).
    let baseline_probes: Vec<(Transport, Probe, bool)> = paths
        .iter()
        .map(|p| {
            (
                Transport::Http1,
                Probe::One(Request::new("GET", p, &host)),
                false,
            )
        })
        .collect();
    let mut baseline_ex = execute_all(&env, &baseline_probes, deadline).await;
    let connection_failure = baseline_ex.first().and_then(|ex| {
        ex.error
            .clone()
            .filter(|e| ex.answers.is_empty() && e.is_connection_level())
    });
    let server = baseline_ex.iter().find_map(|ex| {
        ex.first()
            .and_then(|r| r.header("Server").map(str::to_string))
    });
    let family = ServerFamily::from_server_header(server.as_deref());
    let baseline: HashMap<String, crate::client::RawResponse> = paths
        .iter()
        .zip(&baseline_ex)
        .filter_map(|(p, ex)| ex.first().map(|r| (p.clone(), r.clone())))
        .collect();

    let mut ctx = Ctx {
        target: cfg.target.clone(),
        paths: paths.clone(),
        dav: cfg.dav.clone(),
        proxy: cfg.proxy,
        baseline,
        dav_options: None,
        missing: format!("/methodical-check-missing-{}", random_token()),
    };
    if let (Some(d), None) = (&cfg.dav, &connection_failure) {
        let ex = env
            .execute(
                &Probe::One(Request::new("OPTIONS", d, &host)),
                Transport::Http1,
                false,
            )
            .await;
        ctx.dav_options = ex.first().cloned();
    }

    // Plan: every applicable (check, path, transport), probes deduplicated.
    let all = checks::probe_checks();
    let mut transports = vec![Transport::Http1];
    if cfg.h2 {
        transports.push(Transport::Http2);
    }
    let mut probes: Vec<(Transport, Probe, bool)> = Vec::new();
    let mut plan = Vec::new();
    for (ci, check) in all.iter().enumerate() {
        for (pi, path) in paths_for(check, &ctx) {
            for &t in &transports {
                if t == Transport::Http2 && !check.h2 {
                    continue;
                }
                let probe = (check.build)(&ctx, &path);
                let key = (t, probe, check.watch_close);
                let idx = match probes.iter().position(|k| *k == key) {
                    Some(i) => i,
                    None => {
                        probes.push(key);
                        probes.len() - 1
                    }
                };
                plan.push(Planned {
                    check: ci,
                    order: ci,
                    path_index: pi,
                    transport: t,
                    probe: idx,
                });
            }
        }
    }

    let mut notes = Vec::new();
    let exchanges: Vec<Exchange> = match &connection_failure {
        // Every probe would fail the same way: say so once per check, quickly.
        Some(e) => probes
            .iter()
            .map(|(t, p, _)| Exchange {
                transport: *t,
                summary: p.summary(),
                answers: Vec::new(),
                close: None,
                error: Some(e.clone()),
                silent_after_headers: false,
            })
            .collect(),
        None => execute_all(&env, &probes, deadline).await,
    };
    if tokio::time::Instant::now() >= deadline {
        notes.push(format!(
            "the probing phase hit its total time budget of {:?}; unfinished probes are reported as errors",
            cfg.budget()
        ));
    }

    let mut findings: Vec<(usize, usize, Finding)> = Vec::new();
    for p in &plan {
        let check = &all[p.check];
        let ex = &exchanges[p.probe];
        let j = if ex.answers.is_empty() {
            Judgement::error(
                ex.error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "no response".into()),
            )
        } else {
            (check.judge)(&ctx, ex)
        };
        let meta = Meta {
            id: check.id,
            name: check.name,
            section: check.section,
            severity: check.severity,
            expected: check.expected,
        };
        let f = finding(&family, meta, p.transport, ex.summary.clone(), j);
        findings.push((p.order, p.path_index, f));
    }

    // State-changing probes, only when allowed, strictly after the safe ones.
    let mut all_exchanges = exchanges;
    all_exchanges.append(&mut baseline_ex);
    if let (Some(scratch), None) = (&cfg.allow_writes, &connection_failure) {
        let outcome = writes::run(&env, &ctx, scratch).await;
        for (i, r) in outcome.results.into_iter().enumerate() {
            let meta = Meta {
                id: r.id,
                name: r.name,
                section: r.section,
                severity: r.severity,
                expected: r.expected,
            };
            let f = finding(
                &family,
                meta,
                Transport::Http1,
                r.exchange.summary.clone(),
                r.judgement,
            );
            findings.push((2000 + i, 0, f));
            all_exchanges.push(r.exchange);
        }
        notes.extend(outcome.notes);
    }

    // Sweeps over every answer, per transport.
    for (si, sweep) in checks::sweep_checks().iter().enumerate() {
        for &t in &transports {
            let of_t: Vec<Exchange> = all_exchanges
                .iter()
                .filter(|e| e.transport == t)
                .cloned()
                .collect();
            let j = match &connection_failure {
                Some(e) => Judgement::error(e.to_string()),
                None => (sweep.judge)(&of_t),
            };
            let request = "every answer of this run".to_string();
            let meta = Meta {
                id: sweep.id,
                name: sweep.name,
                section: sweep.section,
                severity: sweep.severity,
                expected: sweep.expected,
            };
            let f = finding(&family, meta, t, request, j);
            findings.push((1000 + si, 0, f));
        }
    }

    findings.sort_by(|a, b| {
        (a.2.section, a.0, a.1, a.2.transport as u8).cmp(&(
            b.2.section,
            b.0,
            b.1,
            b.2.transport as u8,
        ))
    });
    Report {
        target: cfg.target.url.clone(),
        server,
        family,
        findings: findings.into_iter().map(|(_, _, f)| f).collect(),
        notes,
        elapsed: started.elapsed(),
    }
}
