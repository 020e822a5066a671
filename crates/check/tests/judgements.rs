//! Judgements both ways against a fake raw-TCP server: a digest-conforming
//! answer passes, a canned bad answer fails, and broken servers give one clear
//! line per check without panics or hangs.

mod common;

use std::time::{Duration, Instant};

use common::fake::{self, Behaviour, Deviation};
use methodical_check::{run_checks, CheckConfig, Report, Severity, Transport, Verdict};

fn cfg(url: &str) -> CheckConfig {
    let mut c = CheckConfig::for_url(url).expect("url");
    c.timeout = Duration::from_secs(2);
    c
}

fn outcome(report: &Report, id: &str, name: &str) -> Verdict {
    report
        .get(id, name)
        .unwrap_or_else(|| {
            panic!(
                "no finding {id}/{name} in {:#?}",
                report
                    .findings
                    .iter()
                    .map(|f| (&f.id, &f.name))
                    .collect::<Vec<_>>()
            )
        })
        .outcome
}

fn show(report: &Report) -> String {
    report.render_text(false)
}

#[tokio::test]
async fn good_server_passes_every_check_including_dav_and_writes() {
    let server = fake::start(Behaviour::Good).await;
    let mut c = cfg(&format!("{}/a.txt", server.url));
    c.dav = Some("/dav/".into());
    c.allow_writes = Some("/scratch/".into());
    let report = run_checks(&c).await;
    assert!(report.failures().is_empty(), "{}", show(&report));
    assert!(
        report.findings.len() >= 25,
        "only {} checks ran",
        report.findings.len()
    );
    assert_eq!(report.exit_code(), 0);
    // The write probes really ran and cleaned up after themselves.
    assert_eq!(outcome(&report, "M-17", "put-creates-201"), Verdict::Pass);
    assert_eq!(
        outcome(&report, "E-7", "100-continue-before-content"),
        Verdict::Pass
    );
    assert_eq!(outcome(&report, "D-4", "propfind-depth-0"), Verdict::Pass);
    assert_eq!(outcome(&report, "S-1", "search-basicsearch"), Verdict::Pass);
    assert!(
        server.store.lock().unwrap().is_empty(),
        "scratch resources left behind"
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[tokio::test]
async fn good_server_over_h2c_passes_the_h2_checks() {
    let server = fake::start(Behaviour::Good).await;
    let mut c = cfg(&format!("{}/a.txt", server.url));
    c.h2 = true;
    let report = run_checks(&c).await;
    let h2: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.transport == Transport::Http2)
        .collect();
    assert!(h2.len() >= 10, "{}", show(&report));
    assert!(report.failures().is_empty(), "{}", show(&report));
}

#[tokio::test]
async fn m7_m9_unknown_method_405_without_allow_fails() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::UnknownMethod405NoAllow)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    assert_eq!(outcome(&report, "M-7", "unknown-method"), Verdict::Fail);
    assert_eq!(outcome(&report, "M-9", "405-carries-allow"), Verdict::Fail);
    assert_eq!(
        outcome(&report, "X-5", "m-get-without-rfc2774"),
        Verdict::Fail
    );
    assert_eq!(
        outcome(&report, "D-2", "propfind-outside-dav"),
        Verdict::Fail
    );
    assert_eq!(report.exit_code(), 1, "M-9 is a MUST");
    let f = report.get("M-7", "unknown-method").unwrap();
    assert!(f.actual.contains("405"), "{}", f.actual);
    assert!(!f.advice.is_empty());
}

#[tokio::test]
async fn m11_head_with_body_fails() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::HeadWithBody)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    assert_eq!(
        outcome(&report, "M-11", "head-has-no-body"),
        Verdict::Fail,
        "{}",
        show(&report)
    );
    assert_eq!(outcome(&report, "M-11", "head-404-no-body"), Verdict::Fail);
    assert!(report.must_failed());
}

#[tokio::test]
async fn m14_trace_echoing_cookie_fails_and_trace_in_allow_is_a_must() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::TraceEchoesCookie)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    assert_eq!(outcome(&report, "M-14", "trace"), Verdict::Fail);

    let server = fake::start(Behaviour::GoodExcept(Deviation::TraceInAllow)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    let f = report.get("M-14", "trace").unwrap();
    assert_eq!(
        (f.outcome, f.severity),
        (Verdict::Fail, Severity::Must),
        "{}",
        f.actual
    );
    assert_eq!(
        outcome(&report, "M-9", "allow-excludes-refused-method"),
        Verdict::Fail
    );
}

#[tokio::test]
async fn e7_interim_100_before_a_known_final_status_fails_pd_and_waiting_fails_must() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::Always100)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    let f = report.get("E-7", "final-status-without-100").unwrap();
    assert_eq!(
        (f.outcome, f.severity),
        (Verdict::Fail, Severity::ProjectDefault),
        "{}",
        f.actual
    );
    assert!(f.actual.starts_with("100"), "{}", f.actual);

    let server = fake::start(Behaviour::GoodExcept(Deviation::WaitForContent)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    let f = report.get("E-7", "final-status-without-100").unwrap();
    assert_eq!(
        (f.outcome, f.severity),
        (Verdict::Fail, Severity::Must),
        "{}",
        f.actual
    );
}

#[tokio::test]
async fn e3_missing_date_fails() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::NoDate)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    assert_eq!(outcome(&report, "E-3", "date-on-2xx-4xx"), Verdict::Fail);
    assert_eq!(outcome(&report, "E-3", "date-on-5xx"), Verdict::Fail);
}

#[tokio::test]
async fn e2_content_length_longer_than_body_fails() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::ShortErrorBody)).await;
    let mut c = cfg(&format!("{}/a.txt", server.url));
    c.timeout = Duration::from_millis(800);
    let report = run_checks(&c).await;
    let f = report.get("E-2", "framing-fields").unwrap();
    assert_eq!(f.outcome, Verdict::Fail, "{}", show(&report));
    assert!(f.actual.contains("only"), "{}", f.actual);
}

#[tokio::test]
async fn p4_via_is_judged_only_with_proxy_flag() {
    let server = fake::start(Behaviour::Good).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    assert!(report.get("P-4", "via-on-responses").is_none());
    let mut c = cfg(&format!("{}/a.txt", server.url));
    c.proxy = true;
    let report = run_checks(&c).await;
    assert_eq!(outcome(&report, "P-4", "via-on-responses"), Verdict::Fail);
    assert_eq!(
        outcome(&report, "P-3", "connection-options-removed"),
        Verdict::Skip
    );

    let server = fake::start(Behaviour::GoodExcept(Deviation::AddVia)).await;
    let mut c = cfg(&format!("{}/a.txt", server.url));
    c.proxy = true;
    let report = run_checks(&c).await;
    assert_eq!(outcome(&report, "P-4", "via-on-responses"), Verdict::Pass);
}

#[tokio::test]
async fn canned_200_to_everything_fails_many_rows() {
    let server = fake::start(Behaviour::Canned(
        "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: 3\r\n\r\nok\n",
    ))
    .await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    for (id, name) in [
        ("M-2", "lowercase-get"),
        ("M-7", "unknown-method"),
        ("M-6", "missing-host"),
        ("E-4", "invalid-content-length"),
        ("M-15", "connect"),
    ] {
        assert_eq!(outcome(&report, id, name), Verdict::Fail, "{id}/{name}");
    }
    let x5 = report.get("X-5", "m-get-without-rfc2774").unwrap();
    assert_eq!(
        x5.severity,
        Severity::Must,
        "200 to M-GET fulfils a mandatory request"
    );
    // HEAD got "ok\n" as a body: the pipelined GET sees garbage.
    assert_eq!(outcome(&report, "M-11", "head-has-no-body"), Verdict::Fail);
}

#[tokio::test]
async fn unreachable_host_gives_one_clear_error_per_check_quickly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let report = run_checks(&cfg(&format!("http://127.0.0.1:{port}/"))).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(report.findings.len() >= 25);
    assert!(
        report.findings.iter().all(|f| f.outcome == Verdict::Error),
        "{}",
        show(&report)
    );
    assert!(
        report.findings[0].actual.contains("could not connect"),
        "{}",
        report.findings[0].actual
    );
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn server_that_closes_gives_errors_not_panics() {
    let server = fake::start(Behaviour::CloseImmediately).await;
    let report = run_checks(&cfg(&format!("{}/", server.url))).await;
    let f = report.get("M-7", "unknown-method").unwrap();
    assert_eq!(f.outcome, Verdict::Error);
    assert!(
        f.actual
            .contains("closed the connection without sending a response"),
        "{}",
        f.actual
    );
}

#[tokio::test]
async fn hanging_server_is_bounded_by_the_timeouts() {
    let server = fake::start(Behaviour::Hang).await;
    let mut c = cfg(&format!("{}/", server.url));
    c.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let report = run_checks(&c).await;
    // Budget is max(12 x timeout, 10 s); with 300 ms per request it must end well before.
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "took {:?}",
        started.elapsed()
    );
    let f = report.get("M-7", "unknown-method").unwrap();
    assert_eq!(f.outcome, Verdict::Error);
    assert!(f.actual.contains("no answer within"), "{}", f.actual);
}

#[tokio::test]
async fn non_http_answer_is_reported_verbatim() {
    let server = fake::start(Behaviour::NotHttp).await;
    let report = run_checks(&cfg(&format!("{}/", server.url))).await;
    let f = report.get("M-7", "unknown-method").unwrap();
    assert_eq!(f.outcome, Verdict::Error);
    assert!(f.actual.contains("SSH-2.0"), "{}", f.actual);
}

#[tokio::test]
async fn json_is_one_object_with_the_contract_fields() {
    let server = fake::start(Behaviour::GoodExcept(Deviation::UnknownMethod405NoAllow)).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    let v = report.to_json();
    assert_eq!(v["target"], format!("{}/a.txt", server.url));
    let passed = v["summary"]["passed"].as_u64().unwrap();
    let failed = v["summary"]["failed"].as_u64().unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len() as u64, passed + failed);
    let m9 = findings
        .iter()
        .find(|f| f["id"] == "M-9" && f["passed"] == false)
        .expect("M-9 failure");
    for key in ["severity", "request", "expected", "actual", "advice"] {
        assert!(m9[key].is_string(), "{key} missing in {m9}");
    }
    assert_eq!(m9["severity"], "MUST");
    // The text form ends with the plain closing line.
    let text = report.render_text(false);
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("{passed} passed, {failed} failed")),
        "{last}"
    );
    assert!(!text.contains("\x1b["), "no colour when asked for none");
    assert!(report.render_text(true).contains("\x1b[31m"));
}

fn self_signed() -> (tokio_rustls::TlsAcceptor, ()) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let der = rustls::pki_types::CertificateDer::from(cert.cert.der().to_vec());
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    (
        tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)),
        (),
    )
}

#[tokio::test]
async fn tls_self_signed_fails_without_insecure_and_passes_with_it() {
    let (acceptor, ()) = self_signed();
    let server = fake::start_tls(Behaviour::Good, acceptor).await;
    let report = run_checks(&cfg(&format!("{}/a.txt", server.url))).await;
    let f = &report.findings[0];
    assert_eq!(f.outcome, Verdict::Error);
    assert!(f.actual.contains("TLS handshake"), "{}", f.actual);

    let mut c = cfg(&format!("{}/a.txt", server.url));
    c.insecure = true;
    let report = run_checks(&c).await;
    assert!(report.failures().is_empty(), "{}", show(&report));
}
