//! Error reporting: a file with many mistakes gives every one of them at its
//! line, column and key path; each validation rule has a case that breaks
//! it; reading failures are single errors. What the valid samples parse to
//! is `samples.rs`'s business.

use std::net::Ipv4Addr;
use std::time::Duration;

use config::{Config, ConfigErrors, parse};
use dns::{RecordValue, StaticRecord};

/// The full report for a file expected to be wrong.
fn report(text: &str) -> String {
    match parse(text, "t.toml") {
        Ok(config) => panic!("expected errors, got {config:?}"),
        Err(errors) => errors.to_string(),
    }
}

/// The file has exactly one error, and it is this one.
fn assert_one(text: &str, expected: &str) {
    let report = report(text);
    assert_eq!(report, expected, "for:\n{text}");
}

/// The file has exactly one error, and its line contains every fragment.
fn assert_one_containing(text: &str, fragments: &[&str]) {
    let report = report(text);
    assert_eq!(
        report.lines().count(),
        1,
        "expected one error, got:\n{report}\nfor:\n{text}"
    );
    for fragment in fragments {
        assert!(
            report.contains(fragment),
            "{fragment:?} is not in:\n{report}\nfor:\n{text}"
        );
    }
}

fn ok(text: &str) -> Config {
    parse(text, "t.toml").unwrap_or_else(|e| panic!("{e}\nfor:\n{text}"))
}

/// A full-mode preamble with one valid subnet, for rules about other keys.
const SUBNET: &str =
    "[dhcp]\nmode = \"full\"\n[[dhcp.subnet]]\nnetwork = \"10.99.0.0/24\"\nranges = [\"10.99.0.100-10.99.0.199\"]\n";

#[test]
fn every_mistake_is_reported_at_once_in_file_order() {
    let text = r#"# ten mistakes; each is on its own line
[dhcp]
mode = "ful"
offer_hold = "1x"
interfaces = "br0"

[[dhcp.subnet]]
network = "10.99.0.5/24"
ranges = ["10.99.0.200-10.99.0.100"]
lease_tme = "2h"
mtu = 9999999

[[dhcp.host]]
mac = "52:54:00:12:34:56"
address = "10.99.0.10"

[[dhcp.host]]
mac = "52-54-00-12-34-56"
address = "10.99.0.11"

[boot]
http_port = "8080"

[tftpd]
root = "/srv/tftp"
"#;
    let expected = r#"t.toml:3:8: dhcp.mode: unknown mode "ful": use "off", "proxy" or "full"
t.toml:4:14: dhcp.offer_hold: invalid duration "1x": write a whole number followed by s, m, h or d ("90s", "10m", "1h", "2d"), or a number of seconds
t.toml:5:14: dhcp.interfaces: expected an array of interface names such as ["br0"], found a string
t.toml:8:11: dhcp.subnet[0].network: "10.99.0.5/24" has host bits set: the network address of 10.99.0.5/24 is 10.99.0.0/24
t.toml:9:11: dhcp.subnet[0].ranges[0]: range "10.99.0.200-10.99.0.100" starts after it ends: write it as "10.99.0.100-10.99.0.200"
t.toml:10:1: dhcp.subnet[0].lease_tme: unknown key `lease_tme` (did you mean `lease_time`?); allowed here: network, ranges, lease_time, routers, dns, domain, ntp, mtu, routes, options
t.toml:11:7: dhcp.subnet[0].mtu: 9999999 is out of range: expected an integer from 68 to 65535
t.toml:18:7: dhcp.host[1].mac: 52:54:00:12:34:56 is already reserved by dhcp.host[0] on line 14: keep one [[dhcp.host]] per machine
t.toml:22:13: boot.http_port: expected a port number from 1 to 65535, found a string
t.toml:24:2: tftpd: unknown section `tftpd` (did you mean `tftp`?); the sections are: dhcp, boot, tftp, dns, store"#;
    let errors = parse(text, "t.toml").unwrap_err();
    assert_eq!(errors.to_string(), expected);
    assert_eq!(errors.len(), 10);
    let first = &errors.0[0];
    assert_eq!((first.file.as_str(), first.line, first.column), ("t.toml", 3, 8));
    assert_eq!(first.key, "dhcp.mode");
}

/// The sample error report in docs/configuration.md is what kindling prints.
#[test]
fn the_documented_error_report_is_real() {
    let text = r#"[dhcp]
mode = "ful"
[[dhcp.subnet]]
network = "10.99.0.0/24"
ranges = ["10.99.0.100-10.99.0.199"]
lease_time = "1h"
lease_tme = "2h"
[[dhcp.host]]
mac = "52:54:00:12:34:56"
address = "10.99.0.10"
[[dhcp.host]]
address = "10.99.0.10"
mac = "52:54:00:12:34:57"
"#;
    let report = parse(text, "kindling.toml").unwrap_err().to_string();
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md")).unwrap();
    let block = doc
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    assert_eq!(
        report,
        block.trim_end(),
        "update the ```text block in docs/configuration.md"
    );
}

#[test]
fn a_syntax_error_is_one_error_at_its_position() {
    let errors = parse("[dhcp]\nmode = \"full\"\ninterfaces = [\"br0\",\n\n[boot]\n", "t.toml").unwrap_err();
    assert_eq!(errors.len(), 1);
    let e = &errors.0[0];
    assert_eq!((e.line, e.column, e.key.as_str()), (5, 7, ""), "{e}");
    assert!(e.message.starts_with("invalid TOML: "), "{e}");
    assert!(e.to_string().starts_with("t.toml:5:7: invalid TOML: "), "{e}");

    let e = &parse("[dhcp]\nmode = \"full\n", "t.toml").unwrap_err().0[0];
    assert_eq!((e.line, e.key.as_str()), (2, ""), "{e}");

    let e = &parse("a = 1\na = 2\n", "t.toml").unwrap_err().0[0];
    assert_eq!(e.line, 2, "a duplicate key is reported where it repeats: {e}");
}

#[test]
fn unknown_sections_and_keys_list_what_is_allowed() {
    assert_one(
        "[dchp]\n",
        "t.toml:1:2: dchp: unknown section `dchp` (did you mean `dhcp`?); the sections are: dhcp, boot, tftp, dns, store",
    );
    assert_one(
        "mode = \"full\"\n",
        "t.toml:1:1: mode: unknown top-level key `mode`; the sections are: dhcp, boot, tftp, dns, store (keys go below their section's [header])",
    );
    assert_one(
        "[dhcp]\nmod = \"full\"\n",
        "t.toml:2:1: dhcp.mod: unknown key `mod` (did you mean `mode`?); allowed here: mode, interfaces, authoritative, router_advertisements, offer_hold, probation, expiry_grace, lease_file, options, subnet, host, class, pxe",
    );
    assert_one_containing(
        &format!("{SUBNET}[[dhcp.host]]\nmac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.1\"\nname = \"x\"\n"),
        &[
            "9:1: dhcp.host[0].name: unknown key `name`",
            "allowed here: mac, address, hostname",
        ],
    );
    assert_one_containing(
        &format!("{SUBNET}routes = [{{ destination = \"10.1.0.0/16\", gateway = \"10.99.0.254\", metric = 1 }}]\n"),
        &[
            "dhcp.subnet[0].routes[0].metric: unknown key `metric`",
            "allowed here: destination, gateway",
        ],
    );
    assert_one_containing(
        "[boot]\nhttp_hots = \"x\"\n",
        &["2:1: boot.http_hots", "did you mean `http_host`?"],
    );
    assert_one_containing("[boot.extra]\n", &["1:7: boot.extra: unknown key `extra`"]);
    assert_one_containing(
        "[dhcp]\n\"odd key\" = 1\n",
        &["dhcp.\"odd key\": unknown key `odd key`"],
    );
}

#[test]
fn wrong_types_say_what_was_expected() {
    assert_one(
        "dhcp = 1\n",
        "t.toml:1:8: dhcp: expected a table: write the [dhcp] header and its keys below it, found an integer",
    );
    assert_one(
        "[dhcp]\nmode = 3\n",
        "t.toml:2:8: dhcp.mode: expected one of \"off\", \"proxy\", \"full\", found an integer",
    );
    assert_one(
        "[dhcp]\nauthoritative = \"yes\"\n",
        "t.toml:2:17: dhcp.authoritative: expected true or false, found a string",
    );
    assert_one_containing(
        "[dhcp]\ninterfaces = [\"br0\", 5]\n",
        &["2:22: dhcp.interfaces[1]: expected an interface name"],
    );
    assert_one_containing(
        "[dhcp.subnet]\nnetwork = \"10.0.0.0/24\"\n",
        &[
            "1:1: dhcp.subnet: expected an array of tables: write [[dhcp.subnet]] (double brackets) above each entry, found a table",
        ],
    );
    assert_one_containing(
        "[dhcp]\nhost = [1]\n",
        &["2:9: dhcp.host[0]: expected a table: write [[dhcp.host]]"],
    );
    assert_one_containing(
        &format!("{SUBNET}mtu = \"1500\"\n"),
        &["dhcp.subnet[0].mtu: expected an integer from 68 to 65535, found a string"],
    );
    assert_one_containing(
        &format!("{SUBNET}routes = \"10.1.0.0/16\"\n"),
        &["dhcp.subnet[0].routes: expected an array of routes"],
    );
    assert_one_containing(
        &format!("{SUBNET}routes = [\"10.1.0.0/16\"]\n"),
        &["dhcp.subnet[0].routes[0]: expected a table such as"],
    );
    assert_one_containing(
        &format!("{SUBNET}lease_time = 1.5\n"),
        &["lease_time: expected a duration", "found a float"],
    );
    assert_one_containing(
        "[dhcp]\nprobation = 1979-05-27\n",
        &["dhcp.probation: expected a duration", "found a date-time"],
    );
    assert_one_containing(
        "[boot]\nhttp_port = \"8080\"\n",
        &["boot.http_port: expected a port number from 1 to 65535, found a string"],
    );
    assert_one_containing(
        "[boot]\nuefi_loader = true\n",
        &["boot.uefi_loader: expected \"ipxe\" or \"grub\", found a boolean"],
    );
    assert_one_containing("[dhcp]\nlease_file = 1\n", &["dhcp.lease_file: expected a file path"]);
    assert_one_containing(
        "[dhcp]\noffer_hold = 99999999999999999999\n",
        &["2:14: dhcp.offer_hold: 99999999999999999999 does not fit in 64 bits"],
    );
}

#[test]
fn durations_parse_in_every_form() {
    for (text, seconds) in [
        ("\"90s\"", 90),
        ("\"10m\"", 600),
        ("\"1h\"", 3600),
        ("\"2d\"", 172_800),
        ("3600", 3600),
    ] {
        let config = ok(&format!("[dhcp]\noffer_hold = {text}\nprobation = {text}\n"));
        assert_eq!(config.dhcp.offer_hold, Duration::from_secs(seconds), "{text}");
        assert_eq!(config.dhcp.probation, Duration::from_secs(seconds), "{text}");
        let config = ok(&format!("{SUBNET}lease_time = {text}\n"));
        assert_eq!(
            config.dhcp.subnets[0].lease_time,
            Duration::from_secs(seconds),
            "{text}"
        );
    }
}

#[test]
fn durations_reject_junk() {
    assert_one_containing(
        "[dhcp]\noffer_hold = \"1x\"\n",
        &["2:14: dhcp.offer_hold: invalid duration \"1x\""],
    );
    assert_one_containing(
        "[dhcp]\noffer_hold = -5\n",
        &["2:14: dhcp.offer_hold: a duration cannot be negative (-5)"],
    );
    assert_one_containing(
        "[dhcp]\noffer_hold = \"\"\n",
        &["2:14: dhcp.offer_hold: empty duration"],
    );
    assert_one_containing(
        "[dhcp]\nprobation = \"90\"\n",
        &["dhcp.probation: duration \"90\" has no unit"],
    );
    assert_one_containing(
        "[dhcp]\nprobation = \"1h30m\"\n",
        &["dhcp.probation: invalid duration \"1h30m\""],
    );
    assert_one_containing(
        "[dhcp]\nprobation = \"50000d\"\n",
        &["dhcp.probation: duration \"50000d\" is too long"],
    );
    assert_one(
        "[dhcp]\noffer_hold = 0\n",
        "t.toml:2:14: dhcp.offer_hold: 0s is too short: use at least 1s",
    );
    assert_one_containing(
        &format!("{SUBNET}lease_time = \"30s\"\n"),
        &["dhcp.subnet[0].lease_time: 30s is too short: use at least 1m"],
    );
    assert_eq!(
        ok(&format!("{SUBNET}lease_time = 60\n")).dhcp.subnets[0].lease_time,
        Duration::from_secs(60)
    );
}

#[test]
fn dhcp_values() {
    assert_one_containing("[dhcp]\nmode = \"Full\"\n", &["dhcp.mode: unknown mode \"Full\""]);
    assert_one_containing(
        "[dhcp]\ninterfaces = [\"\"]\n",
        &["dhcp.interfaces[0]: the interface name is empty"],
    );
    assert_one_containing(
        "[dhcp]\ninterfaces = [\"a-very-long-interface\"]\n",
        &["longer than 15 bytes"],
    );
    assert_one_containing("[dhcp]\nlease_file = \"\"\n", &["dhcp.lease_file: the path is empty"]);
    let config = ok("[dhcp]\nmode = \"proxy\"\ninterfaces = [\"br0\", \"eth1\"]\nauthoritative = false\n");
    assert_eq!(config.dhcp.mode, dhcp::Mode::Proxy);
    assert_eq!(config.dhcp.interfaces, ["br0", "eth1"]);
    assert!(!config.dhcp.authoritative);
}

#[test]
fn full_mode_needs_a_subnet_with_ranges() {
    assert_one(
        "[dhcp]\nmode = \"full\"\n",
        "t.toml:2:8: dhcp.mode: mode \"full\" hands out addresses but no [[dhcp.subnet]] is configured: add one with ranges, or use mode = \"proxy\" beside another DHCP server",
    );
    assert_one_containing(
        "[dhcp]\nmode = \"full\"\nsubnet = []\n",
        &["2:8: dhcp.mode: mode \"full\" hands out addresses"],
    );
    assert_one(
        "[dhcp]\nmode = \"full\"\n[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\n",
        "t.toml:3:1: dhcp.subnet[0].ranges: missing key `ranges`: in mode \"full\" every subnet needs addresses to hand out, e.g. ranges = [\"10.99.0.100-10.99.0.199\"]",
    );
    assert_one_containing(
        "[dhcp]\nmode = \"full\"\n[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\nranges = []\n",
        &["5:10: dhcp.subnet[0].ranges: no ranges"],
    );
    // Not in proxy mode, and the mode may come after the subnets.
    ok("[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\n[dhcp]\nmode = \"proxy\"\n");
    assert_one_containing(
        "[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\n[dhcp]\nmode = \"full\"\n",
        &["missing key `ranges`"],
    );
}

#[test]
fn subnet_networks() {
    assert_one(
        "[[dhcp.subnet]]\nranges = []\n",
        "t.toml:1:1: dhcp.subnet[0].network: missing key `network`: add it, e.g. network = \"10.99.0.0/24\"",
    );
    assert_one_containing(
        "[[dhcp.subnet]]\nnetwork = \"10.0.0.0\"\n",
        &["2:11: dhcp.subnet[0].network: \"10.0.0.0\" is not an IPv4 network"],
    );
    assert_one_containing(
        "[[dhcp.subnet]]\nnetwork = \"10.0.0.1/8\"\n",
        &["has host bits set: the network address of 10.0.0.1/8 is 10.0.0.0/8"],
    );
    assert_one(
        "[[dhcp.subnet]]\nnetwork = \"10.0.0.0/16\"\n[[dhcp.subnet]]\nnetwork = \"10.0.5.0/24\"\n",
        "t.toml:4:11: dhcp.subnet[1].network: 10.0.5.0/24 overlaps 10.0.0.0/16 of dhcp.subnet[0] on line 2: subnets must not share addresses",
    );
    assert_one_containing(
        "[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\n[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\n",
        &["4:11: dhcp.subnet[1].network"],
    );
    ok("[[dhcp.subnet]]\nnetwork = \"10.0.0.0/24\"\n[[dhcp.subnet]]\nnetwork = \"10.0.1.0/24\"\n");
}

#[test]
fn subnet_ranges() {
    let subnet = |ranges: &str| format!("[[dhcp.subnet]]\nnetwork = \"10.99.0.0/24\"\nranges = [{ranges}]\n");
    assert_one_containing(
        &subnet("\"10.99.0.100\""),
        &["3:11: dhcp.subnet[0].ranges[0]: \"10.99.0.100\" is not an address range"],
    );
    assert_one_containing(
        &subnet("\"10.99.0.9-10.99.0.1\""),
        &["starts after it ends: write it as \"10.99.0.1-10.99.0.9\""],
    );
    assert_one_containing(
        &subnet("\"10.99.0.100-10.99.1.5\""),
        &["dhcp.subnet[0].ranges[0]: 10.99.0.100-10.99.1.5 is not inside the subnet 10.99.0.0/24"],
    );
    assert_one_containing(
        &subnet("\"10.99.0.0-10.99.0.10\""),
        &["includes the network address 10.99.0.0"],
    );
    assert_one_containing(
        &subnet("\"10.99.0.200-10.99.0.255\""),
        &["includes the broadcast address 10.99.0.255"],
    );
    assert_one(
        &subnet("\"10.99.0.10-10.99.0.20\", \"10.99.0.30-10.99.0.40\", \"10.99.0.20-10.99.0.25\""),
        "t.toml:3:61: dhcp.subnet[0].ranges[2]: 10.99.0.20-10.99.0.25 overlaps 10.99.0.10-10.99.0.20 of dhcp.subnet[0].ranges[0] on line 3: ranges must not share addresses",
    );
    // Across subnets, ranges overlap only when the networks do; both are said.
    let report = report(
        "[[dhcp.subnet]]\nnetwork = \"10.0.0.0/16\"\nranges = [\"10.0.1.10-10.0.1.20\"]\n\
         [[dhcp.subnet]]\nnetwork = \"10.0.1.0/24\"\nranges = [\"10.0.1.15-10.0.1.30\"]\n",
    );
    assert_eq!(
        report,
        "t.toml:5:11: dhcp.subnet[1].network: 10.0.1.0/24 overlaps 10.0.0.0/16 of dhcp.subnet[0] on line 2: subnets must not share addresses\n\
         t.toml:6:11: dhcp.subnet[1].ranges[0]: 10.0.1.15-10.0.1.30 overlaps 10.0.1.10-10.0.1.20 of dhcp.subnet[0].ranges[0] on line 3: ranges must not share addresses"
    );
    let config = ok(&subnet("\"10.99.0.1-10.99.0.9\", \"10.99.0.10-10.99.0.254\""));
    assert_eq!(config.dhcp.subnets[0].range_size(), 254);
}

#[test]
fn subnet_options() {
    assert_one_containing(
        &format!("{SUBNET}routers = [\"10.98.0.1\"]\n"),
        &["6:12: dhcp.subnet[0].routers[0]: 10.98.0.1 is outside the subnet 10.99.0.0/24"],
    );
    assert_one_containing(
        &format!("{SUBNET}dns = [\"10.99.0.300\"]\n"),
        &["dhcp.subnet[0].dns[0]: \"10.99.0.300\" is not an IPv4 address"],
    );
    assert_one_containing(
        &format!("{SUBNET}ntp = [\"ntp.example\"]\n"),
        &["dhcp.subnet[0].ntp[0]: \"ntp.example\" is not an IPv4 address"],
    );
    assert_one_containing(
        &format!("{SUBNET}domain = \"lab..example\"\n"),
        &["dhcp.subnet[0].domain: \"lab..example\" is not a valid domain name"],
    );
    assert_one_containing(
        &format!("{SUBNET}mtu = 67\n"),
        &["dhcp.subnet[0].mtu: 67 is out of range"],
    );
    assert_one_containing(
        &format!("{SUBNET}mtu = 65536\n"),
        &["dhcp.subnet[0].mtu: 65536 is out of range"],
    );
    assert_eq!(ok(&format!("{SUBNET}mtu = 68\n")).dhcp.subnets[0].mtu, Some(68));
    assert_eq!(ok(SUBNET).dhcp.subnets[0].mtu, None);
    assert_eq!(ok(SUBNET).dhcp.subnets[0].domain, None);
    // DNS and NTP servers may be anywhere; routers are on the subnet.
    let config = ok(&format!("{SUBNET}dns = [\"1.1.1.1\"]\nntp = [\"192.0.2.1\"]\n"));
    assert_eq!(config.dhcp.subnets[0].dns, [std::net::Ipv4Addr::new(1, 1, 1, 1)]);
}

#[test]
fn subnet_routes() {
    let route = |r: &str| format!("{SUBNET}routes = [{r}]\n");
    assert_one_containing(
        &route("{ destination = \"10.1.0.1/16\", gateway = \"10.99.0.254\" }"),
        &["dhcp.subnet[0].routes[0].destination: \"10.1.0.1/16\" has host bits set"],
    );
    assert_one_containing(
        &route("{ destination = \"10.1.0.0/16\", gateway = \"10.98.0.254\" }"),
        &["dhcp.subnet[0].routes[0].gateway: gateway 10.98.0.254 is outside the subnet 10.99.0.0/24"],
    );
    assert_one_containing(
        &route("{ destination = \"10.1.0.0/16\" }"),
        &["6:11: dhcp.subnet[0].routes[0].gateway: missing key `gateway`"],
    );
    // The array-of-tables spelling works too.
    let config = ok(&format!(
        "{SUBNET}[[dhcp.subnet.routes]]\ndestination = \"0.0.0.0/0\"\ngateway = \"10.99.0.1\"\n"
    ));
    assert_eq!(config.dhcp.subnets[0].routes.len(), 1);
}

#[test]
fn hosts() {
    let host = |lines: &str| format!("{SUBNET}[[dhcp.host]]\n{lines}");
    assert_one(
        &host("address = \"10.99.0.10\"\n"),
        "t.toml:6:1: dhcp.host[0].mac: missing key `mac`: add it, e.g. mac = \"52:54:00:12:34:56\"",
    );
    assert_one_containing(
        &host("mac = \"52:54:00:12:34\"\naddress = \"10.99.0.10\"\n"),
        &["7:7: dhcp.host[0].mac: invalid MAC address \"52:54:00:12:34\""],
    );
    assert_one_containing(
        &host("mac = \"52:54:00:12:34:56\"\n"),
        &["6:1: dhcp.host[0]: this host entry gives its machine nothing"],
    );
    assert_one(
        &host("mac = \"52:54:00:12:34:56\"\naddress = \"10.5.0.10\"\n"),
        "t.toml:8:11: dhcp.host[0].address: 10.5.0.10 is not inside any subnet (10.99.0.0/24): fix the address or add a [[dhcp.subnet]] for it",
    );
    assert_one_containing(
        &host("mac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.255\"\n"),
        &["10.99.0.255 is the broadcast address of 10.99.0.0/24"],
    );
    assert_one_containing(
        &host("mac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.10\"\nhostname = \"node_1\"\n"),
        &["9:12: dhcp.host[0].hostname: \"node_1\" is not a valid host name"],
    );
    assert_one_containing(
        &host("mac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.10\"\nhostname = \"node1.lab\"\n"),
        &["dhcp.host[0].hostname"],
    );
    assert_one(
        "[[dhcp.host]]\nmac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.10\"\n",
        "t.toml:3:11: dhcp.host[0].address: no [[dhcp.subnet]] is configured: a reservation needs the subnet its address belongs to",
    );
    assert_one(
        &format!(
            "{SUBNET}[[dhcp.host]]\nmac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.10\"\n\
             [[dhcp.host]]\nmac = \"52:54:00:12:34:57\"\naddress = \"10.99.0.10\"\n"
        ),
        "t.toml:11:11: dhcp.host[1].address: 10.99.0.10 is already reserved for 52:54:00:12:34:56 by dhcp.host[0] on line 8: give each machine its own address",
    );
    assert_one(
        &format!(
            "{SUBNET}[[dhcp.host]]\nmac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.10\"\n\
             [[dhcp.host]]\nmac = \"5254.0012.3456\"\naddress = \"10.99.0.11\"\n"
        ),
        "t.toml:10:7: dhcp.host[1].mac: 52:54:00:12:34:56 is already reserved by dhcp.host[0] on line 7: keep one [[dhcp.host]] per machine",
    );
    // A subnet with a broken network hides the "outside every subnet" error.
    assert_one_containing(
        "[[dhcp.subnet]]\nnetwork = \"10.99.0.0/33\"\n[[dhcp.host]]\nmac = \"52:54:00:12:34:56\"\naddress = \"10.99.0.10\"\n",
        &["dhcp.subnet[0].network"],
    );
}

#[test]
fn boot_values() {
    assert_one_containing(
        "[boot]\nhttp_host = \"http://matchbox\"\n",
        &["2:13: boot.http_host: \"http://matchbox\" is not a host"],
    );
    assert_one_containing(
        "[boot]\nhttp_host = \"fd00::1\"\n",
        &["write IPv6 addresses in brackets, as in URLs: \"[fd00::1]\""],
    );
    assert_one_containing("[boot]\nhttp_host = \"bad_name\"\n", &["boot.http_host"]);
    assert_one_containing(
        "[boot]\nhttp_port = 0\n",
        &["2:13: boot.http_port: 0 is out of range: expected a port number from 1 to 65535"],
    );
    assert_one_containing(
        "[boot]\nhttp_port = 65536\n",
        &["boot.http_port: 65536 is out of range"],
    );
    assert_one_containing(
        "[boot]\nipxe_script = \"boot.ipxe\"\n",
        &["boot.ipxe_script: \"boot.ipxe\" is not a path on kindling's HTTP server"],
    );
    assert_one_containing(
        "[boot]\nbios_file = \"\"\n",
        &["boot.bios_file: the file name is empty"],
    );
    assert_one_containing(
        &format!("[boot]\nuefi_x64_file = \"{}\"\n", "a".repeat(128)),
        &["boot.uefi_x64_file: the file name is 128 bytes long"],
    );
    assert_one_containing(
        "[boot]\ngrub_file = \"grub net.efi\"\n",
        &["boot.grub_file: \"grub net.efi\" contains spaces"],
    );
    assert_one_containing(
        "[boot]\nuefi_loader = \"systemd-boot\"\n",
        &["boot.uefi_loader: unknown loader \"systemd-boot\": use \"ipxe\" or \"grub\""],
    );

    let config = ok("[boot]\nhttp_host = \"10.0.0.1\"\nuefi_loader = \"grub\"\ngrub_file = \"efi/grubx64.efi\"\n");
    assert_eq!(config.dhcp.boot.http_host.as_deref(), Some("10.0.0.1"));
    assert_eq!(config.dhcp.boot.uefi_loader, dhcp::UefiLoader::Grub);
    assert_eq!(config.dhcp.boot.grub_file, "efi/grubx64.efi");
    assert!(!config.http_port_set, "http_port_set is only for http_port");
    assert_eq!(config.dhcp.boot.http_port, dhcp::BootConfig::default().http_port);
    let config = ok("[boot]\nhttp_port = 80\n");
    assert!(config.http_port_set);
    assert_eq!(config.dhcp.boot.http_port, 80);
    assert_eq!(
        ok("[boot]\nhttp_host = \"[fd00::1]\"\n").dhcp.boot.http_host.as_deref(),
        Some("[fd00::1]")
    );
}

/// `[[dns.record]]` entries after a `[dns]` header.
fn records(entries: &[(&str, &str, &str)]) -> String {
    let mut text = String::from("[dns]\ndomain = \"lab.example\"\n");
    for (name, kind, value) in entries {
        text.push_str(&format!(
            "[[dns.record]]\nname = \"{name}\"\ntype = \"{kind}\"\nvalue = \"{value}\"\n"
        ));
    }
    text
}

#[test]
fn dns_section() {
    let text = r#"[dns]
enabled = true
address = "[::]:5353"
domain = "Lab.Example."
server_names = ["kindling", "matchbox.lab.example"]
upstreams = ["192.0.2.53", "192.0.2.54:5353", "fd00::53", "[fd00::54]:54"]
ttl = "5m"
cache_size = 0

[[dns.record]]
name = "matchbox.lab.example"
type = "A"
value = "10.99.0.1"

[[dns.record]]
name = "matchbox.lab.example"
type = "aaaa"
value = "fd00::1"
ttl = 30

[[dns.record]]
name = "boot.lab.example"
type = "CNAME"
value = "matchbox.lab.example"

[[dns.record]]
name = "matchbox.lab.example"
type = "TXT"
value = "v=1 hello"

[[dns.record]]
name = "_http._tcp.lab.example"
type = "Srv"
value = "10 5 8080 matchbox.lab.example"
"#;
    let config = ok(text);
    let name = |s: &str| dns::parse_name(s).unwrap();
    assert!(config.dns_enabled);
    assert_eq!(config.dns_address, Some(vec!["[::]:5353".to_owned()]));
    assert!(config.dns_server_names_set);
    let dns = &config.dns;
    assert_eq!(dns.domain, Some(name("lab.example")));
    assert!(dns.domain.as_ref().unwrap().is_fqdn());
    assert_eq!(dns.server_names, [name("kindling"), name("matchbox.lab.example")]);
    let upstreams: Vec<String> = dns.upstreams.iter().map(ToString::to_string).collect();
    assert_eq!(
        upstreams,
        ["192.0.2.53:53", "192.0.2.54:5353", "[fd00::53]:53", "[fd00::54]:54"]
    );
    assert_eq!(dns.local_ttl, 300);
    assert_eq!(dns.cache_size, 0);
    let defaults = dns::DnsConfig::default();
    assert_eq!(dns.max_cache_ttl, defaults.max_cache_ttl, "not a key");
    assert_eq!(dns.upstream_timeout, defaults.upstream_timeout, "not a key");
    assert_eq!(
        dns.records,
        [
            StaticRecord {
                name: name("matchbox.lab.example"),
                ttl: None,
                subdomains: false,
                value: RecordValue::A(Ipv4Addr::new(10, 99, 0, 1)),
            },
            StaticRecord {
                name: name("matchbox.lab.example"),
                ttl: Some(30),
                subdomains: false,
                value: RecordValue::Aaaa("fd00::1".parse().unwrap()),
            },
            StaticRecord {
                name: name("boot.lab.example"),
                ttl: None,
                subdomains: false,
                value: RecordValue::Cname(name("matchbox.lab.example")),
            },
            StaticRecord {
                name: name("matchbox.lab.example"),
                ttl: None,
                subdomains: false,
                value: RecordValue::Txt(vec!["v=1 hello".to_owned()]),
            },
            StaticRecord {
                name: name("_http._tcp.lab.example"),
                ttl: None,
                subdomains: false,
                value: RecordValue::Srv {
                    priority: 10,
                    weight: 5,
                    port: 8080,
                    target: name("matchbox.lab.example"),
                },
            },
        ]
    );

    // An empty [dns] changes nothing; `server_names = []` is a choice.
    assert_eq!(ok("[dns]\n"), Config::default());
    let config = ok("[dns]\nserver_names = []\n");
    assert!(config.dns_server_names_set);
    assert!(config.dns.server_names.is_empty());
    assert!(!config.dns_enabled);
    assert_eq!(config.dns_address, None);
}

#[test]
fn dns_values() {
    assert_one(
        "dns = true\n",
        "t.toml:1:7: dns: expected a table: write the [dns] header and its keys below it, found a boolean",
    );
    assert_one(
        "[dns]\nenable = true\n",
        "t.toml:2:1: dns.enable: unknown key `enable` (did you mean `enabled`?); allowed here: enabled, address, domain, server_names, upstreams, forward_allow, forward_any, ttl, cache_size, log_queries, resolv_file, hosts_file, record",
    );
    assert_one_containing(
        "[dns]\nenabled = \"yes\"\n",
        &["2:11: dns.enabled: expected true or false"],
    );
    assert_one_containing(
        "[dns]\nforward_allow = [\"10.0.0.0/33\"]\n",
        &["dns.forward_allow[0]: \"10.0.0.0/33\": the prefix length must be a number from 0 to 32"],
    );
    assert_one_containing(
        "[dns]\nforward_allow = \"10.0.0.0/8\"\n",
        &["dns.forward_allow: expected an array of networks"],
    );
    let c = ok("[dns]\nforward_allow = [\"192.0.2.9/24\", \"fd00::1\"]\nforward_any = true\n");
    let nets: Vec<String> = c.dns.forward_allow.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["192.0.2.0/24", "fd00::1/128"]);
    assert!(c.dns.forward_any);
    assert_one(
        "[dns]\naddress = \"0.0.0.0\"\n",
        "t.toml:2:11: dns.address: \"0.0.0.0\" has no port: write \"0.0.0.0:53\"",
    );
    assert_one_containing(
        "[dns]\naddress = \":::53\"\n",
        &["dns.address: \":::53\" is not an address and port: put an IPv6 address in brackets, such as \"[::]:53\""],
    );
    assert_one_containing(
        "[dns]\naddress = \"localhost:53\"\n",
        &["dns.address: \"localhost:53\" is not an address and port: write an address and a port"],
    );
    assert_one_containing(
        "[dns]\naddress = \"0.0.0.0:0\"\n",
        &["dns.address: \"0.0.0.0:0\" has port 0"],
    );
    assert_one_containing(
        "[dns]\naddress = 53\n",
        &[
            "dns.address: expected an address and port such as \"0.0.0.0:53\", or an array of them such as [\"0.0.0.0:53\", \"[::]:53\"], found an integer",
        ],
    );
    assert_eq!(
        ok("[dns]\naddress = \"10.99.0.1:53\"\n").dns_address,
        Some(vec!["10.99.0.1:53".to_owned()])
    );
    // Several addresses: both families, each once.
    assert_eq!(
        ok("[dns]\naddress = [\"0.0.0.0:53\", \"[::]:53\"]\n").dns_address,
        Some(vec!["0.0.0.0:53".to_owned(), "[::]:53".to_owned()])
    );
    assert_one_containing(
        "[dns]\naddress = [\"0.0.0.0:53\", \"0.0.0.0:53\"]\n",
        &["2:26: dns.address[1]: 0.0.0.0:53 is already dns.address[0] on line 2: list each address once"],
    );
    assert_one_containing(
        "[dns]\naddress = [\"0.0.0.0:53\", \"[::]\"]\n",
        &["dns.address[1]: \"[::]\" has no port", "\"[::]:53\""],
    );
    assert_one_containing("[dns]\naddress = []\n", &["dns.address: an empty list"]);
    assert_one(
        "[dns]\ndomain = \"lab..example\"\n",
        "t.toml:2:10: dns.domain: \"lab..example\" has an empty label (two dots in a row): write a name such as \"lab.example\"",
    );
    assert_one_containing(
        "[dns]\ndomain = \"\"\n",
        &["dns.domain: the name is empty: write a name such as \"lab.example\""],
    );
    assert_one_containing(
        "[dns]\ndomain = \"lab example\"\n",
        &["dns.domain: \"lab example\" is not a host name: use letters, digits and hyphens"],
    );
    assert_one_containing(
        "[dns]\nserver_names = \"kindling\"\n",
        &[
            "2:16: dns.server_names: expected an array of names such as [\"kindling\", \"matchbox.lab.example\"], found a string",
        ],
    );
    assert_one_containing(
        "[dns]\nserver_names = [\"kindling\", \"king ling\"]\n",
        &["2:29: dns.server_names[1]: \"king ling\" is not a host name"],
    );
    assert_one(
        "[dns]\nttl = \"8d\"\n",
        "t.toml:2:7: dns.ttl: 8d is too long: use at most 7d, the longest resolvers keep an answer",
    );
    assert_one_containing("[dns]\nttl = \"1x\"\n", &["dns.ttl: invalid duration \"1x\""]);
    assert_eq!(ok("[dns]\nttl = 0\n").dns.local_ttl, 0);
    assert_eq!(ok("[dns]\nttl = \"7d\"\n").dns.local_ttl, 604_800);
    assert_one(
        "[dns]\ncache_size = -1\n",
        "t.toml:2:14: dns.cache_size: -1 is out of range: expected a number of answers from 0 to 1000000 (0 turns the cache off)",
    );
    assert_one_containing(
        "[dns]\ncache_size = 1000001\n",
        &["dns.cache_size: 1000001 is out of range"],
    );
    assert_eq!(ok("[dns]\ncache_size = 500\n").dns.cache_size, 500);
}

#[test]
fn dns_upstreams() {
    assert_one(
        "[dns]\nupstreams = [\"192.0.2.53\", \"dns.example\"]\n",
        "t.toml:2:28: dns.upstreams[1]: \"dns.example\" is a name: give the resolver's address instead, such as \"192.0.2.53\" or \"192.0.2.53:5353\"",
    );
    assert_one_containing(
        "[dns]\nupstreams = [\"192.0.2.300\"]\n",
        &["2:14: dns.upstreams[0]: \"192.0.2.300\" is not a resolver address: write an IP address"],
    );
    assert_one_containing(
        "[dns]\nupstreams = [\"0.0.0.0\"]\n",
        &["dns.upstreams[0]: \"0.0.0.0\" is the unspecified address"],
    );
    assert_one_containing(
        "[dns]\nupstreams = [\"192.0.2.53:0\"]\n",
        &[
            "dns.upstreams[0]: \"192.0.2.53:0\": port 0",
            "leave the port out for 53",
        ],
    );
    assert_one_containing(
        "[dns]\nupstreams = \"192.0.2.53\"\n",
        &["dns.upstreams: expected an array of resolver addresses"],
    );
    assert_one_containing(
        "[dns]\nupstreams = [53]\n",
        &["dns.upstreams[0]: expected a resolver address such as \"192.0.2.53\""],
    );
    // The default port makes these the same resolver.
    assert_one(
        "[dns]\nupstreams = [\n  \"192.0.2.53\",\n  \"[fd00::53]:53\",\n  \"192.0.2.53:53\",\n]\n",
        "t.toml:5:3: dns.upstreams[2]: 192.0.2.53:53 is already dns.upstreams[0] on line 3: list each resolver once",
    );
    assert_one_containing(
        "[dns]\nupstreams = [\"fd00::53\", \"[fd00::53]:53\"]\n",
        &["dns.upstreams[1]: [fd00::53]:53 is already dns.upstreams[0] on line 2"],
    );
    ok("[dns]\nupstreams = [\"192.0.2.53\", \"192.0.2.53:5353\"]\n");
}

#[test]
fn dns_record_values() {
    assert_one(
        &records(&[("matchbox.lab.example", "MX", "10 mail.lab.example")]),
        "t.toml:5:8: dns.record[0].type: unknown record type \"MX\": use one of A, AAAA, CNAME, TXT, SRV",
    );
    assert_one_containing(
        &records(&[("1.0.99.10.in-addr.arpa", "ptr", "matchbox.lab.example")]),
        &["dns.record[0].type: PTR records are made from the addresses of A and AAAA records"],
    );
    assert_one(
        &records(&[("matchbox.lab.example", "A", "10.99.0")]),
        "t.toml:6:9: dns.record[0].value: \"10.99.0\" is not an IPv4 address such as \"10.99.0.1\"",
    );
    assert_one_containing(
        &records(&[("matchbox.lab.example", "AAAA", "10.99.0.1")]),
        &["dns.record[0].value: \"10.99.0.1\" is not an IPv6 address such as \"fd00::1\""],
    );
    assert_one(
        &records(&[("_http._tcp.lab.example", "SRV", "10 5 matchbox.lab.example")]),
        "t.toml:6:9: dns.record[0].value: an SRV value is \"PRIORITY WEIGHT PORT TARGET\", such as \"10 5 8080 kindling.lab.example\"",
    );
    assert_one_containing(
        &records(&[("_http._tcp.lab.example", "SRV", "10 5 80800 matchbox.lab.example")]),
        &["dns.record[0].value: \"80800\": an SRV value is \"PRIORITY WEIGHT PORT TARGET\""],
    );
    assert_one_containing(
        &records(&[("boot.lab.example", "CNAME", "matchbox..lab.example")]),
        &["dns.record[0].value: \"matchbox..lab.example\" has an empty label"],
    );
    assert_one_containing(
        &records(&[("matchbox lab", "A", "10.99.0.1")]),
        &["4:8: dns.record[0].name: \"matchbox lab\" is not a host name"],
    );
    // A wrong type does not hide a wrong kind of value, nor the reverse.
    assert_eq!(
        report("[[dns.record]]\nname = \"x.lab.example\"\ntype = \"MX\"\nvalue = 10\n"),
        "t.toml:3:8: dns.record[0].type: unknown record type \"MX\": use one of A, AAAA, CNAME, TXT, SRV\n\
         t.toml:4:9: dns.record[0].value: expected a string such as \"10.99.0.1\", found an integer"
    );
    assert_one_containing(
        "[[dns.record]]\nname = \"x.lab.example\"\ntype = \"SRV\"\nvalue = 10\n",
        &["4:9: dns.record[0].value: expected a string \"PRIORITY WEIGHT PORT TARGET\""],
    );
    assert_one_containing(
        "[[dns.record]]\nname = \"x.lab.example\"\ntype = \"A\"\nvalue = \"10.99.0.1\"\nttl = \"30d\"\n",
        &["5:7: dns.record[0].ttl: 30d is too long: use at most 7d"],
    );
}

#[test]
fn dns_record_keys() {
    assert_one(
        "[[dns.record]]\nname = \"x.lab.example\"\ntype = \"A\"\nvalue = \"10.99.0.1\"\nvalu = \"10.99.0.2\"\n",
        "t.toml:5:1: dns.record[0].valu: unknown key `valu` (did you mean `value`?); allowed here: name, type, value, ttl, subdomains",
    );
    assert_eq!(
        report("[[dns.record]]\nname = \"x.lab.example\"\ntpye = \"A\"\nvalue = \"10.99.0.1\"\n"),
        "t.toml:1:1: dns.record[0].type: missing key `type`: add it, e.g. type = \"A\"\n\
         t.toml:3:1: dns.record[0].tpye: unknown key `tpye` (did you mean `type`?); allowed here: name, type, value, ttl, subdomains"
    );
    assert_one(
        "[[dns.record]]\ntype = \"A\"\nvalue = \"10.99.0.1\"\n",
        "t.toml:1:1: dns.record[0].name: missing key `name`: add it, e.g. name = \"matchbox.lab.example\"",
    );
    assert_one_containing(
        "[[dns.record]]\nname = \"x.lab.example\"\ntype = \"A\"\n",
        &["1:1: dns.record[0].value: missing key `value`: add it, e.g. value = \"10.99.0.1\""],
    );
    assert_one_containing(
        "[dns.record]\nname = \"x.lab.example\"\n",
        &["1:1: dns.record: expected an array of tables: write [[dns.record]] (double brackets) above each entry"],
    );
}

#[test]
fn dns_record_conflicts() {
    assert_one(
        &records(&[
            ("matchbox.lab.example", "A", "10.99.0.1"),
            ("matchbox.lab.example", "CNAME", "boot.lab.example"),
        ]),
        "t.toml:8:8: dns.record[1].name: matchbox.lab.example already has an A record in dns.record[0] on line 4, and a name with a CNAME can have no other record (RFC 1034): give the CNAME another name, or remove the other record",
    );
    assert_one(
        &records(&[
            ("boot.lab.example", "CNAME", "matchbox.lab.example"),
            ("Boot.Lab.Example.", "TXT", "hello"),
        ]),
        "t.toml:8:8: dns.record[1].name: Boot.Lab.Example. is a CNAME in dns.record[0] on line 4, and a name with a CNAME can have no other record (RFC 1034): put a TXT record on the CNAME's target \"matchbox.lab.example\", or remove the CNAME",
    );
    assert_one_containing(
        &records(&[
            ("boot.lab.example", "CNAME", "matchbox.lab.example"),
            ("boot.lab.example", "CNAME", "other.lab.example"),
        ]),
        &[
            "8:8: dns.record[1].name: boot.lab.example is already a CNAME in dns.record[0] on line 4, and a name has at most one CNAME",
        ],
    );
    assert_one(
        &records(&[
            ("matchbox.lab.example", "A", "10.99.0.1"),
            ("matchbox.lab.example", "A", "10.99.0.2"),
            ("MATCHBOX.lab.example", "a", "10.99.0.1"),
        ]),
        "t.toml:12:8: dns.record[2].name: the same record as dns.record[0] on line 4 (MATCHBOX.lab.example A \"10.99.0.1\"): remove one of them",
    );
    assert_one_containing(
        &records(&[
            ("boot.lab.example", "CNAME", "matchbox.lab.example"),
            ("boot.lab.example", "CNAME", "Matchbox.lab.example."),
        ]),
        &["dns.record[1].name: the same record as dns.record[0] on line 4"],
    );
    // Every clashing record is reported, each against one earlier record.
    let report = report(&records(&[
        ("a.lab.example", "A", "10.99.0.1"),
        ("a.lab.example", "CNAME", "b.lab.example"),
        ("a.lab.example", "AAAA", "fd00::1"),
    ]));
    assert_eq!(report.lines().count(), 2, "{report}");
    assert!(
        report.contains("dns.record[1].name: a.lab.example already has an A record"),
        "{report}"
    );
    assert!(
        report.contains("dns.record[2].name: a.lab.example is a CNAME in dns.record[1]"),
        "{report}"
    );
    // Different values, or the same value at different names, are fine.
    let config = ok(&records(&[
        ("matchbox.lab.example", "A", "10.99.0.1"),
        ("matchbox.lab.example", "A", "10.99.0.2"),
        ("node.lab.example", "A", "10.99.0.1"),
        ("matchbox.lab.example", "TXT", "10.99.0.1"),
    ]));
    assert_eq!(config.dns.records.len(), 4);
    // `subdomains`: a boolean; a record with it is its name's too, so a
    // CNAME clashes with it, but it is not the same record as a literal one.
    let subtree = |name: &str, kind: &str, value: &str| {
        format!("\n[[dns.record]]\nname = \"{name}\"\ntype = \"{kind}\"\nvalue = \"{value}\"\nsubdomains = true\n")
    };
    let config = ok(&format!(
        "{}{}",
        records(&[("example.com", "A", "192.0.2.1")]),
        subtree("example.com", "A", "192.0.2.1")
    ));
    assert_eq!(
        config.dns.records.iter().map(|r| r.subdomains).collect::<Vec<_>>(),
        [false, true]
    );
    assert_one_containing(
        &format!(
            "{}{}",
            records(&[("example.com", "CNAME", "matchbox.lab.example")]),
            subtree("example.com", "A", "192.0.2.1")
        ),
        &["dns.record[1].name: example.com is a CNAME in dns.record[0]"],
    );
    assert_one_containing(
        &format!(
            "{}{}",
            subtree("example.com", "A", "192.0.2.1"),
            subtree("example.com", "A", "192.0.2.1")
        ),
        &["dns.record[1].name: the same record as dns.record[0]"],
    );
    assert_one_containing(
        "[[dns.record]]\nname = \"example.com\"\ntype = \"A\"\nvalue = \"192.0.2.1\"\nsubdomains = \"yes\"\n",
        &["5:14: dns.record[0].subdomains: expected true or false"],
    );
    // A record with an error is left out of the cross checks.
    assert_one_containing(
        &records(&[
            ("boot.lab.example", "CNAME", "bad..target"),
            ("boot.lab.example", "A", "10.99.0.1"),
        ]),
        &["dns.record[0].value"],
    );
}

#[test]
fn reading_failures_are_one_error() {
    let dir = std::env::temp_dir().join(format!("kindling-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let missing = dir.join("missing.toml");
    let errors: ConfigErrors = config::load(&missing).unwrap_err();
    assert_eq!(errors.len(), 1);
    let e = &errors.0[0];
    assert_eq!((e.line, e.column, e.key.as_str()), (0, 0, ""));
    assert_eq!(e.file, missing.display().to_string());
    let shown = errors.to_string();
    assert!(
        shown.starts_with(&format!("{}: cannot read the configuration file: ", missing.display())),
        "{shown}"
    );

    let latin1 = dir.join("latin1.toml");
    std::fs::write(&latin1, b"[dhcp]\ninterfaces = [\"caf\xe9\"]\n").unwrap();
    let errors = config::load(&latin1).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors.0[0].line, errors.0[0].column), (2, 19), "{errors}");
    assert!(errors.to_string().contains("not UTF-8"), "{errors}");

    let good = dir.join("good.toml");
    std::fs::write(&good, "[dhcp]\nmode = \"proxy\"\n").unwrap();
    assert_eq!(config::load(&good).unwrap().dhcp.mode, dhcp::Mode::Proxy);
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[dhcp]\nmode = 1\n").unwrap();
    let shown = config::load(&bad).unwrap_err().to_string();
    assert!(
        shown.starts_with(&format!("{}:2:8: dhcp.mode: ", bad.display())),
        "{shown}"
    );

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn messages_stay_on_one_line() {
    for text in ["[dhcp]\n\"a\\nb\" = 1\n", "[dhcp]\nmode = \"a\\nb\"\n", "x = [\n"] {
        let errors = parse(text, "t.toml").unwrap_err();
        assert_eq!(errors.to_string().lines().count(), errors.len(), "{errors}");
    }
}
