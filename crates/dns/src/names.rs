//! The names kindling answers itself: static records, the server's own
//! names, and DHCP lease hostnames, with PTR records for their addresses.
//! Built whole (from the configuration and a list of leases) and replaced
//! whole when leases change; a lookup never takes a lock.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use hickory_proto::rr::rdata::{A, AAAA, CNAME, NS, PTR, SOA, SRV, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};

use crate::config::{DnsConfig, RecordValue};

/// A DHCP lease (or reservation) whose hostname is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseName {
    /// The client's host name: one label, as the client sent it or as its
    /// reservation names it.
    pub hostname: String,
    pub ip: Ipv4Addr,
    /// Unix seconds; `u64::MAX` for a reservation (always published).
    pub expires: u64,
}

#[derive(Debug, Clone)]
enum Data {
    /// A record with a fixed TTL.
    Fixed(Record),
    /// A lease's record: published until `expires`, with a TTL that never
    /// outlives the lease.
    Lease { record: Record, expires: u64 },
    /// A or AAAA with the address the query arrived on.
    ServerAddress,
}

#[derive(Debug, Clone)]
struct Node {
    data: Vec<Data>,
    /// The apex whose SOA goes with negative answers for this name.
    apex: Name,
}

/// What the local names say about a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Authoritative records (possibly a CNAME chain then the target's).
    Answer(Vec<Record>),
    /// The name exists without records of that type (NOERROR, empty).
    NoData { soa: Record },
    /// The name does not exist. `soa` is `None` for a single-label name
    /// kindling refuses to forward but does not own.
    NxDomain { soa: Option<Record> },
    /// Not kindling's: forward it (or refuse without upstreams).
    NotLocal,
}

impl Lookup {
    /// Whether kindling answers as the authority (the AA flag).
    pub fn authoritative(&self) -> bool {
        !matches!(self, Lookup::NotLocal | Lookup::NxDomain { soa: None })
    }
}

/// Something the configuration and the leases disagree on, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub name: String,
    pub why: String,
}

#[derive(Debug, Clone)]
pub struct LocalNames {
    nodes: HashMap<LowerName, Node>,
    /// Names in the domain with no records of their own but names below
    /// them (`_tcp.lab.example` under `_http._tcp.lab.example`): they
    /// exist, so they are NODATA, not NXDOMAIN (RFC 8020).
    empty_non_terminals: HashSet<LowerName>,
    domain: Option<LowerName>,
    domain_name: Option<Name>,
    /// The first server name, the SOA's MNAME and the apex's NS.
    primary: Option<Name>,
    local_ttl: u32,
    serial: u32,
}

const MAX_CHAIN: usize = 8;

/// Longest a resolver may remember that a local name does not exist.
pub const NEGATIVE_TTL: u32 = 10;

impl LocalNames {
    /// An empty set of names (DNS off, or nothing configured).
    pub fn empty() -> LocalNames {
        LocalNames::build(&DnsConfig::default(), &[], 0).0
    }

    /// Builds the names from the configuration and the current leases.
    /// Static records win over lease names, and a reservation or the newest
    /// lease wins among leases claiming the same hostname; each loser is
    /// reported. `serial` goes into SOA records (a generation number).
    pub fn build(cfg: &DnsConfig, leases: &[LeaseName], serial: u32) -> (LocalNames, Vec<Conflict>) {
        let mut names = LocalNames {
            nodes: HashMap::new(),
            empty_non_terminals: HashSet::new(),
            domain: cfg.domain.as_ref().map(LowerName::new),
            domain_name: cfg.domain.clone(),
            primary: None,
            local_ttl: cfg.local_ttl,
            serial,
        };
        let mut conflicts = Vec::new();
        let qualify = |n: &Name| -> Name {
            match &cfg.domain {
                Some(d) if n.num_labels() == 1 => n.clone().append_domain(d).unwrap_or_else(|_| n.clone()),
                _ => n.clone(),
            }
        };
        for n in &cfg.server_names {
            let name = qualify(n);
            names.primary.get_or_insert_with(|| name.clone());
            names.node(&name).data.push(Data::ServerAddress);
        }
        let mut ptrs: Vec<(IpAddr, Name, Option<u64>)> = Vec::new();
        for r in &cfg.records {
            let ttl = r.ttl.unwrap_or(cfg.local_ttl);
            let rdata = match &r.value {
                RecordValue::A(ip) => {
                    ptrs.push((IpAddr::V4(*ip), r.name.clone(), None));
                    RData::A(A(*ip))
                }
                RecordValue::Aaaa(ip) => {
                    ptrs.push((IpAddr::V6(*ip), r.name.clone(), None));
                    RData::AAAA(AAAA(*ip))
                }
                RecordValue::Cname(target) => RData::CNAME(CNAME(target.clone())),
                RecordValue::Txt(parts) => RData::TXT(TXT::new(parts.clone())),
                RecordValue::Srv {
                    priority,
                    weight,
                    port,
                    target,
                } => RData::SRV(SRV::new(*priority, *weight, *port, target.clone())),
            };
            let node = names.node(&r.name);
            let is_cname = matches!(rdata, RData::CNAME(_));
            let has_cname = node
                .data
                .iter()
                .any(|d| matches!(d, Data::Fixed(rec) if rec.record_type() == RecordType::CNAME));
            if (is_cname && !node.data.is_empty()) || has_cname {
                conflicts.push(Conflict {
                    name: r.name.to_ascii(),
                    why: "a CNAME cannot share its name with other records (RFC 1034 §3.6.2); the later record is ignored".into(),
                });
                continue;
            }
            node.data
                .push(Data::Fixed(Record::from_rdata(r.name.clone(), ttl, rdata)));
        }
        // Leases: one address per hostname, reservations first, then the
        // lease that lasts longest (the newest).
        let mut chosen: HashMap<String, &LeaseName> = HashMap::new();
        for l in leases {
            let Some(host) = hostname_label(&l.hostname) else {
                continue;
            };
            match chosen.entry(host.clone()) {
                MapEntry::Vacant(v) => {
                    v.insert(l);
                }
                MapEntry::Occupied(mut o) => {
                    let (keep, lose) = if l.expires > o.get().expires {
                        (l, *o.get())
                    } else {
                        (*o.get(), l)
                    };
                    conflicts.push(Conflict {
                        name: host.clone(),
                        why: format!("claimed by {} and {}; {} keeps it", keep.ip, lose.ip, keep.ip),
                    });
                    o.insert(keep);
                }
            }
        }
        let mut hosts: Vec<(&String, &&LeaseName)> = chosen.iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(b.0));
        for (host, lease) in hosts {
            let Ok(label) = Name::from_ascii(host) else {
                continue;
            };
            let mut name = qualify(&label);
            name.set_fqdn(true);
            if names
                .nodes
                .get(&LowerName::new(&name))
                .is_some_and(|n| !n.data.is_empty())
            {
                conflicts.push(Conflict {
                    name: name.to_ascii(),
                    why: format!("a configured name; the lease of {} does not replace it", lease.ip),
                });
                continue;
            }
            let record = Record::from_rdata(name.clone(), cfg.local_ttl, RData::A(A(lease.ip)));
            names.node(&name).data.push(Data::Lease {
                record,
                expires: lease.expires,
            });
            ptrs.push((IpAddr::V4(lease.ip), name, Some(lease.expires)));
        }
        for (ip, target, expires) in ptrs {
            let owner = Name::from(ip);
            let node = names.node(&owner);
            if !node.data.is_empty() {
                continue; // the first name for an address keeps its PTR
            }
            let record = Record::from_rdata(owner, cfg.local_ttl, RData::PTR(PTR(target)));
            node.data.push(match expires {
                None => Data::Fixed(record),
                Some(expires) => Data::Lease { record, expires },
            });
        }
        if let Some(domain) = names.domain.clone() {
            let mut ents = HashSet::new();
            for name in names.nodes.keys() {
                let mut parent = name.base_name();
                while parent.num_labels() > domain.num_labels() && domain.zone_of(&parent) {
                    ents.insert(parent.clone());
                    parent = parent.base_name();
                }
            }
            ents.retain(|n| !names.nodes.contains_key(n));
            names.empty_non_terminals = ents;
        }
        (names, conflicts)
    }

    fn node(&mut self, name: &Name) -> &mut Node {
        let apex = match &self.domain {
            Some(d) if d.zone_of(&LowerName::new(name)) => self.domain_name.clone().unwrap_or_else(|| name.clone()),
            _ => name.clone(),
        };
        self.nodes
            .entry(LowerName::new(name))
            .or_insert_with(|| Node { data: Vec::new(), apex })
    }

    /// How many names are published (for metrics and logs).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Answers `qname`/`qtype` from the local names. `local` is the address
    /// the query arrived on (the server's own names resolve to it); `now`
    /// is Unix seconds (expired leases are not published).
    pub fn lookup(&self, qname: &Name, qtype: RecordType, local: IpAddr, now: u64) -> Lookup {
        let key = LowerName::new(qname);
        if let Some(found) = self.lookup_node(&key, qname, qtype, local, now) {
            return found;
        }
        // A single label: the same name in the local domain, answered under
        // the name asked. Never forwarded (dnsmasq's domain-needed).
        if qname.num_labels() == 1 {
            if let Some(d) = &self.domain_name
                && let Ok(full) = qname.clone().append_domain(d)
                && let Some(found) = self.lookup_node(&LowerName::new(&full), qname, qtype, local, now)
            {
                return match found {
                    Lookup::Answer(mut records) => {
                        for r in records.iter_mut().filter(|r| r.name == full) {
                            r.name = qname.clone();
                        }
                        Lookup::Answer(records)
                    }
                    other => other,
                };
            }
            return Lookup::NxDomain { soa: None };
        }
        match &self.domain {
            Some(d) if d.zone_of(&key) => {
                let apex = self.domain_name.clone().unwrap_or_else(|| qname.clone());
                if key == *d {
                    return self.apex_answer(qname, qtype, apex);
                }
                if self.empty_non_terminals.contains(&key) {
                    return Lookup::NoData { soa: self.soa(&apex) };
                }
                Lookup::NxDomain {
                    soa: Some(self.soa(&apex)),
                }
            }
            _ => Lookup::NotLocal,
        }
    }

    /// The domain apex without configured records: its SOA and NS.
    fn apex_answer(&self, qname: &Name, qtype: RecordType, apex: Name) -> Lookup {
        let mut out = Vec::new();
        if matches!(qtype, RecordType::SOA | RecordType::ANY) {
            out.push(self.soa(&apex));
        }
        if matches!(qtype, RecordType::NS | RecordType::ANY)
            && let Some(primary) = &self.primary
        {
            out.push(Record::from_rdata(
                qname.clone(),
                self.local_ttl,
                RData::NS(NS(primary.clone())),
            ));
        }
        if out.is_empty() {
            Lookup::NoData { soa: self.soa(&apex) }
        } else {
            Lookup::Answer(out)
        }
    }

    fn lookup_node(&self, key: &LowerName, qname: &Name, qtype: RecordType, local: IpAddr, now: u64) -> Option<Lookup> {
        let node = self.nodes.get(key)?;
        let live: Vec<Record> = self.records(node, qname, local, now);
        if live.is_empty() {
            // Only expired leases here: as if the name were not published.
            return None;
        }
        let mut out: Vec<Record> = Vec::new();
        let mut current = (node, live);
        for _ in 0..MAX_CHAIN {
            let (node, live) = current;
            let cname = live.iter().find_map(|r| match &r.data {
                RData::CNAME(CNAME(target)) => Some((r.clone(), target.clone())),
                _ => None,
            });
            match cname {
                Some((c, target)) if qtype != RecordType::CNAME && qtype != RecordType::ANY => {
                    out.push(c);
                    // Follow the alias while it stays local.
                    let Some(next) = self.nodes.get(&LowerName::new(&target)) else {
                        return Some(Lookup::Answer(out));
                    };
                    let next_live = self.records(next, &target, local, now);
                    if next_live.is_empty() {
                        return Some(Lookup::Answer(out));
                    }
                    current = (next, next_live);
                    continue;
                }
                _ => {}
            }
            let matching: Vec<Record> = live
                .into_iter()
                .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
                .collect();
            if matching.is_empty() && out.is_empty() {
                return Some(Lookup::NoData {
                    soa: self.soa(&node.apex),
                });
            }
            out.extend(matching);
            return Some(Lookup::Answer(out));
        }
        // A loop of aliases: answer the chain so far.
        Some(Lookup::Answer(out))
    }

    /// The node's records live at `now`, server addresses filled in, owned
    /// by `qname` spelled as asked (resolvers that randomize the letter
    /// case of their questions, "0x20", find it echoed).
    fn records(&self, node: &Node, qname: &Name, local: IpAddr, now: u64) -> Vec<Record> {
        let mut out = Vec::new();
        for d in &node.data {
            match d {
                Data::Fixed(r) => {
                    let mut r = r.clone();
                    r.name = qname.clone();
                    out.push(r);
                }
                Data::Lease { record, expires } => {
                    if *expires > now {
                        let mut r = record.clone();
                        r.name = qname.clone();
                        r.ttl = r.ttl.min(u32::try_from(expires - now).unwrap_or(u32::MAX));
                        out.push(r);
                    }
                }
                Data::ServerAddress => {
                    let data = match local {
                        IpAddr::V4(ip) => RData::A(A(ip)),
                        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
                            Some(v4) => RData::A(A(v4)),
                            None => RData::AAAA(AAAA(ip)),
                        },
                    };
                    let mut name = qname.clone();
                    name.set_fqdn(true);
                    out.push(Record::from_rdata(name, self.local_ttl, data));
                }
            }
        }
        out
    }

    /// The SOA for negative answers under `apex`. Its MINIMUM and TTL bound
    /// how long resolvers cache the absence (RFC 2308), so they are kept
    /// short: a machine that gets a lease must be found at once.
    fn soa(&self, apex: &Name) -> Record {
        let mname = self.primary.clone().unwrap_or_else(|| apex.clone());
        let rname = apex.prepend_label("hostmaster").unwrap_or_else(|_| apex.clone());
        let negative = self.local_ttl.min(NEGATIVE_TTL);
        let soa = SOA::new(mname, rname, self.serial, 1200, 180, 1_209_600, negative);
        Record::from_rdata(apex.clone(), negative, RData::SOA(soa))
    }
}

/// A client-supplied host name as one DNS label: lowercased, the part
/// before the first dot, letters, digits and hyphens only (RFC 952/1123),
/// at most 63 bytes; `None` when it cannot be one.
pub fn hostname_label(hostname: &str) -> Option<String> {
    let first = hostname.split('.').next()?.trim().to_ascii_lowercase();
    let ok = !first.is_empty()
        && first.len() <= 63
        && first.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !first.starts_with('-')
        && !first.ends_with('-');
    ok.then_some(first)
}
