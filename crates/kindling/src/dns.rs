//! Wiring the DNS service into `kindling serve`: the configuration (file
//! plus flags), the server's own names, the DHCP leases fed in as names,
//! one thread per CPU with, for each listen address, one UDP socket of an
//! `SO_REUSEPORT` group, and TCP on the first thread.
//!
//! Listen addresses are of either family. An IPv6 socket is IPv6-only, so
//! both families are served by listing both (`0.0.0.0:53` and `[::]:53`);
//! `[::]:53` alone serves IPv6 alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use dns::{DnsConfig, LeaseName};
use dns_server::Service;
use netio::{BindOptions, DgramSocket};
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;

pub const DEFAULT_ADDRESS: &str = "0.0.0.0:53";

/// How often, at most, lease changes are republished as names.
const REPUBLISH_EVERY: Duration = Duration::from_millis(100);

pub struct DnsHandle {
    threads: Vec<JoinHandle<()>>,
}

impl DnsHandle {
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// The DNS configuration from `--config` and the flags, with the listen
/// addresses; `None` when DNS is off.
pub fn configure(
    args: &ServeArgs,
    file: Option<&config::Config>,
) -> anyhow::Result<Option<(DnsConfig, Vec<SocketAddr>)>> {
    let enabled = args.dns.unwrap_or_else(|| file.is_some_and(|c| c.dns_enabled));
    if !enabled {
        return Ok(None);
    }
    let mut cfg = file.map(|c| c.dns.clone()).unwrap_or_default();
    if !args.dns_upstream.is_empty() {
        cfg.upstreams = args
            .dns_upstream
            .iter()
            .map(|u| dns::parse_upstream(u).map_err(|e| anyhow::anyhow!("--dns-upstream: {e}")))
            .collect::<anyhow::Result<_>>()?;
    }
    if !file.is_some_and(|c| c.dns_server_names_set)
        && let Some(host) = machine_hostname()
    {
        cfg.server_names.push(host);
    }
    let texts = if args.dns_address.is_empty() {
        file.and_then(|c| c.dns_address.clone())
            .unwrap_or_else(|| vec![DEFAULT_ADDRESS.to_owned()])
    } else {
        args.dns_address.clone()
    };
    let mut addrs: Vec<SocketAddr> = Vec::with_capacity(texts.len());
    for text in &texts {
        let addr: SocketAddr = text.trim().parse().with_context(|| {
            format!("--dns-address {text:?} must be HOST:PORT, such as 0.0.0.0:53, or [::]:53 for IPv6")
        })?;
        if addrs.contains(&addr) {
            anyhow::bail!("--dns-address lists {addr} twice");
        }
        addrs.push(addr);
    }
    if let Some(path) = file.and_then(|c| c.dns_hosts_file.as_deref()) {
        add_hosts_file(&mut cfg, path);
    }
    if cfg.upstreams.is_empty()
        && let Some(path) = file.and_then(|c| c.dns_resolv_file.as_deref())
    {
        cfg.upstreams = resolv_file_upstreams(path, &addrs);
    }
    Ok(Some((cfg, addrs)))
}

/// The `nameserver` lines of a resolv.conf, read once at start, without
/// kindling's own listening addresses (a host whose resolv.conf names the
/// local DNS server would otherwise forward to itself). A file that cannot
/// be read is a warning: DNS then answers its own names only.
pub fn resolv_file_upstreams(path: &std::path::Path, listening: &[SocketAddr]) -> Vec<SocketAddr> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read the resolv file: no upstream resolvers");
            return Vec::new();
        }
    };
    let ours = |a: &SocketAddr| {
        listening.iter().any(|l| {
            l.port() == a.port()
                && (l.ip() == a.ip() || (l.ip().is_unspecified() && (a.ip().is_loopback() || a.ip().is_unspecified())))
        })
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(Ok(ip)) = words
            .next()
            .map(|w| w.split('%').next().unwrap_or(w).parse::<std::net::IpAddr>())
        else {
            continue;
        };
        let addr = SocketAddr::new(ip, 53);
        if !ours(&addr) && !out.contains(&addr) {
            out.push(addr);
        }
    }
    tracing::info!(file = %path.display(), upstreams = ?out, "upstream resolvers from the resolv file");
    out
}

/// Adds the names of a hosts file (`ADDRESS NAME [ALIAS...]`), read once at
/// start, as A and AAAA records; a name the configuration already has keeps
/// the configuration's records. A file that cannot be read is a warning.
pub fn add_hosts_file(cfg: &mut DnsConfig, path: &std::path::Path) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read the hosts file: its names are not served");
            return;
        }
    };
    let configured: std::collections::HashSet<dns::proto::rr::Name> =
        cfg.records.iter().map(|r| r.name.clone()).collect();
    let mut added = 0;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(Ok(ip)) = words.next().map(str::parse::<std::net::IpAddr>) else {
            continue;
        };
        for word in words {
            let Ok(name) = dns::parse_name(word) else { continue };
            if configured.contains(&name) {
                continue;
            }
            let value = match ip {
                std::net::IpAddr::V4(a) => dns::RecordValue::A(a),
                std::net::IpAddr::V6(a) => dns::RecordValue::Aaaa(a),
            };
            let record = dns::StaticRecord {
                name,
                ttl: None,
                value,
                subdomains: false,
            };
            if !cfg.records.contains(&record) {
                cfg.records.push(record);
                added += 1;
            }
        }
    }
    tracing::info!(file = %path.display(), records = added, "names from the hosts file");
}

/// Lets DHCP offer this DNS service (option 6) and its domain (option 15)
/// on subnets that name none, as dnsmasq does; only when it listens on an
/// IPv4 address (DHCPv4 names IPv4 servers) on port 53, the only port
/// clients use.
pub fn offer_in_dhcp(cfg: &DnsConfig, addrs: &[SocketAddr], dhcp: &mut dhcp::DhcpConfig) {
    let offered = addrs.iter().find_map(|a| match a {
        SocketAddr::V4(v4) if v4.port() == 53 && !v4.ip().is_loopback() => Some(*v4.ip()),
        _ => None,
    });
    if let Some(ip) = offered {
        dhcp.dns_server = Some(ip);
    }
    dhcp.dns_domain = cfg
        .domain
        .as_ref()
        .map(|d| d.to_ascii().trim_end_matches('.').to_owned());
}

/// The machine's host name as a server name, if it is a valid label.
fn machine_hostname() -> Option<dns::proto::rr::Name> {
    let text = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let label = dns::hostname_label(text.trim())?;
    dns::parse_name(&label).ok()
}

/// The names DHCP publishes: reservations with an address and a host name
/// (always), and active leases whose client sent one or was given one.
pub fn lease_names(reservations: &[dhcp::Reservation], leases: &[dhcp::Lease]) -> Vec<LeaseName> {
    let mut out: Vec<LeaseName> = reservations
        .iter()
        .filter_map(|r| {
            Some(LeaseName {
                hostname: r.hostname.clone()?,
                ip: r.address?,
                expires: u64::MAX,
            })
        })
        .collect();
    out.extend(
        leases
            .iter()
            .filter(|l| l.state == dhcp::LeaseState::Active)
            .filter_map(|l| {
                Some(LeaseName {
                    hostname: l.hostname.clone()?,
                    ip: l.ip,
                    expires: l.expires,
                })
            }),
    );
    out
}

/// Binds the sockets and starts one thread per CPU. With `dhcp`, lease
/// changes are republished as names.
pub fn start(
    cfg: DnsConfig,
    addrs: Vec<SocketAddr>,
    reservations: Vec<dhcp::Reservation>,
    dhcp: Option<Arc<dhcp_server::Service>>,
    subnets: Vec<dns::Cidr>,
    stop: CancellationToken,
) -> anyhow::Result<DnsHandle> {
    let leases = dhcp.as_ref().map(|d| d.leases()).unwrap_or_default();
    let service = Arc::new(Service::new(cfg, &lease_names(&reservations, &leases)));
    service.set_served_networks(&served_networks(&subnets));
    tracing::info!(names = service.names().len(), "dns names published");
    for addr in addrs.iter().filter(|a| a.port() != 0) {
        // SO_REUSEPORT would let this process join another's group
        // silently: a plain socket first, before any of ours is bound.
        probe(*addr).with_context(|| format!("cannot listen on {addr} for DNS (is another DNS server running?)"))?;
    }
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut threads = Vec::with_capacity(workers);
    // Port 0 becomes the port the first thread was given, for the others.
    let mut bind_at = addrs;
    for i in 0..workers {
        let service = service.clone();
        let stop = stop.clone();
        let dhcp = if i == 0 { dhcp.clone() } else { None };
        let reservations = if i == 0 { reservations.clone() } else { Vec::new() };
        let subnets = if i == 0 { subnets.clone() } else { Vec::new() };
        let addrs = bind_at.clone();
        let (thread, listening) = crate::runtime::service_thread(format!("dns-{i}"), move || async move {
            let opts = BindOptions {
                reuse_addr: true,
                reuse_port: true,
                recv_buffer: Some(4 << 20),
                ..Default::default()
            };
            let mut listening = Vec::with_capacity(addrs.len());
            let mut sockets = Vec::with_capacity(addrs.len());
            for addr in addrs {
                let socket = DgramSocket::bind(addr, &opts).with_context(|| format!("DNS on {addr}"))?;
                let local = socket.local_addr()?;
                // The first worker also serves TCP.
                let mut tcp = None;
                if i == 0 {
                    let listener = netio::tcp_listener(local)
                        .and_then(|l| {
                            tokio::net::TcpListener::from_std(l).map_err(|source| netio::NetError::Reactor { source })
                        })
                        .with_context(|| format!("DNS over TCP on {local}"))?;
                    tcp = listener.local_addr().ok();
                    tokio::spawn(dns_server::serve_tcp(service.clone(), listener, stop.clone()));
                }
                listening.push((local, tcp));
                sockets.push(socket);
            }
            // The first worker also follows the leases and the interfaces.
            if i == 0 {
                if let Some(d) = dhcp {
                    tokio::spawn(follow_leases(service.clone(), d, reservations, stop.clone()));
                }
                tokio::spawn(follow_interfaces(service.clone(), subnets, stop.clone()));
            }
            let serve = async move {
                let mut loops = tokio::task::JoinSet::new();
                for socket in sockets {
                    loops.spawn(dns_server::serve_udp(service.clone(), socket, stop.clone()));
                }
                while loops.join_next().await.is_some() {}
            };
            Ok((listening, serve))
        })?;
        if i == 0 {
            bind_at = listening.iter().map(|(local, _)| *local).collect();
            for (local, tcp) in &listening {
                crate::serve::ready_line("dns", *local);
                if let Some(tcp) = tcp {
                    crate::serve::ready_line("dns-tcp", *tcp);
                }
            }
        }
        threads.push(thread);
    }
    Ok(DnsHandle { threads })
}

/// Binds a plain UDP socket (IPv6-only for IPv6, as the service's) to see
/// that nothing else holds `addr`, and closes it.
fn probe(addr: SocketAddr) -> std::io::Result<()> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())
}

/// How often the interfaces' networks are read again (an address added
/// later is served within this time).
const INTERFACES_EVERY: Duration = Duration::from_secs(30);

/// The networks names are forwarded for, beside `dns.forward_allow`: those
/// of this machine's interfaces (directly attached, IPv4 and IPv6,
/// link-local included), and the DHCP subnets (also those behind relays).
fn served_networks(subnets: &[dns::Cidr]) -> Vec<dns::Cidr> {
    let mut nets: Vec<dns::Cidr> = subnets.to_vec();
    match netio::interfaces() {
        Ok(list) => {
            for iface in list {
                let v4 = iface.ipv4.iter().map(|n| (n.addr.into(), n.prefix.min(32)));
                let v6 = iface.ipv6.iter().map(|n| (n.addr.into(), n.prefix.min(128)));
                for (addr, prefix) in v4.chain(v6) {
                    if let Some(c) = dns::Cidr::new(addr, prefix)
                        && !nets.contains(&c)
                    {
                        nets.push(c);
                    }
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the interfaces; forwarding for the DHCP subnets and dns.forward_allow only")
        }
    }
    nets
}

async fn follow_interfaces(service: Arc<Service>, subnets: Vec<dns::Cidr>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(INTERFACES_EVERY) => {}
        }
        service.set_served_networks(&served_networks(&subnets));
    }
}

/// Republishes the names after each committed lease change, at most every
/// `REPUBLISH_EVERY` (changes in between are taken together).
async fn follow_leases(
    service: Arc<Service>,
    dhcp: Arc<dhcp_server::Service>,
    reservations: Vec<dhcp::Reservation>,
    stop: CancellationToken,
) {
    let mut changes = dhcp.subscribe();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            r = changes.changed() => if r.is_err() { return },
        }
        let leases = dhcp.leases();
        service.set_leases(&lease_names(&reservations, &leases));
        tokio::time::sleep(REPUBLISH_EVERY).await;
    }
}
