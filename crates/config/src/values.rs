//! Parsers for the text forms of single values: durations, addresses,
//! networks, ranges, DNS names, socket addresses and boot file names.
//!
//! Each returns the value or an operator-facing message saying what was wrong
//! and what to write instead. They know nothing about TOML, keys or positions;
//! the section readers attach those.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use dhcp::Net;

/// The longest duration accepted anywhere: DHCP carries times as 32-bit
/// seconds with `0xffffffff` meaning "infinite", and the state machine adds
/// durations to clock readings, which must not overflow.
pub(crate) const MAX_DURATION_SECS: u64 = 0xffff_fffe;

const DURATION_HELP: &str =
    "write a whole number followed by s, m, h or d (\"90s\", \"10m\", \"1h\", \"2d\"), or a number of seconds";

/// Parses `"90s"`, `"10m"`, `"1h"`, `"2d"`: digits, then exactly one unit.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    if text.is_empty() {
        return Err(format!("empty duration: {DURATION_HELP}"));
    }
    let multiplier: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => return Err(format!("duration {text:?} has no unit: {DURATION_HELP}")),
        _ => return Err(format!("invalid duration {text:?}: {DURATION_HELP}")),
    };
    if digits.is_empty() {
        return Err(format!("invalid duration {text:?}: {DURATION_HELP}"));
    }
    let too_long = || {
        format!(
            "duration {text:?} is too long: the most DHCP can carry is {MAX_DURATION_SECS} seconds (about 136 years)"
        )
    };
    let count: u64 = digits.parse().map_err(|_| too_long())?;
    let seconds = count
        .checked_mul(multiplier)
        .filter(|s| *s <= MAX_DURATION_SECS)
        .ok_or_else(too_long)?;
    Ok(Duration::from_secs(seconds))
}

/// A duration given as a TOML integer: a number of seconds.
pub(crate) fn duration_seconds(seconds: i64) -> Result<Duration, String> {
    if seconds < 0 {
        return Err(format!("a duration cannot be negative ({seconds}): {DURATION_HELP}"));
    }
    let seconds = seconds as u64;
    if seconds > MAX_DURATION_SECS {
        return Err(format!(
            "{seconds} seconds is too long: the most DHCP can carry is {MAX_DURATION_SECS} seconds (about 136 years)"
        ));
    }
    Ok(Duration::from_secs(seconds))
}

/// Prints a duration the way the configuration writes it, in the largest
/// unit that divides it.
pub(crate) fn format_duration(duration: Duration) -> String {
    let s = duration.as_secs();
    match s {
        0 => "0s".to_owned(),
        _ if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        _ if s.is_multiple_of(3600) => format!("{}h", s / 3600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

pub(crate) fn ipv4(text: &str) -> Result<Ipv4Addr, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not an IPv4 address: write four numbers from 0 to 255 such as \"10.99.0.1\""))
}

/// A network in CIDR form whose host bits are zero.
pub(crate) fn network(text: &str) -> Result<Net, String> {
    let net = Net::parse(text).ok_or_else(|| {
        format!("{text:?} is not an IPv4 network: write an address and a prefix length from 0 to 32, such as \"10.99.0.0/24\"")
    })?;
    if net.network() != net.addr {
        return Err(format!(
            "{text:?} has host bits set: the network address of {net} is {}/{}",
            net.network(),
            net.prefix
        ));
    }
    Ok(net)
}

/// An inclusive address range `START-END` with `START <= END`.
pub(crate) fn range(text: &str) -> Result<(Ipv4Addr, Ipv4Addr), String> {
    let help = "write two addresses joined by a hyphen, such as \"10.99.0.100-10.99.0.199\"";
    let (start, end) = text
        .split_once('-')
        .ok_or_else(|| format!("{text:?} is not an address range: {help}"))?;
    let (Ok(start), Ok(end)) = (start.trim().parse::<Ipv4Addr>(), end.trim().parse::<Ipv4Addr>()) else {
        return Err(format!("{text:?} is not an address range: {help}"));
    };
    if start > end {
        return Err(format!(
            "range {text:?} starts after it ends: write it as \"{end}-{start}\""
        ));
    }
    Ok((start, end))
}

/// One DNS label as a host name: letters, digits and hyphens, 1 to 63 of
/// them, not starting or ending with a hyphen (RFC 952/1123).
pub fn dns_label(text: &str) -> Result<(), String> {
    label_problem(text).map_or(Ok(()), |problem| {
        Err(format!("{text:?} is not a valid host name: {problem}"))
    })
}

/// A DNS name of one or more labels separated by dots, at most 253
/// characters, without a trailing dot.
pub fn dns_name(text: &str) -> Result<(), String> {
    if text.len() > 253 {
        return Err(format!(
            "{text:?} is not a valid domain name: it is longer than 253 characters"
        ));
    }
    if text.ends_with('.') {
        return Err(format!(
            "{text:?} is not a valid domain name: leave out the trailing dot"
        ));
    }
    for label in text.split('.') {
        if let Some(problem) = label_problem(label) {
            return Err(format!("{text:?} is not a valid domain name: {problem}"));
        }
    }
    Ok(())
}

fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("a name part is empty".to_owned());
    }
    if label.len() > 63 {
        return Some(format!("{label:?} is longer than 63 characters"));
    }
    if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Some(format!("{c:?} is not allowed (use letters, digits and hyphens)"));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Some(format!("{label:?} starts or ends with a hyphen"));
    }
    None
}

/// Where boot clients fetch from: a DNS name, an IPv4 address, or an IPv6
/// address in brackets, as it will appear in `http://HOST:PORT/` URLs.
pub(crate) fn http_host(text: &str) -> Result<(), String> {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| format!("{text:?} is not a valid IPv6 address in brackets"));
    }
    if text.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(format!("write IPv6 addresses in brackets, as in URLs: \"[{text}]\""));
    }
    if text.parse::<Ipv4Addr>().is_ok() {
        return Ok(());
    }
    if text.contains("://") || text.contains(':') || text.contains('/') {
        return Err(format!(
            "{text:?} is not a host: give only the name or address (the port is boot.http_port, the scheme is always http)"
        ));
    }
    dns_name(text).map_err(|_| format!("{text:?} is not a valid host name or IPv4 address"))
}

/// An address and port to listen on: `"0.0.0.0:53"`, `"[::]:53"`. Names are
/// not accepted: kindling binds before it could look one up.
pub(crate) fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let help = "write an address and a port, such as \"0.0.0.0:53\", or \"[::]:53\" for IPv6";
    if let Ok(address) = text.parse::<SocketAddr>() {
        if address.port() == 0 {
            return Err(format!("{text:?} has port 0: give the port to listen on, such as 53"));
        }
        return Ok(address);
    }
    match bare_ip(text) {
        Some(IpAddr::V4(ip)) => Err(format!("{text:?} has no port: write \"{ip}:53\"")),
        Some(IpAddr::V6(ip)) => Err(format!("{text:?} has no port: write \"[{ip}]:53\"")),
        None if text.matches(':').count() > 1 && !text.starts_with('[') => Err(format!(
            "{text:?} is not an address and port: put an IPv6 address in brackets, such as \"[::]:53\""
        )),
        None => Err(format!("{text:?} is not an address and port: {help}")),
    }
}

/// An upstream resolver as `dns::parse_upstream` reads it (the form
/// `--dns-upstream` takes): an address with an optional port, 53 by default
/// (`"192.0.2.53"`, `"192.0.2.53:5353"`, `"fd00::53"`, `"[fd00::53]:53"`).
/// On top of it: a hint when a name was given, and no unspecified address.
pub(crate) fn resolver_address(text: &str) -> Result<SocketAddr, String> {
    let address = dns::parse_upstream(text).map_err(|message| {
        let trimmed = text.trim();
        let host = trimmed.rsplit_once(':').map_or(trimmed, |(host, _)| host);
        if host.contains(|c: char| c.is_ascii_alphabetic()) && dns_name(host).is_ok() {
            format!(
                "{text:?} is a name: give the resolver's address instead, such as \"192.0.2.53\" or \"192.0.2.53:5353\""
            )
        } else if message.contains("port 0") {
            format!("{message}: leave the port out for 53, or give the port the resolver listens on")
        } else {
            message
        }
    })?;
    if address.ip().is_unspecified() {
        return Err(format!(
            "{text:?} is the unspecified address, which no resolver has: give the resolver's own address"
        ));
    }
    Ok(address)
}

/// An IP address without a port: IPv4, IPv6, or IPv6 in brackets.
fn bare_ip(text: &str) -> Option<IpAddr> {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    text.parse().ok()
}

/// A file name sent in the DHCP `file` field (128 bytes with its NUL) and
/// fetched over TFTP, or over HTTP by UEFI HTTP Boot clients.
pub(crate) fn boot_file(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("the file name is empty: give the name of a file kindling serves over TFTP".to_owned());
    }
    if text.len() > 127 {
        return Err(format!(
            "the file name is {} bytes long: DHCP carries at most 127, use a shorter name",
            text.len()
        ));
    }
    // UEFI HTTP Boot clients get the name inside a URL.
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "{text:?} contains spaces or control characters: rename the file"
        ));
    }
    Ok(())
}

/// The path of the iPXE script on kindling's HTTP server.
pub(crate) fn http_path(text: &str) -> Result<(), String> {
    if !text.starts_with('/') {
        return Err(format!(
            "{text:?} is not a path on kindling's HTTP server: start it with a slash, such as \"/boot.ipxe\""
        ));
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "{text:?} contains spaces or control characters, which cannot appear in a URL"
        ));
    }
    if text.len() > 255 {
        return Err("the path is longer than 255 bytes: use a shorter one".to_owned());
    }
    Ok(())
}

/// A network interface name as Linux allows it: 1 to 15 bytes, no slash,
/// no whitespace.
pub fn interface_name(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("the interface name is empty: give a name such as \"br0\"".to_owned());
    }
    if text.len() > 15 {
        return Err(format!(
            "{text:?} is longer than 15 bytes, which no Linux interface name can be"
        ));
    }
    if text.chars().any(|c| c == '/' || c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{text:?} is not an interface name: it contains a slash, a space or a control character"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(duration("0s"), Ok(Duration::ZERO));
        assert_eq!(duration_seconds(3600), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn durations_reject_junk() {
        for junk in [
            "", "1x", "s", "90", "1.5h", " 1h", "1h ", "-5s", "1h30m", "+1h", "1H", "１h",
        ] {
            assert!(duration(junk).is_err(), "{junk:?} was accepted");
        }
        assert!(duration_seconds(-5).unwrap_err().contains("negative"));
        assert!(duration("99999999999999999999999d").unwrap_err().contains("too long"));
        assert!(duration("49711d").unwrap_err().contains("too long"));
        assert!(duration_seconds(i64::MAX).unwrap_err().contains("too long"));
    }

    #[test]
    fn durations_print_in_their_largest_unit() {
        for text in ["90s", "10m", "1h", "2d", "0s"] {
            assert_eq!(format_duration(duration(text).unwrap()), text);
        }
    }

    #[test]
    fn networks_need_zero_host_bits() {
        assert_eq!(network("10.99.0.0/24").unwrap().prefix, 24);
        assert_eq!(
            network("10.99.0.5/24").unwrap_err(),
            "\"10.99.0.5/24\" has host bits set: the network address of 10.99.0.5/24 is 10.99.0.0/24"
        );
        assert!(network("10.99.0.0").is_err());
        assert!(network("10.99.0.0/33").is_err());
    }

    #[test]
    fn ranges() {
        let a = Ipv4Addr::new(10, 0, 0, 1);
        let b = Ipv4Addr::new(10, 0, 0, 9);
        assert_eq!(range("10.0.0.1-10.0.0.9"), Ok((a, b)));
        assert_eq!(range("10.0.0.1 - 10.0.0.9"), Ok((a, b)));
        assert_eq!(range("10.0.0.1-10.0.0.1"), Ok((a, a)));
        assert!(
            range("10.0.0.9-10.0.0.1")
                .unwrap_err()
                .contains("\"10.0.0.1-10.0.0.9\"")
        );
        assert!(range("10.0.0.1").is_err());
        assert!(range("10.0.0.1-").is_err());
    }

    #[test]
    fn names() {
        assert!(dns_label("node-1").is_ok());
        assert!(dns_label("-node").is_err());
        assert!(dns_label("node.lab").is_err());
        assert!(dns_label("").is_err());
        assert!(dns_label(&"a".repeat(64)).is_err());
        assert!(dns_name("lab.example").is_ok());
        assert!(dns_name("lab..example").is_err());
        assert!(dns_name("lab.example.").is_err());
        assert!(dns_name("under_score.example").is_err());
        assert!(http_host("matchbox.example.com").is_ok());
        assert!(http_host("10.0.0.1").is_ok());
        assert!(http_host("[fd00::1]").is_ok());
        assert!(http_host("fd00::1").is_err());
        assert!(http_host("host:8080").is_err());
        assert!(http_host("http://host").is_err());
    }

    #[test]
    fn socket_addresses() {
        assert_eq!(listen_address("0.0.0.0:53"), Ok("0.0.0.0:53".parse().unwrap()));
        assert_eq!(listen_address("[::]:5353"), Ok("[::]:5353".parse().unwrap()));
        assert_eq!(
            listen_address("0.0.0.0").unwrap_err(),
            "\"0.0.0.0\" has no port: write \"0.0.0.0:53\""
        );
        assert!(listen_address("::").unwrap_err().contains("\"[::]:53\""));
        assert!(listen_address("[::]").unwrap_err().contains("\"[::]:53\""));
        assert!(listen_address(":::53").unwrap_err().contains("brackets"));
        assert!(listen_address("0.0.0.0:0").unwrap_err().contains("port 0"));
        assert!(listen_address("localhost:53").is_err());
        assert!(listen_address("").is_err());

        let resolver = |s: &str| resolver_address(s).map(|a| a.to_string());
        assert_eq!(resolver("192.0.2.53").as_deref(), Ok("192.0.2.53:53"));
        assert_eq!(resolver("192.0.2.53:5353").as_deref(), Ok("192.0.2.53:5353"));
        assert_eq!(resolver("fd00::53").as_deref(), Ok("[fd00::53]:53"));
        assert_eq!(resolver("[fd00::53]:54").as_deref(), Ok("[fd00::53]:54"));
        assert!(resolver("dns.example").unwrap_err().contains("is a name"));
        assert!(resolver("dns.example:53").unwrap_err().contains("is a name"));
        assert!(resolver("192.0.2.300").unwrap_err().contains("not a resolver address"));
        assert!(resolver("fd00:::53").unwrap_err().contains("not a resolver address"));
        assert!(resolver("192.0.2.53:0").unwrap_err().contains("leave the port out"));
        assert!(resolver("0.0.0.0").unwrap_err().contains("unspecified"));
        assert!(resolver("").is_err());
    }
}
