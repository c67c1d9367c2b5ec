//! kindling's DHCP service: thin async loops around the `dhcp` state
//! machine. Each bound socket (port 67, and 4011 for PXE boot servers) is
//! read in its own task; a request is decoded, decided and answered by the
//! state machine under a short lock; replies that grant a lease wait until
//! the lease is durable in the [`LeaseDb`], written in batches by one
//! writer task (group commit: one fsync for every lease that became ready
//! while the previous commit ran).
//!
//! Binding, privileges and interface choice belong to the binary: this
//! crate receives bound sockets.

mod leasedb;
pub mod ra;

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcp::server::{Action, Destination, Ingress, Reply};
use dhcp::{Lease, Net, Server};
use netio::{PktSocket, Via};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use leasedb::{LeaseDb, LeaseDbError};

/// Seconds since the Unix epoch, the state machine's clock.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Which interfaces requests are accepted on, with their addresses cached
/// by interface index (refreshed when an unknown index shows up).
pub struct Interfaces {
    allowed: Option<HashSet<String>>,
    cache: Mutex<HashMap<u32, (String, Vec<Net>)>>,
}

impl Interfaces {
    /// `names` empty: every interface but loopback.
    pub fn new(names: &[String]) -> Interfaces {
        let allowed = (!names.is_empty()).then(|| names.iter().cloned().collect());
        let this = Interfaces {
            allowed,
            cache: Mutex::new(HashMap::new()),
        };
        this.refresh();
        this
    }

    fn refresh(&self) {
        match netio::interfaces() {
            Ok(list) => {
                let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                cache.clear();
                for i in list {
                    let nets = i.ipv4.iter().map(|n| Net::new(n.addr, n.prefix)).collect();
                    cache.insert(i.index, (i.name, nets));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list network interfaces"),
        }
    }

    fn lookup(&self, ifindex: u32) -> Option<(String, Vec<Net>)> {
        if let Some(hit) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&ifindex) {
            return Some(hit.clone());
        }
        self.refresh();
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ifindex)
            .cloned()
    }

    fn name(&self, ifindex: u32) -> Option<String> {
        self.lookup(ifindex).map(|(n, _)| n)
    }

    /// The ingress description for a datagram, or `None` when the
    /// interface is not one kindling serves.
    fn ingress(&self, ifindex: u32, local: Ipv4Addr, dst: Ipv4Addr, port: u16) -> Option<Ingress> {
        let (name, nets) = self.lookup(ifindex)?;
        let served = match &self.allowed {
            Some(names) => names.contains(&name),
            None => name != "lo",
        };
        served.then_some(Ingress {
            ifindex,
            ifname: name,
            nets,
            local,
            dst,
            port,
        })
    }
}

/// The state shared by the loops: the state machine and the database.
pub struct Service {
    server: Mutex<Server>,
    db: Arc<LeaseDb>,
    /// Bumped after every committed batch of lease changes (DNS names
    /// follow the leases).
    changed: tokio::sync::watch::Sender<u64>,
}

impl Service {
    /// Loads the leases from `db` into a new state machine.
    pub fn new(cfg: dhcp::DhcpConfig, db: LeaseDb) -> Result<Service, LeaseDbError> {
        let leases = db.load_all()?;
        tracing::info!(leases = leases.len(), path = %db.path().display(), "lease database loaded");
        Ok(Service {
            server: Mutex::new(Server::new(cfg, leases)),
            db: Arc::new(db),
            changed: tokio::sync::watch::Sender::new(0),
        })
    }

    /// A receiver that wakes after each committed change of the leases.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Every lease record, for `/leases` and `kindling leases`.
    pub fn leases(&self) -> Vec<Lease> {
        let server = self.server.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<Lease> = server.leases().iter().cloned().collect();
        v.sort_by_key(|l| l.ip);
        v
    }
}

/// A lease to make durable, and the reply to send once it is.
struct Pending {
    lease: Lease,
    reply: Option<(usize, Reply)>,
}

/// Runs the loops until `stop` is cancelled; then lets the writer finish
/// the batch it holds.
/// `sockets` are bound to port 67 and, for PXE boot servers, 4011.
pub async fn serve(
    service: Arc<Service>,
    sockets: Vec<PktSocket>,
    interfaces: Arc<Interfaces>,
    stop: CancellationToken,
) {
    let sockets = Arc::new(sockets);
    let (tx, rx) = mpsc::unbounded_channel::<Pending>();
    let writer = tokio::spawn(write_leases(service.clone(), rx, sockets.clone(), interfaces.clone()));
    let mut tasks = Vec::new();
    for idx in 0..sockets.len() {
        tasks.push(tokio::spawn(read_loop(
            idx,
            service.clone(),
            sockets.clone(),
            interfaces.clone(),
            tx.clone(),
            stop.clone(),
        )));
    }
    drop(tx);
    tasks.push(tokio::spawn(housekeeping(service.clone(), stop.clone())));
    for t in tasks {
        let _ = t.await;
    }
    let _ = writer.await;
}

async fn read_loop(
    idx: usize,
    service: Arc<Service>,
    sockets: Arc<Vec<PktSocket>>,
    interfaces: Arc<Interfaces>,
    tx: mpsc::UnboundedSender<Pending>,
    stop: CancellationToken,
) {
    let socket = &sockets[idx];
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
    let mut buf = vec![0u8; 4096];
    loop {
        let received = tokio::select! {
            r = socket.recv(&mut buf) => r,
            () = stop.cancelled() => return,
        };
        let r = match received {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, port, "DHCP receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if r.truncated {
            metrics::counter!("kindling_dhcp_dropped_total", "reason" => "oversized").increment(1);
            continue;
        }
        let Some(ingress) = interfaces.ingress(r.ifindex, r.local, r.dst, port) else {
            metrics::counter!("kindling_dhcp_dropped_total", "reason" => "interface not served").increment(1);
            continue;
        };
        let handled = {
            let mut server = service.server.lock().unwrap_or_else(|e| e.into_inner());
            server.handle(&buf[..r.len], r.src, &ingress, unix_now())
        };
        let s = &handled.summary;
        let request = s.request.map(|t| t.to_string()).unwrap_or_default();
        metrics::counter!("kindling_dhcp_requests_total", "type" => message_label(s.request)).increment(1);
        match handled.action {
            Action::Ignore(reason) => {
                metrics::counter!("kindling_dhcp_dropped_total", "reason" => reason).increment(1);
                tracing::debug!(xid = s.xid, mac = %s.mac, iface = %ingress.ifname, request, client = s.client_kind, reason, detail = s.detail.as_deref().unwrap_or(""), "dhcp request not answered");
            }
            Action::Send(reply) => {
                log_reply(&handled.summary, &ingress);
                send(socket, &reply, &interfaces).await;
            }
            Action::PersistThenSend(lease, reply) => {
                log_reply(&handled.summary, &ingress);
                let _ = tx.send(Pending {
                    lease,
                    reply: Some((idx, reply)),
                });
            }
            Action::Persist(lease) => {
                tracing::info!(xid = s.xid, mac = %s.mac, iface = %ingress.ifname, request, ip = %lease.ip, state = lease.state.name(), "dhcp lease changed");
                let _ = tx.send(Pending { lease, reply: None });
            }
        }
    }
}

fn log_reply(s: &dhcp::Summary, ingress: &Ingress) {
    tracing::info!(
        xid = s.xid,
        mac = %s.mac,
        iface = %ingress.ifname,
        request = s.request.map(|t| t.to_string()).unwrap_or_default(),
        reply = s.reply.map(|t| t.to_string()).unwrap_or_default(),
        client = s.client_kind,
        ip = s.ip.map(|i| i.to_string()).unwrap_or_default(),
        boot_file = s.boot_file.as_deref().unwrap_or(""),
        rule = s.boot_rule.unwrap_or(""),
        detail = s.detail.as_deref().unwrap_or(""),
        "dhcp"
    );
    metrics::counter!("kindling_dhcp_replies_total", "type" => message_label(s.reply)).increment(1);
}

fn message_label(t: Option<dhcp::MessageType>) -> &'static str {
    use dhcp::MessageType::*;
    match t {
        Some(Discover) => "discover",
        Some(Offer) => "offer",
        Some(Request) => "request",
        Some(Decline) => "decline",
        Some(Ack) => "ack",
        Some(Nak) => "nak",
        Some(Release) => "release",
        Some(Inform) => "inform",
        None => "none",
    }
}

/// Group commit: take everything pending, write it in one transaction,
/// then send the replies that waited for it.
async fn write_leases(
    service: Arc<Service>,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    sockets: Arc<Vec<PktSocket>>,
    interfaces: Arc<Interfaces>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 8192 {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let leases: Vec<Lease> = batch.iter().map(|p| p.lease.clone()).collect();
        let db2 = service.db.clone();
        let started = std::time::Instant::now();
        let result = tokio::task::spawn_blocking(move || db2.commit(&leases)).await;
        metrics::histogram!("kindling_dhcp_commit_seconds").record(started.elapsed().as_secs_f64());
        match result {
            Ok(Ok(())) => {
                metrics::counter!("kindling_dhcp_leases_committed_total").increment(batch.len() as u64);
                service.changed.send_modify(|generation| *generation += 1);
                for p in batch {
                    if let Some((idx, reply)) = p.reply {
                        send(&sockets[idx], &reply, &interfaces).await;
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, leases = batch.len(), "leases could not be made durable: their ACKs are withheld")
            }
            Err(e) => tracing::error!(error = %e, "the lease writer failed: ACKs withheld"),
        }
    }
}

async fn housekeeping(service: Arc<Service>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        let now = unix_now();
        let active = {
            let mut server = service.server.lock().unwrap_or_else(|e| e.into_inner());
            server.tick(now);
            server.leases().iter().filter(|l| l.is_active(now)).count()
        };
        metrics::gauge!("kindling_dhcp_active_leases").set(active as f64);
    }
}

/// Sends a reply where the state machine said; a client without an address
/// is reached through an ARP entry added first (broadcast if that fails).
async fn send(socket: &PktSocket, reply: &Reply, interfaces: &Interfaces) {
    let bytes = reply.msg.encode();
    let src = Some(reply.src);
    let result =
        match &reply.dest {
            Destination::Broadcast { ifindex, port } => {
                socket
                    .send(
                        &bytes,
                        SocketAddrV4::new(Ipv4Addr::BROADCAST, *port),
                        Via { ifindex: *ifindex, src },
                    )
                    .await
            }
            Destination::Unicast { to, ifindex, arp } => {
                let mut to = *to;
                if let Some(hw) = arp {
                    let ok = interfaces.name(*ifindex).is_some_and(|name| match netio::inject_arp(&name, *to.ip(), hw) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::debug!(error = %e, ip = %to.ip(), "ARP injection failed; broadcasting instead");
                        false
                    }
                });
                    if !ok {
                        to = SocketAddrV4::new(Ipv4Addr::BROADCAST, to.port());
                    }
                }
                socket.send(&bytes, to, Via { ifindex: *ifindex, src }).await
            }
        };
    if let Err(e) = result {
        metrics::counter!("kindling_dhcp_send_errors_total").increment(1);
        tracing::warn!(error = %e, dest = ?reply.dest, "sending a DHCP reply failed");
    }
}
