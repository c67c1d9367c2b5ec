//! The one error type of this crate, with messages that tell an operator what to do.
//!
//! Raw `errno` values are turned into specific variants where an operator can act
//! on them (privileges, a port already taken, an unknown interface); everything
//! else keeps the `std::io::Error` as its source. This module does no I/O: the
//! callers gather whatever the message needs (such as the existing interfaces).

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// `PktSocket::bind` registers the socket with the tokio reactor of the caller.
    #[error("PktSocket::bind must be called from inside a tokio runtime (none is running on this thread)")]
    NoRuntime,

    /// Ports below 1024 need privilege.
    #[error("permission denied binding {addr}: run as root or grant CAP_NET_BIND_SERVICE")]
    BindPermission { addr: SocketAddrV4 },

    /// Another socket holds the address.
    #[error("address {addr} is already in use: {hint}")]
    AddrInUse {
        addr: SocketAddrV4,
        /// Who probably holds it, chosen by port.
        hint: &'static str,
    },

    /// The IP address to bind is not configured on this host.
    #[error(
        "cannot bind {addr}: {} is not assigned to any interface here; bind 0.0.0.0 or an address `ip -4 addr` shows",
        .addr.ip()
    )]
    AddrNotAvailable { addr: SocketAddrV4 },

    /// Any other failure of bind(2).
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddrV4,
        #[source]
        source: io::Error,
    },

    /// socket(2) failed (usually a file-descriptor limit).
    #[error("cannot create a UDP socket: {source}; check the open-files limit (ulimit -n)")]
    Socket {
        #[source]
        source: io::Error,
    },

    /// The tokio reactor refused the socket (epoll registration failed).
    #[error("cannot register a socket with the tokio reactor: {source}")]
    Reactor {
        #[source]
        source: io::Error,
    },

    /// A setsockopt(2) failed.
    #[error("cannot set {option} on the socket for {addr}: {source}")]
    SocketOption {
        option: &'static str,
        addr: SocketAddrV4,
        #[source]
        source: io::Error,
    },

    /// SO_BINDTODEVICE needs CAP_NET_RAW.
    #[error("permission denied binding a socket to device {device:?}: run as root or grant CAP_NET_RAW")]
    BindToDevicePermission { device: String },

    /// No interface has this name.
    #[error("no interface named {name:?}; existing interfaces: {}", list_or_none(.existing))]
    UnknownInterface {
        name: String,
        /// The names that do exist, for the operator to pick from.
        existing: Vec<String>,
    },

    /// The name cannot be an interface name at all.
    #[error("invalid interface name {name:?}: interface names are 1 to 15 bytes with no NUL, '/' or ':'")]
    InvalidInterfaceName { name: String },

    /// getifaddrs(3) failed.
    #[error("cannot list network interfaces: {source}")]
    ListInterfaces {
        #[source]
        source: io::Error,
    },

    /// getsockname(2) failed.
    #[error("cannot read the local address of a socket: {source}")]
    LocalAddr {
        #[source]
        source: io::Error,
    },

    /// recvmsg(2) failed, or the reactor did.
    #[error("receiving a datagram failed: {source}")]
    Recv {
        #[source]
        source: io::Error,
    },

    /// The kernel refuses broadcasts unless SO_BROADCAST is set.
    #[error("cannot send to {to}: it is a broadcast address and the socket was bound without BindOptions::broadcast")]
    BroadcastNotEnabled { to: SocketAddrV4 },

    /// sendmsg(2) failed.
    #[error("sending to {to} (interface index {ifindex}, 0 = routed) failed: {source}")]
    Send {
        to: SocketAddrV4,
        ifindex: u32,
        #[source]
        source: io::Error,
    },

    /// Raw ICMPv6 sockets (router advertisements) need CAP_NET_RAW.
    #[error(
        "permission denied opening an ICMPv6 socket on {ifname} for router advertisements: run as root or grant CAP_NET_RAW"
    )]
    RawSocketPermission { ifname: String },

    /// A setsockopt(2) on the ICMPv6 socket failed.
    #[error("cannot set {option} on the ICMPv6 socket of {ifname}: {source}")]
    Icmpv6Option {
        option: &'static str,
        ifname: String,
        #[source]
        source: io::Error,
    },

    /// Sending a router advertisement failed.
    #[error("sending a router advertisement on {ifname} failed: {source}")]
    SendV6 {
        ifname: String,
        #[source]
        source: io::Error,
    },

    /// ARP injection takes Ethernet addresses only.
    #[error("hardware address has {len} bytes: ARP injection supports 6-byte Ethernet addresses only")]
    InvalidHardwareAddress { len: usize },

    /// SIOCSARP needs CAP_NET_ADMIN.
    #[error("permission denied adding an ARP entry for {ip} on {ifname}: run as root or grant CAP_NET_ADMIN")]
    ArpPermission { ifname: String, ip: Ipv4Addr },

    /// Any other SIOCSARP failure.
    #[error("cannot add an ARP entry for {ip} on {ifname}: {source}")]
    Arp {
        ifname: String,
        ip: Ipv4Addr,
        #[source]
        source: io::Error,
    },
}

impl NetError {
    /// Classifies a failed bind(2) of `addr`.
    pub(crate) fn from_bind(addr: SocketAddrV4, source: io::Error) -> NetError {
        match source.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EPERM) => NetError::BindPermission { addr },
            Some(libc::EADDRINUSE) => NetError::AddrInUse {
                addr,
                hint: in_use_hint(addr.port()),
            },
            Some(libc::EADDRNOTAVAIL) => NetError::AddrNotAvailable { addr },
            _ => NetError::Bind { addr, source },
        }
    }
}

/// Names the usual suspects for a port that is already taken.
fn in_use_hint(port: u16) -> &'static str {
    match port {
        67 | 68 | 4011 => {
            "another DHCP server (often dnsmasq, or isc-dhcp-server or kea) may be running; stop it, or run kindling in proxyDHCP mode on another port"
        }
        69 => "another TFTP server (often dnsmasq or tftpd-hpa) may be running; stop it or choose another TFTP port",
        53 => {
            "another DNS server (often dnsmasq or systemd-resolved) may be running; stop it or choose another DNS port"
        }
        _ => "another process holds this port (`ss -ulpn` shows which); stop it or choose another port",
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_errors_say_what_to_do() {
        let addr = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 67);
        let denied = NetError::from_bind(addr, io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(
            denied.to_string(),
            "permission denied binding 0.0.0.0:67: run as root or grant CAP_NET_BIND_SERVICE"
        );
        let in_use = NetError::from_bind(addr, io::Error::from_raw_os_error(libc::EADDRINUSE));
        let message = in_use.to_string();
        assert!(message.contains("0.0.0.0:67"), "{message}");
        assert!(message.contains("dnsmasq"), "{message}");
        let other = NetError::from_bind(addr, io::Error::from_raw_os_error(libc::EINVAL));
        assert!(matches!(other, NetError::Bind { .. }));
    }

    #[test]
    fn unknown_interface_lists_the_existing_ones() {
        let error = NetError::UnknownInterface {
            name: "eth9".into(),
            existing: vec!["lo".into(), "eth0".into()],
        };
        assert_eq!(
            error.to_string(),
            "no interface named \"eth9\"; existing interfaces: lo, eth0"
        );
    }
}
