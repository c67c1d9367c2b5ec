//! The Ignition config schema as one superset family of Rust structs covering specs 3.0 to 3.5.
//!
//! Each struct lists its fields in the order of Ignition's generated Go structs
//! (`config/v3_5/types/schema.go`, which is alphabetical by JSON name with embedded `Node` fields
//! first), and each field records the first spec that has it. Older specs are always a subset in
//! the same order, so one table drives decoding at any spec and encoding at 3.4 or 3.5.
//!
//! Values use the 3.4/3.5 Go types: `*string` is `Option<String>`, `*int` is `Option<i64>`,
//! `*bool` is `Option<bool>`, a plain Go `string` is `String`, slices are `Vec`. The few fields
//! that had a different Go type in older specs (`Link.target`, `Raid.level`, the 3.0 CA `source`,
//! the 3.2 `*Clevis` / `*Custom` pointers) are decoded with their old semantics (module `codec`)
//! and normalized the way Ignition's translators do (module `translate`).
//!
//! The embedded Go structs `Node`, `FileEmbedded1`, `DirectoryEmbedded1` and `LinkEmbedded1` are
//! flattened into [`File`], [`Directory`] and [`Link`], which is also how they appear in JSON.
//!
//! The Go oracle's structs (`tests/oracle/v3_*/schema.go`) are generated from the `go_struct!`
//! invocations below by `tests/oracle/schema_gen.rs`, which reads this file as text: keep one
//! field per line in the `pub name: Type => "json", omit, exists::…, dec::…;` form.

use crate::codec::{Decoder, Encoder, FieldSpec, GoValue, dec, exists};

/// `true` if the field is emitted even when empty (no `omitempty` in the Go tag, or a struct-typed
/// field, which Go never omits).
macro_rules! go_omit {
    (omitempty, $v:expr) => {
        GoValue::omit_empty($v)
    };
    (always, $v:expr) => {
        false
    };
}

macro_rules! go_struct {
    (
        $(#[$smeta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty => $json:literal, $omit:ident, $exists:path, $dec:path;
            )*
        }
    ) => {
        $(#[$smeta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
        }

        impl $name {
            const FIELDS: &'static [FieldSpec] = &[
                $( FieldSpec { name: $json, exists: $exists }, )*
            ];
        }

        impl GoValue for $name {
            fn decode(&mut self, d: &mut Decoder<'_>) {
                d.decode_struct(Self::FIELDS, |index, d| {
                    let mut i = 0usize;
                    $(
                        if index == i {
                            $dec(&mut self.$field, d);
                            return;
                        }
                        i += 1;
                    )*
                    let _ = i;
                });
            }

            fn omit_empty(&self) -> bool {
                // Go's omitempty never drops a struct value.
                false
            }

            fn encode(&self, e: &mut Encoder) {
                e.out.push(b'{');
                let mut first = true;
                $(
                    if $exists(&e.ctx) && !go_omit!($omit, &self.$field) {
                        e.key(&mut first, $json);
                        self.$field.encode(e);
                    }
                )*
                let _ = first;
                e.out.push(b'}');
            }
        }
    };
}

go_struct! {
    /// The whole config.
    pub struct Config {
        /// Metadata about the config itself.
        pub ignition: Ignition => "ignition", always, exists::always, dec::value;
        /// Kernel arguments (3.3+).
        pub kernel_arguments: KernelArguments => "kernelArguments", always, exists::since_3_3, dec::value;
        /// Users and groups.
        pub passwd: Passwd => "passwd", always, exists::always, dec::value;
        /// Disks, filesystems, files, directories and links.
        pub storage: Storage => "storage", always, exists::always, dec::value;
        /// Systemd units.
        pub systemd: Systemd => "systemd", always, exists::always, dec::value;
    }
}

go_struct! {
    /// The `ignition` section.
    pub struct Ignition {
        /// Configs to merge or replace with.
        pub config: IgnitionConfig => "config", always, exists::always, dec::value;
        /// HTTP proxies (3.1+).
        pub proxy: Proxy => "proxy", always, exists::since_3_1, dec::value;
        /// TLS settings.
        pub security: Security => "security", always, exists::always, dec::value;
        /// HTTP timeouts.
        pub timeouts: Timeouts => "timeouts", always, exists::always, dec::value;
        /// The spec version string, kept as written (it parsed to the config's spec).
        pub version: String => "version", always, exists::always, dec::value;
    }
}

go_struct! {
    /// `ignition.config`.
    pub struct IgnitionConfig {
        /// Configs merged into this one.
        pub merge: Vec<Resource> => "merge", omitempty, exists::always, dec::config_reference;
        /// A config that replaces this one.
        pub replace: Resource => "replace", always, exists::always, dec::config_reference;
    }
}

go_struct! {
    /// A remote or inline resource (file contents, merged configs, CA certificates, key files).
    pub struct Resource {
        /// `""` or `"gzip"` (3.0: file contents only).
        pub compression: Option<String> => "compression", omitempty, exists::resource_compression, dec::value;
        /// Extra HTTP request headers (3.1+).
        pub http_headers: Vec<HttpHeader> => "httpHeaders", omitempty, exists::since_3_1, dec::value;
        /// The URL.
        pub source: Option<String> => "source", omitempty, exists::always, dec::resource_source;
        /// The expected hash.
        pub verification: Verification => "verification", always, exists::always, dec::value;
    }
}

go_struct! {
    /// One HTTP header of a resource request.
    pub struct HttpHeader {
        /// Header name.
        pub name: String => "name", always, exists::always, dec::value;
        /// Header value.
        pub value: Option<String> => "value", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A resource's expected hash.
    pub struct Verification {
        /// `sha512-<hex>` or (3.1+) `sha256-<hex>`.
        pub hash: Option<String> => "hash", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// `ignition.proxy` (3.1+).
    pub struct Proxy {
        /// Proxy for `http` URLs.
        pub http_proxy: Option<String> => "httpProxy", omitempty, exists::always, dec::value;
        /// Proxy for `https` URLs.
        pub https_proxy: Option<String> => "httpsProxy", omitempty, exists::always, dec::value;
        /// Hosts that bypass the proxy.
        pub no_proxy: Vec<String> => "noProxy", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// `ignition.security`.
    pub struct Security {
        /// TLS settings.
        pub tls: Tls => "tls", always, exists::always, dec::value;
    }
}

go_struct! {
    /// `ignition.security.tls`.
    pub struct Tls {
        /// Extra trusted CA certificates.
        pub certificate_authorities: Vec<Resource> => "certificateAuthorities", omitempty, exists::always, dec::ca_reference;
    }
}

go_struct! {
    /// `ignition.timeouts`, in seconds.
    pub struct Timeouts {
        /// Time to wait for response headers.
        pub http_response_headers: Option<i64> => "httpResponseHeaders", omitempty, exists::always, dec::value;
        /// Total time for one HTTP request.
        pub http_total: Option<i64> => "httpTotal", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// `kernelArguments` (3.3+).
    pub struct KernelArguments {
        /// Arguments that must be present.
        pub should_exist: Vec<String> => "shouldExist", omitempty, exists::always, dec::value;
        /// Arguments that must be absent.
        pub should_not_exist: Vec<String> => "shouldNotExist", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// `passwd`.
    pub struct Passwd {
        /// Groups.
        pub groups: Vec<PasswdGroup> => "groups", omitempty, exists::always, dec::value;
        /// Users.
        pub users: Vec<PasswdUser> => "users", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// One group.
    pub struct PasswdGroup {
        /// Group id.
        pub gid: Option<i64> => "gid", omitempty, exists::always, dec::value;
        /// Group name.
        pub name: String => "name", always, exists::always, dec::value;
        /// Hashed password.
        pub password_hash: Option<String> => "passwordHash", omitempty, exists::always, dec::value;
        /// `false` deletes the group (3.2+).
        pub should_exist: Option<bool> => "shouldExist", omitempty, exists::since_3_2, dec::value;
        /// Create as a system group.
        pub system: Option<bool> => "system", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// One user.
    pub struct PasswdUser {
        /// GECOS field.
        pub gecos: Option<String> => "gecos", omitempty, exists::always, dec::value;
        /// Supplementary groups.
        pub groups: Vec<String> => "groups", omitempty, exists::always, dec::value;
        /// Home directory.
        pub home_dir: Option<String> => "homeDir", omitempty, exists::always, dec::value;
        /// User name.
        pub name: String => "name", always, exists::always, dec::value;
        /// Do not create the home directory.
        pub no_create_home: Option<bool> => "noCreateHome", omitempty, exists::always, dec::value;
        /// Do not add to lastlog/faillog.
        pub no_log_init: Option<bool> => "noLogInit", omitempty, exists::always, dec::value;
        /// Do not create a group with the user's name.
        pub no_user_group: Option<bool> => "noUserGroup", omitempty, exists::always, dec::value;
        /// Hashed password.
        pub password_hash: Option<String> => "passwordHash", omitempty, exists::always, dec::value;
        /// Primary group.
        pub primary_group: Option<String> => "primaryGroup", omitempty, exists::always, dec::value;
        /// SSH public keys.
        pub ssh_authorized_keys: Vec<String> => "sshAuthorizedKeys", omitempty, exists::always, dec::value;
        /// Login shell.
        pub shell: Option<String> => "shell", omitempty, exists::always, dec::value;
        /// `false` deletes the user (3.2+).
        pub should_exist: Option<bool> => "shouldExist", omitempty, exists::since_3_2, dec::value;
        /// Create as a system user.
        pub system: Option<bool> => "system", omitempty, exists::always, dec::value;
        /// User id.
        pub uid: Option<i64> => "uid", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// `storage`.
    pub struct Storage {
        /// Directories to create.
        pub directories: Vec<Directory> => "directories", omitempty, exists::always, dec::value;
        /// Disks to partition.
        pub disks: Vec<Disk> => "disks", omitempty, exists::always, dec::value;
        /// Files to write.
        pub files: Vec<File> => "files", omitempty, exists::always, dec::value;
        /// Filesystems to create or mount.
        pub filesystems: Vec<Filesystem> => "filesystems", omitempty, exists::always, dec::value;
        /// Links to create.
        pub links: Vec<Link> => "links", omitempty, exists::always, dec::value;
        /// LUKS volumes (3.2+).
        pub luks: Vec<Luks> => "luks", omitempty, exists::since_3_2, dec::value;
        /// Software RAID arrays.
        pub raid: Vec<Raid> => "raid", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A user or group reference of a node, by id or by name.
    pub struct NodeUser {
        /// Numeric id.
        pub id: Option<i64> => "id", omitempty, exists::always, dec::value;
        /// Name.
        pub name: Option<String> => "name", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A group reference of a node, by id or by name.
    pub struct NodeGroup {
        /// Numeric id.
        pub id: Option<i64> => "id", omitempty, exists::always, dec::value;
        /// Name.
        pub name: Option<String> => "name", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A directory (Go `Node` + `DirectoryEmbedded1`).
    pub struct Directory {
        /// Owning group.
        pub group: NodeGroup => "group", always, exists::always, dec::value;
        /// Replace an existing node.
        pub overwrite: Option<bool> => "overwrite", omitempty, exists::always, dec::value;
        /// Absolute path.
        pub path: String => "path", always, exists::always, dec::value;
        /// Owning user.
        pub user: NodeUser => "user", always, exists::always, dec::value;
        /// Permission bits, as a decimal number.
        pub mode: Option<i64> => "mode", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A file (Go `Node` + `FileEmbedded1`).
    pub struct File {
        /// Owning group.
        pub group: NodeGroup => "group", always, exists::always, dec::value;
        /// Replace an existing node.
        pub overwrite: Option<bool> => "overwrite", omitempty, exists::always, dec::value;
        /// Absolute path.
        pub path: String => "path", always, exists::always, dec::value;
        /// Owning user.
        pub user: NodeUser => "user", always, exists::always, dec::value;
        /// Resources appended to the file.
        pub append: Vec<Resource> => "append", omitempty, exists::always, dec::file_contents;
        /// The file's contents.
        pub contents: Resource => "contents", always, exists::always, dec::file_contents;
        /// Permission bits, as a decimal number.
        pub mode: Option<i64> => "mode", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A link (Go `Node` + `LinkEmbedded1`).
    pub struct Link {
        /// Owning group.
        pub group: NodeGroup => "group", always, exists::always, dec::value;
        /// Replace an existing node.
        pub overwrite: Option<bool> => "overwrite", omitempty, exists::always, dec::value;
        /// Absolute path.
        pub path: String => "path", always, exists::always, dec::value;
        /// Owning user.
        pub user: NodeUser => "user", always, exists::always, dec::value;
        /// Hard link instead of symbolic.
        pub hard: Option<bool> => "hard", omitempty, exists::always, dec::value;
        /// Link target (a plain string before 3.3).
        pub target: Option<String> => "target", omitempty, exists::always, dec::string_before_3_3;
    }
}

go_struct! {
    /// A disk to partition.
    pub struct Disk {
        /// Device path.
        pub device: String => "device", always, exists::always, dec::value;
        /// Partitions.
        pub partitions: Vec<Partition> => "partitions", omitempty, exists::always, dec::value;
        /// Wipe the partition table first.
        pub wipe_table: Option<bool> => "wipeTable", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A GPT partition.
    pub struct Partition {
        /// Partition GUID.
        pub guid: Option<String> => "guid", omitempty, exists::always, dec::value;
        /// Partition label.
        pub label: Option<String> => "label", omitempty, exists::always, dec::value;
        /// Partition number; 0 means the next free one.
        pub number: i64 => "number", omitempty, exists::always, dec::value;
        /// Grow an existing partition (3.2+).
        pub resize: Option<bool> => "resize", omitempty, exists::since_3_2, dec::value;
        /// `false` deletes the partition.
        pub should_exist: Option<bool> => "shouldExist", omitempty, exists::always, dec::value;
        /// Size in MiB.
        pub size_mib: Option<i64> => "sizeMiB", omitempty, exists::always, dec::value;
        /// Start in MiB.
        pub start_mib: Option<i64> => "startMiB", omitempty, exists::always, dec::value;
        /// Partition type GUID.
        pub type_guid: Option<String> => "typeGuid", omitempty, exists::always, dec::value;
        /// Allow deleting a mismatching partition entry.
        pub wipe_partition_entry: Option<bool> => "wipePartitionEntry", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A filesystem.
    pub struct Filesystem {
        /// Device path.
        pub device: String => "device", always, exists::always, dec::value;
        /// `ext4`, `btrfs`, `xfs`, `swap`, `vfat` or (3.3+) `none`.
        pub format: Option<String> => "format", omitempty, exists::always, dec::value;
        /// Filesystem label.
        pub label: Option<String> => "label", omitempty, exists::always, dec::value;
        /// Mount options (3.1+).
        pub mount_options: Vec<String> => "mountOptions", omitempty, exists::since_3_1, dec::value;
        /// mkfs options.
        pub options: Vec<String> => "options", omitempty, exists::always, dec::value;
        /// Mount point.
        pub path: Option<String> => "path", omitempty, exists::always, dec::value;
        /// Filesystem UUID.
        pub uuid: Option<String> => "uuid", omitempty, exists::always, dec::value;
        /// Wipe an existing filesystem.
        pub wipe_filesystem: Option<bool> => "wipeFilesystem", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A LUKS volume (3.2+).
    pub struct Luks {
        /// IBM CEX secure keys (3.5+).
        pub cex: Cex => "cex", always, exists::since_3_5, dec::value;
        /// Clevis bindings.
        pub clevis: Clevis => "clevis", always, exists::always, dec::luks_clevis;
        /// Device path.
        pub device: Option<String> => "device", omitempty, exists::always, dec::value;
        /// Pass discards through (3.4+).
        pub discard: Option<bool> => "discard", omitempty, exists::since_3_4, dec::value;
        /// Key file.
        pub key_file: Resource => "keyFile", always, exists::always, dec::file_contents;
        /// LUKS label.
        pub label: Option<String> => "label", omitempty, exists::always, dec::value;
        /// Mapped device name.
        pub name: String => "name", always, exists::always, dec::value;
        /// Options for opening (3.4+).
        pub open_options: Vec<String> => "openOptions", omitempty, exists::since_3_4, dec::value;
        /// Options for luksFormat.
        pub options: Vec<String> => "options", omitempty, exists::always, dec::value;
        /// LUKS UUID.
        pub uuid: Option<String> => "uuid", omitempty, exists::always, dec::value;
        /// Wipe an existing volume.
        pub wipe_volume: Option<bool> => "wipeVolume", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// IBM CEX settings of a LUKS volume (3.5+).
    pub struct Cex {
        /// Use CEX secure keys.
        pub enabled: Option<bool> => "enabled", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// Clevis bindings of a LUKS volume.
    pub struct Clevis {
        /// A custom pin.
        pub custom: ClevisCustom => "custom", always, exists::always, dec::clevis_custom;
        /// Tang servers.
        pub tang: Vec<Tang> => "tang", omitempty, exists::always, dec::value;
        /// How many pins must succeed.
        pub threshold: Option<i64> => "threshold", omitempty, exists::always, dec::value;
        /// Use the TPM2.
        pub tpm2: Option<bool> => "tpm2", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A custom Clevis pin.
    pub struct ClevisCustom {
        /// Pin configuration JSON.
        pub config: Option<String> => "config", omitempty, exists::always, dec::string_before_3_3;
        /// Whether the pin needs the network.
        pub needs_network: Option<bool> => "needsNetwork", omitempty, exists::always, dec::value;
        /// `tpm2`, `tang` or `sss`.
        pub pin: Option<String> => "pin", omitempty, exists::always, dec::string_before_3_3;
    }
}

go_struct! {
    /// A Tang server.
    pub struct Tang {
        /// Offline advertisement JSON (3.4+).
        pub advertisement: Option<String> => "advertisement", omitempty, exists::since_3_4, dec::value;
        /// Signing key thumbprint.
        pub thumbprint: Option<String> => "thumbprint", omitempty, exists::always, dec::value;
        /// Server URL.
        pub url: String => "url", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A software RAID array.
    pub struct Raid {
        /// Member devices.
        pub devices: Vec<String> => "devices", omitempty, exists::always, dec::value;
        /// RAID level (a plain string before 3.3).
        pub level: Option<String> => "level", omitempty, exists::always, dec::string_before_3_3;
        /// Array name.
        pub name: String => "name", always, exists::always, dec::value;
        /// mdadm options.
        pub options: Vec<String> => "options", omitempty, exists::always, dec::value;
        /// Number of spares.
        pub spares: Option<i64> => "spares", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// `systemd`.
    pub struct Systemd {
        /// Units.
        pub units: Vec<Unit> => "units", omitempty, exists::always, dec::value;
    }
}

go_struct! {
    /// A systemd unit.
    pub struct Unit {
        /// Unit file text.
        pub contents: Option<String> => "contents", omitempty, exists::always, dec::value;
        /// Drop-ins.
        pub dropins: Vec<Dropin> => "dropins", omitempty, exists::always, dec::value;
        /// Enable or disable the unit.
        pub enabled: Option<bool> => "enabled", omitempty, exists::always, dec::value;
        /// Mask the unit.
        pub mask: Option<bool> => "mask", omitempty, exists::always, dec::value;
        /// Unit name with suffix.
        pub name: String => "name", always, exists::always, dec::value;
    }
}

go_struct! {
    /// A systemd drop-in.
    pub struct Dropin {
        /// Drop-in text.
        pub contents: Option<String> => "contents", omitempty, exists::always, dec::value;
        /// File name ending in `.conf`.
        pub name: String => "name", always, exists::always, dec::value;
    }
}

/// The two-field struct Ignition's `util.GetConfigVersion` decodes first, to learn the version
/// before choosing the spec's structs. Decoding it reports type errors only on these two paths.
pub(crate) mod stub {
    use super::*;

    go_struct! {
        /// `versionStub`.
        pub struct VersionStub {
            /// `Ignition`.
            pub ignition: StubIgnition => "ignition", always, exists::always, dec::value;
        }
    }

    go_struct! {
        /// `versionStub.Ignition`.
        pub struct StubIgnition {
            /// `Version`.
            pub version: String => "version", always, exists::always, dec::value;
        }
    }
}
