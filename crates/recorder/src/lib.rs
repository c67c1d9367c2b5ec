//! The flight recorder's model, pure: events from the DHCP, TFTP and HTTP
//! servers tied to machines, each machine's last boots with their stages
//! and outcome, and what to do about a failed or stuck boot.
//!
//! No sockets, no clock (every event carries its time; outcomes take
//! `now`), no disk, no tokio. The servers push events into an [`EventSink`]
//! and never wait; the recorder service (`recorder-server`) drains it,
//! applies events to [`Machines`], stores them and serves views.
//!
//! **Bad input is bounded**: events come from untrusted packets and queries,
//! so machines, boots per machine, events per boot and events waiting for
//! their machine all have limits ([`Limits`]), and a flood of unknown
//! machines never evicts machines a group selected.

mod event;
pub mod explain;
mod machines;
mod sink;

pub use event::{Dhcp, Event, EventKind, Firmware, Http, Millis, Selection, Tftp};
pub use machines::{Boot, Counts, Entry, Failure, Limits, Machine, Machines, Outcome, Stage, mac_text};
pub use sink::{DEFAULT_CAPACITY, EventSink};

#[cfg(test)]
mod tests;
