//! The TFTP server against real clients over loopback: tftp-hpa's `tftp`,
//! `atftp` with blksize and windowsize, and `curl tftp://`; every file
//! byte-identical (block-number rollover included); netascii; missing
//! files, traversal and write requests refused; the same files over HTTP.

mod common;

use std::path::Path;
use std::process::Command;

use common::netns::have;
use common::{BIN, Server, random_file};

struct Setup {
    root: tempfile::TempDir,
    ipxe: tempfile::TempDir,
    data: common::DataDir,
    out: tempfile::TempDir,
}

fn setup() -> Setup {
    let root = tempfile::tempdir().unwrap();
    let ipxe = tempfile::tempdir().unwrap();
    random_file(&ipxe.path().join("undionly.kpxe"), 74_213, 1);
    random_file(&ipxe.path().join("ipxe.efi"), 850_528, 2);
    random_file(&ipxe.path().join("snponly.efi"), 173_792, 3);
    random_file(&root.path().join("small.bin"), 1, 4);
    random_file(&root.path().join("exact-512.bin"), 512, 5);
    random_file(&root.path().join("exact-1468x3.bin"), 1468 * 3, 6);
    // More than 65,535 blocks of 512 bytes: the block number rolls over.
    random_file(&root.path().join("rollover.bin"), 34 * 1024 * 1024 + 123, 7);
    std::fs::write(root.path().join("text.cfg"), "line one\nline two\r\nend\n").unwrap();
    std::fs::create_dir(root.path().join("pxelinux.cfg")).unwrap();
    std::fs::write(root.path().join("pxelinux.cfg/default"), "default iPXE\n").unwrap();
    Setup {
        root,
        ipxe,
        data: common::DataDir::new(),
        out: tempfile::tempdir().unwrap(),
    }
}

fn start(s: &Setup) -> (Server, String, String) {
    let server = Server::start(
        s.data.path(),
        &[
            "--tftp",
            "--tftp-address",
            "127.0.0.1:0",
            &format!("--tftp-root={}", s.root.path().display()),
            &format!("--ipxe-dir={}", s.ipxe.path().display()),
        ],
    );
    let tftp = server.service_addr("tftp").expect("tftp ready line");
    let (host, port) = tftp.split_once(':').unwrap();
    (server, host.to_owned(), port.to_owned())
}

fn same(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap_or_default()
}

#[test]
fn tftp_hpa_gets_every_file_byte_identical() {
    if !have("tftp") {
        return;
    }
    let s = setup();
    let (_server, host, port) = start(&s);
    for (name, source) in [
        ("undionly.kpxe", s.ipxe.path().join("undionly.kpxe")),
        ("undionly.kpxe.0", s.ipxe.path().join("undionly.kpxe")),
        ("ipxe.efi", s.ipxe.path().join("ipxe.efi")),
        ("small.bin", s.root.path().join("small.bin")),
        ("exact-512.bin", s.root.path().join("exact-512.bin")),
        ("rollover.bin", s.root.path().join("rollover.bin")),
        ("pxelinux.cfg\\default", s.root.path().join("pxelinux.cfg/default")),
    ] {
        let out = s.out.path().join(name.replace('\\', "_"));
        let r = Command::new("tftp")
            .args([&host, &port, "-m", "binary", "-c", "get", name])
            .arg(&out)
            .output()
            .unwrap();
        assert!(same(&source, &out), "{name}: {}", String::from_utf8_lossy(&r.stderr));
    }
    // netascii: LF becomes CR LF on the wire and back to LF in the client.
    let out = s.out.path().join("text.cfg");
    Command::new("tftp")
        .args([&host, &port, "-m", "netascii", "-c", "get", "text.cfg"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "line one\nline two\r\nend\n");
}

#[test]
fn atftp_with_blksize_and_windowsize() {
    if !have("atftp") {
        return;
    }
    let s = setup();
    let (_server, host, port) = start(&s);
    for (options, name) in [
        (vec!["blksize 1468"], "ipxe.efi"),
        (vec!["blksize 1468", "windowsize 16"], "ipxe.efi"),
        (vec!["blksize 1468", "windowsize 16", "tsize 0"], "exact-1468x3.bin"),
        (vec!["blksize 1024", "windowsize 8"], "rollover.bin"),
        (vec!["blksize 65464"], "snponly.efi"),
    ] {
        let out = s.out.path().join(format!("{name}-{}", options.len()));
        let mut cmd = Command::new("atftp");
        for o in &options {
            cmd.args(["--option", o]);
        }
        let r = cmd
            .args(["-g", "-r", name, "-l"])
            .arg(&out)
            .args([&host, &port])
            .output()
            .unwrap();
        let source = if s.root.path().join(name).exists() {
            s.root.path().join(name)
        } else {
            s.ipxe.path().join(name)
        };
        assert!(
            same(&source, &out),
            "{name} {options:?}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
}

#[test]
fn curl_and_http_serve_the_same_files() {
    if !have("curl") {
        return;
    }
    let s = setup();
    let (server, host, port) = start(&s);
    let out = s.out.path().join("curl-ipxe.efi");
    let r = Command::new("curl")
        .args(["-sS", "-o"])
        .arg(&out)
        .arg(format!("tftp://{host}:{port}/ipxe.efi"))
        .output()
        .unwrap();
    assert!(
        same(&s.ipxe.path().join("ipxe.efi"), &out),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let out = s.out.path().join("curl-blksize.bin");
    Command::new("curl")
        .args(["-sS", "--tftp-blksize", "1400", "-o"])
        .arg(&out)
        .arg(format!("tftp://{host}:{port}/small.bin"))
        .output()
        .unwrap();
    assert!(same(&s.root.path().join("small.bin"), &out));
    // UEFI HTTP Boot fetches the same names over HTTP.
    let r = server.get("/ipxe.efi");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, std::fs::read(s.ipxe.path().join("ipxe.efi")).unwrap());
    assert_eq!(r.header("content-length"), Some("850528"));
    assert_eq!(
        server.req("HEAD", "/snponly.efi", &[]).header("content-length"),
        Some("173792")
    );
    assert_eq!(server.get("/pxelinux.cfg/default").text(), "default iPXE\n");
    assert_eq!(server.get("/nope.efi").status, 404);
    assert_eq!(server.get("/..%2f..%2fetc/passwd").status, 404);
}

#[test]
fn refusals_are_tftp_errors() {
    if !have("tftp") {
        return;
    }
    let s = setup();
    let (server, host, port) = start(&s);
    let get = |name: &str| {
        let out = s.out.path().join("refused");
        let r = Command::new("tftp")
            .args([&host, &port, "-c", "get", name])
            .arg(&out)
            .output()
            .unwrap();
        String::from_utf8_lossy(&r.stdout).into_owned() + &String::from_utf8_lossy(&r.stderr)
    };
    assert!(get("autoexec.ipxe").contains("Error code 1"), "missing file: not found");
    assert!(get("../../../../etc/passwd").contains("Error code 2"));
    assert!(get("..\\..\\etc\\passwd").contains("Error code 2"));
    std::os::unix::fs::symlink("/etc/hostname", s.root.path().join("link-out")).unwrap();
    assert!(get("link-out").contains("Error code 2"));
    let upload = s.out.path().join("upload");
    std::fs::write(&upload, "x").unwrap();
    let r = Command::new("tftp")
        .args([&host, &port, "-c", "put"])
        .arg(&upload)
        .arg("uploaded")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&r.stdout).into_owned() + &String::from_utf8_lossy(&r.stderr);
    assert!(text.contains("Error code 2") && text.contains("read-only"), "{text}");
    assert!(!s.root.path().join("uploaded").exists());
    // Garbage and unknown opcodes are answered with an error, never a crash.
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    for junk in [
        &b"\x00\x09junk"[..],
        b"\x00",
        b"\x00\x01noterminator",
        b"\x00\x01f\x00badmode\x00",
    ] {
        sock.send_to(junk, format!("{host}:{port}")).unwrap();
        let mut buf = [0u8; 600];
        let (n, _) = sock.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..2], &[0, 5], "an ERROR packet for {junk:?}");
        assert!(n > 4);
    }
    assert_eq!(server.get("/healthz").status, 200, "still serving");
}

#[test]
fn tftp_requires_something_to_serve() {
    let data = common::DataDir::new();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--address",
            "127.0.0.1:0",
            "--assets-path=",
            "--tftp",
            "--tftp-address",
            "127.0.0.1:0",
            "--ipxe-dir=/nonexistent/ipxe",
        ])
        .arg(format!("--data-path={}", data.path().display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/ipxe"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A client that repeats its read request (its OACK or first DATA was lost
/// or late) gets one transfer, from one port: a second transfer from
/// another port makes atftp abort with "unexpected OACK". A new request
/// from the same port after the transfer ended is served again.
#[test]
fn a_repeated_read_request_does_not_start_a_second_transfer() {
    let s = setup();
    let (_server, host, port) = start(&s);
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_millis(200)))
        .unwrap();
    let rrq = b"\x00\x01exact-1468x3.bin\x00octet\x00";
    let server = format!("{host}:{port}");
    for _ in 0..3 {
        sock.send_to(rrq, &server).unwrap();
    }
    // Collect without acknowledging for 1.5 s: block 1 and its retransmissions.
    let mut sources = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    let mut buf = [0u8; 600];
    while std::time::Instant::now() < deadline {
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            assert!(
                n >= 4 && buf[..4] == [0, 3, 0, 1],
                "DATA block 1, got {:?}",
                &buf[..n.min(8)]
            );
            sources.insert(from);
        }
    }
    assert_eq!(sources.len(), 1, "one transfer, one port: {sources:?}");
    // Finish it: ACK every block until the short last one.
    let from = *sources.iter().next().unwrap();
    let mut block = 1u16;
    loop {
        sock.send_to(&[0, 4, (block >> 8) as u8, block as u8], from).unwrap();
        let (n, _) = sock.recv_from(&mut buf).unwrap();
        if n < 4 + 512 {
            sock.send_to(&[0, 4, buf[2], buf[3]], from).unwrap();
            break;
        }
        block += 1;
    }
    // The same client port asks again: a new transfer.
    std::thread::sleep(std::time::Duration::from_millis(100));
    sock.send_to(rrq, &server).unwrap();
    let (n, _) = sock.recv_from(&mut buf).unwrap();
    assert!(
        n >= 4 && buf[..4] == [0, 3, 0, 1],
        "served again after the first transfer ended"
    );
}
