//! "Why didn't machine X boot?": a machine's boots told stage by stage, and
//! for one that failed or stalled, what to do about it, with the nearest
//! group when no group matched.

use model::{GroupSet, Labels, LoadedGroup};

use crate::machines::{Machine, Outcome, Stage};

/// Labels as a request's query gives them: the first value of each key, a
/// `mac` normalized (as selection reads them).
pub fn labels_of(pairs: &[(String, String)]) -> Labels {
    let mut first: std::collections::BTreeMap<&String, &String> = Default::default();
    for (k, v) in pairs {
        first.entry(k).or_insert(v);
    }
    Labels::from_map_as_query(first)
}

/// A selector entry a group wants and the labels do not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    pub key: String,
    pub wanted: String,
    /// What the machine sent for that key, if anything.
    pub sent: Option<String>,
}

/// The nearest group to a set of labels: the one whose selector differs in
/// the fewest keys (ties go to selection order), with what it wants.
pub fn nearest_group<'g>(groups: &'g GroupSet, labels: &Labels) -> Option<(&'g LoadedGroup, Vec<Want>)> {
    let mut best: Option<(&LoadedGroup, Vec<Want>)> = None;
    for g in groups.ranked() {
        let mismatches: Vec<Want> = g
            .group
            .selector
            .iter()
            .filter(|(k, v)| labels.get(k).unwrap_or("") != v.as_str())
            .map(|(k, v)| Want {
                key: k.clone(),
                wanted: v.clone(),
                sent: labels.get(k).map(str::to_owned),
            })
            .collect();
        if mismatches.is_empty() {
            continue;
        }
        if best.as_ref().is_none_or(|(_, m)| mismatches.len() < m.len()) {
            best = Some((g.as_ref(), mismatches));
        }
    }
    best
}

/// What to do about a boot's outcome; `None` when there is nothing to do.
pub fn advice(machine: &Machine, outcome: &Outcome, groups: Option<&GroupSet>) -> Option<String> {
    match outcome {
        Outcome::Booting | Outcome::Configured => None,
        Outcome::Stuck { stage, quiet } => {
            let secs = quiet / 1000;
            Some(match stage {
                None => format!(
                    "nothing happened for {secs} s after the first request: the machine got no DHCP answer it accepted (is it on a network kindling serves, and netboot first in its boot order?)"
                ),
                Some(Stage::Dhcp) => format!(
                    "no boot program was fetched {secs} s after DHCP: check that the firmware can reach TFTP (or the HTTP boot URL) on the server that answered"
                ),
                Some(Stage::BootProgram) => format!(
                    "the boot program loaded but asked for no script in {secs} s: iPXE or GRUB may have failed its own DHCP or cannot reach kindling's HTTP address"
                ),
                Some(Stage::Script) => format!(
                    "the script was served but no kernel was fetched in {secs} s: check the kernel URL in the profile and that /assets serves it"
                ),
                Some(Stage::Kernel) => {
                    format!("the kernel was fetched but no initrd in {secs} s: check the initrd URL in the profile")
                }
                Some(Stage::Initrd) => format!(
                    "the kernel and initrd were fetched but no configuration in {secs} s: the OS may not reach kindling (kernel arguments, network, the config URL in the profile)"
                ),
                Some(Stage::Config) => return None,
            })
        }
        Outcome::Failed { reason, detail } => Some(match reason.as_str() {
            "no-matching-group" => {
                let labels = labels_of(&machine.labels);
                let sent = if machine.labels.is_empty() {
                    "no labels".to_owned()
                } else {
                    format!("labels {}", labels)
                };
                match groups.and_then(|g| nearest_group(g, &labels)) {
                    Some((g, wants)) => {
                        let wanted: Vec<String> = wants
                            .iter()
                            .map(|w| match &w.sent {
                                Some(got) => format!("{}={} (it sent {}={got})", w.key, w.wanted, w.key),
                                None => format!("{}={}", w.key, w.wanted),
                            })
                            .collect();
                        format!(
                            "no group matches {sent}; the nearest group `{}` (groups/{}) wants {}: add a group for this machine, or change that selector",
                            if g.group.id.is_empty() {
                                &g.file_name
                            } else {
                                &g.group.id
                            },
                            g.file_name,
                            wanted.join(", ")
                        )
                    }
                    None => format!(
                        "no group matches {sent}, and there is no group to compare with: add a group (a default group has no selector)"
                    ),
                }
            }
            r if r.starts_with("tftp-") => format!(
                "the boot program's TFTP transfer failed: {detail}; with retransmissions, look at MTU and packet loss on the path, or lower the block size"
            ),
            r if r.starts_with("dhcp-") => format!("DHCP gave no answer: {detail}"),
            "group-has-no-profile" => format!("{detail}: set \"profile\" in that group"),
            "profile-not-found" | "profile-invalid" | "profile-name-invalid" => {
                format!("{detail}: fix or add the profile")
            }
            "no-ignition-config" | "no-cloud-config" | "no-generic-config" => {
                format!("{detail}: set the template in the profile, or do not ask for it")
            }
            r if r.starts_with("template-") || r.starts_with("ignition-") || r.starts_with("butane-") => {
                format!("the configuration could not be rendered ({r}): {detail}")
            }
            _ => format!("{reason}: {detail}"),
        }),
    }
}
