//! TLS listeners: rustls with the ring provider, ALPN `h2` then `http/1.1`, and the
//! certificate picked by the server name the client asks for (SNI).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

use crate::config::TlsListener;

/// Why a TLS listener cannot start.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// No certificate in the file.
    #[error("{0} holds no PEM certificate")]
    NoCertificate(String),
    /// No key in the file.
    #[error("{0} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    NoKey(String),
    /// rustls refused the pair.
    #[error("the certificate and key do not work together: {0}")]
    Rustls(#[from] rustls::Error),
}

fn open(path: &Path) -> Result<BufReader<File>, TlsError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|source| TlsError::Read { path: path.display().to_string(), source })
}

/// Loads a certificate chain and its key.
fn certified_key(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
    let certs = rustls_pemfile::certs(&mut open(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Read { path: cert.display().to_string(), source })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert.display().to_string()));
    }
    let key_der = rustls_pemfile::private_key(&mut open(key)?)
        .map_err(|source| TlsError::Read { path: key.display().to_string(), source })?
        .ok_or_else(|| TlsError::NoKey(key.display().to_string()))?;
    let signing = provider.key_provider.load_private_key(key_der)?;
    let ck = CertifiedKey::new(certs, signing);
    ck.keys_match()?;
    Ok(Arc::new(ck))
}

/// Picks a certificate by SNI: an exact name, then a `*.` wildcard, then the listener's
/// default certificate.
#[derive(Debug)]
struct SniResolver {
    exact: HashMap<String, Arc<CertifiedKey>>,
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(name) = hello.server_name() else { return Some(self.default.clone()) };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(k) = self.exact.get(&name) {
            return Some(k.clone());
        }
        if let Some((_, parent)) = name.split_once('.') {
            if let Some(k) = self.wildcard.get(parent) {
                return Some(k.clone());
            }
        }
        Some(self.default.clone())
    }
}

/// The acceptor of a TLS listener.
pub fn acceptor(listener: &TlsListener) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut resolver = SniResolver {
        exact: HashMap::new(),
        wildcard: HashMap::new(),
        default: certified_key(&listener.cert, &listener.key, &provider)?,
    };
    for s in &listener.sni {
        let key = certified_key(&s.cert, &s.key, &provider)?;
        match s.host.strip_prefix("*.") {
            Some(parent) => resolver.wildcard.insert(parent.to_string(), key),
            None => resolver.exact.insert(s.host.clone(), key),
        };
    }
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
