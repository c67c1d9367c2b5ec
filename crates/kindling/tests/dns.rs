//! The DNS service over loopback, queried with `dig`: static records (A,
//! AAAA, CNAME chased to a local A, TXT, SRV) answered authoritatively with
//! their TTL, the server's own name, NXDOMAIN and NODATA with the zone's
//! SOA, PTR, single labels, forwarding to a dnsmasq started by the test and
//! the cache outliving it, REFUSED without upstreams, TCP (also several
//! queries on one connection) and truncation, malformed datagrams,
//! records that stand for every name under theirs (`subdomains`), and
//! IPv6 beside IPv4 (`dig @::1`).

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::dig::{Dig, Reply};
use common::netns::have;
use common::{DataDir, Server, wait_until};

/// The static records every test queries: name, type, value, TTL.
const RECORDS: &[(&str, &str, &str, Option<&str>)] = &[
    ("matchbox.lab.example", "A", "10.99.0.1", None),
    ("v6.lab.example", "AAAA", "fd00::1", Some("5m")),
    ("boot.lab.example", "CNAME", "matchbox.lab.example", None),
    ("matchbox.lab.example", "TXT", "kindling static text", None),
    ("_http._tcp.lab.example", "SRV", "10 5 8080 matchbox.lab.example", None),
];

/// A `[[dns.record]]` table.
fn record(name: &str, rtype: &str, value: &str, ttl: Option<&str>) -> String {
    let ttl = ttl.map(|t| format!("ttl = \"{t}\"\n")).unwrap_or_default();
    format!("\n[[dns.record]]\nname = \"{name}\"\ntype = \"{rtype}\"\nvalue = \"{value}\"\n{ttl}")
}

/// `[dns]` for `lab.example` with `keys` added to it, the static
/// [`RECORDS`], a long TXT at `big.lab.example`, and `records`.
fn config(keys: &str, records: &[(&str, &str, &str)]) -> String {
    let mut c = format!(
        "[dns]\ndomain = \"lab.example\"\nserver_names = [\"kindling\"]\nttl = \"60s\"\ncache_size = 100\n{keys}\n"
    );
    for (name, rtype, value, ttl) in RECORDS {
        c.push_str(&record(name, rtype, value, *ttl));
    }
    c.push_str(&record("big.lab.example", "TXT", &"x".repeat(BIG_TXT), None));
    for (name, rtype, value) in records {
        c.push_str(&record(name, rtype, value, None));
    }
    c
}

/// A TXT value too long for a 512-byte reply, short enough for 1232.
const BIG_TXT: usize = 1000;

/// kindling with DNS on 127.0.0.1 (a free port) and `config`.
struct Kindling {
    _server: Server,
    dig: Dig,
    _data: DataDir,
    _dir: tempfile::TempDir,
}

fn start(config: &str) -> Kindling {
    let data = DataDir::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kindling.toml");
    std::fs::write(&cfg, config).unwrap();
    let server = Server::start(
        data.path(),
        &[
            "--dns",
            "--dns-address",
            "127.0.0.1:0",
            &format!("--config={}", cfg.display()),
        ],
    );
    let udp = server.wait_service_addr("dns");
    let tcp = server.wait_service_addr("dns-tcp");
    assert_eq!(udp, tcp, "UDP and TCP on the same port");
    Kindling {
        dig: Dig::new(&udp),
        _server: server,
        _data: data,
        _dir: dir,
    }
}

/// kindling with the static records and no upstreams, if dig is here.
fn local() -> Option<Kindling> {
    have("dig").then(|| start(&config("", &[])))
}

/// A port free for both UDP and TCP on 127.0.0.1 (for a moment).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// dnsmasq on 127.0.0.1 as the upstream resolver: `upstream.test` is
/// 10.1.2.3 (TTL 300, and dnsmasq marks its own data authoritative), names
/// under `nx.test` are NXDOMAIN, and `nosuch` (a single label) is 10.9.9.9
/// so that forwarding a single label would show; 10.9.9.9's PTR is
/// `far.test`, and `txt.upstream.test` has a TXT record.
struct Upstream {
    child: Child,
    addr: String,
}

impl Upstream {
    fn start() -> Upstream {
        let port = free_port();
        let child = Command::new("dnsmasq")
            .args([
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--pid-file=",
                "--user=root",
                "--local-ttl=300",
                "--address=/upstream.test/10.1.2.3",
                "--address=/nx.test/",
                "--address=/nosuch/10.9.9.9",
                "--ptr-record=9.9.9.10.in-addr.arpa,far.test",
                "--txt-record=txt.upstream.test,from upstream",
            ])
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dnsmasq");
        let up = Upstream {
            child,
            addr: format!("127.0.0.1:{port}"),
        };
        let direct = Dig::new(&up.addr);
        wait_until(Duration::from_secs(10), || {
            direct.query(&["upstream.test"]).data("A") == ["10.1.2.3"]
        })
        .expect("dnsmasq answers");
        up
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `upstreams` key naming `up`.
fn upstreams(up: &Upstream) -> String {
    format!("upstreams = [\"{}\"]", up.addr)
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asserts an authoritative NOERROR whose `rtype` answers are `expected`,
/// each with TTL `ttl`.
fn expect_local(r: &Reply, rtype: &str, expected: &[&str], ttl: u32) {
    r.expect_aa(true);
    for rr in r.expect_answer(rtype, expected) {
        assert_eq!(rr.ttl, ttl, "TTL of {rr:?}\n{r}");
    }
}

#[test]
fn static_records_are_answered_authoritatively_with_their_ttl() {
    let Some(k) = local() else { return };
    let dig = &k.dig;
    expect_local(&dig.query(&["matchbox.lab.example", "A"]), "A", &["10.99.0.1"], 60);
    // Names are case-insensitive; a trailing dot changes nothing.
    expect_local(&dig.query(&["MatchBox.LAB.example.", "A"]), "A", &["10.99.0.1"], 60);
    // A record's own TTL.
    expect_local(&dig.query(&["v6.lab.example", "AAAA"]), "AAAA", &["fd00::1"], 300);
    expect_local(
        &dig.query(&["matchbox.lab.example", "TXT"]),
        "TXT",
        &["\"kindling static text\""],
        60,
    );
    expect_local(
        &dig.query(&["_http._tcp.lab.example", "SRV"]),
        "SRV",
        &["10 5 8080 matchbox.lab.example."],
        60,
    );

    // A CNAME to a local name: the alias, then the target's address.
    let r = dig.query(&["boot.lab.example", "A"]);
    expect_local(&r, "CNAME", &["matchbox.lab.example."], 60);
    expect_local(&r, "A", &["10.99.0.1"], 60);
    assert_eq!(r.answer[0].rtype, "CNAME", "the CNAME comes first\n{r}");
    assert!(r.answer[1].name.eq_ignore_ascii_case("matchbox.lab.example."), "{r}");
    // Asked for the CNAME itself: no chase needed, but the alias is there.
    let r = dig.query(&["boot.lab.example", "CNAME"]);
    expect_local(&r, "CNAME", &["matchbox.lab.example."], 60);

    // The same over TCP.
    let r = dig.query(&["+tcp", "matchbox.lab.example", "A"]);
    expect_local(&r, "A", &["10.99.0.1"], 60);
}

#[test]
fn the_server_name_is_the_address_the_query_arrived_on() {
    let Some(k) = local() else { return };
    let r = k.dig.query(&["kindling.lab.example", "A"]);
    expect_local(&r, "A", &["127.0.0.1"], 60);
    let r = k.dig.query(&["+tcp", "kindling.lab.example", "A"]);
    expect_local(&r, "A", &["127.0.0.1"], 60);
}

#[test]
fn nxdomain_and_nodata_carry_the_zone_soa() {
    let Some(k) = local() else { return };
    for (status, args) in [
        ("NXDOMAIN", &["nope.lab.example", "A"][..]),
        ("NXDOMAIN", &["deeper.nope.lab.example", "TXT"]),
        ("NXDOMAIN", &["+tcp", "nope.lab.example", "A"]),
        // The name exists with another type only: NODATA, not NXDOMAIN.
        ("NOERROR", &["matchbox.lab.example", "AAAA"]),
        ("NOERROR", &["v6.lab.example", "A"]),
    ] {
        k.dig.query(args).expect_negative(status, "lab.example.");
    }
}

#[test]
fn an_empty_non_terminal_is_nodata_not_nxdomain() {
    let Some(k) = local() else { return };
    // `_tcp.lab.example` holds no records, but `_http._tcp.lab.example`
    // does: the name exists (RFC 4592 §2.2.2), so NOERROR without answers;
    // NXDOMAIN would say nothing exists below it (RFC 8020).
    for args in [&["_tcp.lab.example", "SRV"][..], &["_tcp.lab.example", "A"]] {
        k.dig.query(args).expect_negative("NOERROR", "lab.example.");
    }
}

#[test]
fn ptr_names_the_static_address() {
    let Some(k) = local() else { return };
    let r = k.dig.query(&["-x", "10.99.0.1"]);
    expect_local(&r, "PTR", &["matchbox.lab.example."], 60);
}

#[test]
fn forwards_other_names_and_serves_them_from_cache_when_upstream_is_gone() {
    if !have("dig") || !have("dnsmasq") {
        return;
    }
    let mut up = Upstream::start();
    let k = start(&config(&upstreams(&up), &[]));
    let dig = &k.dig;

    let r = dig.query(&["upstream.test", "A"]);
    r.expect_answer("A", &["10.1.2.3"]);
    assert!(r.has_flag("ra"), "recursion available\n{r}");
    r.expect_aa(false);
    let first_ttl = r.answer[0].ttl;
    assert!((1..=300).contains(&first_ttl), "{r}");

    // Forwarded over TCP too (whatever kindling uses upstream).
    let r = dig.query(&["+tcp", "upstream.test", "A"]);
    r.expect_answer("A", &["10.1.2.3"]);
    r.expect_aa(false);

    // The reverse name of an address kindling has no name for, too.
    let r = dig.query(&["-x", "10.9.9.9"]);
    r.expect_answer("PTR", &["far.test."]);
    r.expect_aa(false);

    // An upstream NXDOMAIN is relayed, not made authoritative.
    let r = dig.query(&["host.nx.test", "A"]);
    assert_eq!(r.status, "NXDOMAIN", "{r}");
    r.expect_aa(false);
    assert!(r.answer.is_empty(), "{r}");

    // Local names are still local, with upstreams.
    expect_local(&dig.query(&["matchbox.lab.example", "A"]), "A", &["10.99.0.1"], 60);
    dig.query(&["nope.lab.example", "A"])
        .expect_negative("NXDOMAIN", "lab.example.");

    // Single labels are looked up in the domain, answered under the name
    // asked, and never forwarded (dnsmasq would answer `nosuch`).
    let r = dig.query(&["matchbox", "A"]);
    let rrs = r.expect_answer("A", &["10.99.0.1"]);
    assert!(rrs[0].name.eq_ignore_ascii_case("matchbox."), "{r}");
    let r = dig.query(&["nosuch", "A"]);
    assert_eq!(r.status, "NXDOMAIN", "single labels are not forwarded\n{r}");
    r.expect_aa(false);

    // Upstream gone: the cached answer is still served, its TTL counted
    // down (or not yet).
    std::thread::sleep(Duration::from_millis(1100));
    up.stop();
    let r = dig.query(&["upstream.test", "A"]);
    r.expect_answer("A", &["10.1.2.3"]);
    r.expect_aa(false);
    assert!(r.answer[0].ttl <= first_ttl, "TTL {first_ttl} then\n{r}");
    let r = dig.query(&["+tcp", "upstream.test", "A"]);
    r.expect_answer("A", &["10.1.2.3"]);
}

#[test]
fn a_local_cname_to_a_forwarded_name_is_chased_upstream() {
    if !have("dig") || !have("dnsmasq") {
        return;
    }
    let up = Upstream::start();
    let k = start(&config(
        &upstreams(&up),
        &[("ext.lab.example", "CNAME", "upstream.test")],
    ));
    // A recursive server (RA) answering RD queries completes the chain
    // (RFC 1034 §4.3.2 step 3a then 5): stub resolvers such as glibc's do
    // not chase a CNAME themselves, so a bare alias resolves to nothing.
    for args in [&["ext.lab.example", "A"][..], &["+tcp", "ext.lab.example", "A"]] {
        let r = k.dig.query(args);
        r.expect_answer("CNAME", &["upstream.test."]);
        r.expect_answer("A", &["10.1.2.3"]);
        assert_eq!(r.answer[0].rtype, "CNAME", "the CNAME comes first\n{r}");
    }
}

/// `[[dns.record]]` tables with `subdomains = true` (dnsmasq's
/// `address=/name/ip`): two outside the domain (one over the upstream's
/// names), one inside, and a literal record under the first.
fn subtree_records() -> String {
    let mut c = String::new();
    for (name, rtype, value) in [
        ("matchbox.example.com", "A", "192.168.1.100"),
        ("upstream.test", "A", "192.168.1.200"),
        ("pxe.lab.example", "A", "10.99.0.7"),
    ] {
        c.push_str(&record(name, rtype, value, None));
        c.push_str("subdomains = true\n");
    }
    c.push_str(&record("exact.matchbox.example.com", "A", "192.168.1.101", None));
    c
}

#[test]
fn a_subdomains_record_answers_its_name_and_every_name_under_it() {
    if !have("dig") || !have("dnsmasq") {
        return;
    }
    let up = Upstream::start();
    let k = start(&format!("{}{}", config(&upstreams(&up), &[]), subtree_records()));
    let dig = &k.dig;
    for args in [
        &["matchbox.example.com", "A"][..],
        &["a.matchbox.example.com", "A"],
        &["A.B.C.Matchbox.Example.COM", "A"],
        &["+tcp", "x.matchbox.example.com", "A"],
    ] {
        let r = dig.query(args);
        expect_local(&r, "A", &["192.168.1.100"], 60);
        let asked = args.iter().find(|a| a.contains('.')).unwrap();
        assert_eq!(r.answer[0].name, format!("{asked}."), "owner spelled as asked\n{r}");
    }
    // A name with a record of its own is answered from it.
    expect_local(
        &dig.query(&["exact.matchbox.example.com", "A"]),
        "A",
        &["192.168.1.101"],
        60,
    );
    expect_local(
        &dig.query(&["y.exact.matchbox.example.com", "A"]),
        "A",
        &["192.168.1.100"],
        60,
    );
    // Whole labels only: not a suffix match on letters.
    assert_eq!(dig.query(&["xmatchbox.example.com", "A"]).status, "REFUSED");
    // Other types outside the domain go upstream, as with dnsmasq 2.90.
    expect_local(&dig.query(&["txt.upstream.test", "A"]), "A", &["192.168.1.200"], 60);
    let r = dig.query(&["txt.upstream.test", "TXT"]);
    r.expect_answer("TXT", &["\"from upstream\""]);
    r.expect_aa(false);
    // Inside the local domain they are NODATA with the zone's SOA.
    expect_local(&dig.query(&["node9.pxe.lab.example", "A"]), "A", &["10.99.0.7"], 60);
    dig.query(&["node9.pxe.lab.example", "AAAA"])
        .expect_negative("NOERROR", "lab.example.");
    // No PTR for a subtree's address.
    let r = dig.query(&["-x", "192.168.1.100"]);
    assert!(r.answer.is_empty(), "{r}");
}

#[test]
fn ipv6_and_ipv4_listen_side_by_side() {
    if !have("dig") || !have("dnsmasq") {
        return;
    }
    let up = Upstream::start();
    let data = DataDir::new();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("kindling.toml");
    std::fs::write(&cfg, config(&upstreams(&up), &[])).unwrap();
    let server = Server::start(
        data.path(),
        &[
            "--dns",
            "--dns-address",
            "127.0.0.1:0,[::1]:0",
            &format!("--config={}", cfg.display()),
        ],
    );
    server.wait_service_addr("dns");
    wait_until(Duration::from_secs(10), || server.service_addrs("dns-tcp").len() == 2);
    let udp = server.service_addrs("dns");
    assert_eq!(udp, server.service_addrs("dns-tcp"), "UDP and TCP on the same ports");
    assert!(
        udp[0].starts_with("127.0.0.1:") && udp[1].starts_with("[::1]:"),
        "{udp:?}"
    );
    let (v4, v6) = (Dig::new(&udp[0]), Dig::new(&udp[1]));
    for dig in [&v4, &v6] {
        for transport in [&[][..], &["+tcp"]] {
            let ask = |args: &[&str]| dig.query(&[transport, args].concat());
            expect_local(&ask(&["matchbox.lab.example", "A"]), "A", &["10.99.0.1"], 60);
            // Loopback (::1 too) is served: forwarded answers.
            ask(&["upstream.test", "A"]).expect_answer("A", &["10.1.2.3"]);
        }
    }
    // The server's name is the address each query arrived on, of its family.
    expect_local(&v6.query(&["kindling.lab.example", "AAAA"]), "AAAA", &["::1"], 60);
    expect_local(
        &v6.query(&["+tcp", "kindling.lab.example", "AAAA"]),
        "AAAA",
        &["::1"],
        60,
    );
    expect_local(&v4.query(&["kindling.lab.example", "A"]), "A", &["127.0.0.1"], 60);
    v6.query(&["kindling.lab.example", "A"])
        .expect_negative("NOERROR", "lab.example.");
}

#[test]
fn without_upstreams_other_names_are_refused() {
    let Some(k) = local() else { return };
    for args in [
        &["example.com", "A"][..],
        &["+tcp", "example.com", "A"],
        &["-x", "192.0.2.1"],
    ] {
        let r = k.dig.query(args);
        assert_eq!(r.status, "REFUSED", "{r}");
        r.expect_aa(false);
        assert!(r.answer.is_empty(), "{r}");
    }
    // A single label is still looked up locally, not refused.
    let r = k.dig.query(&["matchbox", "A"]);
    r.expect_answer("A", &["10.99.0.1"]);
    let r = k.dig.query(&["nosuch", "A"]);
    assert_eq!(r.status, "NXDOMAIN", "{r}");
}

#[test]
fn tcp_takes_several_queries_per_connection_and_udp_truncates() {
    let Some(k) = local() else { return };
    // Two queries on one connection (RFC 7766).
    let replies = k.dig.replies(&[
        "+tcp",
        "+keepopen",
        "matchbox.lab.example",
        "A",
        "v6.lab.example",
        "AAAA",
    ]);
    assert_eq!(replies.len(), 2, "{}", replies[0]);
    expect_local(&replies[0], "A", &["10.99.0.1"], 60);
    expect_local(&replies[1], "AAAA", &["fd00::1"], 300);

    // Without EDNS a UDP reply is at most 512 bytes: truncated, TC set.
    let r = k.dig.query(&["+noedns", "+ignore", "big.lab.example", "TXT"]);
    assert_eq!(r.status, "NOERROR", "{r}");
    assert!(r.has_flag("tc"), "truncated\n{r}");
    // dig then retries over TCP and gets it whole.
    let r = k.dig.query(&["+noedns", "big.lab.example", "TXT"]);
    let whole = |r: &Reply| r.data("TXT").concat().matches('x').count();
    assert!(!r.has_flag("tc"), "{r}");
    assert_eq!(whole(&r), BIG_TXT, "{r}");
    // With EDNS (dig offers 1232 bytes) it fits in one datagram.
    let r = k.dig.query(&["+ignore", "big.lab.example", "TXT"]);
    assert!(!r.has_flag("tc"), "{r}");
    assert_eq!(whole(&r), BIG_TXT, "{r}");
}

/// A DNS header: id, flags, and the four counts.
fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        h.extend_from_slice(&c.to_be_bytes());
    }
    h
}

/// `name` in wire form (uncompressed), then type A, class IN.
fn question(name: &str) -> Vec<u8> {
    let mut q = Vec::new();
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// Sends `datagram`; returns the reply, if one comes within 300 ms.
fn exchange(sock: &UdpSocket, datagram: &[u8]) -> Option<Vec<u8>> {
    sock.send(datagram).unwrap();
    let mut buf = [0u8; 4096];
    match sock.recv(&mut buf) {
        Ok(n) => Some(buf[..n].to_vec()),
        Err(_) => None,
    }
}

/// Reads and drops whatever replies are still coming.
fn drain(sock: &UdpSocket) {
    while sock.recv(&mut [0u8; 4096]).is_ok() {}
}

#[test]
fn malformed_datagrams_get_formerr_or_nothing_and_service_goes_on() {
    let Some(k) = local() else { return };
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(format!("{}:{}", k.dig.host, k.dig.port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    const RD: u16 = 0x0100;

    // A valid query by the same means first, so that silence below means
    // something.
    let valid = [header(0x1000, RD, [1, 0, 0, 0]), question("matchbox.lab.example")].concat();
    let reply = exchange(&sock, &valid).expect("a reply to a valid query");
    assert_eq!(&reply[..2], &[0x10, 0x00], "same id");
    assert_eq!(reply[3] & 0x0f, 0, "NOERROR");

    let loop_name = {
        // The question's name is a pointer to itself (offset 12).
        let mut d = header(0x1002, RD, [1, 0, 0, 0]);
        d.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
        d
    };
    let pointer_chain = {
        // Two pointers pointing at each other.
        let mut d = header(0x1003, RD, [1, 0, 0, 0]);
        d.extend_from_slice(&[0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1]);
        d
    };
    let huge_counts = [
        header(0x1004, RD, [1, 0xffff, 0xffff, 0xffff]),
        question("matchbox.lab.example"),
    ]
    .concat();
    let many_questions = [header(0x1005, RD, [0xffff, 0, 0, 0]), question("matchbox.lab.example")].concat();
    let reserved_label_type = {
        // 0x40: the extended label type, unassigned (RFC 6891 §5).
        let mut d = header(0x1006, RD, [1, 0, 0, 0]);
        d.extend_from_slice(&[0x41, b'a', 0, 0, 1, 0, 1]);
        d
    };
    let pointer_past_end = {
        let mut d = header(0x1007, RD, [1, 0, 0, 0]);
        d.extend_from_slice(&[0xc1, 0xff, 0, 1, 0, 1]);
        d
    };
    let cut_question = {
        let mut d = [header(0x1008, RD, [1, 0, 0, 0]), question("matchbox.lab.example")].concat();
        d.truncate(d.len() - 3);
        d
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated header", vec![0x10, 0x01, 0x01]),
        ("header only, one question announced", header(0x1001, RD, [1, 0, 0, 0])),
        ("compression loop", loop_name),
        ("pointer chain loop", pointer_chain),
        ("huge counts", huge_counts),
        ("65535 questions announced", many_questions),
        ("reserved label type", reserved_label_type),
        ("pointer past the end", pointer_past_end),
        ("question cut short", cut_question),
    ];
    for (what, datagram) in &cases {
        let reply = exchange(&sock, datagram);
        eprintln!("{what}: {reply:?}");
        if let Some(reply) = reply {
            assert!(reply.len() >= 12, "{what}: a reply shorter than a header: {reply:?}");
            if datagram.len() >= 2 {
                assert_eq!(&reply[..2], &datagram[..2], "{what}: the query's id");
            }
            assert!(reply[2] & 0x80 != 0, "{what}: QR set in {reply:?}");
            assert_eq!(reply[3] & 0x0f, 1, "{what}: FORMERR expected, got {reply:?}");
        }
    }

    // A response (QR set) is never answered: that is how loops between
    // servers start.
    drain(&sock);
    let response = [header(0x1009, 0x8180, [1, 0, 0, 0]), question("matchbox.lab.example")].concat();
    assert_eq!(exchange(&sock, &response), None, "a response was answered");

    // Noise: pseudo-random datagrams of every length up to 100 bytes.
    for len in 0..100 {
        sock.send(&common::pseudo_random(len, len as u64)).unwrap();
    }

    // Still serving, over UDP and TCP.
    drain(&sock);
    let after = wait_until(Duration::from_secs(5), || {
        exchange(&sock, &valid).is_some_and(|r| r[..2] == [0x10, 0x00] && r[3] & 0x0f == 0)
    });
    assert!(after.is_some(), "no answer after the malformed datagrams");
    expect_local(&k.dig.query(&["matchbox.lab.example", "A"]), "A", &["10.99.0.1"], 60);
    expect_local(
        &k.dig.query(&["+tcp", "matchbox.lab.example", "A"]),
        "A",
        &["10.99.0.1"],
        60,
    );
}

#[test]
fn stalled_and_garbage_tcp_connections_do_not_stop_the_others() {
    let Some(k) = local() else { return };
    let addr = format!("{}:{}", k.dig.host, k.dig.port);
    let open = |bytes: &[u8]| {
        let mut c = std::net::TcpStream::connect(&addr).unwrap();
        c.write_all(bytes).unwrap();
        c
    };
    let valid = [header(0x2000, 0x0100, [1, 0, 0, 0]), question("matchbox.lab.example")].concat();
    let framed = |m: &[u8]| [&(m.len() as u16).to_be_bytes()[..], m].concat();
    // Half a length prefix; a length with half the message; a message
    // announced longer than it is; a zero length; then garbage.
    let _stalled = [
        open(&[0x00]),
        open(&framed(&valid)[..10]),
        open(&[0xff, 0xff, 0x12, 0x34]),
        open(&[0x00, 0x00]),
        open(&framed(&common::pseudo_random(40, 9))),
    ];
    for _ in 0..3 {
        expect_local(
            &k.dig.query(&["+tcp", "matchbox.lab.example", "A"]),
            "A",
            &["10.99.0.1"],
            60,
        );
        expect_local(&k.dig.query(&["matchbox.lab.example", "A"]), "A", &["10.99.0.1"], 60);
    }
    // A well-formed query on a raw connection is answered, framed.
    let mut c = open(&framed(&valid));
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut len = [0u8; 2];
    c.read_exact(&mut len).expect("a framed reply");
    let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
    c.read_exact(&mut reply).unwrap();
    assert_eq!(&reply[..2], &[0x20, 0x00], "same id");
    assert_eq!(reply[3] & 0x0f, 0, "NOERROR");
}

/// dnsmasq's defaults as kindling keys: upstreams from a resolv.conf (here
/// naming a dnsmasq on port 53 of a loopback address of its own, and
/// kindling's own address, which is left out), the names of a hosts file,
/// and a log line per question.
#[test]
fn resolv_file_hosts_file_and_query_log() {
    if !have("dig") || !have("dnsmasq") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ip = format!("127.77.{}.1", std::process::id() % 250);
    let mut up = Command::new("dnsmasq")
        .args([
            "--keep-in-foreground",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--pid-file=",
            "--user=root",
            "--port=53",
            "--address=/resolved.test/10.4.4.4",
        ])
        .arg(format!("--listen-address={ip}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dnsmasq");
    let direct = Dig::new(&format!("{ip}:53"));
    wait_until(Duration::from_secs(10), || {
        direct.query(&["resolved.test"]).data("A") == ["10.4.4.4"]
    })
    .expect("dnsmasq answers");
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(
        &resolv,
        format!("# test\nsearch example\nnameserver {ip}\noptions ndots:1\n"),
    )
    .unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(
        &hosts,
        "127.0.0.1 localhost\n10.5.5.5 printer printer.lab.example # office\nfd00::5 v6host.test\n",
    )
    .unwrap();
    let k = start(&format!(
        "[dns]\nlog_queries = true\nresolv_file = \"{}\"\nhosts_file = \"{}\"\n",
        resolv.display(),
        hosts.display()
    ));
    assert_eq!(k.dig.query(&["resolved.test"]).data("A"), ["10.4.4.4"]);
    assert_eq!(k.dig.query(&["printer"]).data("A"), ["10.5.5.5"]);
    assert_eq!(k.dig.query(&["printer.lab.example"]).data("A"), ["10.5.5.5"]);
    assert_eq!(k.dig.query(&["v6host.test", "AAAA"]).data("AAAA"), ["fd00::5"]);
    let logged = wait_until(Duration::from_secs(5), || {
        let log = k._server.log();
        log.contains("dns query") && log.contains("resolved.test") && log.contains("printer")
    });
    assert!(logged.is_some(), "{}", k._server.log());
    let _ = up.kill();
    let _ = up.wait();
}
