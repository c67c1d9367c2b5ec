//! Wire input never panics: random and mutated datagrams through the query
//! path (both transports, with and without forwarding) and through the
//! forwarding table's reply matching. Every reply parses, carries the
//! query's ID and fits the size the transport allows.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use dns::proto::op::{Message, MessageType, OpCode, Query};
use dns::proto::rr::{Name, RecordType};
use dns::{DnsConfig, Forwarder, Handled, LocalNames, RecordValue, Reply, StaticRecord, Transport, handle, parse_name};
use proptest::prelude::*;

fn names() -> LocalNames {
    let cfg = DnsConfig {
        domain: Some(parse_name("lab.example").unwrap()),
        server_names: vec![parse_name("kindling").unwrap()],
        records: vec![
            StaticRecord {
                name: parse_name("a.lab.example").unwrap(),
                ttl: None,
                subdomains: false,
                value: RecordValue::parse("A", "10.0.0.1").unwrap(),
            },
            StaticRecord {
                name: parse_name("c.lab.example").unwrap(),
                ttl: None,
                subdomains: false,
                value: RecordValue::parse("CNAME", "a.lab.example").unwrap(),
            },
            StaticRecord {
                name: parse_name("s.lab.example").unwrap(),
                ttl: None,
                subdomains: true,
                value: RecordValue::parse("A", "10.0.0.2").unwrap(),
            },
        ],
        ..DnsConfig::default()
    };
    LocalNames::build(&cfg, &[], 1).0
}

fn valid_query(name: &str, qtype: u16) -> Vec<u8> {
    let mut m = Message::new(0xabcd, MessageType::Query, OpCode::Query);
    if let Ok(n) = Name::from_ascii(name) {
        m.queries.push(Query::query(n, RecordType::from(qtype)));
    }
    m.to_vec().unwrap_or_default()
}

fn check(bytes: &[u8], names: &LocalNames) {
    for transport in [Transport::Udp, Transport::Tcp] {
        for forwarding in [false, true] {
            let local = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
            if let (Handled::Reply(out), _) = handle(bytes, transport, names, local, 1000, forwarding) {
                let limit = if transport == Transport::Udp { 1232 } else { 65535 };
                assert!(out.len() <= limit);
                assert_eq!(out[..2], bytes[..2], "the reply carries the query's ID");
                assert!(out[2] & 0x80 != 0, "QR set");
                Message::from_vec(&out).expect("every reply parses");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_datagrams(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        check(&data, &names());
    }

    #[test]
    fn mutated_queries(
        name in prop_oneof![Just("a.lab.example.".to_string()), Just("c.lab.example.".to_string()), Just("x.y.s.lab.example.".to_string()), "[a-z]{1,10}(\\.[a-z]{1,10}){0,3}\\."],
        qtype in prop_oneof![Just(1u16), Just(28), Just(255), Just(12), Just(252), any::<u16>()],
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let mut bytes = valid_query(&name, qtype);
        prop_assume!(!bytes.is_empty());
        for (at, v) in flips {
            let i = at % bytes.len();
            bytes[i] = v;
        }
        let keep = bytes.len() - cut % (bytes.len() / 2 + 1);
        bytes.truncate(keep.max(1));
        check(&bytes, &names());
    }

    #[test]
    fn random_upstream_replies(data in proptest::collection::vec(any::<u8>(), 0..600), id in any::<u16>()) {
        let names = names();
        let query = valid_query("example.com.", 1);
        let (Handled::Forward(request), _) = handle(&query, Transport::Udp, &names, IpAddr::V4(Ipv4Addr::LOCALHOST), 0, true) else {
            panic!("example.com is forwarded");
        };
        let up: SocketAddr = "127.0.0.1:53".parse().unwrap();
        let mut f: Forwarder<()> = Forwarder::new(vec![up], Duration::from_secs(1), 10);
        f.start((), request, id, Instant::now()).unwrap();
        let mut data = data;
        if data.len() >= 2 {
            data[..2].copy_from_slice(&id.to_be_bytes());
        }
        if let Reply::Answer { request: req, message: reply, .. } = f.on_reply(up, &data, Instant::now()) {
            let out = req.relay(reply.metadata.response_code, reply.answers, reply.authorities, reply.additionals);
            prop_assert!(out.len() <= 1232);
            Message::from_vec(&out).expect("a relayed reply parses");
        }
    }
}
