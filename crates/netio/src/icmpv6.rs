//! A raw ICMPv6 socket on one interface, for router advertisements: it
//! receives the interface's router solicitations (it joins ff02::2, the
//! all-routers group) and sends to ff02::1 (all nodes) with hop limit 255,
//! as RFC 4861 requires of neighbour discovery. The kernel fills in the
//! ICMPv6 checksum and picks the interface's link-local source address.

use std::io::{self, Read};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use crate::NetError;

const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

pub struct Icmpv6Socket {
    socket: Socket,
    ifindex: u32,
    ifname: String,
}

impl Icmpv6Socket {
    /// Opens the socket on `ifname` (needs CAP_NET_RAW).
    pub fn open(ifname: &str) -> Result<Icmpv6Socket, NetError> {
        let ifindex = crate::interface(ifname)?.index;
        let socket = Socket::new(Domain::IPV6, Type::RAW.cloexec(), Some(Protocol::ICMPV6)).map_err(|e| {
            if e.kind() == io::ErrorKind::PermissionDenied {
                NetError::RawSocketPermission { ifname: ifname.into() }
            } else {
                NetError::Socket { source: e }
            }
        })?;
        let setup = |option: &'static str, r: io::Result<()>| {
            r.map_err(|source| NetError::Icmpv6Option {
                option,
                ifname: ifname.into(),
                source,
            })
        };
        setup("SO_BINDTODEVICE", socket.bind_device(Some(ifname.as_bytes())))?;
        setup("IPV6_MULTICAST_HOPS", socket.set_multicast_hops_v6(255))?;
        setup("IPV6_UNICAST_HOPS", socket.set_unicast_hops_v6(255))?;
        setup("IPV6_MULTICAST_LOOP", socket.set_multicast_loop_v6(false))?;
        setup(
            "IPV6_JOIN_GROUP ff02::2",
            socket.join_multicast_v6(&ALL_ROUTERS, ifindex),
        )?;
        Ok(Icmpv6Socket {
            socket,
            ifindex,
            ifname: ifname.into(),
        })
    }

    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// Waits up to `timeout` for one ICMPv6 message (without the IPv6
    /// header); `None` when none came.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> Result<Option<usize>, NetError> {
        let timeout = timeout.max(Duration::from_millis(1));
        self.socket
            .set_read_timeout(Some(timeout))
            .map_err(|source| NetError::Recv { source })?;
        match (&self.socket).read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(source) => Err(NetError::Recv { source }),
        }
    }

    /// Sends `msg` to all nodes on the interface.
    pub fn send_all_nodes(&self, msg: &[u8]) -> Result<(), NetError> {
        let to = SocketAddrV6::new(ALL_NODES, 0, 0, self.ifindex);
        self.socket
            .send_to(msg, &to.into())
            .map(|_| ())
            .map_err(|source| NetError::SendV6 {
                ifname: self.ifname.clone(),
                source,
            })
    }
}
