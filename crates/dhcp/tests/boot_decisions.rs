//! Boot decisions on packets shaped like the ones real firmware sends (the
//! option sets of a BIOS PXE ROM, OVMF's UEFI PXE with arch 7 and 9, IA32
//! and ARM64 UEFI, UEFI HTTP Boot, iPXE as a QEMU ROM and as ipxe.efi,
//! GRUB, and a plain OS client), through the whole state machine, in full
//! and proxy mode.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use dhcp::options::code;
use dhcp::server::{Action, Destination, Ingress};
use dhcp::{DhcpConfig, Message, MessageType, Mode, Net, Op, Server, Subnet};

const SERVER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const UUID: [u8; 17] = [
    0, 0x8a, 0x2f, 0x11, 0x4c, 0xee, 0x06, 0x4d, 0x50, 0x9a, 0x7e, 0x3b, 0x52, 0x54, 0x00, 0x12, 0x34,
];
const PRL_PXE: &[u8] = &[
    1, 2, 3, 4, 5, 6, 11, 12, 13, 15, 16, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128,
    129, 130, 131, 132, 133, 134, 135,
];

/// A firmware profile: the options its DISCOVER carries.
struct Firmware {
    name: &'static str,
    options: Vec<(u8, Vec<u8>)>,
}

fn fw(name: &'static str, options: &[(u8, &[u8])]) -> Firmware {
    Firmware {
        name,
        options: options.iter().map(|(c, v)| (*c, v.to_vec())).collect(),
    }
}

fn firmwares() -> Vec<Firmware> {
    // iPXE's option 175: bus-id (177), HTTP (19), HTTPS (20), PXE-ext (16), EFI (36).
    let ipxe175: &[u8] = &[
        0xb1, 5, 1, 0x1a, 0xf4, 0x10, 0x00, 0x13, 1, 1, 0x14, 1, 1, 0x10, 1, 2, 0x24, 1, 1,
    ];
    vec![
        fw(
            "bios-pxe",
            &[
                (57, &[5, 0xc0]),
                (55, PRL_PXE),
                (97, &UUID),
                (94, &[1, 2, 1]),
                (93, &[0, 0]),
                (60, b"PXEClient:Arch:00000:UNDI:002001"),
            ],
        ),
        fw(
            "uefi-x64-arch7",
            &[
                (57, &[5, 0xc0]),
                (55, PRL_PXE),
                (97, &UUID),
                (94, &[1, 3, 0]),
                (93, &[0, 7]),
                (60, b"PXEClient:Arch:00007:UNDI:003000"),
            ],
        ),
        fw(
            "uefi-x64-arch9",
            &[
                (97, &UUID),
                (94, &[1, 3, 0]),
                (93, &[0, 9]),
                (60, b"PXEClient:Arch:00009:UNDI:003000"),
            ],
        ),
        fw("uefi-ia32", &[(93, &[0, 6]), (60, b"PXEClient:Arch:00006:UNDI:003000")]),
        fw(
            "uefi-arm64",
            &[(97, &UUID), (93, &[0, 11]), (60, b"PXEClient:Arch:00011:UNDI:003000")],
        ),
        fw(
            "uefi-http-x64",
            &[(93, &[0, 16]), (60, b"HTTPClient:Arch:00016:UNDI:003000")],
        ),
        fw(
            "uefi-http-arm64",
            &[(93, &[0, 19]), (60, b"HTTPClient:Arch:00019:UNDI:003000")],
        ),
        fw(
            "ipxe-rom-bios",
            &[
                (93, &[0, 0]),
                (94, &[1, 2, 1]),
                (60, b"PXEClient:Arch:00000:UNDI:002001"),
                (77, b"iPXE"),
                (175, ipxe175),
            ],
        ),
        fw(
            "ipxe-efi",
            &[
                (93, &[0, 7]),
                (60, b"PXEClient:Arch:00007:UNDI:003010"),
                (77, b"iPXE"),
                (175, ipxe175),
            ],
        ),
        fw("grub", &[(60, b"GRUBClient"), (77, b"GRUB2")]),
        fw(
            "arch-in-vendor-class-only",
            &[(60, b"PXEClient:Arch:00007:UNDI:003000")],
        ),
        fw("plain-os", &[(55, &[1, 3, 6, 15, 28]), (12, b"debian")]),
        fw(
            "unknown-arch",
            &[(93, &[0, 25]), (60, b"PXEClient:Arch:00025:UNDI:003000")],
        ),
    ]
}

fn discover(f: &Firmware, mac_last: u8) -> Message {
    let mut m = empty_request(mac_last);
    m.options.set(code::MESSAGE_TYPE, &[1]);
    for (c, v) in &f.options {
        m.options.set(*c, v);
    }
    m
}

fn empty_request(mac_last: u8) -> Message {
    let mut chaddr = [0u8; 16];
    chaddr[..6].copy_from_slice(&[0x52, 0x54, 0x00, 0x12, 0x34, mac_last]);
    Message {
        op: Op::Request,
        htype: 1,
        hlen: 6,
        hops: 0,
        xid: 0x1000 + mac_last as u32,
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
    }
}

fn config(mode: Mode) -> DhcpConfig {
    let mut cfg = DhcpConfig {
        mode,
        ..Default::default()
    };
    cfg.subnets.push(Subnet {
        net: Net::parse("10.99.0.0/24").unwrap(),
        ranges: vec![(Ipv4Addr::new(10, 99, 0, 100), Ipv4Addr::new(10, 99, 0, 199))],
        lease_time: Duration::from_secs(3600),
        routers: vec![SERVER],
        dns: vec![SERVER],
        domain: Some("lab.example".into()),
        ntp: vec![],
        mtu: None,
        routes: vec![],
        options: vec![],
    });
    cfg.offer_hold = Duration::from_secs(30);
    cfg
}

fn ingress(port: u16) -> Ingress {
    Ingress {
        ifindex: 7,
        ifname: "br0".into(),
        nets: vec![Net::parse("10.99.0.1/24").unwrap()],
        local: if port == 4011 { SERVER } else { Ipv4Addr::BROADCAST },
        dst: if port == 4011 { SERVER } else { Ipv4Addr::BROADCAST },
        port,
    }
}

fn answer(server: &mut Server, msg: &Message, port: u16) -> Option<Message> {
    let src = if port == 4011 {
        SocketAddrV4::new(Ipv4Addr::new(10, 99, 0, 150), 4011)
    } else {
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68)
    };
    let h = server.handle(&msg.encode(), src, &ingress(port), 1_000_000);
    match h.action {
        Action::Send(r) | Action::PersistThenSend { reply: r, .. } => {
            // Replies must themselves decode.
            Some(Message::decode(&r.msg.encode()).unwrap())
        }
        _ => None,
    }
}

/// The boot-relevant parts of a reply, as one comparable line.
fn boot_line(reply: Option<Message>) -> String {
    let Some(r) = reply else { return "no reply".into() };
    let text = |c: u8| r.options.get(c).map(|v| String::from_utf8_lossy(v).into_owned());
    let mut parts = vec![format!(
        "{} file={:?}",
        r.options.message_type().unwrap(),
        String::from_utf8_lossy(&r.file)
    )];
    if !r.siaddr.is_unspecified() {
        parts.push(format!("siaddr={}", r.siaddr));
    }
    if let Some(v) = text(code::TFTP_SERVER) {
        parts.push(format!("66={v}"));
    }
    if let Some(v) = text(code::VENDOR_CLASS) {
        parts.push(format!("60={v}"));
    }
    if let Some(v) = r.options.get(code::VENDOR_SPECIFIC) {
        parts.push(format!("43={v:02x?}"));
    }
    if let Some(v) = r.options.get(code::IPXE) {
        parts.push(format!("175={v:02x?}"));
    }
    if r.options.get(code::CLIENT_UUID).is_some() {
        parts.push("97=echoed".into());
    }
    if !r.yiaddr.is_unspecified() {
        parts.push("with-address".into());
    }
    parts.join(" ")
}

#[test]
fn full_mode_table() {
    let mut server = Server::new(config(Mode::Full), []);
    let got: Vec<String> = firmwares()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "{}: {}",
                f.name,
                boot_line(answer(&mut server, &discover(f, i as u8), 67))
            )
        })
        .collect();
    let want = [
        r#"bios-pxe: OFFER file="undionly.kpxe" siaddr=10.99.0.1 66=10.99.0.1 97=echoed with-address"#,
        r#"uefi-x64-arch7: OFFER file="ipxe.efi" siaddr=10.99.0.1 66=10.99.0.1 97=echoed with-address"#,
        r#"uefi-x64-arch9: OFFER file="ipxe.efi" siaddr=10.99.0.1 66=10.99.0.1 97=echoed with-address"#,
        r#"uefi-ia32: OFFER file="ipxe-i386.efi" siaddr=10.99.0.1 66=10.99.0.1 with-address"#,
        r#"uefi-arm64: OFFER file="ipxe-arm64.efi" siaddr=10.99.0.1 66=10.99.0.1 97=echoed with-address"#,
        r#"uefi-http-x64: OFFER file="http://10.99.0.1:8080/ipxe.efi" 60=HTTPClient with-address"#,
        r#"uefi-http-arm64: OFFER file="http://10.99.0.1:8080/ipxe-arm64.efi" 60=HTTPClient with-address"#,
        r#"ipxe-rom-bios: OFFER file="http://10.99.0.1:8080/boot.ipxe" 175=[b0, 01, 01] with-address"#,
        r#"ipxe-efi: OFFER file="http://10.99.0.1:8080/boot.ipxe" 175=[b0, 01, 01] with-address"#,
        r#"grub: OFFER file="(http,10.99.0.1:8080)/grub" with-address"#,
        r#"arch-in-vendor-class-only: OFFER file="ipxe.efi" siaddr=10.99.0.1 66=10.99.0.1 with-address"#,
        r#"plain-os: OFFER file="" with-address"#,
        r#"unknown-arch: OFFER file="" with-address"#,
    ];
    assert_eq!(got, want);
}

#[test]
fn proxy_mode_table() {
    let mut server = Server::new(config(Mode::Proxy), []);
    let got: Vec<String> = firmwares()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            format!(
                "{}: {}",
                f.name,
                boot_line(answer(&mut server, &discover(f, i as u8), 67))
            )
        })
        .collect();
    let want = [
        r#"bios-pxe: OFFER file="undionly.kpxe" siaddr=10.99.0.1 66=10.99.0.1 60=PXEClient 43=[06, 01, 08, 0a, 04, 00, 50, 58, 45] 97=echoed"#,
        r#"uefi-x64-arch7: OFFER file="ipxe.efi" siaddr=10.99.0.1 66=10.99.0.1 60=PXEClient 43=[06, 01, 08, 0a, 04, 00, 50, 58, 45] 97=echoed"#,
        r#"uefi-x64-arch9: OFFER file="ipxe.efi" siaddr=10.99.0.1 66=10.99.0.1 60=PXEClient 43=[06, 01, 08, 0a, 04, 00, 50, 58, 45] 97=echoed"#,
        r#"uefi-ia32: OFFER file="ipxe-i386.efi" siaddr=10.99.0.1 66=10.99.0.1 60=PXEClient 43=[06, 01, 08, 0a, 04, 00, 50, 58, 45]"#,
        r#"uefi-arm64: OFFER file="ipxe-arm64.efi" siaddr=10.99.0.1 66=10.99.0.1 60=PXEClient 43=[06, 01, 08, 0a, 04, 00, 50, 58, 45] 97=echoed"#,
        r#"uefi-http-x64: OFFER file="http://10.99.0.1:8080/ipxe.efi" 60=HTTPClient"#,
        r#"uefi-http-arm64: OFFER file="http://10.99.0.1:8080/ipxe-arm64.efi" 60=HTTPClient"#,
        r#"ipxe-rom-bios: OFFER file="http://10.99.0.1:8080/boot.ipxe" siaddr=10.99.0.1 60=PXEClient"#,
        r#"ipxe-efi: OFFER file="http://10.99.0.1:8080/boot.ipxe" siaddr=10.99.0.1 60=PXEClient"#,
        r#"grub: OFFER file="(http,10.99.0.1:8080)/grub" siaddr=10.99.0.1 60=PXEClient"#,
        r#"arch-in-vendor-class-only: OFFER file="ipxe.efi" siaddr=10.99.0.1 66=10.99.0.1 60=PXEClient 43=[06, 01, 08, 0a, 04, 00, 50, 58, 45]"#,
        "plain-os: no reply",
        "unknown-arch: no reply",
    ];
    assert_eq!(got, want);
}

#[test]
fn proxy_port_4011_acks_with_boot_item_echoed() {
    let mut server = Server::new(config(Mode::Proxy), []);
    let fws = firmwares();
    let mut req = discover(&fws[1], 1);
    req.options.set(code::MESSAGE_TYPE, &[3]);
    req.ciaddr = Ipv4Addr::new(10, 99, 0, 150);
    req.options
        .set(code::VENDOR_SPECIFIC, &[71, 4, 0x80, 0x00, 0x00, 0x00, 255]);
    let src = SocketAddrV4::new(Ipv4Addr::new(10, 99, 0, 150), 4011);
    let h = server.handle(&req.encode(), src, &ingress(4011), 1_000_000);
    let Action::Send(r) = h.action else {
        panic!("{:?}", h.action)
    };
    assert_eq!(
        r.dest,
        Destination::Unicast {
            to: src,
            ifindex: 7,
            arp: None
        }
    );
    assert_eq!(r.msg.options.message_type(), Some(MessageType::Ack));
    assert_eq!(r.msg.ciaddr, Ipv4Addr::new(10, 99, 0, 150));
    assert_eq!(r.msg.file, b"ipxe.efi");
    assert_eq!(r.msg.options.server_id(), Some(SERVER));
    let vendor = r.msg.options.vendor_suboptions();
    assert!(vendor.contains(&(71, vec![0x80, 0, 0, 0])), "{vendor:?}");
}

#[test]
fn proxy_replies_are_broadcast_from_the_interface_address() {
    let mut server = Server::new(config(Mode::Proxy), []);
    let h = server.handle(
        &discover(&firmwares()[0], 1).encode(),
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
        &ingress(67),
        5,
    );
    let Action::Send(r) = h.action else { panic!() };
    assert_eq!(r.dest, Destination::Broadcast { ifindex: 7, port: 68 });
    assert_eq!(r.src, SERVER);
    assert!(r.msg.yiaddr.is_unspecified());
}
