//! kindling's TFTP service. One loop reads requests on the server socket
//! (port 69); each read request becomes a task with its own socket on an
//! ephemeral port (its transfer ID, RFC 1350), bound to the address the
//! request was sent to and connected to the client, so replies come from
//! the address the client expects and stray packets never reach it. The
//! task drives the `tftp` state machine with packets and deadlines.
//!
//! Write requests are refused; missing files are answered at once with
//! "file not found" (UEFI iPXE asks for `autoexec.ipxe` on every boot).
//! There is no fixed cap of 50 transfers as in dnsmasq: the cap is
//! `max_transfers` (thousands), and a dead client frees its slot after its
//! retransmissions run out.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bootfiles::{BootFiles, LookupError};
use netio::{PktSocket, Via};
use tftp::packet::{ErrorCode, encode_error};
use tftp::{Limits, Mode, Outcome, Packet, Request, Send, Transfer};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct Config {
    pub limits: Limits,
    /// Concurrent transfers; a request beyond this is answered "busy".
    pub max_transfers: usize,
    /// Where every transfer (and refusal) is reported for the flight recorder.
    pub events: Option<Arc<recorder::EventSink>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            max_transfers: 10_000,
            events: None,
        }
    }
}

/// Reports a transfer's end to the flight recorder.
fn record(
    shared: &Shared,
    client: SocketAddrV4,
    file: &str,
    size: u64,
    blocks: u64,
    retransmissions: u64,
    failure: Option<String>,
) {
    let Some(sink) = &shared.config.events else { return };
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    sink.push(recorder::Event {
        at,
        replica: String::new(),
        kind: recorder::EventKind::Tftp(recorder::Tftp {
            client: std::net::IpAddr::V4(*client.ip()),
            file: file.to_owned(),
            size,
            blocks,
            retransmissions,
            failure,
        }),
    });
}

struct Shared {
    files: Arc<BootFiles>,
    config: Config,
    active: AtomicUsize,
    /// The clients (address and port: their transfer ID) with a transfer in
    /// progress. A read request from one of them is the client repeating its
    /// request because our OACK or first DATA was lost or late: answering it
    /// would start a second transfer from another port, which clients such
    /// as atftp take as an error ("unexpected OACK") and abort.
    in_flight: Mutex<std::collections::HashSet<SocketAddrV4>>,
    /// Interface MTUs by index, to cap blksize to the path.
    mtus: Mutex<HashMap<u32, usize>>,
}

/// Serves until `stop` is cancelled; transfers in flight are abandoned then.
/// Transfers are spread round-robin over `workers` (runtime handles; empty:
/// the current runtime). Single-threaded runtimes keep a transfer's receive
/// and send on one thread, which is what lock-step latency needs.
pub async fn serve(
    socket: PktSocket,
    files: Arc<BootFiles>,
    config: Config,
    workers: Vec<tokio::runtime::Handle>,
    stop: CancellationToken,
) {
    let workers = if workers.is_empty() {
        vec![tokio::runtime::Handle::current()]
    } else {
        workers
    };
    let mut next_worker = 0usize;
    let shared = Arc::new(Shared {
        files,
        config,
        active: AtomicUsize::new(0),
        in_flight: Mutex::new(std::collections::HashSet::new()),
        mtus: Mutex::new(HashMap::new()),
    });
    let mut buf = vec![0u8; 1024];
    loop {
        let received = tokio::select! {
            r = socket.recv(&mut buf) => r,
            () = stop.cancelled() => return,
        };
        let r = match received {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "TFTP receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let reply_via = Via::reply_to(&r);
        match Packet::decode(&buf[..r.len]) {
            Ok(Packet::Rrq(req)) => {
                if shared.active.load(Ordering::Relaxed) >= shared.config.max_transfers {
                    metrics::counter!("kindling_tftp_refused_total", "reason" => "busy").increment(1);
                    let msg = encode_error(ErrorCode::NotDefined, "server busy: too many transfers, retry");
                    let _ = socket.send(&msg, r.src, reply_via).await;
                    continue;
                }
                if !shared.in_flight.lock().unwrap_or_else(|e| e.into_inner()).insert(r.src) {
                    metrics::counter!("kindling_tftp_refused_total", "reason" => "duplicate").increment(1);
                    tracing::debug!(client = %r.src, file = %req.filename, "repeated read request ignored: its transfer is in progress");
                    continue;
                }
                shared.active.fetch_add(1, Ordering::Relaxed);
                let shared = shared.clone();
                let local = r.local;
                let ifindex = r.ifindex;
                let client = r.src;
                let worker = &workers[next_worker % workers.len()];
                next_worker = next_worker.wrapping_add(1);
                worker.spawn(async move {
                    transfer(&shared, req, client, local, ifindex).await;
                    shared
                        .in_flight
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&client);
                    shared.active.fetch_sub(1, Ordering::Relaxed);
                });
            }
            Ok(Packet::Wrq(req)) => {
                metrics::counter!("kindling_tftp_refused_total", "reason" => "write").increment(1);
                tracing::info!(client = %r.src, file = %req.filename, "tftp write request refused");
                let msg = encode_error(ErrorCode::AccessViolation, "kindling's TFTP server is read-only");
                let _ = socket.send(&msg, r.src, reply_via).await;
            }
            Ok(_) => {
                // DATA/ACK/ERROR/OACK on port 69 belong to no transfer.
                let msg = encode_error(ErrorCode::UnknownTid, "unknown transfer ID");
                let _ = socket.send(&msg, r.src, reply_via).await;
            }
            Err(e) => {
                metrics::counter!("kindling_tftp_refused_total", "reason" => "malformed").increment(1);
                tracing::debug!(client = %r.src, error = %e, "malformed TFTP packet");
                let msg = encode_error(ErrorCode::IllegalOperation, &format!("illegal TFTP operation: {e}"));
                let _ = socket.send(&msg, r.src, reply_via).await;
            }
        }
    }
}

impl Shared {
    /// The largest block the ingress interface's MTU allows (MTU − 20 IP −
    /// 8 UDP − 4 TFTP), within the configured limit.
    fn max_blksize(&self, ifindex: u32) -> usize {
        let limit = self.config.limits.max_blksize;
        if ifindex == 0 {
            return limit;
        }
        let mut mtus = self.mtus.lock().unwrap_or_else(|e| e.into_inner());
        let mtu = *mtus.entry(ifindex).or_insert_with(|| {
            netio::interfaces()
                .ok()
                .and_then(|l| l.into_iter().find(|i| i.index == ifindex))
                .and_then(|i| i.mtu)
                .unwrap_or(1500) as usize
        });
        limit.min(mtu.saturating_sub(32)).max(512)
    }
}

async fn transfer(shared: &Shared, req: Request, client: SocketAddrV4, local: Ipv4Addr, ifindex: u32) {
    let started = Instant::now();
    let bind_ip = if local.is_unspecified() || local.is_broadcast() {
        Ipv4Addr::UNSPECIFIED
    } else {
        local
    };
    let socket = match UdpSocket::bind(SocketAddrV4::new(bind_ip, 0)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot open a socket for a TFTP transfer");
            return;
        }
    };
    if socket.connect(SocketAddr::V4(client)).await.is_err() {
        return;
    }
    if req.mode == Mode::Mail {
        let _ = socket
            .send(&encode_error(ErrorCode::IllegalOperation, "mail mode is not supported"))
            .await;
        return;
    }
    let name = req.filename.clone();
    let files = shared.files.clone();
    let lookup = {
        let name = name.clone();
        tokio::task::spawn_blocking(move || files.open(&name)).await
    };
    let file = match lookup {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => {
            let code = match e {
                LookupError::NotFound => ErrorCode::FileNotFound,
                LookupError::Denied(_) => ErrorCode::AccessViolation,
                LookupError::Io(_) => ErrorCode::NotDefined,
            };
            metrics::counter!("kindling_tftp_transfers_total", "result" => error_label(code)).increment(1);
            tracing::info!(%client, file = %name, reason = %e, "tftp request refused");
            record(shared, client, &name, 0, 0, 0, Some(format!("refused: {e}")));
            let _ = socket.send(&encode_error(code, &e.to_string())).await;
            return;
        }
        Err(_) => return,
    };
    let data = Transfer::payload(file.data, req.mode);
    let mut limits = shared.config.limits;
    limits.max_blksize = shared.max_blksize(ifindex);
    let negotiated = tftp::negotiate(&req, data.len() as u64, &limits);
    let size = data.len();
    let mut t = Transfer::new(data, &negotiated, &limits);
    let mut packet = Vec::with_capacity(4 + t.blksize());
    let mut rbuf = [0u8; 1024];
    let sends = t.start(Instant::now());
    send_all(&socket, &t, &sends, &mut packet).await;
    // One timer for the whole transfer, moved when the deadline moves.
    let timer = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(timer);
    let outcome = loop {
        let deadline: tokio::time::Instant = t
            .deadline()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1))
            .into();
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        tokio::select! {
            r = socket.recv(&mut rbuf) => {
                let Ok(n) = r else {
                    // ICMP port unreachable: the client went away.
                    break Outcome::ClientError { code: 0, message: "client unreachable".into() };
                };
                let (sends, done) = match Packet::decode(&rbuf[..n]) {
                    Ok(Packet::Ack { block }) => t.on_ack(Instant::now(), block),
                    Ok(Packet::Error { code, message }) => (Vec::new(), Some(t.on_error(code as u16, message))),
                    _ => (Vec::new(), None),
                };
                send_all(&socket, &t, &sends, &mut packet).await;
                if let Some(o) = done {
                    break o;
                }
            }
            () = &mut timer => {
                let (sends, done) = t.on_timeout(Instant::now());
                send_all(&socket, &t, &sends, &mut packet).await;
                if let Some(o) = done {
                    break o;
                }
            }
        }
    };
    let elapsed = started.elapsed();
    let result = match &outcome {
        Outcome::Complete => "complete",
        Outcome::ClientError { .. } => "aborted-by-client",
        Outcome::TimedOut => "timed-out",
    };
    metrics::counter!("kindling_tftp_transfers_total", "result" => result).increment(1);
    metrics::counter!("kindling_tftp_retransmitted_blocks_total").increment(t.retransmissions);
    if matches!(outcome, Outcome::Complete) {
        metrics::counter!("kindling_tftp_bytes_total").increment(size as u64);
    }
    let failure = match &outcome {
        Outcome::Complete => None,
        Outcome::ClientError { message, .. } => Some(format!("{result}: {message}")),
        Outcome::TimedOut => Some(result.to_owned()),
    };
    record(
        shared,
        client,
        &name,
        size as u64,
        t.total_blocks(),
        t.retransmissions,
        failure,
    );
    tracing::info!(
        %client,
        file = %name,
        source = file.source,
        bytes = size,
        blksize = t.blksize(),
        window = negotiated.window,
        millis = elapsed.as_millis() as u64,
        retransmitted = t.retransmissions,
        result,
        detail = %match &outcome { Outcome::ClientError { message, .. } => message.as_str(), _ => "" },
        "tftp transfer"
    );
}

fn error_label(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::FileNotFound => "not-found",
        ErrorCode::AccessViolation => "denied",
        _ => "error",
    }
}

async fn send_all(socket: &UdpSocket, t: &Transfer, sends: &[Send], packet: &mut Vec<u8>) {
    for s in sends {
        let result = match s {
            Send::Oack(bytes) => socket.send(bytes).await,
            Send::Block(n) => {
                let (wire, payload) = t.block(*n);
                packet.clear();
                packet.extend_from_slice(&tftp::packet::data_header(wire));
                packet.extend_from_slice(payload);
                socket.send(packet).await
            }
        };
        if result.is_err() {
            // The next timeout retransmits; an unreachable client ends the
            // transfer through its receive error.
            return;
        }
    }
}
