//! [`DgramSocket`]: a tokio UDP socket of either family for a server that
//! answers each datagram from the address it was sent to, on the interface
//! it came in by (`IP_PKTINFO` for IPv4, `IPV6_RECVPKTINFO`/`IPV6_PKTINFO`
//! for IPv6). That is what a DNS server bound to a wildcard address needs:
//! a resolver drops a reply whose source is not the address it asked.
//!
//! An IPv6 socket is IPv6-only (`IPV6_V6ONLY`), so that `[::]:53` and
//! `0.0.0.0:53` can be bound side by side, each family with its own socket.
//! It deliberately does no broadcast, no `SO_BINDTODEVICE` and no ARP: that
//! is [`PktSocket`](crate::PktSocket), for DHCP.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, sendmsg, setsockopt, sockopt,
};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::error::NetError;
use crate::socket::BindOptions;
use crate::sys;

/// One datagram received by [`DgramSocket::recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    /// Bytes written to the buffer (at most its length).
    pub len: usize,
    /// The sender.
    pub peer: SocketAddr,
    /// The local address it was sent to; unspecified if the kernel sent no
    /// packet information.
    pub local: IpAddr,
    /// The interface it arrived on; 0 if unknown.
    pub ifindex: u32,
    /// The datagram was longer than the buffer and its tail was dropped.
    pub truncated: bool,
}

/// Where a reply leaves from: the interface and the local address a
/// datagram came to. [`ReplyFrom::ROUTED`] leaves both to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyFrom {
    pub ifindex: u32,
    pub local: Option<IpAddr>,
}

impl ReplyFrom {
    pub const ROUTED: ReplyFrom = ReplyFrom {
        ifindex: 0,
        local: None,
    };
}

impl Datagram {
    /// Reply the way this datagram came in: from the address it was sent
    /// to, through the interface it arrived on.
    pub fn reply_from(&self) -> ReplyFrom {
        ReplyFrom {
            ifindex: self.ifindex,
            local: (!self.local.is_unspecified()).then_some(self.local),
        }
    }
}

/// A UDP socket of either family with per-datagram local addresses.
/// `Send + Sync`.
#[derive(Debug)]
pub struct DgramSocket {
    // Used for its reactor registration only; datagrams go through
    // recvmsg/sendmsg below.
    inner: UdpSocket,
    /// Bound to one address, not a wildcard: replies leave from it without
    /// packet information (no route lookup for the source per datagram).
    specific: bool,
}

/// Buffers for [`DgramSocket::recv_batch`]: room for up to 32 datagrams of
/// `size` bytes each, allocated once.
pub struct RecvBatch {
    buffer: Vec<u8>,
    size: usize,
    received: Vec<Datagram>,
    raw: Vec<sys::RawReceived>,
}

impl RecvBatch {
    pub fn new(size: usize) -> RecvBatch {
        RecvBatch {
            buffer: vec![0; size.max(1) * sys::BATCH],
            size: size.max(1),
            received: Vec::with_capacity(sys::BATCH),
            raw: Vec::with_capacity(sys::BATCH),
        }
    }

    /// How many datagrams the last receive brought.
    pub fn len(&self) -> usize {
        self.received.len()
    }

    pub fn is_empty(&self) -> bool {
        self.received.is_empty()
    }

    /// The `i`th datagram: its bytes (cut at the buffer size) and metadata.
    pub fn get(&self, i: usize) -> Option<(&[u8], &Datagram)> {
        let datagram = self.received.get(i)?;
        let start = i * self.size;
        let bytes = self.buffer.get(start..start + datagram.len.min(self.size))?;
        Some((bytes, datagram))
    }
}

/// One datagram waiting in a [`SendBatch`].
pub(crate) struct Queued {
    pub start: usize,
    pub end: usize,
    pub to: socket2::SockAddr,
    pub info: PacketInfo,
}

/// Replies gathered for one [`DgramSocket::send_batch`]: payloads are
/// copied into one buffer kept from batch to batch.
#[derive(Default)]
pub struct SendBatch {
    payloads: Vec<u8>,
    queued: Vec<Queued>,
}

impl SendBatch {
    pub fn new() -> SendBatch {
        SendBatch::default()
    }

    /// Queues `bytes` for `to`, leaving from `from`; a destination that
    /// cannot be given packet information for is queued without it.
    pub fn push(&mut self, bytes: &[u8], to: SocketAddr, from: ReplyFrom) {
        let start = self.payloads.len();
        self.payloads.extend_from_slice(bytes);
        self.queued.push(Queued {
            start,
            end: self.payloads.len(),
            to: to.into(),
            info: PacketInfo::of(from, to).unwrap_or(PacketInfo::None),
        });
    }

    pub fn len(&self) -> usize {
        self.queued.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    fn clear(&mut self) {
        self.payloads.clear();
        self.queued.clear();
    }
}

/// Room for one packet-information message and a few more, aligned for
/// `struct cmsghdr`, so that receiving allocates nothing.
#[repr(C, align(8))]
struct ControlBuffer([u8; 128]);

impl DgramSocket {
    /// Creates a non-blocking socket of `addr`'s family with packet
    /// information on (and IPv6-only for IPv6), applies the options of
    /// `opts` that apply (`reuse_addr`, `reuse_port`, buffer sizes), binds
    /// it and registers it with the current tokio runtime.
    pub fn bind(addr: SocketAddr, opts: &BindOptions) -> Result<DgramSocket, NetError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NetError::NoRuntime);
        }
        let domain = if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
        let socket = Socket::new(domain, Type::DGRAM.nonblocking().cloexec(), Some(Protocol::UDP))
            .map_err(|source| NetError::Socket { source })?;
        let option = |option: &'static str| {
            move |source: io::Error| NetError::SocketOption {
                option,
                addr: v4_or_unspecified(addr),
                source,
            }
        };
        if opts.reuse_addr {
            socket.set_reuse_address(true).map_err(option("SO_REUSEADDR"))?;
        }
        if opts.reuse_port {
            socket.set_reuse_port(true).map_err(option("SO_REUSEPORT"))?;
        }
        if let Some(size) = opts.recv_buffer {
            socket.set_recv_buffer_size(size).map_err(option("SO_RCVBUF"))?;
        }
        if let Some(size) = opts.send_buffer {
            socket.set_send_buffer_size(size).map_err(option("SO_SNDBUF"))?;
        }
        if addr.is_ipv4() {
            setsockopt(&socket, sockopt::Ipv4PacketInfo, &true).map_err(|errno| option("IP_PKTINFO")(errno.into()))?;
        } else {
            socket.set_only_v6(true).map_err(option("IPV6_V6ONLY"))?;
            setsockopt(&socket, sockopt::Ipv6RecvPacketInfo, &true)
                .map_err(|errno| option("IPV6_RECVPKTINFO")(errno.into()))?;
        }
        socket
            .bind(&addr.into())
            .map_err(|source| NetError::from_bind(v4_or_unspecified(addr), source))?;
        let inner = UdpSocket::from_std(socket.into()).map_err(|source| NetError::Reactor { source })?;
        Ok(DgramSocket {
            inner,
            specific: !addr.ip().is_unspecified(),
        })
    }

    /// The bound address, with the port the kernel chose if bound to port 0.
    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        self.inner.local_addr().map_err(|source| NetError::LocalAddr { source })
    }

    /// Waits for the next datagram and copies it into `buf`. Cancel-safe:
    /// dropped before it completes, it has consumed nothing.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Datagram, NetError> {
        let fd = self.inner.as_raw_fd();
        self.inner
            .async_io(Interest::READABLE, || receive(fd, buf))
            .await
            .map_err(|source| NetError::Recv { source })
    }

    /// Waits for datagrams and takes up to 32 of those queued in one
    /// system call (`recvmmsg`); returns how many. Cancel-safe.
    pub async fn recv_batch(&self, batch: &mut RecvBatch) -> Result<usize, NetError> {
        let fd = self.inner.as_fd();
        let RecvBatch {
            buffer,
            size,
            received,
            raw,
        } = batch;
        received.clear();
        let count = self
            .inner
            .async_io(Interest::READABLE, || sys::recv_batch(fd, buffer, *size, raw))
            .await
            .map_err(|source| NetError::Recv { source })?;
        for r in raw.iter().take(count) {
            let mut datagram = Datagram {
                len: r.len,
                peer: r
                    .peer
                    .unwrap_or(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))),
                local: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                ifindex: 0,
                truncated: r.truncated || r.len > *size,
            };
            if let Some(info) = r.ipv4_info {
                apply_packet_info(&mut datagram, &ControlMessageOwned::Ipv4PacketInfo(info));
            }
            if let Some(info) = r.ipv6_info {
                apply_packet_info(&mut datagram, &ControlMessageOwned::Ipv6PacketInfo(info));
            }
            received.push(datagram);
        }
        Ok(count)
    }

    /// The way to answer `datagram`: from the address and interface it
    /// came to, unless the socket is bound to one address (then the kernel
    /// needs no packet information to pick it).
    pub fn reply_from(&self, datagram: &Datagram) -> ReplyFrom {
        if self.specific {
            ReplyFrom::ROUTED
        } else {
            datagram.reply_from()
        }
    }

    /// Sends every datagram of `batch`, up to 32 per system call
    /// (`sendmmsg`), and empties it. A datagram the kernel refuses is
    /// dropped and the rest still go; the last such error is returned.
    pub async fn send_batch(&self, batch: &mut SendBatch) -> Option<NetError> {
        let fd = self.inner.as_fd();
        let mut failure = None;
        let mut next = 0;
        while next < batch.queued.len() {
            let rest = &batch.queued[next..];
            let payloads = &batch.payloads;
            match self
                .inner
                .async_io(Interest::WRITABLE, || sys::send_batch(fd, payloads, rest))
                .await
            {
                Ok(0) => next += 1,
                Ok(sent) => next += sent,
                Err(source) => {
                    let to = rest[0]
                        .to
                        .as_socket()
                        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
                    failure = Some(NetError::Send {
                        to: v4_or_unspecified(to),
                        ifindex: 0,
                        source,
                    });
                    next += 1;
                }
            }
        }
        batch.clear();
        failure
    }

    /// Sends `buf` to `to` from `from`, and returns the bytes sent.
    pub async fn send(&self, buf: &[u8], to: SocketAddr, from: ReplyFrom) -> Result<usize, NetError> {
        let fd = self.inner.as_raw_fd();
        self.inner
            .async_io(Interest::WRITABLE, || send(fd, buf, to, from))
            .await
            .map_err(|source| NetError::Send {
                to: v4_or_unspecified(to),
                ifindex: from.ifindex,
                source,
            })
    }
}

/// A TCP listener of `addr`'s family (IPv6-only for IPv6, as
/// [`DgramSocket`]), with `SO_REUSEADDR`, non-blocking, for a tokio
/// runtime to take (`tokio::net::TcpListener::from_std`).
pub fn tcp_listener(addr: SocketAddr) -> Result<std::net::TcpListener, NetError> {
    let domain = if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 };
    let option = |option: &'static str| {
        move |source: io::Error| NetError::SocketOption {
            option,
            addr: v4_or_unspecified(addr),
            source,
        }
    };
    let socket = Socket::new(domain, Type::STREAM.nonblocking().cloexec(), Some(Protocol::TCP))
        .map_err(|source| NetError::Socket { source })?;
    socket.set_reuse_address(true).map_err(option("SO_REUSEADDR"))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(option("IPV6_V6ONLY"))?;
    }
    socket
        .bind(&addr.into())
        .map_err(|source| NetError::from_bind(v4_or_unspecified(addr), source))?;
    socket.listen(1024).map_err(option("listen"))?;
    Ok(socket.into())
}

impl AsFd for DgramSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsRawFd for DgramSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

/// The errors of this crate name IPv4 addresses; an IPv6 one is shown as
/// 0.0.0.0 with its port (the caller's context names the address).
fn v4_or_unspecified(addr: SocketAddr) -> SocketAddrV4 {
    match addr {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(a) => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, a.port()),
    }
}

/// A socket address from what recvmsg filled in.
pub(crate) fn socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
    }
    storage
        .as_sockaddr_in6()
        .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
}

/// One non-blocking recvmsg(2) with the packet information of either family.
fn receive(fd: RawFd, buf: &mut [u8]) -> io::Result<Datagram> {
    let mut control = ControlBuffer([0; 128]);
    let mut iov = [IoSliceMut::new(buf)];
    let message = loop {
        match recvmsg::<SockaddrStorage>(fd, &mut iov, Some(&mut control.0[..]), MsgFlags::empty()) {
            Err(Errno::EINTR) => continue,
            other => break other?,
        }
    };
    let mut datagram = Datagram {
        len: message.bytes,
        peer: message
            .address
            .as_ref()
            .and_then(socket_addr)
            .unwrap_or(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))),
        local: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ifindex: 0,
        truncated: message.flags.contains(MsgFlags::MSG_TRUNC),
    };
    if let Ok(control_messages) = message.cmsgs() {
        for control_message in control_messages {
            apply_packet_info(&mut datagram, &control_message);
        }
    }
    Ok(datagram)
}

/// Fills a datagram's local address and interface from its packet
/// information; other control messages change nothing.
pub(crate) fn apply_packet_info(datagram: &mut Datagram, control_message: &ControlMessageOwned) {
    match control_message {
        ControlMessageOwned::Ipv4PacketInfo(info) => {
            datagram.ifindex = u32::try_from(info.ipi_ifindex).unwrap_or(0);
            let spec_dst = Ipv4Addr::from(u32::from_be(info.ipi_spec_dst.s_addr));
            let dst = Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr));
            datagram.local = IpAddr::V4(if spec_dst.is_unspecified() { dst } else { spec_dst });
        }
        ControlMessageOwned::Ipv6PacketInfo(info) => {
            datagram.ifindex = info.ipi6_ifindex;
            datagram.local = IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr));
        }
        _ => {}
    }
}

/// The packet information that makes a datagram leave from `from`, if any.
pub(crate) enum PacketInfo {
    None,
    V4(libc::in_pktinfo),
    V6(libc::in6_pktinfo),
}

impl PacketInfo {
    pub(crate) fn of(from: ReplyFrom, to: SocketAddr) -> io::Result<PacketInfo> {
        if from == ReplyFrom::ROUTED {
            return Ok(PacketInfo::None);
        }
        Ok(match (to, from.local) {
            (SocketAddr::V4(_), local) => PacketInfo::V4(libc::in_pktinfo {
                ipi_ifindex: libc::c_int::try_from(from.ifindex)
                    .map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))?,
                ipi_spec_dst: libc::in_addr {
                    s_addr: match local {
                        Some(IpAddr::V4(ip)) => u32::from(ip).to_be(),
                        _ => 0,
                    },
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            }),
            (SocketAddr::V6(_), local) => PacketInfo::V6(libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr {
                    s6_addr: match local {
                        Some(IpAddr::V6(ip)) => ip.octets(),
                        _ => [0; 16],
                    },
                },
                ipi6_ifindex: from.ifindex,
            }),
        })
    }
}

/// One non-blocking sendmsg(2), with packet information unless `from`
/// leaves everything to the kernel.
fn send(fd: RawFd, buf: &[u8], to: SocketAddr, from: ReplyFrom) -> io::Result<usize> {
    let destination = SockaddrStorage::from(to);
    let iov = [IoSlice::new(buf)];
    let info = PacketInfo::of(from, to)?;
    let v4;
    let v6;
    let control: &[ControlMessage<'_>] = match &info {
        PacketInfo::None => &[],
        PacketInfo::V4(i) => {
            v4 = [ControlMessage::Ipv4PacketInfo(i)];
            &v4
        }
        PacketInfo::V6(i) => {
            v6 = [ControlMessage::Ipv6PacketInfo(i)];
            &v6
        }
    };
    loop {
        match sendmsg(fd, &iov, control, MsgFlags::empty(), Some(&destination)) {
            Err(Errno::EINTR) => continue,
            other => return Ok(other?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn both_families_report_the_local_address_and_reply_from_it() {
        for (server, client) in [("127.0.0.1:0", "127.0.0.1:0"), ("[::1]:0", "[::1]:0")] {
            let socket = DgramSocket::bind(server.parse().unwrap(), &BindOptions::default()).unwrap();
            let addr = socket.local_addr().unwrap();
            let peer = std::net::UdpSocket::bind(client).unwrap();
            peer.send_to(b"ping", addr).unwrap();
            let mut buf = [0u8; 16];
            let got = socket.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..got.len], b"ping");
            assert_eq!(got.peer, peer.local_addr().unwrap());
            assert_eq!(got.local, addr.ip());
            assert!(got.ifindex > 0, "{got:?}");
            socket.send(b"pong", got.peer, got.reply_from()).await.unwrap();
            let (n, from) = peer.recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from), (&b"pong"[..], addr));
        }
    }

    #[tokio::test]
    async fn batches_take_and_send_several_datagrams_per_call() {
        for (server, client, wildcard) in [
            ("127.0.0.1:0", "127.0.0.1:0", "0.0.0.0:0"),
            ("[::1]:0", "[::1]:0", "[::]:0"),
        ] {
            for bind in [server, wildcard] {
                let socket = DgramSocket::bind(bind.parse().unwrap(), &BindOptions::default()).unwrap();
                let port = socket.local_addr().unwrap().port();
                let mut addr: SocketAddr = server.parse().unwrap();
                addr.set_port(port);
                let peer = std::net::UdpSocket::bind(client).unwrap();
                for i in 0..40u8 {
                    peer.send_to(&[i; 3], addr).unwrap();
                }
                // One byte short for the last: it is cut and says so.
                peer.send_to(&[7u8; 9], addr).unwrap();
                let mut batch = RecvBatch::new(8);
                let mut replies = SendBatch::new();
                let mut seen = Vec::new();
                while seen.len() < 41 {
                    let n = socket.recv_batch(&mut batch).await.unwrap();
                    assert!((1..=32).contains(&n), "{n}");
                    for i in 0..batch.len() {
                        let (bytes, datagram) = batch.get(i).unwrap();
                        assert_eq!(datagram.peer, peer.local_addr().unwrap());
                        assert_eq!(datagram.local, addr.ip());
                        seen.push((bytes.to_vec(), datagram.truncated));
                        replies.push(bytes, datagram.peer, socket.reply_from(datagram));
                    }
                }
                assert_eq!(seen[39], (vec![39u8; 3], false));
                assert_eq!(seen[40], (vec![7u8; 8], true));
                assert_eq!(replies.len(), 41);
                assert!(socket.send_batch(&mut replies).await.is_none());
                assert!(replies.is_empty());
                let mut buf = [0u8; 16];
                for i in 0..40u8 {
                    let (n, from) = peer.recv_from(&mut buf).unwrap();
                    assert_eq!((&buf[..n], from), (&[i; 3][..], addr), "{bind}");
                }
            }
        }
    }

    #[tokio::test]
    async fn an_ipv6_wildcard_leaves_ipv4_to_another_socket() {
        let v6 = DgramSocket::bind("[::]:0".parse().unwrap(), &BindOptions::default()).unwrap();
        let port = v6.local_addr().unwrap().port();
        DgramSocket::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)), &BindOptions::default())
            .expect("IPV6_V6ONLY leaves the IPv4 port free");
    }
}
