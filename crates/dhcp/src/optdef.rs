//! DHCP options by name and by type: the table an operator's configuration
//! is read against, and the encoding of typed values into option bytes.
//!
//! The names are the ones dnsmasq users write after `option:` (they are
//! what `kindling import dnsmasq` meets), so one file moves over without
//! renaming. The types follow RFC 2132 and the RFCs of the later options.
//! A code that is not in the table still works: its value is written with
//! an explicit type (`{ hex = "01:02" }`, `{ text = "…" }`, …).
//!
//! This module does not decide which options a reply carries: that is the
//! server's business (`server.rs`), with the parameter request list.

use std::net::Ipv4Addr;

/// How an option's value is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// One IPv4 address.
    Ip,
    /// One or more IPv4 addresses.
    Ips,
    /// Pairs of IPv4 addresses (policy filters, static routes).
    IpPairs,
    U8,
    U16,
    U32,
    /// A signed 32-bit number (time offset).
    I32,
    /// A list of 16-bit numbers.
    U16s,
    /// One byte, 0 or 1.
    Bool,
    /// Text, without a terminating NUL.
    Text,
    /// Domain names in RFC 1035 wire form (option 119, RFC 3397).
    Domains,
    /// Classless static routes (option 121, RFC 3442): `"10.1.0.0/16,10.0.0.1"`.
    Routes,
    /// Raw bytes, written as hex (`01:02:0a` or `01020a`).
    Bytes,
}

impl ValueType {
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Ip => "ip",
            ValueType::Ips => "ips",
            ValueType::IpPairs => "ip-pairs",
            ValueType::U8 => "u8",
            ValueType::U16 => "u16",
            ValueType::U32 => "u32",
            ValueType::I32 => "i32",
            ValueType::U16s => "u16s",
            ValueType::Bool => "bool",
            ValueType::Text => "text",
            ValueType::Domains => "domains",
            ValueType::Routes => "routes",
            ValueType::Bytes => "hex",
        }
    }

    /// The explicit-type names a configuration may use (`{ ip = "…" }`).
    pub fn from_name(name: &str) -> Option<ValueType> {
        Some(match name {
            "ip" => ValueType::Ip,
            "ips" => ValueType::Ips,
            "ip-pairs" => ValueType::IpPairs,
            "u8" => ValueType::U8,
            "u16" => ValueType::U16,
            "u32" => ValueType::U32,
            "i32" => ValueType::I32,
            "u16s" => ValueType::U16s,
            "bool" => ValueType::Bool,
            "text" => ValueType::Text,
            "domains" => ValueType::Domains,
            "routes" => ValueType::Routes,
            "hex" => ValueType::Bytes,
            _ => return None,
        })
    }

    /// What a value of this type looks like, for error messages.
    pub fn example(self) -> &'static str {
        match self {
            ValueType::Ip => "an IPv4 address such as \"10.0.0.1\"",
            ValueType::Ips => "IPv4 addresses such as [\"10.0.0.1\", \"10.0.0.2\"] (or one as a string)",
            ValueType::IpPairs => "pairs of IPv4 addresses such as [\"10.1.0.0\", \"255.255.0.0\"]",
            ValueType::U8 => "an integer from 0 to 255",
            ValueType::U16 => "an integer from 0 to 65535",
            ValueType::U32 => "an integer from 0 to 4294967295",
            ValueType::I32 => "an integer from -2147483648 to 2147483647",
            ValueType::U16s => "integers from 0 to 65535 such as [0, 7]",
            ValueType::Bool => "true or false (or 1 or 0)",
            ValueType::Text => "a string",
            ValueType::Domains => "domain names such as [\"lab.example\", \"example\"]",
            ValueType::Routes => "routes such as [\"10.1.0.0/16,10.0.0.1\"]",
            ValueType::Bytes => "hex bytes such as \"01:02:0a\"",
        }
    }
}

/// One row of the option table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    pub code: u8,
    pub name: &'static str,
    pub ty: ValueType,
}

macro_rules! table {
    ($($code:literal $name:literal $ty:ident,)*) => {
        /// The options known by name, in code order.
        pub const OPTIONS: &[OptionDef] = &[$(OptionDef { code: $code, name: $name, ty: ValueType::$ty },)*];
    };
}

table! {
    1 "netmask" Ip,
    2 "time-offset" I32,
    3 "router" Ips,
    4 "time-server" Ips,
    5 "name-server" Ips,
    6 "dns-server" Ips,
    7 "log-server" Ips,
    8 "cookie-server" Ips,
    9 "lpr-server" Ips,
    10 "impress-server" Ips,
    11 "resource-location-server" Ips,
    12 "hostname" Text,
    13 "boot-file-size" U16,
    14 "merit-dump-file" Text,
    15 "domain-name" Text,
    16 "swap-server" Ip,
    17 "root-path" Text,
    18 "extension-path" Text,
    19 "ip-forward-enable" Bool,
    20 "non-local-source-routing" Bool,
    21 "policy-filter" IpPairs,
    22 "max-datagram-reassembly" U16,
    23 "default-ttl" U8,
    24 "path-mtu-aging-timeout" U32,
    25 "path-mtu-plateau-table" U16s,
    26 "mtu" U16,
    27 "all-subnets-local" Bool,
    28 "broadcast" Ip,
    29 "perform-mask-discovery" Bool,
    30 "mask-supplier" Bool,
    31 "router-discovery" Bool,
    32 "router-solicitation" Ip,
    33 "static-route" IpPairs,
    34 "trailer-encapsulation" Bool,
    35 "arp-timeout" U32,
    36 "ethernet-encap" Bool,
    37 "tcp-ttl" U8,
    38 "tcp-keepalive" U32,
    39 "tcp-keepalive-garbage" Bool,
    40 "nis-domain" Text,
    41 "nis-server" Ips,
    42 "ntp-server" Ips,
    43 "vendor-encap" Bytes,
    44 "netbios-ns" Ips,
    45 "netbios-dd" Ips,
    46 "netbios-nodetype" U8,
    47 "netbios-scope" Text,
    48 "x-windows-fs" Ips,
    49 "x-windows-dm" Ips,
    50 "requested-address" Ip,
    51 "lease-time" U32,
    52 "option-overload" U8,
    53 "message-type" U8,
    54 "server-identifier" Ip,
    55 "parameter-request" Bytes,
    56 "message" Text,
    57 "max-message-size" U16,
    58 "T1" U32,
    59 "T2" U32,
    60 "vendor-class" Text,
    61 "client-id" Bytes,
    64 "nis+-domain" Text,
    65 "nis+-server" Ips,
    66 "tftp-server" Text,
    67 "bootfile-name" Text,
    68 "mobile-ip-home" Ips,
    69 "smtp-server" Ips,
    70 "pop3-server" Ips,
    71 "nntp-server" Ips,
    72 "www-server" Ips,
    73 "finger-server" Ips,
    74 "irc-server" Ips,
    76 "streettalk-directory-assistance-server" Ips,
    77 "user-class" Bytes,
    80 "rapid-commit" Bytes,
    82 "agent-id" Bytes,
    93 "client-arch" U16s,
    94 "client-interface-id" Bytes,
    97 "client-machine-id" Bytes,
    100 "posix-timezone" Text,
    101 "tzdb-timezone" Text,
    118 "subnet-select" Ip,
    119 "domain-search" Domains,
    121 "classless-static-route" Routes,
    125 "vendor-id-encap" Bytes,
    150 "tftp-server-address" Ips,
    175 "ipxe" Bytes,
}

/// The option of that name (as dnsmasq spells it, any case).
pub fn by_name(name: &str) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

pub fn by_code(code: u8) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|d| d.code == code)
}

/// The codes a configuration may not set, because the server writes them
/// itself from the exchange: padding, the end mark, and the options that
/// frame the protocol (overload, message type, server identifier, the
/// client's own request list and size) and the lease times (set by
/// `lease_time`).
pub fn reserved(code: u8) -> Option<&'static str> {
    Some(match code {
        0 | 255 => "it is padding or the end mark, not an option",
        50 | 52 | 53 | 54 | 55 | 57 | 61 => "kindling writes it itself from the exchange",
        51 | 58 | 59 => "set the subnet's lease_time instead",
        82 => "the relay's option 82 is echoed as it came; it is not configured",
        _ => return None,
    })
}

/// A value as written in a configuration, before its type is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Text(String),
    Int(i64),
    Bool(bool),
    List(Vec<Input>),
}

impl Input {
    /// A single value and a one-element list mean the same for list types.
    fn items(&self) -> Vec<&Input> {
        match self {
            Input::List(items) => items.iter().collect(),
            one => vec![one],
        }
    }
}

/// Encodes `input` as `ty`, or says what is wrong in words an operator can
/// act on. An empty list encodes to no bytes: the option is then left out
/// of replies (how a configuration turns off something kindling would send).
pub fn encode(ty: ValueType, input: &Input) -> Result<Vec<u8>, String> {
    let items = input.items();
    let one = || -> Result<&Input, String> {
        match items.as_slice() {
            [single] => Ok(single),
            _ => Err(format!("expected one value: {}", ty.example())),
        }
    };
    let wrong = || format!("expected {}", ty.example());
    let int = |i: &Input, min: i64, max: i64| -> Result<i64, String> {
        let n = match i {
            Input::Int(n) => *n,
            Input::Text(t) => t.trim().parse::<i64>().map_err(|_| wrong())?,
            Input::Bool(b) if min == 0 && max == 1 => i64::from(*b),
            _ => return Err(wrong()),
        };
        if n < min || n > max {
            return Err(format!("{n} is out of range: expected {}", ty.example()));
        }
        Ok(n)
    };
    let ip = |i: &Input| -> Result<Ipv4Addr, String> {
        match i {
            Input::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| format!("{t:?} is not an IPv4 address: expected {}", ty.example())),
            _ => Err(wrong()),
        }
    };
    if matches!(input, Input::List(l) if l.is_empty()) {
        return Ok(Vec::new());
    }
    Ok(match ty {
        ValueType::Ip => ip(one()?)?.octets().to_vec(),
        ValueType::Ips => {
            let mut out = Vec::with_capacity(items.len() * 4);
            for i in &items {
                out.extend_from_slice(&ip(i)?.octets());
            }
            out
        }
        ValueType::IpPairs => {
            if !items.len().is_multiple_of(2) {
                return Err(format!("{} addresses: expected {}", items.len(), ty.example()));
            }
            let mut out = Vec::with_capacity(items.len() * 4);
            for i in &items {
                out.extend_from_slice(&ip(i)?.octets());
            }
            out
        }
        ValueType::U8 => vec![int(one()?, 0, 255)? as u8],
        ValueType::Bool => vec![int(one()?, 0, 1)? as u8],
        ValueType::U16 => (int(one()?, 0, 65535)? as u16).to_be_bytes().to_vec(),
        ValueType::U32 => (int(one()?, 0, u32::MAX as i64)? as u32).to_be_bytes().to_vec(),
        ValueType::I32 => (int(one()?, i32::MIN as i64, i32::MAX as i64)? as i32)
            .to_be_bytes()
            .to_vec(),
        ValueType::U16s => {
            let mut out = Vec::with_capacity(items.len() * 2);
            for i in &items {
                out.extend_from_slice(&(int(i, 0, 65535)? as u16).to_be_bytes());
            }
            out
        }
        ValueType::Text => match one()? {
            Input::Text(t) => t.as_bytes().to_vec(),
            Input::Int(n) => n.to_string().into_bytes(),
            _ => return Err(wrong()),
        },
        ValueType::Domains => {
            let mut out = Vec::new();
            for i in &items {
                let Input::Text(name) = i else { return Err(wrong()) };
                encode_domain(name, &mut out)?;
            }
            out
        }
        ValueType::Routes => {
            let mut out = Vec::new();
            for i in &items {
                let Input::Text(route) = i else { return Err(wrong()) };
                encode_route(route, &mut out)?;
            }
            out
        }
        ValueType::Bytes => match one()? {
            Input::Text(t) => parse_hex(t)?,
            _ => return Err(wrong()),
        },
    })
}

/// `01:02:0a`, `01-02-0a` or `01020a` → bytes. Single hex digits between
/// separators are allowed (`1:2:a`), as in MAC addresses.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let bad = || format!("{text:?} is not hex bytes: write them as \"01:02:0a\"");
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    if t.contains([':', '-']) {
        t.split([':', '-'])
            .map(|b| {
                if b.is_empty() || b.len() > 2 {
                    return Err(bad());
                }
                u8::from_str_radix(b, 16).map_err(|_| bad())
            })
            .collect()
    } else {
        if !t.len().is_multiple_of(2) {
            return Err(bad());
        }
        (0..t.len())
            .step_by(2)
            .map(|i| {
                t.get(i..i + 2)
                    .and_then(|b| u8::from_str_radix(b, 16).ok())
                    .ok_or_else(bad)
            })
            .collect()
    }
}

/// A domain name as RFC 1035 labels, ending with the root label.
fn encode_domain(name: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let name = name.trim().trim_end_matches('.');
    if name.is_empty() || name.len() > 253 {
        return Err(format!("{name:?} is not a domain name such as \"lab.example\""));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("{name:?} has an empty label or one longer than 63 characters"));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// `"10.1.0.0/16,10.0.0.1"`: prefix length, the significant octets of the
/// destination, then the gateway (RFC 3442).
fn encode_route(text: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || format!("{text:?} is not a route: write \"10.1.0.0/16,10.0.0.1\" (destination, gateway)");
    let (dest, gw) = text.split_once(',').ok_or_else(bad)?;
    let net = crate::config::Net::parse(dest.trim()).ok_or_else(bad)?;
    let gw: Ipv4Addr = gw.trim().parse().map_err(|_| bad())?;
    let width = net.prefix.div_ceil(8) as usize;
    out.push(net.prefix);
    out.extend_from_slice(&net.network().octets()[..width]);
    out.extend_from_slice(&gw.octets());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Input {
        Input::Text(s.into())
    }

    #[test]
    fn names_and_codes_are_unique() {
        for (i, a) in OPTIONS.iter().enumerate() {
            for b in &OPTIONS[i + 1..] {
                assert!(a.code < b.code, "{} and {} out of order or repeated", a.code, b.code);
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(by_name("DNS-Server").unwrap().code, 6);
        assert_eq!(by_code(119).unwrap().name, "domain-search");
    }

    #[test]
    fn each_type_encodes() {
        let ips = Input::List(vec![text("10.0.0.1"), text("10.0.0.2")]);
        assert_eq!(encode(ValueType::Ips, &ips).unwrap(), [10, 0, 0, 1, 10, 0, 0, 2]);
        assert_eq!(encode(ValueType::Ips, &text("10.0.0.1")).unwrap(), [10, 0, 0, 1]);
        assert_eq!(
            encode(ValueType::Ip, &text("255.255.255.0")).unwrap(),
            [255, 255, 255, 0]
        );
        assert!(encode(ValueType::Ip, &ips).unwrap_err().contains("one value"));
        assert_eq!(encode(ValueType::U8, &Input::Int(64)).unwrap(), [64]);
        assert!(
            encode(ValueType::U8, &Input::Int(256))
                .unwrap_err()
                .contains("out of range")
        );
        assert_eq!(encode(ValueType::U16, &Input::Int(1500)).unwrap(), [5, 220]);
        assert_eq!(encode(ValueType::U16, &text("1500")).unwrap(), [5, 220]);
        assert_eq!(encode(ValueType::U32, &Input::Int(3600)).unwrap(), [0, 0, 14, 16]);
        assert_eq!(
            encode(ValueType::I32, &Input::Int(-3600)).unwrap(),
            (-3600i32).to_be_bytes()
        );
        assert_eq!(
            encode(ValueType::U16s, &Input::List(vec![Input::Int(0), Input::Int(7)])).unwrap(),
            [0, 0, 0, 7]
        );
        assert_eq!(encode(ValueType::Bool, &Input::Bool(true)).unwrap(), [1]);
        assert_eq!(encode(ValueType::Text, &text("lab.example")).unwrap(), b"lab.example");
        assert_eq!(
            encode(ValueType::Domains, &Input::List(vec![text("a.example"), text("b")])).unwrap(),
            b"\x01a\x07example\x00\x01b\x00"
        );
        assert_eq!(
            encode(ValueType::Routes, &text("10.1.0.0/16,10.0.0.1")).unwrap(),
            [16, 10, 1, 10, 0, 0, 1]
        );
        assert_eq!(encode(ValueType::Bytes, &text("01:02:0a")).unwrap(), [1, 2, 10]);
        assert_eq!(encode(ValueType::Bytes, &text("01020a")).unwrap(), [1, 2, 10]);
        assert!(encode(ValueType::Bytes, &text("0g")).is_err());
        assert!(encode(ValueType::IpPairs, &text("10.0.0.1")).is_err());
        assert!(encode(ValueType::Ips, &Input::List(vec![])).unwrap().is_empty());
        assert!(encode(ValueType::Domains, &text("a..b")).is_err());
    }
}
