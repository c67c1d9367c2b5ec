//! The server's TLS: its certificate and key, and the CA that every client
//! certificate must chain to (required, verified). TLS 1.2 and 1.3 with
//! rustls's defaults (ECDHE with AES-GCM or ChaCha20-Poly1305 only).

use std::path::Path;

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{what} {path}: {source}; create the files with `kindling certs init DIR` or point --{flag} at yours")]
    Read {
        what: &'static str,
        flag: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} {path} has no PEM {expected} block; point --{flag} at a PEM file")]
    NotPem {
        what: &'static str,
        flag: &'static str,
        path: String,
        expected: &'static str,
    },
}

fn read(path: &Path, what: &'static str, flag: &'static str, expected: &'static str) -> Result<Vec<u8>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        flag,
        path: path.display().to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    // "PRIVATE KEY" also stands for "EC PRIVATE KEY" and "RSA PRIVATE KEY".
    let found = text.contains(&format!("-----BEGIN {expected}"))
        || (expected == "PRIVATE KEY" && text.contains(" PRIVATE KEY-----"));
    if !found {
        return Err(TlsError::NotPem {
            what,
            flag,
            path: path.display().to_string(),
            expected,
        });
    }
    Ok(bytes)
}

/// Mutual TLS from the three PEM files (matchbox's -cert-file, -key-file, -ca-file).
pub fn server_tls(cert: &Path, key: &Path, ca: &Path) -> Result<ServerTlsConfig, TlsError> {
    let cert = read(cert, "server certificate", "cert-file", "CERTIFICATE")?;
    let key = read(key, "server key", "key-file", "PRIVATE KEY")?;
    let ca = read(ca, "client CA", "ca-file", "CERTIFICATE")?;
    Ok(ServerTlsConfig::new()
        .identity(Identity::from_pem(cert, key))
        .client_ca_root(Certificate::from_pem(ca))
        .client_auth_optional(false))
}

/// A client's side (bootcmd's --ca-file, --cert-file, --key-file): trust
/// the CA, present the client certificate; `domain` is the name or address
/// the server certificate must carry.
pub fn client_tls(ca: &Path, cert: &Path, key: &Path, domain: &str) -> Result<ClientTlsConfig, TlsError> {
    let ca = read(ca, "CA certificate", "ca-file", "CERTIFICATE")?;
    let cert = read(cert, "client certificate", "cert-file", "CERTIFICATE")?;
    let key = read(key, "client key", "key-file", "PRIVATE KEY")?;
    Ok(ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .identity(Identity::from_pem(cert, key))
        .domain_name(domain))
}
