//! Any datagram through the DHCP decoder and the state machine (full and
//! proxy mode, ports 67 and 4011): a reply or a drop, never a panic.
#![no_main]

use std::net::{Ipv4Addr, SocketAddrV4};

use dhcp::server::Ingress;
use dhcp::{DhcpConfig, Mode, Net, Server, Subnet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dhcp::Message::decode(data);
    for mode in [Mode::Full, Mode::Proxy] {
        let mut cfg = DhcpConfig { mode, ..Default::default() };
        cfg.subnets.push(Subnet {
            net: Net::parse("10.0.0.0/24").unwrap(),
            ranges: vec![(Ipv4Addr::new(10, 0, 0, 10), Ipv4Addr::new(10, 0, 0, 20))],
            lease_time: std::time::Duration::from_secs(60),
            routers: vec![],
            dns: vec![],
            domain: None,
            ntp: vec![],
            mtu: None,
            routes: vec![],
        });
        let mut s = Server::new(cfg, []);
        for port in [67, 4011] {
            let ingress = Ingress {
                ifindex: 2,
                ifname: "eth0".into(),
                nets: vec![Net::parse("10.0.0.1/24").unwrap()],
                local: Ipv4Addr::BROADCAST,
                dst: Ipv4Addr::BROADCAST,
                port,
            };
            let _ = s.handle(data, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68), &ingress, 1000);
        }
    }
});
