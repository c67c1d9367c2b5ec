//! `kindling validate` and `kindling render` on real directories.

mod common;

use std::process::Command;

use common::{BIN, DataDir};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_reports_every_problem() {
    let data = DataDir::new();
    data.write("groups/good.json", r#"{"profile":"p","selector":{"os":"x"}}"#);
    data.write("groups/twin.json", r#"{"profile":"p","selector":{"os":"x"}}"#);
    data.write("groups/bad-json.json", r#"{"profile":"p",}"#);
    data.write("groups/bad-mac.json", r#"{"profile":"p","selector":{"mac":"zz"}}"#);
    data.write("groups/orphan.json", r#"{"profile":"missing","selector":{"os":"y"}}"#);
    data.write("groups/README.md", "not a group");
    data.write(
        "profiles/p.json",
        r#"{"id":"p","boot":{"kernel":"/k"},"generic_id":"gone.tmpl","cloud_id":"bad.tmpl"}"#,
    );
    data.write("cloud/bad.tmpl", "{{ if }}");
    let path = data.path().display().to_string();
    let (code, out, _) = run(&["validate", "--data-path", &path]);
    assert_eq!(code, 1, "{out}");
    for needle in [
        "groups/bad-json.json",
        "groups/bad-mac.json",
        "invalid MAC address",
        "groups/orphan.json",
        "profiles/missing.json does not exist",
        "identical selector os=x",
        "generic/gone.tmpl does not exist",
        "cloud/bad.tmpl",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(!out.contains("README"), "{out}");
    let (code, json, _) = run(&["validate", "--data-path", &path, "--output", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["errors"].as_u64().unwrap() >= 5, "{json}");
}

#[test]
fn validate_passes_the_examples() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data");
    let (code, out, _) = run(&["validate", "--data-path", examples]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 errors"), "{out}");
}

#[test]
fn render_prints_the_body_or_the_reason() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data");
    let (code, out, err) = run(&[
        "render",
        "--data-path",
        examples,
        "--endpoint",
        "ipxe",
        "--query",
        "mac=52-54-00-89-d8-10",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("#!ipxe\nkernel /assets/fedora-coreos/"), "{out}");
    assert!(
        err.contains("groups/node1.json") && err.contains("profiles/fedora-coreos.json"),
        "{err}"
    );
    // One selector each: "os=installed" sorts above "mac=…", so the
    // installed group wins when a machine sends both (matchbox's order).
    let (code, out, err) = run(&[
        "render",
        "--data-path",
        examples,
        "--endpoint",
        "ipxe",
        "--query",
        "mac=52-54-00-89-d8-10&os=installed",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("flatcar.autologin") && err.contains("groups/installed.json"),
        "{out}{err}"
    );
    let (code, out, _) = run(&[
        "render",
        "--data-path",
        examples,
        "--endpoint",
        "ipxe",
        "--query",
        "os=installed",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("flatcar.autologin"), "{out}");
    let (code, out, _) = run(&[
        "render",
        "--data-path",
        examples,
        "--endpoint",
        "generic",
        "--query",
        "mac=52:54:00:89:d8:10",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "HOSTNAME=node1.example.com\nETCD_NAME=node1\nPOD_NETWORK=10.2.0.0/16\nREPLICAS=3\nMAC=52:54:00:89:d8:10\n"
    );

    let data = DataDir::new();
    data.write("groups/only.json", r#"{"profile":"p","selector":{"os":"installed"}}"#);
    let path = data.path().display().to_string();
    let (code, out, err) = run(&[
        "render",
        "--data-path",
        &path,
        "--endpoint",
        "ipxe",
        "--query",
        "mac=52-54-00-89-d8-10",
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("404") && err.contains("no-matching-group") && err.contains("mac=52:54:00:89:d8:10"),
        "{err}"
    );
}

/// Butane templates are checked per group: rendered with the group's
/// selector as the query and translated; a bad field is an error naming it,
/// a template that needs more of the request is only a warning. `render`
/// prints the translated config.
#[test]
fn validate_and_render_translate_butane() {
    let data = DataDir::new();
    data.write(
        "groups/node1.json",
        r#"{"profile":"fcos","selector":{"mac":"52:54:00:00:00:01"},"metadata":{"hostname":"node1"}}"#,
    );
    data.write(
        "groups/node2.json",
        r#"{"profile":"needs-query","selector":{"mac":"52:54:00:00:00:02"}}"#,
    );
    data.write("profiles/fcos.json", r#"{"id":"fcos","ignition_id":"fcos.bu"}"#);
    data.write(
        "profiles/needs-query.json",
        r#"{"id":"needs-query","ignition_id":"query.bu"}"#,
    );
    data.write(
        "ignition/fcos.bu",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: {{.hostname}}\n",
    );
    data.write(
        "ignition/query.bu",
        "variant: fcos\nversion: 1.5.0\n# {{.request.query.os}}\n",
    );
    let path = data.path().display().to_string();
    let (code, out, _) = run(&["validate", "--data-path", &path]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: ignition/query.bu: as rendered for groups/node2.json"),
        "{out}"
    );

    let (code, out, err) = run(&[
        "render",
        "--data-path",
        &path,
        "--endpoint",
        "ignition",
        "--query",
        "mac=52:54:00:00:00:01",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(r#""path":"/etc/hostname""#) && out.contains(r#""source":"data:,node1""#),
        "{out}"
    );

    data.write(
        "ignition/fcos.bu",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/hostname\n      mode: rw\n",
    );
    let (code, out, _) = run(&["validate", "--data-path", &path]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error: ignition/fcos.bu: as rendered for groups/node1.json (query \"mac=52:54:00:00:00:01\"): butane-invalid:"),
        "{out}"
    );
    assert!(
        out.contains("storage.files.0.mode (line 6, column 13): expected an integer, found \"rw\""),
        "{out}"
    );
}

/// The README's quick-start requests answer as their comments say: 2xx,
/// or, where the comment promises a failure, 404 with the reason header.
#[test]
fn the_readme_quick_start_examples_answer_as_they_say() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/data");
    let s = common::Server::start(std::path::Path::new(examples), &["--recorder=false"]);
    let mut checked = 0;
    for line in readme.lines().filter(|l| l.starts_with("curl ")) {
        let Some(url) = line
            .split('\'')
            .nth(1)
            .filter(|u| u.starts_with("http://127.0.0.1:8080/"))
        else {
            continue;
        };
        let target = &url["http://127.0.0.1:8080".len()..];
        let comment = line.split_once('#').map(|(_, c)| c).unwrap_or("");
        let r = s.get(target);
        if comment.contains("404") || comment.contains("X-Kindling-Reason") {
            assert_eq!(r.status, 404, "{line}");
            assert!(r.header("X-Kindling-Reason").is_some(), "{line}: no reason header");
        } else {
            assert!((200..300).contains(&r.status), "{line}: {}", r.status);
        }
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} quick-start requests found in README.md");
}

#[test]
fn import_dnsmasq_writes_toml_and_lists_what_it_lost() {
    let seed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dnsmasq-import/tests/seed/pxe-dhcp.conf"
    );
    let (code, out, err) = run(&["import", "dnsmasq", seed]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("[[dhcp.class]]\nname = \"bios\""), "{out}");
    assert!(err.contains("every option carried over"), "{err}");

    // Flags after --, to a file.
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("k.toml");
    let (code, out, err) = run(&[
        "import",
        "dnsmasq",
        "-o",
        toml.to_str().unwrap(),
        "--",
        "-d",
        "--dhcp-range=10.9.0.10,10.9.0.20,255.255.255.0,2h",
        "--dhcp-boot=pxelinux.0",
        "--dhcp-script=/bin/true",
    ]);
    assert_eq!(code, 1, "one option is lost: {err}");
    assert!(out.is_empty());
    assert!(
        err.contains("argument 4: dhcp-script=/bin/true: kindling has no equivalent"),
        "{err}"
    );
    let written = std::fs::read_to_string(&toml).unwrap();
    assert!(written.contains("lease_time = \"2h\""), "{written}");
    let (code, out, _) = run(&["validate", "--config", toml.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid (1 subnets, 0 hosts, 1 classes"), "{out}");

    // Errors: nothing to import, a missing file.
    let (code, _, err) = run(&["import", "dnsmasq"]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing to import"), "{err}");
    let (code, _, err) = run(&["import", "dnsmasq", "/nonexistent/dnsmasq.conf"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/dnsmasq.conf"), "{err}");
}

#[test]
fn validate_checks_a_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[dhcp]\nmode = \"ful\"\n[[dhcp.class]]\nname = \"x\"\n").unwrap();
    let (code, out, _) = run(&["validate", "--config", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("bad.toml:2:8: dhcp.mode: unknown mode \"ful\""), "{out}");
    assert!(out.contains("dhcp.class[0].match: missing key `match`"), "{out}");
    assert!(out.contains("2 errors"), "{out}");
    let (code, out, _) = run(&["validate", "--config", bad.to_str().unwrap(), "--output", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
}
