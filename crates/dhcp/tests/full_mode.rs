//! Full-mode exchanges through the state machine: DORA, renewing,
//! rebinding, INIT-REBOOT, NAK for a wrong network, RELEASE, DECLINE and
//! probation, INFORM, reservations, relays, and reply addressing.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dhcp::options::code;
use dhcp::server::{Action, Destination, Ingress};
use dhcp::{DhcpConfig, LeaseState, Message, MessageType, Mode, Net, Op, Reservation, Route, Server, Subnet};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const NOW: u64 = 1_800_000_000;

fn cfg() -> DhcpConfig {
    let mut cfg = DhcpConfig {
        mode: Mode::Full,
        ..Default::default()
    };
    let net = Net::parse("10.99.0.0/24").unwrap();
    cfg.subnets.push(Subnet {
        net,
        ranges: vec![(Ipv4Addr::new(10, 99, 0, 100), Ipv4Addr::new(10, 99, 0, 102))],
        lease_time: Duration::from_secs(600),
        routers: vec![SERVER],
        dns: vec![SERVER, Ipv4Addr::new(10, 99, 0, 2)],
        domain: Some("lab.example".into()),
        ntp: vec![SERVER],
        mtu: Some(1400),
        routes: vec![Route {
            destination: Net::parse("10.1.0.0/16").unwrap(),
            gateway: Ipv4Addr::new(10, 99, 0, 254),
        }],
        options: vec![],
    });
    cfg.subnets.push(Subnet {
        net: Net::parse("10.50.0.0/24").unwrap(),
        ranges: vec![(Ipv4Addr::new(10, 50, 0, 10), Ipv4Addr::new(10, 50, 0, 20))],
        lease_time: Duration::from_secs(600),
        routers: vec![],
        dns: vec![],
        domain: None,
        ntp: vec![],
        mtu: None,
        routes: vec![],
        options: vec![],
    });
    cfg.reservations.push(Reservation::address(
        model::Mac::parse("52:54:00:00:00:aa").unwrap(),
        Ipv4Addr::new(10, 99, 0, 10),
        Some("node-aa".into()),
    ));
    cfg
}

fn ingress() -> Ingress {
    Ingress {
        ifindex: 3,
        ifname: "veth0".into(),
        nets: vec![Net::parse("10.99.0.1/24").unwrap()],
        local: Ipv4Addr::BROADCAST,
        dst: Ipv4Addr::BROADCAST,
        port: 67,
    }
}

fn msg(kind: MessageType, mac_last: u8) -> Message {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[0x52, 0x54, 0, 0, 0, mac_last]);
    let mut m = Message {
        op: Op::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 77,
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: vec![],
        file: vec![],
        options: Default::default(),
    };
    m.options.set(code::MESSAGE_TYPE, &[kind.to_u8()]);
    m
}

fn client_src() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68)
}

fn run(s: &mut Server, m: &Message, now: u64) -> Action {
    s.handle(&m.encode(), client_src(), &ingress(), now).action
}

fn reply(a: &Action) -> &Message {
    match a {
        Action::Send(r) | Action::PersistThenSend { reply: r, .. } => &r.msg,
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// DISCOVER → OFFER → REQUEST (selecting) → ACK; returns the address.
fn dora(s: &mut Server, mac_last: u8, now: u64) -> Ipv4Addr {
    let offer = run(s, &msg(MessageType::Discover, mac_last), now);
    let ip = reply(&offer).yiaddr;
    assert_eq!(reply(&offer).options.message_type(), Some(MessageType::Offer));
    let mut req = msg(MessageType::Request, mac_last);
    req.options.set_ip(code::SERVER_ID, SERVER);
    req.options.set_ip(code::REQUESTED_IP, ip);
    let ack = run(s, &req, now);
    let Action::PersistThenSend { leases, reply: r, nak } = &ack else {
        panic!("{ack:?}")
    };
    let lease = &leases[0];
    assert_eq!((lease.ip, lease.state), (ip, LeaseState::Active));
    // Should another replica take the address first, the client hears NAK.
    let nak = &nak.as_ref().expect("a NAK to send instead").msg;
    assert_eq!(nak.options.message_type(), Some(MessageType::Nak));
    assert_eq!(r.msg.options.message_type(), Some(MessageType::Ack));
    assert_eq!(r.msg.yiaddr, ip);
    ip
}

#[test]
fn dora_gives_an_address_with_every_option() {
    let mut s = Server::new(cfg(), []);
    let offer = run(&mut s, &msg(MessageType::Discover, 1), NOW);
    let o = &reply(&offer).options;
    assert_eq!(o.ip(code::SUBNET_MASK), Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(o.get(code::ROUTER), Some(&[10, 99, 0, 1][..]));
    assert_eq!(o.get(code::DNS), Some(&[10, 99, 0, 1, 10, 99, 0, 2][..]));
    assert_eq!(o.get(code::DOMAIN_NAME), Some(&b"lab.example"[..]));
    assert_eq!(o.get(code::LEASE_TIME), Some(&600u32.to_be_bytes()[..]));
    assert_eq!(o.get(code::RENEWAL_TIME), Some(&300u32.to_be_bytes()[..]));
    assert_eq!(o.get(code::REBINDING_TIME), Some(&525u32.to_be_bytes()[..]));
    assert_eq!(o.get(code::INTERFACE_MTU), Some(&1400u16.to_be_bytes()[..]));
    assert_eq!(o.get(code::CLASSLESS_ROUTES), Some(&[16, 10, 1, 10, 99, 0, 254][..]));
    assert_eq!(o.server_id(), Some(SERVER));
    let ip = dora(&mut s, 1, NOW);
    assert!((100..=102).contains(&ip.octets()[3]));
}

#[test]
fn unicast_to_a_client_without_an_address_injects_arp() {
    let mut s = Server::new(cfg(), []);
    let Action::Send(r) = run(&mut s, &msg(MessageType::Discover, 1), NOW) else {
        panic!()
    };
    assert_eq!(
        r.dest,
        Destination::Unicast {
            to: SocketAddrV4::new(r.msg.yiaddr, 68),
            ifindex: 3,
            arp: Some(vec![0x52, 0x54, 0, 0, 0, 1])
        }
    );
    let mut d = msg(MessageType::Discover, 2);
    d.flags = 0x8000;
    let Action::Send(r) = run(&mut s, &d, NOW) else {
        panic!()
    };
    assert_eq!(r.dest, Destination::Broadcast { ifindex: 3, port: 68 });
}

#[test]
fn renewing_and_rebinding_extend_the_lease() {
    let mut s = Server::new(cfg(), []);
    let ip = dora(&mut s, 1, NOW);
    let mut renew = msg(MessageType::Request, 1);
    renew.ciaddr = ip;
    let a = s.handle(
        &renew.encode(),
        SocketAddrV4::new(ip, 68),
        &Ingress {
            local: SERVER,
            dst: SERVER,
            ..ingress()
        },
        NOW + 300,
    );
    let Action::PersistThenSend { leases, reply: r, .. } = a.action else {
        panic!()
    };
    assert_eq!(leases[0].expires, NOW + 300 + 600);
    assert_eq!(
        r.dest,
        Destination::Unicast {
            to: SocketAddrV4::new(ip, 68),
            ifindex: 3,
            arp: None
        }
    );
    // Rebinding: broadcast, ciaddr set.
    let a = run(&mut s, &renew, NOW + 550);
    assert!(matches!(a, Action::PersistThenSend { .. }));
}

#[test]
fn init_reboot_acks_own_address_and_naks_a_wrong_network() {
    let mut s = Server::new(cfg(), []);
    let ip = dora(&mut s, 1, NOW);
    let mut reboot = msg(MessageType::Request, 1);
    reboot.options.set_ip(code::REQUESTED_IP, ip);
    assert!(matches!(run(&mut s, &reboot, NOW + 10), Action::PersistThenSend { .. }));
    // The machine moved here from another network: NAK, broadcast.
    reboot.options.set_ip(code::REQUESTED_IP, Ipv4Addr::new(192, 168, 7, 7));
    let a = run(&mut s, &reboot, NOW + 10);
    let Action::Send(r) = &a else { panic!("{a:?}") };
    assert_eq!(r.msg.options.message_type(), Some(MessageType::Nak));
    assert_eq!(r.dest, Destination::Broadcast { ifindex: 3, port: 68 });
    // Another client's address: NAK.
    let mut other = msg(MessageType::Request, 2);
    other.options.set_ip(code::REQUESTED_IP, ip);
    assert_eq!(
        reply(&run(&mut s, &other, NOW + 10)).options.message_type(),
        Some(MessageType::Nak)
    );
}

#[test]
fn selecting_another_server_releases_the_offer() {
    let mut s = Server::new(cfg(), []);
    let ip = reply(&run(&mut s, &msg(MessageType::Discover, 1), NOW)).yiaddr;
    let mut req = msg(MessageType::Request, 1);
    req.options.set_ip(code::SERVER_ID, Ipv4Addr::new(10, 99, 0, 77));
    req.options.set_ip(code::REQUESTED_IP, ip);
    assert!(matches!(run(&mut s, &req, NOW), Action::Ignore(_)));
    // The address is free for others right away.
    let mut d2 = msg(MessageType::Discover, 2);
    d2.options.set_ip(code::REQUESTED_IP, ip);
    assert_eq!(reply(&run(&mut s, &d2, NOW)).yiaddr, ip);
}

#[test]
fn release_frees_and_decline_puts_on_probation() {
    let mut s = Server::new(cfg(), []);
    let ip = dora(&mut s, 1, NOW);
    let mut rel = msg(MessageType::Release, 1);
    rel.ciaddr = ip;
    rel.options.set_ip(code::SERVER_ID, SERVER);
    let Action::Persist(lease) = run(&mut s, &rel, NOW + 5) else {
        panic!()
    };
    assert_eq!(lease.state, LeaseState::Released);
    // Declined by client 2: nobody gets it during probation.
    let ip2 = dora(&mut s, 2, NOW + 6);
    let mut dec = msg(MessageType::Decline, 2);
    dec.options.set_ip(code::REQUESTED_IP, ip2);
    dec.options.set_ip(code::SERVER_ID, SERVER);
    let Action::Persist(lease) = run(&mut s, &dec, NOW + 7) else {
        panic!()
    };
    assert_eq!(lease.state, LeaseState::Probation);
    for n in 3..6 {
        let a = run(&mut s, &msg(MessageType::Discover, n), NOW + 8);
        if let Action::Send(r) = a {
            assert_ne!(r.msg.yiaddr, ip2);
        }
    }
}

#[test]
fn pool_exhaustion_is_silent_and_reported() {
    let mut s = Server::new(cfg(), []);
    for n in 1..=3 {
        dora(&mut s, n, NOW);
    }
    let h = s.handle(&msg(MessageType::Discover, 9).encode(), client_src(), &ingress(), NOW);
    assert!(matches!(h.action, Action::Ignore("address pool exhausted")));
    assert!(h.summary.detail.unwrap().contains("10.99.0.0/24"));
    // Once the leases expire the pool is usable again.
    assert!(matches!(
        run(&mut s, &msg(MessageType::Discover, 9), NOW + 601),
        Action::Send(_)
    ));
}

#[test]
fn reservation_gets_its_address_and_hostname() {
    let mut s = Server::new(cfg(), []);
    let ip = dora(&mut s, 0xaa, NOW);
    assert_eq!(ip, Ipv4Addr::new(10, 99, 0, 10));
    let offer = run(&mut s, &msg(MessageType::Discover, 0xaa), NOW);
    assert_eq!(reply(&offer).options.get(code::HOSTNAME), Some(&b"node-aa"[..]));
}

#[test]
fn inform_gets_options_without_a_lease() {
    let mut s = Server::new(cfg(), []);
    let mut inform = msg(MessageType::Inform, 4);
    inform.ciaddr = Ipv4Addr::new(10, 99, 0, 50);
    let a = run(&mut s, &inform, NOW);
    let Action::Send(r) = &a else { panic!() };
    assert_eq!(r.msg.options.message_type(), Some(MessageType::Ack));
    assert!(r.msg.yiaddr.is_unspecified() && !r.msg.options.contains(code::LEASE_TIME));
    assert!(r.msg.options.contains(code::DNS));
    assert_eq!(
        r.dest,
        Destination::Unicast {
            to: SocketAddrV4::new(Ipv4Addr::new(10, 99, 0, 50), 68),
            ifindex: 3,
            arp: None
        }
    );
}

#[test]
fn relayed_requests_get_their_subnet_and_go_back_to_the_relay_with_option_82() {
    let mut s = Server::new(cfg(), []);
    let mut d = msg(MessageType::Discover, 5);
    d.giaddr = Ipv4Addr::new(10, 50, 0, 1);
    d.hops = 1;
    d.options.set(code::RELAY_AGENT, &[1, 4, b'p', b'o', b'r', b't']);
    let relay_ingress = Ingress {
        local: SERVER,
        dst: SERVER,
        ..ingress()
    };
    let h = s.handle(
        &d.encode(),
        SocketAddrV4::new(Ipv4Addr::new(10, 50, 0, 1), 67),
        &relay_ingress,
        NOW,
    );
    let Action::Send(r) = h.action else { panic!() };
    assert_eq!(
        r.dest,
        Destination::Unicast {
            to: SocketAddrV4::new(Ipv4Addr::new(10, 50, 0, 1), 67),
            ifindex: 0,
            arp: None
        }
    );
    assert!(
        (10..=20).contains(&r.msg.yiaddr.octets()[3])
            && r.msg.yiaddr.octets()[2] == 0
            && r.msg.yiaddr.octets()[1] == 50
    );
    assert_eq!((r.msg.giaddr, r.msg.hops), (Ipv4Addr::new(10, 50, 0, 1), 1));
    assert_eq!(
        r.msg.options.get(code::RELAY_AGENT),
        Some(&[1, 4, b'p', b'o', b'r', b't'][..])
    );
    // Option 82 is the last option on the wire.
    let bytes = r.msg.encode();
    let end = bytes.iter().rposition(|&b| b == 255).unwrap();
    let opt82 = [82u8, 6, 1, 4, b'p', b'o', b'r', b't'];
    assert_eq!(&bytes[end - opt82.len()..end], &opt82);
}

#[test]
fn leases_survive_a_restart() {
    let mut s = Server::new(cfg(), []);
    let ip = dora(&mut s, 1, NOW);
    let saved: Vec<_> = s.leases().iter().cloned().collect();
    let mut s2 = Server::new(cfg(), saved);
    // Another client never gets it; the owner does.
    for n in 2..=3 {
        assert_ne!(dora(&mut s2, n, NOW + 1), ip);
    }
    assert_eq!(reply(&run(&mut s2, &msg(MessageType::Discover, 1), NOW + 1)).yiaddr, ip);
}

#[test]
fn malformed_and_foreign_packets_are_dropped() {
    let mut s = Server::new(cfg(), []);
    for bytes in [&b""[..], &[1u8; 100], &[2u8; 300]] {
        assert!(matches!(
            s.handle(bytes, client_src(), &ingress(), NOW).action,
            Action::Ignore(_)
        ));
    }
    let mut offer = msg(MessageType::Offer, 1);
    offer.op = Op::Reply;
    assert!(matches!(run(&mut s, &offer, NOW), Action::Ignore(_)));
    let mut no_type = msg(MessageType::Discover, 1);
    no_type.options.remove(code::MESSAGE_TYPE);
    assert!(matches!(run(&mut s, &no_type, NOW), Action::Ignore(_)));
}

/// With kindling's DNS on, a subnet without DNS servers or domain gets the
/// answering address and the DNS domain, as dnsmasq does; a subnet that
/// lists its own keeps them.
#[test]
fn own_dns_service_fills_subnets_without_dns() {
    let mut c = cfg();
    c.subnets[0].dns.clear();
    c.subnets[0].domain = None;
    let mut plain = Server::new(c.clone(), []);
    let offer = run(&mut plain, &msg(MessageType::Discover, 1), NOW);
    assert!(reply(&offer).options.get(code::DNS).is_none());
    assert!(reply(&offer).options.get(code::DOMAIN_NAME).is_none());

    c.dns_server = Some(Ipv4Addr::UNSPECIFIED);
    c.dns_domain = Some("dns.example".into());
    let mut s = Server::new(c.clone(), []);
    let offer = run(&mut s, &msg(MessageType::Discover, 1), NOW);
    assert_eq!(reply(&offer).options.get(code::DNS), Some(&SERVER.octets()[..]));
    assert_eq!(reply(&offer).options.get(code::DOMAIN_NAME), Some(&b"dns.example"[..]));

    c.dns_server = Some(Ipv4Addr::new(10, 99, 0, 53));
    let mut s = Server::new(c, []);
    let offer = run(&mut s, &msg(MessageType::Discover, 1), NOW);
    assert_eq!(reply(&offer).options.get(code::DNS), Some(&[10, 99, 0, 53][..]));

    let mut own = cfg();
    own.dns_server = Some(Ipv4Addr::UNSPECIFIED);
    own.dns_domain = Some("dns.example".into());
    let mut s = Server::new(own, []);
    let offer = run(&mut s, &msg(MessageType::Discover, 1), NOW);
    assert_eq!(
        reply(&offer).options.get(code::DNS),
        Some(&[10, 99, 0, 1, 10, 99, 0, 2][..])
    );
    assert_eq!(reply(&offer).options.get(code::DOMAIN_NAME), Some(&b"lab.example"[..]));
}

#[test]
fn without_a_durable_lease_store_discover_and_request_go_unanswered() {
    let mut s = Server::new(cfg(), []);
    let ip = dora(&mut s, 1, NOW);
    s.set_leases_writable(false);
    assert!(matches!(
        run(&mut s, &msg(MessageType::Discover, 2), NOW),
        Action::Ignore("lease store unavailable")
    ));
    let mut renew = msg(MessageType::Request, 1);
    renew.ciaddr = ip;
    assert!(matches!(run(&mut s, &renew, NOW + 5), Action::Ignore(_)));
    // Answers that create or extend no lease still go out.
    let mut inform = msg(MessageType::Inform, 1);
    inform.ciaddr = ip;
    assert!(matches!(run(&mut s, &inform, NOW + 5), Action::Send(_)));
    s.set_leases_writable(true);
    assert!(matches!(run(&mut s, &renew, NOW + 6), Action::PersistThenSend { .. }));
}

/// Two replicas sharing one store, each with its own view, never ACK one
/// address to two clients: a replica that learns of the other's record
/// (the store's compare-and-swap tells it when it loses a race) stops
/// offering the address, and a REQUEST for it is NAKed.
#[test]
fn a_replica_that_learns_of_a_remote_lease_stops_offering_its_address() {
    let mut a = Server::new(cfg(), []);
    let mut b = Server::new(cfg(), []);
    let ip = dora(&mut a, 1, NOW);
    let Action::Send(offer) = run(&mut b, &msg(MessageType::Discover, 2), NOW) else {
        panic!()
    };
    assert_eq!(offer.msg.yiaddr, ip, "b knows nothing of a's lease yet");
    // The store tells b who holds the address now.
    let held = a.leases().get(ip).cloned().unwrap();
    b.apply_remote(ip, Some(held));
    let mut req = msg(MessageType::Request, 2);
    req.options.set_ip(code::SERVER_ID, SERVER);
    req.options.set_ip(code::REQUESTED_IP, ip);
    let a2 = run(&mut b, &req, NOW + 1);
    assert_eq!(reply(&a2).options.message_type(), Some(MessageType::Nak));
    let Action::Send(offer) = run(&mut b, &msg(MessageType::Discover, 2), NOW + 2) else {
        panic!()
    };
    assert_ne!(offer.msg.yiaddr, ip);
}
