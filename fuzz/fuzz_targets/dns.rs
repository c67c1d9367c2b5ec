//! Any datagram through the DNS query path (both transports, with and
//! without forwarding) and through the forwarding table as an upstream
//! reply: never a panic; every reply parses and fits its transport.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dns::proto::op::Message;
use dns::{DnsConfig, Forwarder, Handled, LocalNames, RecordValue, Reply, StaticRecord, Transport, handle, parse_name};
use libfuzzer_sys::fuzz_target;

fn names() -> &'static LocalNames {
    static NAMES: OnceLock<LocalNames> = OnceLock::new();
    NAMES.get_or_init(|| {
        let rec = |n: &str, t: &str, v: &str| StaticRecord {
            name: parse_name(n).unwrap(),
            ttl: None,
            subdomains: false,
            value: RecordValue::parse(t, v).unwrap(),
        };
        let subtree = |n: &str, t: &str, v: &str| StaticRecord {
            subdomains: true,
            ..rec(n, t, v)
        };
        let cfg = DnsConfig {
            domain: Some(parse_name("lab.example").unwrap()),
            server_names: vec![parse_name("kindling").unwrap()],
            records: vec![
                rec("a.lab.example", "A", "10.0.0.1"),
                rec("c.lab.example", "CNAME", "a.lab.example"),
                rec("t.lab.example", "TXT", "text"),
                subtree("s.lab.example", "A", "10.0.0.2"),
                subtree("example.com", "CNAME", "s.lab.example"),
            ],
            ..DnsConfig::default()
        };
        LocalNames::build(&cfg, &[], 1).0
    })
}

fuzz_target!(|data: &[u8]| {
    let local = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    let mut forward = None;
    for transport in [Transport::Udp, Transport::Tcp] {
        for forwarding in [false, true] {
            match handle(data, transport, names(), local, 1000, forwarding).0 {
                Handled::Reply(out) => {
                    assert!(transport == Transport::Tcp || out.len() <= 1232);
                    assert!(Message::from_vec(&out).is_ok());
                }
                Handled::Forward(r) => forward = Some(r),
                Handled::Drop => {}
            }
        }
    }
    // The same bytes as an upstream's reply to some forwarded question.
    let request = match forward {
        Some(r) => r,
        None => {
            let q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01";
            match handle(q, Transport::Udp, names(), local, 0, true).0 {
                Handled::Forward(r) => r,
                _ => return,
            }
        }
    };
    let up: SocketAddr = "127.0.0.1:53".parse().unwrap();
    let mut f: Forwarder<()> = Forwarder::new(vec![up], Duration::from_secs(1), 10);
    let id = data
        .first()
        .map_or(0, |&b| u16::from(b) << 8 | u16::from(*data.get(1).unwrap_or(&0)));
    if f.start((), request, id, Instant::now()).is_ok()
        && let Reply::Answer {
            request: req,
            message: reply,
            ..
        } = f.on_reply(up, data, Instant::now())
    {
        let out = req.relay(
            reply.metadata.response_code,
            reply.answers,
            reply.authorities,
            reply.additionals,
        );
        assert!(out.len() <= 1232);
        assert!(Message::from_vec(&out).is_ok());
    }
});
