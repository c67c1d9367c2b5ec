//! TFTP across a network namespace link, and across a lossy one: 5 % of
//! UDP datagrams dropped in each direction on the client side. Transfers
//! must still complete byte-identical, lock-step and windowed.

mod common;

use std::time::Instant;

use common::netns::{Lab, available, have, lossy};
use common::{BIN, Server, random_file};

const SEED: u64 = 0x1234_5678_9abc_def1;

#[test]
fn transfers_complete_over_a_lossy_link() {
    if !available("tftp over a lossy link") || !have("atftp") || !have("tftp") || !have("nft") {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    random_file(&root.join("lockstep.bin"), 96 * 1024 + 17, SEED);
    random_file(&root.join("windowed.bin"), 512 * 1024 + 5, SEED);
    std::fs::create_dir_all(dir.path().join("data/groups")).unwrap();
    let mut cmd = lab.in_server(BIN);
    cmd.args(["serve", "--assets-path=", "--tftp", "--address"])
        .arg(format!("{}:8080", lab.server_ip()))
        .arg("--tftp-address")
        .arg(format!("{}:69", lab.server_ip()))
        .arg("--data-path")
        .arg(dir.path().join("data"))
        .arg("--tftp-root")
        .arg(&root)
        .arg("--ipxe-dir")
        .arg(&root);
    let _server = Server::spawn(&mut cmd);

    // First a clean link: lock-step with tftp-hpa.
    let out = dir.path().join("clean.bin");
    lab.in_client("tftp")
        .args([&lab.server_ip(), "-m", "binary", "-c", "get", "lockstep.bin"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        std::fs::read(&out).unwrap() == std::fs::read(root.join("lockstep.bin")).unwrap(),
        "clean link"
    );

    lossy(&lab.client_ns, 5);
    lossy(&lab.server_ns, 5);
    let started = Instant::now();
    let out = dir.path().join("lossy-lockstep.bin");
    let r = lab
        .in_client("tftp")
        .args([&lab.server_ip(), "-m", "binary", "-c", "get", "lockstep.bin"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        std::fs::read(&out).unwrap_or_default() == std::fs::read(root.join("lockstep.bin")).unwrap(),
        "lock-step over a lossy link: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let lockstep = started.elapsed();
    let started = Instant::now();
    let out = dir.path().join("lossy-windowed.bin");
    let r = lab
        .in_client("atftp")
        .args([
            "--option",
            "blksize 1468",
            "--option",
            "windowsize 16",
            "-g",
            "-r",
            "windowed.bin",
            "-l",
        ])
        .arg(&out)
        .arg(lab.server_ip())
        .output()
        .unwrap();
    assert!(
        std::fs::read(&out).unwrap_or_default() == std::fs::read(root.join("windowed.bin")).unwrap(),
        "windowed over a lossy link: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    println!(
        "5% loss each way: 96 KiB lock-step in {:?}, 512 KiB windowsize 16 in {:?}",
        lockstep,
        started.elapsed()
    );
}
