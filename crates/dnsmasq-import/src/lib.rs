//! dnsmasq configurations turned into kindling's: `kindling import dnsmasq`.
//!
//! The input is a configuration file or dnsmasq's command-line flags (as
//! the seed guide's container examples pass them); the output is the text
//! of a kindling TOML file, and the list of every dnsmasq option that could
//! not be carried over, each with where it was written and why. Nothing is
//! dropped silently: an option is either expressed, explained as needing
//! nothing in kindling (logging flags, for instance), or listed as lost.
//!
//! The translation keeps dnsmasq's answers, also where dnsmasq gave a client
//! nothing: kindling's built-in boot table is turned off (`boot.builtin =
//! false`), so only what `dhcp-boot` and `pxe-service` said is given, and
//! the TOML says so in a comment. dnsmasq's implicit behaviours are written
//! out: its own address as router, `/etc/hosts` and `/etc/resolv.conf`
//! unless `no-hosts` and `no-resolv`, and non-authoritative DHCP unless
//! `dhcp-authoritative`.
//!
//! Pure: text in, text out. Reading files and printing are the binary's.

mod convert;
mod emit;
pub mod parse;

pub use parse::Place;

/// The result of a translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// kindling's configuration file, ready to write.
    pub toml: String,
    /// What could not be carried over, in input order.
    pub losses: Vec<Loss>,
}

/// One dnsmasq option kindling cannot express, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    pub place: Place,
    /// The option as written (`name=value`).
    pub option: String,
    pub reason: String,
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.place, self.option, self.reason)
    }
}

/// Translates a dnsmasq configuration file.
pub fn from_file(text: &str, origin: &str) -> Conversion {
    convert::convert(&parse::file(text), origin)
}

/// Translates dnsmasq command-line flags.
pub fn from_flags(args: &[String]) -> Conversion {
    convert::convert(&parse::flags(args), "command-line flags")
}
