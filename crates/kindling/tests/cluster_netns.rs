//! Two kindling replicas sharing DHCP leases through three real etcd
//! members, in network namespaces the test creates: both replicas on one
//! broadcast domain (real udhcpc clients hear both), each also reached as
//! a relay by its own perfdhcp, and both behind ISC's dhcrelay forwarding a
//! remote network's clients to the two of them. Every ACK on the wire (tcpdump) is
//! checked against etcd: every address held by exactly one client, every
//! acknowledged lease stored. Then the same after SIGKILL of the etcd
//! leader, after SIGKILL of a replica, and with etcd gone (no ACK at all,
//! HTTP still answering).
//!
//! ```text
//!   ns c (clients) ──lan──┐                ┌── ns hub: etcd ×3 on 10.233.N.254
//!   ns a (replica) ──lan──┼── br0 (hub) ───┤
//!   ns b (replica) ──lan──┤   br1 (hub) ───┴── ctl of a and b
//!   ns r (dhcrelay) ─lan──┘
//!        └──dn0── ns d (remote clients, 10.234.N.0/24)
//! ```

mod common;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::netns::{Capture, available, have};
use common::{BIN, Server, wait_until};
use dhcp::MessageType;
use etcd::testing::EtcdCluster;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn run(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ns_cmd(ns: &str, program: &str) -> Command {
    let mut c = Command::new("ip");
    c.args(["netns", "exec", ns, program]);
    c
}

/// The namespaces, links and etcd members of one test; removed on drop.
struct ClusterLab {
    hub: String,
    a: String,
    b: String,
    c: String,
    /// `10.232.N.0/24` is the boot network, `10.233.N.0/24` the etcd one.
    n: u8,
    etcd: EtcdCluster,
    dir: tempfile::TempDir,
    /// Namespaces added later (the relay and its client).
    extra: Vec<String>,
    children: Vec<Child>,
}

impl ClusterLab {
    fn new() -> ClusterLab {
        let k = COUNTER.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}-{k}", std::process::id());
        let n = ((std::process::id() * 7 + k * 29) % 200 + 20) as u8;
        let name = |r: &str| format!("kcl-{r}-{id}");
        let (hub, a, b, c) = (name("h"), name("a"), name("b"), name("c"));
        for ns in [&hub, &a, &b, &c] {
            run(&["ip", "netns", "add", ns]);
            run(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        for br in ["br0", "br1"] {
            run(&["ip", "-n", &hub, "link", "add", br, "type", "bridge"]);
            run(&["ip", "-n", &hub, "link", "set", br, "up"]);
        }
        run(&[
            "ip",
            "-n",
            &hub,
            "addr",
            "add",
            &format!("10.233.{n}.254/24"),
            "dev",
            "br1",
        ]);
        // Each namespace's `lan` on br0; the replicas' `ctl` on br1.
        for (ns, tag, lan_ip, ctl_ip) in [
            (
                &a,
                "a",
                Some(format!("10.232.{n}.1/24")),
                Some(format!("10.233.{n}.1/24")),
            ),
            (
                &b,
                "b",
                Some(format!("10.232.{n}.2/24")),
                Some(format!("10.233.{n}.2/24")),
            ),
            (&c, "c", None, None),
        ] {
            for (local, peer, br, ip) in [
                ("lan", format!("l{tag}"), "br0", &lan_ip),
                ("ctl", format!("c{tag}"), "br1", &ctl_ip),
            ] {
                if tag == "c" && local == "ctl" {
                    continue;
                }
                run(&[
                    "ip", "link", "add", local, "netns", ns, "type", "veth", "peer", "name", &peer, "netns", &hub,
                ]);
                run(&["ip", "-n", &hub, "link", "set", &peer, "master", br]);
                run(&["ip", "-n", &hub, "link", "set", &peer, "up"]);
                if let Some(ip) = ip {
                    run(&["ip", "-n", ns, "addr", "add", ip, "dev", local]);
                }
                run(&["ip", "-n", ns, "link", "set", local, "up"]);
            }
        }
        // Two relay addresses for the two perfdhcp runs, and four macvlan
        // NICs with their own MACs for real clients.
        for host in [3, 4] {
            run(&[
                "ip",
                "-n",
                &c,
                "addr",
                "add",
                &format!("10.232.{n}.{host}/24"),
                "dev",
                "lan",
            ]);
        }
        for i in 0..4 {
            let mv = format!("mv{i}");
            run(&[
                "ip", "-n", &c, "link", "add", &mv, "link", "lan", "type", "macvlan", "mode", "bridge",
            ]);
            run(&["ip", "-n", &c, "link", "set", &mv, "up"]);
        }
        let etcd = EtcdCluster::start_in(3, &format!("10.233.{n}.254"), Some(&hub));
        ClusterLab {
            hub,
            a,
            b,
            c,
            n,
            etcd,
            dir: tempfile::tempdir().unwrap(),
            extra: Vec::new(),
            children: Vec::new(),
        }
    }

    fn replica_ip(&self, name: &str) -> String {
        format!("10.232.{}.{}", self.n, if name == "a" { 1 } else { 2 })
    }

    /// A relay namespace on the boot network (`10.232.N.5`) running ISC's
    /// dhcrelay towards both replicas, and behind it a client namespace on
    /// `10.234.N.0/24` (the relay is `.1`); the replicas route that network
    /// through the relay. Returns the client namespace's name.
    fn add_relay(&mut self) -> String {
        let n = self.n;
        let (r, d) = (format!("{}-r", self.c), format!("{}-d", self.c));
        for ns in [&r, &d] {
            run(&["ip", "netns", "add", ns]);
            run(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            self.extra.push(ns.clone());
        }
        run(&[
            "ip", "link", "add", "lan", "netns", &r, "type", "veth", "peer", "name", "lr", "netns", &self.hub,
        ]);
        run(&["ip", "-n", &self.hub, "link", "set", "lr", "master", "br0"]);
        run(&["ip", "-n", &self.hub, "link", "set", "lr", "up"]);
        run(&["ip", "-n", &r, "addr", "add", &format!("10.232.{n}.5/24"), "dev", "lan"]);
        run(&["ip", "-n", &r, "link", "set", "lan", "up"]);
        run(&[
            "ip", "link", "add", "dn0", "netns", &r, "type", "veth", "peer", "name", "cl0", "netns", &d,
        ]);
        run(&["ip", "-n", &r, "addr", "add", &format!("10.234.{n}.1/24"), "dev", "dn0"]);
        run(&["ip", "-n", &r, "link", "set", "dn0", "up"]);
        run(&["ip", "-n", &d, "link", "set", "cl0", "up"]);
        for ns in [&self.a, &self.b] {
            run(&[
                "ip",
                "-n",
                ns,
                "route",
                "add",
                &format!("10.234.{n}.0/24"),
                "via",
                &format!("10.232.{n}.5"),
            ]);
        }
        let relay = ns_cmd(&r, "dhcrelay")
            .args(["-d", "-4", "--no-pid", "-id", "dn0", "-iu", "lan"])
            .args([self.replica_ip("a"), self.replica_ip("b")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dhcrelay (apt-get install isc-dhcp-relay)");
        self.children.push(relay);
        d
    }

    fn start_replica(&self, name: &str) -> Server {
        let n = self.n;
        let cfg = self.dir.path().join("kindling.toml");
        std::fs::write(
            &cfg,
            format!(
                "[dhcp]\nmode = \"full\"\ninterfaces = [\"lan\"]\n\n[[dhcp.subnet]]\nnetwork = \"10.232.{n}.0/24\"\nranges = [\"10.232.{n}.10-10.232.{n}.254\"]\nlease_time = \"1h\"\n\n[[dhcp.subnet]]\nnetwork = \"10.234.{n}.0/24\"\nranges = [\"10.234.{n}.10-10.234.{n}.254\"]\nlease_time = \"1h\"\n"
            ),
        )
        .unwrap();
        let ns = if name == "a" { &self.a } else { &self.b };
        let mut cmd = ns_cmd(ns, BIN);
        cmd.args(["serve", "--assets-path=", "--log-level", "warn", "--store", "etcd"])
            .args(["--address", &format!("{}:8080", self.replica_ip(name))])
            .args(["--etcd-endpoints", &self.etcd.endpoints().join(",")])
            .args(["--replica-name", name])
            .arg("--config")
            .arg(&cfg);
        Server::spawn(&mut cmd)
    }

    /// GET from the client namespace.
    fn http(&self, replica: &str, path: &str) -> String {
        let out = ns_cmd(&self.c, "curl")
            .args(["-sS", "--max-time", "5"])
            .arg(format!("http://{}:8080{path}", self.replica_ip(replica)))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn healthz(&self, replica: &str, key: &str) -> String {
        self.http(replica, "/healthz")
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} ")).map(str::to_owned))
            .unwrap_or_default()
    }

    /// perfdhcp in the client namespace as the relay `from` (.3 or .4)
    /// towards `replica`: `clients` clients at `rate` per second.
    fn perfdhcp(&self, from: u8, replica: &str, clients: u32, rate: u32, base_mac: &str) -> Child {
        ns_cmd(&self.c, "perfdhcp")
            .args(["-4", "-l", &format!("10.232.{}.{from}", self.n)])
            .args([
                "-r",
                &rate.to_string(),
                "-R",
                &clients.to_string(),
                "-n",
                &clients.to_string(),
            ])
            .args(["-b", &format!("mac={base_mac}"), "-W", "1500000"])
            .arg(self.replica_ip(replica))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("perfdhcp")
    }

    fn capture(&self, name: &str) -> Capture {
        Capture::start(&self.c, "lan", self.dir.path(), name)
    }

    /// The lease records in etcd: address → (MAC, state, expires).
    fn stored_leases(&self) -> HashMap<Ipv4Addr, (String, String, u64)> {
        self.etcd
            .get_prefix("/kindling/leases/ip/")
            .into_iter()
            .map(|(k, v)| {
                let ip: Ipv4Addr = k.rsplit('/').next().unwrap().parse().unwrap();
                let v: serde_json::Value = serde_json::from_str(&v).unwrap();
                (
                    ip,
                    (
                        v["hw"].as_str().unwrap().to_owned(),
                        v["state"].as_str().unwrap().to_owned(),
                        v["expires"].as_u64().unwrap(),
                    ),
                )
            })
            .collect()
    }

    /// Every ACK must be stored in etcd, active, for the client it went to;
    /// no address may be ACKed to two clients. Returns the number checked.
    fn check_acks_are_stored(&self, acks: &[(String, Ipv4Addr)]) -> usize {
        let stored = self.stored_leases();
        let mut holder: HashMap<Ipv4Addr, &str> = HashMap::new();
        for (mac, ip) in acks {
            if let Some(other) = holder.insert(*ip, mac)
                && other != mac
            {
                panic!("{ip} was ACKed to {other} and to {mac}");
            }
            let Some((hw, state, _)) = stored.get(ip) else {
                panic!("{ip} was ACKed to {mac} but is not in etcd");
            };
            assert_eq!(
                (hw.as_str(), state.as_str()),
                (mac.replace(':', "").as_str(), "active"),
                "{ip}"
            );
        }
        // And in etcd itself, no active address shares a client.
        let now = dhcp_server::unix_now();
        let mut by_client: HashMap<&str, Ipv4Addr> = HashMap::new();
        for (ip, (hw, state, expires)) in &stored {
            if state == "active" && *expires > now {
                assert!(
                    by_client.insert(hw, *ip).is_none(),
                    "client {hw} holds two active addresses"
                );
            }
        }
        holder.len()
    }
}

impl Drop for ClusterLab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let all: Vec<String> = self
            .extra
            .iter()
            .chain([&self.c, &self.a, &self.b, &self.hub])
            .cloned()
            .collect();
        for ns in &all {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
        }
        // The etcd members die with their namespace; their files go with the struct.
        for ns in &all {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn ready() -> bool {
    if !available("cluster DHCP tests") {
        return false;
    }
    if !etcd::testing::available("cluster DHCP tests") {
        return false;
    }
    have("etcdctl") && have("perfdhcp") && have("tcpdump") && have("udhcpc") && have("curl")
}

/// ACKs on the wire, in order: (client MAC, address).
fn acks(msgs: &[dhcp::Message]) -> Vec<(String, Ipv4Addr)> {
    msgs.iter()
        .filter(|m| m.op == dhcp::Op::Reply && m.options.message_type() == Some(MessageType::Ack))
        .map(|m| {
            let mac = m
                .hw_addr()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":");
            (mac, m.yiaddr)
        })
        .collect()
}

fn offers(msgs: &[dhcp::Message]) -> usize {
    msgs.iter()
        .filter(|m| m.op == dhcp::Op::Reply && m.options.message_type() == Some(MessageType::Offer))
        .count()
}

fn udhcpc(lab: &ClusterLab, iface: &str) -> Child {
    ns_cmd(&lab.c, "udhcpc")
        .args(["-f", "-q", "-n", "-t", "6", "-T", "1", "-s", "/bin/true", "-i", iface])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("udhcpc")
}

fn wait_registered(lab: &ClusterLab, replicas: &str) {
    for r in ["a", "b"] {
        assert!(
            wait_until(Duration::from_secs(10), || lab.healthz(r, "replicas") == replicas).is_some(),
            "{r}: {}",
            lab.http(r, "/healthz")
        );
    }
}

/// Real clients on the shared broadcast domain and two perfdhcp relays,
/// one per replica, all at once from one range: every address held by one
/// client only, every acknowledged lease in etcd.
#[test]
fn replicas_share_one_range_without_duplicates() {
    if !ready() {
        return;
    }
    let lab = ClusterLab::new();
    let _a = lab.start_replica("a");
    let _b = lab.start_replica("b");
    wait_registered(&lab, "a,b");
    let cap = lab.capture("share.pcap");
    let mut clients: Vec<Child> = (0..4).map(|i| udhcpc(&lab, &format!("mv{i}"))).collect();
    let mut p1 = lab.perfdhcp(3, "a", 60, 60, "00:0c:01:00:00:01");
    let mut p2 = lab.perfdhcp(4, "b", 60, 60, "00:0c:02:00:00:01");
    let _ = p1.wait();
    let _ = p2.wait();
    let bound = clients
        .iter_mut()
        .map(|c| c.wait().is_ok_and(|s| s.success()))
        .filter(|ok| *ok)
        .count();
    let msgs = cap.stop();
    let acks = acks(&msgs);
    assert_eq!(bound, 4, "every udhcpc client got a lease");
    assert!(acks.len() >= 100, "too few ACKs ({})", acks.len());
    let checked = lab.check_acks_are_stored(&acks);
    println!(
        "shared range: {} ACKs, {checked} addresses, all in etcd, no duplicate",
        acks.len()
    );
}

/// SIGKILL of the etcd leader while both replicas hand out leases: every
/// lease acknowledged (before or after) is in etcd for its client, and both
/// replicas go on answering.
#[test]
fn sigkill_of_the_etcd_leader_loses_no_acknowledged_lease() {
    if !ready() {
        return;
    }
    let mut lab = ClusterLab::new();
    let _a = lab.start_replica("a");
    let _b = lab.start_replica("b");
    wait_registered(&lab, "a,b");
    let cap = lab.capture("leader.pcap");
    // 245 addresses in the range: 2 × 80 now, 2 × 30 after.
    let mut p1 = lab.perfdhcp(3, "a", 80, 40, "00:0c:03:00:00:01");
    let mut p2 = lab.perfdhcp(4, "b", 80, 40, "00:0c:04:00:00:01");
    std::thread::sleep(Duration::from_millis(1000));
    let leader = lab.etcd.leader().expect("a leader");
    lab.etcd.kill(leader);
    let _ = p1.wait();
    let _ = p2.wait();
    let before = acks(&cap.stop());
    assert!(before.len() >= 40, "too few ACKs ({})", before.len());
    lab.check_acks_are_stored(&before);
    // The survivors keep answering new clients.
    let cap = lab.capture("leader-after.pcap");
    let mut p1 = lab.perfdhcp(3, "a", 30, 30, "00:0c:05:00:00:01");
    let mut p2 = lab.perfdhcp(4, "b", 30, 30, "00:0c:06:00:00:01");
    let _ = p1.wait();
    let _ = p2.wait();
    let after = acks(&cap.stop());
    assert!(
        after.len() >= 45,
        "too few ACKs after the leader died ({})",
        after.len()
    );
    let all: Vec<_> = before.iter().chain(&after).cloned().collect();
    let checked = lab.check_acks_are_stored(&all);
    println!(
        "etcd leader killed: {} ACKs before and during, {} after; {checked} addresses all in etcd",
        before.len(),
        after.len()
    );
}

/// SIGKILL of one replica while both hand out leases: its acknowledged
/// leases stay in etcd; the survivor answers new clients, and sees the dead
/// replica leave the membership once its registration expires.
#[test]
fn sigkill_of_a_replica_loses_no_acknowledged_lease() {
    if !ready() {
        return;
    }
    let lab = ClusterLab::new();
    let a = lab.start_replica("a");
    let _b = lab.start_replica("b");
    wait_registered(&lab, "a,b");
    let cap = lab.capture("replica.pcap");
    // 245 addresses in the range: 2 × 80 now, 60 after.
    let mut p1 = lab.perfdhcp(3, "a", 80, 40, "00:0c:07:00:00:01");
    let mut p2 = lab.perfdhcp(4, "b", 80, 40, "00:0c:08:00:00:01");
    std::thread::sleep(Duration::from_millis(1000));
    run(&["kill", "-9", &a.pid().to_string()]);
    let _ = p1.wait();
    let _ = p2.wait();
    let before = acks(&cap.stop());
    assert!(before.len() >= 80, "too few ACKs ({})", before.len());
    lab.check_acks_are_stored(&before);
    assert!(
        wait_until(Duration::from_secs(12), || lab.healthz("b", "replicas") == "b").is_some(),
        "the dead replica's registration expires: {}",
        lab.http("b", "/healthz")
    );
    // The survivor serves new clients (taking over a's share of the range).
    let cap = lab.capture("replica-after.pcap");
    let mut p = lab.perfdhcp(4, "b", 60, 60, "00:0c:09:00:00:01");
    let _ = p.wait();
    let after = acks(&cap.stop());
    assert!(
        after.len() >= 55,
        "too few ACKs from the survivor ({}); log:\n{}",
        after.len(),
        _b.log()
    );
    let all: Vec<_> = before.iter().chain(&after).cloned().collect();
    let checked = lab.check_acks_are_stored(&all);
    println!(
        "replica killed: {} ACKs before, {} from the survivor after; {checked} addresses all in etcd",
        before.len(),
        after.len()
    );
}

/// With every etcd member stopped: no lease is acknowledged (no OFFER
/// either, so clients turn elsewhere), HTTP still answers, /healthz says why.
#[test]
fn without_etcd_no_lease_is_acknowledged_and_http_answers() {
    if !ready() {
        return;
    }
    let mut lab = ClusterLab::new();
    let _a = lab.start_replica("a");
    wait_until(Duration::from_secs(10), || lab.healthz("a", "replicas") == "a");
    for i in 0..3 {
        lab.etcd.kill(i);
    }
    assert!(
        wait_until(Duration::from_secs(15), || lab
            .healthz("a", "etcd")
            .starts_with("unavailable"))
        .is_some(),
        "{}",
        lab.http("a", "/healthz")
    );
    let cap = lab.capture("down.pcap");
    let mut p = lab.perfdhcp(3, "a", 20, 20, "00:0c:0a:00:00:01");
    let _ = p.wait();
    let mut c = udhcpc(&lab, "mv0");
    let client_bound = c.wait().is_ok_and(|s| s.success());
    let msgs = cap.stop();
    assert!(!client_bound, "udhcpc got no lease");
    assert_eq!(acks(&msgs).len(), 0, "no ACK without etcd");
    assert_eq!(offers(&msgs), 0, "no OFFER either");
    assert!(lab.http("a", "/boot.ipxe").starts_with("#!ipxe"), "HTTP still answers");
}

/// Behind a relay that forwards to both replicas: each replica answers the
/// relay, the client takes one offer, and the other replica, seeing the
/// REQUEST name another server, drops its offer: one ACK, one lease in etcd.
#[test]
fn behind_a_relay_to_both_replicas_a_client_gets_one_lease() {
    if !ready() || !have("dhcrelay") {
        return;
    }
    let mut lab = ClusterLab::new();
    let _a = lab.start_replica("a");
    let _b = lab.start_replica("b");
    wait_registered(&lab, "a,b");
    let remote = lab.add_relay();
    // On the relay's upstream side: the replicas answer it by unicast.
    let cap = Capture::start(&format!("{}-r", lab.c), "lan", lab.dir.path(), "relay.pcap");
    let mut clients: Vec<Child> = (0..3)
        .map(|i| {
            let mv = format!("mv{i}");
            run(&[
                "ip", "-n", &remote, "link", "add", &mv, "link", "cl0", "type", "macvlan", "mode", "bridge",
            ]);
            run(&["ip", "-n", &remote, "link", "set", &mv, "up"]);
            ns_cmd(&remote, "udhcpc")
                .args(["-f", "-q", "-n", "-t", "6", "-T", "1", "-s", "/bin/true", "-i", &mv])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("udhcpc")
        })
        .collect();
    let bound = clients
        .iter_mut()
        .map(|c| c.wait().is_ok_and(|s| s.success()))
        .filter(|ok| *ok)
        .count();
    let msgs = cap.stop();
    assert_eq!(bound, 3, "every client behind the relay got a lease");
    // Both replicas offered to the relay (two server identifiers seen).
    let offering: std::collections::HashSet<Ipv4Addr> = msgs
        .iter()
        .filter(|m| m.op == dhcp::Op::Reply && m.options.message_type() == Some(MessageType::Offer))
        .filter_map(|m| m.options.server_id())
        .collect();
    assert_eq!(offering.len(), 2, "both replicas answer the relay: {offering:?}");
    let acks = acks(&msgs);
    let mut per_client: HashMap<&str, std::collections::HashSet<Ipv4Addr>> = HashMap::new();
    for (mac, ip) in &acks {
        assert!(
            ip.octets()[2] == lab.n && ip.octets()[0] == 10 && ip.octets()[1] == 234,
            "{ip} is in the relay's network"
        );
        per_client.entry(mac).or_default().insert(*ip);
    }
    assert_eq!(per_client.len(), 3);
    assert!(
        per_client.values().all(|ips| ips.len() == 1),
        "one address per client: {per_client:?}"
    );
    lab.check_acks_are_stored(&acks);
}
