//! HTTP/1.x over one connection: exact octets out, tolerant parsing in.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::response::{parse_head, Framing, HeadParse, RawResponse, BODY_CAP};
use super::Stream;
use crate::error::ClientError;

/// Largest response head we buffer before giving up.
const HEAD_CAP: usize = 64 * 1024;

/// What the connection looked like after a response was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseState {
    /// The server closed (FIN or reset) within the observation window.
    Closed,
    /// The connection stayed open and silent.
    Open,
    /// More octets arrived after the response: the server sent more than it framed.
    ExtraBytes(Vec<u8>),
}

/// One HTTP/1.x connection with a read-ahead buffer, so pipelined responses
/// and octets after a response can be seen.
pub struct H1Conn {
    stream: Stream,
    buf: Vec<u8>,
    eof: bool,
    timeout: Duration,
}

impl H1Conn {
    /// Wraps a connected stream; every read and write is bounded by `timeout`.
    pub fn new(stream: Stream, timeout: Duration) -> H1Conn {
        H1Conn {
            stream,
            buf: Vec::new(),
            eof: false,
            timeout,
        }
    }

    /// Writes `bytes` as they are.
    pub async fn send(&mut self, bytes: &[u8]) -> Result<(), ClientError> {
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.timeout, write).await {
            Err(_) => Err(ClientError::Timeout(
                self.timeout,
                "while sending the request",
            )),
            Ok(Err(e)) => Err(ClientError::Io(format!("sending the request: {e}"))),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Reads more octets into the buffer; `Ok(0)` means the server closed.
    async fn fill(&mut self, wait: Duration, what: &'static str) -> Result<usize, ClientError> {
        if self.eof {
            return Ok(0);
        }
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(wait, self.stream.read(&mut chunk)).await {
            Err(_) => Err(ClientError::Timeout(wait, what)),
            Ok(Ok(0)) => {
                self.eof = true;
                Ok(0)
            }
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(n)
            }
            // A reset after (or instead of) the response is a way of closing;
            // a TLS close_notify missing is another. Both count as end of data.
            Ok(Err(_)) => {
                self.eof = true;
                Ok(0)
            }
        }
    }

    /// True when response octets are available within `window` (or the server closed).
    pub async fn wait_for_data(&mut self, window: Duration) -> bool {
        if !self.buf.is_empty() || self.eof {
            return true;
        }
        !matches!(self.fill(window, "").await, Err(ClientError::Timeout(..)))
    }

    /// Reads one response (interim or final). `head_request` tells whether the
    /// request was HEAD, whose response never has a body.
    pub async fn read_response(&mut self, head_request: bool) -> Result<RawResponse, ClientError> {
        let (mut response, used) = loop {
            if !self.buf.is_empty() {
                match parse_head(&self.buf) {
                    HeadParse::Done(r, used) => break (*r, used),
                    HeadParse::NotHttp(s) => return Err(ClientError::NotHttp(s)),
                    HeadParse::Partial if self.buf.len() > HEAD_CAP => {
                        return Err(ClientError::HeadTooLarge(HEAD_CAP))
                    }
                    HeadParse::Partial => {}
                }
            }
            if self
                .fill(self.timeout, "waiting for the response head")
                .await?
                == 0
            {
                return Err(if self.buf.is_empty() {
                    ClientError::ClosedWithoutResponse
                } else {
                    ClientError::TruncatedHead(self.buf.len())
                });
            }
        };
        self.buf.drain(..used);
        self.read_body(&mut response, head_request).await?;
        Ok(response)
    }

    /// Reads responses until a final one; returns the interim ones too.
    pub async fn read_final(
        &mut self,
        head_request: bool,
    ) -> Result<(Vec<RawResponse>, RawResponse), ClientError> {
        let mut interim = Vec::new();
        loop {
            let r = self.read_response(head_request).await?;
            if r.is_interim() && interim.len() < 8 {
                interim.push(r);
            } else {
                return Ok((interim, r));
            }
        }
    }

    /// Watches the connection for up to `wait` after a response.
    pub async fn observe_close(&mut self, wait: Duration) -> CloseState {
        if !self.buf.is_empty() {
            return CloseState::ExtraBytes(std::mem::take(&mut self.buf));
        }
        if self.eof {
            return CloseState::Closed;
        }
        match self.fill(wait, "").await {
            Ok(0) => CloseState::Closed,
            Ok(_) => CloseState::ExtraBytes(std::mem::take(&mut self.buf)),
            Err(_) => CloseState::Open,
        }
    }

    async fn read_body(
        &mut self,
        r: &mut RawResponse,
        head_request: bool,
    ) -> Result<(), ClientError> {
        // RFC 9112 §6.3: HEAD, 1xx, 204 and 304 end at the header section.
        if head_request || (100..200).contains(&r.status) || r.status == 204 || r.status == 304 {
            r.framing = Framing::None;
            return Ok(());
        }
        let te = r.list("transfer-encoding");
        if let Some(last) = te.last() {
            if last.eq_ignore_ascii_case("chunked") {
                r.framing = Framing::Chunked;
                return self.read_chunked(r).await;
            }
            r.framing_problem = Some(format!(
                "Transfer-Encoding {:?} does not end in chunked",
                te.join(", ")
            ));
            r.framing = Framing::UntilClose;
            return self.read_until_close(r).await;
        }
        if r.has("content-length") {
            match r.content_length() {
                Some(n) => {
                    r.framing = Framing::Length(n);
                    return self.read_exact_body(r, n).await;
                }
                None => {
                    let values: Vec<&str> = r.header_all("content-length").collect();
                    r.framing_problem =
                        Some(format!("invalid Content-Length {:?}", values.join(", ")));
                }
            }
        }
        r.framing = Framing::UntilClose;
        self.read_until_close(r).await
    }

    async fn read_exact_body(&mut self, r: &mut RawResponse, n: u64) -> Result<(), ClientError> {
        let want = usize::try_from(n).unwrap_or(usize::MAX);
        let keep = want.min(BODY_CAP);
        while self.buf.len() < keep {
            match self.fill(self.timeout, "reading the response body").await {
                Ok(0) | Err(ClientError::Timeout(..)) => {
                    // Fewer octets than announced: keep what came, report it.
                    r.body = std::mem::take(&mut self.buf);
                    r.body_complete = false;
                    return Ok(());
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        r.body = self.buf.drain(..keep).collect();
        if keep < want {
            r.body_complete = false;
            r.framing_problem = Some(format!(
                "body larger than {BODY_CAP} octets; not read to the end"
            ));
            self.eof = true;
        }
        Ok(())
    }

    async fn read_until_close(&mut self, r: &mut RawResponse) -> Result<(), ClientError> {
        loop {
            if self.buf.len() >= BODY_CAP {
                r.body = self.buf.drain(..BODY_CAP).collect();
                r.body_complete = false;
                self.eof = true;
                return Ok(());
            }
            match self
                .fill(self.timeout, "reading a close-delimited body")
                .await
            {
                Ok(0) => {
                    r.body = std::mem::take(&mut self.buf);
                    return Ok(());
                }
                Ok(_) => {}
                Err(ClientError::Timeout(..)) => {
                    // The server neither framed the body nor closed.
                    r.body = std::mem::take(&mut self.buf);
                    r.body_complete = false;
                    r.framing_problem.get_or_insert_with(|| {
                        "no Content-Length or chunked framing, and the connection stayed open"
                            .into()
                    });
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes one line (without CR LF) from the buffer, reading as needed.
    async fn line(&mut self) -> Result<String, ClientError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let raw: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&raw);
                return Ok(text.trim_end_matches(['\r', '\n']).to_string());
            }
            if self.buf.len() > HEAD_CAP {
                return Err(ClientError::BadChunk("chunk-size line too long".into()));
            }
            if self.fill(self.timeout, "reading a chunked body").await? == 0 {
                return Err(ClientError::BadChunk(
                    "connection closed inside the chunked body".into(),
                ));
            }
        }
    }

    async fn read_chunked(&mut self, r: &mut RawResponse) -> Result<(), ClientError> {
        loop {
            let size_line = self.line().await?;
            let size_text = size_line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size_text, 16)
                .map_err(|_| ClientError::BadChunk(format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailer section up to the empty line.
                while !self.line().await?.is_empty() {}
                return Ok(());
            }
            let size = usize::try_from(size)
                .map_err(|_| ClientError::BadChunk("chunk too large".into()))?;
            while self.buf.len() < size {
                if self.fill(self.timeout, "reading a chunk").await? == 0 {
                    r.body_complete = false;
                    r.body.append(&mut self.buf);
                    return Ok(());
                }
                if r.body.len() + self.buf.len() > BODY_CAP {
                    r.body_complete = false;
                    r.framing_problem = Some(format!(
                        "body larger than {BODY_CAP} octets; not read to the end"
                    ));
                    self.eof = true;
                    return Ok(());
                }
            }
            r.body.extend(self.buf.drain(..size));
            let end = self.line().await?;
            if !end.is_empty() {
                return Err(ClientError::BadChunk(
                    "chunk data not followed by CRLF".into(),
                ));
            }
        }
    }
}
