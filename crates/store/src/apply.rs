//! Applying one change to a snapshot, in time that does not depend on the
//! number of objects: the object's own table entry, its place in the
//! selection index, its issues, and the issues of the objects that
//! reference it when it appears, breaks or goes (a profile's groups, a
//! template's profiles).
//!
//! A full load is the same code: every object applied to an empty snapshot
//! (templates first, then profiles, then groups, so that references mostly
//! resolve on first sight).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use model::{Group, LoadedGroup, Profile, SelectorTie, TouchedTies};

use crate::compile::compile_raw_ignition;
use crate::load::is_raw_ignition;
use crate::snapshot::{
    Change, Entry, IgnitionFile, Issue, IssueKey, Kind, LoadedProfile, ObjectKey, Severity, Snapshot, TemplateFile,
};

fn digest(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl Snapshot {
    /// Applies one change. Returns false when it changed nothing (the same
    /// bytes again, or the removal of an object that is not there). Issues
    /// that the change newly raised are appended to `raised`.
    pub fn apply(&mut self, change: Change, raised: &mut Vec<Issue>) -> bool {
        match change {
            Change::Put(key, Ok(bytes)) => {
                let d = digest(&bytes);
                if self.digests.get(&key) == Some(&d) {
                    return false;
                }
                self.digests.insert(key.clone(), d);
                self.put(key, Ok(bytes), raised);
            }
            Change::Put(key, Err(reason)) => {
                self.digests.remove(&key);
                self.put(key, Err(reason), raised);
            }
            Change::Delete(key) => {
                if self.digests.remove(&key).is_none() && !self.holds(&key) {
                    return false;
                }
                self.delete(key, raised);
            }
        }
        true
    }

    /// Applies many changes in an order that keeps references resolving:
    /// templates, then profiles, then groups.
    pub fn apply_all(&mut self, mut changes: Vec<Change>, raised: &mut Vec<Issue>) -> usize {
        changes.sort_by_key(|c| match c.key().kind {
            Kind::Ignition | Kind::Cloud | Kind::Generic => 0,
            Kind::Profile => 1,
            Kind::Group => 2,
        });
        changes.into_iter().map(|c| self.apply(c, raised) as usize).sum()
    }

    fn holds(&self, key: &ObjectKey) -> bool {
        match key.kind {
            Kind::Group => self.groups.get(&key.name).is_some(),
            Kind::Profile => self.profiles.contains_key(&key.name),
            Kind::Ignition => self.ignition.contains_key(&key.name),
            Kind::Cloud => self.cloud.contains_key(&key.name),
            Kind::Generic => self.generic.contains_key(&key.name),
        }
    }

    fn put(&mut self, key: ObjectKey, bytes: Result<Bytes, String>, raised: &mut Vec<Issue>) {
        match key.kind {
            Kind::Group => self.put_group(key, bytes, raised),
            Kind::Profile => self.put_profile(key, Some(bytes), raised),
            _ => self.put_template(key, Some(bytes), raised),
        }
    }

    fn delete(&mut self, key: ObjectKey, raised: &mut Vec<Issue>) {
        match key.kind {
            Kind::Group => {
                if let Some(old) = self.groups.get(&key.name).cloned() {
                    self.forget_use(&profile_ref(&old.group), &key);
                }
                let touched = self.groups.remove(&key.name);
                self.set_issues(IssueKey::Object(key.clone()), Vec::new(), raised);
                self.set_issues(IssueKey::Refs(key), Vec::new(), raised);
                self.refresh_ties(touched, raised);
            }
            Kind::Profile => self.put_profile(key, None, raised),
            _ => self.put_template(key, None, raised),
        }
    }

    fn put_group(&mut self, key: ObjectKey, bytes: Result<Bytes, String>, raised: &mut Vec<Issue>) {
        let path = key.relative();
        if let Some(old) = self.groups.get(&key.name).cloned() {
            self.forget_use(&profile_ref(&old.group), &key);
        }
        let parsed = bytes.and_then(|b| Group::from_json(&b).map_err(|e| e.to_string()));
        match parsed {
            Ok(group) => {
                let uses = profile_ref(&group);
                let touched = self.groups.insert(LoadedGroup {
                    file_name: key.name.clone(),
                    group,
                });
                self.set_issues(IssueKey::Object(key.clone()), Vec::new(), raised);
                self.note_use(&uses, &key);
                self.refresh_refs(&key, raised);
                self.refresh_ties(touched, raised);
            }
            Err(reason) => {
                let touched = self.groups.remove(&key.name);
                self.set_issues(
                    IssueKey::Object(key.clone()),
                    vec![issue(Severity::Error, path, format!("skipped: {reason}"))],
                    raised,
                );
                self.set_issues(IssueKey::Refs(key), Vec::new(), raised);
                self.refresh_ties(touched, raised);
            }
        }
    }

    /// Puts (`Some`) or removes (`None`) a profile.
    fn put_profile(&mut self, key: ObjectKey, bytes: Option<Result<Bytes, String>>, raised: &mut Vec<Issue>) {
        let path = key.relative();
        let was_usable = self.usable(&key).is_ok();
        if let Some(Ok(old)) = self.profiles.get(&key.name).cloned() {
            for r in template_refs(&old.profile) {
                self.forget_use(&Some(r), &key);
            }
        }
        let mut own = Vec::new();
        match bytes {
            None => {
                self.profiles.remove(&key.name);
            }
            Some(bytes) => {
                let entry = bytes.and_then(|b| compile_profile(&b));
                match &entry {
                    Ok(p) => {
                        for r in template_refs(&p.profile) {
                            self.note_use(&Some(r), &key);
                        }
                        if p.profile.boot.is_none() {
                            own.push(issue(
                                Severity::Warning,
                                path.clone(),
                                "no \"boot\" section: /ipxe and /grub answer 404 for machines with this profile",
                            ));
                        }
                    }
                    Err(reason) => own.push(issue(Severity::Error, path.clone(), reason.clone())),
                }
                self.profiles.insert(key.name.clone(), entry);
            }
        }
        self.set_issues(IssueKey::Object(key.clone()), own, raised);
        self.refresh_refs(&key, raised);
        if !(was_usable && self.usable(&key).is_ok()) {
            self.refresh_users(&key, raised);
        }
    }

    /// Puts (`Some`) or removes (`None`) an Ignition, cloud or generic template.
    fn put_template(&mut self, key: ObjectKey, bytes: Option<Result<Bytes, String>>, raised: &mut Vec<Issue>) {
        let path = key.relative();
        let was_usable = self.usable(&key).is_ok();
        let mut problem = None;
        match bytes {
            None => match key.kind {
                Kind::Ignition => drop(self.ignition.remove(&key.name)),
                Kind::Cloud => drop(self.cloud.remove(&key.name)),
                _ => drop(self.generic.remove(&key.name)),
            },
            Some(bytes) => match key.kind {
                Kind::Ignition => {
                    let entry = compile_ignition(&key.name, bytes, &mut problem);
                    self.ignition.insert(key.name.clone(), entry);
                }
                Kind::Cloud => {
                    let entry = compile_template_entry(bytes, &mut problem);
                    self.cloud.insert(key.name.clone(), entry);
                }
                _ => {
                    let entry = compile_template_entry(bytes, &mut problem);
                    self.generic.insert(key.name.clone(), entry);
                }
            },
        }
        let own = problem
            .map(|p| vec![issue(Severity::Error, path, p)])
            .unwrap_or_default();
        self.set_issues(IssueKey::Object(key.clone()), own, raised);
        if !(was_usable && self.usable(&key).is_ok()) {
            self.refresh_users(&key, raised);
        }
    }

    fn note_use(&mut self, used: &Option<ObjectKey>, by: &ObjectKey) {
        if let Some(used) = used {
            self.users.entry(used.clone()).or_default().insert(by.clone());
        }
    }

    fn forget_use(&mut self, used: &Option<ObjectKey>, by: &ObjectKey) {
        let Some(used) = used else { return };
        if let Some(set) = self.users.get_mut(used) {
            set.remove(by);
            if set.is_empty() {
                self.users.remove(used);
            }
        }
    }

    /// Recomputes the reference issues of every object that uses `key`.
    fn refresh_users(&mut self, key: &ObjectKey, raised: &mut Vec<Issue>) {
        let Some(users) = self.users.get(key).cloned() else {
            return;
        };
        for user in users.iter() {
            self.refresh_refs(user, raised);
        }
    }

    /// Recomputes what `key` references: a group's profile, a profile's
    /// templates (nothing when the object is gone or unparseable).
    fn refresh_refs(&mut self, key: &ObjectKey, raised: &mut Vec<Issue>) {
        let path = key.relative();
        let mut found = Vec::new();
        match key.kind {
            Kind::Group => {
                if let Some(g) = self.groups.get(&key.name) {
                    match self.group_profile(&g.group) {
                        Ok(_) => {}
                        Err(crate::LookupError::Unset { .. }) => found.push(issue(
                            Severity::Warning,
                            path,
                            "the group names no profile: machines it selects get 404 on every endpoint but /metadata",
                        )),
                        Err(e) => found.push(issue(Severity::Error, path, format!("profile: {e}"))),
                    }
                }
            }
            Kind::Profile => {
                if let Some(Ok(p)) = self.profiles.get(&key.name) {
                    let p = &p.profile;
                    for (field, name, result) in [
                        ("ignition_id", &p.ignition_id, self.ignition(&p.ignition_id).map(|_| ())),
                        ("cloud_id", &p.cloud_id, self.cloud(&p.cloud_id).map(|_| ())),
                        ("generic_id", &p.generic_id, self.generic(&p.generic_id).map(|_| ())),
                    ] {
                        if name.is_empty() {
                            continue;
                        }
                        if let Err(e) = result {
                            found.push(issue(Severity::Error, path.clone(), format!("{field}: {e}")));
                        }
                    }
                }
            }
            _ => {}
        }
        self.set_issues(IssueKey::Refs(key.clone()), found, raised);
    }

    fn refresh_ties(&mut self, touched: TouchedTies, raised: &mut Vec<Issue>) {
        for tie in [touched.left, touched.joined].into_iter().flatten() {
            let found = tie_issue(&tie).into_iter().collect();
            self.set_issues(IssueKey::Tie(tie.selector), found, raised);
        }
    }

    /// Replaces the issues under `key`, keeping the error count, and appends
    /// the ones that were not there before to `raised`.
    pub(crate) fn set_issues(&mut self, key: IssueKey, found: Vec<Issue>, raised: &mut Vec<Issue>) {
        let old = self.issues.get(&key);
        if old.is_none() && found.is_empty() {
            return;
        }
        if let Some(old) = old {
            if **old == *found {
                return;
            }
            self.errors -= count_errors(old);
            raised.extend(found.iter().filter(|i| !old.contains(i)).cloned());
        } else {
            raised.extend(found.iter().cloned());
        }
        self.errors += count_errors(&found);
        if found.is_empty() {
            self.issues.remove(&key);
        } else {
            self.issues.insert(key, Arc::from(found));
        }
    }
}

fn count_errors(issues: &[Issue]) -> usize {
    issues.iter().filter(|i| i.severity == Severity::Error).count()
}

fn issue(severity: Severity, path: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue {
        severity,
        path: path.into(),
        message: message.into(),
    }
}

fn tie_issue(tie: &SelectorTie) -> Option<Issue> {
    if tie.files.len() < 2 {
        return None;
    }
    let sel = if tie.selector.is_empty() {
        "{} (default groups)".to_owned()
    } else {
        tie.selector.clone()
    };
    Some(issue(
        Severity::Warning,
        format!("groups/{}", tie.files[1..].join(", groups/")),
        format!(
            "identical selector {sel} as groups/{}, which wins because its file name sorts first; this group is never selected",
            tie.files[0]
        ),
    ))
}

fn profile_ref(g: &Group) -> Option<ObjectKey> {
    (!g.profile.is_empty()).then(|| ObjectKey::new(Kind::Profile, g.profile.clone()))
}

fn template_refs(p: &Profile) -> impl Iterator<Item = ObjectKey> + '_ {
    [
        (Kind::Ignition, &p.ignition_id),
        (Kind::Cloud, &p.cloud_id),
        (Kind::Generic, &p.generic_id),
    ]
    .into_iter()
    .filter(|(_, n)| !n.is_empty())
    .map(|(k, n)| ObjectKey::new(k, n.clone()))
}

fn compile_profile(bytes: &[u8]) -> Entry<LoadedProfile> {
    let profile = Profile::from_json(bytes).map_err(|e| e.to_string())?;
    let ipxe = profile
        .boot
        .as_ref()
        .map(|b| Bytes::from(model::bootscript::render_ipxe(b)));
    let grub = profile
        .boot
        .as_ref()
        .map(|b| Bytes::from(model::bootscript::render_grub(b)));
    Ok(Arc::new(LoadedProfile { profile, ipxe, grub }))
}

fn compile_ignition(name: &str, bytes: Result<Bytes, String>, problem: &mut Option<String>) -> Entry<IgnitionFile> {
    let bytes = bytes.inspect_err(|reason| *problem = Some(reason.clone()))?;
    Ok(Arc::new(if is_raw_ignition(name) {
        let raw = compile_raw_ignition(&bytes);
        *problem = raw.body.as_ref().err().cloned();
        IgnitionFile::Raw(raw)
    } else {
        let t = compile_template(bytes);
        *problem = t.template.as_ref().err().cloned();
        IgnitionFile::Template(t)
    }))
}

/// A template file and, when it does not parse, the problem to report. The
/// file stays in the table so requests get the parse error, not "not found".
fn compile_template_entry(bytes: Result<Bytes, String>, problem: &mut Option<String>) -> Entry<TemplateFile> {
    let bytes = bytes.inspect_err(|reason| *problem = Some(reason.clone()))?;
    let t = compile_template(bytes);
    *problem = t.template.as_ref().err().cloned();
    Ok(Arc::new(t))
}

fn compile_template(source: Bytes) -> TemplateFile {
    let template = match std::str::from_utf8(&source) {
        Ok(text) => template::Template::parse(text).map_err(|e| e.to_string()),
        Err(e) => Err(format!("the file is not UTF-8 text ({e})")),
    };
    TemplateFile { source, template }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(kind: Kind, name: &str, json: &str) -> Change {
        Change::Put(ObjectKey::new(kind, name), Ok(Bytes::from(json.to_owned())))
    }

    fn del(kind: Kind, name: &str) -> Change {
        Change::Delete(ObjectKey::new(kind, name))
    }

    fn build(changes: Vec<Change>) -> Snapshot {
        let mut s = Snapshot::empty("test");
        s.apply_all(changes, &mut Vec::new());
        s
    }

    fn messages(s: &Snapshot) -> Vec<String> {
        s.issues().iter().map(|i| i.to_string()).collect()
    }

    /// The issues after any sequence of changes are those of a snapshot
    /// built from the final objects in one go.
    fn assert_same_as_fresh(s: &Snapshot, finals: Vec<Change>) {
        let fresh = build(finals);
        assert_eq!(messages(s), messages(&fresh));
        assert_eq!(s.error_count(), fresh.error_count());
        assert_eq!(s.names(Kind::Group), fresh.names(Kind::Group));
    }

    #[test]
    fn references_follow_their_targets() {
        let mut s = build(vec![put(
            Kind::Group,
            "g.json",
            r#"{"profile":"p","selector":{"os":"x"}}"#,
        )]);
        assert_eq!(s.error_count(), 1, "{:?}", messages(&s));
        assert!(messages(&s)[0].contains("profile: profile \"p\" is referenced but profiles/p.json does not exist"));

        let mut raised = Vec::new();
        s.apply(
            put(
                Kind::Profile,
                "p",
                r#"{"id":"p","boot":{"kernel":"k"},"generic_id":"t"}"#,
            ),
            &mut raised,
        );
        assert_eq!(
            s.error_count(),
            1,
            "the group is fixed, the profile now misses its template"
        );
        assert!(raised[0].message.contains("generic_id"), "{raised:?}");
        let labels = model::Labels::from_pairs([("os", "x")]);
        assert!(s.select(&labels).unwrap().profile.is_ok());

        s.apply(put(Kind::Generic, "t", "hello {{.x}}"), &mut Vec::new());
        assert_eq!(s.error_count(), 0, "{:?}", messages(&s));

        // A template that stops parsing keeps its table entry (requests get
        // the parse error) but is an error itself.
        s.apply(put(Kind::Generic, "t", "{{"), &mut Vec::new());
        assert_eq!(s.error_count(), 1, "{:?}", messages(&s));

        s.apply(del(Kind::Generic, "t"), &mut Vec::new());
        s.apply(del(Kind::Profile, "p"), &mut Vec::new());
        assert_eq!(s.error_count(), 1);
        assert!(s.select(&labels).unwrap().profile.is_err());
        assert_same_as_fresh(
            &s,
            vec![put(Kind::Group, "g.json", r#"{"profile":"p","selector":{"os":"x"}}"#)],
        );
    }

    #[test]
    fn the_same_bytes_again_change_nothing() {
        let mut s = build(vec![put(Kind::Group, "g.json", r#"{"profile":"p"}"#)]);
        assert!(!s.apply(put(Kind::Group, "g.json", r#"{"profile":"p"}"#), &mut Vec::new()));
        assert!(s.apply(put(Kind::Group, "g.json", r#"{"profile":"q"}"#), &mut Vec::new()));
        assert!(!s.apply(del(Kind::Group, "missing.json"), &mut Vec::new()));
        assert!(s.apply(del(Kind::Group, "g.json"), &mut Vec::new()));
        assert!(s.groups.is_empty());
    }

    #[test]
    fn a_broken_group_is_skipped_and_its_old_version_removed() {
        let mut s = build(vec![put(Kind::Group, "g.json", r#"{"selector":{"os":"x"}}"#)]);
        s.apply(put(Kind::Group, "g.json", "{not json"), &mut Vec::new());
        assert!(s.groups.is_empty());
        assert_eq!(s.error_count(), 1);
        s.apply(
            put(Kind::Group, "g.json", r#"{"selector":{"os":"x"}}"#),
            &mut Vec::new(),
        );
        assert_eq!(s.groups.len(), 1);
        assert_eq!(s.error_count(), 0);
        assert_eq!(messages(&s).len(), 1, "only the no-profile warning: {:?}", messages(&s));
    }

    #[test]
    fn tie_warnings_come_and_go() {
        let mut s = build(vec![
            put(Kind::Group, "a.json", r#"{"profile":"p","selector":{"os":"x"}}"#),
            put(Kind::Profile, "p", r#"{"id":"p","boot":{"kernel":"k"}}"#),
        ]);
        let mut raised = Vec::new();
        s.apply(
            put(Kind::Group, "b.json", r#"{"profile":"p","selector":{"os":"x"}}"#),
            &mut raised,
        );
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!(raised[0].path, "groups/b.json");
        s.apply(
            put(Kind::Group, "b.json", r#"{"profile":"p","selector":{"os":"y"}}"#),
            &mut Vec::new(),
        );
        assert!(messages(&s).is_empty(), "{:?}", messages(&s));
        s.apply(
            put(Kind::Group, "c.json", r#"{"profile":"p","selector":{"os":"y"}}"#),
            &mut Vec::new(),
        );
        s.apply(del(Kind::Group, "b.json"), &mut Vec::new());
        assert!(messages(&s).is_empty(), "{:?}", messages(&s));
    }

    /// A long random sequence of puts and deletes over a small namespace
    /// ends with the same issues, counts and selection as a fresh build.
    #[test]
    fn random_changes_end_where_a_fresh_build_does() {
        let mut seed: u64 = 0x2545f4914f6cdd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let groups = [
            r#"{"profile":"p0","selector":{"os":"x"}}"#,
            r#"{"profile":"p1","selector":{"os":"x"}}"#,
            r#"{"profile":"p2"}"#,
            r#"{"selector":{"mac":"52:54:00:00:00:01"}}"#,
            "{broken",
        ];
        let profiles = [
            r#"{"boot":{"kernel":"k"},"ignition_id":"i0.ign"}"#,
            r#"{"generic_id":"t0"}"#,
            "[not a profile]",
            r#"{"boot":{"kernel":"k"},"cloud_id":"t1"}"#,
        ];
        let templates = ["{{.x}}", "{{", r#"{"ignition":{"version":"3.4.0"}}"#];
        let mut s = Snapshot::empty("test");
        let mut finals: std::collections::BTreeMap<ObjectKey, Change> = Default::default();
        for _ in 0..2000 {
            let r = next();
            let (kind, name, body) = match r % 3 {
                0 => (
                    Kind::Group,
                    format!("g{}.json", (r >> 8) % 6),
                    groups[((r >> 16) % 5) as usize],
                ),
                1 => (
                    Kind::Profile,
                    format!("p{}", (r >> 8) % 3),
                    profiles[((r >> 16) % 4) as usize],
                ),
                _ => {
                    let kind = [Kind::Ignition, Kind::Cloud, Kind::Generic][((r >> 24) % 3) as usize];
                    let name = match kind {
                        Kind::Ignition => format!("i{}.ign", (r >> 8) % 2),
                        _ => format!("t{}", (r >> 8) % 2),
                    };
                    (kind, name, templates[((r >> 16) % 3) as usize])
                }
            };
            let key = ObjectKey::new(kind, name);
            let change = if (r >> 32) % 4 == 0 {
                finals.remove(&key);
                Change::Delete(key)
            } else {
                let c = Change::Put(key.clone(), Ok(Bytes::from(body.to_owned())));
                finals.insert(key, c.clone());
                c
            };
            s.apply(change, &mut Vec::new());
        }
        assert_same_as_fresh(&s, finals.into_values().collect());
        for q in ["os=x", "", "mac=52:54:00:00:00:01"] {
            let labels = model::Labels::from_query(q).0;
            assert_eq!(
                s.select(&labels).map(|g| g.group.file_name.clone()),
                s.groups.select_by_scan(&labels).map(|g| g.file_name.clone())
            );
        }
    }
}
