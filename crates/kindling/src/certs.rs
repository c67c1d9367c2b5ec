//! `kindling certs init DIR`: a CA, a server certificate and a client
//! certificate for the gRPC API's mutual TLS, in the file names matchbox's
//! `scripts/tls/cert-gen` uses (ca.crt, server.crt/.key, client.crt/.key),
//! so a new setup needs one command instead of openssl incantations. With
//! `--web-san`, also the HTTPS certificate for `--web-ssl`, under `ssl/` as
//! matchbox's default `-web-cert-file` and `-web-key-file` expect.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

use crate::cli::CertsInitArgs;

/// Validity: from yesterday, CA for 10 years, leaf certificates for 2.
fn validity(params: &mut CertificateParams, years: i32) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let year = 1970 + (now / 31_556_952) as i32;
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + years, 1, 1);
}

pub fn init(args: CertsInitArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    let files = [
        "ca.crt",
        "ca.key",
        "server.crt",
        "server.key",
        "client.crt",
        "client.key",
    ];
    let mut files = files.to_vec();
    if !args.web_san.is_empty() {
        files.extend(["ssl/server.crt", "ssl/server.key"]);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if !args.force {
        let existing: Vec<&str> = files.iter().copied().filter(|f| dir.join(f).exists()).collect();
        if !existing.is_empty() {
            bail!(
                "{} already has {}; pass --force to replace them (clients signed by the old CA stop working)",
                dir.display(),
                existing.join(", ")
            );
        }
    }
    let mut sans = args.san.clone();
    if sans.is_empty() {
        sans = vec!["localhost".into(), "127.0.0.1".into()];
    }

    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name.push(DnType::CommonName, "kindling CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut ca, 10);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let ca_key_pem = ca_key.serialize_pem();
    let issuer = Issuer::new(ca, ca_key);

    let leaf = |cn: &str, names: Vec<String>, usage: ExtendedKeyUsagePurpose| -> anyhow::Result<(String, String)> {
        let mut p = CertificateParams::new(names).with_context(|| format!("the {cn} certificate's names"))?;
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = vec![usage];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        validity(&mut p, 2);
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    };
    let (server_crt, server_key) = leaf("kindling server", sans.clone(), ExtendedKeyUsagePurpose::ServerAuth)?;
    let (client_crt, client_key) = leaf(&args.client_name, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth)?;

    write(dir, "ca.crt", &ca_cert.pem(), false)?;
    write(dir, "ca.key", &ca_key_pem, true)?;
    write(dir, "server.crt", &server_crt, false)?;
    write(dir, "server.key", &server_key, true)?;
    write(dir, "client.crt", &client_crt, false)?;
    write(dir, "client.key", &client_key, true)?;
    let d = dir.display();
    println!("wrote {d}/{{ca.crt,ca.key,server.crt,server.key,client.crt,client.key}}");
    println!("server names: {}", sans.join(", "));
    if !args.web_san.is_empty() {
        let (web_crt, web_key) = leaf(
            "kindling web",
            args.web_san.clone(),
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let ssl = dir.join("ssl");
        std::fs::create_dir_all(&ssl).with_context(|| format!("creating {}", ssl.display()))?;
        write(&ssl, "server.crt", &web_crt, false)?;
        write(&ssl, "server.key", &web_key, true)?;
        println!(
            "wrote {d}/ssl/{{server.crt,server.key}} for HTTPS, names: {}",
            args.web_san.join(", ")
        );
        println!(
            "https:   kindling serve --web-ssl --web-cert-file {d}/ssl/server.crt --web-key-file {d}/ssl/server.key (clients trust {d}/ca.crt)"
        );
    }
    println!(
        "serve:   kindling serve --rpc-address 0.0.0.0:8081 --ca-file {d}/ca.crt --cert-file {d}/server.crt --key-file {d}/server.key"
    );
    println!(
        "clients: --ca-file {d}/ca.crt --cert-file {d}/client.crt --key-file {d}/client.key (keep ca.key offline)"
    );
    Ok(())
}

fn write(dir: &Path, name: &str, text: &str, secret: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
