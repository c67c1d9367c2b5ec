//! The gRPC management API against a client that is not kindling's own:
//! Python's grpcio (Debian's python3-grpcio and python3-grpc-tools), with
//! stubs compiled from crates/rpc/proto, over mutual TLS with certificates
//! from `kindling certs init`. Every RPC, NotFound, InvalidArgument for bad
//! names with nothing written, writes visible over HTTP at once, and
//! connections without a client certificate or with another CA's refused.

mod common;

use std::path::Path;
use std::process::Command;

use common::{BIN, DataDir, PYTHON, Server};

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
    grpcio_client(&[], None);
}

/// With `--compat grpc-status`, the same client sees matchbox's codes:
/// Unknown for every failure but a Select without a match.
#[test]
fn compat_grpc_status_answers_with_matchbox_codes() {
    grpcio_client(&["--compat", "grpc-status"], Some("matchbox-codes"));
}

fn grpcio_client(server_flags: &[&str], mode: Option<&str>) {
    let tmp = tempfile::tempdir().unwrap();
    let (ours, other, stubs) = (
        tmp.path().join("certs"),
        tmp.path().join("other"),
        tmp.path().join("stubs"),
    );
    certs(&other);
    let Some(stubs) = common::grpc_stubs(&stubs) else {
        return;
    };

    // An empty data directory outside the one the Python client could aim at.
    let data = DataDir::new();
    let (s, flags) = rpc_server(tmp.path(), &data, server_flags);
    let rpc = flags[1].clone();
    let client = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grpc/client.py");
    let out = Command::new(PYTHON)
        .arg(&client)
        .arg(&stubs)
        .arg(&rpc)
        .arg(&s.addr)
        .arg(&ours)
        .arg(&other)
        .args(mode)
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

/// A server with fresh certificates in `tmp`; returns it with the client's
/// certificate flags.
fn rpc_server(tmp: &Path, data: &DataDir, extra: &[&str]) -> (Server, Vec<String>) {
    let certs_dir = tmp.join("certs");
    certs(&certs_dir);
    let c = |f: &str| certs_dir.join(f).display().to_string();
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
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .collect::<Vec<_>>(),
    );
    let endpoint = s.wait_service_addr("rpc");
    let flags = vec![
        "--endpoint".into(),
        endpoint,
        "--ca-file".into(),
        c("ca.crt"),
        "--cert-file".into(),
        c("client.crt"),
        "--key-file".into(),
        c("client.key"),
    ];
    (s, flags)
}

fn cli(flags: &[String], args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).args(flags).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `kindling group|profile|ignition|generic create|get|list|delete` as the
/// client, tables by default and JSON on request.
#[test]
fn cli_client_manages_every_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new();
    let (s, flags) = rpc_server(tmp.path(), &data, &[]);
    let file = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let g = file(
        "node1.json",
        r#"{"id":"node1","profile":"fcos","selector":{"mac":"52-54-00-89-D8-10"},"metadata":{"role":"etcd"}}"#,
    );
    let p = file(
        "fcos.json",
        r#"{"id":"fcos","name":"Fedora CoreOS","boot":{"kernel":"/k","initrd":["/i"],"args":["a=b"]}}"#,
    );
    let i = file("fcos.ign", r#"{"ignition":{"version":"3.4.0"}}"#);
    assert!(cli(&flags, &["profile", "create", "-f", &p]).0);
    let (ok, out, err) = cli(&flags, &["group", "create", "-f", &g]);
    assert!(ok, "{err}");
    assert_eq!(out, "group node1 written\n");
    assert!(cli(&flags, &["ignition", "create", "-f", &i]).0);
    assert!(cli(&flags, &["generic", "create", "-f", &i, "--name", "raw"]).0);

    let (_, out, _) = cli(&flags, &["group", "list"]);
    assert_eq!(
        out,
        "ID     NAME  PROFILE  SELECTOR\nnode1        fcos     mac=52:54:00:89:d8:10\n"
    );
    let (_, out, _) = cli(&flags, &["group", "get", "node1", "--output", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metadata"]["role"], "etcd");
    let (_, out, _) = cli(&flags, &["profile", "list"]);
    assert!(
        out.starts_with("ID    NAME           IGNITION  GENERIC  KERNEL\nfcos  Fedora CoreOS"),
        "{out}"
    );
    let (_, out, _) = cli(&flags, &["ignition", "list", "--output", "json"]);
    assert_eq!(serde_json::from_str::<Vec<String>>(&out).unwrap(), ["fcos.ign"]);
    let (_, out, _) = cli(&flags, &["ignition", "get", "fcos.ign"]);
    assert_eq!(out, r#"{"ignition":{"version":"3.4.0"}}"#);
    assert_eq!(
        s.get("/ipxe?mac=52:54:00:89:d8:10").status,
        200,
        "visible over HTTP at once"
    );

    for kind in ["group", "profile", "ignition", "generic"] {
        let name = match kind {
            "group" => "node1",
            "profile" => "fcos",
            "ignition" => "fcos.ign",
            _ => "raw",
        };
        let (ok, out, err) = cli(&flags, &[kind, "delete", name]);
        assert!(ok && out == format!("{name} deleted\n"), "{kind}: {err}");
        let (ok, _, err) = cli(&flags, &[kind, "get", name]);
        assert!(!ok && err.contains("not found:"), "{kind}: {err}");
    }
    let (ok, _, err) = cli(&flags, &["ignition", "create", "-f", &i, "--name", "../escape"]);
    assert!(
        !ok && err.contains("invalid argument: invalid name \"../escape\""),
        "{err}"
    );
    // A client certificate the server does not know.
    let other = tmp.path().join("other");
    certs(&other);
    let mut bad = flags.clone();
    bad[5] = other.join("client.crt").display().to_string();
    bad[7] = other.join("client.key").display().to_string();
    let (ok, _, err) = cli(&bad, &["group", "list"]);
    assert!(!ok, "a foreign client certificate must be refused: {err}");
}

/// 32 writers replace the same group and profile over gRPC for 10 s while
/// 32 readers fetch /ipxe and /metadata over HTTP: every body served is one
/// of the versions written, never a torn or empty one.
#[test]
fn concurrent_writers_and_readers_never_see_a_torn_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = DataDir::new();
    let (s, flags) = rpc_server(tmp.path(), &data, &[]);
    let version = |n: usize| -> (String, String) {
        (
            format!(
                r#"{{"id":"node","profile":"p","selector":{{"mac":"52:54:00:00:00:01"}},"metadata":{{"version":"{n}","padding":"{}"}}}}"#,
                "x".repeat(2000 + n % 7)
            ),
            format!(r#"{{"id":"p","boot":{{"kernel":"/kernel-{n}","initrd":[],"args":["v={n}"]}}}}"#),
        )
    };
    let (g0, p0) = version(0);
    let put = |g: &str, p: &str, tag: &str| {
        let gf = tmp.path().join(format!("g-{tag}.json"));
        let pf = tmp.path().join(format!("p-{tag}.json"));
        std::fs::write(&gf, g).unwrap();
        std::fs::write(&pf, p).unwrap();
        let a = cli(&flags, &["profile", "create", "-f", &pf.display().to_string()]);
        let b = cli(&flags, &["group", "create", "-f", &gf.display().to_string()]);
        assert!(a.0 && b.0, "{} {}", a.2, b.2);
    };
    put(&g0, &p0, "init");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let writes = std::sync::atomic::AtomicUsize::new(0);
    let reads = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..32 {
            let (put, writes) = (&put, &writes);
            scope.spawn(move || {
                let mut n = w + 1;
                while std::time::Instant::now() < deadline {
                    let (g, p) = version(n);
                    put(&g, &p, &format!("{w}"));
                    writes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    n += 32;
                }
            });
        }
        for _ in 0..32 {
            let (s, reads) = (&s, &reads);
            scope.spawn(move || {
                while std::time::Instant::now() < deadline {
                    let ipxe = s.get("/ipxe?mac=52:54:00:00:00:01");
                    assert_eq!(ipxe.status, 200, "{}", ipxe.text());
                    let t = ipxe.text();
                    let kernel = t.lines().nth(1).unwrap_or("");
                    let n: usize = kernel
                        .strip_prefix("kernel /kernel-")
                        .and_then(|r| r.split(' ').next())
                        .and_then(|x| x.parse().ok())
                        .unwrap_or_else(|| panic!("torn /ipxe: {t:?}"));
                    assert_eq!(t, format!("#!ipxe\nkernel /kernel-{n} v={n}\nboot\n"));
                    let meta = s.get("/metadata?mac=52:54:00:00:00:01");
                    assert_eq!(meta.status, 200);
                    let m = meta.text();
                    let v: usize = m
                        .lines()
                        .find_map(|l| l.strip_prefix("VERSION="))
                        .and_then(|x| x.parse().ok())
                        .unwrap_or_else(|| panic!("torn /metadata: {m:?}"));
                    assert!(
                        m.contains(&format!("PADDING={}", "x".repeat(2000 + v % 7))),
                        "torn metadata for version {v}"
                    );
                    reads.fetch_add(2, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    let (w, r) = (writes.into_inner(), reads.into_inner());
    assert!(w >= 32 && r >= 64, "too little happened: {w} writes, {r} reads");
    eprintln!("concurrency: {w} group+profile writes, {r} HTTP reads, every body whole");
}
