//! The answer rules, query bytes in and reply bytes out: local names,
//! NXDOMAIN versus NODATA, the AA and RA bits, EDNS, truncation, errors,
//! the cache and the forwarding table.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use dns::proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use dns::proto::rr::rdata::{A, SOA};
use dns::proto::rr::{DNSClass, Name, RData, Record, RecordType};
use dns::{
    Cache, CacheKey, DnsConfig, Forwarder, Handled, LeaseName, LocalNames, Outcome, RecordValue, Reply, Request,
    StaticRecord, Transport, handle, parse_name,
};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1));
const NOW: u64 = 1_000_000;

fn record(name: &str, kind: &str, value: &str) -> StaticRecord {
    StaticRecord {
        name: parse_name(name).unwrap(),
        ttl: None,
        subdomains: false,
        value: RecordValue::parse(kind, value).unwrap(),
    }
}

fn config() -> DnsConfig {
    DnsConfig {
        domain: Some(parse_name("lab.example").unwrap()),
        server_names: vec![parse_name("kindling").unwrap()],
        records: vec![
            record("matchbox.lab.example", "A", "10.99.0.1"),
            record("matchbox.lab.example", "TXT", "boot here"),
            record("www.lab.example", "CNAME", "matchbox.lab.example"),
            record("alias.lab.example", "CNAME", "www.lab.example"),
            record("away.lab.example", "CNAME", "somewhere.else.example"),
            record("loop1.lab.example", "CNAME", "loop2.lab.example"),
            record("loop2.lab.example", "CNAME", "loop1.lab.example"),
            record("v6.lab.example", "AAAA", "fd00::1"),
            record("_http._tcp.lab.example", "SRV", "10 5 8080 matchbox.lab.example"),
            record("outside.example.org", "A", "192.0.2.7"),
        ],
        ..DnsConfig::default()
    }
}

fn names_with(leases: &[LeaseName]) -> LocalNames {
    LocalNames::build(&config(), leases, 7).0
}

fn query(name: &str, qtype: RecordType) -> Message {
    let mut m = Message::new(0x1234, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.queries.push(Query::query(Name::from_ascii(name).unwrap(), qtype));
    m
}

fn ask(names: &LocalNames, m: &Message, forwarding: bool) -> (Handled, Option<Outcome>) {
    handle(&m.to_vec().unwrap(), Transport::Udp, names, LOCAL, NOW, forwarding)
}

fn reply(names: &LocalNames, m: &Message) -> Message {
    match ask(names, m, false).0 {
        Handled::Reply(bytes) => Message::from_vec(&bytes).unwrap(),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn a_of(m: &Message) -> Vec<Ipv4Addr> {
    m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(A(ip)) => Some(*ip),
            _ => None,
        })
        .collect()
}

#[test]
fn static_names_are_authoritative_answers() {
    let names = names_with(&[]);
    let r = reply(&names, &query("MatchBox.Lab.Example.", RecordType::A));
    assert_eq!(r.metadata.id, 0x1234);
    assert_eq!(r.metadata.message_type, MessageType::Response);
    assert!(r.metadata.authoritative);
    assert!(r.metadata.recursion_desired);
    assert!(!r.metadata.recursion_available, "no upstreams: RA clear");
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    // The question is echoed with the client's letter case.
    assert_eq!(r.queries[0].name.to_ascii(), "MatchBox.Lab.Example.");
    assert_eq!(
        r.answers[0].name.to_ascii(),
        "MatchBox.Lab.Example.",
        "the owner is spelled as asked"
    );
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 1)]);
    assert_eq!(r.answers[0].ttl, 60);

    let r = reply(&names, &query("_http._tcp.lab.example.", RecordType::SRV));
    assert_eq!(r.answers.len(), 1);
    assert_eq!(r.answers[0].record_type(), RecordType::SRV);
    let r = reply(&names, &query("v6.lab.example.", RecordType::AAAA));
    assert_eq!(r.answers[0].record_type(), RecordType::AAAA);
    let r = reply(&names, &query("matchbox.lab.example.", RecordType::ANY));
    assert_eq!(r.answers.len(), 2, "ANY gives every record of the name");
    // A name outside the domain that has a record is kindling's too.
    let r = reply(&names, &query("outside.example.org.", RecordType::A));
    assert!(r.metadata.authoritative);
    assert_eq!(a_of(&r), [Ipv4Addr::new(192, 0, 2, 7)]);
}

#[test]
fn cnames_are_followed_while_local() {
    let names = names_with(&[]);
    let r = reply(&names, &query("alias.lab.example.", RecordType::A));
    let types: Vec<RecordType> = r.answers.iter().map(Record::record_type).collect();
    assert_eq!(types, [RecordType::CNAME, RecordType::CNAME, RecordType::A]);
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 1)]);
    // Asking for the CNAME itself does not follow it.
    let r = reply(&names, &query("www.lab.example.", RecordType::CNAME));
    assert_eq!(r.answers.len(), 1);
    // An alias to a name kindling does not have: without upstreams, the
    // CNAME alone; with them, the target is asked upstream and the answer
    // opens with the local chain.
    let r = reply(&names, &query("away.lab.example.", RecordType::A));
    assert_eq!(r.answers.len(), 1);
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    let (Handled::Forward(request), _) = ask(&names, &query("away.lab.example.", RecordType::A), true) else {
        panic!("a dangling alias is finished upstream")
    };
    assert_eq!(request.upstream_question().name.to_ascii(), "somewhere.else.example.");
    let upstream = Message::from_vec(&request.upstream_query(9)).unwrap();
    assert_eq!(upstream.queries[0].name.to_ascii(), "somewhere.else.example.");
    let target = Record::from_rdata(
        Name::from_ascii("somewhere.else.example.").unwrap(),
        30,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 99))),
    );
    let r = Message::from_vec(&request.relay(ResponseCode::NoError, vec![target], vec![], vec![])).unwrap();
    assert_eq!(r.queries[0].name.to_ascii(), "away.lab.example.");
    let types: Vec<RecordType> = r.answers.iter().map(Record::record_type).collect();
    assert_eq!(types, [RecordType::CNAME, RecordType::A]);
    // Asked for the CNAME itself: answered locally even with upstreams.
    assert!(matches!(
        ask(&names, &query("away.lab.example.", RecordType::CNAME), true).0,
        Handled::Reply(_)
    ));
    // A loop ends.
    let r = reply(&names, &query("loop1.lab.example.", RecordType::A));
    assert!(!r.answers.is_empty() && r.answers.len() <= 8);
}

#[test]
fn nxdomain_and_nodata_carry_the_soa() {
    let names = names_with(&[]);
    let r = reply(&names, &query("nope.lab.example.", RecordType::A));
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
    assert!(r.metadata.authoritative);
    assert!(r.answers.is_empty());
    let RData::SOA(soa) = &r.authorities[0].data else {
        panic!("{:?}", r.authorities)
    };
    assert_eq!(r.authorities[0].name.to_ascii(), "lab.example.");
    assert_eq!(soa.minimum, 10, "negative answers are cached briefly");
    assert_eq!(r.authorities[0].ttl, 10);
    assert_eq!(soa.serial, 7);
    assert_eq!(soa.mname.to_ascii(), "kindling.lab.example.");

    // The name exists, the type does not: NOERROR, empty, SOA.
    let r = reply(&names, &query("matchbox.lab.example.", RecordType::AAAA));
    assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    assert!(r.metadata.authoritative);
    assert!(r.answers.is_empty());
    assert_eq!(r.authorities[0].record_type(), RecordType::SOA);

    // A name with names below it but no records of its own exists: NODATA.
    for name in ["_tcp.lab.example.", "_TCP.lab.example."] {
        let r = reply(&names, &query(name, RecordType::SRV));
        assert_eq!(r.metadata.response_code, ResponseCode::NoError, "{name}");
        assert!(r.answers.is_empty() && r.metadata.authoritative);
    }
    let r = reply(&names, &query("x._tcp.lab.example.", RecordType::SRV));
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);

    // The apex answers SOA and NS.
    let r = reply(&names, &query("lab.example.", RecordType::SOA));
    assert_eq!(r.answers[0].record_type(), RecordType::SOA);
    let r = reply(&names, &query("lab.example.", RecordType::NS));
    assert_eq!(r.answers[0].record_type(), RecordType::NS);
}

#[test]
fn other_names_are_forwarded_or_refused() {
    let names = names_with(&[]);
    let q = query("example.com.", RecordType::A);
    assert!(matches!(ask(&names, &q, true).0, Handled::Forward(_)));
    let r = reply(&names, &q);
    assert_eq!(r.metadata.response_code, ResponseCode::Refused);
    assert!(!r.metadata.authoritative);
    // Single labels are never forwarded: looked up in the domain, else NXDOMAIN without AA.
    let (h, _) = ask(&names, &query("matchbox.", RecordType::A), true);
    let Handled::Reply(bytes) = h else { panic!("{h:?}") };
    let r = Message::from_vec(&bytes).unwrap();
    assert_eq!(r.answers[0].name.to_ascii(), "matchbox.");
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 1)]);
    let (h, _) = ask(&names, &query("printer.", RecordType::A), true);
    let Handled::Reply(bytes) = h else { panic!("{h:?}") };
    let r = Message::from_vec(&bytes).unwrap();
    assert_eq!(r.metadata.response_code, ResponseCode::NXDomain);
    assert!(!r.metadata.authoritative);
    assert!(r.metadata.recursion_available, "RA follows whether upstreams exist");
}

#[test]
fn the_server_name_is_the_address_asked() {
    let names = names_with(&[]);
    let q = query("kindling.lab.example.", RecordType::A);
    let bytes = q.to_vec().unwrap();
    for local in [Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(192, 168, 7, 1)] {
        let (Handled::Reply(out), _) = handle(&bytes, Transport::Udp, &names, IpAddr::V4(local), NOW, false) else {
            panic!()
        };
        assert_eq!(a_of(&Message::from_vec(&out).unwrap()), [local]);
    }
}

#[test]
fn leases_publish_names_and_ptrs_until_they_expire() {
    let leases = [
        LeaseName {
            hostname: "Node7".into(),
            ip: Ipv4Addr::new(10, 99, 0, 107),
            expires: NOW + 30,
        },
        LeaseName {
            hostname: "fixed1".into(),
            ip: Ipv4Addr::new(10, 99, 0, 11),
            expires: u64::MAX,
        },
        // A client claiming a configured name does not take it.
        LeaseName {
            hostname: "matchbox".into(),
            ip: Ipv4Addr::new(10, 99, 0, 150),
            expires: NOW + 100,
        },
        // Two clients with one name: the newer lease (later expiry) wins.
        LeaseName {
            hostname: "twin".into(),
            ip: Ipv4Addr::new(10, 99, 0, 120),
            expires: NOW + 10,
        },
        LeaseName {
            hostname: "twin".into(),
            ip: Ipv4Addr::new(10, 99, 0, 121),
            expires: NOW + 50,
        },
        LeaseName {
            hostname: "bad name!".into(),
            ip: Ipv4Addr::new(10, 99, 0, 122),
            expires: NOW + 50,
        },
    ];
    let (names, conflicts) = LocalNames::build(&config(), &leases, 1);
    assert_eq!(conflicts.len(), 2, "{conflicts:?}");
    let r = reply(&names, &query("node7.lab.example.", RecordType::A));
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 107)]);
    assert_eq!(r.answers[0].ttl, 30, "never longer than the lease");
    let r = reply(&names, &query("107.0.99.10.in-addr.arpa.", RecordType::PTR));
    assert_eq!(r.answers[0].data.to_string(), "node7.lab.example.");
    let r = reply(&names, &query("twin.lab.example.", RecordType::A));
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 121)]);
    let r = reply(&names, &query("matchbox.lab.example.", RecordType::A));
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 1)]);
    let r = reply(&names, &query("fixed1.", RecordType::A));
    assert_eq!(a_of(&r), [Ipv4Addr::new(10, 99, 0, 11)]);

    // Past the lease's end: gone (NXDOMAIN in the domain, PTR not local).
    let q = query("node7.lab.example.", RecordType::A).to_vec().unwrap();
    let (Handled::Reply(out), _) = handle(&q, Transport::Udp, &names, LOCAL, NOW + 31, false) else {
        panic!()
    };
    assert_eq!(
        Message::from_vec(&out).unwrap().metadata.response_code,
        ResponseCode::NXDomain
    );
    let q = query("107.0.99.10.in-addr.arpa.", RecordType::PTR).to_vec().unwrap();
    let (h, _) = handle(&q, Transport::Udp, &names, LOCAL, NOW + 31, true);
    assert!(matches!(h, Handled::Forward(_)));
}

#[test]
fn malformed_and_unsupported_queries() {
    let names = names_with(&[]);
    // Too short for a header, or a response: dropped.
    assert_eq!(
        handle(&[1, 2, 3], Transport::Udp, &names, LOCAL, NOW, false).0,
        Handled::Drop
    );
    let mut resp = query("a.lab.example.", RecordType::A);
    resp.metadata.message_type = MessageType::Response;
    assert_eq!(ask(&names, &resp, false).0, Handled::Drop);
    // A header then garbage: FORMERR with the ID.
    let mut bytes = query("a.lab.example.", RecordType::A).to_vec().unwrap();
    bytes.truncate(15);
    let (Handled::Reply(out), Some(Outcome::FormErr)) = handle(&bytes, Transport::Udp, &names, LOCAL, NOW, false)
    else {
        panic!()
    };
    let r = Message::from_vec(&out).unwrap();
    assert_eq!(
        (r.metadata.id, r.metadata.response_code),
        (0x1234, ResponseCode::FormErr)
    );
    // Two questions: FORMERR. Another opcode: NOTIMP. Zone transfer: REFUSED. Class CH: REFUSED.
    let mut two = query("a.lab.example.", RecordType::A);
    two.queries
        .push(Query::query(Name::from_ascii("b.lab.example.").unwrap(), RecordType::A));
    assert_eq!(reply(&names, &two).metadata.response_code, ResponseCode::FormErr);
    let mut status = query("a.lab.example.", RecordType::A);
    status.metadata.op_code = OpCode::Status;
    assert_eq!(reply(&names, &status).metadata.response_code, ResponseCode::NotImp);
    assert_eq!(
        reply(&names, &query("lab.example.", RecordType::AXFR))
            .metadata
            .response_code,
        ResponseCode::Refused
    );
    let mut chaos = query("version.bind.", RecordType::TXT);
    chaos.queries[0].query_class = DNSClass::CH;
    assert_eq!(reply(&names, &chaos).metadata.response_code, ResponseCode::Refused);
}

#[test]
fn edns_is_answered_and_sizes_are_kept() {
    let mut cfg = config();
    for i in 0..60 {
        cfg.records
            .push(record("many.lab.example", "A", &format!("10.99.1.{i}")));
    }
    let names = LocalNames::build(&cfg, &[], 1).0;
    // Without EDNS: 512 bytes at most, so 60 A records are truncated.
    let (Handled::Reply(out), _) = ask(&names, &query("many.lab.example.", RecordType::A), false) else {
        panic!()
    };
    assert!(out.len() <= 512);
    let r = Message::from_vec(&out).unwrap();
    assert!(r.metadata.truncation && r.answers.is_empty());
    assert!(r.edns.is_none(), "no OPT to a client that sent none");
    // With EDNS 4096: kindling caps at 1232, which fits all 60 (16 bytes each).
    let mut q = query("many.lab.example.", RecordType::A);
    let mut edns = Edns::new();
    edns.set_max_payload(4096);
    q.set_edns(edns);
    let (Handled::Reply(out), _) = ask(&names, &q, false) else {
        panic!()
    };
    assert!(out.len() <= 1232);
    let r = Message::from_vec(&out).unwrap();
    assert!(!r.metadata.truncation);
    assert_eq!(r.answers.len(), 60);
    assert_eq!(r.edns.as_ref().unwrap().max_payload(), 1232);
    // Over TCP there is no such limit.
    let (Handled::Reply(out), _) = handle(
        &query("many.lab.example.", RecordType::A).to_vec().unwrap(),
        Transport::Tcp,
        &names,
        LOCAL,
        NOW,
        false,
    ) else {
        panic!()
    };
    assert_eq!(Message::from_vec(&out).unwrap().answers.len(), 60);
    // EDNS version 1: BADVERS (an extended code, carried in the OPT).
    let mut q = query("matchbox.lab.example.", RecordType::A);
    let mut edns = Edns::new();
    edns.set_version(1);
    q.set_edns(edns);
    let r = reply(&names, &q);
    // 16 on the wire (hickory reads 16 back as BADSIG, which shares it).
    assert_eq!(u16::from(r.metadata.response_code), u16::from(ResponseCode::BADVERS));
    assert!(r.edns.is_some());
}

fn upstream_reply(
    request_bytes: &[u8],
    answers: Vec<Record>,
    authorities: Vec<Record>,
    rcode: ResponseCode,
) -> Message {
    let q = Message::from_vec(request_bytes).unwrap();
    let mut m = Message::response(q.metadata.id, OpCode::Query);
    m.metadata.response_code = rcode;
    m.metadata.authoritative = true;
    m.queries = q.queries.clone();
    m.answers = answers;
    m.authorities = authorities;
    m
}

fn forwarded(names: &LocalNames, name: &str) -> Request {
    match ask(names, &query(name, RecordType::A), true).0 {
        Handled::Forward(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn forwarding_matches_replies_and_fails_over() {
    let names = names_with(&[]);
    let up1: SocketAddr = "127.0.0.1:5301".parse().unwrap();
    let up2: SocketAddr = "127.0.0.1:5302".parse().unwrap();
    let mut f: Forwarder<u32> = Forwarder::new(vec![up1, up2], Duration::from_secs(1), 100);
    let t0 = Instant::now();
    let request = forwarded(&names, "Example.COM.");
    let out = f.start(7, request.clone(), 0xbeef, t0).unwrap();
    assert_eq!(out.to, up1);
    let sent = Message::from_vec(&out.bytes).unwrap();
    assert_eq!(sent.metadata.id, 0xbeef);
    assert!(sent.metadata.recursion_desired);
    let answer = Record::from_rdata(
        Name::from_ascii("example.com.").unwrap(),
        300,
        RData::A(A(Ipv4Addr::new(93, 184, 216, 34))),
    );
    let good = upstream_reply(&out.bytes, vec![answer.clone()], vec![], ResponseCode::NoError);
    // From an address the query did not go to: ignored.
    assert!(matches!(f.on_reply(up2, &good.to_vec().unwrap(), t0), Reply::Ignored));
    // Another question under the same ID: ignored.
    let mut wrong = good.clone();
    wrong.queries[0].name = Name::from_ascii("evil.example.").unwrap();
    assert!(matches!(f.on_reply(up1, &wrong.to_vec().unwrap(), t0), Reply::Ignored));
    // The real one: matched once.
    let Reply::Answer {
        client,
        request: req,
        message: reply,
    } = f.on_reply(up1, &good.to_vec().unwrap(), t0)
    else {
        panic!("the answer is matched");
    };
    assert_eq!(client, 7);
    assert!(matches!(f.on_reply(up1, &good.to_vec().unwrap(), t0), Reply::Ignored));
    // Relayed with the client's ID and case, RA on, AA off.
    let bytes = req.relay(reply.metadata.response_code, reply.answers, vec![], vec![]);
    let r = Message::from_vec(&bytes).unwrap();
    assert_eq!(r.metadata.id, 0x1234);
    assert_eq!(r.queries[0].name.to_ascii(), "Example.COM.");
    assert!(r.metadata.recursion_available && !r.metadata.authoritative);
    assert_eq!(a_of(&r), [Ipv4Addr::new(93, 184, 216, 34)]);

    // No answer: the next upstream after the timeout, then SERVFAIL.
    let out = f.start(8, request, 0x0101, t0).unwrap();
    assert_eq!(out.to, up1);
    let (resend, failed) = f.on_timeout(t0 + Duration::from_millis(500));
    assert!(resend.is_empty() && failed.is_empty());
    let (resend, failed) = f.on_timeout(t0 + Duration::from_secs(1));
    assert_eq!(resend.iter().map(|o| o.to).collect::<Vec<_>>(), [up2]);
    assert!(failed.is_empty());
    // A late answer from the first upstream still counts.
    let late = upstream_reply(&out.bytes, vec![answer], vec![], ResponseCode::NoError);
    assert!(matches!(
        f.on_reply(up1, &late.to_vec().unwrap(), t0),
        Reply::Answer { .. }
    ));
    let request = forwarded(&names, "example.net.");
    f.start(9, request, 0x0202, t0).unwrap();
    let mut t = t0;
    let mut failed_total = Vec::new();
    for _ in 0..10 {
        t += Duration::from_secs(1);
        failed_total.extend(f.on_timeout(t).1);
    }
    assert_eq!(failed_total.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [9]);
    assert_eq!(f.in_flight(), 0);
}

#[test]
fn the_cache_counts_ttls_down_and_keeps_negative_answers() {
    let names = names_with(&[]);
    let request = forwarded(&names, "cached.example.");
    let bytes = request.upstream_query(1);
    let t0 = Instant::now();
    let mut cache = Cache::new(100, 86_400);
    let key = CacheKey::of(&request);
    let a = Record::from_rdata(
        Name::from_ascii("cached.example.").unwrap(),
        100,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
    );
    cache.insert(
        key.clone(),
        &upstream_reply(&bytes, vec![a], vec![], ResponseCode::NoError),
        t0,
    );
    let hit = cache.get(&key, t0 + Duration::from_secs(40)).unwrap();
    assert_eq!(hit.answers[0].ttl, 60);
    assert!(cache.get(&key, t0 + Duration::from_secs(100)).is_none());

    // NXDOMAIN with an SOA: kept for min(SOA TTL, MINIMUM).
    let request = forwarded(&names, "missing.example.");
    let key = CacheKey::of(&request);
    let soa = Record::from_rdata(
        Name::from_ascii("example.").unwrap(),
        3600,
        RData::SOA(SOA::new(
            Name::from_ascii("ns.example.").unwrap(),
            Name::from_ascii("h.example.").unwrap(),
            1,
            1,
            1,
            1,
            30,
        )),
    );
    let nx = upstream_reply(&request.upstream_query(2), vec![], vec![soa], ResponseCode::NXDomain);
    cache.insert(key.clone(), &nx, t0);
    let hit = cache.get(&key, t0 + Duration::from_secs(29)).unwrap();
    assert_eq!(hit.rcode, ResponseCode::NXDomain);
    assert!(cache.get(&key, t0 + Duration::from_secs(30)).is_none());

    // Without an SOA, SERVFAIL, or TTL 0: not kept.
    let request = forwarded(&names, "other.example.");
    let key = CacheKey::of(&request);
    let up = request.upstream_query(3);
    cache.insert(
        key.clone(),
        &upstream_reply(&up, vec![], vec![], ResponseCode::NXDomain),
        t0,
    );
    cache.insert(
        key.clone(),
        &upstream_reply(&up, vec![], vec![], ResponseCode::ServFail),
        t0,
    );
    let zero = Record::from_rdata(
        Name::from_ascii("other.example.").unwrap(),
        0,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 2))),
    );
    cache.insert(
        key.clone(),
        &upstream_reply(&up, vec![zero], vec![], ResponseCode::NoError),
        t0,
    );
    assert!(cache.get(&key, t0).is_none());

    // Full: room is made.
    let mut small = Cache::new(4, 86_400);
    for i in 0..20 {
        let request = forwarded(&names, &format!("n{i}.example."));
        let a = Record::from_rdata(
            request.query.name.clone(),
            100,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 9))),
        );
        small.insert(
            CacheKey::of(&request),
            &upstream_reply(&request.upstream_query(4), vec![a], vec![], ResponseCode::NoError),
            t0,
        );
        assert!(small.len() <= 4);
    }
}

/// SERVFAIL or REFUSED from one upstream moves the question to the next at
/// once; the last one's failure is relayed; a single upstream is not asked
/// twice.
#[test]
fn a_failing_upstream_is_replaced_by_the_next() {
    let names = names_with(&[]);
    let up1: SocketAddr = "127.0.0.1:5301".parse().unwrap();
    let up2: SocketAddr = "127.0.0.1:5302".parse().unwrap();
    let t0 = Instant::now();
    let mut f: Forwarder<u32> = Forwarder::new(vec![up1, up2], Duration::from_secs(1), 100);
    let request = forwarded(&names, "example.com.");
    let out = f.start(1, request.clone(), 0x0a0a, t0).unwrap();
    let servfail = upstream_reply(&out.bytes, vec![], vec![], ResponseCode::ServFail);
    let Reply::Retry(next) = f.on_reply(up1, &servfail.to_vec().unwrap(), t0) else {
        panic!("SERVFAIL moves on");
    };
    assert_eq!(next.to, up2);
    let refused = upstream_reply(&next.bytes, vec![], vec![], ResponseCode::Refused);
    let Reply::Answer { message, .. } = f.on_reply(up2, &refused.to_vec().unwrap(), t0) else {
        panic!("the last upstream's failure is the answer");
    };
    assert_eq!(message.metadata.response_code, ResponseCode::Refused);

    let mut single: Forwarder<u32> = Forwarder::new(vec![up1], Duration::from_secs(1), 100);
    let out = single.start(2, request, 0x0b0b, t0).unwrap();
    let servfail = upstream_reply(&out.bytes, vec![], vec![], ResponseCode::ServFail);
    assert!(matches!(
        single.on_reply(up1, &servfail.to_vec().unwrap(), t0),
        Reply::Answer { .. }
    ));
}
