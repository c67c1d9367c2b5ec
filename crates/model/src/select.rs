//! Group selection: which group a set of labels gets, with matchbox's order
//! (most selectors first, then selector string descending) and kindling's
//! deterministic tie-break (file name ascending, D6) — answered from an index
//! so that the cost of one lookup does not grow with the number of groups.
//!
//! The index partitions groups by their set of selector keys. Within one key
//! set, a request's labels determine exactly one tuple of values, so one hash
//! lookup per key set finds every group of that key set that matches. Key
//! sets are visited in order of the best-ranked group they hold, and the walk
//! stops as soon as no remaining key set can beat the best match so far. The
//! cost is O(number of distinct key sets), typically a handful.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use crate::group::Group;
use crate::labels::Labels;

/// A group as loaded from the data directory, with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedGroup {
    /// The file name (`node1.json`); it orders groups whose selectors are identical.
    pub file_name: String,
    pub group: Group,
}

/// Groups that have identical selectors: only the first (by file name) can
/// ever be selected. Reported as a warning at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorTie {
    pub selector: String,
    /// File names in the order they are tried; the first one wins.
    pub files: Vec<String>,
}

/// All groups in selection order, with the index that answers `select`.
#[derive(Debug, Clone, Default)]
pub struct GroupSet {
    ranked: Vec<Arc<LoadedGroup>>,
    key_sets: Vec<KeySet>,
    ties: Vec<SelectorTie>,
}

#[derive(Debug, Clone)]
struct KeySet {
    keys: Vec<String>,
    /// Rank of the best group in this key set; key sets are sorted by it.
    best_rank: usize,
    /// Encoded value tuple → rank of the best group with exactly those values.
    buckets: HashMap<String, usize>,
}

/// matchbox's order: more selectors first, then the selector string in
/// descending byte order; kindling adds file name ascending for ties.
fn selection_order(a: &LoadedGroup, a_sel: &str, b: &LoadedGroup, b_sel: &str) -> Ordering {
    b.group
        .selector
        .len()
        .cmp(&a.group.selector.len())
        .then_with(|| b_sel.cmp(a_sel))
        .then_with(|| a.file_name.cmp(&b.file_name))
}

/// Appends a value to a lookup key so that different tuples never collide:
/// length-prefixed, so values may contain any byte.
fn encode_value(buf: &mut String, value: &str) {
    use std::fmt::Write;
    let _ = write!(buf, "{}:", value.len());
    buf.push_str(value);
}

impl GroupSet {
    pub fn new(groups: Vec<LoadedGroup>) -> GroupSet {
        let mut keyed: Vec<(String, LoadedGroup)> =
            groups.into_iter().map(|g| (g.group.selector_string(), g)).collect();
        keyed.sort_by(|(a_sel, a), (b_sel, b)| selection_order(a, a_sel, b, b_sel));

        let mut ties: Vec<SelectorTie> = Vec::new();
        for window in keyed.windows(2) {
            let (prev_sel, prev) = &window[0];
            let (sel, g) = &window[1];
            if prev_sel == sel && prev.group.selector.len() == g.group.selector.len() {
                match ties.last_mut() {
                    Some(t) if t.selector == *sel && t.files.last() == Some(&prev.file_name) => {
                        t.files.push(g.file_name.clone())
                    }
                    _ => ties.push(SelectorTie {
                        selector: sel.clone(),
                        files: vec![prev.file_name.clone(), g.file_name.clone()],
                    }),
                }
            }
        }

        let ranked: Vec<Arc<LoadedGroup>> = keyed.into_iter().map(|(_, g)| Arc::new(g)).collect();
        let mut by_keys: HashMap<Vec<String>, KeySet> = HashMap::new();
        for (rank, g) in ranked.iter().enumerate() {
            let keys: Vec<String> = g.group.selector.keys().cloned().collect();
            let mut encoded = String::new();
            for v in g.group.selector.values() {
                encode_value(&mut encoded, v);
            }
            let ks = by_keys.entry(keys.clone()).or_insert_with(|| KeySet {
                keys,
                best_rank: rank,
                buckets: HashMap::new(),
            });
            // Ranks are visited in increasing order: the first entry per
            // bucket is the best one.
            ks.buckets.entry(encoded).or_insert(rank);
        }
        let mut key_sets: Vec<KeySet> = by_keys.into_values().collect();
        key_sets.sort_by_key(|ks| ks.best_rank);
        GroupSet { ranked, key_sets, ties }
    }

    /// The group these labels select, if any.
    pub fn select(&self, labels: &Labels) -> Option<&Arc<LoadedGroup>> {
        self.select_rank(labels).map(|rank| &self.ranked[rank])
    }

    /// The position in [`GroupSet::ranked`] of the group these labels
    /// select, for callers that keep per-group data in a parallel table.
    pub fn select_rank(&self, labels: &Labels) -> Option<usize> {
        let mut best = usize::MAX;
        let mut buf = String::new();
        for ks in &self.key_sets {
            if ks.best_rank >= best {
                break;
            }
            buf.clear();
            for k in &ks.keys {
                encode_value(&mut buf, labels.get(k).unwrap_or(""));
            }
            if let Some(&rank) = ks.buckets.get(buf.as_str()) {
                best = best.min(rank);
            }
        }
        (best < self.ranked.len()).then_some(best)
    }

    /// The reference implementation: try every group in order. Used by tests
    /// to check the index, and cheap enough for small sets.
    pub fn select_by_scan(&self, labels: &Labels) -> Option<&Arc<LoadedGroup>> {
        self.ranked.iter().find(|g| g.group.matches(labels))
    }

    /// Groups in the order selection tries them.
    pub fn ranked(&self) -> &[Arc<LoadedGroup>] {
        &self.ranked
    }

    pub fn ties(&self) -> &[SelectorTie] {
        &self.ties
    }

    pub fn len(&self) -> usize {
        self.ranked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranked.is_empty()
    }

    pub fn key_set_count(&self) -> usize {
        self.key_sets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(file: &str, json: &str) -> LoadedGroup {
        LoadedGroup {
            file_name: file.to_owned(),
            group: Group::from_json(json.as_bytes()).unwrap(),
        }
    }

    fn set(groups: &[(&str, &str)]) -> GroupSet {
        GroupSet::new(groups.iter().map(|(f, j)| group(f, j)).collect())
    }

    fn pick<'a>(s: &'a GroupSet, query: &str) -> Option<&'a str> {
        let labels = Labels::from_query(query).0;
        let by_index = s.select(&labels).map(|g| g.file_name.as_str());
        let by_scan = s.select_by_scan(&labels).map(|g| g.file_name.as_str());
        assert_eq!(by_index, by_scan, "index and scan disagree for {query:?}");
        by_index
    }

    #[test]
    fn upstream_sort_vector() {
        // Ascending in matchbox's TestGroupSort; selection tries the reverse.
        let s = set(&[
            ("1.json", r#"{"selector":{"region":"a"}}"#),
            ("2.json", r#"{"selector":{"uuid":"a1b2c3d4"}}"#),
            (
                "3.json",
                r#"{"selector":{"mac":"52:da:00:89:d8:10","uuid":"a1b2c3d4"}}"#,
            ),
            ("4.json", r#"{"selector":{"region":"a","zone":"z"}}"#),
            ("5.json", r#"{"selector":{"region":"b","zone":"z"}}"#),
        ]);
        let order: Vec<_> = s.ranked().iter().map(|g| g.file_name.as_str()).collect();
        assert_eq!(order, ["5.json", "4.json", "3.json", "2.json", "1.json"]);
    }

    #[test]
    fn more_selectors_win_then_string_descending() {
        let s = set(&[
            ("install.json", r#"{"profile":"install"}"#),
            ("installed.json", r#"{"selector":{"os":"installed"}}"#),
            ("mac.json", r#"{"selector":{"mac":"52:54:00:89:d8:10"}}"#),
            ("uuid.json", r#"{"selector":{"uuid":"u1"}}"#),
            (
                "both.json",
                r#"{"selector":{"mac":"52:54:00:89:d8:10","os":"installed"}}"#,
            ),
        ]);
        assert_eq!(pick(&s, "mac=52-54-00-89-d8-10"), Some("mac.json"));
        assert_eq!(pick(&s, "os=installed"), Some("installed.json"));
        assert_eq!(pick(&s, "mac=52-54-00-89-d8-10&os=installed"), Some("both.json"));
        // uuid=… > mac=… in byte order, so the uuid group is tried first.
        assert_eq!(pick(&s, "mac=52-54-00-89-d8-10&uuid=u1"), Some("uuid.json"));
        assert_eq!(pick(&s, ""), Some("install.json"));
        assert_eq!(pick(&s, "mac=52:54:00:00:00:00"), Some("install.json"));
    }

    #[test]
    fn empty_selector_value_matches_absent_label() {
        let s = set(&[("h.json", r#"{"selector":{"hostname":""}}"#)]);
        assert_eq!(pick(&s, ""), Some("h.json"));
        assert_eq!(pick(&s, "hostname="), Some("h.json"));
        assert_eq!(pick(&s, "hostname=x"), None);
    }

    #[test]
    fn keys_are_case_sensitive() {
        let s = set(&[("u.json", r#"{"selector":{"uuid":"a"}}"#)]);
        assert_eq!(pick(&s, "UUID=a"), None);
        assert_eq!(pick(&s, "uuid=a"), Some("u.json"));
    }

    #[test]
    fn identical_selectors_tie_break_by_file_name_and_are_reported() {
        let s = set(&[
            ("b.json", r#"{}"#),
            ("a.json", r#"{"selector":{}}"#),
            ("c.json", r#"{"selector":{"os":"x"}}"#),
            ("d.json", r#"{"selector":{"os":"x"}}"#),
            ("e.json", r#"{"selector":{"os":"y"}}"#),
        ]);
        assert_eq!(pick(&s, ""), Some("a.json"));
        assert_eq!(pick(&s, "os=x"), Some("c.json"));
        assert_eq!(
            s.ties(),
            [
                SelectorTie {
                    selector: "os=x".into(),
                    files: vec!["c.json".into(), "d.json".into()]
                },
                SelectorTie {
                    selector: "".into(),
                    files: vec!["a.json".into(), "b.json".into()]
                },
            ]
        );
    }

    #[test]
    fn index_agrees_with_scan_on_many_groups() {
        // A deterministic pseudo-random population over a few keys and values.
        let keys = ["mac", "os", "uuid", "region", "zone"];
        let values = ["", "a", "b", "52:54:00:00:00:01"];
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut groups = Vec::new();
        for i in 0..400 {
            let mut sel = serde_json::Map::new();
            for k in keys {
                if next() % 3 == 0 {
                    let v = values[(next() % values.len() as u64) as usize];
                    let v = if k == "mac" && v.is_empty() {
                        "52:54:00:00:00:02"
                    } else {
                        v
                    };
                    let v = if k == "mac" && !v.contains(':') {
                        "52:54:00:00:00:01"
                    } else {
                        v
                    };
                    sel.insert(k.into(), v.into());
                }
            }
            let json = serde_json::json!({ "selector": sel }).to_string();
            groups.push(group(&format!("g{i:03}.json"), &json));
        }
        let s = GroupSet::new(groups);
        for _ in 0..2000 {
            let mut q = Vec::new();
            for k in keys {
                if next() % 2 == 0 {
                    let v = values[(next() % values.len() as u64) as usize];
                    q.push(format!("{k}={v}"));
                }
            }
            pick(&s, &q.join("&"));
        }
    }
}
