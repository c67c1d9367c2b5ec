//! Every rejection Ignition's v3_4 `ParseCompatibleVersion` makes must name the offending field
//! with Ignition's message, and warnings must not reject a config.

use ignition::{Issue, ParseError, Severity, parse_compatible_v3_4, parse_native};

/// A 3.4 config with `body` (object members, without braces) after the version.
fn v34(body: &str) -> String {
    if body.is_empty() {
        r#"{"ignition":{"version":"3.4.0"}}"#.to_owned()
    } else {
        format!(r#"{{"ignition":{{"version":"3.4.0"}},{body}}}"#)
    }
}

fn with_version(version: &str, body: &str) -> String {
    format!(r#"{{"ignition":{{"version":"{version}"}},{body}}}"#)
}

/// Asserts that `config` is rejected with `issue` at `path` (among possibly other errors).
#[track_caller]
fn rejects(config: &str, path: &str, issue: Issue) {
    match parse_compatible_v3_4(config.as_bytes()) {
        Err(ParseError::Invalid { report }) => {
            let found = report.errors().any(|e| e.path.to_string() == path && e.issue == issue);
            assert!(found, "expected error `{path}: {issue}` in: {report}\nconfig: {config}");
            let text = ParseError::Invalid { report: report.clone() }.to_string();
            assert!(text.contains(&format!("{path}: {issue}")), "{text}");
        }
        other => panic!("expected a validation failure for {config}, got {other:?}"),
    }
}

/// Asserts that `config` parses and carries `issue` at `path` as a warning.
#[track_caller]
fn warns(config: &str, path: &str, issue: Issue) {
    let parsed = parse_compatible_v3_4(config.as_bytes()).unwrap_or_else(|e| panic!("{config}: {e}"));
    let found = parsed
        .report
        .entries
        .iter()
        .any(|e| e.severity == Severity::Warning && e.path.to_string() == path && e.issue == issue);
    assert!(found, "expected warning `{path}: {issue}` in {:?}", parsed.report);
}

#[test]
fn fatal_parse_failures() {
    assert_eq!(parse_compatible_v3_4(b""), Err(ParseError::Empty));
    assert!(matches!(parse_compatible_v3_4(b"{"), Err(ParseError::Syntax { .. })));
    assert!(matches!(
        parse_compatible_v3_4(b"not json"),
        Err(ParseError::Syntax { .. })
    ));
    assert!(matches!(
        parse_compatible_v3_4(b"{} {}"),
        Err(ParseError::Syntax { .. })
    ));
    // Version problems.
    for (config, found) in [
        (r#"{}"#, ""),
        (r#"{"ignition":{}}"#, ""),
        (r#"null"#, ""),
        (r#"{"ignition":{"version":null}}"#, ""),
        (r#"{"ignition":{"version":"three"}}"#, "three"),
        (r#"{"ignition":{"version":"3.4"}}"#, "3.4"),
    ] {
        assert_eq!(
            parse_compatible_v3_4(config.as_bytes()),
            Err(ParseError::InvalidVersion {
                found: found.to_owned()
            }),
            "{config}"
        );
    }
    for version in [
        "2.2.0",
        "2.3.0",
        "3.5.0",
        "3.6.0",
        "3.4.1",
        "3.4.0-experimental",
        "3.4.0+build",
        "4.0.0",
        "1.0.0",
    ] {
        let config = with_version(version, r#""passwd":{}"#);
        assert_eq!(
            parse_compatible_v3_4(config.as_bytes()),
            Err(ParseError::UnsupportedVersion {
                found: version.to_owned(),
                newest: "3.4.0"
            }),
            "{version}"
        );
    }
    // 3.5 and 3.6 are accepted only by the native parser; 3.7 by neither.
    assert!(parse_native(with_version("3.5.0", r#""passwd":{}"#).as_bytes()).is_ok());
    assert!(parse_native(with_version("3.6.0", r#""passwd":{}"#).as_bytes()).is_ok());
    assert!(matches!(
        parse_native(with_version("3.7.0", r#""passwd":{}"#).as_bytes()),
        Err(ParseError::UnsupportedVersion { newest: "3.6.0", .. })
    ));
}

#[test]
fn type_mismatches_name_the_field() {
    for (config, path) in [
        (r#"[]"#, "$"),
        (r#"{"ignition":"3.4.0"}"#, "$.ignition"),
        (r#"{"ignition":{"version":3.4}}"#, "$.ignition.version"),
        (
            &v34(r#""storage":{"files":[{"path":"/a","mode":"0644"}]}"#),
            "$.storage.files.0.mode",
        ),
        (
            &v34(r#""storage":{"files":[{"path":"/a","mode":420.0}]}"#),
            "$.storage.files.0.mode",
        ),
        (
            &v34(r#""storage":{"files":[{"path":"/a","mode":1e3}]}"#),
            "$.storage.files.0.mode",
        ),
        (
            &v34(r#""storage":{"files":[{"path":"/a","mode":99999999999999999999}]}"#),
            "$.storage.files.0.mode",
        ),
        (&v34(r#""storage":{"files":{"path":"/a"}}"#), "$.storage.files"),
        (
            &v34(r#""systemd":{"units":[{"name":"a.service","enabled":"yes"}]}"#),
            "$.systemd.units.0.enabled",
        ),
        (&v34(r#""passwd":{"users":[{"name":5}]}"#), "$.passwd.users.0.name"),
    ] {
        match parse_compatible_v3_4(config.as_bytes()) {
            Err(ParseError::Type { path: p, .. }) => assert_eq!(p.to_string(), path, "{config}"),
            other => panic!("expected a type error at {path} for {config}, got {other:?}"),
        }
    }
    // A type error in an older spec's field is reported too, before validation.
    let config = with_version("3.1.0", r#""storage":{"links":[{"path":"/a","target":7}]}"#);
    assert!(matches!(
        parse_compatible_v3_4(config.as_bytes()),
        Err(ParseError::Type { .. })
    ));
}

#[test]
fn paths_must_be_absolute_and_clean() {
    rejects(
        &v34(r#""storage":{"files":[{"path":"etc/a"}]}"#),
        "$.storage.files.0.path",
        Issue::PathRelative,
    );
    rejects(
        &v34(r#""storage":{"files":[{"path":""}]}"#),
        "$.storage.files.0.path",
        Issue::NoPath,
    );
    rejects(
        &v34(r#""storage":{"directories":[{"path":"/a/../b"}]}"#),
        "$.storage.directories.0.path",
        Issue::DirtyPath,
    );
    rejects(
        &v34(r#""storage":{"links":[{"path":"/a/","target":"/b"}]}"#),
        "$.storage.links.0.path",
        Issue::DirtyPath,
    );
    rejects(
        &v34(r#""storage":{"disks":[{"device":"vda"}]}"#),
        "$.storage.disks.0.device",
        Issue::PathRelative,
    );
    rejects(
        &v34(r#""storage":{"disks":[{"device":""}]}"#),
        "$.storage.disks.0.device",
        Issue::DiskDeviceRequired,
    );
    rejects(
        &v34(r#""storage":{"filesystems":[{"device":"/dev/a","format":"ext4","path":"mnt"}]}"#),
        "$.storage.filesystems.0.path",
        Issue::PathRelative,
    );
    rejects(
        &v34(r#""storage":{"raid":[{"name":"md","level":"raid1","devices":["sdb"]}]}"#),
        "$.storage.raid.0.devices.0",
        Issue::PathRelative,
    );
}

#[test]
fn duplicates_across_files_directories_and_links() {
    rejects(
        &v34(r#""storage":{"directories":[{"path":"/a"}],"files":[{"path":"/a"}]}"#),
        "$.storage.files.0",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""storage":{"files":[{"path":"/a"}],"links":[{"path":"/a","target":"/b"}]}"#),
        "$.storage.links.0",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""storage":{"files":[{"path":"/a"},{"path":"/a"}]}"#),
        "$.storage.files.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""passwd":{"users":[{"name":"core"},{"name":"core"}]}"#),
        "$.passwd.users.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""passwd":{"groups":[{"name":"g"},{"name":"g"}]}"#),
        "$.passwd.groups.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""passwd":{"users":[{"name":"core","sshAuthorizedKeys":["k","k"]}]}"#),
        "$.passwd.users.0.sshAuthorizedKeys.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""systemd":{"units":[{"name":"a.service"},{"name":"a.service"}]}"#),
        "$.systemd.units.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""systemd":{"units":[{"name":"a.service","dropins":[{"name":"x.conf"},{"name":"x.conf"}]}]}"#),
        "$.systemd.units.0.dropins.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""storage":{"disks":[{"device":"/dev/a"},{"device":"/dev/a"}]}"#),
        "$.storage.disks.1",
        Issue::Duplicate,
    );
    rejects(
        &v34(r#""kernelArguments":{"shouldExist":["a"],"shouldNotExist":["a"]}"#),
        "$.kernelArguments.shouldNotExist.0",
        Issue::Duplicate,
    );
    rejects(
        r#"{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"http://a/x"},{"source":"http://a/x"}]}}}"#,
        "$.ignition.config.merge.1",
        Issue::Duplicate,
    );
}

#[test]
fn links_and_symlink_shadowing() {
    rejects(
        &v34(r#""storage":{"links":[{"path":"/a"}]}"#),
        "$.storage.links.0.target",
        Issue::LinkTargetRequired,
    );
    rejects(
        &v34(r#""storage":{"links":[{"path":"/a","target":"/b"}],"files":[{"path":"/a/f"}]}"#),
        "$.storage.files.0",
        Issue::FileUsedSymlink,
    );
    rejects(
        &v34(r#""storage":{"links":[{"path":"/a","target":"/b"}],"directories":[{"path":"/a/d"}]}"#),
        "$.storage.directories.0",
        Issue::DirectoryUsedSymlink,
    );
    rejects(
        &v34(r#""storage":{"directories":[{"path":"/d"}],"links":[{"path":"/l","target":"/d","hard":true}]}"#),
        "$.storage.links.0",
        Issue::HardLinkToDirectory,
    );
    warns(
        &v34(r#""storage":{"links":[{"path":"/l","target":"/t","hard":true,"user":{"id":0}}]}"#),
        "$.storage.links.0.user.id",
        Issue::HardLinkSpecifiesOwner,
    );
    rejects(
        &v34(
            r#""storage":{"files":[{"path":"/etc/systemd/system/a.service"}]},"systemd":{"units":[{"name":"a.service","contents":"[Unit]\n"}]}"#,
        ),
        "$.storage.files.0.path",
        Issue::PathConflictsSystemd,
    );
}

#[test]
fn resource_sources_hashes_and_compression() {
    let file = |contents: &str| {
        v34(&format!(
            r#""storage":{{"files":[{{"path":"/f","contents":{contents}}}]}}"#
        ))
    };
    rejects(
        &file(r#"{"source":"ftp://example.com/x"}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidScheme,
    );
    rejects(
        &file(r#"{"source":"http://exa mple.com/x"}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidUrl,
    );
    rejects(
        &file(r#"{"source":"http://h/%zz"}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidUrl,
    );
    rejects(
        &file(r#"{"source":"s3://b/k?versionId="}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidS3ObjectVersionId,
    );
    rejects(
        &file(r#"{"source":"arn:aws:s3:::bucket"}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidS3Arn,
    );
    rejects(
        &file(r#"{"source":"data:;base64,abc"}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidDataUrl("illegal base64 data".to_owned()),
    );
    rejects(
        &file(r#"{"source":"data:,a b"}"#),
        "$.storage.files.0.contents.source",
        Issue::InvalidDataUrl("invalid data character".to_owned()),
    );
    rejects(
        &file(r#"{"source":"data:,x","compression":"bzip2"}"#),
        "$.storage.files.0.contents.compression",
        Issue::CompressionInvalid,
    );
    rejects(
        &file(r#"{"verification":{"hash":"sha512-00"}}"#),
        "$.storage.files.0.contents.verification.hash",
        Issue::VerificationAndNilSource,
    );
    rejects(
        &file(r#"{"source":"data:,x","verification":{"hash":"sha512"}}"#),
        "$.storage.files.0.contents.verification.hash",
        Issue::HashMalformed,
    );
    rejects(
        &file(r#"{"source":"data:,x","verification":{"hash":"md5-00"}}"#),
        "$.storage.files.0.contents.verification.hash",
        Issue::HashUnrecognized,
    );
    rejects(
        &file(r#"{"source":"data:,x","verification":{"hash":"sha256-00"}}"#),
        "$.storage.files.0.contents.verification.hash",
        Issue::HashWrongSize,
    );
    rejects(
        &file(r#"{"source":"tftp://h/x","httpHeaders":[{"name":"A","value":"b"}]}"#),
        "$.storage.files.0.contents.httpHeaders",
        Issue::UnsupportedSchemeForHttpHeaders,
    );
    rejects(
        &file(r#"{"source":"http://h/x","httpHeaders":[{"name":"","value":"b"}]}"#),
        "$.storage.files.0.contents.httpHeaders.0.name",
        Issue::EmptyHttpHeaderName,
    );
    rejects(
        &file(r#"{"source":"http://h/x","httpHeaders":[{"name":"A","value":""}]}"#),
        "$.storage.files.0.contents.httpHeaders.0.value",
        Issue::InvalidHttpHeader,
    );
    rejects(
        &v34(r#""storage":{"files":[{"path":"/f","overwrite":true}]}"#),
        "$.storage.files.0.overwrite",
        Issue::OverwriteAndNilSource,
    );
    // The scheme list depends on the spec: gs:// only from 3.2, arn: only from 3.4.
    let gs = |version: &str| {
        with_version(
            version,
            r#""storage":{"files":[{"path":"/f","contents":{"source":"gs://b/o"}}]}"#,
        )
    };
    rejects(&gs("3.1.0"), "$.storage.files.0.contents.source", Issue::InvalidScheme);
    assert!(parse_compatible_v3_4(gs("3.2.0").as_bytes()).is_ok());
    // 3.0 knows only sha512.
    let sha256 = format!(
        r#""storage":{{"files":[{{"path":"/f","contents":{{"source":"data:,x","verification":{{"hash":"sha256-{}"}}}}}}]}}"#,
        "0".repeat(64)
    );
    rejects(
        &with_version("3.0.0", &sha256),
        "$.storage.files.0.contents.verification.hash",
        Issue::HashUnrecognized,
    );
    assert!(parse_compatible_v3_4(with_version("3.1.0", &sha256).as_bytes()).is_ok());
}

#[test]
fn ignition_config_proxy_and_tls() {
    let ign = |inner: &str| format!(r#"{{"ignition":{{"version":"3.4.0",{inner}}}}}"#);
    rejects(
        &ign(r#""config":{"merge":[{"verification":{}}]}"#),
        "$.ignition.config.merge.0",
        Issue::SourceRequired,
    );
    rejects(
        &ign(r#""config":{"merge":[{"source":"ftp://x/y"}]}"#),
        "$.ignition.config.merge.0",
        Issue::InvalidScheme,
    );
    rejects(
        &ign(r#""config":{"replace":{"source":"ftp://x/y"}}"#),
        "$.ignition.config.replace.source",
        Issue::InvalidScheme,
    );
    rejects(
        &ign(r#""security":{"tls":{"certificateAuthorities":[{}]}}"#),
        "$.ignition.security.tls.certificateAuthorities.0",
        Issue::SourceRequired,
    );
    rejects(
        &ign(r#""security":{"tls":{"certificateAuthorities":[{"source":"nope://x"}]}}"#),
        "$.ignition.security.tls.certificateAuthorities.0.source",
        Issue::InvalidScheme,
    );
    rejects(
        &ign(r#""proxy":{"httpProxy":"socks5://p:1080"}"#),
        "$.ignition.proxy.httpProxy",
        Issue::InvalidProxy,
    );
    rejects(
        &ign(r#""proxy":{"httpsProxy":"http://[::1"}"#),
        "$.ignition.proxy.httpsProxy",
        Issue::InvalidUrl,
    );
    warns(
        &ign(r#""proxy":{"httpsProxy":"http://p:3128"}"#),
        "$.ignition.proxy.httpsProxy",
        Issue::InsecureProxy,
    );
    // 3.0 CA references use 3.0's rules: the source is checked as a URL directly.
    rejects(
        r#"{"ignition":{"version":"3.0.0","security":{"tls":{"certificateAuthorities":[{"source":""}]}}}}"#,
        "$.ignition.security.tls.certificateAuthorities.0.source",
        Issue::InvalidScheme,
    );
}

#[test]
fn modes() {
    rejects(
        &v34(r#""storage":{"files":[{"path":"/f","mode":4096}]}"#),
        "$.storage.files.0.mode",
        Issue::FileIllegalMode,
    );
    rejects(
        &v34(r#""storage":{"directories":[{"path":"/d","mode":-1}]}"#),
        "$.storage.directories.0.mode",
        Issue::FileIllegalMode,
    );
    warns(
        &v34(r#""storage":{"files":[{"path":"/f","mode":2541}]}"#),
        "$.storage.files.0.mode",
        Issue::ModeSpecialBits,
    );
    // Not masked when translating to 3.4 (Ignition >= 2.2x keeps the bits; only 3.6 masks).
    let parsed =
        parse_compatible_v3_4(with_version("3.3.0", r#""storage":{"files":[{"path":"/f","mode":2541}]}"#).as_bytes())
            .unwrap();
    assert_eq!(parsed.config.storage.files[0].mode, Some(2541));
}

#[test]
fn systemd_units_and_dropins() {
    rejects(
        &v34(r#""systemd":{"units":[{"name":"docker"}]}"#),
        "$.systemd.units.0.name",
        Issue::InvalidSystemdExt,
    );
    rejects(
        &v34(r#""systemd":{"units":[{"name":"a.conf"}]}"#),
        "$.systemd.units.0.name",
        Issue::InvalidSystemdExt,
    );
    rejects(
        &v34(r#""systemd":{"units":[{"name":"a.service","dropins":[{"name":"x.txt"}]}]}"#),
        "$.systemd.units.0.dropins.0.name",
        Issue::InvalidSystemdDropinExt,
    );
    rejects(
        &v34(r#""systemd":{"units":[{"name":"a.service","contents":"[Unit"}]}"#),
        "$.systemd.units.0.contents",
        Issue::InvalidUnitContent("unable to find end of section".to_owned()),
    );
    rejects(
        &v34(
            r#""systemd":{"units":[{"name":"a.service","dropins":[{"name":"x.conf","contents":"[Service]\nBroken\n"}]}]}"#,
        ),
        "$.systemd.units.0.dropins.0.contents",
        Issue::InvalidUnitContent("unexpected newline encountered while parsing option name".to_owned()),
    );
    warns(
        &v34(
            r#""systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Service]\nExecStart=/bin/true\n"}]}"#,
        ),
        "$.systemd.units.0.contents",
        Issue::NoInstallSection("a.service".to_owned()),
    );
    warns(
        &v34(
            r#""systemd":{"units":[{"name":"t@.service","contents":"[Service]\nExecStart=/bin/true\n"},{"name":"t@x.service","enabled":true}]}"#,
        ),
        "$.systemd.units.1.contents",
        Issue::NoInstallSectionForInstantiableUnit {
            instantiable: "t@.service".to_owned(),
            instance: "t@x.service".to_owned(),
        },
    );
}

#[test]
fn filesystems() {
    let fs = |body: &str| {
        v34(&format!(
            r#""storage":{{"filesystems":[{{"device":"/dev/a",{body}}}]}}"#
        ))
    };
    rejects(
        &fs(r#""format":"ntfs""#),
        "$.storage.filesystems.0.format",
        Issue::FilesystemInvalidFormat,
    );
    rejects(
        &fs(r#""path":"/mnt""#),
        "$.storage.filesystems.0.format",
        Issue::FormatNilWithOthers,
    );
    rejects(
        &fs(r#""label":"x""#),
        "$.storage.filesystems.0.label",
        Issue::LabelNeedsFormat,
    );
    rejects(
        &fs(r#""format":"xfs","label":"thirteen-char""#),
        "$.storage.filesystems.0.label",
        Issue::XfsLabelTooLong,
    );
    rejects(
        &fs(r#""format":"vfat","label":"twelve-chars""#),
        "$.storage.filesystems.0.label",
        Issue::VfatLabelTooLong,
    );
    // `none` exists from 3.3.
    let none = |version: &str| {
        with_version(
            version,
            r#""storage":{"filesystems":[{"device":"/dev/a","format":"none"}]}"#,
        )
    };
    rejects(
        &none("3.2.0"),
        "$.storage.filesystems.0.format",
        Issue::FilesystemInvalidFormat,
    );
    assert!(parse_compatible_v3_4(none("3.3.0").as_bytes()).is_ok());
    warns(
        &v34(
            r#""storage":{"disks":[{"device":"/dev/a","partitions":[{"number":1}]}],"filesystems":[{"device":"/dev/a","format":"ext4"}]}"#,
        ),
        "$.storage.filesystems.0.device",
        Issue::PartitionsOverwritten,
    );
}

#[test]
fn partitions() {
    let disk = |parts: &str| {
        v34(&format!(
            r#""storage":{{"disks":[{{"device":"/dev/a","partitions":{parts}}}]}}"#
        ))
    };
    rejects(
        &disk(r#"[{"sizeMiB":1}]"#),
        "$.storage.disks.0.partitions.0",
        Issue::NeedLabelOrNumber,
    );
    rejects(
        &disk(r#"[{"number":1},{"number":1,"label":"b"}]"#),
        "$.storage.disks.0.partitions.1",
        Issue::PartitionNumbersCollide,
    );
    rejects(
        &disk(r#"[{"number":1,"startMiB":1,"sizeMiB":10},{"number":2,"startMiB":5,"sizeMiB":10}]"#),
        "$.storage.disks.0.partitions.1",
        Issue::PartitionsOverlap,
    );
    rejects(
        &disk(r#"[{"number":1,"shouldExist":false,"sizeMiB":5}]"#),
        "$.storage.disks.0.partitions.0",
        Issue::ShouldNotExistWithOthers,
    );
    rejects(
        &disk(r#"[{"number":1,"shouldExist":false},{"label":"x"}]"#),
        "$.storage.disks.0.partitions",
        Issue::ZeroesWithShouldNotExist,
    );
    rejects(
        &disk(r#"[{"label":"x","number":1},{"label":"x","number":2}]"#),
        "$.storage.disks.0.partitions.1",
        Issue::DuplicateLabels,
    );
    rejects(
        &disk(r#"[{"number":1,"label":"a:b"}]"#),
        "$.storage.disks.0.partitions.0.label",
        Issue::LabelContainsColon,
    );
    rejects(
        &disk(&format!(r#"[{{"number":1,"label":"{}"}}]"#, "x".repeat(37))),
        "$.storage.disks.0.partitions.0.label",
        Issue::PartitionLabelTooLong,
    );
    rejects(
        &disk(r#"[{"number":1,"typeGuid":"nope"}]"#),
        "$.storage.disks.0.partitions.0.typeGuid",
        Issue::DoesntMatchGuidRegex,
    );
}

#[test]
fn luks_tang_and_clevis() {
    let luks = |body: &str| v34(&format!(r#""storage":{{"luks":[{{"name":"l",{body}}}]}}"#));
    rejects(
        &luks(r#""label":"x""#),
        "$.storage.luks.0.device",
        Issue::DiskDeviceRequired,
    );
    rejects(
        &v34(r#""storage":{"luks":[{"name":"a/b","device":"/dev/a"}]}"#),
        "$.storage.luks.0.name",
        Issue::LuksNameContainsSlash,
    );
    rejects(
        &luks(r#""device":"/dev/a","keyFile":{"source":"ftp://x"}"#),
        "$.storage.luks.0.keys",
        Issue::InvalidLuksKeyFile,
    );
    rejects(
        &luks(r#""device":"/dev/a","clevis":{"tang":[{"url":"ftp://t","thumbprint":"x"}]}"#),
        "$.storage.luks.0.clevis.tang.0.url",
        Issue::InvalidScheme,
    );
    rejects(
        &luks(r#""device":"/dev/a","clevis":{"tang":[{"url":"http://t"}]}"#),
        "$.storage.luks.0.clevis.tang.0.thumbprint",
        Issue::TangThumbprintRequired,
    );
    rejects(
        &luks(
            r#""device":"/dev/a","clevis":{"tang":[{"url":"http://t","thumbprint":"x","advertisement":"{not json"}]}"#,
        ),
        "$.storage.luks.0.clevis.tang.0.advertisement",
        Issue::InvalidTangAdvertisement,
    );
    rejects(
        &luks(r#""device":"/dev/a","clevis":{"custom":{"pin":"tpm2","config":"{}"},"tpm2":true}"#),
        "$.storage.luks.0.clevis",
        Issue::ClevisCustomWithOthers,
    );
    rejects(
        &luks(r#""device":"/dev/a","clevis":{"custom":{"pin":"magic","config":"{}"}}"#),
        "$.storage.luks.0.clevis.custom.pin",
        Issue::UnknownClevisPin,
    );
    rejects(
        &luks(r#""device":"/dev/a","clevis":{"custom":{"config":"{}"}}"#),
        "$.storage.luks.0.clevis.custom.pin",
        Issue::ClevisPinRequired,
    );
    rejects(
        &luks(r#""device":"/dev/a","clevis":{"custom":{"pin":"tpm2"}}"#),
        "$.storage.luks.0.clevis.custom.config",
        Issue::ClevisConfigRequired,
    );
    rejects(
        &luks(&format!(r#""device":"/dev/a","label":"{}""#, "x".repeat(48))),
        "$.storage.luks.0.label",
        Issue::LuksLabelTooLong,
    );
    // Offline Tang advertisements exist from 3.4; in 3.3 the key is unknown and dropped.
    let adv = with_version(
        "3.3.0",
        r#""storage":{"luks":[{"name":"l","device":"/dev/a","clevis":{"tang":[{"url":"http://t","thumbprint":"x","advertisement":"{"}]}}]}"#,
    );
    let parsed = parse_compatible_v3_4(adv.as_bytes()).unwrap();
    assert!(
        parsed
            .report
            .warnings()
            .any(|w| w.issue == Issue::UnusedKey("advertisement".to_owned()))
    );
    assert_eq!(parsed.config.storage.luks[0].clevis.tang[0].advertisement, None);
}

#[test]
fn cex_rules_in_3_5() {
    let cfg = with_version(
        "3.5.0",
        r#""storage":{"luks":[{"name":"l","device":"/dev/a","cex":{"enabled":true},"clevis":{"tpm2":true},"keyFile":{"source":"data:,k"}}]}"#,
    );
    match parse_native(cfg.as_bytes()) {
        Err(ParseError::Invalid { report }) => {
            let issues: Vec<_> = report.errors().map(|e| (e.path.to_string(), e.issue.clone())).collect();
            assert!(
                issues.contains(&("$.storage.luks.0.cex".to_owned(), Issue::CexWithClevis)),
                "{issues:?}"
            );
            assert!(
                issues.contains(&("$.storage.luks.0.cex".to_owned(), Issue::CexWithKeyFile)),
                "{issues:?}"
            );
        }
        other => panic!("expected cex errors, got {other:?}"),
    }
}

#[test]
fn raid_levels() {
    let raid = |body: &str| v34(&format!(r#""storage":{{"raid":[{{"name":"md0",{body}}}]}}"#));
    rejects(
        &raid(r#""devices":["/dev/a"]"#),
        "$.storage.raid.0.level",
        Issue::RaidLevelRequired,
    );
    rejects(
        &raid(r#""level":"raid7","devices":["/dev/a"]"#),
        "$.storage.raid.0.level",
        Issue::UnrecognizedRaidLevel,
    );
    rejects(
        &raid(r#""level":"raid0","spares":1,"devices":["/dev/a"]"#),
        "$.storage.raid.0.level",
        Issue::SparesUnsupportedForLevel,
    );
    rejects(
        &raid(r#""level":"raid1""#),
        "$.storage.raid.0.devices",
        Issue::RaidDevicesRequired,
    );
    // Before 3.3 the level was a plain string: empty means unrecognized rather than missing.
    rejects(
        &with_version("3.2.0", r#""storage":{"raid":[{"name":"md0","devices":["/dev/a"]}]}"#),
        "$.storage.raid.0.level",
        Issue::UnrecognizedRaidLevel,
    );
}

#[test]
fn node_owners() {
    rejects(
        &v34(r#""storage":{"files":[{"path":"/f","user":{"id":1,"name":"core"}}]}"#),
        "$.storage.files.0.user",
        Issue::BothIdAndNameSet,
    );
    rejects(
        &v34(r#""storage":{"directories":[{"path":"/d","group":{"id":1,"name":"wheel"}}]}"#),
        "$.storage.directories.0.group",
        Issue::BothIdAndNameSet,
    );
}

#[test]
fn unknown_keys_are_warnings_and_dropped() {
    let parsed =
        parse_compatible_v3_4(v34(r#""storage":{"files":[{"path":"/f","colour":"blue"}]},"extra":1"#).as_bytes())
            .unwrap();
    let warnings: Vec<String> = parsed.report.warnings().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        vec![
            "$.storage.files.0.colour: Unused key colour".to_owned(),
            "$.extra: Unused key extra".to_owned()
        ]
    );
    // Fields newer than the config's spec are unknown keys there.
    let parsed =
        parse_compatible_v3_4(with_version("3.0.0", r#""kernelArguments":{"shouldExist":["a"]}"#).as_bytes()).unwrap();
    assert!(parsed.config.kernel_arguments.should_exist.is_empty());
    assert_eq!(parsed.report.warnings().count(), 1);
}

/// Spec 3.6.0: the 3.5 schema, where special mode bits are supported: no
/// warning, kept at 3.6 (3.5 still warns).
#[test]
fn spec_3_6_supports_special_mode_bits() {
    let body = r#""storage":{"files":[{"path":"/usr/local/bin/tool","mode":2541}],"luks":[{"name":"d","device":"/dev/vdb","cex":{"enabled":true}}]}"#;
    let v36 = parse_native(with_version("3.6.0", body).as_bytes()).unwrap();
    assert_eq!(v36.config.spec(), ignition::Spec::V3_6);
    assert!(v36.report.entries.is_empty(), "{:?}", v36.report);
    let out = String::from_utf8(v36.config.to_go_json()).unwrap();
    assert!(
        out.contains(r#""version":"3.6.0""#) && out.contains(r#""cex":{"enabled":true}"#),
        "{out}"
    );
    let v35 = parse_native(with_version("3.5.0", body).as_bytes()).unwrap();
    assert!(v35.report.warnings().any(|e| e.issue == Issue::ModeSpecialBits));
    assert!(
        parse_compatible_v3_4(with_version("3.6.0", body).as_bytes()).is_err(),
        "matchbox's parser stops at 3.4"
    );
    assert!(
        parse_native(with_version("3.7.0", "\"passwd\":{}").as_bytes()).is_err(),
        "3.7 is not known"
    );
}
