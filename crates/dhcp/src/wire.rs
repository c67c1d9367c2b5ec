//! The DHCPv4 message format (RFC 2131 §2, RFC 2132, RFC 3396): decoding
//! any datagram into a [`Message`] or an error, and encoding one back.
//!
//! Written here rather than taken from a crate because network boot needs
//! the raw option bytes that general codecs interpret away: every value of a
//! list-valued option 93, vendor option 43 and iPXE's 175 as TLV blocks, a
//! user class (77) that firmware encodes two different ways, options
//! overloaded into `sname`/`file` (option 52), and control over option order
//! (82 last, RFC 3046). Options are kept as raw bytes; typed accessors live
//! in `options.rs`.
//!
//! Decoding never panics: every length is checked before use.

use std::net::Ipv4Addr;

use crate::options::{Options, code};

/// The magic cookie that starts the options field (RFC 2131 §3).
pub const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// The fixed header, before the magic cookie.
pub const HEADER_LEN: usize = 236;
/// BOOTP's minimum message size; some PXE ROMs drop shorter replies.
pub const MIN_LEN: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Request,
    Reply,
}

/// A DHCP message: the fixed BOOTP header and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub op: Op,
    pub htype: u8,
    pub hlen: u8,
    pub hops: u8,
    pub xid: u32,
    pub secs: u16,
    pub flags: u16,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 16],
    /// Server host name, without the NUL padding.
    pub sname: Vec<u8>,
    /// Boot file name, without the NUL padding.
    pub file: Vec<u8>,
    pub options: Options,
}

/// The broadcast bit of `flags` (RFC 2131 §2, figure 2).
pub const FLAG_BROADCAST: u16 = 0x8000;

/// Why a datagram is not a DHCP message. Logged at debug and dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{0} bytes is shorter than the 240-byte DHCP header and cookie")]
    TooShort(usize),
    #[error("op {0} is neither BOOTREQUEST (1) nor BOOTREPLY (2)")]
    BadOp(u8),
    #[error("the magic cookie is missing (a BOOTP message without DHCP options)")]
    NoCookie,
    #[error("option {code} at offset {offset} claims {len} bytes but only {left} remain")]
    Truncated {
        code: u8,
        offset: usize,
        len: usize,
        left: usize,
    },
}

impl Message {
    /// The client hardware address (`chaddr` cut to `hlen`, at most 16).
    pub fn hw_addr(&self) -> &[u8] {
        &self.chaddr[..(self.hlen as usize).min(16)]
    }

    pub fn is_broadcast(&self) -> bool {
        self.flags & FLAG_BROADCAST != 0
    }

    pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
        if buf.len() < HEADER_LEN + 4 {
            return Err(DecodeError::TooShort(buf.len()));
        }
        let op = match buf[0] {
            1 => Op::Request,
            2 => Op::Reply,
            other => return Err(DecodeError::BadOp(other)),
        };
        if buf[HEADER_LEN..HEADER_LEN + 4] != MAGIC_COOKIE {
            return Err(DecodeError::NoCookie);
        }
        let ip = |at: usize| Ipv4Addr::new(buf[at], buf[at + 1], buf[at + 2], buf[at + 3]);
        let mut chaddr = [0u8; 16];
        chaddr.copy_from_slice(&buf[28..44]);
        let mut options = Options::default();
        parse_options(&buf[HEADER_LEN + 4..], HEADER_LEN + 4, &mut options)?;
        // Option 52: options continue in `file` (1), `sname` (2) or both (3);
        // RFC 2131 §4.1 order: options field, then file, then sname.
        let overload = options
            .get(code::OVERLOAD)
            .and_then(|v| v.first().copied())
            .unwrap_or(0);
        let mut sname = trim_nul(&buf[44..108]);
        let mut file = trim_nul(&buf[108..236]);
        if overload & 1 != 0 {
            parse_options(&buf[108..236], 108, &mut options)?;
            file = Vec::new();
        }
        if overload & 2 != 0 {
            parse_options(&buf[44..108], 44, &mut options)?;
            sname = Vec::new();
        }
        Ok(Message {
            op,
            htype: buf[1],
            hlen: buf[2],
            hops: buf[3],
            xid: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            secs: u16::from_be_bytes([buf[8], buf[9]]),
            flags: u16::from_be_bytes([buf[10], buf[11]]),
            ciaddr: ip(12),
            yiaddr: ip(16),
            siaddr: ip(20),
            giaddr: ip(24),
            chaddr,
            sname,
            file,
            options,
        })
    }

    /// Encodes the message: `sname`/`file` NUL-padded (and NUL-terminated:
    /// some PXE ROMs need it), options in insertion order with 82 last,
    /// long options split per RFC 3396, padded to 300 bytes. No size limit:
    /// replies go through [`Message::encode_within`].
    pub fn encode(&self) -> Vec<u8> {
        self.encode_within(usize::MAX)
            .unwrap_or_else(|_| unreachable!("without a limit every option fits"))
    }

    /// Encodes the message in at most `limit` bytes. When the options do
    /// not fit in the options field, the ones that do not are moved into
    /// `file` and then `sname` (RFC 2131 option 52), where those fields are
    /// empty; option 82 stays last in the options field. Fails with the
    /// first option that fits nowhere; the caller decides what to leave out.
    pub fn encode_within(&self, limit: usize) -> Result<Vec<u8>, Oversize> {
        let placement = self.place(limit)?;
        let mut out = Vec::with_capacity(MIN_LEN.max(HEADER_LEN + 4 + placement.main.len()));
        out.push(match self.op {
            Op::Request => 1,
            Op::Reply => 2,
        });
        out.extend_from_slice(&[self.htype, self.hlen, self.hops]);
        out.extend_from_slice(&self.xid.to_be_bytes());
        out.extend_from_slice(&self.secs.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            out.extend_from_slice(&a.octets());
        }
        out.extend_from_slice(&self.chaddr);
        match &placement.sname {
            Some(area) => push_area(&mut out, area, 64),
            None => push_padded(&mut out, &self.sname, 64),
        }
        match &placement.file {
            Some(area) => push_area(&mut out, area, 128),
            None => push_padded(&mut out, &self.file, 128),
        }
        out.extend_from_slice(&MAGIC_COOKIE);
        out.extend_from_slice(&placement.main);
        out.push(code::END);
        while out.len() < MIN_LEN.min(limit) {
            out.push(code::PAD);
        }
        Ok(out)
    }

    /// Whether [`Message::encode_within`] succeeds, without encoding in the
    /// common case where every option fits in the options field.
    pub fn fits(&self, limit: usize) -> bool {
        let total: usize = self.options.iter().map(|(_, v)| encoded_len(v.len())).sum();
        total <= limit.saturating_sub(HEADER_LEN + 4 + 1) || self.place(limit).is_ok()
    }

    /// Lays the options out in the three areas (see [`Message::encode_within`]).
    fn place(&self, limit: usize) -> Result<Placement, Oversize> {
        // The options field holds the options, option 82 and END.
        let room = limit.saturating_sub(HEADER_LEN + 4 + 1);
        let relay = self.options.get(code::RELAY_AGENT);
        let relay_len = relay.map_or(0, |v| encoded_len(v.len()));
        let others = || self.options.iter().filter(|(c, _)| *c != code::RELAY_AGENT);
        let total: usize = others().map(|(_, v)| encoded_len(v.len())).sum();
        let mut main = Vec::with_capacity(total + relay_len);
        if total + relay_len <= room {
            for (c, v) in others() {
                push_option(&mut main, c, v);
            }
            if let Some(v) = relay {
                push_option(&mut main, code::RELAY_AGENT, v);
            }
            return Ok(Placement {
                main,
                file: None,
                sname: None,
            });
        }
        // Overload: option 52 takes 3 bytes of the options field; each
        // overloaded field keeps a byte for its own END.
        let mut file = self.file.is_empty().then(Vec::new);
        let mut sname = self.sname.is_empty().then(Vec::new);
        let main_room = room.saturating_sub(relay_len + 3);
        for (c, v) in others() {
            // Areas only move forward within one option, so that its
            // pieces concatenate in RFC 3396 order (options, file, sname).
            let mut area = 0;
            let chunks: Vec<&[u8]> = if v.is_empty() { vec![v] } else { v.chunks(255).collect() };
            for chunk in chunks {
                let need = chunk.len() + 2;
                loop {
                    let (buf, cap) = match area {
                        0 => (Some(&mut main), main_room),
                        1 => (file.as_mut(), 127),
                        2 => (sname.as_mut(), 63),
                        _ => return Err(Oversize { code: c }),
                    };
                    if let Some(buf) = buf
                        && buf.len() + need <= cap
                    {
                        buf.push(c);
                        buf.push(chunk.len() as u8);
                        buf.extend_from_slice(chunk);
                        break;
                    }
                    area += 1;
                }
            }
        }
        let used_file = file.as_ref().is_some_and(|f| !f.is_empty());
        let used_sname = sname.as_ref().is_some_and(|s| !s.is_empty());
        let flag = u8::from(used_file) | (u8::from(used_sname) << 1);
        if flag != 0 {
            push_option(&mut main, code::OVERLOAD, &[flag]);
        }
        if let Some(v) = relay {
            push_option(&mut main, code::RELAY_AGENT, v);
        }
        Ok(Placement {
            main,
            file: file.filter(|_| used_file),
            sname: sname.filter(|_| used_sname),
        })
    }
}

/// An option that fits in none of the areas a reply has room in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("option {code} does not fit in the reply")]
pub struct Oversize {
    pub code: u8,
}

struct Placement {
    main: Vec<u8>,
    file: Option<Vec<u8>>,
    sname: Option<Vec<u8>>,
}

/// Bytes an option of `len` value bytes takes, split into 255-byte pieces.
fn encoded_len(len: usize) -> usize {
    if len == 0 { 2 } else { len + 2 * len.div_ceil(255) }
}

/// An overloaded field: its options, END, then zeros.
fn push_area(out: &mut Vec<u8>, area: &[u8], width: usize) {
    out.extend_from_slice(area);
    out.push(code::END);
    out.resize(out.len() + (width - area.len() - 1), 0);
}

fn trim_nul(field: &[u8]) -> Vec<u8> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field[..end].to_vec()
}

/// Writes `value` into a fixed field, truncated so that at least one NUL
/// terminates it.
fn push_padded(out: &mut Vec<u8>, value: &[u8], width: usize) {
    let n = value.len().min(width - 1);
    out.extend_from_slice(&value[..n]);
    out.resize(out.len() + (width - n), 0);
}

fn push_option(out: &mut Vec<u8>, c: u8, value: &[u8]) {
    if value.is_empty() {
        out.extend_from_slice(&[c, 0]);
        return;
    }
    for chunk in value.chunks(255) {
        out.push(c);
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
}

/// Parses a TLV option area, appending to `options` (repeated codes are
/// concatenated, RFC 3396). Stops at END; PAD is skipped.
fn parse_options(area: &[u8], base: usize, options: &mut Options) -> Result<(), DecodeError> {
    let mut i = 0;
    while i < area.len() {
        let c = area[i];
        match c {
            code::PAD => i += 1,
            code::END => return Ok(()),
            _ => {
                let Some(&len) = area.get(i + 1) else {
                    return Err(DecodeError::Truncated {
                        code: c,
                        offset: base + i,
                        len: 1,
                        left: 0,
                    });
                };
                let len = len as usize;
                let start = i + 2;
                if start + len > area.len() {
                    return Err(DecodeError::Truncated {
                        code: c,
                        offset: base + i,
                        len,
                        left: area.len().saturating_sub(start),
                    });
                }
                options.append(c, &area[start..start + len]);
                i = start + len;
            }
        }
    }
    // A missing END is tolerated: many clients omit it when the packet is full.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discover() -> Message {
        let mut options = Options::default();
        options.set(code::MESSAGE_TYPE, &[1]);
        options.set(code::RELAY_AGENT, &[1, 2, b'a', b'b']);
        options.set(code::VENDOR_CLASS, b"PXEClient:Arch:00000:UNDI:002001");
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        Message {
            op: Op::Request,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: 0xdeadbeef,
            secs: 4,
            flags: FLAG_BROADCAST,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: Vec::new(),
            file: b"undionly.kpxe".to_vec(),
            options,
        }
    }

    #[test]
    fn round_trip_and_relay_last() {
        let m = discover();
        let bytes = m.encode();
        assert!(bytes.len() >= MIN_LEN);
        assert_eq!(Message::decode(&bytes).unwrap(), m);
        // Option 82 is written after the vendor class even though it was set before.
        let pos82 = bytes.windows(2).position(|w| w == [82, 4]).unwrap();
        let pos60 = bytes.windows(2).position(|w| w == [60, 32]).unwrap();
        assert!(pos82 > pos60);
        assert_eq!(m.hw_addr(), &[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    }

    #[test]
    fn long_options_split_and_concatenate() {
        let mut m = discover();
        let long: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        m.options.set(code::VENDOR_SPECIFIC, &long);
        let back = Message::decode(&m.encode()).unwrap();
        assert_eq!(back.options.get(code::VENDOR_SPECIFIC), Some(&long[..]));
    }

    #[test]
    fn overloaded_file_and_sname_are_read() {
        let mut bytes = discover().encode();
        // Put option 52 = 3 in the options area, and options into file/sname.
        let opts_at = HEADER_LEN + 4;
        bytes.truncate(opts_at);
        bytes.extend_from_slice(&[53, 1, 1, 52, 1, 3, 255]);
        bytes[108..236].fill(0);
        bytes[108..112].copy_from_slice(&[12, 2, b'h', b'1']);
        bytes[112] = 255;
        bytes[44..108].fill(0);
        bytes[44..48].copy_from_slice(&[12, 2, b'h', b'2']);
        bytes[48] = 255;
        let m = Message::decode(&bytes).unwrap();
        assert_eq!(m.options.get(code::HOSTNAME), Some(&b"h1h2"[..]));
        assert!(m.file.is_empty() && m.sname.is_empty());
    }

    #[test]
    fn fixed_fields_are_nul_terminated() {
        let mut m = discover();
        m.file = vec![b'x'; 200];
        let bytes = m.encode();
        assert_eq!(bytes[108 + 127], 0);
        assert_eq!(Message::decode(&bytes).unwrap().file.len(), 127);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert_eq!(Message::decode(&[1; 10]), Err(DecodeError::TooShort(10)));
        let mut b = discover().encode();
        b[0] = 9;
        assert_eq!(Message::decode(&b), Err(DecodeError::BadOp(9)));
        let mut b = discover().encode();
        b[HEADER_LEN] = 0;
        assert_eq!(Message::decode(&b), Err(DecodeError::NoCookie));
        let mut b = discover().encode();
        b.truncate(HEADER_LEN + 4);
        b.extend_from_slice(&[60, 200, 1, 2]);
        assert!(matches!(
            Message::decode(&b),
            Err(DecodeError::Truncated { code: 60, .. })
        ));
    }
}
