//! The two `ioctl(2)` calls that have no safe wrapper in nix or socket2:
//! `SIOCGIFMTU` (read an interface's MTU) and `SIOCSARP` (write an ARP-cache entry).
//!
//! This is the only file in the workspace with `unsafe` code. Each function builds
//! its request struct in safe code, makes one system call, and checks the result;
//! it validates names and addresses before the call, so the kernel never sees an
//! unterminated string. It deliberately does not decide anything (which interface,
//! which flags beyond `ATF_COM`) and turns no errno into an operator message:
//! callers do that.

use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, BorrowedFd};

use libc::c_char;

/// `ATF_COM` from `<net/if_arp.h>`: the entry is complete (has a hardware address).
/// libc does not export the ARP flag constants.
const ATF_COM: libc::c_int = 0x02;

/// Copies an interface name into the fixed, NUL-terminated array the kernel expects.
///
/// Fails with `EINVAL` unless the name fits with its terminator and has no NUL,
/// so the kernel always reads a terminated string from the array.
fn interface_name_array(name: &str) -> io::Result<[c_char; libc::IFNAMSIZ]> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut array = [0 as c_char; libc::IFNAMSIZ];
    for (slot, byte) in array.iter_mut().zip(bytes) {
        // c_char is i8 on x86_64 and u8 on aarch64; the bit pattern is what counts.
        *slot = *byte as c_char;
    }
    Ok(array)
}

/// Reads the MTU of interface `name` with `SIOCGIFMTU` on `socket` (any AF_INET socket).
///
/// An ioctl rather than `/sys/class/net/<name>/mtu` because sysfs shows the network
/// namespace that mounted it, not the one the calling thread is in.
#[allow(unsafe_code)]
pub(crate) fn interface_mtu(socket: BorrowedFd<'_>, name: &str) -> io::Result<u32> {
    let mut request = libc::ifreq {
        ifr_name: interface_name_array(name)?,
        ifr_ifru: libc::__c_anonymous_ifr_ifru { ifru_mtu: 0 },
    };
    // SAFETY: `socket` is a valid open descriptor for the duration of the borrow;
    // `request` is a fully initialised `struct ifreq` with a NUL-terminated name that
    // lives across the call, and SIOCGIFMTU reads the name and writes only the
    // `ifru_mtu` member of that struct.
    let result = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFMTU, &mut request) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the union was initialised through `ifru_mtu` above and SIOCGIFMTU writes
    // the MTU through that same `int` member, so reading it reads an initialised int.
    let mtu = unsafe { request.ifr_ifru.ifru_mtu };
    u32::try_from(mtu).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Adds or replaces the ARP entry `ip` → `mac` on interface `ifname` with `SIOCSARP`
/// on `socket` (any AF_INET socket in the right network namespace).
///
/// The entry is `ATF_COM` and not `ATF_PERM`, as dnsmasq and dora do: the kernel
/// enters it as STALE, uses it at once, then confirms or ages it out like a learned
/// one, so a MAC that changes hands later is not pinned forever.
#[allow(unsafe_code)]
pub(crate) fn set_arp_entry(socket: BorrowedFd<'_>, ifname: &str, ip: Ipv4Addr, mac: [u8; 6]) -> io::Result<()> {
    // `arp_pa` is a `struct sockaddr` that the kernel reads as a `sockaddr_in`:
    // sa_data holds the port (unused, 0) then the address in network byte order.
    let mut protocol_address = [0 as c_char; 14];
    for (slot, byte) in protocol_address[2..6].iter_mut().zip(ip.octets()) {
        *slot = byte as c_char;
    }
    let mut hardware_address = [0 as c_char; 14];
    for (slot, byte) in hardware_address.iter_mut().zip(mac) {
        *slot = byte as c_char;
    }
    let request = libc::arpreq {
        arp_pa: libc::sockaddr {
            sa_family: libc::AF_INET as libc::sa_family_t,
            sa_data: protocol_address,
        },
        arp_ha: libc::sockaddr {
            sa_family: libc::ARPHRD_ETHER,
            sa_data: hardware_address,
        },
        arp_flags: ATF_COM,
        // Ignored without ATF_NETMASK (the kernel substitutes 255.255.255.255).
        arp_netmask: libc::sockaddr {
            sa_family: 0,
            sa_data: [0; 14],
        },
        arp_dev: interface_name_array(ifname)?,
    };
    // SAFETY: `socket` is a valid open descriptor for the duration of the borrow;
    // `request` is a fully initialised `struct arpreq` (it has no padding, and the
    // device name is NUL-terminated) that lives across the call, and SIOCSARP only
    // copies it into the kernel; nothing is written back.
    let result = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCSARP, &request) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_are_checked_before_any_ioctl() {
        assert!(interface_name_array("").is_err());
        assert!(interface_name_array("sixteen-chars-xx").is_err());
        assert!(interface_name_array("a\0b").is_err());
        let array = interface_name_array("eth0").unwrap();
        assert_eq!(
            array[..5],
            [b'e' as c_char, b't' as c_char, b'h' as c_char, b'0' as c_char, 0]
        );
    }

    #[test]
    fn loopback_mtu_is_readable() {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        use std::os::fd::AsFd;
        let mtu = interface_mtu(socket.as_fd(), "lo").unwrap();
        assert!(mtu >= 1280, "lo mtu {mtu}");
        let missing = interface_mtu(socket.as_fd(), "kindling-none0").unwrap_err();
        assert_eq!(missing.raw_os_error(), Some(libc::ENODEV));
    }
}
