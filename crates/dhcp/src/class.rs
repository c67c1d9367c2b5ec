//! Client classes: dnsmasq's tags in kindling's terms. A class is a name,
//! the ways a request can belong to it, and what belonging changes: options,
//! a boot answer, or no answer at all.
//!
//! A class matches when any of its `matches` holds; a [`Match`] holds when
//! every criterion it sets holds (an empty match holds for every request).
//! A criterion may name earlier classes (`classes = ["bios", "!ipxe"]`),
//! which is how dnsmasq's `tag:bios,tag:!ipxe` combinations are written.
//! Classes are evaluated once per request, in file order, so a class can
//! only refer to the ones above it (the configuration reader checks that).
//!
//! When several matching classes set the same option or a boot file, the
//! one written last wins: dnsmasq's rule for `dhcp-boot` lines, kept so
//! that an imported file answers as the original did.

use std::net::Ipv4Addr;

use crate::config::Net;
use crate::options::{Options, code, tlv_blocks};
use crate::wire::Message;

/// A boot answer given by a class or a host: the `file` field, and the
/// server it is fetched from (`siaddr`; the answering address when unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootFile {
    pub file: String,
    pub server: Option<Ipv4Addr>,
    /// The `sname` field (dnsmasq's boot server name).
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub name: String,
    pub matches: Vec<Match>,
    /// Options set for members, as (code, bytes); empty bytes leave the
    /// option out of the reply.
    pub options: Vec<(u8, Vec<u8>)>,
    pub boot: Option<BootFile>,
    /// Members get no answer at all (dnsmasq's `dhcp-ignore`).
    pub ignore: bool,
}

/// A MAC address with wildcard bytes (`52:54:00:*:*:*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacPattern(pub Vec<Option<u8>>);

impl MacPattern {
    /// Parses `52:54:00:*:*:*` (or `-` separators): six bytes, as Ethernet
    /// has (a shorter pattern would match nothing, silently). A byte is two
    /// hex digits, one hex digit, or `*`.
    pub fn parse(text: &str) -> Result<MacPattern, String> {
        let bytes: Result<Vec<Option<u8>>, ()> = text
            .split([':', '-'])
            .map(|b| match b {
                "*" => Ok(None),
                b if !b.is_empty() && b.len() <= 2 => u8::from_str_radix(b, 16).map(Some).map_err(|_| ()),
                _ => Err(()),
            })
            .collect();
        match bytes {
            Ok(b) if b.len() == 6 => Ok(MacPattern(b)),
            _ => Err(format!(
                "{text:?} is not a MAC address pattern: write six bytes such as \"52:54:00:*:*:*\", with * for any byte"
            )),
        }
    }

    pub fn matches(&self, hw: &[u8]) -> bool {
        hw.len() == self.0.len() && self.0.iter().zip(hw).all(|(p, b)| p.is_none_or(|p| p == *b))
    }
}

impl std::fmt::Display for MacPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            match b {
                Some(b) => write!(f, "{b:02x}")?,
                None => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

/// An option a request must carry, and optionally a value in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionMatch {
    pub code: u8,
    /// The value must appear in the option at an offset that is a multiple
    /// of its length: one entry of a list (an architecture in option 93,
    /// an address in a list), or the whole of a single value.
    pub value: Option<Vec<u8>>,
}

impl OptionMatch {
    fn holds(&self, options: &Options) -> bool {
        let Some(have) = options.get(self.code) else {
            return false;
        };
        match &self.value {
            None => true,
            Some(want) if want.is_empty() => have.is_empty(),
            Some(want) => have.chunks_exact(want.len()).any(|c| c == want.as_slice()),
        }
    }
}

/// A reference to an earlier class, wanted or (`!name`) unwanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassRef {
    pub index: usize,
    pub negated: bool,
}

/// Criteria that must all hold. Lists are alternatives: `arch = [7, 9]`
/// holds for either.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Match {
    /// Option 93 lists one of these.
    pub arch: Vec<u16>,
    /// Option 77 has this class (either encoding, see
    /// [`Options::user_classes`]).
    pub user_class: Option<Vec<u8>>,
    /// Option 60 starts with this.
    pub vendor_class: Option<Vec<u8>>,
    /// Option 60 contains this anywhere (dnsmasq's `dhcp-vendorclass`).
    pub vendor_class_contains: Option<Vec<u8>>,
    /// One of option 77's classes contains this (dnsmasq's `dhcp-userclass`).
    pub user_class_contains: Option<Vec<u8>>,
    pub mac: Option<MacPattern>,
    /// Option 82's circuit ID (sub-option 1), remote ID (2) and subscriber
    /// ID (6), whole.
    pub circuit_id: Option<Vec<u8>>,
    pub remote_id: Option<Vec<u8>>,
    pub subscriber_id: Option<Vec<u8>>,
    pub option: Option<OptionMatch>,
    /// iPXE announces this feature: a sub-option of option 175.
    pub ipxe_feature: Option<u8>,
    /// The client has (true) or has not (false) a `[[dhcp.host]]` entry.
    pub known: Option<bool>,
    /// The request belongs to this subnet (its relay's or its interface's).
    pub subnet: Option<Net>,
    /// The request arrived on this interface.
    pub interface: Option<String>,
    pub classes: Vec<ClassRef>,
}

/// What a request says, read once for every class.
pub struct Facts<'a> {
    pub msg: &'a Message,
    arches: Vec<u16>,
    user_classes: Vec<Vec<u8>>,
    relay: Vec<(u8, Vec<u8>)>,
    ipxe: Vec<(u8, Vec<u8>)>,
    pub known: bool,
    pub subnet: Option<Net>,
    pub interface: &'a str,
}

impl<'a> Facts<'a> {
    pub fn new(msg: &'a Message, known: bool, subnet: Option<Net>, interface: &'a str) -> Facts<'a> {
        let o = &msg.options;
        Facts {
            msg,
            arches: o.client_arches(),
            user_classes: o.user_classes().into_iter().map(String::into_bytes).collect(),
            relay: o.get(code::RELAY_AGENT).map(tlv_blocks).unwrap_or_default(),
            ipxe: o.ipxe_suboptions(),
            known,
            subnet,
            interface,
        }
    }

    fn relay_sub(&self, sub: u8) -> Option<&[u8]> {
        self.relay.iter().find(|(c, _)| *c == sub).map(|(_, v)| v.as_slice())
    }
}

impl Match {
    pub fn holds(&self, facts: &Facts<'_>, earlier: &[bool]) -> bool {
        let o = &facts.msg.options;
        (self.arch.is_empty() || self.arch.iter().any(|a| facts.arches.contains(a)))
            && self
                .user_class
                .as_ref()
                .is_none_or(|u| facts.user_classes.iter().any(|c| c == u))
            && self
                .vendor_class
                .as_ref()
                .is_none_or(|v| o.get(code::VENDOR_CLASS).is_some_and(|have| have.starts_with(v)))
            && self
                .vendor_class_contains
                .as_ref()
                .is_none_or(|v| o.get(code::VENDOR_CLASS).is_some_and(|have| contains(have, v)))
            && self
                .user_class_contains
                .as_ref()
                .is_none_or(|u| facts.user_classes.iter().any(|c| contains(c, u)))
            && self.mac.as_ref().is_none_or(|m| m.matches(facts.msg.hw_addr()))
            && self.circuit_id.as_ref().is_none_or(|v| facts.relay_sub(1) == Some(v))
            && self.remote_id.as_ref().is_none_or(|v| facts.relay_sub(2) == Some(v))
            && self
                .subscriber_id
                .as_ref()
                .is_none_or(|v| facts.relay_sub(6) == Some(v))
            && self.option.as_ref().is_none_or(|m| m.holds(o))
            && self
                .ipxe_feature
                .is_none_or(|f| facts.ipxe.iter().any(|(c, _)| *c == f))
            && self.known.is_none_or(|k| k == facts.known)
            && self.subnet.is_none_or(|n| facts.subnet == Some(n))
            && self.interface.as_ref().is_none_or(|i| i == facts.interface)
            && self
                .classes
                .iter()
                .all(|r| earlier.get(r.index).copied().unwrap_or(false) != r.negated)
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Which classes a request belongs to, in file order.
pub fn classify(classes: &[Class], facts: &Facts<'_>) -> Vec<bool> {
    let mut member = Vec::with_capacity(classes.len());
    for class in classes {
        let holds = class.matches.iter().any(|m| m.holds(facts, &member));
        member.push(holds);
    }
    member
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Op;

    fn request(build: impl FnOnce(&mut Options)) -> Message {
        let mut options = Options::default();
        options.set(code::MESSAGE_TYPE, &[1]);
        build(&mut options);
        let mut chaddr = [0u8; 16];
        chaddr[..6].copy_from_slice(&[0x52, 0x54, 0, 0xab, 0xcd, 0xef]);
        Message {
            op: Op::Request,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: 1,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: Vec::new(),
            file: Vec::new(),
            options,
        }
    }

    fn holds(m: &Match, msg: &Message) -> bool {
        m.holds(&Facts::new(msg, false, None, "eth0"), &[])
    }

    #[test]
    fn architecture_is_any_of_the_list() {
        let msg = request(|o| o.set(code::CLIENT_ARCH, &[0, 9]));
        assert!(holds(
            &Match {
                arch: vec![7, 9],
                ..Match::default()
            },
            &msg
        ));
        assert!(!holds(
            &Match {
                arch: vec![0],
                ..Match::default()
            },
            &msg
        ));
        assert!(!holds(
            &Match {
                arch: vec![0],
                ..Match::default()
            },
            &request(|_| {})
        ));
    }

    #[test]
    fn user_class_in_both_encodings() {
        let m = Match {
            user_class: Some(b"iPXE".to_vec()),
            ..Match::default()
        };
        assert!(holds(&m, &request(|o| o.set(code::USER_CLASS, b"iPXE"))));
        assert!(holds(&m, &request(|o| o.set(code::USER_CLASS, b"\x05GRUB2\x04iPXE"))));
        assert!(!holds(&m, &request(|o| o.set(code::USER_CLASS, b"iPXE2"))));
    }

    #[test]
    fn vendor_class_is_a_prefix() {
        let m = Match {
            vendor_class: Some(b"PXEClient".to_vec()),
            ..Match::default()
        };
        assert!(holds(
            &m,
            &request(|o| o.set(code::VENDOR_CLASS, b"PXEClient:Arch:00000"))
        ));
        assert!(!holds(
            &m,
            &request(|o| o.set(code::VENDOR_CLASS, b"HTTPClient:Arch:00016"))
        ));
    }

    #[test]
    fn substring_matches_for_dnsmasq_classes() {
        let m = Match {
            vendor_class_contains: Some(b"Arch:00007".to_vec()),
            ..Match::default()
        };
        assert!(holds(
            &m,
            &request(|o| o.set(code::VENDOR_CLASS, b"PXEClient:Arch:00007:UNDI:003000"))
        ));
        assert!(!holds(
            &m,
            &request(|o| o.set(code::VENDOR_CLASS, b"PXEClient:Arch:00009:UNDI:003000"))
        ));
        let m = Match {
            user_class_contains: Some(b"PXE".to_vec()),
            ..Match::default()
        };
        assert!(holds(&m, &request(|o| o.set(code::USER_CLASS, b"\x04iPXE"))));
        assert!(!holds(&m, &request(|o| o.set(code::USER_CLASS, b"GRUB2"))));
    }

    #[test]
    fn mac_patterns_with_wildcards() {
        let p = MacPattern::parse("52:54:00:*:*:*").unwrap();
        assert_eq!(p.to_string(), "52:54:00:*:*:*");
        assert!(holds(
            &Match {
                mac: Some(p),
                ..Match::default()
            },
            &request(|_| {})
        ));
        let other = MacPattern::parse("52:54:01:*:*:*").unwrap();
        assert!(!holds(
            &Match {
                mac: Some(other),
                ..Match::default()
            },
            &request(|_| {})
        ));
        assert!(MacPattern::parse("52:54:zz").is_err());
        assert!(MacPattern::parse("").is_err());
    }

    #[test]
    fn relay_agent_sub_options() {
        let msg = request(|o| o.set(code::RELAY_AGENT, b"\x01\x04eth7\x02\x03sw1"));
        let m = Match {
            circuit_id: Some(b"eth7".to_vec()),
            remote_id: Some(b"sw1".to_vec()),
            ..Match::default()
        };
        assert!(holds(&m, &msg));
        let m = Match {
            subscriber_id: Some(b"x".to_vec()),
            ..Match::default()
        };
        assert!(!holds(&m, &msg));
    }

    #[test]
    fn options_by_presence_and_value() {
        let msg = request(|o| {
            o.set(code::IPXE, &[19, 1, 1, 21, 1, 1]);
            o.set(code::CLIENT_ARCH, &[0, 7]);
        });
        let present = |code| Match {
            option: Some(OptionMatch { code, value: None }),
            ..Match::default()
        };
        assert!(holds(&present(175), &msg));
        assert!(!holds(&present(77), &msg));
        let valued = |v: &[u8]| Match {
            option: Some(OptionMatch {
                code: 93,
                value: Some(v.to_vec()),
            }),
            ..Match::default()
        };
        assert!(holds(&valued(&[0, 7]), &msg));
        assert!(!holds(&valued(&[7, 0]), &msg));
        let feature = |f| Match {
            ipxe_feature: Some(f),
            ..Match::default()
        };
        assert!(holds(&feature(19), &msg));
        assert!(!holds(&feature(20), &msg));
    }

    #[test]
    fn classes_refer_to_earlier_ones() {
        let class = |name: &str, m: Match| Class {
            name: name.into(),
            matches: vec![m],
            options: Vec::new(),
            boot: None,
            ignore: false,
        };
        let classes = vec![
            class(
                "bios",
                Match {
                    arch: vec![0],
                    ..Match::default()
                },
            ),
            class(
                "ipxe",
                Match {
                    user_class: Some(b"iPXE".to_vec()),
                    ..Match::default()
                },
            ),
            class(
                "bios-rom",
                Match {
                    classes: vec![
                        ClassRef {
                            index: 0,
                            negated: false,
                        },
                        ClassRef {
                            index: 1,
                            negated: true,
                        },
                    ],
                    ..Match::default()
                },
            ),
        ];
        let rom = request(|o| o.set(code::CLIENT_ARCH, &[0, 0]));
        assert_eq!(
            classify(&classes, &Facts::new(&rom, false, None, "")),
            [true, false, true]
        );
        let ipxe = request(|o| {
            o.set(code::CLIENT_ARCH, &[0, 0]);
            o.set(code::USER_CLASS, b"iPXE");
        });
        assert_eq!(
            classify(&classes, &Facts::new(&ipxe, false, None, "")),
            [true, true, false]
        );
    }

    #[test]
    fn known_subnet_and_interface() {
        let msg = request(|_| {});
        let net = Net::parse("10.0.0.0/24").unwrap();
        let m = Match {
            known: Some(false),
            subnet: Some(net),
            interface: Some("br0".into()),
            ..Match::default()
        };
        assert!(m.holds(&Facts::new(&msg, false, Some(net), "br0"), &[]));
        assert!(!m.holds(&Facts::new(&msg, true, Some(net), "br0"), &[]));
        assert!(!m.holds(&Facts::new(&msg, false, None, "br0"), &[]));
        assert!(!m.holds(&Facts::new(&msg, false, Some(net), "br1"), &[]));
    }
}
