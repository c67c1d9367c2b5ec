//! DNS names from DHCP, in network namespaces created by the test (veth
//! pair, private 10.231.N.0/24 addresses inside them only): kindling runs
//! full DHCP and DNS in the server namespace; a reservation's hostname is
//! answered before any lease; busybox udhcpc sending a hostname (option 12)
//! gets a lease whose name and PTR appear, with a TTL no longer than the
//! lease (counting down with it), and disappear when it releases, or when
//! it vanishes and the lease expires (about a minute: the shortest lease).
//! The server's own name is the address each query arrived on. Forwarding
//! is fenced to the served networks, for IPv4 and IPv6 clients.

mod common;

use std::time::{Duration, Instant};

use common::dig::{Dig, Reply};
use common::netns::{Lab, available, have};
use common::{Server, wait_until};

/// Lease time of the subnet: lease names must not outlive it, so their TTL
/// is at most this, below the configured 5 minutes.
const LEASE_SECS: u32 = 120;
const LOCAL_TTL: u32 = 300;
/// The shortest lease time the configuration allows.
const SHORT_LEASE_SECS: u32 = 60;

/// Full DHCP on the lab's link with leases of `lease_secs` and a
/// reservation named `fixed1` at `.50` (for a MAC that never shows up),
/// and DNS for `lab.example`.
fn config(lab: &Lab, lease_secs: u32) -> String {
    let p = lab.prefix();
    let extra = format!(
        r#"
[[dhcp.host]]
mac = "02:00:00:00:07:01"
address = "{p}.50"
hostname = "fixed1"

[dns]
domain = "lab.example"
server_names = ["kindling"]
ttl = "{LOCAL_TTL}s"
"#
    );
    let config = lab.full_dhcp_config(&extra);
    let with_lease_time = config.replace("lease_time = \"1h\"", &format!("lease_time = \"{lease_secs}s\""));
    assert_ne!(config, with_lease_time, "the subnet's lease_time line moved");
    with_lease_time
}

/// Polls `query` until `done` holds for its reply (`secs` at most);
/// returns the last reply and whether it did.
fn poll(secs: u64, query: impl Fn() -> Reply, done: impl Fn(&Reply) -> bool) -> (Reply, bool) {
    let mut last = Reply::default();
    let ok = wait_until(Duration::from_secs(secs), || {
        last = query();
        done(&last)
    });
    (last, ok.is_some())
}

/// An authoritative answer of `rtype` holding only `data`, with a TTL in
/// `1..=max_ttl`.
fn expect_name(r: &Reply, rtype: &str, data: &str, max_ttl: u32) {
    r.expect_aa(true);
    for rr in r.expect_answer(rtype, &[data]) {
        assert!((1..=max_ttl).contains(&rr.ttl), "TTL at most {max_ttl}\n{r}");
    }
}

/// kindling with full DHCP and DNS (on the default address, port 53) in
/// the lab's server namespace; and dig there, to the server's link address
/// (the client has no address until its lease).
fn start(lab: &Lab, dir: &std::path::Path, lease_secs: u32) -> (Server, Dig) {
    let s = lab.start_kindling(dir, &config(lab, lease_secs), &["--dns"]);
    let dns = s.wait_service_addr("dns");
    assert!(dns.ends_with(":53"), "the default port: {dns}");
    let dig = Dig::new(&dns).in_ns(&lab.server_ns).at(&lab.server_ip());
    (s, dig)
}

#[test]
fn reservation_and_lease_hostnames_are_published_and_withdrawn() {
    if !available("dns lease names") || !have("dig") || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let p = lab.prefix();
    let (s, server_side) = start(&lab, dir.path(), LEASE_SECS);
    let client_side = server_side.in_ns(&lab.client_ns);

    // The reservation is published before any lease.
    let fixed = format!("{p}.50");
    expect_name(&server_side.query(&["fixed1.lab.example", "A"]), "A", &fixed, LOCAL_TTL);
    expect_name(
        &server_side.query(&["-x", &fixed]),
        "PTR",
        "fixed1.lab.example.",
        LOCAL_TTL,
    );
    server_side
        .query(&["node7.lab.example", "A"])
        .expect_negative("NXDOMAIN", "lab.example.");

    // The server's name is the address the query arrived on.
    let r = server_side.query(&["kindling.lab.example", "A"]);
    expect_name(&r, "A", &lab.server_ip(), LOCAL_TTL);
    let r = server_side.at("127.0.0.1").query(&["kindling.lab.example", "A"]);
    expect_name(&r, "A", "127.0.0.1", LOCAL_TTL);

    // A lease with a hostname: the name and its PTR appear, from the client.
    let udhcpc = lab.udhcpc(dir.path(), &["-x", "hostname:node7"]);
    let ip = udhcpc.wait_bound();
    assert!(ip.starts_with(&format!("{p}.1")), "{ip}");
    let (r, ok) = poll(
        5,
        || client_side.query(&["node7.lab.example", "A"]),
        |r| r.data("A") == [ip.as_str()],
    );
    assert!(ok, "node7 is {ip}\n{r}\n{}", s.log());
    expect_name(&r, "A", &ip, LEASE_SECS);
    expect_name(
        &client_side.query(&["-x", &ip]),
        "PTR",
        "node7.lab.example.",
        LEASE_SECS,
    );
    expect_name(
        &client_side.query(&["+tcp", "node7.lab.example", "A"]),
        "A",
        &ip,
        LEASE_SECS,
    );
    let r = client_side.query(&["kindling.lab.example", "A"]);
    expect_name(&r, "A", &lab.server_ip(), LOCAL_TTL);

    // Released: the name goes (the client has no address any more).
    udhcpc.signal("USR2");
    let (r, ok) = poll(
        5,
        || server_side.query(&["node7.lab.example", "A"]),
        |r| r.status == "NXDOMAIN",
    );
    assert!(ok, "node7 withdrawn after the release\n{r}\n{}", s.log());
    r.expect_negative("NXDOMAIN", "lab.example.");
    let r = server_side.query(&["-x", &ip]);
    assert!(r.data("PTR").is_empty(), "no PTR for {ip} after the release\n{r}");
    // The reservation stays.
    expect_name(&server_side.query(&["fixed1.lab.example", "A"]), "A", &fixed, LOCAL_TTL);
}

#[test]
fn an_expired_lease_name_disappears_with_the_lease() {
    if !available("dns lease expiry") || !have("dig") || !have("udhcpc") {
        return;
    }
    let mut lab = Lab::new(false);
    let dir = tempfile::tempdir().unwrap();
    let (s, dig) = start(&lab, dir.path(), SHORT_LEASE_SECS);
    // FQDN and capitals in option 12: the first label, lower-cased.
    let udhcpc = lab.udhcpc(dir.path(), &["-x", "hostname:Node8.elsewhere.example"]);
    let ip = udhcpc.wait_bound();
    let bound = Instant::now();
    let (r, ok) = poll(5, || dig.query(&["node8.lab.example", "A"]), |r| !r.answer.is_empty());
    assert!(ok, "node8 published\n{r}\n{}", s.log());
    expect_name(&r, "A", &ip, SHORT_LEASE_SECS);
    let first_ttl = r.answer[0].ttl;

    // The client vanishes without a release: no renewal either.
    udhcpc.signal("KILL");
    std::thread::sleep(Duration::from_secs(3));
    let r = dig.query(&["node8.lab.example", "A"]);
    expect_name(&r, "A", &ip, SHORT_LEASE_SECS);
    assert!(r.answer[0].ttl < first_ttl, "the TTL counts down with the lease\n{r}");

    let (r, ok) = poll(
        u64::from(SHORT_LEASE_SECS) + 15,
        || dig.query(&["node8.lab.example", "A"]),
        |r| r.status == "NXDOMAIN",
    );
    let gone = bound.elapsed();
    assert!(ok, "node8 withdrawn when its lease expired\n{r}\n{}", s.log());
    r.expect_negative("NXDOMAIN", "lab.example.");
    assert!(
        gone >= Duration::from_secs(u64::from(SHORT_LEASE_SECS) - 5),
        "withdrawn after {gone:?}, before the lease of {SHORT_LEASE_SECS} s ran out"
    );
    assert!(dig.query(&["-x", &ip]).data("PTR").is_empty(), "no PTR for {ip}");
}

/// Names kindling does not own are forwarded only for the networks it
/// serves (here its link's /24), not for a client from another network
/// (a second address on the client's side, routed back to it): that client
/// is REFUSED for forwarded names but still gets kindling's own names;
/// `dns.forward_allow` lets its network in.
#[test]
fn forwarding_is_refused_outside_the_served_networks() {
    if !available("DNS forwarding policy test") || !have("dig") || !have("dnsmasq") {
        return;
    }
    let mut lab = Lab::new(true);
    let outside = format!("10.232.{}.7", lab.net);
    common::netns::run(&[
        "ip",
        "-n",
        &lab.client_ns,
        "addr",
        "add",
        &format!("{outside}/24"),
        "dev",
        "kc0",
    ]);
    common::netns::run(&[
        "ip",
        "-n",
        &lab.server_ns,
        "route",
        "add",
        &format!("10.232.{}.0/24", lab.net),
        "dev",
        "ks0",
    ]);
    // The upstream: dnsmasq on the server namespace's loopback.
    let mut upstream = lab.in_server("dnsmasq");
    upstream.args([
        "--keep-in-foreground",
        "--no-resolv",
        "--no-hosts",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--pid-file=",
        "--user=root",
        "--port=5399",
        "--address=/upstream.test/10.1.2.3",
    ]);
    lab.spawn(upstream);
    let base = "[dns]\ndomain = \"lab.example\"\nupstreams = [\"127.0.0.1:5399\"]\n\n[[dns.record]]\nname = \"own.lab.example\"\ntype = \"A\"\nvalue = \"10.99.0.5\"\n";
    for (extra, outside_forwarded) in [("", false), ("forward_allow = [\"10.232.0.0/16\"]\n", true)] {
        let dir = tempfile::tempdir().unwrap();
        let config = base.replacen("\n\n", &format!("\n{extra}\n"), 1);
        let s = lab.start_kindling(dir.path(), &config, &["--dns", "--dns-address=0.0.0.0:53"]);
        s.wait_service_addr("dns");
        let dig = Dig::new(&format!("{}:53", lab.server_ip()))
            .in_ns(&lab.client_ns)
            .at(&lab.server_ip());
        let (inside, ok) = poll(10, || dig.query(&["upstream.test", "A"]), |r| r.status == "NOERROR");
        assert!(ok, "the served network gets forwarded answers\n{inside}");
        inside.expect_answer("A", &["10.1.2.3"]);

        let r = dig.query(&["-b", &outside, "upstream.test", "A"]);
        if outside_forwarded {
            r.expect_answer("A", &["10.1.2.3"]);
        } else {
            assert_eq!(r.status, "REFUSED", "a client outside the served networks\n{r}");
            assert!(r.answer.is_empty(), "{r}");
            // Over TCP too.
            let r = dig.query(&["+tcp", "-b", &outside, "upstream.test", "A"]);
            assert_eq!(r.status, "REFUSED", "over TCP\n{r}");
        }
        // kindling's own names are answered to everyone.
        let r = dig.query(&["-b", &outside, "own.lab.example", "A"]);
        r.expect_answer("A", &["10.99.0.5"]);
        s.terminate();
    }
}

/// The same fence for IPv6 clients: kindling listens on both families;
/// its link's IPv6 network (fd00:231:N::/64 here, read from the interface)
/// is served, and a client address from another IPv6 network (routed back
/// to the client) is REFUSED for forwarded names, over UDP and TCP, while
/// kindling's own names are answered to it.
#[test]
fn ipv6_clients_outside_the_served_networks_are_refused() {
    if !available("DNS IPv6 forwarding policy test") || !have("dig") || !have("dnsmasq") {
        return;
    }
    let mut lab = Lab::new(true);
    let n = lab.net;
    let (server6, client6, outside6) = (
        format!("fd00:231:{n}::1"),
        format!("fd00:231:{n}::2"),
        format!("fd00:232:{n}::7"),
    );
    // `nodad`: usable at once, not after duplicate address detection.
    for (ns, iface, addr) in [
        (&lab.server_ns, &lab.server_if, format!("{server6}/64")),
        (&lab.client_ns, &lab.client_if, format!("{client6}/64")),
        (&lab.client_ns, &lab.client_if, format!("{outside6}/64")),
    ] {
        common::netns::run(&["ip", "-n", ns, "-6", "addr", "add", &addr, "dev", iface, "nodad"]);
    }
    common::netns::run(&[
        "ip",
        "-n",
        &lab.server_ns,
        "-6",
        "route",
        "add",
        &format!("fd00:232:{n}::/64"),
        "dev",
        &lab.server_if,
    ]);
    let mut upstream = lab.in_server("dnsmasq");
    upstream.args([
        "--keep-in-foreground",
        "--no-resolv",
        "--no-hosts",
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--pid-file=",
        "--user=root",
        "--port=5399",
        "--address=/upstream.test/10.1.2.3",
    ]);
    lab.spawn(upstream);
    let config = "[dns]\ndomain = \"lab.example\"\nupstreams = [\"127.0.0.1:5399\"]\n\n[[dns.record]]\nname = \"own.lab.example\"\ntype = \"A\"\nvalue = \"10.99.0.5\"\n";
    let dir = tempfile::tempdir().unwrap();
    let s = lab.start_kindling(dir.path(), config, &["--dns", "--dns-address=0.0.0.0:53,[::]:53"]);
    s.wait_service_addr("dns");
    let dig = Dig::new(&format!("[{server6}]:53")).in_ns(&lab.client_ns);
    let (inside, ok) = poll(
        10,
        || dig.query(&["-b", &client6, "upstream.test", "A"]),
        |r| r.status == "NOERROR",
    );
    assert!(ok, "the served IPv6 network gets forwarded answers\n{inside}");
    inside.expect_answer("A", &["10.1.2.3"]);
    for transport in [&[][..], &["+tcp"]] {
        let r = dig.query(&[transport, &["-b", &outside6, "upstream.test", "A"]].concat());
        assert_eq!(r.status, "REFUSED", "an IPv6 client outside the served networks\n{r}");
        assert!(r.answer.is_empty(), "{r}");
        let r = dig.query(&[transport, &["-b", &outside6, "own.lab.example", "A"]].concat());
        r.expect_answer("A", &["10.99.0.5"]);
    }
    // IPv4 is still served beside it.
    let dig4 = Dig::new(&format!("{}:53", lab.server_ip())).in_ns(&lab.client_ns);
    dig4.query(&["upstream.test", "A"]).expect_answer("A", &["10.1.2.3"]);
    s.terminate();
}
