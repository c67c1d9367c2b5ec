//! Which first program a network-boot client gets: one table, one place.
//!
//! | client (how it is recognised)                                  | answer                                   |
//! |----------------------------------------------------------------|------------------------------------------|
//! | iPXE (option 77 `iPXE`, or option 175 present)                 | `http://SERVER:PORT/boot.ipxe` (no loop) |
//! | GRUB (option 77 `GRUB2`, or option 60 `GRUBClient…`)            | `(http,SERVER:PORT)/grub`                |
//! | UEFI HTTP Boot (option 60 `HTTPClient…`, or arch 15/16/18/19/20) | absolute `http://…/ipxe.efi` URL, echo `HTTPClient` |
//! | BIOS PXE (arch 0)                                               | TFTP `undionly.kpxe`                     |
//! | x86 UEFI PXE (arch 6)                                           | TFTP `ipxe-i386.efi`                     |
//! | x64 UEFI PXE (arch 7 or 9: RFC 4578 swapped them, IANA fixed it) | TFTP `ipxe.efi` (or GRUB when configured) |
//! | ARM64 UEFI PXE (arch 11)                                        | TFTP `ipxe-arm64.efi`                    |
//! | anything else                                                   | no boot answer                           |
//!
//! The architecture is the first value of option 93 that kindling knows,
//! else the `Arch:NNNNN` field of a `PXEClient`/`HTTPClient` vendor class.
//! A ROM iPXE and the iPXE kindling served look the same on the wire (the
//! lab notes found options 60, 77, 93, 94 and 175 byte-identical), so every
//! iPXE gets the script URL: that is what stops the chain from looping.

use std::net::Ipv4Addr;

use crate::config::{BootConfig, UefiLoader};
use crate::options::{Options, code};
use crate::wire::Message;

/// The client firmware family, from option 93 (RFC 4578, IANA registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Bios,
    UefiIa32,
    UefiX64,
    UefiArm32,
    UefiArm64,
    HttpIa32,
    HttpX64,
    HttpArm32,
    HttpArm64,
    HttpBios,
}

impl Arch {
    pub fn from_code(code: u16) -> Option<Arch> {
        Some(match code {
            0 => Arch::Bios,
            6 => Arch::UefiIa32,
            7 | 9 => Arch::UefiX64,
            10 => Arch::UefiArm32,
            11 => Arch::UefiArm64,
            15 => Arch::HttpIa32,
            16 => Arch::HttpX64,
            18 => Arch::HttpArm32,
            19 => Arch::HttpArm64,
            20 => Arch::HttpBios,
            _ => return None,
        })
    }

    pub fn is_http(self) -> bool {
        matches!(
            self,
            Arch::HttpIa32 | Arch::HttpX64 | Arch::HttpArm32 | Arch::HttpArm64 | Arch::HttpBios
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::Bios => "bios",
            Arch::UefiIa32 => "uefi-ia32",
            Arch::UefiX64 => "uefi-x64",
            Arch::UefiArm32 => "uefi-arm32",
            Arch::UefiArm64 => "uefi-arm64",
            Arch::HttpIa32 => "uefi-http-ia32",
            Arch::HttpX64 => "uefi-http-x64",
            Arch::HttpArm32 => "uefi-http-arm32",
            Arch::HttpArm64 => "uefi-http-arm64",
            Arch::HttpBios => "bios-http",
        }
    }
}

/// The PXE vendor class a client announced (option 60 prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PxeVendor {
    PxeClient,
    HttpClient,
}

impl PxeVendor {
    pub fn as_str(self) -> &'static str {
        match self {
            PxeVendor::PxeClient => "PXEClient",
            PxeVendor::HttpClient => "HTTPClient",
        }
    }
}

/// What a request says about the client, for logging and for [`decide`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Client {
    pub arch: Option<Arch>,
    /// Raw option 93 values, for logs (unknown ones included).
    pub arch_codes: Vec<u16>,
    pub vendor: Option<PxeVendor>,
    pub ipxe: bool,
    pub grub: bool,
    /// Option 97 when valid (17 bytes, first 0): echoed in replies.
    pub uuid: Option<Vec<u8>>,
}

impl Client {
    pub fn classify(msg: &Message) -> Client {
        let o = &msg.options;
        let arch_codes = o.client_arches();
        let vendor_class = o.vendor_class().unwrap_or_default();
        let vendor = if vendor_class.starts_with("PXEClient") {
            Some(PxeVendor::PxeClient)
        } else if vendor_class.starts_with("HTTPClient") {
            Some(PxeVendor::HttpClient)
        } else {
            None
        };
        let arch = arch_codes
            .iter()
            .find_map(|&c| Arch::from_code(c))
            .or_else(|| vendor.and_then(|_| arch_from_vendor_class(&vendor_class)));
        let classes = o.user_classes();
        Client {
            arch,
            arch_codes,
            vendor,
            ipxe: classes.iter().any(|c| c == "iPXE") || o.contains(code::IPXE),
            grub: classes.iter().any(|c| c == "GRUB2") || vendor_class.starts_with("GRUBClient"),
            uuid: o.client_uuid().map(<[u8]>::to_vec),
        }
    }

    /// Whether this is a network-boot client at all (proxy mode answers only these).
    pub fn is_netboot(&self) -> bool {
        self.vendor.is_some() || self.ipxe || self.grub || self.arch.is_some()
    }

    /// A short label for logs and metrics.
    pub fn kind(&self) -> &'static str {
        if self.ipxe {
            "ipxe"
        } else if self.grub {
            "grub"
        } else if let Some(a) = self.arch {
            a.name()
        } else if self.vendor.is_some() {
            "pxe-unknown-arch"
        } else {
            "plain"
        }
    }
}

/// `PXEClient:Arch:00007:UNDI:003016` → arch 7.
fn arch_from_vendor_class(vc: &str) -> Option<Arch> {
    let rest = vc.split("Arch:").nth(1)?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    Arch::from_code(digits.parse().ok()?)
}

/// The boot part of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootAnswer {
    /// The `file` field: a TFTP path or an absolute URL.
    pub file: String,
    /// `siaddr` and option 66 when the file is fetched over TFTP.
    pub next_server: Option<Ipv4Addr>,
    /// Vendor class to echo (`HTTPClient` is required by UEFI HTTP Boot).
    pub vendor: Option<PxeVendor>,
    /// Send iPXE's 175.176 (`no-pxedhcp`): iPXE then does not wait for proxy offers.
    pub ipxe_no_pxedhcp: bool,
    /// The `sname` field, when a class or host names the boot server.
    pub server_name: Option<String>,
    /// Why: the row of the table that applied (or `class`, `host`), for logs.
    pub rule: &'static str,
}

impl BootAnswer {
    /// The answer for a boot file a class or host configured: fetched from
    /// the named server, else from the answering one (as dnsmasq does with
    /// TFTP on), with the client's PXE vendor class echoed.
    pub fn configured(
        boot: &crate::class::BootFile,
        client: &Client,
        server: Ipv4Addr,
        rule: &'static str,
    ) -> BootAnswer {
        let http_boot = client.vendor == Some(PxeVendor::HttpClient) || client.arch.is_some_and(Arch::is_http);
        BootAnswer {
            file: boot.file.clone(),
            next_server: Some(boot.server.unwrap_or(server)),
            vendor: if http_boot {
                Some(PxeVendor::HttpClient)
            } else {
                client.vendor
            },
            ipxe_no_pxedhcp: false,
            server_name: boot.server_name.clone(),
            rule,
        }
    }
}

/// Host and port of kindling's HTTP server as seen by this client.
pub fn http_authority(cfg: &BootConfig, server: Ipv4Addr) -> String {
    let host = cfg.http_host.clone().unwrap_or_else(|| server.to_string());
    format!("{host}:{}", cfg.http_port)
}

/// The boot answer for a client, or `None` when it is not a boot client
/// kindling can serve (it then gets an address only, in full mode).
pub fn decide(client: &Client, cfg: &BootConfig, server: Ipv4Addr) -> Option<BootAnswer> {
    let authority = http_authority(cfg, server);
    if client.ipxe {
        let script = if cfg.ipxe_script.starts_with('/') {
            cfg.ipxe_script.clone()
        } else {
            format!("/{}", cfg.ipxe_script)
        };
        return Some(BootAnswer {
            file: format!("http://{authority}{script}"),
            next_server: None,
            vendor: client.vendor,
            ipxe_no_pxedhcp: true,
            server_name: None,
            rule: "ipxe-script",
        });
    }
    if client.grub {
        return Some(BootAnswer {
            file: format!("(http,{authority})/grub"),
            next_server: None,
            vendor: client.vendor,
            ipxe_no_pxedhcp: false,
            server_name: None,
            rule: "grub-config",
        });
    }
    let arch = client.arch;
    if client.vendor == Some(PxeVendor::HttpClient) || arch.is_some_and(Arch::is_http) {
        let file = match arch {
            Some(Arch::HttpArm64) | Some(Arch::UefiArm64) => &cfg.uefi_arm64_file,
            Some(Arch::HttpIa32) | Some(Arch::UefiIa32) => &cfg.uefi_ia32_file,
            Some(Arch::HttpArm32) | Some(Arch::UefiArm32) | Some(Arch::HttpBios) | Some(Arch::Bios) => return None,
            _ => &cfg.uefi_x64_file,
        };
        return Some(BootAnswer {
            file: format!("http://{authority}/{}", file.trim_start_matches('/')),
            next_server: None,
            vendor: Some(PxeVendor::HttpClient),
            ipxe_no_pxedhcp: false,
            server_name: None,
            rule: "uefi-http-boot",
        });
    }
    let (file, rule) = match arch? {
        Arch::Bios => (&cfg.bios_file, "bios-pxe"),
        Arch::UefiIa32 => (&cfg.uefi_ia32_file, "uefi-ia32-pxe"),
        Arch::UefiX64 => match cfg.uefi_loader {
            UefiLoader::Ipxe => (&cfg.uefi_x64_file, "uefi-x64-pxe"),
            UefiLoader::Grub => (&cfg.grub_file, "uefi-x64-pxe-grub"),
        },
        Arch::UefiArm64 => (&cfg.uefi_arm64_file, "uefi-arm64-pxe"),
        _ => return None,
    };
    Some(BootAnswer {
        file: file.clone(),
        next_server: Some(server),
        vendor: client.vendor.or(Some(PxeVendor::PxeClient)),
        ipxe_no_pxedhcp: false,
        server_name: None,
        rule,
    })
}

/// Option 43 for a proxy reply to a PXE ROM: discovery control 8 ("use
/// the boot file in this packet, no boot server discovery") and the fake
/// zero-timeout prompt dnsmasq sends; EDK2 goes to port 4011 without them
/// even when the file is in the offer (tianocore Bugzilla 2130).
pub fn pxe_vendor_options() -> Vec<u8> {
    crate::options::encode_tlv(&[(6, &[8]), (10, b"\0PXE")])
}

/// Option 175 with 176 (`no-pxedhcp`) = 1.
pub fn ipxe_options() -> Vec<u8> {
    crate::options::encode_tlv(&[(176, &[1])])
}

/// Applies a boot answer to a reply.
pub fn apply(answer: &BootAnswer, client: &Client, reply: &mut Message, echo_vendor: bool) {
    reply.file = answer.file.as_bytes().to_vec();
    if let Some(name) = &answer.server_name {
        reply.sname = name.as_bytes().to_vec();
    }
    if let Some(next) = answer.next_server {
        reply.siaddr = next;
        reply.options.set(code::TFTP_SERVER, next.to_string().as_bytes());
    }
    if echo_vendor && let Some(v) = answer.vendor {
        reply.options.set(code::VENDOR_CLASS, v.as_str().as_bytes());
    }
    if answer.ipxe_no_pxedhcp {
        reply.options.set(code::IPXE, &ipxe_options());
    }
    if let Some(uuid) = &client.uuid {
        reply.options.set(code::CLIENT_UUID, uuid);
    }
    // UEFI HTTP Boot only accepts an offer carrying HTTPClient.
    if answer.vendor == Some(PxeVendor::HttpClient) {
        reply.options.set(code::VENDOR_CLASS, b"HTTPClient");
    }
}

/// Reads the PXE boot item (43.71) a port-4011 request asks for.
pub fn boot_item(options: &Options) -> Option<Vec<u8>> {
    options
        .vendor_suboptions()
        .into_iter()
        .find(|(c, _)| *c == 71)
        .map(|(_, v)| v)
}
