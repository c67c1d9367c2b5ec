//! HTTPS for the HTTP API (matchbox's `-web-ssl`): the certificate chain
//! and key from two PEM files, read again when either changes on disk, so
//! that a renewed certificate is served without a restart. TLS 1.2 and
//! 1.3, HTTP/2 and HTTP/1.1 offered through ALPN, no client certificates.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The TLS side of a listener, as [`crate::serve`] takes it.
pub use rustls::ServerConfig;

/// Why the certificate or key cannot be used; each names the file and the
/// flag that points at it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "cannot read the HTTPS {what} {path}: {source}; create it (kindling certs init DIR --web-san NAMES writes one) or point --{flag} at yours"
    )]
    Read {
        what: &'static str,
        flag: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the HTTPS certificate file {path} holds no PEM CERTIFICATE block; point --web-cert-file at a PEM certificate chain"
    )]
    NoCertificate { path: PathBuf },
    #[error(
        "the HTTPS key file {path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1), or it cannot be read: {detail}; point --web-key-file at the certificate's unencrypted key"
    )]
    NoKey { path: PathBuf, detail: String },
    #[error("the HTTPS key {path} is of a kind this server cannot sign with: {detail}")]
    UnsupportedKey { path: PathBuf, detail: String },
    #[error(
        "the HTTPS key {key} does not belong to the certificate {cert} (its public key differs); give the key the certificate was issued for"
    )]
    Mismatch { cert: PathBuf, key: PathBuf },
}

/// Reads and checks a certificate chain and its key.
pub fn load_certified_key(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let cert_pem = std::fs::read(cert).map_err(|source| TlsError::Read {
        what: "certificate",
        flag: "web-cert-file",
        path: cert.to_path_buf(),
        source,
    })?;
    let key_pem = std::fs::read(key).map_err(|source| TlsError::Read {
        what: "key",
        flag: "web-key-file",
        path: key.to_path_buf(),
        source,
    })?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .filter_map(Result::ok)
        .collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::NoKey {
        path: key.to_path_buf(),
        detail: e.to_string(),
    })?;
    let signing = provider::sign::any_supported_type(&der).map_err(|e| TlsError::UnsupportedKey {
        path: key.to_path_buf(),
        detail: e.to_string(),
    })?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|_| TlsError::Mismatch {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
    })?;
    Ok(certified)
}

/// What identifies a file's version on disk (following symlinks, so that a
/// swapped link counts as a change).
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The certificate handed to every handshake, replaced when its files
/// change (see [`ReloadingCert::watch`]).
#[derive(Debug)]
pub struct ReloadingCert {
    cert: PathBuf,
    key: PathBuf,
    current: ArcSwap<CertifiedKey>,
}

impl ReloadingCert {
    /// Loads the pair once; an error here is fatal at start.
    pub fn open(cert: &Path, key: &Path) -> Result<Arc<ReloadingCert>, TlsError> {
        let certified = load_certified_key(cert, key)?;
        Ok(Arc::new(ReloadingCert {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            current: ArcSwap::from_pointee(certified),
        }))
    }

    /// Reads the pair again; on an error the current certificate stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let certified = load_certified_key(&self.cert, &self.key)?;
        self.current.store(Arc::new(certified));
        Ok(())
    }

    /// Checks the two files every `every` until `stop` is set, and loads
    /// them again after a change. A pair caught half-written (a new
    /// certificate beside the old key) fails the key check and is tried
    /// again at the next look, so renewals that write the two files one
    /// after the other are picked up once both are in place.
    pub fn watch(self: Arc<Self>, every: Duration, stop: &tokio_util::sync::CancellationToken) {
        let mut seen = (stamp(&self.cert), stamp(&self.key));
        let mut failed = false;
        while !stop.is_cancelled() {
            std::thread::sleep(every);
            let now = (stamp(&self.cert), stamp(&self.key));
            if now == seen && !failed {
                continue;
            }
            let changed = now != seen;
            seen = now;
            match self.reload() {
                Ok(()) => {
                    failed = false;
                    tracing::info!(cert = %self.cert.display(), key = %self.key.display(), "HTTPS certificate loaded again");
                }
                Err(e) => {
                    if changed {
                        tracing::warn!(error = %e, "the changed HTTPS certificate or key cannot be used yet; still serving the previous one");
                    }
                    failed = true;
                }
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// The server side of HTTPS: TLS 1.2 as the floor, HTTP/2 and HTTP/1.1 by
/// ALPN, no client authentication.
pub fn server_config(cert: Arc<ReloadingCert>) -> Arc<rustls::ServerConfig> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}
