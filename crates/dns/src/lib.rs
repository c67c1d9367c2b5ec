//! DNS for a provisioning network, without I/O. kindling answers the names
//! it owns (static records, its own names, DHCP lease hostnames, and PTR
//! records for their addresses) and forwards everything else to upstream
//! resolvers, caching their answers. The wire format is hickory-proto's;
//! this crate holds the rules: which names are local, NXDOMAIN versus
//! NODATA, when the AA bit is set, EDNS and truncation, the cache and the
//! forwarding state. Sockets and clocks belong to `dns-server`.

pub mod answer;
pub mod cache;
pub mod clients;
pub mod config;
pub mod forward;
pub mod names;

pub use answer::{Handled, Outcome, Request, Transport, answer, handle};
pub use cache::{Cache, CacheKey, Hit};
pub use clients::{Cidr, ForwardPolicy};
pub use config::{DnsConfig, RecordValue, StaticRecord, parse_name, parse_upstream};
pub use forward::{ForwardError, Forwarder, Outgoing, Reply};
pub use names::{Conflict, LeaseName, LocalNames, Lookup, hostname_label};

/// The wire-format library, re-exported so that users of this crate build
/// names and read messages with the same version.
pub use hickory_proto as proto;
