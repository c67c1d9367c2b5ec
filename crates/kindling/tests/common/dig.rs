//! Queries with `dig` (Debian's bind9-dnsutils) and its output read back:
//! the header's status and flags, and the answer, authority and additional
//! sections as records. A real resolver tool rather than a hand-built
//! client, so that what the tests accept is what operators' tools accept.

#![allow(dead_code)]

use std::fmt;
use std::process::Command;

/// Where queries go: a server address, optionally from inside a network
/// namespace (`ip netns exec NS dig …`).
#[derive(Debug, Clone)]
pub struct Dig {
    pub host: String,
    pub port: String,
    ns: Option<String>,
}

/// One resource record as dig prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    pub name: String,
    pub ttl: u32,
    pub class: String,
    pub rtype: String,
    /// The record data, its fields joined by single spaces.
    pub data: String,
}

/// One reply: what dig printed between one `->>HEADER<<-` line and the next.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// NOERROR, NXDOMAIN, REFUSED, …; empty when no reply came.
    pub status: String,
    pub flags: Vec<String>,
    pub answer: Vec<Rr>,
    pub authority: Vec<Rr>,
    pub additional: Vec<Rr>,
    /// Everything dig printed (also for the replies before this one), for
    /// failure messages.
    pub raw: String,
}

impl Dig {
    /// `addr` is `HOST:PORT` as a readiness line prints it.
    pub fn new(addr: &str) -> Dig {
        let (host, port) = addr.rsplit_once(':').expect("HOST:PORT");
        // dig takes an IPv6 server without the brackets: `@::1`.
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Dig {
            host: host.to_owned(),
            port: port.to_owned(),
            ns: None,
        }
    }

    /// The same server, queried from inside network namespace `ns`.
    pub fn in_ns(&self, ns: &str) -> Dig {
        Dig {
            ns: Some(ns.to_owned()),
            ..self.clone()
        }
    }

    /// The same namespace and port, another server address.
    pub fn at(&self, host: &str) -> Dig {
        Dig {
            host: host.to_owned(),
            ..self.clone()
        }
    }

    /// Runs dig with `args` (names, types, `-x`, `+tcp`, …) and returns
    /// every reply it printed (several with `+keepopen` and several names,
    /// or after a truncated UDP reply retried over TCP).
    pub fn replies(&self, args: &[&str]) -> Vec<Reply> {
        let mut cmd = match &self.ns {
            Some(ns) => super::netns::Lab::cmd(ns, "dig"),
            None => Command::new("dig"),
        };
        cmd.args(["+noall", "+comments", "+answer", "+authority", "+additional"])
            .args(["+time=2", "+tries=1", "-p", &self.port])
            .arg(format!("@{}", self.host))
            .args(args);
        let out = cmd.output().expect("run dig (apt-get install bind9-dnsutils)");
        let text = format!(
            "$ dig -p {} @{} {}\n{}{}",
            self.port,
            self.host,
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        parse(&text)
    }

    /// The last reply dig printed for `args`; a `Reply` with an empty
    /// status when none came (a timeout).
    pub fn query(&self, args: &[&str]) -> Reply {
        self.replies(args).pop().unwrap_or_default()
    }
}

/// Reads dig's `+comments` output into replies.
pub fn parse(text: &str) -> Vec<Reply> {
    let mut replies: Vec<Reply> = Vec::new();
    let mut section = "";
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix(";; ->>HEADER<<-") {
            let status = rest
                .split(',')
                .find_map(|f| f.trim().strip_prefix("status:"))
                .unwrap_or("")
                .trim()
                .to_owned();
            replies.push(Reply {
                status,
                ..Reply::default()
            });
            section = "";
        } else if let Some(rest) = line.strip_prefix(";; flags:") {
            if let Some(r) = replies.last_mut() {
                let flags = rest.split(';').next().unwrap_or("");
                r.flags = flags.split_whitespace().map(str::to_owned).collect();
            }
        } else if let Some(name) = line.strip_prefix(";; ").and_then(|l| l.strip_suffix(" SECTION:")) {
            section = match name {
                "ANSWER" => "answer",
                "AUTHORITY" => "authority",
                "ADDITIONAL" => "additional",
                _ => "",
            };
        } else if line.is_empty() || line.starts_with(';') {
            continue;
        } else if let (Some(r), Some(rr)) = (replies.last_mut(), record(line)) {
            match section {
                "answer" => r.answer.push(rr),
                "authority" => r.authority.push(rr),
                "additional" => r.additional.push(rr),
                _ => {}
            }
        }
    }
    for r in &mut replies {
        r.raw = text.to_owned();
    }
    if replies.is_empty() {
        replies.push(Reply {
            raw: text.to_owned(),
            ..Reply::default()
        });
    }
    replies
}

/// `name ttl class type data…`, as dig prints a record.
fn record(line: &str) -> Option<Rr> {
    let mut f = line.split_whitespace();
    let name = f.next()?.to_owned();
    let ttl = f.next()?.parse().ok()?;
    let class = f.next()?.to_owned();
    let rtype = f.next()?.to_owned();
    let data = f.collect::<Vec<_>>().join(" ");
    Some(Rr {
        name,
        ttl,
        class,
        rtype,
        data,
    })
}

impl Reply {
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// The data of the answer records of type `rtype`.
    pub fn data(&self, rtype: &str) -> Vec<String> {
        self.answer
            .iter()
            .filter(|r| r.rtype == rtype)
            .map(|r| r.data.clone())
            .collect()
    }

    /// Asserts NOERROR with exactly `expected` as the data of the `rtype`
    /// answers, in any order; returns those records.
    pub fn expect_answer(&self, rtype: &str, expected: &[&str]) -> Vec<Rr> {
        assert_eq!(self.status, "NOERROR", "{self}");
        let mut got = self.data(rtype);
        got.sort();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{rtype} answers\n{self}");
        self.answer.iter().filter(|r| r.rtype == rtype).cloned().collect()
    }

    /// Asserts that the reply is (`true`) or is not (`false`) authoritative.
    pub fn expect_aa(&self, aa: bool) {
        assert!(self.has_flag("qr"), "not a reply\n{self}");
        assert_eq!(self.has_flag("aa"), aa, "aa flag expected {aa}\n{self}");
    }

    /// Asserts a negative answer of kindling's own zone `zone`: `status`
    /// (NXDOMAIN, or NOERROR for NODATA), authoritative, no answers, and the
    /// zone's SOA in the authority section (RFC 2308).
    pub fn expect_negative(&self, status: &str, zone: &str) {
        assert_eq!(self.status, status, "{self}");
        self.expect_aa(true);
        assert!(self.answer.is_empty(), "no answers expected\n{self}");
        let soa = self.authority.iter().find(|r| r.rtype == "SOA");
        let soa = soa.unwrap_or_else(|| panic!("an SOA in the authority section\n{self}"));
        assert!(soa.name.eq_ignore_ascii_case(zone), "SOA of {zone}\n{self}");
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}
