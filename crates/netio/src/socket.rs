//! [`PktSocket`]: a tokio UDP/IPv4 socket that reports, for every datagram, the
//! interface it arrived on and the addresses it was sent to (`IP_PKTINFO` on
//! recvmsg), and sends through a chosen interface with a chosen source address
//! (`IP_PKTINFO` on sendmsg), including to 255.255.255.255.
//!
//! That is what a DHCP server bound to 0.0.0.0 needs to answer on the right link
//! from the right address, and what a TFTP server needs to open one ephemeral
//! socket per transfer on the address a request arrived on (bind port 0, then ask
//! [`PktSocket::local_addr`]). It deliberately does not pick destinations, retry,
//! or time out: callers wrap `recv` in their own cancellation and deadlines.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use nix::errno::Errno;
use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, SockaddrIn, recvmsg, sendmsg, setsockopt, sockopt,
};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::error::NetError;
use crate::iface::interfaces;

/// How to set up the socket before it is bound. `Default` is a plain socket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// SO_REUSEADDR.
    pub reuse_addr: bool,
    /// SO_REUSEPORT: several sockets share the port (the kernel spreads datagrams).
    pub reuse_port: bool,
    /// SO_BROADCAST: required to send to 255.255.255.255 or a directed broadcast.
    pub broadcast: bool,
    /// SO_BINDTODEVICE: receive and send only on this interface (needs CAP_NET_RAW).
    pub device: Option<String>,
    /// SO_RCVBUF in bytes (the kernel doubles it and caps it at net.core.rmem_max).
    pub recv_buffer: Option<usize>,
    /// SO_SNDBUF in bytes (the kernel doubles it and caps it at net.core.wmem_max).
    pub send_buffer: Option<usize>,
}

/// One datagram received by [`PktSocket::recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written to the buffer (at most its length).
    pub len: usize,
    /// The sender.
    pub src: SocketAddrV4,
    /// The interface it arrived on (`ipi_ifindex`); 0 if the kernel sent no pktinfo.
    pub ifindex: u32,
    /// The local address the kernel would answer from (`ipi_spec_dst`): for a
    /// broadcast, the arrival interface's address. The source to reply with.
    pub local: Ipv4Addr,
    /// The destination in the IP header (`ipi_addr`): 255.255.255.255 or a directed
    /// broadcast tells a broadcast from a unicast.
    pub dst: Ipv4Addr,
    /// The datagram was longer than the buffer and its tail was dropped.
    pub truncated: bool,
}

/// Where [`PktSocket::send`] sends from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Via {
    /// The outgoing interface; 0 lets the kernel route.
    pub ifindex: u32,
    /// The source address; `None` lets the kernel choose.
    pub src: Option<Ipv4Addr>,
}

impl Via {
    /// Let the kernel choose the interface and the source address.
    pub const ROUTED: Via = Via { ifindex: 0, src: None };

    /// Reply the way `received` came in: same interface, from the address it was sent to
    /// (`ipi_spec_dst`, as dnsmasq and dora do).
    pub fn reply_to(received: &Received) -> Via {
        Via {
            ifindex: received.ifindex,
            src: (!received.local.is_unspecified()).then_some(received.local),
        }
    }
}

/// A UDP/IPv4 socket with per-datagram interface and address information.
///
/// It is `Send + Sync`: share it in an `Arc` between a receiving task and sending tasks.
#[derive(Debug)]
pub struct PktSocket {
    // tokio's UdpSocket is used only for its reactor registration (`async_io`);
    // every datagram goes through recvmsg/sendmsg below, never through its methods.
    inner: UdpSocket,
}

/// Room for the `IP_PKTINFO` message and a few more, aligned for `struct cmsghdr`,
/// so that receiving allocates nothing.
#[repr(C, align(8))]
struct ControlBuffer([u8; 128]);

impl PktSocket {
    /// Creates a non-blocking socket with `IP_PKTINFO` on, applies `opts`, binds it to
    /// `addr` (port 0 picks an ephemeral port) and registers it with the current tokio
    /// runtime, which must have its I/O driver enabled (`enable_all` or `enable_io`;
    /// tokio panics otherwise). Fails with [`NetError::NoRuntime`] outside a runtime.
    pub fn bind(addr: SocketAddrV4, opts: &BindOptions) -> Result<PktSocket, NetError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(NetError::NoRuntime);
        }
        let socket = Socket::new(Domain::IPV4, Type::DGRAM.nonblocking().cloexec(), Some(Protocol::UDP))
            .map_err(|source| NetError::Socket { source })?;
        let option = |option: &'static str| move |source: io::Error| NetError::SocketOption { option, addr, source };
        if opts.reuse_addr {
            socket.set_reuse_address(true).map_err(option("SO_REUSEADDR"))?;
        }
        if opts.reuse_port {
            socket.set_reuse_port(true).map_err(option("SO_REUSEPORT"))?;
        }
        if opts.broadcast {
            socket.set_broadcast(true).map_err(option("SO_BROADCAST"))?;
        }
        if let Some(size) = opts.recv_buffer {
            socket.set_recv_buffer_size(size).map_err(option("SO_RCVBUF"))?;
        }
        if let Some(size) = opts.send_buffer {
            socket.set_send_buffer_size(size).map_err(option("SO_SNDBUF"))?;
        }
        setsockopt(&socket, sockopt::Ipv4PacketInfo, &true).map_err(|errno| option("IP_PKTINFO")(errno.into()))?;
        if let Some(device) = &opts.device {
            bind_to_device(&socket, device, addr)?;
        }
        socket
            .bind(&SocketAddr::V4(addr).into())
            .map_err(|source| NetError::from_bind(addr, source))?;
        let inner = UdpSocket::from_std(socket.into()).map_err(|source| NetError::Reactor { source })?;
        Ok(PktSocket { inner })
    }

    /// The bound address, with the port the kernel chose if bound to port 0.
    pub fn local_addr(&self) -> Result<SocketAddrV4, NetError> {
        match self.inner.local_addr() {
            Ok(SocketAddr::V4(addr)) => Ok(addr),
            Ok(SocketAddr::V6(_)) => Err(NetError::LocalAddr {
                source: io::Error::from_raw_os_error(libc::EAFNOSUPPORT),
            }),
            Err(source) => Err(NetError::LocalAddr { source }),
        }
    }

    /// Waits for the next datagram and copies it into `buf`.
    ///
    /// Cancel-safe: if the future is dropped before it completes, no datagram has been
    /// consumed. A datagram longer than `buf` is cut and reported as `truncated`.
    pub async fn recv(&self, buf: &mut [u8]) -> Result<Received, NetError> {
        let fd = self.inner.as_raw_fd();
        // async_io retries the closure on WouldBlock after waiting for readiness, and
        // the closure only consumes a datagram when it returns Ok.
        self.inner
            .async_io(Interest::READABLE, || receive_with_pktinfo(fd, buf))
            .await
            .map_err(|source| NetError::Recv { source })
    }

    /// Sends `buf` to `to` through `via`, and returns the bytes sent.
    ///
    /// With `via.ifindex` set the datagram leaves through that interface whatever the
    /// routing table says (this is how a broadcast reaches the right link); with
    /// `via.src` set it carries that source address, which must be local.
    pub async fn send(&self, buf: &[u8], to: SocketAddrV4, via: Via) -> Result<usize, NetError> {
        let failed = |source: io::Error| {
            if source.raw_os_error() == Some(libc::EACCES) {
                NetError::BroadcastNotEnabled { to }
            } else {
                NetError::Send {
                    to,
                    ifindex: via.ifindex,
                    source,
                }
            }
        };
        let fd = self.inner.as_raw_fd();
        self.inner
            .async_io(Interest::WRITABLE, || send_with_pktinfo(fd, buf, to, via))
            .await
            .map_err(failed)
    }
}

impl AsFd for PktSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl AsRawFd for PktSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

/// SO_BINDTODEVICE with errors an operator can act on.
fn bind_to_device(socket: &Socket, device: &str, addr: SocketAddrV4) -> Result<(), NetError> {
    if device.is_empty()
        || device.len() >= libc::IFNAMSIZ
        || device.contains(['\0', '/', ':'])
        || device.chars().any(char::is_whitespace)
    {
        return Err(NetError::InvalidInterfaceName {
            name: device.to_string(),
        });
    }
    match socket.bind_device(Some(device.as_bytes())) {
        Ok(()) => Ok(()),
        Err(source) => match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => Err(NetError::BindToDevicePermission {
                device: device.to_string(),
            }),
            Some(libc::ENODEV) => Err(NetError::UnknownInterface {
                name: device.to_string(),
                existing: interfaces()
                    .map(|all| all.into_iter().map(|interface| interface.name).collect())
                    .unwrap_or_default(),
            }),
            _ => Err(NetError::SocketOption {
                option: "SO_BINDTODEVICE",
                addr,
                source,
            }),
        },
    }
}

/// One non-blocking recvmsg(2) that collects `IP_PKTINFO`.
///
/// Control messages it does not expect, or a control buffer the kernel had to cut
/// (MSG_CTRUNC), leave the interface fields at zero instead of failing.
fn receive_with_pktinfo(fd: RawFd, buf: &mut [u8]) -> io::Result<Received> {
    let mut control = ControlBuffer([0; 128]);
    let mut iov = [IoSliceMut::new(buf)];
    let message = loop {
        match recvmsg::<SockaddrIn>(fd, &mut iov, Some(&mut control.0[..]), MsgFlags::empty()) {
            Err(Errno::EINTR) => continue,
            other => break other?,
        }
    };
    let mut received = Received {
        len: message.bytes,
        src: message
            .address
            .map(SocketAddrV4::from)
            .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
        ifindex: 0,
        local: Ipv4Addr::UNSPECIFIED,
        dst: Ipv4Addr::UNSPECIFIED,
        truncated: message.flags.contains(MsgFlags::MSG_TRUNC),
    };
    if let Ok(control_messages) = message.cmsgs() {
        for control_message in control_messages {
            if let ControlMessageOwned::Ipv4PacketInfo(info) = control_message {
                received.ifindex = u32::try_from(info.ipi_ifindex).unwrap_or(0);
                received.local = ipv4_from_in_addr(info.ipi_spec_dst);
                received.dst = ipv4_from_in_addr(info.ipi_addr);
            }
        }
    }
    Ok(received)
}

/// One non-blocking sendmsg(2), with an `IP_PKTINFO` message unless `via` leaves
/// everything to the kernel.
fn send_with_pktinfo(fd: RawFd, buf: &[u8], to: SocketAddrV4, via: Via) -> io::Result<usize> {
    let destination = SockaddrIn::from(to);
    let iov = [IoSlice::new(buf)];
    let info;
    let control: &[ControlMessage<'_>] = if via == Via::ROUTED {
        &[]
    } else {
        info = libc::in_pktinfo {
            ipi_ifindex: libc::c_int::try_from(via.ifindex).map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))?,
            ipi_spec_dst: in_addr_from_ipv4(via.src.unwrap_or(Ipv4Addr::UNSPECIFIED)),
            ipi_addr: in_addr_from_ipv4(Ipv4Addr::UNSPECIFIED),
        };
        &[ControlMessage::Ipv4PacketInfo(&info)]
    };
    loop {
        match sendmsg(fd, &iov, control, MsgFlags::empty(), Some(&destination)) {
            Err(Errno::EINTR) => continue,
            other => return Ok(other?),
        }
    }
}

/// `in_addr.s_addr` is in network byte order.
fn ipv4_from_in_addr(address: libc::in_addr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from_be(address.s_addr))
}

fn in_addr_from_ipv4(address: Ipv4Addr) -> libc::in_addr {
    libc::in_addr {
        s_addr: u32::from(address).to_be(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_outside_a_runtime_is_an_error_not_a_panic() {
        let error = PktSocket::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0), &BindOptions::default()).unwrap_err();
        assert!(matches!(error, NetError::NoRuntime), "{error}");
    }

    #[test]
    fn a_socket_can_be_shared_between_tasks() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<PktSocket>();
    }

    #[test]
    fn in_addr_round_trip() {
        let address = Ipv4Addr::new(10, 231, 0, 1);
        let raw = in_addr_from_ipv4(address);
        assert_eq!(raw.s_addr.to_ne_bytes(), [10, 231, 0, 1]);
        assert_eq!(ipv4_from_in_addr(raw), address);
    }

    #[test]
    fn reply_to_uses_the_arrival_interface_and_address() {
        let received = Received {
            len: 300,
            src: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 68),
            ifindex: 7,
            local: Ipv4Addr::new(10, 231, 0, 1),
            dst: Ipv4Addr::BROADCAST,
            truncated: false,
        };
        assert_eq!(
            Via::reply_to(&received),
            Via {
                ifindex: 7,
                src: Some(Ipv4Addr::new(10, 231, 0, 1))
            }
        );
    }
}
