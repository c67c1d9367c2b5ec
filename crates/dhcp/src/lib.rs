//! DHCPv4 for network boot, without I/O: the wire codec (`wire`,
//! `options`), what a client is and which first program it gets (`boot`),
//! the lease table (`lease`) and the server state machine (`server`).
//!
//! Nothing here opens a socket, reads a clock or touches a disk: the server
//! loop passes bytes, the ingress interface and the time in, and gets
//! replies, destinations and lease records to persist out. That keeps every
//! rule testable with captured packets.

pub mod boot;
pub mod class;
pub mod config;
pub mod lease;
pub mod optdef;
pub mod options;
pub mod pxe;
pub mod ra;
pub mod server;
pub mod wire;

pub use boot::{Arch, BootAnswer, Client, PxeVendor};
pub use class::{BootFile, Class, ClassRef, MacPattern, Match, OptionMatch};
pub use config::{BootConfig, DhcpConfig, Mode, Net, Reservation, Route, Subnet, UefiLoader};
pub use lease::{ClientKey, Lease, LeaseState, LeaseTable, SHARE_BLOCK, Share, UnixTime};
pub use options::{MessageType, Options};
pub use server::{Action, Destination, Handled, Ingress, Reply, Server, Summary};
pub use wire::{DecodeError, Message, Op};
