//! Walking the span-carrying TOML tree: the error sink that turns byte spans
//! into lines and columns, the table reader that rejects unknown keys, and
//! typed getters that report a wrong type instead of stopping.
//!
//! Nothing here knows the schema; the section modules say which keys exist
//! and what their values mean. Every getter returns `None` after recording
//! an error, so a section keeps reading and the caller sees every problem.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::error::{ConfigError, ConfigErrors};
use crate::values;

pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

/// Collects errors for one file.
pub(crate) struct Ctx<'s> {
    file: &'s str,
    text: &'s str,
    /// Byte offset of each error, to sort them into file order at the end.
    errors: Vec<(usize, ConfigError)>,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(file: &'s str, text: &'s str) -> Ctx<'s> {
        Ctx {
            file,
            text,
            errors: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        let (line, column) = position(self.text, span.start);
        let message = one_line(message.into());
        let error = ConfigError {
            file: self.file.to_owned(),
            line,
            column,
            key: key.to_owned(),
            message,
        };
        self.errors.push((span.start, error));
    }

    /// The line a span starts on, for messages that point at a second place.
    pub(crate) fn line(&self, span: &Range<usize>) -> usize {
        position(self.text, span.start).0
    }

    /// How many errors so far: readers compare counts to learn whether a
    /// list read cleanly.
    pub(crate) fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// The errors in file order; several at one place keep the order they
    /// were found in.
    pub(crate) fn finish(mut self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|(offset, _)| *offset);
        Err(ConfigErrors(self.errors.into_iter().map(|(_, e)| e).collect()))
    }
}

/// Line and column (both from 1, the column in characters) of a byte offset.
/// Offsets past the end or inside a character are tolerated, because they
/// come from a parser's error report.
pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let bytes = &text.as_bytes()[..offset.min(text.len())];
    let line_start = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = 1 + bytes.iter().filter(|b| **b == b'\n').count();
    // Count characters by their first bytes: UTF-8 continuation bytes are 0b10xxxxxx.
    let column = 1 + bytes[line_start..].iter().filter(|b| (**b & 0xc0) != 0x80).count();
    (line, column)
}

/// Keeps "one line per error" true whatever a parser or a key contains.
fn one_line(message: String) -> String {
    if message.contains(['\n', '\r']) {
        message.replace("\r\n", "; ").replace(['\n', '\r'], "; ")
    } else {
        message
    }
}

/// `path.key`, quoting keys that TOML could not write bare.
pub(crate) fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare { key.to_owned() } else { format!("{key:?}") };
    if path.is_empty() { key } else { format!("{path}.{key}") }
}

pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// The kind of a value as a message says it: "found an integer".
fn describe(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

pub(crate) fn wrong_type(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str, expected: &str) {
    ctx.error(
        value.span(),
        path,
        format!("expected {expected}, found {}", describe(value.get_ref())),
    );
}

/// A table whose keys have been checked against the schema.
pub(crate) struct Table<'t, 'i> {
    table: &'t DeTable<'i>,
    /// Where the table starts (its header), for "missing key" errors.
    pub(crate) span: Range<usize>,
    pub(crate) path: String,
}

impl<'t, 'i> Table<'t, 'i> {
    /// Checks that `value` is a table and reports every key not in `allowed`.
    pub(crate) fn open(
        ctx: &mut Ctx<'_>,
        value: &'t Value<'i>,
        path: String,
        expected: &str,
        allowed: &[&str],
    ) -> Option<Table<'t, 'i>> {
        let Some(table) = value.get_ref().as_table() else {
            wrong_type(ctx, value, &path, expected);
            return None;
        };
        for (key, _) in table.iter() {
            let name: &str = key.get_ref();
            if !allowed.contains(&name) {
                ctx.error(key.span(), &join(&path, name), unknown_key_message(name, allowed));
            }
        }
        Some(Table {
            table,
            span: value.span(),
            path,
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'t Value<'i>> {
        self.table.get(key)
    }

    pub(crate) fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The value of a key that must be present; its absence is reported at
    /// the table's header with an example of what to add.
    pub(crate) fn required(&self, ctx: &mut Ctx<'_>, key: &str, example: &str) -> Option<&'t Value<'i>> {
        let value = self.get(key);
        if value.is_none() {
            ctx.error(
                self.span.clone(),
                &self.path_of(key),
                format!("missing key `{key}`: add it, e.g. {example}"),
            );
        }
        value
    }
}

/// "unknown key `foo`", a suggestion when one allowed key is close, and the
/// full list so the operator does not have to open the documentation.
pub(crate) fn unknown_key_message(name: &str, allowed: &[&str]) -> String {
    let mut message = format!("unknown key `{name}`");
    if let Some(close) = closest(name, allowed) {
        message.push_str(&format!(" (did you mean `{close}`?)"));
    }
    message.push_str(&format!("; allowed here: {}", allowed.join(", ")));
    message
}

/// The allowed name nearest to a misspelled one, when it is near enough
/// (an edit distance of at most 2, or 1 for short names).
pub(crate) fn closest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    allowed
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Edits (insert, delete, substitute, swap two neighbours) between two
/// names: the optimal string alignment distance, so `dchp` is one from `dhcp`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // d[i][j]: the distance between the first i characters of a and the first j of b.
    let mut d: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

pub(crate) fn string<'v>(ctx: &mut Ctx<'_>, value: &'v Value<'_>, path: &str, expected: &str) -> Option<&'v str> {
    match value.get_ref() {
        DeValue::String(s) => Some(s.as_ref()),
        _ => {
            wrong_type(ctx, value, path, expected);
            None
        }
    }
}

pub(crate) fn boolean(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Option<bool> {
    match value.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        _ => {
            wrong_type(ctx, value, path, "true or false");
            None
        }
    }
}

pub(crate) fn integer(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str, expected: &str) -> Option<i64> {
    match value.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n),
            Err(_) => {
                ctx.error(
                    value.span(),
                    path,
                    format!("{i} does not fit in 64 bits: expected {expected}"),
                );
                None
            }
        },
        _ => {
            wrong_type(ctx, value, path, expected);
            None
        }
    }
}

/// An integer in `min..=max`.
pub(crate) fn integer_in(
    ctx: &mut Ctx<'_>,
    value: &Value<'_>,
    path: &str,
    expected: &str,
    bounds: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let n = integer(ctx, value, path, expected)?;
    if !bounds.contains(&n) {
        ctx.error(value.span(), path, format!("{n} is out of range: expected {expected}"));
        return None;
    }
    Some(n)
}

/// A string turned into a value by `parse`, whose message becomes the error.
pub(crate) fn parsed<T>(
    ctx: &mut Ctx<'_>,
    value: &Value<'_>,
    path: &str,
    expected: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    let text = string(ctx, value, path, expected)?;
    match parse(text) {
        Ok(v) => Some(v),
        Err(message) => {
            ctx.error(value.span(), path, message);
            None
        }
    }
}

pub(crate) fn array<'v, 'i>(
    ctx: &mut Ctx<'_>,
    value: &'v Value<'i>,
    path: &str,
    expected: &str,
) -> Option<&'v DeArray<'i>> {
    match value.get_ref() {
        DeValue::Array(a) => Some(a),
        _ => {
            wrong_type(ctx, value, path, expected);
            None
        }
    }
}

/// Every element of an array read by `item`, with the element's path; the
/// elements that fail are reported and left out.
pub(crate) fn list<'v, 'i, T>(
    ctx: &mut Ctx<'_>,
    value: &'v Value<'i>,
    path: &str,
    expected: &str,
    mut item: impl FnMut(&mut Ctx<'_>, &'v Value<'i>, String) -> Option<T>,
) -> Option<Vec<T>> {
    let elements = array(ctx, value, path, expected)?;
    Some(
        elements
            .iter()
            .enumerate()
            .filter_map(|(i, element)| item(ctx, element, index(path, i)))
            .collect(),
    )
}

/// `[[name]]` entries: an array whose elements are tables, each read by `read`.
pub(crate) fn array_of_tables<'v, 'i, T>(
    ctx: &mut Ctx<'_>,
    value: &'v Value<'i>,
    path: &str,
    header: &str,
    allowed: &[&str],
    mut read: impl FnMut(&mut Ctx<'_>, Table<'v, 'i>) -> Option<T>,
) -> Vec<T> {
    let expected = format!("an array of tables: write {header} (double brackets) above each entry");
    list(ctx, value, path, &expected, |ctx, item, path| {
        let expected = format!("a table: write {header} above the entry's keys");
        let table = Table::open(ctx, item, path, &expected, allowed)?;
        read(ctx, table)
    })
    .unwrap_or_default()
}

pub(crate) const DURATION_EXPECTED: &str =
    "a duration such as \"30s\", \"10m\", \"1h\" or \"2d\", or a number of seconds";

/// A duration given as a number of seconds or a string with a unit, no
/// shorter than `min`.
pub(crate) fn duration(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str, min: Duration) -> Option<Duration> {
    let parsed = match value.get_ref() {
        DeValue::Integer(_) => values::duration_seconds(integer(ctx, value, path, DURATION_EXPECTED)?),
        DeValue::String(s) => values::duration(s),
        _ => {
            wrong_type(ctx, value, path, DURATION_EXPECTED);
            return None;
        }
    };
    match parsed {
        Ok(d) if d < min => {
            let (got, min) = (values::format_duration(d), values::format_duration(min));
            ctx.error(value.span(), path, format!("{got} is too short: use at least {min}"));
            None
        }
        Ok(d) => Some(d),
        Err(message) => {
            ctx.error(value.span(), path, message);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 4), (1, 5));
        assert_eq!(position(text, 6), (2, 1));
        // "bé" is three bytes; the `=` after it and a space is the fourth character.
        assert_eq!(position(text, 10), (2, 4));
        assert_eq!(position(text, 8), (2, 3), "inside a character");
        assert_eq!(position(text, 1000), (3, 1), "past the end");
    }

    #[test]
    fn suggestions() {
        let allowed = ["network", "ranges", "routers", "routes"];
        assert_eq!(closest("netwrk", &allowed), Some("network"));
        assert_eq!(closest("router", &allowed), Some("routers"));
        assert_eq!(closest("gateway", &allowed), None);
        assert_eq!(closest("dchp", &["dhcp", "boot"]), Some("dhcp"));
        assert_eq!(closest("tftp", &["dhcp", "boot"]), None);
    }

    #[test]
    fn key_paths() {
        assert_eq!(join("", "dhcp"), "dhcp");
        assert_eq!(join("dhcp", "mode"), "dhcp.mode");
        assert_eq!(join("dhcp", "a b"), "dhcp.\"a b\"");
        assert_eq!(join("dhcp", "a\nb"), "dhcp.\"a\\nb\"");
        assert_eq!(index("dhcp.subnet", 2), "dhcp.subnet[2]");
    }
}
