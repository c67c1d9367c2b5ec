//! From a query's bytes to what to do with it: a reply built here (errors,
//! local names), or a question to forward. Replies follow RFC 1035 (header
//! bits, one question), RFC 2308 (NXDOMAIN versus NODATA, with the SOA),
//! RFC 6891 (EDNS: our OPT in every reply to an EDNS query, BADVERS, the
//! client's payload size) and RFC 7766/1035 §4.2.1 (truncation over UDP).

use std::net::IpAddr;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, LowerName, Record, RecordType};

use crate::names::{LocalNames, Lookup};

/// The largest UDP reply kindling sends (the DNS Flag Day 2020 value),
/// and the payload size it announces.
pub const MAX_UDP_PAYLOAD: u16 = 1232;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A query that parsed, reduced to what answering it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: u16,
    pub op_code: OpCode,
    /// The question as asked (its letter case is echoed back).
    pub query: Query,
    pub recursion_desired: bool,
    pub checking_disabled: bool,
    /// The client's EDNS payload size and DO bit, when it sent OPT.
    pub edns: Option<(u16, bool)>,
    pub transport: Transport,
    /// Local CNAMEs that led to a name kindling does not own: they open the
    /// answer, and `target` is what is asked upstream.
    pub chain: Vec<Record>,
    pub target: Option<Query>,
}

/// What to do with a datagram or TCP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Reply(Vec<u8>),
    /// Not a local name: look in the cache, then forward.
    Forward(Request),
    /// Not a query at all (a response, or too short for a header).
    Drop,
}

/// A datagram that is not a query kindling can answer: dropped, or
/// answered at once with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    Drop,
    Reply(Vec<u8>, Outcome),
}

/// Why an answer came out the way it did, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Local,
    NxDomain,
    NoData,
    Refused,
    FormErr,
    NotImp,
}

impl Request {
    /// Parses a query. Malformed input is answered FORMERR when its header
    /// is readable and it claims to be a query; otherwise dropped.
    pub fn parse(bytes: &[u8], transport: Transport) -> Result<Request, Rejected> {
        if bytes.len() < 12 || bytes[2] & 0x80 != 0 {
            return Err(Rejected::Drop);
        }
        let id = u16::from_be_bytes([bytes[0], bytes[1]]);
        let op_code = OpCode::from_u8((bytes[2] >> 3) & 0x0f);
        let Ok(message) = Message::from_vec(bytes) else {
            let reply = header_only_error(id, op_code, ResponseCode::FormErr, bytes[2] & 1 != 0);
            return Err(Rejected::Reply(reply, Outcome::FormErr));
        };
        let rd = message.metadata.recursion_desired;
        let err = |rcode, outcome| Err(Rejected::Reply(header_only_error(id, op_code, rcode, rd), outcome));
        if message.metadata.op_code != OpCode::Query {
            return err(ResponseCode::NotImp, Outcome::NotImp);
        }
        if message.queries.len() != 1 || !message.answers.is_empty() || !message.authorities.is_empty() {
            return err(ResponseCode::FormErr, Outcome::FormErr);
        }
        let request = Request {
            id,
            op_code,
            query: message.queries[0].clone(),
            recursion_desired: rd,
            checking_disabled: message.metadata.checking_disabled,
            edns: message
                .edns
                .as_ref()
                .map(|e| (e.max_payload().max(512), e.flags().dnssec_ok)),
            transport,
            chain: Vec::new(),
            target: None,
        };
        if message.edns.as_ref().is_some_and(|e| e.version() > 0) {
            let mut reply = request.reply(ResponseCode::BADVERS);
            reply.metadata.recursion_available = false;
            return Err(Rejected::Reply(request.encode(reply), Outcome::FormErr));
        }
        Ok(request)
    }

    /// The question to ask upstream: the client's, or the end of a local
    /// CNAME chain.
    pub fn upstream_question(&self) -> &Query {
        self.target.as_ref().unwrap_or(&self.query)
    }

    /// The DO bit (DNSSEC records wanted).
    pub fn dnssec_ok(&self) -> bool {
        self.edns.is_some_and(|(_, d)| d)
    }

    /// The largest reply this client takes.
    pub fn max_size(&self) -> usize {
        match (self.transport, self.edns) {
            (Transport::Tcp, _) => 65535,
            (Transport::Udp, None) => 512,
            (Transport::Udp, Some((payload, _))) => payload.clamp(512, MAX_UDP_PAYLOAD) as usize,
        }
    }

    /// An empty reply: the header bits RFC 1035 and 6895 copy, the
    /// question, and our OPT when the client sent one.
    pub fn reply(&self, rcode: ResponseCode) -> Message {
        let mut m = Message::response(self.id, self.op_code);
        m.metadata.recursion_desired = self.recursion_desired;
        m.metadata.checking_disabled = self.checking_disabled;
        m.metadata.response_code = rcode;
        m.queries.push(self.query.clone());
        if let Some((_, dnssec_ok)) = self.edns {
            let mut edns = Edns::new();
            edns.set_max_payload(MAX_UDP_PAYLOAD);
            edns.set_dnssec_ok(dnssec_ok);
            m.set_edns(edns);
        }
        m
    }

    /// Encodes a reply within the client's size limit: over UDP, a reply
    /// too large loses its records and gets the TC bit, so that the client
    /// asks again over TCP.
    pub fn encode(&self, reply: Message) -> Vec<u8> {
        let limit = self.max_size();
        match reply.to_vec() {
            Ok(bytes) if bytes.len() <= limit => bytes,
            Ok(_) => reply.truncate().to_vec().unwrap_or_else(|_| {
                header_only_error(self.id, self.op_code, ResponseCode::ServFail, self.recursion_desired)
            }),
            Err(_) => header_only_error(self.id, self.op_code, ResponseCode::ServFail, self.recursion_desired),
        }
    }

    /// The query to send upstream for this request, under `id`: the same
    /// question, recursion desired, our EDNS payload and the client's DO
    /// and CD bits.
    pub fn upstream_query(&self, id: u16) -> Vec<u8> {
        let mut m = Message::new(id, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        m.metadata.checking_disabled = self.checking_disabled;
        m.queries.push(self.upstream_question().clone());
        let mut edns = Edns::new();
        edns.set_max_payload(MAX_UDP_PAYLOAD);
        edns.set_dnssec_ok(self.dnssec_ok());
        m.set_edns(edns);
        m.to_vec().unwrap_or_default()
    }

    /// Whether `reply` from upstream answers this request's question.
    pub fn matches(&self, reply: &Message) -> bool {
        let q = self.upstream_question();
        reply.metadata.message_type == MessageType::Response
            && reply.queries.len() == 1
            && reply.queries[0].query_type == q.query_type
            && reply.queries[0].query_class == q.query_class
            && LowerName::new(&reply.queries[0].name) == LowerName::new(&q.name)
    }

    /// The client's answer from an upstream reply or a cached one: the
    /// upstream's code and records (after the local CNAME chain, if any),
    /// our header and OPT, never the AA bit (kindling is not the authority
    /// for forwarded names).
    pub fn relay(
        &self,
        rcode: ResponseCode,
        answers: Vec<Record>,
        authorities: Vec<Record>,
        additionals: Vec<Record>,
    ) -> Vec<u8> {
        let mut m = self.reply(rcode);
        m.metadata.recursion_available = true;
        m.answers = self.chain.iter().cloned().chain(answers).collect();
        m.authorities = authorities;
        m.additionals = additionals;
        let m = m.maybe_strip_dnssec_records(self.dnssec_ok());
        self.encode(m)
    }
}

/// Answers a datagram from the local names, or says to forward it.
/// `local` is the address the query came to; `now` Unix seconds;
/// `forwarding` whether upstream resolvers are configured.
pub fn handle(
    bytes: &[u8],
    transport: Transport,
    names: &LocalNames,
    local: IpAddr,
    now: u64,
    forwarding: bool,
) -> (Handled, Option<Outcome>) {
    let request = match Request::parse(bytes, transport) {
        Ok(r) => r,
        Err(Rejected::Drop) => return (Handled::Drop, None),
        Err(Rejected::Reply(bytes, outcome)) => return (Handled::Reply(bytes), Some(outcome)),
    };
    answer(request, names, local, now, forwarding)
}

/// [`handle`] for a request that already parsed.
pub fn answer(
    request: Request,
    names: &LocalNames,
    local: IpAddr,
    now: u64,
    forwarding: bool,
) -> (Handled, Option<Outcome>) {
    let q = &request.query;
    let refuse = |request: &Request, rcode: ResponseCode, outcome: Outcome| {
        let mut m = request.reply(rcode);
        m.metadata.recursion_available = forwarding;
        (Handled::Reply(request.encode(m)), Some(outcome))
    };
    if matches!(q.query_type, RecordType::AXFR | RecordType::IXFR) {
        return refuse(&request, ResponseCode::Refused, Outcome::Refused);
    }
    if q.query_class != DNSClass::IN && q.query_class != DNSClass::ANY {
        return refuse(&request, ResponseCode::Refused, Outcome::Refused);
    }
    let lookup = names.lookup(&q.name, q.query_type, local, now);
    let aa = lookup.authoritative();
    let (rcode, answers, authorities, outcome) = match lookup {
        Lookup::NotLocal if forwarding => return (Handled::Forward(request), None),
        Lookup::NotLocal => return refuse(&request, ResponseCode::Refused, Outcome::Refused),
        Lookup::Answer(records) => {
            let qtype = q.query_type;
            if forwarding && let Some(target) = dangling_cname(&records, qtype, names, local, now) {
                // A local alias of a name kindling does not own: finish the
                // chain upstream (RFC 1034 §4.3.2), as a stub resolver cannot.
                let mut request = request;
                request.target = Some(Query::query(target, qtype));
                request.chain = records;
                return (Handled::Forward(request), None);
            }
            (ResponseCode::NoError, records, Vec::new(), Outcome::Local)
        }
        Lookup::NoData { soa } => (ResponseCode::NoError, Vec::new(), vec![soa], Outcome::NoData),
        Lookup::NxDomain { soa } => (
            ResponseCode::NXDomain,
            Vec::new(),
            soa.into_iter().collect(),
            Outcome::NxDomain,
        ),
    };
    let mut m = request.reply(rcode);
    m.metadata.authoritative = aa;
    m.metadata.recursion_available = forwarding;
    m.answers = answers;
    m.authorities = authorities;
    (Handled::Reply(request.encode(m)), Some(outcome))
}

/// The target of a CNAME chain that ends outside the local names.
fn dangling_cname(
    records: &[Record],
    qtype: RecordType,
    names: &LocalNames,
    local: IpAddr,
    now: u64,
) -> Option<hickory_proto::rr::Name> {
    if matches!(qtype, RecordType::CNAME | RecordType::ANY) {
        return None;
    }
    let hickory_proto::rr::RData::CNAME(cname) = &records.last()?.data else {
        return None;
    };
    let target = cname.0.clone();
    (names.lookup(&target, qtype, local, now) == Lookup::NotLocal).then_some(target)
}

/// A reply of only a header, for queries whose question cannot be read.
fn header_only_error(id: u16, op_code: OpCode, rcode: ResponseCode, rd: bool) -> Vec<u8> {
    let mut m = Message::error_msg(id, op_code, rcode);
    m.metadata.recursion_desired = rd;
    m.to_vec().unwrap_or_else(|_| {
        let mut b = vec![0u8; 12];
        b[0..2].copy_from_slice(&id.to_be_bytes());
        b[2] = 0x80 | (u8::from(op_code) << 3) | u8::from(rd);
        b[3] = (u16::from(rcode) & 0x0f) as u8;
        b
    })
}
