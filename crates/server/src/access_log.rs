//! The access log: one line per request, combined (as nginx and Apache write it) or JSON.
//!
//! Lines are appended to an in-memory buffer under a short lock and written by a background
//! thread every 100 ms, so a request never waits for a `write` system call.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::config::{LogConfig, LogFormat};

/// One request, as logged.
#[derive(Debug)]
pub struct Record<'a> {
    /// Client address.
    pub peer: Option<SocketAddr>,
    /// Authenticated user.
    pub user: Option<&'a str>,
    /// Method as sent.
    pub method: &'a str,
    /// Request-target as sent.
    pub target: &'a str,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: &'a str,
    /// Response status.
    pub status: u16,
    /// Content octets, when known.
    pub bytes: Option<u64>,
    /// Referer.
    pub referer: Option<&'a str>,
    /// User-Agent.
    pub user_agent: Option<&'a str>,
    /// The route prefix that answered.
    pub route: Option<&'a str>,
    /// Time to the response head.
    pub duration: Duration,
}

struct Shared {
    buffer: Mutex<Vec<u8>>,
    reopen: AtomicBool,
}

/// The access log sink.
#[derive(Clone)]
pub struct AccessLog {
    format: LogFormat,
    shared: Arc<Shared>,
}

impl AccessLog {
    /// Starts the writer thread (none when the format is `off`).
    pub fn start(config: &LogConfig) -> std::io::Result<AccessLog> {
        let shared = Arc::new(Shared { buffer: Mutex::new(Vec::with_capacity(64 * 1024)), reopen: AtomicBool::new(false) });
        if config.format != LogFormat::Off {
            let mut out = open(&config.file)?;
            let file = config.file.clone();
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new().name("access-log".into()).spawn(move || loop {
                std::thread::sleep(Duration::from_millis(100));
                let Some(shared) = weak.upgrade() else { return };
                let pending = std::mem::take(&mut *shared.buffer.lock().unwrap_or_else(|e| e.into_inner()));
                if shared.reopen.swap(false, Ordering::Relaxed) {
                    match open(&file) {
                        Ok(o) => out = o,
                        Err(e) => tracing::error!("cannot reopen the access log: {e}"),
                    }
                }
                if !pending.is_empty() {
                    let _ = out.write_all(&pending);
                    let _ = out.flush();
                }
            })?;
        }
        Ok(AccessLog { format: config.format, shared })
    }

    /// Reopens the log file before the next write (SIGUSR1, for logrotate).
    pub fn reopen(&self) {
        self.shared.reopen.store(true, Ordering::Relaxed);
    }

    /// Logs one request.
    pub fn log(&self, r: &Record<'_>) {
        let line = match self.format {
            LogFormat::Off => return,
            LogFormat::Combined => combined(r),
            LogFormat::Json => json(r),
        };
        let mut buf = self.shared.buffer.lock().unwrap_or_else(|e| e.into_inner());
        // Bound memory if the writer is stuck: drop lines rather than grow forever.
        if buf.len() < 64 * 1024 * 1024 {
            buf.extend_from_slice(line.as_bytes());
        }
    }
}

fn open(file: &Option<PathBuf>) -> std::io::Result<Box<dyn Write + Send>> {
    Ok(match file {
        None => Box::new(std::io::stdout()),
        Some(p) => Box::new(std::fs::OpenOptions::new().create(true).append(true).open(p)?),
    })
}

/// Escapes a value for a double-quoted field of the combined format.
fn quoted(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn combined(r: &Record<'_>) -> String {
    let peer = r.peer.map(|p| p.ip().to_string()).unwrap_or_else(|| "-".into());
    let bytes = r.bytes.map(|b| b.to_string()).unwrap_or_else(|| "-".into());
    format!(
        "{peer} - {} [{}] \"{} {} {}\" {} {bytes} \"{}\" \"{}\" rt={:.6} route=\"{}\"\n",
        r.user.map(quoted).unwrap_or_else(|| "-".into()),
        clf_time(SystemTime::now()),
        quoted(r.method),
        quoted(r.target),
        r.version,
        r.status,
        quoted(r.referer.unwrap_or("-")),
        quoted(r.user_agent.unwrap_or("-")),
        r.duration.as_secs_f64(),
        quoted(r.route.unwrap_or("-")),
    )
}

fn json(r: &Record<'_>) -> String {
    let mut s = serde_json::json!({
        "time": httpdate::fmt_http_date(SystemTime::now()),
        "remote_addr": r.peer.map(|p| p.ip().to_string()),
        "user": r.user,
        "method": r.method,
        "target": r.target,
        "protocol": r.version,
        "status": r.status,
        "bytes": r.bytes,
        "referer": r.referer,
        "user_agent": r.user_agent,
        "route": r.route,
        "duration_ms": r.duration.as_secs_f64() * 1000.0,
    })
    .to_string();
    s.push('\n');
    s
}

/// `10/Oct/2000:13:55:36 +0000` (UTC).
fn clf_time(t: SystemTime) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (year, month, day, hh, mm, ss) = crate::date::utc_fields(t);
    format!("{day:02}/{}/{year}:{hh:02}:{mm:02}:{ss:02} +0000", MONTHS[(month - 1) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn clf_dates() {
        assert_eq!(clf_time(UNIX_EPOCH + Duration::from_secs(971_186_136)), "10/Oct/2000:13:55:36 +0000");
        assert_eq!(clf_time(UNIX_EPOCH + Duration::from_secs(1_798_070_400)), "24/Dec/2026:00:00:00 +0000");
    }

    #[test]
    fn combined_line_escapes() {
        let r = Record {
            peer: Some("127.0.0.1:5".parse().unwrap()),
            user: None,
            method: "GET",
            target: "/a\"b",
            version: "HTTP/1.1",
            status: 200,
            bytes: Some(5),
            referer: None,
            user_agent: Some("curl/8"),
            route: Some("/"),
            duration: Duration::from_millis(2),
        };
        let line = combined(&r);
        assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
        assert!(line.contains("\"GET /a\\\"b HTTP/1.1\" 200 5 \"-\" \"curl/8\" rt=0.002000 route=\"/\""), "{line}");
        let j: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(j["status"], 200);
        assert_eq!(j["target"], "/a\"b");
    }
}
