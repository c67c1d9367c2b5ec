//! Network namespaces for tests: a server namespace and a client namespace
//! joined by a veth pair, with private addresses that exist only inside
//! them. Removed on drop, also when a test fails. Tests that need them skip
//! (with a printed line) when not root or when `ip` is missing.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{BIN, Server, wait_until};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Two namespaces and the link between them.
pub struct Lab {
    pub server_ns: String,
    pub client_ns: String,
    /// Interface names inside each namespace.
    pub server_if: String,
    pub client_if: String,
    /// The /24 used on the link: `10.231.N.0/24`, server `.1`.
    pub net: u8,
    children: Vec<Child>,
}

/// Whether namespace tests can run here; prints why not.
pub fn available(test: &str) -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let ip = Command::new("ip").arg("-V").output().is_ok();
    if !root || !ip {
        skip(&format!("{test}: network-namespace tests need root and iproute2"));
        return false;
    }
    true
}

/// Reports a test that cannot run here. Under `KINDLING_TEST_STRICT=1`
/// (set by `.ci/run`, which installs every tool) a skip is a failure, so a
/// missing install step cannot turn a test green by not running it.
pub fn skip(why: &str) {
    if std::env::var_os("KINDLING_TEST_STRICT").is_some_and(|v| v == "1") {
        panic!("cannot run {why}, and KINDLING_TEST_STRICT=1 forbids skipping");
    }
    // Straight to stderr, past the harness's capture: a skip must be visible.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIP {why}");
}

/// Whether `tool` is installed; reports a skip (see [`skip`]) when not.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        skip(&format!("a test needing {tool}: it is not installed"));
    }
    found
}

pub fn run(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Lab {
    /// Creates the namespaces, the veth pair and addresses: server
    /// `10.231.N.1/24`, client `10.231.N.2/24` unless `client_addr` is false.
    pub fn new(client_addr: bool) -> Lab {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}-{n}", std::process::id());
        // A distinct /24 per lab so concurrent tests never share addresses.
        let net = ((std::process::id() as u32 * 7 + n * 13) % 200 + 20) as u8;
        let lab = Lab {
            server_ns: format!("ktest-s-{id}"),
            client_ns: format!("ktest-c-{id}"),
            server_if: "ks0".into(),
            client_if: "kc0".into(),
            net,
            children: Vec::new(),
        };
        run(&["ip", "netns", "add", &lab.server_ns]);
        run(&["ip", "netns", "add", &lab.client_ns]);
        run(&[
            "ip",
            "link",
            "add",
            "ks0",
            "netns",
            &lab.server_ns,
            "type",
            "veth",
            "peer",
            "name",
            "kc0",
            "netns",
            &lab.client_ns,
        ]);
        run(&[
            "ip",
            "-n",
            &lab.server_ns,
            "addr",
            "add",
            &format!("{}/24", lab.server_ip()),
            "dev",
            "ks0",
        ]);
        if client_addr {
            run(&[
                "ip",
                "-n",
                &lab.client_ns,
                "addr",
                "add",
                &format!("{}/24", lab.client_ip()),
                "dev",
                "kc0",
            ]);
        }
        for (ns, dev) in [(&lab.server_ns, "ks0"), (&lab.client_ns, "kc0")] {
            run(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            run(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        lab
    }

    pub fn server_ip(&self) -> String {
        format!("10.231.{}.1", self.net)
    }

    pub fn client_ip(&self) -> String {
        format!("10.231.{}.2", self.net)
    }

    pub fn prefix(&self) -> String {
        format!("10.231.{}", self.net)
    }

    /// A command run inside a namespace.
    pub fn cmd(ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }

    pub fn in_server(&self, program: &str) -> Command {
        Lab::cmd(&self.server_ns, program)
    }

    pub fn in_client(&self, program: &str) -> Command {
        Lab::cmd(&self.client_ns, program)
    }

    /// GET over HTTP from inside the server namespace (the test itself runs
    /// outside it), with curl; returns the body.
    pub fn http_get(&self, addr: &str, path: &str) -> String {
        let out = self
            .in_server("curl")
            .args(["-sS", "--max-time", "10"])
            .arg(format!("http://{addr}{path}"))
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A full-mode `[dhcp]` section serving the link's /24 (range
    /// `.100-.199`, domain `lab.example`), followed by `extra`.
    pub fn full_dhcp_config(&self, extra: &str) -> String {
        let p = self.prefix();
        format!(
            r#"[dhcp]
mode = "full"
interfaces = ["{iface}"]

[[dhcp.subnet]]
network = "{p}.0/24"
ranges = ["{p}.100-{p}.199"]
lease_time = "1h"
routers = ["{p}.1"]
dns = ["{p}.1"]
domain = "lab.example"
{extra}"#,
            iface = self.server_if
        )
    }

    /// Starts kindling in the server namespace (HTTP on the server address,
    /// port 8080) with `config` as its configuration file and the lease file
    /// in `dir`, plus `extra` arguments.
    pub fn start_kindling(&self, dir: &Path, config: &str, extra: &[&str]) -> Server {
        let data = dir.join("data");
        std::fs::create_dir_all(data.join("groups")).unwrap();
        let cfg = dir.join("kindling.toml");
        std::fs::write(&cfg, config).unwrap();
        let mut cmd = self.in_server(BIN);
        cmd.args(["serve", "--address"])
            .arg(format!("{}:8080", self.server_ip()))
            .arg("--data-path")
            .arg(&data)
            .arg("--assets-path=")
            .arg("--config")
            .arg(&cfg)
            .arg("--dhcp-lease-file")
            .arg(dir.join("leases.redb"))
            .args(extra);
        Server::spawn(&mut cmd)
    }

    /// Starts busybox udhcpc in the foreground in the client namespace, with
    /// a script (in `dir`) that configures the address it binds and logs
    /// each event as a line `EVENT IP`; `extra` goes before the interface.
    pub fn udhcpc(&mut self, dir: &Path, extra: &[&str]) -> Udhcpc {
        let events = dir.join("udhcpc.events");
        let script = dir.join("udhcpc.script");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$1 $ip\" >> {events}\ncase \"$1\" in\n  bound|renew) ip addr flush dev $interface; ip addr add $ip/${{mask:-24}} dev $interface ;;\n  deconfig) ip addr flush dev $interface ;;\nesac\n",
                events = events.display()
            ),
        )
        .unwrap();
        Command::new("chmod").arg("+x").arg(&script).status().unwrap();
        let mut cmd = self.in_client("udhcpc");
        cmd.args(["-f", "-t", "5", "-T", "1", "-s"])
            .arg(&script)
            .args(extra)
            .args(["-i", &self.client_if]);
        let pid = self.spawn(cmd);
        Udhcpc { pid, events }
    }

    /// Starts a background process that is killed when the lab drops.
    pub fn spawn(&mut self, mut cmd: Command) -> u32 {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id();
        self.children.push(child);
        pid
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.server_ns, &self.client_ns] {
            // Kill whatever still runs inside (dhclient daemons and such).
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A running udhcpc (see [`Lab::udhcpc`]); stopped with the lab.
pub struct Udhcpc {
    pub pid: u32,
    events: PathBuf,
}

impl Udhcpc {
    /// The script's log so far, a line `EVENT IP` per event.
    pub fn events(&self) -> String {
        std::fs::read_to_string(&self.events).unwrap_or_default()
    }

    /// Waits up to 15 s for `bound`; returns the address bound.
    pub fn wait_bound(&self) -> String {
        wait_until(Duration::from_secs(15), || self.events().contains("bound ")).expect("udhcpc bound a lease");
        let events = self.events();
        let line = events.lines().find(|l| l.starts_with("bound ")).unwrap();
        line["bound ".len()..].trim().to_owned()
    }

    /// Sends a signal: `USR1` renews, `USR2` releases.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} udhcpc");
    }
}

/// A tcpdump capture in a namespace, written to a pcap file.
pub struct Capture {
    child: Child,
    pub path: std::path::PathBuf,
}

impl Capture {
    pub fn start(ns: &str, iface: &str, dir: &std::path::Path, name: &str) -> Capture {
        let path = dir.join(name);
        let child = Lab::cmd(ns, "tcpdump")
            .args(["--immediate-mode", "-i", iface, "-U", "-n", "-s", "0", "-w"])
            .arg(&path)
            .args(["udp", "and", "(port", "67", "or", "port", "68", "or", "port", "4011)"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump (apt-get install tcpdump)");
        // Wait until tcpdump says it is listening.
        let start = std::time::Instant::now();
        while !path.exists() && start.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        Capture { child, path }
    }

    /// Stops the capture and returns the DHCP messages seen, in order.
    pub fn stop(mut self) -> Vec<dhcp::Message> {
        std::thread::sleep(std::time::Duration::from_millis(300));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let bytes = std::fs::read(&self.path).unwrap_or_default();
        read_pcap(&bytes)
            .into_iter()
            .filter_map(|p| dhcp::Message::decode(&p).ok())
            .collect()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// UDP payloads of the Ethernet/IPv4 frames in a pcap file.
pub fn read_pcap(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if bytes.len() < 24 {
        return out;
    }
    let le = bytes[0..4] == [0xd4, 0xc3, 0xb2, 0xa1] || bytes[0..4] == [0x4d, 0x3c, 0xb2, 0xa1];
    let u32_at = |b: &[u8], at: usize| {
        let a = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut i = 24;
    while i + 16 <= bytes.len() {
        let caplen = u32_at(bytes, i + 8) as usize;
        let start = i + 16;
        let end = start + caplen;
        if end > bytes.len() {
            break;
        }
        let frame = &bytes[start..end];
        if frame.len() > 14 + 20 + 8 && frame[12..14] == [0x08, 0x00] {
            let ihl = ((frame[14] & 0x0f) as usize) * 4;
            let udp = 14 + ihl;
            if frame[14 + 9] == 17 && frame.len() > udp + 8 {
                out.push(frame[udp + 8..].to_vec());
            }
        }
        i = end;
    }
    out
}

/// Makes a namespace drop `percent` % of the UDP datagrams it receives
/// (apply it to both ends of a link for loss in each direction). Uses
/// nftables' random drop on input: `tc … netem` is not built into this CI
/// kernel (CONFIG_NET_SCH_NETEM unset), and a drop on output would make the
/// sender's `sendto` fail with EPERM, which real loss never does.
pub fn lossy(ns: &str, percent: u8) {
    let rules = format!(
        "table inet kindling_loss {{\n  chain in {{ type filter hook input priority 0; meta l4proto udp numgen random mod 100 < {percent} drop; }}\n}}\n"
    );
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "nft", "-f", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("nft (apt-get install nftables)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(rules.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "nft rules for packet loss");
}
