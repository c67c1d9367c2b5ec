//! Wire input never panics: random and mutated datagrams through the
//! decoder and the whole state machine, in both modes and on both ports.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dhcp::server::Ingress;
use dhcp::{DhcpConfig, Message, Mode, Net, Server, Subnet};
use proptest::prelude::*;

fn server(mode: Mode) -> Server {
    let mut cfg = DhcpConfig {
        mode,
        ..Default::default()
    };
    cfg.subnets.push(Subnet {
        net: Net::parse("10.0.0.0/24").unwrap(),
        ranges: vec![(Ipv4Addr::new(10, 0, 0, 10), Ipv4Addr::new(10, 0, 0, 12))],
        lease_time: Duration::from_secs(60),
        routers: vec![],
        dns: vec![],
        domain: None,
        ntp: vec![],
        mtu: None,
        routes: vec![],
    });
    Server::new(cfg, [])
}

fn ingress(port: u16) -> Ingress {
    Ingress {
        ifindex: 2,
        ifname: "eth0".into(),
        nets: vec![Net::parse("10.0.0.1/24").unwrap()],
        local: Ipv4Addr::BROADCAST,
        dst: Ipv4Addr::BROADCAST,
        port,
    }
}

/// A valid DISCOVER to mutate.
fn seed() -> Vec<u8> {
    let mut b = vec![0u8; 240];
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    b[28..34].copy_from_slice(&[0x52, 0x54, 0, 0, 0, 1]);
    b[236..240].copy_from_slice(&dhcp::wire::MAGIC_COOKIE);
    b.extend_from_slice(&[53, 1, 1, 60, 9]);
    b.extend_from_slice(b"PXEClient");
    b.extend_from_slice(&[93, 2, 0, 7, 77, 4]);
    b.extend_from_slice(b"iPXE");
    b.extend_from_slice(&[175, 3, 19, 1, 1, 82, 4, 1, 2, 0, 0, 52, 1, 3, 255]);
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn random_datagrams(bytes in prop::collection::vec(any::<u8>(), 0..700), port in prop::sample::select(vec![67u16, 4011])) {
        for mode in [Mode::Full, Mode::Proxy] {
            let mut s = server(mode);
            let _ = s.handle(&bytes, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68), &ingress(port), 1000);
        }
        if let Ok(m) = Message::decode(&bytes) {
            // Whatever decodes re-encodes and decodes to the same message.
            let again = Message::decode(&m.encode()).unwrap();
            prop_assert_eq!(again.xid, m.xid);
        }
    }

    #[test]
    fn mutated_discovers(flips in prop::collection::vec((0usize..300, any::<u8>()), 1..12), cut in 0usize..320) {
        let mut b = seed();
        for (at, v) in flips {
            if at < b.len() {
                b[at] = v;
            }
        }
        b.truncate(cut.max(1));
        for mode in [Mode::Full, Mode::Proxy] {
            let mut s = server(mode);
            for port in [67, 4011] {
                let _ = s.handle(&b, SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 68), &ingress(port), 1000);
            }
        }
    }
}
