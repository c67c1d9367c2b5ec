//! The translation itself: dnsmasq directives read into a model of what
//! they mean (subnets, tags, boot lines, options, hosts, PXE services, DNS),
//! then written as kindling's sections.
//!
//! dnsmasq's tags become classes named after them. A `dhcp-boot` line with
//! one tag becomes that class's `boot_file` when doing so keeps the lines'
//! order (kindling, like dnsmasq, lets the last matching one win); any other
//! becomes a class of its own after the tag classes, matching by `classes`.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use dhcp::optdef::{self, Input, ValueType};

use crate::emit::{inline_table, quote, strings};
use crate::parse::{Directive, Place};
use crate::{Conversion, Loss};

#[derive(Debug, Clone, PartialEq, Eq)]
struct TagRef {
    name: String,
    negated: bool,
}

#[derive(Debug, Default)]
struct TagClass {
    name: String,
    /// Match tables (TOML inline text), any of which puts a client in.
    matches: Vec<String>,
    options: Vec<(String, String)>,
    boot: Option<Boot>,
    /// Made for a tag no directive sets: dnsmasq's interface-name tags.
    interface: bool,
}

#[derive(Debug, Clone)]
struct Boot {
    tags: Vec<TagRef>,
    file: String,
    server_name: Option<String>,
    server: Option<String>,
}

struct Subnet {
    network: (Ipv4Addr, u8),
    assumed: bool,
    ranges: Vec<(Ipv4Addr, Ipv4Addr)>,
    lease: Option<String>,
}

struct Host {
    place: Place,
    raw: String,
    mac: String,
    address: Option<Ipv4Addr>,
    hostname: Option<String>,
    ignore: bool,
}

struct Service {
    tags: Vec<TagRef>,
    csa: String,
    text: String,
    file: String,
    server: Option<String>,
}

/// A class made for a combination of tags (a boot line, options, an
/// ignore, a proxy fence).
struct Generated {
    name: String,
    matches: String,
    options: Vec<(String, String)>,
    boot: Option<Boot>,
    ignore: bool,
    comment: Option<String>,
}

#[derive(Default)]
struct State {
    losses: Vec<Loss>,
    notes: Vec<String>,
    full: Option<Place>,
    proxy: Option<(Place, (Ipv4Addr, u8))>,
    subnets: Vec<Subnet>,
    authoritative: bool,
    interfaces: Vec<String>,
    tags: Vec<TagClass>,
    boots: Vec<(Boot, Place)>,
    options: Vec<(Vec<TagRef>, String, String, Place)>,
    hosts: Vec<Host>,
    ignores: Vec<Vec<TagRef>>,
    services: Vec<Service>,
    prompt: Option<(String, u8)>,
    tftp: bool,
    tftp_root: Option<String>,
    dns_port: Option<u16>,
    domain: Option<String>,
    upstreams: Vec<String>,
    no_resolv: bool,
    resolv_file: Option<String>,
    no_hosts: bool,
    records: Vec<(String, &'static str, String)>,
    cache_size: Option<u32>,
    local_ttl: Option<u32>,
    log_queries: bool,
}

impl State {
    fn lose_at(&mut self, place: Place, option: String, reason: impl Into<String>) {
        self.losses.push(Loss {
            place,
            option,
            reason: reason.into(),
        });
    }

    fn lose(&mut self, d: &Directive, reason: impl Into<String>) {
        self.losses.push(Loss {
            place: d.place,
            option: if d.raw.is_empty() {
                d.name.clone()
            } else {
                format!("{}={}", d.name, d.raw)
            },
            reason: reason.into(),
        });
    }

    /// The class of a tag, made when first needed.
    fn tag(&mut self, name: &str) -> &mut TagClass {
        let i = match self.tags.iter().position(|t| t.name == name) {
            Some(i) => i,
            None => {
                self.tags.push(TagClass {
                    name: name.to_owned(),
                    ..TagClass::default()
                });
                self.tags.len() - 1
            }
        };
        &mut self.tags[i]
    }
}

/// Whether a tag can be a kindling class name (and, for tags no directive
/// sets, an interface name).
fn tag_ok(name: &str) -> bool {
    name == "known" || config::rules::class_name(name).is_ok()
}

/// Leading `set:`/`tag:` arguments: the tags set, the tags required, and
/// the remaining arguments. dnsmasq's older `net:` means `tag:` (or `set:`
/// where a directive sets tags).
fn tags_of(args: &[String], net_sets: bool) -> (Vec<String>, Vec<TagRef>, Vec<String>) {
    let mut sets = Vec::new();
    let mut conds = Vec::new();
    let mut rest = args.iter();
    let mut remaining = Vec::new();
    for a in rest.by_ref() {
        if let Some(t) = a.strip_prefix("set:") {
            sets.push(t.to_owned());
        } else if let Some(t) = a.strip_prefix("net:").filter(|_| net_sets) {
            sets.push(t.to_owned());
        } else if let Some(t) = a.strip_prefix("tag:").or_else(|| a.strip_prefix("net:")) {
            match t.strip_prefix(['!', '#']) {
                Some(n) => conds.push(TagRef {
                    name: n.to_owned(),
                    negated: true,
                }),
                None => conds.push(TagRef {
                    name: t.to_owned(),
                    negated: false,
                }),
            }
        } else {
            remaining.push(a.clone());
            break;
        }
    }
    remaining.extend(rest.cloned());
    (sets, conds, remaining)
}

pub fn convert(directives: &[Directive], origin: &str) -> Conversion {
    let mut s = State::default();
    for d in directives {
        directive(&mut s, d);
    }
    let toml = write(&mut s, origin);
    Conversion { toml, losses: s.losses }
}

/// Options that need nothing in kindling, with the reason given in the
/// output's header.
const NEEDS_NOTHING: &[(&str, &str)] = &[
    ("no-daemon", "kindling runs in the foreground"),
    ("keep-in-foreground", "kindling runs in the foreground"),
    ("log-dhcp", "kindling logs every DHCP exchange"),
    ("bind-interfaces", "kindling binds its sockets itself"),
    ("bind-dynamic", "kindling follows interface changes itself"),
    (
        "local-service",
        "kindling forwards DNS only for the networks it serves by default",
    ),
    ("pid-file", "kindling writes no PID file: use your service manager"),
    ("user", "kindling does not change its user: use your service manager"),
    ("group", "kindling does not change its group: use your service manager"),
    (
        "log-facility",
        "kindling logs to standard error: use your service manager",
    ),
    ("log-async", "kindling logs to standard error: use your service manager"),
];

fn directive(s: &mut State, d: &Directive) {
    let (sets, conds, _) = tags_of(&d.args, d.name == "dhcp-range");
    if let Some(bad) = sets.iter().chain(conds.iter().map(|t| &t.name)).find(|t| !tag_ok(t)) {
        return s.lose(
            d,
            format!("tag {bad:?} cannot be a class name (letters, digits, '-', '_', '.')"),
        );
    }
    if let Some((_, why)) = NEEDS_NOTHING.iter().find(|(n, _)| *n == d.name) {
        let note = format!("{}: {why}.", d.name);
        if !s.notes.contains(&note) {
            s.notes.push(note);
        }
        return;
    }
    match d.name.as_str() {
        "dhcp-range" => dhcp_range(s, d),
        "dhcp-authoritative" => s.authoritative = true,
        "interface" => {
            if let Some(bad) = d.args.iter().find(|i| config::rules::interface_name(i).is_err()) {
                return s.lose(d, format!("{bad:?} is not an interface name"));
            }
            for i in &d.args {
                if !s.interfaces.contains(i) {
                    s.interfaces.push(i.clone());
                }
            }
        }
        "dhcp-match" => dhcp_match(s, d),
        "dhcp-vendorclass" | "dhcp-userclass" | "dhcp-mac" | "dhcp-circuitid" | "dhcp-remoteid" | "dhcp-subscrid" => {
            tag_by_value(s, d)
        }
        "dhcp-boot" => dhcp_boot(s, d),
        "dhcp-option" | "dhcp-option-force" => dhcp_option(s, d),
        "dhcp-host" => dhcp_host(s, d),
        "dhcp-ignore" => {
            let (sets, conds, rest) = tags_of(&d.args, false);
            if !sets.is_empty() || !rest.iter().all(String::is_empty) || conds.is_empty() {
                s.lose(d, "only dhcp-ignore=tag:NAME[,tag:NAME…] is understood");
            } else {
                s.ignores.push(conds);
            }
        }
        "pxe-service" => pxe_service(s, d),
        "pxe-prompt" => {
            let (_, conds, rest) = tags_of(&d.args, false);
            let timeout = rest.get(1).map(|t| t.parse::<u8>().ok());
            match (conds.is_empty(), rest.first(), timeout) {
                (true, Some(text), None | Some(Some(_))) if !text.is_empty() && text.len() <= 250 => {
                    s.prompt = Some((text.clone(), timeout.flatten().unwrap_or(0)));
                }
                (false, ..) => s.lose(d, "a prompt for some tags only: kindling's menu has one prompt"),
                _ => s.lose(d, "expected pxe-prompt=\"TEXT\"[,TIMEOUT]"),
            }
        }
        "enable-tftp" => {
            if d.args.iter().any(|a| !a.is_empty()) {
                s.lose(
                    d,
                    "TFTP on some interfaces only: kindling's TFTP answers on --tftp-address",
                );
            }
            s.tftp = true;
        }
        "tftp-root" => match d.args.as_slice() {
            [dir] if !dir.is_empty() => s.tftp_root = Some(dir.clone()),
            [_] => s.lose(d, "no directory given"),
            _ => s.lose(d, "a TFTP root for one interface: kindling has one root"),
        },
        "address" => address(s, d),
        "port" => match d.raw.trim().parse::<u16>() {
            Ok(p) => s.dns_port = Some(p),
            Err(_) => s.lose(d, "not a port number"),
        },
        "domain" => match d.args.as_slice() {
            [name] if config::rules::dns_name(name.trim_end_matches('.')).is_ok() => {
                s.domain = Some(name.trim_end_matches('.').to_owned())
            }
            [_] => s.lose(d, "not a domain name"),
            _ => s.lose(d, "a domain for some addresses only: kindling has one domain"),
        },
        "local" => {
            let dom = d.raw.trim().trim_matches('/').to_owned();
            if s.domain.as_deref() != Some(dom.as_str()) {
                s.lose(
                    d,
                    "kindling owns only dns.domain (and forwards every other name): set `domain` to this name",
                );
            }
        }
        "server" => server(s, d),
        "no-resolv" => s.no_resolv = true,
        "log-queries" => s.log_queries = true,
        "resolv-file" if !d.raw.trim().is_empty() => s.resolv_file = Some(d.raw.trim().to_owned()),
        "no-hosts" => s.no_hosts = true,
        "cache-size" => match d.raw.trim().parse::<u32>() {
            Ok(n) if n <= 1_000_000 => s.cache_size = Some(n),
            _ => s.lose(d, "kindling's cache holds 0 to 1000000 answers"),
        },
        "local-ttl" => match d.raw.trim().parse::<u32>() {
            Ok(n) if (1..=604_800).contains(&n) => s.local_ttl = Some(n),
            _ => s.lose(d, "kindling's local TTL is 1 s to 7 days"),
        },
        _ => s.lose(d, "kindling has no equivalent"),
    }
}

fn dhcp_range(s: &mut State, d: &Directive) {
    let (sets, conds, rest) = tags_of(&d.args, true);
    if !conds.is_empty() || rest.first().is_some_and(|a| a.starts_with("interface:")) {
        return s.lose(
            d,
            "a range for some tags or one interface only: kindling's ranges serve their subnet",
        );
    }
    let Some(Ok(start)) = rest.first().map(|a| a.parse::<Ipv4Addr>()) else {
        return s.lose(
            d,
            "not an IPv4 range: DHCPv6 and router advertisements are not imported",
        );
    };
    let second = rest.get(1).map(String::as_str).unwrap_or("");
    let mask_at = |i: usize| rest.get(i).and_then(|m| m.parse::<Ipv4Addr>().ok()).and_then(prefix_of);
    if second == "proxy" {
        let prefix = mask_at(2);
        if rest.len() > 3 || (rest.len() == 3 && prefix.is_none()) {
            return s.lose(d, "expected dhcp-range=ADDRESS,proxy[,NETMASK]");
        }
        if s.full.is_some() || s.proxy.is_some() {
            return s.lose(
                d,
                "kindling runs one DHCP mode: proxy beside a full range is not supported",
            );
        }
        let prefix = prefix.unwrap_or(24);
        if mask_at(2).is_none() {
            s.notes.push(format!(
                "{}: no netmask; assumed /{prefix} (dnsmasq takes the interface's).",
                d.place
            ));
        }
        s.proxy = Some((d.place, (network(start, prefix), prefix)));
        if !sets.is_empty() {
            s.lose(d, "tags set by a proxy range are not imported");
        }
        return;
    }
    let Ok(end) = second.parse::<Ipv4Addr>() else {
        return s.lose(
            d,
            "only START,END ranges and START,proxy are imported (static, ra-* and constructor: are not)",
        );
    };
    if s.proxy.is_some() {
        return s.lose(
            d,
            "kindling runs one DHCP mode: a full range beside proxy is not supported",
        );
    }
    let mut i = 2;
    let prefix = mask_at(i);
    if prefix.is_some() {
        i += 1;
        if rest.get(i).is_some_and(|b| b.parse::<Ipv4Addr>().is_ok()) {
            i += 1; // the broadcast address follows from the netmask
        }
    }
    let lease = match rest.get(i) {
        Some(l) => match lease_time(l) {
            Some(t) => Some(t),
            None => {
                return s.lose(
                    d,
                    format!("lease time {l:?} cannot be expressed (kindling needs 1m to 49710d)"),
                );
            }
        },
        None => None,
    };
    if rest.len() > i + 1 {
        return s.lose(d, "more fields than START,END[,NETMASK[,BROADCAST]][,LEASE]");
    }
    let (prefix, assumed) = match prefix {
        Some(p) => (p, false),
        None => (common_prefix(start, end).min(24), true),
    };
    let net = (network(start, prefix), prefix);
    if network(end, prefix) != net.0 || u32::from(start) > u32::from(end) {
        return s.lose(d, "the range does not fit one subnet");
    }
    // kindling's ranges leave out the network and broadcast addresses.
    if prefix > 30 {
        return s.lose(d, "a network smaller than /30 has no room for a range");
    }
    let (first, last) = span(net);
    let start = Ipv4Addr::from(u32::from(start).max(first + 1));
    let end = Ipv4Addr::from(u32::from(end).min(last - 1));
    if u32::from(start) > u32::from(end) {
        return s.lose(d, "the range holds only the network or broadcast address");
    }
    if s.subnets.iter().any(|x| {
        x.network != net && {
            let (a, b) = span(x.network);
            a <= last && first <= b
        }
    }) {
        return s.lose(d, "its network overlaps the network of an earlier dhcp-range");
    }
    if s.subnets
        .iter()
        .flat_map(|x| &x.ranges)
        .any(|(a, b)| u32::from(*a) <= u32::from(end) && u32::from(start) <= u32::from(*b))
    {
        return s.lose(d, "it overlaps an earlier range");
    }
    s.full.get_or_insert(d.place);
    match s.subnets.iter_mut().find(|x| x.network == net) {
        Some(sub) => {
            sub.ranges.push((start, end));
            if lease.is_some() && sub.lease.is_some() && sub.lease != lease {
                s.lose(d, "kindling has one lease time per subnet: the first range's is kept");
            } else if sub.lease.is_none() {
                sub.lease = lease;
            }
        }
        None => {
            if assumed {
                s.notes.push(format!(
                    "{}: no netmask; assumed {}/{prefix} (dnsmasq takes the interface's).",
                    d.place, net.0
                ));
            }
            s.subnets.push(Subnet {
                network: net,
                assumed,
                ranges: vec![(start, end)],
                lease,
            });
        }
    }
    for t in sets {
        let m = format!("{{ subnet = {} }}", quote(&format!("{}/{}", net.0, net.1)));
        s.tag(&t).matches.push(m);
    }
}

fn prefix_of(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let p = m.leading_ones();
    (m.checked_shl(p).unwrap_or(0) == 0).then_some(p as u8)
}

/// The first and last address of a network, as numbers.
fn span((net, prefix): (Ipv4Addr, u8)) -> (u32, u32) {
    let first = u32::from(net);
    (first, first | u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0))
}

fn network(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    Ipv4Addr::from(u32::from(ip) & mask)
}

fn common_prefix(a: Ipv4Addr, b: Ipv4Addr) -> u8 {
    (u32::from(a) ^ u32::from(b)).leading_zeros() as u8
}

/// dnsmasq's lease time (`45m`, `12h`, `1d`, `2w`, seconds) as kindling's.
fn lease_time(text: &str) -> Option<String> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
        _ => (t, 's'),
    };
    let n: u64 = digits.parse().ok()?;
    let seconds = match unit {
        's' => n,
        'm' => n * 60,
        'h' => n * 3600,
        'd' => n * 86_400,
        'w' => n * 604_800,
        _ => return None,
    };
    if !(60..=4_294_967_294).contains(&seconds) {
        return None;
    }
    Some(match unit {
        'w' => format!("{}d", n * 7),
        's' => format!("{n}s"),
        u => format!("{n}{u}"),
    })
}

fn dhcp_match(s: &mut State, d: &Directive) {
    let (sets, _, rest) = tags_of(&d.args, false);
    let [tag] = sets.as_slice() else {
        return s.lose(d, "expected dhcp-match=set:TAG,OPTION[,VALUE]");
    };
    let Some(opt) = rest.first() else {
        return s.lose(d, "expected dhcp-match=set:TAG,OPTION[,VALUE]");
    };
    let code = match option_code(opt) {
        Ok(c) => c,
        Err(why) => return s.lose(d, why),
    };
    let value = &rest[1..];
    let m = match (code, value) {
        (_, []) => format!("{{ option = {code} }}"),
        (93, [arch]) => match arch.parse::<u16>() {
            Ok(a) => format!("{{ arch = {a} }}"),
            Err(_) => return s.lose(d, "an architecture must be a number"),
        },
        (_, [v]) if v.contains(':') && optdef::parse_hex(v).is_ok() || v.contains('*') => {
            return s.lose(
                d,
                "dnsmasq matches a hex value as a prefix (with * wildcards); kindling matches whole list entries",
            );
        }
        (_, values) => match typed_value(code, values, true) {
            Ok(v) => format!("{{ option = {{ code = {code}, value = {v} }} }}"),
            Err(why) => return s.lose(d, why),
        },
    };
    s.tag(tag).matches.push(m);
}

/// `dhcp-vendorclass`, `dhcp-userclass`, `dhcp-mac` and the relay-agent
/// matches: `set:TAG,VALUE`.
fn tag_by_value(s: &mut State, d: &Directive) {
    let (sets, _, rest) = tags_of(&d.args, false);
    let ([tag], [value]) = (sets.as_slice(), rest.as_slice()) else {
        return s.lose(d, format!("expected {}=set:TAG,VALUE", d.name));
    };
    let m = match d.name.as_str() {
        // dnsmasq matches these classes as substrings.
        "dhcp-vendorclass" => {
            if value.starts_with("enterprise:") {
                return s.lose(
                    d,
                    "vendor classes of option 124/125 (enterprise:) are not matched by kindling",
                );
            }
            format!("{{ vendor_class_contains = {} }}", quote(value))
        }
        "dhcp-userclass" => format!("{{ user_class_contains = {} }}", quote(value)),
        "dhcp-mac" => {
            // An optional hardware type first (`1:`), then the address.
            let parts: Vec<&str> = value.split(':').collect();
            let mac = if parts.len() == 7 {
                parts[1..].join(":")
            } else {
                value.clone()
            };
            if dhcp::MacPattern::parse(&mac).is_err() {
                return s.lose(d, "not a six-byte MAC address pattern");
            }
            format!("{{ mac = {} }}", quote(&mac))
        }
        other => {
            let k = match other {
                "dhcp-circuitid" => "circuit_id",
                "dhcp-remoteid" => "remote_id",
                _ => "subscriber_id",
            };
            let v = match optdef::parse_hex(value) {
                Ok(bytes) if value.contains(':') && !bytes.is_empty() => format!("{{ hex = {} }}", quote(value)),
                _ => quote(value),
            };
            format!("{{ {k} = {v} }}")
        }
    };
    s.tag(tag).matches.push(m);
}

/// `option:NAME` or a number.
fn option_code(text: &str) -> Result<u8, String> {
    if let Some(name) = text.strip_prefix("option:") {
        return optdef::by_name(name)
            .map(|d| d.code)
            .ok_or_else(|| format!("kindling does not know option {name:?}: give its number"));
    }
    if text.starts_with("option6:") || text.starts_with("vi-encap:") || text.starts_with("encap:") {
        return Err("DHCPv6 and encapsulated options are not imported".into());
    }
    match text.parse::<u8>() {
        Ok(c) if c != 0 && c != 255 => Ok(c),
        _ => Err(format!("{text:?} is not an option")),
    }
}

/// dnsmasq's comma-separated values as a kindling TOML value for `code`,
/// checked by encoding it. `one` asks for one entry of a list (matching).
fn typed_value(code: u8, values: &[String], one: bool) -> Result<String, String> {
    let known = optdef::by_code(code).map(|d| d.ty);
    let ty = match known {
        Some(ValueType::Ips | ValueType::IpPairs) if one => ValueType::Ip,
        Some(ValueType::U16s) if one => ValueType::U16,
        Some(t) => t,
        None => guess(values),
    };
    let ints = |vs: &[String]| -> Option<Vec<i64>> { vs.iter().map(|v| v.parse().ok()).collect() };
    let (input, text) = match ty {
        ValueType::Ip | ValueType::Ips | ValueType::IpPairs | ValueType::Domains => {
            let input = Input::List(values.iter().map(|v| Input::Text(v.clone())).collect());
            let text = if ty == ValueType::Ip {
                quote(&values[0])
            } else {
                strings(values)
            };
            (input, text)
        }
        ValueType::U8 | ValueType::U16 | ValueType::U32 | ValueType::I32 => {
            let [v] = values else {
                return Err("expected one number".into());
            };
            let n: i64 = v.parse().map_err(|_| format!("{v:?} is not a number"))?;
            (Input::Int(n), n.to_string())
        }
        ValueType::Bool => {
            let [v] = values else {
                return Err("expected 0 or 1".into());
            };
            let b = match v.as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => return Err(format!("{v:?} is not 0 or 1")),
            };
            (Input::Bool(b), b.to_string())
        }
        ValueType::U16s => {
            let n = ints(values).ok_or("expected numbers")?;
            (
                Input::List(n.iter().map(|&i| Input::Int(i)).collect()),
                format!("[{}]", n.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
            )
        }
        ValueType::Text => {
            let t = values.join(",");
            (Input::Text(t.clone()), quote(&t))
        }
        ValueType::Routes => {
            if !values.len().is_multiple_of(2) {
                return Err("classless routes come in pairs: NETWORK/PREFIX,GATEWAY".into());
            }
            let routes: Vec<String> = values.chunks(2).map(|p| format!("{},{}", p[0], p[1])).collect();
            (
                Input::List(routes.iter().map(|r| Input::Text(r.clone())).collect()),
                strings(&routes),
            )
        }
        ValueType::Bytes => {
            let t = values.join(",");
            if optdef::parse_hex(&t).is_ok() && t.contains(':') {
                (Input::Text(t.clone()), quote(&t))
            } else {
                // Text given for a binary option: its bytes, written as hex.
                let hex: Vec<String> = t.bytes().map(|b| format!("{b:02x}")).collect();
                let hex = hex.join(":");
                (Input::Text(hex.clone()), quote(&hex))
            }
        }
    };
    optdef::encode(ty, &input)?;
    Ok(if known.is_some() && !(one && ty != known.unwrap_or(ty)) {
        text
    } else {
        format!("{{ {} = {text} }}", ty.name())
    })
}

/// dnsmasq's guess for an option it has no type for: addresses, a number
/// (sized by its value), hex bytes, or text.
fn guess(values: &[String]) -> ValueType {
    if values.iter().all(|v| v.parse::<Ipv4Addr>().is_ok()) {
        ValueType::Ips
    } else if let [v] = values
        && let Ok(n) = v.parse::<u64>()
    {
        match n {
            0..=255 => ValueType::U8,
            256..=65535 => ValueType::U16,
            _ => ValueType::U32,
        }
    } else if values.len() == 1 && values[0].contains(':') && optdef::parse_hex(&values[0]).is_ok() {
        ValueType::Bytes
    } else {
        ValueType::Text
    }
}

fn dhcp_boot(s: &mut State, d: &Directive) {
    let (sets, conds, rest) = tags_of(&d.args, false);
    if !sets.is_empty() {
        return s.lose(d, "dhcp-boot does not set tags");
    }
    let (file, server_name, server) = match rest.as_slice() {
        [f] => (f.clone(), None, None),
        [f, n] => (f.clone(), Some(n.clone()).filter(|n| !n.is_empty()), None),
        [f, n, a] => (f.clone(), Some(n.clone()).filter(|n| !n.is_empty()), Some(a.clone())),
        _ => return s.lose(d, "expected dhcp-boot=[tag:…,]FILE[,SERVER NAME[,SERVER ADDRESS]]"),
    };
    if file.is_empty() || file.len() > 127 || file.contains('\0') {
        return s.lose(d, "a boot file must have 1 to 127 bytes");
    }
    if server_name.as_ref().is_some_and(|n| n.len() > 63) {
        return s.lose(d, "a boot server name must fit the 63 bytes of the sname field");
    }
    if let Some(a) = &server
        && a.parse::<Ipv4Addr>().is_err()
    {
        return s.lose(d, "the boot server must be an IPv4 address (names are not resolved)");
    }
    s.boots.push((
        Boot {
            tags: conds,
            file,
            server_name,
            server,
        },
        d.place,
    ));
}

fn dhcp_option(s: &mut State, d: &Directive) {
    let (sets, conds, rest) = tags_of(&d.args, false);
    if !sets.is_empty() {
        return s.lose(d, "dhcp-option does not set tags");
    }
    let Some(opt) = rest.first() else {
        return s.lose(d, "expected dhcp-option=[tag:…,]OPTION[,VALUE…]");
    };
    if opt.starts_with("vendor:") {
        return s.lose(
            d,
            "vendor-encapsulated options (vendor:) are not imported: write option 43 as hex",
        );
    }
    let code = match option_code(opt) {
        Ok(c) => c,
        Err(why) => return s.lose(d, why),
    };
    if let Some(why) = optdef::reserved(code) {
        return s.lose(d, format!("option {code} cannot be configured in kindling: {why}"));
    }
    let values: Vec<String> = rest[1..].to_vec();
    let name = optdef::by_code(code).map_or_else(|| code.to_string(), |o| o.name.to_owned());
    let value = if values.is_empty() || values.iter().all(String::is_empty) {
        "[]".to_owned()
    } else {
        match typed_value(code, &values, false) {
            Ok(v) => v,
            Err(why) => return s.lose(d, why),
        }
    };
    s.options.push((conds, name, value, d.place));
}

fn dhcp_host(s: &mut State, d: &Directive) {
    let mut host = Host {
        place: d.place,
        raw: d.raw.clone(),
        mac: String::new(),
        address: None,
        hostname: None,
        ignore: false,
    };
    let mut set_tags = Vec::new();
    for a in &d.args {
        if let Some(t) = a.strip_prefix("set:") {
            if !tag_ok(t) {
                return s.lose(
                    d,
                    format!("tag {t:?} cannot be a class name (letters, digits, '-', '_', '.')"),
                );
            }
            set_tags.push(t.to_owned());
        } else if a.starts_with("tag:") || a.starts_with("id:") || a.starts_with('[') {
            return s.lose(d, "hosts by client ID, tag or IPv6 address are not imported");
        } else if a == "ignore" {
            host.ignore = true;
        } else if let Ok(ip) = a.parse::<Ipv4Addr>() {
            host.address = Some(ip);
        } else if a.len() >= 11 && a.split([':', '-']).count() >= 6 {
            if !host.mac.is_empty() {
                return s.lose(
                    d,
                    "one host with several MAC addresses: kindling keeps one address per machine",
                );
            }
            if a.contains('*') || a.split([':', '-']).count() != 6 {
                return s.lose(d, "a MAC pattern in a host entry: use a class with `mac`");
            }
            host.mac = a.replace('-', ":");
        } else if lease_time(a).is_some() || a == "infinite" {
            return s.lose(
                d,
                "per-host lease times are not supported: the subnet's lease_time applies",
            );
        } else if config::rules::dns_label(a).is_ok() {
            host.hostname = Some(a.clone());
        } else {
            return s.lose(
                d,
                format!("{a:?} is not a MAC address, IPv4 address, host name or `ignore`"),
            );
        }
    }
    if host.mac.is_empty() {
        return s.lose(
            d,
            "hosts by name only are not imported: kindling identifies hosts by MAC address",
        );
    }
    for t in set_tags {
        let m = format!("{{ mac = {} }}", quote(&host.mac));
        s.tag(&t).matches.push(m);
    }
    if host.address.is_some() || host.hostname.is_some() || host.ignore {
        s.hosts.push(host);
    }
}

fn pxe_service(s: &mut State, d: &Directive) {
    let (_, conds, rest) = tags_of(&d.args, false);
    let (csa, text, file, server) = match rest.as_slice() {
        [c, t, f] => (c, t, f, None),
        [c, t, f, a] => (c, t, f, Some(a.clone())),
        [_, _] => return s.lose(d, "a local-boot item (no file) has no equivalent in kindling"),
        _ => return s.lose(d, "expected pxe-service=[tag:…,]CSA,\"MENU TEXT\",FILE[,SERVER]"),
    };
    if text.is_empty() || text.len() > 250 {
        return s.lose(d, "a menu text must have 1 to 250 bytes");
    }
    if dhcp::pxe::csa_by_name(csa).is_none() && csa.parse::<u16>().is_err() {
        return s.lose(d, format!("unknown client architecture {csa:?}"));
    }
    if file.parse::<u16>().is_ok() {
        return s.lose(
            d,
            "a boot service type (boot server discovery) is not supported: give a file",
        );
    }
    if let Some(a) = &server
        && a.parse::<Ipv4Addr>().is_err()
    {
        return s.lose(d, "the boot server must be an IPv4 address");
    }
    if conds.iter().any(|t| t.name == "known") {
        return s.lose(d, "a menu item for known or unknown hosts only is not supported");
    }
    // dnsmasq loads BASENAME.0 when the name has no extension.
    let file = if file.contains('.') || file.contains("://") {
        file.clone()
    } else {
        format!("{file}.0")
    };
    s.services.push(Service {
        tags: conds,
        csa: csa.clone(),
        text: text.clone(),
        file,
        server,
    });
}

fn address(s: &mut State, d: &Directive) {
    let parts: Vec<&str> = d.raw.trim().split('/').collect();
    // "/name/.../ip": empty first part, names, then the address.
    let (true, Some(&""), Some(ip)) = (parts.len() >= 3, parts.first(), parts.last()) else {
        return s.lose(d, "expected address=/NAME/ADDRESS");
    };
    let names = &parts[1..parts.len() - 1];
    let kind = match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => "A",
        Ok(IpAddr::V6(_)) => "AAAA",
        Err(_) => return s.lose(d, "names answered NXDOMAIN or with no address are not imported"),
    };
    if names.is_empty() || names.iter().any(|n| n.is_empty() || *n == "#" || n.contains('*')) {
        return s.lose(d, "every-name (#) and wildcard addresses are not imported");
    }
    if let Some(bad) = names
        .iter()
        .find(|n| config::rules::dns_name(n.trim_end_matches('.')).is_err())
    {
        return s.lose(d, format!("{bad:?} is not a domain name kindling serves"));
    }
    for n in names {
        s.records
            .push((n.trim_end_matches('.').to_owned(), kind, (*ip).to_owned()));
    }
}

fn server(s: &mut State, d: &Directive) {
    let v = d.raw.trim();
    if v.starts_with('/') || v.contains('@') {
        return s.lose(
            d,
            "servers for some domains, or from a chosen source, are not supported",
        );
    }
    let (ip, port) = match v.split_once('#') {
        Some((ip, port)) => (ip, Some(port)),
        None => (v, None),
    };
    if ip.parse::<IpAddr>().is_ok_and(|a| a.is_unspecified()) || port == Some("0") {
        return s.lose(d, "an unspecified address or port 0 is no resolver");
    }
    let up = match (ip.parse::<IpAddr>(), port.map(str::parse::<u16>)) {
        (Ok(IpAddr::V4(a)), None) => a.to_string(),
        (Ok(IpAddr::V4(a)), Some(Ok(p))) => format!("{a}:{p}"),
        (Ok(IpAddr::V6(a)), None) => a.to_string(),
        (Ok(IpAddr::V6(a)), Some(Ok(p))) => format!("[{a}]:{p}"),
        _ => return s.lose(d, "expected server=ADDRESS[#PORT]"),
    };
    if !s.upstreams.contains(&up) {
        s.upstreams.push(up);
    }
}

/// The match table for a tag combination (`classes`, `known`).
fn match_for(tags: &[TagRef]) -> String {
    let mut entries = Vec::new();
    let classes: Vec<String> = tags
        .iter()
        .filter(|t| t.name != "known")
        .map(|t| {
            if t.negated {
                format!("!{}", t.name)
            } else {
                t.name.clone()
            }
        })
        .collect();
    if !classes.is_empty() {
        entries.push(("classes".to_owned(), strings(&classes)));
    }
    if let Some(k) = tags.iter().find(|t| t.name == "known") {
        entries.push(("known".to_owned(), (!k.negated).to_string()));
    }
    inline_table(&entries)
}

fn write(s: &mut State, origin: &str) -> String {
    // Tags referred to but never set are dnsmasq's interface-name tags.
    let referred: Vec<String> = s
        .boots
        .iter()
        .flat_map(|(b, _)| b.tags.iter())
        .chain(s.options.iter().flat_map(|o| o.0.iter()))
        .chain(s.ignores.iter().flatten())
        .chain(s.services.iter().flat_map(|x| x.tags.iter()))
        .map(|t| t.name.clone())
        .filter(|n| n != "known")
        .collect();
    for name in referred {
        if !s.tags.iter().any(|t| t.name == name) {
            let t = s.tag(&name);
            t.interface = true;
            // A name no interface can have is a tag dnsmasq never sets: a
            // subnet no request belongs to.
            let m = if config::rules::interface_name(&name).is_ok() {
                format!("{{ interface = {} }}", quote(&name))
            } else {
                "{ subnet = \"0.0.0.0/32\" }".to_owned()
            };
            t.matches.push(m);
        }
    }

    // dhcp-boot lines: folded into their tag's class while that keeps the
    // order of the lines, else classes of their own after the tag classes.
    let mut generated: Vec<Generated> = Vec::new();
    let mut last_folded: Option<usize> = None;
    let mut appended = false;
    let boots = std::mem::take(&mut s.boots);
    for (b, _) in boots {
        let single = match b.tags.as_slice() {
            [t] if !t.negated && t.name != "known" => s.tags.iter().position(|c| c.name == t.name),
            _ => None,
        };
        if !appended
            && let Some(i) = single
            && s.tags[i].boot.is_none()
            && last_folded.is_none_or(|l| i > l)
        {
            s.tags[i].boot = Some(b);
            last_folded = Some(i);
            continue;
        }
        appended = true;
        generated.push(Generated {
            name: format!("boot-{}", generated.len() + 1),
            matches: match_for(&b.tags),
            options: Vec::new(),
            boot: Some(b),
            ignore: false,
            comment: None,
        });
    }
    let mut global_options: Vec<(String, String)> = Vec::new();
    let options = std::mem::take(&mut s.options);
    let mut router_set = false;
    for (tags, name, value, _) in options {
        match tags.as_slice() {
            [] => {
                router_set |= name == "router";
                global_options.retain(|(n, _)| *n != name);
                global_options.push((name, value));
            }
            [t] if !t.negated && t.name != "known" => {
                let class = s.tag(&t.name);
                class.options.retain(|(n, _)| *n != name);
                class.options.push((name, value));
            }
            _ => generated.push(Generated {
                name: format!("options-{}", generated.len() + 1),
                matches: match_for(&tags),
                options: vec![(name, value)],
                boot: None,
                ignore: false,
                comment: None,
            }),
        }
    }
    for tags in std::mem::take(&mut s.ignores) {
        generated.push(Generated {
            name: format!("ignore-{}", generated.len() + 1),
            matches: match_for(&tags),
            options: Vec::new(),
            boot: None,
            ignore: true,
            comment: None,
        });
    }
    if let Some((_, (net, prefix))) = s.proxy {
        // dnsmasq answers proxyDHCP only on the network of its range.
        generated.push(Generated {
            name: "proxy-network".into(),
            matches: format!("{{ subnet = {} }}", quote(&format!("{net}/{prefix}"))),
            options: Vec::new(),
            boot: None,
            ignore: false,
            comment: Some("dnsmasq answered proxyDHCP only on the network of its dhcp-range".into()),
        });
        generated.push(Generated {
            name: "outside-proxy-network".into(),
            matches: "{ classes = [\"!proxy-network\"] }".into(),
            options: Vec::new(),
            boot: None,
            ignore: true,
            comment: None,
        });
    }

    // Hosts as kindling takes them: one per MAC, each address once and in a
    // subnet (dnsmasq may list hosts before their range).
    let mut macs = BTreeSet::new();
    let mut addresses = BTreeSet::new();
    let hosts = std::mem::take(&mut s.hosts);
    for h in hosts {
        let option = format!("dhcp-host={}", h.raw);
        let host_net = h.address.and_then(|a| {
            s.subnets
                .iter()
                .find(|x| network(a, x.network.1) == x.network.0)
                .map(|x| x.network)
        });
        let reason = if !macs.insert(h.mac.to_lowercase()) {
            Some("this MAC address has an earlier dhcp-host: kindling keeps one entry per machine".to_owned())
        } else if let Some(a) = h.address {
            match host_net.map(span) {
                None => Some(format!("{a} is in no dhcp-range's network")),
                Some((first, last)) if u32::from(a) == first || u32::from(a) == last => {
                    Some(format!("{a} is a network or broadcast address"))
                }
                Some(_) if !addresses.insert(a) => Some(format!("{a} is given to an earlier dhcp-host")),
                Some(_) => None,
            }
        } else {
            None
        };
        match reason {
            Some(r) => s.lose_at(h.place, option, r),
            None => s.hosts.push(h),
        }
    }

    let mut out = String::new();
    out.push_str(&format!(
        "# Converted from dnsmasq ({origin}) by `kindling import dnsmasq`.\n"
    ));
    for n in &s.notes {
        out.push_str(&format!("# {n}\n"));
    }
    let dhcp_on = s.full.is_some() || s.proxy.is_some();
    if dhcp_on {
        out.push_str("\n[dhcp]\n");
        out.push_str(if s.proxy.is_some() {
            "mode = \"proxy\"\n"
        } else {
            "mode = \"full\"\n"
        });
        if s.full.is_some() && !s.authoritative {
            out.push_str("# dnsmasq without dhcp-authoritative stays silent on requests it cannot grant.\n");
            out.push_str("authoritative = false\n");
        }
        if !s.interfaces.is_empty() {
            out.push_str(&format!("interfaces = {}\n", strings(&s.interfaces)));
        }
        if s.full.is_some() && !router_set {
            out.push_str("# 0.0.0.0 is the address that answered: dnsmasq's default router.\n");
            global_options.insert(0, ("router".into(), "[\"0.0.0.0\"]".into()));
        }
        if !global_options.is_empty() {
            out.push_str(&format!("options = {}\n", inline_table(&global_options)));
        }
        for sub in &s.subnets {
            out.push_str("\n[[dhcp.subnet]]\n");
            out.push_str(&format!("network = \"{}/{}\"", sub.network.0, sub.network.1));
            if sub.assumed {
                out.push_str("  # assumed: dnsmasq took the netmask from the interface");
            }
            out.push('\n');
            let ranges: Vec<String> = sub.ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            out.push_str(&format!("ranges = {}\n", strings(&ranges)));
            if let Some(l) = &sub.lease {
                out.push_str(&format!("lease_time = {}\n", quote(l)));
            }
        }
        if let Some((_, (net, prefix))) = s.proxy {
            out.push_str(&format!("\n[[dhcp.subnet]]\nnetwork = \"{net}/{prefix}\"\n"));
        }
        for h in &s.hosts {
            out.push_str(&format!("\n[[dhcp.host]]\nmac = {}\n", quote(&h.mac)));
            if let Some(a) = h.address {
                out.push_str(&format!("address = \"{a}\"\n"));
            }
            if let Some(n) = &h.hostname {
                out.push_str(&format!("hostname = {}\n", quote(n)));
            }
            if h.ignore {
                out.push_str("ignore = true\n");
            }
        }
        for t in &s.tags {
            out.push_str("\n[[dhcp.class]]\n");
            if t.interface {
                out.push_str("# dnsmasq tags each request with the name of its interface.\n");
            }
            out.push_str(&format!("name = {}\n", quote(&t.name)));
            if t.matches.len() == 1 {
                out.push_str(&format!("match = {}\n", t.matches[0]));
            } else {
                out.push_str(&format!("match = [{}]\n", t.matches.join(", ")));
            }
            write_class_body(&mut out, &t.options, t.boot.as_ref(), false);
        }
        for g in &generated {
            out.push_str("\n[[dhcp.class]]\n");
            if let Some(c) = &g.comment {
                out.push_str(&format!("# {c}.\n"));
            }
            out.push_str(&format!("name = {}\nmatch = {}\n", quote(&g.name), g.matches));
            write_class_body(&mut out, &g.options, g.boot.as_ref(), g.ignore);
        }
        if let Some((text, timeout)) = &s.prompt {
            out.push_str("\n[dhcp.pxe]\n");
            out.push_str(&format!("prompt = {}\nprompt_timeout = {timeout}\n", quote(text)));
        }
        {
            for x in &s.services {
                out.push_str("\n[[dhcp.pxe.service]]\n");
                let csa = match x.csa.parse::<u16>() {
                    Ok(n) => n.to_string(),
                    Err(_) => quote(&x.csa),
                };
                out.push_str(&format!(
                    "csa = {csa}\ntext = {}\nboot_file = {}\n",
                    quote(&x.text),
                    quote(&x.file)
                ));
                if let Some(a) = &x.server {
                    out.push_str(&format!("boot_server = {}\n", quote(a)));
                }
                if !x.tags.is_empty() {
                    let names: Vec<String> = x
                        .tags
                        .iter()
                        .map(|t| {
                            if t.negated {
                                format!("!{}", t.name)
                            } else {
                                t.name.clone()
                            }
                        })
                        .collect();
                    out.push_str(&format!("classes = {}\n", strings(&names)));
                }
            }
        }
        out.push_str("\n[boot]\n");
        out.push_str(
            "# kindling's built-in boot answers are off: dnsmasq gave boot files only where\n\
             # dhcp-boot and pxe-service said, and nothing to other network-boot clients.\n",
        );
        out.push_str("builtin = false\n");
    }
    if s.tftp || s.tftp_root.is_some() {
        out.push_str("\n[tftp]\n");
        out.push_str(&format!("enabled = {}\n", s.tftp));
        if let Some(r) = &s.tftp_root {
            out.push_str(&format!("root = {}\n", quote(r)));
        }
    }
    let dns_on = s.dns_port != Some(0);
    out.push_str("\n[dns]\n");
    if !dns_on {
        out.push_str("# port=0: no DNS.\n");
    }
    out.push_str(&format!("enabled = {dns_on}\n"));
    if let Some(p) = s.dns_port.filter(|p| *p != 0 && *p != 53) {
        out.push_str(&format!("address = \"0.0.0.0:{p}\"\n"));
    }
    if let Some(dom) = &s.domain {
        out.push_str(&format!("domain = {}\n", quote(dom)));
    }
    if !s.upstreams.is_empty() {
        out.push_str(&format!("upstreams = {}\n", strings(&s.upstreams)));
    }
    if !s.no_resolv {
        let file = s.resolv_file.clone().unwrap_or_else(|| "/etc/resolv.conf".into());
        out.push_str("# Without no-resolv, dnsmasq forwards to the servers listed there.\n");
        out.push_str(&format!("resolv_file = {}\n", quote(&file)));
    }
    if !s.no_hosts {
        out.push_str("# Without no-hosts, dnsmasq answers the names of /etc/hosts.\n");
        out.push_str("hosts_file = \"/etc/hosts\"\n");
    }
    if s.log_queries {
        out.push_str("log_queries = true\n");
    }
    if let Some(n) = s.cache_size {
        out.push_str(&format!("cache_size = {n}\n"));
    }
    if let Some(t) = s.local_ttl {
        out.push_str(&format!("ttl = {t}\n"));
    }
    let mut seen = BTreeSet::new();
    for (name, kind, value) in &s.records {
        if !seen.insert((name.clone(), *kind, value.clone())) {
            continue;
        }
        out.push_str("\n[[dns.record]]\n");
        out.push_str("# address=: this name and every name under it.\n");
        out.push_str(&format!(
            "name = {}\ntype = \"{kind}\"\nvalue = {}\nsubdomains = true\n",
            quote(name),
            quote(value)
        ));
    }
    out
}

fn write_class_body(out: &mut String, options: &[(String, String)], boot: Option<&Boot>, ignore: bool) {
    if !options.is_empty() {
        out.push_str(&format!("options = {}\n", inline_table(options)));
    }
    if let Some(b) = boot {
        out.push_str(&format!("boot_file = {}\n", quote(&b.file)));
        if let Some(a) = &b.server {
            out.push_str(&format!("boot_server = {}\n", quote(a)));
        }
        if let Some(n) = &b.server_name {
            out.push_str(&format!("boot_server_name = {}\n", quote(n)));
        }
    }
    if ignore {
        out.push_str("ignore = true\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_times() {
        assert_eq!(lease_time("30m").as_deref(), Some("30m"));
        assert_eq!(lease_time("2w").as_deref(), Some("14d"));
        assert_eq!(lease_time("3600").as_deref(), Some("3600s"));
        assert_eq!(lease_time("10s"), None);
        assert_eq!(lease_time("infinite"), None);
    }

    #[test]
    fn masks() {
        assert_eq!(prefix_of(Ipv4Addr::new(255, 255, 255, 0)), Some(24));
        assert_eq!(prefix_of(Ipv4Addr::new(255, 0, 255, 0)), None);
        assert_eq!(
            common_prefix(Ipv4Addr::new(192, 168, 1, 1), Ipv4Addr::new(192, 168, 1, 254)),
            24
        );
    }

    #[test]
    fn guesses_and_types() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            typed_value(6, &v(&["10.0.0.1", "10.0.0.2"]), false).unwrap(),
            "[\"10.0.0.1\", \"10.0.0.2\"]"
        );
        assert_eq!(
            typed_value(224, &v(&["10.0.0.1"]), false).unwrap(),
            "{ ips = [\"10.0.0.1\"] }"
        );
        assert_eq!(typed_value(224, &v(&["300"]), false).unwrap(), "{ u16 = 300 }");
        assert_eq!(
            typed_value(224, &v(&["01:02:03"]), false).unwrap(),
            "{ hex = \"01:02:03\" }"
        );
        assert_eq!(typed_value(224, &v(&["hello"]), false).unwrap(), "{ text = \"hello\" }");
        assert_eq!(typed_value(93, &v(&["7"]), true).unwrap(), "{ u16 = 7 }");
        assert_eq!(typed_value(77, &v(&["iPXE"]), true).unwrap(), "\"69:50:58:45\"");
        assert!(typed_value(6, &v(&["x"]), false).is_err());
    }
}
