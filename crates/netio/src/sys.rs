//! The two `ioctl(2)` calls that have no safe wrapper in nix or socket2:
//! `SIOCGIFMTU` (read an interface's MTU) and `SIOCSARP` (write an ARP-cache entry);
//! and `recvmmsg(2)`/`sendmmsg(2)` with their packet-information control
//! messages (nix's wrappers share one set of control messages across a batch).
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

/// Most datagrams one `recvmmsg`/`sendmmsg` call moves.
pub(crate) const BATCH: usize = 32;

/// Control-message room per datagram: one `in6_pktinfo` (the larger of
/// the two packet-information structs) with its header, and slack.
const CONTROL_SPACE: usize = 64;

/// One datagram's metadata as `recvmmsg` left it, for safe code to read.
pub(crate) struct RawReceived {
    pub len: usize,
    pub peer: Option<std::net::SocketAddr>,
    /// `(level, type, data)` of the packet-information message, if any.
    pub ipv4_info: Option<libc::in_pktinfo>,
    pub ipv6_info: Option<libc::in6_pktinfo>,
    pub truncated: bool,
}

/// One non-blocking `recvmmsg(2)` into `buffer`, cut into slots of `slot`
/// bytes, one datagram each: returns how many came (at most [`BATCH`]),
/// with their metadata in `out`.
#[allow(unsafe_code)]
pub(crate) fn recv_batch(
    fd: BorrowedFd<'_>,
    buffer: &mut [u8],
    slot: usize,
    out: &mut Vec<RawReceived>,
) -> io::Result<usize> {
    out.clear();
    let count = buffer.len().checked_div(slot).unwrap_or(0).min(BATCH);
    if count == 0 {
        return Ok(0);
    }
    // SAFETY (for the zeroed values): iovec, sockaddr_storage, mmsghdr and
    // byte arrays are plain C data for which all-zero bytes are valid.
    let mut iovecs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
    let mut names: [libc::sockaddr_storage; BATCH] = unsafe { std::mem::zeroed() };
    let mut controls = [[0u64; CONTROL_SPACE / 8]; BATCH];
    let mut headers: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
    for (i, chunk) in buffer.chunks_exact_mut(slot).take(count).enumerate() {
        iovecs[i] = libc::iovec {
            iov_base: chunk.as_mut_ptr().cast(),
            iov_len: chunk.len(),
        };
        let header = &mut headers[i].msg_hdr;
        header.msg_name = (&mut names[i] as *mut libc::sockaddr_storage).cast();
        header.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        header.msg_iov = &mut iovecs[i];
        header.msg_iovlen = 1;
        header.msg_control = controls[i].as_mut_ptr().cast();
        header.msg_controllen = CONTROL_SPACE as _;
    }
    let received = loop {
        // SAFETY: `headers[..count]` point at live buffers of this frame
        // (names, iovecs, controls) and at slots of `buffer`, whose lengths
        // the iovecs carry; the kernel writes within those lengths only. MSG_DONTWAIT:
        // the socket is non-blocking anyway; no timeout.
        let n = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                headers.as_mut_ptr(),
                count as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n >= 0 {
            break n as usize;
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    };
    for (header, name) in headers.iter().zip(names.iter()).take(received) {
        let mut raw = RawReceived {
            len: header.msg_len as usize,
            peer: socket_addr_of(name, header.msg_hdr.msg_namelen),
            ipv4_info: None,
            ipv6_info: None,
            truncated: header.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        };
        let message = &header.msg_hdr;
        if message.msg_flags & libc::MSG_CTRUNC == 0 {
            // SAFETY: the kernel filled `msg_control` up to `msg_controllen`
            // with well-formed cmsghdrs; CMSG_FIRSTHDR/CMSG_NXTHDR stay within
            // it and return null at its end. Each data read is of the size the
            // header's level and type promise, unaligned-safe.
            unsafe {
                let mut cmsg = libc::CMSG_FIRSTHDR(message);
                while !cmsg.is_null() {
                    let level = (*cmsg).cmsg_level;
                    let kind = (*cmsg).cmsg_type;
                    let data = libc::CMSG_DATA(cmsg);
                    let len = (*cmsg).cmsg_len as usize;
                    if level == libc::IPPROTO_IP
                        && kind == libc::IP_PKTINFO
                        && len >= libc::CMSG_LEN(std::mem::size_of::<libc::in_pktinfo>() as u32) as usize
                    {
                        raw.ipv4_info = Some(std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>()));
                    } else if level == libc::IPPROTO_IPV6
                        && kind == libc::IPV6_PKTINFO
                        && len >= libc::CMSG_LEN(std::mem::size_of::<libc::in6_pktinfo>() as u32) as usize
                    {
                        raw.ipv6_info = Some(std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>()));
                    }
                    cmsg = libc::CMSG_NXTHDR(message, cmsg);
                }
            }
        }
        out.push(raw);
    }
    Ok(received)
}

/// A `sockaddr_storage` the kernel filled in, as a `SocketAddr`.
#[allow(unsafe_code)]
fn socket_addr_of(name: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<std::net::SocketAddr> {
    use std::net::{Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    let len = len as usize;
    match libc::c_int::from(name.ss_family) {
        libc::AF_INET if len >= std::mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: sockaddr_storage is large and aligned enough for any
            // sockaddr, and the family and length say a sockaddr_in is there.
            let a: libc::sockaddr_in = unsafe { std::ptr::read((name as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 if len >= std::mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for a sockaddr_in6.
            let a: libc::sockaddr_in6 = unsafe { std::ptr::read((name as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// One non-blocking `sendmmsg(2)` of at most [`BATCH`] of `messages`
/// (payloads in `payloads`): returns how many the kernel took (the first
/// that failed is the error, when none was taken).
#[allow(unsafe_code)]
pub(crate) fn send_batch(fd: BorrowedFd<'_>, payloads: &[u8], messages: &[crate::dgram::Queued]) -> io::Result<usize> {
    let count = messages.len().min(BATCH);
    if count == 0 {
        return Ok(0);
    }
    // SAFETY: plain C data; all-zero bytes are valid values.
    let mut iovecs: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
    let mut controls = [[0u64; CONTROL_SPACE / 8]; BATCH];
    let mut headers: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
    for (i, message) in messages.iter().take(count).enumerate() {
        let bytes = payloads
            .get(message.start..message.end)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
        iovecs[i] = libc::iovec {
            // sendmmsg only reads through it.
            iov_base: bytes.as_ptr().cast_mut().cast(),
            iov_len: bytes.len(),
        };
        let header = &mut headers[i].msg_hdr;
        header.msg_name = message.to.as_ptr().cast_mut().cast();
        header.msg_namelen = message.to.len();
        header.msg_iov = &mut iovecs[i];
        header.msg_iovlen = 1;
        let (level, kind, data, size): (libc::c_int, libc::c_int, *const u8, usize) = match &message.info {
            crate::dgram::PacketInfo::None => continue,
            crate::dgram::PacketInfo::V4(info) => (
                libc::IPPROTO_IP,
                libc::IP_PKTINFO,
                (info as *const libc::in_pktinfo).cast(),
                std::mem::size_of::<libc::in_pktinfo>(),
            ),
            crate::dgram::PacketInfo::V6(info) => (
                libc::IPPROTO_IPV6,
                libc::IPV6_PKTINFO,
                (info as *const libc::in6_pktinfo).cast(),
                std::mem::size_of::<libc::in6_pktinfo>(),
            ),
        };
        header.msg_control = controls[i].as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE of a struct of at most 28 bytes is at most
        // CONTROL_SPACE, the room `controls[i]` has; CMSG_FIRSTHDR of a
        // header whose control buffer is that room is non-null and within
        // it, and the copy writes `size` bytes at CMSG_DATA, inside it.
        unsafe {
            header.msg_controllen = libc::CMSG_SPACE(size as u32) as _;
            let cmsg = libc::CMSG_FIRSTHDR(header);
            (*cmsg).cmsg_level = level;
            (*cmsg).cmsg_type = kind;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size as u32) as _;
            std::ptr::copy_nonoverlapping(data, libc::CMSG_DATA(cmsg), size);
        }
    }
    loop {
        // SAFETY: `headers[..count]` point at this frame's iovecs and
        // controls and at the callers' payloads and addresses, all alive
        // across the call; the kernel only reads them (and writes msg_len).
        let n = unsafe {
            libc::sendmmsg(
                fd.as_raw_fd(),
                headers.as_mut_ptr(),
                count as libc::c_uint,
                libc::MSG_DONTWAIT,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
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
