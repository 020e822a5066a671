//! Listeners, connections and the server's life: bind, accept, serve, shut down gracefully.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::BytesMut;
use http::{Request, Response};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use crate::access_log::AccessLog;
use crate::app::App;
use crate::metrics::Metrics;
use crate::body::{Body, RequestBody};
use crate::config::{Config, ConfigError};
use crate::connection::{ConnInfo, TlsInfo};
use crate::http1::{self, H1Service, RequestError, PREFACE};
use crate::shutdown::{self, Shutdown, ShutdownTrigger};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration cannot be compiled.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A TLS listener cannot be set up.
    #[error("TLS listener {addr}: {source}")]
    Tls {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: crate::tls::TlsError,
    },
    /// The access log cannot be opened.
    #[error("cannot open the access log: {0}")]
    Log(std::io::Error),
}

/// Why a reload was refused (the running configuration stays).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The server was started without a configuration file.
    #[error("the server runs without a configuration file (zero-config mode); nothing to reload")]
    NoFile,
    /// The new file is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The new access log cannot be opened.
    #[error("cannot open the access log: {0}")]
    Log(std::io::Error),
}

struct Listener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
}

/// A bound server, not yet accepting.
pub struct Server {
    app: Arc<ArcSwap<App>>,
    listeners: Vec<Listener>,
    admin: Option<TcpListener>,
    trigger: ShutdownTrigger,
    tracker: Arc<Tracker>,
    metrics: Arc<Metrics>,
    listen_override: Option<Vec<SocketAddr>>,
}

/// Counts open connections, overall and per client address: enforces the limits and lets
/// shutdown wait for them.
struct Tracker {
    open: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    idle: Notify,
    next_id: AtomicU64,
    metrics: Arc<Metrics>,
}

struct ConnGuard {
    tracker: Arc<Tracker>,
    ip: IpAddr,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        {
            let mut per_ip = self.tracker.per_ip.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(n) = per_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    per_ip.remove(&self.ip);
                }
            }
        }
        self.tracker.metrics.connection(-1);
        if self.tracker.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.tracker.idle.notify_waiters();
        }
    }
}

impl Tracker {
    fn new(metrics: Arc<Metrics>) -> Tracker {
        Tracker { open: AtomicUsize::new(0), per_ip: Mutex::new(HashMap::new()), idle: Notify::new(), next_id: AtomicU64::new(0), metrics }
    }

    /// Admits a connection from `ip`, or `None` past a limit (the caller closes it at once:
    /// the cheapest answer to a flood).
    fn enter(self: &Arc<Self>, ip: IpAddr, limits: &crate::config::Limits) -> Option<(ConnGuard, u64)> {
        if self.open.load(Ordering::Acquire) >= limits.max_connections {
            return None;
        }
        {
            let mut per_ip = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
            let n = per_ip.entry(ip).or_insert(0);
            if *n >= limits.max_connections_per_ip {
                return None;
            }
            *n += 1;
        }
        self.open.fetch_add(1, Ordering::AcqRel);
        self.metrics.connection(1);
        Some((ConnGuard { tracker: self.clone(), ip }, self.next_id.fetch_add(1, Ordering::Relaxed)))
    }

    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.open.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Server {
    /// Compiles the configuration and binds every listener. `listen_override` (the
    /// command line's `--listen`) replaces the file's `listen`, now and on every reload.
    pub async fn bind(mut config: Config, listen_override: Option<Vec<SocketAddr>>) -> Result<Server, StartError> {
        if let Some(listen) = &listen_override {
            config.listen = listen.clone();
        }
        let log = AccessLog::start(&config.log).map_err(StartError::Log)?;
        let mut listeners = Vec::new();
        for addr in &config.listen {
            listeners.push(Listener { tcp: bind(*addr).await?, tls: None });
        }
        for t in &config.listen_tls {
            let acceptor = crate::tls::acceptor(t).map_err(|source| StartError::Tls { addr: t.addr, source })?;
            listeners.push(Listener { tcp: bind(t.addr).await?, tls: Some(acceptor) });
        }
        let admin = match config.admin {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let metrics = Arc::new(Metrics::new());
        let app = App::build(config, log, metrics.clone())?;
        let (trigger, _) = shutdown::channel();
        Ok(Server {
            app: Arc::new(ArcSwap::from_pointee(app)),
            listeners,
            admin,
            trigger,
            tracker: Arc::new(Tracker::new(metrics.clone())),
            metrics,
            listen_override,
        })
    }

    /// The bound addresses, with `true` for TLS listeners.
    pub fn local_addrs(&self) -> Vec<(SocketAddr, bool)> {
        self.listeners.iter().filter_map(|l| l.tcp.local_addr().ok().map(|a| (a, l.tls.is_some()))).collect()
    }

    /// The admin listener's address (metrics, health), if configured.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().and_then(|a| a.local_addr().ok())
    }

    /// Reads the configuration file again and, if it is valid, makes it the one new
    /// connections use; open connections finish with the old one. An invalid file is
    /// refused and the running configuration stays. Listener addresses are bound at start:
    /// changes to them need a restart (a warning says so).
    pub fn reload(&self) -> Result<(), ReloadError> {
        let current = self.app.load_full();
        let path = current.config.source.clone().ok_or(ReloadError::NoFile)?;
        let mut config = Config::load(&path)?;
        if let Some(listen) = &self.listen_override {
            config.listen = listen.clone();
        }
        let same_listeners = config.listen == current.config.listen
            && config.listen_tls.iter().map(|t| t.addr).eq(current.config.listen_tls.iter().map(|t| t.addr))
            && config.admin == current.config.admin;
        if !same_listeners {
            tracing::warn!("listen addresses changed in {}; they take effect at the next restart", path.display());
        }
        let log = if config.log == current.config.log { current.log.clone() } else { AccessLog::start(&config.log).map_err(ReloadError::Log)? };
        let app = App::build(config, log, self.metrics.clone())?;
        self.app.store(Arc::new(app));
        Ok(())
    }

    /// Accepts connections until SIGTERM or SIGINT, then stops accepting, lets in-flight
    /// requests finish within the grace period and returns. SIGHUP reloads the
    /// configuration; SIGUSR1 reopens the access log.
    pub async fn run(mut self) -> std::io::Result<()> {
        let grace = self.app.load().config.limits.shutdown_grace;
        let mut accept_tasks = Vec::new();
        for listener in std::mem::take(&mut self.listeners) {
            let ctx = AcceptCtx {
                app: self.app.clone(),
                shutdown: self.trigger.subscribe(),
                tracker: self.tracker.clone(),
            };
            accept_tasks.push(tokio::spawn(accept_loop(listener, ctx)));
        }
        if let Some(admin) = self.admin.take() {
            accept_tasks.push(tokio::spawn(crate::admin::serve(admin, self.metrics.clone(), self.trigger.subscribe())));
        }
        self.wait_for_signals().await?;
        tracing::info!("shutting down: no new connections; waiting up to {grace:?} for open requests");
        self.trigger.trigger();
        for t in accept_tasks {
            t.abort();
        }
        if tokio::time::timeout(grace, self.tracker.wait_idle()).await.is_err() {
            tracing::warn!("grace period over with {} connections open; closing them", self.tracker.open.load(Ordering::Acquire));
        }
        Ok(())
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4() } else { tokio::net::TcpSocket::new_v6() }
        .map_err(|source| StartError::Bind { addr, source })?;
    socket.set_reuseaddr(true).map_err(|source| StartError::Bind { addr, source })?;
    socket.bind(addr).map_err(|source| StartError::Bind { addr, source })?;
    socket.listen(4096).map_err(|source| StartError::Bind { addr, source })
}

impl Server {
    async fn wait_for_signals(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut hup = signal(SignalKind::hangup())?;
        let mut usr1 = signal(SignalKind::user_defined1())?;
        loop {
            tokio::select! {
                _ = term.recv() => return Ok(()),
                _ = int.recv() => return Ok(()),
                _ = hup.recv() => match self.reload() {
                    Ok(()) => tracing::info!("SIGHUP: configuration reloaded; new connections use it"),
                    Err(e) => tracing::error!("SIGHUP: reload refused, the running configuration stays: {e}"),
                },
                _ = usr1.recv() => {
                    tracing::info!("SIGUSR1: reopening the access log");
                    self.app.load().log.reopen();
                }
            }
        }
    }
}

struct AcceptCtx {
    app: Arc<ArcSwap<App>>,
    shutdown: Shutdown,
    tracker: Arc<Tracker>,
}

async fn accept_loop(listener: Listener, mut ctx: AcceptCtx) {
    loop {
        let accepted = tokio::select! {
            a = listener.tcp.accept() => a,
            () = ctx.shutdown.wait() => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // New connections use the configuration current when they are accepted.
        let app = ctx.app.load_full();
        let Some((guard, id)) = ctx.tracker.enter(client_key(peer.ip()), &app.config.limits) else {
            drop(stream);
            continue;
        };
        let local = stream.local_addr().unwrap_or(peer);
        let shutdown = ctx.shutdown.clone();
        let tls = listener.tls.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let info = ConnInfo { id, peer, local, tls: None };
            serve_connection(stream, info, tls, app, shutdown).await;
        });
    }
}

async fn serve_connection(stream: TcpStream, mut info: ConnInfo, tls: Option<TlsAcceptor>, app: Arc<App>, shutdown: Shutdown) {
    let _ = stream.set_nodelay(true);
    let h1 = app.config.limits.h1.clone();
    match tls {
        None => serve_cleartext(stream, info, app, shutdown, &h1).await,
        // Boxed so the TLS state (large) is only allocated for TLS connections.
        Some(acceptor) => Box::pin(async move {
            let Ok(Ok(tls_stream)) = tokio::time::timeout(h1.header_timeout, acceptor.accept(stream)).await else {
                return;
            };
            let (_, session) = tls_stream.get_ref();
            let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
            info.tls = Some(TlsInfo { server_name: session.server_name().map(str::to_string), alpn: alpn.clone() });
            let info = Arc::new(info);
            if alpn.as_deref() == Some(b"h2") {
                Box::pin(crate::http2::serve(tls_stream, bytes::Bytes::new(), app, info, shutdown, h2_timeouts(&h1))).await;
            } else {
                let (rd, wr) = tokio::io::split(tls_stream);
                http1::serve(rd, wr, BytesMut::new(), &H1App(app.clone()), &h1, shutdown, info).await;
            }
        })
        .await,
    }
}

/// Cleartext: HTTP/1.1, or h2c when the connection starts with the HTTP/2 preface.
async fn serve_cleartext(mut stream: TcpStream, info: ConnInfo, app: Arc<App>, mut shutdown: Shutdown, h1: &http1::H1Config) {
    let info = Arc::new(info);
    let mut buf = BytesMut::with_capacity(http1::HEAD_BUFFER);
    let deadline = tokio::time::Instant::now() + h1.header_timeout;
    while buf.len() < PREFACE.len() && PREFACE.starts_with(&buf) {
        let nothing_yet = buf.is_empty();
        let read = tokio::time::timeout_at(deadline, stream.read_buf(&mut buf));
        let read = if nothing_yet {
            // Nothing sent yet: at shutdown this connection is idle and closes at once,
            // rather than holding the process for the header timeout.
            tokio::select! {
                biased;
                r = read => r,
                () = shutdown.wait() => return,
            }
        } else {
            read.await
        };
        match read {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
    }
    if buf.starts_with(PREFACE) {
        Box::pin(crate::http2::serve(stream, buf.freeze(), app, info, shutdown, h2_timeouts(h1))).await;
    } else {
        let (rd, wr) = stream.into_split();
        http1::serve(rd, wr, buf, &H1App(app.clone()), h1, shutdown, info).await;
    }
}

/// The address a client's connections are counted under for `max_connections_per_ip`: an
/// IPv4 address as it is (also when it arrives IPv4-mapped on an IPv6 listener), an IPv6
/// address by its /64. One host or site is given a whole /64 and picks addresses from it at
/// will, so counting single IPv6 addresses would not limit anybody.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// HTTP/2 connections wait for requests as long as HTTP/1 ones do.
fn h2_timeouts(h1: &http1::H1Config) -> crate::http2::Timeouts {
    crate::http2::Timeouts { first: h1.header_timeout, idle: h1.idle_timeout, send: h1.send_timeout }
}

/// The application as the HTTP/1 connection sees it.
struct H1App(Arc<App>);

impl H1Service for H1App {
    fn call(&self, req: Request<RequestBody>) -> impl std::future::Future<Output = Response<Body>> + Send {
        // Not boxed on its own: it lives inside the exchange's future, which the connection
        // boxes per request, so an idle keep-alive connection holds neither.
        self.0.serve(req)
    }

    fn reject(&self, err: &RequestError) -> Response<Body> {
        self.0.reject(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue8_per_client_limit_counts_ipv6_by_64_and_mapped_ipv4_as_ipv4() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:ffff:1:2:3"), "one /64 is one client");
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"), "another /64 is another client");
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
        assert_ne!(key("192.0.2.7"), key("192.0.2.8"));
    }

    #[test]
    fn issue8_per_client_limit_refuses_the_next_connection_from_the_same_64() {
        let limits = crate::config::Limits { max_connections_per_ip: 2, ..Default::default() };
        let tracker = Arc::new(Tracker::new(Arc::new(Metrics::new())));
        let a = tracker.enter(client_key("2001:db8::1".parse().unwrap()), &limits);
        let b = tracker.enter(client_key("2001:db8::2".parse().unwrap()), &limits);
        assert!(a.is_some() && b.is_some());
        assert!(tracker.enter(client_key("2001:db8::3".parse().unwrap()), &limits).is_none(), "a third address of the /64 is refused");
        assert!(tracker.enter(client_key("2001:db8:0:1::3".parse().unwrap()), &limits).is_some(), "another /64 is not");
        drop(a);
        assert!(tracker.enter(client_key("2001:db8::3".parse().unwrap()), &limits).is_some(), "slots come back");
    }
}
