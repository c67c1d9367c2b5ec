//! The `[dhcp]` section with its `[[dhcp.subnet]]` and `[[dhcp.host]]`
//! tables: read into `dhcp::DhcpConfig` (all but `boot`, which is the
//! `[boot]` section's), then checked across entries (overlapping subnets and
//! ranges, reservations outside every subnet, duplicate reservations, a full
//! server without addresses to hand out).
//!
//! Per-value checks happen while reading; the cross checks run only on the
//! entries that read cleanly, so one bad network does not also produce a
//! cascade of "outside the subnet" errors.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use dhcp::{Mode, Net, Reservation, Route, Subnet};
use model::Mac;

use crate::Config;
use crate::reader::{self, Ctx, Table, Value};
use crate::values;

pub(crate) const KEYS: &[&str] = &[
    "mode",
    "interfaces",
    "authoritative",
    "router_advertisements",
    "offer_hold",
    "probation",
    "expiry_grace",
    "lease_file",
    "options",
    "subnet",
    "host",
    "class",
    "pxe",
];
pub(crate) const SUBNET_KEYS: &[&str] = &[
    "network",
    "ranges",
    "lease_time",
    "routers",
    "dns",
    "domain",
    "ntp",
    "mtu",
    "routes",
    "options",
];
pub(crate) const ROUTE_KEYS: &[&str] = &["destination", "gateway"];
pub(crate) const HOST_KEYS: &[&str] = &[
    "mac",
    "address",
    "hostname",
    "options",
    "boot_file",
    "boot_server",
    "boot_server_name",
    "ignore",
];

const DEFAULT_LEASE_TIME: Duration = Duration::from_secs(3600);
const MIN_LEASE_TIME: Duration = Duration::from_secs(60);

const ADDRESS: &str = "an IPv4 address such as \"10.99.0.1\"";
const ADDRESSES: &str = "an array of IPv4 addresses such as [\"10.99.0.1\"]";
const NETWORK: &str = "a network such as \"10.99.0.0/24\"";
const RANGE: &str = "a range such as \"10.99.0.100-10.99.0.199\"";

/// A subnet as read, with what the cross checks need to point at. `subnet`
/// is `None` when some key had an error; `net` may still be known then.
struct SubnetEntry {
    subnet: Option<Subnet>,
    net: Option<(Net, Range<usize>)>,
    path: String,
    ranges: Vec<RangeEntry>,
}

struct RangeEntry {
    range: (Ipv4Addr, Ipv4Addr),
    path: String,
    span: Range<usize>,
}

struct HostEntry {
    reservation: Reservation,
    path: String,
    mac_span: Range<usize>,
    address_span: Option<Range<usize>>,
}

pub(crate) fn read(ctx: &mut Ctx<'_>, value: &Value<'_>, config: &mut Config) {
    let expected = "a table: write the [dhcp] header and its keys below it";
    let Some(table) = Table::open(ctx, value, "dhcp".to_owned(), expected, KEYS) else {
        return;
    };
    let dhcp = &mut config.dhcp;

    // The mode first: what a subnet needs depends on it.
    let mode = table.get("mode").and_then(|v| {
        let path = table.path_of("mode");
        let text = reader::string(ctx, v, &path, "one of \"off\", \"proxy\", \"full\"")?;
        let mode = Mode::parse(text);
        if mode.is_none() {
            ctx.error(
                v.span(),
                &path,
                format!("unknown mode {text:?}: use \"off\", \"proxy\" or \"full\""),
            );
        }
        mode.map(|m| (m, v.span()))
    });
    if let Some((mode, _)) = mode {
        dhcp.mode = mode;
    }
    let full = matches!(mode, Some((Mode::Full, _)));

    if let Some(v) = table.get("interfaces") {
        let path = table.path_of("interfaces");
        let names = reader::list(
            ctx,
            v,
            &path,
            "an array of interface names such as [\"br0\"]",
            |ctx, item, path| {
                reader::parsed(ctx, item, &path, "an interface name such as \"br0\"", |s| {
                    values::interface_name(s).map(|()| s.to_owned())
                })
            },
        );
        dhcp.interfaces = names.unwrap_or_default();
    }
    if let Some(v) = table.get("authoritative") {
        dhcp.authoritative = reader::boolean(ctx, v, &table.path_of("authoritative")).unwrap_or(dhcp.authoritative);
    }
    if let Some(v) = table.get("router_advertisements") {
        dhcp.router_advertisements =
            reader::boolean(ctx, v, &table.path_of("router_advertisements")).unwrap_or(dhcp.router_advertisements);
    }
    let one_second = Duration::from_secs(1);
    if let Some(v) = table.get("offer_hold") {
        dhcp.offer_hold = reader::duration(ctx, v, &table.path_of("offer_hold"), one_second).unwrap_or(dhcp.offer_hold);
    }
    if let Some(v) = table.get("probation") {
        dhcp.probation = reader::duration(ctx, v, &table.path_of("probation"), one_second).unwrap_or(dhcp.probation);
    }
    if let Some(v) = table.get("expiry_grace") {
        config.dhcp_expiry_grace = reader::duration(ctx, v, &table.path_of("expiry_grace"), Duration::ZERO);
    }
    if let Some(v) = table.get("lease_file") {
        let expected = "a file path such as \"/var/lib/kindling/dhcp-leases.redb\"";
        config.dhcp_lease_file = reader::parsed(ctx, v, &table.path_of("lease_file"), expected, |s| {
            if s.is_empty() {
                Err("the path is empty: give the file where kindling keeps its DHCP leases".to_owned())
            } else {
                Ok(PathBuf::from(s))
            }
        });
    }

    if let Some(v) = table.get("options") {
        dhcp.options = crate::options::read(ctx, v, &table.path_of("options")).unwrap_or_default();
    }
    let subnets = match table.get("subnet") {
        Some(v) => reader::array_of_tables(
            ctx,
            v,
            &table.path_of("subnet"),
            "[[dhcp.subnet]]",
            SUBNET_KEYS,
            |ctx, t| Some(read_subnet(ctx, t, full)),
        ),
        None => Vec::new(),
    };
    let hosts = match table.get("host") {
        Some(v) => reader::array_of_tables(ctx, v, &table.path_of("host"), "[[dhcp.host]]", HOST_KEYS, read_host),
        None => Vec::new(),
    };

    if let Some((Mode::Full, span)) = mode
        && table
            .get("subnet")
            .is_none_or(|v| v.get_ref().as_array().is_some_and(|a| a.is_empty()))
    {
        ctx.error(
            span,
            &table.path_of("mode"),
            "mode \"full\" hands out addresses but no [[dhcp.subnet]] is configured: add one with ranges, \
             or use mode = \"proxy\" beside another DHCP server",
        );
    }
    check_subnet_overlaps(ctx, &subnets);
    check_range_overlaps(ctx, &subnets);
    check_hosts(ctx, &subnets, &hosts);
    let classes = match table.get("class") {
        Some(v) => crate::class::read_all(ctx, v, &table.path_of("class")),
        None => Vec::new(),
    };

    let pxe = match table.get("pxe") {
        Some(v) => crate::class::read_pxe(ctx, v, &table.path_of("pxe"), &classes),
        None => dhcp::pxe::Menu::default(),
    };

    let dhcp = &mut config.dhcp;
    dhcp.classes = classes;
    dhcp.pxe = pxe;
    dhcp.subnets = subnets.into_iter().filter_map(|s| s.subnet).collect();
    dhcp.reservations = hosts.into_iter().map(|h| h.reservation).collect();
}

fn read_subnet(ctx: &mut Ctx<'_>, t: Table<'_, '_>, full: bool) -> SubnetEntry {
    let network_value = t.required(ctx, "network", "network = \"10.99.0.0/24\"");
    let net = network_value.and_then(|v| reader::parsed(ctx, v, &t.path_of("network"), NETWORK, values::network));

    let ranges = match t.get("ranges") {
        Some(v) => {
            let path = t.path_of("ranges");
            let ranges = reader::list(
                ctx,
                v,
                &path,
                "an array of ranges such as [\"10.99.0.100-10.99.0.199\"]",
                |ctx, item, path| {
                    let range = reader::parsed(ctx, item, &path, RANGE, values::range)?;
                    if let Some(net) = net {
                        check_range_in(ctx, net, range, &path, item.span())?;
                    }
                    Some(RangeEntry {
                        range,
                        path,
                        span: item.span(),
                    })
                },
            );
            if full && v.get_ref().as_array().is_some_and(|a| a.is_empty()) {
                ctx.error(
                    v.span(),
                    &path,
                    "no ranges: in mode \"full\" every subnet needs at least one, \
                     e.g. ranges = [\"10.99.0.100-10.99.0.199\"]",
                );
            }
            ranges.unwrap_or_default()
        }
        None => {
            if full {
                ctx.error(
                    t.span.clone(),
                    &t.path_of("ranges"),
                    "missing key `ranges`: in mode \"full\" every subnet needs addresses to hand out, \
                     e.g. ranges = [\"10.99.0.100-10.99.0.199\"]",
                );
            }
            Vec::new()
        }
    };

    let lease_time = match t.get("lease_time") {
        Some(v) => reader::duration(ctx, v, &t.path_of("lease_time"), MIN_LEASE_TIME),
        None => Some(DEFAULT_LEASE_TIME),
    };
    let routers = addresses(ctx, &t, "routers", net);
    let dns = addresses(ctx, &t, "dns", None);
    let ntp = addresses(ctx, &t, "ntp", None);
    let domain = optional(t.get("domain").map(|v| {
        reader::parsed(
            ctx,
            v,
            &t.path_of("domain"),
            "a domain name such as \"lab.example\"",
            |s| values::dns_name(s).map(|()| s.to_owned()),
        )
    }));
    let mtu = optional(t.get("mtu").map(|v| {
        reader::integer_in(ctx, v, &t.path_of("mtu"), "an integer from 68 to 65535", 68..=65535).map(|n| n as u16)
    }));
    let routes = t.get("routes").map(|v| {
        let expected = "an array of routes such as [{ destination = \"10.1.0.0/16\", gateway = \"10.99.0.254\" }]";
        let before = ctx.error_count();
        let routes = reader::list(ctx, v, &t.path_of("routes"), expected, |ctx, item, path| {
            read_route(ctx, item, path, net)
        })?;
        (ctx.error_count() == before).then_some(routes)
    });

    let options = match t.get("options") {
        Some(v) => crate::options::read(ctx, v, &t.path_of("options")),
        None => Some(Vec::new()),
    };
    let subnet = (|| {
        Some(Subnet {
            net: net?,
            ranges: ranges.iter().map(|r| r.range).collect(),
            lease_time: lease_time?,
            routers: routers?,
            dns: dns?,
            domain: domain?,
            ntp: ntp?,
            mtu: mtu?,
            routes: routes.unwrap_or(Some(Vec::new()))?,
            options: options?,
        })
    })();
    let net = net.zip(network_value.map(|v| v.span()));
    SubnetEntry {
        subnet,
        net,
        path: t.path.clone(),
        ranges,
    }
}

/// An optional key as read: absent is fine (`Some(None)`), present and
/// valid is `Some(Some(value))`, present with an error is `None`.
fn optional<T>(read: Option<Option<T>>) -> Option<Option<T>> {
    match read {
        None => Some(None),
        Some(value) => value.map(Some),
    }
}

/// An optional array of addresses (default empty); with `inside`, each must
/// be in that network. `None` only after reporting an error.
fn addresses(ctx: &mut Ctx<'_>, t: &Table<'_, '_>, key: &str, inside: Option<Net>) -> Option<Vec<Ipv4Addr>> {
    let Some(v) = t.get(key) else {
        return Some(Vec::new());
    };
    let before = ctx.error_count();
    let list = reader::list(ctx, v, &t.path_of(key), ADDRESSES, |ctx, item, path| {
        let address = reader::parsed(ctx, item, &path, ADDRESS, values::ipv4)?;
        if let Some(net) = inside
            && !net.contains(address)
        {
            ctx.error(
                item.span(),
                &path,
                format!("{address} is outside the subnet {net}: a router must be on the subnet of its clients"),
            );
            return None;
        }
        Some(address)
    })?;
    (ctx.error_count() == before).then_some(list)
}

fn check_range_in(
    ctx: &mut Ctx<'_>,
    net: Net,
    (start, end): (Ipv4Addr, Ipv4Addr),
    path: &str,
    span: Range<usize>,
) -> Option<()> {
    let problem = if !net.contains(start) || !net.contains(end) {
        Some(format!(
            "{start}-{end} is not inside the subnet {net}: keep both ends on the subnet"
        ))
    } else if start == net.network() {
        Some(format!(
            "{start}-{end} includes the network address {start}, which no host can use: start after it"
        ))
    } else if end == net.broadcast() {
        Some(format!(
            "{start}-{end} includes the broadcast address {end}, which no host can use: end before it"
        ))
    } else {
        None
    };
    match problem {
        Some(message) => {
            ctx.error(span, path, message);
            None
        }
        None => Some(()),
    }
}

fn read_route(ctx: &mut Ctx<'_>, item: &Value<'_>, path: String, net: Option<Net>) -> Option<Route> {
    let expected = "a table such as { destination = \"10.1.0.0/16\", gateway = \"10.99.0.254\" }";
    let t = Table::open(ctx, item, path, expected, ROUTE_KEYS)?;
    let destination = t
        .required(ctx, "destination", "destination = \"10.1.0.0/16\"")
        .and_then(|v| reader::parsed(ctx, v, &t.path_of("destination"), NETWORK, values::network));
    let gateway = t.required(ctx, "gateway", "gateway = \"10.99.0.254\"").and_then(|v| {
        let path = t.path_of("gateway");
        let gateway = reader::parsed(ctx, v, &path, ADDRESS, values::ipv4)?;
        if let Some(net) = net
            && !net.contains(gateway)
        {
            ctx.error(
                v.span(),
                &path,
                format!(
                    "gateway {gateway} is outside the subnet {net}: clients can only reach gateways on their subnet"
                ),
            );
            return None;
        }
        Some(gateway)
    });
    Some(Route {
        destination: destination?,
        gateway: gateway?,
    })
}

fn read_host(ctx: &mut Ctx<'_>, t: Table<'_, '_>) -> Option<HostEntry> {
    let mac_value = t.required(ctx, "mac", "mac = \"52:54:00:12:34:56\"");
    let mac = mac_value.and_then(|v| {
        reader::parsed(
            ctx,
            v,
            &t.path_of("mac"),
            "a MAC address such as \"52:54:00:12:34:56\"",
            |s| Mac::parse(s).map_err(|e| e.to_string()),
        )
    });
    let address_value = t.get("address");
    let address = optional(address_value.map(|v| reader::parsed(ctx, v, &t.path_of("address"), ADDRESS, values::ipv4)));
    let hostname = optional(t.get("hostname").map(|v| {
        reader::parsed(ctx, v, &t.path_of("hostname"), "a host name such as \"node1\"", |s| {
            values::dns_label(s).map(|()| s.to_owned())
        })
    }));
    let options = match t.get("options") {
        Some(v) => crate::options::read(ctx, v, &t.path_of("options")),
        None => Some(Vec::new()),
    };
    let boot = crate::class::read_boot(ctx, &t);
    let ignore = match t.get("ignore") {
        Some(v) => reader::boolean(ctx, v, &t.path_of("ignore")),
        None => Some(false),
    };
    let reservation = Reservation {
        mac: mac?,
        address: address?,
        hostname: hostname?,
        boot: boot?,
        options: options?,
        ignore: ignore?,
    };
    let says_something = reservation.address.is_some()
        || reservation.hostname.is_some()
        || reservation.boot.is_some()
        || !reservation.options.is_empty()
        || reservation.ignore;
    if !says_something {
        ctx.error(
            t.span.clone(),
            &t.path,
            "this host entry gives its machine nothing: add an address, a hostname, a boot_file, options, or ignore = true",
        );
        return None;
    }
    Some(HostEntry {
        reservation,
        path: t.path.clone(),
        mac_span: mac_value?.span(),
        address_span: address_value.map(|v| v.span()),
    })
}

/// Pairs `(earlier, later)` of indexes (into `intervals`, which are in file
/// order) of inclusive intervals that share a point. Every interval that
/// overlaps another is in at least one pair; not every overlapping pair is
/// listed, which is enough to make the operator fix each of them.
fn overlaps(intervals: &[(u32, u32)]) -> Vec<(usize, usize)> {
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by_key(|&i| intervals[i]);
    let mut pairs = Vec::new();
    let mut reach: Option<usize> = None;
    for i in order {
        if let Some(r) = reach {
            if intervals[i].0 <= intervals[r].1 {
                pairs.push((r.min(i), r.max(i)));
            }
            if intervals[i].1 > intervals[r].1 {
                reach = Some(i);
            }
        } else {
            reach = Some(i);
        }
    }
    pairs.sort_unstable();
    pairs
}

fn check_subnet_overlaps(ctx: &mut Ctx<'_>, subnets: &[SubnetEntry]) {
    let known: Vec<(&SubnetEntry, Net, &Range<usize>)> = subnets
        .iter()
        .filter_map(|s| s.net.as_ref().map(|(net, span)| (s, *net, span)))
        .collect();
    let intervals: Vec<(u32, u32)> = known
        .iter()
        .map(|(_, net, _)| (u32::from(net.network()), u32::from(net.broadcast())))
        .collect();
    for (a, b) in overlaps(&intervals) {
        let ((first, first_net, first_span), (second, second_net, second_span)) = (&known[a], &known[b]);
        let line = ctx.line(first_span);
        ctx.error(
            (*second_span).clone(),
            &reader::join(&second.path, "network"),
            format!(
                "{second_net} overlaps {first_net} of {} on line {line}: subnets must not share addresses",
                first.path
            ),
        );
    }
}

fn check_range_overlaps(ctx: &mut Ctx<'_>, subnets: &[SubnetEntry]) {
    let mut ranges: Vec<&RangeEntry> = subnets.iter().flat_map(|s| &s.ranges).collect();
    ranges.sort_by_key(|r| r.span.start);
    let intervals: Vec<(u32, u32)> = ranges
        .iter()
        .map(|r| (u32::from(r.range.0), u32::from(r.range.1)))
        .collect();
    for (a, b) in overlaps(&intervals) {
        let (first, second) = (ranges[a], ranges[b]);
        let line = ctx.line(&first.span);
        ctx.error(
            second.span.clone(),
            &second.path,
            format!(
                "{}-{} overlaps {}-{} of {} on line {line}: ranges must not share addresses",
                second.range.0, second.range.1, first.range.0, first.range.1, first.path
            ),
        );
    }
}

fn check_hosts(ctx: &mut Ctx<'_>, subnets: &[SubnetEntry], hosts: &[HostEntry]) {
    let mut macs: HashMap<&Mac, &HostEntry> = HashMap::new();
    let mut addresses: HashMap<Ipv4Addr, &HostEntry> = HashMap::new();
    let nets: Vec<Net> = subnets
        .iter()
        .filter_map(|s| s.net.as_ref().map(|(net, _)| *net))
        .collect();
    // A subnet whose network is wrong has been reported; saying its hosts
    // are outside every subnet would only repeat that.
    let every_net_known = nets.len() == subnets.len();
    for host in hosts {
        let Reservation { mac, address, .. } = &host.reservation;
        let (Some(address), Some(address_span)) = (address, &host.address_span) else {
            if let Some(first) = macs.get(mac) {
                let line = ctx.line(&first.mac_span);
                ctx.error(
                    host.mac_span.clone(),
                    &reader::join(&host.path, "mac"),
                    format!(
                        "{mac} already has {} on line {line}: keep one [[dhcp.host]] per machine",
                        first.path
                    ),
                );
            } else {
                macs.insert(mac, host);
            }
            continue;
        };
        if let Some(first) = macs.get(mac) {
            let line = ctx.line(&first.mac_span);
            ctx.error(
                host.mac_span.clone(),
                &reader::join(&host.path, "mac"),
                format!(
                    "{mac} is already reserved by {} on line {line}: keep one [[dhcp.host]] per machine",
                    first.path
                ),
            );
        } else {
            macs.insert(mac, host);
        }
        let address_path = reader::join(&host.path, "address");
        if let Some(first) = addresses.get(address) {
            let line = first.address_span.as_ref().map_or(0, |span| ctx.line(span));
            ctx.error(
                address_span.clone(),
                &address_path,
                format!(
                    "{address} is already reserved for {} by {} on line {line}: give each machine its own address",
                    first.reservation.mac, first.path
                ),
            );
        } else {
            addresses.insert(*address, host);
        }
        match nets.iter().find(|n| n.contains(*address)) {
            Some(net) if *address == net.network() || *address == net.broadcast() => {
                let what = if *address == net.network() {
                    "network"
                } else {
                    "broadcast"
                };
                ctx.error(
                    address_span.clone(),
                    &address_path,
                    format!("{address} is the {what} address of {net}, which no host can use: pick another address"),
                );
            }
            Some(_) => {}
            None if !every_net_known => {}
            None if nets.is_empty() => ctx.error(
                address_span.clone(),
                &address_path,
                "no [[dhcp.subnet]] is configured: a reservation needs the subnet its address belongs to",
            ),
            None => {
                let list: Vec<String> = nets.iter().map(Net::to_string).collect();
                ctx.error(
                    address_span.clone(),
                    &address_path,
                    format!(
                        "{address} is not inside any subnet ({}): fix the address or add a [[dhcp.subnet]] for it",
                        list.join(", ")
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::overlaps;

    #[test]
    fn overlap_pairs() {
        assert_eq!(overlaps(&[(1, 5), (6, 9)]), vec![]);
        assert_eq!(overlaps(&[(1, 5), (5, 9)]), vec![(0, 1)]);
        assert_eq!(overlaps(&[(4, 5), (1, 10), (7, 8)]), vec![(0, 1), (1, 2)]);
        assert_eq!(overlaps(&[(1, 1), (1, 1), (1, 1)]), vec![(0, 1), (0, 2)]);
        assert_eq!(overlaps(&[]), vec![]);
    }
}
