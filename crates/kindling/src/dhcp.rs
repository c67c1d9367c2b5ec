//! Wiring the DHCP service into `kindling serve`: the configuration (file
//! plus flags), the lease database, the bound sockets (ports 67 and 4011)
//! and a dedicated thread with its own runtime, so DHCP never waits behind
//! HTTP work.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{Context, bail};
use dhcp::{DhcpConfig, Lease, Mode};
use dhcp_server::{Interfaces, LeaseDb, Service};
use netio::{BindOptions, PktSocket};
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;

/// Where leases are kept when neither the flag nor the file says.
pub const DEFAULT_LEASE_FILE: &str = "/var/lib/kindling/dhcp-leases.redb";

pub struct DhcpHandle {
    pub service: Arc<Service>,
    thread: JoinHandle<()>,
    /// Router-advertisement threads, one per interface.
    ra: Vec<JoinHandle<()>>,
}

impl DhcpHandle {
    pub fn join(self) {
        let _ = self.thread.join();
        for t in self.ra {
            let _ = t.join();
        }
    }
}

/// How long another client's expired lease keeps its address when
/// replicas share leases (their clocks may disagree).
pub const SHARED_EXPIRY_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Where leases are kept.
pub enum Leases {
    /// The embedded lease file of this server.
    File(PathBuf),
    /// etcd, shared with the other replicas.
    Etcd(Arc<cluster::Cluster>),
}

/// The DHCP configuration from `--config` and the flags that override it;
/// `shared` when leases are shared through etcd.
pub fn configure(
    args: &ServeArgs,
    file: Option<&config::Config>,
    http: SocketAddr,
    shared: bool,
) -> anyhow::Result<(DhcpConfig, PathBuf)> {
    let mut cfg = file.map(|c| c.dhcp.clone()).unwrap_or_default();
    cfg.expiry_grace = file.and_then(|c| c.dhcp_expiry_grace).unwrap_or(if shared {
        SHARED_EXPIRY_GRACE
    } else {
        std::time::Duration::ZERO
    });
    if let Some(mode) = &args.dhcp {
        cfg.mode = Mode::parse(mode).context("--dhcp must be off, proxy or full")?;
    }
    if !args.dhcp_interface.is_empty() {
        cfg.interfaces = args.dhcp_interface.clone();
    }
    if let Some(ra) = args.dhcp_ra {
        cfg.router_advertisements = ra;
    }
    if cfg.router_advertisements && cfg.mode == Mode::Off {
        bail!(
            "router advertisements (--dhcp-ra, dhcp.router_advertisements) are sent on the DHCP interfaces: turn DHCP on with --dhcp proxy or --dhcp full"
        );
    }
    if !file.is_some_and(|c| c.http_port_set) {
        cfg.boot.http_port = http.port();
    }
    if cfg.mode == Mode::Full && !cfg.subnets.iter().any(|s| !s.ranges.is_empty()) {
        bail!(
            "--dhcp full hands out addresses, so it needs at least one [[dhcp.subnet]] with ranges in the --config file (see docs/configuration.md); use --dhcp proxy beside another DHCP server"
        );
    }
    let lease_file = args
        .dhcp_lease_file
        .clone()
        .or_else(|| file.and_then(|c| c.dhcp_lease_file.clone()))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_LEASE_FILE));
    Ok((cfg, lease_file))
}

/// Opens the lease store, binds the sockets and starts the service
/// thread. Fails (before anything is served) when a socket cannot be bound.
pub fn start(cfg: DhcpConfig, leases: Leases, stop: CancellationToken) -> anyhow::Result<DhcpHandle> {
    for name in &cfg.interfaces {
        netio::interface(name).with_context(|| format!("dhcp interface {name:?}"))?;
    }
    let names = cfg.interfaces.clone();
    let mode = cfg.mode;
    // Opened before anything is served, so that a missing privilege stops the start.
    let ra_sockets = if cfg.router_advertisements {
        ra_interfaces(&names)?
            .iter()
            .map(|name| netio::Icmpv6Socket::open(name).with_context(|| format!("router advertisements on {name}")))
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let service = match leases {
        Leases::File(path) => Arc::new(Service::with_lease_db(cfg, LeaseDb::open(&path)?)?),
        Leases::Etcd(cluster) => cluster
            .lease_service(cfg, stop.clone())
            .context("reading the leases from etcd")?,
    };
    let svc = service.clone();
    let ra_stop = stop.clone();
    let (thread, addrs) = crate::runtime::service_thread("dhcp".into(), move || async move {
        let mut sockets = Vec::new();
        for port in [dhcp::server::SERVER_PORT, dhcp::server::PXE_PORT] {
            // SO_REUSEADDR: another DHCP server (dnsmasq giving addresses
            // next to kindling in proxy mode) may own port 67 too.
            let opts = BindOptions {
                reuse_addr: true,
                broadcast: true,
                recv_buffer: Some(4 << 20),
                send_buffer: Some(4 << 20),
                device: single_device(&names),
                ..Default::default()
            };
            let socket = PktSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port), &opts)
                .with_context(|| format!("DHCP ({} mode) needs UDP port {port}", mode.name()))?;
            sockets.push(socket);
        }
        let addrs: Vec<SocketAddrV4> = sockets.iter().filter_map(|s| s.local_addr().ok()).collect();
        let interfaces = Arc::new(Interfaces::new(&names));
        Ok((addrs, dhcp_server::serve(svc, sockets, interfaces, stop)))
    })?;
    for (service_name, addr) in ["dhcp", "pxe"].into_iter().zip(addrs) {
        crate::serve::ready_line(service_name, SocketAddr::V4(addr));
    }
    let mut ra = Vec::new();
    for socket in ra_sockets {
        tracing::info!(
            iface = socket.ifname(),
            "sending IPv6 router advertisements (not a default router, no prefix)"
        );
        let stop = ra_stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ra-{}", socket.ifname()))
            .spawn(move || dhcp_server::ra::serve(socket, stop))
            .context("starting the router-advertisement thread")?;
        ra.push(thread);
    }
    Ok(DhcpHandle { service, thread, ra })
}

/// The DHCP interfaces, or every interface with a hardware address when
/// none are named (loopback and tunnels have none).
fn ra_interfaces(names: &[String]) -> anyhow::Result<Vec<String>> {
    if !names.is_empty() {
        return Ok(names.to_vec());
    }
    Ok(netio::interfaces()?
        .into_iter()
        .filter(|i| i.mac.is_some())
        .map(|i| i.name)
        .collect())
}

/// With exactly one interface, bind to it so another interface's traffic
/// never reaches the socket.
fn single_device(names: &[String]) -> Option<String> {
    match names {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// `/leases` and `kindling leases`: one line per record.
pub fn render_leases(leases: &[Lease], json: bool, now: u64) -> String {
    if json {
        let rows: Vec<serde_json::Value> = leases
            .iter()
            .map(|l| {
                serde_json::json!({
                    "ip": l.ip.to_string(),
                    "mac": mac(&l.hw),
                    "hostname": l.hostname,
                    "state": l.state.name(),
                    "active": l.is_active(now),
                    "expires": l.expires,
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n";
    }
    let mut out = format!(
        "{:<16} {:<18} {:<10} {:<20} {}\n",
        "IP", "MAC", "STATE", "EXPIRES IN", "HOSTNAME"
    );
    for l in leases {
        let state = if l.state == dhcp::LeaseState::Active && !l.is_active(now) {
            "expired"
        } else {
            l.state.name()
        };
        let left = if l.expires > now {
            format!("{}s", l.expires - now)
        } else {
            "-".into()
        };
        out.push_str(&format!(
            "{:<16} {:<18} {:<10} {:<20} {}\n",
            l.ip,
            mac(&l.hw),
            state,
            left,
            l.hostname.as_deref().unwrap_or("")
        ));
    }
    out
}

fn mac(hw: &[u8]) -> String {
    hw.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}
