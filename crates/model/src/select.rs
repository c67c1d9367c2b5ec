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
//!
//! The set is persistent (structure-shared `imbl` maps): [`GroupSet::insert`]
//! and [`GroupSet::remove`] change one group in O(log n) plus the number of
//! key sets, and a clone is O(1), so a new snapshot with one group changed
//! costs the same at ten groups or a hundred thousand.

use std::cmp::Reverse;
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

/// A group's place in selection order: matchbox's order (more selectors
/// first, then the selector string in descending byte order), then the file
/// name ascending for ties. Smaller is tried first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Rank {
    selectors: Reverse<usize>,
    selector: Reverse<Arc<str>>,
    file: Arc<str>,
}

impl Rank {
    fn of(g: &LoadedGroup) -> Rank {
        Rank {
            selectors: Reverse(g.group.selector.len()),
            selector: Reverse(Arc::from(g.group.selector_string())),
            file: Arc::from(g.file_name.as_str()),
        }
    }
}

/// All groups in selection order, with the index that answers `select`.
///
/// Ordered maps throughout: at 100,000 groups imbl's B-trees take about
/// half the memory of its hash tries, and a lookup is still well under a
/// microsecond.
#[derive(Debug, Clone, Default)]
pub struct GroupSet {
    by_rank: imbl::OrdMap<Rank, Arc<LoadedGroup>>,
    by_file: imbl::OrdMap<Arc<str>, Rank>,
    key_sets: imbl::OrdMap<Arc<[String]>, KeySet>,
    /// The key sets in order of their best group, rebuilt after each change
    /// (there are a handful, so this is cheap next to the maps above).
    ordered: Arc<Vec<KeySet>>,
}

#[derive(Debug, Clone)]
struct KeySet {
    keys: Arc<[String]>,
    /// Every group of this key set; the first is the key set's best.
    members: imbl::OrdSet<Rank>,
    /// Encoded value tuple → the groups with exactly those values, in rank
    /// order (more than one is a tie: only the first can be selected). A
    /// plain sorted slice: almost every bucket holds one group.
    buckets: imbl::OrdMap<String, Bucket>,
}

type Bucket = Arc<[Rank]>;

fn bucket_with(bucket: Option<&Bucket>, rank: Rank) -> Bucket {
    let mut v: Vec<Rank> = bucket.map(|b| b.to_vec()).unwrap_or_default();
    if let Err(at) = v.binary_search(&rank) {
        v.insert(at, rank);
    }
    Arc::from(v)
}

fn bucket_without(bucket: &Bucket, rank: &Rank) -> Bucket {
    bucket.iter().filter(|r| *r != rank).cloned().collect()
}

/// Appends a value to a lookup key so that different tuples never collide:
/// length-prefixed, so values may contain any byte.
fn encode_value(buf: &mut String, value: &str) {
    use std::fmt::Write;
    let _ = write!(buf, "{}:", value.len());
    buf.push_str(value);
}

fn keys_and_bucket(g: &Group) -> (Arc<[String]>, String) {
    let keys: Arc<[String]> = g.selector.keys().cloned().collect();
    let mut encoded = String::new();
    for v in g.selector.values() {
        encode_value(&mut encoded, v);
    }
    (keys, encoded)
}

/// What a change did to the group's tie bucket(s), so that a caller keeping
/// per-tie warnings can update just those.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TouchedTies {
    /// The bucket the removed (or replaced) group was in, as it is now.
    pub left: Option<SelectorTie>,
    /// The bucket the inserted group is in, as it is now.
    pub joined: Option<SelectorTie>,
}

impl GroupSet {
    pub fn new(groups: Vec<LoadedGroup>) -> GroupSet {
        let mut set = GroupSet::default();
        for g in groups {
            set.insert_unordered(g);
        }
        set.reorder();
        set
    }

    /// Adds a group, replacing one from the same file. Returns the tie
    /// buckets it touched (a bucket of one group is not a tie, but is still
    /// returned, so that an earlier tie warning can be cleared).
    pub fn insert(&mut self, group: LoadedGroup) -> TouchedTies {
        let touched = self.insert_unordered(group);
        self.reorder();
        touched
    }

    /// Removes the group loaded from `file_name`, if any.
    pub fn remove(&mut self, file_name: &str) -> TouchedTies {
        let touched = self.remove_unordered(file_name);
        self.reorder();
        touched
    }

    fn insert_unordered(&mut self, group: LoadedGroup) -> TouchedTies {
        let left = self.remove_unordered(&group.file_name).left;
        let rank = Rank::of(&group);
        let (keys, encoded) = keys_and_bucket(&group.group);
        let ks = self.key_sets.entry(keys.clone()).or_insert_with(|| KeySet {
            keys,
            members: imbl::OrdSet::new(),
            buckets: imbl::OrdMap::new(),
        });
        ks.members.insert(rank.clone());
        let bucket = bucket_with(ks.buckets.get(&encoded), rank.clone());
        ks.buckets.insert(encoded, bucket.clone());
        self.by_file.insert(rank.file.clone(), rank.clone());
        self.by_rank.insert(rank, Arc::new(group));
        TouchedTies {
            left,
            joined: Some(self.tie_of(&bucket)),
        }
    }

    fn remove_unordered(&mut self, file_name: &str) -> TouchedTies {
        let Some(rank) = self.by_file.remove(file_name) else {
            return TouchedTies::default();
        };
        let Some(old) = self.by_rank.remove(&rank) else {
            return TouchedTies::default();
        };
        let (keys, encoded) = keys_and_bucket(&old.group);
        let mut left = None;
        if let Some(ks) = self.key_sets.get_mut(&keys) {
            ks.members.remove(&rank);
            if let Some(bucket) = ks.buckets.get(&encoded) {
                let now = bucket_without(bucket, &rank);
                if now.is_empty() {
                    ks.buckets.remove(&encoded);
                } else {
                    ks.buckets.insert(encoded, now.clone());
                }
                left = Some(self.tie_of_removed(&old, &now));
            }
            if self.key_sets.get(&keys).is_some_and(|ks| ks.members.is_empty()) {
                self.key_sets.remove(&keys);
            }
        }
        TouchedTies { left, joined: None }
    }

    fn tie_of(&self, bucket: &[Rank]) -> SelectorTie {
        SelectorTie {
            selector: bucket.first().map(|r| r.selector.0.to_string()).unwrap_or_default(),
            files: bucket.iter().map(|r| r.file.to_string()).collect(),
        }
    }

    fn tie_of_removed(&self, old: &LoadedGroup, now: &[Rank]) -> SelectorTie {
        SelectorTie {
            selector: old.group.selector_string(),
            files: now.iter().map(|r| r.file.to_string()).collect(),
        }
    }

    fn reorder(&mut self) {
        let mut ordered: Vec<KeySet> = self.key_sets.values().cloned().collect();
        ordered.sort_by(|a, b| a.members.get_min().cmp(&b.members.get_min()));
        self.ordered = Arc::new(ordered);
    }

    /// The group these labels select, if any.
    pub fn select(&self, labels: &Labels) -> Option<&Arc<LoadedGroup>> {
        let mut best: Option<&Rank> = None;
        let mut buf = String::new();
        for ks in self.ordered.iter() {
            let Some(first) = ks.members.get_min() else { continue };
            if best.is_some_and(|b| first >= b) {
                break;
            }
            buf.clear();
            for k in ks.keys.iter() {
                encode_value(&mut buf, labels.get(k).unwrap_or(""));
            }
            if let Some(candidate) = ks.buckets.get(buf.as_str()).and_then(|b| b.first())
                && best.is_none_or(|b| candidate < b)
            {
                best = Some(candidate);
            }
        }
        best.and_then(|rank| self.by_rank.get(rank))
    }

    /// The reference implementation: try every group in order. Used by tests
    /// to check the index, and cheap enough for small sets.
    pub fn select_by_scan(&self, labels: &Labels) -> Option<&Arc<LoadedGroup>> {
        self.ranked().find(|g| g.group.matches(labels))
    }

    /// Groups in the order selection tries them.
    pub fn ranked(&self) -> impl Iterator<Item = &Arc<LoadedGroup>> + '_ {
        self.by_rank.values()
    }

    /// The group loaded from `file_name`.
    pub fn get(&self, file_name: &str) -> Option<&Arc<LoadedGroup>> {
        self.by_file.get(file_name).and_then(|r| self.by_rank.get(r))
    }

    /// Every set of groups with identical selectors, best-ranked first.
    pub fn ties(&self) -> Vec<SelectorTie> {
        let mut ties: Vec<(Rank, SelectorTie)> = self
            .key_sets
            .values()
            .flat_map(|ks| ks.buckets.values())
            .filter(|b| b.len() > 1)
            .filter_map(|b| Some((b.first()?.clone(), self.tie_of(b))))
            .collect();
        ties.sort_by(|a, b| a.0.cmp(&b.0));
        ties.into_iter().map(|(_, t)| t).collect()
    }

    pub fn len(&self) -> usize {
        self.by_rank.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_rank.is_empty()
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
        let order: Vec<_> = s.ranked().map(|g| g.file_name.as_str()).collect();
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
    fn insert_replace_and_remove_report_the_buckets_they_touch() {
        let mut s = set(&[("c.json", r#"{"selector":{"os":"x"}}"#)]);
        let t = s.insert(group("d.json", r#"{"selector":{"os":"x"}}"#));
        assert_eq!(t.left, None);
        assert_eq!(t.joined.unwrap().files, ["c.json", "d.json"]);
        // Replacing d.json with another selector leaves the tie.
        let t = s.insert(group("d.json", r#"{"selector":{"os":"y"}}"#));
        assert_eq!(t.left.unwrap().files, ["c.json"]);
        assert_eq!(t.joined.unwrap().files, ["d.json"]);
        assert_eq!(pick(&s, "os=y"), Some("d.json"));
        let t = s.remove("c.json");
        assert_eq!(t.left.unwrap().files, Vec::<String>::new());
        assert_eq!(pick(&s, "os=x"), None);
        assert_eq!(s.len(), 1);
        assert_eq!(s.key_set_count(), 1);
        assert_eq!(s.remove("missing.json"), TouchedTies::default());
    }

    /// A deterministic pseudo-random population over a few keys and values.
    fn population(next: &mut impl FnMut() -> u64, n: usize, prefix: &str) -> Vec<LoadedGroup> {
        let keys = ["mac", "os", "uuid", "region", "zone"];
        let values = ["", "a", "b", "52:54:00:00:00:01"];
        let mut groups = Vec::new();
        for i in 0..n {
            let mut sel = serde_json::Map::new();
            for k in keys {
                if next().is_multiple_of(3) {
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
            groups.push(group(&format!("{prefix}{i:03}.json"), &json));
        }
        groups
    }

    fn random_queries(next: &mut impl FnMut() -> u64, s: &GroupSet, n: usize) {
        let keys = ["mac", "os", "uuid", "region", "zone"];
        let values = ["", "a", "b", "52:54:00:00:00:01"];
        for _ in 0..n {
            let mut q = Vec::new();
            for k in keys {
                if next().is_multiple_of(2) {
                    let v = values[(next() % values.len() as u64) as usize];
                    q.push(format!("{k}={v}"));
                }
            }
            pick(s, &q.join("&"));
        }
    }

    fn xorshift() -> impl FnMut() -> u64 {
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn index_agrees_with_scan_on_many_groups() {
        let mut next = xorshift();
        let s = GroupSet::new(population(&mut next, 400, "g"));
        random_queries(&mut next, &s, 2000);
    }

    /// Built one change at a time (inserts, replacements, removals), the set
    /// answers as the scan does after every step, and as a set built whole.
    #[test]
    fn incremental_changes_agree_with_scan_and_with_a_fresh_build() {
        let mut next = xorshift();
        let mut s = GroupSet::default();
        let mut live: std::collections::BTreeMap<String, LoadedGroup> = Default::default();
        for round in 0..300 {
            let prefix = format!("r{}-", next() % 40);
            let pool = population(&mut next, 1, &prefix);
            let g = pool.into_iter().next().unwrap();
            if round % 4 == 3 {
                s.remove(&g.file_name);
                live.remove(&g.file_name);
            } else {
                live.insert(g.file_name.clone(), g.clone());
                s.insert(g);
            }
            random_queries(&mut next, &s, 20);
        }
        let fresh = GroupSet::new(live.values().cloned().collect());
        let a: Vec<_> = s.ranked().map(|g| g.file_name.clone()).collect();
        let b: Vec<_> = fresh.ranked().map(|g| g.file_name.clone()).collect();
        assert_eq!(a, b);
        assert_eq!(s.ties(), fresh.ties());
        assert_eq!(s.key_set_count(), fresh.key_set_count());
    }

    /// An old clone is not changed by changes to the new one (snapshots).
    #[test]
    fn clones_are_independent() {
        let a = set(&[("a.json", r#"{"selector":{"os":"x"}}"#)]);
        let mut b = a.clone();
        b.remove("a.json");
        b.insert(group("b.json", r#"{"selector":{"os":"y"}}"#));
        assert_eq!(pick(&a, "os=x"), Some("a.json"));
        assert_eq!(pick(&a, "os=y"), None);
        assert_eq!(pick(&b, "os=x"), None);
        assert_eq!(pick(&b, "os=y"), Some("b.json"));
    }
}
