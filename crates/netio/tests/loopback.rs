//! Tests of `netio` that need no privilege and no namespace: everything goes over
//! the loopback interface of the namespace the tests run in.
//!
//! They deliberately send nothing to any address but 127.0.0.1; broadcasts and
//! interface-directed sends to real links are tested in `tests/netns.rs`.

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use netio::{BindOptions, Ipv4Net, NetError, PktSocket, Via, interface, interfaces};
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

fn loopback_any_port() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)
}

fn std_peer() -> (UdpSocket, SocketAddrV4) {
    let peer = UdpSocket::bind(loopback_any_port()).unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    let std::net::SocketAddr::V4(address) = peer.local_addr().unwrap() else {
        unreachable!("bound to an IPv4 address")
    };
    (peer, address)
}

#[test]
fn interfaces_lists_loopback_with_its_network() {
    let all = interfaces().unwrap();
    let lo = all
        .iter()
        .find(|interface| interface.name == "lo")
        .expect("lo is listed");
    assert!(lo.index > 0);
    assert_eq!(lo.mac, None, "loopback has no hardware address");
    assert!(lo.mtu.is_some_and(|mtu| mtu >= 1280), "{lo:?}");
    assert!(
        lo.ipv4.contains(&Ipv4Net {
            addr: Ipv4Addr::LOCALHOST,
            prefix: 8
        }),
        "{lo:?}"
    );
    assert_eq!(interface("lo").unwrap(), *lo);
}

#[tokio::test]
async fn receives_with_pktinfo_and_replies_through_lo() {
    let socket = PktSocket::bind(loopback_any_port(), &BindOptions::default()).unwrap();
    let local = socket.local_addr().unwrap();
    assert_eq!(*local.ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(local.port(), 0, "port 0 must be replaced by the chosen port");
    let lo = interface("lo").unwrap().index;
    let (peer, peer_address) = std_peer();

    peer.send_to(b"request", local).unwrap();
    let mut buf = [0u8; 1500];
    let received = timeout(WAIT, socket.recv(&mut buf))
        .await
        .expect("datagram within 5 s")
        .unwrap();
    assert_eq!(&buf[..received.len], b"request");
    assert_eq!(received.src, peer_address);
    assert_eq!(received.ifindex, lo);
    assert_eq!(received.local, Ipv4Addr::LOCALHOST);
    assert_eq!(received.dst, Ipv4Addr::LOCALHOST);
    assert!(!received.truncated);

    let via = Via {
        ifindex: lo,
        src: Some(Ipv4Addr::LOCALHOST),
    };
    assert_eq!(via, Via::reply_to(&received));
    let sent = socket.send(b"reply", peer_address, via).await.unwrap();
    assert_eq!(sent, 5);
    let (len, from) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"reply");
    assert_eq!(from, std::net::SocketAddr::V4(local));

    // Leaving everything to the kernel works too.
    socket.send(b"routed", peer_address, Via::ROUTED).await.unwrap();
    let (len, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..len], b"routed");
}

#[tokio::test]
async fn a_datagram_longer_than_the_buffer_is_reported_truncated() {
    let socket = PktSocket::bind(loopback_any_port(), &BindOptions::default()).unwrap();
    let (peer, _) = std_peer();
    peer.send_to(&[7u8; 600], socket.local_addr().unwrap()).unwrap();
    let mut small = [0u8; 100];
    let received = timeout(WAIT, socket.recv(&mut small)).await.unwrap().unwrap();
    assert!(received.truncated);
    assert_eq!(received.len, 100);
    assert_eq!(small, [7u8; 100]);
}

#[tokio::test]
async fn port_zero_gives_each_socket_its_own_port() {
    // What the TFTP server does: one ephemeral socket per transfer, on the
    // address the request arrived on.
    let first = PktSocket::bind(loopback_any_port(), &BindOptions::default()).unwrap();
    let second = PktSocket::bind(loopback_any_port(), &BindOptions::default()).unwrap();
    assert_ne!(first.local_addr().unwrap().port(), second.local_addr().unwrap().port());
}

#[tokio::test]
async fn a_cancelled_recv_loses_no_datagram() {
    let socket = PktSocket::bind(loopback_any_port(), &BindOptions::default()).unwrap();
    let mut buf = [0u8; 64];
    // Nothing has been sent: this recv is dropped while waiting.
    assert!(timeout(Duration::from_millis(50), socket.recv(&mut buf)).await.is_err());
    let (peer, _) = std_peer();
    peer.send_to(b"after", socket.local_addr().unwrap()).unwrap();
    let received = timeout(WAIT, socket.recv(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..received.len], b"after");
}

#[tokio::test]
async fn bind_errors_are_specific() {
    let taken = PktSocket::bind(loopback_any_port(), &BindOptions::default()).unwrap();
    let address = taken.local_addr().unwrap();
    let error = PktSocket::bind(address, &BindOptions::default()).unwrap_err();
    assert!(matches!(error, NetError::AddrInUse { .. }), "{error}");
    assert!(error.to_string().contains(&address.to_string()), "{error}");

    // An address from TEST-NET-3 that no interface here has.
    let configured: Vec<Ipv4Addr> = interfaces()
        .unwrap()
        .iter()
        .flat_map(|interface| interface.ipv4.iter().map(|net| net.addr))
        .collect();
    let foreign = Ipv4Addr::new(203, 0, 113, 254);
    if !configured.contains(&foreign) {
        let error = PktSocket::bind(SocketAddrV4::new(foreign, 0), &BindOptions::default()).unwrap_err();
        assert!(matches!(error, NetError::AddrNotAvailable { .. }), "{error}");
    }

    let on_missing_device = BindOptions {
        device: Some("kindling-none0".to_string()),
        ..BindOptions::default()
    };
    let error = PktSocket::bind(loopback_any_port(), &on_missing_device).unwrap_err();
    match &error {
        NetError::UnknownInterface { name, existing } => {
            assert_eq!(name, "kindling-none0");
            assert!(existing.iter().any(|name| name == "lo"), "{error}");
        }
        other => panic!("unexpected error: {other}"),
    }

    let invalid_device = BindOptions {
        device: Some("no/slashes".to_string()),
        ..BindOptions::default()
    };
    let error = PktSocket::bind(loopback_any_port(), &invalid_device).unwrap_err();
    assert!(matches!(error, NetError::InvalidInterfaceName { .. }), "{error}");
}

#[tokio::test]
async fn all_bind_options_apply_over_loopback() {
    let options = BindOptions {
        reuse_addr: true,
        reuse_port: true,
        broadcast: true,
        device: None,
        recv_buffer: Some(256 * 1024),
        send_buffer: Some(256 * 1024),
    };
    let first = PktSocket::bind(loopback_any_port(), &options).unwrap();
    // SO_REUSEPORT lets a second socket share the port.
    let second = PktSocket::bind(first.local_addr().unwrap(), &options).unwrap();
    assert_eq!(first.local_addr().unwrap(), second.local_addr().unwrap());
}
