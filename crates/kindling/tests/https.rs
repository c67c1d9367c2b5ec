//! HTTPS (`--web-ssl`), checked with curl: a client that is not ours,
//! verifying the certificate against the CA `kindling certs init` wrote.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{BIN, Server, netns, random_file, wait_until};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data");

fn have_curl() -> bool {
    let ok = Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        netns::skip("HTTPS tests: install curl (apt-get install curl)");
    }
    ok
}

/// A CA and an HTTPS certificate for localhost and 127.0.0.1 in `dir`.
fn certs(dir: &Path) {
    let out = Command::new(BIN)
        .args(["certs", "init"])
        .arg(dir)
        .args(["--web-san", "localhost,127.0.0.1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

struct Fetched {
    status: String,
    content_type: String,
    version: String,
    body: Vec<u8>,
}

/// One request with curl; `extra` adds flags (a CA, a protocol version, a range).
fn curl(url: &str, extra: &[&str]) -> Result<Fetched, String> {
    let body = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-o"])
        .arg(body.path())
        .args(["-w", "%{http_code}\t%{content_type}\t%{http_version}"])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(format!(
            "curl {url} exited {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let w = String::from_utf8(out.stdout).unwrap();
    let mut parts = w.split('\t');
    Ok(Fetched {
        status: parts.next().unwrap_or_default().to_owned(),
        content_type: parts.next().unwrap_or_default().to_owned(),
        version: parts.next().unwrap_or_default().to_owned(),
        body: std::fs::read(body.path()).unwrap(),
    })
}

fn https_server(dir: &Path, data: &str, extra: &[&str]) -> Server {
    let cert = dir.join("ssl/server.crt");
    let key = dir.join("ssl/server.key");
    let mut args = vec![
        "--web-ssl".to_owned(),
        format!("--web-cert-file={}", cert.display()),
        format!("--web-key-file={}", key.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(Path::new(data), &args)
}

fn ca(dir: &Path) -> String {
    dir.join("ca.crt").display().to_string()
}

/// Every endpoint, boot files and assets (ranges included), answers the
/// same bytes over HTTPS, HTTP/1.1 and HTTP/2, as over plain HTTP.
#[test]
fn https_serves_what_http_serves() {
    if !have_curl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certs(dir.path());
    let assets = tempfile::tempdir().unwrap();
    random_file(&assets.path().join("kernel"), 300_000, 7);
    std::fs::write(assets.path().join("README.txt"), "assets\n").unwrap();
    let assets_flag = format!("--assets-path={}", assets.path().display());
    let s = https_server(dir.path(), EXAMPLES, &[&assets_flag, "--http-address=127.0.0.1:0"]);
    let https = s.wait_service_addr("https");
    let http = s.wait_service_addr("http");
    assert_ne!(https, http);

    let mac = "mac=52:54:00:89:d8:10";
    let targets = [
        "/".to_owned(),
        "/boot.ipxe".into(),
        "/boot.ipxe.0".into(),
        format!("/ipxe?{mac}"),
        "/ipxe?os=installed".into(),
        "/ipxe".into(),
        format!("/grub?{mac}"),
        format!("/ignition?{mac}"),
        "/ignition?os=installed".into(),
        "/ignition".into(),
        format!("/cloud?{mac}"),
        "/cloud".into(),
        format!("/generic?{mac}"),
        format!("/metadata?{mac}&extra=1"),
        "/no-such-endpoint".into(),
        "/assets/".into(),
        "/assets/README.txt".into(),
        "/assets/kernel".into(),
        "/assets/missing".into(),
    ];
    let ranges: [&[&str]; 4] = [&[], &["-r", "1000-1999"], &["-r", "299000-"], &["-r", "-10"]];
    let ca_path = ca(dir.path());
    let mut checked = 0;
    for target in &targets {
        for range in ranges {
            if !range.is_empty() && target != "/assets/kernel" && target != "/boot.ipxe" {
                continue;
            }
            let plain = curl(&format!("http://{http}{target}"), range).unwrap();
            assert!(
                !plain.body.is_empty() || plain.status == "404",
                "{target}: empty body over HTTP"
            );
            for version in ["--http1.1", "--http2"] {
                let mut extra = vec!["--cacert", ca_path.as_str(), version];
                extra.extend_from_slice(range);
                let tls = curl(&format!("https://localhost:{}{target}", port(&https)), &extra)
                    .unwrap_or_else(|e| panic!("{target} {version}: {e}"));
                assert_eq!(
                    (&tls.status, &tls.content_type),
                    (&plain.status, &plain.content_type),
                    "{target} {range:?} {version}"
                );
                assert!(tls.body == plain.body, "{target} {range:?} {version}: bodies differ");
                let want = if version == "--http2" { "2" } else { "1.1" };
                assert_eq!(tls.version, want, "{target} {version}: negotiated HTTP version");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * (targets.len() + 2 * 3));
    // By IP address too (the certificate names 127.0.0.1).
    let by_ip = curl(&format!("https://{https}/boot.ipxe"), &["--cacert", &ca(dir.path())]).unwrap();
    assert_eq!(by_ip.status, "200");
    // A client that does not trust the CA is refused by its own check.
    assert!(curl(&format!("https://{https}/boot.ipxe"), &[]).is_err());
    s.terminate();
}

fn port(addr: &str) -> &str {
    addr.rsplit(':').next().unwrap()
}

/// A certificate replaced on disk (from another CA) is served within
/// seconds, with no restart; a half-written pair keeps the old one.
#[test]
fn a_renewed_certificate_is_served_without_a_restart() {
    if !have_curl() {
        return;
    }
    let old = tempfile::tempdir().unwrap();
    let new = tempfile::tempdir().unwrap();
    certs(old.path());
    certs(new.path());
    // The server reads copies, replaced below as a renewal tool would.
    let live = tempfile::tempdir().unwrap();
    std::fs::create_dir(live.path().join("ssl")).unwrap();
    for f in ["ssl/server.crt", "ssl/server.key"] {
        std::fs::copy(old.path().join(f), live.path().join(f)).unwrap();
    }
    let s = https_server(live.path(), EXAMPLES, &[]);
    let url = format!("https://{}/boot.ipxe", s.addr);
    assert_eq!(curl(&url, &["--cacert", &ca(old.path())]).unwrap().status, "200");
    let pid = s.pid();

    // First only the certificate: it does not match the key, so the old
    // pair stays in use.
    replace(&new.path().join("ssl/server.crt"), &live.path().join("ssl/server.crt"));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        curl(&url, &["--cacert", &ca(old.path())]).unwrap().status,
        "200",
        "a half-renewed pair must not replace the working one"
    );
    replace(&new.path().join("ssl/server.key"), &live.path().join("ssl/server.key"));
    let took = wait_until(Duration::from_secs(10), || {
        curl(&url, &["--cacert", &ca(new.path())]).is_ok_and(|f| f.status == "200")
    });
    assert!(took.is_some(), "the new certificate was not served; log:\n{}", s.log());
    assert!(
        curl(&url, &["--cacert", &ca(old.path())]).is_err(),
        "the old CA must no longer verify"
    );
    assert_eq!(s.pid(), pid);
    s.terminate();
}

/// Writes beside and renames, as certificate renewal tools do.
fn replace(from: &Path, to: &Path) {
    let tmp: PathBuf = to.with_extension("new");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

/// Plain HTTP to the HTTPS port gets a short 400 that says why, and the
/// server goes on serving HTTPS.
#[test]
fn plain_http_to_the_https_port_fails_cleanly() {
    if !have_curl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    certs(dir.path());
    let s = https_server(dir.path(), EXAMPLES, &[]);
    let plain = curl(&format!("http://{}/boot.ipxe", s.addr), &[]).unwrap();
    assert_eq!(plain.status, "400");
    let text = String::from_utf8_lossy(&plain.body);
    assert!(text.contains("HTTPS"), "{text}");
    let tls = curl(&format!("https://{}/boot.ipxe", s.addr), &["--cacert", &ca(dir.path())]).unwrap();
    assert_eq!(tls.status, "200");
    s.terminate();
}

/// A missing key, a key of another certificate, and a file with no
/// certificate each stop the start with a message naming the file.
#[test]
fn unusable_certificates_name_the_file() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    certs(a.path());
    certs(b.path());
    let start = |cert: &Path, key: &Path| {
        let out = Command::new(BIN)
            .args(["serve", "--address=127.0.0.1:0", "--assets-path=", "--web-ssl"])
            .arg(format!("--data-path={EXAMPLES}"))
            .arg(format!("--web-cert-file={}", cert.display()))
            .arg(format!("--web-key-file={}", key.display()))
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let cert = a.path().join("ssl/server.crt");
    let missing = a.path().join("ssl/absent.key");
    let err = start(&cert, &missing);
    assert!(
        err.contains(&missing.display().to_string()) && err.contains("--web-key-file"),
        "{err}"
    );

    let other_key = b.path().join("ssl/server.key");
    let err = start(&cert, &other_key);
    assert!(
        err.contains(&other_key.display().to_string()) && err.contains("does not belong"),
        "{err}"
    );

    let not_pem = a.path().join("ca.key");
    let err = start(&not_pem, &a.path().join("ssl/server.key"));
    assert!(
        err.contains(&not_pem.display().to_string()) && err.contains("CERTIFICATE"),
        "{err}"
    );

    // --http-address only means something beside HTTPS.
    let out = Command::new(BIN)
        .args([
            "serve",
            "--address=127.0.0.1:0",
            "--assets-path=",
            "--http-address=127.0.0.1:0",
        ])
        .arg(format!("--data-path={EXAMPLES}"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--http-address") && err.contains("--web-ssl"), "{err}");
}
