//! Questions in flight to the upstream resolvers, over UDP. Each gets a
//! fresh random ID (from the caller) so that a reply can only be matched by
//! someone who saw the query (the server also sends each attempt from its
//! own random port); a reply is accepted only from an upstream the query
//! went to, with the same question. An upstream that does not answer in
//! time, or answers SERVFAIL or REFUSED, is replaced by the next one; when
//! all have had their turns, the client gets SERVFAIL (or the last
//! upstream's failure). Time is a parameter.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};

use crate::answer::Request;

/// A datagram to send to an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

#[derive(Debug)]
struct Pending<C> {
    client: C,
    request: Request,
    /// Upstreams tried so far, in order (indexes).
    tried: Vec<usize>,
    deadline: Instant,
}

/// What a datagram from an upstream did.
#[derive(Debug)]
pub enum Reply<C> {
    /// The answer to a question in flight: relay it to `client`.
    Answer {
        client: C,
        request: Request,
        message: Box<Message>,
    },
    /// The upstream failed the question (SERVFAIL, REFUSED): ask the next.
    Retry(Outgoing),
    /// Not an answer to anything in flight (unknown ID, another source,
    /// another question, garbage): the question keeps waiting.
    Ignored,
}

/// Why a question was not forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardError {
    /// As many questions are in flight as allowed: answer SERVFAIL.
    Busy,
    /// The ID given is in use: pick another.
    IdInUse,
}

#[derive(Debug)]
pub struct Forwarder<C> {
    upstreams: Vec<SocketAddr>,
    timeout: Duration,
    /// Attempts per question (each on the next upstream, wrapping).
    attempts: usize,
    capacity: usize,
    pending: HashMap<u16, Pending<C>>,
}

impl<C> Forwarder<C> {
    pub fn new(upstreams: Vec<SocketAddr>, timeout: Duration, capacity: usize) -> Forwarder<C> {
        let attempts = (upstreams.len() * 2).clamp(2, 4);
        Forwarder {
            upstreams,
            timeout,
            attempts,
            capacity: capacity.min(60_000),
            pending: HashMap::new(),
        }
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    pub fn is_free(&self, id: u16) -> bool {
        !self.pending.contains_key(&id)
    }

    /// Sends `request` to the first upstream under `id`.
    pub fn start(&mut self, client: C, request: Request, id: u16, now: Instant) -> Result<Outgoing, ForwardError> {
        if self.upstreams.is_empty() || self.pending.len() >= self.capacity {
            return Err(ForwardError::Busy);
        }
        if self.pending.contains_key(&id) {
            return Err(ForwardError::IdInUse);
        }
        let out = Outgoing {
            to: self.upstreams[0],
            bytes: request.upstream_query(id),
        };
        self.pending.insert(
            id,
            Pending {
                client,
                request,
                tried: vec![0],
                deadline: now + self.timeout,
            },
        );
        Ok(out)
    }

    /// A datagram from `from`: the answer to a question in flight, a
    /// failure that moves the question to the next upstream, or nothing.
    pub fn on_reply(&mut self, from: SocketAddr, bytes: &[u8], now: Instant) -> Reply<C> {
        if bytes.len() < 12 {
            return Reply::Ignored;
        }
        let id = u16::from_be_bytes([bytes[0], bytes[1]]);
        let Some(pending) = self.pending.get(&id) else {
            return Reply::Ignored;
        };
        if !pending.tried.iter().any(|&i| self.upstreams[i] == from) {
            return Reply::Ignored;
        }
        let Ok(message) = Message::from_vec(bytes) else {
            return Reply::Ignored;
        };
        if !pending.request.matches(&message) {
            return Reply::Ignored;
        }
        let failed = matches!(
            message.metadata.response_code,
            ResponseCode::ServFail | ResponseCode::Refused
        );
        // Another upstream may know better; asking the same one again
        // after it said SERVFAIL would not help.
        let untried = pending.tried.len() < self.upstreams.len();
        if failed
            && untried
            && let Some(out) = self.next_attempt(id, now)
        {
            return Reply::Retry(out);
        }
        match self.pending.remove(&id) {
            Some(p) => Reply::Answer {
                client: p.client,
                request: p.request,
                message: Box::new(message),
            },
            None => Reply::Ignored,
        }
    }

    /// Moves question `id` to the next upstream, if it has attempts left.
    fn next_attempt(&mut self, id: u16, now: Instant) -> Option<Outgoing> {
        let p = self.pending.get_mut(&id)?;
        if p.tried.len() >= self.attempts {
            return None;
        }
        let next = (p.tried.last().copied().unwrap_or(0) + 1) % self.upstreams.len();
        p.tried.push(next);
        p.deadline = now + self.timeout;
        Some(Outgoing {
            to: self.upstreams[next],
            bytes: p.request.upstream_query(id),
        })
    }

    /// The question an attempt (from `start`, `on_reply` or `on_timeout`)
    /// asks, while it is in flight.
    pub fn request_of(&self, out: &Outgoing) -> Option<Request> {
        let id = u16::from_be_bytes([*out.bytes.first()?, *out.bytes.get(1)?]);
        self.pending.get(&id).map(|p| p.request.clone())
    }

    /// When [`Forwarder::on_timeout`] must next run.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.deadline).min()
    }

    /// Questions past their deadline go to the next upstream, or, after
    /// their last attempt, come back to be answered SERVFAIL.
    pub fn on_timeout(&mut self, now: Instant) -> (Vec<Outgoing>, Vec<(C, Request)>) {
        let mut resend = Vec::new();
        let mut failed_ids = Vec::new();
        let due: Vec<u16> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in due {
            match self.next_attempt(id, now) {
                Some(out) => resend.push(out),
                None => failed_ids.push(id),
            }
        }
        let failed = failed_ids
            .into_iter()
            .filter_map(|id| self.pending.remove(&id))
            .map(|p| (p.client, p.request))
            .collect();
        (resend, failed)
    }
}
