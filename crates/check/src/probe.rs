//! Probes (what to send) and exchanges (what came back), over HTTP/1.1 or HTTP/2.

use std::time::Duration;

use crate::client::{CloseState, H1Conn, H2Conn, RawResponse, Stream, TlsSettings};
use crate::error::ClientError;
use crate::target::Target;

/// Which protocol a probe was sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Transport {
    /// HTTP/1.1 over TCP or TLS, octets exactly as built.
    #[serde(rename = "http/1.1")]
    Http1,
    /// HTTP/2 (`--h2`).
    #[serde(rename = "h2")]
    Http2,
}

impl Transport {
    /// `http/1.1` or `h2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http1 => "http/1.1",
            Transport::Http2 => "h2",
        }
    }
}

/// A well-formed request: method, target and header fields as they will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method token, sent verbatim (case kept).
    pub method: String,
    /// The request-target (origin-form, absolute-form, `*`, or authority-form).
    pub target: String,
    /// Header fields in order; `Host` is the first one when present.
    pub headers: Vec<(String, String)>,
    /// Content sent after the header section.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with `Host: host` and nothing else.
    pub fn new(method: &str, target: &str, host: &str) -> Request {
        Request {
            method: method.to_string(),
            target: target.to_string(),
            headers: vec![("Host".to_string(), host.to_string())],
            body: Vec::new(),
        }
    }

    /// Adds a header field.
    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the content and a matching `Content-Length`.
    pub fn body(mut self, body: &[u8]) -> Request {
        self.body = body.to_vec();
        self.headers
            .push(("Content-Length".to_string(), body.len().to_string()));
        self
    }

    /// True for HEAD, whose response has no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }

    /// The header section as HTTP/1.1 octets (without the body).
    pub fn h1_head(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.target).into_bytes();
        for (n, v) in &self.headers {
            out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The whole request as HTTP/1.1 octets.
    pub fn to_h1(&self) -> Vec<u8> {
        let mut out = self.h1_head();
        out.extend_from_slice(&self.body);
        out
    }

    /// One line for reports: `FOO /x (Expect: 100-continue, Content-Length: 10)`.
    pub fn summary(&self) -> String {
        let method = if self.method.len() > 24 {
            format!("{}… ({} octets)", &self.method[..12], self.method.len())
        } else {
            self.method.clone()
        };
        let target = shorten(&self.target, 60);
        let extra: Vec<String> = self
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
            .map(|(n, v)| format!("{n}: {}", shorten(v, 40)))
            .collect();
        if extra.is_empty() {
            format!("{method} {target}")
        } else {
            format!("{method} {target} ({})", extra.join(", "))
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let cut = (0..=max - 10)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}… ({} octets)", &s[..cut], s.len())
}

/// What a check sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// One request, one final response.
    One(Request),
    /// Exact octets (malformed on purpose); HTTP/1.1 only.
    Raw {
        /// The octets sent.
        bytes: Vec<u8>,
        /// One line for the report.
        summary: String,
        /// The method as the server should read it (for judging).
        method: String,
    },
    /// Several requests written at once on one connection (HTTP/1.1
    /// pipelining), or one stream after another (HTTP/2).
    Pipeline(Vec<Request>),
    /// Header section first; the body only after a `100 Continue` or after a
    /// short wait, to see whether the server answers without waiting.
    ExpectContinue(Request),
}

impl Probe {
    /// One line for reports.
    pub fn summary(&self) -> String {
        match self {
            Probe::One(r) | Probe::ExpectContinue(r) => r.summary(),
            Probe::Raw { summary, .. } => summary.clone(),
            Probe::Pipeline(rs) => rs
                .iter()
                .map(Request::summary)
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }
}

/// One response together with the request method it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The method of the request this answers.
    pub method: String,
    /// `1xx` responses received before the final one.
    pub interim: Vec<RawResponse>,
    /// The final response.
    pub response: RawResponse,
}

/// Everything observed while running one probe.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The protocol used.
    pub transport: Transport,
    /// The probe as one line.
    pub summary: String,
    /// Final responses in request order (fewer than requests when something failed).
    pub answers: Vec<Answer>,
    /// What the connection did after the last response, when asked to watch.
    pub close: Option<CloseState>,
    /// Why the exchange stopped early, if it did.
    pub error: Option<ClientError>,
    /// For [`Probe::ExpectContinue`]: true when the server sent nothing within
    /// the wait window, so the body had to be sent unprompted.
    pub silent_after_headers: bool,
}

impl Exchange {
    /// The first final response, if any.
    pub fn first(&self) -> Option<&RawResponse> {
        self.answers.first().map(|a| &a.response)
    }

    /// The connection state, as words.
    pub fn close_text(&self) -> &'static str {
        match self.close {
            Some(CloseState::Closed) => "connection closed",
            Some(CloseState::Open) => "connection left open",
            Some(CloseState::ExtraBytes(_)) => "extra octets after the response",
            None => "",
        }
    }
}

/// Where and how probes are sent.
#[derive(Debug, Clone)]
pub struct Env {
    /// The server.
    pub target: Target,
    /// Certificate checking.
    pub tls: TlsSettings,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Env {
    /// How long to watch for a close after a response.
    pub fn close_window(&self) -> Duration {
        self.timeout.min(Duration::from_millis(1500))
    }

    /// How long to wait for a `100 Continue` or early final answer.
    pub fn expect_window(&self) -> Duration {
        (self.timeout / 2).min(Duration::from_secs(2))
    }

    /// Runs `probe` over `transport`. Never panics and never hangs: every step
    /// is bounded by the per-request timeout, and the whole probe by three times it.
    pub async fn execute(
        &self,
        probe: &Probe,
        transport: Transport,
        watch_close: bool,
    ) -> Exchange {
        let mut ex = Exchange {
            transport,
            summary: probe.summary(),
            answers: Vec::new(),
            close: None,
            error: None,
            silent_after_headers: false,
        };
        let bound = self.timeout * 3 + self.close_window();
        let run = async {
            match transport {
                Transport::Http1 => self.run_h1(probe, watch_close, &mut ex).await,
                Transport::Http2 => self.run_h2(probe, &mut ex).await,
            }
        };
        match tokio::time::timeout(bound, run).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => ex.error = Some(e),
            Err(_) => ex.error = Some(ClientError::Timeout(bound, "for the whole probe")),
        }
        ex
    }

    async fn run_h1(
        &self,
        probe: &Probe,
        watch_close: bool,
        ex: &mut Exchange,
    ) -> Result<(), ClientError> {
        let stream = Stream::connect(&self.target, &self.tls, &[b"http/1.1"], self.timeout).await?;
        let mut conn = H1Conn::new(stream, self.timeout);
        match probe {
            Probe::One(r) => {
                conn.send(&r.to_h1()).await?;
                let (interim, response) = conn.read_final(r.is_head()).await?;
                ex.answers.push(Answer {
                    method: r.method.clone(),
                    interim,
                    response,
                });
            }
            Probe::Raw { bytes, method, .. } => {
                conn.send(bytes).await?;
                let (interim, response) = conn.read_final(method == "HEAD").await?;
                ex.answers.push(Answer {
                    method: method.clone(),
                    interim,
                    response,
                });
            }
            Probe::Pipeline(rs) => {
                let all: Vec<u8> = rs.iter().flat_map(Request::to_h1).collect();
                conn.send(&all).await?;
                for r in rs {
                    let (interim, response) = conn.read_final(r.is_head()).await?;
                    ex.answers.push(Answer {
                        method: r.method.clone(),
                        interim,
                        response,
                    });
                }
            }
            Probe::ExpectContinue(r) => {
                conn.send(&r.h1_head()).await?;
                let mut interim = Vec::new();
                if conn.wait_for_data(self.expect_window()).await {
                    let first = conn.read_response(r.is_head()).await?;
                    if !first.is_interim() {
                        // Final status straight away: the body is never sent.
                        ex.answers.push(Answer {
                            method: r.method.clone(),
                            interim,
                            response: first,
                        });
                        if watch_close {
                            ex.close = Some(conn.observe_close(self.close_window()).await);
                        }
                        return Ok(());
                    }
                    interim.push(first);
                } else {
                    ex.silent_after_headers = true;
                }
                conn.send(&r.body).await?;
                let (more, response) = conn.read_final(r.is_head()).await?;
                interim.extend(more);
                ex.answers.push(Answer {
                    method: r.method.clone(),
                    interim,
                    response,
                });
            }
        }
        if watch_close {
            ex.close = Some(conn.observe_close(self.close_window()).await);
        }
        Ok(())
    }

    async fn run_h2(&self, probe: &Probe, ex: &mut Exchange) -> Result<(), ClientError> {
        let requests: Vec<&Request> = match probe {
            Probe::One(r) | Probe::ExpectContinue(r) => vec![r],
            Probe::Pipeline(rs) => rs.iter().collect(),
            Probe::Raw { .. } => return Err(ClientError::Unsupported("HTTP/2")),
        };
        let mut conn = H2Conn::connect(&self.target, &self.tls, self.timeout).await?;
        for r in requests {
            let response = conn
                .request(&r.method, &r.target, &r.headers, &r.body)
                .await?;
            ex.answers.push(Answer {
                method: r.method.clone(),
                interim: Vec::new(),
                response,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h1_octets_are_exact() {
        let r = Request::new("FOO", "/x", "h")
            .header("Expect", "100-continue")
            .body(b"0123456789");
        assert_eq!(
            r.to_h1(),
            b"FOO /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n0123456789".to_vec()
        );
        assert_eq!(
            r.summary(),
            "FOO /x (Expect: 100-continue, Content-Length: 10)"
        );
    }

    #[test]
    fn long_methods_and_targets_are_shortened_in_summaries() {
        let r = Request::new(&"A".repeat(100), &format!("/{}", "a".repeat(9000)), "h");
        let s = r.summary();
        assert!(
            s.contains("(100 octets)") && s.contains("(9001 octets)"),
            "{s}"
        );
        assert!(s.len() < 120);
    }
}
