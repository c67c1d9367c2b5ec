//! `[[dhcp.class]]` tables: client classes (dnsmasq's tags) read into
//! `dhcp::Class`, and the boot keys a class shares with `[[dhcp.host]]`.
//!
//! ```toml
//! [[dhcp.class]]
//! name = "efi64"
//! match = [{ arch = [7, 9] }]
//! boot_file = "ipxe.efi"
//! ```
//!
//! A class may refer only to classes above it (`classes = ["!ipxe"]`), so
//! the file order is the evaluation order and no cycle can be written.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use dhcp::optdef::{self, ValueType};
use dhcp::pxe::{self, Menu, Service};
use dhcp::{BootFile, Class, ClassRef, MacPattern, Match, OptionMatch};
use toml::de::DeValue;

use crate::reader::{self, Ctx, Table, Value};
use crate::{options, values};

pub(crate) const CLASS_KEYS: &[&str] = &[
    "name",
    "match",
    "options",
    "boot_file",
    "boot_server",
    "boot_server_name",
    "ignore",
];
pub(crate) const MATCH_KEYS: &[&str] = &[
    "arch",
    "user_class",
    "vendor_class",
    "vendor_class_contains",
    "user_class_contains",
    "mac",
    "circuit_id",
    "remote_id",
    "subscriber_id",
    "option",
    "ipxe_feature",
    "known",
    "subnet",
    "interface",
    "classes",
];

const ADDRESS: &str = "an IPv4 address such as \"10.99.0.1\"";

/// Reads every `[[dhcp.class]]`, checking names are unique and references
/// point upwards.
pub(crate) fn read_all(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Vec<Class> {
    let mut names: HashMap<String, usize> = HashMap::new();
    let mut classes = Vec::new();
    reader::array_of_tables(ctx, value, path, "[[dhcp.class]]", CLASS_KEYS, |ctx, t| {
        let class = read_class(ctx, &t, &names);
        match class {
            Some(class) => {
                names.insert(class.name.clone(), classes.len());
                classes.push(class);
            }
            None => {
                // A class with an error has been reported; the classes that
                // name it should not each say it does not exist. The file
                // is rejected anyway, so the reference goes nowhere.
                if let Some(name) = t.get("name").and_then(|v| v.get_ref().as_str()) {
                    names.entry(name.to_owned()).or_insert(usize::MAX);
                }
            }
        }
        Some(())
    });
    classes
}

fn read_class(ctx: &mut Ctx<'_>, t: &Table<'_, '_>, earlier: &HashMap<String, usize>) -> Option<Class> {
    let before = ctx.error_count();
    let name = t.required(ctx, "name", "name = \"bios\"").and_then(|v| {
        let path = t.path_of("name");
        let name = reader::parsed(ctx, v, &path, "a class name such as \"bios\"", class_name)?;
        if earlier.contains_key(&name) {
            ctx.error(
                v.span(),
                &path,
                format!("class {name:?} is defined twice: give each [[dhcp.class]] its own name (several ways to match go in one `match` array)"),
            );
            return None;
        }
        Some(name)
    });
    let matches = t
        .required(ctx, "match", "match = [{ arch = [7, 9] }]")
        .and_then(|v| read_matches(ctx, v, &t.path_of("match"), earlier));
    let options = match t.get("options") {
        Some(v) => options::read(ctx, v, &t.path_of("options")),
        None => Some(Vec::new()),
    };
    let boot = read_boot(ctx, t);
    let ignore = match t.get("ignore") {
        Some(v) => reader::boolean(ctx, v, &t.path_of("ignore")),
        None => Some(false),
    };
    if ctx.error_count() != before {
        return None;
    }
    Some(Class {
        name: name?,
        matches: matches?,
        options: options?,
        boot: boot?,
        ignore: ignore?,
    })
}

pub fn class_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !s.starts_with(['-', '.']);
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not a class name: use letters, digits, '-', '_' and '.', up to 64 characters"
        ))
    }
}

/// `match`: one table, or an array of them (alternatives).
fn read_matches(
    ctx: &mut Ctx<'_>,
    value: &Value<'_>,
    path: &str,
    earlier: &HashMap<String, usize>,
) -> Option<Vec<Match>> {
    let before = ctx.error_count();
    let matches = match value.get_ref() {
        DeValue::Table(_) => vec![read_match(ctx, value, path.to_owned(), earlier)?],
        DeValue::Array(_) => reader::list(
            ctx,
            value,
            path,
            "an array of match tables such as [{ arch = 7 }, { arch = 9 }]",
            |ctx, item, path| read_match(ctx, item, path, earlier),
        )?,
        _ => {
            reader::wrong_type(
                ctx,
                value,
                path,
                "a match table such as { arch = [7, 9] }, or an array of them",
            );
            return None;
        }
    };
    if matches.is_empty() && ctx.error_count() == before {
        ctx.error(
            value.span(),
            path,
            "no way to match: add a table such as { arch = 0 } (an empty table { } matches every client)",
        );
        return None;
    }
    (ctx.error_count() == before).then_some(matches)
}

fn read_match(ctx: &mut Ctx<'_>, value: &Value<'_>, path: String, earlier: &HashMap<String, usize>) -> Option<Match> {
    let expected = "a match table such as { arch = [7, 9] } or { user_class = \"iPXE\" }";
    let t = Table::open(ctx, value, path, expected, MATCH_KEYS)?;
    let before = ctx.error_count();
    let mut m = Match::default();
    if let Some(v) = t.get("arch") {
        let path = t.path_of("arch");
        let expected = "an architecture number (option 93) such as 7, or an array such as [7, 9]";
        m.arch = match v.get_ref() {
            DeValue::Array(_) => reader::list(ctx, v, &path, expected, |ctx, item, path| {
                reader::integer_in(ctx, item, &path, expected, 0..=65535).map(|n| n as u16)
            })
            .unwrap_or_default(),
            _ => reader::integer_in(ctx, v, &path, expected, 0..=65535)
                .map(|n| vec![n as u16])
                .unwrap_or_default(),
        };
    }
    m.user_class = bytes_key(ctx, &t, "user_class");
    m.vendor_class = bytes_key(ctx, &t, "vendor_class");
    m.vendor_class_contains = bytes_key(ctx, &t, "vendor_class_contains");
    m.user_class_contains = bytes_key(ctx, &t, "user_class_contains");
    if let Some(v) = t.get("mac") {
        m.mac = reader::parsed(
            ctx,
            v,
            &t.path_of("mac"),
            "a MAC address pattern such as \"52:54:00:*:*:*\"",
            MacPattern::parse,
        );
    }
    m.circuit_id = bytes_key(ctx, &t, "circuit_id");
    m.remote_id = bytes_key(ctx, &t, "remote_id");
    m.subscriber_id = bytes_key(ctx, &t, "subscriber_id");
    if let Some(v) = t.get("option") {
        m.option = read_option_match(ctx, v, &t.path_of("option"));
    }
    if let Some(v) = t.get("ipxe_feature") {
        let expected = "an iPXE feature number (a sub-option of option 175) such as 19";
        m.ipxe_feature = reader::integer_in(ctx, v, &t.path_of("ipxe_feature"), expected, 1..=254).map(|n| n as u8);
    }
    if let Some(v) = t.get("known") {
        m.known = reader::boolean(ctx, v, &t.path_of("known"));
    }
    if let Some(v) = t.get("subnet") {
        m.subnet = reader::parsed(
            ctx,
            v,
            &t.path_of("subnet"),
            "a network such as \"10.99.0.0/24\"",
            values::network,
        );
    }
    if let Some(v) = t.get("interface") {
        m.interface = reader::parsed(
            ctx,
            v,
            &t.path_of("interface"),
            "an interface name such as \"br0\"",
            |s| values::interface_name(s).map(|()| s.to_owned()),
        );
    }
    if let Some(v) = t.get("classes") {
        let path = t.path_of("classes");
        let expected = "an array of class names such as [\"bios\", \"!ipxe\"] (! for not)";
        m.classes = reader::list(ctx, v, &path, expected, |ctx, item, path| {
            reader::parsed(ctx, item, &path, "a class name, or !name for not", |s| {
                let (negated, name) = match s.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, s),
                };
                match earlier.get(name) {
                    Some(&index) => Ok(ClassRef { index, negated }),
                    None => Err(format!(
                        "no class {name:?} is defined above this one: a class can only refer to the [[dhcp.class]] entries before it"
                    )),
                }
            })
        })
        .unwrap_or_default();
    }
    (ctx.error_count() == before).then_some(m)
}

/// A string matched as its bytes, or `{ hex = "…" }` for binary values.
fn bytes_key(ctx: &mut Ctx<'_>, t: &Table<'_, '_>, key: &str) -> Option<Vec<u8>> {
    let v = t.get(key)?;
    let path = t.path_of(key);
    match v.get_ref() {
        DeValue::String(s) => Some(s.as_bytes().to_vec()),
        DeValue::Table(_) => options::value_bytes(ctx, v, &path, 0, None),
        _ => {
            reader::wrong_type(ctx, v, &path, "a string, or { hex = \"01:02\" } for binary values");
            None
        }
    }
}

/// `option = 175` (present) or `option = { code = 93, value = 7 }`.
fn read_option_match(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Option<OptionMatch> {
    let expected = "an option number such as 175, or { code = 93, value = 7 }";
    let code_in = |ctx: &mut Ctx<'_>, v: &Value<'_>, path: &str| {
        reader::integer_in(ctx, v, path, expected, 1..=254).map(|n| n as u8)
    };
    match value.get_ref() {
        DeValue::Integer(_) => Some(OptionMatch {
            code: code_in(ctx, value, path)?,
            value: None,
        }),
        DeValue::Table(_) => {
            let t = Table::open(ctx, value, path.to_owned(), expected, &["code", "value"])?;
            let code_value = t.required(ctx, "code", "code = 93")?;
            let code = code_in(ctx, code_value, &t.path_of("code"))?;
            let value = match t.get("value") {
                None => None,
                Some(v) => {
                    let known = optdef::by_code(code).map(|d| match d.ty {
                        // One entry of a list is matched.
                        ValueType::Ips | ValueType::IpPairs => ValueType::Ip,
                        ValueType::U16s => ValueType::U16,
                        other => other,
                    });
                    Some(options::value_bytes(ctx, v, &t.path_of("value"), code, known)?)
                }
            };
            Some(OptionMatch { code, value })
        }
        _ => {
            reader::wrong_type(ctx, value, path, expected);
            None
        }
    }
}

/// `boot_file`, `boot_server` and `boot_server_name`, in a class or a host.
/// `Some(None)` when no boot file is given.
pub(crate) fn read_boot(ctx: &mut Ctx<'_>, t: &Table<'_, '_>) -> Option<Option<BootFile>> {
    let file = t.get("boot_file").map(|v| {
        reader::parsed(
            ctx,
            v,
            &t.path_of("boot_file"),
            "a file name such as \"undionly.kpxe\" or a URL such as \"http://10.0.0.1:8080/boot.ipxe\"",
            |s| {
                if s.is_empty() || s.len() > 127 || s.contains('\0') {
                    Err(format!("{s:?} does not fit the 127 bytes of the DHCP file field"))
                } else {
                    Ok(s.to_owned())
                }
            },
        )
    });
    let server = t.get("boot_server").map(|v| {
        reader::parsed(ctx, v, &t.path_of("boot_server"), ADDRESS, |s| {
            s.parse::<Ipv4Addr>()
                .map_err(|_| format!("{s:?} is not an IPv4 address such as \"10.99.0.1\""))
        })
    });
    let server_name = t.get("boot_server_name").map(|v| {
        reader::parsed(
            ctx,
            v,
            &t.path_of("boot_server_name"),
            "a host name such as \"tftp1\"",
            |s| {
                if s.is_empty() || s.len() > 63 {
                    Err(format!("{s:?} does not fit the 63 bytes of the DHCP sname field"))
                } else {
                    Ok(s.to_owned())
                }
            },
        )
    });
    let file = match file {
        None => {
            for key in ["boot_server", "boot_server_name"] {
                if t.get(key).is_some() {
                    ctx.error(
                        t.span.clone(),
                        &t.path_of(key),
                        format!("`{key}` without `boot_file`: add the file the server is for"),
                    );
                }
            }
            return (server.is_none() && server_name.is_none()).then_some(None);
        }
        Some(file) => file?,
    };
    Some(Some(BootFile {
        file,
        server: match server {
            Some(s) => Some(s?),
            None => None,
        },
        server_name: match server_name {
            Some(s) => Some(s?),
            None => None,
        },
    }))
}

pub(crate) const PXE_KEYS: &[&str] = &["prompt", "prompt_timeout", "service"];
pub(crate) const SERVICE_KEYS: &[&str] = &["csa", "text", "boot_file", "boot_server", "classes"];

/// `[dhcp.pxe]` with its `[[dhcp.pxe.service]]` entries (dnsmasq's
/// `pxe-prompt` and `pxe-service`). Classes named by a service may be any
/// of `classes`: the menu is chosen after every class is known.
pub(crate) fn read_pxe(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str, classes: &[Class]) -> Menu {
    let expected = "a table: write the [dhcp.pxe] header and its keys below it";
    let Some(t) = Table::open(ctx, value, path.to_owned(), expected, PXE_KEYS) else {
        return Menu::default();
    };
    let names: HashMap<String, usize> = classes.iter().enumerate().map(|(i, c)| (c.name.clone(), i)).collect();
    let text = t.get("prompt").and_then(|v| {
        reader::parsed(
            ctx,
            v,
            &t.path_of("prompt"),
            "a prompt such as \"Press F8 for the menu\"",
            |s| {
                if s.len() > 250 {
                    Err("the prompt is longer than 250 bytes: shorten it".to_owned())
                } else {
                    Ok(s.to_owned())
                }
            },
        )
    });
    let timeout = t.get("prompt_timeout").and_then(|v| {
        let expected = "seconds from 0 to 255 (255: wait for a key)";
        reader::integer_in(ctx, v, &t.path_of("prompt_timeout"), expected, 0..=255).map(|n| n as u8)
    });
    if t.get("prompt_timeout").is_some() && t.get("prompt").is_none() {
        ctx.error(
            t.span.clone(),
            &t.path_of("prompt_timeout"),
            "`prompt_timeout` without `prompt`: add the text the firmware shows",
        );
    }
    let prompt = text.map(|text| (timeout.unwrap_or(0), text));
    let services = match t.get("service") {
        Some(v) => reader::array_of_tables(
            ctx,
            v,
            &t.path_of("service"),
            "[[dhcp.pxe.service]]",
            SERVICE_KEYS,
            |ctx, s| read_service(ctx, &s, &names),
        ),
        None => Vec::new(),
    };
    Menu { services, prompt }
}

fn read_service(ctx: &mut Ctx<'_>, t: &Table<'_, '_>, names: &HashMap<String, usize>) -> Option<Service> {
    let before = ctx.error_count();
    let csa = t.required(ctx, "csa", "csa = \"x86PC\"").and_then(|v| {
        let path = t.path_of("csa");
        let expected = "an architecture name such as \"x86PC\" or \"X86-64_EFI\", or a number such as 0";
        match v.get_ref() {
            DeValue::Integer(_) => reader::integer_in(ctx, v, &path, expected, 0..=65535).map(|n| n as u16),
            _ => reader::parsed(ctx, v, &path, expected, |s| {
                pxe::csa_by_name(s).ok_or_else(|| {
                    let known: Vec<&str> = pxe::CSA_NAMES.iter().map(|(n, _)| *n).collect();
                    format!("unknown architecture {s:?}: use one of {}", known.join(", "))
                })
            }),
        }
    });
    let text = t.required(ctx, "text", "text = \"Boot iPXE\"").and_then(|v| {
        reader::parsed(
            ctx,
            v,
            &t.path_of("text"),
            "the menu text, such as \"Boot iPXE\"",
            |s| {
                if s.is_empty() || s.len() > 250 {
                    Err("the menu text must have 1 to 250 bytes".to_owned())
                } else {
                    Ok(s.to_owned())
                }
            },
        )
    });
    if t.get("boot_file").is_none() {
        ctx.error(
            t.span.clone(),
            &t.path_of("boot_file"),
            "missing key `boot_file`: add it, e.g. boot_file = \"undionly.kpxe\"",
        );
        return None;
    }
    let boot = read_boot(ctx, t).flatten();
    let classes = match t.get("classes") {
        Some(v) => {
            let path = t.path_of("classes");
            let expected = "an array of class names such as [\"!ipxe\"] (! for not)";
            reader::list(ctx, v, &path, expected, |ctx, item, path| {
                reader::parsed(ctx, item, &path, "a class name, or !name for not", |s| {
                    let (negated, name) = match s.strip_prefix('!') {
                        Some(rest) => (true, rest),
                        None => (false, s),
                    };
                    names
                        .get(name)
                        .map(|&index| ClassRef { index, negated })
                        .ok_or_else(|| format!("no [[dhcp.class]] is named {name:?}"))
                })
            })
        }
        None => Some(Vec::new()),
    };
    if ctx.error_count() != before {
        return None;
    }
    Some(Service {
        csa: csa?,
        text: text?,
        boot: boot?,
        classes: classes?,
    })
}
