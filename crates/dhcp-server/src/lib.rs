//! kindling's DHCP service: thin async loops around the `dhcp` state
//! machine. Each bound socket (port 67, and 4011 for PXE boot servers) is
//! read in its own task; a request is decoded, decided and answered by the
//! state machine under a short lock; replies that grant a lease wait until
//! the lease is durable in the [`LeaseStore`], written in batches by one
//! writer task (group commit: one fsync or one etcd transaction for every
//! lease that became ready while the previous commit ran).
//!
//! With a shared store, the service also keeps the version of every key it
//! knows (as of the last record it saw), so that each commit can say what
//! it expects to overwrite; records other replicas write come in through
//! [`Service::apply_remote`].
//!
//! Binding, privileges and interface choice belong to the binary: this
//! crate receives bound sockets.

mod leasedb;
pub mod ra;
pub mod store;

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcp::server::{Action, Destination, Ingress, Reply};
use dhcp::{Lease, Net, Server};
use netio::{PktSocket, Via};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use leasedb::{LeaseDb, LeaseDbError, record_from_json, record_json};
pub use store::{Commit, LeaseStore, Outcome, RecordKey, Remote, Version};

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

/// The state machine and what this server knows of the store's versions,
/// under one lock so that a decision and the versions it relied on match.
struct State {
    server: Server,
    versions: HashMap<RecordKey, Version>,
}

impl State {
    fn version(&self, key: &RecordKey) -> Version {
        self.versions.get(key).copied().unwrap_or(0)
    }

    /// Records a version unless a newer one is known already (a watch event
    /// and a transaction's answer may arrive in either order).
    fn saw(&mut self, key: RecordKey, version: Version) {
        let v = self.versions.entry(key).or_insert(0);
        if version > *v {
            *v = version;
        }
    }

    fn apply(&mut self, remote: Remote) {
        match remote {
            Remote::Address { ip, lease, version } => {
                if version < self.version(&RecordKey::Address(ip)) {
                    return;
                }
                self.saw(RecordKey::Address(ip), version);
                self.server.apply_remote(ip, lease);
            }
            Remote::Client { client, version, .. } => self.saw(RecordKey::Client(client), version),
        }
    }

    fn commit_for(&self, leases: Vec<Lease>) -> Commit {
        let expected = Commit::keys(&leases)
            .into_iter()
            .map(|k| {
                let v = self.version(&k);
                (k, v)
            })
            .collect();
        Commit { leases, expected }
    }
}

/// The state shared by the loops: the state machine and the lease store.
pub struct Service {
    state: Mutex<State>,
    store: Arc<dyn LeaseStore>,
    /// Where every exchange is reported for the flight recorder, if on.
    events: std::sync::OnceLock<Arc<recorder::EventSink>>,
    /// Bumped after every committed batch of lease changes (DNS names
    /// follow the leases).
    changed: tokio::sync::watch::Sender<u64>,
}

impl Service {
    /// A service over `store`, starting from its records (`existing`, with
    /// their versions when the store has them).
    pub fn new(cfg: dhcp::DhcpConfig, store: Arc<dyn LeaseStore>, existing: Vec<Remote>) -> Service {
        let mut state = State {
            server: Server::new(cfg, []),
            versions: HashMap::new(),
        };
        let count = existing.len();
        for r in existing {
            state.apply(r);
        }
        tracing::info!(records = count, store = %store.describe(), "leases loaded");
        Service {
            state: Mutex::new(state),
            store,
            events: std::sync::OnceLock::new(),
            changed: tokio::sync::watch::Sender::new(0),
        }
    }

    /// A service over the embedded lease database, with its records.
    pub fn with_lease_db(cfg: dhcp::DhcpConfig, db: LeaseDb) -> Result<Service, LeaseDbError> {
        let leases = db.load_all()?;
        let existing = leases
            .into_iter()
            .map(|lease| Remote::Address {
                ip: lease.ip,
                lease: Some(lease),
                version: 0,
            })
            .collect();
        Ok(Service::new(cfg, Arc::new(db), existing))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A receiver that wakes after each committed change of the leases.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Every lease record, for `/leases` and `kindling leases`.
    pub fn leases(&self) -> Vec<Lease> {
        let state = self.lock();
        let mut v: Vec<Lease> = state.server.leases().iter().cloned().collect();
        v.sort_by_key(|l| l.ip);
        v
    }

    /// Records as a shared store holds them now (another replica's writes).
    pub fn apply_remote(&self, records: Vec<Remote>) {
        if records.is_empty() {
            return;
        }
        {
            let mut state = self.lock();
            for r in records {
                state.apply(r);
            }
        }
        self.changed.send_modify(|generation| *generation += 1);
    }

    /// Replaces every record with a full read of the shared store.
    pub fn reset(&self, records: Vec<Remote>) {
        {
            let mut state = self.lock();
            state.versions.clear();
            state.server.reset_leases([]);
            for r in records {
                state.apply(r);
            }
        }
        self.changed.send_modify(|generation| *generation += 1);
    }

    /// This replica's share of the ranges among the live replicas.
    pub fn set_share(&self, share: Option<dhcp::Share>) {
        self.lock().server.set_share(share);
    }

    /// Whether leases can be made durable now; while not, full mode answers
    /// no DISCOVER and no REQUEST.
    pub fn set_leases_writable(&self, writable: bool) {
        let mut state = self.lock();
        if state.server.leases_writable() != writable {
            state.server.set_leases_writable(writable);
            metrics::gauge!("kindling_dhcp_leases_writable").set(if writable { 1.0 } else { 0.0 });
        }
    }

    pub fn store(&self) -> &dyn LeaseStore {
        self.store.as_ref()
    }

    /// Reports every exchange to the flight recorder from now on.
    pub fn set_recorder(&self, sink: Arc<recorder::EventSink>) {
        let _ = self.events.set(sink);
    }

    fn record(&self, s: &dhcp::Summary, ignored: Option<&str>) {
        let Some(sink) = self.events.get() else { return };
        if s.request.is_none() {
            return;
        }
        let c = &s.client;
        sink.push(recorder::Event {
            at: unix_millis(),
            replica: String::new(),
            kind: recorder::EventKind::Dhcp(recorder::Dhcp {
                hw: s.hw.clone(),
                xid: s.xid,
                request: s.request.map(|t| t.to_string()).unwrap_or_default(),
                reply: s.reply.map(|t| t.to_string()),
                ip: s.ip,
                firmware: recorder::Firmware {
                    kind: s.client_kind.to_owned(),
                    arch_codes: c.arch_codes.clone(),
                    vendor_class: s.vendor_class.clone(),
                    user_class: (!s.user_classes.is_empty()).then(|| s.user_classes.join(",")),
                    ipxe_features: s.ipxe_features.clone(),
                    uuid: c.uuid.as_deref().and_then(uuid_text),
                },
                hostname: s.hostname.clone(),
                boot_file: s.boot_file.clone(),
                ignored: ignored.map(str::to_owned),
                detail: s.detail.clone(),
            }),
        });
    }
}

/// Milliseconds since the Unix epoch, the recorder's clock.
fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Option 97 (type 0, then the 16 bytes of the SMBIOS UUID) as text, the
/// way iPXE prints `${uuid}`: the first three fields little-endian, as
/// SMBIOS stores them, so that the DHCP exchange and the iPXE query name
/// the machine alike.
pub fn uuid_text(option97: &[u8]) -> Option<String> {
    let b: &[u8; 16] = option97.get(1..17)?.try_into().ok()?;
    // All zeros or all ones: firmware that has no UUID (QEMU without
    // -uuid, many boards); it names no machine.
    if b.iter().all(|x| *x == 0) || b.iter().all(|x| *x == 0xff) {
        return None;
    }
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

/// Records to make durable, and what to send once they are (or instead,
/// when another replica took the address first).
struct Pending {
    commit: Commit,
    reply: Option<(usize, Reply)>,
    nak: Option<Reply>,
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
        let (handled, commit) = {
            let mut state = service.lock();
            let handled = state.server.handle(&buf[..r.len], r.src, &ingress, unix_now());
            // The versions this decision relied on, taken under the same lock.
            let commit = match &handled.action {
                Action::PersistThenSend { leases, .. } => Some(state.commit_for(leases.clone())),
                Action::Persist(lease) => Some(state.commit_for(vec![lease.clone()])),
                _ => None,
            };
            (handled, commit)
        };
        let s = &handled.summary;
        let request = s.request.map(|t| t.to_string()).unwrap_or_default();
        metrics::counter!("kindling_dhcp_requests_total", "type" => message_label(s.request)).increment(1);
        service.record(
            s,
            match handled.action {
                Action::Ignore(reason) => Some(reason),
                _ => None,
            },
        );
        match handled.action {
            Action::Ignore(reason) => {
                metrics::counter!("kindling_dhcp_dropped_total", "reason" => reason).increment(1);
                tracing::debug!(xid = s.xid, mac = %s.mac, iface = %ingress.ifname, request, client = s.client_kind, reason, detail = s.detail.as_deref().unwrap_or(""), "dhcp request not answered");
            }
            Action::Send(reply) => {
                log_reply(&handled.summary, &ingress);
                send(socket, &reply, &interfaces).await;
            }
            Action::PersistThenSend { reply, nak, .. } => {
                log_reply(&handled.summary, &ingress);
                if let Some(commit) = commit {
                    let _ = tx.send(Pending {
                        commit,
                        reply: Some((idx, reply)),
                        nak,
                    });
                }
            }
            Action::Persist(lease) => {
                tracing::info!(xid = s.xid, mac = %s.mac, iface = %ingress.ifname, request, ip = %lease.ip, state = lease.state.name(), "dhcp lease changed");
                if let Some(commit) = commit {
                    let _ = tx.send(Pending {
                        commit,
                        reply: None,
                        nak: None,
                    });
                }
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
        classes = %s.classes.join(","),
        detail = s.detail.as_deref().unwrap_or(""),
        "dhcp"
    );
    if !s.dropped.is_empty() {
        tracing::warn!(
            xid = s.xid,
            mac = %s.mac,
            left_out = ?s.dropped,
            "dhcp reply too big for the client even with option overload: these options were left out"
        );
    }
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

/// Group commit: take everything pending (up to the store's batch size),
/// write it in one call, then send the replies that waited for it. Up to
/// the store's limit of calls run at once; two commits that write the same
/// key never share a batch (a transaction may write a key once).
async fn write_leases(
    service: Arc<Service>,
    mut rx: mpsc::UnboundedReceiver<Pending>,
    sockets: Arc<Vec<PktSocket>>,
    interfaces: Arc<Interfaces>,
) {
    let (max_batch, max_in_flight) = service.store.limits();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let mut deferred: std::collections::VecDeque<Pending> = std::collections::VecDeque::new();
    let mut open = true;
    while open || !deferred.is_empty() {
        let first = match deferred.pop_front() {
            Some(p) => p,
            None => match rx.recv().await {
                Some(p) => p,
                None => {
                    open = false;
                    continue;
                }
            },
        };
        let mut keys: HashSet<RecordKey> = Commit::keys(&first.commit.leases).into_iter().collect();
        let mut batch = vec![first];
        let mut later = Vec::new();
        while batch.len() < max_batch.max(1) {
            let next = match deferred.pop_front() {
                Some(p) => p,
                None => match rx.try_recv() {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let k = Commit::keys(&next.commit.leases);
            if k.iter().any(|k| keys.contains(k)) {
                later.push(next);
            } else {
                keys.extend(k);
                batch.push(next);
            }
        }
        deferred.extend(later);
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let service = service.clone();
        let sockets = sockets.clone();
        let interfaces = interfaces.clone();
        tokio::spawn(async move {
            let _permit = permit;
            commit_batch(&service, batch, &sockets, &interfaces).await;
        });
    }
    // Let the last commits finish before the service stops.
    let _ = in_flight.acquire_many(max_in_flight.max(1) as u32).await;
}

async fn commit_batch(service: &Service, batch: Vec<Pending>, sockets: &[PktSocket], interfaces: &Interfaces) {
    let commits: Vec<Commit> = batch.iter().map(|p| p.commit.clone()).collect();
    let started = std::time::Instant::now();
    let outcomes = service.store.clone().commit(commits).await;
    metrics::histogram!("kindling_dhcp_commit_seconds").record(started.elapsed().as_secs_f64());
    let mut stored = 0u64;
    let now = unix_now();
    for (pending, outcome) in batch.into_iter().zip(outcomes) {
        let first = &pending.commit.leases[0];
        match outcome {
            Outcome::Stored { versions } => {
                stored += 1;
                {
                    let mut state = service.lock();
                    for (k, v) in versions {
                        state.saw(k, v);
                    }
                }
                if let Some((idx, reply)) = &pending.reply {
                    send(&sockets[*idx], reply, interfaces).await;
                }
            }
            Outcome::Conflict { current } => {
                metrics::counter!("kindling_dhcp_lease_conflicts_total").increment(1);
                // Whether the store already holds this very lease (our own
                // earlier attempt, or a retransmission's twin): then the ACK
                // is true and goes out; otherwise another client won.
                let held = current.iter().any(|r| match r {
                    Remote::Address { lease: Some(l), .. } => {
                        l.ip == first.ip && l.client == first.client && l.state == first.state && l.expires > now
                    }
                    _ => false,
                });
                service.lock_and_apply(current);
                match (&pending.reply, held) {
                    (Some((idx, reply)), true) => send(&sockets[*idx], reply, interfaces).await,
                    (Some((idx, _)), false) => {
                        tracing::info!(ip = %first.ip, "dhcp: another replica took the address first; answering NAK");
                        if let Some(nak) = &pending.nak {
                            send(&sockets[*idx], nak, interfaces).await;
                        }
                    }
                    (None, _) => {}
                }
            }
            Outcome::Failed { reason } => {
                metrics::counter!("kindling_dhcp_commit_failures_total").increment(1);
                tracing::error!(ip = %first.ip, error = %reason, "a lease could not be made durable: its ACK is withheld");
            }
        }
    }
    if stored > 0 {
        metrics::counter!("kindling_dhcp_leases_committed_total").increment(stored);
    }
    service.changed.send_modify(|generation| *generation += 1);
}

impl Service {
    fn lock_and_apply(&self, records: Vec<Remote>) {
        let mut state = self.lock();
        for r in records {
            state.apply(r);
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
            let mut state = service.lock();
            state.server.tick(now);
            state.server.leases().iter().filter(|l| l.is_active(now)).count()
        };
        metrics::gauge!("kindling_dhcp_active_leases").set(active as f64);
    }
}

/// Sends a reply where the state machine said; a client without an address
/// is reached through an ARP entry added first (broadcast if that fails).
async fn send(socket: &PktSocket, reply: &Reply, interfaces: &Interfaces) {
    // The state machine left out what does not fit, so this only fails
    // when the essentials alone are too big; those are then sent whole.
    let bytes = reply
        .msg
        .encode_within(reply.limit)
        .unwrap_or_else(|_| reply.msg.encode());
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
