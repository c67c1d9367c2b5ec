//! The `[tftp]` section: whether kindling serves TFTP, and the operator's
//! own files beside the iPXE binaries. Both keys are optional; `kindling
//! serve`'s `--tftp` and `--tftp-root` override them.
//!
//! It does not check that the directory exists: the server does that at
//! start, where a missing directory is an error naming the flag or key.

use std::path::PathBuf;

use crate::Config;
use crate::reader::{self, Ctx, Table, Value};

pub(crate) const KEYS: &[&str] = &["enabled", "root"];

pub(crate) fn read(ctx: &mut Ctx<'_>, value: &Value<'_>, config: &mut Config) {
    let expected = "a table: write the [tftp] header and its keys below it";
    let Some(table) = Table::open(ctx, value, "tftp".to_owned(), expected, KEYS) else {
        return;
    };
    if let Some(v) = table.get("enabled") {
        config.tftp.enabled = reader::boolean(ctx, v, &table.path_of("enabled"));
    }
    if let Some(v) = table.get("root") {
        let expected = "a directory such as \"/var/lib/tftpboot\"";
        config.tftp.root = reader::parsed(ctx, v, &table.path_of("root"), expected, |s| {
            if s.is_empty() {
                Err("the path is empty: give the directory of your own TFTP files".to_owned())
            } else {
                Ok(PathBuf::from(s))
            }
        });
    }
}
