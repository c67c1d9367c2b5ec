//! The network interfaces of the calling thread's network namespace, with their
//! index, hardware address, MTU, IPv4 and IPv6 networks, and the [`Ipv4Net`]
//! arithmetic the DHCP server needs to tell which subnet a request came from.
//!
//! It reads a snapshot (getifaddrs(3) plus `SIOCGIFMTU`); it deliberately does not
//! watch for changes (netlink) or configure interfaces.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsFd;

use nix::ifaddrs::getifaddrs;
use nix::net::if_::if_nametoindex;
use socket2::{Domain, Socket, Type};

use crate::error::NetError;
use crate::sys;

/// An IPv4 address with its prefix length, as configured on an interface
/// (`10.0.0.5/24`: `addr` keeps the host bits).
///
/// A prefix above 32 is treated as 32 by every helper, so no input makes them panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Net {
    /// The network mask (`255.255.255.0` for /24, `0.0.0.0` for /0).
    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask_bits())
    }

    /// The network address: `addr` with the host bits cleared.
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask_bits())
    }

    /// The directed broadcast address: `addr` with the host bits set.
    ///
    /// For /31 (RFC 3021 point-to-point) and /32 this is simply the highest address
    /// of the range; such networks have no real broadcast address.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask_bits())
    }

    /// Whether `ip` lies in this network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask_bits() == u32::from(self.network())
    }

    fn mask_bits(&self) -> u32 {
        match self.prefix.min(32) {
            0 => 0,
            prefix => u32::MAX << (32 - u32::from(prefix)),
        }
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv6 address with its prefix length, as configured on an interface
/// (`fd00::5/64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6Net {
    pub addr: Ipv6Addr,
    pub prefix: u8,
}

/// A network interface with its IPv4 and IPv6 addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The kernel name (`eth0`); address labels such as `eth0:1` are folded into it.
    pub name: String,
    /// The interface index, as in `Received::ifindex` and `Via::ifindex`.
    pub index: u32,
    /// The hardware address; `None` for interfaces without one (loopback, tunnels)
    /// or with one that is not 6 bytes long.
    pub mac: Option<[u8; 6]>,
    /// `None` if the MTU could not be read.
    pub mtu: Option<u32>,
    /// Every IPv4 address, primary first, as getifaddrs(3) lists them.
    pub ipv4: Vec<Ipv4Net>,
    /// Every IPv6 address (link-local ones included), as getifaddrs(3)
    /// lists them.
    pub ipv6: Vec<Ipv6Net>,
}

/// Lists the interfaces of the calling thread's network namespace, by index.
pub fn interfaces() -> Result<Vec<Interface>, NetError> {
    let addresses = getifaddrs().map_err(|errno| NetError::ListInterfaces { source: errno.into() })?;
    // One socket for all the SIOCGIFMTU calls; without it the MTU is simply unknown.
    let ioctl_socket = Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), None).ok();
    let mut found: Vec<Interface> = Vec::new();
    for entry in addresses {
        // IPv4 address labels ("eth0:1") name the device before the colon; a colon
        // is never part of a device name (the kernel's dev_valid_name rejects it).
        let name = entry.interface_name.split(':').next().unwrap_or_default().to_string();
        let position = match found.iter().position(|known| known.name == name) {
            Some(position) => position,
            None => {
                let index = if_nametoindex(name.as_str()).unwrap_or(0);
                let mtu = ioctl_socket
                    .as_ref()
                    .and_then(|socket| sys::interface_mtu(socket.as_fd(), &name).ok());
                found.push(Interface {
                    name,
                    index,
                    mac: None,
                    mtu,
                    ipv4: Vec::new(),
                    ipv6: Vec::new(),
                });
                found.len() - 1
            }
        };
        let interface = &mut found[position];
        let Some(address) = entry.address else {
            continue;
        };
        if let Some(link) = address.as_link_addr() {
            // getifaddrs reports all-zero addresses for devices that have none, and
            // nix returns the first six bytes whatever the real length is.
            interface.mac = link.addr().filter(|mac| link.halen() == 6 && *mac != [0; 6]);
        } else if let Some(inet) = address.as_sockaddr_in() {
            let prefix = entry
                .netmask
                .as_ref()
                .and_then(|mask| mask.as_sockaddr_in())
                .map(|mask| prefix_length(mask.ip()))
                .unwrap_or(32);
            interface.ipv4.push(Ipv4Net {
                addr: inet.ip(),
                prefix,
            });
        } else if let Some(inet6) = address.as_sockaddr_in6() {
            let prefix = entry
                .netmask
                .as_ref()
                .and_then(|mask| mask.as_sockaddr_in6())
                .map(|mask| u8::try_from(u128::from(mask.ip()).leading_ones()).unwrap_or(128))
                .unwrap_or(128);
            interface.ipv6.push(Ipv6Net {
                addr: inet6.ip(),
                prefix,
            });
        }
    }
    found.sort_by_key(|interface| interface.index);
    Ok(found)
}

/// Finds one interface by name; the error lists the names that do exist.
pub fn interface(name: &str) -> Result<Interface, NetError> {
    let all = interfaces()?;
    let existing: Vec<String> = all.iter().map(|interface| interface.name.clone()).collect();
    all.into_iter()
        .find(|interface| interface.name == name)
        .ok_or_else(|| NetError::UnknownInterface {
            name: name.to_string(),
            existing,
        })
}

/// The number of leading one bits of a netmask (masks are contiguous on Linux).
fn prefix_length(mask: Ipv4Addr) -> u8 {
    // At most 32, so the conversion cannot fail.
    u8::try_from(u32::from(mask).leading_ones()).unwrap_or(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> Ipv4Net {
        let (addr, prefix) = text.split_once('/').unwrap();
        Ipv4Net {
            addr: addr.parse().unwrap(),
            prefix: prefix.parse().unwrap(),
        }
    }

    #[test]
    fn ipv4_net_arithmetic() {
        let lan = net("10.231.4.7/22");
        assert_eq!(lan.netmask(), Ipv4Addr::new(255, 255, 252, 0));
        assert_eq!(lan.network(), Ipv4Addr::new(10, 231, 4, 0));
        assert_eq!(lan.broadcast(), Ipv4Addr::new(10, 231, 7, 255));
        assert!(lan.contains(Ipv4Addr::new(10, 231, 6, 1)));
        assert!(!lan.contains(Ipv4Addr::new(10, 231, 8, 1)));
        assert_eq!(lan.to_string(), "10.231.4.7/22");
    }

    #[test]
    fn ipv4_net_edges_do_not_panic() {
        let everything = net("192.0.2.1/0");
        assert_eq!(everything.netmask(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(everything.network(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(everything.broadcast(), Ipv4Addr::BROADCAST);
        assert!(everything.contains(Ipv4Addr::new(8, 8, 8, 8)));

        let host = net("192.0.2.1/32");
        assert_eq!(host.netmask(), Ipv4Addr::BROADCAST);
        assert_eq!(host.broadcast(), Ipv4Addr::new(192, 0, 2, 1));
        assert!(host.contains(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(!host.contains(Ipv4Addr::new(192, 0, 2, 2)));

        let nonsense = Ipv4Net {
            addr: Ipv4Addr::new(192, 0, 2, 1),
            prefix: 200,
        };
        assert_eq!(nonsense.netmask(), Ipv4Addr::BROADCAST);
    }

    #[test]
    fn prefix_lengths() {
        assert_eq!(prefix_length(Ipv4Addr::new(255, 0, 0, 0)), 8);
        assert_eq!(prefix_length(Ipv4Addr::new(255, 255, 255, 255)), 32);
        assert_eq!(prefix_length(Ipv4Addr::UNSPECIFIED), 0);
    }

    #[test]
    fn unknown_interface_error_lists_lo() {
        let error = interface("kindling-nope0").unwrap_err();
        match &error {
            NetError::UnknownInterface { name, existing } => {
                assert_eq!(name, "kindling-nope0");
                assert!(existing.iter().any(|name| name == "lo"), "{existing:?}");
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(error.to_string().contains("lo"));
    }
}
