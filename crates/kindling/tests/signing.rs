//! Signed responses (`--key-ring-path`), verified by a client that is not
//! ours: Debian's gpg, with keys gpg itself generated and exported.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{BIN, DataDir, Server, netns, request};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data");

/// A gpg home of its own, with its agent stopped when dropped.
struct Gpg {
    home: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Option<Gpg> {
        let ok = Command::new("gpg")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            netns::skip("signature tests: install gnupg (apt-get install gnupg)");
            return None;
        }
        let home = tempfile::Builder::new().prefix("gpg").tempdir().unwrap();
        Some(Gpg { home })
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A new key (`algo` as gpg names it), protected by `passphrase` unless
    /// it is empty; returns the exported secret keyring and public key.
    fn generate(&self, uid: &str, algo: &str, passphrase: &str, dir: &Path) -> (PathBuf, PathBuf) {
        self.run(&[
            "--passphrase",
            passphrase,
            "--quick-gen-key",
            uid,
            algo,
            "sign",
            "never",
        ]);
        let secret = self
            .run(&["--passphrase", passphrase, "--export-secret-keys", uid])
            .stdout;
        let public = self.run(&["--export", uid]).stdout;
        assert!(!secret.is_empty() && !public.is_empty());
        let (s, p) = (
            dir.join(format!("{algo}-secring.gpg")),
            dir.join(format!("{algo}-pub.gpg")),
        );
        std::fs::write(&s, secret).unwrap();
        std::fs::write(&p, public).unwrap();
        (s, p)
    }

    /// `gpg --verify SIG DATA`: the status lines, or the failure.
    fn verify(&self, signature: &[u8], data: &[u8]) -> Result<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let (sig, body) = (dir.path().join("sig"), dir.path().join("body"));
        std::fs::write(&sig, signature).unwrap();
        std::fs::write(&body, data).unwrap();
        let out = Command::new("gpg")
            .env("GNUPGHOME", self.home.path())
            .args(["--batch", "--no-tty", "--status-fd", "1", "--verify"])
            .arg(&sig)
            .arg(&body)
            .output()
            .unwrap();
        let status = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && status.contains("[GNUPG:] GOODSIG") {
            Ok(status)
        } else {
            Err(format!("{status}{}", String::from_utf8_lossy(&out.stderr)))
        }
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

fn serve_signed(data: &Path, keyring: &Path, passphrase: Option<&str>) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--address=127.0.0.1:0", "--assets-path="])
        .arg(format!("--data-path={}", data.display()))
        .arg(format!("--key-ring-path={}", keyring.display()))
        .env_remove("MATCHBOX_PASSPHRASE")
        .env_remove("KINDLING_PASSPHRASE");
    if let Some(p) = passphrase {
        cmd.env("MATCHBOX_PASSPHRASE", p);
    }
    Server::spawn(&mut cmd)
}

/// Every signed endpoint's `.sig` and `.asc` verify with gpg against the
/// body of the same request, for an RSA key with a passphrase and an
/// Ed25519 key without one; the verifier holds only the public key.
#[test]
fn gpg_verifies_every_signed_endpoint() {
    let Some(signer) = Gpg::new() else { return };
    let Some(verifier) = Gpg::new() else { return };
    let keys = tempfile::tempdir().unwrap();
    let cases = [
        ("kindling rsa <rsa@kindling.invalid>", "rsa2048", "correct horse"),
        ("kindling ed <ed@kindling.invalid>", "ed25519", ""),
    ];
    for (uid, algo, passphrase) in cases {
        let (secring, public) = signer.generate(uid, algo, passphrase, keys.path());
        verifier.run(&["--import", &public.display().to_string()]);
        let s = serve_signed(
            Path::new(EXAMPLES),
            &secring,
            (!passphrase.is_empty()).then_some(passphrase),
        );
        let mac = "mac=52:54:00:89:d8:10";
        let targets = [
            ("/boot.ipxe", String::new()),
            ("/boot.ipxe.0", String::new()),
            ("/ipxe", mac.to_owned()),
            ("/ipxe", "os=installed".to_owned()),
            ("/grub", mac.to_owned()),
            ("/ignition", mac.to_owned()),
            ("/ignition", String::new()),
            ("/cloud", mac.to_owned()),
            ("/generic", mac.to_owned()),
            ("/metadata", format!("{mac}&extra=1")),
        ];
        for (path, query) in &targets {
            let q = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            let body = s.get(&format!("{path}{q}"));
            assert_eq!(body.status, 200, "{path}{q}: {}", body.text());
            let sig = s.get(&format!("{path}.sig{q}"));
            assert_eq!(sig.status, 200, "{path}.sig{q}");
            assert_eq!(sig.content_type(), "application/octet-stream", "{path}.sig");
            let status = verifier
                .verify(&sig.body, &body.body)
                .unwrap_or_else(|e| panic!("{algo} {path}.sig{q} does not verify: {e}"));
            // Text mode, SHA-256 (hash algorithm 8).
            assert!(status.contains("[GNUPG:] VALIDSIG"), "{status}");
            let validsig = status.lines().find(|l| l.contains("VALIDSIG")).unwrap();
            let fields: Vec<&str> = validsig.split_whitespace().collect();
            // [GNUPG:] VALIDSIG fpr date time expiry version reserved key-algo hash-algo class …
            assert_eq!(
                (fields[9], fields[10]),
                ("8", "01"),
                "SHA-256 and class 01 (text): {validsig}"
            );
            let asc = s.get(&format!("{path}.asc{q}"));
            assert_eq!(asc.status, 200);
            assert!(
                asc.text().starts_with("-----BEGIN PGP SIGNATURE-----"),
                "{}",
                asc.text()
            );
            assert_eq!(asc.content_type(), "text/plain; charset=utf-8");
            verifier
                .verify(&asc.body, &body.body)
                .unwrap_or_else(|e| panic!("{algo} {path}.asc{q} does not verify: {e}"));
            // A changed body does not verify: the check can fail.
            let mut tampered = body.body.clone();
            tampered.extend_from_slice(b"#");
            assert!(
                verifier.verify(&sig.body, &tampered).is_err(),
                "{path}: a tampered body verified"
            );
        }
        // A HEAD of a signature answers like the GET, without the body.
        let head = common::request(&s.addr, "HEAD", "/ipxe.sig?os=installed", &[]);
        assert_eq!(head.status, 200);
        // Endpoints matchbox does not sign have no signature.
        assert_eq!(s.get("/assets/x.sig").status, 404);
        assert_eq!(s.get("/.sig").status, 404);
        s.terminate();
    }
}

/// A request no group matches keeps its 404, and the body is the
/// signature of the 404 body.
#[test]
fn the_no_match_case_signs_the_404_body() {
    let Some(gpg) = Gpg::new() else { return };
    let keys = tempfile::tempdir().unwrap();
    let (secring, _) = gpg.generate("nomatch <n@kindling.invalid>", "ed25519", "", keys.path());
    let data = DataDir::new().with_fixture();
    let s = serve_signed(data.path(), &secring, None);
    let body = s.get("/ipxe?uuid=no-such-machine");
    assert_eq!(body.status, 404);
    for suffix in [".sig", ".asc"] {
        let sig = s.get(&format!("/ipxe{suffix}?uuid=no-such-machine"));
        assert_eq!(sig.status, 404, "{suffix}");
        gpg.verify(&sig.body, &body.body)
            .unwrap_or_else(|e| panic!("the 404 {suffix} does not verify: {e}"));
    }
    // With matchbox's bare 404, the signed text is matchbox's too.
    s.terminate();
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--address=127.0.0.1:0", "--assets-path=", "--compat=bare-404"])
        .arg(format!("--data-path={}", data.path().display()))
        .arg(format!("--key-ring-path={}", secring.display()))
        .env_remove("MATCHBOX_PASSPHRASE");
    let s = Server::spawn(&mut cmd);
    let sig = s.get("/ipxe.sig?uuid=no-such-machine");
    assert_eq!(sig.status, 404);
    gpg.verify(&sig.body, b"404 page not found\n").unwrap();
    s.terminate();
}

/// Start failures with matchbox's messages, and a non-zero exit.
#[test]
fn a_missing_or_wrong_passphrase_stops_the_start() {
    let Some(gpg) = Gpg::new() else { return };
    let keys = tempfile::tempdir().unwrap();
    let (secring, public) = gpg.generate("locked <l@kindling.invalid>", "ed25519", "s3cret", keys.path());
    let empty = keys.path().join("empty.gpg");
    std::fs::write(&empty, b"").unwrap();
    let start = |keyring: &Path, passphrase: Option<&str>| -> String {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--address=127.0.0.1:0", "--assets-path="])
            .arg(format!("--data-path={EXAMPLES}"))
            .arg(format!("--key-ring-path={}", keyring.display()))
            .env_remove("MATCHBOX_PASSPHRASE")
            .env_remove("KINDLING_PASSPHRASE");
        if let Some(p) = passphrase {
            cmd.env("MATCHBOX_PASSPHRASE", p);
        }
        let out = cmd.output().unwrap();
        assert!(!out.status.success(), "started with {keyring:?} {passphrase:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = start(&secring, None);
    assert!(
        err.contains("sign: missing passphrase for encrypted private key"),
        "{err}"
    );
    let err = start(&secring, Some("wrong"));
    assert!(err.contains("private key checksum failure"), "{err}");
    let err = start(&empty, None);
    assert!(err.contains("sign: provided key ring file contained no keys"), "{err}");
    let err = start(&public, None);
    assert!(err.contains("no secret part"), "{err}");
    let err = start(&keys.path().join("absent.gpg"), None);
    assert!(err.contains("absent.gpg"), "{err}");
    // And the right one starts.
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--address=127.0.0.1:0", "--assets-path="])
        .arg(format!("--data-path={EXAMPLES}"))
        .arg(format!("--key-ring-path={}", secring.display()))
        .env("MATCHBOX_PASSPHRASE", "s3cret");
    let s = Server::spawn(&mut cmd);
    assert_eq!(request(&s.addr, "GET", "/boot.ipxe.sig", &[]).status, 200);
    s.terminate();
}
