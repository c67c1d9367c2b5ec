//! kindling's DNS service: the `dns` rules behind sockets and a clock.
//!
//! UDP runs on one single-threaded runtime per CPU, each with its own socket
//! of one `SO_REUSEPORT` group per listen address (the kernel spreads
//! queries over them) and its own table of questions in flight, so a query
//! never crosses threads. Sockets are of either family (`netio::DgramSocket`:
//! each reply leaves from the address its query came to).
//! Local names are read from an `ArcSwap` without a lock; the cache of
//! forwarded answers is shared behind a mutex. TCP (RFC 7766:
//! length-prefixed messages, several per connection) is served on the first
//! runtime, and forwards over TCP.
//!
//! Forwarding is fenced as dnsmasq fences it since its 2.8x releases: names
//! are forwarded only for the networks kindling serves and those the
//! configuration allows (others are REFUSED); every attempt leaves from a
//! socket of its own, bound to a random port and connected to the upstream
//! (so a forged answer must guess the port as well as the 16-bit ID, and
//! the kernel drops datagrams from any other source); and one client can
//! have only so many questions in flight.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use dns::proto::op::ResponseCode;
use dns::{
    Cache, CacheKey, Cidr, DnsConfig, ForwardError, ForwardPolicy, Forwarder, Handled, LeaseName, LocalNames, Outcome,
    Reply, Request, Transport,
};
use netio::{DgramSocket, RecvBatch, ReplyFrom, SendBatch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

/// Questions in flight per UDP worker, each holding one socket while an
/// attempt waits; more are answered SERVFAIL.
const MAX_IN_FLIGHT: usize = 512;
/// Questions one client address may have in flight per UDP worker (a
/// quarter of [`MAX_IN_FLIGHT`], so that one client cannot take every
/// slot); more are REFUSED. Generous, because one address may be a whole
/// site's resolver or NAT.
pub const MAX_PER_CLIENT: u32 = 128;
/// Tries at binding a random port before leaving the choice to the kernel.
const PORT_TRIES: usize = 8;
/// A TCP connection idle this long is closed (RFC 7766 §6.2.3 suggests
/// seconds, not minutes).
const TCP_IDLE: Duration = Duration::from_secs(10);
/// Concurrent TCP connections; more wait in the kernel's backlog.
const MAX_TCP_CONNECTIONS: usize = 512;

/// The state every socket loop shares.
pub struct Service {
    config: DnsConfig,
    names: ArcSwap<LocalNames>,
    cache: Mutex<Cache>,
    /// Lease names last given, to rebuild when the configuration's part
    /// does not change.
    generation: Mutex<u32>,
    /// Who names are forwarded for.
    policy: ArcSwap<ForwardPolicy>,
}

impl Service {
    pub fn new(config: DnsConfig, leases: &[LeaseName]) -> Service {
        let (names, conflicts) = LocalNames::build(&config, leases, 1);
        log_conflicts(&conflicts);
        Service {
            cache: Mutex::new(Cache::new(config.cache_size, config.max_cache_ttl)),
            names: ArcSwap::from_pointee(names),
            policy: ArcSwap::from_pointee(ForwardPolicy {
                any: config.forward_any,
                networks: config.forward_allow.clone(),
            }),
            config,
            generation: Mutex::new(1),
        }
    }

    /// The networks kindling serves (its interfaces', the DHCP subnets),
    /// forwarded for beside `dns.forward_allow`.
    pub fn set_served_networks(&self, served: &[Cidr]) {
        let mut networks = self.config.forward_allow.clone();
        for n in served {
            if !networks.contains(n) {
                networks.push(*n);
            }
        }
        self.policy.store(Arc::new(ForwardPolicy {
            any: self.config.forward_any,
            networks,
        }));
    }

    /// Whether names are forwarded for `client`.
    pub fn forwards_for(&self, client: IpAddr) -> bool {
        self.forwarding() && self.policy.load().allows(client)
    }

    /// Republishes the names with a new list of leases.
    pub fn set_leases(&self, leases: &[LeaseName]) {
        let serial = {
            let mut g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
            *g = g.wrapping_add(1);
            *g
        };
        let (names, conflicts) = LocalNames::build(&self.config, leases, serial);
        log_conflicts(&conflicts);
        metrics::gauge!("kindling_dns_local_names").set(names.len() as f64);
        self.names.store(Arc::new(names));
    }

    pub fn names(&self) -> Arc<LocalNames> {
        self.names.load_full()
    }

    fn forwarding(&self) -> bool {
        !self.config.upstreams.is_empty()
    }

    fn cached(&self, request: &Request, now: Instant) -> Option<Vec<u8>> {
        if self.config.cache_size == 0 {
            return None;
        }
        let hit = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.get(&CacheKey::of(request), now)
        }?;
        metrics::counter!("kindling_dns_cache_hits_total").increment(1);
        Some(request.relay(hit.rcode, hit.answers, hit.authorities, hit.additionals))
    }

    fn remember(&self, request: &Request, reply: &dns::proto::op::Message, now: Instant) {
        if self.config.cache_size == 0 {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(CacheKey::of(request), reply, now);
    }
}

fn log_conflicts(conflicts: &[dns::Conflict]) {
    for c in conflicts {
        tracing::warn!(name = %c.name, "{}", c.why);
    }
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Per-worker counters, registered once.
struct Counters {
    local: metrics::Counter,
    nxdomain: metrics::Counter,
    nodata: metrics::Counter,
    refused: metrics::Counter,
    formerr: metrics::Counter,
    notimp: metrics::Counter,
    forwarded: metrics::Counter,
    servfail: metrics::Counter,
    /// Refused because the client had too many questions in flight.
    limited: metrics::Counter,
    /// Refused because names are not forwarded for the client.
    not_served: metrics::Counter,
}

impl Counters {
    fn new(transport: &'static str) -> Counters {
        let c = |outcome: &'static str| metrics::counter!("kindling_dns_queries_total", "transport" => transport, "outcome" => outcome);
        Counters {
            local: c("local"),
            nxdomain: c("nxdomain"),
            nodata: c("nodata"),
            refused: c("refused"),
            formerr: c("formerr"),
            notimp: c("notimp"),
            forwarded: c("forwarded"),
            servfail: c("servfail"),
            limited: c("limited"),
            not_served: c("not_served"),
        }
    }

    fn count(&self, outcome: Option<Outcome>) {
        match outcome {
            Some(Outcome::Local) => self.local.increment(1),
            Some(Outcome::NxDomain) => self.nxdomain.increment(1),
            Some(Outcome::NoData) => self.nodata.increment(1),
            Some(Outcome::Refused) => self.refused.increment(1),
            Some(Outcome::FormErr) => self.formerr.increment(1),
            Some(Outcome::NotImp) => self.notimp.increment(1),
            None => {}
        }
    }
}

/// Where a forwarded UDP answer goes back to.
#[derive(Debug, Clone, Copy)]
struct UdpClient {
    peer: SocketAddr,
    from: ReplyFrom,
}

/// A datagram an attempt's socket received: who sent it (the upstream it
/// is connected to) and the bytes.
type Received = (SocketAddr, Vec<u8>);

/// A UDP socket on a random port, connected to `to`: the kernel then
/// delivers only `to`'s datagrams to it.
async fn attempt_socket(to: SocketAddr) -> std::io::Result<UdpSocket> {
    let any: IpAddr = if to.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    };
    let mut socket = None;
    for _ in 0..PORT_TRIES {
        let port = rand::random_range(1024..=65535u16);
        if let Ok(s) = UdpSocket::bind((any, port)).await {
            socket = Some(s);
            break;
        }
    }
    // Every try hit a port in use: the kernel's pick (also random on Linux).
    let socket = match socket {
        Some(s) => s,
        None => UdpSocket::bind((any, 0)).await?,
    };
    socket.connect(to).await?;
    Ok(socket)
}

/// Sends one attempt from its own socket and hands back what comes from the
/// upstream (datagrams with the attempt's ID) until `wait` passes, or until
/// one answers the question.
fn spawn_attempt(out: dns::Outgoing, request: Request, wait: Duration, replies: tokio::sync::mpsc::Sender<Received>) {
    tokio::spawn(async move {
        let socket = match attempt_socket(out.to).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, upstream = %out.to, "no socket towards the upstream resolver");
                return;
            }
        };
        if let Err(e) = socket.send(&out.bytes).await {
            tracing::debug!(error = %e, upstream = %out.to, "sending to an upstream resolver failed");
            return;
        }
        let id = [out.bytes[0], out.bytes[1]];
        let deadline = tokio::time::Instant::now() + wait;
        // The query offers MAX_UDP_PAYLOAD (1232): a larger datagram is
        // cut here, fails to parse and is ignored like any other garbage.
        let mut buf = vec![0u8; 4096];
        loop {
            let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                Ok(Ok(n)) => n,
                // Refused (ICMP), or the wait is over: the forwarder's
                // timeout moves the question on.
                Ok(Err(_)) | Err(_) => return,
            };
            if n < 12 || buf[..2] != id {
                continue;
            }
            let answers = dns::proto::op::Message::from_vec(&buf[..n]).is_ok_and(|m| request.matches(&m));
            if replies.send((out.to, buf[..n].to_vec())).await.is_err() || answers {
                return;
            }
        }
    });
}

/// Serves DNS over UDP on `socket` until `stop`: local answers at once,
/// the rest from the cache or through the upstreams.
pub async fn serve_udp(service: Arc<Service>, socket: DgramSocket, stop: CancellationToken) {
    let counters = Counters::new("udp");
    let timeout = service.config.upstream_timeout;
    let mut forwarder: Forwarder<UdpClient> = Forwarder::new(service.config.upstreams.clone(), timeout, MAX_IN_FLIGHT);
    // Questions in flight by client address.
    let mut per_client: HashMap<IpAddr, u32> = HashMap::new();
    let (replies_tx, mut replies) = tokio::sync::mpsc::channel::<Received>(1024);
    let bound = socket
        .local_addr()
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    let local_port = bound.port();
    // Up to 32 queries per system call each way; a datagram over 4 KiB is
    // cut, reported truncated and ignored.
    let mut batch = RecvBatch::new(4096);
    let mut out = SendBatch::new();
    let timer = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(timer);
    loop {
        if let Some(deadline) = forwarder.next_deadline() {
            timer.as_mut().reset(tokio::time::Instant::from_std(deadline));
        } else {
            timer
                .as_mut()
                .reset(tokio::time::Instant::now() + Duration::from_secs(3600));
        }
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            r = socket.recv_batch(&mut batch) => {
                if let Err(e) = r {
                    tracing::warn!(error = %e, port = local_port, "DNS receive failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
                // Read once per batch: the names, the clock, who is served.
                let names = service.names.load();
                let policy = service.policy.load();
                let now_secs = unix_now();
                for i in 0..batch.len() {
                    let Some((bytes, r)) = batch.get(i) else { break };
                    if r.truncated {
                        continue;
                    }
                    let client = UdpClient { peer: r.peer, from: socket.reply_from(r) };
                    let local = if r.local.is_unspecified() { bound.ip() } else { r.local };
                    let forwarding = service.forwarding() && policy.allows(r.peer.ip());
                    let (handled, outcome) = dns::handle(bytes, Transport::Udp, &names, local, now_secs, forwarding);
                    if service.config.log_queries {
                        log_query(bytes, Transport::Udp, r.peer.ip(), outcome);
                    }
                    // Refused only because the client is outside the served networks.
                    let not_served = service.forwarding() && !forwarding && outcome == Some(Outcome::Refused);
                    if not_served {
                        counters.not_served.increment(1);
                        tracing::debug!(client = %r.peer, "not forwarding for a client outside the served networks: REFUSED");
                    } else {
                        counters.count(outcome);
                    }
                    match handled {
                        Handled::Reply(bytes) => out.push(&bytes, client.peer, client.from),
                        Handled::Drop => {}
                        Handled::Forward(request) => {
                            let now = Instant::now();
                            if let Some(bytes) = service.cached(&request, now) {
                                out.push(&bytes, client.peer, client.from);
                                continue;
                            }
                            if per_client.get(&client.peer.ip()).is_some_and(|n| *n >= MAX_PER_CLIENT) {
                                counters.limited.increment(1);
                                let bytes = error_reply(&request, ResponseCode::Refused);
                                out.push(&bytes, client.peer, client.from);
                                continue;
                            }
                            match start_forward(&mut forwarder, client, &request, now) {
                                Some(attempt) => {
                                    // Counted only once in flight, so that the map
                                    // holds no client without a question.
                                    *per_client.entry(client.peer.ip()).or_default() += 1;
                                    counters.forwarded.increment(1);
                                    spawn_attempt(attempt, request, timeout, replies_tx.clone());
                                }
                                None => {
                                    counters.servfail.increment(1);
                                    let bytes = error_reply(&request, ResponseCode::ServFail);
                                    out.push(&bytes, client.peer, client.from);
                                }
                            }
                        }
                    }
                }
                // The batch's replies in as few system calls as it takes.
                if let Some(e) = socket.send_batch(&mut out).await {
                    tracing::debug!(error = %e, "sending a DNS reply failed");
                }
            }
            Some((from, bytes)) = replies.recv() => {
                match forwarder.on_reply(from, &bytes, Instant::now()) {
                    Reply::Answer { client, request, message } => {
                        release(&mut per_client, client);
                        finish_forward(&service, &socket, client, &request, *message).await;
                    }
                    Reply::Retry(out) => {
                        if let Some(request) = forwarder.request_of(&out) {
                            spawn_attempt(out, request, timeout, replies_tx.clone());
                        }
                    }
                    Reply::Ignored => {}
                }
            }
            () = &mut timer => {
                let (resend, failed) = forwarder.on_timeout(Instant::now());
                for out in resend {
                    if let Some(request) = forwarder.request_of(&out) {
                        spawn_attempt(out, request, timeout, replies_tx.clone());
                    }
                }
                for (client, request) in failed {
                    release(&mut per_client, client);
                    counters.servfail.increment(1);
                    tracing::debug!(name = %request.query.name, "no upstream resolver answered: SERVFAIL");
                    reply_udp(&socket, &error_reply(&request, ResponseCode::ServFail), client).await;
                }
            }
        }
    }
}

/// One line per question (dns.log_queries, dnsmasq's `log-queries`): who
/// asked what, and how kindling dealt with it.
fn log_query(bytes: &[u8], transport: Transport, client: IpAddr, outcome: Option<Outcome>) {
    let Ok(request) = Request::parse(bytes, transport) else {
        return;
    };
    let how = match outcome {
        Some(o) => format!("{o:?}").to_lowercase(),
        None => "forwarded".to_owned(),
    };
    tracing::info!(
        client = %client,
        name = %request.query.name,
        qtype = %request.query.query_type,
        outcome = %how,
        "dns query"
    );
}

/// One question of `client` is no longer in flight.
fn release(per_client: &mut HashMap<IpAddr, u32>, client: UdpClient) {
    let ip = client.peer.ip();
    if let Some(n) = per_client.get_mut(&ip) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            per_client.remove(&ip);
        }
    }
}

/// Starts forwarding under a fresh random ID; `None` when it cannot be
/// forwarded (too many questions in flight).
fn start_forward(
    forwarder: &mut Forwarder<UdpClient>,
    client: UdpClient,
    request: &Request,
    now: Instant,
) -> Option<dns::Outgoing> {
    for _ in 0..16 {
        let id: u16 = rand::random();
        if !forwarder.is_free(id) {
            continue;
        }
        match forwarder.start(client, request.clone(), id, now) {
            Ok(out) => return Some(out),
            Err(ForwardError::IdInUse) => continue,
            Err(ForwardError::Busy) => return None,
        }
    }
    None
}

async fn finish_forward(
    service: &Service,
    socket: &DgramSocket,
    client: UdpClient,
    request: &Request,
    reply: dns::proto::op::Message,
) {
    service.remember(request, &reply, Instant::now());
    let rcode = reply.metadata.response_code;
    let truncated = reply.metadata.truncation;
    let bytes = if truncated {
        // Tell the client to come back over TCP.
        let mut m = request.reply(rcode);
        m.metadata.recursion_available = true;
        m.metadata.truncation = true;
        request.encode(m)
    } else {
        request.relay(rcode, reply.answers, reply.authorities, reply.additionals)
    };
    reply_udp(socket, &bytes, client).await;
}

/// A forwarder's failure answer to `request` (SERVFAIL, REFUSED).
fn error_reply(request: &Request, rcode: ResponseCode) -> Vec<u8> {
    let mut m = request.reply(rcode);
    m.metadata.recursion_available = true;
    request.encode(m)
}

async fn reply_udp(socket: &DgramSocket, bytes: &[u8], client: UdpClient) {
    if let Err(e) = socket.send(bytes, client.peer, client.from).await {
        tracing::debug!(error = %e, client = %client.peer, "sending a DNS reply failed");
    }
}

/// Serves DNS over TCP until `stop`.
pub async fn serve_tcp(service: Arc<Service>, listener: TcpListener, stop: CancellationToken) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_TCP_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            () = stop.cancelled() => return,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
        };
        let (stream, peer) = tokio::select! {
            () = stop.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "DNS TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = service.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = tcp_connection(&service, stream, stop).await {
                tracing::debug!(error = %e, %peer, "DNS TCP connection ended");
            }
        });
    }
}

async fn tcp_connection(service: &Service, mut stream: TcpStream, stop: CancellationToken) -> std::io::Result<()> {
    let counters = Counters::new("tcp");
    let peer = stream.peer_addr()?.ip();
    let local = stream.local_addr()?.ip();
    let local = match local {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(local, IpAddr::V4),
        v4 => v4,
    };
    loop {
        let len = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            r = tokio::time::timeout(TCP_IDLE, stream.read_u16()) => match r {
                Ok(Ok(len)) => len as usize,
                Ok(Err(_)) | Err(_) => return Ok(()),
            },
        };
        let mut msg = vec![0u8; len];
        tokio::time::timeout(TCP_IDLE, stream.read_exact(&mut msg))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        let names = service.names.load();
        let forwarding = service.forwards_for(peer);
        let (handled, outcome) = dns::handle(&msg, Transport::Tcp, &names, local, unix_now(), forwarding);
        if service.config.log_queries {
            log_query(&msg, Transport::Tcp, peer, outcome);
        }
        counters.count(outcome);
        let reply = match handled {
            Handled::Reply(bytes) => bytes,
            Handled::Drop => return Ok(()),
            Handled::Forward(request) => {
                let now = Instant::now();
                match service.cached(&request, now) {
                    Some(bytes) => bytes,
                    None => {
                        counters.forwarded.increment(1);
                        match forward_tcp(service, &request).await {
                            Some(bytes) => bytes,
                            None => {
                                counters.servfail.increment(1);
                                error_reply(&request, ResponseCode::ServFail)
                            }
                        }
                    }
                }
            }
        };
        let Ok(len) = u16::try_from(reply.len()) else {
            return Ok(());
        };
        let mut out = Vec::with_capacity(reply.len() + 2);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&reply);
        stream.write_all(&out).await?;
    }
}

/// Asks the upstreams over TCP, in order, each within the upstream timeout.
async fn forward_tcp(service: &Service, request: &Request) -> Option<Vec<u8>> {
    for upstream in &service.config.upstreams {
        let id: u16 = rand::random();
        let exchange = async {
            let mut s = TcpStream::connect(upstream).await?;
            let query = request.upstream_query(id);
            let mut out = Vec::with_capacity(query.len() + 2);
            out.extend_from_slice(&(query.len() as u16).to_be_bytes());
            out.extend_from_slice(&query);
            s.write_all(&out).await?;
            let len = s.read_u16().await? as usize;
            let mut buf = vec![0u8; len];
            s.read_exact(&mut buf).await?;
            Ok::<_, std::io::Error>(buf)
        };
        let Ok(Ok(bytes)) = tokio::time::timeout(service.config.upstream_timeout * 2, exchange).await else {
            continue;
        };
        let Ok(reply) = dns::proto::op::Message::from_vec(&bytes) else {
            continue;
        };
        if reply.metadata.id != id || !request.matches(&reply) {
            continue;
        }
        service.remember(request, &reply, Instant::now());
        return Some(request.relay(
            reply.metadata.response_code,
            reply.answers,
            reply.authorities,
            reply.additionals,
        ));
    }
    None
}
