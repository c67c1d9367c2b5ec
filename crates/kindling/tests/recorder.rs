//! The flight recorder through the real binary: boots told by `kindling
//! explain` and `/api/machines` (a configured machine stage by stage; an
//! unknown one with its reason and the nearest group), history that
//! survives a restart, redacted queries kept redacted, and, in network
//! namespaces, a real DHCP client, TFTP client and HTTP client tied to one
//! machine by its address.

mod common;

use std::process::Command;
use std::time::Duration;

use common::netns::{Lab, available, have};
use common::{BIN, DataDir, Server, wait_until};

fn data() -> DataDir {
    let d = DataDir::new();
    d.write(
        "groups/worker.json",
        r#"{"id":"worker","profile":"w","selector":{"os":"installed","region":"a"}}"#,
    );
    d.write(
        "groups/node1.json",
        r#"{"id":"node1","profile":"w","selector":{"mac":"52:54:00:89:d8:10"}}"#,
    );
    d.write(
        "profiles/w.json",
        r#"{"id":"w","boot":{"kernel":"/assets/w/vmlinuz","initrd":["/assets/w/initrd.img"]},"generic_id":"g.tmpl"}"#,
    );
    d.write("generic/g.tmpl", "hello\n");
    d
}

fn explain(addr: &str, id: &str) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["explain", id, "--address", addr, "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "explain {id}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The last boot's stages, in stage order, checked to have been reached in
/// that order in time too.
fn stages(m: &serde_json::Value) -> Vec<String> {
    let boot = m["boots_detail"].as_array().unwrap().last().unwrap().clone();
    let s: Vec<(u64, String)> = boot["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["at"].as_u64().unwrap(), s["stage"].as_str().unwrap().to_owned()))
        .collect();
    assert!(
        s.windows(2).all(|w| w[0].0 <= w[1].0),
        "stages out of time order: {s:?}"
    );
    s.into_iter().map(|(_, n)| n).collect()
}

#[test]
fn boots_are_told_stage_by_stage_and_survive_a_restart() {
    let d = data();
    let assets = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(assets.path().join("w")).unwrap();
    std::fs::write(assets.path().join("w/vmlinuz"), b"kernel").unwrap();
    std::fs::write(assets.path().join("w/initrd.img"), b"initrd").unwrap();
    let history = tempfile::tempdir().unwrap();
    let file = history.path().join("recorder.redb");
    let flags = |file: &std::path::Path| {
        vec![
            format!("--assets-path={}", assets.path().display()),
            format!("--recorder-file={}", file.display()),
        ]
    };
    let f = flags(&file);
    let s = Server::start(d.path(), &f.iter().map(String::as_str).collect::<Vec<_>>());
    // A machine's boot over HTTP as iPXE makes it.
    for target in [
        "/boot.ipxe",
        "/ipxe?uuid=a1b2c3d4-0000-0000-0000-000000000001&mac=52-54-00-89-d8-10",
        "/assets/w/vmlinuz",
        "/assets/w/initrd.img",
        "/generic?uuid=a1b2c3d4-0000-0000-0000-000000000001&mac=52-54-00-89-d8-10",
    ] {
        assert_eq!(s.get(target).status, 200, "{target}");
    }
    // An unknown machine.
    assert_eq!(s.get("/ipxe?mac=52-54-00-00-00-77&os=live&region=a").status, 404);
    // The same request again (a client retrying) is counted, not stored twice.
    for _ in 0..2 {
        assert_eq!(s.get("/ipxe?mac=52-54-00-00-00-77&os=live&region=a").status, 404);
    }
    assert!(
        wait_until(Duration::from_secs(5), || {
            s.get("/api/machines").text().contains("52:54:00:00:00:77")
        })
        .is_some()
    );
    let m = explain(&s.addr, "52:54:00:89:d8:10");
    assert_eq!(stages(&m), ["script", "kernel", "initrd", "config"]);
    assert_eq!(m["state"], "configured");
    assert_eq!(m["group"], "node1.json");
    // The UUID and the address lead to it too.
    assert_eq!(
        explain(&s.addr, "A1B2C3D4-0000-0000-0000-000000000001")["mac"],
        "52:54:00:89:d8:10"
    );
    let unknown = explain(&s.addr, "52-54-00-00-00-77");
    assert_eq!(unknown["state"], "failed");
    assert_eq!(last_event(&unknown)["repeats"], 2, "{unknown}");
    assert_eq!(unknown["reason"], "no-matching-group");
    let advice = unknown["advice"].as_str().unwrap();
    assert!(
        advice.contains("`worker`") && advice.contains("os=installed (it sent os=live)"),
        "{advice}"
    );
    // The text form says what to do, and exits 3 for a failed machine.
    let out = Command::new(BIN)
        .args(["explain", "52:54:00:00:00:77", "--address", &s.addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("what to do: no group matches"));
    let list = Command::new(BIN)
        .args(["machines", "--address", &s.addr, "--state", "failed"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&list.stdout);
    assert!(
        table.contains("52:54:00:00:00:77") && !table.contains("52:54:00:89:d8:10"),
        "{table}"
    );

    // After a restart on the same file, the history is back.
    assert_eq!(s.terminate(), Some(0));
    let s = Server::start(d.path(), &f.iter().map(String::as_str).collect::<Vec<_>>());
    let m = explain(&s.addr, "52:54:00:89:d8:10");
    assert_eq!(stages(&m), ["script", "kernel", "initrd", "config"]);
    let unknown = explain(&s.addr, "52:54:00:00:00:77");
    assert_eq!(unknown["reason"], "no-matching-group");
    assert_eq!(last_event(&unknown)["repeats"], 2, "{unknown}");
}

fn last_event(m: &serde_json::Value) -> &serde_json::Value {
    let boots = m["boots_detail"].as_array().expect("boots");
    let events = boots.last().expect("a boot")["events"].as_array().expect("events");
    events.last().expect("an event")
}

#[test]
fn redacted_queries_stay_redacted_and_the_ui_can_be_turned_off() {
    let d = data();
    let history = tempfile::tempdir().unwrap();
    let file = format!("--recorder-file={}", history.path().join("r.redb").display());
    let s = Server::start(d.path(), &["--redact-queries", &file, "--ui=false"]);
    assert_eq!(s.get("/ipxe?mac=52-54-00-89-d8-10&hostname=secret-host").status, 200);
    // With values hidden, an HTTP request names no machine by itself (only
    // an address a DHCP exchange linked would), and nothing leaks.
    std::thread::sleep(Duration::from_millis(300));
    let body = s.get("/api/machines").text();
    assert!(
        !body.contains("secret-host") && !body.contains("52:54:00:89:d8:10"),
        "{body}"
    );
    assert_eq!(s.get("/ui/").status, 404);
    assert_eq!(s.get("/ui/").reason(), "ui-disabled");
    // Recording off: the API says so.
    let off = Server::start(d.path(), &["--recorder=false"]);
    assert_eq!(off.get("/api/machines").reason(), "recorder-disabled");
}

/// udhcpc (DHCP), tftp-hpa (TFTP) and curl (HTTP) from one client
/// namespace: the recorder ties the TFTP transfer and the HTTP requests,
/// which carry no MAC, to the machine whose DHCP exchange gave the address.
#[test]
fn a_real_dhcp_tftp_and_http_client_make_one_machine() {
    if !available("recorder namespace test") || !have("udhcpc") || !have("tftp") || !have("curl") {
        return;
    }
    let mut lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let tftp_root = dir.path().join("tftp");
    std::fs::create_dir_all(&tftp_root).unwrap();
    std::fs::write(tftp_root.join("boot.bin"), vec![7u8; 3000]).unwrap();
    let config = lab.full_dhcp_config("");
    let recorder_file = format!("--recorder-file={}", dir.path().join("r.redb").display());
    let s = lab.start_kindling(
        dir.path(),
        &config,
        &[
            "--tftp",
            "--tftp-address",
            &format!("{}:69", lab.server_ip()),
            "--tftp-root",
            &tftp_root.display().to_string(),
            &recorder_file,
        ],
    );
    let client = lab.udhcpc(dir.path(), &[]);
    let ip = client.wait_bound();
    let mac = std::fs::read_to_string(format!("/sys/class/net/{}/address", lab.client_if))
        .ok()
        .unwrap_or_default();
    // The client's MAC, read inside its namespace.
    let mac = if mac.is_empty() {
        let out = Lab::cmd(&lab.client_ns, "cat")
            .arg(format!("/sys/class/net/{}/address", lab.client_if))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    } else {
        mac.trim().to_owned()
    };
    let got = lab
        .in_client("tftp")
        .args([&lab.server_ip(), "-c", "get", "boot.bin", "/dev/null"])
        .output()
        .unwrap();
    assert!(got.status.success(), "tftp: {}", String::from_utf8_lossy(&got.stderr));
    let out = lab
        .in_client("curl")
        .args(["-s", "-o", "/dev/null"])
        .arg(format!("http://{}/boot.ipxe", s.addr))
        .output()
        .unwrap();
    assert!(out.status.success());
    let server_ip = lab.server_ip();
    let explain_in_ns = || {
        let out = lab
            .in_server(BIN)
            .args([
                "explain",
                &mac,
                "--address",
                &format!("{server_ip}:8080"),
                "--output",
                "json",
            ])
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()
    };
    let mut m = serde_json::Value::Null;
    wait_until(Duration::from_secs(5), || {
        m = explain_in_ns();
        m["boots_detail"].is_array() && stages(&m).len() == 3
    });
    assert_eq!(stages(&m), ["dhcp", "boot-program", "script"], "{m:#}");
    assert_eq!(m["ips"][0], ip.as_str());
    let events: Vec<String> = m["boots_detail"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        events.iter().any(|e| e.starts_with("TFTP boot.bin: 3000 bytes")),
        "{events:?}"
    );
}
