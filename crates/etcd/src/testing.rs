//! Real etcd members for tests (the `testing` feature): one or three
//! `etcd` processes (Debian's `etcd-server`) on free loopback ports, or on
//! an address inside a network namespace, each with its own data
//! directory, stopped and removed on drop. Members can be killed and
//! started again to test failover and loss of quorum. Inside a namespace,
//! readiness and the leader are asked with `etcdctl` (Debian's
//! `etcd-client`) run there, since the test itself runs outside.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether tests needing etcd can run here. When not, prints why, or fails
/// under `KINDLING_TEST_STRICT=1` (set by `.ci/run`, which installs etcd),
/// so that a missing install step cannot pass by skipping.
pub fn available(test: &str) -> bool {
    if etcd_installed() {
        return true;
    }
    let why = format!("{test}: etcd is not installed (apt-get install etcd-server etcd-client)");
    if std::env::var_os("KINDLING_TEST_STRICT").is_some_and(|v| v == "1") {
        panic!("cannot run {why}, and KINDLING_TEST_STRICT=1 forbids skipping");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIP {why}");
    false
}

/// Whether an `etcd` binary is installed.
pub fn etcd_installed() -> bool {
    Command::new("etcd")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Member {
    name: String,
    client_url: String,
    peer_url: String,
    data_dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// A running cluster of real etcd members.
pub struct EtcdCluster {
    members: Vec<Member>,
    initial_cluster: String,
    host: String,
    netns: Option<String>,
    _dir: TempDir,
}

/// A directory removed on drop (no dev-dependency needed by users of this module).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port(host: &str) -> u16 {
    TcpListener::bind((host, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free TCP port")
}

impl EtcdCluster {
    /// Starts `size` members on 127.0.0.1 and waits until they have a leader.
    pub fn start(size: usize) -> EtcdCluster {
        EtcdCluster::start_on(size, "127.0.0.1")
    }

    /// Starts `size` members listening on `host` (an address of this
    /// network namespace).
    pub fn start_on(size: usize, host: &str) -> EtcdCluster {
        EtcdCluster::start_in(size, host, None)
    }

    /// Starts `size` members inside network namespace `netns` (when given),
    /// listening on `host`, an address there. Ports are numbered from a
    /// per-process base, since free ones cannot be asked for in there.
    pub fn start_in(size: usize, host: &str, netns: Option<&str>) -> EtcdCluster {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("kindling-etcd-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("etcd test directory");
        let port = |i: usize, peer: bool| match netns {
            // A namespace of the test's own: its ports are all free.
            Some(_) => 12379 + 10 * i as u16 + peer as u16,
            None => free_port(host),
        };
        let members: Vec<Member> = (0..size)
            .map(|i| Member {
                name: format!("m{i}"),
                client_url: format!("http://{host}:{}", port(i, false)),
                peer_url: format!("http://{host}:{}", port(i, true)),
                data_dir: dir.join(format!("m{i}")),
                log: dir.join(format!("m{i}.log")),
                child: None,
            })
            .collect();
        let initial_cluster = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = EtcdCluster {
            members,
            initial_cluster,
            host: host.to_owned(),
            netns: netns.map(str::to_owned),
            _dir: TempDir(dir),
        };
        for i in 0..size {
            cluster.start_member(i);
        }
        cluster.wait_ready(Duration::from_secs(30));
        cluster
    }

    fn start_member(&mut self, i: usize) {
        let initial = self.initial_cluster.clone();
        let m = &mut self.members[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&m.log)
            .expect("etcd log file");
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "etcd"]);
                c
            }
            None => Command::new("etcd"),
        };
        let child = cmd
            .args(["--name", &m.name])
            .arg("--data-dir")
            .arg(&m.data_dir)
            .args(["--listen-client-urls", &m.client_url])
            .args(["--advertise-client-urls", &m.client_url])
            .args(["--listen-peer-urls", &m.peer_url])
            .args(["--initial-advertise-peer-urls", &m.peer_url])
            .args(["--initial-cluster", &initial])
            .args(["--initial-cluster-state", "new"])
            .args(["--initial-cluster-token", "kindling-test"])
            // Short elections keep failover tests short.
            .args(["--heartbeat-interval", "50", "--election-timeout", "500"])
            .args(["--logger", "zap", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("starting etcd (apt-get install etcd-server)");
        m.child = Some(child);
    }

    /// Every member's client URL.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Kills member `i` with SIGKILL (its data stays for a restart).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.members[i].child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts member `i` again on its data.
    pub fn restart(&mut self, i: usize) {
        if self.members[i].child.is_none() {
            self.start_member(i);
        }
    }

    /// `etcdctl` run where the members are, against every endpoint.
    pub fn etcdctl(&self) -> Command {
        let mut c = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "etcdctl"]);
                c
            }
            None => Command::new("etcdctl"),
        };
        c.env("ETCDCTL_API", "3")
            .arg("--endpoints")
            .arg(self.endpoints().join(","))
            .args(["--command-timeout", "3s", "--dial-timeout", "1s"]);
        c
    }

    /// Every key under `prefix` with its value, read with `etcdctl`.
    pub fn get_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let out = self
            .etcdctl()
            .args(["get", "--prefix", prefix])
            .output()
            .expect("etcdctl (apt-get install etcd-client)");
        assert!(
            out.status.success(),
            "etcdctl get: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        lines
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_owned(), c[1].to_owned()))
            .collect()
    }

    /// The index of the current leader, asked of the running members.
    pub fn leader(&self) -> Option<usize> {
        if self.netns.is_some() {
            return self.leader_by_etcdctl();
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let _enter = rt.enter();
        let client = crate::Client::new(crate::Config::new(self.endpoints())).ok()?;
        let statuses = rt.block_on(client.status());
        let leader_id = statuses
            .iter()
            .find_map(|s| s.status.as_ref().ok().map(|st| st.leader))?;
        statuses
            .iter()
            .position(|s| s.status.as_ref().is_ok_and(|st| st.member_id == leader_id))
    }

    fn leader_by_etcdctl(&self) -> Option<usize> {
        let out = self
            .etcdctl()
            .args(["endpoint", "status", "-w", "fields"])
            .output()
            .ok()?;
        // One block per endpoint: `"MemberID" : N`, `"Leader" : N`, …,
        // `"Endpoint" : "URL"` last, then an empty line.
        let text = String::from_utf8_lossy(&out.stdout);
        let (mut member, mut leader) = (String::new(), String::new());
        for line in text.lines() {
            let Some((key, value)) = line.split_once(" : ") else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim_matches('"') {
                "MemberID" => member = value.to_owned(),
                "Leader" => leader = value.to_owned(),
                "Endpoint" if !member.is_empty() && member == leader => {
                    return self.members.iter().position(|m| m.client_url == value);
                }
                _ => {}
            }
        }
        None
    }

    /// Waits until a quorum answers a linearizable read.
    pub fn wait_ready(&self, timeout: Duration) {
        if self.netns.is_some() {
            let start = Instant::now();
            loop {
                let ok = self
                    .etcdctl()
                    .args(["get", "/ready-probe"])
                    .output()
                    .is_ok_and(|o| o.status.success());
                if ok {
                    return;
                }
                assert!(
                    start.elapsed() < timeout,
                    "etcd did not become ready within {timeout:?}"
                );
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _enter = rt.enter();
        let client = crate::Client::new(crate::Config::new(self.endpoints())).expect("client");
        let start = Instant::now();
        loop {
            if rt.block_on(client.get(b"/ready-probe")).is_ok() {
                return;
            }
            if start.elapsed() > timeout {
                let logs: String = self
                    .members
                    .iter()
                    .map(|m| std::fs::read_to_string(&m.log).unwrap_or_default())
                    .collect();
                panic!("etcd did not become ready within {timeout:?}:\n{logs}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The data directory of member `i`.
    pub fn data_dir(&self, i: usize) -> &Path {
        &self.members[i].data_dir
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
    }
}
