//! The compatibility contract's HTTP examples against the real binary:
//! byte-exact bodies, statuses and content types.

mod common;

use std::time::Duration;

use common::{DataDir, Server, wait_until};

const BOOT_IPXE: &str = "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n";
const TEXT: &str = "text/plain; charset=utf-8";

#[test]
fn root_and_bootstrap() {
    let data = DataDir::new();
    let s = Server::start(data.path(), &[]);
    let r = s.get("/");
    assert_eq!(
        (r.status, r.text().as_str(), r.content_type()),
        (200, "matchbox\n", TEXT)
    );
    for path in ["/boot.ipxe", "/boot.ipxe.0", "/boot.ipxe?mac=anything"] {
        let r = s.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.text(), BOOT_IPXE, "{path}");
        assert_eq!(r.content_type(), TEXT);
    }
}

#[test]
fn ipxe_and_grub_goldens() {
    let data = DataDir::new().with_fixture();
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ipxe?uuid=a1b2c3d4");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), TEXT);
    assert_eq!(
        r.text(),
        "#!ipxe\nkernel /image/kernel a=b c\ninitrd /image/initrd_a\ninitrd /image/initrd_b\nboot\n"
    );
    let r = s.get("/grub?uuid=a1b2c3d4");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), TEXT);
    assert_eq!(
        r.text(),
        "default=0\nfallback=1\ntimeout=1\nmenuentry \"CoreOS (EFI)\" {\necho \"Loading kernel\"\nlinuxefi \"/image/kernel\" a=b c\necho \"Loading initrd\"\ninitrdefi  \"/image/initrd_a\" \"/image/initrd_b\"\n}\nmenuentry \"CoreOS (BIOS)\" {\necho \"Loading kernel\"\nlinux \"/image/kernel\" a=b c\necho \"Loading initrd\"\ninitrd  \"/image/initrd_a\" \"/image/initrd_b\"\n}\n"
    );
    // Header names are spelled as Go spells them: GRUB 2.06's http module
    // compares "Content-Length: " byte for byte and, without it, reads the
    // config as empty (found by the uefi-grub machine of scripts/lab).
    let len = r.body.len();
    for line in [
        "Content-Type: text/plain; charset=utf-8".to_owned(),
        format!("Content-Length: {len}"),
    ] {
        assert!(r.head.contains(&format!("\r\n{line}")), "{line:?} not in {:?}", r.head);
    }
}

#[test]
fn fedora_coreos_example_ipxe() {
    let data = DataDir::new();
    data.write(
        "groups/default.json",
        r#"{"id":"default","profile":"fedora-coreos","selector":{}}"#,
    );
    data.write(
        "profiles/fedora-coreos.json",
        r#"{"id":"fedora-coreos","name":"Fedora CoreOS","boot":{"kernel":"/assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-kernel-x86_64","initrd":["--name main /assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-initramfs.x86_64.img"],"args":["initrd=main","coreos.live.rootfs_url=http://matchbox.example.com:8080/assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-rootfs.x86_64.img","ignition.firstboot","ignition.platform.id=metal","ignition.config.url=http://matchbox.example.com:8080/ignition?uuid=${uuid}&mac=${mac:hexhyp}"]},"ignition_id":"fedora-coreos.ign"}"#,
    );
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ipxe?uuid=&mac=52-54-00-00-00-01&domain=&hostname=&serial=&arch=x86_64");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "#!ipxe\nkernel /assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-kernel-x86_64 initrd=main coreos.live.rootfs_url=http://matchbox.example.com:8080/assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-rootfs.x86_64.img ignition.firstboot ignition.platform.id=metal ignition.config.url=http://matchbox.example.com:8080/ignition?uuid=${uuid}&mac=${mac:hexhyp}\ninitrd --name main /assets/fedora-coreos/fedora-coreos-36.20220906.3.2-live-initramfs.x86_64.img\nboot\n"
    );
}

fn metadata_fixture() -> DataDir {
    let data = DataDir::new();
    data.write(
        "groups/node.json",
        r#"{"id":"node","profile":"p","selector":{"mac":"52:54:00:a1:9c:ae"},"metadata":{"meta":"data", "etcd":{"name":"node1"},"some":{"nested":{"data":"some-value"}}}}"#,
    );
    data
}

#[test]
fn metadata_golden() {
    let data = metadata_fixture();
    let s = Server::start(data.path(), &[]);
    let r = s.get("/metadata?mac=52-54-00-a1-9c-ae&foo=bar&count=3&gate=true");
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), TEXT);
    // kindling sorts the lines by key path (D10); matchbox's order is random.
    assert_eq!(
        r.text(),
        "ETCD_NAME=node1\nMAC=52:54:00:a1:9c:ae\nMETA=data\nREQUEST_QUERY_COUNT=3\nREQUEST_QUERY_FOO=bar\nREQUEST_QUERY_GATE=true\nREQUEST_QUERY_MAC=52:54:00:a1:9c:ae\nREQUEST_RAW_QUERY=mac=52-54-00-a1-9c-ae&foo=bar&count=3&gate=true\nSOME_NESTED_DATA=some-value\n"
    );
}

#[test]
fn metadata_content_type_quirk() {
    let data = metadata_fixture();
    let s = Server::start(data.path(), &["--compat", "metadata-content-type"]);
    let r = s.get("/metadata?mac=52:54:00:a1:9c:ae");
    assert_eq!((r.status, r.content_type()), (200, "plain/text"));
}

#[test]
fn metadata_number_and_bool_formatting() {
    let data = DataDir::new();
    data.write(
        "groups/d.json",
        r#"{"profile":"p","metadata":{"num":3,"big":1000000,"yes":true,"no":false,"list":[1,2],"nothing":null}}"#,
    );
    let s = Server::start(data.path(), &[]);
    let r = s.get("/metadata");
    assert_eq!(r.text(), "BIG=1e+06\nNO=false\nNUM=3\nREQUEST_RAW_QUERY=\nYES=true\n");
}

#[test]
fn label_parsing_cases() {
    let data = DataDir::new();
    data.write("groups/d.json", r#"{"profile":"p"}"#);
    let s = Server::start(data.path(), &[]);
    let q = |query: &str| s.get(&format!("/metadata?{query}")).text();
    assert!(q("mac=52-da-00-89-d8-10").contains("REQUEST_QUERY_MAC=52:da:00:89:d8:10\n"));
    let both = q("UUID=a1b2c3&MAC=52:DA:00:89:d8:10");
    assert!(
        both.contains("REQUEST_QUERY_UUID=a1b2c3\n") && both.contains("REQUEST_QUERY_MAC=52:da:00:89:d8:10\n"),
        "{both}"
    );
    let bad = q("mac=x:x:x:x:x:x");
    assert!(!bad.contains("REQUEST_QUERY_MAC"), "{bad}");
    // The log line is written by the server and read by another thread: poll.
    assert!(
        wait_until(Duration::from_secs(5), || s
            .log()
            .contains("ignoring unparseable MAC address"))
        .is_some()
    );
    // First value wins; pairs with ';' are dropped; '+' is a space.
    let t = q("a=1&a=2&b=x;y&c=x+y");
    assert!(
        t.contains("REQUEST_QUERY_A=1\n") && !t.contains("REQUEST_QUERY_B") && t.contains("REQUEST_QUERY_C=x y\n"),
        "{t}"
    );
}

fn selection_data() -> DataDir {
    let data = DataDir::new();
    for (name, kernel) in [
        ("install", "/install"),
        ("installed", "/installed"),
        ("node1", "/node1"),
        ("node1-installed", "/node1-installed"),
        ("by-uuid", "/by-uuid"),
    ] {
        data.write(
            &format!("profiles/{name}.json"),
            &format!(r#"{{"id":"{name}","boot":{{"kernel":"{kernel}"}}}}"#),
        );
    }
    data.write("groups/install.json", r#"{"id":"stage-0","profile":"install"}"#);
    data.write(
        "groups/installed.json",
        r#"{"id":"stage-1","profile":"installed","selector":{"os":"installed"}}"#,
    );
    data.write(
        "groups/node1.json",
        r#"{"profile":"node1","selector":{"mac":"52:54:00:89:d8:10"}}"#,
    );
    data.write(
        "groups/node1-installed.json",
        r#"{"profile":"node1-installed","selector":{"mac":"52-54-00-89-D8-10","os":"installed"}}"#,
    );
    data.write("groups/uuid.json", r#"{"profile":"by-uuid","selector":{"uuid":"u1"}}"#);
    data
}

fn kernel_of(s: &Server, query: &str) -> String {
    let r = s.get(&format!("/ipxe?{query}"));
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    r.text()
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("kernel ")
        .to_owned()
}

#[test]
fn selection_order_cases() {
    let data = selection_data();
    let s = Server::start(data.path(), &[]);
    assert_eq!(kernel_of(&s, ""), "/install");
    assert_eq!(kernel_of(&s, "mac=52:54:00:00:00:99"), "/install");
    assert_eq!(kernel_of(&s, "os=installed"), "/installed");
    assert_eq!(kernel_of(&s, "mac=52-54-00-89-d8-10"), "/node1");
    assert_eq!(kernel_of(&s, "mac=52-54-00-89-d8-10&os=installed"), "/node1-installed");
    // Same selector count: "uuid=u1" > "mac=…", so the uuid group is tried first.
    assert_eq!(kernel_of(&s, "mac=52-54-00-89-d8-10&uuid=u1"), "/by-uuid");
    // Keys are case-sensitive: OS=installed is not os=installed.
    assert_eq!(kernel_of(&s, "OS=installed"), "/install");
}

#[test]
fn identical_selectors_pick_first_file_and_warn() {
    let data = DataDir::new();
    data.write("profiles/a.json", r#"{"id":"a","boot":{"kernel":"/a"}}"#);
    data.write("profiles/b.json", r#"{"id":"b","boot":{"kernel":"/b"}}"#);
    data.write("groups/b-default.json", r#"{"profile":"b"}"#);
    data.write("groups/a-default.json", r#"{"profile":"a","selector":{}}"#);
    let s = Server::start(data.path(), &[]);
    assert_eq!(kernel_of(&s, ""), "/a");
    assert!(s.log().contains("identical selector"), "{}", s.log());
}

#[test]
fn no_match_and_missing_profile_are_404_with_reasons() {
    let data = selection_data();
    std::fs::remove_file(data.join("groups/install.json")).unwrap();
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ipxe?mac=52:54:00:00:00:99");
    assert_eq!(r.status, 404);
    assert_eq!(r.reason(), "no-matching-group");
    assert!(r.header("x-kindling-detail").unwrap().contains("mac=52:54:00:00:00:99"));
    assert!(r.text().starts_with("no-matching-group: "));
    let logged = || s.log().contains("reason=\"no-matching-group\"") || s.log().contains("reason=no-matching-group");
    assert!(wait_until(Duration::from_secs(5), logged).is_some(), "{}", s.log());
}

#[test]
fn missing_profile_does_not_fall_through_to_the_next_group() {
    // The default group would match too; matchbox stops at the first match.
    let data = selection_data();
    data.write("groups/broken.json", r#"{"profile":"nope","selector":{"os":"broken"}}"#);
    let s = Server::start(data.path(), &[]);
    assert_eq!(kernel_of(&s, "os=other"), "/install");
    let r = s.get("/ipxe?os=broken");
    assert_eq!((r.status, r.reason()), (404, "profile-not-found"));
    assert!(r.text().contains("profiles/nope.json"), "{}", r.text());
}

#[test]
fn bare_404_quirk_matches_matchbox_bytes() {
    let data = DataDir::new();
    let s = Server::start(data.path(), &["--compat=bare-404"]);
    let r = s.get("/ipxe?mac=52:54:00:00:00:99");
    assert_eq!(r.status, 404);
    assert_eq!(r.text(), "404 page not found\n");
    assert_eq!(r.content_type(), TEXT);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.reason(), "no-matching-group");
}

#[test]
fn templates_generic_and_cloud_goldens() {
    let data = DataDir::new().with_fixture();
    data.write(
        "generic/generic.tmpl",
        "#foo-bar-baz template\nUUID={{.uuid}}\nSERVICE={{.service_name}}\nFOO={{.request.query.foo}}\n",
    );
    data.write(
        "cloud/cloud-config.tmpl",
        "#cloud-config\ncoreos:\n  etcd2:\n    name: {{.uuid}}\n  units:\n    - name: {{.service_name}}\n    - name: {{.request.query.foo}}\n",
    );
    let s = Server::start(data.path(), &[]);
    let r = s.get("/generic?uuid=a1b2c3d4&foo=some-param");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        "#foo-bar-baz template\nUUID=a1b2c3d4\nSERVICE=etcd2\nFOO=some-param\n"
    );
    assert_eq!(r.content_type(), TEXT);
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let r = s.get("/cloud?uuid=a1b2c3d4&foo=some-param");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.text(),
        "#cloud-config\ncoreos:\n  etcd2:\n    name: a1b2c3d4\n  units:\n    - name: etcd2\n    - name: some-param\n"
    );
}

#[test]
fn missing_key_fails_with_reason() {
    let data = DataDir::new().with_fixture();
    data.write("generic/generic.tmpl", "FOO={{.request.query.foo}}\n");
    let s = Server::start(data.path(), &[]);
    let r = s.get("/generic?uuid=a1b2c3d4");
    assert_eq!(r.status, 500);
    assert_eq!(r.reason(), "template-error");
    let detail = r.header("x-kindling-detail").unwrap();
    assert!(
        detail.contains("generic/generic.tmpl") && detail.contains("foo"),
        "{detail}"
    );
    let s = Server::start(data.path(), &["--matchbox-exact"]);
    let r = s.get("/generic?uuid=a1b2c3d4");
    assert_eq!((r.status, r.text().as_str()), (404, "404 page not found\n"));
    assert_eq!(r.reason(), "template-error");
}

const RAW_34: &str = r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":"3.4.0"},"kernelArguments":{},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["key"]}]},"storage":{},"systemd":{"units":[{"enabled":false,"name":"docker.service"}]}}"#;
const ZERO: &str = r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":""},"kernelArguments":{},"passwd":{},"storage":{},"systemd":{}}"#;

fn ignition_data(content: &str) -> DataDir {
    let data = DataDir::new();
    data.write("groups/d.json", r#"{"profile":"p"}"#);
    data.write("profiles/p.json", r#"{"id":"p","ignition_id":"file.ign"}"#);
    data.write("ignition/file.ign", content);
    data
}

#[test]
fn ignition_raw_passthrough_and_upgrade() {
    let data = ignition_data(RAW_34);
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ignition");
    assert_eq!((r.status, r.content_type()), (200, "application/json"));
    assert_eq!(r.text(), RAW_34);
    let v31 = RAW_34.replace("3.4.0", "3.1.0");
    data.write("ignition/file.ign", &v31);
    let s = Server::start(data.path(), &[]);
    assert_eq!(s.get("/ignition").text(), RAW_34);
}

#[test]
fn invalid_ignition_is_an_error_unless_compat() {
    let data = ignition_data(r#"{"ignition":{"version":"2.2.0"}}"#);
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ignition");
    assert_eq!((r.status, r.reason()), (500, "ignition-invalid"));
    for flags in [&["--compat", "ignition-empty"][..], &["--ignition-compat-empty"]] {
        let s = Server::start(data.path(), flags);
        let r = s.get("/ignition");
        assert_eq!((r.status, r.text().as_str()), (200, ZERO), "{flags:?}");
    }
}

#[test]
fn head_matches_get_without_body() {
    let data = DataDir::new().with_fixture();
    let s = Server::start(data.path(), &[]);
    let get = s.get("/ipxe?uuid=a1b2c3d4");
    let head = s.req("HEAD", "/ipxe?uuid=a1b2c3d4", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(get.body.len().to_string().as_str()));
    assert_eq!(head.content_type(), get.content_type());
}

#[test]
fn methods_and_unclean_paths() {
    let data = DataDir::new().with_fixture();
    let s = Server::start(data.path(), &[]);
    let r = s.req("POST", "/ipxe?uuid=a1b2c3d4", &[("Content-Length", "0")]);
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    // Unclean paths are served directly (D8).
    for p in [
        "//ipxe?uuid=a1b2c3d4",
        "/./ipxe?uuid=a1b2c3d4",
        "/a/../ipxe?uuid=a1b2c3d4",
        "/ip%78e?uuid=a1b2c3d4",
    ] {
        let r = s.get(p);
        assert_eq!(r.status, 200, "{p}");
        assert!(r.text().starts_with("#!ipxe\nkernel /image/kernel"), "{p}");
    }
    assert_eq!(s.get("/ipxe/").status, 404);

    let s = Server::start(data.path(), &["--matchbox-exact"]);
    let r = s.req("POST", "/ipxe?uuid=a1b2c3d4", &[("Content-Length", "0")]);
    assert_eq!(r.status, 200);
    let r = s.get("//ipxe?uuid=a1b2c3d4");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/ipxe?uuid=a1b2c3d4"));
    assert_eq!(r.text(), "<a href=\"/ipxe?uuid=a1b2c3d4\">Moved Permanently</a>.\n\n");
    assert_eq!(r.content_type(), "text/html; charset=utf-8");
}

/// The contract's Butane golden (matchbox's TestIgnitionHandler_Butane): a
/// flatcar 1.1.0 template with two units, rendered with the fixture group's
/// metadata and the request's query.
#[test]
fn ignition_butane_template_golden() {
    let data = DataDir::new().with_fixture();
    data.write(
        "ignition/ignition.tmpl",
        r#"variant: flatcar
version: 1.1.0
systemd:
  units:
    - name: {{.uuid}}.service
      enabled: true
      contents: {{.pod_network}}
    - name: {{.request.query.foo}}.service
      enabled: true
      contents: {{.request.raw_query}}
"#,
    );
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ignition?uuid=a1b2c3d4&foo=some-param&bar=b");
    assert_eq!((r.status, r.content_type()), (200, "application/json"), "{}", r.text());
    assert_eq!(
        r.text(),
        r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":"3.4.0"},"kernelArguments":{},"passwd":{},"storage":{},"systemd":{"units":[{"contents":"10.2.0.0/16","enabled":true,"name":"a1b2c3d4.service"},{"contents":"uuid=a1b2c3d4\u0026foo=some-param\u0026bar=b","enabled":true,"name":"some-param.service"}]}}"#
    );
}

/// Butane that cannot be translated is an error naming the field, never an
/// empty config; --ignition-compat-empty keeps matchbox's 200 for configs
/// that translate to a spec newer than 3.4.
#[test]
fn ignition_butane_errors_name_the_field() {
    let data = DataDir::new().with_fixture();
    data.write(
        "ignition/ignition.tmpl",
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      mod: 0644\n",
    );
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ignition?uuid=a1b2c3d4");
    assert_eq!((r.status, r.reason()), (500, "butane-invalid"), "{}", r.text());
    let detail = r.header("x-kindling-detail").unwrap_or("");
    assert!(
        detail.contains("storage.files.0.mod (line 6, column 12): unknown key \"mod\""),
        "{detail}"
    );

    data.write(
        "ignition/ignition.tmpl",
        "variant: fcos\nversion: 1.6.0\npasswd:\n  users:\n    - name: core\n",
    );
    let s = Server::start(data.path(), &[]);
    let r = s.get("/ignition?uuid=a1b2c3d4");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains(r#""version":"3.5.0""#),
        "served at its own spec: {}",
        r.text()
    );
    let s = Server::start(data.path(), &["--ignition-compat-empty"]);
    assert_eq!(s.get("/ignition?uuid=a1b2c3d4").text(), ZERO, "matchbox empties 3.5");
}

/// An Accept header naming a spec (as Ignition sends it) is honoured: a 3.5
/// config that 3.4 can express is sent as 3.4.0 to a client that accepts
/// only 3.4.0; one that uses 3.5 fields is refused with 406 and the reason.
#[test]
fn ignition_accept_header_picks_the_spec() {
    const ACCEPT_34: &str = "application/vnd.coreos.ignition+json;version=3.4.0, */*;q=0.1";
    let plain = r#"{"ignition":{"version":"3.5.0"},"passwd":{"users":[{"name":"core"}]}}"#;
    let data = ignition_data(plain);
    let s = Server::start(data.path(), &[]);
    assert!(s.get("/ignition").text().contains(r#""version":"3.5.0""#));
    let r = s.req("GET", "/ignition", &[("Accept", ACCEPT_34)]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":"3.4.0"},"kernelArguments":{},"passwd":{"users":[{"name":"core"}]},"storage":{},"systemd":{}}"#
    );
    let r = s.req(
        "GET",
        "/ignition",
        &[("Accept", "application/vnd.coreos.ignition+json; version=3.5.0")],
    );
    assert!(r.text().contains(r#""version":"3.5.0""#), "{}", r.text());

    let cex = r#"{"ignition":{"version":"3.5.0"},"storage":{"luks":[{"name":"data","device":"/dev/vdb","cex":{"enabled":true}}]}}"#;
    data.write("ignition/file.ign", cex);
    let s = Server::start(data.path(), &[]);
    assert_eq!(s.get("/ignition").status, 200, "{}", s.get("/ignition").text());
    let r = s.req("GET", "/ignition", &[("Accept", ACCEPT_34)]);
    assert_eq!(
        (r.status, r.reason()),
        (406, "ignition-version-not-acceptable"),
        "{}",
        r.text()
    );

    // Butane fcos 1.6.0 (spec 3.5) the same way.
    let data = DataDir::new().with_fixture();
    data.write(
        "ignition/ignition.tmpl",
        "variant: fcos\nversion: 1.6.0\npasswd:\n  users:\n    - name: core\n",
    );
    let s = Server::start(data.path(), &[]);
    let r = s.req("GET", "/ignition?uuid=a1b2c3d4", &[("Accept", ACCEPT_34)]);
    assert!(r.text().contains(r#""version":"3.4.0""#), "{}", r.text());
}

/// Each example Butane source (examples/data/ignition/*.bu) served through
/// the Butane path gives byte for byte what its stored .ign gives.
#[test]
fn example_butane_sources_match_their_ignition() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/ignition");
    for name in ["fedora-coreos", "flatcar", "flatcar-install"] {
        let data = DataDir::new();
        for ext in ["bu", "ign"] {
            let text = std::fs::read_to_string(examples.join(format!("{name}.{ext}"))).unwrap();
            data.write(&format!("ignition/{name}.{ext}"), &text);
            data.write(
                &format!("profiles/{ext}.json"),
                &format!(r#"{{"id":"{ext}","ignition_id":"{name}.{ext}"}}"#),
            );
            data.write(
                &format!("groups/{ext}.json"),
                &format!(r#"{{"profile":"{ext}","selector":{{"via":"{ext}"}}}}"#),
            );
        }
        let s = Server::start(data.path(), &[]);
        let (bu, ign) = (s.get("/ignition?via=bu"), s.get("/ignition?via=ign"));
        assert_eq!(
            (bu.status, ign.status),
            (200, 200),
            "{name}: {} / {}",
            bu.text(),
            ign.text()
        );
        assert_eq!(bu.text(), ign.text(), "{name}");
    }
}
