//! Test harness: start the real `kindling` binary on port 0, wait for its
//! documented readiness line, and talk to it with a raw HTTP/1.1 client so
//! that tests see exact status lines, headers and body bytes.

#![allow(dead_code)]

pub mod dig;
pub mod netns;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kindling");

/// A running `kindling serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// The address from a readiness line `listening service="NAME" addr=A`.
fn ready_addr(line: &str, service: &str) -> Option<String> {
    if !line.contains("listening") || !line.contains(&format!("service=\"{service}\"")) {
        return None;
    }
    line.split("addr=")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .map(str::to_owned)
}

impl Server {
    /// Starts `kindling serve` on 127.0.0.1:0 with the given data directory
    /// (and no assets unless `extra` sets them) plus extra arguments.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec![
            "serve".into(),
            "--address".into(),
            "127.0.0.1:0".into(),
            "--data-path".into(),
            data.display().to_string(),
        ];
        if !extra.iter().any(|a| a.starts_with("--assets-path")) {
            args.push("--assets-path=".into());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Server::spawn(Command::new(BIN).args(&args))
    }

    /// Starts the binary as given and waits for its readiness line.
    pub fn spawn(cmd: &mut Command) -> Server {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kindling");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let log2 = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                // The first listener is --address's: HTTP, or HTTPS with --web-ssl.
                if let Some(addr) = ready_addr(&line, "http").or_else(|| ready_addr(&line, "https"))
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr);
                }
                log2.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "kindling did not become ready ({status:?}); log:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Server { child, addr, log }
    }

    pub fn get(&self, target: &str) -> Resp {
        request(&self.addr, "GET", target, &[])
    }

    pub fn req(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
        request(&self.addr, method, target, headers)
    }

    /// The address another service reported ready on (`tftp`, `dhcp`, …).
    pub fn service_addr(&self, service: &str) -> Option<String> {
        self.log.lock().unwrap().iter().find_map(|l| ready_addr(l, service))
    }

    /// Every address `service` reported ready on, in order (a service
    /// with several listen addresses prints one line each).
    pub fn service_addrs(&self, service: &str) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| ready_addr(l, service))
            .collect()
    }

    /// The address `service` reports ready on, waiting for its readiness
    /// line (services may start after HTTP); panics with the log if none
    /// comes within 10 seconds.
    pub fn wait_service_addr(&self, service: &str) -> String {
        let mut addr = None;
        wait_until(Duration::from_secs(10), || {
            addr = self.service_addr(service);
            addr.is_some()
        });
        addr.unwrap_or_else(|| panic!("no readiness line for service {service:?}; log:\n{}", self.log()))
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for exit; returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    /// The status line and header lines as sent, for byte-exact checks.
    pub head: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn reason(&self) -> &str {
        self.header("x-kindling-reason").unwrap_or("")
    }
}

/// One request over a fresh connection (`Connection: close`), read to EOF.
pub fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw, method == "HEAD")
}

fn parse_response(raw: &[u8], head: bool) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head_text = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    if chunked && !head {
        body = dechunk(&body);
    }
    Resp {
        head: head_text,
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}
/// A temporary data directory built file by file.
pub struct DataDir {
    pub dir: tempfile::TempDir,
}

impl DataDir {
    pub fn new() -> DataDir {
        let dir = tempfile::tempdir().unwrap();
        for kind in ["groups", "profiles", "ignition", "cloud", "generic"] {
            std::fs::create_dir(dir.path().join(kind)).unwrap();
        }
        DataDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) -> &DataDir {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        // Write beside and rename, so the server never reads a half-written file.
        let tmp = p.with_extension("tmp-write");
        std::fs::write(&tmp, content).unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        self
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The contract's fixture group and profile (matchbox `testfakes`).
    pub fn with_fixture(self) -> DataDir {
        self.write(
            "groups/test-group.json",
            r#"{"id":"test-group","name":"test group","profile":"g1h2i3j4","selector":{"uuid":"a1b2c3d4"},"metadata":{"pod_network":"10.2.0.0/16","service_name":"etcd2"}}"#,
        );
        self.write(
            "profiles/g1h2i3j4.json",
            r#"{"id":"g1h2i3j4","boot":{"kernel":"/image/kernel","initrd":["/image/initrd_a","/image/initrd_b"],"args":["a=b","c"]},"cloud_id":"cloud-config.tmpl","ignition_id":"ignition.tmpl","generic_id":"generic.tmpl"}"#,
        );
        self
    }
}

/// Polls `f` until it returns true or `timeout` passes; returns the time taken.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// `len` pseudo-random bytes (xorshift64), the same for the same `seed`.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A file of `len` pseudo-random bytes (see [`pseudo_random`]).
pub fn random_file(path: &Path, len: usize, seed: u64) {
    std::fs::write(path, pseudo_random(len, seed)).unwrap();
}

/// The Python interpreter with Debian's grpcio (not a pyenv one).
pub const PYTHON: &str = "/usr/bin/python3";

/// Python grpcio stubs of the gRPC API compiled into `dir` (a client that
/// is not kindling's own); `None`, with a skip, without python3-grpcio and
/// python3-grpc-tools.
pub fn grpc_stubs(dir: &Path) -> Option<PathBuf> {
    let ok = Command::new(PYTHON)
        .args(["-c", "import grpc, grpc_tools.protoc"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        netns::skip("gRPC tests: install python3-grpcio and python3-grpc-tools");
        return None;
    }
    std::fs::create_dir_all(dir).unwrap();
    let proto = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rpc/proto");
    let out = Command::new(PYTHON)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(&proto)
        .arg(format!("--python_out={}", dir.display()))
        .arg(format!("--grpc_python_out={}", dir.display()))
        .args([
            "matchbox/storage/storagepb/storage.proto",
            "matchbox/server/serverpb/messages.proto",
            "matchbox/rpc/rpcpb/rpc.proto",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "protoc: {}", String::from_utf8_lossy(&out.stderr));
    Some(dir.to_path_buf())
}
