//! Classes, host entries and configured options through the whole state
//! machine, with replies encoded as the server sends them (the client's
//! size limit, overload) and decoded again: boot answers per class with
//! dnsmasq's "last one wins", the built-in table turned off, ignored
//! clients, option precedence, parameter-request-list order on long lists
//! as firmware sends them, and replies that need option 52.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dhcp::options::code;
use dhcp::server::{Action, Ingress};
use dhcp::{
    BootFile, Class, ClassRef, DhcpConfig, MacPattern, Match, Message, Mode, Net, Op, Reservation, Server, Subnet,
    Summary,
};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
/// EDK2's PXE request list (37 entries).
const PRL_EDK2: &[u8] = &[
    1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128,
    129, 130, 131, 132, 133, 134, 135,
];
/// iPXE's request list.
const PRL_IPXE: &[u8] = &[
    1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203,
];

fn request(mac_last: u8, options: &[(u8, &[u8])]) -> Message {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[0x52, 0x54, 0x00, 0x00, 0x00, mac_last]);
    let mut m = Message {
        op: Op::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0x2000 + u32::from(mac_last),
        secs: 0,
        flags: 0x8000,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr,
        sname: vec![],
        file: vec![],
        options: Default::default(),
    };
    m.options.set(code::MESSAGE_TYPE, &[1]);
    for (c, v) in options {
        m.options.set(*c, v);
    }
    m
}

fn bios(mac_last: u8) -> Message {
    request(
        mac_last,
        &[
            (57, &[5, 0xc0]),
            (55, PRL_EDK2),
            (93, &[0, 0]),
            (60, b"PXEClient:Arch:00000:UNDI:002001"),
        ],
    )
}

fn uefi(mac_last: u8, arch: u8) -> Message {
    request(
        mac_last,
        &[
            (55, PRL_EDK2),
            (93, &[0, arch]),
            (60, b"PXEClient:Arch:00009:UNDI:003016"),
        ],
    )
}

fn ipxe(mac_last: u8, arch: u8) -> Message {
    request(
        mac_last,
        &[
            (57, &[5, 0xc0]),
            (55, PRL_IPXE),
            (93, &[0, arch]),
            (60, b"PXEClient:Arch:00009:UNDI:003010"),
            (77, b"iPXE"),
            (175, &[0x13, 1, 1, 0x15, 1, 1]),
        ],
    )
}

fn subnet() -> Subnet {
    Subnet {
        net: Net::parse("10.99.0.0/24").unwrap(),
        ranges: vec![(Ipv4Addr::new(10, 99, 0, 100), Ipv4Addr::new(10, 99, 0, 199))],
        lease_time: Duration::from_secs(1800),
        routers: vec![SERVER],
        dns: vec![],
        domain: None,
        ntp: vec![],
        mtu: None,
        routes: vec![],
        options: vec![],
    }
}

fn class(name: &str, m: Match, boot: Option<&str>) -> Class {
    Class {
        name: name.into(),
        matches: vec![m],
        options: vec![],
        boot: boot.map(|f| BootFile {
            file: f.into(),
            server: None,
            server_name: None,
        }),
        ignore: false,
    }
}

fn arch(codes: &[u16]) -> Match {
    Match {
        arch: codes.to_vec(),
        ..Match::default()
    }
}

/// The seed guide's PXE-enabled dnsmasq configuration, as classes.
fn seed_config() -> DhcpConfig {
    let mut cfg = DhcpConfig {
        mode: Mode::Full,
        ..DhcpConfig::default()
    };
    cfg.boot.builtin = false;
    cfg.subnets.push(subnet());
    cfg.classes = vec![
        class("bios", arch(&[0]), Some("undionly.kpxe")),
        class("efi32", arch(&[6]), Some("ipxe.efi")),
        class("efibc", arch(&[7]), Some("ipxe.efi")),
        class("efi64", arch(&[9]), Some("ipxe.efi")),
        class(
            "ipxe",
            Match {
                user_class: Some(b"iPXE".to_vec()),
                ..Match::default()
            },
            Some("http://matchbox.example.com:8080/boot.ipxe"),
        ),
    ];
    cfg
}

fn ingress() -> Ingress {
    Ingress {
        ifindex: 2,
        ifname: "br0".into(),
        nets: vec![Net::parse("10.99.0.1/24").unwrap()],
        local: Ipv4Addr::UNSPECIFIED,
        dst: Ipv4Addr::BROADCAST,
        port: 67,
    }
}

/// The reply as the client receives it (encoded within its limit, then
/// decoded), its wire length, and the transaction's summary.
fn exchange(server: &mut Server, msg: &Message) -> (Option<(Message, usize)>, Summary) {
    let src = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68);
    let h = server.handle(&msg.encode(), src, &ingress(), 1_000_000);
    let reply = match h.action {
        Action::Send(r) | Action::PersistThenSend { reply: r, .. } => {
            let bytes = r.msg.encode_within(r.limit).expect("the server made it fit");
            Some((Message::decode(&bytes).unwrap(), bytes.len()))
        }
        _ => None,
    };
    (reply, h.summary)
}

fn file_of(server: &mut Server, msg: &Message) -> Option<String> {
    let (reply, _) = exchange(server, msg);
    let (reply, _) = reply?;
    Some(String::from_utf8(reply.file).unwrap())
}

#[test]
fn seed_classes_give_dnsmasqs_answers() {
    let mut s = Server::new(seed_config(), []);
    assert_eq!(file_of(&mut s, &bios(1)).as_deref(), Some("undionly.kpxe"));
    assert_eq!(file_of(&mut s, &uefi(2, 7)).as_deref(), Some("ipxe.efi"));
    assert_eq!(file_of(&mut s, &uefi(3, 9)).as_deref(), Some("ipxe.efi"));
    // iPXE on UEFI is in efi64 and ipxe: the later class wins.
    assert_eq!(
        file_of(&mut s, &ipxe(4, 9)).as_deref(),
        Some("http://matchbox.example.com:8080/boot.ipxe")
    );
    // ARM64 matches no class; with the built-in table off it gets an
    // address and no boot file, as dnsmasq gives it.
    assert_eq!(file_of(&mut s, &uefi(5, 11)).as_deref(), Some(""));
    let (reply, summary) = exchange(&mut s, &ipxe(6, 9));
    assert_eq!(summary.classes, ["efi64", "ipxe"]);
    assert_eq!(summary.boot_rule, Some("class"));
    let (reply, _) = reply.unwrap();
    assert_eq!(reply.siaddr, SERVER, "next server: the answering address");

    // With the built-in table on, the unmatched ARM64 client gets its file.
    let mut cfg = seed_config();
    cfg.boot.builtin = true;
    let mut s = Server::new(cfg, []);
    assert_eq!(file_of(&mut s, &uefi(5, 11)).as_deref(), Some("ipxe-arm64.efi"));
}

#[test]
fn classes_can_name_earlier_classes() {
    let mut cfg = seed_config();
    cfg.classes.push(class(
        "bios-not-ipxe",
        Match {
            classes: vec![
                ClassRef {
                    index: 0,
                    negated: false,
                },
                ClassRef {
                    index: 4,
                    negated: true,
                },
            ],
            ..Match::default()
        },
        Some("pxelinux.0"),
    ));
    let mut s = Server::new(cfg, []);
    assert_eq!(file_of(&mut s, &bios(1)).as_deref(), Some("pxelinux.0"));
    assert_eq!(
        file_of(&mut s, &ipxe(2, 0)).as_deref(),
        Some("http://matchbox.example.com:8080/boot.ipxe")
    );
}

#[test]
fn hosts_override_classes_and_may_give_one_thing() {
    let mut cfg = seed_config();
    let mac = |last: u8| model::Mac::parse(&format!("52:54:00:00:00:{last:02x}")).unwrap();
    cfg.reservations = vec![
        Reservation {
            boot: Some(BootFile {
                file: "special.kpxe".into(),
                server: Some(Ipv4Addr::new(10, 99, 0, 5)),
                server_name: Some("tftp5".into()),
            }),
            ..Reservation::address(mac(1), Ipv4Addr::new(10, 99, 0, 10), None)
        },
        Reservation {
            address: None,
            ..Reservation::address(mac(2), Ipv4Addr::UNSPECIFIED, Some("named".into()))
        },
        Reservation {
            address: None,
            ignore: true,
            ..Reservation::address(mac(3), Ipv4Addr::UNSPECIFIED, None)
        },
    ];
    let mut s = Server::new(cfg, []);
    let (reply, summary) = exchange(&mut s, &bios(1));
    let (reply, _) = reply.unwrap();
    assert_eq!(reply.file, b"special.kpxe");
    assert_eq!(reply.sname, b"tftp5");
    assert_eq!(reply.siaddr, Ipv4Addr::new(10, 99, 0, 5));
    assert_eq!(reply.yiaddr, Ipv4Addr::new(10, 99, 0, 10));
    assert_eq!(summary.boot_rule, Some("host"));

    // A name only: an address from the range, the class's boot file, the name.
    let (reply, _) = exchange(&mut s, &bios(2));
    let (reply, _) = reply.unwrap();
    assert!(subnet().in_range(reply.yiaddr));
    assert_eq!(reply.file, b"undionly.kpxe");
    assert_eq!(reply.options.get(code::HOSTNAME), Some(&b"named"[..]));

    let (reply, summary) = exchange(&mut s, &bios(3));
    assert!(reply.is_none());
    assert!(summary.detail.unwrap().contains("says ignore"));
}

#[test]
fn a_class_can_ignore_unknown_machines() {
    let mut cfg = seed_config();
    cfg.classes.insert(
        0,
        Class {
            ignore: true,
            ..class(
                "strangers",
                Match {
                    known: Some(false),
                    subnet: Some(Net::parse("10.99.0.0/24").unwrap()),
                    ..Match::default()
                },
                None,
            )
        },
    );
    cfg.reservations = vec![Reservation::address(
        model::Mac::parse("52:54:00:00:00:01").unwrap(),
        Ipv4Addr::new(10, 99, 0, 10),
        None,
    )];
    let mut s = Server::new(cfg, []);
    assert_eq!(file_of(&mut s, &bios(1)).as_deref(), Some("undionly.kpxe"));
    let (reply, summary) = exchange(&mut s, &bios(2));
    assert!(reply.is_none());
    assert_eq!(summary.detail.as_deref(), Some("class \"strangers\" says ignore"));
}

#[test]
fn options_layer_from_global_to_host() {
    let mut cfg = seed_config();
    cfg.options = vec![
        (42, vec![1, 1, 1, 1]),
        (6, vec![2, 2, 2, 2]),
        (224, vec![9]),
        (44, vec![0, 0, 0, 0, 5, 5, 5, 5]),
    ];
    cfg.subnets[0].options = vec![(42, vec![3, 3, 3, 3])];
    cfg.classes[0].options = vec![(6, vec![4, 4, 4, 4]), (15, b"bios.example".to_vec())];
    cfg.classes.push(Class {
        options: vec![(15, b"mac.example".to_vec())],
        ..class(
            "by-mac",
            Match {
                mac: Some(MacPattern::parse("52:54:00:*:*:01").unwrap()),
                ..Match::default()
            },
            None,
        )
    });
    cfg.reservations = vec![Reservation {
        address: None,
        options: vec![(224, vec![]), (3, vec![])],
        ..Reservation::address(
            model::Mac::parse("52:54:00:00:00:01").unwrap(),
            Ipv4Addr::UNSPECIFIED,
            Some("h".into()),
        )
    }];
    let mut s = Server::new(cfg, []);
    let (reply, _) = exchange(&mut s, &bios(1));
    let o = reply.unwrap().0.options;
    assert_eq!(o.get(42), Some(&[3, 3, 3, 3][..]), "the subnet's over the global");
    assert_eq!(o.get(6), Some(&[4, 4, 4, 4][..]), "the class's over the global");
    assert_eq!(o.get(15), Some(&b"mac.example"[..]), "the later class's");
    assert_eq!(o.get(224), None, "the host's empty value removes it");
    assert_eq!(o.get(3), None, "also an option kindling sets itself");
    assert_eq!(
        o.get(44),
        Some(&[10, 99, 0, 1, 5, 5, 5, 5][..]),
        "0.0.0.0 is the answering address"
    );
    // Another BIOS machine keeps the router and the global option.
    let (reply, _) = exchange(&mut s, &bios(2));
    let o = reply.unwrap().0.options;
    assert_eq!(o.get(3), Some(&SERVER.octets()[..]));
    assert_eq!(o.get(224), Some(&[9][..]));
    assert_eq!(o.get(15), Some(&b"bios.example"[..]));
}

/// The codes of a reply's options in wire order.
fn wire_order(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 240;
    while i < bytes.len() && bytes[i] != 255 {
        if bytes[i] == 0 {
            i += 1;
            continue;
        }
        out.push(bytes[i]);
        i += 2 + bytes[i + 1] as usize;
    }
    out
}

#[test]
fn replies_follow_the_request_list_order() {
    let mut cfg = seed_config();
    cfg.subnets[0].domain = Some("lab.example".into());
    cfg.subnets[0].ntp = vec![SERVER];
    cfg.options = vec![(119, b"\x03lab\x07example\x00".to_vec()), (26, vec![5, 220])];
    let mut s = Server::new(cfg, []);
    for (msg, prl) in [(ipxe(1, 9), PRL_IPXE), (bios(2), PRL_EDK2)] {
        let src = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68);
        let h = s.handle(&msg.encode(), src, &ingress(), 1_000_000);
        let Action::Send(r) = h.action else { panic!("no offer") };
        let codes = wire_order(&r.msg.encode_within(r.limit).unwrap());
        assert_eq!(codes[0], 53, "{codes:?}");
        let requested: Vec<u8> = codes.iter().copied().filter(|c| prl.contains(c)).collect();
        let in_prl_order: Vec<u8> = prl.iter().copied().filter(|c| codes.contains(c)).collect();
        assert_eq!(requested, in_prl_order);
        let first_unrequested = codes[1..].iter().position(|c| !prl.contains(c)).unwrap() + 1;
        assert!(
            codes[first_unrequested..].iter().all(|c| !prl.contains(c)),
            "requested options come before the others: {codes:?}"
        );
    }
}

#[test]
fn a_big_reply_is_overloaded_into_file_and_sname() {
    let mut cfg = seed_config();
    cfg.boot.builtin = false;
    cfg.classes.clear();
    // 336 bytes of search domains: more than a 576-byte reply holds in its
    // options field beside the rest.
    let mut search = Vec::new();
    for i in 0..16 {
        search.extend_from_slice(format!("\x0bsubdomain{i:02}\x07example\x00").as_bytes());
    }
    cfg.options = vec![(119, search.clone()), (224, vec![7; 60])];
    let mut s = Server::new(cfg, []);
    // A plain client without option 57: at most 576 bytes with IP and UDP.
    let msg = request(1, &[(55, &[1, 3, 6, 119, 224])]);
    let (reply, summary) = exchange(&mut s, &msg);
    let (reply, len) = reply.unwrap();
    assert!(len <= 548, "{len} bytes");
    assert!(summary.dropped.is_empty(), "{:?}", summary.dropped);
    let overload = reply.options.get(code::OVERLOAD).expect("option 52").to_vec();
    assert_ne!(overload, [0]);
    assert_eq!(reply.options.get(119), Some(&search[..]));
    assert_eq!(reply.options.get(224), Some(&[7; 60][..]));

    // A client that takes 1,500 bytes gets the same without overload.
    let msg = request(2, &[(55, &[1, 3, 6, 119, 224]), (57, &[5, 0xdc])]);
    let (reply, _) = exchange(&mut s, &msg);
    let (reply, len) = reply.unwrap();
    assert!(len > 548);
    assert_eq!(reply.options.get(code::OVERLOAD), None);
    assert_eq!(reply.options.get(119), Some(&search[..]));
}

#[test]
fn what_cannot_fit_is_left_out_unrequested_first() {
    let mut cfg = seed_config();
    cfg.classes.clear();
    cfg.options = vec![
        (224, vec![1; 250]),
        (225, vec![2; 250]),
        (226, vec![3; 250]),
        (227, vec![4; 250]),
    ];
    let mut s = Server::new(cfg, []);
    // Asks for 226 and 225 (in that order); 224 and 227 are not asked for.
    let msg = request(1, &[(55, &[1, 3, 226, 225])]);
    let (reply, summary) = exchange(&mut s, &msg);
    let (reply, len) = reply.unwrap();
    assert!(len <= 548);
    // Unrequested first, then the last asked for; the small broadcast
    // option (28) went out first but fits once the big ones are gone.
    let mut dropped = summary.dropped.clone();
    dropped.sort();
    assert_eq!(dropped, [224, 225, 227]);
    assert!(reply.options.get(code::BROADCAST).is_some());
    assert_eq!(reply.options.get(226), Some(&[3; 250][..]));
    assert!(reply.options.get(code::LEASE_TIME).is_some());
    assert!(reply.options.get(code::SERVER_ID).is_some());
}

/// The seed guide's proxyDHCP configuration: a PXE menu whose items
/// depend on the iPXE class. A BIOS PXE ROM gets a menu offer, asks port
/// 4011 for its item, and gets undionly.kpxe; iPXE gets the script URL
/// the same way; UEFI firmware, which has no item, gets nothing to boot.
#[test]
fn proxy_pxe_menu_then_port_4011() {
    use dhcp::pxe::{Menu, Service};
    let ipxe_class = Class {
        name: "ipxe".into(),
        matches: vec![Match {
            user_class: Some(b"iPXE".to_vec()),
            ..Match::default()
        }],
        options: vec![],
        boot: None,
        ignore: false,
    };
    let service = |text: &str, file: &str, negated| Service {
        csa: 0,
        text: text.into(),
        boot: BootFile {
            file: file.into(),
            server: None,
            server_name: None,
        },
        classes: vec![ClassRef { index: 0, negated }],
    };
    let mut cfg = DhcpConfig {
        mode: Mode::Proxy,
        classes: vec![ipxe_class],
        ..DhcpConfig::default()
    };
    cfg.boot.builtin = false;
    cfg.pxe = Menu {
        services: vec![
            service("PXE chainload to iPXE", "undionly.kpxe", true),
            service("iPXE", "http://matchbox.example.com:8080/boot.ipxe", false),
        ],
        prompt: None,
    };
    let mut s = Server::new(cfg, []);
    let src = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68);
    let mut follow = |msg: Message| -> Option<(String, Ipv4Addr)> {
        let h = s.handle(&msg.encode(), src, &ingress(), 1_000_000);
        let Action::Send(offer) = h.action else { return None };
        assert!(offer.msg.file.is_empty(), "a menu offer has no file");
        let menu = dhcp::options::tlv_blocks(offer.msg.options.get(code::VENDOR_SPECIFIC)?);
        let (_, items) = menu.iter().find(|(c, _)| *c == 9)?;
        let mut req = msg.clone();
        req.options.set(code::MESSAGE_TYPE, &[3]);
        req.ciaddr = Ipv4Addr::new(10, 99, 0, 50);
        req.options
            .set(code::VENDOR_SPECIFIC, &[71, 4, items[0], items[1], 0, 0, 255]);
        let mut at_4011 = ingress();
        at_4011.port = 4011;
        at_4011.local = SERVER;
        at_4011.dst = SERVER;
        let h = s.handle(&req.encode(), SocketAddrV4::new(req.ciaddr, 4011), &at_4011, 1_000_000);
        let Action::Send(ack) = h.action else {
            panic!("no ACK on 4011")
        };
        assert_eq!(
            ack.msg.options.get(code::VENDOR_SPECIFIC),
            Some(&[71, 4, items[0], items[1], 0, 0, 255][..]),
            "the item is echoed"
        );
        Some((String::from_utf8(ack.msg.file).unwrap(), ack.msg.siaddr))
    };
    assert_eq!(follow(bios(1)), Some(("undionly.kpxe".into(), SERVER)));
    assert_eq!(
        follow(ipxe(2, 0)),
        Some(("http://matchbox.example.com:8080/boot.ipxe".into(), SERVER))
    );
    assert_eq!(follow(uefi(3, 7)), None);
}
