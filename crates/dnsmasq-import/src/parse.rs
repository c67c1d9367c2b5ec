//! Reading dnsmasq's two input forms into directives: a configuration file
//! (`name=value` lines, `#` comments) and command-line flags (`--name=value`,
//! `--name value`, and the short flags of the seed's container examples).
//!
//! A value is split at commas outside double quotes, and the quotes are
//! removed, as dnsmasq reads `pxe-service=x86PC,"Boot, then chain",file`.

/// Where a directive came from: a file line or a flag's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Line(usize),
    Argument(usize),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::Argument(n) => write!(f, "argument {n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub place: Place,
    /// The long option name, without dashes (`dhcp-range`).
    pub name: String,
    /// The value split at commas outside quotes, quotes removed; empty for
    /// an option without a value.
    pub args: Vec<String>,
    /// The value as written, for messages and comments.
    pub raw: String,
}

/// The lines of a configuration file.
pub fn file(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = strip_comment(line).trim();
        if line.is_empty() {
            continue;
        }
        let (name, value) = match line.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (line, None),
        };
        out.push(directive(Place::Line(i + 1), name, value));
    }
    out
}

/// Short flags the seed's examples (and common scripts) pass, with their
/// long names, and whether they take a value.
const SHORT: &[(&str, &str, bool)] = &[
    ("-d", "no-daemon", false),
    ("-q", "log-queries", false),
    ("-k", "keep-in-foreground", false),
    ("-p", "port", true),
    ("-i", "interface", true),
    ("-a", "listen-address", true),
    ("-z", "bind-interfaces", false),
    ("-R", "no-resolv", false),
    ("-h", "no-hosts", false),
    ("-K", "dhcp-authoritative", false),
    ("-C", "conf-file", true),
    ("-S", "server", true),
    ("-A", "address", true),
    ("-F", "dhcp-range", true),
    ("-G", "dhcp-host", true),
    ("-O", "dhcp-option", true),
    ("-M", "dhcp-boot", true),
    ("-s", "domain", true),
    ("-u", "user", true),
    ("-g", "group", true),
    ("-x", "pid-file", true),
    ("-l", "dhcp-leasefile", true),
];

/// Long options that take no value, so `--name next` does not eat `next`.
const NO_VALUE: &[&str] = &[
    "no-daemon",
    "keep-in-foreground",
    "log-queries",
    "log-dhcp",
    "enable-tftp",
    "bind-interfaces",
    "bind-dynamic",
    "no-resolv",
    "no-hosts",
    "dhcp-authoritative",
    "expand-hosts",
    "domain-needed",
    "bogus-priv",
    "local-service",
    "strict-order",
    "all-servers",
    "no-poll",
    "tftp-secure",
    "tftp-no-blocksize",
    "dhcp-rapid-commit",
    "leasefile-ro",
    "quiet-dhcp",
    "log-async",
    "no-negcache",
    "dhcp-sequential-ip",
    "dhcp-no-override",
];

/// Command-line flags (the arguments after `--`).
pub fn flags(args: &[String]) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let place = Place::Argument(i + 1);
        let arg = args[i].trim();
        i += 1;
        if let Some(long) = arg.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None if !NO_VALUE.contains(&long) && i < args.len() && !args[i].starts_with('-') => {
                    i += 1;
                    (long.to_owned(), Some(args[i - 1].clone()))
                }
                None => (long.to_owned(), None),
            };
            out.push(directive(place, &name, value.as_deref()));
        } else if let Some(&(_, name, takes)) = SHORT.iter().find(|(s, _, _)| arg.starts_with(s)) {
            let attached = &arg[2..];
            let value = if !takes {
                None
            } else if !attached.is_empty() {
                Some(attached.to_owned())
            } else if i < args.len() {
                i += 1;
                Some(args[i - 1].clone())
            } else {
                None
            };
            out.push(directive(place, name, value.as_deref()));
        } else {
            // Unknown: kept whole, so that it is reported rather than lost.
            out.push(Directive {
                place,
                name: arg.trim_start_matches('-').to_owned(),
                args: Vec::new(),
                raw: arg.to_owned(),
            });
        }
    }
    out
}

fn directive(place: Place, name: &str, value: Option<&str>) -> Directive {
    Directive {
        place,
        name: name.trim().to_owned(),
        args: value.map(split).unwrap_or_default(),
        raw: value.unwrap_or("").to_owned(),
    }
}

/// A `#` starts a comment at the start of a line or after white space,
/// outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut previous_blank = true;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted && previous_blank => return &line[..i],
            _ => {}
        }
        previous_blank = c.is_whitespace();
    }
    line
}

/// Splits at commas outside double quotes and removes the quotes.
pub fn split(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut current).trim().to_owned()),
            c => current.push(c),
        }
    }
    out.push(current.trim().to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_flags_read_alike() {
        let f = file(
            "# comment\ndhcp-range=192.168.1.1,192.168.1.254,30m\n\nenable-tftp # on\npxe-service=x86PC,\"A, B\",f\n",
        );
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].place, Place::Line(2));
        assert_eq!(f[0].args, ["192.168.1.1", "192.168.1.254", "30m"]);
        assert_eq!(f[1].name, "enable-tftp");
        assert!(f[1].args.is_empty());
        assert_eq!(f[2].args, ["x86PC", "A, B", "f"]);

        let args: Vec<String> = [
            "-d",
            "-q",
            "--dhcp-range=192.168.1.3,192.168.1.254",
            "--enable-tftp",
            "--tftp-root",
            "/srv",
            "-p0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let d = flags(&args);
        let names: Vec<&str> = d.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "no-daemon",
                "log-queries",
                "dhcp-range",
                "enable-tftp",
                "tftp-root",
                "port"
            ]
        );
        assert_eq!(d[4].args, ["/srv"]);
        assert_eq!(d[5].args, ["0"]);
        assert_eq!(d[2].place, Place::Argument(3));
    }
}
