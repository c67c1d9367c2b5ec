//! Replicas on etcd, on loopback: real etcd members (Debian's etcd-server),
//! the real binary twice, Python's grpcio as the gRPC client and etcdctl
//! (Debian's etcd-client) writing by hand. Configuration written through one
//! replica is served by the other; a replica follows after the etcd member
//! it watched dies and history is compacted; without quorum HTTP still
//! answers and writes fail with UNAVAILABLE; a data directory goes into
//! etcd and comes back byte for byte.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::netns::have;
use common::{BIN, PYTHON, Server, wait_until};
use etcd::testing::EtcdCluster;

fn available(test: &str) -> bool {
    etcd::testing::available(test) && have("etcdctl")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data")
}

fn kindling(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn replica(etcd: &EtcdCluster, name: &str, extra: &[&str]) -> Server {
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--address", "127.0.0.1:0", "--assets-path=", "--store", "etcd"])
        .args(["--etcd-endpoints", &etcd.endpoints().join(",")])
        .args(["--replica-name", name])
        .args(extra);
    Server::spawn(&mut cmd)
}

/// `/healthz` as `key value` pairs.
fn health(s: &Server) -> Vec<(String, String)> {
    s.get("/healthz")
        .text()
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (l.to_owned(), String::new()),
        })
        .collect()
}

fn health_value(s: &Server, key: &str) -> String {
    health(s)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

fn import(etcd: &EtcdCluster, dir: &Path) -> String {
    let (ok, out, err) = kindling(&[
        "store",
        "import",
        "--data-path",
        &dir.display().to_string(),
        "--etcd-endpoints",
        &etcd.endpoints().join(","),
    ]);
    assert!(ok, "import: {out}\n{err}");
    out
}

/// Every file under `root`, relative, with its bytes.
fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if rel.starts_with("assets") || rel.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Puts a profile and a group selecting it through the gRPC API with
/// grpcio; returns the status code name ("OK", "UNAVAILABLE", …).
fn grpc_put(stubs: &Path, rpc: &str, certs: &Path, tag: &str) -> String {
    let script = format!(
        r#"
import sys
sys.path.insert(0, {stubs:?})
import grpc
from matchbox.rpc.rpcpb import rpc_pb2_grpc as rpc
from matchbox.server.serverpb import messages_pb2 as m
from matchbox.storage.storagepb import storage_pb2 as s
read = lambda p: open(p, "rb").read()
creds = grpc.ssl_channel_credentials(read({ca:?}), read({key:?}), read({crt:?}))
ch = grpc.secure_channel({rpc:?}, creds, options=[("grpc.ssl_target_name_override", "localhost")])
try:
    rpc.ProfilesStub(ch).ProfilePut(m.ProfilePutRequest(profile=s.Profile(id="p-{tag}", boot=s.NetBoot(kernel="/k-{tag}"))), timeout=20)
    rpc.GroupsStub(ch).GroupPut(m.GroupPutRequest(group=s.Group(id="g-{tag}", profile="p-{tag}", selector={{"os": "{tag}"}})), timeout=20)
    print("OK")
except grpc.RpcError as e:
    print(e.code().name, e.details())
"#,
        stubs = stubs.display().to_string(),
        ca = certs.join("ca.crt").display().to_string(),
        key = certs.join("client.key").display().to_string(),
        crt = certs.join("client.crt").display().to_string(),
    );
    let out = Command::new(PYTHON).args(["-c", &script]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!text.is_empty(), "python: {}", String::from_utf8_lossy(&out.stderr));
    text
}

fn certs(dir: &Path) -> PathBuf {
    let certs = dir.join("certs");
    let (ok, _, err) = kindling(&[
        "certs",
        "init",
        &certs.display().to_string(),
        "--san",
        "localhost,127.0.0.1",
    ]);
    assert!(ok, "{err}");
    certs
}

fn rpc_flags(certs: &Path) -> Vec<String> {
    let c = |f: &str| certs.join(f).display().to_string();
    vec![
        "--rpc-address".into(),
        "127.0.0.1:0".into(),
        "--ca-file".into(),
        c("ca.crt"),
        "--cert-file".into(),
        c("server.crt"),
        "--key-file".into(),
        c("server.key"),
    ]
}

/// A data directory imported into etcd serves the same answers from two
/// replicas; a gRPC write through one is served by the other within a
/// second; an object put by hand that does not parse is skipped with its
/// reason; the configuration exports back byte for byte.
#[test]
fn two_replicas_share_one_configuration() {
    if !available("cluster configuration test") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let etcd = EtcdCluster::start(3);
    let summary = import(&etcd, &examples());
    assert!(summary.contains("15 were created"), "{summary}");
    // A second import changes nothing.
    let summary = import(&etcd, &examples());
    assert!(
        summary.contains("0 were created, 0 were updated, 15 unchanged"),
        "{summary}"
    );

    let certs = certs(tmp.path());
    let flags = rpc_flags(&certs);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let a = replica(&etcd, "a", &flags);
    let b = replica(&etcd, "b", &[]);
    let dir = common::Server::start(&examples(), &[]);
    for target in [
        "/ipxe?mac=52-54-00-89-d8-10",
        "/ignition?os=installed",
        "/metadata?mac=52-54-00-89-d8-10",
        "/boot.ipxe",
    ] {
        let want = dir.get(target);
        for s in [&a, &b] {
            let got = s.get(target);
            assert_eq!((got.status, &got.body), (want.status, &want.body), "{target}");
        }
    }

    if let Some(stubs) = common::grpc_stubs(&tmp.path().join("stubs")) {
        let rpc = a.wait_service_addr("rpc");
        let answer = grpc_put(&stubs, &rpc, &certs, "fresh");
        assert_eq!(answer, "OK");
        let written = Instant::now();
        // (The examples' default group answers any query: wait for the new profile.)
        let seen = wait_until(Duration::from_secs(5), || {
            b.get("/ipxe?os=fresh").text().contains("kernel /k-fresh")
        });
        let elapsed = written.elapsed();
        assert!(seen.is_some(), "replica b never served the write; log:\n{}", b.log());
        assert!(elapsed < Duration::from_secs(1), "served by b after {elapsed:?}");
        // And a itself served it when the RPC answered.
        assert!(a.get("/ipxe?os=fresh").text().contains("kernel /k-fresh"));
        println!("gRPC write through a served by b after {elapsed:?}");
    }

    // A hand-written object that does not parse: skipped, with its reason.
    let out = etcd
        .etcdctl()
        .args(["put", "/kindling/config/groups/broken.json", "{not json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        wait_until(Duration::from_secs(5), || health_value(&b, "load_errors") == "1").is_some(),
        "{}",
        b.get("/healthz").text()
    );
    assert!(b.log().contains("groups/broken.json"), "the reason is logged");
    assert_eq!(
        b.get("/ipxe?mac=52-54-00-89-d8-10").status,
        200,
        "the rest still serves"
    );
    let out = etcd
        .etcdctl()
        .args(["del", "/kindling/config/groups/broken.json"])
        .output()
        .unwrap();
    assert!(out.status.success());

    // Both replicas are registered, with the revision they reached.
    assert!(wait_until(Duration::from_secs(5), || health_value(&a, "replicas") == "a,b").is_some());
    let (ok, status, err) = kindling(&[
        "cluster",
        "status",
        "--etcd-endpoints",
        &etcd.endpoints().join(","),
        "--output",
        "json",
    ]);
    assert!(ok, "{status}{err}");
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["replicas"].as_array().unwrap().len(), 2);
    assert_eq!(status["endpoints"].as_array().unwrap().len(), 3);
    assert!(
        status["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["healthy"] == true)
    );

    // Export gives the directory back byte for byte (plus what was added).
    let out_dir = tmp.path().join("exported");
    let (ok, out, err) = kindling(&[
        "store",
        "export",
        "--data-path",
        &out_dir.display().to_string(),
        "--etcd-endpoints",
        &etcd.endpoints().join(","),
    ]);
    assert!(ok, "{out}{err}");
    let mut expected = tree(&examples());
    let exported: Vec<(String, Vec<u8>)> = tree(&out_dir)
        .into_iter()
        .filter(|(p, _)| !p.contains("fresh"))
        .collect();
    expected.retain(|(p, _)| !p.starts_with("README"));
    assert_eq!(
        exported.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>(),
        expected.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>()
    );
    assert!(exported == expected, "bytes differ after the round trip");
}

/// The replica's watch survives the death of the member it runs on, and
/// a compaction of the history it missed meanwhile: it reads everything
/// again and serves what was written.
#[test]
fn a_replica_follows_after_its_member_dies_and_history_is_compacted() {
    if !available("cluster watch test") {
        return;
    }
    let mut etcd = EtcdCluster::start(3);
    import(&etcd, &examples());
    let a = replica(&etcd, "a", &[]);
    let preferred = health_value(&a, "etcd_preferred");
    let idx = etcd.endpoints().iter().position(|e| *e == preferred).unwrap();
    // Frozen while its member dies and the history it would need goes, so
    // that it must notice both when it wakes.
    let signal = |sig: &str| {
        assert!(
            Command::new("kill")
                .args([sig, &a.pid().to_string()])
                .status()
                .unwrap()
                .success()
        );
    };
    signal("-STOP");
    etcd.kill(idx);
    // Written and compacted through the surviving members, while a's watch
    // is broken and reconnecting.
    let others: Vec<String> = etcd
        .endpoints()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| *i != idx)
        .map(|(_, e)| e)
        .collect();
    // (A new leader may take a moment on a loaded machine: retry.)
    let ctl = |args: &[&str]| {
        let mut last = String::new();
        for _ in 0..10 {
            let out = Command::new("etcdctl")
                .env("ETCDCTL_API", "3")
                .args(["--endpoints", &others.join(",")])
                .args(args)
                .output()
                .unwrap();
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
        }
        panic!("etcdctl {args:?}: {last}");
    };
    for i in 0..20 {
        ctl(&[
            "put",
            &format!("/kindling/config/groups/late{i}.json"),
            &format!(r#"{{"id":"late{i}","profile":"flatcar","selector":{{"os":"late{i}"}}}}"#),
        ]);
    }
    let status = ctl(&["endpoint", "status", "-w", "fields"]);
    let revision: u64 = status
        .lines()
        .find(|l| l.starts_with("\"Revision\""))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    ctl(&["compact", &revision.to_string()]);
    signal("-CONT");
    // The late groups select the installed-Flatcar profile; until they are
    // loaded, the examples' default group answers with the installer.
    let installed = a.get("/ipxe?os=installed").body;
    assert_ne!(a.get("/ipxe?os=late19").body, installed);
    assert!(
        wait_until(Duration::from_secs(15), || a.get("/ipxe?os=late19").body == installed).is_some(),
        "the replica did not catch up; log:\n{}",
        a.log()
    );
    assert_eq!(a.get("/ipxe?os=late0").body, installed);
    assert_ne!(
        health_value(&a, "etcd_preferred"),
        preferred,
        "{}\n{}",
        a.get("/healthz").text(),
        a.log()
    );
    assert!(
        a.log().contains("compaction"),
        "the replica read everything again; log:\n{}",
        a.log()
    );
}

/// Without a quorum: HTTP keeps answering from the last snapshot, /healthz
/// says etcd is unavailable, gRPC writes answer UNAVAILABLE; with the
/// quorum back, writes work again.
#[test]
fn without_quorum_http_answers_and_writes_fail() {
    if !available("cluster quorum test") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut etcd = EtcdCluster::start(3);
    import(&etcd, &examples());
    let certs = certs(tmp.path());
    let flags = rpc_flags(&certs);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let a = replica(&etcd, "a", &flags);
    let rpc = a.wait_service_addr("rpc");
    etcd.kill(0);
    etcd.kill(1);
    assert!(
        wait_until(Duration::from_secs(15), || health_value(&a, "etcd")
            .starts_with("unavailable"))
        .is_some(),
        "{}",
        a.get("/healthz").text()
    );
    assert_eq!(a.get("/ipxe?mac=52-54-00-89-d8-10").status, 200);
    if let Some(stubs) = common::grpc_stubs(&tmp.path().join("stubs")) {
        let answer = grpc_put(&stubs, &rpc, &certs, "nope");
        assert!(answer.starts_with("UNAVAILABLE"), "{answer}");
    }
    assert!(a.log().contains("no quorum"), "said in the log");
    etcd.restart(0);
    etcd.restart(1);
    etcd.wait_ready(Duration::from_secs(30));
    assert!(
        wait_until(Duration::from_secs(15), || health_value(&a, "etcd") == "available").is_some(),
        "{}",
        a.get("/healthz").text()
    );
    if let Some(stubs) = common::grpc_stubs(&tmp.path().join("stubs")) {
        assert_eq!(grpc_put(&stubs, &rpc, &certs, "back"), "OK");
        assert!(a.get("/ipxe?os=back").text().contains("kernel /k-back"));
    }
}
