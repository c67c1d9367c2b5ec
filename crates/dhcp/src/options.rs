//! DHCP options as raw bytes in insertion order, with typed readers for the
//! ones network boot cares about. Readers never fail loudly: a malformed
//! option reads as absent (and firmware that sends odd encodings, such as a
//! raw user class, is accepted).

use std::net::Ipv4Addr;

/// Option codes used by kindling (RFC 2132 and the documents named).
pub mod code {
    pub const PAD: u8 = 0;
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DNS: u8 = 6;
    pub const HOSTNAME: u8 = 12;
    pub const DOMAIN_NAME: u8 = 15;
    pub const INTERFACE_MTU: u8 = 26;
    pub const BROADCAST: u8 = 28;
    pub const NTP: u8 = 42;
    pub const VENDOR_SPECIFIC: u8 = 43;
    pub const REQUESTED_IP: u8 = 50;
    pub const LEASE_TIME: u8 = 51;
    pub const OVERLOAD: u8 = 52;
    pub const MESSAGE_TYPE: u8 = 53;
    pub const SERVER_ID: u8 = 54;
    pub const PARAMETER_REQUEST: u8 = 55;
    pub const MESSAGE: u8 = 56;
    pub const MAX_MESSAGE_SIZE: u8 = 57;
    pub const RENEWAL_TIME: u8 = 58;
    pub const REBINDING_TIME: u8 = 59;
    pub const VENDOR_CLASS: u8 = 60;
    pub const CLIENT_ID: u8 = 61;
    pub const TFTP_SERVER: u8 = 66;
    pub const BOOTFILE: u8 = 67;
    /// RFC 3004 user class; iPXE sends the raw string "iPXE".
    pub const USER_CLASS: u8 = 77;
    /// RFC 3046 relay agent information.
    pub const RELAY_AGENT: u8 = 82;
    /// RFC 4578 client system architecture (a list of 16-bit values).
    pub const CLIENT_ARCH: u8 = 93;
    /// RFC 4578 client network device interface.
    pub const CLIENT_NDI: u8 = 94;
    /// RFC 4578 client machine identifier (UUID).
    pub const CLIENT_UUID: u8 = 97;
    /// RFC 3011 subnet selection.
    pub const SUBNET_SELECTION: u8 = 118;
    /// RFC 3442 classless static routes.
    pub const CLASSLESS_ROUTES: u8 = 121;
    /// iPXE's encapsulated options.
    pub const IPXE: u8 = 175;
    pub const END: u8 = 255;
}

/// DHCP message types (option 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Discover,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
}

impl MessageType {
    pub fn from_u8(v: u8) -> Option<MessageType> {
        Some(match v {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            _ => return None,
        })
    }

    pub fn to_u8(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
        }
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MessageType::Discover => "DISCOVER",
            MessageType::Offer => "OFFER",
            MessageType::Request => "REQUEST",
            MessageType::Decline => "DECLINE",
            MessageType::Ack => "ACK",
            MessageType::Nak => "NAK",
            MessageType::Release => "RELEASE",
            MessageType::Inform => "INFORM",
        })
    }
}

/// Options in the order they were added; a code appears once. Two option
/// sets are equal when they hold the same values, whatever the order.
#[derive(Debug, Clone, Default)]
pub struct Options {
    entries: Vec<(u8, Vec<u8>)>,
}

impl PartialEq for Options {
    fn eq(&self, other: &Options) -> bool {
        fn sorted(o: &Options) -> Vec<&(u8, Vec<u8>)> {
            let mut v: Vec<&(u8, Vec<u8>)> = o.entries.iter().collect();
            v.sort();
            v
        }
        sorted(self) == sorted(other)
    }
}

impl Eq for Options {}

impl Options {
    pub fn get(&self, c: u8) -> Option<&[u8]> {
        self.entries.iter().find(|(k, _)| *k == c).map(|(_, v)| v.as_slice())
    }

    pub fn contains(&self, c: u8) -> bool {
        self.entries.iter().any(|(k, _)| *k == c)
    }

    /// Sets a value, replacing an earlier one in place.
    pub fn set(&mut self, c: u8, value: &[u8]) {
        match self.entries.iter_mut().find(|(k, _)| *k == c) {
            Some((_, v)) => *v = value.to_vec(),
            None => self.entries.push((c, value.to_vec())),
        }
    }

    /// Appends to an existing value (RFC 3396 concatenation) or adds it.
    pub fn append(&mut self, c: u8, value: &[u8]) {
        match self.entries.iter_mut().find(|(k, _)| *k == c) {
            Some((_, v)) => v.extend_from_slice(value),
            None => self.entries.push((c, value.to_vec())),
        }
    }

    pub fn remove(&mut self, c: u8) {
        self.entries.retain(|(k, _)| *k != c);
    }

    /// Puts the message type first, then the options the client asked for
    /// in the order of its parameter request list (RFC 2132 §9.8), then the
    /// rest in the order they were added.
    pub fn order_by_request(&mut self, requested: &[u8]) {
        self.entries.sort_by_key(|(c, _)| {
            if *c == code::MESSAGE_TYPE {
                0
            } else {
                requested.iter().position(|r| r == c).map_or(usize::MAX, |i| i + 1)
            }
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (u8, &[u8])> {
        self.entries.iter().map(|(k, v)| (*k, v.as_slice()))
    }

    pub fn set_ip(&mut self, c: u8, ip: Ipv4Addr) {
        self.set(c, &ip.octets());
    }

    pub fn set_ips(&mut self, c: u8, ips: &[Ipv4Addr]) {
        let bytes: Vec<u8> = ips.iter().flat_map(|ip| ip.octets()).collect();
        self.set(c, &bytes);
    }

    pub fn set_u32(&mut self, c: u8, v: u32) {
        self.set(c, &v.to_be_bytes());
    }

    // Typed readers.

    pub fn message_type(&self) -> Option<MessageType> {
        self.get(code::MESSAGE_TYPE)
            .and_then(|v| v.first())
            .and_then(|&b| MessageType::from_u8(b))
    }

    pub fn ip(&self, c: u8) -> Option<Ipv4Addr> {
        match self.get(c)? {
            [a, b, cc, d] => Some(Ipv4Addr::new(*a, *b, *cc, *d)),
            _ => None,
        }
    }

    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.ip(code::REQUESTED_IP)
    }

    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.ip(code::SERVER_ID)
    }

    /// Option 60 as text (lossy).
    pub fn vendor_class(&self) -> Option<String> {
        self.get(code::VENDOR_CLASS)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Option 77: RFC 3004 length-prefixed instances, or (as iPXE and some
    /// firmware send it) one raw string. Both readings are returned when the
    /// encoding is ambiguous, so a match on either works.
    pub fn user_classes(&self) -> Vec<String> {
        let Some(raw) = self.get(code::USER_CLASS) else {
            return Vec::new();
        };
        let mut out = vec![String::from_utf8_lossy(raw).into_owned()];
        let mut i = 0;
        let mut parsed = Vec::new();
        while i < raw.len() {
            let len = raw[i] as usize;
            if len == 0 || i + 1 + len > raw.len() {
                parsed.clear();
                break;
            }
            parsed.push(String::from_utf8_lossy(&raw[i + 1..i + 1 + len]).into_owned());
            i += 1 + len;
        }
        out.extend(parsed);
        out
    }

    /// Option 93: every 16-bit architecture the client lists.
    pub fn client_arches(&self) -> Vec<u16> {
        self.get(code::CLIENT_ARCH)
            .map(|v| v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect())
            .unwrap_or_default()
    }

    /// Option 97 when it is well formed: 17 bytes, the first one 0 (RFC 4578).
    pub fn client_uuid(&self) -> Option<&[u8]> {
        self.get(code::CLIENT_UUID).filter(|v| v.len() == 17 && v[0] == 0)
    }

    pub fn client_id(&self) -> Option<&[u8]> {
        self.get(code::CLIENT_ID).filter(|v| !v.is_empty())
    }

    /// Option 12 as text, when printable.
    pub fn hostname(&self) -> Option<String> {
        let v = self.get(code::HOSTNAME)?;
        let s = String::from_utf8_lossy(v);
        let s = s.trim_end_matches('\0');
        (!s.is_empty()).then(|| s.to_owned())
    }

    /// Option 175 sub-options (TLV blocks).
    pub fn ipxe_suboptions(&self) -> Vec<(u8, Vec<u8>)> {
        self.get(code::IPXE).map(tlv_blocks).unwrap_or_default()
    }

    pub fn parameter_requests(&self) -> &[u8] {
        self.get(code::PARAMETER_REQUEST).unwrap_or(&[])
    }

    /// The largest reply the client takes (option 57, at least 576 bytes
    /// as RFC 2131 requires of every client), as a DHCP message without
    /// its IP and UDP headers, and never more than an Ethernet frame holds
    /// unfragmented: firmware rarely reassembles.
    pub fn max_reply_len(&self) -> usize {
        let ip_len = match self.get(code::MAX_MESSAGE_SIZE) {
            Some([a, b]) => usize::from(u16::from_be_bytes([*a, *b])),
            _ => 576,
        };
        ip_len.clamp(576, 1500) - 28
    }

    /// RFC 3011 subnet selection (118).
    pub fn subnet_selection(&self) -> Option<Ipv4Addr> {
        self.ip(code::SUBNET_SELECTION)
    }

    /// Option 43 sub-options (TLV blocks), e.g. 71 PXE boot item.
    pub fn vendor_suboptions(&self) -> Vec<(u8, Vec<u8>)> {
        self.get(code::VENDOR_SPECIFIC).map(tlv_blocks).unwrap_or_default()
    }
}

/// Splits encapsulated options (43, 82, 175) into (code, value) pairs,
/// stopping at END or at a truncated block.
pub fn tlv_blocks(raw: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c == code::PAD {
            i += 1;
            continue;
        }
        if c == code::END {
            break;
        }
        let Some(&len) = raw.get(i + 1) else { break };
        let end = i + 2 + len as usize;
        if end > raw.len() {
            break;
        }
        out.push((c, raw[i + 2..end].to_vec()));
        i = end;
    }
    out
}

/// Builds encapsulated options from (code, value) pairs.
pub fn encode_tlv(blocks: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (c, v) in blocks {
        out.push(*c);
        out.push(v.len().min(255) as u8);
        out.extend_from_slice(&v[..v.len().min(255)]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_class_both_encodings() {
        let mut o = Options::default();
        o.set(code::USER_CLASS, b"iPXE");
        assert!(o.user_classes().iter().any(|c| c == "iPXE"));
        o.set(code::USER_CLASS, b"\x04iPXE\x05GRUB2");
        let classes = o.user_classes();
        assert!(
            classes.iter().any(|c| c == "iPXE") && classes.iter().any(|c| c == "GRUB2"),
            "{classes:?}"
        );
    }

    #[test]
    fn arch_list_and_uuid() {
        let mut o = Options::default();
        o.set(code::CLIENT_ARCH, &[0, 7, 0, 9, 1]);
        assert_eq!(o.client_arches(), [7, 9]);
        o.set(code::CLIENT_UUID, &[0; 17]);
        assert!(o.client_uuid().is_some());
        o.set(code::CLIENT_UUID, &[1; 17]);
        assert!(o.client_uuid().is_none());
        o.set(code::CLIENT_UUID, &[0; 16]);
        assert!(o.client_uuid().is_none());
    }

    #[test]
    fn tlv() {
        // A PAD is skipped; a block claiming more bytes than remain ends the list.
        assert_eq!(tlv_blocks(&[1, 1, 5, 0, 2, 2, 9]), vec![(1, vec![5])]);
        assert_eq!(
            tlv_blocks(&encode_tlv(&[(6, &[8]), (10, b"\0PXE")])),
            vec![(6, vec![8]), (10, b"\0PXE".to_vec())]
        );
    }
}
