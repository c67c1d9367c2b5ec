//! The server as an operator runs it: matchbox-style flags and environment,
//! edits on disk served without a restart, health and metrics, shutdown.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{BIN, DataDir, Server, wait_until};

#[test]
fn edit_on_disk_takes_effect_without_restart() {
    let data = DataDir::new();
    data.write("groups/d.json", r#"{"profile":"p"}"#);
    data.write("profiles/p.json", r#"{"id":"p","boot":{"kernel":"/old"}}"#);
    let s = Server::start(data.path(), &[]);
    assert!(s.get("/ipxe").text().contains("kernel /old"));

    data.write("profiles/p.json", r#"{"id":"p","boot":{"kernel":"/new"}}"#);
    let took = wait_until(Duration::from_secs(10), || {
        s.get("/ipxe").text().contains("kernel /new")
    });
    let took = took.expect("the edited profile was never served");
    eprintln!("profile edit served after {took:?}");

    // A new group file, and a deleted one.
    data.write("profiles/q.json", r#"{"id":"q","boot":{"kernel":"/q"}}"#);
    data.write("groups/q.json", r#"{"profile":"q","selector":{"os":"q"}}"#);
    wait_until(Duration::from_secs(10), || {
        s.get("/ipxe?os=q").text().contains("kernel /q")
    })
    .expect("new group");
    std::fs::remove_file(data.join("groups/q.json")).unwrap();
    wait_until(Duration::from_secs(10), || {
        s.get("/ipxe?os=q").text().contains("kernel /new")
    })
    .expect("deleted group");

    // A groups directory created after start.
    let empty = DataDir::new();
    std::fs::remove_dir(empty.join("groups")).unwrap();
    let s2 = Server::start(empty.path(), &[]);
    assert_eq!(s2.get("/metadata").reason(), "groups-unavailable");
    empty.write("groups/d.json", r#"{"profile":"p"}"#);
    wait_until(Duration::from_secs(10), || s2.get("/metadata").status == 200).expect("groups dir created later");
}

#[test]
fn go_style_flags_and_environment() {
    let data = DataDir::new().with_fixture();
    // matchbox's container form: no subcommand, single-dash flags.
    let s = Server::spawn(
        Command::new(BIN)
            .arg("-address=127.0.0.1:0")
            .arg(format!("-data-path={}", data.path().display()))
            .arg("-assets-path=")
            .arg("-log-level=debug"),
    );
    assert_eq!(s.get("/ipxe?uuid=a1b2c3d4").status, 200);
    // Everything from the environment, as the systemd unit and k8s manifests do.
    let s = Server::spawn(
        Command::new(BIN)
            .env("MATCHBOX_ADDRESS", "127.0.0.1:0")
            .env("MATCHBOX_DATA_PATH", "/nonexistent")
            .env("KINDLING_DATA_PATH", data.path())
            .env("KINDLING_ASSETS_PATH", data.join("groups"))
            .env("MATCHBOX_LOG_LEVEL", "warning")
            .env("KINDLING_MATCHBOX_EXACT", "true"),
    );
    // KINDLING_ beat MATCHBOX_ for the data path; matchbox-exact is on.
    assert_eq!(s.get("/nope").text(), "404 page not found\n");
    assert_eq!(s.get("/ipxe?uuid=a1b2c3d4").status, 200);
}

#[test]
fn fatal_configuration_errors_are_clear() {
    let out = Command::new(BIN)
        .args(["-data-path=/nonexistent/kindling", "-address=127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("A valid -data-path is required"), "{err}");
    let data = DataDir::new();
    let out = Command::new(BIN)
        .args(["serve", "--address=127.0.0.1:0", "--assets-path=/nonexistent/assets"])
        .arg(format!("--data-path={}", data.path().display()))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Provide a valid -assets-path or '' to disable asset serving")
    );
    let out = Command::new(BIN)
        .env("MATCHBOX_LOG_LEVEL", "critical")
        .arg(format!("-data-path={}", data.path().display()))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid log-level"));
    let out = Command::new(BIN).args(["-bogus-flag=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["--compat", "nonsense", "-assets-path="])
        .arg(format!("-data-path={}", data.path().display()))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown compatibility switch"));
}

#[test]
fn help_and_version() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && help.contains("serve") && help.contains("validate") && help.contains("render"),
        "{help}"
    );
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--data-path") && help.contains("--compat") && help.contains("--address"),
        "{help}"
    );
    let out = Command::new(BIN).arg("-version").output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn healthz_and_metrics() {
    let data = DataDir::new().with_fixture();
    let s = Server::start(data.path(), &[]);
    let r = s.get("/healthz");
    assert_eq!(r.status, 200);
    assert!(
        r.text().starts_with("ok\n") && r.text().contains("groups 1\n"),
        "{}",
        r.text()
    );
    s.get("/ipxe?uuid=a1b2c3d4");
    s.get("/ipxe?uuid=nope");
    let m = s.get("/metrics").text();
    assert!(
        m.contains("kindling_http_requests_total{route=\"/ipxe\",status=\"200\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("kindling_http_requests_total{route=\"/ipxe\",status=\"404\"} 1"),
        "{m}"
    );
    assert!(m.contains("kindling_selection_misses_total{route=\"/ipxe\"} 1"), "{m}");
    assert!(m.contains("kindling_snapshot_reloads_total 1"), "{m}");
    assert!(m.contains("kindling_groups 1"), "{m}");
}

#[test]
fn sigterm_drains_and_exits_cleanly() {
    let data = DataDir::new().with_fixture();
    let s = Server::start(data.path(), &[]);
    assert_eq!(s.get("/").status, 200);
    assert_eq!(s.terminate(), Some(0));
}

#[test]
fn curl_over_one_kept_alive_connection() {
    // A real client: curl reuses one connection for several URLs, which
    // exercises keep-alive and response framing, and checks the bytes.
    let data = DataDir::new().with_fixture();
    let s = Server::start(data.path(), &[]);
    let base = format!("http://{}", s.addr);
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body", "-w", "|%{http_code}|%{num_connects}\n"])
        .arg(format!("{base}/boot.ipxe"))
        .arg(format!("{base}/ipxe?uuid=a1b2c3d4"))
        .arg(format!("{base}/grub?uuid=a1b2c3d4"))
        .output()
        .expect("curl is installed (.ci/run installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("#!ipxe\nchain ipxe?uuid=${uuid}"), "{text}");
    assert!(
        text.contains(
            "#!ipxe\nkernel /image/kernel a=b c\ninitrd /image/initrd_a\ninitrd /image/initrd_b\nboot\n|200|0\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("}\n|200|0\n"), "{text}");
    // One TCP connection for all three: the later transfers report 0 new connects.
    assert_eq!(text.matches("|200|1\n").count(), 1, "{text}");
}
