//! The names kindling answers itself: static records, the server's own
//! names, and DHCP lease hostnames, with PTR records for their addresses.
//! Built whole (from the configuration and a list of leases) and replaced
//! whole when leases change; a lookup never takes a lock.
//!
//! A record marked `subdomains` also stands for every name under its own
//! that has no records of its own (dnsmasq's `address=/name/ip`). Such
//! records are kept apart, keyed by their name's lowercase wire form, so
//! that the closest one above a question is found by looking up the
//! question's own suffixes: at most as many lookups as the question has
//! labels (and no more than the deepest such record has), whatever the
//! number of records. A name covered this way is kindling's for the types
//! of its records only: other types are forwarded, as dnsmasq 2.86 and
//! later forward them, unless the name is in the local domain, where every
//! name is kindling's and they are NODATA.

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
    /// Records that also stand for the names below theirs, by the owner's
    /// lowercase wire form without the root label (see [`wire_key`]).
    subtrees: HashMap<Box<[u8]>, Node>,
    /// The most labels of a `subtrees` owner: longer suffixes of a
    /// question need no lookup.
    subtree_depth: usize,
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
            subtrees: HashMap::new(),
            subtree_depth: 0,
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
        let mut subtree_owners: HashSet<LowerName> = HashSet::new();
        for r in &cfg.records {
            let ttl = r.ttl.unwrap_or(cfg.local_ttl);
            // A subtree's addresses get no PTR: dnsmasq's address= makes
            // none, and one such as 127.0.0.1 or 0.0.0.0 (a name sent
            // nowhere) must not take over the reverse name of the address.
            let ptr = !r.subdomains;
            let rdata = match &r.value {
                RecordValue::A(ip) => {
                    if ptr {
                        ptrs.push((IpAddr::V4(*ip), r.name.clone(), None));
                    }
                    RData::A(A(*ip))
                }
                RecordValue::Aaaa(ip) => {
                    if ptr {
                        ptrs.push((IpAddr::V6(*ip), r.name.clone(), None));
                    }
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
            let node = if r.subdomains {
                subtree_owners.insert(LowerName::new(&r.name));
                names.subtree(&r.name)
            } else {
                names.node(&r.name)
            };
            let record = Record::from_rdata(r.name.clone(), ttl, rdata);
            if let Err(conflict) = add_fixed(node, record) {
                conflicts.push(conflict);
            }
        }
        // A subtree's records are also its owner's own: where the owner has
        // other records (or is a server name), they answer beside them.
        for owner in &subtree_owners {
            let Some(node) = names.nodes.get_mut(owner) else {
                continue;
            };
            let Some(subtree) = names.subtrees.get(&wire_key(&Name::from(owner.clone()))) else {
                continue;
            };
            for d in &subtree.data {
                if let Data::Fixed(record) = d
                    && !node
                        .data
                        .iter()
                        .any(|e| matches!(e, Data::Fixed(r) if r.data == record.data))
                    && let Err(conflict) = add_fixed(node, record.clone())
                {
                    conflicts.push(conflict);
                }
            }
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
            for name in names.nodes.keys().chain(&subtree_owners) {
                let mut parent = name.base_name();
                while parent.num_labels() > domain.num_labels() && domain.zone_of(&parent) {
                    ents.insert(parent.clone());
                    parent = parent.base_name();
                }
            }
            ents.retain(|n| !names.nodes.contains_key(n) && !subtree_owners.contains(n));
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

    /// The node of a record that stands for the names under `name`.
    fn subtree(&mut self, name: &Name) -> &mut Node {
        self.subtree_depth = self.subtree_depth.max(name.num_labels() as usize);
        let apex = match &self.domain {
            Some(d) if d.zone_of(&LowerName::new(name)) => self.domain_name.clone().unwrap_or_else(|| name.clone()),
            _ => name.clone(),
        };
        self.subtrees
            .entry(wire_key(name))
            .or_insert_with(|| Node { data: Vec::new(), apex })
    }

    /// How many names are published (for metrics and logs); a subtree
    /// counts once.
    pub fn len(&self) -> usize {
        self.nodes.len() + self.subtrees.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.subtrees.is_empty()
    }

    /// The closest record owner above or at `name` whose records stand for
    /// the names under it. The suffixes of `name` are looked up from the
    /// longest that can match to the shortest, in a buffer on the stack.
    fn subtree_of(&self, name: &Name) -> Option<&Node> {
        if self.subtrees.is_empty() {
            return None;
        }
        let mut wire = [0u8; 256];
        let mut starts = [0usize; 128];
        let (mut len, mut labels) = (0usize, 0usize);
        for label in name.iter() {
            if labels == starts.len() || len + 1 + label.len() > wire.len() {
                return None;
            }
            starts[labels] = len;
            labels += 1;
            wire[len] = label.len() as u8;
            for (to, from) in wire[len + 1..].iter_mut().zip(label) {
                *to = from.to_ascii_lowercase();
            }
            len += 1 + label.len();
        }
        let first = labels.saturating_sub(self.subtree_depth);
        starts[first..labels]
            .iter()
            .find_map(|start| self.subtrees.get(&wire[*start..len]))
    }

    /// Answers `qname`/`qtype` from the local names. `local` is the address
    /// the query arrived on (the server's own names resolve to it); `now`
    /// is Unix seconds (expired leases are not published).
    pub fn lookup(&self, qname: &Name, qtype: RecordType, local: IpAddr, now: u64) -> Lookup {
        let key = LowerName::new(qname);
        let covered = match self.find(&key, qname, qname, qtype, local, now) {
            Ok(found) => return found,
            Err(Miss::OtherTypes) => true,
            Err(Miss::Nothing) => false,
        };
        // A single label: the same name in the local domain, answered under
        // the name asked. Never forwarded (dnsmasq's domain-needed).
        if qname.num_labels() == 1 {
            if let Some(d) = &self.domain_name
                && let Ok(full) = qname.clone().append_domain(d)
            {
                match self.find(&LowerName::new(&full), &full, qname, qtype, local, now) {
                    Ok(Lookup::Answer(mut records)) => {
                        for r in records.iter_mut().filter(|r| r.name == full) {
                            r.name = qname.clone();
                        }
                        return Lookup::Answer(records);
                    }
                    Ok(other) => return other,
                    Err(Miss::OtherTypes) => return Lookup::NoData { soa: self.soa(d) },
                    Err(Miss::Nothing) => {}
                }
            }
            return Lookup::NxDomain { soa: None };
        }
        match &self.domain {
            Some(d) if d.zone_of(&key) => {
                let apex = self.domain_name.clone().unwrap_or_else(|| qname.clone());
                if key == *d {
                    return self.apex_answer(qname, qtype, apex);
                }
                if covered || self.empty_non_terminals.contains(&key) {
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

    /// What the records at `name` (its own, else those of the closest
    /// subtree above it) say, owned by `qname` as asked.
    fn find(
        &self,
        key: &LowerName,
        name: &Name,
        qname: &Name,
        qtype: RecordType,
        local: IpAddr,
        now: u64,
    ) -> Result<Lookup, Miss> {
        if let Some(node) = self.nodes.get(key) {
            let live = self.records(node, qname, local, now);
            // Only expired leases: as if the name were not published.
            if !live.is_empty() {
                return Ok(self.chain(node, live, qtype, local, now));
            }
        }
        let Some(node) = self.subtree_of(name) else {
            return Err(Miss::Nothing);
        };
        let live = self.records(node, qname, local, now);
        if !live.iter().any(|r| answers_type(r, qtype)) {
            return Err(Miss::OtherTypes);
        }
        Ok(self.chain(node, live, qtype, local, now))
    }

    /// The node and live records that answer `qtype` at `name`, for
    /// following an alias: its own records, or a subtree's of that type.
    fn resolve(&self, name: &Name, qtype: RecordType, local: IpAddr, now: u64) -> Option<(&Node, Vec<Record>)> {
        if let Some(node) = self.nodes.get(&LowerName::new(name)) {
            let live = self.records(node, name, local, now);
            if !live.is_empty() {
                return Some((node, live));
            }
        }
        let node = self.subtree_of(name)?;
        let live = self.records(node, name, local, now);
        live.iter().any(|r| answers_type(r, qtype)).then_some((node, live))
    }

    /// The answer from a node's live records: the CNAME chain while it
    /// stays local, then the records of `qtype`, or NODATA.
    fn chain(&self, node: &Node, live: Vec<Record>, qtype: RecordType, local: IpAddr, now: u64) -> Lookup {
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
                    let Some(next) = self.resolve(&target, qtype, local, now) else {
                        return Lookup::Answer(out);
                    };
                    current = next;
                    continue;
                }
                _ => {}
            }
            let matching: Vec<Record> = live
                .into_iter()
                .filter(|r| qtype == RecordType::ANY || r.record_type() == qtype)
                .collect();
            if matching.is_empty() && out.is_empty() {
                return Lookup::NoData {
                    soa: self.soa(&node.apex),
                };
            }
            out.extend(matching);
            return Lookup::Answer(out);
        }
        // A loop of aliases: answer the chain so far.
        Lookup::Answer(out)
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

/// Why a name's records do not answer a question.
enum Miss {
    /// Under a subtree whose records are all of other types.
    OtherTypes,
    /// No records at all.
    Nothing,
}

/// Whether `record` answers a question of `qtype` (directly or as an
/// alias to follow).
fn answers_type(record: &Record, qtype: RecordType) -> bool {
    qtype == RecordType::ANY || record.record_type() == qtype || record.record_type() == RecordType::CNAME
}

/// Adds a configured record to its node, unless a CNAME would share the
/// name with another record.
fn add_fixed(node: &mut Node, record: Record) -> Result<(), Conflict> {
    let is_cname = record.record_type() == RecordType::CNAME;
    let has_cname = node
        .data
        .iter()
        .any(|d| matches!(d, Data::Fixed(rec) if rec.record_type() == RecordType::CNAME));
    if (is_cname && !node.data.is_empty()) || has_cname {
        return Err(Conflict {
            name: record.name.to_ascii(),
            why: "a CNAME cannot share its name with other records (RFC 1034 §3.6.2); the later record is ignored"
                .into(),
        });
    }
    node.data.push(Data::Fixed(record));
    Ok(())
}

/// A name's lowercase wire form without the root label: the key of
/// `LocalNames::subtrees`. The same bytes from a label boundary on are the
/// key of the name above it.
fn wire_key(name: &Name) -> Box<[u8]> {
    let mut key = Vec::with_capacity(name.len());
    for label in name.iter() {
        key.push(label.len() as u8);
        key.extend(label.iter().map(u8::to_ascii_lowercase));
    }
    key.into_boxed_slice()
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
