//! State-changing probes, only with `--allow-writes SCRATCH_PATH`: PUT (create,
//! replace with 100-continue), DELETE, MKCOL. Everything created is removed.

use super::{with_fields, Ctx, Judgement, Section, Severity};
use crate::probe::{Env, Exchange, Probe, Request, Transport};

/// One judged step of the write sequence.
pub struct WriteResult {
    /// Digest id.
    pub id: &'static str,
    /// Short unique name.
    pub name: &'static str,
    /// Digest section.
    pub section: Section,
    /// Strength of the rule.
    pub severity: Severity,
    /// What a conforming server answers.
    pub expected: &'static str,
    /// What was sent and received.
    pub exchange: Exchange,
    /// The verdict.
    pub judgement: Judgement,
}

/// Everything the write sequence produced.
pub struct WriteOutcome {
    /// Judged steps, in order.
    pub results: Vec<WriteResult>,
    /// Cleanup problems and other remarks for the operator.
    pub notes: Vec<String>,
}

struct Seq<'a> {
    env: &'a Env,
    ctx: &'a Ctx,
    out: WriteOutcome,
}

impl Seq<'_> {
    async fn send(&self, probe: Probe) -> Exchange {
        self.env.execute(&probe, Transport::Http1, false).await
    }

    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        id: &'static str,
        name: &'static str,
        section: Section,
        severity: Severity,
        expected: &'static str,
        exchange: Exchange,
        judge: impl FnOnce(&Exchange) -> Judgement,
    ) {
        let judgement = match (exchange.first(), &exchange.error) {
            (None, Some(e)) => Judgement::error(e.to_string()),
            (None, None) => Judgement::error("no response"),
            _ => judge(&exchange),
        };
        self.out.results.push(WriteResult {
            id,
            name,
            section,
            severity,
            expected,
            exchange,
            judgement,
        });
    }

    /// DELETE `path` and say whether it is gone; used for cleanup.
    async fn remove(&mut self, path: &str) {
        let ex = self
            .send(Probe::One(Request::new(
                "DELETE",
                path,
                self.ctx.host_header(),
            )))
            .await;
        match ex.first() {
            Some(r) if (200..300).contains(&r.status) || r.status == 404 || r.status == 410 => {}
            Some(r) => self.out.notes.push(format!(
                "cleanup: DELETE {path} got {}; remove it by hand",
                r.status_line()
            )),
            None => self.out.notes.push(format!(
                "cleanup: DELETE {path} failed ({}); remove it by hand",
                ex.error.map(|e| e.to_string()).unwrap_or_default()
            )),
        }
    }
}

/// A token that makes our scratch names unlikely to collide with anything.
fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}-{}", nanos, std::process::id())
}

/// Runs the write sequence under `scratch` (a collection path).
pub async fn run(env: &Env, ctx: &Ctx, scratch: &str) -> WriteOutcome {
    let mut seq = Seq {
        env,
        ctx,
        out: WriteOutcome {
            results: Vec::new(),
            notes: Vec::new(),
        },
    };
    let base = if scratch.ends_with('/') {
        scratch.to_string()
    } else {
        format!("{scratch}/")
    };
    let t = token();
    let file = format!("{base}methodical-check-{t}.txt");
    let dir = format!("{base}methodical-check-{t}-dir/");
    let host = ctx.host_header().to_string();

    // 1. PUT creates.
    let ex = seq
        .send(Probe::One(
            Request::new("PUT", &file, &host)
                .header("Content-Type", "text/plain")
                .body(b"methodical check probe\n"),
        ))
        .await;
    let created = ex
        .first()
        .map(|r| (200..300).contains(&r.status))
        .unwrap_or(false);
    seq.record(
        "M-17",
        "put-creates-201",
        Section::Dispatch,
        Severity::Must,
        "201 Created for a PUT that creates a resource",
        ex,
        |ex| match ex.first() {
            Some(r) if r.status == 201 => Judgement::pass(r.status_line()),
            Some(r) if (200..300).contains(&r.status) => Judgement::fail(r.status_line()),
            // Refusals mean "no writes here", which is the operator's choice.
            Some(r) if matches!(r.status, 401 | 403 | 405 | 501) => Judgement::skip(format!(
                "{}: PUT is not allowed at {file}; no further write checks",
                with_fields(r, &["Allow"])
            )),
            Some(r) => Judgement::fail(format!("{}: PUT failed", r.status_line())),
            None => Judgement::error("no response"),
        },
    );

    if created {
        // 2. PUT replaces, announcing the content with 100-continue (E-7 third case).
        let ex = seq
            .send(Probe::ExpectContinue(
                Request::new("PUT", &file, &host)
                    .header("Content-Type", "text/plain")
                    .header("Expect", "100-Continue")
                    .body(b"methodical check probe, replaced\n"),
            ))
            .await;
        let copy = ex.clone();
        seq.record(
            "M-17",
            "put-replaces-200-204",
            Section::Dispatch,
            Severity::Must,
            "200 or 204 for a PUT that replaces",
            ex,
            |ex| match ex.first() {
                Some(r) => Judgement::check(matches!(r.status, 200 | 204), r.status_line()),
                None => Judgement::error("no response"),
            },
        );
        seq.record(
            "E-7",
            "100-continue-before-content",
            Section::Framing,
            Severity::Must,
            "an immediate 100 Continue (or final status), never waiting for the content first",
            copy,
            |ex| {
                let Some(a) = ex.answers.first() else {
                    return Judgement::error("no response");
                };
                if ex.silent_after_headers {
                    return Judgement::fail(format!(
                        "nothing until the content was sent, then {}",
                        a.response.status_line()
                    ));
                }
                match a.interim.first() {
                    Some(i) => Judgement::pass(format!(
                        "{} then {}",
                        i.status_line(),
                        a.response.status_line()
                    )),
                    None => Judgement::pass(format!(
                        "{} at once (final status without 100)",
                        a.response.status_line()
                    )),
                }
            },
        );

        // 3. DELETE, and the 204 framing rule (E-2).
        let ex = seq
            .send(Probe::One(Request::new("DELETE", &file, &host)))
            .await;
        let deleted = ex
            .first()
            .map(|r| (200..300).contains(&r.status))
            .unwrap_or(false);
        let copy = ex.clone();
        seq.record(
            "M-17",
            "delete-succeeds",
            Section::Dispatch,
            Severity::Should,
            "200, 202 or 204 for a successful DELETE",
            ex,
            |ex| match ex.first() {
                Some(r) => Judgement::check(matches!(r.status, 200 | 202 | 204), r.status_line()),
                None => Judgement::error("no response"),
            },
        );
        seq.record(
            "E-2",
            "204-without-framing-fields",
            Section::Framing,
            Severity::Must,
            "a 204 carries neither Content-Length nor Transfer-Encoding",
            copy,
            |ex| match ex.first() {
                Some(r) if r.status == 204 => Judgement::check(
                    !r.has("Content-Length") && !r.has("Transfer-Encoding"),
                    with_fields(r, &["Content-Length", "Transfer-Encoding"]),
                ),
                Some(r) => Judgement::skip(format!("DELETE got {}, not 204", r.status)),
                None => Judgement::error("no response"),
            },
        );
        if deleted {
            let ex = seq
                .send(Probe::One(Request::new("GET", &file, &host)))
                .await;
            seq.record(
                "M-17",
                "deleted-resource-is-gone",
                Section::Dispatch,
                Severity::Should,
                "404 or 410 for GET after a successful DELETE",
                ex,
                |ex| match ex.first() {
                    Some(r) => Judgement::check(matches!(r.status, 404 | 410), r.status_line()),
                    None => Judgement::error("no response"),
                },
            );
        } else {
            seq.remove(&file).await;
        }
    }

    // 4. MKCOL: 201 then 405 on a DAV scratch path, 501 elsewhere.
    let dav = ctx.is_dav_path(&base);
    let ex = seq
        .send(Probe::One(Request::new("MKCOL", &dir, &host)))
        .await;
    let made = ex
        .first()
        .map(|r| (200..300).contains(&r.status))
        .unwrap_or(false);
    if dav {
        seq.record(
            "D-6",
            "mkcol-creates-201",
            Section::WebDav,
            Severity::Must,
            "201 Created for MKCOL of a new collection",
            ex,
            |ex| match ex.first() {
                Some(r) => Judgement::check(r.status == 201, r.status_line()),
                None => Judgement::error("no response"),
            },
        );
        if made {
            let ex = seq
                .send(Probe::One(Request::new("MKCOL", &dir, &host)))
                .await;
            seq.record(
                "D-6",
                "mkcol-existing-405",
                Section::WebDav,
                Severity::Must,
                "405 with Allow lacking MKCOL for MKCOL on an existing collection",
                ex,
                |ex| match ex.first() {
                    Some(r) => Judgement::check(
                        r.status == 405 && !r.has_token("Allow", "MKCOL"),
                        with_fields(r, &["Allow"]),
                    ),
                    None => Judgement::error("no response"),
                },
            );
        }
    } else {
        seq.record(
            "D-2",
            "mkcol-outside-dav",
            Section::WebDav,
            Severity::ProjectDefault,
            "501: no WebDAV handler on the scratch path",
            ex,
            |ex| match ex.first() {
                Some(r) => Judgement::check(r.status == 501, with_fields(r, &["Allow"])),
                None => Judgement::error("no response"),
            },
        );
    }
    if made {
        seq.remove(&dir).await;
    }
    seq.out
}
