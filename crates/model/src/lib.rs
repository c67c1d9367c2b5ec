//! kindling's domain model: MAC addresses, request labels, groups, profiles
//! and the rules that select a group for a machine — pure data and rules,
//! with matchbox's exact semantics.
//!
//! Nothing here does I/O: the store crate reads files and hands bytes to the
//! parsers here; the HTTP crate hands query strings to `Labels`.

pub mod bootscript;
pub mod gojson;
mod group;
mod labels;
mod mac;
pub mod names;
mod profile;
mod select;

pub use group::{Group, GroupError};
pub use labels::{LabelWarning, Labels, parse_query, query_unescape};
pub use mac::{Mac, MacParseError};
pub use profile::{NetBoot, Profile, ProfileError};
pub use select::{GroupSet, LoadedGroup, SelectorTie, TouchedTies};
