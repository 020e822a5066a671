//! `methodical check` against real peers: nginx and Apache httpd started from
//! `tests/peers/*.conf` on a free port (foreground, own prefix, killed on drop).
//!
//! Set METHODICAL_SKIP_PEERS=1 to skip on a machine without them; otherwise a
//! missing binary fails the test instead of passing silently.

mod common;

use std::time::Duration;

use common::peers::{self, Kind};
use methodical_check::{run_checks, CheckConfig, Report, ServerFamily, Transport, Verdict};

fn skip(kind: Kind) -> bool {
    if peers::binary(kind).is_some() {
        return false;
    }
    assert!(
        std::env::var_os("METHODICAL_SKIP_PEERS").is_some(),
        "{kind:?} is not installed (apt-get install nginx-light apache2, or set METHODICAL_SKIP_PEERS=1)"
    );
    true
}

async fn check(url: &str) -> Report {
    let mut cfg = CheckConfig::for_url(&format!("{url}/a.txt")).expect("url");
    cfg.timeout = Duration::from_secs(3);
    run_checks(&cfg).await
}

fn failing_ids(report: &Report) -> Vec<String> {
    report
        .failures()
        .iter()
        .map(|f| format!("{}/{}", f.id, f.name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_is_flagged_for_405_without_allow_and_405_to_unknown_methods() {
    if skip(Kind::Nginx) {
        return;
    }
    let peer = peers::start(Kind::Nginx);
    let report = check(&peer.url).await;
    eprintln!("nginx fails: {:?}", failing_ids(&report));
    assert_eq!(report.family, ServerFamily::Nginx);
    // M-9: nginx's 405 carries no Allow.
    let m9 = report.get("M-9", "405-carries-allow").expect("M-9");
    assert_eq!(m9.outcome, Verdict::Fail, "{}", report.render_text(false));
    // M-7: an unknown method gets 405 instead of 501.
    let m7 = report.get("M-7", "unknown-method").expect("M-7");
    assert_eq!(m7.outcome, Verdict::Fail);
    assert!(m7.actual.starts_with("405"), "{}", m7.actual);
    assert!(m7.advice.starts_with("nginx: "), "{}", m7.advice);
    // What nginx gets right is not flagged.
    for (id, name) in [
        ("M-6", "missing-host"),
        ("E-4", "invalid-content-length"),
        ("M-11", "head-has-no-body"),
    ] {
        assert_eq!(
            report.get(id, name).map(|f| f.outcome),
            Some(Verdict::Pass),
            "{id}/{name}"
        );
    }
    assert_eq!(report.exit_code(), 1, "M-9 is a MUST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_is_not_flagged_for_unknown_methods() {
    if skip(Kind::Apache) {
        return;
    }
    let peer = peers::start(Kind::Apache);
    let report = check(&peer.url).await;
    eprintln!("Apache fails: {:?}", failing_ids(&report));
    assert_eq!(report.family, ServerFamily::Apache);
    let m7 = report.get("M-7", "unknown-method").expect("M-7");
    assert_eq!(m7.outcome, Verdict::Pass, "{}", report.render_text(false));
    assert_eq!(
        report.get("M-9", "405-carries-allow").map(|f| f.outcome),
        Some(Verdict::Pass)
    );
    // Apache echoes TRACE with the Cookie when TraceEnable is on (its default).
    let trace = report.get("M-14", "trace").expect("M-14");
    assert_eq!(trace.outcome, Verdict::Fail);
    assert!(trace.advice.contains("TraceEnable off"), "{}", trace.advice);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_over_tls_and_h2_gives_the_same_verdicts_on_both_transports() {
    if skip(Kind::NginxH2) {
        return;
    }
    let peer = peers::start(Kind::NginxH2);
    let mut cfg = CheckConfig::for_url(&format!("{}/a.txt", peer.url)).expect("url");
    cfg.timeout = Duration::from_secs(3);
    cfg.h2 = true;
    cfg.insecure = true;
    let report = run_checks(&cfg).await;
    let on = |t: Transport, id: &str, name: &str| {
        report
            .findings
            .iter()
            .find(|f| f.transport == t && f.id == id && f.name == name)
            .map(|f| f.outcome)
    };
    for t in [Transport::Http1, Transport::Http2] {
        assert_eq!(
            on(t, "M-7", "unknown-method"),
            Some(Verdict::Fail),
            "{t:?}\n{}",
            report.render_text(false)
        );
        assert_eq!(
            on(t, "M-9", "405-carries-allow"),
            Some(Verdict::Fail),
            "{t:?}"
        );
        assert_eq!(
            on(t, "M-11", "head-has-no-body"),
            Some(Verdict::Pass),
            "{t:?}"
        );
        assert_eq!(
            on(t, "M-11", "head-content-length"),
            Some(Verdict::Pass),
            "{t:?}"
        );
    }
    // Without --insecure the self-signed certificate is refused, per check.
    cfg.insecure = false;
    let report = run_checks(&cfg).await;
    let first = &report.findings[0];
    assert_eq!(first.outcome, Verdict::Error);
    assert!(first.actual.contains("TLS handshake"), "{}", first.actual);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_mod_dav_passes_the_dav_and_write_checks_and_is_cleaned_up() {
    if skip(Kind::ApacheDav) {
        return;
    }
    let peer = peers::start(Kind::ApacheDav);
    let mut cfg = CheckConfig::for_url(&format!("{}/a.txt", peer.url)).expect("url");
    cfg.timeout = Duration::from_secs(3);
    cfg.dav = Some("/dav/".into());
    cfg.allow_writes = Some("/dav/".into());
    let report = run_checks(&cfg).await;
    eprintln!("Apache+mod_dav fails: {:?}", failing_ids(&report));
    for (id, name) in [
        ("D-3", "dav-options"),
        ("D-4", "propfind-depth-0"),
        ("D-4", "propfind-malformed-xml"),
        ("M-17", "put-creates-201"),
        ("M-17", "put-replaces-200-204"),
        ("E-7", "100-continue-before-content"),
        ("D-6", "mkcol-creates-201"),
        ("D-6", "mkcol-existing-405"),
    ] {
        assert_eq!(
            report.get(id, name).map(|f| f.outcome),
            Some(Verdict::Pass),
            "{id}/{name}\n{}",
            report.render_text(false)
        );
    }
    // mod_dav has no SEARCH: OPTIONS does not offer it and SEARCH is refused.
    assert_eq!(
        report.get("S-1", "search-basicsearch").map(|f| f.outcome),
        Some(Verdict::Pass)
    );
    // Everything the write probes created is gone again.
    let left: Vec<_> = std::fs::read_dir(peer.dir.path().join("www/dav"))
        .expect("dav dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(left, vec!["f.txt".to_string()]);
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}
