//! Validation reports and parse errors: what went wrong, where (a JSON path such as
//! `$.storage.files.0.path`), and how serious it is.
//!
//! The messages of [`Issue`] are Ignition's own error texts (from `config/shared/errors`), so an
//! operator who searches for them finds the upstream documentation and bug reports. The paths use
//! the same notation as Ignition's `vcontext` reports: `$`, then one `.`-separated segment per
//! object key or array index. This module does not decide anything; it only describes.

use std::fmt;

/// How serious a report entry is. Only [`Severity::Error`] makes a config invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The config is rejected.
    Error,
    /// The config is accepted, but something is probably not what the author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One step of a [`JsonPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// An object key, spelled as the JSON field name (`files`, `path`).
    Key(String),
    /// An array index, counted from 0.
    Index(usize),
}

/// The location of a value inside the config, e.g. `$.storage.files.0.path`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(pub Vec<PathSegment>);

impl JsonPath {
    /// The document root, `$`.
    pub fn root() -> Self {
        JsonPath(Vec::new())
    }

    /// This path extended by an object key.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_owned()));
        JsonPath(segments)
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Index(index));
        JsonPath(segments)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, ".{index}")?,
            }
        }
        Ok(())
    }
}

/// Everything Ignition's validation can say about one field. The `Display` text is Ignition's
/// message, word for word.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Issue {
    /// Two entries of a list (or of lists that share a namespace, such as files, directories and
    /// links) have the same key.
    #[error("duplicate entry defined")]
    Duplicate,
    /// A JSON key that this spec version does not know; the value is dropped.
    #[error("Unused key {0}")]
    UnusedKey(String),
    /// A struct-typed field was given `null`, so unknown keys below it cannot be reported.
    #[error(
        "context tree does not match content tree at {0}. Line and column reporting may be inconsistent. Unused keys may not be reported."
    )]
    ContextTreeMismatch(String),
    #[error("file path includes link in config")]
    FileUsedSymlink,
    #[error("directory path includes link in config")]
    DirectoryUsedSymlink,
    #[error("link path includes link in config")]
    LinkUsedSymlink,
    #[error("link target is required")]
    LinkTargetRequired,
    #[error("hard link target is a directory")]
    HardLinkToDirectory,
    #[error("user/group ignored for hard link")]
    HardLinkSpecifiesOwner,
    #[error("disk device is required")]
    DiskDeviceRequired,
    #[error("partition numbers collide")]
    PartitionNumbersCollide,
    #[error("partitions overlap")]
    PartitionsOverlap,
    #[error("overwrite must be false if source is unspecified")]
    OverwriteAndNilSource,
    #[error("source must be specified if verification is specified")]
    VerificationAndNilSource,
    #[error("invalid filesystem format")]
    FilesystemInvalidFormat,
    #[error("filesystem must specify format if label is specified")]
    LabelNeedsFormat,
    #[error("format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified")]
    FormatNilWithOthers,
    #[error("filesystem labels cannot be longer than 16 characters when using ext4")]
    Ext4LabelTooLong,
    #[error("filesystem labels cannot be longer than 256 characters when using btrfs")]
    BtrfsLabelTooLong,
    #[error("filesystem labels cannot be longer than 12 characters when using xfs")]
    XfsLabelTooLong,
    #[error("filesystem labels cannot be longer than 15 characters when using swap")]
    SwapLabelTooLong,
    #[error("filesystem labels cannot be longer than 11 characters when using vfat")]
    VfatLabelTooLong,
    #[error("luks device labels cannot be longer than 47 characters")]
    LuksLabelTooLong,
    #[error("device names cannot contain slashes")]
    LuksNameContainsSlash,
    #[error("invalid key-file source")]
    InvalidLuksKeyFile,
    #[error("missing required custom clevis pin")]
    ClevisPinRequired,
    #[error("unsupported clevis pin")]
    UnknownClevisPin,
    #[error("missing required custom clevis config")]
    ClevisConfigRequired,
    #[error("cannot use custom clevis config with tpm2, tang, or threshold")]
    ClevisCustomWithOthers,
    #[error("thumbprint is required")]
    TangThumbprintRequired,
    #[error("advertisement is not valid JSON")]
    InvalidTangAdvertisement,
    #[error("cannot use cex with clevis")]
    CexWithClevis,
    #[error("cannot use key file with cex")]
    CexWithKeyFile,
    #[error("illegal file mode")]
    FileIllegalMode,
    #[error("setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0")]
    ModeSpecialBits,
    #[error("cannot set both id and name")]
    BothIdAndNameSet,
    #[error("partition labels may not exceed 36 characters")]
    PartitionLabelTooLong,
    #[error("doesn't match the form \"01234567-89AB-CDEF-EDCB-A98765432101\"")]
    DoesntMatchGuidRegex,
    #[error("partition label will be truncated to text before the colon")]
    LabelContainsColon,
    #[error("path not specified")]
    NoPath,
    #[error("path not absolute")]
    PathRelative,
    #[error("path is not fully simplified")]
    DirtyPath,
    #[error("filesystem overwrites partitioned device")]
    PartitionsOverwritten,
    #[error("device matches disk with wipeTable enabled; filesystem will be wiped")]
    FilesystemImplicitWipe,
    #[error("raid level is required")]
    RaidLevelRequired,
    #[error("spares unsupported for linear and raid0 arrays")]
    SparesUnsupportedForLevel,
    #[error("unrecognized raid level")]
    UnrecognizedRaidLevel,
    #[error("raid devices required")]
    RaidDevicesRequired,
    #[error("shouldExist specified false with other options also specified")]
    ShouldNotExistWithOthers,
    #[error("shouldExist is false for a partition and other partition(s) has start or size 0")]
    ZeroesWithShouldNotExist,
    #[error("a partition number >= 1 or a label must be specified")]
    NeedLabelOrNumber,
    #[error("cannot use the same partition label twice")]
    DuplicateLabels,
    #[error("proxies must be http(s)")]
    InvalidProxy,
    #[error("insecure plaintext HTTP proxy specified for HTTPS resources")]
    InsecureProxy,
    #[error("path conflicts with systemd unit or dropin")]
    PathConflictsSystemd,
    #[error("invalid systemd unit extension")]
    InvalidSystemdExt,
    #[error("invalid systemd drop-in extension")]
    InvalidSystemdDropinExt,
    /// The unit or drop-in text is not a parseable systemd unit file; the payload is the parser's
    /// reason.
    #[error("invalid unit content: {0}")]
    InvalidUnitContent(String),
    #[error("unit {0:?} is enabled, but has no install section so enable does nothing")]
    NoInstallSection(String),
    #[error("template unit {instantiable:?} for {instance:?} doesn't have Install section")]
    NoInstallSectionForInstantiableUnit { instantiable: String, instance: String },
    #[error("source is required")]
    SourceRequired,
    #[error("invalid url scheme")]
    InvalidScheme,
    #[error("unable to parse url")]
    InvalidUrl,
    /// A `data:` URL that the RFC 2397 parser Ignition uses rejects; the payload is its reason.
    #[error("{0}")]
    InvalidDataUrl(String),
    #[error("unable to parse HTTP header")]
    InvalidHttpHeader,
    #[error("HTTP header name can't be empty")]
    EmptyHttpHeaderName,
    #[error("cannot use HTTP headers with this source scheme")]
    UnsupportedSchemeForHttpHeaders,
    #[error("malformed hash specifier")]
    HashMalformed,
    #[error("incorrect size for hash sum")]
    HashWrongSize,
    #[error("unrecognized hash function")]
    HashUnrecognized,
    #[error("invalid S3 ARN format")]
    InvalidS3Arn,
    #[error("invalid S3 object VersionId")]
    InvalidS3ObjectVersionId,
    #[error("invalid compression method")]
    CompressionInvalid,
}

/// One finding: where, how serious, and what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// Whether this entry rejects the config.
    pub severity: Severity,
    /// The offending field.
    pub path: JsonPath,
    /// What is wrong with it.
    pub issue: Issue,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.issue)
    }
}

/// All findings of one parse, in the order Ignition reports them: field validation first, then
/// duplicate checks, then unknown keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The findings.
    pub entries: Vec<Entry>,
}

impl Report {
    /// True if any entry is an error.
    pub fn is_fatal(&self) -> bool {
        self.entries.iter().any(|e| e.severity == Severity::Error)
    }

    /// The error entries.
    pub fn errors(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.severity == Severity::Error)
    }

    /// The warning entries.
    pub fn warnings(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.severity == Severity::Warning)
    }

    pub(crate) fn error(&mut self, path: JsonPath, issue: Issue) {
        self.entries.push(Entry {
            severity: Severity::Error,
            path,
            issue,
        });
    }

    pub(crate) fn warn(&mut self, path: JsonPath, issue: Issue) {
        self.entries.push(Entry {
            severity: Severity::Warning,
            path,
            issue,
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{} at {}", entry.severity, entry)?;
        }
        Ok(())
    }
}

/// Why a config could not be parsed. Every variant's message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input has no bytes at all (Ignition: "not a config (empty)").
    #[error("not a config (empty): the Ignition file has no content; write a JSON Ignition config into it")]
    Empty,
    /// The input is not JSON (Ignition: "config is not valid").
    #[error(
        "config is not valid: the Ignition file is not valid JSON ({message} at byte offset {offset}); fix the JSON syntax"
    )]
    Syntax {
        /// Byte offset of the first offending character (or the input length for a truncated
        /// document).
        offset: usize,
        /// What the JSON scanner expected.
        message: String,
    },
    /// A value has the wrong JSON type for its field, e.g. a string where a number belongs
    /// (Ignition: "config is not valid").
    #[error("config is not valid: {path}: {message}; change the value to the expected type")]
    Type {
        /// The offending field.
        path: JsonPath,
        /// Expected and found types.
        message: String,
    },
    /// `ignition.version` is missing or not a semantic version (Ignition: "invalid config version
    /// (couldn't parse)").
    #[error(
        "invalid config version (couldn't parse): ignition.version is {found:?}; set it to a spec version such as \"3.4.0\""
    )]
    InvalidVersion {
        /// The version string found (empty when missing).
        found: String,
    },
    /// `ignition.version` parses but is not a spec this entry point accepts, e.g. 2.x or a newer
    /// 3.x (Ignition: "unsupported config version").
    #[error(
        "unsupported config version: ignition.version {found:?} is not accepted here; use a spec version from 3.0.0 to {newest}"
    )]
    UnsupportedVersion {
        /// The version string found.
        found: String,
        /// The newest spec version this entry point accepts.
        newest: &'static str,
    },
    /// The config parsed but failed validation (Ignition: "config is not valid").
    #[error("config is not valid: {report}; fix the fields listed")]
    Invalid {
        /// Every finding, errors and warnings.
        report: Report,
    },
}

impl ParseError {
    /// The validation report, if the failure came from validation.
    pub fn report(&self) -> Option<&Report> {
        match self {
            ParseError::Invalid { report } => Some(report),
            _ => None,
        }
    }
}
