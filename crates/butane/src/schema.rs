//! The Butane schema kindling translates: each Butane key (snake_case), the
//! Ignition key it becomes (camelCase) and the first Ignition spec minor
//! version that has it (Butane base v0_N targets spec 3.(N-1): fcos 1.0 →
//! 3.0, 1.1 → 3.1, 1.2/1.3 → 3.2, 1.4 → 3.3, 1.5 → 3.4, 1.6 → 3.5;
//! flatcar 1.0 → 3.3, 1.1 → 3.4).
//!
//! A key that is not in these tables, or not yet in the config's version,
//! is an error naming its path: nothing is dropped silently.

/// How a value is read.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Str,
    Int,
    Bool,
    StrList,
    Obj(&'static [Field]),
    List(&'static [Field]),
    /// A Butane resource (`source`, `inline`, `local`, `compression`,
    /// `http_headers`, `verification`) → an Ignition resource.
    Resource,
    ResourceList,
    /// A resource that in fcos 1.0 (base v0_1) was a config reference
    /// (`source` and `verification` only): config merge/replace, TLS CAs.
    Ref,
    RefList,
    /// Butane sugar kindling does not translate: an error with this advice.
    Unsupported(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    /// The Ignition key; empty for Butane-only keys handled by the caller.
    pub ign: &'static str,
    pub ty: Ty,
    /// First Ignition spec minor version (3.N) with this field.
    pub since: u8,
}

const fn f(key: &'static str, ign: &'static str, ty: Ty, since: u8) -> Field {
    Field { key, ign, ty, since }
}

pub const VERIFICATION: &[Field] = &[f("hash", "hash", Ty::Str, 0)];
pub const HTTP_HEADER: &[Field] = &[f("name", "name", Ty::Str, 1), f("value", "value", Ty::Str, 1)];

/// The Ignition side of a resource; `inline` and `local` are handled in
/// `translate::resource`.
pub const RESOURCE: &[Field] = &[
    f("source", "source", Ty::Str, 0),
    f("inline", "", Ty::Str, 0),
    f("local", "", Ty::Str, 1),
    f("compression", "compression", Ty::Str, 0),
    f("http_headers", "httpHeaders", Ty::List(HTTP_HEADER), 1),
    f("verification", "verification", Ty::Obj(VERIFICATION), 0),
];

/// fcos 1.0 (base v0_1) config references and CAs: only these keys.
pub const CONFIG_REFERENCE_V0: &[&str] = &["source", "verification"];

const CONFIG: &[Field] = &[f("merge", "merge", Ty::RefList, 0), f("replace", "replace", Ty::Ref, 0)];
const TLS: &[Field] = &[f("certificate_authorities", "certificateAuthorities", Ty::RefList, 0)];
const SECURITY: &[Field] = &[f("tls", "tls", Ty::Obj(TLS), 0)];
const TIMEOUTS: &[Field] = &[
    f("http_response_headers", "httpResponseHeaders", Ty::Int, 0),
    f("http_total", "httpTotal", Ty::Int, 0),
];
const PROXY: &[Field] = &[
    f("http_proxy", "httpProxy", Ty::Str, 1),
    f("https_proxy", "httpsProxy", Ty::Str, 1),
    f("no_proxy", "noProxy", Ty::StrList, 1),
];
const IGNITION: &[Field] = &[
    f("config", "config", Ty::Obj(CONFIG), 0),
    f("timeouts", "timeouts", Ty::Obj(TIMEOUTS), 0),
    f("security", "security", Ty::Obj(SECURITY), 0),
    f("proxy", "proxy", Ty::Obj(PROXY), 1),
];

const USER: &[Field] = &[
    f("name", "name", Ty::Str, 0),
    f("password_hash", "passwordHash", Ty::Str, 0),
    f("ssh_authorized_keys", "sshAuthorizedKeys", Ty::StrList, 0),
    f("uid", "uid", Ty::Int, 0),
    f("gecos", "gecos", Ty::Str, 0),
    f("home_dir", "homeDir", Ty::Str, 0),
    f("no_create_home", "noCreateHome", Ty::Bool, 0),
    f("primary_group", "primaryGroup", Ty::Str, 0),
    f("groups", "groups", Ty::StrList, 0),
    f("no_user_group", "noUserGroup", Ty::Bool, 0),
    f("no_log_init", "noLogInit", Ty::Bool, 0),
    f("shell", "shell", Ty::Str, 0),
    f("system", "system", Ty::Bool, 0),
    f("should_exist", "shouldExist", Ty::Bool, 2),
    f("ssh_authorized_keys_local", "", Ty::Unsupported(LOCAL_ADVICE), 4),
];
const GROUP: &[Field] = &[
    f("name", "name", Ty::Str, 0),
    f("gid", "gid", Ty::Int, 0),
    f("password_hash", "passwordHash", Ty::Str, 0),
    f("system", "system", Ty::Bool, 0),
    f("should_exist", "shouldExist", Ty::Bool, 2),
];
const PASSWD: &[Field] = &[
    f("users", "users", Ty::List(USER), 0),
    f("groups", "groups", Ty::List(GROUP), 0),
];

const PARTITION: &[Field] = &[
    f("label", "label", Ty::Str, 0),
    f("number", "number", Ty::Int, 0),
    f("size_mib", "sizeMiB", Ty::Int, 0),
    f("start_mib", "startMiB", Ty::Int, 0),
    f("type_guid", "typeGuid", Ty::Str, 0),
    f("guid", "guid", Ty::Str, 0),
    f("wipe_partition_entry", "wipePartitionEntry", Ty::Bool, 0),
    f("should_exist", "shouldExist", Ty::Bool, 0),
    f("resize", "resize", Ty::Bool, 2),
];
const DISK: &[Field] = &[
    f("device", "device", Ty::Str, 0),
    f("wipe_table", "wipeTable", Ty::Bool, 0),
    f("partitions", "partitions", Ty::List(PARTITION), 0),
];
const RAID: &[Field] = &[
    f("name", "name", Ty::Str, 0),
    f("level", "level", Ty::Str, 0),
    f("devices", "devices", Ty::StrList, 0),
    f("spares", "spares", Ty::Int, 0),
    f("options", "options", Ty::StrList, 0),
];
pub const FILESYSTEM: &[Field] = &[
    f("device", "device", Ty::Str, 0),
    f("format", "format", Ty::Str, 0),
    f("path", "path", Ty::Str, 0),
    f("wipe_filesystem", "wipeFilesystem", Ty::Bool, 0),
    f("label", "label", Ty::Str, 0),
    f("uuid", "uuid", Ty::Str, 0),
    f("options", "options", Ty::StrList, 0),
    f("mount_options", "mountOptions", Ty::StrList, 1),
    // Butane sugar: a systemd mount unit for the filesystem (translate::mount_unit).
    f("with_mount_unit", "", Ty::Bool, 1),
];
const NODE_USER: &[Field] = &[f("id", "id", Ty::Int, 0), f("name", "name", Ty::Str, 0)];
const FILE: &[Field] = &[
    f("path", "path", Ty::Str, 0),
    f("overwrite", "overwrite", Ty::Bool, 0),
    f("user", "user", Ty::Obj(NODE_USER), 0),
    f("group", "group", Ty::Obj(NODE_USER), 0),
    f("contents", "contents", Ty::Resource, 0),
    f("append", "append", Ty::ResourceList, 0),
    f("mode", "mode", Ty::Int, 0),
];
const DIRECTORY: &[Field] = &[
    f("path", "path", Ty::Str, 0),
    f("overwrite", "overwrite", Ty::Bool, 0),
    f("user", "user", Ty::Obj(NODE_USER), 0),
    f("group", "group", Ty::Obj(NODE_USER), 0),
    f("mode", "mode", Ty::Int, 0),
];
const LINK: &[Field] = &[
    f("path", "path", Ty::Str, 0),
    f("overwrite", "overwrite", Ty::Bool, 0),
    f("user", "user", Ty::Obj(NODE_USER), 0),
    f("group", "group", Ty::Obj(NODE_USER), 0),
    f("target", "target", Ty::Str, 0),
    f("hard", "hard", Ty::Bool, 0),
];
const TANG: &[Field] = &[
    f("url", "url", Ty::Str, 2),
    f("thumbprint", "thumbprint", Ty::Str, 2),
    f("advertisement", "advertisement", Ty::Str, 4),
];
const CUSTOM_PIN: &[Field] = &[
    f("pin", "pin", Ty::Str, 2),
    f("config", "config", Ty::Str, 2),
    f("needs_network", "needsNetwork", Ty::Bool, 2),
];
const CLEVIS: &[Field] = &[
    f("tang", "tang", Ty::List(TANG), 2),
    f("tpm2", "tpm2", Ty::Bool, 2),
    f("threshold", "threshold", Ty::Int, 2),
    f("custom", "custom", Ty::Obj(CUSTOM_PIN), 2),
];
const CEX: &[Field] = &[f("enabled", "enabled", Ty::Bool, 5)];
const LUKS: &[Field] = &[
    f("name", "name", Ty::Str, 2),
    f("device", "device", Ty::Str, 2),
    f("key_file", "keyFile", Ty::Resource, 2),
    f("label", "label", Ty::Str, 2),
    f("uuid", "uuid", Ty::Str, 2),
    f("options", "options", Ty::StrList, 2),
    f("wipe_volume", "wipeVolume", Ty::Bool, 2),
    f("clevis", "clevis", Ty::Obj(CLEVIS), 2),
    f("discard", "discard", Ty::Bool, 4),
    f("open_options", "openOptions", Ty::StrList, 4),
    f("cex", "cex", Ty::Obj(CEX), 5),
];
/// butane's own message, with what to do instead.
pub const LOCAL_ADVICE: &str = "local file paths are relative to a files directory that must be specified with -d/--files-dir, which Butane rendered by kindling at request time does not have: write the contents inline, or translate with butane and store the .ign";
const TREES_ADVICE: &str = "storage.trees copies a directory of local files into the config, which needs a files directory (butane --files-dir); kindling renders Butane at request time without one: list the files under storage.files with inline contents, or translate with butane and store the .ign";
const STORAGE: &[Field] = &[
    f("disks", "disks", Ty::List(DISK), 0),
    f("raid", "raid", Ty::List(RAID), 0),
    f("filesystems", "filesystems", Ty::List(FILESYSTEM), 0),
    f("files", "files", Ty::List(FILE), 0),
    f("directories", "directories", Ty::List(DIRECTORY), 0),
    f("links", "links", Ty::List(LINK), 0),
    f("luks", "luks", Ty::List(LUKS), 2),
    f("trees", "", Ty::Unsupported(TREES_ADVICE), 1),
];
const DROPIN: &[Field] = &[
    f("name", "name", Ty::Str, 0),
    f("contents", "contents", Ty::Str, 0),
    f("contents_local", "", Ty::Unsupported(LOCAL_ADVICE), 4),
];
const UNIT: &[Field] = &[
    f("name", "name", Ty::Str, 0),
    f("enabled", "enabled", Ty::Bool, 0),
    f("mask", "mask", Ty::Bool, 0),
    f("contents", "contents", Ty::Str, 0),
    f("contents_local", "", Ty::Unsupported(LOCAL_ADVICE), 4),
    f("dropins", "dropins", Ty::List(DROPIN), 0),
];
const SYSTEMD: &[Field] = &[f("units", "units", Ty::List(UNIT), 0)];
const KERNEL_ARGUMENTS: &[Field] = &[
    f("should_exist", "shouldExist", Ty::StrList, 3),
    f("should_not_exist", "shouldNotExist", Ty::StrList, 3),
];
const BOOT_DEVICE_ADVICE: &str = "boot_device (root-disk mirroring and LUKS sugar of the fcos variant) is not translated by kindling: write the storage.disks, raid, luks and filesystems it stands for, or translate with butane and store the .ign";
const GRUB_ADVICE: &str = "grub.users is not translated by kindling: translate with butane and store the .ign";

/// The top level. `variant` and `version` are read before the walk.
pub const ROOT: &[Field] = &[
    f("variant", "", Ty::Str, 0),
    f("version", "", Ty::Str, 0),
    f("ignition", "ignition", Ty::Obj(IGNITION), 0),
    f("passwd", "passwd", Ty::Obj(PASSWD), 0),
    f("storage", "storage", Ty::Obj(STORAGE), 0),
    f("systemd", "systemd", Ty::Obj(SYSTEMD), 0),
    f("kernel_arguments", "kernelArguments", Ty::Obj(KERNEL_ARGUMENTS), 3),
    f("boot_device", "", Ty::Unsupported(BOOT_DEVICE_ADVICE), 2),
    f("grub", "", Ty::Unsupported(GRUB_ADVICE), 4),
];

/// The Butane key for an Ignition key, searched through every table (each
/// Ignition name has one Butane spelling); unknown names are returned as they are.
pub fn butane_key(ign: &str) -> &str {
    fn search(fields: &'static [Field], ign: &str, depth: usize) -> Option<&'static str> {
        if depth > 8 {
            return None;
        }
        for f in fields {
            if f.ign == ign {
                return Some(f.key);
            }
        }
        for f in fields {
            let nested = match f.ty {
                Ty::Obj(inner) | Ty::List(inner) => inner,
                Ty::Resource | Ty::ResourceList | Ty::Ref | Ty::RefList => RESOURCE,
                _ => continue,
            };
            if let Some(k) = search(nested, ign, depth + 1) {
                return Some(k);
            }
        }
        None
    }
    search(ROOT, ign, 0).unwrap_or(ign)
}
