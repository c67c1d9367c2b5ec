//! ARP-cache injection, so a DHCP server can unicast an OFFER or ACK to a client
//! that does not have its address yet and therefore cannot answer ARP
//! (RFC 2131 §4.1; dnsmasq and dora both do this with `SIOCSARP`).
//!
//! It deliberately does not decide when to inject (the DHCP crate does: broadcast
//! flag clear, no relay, no `ciaddr`) nor fall back to broadcast when injection
//! fails; it only reports the failure.

use std::net::Ipv4Addr;
use std::os::fd::AsFd;

use socket2::{Domain, Socket, Type};

use crate::error::NetError;
use crate::sys;

/// Adds (or replaces) the ARP entry `ip` → `mac` on interface `ifname`, in the
/// network namespace of the calling thread.
///
/// The entry is complete but not permanent (`ATF_COM`): the kernel uses it at once
/// and later confirms or expires it like an entry it learned itself. Needs
/// CAP_NET_ADMIN. `mac` must be a 6-byte Ethernet address (a DHCP `chaddr` cut to
/// `hlen`).
pub fn inject_arp(ifname: &str, ip: Ipv4Addr, mac: &[u8]) -> Result<(), NetError> {
    let mac: [u8; 6] = mac
        .try_into()
        .map_err(|_| NetError::InvalidHardwareAddress { len: mac.len() })?;
    if ifname.is_empty() || ifname.len() >= libc::IFNAMSIZ || ifname.contains('\0') {
        return Err(NetError::InvalidInterfaceName {
            name: ifname.to_string(),
        });
    }
    let socket =
        Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), None).map_err(|source| NetError::Socket { source })?;
    sys::set_arp_entry(socket.as_fd(), ifname, ip, mac).map_err(|source| match source.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => NetError::ArpPermission {
            ifname: ifname.to_string(),
            ip,
        },
        Some(libc::ENODEV) | Some(libc::ENXIO) => NetError::UnknownInterface {
            name: ifname.to_string(),
            existing: crate::iface::interfaces()
                .map(|all| all.into_iter().map(|interface| interface.name).collect())
                .unwrap_or_default(),
        },
        _ => NetError::Arp {
            ifname: ifname.to_string(),
            ip,
            source,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_hardware_addresses_that_are_not_ethernet() {
        let error = inject_arp("lo", Ipv4Addr::new(10, 231, 0, 9), &[1, 2, 3]).unwrap_err();
        assert!(matches!(error, NetError::InvalidHardwareAddress { len: 3 }), "{error}");
    }

    #[test]
    fn rejects_impossible_interface_names() {
        let error = inject_arp("", Ipv4Addr::new(10, 231, 0, 9), &[2; 6]).unwrap_err();
        assert!(matches!(error, NetError::InvalidInterfaceName { .. }), "{error}");
    }
}
