//! What the DNS service is told: its domain, the names of the server, the
//! static records, the upstream resolvers and the limits. Validated values
//! only; the TOML side lives in the `config` crate.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::rr::Name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsConfig {
    /// The local domain (`lab.example.`): kindling owns it and every name
    /// under it, and DHCP hostnames are published in it.
    pub domain: Option<Name>,
    /// Names answered with the address the query arrived on (the server's
    /// own names). Single labels are qualified with `domain`.
    pub server_names: Vec<Name>,
    pub records: Vec<StaticRecord>,
    /// Where other names are forwarded, tried in order; empty: REFUSED.
    pub upstreams: Vec<SocketAddr>,
    /// Networks names are forwarded for, beside those kindling serves
    /// (its interfaces' networks and the DHCP subnets, added by the binary).
    pub forward_allow: Vec<crate::Cidr>,
    /// Forward for any client (an open resolver); off by default.
    pub forward_any: bool,
    /// TTL of local answers (static records, server names; lease names get
    /// at most the lease's remaining time).
    pub local_ttl: u32,
    /// Most forwarded answers kept.
    pub cache_size: usize,
    /// Longest a forwarded answer is kept, whatever its TTL says.
    pub max_cache_ttl: u32,
    /// How long to wait for one upstream before trying the next.
    pub upstream_timeout: Duration,
    /// Log every question with its client and outcome (dnsmasq's
    /// `log-queries`).
    pub log_queries: bool,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            domain: None,
            server_names: Vec::new(),
            records: Vec::new(),
            upstreams: Vec::new(),
            forward_allow: Vec::new(),
            forward_any: false,
            local_ttl: 60,
            cache_size: 10_000,
            max_cache_ttl: 86_400,
            upstream_timeout: Duration::from_millis(1500),
            log_queries: false,
        }
    }
}

/// One record from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRecord {
    /// Fully qualified.
    pub name: Name,
    pub ttl: Option<u32>,
    pub value: RecordValue,
    /// The record also stands for every name under `name` that has no
    /// records of its own (dnsmasq's `address=/name/ip`); only for the
    /// questions of its own type (and any type, for a CNAME).
    pub subdomains: bool,
}

/// The record types a configuration can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordValue {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(Name),
    Txt(Vec<String>),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name,
    },
}

/// The record types `RecordValue::parse` accepts, for messages.
pub const RECORD_TYPES: &[&str] = &["A", "AAAA", "CNAME", "TXT", "SRV"];

impl RecordValue {
    /// Reads a value of `kind` (A, AAAA, CNAME, TXT, SRV; any case) in zone
    /// file notation: `10.0.0.1`, `fd00::1`, `host.example`, any text, or
    /// `PRIORITY WEIGHT PORT TARGET` for SRV. Relative names (no trailing
    /// dot) are taken as absolute. The error says what was expected.
    pub fn parse(kind: &str, value: &str) -> Result<RecordValue, String> {
        match kind.to_ascii_uppercase().as_str() {
            "A" => value
                .parse()
                .map(RecordValue::A)
                .map_err(|_| format!("{value:?} is not an IPv4 address such as \"10.99.0.1\"")),
            "AAAA" => value
                .parse()
                .map(RecordValue::Aaaa)
                .map_err(|_| format!("{value:?} is not an IPv6 address such as \"fd00::1\"")),
            "CNAME" => parse_name(value).map(RecordValue::Cname),
            "TXT" => {
                if value.len() > 4000 {
                    return Err("a TXT value is at most 4000 bytes".into());
                }
                // Strings longer than 255 bytes are split, as zone files do.
                let mut parts = Vec::new();
                let mut rest = value;
                while rest.len() > 255 {
                    let mut cut = 255;
                    while !rest.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    parts.push(rest[..cut].to_string());
                    rest = &rest[cut..];
                }
                parts.push(rest.to_string());
                Ok(RecordValue::Txt(parts))
            }
            "SRV" => {
                let fields: Vec<&str> = value.split_whitespace().collect();
                let expected =
                    "an SRV value is \"PRIORITY WEIGHT PORT TARGET\", such as \"10 5 8080 kindling.lab.example\"";
                let [p, w, port, target] = fields[..] else {
                    return Err(expected.into());
                };
                let num = |s: &str| s.parse::<u16>().map_err(|_| format!("{s:?}: {expected}"));
                Ok(RecordValue::Srv {
                    priority: num(p)?,
                    weight: num(w)?,
                    port: num(port)?,
                    target: parse_name(target)?,
                })
            }
            other => Err(format!(
                "unknown record type {other:?}: use one of {}",
                RECORD_TYPES.join(", ")
            )),
        }
    }
}

/// An upstream resolver: `ADDRESS` or `ADDRESS:PORT` (IPv6 in brackets
/// when a port follows, `[fd00::1]:53`), port 53 when none is given.
pub fn parse_upstream(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        if addr.port() == 0 {
            return Err(format!("{text:?}: port 0 is not a resolver's port"));
        }
        return Ok(addr);
    }
    Err(format!(
        "{text:?} is not a resolver address: write an IP address, optionally with a port (\"10.0.0.53\", \"10.0.0.53:5353\", \"[fd00::53]:53\")"
    ))
}

/// A host name in text form, made fully qualified. Letters, digits,
/// hyphens and underscores (SRV owners) in labels of at most 63 bytes.
pub fn parse_name(text: &str) -> Result<Name, String> {
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    if trimmed.is_empty() {
        return Err("a name cannot be empty".into());
    }
    if trimmed.len() > 253 {
        return Err(format!("{text:?} is longer than 253 characters"));
    }
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(format!("{text:?} has an empty label (two dots in a row)"));
        }
        if label.len() > 63 {
            return Err(format!("{text:?} has a label longer than 63 characters"));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "{text:?} is not a host name: use letters, digits and hyphens in dot-separated labels"
            ));
        }
    }
    let mut name = Name::from_ascii(trimmed).map_err(|e| format!("{text:?}: {e}"))?;
    name.set_fqdn(true);
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            RecordValue::parse("a", "10.0.0.1"),
            Ok(RecordValue::A(Ipv4Addr::new(10, 0, 0, 1)))
        );
        assert!(RecordValue::parse("A", "10.0.0").unwrap_err().contains("IPv4"));
        assert_eq!(
            RecordValue::parse("SRV", "10 5 8080 kindling.lab.example"),
            Ok(RecordValue::Srv {
                priority: 10,
                weight: 5,
                port: 8080,
                target: parse_name("kindling.lab.example.").unwrap()
            })
        );
        assert!(
            RecordValue::parse("SRV", "10 5 kindling")
                .unwrap_err()
                .contains("PRIORITY")
        );
        assert!(
            RecordValue::parse("MX", "x")
                .unwrap_err()
                .contains("unknown record type")
        );
        let RecordValue::Txt(parts) = RecordValue::parse("TXT", &"x".repeat(600)).unwrap() else {
            panic!()
        };
        assert_eq!(parts.iter().map(String::len).collect::<Vec<_>>(), [255, 255, 90]);
    }

    #[test]
    fn upstreams() {
        assert_eq!(parse_upstream("10.0.0.53"), Ok("10.0.0.53:53".parse().unwrap()));
        assert_eq!(parse_upstream("10.0.0.53:5353"), Ok("10.0.0.53:5353".parse().unwrap()));
        assert_eq!(parse_upstream("fd00::53"), Ok("[fd00::53]:53".parse().unwrap()));
        assert_eq!(parse_upstream("[fd00::53]:54"), Ok("[fd00::53]:54".parse().unwrap()));
        assert!(parse_upstream("dns.example").unwrap_err().contains("IP address"));
        assert!(parse_upstream("10.0.0.1:0").unwrap_err().contains("port 0"));
    }

    #[test]
    fn names() {
        assert!(parse_name("Kindling.Lab.example").unwrap().is_fqdn());
        assert!(parse_name("a..b").unwrap_err().contains("empty label"));
        assert!(parse_name("a b").unwrap_err().contains("not a host name"));
        assert!(parse_name(&"a".repeat(64)).unwrap_err().contains("63"));
        assert!(parse_name("_http._tcp.lab").is_ok());
    }
}
