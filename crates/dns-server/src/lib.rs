//! kindling's DNS service: the `dns` rules behind sockets and a clock.
//!
//! UDP runs on one single-threaded runtime per CPU, each with its own socket
//! of one `SO_REUSEPORT` group (the kernel spreads queries over them), its
//! own upstream socket and its own table of questions in flight, so a query
//! never crosses threads. Local names are read from an `ArcSwap` without a
//! lock; the cache of forwarded answers is shared behind a mutex. TCP
//! (RFC 7766: length-prefixed messages, several per connection) is served
//! on the first runtime, and forwards over TCP.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use dns::proto::op::ResponseCode;
use dns::{
    Cache, CacheKey, DnsConfig, ForwardError, Forwarder, Handled, LeaseName, LocalNames, Outcome, Request, Transport,
};
use netio::{PktSocket, Via};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

/// Questions in flight per UDP worker; more are answered SERVFAIL.
const MAX_IN_FLIGHT: usize = 4096;
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
}

impl Service {
    pub fn new(config: DnsConfig, leases: &[LeaseName]) -> Service {
        let (names, conflicts) = LocalNames::build(&config, leases, 1);
        log_conflicts(&conflicts);
        Service {
            cache: Mutex::new(Cache::new(config.cache_size, config.max_cache_ttl)),
            names: ArcSwap::from_pointee(names),
            config,
            generation: Mutex::new(1),
        }
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
    peer: SocketAddrV4,
    via: Via,
}

/// Upstream sockets, one per address family in use.
struct Upstream {
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
}

impl Upstream {
    async fn open(upstreams: &[SocketAddr]) -> std::io::Result<Upstream> {
        let v4 = if upstreams.iter().any(SocketAddr::is_ipv4) {
            Some(UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await?)
        } else {
            None
        };
        let v6 = if upstreams.iter().any(SocketAddr::is_ipv6) {
            Some(UdpSocket::bind((std::net::Ipv6Addr::UNSPECIFIED, 0)).await?)
        } else {
            None
        };
        Ok(Upstream { v4, v6 })
    }

    async fn send(&self, out: &dns::Outgoing) {
        let socket = if out.to.is_ipv4() { &self.v4 } else { &self.v6 };
        if let Some(s) = socket
            && let Err(e) = s.send_to(&out.bytes, out.to).await
        {
            tracing::debug!(error = %e, upstream = %out.to, "sending to an upstream resolver failed");
        }
    }

    async fn recv(socket: &Option<UdpSocket>, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
        match socket {
            Some(s) => s.recv_from(buf).await,
            None => std::future::pending().await,
        }
    }
}

/// Serves DNS over UDP on `socket` until `stop`: local answers at once,
/// the rest from the cache or through the upstreams.
pub async fn serve_udp(service: Arc<Service>, socket: PktSocket, stop: CancellationToken) {
    let counters = Counters::new("udp");
    let upstream = match Upstream::open(&service.config.upstreams).await {
        Ok(u) => u,
        Err(e) => {
            tracing::error!(error = %e, "cannot open a socket towards the upstream resolvers: forwarding is off");
            Upstream { v4: None, v6: None }
        }
    };
    let mut forwarder: Forwarder<UdpClient> = Forwarder::new(
        service.config.upstreams.clone(),
        service.config.upstream_timeout,
        MAX_IN_FLIGHT,
    );
    let local_port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut buf = vec![0u8; 4096];
    let mut ubuf4 = vec![0u8; 65535];
    let mut ubuf6 = vec![0u8; 65535];
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
            r = socket.recv(&mut buf) => {
                let r = match r {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, port = local_port, "DNS receive failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                if r.truncated {
                    continue;
                }
                let client = UdpClient { peer: r.src, via: Via::reply_to(&r) };
                let local = IpAddr::V4(if r.local.is_unspecified() { r.dst } else { r.local });
                let names = service.names.load();
                let (handled, outcome) =
                    dns::handle(&buf[..r.len], Transport::Udp, &names, local, unix_now(), service.forwarding());
                counters.count(outcome);
                match handled {
                    Handled::Reply(bytes) => reply_udp(&socket, &bytes, client).await,
                    Handled::Drop => {}
                    Handled::Forward(request) => {
                        let now = Instant::now();
                        if let Some(bytes) = service.cached(&request, now) {
                            reply_udp(&socket, &bytes, client).await;
                            continue;
                        }
                        match start_forward(&mut forwarder, client, &request, now) {
                            Some(out) => {
                                counters.forwarded.increment(1);
                                upstream.send(&out).await;
                            }
                            None => {
                                counters.servfail.increment(1);
                                let bytes = servfail(&request);
                                reply_udp(&socket, &bytes, client).await;
                            }
                        }
                    }
                }
            }
            r = Upstream::recv(&upstream.v4, &mut ubuf4) => {
                if let Ok((n, from)) = r {
                    finish_forward(&service, &mut forwarder, &socket, from, &ubuf4[..n]).await;
                }
            }
            r = Upstream::recv(&upstream.v6, &mut ubuf6) => {
                if let Ok((n, from)) = r {
                    finish_forward(&service, &mut forwarder, &socket, from, &ubuf6[..n]).await;
                }
            }
            () = &mut timer => {
                let (resend, failed) = forwarder.on_timeout(Instant::now());
                for out in resend {
                    upstream.send(&out).await;
                }
                for (client, request) in failed {
                    counters.servfail.increment(1);
                    tracing::debug!(name = %request.query.name, "no upstream resolver answered: SERVFAIL");
                    reply_udp(&socket, &servfail(&request), client).await;
                }
            }
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
    forwarder: &mut Forwarder<UdpClient>,
    socket: &PktSocket,
    from: SocketAddr,
    bytes: &[u8],
) {
    let Some((client, request, reply)) = forwarder.on_reply(from, bytes) else {
        return;
    };
    service.remember(&request, &reply, Instant::now());
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

fn servfail(request: &Request) -> Vec<u8> {
    let mut m = request.reply(ResponseCode::ServFail);
    m.metadata.recursion_available = true;
    request.encode(m)
}

async fn reply_udp(socket: &PktSocket, bytes: &[u8], client: UdpClient) {
    if let Err(e) = socket.send(bytes, client.peer, client.via).await {
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
        let (handled, outcome) = dns::handle(&msg, Transport::Tcp, &names, local, unix_now(), service.forwarding());
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
                                servfail(&request)
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
