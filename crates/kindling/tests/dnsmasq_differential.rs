//! kindling running `kindling import dnsmasq`'s translation of each dnsmasq
//! configuration of the seed guide gives the same boot answers as dnsmasq
//! running the original, to the same crafted clients, in the same test.
//!
//! Each configuration (the seed's two files, the PXE file with its optional
//! lines on, and the two container flag lists; `crates/dnsmasq-import/
//! tests/seed`) runs in a network namespace pair, first under dnsmasq
//! (`dnsmasq-base`), then imported under kindling. Two things are changed
//! in both, the same way: the seed's 192.168.1.0/24 becomes the lab's
//! private /24, and the TFTP root a temporary directory. The clients
//! (`pxe_client.py`) are a BIOS PXE ROM, UEFI x64 PXE with arch 7 and 9,
//! iPXE on BIOS and UEFI, UEFI ARM64 PXE and UEFI HTTP Boot; each follows
//! its offer, or a PXE menu to port 4011, to the file it would load. The
//! answers compared are that file and the server it comes from; a client
//! that gets no file from either server counts as the same answer.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::netns::{Lab, available, have};
use common::wait_until;

const KINDS: &[&str] = &["bios", "efi7", "efi9", "ipxe", "ipxe-efi", "arm64", "http"];

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../dnsmasq-import/tests/seed")
        .join(name)
}

/// The seed text with the lab's network and a temporary TFTP root.
fn localize(text: &str, lab: &Lab, tftp_root: &Path) -> String {
    text.replace("192.168.1.", &format!("{}.", lab.prefix()))
        .replace("/var/lib/tftpboot", &tftp_root.display().to_string())
}

/// The boot answer of each kind of client, as (kind, file, next server).
fn answers(lab: &Lab) -> Vec<(String, Option<String>, Option<String>)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pxe_client.py");
    KINDS
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let mac = format!("52:54:00:d1:ff:{:02x}", i + 1);
            let out = lab
                .in_client("python3")
                .arg(&script)
                .args([lab.client_if.as_str(), kind, &mac])
                .output()
                .unwrap();
            let line = String::from_utf8_lossy(&out.stdout);
            let v: serde_json::Value = serde_json::from_str(line.trim())
                .unwrap_or_else(|e| panic!("{kind}: {e}: {line:?} {}", String::from_utf8_lossy(&out.stderr)));
            let text = |k: &str| v[k].as_str().map(str::to_owned);
            let file = text("file").filter(|f| !f.is_empty());
            let next = file.as_ref().and(text("next_server"));
            ((*kind).to_owned(), file, next)
        })
        .collect()
}

enum Input {
    File(&'static str),
    Flags(&'static str),
}

fn compare(name: &str, input: Input, proxy: bool) {
    // Proxy clients have an address from some other server (the lab's).
    let lab = Lab::new(proxy);
    let dir = tempfile::tempdir().unwrap();
    let tftp_root = dir.path().join("tftp");
    std::fs::create_dir_all(&tftp_root).unwrap();

    // dnsmasq with the original.
    let log = dir.path().join("dnsmasq.log");
    let mut dnsmasq = lab.in_server("dnsmasq");
    dnsmasq.args(["--keep-in-foreground", "--log-facility=-", "--user=root", "--pid-file="]);
    dnsmasq.arg(format!(
        "--dhcp-leasefile={}",
        dir.path().join("dnsmasq.leases").display()
    ));
    let imported = match input {
        Input::File(file) => {
            let text = localize(&std::fs::read_to_string(seed(file)).unwrap(), &lab, &tftp_root);
            let path = dir.path().join(file);
            std::fs::write(&path, &text).unwrap();
            dnsmasq.arg(format!("--conf-file={}", path.display()));
            dnsmasq_import::from_file(&text, file)
        }
        Input::Flags(file) => {
            let text = localize(&std::fs::read_to_string(seed(file)).unwrap(), &lab, &tftp_root);
            let flags: Vec<String> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned)
                .collect();
            // Flags only: no /etc/dnsmasq.conf.
            dnsmasq.arg("--conf-file=/dev/null").args(&flags);
            dnsmasq_import::from_flags(&flags)
        }
    };
    assert!(imported.losses.is_empty(), "{name}: {:?}", imported.losses);
    dnsmasq.stderr(std::fs::File::create(&log).unwrap());
    let child = dnsmasq.stdin(std::process::Stdio::null()).spawn().unwrap();
    let ready = wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("DHCP")
    });
    assert!(
        ready.is_some(),
        "{name}: dnsmasq did not start:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let from_dnsmasq = answers(&lab);
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();

    // kindling with the translation.
    let s = lab.start_kindling(dir.path(), &imported.toml, &[]);
    s.wait_service_addr("dhcp");
    let from_kindling = answers(&lab);
    drop(s);

    for (d, k) in from_dnsmasq.iter().zip(&from_kindling) {
        assert_eq!(
            d, k,
            "{name}: client {} got {:?} from dnsmasq and {:?} from kindling\nkindling's configuration:\n{}",
            d.0, d, k, imported.toml
        );
    }
    // The configurations do boot something: not a comparison of silences.
    assert!(
        from_kindling.iter().filter(|a| a.1.is_some()).count() >= 2,
        "{name}: {from_kindling:?}"
    );
    eprintln!("{name}: {from_kindling:?}");
}

fn ready(test: &str) -> bool {
    available(test) && have("dnsmasq") && have("python3")
}

#[test]
fn pxe_enabled_dhcp_file() {
    if ready("pxe_enabled_dhcp_file") {
        compare("pxe-dhcp.conf", Input::File("pxe-dhcp.conf"), false);
    }
}

#[test]
fn pxe_enabled_dhcp_file_with_alternate_dns() {
    if ready("pxe_enabled_dhcp_file_with_alternate_dns") {
        compare(
            "pxe-dhcp-alternate-dns.conf",
            Input::File("pxe-dhcp-alternate-dns.conf"),
            false,
        );
    }
}

#[test]
fn proxy_dhcp_file() {
    if ready("proxy_dhcp_file") {
        compare("proxy-dhcp.conf", Input::File("proxy-dhcp.conf"), true);
    }
}

#[test]
fn container_flags_full() {
    if ready("container_flags_full") {
        compare("container-full.args", Input::Flags("container-full.args"), false);
    }
}

#[test]
fn container_flags_proxy() {
    if ready("container_flags_proxy") {
        compare("container-proxy.args", Input::Flags("container-proxy.args"), true);
    }
}
