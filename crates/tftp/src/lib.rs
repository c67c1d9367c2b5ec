//! TFTP without I/O (RFC 1350, 2347, 2348, 2349, 7440): the packet codec
//! and one read transfer as a state machine driven by packets and time.
//! The server loop in `tftp-server` owns the sockets and the clock.

pub mod packet;
pub mod transfer;

pub use packet::{DecodeError, ErrorCode, Mode, Packet, Request};
pub use transfer::{Limits, Negotiated, Outcome, Send, Transfer, negotiate};
