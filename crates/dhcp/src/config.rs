//! The validated DHCP configuration: what the server state machine runs on.
//! Parsing (TOML, flags) happens in the binary; by the time a value of these
//! types exists it is consistent (ranges inside their subnet, reservations
//! unique), so the state machine does not re-check.

use std::net::Ipv4Addr;
use std::time::Duration;

use model::Mac;

/// How the server answers DHCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// No DHCP.
    #[default]
    Off,
    /// Beside another DHCP server that hands out addresses: answer network
    /// boot clients with boot information only (ports 67 and 4011).
    Proxy,
    /// Hand out addresses and boot information.
    Full,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "off" => Some(Mode::Off),
            "proxy" => Some(Mode::Proxy),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Proxy => "proxy",
            Mode::Full => "full",
        }
    }
}

/// An IPv4 network: address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Net {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Net {
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Net {
        Net {
            addr,
            prefix: prefix.min(32),
        }
    }

    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.mask_u32())
    }

    fn mask_u32(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix as u32)
        }
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask_u32())
    }

    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask_u32())
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask_u32() == u32::from(self.addr) & self.mask_u32()
    }

    /// Parses `10.0.0.0/24`.
    pub fn parse(s: &str) -> Option<Net> {
        let (a, p) = s.split_once('/')?;
        let prefix: u8 = p.parse().ok().filter(|p| *p <= 32)?;
        Some(Net::new(a.parse().ok()?, prefix))
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A classless static route (option 121).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub destination: Net,
    pub gateway: Ipv4Addr,
}

/// One subnet kindling hands out addresses in (full mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub net: Net,
    /// Inclusive address ranges, all inside `net`.
    pub ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    pub lease_time: Duration,
    pub routers: Vec<Ipv4Addr>,
    pub dns: Vec<Ipv4Addr>,
    pub domain: Option<String>,
    pub ntp: Vec<Ipv4Addr>,
    pub mtu: Option<u16>,
    pub routes: Vec<Route>,
    /// Further options for this subnet's clients, as (code, bytes); they
    /// override the global ones and the keys above.
    pub options: Vec<(u8, Vec<u8>)>,
}

impl Subnet {
    pub fn in_range(&self, ip: Ipv4Addr) -> bool {
        self.ranges.iter().any(|(a, b)| *a <= ip && ip <= *b)
    }

    pub fn range_size(&self) -> u64 {
        self.ranges
            .iter()
            .map(|(a, b)| u64::from(u32::from(*b) - u32::from(*a)) + 1)
            .sum()
    }
}

/// What kindling knows of one machine by its MAC address: a fixed
/// address, a host name, a boot file, options, or that it is to be ignored.
/// Any of them may be given alone (a host with only a name still gets its
/// address from the ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub mac: Mac,
    pub address: Option<Ipv4Addr>,
    pub hostname: Option<String>,
    /// Overrides every class's and the built-in boot answer.
    pub boot: Option<crate::class::BootFile>,
    /// Overrides the subnet's and the classes' options.
    pub options: Vec<(u8, Vec<u8>)>,
    /// This machine gets no answer at all.
    pub ignore: bool,
}

impl Reservation {
    /// A reservation of an address alone.
    pub fn address(mac: Mac, address: Ipv4Addr, hostname: Option<String>) -> Reservation {
        Reservation {
            mac,
            address: Some(address),
            hostname,
            boot: None,
            options: Vec::new(),
            ignore: false,
        }
    }
}

/// What UEFI PXE clients are given first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UefiLoader {
    /// iPXE (`ipxe.efi`), which then fetches `/boot.ipxe`.
    #[default]
    Ipxe,
    /// GRUB (`grubnetx64.efi`), which then reads kindling's `/grub`.
    Grub,
}

/// Where boot clients are sent. File names are looked up over TFTP (and
/// HTTP for UEFI HTTP Boot) on the same address that answered DHCP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootConfig {
    /// Host name or address in HTTP URLs; `None` uses the address of the
    /// interface that answered (so DHCP, TFTP and HTTP share one address).
    pub http_host: Option<String>,
    pub http_port: u16,
    /// Path of the iPXE bootstrap script (matchbox's `/boot.ipxe`).
    pub ipxe_script: String,
    pub bios_file: String,
    pub uefi_ia32_file: String,
    pub uefi_x64_file: String,
    pub uefi_arm64_file: String,
    pub uefi_loader: UefiLoader,
    pub grub_file: String,
    /// Answer with the built-in table of [`crate::boot`]; when false, only
    /// classes and hosts give boot answers (as in a dnsmasq configuration).
    pub builtin: bool,
}

impl Default for BootConfig {
    fn default() -> Self {
        BootConfig {
            http_host: None,
            http_port: 8080,
            ipxe_script: "/boot.ipxe".into(),
            bios_file: "undionly.kpxe".into(),
            uefi_ia32_file: "ipxe-i386.efi".into(),
            uefi_x64_file: "ipxe.efi".into(),
            uefi_arm64_file: "ipxe-arm64.efi".into(),
            uefi_loader: UefiLoader::Ipxe,
            grub_file: "grubnetx64.efi".into(),
            builtin: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpConfig {
    pub mode: Mode,
    /// Interfaces to answer on; empty means every interface with an IPv4 address
    /// (except loopback).
    pub interfaces: Vec<String>,
    /// NAK requests for addresses that are wrong for the client's network
    /// (full mode), as the only DHCP server on the segment should.
    pub authoritative: bool,
    pub subnets: Vec<Subnet>,
    pub reservations: Vec<Reservation>,
    /// Client classes, in file order (see [`crate::class`]).
    pub classes: Vec<crate::class::Class>,
    /// PXE boot menus for PXE firmware (see [`crate::pxe`]); empty: none.
    pub pxe: crate::pxe::Menu,
    /// Options for every client, as (code, bytes): overridden by the
    /// subnet's, the classes' and the host's.
    pub options: Vec<(u8, Vec<u8>)>,
    pub boot: BootConfig,
    /// How long an offered address stays set aside for the client.
    pub offer_hold: Duration,
    /// How long a declined address is kept out of use.
    pub probation: Duration,
    /// kindling's own DNS service, offered (option 6) on subnets that list
    /// no DNS servers, as dnsmasq does: `UNSPECIFIED` means the address
    /// that answered the client; `None`, no DNS service.
    pub dns_server: Option<Ipv4Addr>,
    /// The DNS domain (option 15) for subnets that set none.
    pub dns_domain: Option<String>,
    /// Send minimal IPv6 router advertisements on the DHCP interfaces (see
    /// [`crate::ra`]), so that iPXE does not wait ~16 s for IPv6 autoconfiguration.
    pub router_advertisements: bool,
    /// How long another client's expired lease keeps its address out of
    /// use: with replicas sharing leases, their clocks may disagree by this
    /// much. Zero for a single server.
    pub expiry_grace: Duration,
}

impl Default for DhcpConfig {
    fn default() -> Self {
        DhcpConfig {
            mode: Mode::Off,
            interfaces: Vec::new(),
            authoritative: true,
            subnets: Vec::new(),
            reservations: Vec::new(),
            classes: Vec::new(),
            pxe: crate::pxe::Menu::default(),
            options: Vec::new(),
            boot: BootConfig::default(),
            offer_hold: Duration::from_secs(30),
            probation: Duration::from_secs(600),
            dns_server: None,
            dns_domain: None,
            router_advertisements: false,
            expiry_grace: Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nets() {
        let n = Net::parse("10.99.0.7/24").unwrap();
        assert_eq!(n.network(), Ipv4Addr::new(10, 99, 0, 0));
        assert_eq!(n.mask(), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(n.broadcast(), Ipv4Addr::new(10, 99, 0, 255));
        assert!(n.contains(Ipv4Addr::new(10, 99, 0, 200)));
        assert!(!n.contains(Ipv4Addr::new(10, 99, 1, 1)));
        assert_eq!(Net::parse("0.0.0.0/0").unwrap().mask(), Ipv4Addr::UNSPECIFIED);
        assert!(Net::parse("10.0.0.0/33").is_none());
    }
}
