//! Classes, options and the new host keys: what a valid file reads into,
//! per option type and per match criterion, and one case per rule a file
//! can break.

use std::net::Ipv4Addr;

use config::{Config, parse};
use dhcp::{ClassRef, MacPattern};

fn ok(text: &str) -> Config {
    parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}\nfor:\n{text}"))
}

fn report(text: &str) -> String {
    match parse(text, "t.toml") {
        Ok(config) => panic!("expected errors, got {config:?}"),
        Err(errors) => errors.to_string(),
    }
}

fn assert_error(text: &str, fragments: &[&str]) {
    let report = report(text);
    assert_eq!(report.lines().count(), 1, "expected one error, got:\n{report}");
    for f in fragments {
        assert!(report.contains(f), "{f:?} is not in:\n{report}");
    }
}

const SUBNET: &str =
    "[dhcp]\nmode = \"full\"\n[[dhcp.subnet]]\nnetwork = \"10.99.0.0/24\"\nranges = [\"10.99.0.100-10.99.0.199\"]\n";

/// The options of `[dhcp]` for one `options = { … }` line.
fn global_options(line: &str) -> Vec<(u8, Vec<u8>)> {
    ok(&format!("[dhcp]\noptions = {{ {line} }}\n")).dhcp.options
}

#[test]
fn every_option_type_reads() {
    let cases: &[(&str, u8, &[u8])] = &[
        ("netmask = \"255.255.255.0\"", 1, &[255, 255, 255, 0]),
        ("router = \"10.99.0.1\"", 3, &[10, 99, 0, 1]),
        (
            "dns-server = [\"10.0.0.1\", \"10.0.0.2\"]",
            6,
            &[10, 0, 0, 1, 10, 0, 0, 2],
        ),
        ("6 = [\"10.0.0.1\"]", 6, &[10, 0, 0, 1]),
        (
            "static-route = [\"10.1.0.0\", \"10.99.0.1\"]",
            33,
            &[10, 1, 0, 0, 10, 99, 0, 1],
        ),
        ("default-ttl = 64", 23, &[64]),
        ("mtu = 1400", 26, &[5, 120]),
        ("arp-timeout = 60", 35, &[0, 0, 0, 60]),
        ("time-offset = -3600", 2, &[0xff, 0xff, 0xf1, 0xf0]),
        ("path-mtu-plateau-table = [1500, 576]", 25, &[5, 220, 2, 64]),
        ("ip-forward-enable = true", 19, &[1]),
        ("domain-name = \"lab.example\"", 15, b"lab.example"),
        ("domain-search = [\"lab.example\"]", 119, b"\x03lab\x07example\x00"),
        (
            "classless-static-route = [\"10.1.0.0/16,10.99.0.1\"]",
            121,
            &[16, 10, 1, 10, 99, 0, 1],
        ),
        ("vendor-encap = \"06:01:08\"", 43, &[6, 1, 8]),
        ("224 = { hex = \"01:02\" }", 224, &[1, 2]),
        ("225 = { text = \"hi\" }", 225, b"hi"),
        ("226 = { ips = [\"10.0.0.9\"] }", 226, &[10, 0, 0, 9]),
        ("227 = { u16 = 7 }", 227, &[0, 7]),
        ("66 = { text = \"tftp.example\" }", 66, b"tftp.example"),
        ("router = []", 3, &[]),
    ];
    for (line, code, bytes) in cases {
        assert_eq!(global_options(line), vec![(*code, bytes.to_vec())], "{line}");
    }
}

#[test]
fn option_mistakes() {
    let wrap = |line: &str| format!("[dhcp]\noptions = {{ {line} }}\n");
    assert_error(
        &wrap("dns-servr = \"10.0.0.1\""),
        &["unknown option `dns-servr`", "did you mean `dns-server`"],
    );
    assert_error(
        &wrap("router = \"10.0.0\""),
        &["dhcp.options.router", "not an IPv4 address"],
    );
    assert_error(&wrap("mtu = 70000"), &["out of range"]);
    assert_error(&wrap("224 = \"x\""), &["option 224 has no known type", "{ hex"]);
    assert_error(&wrap("224 = { hexx = \"01\" }"), &["unknown type `hexx`"]);
    assert_error(&wrap("53 = 1"), &["option 53 cannot be configured"]);
    assert_error(&wrap("51 = 60"), &["lease_time"]);
    assert_error(&wrap("256 = { hex = \"01\" }"), &["unknown option `256`"]);
    assert_error(
        &wrap("6 = \"10.0.0.1\", dns-server = \"10.0.0.2\""),
        &["option 6 is set twice"],
    );
    assert_error(&wrap("vendor-encap = \"0g\""), &["not hex bytes"]);
    assert_error(
        &wrap("netmask = [\"255.0.0.0\", \"255.0.0.0\"]"),
        &["expected one value"],
    );
}

#[test]
fn classes_read_every_criterion() {
    let c = ok(&format!(
        r#"{SUBNET}
[[dhcp.class]]
name = "bios"
match = {{ arch = 0 }}
boot_file = "undionly.kpxe"

[[dhcp.class]]
name = "ipxe"
match = [{{ user_class = "iPXE" }}, {{ option = 175 }}]
boot_file = "http://10.99.0.1:8080/boot.ipxe"
boot_server = "10.99.0.2"
boot_server_name = "boot1"

[[dhcp.class]]
name = "rack7"
match = {{ circuit_id = "eth7", remote_id = {{ hex = "00:11" }}, subscriber_id = "s", vendor_class = "PXEClient", mac = "52:54:00:*:*:*", option = {{ code = 93, value = 7 }}, ipxe_feature = 19, known = false, subnet = "10.99.0.0/24", interface = "br0", classes = ["bios", "!ipxe"], arch = [7, 9] }}
options = {{ domain-search = ["rack7.example"] }}
ignore = true
"#
    ));
    let classes = &c.dhcp.classes;
    assert_eq!(classes.len(), 3);
    assert_eq!(classes[0].matches[0].arch, [0]);
    assert_eq!(classes[0].boot.as_ref().unwrap().file, "undionly.kpxe");
    assert_eq!(classes[1].matches.len(), 2);
    assert_eq!(classes[1].matches[0].user_class.as_deref(), Some(&b"iPXE"[..]));
    assert_eq!(classes[1].matches[1].option.as_ref().unwrap().code, 175);
    let boot = classes[1].boot.as_ref().unwrap();
    assert_eq!(boot.server, Some(Ipv4Addr::new(10, 99, 0, 2)));
    assert_eq!(boot.server_name.as_deref(), Some("boot1"));
    let m = &classes[2].matches[0];
    assert_eq!(m.circuit_id.as_deref(), Some(&b"eth7"[..]));
    assert_eq!(m.remote_id.as_deref(), Some(&[0, 0x11][..]));
    assert_eq!(m.subscriber_id.as_deref(), Some(&b"s"[..]));
    assert_eq!(m.vendor_class.as_deref(), Some(&b"PXEClient"[..]));
    assert_eq!(m.mac, Some(MacPattern::parse("52:54:00:*:*:*").unwrap()));
    assert_eq!(m.option.as_ref().unwrap().value.as_deref(), Some(&[0, 7][..]));
    assert_eq!(m.ipxe_feature, Some(19));
    assert_eq!(m.known, Some(false));
    assert_eq!(m.subnet.unwrap().to_string(), "10.99.0.0/24");
    assert_eq!(m.interface.as_deref(), Some("br0"));
    assert_eq!(
        m.classes,
        [
            ClassRef {
                index: 0,
                negated: false
            },
            ClassRef {
                index: 1,
                negated: true
            }
        ]
    );
    assert_eq!(m.arch, [7, 9]);
    assert_eq!(classes[2].options, vec![(119, b"\x05rack7\x07example\x00".to_vec())]);
    assert!(classes[2].ignore);
}

#[test]
fn class_mistakes() {
    let class = |body: &str| format!("{SUBNET}[[dhcp.class]]\n{body}");
    assert_error(&class("match = { arch = 0 }\n"), &["missing key `name`"]);
    assert_error(&class("name = \"a\"\n"), &["missing key `match`"]);
    assert_error(&class("name = \"a b\"\nmatch = {}\n"), &["not a class name"]);
    assert_error(&class("name = \"a\"\nmatch = []\n"), &["no way to match"]);
    assert_error(&class("name = \"a\"\nmatch = { arch = 70000 }\n"), &["out of range"]);
    assert_error(
        &class("name = \"a\"\nmatch = { arh = 0 }\n"),
        &["unknown key `arh`", "did you mean `arch`"],
    );
    assert_error(&class("name = \"a\"\nmatch = { mac = \"52:54\" }\n"), &["six bytes"]);
    assert_error(
        &class("name = \"a\"\nmatch = { mac = \"52:zz:00:*:*:*\" }\n"),
        &["not a MAC address pattern"],
    );
    assert_error(
        &class("name = \"a\"\nmatch = { classes = [\"b\"] }\n[[dhcp.class]]\nname = \"b\"\nmatch = {}\n"),
        &["no class \"b\" is defined above this one"],
    );
    assert_error(
        &class("name = \"a\"\nmatch = {}\n[[dhcp.class]]\nname = \"a\"\nmatch = {}\n"),
        &["class \"a\" is defined twice"],
    );
    assert_error(
        &class("name = \"a\"\nmatch = {}\nboot_server = \"10.0.0.1\"\n"),
        &["`boot_server` without `boot_file`"],
    );
    assert_error(
        &class("name = \"a\"\nmatch = { option = { code = 93, value = \"x\" } }\n"),
        &["option 93"],
    );
}

#[test]
fn hosts_may_give_one_thing_only() {
    let c = ok(&format!(
        r#"{SUBNET}
[[dhcp.host]]
mac = "52:54:00:00:00:01"
hostname = "named-only"

[[dhcp.host]]
mac = "52:54:00:00:00:02"
boot_file = "special.efi"

[[dhcp.host]]
mac = "52:54:00:00:00:03"
ignore = true

[[dhcp.host]]
mac = "52:54:00:00:00:04"
options = {{ router = [] }}
"#
    ));
    let hosts = &c.dhcp.reservations;
    assert_eq!(hosts.len(), 4);
    assert!(hosts.iter().all(|h| h.address.is_none()));
    assert_eq!(hosts[0].hostname.as_deref(), Some("named-only"));
    assert_eq!(hosts[1].boot.as_ref().unwrap().file, "special.efi");
    assert!(hosts[2].ignore);
    assert_eq!(hosts[3].options, vec![(3, vec![])]);
    assert_error(
        &format!(
            "{SUBNET}[[dhcp.host]]\nmac = \"52:54:00:00:00:01\"\nhostname = \"a\"\n[[dhcp.host]]\nmac = \"52:54:00:00:00:01\"\nhostname = \"b\"\n"
        ),
        &["already has dhcp.host[0]"],
    );
}

#[test]
fn builtin_boot_table_can_be_turned_off() {
    assert!(ok("[boot]\n").dhcp.boot.builtin);
    assert!(!ok("[boot]\nbuiltin = false\n").dhcp.boot.builtin);
}

#[test]
fn pxe_menus_read() {
    let c = ok(r#"
[dhcp]
mode = "proxy"
[[dhcp.class]]
name = "ipxe"
match = { user_class = "iPXE" }
[dhcp.pxe]
prompt = "Press F8"
prompt_timeout = 5
[[dhcp.pxe.service]]
csa = "x86PC"
text = "chainload"
boot_file = "undionly.kpxe"
classes = ["!ipxe"]
[[dhcp.pxe.service]]
csa = 9
text = "uefi"
boot_file = "ipxe.efi"
boot_server = "10.0.0.5"
"#);
    let menu = &c.dhcp.pxe;
    assert_eq!(menu.prompt, Some((5, "Press F8".into())));
    assert_eq!(menu.services.len(), 2);
    assert_eq!(menu.services[0].csa, 0);
    assert_eq!(
        menu.services[0].classes,
        [ClassRef {
            index: 0,
            negated: true
        }]
    );
    assert_eq!(menu.services[1].csa, 9);
    assert_eq!(menu.services[1].boot.server, Some(Ipv4Addr::new(10, 0, 0, 5)));

    let service = |body: &str| format!("[dhcp.pxe]\n[[dhcp.pxe.service]]\n{body}");
    assert_error(
        &service("csa = \"x86\"\ntext = \"a\"\nboot_file = \"f\"\n"),
        &["unknown architecture \"x86\""],
    );
    assert_error(&service("csa = 0\ntext = \"a\"\n"), &["missing key `boot_file`"]);
    assert_error(
        &service("csa = 0\ntext = \"a\"\nboot_file = \"f\"\nclasses = [\"nope\"]\n"),
        &["no [[dhcp.class]] is named \"nope\""],
    );
    assert_error(
        "[dhcp.pxe]\nprompt_timeout = 3\n",
        &["`prompt_timeout` without `prompt`"],
    );
}
