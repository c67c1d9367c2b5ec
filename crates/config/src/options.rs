//! `options = { … }` tables (in `[dhcp]`, `[[dhcp.subnet]]`,
//! `[[dhcp.class]]` and `[[dhcp.host]]`): DHCP options by name or number,
//! with values checked against the option's type from `dhcp::optdef`.
//!
//! ```toml
//! options = { dns-server = ["10.0.0.53"], domain-search = ["lab.example"], 3 = [], 224 = { hex = "01:02" } }
//! ```
//!
//! A key is an option name (`dns-server`) or number (`6`). A value is
//! written as the option's type expects; a table with one key naming a type
//! (`{ hex = "…" }`, `{ text = "…" }`, `{ ips = […] }`, …) gives the type
//! explicitly, which a number without a known type needs. An empty array
//! leaves the option out of replies.

use dhcp::optdef::{self, Input, ValueType};
use toml::de::DeValue;

use crate::reader::{self, Ctx, Value};

const EXPECTED: &str = "a table of options such as { dns-server = [\"10.0.0.53\"], 66 = \"tftp.example\" }";

/// Reads an options table into (code, bytes) pairs in file order.
pub(crate) fn read(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Option<Vec<(u8, Vec<u8>)>> {
    let Some(table) = value.get_ref().as_table() else {
        reader::wrong_type(ctx, value, path, EXPECTED);
        return None;
    };
    let before = ctx.error_count();
    let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
    for (key, v) in table.iter() {
        let name: &str = key.get_ref();
        let key_path = reader::join(path, name);
        let Some((code, known)) = option_key(name) else {
            let mut message =
                format!("unknown option `{name}`: use an option number from 1 to 254 or a name such as dns-server");
            let names: Vec<&str> = optdef::OPTIONS.iter().map(|d| d.name).collect();
            if let Some(close) = reader::closest(name, &names) {
                message.push_str(&format!(" (did you mean `{close}`?)"));
            }
            ctx.error(key.span(), &key_path, message);
            continue;
        };
        if let Some(why) = optdef::reserved(code) {
            ctx.error(
                key.span(),
                &key_path,
                format!("option {code} cannot be configured: {why}"),
            );
            continue;
        }
        if out.iter().any(|(c, _)| *c == code) {
            ctx.error(
                key.span(),
                &key_path,
                format!("option {code} is set twice in this table: keep one"),
            );
            continue;
        }
        if let Some(bytes) = value_bytes(ctx, v, &key_path, code, known) {
            out.push((code, bytes));
        }
    }
    (ctx.error_count() == before).then_some(out)
}

/// An option name or number, with its known type when there is one.
fn option_key(name: &str) -> Option<(u8, Option<ValueType>)> {
    if let Ok(code) = name.parse::<u8>() {
        return (code != 0 && code != 255).then(|| (code, optdef::by_code(code).map(|d| d.ty)));
    }
    optdef::by_name(name).map(|d| (d.code, Some(d.ty)))
}

/// One value, typed by the option (or explicitly), encoded.
pub(crate) fn value_bytes(
    ctx: &mut Ctx<'_>,
    value: &Value<'_>,
    path: &str,
    code: u8,
    known: Option<ValueType>,
) -> Option<Vec<u8>> {
    let (ty, input) = match value.get_ref() {
        DeValue::Table(t) => {
            let mut entries = t.iter();
            let (Some((key, inner)), None) = (entries.next(), entries.next()) else {
                ctx.error(
                    value.span(),
                    path,
                    "an explicit type is a table with one key, such as { hex = \"01:02\" } or { ips = [\"10.0.0.1\"] }",
                );
                return None;
            };
            let Some(ty) = ValueType::from_name(key.get_ref()) else {
                ctx.error(
                    key.span(),
                    path,
                    format!(
                        "unknown type `{}`: use one of ip, ips, ip-pairs, u8, u16, u32, i32, u16s, bool, text, domains, routes, hex",
                        key.get_ref()
                    ),
                );
                return None;
            };
            (ty, input(ctx, inner, path)?)
        }
        _ => {
            let Some(ty) = known else {
                ctx.error(
                    value.span(),
                    path,
                    format!(
                        "option {code} has no known type: give one, e.g. {{ hex = \"01:02\" }}, {{ text = \"…\" }} or {{ ips = [\"10.0.0.1\"] }}"
                    ),
                );
                return None;
            };
            (ty, input(ctx, value, path)?)
        }
    };
    match optdef::encode(ty, &input) {
        Ok(bytes) if bytes.len() > 1200 => {
            ctx.error(
                value.span(),
                path,
                format!("{} bytes is more than any reply can carry: shorten it", bytes.len()),
            );
            None
        }
        Ok(bytes) => Some(bytes),
        Err(message) => {
            ctx.error(value.span(), path, format!("option {code}: {message}"));
            None
        }
    }
}

/// A TOML value as an untyped option input.
fn input(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Option<Input> {
    let expected = "a string, an integer, a boolean or an array of them";
    Some(match value.get_ref() {
        DeValue::String(s) => Input::Text(s.to_string()),
        DeValue::Integer(_) => Input::Int(reader::integer(ctx, value, path, expected)?),
        DeValue::Boolean(b) => Input::Bool(*b),
        DeValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let item_path = reader::index(path, i);
                if matches!(item.get_ref(), DeValue::Array(_) | DeValue::Table(_)) {
                    reader::wrong_type(ctx, item, &item_path, "a string, an integer or a boolean");
                    return None;
                }
                out.push(input(ctx, item, &item_path)?);
            }
            Input::List(out)
        }
        _ => {
            reader::wrong_type(ctx, value, path, expected);
            return None;
        }
    })
}
