//! PXE boot menus (PXE 2.1 §2.4, option 43): what dnsmasq's `pxe-service`
//! and `pxe-prompt` give BIOS PXE firmware. A PXE client whose architecture
//! has services is offered a menu instead of a file; it asks again on port
//! 4011 for the item it chose (option 43, sub-option 71), and gets that
//! item's file there.
//!
//! Items are numbered 0x8000 + the service's place in the configuration,
//! whatever the client matched, so a number means the same service in
//! every reply. The menu itself is built here; when it is sent is the
//! server's business (`server.rs`).

use std::net::Ipv4Addr;

use crate::class::{BootFile, ClassRef};
use crate::options::encode_tlv;

/// The first item number (PXE 2.1: 0x8000 and above are vendor items).
pub const FIRST_ITEM: u16 = 0x8000;

/// One menu entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The client system architecture it is for (option 93's numbering).
    pub csa: u16,
    /// The text the firmware shows.
    pub text: String,
    pub boot: BootFile,
    /// The classes the client must (or, negated, must not) belong to.
    pub classes: Vec<ClassRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Menu {
    pub services: Vec<Service>,
    /// The prompt and its timeout in seconds (255: wait for a key).
    /// `None` sends a prompt with timeout 0, which boots the first item
    /// at once, as dnsmasq does without `pxe-prompt`.
    pub prompt: Option<(u8, String)>,
}

/// dnsmasq's names for client system architectures (RFC 4578 numbers).
pub const CSA_NAMES: &[(&str, u16)] = &[
    ("x86PC", 0),
    ("PC98", 1),
    ("IA64_EFI", 2),
    ("Alpha", 3),
    ("Arc_x86", 4),
    ("Intel_Lean_Client", 5),
    ("IA32_EFI", 6),
    ("BC_EFI", 7),
    ("Xscale_EFI", 8),
    ("X86-64_EFI", 9),
    ("ARM32_EFI", 10),
    ("ARM64_EFI", 11),
];

pub fn csa_by_name(name: &str) -> Option<u16> {
    CSA_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, c)| *c)
}

impl Menu {
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The services shown to a client of architecture `arch` in the classes
    /// `member`, with their item numbers.
    pub fn shown(&self, arch: u16, member: &[bool]) -> Vec<(u16, &Service)> {
        self.services
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.csa == arch
                    && s.classes
                        .iter()
                        .all(|r| member.get(r.index).copied().unwrap_or(false) != r.negated)
            })
            .map(|(i, s)| (FIRST_ITEM.saturating_add(i as u16), s))
            .collect()
    }

    /// The service an item number names, if any.
    pub fn item(&self, number: u16) -> Option<&Service> {
        let index = number.checked_sub(FIRST_ITEM)?;
        self.services.get(usize::from(index))
    }

    /// Option 43 offering these services: discovery control 3 (no
    /// broadcast or multicast discovery: ask the listed server), the
    /// prompt, the boot servers (each item's server) and the menu.
    pub fn option43(&self, shown: &[(u16, &Service)], server: Ipv4Addr) -> Vec<u8> {
        let mut servers = Vec::new();
        let mut menu = Vec::new();
        for (item, s) in shown {
            servers.extend_from_slice(&item.to_be_bytes());
            servers.push(1);
            servers.extend_from_slice(&s.boot.server.unwrap_or(server).octets());
            let text = &s.text.as_bytes()[..s.text.len().min(250)];
            menu.extend_from_slice(&item.to_be_bytes());
            menu.push(text.len() as u8);
            menu.extend_from_slice(text);
        }
        let prompt = match &self.prompt {
            Some((timeout, text)) => {
                let mut p = vec![*timeout];
                p.extend_from_slice(&text.as_bytes()[..text.len().min(250)]);
                p
            }
            None => b"\0PXE".to_vec(),
        };
        let mut out = encode_tlv(&[(6, &[3]), (10, &prompt), (8, &servers), (9, &menu)]);
        out.push(255);
        out
    }
}

/// An item request's number (43.71: type, then layer).
pub fn item_number(item: &[u8]) -> Option<u16> {
    match item {
        [a, b, ..] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::tlv_blocks;

    fn service(csa: u16, text: &str, file: &str, classes: Vec<ClassRef>) -> Service {
        Service {
            csa,
            text: text.into(),
            boot: BootFile {
                file: file.into(),
                server: None,
                server_name: None,
            },
            classes,
        }
    }

    #[test]
    fn the_seed_menu() {
        let ipxe = |negated| ClassRef { index: 0, negated };
        let menu = Menu {
            services: vec![
                service(0, "PXE chainload to iPXE", "undionly.kpxe", vec![ipxe(true)]),
                service(
                    0,
                    "iPXE",
                    "http://matchbox.example.com:8080/boot.ipxe",
                    vec![ipxe(false)],
                ),
            ],
            prompt: None,
        };
        let server = Ipv4Addr::new(10, 77, 0, 1);
        let rom = menu.shown(0, &[false]);
        assert_eq!(rom.len(), 1);
        assert_eq!(rom[0].0, 0x8000);
        // The bytes dnsmasq 2.90 sends for the same pxe-service lines.
        assert_eq!(
            menu.option43(&rom, server),
            [
                6, 1, 3, 10, 4, 0, b'P', b'X', b'E', 8, 7, 0x80, 0, 1, 10, 77, 0, 1, 9, 24, 0x80, 0, 21, b'P', b'X',
                b'E', b' ', b'c', b'h', b'a', b'i', b'n', b'l', b'o', b'a', b'd', b' ', b't', b'o', b' ', b'i', b'P',
                b'X', b'E', 255
            ]
        );
        let ipxe_shown = menu.shown(0, &[true]);
        assert_eq!(ipxe_shown[0].0, 0x8001);
        let blocks = tlv_blocks(&menu.option43(&ipxe_shown, server));
        assert_eq!(blocks[3], (9, vec![0x80, 1, 4, b'i', b'P', b'X', b'E']));
        assert!(menu.shown(7, &[false]).is_empty(), "no x86PC service for UEFI");
        assert_eq!(menu.item(0x8001).unwrap().text, "iPXE");
        assert!(menu.item(0x8002).is_none() && menu.item(7).is_none());
        assert_eq!(item_number(&[0x80, 1, 0, 0]), Some(0x8001));
        assert_eq!(csa_by_name("x86-64_efi"), Some(9));
    }
}
