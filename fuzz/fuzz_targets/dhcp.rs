//! Any datagram through the DHCP decoder and the state machine (full and
//! proxy mode, ports 67 and 4011, with classes of every kind of match, a
//! PXE menu and options to fit): a reply or a drop, never a panic, and
//! every reply within the size the request allows.
#![no_main]

use std::net::{Ipv4Addr, SocketAddrV4};

use dhcp::pxe::{Menu, Service};
use dhcp::server::{Action, Ingress};
use dhcp::{BootFile, Class, ClassRef, DhcpConfig, MacPattern, Match, Mode, Net, OptionMatch, Server, Subnet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dhcp::Message::decode(data);
    for mode in [Mode::Full, Mode::Proxy] {
        let mut cfg = DhcpConfig {
            mode,
            ..Default::default()
        };
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
            options: vec![(119, vec![7; 300]), (224, vec![1; 200])],
        });
        cfg.options = vec![(3, vec![0, 0, 0, 0])];
        cfg.classes = classes();
        cfg.pxe = Menu {
            services: vec![Service {
                csa: 0,
                text: "menu".into(),
                boot: BootFile {
                    file: "undionly.kpxe".into(),
                    server: None,
                    server_name: None,
                },
                classes: vec![ClassRef {
                    index: 1,
                    negated: true,
                }],
            }],
            prompt: Some((5, "p".into())),
        };
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
            let h = s.handle(data, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68), &ingress, 1000);
            if let Action::Send(r) | Action::PersistThenSend { reply: r, .. } = h.action
                && r.limit != usize::MAX
            {
                let bytes = r.msg.encode_within(r.limit).expect("the server fitted the reply");
                assert!(bytes.len() <= r.limit);
            }
        }
    }
});

fn boot(file: &str) -> Option<BootFile> {
    Some(BootFile {
        file: file.into(),
        server: None,
        server_name: None,
    })
}

fn classes() -> Vec<Class> {
    let class = |name: &str, m: Match, file: Option<&str>| Class {
        name: name.into(),
        matches: vec![m],
        options: vec![(42, vec![0, 0, 0, 0]), (225, vec![2; 100])],
        boot: file.and_then(boot),
        ignore: false,
    };
    vec![
        class(
            "arch",
            Match {
                arch: vec![0, 7],
                ..Match::default()
            },
            Some("a"),
        ),
        class(
            "ipxe",
            Match {
                user_class: Some(b"iPXE".to_vec()),
                option: Some(OptionMatch { code: 175, value: None }),
                ..Match::default()
            },
            None,
        ),
        class(
            "vc",
            Match {
                vendor_class_contains: Some(b"Arch".to_vec()),
                mac: Some(MacPattern::parse("*:*:*:*:*:*").unwrap()),
                ..Match::default()
            },
            Some("b"),
        ),
        class(
            "relay",
            Match {
                circuit_id: Some(b"x".to_vec()),
                remote_id: Some(vec![]),
                ipxe_feature: Some(19),
                ..Match::default()
            },
            None,
        ),
        class(
            "refs",
            Match {
                classes: vec![
                    ClassRef {
                        index: 0,
                        negated: false,
                    },
                    ClassRef {
                        index: 2,
                        negated: true,
                    },
                ],
                known: Some(false),
                ..Match::default()
            },
            Some("c"),
        ),
        Class {
            ignore: true,
            ..class(
                "ignore",
                Match {
                    user_class_contains: Some(b"ignore".to_vec()),
                    ..Match::default()
                },
                None,
            )
        },
    ]
}
