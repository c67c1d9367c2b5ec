//! The DHCP server against real clients, in network namespaces created by
//! each test (veth pair, private 10.231.N.0/24 addresses inside them only):
//! ISC dhclient and busybox udhcpc obtaining, renewing and releasing a
//! lease; perfdhcp sending PXE and iPXE options through a relay address,
//! with the replies captured by tcpdump and decoded; and proxy mode beside
//! dnsmasq handing out addresses, the client seeing both offers.

mod common;

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use common::netns::{Capture, Lab, available, have};
use common::{Server, wait_until};
use dhcp::MessageType;
use dhcp::options::code;

fn leases_json(lab: &Lab, s: &Server) -> serde_json::Value {
    let body = lab.http_get(&s.addr, "/leases?format=json");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body:?}"))
}

fn lease_of<'a>(leases: &'a serde_json::Value, ip: &str) -> Option<&'a serde_json::Value> {
    leases.as_array().unwrap().iter().find(|l| l["ip"] == ip)
}

fn client_addr(lab: &Lab) -> Option<String> {
    let out = lab
        .in_client("ip")
        .args(["-4", "-o", "addr", "show", "dev", &lab.client_if])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .map(|a| a.split('/').next().unwrap().to_owned())
}

#[test]
fn dhclient_obtains_reboots_and_releases() {
    if !available("dhclient_obtains_reboots_and_releases") || !have("dhclient") {
        return;
    }
    let lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let s = lab.start_kindling(dir.path(), &lab.full_dhcp_config(""), &[]);
    let lease_file = dir.path().join("dhclient.leases");
    let dhclient = |extra: &[&str]| {
        let out = lab
            .in_client("dhclient")
            .args(["-v", "-1", "-pf"])
            .arg(dir.path().join("dhclient.pid"))
            .arg("-lf")
            .arg(&lease_file)
            .args(extra)
            .arg(&lab.client_if)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let log = dhclient(&[]);
    assert!(log.contains("DHCPACK"), "{log}");
    let ip = client_addr(&lab).expect("dhclient configured an address");
    assert!(ip.starts_with(&format!("{}.1", lab.prefix())), "{ip}");
    let leases = leases_json(&lab, &s);
    let lease = lease_of(&leases, &ip).expect("the lease is listed");
    assert_eq!(lease["state"], "active");

    // Again with the lease file: INIT-REBOOT, same address.
    let _ = Command::new("kill")
        .arg(
            std::fs::read_to_string(dir.path().join("dhclient.pid"))
                .unwrap_or_default()
                .trim(),
        )
        .status();
    let log = dhclient(&[]);
    assert!(log.contains(&format!("DHCPACK of {ip}")), "{log}");

    // Release.
    let log = dhclient(&["-r"]);
    assert!(log.contains("DHCPRELEASE"), "{log}");
    let released = wait_until(Duration::from_secs(5), || {
        lease_of(&leases_json(&lab, &s), &ip).is_some_and(|l| l["state"] == "released")
    });
    assert!(released.is_some(), "{}", lab.http_get(&s.addr, "/leases"));
}

#[test]
fn udhcpc_obtains_renews_and_releases() {
    if !available("udhcpc_obtains_renews_and_releases") || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let s = lab.start_kindling(dir.path(), &lab.full_dhcp_config(""), &[]);
    let udhcpc = lab.udhcpc(dir.path(), &[]);
    let read = || udhcpc.events();
    let ip = udhcpc.wait_bound();
    let expires_before = lease_of(&leases_json(&lab, &s), &ip).unwrap()["expires"]
        .as_u64()
        .unwrap();

    // SIGUSR1: renew (a unicast REQUEST from the client's address).
    std::thread::sleep(Duration::from_millis(1100));
    udhcpc.signal("USR1");
    wait_until(Duration::from_secs(10), || read().contains("renew ")).expect("udhcpc renewed");
    let renewed = wait_until(Duration::from_secs(5), || {
        lease_of(&leases_json(&lab, &s), &ip).is_some_and(|l| l["expires"].as_u64().unwrap() > expires_before)
    });
    assert!(renewed.is_some(), "the lease was extended");

    // SIGUSR2: release.
    udhcpc.signal("USR2");
    let released = wait_until(Duration::from_secs(10), || {
        lease_of(&leases_json(&lab, &s), &ip).is_some_and(|l| l["state"] == "released")
    });
    assert!(released.is_some(), "{}", lab.http_get(&s.addr, "/leases"));
}

fn hex(s: &[u8]) -> String {
    s.iter().map(|b| format!("{b:02x}")).collect()
}

/// perfdhcp in relay mode (unicast to the server with giaddr = its own
/// address) with the options a PXE ROM and an iPXE send, and option 82.
fn perfdhcp(lab: &Lab, options: &[(u8, Vec<u8>)], clients: u32, base_mac: &str) -> String {
    let mut cmd = lab.in_client("perfdhcp");
    cmd.args([
        "-4",
        "-l",
        &lab.client_ip(),
        "-r",
        "50",
        "-R",
        &clients.to_string(),
        "-n",
        &clients.to_string(),
        "-p",
        "10",
    ]);
    cmd.args(["-b", &format!("mac={base_mac}")]);
    for (c, v) in options {
        cmd.args(["-o", &format!("{c},{}", hex(v))]);
    }
    cmd.arg(lab.server_ip());
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn replies_of(msgs: &[dhcp::Message], kind: MessageType) -> Vec<&dhcp::Message> {
    msgs.iter()
        .filter(|m| m.op == dhcp::Op::Reply && m.options.message_type() == Some(kind))
        .collect()
}

#[test]
fn perfdhcp_pxe_and_ipxe_clients_get_boot_answers_through_a_relay() {
    if !available("perfdhcp_pxe_and_ipxe_clients") || !have("perfdhcp") || !have("tcpdump") {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempfile::tempdir().unwrap();
    let _s = lab.start_kindling(dir.path(), &lab.full_dhcp_config(""), &[]);
    let relay_info = vec![1u8, 6, b'p', b'o', b'r', b't', b'-', b'7'];

    let cap = Capture::start(&lab.client_ns, &lab.client_if, dir.path(), "pxe.pcap");
    let out = perfdhcp(
        &lab,
        &[
            (60, b"PXEClient:Arch:00000:UNDI:002001".to_vec()),
            (93, vec![0, 0]),
            (94, vec![1, 2, 1]),
            (82, relay_info.clone()),
        ],
        5,
        "00:0c:01:02:03:04",
    );
    let msgs = cap.stop();
    let offers = replies_of(&msgs, MessageType::Offer);
    let acks = replies_of(&msgs, MessageType::Ack);
    assert!(!offers.is_empty() && !acks.is_empty(), "{out}\n{msgs:?}");
    for r in offers.iter().chain(&acks) {
        assert_eq!(String::from_utf8_lossy(&r.file), "undionly.kpxe");
        assert_eq!(r.siaddr.to_string(), lab.server_ip());
        assert_eq!(r.giaddr.to_string(), lab.client_ip(), "answered to the relay");
        assert_eq!(
            r.options.get(code::RELAY_AGENT),
            Some(&relay_info[..]),
            "option 82 echoed"
        );
        assert!(r.yiaddr.to_string().starts_with(&lab.prefix()));
    }

    let cap = Capture::start(&lab.client_ns, &lab.client_if, dir.path(), "ipxe.pcap");
    let out = perfdhcp(
        &lab,
        &[
            (60, b"PXEClient:Arch:00007:UNDI:003010".to_vec()),
            (93, vec![0, 7]),
            (77, b"iPXE".to_vec()),
            (175, vec![0x13, 1, 1]),
        ],
        5,
        "00:0c:01:02:04:04",
    );
    let msgs = cap.stop();
    let acks = replies_of(&msgs, MessageType::Ack);
    assert!(!acks.is_empty(), "{out}");
    for r in &acks {
        assert_eq!(
            String::from_utf8_lossy(&r.file),
            format!("http://{}:8080/boot.ipxe", lab.server_ip())
        );
        assert!(r.siaddr.is_unspecified(), "no TFTP server for iPXE");
        assert_eq!(r.options.ipxe_suboptions(), vec![(176, vec![1])]);
    }
}

#[test]
fn proxy_mode_beside_dnsmasq_client_sees_both_offers() {
    if !available("proxy_mode_beside_dnsmasq") || !have("dnsmasq") || !have("perfdhcp") || !have("tcpdump") {
        return;
    }
    let mut lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let p = lab.prefix();
    // dnsmasq hands out addresses only (no PXE), in the server namespace.
    let mut dnsmasq = lab.in_server("dnsmasq");
    dnsmasq
        .args([
            "--keep-in-foreground",
            "--port=0",
            "--user=root",
            "--pid-file=",
            "--interface",
            &lab.server_if,
            "--bind-interfaces",
        ])
        .arg(format!("--dhcp-range={p}.50,{p}.60,255.255.255.0,1h"))
        .arg(format!(
            "--dhcp-leasefile={}",
            dir.path().join("dnsmasq.leases").display()
        ));
    lab.spawn(dnsmasq);
    std::thread::sleep(Duration::from_millis(500));
    let config = format!("[dhcp]\nmode = \"proxy\"\ninterfaces = [\"{}\"]\n", lab.server_if);
    let _s = lab.start_kindling(dir.path(), &config, &[]);

    let cap = Capture::start(&lab.client_ns, &lab.client_if, dir.path(), "proxy.pcap");
    // ISC dhclient made to look like a BIOS PXE ROM (vendor class and arch 0)
    // broadcasts the DISCOVER. (dhclient itself is no PXE client: it drops
    // every offer from a server that sent one without an address, and both
    // servers here answer from the same address, so it is only the sender.)
    let conf = dir.path().join("dhclient.conf");
    std::fs::write(
        &conf,
        "timeout 3;\noption pxe-arch code 93 = unsigned integer 16;\nsend pxe-arch 0;\nsend vendor-class-identifier \"PXEClient:Arch:00000:UNDI:002001\";\n",
    )
    .unwrap();
    let _ = lab
        .in_client("dhclient")
        .args(["-v", "-1", "-cf"])
        .arg(&conf)
        .arg("-pf")
        .arg(dir.path().join("dhclient.pid"))
        .arg("-lf")
        .arg(dir.path().join("dhclient.leases"))
        .arg(&lab.client_if)
        .output()
        .unwrap();
    let msgs = cap.stop();
    let offers = replies_of(&msgs, MessageType::Offer);
    let from_dnsmasq = offers.iter().find(|m| !m.yiaddr.is_unspecified());
    let from_kindling = offers.iter().find(|m| m.yiaddr.is_unspecified());
    let dnsmasq_offer = from_dnsmasq.unwrap_or_else(|| panic!("no address offer from dnsmasq: {msgs:?}"));
    let proxy = from_kindling.unwrap_or_else(|| panic!("no proxy offer from kindling: {msgs:?}"));
    assert!((50..=60).contains(&dnsmasq_offer.yiaddr.octets()[3]));
    assert_eq!(String::from_utf8_lossy(&proxy.file), "undionly.kpxe");
    assert_eq!(proxy.siaddr.to_string(), lab.server_ip());
    assert_eq!(proxy.options.vendor_class().as_deref(), Some("PXEClient"));
    assert_eq!(
        proxy.options.server_id(),
        Some(lab.server_ip().parse::<Ipv4Addr>().unwrap())
    );
    assert_eq!(proxy.options.vendor_suboptions().first(), Some(&(6, vec![8])));
}

/// `--dhcp-ra`: a router solicitation from rdisc6 (ndisc6) gets kindling's
/// minimal advertisement (no flags, lifetime 0, no prefix); without the
/// flag nothing answers.
#[test]
fn router_advertisements_answer_rdisc6() {
    if !available("router_advertisements_answer_rdisc6") || !have("rdisc6") {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempfile::tempdir().unwrap();
    // Neighbour discovery needs link-local addresses, usable once duplicate
    // address detection is over (about a second after the link came up).
    for (ns, dev) in [(&lab.server_ns, &lab.server_if), (&lab.client_ns, &lab.client_if)] {
        let ready = wait_until(Duration::from_secs(10), || {
            let out = Lab::cmd(ns, "ip")
                .args(["-6", "addr", "show", "dev", dev])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.contains("fe80::") && !text.contains("tentative")
        });
        assert!(ready.is_some(), "no usable link-local address on {dev}");
    }
    let solicit = || {
        // -1: stop at the first answer; 5 solicitations, 1.5 s apart, which
        // also covers the link-local addresses' duplicate address detection.
        let out = lab
            .in_client("rdisc6")
            .args(["-1", "-r", "5", "-w", "1500", &lab.client_if])
            .output()
            .expect("rdisc6");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    {
        let _s = lab.start_kindling(dir.path(), &lab.full_dhcp_config(""), &[]);
        let out = solicit();
        assert!(out.contains("Soliciting ff02::2"), "{out}");
        assert!(out.contains("No response"), "advertisement without --dhcp-ra:\n{out}");
    }
    let _s = lab.start_kindling(dir.path(), &lab.full_dhcp_config(""), &["--dhcp-ra"]);
    let out = solicit();
    assert!(out.contains("Stateful address conf.    :           No"), "{out}");
    assert!(out.contains("Stateful other conf.      :           No"), "{out}");
    assert!(
        out.contains("Router lifetime           :            0 (0x00000000) seconds"),
        "{out}"
    );
    assert!(!out.contains("Prefix"), "no prefix is advertised:\n{out}");
    assert!(out.contains("from fe80::"), "sent from the link-local address:\n{out}");
}

/// Options of each type, from each place (global, subnet, class, class
/// naming a class), reach a real client: busybox udhcpc, whose script
/// environment holds what it received (known options by name, the others
/// as `optN` in hex). A class that does not match gives nothing.
#[test]
fn configured_options_and_classes_reach_udhcpc() {
    if !available("configured_options_and_classes_reach_udhcpc") || !have("udhcpc") {
        return;
    }
    let lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let p = lab.prefix();
    let config = format!(
        r#"[dhcp]
mode = "full"
interfaces = ["{iface}"]
options = {{ ntp-server = ["0.0.0.0"], 224 = {{ text = "global" }} }}

[[dhcp.subnet]]
network = "{p}.0/24"
ranges = ["{p}.100-{p}.199"]
routers = ["{p}.1"]
options = {{ mtu = 1400, domain-search = ["lab.example", "example"] }}

[[dhcp.class]]
name = "udhcpc"
match = {{ vendor_class = "kindling-test" }}
options = {{ 225 = {{ hex = "01:02:03" }}, classless-static-route = ["10.9.0.0/16,{p}.1"], domain-name = "class.example" }}

[[dhcp.class]]
name = "by-mac"
match = {{ mac = "*:*:*:*:*:*", classes = ["udhcpc"] }}
options = {{ 226 = {{ u16 = 513 }} }}

[[dhcp.class]]
name = "never"
match = {{ user_class = "nope" }}
options = {{ 227 = {{ text = "wrong" }} }}
"#,
        iface = lab.server_if
    );
    let s = lab.start_kindling(dir.path(), &config, &[]);
    s.wait_service_addr("dhcp");
    let env_file = dir.path().join("env");
    let script = dir.path().join("script");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = bound ] && env > {}\nexit 0\n",
            env_file.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&script).status().unwrap();
    let out = lab
        .in_client("udhcpc")
        .args(["-f", "-q", "-n", "-t", "5", "-T", "1", "-V", "kindling-test"])
        .args(["-O", "224", "-O", "225", "-O", "226", "-O", "227"])
        .args(["-O", "search", "-O", "staticroutes", "-O", "mtu", "-O", "ntpsrv"])
        .arg("-s")
        .arg(&script)
        .args(["-i", &lab.client_if])
        .output()
        .unwrap();
    let env = std::fs::read_to_string(&env_file)
        .unwrap_or_else(|_| panic!("udhcpc bound no lease: {}", String::from_utf8_lossy(&out.stderr)));
    let var = |name: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
    };
    assert_eq!(
        var("ntpsrv").as_deref(),
        Some(format!("{p}.1").as_str()),
        "0.0.0.0: the server\n{env}"
    );
    assert_eq!(var("mtu").as_deref(), Some("1400"), "{env}");
    assert_eq!(var("search").as_deref(), Some("lab.example example"), "{env}");
    assert_eq!(var("domain").as_deref(), Some("class.example"), "{env}");
    assert_eq!(
        var("staticroutes").as_deref(),
        Some(format!("10.9.0.0/16 {p}.1").as_str()),
        "{env}"
    );
    assert_eq!(var("opt224").as_deref(), Some("676c6f62616c"), "{env}");
    assert_eq!(var("opt225").as_deref(), Some("010203"), "{env}");
    assert_eq!(var("opt226").as_deref(), Some("0201"), "{env}");
    assert_eq!(var("opt227"), None, "{env}");
    assert!(
        s.log().contains("classes=udhcpc,by-mac"),
        "the reply is logged with its classes:\n{}",
        s.log()
    );
}
