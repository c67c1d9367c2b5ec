//! Forwarded answers kept for as long as their TTLs allow (RFC 1035 §7.4),
//! negative ones for the SOA's minimum (RFC 2308 §5), TTLs counted down on
//! every hit. Time is a parameter.

use std::collections::HashMap;
use std::time::Instant;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, LowerName, RData, Record, RecordType};

use crate::answer::Request;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    name: LowerName,
    qtype: RecordType,
    qclass: DNSClass,
    dnssec_ok: bool,
}

impl CacheKey {
    pub fn of(request: &Request) -> CacheKey {
        let q = request.upstream_question();
        CacheKey {
            name: LowerName::new(&q.name),
            qtype: q.query_type,
            qclass: q.query_class,
            dnssec_ok: request.dnssec_ok(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    rcode: ResponseCode,
    answers: Vec<Record>,
    authorities: Vec<Record>,
    additionals: Vec<Record>,
    stored: Instant,
    ttl: u32,
}

/// A cached answer with its TTLs counted down to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rcode: ResponseCode,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
}

#[derive(Debug)]
pub struct Cache {
    map: HashMap<CacheKey, Entry>,
    capacity: usize,
    max_ttl: u32,
}

impl Cache {
    pub fn new(capacity: usize, max_ttl: u32) -> Cache {
        Cache {
            map: HashMap::new(),
            capacity,
            max_ttl,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&mut self, key: &CacheKey, now: Instant) -> Option<Hit> {
        let entry = self.map.get(key)?;
        let age = now.saturating_duration_since(entry.stored).as_secs();
        let age = u32::try_from(age).unwrap_or(u32::MAX);
        if age >= entry.ttl {
            self.map.remove(key);
            return None;
        }
        let down = |records: &[Record]| -> Vec<Record> {
            records
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.ttl = r.ttl.min(entry.ttl).saturating_sub(age);
                    r
                })
                .collect()
        };
        Some(Hit {
            rcode: entry.rcode,
            answers: down(&entry.answers),
            authorities: down(&entry.authorities),
            additionals: down(&entry.additionals),
        })
    }

    /// Keeps an upstream reply if it may be cached: NOERROR with answers
    /// (for the smallest TTL among them), or NXDOMAIN/NODATA with an SOA
    /// (for the smaller of its TTL and MINIMUM). Truncated replies,
    /// failures and TTL 0 are not kept.
    pub fn insert(&mut self, key: CacheKey, reply: &Message, now: Instant) {
        if reply.metadata.truncation || self.capacity == 0 {
            return;
        }
        let rcode = reply.metadata.response_code;
        let ttl = match rcode {
            ResponseCode::NoError if !reply.answers.is_empty() => reply.answers.iter().map(|r| r.ttl).min(),
            ResponseCode::NoError | ResponseCode::NXDomain => negative_ttl(&reply.authorities),
            _ => None,
        };
        let Some(ttl) = ttl.map(|t| t.min(self.max_ttl)).filter(|t| *t > 0) else {
            return;
        };
        if self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            self.make_room(now);
        }
        self.map.insert(
            key,
            Entry {
                rcode,
                answers: reply.answers.clone(),
                authorities: reply.authorities.clone(),
                additionals: reply.additionals.clone(),
                stored: now,
                ttl,
            },
        );
    }

    /// Drops the expired entries; if none were, an eighth of the rest
    /// (whichever the map yields first, which is arbitrary).
    fn make_room(&mut self, now: Instant) {
        let before = self.map.len();
        self.map
            .retain(|_, e| u64::from(e.ttl) > now.saturating_duration_since(e.stored).as_secs());
        if self.map.len() < before {
            return;
        }
        let drop: Vec<CacheKey> = self.map.keys().take((before / 8).max(1)).cloned().collect();
        for k in drop {
            self.map.remove(&k);
        }
    }
}

fn negative_ttl(authorities: &[Record]) -> Option<u32> {
    authorities.iter().find_map(|r| match &r.data {
        RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
        _ => None,
    })
}
