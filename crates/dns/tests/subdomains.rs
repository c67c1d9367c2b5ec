//! Records with `subdomains`: dnsmasq's `address=/name/ip`. The name and
//! every name under it, the closest such record winning, names with records
//! of their own winning over it, other types forwarded outside the local
//! domain and NODATA inside it, no PTR; and the suffix lookup agreeing with
//! a scan of every record on random names.

use std::net::{IpAddr, Ipv4Addr};

use dns::proto::rr::rdata::{A, CNAME};
use dns::proto::rr::{Name, RData, RecordType};
use dns::{DnsConfig, LeaseName, LocalNames, Lookup, RecordValue, StaticRecord, parse_name};
use proptest::prelude::*;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1));
const NOW: u64 = 1_000_000;

fn record(name: &str, kind: &str, value: &str, subdomains: bool) -> StaticRecord {
    StaticRecord {
        name: parse_name(name).unwrap(),
        ttl: None,
        subdomains,
        value: RecordValue::parse(kind, value).unwrap(),
    }
}

fn names(records: Vec<StaticRecord>, leases: &[LeaseName]) -> LocalNames {
    let cfg = DnsConfig {
        domain: Some(parse_name("lab.example").unwrap()),
        server_names: vec![parse_name("kindling").unwrap()],
        records,
        ..DnsConfig::default()
    };
    let (names, conflicts) = LocalNames::build(&cfg, leases, 1);
    assert!(conflicts.is_empty(), "{conflicts:?}");
    names
}

fn lookup(names: &LocalNames, qname: &str, qtype: RecordType) -> Lookup {
    names.lookup(&Name::from_ascii(qname).unwrap(), qtype, LOCAL, NOW)
}

/// The addresses of an answer's A records, and its owner names as written.
fn a_answer(found: &Lookup) -> (Vec<Ipv4Addr>, Vec<String>) {
    let Lookup::Answer(records) = found else {
        panic!("expected an answer, got {found:?}")
    };
    let ips = records
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(A(ip)) => Some(*ip),
            _ => None,
        })
        .collect();
    (ips, records.iter().map(|r| r.name.to_ascii()).collect())
}

fn ip(text: &str) -> Ipv4Addr {
    text.parse().unwrap()
}

fn seed_like() -> LocalNames {
    names(
        vec![
            record("matchbox.example.com", "A", "192.168.1.100", true),
            record("deeper.matchbox.example.com", "A", "192.168.1.101", true),
            record("exact.matchbox.example.com", "A", "192.168.1.102", false),
            record("cdn.example.net", "CNAME", "matchbox.example.com", true),
            record("pxe.lab.example", "A", "10.99.0.5", true),
        ],
        &[],
    )
}

#[test]
fn the_name_and_every_name_under_it() {
    let n = seed_like();
    for q in [
        "matchbox.example.com.",
        "a.matchbox.example.com.",
        "a.b.c.matchbox.example.com.",
    ] {
        assert_eq!(a_answer(&lookup(&n, q, RecordType::A)).0, [ip("192.168.1.100")], "{q}");
    }
    // The owner is the name asked, spelled as asked.
    let (_, owners) = a_answer(&lookup(&n, "X.Matchbox.EXAMPLE.com.", RecordType::A));
    assert_eq!(owners, ["X.Matchbox.EXAMPLE.com."]);
    // Only whole labels: a name that merely ends in the same letters is not under it.
    assert_eq!(lookup(&n, "xmatchbox.example.com.", RecordType::A), Lookup::NotLocal);
    assert_eq!(lookup(&n, "example.com.", RecordType::A), Lookup::NotLocal);
}

#[test]
fn the_closest_record_wins_and_own_records_win_over_it() {
    let n = seed_like();
    for q in ["deeper.matchbox.example.com.", "x.deeper.matchbox.example.com."] {
        assert_eq!(a_answer(&lookup(&n, q, RecordType::A)).0, [ip("192.168.1.101")], "{q}");
    }
    // A literal record is its name's alone; names under it are the
    // enclosing subtree's again.
    assert_eq!(
        a_answer(&lookup(&n, "exact.matchbox.example.com.", RecordType::A)).0,
        [ip("192.168.1.102")]
    );
    assert_eq!(
        a_answer(&lookup(&n, "x.exact.matchbox.example.com.", RecordType::A)).0,
        [ip("192.168.1.100")]
    );
    // A literal record has all the types of its name: AAAA there is NODATA.
    assert!(matches!(
        lookup(&n, "exact.matchbox.example.com.", RecordType::AAAA),
        Lookup::NoData { .. }
    ));
}

#[test]
fn a_lease_name_wins_over_a_subtree_in_the_domain() {
    let lease = LeaseName {
        hostname: "node1".into(),
        ip: ip("10.99.0.50"),
        expires: NOW + 600,
    };
    let n = names(vec![record("lab.example", "A", "10.99.0.9", true)], &[lease]);
    assert_eq!(
        a_answer(&lookup(&n, "node1.lab.example.", RecordType::A)).0,
        [ip("10.99.0.50")]
    );
    assert_eq!(
        a_answer(&lookup(&n, "node2.lab.example.", RecordType::A)).0,
        [ip("10.99.0.9")]
    );
    // Single labels are qualified with the domain, and then covered.
    let (ips, owners) = a_answer(&lookup(&n, "node2.", RecordType::A));
    assert_eq!((ips, owners), (vec![ip("10.99.0.9")], vec!["node2.".to_owned()]));
    // The apex keeps its SOA beside the record.
    assert!(matches!(lookup(&n, "lab.example.", RecordType::SOA), Lookup::Answer(r) if r.len() == 1));
    // An expired lease no longer hides the subtree.
    let later = n.lookup(
        &Name::from_ascii("node1.lab.example.").unwrap(),
        RecordType::A,
        LOCAL,
        NOW + 601,
    );
    assert_eq!(a_answer(&later).0, [ip("10.99.0.9")]);
}

#[test]
fn other_types_are_forwarded_outside_the_domain_and_nodata_inside() {
    let n = seed_like();
    // dnsmasq 2.86 and later forward them (measured with 2.90).
    for (q, t) in [
        ("matchbox.example.com.", RecordType::AAAA),
        ("a.matchbox.example.com.", RecordType::AAAA),
        ("a.matchbox.example.com.", RecordType::TXT),
        ("a.matchbox.example.com.", RecordType::CNAME),
    ] {
        assert_eq!(lookup(&n, q, t), Lookup::NotLocal, "{q} {t}");
    }
    // ANY is answered with what there is, as dnsmasq does.
    assert_eq!(
        a_answer(&lookup(&n, "a.matchbox.example.com.", RecordType::ANY)).0,
        [ip("192.168.1.100")]
    );
    // Inside the domain every name is kindling's: NODATA with the domain's SOA.
    for q in ["pxe.lab.example.", "x.pxe.lab.example."] {
        let Lookup::NoData { soa } = lookup(&n, q, RecordType::AAAA) else {
            panic!("{q}: NODATA expected")
        };
        assert_eq!(soa.name.to_ascii(), "lab.example.");
    }
    // Beside the subtree, the domain's names still do not exist.
    assert!(matches!(
        lookup(&n, "other.lab.example.", RecordType::A),
        Lookup::NxDomain { soa: Some(_) }
    ));
}

#[test]
fn a_cname_subtree_aliases_every_name_under_it() {
    let n = seed_like();
    for t in [RecordType::A, RecordType::AAAA, RecordType::TXT] {
        let Lookup::Answer(records) = lookup(&n, "img.cdn.example.net.", t) else {
            panic!("{t}: an answer expected")
        };
        assert_eq!(records[0].name.to_ascii(), "img.cdn.example.net.");
        assert_eq!(
            records[0].data,
            RData::CNAME(CNAME(parse_name("matchbox.example.com").unwrap()))
        );
        // The alias is followed into the target's subtree for its type only.
        if t == RecordType::A {
            assert_eq!(a_answer(&Lookup::Answer(records)).0, [ip("192.168.1.100")]);
        } else {
            assert_eq!(records.len(), 1, "{t}: the alias alone, its target forwarded");
        }
    }
}

#[test]
fn subtree_addresses_get_no_ptr_but_literal_ones_do() {
    let n = names(
        vec![
            record("blackhole.example.com", "A", "127.0.0.1", true),
            record("matchbox.lab.example", "A", "10.99.0.1", false),
        ],
        &[],
    );
    let ptr = |q: &str| lookup(&n, q, RecordType::PTR);
    assert_eq!(ptr("1.0.0.127.in-addr.arpa."), Lookup::NotLocal);
    assert!(matches!(ptr("1.0.99.10.in-addr.arpa."), Lookup::Answer(_)));
}

#[test]
fn a_subtree_record_is_also_its_names_own_beside_literal_ones() {
    let n = names(
        vec![
            record("matchbox.example.com", "TXT", "hello", false),
            record("matchbox.example.com", "A", "192.168.1.100", true),
        ],
        &[],
    );
    assert_eq!(
        a_answer(&lookup(&n, "matchbox.example.com.", RecordType::A)).0,
        [ip("192.168.1.100")]
    );
    assert!(matches!(
        lookup(&n, "matchbox.example.com.", RecordType::TXT),
        Lookup::Answer(_)
    ));
    // A CNAME beside it is refused as for literal records.
    let cfg = DnsConfig {
        records: vec![
            record("x.example.com", "A", "192.0.2.1", false),
            record("x.example.com", "CNAME", "y.example.com", true),
        ],
        ..DnsConfig::default()
    };
    let (_, conflicts) = LocalNames::build(&cfg, &[], 1);
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
}

/// The closest subtree owner above `qname` by scanning every owner: what
/// the suffix lookup must find.
fn closest_by_scan<'a>(owners: &'a [(Vec<&'static str>, Ipv4Addr)], qname: &[&str]) -> Option<&'a Ipv4Addr> {
    owners
        .iter()
        .filter(|(labels, _)| labels.len() <= qname.len() && qname.ends_with(labels))
        .max_by_key(|(labels, _)| labels.len())
        .map(|(_, ip)| ip)
}

const LABELS: &[&str] = &["a", "b", "c", "example", "com"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_suffix_lookup_agrees_with_a_scan(
        owners in proptest::collection::vec(proptest::collection::vec(0..LABELS.len(), 1..5), 0..12),
        questions in proptest::collection::vec(proptest::collection::vec(0..LABELS.len(), 1..7), 1..20),
    ) {
        let mut seen = Vec::new();
        let mut table: Vec<(Vec<&'static str>, Ipv4Addr)> = Vec::new();
        for (i, owner) in owners.iter().enumerate() {
            let labels: Vec<&'static str> = owner.iter().map(|l| LABELS[*l]).collect();
            if seen.contains(&labels) {
                continue;
            }
            seen.push(labels.clone());
            table.push((labels, Ipv4Addr::new(192, 0, 2, i as u8)));
        }
        let cfg = DnsConfig {
            records: table
                .iter()
                .map(|(labels, ip)| record(&labels.join("."), "A", &ip.to_string(), true))
                .collect(),
            ..DnsConfig::default()
        };
        let (n, _) = LocalNames::build(&cfg, &[], 1);
        for q in &questions {
            let labels: Vec<&str> = q.iter().map(|l| LABELS[*l]).collect();
            let qname = Name::from_ascii(format!("{}.", labels.join(".").to_uppercase())).unwrap();
            let found = n.lookup(&qname, RecordType::A, LOCAL, NOW);
            match closest_by_scan(&table, &labels) {
                Some(ip) => prop_assert_eq!(a_answer(&found).0, vec![*ip], "{}", qname),
                // A single label is never forwarded.
                None if labels.len() == 1 => prop_assert_eq!(&found, &Lookup::NxDomain { soa: None }, "{}", qname),
                None => prop_assert_eq!(&found, &Lookup::NotLocal, "{}", qname),
            }
        }
    }
}
