//! Wire input never panics: random and mutated datagrams through the
//! decoder and the whole state machine, in both modes and on both ports.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dhcp::pxe::{Menu, Service};
use dhcp::server::{Action, Ingress};
use dhcp::{BootFile, Class, ClassRef, DhcpConfig, Match, Message, Mode, Net, OptionMatch, Server, Subnet};
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
        options: vec![(119, vec![7; 300]), (224, vec![1; 200])],
    });
    // Classes of each kind, a PXE menu, options to fit: their paths too.
    cfg.options = vec![(3, vec![0, 0, 0, 0])];
    let class = |name: &str, m: Match, file: Option<&str>| Class {
        name: name.into(),
        matches: vec![m],
        options: vec![(42, vec![0, 0, 0, 0]), (225, vec![2; 100])],
        boot: file.map(boot),
        ignore: false,
    };
    cfg.classes = vec![
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
            "refs",
            Match {
                classes: vec![
                    ClassRef {
                        index: 0,
                        negated: false,
                    },
                    ClassRef {
                        index: 1,
                        negated: true,
                    },
                ],
                known: Some(false),
                ..Match::default()
            },
            Some("c"),
        ),
    ];
    cfg.pxe = Menu {
        services: vec![Service {
            csa: 0,
            text: "menu".into(),
            boot: boot("undionly.kpxe"),
            classes: vec![ClassRef {
                index: 1,
                negated: true,
            }],
        }],
        prompt: None,
    };
    Server::new(cfg, [])
}

fn boot(file: &str) -> BootFile {
    BootFile {
        file: file.into(),
        server: None,
        server_name: None,
    }
}

/// Handles a datagram; every reply fits the size its request allows.
fn handle_checked(s: &mut Server, bytes: &[u8], src: SocketAddrV4, ingress: &Ingress) {
    let h = s.handle(bytes, src, ingress, 1000);
    if let Action::Send(r) | Action::PersistThenSend { reply: r, .. } = h.action
        && r.limit != usize::MAX
    {
        let out = r.msg.encode_within(r.limit).expect("the server fitted the reply");
        assert!(out.len() <= r.limit);
    }
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
            handle_checked(&mut s, &bytes, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68), &ingress(port));
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
                handle_checked(&mut s, &b, SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 9), 68), &ingress(port));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// A message encoded within a limit is never longer than the limit,
    /// and decodes to the same options (plus option 52 when it overloaded),
    /// whatever their number and sizes; or the encoder names an option that
    /// fits nowhere.
    #[test]
    fn encoding_within_a_limit_round_trips(
        sizes in prop::collection::vec((1u8..=254, 0usize..400), 0..12),
        relay in prop::option::of(0usize..40),
        file in prop::option::of(1usize..100),
        limit in prop::sample::select(vec![548usize, 800, 1472]),
    ) {
        let mut m = Message::decode(&seed()).unwrap();
        m.options = Default::default();
        for (code, len) in &sizes {
            if *code == 52 || *code == 82 {
                continue;
            }
            m.options.set(*code, &vec![*code; *len]);
        }
        if let Some(len) = relay {
            m.options.set(82, &vec![1; len]);
        }
        m.file = file.map(|n| vec![b'f'; n]).unwrap_or_default();
        match m.encode_within(limit) {
            Ok(bytes) => {
                prop_assert!(bytes.len() <= limit, "{} > {}", bytes.len(), limit);
                let back = Message::decode(&bytes).unwrap();
                let mut options = back.options.clone();
                if let Some(flag) = options.get(52) {
                    prop_assert!(flag == [1] || flag == [2] || flag == [3]);
                    prop_assert!(file.is_none() || flag == [2]);
                    options.remove(52);
                } else {
                    prop_assert_eq!(&back.file, &m.file);
                }
                prop_assert_eq!(options, m.options.clone());
                prop_assert!(m.fits(limit));
            }
            Err(e) => {
                prop_assert!(m.options.get(e.code).is_some());
                prop_assert!(!m.fits(limit));
            }
        }
    }
}
