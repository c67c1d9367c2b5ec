//! Questions in flight to the upstream resolvers, over UDP. Each gets a
//! fresh random ID (from the caller) so that a reply can only be matched by
//! someone who saw the query; a reply is accepted only from an upstream the
//! query went to, with the same question. An upstream that does not answer
//! in time is replaced by the next one; when all have had their turns, the
//! client gets SERVFAIL. Time is a parameter.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_proto::op::Message;

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

    /// A datagram from `from`. Returns the waiting client, its request and
    /// the upstream's reply when it answers a question in flight; anything
    /// else (unknown ID, wrong source, another question, garbage) is
    /// ignored and the question keeps waiting.
    pub fn on_reply(&mut self, from: SocketAddr, bytes: &[u8]) -> Option<(C, Request, Message)> {
        if bytes.len() < 12 {
            return None;
        }
        let id = u16::from_be_bytes([bytes[0], bytes[1]]);
        let pending = self.pending.get(&id)?;
        if !pending.tried.iter().any(|&i| self.upstreams[i] == from) {
            return None;
        }
        let reply = Message::from_vec(bytes).ok()?;
        if !pending.request.matches(&reply) {
            return None;
        }
        let p = self.pending.remove(&id)?;
        Some((p.client, p.request, reply))
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
        for (&id, p) in self.pending.iter_mut() {
            if p.deadline > now {
                continue;
            }
            if p.tried.len() >= self.attempts {
                failed_ids.push(id);
                continue;
            }
            let next = (p.tried.last().copied().unwrap_or(0) + 1) % self.upstreams.len();
            p.tried.push(next);
            p.deadline = now + self.timeout;
            resend.push(Outgoing {
                to: self.upstreams[next],
                bytes: p.request.upstream_query(id),
            });
        }
        let failed = failed_ids
            .into_iter()
            .filter_map(|id| self.pending.remove(&id))
            .map(|p| (p.client, p.request))
            .collect();
        (resend, failed)
    }
}
