//! Go `encoding/json` decoding and encoding of the typed config, driven by per-struct field
//! tables that [`crate::types`] generates.
//!
//! Decoding follows `json.Unmarshal` into Ignition's Go structs: keys match field names exactly or,
//! failing that, case-insensitively; unknown keys are skipped; `null` clears pointers and slices
//! but leaves plain strings, numbers and structs alone; a repeated key decodes again *into* the
//! existing value (so objects merge and arrays merge element by element); a value of the wrong
//! JSON type is skipped and remembered as the first type error, which later fails the parse.
//! Which keys exist depends on the spec version being decoded, so a 3.0 config's
//! `kernelArguments` is an unknown key exactly as it is for Ignition's v3_0 structs.
//!
//! Encoding follows `json.Marshal` of Ignition's v3_4 / v3_5 structs: fields in struct order,
//! `omitempty` dropping nil pointers, empty slices, empty strings and zero numbers but never
//! struct-typed fields, and Go's HTML-safe string escaping.

use crate::json::{self, Kind, Reader};
use crate::report::{Issue, JsonPath, PathSegment, Report};
use crate::spec::Spec;

/// Which Go type a `Resource`-shaped object had in spec 3.0, where the three uses were distinct
/// types with different fields. From 3.1 on they are all `Resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `FileContents` (file contents and appends; also LUKS key files, which are 3.2+).
    FileContents,
    /// `ConfigReference` (`ignition.config.merge` / `replace`).
    ConfigReference,
    /// `CaReference` (`ignition.security.tls.certificateAuthorities`).
    CaReference,
}

/// What decides whether a field exists: the spec version and, for 3.0 resources, the role.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub spec: Spec,
    pub role: Role,
}

/// One field of a Go struct: its JSON name and whether it exists in a given context.
pub(crate) struct FieldSpec {
    pub name: &'static str,
    pub exists: fn(&Ctx) -> bool,
}

/// The first type mismatch found while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypeError {
    pub path: JsonPath,
    pub message: String,
}

/// Decoding state: the reader, the spec being decoded, the current path, the first type error
/// and the unknown-key warnings.
pub(crate) struct Decoder<'a> {
    reader: Reader<'a>,
    pub(crate) ctx: Ctx,
    path: Vec<PathSegment>,
    /// Whether the current value is reachable through exactly spelled keys. Ignition looks up
    /// unknown keys by the exact field names, so below a case-insensitively matched key it
    /// reports nothing.
    exact: bool,
    pub(crate) type_error: Option<TypeError>,
    pub(crate) warnings: Report,
}

impl<'a> Decoder<'a> {
    /// `data` must have passed [`json::check_valid`].
    pub(crate) fn new(data: &'a [u8], spec: Spec) -> Self {
        Decoder {
            reader: Reader::new(data),
            ctx: Ctx {
                spec,
                role: Role::FileContents,
            },
            path: Vec::new(),
            exact: true,
            type_error: None,
            warnings: Report::default(),
        }
    }

    pub(crate) fn peek(&mut self) -> Kind {
        self.reader.peek()
    }

    pub(crate) fn skip(&mut self) {
        self.reader.skip_value();
    }

    pub(crate) fn current_path(&self) -> JsonPath {
        JsonPath(self.path.clone())
    }

    /// Records a type mismatch (the first one wins, as in Go) and skips the value.
    pub(crate) fn mismatch(&mut self, expected: &str) {
        let found = self.peek();
        if self.type_error.is_none() {
            self.type_error = Some(TypeError {
                path: self.current_path(),
                message: format!("expected {expected}, found {}", found.noun()),
            });
        }
        self.skip();
    }

    /// Runs `f` with `role` as the resource role for everything decoded inside it.
    pub(crate) fn with_role(&mut self, role: Role, f: impl FnOnce(&mut Self)) {
        let saved = self.ctx.role;
        self.ctx.role = role;
        f(self);
        self.ctx.role = saved;
    }

    /// Decodes a JSON object into a struct described by `fields`; `field` decodes the value of
    /// field number `i` into the struct.
    pub(crate) fn decode_struct(&mut self, fields: &[FieldSpec], mut field: impl FnMut(usize, &mut Self)) {
        match self.peek() {
            Kind::Object => {}
            Kind::Null => {
                self.skip();
                if self.exact {
                    let path = self.current_path();
                    let text = path.to_string();
                    self.warnings.warn(path, Issue::ContextTreeMismatch(text));
                }
                return;
            }
            _ => return self.mismatch("object"),
        }
        self.reader.begin_object();
        while let Some(key) = self.reader.next_key() {
            let mut exact = None;
            let mut folded = None;
            for (i, spec) in fields.iter().enumerate() {
                if !(spec.exists)(&self.ctx) {
                    continue;
                }
                if spec.name == key {
                    exact = Some(i);
                    break;
                }
                if folded.is_none() && equal_fold(spec.name, &key) {
                    folded = Some(i);
                }
            }
            let Some(i) = exact.or(folded) else {
                if self.exact {
                    self.warn_unused(&key);
                }
                self.skip();
                continue;
            };
            if exact.is_none() && self.exact {
                self.warn_unused(&key);
            }
            let saved_exact = self.exact;
            self.exact = saved_exact && exact.is_some();
            self.path.push(PathSegment::Key(fields[i].name.to_owned()));
            field(i, self);
            self.path.pop();
            self.exact = saved_exact;
        }
    }

    fn warn_unused(&mut self, key: &str) {
        let path = self.current_path().key(key);
        let issue = Issue::UnusedKey(key.to_owned());
        if !self.warnings.entries.iter().any(|e| e.path == path && e.issue == issue) {
            self.warnings.warn(path, issue);
        }
    }

    /// Decodes a JSON array into `items` element by element, as Go does for slices.
    pub(crate) fn decode_vec<T: Default>(&mut self, items: &mut Vec<T>, mut element: impl FnMut(&mut T, &mut Self)) {
        match self.peek() {
            Kind::Array => {}
            Kind::Null => {
                self.skip();
                items.clear();
                return;
            }
            _ => return self.mismatch("array"),
        }
        self.reader.begin_array();
        let mut i = 0;
        while self.reader.next_element() {
            if i >= items.len() {
                items.push(T::default());
            }
            self.path.push(PathSegment::Index(i));
            element(&mut items[i], self);
            self.path.pop();
            i += 1;
        }
        items.truncate(i);
    }

    pub(crate) fn read_string(&mut self) -> String {
        self.reader.read_string()
    }

    fn read_int(&mut self) -> Option<i64> {
        let text = self.reader.read_number();
        text.parse::<i64>().ok()
    }
}

/// Go's case folding for struct field names (`bytes.EqualFold`), for an ASCII field name: ASCII
/// letters match either case, and the Kelvin sign and long s fold to `k` and `s`.
pub(crate) fn equal_fold(name: &str, key: &str) -> bool {
    let mut key_chars = key.chars();
    for n in name.chars() {
        let Some(k) = key_chars.next() else { return false };
        let same = k.eq_ignore_ascii_case(&n)
            || (k == '\u{212A}' && n.eq_ignore_ascii_case(&'k'))
            || (k == '\u{17F}' && n.eq_ignore_ascii_case(&'s'));
        if !same {
            return false;
        }
    }
    key_chars.next().is_none()
}

/// Output state for Go `json.Marshal`.
pub(crate) struct Encoder {
    pub(crate) out: Vec<u8>,
    pub(crate) ctx: Ctx,
}

impl Encoder {
    pub(crate) fn new(spec: Spec) -> Self {
        Encoder {
            out: Vec::new(),
            ctx: Ctx {
                spec,
                role: Role::FileContents,
            },
        }
    }

    pub(crate) fn key(&mut self, first: &mut bool, name: &str) {
        if !*first {
            self.out.push(b',');
        }
        *first = false;
        json::write_go_string(&mut self.out, name);
        self.out.push(b':');
    }
}

/// A value with Go `encoding/json` semantics.
pub(crate) trait GoValue: Default {
    /// Decodes the next JSON value into `self` (which may already hold data, as in Go).
    fn decode(&mut self, d: &mut Decoder<'_>);
    /// Whether `omitempty` drops this value.
    fn omit_empty(&self) -> bool;
    /// Appends the Go `json.Marshal` form.
    fn encode(&self, e: &mut Encoder);
}

/// Go `string`: `null` leaves it unchanged.
impl GoValue for String {
    fn decode(&mut self, d: &mut Decoder<'_>) {
        match d.peek() {
            Kind::String => *self = d.read_string(),
            Kind::Null => d.skip(),
            _ => d.mismatch("string"),
        }
    }
    fn omit_empty(&self) -> bool {
        self.is_empty()
    }
    fn encode(&self, e: &mut Encoder) {
        json::write_go_string(&mut e.out, self);
    }
}

/// Go `*string`: `null` sets nil.
impl GoValue for Option<String> {
    fn decode(&mut self, d: &mut Decoder<'_>) {
        match d.peek() {
            Kind::String => *self = Some(d.read_string()),
            Kind::Null => {
                d.skip();
                *self = None;
            }
            _ => d.mismatch("string"),
        }
    }
    fn omit_empty(&self) -> bool {
        self.is_none()
    }
    fn encode(&self, e: &mut Encoder) {
        match self {
            Some(s) => json::write_go_string(&mut e.out, s),
            None => e.out.extend_from_slice(b"null"),
        }
    }
}

fn decode_int(d: &mut Decoder<'_>) -> Result<Option<i64>, ()> {
    match d.peek() {
        Kind::Number => {
            let path = d.current_path();
            match d.read_int() {
                Some(n) => Ok(Some(n)),
                None => {
                    // Go: strconv.ParseInt fails for fractions, exponents and out-of-range values.
                    if d.type_error.is_none() {
                        d.type_error = Some(TypeError {
                            path,
                            message: "expected an integer in the range of a 64-bit int, found a number with a fraction, an exponent or too many digits".to_owned(),
                        });
                    }
                    Err(())
                }
            }
        }
        Kind::Null => {
            d.skip();
            Ok(None)
        }
        _ => {
            d.mismatch("number");
            Err(())
        }
    }
}

/// Go `int`: `null` leaves it unchanged.
impl GoValue for i64 {
    fn decode(&mut self, d: &mut Decoder<'_>) {
        if let Ok(Some(n)) = decode_int(d) {
            *self = n;
        }
    }
    fn omit_empty(&self) -> bool {
        *self == 0
    }
    fn encode(&self, e: &mut Encoder) {
        e.out.extend_from_slice(self.to_string().as_bytes());
    }
}

/// Go `*int`: `null` sets nil.
impl GoValue for Option<i64> {
    fn decode(&mut self, d: &mut Decoder<'_>) {
        if let Ok(n) = decode_int(d) {
            *self = n;
        }
    }
    fn omit_empty(&self) -> bool {
        self.is_none()
    }
    fn encode(&self, e: &mut Encoder) {
        match self {
            Some(n) => e.out.extend_from_slice(n.to_string().as_bytes()),
            None => e.out.extend_from_slice(b"null"),
        }
    }
}

/// Go `*bool`: `null` sets nil.
impl GoValue for Option<bool> {
    fn decode(&mut self, d: &mut Decoder<'_>) {
        match d.peek() {
            Kind::Bool => *self = Some(d.reader.read_bool()),
            Kind::Null => {
                d.skip();
                *self = None;
            }
            _ => d.mismatch("bool"),
        }
    }
    fn omit_empty(&self) -> bool {
        self.is_none()
    }
    fn encode(&self, e: &mut Encoder) {
        e.out.extend_from_slice(match self {
            Some(true) => b"true",
            Some(false) => b"false",
            None => b"null",
        });
    }
}

/// Go slice: `null` sets nil; arrays decode element by element into the existing slice.
impl<T: GoValue> GoValue for Vec<T> {
    fn decode(&mut self, d: &mut Decoder<'_>) {
        d.decode_vec(self, |item, d| item.decode(d));
    }
    fn omit_empty(&self) -> bool {
        self.is_empty()
    }
    fn encode(&self, e: &mut Encoder) {
        e.out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                e.out.push(b',');
            }
            item.encode(e);
        }
        e.out.push(b']');
    }
}

/// Field existence predicates for the field tables.
pub(crate) mod exists {
    use super::{Ctx, Role};
    use crate::spec::Spec;

    pub(crate) fn always(_: &Ctx) -> bool {
        true
    }
    pub(crate) fn since_3_1(c: &Ctx) -> bool {
        c.spec >= Spec::V3_1
    }
    pub(crate) fn since_3_2(c: &Ctx) -> bool {
        c.spec >= Spec::V3_2
    }
    pub(crate) fn since_3_3(c: &Ctx) -> bool {
        c.spec >= Spec::V3_3
    }
    pub(crate) fn since_3_4(c: &Ctx) -> bool {
        c.spec >= Spec::V3_4
    }
    pub(crate) fn since_3_5(c: &Ctx) -> bool {
        c.spec >= Spec::V3_5
    }
    /// 3.0 had `compression` only on `FileContents`.
    pub(crate) fn resource_compression(c: &Ctx) -> bool {
        c.spec >= Spec::V3_1 || c.role == Role::FileContents
    }
}

/// Field decoders for the field tables: the default plus the spec-dependent special cases.
pub(crate) mod dec {
    use super::{Decoder, GoValue, Role};
    use crate::json::Kind;
    use crate::spec::Spec;

    /// Plain Go semantics for the field's own type.
    pub(crate) fn value<T: GoValue>(v: &mut T, d: &mut Decoder<'_>) {
        v.decode(d);
    }

    /// Decodes a `*string` field that is a plain Go `string` in specs before 3.3 (link targets,
    /// raid levels, clevis custom config and pin): there `null` leaves the value unchanged.
    pub(crate) fn string_before_3_3(v: &mut Option<String>, d: &mut Decoder<'_>) {
        if d.ctx.spec < Spec::V3_3 {
            go_string(v, d);
        } else {
            v.decode(d);
        }
    }

    fn go_string(v: &mut Option<String>, d: &mut Decoder<'_>) {
        match d.peek() {
            Kind::String => *v = Some(d.read_string()),
            Kind::Null => d.skip(),
            _ => d.mismatch("string"),
        }
    }

    /// `Resource.source`: in 3.0 a `CaReference` source was a plain Go `string`.
    pub(crate) fn resource_source(v: &mut Option<String>, d: &mut Decoder<'_>) {
        if d.ctx.spec == Spec::V3_0 && d.ctx.role == Role::CaReference {
            go_string(v, d);
        } else {
            v.decode(d);
        }
    }

    pub(crate) fn config_reference<T: GoValue>(v: &mut T, d: &mut Decoder<'_>) {
        d.with_role(Role::ConfigReference, |d| v.decode(d));
    }

    pub(crate) fn ca_reference<T: GoValue>(v: &mut T, d: &mut Decoder<'_>) {
        d.with_role(Role::CaReference, |d| v.decode(d));
    }

    pub(crate) fn file_contents<T: GoValue>(v: &mut T, d: &mut Decoder<'_>) {
        d.with_role(Role::FileContents, |d| v.decode(d));
    }

    /// `Luks.clevis` was a `*Clevis` in 3.2: `null` resets it to absent.
    pub(crate) fn luks_clevis(v: &mut crate::types::Clevis, d: &mut Decoder<'_>) {
        if d.ctx.spec == Spec::V3_2 && d.peek() == Kind::Null {
            d.skip();
            *v = Default::default();
        } else {
            v.decode(d);
        }
    }

    /// `Clevis.custom` was a `*Custom` with plain-string `config` and `pin` in 3.2; Ignition's
    /// 3.2→3.3 translation turns a present custom block's strings into pointers (so `""` becomes
    /// `Some("")`) and an absent one into nothing. Applying that here keeps one representation.
    pub(crate) fn clevis_custom(v: &mut crate::types::ClevisCustom, d: &mut Decoder<'_>) {
        if d.ctx.spec == Spec::V3_2 {
            match d.peek() {
                Kind::Null => {
                    d.skip();
                    *v = Default::default();
                    return;
                }
                Kind::Object => {
                    v.config.get_or_insert_with(String::new);
                    v.pin.get_or_insert_with(String::new);
                }
                _ => {}
            }
        }
        v.decode(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_fold_like_go() {
        assert!(equal_fold("path", "PATH"));
        assert!(equal_fold("path", "Path"));
        assert!(equal_fold("shouldExist", "\u{17F}houldExist"));
        assert!(equal_fold("keyFile", "\u{212A}eyFile"));
        assert!(!equal_fold("path", "paths"));
        assert!(!equal_fold("path", "pat"));
    }
}
