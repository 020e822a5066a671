//! Starts nginx or Apache httpd from the configs in `tests/peers/` on a free
//! loopback port, as a foreground process owned by the test (killed on drop).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running peer server.
pub struct Peer {
    /// `http://127.0.0.1:port` (`https://` for [`Kind::NginxH2`])
    pub url: String,
    child: Child,
    /// Keeps the prefix (pid, logs, temp paths, www) alive until the peer stops.
    pub dir: tempfile::TempDir,
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Graceful stop first (Apache's children follow their parent), then force.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Which peer.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// /usr/sbin/nginx with tests/peers/nginx.conf
    Nginx,
    /// /usr/sbin/apache2 with tests/peers/apache2.conf
    Apache,
    /// /usr/sbin/nginx with tests/peers/nginx-h2.conf (TLS, ALPN h2, self-signed).
    NginxH2,
    /// /usr/sbin/apache2 with tests/peers/apache2-dav.conf (mod_dav on /dav/).
    ApacheDav,
}

/// The repository root, from this crate's tests or from the root package's (which include
/// this file with `#[path]`).
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if manifest.join("tests/peers").is_dir() {
        manifest.to_path_buf()
    } else {
        manifest.join("../..")
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The binary of a peer, if installed.
pub fn binary(kind: Kind) -> Option<PathBuf> {
    let p = PathBuf::from(match kind {
        Kind::Nginx | Kind::NginxH2 => "/usr/sbin/nginx",
        Kind::Apache | Kind::ApacheDav => "/usr/sbin/apache2",
    });
    p.exists().then_some(p)
}

/// Starts the peer serving `www/a.txt` ("hello\n") and `www/index.html`.
pub fn start(kind: Kind) -> Peer {
    let bin = binary(kind).expect("peer binary is installed");
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().to_path_buf();
    let www = prefix.join("www");
    std::fs::create_dir_all(&www).expect("www");
    std::fs::write(www.join("a.txt"), "hello\n").expect("a.txt");
    std::fs::write(www.join("index.html"), "<p>hello</p>\n").expect("index.html");
    let port = free_port();
    let (template, name) = match kind {
        Kind::Nginx => ("nginx.conf", "nginx.conf"),
        Kind::NginxH2 => ("nginx-h2.conf", "nginx.conf"),
        Kind::Apache => ("apache2.conf", "apache2.conf"),
        Kind::ApacheDav => ("apache2.conf", "apache2.conf"),
    };
    let scheme = match kind {
        Kind::NginxH2 => {
            let cert =
                rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
            std::fs::write(prefix.join("cert.pem"), cert.cert.pem()).expect("cert.pem");
            std::fs::write(prefix.join("key.pem"), cert.key_pair.serialize_pem()).expect("key.pem");
            "https"
        }
        Kind::Nginx | Kind::Apache | Kind::ApacheDav => "http",
    };
    let text = std::fs::read_to_string(repo_root().join("tests/peers").join(template))
        .expect("peer config");
    let (user, group) = if is_root() {
        ("nobody", "nogroup")
    } else {
        ("#-1", "#-1")
    };
    let substitute = |text: &str| {
        text.replace("@PREFIX@", &prefix.to_string_lossy())
            .replace("@PORT@", &port.to_string())
            .replace("@USER@", user)
            .replace("@GROUP@", group)
    };
    let mut conf_path = prefix.join(name);
    std::fs::write(&conf_path, substitute(&text)).expect("write config");
    if let Kind::ApacheDav = kind {
        let dav = std::fs::read_to_string(repo_root().join("tests/peers/apache2-dav.conf"))
            .expect("dav config");
        conf_path = prefix.join("apache2-dav.conf");
        std::fs::write(&conf_path, substitute(&dav)).expect("write dav config");
        for d in ["www/dav", "davlock"] {
            std::fs::create_dir_all(prefix.join(d)).expect("dav dirs");
            std::fs::write(prefix.join("www/dav/f.txt"), "f\n").expect("dav file");
            if is_root() {
                let _ = Command::new("chown")
                    .args(["-R", user])
                    .arg(prefix.join(d))
                    .status();
            }
        }
    }
    // Apache's unprivileged children must be able to read the document root.
    let _ = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(&prefix)
        .status();
    let out = std::fs::File::create(prefix.join("stdout.log")).expect("log");
    let err = out.try_clone().expect("log");
    let mut cmd = Command::new(&bin);
    match kind {
        Kind::Nginx | Kind::NginxH2 => {
            cmd.arg("-p")
                .arg(&prefix)
                .arg("-c")
                .arg(&conf_path)
                .arg("-e")
                .arg(prefix.join("error.log"));
        }
        Kind::Apache | Kind::ApacheDav => {
            cmd.arg("-f").arg(&conf_path).arg("-DFOREGROUND");
        }
    }
    let child = cmd.stdout(out).stderr(err).spawn().expect("spawn peer");
    let peer = Peer {
        url: format!("{scheme}://127.0.0.1:{port}"),
        child,
        dir,
    };
    let until = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "{kind:?} did not start; its log:\n{}\n{}",
            std::fs::read_to_string(prefix.join("stdout.log")).unwrap_or_default(),
            std::fs::read_to_string(prefix.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    peer
}
