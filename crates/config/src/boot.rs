//! The `[boot]` section: where DHCP sends network-boot clients (the HTTP
//! host and port of the iPXE script, and the first-stage file names fetched
//! over TFTP). Read into `dhcp::BootConfig`; every key is optional and falls
//! back to `BootConfig::default()`.
//!
//! It does not check that the named files exist: the TFTP root is another
//! section's business and may be filled after the server starts.

use dhcp::UefiLoader;

use crate::Config;
use crate::reader::{self, Ctx, Table, Value};
use crate::values;

pub(crate) const KEYS: &[&str] = &[
    "http_host",
    "http_port",
    "ipxe_script",
    "bios_file",
    "uefi_ia32_file",
    "uefi_x64_file",
    "uefi_arm64_file",
    "uefi_loader",
    "grub_file",
    "builtin",
];

pub(crate) fn read(ctx: &mut Ctx<'_>, value: &Value<'_>, config: &mut Config) {
    let expected = "a table: write the [boot] header and its keys below it";
    let Some(table) = Table::open(ctx, value, "boot".to_owned(), expected, KEYS) else {
        return;
    };
    let boot = &mut config.dhcp.boot;

    if let Some(v) = table.get("http_host") {
        let expected = "a host name or address such as \"matchbox.example.com\"";
        boot.http_host = reader::parsed(ctx, v, &table.path_of("http_host"), expected, |s| {
            values::http_host(s).map(|()| s.to_owned())
        });
    }
    if let Some(v) = table.get("http_port") {
        config.http_port_set = true;
        let expected = "a port number from 1 to 65535";
        if let Some(port) = reader::integer_in(ctx, v, &table.path_of("http_port"), expected, 1..=65535) {
            boot.http_port = port as u16;
        }
    }
    if let Some(v) = table.get("ipxe_script") {
        let expected = "a path such as \"/boot.ipxe\"";
        if let Some(path) = reader::parsed(ctx, v, &table.path_of("ipxe_script"), expected, |s| {
            values::http_path(s).map(|()| s.to_owned())
        }) {
            boot.ipxe_script = path;
        }
    }
    let files: [(&str, &mut String); 5] = [
        ("bios_file", &mut boot.bios_file),
        ("uefi_ia32_file", &mut boot.uefi_ia32_file),
        ("uefi_x64_file", &mut boot.uefi_x64_file),
        ("uefi_arm64_file", &mut boot.uefi_arm64_file),
        ("grub_file", &mut boot.grub_file),
    ];
    for (key, slot) in files {
        if let Some(v) = table.get(key) {
            let expected = "a file name such as \"ipxe.efi\"";
            if let Some(name) = reader::parsed(ctx, v, &table.path_of(key), expected, |s| {
                values::boot_file(s).map(|()| s.to_owned())
            }) {
                *slot = name;
            }
        }
    }
    if let Some(v) = table.get("builtin") {
        boot.builtin = reader::boolean(ctx, v, &table.path_of("builtin")).unwrap_or(boot.builtin);
    }
    if let Some(v) = table.get("uefi_loader") {
        let path = table.path_of("uefi_loader");
        if let Some(text) = reader::string(ctx, v, &path, "\"ipxe\" or \"grub\"") {
            match text {
                "ipxe" => boot.uefi_loader = UefiLoader::Ipxe,
                "grub" => boot.uefi_loader = UefiLoader::Grub,
                _ => ctx.error(
                    v.span(),
                    &path,
                    format!("unknown loader {text:?}: use \"ipxe\" or \"grub\""),
                ),
            }
        }
    }
}
