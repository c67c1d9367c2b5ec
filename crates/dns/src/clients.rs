//! Who may have names resolved upstream. A forwarder that answers anyone
//! is an open resolver: a tool for reflection attacks and a cache anyone
//! can probe. kindling forwards only for the networks it serves (those of
//! its interfaces, the DHCP subnets, also behind relays) and the networks
//! the configuration adds; other clients are REFUSED for names kindling
//! does not own. Its own names are answered to everyone, as an
//! authoritative server's are.

use std::net::IpAddr;

/// A network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network of `addr` with `prefix` bits; `None` when the prefix is
    /// longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        let bits = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix <= bits).then_some(Cidr {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// Reads `ADDRESS/PREFIX`, or a bare address (a single host). Host bits
    /// may be set (`10.1.2.3/8` is `10.0.0.0/8`), as interface addresses are
    /// often written.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an address or a network such as 10.0.0.0/8 or fd00::/8"))?;
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => full,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= full)
                .ok_or_else(|| format!("{text:?}: the prefix length must be a number from 0 to {full}"))?,
        };
        Cidr::new(addr, prefix).ok_or_else(|| format!("{text:?}: prefix too long"))
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` is in this network; an IPv4-mapped IPv6 address counts
    /// as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = unmap(ip);
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => mask(ip, self.prefix) == self.addr,
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let keep = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4((u32::from(a) & keep).into())
        }
        IpAddr::V6(a) => {
            let keep = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6((u128::from(a) & keep).into())
        }
    }
}

/// The clients names are forwarded for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardPolicy {
    /// Everyone (`dns.forward_any`): an open resolver, for networks
    /// fenced some other way.
    pub any: bool,
    pub networks: Vec<Cidr>,
}

impl ForwardPolicy {
    pub fn allows(&self, client: IpAddr) -> bool {
        self.any || unmap(client).is_loopback() || self.networks.iter().any(|n| n.contains(client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let n = Cidr::parse("10.1.2.3/8").unwrap();
        assert_eq!(n.to_string(), "10.0.0.0/8");
        assert!(n.contains(ip("10.255.0.1")) && !n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.9.9.9")), "IPv4-mapped");
        assert!(!n.contains(ip("fd00::1")));
        let v6 = Cidr::parse("fd00:1::/32").unwrap();
        assert!(v6.contains(ip("fd00:1:ffff::1")) && !v6.contains(ip("fd00:2::1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("192.0.2.1")));
        assert_eq!(Cidr::parse("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        for bad in ["10.0.0.0/33", "fd00::/129", "nope", "10.0.0.0/x", "/8"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_policy_allows_loopback_its_networks_or_everyone() {
        let p = ForwardPolicy {
            any: false,
            networks: vec![Cidr::parse("192.0.2.0/24").unwrap()],
        };
        assert!(p.allows(ip("127.0.0.1")) && p.allows(ip("::1")) && p.allows(ip("192.0.2.9")));
        assert!(!p.allows(ip("198.51.100.1")));
        assert!(
            ForwardPolicy {
                any: true,
                networks: vec![]
            }
            .allows(ip("198.51.100.1"))
        );
    }
}
