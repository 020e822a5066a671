//! Feeds arbitrary text to `Config::parse`, as `methodical config check` and a reload do with
//! an operator's file.
//!
//! Besides "no panic", it checks that every refusal carries a message and, when it has a
//! position, one inside the text; that an accepted configuration has what the server needs
//! to start (a listener, routes with `/`-prefixes, positive limits); and that parsing is
//! deterministic.
//!
//! Relative paths resolve against a folder made once per process holding `site/` and `dav/`,
//! so seeds that name them parse. Listener addresses that are not IP literals are looked
//! up with the system resolver: `bench/fuzz.sh` runs this target in an empty network
//! namespace so such look-ups fail at once and nothing leaves the machine.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use methodical_server::Config;

fn base() -> &'static PathBuf {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("methodical-fuzz-config-{}", std::process::id()));
        for sub in ["site", "dav"] {
            std::fs::create_dir_all(dir.join(sub)).expect("create the fuzz base folder");
        }
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let first = Config::parse(&text, base());
    match &first {
        Ok(config) => {
            assert!(!config.listen.is_empty() || !config.listen_tls.is_empty(), "accepted without a listener");
            assert!(!config.routes.is_empty(), "accepted without routes");
            for r in &config.routes {
                assert!(r.prefix.starts_with('/'), "prefix {:?} without a leading /", r.prefix);
            }
            assert!(config.limits.max_connections > 0 && config.limits.max_connections_per_ip > 0);
            assert!(config.limits.h1.limits.max_head >= 1024);
            assert!(config.limits.h1.limits.max_target >= 8000);
        }
        Err(e) => {
            assert!(!e.message.trim().is_empty(), "an error without a message: {e:?}");
            assert!(!e.to_string().trim().is_empty());
            if let Some((line, column)) = e.position {
                let lines = text.split('\n').count();
                assert!(line >= 1 && column >= 1, "position {line}:{column} is not 1-based");
                assert!(line <= lines, "line {line} beyond the {lines} lines of the text");
            }
        }
    }
    let second = Config::parse(&text, base());
    assert_eq!(format!("{first:?}"), format!("{second:?}"), "parsing the same text twice differs");
});
