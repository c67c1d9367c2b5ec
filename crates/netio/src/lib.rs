//! Socket plumbing for kindling's UDP servers (DHCP, proxyDHCP, TFTP, DNS) and the
//! only crate in the workspace allowed to contain `unsafe` code.
//!
//! It provides what the standard library and tokio do not: the list of interfaces
//! with their IPv4 networks, a UDP socket that reports the arrival interface and
//! addresses of every datagram and can choose the outgoing interface and source
//! address of every reply (`IP_PKTINFO`), `SO_BINDTODEVICE`, and ARP-cache
//! injection so that a unicast DHCP reply can reach a client that has no address
//! yet; and, for DNS, a UDP socket of either family that answers from the
//! address each datagram came to and moves datagrams in batches
//! (`DgramSocket`). The `unsafe` blocks (two `ioctl` calls, one union read,
//! and `recvmmsg`/`sendmmsg` with their control messages) are all in the
//! private `sys` module.
//!
//! It deliberately knows nothing about DHCP, TFTP or DNS: deciding *where* a reply
//! goes (RFC 2131 §4.1) belongs to the protocol crates, and choosing ports and
//! holding privileges belongs to the binary. It is Linux-only and IPv4-only, but for the
//! ICMPv6 socket that sends router advertisements (`Icmpv6Socket`), the
//! interfaces' IPv6 networks, and `DgramSocket`.

mod arp;
mod dgram;
mod error;
mod icmpv6;
mod iface;
mod socket;
mod sys;

pub use arp::inject_arp;
pub use dgram::{Datagram, DgramSocket, RecvBatch, ReplyFrom, SendBatch, tcp_listener};
pub use error::NetError;
pub use icmpv6::Icmpv6Socket;
pub use iface::{Interface, Ipv4Net, Ipv6Net, interface, interfaces};
pub use socket::{BindOptions, PktSocket, Received, Via};
