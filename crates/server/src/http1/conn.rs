//! The HTTP/1.1 connection loop: read a head, hand the request to the service while feeding
//! its content on demand, write the response, decide whether the connection lives on.

use std::io;
use std::pin::pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::header::{CONNECTION, EXPECT};
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::time::{timeout, timeout_at, Instant};

use super::body::{BodySender, Decoded, Decoder, H1Body};
use super::encode::{encode_head, framing_for, head_capacity, Persistence, ResponseFraming, CONTINUE};
use super::parse::{framing, scan_head, FieldSpan, Framing, ParsedHead, TargetForm};
use super::{H1Config, H1Service, ReadReady, RequestError, WriteSocket};
use crate::body::{Body, BodyError, FileSource, RequestBody};
use crate::connection::ConnInfo;
use crate::shutdown::Shutdown;

/// The HTTP/2 connection preface (RFC 9113 §3.4): a cleartext connection that starts with it
/// speaks h2c with prior knowledge.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Content pieces handed to a handler are at most this large.
const MAX_PIECE: usize = 256 * 1024;
/// In-memory bodies up to this size are copied behind the head and go out in one write;
/// larger ones are sent with the head in one vectored write, without copying.
const COALESCE: usize = 8 * 1024;
/// Room made for reading a request head: most heads fit in 1 KiB (nginx's
/// client_header_buffer_size), larger ones grow it. Between requests a connection holds none.
pub const HEAD_BUFFER: usize = 1024;
/// How long a closing connection keeps reading (and discarding) what the client still sends,
/// so the kernel does not answer it with a reset that destroys our response in flight.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);
const LINGER_BYTES: usize = 4 * 1024 * 1024;

/// Serves HTTP/1.1 requests on a connection until it closes. `buf` holds octets already
/// read (while looking for the h2c preface).
pub async fn serve<R, W, S>(rd: R, wr: W, buf: BytesMut, svc: &S, cfg: &H1Config, shutdown: Shutdown, info: Arc<ConnInfo>)
where
    R: ReadReady,
    W: WriteSocket,
    S: H1Service,
{
    let mut conn = Conn { rd, wr, buf, fields: Vec::new(), cfg, pump: None, shutdown };
    let started = Instant::now();
    let mut first = true;
    loop {
        let head = match conn.read_head(first, started).await {
            HeadRead::Head(h) => h,
            HeadRead::Closed => return,
            HeadRead::Error(e) => {
                Box::pin(conn.reject(svc, &e)).await;
                return;
            }
        };
        first = false;
        // Boxed per request: the exchange's state (pipeline call, body pump, response
        // writing) is most of this future, and inline it would stay allocated in every idle
        // keep-alive connection's task (about 2 KiB each).
        match Box::pin(conn.exchange(svc, head, &info)).await {
            Ok(true) => continue,
            Ok(false) | Err(_) => {
                conn.linger().await;
                return;
            }
        }
    }
}

enum HeadRead {
    Head(ParsedHead),
    Closed,
    Error(RequestError),
}

struct Conn<'a, R, W> {
    rd: R,
    wr: W,
    buf: BytesMut,
    /// Where [`scan_head`] notes the field lines; kept, so a request does not allocate it.
    fields: Vec<FieldSpan>,
    cfg: &'a H1Config,
    pump: Option<Pump>,
    shutdown: Shutdown,
}

impl<R, W> Conn<'_, R, W>
where
    R: ReadReady,
    W: WriteSocket,
{
    async fn read_head(&mut self, first: bool, started: Instant) -> HeadRead {
        let mut deadline = if first { Some(started + self.cfg.header_timeout) } else { None };
        if deadline.is_none() && self.buf.is_empty() {
            // Waiting for the next request on a kept-alive connection: hold no buffer meanwhile
            // (the list of field lines is kept unless a large head made it large).
            self.buf = BytesMut::new();
            if self.fields.capacity() > 32 {
                self.fields = Vec::new();
            }
            let idle = Instant::now() + self.cfg.idle_timeout;
            tokio::select! {
                r = timeout_at(idle, self.rd.ready()) => match r {
                    Ok(Ok(())) => {}
                    _ => return HeadRead::Closed,
                },
                () = self.shutdown.wait() => return HeadRead::Closed,
            }
        }
        loop {
            if !self.buf.is_empty() {
                match scan_head(&self.buf, &self.cfg.limits, &mut self.fields) {
                    Ok(Some(scanned)) => {
                        // The target and field values stay in the octets read: slices of them.
                        let raw = self.buf.split_to(scanned.len).freeze();
                        return HeadRead::Head(scanned.build(raw, &mut self.fields));
                    }
                    Ok(None) => {}
                    Err(e) => return HeadRead::Error(e.into()),
                }
                deadline.get_or_insert_with(|| Instant::now() + self.cfg.header_timeout);
            }
            if self.buf.capacity() - self.buf.len() < HEAD_BUFFER / 4 {
                self.buf.reserve(HEAD_BUFFER);
            }
            let read = match deadline {
                // Waiting for the first octet of a request on a kept-alive connection.
                None => {
                    let idle = Instant::now() + self.cfg.idle_timeout;
                    tokio::select! {
                        r = timeout_at(idle, self.rd.read_buf(&mut self.buf)) => r,
                        () = self.shutdown.wait() => return HeadRead::Closed,
                    }
                }
                // Nothing of a request yet (a new connection): shutdown closes it like an
                // idle kept-alive one instead of waiting out the header timeout.
                Some(at) if self.buf.is_empty() => {
                    tokio::select! {
                        biased;
                        r = timeout_at(at, self.rd.read_buf(&mut self.buf)) => r,
                        () = self.shutdown.wait() => return HeadRead::Closed,
                    }
                }
                Some(at) => timeout_at(at, self.rd.read_buf(&mut self.buf)).await,
            };
            match read {
                Ok(Ok(0)) | Ok(Err(_)) => return HeadRead::Closed,
                Ok(Ok(_)) => {}
                // A client that sent part of a head and stalled gets a 408; an idle one is closed.
                Err(_) if !self.buf.is_empty() => return HeadRead::Error(RequestError::HeaderTimeout),
                Err(_) => return HeadRead::Closed,
            }
        }
    }

    /// Answers a request that could not be parsed, then closes.
    async fn reject<S: H1Service>(&mut self, svc: &S, err: &RequestError) {
        let resp = svc.reject(err);
        let _ = self.write_response(resp, false, true, Persistence::Close).await;
        self.linger().await;
    }

    /// One request / response exchange. `Ok(true)`: the connection may carry another.
    async fn exchange<S: H1Service>(&mut self, svc: &S, head: ParsedHead, info: &Arc<ConnInfo>) -> io::Result<bool> {
        let framing = match framing(&head.headers, head.version) {
            Ok(f) => f,
            Err(e) => {
                self.reject(svc, &e.into()).await;
                return Ok(false);
            }
        };
        let is_head = head.method == Method::HEAD;
        let http11 = head.version == Version::HTTP_11;
        let client_close = wants_close(&head.headers, head.version);
        let expects_continue = http11 && framing != Framing::None && expects_100(&head.headers);

        let body = match framing {
            Framing::None => {
                self.pump = None;
                RequestBody::Empty
            }
            Framing::Length(n) => self.start_pump(Decoder::length(n), Some(n), expects_continue),
            Framing::Chunked => self.start_pump(Decoder::chunked(), None, expects_continue),
        };
        let req = match build_request(head, body, info) {
            Ok(r) => r,
            Err(e) => {
                self.reject(svc, &e).await;
                return Ok(false);
            }
        };

        let resp = {
            let mut fut = pin!(svc.call(req));
            loop {
                let Some(pump) = self.pump.as_mut() else { break fut.await };
                tokio::select! {
                    biased;
                    resp = &mut fut => break resp,
                    step = pump.step(&mut self.rd, &mut self.buf, self.cfg) => {
                        if step == Step::Continue100 {
                            self.wr.write_all(CONTINUE).await?;
                            self.wr.flush().await?;
                            if let Some(p) = self.pump.as_mut() {
                                p.continue_sent = true;
                            }
                        }
                    }
                }
            }
        };

        self.discard_arrived().await;
        let mut close = client_close || self.shutdown.is_shutting_down() || wants_close(resp.headers(), Version::HTTP_11);
        if let Some(pump) = self.pump.as_mut() {
            // A final answer ends the wait for 100-continue (RFC 9110 §10.1.1).
            pump.expects_continue = false;
            if pump.failed {
                close = true;
            } else if !pump.finished {
                let unsent_expected = expects_continue && !pump.continue_sent && self.buf.is_empty();
                let too_much = pump.decoder.remaining().is_some_and(|r| r > self.cfg.max_drain);
                close |= unsent_expected || too_much;
            }
        }
        let persistence = if close {
            Persistence::Close
        } else if http11 {
            Persistence::KeepAlive
        } else {
            Persistence::KeepAlive10
        };
        let complete = self.write_response(resp, is_head, http11, persistence).await?;
        if close || !complete {
            return Ok(false);
        }
        Ok(self.drain().await)
    }

    fn start_pump(&mut self, decoder: Decoder, exact: Option<u64>, expects_continue: bool) -> RequestBody {
        let (body, sender) = H1Body::channel(exact);
        self.pump = Some(Pump {
            decoder,
            sender,
            wanted: false,
            finished: false,
            failed: false,
            gone: false,
            expects_continue,
            continue_sent: false,
        });
        RequestBody::H1(body)
    }

    /// Writes a response. `Ok(false)` when the response could not be completed (its body
    /// failed): the connection must close without further ado.
    async fn write_response(&mut self, resp: Response<Body>, is_head: bool, http11: bool, persistence: Persistence) -> io::Result<bool> {
        let (mut parts, body) = resp.into_parts();
        let file = parts.extensions.remove::<FileSource>();
        let framing = framing_for(parts.status, is_head, &parts.headers, body.exact_len(), http11);
        let persistence = if framing == ResponseFraming::Close { Persistence::Close } else { persistence };
        // One allocation for the head and, when it is coalesced with it, the content.
        let coalesced = match (&framing, &body) {
            (ResponseFraming::Length(_), Body::Full(bytes)) if bytes.len() <= COALESCE => bytes.len(),
            _ => 0,
        };
        let mut out = BytesMut::with_capacity(head_capacity(&parts) + coalesced);
        encode_head(&mut out, &parts, framing, persistence);
        let complete = match (framing, body) {
            (ResponseFraming::None, _) | (_, Body::Empty) => {
                self.write_all(&out).await?;
                true
            }
            (ResponseFraming::Length(_), Body::Full(bytes)) if bytes.len() <= COALESCE => {
                out.extend_from_slice(&bytes);
                self.write_all(&out).await?;
                true
            }
            (ResponseFraming::Length(_), Body::Full(bytes)) => {
                match file {
                    // The handler checked the file against the body's length when it opened it.
                    Some(FileSource(file)) if self.can_send_file() => {
                        self.send_file(&out, &file, bytes.len() as u64).await?;
                    }
                    _ => self.write_two(&out, &bytes).await?,
                }
                true
            }
            (_, Body::Full(bytes)) => {
                self.write_all(&out).await?;
                if framing == ResponseFraming::Chunked {
                    self.write_chunk(&bytes).await?;
                    self.write_all(b"0\r\n\r\n").await?;
                } else {
                    self.write_all(&bytes).await?;
                }
                true
            }
            (framing, Body::Stream(stream)) => {
                self.write_all(&out).await?;
                self.write_stream(stream, framing).await?
            }
        };
        timeout(self.cfg.send_timeout, self.wr.flush())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "send timeout"))??;
        Ok(complete)
    }

    async fn write_stream(
        &mut self,
        stream: http_body_util::combinators::UnsyncBoxBody<Bytes, crate::body::BoxError>,
        framing: ResponseFraming,
    ) -> io::Result<bool> {
        let mut stream = pin!(stream);
        let mut sent: u64 = 0;
        loop {
            let frame = match self.pump.as_mut().filter(|p| p.active()) {
                Some(pump) => tokio::select! {
                    biased;
                    f = stream.frame() => f,
                    _ = pump.step(&mut self.rd, &mut self.buf, self.cfg) => continue,
                },
                None => stream.frame().await,
            };
            match frame {
                None => break,
                Some(Err(e)) => {
                    // The body source failed mid-way (an upstream reset): the framing can no
                    // longer be honoured, so the client must see the connection end.
                    tracing::warn!("response body failed after {sent} octets: {e}");
                    return Ok(false);
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    if data.is_empty() {
                        continue;
                    }
                    match framing {
                        ResponseFraming::Chunked => self.write_chunk(&data).await?,
                        ResponseFraming::Length(n) => {
                            if sent + data.len() as u64 > n {
                                tracing::warn!("response body longer than its Content-Length {n}");
                                return Ok(false);
                            }
                            self.write_all(&data).await?;
                        }
                        _ => self.write_all(&data).await?,
                    }
                    sent += data.len() as u64;
                }
            }
        }
        match framing {
            ResponseFraming::Chunked => self.write_all(b"0\r\n\r\n").await?,
            ResponseFraming::Length(n) if sent != n => {
                tracing::warn!("response body ended after {sent} of {n} octets");
                return Ok(false);
            }
            _ => {}
        }
        Ok(framing != ResponseFraming::Close)
    }

    async fn write_chunk(&mut self, data: &[u8]) -> io::Result<()> {
        let mut head = [0u8; 20];
        let size = format_hex(data.len(), &mut head);
        if data.len() <= 16 * 1024 {
            let mut out = Vec::with_capacity(size.len() + data.len() + 4);
            out.extend_from_slice(size);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
            self.write_all(&out).await
        } else {
            let mut line = size.to_vec();
            line.extend_from_slice(b"\r\n");
            self.write_all(&line).await?;
            self.write_all(data).await?;
            self.write_all(b"\r\n").await
        }
    }

    /// Writes `first` then `second` with vectored writes (one system call in the common case),
    /// serving content wants of a still-running handler meanwhile (a proxied upload may still
    /// be streaming while the answer is sent).
    async fn write_two(&mut self, first: &[u8], second: &[u8]) -> io::Result<()> {
        let mut done = 0;
        let total = first.len() + second.len();
        while done < total {
            let slices = if done < first.len() {
                [io::IoSlice::new(&first[done..]), io::IoSlice::new(second)]
            } else {
                [io::IoSlice::new(&second[done - first.len()..]), io::IoSlice::new(&[])]
            };
            let n = match self.pump.as_mut().filter(|p| p.active()) {
                Some(pump) => tokio::select! {
                    biased;
                    r = timeout(self.cfg.send_timeout, self.wr.write_vectored(&slices)) => r,
                    _ = pump.step(&mut self.rd, &mut self.buf, self.cfg) => continue,
                },
                None => timeout(self.cfg.send_timeout, self.wr.write_vectored(&slices)).await,
            };
            match n {
                Ok(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(Ok(n)) => done += n,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "send timeout")),
            }
        }
        Ok(())
    }

    /// Whether [`Conn::send_file`] may be used now: a plain TCP socket, and no request
    /// content still arriving (the vectored writer keeps reading it meanwhile).
    fn can_send_file(&self) -> bool {
        self.wr.socket().is_some() && self.pump.as_ref().is_none_or(|p| !p.active())
    }

    /// Sends `head`, then the first `len` octets of `file` with `sendfile(2)`: the kernel
    /// takes the content from the page cache instead of copying it out of our memory (about
    /// half the CPU of a 100 KiB answer). The head is sent with MSG_MORE so both leave in the
    /// same segments.
    async fn send_file(&mut self, head: &[u8], file: &std::fs::File, len: u64) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let Some(sock) = self.wr.socket() else { return Err(io::ErrorKind::Unsupported.into()) };
        let (out_fd, in_fd) = (sock.as_raw_fd(), file.as_raw_fd());
        let send_timeout = self.cfg.send_timeout;
        let mut sent_head = 0;
        while sent_head < head.len() {
            let rest = &head[sent_head..];
            // SAFETY: `rest` is a live slice; the socket is ours and open.
            sent_head += when_writable(sock, send_timeout, || unsafe {
                libc::send(out_fd, rest.as_ptr().cast(), rest.len(), libc::MSG_MORE | libc::MSG_NOSIGNAL)
            })
            .await?;
        }
        let mut offset: libc::off_t = 0;
        while (offset as u64) < len {
            let left = (len - offset as u64).min(1 << 30) as usize;
            // SAFETY: both descriptors are open for the whole call; `offset` is ours.
            let n = when_writable(sock, send_timeout, || unsafe { libc::sendfile(out_fd, in_fd, &mut offset, left) }).await?;
            if n == 0 {
                // The file shrank after it was checked: the framing can no longer be kept.
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file shorter than its Content-Length"));
            }
        }
        Ok(())
    }

    /// Writes everything, serving content wants of a still-running handler meanwhile (a
    /// proxied upload may still be streaming while the answer is sent).
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_two(data, &[]).await
    }

    /// Before an answer goes out: reads past request content the handler let go of, as far
    /// as it has already arrived (in the buffer or waiting in the socket), without waiting
    /// for more. Content found malformed here (a bad chunk line, RFC 9112 §7.1) makes the
    /// answer say `Connection: close`, instead of a kept-alive answer followed by a silent
    /// close once [`Conn::drain`] finds the error.
    async fn discard_arrived(&mut self) {
        let Some(pump) = self.pump.as_mut() else { return };
        if !pump.active() || !pump.released() {
            return;
        }
        let mut discarded: u64 = 0;
        loop {
            match pump.decoder.decode(&mut self.buf, MAX_PIECE) {
                Ok(Decoded::Done) => {
                    pump.finish();
                    return;
                }
                Ok(Decoded::Data(d)) => {
                    discarded += d.len() as u64;
                    if discarded > self.cfg.max_drain {
                        return;
                    }
                }
                Ok(Decoded::NeedMore) => {
                    self.buf.reserve(16 * 1024);
                    // A zero timeout polls the read once: only octets already received.
                    match timeout(std::time::Duration::ZERO, self.rd.read_buf(&mut self.buf)).await {
                        Ok(Ok(n)) if n > 0 => {}
                        Ok(Ok(_)) => {
                            pump.fail(BodyError::Incomplete);
                            return;
                        }
                        Ok(Err(e)) => {
                            pump.fail(BodyError::Io(e));
                            return;
                        }
                        Err(_) => return,
                    }
                }
                Err(e) => {
                    pump.fail(e);
                    return;
                }
            }
        }
    }

    /// Reads and discards request content nobody consumed, so the next request can be
    /// parsed. `false`: give up and close.
    async fn drain(&mut self) -> bool {
        let Some(mut pump) = self.pump.take() else { return true };
        if pump.finished {
            return true;
        }
        if pump.failed {
            return false;
        }
        pump.abandon();
        let deadline = Instant::now() + self.cfg.body_timeout;
        let mut discarded: u64 = 0;
        loop {
            match pump.decoder.decode(&mut self.buf, MAX_PIECE) {
                Ok(Decoded::Done) => return true,
                Ok(Decoded::Data(d)) => {
                    discarded += d.len() as u64;
                    if discarded > self.cfg.max_drain {
                        return false;
                    }
                }
                Ok(Decoded::NeedMore) => {
                    self.buf.reserve(16 * 1024);
                    match timeout_at(deadline, self.rd.read_buf(&mut self.buf)).await {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return false,
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Half-closes and reads what the client still sends for a short while before the
    /// socket is dropped (see [`LINGER`]).
    async fn linger(&mut self) {
        let _ = timeout(self.cfg.send_timeout, self.wr.shutdown()).await;
        let deadline = Instant::now() + LINGER;
        let mut seen = 0;
        let mut scratch = vec![0u8; 16 * 1024];
        while seen < LINGER_BYTES {
            match timeout_at(deadline, self.rd.read(&mut scratch)).await {
                Ok(Ok(n)) if n > 0 => seen += n,
                _ => break,
            }
        }
    }
}

/// Feeds a request's content to its [`H1Body`] when the handler asks for it.
struct Pump {
    decoder: Decoder,
    sender: BodySender,
    /// The handler asked for a piece that has not been delivered yet.
    wanted: bool,
    finished: bool,
    failed: bool,
    /// The handler dropped its body.
    gone: bool,
    expects_continue: bool,
    continue_sent: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    Continue100,
    Progress,
}

impl Pump {
    fn active(&self) -> bool {
        !self.finished && !self.failed && !self.gone
    }

    /// The handler dropped its end of the content: nobody will read it any more.
    fn released(&self) -> bool {
        self.gone || self.sender.data.as_ref().is_none_or(|tx| tx.is_closed())
    }

    /// Waits for a want and serves it. Cancel-safe: a want already received is remembered,
    /// reads go into the connection buffer, deliveries are synchronous. Never returns while
    /// there is nothing left to do (so it can sit in a `select!`).
    async fn step<R: AsyncRead + Unpin>(&mut self, rd: &mut R, buf: &mut BytesMut, cfg: &H1Config) -> Step {
        if !self.active() {
            return std::future::pending().await;
        }
        if !self.wanted {
            match self.sender.want.recv().await {
                Some(()) => self.wanted = true,
                None => {
                    self.gone = true;
                    return Step::Progress;
                }
            }
        }
        if self.expects_continue && !self.continue_sent && buf.is_empty() {
            return Step::Continue100;
        }
        loop {
            match self.decoder.decode(buf, MAX_PIECE) {
                Ok(Decoded::Data(d)) => {
                    self.wanted = false;
                    self.deliver(Ok(d));
                    if self.decoder.is_done() {
                        self.finish();
                    }
                    return Step::Progress;
                }
                Ok(Decoded::Done) => {
                    self.finish();
                    return Step::Progress;
                }
                Ok(Decoded::NeedMore) => {
                    buf.reserve(64 * 1024);
                    match timeout(cfg.body_timeout, rd.read_buf(buf)).await {
                        Ok(Ok(0)) => return self.fail(BodyError::Incomplete),
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return self.fail(BodyError::Io(e)),
                        Err(_) => return self.fail(BodyError::Timeout),
                    }
                }
                Err(e) => return self.fail(e),
            }
        }
    }

    fn deliver(&mut self, item: Result<Bytes, BodyError>) {
        if let Some(tx) = &self.sender.data {
            // Capacity 1 and the handler only wants when it has consumed everything.
            if tx.try_send(item).is_err() {
                self.gone = true;
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.sender.data = None;
    }

    fn fail(&mut self, err: BodyError) -> Step {
        tracing::debug!("request body failed: {err}");
        self.wanted = false;
        self.deliver(Err(err));
        self.failed = true;
        self.sender.data = None;
        Step::Progress
    }

    /// The exchange is over: a handler still holding the body learns it will not be
    /// completed (an `Incomplete` error, never a clean end that would truncate silently).
    fn abandon(&mut self) {
        if !self.gone {
            self.deliver(Err(BodyError::Incomplete));
        }
        self.sender.data = None;
        self.gone = true;
    }
}

fn has_token(headers: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`.
fn wants_close(headers: &HeaderMap, version: Version) -> bool {
    if has_token(headers, CONNECTION, "close") {
        return true;
    }
    version == Version::HTTP_10 && !has_token(headers, CONNECTION, "keep-alive")
}

fn expects_100(headers: &HeaderMap) -> bool {
    has_token(headers, EXPECT, "100-continue")
}

fn build_request(head: ParsedHead, body: RequestBody, info: &Arc<ConnInfo>) -> Result<Request<RequestBody>, RequestError> {
    let uri = match head.form {
        TargetForm::Asterisk => Uri::from_static("*"),
        _ => Uri::from_maybe_shared(head.target.clone()).map_err(|e| RequestError::Uri(e.to_string()))?,
    };
    if head.form == TargetForm::Absolute && !matches!(uri.scheme_str(), Some("http") | Some("https")) {
        return Err(RequestError::Uri("only http and https URIs can be requested".into()));
    }
    let mut req = Request::new(body);
    *req.method_mut() = head.method;
    *req.uri_mut() = uri;
    *req.version_mut() = head.version;
    *req.headers_mut() = head.headers;
    req.extensions_mut().insert(info.clone());
    Ok(req)
}

/// Makes one non-blocking system call (`call`, returning a count or -1 with errno) each time
/// `sock` is writable, until it does not fail with EAGAIN, within `limit`.
async fn when_writable(sock: &tokio::net::TcpStream, limit: std::time::Duration, mut call: impl FnMut() -> isize) -> io::Result<usize> {
    let io = sock.async_io(tokio::io::Interest::WRITABLE, || {
        let r = call();
        if r < 0 { Err(io::Error::last_os_error()) } else { Ok(r as usize) }
    });
    timeout(limit, io).await.map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "send timeout"))?
}

fn format_hex(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_sizes() {
        let mut b = [0u8; 20];
        assert_eq!(format_hex(0, &mut b), b"0");
        assert_eq!(format_hex(255, &mut b), b"ff");
        assert_eq!(format_hex(0x10000, &mut b), b"10000");
    }

    #[test]
    fn persistence_rules() {
        let mut h = HeaderMap::new();
        assert!(!wants_close(&h, Version::HTTP_11));
        assert!(wants_close(&h, Version::HTTP_10));
        h.insert(CONNECTION, "Keep-Alive".parse().unwrap());
        assert!(!wants_close(&h, Version::HTTP_10));
        h.insert(CONNECTION, "foo, Close".parse().unwrap());
        assert!(wants_close(&h, Version::HTTP_11));
    }
}
