//! The forwarder against forged answers and greedy clients, on loopback,
//! with an upstream resolver written here (so the test sees every query it
//! gets, and controls when it answers):
//! - while kindling waits for a slow upstream, a flood of forged answers
//!   (the right question, the upstream's own address and port as source,
//!   guessed IDs, guessed destination ports) is neither relayed nor cached;
//! - each forwarded question leaves from a port of its own;
//! - one client cannot have more than a bounded number of questions in
//!   flight: the rest are REFUSED at once.

mod common;

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{DataDir, Server};
use dns::proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use dns::proto::rr::rdata::A;
use dns::proto::rr::{Name, RData, Record, RecordType};

/// The genuine address of `slow.test`, and what the forgeries claim.
const GENUINE: Ipv4Addr = Ipv4Addr::new(10, 7, 7, 7);
const FORGED: Ipv4Addr = Ipv4Addr::new(6, 6, 6, 6);
/// How long the upstream sits on `slow.test` (under kindling's 1.5 s
/// attempt timeout, so the first attempt gets it).
const SLOW: Duration = Duration::from_millis(900);

/// What the upstream saw: every query's name and source port.
#[derive(Default)]
struct Seen {
    queries: Vec<(String, u16)>,
}

struct Upstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    forged_sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn reply_to(query: &Message, answer: Option<Ipv4Addr>) -> Vec<u8> {
    let mut m = Message::response(query.metadata.id, OpCode::Query);
    m.metadata.recursion_desired = query.metadata.recursion_desired;
    m.metadata.recursion_available = true;
    m.metadata.response_code = ResponseCode::NoError;
    m.queries = query.queries.clone();
    if let (Some(ip), Some(q)) = (answer, query.queries.first()) {
        m.answers
            .push(Record::from_rdata(q.name.clone(), 3600, RData::A(A(ip))));
    }
    m.to_vec().unwrap()
}

/// An upstream that answers `nN.test` at once with 10.0.0.N, answers
/// `slow.test` after [`SLOW`], never answers `black.test`, and, while it
/// sits on `slow.test`, floods forged answers for it from its own socket
/// to random IDs and random ports of 127.0.0.1.
fn upstream() -> Upstream {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let addr = socket.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let forged_sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let flooding = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    {
        let (socket, seen, stop, flooding) = (
            socket.try_clone().unwrap(),
            seen.clone(),
            stop.clone(),
            flooding.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut delayed: Vec<(Instant, SocketAddr, Vec<u8>)> = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let now = Instant::now();
                delayed.retain(|(at, to, bytes)| {
                    if *at <= now {
                        let _ = socket.send_to(bytes, to);
                        flooding.store(false, Ordering::SeqCst);
                        false
                    } else {
                        true
                    }
                });
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                if query.metadata.message_type != MessageType::Query {
                    continue;
                }
                let Some(q) = query.queries.first() else { continue };
                let name = q.name.to_ascii().to_ascii_lowercase();
                seen.lock().unwrap().queries.push((name.clone(), from.port()));
                if name == "slow.test." {
                    flooding.store(true, Ordering::SeqCst);
                    delayed.push((Instant::now() + SLOW, from, reply_to(&query, Some(GENUINE))));
                } else if let Some(n) = name.strip_prefix('n').and_then(|r| r.strip_suffix(".test.")) {
                    let n: u8 = n.parse().unwrap_or(0);
                    let _ = socket.send_to(&reply_to(&query, Some(Ipv4Addr::new(10, 0, 0, n))), from);
                }
                // black.test: never answered.
            }
        }));
    }
    {
        let (socket, forged_sent, stop) = (socket, forged_sent.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut question = Message::new(0, MessageType::Query, OpCode::Query);
            question
                .queries
                .push(Query::query(Name::from_ascii("slow.test.").unwrap(), RecordType::A));
            let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
            while !stop.load(Ordering::SeqCst) {
                if !flooding.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                question.metadata.id = x as u16;
                question.metadata.recursion_desired = true;
                let forged = reply_to(&question, Some(FORGED));
                let port = 1024 + ((x >> 16) % (65536 - 1024)) as u16;
                let _ = socket.send_to(&forged, ("127.0.0.1", port));
                forged_sent.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    Upstream {
        addr,
        seen,
        forged_sent,
        stop,
        threads,
    }
}

fn kindling(upstream: SocketAddr) -> (Server, SocketAddr, DataDir, tempfile::TempDir) {
    let data = DataDir::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kindling.toml");
    std::fs::write(
        &cfg,
        format!("[dns]\ndomain = \"lab.example\"\nupstreams = [\"{upstream}\"]\ncache_size = 100\n"),
    )
    .unwrap();
    let server = Server::start(
        data.path(),
        &[
            "--dns",
            "--dns-address",
            "127.0.0.1:0",
            &format!("--config={}", cfg.display()),
        ],
    );
    let dns: SocketAddr = server.wait_service_addr("dns").parse().unwrap();
    (server, dns, data, dir)
}

/// A client socket connected to kindling: the kernel drops anything that
/// does not come from kindling's address and port (forgeries that land on
/// it by chance, say).
fn client(dns: SocketAddr) -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.connect(dns).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
    s
}

fn ask(sock: &UdpSocket, id: u16, name: &str) -> Message {
    let mut q = Message::new(id, MessageType::Query, OpCode::Query);
    q.metadata.recursion_desired = true;
    q.queries
        .push(Query::query(Name::from_ascii(name).unwrap(), RecordType::A));
    sock.send(&q.to_vec().unwrap()).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).expect("a reply from kindling");
        let m = Message::from_vec(&buf[..n]).unwrap();
        if m.metadata.id == id {
            return m;
        }
    }
}

fn addresses(m: &Message) -> Vec<Ipv4Addr> {
    m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .collect()
}

#[test]
fn forged_answers_are_neither_relayed_nor_cached() {
    let up = upstream();
    let (server, dns, _data, _dir) = kindling(up.addr);
    let sock = client(dns);

    let started = Instant::now();
    let reply = ask(&sock, 0x5151, "slow.test.");
    assert!(started.elapsed() >= SLOW, "the answer came before the upstream gave it");
    assert_eq!(addresses(&reply), [GENUINE], "{reply:?}");
    let forged = up.forged_sent.load(Ordering::Relaxed);
    assert!(
        forged >= 5_000,
        "only {forged} forgeries were sent: the test proves little"
    );

    // The cache holds the genuine answer: asked again, the upstream is not.
    let reply = ask(&sock, 0x5152, "slow.test.");
    assert_eq!(addresses(&reply), [GENUINE], "from the cache: {reply:?}");
    let slow_queries = up
        .seen
        .lock()
        .unwrap()
        .queries
        .iter()
        .filter(|(n, _)| n == "slow.test.")
        .count();
    assert_eq!(slow_queries, 1, "the second answer came from the cache");
    eprintln!("{forged} forged answers sent while kindling waited; none taken");
    server.terminate();
}

#[test]
fn each_forwarded_question_leaves_from_its_own_port() {
    let up = upstream();
    let (server, dns, _data, _dir) = kindling(up.addr);
    let sock = client(dns);
    for n in 1..=30u8 {
        let reply = ask(&sock, u16::from(n), &format!("n{n}.test."));
        assert_eq!(addresses(&reply), [Ipv4Addr::new(10, 0, 0, n)]);
    }
    let ports: HashSet<u16> = up.seen.lock().unwrap().queries.iter().map(|(_, p)| *p).collect();
    // 30 draws from 64,512 ports: a repeat is possible (about 0.7 %), two are not likely.
    assert!(
        ports.len() >= 28,
        "30 questions left from only {} ports: {ports:?}",
        ports.len()
    );
    server.terminate();
}

#[test]
fn one_client_cannot_fill_the_forwarder() {
    let up = upstream();
    let (server, dns, _data, _dir) = kindling(up.addr);
    let sock = client(dns);
    let total = 400u16;
    for i in 0..total {
        let mut q = Message::new(i, MessageType::Query, OpCode::Query);
        q.metadata.recursion_desired = true;
        q.queries.push(Query::query(
            Name::from_ascii(format!("q{i}.black.test.")).unwrap(),
            RecordType::A,
        ));
        sock.send(&q.to_vec().unwrap()).unwrap();
    }
    // The refusals come at once; the questions let through wait for the
    // upstream that never answers (SERVFAIL after the attempts).
    sock.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut refused = 0;
    let mut buf = [0u8; 4096];
    while let Ok(n) = sock.recv(&mut buf) {
        if Message::from_vec(&buf[..n]).is_ok_and(|m| m.metadata.response_code == ResponseCode::Refused) {
            refused += 1;
        }
    }
    let forwarded = up
        .seen
        .lock()
        .unwrap()
        .queries
        .iter()
        .filter(|(n, _)| n.ends_with(".black.test."))
        .count();
    let limit = dns_server::MAX_PER_CLIENT as usize;
    assert!(
        forwarded <= 2 * limit && refused >= usize::from(total) - 2 * limit,
        "{forwarded} forwarded, {refused} refused of {total} (at most {limit} in flight per worker)"
    );
    server.terminate();
}
