//! HTTP Basic authentication against `[[user]]` password hashes (argon2id or bcrypt), and the
//! read / write rules of a route.
//!
//! Verifying an argon2 hash costs tens of milliseconds by design, so a successful check is
//! remembered for a few minutes under a keyed BLAKE2 digest of the credentials; neither the
//! password nor the header is kept. Unknown users cost one verification against a dummy
//! hash, so timing does not tell which names exist.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use blake2::digest::{KeyInit, Mac};
use http::header::AUTHORIZATION;
use http::HeaderMap;

use crate::config::{User, Who};

/// How long a verified credential is trusted without checking the hash again.
const REMEMBER: Duration = Duration::from_secs(300);
/// Most remembered credentials.
const REMEMBER_MAX: usize = 4096;

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
        })
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
