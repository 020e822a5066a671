//! TLS client configuration: webpki roots by default, `--insecure` for test servers.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;

use crate::error::ClientError;

/// How to verify the server's certificate.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    insecure: bool,
    provider: Arc<CryptoProvider>,
}

impl TlsSettings {
    /// Verification against the Mozilla root store (webpki-roots), or none at all
    /// when `insecure` is set (self-signed test servers).
    pub fn new(insecure: bool) -> TlsSettings {
        TlsSettings {
            insecure,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    fn config(&self, alpn: &[&[u8]]) -> Result<rustls::ClientConfig, ClientError> {
        let builder = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Tls {
                host: String::new(),
                reason: e.to_string(),
            })?;
        let mut config = if self.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                    self.provider.clone(),
                )))
                .with_no_client_auth()
        } else {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }

    /// Runs the handshake on an established TCP connection.
    pub(crate) async fn handshake(
        &self,
        host: &str,
        alpn: &[&[u8]],
        tcp: TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ClientError> {
        let tls_err = |reason: String| ClientError::Tls {
            host: host.to_string(),
            reason,
        };
        let config = self.config(alpn)?;
        let name = ServerName::try_from(host.to_string()).map_err(|e| tls_err(e.to_string()))?;
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| tls_err(e.to_string()))
    }
}

/// Accepts every certificate but still checks handshake signatures, so the
/// connection is at least a well-formed TLS session. Only used with `--insecure`.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
