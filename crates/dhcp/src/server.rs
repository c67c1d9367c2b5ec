//! The DHCP server state machine: a request in (bytes, where it arrived,
//! the time), what to do out (replies with their destinations, lease
//! records to make durable first). No sockets, no clock, no disk.
//!
//! Full mode follows RFC 2131 §4.3 (DISCOVER/OFFER, the REQUEST states
//! SELECTING, INIT-REBOOT, RENEWING and REBINDING, DECLINE, RELEASE,
//! INFORM). Proxy mode answers network-boot clients only, with boot
//! information and no address, on port 67 (OFFER) and port 4011 (ACK).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::boot::{self, BootAnswer, Client, PxeVendor};
use crate::class::{self, Facts};
use crate::config::{DhcpConfig, Mode, Net, Reservation, Subnet};
use crate::lease::{ClientKey, Lease, LeaseState, LeaseTable, NoAddress, UnixTime};
use crate::options::{MessageType, Options, code};
use crate::pxe;
use crate::wire::{FLAG_BROADCAST, Message, Op};

/// Server ports.
pub const SERVER_PORT: u16 = 67;
pub const CLIENT_PORT: u16 = 68;
pub const PXE_PORT: u16 = 4011;

/// Where a request arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    pub ifindex: u32,
    pub ifname: String,
    /// The interface's IPv4 networks (address + prefix).
    pub nets: Vec<Net>,
    /// The local address the datagram was addressed to (IP_PKTINFO).
    pub local: Ipv4Addr,
    /// The header destination (255.255.255.255 for a broadcast).
    pub dst: Ipv4Addr,
    /// The local port (67 or 4011).
    pub port: u16,
}

/// Where a reply goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// 255.255.255.255:68 out of the ingress interface.
    Broadcast { ifindex: u32, port: u16 },
    /// A unicast address; `arp` is the client's hardware address when the
    /// client has no address yet and its ARP entry must be added first.
    Unicast {
        to: SocketAddrV4,
        ifindex: u32,
        arp: Option<Vec<u8>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub msg: Message,
    pub dest: Destination,
    /// Source address (also the server identifier).
    pub src: Ipv4Addr,
    /// The most bytes the client takes (see [`Options::max_reply_len`]):
    /// encode with [`Message::encode_within`]. The server has already left
    /// out what did not fit.
    pub limit: usize,
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Nothing to send; the reason is for the debug log.
    Ignore(&'static str),
    Send(Reply),
    /// Make the records durable, then send `reply` (a full-mode ACK). The
    /// first record is the lease; a second is the client's previous address,
    /// released. When a shared store finds that another replica took the
    /// address first, send `nak` instead (if any): the client starts over.
    PersistThenSend {
        leases: Vec<Lease>,
        reply: Reply,
        nak: Option<Reply>,
    },
    /// Make the record durable; no reply (RELEASE, DECLINE).
    Persist(Lease),
}

/// A one-line account of a transaction, for the structured log, and what
/// the request told about its client (for the flight recorder).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub xid: u32,
    pub mac: String,
    /// The client hardware address (chaddr).
    pub hw: Vec<u8>,
    pub client: Client,
    /// Option 60, option 77's classes, option 12, and the sub-option codes
    /// of option 175 (iPXE's features), as the request carried them.
    pub vendor_class: Option<String>,
    pub user_classes: Vec<String>,
    pub hostname: Option<String>,
    pub ipxe_features: Option<Vec<u8>>,
    pub request: Option<MessageType>,
    pub reply: Option<MessageType>,
    pub client_kind: &'static str,
    pub ip: Option<Ipv4Addr>,
    pub boot_file: Option<String>,
    pub boot_rule: Option<&'static str>,
    /// The classes the request belongs to.
    pub classes: Vec<String>,
    /// Options left out of the reply because it would not fit the client's
    /// size, even with overload.
    pub dropped: Vec<u8>,
    pub detail: Option<String>,
}

pub struct Handled {
    pub action: Action,
    pub summary: Summary,
}

pub struct Server {
    cfg: DhcpConfig,
    /// `cfg.reservations` by hardware address.
    hosts: HashMap<Vec<u8>, usize>,
    leases: LeaseTable,
    /// False while the lease store cannot make leases durable (a shared
    /// store without quorum): full mode then answers no DISCOVER and no
    /// REQUEST, so that clients and relays turn to a replica that can.
    writable: bool,
}

impl Server {
    pub fn new(cfg: DhcpConfig, existing: impl IntoIterator<Item = Lease>) -> Server {
        let mut leases = LeaseTable::new(&cfg.reservations, existing);
        leases.set_expiry_grace(cfg.expiry_grace.as_secs());
        let mut hosts = HashMap::with_capacity(cfg.reservations.len());
        for (i, r) in cfg.reservations.iter().enumerate() {
            hosts.entry(r.mac.octets().to_vec()).or_insert(i);
        }
        Server {
            cfg,
            hosts,
            leases,
            writable: true,
        }
    }

    /// Whether leases can be made durable now (see [`Server::handle`]).
    pub fn set_leases_writable(&mut self, writable: bool) {
        self.writable = writable;
    }

    pub fn leases_writable(&self) -> bool {
        self.writable
    }

    /// A record as the shared lease store holds it now (another replica's
    /// write, or what won a race); `None` when it was removed.
    pub fn apply_remote(&mut self, ip: Ipv4Addr, lease: Option<Lease>) {
        self.leases.apply_remote(ip, lease);
    }

    /// Replaces every record with a full read of the shared store.
    pub fn reset_leases(&mut self, records: impl IntoIterator<Item = Lease>) {
        self.leases.reset(records);
    }

    /// This replica's share of the ranges among the live replicas.
    pub fn set_share(&mut self, share: Option<crate::lease::Share>) {
        self.leases.set_share(share);
    }

    pub fn config(&self) -> &DhcpConfig {
        &self.cfg
    }

    pub fn leases(&self) -> &LeaseTable {
        &self.leases
    }

    /// Periodic housekeeping: forget offers whose hold has passed.
    pub fn tick(&mut self, now: UnixTime) {
        self.leases.expire_offers(now);
    }

    pub fn handle(&mut self, bytes: &[u8], src: SocketAddrV4, ingress: &Ingress, now: UnixTime) -> Handled {
        let mut summary = Summary::default();
        let msg = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                summary.detail = Some(e.to_string());
                return Handled {
                    action: Action::Ignore("malformed packet"),
                    summary,
                };
            }
        };
        summary.xid = msg.xid;
        summary.mac = hex_mac(msg.hw_addr());
        if msg.op != Op::Request {
            return Handled {
                action: Action::Ignore("not a BOOTREQUEST"),
                summary,
            };
        }
        let Some(kind) = msg.options.message_type() else {
            return Handled {
                action: Action::Ignore("no DHCP message type (BOOTP is not served)"),
                summary,
            };
        };
        summary.request = Some(kind);
        let client = Client::classify(&msg);
        summary.client_kind = client.kind();
        summary.hw = msg.hw_addr().to_vec();
        summary.vendor_class = msg.options.vendor_class();
        summary.user_classes = msg.options.user_classes();
        summary.hostname = msg.options.hostname();
        summary.ipxe_features = msg
            .options
            .contains(code::IPXE)
            .then(|| msg.options.ipxe_suboptions().into_iter().map(|(c, _)| c).collect());
        summary.client = client.clone();
        if self.cfg.mode == Mode::Off {
            return Handled {
                action: Action::Ignore("DHCP is off"),
                summary,
            };
        }
        let host = self.hosts.get(msg.hw_addr()).copied();
        let subnet = self.subnet_for(&msg, ingress).map(|s| s.net);
        let facts = Facts::new(&msg, host.is_some(), subnet, &ingress.ifname);
        let member = class::classify(&self.cfg.classes, &facts);
        let mut ignored_by = None;
        for (c, _) in self.cfg.classes.iter().zip(&member).filter(|(_, m)| **m) {
            summary.classes.push(c.name.clone());
            if c.ignore && ignored_by.is_none() {
                ignored_by = Some(c.name.clone());
            }
        }
        if host.is_some_and(|h| self.cfg.reservations[h].ignore) {
            summary.detail = Some("its [[dhcp.host]] entry says ignore".into());
            return Handled {
                action: Action::Ignore("ignored host"),
                summary,
            };
        }
        if let Some(name) = ignored_by {
            summary.detail = Some(format!("class {name:?} says ignore"));
            return Handled {
                action: Action::Ignore("ignored class"),
                summary,
            };
        }
        let chosen = Chosen { member, host };
        let mut action = match self.cfg.mode {
            Mode::Off => Action::Ignore("DHCP is off"),
            Mode::Proxy => self.proxy(&msg, kind, &client, &chosen, src, ingress, &mut summary),
            Mode::Full => self.full(&msg, kind, &client, &chosen, src, ingress, now, &mut summary),
        };
        let requested = msg.options.parameter_requests();
        let limit = msg.options.max_reply_len();
        match &mut action {
            Action::Send(r) => fit(r, requested, limit, &mut summary.dropped),
            Action::PersistThenSend { reply, nak, .. } => {
                fit(reply, requested, limit, &mut summary.dropped);
                if let Some(n) = nak {
                    fit(n, requested, limit, &mut Vec::new());
                }
            }
            _ => {}
        }
        if let Action::Send(r) | Action::PersistThenSend { reply: r, .. } = &action {
            summary.reply = r.msg.options.message_type();
            if summary.ip.is_none() && !r.msg.yiaddr.is_unspecified() {
                summary.ip = Some(r.msg.yiaddr);
            }
            if !r.msg.file.is_empty() {
                summary.boot_file = Some(String::from_utf8_lossy(&r.msg.file).into_owned());
            }
        }
        Handled { action, summary }
    }

    #[allow(clippy::too_many_arguments)]
    fn proxy(
        &mut self,
        msg: &Message,
        kind: MessageType,
        client: &Client,
        chosen: &Chosen,
        src: SocketAddrV4,
        ingress: &Ingress,
        summary: &mut Summary,
    ) -> Action {
        if !client.is_netboot() {
            return Action::Ignore("proxy mode: not a network-boot client");
        }
        let server = server_address(msg, ingress);
        if ingress.port == PXE_PORT
            && let Some(item) = boot::boot_item(&msg.options)
            && let Some(service) = pxe::item_number(&item).and_then(|n| self.cfg.pxe.item(n))
        {
            // A PXE menu item, asked for after a menu offer.
            if !matches!(kind, MessageType::Request | MessageType::Inform) {
                return Action::Ignore("port 4011 takes only REQUEST and INFORM");
            }
            let answer = BootAnswer::configured(&service.boot, client, server, "pxe-service");
            summary.boot_rule = Some(answer.rule);
            let mut reply = base_reply(msg, MessageType::Ack, server);
            reply.ciaddr = msg.ciaddr;
            boot::apply(&answer, client, &mut reply, true);
            let mut vendor_opts = crate::options::encode_tlv(&[(71, &item)]);
            vendor_opts.push(code::END);
            reply.options.set(code::VENDOR_SPECIFIC, &vendor_opts);
            return Action::Send(Reply {
                dest: destination(msg, &reply, src, ingress),
                src: server,
                msg: reply,
                limit: usize::MAX,
            });
        }
        if ingress.port != PXE_PORT
            && let Some(menu) = self.menu_for(client, chosen, server)
        {
            let reply_type = match kind {
                MessageType::Discover => MessageType::Offer,
                MessageType::Request if msg.options.server_id() == Some(server) => MessageType::Ack,
                _ => return Action::Ignore("proxy mode answers DISCOVER on port 67 and REQUEST on port 4011"),
            };
            summary.boot_rule = Some("pxe-menu");
            let mut reply = base_reply(msg, reply_type, server);
            apply_menu(&mut reply, client, &menu);
            return Action::Send(Reply {
                dest: destination(msg, &reply, src, ingress),
                src: server,
                msg: reply,
                limit: usize::MAX,
            });
        }
        let Some(mut answer) = self.boot_for(client, chosen, server) else {
            return Action::Ignore("proxy mode: no boot answer for this client architecture");
        };
        // In proxy mode iPXE must keep listening to proxy offers: no 175.176.
        answer.ipxe_no_pxedhcp = false;
        summary.boot_rule = Some(answer.rule);
        let reply_type = match (ingress.port, kind) {
            (PXE_PORT, MessageType::Request | MessageType::Inform) => MessageType::Ack,
            (PXE_PORT, _) => return Action::Ignore("port 4011 takes only REQUEST and INFORM"),
            (_, MessageType::Discover) => MessageType::Offer,
            (_, MessageType::Request) if msg.options.server_id() == Some(server) => MessageType::Ack,
            _ => return Action::Ignore("proxy mode answers DISCOVER on port 67 and REQUEST on port 4011"),
        };
        let mut reply = base_reply(msg, reply_type, server);
        reply.yiaddr = Ipv4Addr::UNSPECIFIED;
        if ingress.port == PXE_PORT {
            reply.ciaddr = msg.ciaddr;
        }
        boot::apply(&answer, client, &mut reply, true);
        if answer.vendor != Some(PxeVendor::HttpClient) && reply.siaddr.is_unspecified() {
            // iPXE takes a proxy reply only when it has a next server as well
            // as a file (dhcp_has_pxeopts in iPXE 2019), even when the file
            // is an HTTP URL: without it, it retries port 4011 and gives up
            // with "Nothing to boot" (found by the proxy machine of scripts/lab).
            reply.siaddr = server;
        }
        // Proxy replies identify themselves with the client's PXE vendor class.
        let vendor = client.vendor.unwrap_or(PxeVendor::PxeClient);
        if answer.vendor != Some(PxeVendor::HttpClient) {
            reply.options.set(code::VENDOR_CLASS, vendor.as_str().as_bytes());
        }
        if answer.next_server.is_some() && !client.ipxe {
            // A PXE ROM: use the file in this packet, no boot server discovery.
            let mut vendor_opts = boot::pxe_vendor_options();
            if let Some(item) = boot::boot_item(&msg.options) {
                vendor_opts.extend_from_slice(&crate::options::encode_tlv(&[(71, &item)]));
            }
            reply.options.set(code::VENDOR_SPECIFIC, &vendor_opts);
        }
        Action::Send(Reply {
            dest: destination(msg, &reply, src, ingress),
            src: server,
            msg: reply,
            limit: usize::MAX,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn full(
        &mut self,
        msg: &Message,
        kind: MessageType,
        client: &Client,
        chosen: &Chosen,
        src: SocketAddrV4,
        ingress: &Ingress,
        now: UnixTime,
        summary: &mut Summary,
    ) -> Action {
        if ingress.port == PXE_PORT {
            // Full mode gives boot information in the address exchange; a
            // client that still asks on 4011 gets the same answer there.
            return self.proxy(msg, kind, client, chosen, src, ingress, summary);
        }
        let server = server_address(msg, ingress);
        let Some(subnet) = self.subnet_for(msg, ingress).cloned() else {
            summary.detail = Some(format!(
                "no [[dhcp.subnet]] contains {}",
                if msg.giaddr.is_unspecified() {
                    format!("interface {}'s addresses", ingress.ifname)
                } else {
                    format!("relay address {}", msg.giaddr)
                }
            ));
            return Action::Ignore("no subnet for this network");
        };
        if !self.writable && matches!(kind, MessageType::Discover | MessageType::Request) {
            summary.detail = Some("leases cannot be made durable now (the shared lease store has no quorum)".into());
            return Action::Ignore("lease store unavailable");
        }
        let key = ClientKey::from_request(msg);
        let hw = msg.hw_addr().to_vec();
        let reservation = chosen.host.map(|i| self.cfg.reservations[i].clone());
        let menu = self.menu_for(client, chosen, server);
        // A PXE menu replaces the boot file for the clients it is for.
        let boot = if menu.is_some() {
            summary.boot_rule = Some("pxe-menu");
            None
        } else {
            self.boot_for(client, chosen, server)
        };
        if let Some(b) = &boot {
            summary.boot_rule = Some(b.rule);
        }
        match kind {
            MessageType::Discover => {
                let requested = msg.options.requested_ip();
                match self
                    .leases
                    .choose(&subnet, &key, &hw, requested, reservation.as_ref(), now)
                {
                    Ok(ip) => {
                        self.leases.hold(&key, ip, now + self.cfg.offer_hold.as_secs());
                        let mut reply = base_reply(msg, MessageType::Offer, server);
                        reply.yiaddr = ip;
                        self.fill_lease_options(&mut reply, &subnet, reservation.as_ref(), &chosen.member, server);
                        if let Some(b) = &boot {
                            boot::apply(b, client, &mut reply, false);
                        }
                        if let Some(m) = &menu {
                            apply_menu(&mut reply, client, m);
                        }
                        Action::Send(Reply {
                            dest: destination(msg, &reply, src, ingress),
                            src: server,
                            msg: reply,
                            limit: usize::MAX,
                        })
                    }
                    Err(NoAddress::PoolExhausted) => {
                        summary.detail = Some(format!("every address of {} is in use", subnet.net));
                        Action::Ignore("address pool exhausted")
                    }
                    Err(NoAddress::ReservationTaken { ip }) => {
                        summary.detail = Some(format!("reserved address {ip} is leased to another client"));
                        Action::Ignore("reserved address taken")
                    }
                }
            }
            MessageType::Request => self.request(
                msg,
                client,
                &chosen.member,
                menu.as_deref(),
                &key,
                &hw,
                &subnet,
                reservation.as_ref(),
                boot.as_ref(),
                src,
                ingress,
                server,
                now,
                summary,
            ),
            MessageType::Release => {
                summary.ip = Some(msg.ciaddr);
                match self.leases.release(&key, msg.ciaddr, now) {
                    Some(lease) => Action::Persist(lease),
                    None => Action::Ignore("release of an address the client does not hold"),
                }
            }
            MessageType::Decline => {
                let Some(ip) = msg.options.requested_ip() else {
                    return Action::Ignore("DECLINE without a requested address");
                };
                if msg.options.server_id().is_some_and(|s| s != server) {
                    return Action::Ignore("DECLINE for another server");
                }
                summary.ip = Some(ip);
                summary.detail = Some("address declined: on probation".into());
                Action::Persist(self.leases.decline(&key, &hw, ip, now + self.cfg.probation.as_secs()))
            }
            MessageType::Inform => {
                let mut reply = base_reply(msg, MessageType::Ack, server);
                reply.ciaddr = msg.ciaddr;
                self.fill_lease_options(&mut reply, &subnet, reservation.as_ref(), &chosen.member, server);
                for c in [code::LEASE_TIME, code::RENEWAL_TIME, code::REBINDING_TIME] {
                    reply.options.remove(c);
                }
                if let Some(b) = &boot {
                    boot::apply(b, client, &mut reply, false);
                }
                if let Some(m) = &menu {
                    apply_menu(&mut reply, client, m);
                }
                Action::Send(Reply {
                    dest: destination(msg, &reply, src, ingress),
                    src: server,
                    msg: reply,
                    limit: usize::MAX,
                })
            }
            _ => Action::Ignore("not a client message type"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &mut self,
        msg: &Message,
        client: &Client,
        member: &[bool],
        menu: Option<&[u8]>,
        key: &ClientKey,
        hw: &[u8],
        subnet: &Subnet,
        reservation: Option<&Reservation>,
        boot: Option<&BootAnswer>,
        src: SocketAddrV4,
        ingress: &Ingress,
        server: Ipv4Addr,
        now: UnixTime,
        summary: &mut Summary,
    ) -> Action {
        let requested = msg.options.requested_ip();
        let server_id = msg.options.server_id();
        let ip = match (server_id, requested, msg.ciaddr.is_unspecified()) {
            // SELECTING: the client chose an offer.
            (Some(sid), Some(ip), _) => {
                if sid != server {
                    self.leases.drop_offer(key);
                    return Action::Ignore("the client chose another server's offer");
                }
                ip
            }
            (Some(_), None, _) => return Action::Ignore("REQUEST with a server identifier but no address"),
            // INIT-REBOOT: a client that remembers its address.
            (None, Some(ip), true) => ip,
            // RENEWING / REBINDING: the client is using ciaddr.
            (None, _, false) => msg.ciaddr,
            (None, None, true) => return Action::Ignore("REQUEST without an address"),
        };
        summary.ip = Some(ip);
        let nak = |this: &Self, why: String, summary: &mut Summary| -> Action {
            summary.detail = Some(why);
            if !this.cfg.authoritative && server_id.is_none() {
                return Action::Ignore("not authoritative: staying silent");
            }
            let mut reply = base_reply(msg, MessageType::Nak, server);
            reply.flags |= if msg.giaddr.is_unspecified() { FLAG_BROADCAST } else { 0 };
            reply
                .options
                .set(code::MESSAGE, summary.detail.as_deref().unwrap_or("").as_bytes());
            Action::Send(Reply {
                dest: destination(msg, &reply, src, ingress),
                src: server,
                msg: reply,
                limit: usize::MAX,
            })
        };
        if !subnet.net.contains(ip) {
            return nak(self, format!("{ip} is not in this network ({})", subnet.net), summary);
        }
        let owned = self
            .leases
            .get(ip)
            .is_some_and(|l| l.client == *key && l.state == LeaseState::Active && l.expires > now);
        let offered = self.leases.offered_to(key, now) == Some(ip);
        let reserved = reservation.and_then(|r| r.address);
        let reserved_here = reserved == Some(ip);
        let ok = if owned || offered {
            true
        } else if reserved.is_some_and(|a| subnet.net.contains(a)) && !reserved_here {
            false
        } else {
            (subnet.in_range(ip) || reserved_here) && self.leases.available(ip, key, hw, now)
        };
        if !ok {
            if server_id.is_none()
                && !owned
                && self.leases.get(ip).is_none()
                && !subnet.in_range(ip)
                && !self.cfg.authoritative
            {
                return Action::Ignore("unknown address outside the ranges");
            }
            return nak(self, format!("{ip} is not available to this client"), summary);
        }
        let lease = Lease {
            ip,
            client: key.clone(),
            hw: hw.to_vec(),
            hostname: reservation
                .and_then(|r| r.hostname.clone())
                .or_else(|| msg.options.hostname()),
            expires: now + subnet.lease_time.as_secs(),
            state: LeaseState::Active,
        };
        let leases = self.leases.bind(lease);
        // What to answer instead when another replica took the address
        // first: the NAK this server would give for an address that is not
        // available (or silence, when not authoritative and not chosen).
        let nak = match nak(
            self,
            format!("{ip} was just given to another client"),
            &mut Summary::default(),
        ) {
            Action::Send(r) => Some(r),
            _ => None,
        };
        let mut reply = base_reply(msg, MessageType::Ack, server);
        reply.yiaddr = ip;
        reply.ciaddr = msg.ciaddr;
        self.fill_lease_options(&mut reply, subnet, reservation, member, server);
        if let Some(b) = boot {
            boot::apply(b, client, &mut reply, false);
        }
        if let Some(m) = menu {
            apply_menu(&mut reply, client, m);
        }
        Action::PersistThenSend {
            leases,
            reply: Reply {
                dest: destination(msg, &reply, src, ingress),
                src: server,
                msg: reply,
                limit: usize::MAX,
            },
            nak,
        }
    }

    /// The options of an address reply, from the lowest precedence to the
    /// highest: the global options, the subnet's keys and options, the
    /// classes' options in file order, the host's. An empty value leaves
    /// the option out.
    fn fill_lease_options(
        &self,
        reply: &mut Message,
        subnet: &Subnet,
        reservation: Option<&Reservation>,
        member: &[bool],
        server: Ipv4Addr,
    ) {
        let o = &mut reply.options;
        for (c, v) in &self.cfg.options {
            set_configured(o, *c, v, server);
        }
        let lease = subnet.lease_time.as_secs().min(u32::MAX as u64) as u32;
        o.set_u32(code::LEASE_TIME, lease);
        o.set_u32(code::RENEWAL_TIME, lease / 2);
        o.set_u32(code::REBINDING_TIME, (lease as u64 * 7 / 8) as u32);
        o.set_ip(code::SUBNET_MASK, subnet.net.mask());
        o.set_ip(code::BROADCAST, subnet.net.broadcast());
        if !subnet.routers.is_empty() {
            o.set_ips(code::ROUTER, &subnet.routers);
        }
        if !subnet.dns.is_empty() {
            o.set_ips(code::DNS, &subnet.dns);
        } else if let Some(own) = self.cfg.dns_server
            && !o.contains(code::DNS)
        {
            o.set_ips(code::DNS, &[if own.is_unspecified() { server } else { own }]);
        }
        if let Some(d) = &subnet.domain {
            o.set(code::DOMAIN_NAME, d.as_bytes());
        } else if let Some(d) = &self.cfg.dns_domain
            && !o.contains(code::DOMAIN_NAME)
        {
            o.set(code::DOMAIN_NAME, d.as_bytes());
        }
        if let Some(h) = reservation.and_then(|r| r.hostname.as_deref()) {
            o.set(code::HOSTNAME, h.as_bytes());
        }
        if !subnet.ntp.is_empty() {
            o.set_ips(code::NTP, &subnet.ntp);
        }
        if let Some(mtu) = subnet.mtu {
            o.set(code::INTERFACE_MTU, &mtu.to_be_bytes());
        }
        if !subnet.routes.is_empty() {
            o.set(code::CLASSLESS_ROUTES, &classless_routes(&subnet.routes));
        }
        let classes = self.cfg.classes.iter().zip(member).filter(|(_, m)| **m).map(|(c, _)| c);
        let layers = std::iter::once(&subnet.options)
            .chain(classes.map(|c| &c.options))
            .chain(reservation.map(|r| &r.options));
        for (c, v) in layers.flatten() {
            set_configured(o, *c, v, server);
        }
        let empty: Vec<u8> = o.iter().filter(|(_, v)| v.is_empty()).map(|(c, _)| c).collect();
        for c in empty {
            o.remove(c);
        }
    }

    /// Option 43 with a PXE menu, for a PXE client (not one with a host
    /// boot file) whose architecture has services it may see.
    fn menu_for(&self, client: &Client, chosen: &Chosen, server: Ipv4Addr) -> Option<Vec<u8>> {
        if self.cfg.pxe.is_empty() || client.vendor != Some(PxeVendor::PxeClient) {
            return None;
        }
        if chosen.host.is_some_and(|h| self.cfg.reservations[h].boot.is_some()) {
            return None;
        }
        let arch = *client.arch_codes.first()?;
        let shown = self.cfg.pxe.shown(arch, &chosen.member);
        (!shown.is_empty()).then(|| self.cfg.pxe.option43(&shown, server))
    }

    /// The boot answer: the host's file, else the last matching class's,
    /// else (unless turned off) the built-in table.
    fn boot_for(&self, client: &Client, chosen: &Chosen, server: Ipv4Addr) -> Option<BootAnswer> {
        if let Some(b) = chosen.host.and_then(|h| self.cfg.reservations[h].boot.as_ref()) {
            return Some(BootAnswer::configured(b, client, server, "host"));
        }
        let by_class = self
            .cfg
            .classes
            .iter()
            .zip(&chosen.member)
            .filter(|(_, m)| **m)
            .filter_map(|(c, _)| c.boot.as_ref())
            .next_back();
        if let Some(b) = by_class {
            return Some(BootAnswer::configured(b, client, server, "class"));
        }
        if self.cfg.boot.builtin {
            boot::decide(client, &self.cfg.boot, server)
        } else {
            None
        }
    }

    /// The subnet a request belongs to: the relay's (giaddr, or option 118),
    /// else the one containing an address of the ingress interface.
    fn subnet_for(&self, msg: &Message, ingress: &Ingress) -> Option<&Subnet> {
        let anchor = msg
            .options
            .subnet_selection()
            .or((!msg.giaddr.is_unspecified()).then_some(msg.giaddr));
        match anchor {
            Some(ip) => self.cfg.subnets.iter().find(|s| s.net.contains(ip)),
            None => ingress
                .nets
                .iter()
                .find_map(|n| self.cfg.subnets.iter().find(|s| s.net.contains(n.addr))),
        }
    }
}

/// Sets a configured option. In an address option, 0.0.0.0 stands for the
/// address that answered (dnsmasq's convention, and its default router).
fn set_configured(o: &mut Options, c: u8, v: &[u8], server: Ipv4Addr) {
    let addresses = crate::optdef::by_code(c).is_some_and(|d| {
        matches!(
            d.ty,
            crate::optdef::ValueType::Ip | crate::optdef::ValueType::Ips | crate::optdef::ValueType::IpPairs
        )
    });
    if addresses && v.len().is_multiple_of(4) && v.chunks(4).any(|a| a == [0, 0, 0, 0]) {
        let replaced: Vec<u8> = v
            .chunks(4)
            .flat_map(|a| {
                if a == [0, 0, 0, 0] {
                    server.octets()
                } else {
                    [a[0], a[1], a[2], a[3]]
                }
            })
            .collect();
        o.set(c, &replaced);
    } else {
        o.set(c, v);
    }
}

/// A menu offer: the menu, the PXE vendor class and the client's UUID.
fn apply_menu(reply: &mut Message, client: &Client, menu: &[u8]) {
    reply
        .options
        .set(code::VENDOR_CLASS, PxeVendor::PxeClient.as_str().as_bytes());
    if let Some(uuid) = &client.uuid {
        reply.options.set(code::CLIENT_UUID, uuid);
    }
    reply.options.set(code::VENDOR_SPECIFIC, menu);
}

/// What a request was found to be: its classes (by index, in file order)
/// and its host entry.
struct Chosen {
    member: Vec<bool>,
    host: Option<usize>,
}

/// Options a reply cannot do without: the protocol's own, the lease, the
/// relay's, and the boot answer's. Everything else may be left out when
/// the reply would not fit.
fn essential(c: u8) -> bool {
    matches!(
        c,
        code::MESSAGE_TYPE
            | code::SERVER_ID
            | code::LEASE_TIME
            | code::RENEWAL_TIME
            | code::REBINDING_TIME
            | code::SUBNET_MASK
            | code::MESSAGE
            | code::RELAY_AGENT
            | code::VENDOR_CLASS
            | code::VENDOR_SPECIFIC
            | code::CLIENT_UUID
            | code::IPXE
            | code::TFTP_SERVER
            | code::BOOTFILE
    )
}

/// Orders a reply's options by the client's request list and makes it fit
/// `limit` bytes: overloaded into `file` and `sname` when they are free,
/// and, when even that is not enough, without the options asked for last
/// (those not asked for go first). What was left out is reported.
fn fit(reply: &mut Reply, requested: &[u8], limit: usize, dropped: &mut Vec<u8>) {
    let msg = &mut reply.msg;
    msg.options.order_by_request(requested);
    reply.limit = limit;
    if msg.fits(limit) {
        return;
    }
    let mut removed: Vec<(u8, Vec<u8>)> = Vec::new();
    while !msg.fits(limit) {
        let victim = msg.options.iter().filter(|(c, _)| !essential(*c)).last();
        match victim {
            Some((c, v)) => {
                removed.push((c, v.to_vec()));
                msg.options.remove(c);
            }
            // Only essentials left and still too big: send it whole; a
            // client that cannot take it is no worse off than with nothing.
            None => {
                reply.limit = usize::MAX;
                break;
            }
        }
    }
    // Removing from the end may have taken out small options that fit
    // beside the rest once a big one was gone: put back what fits, the
    // most wanted first.
    for (c, v) in removed.into_iter().rev() {
        msg.options.set(c, &v);
        msg.options.order_by_request(requested);
        if !msg.fits(limit) {
            msg.options.remove(c);
            dropped.push(c);
        }
    }
}

/// The address kindling answers from: the one the request was sent to when
/// unicast (relays, port 4011), else the ingress interface's address (the
/// one in the relay's network when relayed).
fn server_address(msg: &Message, ingress: &Ingress) -> Ipv4Addr {
    if !ingress.local.is_unspecified() && !ingress.local.is_broadcast() && ingress.dst == ingress.local {
        return ingress.local;
    }
    if !msg.giaddr.is_unspecified()
        && let Some(n) = ingress.nets.iter().find(|n| n.contains(msg.giaddr))
    {
        return n.addr;
    }
    ingress.nets.first().map(|n| n.addr).unwrap_or(ingress.local)
}

fn base_reply(req: &Message, kind: MessageType, server: Ipv4Addr) -> Message {
    let mut options = Options::default();
    options.set(code::MESSAGE_TYPE, &[kind.to_u8()]);
    options.set_ip(code::SERVER_ID, server);
    if let Some(relay) = req.options.get(code::RELAY_AGENT) {
        // RFC 3046: echoed in every reply (the encoder puts it last).
        options.set(code::RELAY_AGENT, relay);
    }
    Message {
        op: Op::Reply,
        htype: req.htype,
        hlen: req.hlen,
        hops: req.hops,
        xid: req.xid,
        secs: 0,
        flags: req.flags,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: req.giaddr,
        chaddr: req.chaddr,
        sname: Vec::new(),
        file: Vec::new(),
        options,
    }
}

/// RFC 2131 §4.1 reply addressing (relays, renewing clients, broadcast
/// flag, clients without an address), plus port 4011's unicast back to
/// the asking port.
fn destination(req: &Message, reply: &Message, src: SocketAddrV4, ingress: &Ingress) -> Destination {
    let ifindex = ingress.ifindex;
    if ingress.port == PXE_PORT {
        return Destination::Unicast {
            to: src,
            ifindex,
            arp: None,
        };
    }
    if !req.giaddr.is_unspecified() {
        return Destination::Unicast {
            to: SocketAddrV4::new(req.giaddr, SERVER_PORT),
            ifindex: 0,
            arp: None,
        };
    }
    if src.port() != CLIENT_PORT && !src.ip().is_unspecified() {
        // A test client on another port (perfdhcp -L, scripts): answer it directly.
        return Destination::Unicast {
            to: src,
            ifindex,
            arp: None,
        };
    }
    let is_nak = reply.options.message_type() == Some(MessageType::Nak);
    if !is_nak && !req.ciaddr.is_unspecified() {
        return Destination::Unicast {
            to: SocketAddrV4::new(req.ciaddr, CLIENT_PORT),
            ifindex,
            arp: None,
        };
    }
    if is_nak || req.flags & FLAG_BROADCAST != 0 || reply.yiaddr.is_unspecified() {
        return Destination::Broadcast {
            ifindex,
            port: CLIENT_PORT,
        };
    }
    Destination::Unicast {
        to: SocketAddrV4::new(reply.yiaddr, CLIENT_PORT),
        ifindex,
        arp: Some(req.hw_addr().to_vec()),
    }
}

/// Option 121: for each route, the prefix length, the significant octets
/// of the destination, then the gateway.
fn classless_routes(routes: &[crate::config::Route]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in routes {
        let width = r.destination.prefix.div_ceil(8) as usize;
        out.push(r.destination.prefix);
        out.extend_from_slice(&r.destination.network().octets()[..width]);
        out.extend_from_slice(&r.gateway.octets());
    }
    out
}

fn hex_mac(hw: &[u8]) -> String {
    hw.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}
