//! The gRPC management API against a client that is not kindling's own:
//! Python's grpcio (Debian's python3-grpcio and python3-grpc-tools), with
//! stubs compiled from crates/rpc/proto, over mutual TLS with certificates
//! from `kindling certs init`. Every RPC, NotFound, InvalidArgument for bad
//! names with nothing written, writes visible over HTTP at once, and
//! connections without a client certificate or with another CA's refused.

mod common;

use std::path::Path;
use std::process::Command;

use common::netns::skip;
use common::{BIN, DataDir, Server};

const PYTHON: &str = "/usr/bin/python3";

fn python_grpc() -> bool {
    let ok = Command::new(PYTHON)
        .args(["-c", "import grpc, grpc_tools.protoc"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        skip("grpc tests: install python3-grpcio and python3-grpc-tools");
    }
    ok
}

fn certs(dir: &Path) {
    let out = Command::new(BIN)
        .args(["certs", "init"])
        .arg(dir)
        .args(["--san", "localhost,127.0.0.1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Every file under `root`, relative, sorted.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn python_grpcio_calls_every_rpc_over_mutual_tls() {
    if !python_grpc() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (ours, other, stubs) = (
        tmp.path().join("certs"),
        tmp.path().join("other"),
        tmp.path().join("stubs"),
    );
    certs(&ours);
    certs(&other);
    std::fs::create_dir_all(&stubs).unwrap();
    let proto = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rpc/proto");
    let out = Command::new(PYTHON)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(&proto)
        .arg(format!("--python_out={}", stubs.display()))
        .arg(format!("--grpc_python_out={}", stubs.display()))
        .args([
            "matchbox/storage/storagepb/storage.proto",
            "matchbox/server/serverpb/messages.proto",
            "matchbox/rpc/rpcpb/rpc.proto",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "protoc: {}", String::from_utf8_lossy(&out.stderr));

    // An empty data directory outside the one the Python client could aim at.
    let data = DataDir::new();
    let c = |f: &str| ours.join(f).display().to_string();
    let s = Server::start(
        data.path(),
        &[
            "--rpc-address",
            "127.0.0.1:0",
            "--ca-file",
            &c("ca.crt"),
            "--cert-file",
            &c("server.crt"),
            "--key-file",
            &c("server.key"),
        ],
    );
    let rpc = s.wait_service_addr("rpc");
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grpc/client.py");
    let out = Command::new(PYTHON)
        .arg(&client)
        .arg(&stubs)
        .arg(&rpc)
        .arg(&s.addr)
        .arg(&ours)
        .arg(&other)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.log()
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
    // Nothing but what the client put and did not delete, and nothing outside.
    assert_eq!(files(data.path()), ["profiles/fcos.json"]);
    assert!(!tmp.path().join("evil").exists() && !Path::new("/tmp/evil").exists());
}

/// The server refuses to start without its certificate files, naming them.
#[test]
fn rpc_needs_its_certificates() {
    let data = DataDir::new();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--address",
            "127.0.0.1:0",
            "--assets-path=",
            "--rpc-address",
            "127.0.0.1:0",
        ])
        .args(["--data-path"])
        .arg(data.path())
        .args(["--ca-file", "/nonexistent/ca.crt"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("server certificate /etc/matchbox/server.crt") || err.contains("/nonexistent/ca.crt"),
        "{err}"
    );
    assert!(err.contains("kindling certs init"), "{err}");
}
