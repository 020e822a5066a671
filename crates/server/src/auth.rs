//! HTTP Basic authentication against `[[user]]` password hashes (argon2id or bcrypt), and the
//! read / write rules of a route.
//!
//! Verifying an argon2 hash costs tens of milliseconds by design, so a successful check is
//! remembered for a few minutes under a keyed BLAKE2 digest of the credentials; neither the
//! password nor the header is kept. Unknown users cost one verification against a dummy
//! hash, so timing does not tell which names exist.
//!
//! Password guessing is limited per client address by [`LoginLimiter`]: after
//! `[limits] auth_failures` failed logins within `auth_lockout`, requests with credentials
//! from that address get `429` + `Retry-After` without any hash being verified.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use blake2::digest::{KeyInit, Mac};
use http::header::AUTHORIZATION;
use http::HeaderMap;

use crate::config::{AuthLimits, User, Who};

/// How long a verified credential is trusted without checking the hash again.
const REMEMBER: Duration = Duration::from_secs(300);
/// Most remembered credentials.
const REMEMBER_MAX: usize = 4096;
/// Most client addresses whose failed logins are tracked at once (about 100 octets each).
pub const MAX_TRACKED_ADDRESSES: usize = 16_384;

/// The result of looking at a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization: Basic`.
    Absent,
    /// A known user with the right password.
    Valid(String),
    /// Malformed, unknown user, or wrong password.
    Invalid,
}

/// Who may read and write on a route.
#[derive(Debug, Clone)]
pub struct AccessRule {
    /// The Basic realm named in `WWW-Authenticate`.
    pub realm: String,
    /// Safe methods.
    pub read: Who,
    /// Everything else.
    pub write: Who,
}

/// Checks Basic credentials.
pub struct Authenticator {
    users: HashMap<String, String>,
    dummy: String,
    key: [u8; 32],
    remembered: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    limiter: LoginLimiter,
}

impl Authenticator {
    /// An authenticator for these users.
    pub fn new(users: &[User]) -> Arc<Authenticator> {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Arc::new(Authenticator {
            users: users.iter().map(|u| (u.name.clone(), u.password_hash.clone())).collect(),
            // The hash of a random string: verifying against it costs what a real check costs.
            dummy: if users.is_empty() { String::new() } else { hash_password(&uuid::Uuid::new_v4().to_string()).unwrap_or_default() },
            key,
            remembered: Mutex::new(HashMap::new()),
            limiter: LoginLimiter::new(MAX_TRACKED_ADDRESSES),
        })
    }

    /// The failed-login limiter shared by every route of this configuration.
    pub fn limiter(&self) -> &LoginLimiter {
        &self.limiter
    }

    /// Are any users configured?
    pub fn has_users(&self) -> bool {
        !self.users.is_empty()
    }

    /// Checks the request's `Authorization: Basic` credentials.
    pub async fn check(self: &Arc<Self>, headers: &HeaderMap) -> Credentials {
        let Some(value) = headers.get(AUTHORIZATION) else { return Credentials::Absent };
        let Some((user, password)) = parse_basic(value.as_bytes()) else { return Credentials::Invalid };
        let digest = self.digest(value.as_bytes());
        if let Some(name) = self.recall(&digest) {
            return Credentials::Valid(name);
        }
        let me = self.clone();
        let name = user.clone();
        let ok = tokio::task::spawn_blocking(move || me.verify(&name, &password)).await.unwrap_or(false);
        if ok {
            self.remember(digest, user.clone());
            Credentials::Valid(user)
        } else {
            Credentials::Invalid
        }
    }

    fn digest(&self, credentials: &[u8]) -> [u8; 32] {
        let mut mac = <blake2::Blake2bMac<blake2::digest::consts::U32> as KeyInit>::new_from_slice(&self.key)
            .expect("a 32-octet key is valid for BLAKE2b");
        mac.update(credentials);
        mac.finalize().into_bytes().into()
    }

    fn recall(&self, digest: &[u8; 32]) -> Option<String> {
        let map = self.remembered.lock().unwrap_or_else(|e| e.into_inner());
        map.get(digest).filter(|(_, at)| at.elapsed() < REMEMBER).map(|(u, _)| u.clone())
    }

    fn remember(&self, digest: [u8; 32], user: String) {
        let mut map = self.remembered.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= REMEMBER_MAX {
            map.retain(|_, (_, at)| at.elapsed() < REMEMBER);
            if map.len() >= REMEMBER_MAX {
                map.clear();
            }
        }
        map.insert(digest, (user, Instant::now()));
    }

    /// Constant-time verification (both argon2 and bcrypt compare in constant time).
    fn verify(&self, user: &str, password: &str) -> bool {
        match self.users.get(user) {
            Some(hash) => verify_hash(hash, password),
            None => {
                let _ = verify_hash(&self.dummy, password);
                false
            }
        }
    }
}

/// Failed logins per client address, in bounded memory.
///
/// An address is an IPv4 address or an IPv6 /64 network (one customer's allocation, which a
/// guesser could otherwise walk through); IPv4-mapped IPv6 addresses count as IPv4. A
/// failure starts a window of `lockout`; the failure that reaches `failures` within it locks
/// the address out for `lockout` from then. Failures while locked out are not counted (they
/// are refused before any check) and do not extend the lockout, so `Retry-After` stays true.
/// At most `capacity` addresses are tracked: when full, entries whose window and lockout are
/// over go first, then the counting (not locked) entry that would end soonest, and a lockout
/// only when every tracked address is locked out; so a flood of addresses each failing
/// once cannot lift a lockout.
#[derive(Debug)]
pub struct LoginLimiter {
    tracked: Mutex<HashMap<IpAddr, Failures>>,
    capacity: usize,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

impl Failures {
    /// When this entry stops mattering.
    fn ends(&self, lockout: Duration) -> Instant {
        self.locked_until.unwrap_or(self.since + lockout)
    }
}

impl LoginLimiter {
    /// A limiter tracking at most `capacity` addresses (at least one).
    pub fn new(capacity: usize) -> LoginLimiter {
        LoginLimiter { tracked: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// How long `ip` is still locked out at `now`; `None` when it may try.
    pub fn retry_after(&self, ip: IpAddr, limits: &AuthLimits, now: Instant) -> Option<Duration> {
        if limits.failures == 0 {
            return None;
        }
        let map = self.tracked.lock().unwrap_or_else(|e| e.into_inner());
        let until = map.get(&key(ip))?.locked_until?;
        (until > now).then(|| until - now)
    }

    /// Counts a failed login from `ip` at `now`; returns whether `ip` is now locked out.
    pub fn record_failure(&self, ip: IpAddr, limits: &AuthLimits, now: Instant) -> bool {
        if limits.failures == 0 {
            return false;
        }
        let key = key(ip);
        let mut map = self.tracked.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(&key) && map.len() >= self.capacity {
            make_room(&mut map, self.capacity, limits.lockout, now);
        }
        let entry = map.entry(key).or_insert(Failures { count: 0, since: now, locked_until: None });
        if entry.locked_until.is_some_and(|until| until > now) {
            return true;
        }
        if entry.ends(limits.lockout) <= now {
            *entry = Failures { count: 0, since: now, locked_until: None };
        }
        entry.count = entry.count.saturating_add(1);
        if entry.count >= limits.failures {
            entry.locked_until = Some(now + limits.lockout);
        }
        entry.locked_until.is_some()
    }

    /// Addresses tracked right now.
    pub fn tracked(&self) -> usize {
        self.tracked.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Drops entries that no longer matter; if none did, the counting entry that ends soonest,
/// and a lockout only when nothing else is left.
fn make_room(map: &mut HashMap<IpAddr, Failures>, capacity: usize, lockout: Duration, now: Instant) {
    map.retain(|_, f| f.ends(lockout) > now);
    while map.len() >= capacity {
        let victim = map.iter().min_by_key(|(_, f)| (f.locked_until.is_some(), f.ends(lockout))).map(|(k, _)| *k);
        let Some(soonest) = victim else { return };
        map.remove(&soonest);
    }
}

/// The unit an address is counted in: IPv4 address, or IPv6 /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Verifies `password` against an argon2 or bcrypt hash.
pub fn verify_hash(hash: &str, password: &str) -> bool {
    if hash.starts_with("$argon2") {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        match PasswordHash::new(hash) {
            Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    } else {
        bcrypt::verify(password, hash).unwrap_or(false)
    }
}

/// A new argon2id hash of `password` (for `methodical hash-password`).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt_bytes = *uuid::Uuid::new_v4().as_bytes();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// `Basic base64(user:password)` → (user, password).
fn parse_basic(value: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(value).ok()?.trim();
    let (scheme, token) = text.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = decode_base64(token.trim())?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Standard base64 with padding (RFC 4648 §4), the only form Basic uses.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = s.as_bytes();
    let quads = bytes.chunks_exact(4);
    if !quads.remainder().is_empty() {
        return None;
    }
    let last = bytes.len() / 4;
    let mut out = Vec::with_capacity(last * 3);
    for (i, chunk) in quads.enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        // Padding only ends the encoding; "YQ==YQ==" is not one value.
        if pad > 2 || (pad > 0 && i + 1 != last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = n << 6 | val(c)?;
        }
        n <<= 6 * pad as u32;
        let b = n.to_be_bytes();
        out.extend_from_slice(&b[1..4 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AuthLimits = AuthLimits { failures: 3, lockout: Duration::from_secs(60) };

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn issue8_item7_lockout_after_the_limit_for_the_lockout_time() {
        let l = LoginLimiter::new(16);
        let t0 = Instant::now();
        let a = ip("192.0.2.1");
        assert!(!l.record_failure(a, &LIMITS, t0));
        assert!(!l.record_failure(a, &LIMITS, t0 + Duration::from_secs(1)));
        assert_eq!(l.retry_after(a, &LIMITS, t0 + Duration::from_secs(1)), None, "2 of 3 failures: still allowed");
        assert!(l.record_failure(a, &LIMITS, t0 + Duration::from_secs(2)), "the 3rd failure locks out");
        assert_eq!(l.retry_after(a, &LIMITS, t0 + Duration::from_secs(2)), Some(Duration::from_secs(60)));
        assert_eq!(l.retry_after(a, &LIMITS, t0 + Duration::from_secs(32)), Some(Duration::from_secs(30)));
        assert_eq!(l.retry_after(ip("192.0.2.2"), &LIMITS, t0 + Duration::from_secs(3)), None, "another address is not affected");
        // A failure while locked out does not extend the lockout.
        assert!(l.record_failure(a, &LIMITS, t0 + Duration::from_secs(40)));
        assert_eq!(l.retry_after(a, &LIMITS, t0 + Duration::from_secs(40)), Some(Duration::from_secs(22)));
        assert_eq!(l.retry_after(a, &LIMITS, t0 + Duration::from_secs(62)), None, "the lockout ends");
        // After it ends, counting starts again from zero.
        assert!(!l.record_failure(a, &LIMITS, t0 + Duration::from_secs(63)));
        assert_eq!(l.retry_after(a, &LIMITS, t0 + Duration::from_secs(63)), None);
    }

    #[test]
    fn issue8_item7_failures_outside_the_window_do_not_add_up() {
        let l = LoginLimiter::new(16);
        let t0 = Instant::now();
        let a = ip("192.0.2.1");
        l.record_failure(a, &LIMITS, t0);
        l.record_failure(a, &LIMITS, t0 + Duration::from_secs(30));
        assert!(!l.record_failure(a, &LIMITS, t0 + Duration::from_secs(61)), "the first two are over 60 s old");
        assert!(!l.record_failure(a, &LIMITS, t0 + Duration::from_secs(62)));
        assert!(l.record_failure(a, &LIMITS, t0 + Duration::from_secs(63)));
    }

    #[test]
    fn issue8_item7_ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = LoginLimiter::new(16);
        let t0 = Instant::now();
        l.record_failure(ip("2001:db8:1:2::1"), &LIMITS, t0);
        l.record_failure(ip("2001:db8:1:2::ffff"), &LIMITS, t0);
        l.record_failure(ip("2001:db8:1:2:a:b:c:d"), &LIMITS, t0);
        assert!(l.retry_after(ip("2001:db8:1:2::42"), &LIMITS, t0).is_some(), "one /64 is one client");
        assert!(l.retry_after(ip("2001:db8:1:3::1"), &LIMITS, t0).is_none(), "the next /64 is another");
        for _ in 0..3 {
            l.record_failure(ip("::ffff:192.0.2.9"), &LIMITS, t0);
        }
        assert!(l.retry_after(ip("192.0.2.9"), &LIMITS, t0).is_some());
    }

    #[test]
    fn issue8_item7_zero_failures_turns_the_limit_off() {
        let l = LoginLimiter::new(16);
        let off = AuthLimits { failures: 0, lockout: Duration::from_secs(60) };
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(!l.record_failure(ip("192.0.2.1"), &off, t0));
        }
        assert_eq!(l.retry_after(ip("192.0.2.1"), &off, t0), None);
        assert_eq!(l.tracked(), 0);
    }

    #[test]
    fn issue8_item7_memory_is_bounded_and_lockouts_outlive_stale_entries() {
        let l = LoginLimiter::new(4);
        let t0 = Instant::now();
        let locked = ip("192.0.2.1");
        for _ in 0..3 {
            l.record_failure(locked, &LIMITS, t0);
        }
        for i in 0..1000u32 {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            l.record_failure(a, &LIMITS, t0 + Duration::from_millis(u64::from(i)));
            assert!(l.tracked() <= 4);
        }
        assert!(l.retry_after(locked, &LIMITS, t0 + Duration::from_secs(2)).is_some(), "counting entries go before a lockout");
        // Once windows and lockouts are over, their entries are what makes room.
        l.record_failure(ip("198.51.100.7"), &LIMITS, t0 + Duration::from_secs(61));
        assert_eq!(l.tracked(), 1, "every other entry had ended");
        // When every tracked address is locked out, the lockout ending soonest makes room.
        let full = LoginLimiter::new(2);
        let once = AuthLimits { failures: 1, lockout: Duration::from_secs(60) };
        full.record_failure(ip("192.0.2.1"), &once, t0);
        full.record_failure(ip("192.0.2.2"), &once, t0 + Duration::from_secs(1));
        full.record_failure(ip("192.0.2.3"), &once, t0 + Duration::from_secs(2));
        assert_eq!(full.tracked(), 2);
        assert!(full.retry_after(ip("192.0.2.1"), &once, t0 + Duration::from_secs(3)).is_none());
        assert!(full.retry_after(ip("192.0.2.3"), &once, t0 + Duration::from_secs(3)).is_some());
    }

    #[test]
    fn base64_and_basic() {
        assert_eq!(decode_base64("YWxpY2U6c2VjcmV0").unwrap(), b"alice:secret");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
        assert!(decode_base64("YQ=").is_none());
        assert!(decode_base64("Y!==").is_none());
        assert!(decode_base64("YQ==YQ==").is_none(), "padding in the middle");
        assert!(decode_base64("YQ").is_none(), "padding is required");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(parse_basic(b"Basic YWxpY2U6c2VjcmV0"), Some(("alice".into(), "secret".into())));
        assert_eq!(parse_basic(b"basic YWxpY2U6OnA="), Some(("alice".into(), ":p".into())));
        assert_eq!(parse_basic(b"Bearer x"), None);
    }

    #[tokio::test]
    async fn argon2_and_bcrypt_hashes_verify() {
        let argon = hash_password("s3cret").unwrap();
        assert!(argon.starts_with("$argon2id$"));
        assert!(crate::config::known_hash_format(&argon));
        let bcrypt = bcrypt::hash("hunter2", 4).unwrap();
        let users = vec![User { name: "alice".into(), password_hash: argon }, User { name: "bob".into(), password_hash: bcrypt }];
        let auth = Authenticator::new(&users);
        let mut h = HeaderMap::new();
        let basic = |u: &str, p: &str| {
            let raw = format!("{u}:{p}");
            // Test-only encoder.
            const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut out = String::new();
            for c in raw.as_bytes().chunks(3) {
                let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
                for i in 0..4 {
                    if i <= c.len() {
                        out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        out.push('=');
                    }
                }
            }
            format!("Basic {out}")
        };
        h.insert(AUTHORIZATION, basic("alice", "s3cret").parse().unwrap());
        assert_eq!(auth.check(&h).await, Credentials::Valid("alice".into()));
        assert_eq!(auth.check(&h).await, Credentials::Valid("alice".into()), "remembered");
        h.insert(AUTHORIZATION, basic("alice", "wrong").parse().unwrap());
        assert_eq!(auth.check(&h).await, Credentials::Invalid);
        h.insert(AUTHORIZATION, basic("bob", "hunter2").parse().unwrap());
        assert_eq!(auth.check(&h).await, Credentials::Valid("bob".into()));
        h.insert(AUTHORIZATION, basic("mallory", "x").parse().unwrap());
        assert_eq!(auth.check(&h).await, Credentials::Invalid);
        assert_eq!(auth.check(&HeaderMap::new()).await, Credentials::Absent);
    }
}
