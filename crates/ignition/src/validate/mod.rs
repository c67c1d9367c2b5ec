//! Ignition's config validation, per spec version, in Ignition's order.
//!
//! Ignition (through `coreos/vcontext`) walks the decoded Go struct: for every value it first runs
//! that type's `Validate` method, then visits the fields in declaration order and slice elements
//! in index order; afterwards it runs the duplicate-key check over the same walk. This module
//! reproduces both walks over the superset [`Config`], switching rules on the spec version where
//! the per-version Go packages differ (for example `gs://` sources from 3.2, `arn:` from 3.4,
//! filesystem format `none` from 3.3, required raid levels and link targets from 3.3).
//!
//! It never mutates the config and never looks at anything outside it.

mod gopath;
mod unit_file;
pub(crate) mod url;

use crate::report::{Issue, JsonPath, Report};
use crate::spec::Spec;
use crate::types::{
    Clevis, ClevisCustom, Config, Directory, Disk, Dropin, File, Filesystem, HttpHeader, Ignition, Link, Luks,
    NodeGroup, NodeUser, Partition, Proxy, Raid, Resource, Storage, Systemd, Tang, Unit, Verification,
};
use std::collections::{HashMap, HashSet};

/// The role a resource plays, which matters for 3.0's distinct resource types.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResourceUse {
    FileContents,
    ConfigReference,
    CaReference,
}

/// Runs field validation and the duplicate check; returns every finding.
pub(crate) fn validate(cfg: &Config, spec: Spec) -> Report {
    let mut v = Validator {
        spec,
        report: Report::default(),
    };
    v.config(cfg, &JsonPath::root());
    v.dups_config(cfg, &JsonPath::root());
    v.report
}

/// Ignition's URL rule for `source` fields, on an arbitrary string.
pub(crate) fn check_source(s: &str, spec: Spec) -> Result<(), Issue> {
    url::validate_source(s, spec)
}

fn nil_or_empty(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}

fn not_empty(s: &Option<String>) -> bool {
    !nil_or_empty(s)
}

fn is_true(b: Option<bool>) -> bool {
    b == Some(true)
}

fn is_false(b: Option<bool>) -> bool {
    b == Some(false)
}

/// A path must be present, absolute and already clean.
fn path_issue(p: &str) -> Option<Issue> {
    if p.is_empty() {
        Some(Issue::NoPath)
    } else if !gopath::is_abs(p) {
        Some(Issue::PathRelative)
    } else if gopath::clean(p) != p {
        Some(Issue::DirtyPath)
    } else {
        None
    }
}

/// As [`path_issue`], but an absent or empty path passes.
fn path_issue_nil_ok(p: &Option<String>) -> Option<Issue> {
    match p.as_deref() {
        None | Some("") => None,
        Some(p) => path_issue(p),
    }
}

/// A mode outside 0..=0o7777 is illegal.
fn mode_illegal(m: Option<i64>) -> bool {
    m.is_some_and(|m| !(0..=0o7777).contains(&m))
}

/// Setuid, setgid or sticky bits set (a warning in every spec this crate handles).
fn mode_special_bits(m: Option<i64>) -> bool {
    m.is_some_and(|m| (m as u32) & 0o7000 != 0)
}

/// `^(|[[:xdigit:]]{8}-[[:xdigit:]]{4}-[[:xdigit:]]{4}-[[:xdigit:]]{4}-[[:xdigit:]]{12})$`.
fn guid_ok(g: &str) -> bool {
    if g.is_empty() {
        return true;
    }
    let groups: Vec<&str> = g.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(part, len)| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `^(.+?)@(.+?)\.service$` (Go RE2, `.` excludes `\n`): the template name of an instance unit.
fn instance_template(name: &str) -> Option<String> {
    if name.contains('\n') {
        return None;
    }
    let stem = name.strip_suffix(".service")?;
    for (i, c) in stem.char_indices() {
        if c == '@' && i > 0 && i + 1 < stem.len() {
            return Some(format!("{}@.service", &stem[..i]));
        }
    }
    None
}

struct Validator {
    spec: Spec,
    report: Report,
}

impl Validator {
    fn err(&mut self, path: JsonPath, issue: Issue) {
        self.report.error(path, issue);
    }

    fn warn(&mut self, path: JsonPath, issue: Issue) {
        self.report.warn(path, issue);
    }

    fn err_opt(&mut self, path: JsonPath, issue: Option<Issue>) {
        if let Some(issue) = issue {
            self.err(path, issue);
        }
    }

    // ---------------------------------------------------------------- field validation walk

    fn config(&mut self, cfg: &Config, c: &JsonPath) {
        self.config_path_conflicts(cfg, c);
        self.ignition(&cfg.ignition, &c.key("ignition"));
        // kernelArguments and passwd have no Validate methods.
        self.storage(&cfg.storage, &c.key("storage"));
        self.systemd(&cfg.systemd, &c.key("systemd"));
    }

    /// `Config.Validate`: files, directories and links must not shadow unit files.
    fn config_path_conflicts(&mut self, cfg: &Config, c: &JsonPath) {
        let mut unit_paths = HashSet::new();
        for unit in &cfg.systemd.units {
            if not_empty(&unit.contents) {
                unit_paths.insert(format!("/etc/systemd/system/{}", unit.name));
            }
            for dropin in &unit.dropins {
                if not_empty(&dropin.contents) {
                    unit_paths.insert(format!("/etc/systemd/system/{}.d/{}", unit.name, dropin.name));
                }
            }
        }
        let storage = c.key("storage");
        for (i, f) in cfg.storage.files.iter().enumerate() {
            if unit_paths.contains(&f.path) {
                self.err(storage.key("files").index(i).key("path"), Issue::PathConflictsSystemd);
            }
        }
        for (i, d) in cfg.storage.directories.iter().enumerate() {
            if unit_paths.contains(&d.path) {
                self.err(
                    storage.key("directories").index(i).key("path"),
                    Issue::PathConflictsSystemd,
                );
            }
        }
        for (i, l) in cfg.storage.links.iter().enumerate() {
            if unit_paths.contains(&l.path) {
                self.err(storage.key("links").index(i).key("path"), Issue::PathConflictsSystemd);
            }
        }
    }

    fn ignition(&mut self, ign: &Ignition, c: &JsonPath) {
        // Ignition.Validate re-checks the version, which already matched to get here.
        let config = c.key("config");
        if self.spec >= Spec::V3_1 {
            for (i, res) in ign.config.merge.iter().enumerate() {
                let issue = self.required_source(res);
                self.err_opt(config.key("merge").index(i), issue);
            }
        }
        for (i, res) in ign.config.merge.iter().enumerate() {
            self.resource(res, &config.key("merge").index(i), ResourceUse::ConfigReference);
        }
        self.resource(
            &ign.config.replace,
            &config.key("replace"),
            ResourceUse::ConfigReference,
        );
        if self.spec >= Spec::V3_1 {
            self.proxy(&ign.proxy, &c.key("proxy"));
        }
        let tls = c.key("security").key("tls");
        if self.spec >= Spec::V3_1 {
            for (i, ca) in ign.security.tls.certificate_authorities.iter().enumerate() {
                let issue = self.required_source(ca);
                self.err_opt(tls.key("certificateAuthorities").index(i), issue);
            }
        }
        for (i, ca) in ign.security.tls.certificate_authorities.iter().enumerate() {
            self.resource(
                ca,
                &tls.key("certificateAuthorities").index(i),
                ResourceUse::CaReference,
            );
        }
    }

    /// `Resource.validateRequiredSource`.
    fn required_source(&self, res: &Resource) -> Option<Issue> {
        match res.source.as_deref() {
            None | Some("") => Some(Issue::SourceRequired),
            Some(s) => check_source(s, self.spec).err(),
        }
    }

    fn resource(&mut self, res: &Resource, c: &JsonPath, role: ResourceUse) {
        if self.spec == Spec::V3_0 {
            match role {
                ResourceUse::CaReference => {
                    let issue = check_source(res.source.as_deref().unwrap_or(""), self.spec).err();
                    self.err_opt(c.key("source"), issue);
                }
                ResourceUse::ConfigReference => {
                    let issue = self.source_nil_ok(&res.source);
                    self.err_opt(c.key("source"), issue);
                }
                ResourceUse::FileContents => {
                    self.resource_compression_and_verification(res, c);
                    let issue = self.source_nil_ok(&res.source);
                    self.err_opt(c.key("source"), issue);
                }
            }
            self.verification(&res.verification, &c.key("verification"));
            return;
        }
        self.resource_compression_and_verification(res, c);
        let issue = self.source_nil_ok(&res.source);
        self.err_opt(c.key("source"), issue);
        if !res.http_headers.is_empty() {
            let issue = match res.source.as_deref() {
                None | Some("") => Some(Issue::InvalidUrl),
                Some(s) => match url::parse(s) {
                    None => Some(Issue::InvalidUrl),
                    Some(u) if u.scheme == "http" || u.scheme == "https" => None,
                    Some(_) => Some(Issue::UnsupportedSchemeForHttpHeaders),
                },
            };
            self.err_opt(c.key("httpHeaders"), issue);
        }
        for (i, header) in res.http_headers.iter().enumerate() {
            self.http_header(header, &c.key("httpHeaders").index(i));
        }
        self.verification(&res.verification, &c.key("verification"));
    }

    fn resource_compression_and_verification(&mut self, res: &Resource, c: &JsonPath) {
        if let Some(compression) = res.compression.as_deref()
            && !matches!(compression, "" | "gzip")
        {
            self.err(c.key("compression"), Issue::CompressionInvalid);
        }
        if res.verification.hash.is_some() && res.source.is_none() {
            self.err(c.key("verification").key("hash"), Issue::VerificationAndNilSource);
        }
    }

    /// As [`check_source`], but an absent or empty source passes.
    fn source_nil_ok(&self, s: &Option<String>) -> Option<Issue> {
        match s.as_deref() {
            None | Some("") => None,
            Some(s) => check_source(s, self.spec).err(),
        }
    }

    fn http_header(&mut self, h: &HttpHeader, c: &JsonPath) {
        if h.name.is_empty() {
            self.err(c.key("name"), Issue::EmptyHttpHeaderName);
        }
        if h.value.as_deref() == Some("") {
            self.err(c.key("value"), Issue::InvalidHttpHeader);
        }
    }

    fn verification(&mut self, v: &Verification, c: &JsonPath) {
        let Some(hash) = v.hash.as_deref() else { return };
        let c = c.key("hash");
        let Some((function, sum)) = hash.split_once('-') else {
            return self.err(c, Issue::HashMalformed);
        };
        let hex_len = match function {
            "sha512" => 128,
            "sha256" if self.spec >= Spec::V3_1 => 64,
            _ => return self.err(c, Issue::HashUnrecognized),
        };
        if sum.len() != hex_len {
            self.err(c, Issue::HashWrongSize);
        }
    }

    fn proxy(&mut self, p: &Proxy, c: &JsonPath) {
        for (value, key, http_ok) in [
            (&p.http_proxy, "httpProxy", true),
            (&p.https_proxy, "httpsProxy", false),
        ] {
            let Some(s) = value.as_deref() else { continue };
            let path = c.key(key);
            match url::parse(s) {
                None => self.err(path, Issue::InvalidUrl),
                Some(u) if u.scheme != "http" && u.scheme != "https" => self.err(path, Issue::InvalidProxy),
                Some(u) => {
                    if u.scheme == "http" && !http_ok {
                        self.warn(path, Issue::InsecureProxy);
                    }
                }
            }
        }
    }

    fn storage(&mut self, s: &Storage, c: &JsonPath) {
        self.storage_rules(s, c);
        for (i, d) in s.directories.iter().enumerate() {
            self.directory(d, &c.key("directories").index(i));
        }
        for (i, d) in s.disks.iter().enumerate() {
            self.disk(d, &c.key("disks").index(i));
        }
        for (i, f) in s.files.iter().enumerate() {
            self.file(f, &c.key("files").index(i));
        }
        for (i, f) in s.filesystems.iter().enumerate() {
            self.filesystem(f, &c.key("filesystems").index(i));
        }
        for (i, l) in s.links.iter().enumerate() {
            self.link(l, &c.key("links").index(i));
        }
        if self.spec >= Spec::V3_2 {
            for (i, l) in s.luks.iter().enumerate() {
                self.luks(l, &c.key("luks").index(i));
            }
        }
        for (i, r) in s.raid.iter().enumerate() {
            self.raid(r, &c.key("raid").index(i));
        }
    }

    /// `Storage.Validate`.
    fn storage_rules(&mut self, s: &Storage, c: &JsonPath) {
        for (i, d) in s.directories.iter().enumerate() {
            for l in &s.links {
                if d.path.starts_with(&format!("{}/", l.path)) {
                    self.err(c.key("directories").index(i), Issue::DirectoryUsedSymlink);
                }
            }
        }
        for (i, f) in s.files.iter().enumerate() {
            for l in &s.links {
                if f.path.starts_with(&format!("{}/", l.path)) {
                    self.err(c.key("files").index(i), Issue::FileUsedSymlink);
                }
            }
        }
        for (i, l1) in s.links.iter().enumerate() {
            let here = c.key("links").index(i);
            for l2 in &s.links {
                if l1.path.starts_with(&format!("{}/", l2.path)) {
                    self.err(here.clone(), Issue::LinkUsedSymlink);
                }
            }
            if self.spec >= Spec::V3_3 && nil_or_empty(&l1.target) {
                self.err(here.key("target"), Issue::LinkTargetRequired);
                continue;
            }
            if !is_true(l1.hard) {
                continue;
            }
            let raw_target = l1.target.as_deref().unwrap_or("");
            let mut target = gopath::clean(raw_target);
            if !gopath::is_abs(&target) {
                target = gopath::join(&l1.path, raw_target);
            }
            for d in &s.directories {
                if target == d.path {
                    self.err(here.clone(), Issue::HardLinkToDirectory);
                }
            }
            let owner_checks = [
                (l1.user.id.is_none(), "user", "id"),
                (l1.user.name.is_none(), "user", "name"),
                (l1.group.id.is_none(), "group", "id"),
                (l1.group.name.is_none(), "group", "name"),
            ];
            for (ok, a, b) in owner_checks {
                if !ok {
                    self.warn(here.key(a).key(b), Issue::HardLinkSpecifiesOwner);
                }
            }
        }
        let mut disks: HashMap<&str, &Disk> = HashMap::new();
        for d in &s.disks {
            disks.insert(d.device.as_str(), d);
        }
        for (i, f) in s.filesystems.iter().enumerate() {
            if let Some(disk) = disks.get(f.device.as_str()) {
                let path = c.key("filesystems").index(i).key("device");
                if !disk.partitions.is_empty() {
                    self.warn(path, Issue::PartitionsOverwritten);
                } else if !is_true(f.wipe_filesystem) && is_true(disk.wipe_table) {
                    self.warn(path, Issue::FilesystemImplicitWipe);
                }
            }
        }
    }

    fn node_owner(&mut self, user: &NodeUser, group: &NodeGroup, c: &JsonPath) {
        if group.id.is_some() && not_empty(&group.name) {
            self.err(c.key("group"), Issue::BothIdAndNameSet);
        }
        if user.id.is_some() && not_empty(&user.name) {
            self.err(c.key("user"), Issue::BothIdAndNameSet);
        }
    }

    fn mode(&mut self, mode: Option<i64>, c: &JsonPath) {
        if mode_illegal(mode) {
            self.err(c.key("mode"), Issue::FileIllegalMode);
        }
        if self.spec < Spec::V3_6 && mode_special_bits(mode) {
            self.warn(c.key("mode"), Issue::ModeSpecialBits);
        }
    }

    fn directory(&mut self, d: &Directory, c: &JsonPath) {
        self.err_opt(c.key("path"), path_issue(&d.path));
        self.mode(d.mode, c);
        self.node_owner(&d.user, &d.group, c);
    }

    fn file(&mut self, f: &File, c: &JsonPath) {
        self.err_opt(c.key("path"), path_issue(&f.path));
        self.mode(f.mode, c);
        if is_true(f.overwrite) && f.contents.source.is_none() {
            self.err(c.key("overwrite"), Issue::OverwriteAndNilSource);
        }
        self.node_owner(&f.user, &f.group, c);
        for (i, res) in f.append.iter().enumerate() {
            self.resource(res, &c.key("append").index(i), ResourceUse::FileContents);
        }
        self.resource(&f.contents, &c.key("contents"), ResourceUse::FileContents);
    }

    fn link(&mut self, l: &Link, c: &JsonPath) {
        // Link has no Validate of its own; Go promotes the embedded Node's.
        self.err_opt(c.key("path"), path_issue(&l.path));
        self.node_owner(&l.user, &l.group, c);
    }

    fn disk(&mut self, d: &Disk, c: &JsonPath) {
        if d.device.is_empty() {
            self.err(c.key("device"), Issue::DiskDeviceRequired);
        } else {
            self.err_opt(c.key("device"), path_issue(&d.device));
            let parts = c.key("partitions");
            if let Some(i) = partition_numbers_collide(&d.partitions) {
                self.err(parts.index(i), Issue::PartitionNumbersCollide);
            }
            if let Some(i) = partitions_overlap(&d.partitions) {
                self.err(parts.index(i), Issue::PartitionsOverlap);
            }
            let has_zero = d.partitions.iter().any(|p| p.number == 0);
            let has_should_not_exist = d.partitions.iter().any(|p| is_false(p.should_exist));
            if has_zero && has_should_not_exist {
                self.err(parts.clone(), Issue::ZeroesWithShouldNotExist);
            }
            let mut labels = HashSet::new();
            for (i, p) in d.partitions.iter().enumerate() {
                if let Some(label) = &p.label
                    && !labels.insert(label.as_str())
                {
                    self.err(parts.index(i), Issue::DuplicateLabels);
                    break;
                }
            }
        }
        for (i, p) in d.partitions.iter().enumerate() {
            self.partition(p, &c.key("partitions").index(i));
        }
    }

    fn partition(&mut self, p: &Partition, c: &JsonPath) {
        if is_false(p.should_exist)
            && (p.label.is_some()
                || not_empty(&p.type_guid)
                || not_empty(&p.guid)
                || p.start_mib.is_some()
                || p.size_mib.is_some())
        {
            self.err(c.clone(), Issue::ShouldNotExistWithOthers);
        }
        if p.number == 0 && p.label.is_none() {
            self.err(c.clone(), Issue::NeedLabelOrNumber);
        }
        if let Some(label) = &p.label {
            if label.len() > 36 {
                self.err(c.key("label"), Issue::PartitionLabelTooLong);
            } else if label.contains(':') {
                self.err(c.key("label"), Issue::LabelContainsColon);
            }
        }
        if p.guid.as_deref().is_some_and(|g| !guid_ok(g)) {
            self.err(c.key("guid"), Issue::DoesntMatchGuidRegex);
        }
        if p.type_guid.as_deref().is_some_and(|g| !guid_ok(g)) {
            self.err(c.key("typeGuid"), Issue::DoesntMatchGuidRegex);
        }
    }

    fn filesystem(&mut self, f: &Filesystem, c: &JsonPath) {
        self.err_opt(c.key("path"), path_issue_nil_ok(&f.path));
        self.err_opt(c.key("device"), path_issue(&f.device));
        let format_issue = if nil_or_empty(&f.format) {
            let others = not_empty(&f.path)
                || not_empty(&f.label)
                || not_empty(&f.uuid)
                || is_true(f.wipe_filesystem)
                || !f.mount_options.is_empty()
                || !f.options.is_empty();
            others.then_some(Issue::FormatNilWithOthers)
        } else {
            match f.format.as_deref().unwrap_or("") {
                "ext4" | "btrfs" | "xfs" | "swap" | "vfat" => None,
                "none" if self.spec >= Spec::V3_3 => None,
                _ => Some(Issue::FilesystemInvalidFormat),
            }
        };
        self.err_opt(c.key("format"), format_issue);
        let label_issue = match f.label.as_deref() {
            None | Some("") => None,
            Some(label) => match f.format.as_deref() {
                None | Some("") => Some(Issue::LabelNeedsFormat),
                Some("ext4") if label.len() > 16 => Some(Issue::Ext4LabelTooLong),
                Some("btrfs") if label.len() > 256 => Some(Issue::BtrfsLabelTooLong),
                Some("xfs") if label.len() > 12 => Some(Issue::XfsLabelTooLong),
                Some("swap") if label.len() > 15 => Some(Issue::SwapLabelTooLong),
                Some("vfat") if label.len() > 11 => Some(Issue::VfatLabelTooLong),
                Some(_) => None,
            },
        };
        self.err_opt(c.key("label"), label_issue);
    }

    fn luks(&mut self, l: &Luks, c: &JsonPath) {
        if l.name.contains('/') {
            self.err(c.key("name"), Issue::LuksNameContainsSlash);
        }
        if l.label.as_deref().is_some_and(|label| label.len() > 47) {
            self.err(c.key("label"), Issue::LuksLabelTooLong);
        }
        match l.device.as_deref() {
            None | Some("") => self.err(c.key("device"), Issue::DiskDeviceRequired),
            Some(device) => self.err_opt(c.key("device"), path_issue(device)),
        }
        let clevis = &l.clevis;
        let others = !clevis.tang.is_empty() || is_true(clevis.tpm2) || clevis.threshold.is_some_and(|t| t != 0);
        // 3.2 checks that a custom block is present; later specs that its pin is set.
        let custom = if self.spec == Spec::V3_2 {
            clevis.custom.pin.is_some()
        } else {
            not_empty(&clevis.custom.pin)
        };
        if custom && others {
            self.err(c.key("clevis"), Issue::ClevisCustomWithOthers);
        }
        if self.source_nil_ok(&l.key_file.source).is_some() {
            self.err(c.key("keys"), Issue::InvalidLuksKeyFile);
        }
        if self.spec >= Spec::V3_5 && is_true(l.cex.enabled) {
            if clevis_present(clevis) {
                self.err(c.key("cex"), Issue::CexWithClevis);
            }
            if l.key_file.source.is_some() {
                self.err(c.key("cex"), Issue::CexWithKeyFile);
            }
        }
        self.clevis(clevis, &c.key("clevis"));
        self.resource(&l.key_file, &c.key("keyFile"), ResourceUse::FileContents);
    }

    fn clevis(&mut self, clevis: &Clevis, c: &JsonPath) {
        self.clevis_custom(&clevis.custom, &c.key("custom"));
        for (i, t) in clevis.tang.iter().enumerate() {
            self.tang(t, &c.key("tang").index(i));
        }
    }

    fn clevis_custom(&mut self, cu: &ClevisCustom, c: &JsonPath) {
        if self.spec == Spec::V3_2 {
            // A 3.2 `*Custom` is validated only when present; its strings are plain strings.
            let (Some(pin), Some(config)) = (cu.pin.as_deref(), cu.config.as_deref()) else {
                return;
            };
            if pin.is_empty() && config.is_empty() {
                return;
            }
            if !matches!(pin, "tpm2" | "tang" | "sss") {
                self.err(c.key("pin"), Issue::UnknownClevisPin);
            }
            if config.is_empty() {
                self.err(c.key("config"), Issue::ClevisConfigRequired);
            }
            return;
        }
        if nil_or_empty(&cu.pin) && nil_or_empty(&cu.config) && !is_true(cu.needs_network) {
            return;
        }
        match cu.pin.as_deref() {
            Some("tpm2" | "tang" | "sss") => {}
            Some(p) if !p.is_empty() => self.err(c.key("pin"), Issue::UnknownClevisPin),
            _ => self.err(c.key("pin"), Issue::ClevisPinRequired),
        }
        if nil_or_empty(&cu.config) {
            self.err(c.key("config"), Issue::ClevisConfigRequired);
        }
    }

    fn tang(&mut self, t: &Tang, c: &JsonPath) {
        if let Err(issue) = url::validate_http_url(&t.url) {
            self.err(c.key("url"), issue);
        }
        if nil_or_empty(&t.thumbprint) {
            self.err(c.key("thumbprint"), Issue::TangThumbprintRequired);
        }
        if self.spec >= Spec::V3_4
            && let Some(adv) = t.advertisement.as_deref()
            && !adv.is_empty()
            && crate::json::check_valid(adv.as_bytes()).is_err()
        {
            self.err(c.key("advertisement"), Issue::InvalidTangAdvertisement);
        }
    }

    fn raid(&mut self, r: &Raid, c: &JsonPath) {
        let level_issue = match r.level.as_deref() {
            None | Some("") if self.spec >= Spec::V3_3 => Some(Issue::RaidLevelRequired),
            level => match level.unwrap_or("") {
                "linear" | "raid0" | "0" | "stripe" => r
                    .spares
                    .is_some_and(|s| s != 0)
                    .then_some(Issue::SparesUnsupportedForLevel),
                "raid1" | "1" | "mirror" | "raid4" | "4" | "raid5" | "5" | "raid6" | "6" | "raid10" | "10" => None,
                _ => Some(Issue::UnrecognizedRaidLevel),
            },
        };
        self.err_opt(c.key("level"), level_issue);
        if r.devices.is_empty() {
            self.err(c.key("devices"), Issue::RaidDevicesRequired);
        }
        for (i, device) in r.devices.iter().enumerate() {
            self.err_opt(c.key("devices").index(i), path_issue(device));
        }
    }

    fn systemd(&mut self, s: &Systemd, c: &JsonPath) {
        // Systemd.Validate: an enabled instance of a template without [Install] does nothing.
        let mut units: HashMap<&str, &Unit> = HashMap::new();
        for u in &s.units {
            units.insert(u.name.as_str(), u);
        }
        for (i, unit) in s.units.iter().enumerate() {
            let Some(template) = instance_template(&unit.name) else {
                continue;
            };
            if !is_true(unit.enabled) {
                continue;
            }
            let Some(t) = units.get(template.as_str()) else {
                continue;
            };
            let Some(contents) = t.contents.as_deref().filter(|c| !c.is_empty()) else {
                continue;
            };
            let Ok(options) = unit_file::parse_unit(contents) else {
                continue;
            };
            if !options.iter().any(|o| o.section == "Install") {
                self.warn(
                    c.key("units").index(i).key("contents"),
                    Issue::NoInstallSectionForInstantiableUnit {
                        instantiable: template.clone(),
                        instance: unit.name.clone(),
                    },
                );
            }
        }
        for (i, unit) in s.units.iter().enumerate() {
            self.unit(unit, &c.key("units").index(i));
        }
    }

    fn unit(&mut self, u: &Unit, c: &JsonPath) {
        if !valid_unit_suffix(&u.name) {
            self.err(c.key("name"), Issue::InvalidSystemdExt);
        }
        let contents_path = c.key("contents");
        let parsed = match u.contents.as_deref() {
            None => Some(Vec::new()),
            Some(text) => match unit_file::parse_unit(text) {
                Ok(options) => Some(options),
                Err(reason) => {
                    self.err(contents_path.clone(), Issue::InvalidUnitContent(reason));
                    None
                }
            },
        };
        if is_true(u.enabled)
            && !nil_or_empty(&u.contents)
            && let Some(options) = parsed
            && !options.iter().any(|o| o.section == "Install")
        {
            self.warn(contents_path, Issue::NoInstallSection(u.name.clone()));
        }
        for (i, d) in u.dropins.iter().enumerate() {
            self.dropin(d, &c.key("dropins").index(i));
        }
    }

    fn dropin(&mut self, d: &Dropin, c: &JsonPath) {
        if let Some(text) = d.contents.as_deref()
            && let Err(reason) = unit_file::parse_unit(text)
        {
            self.err(c.key("contents"), Issue::InvalidUnitContent(reason));
        }
        if gopath::ext(&d.name) != ".conf" {
            self.err(c.key("name"), Issue::InvalidSystemdDropinExt);
        }
    }

    // ---------------------------------------------------------------- duplicate-key walk

    fn dups<'k>(&mut self, seen: &mut HashSet<&'k str>, keys: impl Iterator<Item = &'k str>, c: &JsonPath) {
        for (i, key) in keys.enumerate() {
            if !seen.insert(key) {
                self.err(c.index(i), Issue::Duplicate);
            }
        }
    }

    fn dups_list<'k>(&mut self, keys: impl Iterator<Item = &'k str>, c: &JsonPath) {
        let mut seen = HashSet::new();
        self.dups(&mut seen, keys, c);
    }

    fn dups_config(&mut self, cfg: &Config, c: &JsonPath) {
        let ign = c.key("ignition");
        let config = ign.key("config");
        self.dups_list(cfg.ignition.config.merge.iter().map(resource_key), &config.key("merge"));
        for (i, res) in cfg.ignition.config.merge.iter().enumerate() {
            self.dups_resource(res, &config.key("merge").index(i));
        }
        self.dups_resource(&cfg.ignition.config.replace, &config.key("replace"));
        self.dups_list(
            cfg.ignition.proxy.no_proxy.iter().map(String::as_str),
            &ign.key("proxy").key("noProxy"),
        );
        let tls = ign.key("security").key("tls");
        let cas = &cfg.ignition.security.tls.certificate_authorities;
        self.dups_list(cas.iter().map(resource_key), &tls.key("certificateAuthorities"));
        for (i, res) in cas.iter().enumerate() {
            self.dups_resource(res, &tls.key("certificateAuthorities").index(i));
        }

        let kargs = c.key("kernelArguments");
        let mut seen = HashSet::new();
        self.dups(
            &mut seen,
            cfg.kernel_arguments.should_exist.iter().map(String::as_str),
            &kargs.key("shouldExist"),
        );
        self.dups(
            &mut seen,
            cfg.kernel_arguments.should_not_exist.iter().map(String::as_str),
            &kargs.key("shouldNotExist"),
        );

        let passwd = c.key("passwd");
        self.dups_list(cfg.passwd.groups.iter().map(|g| g.name.as_str()), &passwd.key("groups"));
        self.dups_list(cfg.passwd.users.iter().map(|u| u.name.as_str()), &passwd.key("users"));
        for (i, u) in cfg.passwd.users.iter().enumerate() {
            let here = passwd.key("users").index(i);
            self.dups_list(u.groups.iter().map(String::as_str), &here.key("groups"));
            self.dups_list(
                u.ssh_authorized_keys.iter().map(String::as_str),
                &here.key("sshAuthorizedKeys"),
            );
        }

        let st = &cfg.storage;
        let storage = c.key("storage");
        let mut nodes = HashSet::new();
        self.dups(
            &mut nodes,
            st.directories.iter().map(|d| d.path.as_str()),
            &storage.key("directories"),
        );
        self.dups_list(st.disks.iter().map(|d| d.device.as_str()), &storage.key("disks"));
        self.dups(
            &mut nodes,
            st.files.iter().map(|f| f.path.as_str()),
            &storage.key("files"),
        );
        self.dups_list(
            st.filesystems.iter().map(|f| f.device.as_str()),
            &storage.key("filesystems"),
        );
        self.dups(
            &mut nodes,
            st.links.iter().map(|l| l.path.as_str()),
            &storage.key("links"),
        );
        self.dups_list(st.luks.iter().map(|l| l.name.as_str()), &storage.key("luks"));
        self.dups_list(st.raid.iter().map(|r| r.name.as_str()), &storage.key("raid"));
        for (i, d) in st.disks.iter().enumerate() {
            let keys: Vec<String> = d.partitions.iter().map(partition_key).collect();
            self.dups_list(
                keys.iter().map(String::as_str),
                &storage.key("disks").index(i).key("partitions"),
            );
        }
        for (i, f) in st.files.iter().enumerate() {
            let here = storage.key("files").index(i);
            for (j, res) in f.append.iter().enumerate() {
                self.dups_resource(res, &here.key("append").index(j));
            }
            self.dups_resource(&f.contents, &here.key("contents"));
        }
        for (i, l) in st.luks.iter().enumerate() {
            let here = storage.key("luks").index(i);
            self.dups_list(l.open_options.iter().map(String::as_str), &here.key("openOptions"));
            self.dups_list(
                l.clevis.tang.iter().map(|t| t.url.as_str()),
                &here.key("clevis").key("tang"),
            );
            self.dups_resource(&l.key_file, &here.key("keyFile"));
        }
        for (i, r) in st.raid.iter().enumerate() {
            self.dups_list(
                r.devices.iter().map(String::as_str),
                &storage.key("raid").index(i).key("devices"),
            );
        }

        let units = c.key("systemd").key("units");
        self.dups_list(cfg.systemd.units.iter().map(|u| u.name.as_str()), &units);
        for (i, u) in cfg.systemd.units.iter().enumerate() {
            self.dups_list(
                u.dropins.iter().map(|d| d.name.as_str()),
                &units.index(i).key("dropins"),
            );
        }
    }

    fn dups_resource(&mut self, res: &Resource, c: &JsonPath) {
        self.dups_list(res.http_headers.iter().map(|h| h.name.as_str()), &c.key("httpHeaders"));
    }
}

fn resource_key(res: &Resource) -> &str {
    res.source.as_deref().unwrap_or("")
}

/// `Partition.Key()`.
fn partition_key(p: &Partition) -> String {
    if p.number != 0 {
        format!("number:{}", p.number)
    } else if let Some(label) = &p.label {
        format!("label:{label}")
    } else {
        String::new()
    }
}

fn clevis_present(c: &Clevis) -> bool {
    not_empty(&c.custom.pin) || !c.tang.is_empty() || is_true(c.tpm2) || c.threshold.is_some_and(|t| t != 0)
}

fn valid_unit_suffix(name: &str) -> bool {
    matches!(
        gopath::ext(name),
        ".service"
            | ".socket"
            | ".device"
            | ".mount"
            | ".automount"
            | ".swap"
            | ".target"
            | ".path"
            | ".timer"
            | ".snapshot"
            | ".slice"
            | ".scope"
    )
}

/// `Disk.partitionNumbersCollide`: the index of the second partition with a repeated non-zero
/// number. Go iterates a map here, so with several collisions the reported one is random; this
/// picks the number that appears first.
fn partition_numbers_collide(parts: &[Partition]) -> Option<usize> {
    let mut first_seen: Vec<(i64, Vec<usize>)> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if p.number == 0 {
            continue;
        }
        match first_seen.iter_mut().find(|(n, _)| *n == p.number) {
            Some((_, idx)) => idx.push(i),
            None => first_seen.push((p.number, vec![i])),
        }
    }
    first_seen
        .into_iter()
        .find(|(_, idx)| idx.len() > 1)
        .map(|(_, idx)| idx[1])
}

/// `Partition.end()` with Go's wrapping `int` arithmetic.
fn partition_end(start: i64, size: i64) -> i64 {
    if size == 0 {
        start
    } else {
        start.wrapping_add(size).wrapping_sub(1)
    }
}

/// `Disk.partitionsOverlap`.
fn partitions_overlap(parts: &[Partition]) -> Option<usize> {
    for (pi, p) in parts.iter().enumerate() {
        let (Some(p_start), Some(p_size)) = (p.start_mib, p.size_mib) else {
            continue;
        };
        if p_start == 0 {
            continue;
        }
        let p_end = partition_end(p_start, p_size);
        for (oi, o) in parts.iter().enumerate() {
            let (Some(o_start), Some(o_size)) = (o.start_mib, o.size_mib) else {
                continue;
            };
            if oi == pi || o_start == 0 {
                continue;
            }
            let o_end = partition_end(o_start, o_size);
            if (p_start >= o_start && p_start <= o_end)
                || (p_end >= o_start && p_end <= o_end)
                || (p_start < o_start && p_end > o_end)
            {
                return Some(oi);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_templates_follow_the_go_regexp() {
        assert_eq!(instance_template("foo@bar.service").as_deref(), Some("foo@.service"));
        assert_eq!(instance_template("a@b@c.service").as_deref(), Some("a@.service"));
        assert_eq!(instance_template("foo@.service"), None);
        assert_eq!(instance_template("@bar.service"), None);
        assert_eq!(instance_template("foo@bar.socket"), None);
    }

    #[test]
    fn guid_regexp() {
        assert!(guid_ok(""));
        assert!(guid_ok("0FC63DAF-8483-4772-8E79-3D69D8477DE4"));
        assert!(!guid_ok("0FC63DAF-8483-4772-8E79-3D69D8477DE"));
        assert!(!guid_ok("not-a-guid"));
    }
}
