//! Crash safety of DHCP leases: kindling is killed with SIGKILL while
//! perfdhcp is requesting leases through it, then restarted on the same
//! lease file. Every ACK that reached the wire before the kill (captured by
//! tcpdump) must still be the client's after the restart: the address is
//! listed as that client's active lease, and no other client is given it.

mod common;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use common::netns::{Capture, Lab, available, have};
use common::{BIN, Server};
use dhcp::MessageType;

fn start(lab: &Lab, dir: &std::path::Path) -> Server {
    let p = lab.prefix();
    let cfg = dir.join("kindling.toml");
    std::fs::write(
        &cfg,
        format!(
            "[dhcp]\nmode = \"full\"\ninterfaces = [\"{}\"]\n\n[[dhcp.subnet]]\nnetwork = \"{p}.0/24\"\nranges = [\"{p}.10-{p}.250\"]\nlease_time = \"1h\"\n",
            lab.server_if
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("data/groups")).unwrap();
    let mut cmd = lab.in_server(BIN);
    cmd.args(["serve", "--assets-path=", "--log-level", "warn", "--address"])
        .arg(format!("{}:8080", lab.server_ip()))
        .arg("--data-path")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(&cfg)
        .arg("--dhcp-lease-file")
        .arg(dir.join("leases.redb"));
    Server::spawn(&mut cmd)
}

/// ACKs on the wire: client MAC → acknowledged address.
fn acks(msgs: &[dhcp::Message]) -> HashMap<Vec<u8>, Ipv4Addr> {
    msgs.iter()
        .filter(|m| m.op == dhcp::Op::Reply && m.options.message_type() == Some(MessageType::Ack))
        .map(|m| (m.hw_addr().to_vec(), m.yiaddr))
        .collect()
}

fn perfdhcp(lab: &Lab, clients: u32, rate: u32, base_mac: &str) -> std::process::Child {
    lab.in_client("perfdhcp")
        .args([
            "-4",
            "-l",
            &lab.client_ip(),
            "-r",
            &rate.to_string(),
            "-R",
            &clients.to_string(),
            "-n",
            &clients.to_string(),
        ])
        .args(["-b", &format!("mac={base_mac}"), "-W", "1500000"])
        .arg(lab.server_ip())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("perfdhcp")
}

#[test]
fn no_acknowledged_address_goes_to_another_client_after_sigkill() {
    if !available("dhcp crash test") || !have("perfdhcp") || !have("tcpdump") {
        return;
    }
    let lab = Lab::new(true);
    let dir = tempfile::tempdir().unwrap();

    // Phase 1: 150 clients at 50 per second; SIGKILL after 1.5 s.
    let server = start(&lab, dir.path());
    let cap = Capture::start(&lab.client_ns, &lab.client_if, dir.path(), "before.pcap");
    let mut load = perfdhcp(&lab, 150, 50, "00:0c:01:00:00:01");
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill")
        .args(["-9", &server.pid().to_string()])
        .status()
        .unwrap();
    let _ = load.wait();
    let before = acks(&cap.stop());
    drop(server);
    assert!(
        before.len() >= 10,
        "too few ACKs before the kill ({}) for the test to mean anything",
        before.len()
    );
    assert!(
        before.len() < 150,
        "the kill came after every exchange ({}); it must interrupt the run",
        before.len()
    );

    // Phase 2: restart on the same lease file; 80 new clients.
    let server = start(&lab, dir.path());
    let leases: serde_json::Value = serde_json::from_str(&lab.http_get(&server.addr, "/leases?format=json")).unwrap();
    let listed: HashMap<String, (String, bool)> = leases
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["ip"].as_str().unwrap().to_owned(),
                (l["mac"].as_str().unwrap().to_owned(), l["active"].as_bool().unwrap()),
            )
        })
        .collect();
    for (mac, ip) in &before {
        let mac_text = mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
        assert_eq!(
            listed.get(&ip.to_string()),
            Some(&(mac_text, true)),
            "ACKed before the kill but not durable: {ip}"
        );
    }
    let cap = Capture::start(&lab.client_ns, &lab.client_if, dir.path(), "after.pcap");
    let mut load = perfdhcp(&lab, 80, 100, "00:0c:02:00:00:01");
    let _ = load.wait();
    let after = acks(&cap.stop());
    assert!(after.len() >= 40, "too few ACKs after the restart ({})", after.len());
    let taken: HashMap<Ipv4Addr, &Vec<u8>> = before.iter().map(|(mac, ip)| (*ip, mac)).collect();
    for (mac, ip) in &after {
        assert!(
            !taken.contains_key(ip),
            "{ip} was ACKed to {:02x?} before the kill and to {mac:02x?} after",
            taken[ip]
        );
    }
    println!(
        "crash test: {} ACKs before SIGKILL, {} after restart, no address reused",
        before.len(),
        after.len()
    );
}
